//! Fault injection, and concurrent clients.

use crate::common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use common::{Client, always, load_count, raw_http, start, user_ids, users};
use http::{Method, StatusCode};
use okta_idsrc_emulator::{Emulator, Faults};

#[tokio::test]
async fn error_500_has_okta_body_and_applies_nothing() {
    let (emu, c) = start(Emulator::builder().faults(always(|f| &mut f.error_500_rate))).await;
    let r = c.post_sessions().await;
    let b = r.assert_error(500, "E0000009");
    assert_eq!(b["errorSummary"], "Internal Server Error");
    assert!(r.header("x-okta-request-id").is_some());
    assert!(r.header("x-rate-limit-limit").is_some());
    let state = emu.state();
    assert!(state.identity_sources[0].sessions.is_empty());
    assert_eq!(state.stats.faults_injected, 1);
    // Inspection is never faulted.
    let r = c.inspect(Method::GET, "state").await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn error_503_looks_like_a_load_balancer() {
    let (emu, c) = start(Emulator::builder().faults(always(|f| &mut f.error_503_rate))).await;
    let r = c.post_sessions().await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.header("content-type"), Some("text/plain"));
    for h in [
        "x-okta-request-id",
        "x-rate-limit-limit",
        "x-rate-limit-remaining",
        "x-rate-limit-reset",
    ] {
        assert!(r.header(h).is_none(), "{h}");
    }
    assert!(serde_json::from_slice::<serde_json::Value>(&r.body).is_err());
    assert!(emu.state().identity_sources[0].sessions.is_empty());
}

#[tokio::test]
async fn dropped_connections_send_nothing() {
    for faults in [
        always(|f| &mut f.drop_before_apply_rate),
        always(|f| &mut f.drop_after_apply_rate),
    ] {
        let (emu, c) = start(Emulator::builder().faults(faults)).await;
        let req = format!(
            "POST /api/v1/identity-sources/0oaemulator000000001/sessions HTTP/1.1\r\nHost: {}\r\nAuthorization: SSWS emulator-token\r\nContent-Length: 0\r\n\r\n",
            emu.addr()
        );
        let response = raw_http(emu.addr(), req.as_bytes()).await;
        assert!(
            response.is_empty(),
            "{:?}",
            String::from_utf8_lossy(&response)
        );
        // A hyper client sees an error, not a response.
        let r = c.try_call(Method::GET, "/sessions", None).await;
        assert!(r.is_err(), "{r:?}");
        let applied = emu.state().identity_sources[0].sessions.len();
        assert_eq!(
            applied,
            usize::from(faults.drop_after_apply_rate > 0.0),
            "{faults:?}"
        );
        assert_eq!(emu.state().stats.faults_injected, 2);
    }
}

/// Sends a load; `None` when the connection was dropped.
async fn try_load(c: &Client, s: &str, i: usize) -> Option<StatusCode> {
    let path = format!("/sessions/{s}/bulk-upsert");
    c.try_call(Method::POST, &path, Some(users(i, i + 1)))
        .await
        .ok()
        .map(|r| r.status)
}

/// Creates a session, retrying through faults; a creation whose response was lost is found
/// by listing the sessions, as a client would.
async fn create_session_through_faults(c: &Client) -> String {
    for _ in 0..100 {
        match c.try_call(Method::POST, "/sessions", None).await {
            Ok(r) if r.status == StatusCode::CREATED => {
                return r.json()["id"].as_str().unwrap().to_owned();
            }
            Ok(r) if r.status == StatusCode::BAD_REQUEST => {
                if let Ok(list) = c.try_call(Method::GET, "/sessions", None).await
                    && list.status == StatusCode::OK
                {
                    let list = list.json();
                    let created = list
                        .as_array()
                        .unwrap()
                        .iter()
                        .find(|s| s["status"] == "CREATED");
                    if let Some(s) = created {
                        return s["id"].as_str().unwrap().to_owned();
                    }
                }
            }
            _ => {}
        }
    }
    panic!("no session could be created");
}

/// Sends 40 loads into one session through `faults`: each load's outcome (`None` for a dropped
/// connection) and the loads the session stored.
async fn forty_loads(faults: Faults, seed: u64) -> (Vec<Option<StatusCode>>, usize) {
    let (emu, c) = start(Emulator::builder().faults(faults).seed(seed)).await;
    let s = create_session_through_faults(&c).await;
    let mut outcomes = Vec::new();
    for i in 0..40 {
        outcomes.push(try_load(&c, &s, i).await);
    }
    (outcomes, load_count(&emu, &s))
}

