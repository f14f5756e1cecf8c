//! Credentials and the `Authorization` header they produce.

use std::fmt;

use http::HeaderValue;
use secrecy::{ExposeSecret, SecretString};

/// How requests authenticate. Holds the token as a secret: `Debug` never shows it.
///
/// ```
/// use okta_idsrc_core::auth::Credentials;
///
/// let creds = Credentials::api_token("00abc-secret");
/// assert_eq!(format!("{creds:?}"), "Credentials::ApiToken(<redacted>)");
/// assert!(creds.authorization_header().unwrap().is_sensitive());
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub enum Credentials {
    /// An Okta API token: `Authorization: SSWS <token>`.
    ApiToken(SecretString),
    /// An OAuth 2.0 access token obtained by the caller: `Authorization: Bearer <token>`.
    Bearer(SecretString),
}

/// A token that cannot be put in an HTTP header (it holds control characters).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the {scheme} token contains characters that are not allowed in an HTTP header")]
pub struct InvalidToken {
    /// The authorization scheme (`SSWS`, `Bearer`).
    pub scheme: &'static str,
}

impl Credentials {
    /// An API token (`SSWS`).
    pub fn api_token(token: impl Into<String>) -> Self {
        Self::ApiToken(SecretString::from(token.into()))
    }

    /// A bearer access token.
    pub fn bearer(token: impl Into<String>) -> Self {
        Self::Bearer(SecretString::from(token.into()))
    }

    /// The authorization scheme: `SSWS` or `Bearer`.
    pub fn scheme(&self) -> &'static str {
        match self {
            Self::ApiToken(_) => "SSWS",
            Self::Bearer(_) => "Bearer",
        }
    }

    /// The token itself. Handle with care: never log it.
    pub fn expose_token(&self) -> &str {
        match self {
            Self::ApiToken(t) | Self::Bearer(t) => t.expose_secret(),
        }
    }

    /// The `Authorization` header value, marked sensitive.
    pub fn authorization_header(&self) -> Result<HeaderValue, InvalidToken> {
        let mut value = HeaderValue::try_from(format!("{} {}", self.scheme(), self.expose_token()))
            .map_err(|_| InvalidToken {
                scheme: self.scheme(),
            })?;
        value.set_sensitive(true);
        Ok(value)
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ApiToken(_) => f.write_str("Credentials::ApiToken(<redacted>)"),
            Self::Bearer(_) => f.write_str("Credentials::Bearer(<redacted>)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_values_and_redaction() {
        let c = Credentials::bearer("tok-123");
        assert_eq!(c.authorization_header().unwrap(), "Bearer tok-123");
        assert!(!format!("{c:?}").contains("tok-123"));
        let c = Credentials::api_token("ssws-456");
        assert_eq!(c.authorization_header().unwrap(), "SSWS ssws-456");
        assert!(!format!("{c:?}").contains("ssws-456"));
        let bad = Credentials::api_token("a\nb");
        let err = bad.authorization_header().unwrap_err();
        assert!(!err.to_string().contains("a\nb"));
    }
}
