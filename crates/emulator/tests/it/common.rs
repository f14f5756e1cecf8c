//! A small hyper client over loopback for the emulator's tests.

#![allow(dead_code, missing_docs)]

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use okta_idsrc_emulator::{Emulator, EmulatorBuilder, EmulatorHandle, Faults};
use serde::Serialize;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A response, read whole.
#[derive(Debug)]
pub(crate) struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Resp {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(&self.body)))
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as text, for failure messages.
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Asserts the status, showing the body when it differs.
    pub(crate) fn assert_status(&self, status: StatusCode) {
        assert_eq!(self.status, status, "{}", self.text());
    }

    /// Asserts an Okta error body with `code` and returns it.
    pub(crate) fn assert_error(&self, status: u16, code: &str) -> Value {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.text());
        let body = self.json();
        assert_eq!(body["errorCode"], code, "{body}");
        assert_eq!(body["errorLink"], code, "{body}");
        assert!(body["errorSummary"].is_string(), "{body}");
        assert!(
            body["errorId"]
                .as_str()
                .is_some_and(|s| s.starts_with("oae")),
            "{body}"
        );
        assert!(body["errorCauses"].is_array(), "{body}");
        assert_eq!(self.header("content-type"), Some("application/json"));
        body
    }

    /// The `errorSummary` of each cause.
    pub(crate) fn causes(&self) -> Vec<String> {
        self.json()["errorCauses"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["errorSummary"].as_str().unwrap().to_owned())
            .collect()
    }

    /// Asserts that the first cause satisfies `check`, showing every cause when it does not.
    pub(crate) fn assert_first_cause(&self, check: impl FnOnce(&str) -> bool) {
        let causes = self.causes();
        assert!(check(&causes[0]), "{causes:?}");
    }
}

/// A client bound to one emulator and identity source.
#[derive(Clone)]
pub(crate) struct Client {
    inner: HyperClient<HttpConnector, Full<Bytes>>,
    pub base: String,
    pub token: String,
    pub source: String,
}

impl Client {
    pub(crate) fn new(emulator: &EmulatorHandle) -> Self {
        Self::build(emulator, false)
    }

    /// HTTP/2 with prior knowledge (h2c).
    pub(crate) fn h2(emulator: &EmulatorHandle) -> Self {
        Self::build(emulator, true)
    }

    fn build(emulator: &EmulatorHandle, h2: bool) -> Self {
        let mut builder = HyperClient::builder(TokioExecutor::new());
        builder.http2_only(h2).retry_canceled_requests(false);
        Self {
            inner: builder.build_http(),
            base: emulator.base_url(),
            token: emulator.token().to_owned(),
            source: emulator.identity_sources()[0].clone(),
        }
    }

    /// The same client with another token.
    pub(crate) fn with_token(&self, token: &str) -> Self {
        Self {
            token: token.to_owned(),
            ..self.clone()
        }
    }

    pub(crate) fn for_source(&self, source: &str) -> Self {
        Self {
            source: source.to_owned(),
            ..self.clone()
        }
    }

