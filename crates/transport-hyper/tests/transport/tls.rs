//! HTTPS with a private root: trust, ALPN, HTTP/2.

use okta_idsrc_core::transport::TransportErrorKind;
use okta_idsrc_hyper::HyperTransport;

use crate::support::{full, self_signed, tls_server};
use crate::{call, get};

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
    let transport = HyperTransport::builder()
        .add_root_certificate_pem(cert.pem.as_bytes())
        .build()
        .expect("build");
    let url = format!("https://localhost:{}/hello", server.port());
    let response = call(&transport, get(&url)).await.expect("https");
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
    let transport = HyperTransport::builder()
        .add_root_certificate_pem(cert.pem.as_bytes())
        .built_in_roots(false)
        .build()
        .expect("build");
    let url = format!("https://localhost:{}/hello", server.port());
    for _ in 0..3 {
        let response = call(&transport, get(&url)).await.expect("https");
        assert_eq!(response.version(), http::Version::HTTP_11);
        assert_eq!(response.body().as_ref(), b"HTTP/1.1");
    }
    assert_eq!(server.accepted(), 1);
}

#[tokio::test]
async fn http2_only_speaks_http2() {
    let cert = self_signed(&["localhost"]);
    let server = tls_server(&cert, &[b"h2", b"http/1.1"], hello).await;
    let transport = HyperTransport::builder()
        .add_root_certificate_pem(cert.pem.as_bytes())
        .http2_only(true)
        .build()
        .expect("build");
    let url = format!("https://localhost:{}/", server.port());
    let response = call(&transport, get(&url)).await.expect("https");
    assert_eq!(response.version(), http::Version::HTTP_2);
}

#[tokio::test]
async fn an_untrusted_certificate_is_a_connect_error() {
    let cert = self_signed(&["localhost"]);
    let server = tls_server(&cert, &[b"h2", b"http/1.1"], hello).await;
    let transport = HyperTransport::new().expect("build");
    let err = call(
        &transport,
        get(&format!(
            "https://localhost:{}/x?token=t0k3n",
            server.port()
        )),
    )
    .await
    .expect_err("untrusted");
    assert_eq!(err.kind(), TransportErrorKind::Connect, "{err}");
    assert!(err.nothing_sent());
    let msg = err.to_string();
    assert!(msg.contains("TLS handshake"), "{msg}");
    assert!(
        msg.contains(&format!("https://localhost:{}", server.port())),
        "{msg}"
    );
    assert!(!msg.contains("t0k3n"), "{msg}");
    assert!(std::error::Error::source(&err).is_some());
}

#[tokio::test]
async fn a_certificate_for_another_name_is_a_connect_error() {
    let cert = self_signed(&["other.example"]);
    let server = tls_server(&cert, &[b"http/1.1"], hello).await;
    let transport = HyperTransport::builder()
        .add_root_certificate_pem(cert.pem.as_bytes())
        .build()
        .expect("build");
    let err = call(
        &transport,
        get(&format!("https://localhost:{}/", server.port())),
    )
    .await
    .expect_err("wrong name");
    assert_eq!(err.kind(), TransportErrorKind::Connect, "{err}");
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
