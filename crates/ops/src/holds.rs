//! [`Hold`]: a request one of the layers is holding right now — waiting for a rate-limit
//! window to reset, for a concurrency slot, or out a retry's wait — so that a progress
//! display can say what a run waits for and for how long
//! ([`Client::holds`](crate::Client::holds)).
//!
//! [`ClientStats`](crate::ClientStats) counts holds once they are over; this is the other
//! half: the ones going on.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use crate::retry::WaitReason;

/// Why a request is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HoldReason {
    /// The rate limiter holds it until its bucket's window resets (the window is used up).
    RateLimitWindow,
    /// The rate limiter holds it for a slot: Okta's concurrent-limit signal capped the
    /// requests in flight.
    ConcurrencySlot,
    /// The retry layer waits before the next attempt, for this reason (after a 429:
    /// [`WaitReason::RateLimitReset`] or [`WaitReason::RetryAfter`]).
    Retry(WaitReason),
}

impl HoldReason {
    /// Whether Okta's rate limits are behind the hold (a used-up window, the concurrent
    /// limit, or a retry after a 429), rather than a backoff after an error.
    pub fn is_rate_limit(self) -> bool {
        !matches!(self, Self::Retry(WaitReason::Backoff))
    }
}

/// One request held right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Hold {
    /// Why.
    pub reason: HoldReason,
    /// How long it has been held so far.
    pub held_for: Duration,
    /// How long until it goes, when that is known (not for a concurrency slot).
    pub left: Option<Duration>,
}

struct Entry {
    reason: HoldReason,
    since: Instant,
    until: Option<Instant>,
}

/// The holds of one layer (shared by its clones and services).
#[derive(Default)]
pub(crate) struct HoldBoard {
    next: AtomicU64,
    holds: Mutex<HashMap<u64, Entry>>,
}

impl std::fmt::Debug for HoldBoard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HoldBoard")
            .field("holds", &self.lock().len())
            .finish()
    }
}

impl HoldBoard {
    /// Registers a hold starting now; it lasts until the guard is dropped.
    pub(crate) fn hold(&self, reason: HoldReason, until: Option<Instant>) -> HoldGuard<'_> {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let entry = Entry {
            reason,
            since: Instant::now(),
            until,
        };
        self.lock().insert(id, entry);
        HoldGuard { board: self, id }
    }

    /// The holds now.
    pub(crate) fn snapshot(&self) -> Vec<Hold> {
        let now = Instant::now();
        self.lock()
            .values()
            .map(|e| Hold {
                reason: e.reason,
                held_for: now.saturating_duration_since(e.since),
                left: e.until.map(|u| u.saturating_duration_since(now)),
            })
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Entry>> {
        self.holds.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A hold in progress; dropping it ends the hold.
pub(crate) struct HoldGuard<'a> {
    board: &'a HoldBoard,
    id: u64,
}

impl HoldGuard<'_> {
    /// The hold goes on, for `reason`, until `until`.
    pub(crate) fn update(&self, reason: HoldReason, until: Option<Instant>) {
        if let Some(e) = self.board.lock().get_mut(&self.id) {
            e.reason = reason;
            e.until = until;
        }
    }
}

impl Drop for HoldGuard<'_> {
    fn drop(&mut self) {
        self.board.lock().remove(&self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_hold_lasts_as_long_as_its_guard() {
        let board = HoldBoard::default();
        assert!(board.snapshot().is_empty());
        let until = Instant::now() + Duration::from_secs(30);
        let guard = board.hold(HoldReason::RateLimitWindow, Some(until));
        tokio::time::advance(Duration::from_secs(10)).await;
        let holds = board.snapshot();
        assert_eq!(
            holds,
            [Hold {
                reason: HoldReason::RateLimitWindow,
                held_for: Duration::from_secs(10),
                left: Some(Duration::from_secs(20)),
            }]
        );
        guard.update(HoldReason::ConcurrencySlot, None);
        assert_eq!(board.snapshot()[0].left, None);
        drop(guard);
        assert!(board.snapshot().is_empty());
        assert!(HoldReason::Retry(WaitReason::RetryAfter).is_rate_limit());
        assert!(!HoldReason::Retry(WaitReason::Backoff).is_rate_limit());
    }
}
