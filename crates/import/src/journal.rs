//! The journal: an append-only JSON Lines file of what a run did, so that a run killed at
//! any point can be started again and continue where it stopped. The format is described in
//! the [module docs](super).

use std::collections::{BTreeSet, HashSet};
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::ImportError;

/// The journal format's version.
pub(crate) const JOURNAL_VERSION: u32 = 1;

/// One journal record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "event",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub(crate) enum Event {
    /// A journal starts: the input's fingerprint.
    Start { input: String, version: u32 },
    /// A later run continues the journal.
    Resume { input: String, loads_done: u64 },
    /// A session is about to be created (so that, after a kill, the session the request
    /// created can be recognised as this import's own).
    Creating,
    /// A session was opened (or adopted).
    Session {
        session: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        first_load: Option<u64>,
    },
    /// A load was acknowledged by the session.
    Load { session: String, load: u64 },
    /// start-import is about to be sent.
    StartImport { session: String },
    /// The session ended: `applied` says whether its loads are reflected in Okta.
    Done {
        session: String,
        status: String,
        applied: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        last_load: Option<u64>,
    },
    /// Every load is imported.
    Finished { loads: u64, sessions: u64 },
    /// A record of a later version.
    #[serde(other)]
    Unknown,
}

/// A session as the journal knows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct JournalSession {
    pub id: String,
    /// Loads acknowledged in it.
    pub acked: BTreeSet<u64>,
    /// How it ended: (status, applied).
    pub done: Option<(String, bool)>,
}

/// What a journal says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct JournalState {
    /// The fingerprint of the input it is for.
    pub fingerprint: Option<String>,
    /// Its sessions, in the order they were opened.
    pub sessions: Vec<JournalSession>,
    /// Whether the last session-related record is a `creating` no session followed.
    pub creating_pending: bool,
}

impl JournalState {
    /// Parses a journal's text. A last line without its newline that does not parse is
    /// ignored; returns the state and the length of the text worth keeping.
    pub(crate) fn parse(text: &str) -> Result<(Self, usize), String> {
        let mut state = Self::default();
        let mut keep = 0;
        let mut rest = text;
        let mut line_no = 0;
        while !rest.is_empty() {
            line_no += 1;
            let (line, complete) = match rest.find('\n') {
                Some(i) => (&rest[..i], true),
                None => (rest, false),
            };
            let consumed = if complete { line.len() + 1 } else { line.len() };
            rest = &rest[consumed..];
            if line.trim().is_empty() {
                keep += consumed;
                continue;
            }
            match serde_json::from_str::<Event>(line) {
                Ok(event) => {
                    state.apply(event);
                    keep += consumed;
                }
                Err(_) if !complete => break,
                Err(e) => return Err(format!("line {line_no} is not a journal record: {e}")),
            }
        }
        Ok((state, keep))
    }

    fn session_mut(&mut self, id: &str) -> &mut JournalSession {
        if let Some(i) = self.sessions.iter().position(|s| s.id == id) {
            return &mut self.sessions[i];
        }
        self.sessions.push(JournalSession {
            id: id.to_owned(),
            ..JournalSession::default()
        });
        self.sessions.last_mut().expect("just pushed")
    }

    fn apply(&mut self, event: Event) {
        match event {
            Event::Start { input, .. } => {
                if self.fingerprint.is_none() {
                    self.fingerprint = Some(input);
                }
            }
            Event::Creating => self.creating_pending = true,
            Event::Session { session, .. } => {
                self.creating_pending = false;
                self.session_mut(&session);
            }
            Event::Load { session, load } => {
                self.session_mut(&session).acked.insert(load);
            }
            Event::Done {
                session,
                status,
                applied,
                ..
            } => {
                self.session_mut(&session).done = Some((status, applied));
            }
            Event::Resume { .. }
            | Event::StartImport { .. }
            | Event::Finished { .. }
            | Event::Unknown => {}
        }
    }

    /// Loads imported for sure: those acknowledged in sessions whose loads were applied.
    pub(crate) fn done_loads(&self) -> HashSet<u64> {
        self.sessions
            .iter()
            .filter(|s| s.done.as_ref().is_some_and(|(_, applied)| *applied))
            .flat_map(|s| s.acked.iter().copied())
            .collect()
    }
}

/// The open journal file.
#[derive(Debug)]
pub(crate) struct Journal {
    path: PathBuf,
    file: File,
    sync: bool,
}

