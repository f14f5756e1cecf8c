//! The session lifecycle of `docs/okta-behavior.md#session-lifecycle`, over a real socket.

use crate::common;

use std::time::Duration;

use common::{
    Client, always, deletes, group_upsert, load_count, memberships, start, two_sources, user,
    user_ids, users,
};
use http::StatusCode;
use okta_idsrc_emulator::Emulator;
use serde_json::json;

#[tokio::test]
async fn one_active_session_per_identity_source() {
    let (_emu, a) = start(two_sources()).await;
    let b = a.for_source("0oaB");
    let s1 = a.create_session().await;
    let r = a.post_sessions().await;
    let body = r.assert_error(400, "E0000001");
    assert_eq!(
        body["errorSummary"],
        "Api validation failed: identitySourceId"
    );
    r.assert_first_cause(|c| c.contains(&s1));
    // Another identity source is independent.
    b.create_session().await;
    // Once canceled, a new session can be created.
    assert_eq!(a.cancel(&s1).await.status, StatusCode::NO_CONTENT);
    a.create_session().await;
}

#[tokio::test]
async fn triggered_session_is_active_until_processed() {
    let (_emu, c) = start(Emulator::builder().import_delay(Duration::from_millis(300))).await;
    let s = c.create_session().await;
    c.load(&s, "bulk-upsert", users(0, 1)).await;
    assert_eq!(c.start_import(&s).await.json()["status"], "TRIGGERED");
    assert_eq!(c.session_status(&s).await, "TRIGGERED");
    c.post_sessions().await.assert_error(400, "E0000001");
    c.wait_status(&s, "COMPLETED").await;
    c.create_session().await;
}

#[tokio::test]
async fn cooldown_between_creations() {
    let (_emu, c) = start(Emulator::builder().session_cooldown(Duration::from_millis(400))).await;
    c.assert_cooldown_after_a_session("try again").await;
    tokio::time::sleep(Duration::from_millis(450)).await;
    c.create_session().await;
}

#[tokio::test]
async fn created_until_a_load_changes_something() {
    let (emu, c) = start(Emulator::builder()).await;
    c.import_users(users(0, 3)).await;

    let s = c.create_session().await;
    // Identical users, unknown deletes, unknown groups: nothing changes.
    for (action, body) in [
        ("bulk-upsert", users(0, 3)),
        ("bulk-delete", deletes(&["NOBODY", "NOONE"])),
        ("bulk-groups-delete", json!({"externalIds": ["NOGROUP"]})),
        (
            "bulk-group-memberships-upsert",
            memberships("NOGROUP", &["EXT0"]),
        ),
        (
            "bulk-group-memberships-delete",
            memberships("NOGROUP", &["EXT0"]),
        ),
    ] {
        assert_eq!(
            c.load(&s, action, body).await.status,
            StatusCode::ACCEPTED,
            "{action}"
        );
        assert_eq!(c.session_status(&s).await, "CREATED", "after {action}");
    }
    // start-import from CREATED is refused.
    let r = c.start_import(&s).await;
    r.assert_error(400, "E0000001");
    r.assert_first_cause(|c| c.contains("IN_PROGRESS"));
    // A changed profile is a change.
    let mut changed = users(2, 3);
    changed["profiles"][0]["profile"]["firstName"] = json!("Changed");
    assert_eq!(
        c.load(&s, "bulk-upsert", changed).await.status,
        StatusCode::ACCEPTED
    );
    assert_eq!(c.session_status(&s).await, "IN_PROGRESS");
    // The no-op loads still count toward the 50.
    assert_eq!(load_count(&emu, &s), 6);

    // Each kind of real change moves a fresh session to IN_PROGRESS.
    c.import_and_wait(&s).await;
    for (action, body) in [
        ("bulk-delete", deletes(&["NOBODY", "EXT1"])),
        ("bulk-groups-upsert", group_upsert("G")),
    ] {
        let s = c.create_session().await;
        c.load(&s, action, body).await;
        assert_eq!(c.session_status(&s).await, "IN_PROGRESS", "{action}");
        c.import_and_wait(&s).await;
    }
    let s = c.create_session().await;
    c.load(
        &s,
        "bulk-group-memberships-upsert",
        memberships("G", &["EXT0"]),
    )
    .await;
    assert_eq!(c.session_status(&s).await, "IN_PROGRESS");
}

