//! OAuth 2.0 service-app authentication end to end, over a real 127.0.0.1 socket: the
//! client's `OAuthLayer` (private_key_jwt client credentials, DPoP) against the emulator's
//! token endpoint and resource checks, under the retry and rate-limit layers.
//!
//! A `Tap` between the OAuth layer and the hyper transport records every request as it goes
//! on the wire, and can tamper with requests or responses to play what a live org does.
//!
//! One file past 500 lines on purpose: one scenario suite sharing one fixture, the `Org`, `Tap`
//! and `Stack` below.

#![allow(missing_docs)]

use okta_idsrc_ops::test_util as support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures_util::future::BoxFuture;
use http::{HeaderMap, Method, Request, Response, StatusCode};
use okta_idsrc_core::models::IdentitySourceSession;
use okta_idsrc_core::transport::BoxError;
use okta_idsrc_core::{Error, OrgUrl};
use okta_idsrc_emulator::testing::OAuthOrg;
use okta_idsrc_emulator::{
    DEFAULT_IDENTITY_SOURCE, EmulatorHandle, ManualClock, OAuthClient, OAuthSettings, SCOPE_MANAGE,
    SCOPE_READ,
};
use okta_idsrc_hyper::HyperTransport;
use okta_idsrc_jose::{decode_unverified, sha256_b64url};
use okta_idsrc_ops::clock::{Clock, FixedRandom};
use okta_idsrc_ops::oauth::{
    AuthChallenge, ErrorCode, NonceFailure, OAuthConfig, OAuthError, OAuthLayer, PrivateKey,
    TokenType, load_private_key,
};
use okta_idsrc_ops::rate_limit::RateLimitConfig;
use okta_idsrc_ops::retry::RetryConfig;
use okta_idsrc_ops::{BoxedService, Client, SendHttpService};
use serde_json::Value;
use tower::{Service, ServiceExt};

const CLIENT_ID: &str = "0oaservice0000000001";

// ---------------------------------------------------------------------------------------------
// Support.

/// The emulator's manual clock, as the client's clock, `offset` seconds off (negative:
/// behind).
#[derive(Debug, Clone)]
struct Shifted {
    clock: ManualClock,
    offset: i64,
}

impl Clock for Shifted {
    fn now(&self) -> SystemTime {
        let t = self.clock.now();
        if self.offset >= 0 {
            t + Duration::from_secs(self.offset.unsigned_abs())
        } else {
            t - Duration::from_secs(self.offset.unsigned_abs())
        }
    }
}

/// One request as it went on the wire, and the status it got.
#[derive(Debug, Clone)]
struct Sent {
    method: Method,
    uri: String,
    headers: HeaderMap,
    body: Bytes,
    status: Option<u16>,
}

impl Sent {
    fn is_token(&self) -> bool {
        self.uri.ends_with("/oauth2/v1/token")
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The claims of the request's DPoP proof.
    fn proof(&self) -> Option<(serde_json::Map<String, Value>, Value)> {
        self.header("dpop")
            .map(|p| decode_unverified(p).expect("a compact JWS"))
    }

    /// The `htu` of the request's DPoP proof.
    fn htu(&self) -> String {
        let (_, proof) = self.proof().expect("proof");
        proof["htu"].as_str().expect("htu").to_owned()
    }

    /// The form fields of a token request.
    fn form(&self, name: &str) -> Option<String> {
        std::str::from_utf8(&self.body)
            .expect("utf-8")
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| {
                percent_encoding::percent_decode_str(v)
                    .decode_utf8()
                    .expect("utf-8")
                    .into_owned()
            })
    }
}

type RequestHook = dyn Fn(usize, &mut Request<Bytes>) + Send + Sync;
type ResponseHook = dyn Fn(usize, &Sent, Response<Bytes>) -> Response<Bytes> + Send + Sync;

/// A service over the hyper transport that records what is sent and can tamper with it.
/// Hooks get the index of the API request (token requests are not counted and get
/// `usize::MAX`); the request hook sees API requests only.
#[derive(Clone)]
struct Tap {
    inner: HyperTransport,
    log: Arc<Mutex<Vec<Sent>>>,
    api_requests: Arc<AtomicUsize>,
    on_request: Option<Arc<RequestHook>>,
    on_response: Option<Arc<ResponseHook>>,
}

impl Tap {
    fn new() -> Self {
        Self {
            inner: HyperTransport::new().expect("transport"),
            log: Arc::default(),
            api_requests: Arc::default(),
            on_request: None,
            on_response: None,
        }
    }

    fn on_request(
        mut self,
        hook: impl Fn(usize, &mut Request<Bytes>) + Send + Sync + 'static,
    ) -> Self {
        self.on_request = Some(Arc::new(hook));
        self
    }

    fn on_response(
        mut self,
        hook: impl Fn(usize, &Sent, Response<Bytes>) -> Response<Bytes> + Send + Sync + 'static,
    ) -> Self {
        self.on_response = Some(Arc::new(hook));
        self
    }

    fn sent(&self) -> Vec<Sent> {
        self.log.lock().expect("lock").clone()
    }

    fn api(&self) -> Vec<Sent> {
        self.sent().into_iter().filter(|s| !s.is_token()).collect()
    }

    fn tokens(&self) -> Vec<Sent> {
        self.sent().into_iter().filter(Sent::is_token).collect()
    }
}

