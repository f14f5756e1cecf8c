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

use bytes::Bytes;

use crate::json::{WriteJson, write_str};
use crate::limits::{MAX_ENTITIES_PER_LOAD, MAX_LOAD_BYTES};
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
    fn prefix(self) -> &'static [u8] {
        match self {
            Self::UserUpsert | Self::UserDelete => br#"{"entityType":"USERS","profiles":["#,
            Self::GroupUpsert => br#"{"profiles":["#,
            Self::GroupDelete => br#"{"externalIds":["#,
            Self::MembershipUpsert | Self::MembershipDelete => br#"{"memberships":["#,
        }
    }

    fn is_membership(self) -> bool {
        matches!(self, Self::MembershipUpsert | Self::MembershipDelete)
    }
}

/// Closes the body's list and object.
const SUFFIX: &[u8] = b"]}";
/// Opens a membership entry, before the group's id.
const ENTRY_GROUP: &[u8] = br#"{"groupExternalId":"#;
/// Follows the group's id in a membership entry.
const ENTRY_MEMBERS: &[u8] = br#","memberExternalIds":["#;
/// Closes a membership entry.
const ENTRY_END: &[u8] = b"]}";
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
    kind: Option<BulkLoadKind>,
    /// The list element: a user or group object, a `{"externalId":…}`, an id string; or, for
    /// a membership, the group's id as a JSON string.
    a: Vec<u8>,
    /// A membership's member id as a JSON string (else empty).
    b: Vec<u8>,
}

impl fmt::Debug for EncodedEntity {
    // The bytes hold a profile: only their sizes are shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncodedEntity")
            .field("kind", &self.kind)
            .field("bytes", &(self.a.len() + self.b.len()))
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
        let mut violations = match entity {
            BulkEntity::User(user) => {
                self.a.reserve(user.size_hint());
                user.write_json(&mut self.a);
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

/// Why [`BulkLoadWriter::push`] did not add an entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PushError {
    /// The load is full (200 entities, or 200 KB with the entity added): finish it, then push
    /// the entity into the next one.
    Full,
    /// The entity belongs in another kind of load (or nothing is encoded).
    WrongKind,
}

impl fmt::Display for PushError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Full => "the load is full",
            Self::WrongKind => "the entity belongs in another kind of load",
        })
    }
}

impl std::error::Error for PushError {}

/// Builds the bodies of one kind of bulk load from encoded entities, one load at a time.
#[derive(Clone)]
pub struct BulkLoadWriter {
    kind: BulkLoadKind,
    buf: Vec<u8>,
    entities: u32,
    /// The group (as a JSON string) of the open membership entry.
    group: Vec<u8>,
    /// The size of the last load, to size the next buffer.
    last_len: usize,
}

impl fmt::Debug for BulkLoadWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BulkLoadWriter")
            .field("kind", &self.kind)
            .field("entities", &self.entities)
            .field("bytes", &self.buf.len())
            .finish()
    }
}

impl BulkLoadWriter {
    /// A writer of `kind` loads, with no load open.
    pub fn new(kind: BulkLoadKind) -> Self {
        Self {
            kind,
            buf: Vec::new(),
            entities: 0,
            group: Vec::new(),
            last_len: 4096,
        }
    }

    /// The kind of its loads.
    pub fn kind(&self) -> BulkLoadKind {
        self.kind
    }

    /// Entities in the open load.
    pub fn entities(&self) -> u32 {
        self.entities
    }

    /// Whether the open load holds nothing.
    pub fn is_empty(&self) -> bool {
        self.entities == 0
    }

    /// The body's size with `entity` added and everything closed.
    fn len_with(&self, entity: &EncodedEntity) -> usize {
        let base = self.buf.len();
        if !self.kind.is_membership() {
            return base + usize::from(self.entities > 0) + entity.a.len() + SUFFIX.len();
        }
        let (group, member) = (&entity.a, &entity.b);
        let closing = ENTRY_END.len() + SUFFIX.len();
        if self.entities > 0 && self.group == *group {
            base + 1 + member.len() + closing
        } else {
            let close_open_entry = if self.entities > 0 {
                ENTRY_END.len() + 1
            } else {
                0
            };
            base + close_open_entry
                + ENTRY_GROUP.len()
                + group.len()
                + ENTRY_MEMBERS.len()
                + member.len()
                + closing
        }
    }

