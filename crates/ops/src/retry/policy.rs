//! The pure half of retrying: which outcomes are retried ([`classify`]) and how long to wait
//! before the next attempt ([`rate_limit_wait`], [`backoff`]). No IO, no sleeping.

use std::error::Error as StdError;
use std::fmt;
use std::time::{Duration, SystemTime};

use http::{HeaderMap, StatusCode};
use okta_idsrc_core::headers::{self, RateLimit};
use okta_idsrc_core::transport::BoxError;
use okta_idsrc_core::{Idempotency, OperationInfo, TransportError, TransportErrorKind};

use super::RetryConfig;
use crate::clock::Random;

/// No wait is ever shorter than this: a retry never spins.
pub const MIN_WAIT: Duration = Duration::from_millis(50);

/// What to do with the outcome of one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RetryDecision {
    /// Return it: a success, or an answer a retry cannot change (a 4xx other than 429, a
    /// 5xx other than 500/502/503/504, a refused request, a body too large, an error that is
    /// not a transport error).
    Final,
    /// A retry could succeed, but the operation is not idempotent and the server may have
    /// acted on the request (a 5xx, a timeout, a broken connection): return it and let the
    /// caller read the state back (DESIGN.md lesson 4).
    NotSafe,
    /// 429: retry after the wait the rate-limit headers ask for, whatever the operation.
    RateLimited,
    /// 500, 502, 503 or 504 on an idempotent operation: retry after a backoff.
    ServerError,
    /// A transport error after which a retry is safe: one that sent nothing (connect), or a
    /// timeout or broken connection on an idempotent operation. Retry after a backoff.
    TransportError(TransportErrorKind),
}

impl RetryDecision {
    /// Whether the outcome is worth another attempt.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            Self::RateLimited | Self::ServerError | Self::TransportError(_)
        )
    }

    /// What a retry after this outcome costs in `budget` tokens.
    pub fn cost(self, budget: &super::RetryBudget) -> u32 {
        match self {
            Self::TransportError(_) => budget.transport_error_cost(),
            _ => budget.retry_cost(),
        }
    }
}

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

impl WaitReason {
    /// A short name for logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RateLimitReset => "rate-limit-reset",
            Self::RetryAfter => "retry-after",
            Self::Backoff => "backoff",
        }
    }
}

