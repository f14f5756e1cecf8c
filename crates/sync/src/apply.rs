//! Applying a [`Plan`] with the importer, and committing what each session applied.
//!
//! - The plan's changes are recorded as pending, then handed to the importer as six sources
//!   (kinds in dependency order, sessions filled to Okta's 50 loads), with its journal in the
//!   state file.
//! - When a session is applied (COMPLETED, or CLOSED after Okta kept it CREATED because
//!   nothing changed), its entities are committed to the state in one transaction; a session
//!   that ends in ERROR or EXPIRED leaves them pending, and the next run sends them again.
//! - The plan being applied is kept in the state until the run ends, so that a run killed at
//!   any point is finished by the next one (the journal skips what was already applied).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use okta_idsrc_core::Clock;
use okta_idsrc_core::clock::epoch_seconds;
use okta_idsrc_core::transport::BoxError;
use okta_idsrc_import::{
    Entity, EntityKind, ImportOptions, ImportReport, Importer, InputError, InputSource, LineRange,
    ProgressCallback, Record, Records,
};
use okta_idsrc_ops::Client;
use okta_idsrc_ops::service::SendHttpService;
use serde_json::json;

use crate::error::SyncError;
use crate::plan::{Applied, ChangeKind, Leaver, Membership, Plan, Upsert};
use crate::profile::Canonical;
use crate::store::{RunOutcome, StateJournal, StateStore, TargetId};

/// How a plan is applied.
#[derive(Clone)]
#[non_exhaustive]
pub struct ApplyOptions {
    /// `apply` or `run`, for the run history.
    pub command: &'static str,
    /// Apply a plan held by a deletion threshold (`--allow-deletions`).
    pub allow_deletions: bool,
    /// Loads in flight at once.
    pub concurrency: usize,
    /// The bounds of the session polling interval.
    pub poll_interval: (Duration, Duration),
    /// The importer's progress callback.
    pub on_progress: Option<ProgressCallback>,
    /// How many times the loads of a session that ends in ERROR or EXPIRED are sent again
    /// in a new session within the run (default 1); what still fails stays pending.
    pub session_retries: u32,
    /// The clock of the run history.
    pub clock: Arc<dyn Clock>,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        Self {
            command: "apply",
            allow_deletions: false,
            concurrency: 4,
            poll_interval: (Duration::from_millis(100), Duration::from_secs(5)),
            on_progress: None,
            session_retries: 1,
            clock: Arc::new(okta_idsrc_core::SystemClock),
        }
    }
}

/// What an apply did.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ApplyReport {
    /// The run's number in the history.
    pub run: i64,
    /// Whether the run finished a plan an earlier run left unfinished.
    pub resumed: bool,
    /// What the state committed, by kind.
    pub applied: HashMap<ChangeKind, u64>,
    /// The importer's report (`None` when there was nothing to send).
    pub import: Option<ImportReport>,
}

/// The importer's sources, one per kind of change, in dependency order, with their names.
const SOURCES: [(ChangeKind, EntityKind, &str); 6] = [
    (
        ChangeKind::UserUpsert,
        EntityKind::UserUpsert,
        "plan: user upserts",
    ),
    (
        ChangeKind::GroupUpsert,
        EntityKind::GroupUpsert,
        "plan: group upserts",
    ),
    (
        ChangeKind::MembershipAdd,
        EntityKind::MembershipUpsert,
        "plan: membership adds",
    ),
    (
        ChangeKind::MembershipRemove,
        EntityKind::MembershipDelete,
        "plan: membership removals",
    ),
    (
        ChangeKind::GroupDelete,
        EntityKind::GroupDelete,
        "plan: group deletions",
    ),
    (
        ChangeKind::UserDeactivate,
        EntityKind::UserDeactivate,
        "plan: user deactivations",
    ),
];

fn source_kind(name: &str) -> Option<ChangeKind> {
    SOURCES
        .iter()
        .find(|(_, _, n)| *n == name)
        .map(|(k, _, _)| *k)
}

/// The plan's changes of one kind as an importer source: line `n` is the kind's `n`th
/// change, each entity built as it is read (the plan is not copied).
struct PlanSource {
    plan: Arc<Plan>,
    kind: ChangeKind,
    entity: EntityKind,
    name: &'static str,
}

impl InputSource for PlanSource {
    fn name(&self) -> &str {
        self.name
    }

    fn kind(&self) -> EntityKind {
        self.entity
    }

