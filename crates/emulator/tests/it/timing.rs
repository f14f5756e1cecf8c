//! Live-like timing: per-entity processing time, the time scale, and the org-wide bucket that
//! makes responses carry two values of each rate-limit header.

use std::time::{Duration, Instant};

use http::StatusCode;
use okta_idsrc_emulator::Emulator;

use crate::common::{Client, Resp, start, users};

/// Triggers session `s` and returns how long it took to reach COMPLETED.
async fn processing(c: &Client, s: &str) -> Duration {
    let started = Instant::now();
    c.start_import(s).await.assert_status(StatusCode::OK);
    c.wait_status(s, "COMPLETED").await;
    started.elapsed()
}

#[tokio::test]
async fn processing_time_grows_with_what_a_session_holds() {
    let (emu, c) = start(
        Emulator::builder()
            .import_delay(Duration::from_millis(50))
            .import_time_per_entity(Duration::from_millis(2)),
    )
    .await;
    // 150 users in one load: at least 50 ms + 150 × 2 ms.
    let s = c.create_session().await;
    c.load(&s, "bulk-upsert", users(0, 150)).await;
    let big = processing(&c, &s).await;
    assert!(big >= Duration::from_millis(350), "{big:?}");
    // 5 users: the delay and 10 ms, well below.
    let s = c.create_session().await;
    c.load(&s, "bulk-upsert", users(150, 155)).await;
    let small = processing(&c, &s).await;
    assert!(small >= Duration::from_millis(60), "{small:?}");
    assert!(small < big, "{small:?} vs {big:?}");
    assert_eq!(emu.state().identity_sources[0].users.len(), 155);
}

#[tokio::test]
async fn membership_pairs_count_as_entities() {
    let (_emu, c) =
        start(Emulator::builder().import_time_per_entity(Duration::from_millis(3))).await;
    c.import_users(users(0, 100)).await;
    let s = c.create_session().await;
    let members: Vec<String> = (0..100).map(|i| format!("EXT{i}")).collect();
    c.load_group(&s, "G", &members).await;
    // 1 group + 100 (group, member) pairs.
    let took = processing(&c, &s).await;
    assert!(took >= Duration::from_millis(303), "{took:?}");
}

#[tokio::test]
async fn time_scale_divides_cooldown_processing_and_rate_windows() {
    let (_emu, c) = start(
        Emulator::builder()
            .time_scale(60)
            .session_cooldown(Duration::from_secs(30)) // 0.5 s
            .import_delay(Duration::from_secs(12)), // 0.2 s
    )
    .await;
    // The cool-down is half a second, in real seconds.
    c.assert_cooldown_after_a_session("less than 1 seconds ago; try again in 1 seconds")
        .await;
    tokio::time::sleep(Duration::from_millis(550)).await;
    // Processing: 0.2 s, not 12.
    let s = c.create_session().await;
    c.load(&s, "bulk-upsert", users(0, 1)).await;
    let took = processing(&c, &s).await;
    assert!(
        took >= Duration::from_millis(200) && took < Duration::from_secs(5),
        "{took:?}"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    c.create_session().await;

    // The rate window is one second: used up, then open again within about two.
    let (_emu, c) = start(Emulator::builder().time_scale(60).rate_limit(3)).await;
    let mut refused = None;
    for _ in 0..5 {
        let r = c.get("/sessions").await;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            refused = Some(r);
            break;
        }
    }
    let refused = refused.expect("a 429 within the 1-second window");
    let reset: u64 = refused
        .header("x-rate-limit-reset")
        .unwrap()
        .parse()
        .unwrap();
    let now = crate::limits::now_secs();
    assert!(reset <= now + 2, "reset {reset}, now {now}");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    c.get("/sessions").await.assert_status(StatusCode::OK);
}

/// The values of a header, in order.
fn values(r: &Resp, name: &str) -> Vec<u64> {
    r.headers
        .get_all(name)
        .iter()
        .map(|v| v.to_str().unwrap().parse().unwrap())
        .collect()
}

#[tokio::test]
async fn org_wide_and_endpoint_buckets_each_send_their_values() {
    let (emu, c) = start(Emulator::builder().org_rate_limit(4).session_rate_limit(1)).await;
    let r = c.get("/sessions").await;
    r.assert_status(StatusCode::OK);
    // Org-wide first, then the endpoint's (the general bucket, unlimited).
    assert_eq!(values(&r, "x-rate-limit-limit"), [4, 1_000_000]);
    assert_eq!(values(&r, "x-rate-limit-remaining"), [3, 999_999]);
    assert_eq!(values(&r, "x-rate-limit-reset").len(), 2);

    // Session creation: the org-wide bucket and its own.
    let s = c.create_session().await;
    let r = c.get(&format!("/sessions/{s}")).await;
    assert_eq!(values(&r, "x-rate-limit-remaining"), [1, 999_998]);
    c.cancel(&s).await; // org-wide: 0 left
    // Both are used up; the org-wide one refuses, and both report it.
    let r = c.post_sessions().await;
    r.assert_error(429, "E0000047");
    assert_eq!(values(&r, "x-rate-limit-limit"), [4, 1]);
    assert_eq!(values(&r, "x-rate-limit-remaining"), [0, 0]);
    assert_eq!(emu.state().stats.rate_limited, 1);
}

#[tokio::test]
async fn an_endpoint_refusal_does_not_count_against_the_org() {
    let (_emu, c) = start(Emulator::builder().org_rate_limit(10).session_rate_limit(1)).await;
    let s = c.create_session().await; // org 9 left, sessions 0
    c.cancel(&s).await; // org 8
    let r = c.post_sessions().await;
    r.assert_error(429, "E0000047");
    // The org-wide bucket did not count the refused request.
    assert_eq!(values(&r, "x-rate-limit-remaining"), [8, 0]);
    let resets = values(&r, "x-rate-limit-reset");
    assert_eq!(resets.len(), 2);
    let r = c.get("/sessions").await;
    assert_eq!(values(&r, "x-rate-limit-remaining")[0], 7);
}
