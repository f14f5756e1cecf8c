//! HTTP(S) proxy configuration: the proxy's URL, optional Basic credentials, and the hosts
//! that bypass it.

use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use http::{HeaderValue, Uri};
use hyper_util::client::proxy::matcher::Matcher;
use okta_idsrc_core::transport::{TransportError, TransportErrorKind};
use percent_encoding::percent_decode_str;
use secrecy::{ExposeSecret, SecretString};

use crate::target::is_loopback_host;

/// An HTTP proxy that requests are tunnelled through with `CONNECT`.
///
/// The proxy itself is reached over `http://` or `https://`; requests to the destination
/// are tunnelled (TLS runs end to end, the proxy sees only the host and port). Requests to
/// loopback hosts (`localhost`, `127.0.0.0/8`, `::1`) and to hosts in the no-proxy list never
/// use the proxy.
///
/// `Debug` shows the proxy's URL and the username, never the password.
///
/// ```
/// use okta_idsrc_hyper::Proxy;
///
/// let proxy = Proxy::new("http://alice:s3cret@proxy.corp.example:3128")?
///     .no_proxy("internal.example, 10.0.0.0/8");
/// assert!(proxy.intercepts(&"https://example.okta.com/api/v1/x".parse().unwrap()));
/// assert!(!proxy.intercepts(&"https://build.internal.example/".parse().unwrap()));
/// assert!(!format!("{proxy:?}").contains("s3cret"));
/// # Ok::<(), okta_idsrc_core::transport::TransportError>(())
/// ```
#[derive(Clone)]
pub struct Proxy {
    uri: Uri,
    auth: Option<Credentials>,
    no_proxy: Vec<String>,
    matcher: Arc<Matcher>,
}

#[derive(Clone)]
struct Credentials {
    username: String,
    password: SecretString,
}

impl Proxy {
    /// A proxy at `url`: `http://host:port` or `https://host:port` (a URL without a scheme
    /// is taken as `http://`). Credentials in the URL (`http://user:pass@host:port`,
    /// percent-encoded) become Basic proxy credentials and are removed from the URL.
    ///
    /// Fails with kind [`TransportErrorKind::Other`] when the URL cannot be parsed, has no
    /// host, or has another scheme (SOCKS proxies are not supported).
    pub fn new(url: &str) -> Result<Self, TransportError> {
        let url = url.trim();
        let with_scheme;
        let url = if url.contains("://") {
            url
        } else {
            with_scheme = format!("http://{url}");
            &with_scheme
        };
        let parsed: Uri = url.parse().map_err(|e| {
            invalid("the proxy URL could not be parsed; expected http://host:port").with_source(e)
        })?;
        let scheme = match parsed.scheme_str() {
            Some(s) if s.eq_ignore_ascii_case("http") => "http",
            Some(s) if s.eq_ignore_ascii_case("https") => "https",
            Some(other) => {
                return Err(invalid(format!(
                    "unsupported proxy scheme `{other}`; use an http:// or https:// proxy"
                )));
            }
            None => return Err(invalid("the proxy URL has no scheme")),
        };
        let authority = parsed
            .authority()
            .ok_or_else(|| invalid("the proxy URL has no host"))?;
        let (userinfo, host_port) = match authority.as_str().rsplit_once('@') {
            Some((userinfo, host_port)) => (Some(userinfo), host_port),
            None => (None, authority.as_str()),
        };
        if host_port.is_empty() || authority.host().is_empty() {
            return Err(invalid("the proxy URL has no host"));
        }
        let uri = Uri::builder()
            .scheme(scheme)
            .authority(host_port)
            .path_and_query("/")
            .build()
            .map_err(|e| invalid("the proxy URL could not be parsed").with_source(e))?;
        let auth = userinfo.map(|userinfo| {
            let (user, pass) = userinfo.split_once(':').unwrap_or((userinfo, ""));
            Credentials {
                username: percent_decode_str(user).decode_utf8_lossy().into_owned(),
                password: SecretString::from(
                    percent_decode_str(pass).decode_utf8_lossy().into_owned(),
                ),
            }
        });
        let matcher = build_matcher(&uri, &[]);
        Ok(Self {
            uri,
            auth,
            no_proxy: Vec::new(),
            matcher,
        })
    }

