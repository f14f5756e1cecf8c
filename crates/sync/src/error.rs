//! [`SyncError`]: why a plan could not be made or applied, with the exit code the CLI gives
//! it.

use std::path::{Path, PathBuf};

use okta_idsrc_import::{ImportError, InputError};

/// Why a sync stopped. Messages name what and where, never a token or a profile.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    /// The state file could not be opened, read or written.
    #[error("state file {}: {message}", path.display())]
    Store {
        /// The state file.
        path: PathBuf,
        /// What failed.
        message: String,
        /// SQLite's error.
        #[source]
        source: Option<rusqlite::Error>,
    },
    /// Another sync holds the state file.
    #[error("{}: {message}", path.display())]
    Lock {
        /// The lock file.
        path: PathBuf,
        /// Who holds it, or what failed.
        message: String,
    },
    /// The snapshot holds invalid records: nothing was planned.
    #[error("{} invalid {}; nothing was planned", total, if *total == 1 { "record" } else { "records" })]
    InvalidInput {
        /// The problems, in input order (capped).
        problems: Vec<InputError>,
        /// How many, all of them.
        total: u64,
    },
    /// A source could not be read.
    #[error("cannot read the input: {0}")]
    Input(InputError),
    /// A plan file that cannot be read or was made for something else.
    #[error("plan {}: {message}", path.display())]
    Plan {
        /// The plan file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The state moved since the plan was made.
    #[error(
        "the plan was made at state revision {planned}; the state is at revision {now} now. \
         Make a new plan (sync plan) and review it"
    )]
    StalePlan {
        /// The plan's revision.
        planned: u64,
        /// The state's revision now.
        now: u64,
    },
    /// The plan crosses a safeguard and deletions were not allowed: nothing was sent. The
    /// text is the [`Held`](crate::plan::Held) safeguard's, which says how to go on.
    #[error("held by a safeguard: {0}; nothing was sent")]
    Held(String),
    /// The import failed; what was applied before is committed to the state.
    #[error(transparent)]
    Import(#[from] ImportError),
}

impl SyncError {
    pub(crate) fn store(path: &Path, message: &str, source: rusqlite::Error) -> Self {
        Self::Store {
            path: path.to_owned(),
            message: message.to_owned(),
            source: Some(source),
        }
    }

    /// The exit code the CLI gives: 2 for input and usage problems, 3 for a plan held by a
    /// safeguard, 1 for everything else (state, lock, import or API failures).
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::InvalidInput { .. }
            | Self::Input(_)
            | Self::Plan { .. }
            | Self::StalePlan { .. } => 2,
            Self::Held(_) => 3,
            Self::Import(ImportError::InvalidInput { .. } | ImportError::EmptyInput { .. }) => 2,
            _ => 1,
        }
    }
}

pub(crate) use okta_idsrc_core::error::chain;
