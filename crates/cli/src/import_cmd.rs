//! `okta-idsrc import`: users (and deactivations, groups, memberships) from files into an
//! identity source, through the bulk importer.
//!
//! One file over 500 lines: the flags, the run, its summary and its failure report are one
//! flow (the summary and the failure both read what the run saw); a split would thread that
//! state through module boundaries without making any part simpler. Input reading lives in
//! `input`, mapping in `mapping`, monitoring in `monitor`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use clap::{Args, ValueEnum};
use okta_idsrc_core::{Credentials, OrgUrl};
use okta_idsrc_emulator::IdentitySourceCounts;
use okta_idsrc_import::{
    EntityCounts, EntityKind, ImportError, ImportOptions, ImportReport, Importer, InputError,
    InputSource, InvalidPolicy, Progress,
};
use serde_json::{Map, Value, json};

use crate::connect::{ConnArgs, Target};
use crate::error::{CliError, EXIT_FAILURE, EXIT_USAGE, MAX_DETAILS, chain};
use crate::input::{
    FileSource, Format, GroupsFile, IdsFile, InputFile, InputProblem, MembershipsFile, UsersFile,
};
use crate::monitor::{Counts, MonitorArgs};
use crate::progress::ProgressDisplay;

/// How the summary is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Output {
    /// Lines for people.
    Text,
    /// One JSON object, for machines.
    Json,
}

/// Options of `okta-idsrc import`.
#[derive(Debug, Args)]
pub(crate) struct ImportArgs {
    /// Users to create or update: CSV (a header row with externalId and profile attributes)
    /// or JSON Lines ({"externalId":…,"profile":{…}} per line).
    #[arg(value_name = "USERS_FILE")]
    users: PathBuf,
    /// External ids of users to deactivate: one a line, or a CSV with an externalId column.
    #[arg(long, value_name = "IDS_FILE")]
    deactivate: Option<PathBuf>,
    /// Groups to create or update: CSV externalId,displayName,description or JSON Lines.
    #[arg(long, value_name = "FILE")]
    groups: Option<PathBuf>,
    /// Group members to add: CSV groupExternalId,memberExternalId or JSON Lines.
    #[arg(long, value_name = "FILE")]
    memberships: Option<PathBuf>,
    /// Group members to remove: CSV groupExternalId,memberExternalId or JSON Lines.
    #[arg(long, value_name = "FILE")]
    remove_memberships: Option<PathBuf>,
    /// External ids of groups to delete: one a line, or a CSV with an externalId column.
    #[arg(long, value_name = "IDS_FILE")]
    delete_groups: Option<PathBuf>,
    /// The users file's format (default: from its extension).
    #[arg(long, value_enum)]
    format: Option<Format>,
    #[command(flatten)]
    map: crate::mapping::MapArgs,
    #[command(flatten)]
    conn: ConnArgs,
    /// Bulk loads in flight at once.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    concurrency: u16,
    /// A journal file that makes the import resumable: run again with the same journal to
    /// finish an interrupted import.
    #[arg(long, value_name = "FILE")]
    journal: Option<PathBuf>,
    /// Check the input and show the loads and sessions it would take; send nothing but one
    /// read that checks the org URL, the credentials and the identity source.
    #[arg(long)]
    dry_run: bool,
    /// With --dry-run: do not connect at all (no org needed; the org, credentials and
    /// identity source are not checked).
    #[arg(long, requires = "dry_run")]
    offline: bool,
    /// Import the valid entities and list the invalid ones, instead of stopping.
    #[arg(long)]
    skip_invalid: bool,
    /// Cancel an active session this import did not start, instead of stopping, when it is
    /// stale: Okta shows no update to it for --stale-after minutes.
    #[arg(long)]
    cancel_stale: bool,
    /// The minutes without an update after which another run's session counts as stale.
    #[arg(long, value_name = "MINUTES", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    stale_after: u64,
    /// How to print the summary.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    output: Output,
    #[command(flatten)]
    monitor: MonitorArgs,
}

