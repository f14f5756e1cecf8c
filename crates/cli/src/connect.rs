//! Where commands send their requests: an org from flags, `OKTA_CLIENT_*` or okta.yaml, or
//! the embedded emulator when no org is configured (or with `--emulator`).

use std::fmt;
use std::str::FromStr;

use clap::Args;
use okta_idsrc_core::{Credentials, OrgUrl};
use okta_idsrc_emulator::{DEFAULT_IDENTITY_SOURCE, DEFAULT_TOKEN, Emulator, EmulatorHandle};
use okta_idsrc_hyper::{HyperTransport, Proxy};
use okta_idsrc_ops::config::ProxyConfig;
use okta_idsrc_ops::rate_limit::{RateLimitConfig, RateLimitLayer};
use okta_idsrc_ops::retry::{RetryConfig, RetryLayer};
use okta_idsrc_ops::{Client, Config, IdentitySource};
use secrecy::ExposeSecret;

use crate::error::{CliError, chain};

/// A token given on the command line or in `OKTA_CLIENT_TOKEN`; `Debug` never shows it.
#[derive(Clone)]
pub struct Token(String);

impl FromStr for Token {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.trim().to_owned()))
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// The org, credentials and identity source of a command.
///
/// Precedence: these flags, then `OKTA_CLIENT_*` environment variables, then `./okta.yaml`,
/// then `~/.okta/okta.yaml`. With no org anywhere, or with `--emulator`, the command runs
/// against an emulator started in-process.
#[derive(Debug, Clone, Args)]
pub struct ConnArgs {
    /// The Okta org, e.g. https://acme.okta.com (else OKTA_CLIENT_ORGURL or okta.yaml).
    #[arg(long, value_name = "URL", global = true)]
    pub org_url: Option<String>,
    /// The API token (SSWS) or access token (Bearer, with OKTA_CLIENT_AUTHORIZATIONMODE).
    #[arg(
        long,
        value_name = "TOKEN",
        env = "OKTA_CLIENT_TOKEN",
        hide_env_values = true,
        global = true
    )]
    pub token: Option<Token>,
    /// The identity source id (0oa…); the embedded emulator's by default.
    #[arg(long, value_name = "ID", env = "OKTA_IDSRC_SOURCE", global = true)]
    pub source: Option<String>,
    /// Use an emulator started in-process, whatever org is configured.
    #[arg(long, global = true)]
    pub emulator: bool,
}

/// A connected client: the identity source handle, the retry layer's counters, and the
/// embedded emulator when one was started.
pub struct Target {
    /// The identity source.
    pub source: IdentitySource<okta_idsrc_ops::BoxedService>,
    /// The retry layer, for its counters.
    pub retry: RetryLayer,
    /// The emulator started in-process, if any.
    pub emulator: Option<EmulatorHandle>,
}

impl Target {
    /// The client.
    pub fn client(&self) -> &Client {
        self.source.client()
    }

    /// Stops the embedded emulator, if any, letting open requests finish.
    pub async fn shutdown(self) {
        if let Some(emulator) = self.emulator {
            emulator.shutdown().await;
        }
    }
}

impl ConnArgs {
    /// Resolves the configuration and builds the client; starts the embedded emulator when
    /// no org is configured or `--emulator` is given (saying so in one line on stderr).
    pub async fn connect(&self) -> Result<Target, CliError> {
        let mut config = Config::from_env()?;
        if let Some(url) = &self.org_url {
            config.org_url = Some(
                OrgUrl::parse(url)
                    .map_err(|e| CliError::usage(format!("--org-url: {}", e.reason)))?,
            );
        }
        if let Some(Token(token)) = &self.token {
            if !token.is_empty() {
                config = config.with_token(token.clone());
            }
        }
        let why = if self.emulator {
            Some("--emulator")
        } else if config.org_url.is_none() {
            Some("no org configured")
        } else {
            None
        };
        let (org, credentials, emulator, source) = match why {
            Some(why) => {
                let mut builder = Emulator::builder().token(DEFAULT_TOKEN);
                if let Some(source) = &self.source {
                    builder = builder.identity_source(source.clone());
                }
                let emulator = builder.start().await.map_err(|e| {
                    CliError::failure(format!("cannot start the embedded emulator: {e}"))
                })?;
                eprintln!(
                    "using the embedded emulator at {} ({why})",
                    emulator.base_url()
                );
                let org = OrgUrl::parse(&emulator.base_url()).map_err(|e| {
                    CliError::failure(format!("the embedded emulator's URL: {}", e.reason))
                })?;
                let source = self
                    .source
                    .clone()
                    .unwrap_or_else(|| DEFAULT_IDENTITY_SOURCE.to_owned());
                (
                    org,
                    Credentials::api_token(DEFAULT_TOKEN),
                    Some(emulator),
                    source,
                )
            }
            None => {
                let org = config.require_org_url()?.clone();
                let credentials = config.credentials()?;
                let source = self.source.clone().ok_or_else(|| {
                    CliError::usage(
                        "no identity source: give --source 0oa… (or set OKTA_IDSRC_SOURCE)",
                    )
                })?;
                (org, credentials, None, source)
            }
        };
        let transport = transport(&config)?;
        let retry = RetryLayer::new(retry_config(&config));
        let client = Client::builder(org)
            .credentials(credentials)
            .user_agent_suffix(concat!("okta-idsrc-cli/", env!("CARGO_PKG_VERSION")))
            .service(transport)
            .with_layer(RateLimitLayer::new(RateLimitConfig::default()))
            .with_layer(retry.clone())
            .build()
            .boxed();
        Ok(Target {
            source: client.identity_source(source),
            retry,
            emulator,
        })
    }
}

/// The retry settings: `max_retries` and `request_timeout` from the configuration, as the
/// façade's `client_from_config` applies them (the CLI builds its own stack to keep the
/// retry layer's counters for the import summary).
fn retry_config(config: &Config) -> RetryConfig {
    let mut retry = RetryConfig::default();
    if let Some(retries) = config.max_retries {
        retry = retry.with_max_attempts(retries.saturating_add(1));
    }
    if let Some(timeout) = config.request_timeout {
        retry = retry.with_deadline((!timeout.is_zero()).then_some(timeout));
    }
    retry
}

/// The hyper transport with the configured timeouts and proxy.
fn transport(config: &Config) -> Result<HyperTransport, CliError> {
    let mut builder = HyperTransport::builder();
    if let Some(timeout) = config.connection_timeout {
        builder = builder.connect_timeout(timeout);
    }
    if let Some(timeout) = config.request_timeout.filter(|t| !t.is_zero()) {
        builder = builder.request_timeout(timeout);
    }
    if let Some(proxy) = &config.proxy {
        builder = builder.proxy(proxy_of(proxy, config.no_proxy.as_deref())?);
    }
    builder
        .build()
        .map_err(|e| CliError::usage(format!("cannot set up HTTPS: {}", chain(&e))))
}

fn proxy_of(config: &ProxyConfig, no_proxy: Option<&str>) -> Result<Proxy, CliError> {
    let mut proxy =
        Proxy::new(&config.url()).map_err(|e| CliError::usage(format!("proxy: {}", chain(&e))))?;
    if let Some(user) = &config.username {
        let password = config
            .password
            .as_ref()
            .map(|p| p.expose_secret().to_owned())
            .unwrap_or_default();
        proxy = proxy.basic_auth(user.clone(), password);
    }
    if let Some(list) = no_proxy {
        proxy = proxy.no_proxy(list);
    }
    Ok(proxy)
}
