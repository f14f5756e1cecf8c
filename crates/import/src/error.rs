//! [`ImportError`]: why a run stopped.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use okta_idsrc_core::models::IdentitySourceSessionStatus;

use super::input::InputError;
use super::report::{SessionReport, write_first};

/// Why an import stopped. Messages name what and where (source, line, field, session,
/// load), never a token or a profile. `Display` does not repeat the
/// [`source`](std::error::Error::source): print the chain.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// Invalid entities, with [`InvalidPolicy::Stop`](super::InvalidPolicy::Stop): nothing
    /// was sent.
    #[error("{}", InvalidSummary { problems, total: *total })]
    InvalidInput {
        /// The problems, in input order (at most
        /// [`max_reported_problems`](super::ImportOptions::max_reported_problems)).
        problems: Vec<InputError>,
        /// Invalid entities, all of them.
        total: u64,
    },
    /// The input holds no entity to import (or, with
    /// [`InvalidPolicy::Skip`](super::InvalidPolicy::Skip), only invalid ones).
    #[error("the input holds no entity to import{}", if *skipped > 0 { format!(" ({skipped} invalid entities skipped)") } else { String::new() })]
    EmptyInput {
        /// Invalid entities skipped.
        skipped: u64,
    },
    /// A source could not be opened or read.
    #[error("cannot read the input: {0}")]
    Input(InputError),
    /// A source yielded something else on the upload pass than on the validation pass.
    #[error("the input changed while it was being imported: {message}")]
    InputChanged {
        /// What differs.
        message: String,
    },
    /// The identity source has an active session that this run did not start, and it is
    /// not to be cancelled: [`cancel_stale`](super::ImportOptions::cancel_stale) is off, or
    /// the session is not stale by evidence (updated within
    /// [`stale_after`](super::ImportOptions::stale_after), or of unknown age).
    #[error("{}", StaleSummary { id, status, age: *age, stale_after: *stale_after, cancel_stale: *cancel_stale })]
    StaleSession {
        /// The session id.
        id: String,
        /// Its status (CREATED or IN_PROGRESS).
        status: IdentitySourceSessionStatus,
        /// How long ago Okta last updated it (`None`: Okta gave no readable `lastUpdated`).
        age: Option<Duration>,
        /// The age from which it counts as stale.
        stale_after: Duration,
        /// Whether the run was allowed to cancel a stale session.
        cancel_stale: bool,
    },
    /// A session failed (ERROR, EXPIRED, or closed under the importer) more often than
    /// [`session_retries`](super::ImportOptions::session_retries) allows.
    #[error("{session}; giving up after {attempts} sessions failed in a row")]
    SessionFailed {
        /// The last failed session and what it held.
        session: Box<SessionReport>,
        /// Sessions that failed in a row.
        attempts: u32,
    },
    /// The journal records another input (or another policy).
    #[error(
        "journal {} records another input (fingerprint {found}, this input's is {expected}); \
         use a new journal file for a new input",
        path.display()
    )]
    JournalMismatch {
        /// The journal file.
        path: PathBuf,
        /// This input's fingerprint.
        expected: String,
        /// The journal's.
        found: String,
    },
    /// The journal is of a format version this build does not read.
    #[error(
        "journal {} is of journal format version {found}; this okta-idsrc reads version {expected}: use a new journal file",
        path.display()
    )]
    JournalVersion {
        /// The journal.
        path: PathBuf,
        /// The version the journal records.
        found: u32,
        /// The version this build writes and reads.
        expected: u32,
    },
    /// The journal was written for another org or identity source.
    #[error(
        "journal {} belongs to {found}, not to {expected}; use a new journal file for another target",
        path.display()
    )]
    JournalTarget {
        /// The journal.
        path: PathBuf,
        /// The target the journal records.
        found: String,
        /// This run's target.
        expected: String,
    },
    /// The [`on_applied`](super::ImportOptions::on_applied) callback failed to record an
    /// applied session (the run stops: what it did not record is sent again next time).
    #[error("recording what a session applied failed")]
    Recording {
        /// The callback's error.
        #[source]
        source: okta_idsrc_core::transport::BoxError,
    },
    /// The journal could not be read or written.
    #[error("journal {}: {message}", path.display())]
    Journal {
        /// The journal file.
        path: PathBuf,
        /// What failed.
        message: String,
        /// The I/O error, if any.
        #[source]
        source: Option<std::io::Error>,
    },
    /// A request failed for good (after the retry layer's and the importer's retries).
    #[error("{doing}")]
    Api {
        /// What the importer was doing (`uploading load 12 (users.csv lines 2401–2600) to
        /// session aps…`).
        doing: String,
        /// The client's error.
        #[source]
        source: okta_idsrc_core::Error,
    },
    /// Okta answered in a way the importer cannot make progress with.
    #[error("{message}")]
    Unexpected {
        /// What happened.
        message: String,
    },
    /// Okta kept refusing to open a session (its cool-down after the last one) for longer
    /// than [`cooldown_max_wait`](super::ImportOptions::cooldown_max_wait).
    #[error("no session could be opened within {waited:?}: Okta keeps refusing new sessions")]
    CooldownTimeout {
        /// How long the importer waited.
        waited: Duration,
        /// Okta's last answer.
        #[source]
        source: okta_idsrc_core::Error,
    },
}

