//! The pure half of retrying: which outcomes are retried ([`classify`], over core's one
//! classifier) and how long to wait before the next attempt ([`rate_limit_wait`],
//! [`backoff`]). No IO, no sleeping.

use std::error::Error as StdError;
use std::time::{Duration, SystemTime};

use http::HeaderMap;
use okta_idsrc_core::headers::{self, RateLimit};
use okta_idsrc_core::retry::{classify_status, classify_transport};
use okta_idsrc_core::transport::BoxError;
use okta_idsrc_core::{OperationInfo, TransportError, TransportErrorKind};

use super::{RetryConfig, RetryDecision};
use crate::clock::Random;
use crate::macros::names;

/// No wait is ever shorter than this: a retry never spins.
pub const MIN_WAIT: Duration = Duration::from_millis(50);

/// Why a wait is as long as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WaitReason {
    /// Okta's rule: `min(X-Rate-Limit-Reset) − Date + 1 s`, clamped, plus jitter.
    RateLimitReset,
    /// The response's `Retry-After`, clamped, plus jitter.
    RetryAfter,
    /// Capped exponential backoff with full jitter.
    Backoff,
}

names! {
    /// A short name for logs.
    WaitReason {
        RateLimitReset => "rate-limit-reset",
        RetryAfter => "retry-after",
        Backoff => "backoff",
    }
}

/// Classifies the outcome of one attempt of a request carrying `info` (`None`: treated as
/// non-idempotent) with core's classifier ([`okta_idsrc_core::retry`]): a response by its
/// status, an error by the [`TransportError`] found in its source chain (tower's timeout
/// `Elapsed` counts as [`Timeout`](TransportErrorKind::Timeout)); any other error is
/// [`Final`](RetryDecision::Final).
///
/// ```
/// use bytes::Bytes;
/// use okta_idsrc_core::Operation;
/// use okta_idsrc_core::operations::StartImportFromIdentitySource;
/// use okta_idsrc_ops::retry::{RetryDecision, classify};
///
/// let start_import = StartImportFromIdentitySource::INFO;
/// let r503 = http::Response::builder().status(503).body(Bytes::new()).unwrap();
/// assert_eq!(classify(Some(&start_import), Ok(&r503)), RetryDecision::NotSafe);
/// let r429 = http::Response::builder().status(429).body(Bytes::new()).unwrap();
/// assert_eq!(classify(Some(&start_import), Ok(&r429)), RetryDecision::RateLimited);
/// ```
pub fn classify<B>(
    info: Option<&OperationInfo>,
    outcome: Result<&http::Response<B>, &BoxError>,
) -> RetryDecision {
    match outcome {
        Ok(response) => classify_status(info, response.status()),
        Err(error) => transport_error_kind(error.as_ref())
            .map_or(RetryDecision::Final, |kind| classify_transport(info, kind)),
    }
}