    /// `base` + `/api/v1/identity-sources/{source}` + `path`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!(
            "{}/api/v1/identity-sources/{}{}",
            self.base, self.source, path
        )
    }

    pub(crate) fn request(
        &self,
        method: Method,
        url: &str,
        body: Option<Vec<u8>>,
    ) -> http::request::Builder {
        let mut b = Request::builder()
            .method(method.clone())
            .uri(url)
            .header("authorization", format!("SSWS {}", self.token))
            .header("accept", "application/json");
        if body.is_some() {
            b = b.header("content-type", "application/json");
        }
        // hyper's client sends no `Content-Length: 0` for an empty body; Okta wants one.
        if matches!(method, Method::POST | Method::PUT | Method::PATCH) {
            b = b.header("content-length", body.as_ref().map_or(0, Vec::len));
        }
        b
    }

    pub(crate) async fn try_send(
        &self,
        req: Request<Full<Bytes>>,
    ) -> Result<Resp, hyper_util::client::legacy::Error> {
        let response = self.inner.request(req).await?;
        let (parts, body) = response.into_parts();
        let body = body.collect().await.expect("response body").to_bytes();
        Ok(Resp {
            status: parts.status,
            headers: parts.headers,
            body,
        })
    }

    /// A request to `url`; `Err` when the connection was dropped.
    pub(crate) async fn try_send_raw(
        &self,
        method: Method,
        url: &str,
        body: Option<Vec<u8>>,
    ) -> Result<Resp, hyper_util::client::legacy::Error> {
        let req = self
            .request(method, url, body.clone())
            .body(Full::new(Bytes::from(body.unwrap_or_default())))
            .unwrap();
        self.try_send(req).await
    }

    pub(crate) async fn send_raw(&self, method: Method, url: &str, body: Option<Vec<u8>>) -> Resp {
        self.try_send_raw(method, url, body)
            .await
            .expect("request failed")
    }

    /// `method` on `/__emulator/{what}` (`state`, `reset`).
    pub(crate) async fn inspect(&self, method: Method, what: &str) -> Resp {
        self.send_raw(method, &format!("{}/__emulator/{what}", self.base), None)
            .await
    }

    /// A request to `path` under the identity source, with an optional JSON body; `Err` when
    /// the connection was dropped.
    pub(crate) async fn try_call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Resp, hyper_util::client::legacy::Error> {
        let body = body.map(|b| serde_json::to_vec(&b).unwrap());
        self.try_send_raw(method, &self.url(path), body).await
    }

    /// A request to `path` under the identity source, with an optional JSON body.
    pub(crate) async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Resp {
        self.try_call(method, path, body)
            .await
            .expect("request failed")
    }

    pub(crate) async fn get(&self, path: &str) -> Resp {
        self.call(Method::GET, path, None).await
    }

    pub(crate) async fn post(&self, path: &str, body: Value) -> Resp {
        self.call(Method::POST, path, Some(body)).await
    }

    /// `POST /sessions`, whatever it answers.
    pub(crate) async fn post_sessions(&self) -> Resp {
        self.call(Method::POST, "/sessions", None).await
    }

    /// Creates a session and returns its id.
    pub(crate) async fn create_session(&self) -> String {
        let r = self.post_sessions().await;
        r.assert_status(StatusCode::CREATED);
        r.json()["id"].as_str().unwrap().to_owned()
    }

    pub(crate) async fn load(&self, session: &str, action: &str, body: Value) -> Resp {
        self.post(&format!("/sessions/{session}/{action}"), body)
            .await
    }

    /// Loads group `group` and then its `members` into `session` (two loads).
    pub(crate) async fn load_group<M: Serialize>(&self, session: &str, group: &str, members: &[M]) {
        self.load(session, "bulk-groups-upsert", group_upsert(group))
            .await;
        let body = memberships(group, members);
        self.load(session, "bulk-group-memberships-upsert", body)
            .await;
    }

    /// Creates a session and cancels it: the next creation is refused for the cool-down, 400
    /// E0000001 with a first cause containing `cause`.
    pub(crate) async fn assert_cooldown_after_a_session(&self, cause: &str) {
        let s = self.create_session().await;
        self.cancel(&s).await;
        let r = self.post_sessions().await;
        r.assert_error(400, "E0000001");
        r.assert_first_cause(|c| c.contains(cause));
    }

    pub(crate) async fn start_import(&self, session: &str) -> Resp {
        self.call(
            Method::POST,
            &format!("/sessions/{session}/start-import"),
            None,
        )
        .await
    }

    /// `DELETE /sessions/{session}`: cancels it.
    pub(crate) async fn cancel(&self, session: &str) -> Resp {
        self.call(Method::DELETE, &format!("/sessions/{session}"), None)
            .await
    }

    /// Triggers the session and waits for COMPLETED.
    pub(crate) async fn import_and_wait(&self, session: &str) {
        self.start_import(session).await;
        self.wait_status(session, "COMPLETED").await;
    }

    pub(crate) async fn session_status(&self, session: &str) -> String {
        self.get(&format!("/sessions/{session}")).await.json()["status"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Polls the session until its status is `status` (5 s at most).
    pub(crate) async fn wait_status(&self, session: &str, status: &str) {
        for _ in 0..500 {
            if self.session_status(session).await == status {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!(
            "session {session} never reached {status}; it is {}",
            self.session_status(session).await
        );
    }

    /// Creates a session, uploads `users` (one load), triggers it and waits for COMPLETED.
    pub(crate) async fn import_users(&self, users: Value) -> String {
        let s = self.create_session().await;
        assert_eq!(
            self.load(&s, "bulk-upsert", users).await.status,
            StatusCode::ACCEPTED
        );
        assert_eq!(self.start_import(&s).await.status, StatusCode::OK);
        self.wait_status(&s, "COMPLETED").await;
        s
    }
}

/// Starts an emulator from `builder`, with a client for its first identity source.
pub(crate) async fn start(builder: EmulatorBuilder) -> (EmulatorHandle, Client) {
    let emu = builder.start().await.unwrap();
    let c = Client::new(&emu);
    (emu, c)
}

/// A builder serving identity sources `0oaA` and `0oaB`.
pub(crate) fn two_sources() -> EmulatorBuilder {
    Emulator::builder()
        .identity_source("0oaA")
        .identity_source("0oaB")
}

/// No faults but the one `rate` names, which always happens: `always(|f| &mut f.error_500_rate)`.
pub(crate) fn always(rate: fn(&mut Faults) -> &mut f64) -> Faults {
    let mut faults = Faults::NONE;
    *rate(&mut faults) = 1.0;
    faults
}

/// The external ids of identity source `source`'s users, in creation order.
pub(crate) fn user_ids(emu: &EmulatorHandle, source: usize) -> Vec<String> {
    emu.state().identity_sources[source]
        .users
        .iter()
        .map(|u| u.external_id.clone())
        .collect()
}

/// The loads session `session` of the first identity source has stored.
pub(crate) fn load_count(emu: &EmulatorHandle, session: &str) -> usize {
    emu.state().identity_sources[0]
        .session(session)
        .unwrap()
        .load_count
}

/// A user profile entry of a bulk upsert.
pub(crate) fn user(ext: &str) -> Value {
    json!({
        "externalId": ext,
        "profile": {
            "userName": format!("{ext}@example.com"),
            "email": format!("{ext}@example.com"),
            "firstName": "First",
            "lastName": "Last",
        }
    })
}

/// A bulk upsert body of users `EXT{from}`..`EXT{to}` (exclusive).
pub(crate) fn users(from: usize, to: usize) -> Value {
    json!({ "entityType": "USERS", "profiles": (from..to).map(|i| user(&format!("EXT{i}"))).collect::<Vec<_>>() })
}

/// A bulk delete body.
pub(crate) fn deletes(ids: &[&str]) -> Value {
    json!({ "entityType": "USERS", "profiles": ids.iter().map(|id| json!({"externalId": id})).collect::<Vec<_>>() })
}

/// A bulk groups upsert body of one group `ext`, displayed as `ext`.
pub(crate) fn group_upsert(ext: &str) -> Value {
    json!({"profiles": [{"externalId": ext, "profile": {"displayName": ext}}]})
}

/// A bulk memberships body (upsert or delete) of `members` in group `group`.
pub(crate) fn memberships<M: Serialize>(group: &str, members: &[M]) -> Value {
    json!({"memberships": [{"groupExternalId": group, "memberExternalIds": members}]})
}

/// Writes `request` on a fresh connection and reads until the server closes it (2 s at most).
pub(crate) async fn raw_http(addr: SocketAddr, request: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(Duration::from_secs(2), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Err(_) => return out,
            Ok(Ok(n)) => {
                out.extend_from_slice(&buf[..n]);
                // A complete response with a Content-Length: stop reading.
                if let Some(complete) = complete_response(&out) {
                    out.truncate(complete);
                    return out;
                }
            }
            Ok(Err(_)) => return out,
        }
    }
}

fn complete_response(data: &[u8]) -> Option<usize> {
    let text = std::str::from_utf8(data).ok()?;
    let head_end = text.find("\r\n\r\n")? + 4;
    let len = text[..head_end].lines().find_map(|l| {
        l.to_ascii_lowercase()
            .strip_prefix("content-length:")
            .map(|v| v.trim().parse::<usize>().ok())
    })??;
    (data.len() >= head_end + len).then_some(head_end + len)
}
