//! Serialization and deserialization throughput of the core models, beside plain
//! `serde_json` derive on equivalent plain structs.
//!
//! `cargo bench --bench serialize`

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use okta_idsrc::core::json;
use okta_idsrc::core::models::*;
use okta_idsrc::core::operations::UploadIdentitySourceDataForUpsert;
use okta_idsrc::core::{ApiContext, Credentials, Operation, OrgUrl};
use serde::{Deserialize, Serialize};

const FIRST: [&str; 8] = [
    "Isaac", "Jane", "Émilie", "Sanjay", "Olu", "Mei", "Lukas", "Zoë",
];
const LAST: [&str; 8] = [
    "Brock", "Smith", "Müller", "Patel", "Adeyemi", "Chen", "Novák", "O'Neil",
];
const DEPTS: [&str; 4] = ["Engineering", "Sales", "Finance", "People Operations"];

fn profile(i: usize) -> IdentitySourceUserProfileForUpsert {
    let (f, l) = (FIRST[i % 8], LAST[(i / 8) % 8]);
    let login = format!("{}.{}{}@example.com", f.to_lowercase(), l.to_lowercase(), i);
    IdentitySourceUserProfileForUpsert::with_login(login)
        .second_email(format!("{}{}@personal.example.org", f.to_lowercase(), i))
        .first_name(f)
        .last_name(l)
        .mobile_phone(format!("+1-555-{:03}-{:04}", i % 1000, (i * 7) % 10000))
        .home_address(format!(
            "{} Market St #{}, San Francisco, CA",
            100 + i,
            i % 90
        ))
        .custom_attribute("department", DEPTS[i % 4])
        .custom_attribute("costCenter", format!("CC-{:05}", i % 300))
}

fn body() -> BulkUpsertRequestBody {
    BulkUpsertRequestBody::users(
        (0..200)
            .map(|i| {
                BulkUpsertRequestBodyProfilesInner::with(format!("EXT{i:08}-HRIS"), profile(i))
            })
            .collect(),
    )
}

/// The same data as plain structs with derived serde, for comparison.
#[derive(Serialize, Deserialize)]
struct PlainBody {
    #[serde(rename = "entityType")]
    entity_type: String,
    profiles: Vec<PlainInner>,
}

#[derive(Serialize, Deserialize)]
struct PlainInner {
    #[serde(rename = "externalId")]
    external_id: String,
    profile: BTreeMap<String, Option<String>>,
}

#[derive(Serialize, Deserialize)]
#[allow(dead_code)]
struct PlainSession {
    id: String,
    #[serde(rename = "identitySourceId")]
    identity_source_id: String,
    status: String,
    #[serde(rename = "importType")]
    import_type: String,
    created: String,
    #[serde(rename = "lastUpdated")]
    last_updated: String,
}

fn sessions_json() -> Vec<u8> {
    let statuses = ["CREATED", "TRIGGERED", "COMPLETED", "CLOSED", "EXPIRED"];
    let list: Vec<IdentitySourceSession> = (0..100)
        .map(|i| {
            IdentitySourceSession::new()
                .id(format!("aps1qqonvr2SZv6o{i:04}"))
                .identity_source_id("0oa3l6l6WK6h0R0QW0g4")
                .status(statuses[i % 5])
                .import_type("INCREMENTAL")
                .created("2026-05-13T05:52:24.000Z")
                .last_updated("2026-05-13T06:01:10.000Z")
        })
        .collect();
    serde_json::to_vec(&list).unwrap()
}

fn user_json() -> Vec<u8> {
    let user = UserResponseSchema::new()
        .id("00u7m9p9ZT8k2S2EX1f7")
        .external_id("EXT00000042-HRIS")
        .created("2025-07-24T12:06:05.000Z")
        .last_updated("2025-08-05T16:15:44.000Z")
        .profile(profile(42));
    serde_json::to_vec(&user).unwrap()
}

fn bench(c: &mut Criterion) {
    let body = body();
    let bytes = serde_json::to_vec(&body).unwrap();
    let plain: PlainBody = serde_json::from_slice(&bytes).unwrap();
    let size = bytes.len() as u64;
    eprintln!("bulk-upsert body: {size} bytes");

    let mut g = c.benchmark_group("serialize");
    g.throughput(Throughput::Bytes(size));
    g.bench_function("bulk_upsert_200/write_json", |b| {
        b.iter(|| json::to_vec(black_box(&body)))
    });
    g.bench_function("bulk_upsert_200/serde_json_model", |b| {
        b.iter(|| serde_json::to_vec(black_box(&body)).unwrap())
    });
    g.bench_function("bulk_upsert_200/plain_serde_json_derive", |b| {
        b.iter(|| serde_json::to_vec(black_box(&plain)).unwrap())
    });
    let ctx = ApiContext::new(
        OrgUrl::parse("https://acme.okta.com").unwrap(),
        Some(Credentials::api_token("t")),
    );
    let op = UploadIdentitySourceDataForUpsert::new(
        "0oa3l6l6WK6h0R0QW0g4",
        "aps1qqonvr2SZv6o70h8",
        body.clone(),
    );
    g.bench_function("bulk_upsert_200/request_build_with_validation", |b| {
        b.iter(|| black_box(&op).build(&ctx).unwrap())
    });
    g.finish();

    let mut g = c.benchmark_group("deserialize");
    g.throughput(Throughput::Bytes(size));
    g.bench_function("bulk_upsert_200/model_serde_json_from_slice", |b| {
        b.iter(|| serde_json::from_slice::<BulkUpsertRequestBody>(black_box(&bytes)).unwrap())
    });
    g.bench_function("bulk_upsert_200/model_core_json_from_slice", |b| {
        b.iter(|| json::from_slice::<BulkUpsertRequestBody>(black_box(&bytes)).unwrap())
    });
    g.bench_function("bulk_upsert_200/plain_serde_json_derive", |b| {
        b.iter(|| serde_json::from_slice::<PlainBody>(black_box(&bytes)).unwrap())
    });
    // The parser alone, building nothing: the ceiling for any serde_json-based model.
    g.bench_function("bulk_upsert_200/serde_json_ignored_any", |b| {
        b.iter(|| serde_json::from_slice::<serde::de::IgnoredAny>(black_box(&bytes)).unwrap())
    });
    let sessions = sessions_json();
    g.throughput(Throughput::Bytes(sessions.len() as u64));
    g.bench_function("sessions_100/model", |b| {
        b.iter(|| json::from_slice::<Vec<IdentitySourceSession>>(black_box(&sessions)).unwrap())
    });
    g.bench_function("sessions_100/plain_serde_json_derive", |b| {
        b.iter(|| serde_json::from_slice::<Vec<PlainSession>>(black_box(&sessions)).unwrap())
    });
    let user = user_json();
    g.throughput(Throughput::Bytes(user.len() as u64));
    g.bench_function("user_response/model", |b| {
        b.iter(|| json::from_slice::<UserResponseSchema>(black_box(&user)).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
