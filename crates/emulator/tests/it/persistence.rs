//! Seeding and persistence: an emulator started from a snapshot in the `/__emulator/state`
//! format stands in for the same org, and a malformed snapshot names its JSON path.

use std::io::ErrorKind;
use std::time::Duration;

use http::StatusCode;
use okta_idsrc_emulator::{Emulator, StateSnapshot};
use serde_json::json;

use crate::common::{start, users};

#[tokio::test]
async fn a_saved_state_comes_back_whole() {
    let (emu, c) = start(Emulator::builder().identity_source("0oaORG")).await;
    c.import_users(users(0, 3)).await;
    let s = c.create_session().await;
    c.load_group(&s, "G", &["EXT0", "EXT2"]).await;
    c.import_and_wait(&s).await;
    c.load(
        &c.create_session().await,
        "bulk-delete",
        crate::common::deletes(&["EXT1"]),
    )
    .await;
    // Left open: IN_PROGRESS, one load waiting.
    let open = emu.state().identity_sources[0].sessions[2].id.clone();
    let user_before = c.get("/users/EXT0").await.text();
    let group_before = c.get("/groups/G").await.text();
    let expected = emu.state();
    assert_eq!(
        expected.identity_sources[0]
            .session(&open)
            .unwrap()
            .loads
            .len(),
        1
    );
    // Written as `--save` does, streamed; read as `--load` does.
    let mut json = Vec::new();
    emu.shutdown_and_write_state(&mut json).await.unwrap();
    let loaded = StateSnapshot::from_json(&json).expect("loads");
    assert_eq!(loaded, expected);
    // Parsed straight into the state, as `--load` does: the same state.
    let (emu, _) = start(Emulator::builder().state_json(json.clone())).await;
    assert_eq!(emu.state().identity_sources, expected.identity_sources);
    assert_eq!(emu.state().stats.requests, 0, "counters start at zero");
    emu.shutdown().await;
    let (emu, c) = start(Emulator::builder().state(loaded)).await;
    assert_eq!(emu.identity_sources(), ["0oaORG"]);
    assert_eq!(c.get("/users/EXT0").await.text(), user_before);
    assert_eq!(c.get("/groups/G").await.text(), group_before);
    let members = c.get("/groups/G/membership").await.json();
    assert_eq!(members["memberExternalIds"], json!(["EXT0", "EXT2"]));
    // The open session is still the active one, its load still waiting.
    assert_eq!(c.session_status(&open).await, "IN_PROGRESS");
    c.post_sessions().await.assert_error(400, "E0000001");
    c.import_and_wait(&open).await;
    let state = emu.state();
    let src = &state.identity_sources[0];
    assert!(
        !src.user("EXT1").unwrap().active,
        "the waiting delete applied"
    );
    assert_eq!(src.sessions.len(), 3);
    // Ids go on being unique and live-shaped.
    c.post("/users", json!({"externalId": "NEW", "profile": {"email": "n@example.com", "userName": "n@example.com"}}))
        .await
        .assert_status(StatusCode::OK);
}

#[tokio::test]
async fn a_triggered_session_is_processed_after_a_load() {
    let (emu, c) = start(Emulator::builder().import_delay(Duration::from_secs(3600))).await;
    let s = c.create_session().await;
    c.load(&s, "bulk-upsert", users(0, 2)).await;
    c.start_import(&s).await.assert_status(StatusCode::OK);
    let saved = emu.shutdown_with_state().await;
    assert_eq!(
        saved.identity_sources[0].sessions[0].status.as_str(),
        "TRIGGERED"
    );
    assert!(saved.identity_sources[0].users.is_empty());

    let (emu, c) = start(Emulator::builder().state(saved)).await;
    c.wait_status(&s, "COMPLETED").await;
    assert_eq!(emu.state().identity_sources[0].users.len(), 2);
}

