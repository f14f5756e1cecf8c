//! [`OAuthLayer`]: gets, caches and renews the access token, and authorizes every attempt
//! with it (and a fresh DPoP proof); the state it shares is in `cache`.

use std::fmt;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use okta_idsrc_core::transport::BoxError;
use okta_idsrc_core::{OperationInfo, OrgUrl};

use okta_idsrc_core::oauth::{AuthChallenge, ErrorCode, OAuthFailure, TokenType, dpop_nonce};

use super::cache::{Counters, OAuthStats, Shared, State, bump};
use super::config::OAuthConfig;
use super::error::OAuthError;
use crate::service::{HttpService, layer_service, send_when_ready};
use okta_idsrc_core::oauth::htu;

layer_service! {
    /// A tower [`Layer`](tower::Layer) authenticating requests as an Okta service app: OAuth
    /// 2.0 client credentials with a `private_key_jwt` client assertion, and DPoP.
    ///
    /// - The access token is fetched through the wrapped service itself (any transport), once
    ///   however many calls wait, cached, and renewed ahead of its expiry.
    /// - Each HTTP attempt gets `Authorization: DPoP <token>` and a fresh `DPoP` proof (`htm`,
    ///   `htu` without query and with the path decoded, `iat`, `jti`, `ath`), or
    ///   `Authorization: Bearer <token>` when the token endpoint issued a bearer token.
    /// - A 401 `invalid_token` drops the token and repeats the request once with a new one; a
    ///   resource `use_dpop_nonce` repeats it once with the server's nonce; any other
    ///   `WWW-Authenticate` error becomes an [`OAuthError::Rejected`].
    ///
    /// Put it *inside* the retry layer (closest to the transport), so that every retry gets a
    /// fresh proof: retry → rate limit → OAuth → transport, which is what
    /// [`ClientBuilder::oauth`](crate::ClientBuilder::oauth) followed by
    /// [`default_layers`](crate::ClientBuilder::default_layers) builds.
    ///
    /// Clones (and every service made from them) share the token, the nonce and the
    /// [`OAuthStats`].
    #[derive(Clone)]
    pub struct OAuthLayer;

    /// The service [`OAuthLayer`] makes.
    ///
    /// Its errors are the inner service's (boxed, untouched) or an [`OAuthError`].
    #[derive(Clone)]
    pub struct OAuthService<S>;

    shared: Shared;
    stats: OAuthStats;
    ready: inner;
    serve: |shared, inner, request| Box::pin(run(inner, request, shared));
}

impl OAuthLayer {
    /// A layer for the org `org` (tokens from `{org}/oauth2/v1/token`).
    pub fn new(org: &OrgUrl, config: OAuthConfig) -> Self {
        // Normalized as an `htu` (lowercase host, no default port): the assertion's `aud`
        // and the token proof's `htu` are this exact URL.
        let raw = format!("{}/oauth2/v1/token", org.as_str());
        let token_url = raw
            .parse::<http::Uri>()
            .ok()
            .and_then(|uri| htu(&uri))
            .unwrap_or(raw);
        Self {
            shared: Arc::new(Shared {
                token_url,
                config,
                state: Mutex::new(State::default()),
                fetching: tokio::sync::Mutex::new(()),
                counters: Counters::default(),
            }),
        }
    }

    /// The token endpoint.
    pub fn token_url(&self) -> &str {
        &self.shared.token_url
    }

    /// The configuration.
    pub fn config(&self) -> &OAuthConfig {
        &self.shared.config
    }

    /// Drops the cached token: the next request gets a new one.
    pub fn invalidate(&self) {
        self.shared.state().token = None;
    }

    /// How the cached token is sent, if there is one.
    pub fn token_type(&self) -> Option<TokenType> {
        self.shared.state().token.as_ref().map(|t| t.token_type)
    }
}

impl fmt::Debug for OAuthLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthLayer")
            .field("token_url", &self.shared.token_url)
            .field("config", &self.shared.config)
            .field("stats", &self.shared.stats())
            .finish()
    }
}

impl<S> fmt::Debug for OAuthService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthService")
            .field("token_url", &self.shared.token_url)
            .field("inner", &std::any::type_name::<S>())
            .finish()
    }
}

/// Sends `request` with a token, renewing it once after `invalid_token` and adding the
/// resource nonce once after `use_dpop_nonce`.
async fn run<S>(
    mut inner: S,
    request: Request<Bytes>,
    shared: Arc<Shared>,
) -> Result<Response<Bytes>, BoxError>
where
    S: HttpService,
{
    let mut renewed = false;
    let mut nonce_retried = false;
    loop {
        let token = match shared.cached() {
            Some(token) => token,
            None => shared.token(inner.clone()).await?,
        };
        let mut attempt = request.clone();
        let sent_nonce = shared.authorize(&mut attempt, &token)?;
        let response = send_when_ready(&mut inner, attempt).await?;
        shared.observe_nonce(response.headers());
        let status = response.status();
        if !matches!(
            status,
            StatusCode::BAD_REQUEST | StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN
        ) {
            return Ok(response);
        }
        let Some(challenge) =
            AuthChallenge::failure_in(response.headers(), token.token_type.scheme())
        else {
            return Ok(response);
        };
        let code = challenge.error();
        if code == Some(ErrorCode::InvalidToken) && status == StatusCode::UNAUTHORIZED && !renewed {
            tracing::debug!("invalid_token: renewing the token and sending once more");
            shared.invalidate(&token);
            bump(&shared.counters.invalid_token_retries);
            renewed = true;
            continue;
        }
        if code == Some(ErrorCode::UseDpopNonce) && token.token_type == TokenType::Dpop {
            let fresh = dpop_nonce(response.headers());
            if !nonce_retried && fresh.is_some() && fresh != sent_nonce.as_deref() {
                tracing::debug!("use_dpop_nonce: sending once more with the server's nonce");
                shared.state().resource_nonce = true;
                bump(&shared.counters.resource_nonce_retries);
                nonce_retried = true;
                continue;
            }
        }
        let mut failure = OAuthFailure::new(
            status,
            code.unwrap_or(ErrorCode::InvalidRequest),
            challenge.error_description().map(str::to_owned),
            response.headers(),
            shared.now(),
        );
        failure.request = Some(match OperationInfo::of(&request) {
            Some(info) => info.name.to_owned(),
            None => format!("{} {}", request.method(), request.uri().path()),
        });
        failure.challenge = Some(challenge);
        tracing::debug!(
            status = status.as_u16(),
            error = failure.code.as_str(),
            "request refused by the resource server"
        );
        return Err(Box::new(OAuthError::Rejected(Box::new(failure))));
    }
}
