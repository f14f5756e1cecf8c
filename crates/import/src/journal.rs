//! The journal: an append-only log of JSON records of what a run did, so that a run killed at
//! any point can be started again and continue where it stopped. The format is described in
//! the [crate docs](crate). Records are kept by a [`JournalStore`]: a file ([`FileJournal`],
//! `--journal`) or anything else (the sync keeps them in its state database).

use std::collections::{BTreeSet, HashSet};
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use okta_idsrc_core::transport::BoxError;
use serde::{Deserialize, Serialize};

use super::error::ImportError;

/// The journal format's version: 2 binds a journal to its org and identity source.
pub(crate) const JOURNAL_VERSION: u32 = 2;

/// Where a journal's records are kept, in order. A record is one line of JSON.
pub trait JournalStore: Send {
    /// The journal's name in messages (a file's path).
    fn describe(&self) -> String;
    /// Every complete record written so far, in order (a record torn by a kill is dropped,
    /// and the store made ready to append after the last complete one).
    fn load(&mut self) -> Result<Vec<String>, BoxError>;
    /// Appends one record; it has reached the store (as durably as it promises) when this
    /// returns. A failure is reported at once: the run stops.
    fn append(&mut self, record: &str) -> Result<(), BoxError>;
}

/// A journal store shared with its owner (who may read it after the run).
pub type SharedJournal = Arc<Mutex<dyn JournalStore>>;

/// A journal file: one record a line, each written with one `write` call (so it reaches the
/// operating system before the importer goes on and survives the process being killed), and
/// `fsync`ed after each record when asked.
#[derive(Debug)]
pub struct FileJournal {
    path: PathBuf,
    file: File,
    sync: bool,
}

impl FileJournal {
    /// Opens (or creates) the journal file at `path`. Only a regular file can be a journal:
    /// a directory, a device or a FIFO is refused.
    pub fn open(path: &Path, sync: bool) -> Result<Self, ImportError> {
        let io = |message: &str, e: std::io::Error| ImportError::journal(path, message, Some(e));
        match std::fs::metadata(path) {
            Ok(m) if !m.is_file() => {
                return Err(ImportError::journal(
                    path,
                    "is not a regular file (a journal must be one)",
                    None,
                ));
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io("cannot read", e)),
        }
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(|e| io("cannot open", e))?;
        Ok(Self {
            path: path.to_owned(),
            file,
            sync,
        })
    }
}

impl JournalStore for FileJournal {
    fn describe(&self) -> String {
        self.path.display().to_string()
    }

    fn load(&mut self) -> Result<Vec<String>, BoxError> {
        let mut text = String::new();
        self.file.read_to_string(&mut text)?;
        let mut records = Vec::new();
        let mut keep = 0;
        let mut rest = text.as_str();
        while !rest.is_empty() {
            let (line, complete) = match rest.find('\n') {
                Some(i) => (&rest[..i], true),
                None => (rest, false),
            };
            let consumed = if complete { line.len() + 1 } else { line.len() };
            rest = &rest[consumed..];
            // A last line cut short by a kill (no newline, not JSON) is dropped.
            if !complete && serde_json::from_str::<serde_json::Value>(line).is_err() {
                break;
            }
            keep += consumed;
            if !line.trim().is_empty() {
                records.push(line.to_owned());
            }
        }
        if keep < text.len() {
            // Cut off the torn record, so that the next one starts on its own line.
            self.file.set_len(keep as u64)?;
        } else if !text.is_empty() && !text.ends_with('\n') {
            self.file.write_all(b"\n")?;
        }
        Ok(records)
    }

    fn append(&mut self, record: &str) -> Result<(), BoxError> {
        let mut line = Vec::with_capacity(record.len() + 1);
        line.extend_from_slice(record.as_bytes());
        line.push(b'\n');
        self.file.write_all(&line)?;
        if self.sync {
            self.file.sync_data()?;
        }
        Ok(())
    }
}

/// One journal record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "event",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub(crate) enum Event {
    /// A journal starts: the format's version, the input's fingerprint, and the target.
    Start {
        input: String,
        version: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        org: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        identity_source: Option<String>,
    },
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

/// What a journal's start record says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct JournalStart {
    pub fingerprint: String,
    pub version: u32,
    pub org: Option<String>,
    pub identity_source: Option<String>,
}

