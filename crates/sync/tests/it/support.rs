//! Fixtures: an HR directory that changes from day to day, synced into the emulator over
//! 127.0.0.1, and the check that the emulator holds exactly a snapshot.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use okta_idsrc_core::models::{
    BulkGroupUpsertRequestBodyProfilesInner, BulkUpsertRequestBodyProfilesInner,
    IdentitySourceGroupProfileForUpsert, IdentitySourceUserProfileForUpsert,
};
use okta_idsrc_core::{Credentials, OrgUrl};
use okta_idsrc_emulator::{DEFAULT_IDENTITY_SOURCE, EmulatorHandle};
use okta_idsrc_hyper::HyperTransport;
use okta_idsrc_import::{Entity, EntityKind, InputSource, VecSource};
use okta_idsrc_ops::rate_limit::RateLimitConfig;
use okta_idsrc_ops::retry::RetryConfig;
use okta_idsrc_ops::{BoxedService, Client};
use okta_idsrc_sync::{
    ApplyOptions, ApplyReport, Plan, PlanOptions, Snapshot, StateStore, SyncError, Target,
    TargetId, apply, plan,
};

/// A user of the HR directory.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Person {
    pub id: String,
    pub first: String,
    pub last: String,
    pub title: String,
}

impl Person {
    pub(crate) fn new(i: usize) -> Self {
        Self {
            id: format!("emp-{i:07}"),
            first: format!("First{i}"),
            last: format!("Last{i}"),
            title: "Engineer".to_owned(),
        }
    }

    fn entity(&self) -> Entity {
        Entity::UserUpsert(BulkUpsertRequestBodyProfilesInner::with(
            self.id.clone(),
            IdentitySourceUserProfileForUpsert::with_login(format!("{}@example.com", self.id))
                .first_name(self.first.clone())
                .last_name(self.last.clone())
                .custom_attribute("title", self.title.clone()),
        ))
    }
}

/// One day's full export: people, groups (id → name), memberships (group, member).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Directory {
    pub people: BTreeMap<String, Person>,
    pub groups: BTreeMap<String, String>,
    pub memberships: BTreeSet<(String, String)>,
}

impl Directory {
    /// `users` people, `groups` groups, each person in group `i % groups`.
    pub(crate) fn new(users: usize, groups: usize) -> Self {
        let mut d = Self::default();
        for j in 0..groups {
            d.groups.insert(format!("grp-{j:03}"), format!("Group {j}"));
        }
        for i in 0..users {
            let p = Person::new(i);
            if groups > 0 {
                d.memberships
                    .insert((format!("grp-{:03}", i % groups), p.id.clone()));
            }
            d.people.insert(p.id.clone(), p);
        }
        d
    }

    /// Removes a person and their memberships (a leaver).
    pub(crate) fn leave(&mut self, id: &str) {
        self.people.remove(id);
        self.memberships.retain(|(_, m)| m != id);
    }

    /// The export as the importer's sources: users, groups, memberships.
    pub(crate) fn sources(&self) -> [VecSource; 3] {
        let users = self.people.values().map(Person::entity);
        let groups = self.groups.iter().map(|(id, name)| {
            Entity::GroupUpsert(BulkGroupUpsertRequestBodyProfilesInner::with(
                id.clone(),
                IdentitySourceGroupProfileForUpsert::new().display_name(name.clone()),
            ))
        });
        let memberships = self
            .memberships
            .iter()
            .map(|(group, member)| Entity::MembershipUpsert {
                group: group.clone(),
                member: member.clone(),
            });
        [
            VecSource::new("users.csv", EntityKind::UserUpsert, users),
            VecSource::new("groups.csv", EntityKind::GroupUpsert, groups),
            VecSource::new("memberships.csv", EntityKind::MembershipUpsert, memberships),
        ]
    }
}

