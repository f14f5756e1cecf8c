//! The limits (`docs/okta-behavior.md#limits`), the wire rules (`#wire-conventions`) and the rate limits, with Okta's errors.

use crate::common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{Client, raw_http, start, users};
use http::{Method, StatusCode};
use okta_idsrc_emulator::Emulator;
use serde_json::json;

async fn setup() -> (okta_idsrc_emulator::EmulatorHandle, Client, String) {
    let (emu, c) = start(Emulator::builder()).await;
    let s = c.create_session().await;
    (emu, c, s)
}

#[tokio::test]
async fn entity_and_size_limits() {
    let (emu, c, s) = setup().await;

    // 201 users.
    let r = c.load(&s, "bulk-upsert", users(0, 201)).await;
    let body = r.assert_error(400, "E0000001");
    assert_eq!(body["errorSummary"], "Api validation failed: profiles");
    assert_eq!(
        r.causes(),
        ["profiles: has 201 entries; at most 200 allowed"]
    );
    // 200 is fine.
    assert_eq!(
        c.load(&s, "bulk-upsert", users(0, 200)).await.status,
        StatusCode::ACCEPTED
    );

    // A body over 200 KB, each entity valid.
    let mut big = users(0, 150);
    for p in big["profiles"].as_array_mut().unwrap() {
        p["profile"]["homeAddress"] = json!("x".repeat(1_400));
    }
    let r = c.load(&s, "bulk-upsert", big).await;
    let body = r.assert_error(400, "E0000001");
    assert_eq!(body["errorSummary"], "Api validation failed: body");
    r.assert_first_cause(|c| c.starts_with("body: is 2"));

    // Groups and memberships: 1–200 entries, 200 member ids in all.
    c.load(&s, "bulk-groups-upsert", json!({"profiles": []}))
        .await
        .assert_error(400, "E0000001");
    c.load(
        &s,
        "bulk-groups-delete",
        json!({"externalIds": (0..201).map(|i| format!("G{i}")).collect::<Vec<_>>()}),
    )
    .await
    .assert_error(400, "E0000001");
    let r = c
        .load(
            &s,
            "bulk-group-memberships-upsert",
            json!({"memberships": [
                {"groupExternalId": "G1", "memberExternalIds": (0..150).map(|i| format!("U{i}")).collect::<Vec<_>>()},
                {"groupExternalId": "G2", "memberExternalIds": (0..51).map(|i| format!("U{i}")).collect::<Vec<_>>()},
            ]}),
        )
        .await;
    r.assert_error(400, "E0000001");
    r.assert_first_cause(|c| c.contains("201 member ids"));

    // Only the valid load was stored.
    assert_eq!(emu.state().identity_sources[0].sessions[0].load_count, 1);
}

#[tokio::test]
async fn fifty_loads_a_session() {
    let (emu, c, s) = setup().await;
    for i in 0..50 {
        assert_eq!(
            c.load(&s, "bulk-upsert", users(i, i + 1)).await.status,
            StatusCode::ACCEPTED,
            "load {i}"
        );
    }
    let r = c.load(&s, "bulk-upsert", users(50, 51)).await;
    r.assert_error(400, "E0000001");
    r.assert_first_cause(|c| c.contains("at most 50 bulk loads"));
    c.load(&s, "bulk-groups-delete", json!({"externalIds": ["G"]}))
        .await
        .assert_error(400, "E0000001");
    assert_eq!(emu.state().identity_sources[0].sessions[0].load_count, 50);
    assert_eq!(c.start_import(&s).await.status, StatusCode::OK);
    c.wait_status(&s, "COMPLETED").await;
    assert_eq!(emu.state().identity_sources[0].users.len(), 50);
}

