//! From a snapshot back to the emulator's state: the checks JSON alone cannot make, each rule
//! written once and used both for a [`StateSnapshot`] in memory and for a snapshot file parsed
//! straight into the compact state, one user at a time (so a large file never exists as
//! snapshot structs in memory).

use std::collections::HashSet;
use std::fmt;

use indexmap::IndexSet;
use okta_idsrc_core::limits::MAX_LOADS_PER_SESSION;
use okta_idsrc_core::models::IdentitySourceSessionStatus as Status;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use tokio::time::Instant;

use crate::entities::normalize_group_profile;
use crate::ids::{UserId, parse_timestamp};
use crate::profiles::UserProfile;
use crate::snapshot::{
    GroupSnapshot, IdentitySourceSnapshot, SessionSnapshot, SnapshotError, StateSnapshot,
    UserSnapshot,
};
use crate::state::{Group, Session, SourceState, User};

/// What is wrong, and where below the value being restored (`externalId`, `members[3]`,
/// `[1].id`).
type Fault = (String, String);

fn fault(field: impl Into<String>, message: impl Into<String>) -> Fault {
    (field.into(), message.into())
}

/// `path` joined with `field`.
fn join(path: &str, field: &str) -> String {
    match (path.is_empty(), field.starts_with('[')) {
        (true, _) => field.to_owned(),
        (false, true) => format!("{path}{field}"),
        (false, false) => format!("{path}.{field}"),
    }
}

fn not_a_timestamp(t: &str) -> String {
    format!("{t:?} is not a timestamp like 2026-05-13T05:52:24.000Z")
}

/// Adds user `u` to `state`; times it lacks are `now` (epoch seconds).
fn add_user(state: &mut SourceState, u: &UserSnapshot, now: u64) -> Result<(), Fault> {
    if u.external_id.is_empty() {
        return Err(fault("externalId", "is empty"));
    }
    if state.users.contains_key(u.external_id.as_str()) {
        return Err(fault(
            "externalId",
            format!("user {} appears twice", u.external_id),
        ));
    }
    let id = UserId::parse(&u.id).ok_or_else(|| {
        fault(
            "id",
            format!("{:?} is not a user id (20 letters or digits)", u.id),
        )
    })?;
    let time = |value: &Option<String>, field: &str| match value {
        None => Ok(now),
        Some(t) => parse_timestamp(t).ok_or_else(|| fault(field, not_a_timestamp(t))),
    };
    let user = User {
        id,
        active: u.active,
        created: time(&u.created, "created")?,
        last_updated: time(&u.last_updated, "lastUpdated")?,
        profile: UserProfile::encode(&u.profile, &mut state.names),
    };
    state.users.insert(u.external_id.as_str().into(), user);
    Ok(())
}

