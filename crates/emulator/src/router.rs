//! Which operation a request path names.

use std::borrow::Cow;

use http::Method;
use percent_encoding::percent_decode_str;

/// The prefix of every Identity Sources path.
pub(crate) const PREFIX: &str = "/api/v1/identity-sources/";

/// A session sub-resource (`POST /sessions/{id}/{action}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    BulkUpsert,
    BulkDelete,
    StartImport,
    BulkGroupsUpsert,
    BulkGroupsDelete,
    BulkGroupMembershipsUpsert,
    BulkGroupMembershipsDelete,
}

impl Action {
    fn parse(segment: &str) -> Option<Self> {
        Some(match segment {
            "bulk-upsert" => Self::BulkUpsert,
            "bulk-delete" => Self::BulkDelete,
            "start-import" => Self::StartImport,
            "bulk-groups-upsert" => Self::BulkGroupsUpsert,
            "bulk-groups-delete" => Self::BulkGroupsDelete,
            "bulk-group-memberships-upsert" => Self::BulkGroupMembershipsUpsert,
            "bulk-group-memberships-delete" => Self::BulkGroupMembershipsDelete,
            _ => return None,
        })
    }
}

/// A resource under `/api/v1/identity-sources/{identitySourceId}`, path parameters decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    Sessions,
    Session(String),
    SessionAction(String, Action),
    Users,
    User(String),
    Groups,
    Group(String),
    Memberships(String),
    Membership(String, String),
}

impl Route {
    /// The methods the resource supports.
    pub(crate) fn allows(&self, method: &Method) -> bool {
        let allowed: &[Method] = match self {
            Route::Sessions => &[Method::GET, Method::POST],
            Route::Session(_) => &[Method::GET, Method::DELETE],
            Route::SessionAction(..) | Route::Users | Route::Groups => &[Method::POST],
            Route::User(_) => &[Method::GET, Method::PUT, Method::PATCH, Method::DELETE],
            Route::Group(_) => &[Method::GET, Method::POST, Method::DELETE],
            Route::Memberships(_) => &[Method::GET, Method::POST],
            Route::Membership(..) => &[Method::DELETE],
        };
        allowed.contains(method)
    }
}

/// The identity source id and the route of `path`; `None` when the path names no resource of
/// the API (a 404).
pub(crate) fn parse(path: &str) -> Option<(String, Route)> {
    let rest = path.strip_prefix(PREFIX)?;
    let mut segments = rest.split('/');
    let source = decode(segments.next()?)?.into_owned();
    let parts: Vec<Cow<'_, str>> = segments.map(decode).collect::<Option<_>>()?;
    let p: Vec<&str> = parts.iter().map(AsRef::as_ref).collect();
    let route = match p.as_slice() {
        ["sessions"] => Route::Sessions,
        ["sessions", id] => Route::Session((*id).to_owned()),
        ["sessions", id, action] => Route::SessionAction((*id).to_owned(), Action::parse(action)?),
        ["users"] => Route::Users,
        ["users", ext] => Route::User((*ext).to_owned()),
        ["groups"] => Route::Groups,
        ["groups", g] => Route::Group((*g).to_owned()),
        ["groups", g, "membership"] => Route::Memberships((*g).to_owned()),
        ["groups", g, "membership", m] => Route::Membership((*g).to_owned(), (*m).to_owned()),
        _ => return None,
    };
    Some((source, route))
}

/// A percent-decoded, non-empty UTF-8 segment.
fn decode(segment: &str) -> Option<Cow<'_, str>> {
    if segment.is_empty() {
        return None;
    }
    percent_decode_str(segment).decode_utf8().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(
            parse("/api/v1/identity-sources/0oa1/sessions"),
            Some(("0oa1".into(), Route::Sessions))
        );
        assert_eq!(
            parse("/api/v1/identity-sources/0oa1/sessions/aps1/bulk-groups-delete"),
            Some((
                "0oa1".into(),
                Route::SessionAction("aps1".into(), Action::BulkGroupsDelete)
            ))
        );
        assert_eq!(
            parse("/api/v1/identity-sources/0oa1/groups/g%201/membership/u%2F1"),
            Some(("0oa1".into(), Route::Membership("g 1".into(), "u/1".into())))
        );
        assert_eq!(parse("/api/v1/identity-sources/0oa1/sessions/"), None);
        assert_eq!(
            parse("/api/v1/identity-sources/0oa1/sessions/aps1/nope"),
            None
        );
        assert_eq!(parse("/api/v1/users"), None);
    }
}
