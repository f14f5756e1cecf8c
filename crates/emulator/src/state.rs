//! The in-memory state of one identity source: users, groups and their members, sessions.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use indexmap::{IndexMap, IndexSet};
use okta_idsrc_core::json::WriteJson;
use okta_idsrc_core::models::{
    IdentitySourceGroupMembershipsUpsertProfileInner, IdentitySourceGroupProfileForUpsert,
    IdentitySourceSessionStatus, IdentitySourceUserProfileForUpsert,
};
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::entities::{normalize_group_profile, same_group_profile};
use crate::ids::{IdGen, UserId};
use crate::profiles::{Names, UserProfile};
use crate::sync::lock;

/// One identity source: its state behind a mutex, and the wake-up of its import worker.
pub(crate) struct Source {
    pub id: String,
    pub state: Mutex<SourceState>,
    pub wake: Notify,
}

impl Source {
    pub(crate) fn new(id: String) -> Self {
        Self {
            id,
            state: Mutex::new(SourceState::default()),
            wake: Notify::new(),
        }
    }

    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, SourceState> {
        lock(&self.state)
    }
}

/// A user of the identity source, compact: the id inline, times as epoch seconds, the
/// profile as one byte string (`crate::profiles`).
#[derive(Debug, Clone)]
pub(crate) struct User {
    pub id: UserId,
    pub active: bool,
    pub profile: UserProfile,
    /// Epoch seconds.
    pub created: u64,
    /// Epoch seconds.
    pub last_updated: u64,
}

/// A group and its members (user external ids, in insertion order).
#[derive(Debug, Clone)]
pub(crate) struct Group {
    pub id: String,
    /// Normalized: an absent description is an explicit null.
    pub profile: IdentitySourceGroupProfileForUpsert,
    pub members: IndexSet<Box<str>>,
}

/// One accepted bulk load, kept until the session is processed or discarded.
pub(crate) use crate::snapshot::PendingLoad as Load;

/// An import session.
#[derive(Debug)]
pub(crate) struct Session {
    pub id: String,
    pub status: IdentitySourceSessionStatus,
    pub created: String,
    pub last_updated: String,
    /// The last request that touched the session, for idle expiry.
    pub last_activity: Instant,
    pub loads: Vec<Load>,
    /// Loads accepted, kept after the loads themselves are applied or discarded.
    pub load_count: usize,
}

impl Session {
    /// Writes the `IdentitySourceSession` JSON object.
    pub(crate) fn write_json(&self, identity_source_id: &str, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"id\":");
        WriteJson::write_json(&self.id, out);
        out.extend_from_slice(b",\"identitySourceId\":");
        WriteJson::write_json(identity_source_id, out);
        out.extend_from_slice(b",\"status\":");
        WriteJson::write_json(self.status.as_str(), out);
        out.extend_from_slice(b",\"importType\":\"INCREMENTAL\",\"created\":");
        WriteJson::write_json(&self.created, out);
        out.extend_from_slice(b",\"lastUpdated\":");
        WriteJson::write_json(&self.last_updated, out);
        out.push(b'}');
    }
}

/// Everything one identity source holds.
#[derive(Debug, Default)]
pub(crate) struct SourceState {
    /// By external id, in creation order.
    pub users: IndexMap<Box<str>, User>,
    /// The custom attribute names of the users' profiles.
    pub names: Names,
    /// By external id, in creation order.
    pub groups: IndexMap<String, Group>,
    /// Okta group id → external id.
    pub group_ids: HashMap<String, String>,
    /// By session id, in creation order.
    pub sessions: IndexMap<String, Session>,
    /// The active (CREATED, IN_PROGRESS or TRIGGERED) session, if any.
    pub active: Option<String>,
    /// When the last session was created, for the cool-down.
    pub last_created: Option<Instant>,
    /// Triggered sessions waiting for the worker, in order.
    pub queue: VecDeque<String>,
}

impl SourceState {
    /// Expires the active session when it is CREATED or IN_PROGRESS and idle for longer than
    /// `idle`; its loads are discarded.
    pub(crate) fn expire_idle(&mut self, idle: Duration, now: Instant, timestamp: &str) {
        let Some(id) = &self.active else { return };
        let Some(session) = self.sessions.get_mut(id) else {
            return;
        };
        if session.status.accepts_loads() && now.duration_since(session.last_activity) > idle {
            session.status = IdentitySourceSessionStatus::Expired;
            session.last_updated = timestamp.to_owned();
            session.loads = Vec::new();
            self.active = None;
        }
    }

    /// The external id of the group named by its Okta id or its external id.
    pub(crate) fn resolve_group(&self, group_or_external_id: &str) -> Option<&str> {
        if let Some((ext, _)) = self.groups.get_key_value(group_or_external_id) {
            return Some(ext);
        }
        self.group_ids.get(group_or_external_id).map(String::as_str)
    }

    // -----------------------------------------------------------------------------------------
    // Mutations shared by the processing of loads and the individual operations.

