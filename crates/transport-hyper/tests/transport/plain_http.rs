//! Plain HTTP/1.1 to loopback: round trips and connection reuse.

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::BodyExt;
use okta_idsrc_core::transport::Transport;
use okta_idsrc_hyper::HyperTransport;

use crate::support::{full, http_server, status_server};
use crate::{call, fetch, get};

#[tokio::test]
async fn get_and_post_round_trip_with_headers_and_body() {
    let server = http_server(|req: hyper::Request<hyper::body::Incoming>| async move {
        let method = req.method().to_string();
        let path = req.uri().to_string();
        let test_header = req
            .headers()
            .get("x-test")
            .map(|v| v.to_str().expect("ascii").to_owned())
            .unwrap_or_default();
        let body = req.into_body().collect().await.expect("body").to_bytes();
        hyper::Response::builder()
            .status(201)
            .header("x-method", method)
            .header("x-path", path)
            .header("x-echo", test_header)
            .body(full(body))
            .expect("response")
    })
    .await;
    let transport = HyperTransport::new().expect("build");
    let base = format!("http://127.0.0.1:{}", server.port());

    let response = fetch(&transport, &format!("{base}/api/v1/things?limit=2")).await;
    assert_eq!(response.status(), 201);
    assert_eq!(response.version(), http::Version::HTTP_11);
    assert_eq!(response.headers()["x-method"], "GET");
    assert_eq!(response.headers()["x-path"], "/api/v1/things?limit=2");
    assert!(response.body().is_empty());

    let post = http::Request::post(format!("{base}/api/v1/things"))
        .header("x-test", "hello")
        .header("content-type", "application/json")
        .body(Bytes::from_static(br#"{"name":"x"}"#))
        .expect("request");
    let response = call(&transport, post).await.expect("post");
    assert_eq!(response.headers()["x-method"], "POST");
    assert_eq!(response.headers()["x-echo"], "hello");
    assert_eq!(response.body(), &Bytes::from_static(br#"{"name":"x"}"#));

    // The object-safe Transport interface works the same way.
    let boxed: Arc<dyn Transport> = Arc::new(transport);
    let response = boxed
        .send(get(&format!("http://localhost:{}/x", server.port())))
        .await;
    assert_eq!(response.expect("via Transport").headers()["x-path"], "/x");
}

#[tokio::test]
async fn connections_are_reused() {
    let server = http_server(|_req| async { hyper::Response::new(full("ok")) }).await;
    let transport = HyperTransport::new().expect("build");
    let url = format!("http://127.0.0.1:{}/ping", server.port());
    for _ in 0..5 {
        let response = fetch(&transport, &url).await;
        assert_eq!(response.body(), &Bytes::from_static(b"ok"));
    }
    // Clones share the pool.
    let clone = transport.clone();
    fetch(&clone, &url).await;
    assert_eq!(server.accepted(), 1);
}

#[tokio::test]
async fn any_status_is_ok() {
    let server = status_server(503, "").await;
    let transport = HyperTransport::new().expect("build");
    let response = transport
        .send(get(&server.http_url("/")))
        .await
        .expect("a 503 is a response, not a transport error");
    assert_eq!(response.status(), 503);
}