    /// Reads the proxy from the environment, as curl does for HTTPS: `HTTPS_PROXY`, then
    /// `https_proxy`, then `ALL_PROXY`, then `all_proxy` (the first that is set and not
    /// empty), with the no-proxy list from `NO_PROXY` or `no_proxy` (core's
    /// [`proxy_env`](okta_idsrc_core::proxy_env), which the configuration loader reads too).
    ///
    /// `Ok(None)` when no proxy is set; an error when the variable's URL is invalid (a
    /// misspelt proxy is reported rather than silently bypassed).
    pub fn from_env() -> Result<Option<Self>, TransportError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`from_env`](Self::from_env) over any variable lookup (testable without touching the
    /// process environment).
    pub(crate) fn from_lookup(
        get: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<Self>, TransportError> {
        let Some(found) = okta_idsrc_core::proxy_env::proxy_from(get) else {
            return Ok(None);
        };
        let proxy = Self::new(&found.url).map_err(|e| {
            TransportError::new(
                TransportErrorKind::Other,
                format!(
                    "the proxy in the environment variable {} is invalid",
                    found.variable
                ),
            )
            .with_source(e)
        })?;
        Ok(Some(match &found.no_proxy {
            Some(list) => proxy.no_proxy(list),
            None => proxy,
        }))
    }

    /// Sets Basic credentials for the proxy (sent as `Proxy-Authorization` on `CONNECT`),
    /// replacing any taken from the URL.
    pub fn basic_auth(mut self, username: impl Into<String>, password: impl Into<String>) -> Self {
        self.auth = Some(Credentials {
            username: username.into(),
            password: SecretString::from(password.into()),
        });
        self
    }

    /// Adds hosts that bypass the proxy, in `NO_PROXY` syntax: comma-separated domain names
    /// (each matching itself and its subdomains; a leading dot is optional), IP addresses,
    /// CIDR ranges such as `10.0.0.0/8`, or `*` for every host.
    pub fn no_proxy(mut self, list: &str) -> Self {
        self.no_proxy.extend(
            list.split(',')
                .map(str::trim)
                .filter(|entry| !entry.is_empty())
                .map(str::to_owned),
        );
        self.matcher = build_matcher(&self.uri, &self.no_proxy);
        self
    }

    /// The proxy's URL (scheme, host and port; never the credentials).
    pub fn uri(&self) -> &Uri {
        &self.uri
    }

    /// Whether a request to `uri` goes through this proxy: not for loopback hosts, nor for
    /// hosts in the no-proxy list.
    pub fn intercepts(&self, uri: &Uri) -> bool {
        match uri.host() {
            Some(host) if !is_loopback_host(host) => self.matcher.intercept(uri).is_some(),
            _ => false,
        }
    }

    /// The `Proxy-Authorization` header value, marked sensitive.
    pub(crate) fn authorization(&self) -> Option<HeaderValue> {
        let auth = self.auth.as_ref()?;
        let encoded = BASE64.encode(format!(
            "{}:{}",
            auth.username,
            auth.password.expose_secret()
        ));
        let mut value = HeaderValue::try_from(format!("Basic {encoded}")).ok()?;
        value.set_sensitive(true);
        Some(value)
    }

    /// The proxy's scheme, host and port, for messages.
    pub(crate) fn display(&self) -> String {
        let authority = self.uri.authority().map(|a| a.as_str()).unwrap_or_default();
        format!("{}://{authority}", self.uri.scheme_str().unwrap_or("http"))
    }
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Proxy")
            .field("uri", &self.display())
            .field("username", &self.auth.as_ref().map(|a| a.username.as_str()))
            .field("password", &self.auth.as_ref().map(|_| "[redacted]"))
            .field("no_proxy", &self.no_proxy)
            .finish()
    }
}

fn build_matcher(uri: &Uri, no_proxy: &[String]) -> Arc<Matcher> {
    // The matcher only decides *whether* to proxy; the URL it is given carries no secrets.
    Arc::new(
        Matcher::builder()
            .all(uri.to_string())
            .no(no_proxy.join(","))
            .build(),
    )
}