    /// Whether `entity` fits in the open load: a 201st entity does not, nor one that would
    /// take the body, framing included, over 200 KB. Every encoded entity fits in an empty
    /// load.
    pub fn fits(&self, entity: &EncodedEntity) -> bool {
        self.entities == 0
            || (usize::try_from(self.entities).unwrap_or(usize::MAX) < MAX_ENTITIES_PER_LOAD
                && self.len_with(entity) <= MAX_LOAD_BYTES)
    }

    /// Adds `entity` to the open load (opening one when none is), if it is of this writer's
    /// kind and [`fits`](Self::fits).
    pub fn push(&mut self, entity: &EncodedEntity) -> Result<(), PushError> {
        if entity.kind != Some(self.kind) {
            return Err(PushError::WrongKind);
        }
        if !self.fits(entity) {
            return Err(PushError::Full);
        }
        if self.entities == 0 {
            self.buf.reserve(self.last_len + self.last_len / 8);
            self.buf.extend_from_slice(self.kind.prefix());
        }
        if self.kind.is_membership() {
            let (group, member) = (&entity.a, &entity.b);
            if self.entities > 0 && self.group == *group {
                self.buf.push(b',');
            } else {
                if self.entities > 0 {
                    self.buf.extend_from_slice(ENTRY_END);
                    self.buf.push(b',');
                }
                self.buf.extend_from_slice(ENTRY_GROUP);
                self.buf.extend_from_slice(group);
                self.buf.extend_from_slice(ENTRY_MEMBERS);
                self.group.clear();
                self.group.extend_from_slice(group);
            }
            self.buf.extend_from_slice(member);
        } else {
            if self.entities > 0 {
                self.buf.push(b',');
            }
            self.buf.extend_from_slice(&entity.a);
        }
        self.entities += 1;
        Ok(())
    }

    /// Closes the open load's framing; returns its entity count (0: nothing was open).
    fn close(&mut self) -> u32 {
        if self.entities == 0 {
            return 0;
        }
        if self.kind.is_membership() {
            self.buf.extend_from_slice(ENTRY_END);
        }
        self.buf.extend_from_slice(SUFFIX);
        debug_assert!(self.buf.len() <= MAX_LOAD_BYTES);
        self.last_len = self.buf.len();
        self.group.clear();
        std::mem::take(&mut self.entities)
    }

    /// Closes the open load into its body; `None` when it holds nothing.
    pub fn finish(&mut self) -> Option<BulkLoadBody> {
        let entities = self.close();
        (entities > 0).then(|| BulkLoadBody {
            kind: self.kind,
            entities,
            bytes: Bytes::from(std::mem::take(&mut self.buf)),
        })
    }

    /// Closes the open load without keeping its body (to count loads); returns its entity
    /// count, 0 when nothing was open. The buffer is kept for the next load.
    pub fn discard(&mut self) -> u32 {
        let entities = self.close();
        self.buf.clear();
        entities
    }
}

/// The body of one bulk load, framed and within Okta's limits, made by a [`BulkLoadWriter`].
/// Cheap to clone (the bytes are shared).
#[derive(Clone, PartialEq, Eq)]
pub struct BulkLoadBody {
    kind: BulkLoadKind,
    entities: u32,
    bytes: Bytes,
}

impl fmt::Debug for BulkLoadBody {
    // The bytes hold profiles: only their size is shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BulkLoadBody")
            .field("kind", &self.kind)
            .field("entities", &self.entities)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

impl BulkLoadBody {
    /// The kind of load.
    pub fn kind(&self) -> BulkLoadKind {
        self.kind
    }

    /// Entities in it (a membership load's members).
    pub fn entities(&self) -> u32 {
        self.entities
    }

    /// The serialized JSON body.
    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// Its size in bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether it has no byte (never, for a body a writer made).
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;
    use crate::models::{
        BulkGroupMembershipsUpsertRequestBody, BulkUpsertRequestBody,
        IdentitySourceUserProfileForUpsert,
    };

    fn user(i: usize, pad: usize) -> BulkUpsertRequestBodyProfilesInner {
        BulkUpsertRequestBodyProfilesInner::with(
            format!("u{i}"),
            IdentitySourceUserProfileForUpsert::new()
                .email(format!("u{i}@example.com"))
                .user_name(format!("u{i}@example.com"))
                .custom_attribute("pad", "x".repeat(pad)),
        )
    }

