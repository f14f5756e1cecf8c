//! `okta-idsrc import`: users (and deactivations, groups, memberships) from files into an
//! identity source, through the bulk importer.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Args, ValueEnum};
use okta_idsrc_emulator::IdentitySourceCounts;
use okta_idsrc_import::{
    EntityKind, ImportError, ImportOptions, ImportReport, Importer, InputError, InputSource,
    InvalidPolicy,
};
use serde_json::{Map, Value, json};

use crate::connect::{ConnArgs, Target};
use crate::error::{CliError, EXIT_FAILURE, EXIT_USAGE, MAX_DETAILS, chain};
use crate::input::{
    FileSource, Format, GroupsFile, IdsFile, InputFile, InputProblem, MembershipsFile, UsersFile,
};
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
    /// The users file's format (default: from its extension).
    #[arg(long, value_enum)]
    format: Option<Format>,
    #[command(flatten)]
    conn: ConnArgs,
    /// Bulk loads in flight at once.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    concurrency: u16,
    /// A journal file that makes the import resumable: run again with the same journal to
    /// finish an interrupted import.
    #[arg(long, value_name = "FILE")]
    journal: Option<PathBuf>,
    /// Check the input and show the loads and sessions it would take; send nothing.
    #[arg(long)]
    dry_run: bool,
    /// Import the valid entities and list the invalid ones, instead of stopping.
    #[arg(long)]
    skip_invalid: bool,
    /// Cancel an active session this import did not start, instead of stopping.
    #[arg(long)]
    cancel_stale: bool,
    /// How to print the summary.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    output: Output,
}

/// A file argument as an input source, named as given.
fn source(
    path: &Path,
    open: impl FnOnce(&Path) -> Result<InputFile, InputProblem>,
) -> Result<FileSource, CliError> {
    let name = path.display().to_string();
    let file = open(path).map_err(|p| CliError::usage(format!("{name}: {p}")))?;
    if !path.is_file() {
        return Err(CliError::usage(format!("{name}: no such file")));
    }
    Ok(FileSource::new(name, file))
}

/// Runs `okta-idsrc import`.
pub(crate) async fn run(args: ImportArgs) -> Result<(), CliError> {
    let mut sources: Vec<FileSource> = vec![source(&args.users, |p| {
        UsersFile::new(p, args.format).map(InputFile::Users)
    })?];
    if let Some(path) = &args.deactivate {
        sources.push(source(path, |p| {
            Ok(InputFile::Deactivate(IdsFile::new(p)))
        })?);
    }
    if let Some(path) = &args.groups {
        sources.push(source(path, |p| GroupsFile::new(p).map(InputFile::Groups))?);
    }
    if let Some(path) = &args.memberships {
        sources.push(source(path, |p| {
            MembershipsFile::new(p).map(InputFile::Memberships)
        })?);
    }

    let target = args.conn.connect().await?;
    let before = target
        .emulator
        .as_ref()
        .and_then(|e| e.counts(target.source.id()));
    let display = ProgressDisplay::new();
    let on_progress = Arc::clone(&display);
    let mut options = ImportOptions::default()
        .with_concurrency(usize::from(args.concurrency))
        .with_invalid_policy(if args.skip_invalid {
            InvalidPolicy::Skip
        } else {
            InvalidPolicy::Stop
        })
        .with_cancel_stale(args.cancel_stale)
        .with_dry_run(args.dry_run)
        .with_on_progress(move |p| on_progress.update(p));
    if let Some(journal) = &args.journal {
        options = options.with_journal(journal);
    }
    let inputs: Vec<&dyn InputSource> = sources.iter().map(|s| s as &dyn InputSource).collect();
    let importer = Importer::new(target.client().clone(), target.source.id(), options);
    // Ctrl-C stops the run between two requests; with a journal, the same command continues.
    let result = tokio::select! {
        result = importer.run(&inputs) => Some(result),
        Ok(()) = tokio::signal::ctrl_c() => None,
    };
    display.finish();
    let outcome = match result {
        None => Err(CliError::failure(match &args.journal {
            Some(journal) => format!(
                "interrupted; run the same command again (with --journal {}) to continue",
                journal.display()
            ),
            None => "interrupted; nothing records how far it got (use --journal FILE to make an import resumable)".to_owned(),
        })),
        Some(Ok(report)) => {
            let after = target
                .emulator
                .as_ref()
                .and_then(|e| e.counts(target.source.id()));
            let summary = Summary::new(&report, &target, before.as_ref(), after.as_ref());
            match args.output {
                Output::Text => summary.print_text(&report),
                Output::Json => summary.print_json(&report),
            }
            Ok(())
        }
        Some(Err(e)) => Err(import_error(e)),
    };
    target.shutdown().await;
    outcome
}

