//! What the OAuth side is configured with: registered service clients and the knobs.

use std::time::Duration;

use okta_idsrc_jose::{Jwk, PrivateKey};

/// The scope that allows every Identity Sources operation.
pub const SCOPE_MANAGE: &str = "okta.identitySources.manage";
/// The scope that allows the read operations (`GET`) only.
pub const SCOPE_READ: &str = "okta.identitySources.read";
/// The path of the org authorization server's token endpoint.
pub const TOKEN_PATH: &str = "/oauth2/v1/token";

/// Live Okta's access-token lifetime (one hour), the emulator's default.
pub const LIVE_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);
/// Live Okta's DPoP nonce rotation period (24 hours), the emulator's default.
pub const LIVE_NONCE_ROTATION: Duration = Duration::from_secs(24 * 3600);
/// How long live Okta accepts a DPoP nonce after handing it out (3 days), the emulator's
/// default.
pub const LIVE_NONCE_GRACE: Duration = Duration::from_secs(3 * 24 * 3600);

/// A registered OAuth 2.0 service app: authenticates with `private_key_jwt` (a client
/// assertion signed with one of its keys) and gets tokens by `client_credentials`.
///
/// ```
/// use okta_idsrc_emulator::{OAuthClient, SCOPE_READ};
/// use okta_idsrc_jose::PrivateKey;
///
/// let key = PrivateKey::generate_p256().unwrap().with_kid("key-1");
/// let client = OAuthClient::new("0oaservice0000000001", vec![key.public_jwk()])
///     .with_scopes([SCOPE_READ])
///     .with_dpop(false);
/// assert_eq!(client.scopes, ["okta.identitySources.read"]);
/// assert!(!client.dpop_bound);
/// ```
#[derive(Debug, Clone)]
pub struct OAuthClient {
    /// The client id: the assertion's `iss` and `sub`.
    pub client_id: String,
    /// The public keys its assertions may be signed with. With more than one, assertions
    /// must name theirs in `kid`.
    pub jwks: Vec<Jwk>,
    /// The scopes granted to it; a token request asking for any other is refused
    /// (`invalid_scope`).
    pub scopes: Vec<String>,
    /// Whether it requires DPoP ("Require DPoP header in token requests", the default for
    /// service apps created since February 2024): token requests without a proof are refused.
    /// A client that does not require DPoP still gets a DPoP-bound token when it sends a proof.
    pub dpop_bound: bool,
}

impl OAuthClient {
    /// A DPoP-bound client granted [`SCOPE_MANAGE`] and [`SCOPE_READ`].
    pub fn new(client_id: impl Into<String>, jwks: Vec<Jwk>) -> Self {
        Self {
            client_id: client_id.into(),
            jwks,
            scopes: vec![SCOPE_MANAGE.to_owned(), SCOPE_READ.to_owned()],
            dpop_bound: true,
        }
    }

    /// Replaces the granted scopes.
    #[must_use]
    pub fn with_scopes<S: Into<String>>(mut self, scopes: impl IntoIterator<Item = S>) -> Self {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// Sets whether the client requires DPoP.
    #[must_use]
    pub fn with_dpop(mut self, dpop_bound: bool) -> Self {
        self.dpop_bound = dpop_bound;
        self
    }

    /// The public keys in `text`: a JWK Set (`{"keys": [...]}`), one JWK, or a PEM private key.
    /// Private members of a JWK are dropped; only public keys are kept.
    pub fn parse_keys(text: &str) -> Result<Vec<Jwk>, String> {
        let trimmed = text.trim_start();
        if trimmed.starts_with("-----BEGIN") {
            let key = PrivateKey::from_pem(trimmed).map_err(|e| format!("PEM key: {e}"))?;
            return Ok(vec![key.public_jwk()]);
        }
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        let entries = match value.get("keys") {
            Some(serde_json::Value::Array(keys)) => keys.clone(),
            Some(_) => return Err("\"keys\" is not an array".to_owned()),
            None => vec![value],
        };
        if entries.is_empty() {
            return Err("the JWK Set has no keys".to_owned());
        }
        entries
            .into_iter()
            .enumerate()
            .map(|(i, entry)| public_jwk(entry).map_err(|e| format!("key {i}: {e}")))
            .collect()
    }
}

/// The public part of a JWK given as JSON.
fn public_jwk(mut entry: serde_json::Value) -> Result<Jwk, String> {
    if let Some(object) = entry.as_object_mut() {
        for private in ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] {
            object.remove(private);
        }
    }
    serde_json::from_value(entry).map_err(|e| e.to_string())
}

/// How the OAuth side behaves; [`Default`] is live Okta.
///
/// ```
/// use std::time::Duration;
/// use okta_idsrc_emulator::OAuthSettings;
///
/// let settings = OAuthSettings {
///     token_lifetime: Duration::from_secs(60),
///     ..OAuthSettings::default()
/// };
/// assert!(!settings.resource_nonce_mode);
/// ```
#[derive(Debug, Clone)]
pub struct OAuthSettings {
    /// How long an access token lives (`expires_in`); default one hour. Rounded up to whole
    /// seconds in `expires_in`.
    pub token_lifetime: Duration,
    /// How often the token endpoint's DPoP nonce changes; default 24 hours.
    pub nonce_rotation: Duration,
    /// How long a nonce stays valid after it was first handed out; default 3 days.
    pub nonce_grace: Duration,
    /// Every token request with a DPoP proof is answered `use_dpop_nonce`, with a fresh nonce
    /// each time, whatever nonce the proof carries (for testing a client's retry cap).
    pub force_nonce_challenge: bool,
    /// Every token request with a DPoP proof is answered `use_dpop_nonce` with one and the
    /// same nonce, even when the proof carries it (for testing a client's loop guard).
    pub repeat_nonce: bool,
    /// Resource requests must carry a valid nonce in their proof (off, as on Okta); without
    /// one they get 401 `use_dpop_nonce` and a `DPoP-Nonce` header.
    pub resource_nonce_mode: bool,
    /// Token requests allowed per 60-second window (a bucket of its own); default no limit.
    /// Over the limit: 429 with Okta's E0000047 body.
    pub token_rate_limit: Option<u32>,
}

impl Default for OAuthSettings {
    fn default() -> Self {
        Self {
            token_lifetime: LIVE_TOKEN_LIFETIME,
            nonce_rotation: LIVE_NONCE_ROTATION,
            nonce_grace: LIVE_NONCE_GRACE,
            force_nonce_challenge: false,
            repeat_nonce: false,
            resource_nonce_mode: false,
            token_rate_limit: None,
        }
    }
}
