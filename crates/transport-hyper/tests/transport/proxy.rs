//! Tunnelling through a CONNECT proxy on 127.0.0.1.

use okta_idsrc_core::transport::TransportErrorKind;
use okta_idsrc_hyper::{HyperTransport, Proxy};

use crate::support::{TestCert, connect_proxy, full, http_server, self_signed, tls_server};
use crate::{call, get};

/// "alice:pw" in Basic form.
const ALICE: &str = "Basic YWxpY2U6cHc=";

fn cert() -> TestCert {
    // `okta.test` is never resolved here: only the proxy is connected to.
    self_signed(&["localhost", "okta.test"])
}

fn transport(cert: &TestCert, proxy: Proxy) -> HyperTransport {
    HyperTransport::builder()
        .add_root_certificate_pem(cert.pem.as_bytes())
        .proxy(proxy)
        .build()
        .expect("build")
}

#[tokio::test]
async fn https_is_tunnelled_with_proxy_credentials() {
    let cert = cert();
    let upstream = tls_server(&cert, &[b"h2", b"http/1.1"], |_req| async {
        hyper::Response::new(full("through the tunnel"))
    })
    .await;
    let (proxy, seen) = connect_proxy(upstream.addr, Some(ALICE), None).await;
    let proxy_url = format!("http://alice:pw@127.0.0.1:{}", proxy.port());
    let transport = transport(&cert, Proxy::new(&proxy_url).expect("proxy"));

    for _ in 0..3 {
        let response = call(&transport, get("https://okta.test/api/v1/x?q=1"))
            .await
            .expect("via proxy");
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
    let upstream = tls_server(&cert, &[b"http/1.1"], |_req| async {
        hyper::Response::new(full("unreachable"))
    })
    .await;
    let (proxy, _seen) = connect_proxy(upstream.addr, Some(ALICE), None).await;
    let proxy_url = format!("http://alice:wrong@127.0.0.1:{}", proxy.port());
    let transport = transport(&cert, Proxy::new(&proxy_url).expect("proxy"));

    let err = call(&transport, get("https://okta.test/"))
        .await
        .expect_err("407");
    assert_eq!(err.kind(), TransportErrorKind::Connect, "{err}");
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
    let upstream = tls_server(&cert, &[b"http/1.1"], |_req| async {
        hyper::Response::new(full("direct"))
    })
    .await;
    let (proxy, seen) = connect_proxy(upstream.addr, None, None).await;
    let proxy_url = format!("http://127.0.0.1:{}", proxy.port());
    let transport = transport(&cert, Proxy::new(&proxy_url).expect("proxy"));

    let response = call(
        &transport,
        get(&format!("https://localhost:{}/", upstream.port())),
    )
    .await
    .expect("direct");
    assert_eq!(response.body().as_ref(), b"direct");
    assert_eq!(proxy.accepted(), 0);
    assert!(seen.lock().expect("lock").is_empty());
}

#[tokio::test]
async fn an_unreachable_proxy_is_a_connect_error() {
    let addr = crate::support::closed_port().await;
    let cert = cert();
    let transport = transport(&cert, Proxy::new(&format!("http://{addr}")).expect("proxy"));
    let err = call(&transport, get("https://okta.test/"))
        .await
        .expect_err("no proxy");
    assert_eq!(err.kind(), TransportErrorKind::Connect, "{err}");
    assert!(err.to_string().contains("through the proxy"), "{err}");
}

#[tokio::test]
async fn an_https_proxy_is_reached_over_tls() {
    let cert = cert();
    let upstream = tls_server(&cert, &[b"h2", b"http/1.1"], |_req| async {
        hyper::Response::new(full("tls in tls"))
    })
    .await;
    let proxy_cert = self_signed(&["localhost"]);
    let (proxy, seen) = connect_proxy(upstream.addr, Some(ALICE), Some(&proxy_cert)).await;
    let transport = HyperTransport::builder()
        .add_root_certificate_pem(cert.pem.as_bytes())
        .add_root_certificate_pem(proxy_cert.pem.as_bytes())
        .proxy(
            Proxy::new(&format!("https://localhost:{}", proxy.port()))
                .expect("proxy")
                .basic_auth("alice", "pw"),
        )
        .build()
        .expect("build");
    let response = call(&transport, get("https://okta.test/"))
        .await
        .expect("via https proxy");
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
    let response = call(&transport, get("http://okta.test/x"))
        .await
        .expect("via proxy");
    assert_eq!(response.body().as_ref(), b"plain");
    let heads = seen.lock().expect("lock").clone();
    assert!(
        heads[0].starts_with("CONNECT okta.test:80 HTTP/1.1\r\n"),
        "{}",
        heads[0]
    );
}
