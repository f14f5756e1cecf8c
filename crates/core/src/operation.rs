//! What every operation shares: the [`Operation`] trait, the intent carried in request
//! extensions, the [`ApiContext`] requests are built against, and response parsing helpers.

use bytes::Bytes;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, USER_AGENT};
use http::{HeaderValue, Method, Request, Response};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::de::DeserializeOwned;

use crate::auth::Credentials;
use crate::error::{ApiError, DecodeError, Error, InvalidRequest};
use crate::json::{self, WriteJson};
use crate::org::OrgUrl;
use crate::validate::{self, Validate, ValidationError};

/// The `User-Agent` this crate sends (plus anything the caller appends).
pub const USER_AGENT_PREFIX: &str = concat!("okta-idsrc/", env!("CARGO_PKG_VERSION"), " rust");

/// Whether an operation may be sent again after an ambiguous failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Idempotency {
    /// Repeating it has the same effect as sending it once (reads, deletes, replaces, and
    /// bulk loads, which are keyed by external id).
    Idempotent,
    /// Repeating it may act twice (session creation, start-import, creates). After an
    /// ambiguous failure, read the state back instead of repeating it.
    NonIdempotent,
}

/// The rate-limit bucket an operation counts against on Okta's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RateLimitBucket {
    /// `POST /sessions`: a small bucket of its own (15 a minute on a live org).
    SessionCreate,
    /// Everything else: the general `/api/v1` bucket.
    General,
}

/// The intent of a request, carried in its extensions so that middleware can decide without
/// guessing from the method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct OperationInfo {
    /// The operationId, e.g. `startImportFromIdentitySource`.
    pub name: &'static str,
    /// Whether the request may be repeated.
    pub idempotency: Idempotency,
    /// Okta's rate-limit bucket.
    pub bucket: RateLimitBucket,
}

impl OperationInfo {
    /// Info for an operation.
    pub const fn new(
        name: &'static str,
        idempotency: Idempotency,
        bucket: RateLimitBucket,
    ) -> Self {
        Self {
            name,
            idempotency,
            bucket,
        }
    }

    /// The info stored in `request`'s extensions, if any.
    pub fn of<B>(request: &Request<B>) -> Option<&OperationInfo> {
        request.extensions().get::<OperationInfo>()
    }

    /// Whether an ambiguous failure of this request may be retried.
    pub fn is_idempotent(&self) -> bool {
        self.idempotency == Idempotency::Idempotent
    }
}

/// Where and as whom requests are built: the org URL, optional credentials and the
/// `User-Agent`.
///
/// Credentials are optional so that a middleware (OAuth, DPoP) can add the `Authorization`
/// header itself.
#[derive(Clone, Debug)]
pub struct ApiContext {
    org: OrgUrl,
    credentials: Option<Credentials>,
    user_agent: HeaderValue,
}

impl ApiContext {
    /// A context for `org` with `credentials`.
    pub fn new(org: OrgUrl, credentials: Option<Credentials>) -> Self {
        Self {
            org,
            credentials,
            user_agent: HeaderValue::from_static(USER_AGENT_PREFIX),
        }
    }

    /// Appends `extra` (e.g. `my-hr-sync/2.1`) to the `User-Agent`. Invalid header text is
    /// ignored.
    #[must_use]
    pub fn with_user_agent_suffix(mut self, extra: &str) -> Self {
        if let Ok(v) = HeaderValue::try_from(format!("{USER_AGENT_PREFIX} {extra}")) {
            self.user_agent = v;
        }
        self
    }

    /// The org URL.
    pub fn org(&self) -> &OrgUrl {
        &self.org
    }

    /// The credentials, if the context adds the `Authorization` header itself.
    pub fn credentials(&self) -> Option<&Credentials> {
        self.credentials.as_ref()
    }
}

