//! Byte-level fidelity to live Okta: ids, key order, nulls, error ids, the `SSWS<token>`
//! header the official Python SDK sends, and the inspection endpoint's auth.

use http::{Method, StatusCode};
use okta_idsrc_emulator::Emulator;
use serde_json::json;

use crate::common::{Client, start};

/// `prefix` then `rest` letters or digits.
fn is_id(id: &str, prefix: &str, rest: usize) -> bool {
    id.len() == prefix.len() + rest
        && id.starts_with(prefix)
        && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

#[tokio::test]
async fn user_response_is_byte_for_byte_live() {
    let (_emu, c) = start(Emulator::builder()).await;
    // Live: a user created with firstName, lastName, userName and email.
    let r = c
        .post(
            "/users",
            json!({"externalId": "testuser1", "profile": {
                "userName": "testuser1@example.com", "email": "testuser1@example.com",
                "firstName": "Test", "lastName": "User"}}),
        )
        .await;
    r.assert_status(StatusCode::OK);
    let body = r.text();
    let profile = r#""profile":{"firstName":"Test","lastName":"User","mobilePhone":null,"secondEmail":null,"userName":"testuser1@example.com","email":"testuser1@example.com"}}"#;
    assert!(body.ends_with(profile), "{body}");
    // Item 1: `0ua` + 17.
    let id = r.json()["id"].as_str().unwrap().to_owned();
    assert!(is_id(&id, "0ua", 17), "{id}");
    let created = r.json()["created"].as_str().unwrap().to_owned();
    assert_eq!(
        body,
        format!(
            r#"{{"id":"{id}","externalId":"testuser1","created":"{created}","lastUpdated":"{created}",{profile}"#
        )
    );
    // The same bytes on a read.
    assert_eq!(c.get("/users/testuser1").await.text(), body);

    // Every standard attribute set, and custom attributes (after the standard ones).
    let r = c
        .post(
            "/users",
            json!({"externalId": "u2", "profile": {
                "email": "e@example.com", "userName": "u@example.com", "homeAddress": "1 Main St",
                "secondEmail": "s@example.com", "mobilePhone": "+1 555", "lastName": "L",
                "firstName": "F", "department": "R&D", "costCenter": null}}),
        )
        .await;
    assert!(
        r.text().ends_with(
            r#""profile":{"firstName":"F","lastName":"L","mobilePhone":"+1 555","secondEmail":"s@example.com","homeAddress":"1 Main St","userName":"u@example.com","email":"e@example.com","costCenter":null,"department":"R&D"}}"#
        ),
        "{}",
        r.text()
    );
    // A homeAddress set to null is unset: left out.
    let r = c
        .call(
            Method::PATCH,
            "/users/u2",
            Some(json!({"profile": {"userName": "u@example.com", "email": "e@example.com", "homeAddress": null}})),
        )
        .await;
    r.assert_status(StatusCode::OK);
    assert!(!r.text().contains("homeAddress"), "{}", r.text());
}

#[tokio::test]
async fn bulk_imported_users_have_live_ids_and_order() {
    let (emu, c) = start(Emulator::builder()).await;
    c.import_users(json!({"entityType": "USERS", "profiles": [
        {"externalId": "b1", "profile": {"email": "b1@example.com", "userName": "b1@example.com", "firstName": "B"}}
    ]}))
    .await;
    let user = &emu.state().identity_sources[0].users[0];
    assert!(is_id(&user.id, "0ua", 17), "{}", user.id);
    let body = c.get("/users/b1").await.text();
    assert!(
        body.ends_with(r#""profile":{"firstName":"B","lastName":null,"mobilePhone":null,"secondEmail":null,"userName":"b1@example.com","email":"b1@example.com"}}"#),
        "{body}"
    );
}

#[tokio::test]
async fn group_profile_is_display_name_then_description() {
    let (_emu, c) = start(Emulator::builder()).await;
    // Sent description first; written back in live order, flat.
    let r = c
        .post(
            "/groups",
            json!({"externalId": "g1", "profile": {"description": "D", "displayName": "N"}}),
        )
        .await;
    r.assert_status(StatusCode::OK);
    let id = r.json()["id"].as_str().unwrap().to_owned();
    assert!(is_id(&id, "00g", 17), "{id}");
    assert_eq!(
        r.text(),
        format!(
            r#"{{"id":"{id}","externalId":"g1","profile":{{"displayName":"N","description":"D"}}}}"#
        )
    );
    // No description: null, still second.
    let r = c
        .post(
            "/groups",
            json!({"externalId": "g2", "profile": {"displayName": "M"}}),
        )
        .await;
    assert!(
        r.text()
            .ends_with(r#""profile":{"displayName":"M","description":null}}"#),
        "{}",
        r.text()
    );
}

#[tokio::test]
async fn error_ids_are_twenty_five_characters() {
    let (_emu, c) = start(Emulator::builder()).await;
    let r = c.get("/sessions/apsNOPE").await;
    let body = r.assert_error(404, "E0000007");
    let id = body["errorId"].as_str().unwrap();
    assert!(is_id(id, "oae", 22), "{id}");
    // A 401 and a 400 too.
    let wrong = c.with_token("nope");
    let body = wrong.get("/sessions").await.assert_error(401, "E0000011");
    assert!(
        is_id(body["errorId"].as_str().unwrap(), "oae", 22),
        "{body}"
    );
    let body = c
        .post("/users", json!({"externalId": "x"}))
        .await
        .assert_error(400, "E0000001");
    assert!(
        is_id(body["errorId"].as_str().unwrap(), "oae", 22),
        "{body}"
    );
}

/// `GET /sessions` with `Authorization: {value}`.
async fn list_with(c: &Client, value: &str) -> StatusCode {
    let req = http::Request::get(c.url("/sessions"))
        .header("authorization", value)
        .body(http_body_util::Full::new(bytes::Bytes::new()))
        .unwrap();
    c.try_send(req).await.unwrap().status
}

#[tokio::test]
async fn ssws_without_a_space_is_accepted() {
    let (_emu, c) = start(Emulator::builder().token("t0k")).await;
    // What the official Okta Python SDK 3.4.6 sends: the mode glued to the token.
    assert_eq!(list_with(&c, "SSWSt0k").await, StatusCode::OK);
    assert_eq!(list_with(&c, "Bearert0k").await, StatusCode::OK);
    assert_eq!(list_with(&c, "SSWS   t0k").await, StatusCode::OK);
    assert_eq!(list_with(&c, "SSWS t0k").await, StatusCode::OK);
    // A wrong token is still refused, glued or not.
    for bad in [
        "SSWSt0k2",
        "SSWSt0",
        "SSWS",
        "t0k",
        "DPoPt0k",
        "SSWS  wrong",
    ] {
        assert_eq!(list_with(&c, bad).await, StatusCode::UNAUTHORIZED, "{bad}");
    }
}

#[tokio::test]
async fn inspection_needs_the_token() {
    let (emu, c) = start(Emulator::builder().token("t0k")).await;
    let url = |what: &str| format!("{}/__emulator/{what}", c.base);
    for (method, what) in [(Method::GET, "state"), (Method::POST, "reset")] {
        // No token, a wrong one: 401 E0000011, as /api/v1.
        let req = http::Request::builder()
            .method(method.clone())
            .uri(url(what))
            .header("content-length", "0")
            .body(http_body_util::Full::new(bytes::Bytes::new()))
            .unwrap();
        c.try_send(req).await.unwrap().assert_error(401, "E0000011");
        let wrong = c.with_token("nope");
        wrong
            .inspect(method.clone(), what)
            .await
            .assert_error(401, "E0000011");
    }
    c.import_users(crate::common::users(0, 2)).await;
    // A refused reset left everything in place; with the token it works.
    assert_eq!(emu.state().identity_sources[0].users.len(), 2);
    assert_eq!(c.inspect(Method::GET, "state").await.status, StatusCode::OK);
    assert_eq!(
        c.inspect(Method::POST, "reset").await.status,
        StatusCode::NO_CONTENT
    );
    assert!(emu.state().identity_sources[0].users.is_empty());
}
