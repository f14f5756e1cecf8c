//! Mapping files (`--map mapping.toml`): HR columns to Okta attributes, derived attributes,
//! and the rules that skip rows or make them deactivations. See docs/mapping.md.

mod file;
pub(crate) mod template;

use std::path::PathBuf;
use std::sync::Arc;

pub(crate) use file::{Mapping, Renames, Target, Unmapped};

use crate::error::CliError;

/// `--map`, as `import` and `sync plan|run` take it.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct MapArgs {
    /// A mapping file (TOML): HR columns to Okta attributes, derived attributes, rows to
    /// skip or deactivate (see docs/mapping.md).
    #[arg(long, value_name = "MAPPING.toml")]
    pub(crate) map: Option<PathBuf>,
    /// The field delimiter of CSV inputs: one character (`';'`), or `tab` / `'\t'`
    /// (default: `,`, and a tab for `.tsv` files).
    #[arg(long, value_name = "CHAR", value_parser = parse_delimiter)]
    pub(crate) delimiter: Option<u8>,
}

/// How input files are read: through a mapping, with a delimiter.
#[derive(Debug, Clone, Default)]
pub(crate) struct InputOptions {
    /// The mapping file, loaded.
    pub(crate) mapping: Option<Arc<Mapping>>,
    /// The CSV delimiter, when given.
    pub(crate) delimiter: Option<u8>,
}

/// `--delimiter`: one ASCII character, or `tab` / `\t`.
fn parse_delimiter(text: &str) -> Result<u8, String> {
    match text {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        _ => match text.as_bytes() {
            [b] if b.is_ascii() && !matches!(b, b'"' | b'\n' | b'\r') => Ok(*b),
            _ => Err("expected one ASCII character other than a quote or a line break (such as ';' or '|'), or tab".to_owned()),
        },
    }
}

impl MapArgs {
    /// The mapping, loaded (a usage error, exit 2, when it is not a good one), and the
    /// delimiter.
    pub(crate) fn load(&self) -> Result<InputOptions, CliError> {
        let mapping = self
            .map
            .as_deref()
            .map(|p| Mapping::load(p).map(Arc::new).map_err(CliError::usage))
            .transpose()?;
        Ok(InputOptions {
            mapping,
            delimiter: self.delimiter,
        })
    }
}
