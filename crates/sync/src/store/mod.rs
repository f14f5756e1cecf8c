//! The state store: one SQLite file (WAL mode, every change in a transaction) that may hold
//! several targets, everything keyed by (org URL, identity source id); `sqlite3 state.db
//! .tables` shows it.
//!
//! | table | what it holds, per target |
//! |---|---|
//! | `targets` | the org URL, the identity source, the state's revision (bumped by every commit) |
//! | `applying` | while a run applies a plan: its id, the plan itself and the run |
//! | `users` | each user's external id, the canonical profile Okta last completed, its hash, active or deactivated |
//! | `groups` | each group's external id, canonical profile and hash |
//! | `memberships` | the (group, member) pairs Okta holds |
//! | `pending` | changes sent in a session that has not completed (sent again by the next run) |
//! | `runs` | the run history: command, start, end, outcome, counts, sessions, error |
//! | `journal` | the importer's journal of the run in progress, so a killed run resumes |
//!
//! A change is written here only once the session that carried it is applied (COMPLETED, or
//! CLOSED after Okta kept it CREATED because nothing changed).

mod entities;
mod journal;
mod runs;

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

pub use entities::{Entities, StateCounts};
pub use journal::{StateJournal, Unfinished};
pub use runs::{RunOutcome, RunRecord};

use crate::error::SyncError;
use crate::target::Target;

/// The schema's version, in `PRAGMA user_version`. Version 1 kept the plan being applied in
/// the `targets` row, which every commit rewrote whole (SQLite rewrites a row on UPDATE): a
/// first run of 300,000 users spent most of its time rewriting its own plan. A version 1
/// file is migrated on open ([`MIGRATE_1_TO_2`]).
const SCHEMA_VERSION: i64 = 2;

/// Moves the plan being applied out of the `targets` row into `applying` (which [`SCHEMA`]
/// creates first), in one transaction with the version change.
const MIGRATE_1_TO_2: &str = "
BEGIN IMMEDIATE;
INSERT INTO applying (target, plan_id, plan, run)
    SELECT id, applying, applying_plan, applying_run FROM targets WHERE applying IS NOT NULL;
