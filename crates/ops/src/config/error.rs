//! [`ConfigError`] and the [`Origin`] of a bad value.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// Where a configuration value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Origin {
    /// An environment variable.
    Env(&'static str),
    /// A field of [`Config`](super::Config) set in code.
    Code(&'static str),
    /// A key of a YAML file (`okta.client.…`).
    File {
        /// The file.
        path: PathBuf,
        /// The key's full path, e.g. `okta.client.connectionTimeout`.
        key: String,
    },
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Env(name) => f.write_str(name),
            Self::Code(field) => write!(f, "Config::{field}"),
            Self::File { path, key } => write!(f, "{}: {key}", path.display()),
        }
    }
}

/// A configuration that cannot be loaded or used.
///
/// Messages name the variable or the file and key, and quote the bad value — never a token
/// or a password.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A value of the wrong type or out of range.
    #[error("{origin}: {message}")]
    Invalid {
        /// The variable, or the file and key.
        origin: Origin,
        /// What is wrong, with the value when it is not secret.
        message: String,
    },
    /// A configuration file that exists but cannot be read.
    #[error("cannot read {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// A configuration file that is not YAML, or not of Okta's shape.
    #[error("{}: {message}", path.display())]
    Yaml {
        /// The file.
        path: PathBuf,
        /// What is wrong and where.
        message: String,
    },
    /// A setting that no source gives but that is required.
    #[error("{0}")]
    Missing(&'static str),
}
