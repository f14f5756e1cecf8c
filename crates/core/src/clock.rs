//! The one wall clock of the workspace: [`Clock`], read through an `Arc<dyn Clock>` that is
//! injected wherever time matters (the client's rate-limit resets and OAuth assertions, the
//! emulator's `Date` headers, timestamps, rate windows and token expiry), so that every
//! time-based decision can be tested exactly (design lesson 9, `docs/design.md#lessons`).
//!
//! [`SystemClock`] is the operating system's clock and the default everywhere; with the
//! `test-util` feature, `ManualClock` moves only when told to.
//!
//! ```
//! use std::sync::Arc;
//! use std::time::{Duration, UNIX_EPOCH};
//! use okta_idsrc_core::clock::{Clock, ManualClock, SystemClock};
//!
//! let manual = ManualClock::new(UNIX_EPOCH + Duration::from_secs(1_800_000_000));
//! let shared: Arc<dyn Clock> = manual.shared();
//! manual.advance(Duration::from_secs(3600));
//! assert_eq!(shared.now(), UNIX_EPOCH + Duration::from_secs(1_800_003_600));
//! assert!(SystemClock.now() > UNIX_EPOCH);
//! ```

use std::fmt;
#[cfg(feature = "test-util")]
use std::sync::{Arc, Mutex, PoisonError};
#[cfg(feature = "test-util")]
use std::time::Duration;
use std::time::{SystemTime, UNIX_EPOCH};

/// A wall clock.
pub trait Clock: Send + Sync + fmt::Debug + 'static {
    /// The current wall-clock time.
    fn now(&self) -> SystemTime;
}

/// The operating system's wall clock ([`SystemTime::now`]); the default.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    // The workspace's one read of the wall clock (`clippy.toml` forbids it elsewhere).
    #[allow(clippy::disallowed_methods)]
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock that moves only when told to. Clones share the time.
#[cfg(feature = "test-util")]
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<Mutex<SystemTime>>);

#[cfg(feature = "test-util")]
impl ManualClock {
    /// A clock standing at `start`.
    pub fn new(start: SystemTime) -> Self {
        Self(Arc::new(Mutex::new(start)))
    }

    /// A clock standing at the system time, truncated to whole seconds (JWT times are whole
    /// seconds, so a time read from this clock is never "in the future" of one signed with
    /// it).
    pub fn starting_now() -> Self {
        let secs = SystemClock
            .now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        Self::new(UNIX_EPOCH + Duration::from_secs(secs))
    }

    fn time(&self) -> std::sync::MutexGuard<'_, SystemTime> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The time it stands at.
    pub fn now(&self) -> SystemTime {
        *self.time()
    }

    /// Moves it forward by `by`.
    pub fn advance(&self, by: Duration) {
        *self.time() += by;
    }

    /// Sets it to `to` (backwards too).
    pub fn set(&self, to: SystemTime) {
        *self.time() = to;
    }

    /// This clock as the `Arc<dyn Clock>` the rest of the workspace takes.
    pub fn shared(&self) -> Arc<dyn Clock> {
        Arc::new(self.clone())
    }
}

#[cfg(feature = "test-util")]
impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        ManualClock::now(self)
    }
}

/// Whole seconds since the Unix epoch (0 before it).
pub fn epoch_seconds(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// `t` as Okta writes timestamps: `2026-05-13T05:52:24.000Z` (UTC, milliseconds always 0;
/// times before 1970 read as the epoch).
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use okta_idsrc_core::clock::timestamp;
///
/// assert_eq!(timestamp(UNIX_EPOCH + Duration::from_secs(1_778_651_544)), "2026-05-13T05:52:24.000Z");
/// ```
pub fn timestamp(t: SystemTime) -> String {
    let secs = epoch_seconds(t);
    let (y, m, d) = civil_from_days(i64::try_from(secs / 86_400).unwrap_or(i64::MAX));
    let rem = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.000Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Reads a timestamp as Okta writes them (`2026-05-13T05:52:24.000Z`: UTC, with or without
/// fractional seconds, `Z` or `+00:00`); the inverse of [`timestamp`]. `None` for anything
/// else, or a time before the epoch.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use okta_idsrc_core::clock::parse_timestamp;
///
/// let t = UNIX_EPOCH + Duration::from_secs(1_778_651_544);
/// assert_eq!(parse_timestamp("2026-05-13T05:52:24.000Z"), Some(t));
/// assert_eq!(parse_timestamp("2026-05-13T05:52:24Z"), Some(t));
/// assert_eq!(parse_timestamp("2026-05-13T05:52:24.250+00:00"), Some(t + Duration::from_millis(250)));
/// assert_eq!(parse_timestamp("13 May 2026"), None);
/// ```
pub fn parse_timestamp(s: &str) -> Option<SystemTime> {
    let s = s.trim();
    let rest = s.strip_suffix('Z').or_else(|| s.strip_suffix("+00:00"))?;
    let (date, time) = rest.split_once('T')?;
    let number = |t: &str, len: usize| -> Option<u32> {
        (t.len() == len && t.bytes().all(|b| b.is_ascii_digit()))
            .then(|| t.parse().ok())
            .flatten()
    };
    let mut d = date.split('-');
    let (y, m, day) = (
        number(d.next()?, 4)?,
        number(d.next()?, 2)?,
        number(d.next()?, 2)?,
    );
    let (hms, fraction) = time.split_once('.').unwrap_or((time, ""));
    let mut t = hms.split(':');
    let (h, min, sec) = (
        number(t.next()?, 2)?,
        number(t.next()?, 2)?,
        number(t.next()?, 2)?,
    );
    if d.next().is_some()
        || t.next().is_some()
        || !(1..=12).contains(&m)
        || day == 0
        || day > 31
        || h > 23
        || min > 59
        || sec > 60
    {
        return None;
    }
    if !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let nanos: u32 = format!("{:0<9}", &fraction[..fraction.len().min(9)])
        .parse()
        .ok()?;
    let days = days_from_civil(i64::from(y), m, day);
    let secs = days * 86_400 + i64::from(h * 3600 + min * 60 + sec);
    let secs = u64::try_from(secs).ok()?;
    Some(UNIX_EPOCH + std::time::Duration::new(secs, nanos))
}

/// Days from 1970-01-01 to a civil date (Howard Hinnant's algorithm; the inverse of
/// [`civil_from_days`]).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Year, month and day of the `days`th day after 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let m = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn parse_timestamp_is_the_inverse_of_timestamp() {
        for secs in [0, 59, 86_399, 951_782_400, 1_778_651_544, 4_102_444_800] {
            let t = UNIX_EPOCH + Duration::from_secs(secs);
            assert_eq!(parse_timestamp(&timestamp(t)), Some(t), "{secs}");
        }
        for bad in [
            "",
            "2026-05-13T05:52:24",
            "2026-13-13T05:52:24Z",
            "2026-05-13 05:52:24Z",
            "2026-05-13T25:52:24Z",
            "2026-05-13T05:52:24.x1Z",
            "1969-12-31T23:59:59Z",
        ] {
            assert_eq!(parse_timestamp(bad), None, "{bad}");
        }
    }
}
