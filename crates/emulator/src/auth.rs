//! Who may call the API: the `Authorization` header check.
//!
//! Behind the [`Authenticate`] trait so that an OAuth 2.0 / DPoP validator (see
//! `okta-spec/OAUTH-DPOP.md`) can be added beside the static token without touching the server.

use http::HeaderMap;
use http::header::AUTHORIZATION;

/// Decides whether a request's credentials are acceptable.
pub(crate) trait Authenticate: Send + Sync + 'static {
    /// `true` when the request may proceed; `false` gives 401 E0000011.
    fn authenticate(&self, headers: &HeaderMap) -> bool;
}

/// One configured token, accepted as `SSWS <token>` (an API token) or `Bearer <token>` (an
/// OAuth 2.0 access token). Scheme names are case-insensitive, as in HTTP.
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
    fn authenticate(&self, headers: &HeaderMap) -> bool {
        let mut values = headers.get_all(AUTHORIZATION).iter();
        let (Some(value), None) = (values.next(), values.next()) else {
            return false; // absent, or sent twice
        };
        let Ok(value) = value.to_str() else {
            return false;
        };
        let Some((scheme, credentials)) = value.trim().split_once(' ') else {
            return false;
        };
        let scheme_ok =
            scheme.eq_ignore_ascii_case("SSWS") || scheme.eq_ignore_ascii_case("Bearer");
        scheme_ok && constant_time_eq(credentials.trim().as_bytes(), self.token.as_bytes())
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
        StaticToken::new("tok").authenticate(&h)
    }

    #[test]
    fn schemes() {
        assert!(check(Some("SSWS tok")));
        assert!(check(Some("Bearer tok")));
        assert!(check(Some("bearer tok")));
        assert!(!check(Some("DPoP tok")));
        assert!(!check(Some("SSWS tok2")));
        assert!(!check(Some("SSWS")));
        assert!(!check(Some("tok")));
        assert!(!check(None));
    }
}
