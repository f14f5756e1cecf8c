//! The typed OAuth 2.0 failures: [`ErrorCode`], [`OAuthFailure`], and the [`ClockSkew`]
//! measured from a response's `Date` when a failure is about time.
//!
//! None of them ever holds a private key, an access token, a client assertion or a proof.

use std::fmt;
use std::time::{Duration, SystemTime};

use http::{HeaderMap, StatusCode};

use super::challenge::AuthChallenge;
use crate::headers;

/// An OAuth 2.0 error code (RFC 6749 §5.2, RFC 6750 §3.1, RFC 9449 §12.2), as Okta sends it
/// in a token error body or a `WWW-Authenticate` challenge.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// `invalid_request`: malformed (Okta: a DPoP-bound token sent as `Bearer`).
    InvalidRequest,
    /// `invalid_client`: the client assertion was refused (signature, `aud`, `exp`, `jti`
    /// reuse, unknown client or key).
    InvalidClient,
    /// `invalid_grant`.
    InvalidGrant,
    /// `unauthorized_client`: the app may not use this grant.
    UnauthorizedClient,
    /// `unsupported_grant_type`.
    UnsupportedGrantType,
    /// `invalid_scope`: a scope is missing, unknown or not granted to the app.
    InvalidScope,
    /// `invalid_token`: the access token is expired, revoked, or sent with the wrong scheme.
    InvalidToken,
    /// `insufficient_scope`: the token lacks a scope the operation needs.
    InsufficientScope,
    /// `invalid_dpop_proof`: the DPoP proof is missing or wrong (`htm`, `htu`, `iat`, `ath`,
    /// reuse, key).
    InvalidDpopProof,
    /// `use_dpop_nonce`: the server wants a proof carrying its `DPoP-Nonce`.
    UseDpopNonce,
    /// Any other code, as sent.
    Other(String),
}

impl ErrorCode {
    /// Reads a code (exact, as the RFCs spell them).
    pub fn parse(code: &str) -> Self {
        match code {
            "invalid_request" => Self::InvalidRequest,
            "invalid_client" => Self::InvalidClient,
            "invalid_grant" => Self::InvalidGrant,
            "unauthorized_client" => Self::UnauthorizedClient,
            "unsupported_grant_type" => Self::UnsupportedGrantType,
            "invalid_scope" => Self::InvalidScope,
            "invalid_token" => Self::InvalidToken,
            "insufficient_scope" => Self::InsufficientScope,
            "invalid_dpop_proof" => Self::InvalidDpopProof,
            "use_dpop_nonce" => Self::UseDpopNonce,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The code as sent on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidScope => "invalid_scope",
            Self::InvalidToken => "invalid_token",
            Self::InsufficientScope => "insufficient_scope",
            Self::InvalidDpopProof => "invalid_dpop_proof",
            Self::UseDpopNonce => "use_dpop_nonce",
            Self::Other(code) => code,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How far the local clock is from the server's, measured from a response's `Date` header
/// (one-second precision) against the local clock when the response was read.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use okta_idsrc_core::oauth::ClockSkew;
///
/// let server = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// let skew = ClockSkew::new(server, server + Duration::from_secs(600));
/// assert_eq!(skew.seconds(), -600);
/// assert!(!skew.local_is_behind());
/// assert_eq!(skew.to_string(), "the local clock is 600 s ahead of the server's Date");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockSkew {
    /// The server's `Date`.
    pub server_date: SystemTime,
    /// The local clock when the response was read.
    pub local_time: SystemTime,
}

impl ClockSkew {
    /// The skew between `server_date` and `local_time`.
    pub fn new(server_date: SystemTime, local_time: SystemTime) -> Self {
        Self {
            server_date,
            local_time,
        }
    }

    /// The skew of a response: its `Date` against `local_time`; `None` without a `Date`.
    pub fn measure(headers: &HeaderMap, local_time: SystemTime) -> Option<Self> {
        headers::date(headers).map(|date| Self::new(date, local_time))
    }

    /// Whether the local clock is behind the server's.
    pub fn local_is_behind(&self) -> bool {
        self.server_date > self.local_time
    }

    /// How far apart the clocks are.
    pub fn magnitude(&self) -> Duration {
        self.server_date
            .duration_since(self.local_time)
            .or_else(|_| self.local_time.duration_since(self.server_date))
            .unwrap_or(Duration::ZERO)
    }

    /// Server minus local time, in whole seconds: positive when the local clock is behind.
    pub fn seconds(&self) -> i64 {
        let secs = i64::try_from(self.magnitude().as_secs()).unwrap_or(i64::MAX);
        if self.local_is_behind() { secs } else { -secs }
    }
}

impl fmt::Display for ClockSkew {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.magnitude().as_secs();
        if secs == 0 {
            f.write_str("the local clock is within a second of the server's Date")
        } else if self.local_is_behind() {
            write!(f, "the local clock is {secs} s behind the server's Date")
        } else {
            write!(f, "the local clock is {secs} s ahead of the server's Date")
        }
    }
}

/// Whether an error description is about time (`iat`, `exp`, expiry, the future, the
/// clock): then the failure may be the local clock's, and the skew is worth reporting.
pub(crate) fn is_about_time(description: &str) -> bool {
    description.to_ascii_lowercase().contains("not yet valid")
        || description
            .split(|c: char| !c.is_ascii_alphanumeric())
            .map(str::to_ascii_lowercase)
            .any(|w| {
                matches!(
                    w.as_str(),
                    "iat" | "exp" | "nbf" | "future" | "clock" | "skew" | "issued" | "old"
                ) || w.starts_with("expir")
            })
}

/// Whether a failure is a client assertion's or a proof's time refused (not an access
/// token that expired in due course).
fn is_time_failure(code: &ErrorCode, description: Option<&str>) -> bool {
    matches!(code, ErrorCode::InvalidClient | ErrorCode::InvalidDpopProof)
        && description.is_some_and(is_about_time)
}

/// An OAuth error answer: from the token endpoint, or a resource request refused with a
/// `WWW-Authenticate` challenge.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct OAuthFailure {
    /// The HTTP status.
    pub status: StatusCode,
    /// The OAuth error code.
    pub code: ErrorCode,
    /// The `error_description`.
    pub description: Option<String>,
    /// The challenge, when the reason came in `WWW-Authenticate` (resource requests; Okta's
    /// DPoP failures have an empty body).
    pub challenge: Option<AuthChallenge>,
    /// The request's method and path (no query), for resource requests.
    pub request: Option<String>,
    /// The `X-Okta-Request-Id`.
    pub request_id: Option<String>,
    /// The clock skew measured from the response's `Date`, when the failure is about time
    /// (a client assertion's or a proof's `iat` or `exp` refused).
    pub clock_skew: Option<ClockSkew>,
}

