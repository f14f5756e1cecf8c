//! The clock behind everything time-based on the OAuth side: assertion and proof times, token
//! expiry, nonce rotation.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use crate::sync::lock;

/// Where the OAuth side of the emulator reads the time. Clones share one source.
///
/// The default is the system clock. A test that needs tokens to expire or nonces to rotate
/// without waiting hands the emulator a [`ManualClock`] and signs its assertions and proofs
/// with the same clock's time (the emulator allows no clock skew, as Okta).
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use okta_idsrc_emulator::{Clock, ManualClock};
///
/// let manual = ManualClock::new(UNIX_EPOCH + Duration::from_secs(1_800_000_000));
/// let clock = manual.clock();
/// manual.advance(Duration::from_secs(3600));
/// assert_eq!(clock.now(), UNIX_EPOCH + Duration::from_secs(1_800_003_600));
/// assert!(Clock::system().now() > UNIX_EPOCH);
/// ```
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> SystemTime + Send + Sync>);

/// The operating system's wall clock: the emulator's one read of [`SystemTime::now`]
/// (`clippy.toml` forbids it elsewhere).
#[allow(clippy::disallowed_methods)]
pub(crate) fn wall_clock() -> SystemTime {
    SystemTime::now()
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self(Arc::new(wall_clock))
    }

    /// A clock that calls `now` each time it is read.
    pub fn from_fn(now: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        Self(Arc::new(now))
    }

    /// The current time.
    pub fn now(&self) -> SystemTime {
        (self.0)()
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Clock").field(&self.now()).finish()
    }
}

impl From<ManualClock> for Clock {
    fn from(manual: ManualClock) -> Self {
        manual.clock()
    }
}

/// A clock that moves only when told to. Clones share the time.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<Mutex<SystemTime>>);

impl ManualClock {
    /// A clock standing at `start`.
    pub fn new(start: SystemTime) -> Self {
        Self(Arc::new(Mutex::new(start)))
    }

    /// A clock standing at the current system time, truncated to whole seconds (JWT times are
    /// whole seconds, so assertions signed with this clock's time are never "in the future").
    pub fn starting_now() -> Self {
        let now = wall_clock();
        let secs = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        Self::new(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
    }

    /// The time it stands at.
    pub fn now(&self) -> SystemTime {
        *lock(&self.0)
    }

    /// Moves it forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut t = lock(&self.0);
        *t += by;
    }

    /// Sets it to `to` (backwards too).
    pub fn set(&self, to: SystemTime) {
        *lock(&self.0) = to;
    }

    /// A [`Clock`] reading this one, for [`OAuthSettings::clock`](crate::OAuthSettings::clock).
    pub fn clock(&self) -> Clock {
        let inner = self.0.clone();
        Clock::from_fn(move || *lock(&inner))
    }
}

/// Whole seconds since the Unix epoch (0 before it).
pub(crate) fn epoch_secs(t: SystemTime) -> i64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
