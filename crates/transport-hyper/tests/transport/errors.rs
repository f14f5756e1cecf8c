//! Failure classification: body cap, timeouts, connect failures, refused URLs.

use std::time::{Duration, Instant};

use okta_idsrc_core::transport::TransportError;
use okta_idsrc_core::transport::TransportErrorKind::{BodyTooLarge, Connect, Io, Refused, Timeout};
use okta_idsrc_hyper::HyperTransport;

use crate::support::{
    TestServer, chunked, closed_port, full, http_server, self_signed, stalling_server,
    status_server, tls_server,
};
use crate::{fails_as, fetch};

/// A transport whose attempts time out after 200 ms.
fn timing_out() -> HyperTransport {
    HyperTransport::builder()
        .request_timeout(Duration::from_millis(200))
        .build()
        .expect("build")
}

/// Through a transport capped at 1024 bytes: `/big` on `server` (over the cap) must fail as
/// `BodyTooLarge`, and `at_cap` (exactly 1024 bytes) come through whole. The first error.
async fn assert_capped_at_1024(server: &TestServer, at_cap: &str) -> TransportError {
    let transport = HyperTransport::builder()
        .max_response_body(1024)
        .build()
        .expect("build");
    let err = fails_as(&transport, &server.http_url("/big"), BodyTooLarge).await;
    let response = fetch(&transport, &server.http_url(at_cap)).await;
    assert_eq!(response.body().len(), 1024);
    err
}

#[tokio::test]
async fn a_body_over_the_cap_with_content_length_is_body_too_large() {
    let server = http_server(|req: hyper::Request<hyper::body::Incoming>| async move {
        let size = if req.uri().path() == "/big" {
            2048
        } else {
            1024
        };
        hyper::Response::new(full(vec![b'x'; size]))
    })
    .await;
    let err = assert_capped_at_1024(&server, "/exact").await;
    assert!(err.to_string().contains("1024 bytes"), "{err}");
}

#[tokio::test]
async fn a_chunked_body_over_the_cap_is_body_too_large() {
    let server = http_server(|req: hyper::Request<hyper::body::Incoming>| async move {
        let chunks = if req.uri().path() == "/big" { 1000 } else { 4 };
        hyper::Response::new(chunked(chunks, 256))
    })
    .await;
    assert_capped_at_1024(&server, "/small").await;
}

#[tokio::test]
async fn the_cap_applies_over_http2_too() {
    let cert = self_signed(&["localhost"]);
    let server = tls_server(
        &cert,
        &[b"h2"],
        |req: hyper::Request<hyper::body::Incoming>| async move {
            if req.uri().path() == "/chunked" {
                hyper::Response::new(chunked(64, 1024))
            } else {
                hyper::Response::new(full(vec![b'x'; 64 * 1024]))
            }
        },
    )
    .await;
    let transport = cert
        .trusted()
        .max_response_body(4096)
        .build()
        .expect("build");
    for path in ["/chunked", "/sized"] {
        let url = server.https_url(path);
        fails_as(&transport, &url, BodyTooLarge).await;
    }
}

#[tokio::test]
async fn a_server_that_never_answers_is_a_timeout() {
    let server = stalling_server(b"").await;
    let transport = timing_out();
    let started = Instant::now();
    let err = fails_as(&transport, &server.http_url("/"), Timeout).await;
    assert!(!err.nothing_sent());
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(err.to_string().contains("timed out"), "{err}");
}

#[tokio::test]
async fn a_body_that_stalls_is_a_timeout() {
    let server =
        stalling_server(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly part of it").await;
    let transport = timing_out();
    fails_as(&transport, &server.http_url("/"), Timeout).await;
}

#[tokio::test]
async fn a_stalled_tls_handshake_hits_the_connect_timeout() {
    let server = stalling_server(b"").await;
    let transport = HyperTransport::builder()
        .connect_timeout(Duration::from_millis(200))
        .request_timeout(Duration::from_secs(10))
        .build()
        .expect("build");
    let started = Instant::now();
    let err = fails_as(&transport, &server.https_url("/"), Connect).await;
    assert!(err.to_string().contains("timed out"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn nothing_listening_is_a_connect_error() {
    let addr = closed_port().await;
    let transport = HyperTransport::new().expect("build");
    for scheme in ["http", "https"] {
        let err = fails_as(&transport, &format!("{scheme}://{addr}/x"), Connect).await;
        assert!(err.nothing_sent());
        assert!(
            err.to_string()
                .contains(&format!("could not connect to {scheme}://{addr}")),
            "{err}"
        );
    }
}

#[tokio::test]
async fn a_server_closing_mid_exchange_is_io() {
    // Answers with a partial body, then closes the connection.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let (mut stream, _) = listener.accept().await.expect("accept");
        let mut buf = [0u8; 1024];
        let _ = stream.read(&mut buf).await;
        let _ = stream
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nshort")
            .await;
    });
    let transport = HyperTransport::new().expect("build");
    let err = fails_as(&transport, &format!("http://{addr}/"), Io).await;
    assert!(!err.nothing_sent());
}

#[tokio::test]
async fn plain_http_to_a_non_loopback_host_is_refused_before_any_io() {
    let transport = HyperTransport::new().expect("build");
    let err = fails_as(
        &transport,
        "http://example.com/api/v1/x?apiToken=secret",
        Refused,
    )
    .await;
    let msg = err.to_string();
    assert!(msg.contains("http://example.com"), "{msg}");
    assert!(msg.contains("allow_insecure_http"), "{msg}");
    assert!(!msg.contains("secret"), "{msg}");

    fails_as(&transport, "ftp://example.com/file", Refused).await;
}

#[tokio::test]
async fn a_plain_http_server_behind_an_https_url_does_not_speak_tls() {
    let server = status_server(400, "not TLS").await;
    let transport = HyperTransport::new().expect("build");
    let url = format!("https://127.0.0.1:{}/api/v1/x", server.port());
    let err = fails_as(&transport, &url, Refused).await;
    let shown = okta_idsrc_core::transport::TransportError::to_string(&err);
    assert!(
        shown.contains(&format!(
            "the server at https://127.0.0.1:{} does not speak TLS",
            server.port()
        )),
        "{shown}"
    );
    // Final for the retry classifier: a retry would get the same plain-text answer.
    assert!(err.nothing_sent());
    assert!(std::error::Error::source(&err).is_none(), "{err:?}");
    assert_eq!(
        okta_idsrc_core::retry::classify_transport(None, err.kind()),
        okta_idsrc_core::retry::RetryDecision::Final
    );
}
