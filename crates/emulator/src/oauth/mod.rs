//! OAuth 2.0 for service apps as Okta's org authorization server serves it
//! (`docs/okta-behavior.md#oauth-20-service-apps-and-dpop`): `POST /oauth2/v1/token` with `private_key_jwt` client
//! credentials and DPoP, and the check of the access tokens it issues on `/api/v1`.
//!
//! - [`settings`]: the public configuration (clients, knobs, constants).
//! - `assertion`: the client assertion's checks; `dpop`: a proof's checks.
//! - `token`: the token endpoint; `resource`: access tokens on `/api/v1` (an
//!   [`Authenticate`](crate::auth::Authenticate) beside the static API token).
//! - `nonce`, `store`: nonces handed out, tokens issued, `jti`s seen.

mod assertion;
mod dpop;
mod nonce;
mod resource;
pub(crate) mod settings;
mod store;
mod token;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use http::header::HOST;
use http::{HeaderMap, Uri};
use okta_idsrc_core::Clock;
use okta_idsrc_jose::random_id;

use crate::rate_limit::Bucket;
use crate::sync::lock;
use nonce::Nonces;
use settings::{OAuthClient, OAuthSettings};
use store::{IssuedToken, JtiCache, TokenStore};

pub(crate) use token::token_endpoint;

/// Whole seconds since the Unix epoch, as JWT times are written.
pub(crate) fn epoch_secs(t: SystemTime) -> i64 {
    i64::try_from(okta_idsrc_core::clock::epoch_seconds(t)).unwrap_or(i64::MAX)
}

/// The OAuth side's configuration and state.
pub(crate) struct OAuth {
    settings: OAuthSettings,
    clock: Arc<dyn Clock>,
    clients: HashMap<String, OAuthClient>,
    tokens: Mutex<TokenStore>,
    assertion_jtis: Mutex<JtiCache>,
    proof_jtis: Mutex<JtiCache>,
    nonces: Mutex<Nonces>,
    /// The nonce of every challenge under [`OAuthSettings::repeat_nonce`].
    repeated_nonce: String,
    /// Token requests.
    pub(crate) bucket: Bucket,
    pub(crate) token_requests: AtomicU64,
    pub(crate) tokens_issued: AtomicU64,
}

impl OAuth {
    /// Registers `clients` (a later one with the same id replaces an earlier one).
    pub(crate) fn new(
        settings: OAuthSettings,
        clients: &[OAuthClient],
        clock: Arc<dyn Clock>,
    ) -> Self {
        let clients = clients
            .iter()
            .map(|c| (c.client_id.clone(), c.clone()))
            .collect();
        Self {
            nonces: Mutex::new(Nonces::new(
                settings.nonce_rotation,
                settings.nonce_grace,
                random_id,
            )),
            bucket: Bucket::new(settings.token_rate_limit, Arc::clone(&clock)),
            clock,
            settings,
            clients,
            tokens: Mutex::new(TokenStore::default()),
            assertion_jtis: Mutex::new(JtiCache::default()),
            proof_jtis: Mutex::new(JtiCache::default()),
            repeated_nonce: random_id(),
            token_requests: AtomicU64::new(0),
            tokens_issued: AtomicU64::new(0),
        }
    }

    fn now(&self) -> SystemTime {
        self.clock.now()
    }

    /// Records a DPoP proof's `jti`; `false` for a replay. Remembered while the proof's `iat`
    /// is acceptable.
    fn consume_proof_jti(&self, jti: &str, iat: i64) -> bool {
        let now = epoch_secs(self.now());
        lock(&self.proof_jtis).consume(jti.to_owned(), iat + dpop::MAX_AGE_SECS + 1, now)
    }

    /// Records a client assertion's `jti` (per client); `false` for a replay.
    fn consume_assertion_jti(&self, client_id: &str, jti: &str, exp: i64) -> bool {
        let now = epoch_secs(self.now());
        lock(&self.assertion_jtis).consume(format!("{client_id}\n{jti}"), exp, now)
    }

    /// Issues a token; returns it with its `expires_in`.
    fn issue(&self, scopes: Vec<String>, jkt: Option<String>) -> (String, u64) {
        let now = self.now();
        let lifetime = self.settings.token_lifetime;
        let token = format!("{}{}", random_id(), random_id());
        let issued = IssuedToken {
            scopes,
            jkt,
            expires_at: now + lifetime,
        };
        lock(&self.tokens).insert(token.clone(), issued, now);
        self.tokens_issued.fetch_add(1, Ordering::Relaxed);
        let expires_in = lifetime.as_secs() + u64::from(lifetime.subsec_nanos() > 0);
        (token, expires_in)
    }

    fn token(&self, token: &str) -> Option<IssuedToken> {
        lock(&self.tokens).get(token).cloned()
    }

    /// The token endpoint's nonce decision for a proof carrying `carried`: `Ok` with the
    /// nonce to send along a token, or `Err` with the nonce of a `use_dpop_nonce` challenge.
    fn token_nonce(&self, carried: Option<&str>) -> Result<String, String> {
        if self.settings.repeat_nonce {
            return Err(self.repeated_nonce.clone());
        }
        let now = self.now();
        let mut nonces = lock(&self.nonces);
        if self.settings.force_nonce_challenge {
            return Err(nonces.fresh(now));
        }
        match carried {
            Some(nonce) if nonces.is_valid(nonce, now) => Ok(nonces.current(now)),
            _ => Err(nonces.current(now)),
        }
    }

    /// Whether a resource proof's nonce is one handed out and still valid.
    fn resource_nonce_ok(&self, carried: Option<&str>) -> Result<(), String> {
        let now = self.now();
        let mut nonces = lock(&self.nonces);
        match carried {
            Some(nonce) if nonces.is_valid(nonce, now) => Ok(()),
            _ => Err(nonces.current(now)),
        }
    }

    /// The current DPoP nonce (rotated first when due).
    pub(crate) fn current_nonce(&self) -> String {
        let now = self.now();
        lock(&self.nonces).current(now)
    }

    /// Forgets every nonce handed out.
    pub(crate) fn expire_nonces(&self) {
        lock(&self.nonces).expire_all();
    }

    /// Zeroes the counters and forgets the token endpoint's rate-limit window; tokens, nonces
    /// and `jti`s stay.
    pub(crate) fn reset_counters(&self) {
        self.token_requests.store(0, Ordering::Relaxed);
        self.tokens_issued.store(0, Ordering::Relaxed);
        self.bucket.clear();
    }
}

/// `http://{authority}` as the client addressed the emulator: the URI's authority (HTTP/2),
/// else the `Host` header, else the listening address. Assertion audiences and `htu`s are
/// compared against it.
pub(crate) fn request_origin(uri: &Uri, headers: &HeaderMap, addr: SocketAddr) -> String {
    let authority = uri
        .authority()
        .map(|a| a.as_str().to_owned())
        .or_else(|| {
            headers
                .get(HOST)
                .and_then(|h| h.to_str().ok())
                .map(str::to_owned)
        })
        .unwrap_or_else(|| addr.to_string());
    format!("http://{authority}")
}
