//! The bulk importer end to end, over a real 127.0.0.1 socket: the project's emulator, a
//! client built with the hyper transport and the ops retry and rate-limit layers. A small
//! import, faults and rate limits, sessions ending in ERROR.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use okta_idsrc_core::models::IdentitySourceSessionStatus as Status;
use okta_idsrc_emulator::{Emulator, Faults};
use okta_idsrc_import::{
    Entity, EntityKind, ImportError, ImportOptions, Phase, Progress, SessionState, VecSource,
};

use crate::support::*;

// ---------------------------------------------------------------------------------------------
// A small import.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_import_leaves_exactly_the_input() {
    let started = Instant::now();
    let emulator = emulator(Emulator::builder()).await;
    let data = Dataset {
        users: 500,
        groups: 20,
        memberships: 600,
        deactivations: 50,
        membership_deletes: 10,
        group_deletes: 2,
    };
    let sources = data.sources();
    let phases = Arc::new(Mutex::new(Vec::<Phase>::new()));
    let seen = Arc::clone(&phases);
    let last = Arc::new(Mutex::new(None::<Progress>));
    let keep = Arc::clone(&last);
    let options = ImportOptions::default().with_on_progress(move |p| {
        let mut phases = seen.lock().unwrap();
        if phases.last() != Some(&p.phase) {
            phases.push(p.phase.clone());
        }
        *keep.lock().unwrap() = Some(p.clone());
    });
    let importer = importer(&emulator, options);
    let sources_ref = refs(&sources);
    let run = importer.run(&sources_ref);
    fn assert_send<T: Send>(_: &T) {}
    assert_send(&run);
    let report = run.await.expect("import");
    report_line("small", started, &report);
    data.assert_applied(&emulator.state());

    assert_eq!(report.entities_by_kind.total(), data.entities());
    assert_eq!(
        report.entities_by_kind.get(EntityKind::MembershipUpsert),
        600
    );
    // 3 user loads, 1 group, 3 membership upserts, 1 delete, 1 group delete, 1 deactivation.
    assert_eq!(report.loads_total, 10);
    assert_eq!(report.loads, 10);
    assert_eq!(report.sessions.len(), 1);
    assert_eq!(
        report.sessions[0].status,
        SessionState::Status(Status::Completed)
    );
    assert_eq!(report.sessions[0].loads, (0..10).collect::<Vec<u64>>());
    assert_eq!(statuses(&emulator.state()), [Status::Completed]);
    let phases = phases.lock().unwrap().clone();
    assert_eq!(phases.first(), Some(&Phase::Validating));
    // Asking Okta (references, open sessions) is said as such, not left as validating.
    assert_eq!(phases.get(1), Some(&Phase::Checking), "{phases:?}");
    assert_eq!(phases.last(), Some(&Phase::Done));
    assert!(phases.iter().any(|p| matches!(p, Phase::Uploading { .. })));
    assert!(phases.iter().any(|p| matches!(p, Phase::Importing { .. })));
    let last = last.lock().unwrap().clone().expect("progress");
    assert_eq!(last.loads_acknowledged, 10);
    assert_eq!(last.sessions_completed, 1);
    assert_eq!(last.entities_uploaded, data.entities());
    assert_eq!(last.entities_total, Some(data.entities()));

    // The same input again: its user upserts reactivate the deactivated users, then its
    // deactivations deactivate them again.
    let again = importer.run(&refs(&sources)).await.expect("second import");
    assert_eq!(again.sessions.len(), 1);
    assert_eq!(
        again.sessions[0].status,
        SessionState::Status(Status::Completed)
    );
    data.assert_applied(&emulator.state());
    // The active users again change nothing: Okta keeps that session CREATED, the importer
    // cancels it and counts it done.
    let active = VecSource::new(
        "users.csv",
        EntityKind::UserUpsert,
        (50..500).map(|i| Entity::UserUpsert(user(i))),
    );
    let again = importer.run(&[&active]).await.expect("third import");
    assert_eq!(again.sessions.len(), 1);
    assert!(again.sessions[0].applied);
    assert_eq!(
        again.sessions[0].status,
        SessionState::Status(Status::Closed)
    );
    data.assert_applied(&emulator.state());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_sends_nothing() {
    let emulator = emulator(Emulator::builder()).await;
    let data = Dataset::users_and_groups(9_500, 1);
    let sources = data.sources();
    let options = ImportOptions::default()
        .with_dry_run(true)
        .with_max_loads_per_session(20);
    let report = import(&emulator, options, &sources).await.expect("dry run");
    assert!(report.dry_run);
    assert_eq!(report.loads_total, 49);
    assert_eq!(report.sessions_planned, 3);
    assert_eq!(report.loads, 0);
    assert_eq!(emulator.state().stats.requests, 0);
}