/// A file argument as an input source, named as given.
pub(crate) fn source(
    path: &Path,
    open: impl FnOnce(&Path) -> Result<InputFile, InputProblem>,
) -> Result<FileSource, CliError> {
    FileSource::from_arg(path, open).map_err(CliError::usage)
}

/// Exit code of a run stopped by SIGINT (Ctrl-C): 128 + 2, as shells report it.
pub(crate) const EXIT_SIGINT: u8 = 130;
/// Exit code of a run stopped by SIGTERM: 128 + 15.
pub(crate) const EXIT_SIGTERM: u8 = 143;

/// How long an interrupted run waits for its session to be cancelled.
const CANCEL_TIMEOUT: Duration = Duration::from_secs(10);

/// What the run showed so far: the last progress, for an error's "so far" and the session to
/// clean up after an interruption.
#[derive(Default)]
struct Seen(Mutex<Option<Progress>>);

impl Seen {
    fn set(&self, p: &Progress) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(p.clone());
    }

    fn get(&self) -> Option<Progress> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Why a run failed: the error, a short kind for machines, and the input problems.
struct Failure {
    error: CliError,
    kind: &'static str,
    problems: Vec<InputError>,
}

impl Failure {
    fn new(kind: &'static str, error: CliError) -> Self {
        Self {
            error,
            kind,
            problems: Vec::new(),
        }
    }
}

impl From<CliError> for Failure {
    fn from(error: CliError) -> Self {
        let kind = if error.code == EXIT_USAGE {
            "usage"
        } else {
            "failure"
        };
        Self::new(kind, error)
    }
}

/// Runs `okta-idsrc import`, monitored with `--metrics-file` and `--notify-webhook`.
pub(crate) async fn run(args: ImportArgs) -> Result<(), CliError> {
    let source = args.conn.source.clone().unwrap_or_else(|| {
        match (args.conn.emulator, args.offline) {
            (true, _) => okta_idsrc_emulator::DEFAULT_IDENTITY_SOURCE,
            (false, true) => "offline",
            (false, false) => "",
        }
        .to_owned()
    });
    let monitor = args.monitor.start("import", source);
    let result = run_import(args).await;
    monitor.finish(&result).await;
    result
}

/// Runs the import. With `--output json`, stdout gets one JSON object whatever the outcome:
/// the report, or `{"error": {"kind", "message", "details"}, "problems", "progress"}`.
async fn run_import(args: ImportArgs) -> Result<(), CliError> {
    let output = args.output;
    let dry_run = args.dry_run;
    let seen = Arc::new(Seen::default());
    let Err(failure) = execute(args, &seen).await else {
        return Ok(());
    };
    let progress = seen.get();
    let mut error = failure.error;
    if let Some(p) = &progress
        && (p.loads_acknowledged > 0 || p.sessions_completed > 0)
    {
        error.details.push(format!(
            "so far: {} of {} loads acknowledged, {} completed",
            p.loads_acknowledged,
            p.loads_total.unwrap_or_default(),
            plural(p.sessions_completed, "session", "sessions")
        ));
    }
    let problems: Vec<Value> = failure.problems.iter().map(problem_json).collect();
    let out = json!({
        "error": {
            "kind": failure.kind,
            "message": error.message,
            "exitCode": error.code,
            "details": error.details,
        },
        "dryRun": dry_run,
        "problems": problems,
        "progress": progress.as_ref().map(progress_json),
    });
    if output == Output::Json {
        println!("{out}");
    }
    crate::monitor::report(out, progress.as_ref().map(progress_counts));
    Err(error)
}

/// An input problem as JSON: source, line, field, message.
fn problem_json(e: &InputError) -> Value {
    json!({ "source": &*e.source, "line": e.line, "field": e.field, "message": e.message })
}