/// An import error as a one-line reason (and the invalid records, one a line) with its exit
/// code: 2 for bad input, 1 for everything else.
fn import_error(e: ImportError) -> CliError {
    match e {
        ImportError::InvalidInput { problems, total } => {
            if total == 1 && problems.len() == 1 {
                CliError::usage(format!("{}; nothing was sent", problems[0]))
            } else {
                let entities = if total == 1 { "entity" } else { "entities" };
                let mut details: Vec<String> = problems.iter().map(InputError::to_string).collect();
                if (problems.len() as u64) < total {
                    details.push(format!("({} invalid entities in all)", total));
                }
                CliError::usage(format!("{total} invalid {entities}; nothing was sent"))
                    .with_details(details)
            }
        }
        ImportError::EmptyInput { .. }
        | ImportError::Input(_)
        | ImportError::JournalMismatch { .. }
        | ImportError::JournalTarget { .. } => CliError {
            code: EXIT_USAGE,
            message: chain(&e),
            details: Vec::new(),
        },
        other => CliError {
            code: EXIT_FAILURE,
            message: chain(&other),
            details: Vec::new(),
        },
    }
}

/// Users created, updated and deactivated by the run.
struct UserChanges {
    created: u64,
    updated: u64,
    deactivated: u64,
    /// Whether the numbers come from the emulator's state (else from the sessions).
    from_emulator: bool,
}

/// What the summary prints besides the report.
struct Summary {
    users: UserChanges,
    emulator: Option<(String, IdentitySourceCounts)>,
}

/// `n` and the noun for it: `1 user`, `3 users`.
fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Applied entities of `kind` in the report's completed sessions.
fn applied(report: &ImportReport, kind: EntityKind) -> u64 {
    report
        .sessions_applied()
        .map(|s| s.entities_by_kind.get(kind))
        .sum()
}

impl Summary {
    fn new(
        report: &ImportReport,
        target: &Target,
        before: Option<&IdentitySourceCounts>,
        after: Option<&IdentitySourceCounts>,
    ) -> Self {
        let users = match (before, after) {
            (Some(before), Some(after)) => {
                let total = |c: &IdentitySourceCounts| (c.users_active + c.users_inactive) as u64;
                let created = total(after).saturating_sub(total(before));
                UserChanges {
                    created,
                    updated: applied(report, EntityKind::UserUpsert).saturating_sub(created),
                    deactivated: (after.users_inactive as u64)
                        .saturating_sub(before.users_inactive as u64),
                    from_emulator: true,
                }
            }
            _ => UserChanges {
                created: 0,
                updated: applied(report, EntityKind::UserUpsert),
                deactivated: applied(report, EntityKind::UserDeactivate),
                from_emulator: false,
            },
        };
        let emulator = match (after, &target.emulator) {
            (Some(after), Some(e)) => Some((e.base_url(), after.clone())),
            _ => None,
        };
        Self { users, emulator }
    }

    fn print_text(&self, report: &ImportReport) {
        if report.dry_run {
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
            let u = &self.users;
            if u.from_emulator {
                println!(
                    "imported: {} created, {} updated, {} deactivated",
                    plural(u.created, "user", "users"),
                    u.updated,
                    u.deactivated
                );
            } else {
                println!(
                    "imported: {} upserted, {} deactivated",
                    plural(u.updated, "user", "users"),
                    u.deactivated
                );
            }
            let groups = applied(report, EntityKind::GroupUpsert);
            let members = applied(report, EntityKind::MembershipUpsert);
            if groups + members > 0 {
                println!(
                    "  {} upserted, {} added",
                    plural(groups, "group", "groups"),
                    plural(members, "membership", "memberships")
                );
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
        if let (Some((url, c)), false) = (&self.emulator, report.dry_run) {
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

    fn print_json(&self, report: &ImportReport) {
        let mut entities = Map::new();
        for kind in EntityKind::ALL {
            entities.insert(
                kind.as_str().to_owned(),
                json!(report.entities_by_kind.get(kind)),
            );
        }
        let sessions: Vec<Value> = report
            .sessions
            .iter()
            .map(|s| {
                json!({
                    "id": s.id,
                    "status": s.status.as_str(),
                    "applied": s.applied,
                    "resumed": s.resumed,
                    "loads": s.loads.len(),
                })
            })
            .collect();
        let skipped: Vec<Value> = report
            .skipped
            .iter()
            .map(|e| json!({ "source": &*e.source, "line": e.line, "field": e.field, "message": e.message }))
            .collect();
        let u = &self.users;
        let mut out = json!({
            "dryRun": report.dry_run,
            "elapsedSeconds": report.elapsed.as_secs_f64(),
            "entities": entities,
            "users": {
                "created": if u.from_emulator { json!(u.created) } else { Value::Null },
                "updated": if u.from_emulator { json!(u.updated) } else { Value::Null },
                "upserted": applied(report, EntityKind::UserUpsert),
                "deactivated": u.deactivated,
            },
            "loads": report.loads,
            "loadsTotal": report.loads_total,
            "loadsResumed": report.loads_resumed,
            "sessionsPlanned": report.sessions_planned,
            "sessions": sessions,
            "retries": report.retries,
            "rateLimited": report.rate_limited,
            "skippedTotal": report.skipped_total,
            "skipped": skipped,
        });
        if let Some((url, c)) = &self.emulator {
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
        println!("{out}");
    }
}
