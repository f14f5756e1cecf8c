//! [`OAuthError`]: the failures of the OAuth layer (core's [`OAuthFailure`]s of the token
//! endpoint and of refused requests, the nonce handshake, signing, the transport).
//!
//! None of them ever holds a private key, an access token, a client assertion or a proof.

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;

use http::StatusCode;
use okta_idsrc_core::ApiError;
use okta_idsrc_core::oauth::{AuthChallenge, ClockSkew, ErrorCode, OAuthFailure};

/// Why the DPoP nonce handshake stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NonceFailure {
    /// `use_dpop_nonce` without a `DPoP-Nonce` header.
    NoNonce,
    /// `use_dpop_nonce` with the very nonce the proof carried.
    Repeated,
    /// Still `use_dpop_nonce` after the allowed retries.
    Exhausted,
}

impl fmt::Display for NonceFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NoNonce => "the server asked for a DPoP nonce without sending one",
            Self::Repeated => "the server refused the DPoP nonce it had sent",
            Self::Exhausted => "the server still asked for a new DPoP nonce after the retries",
        })
    }
}

/// A failure of OAuth 2.0 authentication: getting an access token, or a request refused for
/// its token or DPoP proof.
///
/// It reaches callers as [`okta_idsrc_core::Error::Service`]; find it with
/// [`OAuthError::find`]. `Display` never shows a key, token, assertion or proof.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum OAuthError {
    /// The token endpoint refused the request with an OAuth error: `invalid_client` (the
    /// client assertion), `invalid_scope`, `invalid_dpop_proof`, `unauthorized_client`…
    Token(Box<OAuthFailure>),
    /// The DPoP nonce handshake with the token endpoint did not complete.
    NonceHandshake {
        /// Why it stopped.
        reason: NonceFailure,
        /// The retries made with a nonce.
        retries: u32,
        /// The last answer.
        failure: Box<OAuthFailure>,
    },
    /// The token endpoint answered with an error that is not an OAuth error: a 429
    /// (Okta's `E0000047` body) or a 5xx after the retries, or an Okta error body.
    TokenEndpoint(Box<ApiError>),
    /// The token endpoint answered 2xx with a response that cannot be used.
    TokenResponse {
        /// What is wrong (never the token).
        message: String,
        /// The `X-Okta-Request-Id`.
        request_id: Option<String>,
    },
    /// The API refused the request's access token or DPoP proof (a 400, 401 or 403 with a
    /// `WWW-Authenticate` error).
    Rejected(Box<OAuthFailure>),
    /// A client assertion or DPoP proof could not be signed.
    Signing {
        /// `client assertion` or `DPoP proof`.
        what: &'static str,
        /// Why (never key material).
        message: String,
    },
    /// The token request did not make it across the network. The
    /// [`source`](StdError::source) is the transport's error (a
    /// [`TransportError`](okta_idsrc_core::TransportError) for the hyper transport), so the
    /// retry layer treats it as it treats any transport failure.
    Transport(SharedError),
}

impl fmt::Display for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Token(failure) => {
                f.write_str("token request refused: ")?;
                write!(f, "{failure}")
            }
            Self::NonceHandshake {
                reason,
                retries,
                failure,
            } => {
                write!(
                    f,
                    "token request refused: {reason} ({retries} nonce retries; "
                )?;
                write!(f, "{failure}")?;
                f.write_str(")")
            }
            Self::TokenEndpoint(e) => write!(f, "token request failed: {e}"),
            Self::TokenResponse {
                message,
                request_id,
            } => {
                write!(f, "token response unusable: {message}")?;
                if let Some(id) = request_id {
                    write!(f, " [request id {id}]")?;
                }
                Ok(())
            }
            Self::Rejected(failure) => {
                write!(
                    f,
                    "{} refused: ",
                    failure.request.as_deref().unwrap_or("request")
                )?;
                if let Some(c) = &failure.challenge {
                    write!(f, "{} ", c.scheme)?;
                }
                write!(f, "{failure}")
            }
            Self::Signing { what, message } => write!(f, "cannot sign the {what}: {message}"),
            Self::Transport(_) => f.write_str("token request failed"),
        }
    }
}