/// Adds group `g`; its members must be users already added.
fn add_group(state: &mut SourceState, g: &GroupSnapshot) -> Result<(), Fault> {
    if g.external_id.is_empty() {
        return Err(fault("externalId", "is empty"));
    }
    if g.id.is_empty() {
        return Err(fault("id", "is empty"));
    }
    if state.groups.contains_key(&g.external_id) {
        return Err(fault(
            "externalId",
            format!("group {} appears twice", g.external_id),
        ));
    }
    if state.group_ids.contains_key(&g.id) {
        return Err(fault("id", format!("group id {} appears twice", g.id)));
    }
    let mut members = IndexSet::with_capacity(g.members.len());
    for (j, m) in g.members.iter().enumerate() {
        if !state.users.contains_key(m.as_str()) {
            return Err(fault(
                format!("members[{j}]"),
                format!("{m} is not a user of this identity source"),
            ));
        }
        if !members.insert(m.as_str().into()) {
            return Err(fault(format!("members[{j}]"), format!("{m} appears twice")));
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
    Ok(())
}

/// Adds session `s` of identity source `source_id`.
fn add_session(state: &mut SourceState, source_id: &str, s: &SessionSnapshot) -> Result<(), Fault> {
    if s.id.is_empty() {
        return Err(fault("id", "is empty"));
    }
    if state.sessions.contains_key(&s.id) {
        return Err(fault("id", format!("session {} appears twice", s.id)));
    }
    if s.identity_source_id != source_id {
        return Err(fault(
            "identitySourceId",
            format!(
                "is {}, not the identity source {source_id}",
                s.identity_source_id
            ),
        ));
    }
    for (field, t) in [("created", &s.created), ("lastUpdated", &s.last_updated)] {
        if parse_timestamp(t).is_none() {
            return Err(fault(field, not_a_timestamp(t)));
        }
    }
    if let Status::Unknown(other) = &s.status {
        return Err(fault(
            "status",
            format!("{:?} is not a session status", other.as_str()),
        ));
    }
    if matches!(
        s.status,
        Status::Created | Status::InProgress | Status::Triggered
    ) {
        if let Some(other) = &state.active {
            return Err(fault(
                "status",
                format!(
                    "session {} is {} while session {other} is active too; at most one \
                     session is CREATED, IN_PROGRESS or TRIGGERED",
                    s.id, s.status
                ),
            ));
        }
        state.active = Some(s.id.clone());
    } else if !s.loads.is_empty() {
        return Err(fault(
            "loads",
            format!("a {} session has no loads waiting", s.status),
        ));
    }
    if s.load_count > MAX_LOADS_PER_SESSION || s.loads.len() > s.load_count {
        return Err(fault(
            "loadCount",
            format!(
                "is {} with {} loads waiting; at most {MAX_LOADS_PER_SESSION}, and at least \
                 the loads waiting",
                s.load_count,
                s.loads.len()
            ),
        ));
    }
    if s.status == Status::Triggered {
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
    Ok(())
}

/// Adds the groups and sessions of identity source `id` (JSON path `path`) to `state`, which
/// holds its users.
fn finish_source(
    state: &mut SourceState,
    id: &str,
    groups: &[GroupSnapshot],
    sessions: &[SessionSnapshot],
) -> Result<(), Fault> {
    if id.is_empty() {
        return Err(fault("id", "is empty"));
    }
    for (i, g) in groups.iter().enumerate() {
        add_group(state, g).map_err(|(f, m)| (join(&format!("groups[{i}]"), &f), m))?;
    }
    for (i, s) in sessions.iter().enumerate() {
        add_session(state, id, s).map_err(|(f, m)| (join(&format!("sessions[{i}]"), &f), m))?;
    }
    Ok(())
}

/// The state identity source snapshot `s` (at JSON path `path`) describes.
pub(crate) fn source_state(
    s: &IdentitySourceSnapshot,
    path: &str,
    now: u64,
) -> Result<SourceState, SnapshotError> {
    let mut state = SourceState::default();
    let at = |(field, message): Fault| SnapshotError {
        path: join(path, &field),
        message,
    };
    for (i, u) in s.users.iter().enumerate() {
        add_user(&mut state, u, now).map_err(|(f, m)| at((join(&format!("users[{i}]"), &f), m)))?;
    }
    finish_source(&mut state, &s.id, &s.groups, &s.sessions).map_err(at)?;
    Ok(state)
}

/// Every identity source of `snapshot` as state, checked; `now` for missing user times.
pub(crate) fn states(
    snapshot: &StateSnapshot,
    now: u64,
) -> Result<Vec<(String, SourceState)>, SnapshotError> {
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(snapshot.identity_sources.len());
    for (i, s) in snapshot.identity_sources.iter().enumerate() {
        let path = format!("identitySources[{i}]");
        let state = source_state(s, &path, now)?;
        if !seen.insert(s.id.as_str()) {
            return Err(SnapshotError {
                path: format!("{path}.id"),
                message: format!("identity source {} appears twice", s.id),
            });
        }
        out.push((s.id.clone(), state));
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Straight from JSON.

/// Marks a fault's field inside a serde error message, so that the JSON path serde tracked can
/// be completed with it ([`parse_error`]).
const FIELD: char = '\u{1}';

fn de_error<E: de::Error>((field, message): Fault) -> E {
    E::custom(format!("{FIELD}{field}{FIELD}{message}"))
}

/// A [`serde_path_to_error`] error as a [`SnapshotError`], the marked field appended to the
/// path.
pub(crate) fn parse_error(e: serde_path_to_error::Error<serde_json::Error>) -> SnapshotError {
    let path = e.path().to_string();
    let path = if path == "." { String::new() } else { path };
    let inner = e.into_inner();
    let message = inner.to_string();
    match message
        .strip_prefix(FIELD)
        .and_then(|rest| rest.split_once(FIELD))
    {
        Some((field, rest)) => {
            // serde_json appends " at line L column C"; keep it.
            SnapshotError {
                path: join(&path, field),
                message: rest.to_owned(),
            }
        }
        None => SnapshotError { path, message },
    }
}

/// Parses a snapshot file straight into checked identity-source states (what
/// [`states`]`(StateSnapshot::from_json(json)?)` gives, without the snapshot in between).
pub(crate) fn states_from_json(
    json: &[u8],
    now: u64,
) -> Result<Vec<(String, SourceState)>, SnapshotError> {
    let de = &mut serde_json::Deserializer::from_slice(json);
    let mut track = serde_path_to_error::Track::new();
    let states = Document { now }
        .deserialize(serde_path_to_error::Deserializer::new(&mut *de, &mut track))
        .map_err(|e| parse_error(serde_path_to_error::Error::new(track.path(), e)))?;
    de.end().map_err(|e| SnapshotError {
        path: String::new(),
        message: e.to_string(),
    })?;
    Ok(states)
}

/// `DeserializeSeed` for visitors that are their own seed: each `$seed` is read with its
/// deserializer's `$how` and visits itself.
macro_rules! own_seed {
    ($($seed:ty => $how:ident),* $(,)?) => {$(
        impl<'de> DeserializeSeed<'de> for $seed {
            type Value = <Self as Visitor<'de>>::Value;

            fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.$how(self)
            }
        }
    )*};
}

own_seed! {
    Document => deserialize_map,
    Sources => deserialize_seq,
    Source => deserialize_map,
    Users<'_> => deserialize_seq,
}

/// The whole document: `{"identitySources": [...], "stats": ...}` (stats ignored).
struct Document {
    now: u64,
}

impl<'de> Visitor<'de> for Document {
    type Value = Vec<(String, SourceState)>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an emulator state (a JSON object with identitySources)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut sources = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "identitySources" => {
                    sources = Some(map.next_value_seed(Sources { now: self.now })?)
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        sources.ok_or_else(|| de::Error::missing_field("identitySources"))
    }
}

/// `[identity source, …]`, ids unique.
struct Sources {
    now: u64,
}

impl<'de> Visitor<'de> for Sources {
    type Value = Vec<(String, SourceState)>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of identity sources")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out: Vec<(String, SourceState)> = Vec::new();
        while let Some((id, state)) = seq.next_element_seed(Source { now: self.now })? {
            if out.iter().any(|(seen, _)| *seen == id) {
                return Err(de_error(fault(
                    format!("[{}].id", out.len()),
                    format!("identity source {id} appears twice"),
                )));
            }
            out.push((id, state));
        }
        Ok(out)
    }
}

/// One identity source: users straight into the state, then its groups and sessions.
struct Source {
    now: u64,
}

impl<'de> Visitor<'de> for Source {
    type Value = (String, SourceState);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an identity source (a JSON object with id, users, groups, sessions)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut state = SourceState::default();
        let mut id = None;
        let mut groups = Vec::new();
        let mut sessions = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "id" => id = Some(map.next_value::<String>()?),
                "users" => map.next_value_seed(Users {
                    state: &mut state,
                    now: self.now,
                })?,
                "groups" => groups = map.next_value()?,
                "sessions" => sessions = map.next_value()?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let id = id.ok_or_else(|| de::Error::missing_field("id"))?;
        finish_source(&mut state, &id, &groups, &sessions).map_err(de_error)?;
        Ok((id, state))
    }
}

/// `[user, …]`, each added to the state as it is read.
struct Users<'a> {
    state: &'a mut SourceState,
    now: u64,
}

impl<'de> Visitor<'de> for Users<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of users")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq
            .next_element_seed(OneUser {
                state: &mut *self.state,
                now: self.now,
            })?
            .is_some()
        {}
        Ok(())
    }
}

/// One user, checked and added inside its own element (so errors carry its index).
struct OneUser<'a> {
    state: &'a mut SourceState,
    now: u64,
}

impl<'de> DeserializeSeed<'de> for OneUser<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        let user = <UserSnapshot as serde::Deserialize>::deserialize(d)?;
        add_user(self.state, &user, self.now).map_err(de_error)
    }
}