#[tokio::test]
async fn field_rules_name_the_field() {
    let (_emu, c, s) = setup().await;
    let mut body = users(0, 5);
    body["profiles"][3]["profile"]["email"] = json!(format!("{}@x.io", "a".repeat(96)));
    let r = c.load(&s, "bulk-upsert", body).await;
    let b = r.assert_error(400, "E0000001");
    assert_eq!(
        b["errorSummary"],
        "Api validation failed: profiles[3].profile.email"
    );
    assert_eq!(
        r.causes(),
        ["profiles[3].profile.email: is 101 characters; at most 100 allowed"]
    );

    // A 4-byte character.
    let mut body = users(0, 2);
    body["profiles"][1]["profile"]["firstName"] = json!("Ann 😀");
    let r = c.load(&s, "bulk-upsert", body).await;
    r.assert_error(400, "E0000001");
    r.assert_first_cause(|c| c.starts_with("profiles[1].profile.firstName: contains a 4-byte"));

    // External id over 512, custom attribute not a string, group display name over 255.
    let r = c.load(&s, "bulk-upsert", json!({"profiles": [{"externalId": "x".repeat(513), "profile": {"email": "a@b.io", "level": 3}}]})).await;
    r.assert_error(400, "E0000001");
    assert_eq!(r.causes().len(), 2, "{:?}", r.causes());
    let r = c
        .load(
            &s,
            "bulk-groups-upsert",
            json!({"profiles": [{"externalId": "G", "profile": {"displayName": "d".repeat(256)}}]}),
        )
        .await;
    r.assert_error(400, "E0000001");
    r.assert_first_cause(|c| c.starts_with("profiles[0].profile.displayName"));
    // The individual operations validate too.
    let r = c
        .post(
            "/users",
            json!({"externalId": "U", "profile": {"email": "a@example.com"}}),
        )
        .await;
    r.assert_error(400, "E0000001");
    r.assert_first_cause(|c| c.starts_with("profile.userName: is required"));
    // Unknown fields are accepted.
    let mut body = users(0, 1);
    body["somethingNew"] = json!({"a": 1});
    body["profiles"][0]["extra"] = json!(true);
    assert_eq!(
        c.load(&s, "bulk-upsert", body).await.status,
        StatusCode::ACCEPTED
    );
}

#[tokio::test]
async fn malformed_json() {
    let (emu, c, s) = setup().await;
    for body in [
        &b"{\"profiles\": ["[..],
        b"not json",
        b"",
        b"{\"profiles\": \"nope\"}",
    ] {
        let r = c
            .send_raw(
                Method::POST,
                &c.url(&format!("/sessions/{s}/bulk-upsert")),
                Some(body.to_vec()),
            )
            .await;
        let b = r.assert_error(400, "E0000003");
        assert_eq!(b["errorSummary"], "The request body was not well-formed.");
        assert_eq!(b["errorCauses"], json!([]));
    }
    let r = c
        .send_raw(Method::POST, &c.url("/users"), Some(b"{".to_vec()))
        .await;
    r.assert_error(400, "E0000003");
    assert_eq!(emu.state().identity_sources[0].sessions[0].load_count, 0);
}

#[tokio::test]
async fn length_required_without_content_length() {
    let (emu, _c, s) = setup().await;
    let addr = emu.addr();
    let req = |path: &str, extra: &str| {
        format!(
            "POST /api/v1/identity-sources/0oaemulator000000001{path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: SSWS emulator-token\r\n{extra}Connection: close\r\n\r\n"
        )
    };
    let r = String::from_utf8(raw_http(addr, req("/sessions", "").as_bytes()).await).unwrap();
    assert!(r.starts_with("HTTP/1.1 411"), "{r}");
    assert!(r.to_ascii_lowercase().contains("x-okta-request-id"), "{r}");
    let r = String::from_utf8(
        raw_http(
            addr,
            req(&format!("/sessions/{s}/start-import"), "").as_bytes(),
        )
        .await,
    )
    .unwrap();
    assert!(r.starts_with("HTTP/1.1 411"), "{r}");
    // With Content-Length: 0 it is fine (here: the active session refuses a second one).
    let r = String::from_utf8(
        raw_http(addr, req("/sessions", "Content-Length: 0\r\n").as_bytes()).await,
    )
    .unwrap();
    assert!(r.starts_with("HTTP/1.1 400"), "{r}");
    // A chunked body declares its length too.
    let body = serde_json::to_string(&users(0, 1)).unwrap();
    let chunked = format!(
        "{}{:x}\r\n{body}\r\n0\r\n\r\n",
        req(
            &format!("/sessions/{s}/bulk-upsert"),
            "Transfer-Encoding: chunked\r\nContent-Type: application/json\r\n"
        ),
        body.len()
    );
    let r = String::from_utf8(raw_http(addr, chunked.as_bytes()).await).unwrap();
    assert!(r.starts_with("HTTP/1.1 202"), "{r}");
}

