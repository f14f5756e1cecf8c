//! [`RetryConfig`]: how many attempts, how long, how to wait.

use std::sync::Arc;
use std::time::Duration;

use super::RetryBudget;
use crate::clock::{Clock, FastRandom, Random, SystemClock};
use crate::macros::setters;

/// Settings of the [retry layer](super::RetryLayer), builder style.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use okta_idsrc_ops::clock::{FixedRandom, TokioClock};
/// use okta_idsrc_ops::retry::{RetryBudget, RetryConfig};
///
/// let config = RetryConfig::default()
///     .with_max_attempts(6)
///     .with_deadline(Some(Duration::from_secs(300)))
///     .with_budget(RetryBudget::unlimited())
///     .with_random(Arc::new(FixedRandom(0.5)));
/// assert_eq!(config.max_attempts(), 6);
/// assert_eq!(config.max_rate_limit_wait(), Duration::from_secs(75));
/// ```
#[derive(Clone, Debug)]
pub struct RetryConfig {
    pub(super) max_attempts: u32,
    pub(super) deadline: Option<Duration>,
    pub(super) max_rate_limit_wait: Duration,
    pub(super) base_backoff: Duration,
    pub(super) max_backoff: Duration,
    pub(super) rate_limit_jitter: Duration,
    pub(super) budget: RetryBudget,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) random: Arc<dyn Random>,
}

impl Default for RetryConfig {
    /// 4 attempts within 120 s; 429 waits clamped to 75 s plus up to 500 ms of jitter;
    /// backoff from 200 ms up to 20 s; the default [`RetryBudget`]; the system clock and
    /// `fastrand`.
    fn default() -> Self {
        Self {
            max_attempts: 4,
            deadline: Some(Duration::from_secs(120)),
            max_rate_limit_wait: Duration::from_secs(75),
            base_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(20),
            rate_limit_jitter: Duration::from_millis(500),
            budget: RetryBudget::default(),
            clock: Arc::new(SystemClock),
            random: Arc::new(FastRandom::new()),
        }
    }
}

impl RetryConfig {
    /// The defaults (see [`Default`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// A configuration that never retries (one attempt).
    pub fn disabled() -> Self {
        Self::default().with_max_attempts(1)
    }

    /// Attempts in all, counting the first (at least 1).
    #[must_use]
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    setters! {
        /// One deadline across all attempts, measured from the first; `None` for none. A
        /// retry whose wait would end past it is not made: the last response or error is
        /// returned.
        with_deadline(deadline: Option<Duration>);
        /// The longest wait a 429's headers may ask for; longer waits are clamped to it.
        with_max_rate_limit_wait(max_rate_limit_wait: Duration);
        /// The backoff cap of the first retry; it doubles with each retry.
        with_base_backoff(base_backoff: Duration);
        /// The largest backoff cap.
        with_max_backoff(max_backoff: Duration);
        /// The most jitter added to a wait derived from a 429's headers (uniform in
        /// `[0, this]`).
        with_rate_limit_jitter(rate_limit_jitter: Duration);
        /// The retry budget; clones of the config (and of the layer) share it.
        with_budget(budget: RetryBudget);
        /// The wall clock used when a response has no `Date` header.
        with_clock(clock: Arc<dyn Clock>);
        /// The source of jitter.
        with_random(random: Arc<dyn Random>);
    }

    /// Attempts in all, counting the first.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The deadline across all attempts.
    pub fn deadline(&self) -> Option<Duration> {
        self.deadline
    }

    /// The clamp on a 429's header-derived wait.
    pub fn max_rate_limit_wait(&self) -> Duration {
        self.max_rate_limit_wait
    }

    /// The backoff cap of the first retry.
    pub fn base_backoff(&self) -> Duration {
        self.base_backoff
    }

    /// The largest backoff cap.
    pub fn max_backoff(&self) -> Duration {
        self.max_backoff
    }

    /// The most jitter added to a 429's header-derived wait.
    pub fn rate_limit_jitter(&self) -> Duration {
        self.rate_limit_jitter
    }

    /// The retry budget.
    pub fn budget(&self) -> &RetryBudget {
        &self.budget
    }

    /// The wall clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The source of jitter.
    pub fn random(&self) -> &Arc<dyn Random> {
        &self.random
    }
}
