//! Several `X-Rate-Limit-Reset` values, as live Okta sends them when more than one limit
//! applies to a request: the emulator's org-wide bucket beside the endpoint's, and the retry
//! layer waiting for the reset of the bucket that refused — not merely the earliest.

use std::sync::Arc;
use std::time::Duration;

use okta_idsrc_core::{Credentials, OrgUrl};
use okta_idsrc_emulator::{DEFAULT_IDENTITY_SOURCE, Emulator, EmulatorHandle};
use okta_idsrc_hyper::HyperTransport;
use okta_idsrc_ops::clock::TokioClock;
use okta_idsrc_ops::rate_limit::RateLimitConfig;
use okta_idsrc_ops::retry::RetryConfig;
use okta_idsrc_ops::{BoxedService, Client};

fn org(emulator: &EmulatorHandle) -> OrgUrl {
    OrgUrl::parse(&emulator.base_url()).expect("loopback org")
}

/// A client without layers.
fn bare(emulator: &EmulatorHandle) -> Client<HyperTransport> {
    Client::builder(org(emulator))
        .credentials(Credentials::api_token(emulator.token()))
        .service(HyperTransport::new().expect("transport"))
        .build()
}

/// A client over the hyper transport with the default layers, on tokio's (paused) clock.
fn layered(emulator: &EmulatorHandle) -> Client<BoxedService> {
    let clock = Arc::new(TokioClock::new());
    Client::builder(org(emulator))
        .credentials(Credentials::api_token(emulator.token()))
        .service(HyperTransport::new().expect("transport"))
        .default_layers(
            RetryConfig::default().with_clock(clock.clone()),
            RateLimitConfig::default().with_clock(clock),
        )
        .build()
        .boxed()
}

/// Paused time: the emulator's windows and the layers' waits follow tokio's clock.
#[tokio::test(start_paused = true)]
async fn the_retry_waits_for_the_reset_of_the_bucket_that_refused() {
    let emulator = Emulator::builder()
        .clock(Arc::new(TokioClock::new()))
        .org_rate_limit(100)
        .session_rate_limit(1)
        .start()
        .await
        .expect("emulator");
    let bare = bare(&emulator);
    // t0: the org-wide window opens (it resets at t0 + 60 s).
    bare.list_identity_source_sessions(DEFAULT_IDENTITY_SOURCE)
        .await
        .expect("list");
    tokio::time::sleep(Duration::from_secs(30)).await;
    // t0 + 30 s: the session-creation window opens and is used up (it resets at t0 + 90 s).
    let session = bare
        .create_identity_source_session(DEFAULT_IDENTITY_SOURCE)
        .await
        .expect("create")
        .id
        .expect("id");
    bare.delete_identity_source_session(DEFAULT_IDENTITY_SOURCE, &session)
        .await
        .expect("cancel");
    let e = bare
        .create_identity_source_session(DEFAULT_IDENTITY_SOURCE)
        .await
        .expect_err("429");
    let limit = e.as_api().expect("an API error").rate_limit;
    assert_eq!(
        (limit.limit, limit.remaining),
        (Some(1), Some(0)),
        "{limit:?}"
    );
    assert_eq!(emulator.state().stats.rate_limited, 1);

    // A fresh client meets the 429: two reset values, the org-wide one 30 s earlier. Waiting
    // for that one would draw a second 429; the retry waits for the session bucket's.
    let client = layered(&emulator);
    let started = tokio::time::Instant::now();
    client
        .create_identity_source_session(DEFAULT_IDENTITY_SOURCE)
        .await
        .expect("created after the session bucket's reset");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(60) && waited <= Duration::from_secs(63),
        "waited {waited:?}: {:?} {:?}",
        client.stats(),
        emulator.state().stats
    );
    let stats = client.stats();
    assert_eq!(stats.retry.rate_limited, 1, "{stats:?}");
    assert_eq!(stats.retry.retries, 1, "{stats:?}");
    assert_eq!(emulator.state().stats.rate_limited, 2);
    emulator.shutdown().await;
}
