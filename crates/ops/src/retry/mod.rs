//! The retry middleware: a tower [`Layer`](tower::Layer) that repeats a request after a 429, a retryable
//! 5xx or a transport error, as Okta's own SDKs do (`docs/design.md#lessons`, lessons 1–4
//! and 9). What is retried is core's one classifier's decision
//! ([`okta_idsrc_core::retry`]); how often and how long to wait is [`Attempts`]'s.
//!
//! - Each attempt is a clone of the `http::Request<Bytes>` (method, URI, version, headers,
//!   body and the [`OperationInfo`] extension; other extensions travel with the first
//!   attempt only).
//! - A 429 is retried for every operation, after `min(X-Rate-Limit-Reset) − Date + 1 s`
//!   (clamped, plus a little jitter), else `Retry-After`, else backoff — see
//!   [`rate_limit_wait`].
//! - 500/502/503/504 and timeouts or broken connections are retried only for idempotent
//!   operations; a connect failure (nothing sent) for every operation; see [`classify`].
//! - One deadline spans all attempts and is checked before sleeping; attempts are limited;
//!   a shared [`RetryBudget`] limits retries across workers. When any of them says stop,
//!   the last response (or error) is returned as it is, so the caller can parse a 429 or
//!   5xx into a typed API error.
//! - Each retry carries `X-Okta-Retry-For` (the failed attempt's `X-Okta-Request-Id`) and
//!   `X-Okta-Retry-Count` (1 for the first retry), set, never appended.
//!
//! ```
//! use std::time::Duration;
//! use bytes::Bytes;
//! use tower::{Layer, ServiceExt, service_fn};
//! use okta_idsrc_ops::retry::{RetryConfig, RetryLayer};
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! let layer = RetryLayer::new(RetryConfig::default().with_deadline(Some(Duration::from_secs(60))));
//! let inner = service_fn(|_req: http::Request<Bytes>| async {
//!     Ok::<_, std::convert::Infallible>(http::Response::new(Bytes::from_static(b"{}")))
//! });
//! let response = layer
//!     .layer(inner)
//!     .oneshot(http::Request::new(Bytes::new()))
//!     .await
//!     .unwrap();
//! assert_eq!(response.status(), 200);
//! assert_eq!(layer.stats().retries, 0);
//! # }
//! ```

mod attempts;
mod config;
mod policy;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::holds::{Hold, HoldBoard, HoldReason};
use crate::service::{layer_service, send_when_ready};
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, Uri, Version};
use okta_idsrc_core::OperationInfo;
use okta_idsrc_core::headers::{self, X_OKTA_RETRY_COUNT, X_OKTA_RETRY_FOR};
use okta_idsrc_core::transport::BoxError;
use tower::Service;
use tracing::Instrument;

pub use attempts::Attempts;
pub use config::RetryConfig;
pub use okta_idsrc_core::retry::RetryDecision;
/// The retry budget, from core (sans IO).
pub use okta_idsrc_core::retry::{
    DEFAULT_CAPACITY, DEFAULT_RETRY_COST, DEFAULT_SUCCESS_REFILL, DEFAULT_TRANSPORT_ERROR_COST,
    RetryBudget,
};
pub(crate) use policy::fraction;
pub use policy::{MIN_WAIT, WaitReason, backoff, classify, rate_limit_wait, transport_error_kind};

/// Counts of what the retry layer did, across every clone of it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryStats {
    /// Retries sent (attempts after the first).
    pub retries: u64,
    /// 429 responses seen, retried or not.
    pub rate_limited: u64,
}

#[derive(Debug, Default)]
struct Counters {
    retries: AtomicU64,
    rate_limited: AtomicU64,
}

#[derive(Debug)]
struct Shared {
    config: RetryConfig,
    counters: Counters,
    holds: HoldBoard,
}

impl Shared {
    fn stats(&self) -> RetryStats {
        RetryStats {
            retries: self.counters.retries.load(Ordering::Relaxed),
            rate_limited: self.counters.rate_limited.load(Ordering::Relaxed),
        }
    }
}

layer_service! {
    /// A tower [`Layer`](tower::Layer) that retries requests (see the [module docs](self)).
    ///
    /// Clones share the configuration, the [`RetryBudget`] and the [`RetryStats`] counters.
    #[derive(Clone, Debug)]
    pub struct RetryLayer;

    /// The service [`RetryLayer`] makes. Clones share the budget and the stats.
    ///
    /// Its error is the inner service's error, boxed and otherwise untouched (a
    /// [`TransportError`](okta_idsrc_core::TransportError) stays downcastable).
    #[derive(Clone, Debug)]
    pub struct RetryService<S>;

    shared: Shared;
    stats: RetryStats;
    default: RetryConfig;
    ready: inner;
    serve: |shared, inner, request| {
        let operation = OperationInfo::of(&request).map_or("unknown", |i| i.name);
        let span = tracing::debug_span!("okta_retry", operation);
        Box::pin(run(inner, request, shared).instrument(span))
    };
}