fn progress_json(p: &Progress) -> Value {
    json!({
        "entitiesValidated": p.entities_validated,
        "entitiesInvalid": p.entities_invalid,
        "entitiesTotal": p.entities_total,
        "entitiesUploaded": p.entities_uploaded,
        "loadsAcknowledged": p.loads_acknowledged,
        "loadsTotal": p.loads_total,
        "sessionsCompleted": p.sessions_completed,
        "openSession": p.open_session,
        "entitiesApplied": counts_json(&p.entities_applied),
        "retries": p.retries,
        "rateLimited": p.rate_limited,
    })
}

/// What a failed run's progress counts: what Okta applied so far.
fn progress_counts(p: &Progress) -> Counts {
    Counts {
        entities: kind_counts(&p.entities_applied),
        loads: p.loads_acknowledged,
        sessions: p.sessions_completed,
        retries: p.retries,
        rate_limited: p.rate_limited,
    }
}

/// Counts by kind, every kind, by the kind's name.
fn kind_counts(counts: &EntityCounts) -> Vec<(&'static str, u64)> {
    EntityKind::ALL
        .iter()
        .map(|k| (k.as_str(), counts.get(*k)))
        .collect()
}

/// Resolves where the run goes: the configured org (or `--emulator`), or with
/// `--dry-run --offline` a client that is never used (a dry run sends nothing) for a
/// reserved name that resolves nowhere.
async fn target(args: &ImportArgs) -> Result<Target, CliError> {
    if args.offline {
        let org = OrgUrl::parse("https://offline.invalid")
            .map_err(|e| CliError::failure(format!("the offline org URL: {}", e.reason)))?;
        let client = okta_idsrc::client(org, Credentials::api_token("offline"))
            .map_err(|e| CliError::failure(format!("cannot set up the client: {}", chain(&e))))?;
        let id = args
            .conn
            .source
            .clone()
            .unwrap_or_else(|| "offline".to_owned());
        return Ok(Target {
            source: client.identity_source(id),
            emulator: None,
        });
    }
    args.conn.connect().await
}

/// A dry run's one read: the sessions of the identity source, which needs the org URL, the
/// credentials and the identity source all right. Returns what it checked, in words.
async fn check_target(target: &Target) -> Result<String, Failure> {
    let source = &target.source;
    let org = target.client().context().org().as_str().to_owned();
    match source.list_sessions().await {
        Ok(sessions) => Ok(format!(
            "checked: {org} answers, the credentials are accepted and identity source {} exists ({})",
            source.id(),
            plural(sessions.len() as u64, "session", "sessions")
        )),
        Err(e) => {
            let what = match e.status().map(|s| s.as_u16()) {
                Some(401) => "the credentials were refused",
                Some(403) => "the credentials may not read this identity source",
                Some(404) => "the identity source was not found (or the URL is not an Okta org)",
                _ => "the org could not be reached",
            };
            Err(Failure::new(
                "check",
                CliError::failure(format!(
                    "dry run: {what}: {org}, identity source {}: {}",
                    source.id(),
                    chain(&e)
                )),
            ))
        }
    }
}

/// Waits for SIGINT or SIGTERM; returns the signal's name and the exit code.
async fn interrupted() -> (&'static str, u8) {
    let sigint = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            return tokio::select! {
                () = sigint => ("SIGINT", EXIT_SIGINT),
                _ = term.recv() => ("SIGTERM", EXIT_SIGTERM),
            };
        }
    }
    sigint.await;
    ("SIGINT", EXIT_SIGINT)
}

/// After an interruption without a journal: cancels the session the run had open (its
/// uploaded data is discarded), or says exactly what it left behind.
async fn clean_up(target: &Target, open: Option<&str>) -> String {
    let Some(id) = open else {
        return "no session of this run was open; if `okta-idsrc sessions list` shows a \
                CREATED session, it was being opened: cancel it with `okta-idsrc sessions \
                cancel ID`"
            .to_owned();
    };
    let source = &target.source;
    let cancelled =
        tokio::time::timeout(CANCEL_TIMEOUT, source.delete_session(id.to_owned())).await;
    let state = tokio::time::timeout(CANCEL_TIMEOUT, source.get_session(id.to_owned()))
        .await
        .ok()
        .and_then(Result::ok)
        .and_then(|s| s.status)
        .map(|s| s.as_str().to_owned());
    match (cancelled, state.as_deref()) {
        (Ok(Ok(())), _) | (_, Some("CLOSED")) => format!(
            "cancelled session {id}, which this run had open (what it had uploaded is discarded)"
        ),
        (_, Some(status @ ("TRIGGERED" | "COMPLETED"))) => format!(
            "session {id} is {status}: Okta imports what it holds (see `okta-idsrc sessions get {id}`)"
        ),
        (_, status) => format!(
            "could not cancel session {id} ({}); cancel it with `okta-idsrc sessions cancel {id}`",
            status.unwrap_or("status unknown")
        ),
    }
}

