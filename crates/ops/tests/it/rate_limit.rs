//! The rate-limit layer on paused tokio time: exact holds, independent buckets, the
//! concurrent-limit signal, and pacing against a simulated Okta with several callers.
//!
//! One file past 500 lines on purpose: the cases share one set of scripted servers and the
//! simulated Okta (`Okta`, `paced`) they run against.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use okta_idsrc_core::operations::{CreateIdentitySourceSession, GetIdentitySourceSession};
use okta_idsrc_core::transport::BoxError;
use okta_idsrc_core::{Operation, OperationInfo};
use okta_idsrc_ops::clock::{Clock, FastRandom, FixedRandom, Random, TokioClock};
use okta_idsrc_ops::rate_limit::{RateLimitConfig, RateLimitLayer, RateLimitService};
use okta_idsrc_ops::test_util::bare_response;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tower::{Layer, Service, ServiceExt};

use crate::clock::{T, at, secs};

const GENERAL: OperationInfo = GetIdentitySourceSession::INFO;
const SESSION_CREATE: OperationInfo = CreateIdentitySourceSession::INFO;

fn request(host: &str, info: OperationInfo) -> Request<Bytes> {
    let mut request = Request::builder()
        .uri(format!(
            "https://{host}/api/v1/identity-sources/0oa1/sessions"
        ))
        .body(Bytes::new())
        .unwrap();
    request.extensions_mut().insert(info);
    request
}

fn acme() -> Request<Bytes> {
    request("acme.okta.com", GENERAL)
}

/// A response with the rate-limit headers `(limit, remaining, reset)` and a `Date`.
fn limited(status: u16, date: u64, limit: u64, remaining: u64, reset: u64) -> Response<Bytes> {
    let (date, limit) = (crate::clock::date(date), limit.to_string());
    let (remaining, reset) = (remaining.to_string(), reset.to_string());
    bare_response(
        status,
        "",
        &[
            ("date", &date),
            ("x-rate-limit-limit", &limit),
            ("x-rate-limit-remaining", &remaining),
            ("x-rate-limit-reset", &reset),
        ],
    )
}

fn plain(status: u16) -> Response<Bytes> {
    bare_response(status, "", &[])
}

/// Answers the first request at once with [`limited`]`(status, date, limit, remaining,
/// reset)`, and every other one at once with a plain 200.
fn first_limited(
    status: u16,
    date: u64,
    limit: u64,
    remaining: u64,
    reset: u64,
) -> impl Fn(usize) -> (Duration, Response<Bytes>) + Send + Sync + 'static {
    move |n| {
        let response = if n == 0 {
            limited(status, date, limit, remaining, reset)
        } else {
            plain(200)
        };
        (Duration::ZERO, response)
    }
}

/// What the server saw: each request's arrival and URI authority, and the most requests it
/// had in flight at once.
#[derive(Clone, Default)]
struct Recorder {
    arrivals: Arc<Mutex<Vec<(Instant, String)>>>,
    in_flight: Arc<AtomicUsize>,
    max_in_flight: Arc<AtomicUsize>,
}

impl Recorder {
    fn arrivals(&self) -> Vec<Duration> {
        let start = self.arrivals.lock().unwrap().first().map(|a| a.0);
        self.arrivals
            .lock()
            .unwrap()
            .iter()
            .map(|a| a.0 - start.unwrap())
            .collect()
    }

    fn reset_max(&self) {
        self.max_in_flight
            .store(self.in_flight.load(Ordering::SeqCst), Ordering::SeqCst);
    }

    fn max(&self) -> usize {
        self.max_in_flight.load(Ordering::SeqCst)
    }
}

