//! Configuration as Okta's SDKs read it — environment variables and `okta.yaml` files — with
//! one documented precedence, typed values and errors that name where a bad value came from.
//!
//! # Sources, lowest to highest precedence
//!
//! 1. Defaults: `SSWS` authorization; everything else unset (the transport's and layers'
//!    own defaults apply).
//! 2. `HTTPS_PROXY` (or `https_proxy`, `ALL_PROXY`, `all_proxy`) and `NO_PROXY` (or
//!    `no_proxy`), read as core's [`proxy_env`](okta_idsrc_core::proxy_env) reads them (the
//!    hyper transport too): the proxy, used only when no Okta source below names one.
//! 3. `~/.okta/okta.yaml`.
//! 4. `./okta.yaml` (in the working directory).
//! 5. Environment variables `OKTA_CLIENT_*`.
//! 6. Code: assign the fields of the loaded [`Config`] (or use the `with_*` setters).
//!
//! Each setting is taken from the highest source that sets it; an empty environment
//! variable or a YAML `null` does not set it. Every source that is read is validated, even
//! when a higher one overrides its values.
//!
//! | Setting | Environment variable | `okta.yaml` key (under `okta.client`) | Type |
//! |---|---|---|---|
//! | org URL | `OKTA_CLIENT_ORGURL` | `orgUrl` | checked by [`OrgUrl::parse`] |
//! | token | `OKTA_CLIENT_TOKEN` | `token` | secret string |
//! | authorization mode | `OKTA_CLIENT_AUTHORIZATIONMODE` | `authorizationMode` | `SSWS`, `Bearer` or `PrivateKey`, any case |
//! | client id (`PrivateKey`) | `OKTA_CLIENT_CLIENTID` | `clientId` | string |
//! | scopes (`PrivateKey`) | `OKTA_CLIENT_SCOPES` | `scopes` | space- or comma-separated, or a YAML list |
//! | private key (`PrivateKey`) | `OKTA_CLIENT_PRIVATEKEY` | `privateKey` | PEM or JWK text, or a file's path; secret |
//! | private key id (`PrivateKey`) | `OKTA_CLIENT_PRIVATEKEYID` | `privateKeyId` | the key's `kid` |
//! | connection timeout | `OKTA_CLIENT_CONNECTIONTIMEOUT` | `connectionTimeout` | whole seconds |
//! | request timeout | `OKTA_CLIENT_REQUESTTIMEOUT` | `requestTimeout` | whole seconds, `0`: no limit |
//! | max retries | `OKTA_CLIENT_RATELIMIT_MAXRETRIES` | `rateLimit.maxRetries` | whole number |
//! | proxy host | `OKTA_CLIENT_PROXY_HOST` | `proxy.host` | host name or IP |
//! | proxy port | `OKTA_CLIENT_PROXY_PORT` | `proxy.port` | 1–65535 |
//! | proxy username | `OKTA_CLIENT_PROXY_USERNAME` | `proxy.username` | string |
//! | proxy password | `OKTA_CLIENT_PROXY_PASSWORD` | `proxy.password` | secret string |
//!
//! Proxy fields merge across Okta sources like the others (for example host and port in a
//! file, the password in the environment).
//!
//! In `PrivateKey` mode (an OAuth 2.0 service app, see [`crate::oauth`]) the token is not
//! used: [`Config::oauth_config`] gives the client id, the scopes (by default
//! [`DEFAULT_SCOPES`](crate::oauth::DEFAULT_SCOPES)) and the key, read from PEM text
//! (PKCS#1, PKCS#8, SEC1; `\n` escapes in an environment variable are understood), a JWK as
//! Okta's admin console gives it, or a file holding either. The key is checked when the
//! configuration is loaded; errors name where it came from, never its text.
//!
//! ```
//! use std::collections::HashMap;
//! use std::path::Path;
//! use okta_idsrc_ops::config::{AuthorizationMode, Config};
//!
//! let env = HashMap::from([
//!     ("OKTA_CLIENT_ORGURL", "https://acme.okta.com"),
//!     ("OKTA_CLIENT_TOKEN", "00abc-secret"),
//!     ("OKTA_CLIENT_AUTHORIZATIONMODE", "bearer"),
//! ]);
//! let lookup = |name: &str| env.get(name).map(|v| v.to_string());
//! let config = Config::load_from(&lookup, None, Path::new("/nonexistent")).unwrap();
//! assert_eq!(config.authorization_mode, AuthorizationMode::Bearer);
//! assert!(!format!("{config:?}").contains("00abc-secret"));
//!
//! let err = Config::load_from(
//!     &|name: &str| (name == "OKTA_CLIENT_CONNECTIONTIMEOUT").then(|| "ten".to_string()),
//!     None,
//!     Path::new("/nonexistent"),
//! )
//! .unwrap_err();
//! assert_eq!(err.to_string(), r#"OKTA_CLIENT_CONNECTIONTIMEOUT: expected whole seconds, got "ten""#);
//! ```

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use okta_idsrc_core::{Credentials, OrgUrl};
use okta_idsrc_jose::PrivateKey;
use secrecy::{ExposeSecret, SecretString};
use serde_yaml_ng::Value;