#[tokio::test]
async fn wrong_method_unknown_resources_and_auth() {
    let (_emu, c, s) = setup().await;
    // 405.
    for (method, path) in [
        (Method::PUT, "/sessions".to_owned()),
        (Method::PATCH, format!("/sessions/{s}")),
        (Method::GET, format!("/sessions/{s}/bulk-upsert")),
        (Method::DELETE, "/users".to_owned()),
        (Method::PUT, "/groups/G".to_owned()),
        (Method::GET, "/groups/G/membership/U".to_owned()),
    ] {
        let b = c
            .call(method.clone(), &path, None)
            .await
            .assert_error(405, "E0000022");
        assert_eq!(
            b["errorSummary"], "The endpoint does not support the provided HTTP method",
            "{method} {path}"
        );
    }
    // 404: identity source, session (every session operation), paths.
    let other = c.for_source("0oaNOPE");
    let b = other.get("/sessions").await.assert_error(404, "E0000007");
    assert_eq!(
        b["errorSummary"],
        "Not found: Resource not found: 0oaNOPE (IdentitySource)"
    );
    for r in [
        c.get("/sessions/apsNOPE").await,
        c.call(Method::DELETE, "/sessions/apsNOPE", None).await,
        c.load("apsNOPE", "bulk-upsert", users(0, 1)).await,
        c.load("apsNOPE", "bulk-upsert", json!("garbage")).await,
        c.start_import("apsNOPE").await,
    ] {
        let b = r.assert_error(404, "E0000007");
        assert_eq!(
            b["errorSummary"],
            "Not found: Resource not found: apsNOPE (IdentitySourceSession)"
        );
    }
    c.get(&format!("/sessions/{s}/nope"))
        .await
        .assert_error(404, "E0000007");
    c.send_raw(Method::GET, &format!("{}/api/v1/users", c.base), None)
        .await
        .assert_error(404, "E0000007");

    // 401: missing, wrong, wrong scheme; Bearer is accepted.
    let url = c.url("/sessions");
    let with_auth = |auth: Option<&str>| {
        let mut b = http::Request::get(&url);
        if let Some(a) = auth {
            b = b.header("authorization", a);
        }
        b.body(http_body_util::Full::new(bytes::Bytes::new()))
            .unwrap()
    };
    for auth in [
        None,
        Some("SSWS wrong"),
        Some("Basic emulator-token"),
        Some("emulator-token"),
    ] {
        let r = c.try_send(with_auth(auth)).await.unwrap();
        let b = r.assert_error(401, "E0000011");
        assert_eq!(b["errorSummary"], "Invalid token provided");
        assert!(r.header("x-okta-request-id").is_some());
    }
    assert_eq!(
        c.try_send(with_auth(Some("Bearer emulator-token")))
            .await
            .unwrap()
            .status,
        StatusCode::OK
    );
    // Membership page size.
    c.post(
        "/groups",
        json!({"externalId": "G", "profile": {"displayName": "G"}}),
    )
    .await;
    c.get("/groups/G/membership?limit=1001")
        .await
        .assert_error(400, "E0000001");
    c.get("/groups/G/membership?limit=0")
        .await
        .assert_error(400, "E0000001");
    assert_eq!(
        c.get("/groups/G/membership?limit=1000").await.status,
        StatusCode::OK
    );
}

