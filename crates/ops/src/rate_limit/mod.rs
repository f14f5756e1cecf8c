//! The rate-limit middleware: a tower [`Layer`](tower::Layer) that paces requests by Okta's
//! `X-Rate-Limit-*` headers, so that a request it knows would get a 429 waits instead of
//! being sent.
//!
//! State is kept per (URI authority, [`RateLimitBucket`]) and learnt from every response,
//! success or error:
//! - `X-Rate-Limit-Remaining` and `-Reset` (smallest values) give the window. The limiter
//!   counts requests down locally as it sends them; each response refreshes the count (its
//!   `Remaining` minus the requests sent after it), and a response with a newer `Reset`
//!   replaces the window. When none is left, requests wait until the reset + 1 s (Okta's
//!   rule), plus up to [`MAX_JITTER`] so that parallel workers do not wake together.
//! - `now` is the local [`Clock`] corrected by the server's `Date`
//!   (the skew between the two), so a client clock that is off does not wake too early.
//! - Okta's concurrent-limit signal (a 429 with `X-Rate-Limit-Limit: 0` and `-Remaining: 0`)
//!   caps requests in flight for the bucket at one below what was in flight; each 2xx raises
//!   the cap by one.
//! - No headers, no pacing: requests go freely. No wait exceeds
//!   [`max_wait`](RateLimitConfig::max_wait); after it the request is sent anyway (and the
//!   retry layer deals with a 429).
//!
//! Put it *inside* the retry layer, so that every attempt is paced:
//!
//! ```
//! use bytes::Bytes;
//! use tower::{ServiceBuilder, ServiceExt, service_fn};
//! use okta_idsrc_ops::rate_limit::{RateLimitConfig, RateLimitLayer};
//! use okta_idsrc_ops::retry::{RetryConfig, RetryLayer};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let transport = service_fn(|_req: http::Request<Bytes>| async {
//!     Ok::<_, std::convert::Infallible>(http::Response::new(Bytes::new()))
//! });
//! let service = ServiceBuilder::new()
//!     .layer(RetryLayer::new(RetryConfig::default()))
//!     .layer(RateLimitLayer::new(RateLimitConfig::default()))
//!     .service(transport);
//! let response = service.oneshot(http::Request::new(Bytes::new())).await.unwrap();
//! assert_eq!(response.status(), 200);
//! # }
//! ```

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use http::uri::Authority;
use http::{Request, Response};
use okta_idsrc_core::headers::{self, RateLimit};
use okta_idsrc_core::transport::BoxError;
use okta_idsrc_core::{OperationInfo, RateLimitBucket};
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::clock::{Clock, FastRandom, Random, SystemClock};
use crate::holds::{Hold, HoldBoard, HoldGuard, HoldReason};
use crate::macros::setters;
use crate::retry::{fraction, millis};
use crate::service::{SendHttpService, layer_service, send_when_ready};
use okta_idsrc_core::pacing::{Admission, BucketState};

/// The most jitter added to a wait for a window's reset.
pub const MAX_JITTER: Duration = Duration::from_millis(250);

/// Settings of the [`RateLimitLayer`].
#[derive(Clone, Debug)]
pub struct RateLimitConfig {
    /// The wall clock (rate-limit resets are wall-clock epoch seconds).
    pub clock: Arc<dyn Clock>,
    /// The source of jitter.
    pub random: Arc<dyn Random>,
    /// The longest a request is held; after it, it is sent whatever the state.
    pub max_wait: Duration,
}

impl Default for RateLimitConfig {
    /// The system clock, `fastrand`, and a 75 s cap.
    fn default() -> Self {
        Self {
            clock: Arc::new(SystemClock),
            random: Arc::new(FastRandom::new()),
            max_wait: Duration::from_secs(75),
        }
    }
}

impl RateLimitConfig {
    setters! {
        /// Replaces the clock.
        with_clock(clock: Arc<dyn Clock>);
        /// Replaces the source of jitter.
        with_random(random: Arc<dyn Random>);
        /// Replaces the cap on a single wait.
        with_max_wait(max_wait: Duration);
    }
}

/// Counts of what the rate limiter did, across every clone of it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RateLimitStats {
    /// Requests held before sending (for a window's reset or a concurrency slot).
    pub held: u64,
    /// The total time requests were held.
    pub held_for: Duration,
    /// Concurrent-limit signals seen (429 with limit and remaining 0).
    pub concurrency_signals: u64,
}

type Key = (Option<Authority>, RateLimitBucket);

struct Bucket {
    /// Okta's bucket, for logs.
    kind: RateLimitBucket,
    state: Mutex<BucketState>,
    /// Woken whenever the state may let a waiting request go.
    changed: Notify,
}