use crate::Auth;
use crate::macros::setters;
use crate::oauth::{OAuthConfig, load_private_key};

mod error;
mod mode;
mod parse;
mod proxy;
mod source;
mod yaml;

pub use error::{ConfigError, Origin};
pub use mode::AuthorizationMode;
use parse::*;
pub use proxy::ProxyConfig;
use source::*;
use yaml::*;

/// `OKTA_CLIENT_ORGURL`: the org URL.
pub const ENV_ORG_URL: &str = "OKTA_CLIENT_ORGURL";
/// `OKTA_CLIENT_TOKEN`: the API token or access token.
pub const ENV_TOKEN: &str = "OKTA_CLIENT_TOKEN";
/// `OKTA_CLIENT_AUTHORIZATIONMODE`: `SSWS`, `Bearer` or `PrivateKey`.
pub const ENV_AUTHORIZATION_MODE: &str = "OKTA_CLIENT_AUTHORIZATIONMODE";
/// `OKTA_CLIENT_CLIENTID`: the service app's client id (`PrivateKey` mode).
pub const ENV_CLIENT_ID: &str = "OKTA_CLIENT_CLIENTID";
/// `OKTA_CLIENT_SCOPES`: the scopes to request, space- or comma-separated (`PrivateKey`
/// mode).
pub const ENV_SCOPES: &str = "OKTA_CLIENT_SCOPES";
/// `OKTA_CLIENT_PRIVATEKEY`: the service app's private key, PEM or JWK text or a file's path
/// (`PrivateKey` mode).
pub const ENV_PRIVATE_KEY: &str = "OKTA_CLIENT_PRIVATEKEY";
/// `OKTA_CLIENT_PRIVATEKEYID`: the private key's id, its `kid` (`PrivateKey` mode).
pub const ENV_PRIVATE_KEY_ID: &str = "OKTA_CLIENT_PRIVATEKEYID";
/// `OKTA_CLIENT_CONNECTIONTIMEOUT`: seconds to establish a connection.
pub const ENV_CONNECTION_TIMEOUT: &str = "OKTA_CLIENT_CONNECTIONTIMEOUT";
/// `OKTA_CLIENT_REQUESTTIMEOUT`: seconds a request may take, retries included.
pub const ENV_REQUEST_TIMEOUT: &str = "OKTA_CLIENT_REQUESTTIMEOUT";
/// `OKTA_CLIENT_RATELIMIT_MAXRETRIES`: retries of a rate-limited request.
pub const ENV_MAX_RETRIES: &str = "OKTA_CLIENT_RATELIMIT_MAXRETRIES";
/// `OKTA_CLIENT_PROXY_HOST`.
pub const ENV_PROXY_HOST: &str = "OKTA_CLIENT_PROXY_HOST";
/// `OKTA_CLIENT_PROXY_PORT`.
pub const ENV_PROXY_PORT: &str = "OKTA_CLIENT_PROXY_PORT";
/// `OKTA_CLIENT_PROXY_USERNAME`.
pub const ENV_PROXY_USERNAME: &str = "OKTA_CLIENT_PROXY_USERNAME";
/// `OKTA_CLIENT_PROXY_PASSWORD`.
pub const ENV_PROXY_PASSWORD: &str = "OKTA_CLIENT_PROXY_PASSWORD";

