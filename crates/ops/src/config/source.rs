//! One source's settings, parsed, and how sources merge.

use super::*;

/// The settings one source gives, parsed.
#[derive(Default)]
pub(super) struct Partial {
    pub(super) org_url: Option<OrgUrl>,
    pub(super) token: Option<SecretString>,
    pub(super) authorization_mode: Option<AuthorizationMode>,
    pub(super) client_id: Option<String>,
    pub(super) scopes: Option<Vec<String>>,
    pub(super) private_key: Option<SecretString>,
    pub(super) private_key_id: Option<String>,
    pub(super) connection_timeout: Option<Duration>,
    pub(super) request_timeout: Option<Duration>,
    pub(super) max_retries: Option<u32>,
    pub(super) proxy: PartialProxy,
}

/// Proxy fields as one source gives them, with the origin of the first one set (for the
/// error when the host is missing).
#[derive(Default)]
pub(super) struct PartialProxy {
    pub(super) host: Option<String>,
    pub(super) port: Option<u16>,
    pub(super) username: Option<String>,
    pub(super) password: Option<SecretString>,
    pub(super) origin: Option<Origin>,
}

impl PartialProxy {
    pub(super) fn is_empty(&self) -> bool {
        self.host.is_none()
            && self.port.is_none()
            && self.username.is_none()
            && self.password.is_none()
    }

    pub(super) fn overlay(self, higher: Self) -> Self {
        Self {
            host: higher.host.or(self.host),
            port: higher.port.or(self.port),
            username: higher.username.or(self.username),
            password: higher.password.or(self.password),
            origin: higher.origin.or(self.origin),
        }
    }

    /// The proxy, when any field is set; an error when fields are set without a host.
    pub(super) fn into_config(self) -> Result<Option<ProxyConfig>, ConfigError> {
        if self.is_empty() {
            return Ok(None);
        }
        let Some(host) = self.host else {
            let origin = self.origin.unwrap_or(Origin::Env(ENV_PROXY_HOST));
            return Err(ConfigError::Invalid {
                origin,
                message: format!(
                    "a proxy port, username or password is set but no proxy host \
                     ({ENV_PROXY_HOST} or okta.client.proxy.host)"
                ),
            });
        };
        Ok(Some(ProxyConfig {
            host,
            port: self.port,
            username: self.username,
            password: self.password,
        }))
    }
}

impl Partial {
    /// `self` with every setting of `higher` replacing its own.
    pub(super) fn overlay(self, higher: Self) -> Self {
        Self {
            org_url: higher.org_url.or(self.org_url),
            token: higher.token.or(self.token),
            authorization_mode: higher.authorization_mode.or(self.authorization_mode),
            client_id: higher.client_id.or(self.client_id),
            scopes: higher.scopes.or(self.scopes),
            private_key: higher.private_key.or(self.private_key),
            private_key_id: higher.private_key_id.or(self.private_key_id),
            connection_timeout: higher.connection_timeout.or(self.connection_timeout),
            request_timeout: higher.request_timeout.or(self.request_timeout),
            max_retries: higher.max_retries.or(self.max_retries),
            proxy: self.proxy.overlay(higher.proxy),
        }
    }

