//! What the importer's tests share: an emulator, a client of it over the hyper transport
//! with the default layers, and datasets of every kind with the state they must leave.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use okta_idsrc_core::models::{
    BulkGroupUpsertRequestBodyProfilesInner, BulkUpsertRequestBody,
    BulkUpsertRequestBodyProfilesInner, IdentitySourceGroupProfileForUpsert,
    IdentitySourceSessionStatus as Status, IdentitySourceUserProfileForUpsert, Nullable,
};
use okta_idsrc_core::{Credentials, OrgUrl};
use okta_idsrc_emulator::{
    DEFAULT_IDENTITY_SOURCE, EmulatorBuilder, EmulatorHandle, IdentitySourceSnapshot, StateSnapshot,
};
use okta_idsrc_hyper::HyperTransport;
use okta_idsrc_import::{
    Entity, EntityKind, ImportError, ImportOptions, ImportReport, Importer, InputSource, Progress,
    VecSource,
};
use okta_idsrc_ops::rate_limit::RateLimitConfig;
use okta_idsrc_ops::retry::RetryConfig;
use okta_idsrc_ops::{BoxedService, Client};
use tokio::sync::Notify;

/// `builder`, seeded, started.
pub(crate) async fn emulator(builder: EmulatorBuilder) -> EmulatorHandle {
    builder.seed(7).start().await.expect("emulator")
}

/// A client over the hyper transport with the default layers.
pub(crate) fn client(emulator: &EmulatorHandle) -> Client<BoxedService> {
    Client::builder(OrgUrl::parse(&emulator.base_url()).expect("loopback org"))
        .service(HyperTransport::new().expect("transport"))
        .authenticate(Credentials::api_token(emulator.token()))
        .default_layers(RetryConfig::default(), RateLimitConfig::default())
        .build()
        .boxed()
}

pub(crate) fn importer(
    emulator: &EmulatorHandle,
    options: ImportOptions,
) -> Importer<BoxedService> {
    // The datasets deactivate and delete some of what they upsert, in the kinds' order.
    let options = options
        .with_poll_interval(Duration::from_millis(20), Duration::from_millis(500))
        .with_allow_contradictions(true);
    Importer::new(client(emulator), DEFAULT_IDENTITY_SOURCE, options)
}

/// Imports `sources` into `emulator` with `options`.
pub(crate) async fn import(
    emulator: &EmulatorHandle,
    options: ImportOptions,
    sources: &[VecSource],
) -> Result<ImportReport, ImportError> {
    importer(emulator, options).run(&refs(sources)).await
}

pub(crate) fn user_id(i: usize) -> String {
    format!("u{i:06}")
}

pub(crate) fn group_id(j: usize) -> String {
    format!("g{j:03}")
}

pub(crate) fn user(i: usize) -> BulkUpsertRequestBodyProfilesInner {
    let mut profile =
        IdentitySourceUserProfileForUpsert::with_login(format!("user{i}@example.com"))
            .first_name(format!("First{i}"))
            .last_name(format!("Last{i}"))
            .custom_attribute("department", format!("Dept{}", i % 17));
    if i.is_multiple_of(3) {
        profile = profile.mobile_phone(format!("+1 555 {i:07}"));
    }
    if i.is_multiple_of(5) {
        profile.second_email = Nullable::Null;
    }
    BulkUpsertRequestBodyProfilesInner::with(user_id(i), profile)
}

/// An input of every kind, and the state it must leave.
#[derive(Default)]
pub(crate) struct Dataset {
    pub(crate) users: usize,
    pub(crate) groups: usize,
    pub(crate) memberships: usize,
    pub(crate) deactivations: usize,
    pub(crate) membership_deletes: usize,
    pub(crate) group_deletes: usize,
}

impl Dataset {
    /// `users` users and `groups` groups, nothing else.
    pub(crate) fn users_and_groups(users: usize, groups: usize) -> Self {
        Dataset {
            users,
            groups,
            ..Dataset::default()
        }
    }

    /// Memberships, listed group after group: in round `r`, user `i` joins group
    /// `(i + r) % groups` (so no pair repeats while there are fewer memberships than users
    /// times groups).
    pub(crate) fn pairs(&self) -> Vec<(usize, usize)> {
        let mut pairs: Vec<(usize, usize)> = (0..self.memberships)
            .map(|k| {
                (
                    (k % self.users + k / self.users) % self.groups,
                    k % self.users,
                )
            })
            .collect();
        pairs.sort_unstable();
        pairs
    }

