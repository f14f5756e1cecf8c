//! `okta-idsrc map check`: a mapping tried on an export before the first run — the first
//! rows as Okta will receive them, and every problem in the whole file.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Subcommand};
use okta_idsrc_core::bulk::EncodedEntity;
use okta_idsrc_import::{Entity, EntityKind, InputError, Record, check_record, repeated_id};
use serde_json::{Value, json};

use crate::error::{CliError, EXIT_USAGE};
use crate::import_cmd::Output;
use crate::input::{FileSource, Format, InputFile, Located, Mapped, UsersFile};
use crate::mapping::MapArgs;

/// `okta-idsrc map …`.
#[derive(Debug, Subcommand)]
pub(crate) enum MapCommand {
    /// Read a users export through a mapping: print the first rows as mapped and every
    /// problem in the file (exit 2 if any); send nothing.
    Check(CheckArgs),
}

/// Options of `map check`.
#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// The users export (CSV or JSON Lines, `-` for stdin).
    #[arg(value_name = "USERS_FILE")]
    users: PathBuf,
    #[command(flatten)]
    map: MapArgs,
    /// The users file's format (default: from its extension).
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// How many rows to print as mapped.
    #[arg(long, value_name = "N", default_value_t = 5)]
    rows: usize,
    /// How to print the result.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    output: Output,
}

/// A row as printed.
fn row_json(line: u64, mapped: &Mapped) -> Value {
    match mapped {
        Mapped::Upsert(user) => json!({ "line": line, "action": "upsert", "user": user }),
        Mapped::Deactivate {
            external_id,
            because,
        } => {
            json!({ "line": line, "action": "deactivate", "externalId": external_id, "rule": because })
        }
        Mapped::Skip {
            external_id,
            because,
        } => json!({ "line": line, "action": "skip", "externalId": external_id, "rule": because }),
    }
}

/// Runs `okta-idsrc map …`.
pub(crate) fn run(command: MapCommand) -> Result<(), CliError> {
    let MapCommand::Check(args) = command;
    if args.map.map.is_none() {
        return Err(CliError::usage("map check needs --map MAPPING.toml"));
    }
    let inputs = args.map.load()?;
    let source = FileSource::from_arg(&args.users, |p| {
        UsersFile::new(p, args.format).map(|f| InputFile::Users(f.with_options(&inputs)))
    })
    .map_err(CliError::usage)?;
    let name: Arc<str> = Arc::from(okta_idsrc_import::InputSource::name(&source));
    let Some(rows) = source.mapped_rows() else {
        return Err(CliError::usage("not a users file"));
    };
    let rows = rows.map_err(|e| CliError::usage(e.to_string()))?;
    let (mut upserts, mut deactivations, mut skipped) = (0u64, 0u64, 0u64);
    let mut shown = Vec::new();
    let mut problems: Vec<InputError> = Vec::new();
    let mut total_problems = 0u64;
    let mut encoded = EncodedEntity::new();
    // Each external id's first row and what it does there.
    let mut first: HashMap<String, (u64, EntityKind)> = HashMap::new();
    let mut note = |found: Vec<InputError>, problems: &mut Vec<InputError>| {
        for p in found {
            total_problems += 1;
            if problems.len() < 1000 {
                problems.push(p);
            }
        }
    };
    for row in rows {
        let Located { line, value } = match row {
            Ok(r) => r,
            Err(e) => {
                note(vec![e], &mut problems);
                continue;
            }
        };
        let entity = match &value {
            Mapped::Upsert(user) => {
                upserts += 1;
                Entity::UserUpsert(user.clone())
            }
            Mapped::Deactivate { external_id, .. } => {
                deactivations += 1;
                Entity::UserDeactivate(external_id.clone())
            }
            Mapped::Skip { .. } => {
                skipped += 1;
                if shown.len() < args.rows {
                    shown.push((line, value));
                }
                continue;
            }
        };
        let record = Record {
            source: Arc::clone(&name),
            line,
            entity,
        };
        match check_record(&record, &mut encoded) {
            Err(found) => note(found, &mut problems),
            // An id on two rows: a duplicate, or upserted and deactivated, as import says.
            // (A mapped row is a user upsert or deactivation; nothing else has a user id.)
            Ok(()) => {
                let id = match &record.entity {
                    Entity::UserUpsert(u) => u.external_id.as_deref(),
                    Entity::UserDeactivate(id) => Some(id.as_str()),
                    _ => None,
                };
                if let Some(id) = id {
                    match first.get(id) {
                        Some(&(first_line, kind)) => note(
                            vec![repeated_id(&record, (&name, first_line), kind)],
                            &mut problems,
                        ),
                        None => {
                            first.insert(id.to_owned(), (line, record.entity.kind()));
                        }
                    }
                }
            }
        }
        if shown.len() < args.rows {
            shown.push((line, value));
        }
    }
    let rows = upserts + deactivations + skipped;
    match args.output {
        Output::Text => {
            for (line, mapped) in &shown {
                match mapped {
                    Mapped::Upsert(user) => println!(
                        "line {line}: upsert {}",
                        serde_json::to_string(user).unwrap_or_default()
                    ),
                    Mapped::Deactivate {
                        external_id,
                        because,
                    } => println!("line {line}: deactivate {external_id} ({because})"),
                    Mapped::Skip {
                        external_id,
                        because,
                    } => println!("line {line}: skip {external_id} ({because})"),
                }
            }
            println!(
                "{name}: {rows} rows: {upserts} upserts, {deactivations} deactivations, {skipped} skipped; {}",
                match total_problems {
                    0 => "no problem".to_owned(),
                    1 => "1 problem".to_owned(),
                    n => format!("{n} problems"),
                }
            );
            for p in &problems {
                println!("  {p}");
            }
            if total_problems > problems.len() as u64 {
                println!("  … and {} more", total_problems - problems.len() as u64);
            }
        }
        Output::Json => {
            let problems: Vec<Value> = problems
                .iter()
                .map(|e| json!({ "source": &*e.source, "line": e.line, "field": e.field, "message": e.message }))
                .collect();
            let out = json!({
                "source": &*name,
                "rows": shown.iter().map(|(l, m)| row_json(*l, m)).collect::<Vec<_>>(),
                "counts": { "rows": rows, "upserts": upserts, "deactivations": deactivations, "skipped": skipped },
                "problemsTotal": total_problems,
                "problems": problems,
            });
            println!("{out}");
        }
    }
    if total_problems > 0 {
        return Err(CliError {
            code: EXIT_USAGE,
            message: format!(
                "{name}: {total_problems} problem{} found through the mapping",
                if total_problems == 1 { "" } else { "s" }
            ),
            details: Vec::new(),
        });
    }
    Ok(())
}
