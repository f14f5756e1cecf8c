//! Adapters between core's object-safe [`Transport`] and tower services, and the type-erased
//! [`BoxedService`] the batteries-included client runs on.
//!
//! - [`TransportService`] turns an embedder's own HTTP stack (any [`Transport`]) into a tower
//!   service, so that it can sit under the retry and rate-limit layers and a [`Client`].
//! - [`ServiceTransport`] goes the other way: any tower service becomes a [`Transport`], for
//!   code written against the object-safe trait (`Arc<dyn Transport>`).
//! - [`boxed`] erases a service's type into a [`BoxedService`].
//!
//! ```
//! use std::sync::Arc;
//! use bytes::Bytes;
//! use okta_idsrc_core::transport::{Transport, TransportError};
//! use okta_idsrc_ops::service::{boxed, BoxedService, TransportService};
//!
//! struct Canned;
//!
//! #[async_trait::async_trait]
//! impl Transport for Canned {
//!     async fn send(
//!         &self,
//!         _request: http::Request<Bytes>,
//!     ) -> Result<http::Response<Bytes>, TransportError> {
//!         Ok(http::Response::builder().status(204).body(Bytes::new()).unwrap())
//!     }
//! }
//!
//! let service: BoxedService = boxed(TransportService::new(Canned));
//! # drop(service);
//! ```
//!
//! [`Client`]: crate::Client

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::future::BoxFuture;
use http::{Request, Response};
use okta_idsrc_core::transport::{BoxError, Transport, TransportError, TransportErrorKind};
use tower::util::BoxCloneSyncService;
use tower::{Service, ServiceExt};

/// What the [`Client`](crate::Client) and its layers run on: a cloneable tower service from
/// `http::Request<Bytes>` to `http::Response<Bytes>` whose errors convert into a boxed
/// error. Implemented for every such service.
pub trait HttpService:
    Service<Request<Bytes>, Response = Response<Bytes>, Error: Into<BoxError>> + Clone
{
}

impl<S> HttpService for S
where
    S: Service<Request<Bytes>, Response = Response<Bytes>> + Clone,
    S::Error: Into<BoxError>,
{
}

/// An [`HttpService`] that can move into a boxed or spawned future: `Send + 'static`, with a
/// `Send` future (what the retry, rate-limit and OAuth layers wrap). Implemented for every
/// such service; add `Sync` where a client is shared across threads.
pub trait SendHttpService:
    HttpService + Service<Request<Bytes>, Future: Send> + Send + 'static
{
}

impl<S> SendHttpService for S
where
    S: HttpService + Send + 'static,
    S::Future: Send,
{
}

/// Waits for `service` to be ready and sends `request`, boxing its error.
pub(crate) async fn send_when_ready<S>(
    service: &mut S,
    request: Request<Bytes>,
) -> Result<Response<Bytes>, BoxError>
where
    S: Service<Request<Bytes>, Response = Response<Bytes>>,
    S::Error: Into<BoxError>,
{
    let ready = service.ready().await.map_err(Into::into)?;
    ready.call(request).await.map_err(Into::into)
}

/// The future of the retry, rate-limit and OAuth services.
pub(crate) type LayerFuture = BoxFuture<'static, Result<Response<Bytes>, BoxError>>;

