//! The okta-idsrc command-line tool.

mod emulator_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Okta Identity Sources toolkit.
#[derive(Debug, Parser)]
#[command(name = "okta-idsrc", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
enum Command {
    /// Run a local emulator of Okta's Identity Sources API.
    Emulator(emulator_cmd::EmulatorArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Emulator(args) => emulator_cmd::run(args),
    }
}
