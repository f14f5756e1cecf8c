//! The wall clock of the paused-time tests (retry, rate limit): it starts at `T`, in epoch
//! seconds, and follows tokio time.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub(crate) const T: u64 = 1_700_000_000;

pub(crate) fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

/// `at(secs)` as an HTTP `Date`.
pub(crate) fn date(secs: u64) -> String {
    httpdate::fmt_http_date(at(secs))
}

pub(crate) fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

pub(crate) fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}
