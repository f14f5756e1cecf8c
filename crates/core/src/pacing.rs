//! Pacing by Okta's rate-limit headers, sans IO: what a client knows about one (host,
//! rate-limit bucket) pair, and its two decisions — may a request go now
//! ([`BucketState::admit`]), and what does a response teach ([`BucketState::learn`]). Time
//! comes in as arguments. The client's rate-limit layer (in `okta-idsrc-ops`) drives one per
//! bucket; an embedder with its own HTTP stack can too.
//!
//! ```
//! use std::time::{Duration, UNIX_EPOCH};
//! use http::StatusCode;
//! use okta_idsrc_core::headers::RateLimit;
//! use okta_idsrc_core::pacing::{Admission, BucketState};
//!
//! let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
//! let mut bucket = BucketState::default();
//! assert_eq!(bucket.admit(now, false), Admission::Send);
//! // The answer says the window has nothing left and resets in 30 s.
//! let limit = RateLimit { limit: Some(100), remaining: Some(0), reset: Some(1_700_000_030) };
//! bucket.learn(StatusCode::OK, limit, Some(now), now);
//! bucket.finish();
//! assert_eq!(bucket.admit(now, false), Admission::WaitForReset(Duration::from_secs(31)));
//! ```

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::headers::RateLimit;
use http::StatusCode;

/// A lower bound of the server's clock skew that is this far below the current estimate
/// means the server's clock moved: start over from it.
const SKEW_RESET: i128 = 2_000_000_000;

/// The window responses reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Window {
    /// `X-Rate-Limit-Reset`, UTC epoch seconds (server clock).
    pub(crate) reset: u64,
    /// The smallest `X-Rate-Limit-Remaining` answered in the window.
    pub(crate) remaining: u64,
    /// Requests that may still be sent in the window: counted down on each send, and
    /// recomputed on each answer carrying the headers as `remaining − in flight`.
    ///
    /// Within a window the server's count only goes down, so every request answered with
    /// the headers was counted in `remaining`; one still in flight may not have been. So the
    /// estimate never overshoots, whatever order the server processed requests in. An
    /// answer without the headers (or a failure) leaves it alone: that request stays
    /// counted.
    pub(crate) available: u64,
}

impl Window {
    fn new(reset: u64, remaining: u64) -> Self {
        Self {
            reset,
            remaining,
            available: remaining,
        }
    }
}

/// The pacing state of one (host, rate-limit bucket).
#[derive(Debug, Default)]
pub struct BucketState {
    /// The newest window learnt; `None` until a response carries `Remaining` and `Reset`.
    pub(crate) window: Option<Window>,
    /// Estimated server clock − local clock, in nanoseconds: the largest lower bound seen
    /// (`Date − arrival` is one, since `Date` is truncated and stamped before arrival).
    skew: Option<i128>,
    /// Requests sent and not yet answered.
    pub(crate) in_flight: usize,
    /// The concurrency cap learnt from Okta's concurrent-limit signal; `None` = no cap.
    pub(crate) cap: Option<usize>,
}

/// The answer of [`BucketState::admit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Send now (the request is counted in flight).
    Send,
    /// The window is used up: wait this long (until its reset + 1 s), or for news.
    WaitForReset(Duration),
    /// The concurrency cap is reached: wait for a request to finish.
    WaitForSlot,
}

impl BucketState {
    /// The server's clock at local time `now`, as well as we know it.
    fn server_now(&self, now: SystemTime) -> SystemTime {
        match self.skew {
            Some(s) if s >= 0 => now + nanos(s.unsigned_abs()),
            Some(s) => now
                .checked_sub(nanos(s.unsigned_abs()))
                .unwrap_or(UNIX_EPOCH),
            None => now,
        }
    }

    /// Whether a request may go at local time `now`; if so, counts it as sent. `overdue`:
    /// the request waited as long as it may, send it whatever the state.
    pub fn admit(&mut self, now: SystemTime, overdue: bool) -> Admission {
        if !overdue {
            if self.cap.is_some_and(|cap| self.in_flight >= cap) {
                return Admission::WaitForSlot;
            }
            if let Some(wait) = self.wait_for_reset(now) {
                return Admission::WaitForReset(wait);
            }
        }
        let server_now = self.server_now(now);
        if let Some(w) = &mut self.window
            && reopens_at(w.reset).is_some_and(|at| server_now < at)
        {
            w.available = w.available.saturating_sub(1);
        }
        self.in_flight += 1;
        Admission::Send
    }