/// A client of `emulator` with the default layers; retries generous enough for its faults.
pub(crate) fn client(emulator: &EmulatorHandle) -> Client<BoxedService> {
    Client::builder(OrgUrl::parse(&emulator.base_url()).expect("loopback org"))
        .service(HyperTransport::new().expect("transport"))
        .authenticate(Credentials::api_token(emulator.token()))
        .default_layers(
            RetryConfig::default()
                .with_max_attempts(8)
                .with_base_backoff(Duration::from_millis(5)),
            RateLimitConfig::default(),
        )
        .build()
        .boxed()
}

/// A state in memory, and its target (the emulator's default identity source).
pub(crate) fn state(emulator: &EmulatorHandle) -> (Arc<Mutex<StateStore>>, TargetId, Target) {
    let target = Target::new(&emulator.base_url(), DEFAULT_IDENTITY_SOURCE).expect("target");
    let mut store = StateStore::in_memory().expect("store");
    let id = store.target(&target).expect("target id");
    (Arc::new(Mutex::new(store)), id, target)
}

/// Plans `directory` against the state.
pub(crate) fn plan_of(
    store: &Arc<Mutex<StateStore>>,
    id: TargetId,
    target: &Target,
    directory: &Directory,
    options: &PlanOptions,
) -> Result<Arc<Plan>, SyncError> {
    let [users, groups, memberships] = directory.sources();
    let users: [&dyn InputSource; 1] = [&users];
    let groups: [&dyn InputSource; 1] = [&groups];
    let memberships: [&dyn InputSource; 1] = [&memberships];
    let snapshot = Snapshot::users(&users)
        .with_groups(&groups)
        .with_memberships(&memberships);
    let store = store.lock().expect("store");
    plan(&store, id, target, snapshot, options).map(Arc::new)
}

/// Plans and applies `directory`.
pub(crate) async fn sync(
    emulator: &EmulatorHandle,
    store: &Arc<Mutex<StateStore>>,
    id: TargetId,
    target: &Target,
    directory: &Directory,
    allow_deletions: bool,
) -> Result<(Arc<Plan>, ApplyReport), SyncError> {
    let mut options = PlanOptions::default();
    options.thresholds.allow_deletions = allow_deletions;
    let plan = plan_of(store, id, target, directory, &options)?;
    let report = apply(store, id, &plan, client(emulator), &apply_options()).await?;
    Ok((plan, report))
}

/// Fast polling, for tests.
pub(crate) fn apply_options() -> ApplyOptions {
    let mut options = ApplyOptions::default();
    options.poll_interval = (Duration::from_millis(5), Duration::from_millis(50));
    options
}

/// Asserts that the emulator holds exactly `directory`: its people active (with their
/// titles), everyone else deactivated, its groups with their names, its memberships.
pub(crate) fn assert_holds(emulator: &EmulatorHandle, directory: &Directory) {
    let state = emulator.state();
    let source = state
        .identity_source(DEFAULT_IDENTITY_SOURCE)
        .expect("identity source");
    let active: BTreeMap<String, String> = source
        .users
        .iter()
        .filter(|u| u.active)
        .map(|u| {
            (
                u.external_id.clone(),
                u.profile
                    .get_custom_attribute("title")
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect();
    let expected: BTreeMap<String, String> = directory
        .people
        .values()
        .map(|p| (p.id.clone(), p.title.clone()))
        .collect();
    assert_eq!(active.len(), expected.len(), "active users");
    assert_eq!(active, expected, "active users and their titles");
    let groups: BTreeMap<String, String> = source
        .groups
        .iter()
        .map(|g| {
            (
                g.external_id.clone(),
                g.profile.display_name.clone().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(groups, directory.groups, "groups");
    let memberships: BTreeSet<(String, String)> = source
        .groups
        .iter()
        .flat_map(|g| g.members.iter().map(|m| (g.external_id.clone(), m.clone())))
        .collect();
    assert_eq!(memberships, directory.memberships, "memberships");
}