    fn open(&self) -> Result<Records<'_>, InputError> {
        use ChangeKind as K;
        let name: Arc<str> = Arc::from(self.name);
        let plan = &*self.plan;
        let add = |m: &Membership| Entity::MembershipUpsert {
            group: m.group.clone(),
            member: m.member.clone(),
        };
        let remove = |m: &Membership| Entity::MembershipDelete {
            group: m.group.clone(),
            member: m.member.clone(),
        };
        let entities = match self.kind {
            K::UserUpsert => each(&plan.users_upserted, |u| Entity::UserUpsert(u.user.get())),
            K::GroupUpsert => each(&plan.groups_upserted, |g| {
                Entity::GroupUpsert(g.group.get())
            }),
            K::MembershipAdd => each(&plan.memberships_added, add),
            K::MembershipRemove => each(&plan.memberships_removed, remove),
            K::GroupDelete => each(&plan.groups_deleted, |g| {
                Entity::GroupDelete(g.external_id.clone())
            }),
            K::UserDeactivate => each(&plan.users_deactivated, |u| {
                Entity::UserDeactivate(u.external_id.clone())
            }),
        };
        Ok(Box::new(entities.zip(1..).map(move |(entity, line)| {
            Ok(Record {
                source: Arc::clone(&name),
                line,
                entity,
            })
        })))
    }
}

/// The plan's non-empty sources.
fn sources(plan: &Arc<Plan>) -> Vec<PlanSource> {
    SOURCES
        .iter()
        .filter(|(kind, _, _)| plan.count(*kind) > 0)
        .map(|&(kind, entity, name)| PlanSource {
            plan: Arc::clone(plan),
            kind,
            entity,
            name,
        })
        .collect()
}

/// `v`'s entries, each as the entity `entity` makes of it.
fn each<'a, T: Sync>(
    v: &'a [T],
    entity: impl Fn(&T) -> Entity + Send + 'a,
) -> Box<dyn Iterator<Item = Entity> + Send + 'a> {
    Box::new(v.iter().map(entity))
}

/// The plan's changes on `ranges` of the importer's sources, as what to commit.
fn applied(plan: &Plan, ranges: &[LineRange]) -> Applied {
    use ChangeKind as K;
    let mut out = Applied::default();
    for r in ranges {
        let Some(kind) = source_kind(&r.source) else {
            continue;
        };
        // Line `n` of a source is its kind's `n`th change.
        let lines = usize::try_from(r.first.saturating_sub(1)).unwrap_or(usize::MAX)
            ..usize::try_from(r.last).unwrap_or(usize::MAX);
        let (p, o) = (plan, &mut out);
        match kind {
            K::UserUpsert => o.users_upserted.extend(committed(&p.users_upserted, lines)),
            K::GroupUpsert => o
                .groups_upserted
                .extend(committed(&p.groups_upserted, lines)),
            K::MembershipAdd => o
                .memberships_added
                .extend(pairs(&p.memberships_added, lines)),
            K::MembershipRemove => o
                .memberships_removed
                .extend(pairs(&p.memberships_removed, lines)),
            K::GroupDelete => o.groups_deleted.extend(leavers(&p.groups_deleted, lines)),
            K::UserDeactivate => o
                .users_deactivated
                .extend(leavers(&p.users_deactivated, lines)),
        }
    }
    out
}

/// The entries of `v` on `lines` (none where the range falls outside).
fn pick<T>(v: &[T], lines: std::ops::Range<usize>) -> &[T] {
    v.get(lines).unwrap_or_default()
}

/// The leavers of `v` on `lines`: their external ids.
fn leavers(v: &[Leaver], lines: std::ops::Range<usize>) -> impl Iterator<Item = String> + '_ {
    pick(v, lines).iter().map(|l| l.external_id.clone())
}

/// The memberships of `v` on `lines`: (group, member).
fn pairs(
    v: &[Membership],
    lines: std::ops::Range<usize>,
) -> impl Iterator<Item = (String, String)> + '_ {
    pick(v, lines)
        .iter()
        .map(|m| (m.group.clone(), m.member.clone()))
}

/// The upserts of `v` on `lines`, as the state commits them: id and canonical profile.
fn committed<U: Upsert>(
    v: &[U],
    lines: std::ops::Range<usize>,
) -> impl Iterator<Item = (String, Canonical)> + '_ {
    pick(v, lines)
        .iter()
        .map(|u| (u.id().to_owned(), u.canonical()))
}

fn lock(store: &Mutex<StateStore>) -> std::sync::MutexGuard<'_, StateStore> {
    store.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Applies `plan` to its target through `client`, committing each applied session to the
