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
}

impl MapArgs {
    /// The mapping, loaded (a usage error, exit 2, when it is not a good one).
    pub(crate) fn load(&self) -> Result<Option<Arc<Mapping>>, CliError> {
        self.map
            .as_deref()
            .map(|p| Mapping::load(p).map(Arc::new).map_err(CliError::usage))
            .transpose()
    }
}
