//! [`Plan`]: the difference between a snapshot of the HR source and what the state says Okta
//! last completed — what a sync would send, as a typed value (and a JSON file for review).
//!
//! - A user new, changed (its canonical profile differs from the last completed one),
//!   deactivated and back, or left pending by an earlier run → an upsert; unchanged → nothing.
//! - A user active in the state and absent from the snapshot → a deactivation.
//! - Groups likewise (with `--groups`): new or changed → upsert, absent → delete.
//! - Memberships as set differences (with `--memberships`): adds and removals.
//!
//! A plan over a safeguard is [`held`](Plan::held): applying it sends nothing unless deletions
//! are allowed.

mod compute;
mod display;
mod planned;
mod upserts;

use std::collections::HashMap;
use std::fmt;

use okta_idsrc_core::models::{
    BulkGroupUpsertRequestBodyProfilesInner, BulkUpsertRequestBodyProfilesInner,
};
use serde::{Deserialize, Serialize};

pub use compute::{PlanOptions, Snapshot, plan};
pub use planned::{Planned, PlannedModel};
pub(crate) use upserts::Upsert;

use crate::profile::Canonical;
use crate::store::StateCounts;
use crate::target::Target;

/// The plan file format's version.
pub const PLAN_VERSION: u32 = 1;

/// The six kinds of change a plan holds, in the order they are applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ChangeKind {
    /// A user created or updated.
    UserUpsert,
    /// A group created or updated.
    GroupUpsert,
    /// A member added to a group.
    MembershipAdd,
    /// A member removed from a group.
    MembershipRemove,
    /// A group deleted.
    GroupDelete,
    /// A user deactivated.
    UserDeactivate,
}

impl ChangeKind {
    /// Every kind, in the order they are applied.
    pub const ALL: [ChangeKind; 6] = [
        Self::UserUpsert,
        Self::GroupUpsert,
        Self::MembershipAdd,
        Self::MembershipRemove,
        Self::GroupDelete,
        Self::UserDeactivate,
    ];

    /// The name the state and the JSON use: `userUpsert`, …
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UserUpsert => "userUpsert",
            Self::GroupUpsert => "groupUpsert",
            Self::MembershipAdd => "membershipAdd",
            Self::MembershipRemove => "membershipRemove",
            Self::GroupDelete => "groupDelete",
            Self::UserDeactivate => "userDeactivate",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl fmt::Display for ChangeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an entity is upserted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Reason {
    /// The state does not know it.
    New,
    /// Its profile differs from the one Okta last completed.
    Changed,
    /// The state knows it deactivated; it is back in the snapshot.
    Reactivated,
    /// An earlier run sent it and its session did not complete: sent again.
    Pending,
    /// Unchanged, sent anyway (`--full`).
    Refresh,
}

/// A user to upsert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserUpsert {
    /// Why.
    pub reason: Reason,
    /// The user, as sent.
    pub user: Planned<BulkUpsertRequestBodyProfilesInner>,
    /// Attribute-level changes (`title: "Engineer" → "Senior Engineer"`), for the first
    /// changes of the plan only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub detail: Vec<String>,
}

/// A group to upsert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupUpsert {
    /// Why.
    pub reason: Reason,
    /// The group, as sent.
    pub group: Planned<BulkGroupUpsertRequestBodyProfilesInner>,
    /// Attribute-level changes, for the first changes of the plan only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub detail: Vec<String>,
}

/// A user or group leaving: its external id and, when the state knows it, its name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Leaver {
    /// The external id.
    pub external_id: String,
    /// The name the state last knew (`First Last`, else the user name; a group's display
    /// name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Whether an earlier run sent it and its session did not complete.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pending: bool,
}

/// A (group, member) pair.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Membership {
    /// The group's external id.
    pub group: String,
    /// The member's (user's) external id.
    pub member: String,
}

/// The safeguard a plan crosses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Held {
    /// Which kind of deletion (or `snapshot` for an empty one).
    pub what: String,
    /// How many the plan has.
    pub planned: u64,
    /// The most allowed.
    pub allowed: u64,
    /// How the limit was set (`default: the larger of 10 and 5 % of 2,000 users`).
    pub rule: String,
}