impl Journal {
    /// Opens (or creates) the journal at `path` for the input with `fingerprint`; returns
    /// it, what it already says, and whether it is new.
    pub(crate) fn open(
        path: &Path,
        fingerprint: &str,
        sync: bool,
    ) -> Result<(Self, JournalState), ImportError> {
        let io = |message: &str, e: std::io::Error| ImportError::journal(path, message, Some(e));
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(|e| io("cannot open", e))?;
        let mut text = String::new();
        file.read_to_string(&mut text)
            .map_err(|e| io("cannot read", e))?;
        let (state, keep) =
            JournalState::parse(&text).map_err(|m| ImportError::journal(path, m, None))?;
        if let Some(found) = &state.fingerprint {
            if found != fingerprint {
                return Err(ImportError::JournalMismatch {
                    path: path.to_owned(),
                    expected: fingerprint.to_owned(),
                    found: found.clone(),
                });
            }
        } else if !state.sessions.is_empty() {
            return Err(ImportError::journal(path, "has no start record", None));
        }
        if keep < text.len() {
            // A torn last record: cut it off so that the next one starts on its own line.
            file.set_len(keep as u64)
                .map_err(|e| io("cannot cut off the torn last record", e))?;
        } else if !text.is_empty() && !text.ends_with('\n') {
            file.write_all(b"\n").map_err(|e| io("cannot write", e))?;
        }
        let mut journal = Self {
            path: path.to_owned(),
            file,
            sync,
        };
        if state.fingerprint.is_none() {
            journal.write(&Event::Start {
                input: fingerprint.to_owned(),
                version: JOURNAL_VERSION,
            })?;
        }
        Ok((journal, state))
    }

    /// Appends `event` (one `write` call).
    pub(crate) fn write(&mut self, event: &Event) -> Result<(), ImportError> {
        let mut line = serde_json::to_vec(event).expect("journal events serialize");
        line.push(b'\n');
        self.file
            .write_all(&line)
            .map_err(|e| ImportError::journal(&self.path, "cannot write", Some(e)))?;
        if self.sync {
            self.file
                .sync_data()
                .map_err(|e| ImportError::journal(&self.path, "cannot sync", Some(e)))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = concat!(
        "{\"event\":\"start\",\"input\":\"abc\",\"version\":1}\n",
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

    #[test]
    fn parses_events() {
        let (state, keep) = JournalState::parse(TEXT).unwrap();
        assert_eq!(keep, TEXT.len());
        assert_eq!(state.fingerprint.as_deref(), Some("abc"));
        assert_eq!(state.sessions.len(), 2);
        assert_eq!(state.sessions[0].done, Some(("COMPLETED".to_owned(), true)));
        assert_eq!(
            state.sessions[1].acked.iter().copied().collect::<Vec<_>>(),
            [2]
        );
        assert!(!state.creating_pending);
        assert_eq!(state.done_loads(), HashSet::from([0, 1]));
    }

    #[test]
    fn a_torn_last_line_is_ignored() {
        let torn = format!("{TEXT}{{\"event\":\"load\",\"sess");
        let (state, keep) = JournalState::parse(&torn).unwrap();
        assert_eq!(keep, TEXT.len());
        assert_eq!(state, JournalState::parse(TEXT).unwrap().0);
        // A complete last record without its newline counts.
        let unterminated = format!("{TEXT}{{\"event\":\"creating\"}}");
        let (state, keep) = JournalState::parse(&unterminated).unwrap();
        assert_eq!(keep, unterminated.len());
        assert!(state.creating_pending);
        // A broken line in the middle is an error.
        let broken =
            format!("{{\"event\":\"start\",\"input\":\"abc\",\"version\":1}}\nnot json\n{TEXT}");
        assert!(
            JournalState::parse(&broken)
                .unwrap_err()
                .starts_with("line 2")
        );
    }

    #[test]
    fn file_round_trip_cuts_torn_records_and_refuses_other_inputs() {
        let dir = std::env::temp_dir().join(format!("okta-idsrc-journal-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("j.jsonl");
        let _ = std::fs::remove_file(&path);
        {
            let (mut j, state) = Journal::open(&path, "fp", false).unwrap();
            assert_eq!(state.fingerprint, None);
            j.write(&Event::Session {
                session: "aps1".into(),
                first_load: Some(0),
            })
            .unwrap();
            j.write(&Event::Load {
                session: "aps1".into(),
                load: 0,
            })
            .unwrap();
        }
        // Simulate a kill in the middle of a record.
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"{\"event\":\"lo").unwrap();
        drop(f);
        {
            let (mut j, state) = Journal::open(&path, "fp", false).unwrap();
            assert_eq!(state.sessions[0].acked.len(), 1);
            j.write(&Event::Load {
                session: "aps1".into(),
                load: 1,
            })
            .unwrap();
        }
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.ends_with("{\"event\":\"load\",\"session\":\"aps1\",\"load\":1}\n"),
            "{text}"
        );
        let (state, _) = JournalState::parse(&text).unwrap();
        assert_eq!(state.sessions[0].acked.len(), 2);
        assert!(matches!(
            Journal::open(&path, "other", false),
            Err(ImportError::JournalMismatch { .. })
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