#[tokio::test]
async fn loads_and_start_import_refused_outside_their_states() {
    let (emu, c) = start(Emulator::builder().import_delay(Duration::from_millis(300))).await;
    let s = c.create_session().await;
    c.load(&s, "bulk-upsert", users(0, 1)).await;
    c.start_import(&s).await;
    // TRIGGERED: no loads, no second start-import.
    c.load(&s, "bulk-upsert", users(1, 2))
        .await
        .assert_error(400, "E0000001");
    c.load(&s, "bulk-groups-upsert", group_upsert("G"))
        .await
        .assert_error(400, "E0000001");
    c.start_import(&s).await.assert_error(400, "E0000001");
    c.wait_status(&s, "COMPLETED").await;
    // COMPLETED: likewise.
    c.load(&s, "bulk-delete", deletes(&["EXT0"]))
        .await
        .assert_error(400, "E0000001");
    c.start_import(&s).await.assert_error(400, "E0000001");
    // CLOSED: likewise.
    let s2 = c.create_session().await;
    c.cancel(&s2).await;
    let r = c.load(&s2, "bulk-upsert", users(0, 1)).await;
    r.assert_error(400, "E0000001");
    r.assert_first_cause(|c| c.contains("CLOSED"));
    // Nothing of the refused loads was applied.
    assert_eq!(emu.state().identity_sources[0].users.len(), 1);
}

#[tokio::test]
async fn cancel_only_from_created_or_in_progress_with_the_live_body() {
    let (emu, c) = start(Emulator::builder().import_delay(Duration::from_millis(200))).await;
    let check = |r: common::Resp| {
        let mut body = r.assert_error(400, "E0000001");
        assert!(body["errorId"].as_str().unwrap().starts_with("oae"));
        body["errorId"] = json!("oae…");
        assert_eq!(
            body,
            json!({"errorCode":"E0000001","errorSummary":"Api validation failed: importSessionId","errorLink":"E0000001","errorId":"oae…","errorCauses":[{"errorSummary":"Only a session that is in CREATED or IN_PROGRESS status can be canceled."}]})
        );
    };
    // IN_PROGRESS can be canceled, and its data is discarded.
    let s = c.create_session().await;
    c.load(&s, "bulk-upsert", users(0, 2)).await;
    assert_eq!(c.cancel(&s).await.status, StatusCode::NO_CONTENT);
    // CLOSED cannot.
    check(c.cancel(&s).await);
    // TRIGGERED cannot.
    let s = c.create_session().await;
    c.load(&s, "bulk-upsert", users(5, 6)).await;
    c.start_import(&s).await;
    check(c.cancel(&s).await);
    // COMPLETED cannot.
    c.wait_status(&s, "COMPLETED").await;
    check(c.cancel(&s).await);
    assert_eq!(
        user_ids(&emu, 0),
        ["EXT5"],
        "the canceled session's data was discarded"
    );
}

