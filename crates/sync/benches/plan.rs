//! Planning against a large state: the snapshot streamed once against the state in memory.
//!
//! `cargo bench -p okta-idsrc-sync --bench plan` (1,000,000 users; `PLAN_BENCH_USERS=N` for
//! another size). The state is seeded directly (as applied sessions commit it); the figures
//! are the planning alone, no Okta involved. Peak memory is measured on the CLI instead
//! (`/usr/bin/time -v okta-idsrc sync plan …`, see the README).

use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use okta_idsrc_core::models::{
    BulkUpsertRequestBodyProfilesInner, IdentitySourceUserProfileForUpsert,
};
use okta_idsrc_import::{Entity, EntityKind, InputError, InputSource, Record, Records};
use okta_idsrc_sync::{Applied, Canonical, PlanOptions, Snapshot, StateStore, Target, plan};

/// `n` users generated as they are read (the input itself takes no memory); user `i` has
/// title `title(i)`.
struct Generated {
    name: Arc<str>,
    n: u64,
    title: fn(u64) -> &'static str,
}

fn user(i: u64, title: &str) -> BulkUpsertRequestBodyProfilesInner {
    BulkUpsertRequestBodyProfilesInner::with(
        format!("emp-{i:07}"),
        IdentitySourceUserProfileForUpsert::with_login(format!("user{i}@example.com"))
            .first_name(format!("First{i}"))
            .last_name(format!("Last{i}"))
            .custom_attribute("department", "Engineering")
            .custom_attribute("title", title),
    )
}

impl InputSource for Generated {
    fn name(&self) -> &str {
        &self.name
    }
    fn kind(&self) -> EntityKind {
        EntityKind::UserUpsert
    }
    fn open(&self) -> Result<Records<'_>, InputError> {
        let title = self.title;
        Ok(Box::new((1..=self.n).map(move |line| {
            Ok(Record {
                source: Arc::clone(&self.name),
                line,
                entity: Entity::UserUpsert(user(line, title(line))),
            })
        })))
    }
}

fn bench(c: &mut Criterion) {
    let n: u64 = std::env::var("PLAN_BENCH_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let target = Target::new("https://acme.okta.com", "0oa1234567890abcdefg").expect("target");
    let mut store = StateStore::in_memory().expect("store");
    let id = store.target(&target).expect("target id");
    let applied = Applied {
        users_upserted: (1..=n)
            .map(|i| {
                let u = user(i, "Engineer");
                (
                    u.external_id.clone().unwrap_or_default(),
                    Canonical::of_user(&u),
                )
            })
            .collect(),
        ..Applied::default()
    };
    store.commit(id, &applied).expect("seed");
    let unchanged = Generated {
        name: Arc::from("users.csv"),
        n,
        title: |_| "Engineer",
    };
    let day2 = Generated {
        name: Arc::from("users.csv"),
        n: n - 200,
        title: |i| {
            if i % 83 == 0 {
                "Senior Engineer"
            } else {
                "Engineer"
            }
        },
    };
    let mut group = c.benchmark_group(format!("plan {n} users against a {n}-user state"));
    group.sample_size(10);
    for (label, source) in [
        ("unchanged", &unchanged),
        ("1 in 83 changed, 200 leavers", &day2),
    ] {
        group.bench_function(label, |b| {
            b.iter(|| {
                let users: [&dyn InputSource; 1] = [source];
                let snapshot = Snapshot::users(&users);
                let mut options = PlanOptions::default();
                options.thresholds.allow_deletions = true;
                plan(&store, id, &target, snapshot, &options).expect("plan")
            });
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
