//! [`HyperTransportBuilder`]: timeouts, limits, pool, TLS roots and proxy.

use std::sync::Arc;
use std::time::Duration;

use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use okta_idsrc_core::transport::{TransportError, TransportErrorKind};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use crate::connector::{Route, Timed};
use crate::proxy::Proxy;
use crate::{HyperTransport, Inner};

/// Default time allowed to establish a connection (DNS, TCP, proxy tunnel, TLS).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time allowed for one attempt: sending the request and reading the whole body.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// Default cap on a response body: 16 MiB.
pub const DEFAULT_MAX_RESPONSE_BODY: usize = 16 * 1024 * 1024;
/// Default time an idle pooled connection is kept.
pub const DEFAULT_POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(90);

/// Configures and builds a [`HyperTransport`]. Start with [`HyperTransport::builder`].
///
/// ```
/// use std::time::Duration;
/// use okta_idsrc_hyper::HyperTransport;
///
/// let transport = HyperTransport::builder()
///     .connect_timeout(Duration::from_secs(5))
///     .request_timeout(Duration::from_secs(30))
///     .max_response_body(4 * 1024 * 1024)
///     .build()?;
/// # drop(transport);
/// # Ok::<(), okta_idsrc_core::transport::TransportError>(())
/// ```
#[derive(Debug)]
#[must_use = "a builder does nothing until build() is called"]
pub struct HyperTransportBuilder {
    connect_timeout: Duration,
    request_timeout: Duration,
    max_response_body: usize,
    pool_idle_timeout: Duration,
    pool_max_idle_per_host: usize,
    http2_only: bool,
    allow_insecure_http: bool,
    proxy: Result<Option<Proxy>, TransportError>,
    extra_roots_pem: Vec<Vec<u8>>,
    built_in_roots: bool,
}

impl Default for HyperTransportBuilder {
    fn default() -> Self {
        Self {
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            max_response_body: DEFAULT_MAX_RESPONSE_BODY,
            pool_idle_timeout: DEFAULT_POOL_IDLE_TIMEOUT,
            pool_max_idle_per_host: usize::MAX,
            http2_only: false,
            allow_insecure_http: false,
            proxy: Ok(None),
            extra_roots_pem: Vec::new(),
            built_in_roots: true,
        }
    }
}

