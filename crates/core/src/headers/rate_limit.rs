//! Okta's rate-limit headers: `X-Rate-Limit-Limit`, `-Remaining` and `-Reset`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, HeaderName, HeaderValue};

use super::{X_RATE_LIMIT_LIMIT, X_RATE_LIMIT_REMAINING, X_RATE_LIMIT_RESET};

/// The rate-limit state a response reports.
///
/// Okta can send several values of a header (several lines, or a comma-separated list), one per
/// bucket the request counted against — the org-wide limit and the endpoint's, say. When the
/// three headers carry the same number of values, they are read as buckets in that order and
/// the bucket that binds is reported: the one with the fewest requests remaining and, among
/// those, the one that resets last (a request refused by a used-up bucket succeeds only once
/// that bucket resets, whatever the others say). Otherwise each header's smallest value is
/// taken (Okta's SDKs' rule: the earliest reset). Malformed values are ignored.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use http::HeaderMap;
/// use okta_idsrc_core::headers::RateLimit;
///
/// let mut h = HeaderMap::new();
/// h.append("x-rate-limit-reset", "1700000060".parse().unwrap());
/// h.append("x-rate-limit-reset", "1700000030".parse().unwrap());
/// let rl = RateLimit::from_headers(&h);
/// assert_eq!(rl.reset, Some(1_700_000_030));
/// // Okta's rule: reset − Date + 1 s.
/// let date = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// assert_eq!(rl.wait_until_reset(date), Some(Duration::from_secs(31)));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RateLimit {
    /// `X-Rate-Limit-Limit`: requests allowed in the window.
    pub limit: Option<u64>,
    /// `X-Rate-Limit-Remaining`: requests left in the window.
    pub remaining: Option<u64>,
    /// `X-Rate-Limit-Reset`: when the window resets, in UTC epoch seconds.
    pub reset: Option<u64>,
}

impl RateLimit {
    /// Reads the three headers; never fails: absent or malformed values give `None`.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let limits = values(headers, &X_RATE_LIMIT_LIMIT);
        let remaining = values(headers, &X_RATE_LIMIT_REMAINING);
        let resets = values(headers, &X_RATE_LIMIT_RESET);
        let n = remaining.len();
        if n > 1 && resets.len() == n && (limits.is_empty() || limits.len() == n) {
            // One bucket per position: the fewest remaining, then the latest reset.
            if let Some(i) = (0..n).min_by_key(|&i| (remaining[i], std::cmp::Reverse(resets[i]))) {
                return Self {
                    limit: limits.get(i).copied(),
                    remaining: Some(remaining[i]),
                    reset: Some(resets[i]),
                };
            }
        }
        let smallest = |v: &[u64]| v.iter().copied().min();
        Self {
            limit: smallest(&limits),
            remaining: smallest(&remaining),
            reset: smallest(&resets),
        }
    }

    /// Whether this is Okta's *concurrent* limit signal: limit and remaining both `0`.
    pub fn is_concurrent_limit(&self) -> bool {
        self.limit == Some(0) && self.remaining == Some(0)
    }

    /// Whether the window has no request left.
    pub fn is_exhausted(&self) -> bool {
        self.remaining == Some(0)
    }

    /// Whether the response carried none of the headers (or only malformed ones).
    pub fn is_empty(&self) -> bool {
        self.limit.is_none() && self.remaining.is_none() && self.reset.is_none()
    }

    /// When the window resets; `None` when unknown or beyond what `SystemTime` holds.
    pub fn reset_at(&self) -> Option<SystemTime> {
        UNIX_EPOCH.checked_add(Duration::from_secs(self.reset?))
    }

    /// How long to wait before retrying, by Okta's rule: `max(reset − now, 0) + 1 s`, in whole
    /// seconds, with `now` truncated to the second as an HTTP `Date` is.
    ///
    /// `now` is the response's `Date` (see [`date`](super::date)) or the caller's clock. `None`
    /// when the reset is unknown. A reset at or before `now` gives one second.
    pub fn wait_until_reset(&self, now: SystemTime) -> Option<Duration> {
        let reset = self.reset?;
        let now_secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        Some(Duration::from_secs(
            reset.saturating_sub(now_secs).saturating_add(1),
        ))
    }

    /// Writes the three headers into `headers`, replacing any present; a `None` field removes
    /// its header, so that [`from_headers`](Self::from_headers) reads back `self`.
    pub fn write_headers(&self, headers: &mut HeaderMap) {
        for (name, value) in [
            (X_RATE_LIMIT_LIMIT, self.limit),
            (X_RATE_LIMIT_REMAINING, self.remaining),
            (X_RATE_LIMIT_RESET, self.reset),
        ] {
            match value {
                Some(v) => {
                    headers.insert(name, HeaderValue::from(v));
                }
                None => {
                    headers.remove(name);
                }
            }
        }
    }
}