/// What a journal says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct JournalState {
    /// Its start record.
    pub start: Option<JournalStart>,
    /// Its sessions, in the order they were opened.
    pub sessions: Vec<JournalSession>,
    /// Whether the last session-related record is a `creating` no session followed.
    pub creating_pending: bool,
}

impl JournalState {
    /// Reads a journal's records.
    pub(crate) fn parse(records: &[String]) -> Result<Self, String> {
        let mut state = Self::default();
        for (i, record) in records.iter().enumerate() {
            let event = serde_json::from_str::<Event>(record)
                .map_err(|e| format!("record {} is not a journal record: {e}", i + 1))?;
            state.apply(event);
        }
        Ok(state)
    }

    /// The fingerprint of the input it is for.
    #[cfg(test)]
    pub(crate) fn fingerprint(&self) -> Option<&str> {
        self.start.as_ref().map(|s| s.fingerprint.as_str())
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
            Event::Start {
                input,
                version,
                org,
                identity_source,
            } => {
                if self.start.is_none() {
                    self.start = Some(JournalStart {
                        fingerprint: input,
                        version,
                        org,
                        identity_source,
                    });
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

/// The open journal of a run, bound to its input and its target.
pub(crate) struct Journal {
    store: SharedJournal,
    name: String,
}

/// The target a journal is for: the org URL and the identity source.
pub(crate) struct JournalTarget<'a> {
    pub org: &'a str,
    pub identity_source: &'a str,
}

fn lock(store: &SharedJournal) -> std::sync::MutexGuard<'_, dyn JournalStore + 'static> {
    store.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Journal {
    /// Opens the journal in `store` for the input with `fingerprint` into `target`; returns it
    /// and what it already says. A journal of another input, of another target, or of an
    /// unknown version is refused.
    pub(crate) fn open(
        store: SharedJournal,
        fingerprint: &str,
        target: &JournalTarget<'_>,
    ) -> Result<(Self, JournalState), ImportError> {
        let name = lock(&store).describe();
        let fail = |message: String| ImportError::Journal {
            path: PathBuf::from(&name),
            message,
            source: None,
        };
        let records = lock(&store)
            .load()
            .map_err(|e| fail(format!("cannot read: {e}")))?;
        let state = JournalState::parse(&records).map_err(fail)?;
        match &state.start {
            Some(start) => {
                if start.version != JOURNAL_VERSION {
                    return Err(ImportError::JournalVersion {
                        path: PathBuf::from(&name),
                        found: start.version,
                        expected: JOURNAL_VERSION,
                    });
                }
                let found = (start.org.as_deref(), start.identity_source.as_deref());
                if found != (Some(target.org), Some(target.identity_source)) {
                    return Err(ImportError::JournalTarget {
                        path: PathBuf::from(&name),
                        found: format!(
                            "identity source {} at {}",
                            found.1.unwrap_or("?"),
                            found.0.unwrap_or("?")
                        ),
                        expected: format!(
                            "identity source {} at {}",
                            target.identity_source, target.org
                        ),
                    });
                }
                if start.fingerprint != fingerprint {
                    return Err(ImportError::JournalMismatch {
                        path: PathBuf::from(&name),
                        expected: fingerprint.to_owned(),
                        found: start.fingerprint.clone(),
                    });
                }
            }
            None if !state.sessions.is_empty() => {
                return Err(fail("has no start record".to_owned()));
            }
            None => {}
        }
        let mut journal = Self { store, name };
        if state.start.is_none() {
            journal.write(&Event::Start {
                input: fingerprint.to_owned(),
                version: JOURNAL_VERSION,
                org: Some(target.org.to_owned()),
                identity_source: Some(target.identity_source.to_owned()),
            })?;
        }
        Ok((journal, state))
    }

    /// Appends `event`.
    pub(crate) fn write(&mut self, event: &Event) -> Result<(), ImportError> {
        let record = serde_json::to_string(event).expect("journal events serialize");
        lock(&self.store)
            .append(&record)
            .map_err(|e| ImportError::Journal {
                path: PathBuf::from(&self.name),
                message: format!("cannot write: {e}"),
                source: None,
            })
    }
}

#[cfg(test)]
mod tests;