/// The kind of the [`TransportError`] in `error`'s source chain; tower's timeout `Elapsed`
/// reads as [`TransportErrorKind::Timeout`]. `None` when there is neither.
pub fn transport_error_kind(error: &(dyn StdError + 'static)) -> Option<TransportErrorKind> {
    if let Some(t) = TransportError::find_in(error) {
        return Some(t.kind());
    }
    let mut current: Option<&(dyn StdError + 'static)> = Some(error);
    while let Some(e) = current {
        if e.is::<tower::timeout::error::Elapsed>() {
            return Some(TransportErrorKind::Timeout);
        }
        current = e.source();
    }
    None
}

/// How long to wait after a 429 whose headers are `headers`, before attempt `attempt + 1`
/// (`attempt` is the number of the attempt that failed, 1 for the first).
///
/// `now` is the caller's clock; the response's `Date` header wins over it when present and
/// well formed. In order:
/// 1. `X-Rate-Limit-Reset` (the smallest value): `reset − now + 1 s` (1 s when the reset has
///    passed) — [`WaitReason::RateLimitReset`];
/// 2. else `Retry-After` — [`WaitReason::RetryAfter`];
/// 3. else [`backoff`] — [`WaitReason::Backoff`].
///
/// A header-derived wait is clamped to [`max_rate_limit_wait`](RetryConfig::max_rate_limit_wait),
/// then `random.fraction() × rate_limit_jitter` is added. No wait is below [`MIN_WAIT`].
/// Missing or malformed headers are never an error. The jitter comes from the config's
/// [`Random`].
///
/// ```
/// use std::sync::Arc;
/// use std::time::{Duration, UNIX_EPOCH};
/// use http::HeaderMap;
/// use okta_idsrc_ops::clock::FixedRandom;
/// use okta_idsrc_ops::retry::{RetryConfig, WaitReason, rate_limit_wait};
///
/// let config = RetryConfig::default().with_random(Arc::new(FixedRandom(0.5)));
/// let mut h = HeaderMap::new();
/// h.insert("date", "Tue, 14 Nov 2023 22:13:20 GMT".parse().unwrap()); // 1_700_000_000
/// h.insert("x-rate-limit-reset", "1700000030".parse().unwrap());
/// let clock_now = UNIX_EPOCH; // ignored: the Date header wins
/// assert_eq!(
///     rate_limit_wait(&h, clock_now, &config, 1),
///     (Duration::from_millis(31_250), WaitReason::RateLimitReset)
/// );
/// ```
pub fn rate_limit_wait(
    headers: &HeaderMap,
    now: SystemTime,
    config: &RetryConfig,
    attempt: u32,
) -> (Duration, WaitReason) {
    let now = headers::date(headers).unwrap_or(now);
    let (wait, reason) = if let Some(wait) = RateLimit::from_headers(headers).wait_until_reset(now)
    {
        (wait, WaitReason::RateLimitReset)
    } else if let Some(wait) = headers::retry_after(headers, now) {
        (wait, WaitReason::RetryAfter)
    } else {
        return (backoff(config, attempt), WaitReason::Backoff);
    };
    let jitter = config.rate_limit_jitter.mul_f64(fraction(&*config.random));
    (
        (wait.min(config.max_rate_limit_wait) + jitter).max(MIN_WAIT),
        reason,
    )
}

/// Capped exponential backoff with full jitter before attempt `attempt + 1`:
/// `random.fraction() × min(max_backoff, base_backoff × 2^(attempt − 1))`, never below
/// [`MIN_WAIT`].
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use okta_idsrc_ops::clock::FixedRandom;
/// use okta_idsrc_ops::retry::{RetryConfig, backoff};
///
/// let config = RetryConfig::default().with_random(Arc::new(FixedRandom(0.5)));
/// assert_eq!(backoff(&config, 1), Duration::from_millis(100));
/// assert_eq!(backoff(&config, 3), Duration::from_millis(400));
/// assert_eq!(backoff(&config, 30), Duration::from_secs(10));
/// ```
pub fn backoff(config: &RetryConfig, attempt: u32) -> Duration {
    let exponent = attempt.saturating_sub(1).min(31);
    let cap = config
        .base_backoff
        .checked_mul(1u32 << exponent)
        .map_or(config.max_backoff, |d| d.min(config.max_backoff));
    cap.mul_f64(fraction(&*config.random)).max(MIN_WAIT)
}

/// A fraction from `random`, forced into `[0, 1]` whatever the implementation returns.
pub(crate) fn fraction(random: &dyn Random) -> f64 {
    let f = random.fraction();
    if f.is_finite() {
        f.clamp(0.0, 1.0)
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FixedRandom;
    use std::sync::Arc;
    use std::time::UNIX_EPOCH;

    #[test]
    fn responses_and_errors_reach_cores_classifier() {
        use okta_idsrc_core::Operation;
        use okta_idsrc_core::operations::{
            GetIdentitySourceSession, StartImportFromIdentitySource,
        };
        let (get, start) = (
            GetIdentitySourceSession::INFO,
            StartImportFromIdentitySource::INFO,
        );
        let r503 = http::Response::builder().status(503).body(()).unwrap();
        assert_eq!(classify(Some(&get), Ok(&r503)), RetryDecision::ServerError);
        assert_eq!(classify(Some(&start), Ok(&r503)), RetryDecision::NotSafe);
        let refused: BoxError = Box::new(TransportError::new(TransportErrorKind::Refused, "x"));
        assert_eq!(
            classify::<()>(Some(&get), Err(&refused)),
            RetryDecision::Final
        );
        let other: BoxError = "not a transport error".into();
        assert_eq!(
            classify::<()>(Some(&get), Err(&other)),
            RetryDecision::Final
        );
        let elapsed: BoxError = Box::new(tower::timeout::error::Elapsed::new());
        assert_eq!(
            classify::<()>(Some(&get), Err(&elapsed)),
            RetryDecision::TransportError(TransportErrorKind::Timeout)
        );
        assert_eq!(
            classify::<()>(Some(&start), Err(&elapsed)),
            RetryDecision::NotSafe
        );
    }

    fn config(f: f64) -> RetryConfig {
        RetryConfig::default().with_random(Arc::new(FixedRandom(f)))
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

    const T: u64 = 1_700_000_000;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn reset_uses_date_then_clock() {
        let date = httpdate::fmt_http_date(at(T));
        let h = headers(&[
            ("date", &date),
            ("x-rate-limit-reset", &(T + 30).to_string()),
        ]);
        assert_eq!(
            rate_limit_wait(&h, at(0), &config(0.0), 1),
            (Duration::from_secs(31), WaitReason::RateLimitReset)
        );
        let h = headers(&[("x-rate-limit-reset", &(T + 30).to_string())]);
        assert_eq!(
            rate_limit_wait(&h, at(T + 10), &config(0.0), 1),
            (Duration::from_secs(21), WaitReason::RateLimitReset)
        );
        // Malformed Date: the clock.
        let h = headers(&[
            ("date", "yesterday"),
            ("x-rate-limit-reset", &(T + 30).to_string()),
        ]);
        assert_eq!(
            rate_limit_wait(&h, at(T + 10), &config(0.0), 1).0,
            Duration::from_secs(21)
        );
    }

    #[test]
    fn reset_in_the_past_waits_one_second_and_clamps() {
        let h = headers(&[("x-rate-limit-reset", &(T - 100).to_string())]);
        assert_eq!(
            rate_limit_wait(&h, at(T), &config(0.0), 1).0,
            Duration::from_secs(1)
        );
        let h = headers(&[("x-rate-limit-reset", &(T + 3600).to_string())]);
        assert_eq!(
            rate_limit_wait(&h, at(T), &config(0.5), 1).0,
            Duration::from_secs(75) + Duration::from_millis(250)
        );
    }

    #[test]
    fn retry_after_then_backoff() {
        let h = headers(&[("retry-after", "7"), ("x-rate-limit-reset", "garbage")]);
        assert_eq!(
            rate_limit_wait(&h, at(T), &config(0.0), 1),
            (Duration::from_secs(7), WaitReason::RetryAfter)
        );
        let h = headers(&[("retry-after", "0")]);
        assert_eq!(rate_limit_wait(&h, at(T), &config(0.0), 1).0, MIN_WAIT);
        let h = headers(&[("retry-after", "-3")]);
        assert_eq!(
            rate_limit_wait(&h, at(T), &config(0.5), 2),
            (Duration::from_millis(200), WaitReason::Backoff)
        );
    }

    #[test]
    fn backoff_is_capped_and_floored() {
        assert_eq!(backoff(&config(0.0), 1), MIN_WAIT);
        assert_eq!(backoff(&config(0.5), 1), Duration::from_millis(100));
        assert_eq!(backoff(&config(0.5), 2), Duration::from_millis(200));
        assert_eq!(backoff(&config(0.5), 7), Duration::from_millis(6_400));
        assert_eq!(backoff(&config(0.5), 8), Duration::from_secs(10));
        assert_eq!(backoff(&config(0.5), u32::MAX), Duration::from_secs(10));
        assert_eq!(backoff(&config(0.5), 0), Duration::from_millis(100));
    }
}
