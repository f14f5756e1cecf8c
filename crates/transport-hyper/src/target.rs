//! Which URLs the transport sends to: HTTPS anywhere, plain HTTP only to loopback hosts
//! unless the embedder opts in.

use std::fmt;
use std::net::IpAddr;

use http::Uri;
use okta_idsrc_core::transport::{TransportError, TransportErrorKind};

/// The scheme, host and port of a request, safe to log and to put in error messages
/// (never the path's query string, never userinfo).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    scheme: &'static str,
    host: String,
    port: Option<u16>,
}

impl Target {
    /// The host as written in the URL (IPv6 literals keep their brackets).
    pub(crate) fn host(&self) -> &str {
        &self.host
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.scheme, self.host)?;
        if let Some(port) = self.port {
            write!(f, ":{port}")?;
        }
        Ok(())
    }
}

/// Checks that a request to `uri` may be sent, before any IO.
///
/// `https` is always allowed; `http` only when the host is `localhost` or a loopback IP
/// literal, or when `allow_insecure_http` is set. Anything else is refused with an error of
/// kind [`TransportErrorKind::Refused`] naming the scheme and host and saying what to do.
pub(crate) fn check_url(uri: &Uri, allow_insecure_http: bool) -> Result<Target, TransportError> {
    let Some(host) = uri.host().filter(|h| !h.is_empty()) else {
        return Err(refused(
            "refused to send a request whose URL has no host: use an absolute https:// URL"
                .to_owned(),
        ));
    };
    let port = uri.port_u16();
    let scheme = match uri.scheme_str() {
        Some(s) if s.eq_ignore_ascii_case("https") => "https",
        Some(s) if s.eq_ignore_ascii_case("http") => "http",
        Some(other) => {
            let shown = Target {
                scheme: "",
                host: host.to_owned(),
                port,
            };
            return Err(refused(format!(
                "refused to send a request to {other}{shown}: unsupported URL scheme \
                 `{other}`; use an https:// URL"
            )));
        }
        None => {
            return Err(refused(format!(
                "refused to send a request to {host}: the URL has no scheme; use an absolute \
                 https:// URL"
            )));
        }
    };
    let target = Target {
        scheme,
        host: host.to_owned(),
        port,
    };
    if scheme == "http" && !allow_insecure_http && !is_loopback_host(host) {
        return Err(refused(format!(
            "refused to send a request to {target} over plain http: use an https:// URL, or \
             allow plain http to non-loopback hosts with \
             HyperTransportBuilder::allow_insecure_http(true)"
        )));
    }
    Ok(target)
}

fn refused(message: String) -> TransportError {
    TransportError::new(TransportErrorKind::Refused, message)
}

/// Whether `host` (as in a URL; IPv6 literals in brackets) is `localhost` or a loopback IP.
pub(crate) fn is_loopback_host(host: &str) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host);
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    match bare.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.is_loopback(),
        Ok(IpAddr::V6(v6)) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(url: &str, allow: bool) -> Result<Target, TransportError> {
        check_url(&url.parse().expect("uri"), allow)
    }

    #[test]
    fn https_is_always_allowed() {
        let t = check("https://example.okta.com/api/v1/x?token=secret", false).expect("ok");
        assert_eq!(t.to_string(), "https://example.okta.com");
        assert_eq!(t.host(), "example.okta.com");
        let t = check("HTTPS://example.okta.com:8443/", false).expect("ok");
        assert_eq!(t.to_string(), "https://example.okta.com:8443");
    }

    #[test]
    fn plain_http_to_loopback_is_allowed() {
        for url in [
            "http://127.0.0.1:8080/x",
            "http://127.1.2.3/",
            "http://localhost:1234/",
            "http://LOCALHOST/",
            "http://localhost./",
            "http://[::1]:9000/",
            "http://[::ffff:127.0.0.1]/",
        ] {
            assert!(check(url, false).is_ok(), "{url}");
        }
    }

    #[test]
    fn plain_http_to_other_hosts_is_refused_without_opt_in() {
        for url in [
            "http://example.com/x?apiToken=secret",
            "http://10.0.0.1/",
            "http://[::2]/",
            "http://localhost.example.com/",
            "http://0.0.0.0/",
        ] {
            let err = check(url, false).expect_err(url);
            assert_eq!(err.kind(), TransportErrorKind::Refused);
            assert!(err.nothing_sent());
            let msg = err.to_string();
            assert!(msg.contains("allow_insecure_http(true)"), "{msg}");
            assert!(!msg.contains("secret"), "{msg}");
        }
        let msg = check("http://example.com:8080/x?apiToken=secret", false)
            .expect_err("refused")
            .to_string();
        assert!(msg.contains("http://example.com:8080"), "{msg}");
    }

    #[test]
    fn plain_http_is_allowed_with_opt_in() {
        let t = check("http://example.com/x", true).expect("opted in");
        assert_eq!(t.to_string(), "http://example.com");
    }

    #[test]
    fn unsupported_schemes_and_relative_urls_are_refused() {
        let err = check("ftp://example.com/file", true).expect_err("ftp");
        assert_eq!(err.kind(), TransportErrorKind::Refused);
        assert!(err.to_string().contains("ftp://example.com"), "{err}");
        assert!(err.to_string().contains("unsupported URL scheme"), "{err}");

        let err = check("/api/v1/identity-sources?x=secret", true).expect_err("relative");
        assert_eq!(err.kind(), TransportErrorKind::Refused);
        assert!(err.to_string().contains("no host"), "{err}");
        assert!(!err.to_string().contains("secret"), "{err}");
    }

    #[test]
    fn userinfo_never_appears_in_messages() {
        let err = check("http://user:hunter2@example.com/", false).expect_err("refused");
        assert!(!err.to_string().contains("hunter2"), "{err}");
        let t = check("https://user:hunter2@example.com/", false).expect("ok");
        assert_eq!(t.to_string(), "https://example.com");
    }
}
