//! The 23 operations, grouped by resource.

mod groups;
mod memberships;
mod sessions;
mod users;

use http::request::Parts;
use http::{Method, StatusCode, Version};
use okta_idsrc_core::validate::{Validate, Violation};
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::reply::{HandlerResult, Reply};
use crate::router::{Action, Route};
use crate::shared::Shared;

/// The largest request body read at all; bulk loads are refused above 200 KB anyway.
pub(crate) const MAX_BODY_BYTES: usize = 1 << 20;

/// Whether the route's operation reads a request body.
pub(crate) fn takes_body(route: &Route, method: &Method) -> bool {
    match route {
        Route::SessionAction(_, action) => *action != Action::StartImport,
        Route::Users | Route::Groups | Route::Memberships(_) => *method == Method::POST,
        Route::User(_) => *method == Method::PUT || *method == Method::PATCH,
        Route::Group(_) => *method == Method::POST,
        Route::Sessions | Route::Session(_) | Route::Membership(..) => false,
    }
}

/// A POST, PUT or PATCH over HTTP/1 that declares no body length at all: no `Content-Length`
/// and no `Transfer-Encoding` (Okta answers 411).
pub(crate) fn lacks_length(parts: &Parts) -> bool {
    let has_body_method = matches!(parts.method, Method::POST | Method::PUT | Method::PATCH);
    let http1 = matches!(parts.version, Version::HTTP_10 | Version::HTTP_11);
    has_body_method
        && http1
        && !parts.headers.contains_key(http::header::CONTENT_LENGTH)
        && !parts.headers.contains_key(http::header::TRANSFER_ENCODING)
}

/// The 400 for a body over `MAX_BODY_BYTES`.
pub(crate) fn body_too_large() -> ApiError {
    ApiError::violations(&[Violation::new(
        "body",
        None,
        format!(
            "is more than {MAX_BODY_BYTES} bytes; at most {} allowed",
            okta_idsrc_core::limits::MAX_LOAD_BYTES
        ),
    )])
}

/// Parses a JSON body into a core model and checks it with core's validation. Unknown fields
/// are kept (and ignored).
pub(crate) fn parse_body<T: DeserializeOwned + Validate>(body: &[u8]) -> Result<T, ApiError> {
    parse_body_except(body, |_| false)
}

/// [`parse_body`], ignoring the violations `ignore` selects.
pub(crate) fn parse_body_except<T: DeserializeOwned + Validate>(
    body: &[u8],
    ignore: impl Fn(&Violation) -> bool,
) -> Result<T, ApiError> {
    let value: T = okta_idsrc_core::json::from_slice(body).map_err(|_| ApiError::malformed())?;
    let mut violations = value.violations();
    violations.retain(|v| !ignore(v));
    if violations.is_empty() {
        Ok(value)
    } else {
        Err(ApiError::violations(&violations))
    }
}

/// Runs the operation `route` and `parts.method` name, on identity source `source_id`.
pub(crate) fn dispatch(
    shared: &Shared,
    parts: &Parts,
    source_id: &str,
    route: Route,
    body: &[u8],
) -> HandlerResult {
    let method = &parts.method;
    if !route.allows(method) {
        return Err(ApiError::method_not_allowed());
    }
    let Some(source) = shared.source(source_id) else {
        return Err(ApiError::not_found(source_id, "IdentitySource"));
    };
    match (route, method.clone()) {
        (Route::Sessions, Method::GET) => sessions::list(shared, source),
        (Route::Sessions, _) => sessions::create(shared, source),
        (Route::Session(id), Method::GET) => sessions::get(shared, source, &id),
        (Route::Session(id), _) => sessions::delete(shared, source, &id),
        (Route::SessionAction(id, Action::StartImport), _) => {
            sessions::start_import(shared, source, &id)
        }
        (Route::SessionAction(id, action), _) => sessions::load(shared, source, &id, action, body),
        (Route::Users, _) => users::create(shared, source, body),
        (Route::User(ext), Method::GET) => users::get(source, &ext),
        (Route::User(ext), Method::PUT) => users::replace(shared, source, &ext, body),
        (Route::User(ext), Method::PATCH) => users::update(shared, source, &ext, body),
        (Route::User(ext), _) => users::delete(source, &ext),
        (Route::Groups, _) => groups::create(shared, source, body),
        (Route::Group(g), Method::GET) => groups::get(source, &g),
        (Route::Group(g), Method::POST) => groups::update(source, &g, body),
        (Route::Group(g), _) => groups::delete(source, &g),
        (Route::Memberships(g), Method::GET) => memberships::list(shared, source, &g, parts),
        (Route::Memberships(g), _) => memberships::create(source, &g, body),
        (Route::Membership(g, m), _) => memberships::delete(source, &g, &m),
    }
}

/// 204 No Content.
pub(crate) fn no_content() -> HandlerResult {
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}