async fn execute(args: ImportArgs, seen: &Arc<Seen>) -> Result<(), Failure> {
    let input = |e| Failure::new("input", e);
    let inputs = args.map.load().map_err(input)?;
    let users = source(&args.users, |p| {
        UsersFile::new(p, args.format).map(|f| InputFile::Users(f.with_options(&inputs)))
    })
    .map_err(input)?;
    let mut sources: Vec<FileSource> = users.mapped_deactivations().into_iter().collect();
    sources.insert(0, users);
    if let Some(path) = &args.deactivate {
        sources.push(
            source(path, |p| {
                Ok(InputFile::Deactivate(IdsFile::new(p).with_options(&inputs)))
            })
            .map_err(input)?,
        );
    }
    if let Some(path) = &args.groups {
        sources.push(
            source(path, |p| {
                GroupsFile::new(p).map(|f| InputFile::Groups(f.with_options(&inputs)))
            })
            .map_err(input)?,
        );
    }
    if let Some(path) = &args.memberships {
        sources.push(
            source(path, |p| {
                MembershipsFile::new(p).map(|f| InputFile::Memberships(f.with_options(&inputs)))
            })
            .map_err(input)?,
        );
    }
    if let Some(path) = &args.remove_memberships {
        sources.push(
            source(path, |p| {
                MembershipsFile::new(p)
                    .map(|f| InputFile::RemoveMemberships(f.with_options(&inputs)))
            })
            .map_err(input)?,
        );
    }
    if let Some(path) = &args.delete_groups {
        sources.push(
            source(path, |p| {
                Ok(InputFile::DeleteGroups(
                    IdsFile::new(p).with_options(&inputs),
                ))
            })
            .map_err(input)?,
        );
    }

    let target = target(&args).await?;
    let outcome = import(&args, &target, &sources, seen).await;
    target.shutdown().await;
    outcome
}

