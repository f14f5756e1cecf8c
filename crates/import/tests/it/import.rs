//! The bulk importer end to end, over a real 127.0.0.1 socket: the project's emulator, a
//! client built with the hyper transport and the ops retry and rate-limit layers.

#![allow(missing_docs)]

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use okta_idsrc_core::models::{
    BulkGroupUpsertRequestBodyProfilesInner, BulkUpsertRequestBody,
    BulkUpsertRequestBodyProfilesInner, IdentitySourceGroupProfileForUpsert,
    IdentitySourceSessionStatus as Status, IdentitySourceUserProfileForUpsert, Nullable,
};
use okta_idsrc_core::{Credentials, OrgUrl};
use okta_idsrc_emulator::{
    DEFAULT_IDENTITY_SOURCE, Emulator, EmulatorBuilder, EmulatorHandle, Faults,
    IdentitySourceSnapshot, StateSnapshot,
};
use okta_idsrc_hyper::HyperTransport;
use okta_idsrc_import::{
    Entity, EntityKind, ImportError, ImportOptions, ImportReport, Importer, InputError,
    InputSource, InvalidPolicy, Phase, Progress, Record, SessionState, VecSource, Waiting,
    WaitingFor,
};
use okta_idsrc_ops::rate_limit::RateLimitConfig;
use okta_idsrc_ops::retry::RetryConfig;
use okta_idsrc_ops::{BoxedService, Client};
use tokio::sync::Notify;

// ---------------------------------------------------------------------------------------------
// Support.

async fn emulator(builder: EmulatorBuilder) -> EmulatorHandle {
    builder.seed(7).start().await.expect("emulator")
}

/// A client over the hyper transport with the default layers.
fn client(emulator: &EmulatorHandle) -> Client<BoxedService> {
    Client::builder(OrgUrl::parse(&emulator.base_url()).expect("loopback org"))
        .service(HyperTransport::new().expect("transport"))
        .authenticate(Credentials::api_token(emulator.token()))
        .default_layers(RetryConfig::default(), RateLimitConfig::default())
        .build()
        .boxed()
}

fn importer(emulator: &EmulatorHandle, options: ImportOptions) -> Importer<BoxedService> {
    // The datasets deactivate and delete some of what they upsert, in the kinds' order.
    let options = options
        .with_poll_interval(Duration::from_millis(20), Duration::from_millis(500))
        .with_allow_contradictions(true);
    Importer::new(client(emulator), DEFAULT_IDENTITY_SOURCE, options)
}

/// Imports `sources` into `emulator` with `options`.
async fn import(
    emulator: &EmulatorHandle,
    options: ImportOptions,
    sources: &[VecSource],
) -> Result<ImportReport, ImportError> {
    importer(emulator, options).run(&refs(sources)).await
}

fn user_id(i: usize) -> String {
    format!("u{i:06}")
}

fn group_id(j: usize) -> String {
    format!("g{j:03}")
}