    /// How long until the used-up window may be used again (Okta's rule: reset + 1 s);
    /// `None` when a request may go now.
    pub fn wait_for_reset(&self, now: SystemTime) -> Option<Duration> {
        let w = self.window?;
        if w.available > 0 {
            return None;
        }
        let open_at = reopens_at(w.reset)?;
        open_at
            .duration_since(self.server_now(now))
            .ok()
            .filter(|d| !d.is_zero())
    }

    /// Learns from a response (to a request still counted in flight) that arrived at local
    /// time `now`. Returns whether it was Okta's concurrent-limit signal.
    pub fn learn(
        &mut self,
        status: StatusCode,
        limit: RateLimit,
        date: Option<SystemTime>,
        now: SystemTime,
    ) -> bool {
        if let Some(date) = date {
            let bound = signed_nanos(date) - signed_nanos(now);
            self.skew = Some(match self.skew {
                Some(s) if bound + SKEW_RESET >= s => s.max(bound),
                _ => bound,
            });
        }
        let signal = status == StatusCode::TOO_MANY_REQUESTS && limit.is_concurrent_limit();
        if signal {
            // AIMD, multiplicative-ish decrease: one below what was in flight (this included).
            self.cap = Some(self.in_flight.saturating_sub(1).max(1));
            return true;
        }
        if status.is_success()
            && let Some(cap) = &mut self.cap
        {
            *cap = cap.saturating_add(1);
        }
        if let (Some(remaining), Some(reset)) = (limit.remaining, limit.reset) {
            let window = match &mut self.window {
                Some(w) if reset < w.reset => return false,
                Some(w) if reset == w.reset => {
                    w.remaining = w.remaining.min(remaining);
                    w
                }
                other => other.insert(Window::new(reset, remaining)),
            };
            // This request is answered; the others in flight may not be counted yet.
            let others = u64::try_from(self.in_flight.saturating_sub(1)).unwrap_or(u64::MAX);
            window.available = window.remaining.saturating_sub(others);
        }
        false
    }

    /// Forgets a request that finished (answered, failed or cancelled).
    pub fn finish(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
    }
}

/// When a window resetting at `reset` (epoch seconds) may be used again: reset + 1 s.
fn reopens_at(reset: u64) -> Option<SystemTime> {
    UNIX_EPOCH.checked_add(Duration::from_secs(reset.checked_add(1)?))
}

fn signed_nanos(t: SystemTime) -> i128 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i128::try_from(d.as_nanos()).unwrap_or(i128::MAX),
        Err(e) => -i128::try_from(e.duration().as_nanos()).unwrap_or(i128::MAX),
    }
}