/// Declares one of this crate's layers and the service it makes, both over an `Arc` of the
/// state `$shared` that the layer, its clones and all their services share: both structs
/// (with the attributes given), `stats` on both (`$shared::stats`), `Layer::layer`, the
/// layer's `Default` (its `new` with the default `$config`) when asked, the service's
/// `get_ref`, and its `Service` impl. The service is ready when the inner service is
/// (`ready: inner`; each call then takes the ready service and leaves a clone), or always
/// (`ready: always`; each call gets a clone, whose readiness it awaits when sending). Each
/// call is `serve`, given the shared state, that service and the request, returning a
/// [`LayerFuture`]. Both types are checked to be `Send + Sync + Clone + 'static`.
macro_rules! layer_service {
    (@poll_ready inner, $self:ident, $cx:ident) => {
        $self.inner.poll_ready($cx).map_err(Into::into)
    };
    (@poll_ready always, $self:ident, $cx:ident) => {{
        let _ = $cx;
        std::task::Poll::Ready(Ok(()))
    }};
    // The ready service serves this call; the clone stays for the next.
    (@take inner, $self:ident) => {{
        let clone = $self.inner.clone();
        std::mem::replace(&mut $self.inner, clone)
    }};
    (@take always, $self:ident) => {
        $self.inner.clone()
    };
    (
        $(#[$layer_meta:meta])*
        pub struct $layer:ident;
        $(#[$service_meta:meta])*
        pub struct $service:ident<S>;
        shared: $shared:ty;
        stats: $stats:ty;
        $(default: $config:ty;)?
        ready: $ready:ident;
        serve: |$shared_p:pat_param, $inner_p:pat_param, $request_p:pat_param| $serve:expr;
    ) => {
        $(#[$layer_meta])*
        pub struct $layer {
            shared: std::sync::Arc<$shared>,
        }

        impl $layer {
            /// What the services this layer and its clones made did so far.
            pub fn stats(&self) -> $stats {
                self.shared.stats()
            }
        }

        impl<S> tower::Layer<S> for $layer {
            type Service = $service<S>;

            fn layer(&self, inner: S) -> Self::Service {
                $service {
                    inner,
                    shared: std::sync::Arc::clone(&self.shared),
                }
            }
        }

        $(
            impl Default for $layer {
                fn default() -> Self {
                    Self::new(<$config>::default())
                }
            }
        )?

        $(#[$service_meta])*
        pub struct $service<S> {
            inner: S,
            shared: std::sync::Arc<$shared>,
        }

        impl<S> $service<S> {
            /// What the services of this one's layer (and of its clones) did so far.
            pub fn stats(&self) -> $stats {
                self.shared.stats()
            }

            /// The wrapped service.
            pub fn get_ref(&self) -> &S {
                &self.inner
            }
        }

        impl<S> tower::Service<http::Request<bytes::Bytes>> for $service<S>
        where
            S: $crate::service::SendHttpService,
        {
            type Response = http::Response<bytes::Bytes>;
            type Error = okta_idsrc_core::transport::BoxError;
            type Future = $crate::service::LayerFuture;

            fn poll_ready(
                &mut self,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<Result<(), Self::Error>> {
                layer_service!(@poll_ready $ready, self, cx)
            }

            fn call(&mut self, request: http::Request<bytes::Bytes>) -> Self::Future {
                let $inner_p = layer_service!(@take $ready, self);
                let $shared_p = std::sync::Arc::clone(&self.shared);
                let $request_p = request;
                $serve
            }
        }

        const _: fn() = || {
            fn assert_traits<T: Send + Sync + Clone + 'static>() {}
            assert_traits::<$layer>();
            assert_traits::<$service<$crate::service::BoxedService>>();
        };
    };
}
pub(crate) use layer_service;

/// A type-erased, cloneable, `Send + Sync` service from `http::Request<Bytes>` to
/// `http::Response<Bytes>` with boxed errors: what `okta_idsrc::Client` runs on.
pub type BoxedService = BoxCloneSyncService<Request<Bytes>, Response<Bytes>, BoxError>;

/// Erases `service`'s type (and its error type) into a [`BoxedService`].
pub fn boxed<S>(service: S) -> BoxedService
where
    S: SendHttpService + Sync,
{
    BoxCloneSyncService::new(service.map_err(Into::into))
}

/// The future of a [`TransportService`] call.
pub type TransportFuture =
    Pin<Box<dyn Future<Output = Result<Response<Bytes>, TransportError>> + Send + 'static>>;

/// A tower service over an object-safe [`Transport`]: plugs an embedder's own HTTP stack into
/// tower layers and the [`Client`](crate::Client).
///
/// Always ready; cheap to clone (the transport is shared behind an `Arc`). Errors are the
/// transport's [`TransportError`]s, whose kind drives retries.
pub struct TransportService<T: ?Sized> {
    transport: Arc<T>,
}

impl<T: Transport> TransportService<T> {
    /// A service over `transport`.
    pub fn new(transport: T) -> Self {
        Self {
            transport: Arc::new(transport),
        }
    }
}

impl<T: Transport + ?Sized> TransportService<T> {
    /// A service over a shared transport, e.g. an `Arc<dyn Transport>`.
    pub fn from_arc(transport: Arc<T>) -> Self {
        Self { transport }
    }

    /// The transport.
    pub fn transport(&self) -> &Arc<T> {
        &self.transport
    }
}

impl<T: ?Sized> Clone for TransportService<T> {
    fn clone(&self) -> Self {
        Self {
            transport: Arc::clone(&self.transport),
        }
    }
}

impl<T: ?Sized> fmt::Debug for TransportService<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransportService")
            .field("transport", &std::any::type_name::<T>())
            .finish()
    }
}

impl<T: Transport + ?Sized> Service<Request<Bytes>> for TransportService<T> {
    type Response = Response<Bytes>;
    type Error = TransportError;
    type Future = TransportFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Bytes>) -> Self::Future {
        let transport = Arc::clone(&self.transport);
        Box::pin(async move { transport.send(request).await })
    }
}

/// Core's object-safe [`Transport`] over a tower service: hands a tower stack (for example
/// the hyper transport under the retry and rate-limit layers) to code that takes an
/// `Arc<dyn Transport>`.
///
/// Each request is sent on a clone of the service (`oneshot`). A service error that is (or
/// wraps) a [`TransportError`] keeps its kind; any other error becomes a
/// [`TransportErrorKind::Other`] whose source is the original error.
#[derive(Clone)]
pub struct ServiceTransport<S> {
    service: S,
}

impl<S> ServiceTransport<S> {
    /// A transport over `service`.
    pub fn new(service: S) -> Self {
        Self { service }
    }

    /// The service.
    pub fn into_inner(self) -> S {
        self.service
    }
}

impl<S> fmt::Debug for ServiceTransport<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceTransport")
            .field("service", &std::any::type_name::<S>())
            .finish()
    }
}

