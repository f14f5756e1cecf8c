//! `okta-idsrc`: a Rust SDK for Okta's Identity Sources ("Anything-as-a-Source") API.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let org = okta_idsrc::OrgUrl::parse("https://acme.okta.com")?;
//! let client = okta_idsrc::client(org, okta_idsrc::Credentials::api_token("00abc…"))?;
//! let source = client.identity_source("0oa1234567890abcdefg");
//! let session = source.create_session().await?;
//! println!("session {:?} is {:?}", session.id, session.status);
//! # Ok(())
//! # }
//! ```
//!
//! [`client`] builds the batteries-included [`Client`]: the hyper transport under Okta's
//! retry and rate-limit layers, with their defaults. [`client_from_env`] reads the
//! configuration as Okta's SDKs do (`OKTA_CLIENT_*` variables, `okta.yaml` files; see
//! [`ops::config`]) and [`client_from_config`] applies a [`ClientConfig`]. For your own
//! service or layers, start from [`ops::Client::builder`].
//!
//! This façade re-exports the workspace crates:
//! - [`core`]: transport-agnostic models and sans-IO request/response builders,
//! - [`hyper`]: the hyper-based transport,
//! - [`ops`]: the async client, middleware, pagination and configuration,
//! - [`import`]: the resumable bulk importer.

use okta_idsrc_hyper::{HyperTransport, HyperTransportBuilder, Proxy};
use okta_idsrc_ops::rate_limit::RateLimitConfig;
use okta_idsrc_ops::retry::RetryConfig;
use secrecy::ExposeSecret;

pub use okta_idsrc_core as core;
pub use okta_idsrc_hyper as hyper;
pub use okta_idsrc_import as import;
pub use okta_idsrc_ops as ops;

pub use okta_idsrc_core::transport::{Transport, TransportError, TransportErrorKind};
pub use okta_idsrc_core::{ApiError, Credentials, Error, Operation, OrgUrl, models, operations};
pub use okta_idsrc_ops::config::{AuthorizationMode, Config as ClientConfig, ConfigError};
pub use okta_idsrc_ops::{
    Auth, BoxedService, ClientBuilder, ClientStats, IdentitySource, MembershipPager,
};

/// The batteries-included client: [`ops::Client`] over the type-erased [`BoxedService`].
pub type Client = okta_idsrc_ops::Client<BoxedService>;

/// A client for `org` authenticated with `credentials`: the hyper transport (HTTPS, pooled
/// connections, default timeouts, no proxy) under the default retry and rate-limit layers.
///
/// Fails only when the transport cannot be built (its TLS setup).
pub fn client(org: OrgUrl, credentials: Credentials) -> Result<Client, Error> {
    let transport = HyperTransport::builder().build()?;
    Ok(okta_idsrc_ops::Client::builder(org)
        .service(transport)
        .authenticate(credentials)
        .default_layers(RetryConfig::default(), RateLimitConfig::default())
        .build()
        .boxed())
}

/// A client configured as Okta's SDKs are: `OKTA_CLIENT_*` environment variables,
/// `./okta.yaml`, `~/.okta/okta.yaml` and `HTTPS_PROXY` (see [`ops::config`] for the
/// precedence). Applies the configuration with [`client_from_config`].
pub fn client_from_env() -> Result<Client, SetupError> {
    client_from_config(&ClientConfig::from_env()?)
}

/// A client from `config`: its org URL and credentials (both required), and on the hyper
/// transport and the layers:
/// - `authorization_mode`: `SSWS` or `Bearer` send the token; `PrivateKey` puts an
///   [`OAuthLayer`](ops::oauth::OAuthLayer) (client id, scopes, private key, DPoP) between
///   the rate-limit layer and the transport, so that every attempt gets a fresh DPoP proof;
/// - `connection_timeout`: the transport's connect timeout;
/// - `request_timeout`: the deadline across all attempts and the limit of each attempt
///   (`0`: no deadline, the transport's default per attempt);
/// - `max_retries`: the retries after the first attempt;
/// - `proxy` (with `no_proxy`): the proxy requests are tunnelled through;
/// - `user_agent_suffix`: appended to the `User-Agent`.
///
/// The client's [`stats`](ops::Client::stats) count its retries, 429s and token fetches.
pub fn client_from_config(config: &ClientConfig) -> Result<Client, SetupError> {
    let org = config.require_org_url()?.clone();
    let auth = config.auth()?;
    let mut transport = transport_builder(config)?;
    let mut retry = RetryConfig::default();
    match config.request_timeout {
        Some(timeout) if timeout.is_zero() => retry = retry.with_deadline(None),
        Some(timeout) => {
            retry = retry.with_deadline(Some(timeout));
            transport = transport.request_timeout(timeout);
        }
        None => {}
    }
    if let Some(retries) = config.max_retries {
        retry = retry.with_max_attempts(retries.saturating_add(1));
    }
    let mut builder = okta_idsrc_ops::Client::builder(org);
    if let Some(suffix) = &config.user_agent_suffix {
        builder = builder.user_agent_suffix(suffix);
    }
    // Authentication sits inside the retries, so that every attempt gets a fresh DPoP proof;
    // the rate limiter paces every attempt.
    Ok(builder
        .service(transport.build()?)
        .authenticate(auth)
        .default_layers(retry, RateLimitConfig::default())
        .build()
        .boxed())
}

