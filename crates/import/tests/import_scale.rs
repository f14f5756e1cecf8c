//! Measurements of the importer at scale, ignored by default (run them in release, one at a
//! time, since the peak RSS they print is the whole process's):
//!
//! ```text
//! cargo test --release -p okta-idsrc-ops --test import_scale -- --ignored --nocapture --test-threads 1 <name>
//! ```
//!
//! They print figures and assert only what must hold at any speed: every entity arrived.

#![allow(missing_docs)]

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use bytes::Bytes;
use http::{Method, Request, Response};
use okta_idsrc_core::models::{
    BulkUpsertRequestBodyProfilesInner, IdentitySourceUserProfileForUpsert,
};
use okta_idsrc_core::{Credentials, OrgUrl};
use okta_idsrc_emulator::{DEFAULT_IDENTITY_SOURCE, Emulator};
use okta_idsrc_hyper::HyperTransport;
use okta_idsrc_import::{
    Entity, EntityKind, ImportOptions, Importer, InputError, InputSource, Record, Records,
};
use okta_idsrc_ops::Client;
use okta_idsrc_ops::rate_limit::RateLimitConfig;
use okta_idsrc_ops::retry::RetryConfig;

/// `n` users, generated as they are read: the input itself takes no memory.
struct Generated {
    name: Arc<str>,
    n: u64,
}

impl Generated {
    fn new(n: u64) -> Self {
        Self {
            name: Arc::from("generated"),
            n,
        }
    }
}

fn user(i: u64) -> Entity {
    let login = format!("user{i}@example.com");
    Entity::UserUpsert(BulkUpsertRequestBodyProfilesInner::with(
        format!("EXT{i:08}"),
        IdentitySourceUserProfileForUpsert::new()
            .email(login.clone())
            .user_name(login)
            .first_name(format!("First{i}"))
            .last_name(format!("Last{i}"))
            .custom_attribute("department", "Engineering"),
    ))
}

impl InputSource for Generated {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> EntityKind {
        EntityKind::UserUpsert
    }

    fn open(&self) -> Result<Records<'_>, InputError> {
        Ok(Box::new((1..=self.n).map(|line| {
            Ok(Record {
                source: Arc::clone(&self.name),
                line,
                entity: user(line),
            })
        })))
    }
}

/// Peak resident set size of the process, in MiB (Linux).
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// A service that plays Okta without keeping anything: every session completes at once.
/// Only the importer's own memory and time are measured.
fn sink(
    bytes: Arc<AtomicU64>,
) -> impl tower::Service<
    Request<Bytes>,
    Response = Response<Bytes>,
    Error = Infallible,
    Future = std::future::Ready<Result<Response<Bytes>, Infallible>>,
> + Clone
+ Send
+ Sync
+ 'static {
    let sessions = Arc::new(AtomicU64::new(0));
    tower::service_fn(move |request: Request<Bytes>| {
        let path = request.uri().path().to_owned();
        let reply = |status: u16, body: String| {
            Response::builder()
                .status(status)
                .body(Bytes::from(body))
                .expect("response")
        };
        let session = |id: &str, status: &str| format!(r#"{{"id":"{id}","status":"{status}"}}"#);
        let id = path
            .split("/sessions/")
            .nth(1)
            .and_then(|s| s.split('/').next())
            .unwrap_or("")
            .to_owned();
        let response = if path.ends_with("/sessions") && request.method() == Method::GET {
            reply(200, "[]".to_owned())
        } else if path.ends_with("/sessions") {
            let n = sessions.fetch_add(1, Ordering::Relaxed);
            reply(201, session(&format!("aps{n:017}"), "CREATED"))
        } else if path.ends_with("/start-import") {
            reply(200, session(&id, "TRIGGERED"))
        } else if request.method() == Method::GET {
            reply(200, session(&id, "COMPLETED"))
        } else {
            bytes.fetch_add(request.body().len() as u64, Ordering::Relaxed);
            reply(202, String::new())
        };
        std::future::ready(Ok(response))
    })
}

async fn into_sink(n: u64) {
    let bytes = Arc::new(AtomicU64::new(0));
    let client = Client::builder(OrgUrl::parse("https://acme.okta.com").expect("org"))
        .credentials(Credentials::api_token("t"))
        .service(sink(Arc::clone(&bytes)))
        .build()
        .boxed();
    let importer = Importer::new(client, DEFAULT_IDENTITY_SOURCE, ImportOptions::default());
    let started = Instant::now();
    let report = importer.run(&[&Generated::new(n)]).await.expect("import");
    assert_eq!(report.entities_by_kind.total(), n);
    assert_eq!(report.loads, n.div_ceil(200));
    eprintln!(
        "{n} users into a sink: {:.2?}, {} loads, {} sessions, {:.1} MB sent, peak RSS {:.1} MiB",
        started.elapsed(),
        report.loads,
        report.sessions.len(),
        bytes.load(Ordering::Relaxed) as f64 / 1e6,
        peak_rss_mib().unwrap_or(f64::NAN)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement: run in release"]
async fn memory_100k_users_into_a_sink() {
    into_sink(100_000).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement: run in release"]
async fn memory_1m_users_into_a_sink() {
    into_sink(1_000_000).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement: run in release"]
async fn time_100k_users_into_the_emulator() {
    let emulator = Emulator::builder().start().await.expect("emulator");
    let client = Client::builder(OrgUrl::parse(&emulator.base_url()).expect("org"))
        .service(HyperTransport::new().expect("transport"))
        .authenticate(Credentials::api_token(emulator.token()))
        .default_layers(RetryConfig::default(), RateLimitConfig::default())
        .build()
        .boxed();
    let importer = Importer::new(client, DEFAULT_IDENTITY_SOURCE, ImportOptions::default());
    let started = Instant::now();
    let report = importer
        .run(&[&Generated::new(100_000)])
        .await
        .expect("import");
    let elapsed = started.elapsed();
    let state = emulator.state();
    assert_eq!(
        state
            .identity_source(DEFAULT_IDENTITY_SOURCE)
            .expect("source")
            .users
            .len(),
        100_000
    );
    eprintln!(
        "100000 users into the emulator: {elapsed:.2?}, {} loads in {} sessions, {} requests, peak RSS (importer and emulator) {:.1} MiB",
        report.loads,
        report.sessions.len(),
        state.stats.requests,
        peak_rss_mib().unwrap_or(f64::NAN)
    );
}