    /// Writes `entities` into loads of `kind`.
    fn write<'a>(
        kind: BulkLoadKind,
        entities: impl IntoIterator<Item = BulkEntity<'a>>,
    ) -> Vec<BulkLoadBody> {
        let mut writer = BulkLoadWriter::new(kind);
        let mut encoded = EncodedEntity::new();
        let mut out = Vec::new();
        for e in entities {
            encoded.encode(e).expect("valid");
            if writer.push(&encoded) == Err(PushError::Full) {
                out.extend(writer.finish());
                writer.push(&encoded).expect("fits an empty load");
            }
        }
        out.extend(writer.finish());
        out
    }

    #[test]
    fn closes_at_200_entities_with_the_models_bytes() {
        let users: Vec<_> = (0..401).map(|i| user(i, 0)).collect();
        let loads = write(BulkLoadKind::UserUpsert, users.iter().map(BulkEntity::User));
        let counts: Vec<u32> = loads.iter().map(BulkLoadBody::entities).collect();
        assert_eq!(counts, [200, 200, 1]);
        assert_eq!(
            loads[0].bytes(),
            &json::to_vec(&BulkUpsertRequestBody::users(users[..200].to_vec()))
        );
    }

    #[test]
    fn closes_before_200_kb() {
        // ~4.1 KB a user: 48 fit in 200,000 bytes, the 49th would not.
        let users: Vec<_> = (0..100).map(|i| user(i, 4000)).collect();
        let loads = write(BulkLoadKind::UserUpsert, users.iter().map(BulkEntity::User));
        assert!(loads.len() >= 3);
        for l in &loads {
            assert!(l.len() <= MAX_LOAD_BYTES, "{} bytes", l.len());
            serde_json::from_slice::<BulkUpsertRequestBody>(l.bytes()).expect("valid JSON");
        }
        let mut one = EncodedEntity::new();
        one.encode(BulkEntity::User(&users[0])).expect("valid");
        let element = one.lone_size() - BulkLoadKind::UserUpsert.prefix().len() - SUFFIX.len();
        assert!(
            loads[0].len() + 1 + element > MAX_LOAD_BYTES,
            "the first load is full"
        );
        assert_eq!(loads.iter().map(BulkLoadBody::entities).sum::<u32>(), 100);
    }

    #[test]
    fn exactly_at_the_byte_limit() {
        let base = write(
            BulkLoadKind::UserUpsert,
            [BulkEntity::User(&user(0, 0)), BulkEntity::User(&user(1, 0))],
        )[0]
        .len();
        let pad = (MAX_LOAD_BYTES - base) / 2;
        let extra = (MAX_LOAD_BYTES - base) % 2;
        let (a, b) = (user(0, pad), user(1, pad + extra));
        let loads = write(
            BulkLoadKind::UserUpsert,
            [BulkEntity::User(&a), BulkEntity::User(&b)],
        );
        assert_eq!((loads.len(), loads[0].len()), (1, MAX_LOAD_BYTES));
        let b = user(1, pad + extra + 1);
        let loads = write(
            BulkLoadKind::UserUpsert,
            [BulkEntity::User(&a), BulkEntity::User(&b)],
        );
        assert_eq!(loads.len(), 2);
    }

    #[test]
    fn memberships_group_consecutive_members_and_count_each() {
        let m = |group, member| BulkEntity::MembershipUpsert { group, member };
        let loads = write(
            BulkLoadKind::MembershipUpsert,
            [m("a", "u1"), m("a", "u2"), m("b", "u3"), m("a", "u4")],
        );
        assert_eq!(
            std::str::from_utf8(loads[0].bytes()).unwrap(),
            r#"{"memberships":[{"groupExternalId":"a","memberExternalIds":["u1","u2"]},{"groupExternalId":"b","memberExternalIds":["u3"]},{"groupExternalId":"a","memberExternalIds":["u4"]}]}"#
        );
        let ids: Vec<String> = (0..450).map(|u| format!("u{u}")).collect();
        let loads = write(
            BulkLoadKind::MembershipUpsert,
            ids.iter().map(|id| m("big", id)),
        );
        assert_eq!(
            loads.iter().map(BulkLoadBody::entities).collect::<Vec<_>>(),
            [200, 200, 50]
        );
        for l in &loads {
            let body: BulkGroupMembershipsUpsertRequestBody =
                serde_json::from_slice(l.bytes()).unwrap();
            assert_eq!(body.memberships.as_ref().unwrap().len(), 1);
            assert!(body.violations().is_empty());
        }
    }