/// state in `store`.
///
/// Refuses a plan computed against another revision of the state (unless it is the plan an
/// earlier run left unfinished, which it finishes), and a held plan unless
/// [`allow_deletions`](ApplyOptions::allow_deletions) (an empty snapshot is held whatever).
pub async fn apply<S>(
    store: &Arc<Mutex<StateStore>>,
    target: TargetId,
    plan: &Arc<Plan>,
    client: Client<S>,
    options: &ApplyOptions,
) -> Result<ApplyReport, SyncError>
where
    S: SendHttpService + Sync,
{
    let now = || epoch_seconds(options.clock.now());
    let id = plan.id();
    let (unfinished, revision) = {
        let s = lock(store);
        (s.applying(target)?, s.revision(target)?)
    };
    let resumed = unfinished.as_ref().is_some_and(|u| u.plan_id == id);
    if !resumed && plan.revision != revision {
        return Err(SyncError::StalePlan {
            planned: plan.revision,
            now: revision,
        });
    }
    if let Some(held) = &plan.held
        && held.holds(options.allow_deletions)
    {
        let mut s = lock(store);
        let run = s.begin_run(target, options.command, now())?;
        s.end_run(
            run,
            RunOutcome::Held,
            now(),
            &json!({ "planned": plan.total() }),
            &json!([]),
            Some(&held.to_string()),
        )?;
        return Err(SyncError::Held(held.to_string()));
    }
    // An earlier run's sessions: cancelled or waited for by the importer, not refused.
    let mut adopt = Vec::new();
    let run = {
        let mut s = lock(store);
        if let Some(u) = &unfinished {
            if !resumed {
                adopt = s.journal_sessions(target)?;
                s.clear_journal(target)?;
            }
            if let Some(run) = u.run.filter(|_| resumed) {
                s.end_run(
                    run,
                    RunOutcome::Failed,
                    now(),
                    &json!({}),
                    &json!([]),
                    Some("killed; finished by a later run"),
                )?;
            }
        }
        let run = s.begin_run(target, options.command, now())?;
        if plan.is_empty() {
            s.set_applying(target, None)?;
            s.end_run(
                run,
                RunOutcome::Done,
                now(),
                &json!({ "planned": 0 }),
                &json!([]),
                None,
            )?;
            return Ok(ApplyReport {
                run,
                resumed,
                applied: HashMap::new(),
                import: None,
            });
        }
        s.set_applying(target, Some((&id, plan, run)))?;
        s.record_pending(target, run, plan.keys())?;
        run
    };

    let committed: Arc<Mutex<HashMap<ChangeKind, u64>>> = Arc::default();
    let on_applied = {
        let (store, plan, committed) =
            (Arc::clone(store), Arc::clone(plan), Arc::clone(&committed));
        move |ranges: &[LineRange]| -> Result<(), BoxError> {
            let done = applied(&plan, ranges);
            lock(&store).commit(target, &done)?;
            let mut c = committed.lock().unwrap_or_else(PoisonError::into_inner);
            for (kind, n) in done.counts() {
                *c.entry(kind).or_default() += n;
            }
            Ok(())
        }
    };
    let mut import_options = ImportOptions::default()
        .with_concurrency(options.concurrency)
        .with_max_loads_per_session(okta_idsrc_core::limits::MAX_LOADS_PER_SESSION)
        .with_poll_interval(options.poll_interval.0, options.poll_interval.1)
        .with_session_retries(options.session_retries)
        // The state knows what the references point at; looking them up would cost a request
        // each for every membership of a user the plan does not upsert.
        .with_check_references(false)
        .with_journal_store(StateJournal::new(Arc::clone(store), target))
        .with_adopted_sessions(adopt)
        .with_on_applied(on_applied);
    if let Some(progress) = &options.on_progress {
        let progress = Arc::clone(progress);
        import_options = import_options.with_on_progress(move |p| progress(p));
    }
    let sources = sources(plan);
    let inputs: Vec<&dyn InputSource> = sources.iter().map(|s| s as &dyn InputSource).collect();
    let importer = Importer::new(client, plan.target.identity_source(), import_options);
    let result = importer.run(&inputs).await;
    let applied = committed
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    let counts = json!(
        applied
            .iter()
            .map(|(k, n)| (k.as_str(), n))
            .collect::<HashMap<_, _>>()
    );
    let mut s = lock(store);
    match result {
        Ok(report) => {
            let sessions =
                json!(report
                .sessions
                .iter()
                .map(|s| json!({ "id": s.id, "status": s.status.as_str(), "applied": s.applied }))
                .collect::<Vec<_>>());
            s.clear_journal(target)?;
            s.set_applying(target, None)?;
            s.end_run(run, RunOutcome::Done, now(), &counts, &sessions, None)?;
            Ok(ApplyReport {
                run,
                resumed,
                applied,
                import: Some(report),
            })
        }
        Err(e) => {
            let message = crate::error::chain(&e);
            s.end_run(
                run,
                RunOutcome::Failed,
                now(),
                &counts,
                &json!([]),
                Some(&message),
            )?;
            Err(SyncError::Import(e))
        }
    }
}