    /// The memberships deleted: the first members of group 0.
    pub(crate) fn deleted_pairs(&self) -> Vec<(usize, usize)> {
        self.pairs()
            .into_iter()
            .filter(|(g, _)| *g == 0)
            .take(self.membership_deletes)
            .collect()
    }

    pub(crate) fn sources(&self) -> Vec<VecSource> {
        let users = (0..self.users).map(|i| Entity::UserUpsert(user(i)));
        let groups = (0..self.groups).map(|j| {
            let mut profile =
                IdentitySourceGroupProfileForUpsert::new().display_name(format!("Group {j}"));
            if j % 2 == 0 {
                profile = profile.description(format!("The group number {j}"));
            }
            Entity::GroupUpsert(BulkGroupUpsertRequestBodyProfilesInner::with(
                group_id(j),
                profile,
            ))
        });
        let memberships = self
            .pairs()
            .into_iter()
            .map(|(g, i)| Entity::MembershipUpsert {
                group: group_id(g),
                member: user_id(i),
            });
        let membership_deletes =
            self.deleted_pairs()
                .into_iter()
                .map(|(g, i)| Entity::MembershipDelete {
                    group: group_id(g),
                    member: user_id(i),
                });
        let group_deletes = (self.groups - self.group_deletes..self.groups)
            .map(|j| Entity::GroupDelete(group_id(j)));
        let deactivations = (0..self.deactivations).map(|i| Entity::UserDeactivate(user_id(i)));
        // Given out of order on purpose: the importer orders the kinds itself.
        vec![
            VecSource::new(
                "deactivations.csv",
                EntityKind::UserDeactivate,
                deactivations,
            ),
            VecSource::new("memberships.csv", EntityKind::MembershipUpsert, memberships),
            VecSource::new("users.csv", EntityKind::UserUpsert, users),
            VecSource::new("groups.csv", EntityKind::GroupUpsert, groups),
            VecSource::new(
                "membership-deletes.csv",
                EntityKind::MembershipDelete,
                membership_deletes,
            ),
            VecSource::new("group-deletes.csv", EntityKind::GroupDelete, group_deletes),
        ]
    }

    pub(crate) fn entities(&self) -> u64 {
        (self.users
            + self.groups
            + self.memberships
            + self.deactivations
            + self.membership_deletes
            + self.group_deletes) as u64
    }

    /// Asserts the emulator holds exactly what the input says.
    pub(crate) fn assert_applied(&self, state: &StateSnapshot) {
        let source = default_source(state);
        assert_eq!(source.users.len(), self.users, "users");
        let users: HashMap<&str, _> = source
            .users
            .iter()
            .map(|u| (u.external_id.as_str(), u))
            .collect();
        for i in 0..self.users {
            let expected = user(i);
            let got = users
                .get(user_id(i).as_str())
                .unwrap_or_else(|| panic!("user {} missing", user_id(i)));
            assert_eq!(
                got.active,
                i >= self.deactivations,
                "user {} active",
                user_id(i)
            );
            assert_eq!(
                got.profile,
                normalized(expected.profile.expect("profile")),
                "user {} profile",
                user_id(i)
            );
        }
        let kept = self.groups - self.group_deletes;
        let deleted: HashSet<(usize, usize)> = self.deleted_pairs().into_iter().collect();
        let mut expected_members: HashMap<usize, BTreeSet<String>> = HashMap::new();
        for p in self.pairs().into_iter().filter(|p| !deleted.contains(p)) {
            expected_members
                .entry(p.0)
                .or_default()
                .insert(user_id(p.1));
        }
        assert_eq!(source.groups.len(), kept, "groups");
        for g in 0..kept {
            let got = source
                .group(&group_id(g))
                .unwrap_or_else(|| panic!("group {} missing", group_id(g)));
            assert_eq!(
                got.profile.display_name.as_deref(),
                Some(format!("Group {g}").as_str())
            );
            let description = (g % 2 == 0).then(|| format!("The group number {g}"));
            assert_eq!(
                got.profile.description.as_deref(),
                description.as_deref(),
                "group {g} description"
            );
            let expected = expected_members.remove(&g).unwrap_or_default();
            let members: BTreeSet<String> = got.members.iter().cloned().collect();
            assert_eq!(
                members.len(),
                got.members.len(),
                "group {g} has a member twice"
            );
            assert_eq!(members, expected, "members of group {g}");
        }
    }
}

