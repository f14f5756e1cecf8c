//! Connection establishment: TCP directly or through a proxy tunnel, TLS to the
//! destination, all under one connect timeout. Private: hyper-util types stay in here.

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http::Uri;
use http::uri::{Authority, Scheme};
use hyper_rustls::{HttpsConnector, MaybeHttpsStream};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::rt::TokioIo;
use okta_idsrc_core::transport::BoxError;
use tokio::net::TcpStream;
use tower::{Service, ServiceExt};

use crate::proxy::Proxy;

/// What the inner connector yields: plain TCP, or a (possibly TLS-wrapped) proxy tunnel.
pub(crate) type Stream = MaybeHttpsStream<TokioIo<TcpStream>>;

/// The connector handed to hyper-util's pooled client.
pub(crate) type ClientConnector = Timed<HttpsConnector<Route>>;

type BoxFuture<T> = Pin<Box<dyn Future<Output = Result<T, BoxError>> + Send + 'static>>;

/// The stage of connection establishment that failed; found in the error's source chain.
#[derive(Debug)]
pub(crate) enum ConnectStage {
    /// DNS or TCP to the destination.
    Tcp,
    /// Reaching the proxy or its `CONNECT` answer; holds the proxy's scheme://host:port.
    Proxy(String),
    /// The whole establishment took longer than the connect timeout.
    TimedOut(Duration),
}

/// A connection establishment failure with the stage it happened in.
#[derive(Debug)]
pub(crate) struct ConnectError {
    pub(crate) stage: ConnectStage,
    source: Option<BoxError>,
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.stage {
            ConnectStage::Tcp => f.write_str("TCP connection failed"),
            ConnectStage::Proxy(proxy) => write!(f, "proxy tunnel through {proxy} failed"),
            ConnectStage::TimedOut(after) => write!(f, "connecting timed out after {after:?}"),
        }
    }
}

impl StdError for ConnectError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn StdError + 'static))
    }
}

fn connect_error(stage: ConnectStage, source: impl Into<BoxError>) -> BoxError {
    Box::new(ConnectError {
        stage,
        source: Some(source.into()),
    })
}

/// Chooses, per destination, a direct TCP connection or a tunnel through the proxy.
#[derive(Clone)]
pub(crate) struct Route {
    direct: HttpConnector,
    proxy: Option<ProxyRoute>,
}

#[derive(Clone)]
struct ProxyRoute {
    proxy: Arc<Proxy>,
    tunnel: Tunnel<HttpsConnector<HttpConnector>>,
}

impl Route {
    /// `proxy_tls` is used to reach an `https://` proxy (no ALPN: `CONNECT` is HTTP/1.1).
    pub(crate) fn new(
        direct: HttpConnector,
        proxy: Option<Proxy>,
        proxy_tls: Arc<rustls::ClientConfig>,
    ) -> Self {
        let proxy = proxy.map(|proxy| {
            let to_proxy = HttpsConnector::from((direct.clone(), proxy_tls));
            let mut tunnel = Tunnel::new(proxy.uri().clone(), to_proxy);
            if let Some(auth) = proxy.authorization() {
                tunnel = tunnel.with_auth(auth);
            }
            ProxyRoute {
                proxy: Arc::new(proxy),
                tunnel,
            }
        });
        Self { direct, proxy }
    }
}

impl Service<Uri> for Route {
    type Response = Stream;
    type Error = BoxError;
    type Future = BoxFuture<Stream>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        // Both inner connectors are driven with `oneshot`, which polls them for readiness.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        match &self.proxy {
            Some(route) if route.proxy.intercepts(&dst) => {
                let tunnel = route.tunnel.clone();
                let proxy = route.proxy.display();
                Box::pin(async move {
                    // The tunnel assumes port 443 when the URL has none: make it explicit.
                    let dst = with_explicit_port(dst)
                        .map_err(|e| connect_error(ConnectStage::Proxy(proxy.clone()), e))?;
                    tunnel
                        .oneshot(dst)
                        .await
                        .map_err(|e| connect_error(ConnectStage::Proxy(proxy), e))
                })
            }
            _ => {
                let direct = self.direct.clone();
                Box::pin(async move {
                    direct
                        .oneshot(dst)
                        .await
                        .map(MaybeHttpsStream::Http)
                        .map_err(|e| connect_error(ConnectStage::Tcp, e))
                })
            }
        }
    }
}

fn with_explicit_port(dst: Uri) -> Result<Uri, http::Error> {
    if dst.port().is_some() {
        return Ok(dst);
    }
    let port = if dst.scheme() == Some(&Scheme::HTTP) {
        80
    } else {
        443
    };
    let host = dst.host().unwrap_or_default();
    let authority: Authority = format!("{host}:{port}").parse()?;
    let mut parts = dst.into_parts();
    parts.authority = Some(authority);
    Ok(Uri::from_parts(parts)?)
}

/// Bounds the whole establishment (DNS, TCP, proxy tunnel, TLS handshake) by one timeout.
#[derive(Clone)]
pub(crate) struct Timed<C> {
    inner: C,
    timeout: Duration,
}

impl<C> Timed<C> {
    pub(crate) fn new(inner: C, timeout: Duration) -> Self {
        Self { inner, timeout }
    }
}

impl<C> Service<Uri> for Timed<C>
where
    C: Service<Uri, Error = BoxError> + Clone + Send + 'static,
    C::Future: Send + 'static,
    C::Response: Send + 'static,
{
    type Response = C::Response;
    type Error = BoxError;
    type Future = BoxFuture<C::Response>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        let inner = self.inner.clone();
        let timeout = self.timeout;
        Box::pin(async move {
            match tokio::time::timeout(timeout, inner.oneshot(dst)).await {
                Ok(result) => result,
                Err(elapsed) => Err(connect_error(ConnectStage::TimedOut(timeout), elapsed)),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_port_defaults_by_scheme() {
        let u = with_explicit_port("https://example.com/x?y".parse().expect("uri")).expect("ok");
        assert_eq!(u, "https://example.com:443/x?y");
        let u = with_explicit_port("http://example.com/".parse().expect("uri")).expect("ok");
        assert_eq!(u, "http://example.com:80/");
        let u = with_explicit_port("https://[::2]:8443/".parse().expect("uri")).expect("ok");
        assert_eq!(u, "https://[::2]:8443/");
        let u = with_explicit_port("https://[::2]/".parse().expect("uri")).expect("ok");
        assert_eq!(u, "https://[::2]:443/");
    }
}
