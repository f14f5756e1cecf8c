//! The inspection view of the emulator's state (`GET /__emulator/state`), typed; and the way
//! back: a snapshot checked and loaded into a starting emulator
//! ([`EmulatorBuilder::state`](crate::EmulatorBuilder::state), `okta-idsrc emulator --load`).

use std::collections::{HashMap, HashSet};
use std::fmt;

use indexmap::IndexSet;
use okta_idsrc_core::limits::MAX_LOADS_PER_SESSION;
use okta_idsrc_core::models::{
    BulkGroupUpsertRequestBodyProfilesInner, BulkUpsertRequestBodyProfilesInner,
    IdentitySourceGroupMembershipsUpsertProfileInner, IdentitySourceGroupProfileForUpsert,
    IdentitySourceSession, IdentitySourceSessionStatus, IdentitySourceUserProfileForDelete,
    IdentitySourceUserProfileForUpsert,
};
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::ids::{UserId, parse_timestamp, timestamp_from_secs};
use crate::profiles::{UserProfile, normalize_group_profile};
use crate::state::{Group, Session, SourceState, User};

/// Everything the emulator holds, as `GET /__emulator/state` returns it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct StateSnapshot {
    /// Every configured identity source, in configuration order.
    pub identity_sources: Vec<IdentitySourceSnapshot>,
    /// Request counters since the start or the last reset (not restored by a load).
    #[serde(default)]
    pub stats: Stats,
}

impl StateSnapshot {
    /// The identity source with id `id`.
    pub fn identity_source(&self, id: &str) -> Option<&IdentitySourceSnapshot> {
        self.identity_sources.iter().find(|s| s.id == id)
    }

    /// Parses a snapshot from JSON (what `GET /__emulator/state` and `--save` write) and checks
    /// that an emulator can start from it ([`check`](Self::check)). A malformed file is an error
    /// naming the JSON path (`identitySources[0].users[3].profile.email`) and the line and column.
    pub fn from_json(json: &[u8]) -> Result<Self, SnapshotError> {
        let de = &mut serde_json::Deserializer::from_slice(json);
        let snapshot: Self = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            SnapshotError {
                path: if path == "." { String::new() } else { path },
                message: e.into_inner().to_string(),
            }
        })?;
        snapshot.check()?;
        Ok(snapshot)
    }

    /// Checks what JSON alone cannot: ids unique and well formed (user ids are 20 letters or
    /// digits), timestamps in Okta's form, members known users, at most one active session per
    /// identity source, pending loads only on CREATED, IN_PROGRESS or TRIGGERED sessions, and
    /// at most 50 loads a session. The error names the JSON path.
    pub fn check(&self) -> Result<(), SnapshotError> {
        let mut sources = HashSet::new();
        for (i, source) in self.identity_sources.iter().enumerate() {
            let path = format!("identitySources[{i}]");
            if source.id.is_empty() {
                return Err(SnapshotError::at(format!("{path}.id"), "is empty"));
            }
            if !sources.insert(source.id.as_str()) {
                return Err(SnapshotError::at(
                    format!("{path}.id"),
                    format!("identity source {} appears twice", source.id),
                ));
            }
            source.restore(&path, 0)?;
        }
        Ok(())
    }
}

/// Why a snapshot cannot be loaded: where (a JSON path) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotError {
    /// The JSON path of the offending value (`identitySources[0].users[3].id`); empty for the
    /// document itself.
    pub path: String,
    /// What is wrong with it.
    pub message: String,
}

impl SnapshotError {
    fn at(path: String, message: impl Into<String>) -> Self {
        Self {
            path,
            message: message.into(),
        }
    }
}

impl fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for SnapshotError {}

/// One identity source's users, groups and sessions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct IdentitySourceSnapshot {
    /// The identity source id (`0oa…`).
    pub id: String,
    /// Users, in creation order (deactivated ones included).
    #[serde(default)]
    pub users: Vec<UserSnapshot>,
    /// Groups, in creation order.
    #[serde(default)]
    pub groups: Vec<GroupSnapshot>,
    /// Sessions, in creation order.
    #[serde(default)]
    pub sessions: Vec<SessionSnapshot>,
}

/// What one identity source holds, counted without copying it (see
/// [`EmulatorHandle::counts`](crate::EmulatorHandle::counts)).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct IdentitySourceCounts {
    /// Active users.
    pub users_active: usize,
    /// Deactivated users.
    pub users_inactive: usize,
    /// Groups.
    pub groups: usize,
    /// Memberships, over all groups.
    pub memberships: usize,
    /// Sessions by status, in the order the statuses first occur.
    pub sessions: Vec<(String, usize)>,
}