/// One API operation: builds its request and parses its response, with no IO.
///
/// ```
/// use okta_idsrc_core::{ApiContext, Credentials, OrgUrl, Operation};
/// use okta_idsrc_core::operations::GetIdentitySourceSession;
///
/// let ctx = ApiContext::new(
///     OrgUrl::parse("https://acme.okta.com").unwrap(),
///     Some(Credentials::api_token("secret")),
/// );
/// let op = GetIdentitySourceSession::new("0oa1", "aps1");
/// let request = op.build(&ctx).unwrap();
/// assert_eq!(request.uri(), "https://acme.okta.com/api/v1/identity-sources/0oa1/sessions/aps1");
///
/// let response = http::Response::builder()
///     .status(200)
///     .body(bytes::Bytes::from_static(br#"{"id":"aps1","status":"CREATED"}"#))
///     .unwrap();
/// let session = GetIdentitySourceSession::parse(response).unwrap();
/// assert_eq!(session.id.as_deref(), Some("aps1"));
/// ```
pub trait Operation {
    /// What a successful response parses into.
    type Output;
    /// The operation's name, idempotency and rate-limit bucket.
    const INFO: OperationInfo;
    /// Builds the request: validates input, then writes method, URI, headers, body and the
    /// [`OperationInfo`] extension.
    fn build(&self, ctx: &ApiContext) -> Result<Request<Bytes>, Error>;
    /// Parses the response: any 2xx is success; anything else is an [`ApiError`].
    fn parse(response: Response<Bytes>) -> Result<Self::Output, Error>;
}

/// Characters left as they are in a path segment: RFC 3986 unreserved.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Characters left as they are in a query value.
const QUERY_VALUE: &AsciiSet = SEGMENT;

/// Builds request paths from checked, percent-encoded segments.
pub(crate) struct PathBuilder {
    operation: &'static str,
    path: String,
}

impl PathBuilder {
    /// `/api/v1/identity-sources/{identitySourceId}`.
    pub(crate) fn identity_source(
        operation: &'static str,
        identity_source_id: &str,
    ) -> Result<Self, Error> {
        let mut b = Self {
            operation,
            path: String::with_capacity(96),
        };
        b.path.push_str("/api/v1/identity-sources");
        b.param("identitySourceId", identity_source_id)?;
        Ok(b)
    }

    /// Appends a literal segment.
    pub(crate) fn lit(mut self, segment: &str) -> Self {
        self.path.push('/');
        self.path.push_str(segment);
        self
    }

    /// Appends a path parameter as one encoded segment, refusing empty, `.`, `..` and
    /// control characters.
    pub(crate) fn param(&mut self, name: &'static str, value: &str) -> Result<(), Error> {
        if let Some(v) = validate::check_id(name, value) {
            return Err(InvalidRequest::new(self.operation, format!("path parameter {v}")).into());
        }
        self.path.push('/');
        self.path.extend(utf8_percent_encode(value, SEGMENT));
        Ok(())
    }

    /// Appends a parameter segment, builder style.
    pub(crate) fn with(mut self, name: &'static str, value: &str) -> Result<Self, Error> {
        self.param(name, value)?;
        Ok(self)
    }

    /// Appends `/sessions/{sessionId}`.
    pub(crate) fn session(self, session_id: &str) -> Result<Self, Error> {
        self.lit("sessions").with("sessionId", session_id)
    }

    /// Appends `/users/{externalId}`.
    pub(crate) fn user(self, external_id: &str) -> Result<Self, Error> {
        self.lit("users").with("externalId", external_id)
    }

    /// Appends `/groups/{groupOrExternalId}`.
    pub(crate) fn group(self, group_or_external_id: &str) -> Result<Self, Error> {
        self.lit("groups")
            .with("groupOrExternalId", group_or_external_id)
    }

    /// Appends `?k=v&…`, skipping absent values.
    pub(crate) fn query(mut self, pairs: &[(&str, Option<&str>)]) -> Self {
        let mut first = true;
        for (k, v) in pairs {
            if let Some(v) = v {
                self.path.push(if first { '?' } else { '&' });
                first = false;
                self.path.push_str(k);
                self.path.push('=');
                self.path.extend(utf8_percent_encode(v, QUERY_VALUE));
            }
        }
        self
    }

    pub(crate) fn finish(self) -> String {
        self.path
    }
}

