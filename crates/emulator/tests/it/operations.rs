//! Every operation's happy path over a real socket: statuses, bodies and headers as live Okta
//! sends them.

use crate::common;

use common::{Client, deletes, memberships, start, two_sources, user, users};
use http::{Method, StatusCode};
use okta_idsrc_core::models::IdentitySourceSessionStatus;
use okta_idsrc_emulator::Emulator;
use serde_json::json;

fn is_timestamp(v: &serde_json::Value) -> bool {
    let Some(s) = v.as_str() else { return false };
    s.len() == 24 && s.as_bytes()[10] == b'T' && s.ends_with(".000Z") && httpdate_like(s)
}

fn httpdate_like(s: &str) -> bool {
    s[..4].bytes().all(|b| b.is_ascii_digit())
        && &s[4..5] == "-"
        && &s[7..8] == "-"
        && &s[13..14] == ":"
}

#[tokio::test]
async fn session_operations_and_statuses() {
    let (emu, c) = start(Emulator::builder().seed(1)).await;

    // 2: create → 201 (live), one object.
    let r = c.post_sessions().await;
    assert_eq!(r.status, StatusCode::CREATED);
    let s = r.json();
    let id = s["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("aps") && id.len() == 20, "{id}");
    assert_eq!(s["identitySourceId"], "0oaemulator000000001");
    assert_eq!(s["status"], "CREATED");
    assert_eq!(s["importType"], "INCREMENTAL");
    assert!(
        is_timestamp(&s["created"]) && is_timestamp(&s["lastUpdated"]),
        "{s}"
    );

    // 3: get.
    let r = c.get(&format!("/sessions/{id}")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json(), s);

    // 1: list.
    let r = c.get("/sessions").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json(), json!([s]));

    // 5, 6, 8–11: every load is 202 with an empty body.
    for (action, body) in [
        ("bulk-upsert", users(0, 3)),
        ("bulk-delete", deletes(&["EXT2"])),
        (
            "bulk-groups-upsert",
            json!({"profiles": [{"externalId": "G1", "profile": {"displayName": "One", "description": "first"}}, {"externalId": "G2", "profile": {"displayName": "Two"}}]}),
        ),
        ("bulk-groups-delete", json!({"externalIds": ["G2"]})),
        (
            "bulk-group-memberships-upsert",
            memberships("G1", &["EXT0", "EXT1", "NOBODY"]),
        ),
        (
            "bulk-group-memberships-delete",
            memberships("G1", &["EXT1"]),
        ),
    ] {
        let r = c.load(&id, action, body).await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{action}: {}", r.text());
        assert!(r.body.is_empty(), "{action}");
        assert_eq!(r.header("content-type"), None);
    }
    assert_eq!(c.session_status(&id).await, "IN_PROGRESS");

    // 7: start-import → 200 with the session, TRIGGERED.
    let r = c.start_import(&id).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["status"], "TRIGGERED");
    assert_eq!(r.json()["id"], id.as_str());
    c.wait_status(&id, "COMPLETED").await;

    // The loads were applied in upload order.
    let state = emu.state();
    let src = &state.identity_sources[0];
    assert_eq!(src.users.len(), 3);
    assert!(src.user("EXT0").unwrap().active);
    assert!(!src.user("EXT2").unwrap().active, "bulk delete deactivates");
    assert_eq!(src.groups.len(), 1);
    assert_eq!(src.group("G1").unwrap().members, ["EXT0"]);
    assert_eq!(src.session(&id).unwrap().load_count, 6);
    assert_eq!(
        src.session(&id).unwrap().status,
        IdentitySourceSessionStatus::Completed
    );

    // 4: delete a fresh session → 204, CLOSED.
    let id2 = c.create_session().await;
    let r = c.cancel(&id2).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert!(r.body.is_empty());
    assert_eq!(c.session_status(&id2).await, "CLOSED");
    emu.shutdown().await;
}

