//! The OAuth layer's shared state: the token cache with its single-flight fetch (token
//! requests, the nonce handshake, their retries), the DPoP nonce, the authorization of each
//! attempt, and the counters.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use okta_idsrc_core::ApiError;
use okta_idsrc_core::headers::DPOP;
use okta_idsrc_core::oauth::{ErrorCode, OAuthFailure, dpop_nonce};
use okta_idsrc_core::transport::BoxError;
use tower::Service;

use super::config::OAuthConfig;
use super::dpop::DpopKey;
use super::error::{NonceFailure, OAuthError, SharedError};
use super::token::{
    IssuedToken, TOKEN_OPERATION, clear_authorization, issued_token, token_request,
};
use crate::retry::{Attempts, classify};
use crate::service::send_when_ready;
use okta_idsrc_core::oauth::htu;

/// Counts of what an [`OAuthLayer`](super::OAuthLayer) did, across every service it made.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct OAuthStats {
    /// HTTP requests sent to the token endpoint (nonce and rate-limit retries included).
    pub token_requests: u64,
    /// Access tokens obtained.
    pub tokens_issued: u64,
    /// Token requests repeated with a new DPoP nonce.
    pub nonce_retries: u64,
    /// Requests repeated with a new token after a 401 `invalid_token`.
    pub invalid_token_retries: u64,
    /// Requests repeated with the resource server's DPoP nonce.
    pub resource_nonce_retries: u64,
}

#[derive(Default)]
pub(super) struct Counters {
    pub(super) token_requests: AtomicU64,
    pub(super) tokens_issued: AtomicU64,
    pub(super) nonce_retries: AtomicU64,
    pub(super) invalid_token_retries: AtomicU64,
    pub(super) resource_nonce_retries: AtomicU64,
}

pub(super) fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

/// The cache and the DPoP nonce, behind one short lock.
#[derive(Default)]
pub(super) struct State {
    pub(super) token: Option<Arc<IssuedToken>>,
    /// The last `DPoP-Nonce` any response carried.
    pub(super) nonce: Option<String>,
    /// Whether the resource server asked for the nonce in its proofs.
    pub(super) resource_nonce: bool,
    /// Token fetches finished (success or failure).
    fetches: u64,
    /// The failure of the last fetch, for the callers that waited for it.
    last_failure: Option<OAuthError>,
    /// Tokens issued, to number them.
    serial: u64,
    /// After a failed renewal, when to try again (the current token serves until then).
    renew_after: Option<SystemTime>,
}

impl State {
    /// The cached token, while it needs no renewal (or a failed renewal's pause lasts).
    fn fresh(&self, now: SystemTime) -> Option<&Arc<IssuedToken>> {
        self.token.as_ref().filter(|t| {
            now < t.renew_at
                || (self.renew_after.is_some_and(|r| now < r) && now + GRACE < t.expires_at)
        })
    }
}

/// A token this close to its expiry is not sent any more.
const GRACE: Duration = Duration::from_secs(5);

/// How long after a failed renewal the next one is tried (the current token serves).
const RENEWAL_PAUSE: Duration = Duration::from_secs(5);

pub(super) struct Shared {
    pub(super) config: OAuthConfig,
    pub(super) token_url: String,
    pub(super) state: Mutex<State>,
    /// Held while a token is fetched: one token request however many calls wait.
    pub(super) fetching: tokio::sync::Mutex<()>,
    pub(super) counters: Counters,
}

impl Shared {
    pub(super) fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn now(&self) -> SystemTime {
        self.config.clock.now()
    }

    /// A usable token: the cached one until its renewal time, else one fetched by exactly
    /// one caller while the others wait for it.
    pub(super) async fn token<S>(&self, inner: S) -> Result<Arc<IssuedToken>, OAuthError>
    where
        S: Service<Request<Bytes>, Response = Response<Bytes>>,
        S::Error: Into<BoxError>,
    {
        // While a renewal is in flight, the current token serves until it expires.
        let (seen, current) = {
            let state = self.state();
            let now = self.now();
            if let Some(token) = state.fresh(now) {
                return Ok(Arc::clone(token));
            }
            let current = state
                .token
                .as_ref()
                .filter(|t| now + GRACE < t.expires_at)
                .map(Arc::clone);
            (state.fetches, current)
        };
        let _fetching = match self.fetching.try_lock() {
            Ok(guard) => guard,
            Err(_) => match current {
                Some(token) => return Ok(token),
                None => self.fetching.lock().await,
            },
        };
        {
            let state = self.state();
            if state.fetches != seen {
                // A fetch finished while this call waited: share its outcome.
                if let Some(token) = state.token.as_ref().filter(|t| self.now() < t.expires_at) {
                    return Ok(Arc::clone(token));
                }
                if let Some(failure) = &state.last_failure {
                    return Err(failure.clone());
                }
            }
        }
        let result = self.fetch(inner).await;
        let mut state = self.state();
        state.fetches += 1;
        match result {
            Ok(token) => {
                let token = Arc::new(token);
                state.token = Some(Arc::clone(&token));
                state.last_failure = None;
                state.renew_after = None;
                Ok(token)
            }
            Err(error) => {
                state.last_failure = Some(error.clone());
                // A renewal ahead of expiry failed: the current token still works, and the
                // next renewal waits a little.
                let now = self.now();
                if let Some(token) = state.token.clone().filter(|t| now + GRACE < t.expires_at) {
                    tracing::warn!(
                        error = %error,
                        "token renewal failed; the current token serves until it expires"
                    );
                    state.renew_after = Some(now + RENEWAL_PAUSE);
                    return Ok(token);
                }
                state.token = None;
                Err(error)
            }
        }
    }