#[tokio::test]
async fn failed_loads_are_never_applied_and_applied_ones_never_fail() {
    // Drops before applying, 500s and 503s: only the 202s are stored.
    let faults = Faults {
        error_500_rate: 0.2,
        error_503_rate: 0.2,
        drop_before_apply_rate: 0.2,
        ..Faults::NONE
    };
    let (outcomes, stored) = forty_loads(faults, 11).await;
    let accepted = outcomes
        .iter()
        .filter(|o| **o == Some(StatusCode::ACCEPTED))
        .count();
    assert!(accepted > 0 && accepted < 40, "{outcomes:?}");
    assert_eq!(stored, accepted);

    // Drops after applying: every dropped load was stored nonetheless.
    let (outcomes, stored) = forty_loads(
        Faults {
            drop_after_apply_rate: 0.4,
            ..Faults::NONE
        },
        12,
    )
    .await;
    assert!(outcomes.contains(&None), "{outcomes:?}");
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o, None | Some(StatusCode::ACCEPTED))),
        "{outcomes:?}"
    );
    assert_eq!(stored, 40);
}

/// The outcome of `n` sequential requests: a status, or 0 for a dropped connection.
async fn outcomes(seed: u64, n: usize) -> Vec<u16> {
    let (emu, c) = start(Emulator::builder().faults(Faults::uniform(0.6)).seed(seed)).await;
    let mut out = Vec::new();
    for _ in 0..n {
        let r = c.try_call(Method::GET, "/sessions", None).await;
        out.push(r.map_or(0, |r| r.status.as_u16()));
    }
    assert_eq!(
        emu.state().stats.faults_injected as usize,
        out.iter().filter(|&&s| s != 200).count()
    );
    out
}

#[tokio::test]
async fn same_seed_same_faults() {
    let a = outcomes(42, 40).await;
    assert_eq!(a, outcomes(42, 40).await);
    assert_ne!(a, outcomes(43, 40).await);
    let kinds: HashSet<_> = a.iter().collect();
    for k in [0, 200, 500, 503] {
        assert!(kinds.contains(&k), "{k} missing from {a:?}");
    }
}

#[tokio::test]
async fn latency_is_added() {
    let (emu, c) = start(Emulator::builder().latency(Duration::from_millis(150))).await;
    let start = Instant::now();
    assert_eq!(c.get("/sessions").await.status, StatusCode::OK);
    assert!(start.elapsed() >= Duration::from_millis(150));
    // Inspection is not delayed.
    let start = Instant::now();
    emu.state();
    c.inspect(Method::GET, "state").await;
    assert!(start.elapsed() < Duration::from_millis(150));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_loads_into_one_session_lose_nothing() {
    let (emu, c) = start(Emulator::builder()).await;
    let h2 = Client::h2(&emu);
    let s = c.create_session().await;
    const TASKS: usize = 8;
    const LOADS: usize = 6;
    const USERS: usize = 25;
    let mut tasks = Vec::new();
    for t in 0..TASKS {
        let client = if t % 2 == 0 { c.clone() } else { h2.clone() };
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            for l in 0..LOADS {
                let from = (t * LOADS + l) * USERS;
                let r = client
                    .load(&s, "bulk-upsert", users(from, from + USERS))
                    .await;
                assert_eq!(r.status, StatusCode::ACCEPTED);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(load_count(&emu, &s), TASKS * LOADS);
    c.import_and_wait(&s).await;
    let ids: HashSet<_> = user_ids(&emu, 0).into_iter().collect();
    let expected: HashSet<_> = (0..TASKS * LOADS * USERS)
        .map(|i| format!("EXT{i}"))
        .collect();
    assert_eq!(ids, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_loads_never_exceed_fifty() {
    let (emu, c) = start(Emulator::builder()).await;
    let s = c.create_session().await;
    let mut tasks = Vec::new();
    for t in 0..8 {
        let c = c.clone();
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let mut accepted = 0;
            for l in 0..8 {
                let i = t * 8 + l;
                match c.load(&s, "bulk-upsert", users(i, i + 1)).await.status {
                    StatusCode::ACCEPTED => accepted += 1,
                    StatusCode::BAD_REQUEST => {}
                    other => panic!("{other}"),
                }
            }
            accepted
        }));
    }
    let mut accepted = 0;
    for t in tasks {
        accepted += t.await.unwrap();
    }
    assert_eq!(accepted, 50);
    assert_eq!(load_count(&emu, &s), 50);
}