impl OAuthFailure {
    /// A failure with `code` and `description`; the request id and (for a failure about
    /// time) the clock skew come from `headers`, measured against `local_time`.
    pub fn new(
        status: StatusCode,
        code: ErrorCode,
        description: Option<String>,
        headers: &HeaderMap,
        local_time: SystemTime,
    ) -> Self {
        let about_time = is_time_failure(&code, description.as_deref());
        Self {
            status,
            code,
            description,
            challenge: None,
            request: None,
            request_id: headers::request_id(headers).map(str::to_owned),
            clock_skew: if about_time {
                ClockSkew::measure(headers, local_time)
            } else {
                None
            },
        }
    }

    /// Whether the failure is about time (`iat`/`exp` refused): see
    /// [`clock_skew`](Self::clock_skew) for how far the local clock is off.
    pub fn is_clock_skew(&self) -> bool {
        is_time_failure(&self.code, self.description.as_deref())
    }
}

impl fmt::Display for OAuthFailure {
    /// `HTTP 400 invalid_dpop_proof: … (the local clock is … s behind …) [request id …]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP {} {}", self.status.as_u16(), self.code)?;
        if let Some(description) = &self.description {
            write!(f, ": {description}")?;
        }
        if let Some(skew) = &self.clock_skew {
            write!(f, " ({skew})")?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " [request id {id}]")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for code in [
            "invalid_request",
            "invalid_client",
            "invalid_grant",
            "unauthorized_client",
            "unsupported_grant_type",
            "invalid_scope",
            "invalid_token",
            "insufficient_scope",
            "invalid_dpop_proof",
            "use_dpop_nonce",
            "something_new",
        ] {
            assert_eq!(ErrorCode::parse(code).as_str(), code);
        }
        assert_eq!(
            ErrorCode::parse("something_new"),
            ErrorCode::Other("something_new".into())
        );
    }

    #[test]
    fn time_words() {
        assert!(is_about_time("The DPoP proof JWT 'iat' is too old."));
        assert!(is_about_time("The client_assertion token is expired."));
        assert!(is_about_time(
            "The client_assertion token has an expiration too far into the future."
        ));
        assert!(is_about_time("iat is in the future"));
        assert!(is_about_time(
            "The client_assertion token is not yet valid."
        ));
        assert!(!is_about_time("The DPoP proof JWT has already been used."));
        assert!(!is_about_time("No appropriate key")); // "appropriate" holds "iat"
        assert!(!is_about_time("The audience is invalid"));
    }

    #[test]
    fn skew_from_date() {
        let local = httpdate::parse_http_date("Tue, 13 May 2025 10:00:00 GMT").unwrap();
        let mut h = HeaderMap::new();
        h.insert(
            http::header::DATE,
            "Tue, 13 May 2025 10:07:00 GMT".parse().unwrap(),
        );
        h.insert("x-okta-request-id", "r1".parse().unwrap());
        let skew = ClockSkew::measure(&h, local).expect("skew");
        assert_eq!(skew.seconds(), 420);
        assert!(skew.local_is_behind());
        let failure = |status, code, description: &str| {
            OAuthFailure::new(status, code, Some(description.into()), &h, local)
        };
        let f = failure(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidDpopProof,
            "The DPoP proof JWT iat is in the future.",
        );
        assert_eq!(f.clock_skew, Some(skew));
        assert_eq!(
            f.to_string(),
            "HTTP 400 invalid_dpop_proof: The DPoP proof JWT iat is in \
             the future. (the local clock is 420 s behind the server's Date) [request id r1]"
        );
        assert!(f.is_clock_skew());
        let f = failure(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidDpopProof,
            "The DPoP proof JWT has already been used.",
        );
        assert_eq!(f.clock_skew, None);
        let f = failure(
            StatusCode::UNAUTHORIZED,
            ErrorCode::InvalidToken,
            "The access token has expired.",
        );
        assert!(
            !f.is_clock_skew(),
            "a token's expiry is not the clock's fault"
        );
        assert_eq!(f.clock_skew, None);
    }
}
