//! [`InputProblem`]: what is wrong with an input file, and where.

use std::fmt;

/// An entity read from a file, with the line it starts on (1-based).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Located<T> {
    /// The line the entity starts on.
    pub line: u64,
    /// The entity.
    pub value: T,
}

/// The most characters a problem's message keeps, and its column name: what the input
/// puts in either (a header name, a value the JSON parser quotes) is cut to an excerpt.
const MAX_MESSAGE_CHARS: usize = 300;
/// See [`MAX_MESSAGE_CHARS`].
const MAX_COLUMN_CHARS: usize = 100;

/// `text`, cut after `max` characters (an ellipsis marking the cut).
fn excerpt(text: String, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text,
        Some((cut, _)) => {
            let mut text = text;
            text.truncate(cut);
            text.push('…');
            text
        }
    }
}

/// What is wrong with an input file: the line (1-based) and the column or field, when
/// known, and a message in the words of the file (`is 101 characters; at most 100
/// allowed`), both cut to a short excerpt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InputProblem {
    /// The line, when the problem is on one.
    pub line: Option<u64>,
    /// The CSV column or JSON field, when the problem is in one.
    pub column: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl InputProblem {
    /// A problem with the whole file (it cannot be opened, it is empty…).
    pub(crate) fn file(message: impl Into<String>) -> Self {
        Self {
            line: None,
            column: None,
            message: excerpt(message.into(), MAX_MESSAGE_CHARS),
        }
    }

    /// A problem on `line`.
    pub(crate) fn at(line: u64, message: impl Into<String>) -> Self {
        Self {
            line: Some(line),
            column: None,
            message: excerpt(message.into(), MAX_MESSAGE_CHARS),
        }
    }

    /// A problem in `column` of `line`.
    pub(crate) fn in_column(
        line: u64,
        column: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            line: Some(line),
            column: Some(excerpt(column.into(), MAX_COLUMN_CHARS)),
            message: excerpt(message.into(), MAX_MESSAGE_CHARS),
        }
    }
}

impl fmt::Display for InputProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, &self.column) {
            (Some(line), Some(column)) => write!(f, "line {line}, column {column}: ")?,
            (Some(line), None) => write!(f, "line {line}: ")?,
            (None, Some(column)) => write!(f, "column {column}: ")?,
            (None, None) => {}
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for InputProblem {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_and_columns_are_cut_to_an_excerpt() {
        let p = InputProblem::in_column(
            3,
            "c".repeat(5000),
            format!("unknown field `{}`", "é".repeat(100_000)),
        );
        assert_eq!(
            p.column.as_deref().map(|c| c.chars().count()),
            Some(MAX_COLUMN_CHARS + 1)
        );
        assert!(p.column.as_deref().unwrap().ends_with('…'));
        assert_eq!(p.message.chars().count(), MAX_MESSAGE_CHARS + 1);
        assert!(p.message.starts_with("unknown field `éé"));
        assert!(p.to_string().len() < 1000);
        let short = InputProblem::at(1, "the header row is empty");
        assert_eq!(short.to_string(), "line 1: the header row is empty");
        assert_eq!(
            InputProblem::file("x".repeat(MAX_MESSAGE_CHARS))
                .message
                .len(),
            MAX_MESSAGE_CHARS
        );
    }
}
