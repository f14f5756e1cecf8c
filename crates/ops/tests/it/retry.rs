//! The retry layer on paused tokio time, against scripted services: exact waits, what is
//! retried and what is not, the limits, and the headers of every attempt.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, Uri, Version};
use okta_idsrc_core::headers::{X_OKTA_RETRY_COUNT, X_OKTA_RETRY_FOR};
use okta_idsrc_core::transport::BoxError;
use okta_idsrc_core::{
    Idempotency, OperationInfo, RateLimitBucket, TransportError, TransportErrorKind,
};
use okta_idsrc_ops::clock::{FixedRandom, TokioClock};
use okta_idsrc_ops::retry::{RetryBudget, RetryConfig, RetryLayer};
use tokio::time::Instant;
use tower::{Layer, Service, ServiceExt};

const T: u64 = 1_700_000_000;

const GET_SESSION: OperationInfo = OperationInfo::new(
    "getIdentitySourceSession",
    Idempotency::Idempotent,
    RateLimitBucket::General,
);
const BULK_UPSERT: OperationInfo = OperationInfo::new(
    "uploadIdentitySourceDataForUpsert",
    Idempotency::Idempotent,
    RateLimitBucket::General,
);
const START_IMPORT: OperationInfo = OperationInfo::new(
    "startImportFromIdentitySource",
    Idempotency::NonIdempotent,
    RateLimitBucket::General,
);

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