impl IdentitySourceSnapshot {
    /// The user with external id `external_id`.
    pub fn user(&self, external_id: &str) -> Option<&UserSnapshot> {
        self.users.iter().find(|u| u.external_id == external_id)
    }

    /// The group with external id `external_id`.
    pub fn group(&self, external_id: &str) -> Option<&GroupSnapshot> {
        self.groups.iter().find(|g| g.external_id == external_id)
    }

    /// The session with id `id`.
    pub fn session(&self, id: &str) -> Option<&SessionSnapshot> {
        self.sessions.iter().find(|s| s.id == id)
    }
}

/// A user.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct UserSnapshot {
    /// The external id.
    pub external_id: String,
    /// The Okta user id (`0ua…`, 20 characters).
    pub id: String,
    /// False once a bulk delete deactivated the user.
    pub active: bool,
    /// The profile, nullable attributes explicit.
    pub profile: IdentitySourceUserProfileForUpsert,
    /// When the user was created (an Okta timestamp); a load without it uses the load time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// When the user last changed; a load without it uses the load time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_updated: Option<String>,
}

/// A group and its members.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct GroupSnapshot {
    /// The external id.
    pub external_id: String,
    /// The Okta group id (`00g…`).
    pub id: String,
    /// The profile.
    pub profile: IdentitySourceGroupProfileForUpsert,
    /// Members' external ids, in insertion order.
    #[serde(default)]
    pub members: Vec<String>,
}

/// A session: the fields of `IdentitySourceSession`, plus how many loads it accepted and the
/// loads still waiting to be applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SessionSnapshot {
    /// The session id (`aps…`).
    pub id: String,
    /// The identity source id.
    pub identity_source_id: String,
    /// The status.
    pub status: IdentitySourceSessionStatus,
    /// Always `INCREMENTAL`.
    pub import_type: String,
    /// When the session was created.
    pub created: String,
    /// When the session last changed.
    pub last_updated: String,
    /// Bulk loads accepted (at most 50).
    pub load_count: usize,
    /// The accepted loads not yet applied (a CREATED, IN_PROGRESS or TRIGGERED session's), in
    /// upload order; a load restores them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub loads: Vec<PendingLoad>,
}

/// One accepted bulk load, kept until its session is processed: the operation and the
/// entries of its body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", content = "entries", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum PendingLoad {
    /// `bulk-upsert`: users to create or update.
    BulkUpsert(Vec<BulkUpsertRequestBodyProfilesInner>),
    /// `bulk-delete`: users to deactivate.
    BulkDelete(Vec<IdentitySourceUserProfileForDelete>),
    /// `bulk-groups-upsert`: groups to create or update.
    BulkGroupsUpsert(Vec<BulkGroupUpsertRequestBodyProfilesInner>),
    /// `bulk-groups-delete`: external ids of groups to remove.
    BulkGroupsDelete(Vec<String>),
    /// `bulk-group-memberships-upsert`: members to add.
    BulkGroupMembershipsUpsert(Vec<IdentitySourceGroupMembershipsUpsertProfileInner>),
    /// `bulk-group-memberships-delete`: members to remove.
    BulkGroupMembershipsDelete(Vec<IdentitySourceGroupMembershipsUpsertProfileInner>),
}

impl PendingLoad {
    /// The entities it names: users, groups, or (group, member) pairs.
    pub fn entities(&self) -> usize {
        match self {
            Self::BulkUpsert(v) => v.len(),
            Self::BulkDelete(v) => v.len(),
            Self::BulkGroupsUpsert(v) => v.len(),
            Self::BulkGroupsDelete(v) => v.len(),
            Self::BulkGroupMembershipsUpsert(v) | Self::BulkGroupMembershipsDelete(v) => v
                .iter()
                .map(|m| m.member_external_ids.as_ref().map_or(0, Vec::len))
                .sum(),
        }
    }
}

impl SessionSnapshot {
    /// The session as the API returns it.
    pub fn to_session(&self) -> IdentitySourceSession {
        IdentitySourceSession::new()
            .id(self.id.clone())
            .identity_source_id(self.identity_source_id.clone())
            .status(self.status.clone())
            .import_type(self.import_type.clone())
            .created(self.created.clone())
            .last_updated(self.last_updated.clone())
    }
}

/// Request counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Stats {
    /// `/api/v1` requests received (inspection requests are not counted).
    #[serde(default)]
    pub requests: u64,
    /// 429 responses sent (rate and concurrency limits).
    #[serde(default)]
    pub rate_limited: u64,
    /// Faults injected: 500s, 503s, dropped connections and failed imports.
    #[serde(default)]
    pub faults_injected: u64,
    /// Requests to the token endpoint (`/oauth2/v1/token`), counted apart from `requests`.
    #[serde(default)]
    pub token_requests: u64,
    /// Access tokens issued.
    #[serde(default)]
    pub tokens_issued: u64,
}

