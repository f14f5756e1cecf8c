//! The bulk-load wire format, written once: the framing of the six bulk loads and the
//! accounting of Okta's limits (200 entities and 200 KB a load; `docs/okta-behavior.md#limits`).
//!
//! An entity is validated and serialized once into an [`EncodedEntity`]; a [`BulkLoadWriter`]
//! copies encoded entities into the body of the load it is building and says when the next
//! one would not fit, and [`finish`](BulkLoadWriter::finish) closes the body into a
//! [`BulkLoadBody`], which only a writer makes and which
//! [`PreparedBulkLoad`](crate::operations::PreparedBulkLoad) sends.
//!
//! Membership loads group consecutive members of one group into one
//! `{"groupExternalId":…,"memberExternalIds":[…]}` entry; each member counts as one entity.
//! Bodies are byte for byte what the typed request bodies (`BulkUpsertRequestBody`, …)
//! serialize to.
//!
//! ```
//! use okta_idsrc_core::bulk::{BulkEntity, BulkLoadKind, BulkLoadWriter, EncodedEntity};
//! use okta_idsrc_core::models::*;
//!
//! let user = BulkUpsertRequestBodyProfilesInner::with(
//!     "EXT1",
//!     IdentitySourceUserProfileForUpsert::new().email("ada@example.com").user_name("ada"),
//! );
//! let mut encoded = EncodedEntity::new();
//! encoded.encode(BulkEntity::User(&user)).expect("valid");
//! let mut writer = BulkLoadWriter::new(BulkLoadKind::UserUpsert);
//! writer.push(&encoded).expect("fits");
//! let load = writer.finish().expect("one entity");
//! assert_eq!(load.entities(), 1);
//! assert!(load.bytes().starts_with(br#"{"entityType":"USERS","profiles":[{"externalId":"EXT1""#));
//!
//! // An invalid entity is refused, naming the field.
//! let bad = BulkUpsertRequestBodyProfilesInner::with(
//!     "EXT2",
//!     IdentitySourceUserProfileForUpsert::new().email("a@b"),
//! );
//! let violations = encoded.encode(BulkEntity::User(&bad)).unwrap_err();
//! assert_eq!(violations[0].field, "profile.email");
//! ```

use std::fmt;

use crate::json::{WriteJson, write_str};
use crate::limits::MAX_LOAD_BYTES;
use crate::models::{BulkGroupUpsertRequestBodyProfilesInner, BulkUpsertRequestBodyProfilesInner};
use crate::validate::{
    Validate, Violation, group_external_id_violations, membership_violations,
    user_external_id_violations,
};

/// The six bulk loads, one per bulk-load operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BulkLoadKind {
    /// Users to create or update (`uploadIdentitySourceDataForUpsert`).
    UserUpsert,
    /// Users to deactivate (`uploadIdentitySourceDataForDelete`).
    UserDelete,
    /// Groups to create or update (`uploadIdentitySourceGroupsForUpsert`).
    GroupUpsert,
    /// Groups to delete (`uploadIdentitySourceGroupsDataForDelete`).
    GroupDelete,
    /// Members to add (`uploadIdentitySourceGroupMembershipsForUpsert`).
    MembershipUpsert,
    /// Members to remove (`uploadIdentitySourceGroupMembershipsForDelete`).
    MembershipDelete,
}

impl BulkLoadKind {
    /// The body's opening, before the first entity.
    pub(super) fn prefix(self) -> &'static [u8] {
        match self {
            Self::UserUpsert | Self::UserDelete => br#"{"entityType":"USERS","profiles":["#,
            Self::GroupUpsert => br#"{"profiles":["#,
            Self::GroupDelete => br#"{"externalIds":["#,
            Self::MembershipUpsert | Self::MembershipDelete => br#"{"memberships":["#,
        }
    }

    pub(super) fn is_membership(self) -> bool {
        matches!(self, Self::MembershipUpsert | Self::MembershipDelete)
    }
}

/// Closes the body's list and object.
pub(super) const SUFFIX: &[u8] = b"]}";
/// Opens a membership entry, before the group's id.
pub(super) const ENTRY_GROUP: &[u8] = br#"{"groupExternalId":"#;
/// Follows the group's id in a membership entry.
pub(super) const ENTRY_MEMBERS: &[u8] = br#","memberExternalIds":["#;
/// Closes a membership entry.
pub(super) const ENTRY_END: &[u8] = b"]}";
/// Opens a user delete's entry, before the external id.
const DELETE_OPEN: &[u8] = br#"{"externalId":"#;