/// A server answering the `n`th request (from 0) with `respond(n)`: a delay, then a response.
fn server<F>(
    recorder: &Recorder,
    respond: F,
) -> impl Service<Request<Bytes>, Response = Response<Bytes>, Error = BoxError, Future: Send>
+ Clone
+ Send
+ use<F>
where
    F: Fn(usize) -> (Duration, Response<Bytes>) + Send + Sync + 'static,
{
    let recorder = recorder.clone();
    let respond = Arc::new(respond);
    tower::service_fn(move |request: Request<Bytes>| {
        let recorder = recorder.clone();
        let respond = Arc::clone(&respond);
        async move {
            let n = {
                let mut arrivals = recorder.arrivals.lock().unwrap();
                arrivals.push((
                    Instant::now(),
                    request.uri().authority().unwrap().to_string(),
                ));
                arrivals.len() - 1
            };
            let now = recorder.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            recorder.max_in_flight.fetch_max(now, Ordering::SeqCst);
            let (delay, response) = respond(n);
            tokio::time::sleep(delay).await;
            recorder.in_flight.fetch_sub(1, Ordering::SeqCst);
            Ok::<_, BoxError>(response)
        }
    })
}

/// Answers the first request after `first_after` with Okta's concurrent-limit signal (a
/// 429 with limit and remaining 0), and every other one after `others_after` with a plain
/// 200.
fn signal_first(
    first_after: Duration,
    others_after: Duration,
) -> impl Fn(usize) -> (Duration, Response<Bytes>) + Send + Sync + 'static {
    move |n| match n {
        0 => (first_after, limited(429, T, 0, 0, T + 60)),
        _ => (others_after, plain(200)),
    }
}

fn layer(random: f64) -> RateLimitLayer {
    RateLimitLayer::new(RateLimitConfig {
        clock: Arc::new(TokioClock::starting_at(at(T))),
        random: Arc::new(FixedRandom(random)),
        max_wait: secs(75),
    })
}

/// A limiter over a [`server`], and what the server saw.
struct Paced<S> {
    recorder: Recorder,
    layer: RateLimitLayer,
    service: RateLimitService<S>,
}

/// A limiter with jitter `random` over a server answering the `n`th request with
/// `respond(n)`.
fn paced<F>(
    random: f64,
    respond: F,
) -> Paced<
    impl Service<Request<Bytes>, Response = Response<Bytes>, Error = BoxError, Future: Send>
    + Clone
    + Send
    + 'static,
>
where
    F: Fn(usize) -> (Duration, Response<Bytes>) + Send + Sync + 'static,
{
    let recorder = Recorder::default();
    let layer = layer(random);
    let service = layer.layer(server(&recorder, respond));
    Paced {
        recorder,
        layer,
        service,
    }
}

impl<S> Paced<S>
where
    RateLimitService<S>: Service<Request<Bytes>, Response = Response<Bytes>, Error = BoxError>
        + Clone
        + Send
        + 'static,
    <RateLimitService<S> as Service<Request<Bytes>>>::Future: Send,
{
    /// Sends `request` and waits for its answer.
    async fn send(&self, request: Request<Bytes>) {
        self.service.clone().oneshot(request).await.unwrap();
    }

    /// Sends `n` requests to acme at once, each on its own task.
    fn spawn(&self, n: usize) -> Vec<JoinHandle<Result<Response<Bytes>, BoxError>>> {
        (0..n)
            .map(|_| tokio::spawn(self.service.clone().oneshot(acme())))
            .collect()
    }
}

/// Waits for every call, which must succeed.
async fn join(calls: impl IntoIterator<Item = JoinHandle<Result<Response<Bytes>, BoxError>>>) {
    for call in calls {
        call.await.unwrap().unwrap();
    }
}

#[tokio::test(start_paused = true)]
async fn a_used_up_window_holds_the_next_request_until_reset_plus_one_second() {
    for (random, jitter) in [(0.0, Duration::ZERO), (0.5, Duration::from_millis(125))] {
        let paced = paced(random, first_limited(200, T, 10, 0, T + 20));
        paced.send(acme()).await;
        paced.send(acme()).await;
        // The window is over: the next one goes at once.
        paced.send(acme()).await;
        let held = secs(21) + jitter;
        assert_eq!(paced.recorder.arrivals(), [Duration::ZERO, held, held]);
        assert_eq!(paced.layer.stats().held, 1);
        assert_eq!(paced.layer.stats().held_for, held);
    }
}

