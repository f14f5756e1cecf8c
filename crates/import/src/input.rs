//! What the importer reads: [`Entity`] records from re-openable [`InputSource`]s.

use std::fmt;
use std::sync::Arc;

use okta_idsrc_core::models::{
    BulkGroupUpsertRequestBodyProfilesInner, BulkUpsertRequestBodyProfilesInner,
};

/// The six kinds of change the importer uploads, declared in the order they are applied:
/// within a run and within each session, user upserts go first and user deactivations last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EntityKind {
    /// Users to create or update (`bulk-upsert`).
    UserUpsert,
    /// Groups to create or update (`bulk-groups-upsert`).
    GroupUpsert,
    /// Members to add to groups (`bulk-group-memberships-upsert`).
    MembershipUpsert,
    /// Members to remove from groups (`bulk-group-memberships-delete`).
    MembershipDelete,
    /// Groups to delete (`bulk-groups-delete`).
    GroupDelete,
    /// Users to deactivate (`bulk-delete`).
    UserDeactivate,
}

impl EntityKind {
    /// Every kind, in the order the importer applies them.
    pub const ALL: [EntityKind; 6] = [
        EntityKind::UserUpsert,
        EntityKind::GroupUpsert,
        EntityKind::MembershipUpsert,
        EntityKind::MembershipDelete,
        EntityKind::GroupDelete,
        EntityKind::UserDeactivate,
    ];

    /// The kind's position in [`ALL`](Self::ALL).
    pub fn index(self) -> usize {
        self as usize
    }

    /// A short name, as used in reports and the journal: `userUpsert`, `groupDelete`, …
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::UserUpsert => "userUpsert",
            EntityKind::GroupUpsert => "groupUpsert",
            EntityKind::MembershipUpsert => "membershipUpsert",
            EntityKind::MembershipDelete => "membershipDelete",
            EntityKind::GroupDelete => "groupDelete",
            EntityKind::UserDeactivate => "userDeactivate",
        }
    }

    /// What one entity of the kind is, in words: `user upsert`, `group delete`, …
    pub fn describe(self) -> &'static str {
        match self {
            EntityKind::UserUpsert => "user upsert",
            EntityKind::GroupUpsert => "group upsert",
            EntityKind::MembershipUpsert => "membership upsert",
            EntityKind::MembershipDelete => "membership delete",
            EntityKind::GroupDelete => "group delete",
            EntityKind::UserDeactivate => "user deactivation",
        }
    }
}

impl fmt::Display for EntityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// One change to upload.
#[derive(Debug, Clone, PartialEq)]
pub enum Entity {
    /// A user to create or update, keyed by its `externalId`.
    UserUpsert(BulkUpsertRequestBodyProfilesInner),
    /// The external id of a user to deactivate.
    UserDeactivate(String),
    /// A group to create or update, keyed by its `externalId`.
    GroupUpsert(BulkGroupUpsertRequestBodyProfilesInner),
    /// The external id of a group to delete.
    GroupDelete(String),
    /// A user (`member`, its external id) to add to a group (`group`, its external id).
    MembershipUpsert {
        /// The group's external id.
        group: String,
        /// The member's (user's) external id.
        member: String,
    },
    /// A user to remove from a group.
    MembershipDelete {
        /// The group's external id.
        group: String,
        /// The member's (user's) external id.
        member: String,
    },
}

impl Entity {
    /// The entity's kind.
    pub fn kind(&self) -> EntityKind {
        match self {
            Entity::UserUpsert(_) => EntityKind::UserUpsert,
            Entity::UserDeactivate(_) => EntityKind::UserDeactivate,
            Entity::GroupUpsert(_) => EntityKind::GroupUpsert,
            Entity::GroupDelete(_) => EntityKind::GroupDelete,
            Entity::MembershipUpsert { .. } => EntityKind::MembershipUpsert,
            Entity::MembershipDelete { .. } => EntityKind::MembershipDelete,
        }
    }
}

/// An entity and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The source's name (usually a file name), shared by all its records.
    pub source: Arc<str>,
    /// The line (or record number) within the source, from 1.
    pub line: u64,
    /// The entity.
    pub entity: Entity,
}

