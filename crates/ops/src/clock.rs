//! Injected time and randomness (`docs/design.md#lessons`, lesson 9), so that retry and
//! pacing decisions can be tested exactly on paused tokio time.
//!
//! A [`Clock`] (core's, re-exported) answers "what time is it on the wall?" (rate-limit resets
//! are wall-clock epoch seconds); with the `test-util` feature, `TokioClock` is one that follows
//! tokio's (possibly paused) time. A [`Random`] answers "how much jitter?" (`FixedRandom`, with
//! `test-util`: always the same). Sleeping always goes through
//! `tokio::time::sleep`, so paused time drives every wait.
//!
//! ```
//! use std::time::{Duration, UNIX_EPOCH};
//! use okta_idsrc_ops::clock::{Clock, FixedRandom, Random, TokioClock};
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! let start = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
//! let clock = TokioClock::starting_at(start);
//! tokio::time::sleep(Duration::from_secs(5)).await;
//! assert_eq!(clock.now(), start + Duration::from_secs(5));
//! assert_eq!(FixedRandom(0.25).fraction(), 0.25);
//! # }
//! ```

use std::fmt;
use std::sync::Mutex;
#[cfg(feature = "test-util")]
use std::time::SystemTime;

#[cfg(feature = "test-util")]
pub use okta_idsrc_core::clock::ManualClock;
pub use okta_idsrc_core::clock::{Clock, SystemClock};

#[cfg(feature = "test-util")]
/// A wall clock that advances with tokio's clock: a base [`SystemTime`] plus the
/// [`tokio::time::Instant`] time elapsed since the clock was made.
///
/// On paused tokio time (`#[tokio::test(start_paused = true)]`) the wall clock advances
/// exactly as far as `tokio::time::sleep` and `advance` move it, which makes waits computed
/// from rate-limit headers exact in tests.
#[derive(Debug, Clone, Copy)]
pub struct TokioClock {
    base: SystemTime,
    start: tokio::time::Instant,
}

#[cfg(feature = "test-util")]
impl TokioClock {
    /// A clock reading the system time now and advancing with tokio time from here.
    ///
    /// Make it inside the runtime whose (possibly paused) time it should follow.
    pub fn new() -> Self {
        Self::starting_at(SystemClock.now())
    }

    /// A clock reading `base` now and advancing with tokio time from here.
    pub fn starting_at(base: SystemTime) -> Self {
        Self {
            base,
            start: tokio::time::Instant::now(),
        }
    }
}

#[cfg(feature = "test-util")]
impl Default for TokioClock {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(feature = "test-util")]
impl Clock for TokioClock {
    fn now(&self) -> SystemTime {
        self.base + self.start.elapsed()
    }
}

/// The source of jitter.
pub trait Random: Send + Sync + fmt::Debug + 'static {
    /// A number in `[0, 1)`.
    fn fraction(&self) -> f64;
}

/// Uniform randomness from [`fastrand`]; the default.
#[derive(Debug)]
pub struct FastRandom {
    rng: Mutex<fastrand::Rng>,
}

impl FastRandom {
    /// A generator seeded from the operating system.
    pub fn new() -> Self {
        Self {
            rng: Mutex::new(fastrand::Rng::new()),
        }
    }

    /// A deterministic generator: the same seed gives the same sequence.
    pub fn seeded(seed: u64) -> Self {
        Self {
            rng: Mutex::new(fastrand::Rng::with_seed(seed)),
        }
    }
}

impl Default for FastRandom {
    fn default() -> Self {
        Self::new()
    }
}

impl Random for FastRandom {
    fn fraction(&self) -> f64 {
        // A poisoned lock still holds a usable generator.
        let mut rng = self
            .rng
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        rng.f64()
    }
}

#[cfg(feature = "test-util")]
/// Always the same fraction, for exact tests. Values outside `[0, 1)` are clamped into it
/// (`NaN` reads as `0`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FixedRandom(pub f64);

#[cfg(feature = "test-util")]
impl Random for FixedRandom {
    fn fraction(&self) -> f64 {
        if self.0.is_nan() || self.0 < 0.0 {
            0.0
        } else if self.0 >= 1.0 {
            // The largest f64 below 1.
            1.0 - f64::EPSILON / 2.0
        } else {
            self.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn fixed_random_stays_in_range() {
        assert_eq!(FixedRandom(0.5).fraction(), 0.5);
        assert_eq!(FixedRandom(-1.0).fraction(), 0.0);
        assert_eq!(FixedRandom(f64::NAN).fraction(), 0.0);
        assert!(FixedRandom(1.0).fraction() < 1.0);
        assert!(FixedRandom(7.0).fraction() > 0.99);
    }

    #[test]
    fn seeded_random_repeats() {
        let a = FastRandom::seeded(7);
        let b = FastRandom::seeded(7);
        for _ in 0..10 {
            let x = a.fraction();
            assert!((0.0..1.0).contains(&x));
            assert_eq!(x, b.fraction());
        }
    }

    #[tokio::test(start_paused = true)]
    async fn tokio_clock_follows_paused_time() {
        let base = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let clock = TokioClock::starting_at(base);
        assert_eq!(clock.now(), base);
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        assert_eq!(clock.now(), base + Duration::from_millis(1_500));
    }
}