impl Held {
    /// Whether it still holds the plan when deletions are `allowed` (`--allow-deletions`):
    /// an empty snapshot file always does, a crossed threshold only when not allowed.
    pub fn holds(&self, allowed: bool) -> bool {
        self.what == "snapshot" || !allowed
    }
}

impl fmt::Display for Held {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.what == "snapshot" {
            return write!(f, "{} (check the export)", self.rule);
        }
        write!(
            f,
            "{} {} planned, at most {} allowed ({}; --allow-deletions lets one run through)",
            self.planned, self.what, self.allowed, self.rule
        )
    }
}

/// A plan: computed against one revision of one target's state, from one input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Plan {
    /// The plan format's version ([`PLAN_VERSION`]).
    pub version: u32,
    /// The org and identity source.
    pub target: Target,
    /// The state revision it was computed against; applying it refuses another.
    pub revision: u64,
    /// The fingerprint of the snapshot it was computed from.
    pub input: String,
    /// Whether every entity of the snapshot is sent (`--full`).
    pub full: bool,
    /// What the state held.
    pub state: StateCounts,
    /// Entities in the snapshot: users, groups, memberships.
    pub snapshot: SnapshotCounts,
    /// Users to create or update.
    pub users_upserted: Vec<UserUpsert>,
    /// Users to deactivate.
    pub users_deactivated: Vec<Leaver>,
    /// Groups to create or update.
    pub groups_upserted: Vec<GroupUpsert>,
    /// Groups to delete.
    pub groups_deleted: Vec<Leaver>,
    /// Members to add.
    pub memberships_added: Vec<Membership>,
    /// Members to remove.
    pub memberships_removed: Vec<Membership>,
    /// The safeguard the plan crosses, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held: Option<Held>,
}

/// What a snapshot holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotCounts {
    /// Users.
    pub users: u64,
    /// Groups (`None`: no groups file, groups are not managed by this plan).
    pub groups: Option<u64>,
    /// Memberships (`None`: no memberships file).
    pub memberships: Option<u64>,
    /// Users the HR source holds and the sync leaves out ([`Snapshot::kept`]: a mapping's
    /// skipped rows), kept as the state holds them.
    #[serde(default)]
    pub kept: u64,
}

impl Plan {
    /// How many changes of `kind` it holds.
    pub fn count(&self, kind: ChangeKind) -> u64 {
        let n = match kind {
            ChangeKind::UserUpsert => self.users_upserted.len(),
            ChangeKind::GroupUpsert => self.groups_upserted.len(),
            ChangeKind::MembershipAdd => self.memberships_added.len(),
            ChangeKind::MembershipRemove => self.memberships_removed.len(),
            ChangeKind::GroupDelete => self.groups_deleted.len(),
            ChangeKind::UserDeactivate => self.users_deactivated.len(),
        };
        n as u64
    }

    /// Changes in all.
    pub fn total(&self) -> u64 {
        ChangeKind::ALL.iter().map(|k| self.count(*k)).sum()
    }