impl ImportError {
    pub(crate) fn api(doing: impl Into<String>, source: okta_idsrc_core::Error) -> Self {
        Self::Api {
            doing: doing.into(),
            source,
        }
    }

    pub(crate) fn journal(
        path: &std::path::Path,
        message: impl Into<String>,
        source: Option<std::io::Error>,
    ) -> Self {
        Self::Journal {
            path: path.to_owned(),
            message: message.into(),
            source,
        }
    }
}

/// `95 s` as `1 min`, `7200 s` as `2 h 0 min`: a session's age, to the minute.
pub(crate) fn minutes(d: Duration) -> String {
    let m = d.as_secs() / 60;
    match m {
        0 => format!("{} s", d.as_secs()),
        1..=59 => format!("{m} min"),
        _ => format!("{} h {} min", m / 60, m % 60),
    }
}

/// Why an active session stops the run, and what to do about it.
struct StaleSummary<'a> {
    id: &'a str,
    status: &'a IdentitySourceSessionStatus,
    age: Option<Duration>,
    stale_after: Duration,
    cancel_stale: bool,
}

impl fmt::Display for StaleSummary<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "identity source has an active session {} in status {} that this import did not start",
            self.id,
            self.status.as_str()
        )?;
        let limit = minutes(self.stale_after);
        match self.age {
            Some(age) if age >= self.stale_after => write!(
                f,
                "; it was last updated {} ago (no load for {limit} or more), so it is stale: \
                 run with --cancel-stale to cancel it",
                minutes(age)
            ),
            Some(age) => write!(
                f,
                "; it was last updated {} ago, so another run may be feeding it{}: wait for it \
                 to finish (it counts as stale once nothing updates it for {limit})",
                minutes(age),
                if self.cancel_stale {
                    " and it is not cancelled"
                } else {
                    ""
                }
            ),
            None => write!(
                f,
                "; Okta gives no time of its last update, so nothing shows it is stale{}: if no \
                 other run feeds it, cancel it with `okta-idsrc sessions cancel {}`",
                if self.cancel_stale {
                    " and it is not cancelled"
                } else {
                    ""
                },
                self.id
            ),
        }
    }
}

/// The first problems and the count.
struct InvalidSummary<'a> {
    problems: &'a [InputError],
    total: u64,
}

impl fmt::Display for InvalidSummary<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let entities = if self.total == 1 {
            "entity"
        } else {
            "entities"
        };
        write!(f, "{} invalid {entities}; nothing was sent", self.total)?;
        if self.problems.is_empty() {
            return Ok(());
        }
        f.write_str("; ")?;
        write_first(f, self.problems, 3, "; ", |n| {
            format!("; and {n} more problems")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_input_names_lines() {
        let e = ImportError::InvalidInput {
            problems: vec![
                InputError::new("users.csv", "is 3 characters; at least 5 required")
                    .at_line(3)
                    .in_field("email"),
            ],
            total: 1,
        };
        assert_eq!(
            e.to_string(),
            "1 invalid entity; nothing was sent; users.csv line 3, column email: is 3 characters; at least 5 required"
        );
        assert_eq!(
            ImportError::EmptyInput { skipped: 0 }.to_string(),
            "the input holds no entity to import"
        );
    }
}
