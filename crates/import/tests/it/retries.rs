//! What a failure costs, end to end through the importer over 127.0.0.1: the client's retry
//! layer is the only place requests are tried again, core's classifier decides, and the
//! attempts are those of the retry configuration — a permanent failure costs exactly one
//! request, a transient one at most the configured attempts.

#![allow(missing_docs)]

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use okta_idsrc_core::transport::{BoxError, TransportError, TransportErrorKind};
use okta_idsrc_core::{Credentials, OrgUrl};
use okta_idsrc_emulator::{DEFAULT_IDENTITY_SOURCE, Emulator, EmulatorHandle, OAuthClient};
use okta_idsrc_hyper::HyperTransport;
use okta_idsrc_import::{ImportError, ImportOptions, Importer};
use okta_idsrc_jose::PrivateKey;
use okta_idsrc_ops::oauth::{ErrorCode, OAuthConfig, OAuthError};
use okta_idsrc_ops::rate_limit::RateLimitConfig;
use okta_idsrc_ops::retry::{RetryBudget, RetryConfig};
use okta_idsrc_ops::{Auth, BoxedService, Client};
use tower::ServiceExt;

use crate::support::users;

const ATTEMPTS: u32 = 3;

/// What the wire sees: every request's path, and a rule that may answer in Okta's place.
#[derive(Clone, Default)]
struct Wire {
    paths: Arc<Mutex<Vec<String>>>,
}

/// What a rule answers in Okta's place: nothing lets the request through.
type Answer = Option<Result<Response<Bytes>, BoxError>>;
type Rule = dyn Fn(&str, u32) -> Answer + Send + Sync;

impl Wire {
    /// A client of `emulator` over the hyper transport, behind `rule` (given the request's
    /// path and how many requests to that path came before), with the default layers and
    /// [`ATTEMPTS`] attempts.
    fn client(
        &self,
        emulator: &EmulatorHandle,
        auth: Auth,
        rule: impl Fn(&str, u32) -> Answer + Send + Sync + 'static,
    ) -> Client<BoxedService> {
        let rule: Arc<Rule> = Arc::new(rule);
        let paths = Arc::clone(&self.paths);
        let transport = HyperTransport::new().expect("transport");
        let service = tower::service_fn(move |request: Request<Bytes>| {
            let path = request.uri().path().to_owned();
            let seen = {
                let mut paths = paths.lock().expect("lock");
                let seen = paths.iter().filter(|p| **p == path).count();
                paths.push(path.clone());
                u32::try_from(seen).expect("few")
            };
            let answer = rule(&path, seen);
            let transport = transport.clone();
            async move {
                match answer {
                    Some(answer) => answer,
                    None => transport.oneshot(request).await.map_err(Into::into),
                }
            }
        });
        Client::builder(OrgUrl::parse(&emulator.base_url()).expect("org"))
            .service(service)
            .authenticate(auth)
            .default_layers(
                RetryConfig::default()
                    .with_max_attempts(ATTEMPTS)
                    .with_base_backoff(Duration::from_millis(5))
                    .with_budget(RetryBudget::unlimited()),
                RateLimitConfig::default(),
            )
            .build()
            .boxed()
    }

    /// [`Wire::client`] with the emulator's API token.
    fn api_token_client(
        &self,
        emulator: &EmulatorHandle,
        rule: impl Fn(&str, u32) -> Answer + Send + Sync + 'static,
    ) -> Client<BoxedService> {
        self.client(
            emulator,
            Credentials::api_token(emulator.token()).into(),
            rule,
        )
    }

    /// Requests whose path ends with `suffix`.
    fn count(&self, suffix: &str) -> usize {
        let paths = self.paths.lock().expect("lock");
        paths.iter().filter(|p| p.ends_with(suffix)).count()
    }

    fn total(&self) -> usize {
        self.paths.lock().expect("lock").len()
    }
}