impl Service<Request<Bytes>> for Tap {
    type Response = Response<Bytes>;
    type Error = BoxError;
    type Future = BoxFuture<'static, Result<Response<Bytes>, BoxError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, mut request: Request<Bytes>) -> Self::Future {
        let token = request.uri().path().ends_with("/oauth2/v1/token");
        let index = if token {
            usize::MAX
        } else {
            self.api_requests.fetch_add(1, Ordering::SeqCst)
        };
        if let (false, Some(hook)) = (token, &self.on_request) {
            hook(index, &mut request);
        }
        let mut sent = Sent {
            method: request.method().clone(),
            uri: request.uri().to_string(),
            headers: request.headers().clone(),
            body: request.body().clone(),
            status: None,
        };
        let log = Arc::clone(&self.log);
        let on_response = self.on_response.clone();
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        Box::pin(async move {
            let result = inner.call(request).await;
            let response = match result {
                Ok(response) => response,
                Err(e) => {
                    log.lock().expect("lock").push(sent);
                    return Err(e.into());
                }
            };
            let response = match on_response {
                Some(hook) => hook(index, &sent, response),
                None => response,
            };
            sent.status = Some(response.status().as_u16());
            log.lock().expect("lock").push(sent);
            Ok(response)
        })
    }
}

/// An emulator with one registered service app (`key`'s public half), on a manual clock
/// the client shares.
struct Org {
    emulator: EmulatorHandle,
    clock: ManualClock,
    key: PrivateKey,
}

impl Org {
    /// The live settings, a P-256 key.
    async fn start() -> Self {
        Self::around(OAuthOrg::start(CLIENT_ID).await)
    }

    /// The emulator's OAuth settings changed by `change`.
    async fn with_settings(change: impl FnOnce(&mut OAuthSettings)) -> Self {
        Self::around(OAuthOrg::with_settings(CLIENT_ID, change).await)
    }

    /// The registered app changed by `client`.
    async fn with_app(client: impl FnOnce(OAuthClient) -> OAuthClient) -> Self {
        Self::around(OAuthOrg::with(CLIENT_ID, client, |s| s).await)
    }

    /// The fixture's emulator, clock and key.
    fn around(oauth: OAuthOrg) -> Self {
        let OAuthOrg {
            emulator,
            clock,
            key,
            ..
        } = oauth;
        Self {
            emulator,
            clock,
            key,
        }
    }

    fn org(&self) -> OrgUrl {
        OrgUrl::parse(&self.emulator.base_url()).expect("loopback org")
    }

    /// The app's OAuth settings on the shared clock.
    fn config(&self) -> OAuthConfig {
        self.config_with(self.key.clone(), 0)
    }

    /// The app's OAuth settings with `key`, on the shared clock `offset` seconds off.
    fn config_with(&self, key: PrivateKey, offset: i64) -> OAuthConfig {
        OAuthConfig::new(CLIENT_ID, key).with_clock(Arc::new(Shifted {
            clock: self.clock.clone(),
            offset,
        }))
    }

    /// A tap, and a client with the app's settings over it.
    fn tapped(&self) -> (Tap, Stack) {
        let tap = Tap::new();
        let stack = self.client(self.config(), &tap);
        (tap, stack)
    }

    /// A client over `tap`: retry → rate limit → OAuth → tap → hyper.
    fn client(&self, config: OAuthConfig, tap: &Tap) -> Stack {
        let oauth = OAuthLayer::new(&self.org(), config);
        let retry = RetryConfig::default()
            .with_random(Arc::new(FixedRandom(0.0)))
            .with_base_backoff(Duration::from_millis(10));
        let client = Client::builder(self.org())
            .service(tap.clone())
            .with_layer(oauth.clone())
            .default_layers(retry, RateLimitConfig::default())
            .build()
            .boxed();
        Stack { client, oauth }
    }

    fn stats(&self) -> okta_idsrc_emulator::Stats {
        self.emulator.state().stats
    }
}

/// A client, and its OAuth layer (to read its token or drop it).
struct Stack {
    client: Client<BoxedService>,
    oauth: OAuthLayer,
}

impl Stack {
    async fn list(&self) -> Result<usize, Error> {
        self.client
            .list_identity_source_sessions(DEFAULT_IDENTITY_SOURCE)
            .await
            .map(|s| s.len())
    }

    /// A write: creates a session.
    async fn create(&self) -> Result<IdentitySourceSession, Error> {
        self.client
            .create_identity_source_session(DEFAULT_IDENTITY_SOURCE)
            .await
    }
}

/// What `n` listings of the sessions, each on its own task, got.
async fn concurrent_lists<S>(
    client: &Client<S>,
    n: usize,
) -> Vec<Result<Vec<IdentitySourceSession>, Error>>
where
    S: SendHttpService + Sync,
{
    let calls: Vec<_> = (0..n)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                client
                    .list_identity_source_sessions(DEFAULT_IDENTITY_SOURCE)
                    .await
            })
        })
        .collect();
    let mut results = Vec::with_capacity(n);
    for call in calls {
        results.push(call.await.expect("join"));
    }
    results
}

fn oauth_error(error: &Error) -> &OAuthError {
    OAuthError::find(error).unwrap_or_else(|| panic!("not an OAuth error: {error:?}"))
}