    /// Whether there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self.total() == 0
    }

    /// Every change's key, for the state's pending records.
    pub fn keys(&self) -> impl Iterator<Item = PendingKey> + '_ {
        let id = |kind, key: &str| PendingKey {
            kind,
            key: key.to_owned(),
            member: String::new(),
        };
        let pair = |kind, m: &Membership| PendingKey {
            kind,
            key: m.group.clone(),
            member: m.member.clone(),
        };
        let users = self
            .users_upserted
            .iter()
            .map(move |u| id(ChangeKind::UserUpsert, u.user.external_id()));
        let groups = self
            .groups_upserted
            .iter()
            .map(move |g| id(ChangeKind::GroupUpsert, g.group.external_id()));
        users
            .chain(groups)
            .chain(
                self.memberships_added
                    .iter()
                    .map(move |m| pair(ChangeKind::MembershipAdd, m)),
            )
            .chain(
                self.memberships_removed
                    .iter()
                    .map(move |m| pair(ChangeKind::MembershipRemove, m)),
            )
            .chain(
                self.groups_deleted
                    .iter()
                    .map(move |g| id(ChangeKind::GroupDelete, &g.external_id)),
            )
            .chain(
                self.users_deactivated
                    .iter()
                    .map(move |u| id(ChangeKind::UserDeactivate, &u.external_id)),
            )
    }

    /// Changes sent again because an earlier run left them pending.
    pub fn resent(&self) -> u64 {
        let upserts = self
            .users_upserted
            .iter()
            .filter(|u| u.reason == Reason::Pending)
            .count()
            + self
                .groups_upserted
                .iter()
                .filter(|g| g.reason == Reason::Pending)
                .count();
        let leavers = self.users_deactivated.iter().filter(|l| l.pending).count()
            + self.groups_deleted.iter().filter(|l| l.pending).count();
        (upserts + leavers) as u64
    }

    /// The plan's identity: its target, revision, input and changes (two plans with the
    /// same id send the same).
    pub fn id(&self) -> String {
        let mut h = okta_idsrc_core::stable_hash::HashWriter::new();
        serde_json::to_writer(
            &mut h,
            &(
                &self.target,
                self.revision,
                &self.input,
                &self.users_upserted,
                &self.users_deactivated,
                &self.groups_upserted,
                &self.groups_deleted,
                &self.memberships_added,
                &self.memberships_removed,
            ),
        )
        .expect("a plan serializes");
        let h = h.finish();
        h.finish_hex()
    }
}

/// A change's key in the state's pending records.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PendingKey {
    /// The kind of change.
    pub kind: ChangeKind,
    /// The external id (the group's, for a membership).
    pub key: String,
    /// The member's external id, for a membership (else empty).
    pub member: String,
}

/// What a session applied, to commit to the state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Applied {
    /// Users upserted, with the canonical profile they now have.
    pub users_upserted: Vec<(String, Canonical)>,
    /// Users deactivated.
    pub users_deactivated: Vec<String>,
    /// Groups upserted, with their canonical profile.
    pub groups_upserted: Vec<(String, Canonical)>,
    /// Groups deleted.
    pub groups_deleted: Vec<String>,
    /// Memberships added, (group, member).
    pub memberships_added: Vec<(String, String)>,
    /// Memberships removed, (group, member).
    pub memberships_removed: Vec<(String, String)>,
}

fn upserts(v: &[(String, Canonical)]) -> impl Iterator<Item = Change<'_>> {
    v.iter().map(|(key, p)| Change {
        key,
        member: "",
        profile: Some(p),
    })
}

fn ids(v: &[String]) -> impl Iterator<Item = Change<'_>> {
    v.iter().map(|key| Change {
        key,
        member: "",
        profile: None,
    })
}

fn pairs(v: &[(String, String)]) -> impl Iterator<Item = Change<'_>> {
    v.iter().map(|(key, member)| Change {
        key,
        member,
        profile: None,
    })
}

/// One change of an [`Applied`], as the state records it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Change<'a> {
    /// The external id (the group's, for a membership).
    pub key: &'a str,
    /// The member's external id, for a membership (else empty).
    pub member: &'a str,
    /// The canonical profile, for an upsert.
    pub profile: Option<&'a Canonical>,
}

impl Applied {
    /// Its changes of `kind`.
    pub(crate) fn of(&self, kind: ChangeKind) -> Box<dyn Iterator<Item = Change<'_>> + '_> {
        match kind {
            ChangeKind::UserUpsert => Box::new(upserts(&self.users_upserted)),
            ChangeKind::GroupUpsert => Box::new(upserts(&self.groups_upserted)),
            ChangeKind::UserDeactivate => Box::new(ids(&self.users_deactivated)),
            ChangeKind::GroupDelete => Box::new(ids(&self.groups_deleted)),
            ChangeKind::MembershipAdd => Box::new(pairs(&self.memberships_added)),
            ChangeKind::MembershipRemove => Box::new(pairs(&self.memberships_removed)),
        }
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        ChangeKind::ALL.iter().all(|&k| self.of(k).next().is_none())
    }

    /// Entities in it, by kind.
    pub fn counts(&self) -> HashMap<ChangeKind, u64> {
        ChangeKind::ALL
            .iter()
            .map(|&k| (k, self.of(k).count() as u64))
            .collect()
    }
}