    /// Creates or updates (and reactivates) a user at `now` (epoch seconds). Returns whether
    /// anything changed.
    pub(crate) fn upsert_user(
        &mut self,
        external_id: &str,
        profile: &IdentitySourceUserProfileForUpsert,
        ids: &IdGen,
        now: u64,
    ) -> bool {
        match self.users.get_mut(external_id) {
            Some(user) => {
                if user.active && user.profile.same_as(profile, &self.names) {
                    return false;
                }
                user.profile = UserProfile::encode(profile, &mut self.names);
                user.active = true;
                user.last_updated = now;
            }
            None => {
                let user = User {
                    id: ids.user(),
                    active: true,
                    profile: UserProfile::encode(profile, &mut self.names),
                    created: now,
                    last_updated: now,
                };
                self.users.insert(external_id.into(), user);
            }
        }
        true
    }

    /// Deactivates a user; unknown ids are ignored. Returns whether anything changed.
    pub(crate) fn deactivate_user(&mut self, external_id: &str, now: u64) -> bool {
        match self.users.get_mut(external_id) {
            Some(user) if user.active => {
                user.active = false;
                user.last_updated = now;
                true
            }
            _ => false,
        }
    }

    /// Removes a user and its memberships.
    pub(crate) fn remove_user(&mut self, external_id: &str) -> Option<User> {
        let user = self.users.shift_remove(external_id)?;
        for group in self.groups.values_mut() {
            group.members.shift_remove(external_id);
        }
        Some(user)
    }

    /// Creates or updates a group; `profile` must be normalized. Returns whether anything
    /// changed.
    pub(crate) fn upsert_group(
        &mut self,
        external_id: String,
        profile: IdentitySourceGroupProfileForUpsert,
        ids: &IdGen,
    ) -> bool {
        match self.groups.get_mut(&external_id) {
            Some(group) => {
                if same_group_profile(&group.profile, &profile) {
                    return false;
                }
                group.profile = profile;
            }
            None => {
                let id = ids.group();
                self.group_ids.insert(id.clone(), external_id.clone());
                self.groups.insert(
                    external_id,
                    Group {
                        id,
                        profile,
                        members: IndexSet::new(),
                    },
                );
            }
        }
        true
    }

    /// Removes a group; unknown ids are ignored. Returns whether anything changed.
    pub(crate) fn remove_group(&mut self, external_id: &str) -> bool {
        match self.groups.shift_remove(external_id) {
            Some(group) => {
                self.group_ids.remove(&group.id);
                true
            }
            None => false,
        }
    }

    /// Adds a member; unknown groups and users are ignored. Returns whether anything changed.
    pub(crate) fn add_member(&mut self, group_external_id: &str, member: &str) -> bool {
        if !self.users.contains_key(member) {
            return false;
        }
        match self.groups.get_mut(group_external_id) {
            Some(group) if !group.members.contains(member) => group.members.insert(member.into()),
            _ => false,
        }
    }

    /// Removes a member; returns whether it was one.
    pub(crate) fn remove_member(&mut self, group_external_id: &str, member: &str) -> bool {
        self.groups
            .get_mut(group_external_id)
            .is_some_and(|g| g.members.shift_remove(member))
    }

    // -----------------------------------------------------------------------------------------
    // Loads.

    /// Whether applying `load` to the current state would change anything; O(entities).
    pub(crate) fn load_changes(&self, load: &Load) -> bool {
        match load {
            Load::BulkUpsert(users) => users.iter().any(|e| {
                let (Some(ext), Some(profile)) = (&e.external_id, &e.profile) else {
                    return false;
                };
                self.users
                    .get(ext.as_str())
                    .is_none_or(|u| !u.active || !u.profile.same_as(profile, &self.names))
            }),
            Load::BulkDelete(users) => users.iter().any(|e| {
                e.external_id
                    .as_deref()
                    .and_then(|ext| self.users.get(ext))
                    .is_some_and(|u| u.active)
            }),
            Load::BulkGroupsUpsert(groups) => groups.iter().any(|g| {
                let (Some(ext), Some(profile)) = (&g.external_id, &g.profile) else {
                    return false;
                };
                self.groups
                    .get(ext)
                    .is_none_or(|existing| !same_group_profile(&existing.profile, profile))
            }),
            Load::BulkGroupsDelete(ids) => ids.iter().any(|ext| self.groups.contains_key(ext)),
            Load::BulkGroupMembershipsUpsert(memberships) => self
                .any_membership(memberships, |group, member| {
                    self.users.contains_key(member) && !group.members.contains(member)
                }),
            Load::BulkGroupMembershipsDelete(memberships) => {
                self.any_membership(memberships, |group, member| group.members.contains(member))
            }
        }
    }

