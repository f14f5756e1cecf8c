//! Okta's rate limits: 60-second windows per bucket, and the concurrent-request limit.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use okta_idsrc_core::Clock;

use crate::sync::lock;

/// The length of a rate-limit window on live Okta (the emulator's default, divided by its time
/// scale).
pub(crate) const WINDOW: Duration = Duration::from_secs(60);

/// The `X-Rate-Limit-Limit` reported by a bucket without a limit: large enough that no client
/// sees it run out (remaining never drops below 1 either).
pub(crate) const UNLIMITED: u64 = 1_000_000;

/// What the three rate-limit headers say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RateState {
    pub limit: u64,
    pub remaining: u64,
    /// Epoch seconds when the window resets.
    pub reset: u64,
}

impl RateState {
    /// The concurrent-limit signal: limit and remaining both 0.
    pub(crate) fn concurrent(reset: u64) -> Self {
        Self {
            limit: 0,
            remaining: 0,
            reset,
        }
    }
}

/// One bucket: a window (60 s unless scaled) that starts with the first request after the
/// previous one ended (windows are not aligned to the minute).
pub(crate) struct Bucket {
    limit: Option<u64>,
    length: Duration,
    window: Mutex<Window>,
    clock: Arc<dyn Clock>,
}

#[derive(Default)]
struct Window {
    start: Option<SystemTime>,
    reset: u64,
    used: u64,
}

impl Bucket {
    /// A bucket of `limit` requests a window of [`WINDOW`] (none: unlimited) on `clock`'s time.
    pub(crate) fn new(limit: Option<u32>, clock: Arc<dyn Clock>) -> Self {
        Self::with_window(limit, clock, WINDOW)
    }

    /// A bucket of `limit` requests a window of `length`.
    pub(crate) fn with_window(limit: Option<u32>, clock: Arc<dyn Clock>, length: Duration) -> Self {
        Self {
            limit: limit.map(u64::from),
            length: length.max(Duration::from_millis(1)),
            window: Mutex::new(Window::default()),
            clock,
        }
    }

    /// Starts a new window when the last one is over (or the clock went back before it).
    fn roll(&self, w: &mut Window) {
        let now = self.clock.now();
        let over = w
            .start
            .is_none_or(|s| now.duration_since(s).map_or(true, |d| d >= self.length));
        if over {
            w.start = Some(now);
            w.reset = reset_after(now, self.length);
            w.used = 0;
        }
    }

    fn state(&self, w: &Window) -> RateState {
        match self.limit {
            Some(limit) => RateState {
                limit,
                remaining: limit.saturating_sub(w.used),
                reset: w.reset,
            },
            None => RateState {
                limit: UNLIMITED,
                remaining: UNLIMITED.saturating_sub(w.used).max(1),
                reset: w.reset,
            },
        }
    }

    /// Counts one request: `Ok` with the headers to send, or `Err` (429) when the window has no
    /// request left.
    pub(crate) fn take(&self) -> Result<RateState, RateState> {
        let mut w = lock(&self.window);
        self.roll(&mut w);
        if self.limit.is_some_and(|limit| w.used >= limit) {
            return Err(self.state(&w));
        }
        w.used += 1;
        Ok(self.state(&w))
    }

    /// Gives back a request [`take`](Self::take) counted (another bucket refused it).
    pub(crate) fn give_back(&self) {
        let mut w = lock(&self.window);
        w.used = w.used.saturating_sub(1);
    }

    /// The length of its windows.
    pub(crate) fn window(&self) -> Duration {
        self.length
    }

    /// The headers to send without counting a request (for a 401).
    pub(crate) fn peek(&self) -> RateState {
        let mut w = lock(&self.window);
        self.roll(&mut w);
        self.state(&w)
    }

    /// Forgets the current window.
    pub(crate) fn clear(&self) {
        *lock(&self.window) = Window::default();
    }
}

