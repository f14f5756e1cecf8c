//! Tests of `journal`.

use super::*;

const TEXT: &str = concat!(
    "{\"event\":\"start\",\"input\":\"abc\",\"version\":2,\"org\":\"https://a.okta.com\",\"identitySource\":\"0oa1\"}\n",
    "{\"event\":\"creating\"}\n",
    "{\"event\":\"session\",\"session\":\"aps1\",\"firstLoad\":0}\n",
    "{\"event\":\"load\",\"session\":\"aps1\",\"load\":0}\n",
    "{\"event\":\"load\",\"session\":\"aps1\",\"load\":1}\n",
    "{\"event\":\"done\",\"session\":\"aps1\",\"status\":\"COMPLETED\",\"applied\":true,\"lastLoad\":1}\n",
    "{\"event\":\"somethingNew\",\"x\":1}\n",
    "{\"event\":\"creating\"}\n",
    "{\"event\":\"session\",\"session\":\"aps2\",\"firstLoad\":2}\n",
    "{\"event\":\"load\",\"session\":\"aps2\",\"load\":2}\n",
);

const TARGET: JournalTarget<'static> = JournalTarget {
    org: "https://a.okta.com",
    identity_source: "0oa1",
};

fn records(text: &str) -> Vec<String> {
    text.lines().map(str::to_owned).collect()
}

fn dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("okta-idsrc-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn file(path: &Path) -> SharedJournal {
    Arc::new(Mutex::new(FileJournal::open(path, false).unwrap()))
}

#[test]
fn parses_events() {
    let state = JournalState::parse(&records(TEXT)).unwrap();
    assert_eq!(state.fingerprint(), Some("abc"));
    assert_eq!(state.sessions.len(), 2);
    assert_eq!(state.sessions[0].done, Some(("COMPLETED".to_owned(), true)));
    assert_eq!(
        state.sessions[1].acked.iter().copied().collect::<Vec<_>>(),
        [2]
    );
    assert!(!state.creating_pending);
    assert_eq!(state.done_loads(), HashSet::from([0, 1]));
    let broken = format!("{}\nnot json\n{TEXT}", TEXT.lines().next().unwrap());
    assert!(
        JournalState::parse(&records(&broken))
            .unwrap_err()
            .starts_with("record 2")
    );
}

#[test]
fn a_file_cuts_a_torn_last_record_and_keeps_a_complete_one() {
    let dir = dir("journal-file");
    let path = dir.join("j.jsonl");
    std::fs::write(&path, format!("{TEXT}{{\"event\":\"load\",\"sess")).unwrap();
    let mut j = FileJournal::open(&path, false).unwrap();
    assert_eq!(j.load().unwrap(), records(TEXT));
    j.append("{\"event\":\"creating\"}").unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.ends_with("\"load\":2}\n{\"event\":\"creating\"}\n"),
        "{text}"
    );
    // A complete last record without its newline counts.
    std::fs::write(&path, format!("{TEXT}{{\"event\":\"creating\"}}")).unwrap();
    let loaded = FileJournal::open(&path, false).unwrap().load().unwrap();
    assert_eq!(loaded.last().unwrap(), "{\"event\":\"creating\"}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_journal_is_bound_to_its_input_target_and_version() {
    let dir = dir("journal-bind");
    let path = dir.join("j.jsonl");
    let _ = std::fs::remove_file(&path);
    {
        let (mut j, state) = Journal::open(file(&path), "fp", &TARGET).unwrap();
        assert_eq!(state.fingerprint(), None);
        j.write(&Event::Creating).unwrap();
    }
    let (_, state) = Journal::open(file(&path), "fp", &TARGET).unwrap();
    assert!(state.creating_pending);
    assert!(matches!(
        Journal::open(file(&path), "other", &TARGET),
        Err(ImportError::JournalMismatch { .. })
    ));
    let elsewhere = JournalTarget {
        org: "https://b.okta.com",
        identity_source: "0oa1",
    };
    let e = Journal::open(file(&path), "fp", &elsewhere).err().unwrap();
    assert!(matches!(e, ImportError::JournalTarget { .. }), "{e}");
    let text = e.to_string();
    assert!(
        text.contains("https://a.okta.com") && text.contains("https://b.okta.com"),
        "{text}"
    );
    std::fs::write(
        &path,
        "{\"event\":\"start\",\"input\":\"fp\",\"version\":1}\n",
    )
    .unwrap();
    let e = Journal::open(file(&path), "fp", &TARGET).err().unwrap();
    assert!(
        matches!(
            e,
            ImportError::JournalVersion {
                found: 1,
                expected: JOURNAL_VERSION,
                ..
            }
        ),
        "{e:?}"
    );
    let text = e.to_string();
    assert!(
        text.contains("version 1;") && !text.contains("  "),
        "{text}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn only_a_regular_file_is_a_journal() {
    let e = FileJournal::open(Path::new("/dev/full"), false).unwrap_err();
    assert!(e.to_string().contains("not a regular file"), "{e}");
    let e = FileJournal::open(&std::env::temp_dir(), false).unwrap_err();
    assert!(e.to_string().contains("not a regular file"), "{e}");
}