/// A problem with the input: a record that cannot be read or an entity that breaks a rule,
/// named by source, line and field.
///
/// `Display` reads `users.csv line 12, column email: is 3 characters; at least 5 required`.
/// It never quotes a whole profile.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct InputError {
    /// The source's name.
    pub source: Arc<str>,
    /// The line, when the problem has one.
    pub line: Option<u64>,
    /// The field or column, when the problem concerns one (`email`, `externalId`, a custom
    /// attribute's name…).
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl InputError {
    /// A problem with `source` as a whole (it cannot be opened, say).
    pub fn new(source: impl Into<Arc<str>>, message: impl Into<String>) -> Self {
        Self {
            source: source.into(),
            line: None,
            field: None,
            message: message.into(),
        }
    }

    /// The same problem, at `line`.
    #[must_use]
    pub fn at_line(mut self, line: u64) -> Self {
        self.line = Some(line);
        self
    }

    /// The same problem, in `field` (or column).
    #[must_use]
    pub fn in_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)?;
        if let Some(line) = self.line {
            write!(f, " line {line}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ", column {field}")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for InputError {}

/// The records an [`InputSource`] yields, one pass over it.
pub type Records<'a> = Box<dyn Iterator<Item = Result<Record, InputError>> + Send + 'a>;

/// A re-openable stream of records of one [`EntityKind`].
///
/// The importer opens every source twice — once to validate (and fingerprint) the whole
/// input, once to upload it — and streams it both times, so memory stays flat whatever the
/// input's size. Both passes must yield the same records: a source whose content changes in
/// between is reported as [`ImportError::InputChanged`](super::ImportError::InputChanged).
///
/// A record that cannot be read is an `Err` with its line (the run's
/// [`InvalidPolicy`](super::InvalidPolicy) decides); an `Err` without a line (an I/O failure)
/// ends the run. Every record's entity must be of the source's [`kind`](Self::kind).
///
/// [`VecSource`] holds records in memory; the CLI reads CSV and JSON Lines files.
pub trait InputSource: Send + Sync {
    /// The source's name, as problems and reports show it (usually a file name).
    fn name(&self) -> &str;
    /// The kind of every entity the source yields.
    fn kind(&self) -> EntityKind;
    /// Opens a new pass over the records, from the first.
    fn open(&self) -> Result<Records<'_>, InputError>;
}

/// An in-memory [`InputSource`]: entities numbered from line 1, for tests and embedders.
///
/// ```
/// use okta_idsrc_import::{Entity, EntityKind, InputSource, VecSource};
///
/// let source = VecSource::new("groups", EntityKind::GroupDelete, [Entity::GroupDelete("eng".into())]);
/// let record = source.open().unwrap().next().unwrap().unwrap();
/// assert_eq!((record.line, &*record.source), (1, "groups"));
/// ```
#[derive(Debug, Clone)]
pub struct VecSource {
    name: Arc<str>,
    kind: EntityKind,
    entities: Vec<Entity>,
}

impl VecSource {
    /// A source named `name` of `kind` holding `entities` (line numbers from 1).
    pub fn new(
        name: impl Into<Arc<str>>,
        kind: EntityKind,
        entities: impl IntoIterator<Item = Entity>,
    ) -> Self {
        Self {
            name: name.into(),
            kind,
            entities: entities.into_iter().collect(),
        }
    }

    /// The entities.
    pub fn entities(&self) -> &[Entity] {
        &self.entities
    }
}

impl InputSource for VecSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> EntityKind {
        self.kind
    }

    fn open(&self) -> Result<Records<'_>, InputError> {
        Ok(Box::new(self.entities.iter().enumerate().map(
            |(i, entity)| {
                Ok(Record {
                    source: Arc::clone(&self.name),
                    line: i as u64 + 1,
                    entity: entity.clone(),
                })
            },
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_source_line_and_column() {
        let e = InputError::new("users.csv", "is 3 characters; at least 5 required")
            .at_line(12)
            .in_field("email");
        assert_eq!(
            e.to_string(),
            "users.csv line 12, column email: is 3 characters; at least 5 required"
        );
        assert_eq!(
            InputError::new("users.csv", "cannot open").to_string(),
            "users.csv: cannot open"
        );
    }

    #[test]
    fn kinds_are_in_application_order() {
        let mut sorted = EntityKind::ALL;
        sorted.sort();
        assert_eq!(sorted, EntityKind::ALL);
        for (i, k) in EntityKind::ALL.iter().enumerate() {
            assert_eq!(k.index(), i);
        }
    }
}