fn user_snapshot(external_id: &str, u: &User, names: &crate::profiles::Names) -> UserSnapshot {
    UserSnapshot {
        external_id: external_id.to_owned(),
        id: u.id.as_str().to_owned(),
        active: u.active,
        profile: u.profile.to_model(names),
        created: Some(timestamp_from_secs(u.created)),
        last_updated: Some(timestamp_from_secs(u.last_updated)),
    }
}

fn group_snapshot(external_id: &str, g: &Group) -> GroupSnapshot {
    GroupSnapshot {
        external_id: external_id.to_owned(),
        id: g.id.clone(),
        profile: g.profile.clone(),
        members: g.members.iter().map(|m| m.to_string()).collect(),
    }
}

fn session_snapshot(identity_source_id: &str, s: &Session) -> SessionSnapshot {
    SessionSnapshot {
        id: s.id.clone(),
        identity_source_id: identity_source_id.to_owned(),
        status: s.status.clone(),
        import_type: "INCREMENTAL".to_owned(),
        created: s.created.clone(),
        last_updated: s.last_updated.clone(),
        load_count: s.load_count,
        loads: s.loads.clone(),
    }
}

pub(crate) fn identity_source(id: &str, state: &SourceState) -> IdentitySourceSnapshot {
    IdentitySourceSnapshot {
        id: id.to_owned(),
        users: state
            .users
            .iter()
            .map(|(ext, u)| user_snapshot(ext, u, &state.names))
            .collect(),
        groups: state
            .groups
            .iter()
            .map(|(ext, g)| group_snapshot(ext, g))
            .collect(),
        sessions: state
            .sessions
            .values()
            .map(|s| session_snapshot(id, s))
            .collect(),
    }
}

/// Writes what [`identity_source`] returns, as JSON, one entity at a time: memory stays flat
/// however many users the state holds.
pub(crate) fn write_identity_source(
    id: &str,
    state: &SourceState,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    /// Writes `,"name":[` then each item, comma-separated, then `]`.
    fn list<T: Serialize>(
        out: &mut dyn std::io::Write,
        name: &str,
        items: impl Iterator<Item = T>,
    ) -> std::io::Result<()> {
        write!(out, ",\"{name}\":[")?;
        for (i, item) in items.enumerate() {
            if i > 0 {
                out.write_all(b",")?;
            }
            serde_json::to_writer(&mut *out, &item)?;
        }
        out.write_all(b"]")
    }
    out.write_all(b"{\"id\":")?;
    serde_json::to_writer(&mut *out, id)?;
    let names = &state.names;
    list(
        out,
        "users",
        state
            .users
            .iter()
            .map(|(ext, u)| user_snapshot(ext, u, names)),
    )?;
    list(
        out,
        "groups",
        state.groups.iter().map(|(ext, g)| group_snapshot(ext, g)),
    )?;
    list(
        out,
        "sessions",
        state.sessions.values().map(|s| session_snapshot(id, s)),
    )?;
    out.write_all(b"}")
}