    /// The cached token, until its renewal time.
    pub(super) fn cached(&self) -> Option<Arc<IssuedToken>> {
        let now = self.now();
        self.state().fresh(now).map(Arc::clone)
    }

    /// Drops `token` from the cache, unless it was replaced already.
    pub(super) fn invalidate(&self, token: &IssuedToken) {
        let mut state = self.state();
        if state
            .token
            .as_ref()
            .is_some_and(|t| t.serial == token.serial)
        {
            state.token = None;
        }
    }

    pub(super) fn observe_nonce(&self, headers: &http::HeaderMap) {
        if let Some(nonce) = dpop_nonce(headers) {
            let mut state = self.state();
            if state.nonce.as_deref() != Some(nonce) {
                state.nonce = Some(nonce.to_owned());
            }
        }
    }

    /// One token: sends token requests until one succeeds or a failure is final.
    pub(super) async fn fetch<S>(&self, mut inner: S) -> Result<IssuedToken, OAuthError>
    where
        S: Service<Request<Bytes>, Response = Response<Bytes>>,
        S::Error: Into<BoxError>,
    {
        let dpop = if self.config.dpop {
            Some(DpopKey::generate()?)
        } else {
            None
        };
        let mut attempts = Attempts::new(&self.config.token_retry);
        let mut nonce_retries: u32 = 0;
        loop {
            let nonce = self.state().nonce.clone();
            let sent_nonce = nonce.as_deref().filter(|_| dpop.is_some());
            let request = token_request(
                &self.config,
                &self.token_url,
                dpop.as_ref(),
                sent_nonce,
                self.now(),
            )?;
            bump(&self.counters.token_requests);
            let response = send_when_ready(&mut inner, request)
                .await
                .map_err(|e| OAuthError::Transport(SharedError::new(e)))?;
            self.observe_nonce(response.headers());
            let now = self.now();
            let status = response.status();
            tracing::debug!(
                status = status.as_u16(),
                attempt = attempts.attempt(),
                nonce_retries,
                "token endpoint answered"
            );
            if status.is_success() {
                let serial = {
                    let mut state = self.state();
                    state.serial += 1;
                    state.serial
                };
                let token = issued_token(&response, dpop, &self.config, now, serial)?;
                bump(&self.counters.tokens_issued);
                tracing::debug!(
                    token_type = token.token_type.scheme(),
                    "access token issued"
                );
                return Ok(token);
            }
            if status != StatusCode::TOO_MANY_REQUESTS
                && let Some(failure) = OAuthFailure::from_token_response(&response, now)
            {
                if failure.code != ErrorCode::UseDpopNonce || dpop.is_none() {
                    return Err(OAuthError::Token(Box::new(failure)));
                }
                let fresh = dpop_nonce(response.headers());
                let reason = match fresh {
                    None => Some(NonceFailure::NoNonce),
                    Some(n) if Some(n) == sent_nonce => Some(NonceFailure::Repeated),
                    Some(_) if nonce_retries >= self.config.max_nonce_retries => {
                        Some(NonceFailure::Exhausted)
                    }
                    Some(_) => None,
                };
                if let Some(reason) = reason {
                    return Err(OAuthError::NonceHandshake {
                        reason,
                        retries: nonce_retries,
                        failure: Box::new(failure),
                    });
                }
                nonce_retries += 1;
                bump(&self.counters.nonce_retries);
                continue;
            }
            let decision = classify(Some(&TOKEN_OPERATION), Ok(&response));
            if let Some((wait, _)) = attempts.next(decision, Some(response.headers())) {
                tracing::debug!(
                    wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                    "retrying the token request"
                );
                tokio::time::sleep(wait).await;
                continue;
            }
            return Err(OAuthError::TokenEndpoint(Box::new(
                ApiError::from_response(TOKEN_OPERATION.name, &response),
            )));
        }
    }

    /// Sets `Authorization` and (for a DPoP token) a fresh proof on `request`; returns the
    /// nonce the proof carries.
    pub(super) fn authorize(
        &self,
        request: &mut Request<Bytes>,
        token: &IssuedToken,
    ) -> Result<Option<String>, OAuthError> {
        let headers = request.headers_mut();
        clear_authorization(headers);
        headers.insert(http::header::AUTHORIZATION, token.authorization.clone());
        let Some(key) = &token.dpop else {
            return Ok(None);
        };
        let nonce = {
            let state = self.state();
            state.nonce.clone().filter(|_| state.resource_nonce)
        };
        let target = htu(request.uri()).ok_or_else(|| OAuthError::Signing {
            what: "DPoP proof",
            message: "the request URI is not absolute".to_owned(),
        })?;
        let proof = key.proof(
            request.method(),
            &target,
            self.now(),
            nonce.as_deref(),
            Some(&token.ath),
        )?;
        request
            .headers_mut()
            .insert(DPOP, super::token::sensitive(&proof, "DPoP proof")?);
        Ok(nonce)
    }

    pub(super) fn stats(&self) -> OAuthStats {
        let c = &self.counters;
        OAuthStats {
            token_requests: c.token_requests.load(Ordering::Relaxed),
            tokens_issued: c.tokens_issued.load(Ordering::Relaxed),
            nonce_retries: c.nonce_retries.load(Ordering::Relaxed),
            invalid_token_retries: c.invalid_token_retries.load(Ordering::Relaxed),
            resource_nonce_retries: c.resource_nonce_retries.load(Ordering::Relaxed),
        }
    }
}
