//! The importer's journal in the state file: one row per record, so that a killed apply
//! resumes from the state file alone (no second file to manage).

use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

use okta_idsrc_core::transport::BoxError;
use okta_idsrc_import::JournalStore;

use rusqlite::types::ValueRef;
use rusqlite::{MAIN_DB, OptionalExtension, params};

use super::{StateStore, TargetId};
use crate::error::SyncError;
use crate::plan::Plan;

/// A plan an earlier run started applying and did not finish.
#[derive(Debug, Clone)]
pub struct Unfinished {
    /// The plan's [`id`](crate::Plan::id).
    pub plan_id: String,
    /// The plan.
    pub plan: Option<Plan>,
    /// The run that applied it.
    pub run: Option<i64>,
}

impl StateStore {
    /// The plan being applied to the target, if a run started one and did not finish it.
    pub fn applying(&self, target: TargetId) -> Result<Option<Unfinished>, SyncError> {
        self.conn()
            .query_row(
                "SELECT plan_id, plan, run FROM applying WHERE target = ?1",
                [target.0],
                |r| {
                    Ok(Unfinished {
                        plan_id: r.get(0)?,
                        // A blob since schema 2; text in a plan migrated from 1.
                        plan: match r.get_ref(1)? {
                            ValueRef::Blob(json) | ValueRef::Text(json) => {
                                serde_json::from_slice(json).ok()
                            }
                            _ => None,
                        },
                        run: r.get(2).ok().flatten(),
                    })
                },
            )
            .optional()
            .map_err(|e| self.error("cannot read the plan being applied", e))
    }

    /// Records the plan being applied (`None`: none any more). The plan is streamed into
    /// its row (a first plan of 300,000 users is about 100 MB of JSON): its size is counted
    /// first, then it is written into a blob of that size.
    pub fn set_applying(
        &mut self,
        target: TargetId,
        plan: Option<(&str, &Plan, i64)>,
    ) -> Result<(), SyncError> {
        let what = "cannot record the plan being applied";
        match plan {
            Some((id, plan, run)) => self.write(what, |tx| {
                let mut size = Counted(0);
                serde_json::to_writer(&mut size, plan).expect("a plan serializes");
                tx.execute(
                    "INSERT OR REPLACE INTO applying (target, plan_id, plan, run) \
                     VALUES (?1, ?2, zeroblob(?3), ?4)",
                    params![target.0, id, i64::try_from(size.0).unwrap_or(i64::MAX), run],
                )?;
                let blob = tx.blob_open(MAIN_DB, c"applying", c"plan", target.0, false)?;
                let mut out = std::io::BufWriter::with_capacity(1 << 16, blob);
                serde_json::to_writer(&mut out, plan)
                    .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
                out.flush()
                    .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
            })?,
            None => {
                self.conn()
                    .execute("DELETE FROM applying WHERE target = ?1", [target.0])
                    .map_err(|e| self.error(what, e))?;
            }
        }
        if plan.is_none() {
            self.give_back_free_pages()?;
        }
        Ok(())
    }

    /// The sessions the target's journal records (opened by the run that wrote it).
    pub fn journal_sessions(&self, target: TargetId) -> Result<Vec<String>, SyncError> {
        let records: Vec<String> = self.rows(
            "cannot read the journal",
            "SELECT record FROM journal WHERE target = ?1 ORDER BY seq",
            [target.0],
            |r| r.get(0),
        )?;
        let session = |record: String| {
            let value: serde_json::Value = serde_json::from_str(&record).unwrap_or_default();
            let opened = value["event"] == "session";
            opened
                .then(|| value["session"].as_str())
                .flatten()
                .map(str::to_owned)
        };
        Ok(records.into_iter().filter_map(session).collect())
    }

    /// Forgets the target's journal (its run finished, or its plan was replaced).
    pub fn clear_journal(&mut self, target: TargetId) -> Result<(), SyncError> {
        self.conn()
            .execute("DELETE FROM journal WHERE target = ?1", [target.0])
            .map_err(|e| self.error("cannot clear the journal", e))?;
        Ok(())
    }
}

/// A target's journal in a shared state store, as the importer's [`JournalStore`].
#[derive(Debug)]
pub struct StateJournal {
    store: Arc<Mutex<StateStore>>,
    target: TargetId,
    next: i64,
    name: String,
}

impl StateJournal {
    /// The journal of `target` in `store`.
    pub fn new(store: Arc<Mutex<StateStore>>, target: TargetId) -> Self {
        let name = {
            let s = store.lock().unwrap_or_else(PoisonError::into_inner);
            format!("{} (journal of target {})", s.path().display(), target.0)
        };
        Self {
            store,
            target,
            next: 0,
            name,
        }
    }
}

impl JournalStore for StateJournal {
    fn describe(&self) -> String {
        self.name.clone()
    }

    fn load(&mut self) -> Result<Vec<String>, BoxError> {
        let store = self.store.lock().unwrap_or_else(PoisonError::into_inner);
        let mut stmt = store
            .conn()
            .prepare("SELECT seq, record FROM journal WHERE target = ?1 ORDER BY seq")?;
        let rows = stmt.query_map([self.target.0], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
        })?;
        let mut records = Vec::new();
        for row in rows {
            let (seq, record) = row?;
            self.next = seq + 1;
            records.push(record);
        }
        Ok(records)
    }

    fn append(&mut self, record: &str) -> Result<(), BoxError> {
        let store = self.store.lock().unwrap_or_else(PoisonError::into_inner);
        store.conn().execute(
            "INSERT INTO journal (target, seq, record) VALUES (?1, ?2, ?3)",
            params![self.target.0, self.next, record],
        )?;
        self.next += 1;
        Ok(())
    }
}

/// Counts the bytes written to it.
struct Counted(u64);

impl Write for Counted {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
