//! [`FileSource`]: an input file as the importer's [`InputSource`].

use std::path::Path;
use std::sync::Arc;

use okta_idsrc_import::{Entity, EntityKind, InputError, InputSource, Record, Records};

use super::arg::InputPath;
use super::{GroupsFile, IdsFile, InputProblem, Located, MembershipsFile, UsersFile};

/// The file behind a [`FileSource`].
#[derive(Debug, Clone)]
pub(crate) enum InputFile {
    /// Users to create or update.
    Users(UsersFile),
    /// External ids of users to deactivate.
    Deactivate(IdsFile),
    /// The rows of a users file its mapping deactivates.
    MappedDeactivate(UsersFile),
    /// Groups to create or update.
    Groups(GroupsFile),
    /// Members to add to groups.
    Memberships(MembershipsFile),
    /// External ids of groups to delete.
    DeleteGroups(IdsFile),
    /// Members to remove from groups.
    RemoveMemberships(MembershipsFile),
}

/// An input file, named as given on the command line, re-opened on each pass.
#[derive(Debug, Clone)]
pub(crate) struct FileSource {
    name: Arc<str>,
    file: InputFile,
    /// What the argument named, kept while the source lives (a copy of stdin is removed
    /// with the last clone).
    _input: Option<InputPath>,
}

impl FileSource {
    /// `file`, named `name` in problems and reports.
    pub(crate) fn new(name: impl Into<Arc<str>>, file: InputFile) -> Self {
        Self {
            name: name.into(),
            file,
            _input: None,
        }
    }

    /// The input the command-line argument `arg` names, as `open` reads the path it is
    /// given: a regular file, named as given; or, for `-`, stdin, copied once to a temporary
    /// file (whose name ends `.jsonl` or `.csv` when its first line shows that format) and
    /// named `stdin`. Else a one-line reason naming the argument: no such file, a
    /// directory, a named pipe, a device, a problem `open` found…
    pub(crate) fn from_arg(
        arg: &Path,
        open: impl FnOnce(&Path) -> Result<InputFile, InputProblem>,
    ) -> Result<Self, String> {
        let input = InputPath::new(arg)?;
        let file = open(input.path()).map_err(|p| format!("{}: {p}", input.name))?;
        Ok(Self {
            _input: Some(input.clone()),
            ..Self::new(input.name, file)
        })
    }

    /// For a users file whose mapping deactivates rows, the source of those deactivations
    /// (the same file, read again).
    pub(crate) fn mapped_deactivations(&self) -> Option<Self> {
        match &self.file {
            InputFile::Users(f) if f.deactivates() => Some(Self {
                file: InputFile::MappedDeactivate(f.clone()),
                ..self.clone()
            }),
            _ => None,
        }
    }

    /// The external ids of the rows a users file's mapping skips.
    pub(crate) fn skipped(&self) -> Result<std::collections::HashSet<String>, String> {
        match &self.file {
            InputFile::Users(f) => f.skipped().map_err(|p| format!("{}: {p}", self.name)),
            _ => Ok(std::collections::HashSet::new()),
        }
    }

    /// For a users file, what each row becomes (problems as the importer's errors).
    pub(crate) fn mapped_rows(
        &self,
    ) -> Option<Result<impl Iterator<Item = Result<Located<super::Mapped>, InputError>>, InputError>>
    {
        let InputFile::Users(f) = &self.file else {
            return None;
        };
        Some(
            f.mapped()
                .map(|rows| rows.map(|r| r.map_err(|p| self.error(p))))
                .map_err(|p| self.error(p)),
        )
    }

    /// A problem of this file as the importer's error.
    fn error(&self, problem: InputProblem) -> InputError {
        let mut e = InputError::new(Arc::clone(&self.name), problem.message);
        if let Some(line) = problem.line {
            e = e.at_line(line);
        }
        if let Some(column) = problem.column {
            e = e.in_field(column);
        }
        e
    }

    /// Maps a stream of located `T`s to records.
    fn records<'a, T: 'a>(
        &'a self,
        entries: Box<dyn Iterator<Item = Result<Located<T>, InputProblem>> + Send + 'a>,
        entity: fn(T) -> Entity,
    ) -> Records<'a> {
        Box::new(entries.map(move |r| match r {
            Ok(Located { line, value }) => Ok(Record {
                source: Arc::clone(&self.name),
                line,
                entity: entity(value),
            }),
            Err(problem) => Err(self.error(problem)),
        }))
    }
}

impl InputSource for FileSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> EntityKind {
        match &self.file {
            InputFile::Users(_) => EntityKind::UserUpsert,
            InputFile::Deactivate(_) | InputFile::MappedDeactivate(_) => EntityKind::UserDeactivate,
            InputFile::Groups(_) => EntityKind::GroupUpsert,
            InputFile::Memberships(_) => EntityKind::MembershipUpsert,
            InputFile::DeleteGroups(_) => EntityKind::GroupDelete,
            InputFile::RemoveMemberships(_) => EntityKind::MembershipDelete,
        }
    }

    fn open(&self) -> Result<Records<'_>, InputError> {
        let opened = match &self.file {
            InputFile::Users(f) => f.open().map(|e| self.records(e, Entity::UserUpsert)),
            InputFile::Deactivate(f) => f.open().map(|e| {
                self.records(e, |d| {
                    Entity::UserDeactivate(d.external_id.unwrap_or_default())
                })
            }),
            InputFile::MappedDeactivate(f) => f.deactivations().map(|e| {
                self.records(e, |d| {
                    Entity::UserDeactivate(d.external_id.unwrap_or_default())
                })
            }),
            InputFile::Groups(f) => f.open().map(|e| self.records(e, Entity::GroupUpsert)),
            InputFile::DeleteGroups(f) => f.open().map(|e| {
                self.records(e, |d| {
                    Entity::GroupDelete(d.external_id.unwrap_or_default())
                })
            }),
            InputFile::RemoveMemberships(f) => f.open().map(|e| {
                self.records(e, |m| Entity::MembershipDelete {
                    group: m.group_external_id,
                    member: m.member_external_id,
                })
            }),
            InputFile::Memberships(f) => f.open().map(|e| {
                self.records(e, |m| Entity::MembershipUpsert {
                    group: m.group_external_id,
                    member: m.member_external_id,
                })
            }),
        };
        opened.map_err(|p| self.error(p))
    }
}