impl RetryLayer {
    /// A layer retrying as `config` says.
    pub fn new(config: RetryConfig) -> Self {
        Self {
            shared: Arc::new(Shared {
                config,
                counters: Counters::default(),
                holds: HoldBoard::default(),
            }),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &RetryConfig {
        &self.shared.config
    }

    /// The requests the services of this layer (and of its clones) are waiting to send
    /// again right now.
    pub fn holds(&self) -> Vec<Hold> {
        self.shared.holds.snapshot()
    }
}

/// What each attempt is cloned from.
struct Template {
    method: Method,
    uri: Uri,
    version: Version,
    headers: HeaderMap,
    body: Bytes,
    info: Option<OperationInfo>,
}

impl Template {
    fn of(request: &Request<Bytes>) -> Self {
        Self {
            method: request.method().clone(),
            uri: request.uri().clone(),
            version: request.version(),
            headers: request.headers().clone(),
            body: request.body().clone(),
            info: OperationInfo::of(request).copied(),
        }
    }

    /// Retry number `count` (1 for the first retry) after a failed attempt whose response
    /// carried the request id `retry_for`.
    fn retry(&self, count: u32, retry_for: Option<HeaderValue>) -> Request<Bytes> {
        let mut request = Request::new(self.body.clone());
        *request.method_mut() = self.method.clone();
        *request.uri_mut() = self.uri.clone();
        *request.version_mut() = self.version;
        let headers = request.headers_mut();
        *headers = self.headers.clone();
        match retry_for {
            Some(id) => {
                headers.insert(X_OKTA_RETRY_FOR, id);
            }
            None => {
                headers.remove(X_OKTA_RETRY_FOR);
            }
        }
        headers.insert(X_OKTA_RETRY_COUNT, HeaderValue::from(count));
        if let Some(info) = self.info {
            request.extensions_mut().insert(info);
        }
        request
    }
}

/// Sends `request` until an attempt's outcome is final or a limit says stop.
async fn run<S>(
    mut service: S,
    request: Request<Bytes>,
    shared: Arc<Shared>,
) -> Result<Response<Bytes>, BoxError>
where
    S: Service<Request<Bytes>, Response = Response<Bytes>>,
    S::Error: Into<BoxError>,
{
    let counters = &shared.counters;
    let budget = &shared.config.budget;
    let template = Template::of(&request);
    let mut attempts = Attempts::new(&shared.config);
    let mut request = request;
    loop {
        let attempt = attempts.attempt();
        let outcome = send_when_ready(&mut service, request).await;
        let decision = classify(template.info.as_ref(), outcome.as_ref());
        log_attempt(attempt, &outcome, decision);
        if let Ok(response) = &outcome {
            if response.status() == StatusCode::TOO_MANY_REQUESTS {
                counters.rate_limited.fetch_add(1, Ordering::Relaxed);
            } else if response.status().is_success() {
                budget.record_success();
            }
        }
        let headers = outcome.as_ref().ok().map(Response::headers);
        let Some((wait, reason)) = attempts.next(decision, headers) else {
            return outcome;
        };
        let retry_for = outcome
            .as_ref()
            .ok()
            .and_then(|r| headers::request_id(r.headers()))
            .and_then(|id| HeaderValue::from_str(id).ok());
        drop(outcome);
        counters.retries.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(
            attempt,
            wait_ms = millis(wait),
            reason = reason.as_str(),
            "retrying"
        );
        let until = tokio::time::Instant::now() + wait;
        let hold = shared.holds.hold(HoldReason::Retry(reason), Some(until));
        tokio::time::sleep_until(until).await;
        drop(hold);
        request = template.retry(attempt, retry_for);
    }
}

/// One event per attempt: number, status or error kind, request id. Never headers, bodies
/// or error messages (which could quote a URL).
fn log_attempt(attempt: u32, outcome: &Result<Response<Bytes>, BoxError>, decision: RetryDecision) {
    match outcome {
        Ok(response) => tracing::debug!(
            attempt,
            status = response.status().as_u16(),
            request_id = headers::request_id(response.headers()).unwrap_or(""),
            decision = ?decision,
            "attempt answered"
        ),
        Err(error) => tracing::debug!(
            attempt,
            error_kind = ?transport_error_kind(error.as_ref()),
            decision = ?decision,
            "attempt failed"
        ),
    }
}

/// `d` in whole milliseconds, for logs.
pub(crate) fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