fn invalid(message: impl Into<String>) -> TransportError {
    TransportError::new(TransportErrorKind::Other, message)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn uri(s: &str) -> Uri {
        s.parse().expect("uri")
    }

    /// [`Proxy::from_lookup`] over an environment holding just `vars`.
    fn lookup(vars: &[(&str, &str)]) -> Result<Option<Proxy>, TransportError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Proxy::from_lookup(move |name| map.get(name).cloned())
    }

    /// The proxy an environment holding just `vars` configures.
    fn lookup_some(vars: &[(&str, &str)]) -> Proxy {
        lookup(vars).expect("ok").expect("some")
    }

    #[test]
    fn parses_url_with_credentials_and_strips_them() {
        let p = Proxy::new("http://al%40ice:p%3Ass@proxy.example:3128").expect("proxy");
        assert_eq!(p.uri(), &uri("http://proxy.example:3128/"));
        assert_eq!(p.display(), "http://proxy.example:3128");
        let auth = p.authorization().expect("auth");
        assert!(auth.is_sensitive());
        // "al@ice:p:ss"
        assert_eq!(auth, HeaderValue::from_static("Basic YWxAaWNlOnA6c3M="));
    }

    #[test]
    fn url_without_scheme_is_http_and_other_schemes_are_rejected() {
        let p = Proxy::new("proxy.example:8080").expect("proxy");
        assert_eq!(p.uri(), &uri("http://proxy.example:8080/"));
        let p = Proxy::new("HTTPS://proxy.example").expect("proxy");
        assert_eq!(p.uri(), &uri("https://proxy.example/"));
        let err = Proxy::new("socks5://proxy.example:1080").expect_err("socks");
        assert_eq!(err.kind(), TransportErrorKind::Other);
        assert!(err.to_string().contains("socks5"), "{err}");
        assert!(Proxy::new("http://").is_err());
        assert!(Proxy::new("http://bad host:1").is_err());
    }

    #[test]
    fn debug_never_shows_the_password() {
        let p = Proxy::new("http://alice:hunter2@proxy.example:3128").expect("proxy");
        let shown = format!("{p:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("alice"), "{shown}");
        assert!(shown.contains("[redacted]"), "{shown}");
        let p = p.basic_auth("bob", "correct horse");
        let shown = format!("{p:?}");
        assert!(!shown.contains("correct horse"), "{shown}");
        assert!(
            !shown.contains(&BASE64.encode("bob:correct horse")),
            "{shown}"
        );
    }

    #[test]
    fn basic_auth_replaces_url_credentials() {
        let p = Proxy::new("http://a:b@proxy.example")
            .expect("proxy")
            .basic_auth("Aladdin", "open sesame");
        assert_eq!(
            p.authorization().expect("auth"),
            HeaderValue::from_static("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==")
        );
        assert!(
            Proxy::new("http://proxy.example")
                .expect("proxy")
                .authorization()
                .is_none()
        );
    }

    #[test]
    fn no_proxy_matching() {
        let p = Proxy::new("http://proxy.example:3128")
            .expect("proxy")
            .no_proxy(" corp.example , .internal.example,192.168.0.0/16, 10.1.2.3 ,");
        assert!(p.intercepts(&uri("https://example.okta.com/api")));
        assert!(p.intercepts(&uri("https://notcorp.example/")));
        assert!(!p.intercepts(&uri("https://corp.example/")));
        assert!(!p.intercepts(&uri("https://sso.corp.example/")));
        assert!(!p.intercepts(&uri("https://a.internal.example/")));
        assert!(!p.intercepts(&uri("https://internal.example/")));
        assert!(!p.intercepts(&uri("https://192.168.4.5/")));
        assert!(!p.intercepts(&uri("https://10.1.2.3:8443/")));
        assert!(p.intercepts(&uri("https://10.1.2.4/")));
        assert!(p.intercepts(&uri("http://example.com/")));
    }

    #[test]
    fn loopback_never_goes_through_the_proxy() {
        let p = Proxy::new("http://proxy.example:3128").expect("proxy");
        for u in [
            "https://localhost:8443/",
            "http://127.0.0.1:80/",
            "https://[::1]/",
        ] {
            assert!(!p.intercepts(&uri(u)), "{u}");
        }
    }

    #[test]
    fn wildcard_no_proxy_bypasses_everything() {
        let p = Proxy::new("http://proxy.example:3128")
            .expect("proxy")
            .no_proxy("*");
        assert!(!p.intercepts(&uri("https://example.okta.com/")));
    }

    #[test]
    fn env_prefers_https_proxy_then_all_proxy() {
        assert!(lookup(&[]).expect("ok").is_none());
        assert!(
            lookup(&[("HTTP_PROXY", "http://plain.example:1")])
                .expect("ok")
                .is_none(),
            "HTTP_PROXY is not used for https destinations"
        );

        let p = lookup_some(&[
            ("HTTPS_PROXY", "http://upper.example:1"),
            ("https_proxy", "http://lower.example:2"),
            ("ALL_PROXY", "http://all.example:3"),
        ]);
        assert_eq!(p.uri(), &uri("http://upper.example:1/"));

        let p = lookup_some(&[
            ("HTTPS_PROXY", "  "),
            ("https_proxy", "http://lower.example:2"),
        ]);
        assert_eq!(p.uri(), &uri("http://lower.example:2/"));

        let p = lookup_some(&[("all_proxy", "all.example:3")]);
        assert_eq!(p.uri(), &uri("http://all.example:3/"));
    }

    #[test]
    fn env_no_proxy_is_applied() {
        let p = lookup_some(&[
            ("https_proxy", "http://u:pw@proxy.example:3128"),
            ("no_proxy", "okta.com"),
        ]);
        assert!(!p.intercepts(&uri("https://example.okta.com/")));
        assert!(p.intercepts(&uri("https://example.com/")));
        assert!(p.authorization().is_some());

        let p = lookup_some(&[
            ("HTTPS_PROXY", "http://proxy.example:3128"),
            ("NO_PROXY", "example.com"),
            ("no_proxy", "okta.com"),
        ]);
        assert!(!p.intercepts(&uri("https://example.com/")));
        assert!(p.intercepts(&uri("https://example.okta.com/")));
    }

    #[test]
    fn invalid_env_proxy_is_an_error_naming_the_variable() {
        let err =
            lookup(&[("HTTPS_PROXY", "socks5://u:secretpw@proxy:1080")]).expect_err("invalid");
        assert_eq!(err.kind(), TransportErrorKind::Other);
        assert!(err.to_string().contains("HTTPS_PROXY"), "{err}");
        assert!(!err.to_string().contains("secretpw"), "{err}");
    }
}