#[tokio::test]
async fn user_operations() {
    let (_emu, c) = start(Emulator::builder()).await;

    // 12: create → 200 with explicit nulls (an unset homeAddress is left out, as live).
    let r = c.post("/users", json!({"externalId": "EXT1", "profile": {"userName": "a@example.com", "email": "a@example.com", "firstName": "Ann", "department": "R&D"}})).await;
    r.assert_status(StatusCode::OK);
    let u = r.json();
    assert!(u["id"].as_str().unwrap().starts_with("0ua"));
    assert_eq!(u["externalId"], "EXT1");
    assert!(is_timestamp(&u["created"]) && is_timestamp(&u["lastUpdated"]));
    assert_eq!(
        u["profile"],
        json!({"userName": "a@example.com", "email": "a@example.com", "firstName": "Ann", "lastName": null,
               "mobilePhone": null, "secondEmail": null, "department": "R&D"})
    );
    // Creating it again is refused.
    c.post("/users", json!({"externalId": "EXT1", "profile": {"userName": "a@example.com", "email": "a@example.com"}}))
        .await
        .assert_error(400, "E0000001");

    // 13: get.
    let r = c.get("/users/EXT1").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json(), u);

    // 15: patch merges.
    let r = c.call(Method::PATCH, "/users/EXT1", Some(json!({"profile": {"userName": "b@example.com", "email": "b@example.com", "lastName": "Lee"}}))).await;
    assert_eq!(r.status, StatusCode::OK);
    let p = &r.json()["profile"];
    assert_eq!(
        (
            p["email"].as_str(),
            p["firstName"].as_str(),
            p["lastName"].as_str()
        ),
        (Some("b@example.com"), Some("Ann"), Some("Lee"))
    );

    // 14: put replaces (no externalId needed in the body).
    let r = c
        .call(
            Method::PUT,
            "/users/EXT1",
            Some(json!({"profile": {"userName": "c@example.com", "email": "c@example.com"}})),
        )
        .await;
    r.assert_status(StatusCode::OK);
    let p = &r.json()["profile"];
    assert_eq!(p["firstName"], serde_json::Value::Null);
    assert_eq!(p["email"], "c@example.com");
    assert!(p.get("department").is_none());

    // 16: delete → 204, then 404.
    let r = c.call(Method::DELETE, "/users/EXT1", None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert!(r.body.is_empty());
    let body = c.get("/users/EXT1").await.assert_error(404, "E0000007");
    assert!(body["errorSummary"].as_str().unwrap().contains("EXT1"));
    c.call(
        Method::PUT,
        "/users/NOPE",
        Some(json!({"profile": {"userName": "c@example.com", "email": "c@example.com"}})),
    )
    .await
    .assert_error(404, "E0000007");
}

