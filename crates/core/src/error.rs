//! The errors of building requests and parsing responses.

use std::fmt;

use bytes::Bytes;
use http::{HeaderMap, StatusCode};

use crate::headers::{self, RateLimit};
use crate::models;
use crate::transport::{BoxError, TransportError};
use crate::validate::ValidationError;

/// How many bytes of a non-JSON error body an [`ApiError`] keeps.
pub const BODY_EXCERPT_LIMIT: usize = 512;

/// The longest non-JSON error body an [`ApiError`]'s `Display` quotes (a plain-text line from
/// a proxy, say); a longer one, or an HTML page, is described by its type and size only.
pub const DISPLAYED_BODY_LIMIT: usize = 100;

/// Any failure of an operation: invalid input, an error answer from Okta, a response that
/// does not parse, or a failed exchange.
///
/// `Display` of each variant is the inner error's; [`source`](std::error::Error::source) is
/// the inner error's source, so a printed chain never repeats itself.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A request body broke a documented limit; nothing was sent.
    #[error(transparent)]
    Validation(#[from] ValidationError),
    /// The request could not be built (bad path parameter, foreign next link…); nothing was sent.
    #[error(transparent)]
    InvalidRequest(#[from] InvalidRequest),
    /// Okta answered with a non-2xx status.
    #[error(transparent)]
    Api(Box<ApiError>),
    /// A 2xx response whose body does not parse as the operation's output.
    #[error(transparent)]
    Decode(Box<DecodeError>),
    /// The request or response did not make it across the network.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// A failure of a custom service or layer that is not a [`TransportError`].
    #[error(transparent)]
    Service(BoxError),
}

impl From<ApiError> for Error {
    fn from(e: ApiError) -> Self {
        Self::Api(Box::new(e))
    }
}

impl From<DecodeError> for Error {
    fn from(e: DecodeError) -> Self {
        Self::Decode(Box::new(e))
    }
}

impl Error {
    /// Turns a service error into an [`Error`], keeping a [`TransportError`] typed.
    pub fn from_service(error: BoxError) -> Self {
        match error.downcast::<TransportError>() {
            Ok(t) => Self::Transport(*t),
            Err(other) => match other.downcast::<Error>() {
                Ok(e) => *e,
                Err(other) => Self::Service(other),
            },
        }
    }

    /// The API error, when Okta answered with an error status.
    pub fn as_api(&self) -> Option<&ApiError> {
        match self {
            Self::Api(e) => Some(e),
            _ => None,
        }
    }

    /// The HTTP status of an API error.
    pub fn status(&self) -> Option<StatusCode> {
        self.as_api().map(|e| e.status)
    }

    /// Okta's `errorCode` of an API error (`E0000001`…).
    pub fn error_code(&self) -> Option<&str> {
        self.as_api().and_then(ApiError::error_code)
    }
}

/// A request that could not be built. Nothing was sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{operation}: {message}")]
#[non_exhaustive]
pub struct InvalidRequest {
    /// The operation (operationId).
    pub operation: &'static str,
    /// What is wrong, naming the parameter.
    pub message: String,
}

impl InvalidRequest {
    /// A new error for `operation`.
    pub fn new(operation: &'static str, message: impl Into<String>) -> Self {
        Self {
            operation,
            message: message.into(),
        }
    }
}

/// An error answer from Okta (any non-2xx status), parsed as far as it goes.
///
/// An empty or non-JSON body is still an error: `error` is `None` and `body_excerpt` holds
/// the start of the body. `Display` stays one short line: it quotes such a body only when it
/// is a short line of text, and otherwise names its content type and size (a server that is
/// not Okta — an HTML 404 page — is not dumped).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ApiError {
    /// The operation (operationId).
    pub operation: &'static str,
    /// The HTTP status.
    pub status: StatusCode,
    /// Okta's error body, when the body was one.
    pub error: Option<models::Error>,
    /// The `X-Okta-Request-Id` header.
    pub request_id: Option<String>,
    /// The rate-limit headers of the response.
    pub rate_limit: RateLimit,
    /// The `WWW-Authenticate` header (OAuth and DPoP failures carry their reason there).
    pub www_authenticate: Option<String>,
    /// At most [`BODY_EXCERPT_LIMIT`] bytes of a body that is not an Okta error.
    pub body_excerpt: Option<String>,
    /// The `Content-Type` header of a body that is not an Okta error.
    pub content_type: Option<String>,
    /// The size in bytes of a body that is not an Okta error.
    pub body_len: usize,
}

