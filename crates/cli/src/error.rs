//! [`CliError`]: a one-line reason and the exit code that goes with it.

use std::fmt;
use std::process::ExitCode;

/// Exit code of an import or API failure.
pub(crate) const EXIT_FAILURE: u8 = 1;
/// Exit code of a usage or input error (bad flags, bad files): nothing was uploaded.
pub(crate) const EXIT_USAGE: u8 = 2;

/// How many detail lines are printed before the rest is counted.
pub(crate) const MAX_DETAILS: usize = 20;

/// Why a command failed: the exit code, one line, and optional detail lines (each invalid
/// record, say) printed after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CliError {
    /// The process exit code: [`EXIT_FAILURE`] or [`EXIT_USAGE`].
    pub code: u8,
    /// The reason, one line.
    pub message: String,
    /// More lines, at most [`MAX_DETAILS`] of them printed.
    pub details: Vec<String>,
}

impl CliError {
    /// A usage or input error (exit 2).
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Self {
            code: EXIT_USAGE,
            message: message.into(),
            details: Vec::new(),
        }
    }

    /// An import or API failure (exit 1).
    pub(crate) fn failure(message: impl Into<String>) -> Self {
        Self {
            code: EXIT_FAILURE,
            message: message.into(),
            details: Vec::new(),
        }
    }

    /// The same error with detail lines.
    #[must_use]
    pub(crate) fn with_details(mut self, details: Vec<String>) -> Self {
        self.details = details;
        self
    }

    /// Prints the error on stderr (`error: …`, then up to [`MAX_DETAILS`] detail lines and a
    /// count of the rest) and gives its exit code.
    pub(crate) fn report(&self) -> ExitCode {
        eprintln!("error: {}", self.message);
        for line in self.details.iter().take(MAX_DETAILS) {
            eprintln!("  {line}");
        }
        if self.details.len() > MAX_DETAILS {
            eprintln!("  … and {} more", self.details.len() - MAX_DETAILS);
        }
        ExitCode::from(self.code)
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

impl From<okta_idsrc_core::Error> for CliError {
    /// Invalid requests (refused before sending) are usage errors; anything Okta or the
    /// network said is a failure. The message is the error's chain, never a token.
    fn from(e: okta_idsrc_core::Error) -> Self {
        use okta_idsrc_core::Error;
        let message = chain(&e);
        match e {
            Error::Validation(_) | Error::InvalidRequest(_) => Self::usage(message),
            _ => Self::failure(message),
        }
    }
}

impl From<okta_idsrc_ops::ConfigError> for CliError {
    fn from(e: okta_idsrc_ops::ConfigError) -> Self {
        Self::usage(chain(&e))
    }
}

/// An error and its sources, joined with `: `.
pub(crate) fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}
