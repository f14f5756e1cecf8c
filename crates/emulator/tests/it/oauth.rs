//! OAuth 2.0 service-app authentication over a real socket: the token endpoint
//! (`private_key_jwt` client credentials, DPoP proofs and the nonce handshake) and access
//! tokens on `/api/v1`, as `docs/okta-behavior.md#oauth-20-service-apps-and-dpop` describes Okta.
//!
//! One file past 500 lines on purpose: one scenario suite sharing the `Org` fixture (a
//! registered client, its keys, a manual clock) and its signing helpers.

use crate::common;

use std::time::Duration;

use bytes::Bytes;
use common::{Client, Resp};
use http::{Method, Request, StatusCode};
use http_body_util::Full;
use okta_idsrc_emulator::testing::OAuthOrg;
use okta_idsrc_emulator::{OAuthClient, OAuthSettings, SCOPE_MANAGE, SCOPE_READ};
use okta_idsrc_jose::{PrivateKey, random_id, sha256_b64url, sign_jwt};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Map, Value, json};

const CLIENT: &str = "0oaservice0000000001";
const BOTH: &str = "okta.identitySources.manage okta.identitySources.read";

/// [`OAuthOrg`]'s emulator with a client of it, and helpers to sign with the app's key.
struct Org {
    oauth: OAuthOrg,
    http: Client,
    /// The key of the client's DPoP proofs (not one of the client's keys).
    dpop: PrivateKey,
}

impl std::ops::Deref for Org {
    type Target = OAuthOrg;

    fn deref(&self) -> &OAuthOrg {
        &self.oauth
    }
}

impl Org {
    /// A DPoP-bound client with both scopes, live settings on a manual clock.
    async fn start() -> Self {
        Self::around(OAuthOrg::start(CLIENT).await)
    }

    async fn with(
        client: impl FnOnce(OAuthClient) -> OAuthClient,
        settings: impl FnOnce(OAuthSettings) -> OAuthSettings,
    ) -> Self {
        Self::around(OAuthOrg::with(CLIENT, client, settings).await)
    }

    /// The DPoP-bound client, with `settings` changed.
    async fn with_settings(change: impl FnOnce(&mut OAuthSettings)) -> Self {
        Self::around(OAuthOrg::with_settings(CLIENT, change).await)
    }

    fn around(oauth: OAuthOrg) -> Self {
        let http = Client::new(&oauth.emulator);
        Self {
            oauth,
            http,
            dpop: PrivateKey::generate_p256().unwrap(),
        }
    }

    fn now(&self) -> u64 {
        self.clock
            .now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
    }

    /// Claims of a valid assertion: exp now + 5 min, a fresh jti.
    fn claims(&self) -> Value {
        json!({
            "iss": CLIENT,
            "sub": CLIENT,
            "aud": self.emulator.token_url(),
            "iat": self.now(),
            "exp": self.now() + 300,
            "jti": random_id(),
        })
    }

    /// A valid assertion, with `changes` merged into its claims (`null` removes a claim).
    fn assertion_with(&self, changes: Value) -> String {
        sign_jwt(&self.key, Map::new(), &merge(self.claims(), changes)).unwrap()
    }

    fn assertion(&self) -> String {
        self.assertion_with(json!({}))
    }

    /// Valid claims signed by `key`, the header's `alg` set to `alg` when given.
    fn assertion_by(&self, key: &PrivateKey, alg: Option<&str>) -> String {
        let mut header = Map::new();
        if let Some(alg) = alg {
            header.insert("alg".into(), json!(alg));
        }
        sign_jwt(key, header, &self.claims()).unwrap()
    }

    /// A DPoP proof signed by `key` for `htm` and `htu`, with `extra` claims.
    fn proof(&self, key: &PrivateKey, htm: &str, htu: &str, extra: Value) -> String {
        let mut header = Map::new();
        header.insert("typ".into(), json!("dpop+jwt"));
        header.insert(
            "jwk".into(),
            serde_json::to_value(key.public_jwk()).unwrap(),
        );
        let claims = json!({"jti": random_id(), "htm": htm, "htu": htu, "iat": self.now()});
        sign_jwt(key, header, &merge(claims, extra)).unwrap()
    }

