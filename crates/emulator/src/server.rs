//! The HTTP server: accept loop, connections (HTTP/1.1 and h2c), and the request pipeline —
//! faults, concurrency, latency, auth, rate limits, then the operation — and the OAuth token
//! endpoint (`crate::oauth`) beside it.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{CONTENT_TYPE, DATE, HeaderValue, LINK, WWW_AUTHENTICATE};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use okta_idsrc_core::headers::{
    X_OKTA_REQUEST_ID, X_RATE_LIMIT_LIMIT, X_RATE_LIMIT_REMAINING, X_RATE_LIMIT_RESET,
};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::auth::{AuthRequest, Challenge, Denial};
use crate::error::ApiError;
use crate::faults::RequestFault;
use crate::handlers::{self, MAX_BODY_BYTES, body_too_large, lacks_length, takes_body};
use crate::oauth;
use crate::rate_limit::{RateState, reset_after};
use crate::reply::Reply;
use crate::router::{self, Route};
use crate::shared::{Counters, Shared};

/// How long a shutdown waits for connections to finish their requests.
const GRACE: Duration = Duration::from_secs(5);

/// The response body type.
type Body = Full<Bytes>;

/// The service's error: hyper closes the connection without a response.
#[derive(Debug)]
struct DropConnection;

impl fmt::Display for DropConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("fault injected: connection dropped")
    }
}

impl std::error::Error for DropConnection {}

/// Accepts connections until `shutdown` says so, then lets open requests finish.
pub(crate) async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    let graceful = GracefulShutdown::new();
    let builder = auto::Builder::new(TokioExecutor::new());
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        tracing::warn!(error = %e, "emulator: accept failed");
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let shared = shared.clone();
                let service = service_fn(move |req| handle(shared.clone(), req));
                let conn = builder.serve_connection(TokioIo::new(stream), service).into_owned();
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    if let Err(e) = conn.await {
                        tracing::debug!(error = %e, "emulator: connection ended");
                    }
                });
            }
            _ = shutdown.changed() => break,
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(GRACE, graceful.shutdown()).await;
}

/// Every request: inspection, or the API pipeline.
async fn handle(
    shared: Arc<Shared>,
    req: Request<Incoming>,
) -> Result<Response<Body>, DropConnection> {
    let path = req.uri().path();
    if path.starts_with("/__emulator/") {
        return Ok(inspect(&shared, req).await);
    }
    if path == oauth::settings::TOKEN_PATH {
        return Ok(oauth::token_endpoint(&shared, req).await);
    }
    if !path.starts_with("/api/v1/") {
        let error = ApiError::not_found(path, "Resource");
        return Ok(error_response(&shared, &error, &shared.ids.request(), &[]));
    }
    Counters::bump(&shared.stats.requests);

    let fault = shared.faults.decide();
    match fault {
        Some(RequestFault::Error503) => {
            Counters::bump(&shared.stats.faults_injected);
            return Ok(service_unavailable());
        }
        Some(RequestFault::DropBeforeApply) => {
            Counters::bump(&shared.stats.faults_injected);
            return Err(DropConnection);
        }
        _ => {}
    }

    let request_id = shared.ids.request();
    let refuse =
        |error: &ApiError, rates: &[RateState]| error_response(&shared, error, &request_id, rates);
    let Some(_in_flight) = shared.concurrency.enter() else {
        Counters::bump(&shared.stats.rate_limited);
        let rate = RateState::concurrent(reset_after(shared.now(), shared.general.window()));
        return Ok(refuse(&ApiError::rate_limited(), &[rate]));
    };
    if !shared.config.latency.is_zero() {
        tokio::time::sleep(shared.config.latency).await;
    }

    let (parts, body) = req.into_parts();
    let route = router::parse(parts.uri.path());
    let bucket = match &route {
        Some((_, Route::Sessions)) if parts.method == Method::POST => &shared.session_creation,
        _ => &shared.general,
    };
    if let Some(refused) = refusal(&shared, &parts, &request_id, &shared.peek_rate(bucket)) {
        return Ok(refused);
    }
    let rates = match shared.take_rate(bucket) {
        Ok(rates) => rates,
        Err(rates) => {
            Counters::bump(&shared.stats.rate_limited);
            return Ok(refuse(&ApiError::rate_limited(), &rates));
        }
    };
    if fault == Some(RequestFault::Error500) {
        Counters::bump(&shared.stats.faults_injected);
        return Ok(refuse(&ApiError::internal(), &rates));
    }

    let result = match route {
        None => Err(ApiError::not_found(parts.uri.path(), "Resource")),
        Some((source, route)) => {
            if lacks_length(&parts) {
                Ok(Reply::empty(StatusCode::LENGTH_REQUIRED))
            } else if takes_body(&route, &parts.method) {
                match read_body(body).await {
                    Ok(bytes) => handlers::dispatch(&shared, &parts, &source, route, &bytes),
                    Err(e) => Err(e),
                }
            } else {
                handlers::dispatch(&shared, &parts, &source, route, &[])
            }
        }
    };
    let response = match result {
        Ok(reply) => reply_response(&shared, &request_id, &rates, reply),
        Err(error) => refuse(&error, &rates),
    };
    if fault == Some(RequestFault::DropAfterApply) {
        Counters::bump(&shared.stats.faults_injected);
        return Err(DropConnection);
    }
    Ok(response)
}