    /// Applies one load, consuming it (profiles move into the state, no copies).
    pub(crate) fn apply_load(&mut self, load: Load, ids: &IdGen, now: u64) {
        match load {
            Load::BulkUpsert(users) => {
                for e in users {
                    if let (Some(ext), Some(profile)) = (&e.external_id, &e.profile) {
                        self.upsert_user(ext, profile, ids, now);
                    }
                }
            }
            Load::BulkDelete(users) => {
                for e in users {
                    if let Some(ext) = e.external_id {
                        self.deactivate_user(&ext, now);
                    }
                }
            }
            Load::BulkGroupsUpsert(groups) => {
                for g in groups {
                    if let (Some(ext), Some(mut profile)) = (g.external_id, g.profile) {
                        normalize_group_profile(&mut profile);
                        self.upsert_group(ext, profile, ids);
                    }
                }
            }
            Load::BulkGroupsDelete(external_ids) => {
                for ext in external_ids {
                    self.remove_group(&ext);
                }
            }
            Load::BulkGroupMembershipsUpsert(memberships) => {
                self.apply_memberships(memberships, Self::add_member)
            }
            Load::BulkGroupMembershipsDelete(memberships) => {
                self.apply_memberships(memberships, Self::remove_member)
            }
        }
    }

    /// Whether `changes` holds for any (known group, member) pair of `memberships`.
    fn any_membership(
        &self,
        memberships: &[IdentitySourceGroupMembershipsUpsertProfileInner],
        changes: impl Fn(&Group, &str) -> bool,
    ) -> bool {
        memberships.iter().any(|m| {
            let Some(group) = m
                .group_external_id
                .as_deref()
                .and_then(|g| self.groups.get(g))
            else {
                return false;
            };
            m.member_external_ids
                .iter()
                .flatten()
                .any(|member| changes(group, member))
        })
    }

    /// Runs `op` (add or remove) on every (group, member) pair of `memberships`.
    fn apply_memberships(
        &mut self,
        memberships: Vec<IdentitySourceGroupMembershipsUpsertProfileInner>,
        op: fn(&mut Self, &str, &str) -> bool,
    ) {
        for m in memberships {
            let Some(group) = m.group_external_id else {
                continue;
            };
            for member in m.member_external_ids.into_iter().flatten() {
                op(self, &group, &member);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use okta_idsrc_core::models::{
        BulkUpsertRequestBodyProfilesInner, IdentitySourceUserProfileForDelete,
    };

    use super::*;

    fn profile(email: &str) -> IdentitySourceUserProfileForUpsert {
        IdentitySourceUserProfileForUpsert::new()
            .email(email)
            .user_name(email)
    }

    #[test]
    fn upsert_changes_only_when_different() {
        let ids = IdGen::new(1);
        let mut s = SourceState::default();
        let load = |email: &str| {
            Load::BulkUpsert(vec![BulkUpsertRequestBodyProfilesInner::with(
                "u1",
                profile(email),
            )])
        };
        assert!(s.load_changes(&load("a@example.com")));
        s.apply_load(load("a@example.com"), &ids, 0);
        assert!(!s.load_changes(&load("a@example.com")));
        assert!(s.load_changes(&load("b@example.com")));
        let del = Load::BulkDelete(vec![IdentitySourceUserProfileForDelete::with("u1")]);
        assert!(s.load_changes(&del));
        s.apply_load(del, &ids, 1);
        assert!(!s.users["u1"].active);
        assert!(
            s.load_changes(&load("a@example.com")),
            "reactivation is a change"
        );
        let unknown = Load::BulkDelete(vec![IdentitySourceUserProfileForDelete::with("nobody")]);
        assert!(!s.load_changes(&unknown));
    }

    #[test]
    fn users_are_compact() {
        // The id inline, two times, the profile's pointer and length, the flag: no strings.
        assert!(
            std::mem::size_of::<User>() <= 56,
            "{}",
            std::mem::size_of::<User>()
        );
        let ids = IdGen::new(1);
        let mut s = SourceState::default();
        for i in 0..3 {
            let p = profile(&format!("user{i}@example.com"))
                .first_name("Mary")
                .custom_attribute("department", "Legal");
            s.upsert_user(&format!("emp-{i}"), &p, &ids, 0);
        }
        // One interned name for the three users' custom attribute.
        assert_eq!(s.names.len(), 1);
    }

    #[test]
    fn memberships_need_group_and_user() {
        let ids = IdGen::new(1);
        let mut s = SourceState::default();
        let m = || {
            Load::BulkGroupMembershipsUpsert(vec![
                IdentitySourceGroupMembershipsUpsertProfileInner::with("g1", ["u1"]),
            ])
        };
        assert!(!s.load_changes(&m()));
        s.upsert_user("u1", &profile("a@example.com"), &ids, 0);
        s.upsert_group(
            "g1".into(),
            IdentitySourceGroupProfileForUpsert::new().display_name("G"),
            &ids,
        );
        assert!(s.load_changes(&m()));
        s.apply_load(m(), &ids, 0);
        assert!(!s.load_changes(&m()));
        assert_eq!(s.groups["g1"].members.len(), 1);
        s.remove_user("u1");
        assert!(s.groups["g1"].members.is_empty());
    }
}
