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

/// What is wrong with an input file: the line (1-based) and the column or field, when
/// known, and a message in the words of the file (`is 101 characters; at most 100
/// allowed`).
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
            message: message.into(),
        }
    }

    /// A problem on `line`.
    pub(crate) fn at(line: u64, message: impl Into<String>) -> Self {
        Self {
            line: Some(line),
            column: None,
            message: message.into(),
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
            column: Some(column.into()),
            message: message.into(),
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
