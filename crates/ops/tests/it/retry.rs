//! The retry layer on paused tokio time, against scripted services: exact waits, what is
//! retried and what is not, the limits, and the headers of every attempt.
//!
//! One file past 500 lines on purpose: every case runs through the same scripted `Run` and
//! reply builders.

use std::fmt::Display;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, Response, Version};
use okta_idsrc_core::headers::{X_OKTA_RETRY_COUNT, X_OKTA_RETRY_FOR};
use okta_idsrc_core::operations::{
    GetIdentitySourceSession, StartImportFromIdentitySource, UploadIdentitySourceDataForUpsert,
};
use okta_idsrc_core::transport::BoxError;
use okta_idsrc_core::{Operation, OperationInfo, TransportError, TransportErrorKind};
use okta_idsrc_ops::clock::{FixedRandom, TokioClock};
use okta_idsrc_ops::retry::{RetryBudget, RetryConfig, RetryLayer};
use okta_idsrc_ops::test_util::{Reply, Scripted, bare_response};
use tokio::time::Instant;
use tower::{Layer, ServiceExt};

use crate::clock::{T, at, date, ms, secs};

const GET_SESSION: OperationInfo = GetIdentitySourceSession::INFO;
const BULK_UPSERT: OperationInfo = UploadIdentitySourceDataForUpsert::INFO;
const START_IMPORT: OperationInfo = StartImportFromIdentitySource::INFO;

fn reply(status: u16, headers: &[(&str, &str)]) -> Reply {
    Reply::Response(bare_response(status, "{}", headers))
}

fn ok() -> Reply {
    reply(200, &[])
}

fn fail(kind: TransportErrorKind) -> Reply {
    Reply::transport_error(kind)
}

