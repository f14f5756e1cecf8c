//! HTTPS with a private root: trust, ALPN, HTTP/2.

use okta_idsrc_core::transport::TransportErrorKind::Connect;
use okta_idsrc_hyper::HyperTransport;

use crate::support::{full, self_signed, tls_server};
use crate::{call, fails_as, fetch, get};

fn hello(
    req: hyper::Request<hyper::body::Incoming>,
) -> impl Future<Output = hyper::Response<crate::support::Body>> {
    let version = format!("{:?}", req.version());
    async move { hyper::Response::new(full(version)) }
}

#[tokio::test]
async fn https_succeeds_with_the_added_root_and_negotiates_http2() {
    let cert = self_signed(&["localhost"]);
    let server = tls_server(&cert, &[b"h2", b"http/1.1"], hello).await;
    let transport = cert.trusted().build().expect("build");
    let url = server.https_url("/hello");
    let response = fetch(&transport, &url).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.version(), http::Version::HTTP_2);
    assert_eq!(response.body().as_ref(), b"HTTP/2.0");

    // Concurrent requests share the one HTTP/2 connection.
    let requests = (0..4).map(|_| {
        let (transport, url) = (transport.clone(), url.clone());
        async move { call(&transport, get(&url)).await }
    });
    for response in futures_join(requests).await {
        assert_eq!(response.expect("ok").version(), http::Version::HTTP_2);
    }
    assert_eq!(server.accepted(), 1);
}

#[tokio::test]
async fn https_uses_http1_when_the_server_offers_only_http1() {
    let cert = self_signed(&["localhost"]);
    let server = tls_server(&cert, &[b"http/1.1"], hello).await;
    let transport = cert.trusted().built_in_roots(false).build().expect("build");
    let url = server.https_url("/hello");
    for _ in 0..3 {
        let response = fetch(&transport, &url).await;
        assert_eq!(response.version(), http::Version::HTTP_11);
        assert_eq!(response.body().as_ref(), b"HTTP/1.1");
    }
    assert_eq!(server.accepted(), 1);
}

#[tokio::test]
async fn http2_only_speaks_http2() {
    let cert = self_signed(&["localhost"]);
    let server = tls_server(&cert, &[b"h2", b"http/1.1"], hello).await;
    let transport = cert.trusted().http2_only(true).build().expect("build");
    let url = server.https_url("/");
    let response = fetch(&transport, &url).await;
    assert_eq!(response.version(), http::Version::HTTP_2);
}

#[tokio::test]
async fn an_untrusted_certificate_is_a_connect_error() {
    let cert = self_signed(&["localhost"]);
    let server = tls_server(&cert, &[b"h2", b"http/1.1"], hello).await;
    let transport = HyperTransport::new().expect("build");
    let err = fails_as(&transport, &server.https_url("/x?token=t0k3n"), Connect).await;
    assert!(err.nothing_sent());
    let msg = err.to_string();
    assert!(msg.contains("TLS handshake"), "{msg}");
    assert!(msg.contains(&server.https_url("")), "{msg}");
    assert!(!msg.contains("t0k3n"), "{msg}");
    assert!(std::error::Error::source(&err).is_some());
}

#[tokio::test]
async fn a_certificate_for_another_name_is_a_connect_error() {
    let cert = self_signed(&["other.example"]);
    let server = tls_server(&cert, &[b"http/1.1"], hello).await;
    let transport = cert.trusted().build().expect("build");
    fails_as(&transport, &server.https_url("/"), Connect).await;
}

/// Awaits all futures concurrently (no futures-util dev-dependency needed).
async fn futures_join<F: Future + Send + 'static>(
    futures: impl Iterator<Item = F>,
) -> Vec<F::Output>
where
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for handle in handles {
        out.push(handle.await.expect("join"));
    }
    out
}