/// The client's configuration. Load it with [`Config::from_env`] (or
/// [`Config::load_from`] in tests), then override any field in code.
///
/// `Debug` never shows the token, the private key or the proxy password.
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct Config {
    /// The org URL.
    pub org_url: Option<OrgUrl>,
    /// The API token (`SSWS`) or access token (`Bearer`).
    pub token: Option<SecretString>,
    /// How requests authenticate. Default `SSWS`.
    pub authorization_mode: AuthorizationMode,
    /// The service app's client id (`PrivateKey` mode).
    pub client_id: Option<String>,
    /// The scopes to request (`PrivateKey` mode). Unset: the
    /// [`DEFAULT_SCOPES`](crate::oauth::DEFAULT_SCOPES).
    pub scopes: Option<Vec<String>>,
    /// The service app's private key (`PrivateKey` mode): PEM or JWK text, or the path of a
    /// file holding either.
    pub private_key: Option<SecretString>,
    /// The private key's id, sent as the assertion's `kid` (`PrivateKey` mode). Overrides
    /// a JWK's own `kid`.
    pub private_key_id: Option<String>,
    /// Time allowed to establish a connection. Unset: the transport's default.
    pub connection_timeout: Option<Duration>,
    /// Time a request may take, retries included. `Duration::ZERO`: no limit (Okta's `0`).
    /// Unset: the transport's and retry layer's defaults.
    pub request_timeout: Option<Duration>,
    /// How many times a request is retried after a failure worth retrying — a 429, a 5xx
    /// of an idempotent operation, a transport error — (`0`: never); the attempts are one
    /// more. Unset: the retry layer's default.
    pub max_retries: Option<u32>,
    /// The proxy to tunnel through.
    pub proxy: Option<ProxyConfig>,
    /// Hosts that bypass the proxy, in `NO_PROXY` syntax (from `NO_PROXY` / `no_proxy`).
    pub no_proxy: Option<String>,
    /// Appended to the `User-Agent` (e.g. `hr-sync/2.1`); set in code only.
    pub user_agent_suffix: Option<String>,
}

pub(super) struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("org_url", &self.org_url)
            .field("token", &self.token.as_ref().map(|_| Redacted))
            .field("authorization_mode", &self.authorization_mode)
            .field("client_id", &self.client_id)
            .field("scopes", &self.scopes)
            .field("private_key", &self.private_key.as_ref().map(|_| Redacted))
            .field("private_key_id", &self.private_key_id)
            .field("connection_timeout", &self.connection_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("max_retries", &self.max_retries)
            .field("proxy", &self.proxy)
            .field("no_proxy", &self.no_proxy)
            .field("user_agent_suffix", &self.user_agent_suffix)
            .finish()
    }
}

impl Config {
    /// The defaults only: `SSWS`, nothing else set. Fill fields in code.
    pub fn new() -> Self {
        Self::default()
    }

    /// Loads the configuration from the process environment, `~/.okta/okta.yaml` (home from
    /// `HOME`, or `USERPROFILE` on Windows) and `./okta.yaml`. See the
    /// [module docs](self) for the precedence.
    pub fn from_env() -> Result<Self, ConfigError> {
        let env = |name: &str| std::env::var(name).ok();
        let home = env("HOME")
            .or_else(|| env("USERPROFILE"))
            .filter(|h| !h.is_empty())
            .map(PathBuf::from);
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        Self::load_from(&env, home.as_deref(), &cwd)
    }