async fn import(
    args: &ImportArgs,
    target: &Target,
    sources: &[FileSource],
    seen: &Arc<Seen>,
) -> Result<(), Failure> {
    let checked = match (args.dry_run, args.offline) {
        (true, false) => Some(check_target(target).await?),
        _ => None,
    };
    // The users the mapping skips are counted for the summary: they are not sent.
    let mapping_skipped = sources
        .iter()
        .map(|s| s.skipped().map(|ids| ids.len() as u64))
        .sum::<Result<u64, String>>()
        .map_err(|m| Failure::new("input", CliError::usage(m)))?;
    let before = target
        .emulator
        .as_ref()
        .and_then(|e| e.counts(target.source.id()));
    let display = ProgressDisplay::new();
    let on_progress = Arc::clone(&display);
    let keep = Arc::clone(seen);
    let mut options = ImportOptions::default()
        .with_concurrency(usize::from(args.concurrency))
        .with_invalid_policy(if args.skip_invalid {
            InvalidPolicy::Skip
        } else {
            InvalidPolicy::Stop
        })
        .with_cancel_stale(args.cancel_stale)
        .with_stale_after(Duration::from_secs(args.stale_after.saturating_mul(60)))
        .with_dry_run(args.dry_run)
        .with_on_progress(move |p| {
            keep.set(p);
            on_progress.update(p);
        });
    if let Some(journal) = &args.journal {
        options = options.with_journal(journal);
    }
    let inputs: Vec<&dyn InputSource> = sources.iter().map(|s| s as &dyn InputSource).collect();
    let importer = Importer::new(target.client().clone(), target.source.id(), options);
    // A signal stops the run between two requests; with a journal, the same command
    // continues, and without one the session the run had open is cancelled.
    let result = tokio::select! {
        result = importer.run(&inputs) => Ok(result),
        signal = interrupted() => Err(signal),
    };
    display.finish();
    match result {
        Err((signal, code)) => {
            let what = match &args.journal {
                Some(journal) => format!(
                    "the journal {} records how far it got: run the same command again to continue",
                    journal.display()
                ),
                None => {
                    let open = seen.get().and_then(|p| p.open_session);
                    clean_up(target, open.as_deref()).await
                }
            };
            Err(Failure::new(
                "interrupted",
                CliError {
                    code,
                    message: format!("interrupted by {signal}; {what}"),
                    details: Vec::new(),
                },
            ))
        }
        Ok(Ok(report)) => {
            let after = target
                .emulator
                .as_ref()
                .and_then(|e| e.counts(target.source.id()));
            let summary = Summary::new(
                &report,
                target,
                before.as_ref(),
                after.as_ref(),
                checked,
                mapping_skipped,
            );
            let out = summary.json(&report);
            match args.output {
                Output::Text => summary.print_text(&report),
                Output::Json => println!("{out}"),
            }
            let counts = Counts {
                entities: kind_counts(&report.accepted()),
                loads: report.loads,
                sessions: report.sessions.len() as u64,
                retries: report.retries,
                rate_limited: report.rate_limited,
            };
            crate::monitor::report(out, Some(counts));
            Ok(())
        }
        Ok(Err(e)) => Err(import_error(e)),
    }
}

/// An import error as a one-line reason (and the invalid records, one a line) with its exit
/// code — 2 for bad input, 1 for everything else — and its kind.
fn import_error(e: ImportError) -> Failure {
    let kind = match &e {
        ImportError::InvalidInput { .. } => "invalidInput",
        ImportError::EmptyInput { .. } => "emptyInput",
        ImportError::Input(_) | ImportError::InputChanged { .. } => "input",
        ImportError::JournalMismatch { .. }
        | ImportError::JournalTarget { .. }
        | ImportError::JournalVersion { .. }
        | ImportError::Journal { .. } => "journal",
        ImportError::StaleSession { .. } => "activeSession",
        ImportError::SessionFailed { .. } => "sessionFailed",
        ImportError::Api { .. } | ImportError::CooldownTimeout { .. } => "api",
        _ => "failure",
    };
    match e {
        ImportError::InvalidInput { problems, total } => {
            let error = CliError::invalid_input(&problems, total);
            Failure {
                error,
                kind,
                problems,
            }
        }
        ImportError::Input(problem) => Failure {
            error: CliError::usage(chain(&ImportError::Input(problem.clone()))),
            kind,
            problems: vec![problem],
        },
        ImportError::EmptyInput { .. }
        | ImportError::JournalMismatch { .. }
        | ImportError::JournalTarget { .. }
        | ImportError::JournalVersion { .. } => Failure::new(
            kind,
            CliError {
                code: EXIT_USAGE,
                message: chain(&e),
                details: Vec::new(),
            },
        ),
        other => Failure::new(
            kind,
            CliError {
                code: EXIT_FAILURE,
                message: chain(&other),
                details: Vec::new(),
            },
        ),
    }
}

/// What the embedded emulator shows changed: exact, since it holds the whole org.
struct Changes {
    users_created: u64,
    users_updated: u64,
    users_unchanged: u64,
    users_deactivated: u64,
    before: IdentitySourceCounts,
    after: IdentitySourceCounts,
}

/// What the summary prints besides the report.
struct Summary {
    /// Known only with the embedded emulator.
    changes: Option<Changes>,
    emulator: Option<String>,
    /// What a dry run checked online.
    checked: Option<String>,
    /// Users the mapping's `[skip]` rules leave out (distinct external ids): not sent.
    mapping_skipped: u64,
}

