//! Runs killed at each phase and resumed from the journal.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use okta_idsrc_core::models::IdentitySourceSessionStatus as Status;
use okta_idsrc_emulator::Emulator;
use okta_idsrc_import::{ImportError, ImportOptions, Phase, Progress};

use crate::support::*;

fn resume_dataset() -> Dataset {
    Dataset {
        users: 3_000,
        groups: 30,
        memberships: 2_400,
        deactivations: 100,
        membership_deletes: 20,
        group_deletes: 3,
    }
}

/// Kills a run when `when` says so, runs again with the same journal, and checks the state
/// and the journal.
async fn kill_and_resume(name: &str, when: impl Fn(&Progress) -> bool + Send + Sync + 'static) {
    let emulator = emulator(Emulator::builder().import_delay(Duration::from_millis(30))).await;
    let data = resume_dataset();
    let sources = data.sources();
    let journal = temp_journal(name);
    let base = || {
        ImportOptions::default()
            .with_journal(&journal)
            .with_max_loads_per_session(6)
            .with_concurrency(3)
    };

    run_until_killed(&emulator, base(), &sources, when).await;
    let killed_at = journal_events(&journal).len();

    let report = import(&emulator, base(), &sources)
        .await
        .expect("resumed import");
    data.assert_applied(&emulator.state());

    // The second run skipped what the first one had imported.
    let events = journal_events(&journal);
    let (before, after) = events.split_at(killed_at);
    let done_before: HashSet<&str> = before
        .iter()
        .filter(|e| e["event"] == "done" && e["applied"] == true)
        .filter_map(|e| e["session"].as_str())
        .collect();
    let mut imported_before: HashSet<u64> = before
        .iter()
        .filter(|e| e["event"] == "load" && done_before.contains(e["session"].as_str().unwrap()))
        .filter_map(|e| e["load"].as_u64())
        .collect();
    // A session the first run left triggered or completed, settled by the second.
    let resume_at = after
        .iter()
        .position(|e| e["event"] == "resume")
        .expect("a resume record");
    let settled: HashSet<&str> = after[..resume_at]
        .iter()
        .filter(|e| e["event"] == "done" && e["applied"] == true)
        .filter_map(|e| e["session"].as_str())
        .filter(|s| {
            before
                .iter()
                .any(|e| e["event"] == "session" && e["session"] == *s)
        })
        .collect();
    for e in before
        .iter()
        .filter(|e| e["event"] == "load" && settled.contains(e["session"].as_str().unwrap()))
    {
        imported_before.insert(e["load"].as_u64().unwrap());
    }
    let resume = &after[resume_at];
    let sent_after: Vec<u64> = after
        .iter()
        .filter(|e| e["event"] == "load")
        .filter_map(|e| e["load"].as_u64())
        .collect();
    for load in &sent_after {
        assert!(
            !imported_before.contains(load),
            "load {load} was imported before the kill and sent again"
        );
    }
    assert_eq!(report.loads_resumed, imported_before.len() as u64, "{name}");
    assert_eq!(
        resume["loadsDone"].as_u64(),
        Some(imported_before.len() as u64)
    );
    assert!(after.last().is_some_and(|e| e["event"] == "finished"));
    eprintln!(
        "{name}: {} loads imported before the kill, {} sent after, {} sessions in the second run",
        imported_before.len(),
        sent_after.len(),
        report.sessions.len()
    );

    // Running once more with the finished journal sends no load.
    let third = import(&emulator, base(), &sources)
        .await
        .expect("third run");
    assert_eq!(third.loads, 0);
    assert_eq!(third.loads_resumed, third.loads_total);
    data.assert_applied(&emulator.state());
    remove_journal(&journal);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_while_uploading_then_resumed() {
    kill_and_resume("uploading", |p| p.loads_acknowledged >= 10).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_while_importing_then_resumed() {
    let imports = Arc::new(Mutex::new(HashSet::new()));
    kill_and_resume("importing", move |p| match &p.phase {
        Phase::Importing { session } => {
            let mut seen = imports.lock().unwrap();
            seen.insert(session.clone());
            seen.len() == 3
        }
        _ => false,
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_once_a_session_is_opened_then_resumed() {
    kill_and_resume("opened", |p| {
        p.sessions_completed == 2 && matches!(p.phase, Phase::Uploading { .. })
    })
    .await;
}

/// Killed between creating a session and journaling it: the session the request created is
/// recognised as the import's own, not reported as stale.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_created_just_before_a_kill_is_adopted() {
    let emulator = emulator(Emulator::builder()).await;
    let data = resume_dataset();
    let sources = data.sources();
    let journal = temp_journal("orphan");
    let base = || {
        ImportOptions::default()
            .with_journal(&journal)
            .with_max_loads_per_session(10)
    };
    // Session 1 is done (and journaled as such); session 2 is about to be opened.
    run_until_killed(&emulator, base(), &sources, |p| p.sessions_completed == 1).await;
    // The kill lands while session 2 is being created: its request went through, its
    // journal record did not.
    assert!(!statuses(&emulator.state()).iter().any(Status::is_active));
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&journal)
        .expect("journal");
    std::io::Write::write_all(&mut file, b"{\"event\":\"creating\"}\n").expect("append");
    let client = client(&emulator);
    let orphan = open_session_with_one_user(&client, false).await;

    let report = import(&emulator, base(), &sources)
        .await
        .expect("resumed import");
    data.assert_applied(&emulator.state());
    assert!(
        report.sessions.iter().any(|s| s.id == orphan && s.applied),
        "the orphan was adopted"
    );
    assert!(
        statuses(&emulator.state())
            .iter()
            .all(|s| *s == Status::Completed)
    );
    remove_journal(&journal);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_of_another_input_is_refused() {
    let emulator = emulator(Emulator::builder()).await;
    let journal = temp_journal("mismatch");
    let a = Dataset::users_and_groups(10, 1);
    let b = Dataset { users: 11, ..a };
    let options = || ImportOptions::default().with_journal(&journal);
    import(&emulator, options(), &a.sources())
        .await
        .expect("first input");
    let err = import(&emulator, options(), &b.sources())
        .await
        .expect_err("another input");
    assert!(matches!(err, ImportError::JournalMismatch { .. }), "{err}");
    remove_journal(&journal);
}
