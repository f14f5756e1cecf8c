//! The token endpoint's answers, sans IO: a token response ([`TokenResponse`]) or an OAuth
//! error ([`OAuthFailure::from_token_response`]), and the `DPoP-Nonce` any answer may carry.

use std::fmt;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{HeaderMap, Response};
use secrecy::SecretString;
use serde::Deserialize;

use super::{ErrorCode, OAuthFailure};
use crate::headers;

/// How an access token is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenType {
    /// `Authorization: DPoP <token>` with a `DPoP` proof.
    Dpop,
    /// `Authorization: Bearer <token>`.
    Bearer,
}

impl TokenType {
    /// The `Authorization` scheme.
    pub fn scheme(self) -> &'static str {
        match self {
            Self::Dpop => "DPoP",
            Self::Bearer => "Bearer",
        }
    }
}

/// Okta's access tokens live one hour; a response without `expires_in` is taken as that.
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

/// A successful (2xx) token response. `Debug` never shows the token.
///
/// ```
/// use okta_idsrc_core::oauth::{TokenResponse, TokenType};
///
/// let body = br#"{"token_type":"DPoP","expires_in":3600,"access_token":"eyJhbGci","scope":"s"}"#;
/// let token = TokenResponse::parse(body).unwrap();
/// assert_eq!(token.token_type, TokenType::Dpop);
/// assert_eq!(token.lifetime.as_secs(), 3600);
/// assert!(!format!("{token:?}").contains("eyJ"));
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct TokenResponse {
    /// How the token is sent.
    pub token_type: TokenType,
    /// The access token (never empty).
    pub access_token: SecretString,
    /// `expires_in` ([`DEFAULT_TOKEN_LIFETIME`] when absent).
    pub lifetime: Duration,
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenResponse")
            .field("token_type", &self.token_type)
            .field("access_token", &"<redacted>")
            .field("lifetime", &self.lifetime)
            .finish()
    }
}

#[derive(Deserialize)]
struct TokenBody {
    token_type: String,
    access_token: String,
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
}

/// `expires_in` as a number of seconds, or a string of digits as some servers send it.
fn seconds(value: Option<&serde_json::Value>) -> Option<u64> {
    match value? {
        serde_json::Value::Number(n) => n.as_u64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

impl TokenResponse {
    /// Reads a 2xx token response body; the error says what is wrong (never the token).
    pub fn parse(body: &[u8]) -> Result<Self, String> {
        let body: TokenBody = serde_json::from_slice(body)
            .map_err(|_| "expected JSON with token_type and access_token".to_owned())?;
        let token_type = if body.token_type.eq_ignore_ascii_case("DPoP") {
            TokenType::Dpop
        } else if body.token_type.eq_ignore_ascii_case("Bearer") {
            TokenType::Bearer
        } else {
            return Err(format!(
                "unknown token_type {:?}",
                body.token_type.chars().take(32).collect::<String>()
            ));
        };
        if body.access_token.is_empty() {
            return Err("empty access_token".to_owned());
        }
        Ok(Self {
            token_type,
            access_token: SecretString::from(body.access_token),
            lifetime: seconds(body.expires_in.as_ref())
                .map_or(DEFAULT_TOKEN_LIFETIME, Duration::from_secs),
        })
    }
}

/// An OAuth error body: `{"error": "…", "error_description": "…"}`.
#[derive(Deserialize)]
struct ErrorBody {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

impl OAuthFailure {
    /// The OAuth error of a token endpoint answer, when its body is one (a 429 or a 5xx
    /// carries Okta's management error body instead: `None`). `now` is the local clock, for
    /// the skew of a failure about time.
    pub fn from_token_response(response: &Response<Bytes>, now: SystemTime) -> Option<Self> {
        let body: ErrorBody = serde_json::from_slice(response.body()).ok()?;
        Some(Self::new(
            response.status(),
            ErrorCode::parse(&body.error),
            body.error_description,
            response.headers(),
            now,
        ))
    }
}

/// The `DPoP-Nonce` of a response, if any.
pub fn dpop_nonce(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(headers::DPOP_NONCE)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|n| !n.is_empty())
}
