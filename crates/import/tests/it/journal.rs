//! The journal end to end: bound to its org and identity source, kept in any store, and the
//! importer's report of what Okta applied (to its caller, as sessions complete).

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use okta_idsrc_core::transport::BoxError;
use okta_idsrc_emulator::{DEFAULT_IDENTITY_SOURCE, Emulator, EmulatorHandle};
use okta_idsrc_import::{
    ImportError, ImportOptions, ImportReport, Importer, JournalStore, LineRange, VecSource,
};

use crate::support::{client, default_source, users};

fn options() -> ImportOptions {
    ImportOptions::default().with_poll_interval(Duration::from_millis(5), Duration::from_millis(50))
}

/// A journal in memory, readable after the run.
#[derive(Clone, Default)]
struct Memory(Arc<Mutex<Vec<String>>>);

impl JournalStore for Memory {
    fn describe(&self) -> String {
        "memory".to_owned()
    }
    fn load(&mut self) -> Result<Vec<String>, BoxError> {
        Ok(self.0.lock().expect("lock").clone())
    }
    fn append(&mut self, record: &str) -> Result<(), BoxError> {
        self.0.lock().expect("lock").push(record.to_owned());
        Ok(())
    }
}

/// One run of `input` into `source` of `emulator`, with the journal at `path`.
async fn journaled(
    emulator: &EmulatorHandle,
    source: &str,
    path: &Path,
    input: &VecSource,
) -> Result<ImportReport, ImportError> {
    Importer::new(client(emulator), source, options().with_journal(path))
        .run(&[input])
        .await
}

