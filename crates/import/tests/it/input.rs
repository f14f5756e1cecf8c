//! Input the importer refuses or warns about: invalid entities, unreadable lines, a changing
//! input, contradictions and references neither the input nor Okta knows.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use okta_idsrc_core::models::{
    BulkGroupUpsertRequestBodyProfilesInner, BulkUpsertRequestBodyProfilesInner,
    IdentitySourceGroupProfileForUpsert, IdentitySourceUserProfileForUpsert, Nullable,
};
use okta_idsrc_emulator::{DEFAULT_IDENTITY_SOURCE, Emulator};
use okta_idsrc_import::{
    Entity, EntityKind, ImportError, ImportOptions, Importer, InputError, InputSource,
    InvalidPolicy, Record, VecSource,
};

use crate::support::*;

fn bad_users() -> VecSource {
    let mut users: Vec<Entity> = (0..20).map(|i| Entity::UserUpsert(user(i))).collect();
    // Line 4: an email too short. Line 8: a duplicate of line 2. Line 13: an emoji.
    let Entity::UserUpsert(u) = &mut users[3] else {
        unreachable!()
    };
    u.profile.as_mut().expect("profile").email = Some("a@b".to_owned());
    users[7] = Entity::UserUpsert(BulkUpsertRequestBodyProfilesInner::with(
        user_id(1),
        user(7).profile.expect("p"),
    ));
    let Entity::UserUpsert(u) = &mut users[12] else {
        unreachable!()
    };
    u.profile.as_mut().expect("profile").first_name = Nullable::Value("Smile \u{1F600}".to_owned());
    VecSource::new("users.csv", EntityKind::UserUpsert, users)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_input_stops_before_anything_is_sent() {
    let emulator = emulator(Emulator::builder()).await;
    let users = bad_users();
    let err = importer(&emulator, ImportOptions::default())
        .run(&[&users])
        .await
        .expect_err("invalid input");
    let ImportError::InvalidInput { problems, total } = &err else {
        panic!("{err}")
    };
    assert_eq!(*total, 3);
    let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        lines[0],
        "users.csv line 4, column email: is 3 characters; at least 5 required"
    );
    assert!(
        lines[1]
            .starts_with("users.csv line 13, column firstName: contains a 4-byte UTF-8 character"),
        "{lines:?}"
    );
    assert_eq!(
        lines[2],
        "users.csv line 8, column externalId: duplicate user externalId \"u000001\"; first at line 2"
    );
    assert!(
        err.to_string()
            .starts_with("3 invalid entities; nothing was sent; users.csv line 4")
    );
    assert_eq!(emulator.state().stats.requests, 0, "nothing was sent");

    // Skip imports the rest and lists what it skipped.
    let report = importer(
        &emulator,
        ImportOptions::default().with_invalid_policy(InvalidPolicy::Skip),
    )
    .run(&[&users])
    .await
    .expect("import with skips");
    assert_eq!(report.skipped_total, 3);
    let skipped: BTreeSet<u64> = report.skipped.iter().filter_map(|e| e.line).collect();
    assert_eq!(skipped, BTreeSet::from([4, 8, 13]));
    let state = emulator.state();
    let source = default_source(&state);
    assert_eq!(source.users.len(), 17);
    assert!(source.user(&user_id(3)).is_none() && source.user(&user_id(12)).is_none());
    // The first of the duplicates is kept.
    assert_eq!(
        source
            .user(&user_id(1))
            .expect("u1")
            .profile
            .email
            .as_deref(),
        Some("user1@example.com")
    );

    // Nothing at all is an error too.
    let empty = VecSource::new("users.csv", EntityKind::UserUpsert, []);
    let err = importer(&emulator, ImportOptions::default())
        .run(&[&empty])
        .await
        .expect_err("empty");
    assert!(
        matches!(err, ImportError::EmptyInput { skipped: 0 }),
        "{err}"
    );
}

/// A source whose records are given per pass: `passes[n]` is what the n-th open yields (the
/// last one again once they run out). `Err` records are unreadable lines.
struct Passes {
    passes: Vec<Vec<Result<Entity, String>>>,
    opened: std::sync::atomic::AtomicUsize,
}

