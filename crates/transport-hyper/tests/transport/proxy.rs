//! Tunnelling through a CONNECT proxy on 127.0.0.1.

use okta_idsrc_core::transport::TransportErrorKind::Connect;
use okta_idsrc_hyper::{HyperTransport, Proxy};

use crate::support::{
    TestCert, TestServer, connect_proxy, full, http_server, self_signed, tls_server,
};
use crate::{fails_as, fetch};

/// "alice:pw" in Basic form.
const ALICE: &str = "Basic YWxpY2U6cHc=";

fn cert() -> TestCert {
    // `okta.test` is never resolved here: only the proxy is connected to.
    self_signed(&["localhost", "okta.test"])
}

/// An HTTPS server with `cert` (ALPN among `alpn`) that answers `body` to every request.
async fn answering(cert: &TestCert, alpn: &[&[u8]], body: &'static str) -> TestServer {
    tls_server(cert, alpn, move |_req| async move {
        hyper::Response::new(full(body))
    })
    .await
}

fn transport(cert: &TestCert, proxy: Proxy) -> HyperTransport {
    cert.trusted().proxy(proxy).build().expect("build")
}

#[tokio::test]
async fn https_is_tunnelled_with_proxy_credentials() {
    let cert = cert();
    let upstream = answering(&cert, &[b"h2", b"http/1.1"], "through the tunnel").await;
    let (proxy, seen) = connect_proxy(upstream.addr, Some(ALICE), None).await;
    let proxy_url = format!("http://alice:pw@127.0.0.1:{}", proxy.port());
    let transport = transport(&cert, Proxy::new(&proxy_url).expect("proxy"));

    for _ in 0..3 {
        let response = fetch(&transport, "https://okta.test/api/v1/x?q=1").await;
        assert_eq!(response.body().as_ref(), b"through the tunnel");
        assert_eq!(response.version(), http::Version::HTTP_2);
    }
    assert_eq!(proxy.accepted(), 1, "the tunnelled connection is reused");
    let heads = seen.lock().expect("lock").clone();
    assert_eq!(heads.len(), 1);
    assert!(
        heads[0].starts_with("CONNECT okta.test:443 HTTP/1.1\r\n"),
        "{}",
        heads[0]
    );
    assert!(
        !heads[0].contains("/api/v1"),
        "the path stays inside the tunnel"
    );
}

#[tokio::test]
async fn a_proxy_refusing_the_tunnel_is_a_connect_error() {
    let cert = cert();
    let upstream = answering(&cert, &[b"http/1.1"], "unreachable").await;
    let (proxy, _seen) = connect_proxy(upstream.addr, Some(ALICE), None).await;
    let proxy_url = format!("http://alice:wrong@127.0.0.1:{}", proxy.port());
    let transport = transport(&cert, Proxy::new(&proxy_url).expect("proxy"));

    let err = fails_as(&transport, "https://okta.test/", Connect).await;
    let msg = err.to_string();
    assert!(msg.contains("proxy"), "{msg}");
    assert!(
        msg.contains(&format!("127.0.0.1:{}", proxy.port())),
        "{msg}"
    );
    assert!(!msg.contains("wrong"), "{msg}");
    assert_eq!(upstream.accepted(), 0);
}

#[tokio::test]
async fn loopback_and_no_proxy_hosts_bypass_the_proxy() {
    let cert = cert();
    let upstream = answering(&cert, &[b"http/1.1"], "direct").await;
    let (proxy, seen) = connect_proxy(upstream.addr, None, None).await;
    let proxy_url = proxy.http_url("");
    let transport = transport(&cert, Proxy::new(&proxy_url).expect("proxy"));

    let response = fetch(&transport, &upstream.https_url("/")).await;
    assert_eq!(response.body().as_ref(), b"direct");
    assert_eq!(proxy.accepted(), 0);
    assert!(seen.lock().expect("lock").is_empty());
}

#[tokio::test]
async fn an_unreachable_proxy_is_a_connect_error() {
    let addr = crate::support::closed_port().await;
    let cert = cert();
    let transport = transport(&cert, Proxy::new(&format!("http://{addr}")).expect("proxy"));
    let err = fails_as(&transport, "https://okta.test/", Connect).await;
    assert!(err.to_string().contains("through the proxy"), "{err}");
}

#[tokio::test]
async fn an_https_proxy_is_reached_over_tls() {
    let cert = cert();
    let upstream = answering(&cert, &[b"h2", b"http/1.1"], "tls in tls").await;
    let proxy_cert = self_signed(&["localhost"]);
    let (proxy, seen) = connect_proxy(upstream.addr, Some(ALICE), Some(&proxy_cert)).await;
    let transport = cert
        .trusted()
        .add_root_certificate_pem(proxy_cert.pem.as_bytes())
        .proxy(
            Proxy::new(&proxy.https_url(""))
                .expect("proxy")
                .basic_auth("alice", "pw"),
        )
        .build()
        .expect("build");
    let response = fetch(&transport, "https://okta.test/").await;
    assert_eq!(response.body().as_ref(), b"tls in tls");
    assert_eq!(response.version(), http::Version::HTTP_2);
    assert_eq!(seen.lock().expect("lock").len(), 1);
}

#[tokio::test]
async fn opted_in_plain_http_is_tunnelled_to_port_80() {
    let upstream = http_server(|_req| async { hyper::Response::new(full("plain")) }).await;
    let (proxy, seen) = connect_proxy(upstream.addr, None, None).await;
    let transport = HyperTransport::builder()
        .allow_insecure_http(true)
        .proxy(Proxy::new(&format!("127.0.0.1:{}", proxy.port())).expect("proxy"))
        .build()
        .expect("build");
    let response = fetch(&transport, "http://okta.test/x").await;
    assert_eq!(response.body().as_ref(), b"plain");
    let heads = seen.lock().expect("lock").clone();
    assert!(
        heads[0].starts_with("CONNECT okta.test:80 HTTP/1.1\r\n"),
        "{}",
        heads[0]
    );
}
