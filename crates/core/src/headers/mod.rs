//! The HTTP headers the Identity Sources API sends and reads (`docs/okta-behavior.md#wire-conventions`): pagination
//! `Link`s, rate limits, the request id, `Date` and `Retry-After`.
//!
//! Everything here is a pure function of a [`HeaderMap`]; time comes in as an argument.
//!
//! ```
//! use http::HeaderMap;
//! use okta_idsrc_core::headers::{self, RateLimit};
//!
//! let mut h = HeaderMap::new();
//! h.insert("link", r#"<https://x.okta.com/api/v1/x?after=abc&limit=2>; rel="next""#.parse().unwrap());
//! h.insert("x-rate-limit-remaining", "0".parse().unwrap());
//! h.insert("x-okta-request-id", "aBcD".parse().unwrap());
//!
//! assert_eq!(
//!     headers::next_link(&h).unwrap().as_deref(),
//!     Some("https://x.okta.com/api/v1/x?after=abc&limit=2")
//! );
//! assert!(RateLimit::from_headers(&h).is_exhausted());
//! assert_eq!(headers::request_id(&h), Some("aBcD"));
//! ```

use std::time::{Duration, SystemTime};

use http::{HeaderMap, HeaderName};

mod link;
mod rate_limit;

pub use link::{Link, LinkParseError, format_links, next_link, parse_link, parse_link_headers};
pub use rate_limit::RateLimit;

/// `X-Rate-Limit-Limit`: requests allowed in the current window.
pub const X_RATE_LIMIT_LIMIT: HeaderName = HeaderName::from_static("x-rate-limit-limit");
/// `X-Rate-Limit-Remaining`: requests left in the current window.
pub const X_RATE_LIMIT_REMAINING: HeaderName = HeaderName::from_static("x-rate-limit-remaining");
/// `X-Rate-Limit-Reset`: when the window resets, in UTC epoch seconds.
pub const X_RATE_LIMIT_RESET: HeaderName = HeaderName::from_static("x-rate-limit-reset");
/// `X-Okta-Request-Id`: Okta's id of the request, on every response.
pub const X_OKTA_REQUEST_ID: HeaderName = HeaderName::from_static("x-okta-request-id");
/// `X-Okta-Retry-For`: on a retry, the request id of the failed attempt.
pub const X_OKTA_RETRY_FOR: HeaderName = HeaderName::from_static("x-okta-retry-for");
/// `X-Okta-Retry-Count`: on a retry, the number of the attempt (1 for the first retry).
pub const X_OKTA_RETRY_COUNT: HeaderName = HeaderName::from_static("x-okta-retry-count");
/// `DPoP`: the DPoP proof JWT sent beside `Authorization: DPoP …`.
pub const DPOP: HeaderName = HeaderName::from_static("dpop");
/// `DPoP-Nonce`: the nonce the authorization server asks the next DPoP proof to carry.
pub const DPOP_NONCE: HeaderName = HeaderName::from_static("dpop-nonce");

/// The `X-Okta-Request-Id` of a response, if present, non-empty and visible ASCII.
pub fn request_id(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(X_OKTA_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// The `Date` of a response (an HTTP-date, second precision); `None` when absent or malformed.
pub fn date(headers: &HeaderMap) -> Option<SystemTime> {
    let value = headers.get(http::header::DATE)?.to_str().ok()?;
    httpdate::parse_http_date(value.trim()).ok()
}

/// The delay a `Retry-After` header asks for, relative to `now`.
///
/// Accepts both forms of RFC 9110: delta-seconds (`120`) and an HTTP-date; a date in the past
/// gives [`Duration::ZERO`]. `None` when the header is absent or malformed (a negative number,
/// a fraction, garbage).
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers
        .get(http::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return value.parse::<u64>().ok().map(Duration::from_secs);
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_names_are_lowercase_constants() {
        for name in [
            X_RATE_LIMIT_LIMIT,
            X_RATE_LIMIT_REMAINING,
            X_RATE_LIMIT_RESET,
            X_OKTA_REQUEST_ID,
            X_OKTA_RETRY_FOR,
            X_OKTA_RETRY_COUNT,
            DPOP,
            DPOP_NONCE,
        ] {
            assert_eq!(name.as_str(), name.as_str().to_ascii_lowercase());
        }
    }

    #[test]
    fn empty_request_id_is_none() {
        let mut h = HeaderMap::new();
        h.insert(X_OKTA_REQUEST_ID, "".parse().unwrap());
        assert_eq!(request_id(&h), None);
    }
}