// ---------------------------------------------------------------------------------------------
// Faults, rate limits, several sessions.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_five_thousand_users_through_faults_and_a_tight_rate_limit() {
    const RATE_LIMIT: u32 = 200;
    let started = Instant::now();
    let faults = Faults {
        error_500_rate: 0.05,
        drop_before_apply_rate: 0.01,
        drop_after_apply_rate: 0.01,
        ..Faults::NONE
    };
    let emulator = emulator(
        Emulator::builder()
            .faults(faults)
            // Tight: the import needs more requests than one 60-second window allows, so
            // the rate-limit layer must hold requests until the window resets.
            .rate_limit(RATE_LIMIT)
            .session_rate_limit(15),
    )
    .await;
    let data = Dataset {
        users: 25_000,
        groups: 100,
        memberships: 25_000,
        deactivations: 500,
        membership_deletes: 50,
        group_deletes: 2,
    };
    let sources = data.sources();
    let report = import(&emulator, ImportOptions::default(), &sources)
        .await
        .expect("import");
    report_line("25k with faults", started, &report);
    let state = emulator.state();
    data.assert_applied(&state);
    assert!(
        report.sessions_applied().count() >= 3,
        "{} sessions",
        report.sessions.len()
    );
    assert!(report.retries > 0, "the faults were retried");
    assert!(state.stats.faults_injected > 0);
    assert!(report.loads >= report.loads_total);
    eprintln!(
        "25k: {} requests, {} faults injected, {} rate limited by the emulator",
        state.stats.requests, state.stats.faults_injected, state.stats.rate_limited
    );
    assert!(
        state.stats.requests > u64::from(RATE_LIMIT),
        "the run spans more than one rate-limit window"
    );
    assert!(
        state.stats.rate_limited * 100 <= state.stats.requests,
        "at most 1 % answered 429: {} of {}",
        state.stats.rate_limited,
        state.stats.requests
    );
}

/// Lost responses make Okta count loads twice; once a session is at its cap, the rest goes
/// to the next session.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loads_refused_at_the_session_cap_roll_over() {
    let emulator = emulator(Emulator::builder().faults(Faults {
        drop_after_apply_rate: 0.15,
        ..Faults::NONE
    }))
    .await;
    let data = Dataset::users_and_groups(10_200, 1);
    let sources = data.sources();
    let options = ImportOptions::default().with_max_loads_per_session(50);
    let report = import(&emulator, options, &sources).await.expect("import");
    data.assert_applied(&emulator.state());
    assert_eq!(report.loads_total, 52);
    assert!(report.sessions.len() >= 2, "{:?}", report.sessions);
    assert!(
        report.sessions[0].loads.len() < 50,
        "the first session hit its cap: {:?}",
        report.sessions[0].loads
    );
    let snapshot = emulator.state();
    let source = default_source(&snapshot);
    assert_eq!(
        source.sessions[0].load_count, 50,
        "Okta counted the lost loads"
    );
}

// ---------------------------------------------------------------------------------------------
// Sessions ending in ERROR.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_ending_in_error_is_reported_and_retried() {
    // Every import fails: reported with its lines, retried once, then given up.
    let emulator = emulator(Emulator::builder().faults(Faults {
        import_error_rate: 1.0,
        ..Faults::NONE
    }))
    .await;
    let data = Dataset::users_and_groups(450, 2);
    let err = import(&emulator, ImportOptions::default(), &data.sources())
        .await
        .expect_err("fails");
    let ImportError::SessionFailed { session, attempts } = &err else {
        panic!("{err}")
    };
    assert_eq!(*attempts, 2);
    assert_eq!(session.status, SessionState::Status(Status::Error));
    assert_eq!(session.loads, [0, 1, 2, 3]);
    assert_eq!(session.entities_by_kind.get(EntityKind::UserUpsert), 450);
    let text = err.to_string();
    assert!(
        text.contains("users.csv lines 1–450") && text.contains("groups.csv lines 1–2"),
        "{text}"
    );
    assert_eq!(statuses(&emulator.state()), [Status::Error, Status::Error]);

    // Half the imports fail: some seed fails the first session, and the retry completes.
    let faults = Faults {
        import_error_rate: 0.5,
        ..Faults::NONE
    };
    for seed in 1..40 {
        let emulator = Emulator::builder()
            .seed(seed)
            .faults(faults)
            .start()
            .await
            .expect("emulator");
        let options = ImportOptions::default().with_session_retries(3);
        let Ok(report) = import(&emulator, options, &data.sources()).await else {
            continue;
        };
        if report.sessions_failed().count() == 0 {
            continue;
        }
        data.assert_applied(&emulator.state());
        let failed = report.sessions_failed().next().expect("failed");
        assert_eq!(failed.status, SessionState::Status(Status::Error));
        assert_eq!(failed.loads, [0, 1, 2, 3]);
        assert!(report.sessions.last().expect("last").applied);
        return;
    }
    panic!("no seed made a session fail and its retry complete");
}
