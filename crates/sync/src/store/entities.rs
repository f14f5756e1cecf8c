//! What a target's state holds (users, groups, memberships, pending changes): read for
//! planning, written when a session is applied.

use std::collections::{HashMap, HashSet};

use rusqlite::params;

use super::{StateStore, TargetId};
use crate::error::SyncError;
use crate::plan::{Applied, ChangeKind, PendingKey};
use crate::profile::{Canonical, ProfileHash};

/// Which entities of a target [`StateStore::each`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entities {
    /// The users.
    Users,
    /// The groups.
    Groups,
}

/// How much a target's state holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StateCounts {
    /// Active users.
    pub users_active: u64,
    /// Deactivated users.
    pub users_inactive: u64,
    /// Groups.
    pub groups: u64,
    /// Memberships.
    pub memberships: u64,
    /// Changes sent and not yet applied.
    pub pending: u64,
}

fn hash_of(blob: &[u8]) -> ProfileHash {
    let mut bytes = [0u8; 16];
    let n = blob.len().min(16);
    bytes[..n].copy_from_slice(&blob[..n]);
    u128::from_le_bytes(bytes)
}

impl StateStore {
    /// Calls `each` with every user (or group) of the target: its external id, the hash of
    /// the profile Okta last completed, and whether it is active (a group always is). Streams
    /// the rows: nothing is collected, so the caller's structure is the only copy.
    pub fn each(
        &self,
        target: TargetId,
        which: Entities,
        mut each: impl FnMut(&str, ProfileHash, bool),
    ) -> Result<(), SyncError> {
        let (sql, what) = match which {
            Entities::Users => (
                "SELECT external_id, hash, active FROM users WHERE target = ?1",
                "cannot read the users",
            ),
            Entities::Groups => (
                "SELECT external_id, hash, 1 FROM groups WHERE target = ?1",
                "cannot read the groups",
            ),
        };
        let fail = |e| self.error(what, e);
        let mut stmt = self.conn().prepare(sql).map_err(fail)?;
        let mut rows = stmt.query([target.0]).map_err(fail)?;
        while let Some(row) = rows.next().map_err(fail)? {
            let id = row.get_ref(0).and_then(|v| Ok(v.as_str()?)).map_err(fail)?;
            let hash = row
                .get_ref(1)
                .and_then(|v| Ok(v.as_blob()?))
                .map_err(fail)?;
            let active: bool = row.get(2).map_err(fail)?;
            each(id, hash_of(hash), active);
        }
        Ok(())
    }