/// The wall clock, to compare with the emulator's `X-Rate-Limit-Reset`.
#[allow(clippy::disallowed_methods)]
pub(crate) fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[tokio::test]
async fn general_bucket_counts_down_then_429() {
    let (emu, c) = start(Emulator::builder().rate_limit(5)).await;
    let s = c.create_session().await; // the session bucket: not counted here
    for expected in (0..5).rev() {
        let r = c
            .load(&s, "bulk-upsert", users(expected, expected + 1))
            .await;
        assert_eq!(r.status, StatusCode::ACCEPTED);
        assert_eq!(r.header("x-rate-limit-limit"), Some("5"));
        assert_eq!(
            r.header("x-rate-limit-remaining"),
            Some(expected.to_string().as_str())
        );
    }
    let r = c.load(&s, "bulk-upsert", users(9, 10)).await;
    let b = r.assert_error(429, "E0000047");
    assert_eq!(
        b["errorSummary"],
        "API call exceeded rate limit due to too many requests."
    );
    assert_eq!(b["errorCauses"], json!([]));
    assert_eq!(r.header("x-rate-limit-limit"), Some("5"));
    assert_eq!(r.header("x-rate-limit-remaining"), Some("0"));
    let reset: u64 = r.header("x-rate-limit-reset").unwrap().parse().unwrap();
    let date = httpdate::parse_http_date(r.header("date").unwrap()).unwrap();
    let date = date.duration_since(UNIX_EPOCH).unwrap().as_secs();
    assert!(
        reset > now_secs() && reset > date && reset <= now_secs() + 61,
        "reset {reset}"
    );
    // The refused load was not stored.
    let state = emu.state();
    assert_eq!(state.identity_sources[0].sessions[0].load_count, 5);
    assert_eq!(state.stats.rate_limited, 1);
    // Every request in the window keeps the same reset.
    let r2 = c.get("/sessions").await;
    assert_eq!(r2.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        r2.header("x-rate-limit-reset"),
        r.header("x-rate-limit-reset")
    );
}

#[tokio::test]
async fn session_creation_has_its_own_bucket() {
    let (_emu, c) = start(Emulator::builder().rate_limit(100).session_rate_limit(2)).await;
    for remaining in ["1", "0"] {
        let r = c.post_sessions().await;
        assert_eq!(r.status, StatusCode::CREATED);
        assert_eq!(r.header("x-rate-limit-limit"), Some("2"));
        assert_eq!(r.header("x-rate-limit-remaining"), Some(remaining));
        let id = r.json()["id"].as_str().unwrap().to_owned();
        c.cancel(&id).await;
    }
    let r = c.post_sessions().await;
    r.assert_error(429, "E0000047");
    assert_eq!(r.header("x-rate-limit-limit"), Some("2"));
    // The general bucket is untouched by session creation (two deletes so far).
    let r = c.get("/sessions").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("x-rate-limit-limit"), Some("100"));
    assert_eq!(r.header("x-rate-limit-remaining"), Some("97"));
}

#[tokio::test]
async fn unlimited_still_sends_the_headers() {
    let (_emu, c) = start(Emulator::builder()).await;
    /// `X-Rate-Limit-Remaining` after a `GET /sessions`.
    async fn remaining(c: &Client) -> u64 {
        let r = c.get("/sessions").await;
        r.header("x-rate-limit-remaining").unwrap().parse().unwrap()
    }
    let first = remaining(&c).await;
    let second = remaining(&c).await;
    assert_eq!(second + 1, first);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_limit_is_signalled_with_zeros() {
    let (emu, c) = start(
        Emulator::builder()
            .concurrency_limit(1)
            .latency(Duration::from_millis(300)),
    )
    .await;
    let (a, b) = tokio::join!(c.get("/sessions"), async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        c.get("/sessions").await
    });
    assert_eq!(a.status, StatusCode::OK);
    b.assert_error(429, "E0000047");
    assert_eq!(b.header("x-rate-limit-limit"), Some("0"));
    assert_eq!(b.header("x-rate-limit-remaining"), Some("0"));
    assert!(b.header("x-rate-limit-reset").is_some());
    // Once the first is done, requests pass again.
    assert_eq!(c.get("/sessions").await.status, StatusCode::OK);
    assert_eq!(emu.state().stats.rate_limited, 1);
}