/// The request body, at most [`MAX_BODY_BYTES`].
async fn read_body(body: Incoming) -> Result<Bytes, ApiError> {
    match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<LengthLimitError>() => Err(body_too_large()),
        Err(_) => Err(ApiError::malformed()),
    }
}

/// Checks the request's credentials as `/api/v1` does: `Some` is the refusal to send (401
/// E0000011, or a challenge), with the rate-limit headers of `rates` on it.
fn refusal(
    shared: &Shared,
    parts: &http::request::Parts,
    request_id: &str,
    rates: &[RateState],
) -> Option<Response<Body>> {
    let origin = oauth::request_origin(&parts.uri, &parts.headers, shared.addr);
    let credentials = AuthRequest {
        method: &parts.method,
        path: parts.uri.path(),
        headers: &parts.headers,
        origin: &origin,
    };
    match shared.auth.authenticate(&credentials) {
        Ok(()) => None,
        Err(Denial::Unknown) => Some(error_response(
            shared,
            &ApiError::unauthorized(),
            request_id,
            rates,
        )),
        Err(Denial::Challenge(challenge)) => {
            Some(challenge_response(shared, *challenge, request_id, rates))
        }
    }
}

/// `GET /__emulator/state` and `POST /__emulator/reset`: the emulator's token (or an access
/// token) as on `/api/v1`, then no limits or faults.
async fn inspect(shared: &Shared, req: Request<Incoming>) -> Response<Body> {
    let request_id = shared.ids.request();
    let (parts, _body) = req.into_parts();
    if let Some(refused) = refusal(shared, &parts, &request_id, &[]) {
        return refused;
    }
    let reply = match (&parts.method, parts.uri.path()) {
        (&Method::GET, "/__emulator/state") => {
            let body =
                serde_json::to_vec(&shared.snapshot()).expect("a snapshot always serializes");
            Reply::json(StatusCode::OK, body)
        }
        (&Method::POST, "/__emulator/reset") => {
            shared.reset();
            Reply::empty(StatusCode::NO_CONTENT)
        }
        (_, "/__emulator/state" | "/__emulator/reset") => {
            return error_response(shared, &ApiError::method_not_allowed(), &request_id, &[]);
        }
        (_, path) => {
            return error_response(
                shared,
                &ApiError::not_found(path, "Resource"),
                &request_id,
                &[],
            );
        }
    };
    base_response(shared, reply.status, reply.body, &request_id)
}

/// A 503 as a load balancer sends it: plain text, no Okta headers.
fn service_unavailable() -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::from_static(b"503 Service Unavailable\n")));
    *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    response
}

/// Status, body, `Content-Type` (with a body), `X-Okta-Request-Id` and `Date`.
pub(crate) fn base_response(
    shared: &Shared,
    status: StatusCode,
    body: Option<Vec<u8>>,
    request_id: &str,
) -> Response<Body> {
    let has_body = body.is_some();
    let mut response = Response::new(Full::new(body.map(Bytes::from).unwrap_or_default()));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    if has_body {
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    }
    if let Ok(v) = HeaderValue::from_str(request_id) {
        headers.insert(X_OKTA_REQUEST_ID, v);
    }
    if let Ok(v) = HeaderValue::from_str(&httpdate::fmt_http_date(shared.now())) {
        headers.insert(DATE, v);
    }
    response
}

/// Adds the three rate-limit headers, one line of each per bucket of `rates`, in that order.
pub(crate) fn with_rate(mut response: Response<Body>, rates: &[RateState]) -> Response<Body> {
    let headers = response.headers_mut();
    for rate in rates {
        headers.append(X_RATE_LIMIT_LIMIT, HeaderValue::from(rate.limit));
        headers.append(X_RATE_LIMIT_REMAINING, HeaderValue::from(rate.remaining));
        headers.append(X_RATE_LIMIT_RESET, HeaderValue::from(rate.reset));
    }
    response
}

fn reply_response(
    shared: &Shared,
    request_id: &str,
    rates: &[RateState],
    reply: Reply,
) -> Response<Body> {
    let mut response = with_rate(
        base_response(shared, reply.status, reply.body, request_id),
        rates,
    );
    for link in reply.links {
        if let Ok(v) = HeaderValue::try_from(link) {
            response.headers_mut().append(LINK, v);
        }
    }
    response
}

/// An Okta error body with its headers.
pub(crate) fn error_response(
    shared: &Shared,
    error: &ApiError,
    request_id: &str,
    rates: &[RateState],
) -> Response<Body> {
    let body = error.body(&shared.ids.error());
    with_rate(
        base_response(shared, error.status, Some(body), request_id),
        rates,
    )
}

/// A refusal with `WWW-Authenticate` (and `DPoP-Nonce`): an Okta error body, or none.
fn challenge_response(
    shared: &Shared,
    challenge: Challenge,
    request_id: &str,
    rates: &[RateState],
) -> Response<Body> {
    let body = challenge.error.map(|e| e.body(&shared.ids.error()));
    let mut response = with_rate(
        base_response(shared, challenge.status, body, request_id),
        rates,
    );
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::try_from(challenge.www_authenticate) {
        headers.insert(WWW_AUTHENTICATE, v);
    }
    if let Some(v) = challenge
        .dpop_nonce
        .and_then(|n| HeaderValue::try_from(n).ok())
    {
        headers.insert("dpop-nonce", v);
    }
    response
}