    /// Every membership of the target, as (group, member) external ids.
    pub fn memberships(&self, target: TargetId) -> Result<HashSet<(String, String)>, SyncError> {
        self.rows(
            "cannot read the memberships",
            "SELECT group_id, member_id FROM memberships WHERE target = ?1",
            [target.0],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    }

    /// The canonical profiles of some users or groups (for attribute-level detail and
    /// leavers' names); ids the state does not know are left out.
    pub fn profiles(
        &self,
        target: TargetId,
        kind: ChangeKind,
        ids: &[&str],
    ) -> Result<HashMap<String, Canonical>, SyncError> {
        let table = match kind {
            ChangeKind::GroupUpsert | ChangeKind::GroupDelete => "groups",
            _ => "users",
        };
        let fail = |e| self.error("cannot read profiles", e);
        let mut stmt = self
            .conn()
            .prepare_cached(&format!(
                "SELECT profile FROM {table} WHERE target = ?1 AND external_id = ?2"
            ))
            .map_err(fail)?;
        let mut out = HashMap::new();
        for id in ids {
            let found: Option<String> = stmt
                .query_row(params![target.0, id], |r| r.get(0))
                .map(Some)
                .or_else(|e| match e {
                    rusqlite::Error::QueryReturnedNoRows => Ok(None),
                    e => Err(e),
                })
                .map_err(fail)?;
            if let Some(profile) = found.as_deref().and_then(Canonical::from_json) {
                out.insert((*id).to_owned(), profile);
            }
        }
        Ok(out)
    }

    /// How much the target's state holds.
    pub fn counts(&self, target: TargetId) -> Result<StateCounts, SyncError> {
        let fail = |e| self.error("cannot count", e);
        let count = |sql: &str| -> Result<u64, SyncError> {
            self.conn()
                .query_row(sql, [target.0], |r| r.get::<_, i64>(0))
                .map(|n| u64::try_from(n).unwrap_or(0))
                .map_err(fail)
        };
        Ok(StateCounts {
            users_active: count("SELECT count(*) FROM users WHERE target = ?1 AND active")?,
            users_inactive: count("SELECT count(*) FROM users WHERE target = ?1 AND NOT active")?,
            groups: count("SELECT count(*) FROM groups WHERE target = ?1")?,
            memberships: count("SELECT count(*) FROM memberships WHERE target = ?1")?,
            pending: count("SELECT count(*) FROM pending WHERE target = ?1")?,
        })
    }

    /// The changes sent and not yet applied.
    pub fn pending(&self, target: TargetId) -> Result<HashSet<PendingKey>, SyncError> {
        let rows: Vec<(String, String, String)> = self.rows(
            "cannot read the pending changes",
            "SELECT kind, key, member FROM pending WHERE target = ?1",
            [target.0],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        let known = |(kind, key, member): (String, String, String)| {
            let kind = ChangeKind::parse(&kind)?;
            Some(PendingKey { kind, key, member })
        };
        Ok(rows.into_iter().filter_map(known).collect())
    }

    /// Records `keys` as sent by run `run` (replacing what an earlier run left pending for
    /// the same keys).
    pub fn record_pending(
        &mut self,
        target: TargetId,
        run: i64,
        keys: impl IntoIterator<Item = PendingKey>,
    ) -> Result<(), SyncError> {
        self.write("cannot record pending changes", |tx| {
            let mut stmt = tx.prepare(
                "INSERT OR REPLACE INTO pending (target, kind, key, member, run)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for k in keys {
                stmt.execute(params![target.0, k.kind.as_str(), k.key, k.member, run])?;
            }
            Ok(())
        })
    }

    /// Writes what a session applied, in one transaction: the state's entities, the end of
    /// their pending records, and a new revision.
    pub fn commit(&mut self, target: TargetId, applied: &Applied) -> Result<(), SyncError> {
        if applied.is_empty() {
            return Ok(());
        }
        self.write("cannot commit applied changes", |tx| {
            for kind in ChangeKind::ALL {
                commit_kind(tx, target.0, kind, applied)?;
            }
            tx.execute(
                "UPDATE targets SET revision = revision + 1 WHERE id = ?1",
                [target.0],
            )?;
            Ok(())
        })
    }
}

/// Clears the pending record of a change of `kind` to `key` (and `member`).
const DONE: &str =
    "DELETE FROM pending WHERE target = ?1 AND kind = ?2 AND key = ?3 AND member = ?4";

/// What applies a change of `kind` to the state. Parameters: the target, the external id
/// (the group's for a membership), then the member, or for an upsert the canonical profile as
/// JSON and its hash.
fn statements(kind: ChangeKind) -> &'static [&'static str] {
    match kind {
        ChangeKind::UserUpsert => &["INSERT OR REPLACE INTO users \
            (target, external_id, profile, hash, active) VALUES (?1, ?2, ?3, ?4, 1)"],
        ChangeKind::UserDeactivate => {
            &["UPDATE users SET active = 0 WHERE target = ?1 AND external_id = ?2"]
        }
        ChangeKind::GroupUpsert => &["INSERT OR REPLACE INTO groups \
            (target, external_id, profile, hash) VALUES (?1, ?2, ?3, ?4)"],
        ChangeKind::GroupDelete => &[
            "DELETE FROM groups WHERE target = ?1 AND external_id = ?2",
            "DELETE FROM memberships WHERE target = ?1 AND group_id = ?2",
        ],
        ChangeKind::MembershipAdd => &["INSERT OR IGNORE INTO memberships \
            (target, group_id, member_id) VALUES (?1, ?2, ?3)"],
        ChangeKind::MembershipRemove => &["DELETE FROM memberships \
            WHERE target = ?1 AND group_id = ?2 AND member_id = ?3"],
    }
}

/// Applies `applied`'s changes of `kind` to the state of `target` and clears their pending
/// records.
fn commit_kind(
    tx: &rusqlite::Transaction<'_>,
    target: i64,
    kind: ChangeKind,
    applied: &Applied,
) -> rusqlite::Result<()> {
    let mut done = tx.prepare_cached(DONE)?;
    let mut stmts = statements(kind)
        .iter()
        .map(|sql| tx.prepare_cached(sql))
        .collect::<rusqlite::Result<Vec<_>>>()?;
    for change in applied.of(kind) {
        for stmt in &mut stmts {
            match change.profile {
                Some(p) => stmt.execute(params![
                    target,
                    change.key,
                    p.to_json(),
                    p.hash().to_le_bytes()
                ])?,
                None if !change.member.is_empty() => {
                    stmt.execute(params![target, change.key, change.member])?
                }
                None => stmt.execute(params![target, change.key])?,
            };
        }
        done.execute(params![target, kind.as_str(), change.key, change.member])?;
    }
    Ok(())
}
