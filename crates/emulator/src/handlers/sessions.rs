//! Sessions: list, create, get, cancel, the six bulk loads and start-import.

use http::StatusCode;
use okta_idsrc_core::limits::MAX_LOADS_PER_SESSION;
use okta_idsrc_core::models::{
    BulkDeleteRequestBody, BulkGroupDeleteRequestBody, BulkGroupMembershipsDeleteRequestBody,
    BulkGroupMembershipsUpsertRequestBody, BulkGroupUpsertRequestBody, BulkUpsertRequestBody,
    IdentitySourceSessionStatus as Status,
};
use okta_idsrc_core::validate::{Validate, check_body_size};
use serde::de::DeserializeOwned;
use tokio::time::Instant;

use super::{no_content, parse_body};
use crate::error::ApiError;
use crate::reply::{HandlerResult, Reply};
use crate::router::Action;
use crate::shared::Shared;
use crate::state::{Load, Session, Source, SourceState};

const SESSION: &str = "IdentitySourceSession";

/// 400 E0000001 naming `importSessionId`: the session's status refuses the operation.
fn refused(cause: impl Into<String>) -> ApiError {
    ApiError::validation("importSessionId", vec![cause.into()])
}

/// Locks the source's state, with idle sessions expired.
fn locked<'a>(
    shared: &Shared,
    source: &'a Source,
    now: Instant,
    timestamp: &str,
) -> std::sync::MutexGuard<'a, SourceState> {
    let mut state = source.lock();
    state.expire_idle(shared.config.session_idle_expiry, now, timestamp);
    state
}

/// The session `id`; 404 E0000007 when there is none.
fn session_mut<'s>(state: &'s mut SourceState, id: &str) -> Result<&'s mut Session, ApiError> {
    state
        .sessions
        .get_mut(id)
        .ok_or_else(|| ApiError::not_found(id, SESSION))
}

fn session_json(source: &Source, session: &Session) -> Vec<u8> {
    let mut out = Vec::with_capacity(192);
    session.write_json(&source.id, &mut out);
    out
}

/// `GET /sessions`: every session, terminal ones included.
pub(super) fn list(shared: &Shared, source: &Source) -> HandlerResult {
    let state = locked(shared, source, Instant::now(), &shared.timestamp());
    let mut out = Vec::with_capacity(2 + 192 * state.sessions.len());
    out.push(b'[');
    for (i, session) in state.sessions.values().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        session.write_json(&source.id, &mut out);
    }
    out.push(b']');
    Ok(Reply::json(StatusCode::OK, out))
}

/// `POST /sessions`: 201 (live), one active session at a time, and the cool-down.
pub(super) fn create(shared: &Shared, source: &Source) -> HandlerResult {
    let now = Instant::now();
    let timestamp = shared.timestamp();
    let mut state = locked(shared, source, now, &timestamp);
    if let Some(active) = &state.active {
        let status = state.sessions.get(active).map_or("", |s| s.status.as_str());
        return Err(ApiError::validation(
            "identitySourceId",
            vec![format!(
                "An active session ({active}, {status}) already exists for this identity source; \
                 only one session in CREATED, IN_PROGRESS or TRIGGERED status is allowed at a time."
            )],
        ));
    }
    let cooldown = shared.config.session_cooldown;
    if let Some(last) = state.last_created {
        let since = now.duration_since(last);
        if since < cooldown {
            let wait = (cooldown - since).as_secs_f64().ceil() as u64;
            return Err(ApiError::validation(
                "identitySourceId",
                vec![format!(
                    "A session was created for this identity source less than {} seconds ago; \
                     try again in {wait} seconds.",
                    cooldown.as_secs_f64().ceil() as u64
                )],
            ));
        }
    }
    let id = shared.ids.session();
    let session = Session {
        id: id.clone(),
        status: Status::Created,
        created: timestamp.clone(),
        last_updated: timestamp,
        last_activity: now,
        loads: Vec::new(),
        load_count: 0,
    };
    let body = session_json(source, &session);
    state.sessions.insert(id.clone(), session);
    state.active = Some(id);
    state.last_created = Some(now);
    Ok(Reply::json(StatusCode::CREATED, body))
}

/// `GET /sessions/{id}`.
pub(super) fn get(shared: &Shared, source: &Source, id: &str) -> HandlerResult {
    let now = Instant::now();
    let mut state = locked(shared, source, now, &shared.timestamp());
    let session = session_mut(&mut state, id)?;
    session.last_activity = now;
    Ok(Reply::json(StatusCode::OK, session_json(source, session)))
}

