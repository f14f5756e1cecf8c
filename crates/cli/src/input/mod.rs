//! Input files: users (CSV or JSON Lines), external ids to deactivate, groups and
//! memberships, read as streams of entities with their 1-based line numbers.
//!
//! Every reader opens its file on [`open`](UsersFile::open) and can be opened again, so a
//! file can be checked in full before anything is uploaded and then read a second time to
//! upload it. In CSV files the header is line 1 and data starts at line 2.

mod arg;
mod body;
mod csv_users;
mod format;
mod groups;
mod ids;
mod jsonl;
mod lines;
mod memberships;
mod problem;
mod source;
mod table;

pub(crate) use body::read_json_body;
pub(crate) use csv_users::Attribute;
pub(crate) use format::Format;
pub(crate) use groups::GroupsFile;
pub(crate) use ids::IdsFile;
pub(crate) use memberships::MembershipsFile;
pub(crate) use problem::{InputProblem, Located};
pub(crate) use source::{FileSource, InputFile};

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use okta_idsrc_core::models::BulkUpsertRequestBodyProfilesInner;

/// A stream of located entities, or problems.
pub(crate) type Entries<T> = Box<dyn Iterator<Item = Result<Located<T>, InputProblem>> + Send>;

/// Opens `path` for reading (each reader buffers it in its [`lines::Input`]).
fn open_file(path: &Path) -> Result<File, InputProblem> {
    File::open(path).map_err(|e| InputProblem::file(format!("cannot open it: {e}")))
}

/// Whether a file holds no byte at all.
fn is_empty_file(path: &Path) -> Result<bool, InputProblem> {
    let mut reader = open_file(path)?;
    let mut byte = [0u8; 1];
    reader
        .read(&mut byte)
        .map(|n| n == 0)
        .map_err(|e| InputProblem::file(format!("cannot read it: {e}")))
}

/// A CSV or JSON Lines file.
#[derive(Debug, Clone)]
struct TableFile {
    path: PathBuf,
    format: Format,
}

impl TableFile {
    /// The file at `path` in `format` (from the extension when `None`).
    fn new(path: impl Into<PathBuf>, format: Option<Format>) -> Result<Self, InputProblem> {
        let path = path.into();
        let format = match format {
            Some(f) => f,
            None => Format::from_path(&path)?,
        };
        Ok(Self { path, format })
    }

    /// Opens the file (again) for reading, unless it holds no byte at all: then the problem
    /// is `empty`, saying what the file should hold.
    fn open(&self, empty: &str) -> Result<File, InputProblem> {
        open_nonempty(&self.path, empty)
    }
}

/// Opens `path` for reading, unless it holds no byte at all: then the problem is `empty`,
/// saying what the file should hold.
fn open_nonempty(path: &Path, empty: &str) -> Result<File, InputProblem> {
    if is_empty_file(path)? {
        return Err(InputProblem::file(empty));
    }
    open_file(path)
}

/// A users file: CSV (a header row with `externalId` and profile attributes) or JSON Lines
/// (`{"externalId":…,"profile":{…}}` per line).
#[derive(Debug, Clone)]
pub(crate) struct UsersFile(TableFile);

impl UsersFile {
    /// A users file at `path` in `format` (from the extension when `None`).
    pub(crate) fn new(
        path: impl Into<PathBuf>,
        format: Option<Format>,
    ) -> Result<Self, InputProblem> {
        TableFile::new(path, format).map(Self)
    }

    /// Opens the file (again) and streams its users.
    pub(crate) fn open(&self) -> Result<Entries<BulkUpsertRequestBodyProfilesInner>, InputProblem> {
        let empty = match self.0.format {
            Format::Csv => {
                "is empty; expected a header row naming externalId and profile attributes"
            }
            Format::JsonLines => {
                "is empty; expected one {\"externalId\":…,\"profile\":{…}} per line"
            }
        };
        let reader = self.0.open(empty)?;
        Ok(match self.0.format {
            Format::Csv => Box::new(csv_users::CsvUsers::new(reader)?),
            Format::JsonLines => Box::new(jsonl::JsonLines::new(reader)),
        })
    }
}
