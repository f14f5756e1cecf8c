//! `okta-idsrc completions SHELL` and `okta-idsrc manual`: shell completions (clap_complete)
//! and roff man pages (clap_mangen), both from the command line's own definition.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use crate::error::CliError;

/// Options of `okta-idsrc completions`.
#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell: bash, zsh, fish (or elvish, powershell).
    #[arg(value_enum, value_name = "SHELL")]
    shell: Shell,
}

/// Options of `okta-idsrc manual`.
#[derive(Debug, Args)]
pub(crate) struct ManualArgs {
    /// Write one page per command and subcommand (okta-idsrc.1, okta-idsrc-sync-run.1, …)
    /// into this directory instead of printing the main page.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

/// The command line's definition, named as the binary is.
fn command() -> clap::Command {
    crate::Cli::command().name("okta-idsrc")
}

/// Prints the completion script for the shell on stdout.
pub(crate) fn completions(args: &CompletionsArgs) -> Result<(), CliError> {
    let mut cmd = command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "okta-idsrc", &mut out);
    write_stdout(&out)
}

/// Prints the man page on stdout, or writes every page into `--out`.
pub(crate) fn manual(args: &ManualArgs) -> Result<(), CliError> {
    let cmd = command();
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir)
            .map_err(|e| CliError::failure(format!("cannot create {}: {e}", dir.display())))?;
        return clap_mangen::generate_to(cmd, dir).map_err(|e| {
            CliError::failure(format!(
                "cannot write the man pages to {}: {e}",
                dir.display()
            ))
        });
    }
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd)
        .render(&mut out)
        .map_err(|e| CliError::failure(format!("cannot render the man page: {e}")))?;
    write_stdout(&out)
}

/// Writes `bytes` to stdout; a closed pipe (`| head`) is no error.
fn write_stdout(bytes: &[u8]) -> Result<(), CliError> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(CliError::failure(format!("cannot write to stdout: {e}")))
        }
        _ => Ok(()),
    }
}
