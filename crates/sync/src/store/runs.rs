//! The run history: one row per `sync apply` or `sync run`, from its start to its outcome.

use std::fmt;

use rusqlite::params;
use serde::Serialize;

use super::{StateStore, TargetId};
use crate::error::SyncError;

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum RunOutcome {
    /// Every change of the plan is applied (or there was nothing to do).
    Done,
    /// Held by a safeguard: nothing was sent.
    Held,
    /// Stopped by an import or API failure; what was applied is committed, the rest pending.
    Failed,
    /// Still running, or killed: no end was recorded.
    Unfinished,
}

impl RunOutcome {
    /// The outcome's name in the state and in JSON: `done`, `held`, `failed`, `unfinished`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Done => "done",
            Self::Held => "held",
            Self::Failed => "failed",
            Self::Unfinished => "unfinished",
        }
    }

    fn parse(s: Option<&str>) -> Self {
        match s {
            Some("done") => Self::Done,
            Some("held") => Self::Held,
            Some("failed") => Self::Failed,
            _ => Self::Unfinished,
        }
    }
}

impl fmt::Display for RunOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One run, as the history holds it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RunRecord {
    /// The run's number.
    pub id: i64,
    /// `apply` or `run`.
    pub command: String,
    /// Start, in Unix seconds.
    pub started: u64,
    /// End, in Unix seconds (`None`: unfinished).
    pub ended: Option<u64>,
    /// How it ended.
    pub outcome: RunOutcome,
    /// What it did, as its report's counts (JSON).
    pub counts: Option<serde_json::Value>,
    /// Its sessions (JSON).
    pub sessions: Option<serde_json::Value>,
    /// Why it failed.
    pub error: Option<String>,
}

impl StateStore {
    /// Records the start of a run; returns its number.
    pub fn begin_run(
        &mut self,
        target: TargetId,
        command: &str,
        started: u64,
    ) -> Result<i64, SyncError> {
        self.conn()
            .execute(
                "INSERT INTO runs (target, command, started) VALUES (?1, ?2, ?3)",
                params![
                    target.0,
                    command,
                    i64::try_from(started).unwrap_or(i64::MAX)
                ],
            )
            .map_err(|e| self.error("cannot record the run", e))?;
        Ok(self.conn().last_insert_rowid())
    }

    /// Records how run `run` ended.
    pub fn end_run(
        &mut self,
        run: i64,
        outcome: RunOutcome,
        ended: u64,
        counts: &serde_json::Value,
        sessions: &serde_json::Value,
        error: Option<&str>,
    ) -> Result<(), SyncError> {
        self.conn()
            .execute(
                "UPDATE runs SET ended = ?2, outcome = ?3, counts = ?4, sessions = ?5, error = ?6
                 WHERE id = ?1",
                params![
                    run,
                    i64::try_from(ended).unwrap_or(i64::MAX),
                    outcome.as_str(),
                    counts.to_string(),
                    sessions.to_string(),
                    error
                ],
            )
            .map_err(|e| self.error("cannot record the end of the run", e))?;
        Ok(())
    }

    /// The target's last `n` runs, newest first.
    pub fn runs(&self, target: TargetId, n: usize) -> Result<Vec<RunRecord>, SyncError> {
        let json = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
        self.rows(
            "cannot read the run history",
            "SELECT id, command, started, ended, outcome, counts, sessions, error FROM runs
             WHERE target = ?1 ORDER BY id DESC LIMIT ?2",
            params![target.0, i64::try_from(n).unwrap_or(i64::MAX)],
            |r| {
                Ok(RunRecord {
                    id: r.get(0)?,
                    command: r.get(1)?,
                    started: u64::try_from(r.get::<_, i64>(2)?).unwrap_or(0),
                    ended: r
                        .get::<_, Option<i64>>(3)?
                        .map(|t| u64::try_from(t).unwrap_or(0)),
                    outcome: RunOutcome::parse(r.get::<_, Option<String>>(4)?.as_deref()),
                    counts: json(r.get(5)?),
                    sessions: json(r.get(6)?),
                    error: r.get(7)?,
                })
            },
        )
    }
}
