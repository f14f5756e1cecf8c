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