#[tokio::test]
async fn a_journal_of_another_org_or_identity_source_is_refused() {
    let a = Emulator::start().await.expect("emulator");
    let b = Emulator::builder()
        .identity_source("0oaother000000000001")
        .start()
        .await
        .expect("emulator");
    let dir = std::env::temp_dir().join(format!("okta-idsrc-bound-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("import.journal");
    let _ = std::fs::remove_file(&path);
    let input = users(10);
    journaled(&a, DEFAULT_IDENTITY_SOURCE, &path, &input)
        .await
        .expect("imported into a");
    // The same journal against another org: refused, naming both; nothing sent there.
    let e = journaled(&b, DEFAULT_IDENTITY_SOURCE, &path, &input)
        .await
        .expect_err("another org");
    let text = e.to_string();
    assert!(matches!(e, ImportError::JournalTarget { .. }), "{e:?}");
    assert!(
        text.contains(&a.base_url()) && text.contains(&b.base_url()),
        "{text}"
    );
    assert_eq!(
        b.state().stats.requests,
        0,
        "nothing was sent to the other org"
    );
    // Another identity source of the same org: refused too.
    let e = journaled(&a, "0oaother000000000001", &path, &input)
        .await
        .expect_err("another identity source");
    assert!(e.to_string().contains("0oaother000000000001"), "{e}");
    std::fs::remove_dir_all(&dir).expect("cleanup");
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test]
async fn applied_sessions_are_reported_and_a_resumed_run_reports_what_an_earlier_applied() {
    let emulator = Emulator::start().await.expect("emulator");
    let journal = Memory::default();
    let seen: Arc<Mutex<Vec<LineRange>>> = Arc::default();
    let record = {
        let seen = Arc::clone(&seen);
        move |lines: &[LineRange]| -> Result<(), BoxError> {
            seen.lock().expect("lock").extend_from_slice(lines);
            Ok(())
        }
    };
    // 1,200 users, 3 loads a session: two sessions.
    let input = users(1_200);
    let opts = || {
        options()
            .with_max_loads_per_session(3)
            .with_journal_store(journal.clone())
            .with_on_applied(record.clone())
    };
    // The lines reported applied so far.
    let applied = || -> u64 {
        let seen = seen.lock().expect("lock");
        seen.iter().map(|r| r.last - r.first + 1).sum()
    };
    let report = Importer::new(client(&emulator), DEFAULT_IDENTITY_SOURCE, opts())
        .run(&[&input])
        .await
        .expect("import");
    assert_eq!(report.sessions.len(), 2);
    assert_eq!(applied(), 1_200, "every line reported applied once");
    assert!(
        !journal.0.lock().expect("lock").is_empty(),
        "the journal was kept in the store"
    );
    // The same input and journal again: nothing sent, and the earlier run's applied loads
    // are reported again (from the journal) so the caller can record them.
    seen.lock().expect("lock").clear();
    let requests = emulator.state().stats.requests;
    let again = Importer::new(client(&emulator), DEFAULT_IDENTITY_SOURCE, opts())
        .run(&[&input])
        .await
        .expect("resumed");
    assert_eq!(again.loads, 0);
    assert_eq!(again.loads_resumed, 6);
    assert_eq!(applied(), 1_200);
    assert!(
        emulator.state().stats.requests - requests <= 1,
        "at most the listing"
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_failing_recorder_stops_the_run() {
    let emulator = Emulator::start().await.expect("emulator");
    let input = users(10);
    let opts = options().with_on_applied(|_: &[LineRange]| Err("the state is read-only".into()));
    let e = Importer::new(client(&emulator), DEFAULT_IDENTITY_SOURCE, opts)
        .run(&[&input])
        .await
        .expect_err("stops");
    assert!(matches!(e, ImportError::Recording { .. }), "{e:?}");
    emulator.shutdown().await;
}

/// A journal store whose appends fail once it holds `holds` records (a full disk).
struct FillsUp {
    journal: Memory,
    holds: usize,
}

impl JournalStore for FillsUp {
    fn describe(&self) -> String {
        "a journal that fills up".to_owned()
    }
    fn load(&mut self) -> Result<Vec<String>, BoxError> {
        self.journal.load()
    }
    fn append(&mut self, record: &str) -> Result<(), BoxError> {
        if self.journal.0.lock().expect("lock").len() >= self.holds {
            return Err("No space left on device".into());
        }
        self.journal.append(record)
    }
}

#[tokio::test]
async fn a_journal_append_failing_mid_run_stops_it_and_the_next_run_finishes_the_input() {
    let emulator = Emulator::start().await.expect("emulator");
    let journal = Memory::default();
    // 1,200 users, 3 loads a session: the journal fills up in the middle of the uploads.
    let input = users(1_200);
    let opts = || options().with_max_loads_per_session(3);
    let full = FillsUp {
        journal: journal.clone(),
        holds: 4,
    };
    let e = Importer::new(
        client(&emulator),
        DEFAULT_IDENTITY_SOURCE,
        opts().with_journal_store(full),
    )
    .run(&[&input])
    .await
    .expect_err("a journal that cannot record stops the run");
    assert!(matches!(e, ImportError::Journal { .. }), "{e:?}");
    let text = e.to_string();
    assert!(
        text.contains("a journal that fills up") && text.contains("No space left on device"),
        "{text}"
    );
    let written = journal.0.lock().expect("lock").len();
    assert_eq!(written, 4, "nothing was recorded past the failure");
    // With room again, the same input and journal: every user ends in Okta, once.
    let report = Importer::new(
        client(&emulator),
        DEFAULT_IDENTITY_SOURCE,
        opts().with_journal_store(journal.clone()),
    )
    .run(&[&input])
    .await
    .expect("the next run finishes");
    assert!(
        report.sessions.first().is_some_and(|s| s.resumed),
        "the session the stopped run opened is continued: {report:?}"
    );
    let state = emulator.state();
    let source = default_source(&state);
    assert_eq!(source.users.len(), 1_200);
    assert!(
        source
            .sessions
            .iter()
            .all(|s| matches!(s.status.as_str(), "COMPLETED" | "CLOSED")),
        "no session is left open"
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn an_adopted_session_is_cancelled_not_refused() {
    let emulator = Emulator::start().await.expect("emulator");
    let c = client(&emulator);
    let open = c
        .identity_source(DEFAULT_IDENTITY_SOURCE)
        .create_session()
        .await
        .expect("session");
    let id = open.id.expect("id");
    // Without adopting it, it is another run's.
    let e = Importer::new(c.clone(), DEFAULT_IDENTITY_SOURCE, options())
        .run(&[&users(5)])
        .await
        .expect_err("stale");
    assert!(matches!(e, ImportError::StaleSession { .. }), "{e:?}");
    let opts = options().with_adopted_sessions(vec![id.clone()]);
    Importer::new(c, DEFAULT_IDENTITY_SOURCE, opts)
        .run(&[&users(5)])
        .await
        .expect("adopted and cancelled");
    let state = emulator.state();
    let source = default_source(&state);
    assert_eq!(
        source.session(&id).expect("session").status.as_str(),
        "CLOSED"
    );
    assert_eq!(source.users.len(), 5);
    emulator.shutdown().await;
}