impl StdError for OAuthError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match self {
            Self::Transport(e) => Some(e.get()),
            _ => None,
        }
    }
}

impl OAuthError {
    /// The OAuth error inside `error`, if it is one (or wraps one).
    ///
    /// ```
    /// # fn check(error: okta_idsrc_core::Error) {
    /// use okta_idsrc_ops::oauth::{ErrorCode, OAuthError};
    ///
    /// if let Some(oauth) = OAuthError::find(&error) {
    ///     if oauth.code() == Some(&ErrorCode::InvalidClient) {
    ///         eprintln!("check the client id and the key: {oauth}");
    ///     }
    /// }
    /// # }
    /// ```
    pub fn find<'a>(error: &'a (dyn StdError + 'static)) -> Option<&'a OAuthError> {
        let mut current: Option<&(dyn StdError + 'static)> = Some(error);
        while let Some(e) = current {
            if let Some(found) = e.downcast_ref::<OAuthError>() {
                return Some(found);
            }
            if let Some(okta_idsrc_core::Error::Service(inner)) =
                e.downcast_ref::<okta_idsrc_core::Error>()
                && let Some(found) = inner.downcast_ref::<OAuthError>()
            {
                return Some(found);
            }
            current = e.source();
        }
        None
    }

    /// The OAuth answer, for [`Token`](Self::Token), [`NonceHandshake`](Self::NonceHandshake)
    /// and [`Rejected`](Self::Rejected).
    pub fn failure(&self) -> Option<&OAuthFailure> {
        match self {
            Self::Token(f) | Self::Rejected(f) => Some(f),
            Self::NonceHandshake { failure, .. } => Some(failure),
            _ => None,
        }
    }

    /// The OAuth error code, when the server sent one.
    pub fn code(&self) -> Option<&ErrorCode> {
        self.failure().map(|f| &f.code)
    }

    /// The `error_description`, when the server sent one.
    pub fn description(&self) -> Option<&str> {
        self.failure().and_then(|f| f.description.as_deref())
    }

    /// The HTTP status of the answer, if there was one.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::TokenEndpoint(e) => Some(e.status),
            _ => self.failure().map(|f| f.status),
        }
    }

    /// The `WWW-Authenticate` challenge of a refused request.
    pub fn challenge(&self) -> Option<&AuthChallenge> {
        self.failure().and_then(|f| f.challenge.as_ref())
    }

    /// The clock skew, when the failure is about time (an `iat` or `exp` refused).
    pub fn clock_skew(&self) -> Option<&ClockSkew> {
        self.failure().and_then(|f| f.clock_skew.as_ref())
    }

    /// Whether the failure is about time (`iat` or `exp` refused).
    pub fn is_clock_skew(&self) -> bool {
        self.failure().is_some_and(OAuthFailure::is_clock_skew)
    }

    /// Whether the token endpoint rate-limited the token request (429).
    pub fn is_rate_limited(&self) -> bool {
        matches!(self, Self::TokenEndpoint(e) if e.is_rate_limited())
    }
}

/// A shareable error (the transport's), so that every caller waiting for one token request
/// gets the same failure.
#[derive(Clone)]
pub struct SharedError(Arc<dyn StdError + Send + Sync>);

impl SharedError {
    /// Shares `error`.
    pub fn new(error: Box<dyn StdError + Send + Sync>) -> Self {
        Self(Arc::from(error))
    }

    /// The error.
    pub fn get(&self) -> &(dyn StdError + Send + Sync + 'static) {
        &*self.0
    }
}

impl fmt::Debug for SharedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use okta_idsrc_core::{TransportError, TransportErrorKind};

    #[test]
    fn found_in_core_errors_and_transport_kept_in_the_chain() {
        let e = OAuthError::Transport(SharedError::new(Box::new(TransportError::new(
            TransportErrorKind::Connect,
            "connect failed",
        ))));
        let found = TransportError::find_in(&e).expect("transport error in the chain");
        assert_eq!(found.kind(), TransportErrorKind::Connect);
        let core = okta_idsrc_core::Error::from_service(Box::new(e));
        assert!(matches!(
            OAuthError::find(&core),
            Some(OAuthError::Transport(_))
        ));
    }
}
