//! The okta-idsrc command-line tool: bulk imports into an identity source (or, with
//! `--emulator`, into an embedded emulator), thin operator commands over the client, and the
//! emulator itself.
//!
//! Exit codes: 0 success, 1 import or API failure, 2 usage or input error, 130 and 143 an
//! import stopped by SIGINT (Ctrl-C) and SIGTERM — always with a one-line reason on stderr
//! (and with `import --output json`, one JSON object on stdout). Colours only on a terminal,
//! never with `NO_COLOR` set.

// Doc comments here are also clap's help text, where plain URLs read best.
#![allow(rustdoc::bare_urls)]

mod commands;
mod connect;
mod emulator_cmd;
mod error;
mod import_cmd;
mod input;
mod logging;
mod manual;
mod map_cmd;
mod mapping;
mod monitor;
mod progress;
mod sample;
mod sync_cmd;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::connect::ConnArgs;
use crate::error::CliError;

/// Okta Identity Sources toolkit.
#[derive(Debug, Parser)]
#[command(name = "okta-idsrc", version, about)]
struct Cli {
    /// More log output on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    /// How log lines on stderr are written: text, or json (one object a line) for log
    /// shippers.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = logging::LogFormat::Text, global = true)]
    log_format: logging::LogFormat,
    #[command(subcommand)]
    command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
enum Command {
    /// Import users (and deactivations, groups, memberships) from CSV or JSON Lines files.
    Import(import_cmd::ImportArgs),
    /// Run a local emulator of Okta's Identity Sources API.
    Emulator(emulator_cmd::EmulatorArgs),
    /// Manage import sessions.
    Sessions {
        #[command(flatten)]
        conn: ConnArgs,
        #[command(subcommand)]
        command: commands::SessionsCommand,
    },
    /// Manage identity source users one at a time.
    Users {
        #[command(flatten)]
        conn: ConnArgs,
        #[command(subcommand)]
        command: commands::UsersCommand,
    },
    /// Manage identity source groups one at a time.
    Groups {
        #[command(flatten)]
        conn: ConnArgs,
        #[command(subcommand)]
        command: commands::GroupsCommand,
    },
    /// List, add and remove group members one at a time.
    Memberships {
        #[command(flatten)]
        conn: ConnArgs,
        #[command(subcommand)]
        command: commands::MembershipsCommand,
    },
    /// The nightly delta sync from HR exports: plan, apply, run, status over a state file.
    Sync {
        #[command(subcommand)]
        command: sync_cmd::SyncCommand,
    },
    /// Try a mapping file on an HR export: `map check --map M USERS_FILE`.
    Map {
        #[command(subcommand)]
        command: map_cmd::MapCommand,
    },
    /// Write a deterministic sample of users (and groups, memberships) as CSV.
    #[command(hide = true)]
    Sample(sample::SampleArgs),
    /// Print a shell completion script: bash, zsh or fish.
    Completions(manual::CompletionsArgs),
    /// Print the man page (roff), or write one page per command with --out.
    #[command(visible_alias = "man")]
    Manual(manual::ManualArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(&e),
    };
    logging::init(cli.verbose, cli.log_format, colours());
    let result = match cli.command {
        Command::Emulator(args) => return emulator_cmd::run(args),
        Command::Sample(args) => sample::run(&args),
        Command::Completions(args) => manual::completions(&args),
        Command::Manual(args) => manual::manual(&args),
        Command::Map { command } => map_cmd::run(command),
        command => run_async(command),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => logging::report(&e),
    }
}

/// Prints clap's error (help and version too) and exits as clap does; with `--output json`
/// on the command line, also one JSON object on stdout, as every other exit of `import`;
/// with `--log-format json`, the error is one JSON line on stderr like every other error.
fn usage_error(e: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) || !e.use_stderr() {
        let _ = e.print();
        return ExitCode::SUCCESS;
    }
    let args: Vec<String> = std::env::args().collect();
    let given = |flag: &str, value: &str| {
        args.windows(2).any(|w| w[0] == flag && w[1] == value)
            || args.iter().any(|a| *a == format!("{flag}={value}"))
    };
    let rendered = e.render().to_string();
    let message = rendered
        .lines()
        .next()
        .unwrap_or_default()
        .trim_start_matches("error: ");
    if given("--output", "json") {
        let out = serde_json::json!({
            "error": { "kind": "usage", "message": message, "exitCode": error::EXIT_USAGE },
        });
        println!("{out}");
    }
    if given("--log-format", "json") {
        logging::init(0, logging::LogFormat::Json, false);
        return logging::report(&CliError::usage(message));
    }
    let _ = e.print();
    ExitCode::from(error::EXIT_USAGE)
}

/// Whether stderr gets ANSI colours: only on a terminal, and never with `NO_COLOR` set (to
/// anything but the empty string).
fn colours() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Runs a command that talks to an org (or the embedded emulator) on a tokio runtime.
fn run_async(command: Command) -> Result<(), CliError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::failure(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async move {
        match command {
            Command::Import(args) => import_cmd::run(args).await,
            Command::Sync { command } => sync_cmd::run(command).await,
            Command::Sessions { conn, command } => commands::sessions(&conn, command).await,
            Command::Users { conn, command } => commands::users(&conn, command).await,
            Command::Groups { conn, command } => commands::groups(&conn, command).await,
            Command::Memberships { conn, command } => commands::memberships(&conn, command).await,
            Command::Emulator(_)
            | Command::Sample(_)
            | Command::Completions(_)
            | Command::Manual(_)
            | Command::Map { .. } => unreachable!("run without a runtime"),
        }
    })
}