#[async_trait::async_trait]
impl<S> Transport for ServiceTransport<S>
where
    S: SendHttpService + Sync,
{
    async fn send(&self, request: Request<Bytes>) -> Result<Response<Bytes>, TransportError> {
        self.service
            .clone()
            .oneshot(request)
            .await
            .map_err(|e| into_transport_error(e.into()))
    }
}

/// Turns a service error into a [`TransportError`], keeping a transport error as it is.
fn into_transport_error(error: BoxError) -> TransportError {
    match error.downcast::<TransportError>() {
        Ok(t) => *t,
        Err(other) => {
            let kind = TransportError::find_in(&*other)
                .map_or(TransportErrorKind::Other, TransportError::kind);
            TransportError::new(kind, "the service failed").with_source(other)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Echo;

    #[async_trait::async_trait]
    impl Transport for Echo {
        async fn send(&self, request: Request<Bytes>) -> Result<Response<Bytes>, TransportError> {
            if request.uri().path() == "/fail" {
                return Err(TransportError::new(TransportErrorKind::Timeout, "too slow"));
            }
            Ok(Response::builder()
                .status(200)
                .body(request.into_body())
                .expect("response"))
        }
    }

    fn request(path: &str) -> Request<Bytes> {
        Request::post(path)
            .body(Bytes::from_static(b"hello"))
            .expect("request")
    }

    #[tokio::test]
    async fn round_trips_both_ways() {
        let service = TransportService::new(Echo);
        let response = service.clone().oneshot(request("/ok")).await.expect("ok");
        assert_eq!(response.body(), "hello");

        let transport: Arc<dyn Transport> = Arc::new(ServiceTransport::new(boxed(service)));
        let response = transport.send(request("/ok")).await.expect("ok");
        assert_eq!(response.body(), "hello");
        let err = transport.send(request("/fail")).await.expect_err("fails");
        assert_eq!(err.kind(), TransportErrorKind::Timeout);
    }

    #[test]
    fn other_errors_become_other() {
        let err = into_transport_error("boom".into());
        assert_eq!(err.kind(), TransportErrorKind::Other);
        assert!(std::error::Error::source(&err).is_some());
    }
}
