//! Logging on stderr: tracing's human format, or with `--log-format json` one JSON object a
//! line for log shippers — the log events, plain progress lines and the final error alike.

use std::process::ExitCode;
use std::sync::OnceLock;

use clap::ValueEnum;
use tracing_subscriber::EnvFilter;

use crate::error::CliError;

/// How log lines on stderr are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub(crate) enum LogFormat {
    /// Lines for people (colours on a terminal).
    #[default]
    Text,
    /// One JSON object a line (timestamp, level, fields), for log shippers.
    Json,
}

/// The target of the progress events, on by default (`okta_idsrc::progress=info`).
pub(crate) const PROGRESS_TARGET: &str = "okta_idsrc::progress";

/// The target of the notices (one line about what the run does), on by default too.
pub(crate) const NOTICE_TARGET: &str = "okta_idsrc::notice";

/// The format chosen by [`init`].
static FORMAT: OnceLock<LogFormat> = OnceLock::new();

/// Whether stderr carries JSON lines: then progress and errors are log events too.
pub(crate) fn json() -> bool {
    FORMAT.get() == Some(&LogFormat::Json)
}

/// Logs to stderr in `format`: `RUST_LOG` if set, else warnings (and more with `-v`), and
/// in JSON the progress events. Requests are logged by operation and status only, never
/// with a token or a profile.
pub(crate) fn init(verbose: u8, format: LogFormat, colours: bool) {
    let _ = FORMAT.set(format);
    let default = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new(match format {
            LogFormat::Text => default.to_owned(),
            LogFormat::Json => format!("{default},{PROGRESS_TARGET}=info,{NOTICE_TARGET}=info"),
        })
    });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.with_ansi(colours).with_target(false).try_init(),
        LogFormat::Json => builder
            .json()
            .with_ansi(false)
            .with_target(true)
            .with_current_span(false)
            .flatten_event(false)
            .try_init(),
    };
}

/// Says `line` on stderr: as is, or in JSON as an INFO event (target [`NOTICE_TARGET`]).
pub(crate) fn notice(line: &str) {
    if json() {
        tracing::info!(target: NOTICE_TARGET, "{line}");
    } else {
        eprintln!("{line}");
    }
}

/// Reports `e` on stderr and gives its exit code: its lines as [`CliError::report`] prints
/// them, or in JSON one error event with the exit code and the detail lines.
pub(crate) fn report(e: &CliError) -> ExitCode {
    if !json() {
        return e.report();
    }
    let details = serde_json::to_string(&e.details).unwrap_or_default();
    tracing::error!(exit_code = e.code, details = %details, "{}", e.message);
    ExitCode::from(e.code)
}