fn importer(client: Client<BoxedService>) -> Importer<BoxedService> {
    let options = ImportOptions::default()
        .with_concurrency(1)
        .with_poll_interval(Duration::from_millis(5), Duration::from_millis(50));
    Importer::new(client, DEFAULT_IDENTITY_SOURCE, options)
}

fn status(code: u16) -> Response<Bytes> {
    Response::builder()
        .status(code)
        .body(Bytes::from_static(b"busy"))
        .expect("response")
}

#[tokio::test]
async fn a_refused_request_costs_exactly_one_request() {
    let emulator = Emulator::start().await.expect("emulator");
    let wire = Wire::default();
    let client = wire.api_token_client(&emulator, |_, _| {
        Some(Err(Box::new(TransportError::new(
            TransportErrorKind::Refused,
            "plain HTTP to a host that is not loopback",
        ))))
    });
    let error = importer(client)
        .run(&[&users(10)])
        .await
        .expect_err("refused");
    assert!(matches!(error, ImportError::Api { .. }), "{error:?}");
    assert_eq!(wire.total(), 1, "one request, never retried");
    emulator.shutdown().await;
}

#[tokio::test]
async fn an_invalid_client_costs_exactly_one_token_request() {
    let registered = PrivateKey::generate_p256().expect("key").with_kid("k1");
    let emulator = Emulator::builder()
        .oauth_client(OAuthClient::new(
            "0oaservice0000000001",
            vec![registered.public_jwk()],
        ))
        .start()
        .await
        .expect("emulator");
    // Signed with a key the org does not know: Okta answers 401 invalid_client.
    let other = PrivateKey::generate_p256().expect("key").with_kid("k1");
    let wire = Wire::default();
    let client = wire.client(
        &emulator,
        OAuthConfig::new("0oaservice0000000001", other).into(),
        |_, _| None,
    );
    let error = importer(client)
        .run(&[&users(10)])
        .await
        .expect_err("invalid client");
    let ImportError::Api { source, .. } = &error else {
        panic!("{error:?}")
    };
    let oauth = OAuthError::find(source).expect("an OAuth error");
    assert_eq!(oauth.code(), Some(&ErrorCode::InvalidClient), "{oauth}");
    assert_eq!(wire.count("/oauth2/v1/token"), 1, "one token request");
    assert_eq!(wire.total(), 1, "and no API request");
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_load_that_keeps_failing_costs_the_configured_attempts() {
    let emulator = Emulator::start().await.expect("emulator");
    let wire = Wire::default();
    let client = wire.api_token_client(&emulator, |path, _| {
        path.ends_with("/bulk-upsert").then(|| Ok(status(503)))
    });
    let error = importer(client)
        .run(&[&users(10)])
        .await
        .expect_err("the load never goes through");
    let ImportError::Api { source, doing } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(source.status(), Some(http::StatusCode::SERVICE_UNAVAILABLE));
    assert!(doing.contains("uploading load 0"), "{doing}");
    assert_eq!(wire.count("/bulk-upsert"), ATTEMPTS as usize);
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_transient_failure_is_retried_by_the_layer_alone_and_counted() {
    let emulator = Emulator::start().await.expect("emulator");
    let wire = Wire::default();
    let failures = Arc::new(AtomicU32::new(0));
    let counted = Arc::clone(&failures);
    let client = wire.api_token_client(&emulator, move |path, seen| {
        (path.ends_with("/bulk-upsert") && seen < ATTEMPTS - 1).then(|| {
            counted.fetch_add(1, Ordering::Relaxed);
            Ok(status(503))
        })
    });
    let report = importer(client)
        .run(&[&users(10)])
        .await
        .expect("imported on the last attempt");
    assert_eq!(wire.count("/bulk-upsert"), ATTEMPTS as usize);
    assert_eq!(report.retries, u64::from(failures.load(Ordering::Relaxed)));
    let state = emulator.state();
    let source = state
        .identity_source(DEFAULT_IDENTITY_SOURCE)
        .expect("source");
    assert_eq!(source.users.len(), 10);
    emulator.shutdown().await;
}
