//! Test helpers (the `test-util` feature): [`Scripted`], a tower service that answers from a
//! script and records what it was sent, and canned Okta answers, so that a client's behaviour
//! can be tested without a socket.
//!
//! ```
//! use okta_idsrc_ops::test_util::{IDSRC, Scripted, client, session_json};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let script = Scripted::new();
//! script.reply(200, &format!("[{}]", session_json("aps1", "CREATED")));
//! let sessions = client(&script).list_identity_source_sessions(IDSRC).await.unwrap();
//! assert_eq!(sessions[0].id.as_deref(), Some("aps1"));
//! assert_eq!(script.calls(), [format!("GET /api/v1/identity-sources/{IDSRC}/sessions")]);
//! # }
//! ```

use std::collections::VecDeque;
use std::future::{Ready, ready};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use crate::service::HttpService;
use crate::{Client, ClientBuilder};
use bytes::Bytes;
use http::{Request, Response};
use okta_idsrc_core::transport::{BoxError, TransportError, TransportErrorKind};
use okta_idsrc_core::{Credentials, Error, OrgUrl};
use tokio::time::Instant;

/// The org the scripted clients talk to.
pub const ORG: &str = "https://acme.okta.com";
/// The token of the scripted clients (asserted absent from every `Debug`).
pub const TOKEN: &str = "00super-secret-token";
/// The identity source of the scripted tests.
pub const IDSRC: &str = "0oa1234567890abcdefg";

/// One scripted answer.
pub enum Reply {
    /// A response.
    Response(Response<Bytes>),
    /// A service error.
    Error(BoxError),
}

impl Reply {
    /// A transport error of `kind`.
    pub fn transport_error(kind: TransportErrorKind) -> Self {
        Self::Error(Box::new(TransportError::new(kind, "scripted failure")))
    }
}

#[derive(Default)]
struct Inner {
    replies: VecDeque<Reply>,
    requests: Vec<Request<Bytes>>,
    /// When each request arrived (tokio time).
    arrivals: Vec<Instant>,
}

/// A tower service that answers from a script and records every request, and when it
/// arrived. Clones share the script. An exhausted script answers with an error.
#[derive(Clone, Default)]
pub struct Scripted {
    inner: Arc<Mutex<Inner>>,
}

impl FromIterator<Reply> for Scripted {
    /// A script of `replies`, in order.
    fn from_iter<I: IntoIterator<Item = Reply>>(replies: I) -> Self {
        let script = Self::new();
        for reply in replies {
            script.push(reply);
        }
        script
    }
}

impl Scripted {
    /// An empty script.
    pub fn new() -> Self {
        Self::default()
    }

    fn push(&self, reply: Reply) -> &Self {
        self.inner.lock().expect("lock").replies.push_back(reply);
        self
    }

    /// Queues a response with `status` and a JSON `body`.
    pub fn reply(&self, status: u16, body: &str) -> &Self {
        self.reply_with(response(status, body, &[]))
    }

    /// Queues a response.
    pub fn reply_with(&self, response: Response<Bytes>) -> &Self {
        self.push(Reply::Response(response))
    }

    /// Queues a transport error of `kind`.
    pub fn fail(&self, kind: TransportErrorKind) -> &Self {
        self.push(Reply::transport_error(kind))
    }

    /// Queues any service error.
    pub fn fail_with(&self, error: BoxError) -> &Self {
        self.push(Reply::Error(error))
    }

    /// The requests received so far, as `METHOD path?query`.
    pub fn calls(&self) -> Vec<String> {
        let inner = self.inner.lock().expect("lock");
        inner
            .requests
            .iter()
            .map(|r| {
                format!(
                    "{} {}",
                    r.method(),
                    r.uri().path_and_query().map_or("", |p| p.as_str())
                )
            })
            .collect()
    }

    /// The requests received so far, taken out.
    pub fn take_requests(&self) -> Vec<Request<Bytes>> {
        std::mem::take(&mut self.inner.lock().expect("lock").requests)
    }

    /// The time between each request and the next (tokio time: exact on paused time).
    pub fn gaps(&self) -> Vec<Duration> {
        let inner = self.inner.lock().expect("lock");
        inner.arrivals.windows(2).map(|w| w[1] - w[0]).collect()
    }

    /// How many replies are still queued.
    pub fn remaining(&self) -> usize {
        self.inner.lock().expect("lock").replies.len()
    }
}

impl tower::Service<Request<Bytes>> for Scripted {
    type Response = Response<Bytes>;
    type Error = BoxError;
    type Future = Ready<Result<Response<Bytes>, BoxError>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Bytes>) -> Self::Future {
        let mut inner = self.inner.lock().expect("lock");
        inner.requests.push(request);
        inner.arrivals.push(Instant::now());
        ready(match inner.replies.pop_front() {
            Some(Reply::Response(r)) => Ok(r),
            Some(Reply::Error(e)) => Err(e),
            None => Err("the script has no reply left".into()),
        })
    }
}

/// A response with `status`, a JSON `body` and extra `headers`, carrying a request id.
pub fn response(status: u16, body: &str, headers: &[(&str, &str)]) -> Response<Bytes> {
    let okta = [
        ("content-type", "application/json"),
        ("x-okta-request-id", "req-123"),
    ];
    let all: Vec<(&str, &str)> = okta.iter().chain(headers).copied().collect();
    bare_response(status, body, &all)
}

/// A response with `status`, `body` and only the `headers` given.
pub fn bare_response(status: u16, body: &str, headers: &[(&str, &str)]) -> Response<Bytes> {
    let mut builder = Response::builder().status(status);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder
        .body(Bytes::from(body.to_owned()))
        .expect("response")
}

/// A session's JSON with `id` and `status`.
pub fn session_json(id: &str, status: &str) -> String {
    format!(
        r#"{{"id":"{id}","identitySourceId":"{IDSRC}","status":"{status}","importType":"INCREMENTAL","created":"2026-05-13T05:52:24.000Z","lastUpdated":"2026-05-13T05:52:24.000Z"}}"#
    )
}

/// [`ORG`], parsed.
pub fn org() -> OrgUrl {
    OrgUrl::parse(ORG).expect("org")
}

/// A client builder of [`ORG`] over `service`, without credentials.
pub fn builder<S: HttpService>(service: S) -> ClientBuilder<S> {
    Client::builder(org()).service(service)
}

/// A client of [`ORG`] with [`TOKEN`] over `service`.
pub fn client(service: &Scripted) -> Client<Scripted> {
    builder(service.clone())
        .credentials(Credentials::api_token(TOKEN))
        .build()
}

/// The kind of a transport error, `None` for any other error.
pub fn transport_kind(error: &Error) -> Option<TransportErrorKind> {
    match error {
        Error::Transport(t) => Some(t.kind()),
        _ => None,
    }
}
