//! The importer in PrivateKey + DPoP mode, over a real 127.0.0.1 socket: 25,000 users,
//! groups and memberships through faults, a binding rate limit and token renewals.

#![allow(missing_docs)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use okta_idsrc_core::OrgUrl;
use okta_idsrc_core::models::{
    BulkGroupUpsertRequestBodyProfilesInner, BulkUpsertRequestBodyProfilesInner,
    IdentitySourceGroupProfileForUpsert, IdentitySourceUserProfileForUpsert,
};
use okta_idsrc_core::transport::BoxError;
use okta_idsrc_emulator::{DEFAULT_IDENTITY_SOURCE, Emulator, Faults, ManualClock, OAuthClient};
use okta_idsrc_hyper::HyperTransport;
use okta_idsrc_import::{Entity, EntityKind, ImportOptions, Importer, VecSource};
use okta_idsrc_jose::PrivateKey;
use okta_idsrc_ops::Client;
use okta_idsrc_ops::oauth::OAuthConfig;
use okta_idsrc_ops::rate_limit::RateLimitConfig;
use okta_idsrc_ops::retry::RetryConfig;
use tower::ServiceExt;

use crate::support::default_source;

const CLIENT_ID: &str = "0oaservice0000000001";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_five_thousand_users_imported_with_dpop_through_faults_and_renewals() {
    const USERS: usize = 25_000;
    const GROUPS: usize = 100;
    let key = PrivateKey::generate_p256().expect("key").with_kid("key-1");
    let clock = ManualClock::starting_now();
    let emulator = Emulator::builder()
        .seed(7)
        .oauth_client(OAuthClient::new(CLIENT_ID, vec![key.public_jwk()]))
        .clock(clock.shared())
        .faults(Faults {
            error_500_rate: 0.05,
            drop_before_apply_rate: 0.01,
            drop_after_apply_rate: 0.01,
            ..Faults::NONE
        })
        // The emulator's windows run on the fast clock too (below): a window of 200 requests
        // lasts a few requests, so the limit is there for its headers, not to hold the run.
        .rate_limit(200)
        .session_rate_limit(15)
        .start()
        .await
        .expect("emulator");
    let org = OrgUrl::parse(&emulator.base_url()).expect("loopback org");

    // Time runs fast for the OAuth side: 20 s per API request, so that the one-hour tokens
    // are renewed under the importer's concurrent load (a proof in flight ages by at most
    // the requests in flight times 20 s, well under the five minutes allowed; renewal five
    // minutes ahead keeps tokens in flight from expiring on arrival). Every answer to an API
    // request is counted, and a refused proof or token (400, 401) is recorded.
    let refused = Arc::new(Mutex::new(Vec::<u16>::new()));
    let api_requests = Arc::new(AtomicU64::new(0));
    let transport = HyperTransport::new().expect("transport");
    let tapped = {
        let (clock, refused, api_requests) = (clock.clone(), refused.clone(), api_requests.clone());
        tower::service_fn(move |request: Request<Bytes>| {
            let token = request.uri().path().ends_with("/oauth2/v1/token");
            if !token {
                clock.advance(Duration::from_secs(20));
                api_requests.fetch_add(1, Ordering::Relaxed);
            }
            let (transport, refused) = (transport.clone(), refused.clone());
            async move {
                let response: Response<Bytes> = transport.oneshot(request).await?;
                if !token && matches!(response.status().as_u16(), 400 | 401) {
                    refused
                        .lock()
                        .expect("lock")
                        .push(response.status().as_u16());
                }
                Ok::<_, BoxError>(response)
            }
        })
    };
    let config = OAuthConfig::new(CLIENT_ID, key)
        .with_clock(clock.shared())
        .with_renew_before(Duration::from_secs(300));
    let client = Client::builder(org)
        .service(tapped)
        .authenticate(config)
        .default_layers(
            RetryConfig::default().with_base_backoff(Duration::from_millis(10)),
            RateLimitConfig::default(),
        )
        .build()
        .boxed();

    let users = (0..USERS).map(|i| {
        Entity::UserUpsert(BulkUpsertRequestBodyProfilesInner::with(
            format!("u{i:06}"),
            IdentitySourceUserProfileForUpsert::with_login(format!("user{i}@example.com"))
                .first_name(format!("First{i}"))
                .last_name(format!("Last{i}")),
        ))
    });
    let groups = (0..GROUPS).map(|j| {
        Entity::GroupUpsert(BulkGroupUpsertRequestBodyProfilesInner::with(
            format!("g{j:03}"),
            IdentitySourceGroupProfileForUpsert::new().display_name(format!("Group {j}")),
        ))
    });
    let memberships = (0..USERS).map(|i| Entity::MembershipUpsert {
        group: format!("g{:03}", i % GROUPS),
        member: format!("u{i:06}"),
    });
    let sources = [
        VecSource::new("users.csv", EntityKind::UserUpsert, users),
        VecSource::new("groups.csv", EntityKind::GroupUpsert, groups),
        VecSource::new("memberships.csv", EntityKind::MembershipUpsert, memberships),
    ];
    // Headroom under the 50-load cap, so that no load is refused for a count a lost answer
    // inflated: every 400 or 401 below would be a proof or a token the emulator refused.
    let options = ImportOptions::default()
        .with_max_loads_per_session(45)
        .with_poll_interval(Duration::from_millis(20), Duration::from_millis(500));
    let report = Importer::new(client.clone(), DEFAULT_IDENTITY_SOURCE, options)
        .run(&[&sources[0], &sources[1], &sources[2]])
        .await
        .expect("import");

    let state = emulator.state();
    let source = default_source(&state);
    assert_eq!(source.users.len(), USERS);
    assert_eq!(source.groups.len(), GROUPS);
    let members: usize = source.groups.iter().map(|g| g.members.len()).sum();
    assert_eq!(members, USERS);
    assert!(report.retries > 0, "the faults were retried");
    assert!(state.stats.faults_injected > 0);
    assert!(
        state.stats.rate_limited * 100 <= state.stats.requests,
        "at most 1 % answered 429: {} of {}",
        state.stats.rate_limited,
        state.stats.requests
    );
    // Every attempt carried a proof and a token the emulator accepted (it refuses a reused
    // proof, a wrong `ath` and an expired token with 400 or 401).
    assert_eq!(*refused.lock().expect("lock"), Vec::<u16>::new());
    let stats = client.stats().oauth;
    assert!(stats.tokens_issued >= 2, "{stats:?}");
    assert_eq!(stats.tokens_issued, state.stats.tokens_issued);
    eprintln!(
        "25k users with DPoP: {:.2?}, {} API requests, {} faults, {} tokens, {} token requests",
        report.elapsed,
        api_requests.load(Ordering::Relaxed),
        state.stats.faults_injected,
        stats.tokens_issued,
        stats.token_requests
    );
    emulator.shutdown().await;
}