/// Assembles a request for `info` at `path_and_query` (already encoded), with an optional
/// JSON body.
pub(crate) fn request(
    ctx: &ApiContext,
    info: OperationInfo,
    method: Method,
    path_and_query: &str,
    body: Option<Bytes>,
) -> Result<Request<Bytes>, Error> {
    let uri = format!("{}{}", ctx.org.as_str(), path_and_query);
    request_to(ctx, info, method, &uri, body)
}

/// Like [`request`] with a full URI (a followed `Link`).
pub(crate) fn request_to(
    ctx: &ApiContext,
    info: OperationInfo,
    method: Method,
    uri: &str,
    body: Option<Bytes>,
) -> Result<Request<Bytes>, Error> {
    let mut builder = Request::builder()
        .method(method.clone())
        .uri(uri)
        .header(ACCEPT, HeaderValue::from_static("application/json"))
        .header(USER_AGENT, ctx.user_agent.clone());
    if let Some(creds) = &ctx.credentials {
        let value = creds
            .authorization_header()
            .map_err(|e| InvalidRequest::new(info.name, e.to_string()))?;
        builder = builder.header(AUTHORIZATION, value);
    }
    let body = match body {
        Some(b) => {
            builder = builder
                .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                .header(CONTENT_LENGTH, HeaderValue::from(b.len()));
            b
        }
        None => {
            if matches!(method, Method::POST | Method::PUT | Method::PATCH) {
                builder = builder.header(CONTENT_LENGTH, HeaderValue::from_static("0"));
            }
            Bytes::new()
        }
    };
    let mut request = builder
        .body(body)
        .map_err(|e| InvalidRequest::new(info.name, format!("cannot build the request: {e}")))?;
    request.extensions_mut().insert(info);
    Ok(request)
}

/// Validates `body` and serializes it, checking the serialized size against the load limit
/// when `size_limited`.
pub(crate) fn json_body<T: Validate + WriteJson>(
    operation: &'static str,
    body: &T,
    size_limited: bool,
) -> Result<Vec<u8>, Error> {
    let mut violations = body.violations();
    let bytes = json::to_vec(body);
    if size_limited {
        violations.extend(validate::check_body_size(bytes.len()));
    }
    if violations.is_empty() {
        Ok(bytes)
    } else {
        Err(ValidationError {
            operation,
            violations,
        }
        .into())
    }
}

/// Fails with an [`ApiError`] unless the status is 2xx.
pub(crate) fn success(operation: &'static str, response: &Response<Bytes>) -> Result<(), Error> {
    if response.status().is_success() {
        Ok(())
    } else {
        Err(ApiError::from_response(operation, response).into())
    }
}

/// Parses a 2xx JSON body into `T`.
pub(crate) fn parse_json<T: DeserializeOwned>(
    operation: &'static str,
    response: Response<Bytes>,
) -> Result<T, Error> {
    success(operation, &response)?;
    if response.body().iter().all(u8::is_ascii_whitespace) {
        return Err(DecodeError::new(
            operation,
            &response,
            "expected a JSON body, got an empty one",
        )
        .into());
    }
    json::from_slice(response.body())
        .map_err(|e| DecodeError::new(operation, &response, e.to_string()).into())
}

/// Parses a 2xx body that is one object or (as older docs and SDKs say) a one-element list.
pub(crate) fn parse_one_or_list<T: DeserializeOwned>(
    operation: &'static str,
    response: Response<Bytes>,
) -> Result<T, Error> {
    let is_list = response.body().iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[');
    if !is_list {
        return parse_json(operation, response);
    }
    success(operation, &response)?;
    let mut items: Vec<T> = json::from_slice(response.body())
        .map_err(|e| Error::from(DecodeError::new(operation, &response, e.to_string())))?;
    if items.len() != 1 {
        let msg = format!(
            "expected one object or a one-element list, got a list of {}",
            items.len()
        );
        return Err(DecodeError::new(operation, &response, msg).into());
    }
    Ok(items.remove(0))
}

/// Accepts any 2xx, whatever the body (204, or live Okta's 200 with an empty body).
pub(crate) fn parse_empty(operation: &'static str, response: Response<Bytes>) -> Result<(), Error> {
    success(operation, &response)
}