/// `n` and the noun for it: `1 user`, `3 users`.
fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Counts by kind as a JSON object of every kind.
fn counts_json(counts: &EntityCounts) -> Value {
    let mut out = Map::new();
    for kind in EntityKind::ALL {
        out.insert(kind.as_str().to_owned(), json!(counts.get(kind)));
    }
    Value::Object(out)
}

impl Summary {
    fn new(
        report: &ImportReport,
        target: &Target,
        before: Option<&IdentitySourceCounts>,
        after: Option<&IdentitySourceCounts>,
        checked: Option<String>,
        mapping_skipped: u64,
    ) -> Self {
        let changes = match (before, after) {
            (Some(before), Some(after)) => {
                let total = |c: &IdentitySourceCounts| (c.users_active + c.users_inactive) as u64;
                let created = total(after).saturating_sub(total(before));
                let unchanged = report.unchanged().get(EntityKind::UserUpsert);
                let upserted = report.accepted().get(EntityKind::UserUpsert);
                Some(Changes {
                    users_created: created,
                    users_updated: upserted.saturating_sub(created).saturating_sub(unchanged),
                    users_unchanged: unchanged,
                    users_deactivated: (after.users_inactive as u64)
                        .saturating_sub(before.users_inactive as u64),
                    before: before.clone(),
                    after: after.clone(),
                })
            }
            _ => None,
        };
        Self {
            changes,
            emulator: target.emulator.as_ref().map(|e| e.base_url()),
            checked,
            mapping_skipped,
        }
    }

    fn print_text(&self, report: &ImportReport) {
        if report.dry_run {
            if let Some(checked) = &self.checked {
                println!("{checked}");
            }
            println!(
                "dry run: nothing was sent; {} ({}) would take {} in {}",
                plural(
                    report.entities_by_kind.total(),
                    "valid entity",
                    "valid entities"
                ),
                report.entities_by_kind,
                plural(report.loads_total, "load", "loads"),
                plural(report.sessions_planned, "session", "sessions"),
            );
        } else {
            let accepted = report.accepted();
            let unchanged = report.unchanged();
            match &self.changes {
                Some(c) => {
                    let mut line = format!(
                        "imported: {} created, {} updated, {} deactivated",
                        plural(c.users_created, "user", "users"),
                        c.users_updated,
                        c.users_deactivated
                    );
                    if c.users_unchanged > 0 {
                        line.push_str(&format!(", {} unchanged", c.users_unchanged));
                    }
                    println!("{line}");
                    if c.before.groups != c.after.groups
                        || c.before.memberships != c.after.memberships
                    {
                        println!(
                            "  groups: {} (was {}); memberships: {} (was {})",
                            c.after.groups,
                            c.before.groups,
                            c.after.memberships,
                            c.before.memberships
                        );
                    }
                }
                None => {
                    // Okta says what it accepted, not what it changed: say no more.
                    println!("sent and accepted: {accepted}");
                    if unchanged.total() > 0 {
                        println!(
                            "  Okta changed nothing for {unchanged}: it kept their session CREATED, so they were already as sent"
                        );
                    }
                }
            }
            let resumed = if report.loads_resumed > 0 {
                format!(" ({} resumed from the journal)", report.loads_resumed)
            } else {
                String::new()
            };
            println!(
                "  {} sent{resumed}; {} ({} applied, {} failed); {}; {} answered 429; {:.2}s",
                plural(report.loads, "load", "loads"),
                plural(report.sessions.len() as u64, "session", "sessions"),
                report.sessions_applied().count(),
                report.sessions_failed().count(),
                plural(report.retries, "retry", "retries"),
                report.rate_limited,
                report.elapsed.as_secs_f64()
            );
            for s in report.sessions_failed() {
                println!("  failed: {s}");
            }
            for s in &report.stale_cancelled {
                println!("  cancelled the stale {s}");
            }
        }
        for w in report.warnings.iter().take(MAX_DETAILS) {
            println!("  warning: {w}");
        }
        if report.warnings.len() > MAX_DETAILS {
            println!(
                "  … and {} more warnings",
                report.warnings.len() - MAX_DETAILS
            );
        }
        if self.mapping_skipped > 0 {
            println!(
                "  {} the mapping skips: not sent",
                plural(self.mapping_skipped, "user", "users")
            );
        }
        if report.references_unchecked > 0 {
            println!(
                "  {} to users or groups not in this import were not looked up in Okta",
                plural(report.references_unchecked, "reference", "references")
            );
        }
        if report.has_skipped() {
            println!(
                "  skipped {}:",
                plural(report.skipped_total, "invalid entity", "invalid entities")
            );
            for e in report.skipped.iter().take(MAX_DETAILS) {
                println!("    {e}");
            }
            if report.skipped_total > MAX_DETAILS as u64 {
                println!(
                    "    … and {} more",
                    report.skipped_total - MAX_DETAILS as u64
                );
            }
        }
        if let (Some(url), Some(c), false) = (&self.emulator, &self.changes, report.dry_run) {
            let c = &c.after;
            let users = (c.users_active + c.users_inactive) as u64;
            let sessions: Vec<String> =
                c.sessions.iter().map(|(s, n)| format!("{n} {s}")).collect();
            println!(
                "emulator now holds: {} ({} active, {} inactive), {}, {}; sessions: {} ({url})",
                plural(users, "user", "users"),
                c.users_active,
                c.users_inactive,
                plural(c.groups as u64, "group", "groups"),
                plural(c.memberships as u64, "membership", "memberships"),
                if sessions.is_empty() {
                    "none".to_owned()
                } else {
                    sessions.join(", ")
                },
            );
        }
    }