impl fmt::Display for WaitReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Classifies the outcome of one attempt of a request carrying `info` (`None`: treated as
/// non-idempotent).
///
/// - 429 → [`RateLimited`](RetryDecision::RateLimited), for every operation;
/// - 500, 502, 503, 504 → [`ServerError`](RetryDecision::ServerError) when idempotent,
///   else [`NotSafe`](RetryDecision::NotSafe);
/// - a [`TransportError`] (found anywhere in the error's source chain; tower's timeout
///   `Elapsed` counts as [`Timeout`](TransportErrorKind::Timeout)): `Connect` is retried for
///   every operation; `Timeout`, `Io` and `Other` only when idempotent (else `NotSafe`);
///   `Refused` and `BodyTooLarge` are final;
/// - anything else (other statuses, other errors) is [`Final`](RetryDecision::Final).
///
/// ```
/// use bytes::Bytes;
/// use okta_idsrc_core::{Idempotency, OperationInfo, RateLimitBucket};
/// use okta_idsrc_ops::retry::{RetryDecision, classify};
///
/// let start_import = OperationInfo::new(
///     "startImportFromIdentitySource",
///     Idempotency::NonIdempotent,
///     RateLimitBucket::General,
/// );
/// let r503 = http::Response::builder().status(503).body(Bytes::new()).unwrap();
/// assert_eq!(classify(Some(&start_import), Ok(&r503)), RetryDecision::NotSafe);
/// let r429 = http::Response::builder().status(429).body(Bytes::new()).unwrap();
/// assert_eq!(classify(Some(&start_import), Ok(&r429)), RetryDecision::RateLimited);
/// ```
pub fn classify<B>(
    info: Option<&OperationInfo>,
    outcome: Result<&http::Response<B>, &BoxError>,
) -> RetryDecision {
    let idempotent = info.is_some_and(|i| i.idempotency == Idempotency::Idempotent);
    match outcome {
        Ok(response) => match response.status() {
            StatusCode::TOO_MANY_REQUESTS => RetryDecision::RateLimited,
            StatusCode::INTERNAL_SERVER_ERROR
            | StatusCode::BAD_GATEWAY
            | StatusCode::SERVICE_UNAVAILABLE
            | StatusCode::GATEWAY_TIMEOUT => {
                if idempotent {
                    RetryDecision::ServerError
                } else {
                    RetryDecision::NotSafe
                }
            }
            _ => RetryDecision::Final,
        },
        Err(error) => match transport_error_kind(error.as_ref()) {
            None | Some(TransportErrorKind::Refused | TransportErrorKind::BodyTooLarge) => {
                RetryDecision::Final
            }
            Some(kind) if kind.nothing_sent() || idempotent => RetryDecision::TransportError(kind),
            Some(_) => RetryDecision::NotSafe,
        },
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
    use okta_idsrc_core::RateLimitBucket;
    use std::sync::Arc;
    use std::time::UNIX_EPOCH;

    const IDEMPOTENT: OperationInfo = OperationInfo::new(
        "getIdentitySourceSession",
        Idempotency::Idempotent,
        RateLimitBucket::General,
    );
    const NOT_IDEMPOTENT: OperationInfo = OperationInfo::new(
        "startImportFromIdentitySource",
        Idempotency::NonIdempotent,
        RateLimitBucket::General,
    );

    fn status(code: u16) -> http::Response<()> {
        http::Response::builder().status(code).body(()).unwrap()
    }

    fn error(kind: TransportErrorKind) -> BoxError {
        Box::new(TransportError::new(kind, "failed"))
    }

    #[test]
    fn statuses() {
        for (code, idem, not) in [
            (200, RetryDecision::Final, RetryDecision::Final),
            (201, RetryDecision::Final, RetryDecision::Final),
            (400, RetryDecision::Final, RetryDecision::Final),
            (404, RetryDecision::Final, RetryDecision::Final),
            (429, RetryDecision::RateLimited, RetryDecision::RateLimited),
            (500, RetryDecision::ServerError, RetryDecision::NotSafe),
            (501, RetryDecision::Final, RetryDecision::Final),
            (502, RetryDecision::ServerError, RetryDecision::NotSafe),
            (503, RetryDecision::ServerError, RetryDecision::NotSafe),
            (504, RetryDecision::ServerError, RetryDecision::NotSafe),
        ] {
            let r = status(code);
            assert_eq!(classify(Some(&IDEMPOTENT), Ok(&r)), idem, "{code}");
            assert_eq!(classify(Some(&NOT_IDEMPOTENT), Ok(&r)), not, "{code}");
            assert_eq!(classify(None, Ok(&r)), not, "{code} without info");
        }
    }

    #[test]
    fn transport_errors() {
        use TransportErrorKind::*;
        for (kind, idem, not) in [
            (
                Connect,
                RetryDecision::TransportError(Connect),
                RetryDecision::TransportError(Connect),
            ),
            (
                Timeout,
                RetryDecision::TransportError(Timeout),
                RetryDecision::NotSafe,
            ),
            (
                Io,
                RetryDecision::TransportError(Io),
                RetryDecision::NotSafe,
            ),
            (
                Other,
                RetryDecision::TransportError(Other),
                RetryDecision::NotSafe,
            ),
            (Refused, RetryDecision::Final, RetryDecision::Final),
            (BodyTooLarge, RetryDecision::Final, RetryDecision::Final),
        ] {
            let e = error(kind);
            assert_eq!(classify::<()>(Some(&IDEMPOTENT), Err(&e)), idem, "{kind:?}");
            assert_eq!(
                classify::<()>(Some(&NOT_IDEMPOTENT), Err(&e)),
                not,
                "{kind:?}"
            );
        }
        let other: BoxError = "not a transport error".into();
        assert_eq!(
            classify::<()>(Some(&IDEMPOTENT), Err(&other)),
            RetryDecision::Final
        );
        let elapsed: BoxError = Box::new(tower::timeout::error::Elapsed::new());
        assert_eq!(
            classify::<()>(Some(&IDEMPOTENT), Err(&elapsed)),
            RetryDecision::TransportError(Timeout)
        );
        assert_eq!(
            classify::<()>(Some(&NOT_IDEMPOTENT), Err(&elapsed)),
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
