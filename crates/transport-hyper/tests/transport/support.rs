//! Tiny servers on 127.0.0.1 for the transport's tests: plain HTTP/1.1, TLS with ALPN, a
//! server that never answers, and a CONNECT proxy.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::{Frame, Incoming};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use okta_idsrc_hyper::{HyperTransport, HyperTransportBuilder};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// A response body for the test servers.
pub(crate) type Body = BoxBody<Bytes, Infallible>;

/// A body of known length (sent with `Content-Length`).
pub(crate) fn full(data: impl Into<Bytes>) -> Body {
    Full::new(data.into()).boxed()
}

/// A body of unknown length (sent chunked over HTTP/1.1): `chunks` chunks of `size` bytes.
pub(crate) fn chunked(chunks: usize, size: usize) -> Body {
    Chunks { left: chunks, size }.boxed()
}

struct Chunks {
    left: usize,
    size: usize,
}

impl hyper::body::Body for Chunks {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.left == 0 {
            return Poll::Ready(None);
        }
        self.left -= 1;
        Poll::Ready(Some(Ok(Frame::data(Bytes::from(vec![b'x'; self.size])))))
    }
}

/// A server task, aborted on drop, with a count of accepted connections.
pub(crate) struct TestServer {
    pub addr: SocketAddr,
    pub accepted: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl TestServer {
    pub(crate) fn port(&self) -> u16 {
        self.addr.port()
    }

    pub(crate) fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    /// `path` on this server over plain HTTP, by address.
    pub(crate) fn http_url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port())
    }

    /// `path` on this server over HTTPS, by the name `localhost`.
    pub(crate) fn https_url(&self, path: &str) -> String {
        format!("https://localhost:{}{path}", self.port())
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn listen() -> TcpListener {
    TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1")
}

fn spawn_accept_loop<F, Fut>(listener: TcpListener, on_conn: F) -> TestServer
where
    F: Fn(TcpStream) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let addr = listener.local_addr().expect("addr");
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&accepted);
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(on_conn(stream));
        }
    });
    TestServer {
        addr,
        accepted,
        task,
    }
}

/// Plain HTTP/1.1 with `handler`.
pub(crate) async fn http_server<H, Fut>(handler: H) -> TestServer
where
    H: Fn(Request<Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Response<Body>> + Send + 'static,
{
    spawn_accept_loop(listen().await, move |stream| {
        let handler = handler.clone();
        async move {
            let svc = service_fn(move |req| {
                let handler = handler.clone();
                async move { Ok::<_, Infallible>(handler(req).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        }
    })
}

/// Plain HTTP/1.1 answering every request with `status` and `body`.
pub(crate) async fn status_server(status: u16, body: &'static str) -> TestServer {
    http_server(move |_req| async move {
        hyper::Response::builder()
            .status(status)
            .body(full(body))
            .expect("response")
    })
    .await
}

/// A self-signed certificate and its key.
pub(crate) struct TestCert {
    pub pem: String,
    der: CertificateDer<'static>,
    key: Vec<u8>,
}

impl TestCert {
    /// A transport builder that trusts this certificate (and the built-in roots).
    pub(crate) fn trusted(&self) -> HyperTransportBuilder {
        HyperTransport::builder().add_root_certificate_pem(self.pem.as_bytes())
    }
}

pub(crate) fn self_signed(names: &[&str]) -> TestCert {
    let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    let certified = rcgen::generate_simple_self_signed(names).expect("rcgen");
    TestCert {
        pem: certified.cert.pem(),
        der: certified.cert.der().clone(),
        key: certified.signing_key.serialize_der(),
    }
}

fn server_config(cert: &TestCert, alpn: &[&[u8]]) -> Arc<rustls::ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocols")
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der.clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(cert.key.clone())),
        )
        .expect("server cert");
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Arc::new(config)
}

/// HTTPS (HTTP/1.1 or HTTP/2, whichever ALPN picks among `alpn`) with `handler`.
pub(crate) async fn tls_server<H, Fut>(cert: &TestCert, alpn: &[&[u8]], handler: H) -> TestServer
where
    H: Fn(Request<Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Response<Body>> + Send + 'static,
{
    let acceptor = tokio_rustls::TlsAcceptor::from(server_config(cert, alpn));
    spawn_accept_loop(listen().await, move |stream| {
        let handler = handler.clone();
        let acceptor = acceptor.clone();
        async move {
            let Ok(tls) = acceptor.accept(stream).await else {
                return;
            };
            let svc = service_fn(move |req| {
                let handler = handler.clone();
                async move { Ok::<_, Infallible>(handler(req).await) }
            });
            let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(tls), svc)
                .await;
        }
    })
}

/// Accepts connections, reads what the client sends first, answers `prefix` (possibly
/// nothing), then never says more while holding the connection open.
pub(crate) async fn stalling_server(prefix: &'static [u8]) -> TestServer {
    spawn_accept_loop(listen().await, move |mut stream| async move {
        let mut sink = [0u8; 1024];
        if stream.read(&mut sink).await.is_err() {
            return;
        }
        let _ = stream.write_all(prefix).await;
        while let Ok(n) = stream.read(&mut sink).await {
            if n == 0 {
                break;
            }
        }
    })
}

/// What a [`connect_proxy`] saw: one request head per tunnel attempt.
pub(crate) type SeenHeads = Arc<Mutex<Vec<String>>>;

/// A CONNECT proxy that tunnels every request to `upstream` (whatever host was asked for).
/// With `required_auth`, a CONNECT without that exact `Proxy-Authorization` gets a 407.
/// With `tls`, clients reach the proxy itself over TLS (an `https://` proxy).
pub(crate) async fn connect_proxy(
    upstream: SocketAddr,
    required_auth: Option<&'static str>,
    tls: Option<&TestCert>,
) -> (TestServer, SeenHeads) {
    let seen: SeenHeads = Arc::default();
    let log = Arc::clone(&seen);
    let acceptor = tls.map(|cert| tokio_rustls::TlsAcceptor::from(server_config(cert, &[])));
    let server = spawn_accept_loop(listen().await, move |client| {
        let log = Arc::clone(&log);
        let acceptor = acceptor.clone();
        async move {
            match acceptor {
                Some(acceptor) => {
                    if let Ok(client) = acceptor.accept(client).await {
                        tunnel(client, upstream, required_auth, log).await;
                    }
                }
                None => tunnel(client, upstream, required_auth, log).await,
            }
        }
    });
    (server, seen)
}

async fn tunnel<S>(mut client: S, upstream: SocketAddr, required_auth: Option<&str>, log: SeenHeads)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match client.read(&mut byte).await {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    log.lock().expect("lock").push(head.clone());
    if let Some(auth) = required_auth {
        let expected = format!("proxy-authorization: {auth}\r\n");
        if !head
            .to_ascii_lowercase()
            .contains(&expected.to_ascii_lowercase())
        {
            let _ = client
                .write_all(b"HTTP/1.1 407 Proxy Authentication Required\r\n\r\n")
                .await;
            return;
        }
    }
    let Ok(mut server) = TcpStream::connect(upstream).await else {
        return;
    };
    if client
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .await
        .is_err()
    {
        return;
    }
    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
}

/// An address on 127.0.0.1 that nothing listens on.
pub(crate) async fn closed_port() -> SocketAddr {
    let listener = listen().await;
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    addr
}