/// One entity of a bulk load, borrowed.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum BulkEntity<'a> {
    /// A user to create or update.
    User(&'a BulkUpsertRequestBodyProfilesInner),
    /// The external id of a user to deactivate.
    UserDelete(&'a str),
    /// A group to create or update.
    Group(&'a BulkGroupUpsertRequestBodyProfilesInner),
    /// The external id of a group to delete.
    GroupDelete(&'a str),
    /// A member (`member`, a user's external id) to add to a group (its external id).
    MembershipUpsert {
        /// The group's external id.
        group: &'a str,
        /// The member's external id.
        member: &'a str,
    },
    /// A member to remove from a group.
    MembershipDelete {
        /// The group's external id.
        group: &'a str,
        /// The member's external id.
        member: &'a str,
    },
}

impl BulkEntity<'_> {
    /// The load it goes in.
    pub fn kind(&self) -> BulkLoadKind {
        match self {
            Self::User(_) => BulkLoadKind::UserUpsert,
            Self::UserDelete(_) => BulkLoadKind::UserDelete,
            Self::Group(_) => BulkLoadKind::GroupUpsert,
            Self::GroupDelete(_) => BulkLoadKind::GroupDelete,
            Self::MembershipUpsert { .. } => BulkLoadKind::MembershipUpsert,
            Self::MembershipDelete { .. } => BulkLoadKind::MembershipDelete,
        }
    }
}

/// One entity, validated and serialized for a bulk load. Reusable: each
/// [`encode`](Self::encode) replaces the last (its buffers are kept).
#[derive(Default, Clone)]
pub struct EncodedEntity {
    pub(super) kind: Option<BulkLoadKind>,
    /// The list element: a user or group object, a `{"externalId":…}`, an id string; or, for
    /// a membership, the group's id as a JSON string.
    pub(super) a: Vec<u8>,
    /// A membership's member id as a JSON string (else empty).
    pub(super) b: Vec<u8>,
    /// The entity's [warnings](Validate::warnings).
    warnings: Vec<Violation>,
}

impl fmt::Debug for EncodedEntity {
    // The bytes hold a profile: only their sizes are shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncodedEntity")
            .field("kind", &self.kind)
            .field("bytes", &(self.a.len() + self.b.len()))
            .field("warnings", &self.warnings.len())
            .finish()
    }
}

impl EncodedEntity {
    /// An empty encoding, to [`encode`](Self::encode) into.
    pub fn new() -> Self {
        Self::default()
    }

    /// Validates `entity` against Okta's rules and serializes it. On `Err`, the violations
    /// name fields relative to the entity (`externalId`, `profile.email`,
    /// `memberExternalId`…), and one whose field is empty says that the entity alone would
    /// not fit in a load; the encoding is then empty.
    pub fn encode(&mut self, entity: BulkEntity<'_>) -> Result<(), Vec<Violation>> {
        self.kind = None;
        self.a.clear();
        self.b.clear();
        self.warnings.clear();
        let mut violations = match entity {
            BulkEntity::User(user) => {
                self.a.reserve(user.size_hint());
                user.write_json(&mut self.a);
                self.warnings = user.warnings();
                user.violations()
            }
            BulkEntity::UserDelete(id) => {
                self.a.extend_from_slice(DELETE_OPEN);
                write_str(&mut self.a, id);
                self.a.push(b'}');
                user_external_id_violations(id)
            }
            BulkEntity::Group(group) => {
                self.a.reserve(group.size_hint());
                group.write_json(&mut self.a);
                group.violations()
            }
            BulkEntity::GroupDelete(id) => {
                write_str(&mut self.a, id);
                group_external_id_violations(id)
            }
            BulkEntity::MembershipUpsert { group, member }
            | BulkEntity::MembershipDelete { group, member } => {
                write_str(&mut self.a, group);
                write_str(&mut self.b, member);
                membership_violations(group, member)
            }
        };
        let kind = entity.kind();
        let size = self.lone_size_as(kind);
        if size > MAX_LOAD_BYTES {
            violations.push(Violation::new(
                "",
                None,
                format!(
                    "serialized, it takes {size} bytes in a load; a load holds at most \
                     {MAX_LOAD_BYTES} bytes"
                ),
            ));
        }
        if violations.is_empty() {
            self.kind = Some(kind);
            Ok(())
        } else {
            self.a.clear();
            self.b.clear();
            Err(violations)
        }
    }

    /// What Okta accepts in the entity just encoded but will likely not do what was meant
    /// ([`Validate::warnings`]: a user without `email` or `userName`), fields named as in
    /// [`encode`](Self::encode)'s violations. A warning does not stop the encoding.
    pub fn warnings(&self) -> &[Violation] {
        &self.warnings
    }

    /// The load the entity goes in; `None` when nothing is encoded.
    pub fn kind(&self) -> Option<BulkLoadKind> {
        self.kind
    }

    /// The serialized bytes (a membership's: the group's and the member's ids as JSON
    /// strings), to fingerprint or hash an input.
    pub fn parts(&self) -> [&[u8]; 2] {
        [&self.a, &self.b]
    }

    /// Bytes of a load holding this entity alone, framing included.
    pub fn lone_size(&self) -> usize {
        self.kind.map_or(0, |kind| self.lone_size_as(kind))
    }

    fn lone_size_as(&self, kind: BulkLoadKind) -> usize {
        let inner = if kind.is_membership() {
            ENTRY_GROUP.len() + self.a.len() + ENTRY_MEMBERS.len() + self.b.len() + ENTRY_END.len()
        } else {
            self.a.len()
        };
        kind.prefix().len() + inner + SUFFIX.len()
    }
}

mod writer;

pub use writer::{BulkLoadBody, BulkLoadWriter, PushError};

#[cfg(test)]
mod tests;
