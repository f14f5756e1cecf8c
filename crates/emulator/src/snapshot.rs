//! The inspection view of the emulator's state (`GET /__emulator/state`), typed.

use okta_idsrc_core::models::{
    IdentitySourceGroupProfileForUpsert, IdentitySourceSession, IdentitySourceSessionStatus,
    IdentitySourceUserProfileForUpsert,
};
use serde::{Deserialize, Serialize};

use crate::state::SourceState;

/// Everything the emulator holds, as `GET /__emulator/state` returns it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct StateSnapshot {
    /// Every configured identity source, in configuration order.
    pub identity_sources: Vec<IdentitySourceSnapshot>,
    /// Request counters since the start or the last reset.
    pub stats: Stats,
}

impl StateSnapshot {
    /// The identity source with id `id`.
    pub fn identity_source(&self, id: &str) -> Option<&IdentitySourceSnapshot> {
        self.identity_sources.iter().find(|s| s.id == id)
    }
}

/// One identity source's users, groups and sessions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct IdentitySourceSnapshot {
    /// The identity source id (`0oa…`).
    pub id: String,
    /// Users, in creation order (deactivated ones included).
    pub users: Vec<UserSnapshot>,
    /// Groups, in creation order.
    pub groups: Vec<GroupSnapshot>,
    /// Sessions, in creation order.
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
    /// The Okta user id (`00u…`).
    pub id: String,
    /// False once a bulk delete deactivated the user.
    pub active: bool,
    /// The profile, nullable attributes explicit.
    pub profile: IdentitySourceUserProfileForUpsert,
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
    pub members: Vec<String>,
}

/// A session: the fields of `IdentitySourceSession`, plus how many loads it accepted.
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
    pub requests: u64,
    /// 429 responses sent (rate and concurrency limits).
    pub rate_limited: u64,
    /// Faults injected: 500s, 503s, dropped connections and failed imports.
    pub faults_injected: u64,
    /// Requests to the token endpoint (`/oauth2/v1/token`), counted apart from `requests`.
    #[serde(default)]
    pub token_requests: u64,
    /// Access tokens issued.
    #[serde(default)]
    pub tokens_issued: u64,
}

pub(crate) fn identity_source(id: &str, state: &SourceState) -> IdentitySourceSnapshot {
    IdentitySourceSnapshot {
        id: id.to_owned(),
        users: state
            .users
            .iter()
            .map(|(ext, u)| UserSnapshot {
                external_id: ext.clone(),
                id: u.id.clone(),
                active: u.active,
                profile: u.profile.clone(),
            })
            .collect(),
        groups: state
            .groups
            .iter()
            .map(|(ext, g)| GroupSnapshot {
                external_id: ext.clone(),
                id: g.id.clone(),
                profile: g.profile.clone(),
                members: g.members.iter().cloned().collect(),
            })
            .collect(),
        sessions: state
            .sessions
            .values()
            .map(|s| SessionSnapshot {
                id: s.id.clone(),
                identity_source_id: id.to_owned(),
                status: s.status.clone(),
                import_type: "INCREMENTAL".to_owned(),
                created: s.created.clone(),
                last_updated: s.last_updated.clone(),
                load_count: s.load_count,
            })
            .collect(),
    }
}
