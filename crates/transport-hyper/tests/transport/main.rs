//! Behaviour of `HyperTransport` against real sockets on 127.0.0.1 (nothing reaches the
//! internet).

mod errors;
mod plain_http;
mod proxy;
mod support;
mod tls;

use bytes::Bytes;
use okta_idsrc_hyper::HyperTransport;

/// A request with an empty body.
fn get(url: &str) -> http::Request<Bytes> {
    http::Request::get(url).body(Bytes::new()).expect("request")
}

/// Sends through the tower `Service` interface.
async fn call(
    transport: &HyperTransport,
    request: http::Request<Bytes>,
) -> Result<http::Response<Bytes>, okta_idsrc_core::transport::TransportError> {
    tower::ServiceExt::oneshot(transport.clone(), request).await
}
