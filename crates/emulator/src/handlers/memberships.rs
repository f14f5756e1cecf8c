//! A group's memberships: the paged listing, create and delete.

use http::StatusCode;
use http::request::Parts;
use okta_idsrc_core::json::WriteJson;
use okta_idsrc_core::limits::MAX_MEMBERSHIP_PAGE_LIMIT;
use okta_idsrc_core::models::MembershipRequestSchema;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

use super::groups::resolve;
use super::{no_content, parse_body};
use crate::error::ApiError;
use crate::reply::{HandlerResult, Reply};
use crate::shared::Shared;
use crate::state::Source;

/// Page size when the request gives none.
pub(crate) const DEFAULT_PAGE_LIMIT: u32 = 100;

/// Everything but unreserved characters is encoded in a cursor.
const CURSOR: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

struct Query {
    after: Option<String>,
    limit: u32,
}

fn parse_query(query: Option<&str>) -> Result<Query, ApiError> {
    let mut q = Query {
        after: None,
        limit: DEFAULT_PAGE_LIMIT,
    };
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = percent_decode_str(&value.replace('+', " "))
            .decode_utf8_lossy()
            .into_owned();
        match name {
            "after" => q.after = Some(value).filter(|v| !v.is_empty()),
            "limit" => {
                q.limit = value
                    .parse::<u32>()
                    .ok()
                    .filter(|&n| (1..=MAX_MEMBERSHIP_PAGE_LIMIT).contains(&n))
                    .ok_or_else(|| {
                        ApiError::validation(
                            "limit",
                            vec![format!(
                                "limit: must be a whole number from 1 to {MAX_MEMBERSHIP_PAGE_LIMIT}, found {value:?}"
                            )],
                        )
                    })?;
            }
            _ => {} // unknown parameters are ignored
        }
    }
    Ok(q)
}

/// `GET /groups/{groupOrExternalId}/membership?after=&limit=`: members in insertion order, a
/// `self` link, and a `next` link while more remain. The cursor is the last member of the page.
pub(super) fn list(
    shared: &Shared,
    source: &Source,
    group_or_external_id: &str,
    parts: &Parts,
) -> HandlerResult {
    let query = parse_query(parts.uri.query())?;
    let state = source.lock();
    let ext = resolve(&state, group_or_external_id)?;
    let members = &state.groups[ext].members;
    let start = match &query.after {
        None => 0,
        // A cursor whose member has since left the group ends the listing.
        Some(after) => members
            .get_index_of(after.as_str())
            .map_or(members.len(), |i| i + 1),
    };
    let end = (start + query.limit as usize).min(members.len());
    let page = members.get_range(start..end).into_iter().flatten();

    let mut out = Vec::with_capacity(32 + (end - start) * 24);
    out.extend_from_slice(b"{\"memberExternalIds\":[");
    for (i, member) in page.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        WriteJson::write_json(&**member, &mut out);
    }
    out.extend_from_slice(b"]}");

    let base = format!("http://{}{}", host(shared, parts), parts.uri.path());
    let link = |after: Option<&str>, rel: &str| match after {
        Some(a) => format!(
            "<{base}?after={}&limit={}>; rel=\"{rel}\"",
            utf8_percent_encode(a, CURSOR),
            query.limit
        ),
        None => format!("<{base}?limit={}>; rel=\"{rel}\"", query.limit),
    };
    let mut links = vec![link(query.after.as_deref(), "self")];
    if end < members.len() && end > start {
        links.push(link(members.get_index(end - 1).map(|m| &**m), "next"));
    }
    Ok(Reply {
        status: StatusCode::OK,
        body: Some(out),
        links,
    })
}

/// The authority the client used (`Host`, or HTTP/2's `:authority`), else the listening address.
fn host(shared: &Shared, parts: &Parts) -> String {
    parts
        .uri
        .authority()
        .map(|a| a.as_str().to_owned())
        .or_else(|| {
            let h = parts.headers.get(http::header::HOST)?.to_str().ok()?;
            // Only a plain authority goes into a link.
            h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
                .then(|| h.to_owned())
        })
        .unwrap_or_else(|| shared.addr.to_string())
}

/// `POST /groups/{groupOrExternalId}/membership`: 204; the member must be a known user.
pub(super) fn create(source: &Source, group_or_external_id: &str, body: &[u8]) -> HandlerResult {
    let request: MembershipRequestSchema = parse_body(body)?;
    let member = request.member_external_id.unwrap_or_default();
    let mut state = source.lock();
    let ext = resolve(&state, group_or_external_id)?.to_owned();
    if !state.users.contains_key(member.as_str()) {
        return Err(ApiError::not_found(&member, "IdentitySourceUser"));
    }
    state.add_member(&ext, &member);
    no_content()
}

/// `DELETE /groups/{groupOrExternalId}/membership/{memberExternalId}`: 204; 404 when the user
/// is not a member.
pub(super) fn delete(source: &Source, group_or_external_id: &str, member: &str) -> HandlerResult {
    let mut state = source.lock();
    let ext = resolve(&state, group_or_external_id)?.to_owned();
    if !state.remove_member(&ext, member) {
        return Err(ApiError::not_found(member, "IdentitySourceGroupMembership"));
    }
    no_content()
}
