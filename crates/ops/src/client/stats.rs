//! What a client's layers did: [`ClientStats`], read from the layers the builder installed.

use std::ops::Sub;

use crate::holds::Hold;
use crate::oauth::{OAuthLayer, OAuthStats};
use crate::rate_limit::{RateLimitLayer, RateLimitStats};
use crate::retry::{RetryConfig, RetryLayer, RetryStats};

/// Handles on the layers a [`ClientBuilder`](super::ClientBuilder) installed itself
/// ([`default_layers`](super::ClientBuilder::default_layers),
/// [`authenticate`](super::ClientBuilder::authenticate)); layers added with `with_layer` are
/// the caller's to read.
#[derive(Debug, Clone, Default)]
pub(crate) struct Layers {
    pub(crate) retry: Option<RetryLayer>,
    pub(crate) rate_limit: Option<RateLimitLayer>,
    pub(crate) oauth: Option<OAuthLayer>,
}

impl Layers {
    pub(crate) fn stats(&self) -> ClientStats {
        ClientStats {
            retry: self
                .retry
                .as_ref()
                .map(RetryLayer::stats)
                .unwrap_or_default(),
            rate_limit: self
                .rate_limit
                .as_ref()
                .map(RateLimitLayer::stats)
                .unwrap_or_default(),
            oauth: self
                .oauth
                .as_ref()
                .map(OAuthLayer::stats)
                .unwrap_or_default(),
        }
    }

    pub(crate) fn holds(&self) -> Vec<Hold> {
        let mut holds = self
            .retry
            .as_ref()
            .map(RetryLayer::holds)
            .unwrap_or_default();
        if let Some(rate_limit) = &self.rate_limit {
            holds.extend(rate_limit.holds());
        }
        holds
    }

    pub(crate) fn retry_config(&self) -> Option<&RetryConfig> {
        self.retry.as_ref().map(RetryLayer::config)
    }
}

/// Counts of what a [`Client`](super::Client)'s layers did, across every clone of it: its
/// retries and the 429s it saw, the requests its rate limiter held, the tokens its OAuth layer
/// fetched. Zero for a layer the client does not have.
///
/// Subtract an earlier reading for what happened in between:
///
/// ```
/// # async fn run(client: okta_idsrc_ops::Client) {
/// let before = client.stats();
/// // … requests …
/// let during = client.stats() - before;
/// println!("{} retries, {} answered 429", during.retry.retries, during.retry.rate_limited);
/// # }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientStats {
    /// The retry layer's.
    pub retry: RetryStats,
    /// The rate-limit layer's.
    pub rate_limit: RateLimitStats,
    /// The OAuth layer's.
    pub oauth: OAuthStats,
}

/// `$T { field: later.field − earlier.field, … }`, each at least 0.
macro_rules! since {
    ($later:expr, $earlier:expr, $T:ident { $($field:ident),* }) => {
        $T { $($field: $later.$field.saturating_sub($earlier.$field)),* }
    };
}

impl Sub for ClientStats {
    type Output = ClientStats;

    /// What happened between two readings (`later - earlier`), each count at least 0.
    fn sub(self, earlier: ClientStats) -> ClientStats {
        ClientStats {
            retry: since!(
                self.retry,
                earlier.retry,
                RetryStats {
                    retries,
                    rate_limited
                }
            ),
            rate_limit: since!(
                self.rate_limit,
                earlier.rate_limit,
                RateLimitStats {
                    held,
                    held_for,
                    concurrency_signals
                }
            ),
            oauth: since!(
                self.oauth,
                earlier.oauth,
                OAuthStats {
                    token_requests,
                    tokens_issued,
                    nonce_retries,
                    invalid_token_retries,
                    resource_nonce_retries
                }
            ),
        }
    }
}
