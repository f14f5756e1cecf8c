//! A hyper + rustls transport for okta-idsrc: a
//! `tower::Service<http::Request<Bytes>, Response = http::Response<Bytes>>` with
//! [`TransportError`] errors, also usable as a boxed
//! [`Transport`].
//!
//! - HTTP/1.1 and HTTP/2 (negotiated with ALPN), pooled and reused connections.
//! - A connect timeout (DNS, TCP, proxy tunnel, TLS) and a per-attempt timeout (send and the
//!   whole body).
//! - A cap on the response body: a larger body is a
//!   [`BodyTooLarge`](TransportErrorKind::BodyTooLarge) error, never buffered beyond the cap.
//! - HTTPS only by default: plain `http://` is allowed to loopback hosts, or to any host
//!   after [`allow_insecure_http`](HyperTransportBuilder::allow_insecure_http); other URLs are
//!   [`Refused`](TransportErrorKind::Refused) before any IO.
//! - An optional [`Proxy`] (`CONNECT` tunnel), configured or read from `HTTPS_PROXY`.
//! - TLS with rustls and the webpki roots, plus roots of your own; nothing installed
//!   process-wide.
//!
//! Failures are classified for retries: establishing the connection (DNS, TCP, TLS, proxy)
//! is [`Connect`](TransportErrorKind::Connect) (nothing sent); the attempt's time limit is
//! [`Timeout`](TransportErrorKind::Timeout); a failure after the request may have been sent
//! is [`Io`](TransportErrorKind::Io).
//!
//! ```no_run
//! use bytes::Bytes;
//! use okta_idsrc_hyper::HyperTransport;
//! use tower::ServiceExt;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let transport = HyperTransport::builder().proxy_from_env().build()?;
//! let request = http::Request::get("https://example.okta.com/api/v1/identity-sources")
//!     .body(Bytes::new())?;
//! let response = transport.oneshot(request).await?;
//! println!("{} ({} bytes)", response.status(), response.body().len());
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use okta_idsrc_core::transport::{Transport, TransportError};

#[cfg(doc)]
use okta_idsrc_core::transport::TransportErrorKind;

mod builder;
mod connector;
mod error;
mod proxy;
mod send;
mod target;

pub use builder::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE_BODY, DEFAULT_POOL_IDLE_TIMEOUT,
    DEFAULT_REQUEST_TIMEOUT, HyperTransportBuilder,
};
pub use proxy::Proxy;

/// The future returned by [`HyperTransport`]'s `Service::call`.
pub type ResponseFuture =
    Pin<Box<dyn Future<Output = Result<http::Response<Bytes>, TransportError>> + Send + 'static>>;

/// An HTTP client over hyper, hyper-util's connection pool and rustls.
///
/// Cheap to clone (clones share the pool) and `Send + Sync`. As a tower `Service` it is
/// always ready. Any response status is `Ok`; errors are [`TransportError`]s whose
/// [`kind`](TransportError::kind) drives retries.
#[derive(Clone)]
pub struct HyperTransport {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    client: Client<connector::ClientConnector, Full<Bytes>>,
    request_timeout: Duration,
    max_response_body: usize,
    allow_insecure_http: bool,
}

impl HyperTransport {
    /// A builder with the defaults; see [`HyperTransportBuilder`].
    pub fn builder() -> HyperTransportBuilder {
        HyperTransportBuilder::new()
    }

    /// A transport with the defaults (HTTPS only, no proxy, webpki roots).
    pub fn new() -> Result<Self, TransportError> {
        Self::builder().build()
    }

    /// Sends one request and returns the whole response, whatever its status.
    pub async fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, TransportError> {
        self.inner.send(request).await
    }
}

impl fmt::Debug for HyperTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HyperTransport")
            .field("request_timeout", &self.inner.request_timeout)
            .field("max_response_body", &self.inner.max_response_body)
            .field("allow_insecure_http", &self.inner.allow_insecure_http)
            .finish_non_exhaustive()
    }
}

impl tower::Service<http::Request<Bytes>> for HyperTransport {
    type Response = http::Response<Bytes>;
    type Error = TransportError;
    type Future = ResponseFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Bytes>) -> Self::Future {
        let inner = Arc::clone(&self.inner);
        Box::pin(async move { inner.send(request).await })
    }
}

#[async_trait::async_trait]
impl Transport for HyperTransport {
    async fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, TransportError> {
        self.inner.send(request).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_send_sync_clone_and_boxable() {
        fn assert_traits<T: Send + Sync + Clone + 'static>() {}
        assert_traits::<HyperTransport>();
        let transport = HyperTransport::new().expect("build");
        let _boxed: Arc<dyn Transport> = Arc::new(transport);
    }

    #[tokio::test]
    async fn refused_urls_fail_before_any_io() {
        use okta_idsrc_core::transport::TransportErrorKind;
        let transport = HyperTransport::new().expect("build");
        let request = http::Request::get("http://example.com/api?token=abc")
            .body(Bytes::new())
            .expect("request");
        let err = tower::ServiceExt::oneshot(transport, request)
            .await
            .expect_err("refused");
        assert_eq!(err.kind(), TransportErrorKind::Refused);
        assert!(!err.to_string().contains("token"), "{err}");
    }
}