/// Epoch seconds of `now + after`, rounded up so that a client waiting until then is never
/// early.
pub(crate) fn reset_after(now: SystemTime, after: Duration) -> u64 {
    let at = now.duration_since(UNIX_EPOCH).unwrap_or_default() + after;
    at.as_secs() + u64::from(at.subsec_nanos() > 0)
}

/// Requests in flight, against an optional limit.
pub(crate) struct Concurrency {
    limit: Option<usize>,
    in_flight: AtomicUsize,
}

/// One request in flight; leaving drops it.
pub(crate) struct InFlight<'a>(&'a AtomicUsize);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Concurrency {
    pub(crate) fn new(limit: Option<usize>) -> Self {
        Self {
            limit,
            in_flight: AtomicUsize::new(0),
        }
    }

    /// Enters a request, or `None` when that would put more than the limit in flight.
    pub(crate) fn enter(&self) -> Option<InFlight<'_>> {
        let n = self.in_flight.fetch_add(1, Ordering::AcqRel) + 1;
        let guard = InFlight(&self.in_flight);
        match self.limit {
            Some(limit) if n > limit => None, // the guard's drop undoes the increment
            _ => Some(guard),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use okta_idsrc_core::SystemClock;
    use okta_idsrc_core::clock::ManualClock;

    fn system() -> Arc<dyn Clock> {
        Arc::new(SystemClock)
    }

    #[test]
    fn bucket_counts_down_and_refuses() {
        let b = Bucket::new(Some(2), system());
        assert_eq!(b.take().unwrap().remaining, 1);
        assert_eq!(b.take().unwrap().remaining, 0);
        let refused = b.take().unwrap_err();
        assert_eq!((refused.limit, refused.remaining), (2, 0));
        assert_eq!(b.peek().remaining, 0);
        b.clear();
        assert_eq!(b.take().unwrap().remaining, 1);
    }

    #[test]
    fn windows_roll_after_sixty_seconds_of_the_clock() {
        let clock = ManualClock::new(UNIX_EPOCH + Duration::from_secs(1_000));
        let b = Bucket::new(Some(1), clock.shared());
        let first = b.take().unwrap();
        assert_eq!(first.reset, 1_060);
        assert!(b.take().is_err());
        clock.advance(Duration::from_secs(59));
        assert!(b.take().is_err(), "still the same window");
        clock.advance(Duration::from_secs(1));
        let next = b.take().unwrap();
        assert_eq!((next.remaining, next.reset), (0, 1_120));
        // A clock set back before the window starts a new one.
        clock.set(UNIX_EPOCH + Duration::from_secs(500));
        assert_eq!(b.take().unwrap().reset, 560);
    }

    #[test]
    fn scaled_windows_and_give_back() {
        let clock = ManualClock::new(UNIX_EPOCH + Duration::from_secs(1_000));
        let b = Bucket::with_window(Some(1), clock.shared(), Duration::from_secs(1));
        assert_eq!(b.take().unwrap().reset, 1_001);
        assert!(b.take().is_err());
        b.give_back();
        assert_eq!(b.take().unwrap().remaining, 0);
        clock.advance(Duration::from_secs(1));
        assert_eq!(b.take().unwrap().reset, 1_002, "a new one-second window");
    }

    #[test]
    fn unlimited_never_refuses() {
        let b = Bucket::new(None, system());
        for _ in 0..10 {
            let s = b.take().unwrap();
            assert_eq!(s.limit, UNLIMITED);
        }
        assert_eq!(b.peek().remaining, UNLIMITED - 10);
    }

    #[test]
    fn concurrency_guard_releases() {
        let c = Concurrency::new(Some(1));
        let a = c.enter();
        assert!(a.is_some());
        assert!(c.enter().is_none());
        drop(a);
        assert!(c.enter().is_some());
    }

    #[test]
    fn reset_rounds_up() {
        let t = UNIX_EPOCH + Duration::from_millis(1_000_500);
        assert_eq!(reset_after(t, WINDOW), 1_061);
        let t = UNIX_EPOCH + Duration::from_secs(1_000);
        assert_eq!(reset_after(t, WINDOW), 1_060);
    }
}
