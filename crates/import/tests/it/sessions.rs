//! Sessions already there (triggered, stale), the cool-down between sessions and the
//! progress that reports it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use okta_idsrc_core::models::IdentitySourceSessionStatus as Status;
use okta_idsrc_core::{Credentials, OrgUrl};
use okta_idsrc_emulator::{DEFAULT_IDENTITY_SOURCE, Emulator};
use okta_idsrc_hyper::HyperTransport;
use okta_idsrc_import::{
    EntityKind, ImportError, ImportOptions, Importer, Phase, Progress, Waiting, WaitingFor,
};
use okta_idsrc_ops::Client;
use okta_idsrc_ops::rate_limit::RateLimitConfig;
use okta_idsrc_ops::retry::RetryConfig;

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_triggered_session_is_waited_for() {
    let emulator = emulator(Emulator::builder().import_delay(Duration::from_millis(400))).await;
    let client = client(&emulator);
    let other = open_session_with_one_user(&client, true).await;
    let waited = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&waited);
    let options = ImportOptions::default().with_on_progress(move |p| {
        if matches!(&p.phase, Phase::WaitingForSession { .. }) {
            flag.store(true, Ordering::SeqCst);
        }
    });
    let data = Dataset {
        memberships: 30,
        ..Dataset::users_and_groups(300, 3)
    };
    let report = import(&emulator, options, &data.sources())
        .await
        .expect("import");
    assert!(
        waited.load(Ordering::SeqCst),
        "the importer waited for the triggered session"
    );
    let state = emulator.state();
    let source = default_source(&state);
    assert_eq!(
        source.session(&other).expect("other").status,
        Status::Completed
    );
    assert!(source.user(&user_id(99_999)).is_some());
    assert_eq!(report.sessions.len(), 1);
    assert_eq!(source.users.len(), 301);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_session_is_cancelled_only_by_evidence_of_its_age() {
    // One clock for the emulator (the session's lastUpdated) and the importer (its age).
    let clock = okta_idsrc_core::clock::ManualClock::starting_now();
    let emulator = emulator(Emulator::builder().clock(clock.shared())).await;
    let client_at = |clock: &okta_idsrc_core::clock::ManualClock| {
        Client::builder(OrgUrl::parse(&emulator.base_url()).expect("loopback org"))
            .service(HyperTransport::new().expect("transport"))
            .authenticate(Credentials::api_token(emulator.token()))
            .default_layers(
                RetryConfig::default().with_clock(clock.shared()),
                RateLimitConfig::default(),
            )
            .build()
            .boxed()
    };
    let other = open_session_with_one_user(&client(&emulator), false).await;
    let data = Dataset::users_and_groups(50, 1);
    let sources = data.sources();
    let run = |options: ImportOptions| {
        let importer = Importer::new(
            client_at(&clock),
            DEFAULT_IDENTITY_SOURCE,
            options.with_poll_interval(Duration::from_millis(20), Duration::from_millis(500)),
        );
        let sources = refs(&sources);
        async move { importer.run(&sources).await }
    };

    // Without --cancel-stale: refused, and the message does not recommend cancelling a
    // session updated a minute ago.
    clock.advance(Duration::from_secs(60));
    let err = run(ImportOptions::default()).await.expect_err("active");
    let ImportError::StaleSession {
        id, status, age, ..
    } = &err
    else {
        panic!("{err}")
    };
    assert_eq!((id.as_str(), status), (other.as_str(), &Status::Created));
    assert_eq!(*age, Some(Duration::from_secs(60)));
    let shown = err.to_string();
    assert!(
        shown.contains(&format!("session {other}"))
            && shown.contains("last updated 1 min ago")
            && shown.contains("another run may be feeding it")
            && !shown.contains("--cancel-stale to cancel"),
        "{shown}"
    );

    // With --cancel-stale, a session updated 29 minutes ago is still live: never cancelled.
    clock.advance(Duration::from_secs(28 * 60));
    let err = run(ImportOptions::default().with_cancel_stale(true))
        .await
        .expect_err("not stale yet");
    assert!(
        matches!(&err, ImportError::StaleSession { age: Some(a), .. } if *a == Duration::from_secs(29 * 60)),
        "{err:?}"
    );
    assert!(err.to_string().contains("29 min ago"), "{err}");
    assert_eq!(statuses(&emulator.state()), [Status::Created]);

    // Past 30 minutes without an update it is stale: the error says so and recommends
    // --cancel-stale, which then cancels it and says which one and how old.
    clock.advance(Duration::from_secs(2 * 60));
    let err = run(ImportOptions::default()).await.expect_err("stale");
    assert!(
        err.to_string().contains("31 min ago") && err.to_string().contains("--cancel-stale"),
        "{err}"
    );
    let report = run(ImportOptions::default().with_cancel_stale(true))
        .await
        .expect("import cancelling the stale session");
    assert_eq!(
        report.stale_cancelled,
        [format!(
            "session {other} (CREATED, last updated 31 min ago)"
        )]
    );
    assert_eq!(
        statuses(&emulator.state()),
        [Status::Closed, Status::Completed]
    );
    data.assert_applied(&emulator.state());

    // The age is configurable.
    let next = open_session_with_one_user(&client(&emulator), false).await;
    clock.advance(Duration::from_secs(5 * 60));
    run(ImportOptions::default()
        .with_cancel_stale(true)
        .with_stale_after(Duration::from_secs(5 * 60)))
    .await
    .expect("stale after 5 minutes");
    let state = emulator.state();
    assert_eq!(
        default_source(&state).session(&next).expect("next").status,
        Status::Closed
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cool_down_between_sessions_is_waited_out_up_to_a_bound() {
    let emulator =
        emulator(Emulator::builder().session_cooldown(Duration::from_millis(1500))).await;
    let data = Dataset::users_and_groups(450, 1);
    let sources = data.sources();
    let cooled = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&cooled);
    let options = ImportOptions::default()
        .with_max_loads_per_session(2)
        .with_on_progress(move |p| {
            if matches!(p.phase, Phase::CoolingDown { .. }) {
                flag.store(true, Ordering::SeqCst);
            }
        });
    let started = Instant::now();
    let report = import(&emulator, options, &sources).await.expect("import");
    assert_eq!(report.sessions.len(), 2);
    assert!(cooled.load(Ordering::SeqCst), "the cool-down was reported");
    assert!(started.elapsed() >= Duration::from_millis(1500));
    data.assert_applied(&emulator.state());

    // A cool-down longer than the bound ends the run.
    let strict = Emulator::builder()
        .session_cooldown(Duration::from_secs(60))
        .start()
        .await
        .expect("emulator");
    let options = ImportOptions::default()
        .with_max_loads_per_session(2)
        .with_cooldown_max_wait(Duration::from_millis(300));
    let err = import(&strict, options, &sources)
        .await
        .expect_err("cool-down");
    assert!(matches!(err, ImportError::CooldownTimeout { .. }), "{err}");
    assert_eq!(statuses(&strict.state()), [Status::Completed]);
}

/// A progress callback keeping every value it is given.
fn recorded() -> (
    Arc<Mutex<Vec<Progress>>>,
    impl Fn(&Progress) + Send + Sync + 'static,
) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let keep = Arc::clone(&seen);
    (seen, move |p: &Progress| {
        keep.lock().unwrap().push(p.clone())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_says_how_long_the_cool_down_has_left() {
    let cooldown = Duration::from_millis(2500);
    let emulator = emulator(Emulator::builder().session_cooldown(cooldown)).await;
    let data = Dataset::users_and_groups(450, 1);
    let (seen, on_progress) = recorded();
    let options = ImportOptions::default()
        .with_max_loads_per_session(2)
        .with_session_cooldown(cooldown)
        .with_on_progress(on_progress);
    let report = import(&emulator, options, &data.sources())
        .await
        .expect("import");
    assert_eq!(report.sessions.len(), 2);
    let seen = seen.lock().unwrap();
    let waits: Vec<&Waiting> = seen
        .iter()
        .filter(|p| matches!(p.phase, Phase::CoolingDown { .. }))
        .map(|p| p.waiting.as_ref().expect("a cool-down is a wait"))
        .collect();
    assert!(waits.len() >= 2, "counted down at least once: {waits:?}");
    for w in &waits {
        assert_eq!(w.what, WaitingFor::SessionCooldown);
        assert_eq!(w.requests, 0);
        let left = w.left.expect("the end is known from this run's trigger");
        assert!(left <= cooldown, "{w:?}");
    }
    let (first, last) = (waits[0], waits[waits.len() - 1]);
    assert!(last.waited > first.waited, "{first:?} … {last:?}");
    assert!(last.left < first.left, "{first:?} … {last:?}");
    // Once a session is open again, nothing is waited for.
    let after = seen
        .iter()
        .skip_while(|p| !matches!(p.phase, Phase::CoolingDown { .. }))
        .find(|p| matches!(p.phase, Phase::Uploading { .. }))
        .expect("uploads after the cool-down");
    assert_eq!(after.waiting, None);
    // The last word matches the report.
    let done = seen.last().expect("progress");
    assert_eq!(done.phase, Phase::Done);
    assert_eq!(done.entities_applied, report.accepted());
    assert_eq!(done.sessions_completed, 2);
    assert_eq!(done.loads_resumed, 0);
    assert_eq!(
        (done.retries, done.rate_limited),
        (report.retries, report.rate_limited)
    );
    data.assert_applied(&emulator.state());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_run_last_reports_what_okta_applied_so_far() {
    // The first session completes, then a cool-down longer than the bound ends the run.
    let emulator = emulator(Emulator::builder().session_cooldown(Duration::from_secs(60))).await;
    let data = Dataset::users_and_groups(450, 1);
    let (seen, on_progress) = recorded();
    let options = ImportOptions::default()
        .with_max_loads_per_session(2)
        .with_cooldown_max_wait(Duration::from_millis(300))
        .with_on_progress(on_progress);
    let err = import(&emulator, options, &data.sources())
        .await
        .expect_err("cool-down");
    assert!(matches!(err, ImportError::CooldownTimeout { .. }), "{err}");
    let last = seen.lock().unwrap().last().cloned().expect("progress");
    let mut applied = okta_idsrc_import::EntityCounts::default();
    applied.add(EntityKind::UserUpsert, 400);
    assert_eq!(last.entities_applied, applied);
    assert_eq!((last.sessions_completed, last.loads_acknowledged), (1, 2));
    assert_eq!(default_source(&emulator.state()).users.len(), 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_says_when_the_rate_limiter_holds_the_run() {
    // Six requests a window of 2 s (60 s at 30 times the speed): the uploads are held.
    let emulator = emulator(Emulator::builder().rate_limit(6).time_scale(30)).await;
    let data = Dataset::users_and_groups(1000, 0);
    let (seen, on_progress) = recorded();
    let options = ImportOptions::default()
        .with_check_references(false)
        .with_on_progress(on_progress);
    let report = import(&emulator, options, &data.sources())
        .await
        .expect("import");
    let seen = seen.lock().unwrap();
    let held: Vec<&Waiting> = seen
        .iter()
        .filter_map(|p| p.waiting.as_ref())
        .filter(|w| w.what == WaitingFor::RateLimit)
        .collect();
    assert!(!held.is_empty(), "the holds were reported");
    for w in &held {
        assert!(w.requests >= 1, "{w:?}");
        // A window's reset (whole seconds) + 1 s + jitter, at most.
        let left = w.left.expect("a used-up window says when it resets");
        assert!(left <= Duration::from_secs(4), "{w:?}");
    }
    assert_eq!(seen.last().map(|p| p.waiting.clone()), Some(None));
    data.assert_applied(&emulator.state());
    assert_eq!(report.rate_limited, 0, "held, not refused");
}
