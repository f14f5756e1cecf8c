//! Bulk-upsert loads of 200 users through the emulator, over a real loopback socket with a
//! keep-alive hyper client, client and server on one current-thread runtime (one core).
//!
//! `cargo bench -p okta-idsrc-emulator --bench loads`; criterion reports loads/s as elem/s.
//! Sessions are rotated every 50 loads (the per-session cap), outside the measured time.

use std::hint::black_box;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use okta_idsrc_core::models::{
    BulkUpsertRequestBody, BulkUpsertRequestBodyProfilesInner, IdentitySourceUserProfileForUpsert,
};
use okta_idsrc_emulator::{Emulator, EmulatorHandle};

const USERS_PER_LOAD: usize = 200;
const BODIES: usize = 8;

fn body(n: usize) -> Bytes {
    let profiles = (0..USERS_PER_LOAD)
        .map(|i| {
            BulkUpsertRequestBodyProfilesInner::with(
                format!("EXT{n:02}{i:05}"),
                IdentitySourceUserProfileForUpsert::with_login(format!("user.{n}.{i}@example.com"))
                    .first_name("Isaac")
                    .last_name("Brock")
                    .mobile_phone("123-456-7890")
                    .home_address("10800 NE 8th St #600, Bellevue, WA 98004")
                    .custom_attribute("department", "Engineering"),
            )
        })
        .collect();
    Bytes::from(serde_json::to_vec(&BulkUpsertRequestBody::users(profiles)).unwrap())
}

struct Bench {
    emulator: EmulatorHandle,
    client: Client<HttpConnector, Full<Bytes>>,
    bodies: Vec<Bytes>,
    session: String,
    loads_in_session: usize,
    sent: usize,
}

impl Bench {
    fn url(&self, path: &str) -> String {
        format!(
            "{}/api/v1/identity-sources/0oaemulator000000001/sessions{path}",
            self.emulator.base_url()
        )
    }

    async fn call(&self, method: Method, path: &str, body: Bytes) -> StatusCode {
        let req = Request::builder()
            .method(method)
            .uri(self.url(path))
            .header("authorization", "SSWS emulator-token")
            .header("content-type", "application/json")
            .header("content-length", body.len())
            .body(Full::new(body))
            .unwrap();
        let res = self.client.request(req).await.unwrap();
        let status = res.status();
        black_box(res.into_body().collect().await.unwrap());
        status
    }

    async fn new_session(&mut self) {
        let r = self.client.request(
            Request::post(self.url(""))
                .header("authorization", "SSWS emulator-token")
                .header("content-length", 0)
                .body(Full::new(Bytes::new()))
                .unwrap(),
        );
        let body = r
            .await
            .unwrap()
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        self.session = v["id"].as_str().expect("session id").to_owned();
        self.loads_in_session = 0;
    }

    /// Sends one load and returns how long it took; rotates the session outside the timing.
    async fn one_load(&mut self) -> Duration {
        if self.loads_in_session == 50 {
            let s = self.session.clone();
            assert_eq!(
                self.call(Method::DELETE, &format!("/{s}"), Bytes::new())
                    .await,
                StatusCode::NO_CONTENT
            );
            self.new_session().await;
        }
        let body = self.bodies[self.sent % BODIES].clone();
        let path = format!("/{}/bulk-upsert", self.session);
        let start = Instant::now();
        let status = self.call(Method::POST, &path, body).await;
        let took = start.elapsed();
        assert_eq!(status, StatusCode::ACCEPTED);
        self.loads_in_session += 1;
        self.sent += 1;
        took
    }
}

fn loads(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut bench = rt.block_on(async {
        let emulator = Emulator::builder().seed(1).start().await.unwrap();
        let client = Client::builder(TokioExecutor::new()).build_http();
        let mut b = Bench {
            emulator,
            client,
            bodies: (0..BODIES).map(body).collect(),
            session: String::new(),
            loads_in_session: 0,
            sent: 0,
        };
        b.new_session().await;
        b
    });
    let mut group = c.benchmark_group("emulator");
    group.throughput(Throughput::Elements(1));
    group.sample_size(30);
    group.bench_function("bulk_upsert_200_users_loopback_h1", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    total += bench.one_load().await;
                }
                total
            })
        })
    });
    group.finish();
}

criterion_group!(benches, loads);
criterion_main!(benches);