    /// The report as `--output json` prints it.
    fn json(&self, report: &ImportReport) -> Value {
        let sessions: Vec<Value> = report
            .sessions
            .iter()
            .map(|s| {
                json!({
                    "id": s.id,
                    "status": s.status.as_str(),
                    "applied": s.applied,
                    "unchanged": s.unchanged,
                    "resumed": s.resumed,
                    "loads": s.loads.len(),
                })
            })
            .collect();
        let skipped: Vec<Value> = report.skipped.iter().map(problem_json).collect();
        let warnings: Vec<Value> = report.warnings.iter().map(problem_json).collect();
        let known = |f: fn(&Changes) -> u64| self.changes.as_ref().map(f);
        let mut out = json!({
            "dryRun": report.dry_run,
            "checked": self.checked,
            "elapsedSeconds": report.elapsed.as_secs_f64(),
            "entities": counts_json(&report.entities_by_kind),
            "accepted": counts_json(&report.accepted()),
            "unchanged": counts_json(&report.unchanged()),
            // What changed is known only where the whole org is: the embedded emulator.
            "users": {
                "created": known(|c| c.users_created),
                "updated": known(|c| c.users_updated),
                "unchanged": known(|c| c.users_unchanged),
                "deactivated": known(|c| c.users_deactivated),
            },
            "loads": report.loads,
            "loadsTotal": report.loads_total,
            "loadsResumed": report.loads_resumed,
            "sessionsPlanned": report.sessions_planned,
            "sessions": sessions,
            "staleCancelled": report.stale_cancelled,
            "retries": report.retries,
            "rateLimited": report.rate_limited,
            "warnings": warnings,
            "referencesUnchecked": report.references_unchecked,
            "skippedTotal": report.skipped_total,
            "skipped": skipped,
            "mappingSkipped": self.mapping_skipped,
        });
        if let (Some(url), Some(c)) = (&self.emulator, &self.changes) {
            let c = &c.after;
            let sessions: Map<String, Value> = c
                .sessions
                .iter()
                .map(|(s, n)| (s.clone(), json!(n)))
                .collect();
            out["emulator"] = json!({
                "url": url,
                "users": { "active": c.users_active, "inactive": c.users_inactive },
                "groups": c.groups,
                "memberships": c.memberships,
                "sessions": sessions,
            });
        }
        out
    }
}
