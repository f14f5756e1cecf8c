//! Individual groups: create, get, update, delete.

use http::StatusCode;
use okta_idsrc_core::models::GroupsRequestSchema;
use okta_idsrc_core::validate::Violation;

use super::{parse_body, parse_body_except};
use crate::entities::{normalize_group_profile, write_group};
use crate::error::ApiError;
use crate::reply::{HandlerResult, Reply};
use crate::shared::Shared;
use crate::state::{Group, Source, SourceState};

fn group_reply(external_id: &str, group: &Group) -> HandlerResult {
    let mut out = Vec::with_capacity(256);
    write_group(&mut out, external_id, group);
    Ok(Reply::json(StatusCode::OK, out))
}

/// The external id of the group a path names by Okta id or external id; 404 when none.
pub(super) fn resolve<'s>(
    state: &'s SourceState,
    group_or_external_id: &str,
) -> Result<&'s str, ApiError> {
    state
        .resolve_group(group_or_external_id)
        .ok_or_else(|| ApiError::not_found(group_or_external_id, "IdentitySourceGroup"))
}

/// `POST /groups`: 200 with the new group (flat profile, as live); an existing external id is
/// a 400.
pub(super) fn create(shared: &Shared, source: &Source, body: &[u8]) -> HandlerResult {
    let request: GroupsRequestSchema = parse_body(body)?;
    let (Some(external_id), Some(mut profile)) = (request.external_id, request.profile) else {
        unreachable!("validation requires externalId and profile");
    };
    normalize_group_profile(&mut profile);
    let mut state = source.lock();
    if state.groups.contains_key(&external_id) {
        return Err(ApiError::already_exists("group", &external_id));
    }
    state.upsert_group(external_id.clone(), profile, &shared.ids);
    group_reply(&external_id, &state.groups[&external_id])
}

/// `GET /groups/{groupOrExternalId}`.
pub(super) fn get(source: &Source, group_or_external_id: &str) -> HandlerResult {
    let state = source.lock();
    let ext = resolve(&state, group_or_external_id)?;
    group_reply(ext, &state.groups[ext])
}

/// `POST /groups/{groupOrExternalId}`: the profile is replaced.
pub(super) fn update(source: &Source, group_or_external_id: &str, body: &[u8]) -> HandlerResult {
    let request: GroupsRequestSchema = parse_body_except(body, |v: &Violation| {
        v.field == "externalId" && v.message == "is required"
    })?;
    let mut profile = request.profile.unwrap_or_default();
    normalize_group_profile(&mut profile);
    let mut state = source.lock();
    let ext = resolve(&state, group_or_external_id)?.to_owned();
    let group = state
        .groups
        .get_mut(&ext)
        .expect("resolved under the same lock");
    group.profile = profile;
    group_reply(&ext, group)
}

/// `DELETE /groups/{groupOrExternalId}`: 200 with an empty body, as live Okta answers.
pub(super) fn delete(source: &Source, group_or_external_id: &str) -> HandlerResult {
    let mut state = source.lock();
    let ext = resolve(&state, group_or_external_id)?.to_owned();
    state.remove_group(&ext);
    Ok(Reply::empty(StatusCode::OK))
}