ALTER TABLE targets DROP COLUMN applying;
ALTER TABLE targets DROP COLUMN applying_plan;
ALTER TABLE targets DROP COLUMN applying_run;
PRAGMA user_version = 2;
COMMIT;
";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS targets (
    id INTEGER PRIMARY KEY,
    org_url TEXT NOT NULL,
    identity_source TEXT NOT NULL,
    revision INTEGER NOT NULL DEFAULT 0,
    UNIQUE (org_url, identity_source)
);
CREATE TABLE IF NOT EXISTS applying (
    target INTEGER PRIMARY KEY REFERENCES targets (id),
    plan_id TEXT NOT NULL,
    plan BLOB,
    run INTEGER
);
CREATE TABLE IF NOT EXISTS users (
    target INTEGER NOT NULL REFERENCES targets (id),
    external_id TEXT NOT NULL,
    profile TEXT NOT NULL,
    hash BLOB NOT NULL,
    active INTEGER NOT NULL,
    PRIMARY KEY (target, external_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS groups (
    target INTEGER NOT NULL REFERENCES targets (id),
    external_id TEXT NOT NULL,
    profile TEXT NOT NULL,
    hash BLOB NOT NULL,
    PRIMARY KEY (target, external_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS memberships (
    target INTEGER NOT NULL REFERENCES targets (id),
    group_id TEXT NOT NULL,
    member_id TEXT NOT NULL,
    PRIMARY KEY (target, group_id, member_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pending (
    target INTEGER NOT NULL REFERENCES targets (id),
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    member TEXT NOT NULL DEFAULT '',
    run INTEGER NOT NULL,
    PRIMARY KEY (target, kind, key, member)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    target INTEGER NOT NULL REFERENCES targets (id),
    command TEXT NOT NULL,
    started INTEGER NOT NULL,
    ended INTEGER,
    outcome TEXT,
    counts TEXT,
    sessions TEXT,
    error TEXT
);
CREATE TABLE IF NOT EXISTS journal (
    target INTEGER NOT NULL REFERENCES targets (id),
    seq INTEGER NOT NULL,
    record TEXT NOT NULL,
    PRIMARY KEY (target, seq)
) WITHOUT ROWID;
";

/// The id of a target in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TargetId(pub(crate) i64);

/// An open state file.
#[derive(Debug)]
pub struct StateStore {
    conn: Connection,
    path: PathBuf,
}

impl StateStore {
    /// Opens (or creates) the state file at `path`: WAL mode, the schema, foreign keys on.
    /// A file of another schema version, or not a state file, is an error naming it.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, SyncError> {
        let path = path.as_ref().to_owned();
        let conn =
            Connection::open(&path).map_err(|e| SyncError::store(&path, "cannot open", e))?;
        Self::init(conn, path)
    }

    /// A state store in memory (for tests and dry runs).
    pub fn in_memory() -> Result<Self, SyncError> {
        let path = PathBuf::from(":memory:");
        let conn =
            Connection::open_in_memory().map_err(|e| SyncError::store(&path, "cannot open", e))?;
        Self::init(conn, path)
    }

    fn init(conn: Connection, path: PathBuf) -> Result<Self, SyncError> {
        let fail = |what: &str| {
            let path = path.clone();
            let what = what.to_owned();
            move |e| SyncError::store(&path, &what, e)
        };
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(fail("cannot set a busy timeout"))?;
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(fail("is not a state file (SQLite)"))?;
        if !(0..=SCHEMA_VERSION).contains(&version) {
            return Err(SyncError::Store {
                path,
                message: format!(
                    "has schema version {version}; this okta-idsrc reads version {SCHEMA_VERSION}"
                ),
                source: None,
            });
        }
        if version == 0 {
            // Before the first table: pages freed (a finished run's plan and journal) can be
            // given back to the file system (`incremental_vacuum` after each run).
            conn.pragma_update(None, "auto_vacuum", "INCREMENTAL")
                .map_err(fail("cannot set auto_vacuum"))?;
        }
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(fail("cannot switch to WAL mode"))?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(fail("cannot set synchronous"))?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(fail("cannot enable foreign keys"))?;
        conn.execute_batch(SCHEMA)
            .map_err(fail("cannot create the schema"))?;
        if version == 1 {
            conn.execute_batch(MIGRATE_1_TO_2)
                .map_err(fail("cannot migrate the state from schema version 1"))?;
        }
        conn.pragma_update(None, "user_version", SCHEMA_VERSION)
            .map_err(fail("cannot record the schema version"))?;
        Ok(Self { conn, path })
    }

    /// Gives the file's free pages (a finished run's plan and journal) back to the file
    /// system. SQLite frees one page per step of `incremental_vacuum`: it runs to the end.
    pub(crate) fn give_back_free_pages(&self) -> Result<(), SyncError> {
        let fail = |e| self.error("cannot give back free pages", e);
        let mut stmt = self
            .conn()
            .prepare("PRAGMA incremental_vacuum")
            .map_err(fail)?;
        let mut rows = stmt.query([]).map_err(fail)?;
        while rows.next().map_err(fail)?.is_some() {}
        Ok(())
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn error(&self, what: &str, e: rusqlite::Error) -> SyncError {
        SyncError::store(&self.path, what, e)
    }

    /// The target's id, created on first use.
    pub fn target(&mut self, target: &Target) -> Result<TargetId, SyncError> {
        let params = params![target.org_url(), target.identity_source()];
        self.write("cannot add the target", |tx| {
            let found: Option<i64> = tx
                .query_row(
                    "SELECT id FROM targets WHERE org_url = ?1 AND identity_source = ?2",
                    params,
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(id) = found {
                return Ok(TargetId(id));
            }
            tx.execute(
                "INSERT INTO targets (org_url, identity_source) VALUES (?1, ?2)",
                params,
            )?;
            Ok(TargetId(tx.last_insert_rowid()))
        })
    }

    /// Runs `change` in one transaction (taking the write lock at once) and commits it;
    /// `what` names a failure, after which nothing of `change` is kept.
    pub(crate) fn write<T>(
        &mut self,
        what: &str,
        change: impl FnOnce(&rusqlite::Transaction<'_>) -> rusqlite::Result<T>,
    ) -> Result<T, SyncError> {
        let run = |conn: &mut Connection| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let out = change(&tx)?;
            tx.commit()?;
            Ok(out)
        };
        run(&mut self.conn).map_err(|e| self.error(what, e))
    }

    /// The targets the file holds.
    pub fn targets(&self) -> Result<Vec<(TargetId, Target)>, SyncError> {
        self.rows(
            "cannot read the targets",
            "SELECT id, org_url, identity_source FROM targets ORDER BY id",
            [],
            |r| {
                Ok((
                    TargetId(r.get(0)?),
                    Target::new_unchecked(r.get(1)?, r.get(2)?),
                ))
            },
        )
    }

    /// The target's revision: bumped by every change committed to its state.
    pub fn revision(&self, target: TargetId) -> Result<u64, SyncError> {
        self.conn
            .query_row(
                "SELECT revision FROM targets WHERE id = ?1",
                [target.0],
                |r| r.get::<_, i64>(0),
            )
            .map(|r| u64::try_from(r).unwrap_or(0))
            .map_err(|e| self.error("cannot read the revision", e))
    }

    /// The rows `sql` returns for `params`, each made by `row`; `what` names a failure.
    pub(crate) fn rows<T, C: FromIterator<T>>(
        &self,
        what: &str,
        sql: &str,
        params: impl rusqlite::Params,
        row: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<C, SyncError> {
        let fail = |e| self.error(what, e);
        let mut stmt = self.conn.prepare(sql).map_err(fail)?;
        let rows = stmt.query_map(params, row).map_err(fail)?;
        rows.collect::<Result<C, _>>().map_err(fail)
    }

    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_kept_apart_and_the_schema_is_versioned() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let a = Target::new("https://a.okta.com", "0oa1").unwrap();
        let b = Target::new("https://b.okta.com", "0oa1").unwrap();
        {
            let mut store = StateStore::open(&path).unwrap();
            let ta = store.target(&a).unwrap();
            let tb = store.target(&b).unwrap();
            assert_ne!(ta, tb);
            assert_eq!(store.target(&a).unwrap(), ta);
            assert_eq!(store.revision(ta).unwrap(), 0);
        }
        let store = StateStore::open(&path).unwrap();
        assert_eq!(store.targets().unwrap().len(), 2);
        store
            .conn()
            .pragma_update(None, "user_version", 99)
            .unwrap();
        drop(store);
        let e = StateStore::open(&path).unwrap_err();
        assert!(e.to_string().contains("schema version 99"), "{e}");
        std::fs::write(
            dir.path().join("not.db"),
            "hello, this is not SQLite at all........",
        )
        .unwrap();
        let e = StateStore::open(dir.path().join("not.db")).unwrap_err();
        assert!(e.to_string().contains("not.db"), "{e}");
    }

    #[test]
    fn a_version_1_file_is_migrated_with_its_unfinished_plan() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        {
            // The version 1 schema of `targets`: the plan being applied in the target's row.
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(
                "CREATE TABLE targets (
                    id INTEGER PRIMARY KEY,
                    org_url TEXT NOT NULL,
                    identity_source TEXT NOT NULL,
                    revision INTEGER NOT NULL DEFAULT 0,
                    applying TEXT,
                    applying_plan TEXT,
                    applying_run INTEGER,
                    UNIQUE (org_url, identity_source)
                );
                INSERT INTO targets VALUES (1, 'https://a.okta.com', '0oa1', 7, 'plan-1', '{}', 3);
                INSERT INTO targets VALUES (2, 'https://b.okta.com', '0oa1', 2, NULL, NULL, NULL);
                PRAGMA user_version = 1;",
            )
            .unwrap();
        }
        let store = StateStore::open(&path).unwrap();
        let version: i64 = store
            .conn()
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
        let [a, b] = [1, 2].map(TargetId);
        let unfinished = store.applying(a).unwrap().expect("the unfinished plan");
        assert_eq!(
            (unfinished.plan_id.as_str(), unfinished.run),
            ("plan-1", Some(3))
        );
        let text: String = store
            .conn()
            .query_row("SELECT plan FROM applying WHERE target = 1", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(text, "{}", "the plan's text is moved as it was");
        assert!(store.applying(b).unwrap().is_none());
        assert_eq!(store.revision(a).unwrap(), 7);
        let columns: i64 = store
            .conn()
            .query_row(
                "SELECT count(*) FROM pragma_table_info('targets') WHERE name LIKE 'applying%'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(columns, 0, "the targets row no longer holds the plan");
    }

    #[test]
    fn a_finished_runs_pages_go_back_to_the_file_system() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let mut store = StateStore::open(&path).unwrap();
        let t = store
            .target(&Target::new("https://a.okta.com", "0oa1").unwrap())
            .unwrap();
        let record = "x".repeat(2_000);
        for seq in 0..2_000 {
            store
                .conn()
                .execute(
                    "INSERT INTO journal (target, seq, record) VALUES (?1, ?2, ?3)",
                    rusqlite::params![t.0, seq, record],
                )
                .unwrap();
        }
        let pages = |s: &StateStore, what: &str| -> i64 {
            s.conn()
                .pragma_query_value(None, what, |r| r.get(0))
                .unwrap()
        };
        let full = pages(&store, "page_count");
        store.clear_journal(t).unwrap();
        assert!(
            pages(&store, "freelist_count") > 900,
            "the journal's pages are free"
        );
        store.set_applying(t, None).unwrap();
        assert_eq!(pages(&store, "freelist_count"), 0);
        assert!(pages(&store, "page_count") < full / 10);
        drop(store);
    }
}