fn date(secs: u64) -> String {
    httpdate::fmt_http_date(at(secs))
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A canned outcome of one attempt.
enum Reply {
    Response(Response<Bytes>),
    Fail(TransportErrorKind),
}

fn reply(status: u16, headers: &[(&str, &str)]) -> Reply {
    let mut builder = Response::builder().status(status);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    Reply::Response(builder.body(Bytes::from_static(b"{}")).unwrap())
}

/// What the scripted service received.
#[derive(Debug, Clone)]
struct Seen {
    at: Instant,
    method: Method,
    uri: Uri,
    version: Version,
    headers: HeaderMap,
    body: Bytes,
    info: Option<OperationInfo>,
}

/// A service answering from a queue of canned replies and recording every request.
#[derive(Clone)]
struct Script {
    replies: Arc<Mutex<VecDeque<Reply>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Script {
    fn new(replies: impl IntoIterator<Item = Reply>) -> Self {
        Self {
            replies: Arc::new(Mutex::new(replies.into_iter().collect())),
            seen: Arc::new(Mutex::new(Vec::new())),
        }
    }

    fn service(
        &self,
    ) -> impl Service<Request<Bytes>, Response = Response<Bytes>, Error = BoxError, Future: Send>
    + Clone
    + Send
    + 'static {
        let script = self.clone();
        tower::service_fn(move |request: Request<Bytes>| {
            let script = script.clone();
            async move {
                script.seen.lock().unwrap().push(Seen {
                    at: Instant::now(),
                    method: request.method().clone(),
                    uri: request.uri().clone(),
                    version: request.version(),
                    headers: request.headers().clone(),
                    body: request.body().clone(),
                    info: OperationInfo::of(&request).copied(),
                });
                match script
                    .replies
                    .lock()
                    .unwrap()
                    .pop_front()
                    .expect("a reply is scripted")
                {
                    Reply::Response(r) => Ok(r),
                    Reply::Fail(kind) => Err(BoxError::from(TransportError::new(
                        kind,
                        "scripted failure",
                    ))),
                }
            }
        })
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// The time between each request and the next.
    fn gaps(&self) -> Vec<Duration> {
        self.seen().windows(2).map(|w| w[1].at - w[0].at).collect()
    }

    fn left(&self) -> usize {
        self.replies.lock().unwrap().len()
    }
}

fn request(info: OperationInfo) -> Request<Bytes> {
    let mut request = Request::builder()
        .method(Method::POST)
        .uri("https://acme.okta.com/api/v1/identity-sources/0oa1/sessions/aps1/bulk-upsert")
        .version(Version::HTTP_11)
        .header("authorization", "SSWS secret")
        .header("content-type", "application/json")
        .body(Bytes::from_static(
            br#"{"entityType":"USERS","profiles":[]}"#,
        ))
        .unwrap();
    request.extensions_mut().insert(info);
    request
}

/// Exact timing: the wall clock starts at `T` and follows tokio time; jitter is half its
/// range; no budget limit.
fn config() -> RetryConfig {
    RetryConfig::default()
        .with_clock(Arc::new(TokioClock::starting_at(at(T))))
        .with_random(Arc::new(FixedRandom(0.5)))
        .with_budget(RetryBudget::unlimited())
}

async fn send(
    layer: &RetryLayer,
    script: &Script,
    request: Request<Bytes>,
) -> Result<Response<Bytes>, BoxError> {
    layer.layer(script.service()).oneshot(request).await
}

fn kind_of(error: &BoxError) -> TransportErrorKind {
    TransportError::find_in(error.as_ref())
        .expect("a transport error")
        .kind()
}

#[tokio::test(start_paused = true)]
async fn rate_limited_waits_reset_minus_date_plus_one_second_plus_jitter() {
    let reset = (T + 30).to_string();
    let script = Script::new([
        reply(
            429,
            &[
                ("date", &date(T)),
                ("x-rate-limit-reset", &reset),
                ("x-okta-request-id", "r1"),
            ],
        ),
        reply(200, &[]),
    ]);
    // The clock is far off: the Date header wins.
    let layer =
        RetryLayer::new(config().with_clock(Arc::new(TokioClock::starting_at(at(T + 1_000)))));
    let response = send(&layer, &script, request(GET_SESSION)).await.unwrap();
    assert_eq!(response.status(), 200);
    // 30 s to the reset, 1 s of margin, and half of the 500 ms jitter.
    assert_eq!(script.gaps(), [Duration::from_secs(31) + ms(250)]);
    let stats = layer.stats();
    assert_eq!((stats.retries, stats.rate_limited), (1, 1));
}

#[tokio::test(start_paused = true)]
async fn the_smallest_reset_wins() {
    let script = Script::new([
        reply(
            429,
            &[
                ("date", &date(T)),
                ("x-rate-limit-reset", &format!("{}, {}", T + 50, T + 40)),
                ("x-rate-limit-reset", &(T + 10).to_string()),
                ("x-rate-limit-reset", &(T + 20).to_string()),
            ],
        ),
        reply(200, &[]),
    ]);
    let layer = RetryLayer::new(config().with_random(Arc::new(FixedRandom(0.0))));
    send(&layer, &script, request(GET_SESSION)).await.unwrap();
    assert_eq!(script.gaps(), [Duration::from_secs(11)]);
}

#[tokio::test(start_paused = true)]
async fn a_reset_in_the_past_waits_one_second() {
    let script = Script::new([
        reply(
            429,
            &[
                ("date", &date(T)),
                ("x-rate-limit-reset", &(T - 30).to_string()),
            ],
        ),
        reply(200, &[]),
    ]);
    let layer = RetryLayer::new(config().with_random(Arc::new(FixedRandom(0.0))));
    send(&layer, &script, request(GET_SESSION)).await.unwrap();
    assert_eq!(script.gaps(), [Duration::from_secs(1)]);
}

#[tokio::test(start_paused = true)]
async fn without_date_the_clock_is_now() {
    let script = Script::new([
        reply(429, &[("x-rate-limit-reset", &(T + 30).to_string())]),
        reply(200, &[]),
    ]);
    let layer = RetryLayer::new(config());
    // The tokio clock moves the wall clock: it reads T + 7 when the 429 arrives.
    tokio::time::sleep(Duration::from_secs(7)).await;
    send(&layer, &script, request(GET_SESSION)).await.unwrap();
    assert_eq!(script.gaps(), [Duration::from_secs(24) + ms(250)]);
}

#[tokio::test(start_paused = true)]
async fn a_long_reset_is_clamped() {
    let script = Script::new([
        reply(
            429,
            &[
                ("date", &date(T)),
                ("x-rate-limit-reset", &(T + 600).to_string()),
            ],
        ),
        reply(200, &[]),
    ]);
    let layer = RetryLayer::new(
        config()
            .with_deadline(None)
            .with_max_rate_limit_wait(Duration::from_secs(40)),
    );
    send(&layer, &script, request(GET_SESSION)).await.unwrap();
    assert_eq!(script.gaps(), [Duration::from_secs(40) + ms(250)]);
}

#[tokio::test(start_paused = true)]
async fn retry_after_when_there_is_no_reset() {
    let script = Script::new([
        reply(429, &[("retry-after", "7"), ("x-rate-limit-reset", "soon")]),
        reply(200, &[]),
    ]);
    let layer = RetryLayer::new(config());
    send(&layer, &script, request(GET_SESSION)).await.unwrap();
    assert_eq!(script.gaps(), [Duration::from_secs(7) + ms(250)]);
}

#[tokio::test(start_paused = true)]
async fn a_429_without_headers_backs_off_and_never_spins() {
    let script = Script::new([reply(429, &[]), reply(429, &[]), reply(200, &[])]);
    let layer = RetryLayer::new(config());
    send(&layer, &script, request(GET_SESSION)).await.unwrap();
    // Half of 200 ms, then half of 400 ms.
    assert_eq!(script.gaps(), [ms(100), ms(200)]);

    // Zero jitter: still the 50 ms floor.
    let script = Script::new([reply(429, &[]), reply(200, &[])]);
    let layer = RetryLayer::new(config().with_random(Arc::new(FixedRandom(0.0))));
    send(&layer, &script, request(GET_SESSION)).await.unwrap();
    assert_eq!(script.gaps(), [ms(50)]);
}

#[tokio::test(start_paused = true)]
async fn a_429_is_retried_for_a_non_idempotent_operation() {
    let script = Script::new([reply(429, &[("retry-after", "2")]), reply(200, &[])]);
    let layer = RetryLayer::new(config().with_random(Arc::new(FixedRandom(0.0))));
    let response = send(&layer, &script, request(START_IMPORT)).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(script.gaps(), [Duration::from_secs(2)]);
}

#[tokio::test(start_paused = true)]
async fn server_errors_back_off_exactly_for_idempotent_operations() {
    let script = Script::new([
        reply(503, &[]),
        reply(500, &[]),
        reply(502, &[]),
        reply(200, &[]),
    ]);
    let layer = RetryLayer::new(config().with_random(Arc::new(FixedRandom(0.75))));
    let response = send(&layer, &script, request(BULK_UPSERT)).await.unwrap();
    assert_eq!(response.status(), 200);
    // 3/4 of 200, 400 and 800 ms.
    assert_eq!(script.gaps(), [ms(150), ms(300), ms(600)]);
    assert_eq!(layer.stats().retries, 3);
    assert_eq!(layer.stats().rate_limited, 0);
}

#[tokio::test(start_paused = true)]
async fn backoff_is_capped_at_max_backoff() {
    let script = Script::new([
        reply(504, &[]),
        reply(504, &[]),
        reply(504, &[]),
        reply(504, &[]),
        reply(200, &[]),
    ]);
    let layer = RetryLayer::new(
        config()
            .with_max_attempts(5)
            .with_random(Arc::new(FixedRandom(0.5)))
            .with_base_backoff(Duration::from_secs(1))
            .with_max_backoff(Duration::from_secs(3)),
    );
    send(&layer, &script, request(GET_SESSION)).await.unwrap();
    assert_eq!(script.gaps(), [ms(500), ms(1_000), ms(1_500), ms(1_500)]);
}

#[tokio::test(start_paused = true)]
async fn server_errors_are_not_retried_for_non_idempotent_operations() {
    for status in [500, 502, 503, 504] {
        let script = Script::new([
            reply(status, &[("x-okta-request-id", "r1")]),
            reply(200, &[]),
        ]);
        let layer = RetryLayer::new(config());
        let response = send(&layer, &script, request(START_IMPORT)).await.unwrap();
        assert_eq!(response.status(), status);
        assert_eq!(script.seen().len(), 1);
        assert_eq!(layer.stats().retries, 0);
    }
}

#[tokio::test(start_paused = true)]
async fn a_request_without_operation_info_is_not_idempotent() {
    let script = Script::new([reply(503, &[]), reply(200, &[])]);
    let layer = RetryLayer::new(config());
    let mut plain = request(GET_SESSION);
    plain.extensions_mut().clear();
    let response = send(&layer, &script, plain).await.unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(script.seen().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn other_statuses_are_returned_at_once() {
    for status in [200, 201, 202, 204, 400, 401, 403, 404, 409, 501] {
        let script = Script::new([reply(status, &[]), reply(200, &[])]);
        let layer = RetryLayer::new(config());
        let started = Instant::now();
        let response = send(&layer, &script, request(GET_SESSION)).await.unwrap();
        assert_eq!(response.status(), status);
        assert_eq!(script.seen().len(), 1, "{status}");
        assert_eq!(started.elapsed(), Duration::ZERO);
    }
}

#[tokio::test(start_paused = true)]
async fn a_connect_error_is_retried_for_every_operation() {
    let script = Script::new([Reply::Fail(TransportErrorKind::Connect), reply(200, &[])]);
    let layer = RetryLayer::new(config());
    let response = send(&layer, &script, request(START_IMPORT)).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(script.gaps(), [ms(100)]);
    let retry = &script.seen()[1];
    // No response, no request id: no X-Okta-Retry-For.
    assert!(retry.headers.get(X_OKTA_RETRY_FOR).is_none());
    assert_eq!(retry.headers[X_OKTA_RETRY_COUNT], "1");
}

#[tokio::test(start_paused = true)]
async fn a_timeout_is_retried_only_for_idempotent_operations() {
    let script = Script::new([Reply::Fail(TransportErrorKind::Timeout), reply(200, &[])]);
    let layer = RetryLayer::new(config());
    let error = send(&layer, &script, request(START_IMPORT))
        .await
        .unwrap_err();
    assert_eq!(kind_of(&error), TransportErrorKind::Timeout);
    assert_eq!(script.seen().len(), 1);

    for kind in [
        TransportErrorKind::Timeout,
        TransportErrorKind::Io,
        TransportErrorKind::Other,
    ] {
        let script = Script::new([Reply::Fail(kind), reply(200, &[])]);
        let response = send(&layer, &script, request(BULK_UPSERT)).await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(script.gaps(), [ms(100)], "{kind:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn refused_and_body_too_large_are_never_retried() {
    for kind in [
        TransportErrorKind::Refused,
        TransportErrorKind::BodyTooLarge,
    ] {
        let script = Script::new([Reply::Fail(kind), reply(200, &[])]);
        let layer = RetryLayer::new(config());
        let error = send(&layer, &script, request(GET_SESSION))
            .await
            .unwrap_err();
        assert_eq!(kind_of(&error), kind);
        assert_eq!(script.seen().len(), 1);
    }
}

#[tokio::test(start_paused = true)]
async fn the_deadline_is_checked_before_sleeping() {
    // A 31 s wait does not fit in a 10 s deadline: the 429 comes back at once.
    let script = Script::new([
        reply(
            429,
            &[
                ("date", &date(T)),
                ("x-rate-limit-reset", &(T + 30).to_string()),
                ("x-okta-request-id", "r1"),
            ],
        ),
        reply(200, &[]),
    ]);
    let layer = RetryLayer::new(config().with_deadline(Some(Duration::from_secs(10))));
    let started = Instant::now();
    let response = send(&layer, &script, request(GET_SESSION)).await.unwrap();
    assert_eq!(started.elapsed(), Duration::ZERO);
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["x-okta-request-id"], "r1");
    assert_eq!(script.seen().len(), 1);
    assert_eq!((layer.stats().retries, layer.stats().rate_limited), (0, 1));
}

#[tokio::test(start_paused = true)]
async fn one_deadline_spans_all_attempts() {
    let script = Script::new((0..10).map(|_| reply(503, &[])));
    // Waits of 100, 200, then 400 ms: the third would end at 700 ms, past 350 ms.
    let layer = RetryLayer::new(config().with_max_attempts(10).with_deadline(Some(ms(350))));
    let started = Instant::now();
    let response = send(&layer, &script, request(GET_SESSION)).await.unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(script.gaps(), [ms(100), ms(200)]);
    assert_eq!(started.elapsed(), ms(300));
}

#[tokio::test(start_paused = true)]
async fn max_attempts_returns_the_last_response() {
    let script =
        Script::new((1..=5).map(|i| reply(503, &[("x-okta-request-id", &format!("r{i}"))])));
    let layer = RetryLayer::new(config());
    let response = send(&layer, &script, request(GET_SESSION)).await.unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["x-okta-request-id"], "r4");
    assert_eq!(script.seen().len(), 4);
    assert_eq!(script.left(), 1);

    let script = Script::new([
        Reply::Fail(TransportErrorKind::Io),
        Reply::Fail(TransportErrorKind::Io),
        reply(200, &[]),
    ]);
    let layer = RetryLayer::new(config().with_max_attempts(2));
    let error = send(&layer, &script, request(GET_SESSION))
        .await
        .unwrap_err();
    assert_eq!(kind_of(&error), TransportErrorKind::Io);
    assert_eq!(script.seen().len(), 2);

    let script = Script::new([reply(429, &[]), reply(200, &[])]);
    let layer = RetryLayer::new(RetryConfig::disabled());
    assert_eq!(
        send(&layer, &script, request(GET_SESSION))
            .await
            .unwrap()
            .status(),
        429
    );
    assert_eq!(script.seen().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn the_budget_is_shared_across_clones() {
    // Two retries' worth (5 tokens each), 10 for a transport error, 1 back per success.
    let budget = RetryBudget::with_costs(10, 5, 10, 1);
    let layer = RetryLayer::new(config().with_budget(budget.clone()));

    let script = Script::new((0..4).map(|_| reply(503, &[])));
    let first = layer.layer(script.service());
    let second = first.clone();
    let response = first.oneshot(request(GET_SESSION)).await.unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(
        script.seen().len(),
        3,
        "two retries, then the budget is spent"
    );
    assert_eq!(budget.available(), Some(0));

    let response = second.oneshot(request(GET_SESSION)).await.unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(
        script.seen().len(),
        4,
        "the clone has no budget left either"
    );

    // A service from a clone of the layer shares it too; a success refills one token.
    let script = Script::new([reply(200, &[])]);
    let other = layer.clone();
    assert_eq!(
        send(&other, &script, request(GET_SESSION))
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(budget.available(), Some(1));
    assert_eq!(layer.stats().retries, 2);

    // Not enough for a transport error's 10 tokens.
    let script = Script::new([Reply::Fail(TransportErrorKind::Connect), reply(200, &[])]);
    assert!(send(&layer, &script, request(GET_SESSION)).await.is_err());
    assert_eq!(script.seen().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn retry_headers_are_set_on_every_retry_and_never_appended() {
    let script = Script::new([
        reply(503, &[("x-okta-request-id", "req-a")]),
        reply(429, &[("x-okta-request-id", "req-b"), ("retry-after", "1")]),
        reply(503, &[]),
        reply(200, &[("x-okta-request-id", "req-d")]),
    ]);
    let layer = RetryLayer::new(config());
    let mut original = request(BULK_UPSERT);
    original
        .headers_mut()
        .insert(X_OKTA_RETRY_FOR, "stale".parse().unwrap());
    original
        .headers_mut()
        .insert(X_OKTA_RETRY_COUNT, "99".parse().unwrap());
    let response = send(&layer, &script, original).await.unwrap();
    assert_eq!(response.headers()["x-okta-request-id"], "req-d");

    let seen = script.seen();
    assert_eq!(seen.len(), 4);
    let values = |i: usize, name| -> Vec<String> {
        seen[i]
            .headers
            .get_all(&name)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    };
    // The first attempt is the caller's request as it was.
    assert_eq!(values(0, X_OKTA_RETRY_FOR), ["stale"]);
    assert_eq!(values(0, X_OKTA_RETRY_COUNT), ["99"]);
    assert_eq!(values(1, X_OKTA_RETRY_FOR), ["req-a"]);
    assert_eq!(values(1, X_OKTA_RETRY_COUNT), ["1"]);
    assert_eq!(values(2, X_OKTA_RETRY_FOR), ["req-b"]);
    assert_eq!(values(2, X_OKTA_RETRY_COUNT), ["2"]);
    // The failed attempt had no request id: no X-Okta-Retry-For at all.
    assert!(values(3, X_OKTA_RETRY_FOR).is_empty());
    assert_eq!(values(3, X_OKTA_RETRY_COUNT), ["3"]);
}

#[tokio::test(start_paused = true)]
async fn every_attempt_carries_the_same_request() {
    let script = Script::new([
        reply(503, &[]),
        Reply::Fail(TransportErrorKind::Connect),
        reply(429, &[]),
        reply(204, &[]),
    ]);
    let layer = RetryLayer::new(config());
    let original = request(BULK_UPSERT);
    let response = send(&layer, &script, copy_of(&original)).await;
    assert_eq!(response.unwrap().status(), 204);

    let seen = script.seen();
    assert_eq!(seen.len(), 4);
    for (i, attempt) in seen.iter().enumerate() {
        assert_eq!(attempt.method, Method::POST, "attempt {i}");
        assert_eq!(attempt.uri, *original.uri(), "attempt {i}");
        assert_eq!(attempt.version, Version::HTTP_11, "attempt {i}");
        assert_eq!(attempt.body, *original.body(), "attempt {i}");
        assert_eq!(attempt.info, Some(BULK_UPSERT), "attempt {i}");
        assert_eq!(
            attempt.headers["authorization"], "SSWS secret",
            "attempt {i}"
        );
        assert_eq!(
            attempt.headers["content-type"], "application/json",
            "attempt {i}"
        );
        let mut rest = attempt.headers.clone();
        rest.remove(X_OKTA_RETRY_COUNT);
        rest.remove(X_OKTA_RETRY_FOR);
        assert_eq!(rest, *original.headers(), "attempt {i}");
    }
}

/// A copy of `request` with its `OperationInfo` (`http::Request` is not `Clone`, because
/// of its extensions).
fn copy_of(request: &Request<Bytes>) -> Request<Bytes> {
    let mut copy = Request::new(request.body().clone());
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.version_mut() = request.version();
    *copy.headers_mut() = request.headers().clone();
    if let Some(info) = OperationInfo::of(request) {
        copy.extensions_mut().insert(*info);
    }
    copy
}

#[tokio::test(start_paused = true)]
async fn a_concurrent_limit_429_waits_for_the_reset_too() {
    let script = Script::new([
        reply(
            429,
            &[
                ("date", &date(T)),
                ("x-rate-limit-limit", "0"),
                ("x-rate-limit-remaining", "0"),
                ("x-rate-limit-reset", &(T + 5).to_string()),
            ],
        ),
        reply(200, &[]),
    ]);
    let layer = RetryLayer::new(config().with_random(Arc::new(FixedRandom(0.0))));
    send(&layer, &script, request(GET_SESSION)).await.unwrap();
    assert_eq!(script.gaps(), [Duration::from_secs(6)]);
}
