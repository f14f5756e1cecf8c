//! Failure classification: body cap, timeouts, connect failures, refused URLs.

use std::time::{Duration, Instant};

use okta_idsrc_core::transport::TransportErrorKind;
use okta_idsrc_hyper::HyperTransport;

use crate::support::{
    chunked, closed_port, full, http_server, self_signed, stalling_server, tls_server,
};
use crate::{call, get};

fn capped(limit: usize) -> HyperTransport {
    HyperTransport::builder()
        .max_response_body(limit)
        .build()
        .expect("build")
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
    let transport = capped(1024);
    let base = format!("http://127.0.0.1:{}", server.port());

    let err = call(&transport, get(&format!("{base}/big")))
        .await
        .expect_err("too large");
    assert_eq!(err.kind(), TransportErrorKind::BodyTooLarge, "{err}");
    assert!(err.to_string().contains("1024 bytes"), "{err}");

    let response = call(&transport, get(&format!("{base}/exact")))
        .await
        .expect("at the cap");
    assert_eq!(response.body().len(), 1024);
}

#[tokio::test]
async fn a_chunked_body_over_the_cap_is_body_too_large() {
    let server = http_server(|req: hyper::Request<hyper::body::Incoming>| async move {
        let chunks = if req.uri().path() == "/big" { 1000 } else { 4 };
        hyper::Response::new(chunked(chunks, 256))
    })
    .await;
    let transport = capped(1024);
    let base = format!("http://127.0.0.1:{}", server.port());

    let err = call(&transport, get(&format!("{base}/big")))
        .await
        .expect_err("too large");
    assert_eq!(err.kind(), TransportErrorKind::BodyTooLarge, "{err}");

    let response = call(&transport, get(&format!("{base}/small")))
        .await
        .expect("at the cap");
    assert_eq!(response.body().len(), 1024);
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
    let transport = HyperTransport::builder()
        .add_root_certificate_pem(cert.pem.as_bytes())
        .max_response_body(4096)
        .build()
        .expect("build");
    for path in ["/chunked", "/sized"] {
        let url = format!("https://localhost:{}{path}", server.port());
        let err = call(&transport, get(&url)).await.expect_err("too large");
        assert_eq!(
            err.kind(),
            TransportErrorKind::BodyTooLarge,
            "{path}: {err}"
        );
    }
}

#[tokio::test]
async fn a_server_that_never_answers_is_a_timeout() {
    let server = stalling_server(b"").await;
    let transport = HyperTransport::builder()
        .request_timeout(Duration::from_millis(200))
        .build()
        .expect("build");
    let started = Instant::now();
    let err = call(
        &transport,
        get(&format!("http://127.0.0.1:{}/", server.port())),
    )
    .await
    .expect_err("timeout");
    assert_eq!(err.kind(), TransportErrorKind::Timeout, "{err}");
    assert!(!err.nothing_sent());
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(err.to_string().contains("timed out"), "{err}");
}

#[tokio::test]
async fn a_body_that_stalls_is_a_timeout() {
    let server =
        stalling_server(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly part of it").await;
    let transport = HyperTransport::builder()
        .request_timeout(Duration::from_millis(200))
        .build()
        .expect("build");
    let err = call(
        &transport,
        get(&format!("http://127.0.0.1:{}/", server.port())),
    )
    .await
    .expect_err("timeout");
    assert_eq!(err.kind(), TransportErrorKind::Timeout, "{err}");
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
    let err = call(
        &transport,
        get(&format!("https://localhost:{}/", server.port())),
    )
    .await
    .expect_err("connect timeout");
    assert_eq!(err.kind(), TransportErrorKind::Connect, "{err}");
    assert!(err.to_string().contains("timed out"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn nothing_listening_is_a_connect_error() {
    let addr = closed_port().await;
    let transport = HyperTransport::new().expect("build");
    for scheme in ["http", "https"] {
        let err = call(&transport, get(&format!("{scheme}://{addr}/x")))
            .await
            .expect_err("refused");
        assert_eq!(err.kind(), TransportErrorKind::Connect, "{err}");
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
    let err = call(&transport, get(&format!("http://{addr}/")))
        .await
        .expect_err("closed early");
    assert_eq!(err.kind(), TransportErrorKind::Io, "{err}");
    assert!(!err.nothing_sent());
}

#[tokio::test]
async fn plain_http_to_a_non_loopback_host_is_refused_before_any_io() {
    let transport = HyperTransport::new().expect("build");
    let err = call(
        &transport,
        get("http://example.com/api/v1/x?apiToken=secret"),
    )
    .await
    .expect_err("refused");
    assert_eq!(err.kind(), TransportErrorKind::Refused, "{err}");
    let msg = err.to_string();
    assert!(msg.contains("http://example.com"), "{msg}");
    assert!(msg.contains("allow_insecure_http"), "{msg}");
    assert!(!msg.contains("secret"), "{msg}");

    let err = call(&transport, get("ftp://example.com/file"))
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), TransportErrorKind::Refused, "{err}");
}