#[tokio::test(start_paused = true)]
async fn remaining_requests_pass_at_once_and_are_counted_down_locally() {
    // Only the first response tells anything: two left in a window resetting at T + 60.
    let paced = paced(0.0, |n| {
        if n == 0 {
            (Duration::ZERO, limited(200, T, 10, 2, T + 60))
        } else {
            (secs(1), plain(200))
        }
    });
    paced.send(acme()).await;
    join(paced.spawn(3)).await;
    assert_eq!(
        paced.recorder.arrivals(),
        [Duration::ZERO, Duration::ZERO, Duration::ZERO, secs(61)]
    );
    assert_eq!(paced.layer.stats().held, 1);
}

#[tokio::test(start_paused = true)]
async fn a_newer_reset_replaces_the_window() {
    let paced = paced(0.0, |n| match n {
        0 => (secs(1), limited(200, T + 1, 10, 0, T + 20)),
        1 => (secs(2), limited(200, T + 2, 30, 29, T + 80)),
        _ => (Duration::ZERO, plain(200)),
    });
    join(paced.spawn(2)).await;
    paced.send(acme()).await;
    assert_eq!(
        paced.recorder.arrivals(),
        [Duration::ZERO, Duration::ZERO, secs(2)]
    );
    assert_eq!(paced.layer.stats().held, 0);
}