    /// Loads the configuration from the given environment lookup, `home`'s
    /// `.okta/okta.yaml` and `cwd`'s `okta.yaml`, without touching the process: the
    /// testable form of [`from_env`](Self::from_env). Missing files are skipped.
    pub fn load_from(
        env: &dyn Fn(&str) -> Option<String>,
        home: Option<&Path>,
        cwd: &Path,
    ) -> Result<Self, ConfigError> {
        let env = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        let mut merged = Partial::default();
        if let Some(home) = home {
            merged = merged.overlay(Partial::from_file(&home.join(".okta").join("okta.yaml"))?);
        }
        merged = merged.overlay(Partial::from_file(&cwd.join("okta.yaml"))?);
        merged = merged.overlay(Partial::from_env(&env)?);

        let okta_proxy = merged.proxy.into_config()?;
        let generic_proxy = match okta_idsrc_core::proxy_env::proxy_from(env) {
            Some(found) => {
                Some(
                    proxy_from_url(&found.url).map_err(|message| ConfigError::Invalid {
                        origin: Origin::Env(found.variable),
                        message,
                    })?,
                )
            }
            None => None,
        };
        Ok(Self {
            org_url: merged.org_url,
            token: merged.token,
            authorization_mode: merged.authorization_mode.unwrap_or_default(),
            client_id: merged.client_id,
            scopes: merged.scopes,
            private_key: merged.private_key,
            private_key_id: merged.private_key_id,
            connection_timeout: merged.connection_timeout,
            request_timeout: merged.request_timeout,
            max_retries: merged.max_retries,
            proxy: okta_proxy.or(generic_proxy),
            no_proxy: okta_idsrc_core::proxy_env::no_proxy_from(env),
            user_agent_suffix: None,
        })
    }

    setters! {
        /// Sets the org URL.
        with_org_url(org_url: OrgUrl) = Some(org_url);
        /// Sets the token.
        with_token(token: impl Into<String>) = Some(SecretString::from(token.into()));
        /// Sets the authorization mode.
        with_authorization_mode(authorization_mode: AuthorizationMode);
        /// Sets the service app's client id (`PrivateKey` mode).
        with_client_id(client_id: impl Into<String>) = Some(client_id.into());
    }

    /// Sets the scopes (`PrivateKey` mode).
    #[must_use]
    pub fn with_scopes<I, T>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = T>,
        T: Into<String>,
    {
        self.scopes = Some(scopes.into_iter().map(Into::into).collect());
        self
    }

    setters! {
        /// Sets the private key: PEM or JWK text, or a file's path (`PrivateKey` mode).
        with_private_key(private_key: impl Into<String>) =
            Some(SecretString::from(private_key.into()));
        /// Sets the private key's id (`PrivateKey` mode).
        with_private_key_id(private_key_id: impl Into<String>) = Some(private_key_id.into());
        /// Sets the text appended to the `User-Agent`.
        with_user_agent_suffix(user_agent_suffix: impl Into<String>) =
            Some(user_agent_suffix.into());
    }

    /// How the client authenticates in the configured mode: the token's
    /// [`credentials`](Self::credentials) for `SSWS` and `Bearer`, the service app's
    /// [`oauth_config`](Self::oauth_config) for `PrivateKey`; or an error saying what to set.
    pub fn auth(&self) -> Result<Auth, ConfigError> {
        Ok(match self.authorization_mode {
            AuthorizationMode::PrivateKey => Auth::from(self.oauth_config()?),
            _ => Auth::from(self.credentials()?),
        })
    }

    /// The org URL, or an error saying where to set it.
    pub fn require_org_url(&self) -> Result<&OrgUrl, ConfigError> {
        self.org_url.as_ref().ok_or(ConfigError::Missing(
            "no org URL: set OKTA_CLIENT_ORGURL or okta.client.orgUrl in okta.yaml",
        ))
    }