/// The well-formed values of `name`, in order, across its lines and comma-separated items.
fn values(headers: &HeaderMap, name: &HeaderName) -> Vec<u64> {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| std::str::from_utf8(v.as_bytes()).ok())
        .flat_map(|s| s.split(','))
        .filter_map(|item| {
            let item = item.trim();
            // `u64::from_str` accepts a leading `+`; a header value has no business with one.
            if item.is_empty() || !item.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            item.parse::<u64>().ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(lines: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in lines {
            h.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        h
    }

    #[test]
    fn paired_buckets_report_the_one_that_binds() {
        // Org-wide (resets first, requests left) and the endpoint's (used up, resets later):
        // the endpoint's reset is the one a retry must wait for.
        let h = headers(&[
            ("x-rate-limit-limit", "1200"),
            ("x-rate-limit-remaining", "1100"),
            ("x-rate-limit-reset", "1700000010"),
            ("x-rate-limit-limit", "15"),
            ("x-rate-limit-remaining", "0"),
            ("x-rate-limit-reset", "1700000050"),
        ]);
        let rl = RateLimit::from_headers(&h);
        assert_eq!(
            rl,
            RateLimit {
                limit: Some(15),
                remaining: Some(0),
                reset: Some(1_700_000_050)
            }
        );
        // In the other order, and as comma-separated lists, the same.
        let h = headers(&[
            ("x-rate-limit-limit", "15, 1200"),
            ("x-rate-limit-remaining", "0, 1100"),
            ("x-rate-limit-reset", "1700000050, 1700000010"),
        ]);
        assert_eq!(RateLimit::from_headers(&h).reset, Some(1_700_000_050));
        // Both used up: the later reset.
        let h = headers(&[
            ("x-rate-limit-remaining", "0, 0"),
            ("x-rate-limit-reset", "1700000010, 1700000050"),
        ]);
        let rl = RateLimit::from_headers(&h);
        assert_eq!((rl.limit, rl.reset), (None, Some(1_700_000_050)));
        // Neither used up: the one with fewer left.
        let h = headers(&[
            ("x-rate-limit-limit", "100, 600"),
            ("x-rate-limit-remaining", "40, 3"),
            ("x-rate-limit-reset", "1700000010, 1700000050"),
        ]);
        let rl = RateLimit::from_headers(&h);
        assert_eq!((rl.limit, rl.remaining), (Some(600), Some(3)));
    }

    #[test]
    fn unpaired_values_give_each_headers_smallest() {
        // Only the reset repeated (as Okta has sent it): the earliest.
        let h = headers(&[
            ("x-rate-limit-limit", "100"),
            ("x-rate-limit-remaining", "0"),
            ("x-rate-limit-reset", "1700000050"),
            ("x-rate-limit-reset", "1700000010"),
        ]);
        let rl = RateLimit::from_headers(&h);
        assert_eq!((rl.remaining, rl.reset), (Some(0), Some(1_700_000_010)));
    }
}
