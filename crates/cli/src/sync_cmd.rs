//! `okta-idsrc sync`: the nightly delta sync of an HR source — `plan`, `apply`, `run`,
//! `status` — over a state file.
//!
//! Exit codes: 0 done (nothing to do included), 1 import or API failure, 2 usage or input,
//! 3 held by a safeguard (nothing sent).
//!
//! One file over 500 lines: the four subcommands share their arguments, the plan's JSON and
//! the report's printing; each is a few dozen lines once those are shared.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use clap::{Args, Subcommand};
use okta_idsrc_import::InputSource;
use okta_idsrc_sync::{
    ApplyOptions, ApplyReport, ChangeKind, Limit, Plan, PlanOptions, Snapshot, StateLock,
    StateStore, SyncError, Target, Thresholds,
};
use serde_json::json;

use crate::connect::ConnArgs;
use crate::error::{CliError, chain};
use crate::import_cmd::Output;
use crate::input::{FileSource, Format, GroupsFile, InputFile, MembershipsFile, UsersFile};
use crate::monitor::{Counts, MonitorArgs};
use crate::progress::ProgressDisplay;

/// `okta-idsrc sync …`.
#[derive(Debug, Subcommand)]
pub(crate) enum SyncCommand {
    /// Compute and print the plan (what a run would send); send nothing to Okta.
    Plan {
        #[command(flatten)]
        snapshot: SnapshotArgs,
        /// Write the whole plan as JSON, to review and then `sync apply`.
        #[arg(long, value_name = "PLAN.json")]
        out: Option<PathBuf>,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Execute exactly the plan in PLAN.json; refused if the state moved since it was made.
    Apply {
        /// The plan, from `sync plan --out`.
        #[arg(value_name = "PLAN.json")]
        plan: PathBuf,
        /// Let a plan held by a deletion threshold through.
        #[arg(long)]
        allow_deletions: bool,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Plan and apply in one step: the cron path.
    Run {
        #[command(flatten)]
        snapshot: SnapshotArgs,
        /// Let a plan over a deletion threshold through (once).
        #[arg(long)]
        allow_deletions: bool,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// The targets in the state file, what each holds, pending changes, the last runs.
    Status {
        #[command(flatten)]
        common: CommonArgs,
    },
}

/// The snapshot and the planning options.
#[derive(Debug, Args)]
pub(crate) struct SnapshotArgs {
    /// The full export of users: CSV or JSON Lines, as `import` reads them.
    #[arg(value_name = "USERS_FILE")]
    users: PathBuf,
    /// The full export of groups (without it, groups are left alone).
    #[arg(long, value_name = "FILE")]
    groups: Option<PathBuf>,
    /// The full export of memberships (without it, memberships are left alone).
    #[arg(long, value_name = "FILE")]
    memberships: Option<PathBuf>,
    /// The users file's format (default: from its extension).
    #[arg(long, value_enum)]
    format: Option<Format>,
    #[command(flatten)]
    map: crate::mapping::MapArgs,
    /// Send every entity of the snapshot whatever the state says (a periodic refresh after
    /// changes made in Okta directly); deactivations as usual.
    #[arg(long)]
    full: bool,
    /// The most users a run may deactivate: N or P% of the active users in the state
    /// (default: the larger of 10 and 5 %).
    #[arg(long, value_name = "N|P%")]
    max_deactivations: Option<Limit>,
    /// The most groups a run may delete (default: the larger of 10 and 5 %).
    #[arg(long, value_name = "N|P%")]
    max_group_deletions: Option<Limit>,
    /// The most memberships a run may remove (default: the larger of 10 and 5 %).
    #[arg(long, value_name = "N|P%")]
    max_membership_removals: Option<Limit>,
}

/// What every sync command takes.
#[derive(Debug, Args)]
pub(crate) struct CommonArgs {
    /// The state file (SQLite; created on first use).
    #[arg(long, value_name = "DB", default_value = "okta-idsrc-state.db")]
    state: PathBuf,
    #[command(flatten)]
    conn: ConnArgs,
    /// How to print the result.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    output: Output,
    #[command(flatten)]
    monitor: MonitorArgs,
}

/// A sync error as the CLI reports it.
fn sync_error(e: SyncError) -> CliError {
    let code = e.exit_code();
    let details = match &e {
        SyncError::InvalidInput { problems, total } => {
            crate::error::problem_lines(problems, *total)
        }
        _ => Vec::new(),
    };
    CliError {
        code,
        message: chain(&e),
        details,
    }
}

/// The state file, opened, with its lock held.
fn open(path: &Path, command: &str) -> Result<(StateLock, SharedStore), CliError> {
    let holder = format!(
        "okta-idsrc sync {command} (pid {}) on {}",
        std::process::id(),
        path.display()
    );
    let lock = StateLock::acquire(path, &holder).map_err(sync_error)?;
    let store = StateStore::open(path).map_err(sync_error)?;
    Ok((lock, Arc::new(Mutex::new(store))))
}

/// The state store, shared with the apply that records into it.
type SharedStore = Arc<Mutex<StateStore>>;

/// The store, locked (a panic while it was held leaves the store itself consistent: each
/// change is one SQLite transaction).
fn locked(store: &SharedStore) -> MutexGuard<'_, StateStore> {
    store.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What `plan` and `run` start from, in this order: the target, the snapshot's files, and
/// the state file locked for `command`.
fn start(
    common: &CommonArgs,
    snapshot: &SnapshotArgs,
    command: &str,
) -> Result<(Target, Files, StateLock, SharedStore), CliError> {
    let target = common.conn.target()?;
    let files = snapshot.files()?;
    let (lock, store) = open(&common.state, command)?;
    Ok((target, files, lock, store))
}

/// The snapshot's files as sources: users, groups, memberships.
struct Files {
    users: FileSource,
    groups: Option<FileSource>,
    memberships: Option<FileSource>,
}

impl SnapshotArgs {
    fn files(&self) -> Result<Files, CliError> {
        let inputs = self.map.load()?;
        Ok(Files {
            users: crate::import_cmd::source(&self.users, |p| {
                UsersFile::new(p, self.format).map(|f| InputFile::Users(f.with_options(&inputs)))
            })?,
            groups: self
                .groups
                .as_deref()
                .map(|p| {
                    crate::import_cmd::source(p, |p| {
                        GroupsFile::new(p).map(|f| InputFile::Groups(f.with_options(&inputs)))
                    })
                })
                .transpose()?,
            memberships: self
                .memberships
                .as_deref()
                .map(|p| {
                    crate::import_cmd::source(p, |p| {
                        MembershipsFile::new(p)
                            .map(|f| InputFile::Memberships(f.with_options(&inputs)))
                    })
                })
                .transpose()?,
        })
    }

    fn options(&self, allow_deletions: bool) -> PlanOptions {
        let mut options = PlanOptions::default();
        options.full = self.full;
        options.thresholds = Thresholds::default();
        options.thresholds.deactivations = self.max_deactivations;
        options.thresholds.group_deletions = self.max_group_deletions;
        options.thresholds.membership_removals = self.max_membership_removals;
        options.thresholds.allow_deletions = allow_deletions;
        options
    }
}

/// Plans `files` against `target`'s state.
fn make_plan(
    store: &SharedStore,
    target: &Target,
    files: &Files,
    options: &PlanOptions,
) -> Result<Plan, CliError> {
    let mut store = locked(store);
    let id = store.target(target).map_err(sync_error)?;
    let kept = files.users.skipped().map_err(CliError::usage)?;
    let users: [&dyn InputSource; 1] = [&files.users];
    let groups: [&dyn InputSource; 1];
    let memberships: [&dyn InputSource; 1];
    let mut snapshot = Snapshot::users(&users).with_kept(&kept);
    if let Some(g) = &files.groups {
        groups = [g];
        snapshot = snapshot.with_groups(&groups);
    }
    if let Some(m) = &files.memberships {
        memberships = [m];
        snapshot = snapshot.with_memberships(&memberships);
    }
    okta_idsrc_sync::plan(&store, id, target, snapshot, options).map_err(sync_error)
}

/// Writes `plan` to `out` as pretty JSON, streamed (a first plan of 300,000 users
/// is 179 MB of JSON) into a temporary file beside it that then replaces `out`: a failed
/// write leaves no partial plan.
fn write_plan(plan: &Plan, out: &Path) -> Result<(), CliError> {
    let fail = |e: &dyn std::fmt::Display| {
        CliError::failure(format!("cannot write the plan to {}: {e}", out.display()))
    };
    let dir = match out.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let file = tempfile::NamedTempFile::new_in(dir).map_err(|e| fail(&e))?;
    let mut writer = std::io::BufWriter::new(file);
    serde_json::to_writer_pretty(&mut writer, plan).map_err(|e| fail(&e))?;
    let file = writer.into_inner().map_err(|e| fail(e.error()))?;
    file.persist(out).map_err(|e| fail(&e.error))?;
    Ok(())
}

/// The plan as `sync plan --output json` prints it.
fn plan_json(plan: &Plan) -> serde_json::Value {
    json!({
        "target": plan.target,
        "revision": plan.revision,
        "input": plan.input,
        "snapshot": plan.snapshot,
        "counts": by_kind(|k| plan.count(k)),
        "held": plan.held,
        "resent": plan.resent(),
    })
}

/// Records the plan as the run's report: one that sends nothing (`sync plan`, or held)
/// counts zero of everything.
fn record_plan(plan: &Plan, sends_nothing: bool) {
    let counts =
        sends_nothing.then(|| Counts::nothing_sent(ChangeKind::ALL.iter().map(|k| k.as_str())));
    crate::monitor::report(plan_json(plan), counts);
}

fn print_plan(plan: &Plan, output: Output) {
    match output {
        Output::Text => print!("{plan}"),
        Output::Json => println!("{}", plan_json(plan)),
    }
}

/// A JSON object of `count` for each kind of change, by the kind's name.
fn by_kind(count: impl Fn(ChangeKind) -> u64) -> serde_json::Value {
    ChangeKind::ALL
        .iter()
        .map(|k| (k.as_str().to_owned(), json!(count(*k))))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

fn print_report(plan: &Plan, report: &ApplyReport, output: Output) {
    let applied = |k: ChangeKind| report.applied.get(&k).copied().unwrap_or(0);
    let (loads, sessions, retries, rate_limited) =
        report.import.as_ref().map_or((0, 0, 0, 0), |r| {
            (r.loads, r.sessions.len() as u64, r.retries, r.rate_limited)
        });
    let out = json!({
        "run": report.run,
        "resumed": report.resumed,
        "planned": by_kind(|k| plan.count(k)),
        "applied": by_kind(applied),
        "loads": loads,
        "sessions": sessions,
        "retries": retries,
        "rateLimited": rate_limited,
    });
    match output {
        Output::Text => {
            if plan.is_empty() {
                println!("nothing to do: Okta holds the snapshot already");
            } else {
                println!(
                    "applied: {} users upserted, {} deactivated; {} groups upserted, {} deleted; \
                     {} memberships added, {} removed",
                    applied(ChangeKind::UserUpsert),
                    applied(ChangeKind::UserDeactivate),
                    applied(ChangeKind::GroupUpsert),
                    applied(ChangeKind::GroupDelete),
                    applied(ChangeKind::MembershipAdd),
                    applied(ChangeKind::MembershipRemove),
                );
                println!(
                    "  {loads} loads in {sessions} session{}; {retries} retries, {rate_limited} answered 429; run {}{}",
                    if sessions == 1 { "" } else { "s" },
                    report.run,
                    if report.resumed {
                        " (finished an interrupted run)"
                    } else {
                        ""
                    }
                );
            }
        }
        Output::Json => println!("{out}"),
    }
    let counts = Counts {
        entities: ChangeKind::ALL
            .iter()
            .map(|k| (k.as_str(), applied(*k)))
            .collect(),
        loads,
        sessions,
        retries,
        rate_limited,
    };
    crate::monitor::report(out, Some(counts));
}

fn apply_options(command: &'static str, allow_deletions: bool) -> ApplyOptions {
    let mut options = ApplyOptions::default();
    options.command = command;
    options.allow_deletions = allow_deletions;
    let display = ProgressDisplay::new();
    options.on_progress = Some(Arc::new(move |p| display.update(p)));
    options
}

/// Runs `okta-idsrc sync …`, monitored with `--metrics-file` and `--notify-webhook`.
pub(crate) async fn run(command: SyncCommand) -> Result<(), CliError> {
    let (name, common) = match &command {
        SyncCommand::Plan { common, .. } => ("sync plan", common),
        SyncCommand::Apply { common, .. } => ("sync apply", common),
        SyncCommand::Run { common, .. } => ("sync run", common),
        SyncCommand::Status { common } => {
            if common.monitor.any() {
                return Err(CliError::usage(
                    "--metrics-file and --notify-webhook are for sync plan, apply and run",
                ));
            }
            return status(common);
        }
    };
    let source = common.conn.source.clone().unwrap_or_default();
    let output = common.output;
    let monitor = common.monitor.start(name, source);
    let result = run_sync(command).await;
    if let (Err(e), Output::Json) = (&result, output) {
        println!("{}", failure_json(e));
    }
    monitor.finish(&result).await;
    result
}

/// What `--output json` prints when a sync command fails or is held (its one object):
/// `{"error": {"kind", "message", "exitCode", "details"}, "plan"}`, the plan being the one
/// computed, if the run got that far (a held plan says which threshold it crossed).
fn failure_json(e: &CliError) -> serde_json::Value {
    let kind = match e.code {
        crate::error::EXIT_USAGE => "usage",
        crate::error::EXIT_HELD => "held",
        _ => "failure",
    };
    json!({
        "error": {
            "kind": kind,
            "message": e.message,
            "exitCode": e.code,
            "details": e.details,
        },
        "plan": crate::monitor::recorded_json(),
    })
}

/// Runs `sync plan`, `apply` or `run`.
async fn run_sync(command: SyncCommand) -> Result<(), CliError> {
    match command {
        SyncCommand::Plan {
            snapshot,
            out,
            common,
        } => {
            let (target, files, _lock, store) = start(&common, &snapshot, "plan")?;
            let plan = make_plan(&store, &target, &files, &snapshot.options(false))?;
            if let Some(out) = &out {
                write_plan(&plan, out)?;
            }
            record_plan(&plan, true);
            // Held, with --output json, the failure's object carries the plan.
            if plan.held.is_none() || common.output == Output::Text {
                print_plan(&plan, common.output);
            }
            if let Some(held) = &plan.held {
                return Err(sync_error(SyncError::Held(held.to_string())));
            }
            Ok(())
        }
        SyncCommand::Apply {
            plan,
            allow_deletions,
            common,
        } => {
            let text = std::fs::read(&plan).map_err(|e| {
                CliError::usage(format!("cannot read the plan {}: {e}", plan.display()))
            })?;
            let parsed: Plan = serde_json::from_slice(&text)
                .map_err(|e| CliError::usage(format!("{} is not a plan: {e}", plan.display())))?;
            if parsed.version != okta_idsrc_sync::PLAN_VERSION {
                return Err(CliError::usage(format!(
                    "{} is a plan of format version {}; this okta-idsrc reads version {}",
                    plan.display(),
                    parsed.version,
                    okta_idsrc_sync::PLAN_VERSION
                )));
            }
            let target = common.conn.target()?;
            if parsed.target != target {
                return Err(CliError::usage(format!(
                    "{} was made for {}, not {target}",
                    plan.display(),
                    parsed.target
                )));
            }
            let (_lock, store) = open(&common.state, "apply")?;
            let plan = Arc::new(parsed);
            execute(&store, &target, &plan, &common, "apply", allow_deletions).await
        }
        SyncCommand::Run {
            snapshot,
            allow_deletions,
            common,
        } => {
            let (target, files, _lock, store) = start(&common, &snapshot, "run")?;
            let id = locked(&store).target(&target).map_err(sync_error)?;
            // A run killed in the middle of its plan: finish that plan first.
            let unfinished = locked(&store).applying(id).map_err(sync_error)?;
            if let Some(earlier) = unfinished.and_then(|u| u.plan) {
                crate::logging::notice("finishing the plan of an interrupted run first");
                execute(&store, &target, &Arc::new(earlier), &common, "run", true).await?;
            }
            let plan = make_plan(&store, &target, &files, &snapshot.options(allow_deletions))?;
            if common.output == Output::Text {
                print!("{plan}");
            }
            // Held (nothing sent) as apply holds it.
            let held = plan.held.as_ref().is_some_and(|h| h.holds(allow_deletions));
            record_plan(&plan, held);
            let plan = Arc::new(plan);
            execute(&store, &target, &plan, &common, "run", allow_deletions).await
        }
        SyncCommand::Status { common } => status(&common),
    }
}

/// Applies `plan` with a client of the target.
async fn execute(
    store: &SharedStore,
    target: &Target,
    plan: &Arc<Plan>,
    common: &CommonArgs,
    command: &'static str,
    allow_deletions: bool,
) -> Result<(), CliError> {
    let id = locked(store).target(target).map_err(sync_error)?;
    let connected = common.conn.connect().await?;
    let options = apply_options(command, allow_deletions);
    let result =
        okta_idsrc_sync::apply(store, id, plan, connected.client().clone(), &options).await;
    connected.shutdown().await;
    match result {
        Ok(report) => {
            print_report(plan, &report, common.output);
            Ok(())
        }
        Err(e) => Err(sync_error(e)),
    }
}

/// `sync status`: every target of the state file.
fn status(common: &CommonArgs) -> Result<(), CliError> {
    let store = StateStore::open(&common.state).map_err(sync_error)?;
    let mut out = Vec::new();
    for (id, target) in store.targets().map_err(sync_error)? {
        let counts = store.counts(id).map_err(sync_error)?;
        let runs = store.runs(id, 5).map_err(sync_error)?;
        let unfinished = store.applying(id).map_err(sync_error)?.is_some();
        match common.output {
            Output::Text => {
                println!(
                    "{target}: {} users ({} active, {} deactivated), {} groups, {} memberships; {} pending{}",
                    counts.users_active + counts.users_inactive,
                    counts.users_active,
                    counts.users_inactive,
                    counts.groups,
                    counts.memberships,
                    counts.pending,
                    if unfinished {
                        "; a run was interrupted: `sync run` finishes it"
                    } else {
                        ""
                    }
                );
                for r in &runs {
                    println!(
                        "  run {} ({}): {} at {}{}",
                        r.id,
                        r.command,
                        r.outcome,
                        okta_idsrc_core::clock::timestamp(
                            std::time::UNIX_EPOCH + std::time::Duration::from_secs(r.started)
                        ),
                        r.error
                            .as_deref()
                            .map(|e| format!(": {e}"))
                            .unwrap_or_default()
                    );
                }
            }
            Output::Json => out.push(json!({
                "target": target,
                "state": counts,
                "interrupted": unfinished,
                "runs": runs,
            })),
        }
    }
    if common.output == Output::Json {
        println!("{}", json!({ "targets": out }));
    }
    Ok(())
}