    pub(super) fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut p = Self {
            org_url: env_value(env, ENV_ORG_URL, parse_org_url)?,
            token: env(ENV_TOKEN).map(|v| SecretString::from(v.trim().to_owned())),
            authorization_mode: env_value(env, ENV_AUTHORIZATION_MODE, AuthorizationMode::parse)?,
            client_id: env_value(env, ENV_CLIENT_ID, |v| Ok(v.trim().to_owned()))?,
            scopes: env_value(env, ENV_SCOPES, parse_scopes)?,
            private_key: env_value(env, ENV_PRIVATE_KEY, checked_private_key)?,
            private_key_id: env_value(env, ENV_PRIVATE_KEY_ID, |v| Ok(v.trim().to_owned()))?,
            connection_timeout: env_value(env, ENV_CONNECTION_TIMEOUT, parse_seconds)?,
            request_timeout: env_value(env, ENV_REQUEST_TIMEOUT, parse_seconds)?,
            max_retries: env_value(env, ENV_MAX_RETRIES, parse_count)?,
            proxy: PartialProxy {
                host: env_value(env, ENV_PROXY_HOST, |v| Ok(v.trim().to_owned()))?,
                port: env_value(env, ENV_PROXY_PORT, parse_port)?,
                username: env(ENV_PROXY_USERNAME),
                password: env(ENV_PROXY_PASSWORD).map(SecretString::from),
                origin: None,
            },
        };
        if !p.proxy.is_empty() {
            let first = [
                ENV_PROXY_HOST,
                ENV_PROXY_PORT,
                ENV_PROXY_USERNAME,
                ENV_PROXY_PASSWORD,
            ]
            .into_iter()
            .find(|name| env(name).is_some())
            .unwrap_or(ENV_PROXY_HOST);
            p.proxy.origin = Some(Origin::Env(first));
        }
        Ok(p)
    }

    /// Reads `path` (Okta's `okta.yaml` shape); a missing file gives nothing.
    pub(super) fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(source) => {
                return Err(ConfigError::Read {
                    path: path.to_owned(),
                    source,
                });
            }
        };
        let yaml_error = |message: String| ConfigError::Yaml {
            path: path.to_owned(),
            message,
        };
        let root: Value = serde_yaml_ng::from_str(&text)
            .map_err(|e| yaml_error(format!("not valid YAML: {e}")))?;
        let file = YamlFile { path, root: &root };
        if file.mapping(&["okta", "client"])?.is_none() {
            return Ok(Self::default());
        }
        let mut p = Self {
            org_url: file.parse(&["okta", "client", "orgUrl"], Scalar::string, parse_org_url)?,
            token: file
                .parse(&["okta", "client", "token"], Scalar::secret, |v| {
                    Ok(v.trim().to_owned())
                })?
                .map(SecretString::from),
            authorization_mode: file.parse(
                &["okta", "client", "authorizationMode"],
                Scalar::string,
                AuthorizationMode::parse,
            )?,
            client_id: file.parse(&["okta", "client", "clientId"], Scalar::string, |v| {
                Ok(v.trim().to_owned())
            })?,
            scopes: file.scopes(&["okta", "client", "scopes"])?,
            private_key: file.parse(
                &["okta", "client", "privateKey"],
                Scalar::secret,
                checked_private_key,
            )?,
            private_key_id: file.parse(&["okta", "client", "privateKeyId"], Scalar::any, |v| {
                Ok(v.trim().to_owned())
            })?,
            connection_timeout: file.parse(
                &["okta", "client", "connectionTimeout"],
                Scalar::any,
                parse_seconds,
            )?,
            request_timeout: file.parse(
                &["okta", "client", "requestTimeout"],
                Scalar::any,
                parse_seconds,
            )?,
            max_retries: file.parse(
                &["okta", "client", "rateLimit", "maxRetries"],
                Scalar::any,
                parse_count,
            )?,
            proxy: PartialProxy {
                host: file.parse(&["okta", "client", "proxy", "host"], Scalar::string, |v| {
                    Ok(v.trim().to_owned())
                })?,
                port: file.parse(
                    &["okta", "client", "proxy", "port"],
                    Scalar::any,
                    parse_port,
                )?,
                username: file.parse(
                    &["okta", "client", "proxy", "username"],
                    Scalar::string,
                    |v| Ok(v.to_owned()),
                )?,
                password: file
                    .parse(
                        &["okta", "client", "proxy", "password"],
                        Scalar::secret,
                        |v| Ok(v.to_owned()),
                    )?
                    .map(SecretString::from),
                origin: None,
            },
        };
        if !p.proxy.is_empty() {
            p.proxy.origin = Some(Origin::File {
                path: path.to_owned(),
                key: "okta.client.proxy.host".into(),
            });
        }
        Ok(p)
    }
}