#[tokio::test]
async fn group_and_membership_operations() {
    let (_emu, c) = start(Emulator::builder()).await;
    c.import_users(users(0, 2)).await;

    // 17: create → 200, flat profile (live).
    let r = c.post("/groups", json!({"externalId": "GEXT", "profile": {"displayName": "West", "description": "West coast"}})).await;
    r.assert_status(StatusCode::OK);
    let g = r.json();
    let gid = g["id"].as_str().unwrap().to_owned();
    assert!(gid.starts_with("00g") && gid.len() == 20);
    assert_eq!(
        g,
        json!({"id": gid, "externalId": "GEXT", "profile": {"displayName": "West", "description": "West coast"}})
    );

    // 18: get by Okta id and by external id.
    assert_eq!(c.get(&format!("/groups/{gid}")).await.json(), g);
    assert_eq!(c.get("/groups/GEXT").await.json(), g);

    // 19: update.
    let r = c
        .post(
            &format!("/groups/{gid}"),
            json!({"externalId": "GEXT", "profile": {"displayName": "West 2"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.json()["profile"],
        json!({"displayName": "West 2", "description": null})
    );

    // 22: add members → 204; unknown user → 404.
    for m in ["EXT0", "EXT1"] {
        let r = c
            .post("/groups/GEXT/membership", json!({"memberExternalId": m}))
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT);
        assert!(r.body.is_empty());
    }
    c.post(
        "/groups/GEXT/membership",
        json!({"memberExternalId": "NOPE"}),
    )
    .await
    .assert_error(404, "E0000007");

    // 21: list.
    let r = c.get(&format!("/groups/{gid}/membership")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json(), json!({"memberExternalIds": ["EXT0", "EXT1"]}));

    // 23: remove a member → 204; again → 404.
    let r = c
        .call(Method::DELETE, "/groups/GEXT/membership/EXT0", None)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    c.call(Method::DELETE, "/groups/GEXT/membership/EXT0", None)
        .await
        .assert_error(404, "E0000007");
    assert_eq!(
        c.get("/groups/GEXT/membership").await.json(),
        json!({"memberExternalIds": ["EXT1"]})
    );

    // 20: delete → 200 with an empty body (live), then 404.
    let r = c
        .call(Method::DELETE, &format!("/groups/{gid}"), None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.is_empty());
    c.get("/groups/GEXT").await.assert_error(404, "E0000007");
    c.get("/groups/GEXT/membership")
        .await
        .assert_error(404, "E0000007");
}

#[tokio::test]
async fn okta_headers_on_every_response() {
    let (_emu, c) = start(Emulator::builder()).await;
    let mut ids = std::collections::HashSet::new();
    let s = c.create_session().await;
    for r in [
        c.get("/sessions").await,
        c.get(&format!("/sessions/{s}")).await,
        c.get("/sessions/apsNOPE").await,
        c.load(&s, "bulk-upsert", users(0, 1)).await,
        c.get("/users/EXT0").await,
    ] {
        let id = r
            .header("x-okta-request-id")
            .expect("request id")
            .to_owned();
        assert!(
            id.len() >= 20 && id.bytes().all(|b| b.is_ascii_alphanumeric()),
            "{id}"
        );
        assert!(ids.insert(id), "request ids are unique");
        assert!(httpdate::parse_http_date(r.header("date").expect("date")).is_ok());
        for h in [
            "x-rate-limit-limit",
            "x-rate-limit-remaining",
            "x-rate-limit-reset",
        ] {
            assert!(
                r.header(h).is_some_and(|v| v.parse::<u64>().is_ok()),
                "{h} on {}",
                r.status
            );
        }
        if !r.body.is_empty() {
            assert_eq!(r.header("content-type"), Some("application/json"));
        }
    }
}

#[tokio::test]
async fn http2_prior_knowledge() {
    let emu = Emulator::start().await.unwrap();
    let c = Client::h2(&emu);
    let r = c.post_sessions().await;
    assert_eq!(r.status, StatusCode::CREATED);
    let s = r.json()["id"].as_str().unwrap().to_owned();
    let r = c.load(&s, "bulk-upsert", users(0, 5)).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert_eq!(c.start_import(&s).await.json()["status"], "TRIGGERED");
    c.wait_status(&s, "COMPLETED").await;
    assert_eq!(emu.state().identity_sources[0].users.len(), 5);
    // Bodyless POSTs need no Content-Length over HTTP/2.
    let req = http::Request::post(c.url("/sessions"))
        .header("authorization", format!("Bearer {}", c.token))
        .body(http_body_util::Full::new(bytes::Bytes::new()))
        .unwrap();
    let r = c.try_send(req).await.unwrap();
    assert_eq!(r.status, StatusCode::CREATED);
}

#[tokio::test]
async fn inspection_and_reset() {
    let (emu, c) = start(two_sources()).await;
    c.import_users(json!({"profiles": [user("U1")]})).await;

    let r = c.inspect(Method::GET, "state").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.header("x-rate-limit-limit").is_none());
    let state = r.json();
    assert_eq!(state["identitySources"][0]["id"], "0oaA");
    assert_eq!(state["identitySources"][1]["id"], "0oaB");
    let u = &state["identitySources"][0]["users"][0];
    assert_eq!(u["externalId"], "U1");
    assert_eq!(u["active"], true);
    assert!(u["id"].as_str().unwrap().starts_with("0ua"));
    assert_eq!(u["profile"]["email"], "U1@example.com");
    assert_eq!(
        state["identitySources"][0]["sessions"][0]["status"],
        "COMPLETED"
    );
    assert!(state["stats"]["requests"].as_u64().unwrap() >= 4);
    assert_eq!(state["stats"]["rateLimited"], 0);
    assert_eq!(state["stats"]["faultsInjected"], 0);
    // The typed snapshot says the same.
    let typed: okta_idsrc_emulator::StateSnapshot = serde_json::from_value(state).unwrap();
    assert_eq!(typed, emu.state());
    // Counted without a copy, the same numbers.
    let counts = emu.counts("0oaA").expect("known identity source");
    assert_eq!((counts.users_active, counts.users_inactive), (1, 0));
    assert_eq!((counts.groups, counts.memberships), (0, 0));
    assert_eq!(counts.sessions, [("COMPLETED".to_owned(), 1)]);
    assert_eq!(emu.counts("0oaB").expect("known").users_active, 0);
    assert!(emu.counts("0oaUnknown").is_none());

    let r = c.inspect(Method::POST, "reset").await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let state = emu.state();
    assert!(
        state
            .identity_sources
            .iter()
            .all(|s| s.users.is_empty() && s.sessions.is_empty())
    );
    assert_eq!(state.stats.requests, 0);
    // A session can be created right away after a reset.
    c.create_session().await;
    emu.reset();
    assert!(emu.state().identity_sources[0].sessions.is_empty());
}

#[tokio::test]
async fn membership_pages_follow_link_headers() {
    let (emu, c) = start(Emulator::builder()).await;
    let s = c.create_session().await;
    c.load(&s, "bulk-upsert", users(0, 200)).await;
    c.load(&s, "bulk-upsert", users(200, 250)).await;
    c.load(
        &s,
        "bulk-groups-upsert",
        json!({"profiles": [{"externalId": "G/1", "profile": {"displayName": "Big"}}]}),
    )
    .await;
    // Members with characters that need encoding in a cursor.
    let members: Vec<String> = (0..250).map(|i| format!("EXT{i}")).collect();
    for chunk in members.chunks(200) {
        let r = c
            .load(
                &s,
                "bulk-group-memberships-upsert",
                memberships("G/1", chunk),
            )
            .await;
        assert_eq!(r.status, StatusCode::ACCEPTED);
    }
    c.import_and_wait(&s).await;
    let gid = emu.state().identity_sources[0]
        .group("G/1")
        .unwrap()
        .id
        .clone();

    let mut url = c.url(&format!("/groups/{gid}/membership?limit=100"));
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let r = c.send_raw(Method::GET, &url, None).await;
        assert_eq!(r.status, StatusCode::OK);
        pages += 1;
        let lines: Vec<_> = r
            .headers
            .get_all("link")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        let links = okta_idsrc_core::headers::parse_link_headers(&r.headers).unwrap();
        let self_link = links.iter().find(|l| l.has_rel("self")).expect("self link");
        assert_eq!(self_link.uri, url, "self is the page asked for");
        assert!(
            lines
                .iter()
                .all(|l| l.starts_with(&format!("<{}/api/v1/identity-sources/", c.base))),
            "{lines:?}"
        );
        let ids = r.json()["memberExternalIds"].as_array().unwrap().clone();
        seen.extend(ids.iter().map(|v| v.as_str().unwrap().to_owned()));
        match okta_idsrc_core::headers::next_link(&r.headers).unwrap() {
            Some(next) => {
                assert_eq!(lines.len(), 2, "one Link header per rel");
                assert_eq!(ids.len(), 100);
                assert!(
                    next.contains("after=") && next.ends_with("&limit=100"),
                    "{next}"
                );
                url = next;
            }
            None => {
                assert_eq!(lines.len(), 1);
                break;
            }
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, members, "every member once, in insertion order");
    // The default page size is 100, and the external id names the group too.
    let r = c.get("/groups/G%2F1/membership").await;
    assert_eq!(r.json()["memberExternalIds"].as_array().unwrap().len(), 100);
    // The listing over HTTP/2 carries the same links.
    let r = Client::h2(&emu)
        .get(&format!("/groups/{gid}/membership?limit=200"))
        .await;
    assert_eq!(r.headers.get_all("link").iter().count(), 2);
}

#[tokio::test]
async fn shutdown_and_drop_stop_the_server() {
    let (emu, c) = start(Emulator::builder()).await;
    let addr = emu.addr();
    assert_eq!(c.get("/sessions").await.status, StatusCode::OK); // a pooled keep-alive connection
    tokio::time::timeout(std::time::Duration::from_secs(3), emu.shutdown())
        .await
        .expect("graceful shutdown is prompt");
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "no longer listening"
    );

    let emu = Emulator::start().await.unwrap();
    let addr = emu.addr();
    drop(emu);
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("still listening after drop");
}