/// `DELETE /sessions/{id}`: CREATED or IN_PROGRESS → CLOSED, uploaded data discarded.
pub(super) fn delete(shared: &Shared, source: &Source, id: &str) -> HandlerResult {
    let timestamp = shared.timestamp();
    let mut state = locked(shared, source, Instant::now(), &timestamp);
    let session = session_mut(&mut state, id)?;
    if !session.status.accepts_loads() {
        // Exactly the live body (`docs/okta-behavior.md#session-lifecycle`).
        return Err(refused(
            "Only a session that is in CREATED or IN_PROGRESS status can be canceled.",
        ));
    }
    session.status = Status::Closed;
    session.last_updated = timestamp;
    session.loads = Vec::new();
    if state.active.as_deref() == Some(id) {
        state.active = None;
    }
    no_content()
}

/// `POST /sessions/{id}/start-import`: IN_PROGRESS → TRIGGERED; the worker takes it from there.
pub(super) fn start_import(shared: &Shared, source: &Source, id: &str) -> HandlerResult {
    let now = Instant::now();
    let timestamp = shared.timestamp();
    let mut state = locked(shared, source, now, &timestamp);
    let session = session_mut(&mut state, id)?;
    if session.status != Status::InProgress {
        return Err(refused(format!(
            "Only a session that is in IN_PROGRESS status can be imported; session {id} is {}.",
            session.status
        )));
    }
    session.status = Status::Triggered;
    session.last_updated = timestamp;
    session.last_activity = now;
    let body = session_json(source, session);
    state.queue.push_back(id.to_owned());
    drop(state);
    source.wake.notify_one();
    Ok(Reply::json(StatusCode::OK, body))
}

/// The entries of a bulk load body `B`, parsed and validated; none when `entries` finds none.
fn entries<B: DeserializeOwned + Validate, T>(
    body: &[u8],
    entries: impl FnOnce(B) -> Option<Vec<T>>,
) -> Result<Vec<T>, ApiError> {
    Ok(entries(parse_body::<B>(body)?).unwrap_or_default())
}

/// Parses and validates a bulk load body into a [`Load`].
fn parse_load(action: Action, body: &[u8]) -> Result<Load, ApiError> {
    if let Some(v) = check_body_size(body.len()) {
        return Err(ApiError::violations(&[v]));
    }
    Ok(match action {
        Action::BulkUpsert => {
            Load::BulkUpsert(entries(body, |b: BulkUpsertRequestBody| b.profiles)?)
        }
        Action::BulkDelete => {
            Load::BulkDelete(entries(body, |b: BulkDeleteRequestBody| b.profiles)?)
        }
        Action::BulkGroupsUpsert => {
            Load::BulkGroupsUpsert(entries(body, |b: BulkGroupUpsertRequestBody| b.profiles)?)
        }
        Action::BulkGroupsDelete => {
            Load::BulkGroupsDelete(entries(body, |b: BulkGroupDeleteRequestBody| {
                b.external_ids
            })?)
        }
        Action::BulkGroupMembershipsUpsert => Load::BulkGroupMembershipsUpsert(entries(
            body,
            |b: BulkGroupMembershipsUpsertRequestBody| b.memberships,
        )?),
        Action::BulkGroupMembershipsDelete => Load::BulkGroupMembershipsDelete(entries(
            body,
            |b: BulkGroupMembershipsDeleteRequestBody| b.memberships,
        )?),
        Action::StartImport => unreachable!("start-import carries no load"),
    })
}

/// One of the six bulk loads: 202, stored for processing. The count check and the push happen
/// under one lock, so parallel loads never lose one another or exceed 50.
pub(super) fn load(
    shared: &Shared,
    source: &Source,
    id: &str,
    action: Action,
    body: &[u8],
) -> HandlerResult {
    // An unknown session is a 404 whatever the body says.
    if !source.lock().sessions.contains_key(id) {
        return Err(ApiError::not_found(id, SESSION));
    }
    let load = parse_load(action, body)?;
    let now = Instant::now();
    let timestamp = shared.timestamp();
    let mut state = locked(shared, source, now, &timestamp);
    let session = session_mut(&mut state, id)?;
    if !session.status.accepts_loads() {
        return Err(refused(format!(
            "Bulk data can only be uploaded to a session in CREATED or IN_PROGRESS status; \
             session {id} is {}.",
            session.status
        )));
    }
    if session.load_count >= MAX_LOADS_PER_SESSION {
        return Err(refused(format!(
            "A session accepts at most {MAX_LOADS_PER_SESSION} bulk loads; start the import \
             and create a new session for more data."
        )));
    }
    // A load that changes nothing leaves a CREATED session CREATED.
    let changes = session.status == Status::Created && state.load_changes(&load);
    let session = state
        .sessions
        .get_mut(id)
        .expect("looked up above under the same lock");
    if changes {
        session.status = Status::InProgress;
    }
    session.loads.push(load);
    session.load_count += 1;
    session.last_updated = timestamp;
    session.last_activity = now;
    Ok(Reply::empty(StatusCode::ACCEPTED))
}
