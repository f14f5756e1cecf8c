//! [`CliError`]: a one-line reason and the exit code that goes with it.

use std::fmt;
use std::process::ExitCode;

use okta_idsrc_import::InputError;

/// Exit code of an import or API failure.
pub(crate) const EXIT_FAILURE: u8 = 1;
/// Exit code of a usage or input error (bad flags, bad files): nothing was uploaded.
pub(crate) const EXIT_USAGE: u8 = 2;
/// Exit code of a sync held by a safeguard: nothing was sent.
pub(crate) const EXIT_HELD: u8 = 3;

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

    /// Invalid input, found before anything was sent (exit 2): `total` invalid entities, of
    /// which `problems` lists the first ones (each entity's problems in a row). One problem
    /// in all is one line; else the count, then [`problem_lines`].
    pub(crate) fn invalid_input(problems: &[InputError], total: u64) -> Self {
        if let ([only], 1) = (problems, total) {
            return Self::usage(format!("{only}; nothing was sent"));
        }
        let entities = if total == 1 { "entity" } else { "entities" };
        Self::usage(format!("{total} invalid {entities}; nothing was sent"))
            .with_details(problem_lines(problems, total))
    }

    /// The lines [`report`](Self::report) prints: `error: …`, then up to [`MAX_DETAILS`]
    /// detail lines and a count of the rest.
    fn lines(&self) -> Vec<String> {
        let mut lines = vec![format!("error: {}", self.message)];
        lines.extend(
            self.details
                .iter()
                .take(MAX_DETAILS)
                .map(|l| format!("  {l}")),
        );
        if self.details.len() > MAX_DETAILS {
            lines.push(format!("  … and {} more", self.details.len() - MAX_DETAILS));
        }
        lines
    }

    /// Prints the error on stderr ([`lines`](Self::lines)) and gives its exit code.
    pub(crate) fn report(&self) -> ExitCode {
        for line in self.lines() {
            eprintln!("{line}");
        }
        ExitCode::from(self.code)
    }
}

/// At most [`MAX_DETAILS`] lines for `total` invalid entities whose first problems are
/// `problems` (each entity's in a row, as the importer lists them): the problems of the
/// first entities, never one entity's cut in two unless it alone has more, then — when
/// entities are left out — `… and N more invalid entities`, N counting entities, not lines.
pub(crate) fn problem_lines(problems: &[InputError], total: u64) -> Vec<String> {
    let entity = |p: &InputError| (p.source.clone(), p.line);
    let groups: Vec<&[InputError]> = problems.chunk_by(|a, b| entity(a) == entity(b)).collect();
    // Room for the count line too, when some entities will not be shown.
    let fits = |groups: &[&[InputError]], room: usize| {
        let mut lines = 0;
        groups
            .iter()
            .take_while(|g| {
                lines += g.len();
                lines <= room
            })
            .count()
    };
    let shown = if groups.len() as u64 >= total && fits(&groups, MAX_DETAILS) == groups.len() {
        groups.len()
    } else {
        fits(&groups, MAX_DETAILS - 1)
    };
    let (mut lines, shown): (Vec<String>, usize) = match groups.first() {
        // One entity with more problems than there is room for: its first ones.
        Some(first) if shown == 0 => (
            first
                .iter()
                .take(MAX_DETAILS - 1)
                .map(InputError::to_string)
                .collect(),
            1,
        ),
        _ => (
            groups[..shown]
                .iter()
                .flat_map(|g| g.iter().map(InputError::to_string))
                .collect(),
            shown,
        ),
    };
    let rest = total.saturating_sub(shown as u64);
    if rest > 0 {
        let entities = if rest == 1 { "entity" } else { "entities" };
        lines.push(format!("… and {rest} more invalid {entities}"));
    }
    lines
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

pub(crate) use okta_idsrc_core::error::chain;

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(line: u64, field: &str) -> InputError {
        InputError::new("users.csv", "is 3 characters; at least 5 required")
            .at_line(line)
            .in_field(field)
    }

    #[test]
    fn the_count_of_the_rest_counts_entities() {
        // 301 invalid rows, of which the importer lists the first 100.
        let problems: Vec<_> = (2..102).map(|line| problem(line, "email")).collect();
        let lines = CliError::invalid_input(&problems, 301).lines();
        assert_eq!(lines[0], "error: 301 invalid entities; nothing was sent");
        assert_eq!(lines.len(), 1 + MAX_DETAILS);
        assert_eq!(
            lines[1],
            "  users.csv line 2, column email: is 3 characters; at least 5 required"
        );
        assert!(lines[MAX_DETAILS - 1].starts_with("  users.csv line 20,"));
        assert_eq!(lines[MAX_DETAILS], "  … and 282 more invalid entities");

        // Entities with two problems each: never cut in two, counted once.
        let problems: Vec<_> = (2..102)
            .flat_map(|line| [problem(line, "email"), problem(line, "secondEmail")])
            .collect();
        let lines = CliError::invalid_input(&problems, 100).lines();
        assert_eq!(lines.len(), 1 + 18 + 1);
        assert!(
            lines[18].contains("line 10, column secondEmail"),
            "{lines:?}"
        );
        assert_eq!(lines[19], "  … and 91 more invalid entities");
    }

    #[test]
    fn no_count_when_everything_is_shown() {
        let problems: Vec<_> = (2..22).map(|line| problem(line, "email")).collect();
        let lines = CliError::invalid_input(&problems, 20).lines();
        assert_eq!(lines.len(), 1 + 20);
        assert!(lines.iter().all(|l| !l.contains("more")), "{lines:?}");
        let lines = CliError::invalid_input(&problems[..2], 3).lines();
        assert_eq!(lines[3], "  … and 1 more invalid entity");
        let one = CliError::invalid_input(&problems[..1], 1);
        assert_eq!(
            one.lines(),
            [
                "error: users.csv line 2, column email: is 3 characters; at least 5 required; nothing was sent"
            ]
        );
        assert_eq!(one.code, EXIT_USAGE);
        assert_eq!(
            CliError::invalid_input(&[], 5).lines(),
            [
                "error: 5 invalid entities; nothing was sent",
                "  … and 5 more invalid entities"
            ]
        );
        // One entity with more problems than there is room for.
        let many: Vec<_> = (0..30).map(|i| problem(2, &format!("c{i}"))).collect();
        let lines = CliError::invalid_input(&many, 1).lines();
        assert_eq!(lines.len(), 1 + MAX_DETAILS - 1, "{lines:?}");
    }
}