fn unix(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

/// The access token an API request carried.
fn access_token(sent: &Sent) -> String {
    let auth = sent.header("authorization").expect("authorization");
    auth.split_once(' ').expect("scheme and token").1.to_owned()
}

/// A response with `status`, `headers` and no body, as a tampering hook returns it.
fn reply(status: u16, headers: &[(&str, &str)]) -> Response<Bytes> {
    let mut b = Response::builder().status(status);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(Bytes::new()).expect("response")
}

// ---------------------------------------------------------------------------------------------
// 1. The token handshake.

#[tokio::test]
async fn dpop_handshake_proof_on_the_first_request_then_nonce_then_token() {
    let org = Org::start().await;
    let (tap, stack) = org.tapped();
    assert_eq!(stack.list().await.expect("list"), 0);

    let tokens = tap.tokens();
    assert_eq!(
        tokens.len(),
        2,
        "proof, use_dpop_nonce, proof with the nonce"
    );
    let token_url = org.emulator.token_url();
    let now = unix(org.clock.now());
    let mut assertions = Vec::new();
    for (i, sent) in tokens.iter().enumerate() {
        assert_eq!(sent.method, Method::POST);
        assert_eq!(sent.uri, token_url);
        let (header, proof) = sent.proof().expect("a proof on every token request");
        assert_eq!(header["typ"], "dpop+jwt");
        assert_eq!(header["alg"], "ES256");
        assert!(header["jwk"].get("d").is_none());
        assert_eq!(proof["htm"], "POST");
        assert_eq!(proof["htu"], token_url.as_str());
        assert_eq!(proof["iat"], now);
        assert!(proof.get("ath").is_none());
        assert_eq!(
            proof.get("nonce").is_some(),
            i == 1,
            "nonce only once handed out"
        );
        assert_eq!(
            sent.form("grant_type").as_deref(),
            Some("client_credentials")
        );
        assert_eq!(
            sent.form("scope").as_deref(),
            Some("okta.identitySources.manage okta.identitySources.read")
        );
        let assertion = sent.form("client_assertion").expect("assertion");
        let (header, claims) = decode_unverified(&assertion).expect("JWS");
        assert_eq!(header["kid"], "key-1");
        assert_eq!(claims["iss"], CLIENT_ID);
        assert_eq!(claims["sub"], CLIENT_ID);
        assert_eq!(claims["aud"], token_url.as_str());
        assert_eq!(claims["exp"], now + 300);
        assertions.push(claims["jti"].clone());
    }
    assert_eq!(tokens[0].status, Some(400));
    assert_eq!(tokens[1].status, Some(200));
    assert_ne!(
        assertions[0], assertions[1],
        "a new assertion for the retry"
    );
    let (_, first) = tokens[0].proof().expect("proof");
    let (_, second) = tokens[1].proof().expect("proof");
    assert_ne!(first["jti"], second["jti"], "a new proof for the retry");
    assert_eq!(second["nonce"], org.emulator.dpop_nonce().as_str());

    // The API request: the DPoP scheme and a proof bound to the token.
    let api = tap.api();
    assert_eq!(api.len(), 1);
    let token = access_token(&api[0]);
    assert!(
        api[0]
            .header("authorization")
            .expect("auth")
            .starts_with("DPoP ")
    );
    let (_, proof) = api[0].proof().expect("proof");
    assert_eq!(proof["htm"], "GET");
    assert_eq!(
        proof["htu"],
        format!(
            "{}/api/v1/identity-sources/{DEFAULT_IDENTITY_SOURCE}/sessions",
            org.emulator.base_url()
        )
        .as_str()
    );
    assert_eq!(proof["ath"], sha256_b64url(token.as_bytes()).as_str());
    assert!(proof.get("nonce").is_none(), "Okta does not ask for one");
    let (header, _) = api[0].proof().expect("proof");
    let (token_header, _) = tokens[1].proof().expect("proof");
    assert_eq!(header["jwk"], token_header["jwk"], "the token's own key");
    assert_ne!(
        header["jwk"],
        serde_json::to_value(org.key.public_jwk()).expect("json"),
        "never the client key"
    );
    assert_eq!(stack.oauth.token_type(), Some(TokenType::Dpop));

    // The token is cached; the nonce is remembered for the next token request.
    assert_eq!(stack.list().await.expect("list"), 0);
    assert_eq!(tap.tokens().len(), 2);
    stack.oauth.invalidate();
    assert_eq!(stack.list().await.expect("list"), 0);
    let tokens = tap.tokens();
    assert_eq!(tokens.len(), 3, "straight to 200 with the remembered nonce");
    assert_eq!(tokens[2].status, Some(200));
    let (_, third) = tokens[2].proof().expect("proof");
    assert_eq!(third["nonce"], second["nonce"]);
    let (h3, _) = tokens[2].proof().expect("proof");
    assert_ne!(h3["jwk"], token_header["jwk"], "an ephemeral key per token");
    let stats = stack.oauth.stats();
    assert_eq!(
        (
            stats.token_requests,
            stats.tokens_issued,
            stats.nonce_retries
        ),
        (3, 2, 1)
    );
    let emulator = org.stats();
    assert_eq!((emulator.token_requests, emulator.tokens_issued), (3, 2));

    // Nothing secret in Debug.
    let shown = format!("{:?} {:?}", stack.client, stack.oauth);
    assert!(!shown.contains(&token), "{shown}");
    org.emulator.shutdown().await;
}

#[tokio::test]
async fn a_nonce_that_goes_stale_is_renewed_from_the_answer() {
    let org = Org::start().await;
    let (tap, stack) = org.tapped();
    stack.list().await.expect("list");
    org.emulator.expire_dpop_nonces();
    stack.oauth.invalidate();
    stack.list().await.expect("list");
    let statuses: Vec<_> = tap.tokens().iter().map(|s| s.status).collect();
    assert_eq!(
        statuses,
        [Some(400), Some(200), Some(400), Some(200)],
        "a stale nonce costs one round trip, no more"
    );
    org.emulator.shutdown().await;
}

#[tokio::test]
async fn without_dpop_the_app_gets_a_bearer_token() {
    let org = Org::with_app(|c| c.with_dpop(false)).await;
    let tap = Tap::new();
    let stack = org.client(org.config().with_dpop(false), &tap);
    assert_eq!(stack.list().await.expect("list"), 0);
    let tokens = tap.tokens();
    assert_eq!(tokens.len(), 1);
    assert!(tokens[0].header("dpop").is_none());
    let api = tap.api();
    assert!(
        api[0]
            .header("authorization")
            .expect("auth")
            .starts_with("Bearer ")
    );
    assert!(api[0].header("dpop").is_none());
    assert_eq!(stack.oauth.token_type(), Some(TokenType::Bearer));
    org.emulator.shutdown().await;
}

#[tokio::test]
async fn rsa_and_ec_keys_from_pem_and_jwk() {
    let keys = [
        (include_str!("../data/rsa_pkcs1.pem"), "RS256"),
        (include_str!("../data/rsa_pkcs8.pem"), "RS256"),
        (include_str!("../data/rsa_private.jwk.json"), "RS256"),
        (include_str!("../data/ec_p256_sec1.pem"), "ES256"),
        (include_str!("../data/ec_p256_pkcs8.pem"), "ES256"),
        (include_str!("../data/ec_p384_sec1.pem"), "ES384"),
    ];
    for (text, alg) in keys {
        let key = load_private_key(text).expect("key").with_kid("k-2");
        // A second registered key: assertions must name theirs.
        let other = PrivateKey::generate_p256().expect("key").with_kid("k-1");
        let client = |c: OAuthClient| {
            let mut jwks = vec![other.public_jwk()];
            jwks.extend(c.jwks.clone());
            OAuthClient { jwks, ..c }
        };
        let org = Org::around(OAuthOrg::with_key(CLIENT_ID, key.clone(), client, |s| s).await);
        let (tap, stack) = org.tapped();
        stack.list().await.unwrap_or_else(|e| panic!("{alg}: {e}"));
        let assertion = tap.tokens()[0].form("client_assertion").expect("assertion");
        let (header, _) = decode_unverified(&assertion).expect("JWS");
        assert_eq!(header["alg"], alg);
        assert_eq!(header["kid"], "k-2");
        org.emulator.shutdown().await;
    }
}

// ---------------------------------------------------------------------------------------------
// 2. Renewal.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renewal_at_expiry_under_concurrent_load_makes_exactly_one_token_request() {
    let org = Org::start().await;
    let (tap, stack) = org.tapped();
    stack.list().await.expect("list");
    assert_eq!(org.stats().tokens_issued, 1);
    let first = access_token(&tap.api()[0]);

    // An hour later the token has expired (and was due for renewal a minute before).
    org.clock.advance(Duration::from_secs(3600));
    for listed in concurrent_lists(&stack.client, 64).await {
        listed.expect("list");
    }
    let stats = org.stats();
    assert_eq!(stats.tokens_issued, 2, "one renewal for 64 callers");
    assert_eq!(
        stats.token_requests, 3,
        "the nonce was remembered: the renewal took one request"
    );
    let api = tap.api();
    assert_eq!(api.len(), 65);
    assert!(api[1..].iter().all(|s| access_token(s) != first));
    assert!(api.iter().all(|s| s.status == Some(200)));
    org.emulator.shutdown().await;
}

