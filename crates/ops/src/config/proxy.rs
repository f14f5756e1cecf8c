//! [`ProxyConfig`]: an HTTP proxy as Okta's SDKs configure one.

use std::fmt;

use secrecy::SecretString;

use super::Redacted;

/// An HTTP proxy, as Okta's SDKs configure one. `Debug` never shows the password.
#[derive(Clone)]
#[non_exhaustive]
pub struct ProxyConfig {
    /// The proxy's host name or IP address (a `http://` or `https://` prefix is kept).
    pub host: String,
    /// The proxy's port; without one, the scheme's default.
    pub port: Option<u16>,
    /// The username for Basic proxy authentication.
    pub username: Option<String>,
    /// The password for Basic proxy authentication.
    pub password: Option<SecretString>,
}

impl ProxyConfig {
    /// A proxy at `host` and `port`, without credentials.
    pub fn new(host: impl Into<String>, port: Option<u16>) -> Self {
        Self {
            host: host.into(),
            port,
            username: None,
            password: None,
        }
    }

    /// Sets the Basic credentials.
    #[must_use]
    pub fn with_credentials(
        mut self,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        self.username = Some(username.into());
        self.password = Some(SecretString::from(password.into()));
        self
    }

    /// The proxy's URL without credentials: `http://host:port` (`http://` unless the host
    /// says otherwise).
    pub fn url(&self) -> String {
        let host = self.host.trim().trim_end_matches('/');
        let with_scheme = if host.contains("://") {
            host.to_owned()
        } else {
            format!("http://{host}")
        };
        match self.port {
            Some(port) => format!("{with_scheme}:{port}"),
            None => with_scheme,
        }
    }
}

impl fmt::Debug for ProxyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxyConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| Redacted))
            .finish()
    }
}
