//! The client stack's own overhead per call — request build (validation, serialization,
//! headers), the layers, response parse, the tracing span — over an in-memory service that
//! answers a canned response at once: no network, no server.
//!
//! `cargo bench --bench client`

use std::convert::Infallible;
use std::hint::black_box;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use okta_idsrc::core::operations::UploadIdentitySourceDataForUpsert;
use okta_idsrc::models::{
    BulkUpsertRequestBody, BulkUpsertRequestBodyProfilesInner, IdentitySourceUserProfileForUpsert,
};
use okta_idsrc::ops::rate_limit::RateLimitConfig;
use okta_idsrc::ops::retry::RetryConfig;
use okta_idsrc::ops::{Client, ClientBuilder};
use okta_idsrc::{BoxedService, Credentials, OrgUrl};

const IDSRC: &str = "0oa1234567890abcdefg";
const SESSION: &str = "aps1234567890abcdefg";
const SESSION_JSON: &str = r#"{"id":"aps1234567890abcdefg","identitySourceId":"0oa1234567890abcdefg","status":"IN_PROGRESS","importType":"INCREMENTAL","created":"2026-05-13T05:52:24.000Z","lastUpdated":"2026-05-13T05:53:10.000Z"}"#;

/// A service answering every request with `status` and `body`, and Okta's usual headers.
fn canned(status: u16, body: &'static str) -> BoxedService {
    okta_idsrc::ops::service::boxed(tower::service_fn(
        move |_request: http::Request<Bytes>| async move {
            Ok::<_, Infallible>(
                http::Response::builder()
                    .status(status)
                    .header("content-type", "application/json")
                    .header("x-okta-request-id", "reqBench123")
                    .header("x-rate-limit-limit", "600")
                    .header("x-rate-limit-remaining", "599")
                    .header("x-rate-limit-reset", "4102444800")
                    .header("date", "Wed, 13 May 2026 05:53:10 GMT")
                    .body(Bytes::from_static(body.as_bytes()))
                    .expect("response"),
            )
        },
    ))
}

fn builder(service: BoxedService) -> ClientBuilder<BoxedService> {
    Client::builder(OrgUrl::parse("https://acme.okta.com").expect("org"))
        .credentials(Credentials::api_token("00bench-token"))
        .service(service)
}

fn bare(service: BoxedService) -> Client<BoxedService> {
    builder(service).build()
}

fn layered(service: BoxedService) -> Client<BoxedService> {
    builder(service)
        .default_layers(RetryConfig::default(), RateLimitConfig::default())
        .build()
        .boxed()
}

fn users(n: usize) -> BulkUpsertRequestBody {
    BulkUpsertRequestBody::users(
        (0..n)
            .map(|i| {
                BulkUpsertRequestBodyProfilesInner::with(
                    format!("HR-{i:06}"),
                    IdentitySourceUserProfileForUpsert::with_login(format!(
                        "employee{i}@example.com"
                    ))
                    .first_name("Jane")
                    .last_name(format!("Doe {i}"))
                    .mobile_phone("+1-555-0100")
                    .custom_attribute("department", "Engineering"),
                )
            })
            .collect(),
    )
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let _guard = runtime.enter();

    let mut group = c.benchmark_group("getIdentitySourceSession");
    group.throughput(Throughput::Elements(1));
    for (name, client) in [
        ("bare", bare(canned(200, SESSION_JSON))),
        ("default_layers", layered(canned(200, SESSION_JSON))),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                runtime
                    .block_on(client.get_identity_source_session(IDSRC, black_box(SESSION)))
                    .expect("ok")
            });
        });
    }
    group.finish();

    let op = UploadIdentitySourceDataForUpsert::new(IDSRC, SESSION, users(200));
    let mut group = c.benchmark_group("uploadIdentitySourceDataForUpsert_200_users");
    group.throughput(Throughput::Elements(1));
    for (name, client) in [
        ("bare", bare(canned(202, ""))),
        ("default_layers", layered(canned(202, ""))),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| runtime.block_on(client.send(black_box(&op))).expect("ok"));
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
