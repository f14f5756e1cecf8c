//! The nightly sync, day after day, over 127.0.0.1 against the emulator with faults on.

use std::time::Duration;

use okta_idsrc_emulator::{DEFAULT_IDENTITY_SOURCE, Emulator, EmulatorHandle, Faults};
use okta_idsrc_sync::{ChangeKind, PlanOptions, Reason, RunOutcome, SyncError, apply};

use crate::support::{Directory, apply_options, assert_holds, client, plan_of, state, sync};

async fn faulty() -> EmulatorHandle {
    Emulator::builder()
        .seed(11)
        .faults(Faults {
            error_500_rate: 0.05,
            drop_before_apply_rate: 0.005,
            drop_after_apply_rate: 0.005,
            ..Faults::NONE
        })
        .start()
        .await
        .expect("emulator")
}

/// Loads the emulator accepted (bulk loads of every kind), over all sessions.
fn loads(emulator: &EmulatorHandle) -> usize {
    let state = emulator.state();
    let source = state
        .identity_source(DEFAULT_IDENTITY_SOURCE)
        .expect("source");
    source.sessions.iter().map(|s| s.load_count).sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_week_of_nightly_syncs_through_faults() {
    let emulator = faulty().await;
    let (store, id, target) = state(&emulator);

    // Day 1: 10,000 users, 50 groups, 10,000 memberships.
    let mut day = Directory::new(10_000, 50);
    let (plan, report) = sync(&emulator, &store, id, &target, &day, false)
        .await
        .expect("day 1");
    assert_eq!(plan.count(ChangeKind::UserUpsert), 10_000);
    assert_eq!(report.applied[&ChangeKind::UserUpsert], 10_000);
    assert_holds(&emulator, &day);
    assert!(emulator.state().stats.faults_injected > 0, "faults were on");

    // The same export again: nothing to send, no session.
    let sessions_before = emulator.state().identity_sources[0].sessions.len();
    let (plan, _) = sync(&emulator, &store, id, &target, &day, false)
        .await
        .expect("unchanged");
    assert!(plan.is_empty(), "{plan}");
    assert_eq!(
        emulator.state().identity_sources[0].sessions.len(),
        sessions_before
    );

    // Day 2: 100 changed, 50 joiners, 30 leavers, a group renamed, 40 memberships moved.
    for i in 0..100 {
        day.people
            .get_mut(&format!("emp-{i:07}"))
            .expect("person")
            .title = "Senior".into();
    }
    for i in 10_000..10_050 {
        let p = crate::support::Person::new(i);
        day.memberships.insert(("grp-000".into(), p.id.clone()));
        day.people.insert(p.id.clone(), p);
    }
    for i in 9_000..9_030 {
        day.leave(&format!("emp-{i:07}"));
    }
    *day.groups.get_mut("grp-007").expect("group") = "Legal".into();
    let movers: Vec<(String, String)> = day
        .memberships
        .iter()
        .filter(|(g, _)| g == "grp-001")
        .take(40)
        .cloned()
        .collect();
    for (g, m) in movers {
        day.memberships.remove(&(g, m.clone()));
        day.memberships.insert(("grp-002".into(), m));
    }
    let loads_before = loads(&emulator);
    let (plan, report) = sync(&emulator, &store, id, &target, &day, false)
        .await
        .expect("day 2");
    assert_eq!(plan.count(ChangeKind::UserUpsert), 150, "{plan}");
    assert_eq!(plan.count(ChangeKind::UserDeactivate), 30);
    assert_eq!(plan.count(ChangeKind::GroupUpsert), 1);
    assert_eq!(
        plan.count(ChangeKind::MembershipAdd),
        90,
        "40 moved, 50 joined"
    );
    assert_eq!(
        plan.count(ChangeKind::MembershipRemove),
        70,
        "40 moved, 30 left"
    );
    let changed = plan
        .users_upserted
        .iter()
        .find(|u| u.reason == Reason::Changed)
        .expect("a changed user");
    assert_eq!(changed.detail, [r#"title: "Engineer" → "Senior""#]);
    assert_holds(&emulator, &day);
    // The minimum: one load per kind of change (all fit in 200 entities).
    let import = report.import.as_ref().expect("sent");
    assert_eq!(import.loads_total, 5, "{import:?}");
    assert!(loads(&emulator) - loads_before >= 5);

    // Day 3: a truncated export (half the users): held, no session opened.
    let mut truncated = day.clone();
    let half: Vec<String> = truncated.people.keys().skip(5_000).cloned().collect();
    for id in &half {
        truncated.leave(id);
    }
    let sessions_before = emulator.state().identity_sources[0].sessions.len();
    let e = sync(&emulator, &store, id, &target, &truncated, false)
        .await
        .expect_err("held");
    assert!(matches!(e, SyncError::Held(_)), "{e:?}");
    assert_eq!(e.exit_code(), 3);
    assert!(e.to_string().contains("deactivations"), "{e}");
    assert_eq!(
        emulator.state().identity_sources[0].sessions.len(),
        sessions_before
    );
    let runs = store.lock().unwrap().runs(id, 1).unwrap();
    assert_eq!(runs[0].outcome, RunOutcome::Held);

    // The same, allowed through: applied.
    sync(&emulator, &store, id, &target, &truncated, true)
        .await
        .expect("allowed");
    assert_holds(&emulator, &truncated);

    // An empty export is held even with deletions allowed.
    let e = sync(&emulator, &store, id, &target, &Directory::new(0, 0), true)
        .await
        .expect_err("empty");
    assert!(e.to_string().contains("never applied"), "{e}");
    // So is a header-only groups file (or memberships file) beside a full users file.
    for (no_groups, noun) in [(true, "no group"), (false, "no membership")] {
        let mut emptied = truncated.clone();
        emptied.memberships.clear();
        if no_groups {
            emptied.groups.clear();
        }
        let e = sync(&emulator, &store, id, &target, &emptied, true)
            .await
            .expect_err("an empty file is held");
        assert!(matches!(e, SyncError::Held(_)), "{e:?}");
        let text = e.to_string();
        assert!(
            text.contains(noun) && text.contains("never applied"),
            "{text}"
        );
    }
    assert_holds(&emulator, &truncated);

    // A stale plan is refused.
    let stale = plan_of(&store, id, &target, &day, &PlanOptions::default()).expect("plan");
    sync(&emulator, &store, id, &target, &day, true)
        .await
        .expect("back to day 2");
    let e = apply(&store, id, &stale, client(&emulator), &apply_options())
        .await
        .expect_err("stale");
    assert!(matches!(e, SyncError::StalePlan { .. }), "{e:?}");
    assert_eq!(e.exit_code(), 2);
    assert_holds(&emulator, &day);
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_killed_in_the_middle_converges_on_the_next() {
    let emulator = Emulator::builder()
        .seed(3)
        .latency(Duration::from_millis(2))
        .start()
        .await
        .expect("emulator");
    let (store, id, target) = state(&emulator);
    let day = Directory::new(30_000, 20);
    // Killed: the apply future is dropped part of the way through (as a kill between two
    // requests leaves it; the journal is in the state).
    let plan = plan_of(&store, id, &target, &day, &PlanOptions::default()).expect("plan");
    let cut = tokio::time::timeout(
        Duration::from_millis(1_500),
        apply(&store, id, &plan, client(&emulator), &apply_options()),
    )
    .await;
    assert!(cut.is_err(), "the run was cut short");
    let unfinished = store.lock().unwrap().applying(id).unwrap();
    let kept = unfinished
        .and_then(|u| u.plan)
        .expect("the plan is kept for the next run");
    assert!(kept == *plan, "the state gives back the plan it was given");
    // The same plan, applied again, finishes: nothing the state calls done is missing.
    let report = apply(&store, id, &plan, client(&emulator), &apply_options())
        .await
        .expect("finished");
    assert!(report.resumed);
    assert_holds(&emulator, &day);
    let again = plan_of(&store, id, &target, &day, &PlanOptions::default()).expect("plan");
    assert!(
        again.is_empty(),
        "the state knows everything was applied: {again}"
    );
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_session_leaves_its_changes_pending_for_the_next_run() {
    // Half the sessions end in ERROR (seeded: the same outcomes every time).
    let emulator = Emulator::builder()
        .seed(5)
        .faults(Faults {
            import_error_rate: 0.5,
            ..Faults::NONE
        })
        .start()
        .await
        .expect("emulator");
    let (store, id, target) = state(&emulator);
    let mut day = Directory::new(300, 3);
    let mut options = apply_options();
    options.session_retries = 0;
    let (mut failures, mut successes) = (0, 0);
    let mut failed_before = false;
    // Twelve nights, each changing one title; half the sessions fail.
    for night in 0..12usize {
        day.people.values_mut().nth(night).expect("a person").title = format!("Title {night}");
        let plan = plan_of(&store, id, &target, &day, &PlanOptions::default()).expect("plan");
        if failed_before {
            assert!(
                plan.resent() > 0,
                "the pending changes go out again: {plan}"
            );
        }
        match apply(&store, id, &plan, client(&emulator), &options).await {
            Ok(_) => {
                successes += 1;
                failed_before = false;
                assert_eq!(store.lock().unwrap().counts(id).unwrap().pending, 0);
            }
            Err(e) => {
                assert_eq!(e.exit_code(), 1, "{e}");
                let counts = store.lock().unwrap().counts(id).unwrap();
                assert!(counts.pending > 0, "{counts:?}");
                failures += 1;
                failed_before = true;
            }
        }
    }
    assert!(
        failures > 0 && successes > 0,
        "{failures} failed, {successes} succeeded"
    );
    // Until a night succeeds, the last one's changes stay pending.
    for _ in 0..20 {
        if !failed_before {
            break;
        }
        let plan = plan_of(&store, id, &target, &day, &PlanOptions::default()).expect("plan");
        assert!(plan.resent() > 0, "{plan}");
        failed_before = apply(&store, id, &plan, client(&emulator), &options)
            .await
            .is_err();
    }
    assert_holds(&emulator, &day);
    assert_eq!(store.lock().unwrap().counts(id).unwrap().pending, 0);
    emulator.shutdown().await;
}