fn nanos(n: u128) -> Duration {
    let secs = u64::try_from(n / 1_000_000_000).unwrap_or(u64::MAX);
    // The remainder is below 10^9, so it fits.
    let sub = u32::try_from(n % 1_000_000_000).unwrap_or(0);
    Duration::new(secs, sub)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: u64 = 1_700_000_000;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn rl(limit: u64, remaining: u64, reset: u64) -> RateLimit {
        RateLimit {
            limit: Some(limit),
            remaining: Some(remaining),
            reset: Some(reset),
        }
    }

    fn send(state: &mut BucketState, now: SystemTime) {
        assert_eq!(state.admit(now, false), Admission::Send);
    }

    /// A response to one of the requests in flight, which then finishes.
    fn answer(
        state: &mut BucketState,
        status: StatusCode,
        limit: RateLimit,
        date: Option<u64>,
    ) -> bool {
        let signal = state.learn(status, limit, date.map(at), at(T));
        state.finish();
        signal
    }

    #[test]
    fn unknown_state_sends_freely() {
        let mut s = BucketState::default();
        for _ in 0..10 {
            send(&mut s, at(T));
        }
        assert_eq!(s.in_flight, 10);
    }

    #[test]
    fn counts_down_and_waits_for_reset_plus_one_second() {
        let mut s = BucketState::default();
        send(&mut s, at(T));
        answer(&mut s, StatusCode::OK, rl(10, 2, T + 20), Some(T));
        send(&mut s, at(T));
        send(&mut s, at(T));
        assert_eq!(
            s.admit(at(T), false),
            Admission::WaitForReset(Duration::from_secs(21))
        );
        assert_eq!(
            s.admit(at(T) + Duration::from_millis(20_500), false),
            Admission::WaitForReset(Duration::from_millis(500))
        );
        assert_eq!(s.admit(at(T + 21), false), Admission::Send);
        // Waited as long as allowed: sends anyway.
        let mut s2 = BucketState {
            window: Some(Window::new(T + 20, 0)),
            ..Default::default()
        };
        assert_eq!(s2.admit(at(T), true), Admission::Send);
    }

    #[test]
    fn answers_refresh_the_count_whatever_the_processing_order() {
        let mut s = BucketState::default();
        // A and B in flight; the server counted A, then B; B's answer arrives first.
        send(&mut s, at(T));
        send(&mut s, at(T));
        answer(&mut s, StatusCode::OK, rl(10, 5, T + 60), None);
        // A may not be counted yet: 4 may go.
        assert_eq!(
            s.window,
            Some(Window {
                reset: T + 60,
                remaining: 5,
                available: 4
            })
        );
        answer(&mut s, StatusCode::OK, rl(10, 6, T + 60), None);
        // A was counted in B's 5: the smallest remaining binds, nothing is in flight.
        assert_eq!(
            s.window,
            Some(Window {
                reset: T + 60,
                remaining: 5,
                available: 5
            })
        );
        for _ in 0..5 {
            send(&mut s, at(T));
        }
        assert!(matches!(s.admit(at(T), false), Admission::WaitForReset(_)));
        // An answer without the headers changes nothing: that request stays counted.
        answer(&mut s, StatusCode::OK, RateLimit::default(), None);
        assert!(matches!(s.admit(at(T), false), Admission::WaitForReset(_)));
        // One that shows three were counted, with three others in flight: none may go.
        answer(&mut s, StatusCode::OK, rl(10, 2, T + 60), None);
        assert_eq!(s.window.unwrap().available, 0);
        // An older window is ignored; a newer one replaces.
        answer(&mut s, StatusCode::OK, rl(10, 9, T), None);
        assert_eq!(s.window.unwrap().remaining, 2);
        answer(&mut s, StatusCode::OK, rl(10, 9, T + 120), None);
        assert_eq!(
            s.window,
            Some(Window {
                reset: T + 120,
                remaining: 9,
                available: 8
            })
        );
    }

    #[test]
    fn skew_follows_the_date_header() {
        let mut s = BucketState::default();
        send(&mut s, at(T));
        // The server is 10 s ahead.
        answer(
            &mut s,
            StatusCode::TOO_MANY_REQUESTS,
            rl(10, 0, T + 20),
            Some(T + 10),
        );
        assert_eq!(s.wait_for_reset(at(T)), Some(Duration::from_secs(11)));
        // A truncated Date is a lower bound: the largest wins.
        s.learn(StatusCode::OK, RateLimit::default(), Some(at(T + 9)), at(T));
        assert_eq!(s.wait_for_reset(at(T)), Some(Duration::from_secs(11)));
        // Far below: the server clock moved.
        s.learn(StatusCode::OK, RateLimit::default(), Some(at(T)), at(T));
        assert_eq!(s.wait_for_reset(at(T)), Some(Duration::from_secs(21)));
    }

    #[test]
    fn concurrent_limit_signal_caps_in_flight() {
        let mut s = BucketState::default();
        for _ in 0..4 {
            send(&mut s, at(T));
        }
        assert!(answer(
            &mut s,
            StatusCode::TOO_MANY_REQUESTS,
            rl(0, 0, T + 60),
            None
        ));
        assert_eq!(s.cap, Some(3));
        assert_eq!(
            s.window, None,
            "the concurrent signal is not a used-up window"
        );
        assert_eq!(s.admit(at(T), false), Admission::WaitForSlot);
        assert!(!answer(&mut s, StatusCode::OK, RateLimit::default(), None));
        assert_eq!(s.cap, Some(4));
        send(&mut s, at(T));
        send(&mut s, at(T));
        assert_eq!(s.admit(at(T), false), Admission::WaitForSlot);
    }
}