impl ApiError {
    /// Reads an error response.
    pub fn from_parts(
        operation: &'static str,
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Self {
        let error = serde_json::from_slice::<models::Error>(body)
            .ok()
            .filter(|e| e.error_code.is_some() || e.error_summary.is_some());
        let body_excerpt = match error {
            Some(_) => None,
            None if body.is_empty() => None,
            None => Some(excerpt(body)),
        };
        let (content_type, body_len) = match error {
            Some(_) => (None, 0),
            None => (
                headers
                    .get(http::header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned),
                body.len(),
            ),
        };
        Self {
            operation,
            status,
            error,
            content_type,
            body_len,
            request_id: headers::request_id(headers).map(str::to_owned),
            rate_limit: RateLimit::from_headers(headers),
            www_authenticate: headers
                .get(http::header::WWW_AUTHENTICATE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            body_excerpt,
        }
    }

    /// Reads an error response.
    pub fn from_response(operation: &'static str, response: &http::Response<Bytes>) -> Self {
        Self::from_parts(
            operation,
            response.status(),
            response.headers(),
            response.body(),
        )
    }

    /// Okta's `errorCode`, the stable part of an error.
    pub fn error_code(&self) -> Option<&str> {
        self.error.as_ref()?.error_code.as_deref()
    }

    /// Okta's `errorSummary`.
    pub fn error_summary(&self) -> Option<&str> {
        self.error.as_ref()?.error_summary.as_deref()
    }

    /// The summaries of the `errorCauses`.
    pub fn causes(&self) -> impl Iterator<Item = &str> {
        self.error
            .iter()
            .flat_map(|e| e.error_causes.iter().flatten())
            .filter_map(|c| c.error_summary.as_deref())
    }

    /// Whether this is a 429 (rate limited).
    pub fn is_rate_limited(&self) -> bool {
        self.status == StatusCode::TOO_MANY_REQUESTS
    }

    /// Whether this is a 404 (unknown identity source, session, user or group).
    pub fn is_not_found(&self) -> bool {
        self.status == StatusCode::NOT_FOUND
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: HTTP {}", self.operation, self.status.as_u16())?;
        if let Some(code) = self.error_code() {
            write!(f, " {code}")?;
        }
        if let Some(summary) = self.error_summary() {
            write!(f, ": {summary}")?;
        }
        let causes: Vec<&str> = self.causes().collect();
        if !causes.is_empty() {
            write!(f, " ({})", causes.join("; "))?;
        }
        if let Some(excerpt) = &self.body_excerpt {
            let html = self
                .content_type
                .as_deref()
                .is_some_and(|t| t.to_ascii_lowercase().contains("html"))
                || excerpt.trim_start().starts_with('<');
            let one_line = !excerpt.contains(['\n', '\r']);
            if !html && one_line && self.body_len <= DISPLAYED_BODY_LIMIT {
                write!(f, ": body {excerpt:?}")?;
            } else {
                f.write_str(", not an Okta error: a ")?;
                if let Some(t) = &self.content_type {
                    write!(f, "{t} ")?;
                }
                write!(f, "body of {} bytes", self.body_len)?;
            }
        } else if self.error.is_none() {
            f.write_str(" with no Okta error body")?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " [request id {id}]")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

/// A 2xx response whose body does not parse as the operation's output.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{operation}: cannot parse the HTTP {} response body: {message}; body starts {excerpt:?}", status.as_u16())]
#[non_exhaustive]
pub struct DecodeError {
    /// The operation (operationId).
    pub operation: &'static str,
    /// The HTTP status.
    pub status: StatusCode,
    /// What failed and where (serde_json's line and column).
    pub message: String,
    /// The start of the body.
    pub excerpt: String,
    /// The `X-Okta-Request-Id` header.
    pub request_id: Option<String>,
}

impl DecodeError {
    /// A decode error for `response`'s body.
    pub fn new(
        operation: &'static str,
        response: &http::Response<Bytes>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            operation,
            status: response.status(),
            message: message.into(),
            excerpt: excerpt(response.body()),
            request_id: headers::request_id(response.headers()).map(str::to_owned),
        }
    }
}

/// The first [`BODY_EXCERPT_LIMIT`] bytes of `body`, as lossy UTF-8, cut on a char boundary.
fn excerpt(body: &[u8]) -> String {
    let cut = &body[..body.len().min(BODY_EXCERPT_LIMIT)];
    let mut s = String::from_utf8_lossy(cut).into_owned();
    if body.len() > BODY_EXCERPT_LIMIT {
        s.push('…');
    }
    s
}

/// `e` and its sources as one line, joined with `: ` (`a: b: c`); a source whose text the
/// line already holds (an error that quotes its cause) is not repeated.
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api_error(status: u16, content_type: Option<&str>, body: &str) -> ApiError {
        let mut headers = HeaderMap::new();
        if let Some(t) = content_type {
            headers.insert(http::header::CONTENT_TYPE, t.parse().unwrap());
        }
        ApiError::from_parts(
            "listIdentitySourceSessions",
            StatusCode::from_u16(status).unwrap(),
            &headers,
            body.as_bytes(),
        )
    }

    #[test]
    fn an_html_page_is_named_by_its_type_and_size_not_dumped() {
        let page = format!(
            "<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head><body>{}</body></html>",
            "x".repeat(3000)
        );
        let e = api_error(404, Some("text/html; charset=utf-8"), &page);
        let shown = e.to_string();
        assert_eq!(
            shown,
            format!(
                "listIdentitySourceSessions: HTTP 404, not an Okta error: a text/html; charset=utf-8 body of {} bytes",
                page.len()
            )
        );
        assert!(!shown.contains('\n'));
        // The excerpt is still there for whoever wants it.
        assert!(
            e.body_excerpt
                .as_deref()
                .unwrap()
                .starts_with("<!DOCTYPE html>")
        );
        // HTML without a content type is recognised by its first character.
        let shown = api_error(502, None, "<html>Bad Gateway</html>").to_string();
        assert_eq!(
            shown,
            "listIdentitySourceSessions: HTTP 502, not an Okta error: a body of 24 bytes"
        );
    }

    #[test]
    fn a_short_line_of_text_is_quoted_and_okta_errors_are_unchanged() {
        let e = api_error(403, Some("text/plain"), "Forbidden by proxy policy");
        assert_eq!(
            e.to_string(),
            "listIdentitySourceSessions: HTTP 403: body \"Forbidden by proxy policy\""
        );
        let long = "y".repeat(DISPLAYED_BODY_LIMIT + 1);
        let shown = api_error(500, Some("text/plain"), &long).to_string();
        assert!(shown.ends_with("a text/plain body of 101 bytes"), "{shown}");
        let okta = api_error(
            404,
            Some("application/json"),
            r#"{"errorCode":"E0000007","errorSummary":"Not found: Resource not found: x (IdentitySource)"}"#,
        );
        assert_eq!(okta.content_type, None);
        assert_eq!(
            okta.to_string(),
            "listIdentitySourceSessions: HTTP 404 E0000007: Not found: Resource not found: x (IdentitySource)"
        );
    }

    #[derive(Debug)]
    struct Layer(&'static str, Option<Box<Layer>>);
    impl fmt::Display for Layer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }
    }
    impl std::error::Error for Layer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.1.as_deref().map(|l| l as _)
        }
    }

    #[test]
    fn a_chain_joins_sources_and_skips_one_already_quoted() {
        let inner = Layer("connection refused", None);
        let quoting = Layer("cannot connect: connection refused", Some(Box::new(inner)));
        let outer = Layer("sending the load", Some(Box::new(quoting)));
        assert_eq!(
            chain(&outer),
            "sending the load: cannot connect: connection refused"
        );
        assert_eq!(chain(&Layer("alone", None)), "alone");
    }
}