#[tokio::test]
async fn a_seeded_org_from_hand_written_json() {
    // A minimal file: no stats, no times, no sessions.
    let json = br#"{"identitySources":[{"id":"0oaSEED","users":[
        {"externalId":"u1","id":"0uaxr8kpjfWHJpAKK1d7","active":true,
         "profile":{"email":"u1@example.com","userName":"u1@example.com","firstName":"U"}}],
        "groups":[{"externalId":"g1","id":"00gseed0000000000001","profile":{"displayName":"G"},"members":["u1"]}]}]}"#;
    let snapshot = StateSnapshot::from_json(json).expect("valid");
    let (_emu, c) = start(Emulator::builder().state(snapshot)).await;
    let c = c.for_source("0oaSEED");
    let user = c.get("/users/u1").await;
    user.assert_status(StatusCode::OK);
    assert_eq!(user.json()["id"], "0uaxr8kpjfWHJpAKK1d7");
    assert_eq!(
        c.get("/groups/00gseed0000000000001").await.json()["externalId"],
        "g1"
    );
}

/// The error `from_json` gives for `json`.
fn error(json: serde_json::Value) -> String {
    StateSnapshot::from_json(&serde_json::to_vec(&json).unwrap())
        .expect_err("refused")
        .to_string()
}

fn source(fields: serde_json::Value) -> serde_json::Value {
    let mut s = json!({"id": "0oaX"});
    s.as_object_mut()
        .unwrap()
        .extend(fields.as_object().unwrap().clone());
    json!({"identitySources": [s]})
}

fn user(ext: &str, id: &str) -> serde_json::Value {
    json!({"externalId": ext, "id": id, "active": true, "profile": {}})
}

#[test]
fn malformed_snapshots_name_the_json_path() {
    let good = "0uaxr8kpjfWHJpAKK1d7";
    // JSON types: the path and the line and column.
    let e = error(source(
        json!({"users": [user("a", good), {"externalId": "b", "id": good, "active": "yes", "profile": {}}]}),
    ));
    assert!(
        e.starts_with("identitySources[0].users[1].active: invalid type"),
        "{e}"
    );
    assert!(e.contains("line 1 column"), "{e}");
    let e = StateSnapshot::from_json(b"{\"identitySources\": [{\"id\": \"0oaX\", \"users\": [}]}")
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("identitySources[0].users"), "{e}");
    assert!(
        StateSnapshot::from_json(b"")
            .unwrap_err()
            .to_string()
            .contains("EOF")
    );
    // What JSON alone cannot say.
    let e = error(source(json!({"users": [user("a", "00u1")]})));
    assert_eq!(
        e,
        "identitySources[0].users[0].id: \"00u1\" is not a user id (20 letters or digits)"
    );
    let e = error(source(json!({"users": [user("a", good), user("a", good)]})));
    assert_eq!(
        e,
        "identitySources[0].users[1].externalId: user a appears twice"
    );
    let mut u = user("a", good);
    u["created"] = json!("yesterday");
    let e = error(source(json!({"users": [u]})));
    assert!(
        e.starts_with("identitySources[0].users[0].created: \"yesterday\""),
        "{e}"
    );
    let e = error(source(json!({"users": [user("a", good)], "groups": [
        {"externalId": "g", "id": "00g1", "profile": {"displayName": "G"}, "members": ["a", "b"]}]})));
    assert_eq!(
        e,
        "identitySources[0].groups[0].members[1]: b is not a user of this identity source"
    );
    let session = |id: &str, status: &str| {
        json!({"id": id, "identitySourceId": "0oaX", "status": status, "importType": "INCREMENTAL",
               "created": "2026-05-13T05:52:24.000Z", "lastUpdated": "2026-05-13T05:52:24.000Z",
               "loadCount": 0})
    };
    let e = error(source(
        json!({"sessions": [session("aps1", "CREATED"), session("aps2", "TRIGGERED")]}),
    ));
    assert!(e.starts_with("identitySources[0].sessions[1].status: session aps2 is TRIGGERED while session aps1 is active"), "{e}");
    let mut closed = session("aps1", "CLOSED");
    closed["loads"] = json!([{"action": "bulk-delete", "entries": [{"externalId": "a"}]}]);
    closed["loadCount"] = json!(1);
    let e = error(source(json!({"sessions": [closed]})));
    assert_eq!(
        e,
        "identitySources[0].sessions[0].loads: a CLOSED session has no loads waiting"
    );
    let mut bad_load = session("aps1", "IN_PROGRESS");
    bad_load["loads"] = json!([{"action": "bulk-frobnicate", "entries": []}]);
    let e = error(source(json!({"sessions": [bad_load]})));
    assert!(
        e.starts_with("identitySources[0].sessions[0].loads[0]"),
        "{e}"
    );
    let e = error(json!({"identitySources": [{"id": "0oaX"}, {"id": "0oaX"}]}));
    assert_eq!(
        e,
        "identitySources[1].id: identity source 0oaX appears twice"
    );
}