/// Setters that replace the field of their name, each with its own documentation.
macro_rules! setters {
    ($($(#[$doc:meta])* $name:ident($value:ident: $ty:ty);)*) => {
        $(
            $(#[$doc])*
            pub fn $name(mut self, $value: $ty) -> Self {
                self.$name = $value;
                self
            }
        )*
    };
}

impl HyperTransportBuilder {
    /// A builder with the defaults (see the `DEFAULT_*` constants; HTTPS only, no proxy,
    /// the webpki root certificates).
    pub fn new() -> Self {
        Self::default()
    }

    setters! {
        /// Time allowed to establish a connection: DNS, TCP, proxy tunnel and TLS handshake
        /// together. Default 10 s. Exceeding it is a [`TransportErrorKind::Connect`] error.
        connect_timeout(timeout: Duration);
        /// Time allowed for one attempt, from sending the request to the end of the response
        /// body (including connecting). Default 60 s. Exceeding it is a
        /// [`TransportErrorKind::Timeout`] error.
        request_timeout(timeout: Duration);
        /// The largest response body accepted, in bytes. Default 16 MiB. A larger body (by its
        /// `Content-Length` or while streaming) is a [`TransportErrorKind::BodyTooLarge`] error;
        /// nothing beyond the limit is buffered.
        max_response_body(bytes: usize);
        /// How long an idle pooled connection is kept open for reuse. Default 90 s.
        pool_idle_timeout(timeout: Duration);
        /// The most idle connections kept per host. Default: no limit.
        pool_max_idle_per_host(max: usize);
        /// Speak only HTTP/2 (ALPN offers only `h2`; plain-http loopback connections use HTTP/2
        /// with prior knowledge). Default `false`: ALPN offers `h2` and `http/1.1` and the server
        /// chooses.
        http2_only(enabled: bool);
        /// Allow plain `http://` URLs to any host. Default `false`: plain http is allowed only
        /// to `localhost` and loopback IP addresses, and other `http://` URLs are refused
        /// ([`TransportErrorKind::Refused`]) before any IO.
        allow_insecure_http(allow: bool);
        /// Whether to trust the built-in (webpki / Mozilla) root certificates. Default `true`;
        /// turn off to trust only the roots added with
        /// [`add_root_certificate_pem`](Self::add_root_certificate_pem).
        built_in_roots(enabled: bool);
    }

    /// Tunnel requests through `proxy` (except loopback and no-proxy hosts). Replaces any
    /// proxy set before, including one from [`proxy_from_env`](Self::proxy_from_env).
    pub fn proxy(mut self, proxy: Proxy) -> Self {
        self.proxy = Ok(Some(proxy));
        self
    }

    /// Use the proxy from the environment (`HTTPS_PROXY`, `https_proxy`, `ALL_PROXY`,
    /// `all_proxy`, with `NO_PROXY` / `no_proxy`; see [`Proxy::from_env`]), or none when
    /// unset. An invalid proxy URL there makes [`build`](Self::build) fail. Without this
    /// call, the environment is not read.
    pub fn proxy_from_env(mut self) -> Self {
        self.proxy = Proxy::from_env();
        self
    }

    /// Trusts the certificates in `pem` (one or more `CERTIFICATE` blocks) as roots, in
    /// addition to the built-in ones: for private CAs and tests. Invalid PEM makes
    /// [`build`](Self::build) fail.
    pub fn add_root_certificate_pem(mut self, pem: &[u8]) -> Self {
        self.extra_roots_pem.push(pem.to_vec());
        self
    }

    /// Builds the transport. Installs nothing process-wide (the TLS crypto provider is
    /// passed explicitly). Fails with kind [`TransportErrorKind::Other`] on an invalid root
    /// certificate, an empty root store, or an invalid proxy from the environment.
    pub fn build(self) -> Result<HyperTransport, TransportError> {
        let tls = self.tls_config()?;
        let proxy = self.proxy?;
        let mut proxy_tls = tls.clone();
        proxy_tls.alpn_protocols.clear();
        let mut tls = tls;
        tls.alpn_protocols = if self.http2_only {
            vec![b"h2".to_vec()]
        } else {
            vec![b"h2".to_vec(), b"http/1.1".to_vec()]
        };

        let mut tcp = HttpConnector::new();
        tcp.enforce_http(false);
        tcp.set_nodelay(true);
        tcp.set_connect_timeout(Some(self.connect_timeout));
        let route = Route::new(tcp, proxy, Arc::new(proxy_tls));
        let https = hyper_rustls::HttpsConnector::from((route, Arc::new(tls)));
        let connector = Timed::new(https, self.connect_timeout);

        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(self.pool_idle_timeout)
            .pool_max_idle_per_host(self.pool_max_idle_per_host)
            .pool_timer(TokioTimer::new())
            .timer(TokioTimer::new())
            .http2_only(self.http2_only)
            .build(connector);

        Ok(HyperTransport {
            inner: Arc::new(Inner {
                client,
                request_timeout: self.request_timeout,
                max_response_body: self.max_response_body,
                allow_insecure_http: self.allow_insecure_http,
            }),
        })
    }

    fn tls_config(&self) -> Result<rustls::ClientConfig, TransportError> {
        let mut roots = rustls::RootCertStore::empty();
        if self.built_in_roots {
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        }
        for pem in &self.extra_roots_pem {
            let mut found = 0;
            for cert in CertificateDer::pem_slice_iter(pem) {
                let cert = cert.map_err(|e| {
                    config_error("a root certificate's PEM could not be parsed").with_source(e)
                })?;
                roots.add(cert).map_err(|e| {
                    config_error("a root certificate could not be added").with_source(e)
                })?;
                found += 1;
            }
            if found == 0 {
                return Err(config_error(
                    "add_root_certificate_pem was given no PEM CERTIFICATE block",
                ));
            }
        }
        if roots.is_empty() {
            return Err(config_error(
                "no root certificates: enable built_in_roots or add one with \
                 add_root_certificate_pem",
            ));
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        Ok(rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| config_error("the TLS configuration is invalid").with_source(e))?
            .with_root_certificates(roots)
            .with_no_client_auth())
    }
}

fn config_error(message: &str) -> TransportError {
    TransportError::new(TransportErrorKind::Other, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_root_pem_fails_the_build() {
        let err = HyperTransportBuilder::new()
            .add_root_certificate_pem(b"not a certificate")
            .build()
            .expect_err("invalid");
        assert_eq!(err.kind(), TransportErrorKind::Other);
        assert!(err.to_string().contains("CERTIFICATE"), "{err}");
    }

    #[test]
    fn an_empty_root_store_fails_the_build() {
        let err = HyperTransportBuilder::new()
            .built_in_roots(false)
            .build()
            .expect_err("empty");
        assert!(err.to_string().contains("no root certificates"), "{err}");
    }

    #[test]
    fn defaults_build_without_a_runtime() {
        let t = HyperTransportBuilder::new().build().expect("build");
        let shown = format!("{t:?}");
        assert!(shown.contains("HyperTransport"), "{shown}");
    }
}
