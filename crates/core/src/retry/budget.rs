//! The retry budget: a token bucket shared by every clone of a retry layer, so that a
//! struggling server is not hammered by retries from many workers at once (smithy's
//! "standard" retry quota). Sans IO: the layer decides when to withdraw and deposit.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

/// Tokens in a new budget.
pub const DEFAULT_CAPACITY: u32 = 500;
/// Tokens a retry after a 429 or a 5xx costs.
pub const DEFAULT_RETRY_COST: u32 = 5;
/// Tokens a retry after a timeout or another transport error costs.
pub const DEFAULT_TRANSPORT_ERROR_COST: u32 = 10;
/// Tokens each successful (2xx) response gives back.
pub const DEFAULT_SUCCESS_REFILL: u32 = 1;

/// A token bucket limiting retries across every request that shares it.
///
/// Each retry withdraws tokens ([`retry_cost`](Self::retry_cost), or
/// [`transport_error_cost`](Self::transport_error_cost) after a timeout or transport error);
/// each 2xx response deposits [`success_refill`](Self::success_refill), up to the capacity.
/// When a retry cannot be paid for, the last response or error is returned instead.
///
/// Cloning shares the bucket.
///
/// ```
/// use okta_idsrc_core::retry::RetryBudget;
///
/// let budget = RetryBudget::new(10);
/// let shared = budget.clone();
/// assert!(budget.try_withdraw(5));
/// assert!(shared.try_withdraw(5));
/// assert!(!budget.try_withdraw(5));
/// budget.deposit(1);
/// assert_eq!(shared.available(), Some(1));
/// assert_eq!(RetryBudget::unlimited().available(), None);
/// ```
#[derive(Clone)]
pub struct RetryBudget {
    inner: Option<Arc<Bucket>>,
}

struct Bucket {
    tokens: AtomicU32,
    capacity: u32,
    retry_cost: u32,
    transport_error_cost: u32,
    success_refill: u32,
}

impl RetryBudget {
    /// A full bucket of `capacity` tokens with the default costs (5 a retry, 10 after a
    /// transport error, 1 back per success).
    pub fn new(capacity: u32) -> Self {
        Self::with_costs(
            capacity,
            DEFAULT_RETRY_COST,
            DEFAULT_TRANSPORT_ERROR_COST,
            DEFAULT_SUCCESS_REFILL,
        )
    }

    /// A full bucket of `capacity` tokens with the given costs.
    pub fn with_costs(
        capacity: u32,
        retry_cost: u32,
        transport_error_cost: u32,
        success_refill: u32,
    ) -> Self {
        Self {
            inner: Some(Arc::new(Bucket {
                tokens: AtomicU32::new(capacity),
                capacity,
                retry_cost,
                transport_error_cost,
                success_refill,
            })),
        }
    }

    /// A budget that never runs out.
    pub fn unlimited() -> Self {
        Self { inner: None }
    }

    /// Tokens left; `None` when unlimited.
    pub fn available(&self) -> Option<u32> {
        self.inner
            .as_ref()
            .map(|b| b.tokens.load(Ordering::Acquire))
    }

    /// What a retry after a 429 or 5xx costs (0 when unlimited).
    pub fn retry_cost(&self) -> u32 {
        self.inner.as_ref().map_or(0, |b| b.retry_cost)
    }

    /// What a retry after a timeout or transport error costs (0 when unlimited).
    pub fn transport_error_cost(&self) -> u32 {
        self.inner.as_ref().map_or(0, |b| b.transport_error_cost)
    }

    /// What a success gives back (0 when unlimited).
    pub fn success_refill(&self) -> u32 {
        self.inner.as_ref().map_or(0, |b| b.success_refill)
    }

    /// Takes `cost` tokens if there are that many; `false` (and nothing taken) otherwise.
    /// Always `true` when unlimited.
    pub fn try_withdraw(&self, cost: u32) -> bool {
        let Some(b) = &self.inner else { return true };
        b.tokens
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| t.checked_sub(cost))
            .is_ok()
    }

    /// Gives back `tokens`, up to the capacity.
    pub fn deposit(&self, tokens: u32) {
        let Some(b) = &self.inner else { return };
        let _ = b
            .tokens
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| {
                Some(t.saturating_add(tokens).min(b.capacity))
            });
    }

    /// Records a success: deposits [`success_refill`](Self::success_refill).
    pub fn record_success(&self) {
        self.deposit(self.success_refill());
    }
}

impl Default for RetryBudget {
    /// 500 tokens, 5 a retry, 10 after a transport error, 1 back per success.
    fn default() -> Self {
        Self::new(DEFAULT_CAPACITY)
    }
}

impl fmt::Debug for RetryBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            None => f.write_str("RetryBudget(unlimited)"),
            Some(b) => f
                .debug_struct("RetryBudget")
                .field("available", &b.tokens.load(Ordering::Relaxed))
                .field("capacity", &b.capacity)
                .field("retry_cost", &b.retry_cost)
                .field("transport_error_cost", &b.transport_error_cost)
                .field("success_refill", &b.success_refill)
                .finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deposit_stops_at_capacity() {
        let b = RetryBudget::new(10);
        b.deposit(100);
        assert_eq!(b.available(), Some(10));
        assert!(b.try_withdraw(10));
        assert!(!b.try_withdraw(1));
        b.record_success();
        assert_eq!(b.available(), Some(1));
    }

    #[test]
    fn unlimited_always_pays() {
        let b = RetryBudget::unlimited();
        for _ in 0..1000 {
            assert!(b.try_withdraw(10));
        }
        assert_eq!(b.retry_cost(), 0);
    }
}