    /// A token-request proof, with the nonce when given.
    fn token_proof(&self, key: &PrivateKey, nonce: Option<&str>) -> String {
        let extra = nonce.map_or(json!({}), |n| json!({ "nonce": n }));
        self.proof(key, "POST", &self.emulator.token_url(), extra)
    }

    /// A resource proof for `token` on `method` `url` (the path as Okta compares it).
    fn resource_proof(&self, key: &PrivateKey, method: &str, url: &str, token: &str) -> String {
        let ath = sha256_b64url(token.as_bytes());
        self.proof(key, method, url, json!({ "ath": ath }))
    }

    async fn token_request(
        &self,
        assertion: &str,
        scope: Option<&str>,
        proof: Option<&str>,
    ) -> Resp {
        let mut params = vec![
            ("grant_type", "client_credentials"),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", assertion),
        ];
        if let Some(scope) = scope {
            params.push(("scope", scope));
        }
        let body = form(&params);
        let mut req = Request::post(self.emulator.token_url())
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .header("content-length", body.len());
        if let Some(proof) = proof {
            req = req.header("dpop", proof);
        }
        let req = req.body(Full::new(Bytes::from(body))).unwrap();
        self.http.try_send(req).await.unwrap()
    }

    /// A token request for both scopes with a new assertion and a new proof.
    async fn dpop_request(&self, nonce: Option<&str>) -> Resp {
        self.proof_request(&self.token_proof(&self.dpop, nonce))
            .await
    }

    /// A token request for both scopes with a new assertion and `proof`.
    async fn proof_request(&self, proof: &str) -> Resp {
        self.token_request(&self.assertion(), Some(BOTH), Some(proof))
            .await
    }

    /// A token request for both scopes with `assertion` and no proof.
    async fn assertion_request(&self, assertion: &str) -> Resp {
        self.token_request(assertion, Some(BOTH), None).await
    }

    /// A token request for both scopes with a new assertion and no proof.
    async fn plain_request(&self) -> Resp {
        self.assertion_request(&self.assertion()).await
    }

    /// The whole handshake for a DPoP-bound token: proof without nonce, challenge, retry.
    async fn dpop_token(&self) -> String {
        let first = self.dpop_request(None).await;
        let nonce = first.header("dpop-nonce").unwrap().to_owned();
        let r = self.dpop_request(Some(&nonce)).await;
        r.assert_status(StatusCode::OK);
        r.json()["access_token"].as_str().unwrap().to_owned()
    }

    /// `base` + `/api/v1/identity-sources/{source}` + `path`.
    fn url(&self, path: &str) -> String {
        self.http.url(path)
    }

    /// A request with `Authorization: {authorization}` and an optional `DPoP` proof.
    async fn api(
        &self,
        method: Method,
        url: &str,
        authorization: &str,
        proof: Option<&str>,
    ) -> Resp {
        let mut req = Request::builder()
            .method(method.clone())
            .uri(url)
            .header("authorization", authorization)
            .header("accept", "application/json");
        if method == Method::POST {
            req = req.header("content-length", 0);
        }
        if let Some(proof) = proof {
            req = req.header("dpop", proof);
        }
        let req = req.body(Full::new(Bytes::new())).unwrap();
        self.http.try_send(req).await.unwrap()
    }

    /// `GET …/sessions` with a DPoP token and a fresh, valid proof.
    async fn list_sessions(&self, token: &str) -> Resp {
        let url = self.url("/sessions");
        let proof = self.resource_proof(&self.dpop, "GET", &url, token);
        self.api(Method::GET, &url, &format!("DPoP {token}"), Some(&proof))
            .await
    }
}

fn merge(mut base: Value, changes: Value) -> Value {
    for (k, v) in changes.as_object().unwrap() {
        if v.is_null() {
            base.as_object_mut().unwrap().remove(k);
        } else {
            base[k] = v.clone();
        }
    }
    base
}

fn form(params: &[(&str, &str)]) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{k}={}", utf8_percent_encode(v, NON_ALPHANUMERIC)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Asserts an OAuth error body and returns its description.
fn assert_oauth_error(r: &Resp, status: u16, error: &str) -> String {
    assert_eq!(r.status.as_u16(), status, "{}", r.text());
    let body = r.json();
    assert_eq!(body["error"], error, "{body}");
    assert_eq!(r.header("cache-control"), Some("no-cache, no-store"));
    body["error_description"].as_str().unwrap().to_owned()
}

