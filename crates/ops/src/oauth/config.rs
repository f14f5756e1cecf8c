//! [`OAuthConfig`]: the service app (client id, key, scopes) and how tokens are obtained.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use okta_idsrc_jose::PrivateKey;

use crate::clock::{Clock, SystemClock};
use crate::macros::setters;
use crate::retry::RetryConfig;

/// The scopes requested when none are configured: what this SDK's operations need.
pub const DEFAULT_SCOPES: [&str; 2] = ["okta.identitySources.manage", "okta.identitySources.read"];

/// The longest client assertion Okta accepts (`exp` ≤ now + 1 h, with no tolerance).
pub const MAX_ASSERTION_LIFETIME: Duration = Duration::from_secs(3600);

/// A service app's OAuth 2.0 settings (client credentials with `private_key_jwt`, and DPoP).
///
/// `Debug` shows the client id, the scopes and the key's algorithm and id, never the key.
///
/// ```
/// use okta_idsrc_ops::oauth::{OAuthConfig, PrivateKey};
///
/// let key = PrivateKey::generate_p256().unwrap().with_kid("key-1");
/// let config = OAuthConfig::new("0oa-client", key).with_scopes(["okta.identitySources.manage"]);
/// assert_eq!(config.scopes(), ["okta.identitySources.manage"]);
/// assert!(config.dpop());
/// assert!(format!("{config:?}").contains("<redacted>"));
/// ```
#[derive(Clone)]
pub struct OAuthConfig {
    pub(crate) client_id: String,
    pub(crate) key: PrivateKey,
    pub(crate) scopes: Vec<String>,
    pub(crate) dpop: bool,
    pub(crate) renew_before: Duration,
    pub(crate) assertion_lifetime: Duration,
    pub(crate) max_nonce_retries: u32,
    pub(crate) token_retry: RetryConfig,
    pub(crate) clock: Arc<dyn Clock>,
}

impl OAuthConfig {
    /// The app `client_id` signing its client assertions with `key` (set its `kid` with
    /// [`PrivateKey::with_kid`] when the app has more than one key). Defaults: the
    /// [`DEFAULT_SCOPES`], DPoP on, renewal 60 s before expiry, assertions valid 5 minutes,
    /// 2 nonce retries, token requests retried on 429 and 5xx (3 attempts within 60 s), the
    /// system clock.
    pub fn new(client_id: impl Into<String>, key: PrivateKey) -> Self {
        Self {
            client_id: client_id.into(),
            key,
            scopes: DEFAULT_SCOPES.iter().map(|s| (*s).to_owned()).collect(),
            dpop: true,
            renew_before: Duration::from_secs(60),
            assertion_lifetime: Duration::from_secs(300),
            max_nonce_retries: 2,
            token_retry: RetryConfig::default()
                .with_max_attempts(3)
                .with_deadline(Some(Duration::from_secs(60)))
                .with_max_rate_limit_wait(Duration::from_secs(60)),
            clock: Arc::new(SystemClock),
        }
    }

    /// The scopes to request (blank ones are dropped; none at all keeps the defaults).
    #[must_use]
    pub fn with_scopes<I, T>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = T>,
        T: Into<String>,
    {
        let scopes: Vec<String> = scopes
            .into_iter()
            .map(Into::into)
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect();
        if !scopes.is_empty() {
            self.scopes = scopes;
        }
        self
    }

    setters! {
        /// Whether to ask for DPoP-bound tokens (on by default: API service apps created
        /// since February 2024 require it). When the token endpoint answers with a `Bearer`
        /// token anyway, requests use it as a bearer token.
        with_dpop(dpop: bool);
        /// How long before its expiry a token is renewed (at most half its lifetime).
        with_renew_before(renew_before: Duration);
    }

    /// How long a client assertion is valid (`exp − iat`), at most
    /// [`MAX_ASSERTION_LIFETIME`] and at least 1 s.
    #[must_use]
    pub fn with_assertion_lifetime(mut self, lifetime: Duration) -> Self {
        self.assertion_lifetime = lifetime.clamp(Duration::from_secs(1), MAX_ASSERTION_LIFETIME);
        self
    }

    setters! {
        /// How many times a token request is repeated with a new DPoP nonce (the handshake
        /// also stops when the server repeats the nonce it was sent).
        with_max_nonce_retries(max_nonce_retries: u32);
        /// How token requests are retried after a 429 or a 5xx (each attempt with a fresh
        /// assertion and proof). Transport failures are left to the retry layer outside.
        with_token_retry(token_retry: RetryConfig);
        /// The clock for `iat`, `exp` and token expiry.
        with_clock(clock: Arc<dyn Clock>);
    }

    /// The client id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The scopes requested.
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// Whether DPoP is on.
    pub fn dpop(&self) -> bool {
        self.dpop
    }

    /// The signing key's id (`kid`), if it has one.
    pub fn key_id(&self) -> Option<&str> {
        self.key.kid()
    }
}

impl fmt::Debug for OAuthConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthConfig")
            .field("client_id", &self.client_id)
            .field("scopes", &self.scopes)
            .field("key_algorithm", &self.key.algorithm())
            .field("key_id", &self.key.kid())
            .field("key", &"<redacted>")
            .field("dpop", &self.dpop)
            .field("renew_before", &self.renew_before)
            .field("assertion_lifetime", &self.assertion_lifetime)
            .field("max_nonce_retries", &self.max_nonce_retries)
            .finish_non_exhaustive()
    }
}