#[tokio::test]
async fn the_builder_refuses_a_bad_snapshot() {
    let mut snapshot = StateSnapshot::from_json(br#"{"identitySources":[{"id":"0oaX"}]}"#).unwrap();
    let mut bad = snapshot.identity_sources[0].clone();
    bad.id = String::new();
    snapshot.identity_sources.push(bad);
    let e = Emulator::builder()
        .state(snapshot)
        .start()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidData);
    assert_eq!(e.to_string(), "identitySources[1].id: is empty");
}

/// The `InvalidData` error an emulator started from file `json` gives.
async fn start_error(json: serde_json::Value) -> String {
    let e = Emulator::builder()
        .state_json(serde_json::to_vec(&json).unwrap())
        .start()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidData);
    e.to_string()
}

#[tokio::test]
async fn a_file_parsed_straight_into_the_state_names_the_json_path() {
    let good = "0uaxr8kpjfWHJpAKK1d7";
    let e = start_error(source(json!({"users": [user("a", good), user("a", good)]}))).await;
    assert!(
        e.starts_with(
            "identitySources[0].users[1].externalId: user a appears twice at line 1 column"
        ),
        "{e}"
    );
    let e = start_error(source(json!({"users": [user("a", "00u1")]}))).await;
    assert!(
        e.starts_with("identitySources[0].users[0].id: \"00u1\" is not a user id"),
        "{e}"
    );
    let e = start_error(source(
        json!({"users": [{"externalId": "b", "id": good, "active": "yes", "profile": {}}]}),
    ))
    .await;
    assert!(
        e.starts_with("identitySources[0].users[0].active: invalid type"),
        "{e}"
    );
    let e = start_error(source(json!({"groups": [
        {"externalId": "g", "id": "00g1", "profile": {"displayName": "G"}, "members": ["nobody"]}]}))).await;
    assert!(
        e.starts_with(
            "identitySources[0].groups[0].members[0]: nobody is not a user of this identity source"
        ),
        "{e}"
    );
    let e = start_error(json!({"identitySources": [{"id": "0oaX"}, {"id": "0oaX"}]})).await;
    assert!(
        e.starts_with("identitySources[1].id: identity source 0oaX appears twice"),
        "{e}"
    );
    let e = start_error(json!({"identitySources": [{"users": []}]})).await;
    assert!(
        e.starts_with("identitySources[0]: missing field `id`"),
        "{e}"
    );
    let e = Emulator::builder()
        .state_json(b"{\"identitySources\": []} trailing".to_vec())
        .start()
        .await
        .unwrap_err();
    assert!(e.to_string().contains("trailing characters"), "{e}");
}

#[tokio::test]
async fn groups_may_come_before_users_in_a_file() {
    let json = br#"{"identitySources":[{"groups":[{"externalId":"g1","id":"00gseed0000000000001",
        "profile":{"displayName":"G"},"members":["u1"]}],"id":"0oaSEED","users":[
        {"externalId":"u1","id":"0uaxr8kpjfWHJpAKK1d7","active":true,"profile":{"email":"u1@example.com"}}]}]}"#;
    let (emu, _c) = start(Emulator::builder().state_json(json.to_vec())).await;
    let state = emu.state();
    assert_eq!(
        state
            .identity_source("0oaSEED")
            .unwrap()
            .group("g1")
            .unwrap()
            .members,
        ["u1"]
    );
}
