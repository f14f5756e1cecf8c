//! The inspection view of the emulator's state (`GET /__emulator/state`), typed; and the way
//! back: a snapshot checked and loaded into a starting emulator
//! ([`EmulatorBuilder::state`](crate::EmulatorBuilder::state), `okta-idsrc emulator --load`).

use std::fmt;

use okta_idsrc_core::models::{
    BulkGroupUpsertRequestBodyProfilesInner, BulkUpsertRequestBodyProfilesInner,
    IdentitySourceGroupMembershipsUpsertProfileInner, IdentitySourceGroupProfileForUpsert,
    IdentitySourceSession, IdentitySourceSessionStatus, IdentitySourceUserProfileForDelete,
    IdentitySourceUserProfileForUpsert,
};
use serde::{Deserialize, Serialize};

use crate::ids::timestamp_from_secs;
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
        let snapshot: Self =
            serde_path_to_error::deserialize(de).map_err(crate::restore::parse_error)?;
        snapshot.check()?;
        Ok(snapshot)
    }

    /// Checks what JSON alone cannot: ids unique and well formed (user ids are 20 letters or
    /// digits), timestamps in Okta's form, members known users, at most one active session per
    /// identity source, pending loads only on CREATED, IN_PROGRESS or TRIGGERED sessions, and
    /// at most 50 loads a session. The error names the JSON path.
    pub fn check(&self) -> Result<(), SnapshotError> {
        crate::restore::states(self, 0).map(|_| ())
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