#[tokio::test]
async fn renewed_ahead_of_expiry() {
    let org = Org::with_settings(|s| s.token_lifetime = Duration::from_secs(600)).await;
    let (tap, stack) = org.tapped();
    stack.list().await.expect("list");
    org.clock.advance(Duration::from_secs(539));
    stack.list().await.expect("list");
    assert_eq!(org.stats().tokens_issued, 1, "not yet due");
    org.clock.advance(Duration::from_secs(2));
    stack.list().await.expect("list");
    assert_eq!(org.stats().tokens_issued, 2, "renewed 60 s ahead of expiry");
    assert!(tap.api().iter().all(|s| s.status == Some(200)));
    org.emulator.shutdown().await;
}

/// A tap telling the client that tokens live an hour, whatever the emulator says.
fn stretched_tokens() -> Tap {
    Tap::new().on_response(|_, sent, response| {
        if !sent.is_token() || response.status() != 200 {
            return response;
        }
        let (parts, body) = response.into_parts();
        let mut json: Value = serde_json::from_slice(&body).expect("json");
        json["expires_in"] = Value::from(3600);
        Response::from_parts(parts, Bytes::from(json.to_string()))
    })
}

#[tokio::test]
async fn invalid_token_is_renewed_once_and_the_request_sent_again() {
    // The emulator expires tokens after a minute; the client is told they live an hour.
    let org = Org::with_settings(|s| s.token_lifetime = Duration::from_secs(60)).await;
    let tap = stretched_tokens();
    let stack = org.client(org.config(), &tap);
    stack.list().await.expect("list");
    org.clock.advance(Duration::from_secs(120));
    stack.list().await.expect("renewed after invalid_token");
    let statuses: Vec<_> = tap.api().iter().map(|s| s.status).collect();
    assert_eq!(statuses, [Some(200), Some(401), Some(200)]);
    let stats = stack.oauth.stats();
    assert_eq!((stats.tokens_issued, stats.invalid_token_retries), (2, 1));
    org.emulator.shutdown().await;

    // Tokens that are dead on arrival: one renewal, then the 401 is final, typed.
    let org = Org::with_settings(|s| s.token_lifetime = Duration::ZERO).await;
    let tap = stretched_tokens();
    let stack = org.client(org.config(), &tap);
    let err = stack.list().await.expect_err("invalid token twice");
    let oauth = oauth_error(&err);
    assert!(matches!(oauth, OAuthError::Rejected(_)), "{oauth:?}");
    assert_eq!(oauth.code(), Some(&ErrorCode::InvalidToken));
    assert_eq!(oauth.status(), Some(StatusCode::UNAUTHORIZED));
    assert_eq!(oauth.description(), Some("The access token has expired."));
    let statuses: Vec<_> = tap.api().iter().map(|s| s.status).collect();
    assert_eq!(statuses, [Some(401), Some(401)], "sent once more, no more");
    assert_eq!(stack.oauth.stats().tokens_issued, 2);
    org.emulator.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// 3. Retries carry fresh proofs; replays are refused.

#[tokio::test]
async fn a_429_then_success_the_retry_carries_a_new_proof() {
    let org = Org::start().await;
    // The first API request reaches the emulator (its proof is used up), then its answer
    // is replaced by a 429.
    let tap = Tap::new().on_response(|index, _sent, response| {
        if index == 0 {
            reply(
                429,
                &[("retry-after", "0"), ("content-type", "application/json")],
            )
        } else {
            response
        }
    });
    let stack = org.client(org.config(), &tap);
    assert_eq!(stack.list().await.expect("list after a 429"), 0);
    let api = tap.api();
    assert_eq!(api.len(), 2);
    assert_eq!(api[1].status, Some(200));
    let (_, first) = api[0].proof().expect("proof");
    let (_, second) = api[1].proof().expect("proof");
    assert_ne!(first["jti"], second["jti"], "a fresh proof for the retry");
    assert_eq!(first["htm"], second["htm"]);
    assert_eq!(first["htu"], second["htu"]);
    assert_eq!(first["ath"], second["ath"]);
    assert_eq!(api[1].header("x-okta-retry-count"), Some("1"));
    assert_eq!(stack.client.stats().retry.retries, 1);
    assert_eq!(org.stats().tokens_issued, 1, "a retry is not a new token");
    org.emulator.shutdown().await;
}

#[tokio::test]
async fn a_replayed_proof_is_refused() {
    let org = Org::start().await;
    // The second API request re-sends the first one's proof, as a client that reuses proofs
    // on retries would.
    let first_proof: Arc<Mutex<Option<http::HeaderValue>>> = Arc::default();
    let tap = Tap::new().on_request({
        let first_proof = Arc::clone(&first_proof);
        move |index, request| {
            let mut saved = first_proof.lock().expect("lock");
            match index {
                0 => *saved = request.headers().get("dpop").cloned(),
                1 => {
                    request
                        .headers_mut()
                        .insert("dpop", saved.clone().expect("saved"));
                }
                _ => {}
            }
        }
    });
    let stack = org.client(org.config(), &tap);
    stack.list().await.expect("list");
    let err = stack.list().await.expect_err("replayed");
    let oauth = oauth_error(&err);
    assert!(matches!(oauth, OAuthError::Rejected(_)), "{oauth:?}");
    assert_eq!(oauth.code(), Some(&ErrorCode::InvalidDpopProof));
    assert_eq!(
        oauth.description(),
        Some("The DPoP proof JWT has already been used.")
    );
    assert_eq!(oauth.status(), Some(StatusCode::BAD_REQUEST));
    let challenge = oauth.challenge().expect("challenge");
    assert!(challenge.is_dpop());
    assert!(challenge.algs().contains(&"ES256"));
    assert_eq!(
        challenge.resource(),
        Some(format!("/api/v1/identity-sources/{DEFAULT_IDENTITY_SOURCE}/sessions").as_str())
    );
    assert!(!oauth.is_clock_skew());
    assert_eq!(
        err.to_string(),
        "listIdentitySourceSessions refused: DPoP HTTP 400 invalid_dpop_proof: The DPoP proof \
         JWT has already been used."
            .to_owned()
            + &oauth
                .failure()
                .and_then(|f| f.request_id.as_ref())
                .map(|id| format!(" [request id {id}]"))
                .unwrap_or_default()
    );

    // The same replay by hand, on a raw transport: the challenge parses alone.
    let api = tap.api();
    let mut raw = Request::get(&api[0].uri)
        .body(Bytes::new())
        .expect("request");
    *raw.headers_mut() = api[0].headers.clone();
    let response = HyperTransport::new()
        .expect("transport")
        .oneshot(raw)
        .await
        .expect("response");
    assert_eq!(response.status(), 400);
    assert!(
        response.body().is_empty(),
        "Okta's DPoP failures have no body"
    );
    let challenge = AuthChallenge::failure_in(response.headers(), "DPoP").expect("challenge");
    assert_eq!(challenge.error(), Some(ErrorCode::InvalidDpopProof));
    org.emulator.shutdown().await;
}

#[tokio::test]
async fn htu_carries_the_decoded_path_and_no_query() {
    let org = Org::start().await;
    let (tap, stack) = org.tapped();
    let source = stack.client.identity_source(DEFAULT_IDENTITY_SOURCE);
    // Auth passes (a proof with the wrong htu would be a 400): the user is just not there.
    let no_user = source
        .get_user("ann@example.com/x y")
        .await
        .expect_err("no such user");
    // A listing with a query: the query stays out of htu.
    let mut pager = stack
        .client
        .membership_pager(DEFAULT_IDENTITY_SOURCE, "no-such-group")
        .limit(5);
    let no_group = pager.next_page().await.expect_err("no such group");
    let api = tap.api();
    for (err, sent, uri_end, htu_end) in [
        (
            no_user,
            &api[0],
            "/users/ann%40example.com%2Fx%20y",
            "/users/ann@example.com/x y",
        ),
        (
            no_group,
            &api[1],
            "/groups/no-such-group/membership?limit=5",
            "/groups/no-such-group/membership",
        ),
    ] {
        assert_eq!(err.status(), Some(StatusCode::NOT_FOUND), "{err}");
        assert!(sent.uri.ends_with(uri_end), "{}", sent.uri);
        assert!(sent.htu().ends_with(htu_end), "{}", sent.htu());
    }
    org.emulator.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// 4. Bearer fallback.

#[tokio::test]
async fn bearer_fallback_when_the_token_response_says_bearer() {
    use support::Scripted;
    let script = Scripted::new();
    script
        .reply(
            200,
            r#"{"token_type":"Bearer","expires_in":3600,"access_token":"plain-token","scope":"okta.identitySources.manage"}"#,
        )
        .reply(200, "[]");
    let key = PrivateKey::generate_p256().expect("key");
    let client = support::builder(script.clone())
        .oauth(OAuthConfig::new(CLIENT_ID, key))
        .build();
    client
        .list_identity_source_sessions(DEFAULT_IDENTITY_SOURCE)
        .await
        .expect("list");
    let requests = script.take_requests();
    assert_eq!(requests.len(), 2);
    assert!(
        requests[0].headers().contains_key("dpop"),
        "the proof was offered"
    );
    assert_eq!(requests[1].headers()["authorization"], "Bearer plain-token");
    assert!(
        !requests[1].headers().contains_key("dpop"),
        "no proof for a bearer token"
    );
}

// ---------------------------------------------------------------------------------------------
// 5. Every documented error, typed.

#[tokio::test]
async fn token_endpoint_errors_are_typed() {
    // invalid_client: a key the app does not have.
    let org = Org::start().await;
    let stranger = PrivateKey::generate_p256().expect("key").with_kid("key-1");
    let stack = org.client(org.config_with(stranger, 0), &Tap::new());
    let err = stack.list().await.expect_err("wrong key");
    let oauth = oauth_error(&err);
    assert!(matches!(oauth, OAuthError::Token(_)), "{oauth:?}");
    assert_eq!(oauth.code(), Some(&ErrorCode::InvalidClient));
    assert_eq!(oauth.status(), Some(StatusCode::UNAUTHORIZED));
    assert!(
        err.to_string()
            .starts_with("token request refused: HTTP 401 invalid_client"),
        "{err}"
    );

    // invalid_scope: a scope the app was not granted.
    let stack = org.client(org.config().with_scopes(["okta.users.manage"]), &Tap::new());
    let err = stack.list().await.expect_err("scope");
    assert_eq!(oauth_error(&err).code(), Some(&ErrorCode::InvalidScope));

    // invalid_dpop_proof: a DPoP-bound app asked without a proof.
    let stack = org.client(org.config().with_dpop(false), &Tap::new());
    let err = stack.list().await.expect_err("no proof");
    let oauth = oauth_error(&err);
    assert_eq!(oauth.code(), Some(&ErrorCode::InvalidDpopProof));
    assert_eq!(
        oauth.description(),
        Some("The DPoP proof JWT header is missing.")
    );
    org.emulator.shutdown().await;
}

#[tokio::test]
async fn the_nonce_handshake_is_bounded_and_stops_on_a_repeated_nonce() {
    let org = Org::with_settings(|s| s.force_nonce_challenge = true).await;
    let (tap, stack) = org.tapped();
    let err = stack.list().await.expect_err("never satisfied");
    match oauth_error(&err) {
        OAuthError::NonceHandshake {
            reason, retries, ..
        } => {
            assert_eq!(*reason, NonceFailure::Exhausted);
            assert_eq!(*retries, 2);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        tap.tokens().len(),
        3,
        "the first request and two nonce retries"
    );
    assert_eq!(oauth_error(&err).code(), Some(&ErrorCode::UseDpopNonce));
    org.emulator.shutdown().await;

    let org = Org::with_settings(|s| s.repeat_nonce = true).await;
    let (tap, stack) = org.tapped();
    let err = stack.list().await.expect_err("a repeated nonce");
    assert!(
        matches!(
            oauth_error(&err),
            OAuthError::NonceHandshake {
                reason: NonceFailure::Repeated,
                retries: 1,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(tap.tokens().len(), 2);
    org.emulator.shutdown().await;
}

#[tokio::test]
async fn a_rate_limited_token_request_is_an_okta_error_not_an_oauth_one() {
    let org = Org::with_settings(|s| s.token_rate_limit = Some(1)).await;
    let stack = org.client(
        org.config().with_token_retry(RetryConfig::disabled()),
        &Tap::new(),
    );
    let err = stack.list().await.expect_err("429");
    let oauth = oauth_error(&err);
    assert!(oauth.is_rate_limited(), "{oauth:?}");
    match oauth {
        OAuthError::TokenEndpoint(api) => {
            assert_eq!(api.status, StatusCode::TOO_MANY_REQUESTS);
            assert_eq!(api.error_code(), Some("E0000047"));
        }
        other => panic!("{other:?}"),
    }
    org.emulator.shutdown().await;
}

#[tokio::test]
async fn resource_side_refusals_are_typed() {
    // insufficient_scope: a read-only token on a write.
    let org = Org::with_app(|c| c.with_scopes([SCOPE_READ])).await;
    let stack = org.client(org.config().with_scopes([SCOPE_READ]), &Tap::new());
    stack.list().await.expect("reads are allowed");
    let err = stack.create().await.expect_err("a write");
    let oauth = oauth_error(&err);
    assert_eq!(oauth.code(), Some(&ErrorCode::InsufficientScope));
    assert_eq!(oauth.status(), Some(StatusCode::FORBIDDEN));
    assert_eq!(
        oauth.challenge().and_then(|c| c.scope()),
        Some(SCOPE_MANAGE)
    );
    org.emulator.shutdown().await;

    // invalid_request: a DPoP-bound token sent with the Bearer scheme.
    let org = Org::start().await;
    let tap = Tap::new().on_request(|_, request| {
        let auth = request.headers()["authorization"]
            .to_str()
            .expect("ascii")
            .replacen("DPoP ", "Bearer ", 1);
        request
            .headers_mut()
            .insert("authorization", auth.parse().expect("header"));
        request.headers_mut().remove("dpop");
    });
    let stack = org.client(org.config(), &tap);
    let err = stack.list().await.expect_err("wrong scheme");
    let oauth = oauth_error(&err);
    assert_eq!(oauth.code(), Some(&ErrorCode::InvalidRequest));
    assert_eq!(oauth.status(), Some(StatusCode::BAD_REQUEST));
    org.emulator.shutdown().await;
}

#[tokio::test]
async fn a_resource_nonce_is_picked_up_and_used() {
    let org = Org::with_settings(|s| s.resource_nonce_mode = true).await;
    let (tap, stack) = org.tapped();
    assert_eq!(stack.list().await.expect("list"), 0);
    let statuses: Vec<_> = tap.api().iter().map(|s| s.status).collect();
    assert_eq!(statuses, [Some(401), Some(200)]);
    let (_, proof) = tap.api()[1].proof().expect("proof");
    assert!(proof.get("nonce").is_some());
    assert_eq!(stack.oauth.stats().resource_nonce_retries, 1);
    stack.list().await.expect("list");
    assert_eq!(
        tap.api().last().and_then(|s| s.status),
        Some(200),
        "the nonce goes on every proof from then on"
    );
    org.emulator.shutdown().await;
}

#[tokio::test]
async fn a_clock_skew_failure_reports_the_skew_from_the_date_header() {
    let org = Org::start().await;
    // The client's clock is ten minutes behind: its assertions have expired on arrival.
    // (The emulator's Date header is the system time, which the manual clock started at.)
    let stack = org.client(org.config_with(org.key.clone(), -600), &Tap::new());
    let err = stack.list().await.expect_err("skewed");
    let oauth = oauth_error(&err);
    assert_eq!(oauth.code(), Some(&ErrorCode::InvalidClient));
    assert!(oauth.is_clock_skew(), "{oauth:?}");
    let skew = oauth.clock_skew().expect("skew");
    assert!(skew.local_is_behind());
    assert!((598..=602).contains(&skew.seconds()), "{}", skew.seconds());
    let text = err.to_string();
    assert!(text.contains("s behind the server's Date"), "{text}");
    org.emulator.shutdown().await;
}

#[tokio::test]
async fn no_secret_in_errors_or_debug() {
    let org = Org::with_app(|c| c.with_scopes([SCOPE_READ])).await;
    let tap = Tap::new();
    let stack = org.client(org.config().with_scopes([SCOPE_READ]), &tap);
    stack.list().await.expect("list");
    let err = stack.create().await.expect_err("a write");
    let token = access_token(&tap.api()[0]);
    let proof = tap.api()[0].header("dpop").expect("proof").to_owned();
    let assertion = tap.tokens()[0].form("client_assertion").expect("assertion");
    let shown = format!(
        "{err} {err:?} {:?} {:?} {:?}",
        stack.client,
        stack.oauth,
        org.config()
    );
    for secret in [&token, &proof, &assertion] {
        assert!(!shown.contains(secret.as_str()), "a secret in {shown}");
    }
    assert!(shown.contains("<redacted>"));
    org.emulator.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// 6. In memory: what an emulator cannot easily play.

mod scripted {
    use super::support::{Scripted, response};
    use super::*;
    use okta_idsrc_core::{TransportError, TransportErrorKind};

    const DPOP_TOKEN: &str =
        r#"{"token_type":"DPoP","expires_in":3600,"access_token":"tok-1","scope":"s"}"#;

    /// A script behind a 50 ms delay, so that concurrent callers overlap.
    fn slow(
        script: &Scripted,
    ) -> impl Service<
        Request<Bytes>,
        Response = Response<Bytes>,
        Error = BoxError,
        Future = impl Send + 'static,
    > + Clone
    + Send
    + Sync
    + 'static {
        let script = script.clone();
        tower::service_fn(move |request: Request<Bytes>| {
            let script = script.clone();
            async move {
                tokio::time::sleep(Duration::from_millis(50)).await;
                script.oneshot(request).await
            }
        })
    }

    fn config() -> OAuthConfig {
        OAuthConfig::new(CLIENT_ID, PrivateKey::generate_p256().expect("key"))
            .with_token_retry(RetryConfig::default().with_random(Arc::new(FixedRandom(0.0))))
    }

    fn assertion_jti(request: &Request<Bytes>) -> String {
        let sent = Sent {
            method: request.method().clone(),
            uri: request.uri().to_string(),
            headers: request.headers().clone(),
            body: request.body().clone(),
            status: None,
        };
        let assertion = sent.form("client_assertion").expect("assertion");
        decode_unverified(&assertion).expect("JWS").1["jti"].to_string()
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_token_request_is_shared_by_every_waiting_caller() {
        let script = Scripted::new();
        script.reply(
            401,
            r#"{"error":"invalid_client","error_description":"The client_assertion signature is invalid."}"#,
        );
        let layer = OAuthLayer::new(&support::org(), config());
        let client = support::builder(slow(&script))
            .with_layer(layer.clone())
            .build();
        for listed in concurrent_lists(&client, 16).await {
            let err = listed.expect_err("refused");
            assert_eq!(oauth_error(&err).code(), Some(&ErrorCode::InvalidClient));
        }
        assert_eq!(
            script.take_requests().len(),
            1,
            "one token request for 16 callers"
        );
        assert_eq!(layer.stats().token_requests, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn token_429_and_503_are_retried_with_fresh_assertions() {
        let script = Scripted::new();
        script
            .reply_with(response(
                429,
                r#"{"errorCode":"E0000047","errorSummary":"API call exceeded rate limit due to too many requests."}"#,
                &[("retry-after", "2")],
            ))
            .reply_with(response(503, "", &[]))
            .reply(200, DPOP_TOKEN)
            .reply(200, "[]");
        let client = support::builder(script.clone()).oauth(config()).build();
        let started = tokio::time::Instant::now();
        client
            .list_identity_source_sessions(DEFAULT_IDENTITY_SOURCE)
            .await
            .expect("list");
        assert!(
            started.elapsed() >= Duration::from_secs(2),
            "Retry-After was honoured"
        );
        let requests = script.take_requests();
        assert_eq!(requests.len(), 4);
        let jtis: std::collections::HashSet<_> = requests[..3].iter().map(assertion_jti).collect();
        assert_eq!(jtis.len(), 3, "a fresh assertion for every attempt");
        let proofs: std::collections::HashSet<_> = requests
            .iter()
            .map(|r| r.headers()["dpop"].to_str().expect("ascii").to_owned())
            .collect();
        assert_eq!(proofs.len(), 4, "a fresh proof for every attempt");
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_renewal_keeps_the_current_token_until_it_expires() {
        let script = Scripted::new();
        script
            .reply(200, DPOP_TOKEN)
            .reply(200, "[]")
            .reply(
                400,
                r#"{"error":"invalid_scope","error_description":"No scopes were requested."}"#,
            )
            .reply(200, "[]")
            .reply(200, "[]")
            .reply(200, &DPOP_TOKEN.replace("tok-1", "tok-2"))
            .reply(200, "[]");
        let clock = Arc::new(okta_idsrc_ops::clock::TokioClock::new());
        let layer = OAuthLayer::new(&support::org(), config().with_clock(clock));
        let client = support::builder(script.clone())
            .with_layer(layer.clone())
            .build();
        let list = || async {
            client
                .list_identity_source_sessions(DEFAULT_IDENTITY_SOURCE)
                .await
                .expect("list")
        };
        list().await;
        // Due for renewal (a minute before expiry); the renewal fails; the token still works,
        // and the next renewal waits a few seconds.
        tokio::time::advance(Duration::from_secs(3550)).await;
        list().await;
        list().await;
        tokio::time::advance(Duration::from_secs(6)).await;
        list().await;
        let auth: Vec<String> = script
            .take_requests()
            .iter()
            .map(|r| {
                r.headers()
                    .get("authorization")
                    .map_or("token request".to_owned(), |v| {
                        v.to_str().expect("ascii").to_owned()
                    })
            })
            .collect();
        assert_eq!(
            auth,
            [
                "token request",
                "DPoP tok-1",
                "token request",
                "DPoP tok-1",
                "DPoP tok-1",
                "token request",
                "DPoP tok-2"
            ]
        );
        assert_eq!(layer.stats().tokens_issued, 2);
    }

    #[tokio::test]
    async fn the_nonce_is_refreshed_from_any_response() {
        let script = Scripted::new();
        script
            .reply(200, DPOP_TOKEN)
            .reply_with(response(200, "[]", &[("dpop-nonce", "from-the-api")]))
            .reply(200, DPOP_TOKEN)
            .reply(200, "[]");
        let layer = OAuthLayer::new(&support::org(), config());
        let client = support::builder(script.clone())
            .with_layer(layer.clone())
            .build();
        for _ in 0..2 {
            client
                .list_identity_source_sessions(DEFAULT_IDENTITY_SOURCE)
                .await
                .expect("list");
            layer.invalidate();
        }
        let requests = script.take_requests();
        let proof = |r: &Request<Bytes>| {
            decode_unverified(r.headers()["dpop"].to_str().expect("ascii"))
                .expect("proof")
                .1
        };
        assert!(proof(&requests[0]).get("nonce").is_none());
        assert_eq!(proof(&requests[2])["nonce"], "from-the-api");
        assert!(
            proof(&requests[3]).get("nonce").is_none(),
            "resource proofs carry no nonce unless asked"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_token_request_that_cannot_connect_is_a_transport_failure_the_retry_layer_retries() {
        let script = Scripted::new();
        script
            .fail(TransportErrorKind::Connect)
            .reply(200, DPOP_TOKEN)
            .reply(200, "[]");
        let client = support::builder(script.clone())
            .oauth(config())
            .default_layers(
                RetryConfig::default().with_random(Arc::new(FixedRandom(0.0))),
                RateLimitConfig::default(),
            )
            .build();
        client
            .list_identity_source_sessions(DEFAULT_IDENTITY_SOURCE)
            .await
            .expect("list");
        assert_eq!(client.stats().retry.retries, 1);
        assert_eq!(client.stats().oauth.tokens_issued, 1);

        // Without retries, the failure is typed and keeps the transport error in its chain.
        script.fail(TransportErrorKind::Connect);
        let client = support::builder(script.clone()).oauth(config()).build();
        let err = client
            .list_identity_source_sessions(DEFAULT_IDENTITY_SOURCE)
            .await
            .expect_err("cannot connect");
        assert!(matches!(oauth_error(&err), OAuthError::Transport(_)));
        let transport = TransportError::find_in(oauth_error(&err)).expect("transport error");
        assert_eq!(transport.kind(), TransportErrorKind::Connect);
    }
}
