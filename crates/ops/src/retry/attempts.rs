//! [`Attempts`]: the attempts at one request as a [`RetryConfig`] allows them. The one place
//! that applies the attempt limit, the deadline, the retry budget and the waits: the retry
//! layer, the OAuth token fetch and the importer's session handling all count their
//! attempts with it.

use std::time::Duration;

use http::HeaderMap;
use tokio::time::Instant;

use super::{RetryConfig, RetryDecision, WaitReason, backoff, rate_limit_wait};

/// The attempts at one request (or one step that is tried again, like opening a session).
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use okta_idsrc_ops::clock::FixedRandom;
/// use okta_idsrc_ops::retry::{Attempts, RetryBudget, RetryConfig, RetryDecision};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let config = RetryConfig::default()
///     .with_max_attempts(3)
///     .with_budget(RetryBudget::unlimited())
///     .with_random(Arc::new(FixedRandom(0.5)));
/// let mut attempts = Attempts::new(&config);
/// assert_eq!(attempts.attempt(), 1);
/// let (wait, _) = attempts.next(RetryDecision::ServerError, None).expect("a second attempt");
/// assert_eq!((attempts.attempt(), wait), (2, Duration::from_millis(100)));
/// assert!(attempts.next(RetryDecision::Final, None).is_none(), "final is final");
/// assert!(attempts.next(RetryDecision::ServerError, None).is_some());
/// assert!(attempts.next(RetryDecision::ServerError, None).is_none(), "three attempts in all");
/// # }
/// ```
#[derive(Debug)]
pub struct Attempts<'c> {
    config: &'c RetryConfig,
    started: Instant,
    attempt: u32,
}

impl<'c> Attempts<'c> {
    /// The first attempt, starting now (the deadline counts from here).
    pub fn new(config: &'c RetryConfig) -> Self {
        Self {
            config,
            started: Instant::now(),
            attempt: 1,
        }
    }

    /// The number of the attempt being made: 1 for the first.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The configuration.
    pub fn config(&self) -> &'c RetryConfig {
        self.config
    }

    /// After the current attempt failed with `decision` (`headers`: the response's, for a
    /// 429): the wait before the next attempt and why, with the next attempt counted; `None`
    /// when the outcome is final, or no attempt is left, or the wait would end past the
    /// deadline, or the retry budget cannot pay for it.
    pub fn next(
        &mut self,
        decision: RetryDecision,
        headers: Option<&HeaderMap>,
    ) -> Option<(Duration, WaitReason)> {
        if !decision.is_retryable() {
            return None;
        }
        let config = self.config;
        let (wait, reason) = match (decision, headers) {
            (RetryDecision::RateLimited, Some(headers)) => {
                rate_limit_wait(headers, config.clock.now(), config, self.attempt)
            }
            _ => (backoff(config, self.attempt), WaitReason::Backoff),
        };
        let cost = match decision {
            RetryDecision::TransportError(_) => config.budget.transport_error_cost(),
            _ => config.budget.retry_cost(),
        };
        self.admit(wait, cost).then_some((wait, reason))
    }

    /// Another try after a backoff, for a step the caller proved safe to repeat (a read-back
    /// showed the failed attempt did nothing); `None` when the limits say stop.
    pub fn backoff(&mut self) -> Option<Duration> {
        let wait = backoff(self.config, self.attempt);
        self.admit(wait, self.config.budget.retry_cost())
            .then_some(wait)
    }

    /// Counts the next attempt if the attempt limit, the deadline and the budget allow one
    /// after `wait`.
    fn admit(&mut self, wait: Duration, cost: u32) -> bool {
        let config = self.config;
        let attempt = self.attempt;
        if attempt >= config.max_attempts {
            tracing::debug!(attempt, "not trying again: no attempts left");
            return false;
        }
        if let Some(deadline) = config.deadline
            && self.started.elapsed().saturating_add(wait) > deadline
        {
            tracing::debug!(
                attempt,
                "not trying again: the wait would pass the deadline"
            );
            return false;
        }
        if !config.budget.try_withdraw(cost) {
            tracing::debug!(attempt, "not trying again: retry budget exhausted");
            return false;
        }
        self.attempt += 1;
        true
    }
}