/// A 429 dated `T` whose window resets at `reset`, with `extra` headers.
fn rate_limited(reset: impl Display, extra: &[(&str, &str)]) -> Reply {
    let (date, reset) = (date(T), reset.to_string());
    let mut headers = vec![
        ("date", date.as_str()),
        ("x-rate-limit-reset", reset.as_str()),
    ];
    headers.extend_from_slice(extra);
    reply(429, &headers)
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

/// [`config`] without jitter.
fn no_jitter() -> RetryConfig {
    config().with_random(Arc::new(FixedRandom(0.0)))
}

async fn send(
    layer: &RetryLayer,
    script: &Scripted,
    request: Request<Bytes>,
) -> Result<Response<Bytes>, BoxError> {
    layer.layer(script.clone()).oneshot(request).await
}

/// One request through a retry layer over a script: the layer, the script and the outcome.
struct Run {
    layer: RetryLayer,
    script: Scripted,
    outcome: Result<Response<Bytes>, BoxError>,
}

impl Run {
    /// The status of the response returned (which must be one).
    fn status(&self) -> u16 {
        self.outcome.as_ref().unwrap().status().as_u16()
    }

    /// The kind of the transport error returned (which must be one).
    fn error_kind(&self) -> TransportErrorKind {
        kind_of(self.outcome.as_ref().unwrap_err())
    }
}

/// Sends `request` through a new retry layer with `config` over a new script of `replies`.
async fn retry(
    config: RetryConfig,
    replies: impl IntoIterator<Item = Reply>,
    request: Request<Bytes>,
) -> Run {
    let script: Scripted = replies.into_iter().collect();
    let layer = RetryLayer::new(config);
    let outcome = send(&layer, &script, request).await;
    Run {
        layer,
        script,
        outcome,
    }
}

fn kind_of(error: &BoxError) -> TransportErrorKind {
    TransportError::find_in(error.as_ref())
        .expect("a transport error")
        .kind()
}

#[tokio::test(start_paused = true)]
async fn rate_limited_waits_reset_minus_date_plus_one_second_plus_jitter() {
    // The clock is far off: the Date header wins.
    let run = retry(
        config().with_clock(Arc::new(TokioClock::starting_at(at(T + 1_000)))),
        [rate_limited(T + 30, &[("x-okta-request-id", "r1")]), ok()],
        request(GET_SESSION),
    )
    .await;
    assert_eq!(run.status(), 200);
    // 30 s to the reset, 1 s of margin, and half of the 500 ms jitter.
    assert_eq!(run.script.gaps(), [secs(31) + ms(250)]);
    let stats = run.layer.stats();
    assert_eq!((stats.retries, stats.rate_limited), (1, 1));
}

#[tokio::test(start_paused = true)]
async fn the_smallest_reset_wins() {
    let smallest = reply(
        429,
        &[
            ("date", &date(T)),
            ("x-rate-limit-reset", &format!("{}, {}", T + 50, T + 40)),
            ("x-rate-limit-reset", &(T + 10).to_string()),
            ("x-rate-limit-reset", &(T + 20).to_string()),
        ],
    );
    let run = retry(no_jitter(), [smallest, ok()], request(GET_SESSION)).await;
    run.outcome.unwrap();
    assert_eq!(run.script.gaps(), [secs(11)]);
}

#[tokio::test(start_paused = true)]
async fn a_reset_in_the_past_waits_one_second() {
    let run = retry(
        no_jitter(),
        [rate_limited(T - 30, &[]), ok()],
        request(GET_SESSION),
    )
    .await;
    run.outcome.unwrap();
    assert_eq!(run.script.gaps(), [secs(1)]);
}

#[tokio::test(start_paused = true)]
async fn without_date_the_clock_is_now() {
    let config = config();
    // The tokio clock moves the wall clock: it reads T + 7 when the 429 arrives.
    tokio::time::sleep(secs(7)).await;
    let limited = reply(429, &[("x-rate-limit-reset", &(T + 30).to_string())]);
    let run = retry(config, [limited, ok()], request(GET_SESSION)).await;
    run.outcome.unwrap();
    assert_eq!(run.script.gaps(), [secs(24) + ms(250)]);
}

#[tokio::test(start_paused = true)]
async fn a_long_reset_is_clamped() {
    let clamped = config()
        .with_deadline(None)
        .with_max_rate_limit_wait(secs(40));
    let run = retry(
        clamped,
        [rate_limited(T + 600, &[]), ok()],
        request(GET_SESSION),
    )
    .await;
    run.outcome.unwrap();
    assert_eq!(run.script.gaps(), [secs(40) + ms(250)]);
}

#[tokio::test(start_paused = true)]
async fn retry_after_when_there_is_no_reset() {
    let limited = reply(429, &[("retry-after", "7"), ("x-rate-limit-reset", "soon")]);
    let run = retry(config(), [limited, ok()], request(GET_SESSION)).await;
    run.outcome.unwrap();
    assert_eq!(run.script.gaps(), [secs(7) + ms(250)]);
}

#[tokio::test(start_paused = true)]
async fn a_429_without_headers_backs_off_and_never_spins() {
    let replies = [reply(429, &[]), reply(429, &[]), ok()];
    let run = retry(config(), replies, request(GET_SESSION)).await;
    run.outcome.unwrap();
    // Half of 200 ms, then half of 400 ms.
    assert_eq!(run.script.gaps(), [ms(100), ms(200)]);

    // Zero jitter: still the 50 ms floor.
    let run = retry(no_jitter(), [reply(429, &[]), ok()], request(GET_SESSION)).await;
    run.outcome.unwrap();
    assert_eq!(run.script.gaps(), [ms(50)]);
}

#[tokio::test(start_paused = true)]
async fn a_429_is_retried_for_a_non_idempotent_operation() {
    let limited = reply(429, &[("retry-after", "2")]);
    let run = retry(no_jitter(), [limited, ok()], request(START_IMPORT)).await;
    assert_eq!(run.status(), 200);
    assert_eq!(run.script.gaps(), [secs(2)]);
}

#[tokio::test(start_paused = true)]
async fn server_errors_back_off_exactly_for_idempotent_operations() {
    let replies = [reply(503, &[]), reply(500, &[]), reply(502, &[]), ok()];
    let config = config().with_random(Arc::new(FixedRandom(0.75)));
    let run = retry(config, replies, request(BULK_UPSERT)).await;
    assert_eq!(run.status(), 200);
    // 3/4 of 200, 400 and 800 ms.
    assert_eq!(run.script.gaps(), [ms(150), ms(300), ms(600)]);
    assert_eq!(run.layer.stats().retries, 3);
    assert_eq!(run.layer.stats().rate_limited, 0);
}

#[tokio::test(start_paused = true)]
async fn backoff_is_capped_at_max_backoff() {
    let mut replies: Vec<Reply> = (0..4).map(|_| reply(504, &[])).collect();
    replies.push(ok());
    let config = config()
        .with_max_attempts(5)
        .with_random(Arc::new(FixedRandom(0.5)))
        .with_base_backoff(secs(1))
        .with_max_backoff(secs(3));
    let run = retry(config, replies, request(GET_SESSION)).await;
    run.outcome.unwrap();
    assert_eq!(
        run.script.gaps(),
        [ms(500), ms(1_000), ms(1_500), ms(1_500)]
    );
}

#[tokio::test(start_paused = true)]
async fn server_errors_are_not_retried_for_non_idempotent_operations() {
    for status in [500, 502, 503, 504] {
        let failed = reply(status, &[("x-okta-request-id", "r1")]);
        let run = retry(config(), [failed, ok()], request(START_IMPORT)).await;
        assert_eq!(run.status(), status);
        assert_eq!(run.script.calls().len(), 1);
        assert_eq!(run.layer.stats().retries, 0);
    }
}

#[tokio::test(start_paused = true)]
async fn a_request_without_operation_info_is_not_idempotent() {
    let mut plain = request(GET_SESSION);
    plain.extensions_mut().clear();
    let run = retry(config(), [reply(503, &[]), ok()], plain).await;
    assert_eq!(run.status(), 503);
    assert_eq!(run.script.calls().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn other_statuses_are_returned_at_once() {
    for status in [200, 201, 202, 204, 400, 401, 403, 404, 409, 501] {
        let started = Instant::now();
        let run = retry(config(), [reply(status, &[]), ok()], request(GET_SESSION)).await;
        assert_eq!(run.status(), status);
        assert_eq!(run.script.calls().len(), 1, "{status}");
        assert_eq!(started.elapsed(), Duration::ZERO);
    }
}

#[tokio::test(start_paused = true)]
async fn a_connect_error_is_retried_for_every_operation() {
    let replies = [fail(TransportErrorKind::Connect), ok()];
    let run = retry(config(), replies, request(START_IMPORT)).await;
    assert_eq!(run.status(), 200);
    assert_eq!(run.script.gaps(), [ms(100)]);
    let seen = run.script.take_requests();
    let retry = seen[1].headers();
    // No response, no request id: no X-Okta-Retry-For.
    assert!(retry.get(X_OKTA_RETRY_FOR).is_none());
    assert_eq!(retry[X_OKTA_RETRY_COUNT], "1");
}

#[tokio::test(start_paused = true)]
async fn a_timeout_is_retried_only_for_idempotent_operations() {
    let replies = [fail(TransportErrorKind::Timeout), ok()];
    let run = retry(config(), replies, request(START_IMPORT)).await;
    assert_eq!(run.error_kind(), TransportErrorKind::Timeout);
    assert_eq!(run.script.calls().len(), 1);

    let layer = run.layer;
    for kind in [
        TransportErrorKind::Timeout,
        TransportErrorKind::Io,
        TransportErrorKind::Other,
    ] {
        let script = Scripted::from_iter([fail(kind), ok()]);
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
        let run = retry(config(), [fail(kind), ok()], request(GET_SESSION)).await;
        assert_eq!(run.error_kind(), kind);
        assert_eq!(run.script.calls().len(), 1);
    }
}

#[tokio::test(start_paused = true)]
async fn the_deadline_is_checked_before_sleeping() {
    // A 31 s wait does not fit in a 10 s deadline: the 429 comes back at once.
    let limited = rate_limited(T + 30, &[("x-okta-request-id", "r1")]);
    let started = Instant::now();
    let config = config().with_deadline(Some(secs(10)));
    let run = retry(config, [limited, ok()], request(GET_SESSION)).await;
    assert_eq!(started.elapsed(), Duration::ZERO);
    assert_eq!(run.status(), 429);
    let response = run.outcome.as_ref().unwrap();
    assert_eq!(response.headers()["x-okta-request-id"], "r1");
    assert_eq!(run.script.calls().len(), 1);
    let stats = run.layer.stats();
    assert_eq!((stats.retries, stats.rate_limited), (0, 1));
}

#[tokio::test(start_paused = true)]
async fn one_deadline_spans_all_attempts() {
    let replies = (0..10).map(|_| reply(503, &[]));
    // Waits of 100, 200, then 400 ms: the third would end at 700 ms, past 350 ms.
    let config = config().with_max_attempts(10).with_deadline(Some(ms(350)));
    let started = Instant::now();
    let run = retry(config, replies, request(GET_SESSION)).await;
    assert_eq!(run.status(), 503);
    assert_eq!(run.script.gaps(), [ms(100), ms(200)]);
    assert_eq!(started.elapsed(), ms(300));
}

#[tokio::test(start_paused = true)]
async fn max_attempts_returns_the_last_response() {
    let replies = (1..=5).map(|i| reply(503, &[("x-okta-request-id", &format!("r{i}"))]));
    let run = retry(config(), replies, request(GET_SESSION)).await;
    assert_eq!(run.status(), 503);
    let response = run.outcome.as_ref().unwrap();
    assert_eq!(response.headers()["x-okta-request-id"], "r4");
    assert_eq!(run.script.calls().len(), 4);
    assert_eq!(run.script.remaining(), 1);

    let replies = [
        fail(TransportErrorKind::Io),
        fail(TransportErrorKind::Io),
        ok(),
    ];
    let run = retry(config().with_max_attempts(2), replies, request(GET_SESSION)).await;
    assert_eq!(run.error_kind(), TransportErrorKind::Io);
    assert_eq!(run.script.calls().len(), 2);

    let replies = [reply(429, &[]), ok()];
    let run = retry(RetryConfig::disabled(), replies, request(GET_SESSION)).await;
    assert_eq!(run.status(), 429);
    assert_eq!(run.script.calls().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn the_budget_is_shared_across_clones() {
    // Two retries' worth (5 tokens each), 10 for a transport error, 1 back per success.
    let budget = RetryBudget::with_costs(10, 5, 10, 1);
    let layer = RetryLayer::new(config().with_budget(budget.clone()));

    let script = Scripted::from_iter((0..4).map(|_| reply(503, &[])));
    let first = layer.layer(script.clone());
    let second = first.clone();
    let response = first.oneshot(request(GET_SESSION)).await.unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(
        script.calls().len(),
        3,
        "two retries, then the budget is spent"
    );
    assert_eq!(budget.available(), Some(0));

    let response = second.oneshot(request(GET_SESSION)).await.unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(
        script.calls().len(),
        4,
        "the clone has no budget left either"
    );

    // A service from a clone of the layer shares it too; a success refills one token.
    let script = Scripted::from_iter([ok()]);
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
    let script = Scripted::from_iter([fail(TransportErrorKind::Connect), ok()]);
    assert!(send(&layer, &script, request(GET_SESSION)).await.is_err());
    assert_eq!(script.calls().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn retry_headers_are_set_on_every_retry_and_never_appended() {
    let replies = [
        reply(503, &[("x-okta-request-id", "req-a")]),
        reply(429, &[("x-okta-request-id", "req-b"), ("retry-after", "1")]),
        reply(503, &[]),
        reply(200, &[("x-okta-request-id", "req-d")]),
    ];
    let mut original = request(BULK_UPSERT);
    original
        .headers_mut()
        .insert(X_OKTA_RETRY_FOR, "stale".parse().unwrap());
    original
        .headers_mut()
        .insert(X_OKTA_RETRY_COUNT, "99".parse().unwrap());
    let run = retry(config(), replies, original).await;
    let response = run.outcome.as_ref().unwrap();
    assert_eq!(response.headers()["x-okta-request-id"], "req-d");

    let seen = run.script.take_requests();
    assert_eq!(seen.len(), 4);
    let values = |i: usize, name| -> Vec<String> {
        seen[i]
            .headers()
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
    let replies = [
        reply(503, &[]),
        fail(TransportErrorKind::Connect),
        reply(429, &[]),
        reply(204, &[]),
    ];
    let original = request(BULK_UPSERT);
    let run = retry(config(), replies, copy_of(&original)).await;
    assert_eq!(run.status(), 204);

    let seen = run.script.take_requests();
    assert_eq!(seen.len(), 4);
    for (i, request) in seen.iter().enumerate() {
        assert_eq!(request.method(), Method::POST, "attempt {i}");
        assert_eq!(request.uri(), original.uri(), "attempt {i}");
        assert_eq!(request.version(), Version::HTTP_11, "attempt {i}");
        assert_eq!(request.body(), original.body(), "attempt {i}");
        assert_eq!(
            OperationInfo::of(request),
            Some(&BULK_UPSERT),
            "attempt {i}"
        );
        assert_eq!(
            request.headers()["authorization"],
            "SSWS secret",
            "attempt {i}"
        );
        assert_eq!(
            request.headers()["content-type"],
            "application/json",
            "attempt {i}"
        );
        let mut rest = request.headers().clone();
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
    let signal = rate_limited(
        T + 5,
        &[("x-rate-limit-limit", "0"), ("x-rate-limit-remaining", "0")],
    );
    let run = retry(no_jitter(), [signal, ok()], request(GET_SESSION)).await;
    run.outcome.unwrap();
    assert_eq!(run.script.gaps(), [secs(6)]);
}

#[tokio::test(start_paused = true)]
async fn a_retry_wait_after_a_429_shows_in_holds() {
    use okta_idsrc_ops::HoldReason;
    use okta_idsrc_ops::retry::WaitReason;
    let script: Scripted = [rate_limited(T + 30, &[]), ok()].into_iter().collect();
    let layer = RetryLayer::new(no_jitter());
    let call = tokio::spawn(layer.layer(script.clone()).oneshot(request(GET_SESSION)));
    tokio::time::sleep(secs(10)).await;
    let holds = layer.holds();
    assert_eq!(holds.len(), 1, "{holds:?}");
    assert_eq!(
        holds[0].reason,
        HoldReason::Retry(WaitReason::RateLimitReset)
    );
    assert!(holds[0].reason.is_rate_limit());
    // min(X-Rate-Limit-Reset) − Date + 1 s = 31 s, 10 s of which are gone.
    assert_eq!(holds[0].left, Some(secs(21)));
    assert_eq!(call.await.unwrap().unwrap().status(), 200);
    assert!(layer.holds().is_empty());
}
