//! [`Format`]: CSV or JSON Lines, from `--format` or the file's extension.

use std::path::Path;

use super::InputProblem;

/// The format of an input file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// Comma-separated values with a header row.
    Csv,
    /// One JSON object per line (`.jsonl`, `.ndjson`).
    #[value(name = "jsonl", alias = "ndjson")]
    JsonLines,
}

impl Format {
    /// The format its extension names: `.csv`, or `.jsonl` / `.ndjson` / `.json`.
    pub(crate) fn from_path(path: &Path) -> Result<Self, InputProblem> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("csv" | "tsv") => Ok(Self::Csv),
            Some("jsonl" | "ndjson" | "json") => Ok(Self::JsonLines),
            _ => Err(InputProblem::file(
                "cannot tell its format from the extension (.csv, .tsv, .jsonl or .ndjson) or, on stdin, from its first line; use --format csv|jsonl",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_extension() {
        assert_eq!(
            Format::from_path(Path::new("a/users.CSV")).unwrap(),
            Format::Csv
        );
        assert_eq!(
            Format::from_path(Path::new("users.ndjson")).unwrap(),
            Format::JsonLines
        );
        assert_eq!(
            Format::from_path(Path::new("users.jsonl")).unwrap(),
            Format::JsonLines
        );
        assert!(Format::from_path(Path::new("users.txt")).is_err());
        assert!(Format::from_path(Path::new("users")).is_err());
    }
}
