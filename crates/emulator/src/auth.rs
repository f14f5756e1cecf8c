//! Who may call the API: the `Authorization` header check.
//!
//! Behind the [`Authenticate`] trait: the static API token ([`StaticToken`]) and the OAuth 2.0
//! access tokens of the org authorization server (`crate::oauth`) are tried in turn
//! ([`FirstOf`]).

use std::sync::Arc;

use http::header::AUTHORIZATION;
use http::{HeaderMap, Method, StatusCode};

use crate::error::ApiError;

/// What an authenticator sees of a request.
pub(crate) struct AuthRequest<'a> {
    pub method: &'a Method,
    /// The path as received (percent-encoded).
    pub path: &'a str,
    pub headers: &'a HeaderMap,
    /// `http://host:port` as the client addressed the emulator.
    pub origin: &'a str,
}

/// Why a request may not proceed.
#[derive(Debug)]
pub(crate) enum Denial {
    /// No credentials this authenticator knows: 401 E0000011.
    Unknown,
    /// Credentials it knows, refused with a `WWW-Authenticate` challenge.
    Challenge(Box<Challenge>),
}

/// A refusal with a `WWW-Authenticate` header.
#[derive(Debug)]
pub(crate) struct Challenge {
    pub status: StatusCode,
    pub www_authenticate: String,
    /// A `DPoP-Nonce` header to send.
    pub dpop_nonce: Option<String>,
    /// The Okta error body; `None`: an empty body (Okta's DPoP failures).
    pub error: Option<ApiError>,
}

/// Decides whether a request's credentials are acceptable (and sufficient for it).
pub(crate) trait Authenticate: Send + Sync + 'static {
    fn authenticate(&self, req: &AuthRequest<'_>) -> Result<(), Denial>;
}

/// The first authenticator that accepts; else the first challenge; else [`Denial::Unknown`].
pub(crate) struct FirstOf(pub Vec<Arc<dyn Authenticate>>);

impl Authenticate for FirstOf {
    fn authenticate(&self, req: &AuthRequest<'_>) -> Result<(), Denial> {
        let mut denial = Denial::Unknown;
        for auth in &self.0 {
            match auth.authenticate(req) {
                Ok(()) => return Ok(()),
                Err(Denial::Unknown) => {}
                Err(challenge) => {
                    if matches!(denial, Denial::Unknown) {
                        denial = challenge;
                    }
                }
            }
        }
        Err(denial)
    }
}

/// The schemes whose credentials may follow the name with no whitespace at all: the official
/// Okta Python SDK 3.4.6 sends `SSWS<token>` and `Bearer<token>`, and live Okta accepts them.
const GLUED_SCHEMES: [&str; 2] = ["SSWS", "Bearer"];

/// The single `Authorization` header split into scheme and credentials; `None` when absent,
/// sent twice, not text, or without credentials.
///
/// `SSWS` and `Bearer` (any case) are followed by optional whitespace, then the credentials;
/// every other scheme (`DPoP` among them) needs whitespace after its name.
pub(crate) fn authorization(headers: &HeaderMap) -> Option<(&str, &str)> {
    let mut values = headers.get_all(AUTHORIZATION).iter();
    let (Some(value), None) = (values.next(), values.next()) else {
        return None;
    };
    let value = value.to_str().ok()?.trim();
    for scheme in GLUED_SCHEMES {
        let n = scheme.len();
        if value.len() > n && value.as_bytes()[..n].eq_ignore_ascii_case(scheme.as_bytes()) {
            // The matched prefix is ASCII, so `n` is a character boundary.
            let credentials = value[n..].trim_start();
            return (!credentials.is_empty()).then(|| (&value[..n], credentials));
        }
    }
    let (scheme, credentials) = value.split_once(' ')?;
    let credentials = credentials.trim();
    (!credentials.is_empty()).then_some((scheme, credentials))
}

/// One configured token, accepted as `SSWS <token>` (an API token) or `Bearer <token>`, the
/// space optional ([`authorization`]). Scheme names are case-insensitive, as in HTTP.
pub(crate) struct StaticToken {
    token: String,
}

impl StaticToken {
    pub(crate) fn new(token: impl Into<String>) -> Self {
        Self {
            token: token.into(),
        }
    }
}

impl Authenticate for StaticToken {
    fn authenticate(&self, req: &AuthRequest<'_>) -> Result<(), Denial> {
        let Some((scheme, credentials)) = authorization(req.headers) else {
            return Err(Denial::Unknown);
        };
        let scheme_ok =
            scheme.eq_ignore_ascii_case("SSWS") || scheme.eq_ignore_ascii_case("Bearer");
        if scheme_ok && constant_time_eq(credentials.as_bytes(), self.token.as_bytes()) {
            Ok(())
        } else {
            Err(Denial::Unknown)
        }
    }
}

/// Compares without an early exit on the first differing byte.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(value: Option<&str>) -> bool {
        let mut h = HeaderMap::new();
        if let Some(v) = value {
            h.insert(AUTHORIZATION, v.parse().unwrap());
        }
        let req = AuthRequest {
            method: &Method::GET,
            path: "/api/v1/x",
            headers: &h,
            origin: "http://127.0.0.1:1",
        };
        StaticToken::new("tok").authenticate(&req).is_ok()
    }

    #[test]
    fn split() {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, "DPoP  abc ".parse().unwrap());
        assert_eq!(authorization(&h), Some(("DPoP", "abc")));
        h.insert(AUTHORIZATION, "Bearerabc".parse().unwrap());
        assert_eq!(authorization(&h), Some(("Bearer", "abc")));
        h.insert(AUTHORIZATION, "DPoP".parse().unwrap());
        assert_eq!(authorization(&h), None);
    }

    #[test]
    fn schemes() {
        // The official Python SDK glues the mode to the token; any whitespace is fine too.
        for (header, accepted) in [
            ("SSWS tok", true),
            ("Bearer tok", true),
            ("bearer tok", true),
            ("SSWStok", true),
            ("Bearertok", true),
            ("sswstok", true),
            ("SSWS \t tok", true),
            ("DPoP tok", false),
            ("SSWS tok2", false),
            ("SSWS", false),
            ("SSWS   ", false),
            ("tok", false),
            ("SSWStok2", false),
            ("SSWSSWS tok", false),
            ("DPoPtok", false),
            ("Basictok", false),
        ] {
            assert_eq!(check(Some(header)), accepted, "{header:?}");
        }
        assert!(!check(None));
    }
}
