//! Behaviour of `HyperTransport` against real sockets on 127.0.0.1 (nothing reaches the
//! internet).

mod errors;
mod plain_http;
mod proxy;
mod support;
mod tls;

use bytes::Bytes;
use okta_idsrc_core::transport::{TransportError, TransportErrorKind};
use okta_idsrc_hyper::HyperTransport;

/// A request with an empty body.
fn get(url: &str) -> http::Request<Bytes> {
    http::Request::get(url).body(Bytes::new()).expect("request")
}

/// Sends through the tower `Service` interface.
async fn call(
    transport: &HyperTransport,
    request: http::Request<Bytes>,
) -> Result<http::Response<Bytes>, TransportError> {
    tower::ServiceExt::oneshot(transport.clone(), request).await
}

/// GETs `url`, which must succeed (whatever the status).
async fn fetch(transport: &HyperTransport, url: &str) -> http::Response<Bytes> {
    call(transport, get(url))
        .await
        .unwrap_or_else(|err| panic!("{url}: {err}"))
}

/// GETs `url`, which must fail as `kind`; the error, for further checks.
async fn fails_as(
    transport: &HyperTransport,
    url: &str,
    kind: TransportErrorKind,
) -> TransportError {
    let err = call(transport, get(url))
        .await
        .expect_err("the request must fail");
    assert_eq!(err.kind(), kind, "{url}: {err}");
    err
}
