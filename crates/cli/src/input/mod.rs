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
mod mapped;
mod memberships;
mod problem;
mod source;
mod table;

pub(crate) use body::read_json_body;
pub(crate) use csv_users::Attribute;
pub(crate) use format::Format;
pub(crate) use groups::GroupsFile;
pub(crate) use ids::IdsFile;
pub(crate) use mapped::Mapped;
pub(crate) use memberships::MembershipsFile;
pub(crate) use problem::{InputProblem, Located};
pub(crate) use source::{FileSource, InputFile};

use std::collections::HashSet;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use okta_idsrc_core::models::{
    BulkUpsertRequestBodyProfilesInner, IdentitySourceUserProfileForDelete,
};

use crate::mapping::{InputOptions, Mapping, Renames};

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
    /// The CSV field delimiter.
    delimiter: u8,
}

impl TableFile {
    /// The file at `path` in `format` (from the extension when `None`).
    fn new(path: impl Into<PathBuf>, format: Option<Format>) -> Result<Self, InputProblem> {
        let path = path.into();
        let format = match format {
            Some(f) => f,
            None => Format::from_path(&path)?,
        };
        let tsv = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("tsv"));
        Ok(Self {
            path,
            format,
            delimiter: if tsv { b'\t' } else { b',' },
        })
    }

    /// The same file, with the delimiter of `options` if it gives one.
    fn with_options(mut self, options: &InputOptions) -> Self {
        if let Some(d) = options.delimiter {
            self.delimiter = d;
        }
        self
    }

    /// Opens the file (again) for reading, unless it holds no byte at all: then the problem
    /// is `empty`, saying what the file should hold.
    fn open(&self, empty: &str) -> Result<File, InputProblem> {
        open_nonempty(&self.path, empty)
    }
}

/// What a groups or memberships file holds: its mapping section, its header and readers.
pub(super) trait Section {
    /// The section's name in the mapping file (`groups` for `[groups]`).
    const NAME: &'static str;
    /// The header a CSV file should have.
    const COLUMNS: &'static str;
    /// What a row holds.
    type Row: 'static;

    /// The section's renames in `mapping`.
    fn renames(mapping: &Mapping) -> &Renames;

    /// Streams a CSV file, fields separated by `delimiter`, its header renamed first as
    /// `renames` says (the section and the mapping file's name).
    fn csv(
        reader: File,
        delimiter: u8,
        renames: Option<(&Renames, &str)>,
    ) -> Result<Entries<Self::Row>, InputProblem>;

    /// Streams a JSON Lines file.
    fn json_lines(reader: File) -> Entries<Self::Row>;
}

/// A groups or memberships file ([`Section`] `S`), with the mapping whose section renames the
/// file's columns.
#[derive(Debug, Clone)]
pub(crate) struct SectionFile<S> {
    file: TableFile,
    mapping: Option<Arc<Mapping>>,
    section: std::marker::PhantomData<fn() -> S>,
}

impl<S: Section> SectionFile<S> {
    /// The file at `path`, its format from its extension.
    pub(crate) fn new(path: impl Into<PathBuf>) -> Result<Self, InputProblem> {
        Ok(Self {
            file: TableFile::new(path, None)?,
            mapping: None,
            section: std::marker::PhantomData,
        })
    }

    /// The same file, its columns renamed by the section of the mapping of `options` (when
    /// it renames any), with the delimiter of `options`.
    #[must_use]
    pub(crate) fn with_options(mut self, options: &InputOptions) -> Self {
        self.mapping = options
            .mapping
            .clone()
            .filter(|m| !S::renames(m).is_identity());
        self.file = self.file.with_options(options);
        self
    }