#[tokio::test(start_paused = true)]
async fn buckets_and_hosts_are_independent() {
    let paced = paced(0.0, first_limited(429, T, 10, 0, T + 20));
    paced.send(acme()).await;
    paced.send(request("acme.okta.com", SESSION_CREATE)).await;
    paced.send(request("other.okta.com", GENERAL)).await;
    // Without OperationInfo: the general bucket, held.
    let mut bare = acme();
    bare.extensions_mut().clear();
    paced.send(bare).await;
    assert_eq!(
        paced.recorder.arrivals(),
        [Duration::ZERO, Duration::ZERO, Duration::ZERO, secs(21)]
    );
    let hosts: Vec<String> = paced
        .recorder
        .arrivals
        .lock()
        .unwrap()
        .iter()
        .map(|a| a.1.clone())
        .collect();
    assert_eq!(
        hosts,
        [
            "acme.okta.com",
            "acme.okta.com",
            "other.okta.com",
            "acme.okta.com"
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn without_headers_requests_go_freely() {
    let paced = paced(0.0, |_| (secs(1), plain(200)));
    join(paced.spawn(20)).await;
    assert_eq!(paced.recorder.arrivals(), vec![Duration::ZERO; 20]);
    assert_eq!(paced.recorder.max(), 20);
    assert_eq!(paced.layer.stats().held, 0);
}

#[tokio::test(start_paused = true)]
async fn a_hold_never_exceeds_max_wait() {
    let paced = paced(0.0, first_limited(200, T, 10, 0, T + 3_600));
    paced.send(acme()).await;
    paced.send(acme()).await;
    assert_eq!(paced.recorder.arrivals(), [Duration::ZERO, secs(75)]);
}

#[tokio::test(start_paused = true)]
async fn the_server_date_corrects_a_skewed_clock() {
    // The server's clock is 10 s ahead of ours: its reset is 21 s away, not 31.
    let paced = paced(0.0, first_limited(200, T + 10, 10, 0, T + 30));
    paced.send(acme()).await;
    paced.send(acme()).await;
    assert_eq!(paced.recorder.arrivals(), [Duration::ZERO, secs(21)]);
}

#[tokio::test(start_paused = true)]
async fn the_concurrent_limit_signal_holds_new_requests_until_a_slot_frees() {
    // The first request is refused by the concurrent limit after 100 ms; the other three
    // take 10 s.
    let paced = paced(0.0, signal_first(Duration::from_millis(100), secs(10)));
    let first = paced.spawn(4);
    tokio::time::sleep(secs(1)).await;
    // Cap: one below the four in flight. Three are still in flight: the next two wait.
    let second = paced.spawn(2);
    join(first.into_iter().chain(second)).await;
    assert_eq!(
        paced.recorder.arrivals(),
        [
            Duration::ZERO,
            Duration::ZERO,
            Duration::ZERO,
            Duration::ZERO,
            secs(10),
            secs(10)
        ]
    );
    assert_eq!(paced.layer.stats().concurrency_signals, 1);
    assert_eq!(paced.layer.stats().held, 2);
}

#[tokio::test(start_paused = true)]
async fn the_concurrent_limit_signal_caps_then_slowly_lifts_concurrency() {
    let paced = paced(0.0, signal_first(Duration::from_millis(500), secs(1)));
    // Two in flight, one gets the signal: cap 1.
    let pair = paced.spawn(2);
    tokio::time::sleep(Duration::from_millis(600)).await;
    paced.recorder.reset_max();
    let started = Instant::now();
    // Five more wait for the second of the pair (until 1 s); its success raises the cap to
    // 2: two go (until 2 s); their successes raise it to 4: the last three go (until 3 s).
    let five = paced.spawn(5);
    join(pair.into_iter().chain(five)).await;
    assert_eq!(
        paced.recorder.max(),
        3,
        "at most three in flight after the signal, not five"
    );
    assert_eq!(started.elapsed(), Duration::from_millis(2_400));
    let arrivals = paced.recorder.arrivals();
    assert_eq!(arrivals[2..], [secs(1), secs(1), secs(2), secs(2), secs(2)]);
}

/// A simulated Okta: `limit` requests a 60 s window, answering 429 beyond it, with a random
/// network delay each way. Fixed windows follow each other; lazy ones start at the first
/// request after the last one ended.
struct Okta {
    limit: u64,
    lazy: bool,
    clock: TokioClock,
    random: FastRandom,
    window: Mutex<(u64, u64)>,
    ok: AtomicUsize,
    refused: AtomicUsize,
}

impl Okta {
    fn new(limit: u64, lazy: bool) -> Arc<Self> {
        Arc::new(Self {
            limit,
            lazy,
            clock: TokioClock::starting_at(at(T)),
            random: FastRandom::seeded(limit),
            window: Mutex::new((T, 0)),
            ok: AtomicUsize::new(0),
            refused: AtomicUsize::new(0),
        })
    }

    fn delay(&self) -> Duration {
        Duration::from_millis(10 + (self.random.fraction() * 70.0) as u64)
    }

    /// Counts one request at the current time and answers it.
    fn answer(&self) -> Response<Bytes> {
        let now = self.clock.now();
        let now_secs = now.duration_since(UNIX_EPOCH).unwrap().as_secs();
        let mut window = self.window.lock().unwrap();
        if now_secs >= window.0 {
            window.0 = if self.lazy {
                now_secs + 60
            } else {
                window.0 + 60 * ((now_secs - window.0) / 60 + 1)
            };
            window.1 = 0;
        }
        let (status, remaining) = if window.1 < self.limit {
            window.1 += 1;
            self.ok.fetch_add(1, Ordering::SeqCst);
            (StatusCode::OK, self.limit - window.1)
        } else {
            self.refused.fetch_add(1, Ordering::SeqCst);
            (StatusCode::TOO_MANY_REQUESTS, 0)
        };
        Response::builder()
            .status(status)
            .header("date", httpdate::fmt_http_date(now))
            .header("x-rate-limit-limit", self.limit)
            .header("x-rate-limit-remaining", remaining)
            .header("x-rate-limit-reset", window.0)
            .body(Bytes::new())
            .unwrap()
    }
}

/// `okta` behind a random network delay each way.
fn okta_service(
    okta: Arc<Okta>,
) -> impl Service<Request<Bytes>, Response = Response<Bytes>, Error = BoxError, Future: Send>
+ Clone
+ Send
+ 'static {
    tower::service_fn(move |_request: Request<Bytes>| {
        let okta = Arc::clone(&okta);
        async move {
            tokio::time::sleep(okta.delay()).await;
            let response = okta.answer();
            tokio::time::sleep(okta.delay()).await;
            Ok::<_, BoxError>(response)
        }
    })
}

/// Runs `workers` callers in a loop for `minutes` against `okta`; returns (successes, 429s).
async fn run_paced(okta: Arc<Okta>, workers: usize, minutes: u64) -> (usize, usize) {
    let layer = RateLimitLayer::new(RateLimitConfig {
        clock: Arc::new(TokioClock::starting_at(at(T))),
        random: Arc::new(FastRandom::seeded(7)),
        max_wait: secs(75),
    });
    let service = layer.layer(okta_service(Arc::clone(&okta)));
    let end = Instant::now() + secs(60 * minutes);
    let tasks: Vec<_> = (0..workers)
        .map(|_| {
            let service = service.clone();
            tokio::spawn(async move {
                while Instant::now() < end {
                    service.clone().oneshot(acme()).await.unwrap();
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    (
        okta.ok.load(Ordering::SeqCst),
        okta.refused.load(Ordering::SeqCst),
    )
}

/// The goal the importer measures: at least 95 % of the limit, at most 1 % of requests 429.
fn assert_paced(limit: u64, minutes: u64, (ok, refused): (usize, usize)) {
    let allowed = (limit * minutes) as f64;
    assert!(
        ok as f64 >= 0.95 * allowed,
        "{ok} successes of {allowed} allowed"
    );
    assert!(
        refused as f64 <= 0.01 * (ok + refused) as f64,
        "{refused} 429s for {ok} successes"
    );
    // Better than the goal: the estimate never overshoots, whatever the processing order.
    assert_eq!(refused, 0);
}

/// Paces each case of `limit` requests a window and `workers` callers for ten minutes
/// against a simulated Okta with fixed or `lazy` windows.
async fn paces_every_case(lazy: bool) {
    for (limit, workers) in [(60, 8), (100, 16), (600, 8), (15, 4)] {
        let okta = Okta::new(limit, lazy);
        let result = run_paced(okta, workers, 10).await;
        assert_paced(limit, 10, result);
    }
}

#[tokio::test(start_paused = true)]
async fn paces_fixed_windows_with_several_callers() {
    paces_every_case(false).await;
}

#[tokio::test(start_paused = true)]
async fn paces_lazily_started_windows_with_several_callers() {
    paces_every_case(true).await;
}

#[tokio::test(start_paused = true)]
async fn a_held_request_shows_in_holds_with_the_time_left() {
    use okta_idsrc_ops::HoldReason;
    let paced = paced(0.0, first_limited(200, T, 10, 0, T + 20));
    assert!(paced.layer.holds().is_empty());
    paced.send(acme()).await;
    let held = tokio::spawn(paced.service.clone().oneshot(acme()));
    tokio::time::sleep(secs(5)).await;
    let holds = paced.layer.holds();
    assert_eq!(holds.len(), 1, "{holds:?}");
    assert_eq!(holds[0].reason, HoldReason::RateLimitWindow);
    assert_eq!(holds[0].held_for, secs(5));
    // Reset + 1 s from the first answer (T + 21 s), 5 s of which are gone.
    assert_eq!(holds[0].left, Some(secs(16)));
    held.await.unwrap().unwrap();
    assert!(paced.layer.holds().is_empty(), "over once sent");
}