/// A user profile as the emulator keeps it: absent nullable attributes are null.
pub(crate) fn normalized(
    mut p: IdentitySourceUserProfileForUpsert,
) -> IdentitySourceUserProfileForUpsert {
    for field in [
        &mut p.first_name,
        &mut p.last_name,
        &mut p.mobile_phone,
        &mut p.home_address,
        &mut p.second_email,
    ] {
        if field.is_absent() {
            *field = Nullable::Null;
        }
    }
    p
}

pub(crate) fn refs(sources: &[VecSource]) -> Vec<&dyn InputSource> {
    sources.iter().map(|s| s as &dyn InputSource).collect()
}

/// The identity source the importer writes to, as `state` holds it.
pub(crate) fn default_source(state: &StateSnapshot) -> &IdentitySourceSnapshot {
    state
        .identity_source(DEFAULT_IDENTITY_SOURCE)
        .expect("identity source")
}

pub(crate) fn statuses(state: &StateSnapshot) -> Vec<Status> {
    default_source(state)
        .sessions
        .iter()
        .map(|s| s.status.clone())
        .collect()
}

pub(crate) fn temp_journal(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("okta-idsrc-import-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join("journal.jsonl")
}

pub(crate) fn journal_events(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .expect("journal")
        .lines()
        .map(|l| serde_json::from_str(l).expect("journal line"))
        .collect()
}

/// Runs an importer of `emulator` with `options` until `when` first holds for its progress,
/// then drops the run.
pub(crate) async fn run_until_killed(
    emulator: &EmulatorHandle,
    options: ImportOptions,
    sources: &[VecSource],
    when: impl Fn(&Progress) -> bool + Send + Sync + 'static,
) {
    let kill = Arc::new(Notify::new());
    let trigger = Arc::clone(&kill);
    let fired = AtomicBool::new(false);
    let importer = importer(
        emulator,
        options.with_on_progress(move |p| {
            if when(p) && !fired.swap(true, Ordering::SeqCst) {
                trigger.notify_one();
            }
        }),
    );
    let sources = refs(sources);
    tokio::select! {
        result = importer.run(&sources) => panic!("the run ended before it was killed: {result:?}"),
        () = kill.notified() => {}
    }
}

/// Removes the folder [`temp_journal`] made.
pub(crate) fn remove_journal(journal: &Path) {
    let _ = std::fs::remove_dir_all(journal.parent().expect("dir"));
}

pub(crate) fn report_line(name: &str, started: Instant, report: &ImportReport) {
    eprintln!(
        "{name}: {:.1?}, {} loads in {} sessions ({} failed), {} retries, {} 429s",
        started.elapsed(),
        report.loads,
        report.sessions.len(),
        report.sessions_failed().count(),
        report.retries,
        report.rate_limited
    );
}

/// `users.csv` with `n` users that have only a login.
pub(crate) fn users(n: usize) -> VecSource {
    VecSource::new(
        "users.csv",
        EntityKind::UserUpsert,
        (0..n).map(|i| {
            Entity::UserUpsert(BulkUpsertRequestBodyProfilesInner::with(
                user_id(i),
                IdentitySourceUserProfileForUpsert::with_login(format!("user{i}@example.com")),
            ))
        }),
    )
}

/// A session opened with one user loaded, started when `start`.
pub(crate) async fn open_session_with_one_user(
    client: &Client<BoxedService>,
    start: bool,
) -> String {
    let source = client.identity_source(DEFAULT_IDENTITY_SOURCE);
    let session = source.create_session().await.expect("create");
    let id = session.id.expect("id");
    if start {
        let body = BulkUpsertRequestBody::users(vec![user(99_999)]);
        source.bulk_upsert_users(&id, body).await.expect("load");
        let started = source.start_import(&id).await.expect("start");
        assert_eq!(started.status, Some(Status::Triggered));
    }
    id
}