fn user(i: usize) -> BulkUpsertRequestBodyProfilesInner {
    let login = format!("user{i}@example.com");
    let mut profile = IdentitySourceUserProfileForUpsert::new()
        .email(login.clone())
        .user_name(login)
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
struct Dataset {
    users: usize,
    groups: usize,
    memberships: usize,
    deactivations: usize,
    membership_deletes: usize,
    group_deletes: usize,
}

impl Dataset {
    /// `users` users and `groups` groups, nothing else.
    fn users_and_groups(users: usize, groups: usize) -> Self {
        Dataset {
            users,
            groups,
            memberships: 0,
            deactivations: 0,
            membership_deletes: 0,
            group_deletes: 0,
        }
    }

    /// Memberships, listed group after group: in round `r`, user `i` joins group
    /// `(i + r) % groups` (so no pair repeats while there are fewer memberships than users
    /// times groups).
    fn pairs(&self) -> Vec<(usize, usize)> {
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
    fn deleted_pairs(&self) -> Vec<(usize, usize)> {
        self.pairs()
            .into_iter()
            .filter(|(g, _)| *g == 0)
            .take(self.membership_deletes)
            .collect()
    }

    fn sources(&self) -> Vec<VecSource> {
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

    fn entities(&self) -> u64 {
        (self.users
            + self.groups
            + self.memberships
            + self.deactivations
            + self.membership_deletes
            + self.group_deletes) as u64
    }

    /// Asserts the emulator holds exactly what the input says.
    fn assert_applied(&self, state: &StateSnapshot) {
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
fn normalized(mut p: IdentitySourceUserProfileForUpsert) -> IdentitySourceUserProfileForUpsert {
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

fn refs(sources: &[VecSource]) -> Vec<&dyn InputSource> {
    sources.iter().map(|s| s as &dyn InputSource).collect()
}

/// The identity source the importer writes to, as `state` holds it.
fn default_source(state: &StateSnapshot) -> &IdentitySourceSnapshot {
    state
        .identity_source(DEFAULT_IDENTITY_SOURCE)
        .expect("identity source")
}

fn statuses(state: &StateSnapshot) -> Vec<Status> {
    default_source(state)
        .sessions
        .iter()
        .map(|s| s.status.clone())
        .collect()
}

fn temp_journal(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("okta-idsrc-import-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join("journal.jsonl")
}

fn journal_events(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .expect("journal")
        .lines()
        .map(|l| serde_json::from_str(l).expect("journal line"))
        .collect()
}

/// Runs an importer of `emulator` with `options` until `when` first holds for its progress,
/// then drops the run.
async fn run_until_killed(
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
fn remove_journal(journal: &Path) {
    let _ = std::fs::remove_dir_all(journal.parent().expect("dir"));
}

fn report_line(name: &str, started: Instant, report: &ImportReport) {
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

// ---------------------------------------------------------------------------------------------
// 1. A small import.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_import_leaves_exactly_the_input() {
    let started = Instant::now();
    let emulator = emulator(Emulator::builder()).await;
    let data = Dataset {
        users: 500,
        groups: 20,
        memberships: 600,
        deactivations: 50,
        membership_deletes: 10,
        group_deletes: 2,
    };
    let sources = data.sources();
    let phases = Arc::new(Mutex::new(Vec::<Phase>::new()));
    let seen = Arc::clone(&phases);
    let last = Arc::new(Mutex::new(None::<Progress>));
    let keep = Arc::clone(&last);
    let options = ImportOptions::default().with_on_progress(move |p| {
        let mut phases = seen.lock().unwrap();
        if phases.last() != Some(&p.phase) {
            phases.push(p.phase.clone());
        }
        *keep.lock().unwrap() = Some(p.clone());
    });
    let importer = importer(&emulator, options);
    let sources_ref = refs(&sources);
    let run = importer.run(&sources_ref);
    fn assert_send<T: Send>(_: &T) {}
    assert_send(&run);
    let report = run.await.expect("import");
    report_line("small", started, &report);
    data.assert_applied(&emulator.state());

    assert_eq!(report.entities_by_kind.total(), data.entities());
    assert_eq!(
        report.entities_by_kind.get(EntityKind::MembershipUpsert),
        600
    );
    // 3 user loads, 1 group, 3 membership upserts, 1 delete, 1 group delete, 1 deactivation.
    assert_eq!(report.loads_total, 10);
    assert_eq!(report.loads, 10);
    assert_eq!(report.sessions.len(), 1);
    assert_eq!(
        report.sessions[0].status,
        SessionState::Status(Status::Completed)
    );
    assert_eq!(report.sessions[0].loads, (0..10).collect::<Vec<u64>>());
    assert_eq!(statuses(&emulator.state()), [Status::Completed]);
    let phases = phases.lock().unwrap().clone();
    assert_eq!(phases.first(), Some(&Phase::Validating));
    assert_eq!(phases.last(), Some(&Phase::Done));
    assert!(phases.iter().any(|p| matches!(p, Phase::Uploading { .. })));
    assert!(phases.iter().any(|p| matches!(p, Phase::Importing { .. })));
    let last = last.lock().unwrap().clone().expect("progress");
    assert_eq!(last.loads_acknowledged, 10);
    assert_eq!(last.sessions_completed, 1);
    assert_eq!(last.entities_uploaded, data.entities());
    assert_eq!(last.entities_total, Some(data.entities()));

    // The same input again: its user upserts reactivate the deactivated users, then its
    // deactivations deactivate them again.
    let again = importer.run(&refs(&sources)).await.expect("second import");
    assert_eq!(again.sessions.len(), 1);
    assert_eq!(
        again.sessions[0].status,
        SessionState::Status(Status::Completed)
    );
    data.assert_applied(&emulator.state());
    // The active users again change nothing: Okta keeps that session CREATED, the importer
    // cancels it and counts it done.
    let active = VecSource::new(
        "users.csv",
        EntityKind::UserUpsert,
        (50..500).map(|i| Entity::UserUpsert(user(i))),
    );
    let again = importer.run(&[&active]).await.expect("third import");
    assert_eq!(again.sessions.len(), 1);
    assert!(again.sessions[0].applied);
    assert_eq!(
        again.sessions[0].status,
        SessionState::Status(Status::Closed)
    );
    data.assert_applied(&emulator.state());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_sends_nothing() {
    let emulator = emulator(Emulator::builder()).await;
    let data = Dataset::users_and_groups(9_500, 1);
    let sources = data.sources();
    let options = ImportOptions::default()
        .with_dry_run(true)
        .with_max_loads_per_session(20);
    let report = import(&emulator, options, &sources).await.expect("dry run");
    assert!(report.dry_run);
    assert_eq!(report.loads_total, 49);
    assert_eq!(report.sessions_planned, 3);
    assert_eq!(report.loads, 0);
    assert_eq!(emulator.state().stats.requests, 0);
}

// ---------------------------------------------------------------------------------------------
// 2. Faults, rate limits, several sessions.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_five_thousand_users_through_faults_and_a_tight_rate_limit() {
    const RATE_LIMIT: u32 = 200;
    let started = Instant::now();
    let faults = Faults {
        error_500_rate: 0.05,
        drop_before_apply_rate: 0.01,
        drop_after_apply_rate: 0.01,
        ..Faults::NONE
    };
    let emulator = emulator(
        Emulator::builder()
            .faults(faults)
            // Tight: the import needs more requests than one 60-second window allows, so
            // the rate-limit layer must hold requests until the window resets.
            .rate_limit(RATE_LIMIT)
            .session_rate_limit(15),
    )
    .await;
    let data = Dataset {
        users: 25_000,
        groups: 100,
        memberships: 25_000,
        deactivations: 500,
        membership_deletes: 50,
        group_deletes: 2,
    };
    let sources = data.sources();
    let report = import(&emulator, ImportOptions::default(), &sources)
        .await
        .expect("import");
    report_line("25k with faults", started, &report);
    let state = emulator.state();
    data.assert_applied(&state);
    assert!(
        report.sessions_applied().count() >= 3,
        "{} sessions",
        report.sessions.len()
    );
    assert!(report.retries > 0, "the faults were retried");
    assert!(state.stats.faults_injected > 0);
    assert!(report.loads >= report.loads_total);
    eprintln!(
        "25k: {} requests, {} faults injected, {} rate limited by the emulator",
        state.stats.requests, state.stats.faults_injected, state.stats.rate_limited
    );
    assert!(
        state.stats.requests > u64::from(RATE_LIMIT),
        "the run spans more than one rate-limit window"
    );
    assert!(
        state.stats.rate_limited * 100 <= state.stats.requests,
        "at most 1 % answered 429: {} of {}",
        state.stats.rate_limited,
        state.stats.requests
    );
}

/// Lost responses make Okta count loads twice; once a session is at its cap, the rest goes
/// to the next session.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loads_refused_at_the_session_cap_roll_over() {
    let emulator = emulator(Emulator::builder().faults(Faults {
        drop_after_apply_rate: 0.15,
        ..Faults::NONE
    }))
    .await;
    let data = Dataset::users_and_groups(10_200, 1);
    let sources = data.sources();
    let options = ImportOptions::default().with_max_loads_per_session(50);
    let report = import(&emulator, options, &sources).await.expect("import");
    data.assert_applied(&emulator.state());
    assert_eq!(report.loads_total, 52);
    assert!(report.sessions.len() >= 2, "{:?}", report.sessions);
    assert!(
        report.sessions[0].loads.len() < 50,
        "the first session hit its cap: {:?}",
        report.sessions[0].loads
    );
    let snapshot = emulator.state();
    let source = default_source(&snapshot);
    assert_eq!(
        source.sessions[0].load_count, 50,
        "Okta counted the lost loads"
    );
}

// ---------------------------------------------------------------------------------------------
// 3. Killed and resumed.

fn resume_dataset() -> Dataset {
    Dataset {
        users: 3_000,
        groups: 30,
        memberships: 2_400,
        deactivations: 100,
        membership_deletes: 20,
        group_deletes: 3,
    }
}

/// Kills a run when `when` says so, runs again with the same journal, and checks the state
/// and the journal.
async fn kill_and_resume(name: &str, when: impl Fn(&Progress) -> bool + Send + Sync + 'static) {
    let emulator = emulator(Emulator::builder().import_delay(Duration::from_millis(30))).await;
    let data = resume_dataset();
    let sources = data.sources();
    let journal = temp_journal(name);
    let base = || {
        ImportOptions::default()
            .with_journal(&journal)
            .with_max_loads_per_session(6)
            .with_concurrency(3)
    };

    run_until_killed(&emulator, base(), &sources, when).await;
    let killed_at = journal_events(&journal).len();

    let report = import(&emulator, base(), &sources)
        .await
        .expect("resumed import");
    data.assert_applied(&emulator.state());

    // The second run skipped what the first one had imported.
    let events = journal_events(&journal);
    let (before, after) = events.split_at(killed_at);
    let done_before: HashSet<&str> = before
        .iter()
        .filter(|e| e["event"] == "done" && e["applied"] == true)
        .filter_map(|e| e["session"].as_str())
        .collect();
    let mut imported_before: HashSet<u64> = before
        .iter()
        .filter(|e| e["event"] == "load" && done_before.contains(e["session"].as_str().unwrap()))
        .filter_map(|e| e["load"].as_u64())
        .collect();
    // A session the first run left triggered or completed, settled by the second.
    let resume_at = after
        .iter()
        .position(|e| e["event"] == "resume")
        .expect("a resume record");
    let settled: HashSet<&str> = after[..resume_at]
        .iter()
        .filter(|e| e["event"] == "done" && e["applied"] == true)
        .filter_map(|e| e["session"].as_str())
        .filter(|s| {
            before
                .iter()
                .any(|e| e["event"] == "session" && e["session"] == *s)
        })
        .collect();
    for e in before
        .iter()
        .filter(|e| e["event"] == "load" && settled.contains(e["session"].as_str().unwrap()))
    {
        imported_before.insert(e["load"].as_u64().unwrap());
    }
    let resume = &after[resume_at];
    let sent_after: Vec<u64> = after
        .iter()
        .filter(|e| e["event"] == "load")
        .filter_map(|e| e["load"].as_u64())
        .collect();
    for load in &sent_after {
        assert!(
            !imported_before.contains(load),
            "load {load} was imported before the kill and sent again"
        );
    }
    assert_eq!(report.loads_resumed, imported_before.len() as u64, "{name}");
    assert_eq!(
        resume["loadsDone"].as_u64(),
        Some(imported_before.len() as u64)
    );
    assert!(after.last().is_some_and(|e| e["event"] == "finished"));
    eprintln!(
        "{name}: {} loads imported before the kill, {} sent after, {} sessions in the second run",
        imported_before.len(),
        sent_after.len(),
        report.sessions.len()
    );

    // Running once more with the finished journal sends no load.
    let third = import(&emulator, base(), &sources)
        .await
        .expect("third run");
    assert_eq!(third.loads, 0);
    assert_eq!(third.loads_resumed, third.loads_total);
    data.assert_applied(&emulator.state());
    remove_journal(&journal);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_while_uploading_then_resumed() {
    kill_and_resume("uploading", |p| p.loads_acknowledged >= 10).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_while_importing_then_resumed() {
    let imports = Arc::new(Mutex::new(HashSet::new()));
    kill_and_resume("importing", move |p| match &p.phase {
        Phase::Importing { session } => {
            let mut seen = imports.lock().unwrap();
            seen.insert(session.clone());
            seen.len() == 3
        }
        _ => false,
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_once_a_session_is_opened_then_resumed() {
    kill_and_resume("opened", |p| {
        p.sessions_completed == 2 && matches!(p.phase, Phase::Uploading { .. })
    })
    .await;
}

/// Killed between creating a session and journaling it: the session the request created is
/// recognised as the import's own, not reported as stale.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_created_just_before_a_kill_is_adopted() {
    let emulator = emulator(Emulator::builder()).await;
    let data = resume_dataset();
    let sources = data.sources();
    let journal = temp_journal("orphan");
    let base = || {
        ImportOptions::default()
            .with_journal(&journal)
            .with_max_loads_per_session(10)
    };
    // Session 1 is done (and journaled as such); session 2 is about to be opened.
    run_until_killed(&emulator, base(), &sources, |p| p.sessions_completed == 1).await;
    // The kill lands while session 2 is being created: its request went through, its
    // journal record did not.
    assert!(!statuses(&emulator.state()).iter().any(Status::is_active));
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&journal)
        .expect("journal");
    std::io::Write::write_all(&mut file, b"{\"event\":\"creating\"}\n").expect("append");
    let client = client(&emulator);
    let orphan = open_session_with_one_user(&client, false).await;

    let report = import(&emulator, base(), &sources)
        .await
        .expect("resumed import");
    data.assert_applied(&emulator.state());
    assert!(
        report.sessions.iter().any(|s| s.id == orphan && s.applied),
        "the orphan was adopted"
    );
    assert!(
        statuses(&emulator.state())
            .iter()
            .all(|s| *s == Status::Completed)
    );
    remove_journal(&journal);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_of_another_input_is_refused() {
    let emulator = emulator(Emulator::builder()).await;
    let journal = temp_journal("mismatch");
    let a = Dataset::users_and_groups(10, 1);
    let b = Dataset { users: 11, ..a };
    let options = || ImportOptions::default().with_journal(&journal);
    import(&emulator, options(), &a.sources())
        .await
        .expect("first input");
    let err = import(&emulator, options(), &b.sources())
        .await
        .expect_err("another input");
    assert!(matches!(err, ImportError::JournalMismatch { .. }), "{err}");
    remove_journal(&journal);
}

// ---------------------------------------------------------------------------------------------
// 4. Invalid input.

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
            IdentitySourceUserProfileForUpsert::new()
                .email("changed@example.com")
                .user_name("changed@example.com"),
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

// ---------------------------------------------------------------------------------------------
// 5. Sessions already there.

async fn open_session_with_one_user(client: &Client<BoxedService>, start: bool) -> String {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_triggered_session_is_waited_for() {
    let emulator = emulator(Emulator::builder().import_delay(Duration::from_millis(400))).await;
    let client = client(&emulator);
    let other = open_session_with_one_user(&client, true).await;
    let waited = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&waited);
    let options = ImportOptions::default().with_on_progress(move |p| {
        if matches!(&p.phase, Phase::WaitingForSession { .. }) {
            flag.store(true, Ordering::SeqCst);
        }
    });
    let data = Dataset {
        memberships: 30,
        ..Dataset::users_and_groups(300, 3)
    };
    let report = import(&emulator, options, &data.sources())
        .await
        .expect("import");
    assert!(
        waited.load(Ordering::SeqCst),
        "the importer waited for the triggered session"
    );
    let state = emulator.state();
    let source = default_source(&state);
    assert_eq!(
        source.session(&other).expect("other").status,
        Status::Completed
    );
    assert!(source.user(&user_id(99_999)).is_some());
    assert_eq!(report.sessions.len(), 1);
    assert_eq!(source.users.len(), 301);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_session_is_cancelled_only_by_evidence_of_its_age() {
    // One clock for the emulator (the session's lastUpdated) and the importer (its age).
    let clock = okta_idsrc_core::clock::ManualClock::starting_now();
    let emulator = emulator(Emulator::builder().clock(clock.shared())).await;
    let client_at = |clock: &okta_idsrc_core::clock::ManualClock| {
        Client::builder(OrgUrl::parse(&emulator.base_url()).expect("loopback org"))
            .service(HyperTransport::new().expect("transport"))
            .authenticate(Credentials::api_token(emulator.token()))
            .default_layers(
                RetryConfig::default().with_clock(clock.shared()),
                RateLimitConfig::default(),
            )
            .build()
            .boxed()
    };
    let other = open_session_with_one_user(&client(&emulator), false).await;
    let data = Dataset::users_and_groups(50, 1);
    let sources = data.sources();
    let run = |options: ImportOptions| {
        let importer = Importer::new(
            client_at(&clock),
            DEFAULT_IDENTITY_SOURCE,
            options.with_poll_interval(Duration::from_millis(20), Duration::from_millis(500)),
        );
        let sources = refs(&sources);
        async move { importer.run(&sources).await }
    };

    // Without --cancel-stale: refused, and the message does not recommend cancelling a
    // session updated a minute ago.
    clock.advance(Duration::from_secs(60));
    let err = run(ImportOptions::default()).await.expect_err("active");
    let ImportError::StaleSession {
        id, status, age, ..
    } = &err
    else {
        panic!("{err}")
    };
    assert_eq!((id.as_str(), status), (other.as_str(), &Status::Created));
    assert_eq!(*age, Some(Duration::from_secs(60)));
    let shown = err.to_string();
    assert!(
        shown.contains(&format!("session {other}"))
            && shown.contains("last updated 1 min ago")
            && shown.contains("another run may be feeding it")
            && !shown.contains("--cancel-stale to cancel"),
        "{shown}"
    );

    // With --cancel-stale, a session updated 29 minutes ago is still live: never cancelled.
    clock.advance(Duration::from_secs(28 * 60));
    let err = run(ImportOptions::default().with_cancel_stale(true))
        .await
        .expect_err("not stale yet");
    assert!(
        matches!(&err, ImportError::StaleSession { age: Some(a), .. } if *a == Duration::from_secs(29 * 60)),
        "{err:?}"
    );
    assert!(err.to_string().contains("29 min ago"), "{err}");
    assert_eq!(statuses(&emulator.state()), [Status::Created]);

    // Past 30 minutes without an update it is stale: the error says so and recommends
    // --cancel-stale, which then cancels it and says which one and how old.
    clock.advance(Duration::from_secs(2 * 60));
    let err = run(ImportOptions::default()).await.expect_err("stale");
    assert!(
        err.to_string().contains("31 min ago") && err.to_string().contains("--cancel-stale"),
        "{err}"
    );
    let report = run(ImportOptions::default().with_cancel_stale(true))
        .await
        .expect("import cancelling the stale session");
    assert_eq!(
        report.stale_cancelled,
        [format!(
            "session {other} (CREATED, last updated 31 min ago)"
        )]
    );
    assert_eq!(
        statuses(&emulator.state()),
        [Status::Closed, Status::Completed]
    );
    data.assert_applied(&emulator.state());

    // The age is configurable.
    let next = open_session_with_one_user(&client(&emulator), false).await;
    clock.advance(Duration::from_secs(5 * 60));
    run(ImportOptions::default()
        .with_cancel_stale(true)
        .with_stale_after(Duration::from_secs(5 * 60)))
    .await
    .expect("stale after 5 minutes");
    let state = emulator.state();
    assert_eq!(
        default_source(&state).session(&next).expect("next").status,
        Status::Closed
    );
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cool_down_between_sessions_is_waited_out_up_to_a_bound() {
    let emulator =
        emulator(Emulator::builder().session_cooldown(Duration::from_millis(1500))).await;
    let data = Dataset::users_and_groups(450, 1);
    let sources = data.sources();
    let cooled = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&cooled);
    let options = ImportOptions::default()
        .with_max_loads_per_session(2)
        .with_on_progress(move |p| {
            if matches!(p.phase, Phase::CoolingDown { .. }) {
                flag.store(true, Ordering::SeqCst);
            }
        });
    let started = Instant::now();
    let report = import(&emulator, options, &sources).await.expect("import");
    assert_eq!(report.sessions.len(), 2);
    assert!(cooled.load(Ordering::SeqCst), "the cool-down was reported");
    assert!(started.elapsed() >= Duration::from_millis(1500));
    data.assert_applied(&emulator.state());

    // A cool-down longer than the bound ends the run.
    let strict = Emulator::builder()
        .session_cooldown(Duration::from_secs(60))
        .start()
        .await
        .expect("emulator");
    let options = ImportOptions::default()
        .with_max_loads_per_session(2)
        .with_cooldown_max_wait(Duration::from_millis(300));
    let err = import(&strict, options, &sources)
        .await
        .expect_err("cool-down");
    assert!(matches!(err, ImportError::CooldownTimeout { .. }), "{err}");
    assert_eq!(statuses(&strict.state()), [Status::Completed]);
}

/// A progress callback keeping every value it is given.
fn recorded() -> (
    Arc<Mutex<Vec<Progress>>>,
    impl Fn(&Progress) + Send + Sync + 'static,
) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let keep = Arc::clone(&seen);
    (seen, move |p: &Progress| {
        keep.lock().unwrap().push(p.clone())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_says_how_long_the_cool_down_has_left() {
    let cooldown = Duration::from_millis(2500);
    let emulator = emulator(Emulator::builder().session_cooldown(cooldown)).await;
    let data = Dataset::users_and_groups(450, 1);
    let (seen, on_progress) = recorded();
    let options = ImportOptions::default()
        .with_max_loads_per_session(2)
        .with_session_cooldown(cooldown)
        .with_on_progress(on_progress);
    let report = import(&emulator, options, &data.sources())
        .await
        .expect("import");
    assert_eq!(report.sessions.len(), 2);
    let seen = seen.lock().unwrap();
    let waits: Vec<&Waiting> = seen
        .iter()
        .filter(|p| matches!(p.phase, Phase::CoolingDown { .. }))
        .map(|p| p.waiting.as_ref().expect("a cool-down is a wait"))
        .collect();
    assert!(waits.len() >= 2, "counted down at least once: {waits:?}");
    for w in &waits {
        assert_eq!(w.what, WaitingFor::SessionCooldown);
        assert_eq!(w.requests, 0);
        let left = w.left.expect("the end is known from this run's trigger");
        assert!(left <= cooldown, "{w:?}");
    }
    let (first, last) = (waits[0], waits[waits.len() - 1]);
    assert!(last.waited > first.waited, "{first:?} … {last:?}");
    assert!(last.left < first.left, "{first:?} … {last:?}");
    // Once a session is open again, nothing is waited for.
    let after = seen
        .iter()
        .skip_while(|p| !matches!(p.phase, Phase::CoolingDown { .. }))
        .find(|p| matches!(p.phase, Phase::Uploading { .. }))
        .expect("uploads after the cool-down");
    assert_eq!(after.waiting, None);
    // The last word matches the report.
    let done = seen.last().expect("progress");
    assert_eq!(done.phase, Phase::Done);
    assert_eq!(done.entities_applied, report.accepted());
    assert_eq!(done.sessions_completed, 2);
    assert_eq!(done.loads_resumed, 0);
    assert_eq!(
        (done.retries, done.rate_limited),
        (report.retries, report.rate_limited)
    );
    data.assert_applied(&emulator.state());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_run_last_reports_what_okta_applied_so_far() {
    // The first session completes, then a cool-down longer than the bound ends the run.
    let emulator = emulator(Emulator::builder().session_cooldown(Duration::from_secs(60))).await;
    let data = Dataset::users_and_groups(450, 1);
    let (seen, on_progress) = recorded();
    let options = ImportOptions::default()
        .with_max_loads_per_session(2)
        .with_cooldown_max_wait(Duration::from_millis(300))
        .with_on_progress(on_progress);
    let err = import(&emulator, options, &data.sources())
        .await
        .expect_err("cool-down");
    assert!(matches!(err, ImportError::CooldownTimeout { .. }), "{err}");
    let last = seen.lock().unwrap().last().cloned().expect("progress");
    let mut applied = okta_idsrc_import::EntityCounts::default();
    applied.add(EntityKind::UserUpsert, 400);
    assert_eq!(last.entities_applied, applied);
    assert_eq!((last.sessions_completed, last.loads_acknowledged), (1, 2));
    assert_eq!(default_source(&emulator.state()).users.len(), 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_says_when_the_rate_limiter_holds_the_run() {
    // Six requests a window of 2 s (60 s at 30 times the speed): the uploads are held.
    let emulator = emulator(Emulator::builder().rate_limit(6).time_scale(30)).await;
    let data = Dataset::users_and_groups(1000, 0);
    let (seen, on_progress) = recorded();
    let options = ImportOptions::default()
        .with_check_references(false)
        .with_on_progress(on_progress);
    let report = import(&emulator, options, &data.sources())
        .await
        .expect("import");
    let seen = seen.lock().unwrap();
    let held: Vec<&Waiting> = seen
        .iter()
        .filter_map(|p| p.waiting.as_ref())
        .filter(|w| w.what == WaitingFor::RateLimit)
        .collect();
    assert!(!held.is_empty(), "the holds were reported");
    for w in &held {
        assert!(w.requests >= 1, "{w:?}");
        // A window's reset (whole seconds) + 1 s + jitter, at most.
        let left = w.left.expect("a used-up window says when it resets");
        assert!(left <= Duration::from_secs(4), "{w:?}");
    }
    assert_eq!(seen.last().map(|p| p.waiting.clone()), Some(None));
    data.assert_applied(&emulator.state());
    assert_eq!(report.rate_limited, 0, "held, not refused");
}

// ---------------------------------------------------------------------------------------------
// 6. Sessions ending in ERROR.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_ending_in_error_is_reported_and_retried() {
    // Every import fails: reported with its lines, retried once, then given up.
    let emulator = emulator(Emulator::builder().faults(Faults {
        import_error_rate: 1.0,
        ..Faults::NONE
    }))
    .await;
    let data = Dataset::users_and_groups(450, 2);
    let err = import(&emulator, ImportOptions::default(), &data.sources())
        .await
        .expect_err("fails");
    let ImportError::SessionFailed { session, attempts } = &err else {
        panic!("{err}")
    };
    assert_eq!(*attempts, 2);
    assert_eq!(session.status, SessionState::Status(Status::Error));
    assert_eq!(session.loads, [0, 1, 2, 3]);
    assert_eq!(session.entities_by_kind.get(EntityKind::UserUpsert), 450);
    let text = err.to_string();
    assert!(
        text.contains("users.csv lines 1–450") && text.contains("groups.csv lines 1–2"),
        "{text}"
    );
    assert_eq!(statuses(&emulator.state()), [Status::Error, Status::Error]);

    // Half the imports fail: some seed fails the first session, and the retry completes.
    for seed in 1..40 {
        let emulator = Emulator::builder()
            .seed(seed)
            .faults(Faults {
                import_error_rate: 0.5,
                ..Faults::NONE
            })
            .start()
            .await
            .expect("emulator");
        let options = ImportOptions::default().with_session_retries(3);
        let Ok(report) = import(&emulator, options, &data.sources()).await else {
            continue;
        };
        if report.sessions_failed().count() == 0 {
            continue;
        }
        data.assert_applied(&emulator.state());
        let failed = report.sessions_failed().next().expect("failed");
        assert_eq!(failed.status, SessionState::Status(Status::Error));
        assert_eq!(failed.loads, [0, 1, 2, 3]);
        assert!(report.sessions.last().expect("last").applied);
        return;
    }
    panic!("no seed made a session fail and its retry complete");
}