impl Bucket {
    fn lock(&self) -> MutexGuard<'_, BucketState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

struct Shared {
    config: RateLimitConfig,
    buckets: Mutex<HashMap<Key, Arc<Bucket>>>,
    held: AtomicU64,
    held_for_nanos: AtomicU64,
    concurrency_signals: AtomicU64,
    holds: HoldBoard,
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimitState")
            .field("config", &self.config)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl Shared {
    fn stats(&self) -> RateLimitStats {
        RateLimitStats {
            held: self.held.load(Ordering::Relaxed),
            held_for: Duration::from_nanos(self.held_for_nanos.load(Ordering::Relaxed)),
            concurrency_signals: self.concurrency_signals.load(Ordering::Relaxed),
        }
    }

    fn bucket<B>(&self, request: &Request<B>) -> Arc<Bucket> {
        let bucket = OperationInfo::of(request).map_or(RateLimitBucket::General, |i| i.bucket);
        let key = (request.uri().authority().cloned(), bucket);
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(buckets.entry(key).or_insert_with(|| {
            Arc::new(Bucket {
                kind: bucket,
                state: Mutex::new(BucketState::default()),
                changed: Notify::new(),
            })
        }))
    }

    /// Sends `request` through `inner` once its bucket lets it go, and learns from the
    /// response.
    async fn send<S: SendHttpService>(
        self: Arc<Self>,
        mut inner: S,
        request: Request<Bytes>,
    ) -> Result<Response<Bytes>, BoxError> {
        let permit = self.acquire(self.bucket(&request)).await;
        let outcome = send_when_ready(&mut inner, request).await;
        if let Ok(response) = &outcome
            && permit.learn(response, &*self.config.clock)
        {
            self.concurrency_signals.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(bucket = ?permit.bucket.kind, "concurrent-limit signal: capping requests in flight");
        }
        drop(permit);
        outcome
    }

    /// Waits until `bucket` lets a request go, and counts it as sent.
    async fn acquire(&self, bucket: Arc<Bucket>) -> Permit {
        let started = Instant::now();
        let max_wait = self.config.max_wait;
        let jitter = MAX_JITTER.mul_f64(fraction(&*self.config.random));
        let mut held = false;
        let mut hold: Option<HoldGuard<'_>> = None;
        loop {
            let changed = bucket.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let waited = started.elapsed();
            let overdue = waited >= max_wait;
            let admission = bucket.lock().admit(self.config.clock.now(), overdue);
            let (wait, reason) = match admission {
                Admission::Send => {
                    if held {
                        self.held.fetch_add(1, Ordering::Relaxed);
                        let nanos = u64::try_from(waited.as_nanos()).unwrap_or(u64::MAX);
                        self.held_for_nanos.fetch_add(nanos, Ordering::Relaxed);
                    }
                    break;
                }
                Admission::WaitForReset(wait) => {
                    if !held {
                        tracing::debug!(
                            bucket = ?bucket.kind,
                            wait_ms = millis(wait + jitter),
                            "holding request: rate-limit window used up"
                        );
                    }
                    // Never a busy loop, even on a clock that does not advance.
                    (
                        (wait + jitter).max(Duration::from_millis(1)),
                        HoldReason::RateLimitWindow,
                    )
                }
                Admission::WaitForSlot => {
                    if !held {
                        tracing::debug!(bucket = ?bucket.kind, "holding request: concurrent-limit cap reached");
                    }
                    (max_wait, HoldReason::ConcurrencySlot)
                }
            };
            held = true;
            let wait = wait.min(max_wait.saturating_sub(waited));
            let until = (reason == HoldReason::RateLimitWindow).then(|| Instant::now() + wait);
            match &hold {
                Some(h) => h.update(reason, until),
                None => hold = Some(self.holds.hold(reason, until)),
            }
            let sleep = tokio::time::sleep(wait);
            tokio::select! {
                () = &mut changed => {}
                () = sleep => {}
            }
        }
        Permit { bucket }
    }
}

/// A request counted in flight; finishing (or dropping) it frees its slot.
struct Permit {
    bucket: Arc<Bucket>,
}

impl Permit {
    /// Learns from the response; returns whether it was the concurrent-limit signal.
    fn learn(&self, response: &Response<Bytes>, clock: &dyn Clock) -> bool {
        let headers = response.headers();
        let signal = self.bucket.lock().learn(
            response.status(),
            RateLimit::from_headers(headers),
            headers::date(headers),
            clock.now(),
        );
        self.bucket.changed.notify_waiters();
        signal
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.bucket.lock().finish();
        self.bucket.changed.notify_waiters();
    }
}

layer_service! {
    /// A tower [`Layer`](tower::Layer) pacing requests by Okta's rate-limit headers (see the
    /// [module docs](self)).
    ///
    /// Clones share what was learnt; so do the services made by one layer.
    #[derive(Clone, Debug)]
    pub struct RateLimitLayer;

    /// The service [`RateLimitLayer`] makes.
    ///
    /// It is always ready: the inner service's readiness is awaited after pacing, just before
    /// sending, so that a held request holds no slot of an inner concurrency limit.
    #[derive(Clone, Debug)]
    pub struct RateLimitService<S>;

    shared: Shared;
    stats: RateLimitStats;
    default: RateLimitConfig;
    ready: always;
    serve: |shared, inner, request| Box::pin(shared.send(inner, request));
}

impl RateLimitLayer {
    /// A layer with `config`.
    pub fn new(config: RateLimitConfig) -> Self {
        Self {
            shared: Arc::new(Shared {
                config,
                buckets: Mutex::new(HashMap::new()),
                held: AtomicU64::new(0),
                held_for_nanos: AtomicU64::new(0),
                concurrency_signals: AtomicU64::new(0),
                holds: HoldBoard::default(),
            }),
        }
    }

    /// The requests the services of this layer (and of its clones) hold right now.
    pub fn holds(&self) -> Vec<Hold> {
        self.shared.holds.snapshot()
    }
}