impl IdentitySourceSnapshot {
    /// The state this snapshot describes, at `now` (epoch seconds, for missing user times);
    /// `path` is this snapshot's JSON path, for errors.
    pub(crate) fn restore(&self, path: &str, now: u64) -> Result<SourceState, SnapshotError> {
        let mut state = SourceState::default();
        for (i, u) in self.users.iter().enumerate() {
            let at = |field: &str| format!("{path}.users[{i}].{field}");
            if u.external_id.is_empty() {
                return Err(SnapshotError::at(at("externalId"), "is empty"));
            }
            if state.users.contains_key(u.external_id.as_str()) {
                return Err(SnapshotError::at(
                    at("externalId"),
                    format!("user {} appears twice", u.external_id),
                ));
            }
            let id = UserId::parse(&u.id).ok_or_else(|| {
                SnapshotError::at(
                    at("id"),
                    format!("{:?} is not a user id (20 letters or digits)", u.id),
                )
            })?;
            let time = |value: &Option<String>, field: &str| match value {
                None => Ok(now),
                Some(t) => parse_timestamp(t).ok_or_else(|| {
                    SnapshotError::at(
                        at(field),
                        format!("{t:?} is not a timestamp like 2026-05-13T05:52:24.000Z"),
                    )
                }),
            };
            let user = User {
                id,
                active: u.active,
                profile: UserProfile::encode(&u.profile, &mut state.names),
                created: time(&u.created, "created")?,
                last_updated: time(&u.last_updated, "lastUpdated")?,
            };
            state.users.insert(u.external_id.as_str().into(), user);
        }
        for (i, g) in self.groups.iter().enumerate() {
            let at = |field: &str| format!("{path}.groups[{i}].{field}");
            if g.external_id.is_empty() {
                return Err(SnapshotError::at(at("externalId"), "is empty"));
            }
            if g.id.is_empty() {
                return Err(SnapshotError::at(at("id"), "is empty"));
            }
            if state.groups.contains_key(&g.external_id) {
                return Err(SnapshotError::at(
                    at("externalId"),
                    format!("group {} appears twice", g.external_id),
                ));
            }
            if state.group_ids.contains_key(&g.id) {
                return Err(SnapshotError::at(
                    at("id"),
                    format!("group id {} appears twice", g.id),
                ));
            }
            let mut members = IndexSet::with_capacity(g.members.len());
            for (j, m) in g.members.iter().enumerate() {
                if !state.users.contains_key(m.as_str()) {
                    return Err(SnapshotError::at(
                        at(&format!("members[{j}]")),
                        format!("{m} is not a user of this identity source"),
                    ));
                }
                if !members.insert(m.as_str().into()) {
                    return Err(SnapshotError::at(
                        at(&format!("members[{j}]")),
                        format!("{m} appears twice"),
                    ));
                }
            }
            let mut profile = g.profile.clone();
            normalize_group_profile(&mut profile);
            state.group_ids.insert(g.id.clone(), g.external_id.clone());
            state.groups.insert(
                g.external_id.clone(),
                Group {
                    id: g.id.clone(),
                    profile,
                    members,
                },
            );
        }
        let mut seen = HashMap::new();
        for (i, s) in self.sessions.iter().enumerate() {
            let at = |field: &str| format!("{path}.sessions[{i}].{field}");
            if s.id.is_empty() {
                return Err(SnapshotError::at(at("id"), "is empty"));
            }
            if seen.insert(s.id.as_str(), i).is_some() {
                return Err(SnapshotError::at(
                    at("id"),
                    format!("session {} appears twice", s.id),
                ));
            }
            if s.identity_source_id != self.id {
                return Err(SnapshotError::at(
                    at("identitySourceId"),
                    format!(
                        "is {}, not the identity source {}",
                        s.identity_source_id, self.id
                    ),
                ));
            }
            for (field, t) in [("created", &s.created), ("lastUpdated", &s.last_updated)] {
                if parse_timestamp(t).is_none() {
                    return Err(SnapshotError::at(
                        at(field),
                        format!("{t:?} is not a timestamp like 2026-05-13T05:52:24.000Z"),
                    ));
                }
            }
            let active = matches!(
                s.status,
                IdentitySourceSessionStatus::Created
                    | IdentitySourceSessionStatus::InProgress
                    | IdentitySourceSessionStatus::Triggered
            );
            if let IdentitySourceSessionStatus::Unknown(other) = &s.status {
                return Err(SnapshotError::at(
                    at("status"),
                    format!("{:?} is not a session status", other.as_str()),
                ));
            }
            if active {
                if let Some(other) = &state.active {
                    return Err(SnapshotError::at(
                        at("status"),
                        format!(
                            "session {} is {} while session {other} is active too; at most one \
                             session is CREATED, IN_PROGRESS or TRIGGERED",
                            s.id, s.status
                        ),
                    ));
                }
                state.active = Some(s.id.clone());
            } else if !s.loads.is_empty() {
                return Err(SnapshotError::at(
                    at("loads"),
                    format!("a {} session has no loads waiting", s.status),
                ));
            }
            if s.load_count > MAX_LOADS_PER_SESSION || s.loads.len() > s.load_count {
                return Err(SnapshotError::at(
                    at("loadCount"),
                    format!(
                        "is {} with {} loads waiting; at most {MAX_LOADS_PER_SESSION}, and at \
                         least the loads waiting",
                        s.load_count,
                        s.loads.len()
                    ),
                ));
            }
            if s.status == IdentitySourceSessionStatus::Triggered {
                state.queue.push_back(s.id.clone());
            }
            state.sessions.insert(
                s.id.clone(),
                Session {
                    id: s.id.clone(),
                    status: s.status.clone(),
                    created: s.created.clone(),
                    last_updated: s.last_updated.clone(),
                    last_activity: Instant::now(),
                    loads: s.loads.clone(),
                    load_count: s.load_count,
                },
            );
        }
        Ok(state)
    }
}