    /// Opens the file (again) and streams its rows: CSV rows, the columns renamed first by
    /// the mapping's section; or JSON Lines, which a mapping cannot rename.
    pub(crate) fn open(&self) -> Result<Entries<S::Row>, InputProblem> {
        let reader = self
            .file
            .open(&format!("is empty; expected a header row {}", S::COLUMNS))?;
        let renames = self
            .mapping
            .as_deref()
            .map(|m| (S::renames(m), m.name.as_str()));
        match (self.file.format, renames) {
            (Format::Csv, renames) => S::csv(reader, self.file.delimiter, renames),
            (Format::JsonLines, Some(_)) => Err(InputProblem::file(format!(
                "is JSON Lines, and the mapping's [{0}] renames CSV columns only; give a CSV file, or remove [{0}] from the mapping",
                S::NAME
            ))),
            (Format::JsonLines, None) => Ok(S::json_lines(reader)),
        }
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
/// (`{"externalId":…,"profile":{…}}` per line); or, with a mapping, any columns (or flat
/// objects) the mapping names.
#[derive(Debug, Clone)]
pub(crate) struct UsersFile {
    file: TableFile,
    mapping: Option<Arc<Mapping>>,
}

impl UsersFile {
    /// A users file at `path` in `format` (from the extension when `None`).
    pub(crate) fn new(
        path: impl Into<PathBuf>,
        format: Option<Format>,
    ) -> Result<Self, InputProblem> {
        Ok(Self {
            file: TableFile::new(path, format)?,
            mapping: None,
        })
    }

    /// The same file, read through the mapping and with the delimiter of `options`.
    #[must_use]
    pub(crate) fn with_options(mut self, options: &InputOptions) -> Self {
        self.mapping.clone_from(&options.mapping);
        self.file = self.file.with_options(options);
        self
    }

    /// Whether the mapping turns some rows into deactivations.
    pub(crate) fn deactivates(&self) -> bool {
        self.mapping
            .as_ref()
            .is_some_and(|m| !m.users.deactivate.is_empty())
    }

    fn reader(&self) -> Result<File, InputProblem> {
        let empty = match (self.file.format, &self.mapping) {
            (Format::Csv, Some(_)) => {
                "is empty; expected a header row naming the mapping's columns"
            }
            (Format::Csv, None) => {
                "is empty; expected a header row naming externalId and profile attributes"
            }
            (Format::JsonLines, Some(_)) => "is empty; expected one JSON object per line",
            (Format::JsonLines, None) => {
                "is empty; expected one {\"externalId\":…,\"profile\":{…}} per line"
            }
        };
        self.file.open(empty)
    }

    /// Opens the file (again) and streams what each row becomes.
    pub(crate) fn mapped(&self) -> Result<Entries<Mapped>, InputProblem> {
        let Some(mapping) = &self.mapping else {
            return Ok(Box::new(self.open()?.map(|r| {
                r.map(|l| Located {
                    line: l.line,
                    value: Mapped::Upsert(l.value),
                })
            })));
        };
        let reader = self.reader()?;
        Ok(match self.file.format {
            Format::Csv => {
                let table = table::CsvTable::with_delimiter(reader, self.file.delimiter)?;
                let columns = mapped::MappedColumns::find(&table, Arc::clone(mapping))
                    .map_err(|p| table.hinted(p))?;
                Box::new(table::CsvRows::from_parts(table, columns))
            }
            Format::JsonLines => Box::new(mapped::MappedJson::new(reader, Arc::clone(mapping))),
        })
    }

    /// Opens the file (again) and streams its users (with a mapping, the rows it upserts).
    pub(crate) fn open(&self) -> Result<Entries<BulkUpsertRequestBodyProfilesInner>, InputProblem> {
        if self.mapping.is_some() {
            return Ok(Box::new(self.mapped()?.filter_map(|r| match r {
                Ok(Located {
                    line,
                    value: Mapped::Upsert(value),
                }) => Some(Ok(Located { line, value })),
                Ok(_) => None,
                Err(e) => Some(Err(e)),
            })));
        }
        let reader = self.reader()?;
        Ok(match self.file.format {
            Format::Csv => Box::new(csv_users::CsvUsers::with_delimiter(
                reader,
                self.file.delimiter,
            )?),
            Format::JsonLines => Box::new(jsonl::JsonLines::new(reader)),
        })
    }

    /// Opens the file (again) and streams the external ids of the rows the mapping
    /// deactivates. Problems on a line are left to [`open`](Self::open), which reports
    /// them.
    pub(crate) fn deactivations(
        &self,
    ) -> Result<Entries<IdentitySourceUserProfileForDelete>, InputProblem> {
        Ok(Box::new(self.mapped()?.filter_map(|r| match r {
            Ok(Located {
                line,
                value: Mapped::Deactivate { external_id, .. },
            }) => Some(Ok(Located {
                line,
                value: IdentitySourceUserProfileForDelete::with(external_id),
            })),
            Ok(_) => None,
            Err(e) if e.line.is_some() => None,
            Err(e) => Some(Err(e)),
        })))
    }

    /// The external ids of the rows the mapping skips (problems are left to
    /// [`open`](Self::open)).
    pub(crate) fn skipped(&self) -> Result<HashSet<String>, InputProblem> {
        let mut ids = HashSet::new();
        if self
            .mapping
            .as_ref()
            .is_none_or(|m| m.users.skip.is_empty())
        {
            return Ok(ids);
        }
        for row in self.mapped()? {
            if let Ok(Located {
                value: Mapped::Skip { external_id, .. },
                ..
            }) = row
                && !external_id.is_empty()
            {
                ids.insert(external_id);
            }
        }
        Ok(ids)
    }
}
