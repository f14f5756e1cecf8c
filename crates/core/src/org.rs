//! The org URL, validated as Okta's SDKs validate it.

use std::fmt;
use std::net::IpAddr;

/// An Okta org's base URL: scheme and authority, e.g. `https://acme.okta.com`.
///
/// [`OrgUrl::parse`] applies Okta's SDK rules: HTTPS, no `{yourOktaDomain}` placeholder, no
/// `-admin` host, no `.com.com`, exactly one `://`, no path. Plain `http://` is accepted for
/// loopback hosts only (the emulator), or anywhere with [`OrgUrl::parse_allow_http`].
///
/// ```
/// use okta_idsrc_core::org::OrgUrl;
///
/// let org = OrgUrl::parse("https://acme.okta.com/").unwrap();
/// assert_eq!(org.as_str(), "https://acme.okta.com");
/// assert!(OrgUrl::parse("https://acme-admin.okta.com").is_err());
/// assert!(OrgUrl::parse("http://127.0.0.1:8080").is_ok());
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct OrgUrl {
    base: String,
    scheme: http::uri::Scheme,
    authority: http::uri::Authority,
}

/// Why an org URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid org URL {url:?}: {reason}")]
pub struct OrgUrlError {
    /// The URL as given.
    pub url: String,
    /// What is wrong with it and what to do.
    pub reason: String,
}

impl OrgUrl {
    /// Parses and validates an org URL (HTTPS, or HTTP on a loopback host).
    pub fn parse(url: &str) -> Result<Self, OrgUrlError> {
        Self::parse_with(url, false)
    }

    /// Like [`parse`](Self::parse), but accepts plain `http://` on any host. Only for test
    /// setups on private networks: the token travels in clear text.
    pub fn parse_allow_http(url: &str) -> Result<Self, OrgUrlError> {
        Self::parse_with(url, true)
    }

    fn parse_with(url: &str, allow_http: bool) -> Result<Self, OrgUrlError> {
        let err = |reason: &str| OrgUrlError {
            url: redact_userinfo(url),
            reason: reason.to_owned(),
        };
        let trimmed = url.trim();
        if trimmed.is_empty() {
            return Err(err(
                "it is empty; set it to your org, e.g. https://acme.okta.com",
            ));
        }
        if trimmed.contains("{yourOktaDomain}") {
            return Err(err("replace {yourOktaDomain} with your Okta domain"));
        }
        if trimmed.matches("://").count() != 1 {
            return Err(err("it must contain exactly one \"://\""));
        }
        let uri: http::Uri = trimmed.parse().map_err(|_| err("it is not a valid URL"))?;
        let scheme = uri
            .scheme()
            .cloned()
            .ok_or_else(|| err("it has no scheme"))?;
        let authority = uri
            .authority()
            .cloned()
            .ok_or_else(|| err("it has no host"))?;
        if authority.as_str().contains('@') {
            return Err(err("it must not contain credentials"));
        }
        let host = authority.host().to_ascii_lowercase();
        if host.contains("-admin.") {
            return Err(err(
                "it looks like an admin domain; use the org URL without -admin",
            ));
        }
        if host.contains(".com.com") {
            return Err(err("it contains .com.com"));
        }
        if !matches!(uri.path(), "" | "/") || uri.query().is_some() {
            return Err(err(
                "it must have no path or query, e.g. https://acme.okta.com",
            ));
        }
        match scheme.as_str() {
            "https" => {}
            "http" if allow_http || is_loopback_host(&host) => {}
            "http" => {
                return Err(err(
                    "it must use https (plain http is allowed only for loopback hosts)",
                ));
            }
            _ => return Err(err("its scheme must be https")),
        }
        let base = format!(
            "{}://{}",
            scheme.as_str(),
            authority.as_str().to_ascii_lowercase()
        );
        let authority = base[scheme.as_str().len() + 3..]
            .parse()
            .map_err(|_| err("bad host"))?;
        Ok(Self {
            base,
            scheme,
            authority,
        })
    }

    /// The base URL, without a trailing slash.
    pub fn as_str(&self) -> &str {
        &self.base
    }

    /// The scheme (`https`, or `http` for loopback).
    pub fn scheme(&self) -> &http::uri::Scheme {
        &self.scheme
    }

    /// The authority (`host[:port]`).
    pub fn authority(&self) -> &http::uri::Authority {
        &self.authority
    }

    /// Whether `uri` has this org's origin (same scheme, host and port).
    pub fn is_same_origin(&self, uri: &http::Uri) -> bool {
        uri.scheme() == Some(&self.scheme)
            && uri
                .authority()
                .is_some_and(|a| a.as_str().eq_ignore_ascii_case(self.authority.as_str()))
    }
}

/// `url` without any `user:password@` part, for error messages.
fn redact_userinfo(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let rest = &url[scheme_end..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{}<redacted>@{}", &url[..scheme_end], &rest[at + 1..]),
        None => url.to_owned(),
    }
}

/// Whether `host` is `localhost` or a loopback IP literal.
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

impl fmt::Display for OrgUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.base)
    }
}

impl fmt::Debug for OrgUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OrgUrl({})", self.base)
    }
}

impl std::str::FromStr for OrgUrl {
    type Err = OrgUrlError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn okta_sdk_rules() {
        for bad in [
            "",
            "https://{yourOktaDomain}",
            "https://acme-admin.okta.com",
            "https://acme.okta.com.com",
            "https://https://acme.okta.com",
            "acme.okta.com",
            "http://acme.okta.com",
            "ftp://acme.okta.com",
            "https://acme.okta.com/api/v1",
            "https://user:pw@acme.okta.com",
        ] {
            assert!(OrgUrl::parse(bad).is_err(), "{bad} should be refused");
        }
        let ok = OrgUrl::parse("https://ACME.okta.com/").unwrap();
        assert_eq!(ok.as_str(), "https://acme.okta.com");
        assert!(OrgUrl::parse("http://localhost:1234").is_ok());
        assert!(OrgUrl::parse("http://[::1]:1234").is_ok());
        assert!(OrgUrl::parse_allow_http("http://okta.internal").is_ok());
        let e = OrgUrl::parse("https://user:s3cret@acme.okta.com").unwrap_err();
        assert!(!e.to_string().contains("s3cret"), "{e}");
        let e = OrgUrl::parse("https://acme-admin.okta.com").unwrap_err();
        assert!(e.to_string().contains("-admin"), "{e}");
    }

    #[test]
    fn same_origin() {
        let org = OrgUrl::parse("https://acme.okta.com").unwrap();
        assert!(org.is_same_origin(&"https://acme.okta.com/api/v1/x?after=1".parse().unwrap()));
        assert!(!org.is_same_origin(&"https://evil.com/api/v1/x".parse().unwrap()));
        assert!(!org.is_same_origin(&"http://acme.okta.com/api/v1/x".parse().unwrap()));
        assert!(!org.is_same_origin(&"https://acme.okta.com:444/x".parse().unwrap()));
        assert!(!org.is_same_origin(&"/relative".parse().unwrap()));
    }
}