/// The hyper transport's builder as [`client_from_config`] sets it up from `config`: its
/// `connection_timeout` and its `proxy` (with `no_proxy`); no credentials. For other requests
/// that should leave the way the client's do (a notification, say).
pub fn transport_builder(config: &ClientConfig) -> Result<HyperTransportBuilder, SetupError> {
    let mut transport = HyperTransport::builder();
    if let Some(timeout) = config.connection_timeout {
        transport = transport.connect_timeout(timeout);
    }
    if let Some(proxy_config) = &config.proxy {
        let mut proxy = Proxy::new(&proxy_config.url())?;
        if let Some(username) = &proxy_config.username {
            let password = proxy_config
                .password
                .as_ref()
                .map_or("", |p| p.expose_secret());
            proxy = proxy.basic_auth(username.as_str(), password);
        }
        if let Some(no_proxy) = &config.no_proxy {
            proxy = proxy.no_proxy(no_proxy);
        }
        transport = transport.proxy(proxy);
    }
    Ok(transport)
}

/// Why [`client_from_env`] or [`client_from_config`] could not make a client.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// The configuration is invalid or incomplete.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The transport could not be built (TLS roots, proxy URL).
    #[error(transparent)]
    Transport(#[from] TransportError),
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use okta_idsrc_emulator::{DEFAULT_IDENTITY_SOURCE, Emulator};
    use okta_idsrc_ops::config::ProxyConfig;

    use super::*;

    #[tokio::test]
    async fn clients_reach_the_emulator() {
        let emulator = Emulator::builder().start().await.expect("emulator");
        let org = OrgUrl::parse(&emulator.base_url()).expect("org");
        let plain = client(org.clone(), Credentials::api_token(emulator.token())).expect("client");
        assert!(
            plain
                .list_identity_source_sessions(DEFAULT_IDENTITY_SOURCE)
                .await
                .expect("list")
                .is_empty()
        );

        let mut config = ClientConfig::new()
            .with_org_url(org)
            .with_token(emulator.token());
        config.connection_timeout = Some(Duration::from_secs(3));
        config.request_timeout = Some(Duration::from_secs(20));
        config.max_retries = Some(1);
        // Loopback hosts bypass the proxy.
        config.proxy =
            Some(ProxyConfig::new("proxy.invalid", Some(3128)).with_credentials("u", "p"));
        let configured = client_from_config(&config).expect("client");
        let shown = format!("{configured:?}");
        assert!(!shown.contains(emulator.token()), "{shown}");
        assert!(
            configured
                .list_identity_source_sessions(DEFAULT_IDENTITY_SOURCE)
                .await
                .expect("list")
                .is_empty()
        );
        emulator.shutdown().await;
    }

    #[tokio::test]
    async fn private_key_mode_reaches_the_emulator_with_dpop() {
        use okta_idsrc_emulator::{OAuthClient, SCOPE_READ};
        use okta_idsrc_ops::oauth::load_private_key;

        const PEM: &str = include_str!("../crates/ops/tests/data/ec_p256_sec1.pem");
        let public = load_private_key(PEM)
            .expect("key")
            .with_kid("k1")
            .public_jwk();
        let emulator = Emulator::builder()
            .oauth_client(OAuthClient::new("0oaapp", vec![public]).with_scopes([SCOPE_READ]))
            .start()
            .await
            .expect("emulator");
        let config = ClientConfig::new()
            .with_org_url(OrgUrl::parse(&emulator.base_url()).expect("org"))
            .with_authorization_mode(AuthorizationMode::PrivateKey)
            .with_client_id("0oaapp")
            .with_scopes([SCOPE_READ])
            .with_private_key(PEM)
            .with_private_key_id("k1");
        let client = client_from_config(&config).expect("client");
        assert!(
            client
                .list_identity_source_sessions(DEFAULT_IDENTITY_SOURCE)
                .await
                .expect("list")
                .is_empty()
        );
        let stats = emulator.state().stats;
        assert_eq!(stats.tokens_issued, 1);
        let shown = format!("{config:?} {client:?}");
        assert!(
            !shown.contains(PEM.lines().nth(1).expect("line")),
            "{shown}"
        );
        emulator.shutdown().await;
    }

    #[test]
    fn setup_errors_say_what_is_missing_or_wrong() {
        let org = OrgUrl::parse("https://acme.okta.com").expect("org");
        let e = client_from_config(&ClientConfig::new()).expect_err("no org");
        assert!(
            matches!(e, SetupError::Config(_)) && e.to_string().contains("OKTA_CLIENT_ORGURL"),
            "{e}"
        );
        let e = client_from_config(&ClientConfig::new().with_org_url(org.clone()))
            .expect_err("no token");
        assert!(e.to_string().contains("OKTA_CLIENT_TOKEN"), "{e}");
        let mut config = ClientConfig::new().with_org_url(org).with_token("t");
        config.proxy = Some(ProxyConfig::new("socks5://proxy.corp", Some(1080)));
        let e = client_from_config(&config).expect_err("bad proxy");
        assert!(matches!(e, SetupError::Transport(_)), "{e:?}");
    }
}