    /// The credentials for the token and the authorization mode, or an error saying where to
    /// set the token.
    ///
    /// In `PrivateKey` mode there is no static token: use
    /// [`oauth_config`](Self::oauth_config).
    pub fn credentials(&self) -> Result<Credentials, ConfigError> {
        if self.authorization_mode == AuthorizationMode::PrivateKey {
            return Err(ConfigError::Missing(
                "authorization mode PrivateKey has no static token: the client gets its \
                 access tokens with the client id and private key",
            ));
        }
        let token = self.token.as_ref().ok_or(ConfigError::Missing(
            "no token: set OKTA_CLIENT_TOKEN or okta.client.token in okta.yaml",
        ))?;
        Ok(match self.authorization_mode {
            AuthorizationMode::Bearer => Credentials::bearer(token.expose_secret()),
            _ => Credentials::api_token(token.expose_secret()),
        })
    }

    /// The OAuth 2.0 settings of `PrivateKey` mode: the client id, the scopes (by default
    /// [`DEFAULT_SCOPES`](crate::oauth::DEFAULT_SCOPES)) and the private key (with
    /// `private_key_id` as its `kid`), or an error saying what to set. DPoP is on; change
    /// the other settings on the returned [`OAuthConfig`].
    ///
    /// ```
    /// use okta_idsrc_ops::config::{AuthorizationMode, Config};
    ///
    /// let config = Config::new()
    ///     .with_authorization_mode(AuthorizationMode::PrivateKey)
    ///     .with_client_id("0oa-client");
    /// let err = config.oauth_config().unwrap_err();
    /// assert!(err.to_string().contains("OKTA_CLIENT_PRIVATEKEY"));
    /// ```
    pub fn oauth_config(&self) -> Result<OAuthConfig, ConfigError> {
        let client_id = self
            .client_id
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .ok_or(ConfigError::Missing(
                "no client id: set OKTA_CLIENT_CLIENTID or okta.client.clientId in okta.yaml",
            ))?;
        let key = self.private_key.as_ref().ok_or(ConfigError::Missing(
            "no private key: set OKTA_CLIENT_PRIVATEKEY or okta.client.privateKey in okta.yaml \
             (PEM or JWK text, or a file's path)",
        ))?;
        let key =
            parse_private_key(key.expose_secret()).map_err(|message| ConfigError::Invalid {
                origin: Origin::Code("private_key"),
                message,
            })?;
        let key = match self.private_key_id.as_deref().map(str::trim) {
            Some(kid) if !kid.is_empty() => key.with_kid(kid),
            _ => key,
        };
        let mut oauth = OAuthConfig::new(client_id, key);
        if let Some(scopes) = &self.scopes {
            oauth = oauth.with_scopes(scopes.iter().map(String::as_str));
        }
        Ok(oauth)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_urls() {
        let p = proxy_from_url("http://al%40ice:s3cret@proxy.corp:3128/").expect("parses");
        assert_eq!(p.host, "proxy.corp");
        assert_eq!(p.port, Some(3128));
        assert_eq!(p.username.as_deref(), Some("al@ice"));
        assert_eq!(
            p.password
                .as_ref()
                .map(|s| s.expose_secret().to_owned())
                .as_deref(),
            Some("s3cret")
        );
        assert_eq!(p.url(), "http://proxy.corp:3128");
        assert!(!format!("{p:?}").contains("s3cret"));
        let p = proxy_from_url("https://[::1]:8443").expect("parses");
        assert_eq!(p.url(), "https://[::1]:8443");
        let p = proxy_from_url("proxy.corp").expect("parses");
        assert_eq!(p.url(), "http://proxy.corp");
        assert!(proxy_from_url("socks5://proxy:1080").is_err());
        assert!(proxy_from_url("http://proxy:notaport").is_err());
    }

    #[test]
    fn modes() {
        assert_eq!(
            AuthorizationMode::parse("ssws"),
            Ok(AuthorizationMode::Ssws)
        );
        assert_eq!(
            AuthorizationMode::parse(" BEARER "),
            Ok(AuthorizationMode::Bearer)
        );
        assert_eq!(
            AuthorizationMode::parse("privatekey"),
            Ok(AuthorizationMode::PrivateKey)
        );
        assert!(
            AuthorizationMode::parse("Basic")
                .unwrap_err()
                .contains("SSWS, Bearer or PrivateKey")
        );
    }
}