impl Passes {
    fn new(passes: Vec<Vec<Result<Entity, String>>>) -> Self {
        Passes {
            passes,
            opened: Default::default(),
        }
    }
}

impl InputSource for Passes {
    fn name(&self) -> &str {
        "users.jsonl"
    }

    fn kind(&self) -> EntityKind {
        EntityKind::UserUpsert
    }

    fn open(&self) -> Result<okta_idsrc_import::Records<'_>, InputError> {
        let n = self
            .opened
            .fetch_add(1, Ordering::SeqCst)
            .min(self.passes.len() - 1);
        let name: Arc<str> = Arc::from(self.name());
        Ok(Box::new(self.passes[n].iter().enumerate().map(
            move |(i, r)| {
                let line = i as u64 + 1;
                match r {
                    Ok(entity) => Ok(Record {
                        source: Arc::clone(&name),
                        line,
                        entity: entity.clone(),
                    }),
                    Err(message) => Err(InputError::new(Arc::clone(&name), message.clone())
                        .at_line(line)
                        .in_field("email")),
                }
            },
        )))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreadable_lines_follow_the_policy_and_a_changing_input_is_caught() {
    let emulator = emulator(Emulator::builder()).await;
    let stopping = importer(&emulator, ImportOptions::default());
    let skipping = importer(
        &emulator,
        ImportOptions::default().with_invalid_policy(InvalidPolicy::Skip),
    );
    let lines = vec![
        Ok(Entity::UserUpsert(user(1))),
        Err("not a string".to_owned()),
        Ok(Entity::UserUpsert(user(3))),
    ];
    let err = stopping
        .run(&[&Passes::new(vec![lines.clone()])])
        .await
        .expect_err("stop");
    let ImportError::InvalidInput { problems, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(
        problems[0].to_string(),
        "users.jsonl line 2, column email: not a string"
    );
    let report = skipping
        .run(&[&Passes::new(vec![lines.clone()])])
        .await
        .expect("skip");
    assert_eq!((report.skipped_total, report.loads), (1, 1));

    // The second pass reads another email than the first: caught.
    let mut changed = lines.clone();
    changed[0] = Ok(Entity::UserUpsert(
        BulkUpsertRequestBodyProfilesInner::with(
            user_id(1),
            IdentitySourceUserProfileForUpsert::with_login("changed@example.com"),
        ),
    ));
    let err = skipping
        .run(&[&Passes::new(vec![lines.clone(), changed])])
        .await
        .expect_err("changed");
    assert!(matches!(err, ImportError::InputChanged { .. }), "{err}");
    // A line valid when validated and unreadable when uploaded: caught before it is sent.
    let broken = vec![
        Ok(Entity::UserUpsert(user(1))),
        Err("not a string".to_owned()),
        Err("broken".to_owned()),
    ];
    let err = skipping
        .run(&[&Passes::new(vec![lines, broken])])
        .await
        .expect_err("changed");
    assert!(err.to_string().contains("users.jsonl line 3"), "{err}");
}

/// `groups.csv` with one group, `g1`.
fn group_g1() -> VecSource {
    VecSource::new(
        "groups.csv",
        EntityKind::GroupUpsert,
        [Entity::GroupUpsert(
            BulkGroupUpsertRequestBodyProfilesInner::with(
                "g1",
                IdentitySourceGroupProfileForUpsert::new().display_name("G1"),
            ),
        )],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_id_upserted_and_deactivated_is_refused_naming_both_lines() {
    let emulator = emulator(Emulator::builder()).await;
    let users = VecSource::new(
        "users.csv",
        EntityKind::UserUpsert,
        [Entity::UserUpsert(user(1)), Entity::UserUpsert(user(2))],
    );
    let gone = VecSource::new(
        "leavers.txt",
        EntityKind::UserDeactivate,
        [
            Entity::UserDeactivate("nobody".into()),
            Entity::UserDeactivate(user_id(2)),
        ],
    );
    let groups = group_g1();
    let group_deletes = VecSource::new(
        "old-groups.txt",
        EntityKind::GroupDelete,
        [Entity::GroupDelete("g1".into())],
    );
    let strict =
        |options: ImportOptions| Importer::new(client(&emulator), DEFAULT_IDENTITY_SOURCE, options);
    let err = strict(ImportOptions::default())
        .run(&[&users, &gone, &groups, &group_deletes])
        .await
        .expect_err("contradictory");
    let ImportError::InvalidInput { problems, total } = &err else {
        panic!("{err}")
    };
    assert_eq!(*total, 2, "{problems:?}");
    let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert!(
        shown.contains(&format!(
            "leavers.txt line 2, column externalId: user externalId \"{}\" is both upserted (users.csv line 2) and deactivated here; one run cannot do both: remove it from one of the files",
            user_id(2)
        )),
        "{shown:?}"
    );
    assert!(
        shown.iter().any(|p| p.starts_with("old-groups.txt line 1")
            && p.contains("both upserted (groups.csv line 1) and deleted")),
        "{shown:?}"
    );
    assert_eq!(emulator.state().stats.requests, 0, "nothing was sent");

    // With --skip-invalid the contradictory deactivation is skipped, listed, and the user
    // stays active.
    let report = strict(ImportOptions::default().with_invalid_policy(InvalidPolicy::Skip))
        .run(&[&users, &gone])
        .await
        .expect("import");
    assert_eq!(report.skipped_total, 1);
    assert_eq!(report.entities_by_kind.get(EntityKind::UserDeactivate), 1);
    let state = emulator.state();
    assert!(default_source(&state).user(&user_id(2)).expect("u2").active);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn references_unknown_to_the_input_and_to_okta_are_warnings_with_lines() {
    let emulator = emulator(Emulator::builder()).await;
    // u000009 exists in Okta already; "ghost" and group "nogroup" nowhere.
    import(
        &emulator,
        ImportOptions::default(),
        &[VecSource::new(
            "seed",
            EntityKind::UserUpsert,
            [Entity::UserUpsert(user(9))],
        )],
    )
    .await
    .expect("seed");
    let requests_before = emulator.state().stats.requests;
    let users = VecSource::new(
        "users.csv",
        EntityKind::UserUpsert,
        [Entity::UserUpsert(user(1))],
    );
    let groups = group_g1();
    let member = |g: &str, u: &str| Entity::MembershipUpsert {
        group: g.into(),
        member: u.into(),
    };
    let memberships = VecSource::new(
        "memberships.csv",
        EntityKind::MembershipUpsert,
        [
            member("g1", &user_id(1)),
            member("g1", &user_id(9)),
            member("g1", "ghost"),
            member("nogroup", &user_id(1)),
            member("nogroup", &user_id(9)),
        ],
    );
    let leavers = VecSource::new(
        "leavers.txt",
        EntityKind::UserDeactivate,
        [Entity::UserDeactivate("ghost".into())],
    );
    let report = import(
        &emulator,
        ImportOptions::default(),
        &[users, groups, memberships, leavers],
    )
    .await
    .expect("import");
    let shown: Vec<String> = report.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            "memberships.csv line 3, column memberExternalId: user \"ghost\" is neither in this import nor in Okta; Okta skips the membership (named on 1 more line)",
            "memberships.csv line 4, column groupExternalId: group \"nogroup\" is neither in this import nor in Okta; Okta skips the membership (named on 1 more line)",
        ]
    );
    assert_eq!(report.references_unchecked, 0);
    // Looked up once each, deduplicated: u000009, ghost, nogroup.
    let lookups = emulator.state().stats.requests - requests_before;
    let import_requests = 1 /* list */ + 1 /* create */ + 4 /* loads */ + 1 /* start */;
    assert!(lookups >= import_requests + 3, "{lookups}");
    assert!(
        lookups <= import_requests + 3 + 5,
        "{lookups} (polls included)"
    );
    // Accepted is what was sent in applied sessions, not what changed.
    assert_eq!(report.accepted().get(EntityKind::MembershipUpsert), 5);
    let state = emulator.state();
    let g1 = default_source(&state).group("g1").expect("g1");
    assert_eq!(g1.members, [user_id(1), user_id(9)]);

    // Without lookups, no warnings.
    let quiet = import(
        &emulator,
        ImportOptions::default().with_check_references(false),
        &[VecSource::new(
            "m2.csv",
            EntityKind::MembershipUpsert,
            [member("nogroup", "ghost")],
        )],
    )
    .await
    .expect("import");
    assert!(quiet.warnings.is_empty());
}