/// Asserts a resource-side challenge with an empty body; returns `WWW-Authenticate`.
fn assert_challenge(r: &Resp, status: u16, error: &str) -> String {
    assert_eq!(r.status.as_u16(), status, "{}", r.text());
    assert!(r.body.is_empty(), "{}", r.text());
    let header = r.header("www-authenticate").unwrap().to_owned();
    assert!(header.contains(&format!("error=\"{error}\"")), "{header}");
    header
}

#[tokio::test]
async fn bearer_token_without_dpop() {
    let org = Org::with(|c| c.with_dpop(false), |s| s).await;
    let r = org.plain_request().await;
    r.assert_status(StatusCode::OK);
    assert_eq!(r.header("cache-control"), Some("no-cache, no-store"));
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert!(r.header("dpop-nonce").is_none());
    let body = r.json();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["scope"], BOTH);
    let token = body["access_token"].as_str().unwrap();
    // Okta's field order.
    assert!(
        r.text()
            .starts_with("{\"token_type\":\"Bearer\",\"expires_in\":3600,")
    );

    let url = org.url("/sessions");
    let r = org
        .api(Method::GET, &url, &format!("Bearer {token}"), None)
        .await;
    r.assert_status(StatusCode::OK);

    // A Bearer token with the DPoP scheme: 401 invalid_token.
    let proof = org.resource_proof(&org.dpop, "GET", &url, token);
    let r = org
        .api(Method::GET, &url, &format!("DPoP {token}"), Some(&proof))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let header = r.header("www-authenticate").unwrap();
    assert!(header.contains("error=\"invalid_token\""), "{header}");
    assert_eq!(r.json()["errorCode"], "E0000011");

    let stats = org.emulator.state().stats;
    assert_eq!((stats.token_requests, stats.tokens_issued), (1, 1));
}

#[tokio::test]
async fn dpop_nonce_handshake_and_resource_call() {
    let org = Org::start().await;

    // A proof without nonce: use_dpop_nonce, with the nonce.
    let burned = org.assertion();
    let r = org
        .token_request(&burned, Some(BOTH), Some(&org.token_proof(&org.dpop, None)))
        .await;
    let description = assert_oauth_error(&r, 400, "use_dpop_nonce");
    assert_eq!(
        description,
        "Authorization server requires nonce in DPoP proof."
    );
    let nonce = r.header("dpop-nonce").unwrap().to_owned();
    assert_eq!(nonce, org.emulator.dpop_nonce());

    // The assertion was consumed before the DPoP checks: reusing it fails.
    let r = org
        .token_request(
            &burned,
            Some(BOTH),
            Some(&org.token_proof(&org.dpop, Some(&nonce))),
        )
        .await;
    assert_oauth_error(&r, 401, "invalid_client");

    // A new assertion and a proof with the nonce: 200.
    let r = org.dpop_request(Some(&nonce)).await;
    r.assert_status(StatusCode::OK);
    assert_eq!(r.header("dpop-nonce"), Some(nonce.as_str()));
    assert_eq!(r.header("cache-control"), Some("no-cache, no-store"));
    let body = r.json();
    assert_eq!(body["token_type"], "DPoP");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["scope"], BOTH);
    let token = body["access_token"].as_str().unwrap().to_owned();

    // Later token requests carrying the nonce go straight to 200.
    let r = org
        .token_request(
            &org.assertion(),
            Some(SCOPE_READ),
            Some(&org.token_proof(&org.dpop, Some(&nonce))),
        )
        .await;
    r.assert_status(StatusCode::OK);
    assert_eq!(r.json()["scope"], SCOPE_READ);

    // The resource call with a valid proof.
    let r = org.list_sessions(&token).await;
    r.assert_status(StatusCode::OK);
    assert_eq!(r.json(), json!([]));
    // A write works too (manage scope).
    let url = org.url("/sessions");
    let proof = org.resource_proof(&org.dpop, "POST", &url, &token);
    let r = org
        .api(Method::POST, &url, &format!("DPoP {token}"), Some(&proof))
        .await;
    r.assert_status(StatusCode::CREATED);
}