#[tokio::test]
async fn idle_sessions_expire() {
    let (emu, c) = start(Emulator::builder().session_idle_expiry(Duration::from_millis(300))).await;
    // CREATED expires.
    let s = c.create_session().await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(c.session_status(&s).await, "EXPIRED");
    c.load(&s, "bulk-upsert", users(0, 1))
        .await
        .assert_error(400, "E0000001");
    check_cancel_refused(&c, &s).await;
    // IN_PROGRESS kept alive by requests, then expires when left alone.
    let s = c.create_session().await;
    for i in 0..4 {
        c.load(&s, "bulk-upsert", users(i, i + 1)).await;
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    assert_eq!(c.session_status(&s).await, "IN_PROGRESS");
    tokio::time::sleep(Duration::from_millis(400)).await;
    // The snapshot sees the expiry too; a new session can be created.
    let state = emu.state();
    assert_eq!(
        state.identity_sources[0]
            .session(&s)
            .unwrap()
            .status
            .as_str(),
        "EXPIRED"
    );
    c.create_session().await;
    assert!(
        emu.state().identity_sources[0].users.is_empty(),
        "expired data is never applied"
    );
}

async fn check_cancel_refused(c: &Client, s: &str) {
    c.cancel(s).await.assert_error(400, "E0000001");
}

#[tokio::test]
async fn loads_apply_in_upload_order() {
    let (emu, c) = start(Emulator::builder()).await;
    let s = c.create_session().await;
    let mut v1 = json!({"profiles": [user("U1"), user("U2")]});
    v1["profiles"][0]["profile"]["firstName"] = json!("One");
    let mut v2 = json!({"profiles": [user("U1")]});
    v2["profiles"][0]["profile"]["firstName"] = json!("Two");
    c.load(&s, "bulk-upsert", v1).await;
    c.load(&s, "bulk-upsert", v2).await;
    c.load(&s, "bulk-delete", deletes(&["U2"])).await;
    c.load_group(&s, "G", &["U2", "U1"]).await;
    c.load(
        &s,
        "bulk-group-memberships-delete",
        memberships("G", &["U2"]),
    )
    .await;
    c.import_and_wait(&s).await;
    let state = emu.state();
    let src = &state.identity_sources[0];
    assert_eq!(
        src.user("U1").unwrap().profile.first_name.as_deref(),
        Some("Two")
    );
    assert!(src.user("U1").unwrap().active);
    assert!(!src.user("U2").unwrap().active);
    assert_eq!(src.group("G").unwrap().members, ["U1"]);

    // A deactivated user comes back with an upsert; its id stays.
    let id = src.user("U2").unwrap().id.clone();
    c.import_users(json!({"profiles": [user("U2")]})).await;
    let state = emu.state();
    let u2 = state.identity_sources[0].user("U2").unwrap();
    assert!(u2.active);
    assert_eq!(u2.id, id);
    // The individual operations see the imported users.
    assert_eq!(
        c.get("/users/U1").await.json()["profile"]["firstName"],
        "Two"
    );
    assert_eq!(
        c.get("/groups/G/membership").await.json()["memberExternalIds"],
        json!(["U1"])
    );
}

#[tokio::test]
async fn each_identity_source_processes_its_sessions() {
    let (emu, a) = start(two_sources().import_delay(Duration::from_millis(200))).await;
    let b = a.for_source("0oaB");
    let sa = a.create_session().await;
    let sb = b.create_session().await;
    a.load(&sa, "bulk-upsert", json!({"profiles": [user("A1")]}))
        .await;
    b.load(
        &sb,
        "bulk-upsert",
        json!({"profiles": [user("B1"), user("B2")]}),
    )
    .await;
    a.start_import(&sa).await;
    b.start_import(&sb).await;
    assert_eq!(a.session_status(&sa).await, "TRIGGERED");
    assert_eq!(b.session_status(&sb).await, "TRIGGERED");
    a.wait_status(&sa, "COMPLETED").await;
    b.wait_status(&sb, "COMPLETED").await;
    assert_eq!(user_ids(&emu, 0), ["A1"]);
    assert_eq!(user_ids(&emu, 1), ["B1", "B2"]);

    // Sessions of one source are processed one after the other, each after the delay.
    for i in 0..3 {
        let s = a.create_session().await;
        a.load(
            &s,
            "bulk-upsert",
            json!({"profiles": [user(&format!("A{}", i + 2))]}),
        )
        .await;
        a.import_and_wait(&s).await;
    }
    let state = emu.state();
    let sessions = &state.identity_sources[0].sessions;
    assert_eq!(sessions.len(), 4);
    assert!(sessions.iter().all(|s| s.status.as_str() == "COMPLETED"));
    assert_eq!(state.identity_sources[0].users.len(), 4);
}

#[tokio::test]
async fn failed_processing_applies_nothing() {
    let (emu, c) = start(Emulator::builder().faults(always(|f| &mut f.import_error_rate))).await;
    let s = c.create_session().await;
    c.load(&s, "bulk-upsert", users(0, 10)).await;
    assert_eq!(c.start_import(&s).await.json()["status"], "TRIGGERED");
    c.wait_status(&s, "ERROR").await;
    let state = emu.state();
    assert!(state.identity_sources[0].users.is_empty());
    assert_eq!(state.stats.faults_injected, 1);
    // ERROR is terminal: a new session can be opened.
    c.create_session().await;
}
