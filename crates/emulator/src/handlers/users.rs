//! Individual users: create, get, replace, update, delete.

use http::StatusCode;
use okta_idsrc_core::models::{
    IdentitySourceUserProfileForUpsert, Nullable, UserRequestSchema, UsersUpdateRequestSchema,
};
use okta_idsrc_core::validate::Violation;

use super::{no_content, parse_body, parse_body_except};
use crate::entities::write_user;
use crate::error::ApiError;
use crate::profiles::UserProfile;
use crate::reply::{HandlerResult, Reply};
use crate::shared::Shared;
use crate::state::{Source, SourceState};

const USER: &str = "IdentitySourceUser";

/// 200 with the user `external_id` (which exists).
fn user_reply(state: &SourceState, external_id: &str) -> HandlerResult {
    let user = &state.users[external_id];
    let mut out = Vec::with_capacity(512);
    write_user(&mut out, external_id, user, &state.names);
    Ok(Reply::json(StatusCode::OK, out))
}

/// The path names the user; a body without `externalId` is fine.
fn missing_external_id(v: &Violation) -> bool {
    v.field == "externalId" && v.message == "is required"
}

/// `POST /users`: 200 with the new user; an existing external id is a 400.
pub(super) fn create(shared: &Shared, source: &Source, body: &[u8]) -> HandlerResult {
    let request: UserRequestSchema = parse_body(body)?;
    let (Some(external_id), Some(profile)) = (request.external_id, request.profile) else {
        unreachable!("validation requires externalId and profile");
    };
    let now = shared.epoch_secs();
    let mut state = source.lock();
    if state.users.contains_key(external_id.as_str()) {
        return Err(ApiError::already_exists("user", &external_id));
    }
    state.upsert_user(&external_id, &profile, &shared.ids, now);
    user_reply(&state, &external_id)
}

/// `GET /users/{externalId}`.
pub(super) fn get(source: &Source, external_id: &str) -> HandlerResult {
    let state = source.lock();
    if !state.users.contains_key(external_id) {
        return Err(ApiError::not_found(external_id, USER));
    }
    user_reply(&state, external_id)
}

/// Changes an existing user's profile with `change` and answers with the user.
fn modify(
    shared: &Shared,
    source: &Source,
    external_id: &str,
    change: impl FnOnce(&mut IdentitySourceUserProfileForUpsert),
) -> HandlerResult {
    let now = shared.epoch_secs();
    let mut state = source.lock();
    let state = &mut *state;
    let user = state
        .users
        .get_mut(external_id)
        .ok_or_else(|| ApiError::not_found(external_id, USER))?;
    let mut profile = user.profile.to_model(&state.names);
    change(&mut profile);
    user.profile = UserProfile::encode(&profile, &mut state.names);
    user.last_updated = now;
    user_reply(state, external_id)
}

/// `PUT /users/{externalId}`: the profile is replaced.
pub(super) fn replace(
    shared: &Shared,
    source: &Source,
    external_id: &str,
    body: &[u8],
) -> HandlerResult {
    let request: UserRequestSchema = parse_body_except(body, missing_external_id)?;
    let profile = request.profile.unwrap_or_default();
    modify(shared, source, external_id, |p| *p = profile)
}

/// `PATCH /users/{externalId}`: the attributes sent replace those stored; the others stay.
pub(super) fn update(
    shared: &Shared,
    source: &Source,
    external_id: &str,
    body: &[u8],
) -> HandlerResult {
    let request: UsersUpdateRequestSchema = parse_body(body)?;
    let patch = request.profile.unwrap_or_default();
    modify(shared, source, external_id, |p| {
        if patch.email.is_some() {
            p.email = patch.email;
        }
        if patch.user_name.is_some() {
            p.user_name = patch.user_name;
        }
        for (field, value) in [
            (&mut p.first_name, patch.first_name),
            (&mut p.last_name, patch.last_name),
            (&mut p.mobile_phone, patch.mobile_phone),
            (&mut p.home_address, patch.home_address),
            (&mut p.second_email, patch.second_email),
        ] {
            if !matches!(value, Nullable::Absent) {
                *field = value;
            }
        }
        p.additional_properties.extend(patch.additional_properties);
    })
}

/// `DELETE /users/{externalId}`: the user and its memberships are removed; 204.
pub(super) fn delete(source: &Source, external_id: &str) -> HandlerResult {
    source
        .lock()
        .remove_user(external_id)
        .ok_or_else(|| ApiError::not_found(external_id, USER))?;
    no_content()
}