    #[test]
    fn membership_bytes_are_exact() {
        // Long ids of control characters (6 bytes each, escaped): bytes close the loads.
        let long = |c: char, i: usize| format!("{c}{i:0>4}{}", "\u{1}".repeat(250));
        let ids: Vec<(String, String)> =
            (0..200).map(|i| (long('g', i / 3), long('m', i))).collect();
        let loads = write(
            BulkLoadKind::MembershipDelete,
            ids.iter()
                .map(|(group, member)| BulkEntity::MembershipDelete { group, member }),
        );
        let entry = ENTRY_GROUP.len() + 1507 + ENTRY_MEMBERS.len() + 1507 + ENTRY_END.len();
        for l in &loads {
            assert!(l.len() <= MAX_LOAD_BYTES);
            serde_json::from_slice::<BulkGroupMembershipsUpsertRequestBody>(l.bytes()).unwrap();
        }
        assert_eq!(loads.iter().map(BulkLoadBody::entities).sum::<u32>(), 200);
        assert!(loads.len() >= 2);
        for l in &loads[..loads.len() - 1] {
            assert!(l.len() > MAX_LOAD_BYTES - entry - 8, "{} bytes", l.len());
        }
    }

    #[test]
    fn deletes_and_discarding() {
        let ids: Vec<String> = (0..250).map(|i| format!("u{i}")).collect();
        let loads = write(
            BulkLoadKind::UserDelete,
            ids.iter().map(|id| BulkEntity::UserDelete(id)),
        );
        assert!(
            loads[0]
                .bytes()
                .starts_with(br#"{"entityType":"USERS","profiles":[{"externalId":"u0"},"#)
        );
        let loads = write(
            BulkLoadKind::GroupDelete,
            ["g0", "g1", "g2"].map(BulkEntity::GroupDelete),
        );
        assert_eq!(
            loads[0].bytes(),
            &br#"{"externalIds":["g0","g1","g2"]}"#[..]
        );

        let mut writer = BulkLoadWriter::new(BulkLoadKind::UserDelete);
        let mut encoded = EncodedEntity::new();
        let mut counted = Vec::new();
        for id in &ids {
            encoded.encode(BulkEntity::UserDelete(id)).unwrap();
            if writer.push(&encoded).is_err() {
                counted.push(writer.discard());
                writer.push(&encoded).unwrap();
            }
        }
        counted.push(writer.discard());
        assert_eq!(counted, [200, 50]);
        assert_eq!(writer.discard(), 0);
        assert!(writer.finish().is_none());
    }

    #[test]
    fn refuses_invalid_entities_and_the_wrong_kind() {
        let mut e = EncodedEntity::new();
        let v = e.encode(BulkEntity::UserDelete("")).unwrap_err();
        assert_eq!(v[0].field, "externalId");
        assert_eq!(e.kind(), None);
        let long = "g".repeat(256);
        let v = e
            .encode(BulkEntity::MembershipUpsert {
                group: &long,
                member: "u1",
            })
            .unwrap_err();
        assert_eq!(v[0].field, "groupExternalId");
        let mut profile = user(0, 4096);
        for i in 0..60 {
            profile = BulkUpsertRequestBodyProfilesInner::with(
                "u0",
                profile
                    .profile
                    .clone()
                    .unwrap()
                    .custom_attribute(format!("a{i}"), "y".repeat(4000)),
            );
        }
        let v = e.encode(BulkEntity::User(&profile)).unwrap_err();
        assert_eq!(v.last().unwrap().field, "");
        assert!(v.last().unwrap().message.contains("a load holds at most"));

        e.encode(BulkEntity::GroupDelete("g1")).unwrap();
        let mut writer = BulkLoadWriter::new(BulkLoadKind::UserDelete);
        assert_eq!(writer.push(&e), Err(PushError::WrongKind));
        assert_eq!(
            writer.push(&EncodedEntity::new()),
            Err(PushError::WrongKind)
        );
    }
}