#[tokio::test]
async fn resource_proof_failures_are_400_with_an_empty_body() {
    let org = Org::start().await;
    let token = org.dpop_token().await;
    let auth = format!("DPoP {token}");
    let url = org.url("/sessions");
    let path = format!("/api/v1/identity-sources/{}/sessions", org.http.source);

    // Replayed proof.
    let proof = org.resource_proof(&org.dpop, "GET", &url, &token);
    let r = org.api(Method::GET, &url, &auth, Some(&proof)).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = org.api(Method::GET, &url, &auth, Some(&proof)).await;
    let header = assert_challenge(&r, 400, "invalid_dpop_proof");
    let base = org.emulator.base_url();
    assert_eq!(
        header,
        format!(
            "DPoP algs=\"RS256 RS384 RS512 ES256 ES384 ES512\", \
             authorization_uri=\"{base}/oauth2/v1/authorize\", realm=\"{base}\", \
             scope=\"okta.identitySources.read\", error=\"invalid_dpop_proof\", \
             error_description=\"The DPoP proof JWT has already been used.\", resource=\"{path}\""
        )
    );
    assert!(r.header("content-type").is_none());
    assert!(r.header("x-okta-request-id").is_some());

    // No proof.
    let r = org.api(Method::GET, &url, &auth, None).await;
    let header = assert_challenge(&r, 400, "invalid_dpop_proof");
    assert!(
        header.contains("The DPoP proof JWT header is missing."),
        "{header}"
    );

    // Wrong htm.
    let proof = org.resource_proof(&org.dpop, "POST", &url, &token);
    let r = org.api(Method::GET, &url, &auth, Some(&proof)).await;
    let header = assert_challenge(&r, 400, "invalid_dpop_proof");
    assert!(header.contains("'htm'"), "{header}");

    // Wrong htu: another path, and the URL with a query.
    for htu in [org.url("/users"), format!("{url}?limit=1")] {
        let proof = org.resource_proof(&org.dpop, "GET", &htu, &token);
        let r = org.api(Method::GET, &url, &auth, Some(&proof)).await;
        let header = assert_challenge(&r, 400, "invalid_dpop_proof");
        assert!(header.contains("'htu'"), "{header}");
    }
    // A query on the request is not part of htu.
    let proof = org.resource_proof(&org.dpop, "GET", &url, &token);
    let r = org
        .api(Method::GET, &format!("{url}?x=1"), &auth, Some(&proof))
        .await;
    r.assert_status(StatusCode::OK);

    // Wrong ath (the hash of another token), and none.
    let proof = org.resource_proof(&org.dpop, "GET", &url, "another-token");
    let r = org.api(Method::GET, &url, &auth, Some(&proof)).await;
    let header = assert_challenge(&r, 400, "invalid_dpop_proof");
    assert!(header.contains("'ath'"), "{header}");
    let proof = org.proof(&org.dpop, "GET", &url, json!({}));
    let r = org.api(Method::GET, &url, &auth, Some(&proof)).await;
    assert_challenge(&r, 400, "invalid_dpop_proof");

    // Another key than the token's.
    let other = PrivateKey::generate_p256().unwrap();
    let proof = org.resource_proof(&other, "GET", &url, &token);
    let r = org.api(Method::GET, &url, &auth, Some(&proof)).await;
    let header = assert_challenge(&r, 400, "invalid_dpop_proof");
    assert!(header.contains("key binding"), "{header}");

    // iat older than 5 minutes, and in the future.
    for iat in [org.now() - 301, org.now() + 1] {
        let proof = org.proof(
            &org.dpop,
            "GET",
            &url,
            json!({"ath": sha256_b64url(token.as_bytes()), "iat": iat}),
        );
        let r = org.api(Method::GET, &url, &auth, Some(&proof)).await;
        assert_challenge(&r, 400, "invalid_dpop_proof");
    }

    // A DPoP-bound token as Bearer: 400 invalid_request.
    let r = org
        .api(Method::GET, &url, &format!("Bearer {token}"), None)
        .await;
    let header = assert_challenge(&r, 400, "invalid_request");
    assert!(header.starts_with("DPoP algs="), "{header}");

    // An unknown token: 401 E0000011, as before.
    let proof = org.resource_proof(&org.dpop, "GET", &url, "nope");
    let r = org.api(Method::GET, &url, "DPoP nope", Some(&proof)).await;
    r.assert_error(401, "E0000011");

    // And the valid proof still passes after all that.
    let r = org.list_sessions(&token).await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn proof_with_private_key_or_bad_typ_is_refused() {
    let org = Org::start().await;
    let nonce = org.emulator.dpop_nonce();
    let claims = json!({"jti": random_id(), "htm": "POST", "htu": org.emulator.token_url(), "iat": org.now(), "nonce": nonce});

    let mut jwk = serde_json::to_value(org.dpop.public_jwk()).unwrap();
    jwk["d"] = json!("AAAA");
    let mut header = Map::new();
    header.insert("typ".into(), json!("dpop+jwt"));
    header.insert("jwk".into(), jwk);
    let proof = sign_jwt(&org.dpop, header, &claims).unwrap();
    let r = org.proof_request(&proof).await;
    let description = assert_oauth_error(&r, 400, "invalid_dpop_proof");
    assert!(description.contains("private key"), "{description}");

    let mut header = Map::new();
    header.insert("typ".into(), json!("JWT"));
    header.insert(
        "jwk".into(),
        serde_json::to_value(org.dpop.public_jwk()).unwrap(),
    );
    let proof = sign_jwt(&org.dpop, header, &claims).unwrap();
    let r = org.proof_request(&proof).await;
    assert_oauth_error(&r, 400, "invalid_dpop_proof");

    // Signed with the client's own key.
    let proof = org.token_proof(&org.key, Some(&nonce));
    let r = org.proof_request(&proof).await;
    let description = assert_oauth_error(&r, 400, "invalid_dpop_proof");
    assert!(description.contains("client's key"), "{description}");

    // Wrong htu on the token endpoint.
    let proof = org.proof(
        &org.dpop,
        "POST",
        &format!("{}/", org.emulator.token_url()),
        json!({ "nonce": nonce }),
    );
    let r = org.proof_request(&proof).await;
    assert_oauth_error(&r, 400, "invalid_dpop_proof");

    // A replayed token proof.
    let proof = org.token_proof(&org.dpop, Some(&nonce));
    let r = org.proof_request(&proof).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = org.proof_request(&proof).await;
    let description = assert_oauth_error(&r, 400, "invalid_dpop_proof");
    assert_eq!(description, "The DPoP proof JWT has already been used.");
}

#[tokio::test]
async fn proofless_request_of_a_dpop_client() {
    let org = Org::start().await;
    let r = org.plain_request().await;
    let description = assert_oauth_error(&r, 400, "invalid_dpop_proof");
    assert_eq!(description, "The DPoP proof JWT header is missing.");
}

#[tokio::test]
async fn assertion_checks() {
    let org = Org::start().await;
    let url = org.emulator.token_url();
    let cases = [
        (
            "aud with a trailing slash",
            json!({ "aud": format!("{url}/") }),
        ),
        (
            "aud of another host",
            json!({ "aud": "https://acme.okta.com/oauth2/v1/token" }),
        ),
        ("exp past one hour", json!({ "exp": org.now() + 3601 })),
        ("exp in the past", json!({ "exp": org.now() - 1 })),
        ("exp now", json!({ "exp": org.now() })),
        ("no exp", json!({ "exp": null })),
        ("iat in the future", json!({ "iat": org.now() + 1 })),
        ("no jti", json!({ "jti": null })),
        ("iss not the client", json!({ "iss": "someone" })),
        (
            "sub unknown",
            json!({ "sub": "0oaunknown", "iss": "0oaunknown" }),
        ),
    ];
    for (what, changes) in cases {
        let r = org.assertion_request(&org.assertion_with(changes)).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{what}: {}", r.text());
        assert_eq!(r.json()["error"], "invalid_client", "{what}");
    }
    let r = org
        .assertion_request(&org.assertion_with(json!({ "aud": format!("{url}/") })))
        .await;
    assert_eq!(
        assert_oauth_error(&r, 401, "invalid_client"),
        "The audience claim for client_assertion must be the endpoint invoked for the request."
    );

    // exp exactly one hour ahead is fine (the DPoP check comes next).
    let r = org
        .assertion_request(&org.assertion_with(json!({ "exp": org.now() + 3600 })))
        .await;
    assert_oauth_error(&r, 400, "invalid_dpop_proof");

    // Replayed assertion.
    let assertion = org.assertion();
    let r = org.assertion_request(&assertion).await;
    assert_oauth_error(&r, 400, "invalid_dpop_proof");
    let r = org.assertion_request(&assertion).await;
    assert_eq!(
        assert_oauth_error(&r, 401, "invalid_client"),
        "The client_assertion token has already been used."
    );

    // Signed by another key with the registered kid.
    let impostor = PrivateKey::generate_p256().unwrap().with_kid("key-1");
    let r = org
        .assertion_request(&org.assertion_by(&impostor, None))
        .await;
    assert_oauth_error(&r, 401, "invalid_client");

    // A kid the client does not have.
    let stranger = PrivateKey::generate_p256().unwrap().with_kid("key-9");
    let r = org
        .assertion_request(&org.assertion_by(&stranger, None))
        .await;
    assert_oauth_error(&r, 401, "invalid_client");

    // ES512 and HS256: not supported.
    for alg in ["ES512", "HS256", "none"] {
        let r = org
            .assertion_request(&org.assertion_by(&org.key, Some(alg)))
            .await;
        let description = assert_oauth_error(&r, 401, "invalid_client");
        assert!(description.contains(alg), "{description}");
    }

    // No assertion at all.
    let body = "grant_type=client_credentials&scope=okta.identitySources.read";
    let req = Request::post(org.emulator.token_url())
        .header("content-type", "application/x-www-form-urlencoded")
        .header("content-length", body.len())
        .body(Full::new(Bytes::from_static(body.as_bytes())))
        .unwrap();
    let r = org.http.try_send(req).await.unwrap();
    assert_oauth_error(&r, 401, "invalid_client");
}

#[tokio::test]
async fn several_keys_need_a_kid() {
    let second = PrivateKey::generate_p256().unwrap().with_kid("key-2");
    let second_jwk = second.public_jwk();
    let org = Org::with(
        |mut c| {
            c.jwks.push(second_jwk);
            c.with_dpop(false)
        },
        |s| s,
    )
    .await;
    // With kid: either key works.
    let r = org
        .assertion_request(&org.assertion_by(&second, None))
        .await;
    r.assert_status(StatusCode::OK);
    // Without kid: refused.
    let anonymous = PrivateKey::generate_p256().unwrap();
    let r = org
        .assertion_request(&org.assertion_by(&anonymous, Some("ES256")))
        .await;
    let description = assert_oauth_error(&r, 401, "invalid_client");
    assert!(description.contains("kid"), "{description}");
}

#[tokio::test]
async fn scope_checks() {
    let org = Org::with(|c| c.with_scopes([SCOPE_READ]).with_dpop(false), |s| s).await;
    let r = org.token_request(&org.assertion(), None, None).await;
    assert_eq!(
        assert_oauth_error(&r, 400, "invalid_scope"),
        "No scopes were requested."
    );
    let r = org.token_request(&org.assertion(), Some("  "), None).await;
    assert_oauth_error(&r, 400, "invalid_scope");
    let r = org.plain_request().await;
    let description = assert_oauth_error(&r, 400, "invalid_scope");
    assert!(description.contains(SCOPE_MANAGE), "{description}");

    // A read-only token reads, but may not write: 403 E0000006.
    let r = org
        .token_request(&org.assertion(), Some(SCOPE_READ), None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let token = r.json()["access_token"].as_str().unwrap().to_owned();
    let url = org.url("/sessions");
    let auth = format!("Bearer {token}");
    let r = org.api(Method::GET, &url, &auth, None).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = org.api(Method::POST, &url, &auth, None).await;
    r.assert_error(403, "E0000006");
    let header = r.header("www-authenticate").unwrap();
    assert!(header.contains("error=\"insufficient_scope\""), "{header}");
    assert!(
        header.contains("scope=\"okta.identitySources.manage\""),
        "{header}"
    );
}

#[tokio::test]
async fn expired_tokens_are_refused() {
    let org = Org::with_settings(|s| s.token_lifetime = Duration::from_secs(60)).await;
    let r = org.dpop_request(Some(&org.emulator.dpop_nonce())).await;
    assert_eq!(r.json()["expires_in"], 60);
    let token = r.json()["access_token"].as_str().unwrap().to_owned();
    assert_eq!(org.list_sessions(&token).await.status, StatusCode::OK);
    org.clock.advance(Duration::from_secs(59));
    assert_eq!(org.list_sessions(&token).await.status, StatusCode::OK);
    org.clock.advance(Duration::from_secs(1));
    let r = org.list_sessions(&token).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let header = r.header("www-authenticate").unwrap();
    assert!(header.contains("error=\"invalid_token\""), "{header}");
    assert!(header.contains("expired"), "{header}");
    r.assert_error(401, "E0000011");
}

#[tokio::test]
async fn percent_encoded_paths_compare_decoded() {
    let org = Org::start().await;
    let token = org.dpop_token().await;
    let auth = format!("DPoP {token}");
    let url = org.url("/users/a%40example.com");
    let decoded = org.url("/users/a@example.com");

    // htu with the decoded path: authenticated (the user does not exist: 404).
    let proof = org.resource_proof(&org.dpop, "GET", &decoded, &token);
    let r = org.api(Method::GET, &url, &auth, Some(&proof)).await;
    r.assert_error(404, "E0000007");

    // htu that keeps %40: refused, as on Okta.
    let proof = org.resource_proof(&org.dpop, "GET", &url, &token);
    let r = org.api(Method::GET, &url, &auth, Some(&proof)).await;
    assert_challenge(&r, 400, "invalid_dpop_proof");
}

#[tokio::test]
async fn static_token_keeps_working() {
    let org = Org::start().await;
    for scheme in ["SSWS", "Bearer"] {
        let r = org
            .api(
                Method::GET,
                &org.url("/sessions"),
                &format!("{scheme} {}", org.emulator.token()),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{scheme}");
    }
    let r = org
        .api(Method::GET, &org.url("/sessions"), "SSWS wrong", None)
        .await;
    r.assert_error(401, "E0000011");
    assert!(r.header("www-authenticate").is_none());
}

#[tokio::test]
async fn nonces_rotate_and_stay_valid_for_the_grace_period() {
    let org = Org::start().await;
    let first = org.emulator.dpop_nonce();
    let request = |nonce: String| {
        let org = &org;
        async move { org.dpop_request(Some(&nonce)).await }
    };
    // A day later the nonce has rotated; the old one still works and the new one comes back.
    org.clock.advance(Duration::from_secs(24 * 3600));
    let r = request(first.clone()).await;
    r.assert_status(StatusCode::OK);
    let second = r.header("dpop-nonce").unwrap().to_owned();
    assert_ne!(second, first);
    // Three days after it was handed out, the first is stale: challenged with the current one.
    org.clock.advance(Duration::from_secs(48 * 3600));
    let r = request(first.clone()).await;
    assert_oauth_error(&r, 400, "use_dpop_nonce");
    assert_eq!(
        r.header("dpop-nonce"),
        Some(org.emulator.dpop_nonce().as_str())
    );
    let r = request(second.clone()).await;
    assert_eq!(r.status, StatusCode::OK);

    // Expiring nonces on demand forces one challenge.
    org.emulator.expire_dpop_nonces();
    let r = request(second).await;
    assert_oauth_error(&r, 400, "use_dpop_nonce");
    let third = r.header("dpop-nonce").unwrap().to_owned();
    assert_eq!(request(third).await.status, StatusCode::OK);
}

#[tokio::test]
async fn forced_and_repeated_nonce_challenges() {
    let forced = Org::with_settings(|s| s.force_nonce_challenge = true).await;
    let mut nonce = None;
    let mut seen = Vec::new();
    for _ in 0..3 {
        let r = forced.dpop_request(nonce.as_deref()).await;
        assert_oauth_error(&r, 400, "use_dpop_nonce");
        let n = r.header("dpop-nonce").unwrap().to_owned();
        assert!(!seen.contains(&n));
        seen.push(n.clone());
        nonce = Some(n);
    }

    let repeated = Org::with_settings(|s| s.repeat_nonce = true).await;
    let r = repeated.dpop_request(None).await;
    let n = r.header("dpop-nonce").unwrap().to_owned();
    let r = repeated.dpop_request(Some(&n)).await;
    assert_oauth_error(&r, 400, "use_dpop_nonce");
    assert_eq!(r.header("dpop-nonce"), Some(n.as_str()));
}

#[tokio::test]
async fn resource_nonce_mode() {
    let org = Org::with_settings(|s| s.resource_nonce_mode = true).await;
    let token = org.dpop_token().await;
    let url = org.url("/sessions");
    let auth = format!("DPoP {token}");

    let r = org.list_sessions(&token).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.body.is_empty());
    let header = r.header("www-authenticate").unwrap();
    assert!(header.contains("error=\"use_dpop_nonce\""), "{header}");
    let nonce = r.header("dpop-nonce").unwrap().to_owned();

    let ath = sha256_b64url(token.as_bytes());
    let proof = org.proof(&org.dpop, "GET", &url, json!({"ath": ath, "nonce": nonce}));
    let r = org.api(Method::GET, &url, &auth, Some(&proof)).await;
    r.assert_status(StatusCode::OK);
}

#[tokio::test]
async fn token_rate_limit_is_okta_shaped() {
    let org = Org::with(
        |c| c.with_dpop(false),
        |s| OAuthSettings {
            token_rate_limit: Some(1),
            ..s
        },
    )
    .await;
    let r = org.plain_request().await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("x-rate-limit-remaining"), Some("0"));
    let r = org.plain_request().await;
    r.assert_error(429, "E0000047");
    assert_eq!(r.header("x-rate-limit-limit"), Some("1"));
}

#[tokio::test]
async fn token_endpoint_wants_a_form() {
    let org = Org::with(|c| c.with_dpop(false), |s| s).await;
    let body = format!(
        "{{\"grant_type\":\"client_credentials\",\"client_assertion\":\"{}\"}}",
        org.assertion()
    );
    let req = Request::post(org.emulator.token_url())
        .header("content-type", "application/json")
        .header("content-length", body.len())
        .body(Full::new(Bytes::from(body)))
        .unwrap();
    let r = org.http.try_send(req).await.unwrap();
    assert_oauth_error(&r, 400, "invalid_request");

    let req = Request::get(org.emulator.token_url())
        .body(Full::new(Bytes::new()))
        .unwrap();
    let r = org.http.try_send(req).await.unwrap();
    r.assert_error(405, "E0000022");
}

#[tokio::test]
async fn dpop_over_http2() {
    let org = Org::start().await;
    let h2 = Client::h2(&org.emulator);
    let token = org.dpop_token().await;
    let url = org.url("/sessions");
    let proof = org.resource_proof(&org.dpop, "GET", &url, &token);
    let req = Request::get(&url)
        .header("authorization", format!("DPoP {token}"))
        .header("dpop", proof)
        .body(Full::new(Bytes::new()))
        .unwrap();
    let r = h2.try_send(req).await.unwrap();
    r.assert_status(StatusCode::OK);
}

#[tokio::test]
async fn rsa_keys_from_a_jwks_or_pem() {
    let private_jwk = include_str!("../../../jose/tests/data/rsa_private.jwk.json");
    let pem = include_str!("../../../jose/tests/data/rsa_pkcs8.pem");
    let jwks = format!("{{\"keys\": [{private_jwk}]}}");
    let from_jwks = OAuthClient::parse_keys(&jwks).unwrap();
    let from_jwk = OAuthClient::parse_keys(private_jwk).unwrap();
    let from_pem = OAuthClient::parse_keys(pem).unwrap();
    assert_eq!(from_jwks, from_jwk);
    assert_eq!(from_jwks[0].kid.as_deref(), Some("rsa-key-1"));
    assert_eq!(from_pem[0].n, from_jwks[0].n);
    assert!(OAuthClient::parse_keys("{\"keys\": []}").is_err());
    assert!(OAuthClient::parse_keys("nope").is_err());

    let key = PrivateKey::from_jwk_json(private_jwk)
        .unwrap()
        .with_algorithm(okta_idsrc_jose::Algorithm::RS512)
        .unwrap();
    let client = |c: OAuthClient| OAuthClient {
        jwks: from_jwks,
        ..c.with_dpop(false)
    };
    let org = Org::around(OAuthOrg::with_key(CLIENT, key, client, |s| s).await);
    let r = org.plain_request().await;
    r.assert_status(StatusCode::OK);
}
