//! Packing serialized entities into bulk loads, and the stream of numbered loads.
//!
//! Each entity is serialized once, with core's writer, and copied into the body of the load
//! being built. A load closes at 200 entities ([`MAX_ENTITIES_PER_LOAD`]) or when the next
//! entity would push the body, wrapper included, over 200 KB ([`MAX_LOAD_BYTES`]). Membership
//! loads group consecutive members of one group into one
//! `{"groupExternalId":…,"memberExternalIds":[…]}` entry; each member counts as one entity.
//!
//! Packing is deterministic: the same input gives the same loads, numbered from 0 in the
//! order the kinds are applied ([`EntityKind::ALL`]), which the journal relies on.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

use bytes::Bytes;
use okta_idsrc_core::json::{WriteJson, write_str};
use okta_idsrc_core::limits::{MAX_ENTITIES_PER_LOAD, MAX_LOAD_BYTES};

use super::error::ImportError;
use super::fingerprint::Fingerprint;
use super::input::{Entity, EntityKind, InputSource, Record, Records};
use super::report::LineRange;
use super::validate::SkipSet;

/// The body's opening, before the first entity.
fn prefix(kind: EntityKind) -> &'static [u8] {
    match kind {
        EntityKind::UserUpsert | EntityKind::UserDeactivate => {
            br#"{"entityType":"USERS","profiles":["#
        }
        EntityKind::GroupUpsert => br#"{"profiles":["#,
        EntityKind::GroupDelete => br#"{"externalIds":["#,
        EntityKind::MembershipUpsert | EntityKind::MembershipDelete => br#"{"memberships":["#,
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

/// One entity, serialized.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Item<'a> {
    /// A list element: a user or group object, a `{"externalId":…}` or an id string.
    Whole(&'a [u8]),
    /// A membership: the group's and the member's ids as JSON strings.
    Member { group: &'a [u8], member: &'a [u8] },
}

impl Item<'_> {
    /// Bytes of a load holding this entity alone, wrapper included.
    pub(crate) fn lone_size(&self, kind: EntityKind) -> usize {
        let inner = match self {
            Item::Whole(b) => b.len(),
            Item::Member { group, member } => {
                ENTRY_GROUP.len()
                    + group.len()
                    + ENTRY_MEMBERS.len()
                    + member.len()
                    + ENTRY_END.len()
            }
        };
        prefix(kind).len() + inner + SUFFIX.len()
    }
}

impl<'a> Item<'a> {
    /// The serialized bytes, for the input fingerprint.
    pub(crate) fn parts(self) -> [&'a [u8]; 2] {
        match self {
            Item::Whole(b) => [b, b""],
            Item::Member { group, member } => [group, member],
        }
    }
}

/// Reusable buffers to serialize entities into.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    a: Vec<u8>,
    b: Vec<u8>,
}

/// Serializes `entity` (as a bulk load's element) into `scratch`.
pub(crate) fn serialize<'s>(entity: &Entity, scratch: &'s mut Scratch) -> Item<'s> {
    let Scratch { a, b } = scratch;
    a.clear();
    b.clear();
    match entity {
        Entity::UserUpsert(user) => {
            a.reserve(user.size_hint());
            user.write_json(a);
        }
        Entity::UserDeactivate(id) => {
            a.extend_from_slice(br#"{"externalId":"#);
            write_str(a, id);
            a.push(b'}');
        }
        Entity::GroupUpsert(group) => {
            a.reserve(group.size_hint());
            group.write_json(a);
        }
        Entity::GroupDelete(id) => write_str(a, id),
        Entity::MembershipUpsert { group, member } | Entity::MembershipDelete { group, member } => {
            write_str(a, group);
            write_str(b, member);
            return Item::Member {
                group: a,
                member: b,
            };
        }
    }
    Item::Whole(a)
}

/// The id bytes that identify `entity` among entities of its kind: the external id of a
/// user or group, or a membership's group and member.
pub(crate) fn identity(entity: &Entity) -> [&[u8]; 2] {
    match entity {
        Entity::UserUpsert(u) => [u.external_id.as_deref().unwrap_or_default().as_bytes(), b""],
        Entity::GroupUpsert(g) => [g.external_id.as_deref().unwrap_or_default().as_bytes(), b""],
        Entity::UserDeactivate(id) | Entity::GroupDelete(id) => [id.as_bytes(), b""],
        Entity::MembershipUpsert { group, member } | Entity::MembershipDelete { group, member } => {
            [group.as_bytes(), member.as_bytes()]
        }
    }
}

/// A load the [`Packer`] closed.
#[derive(Debug)]
pub(crate) struct Closed {
    pub kind: EntityKind,
    pub entities: u32,
    /// The body (empty when the packer only counts).
    pub body: Vec<u8>,
    /// Where its entities came from (empty when the packer only counts).
    pub ranges: Vec<LineRange>,
}

/// Builds the loads of one kind from serialized entities.
#[derive(Debug)]
pub(crate) struct Packer {
    kind: EntityKind,
    buf: Vec<u8>,
    count: u32,
    /// The group (as a JSON string) of the open membership entry.
    group: Vec<u8>,
    ranges: Vec<LineRange>,
    /// Whether to hand out bodies and ranges, or only count.
    keep: bool,
    /// The size of the last load, to size the next buffer.
    last_len: usize,
}

impl Packer {
    /// A packer of `kind` loads; `keep` false only counts them.
    pub(crate) fn new(kind: EntityKind, keep: bool) -> Self {
        Self {
            kind,
            buf: Vec::new(),
            count: 0,
            group: Vec::new(),
            ranges: Vec::new(),
            keep,
            last_len: 4096,
        }
    }

    /// The kind of the loads.
    pub(crate) fn kind(&self) -> EntityKind {
        self.kind
    }

    /// The body's size with `item` added and everything closed.
    fn len_with(&self, item: Item<'_>) -> usize {
        let base = self.buf.len();
        match item {
            Item::Whole(b) => base + usize::from(self.count > 0) + b.len() + SUFFIX.len(),
            Item::Member { group, member } => {
                let entry_closing = ENTRY_END.len() + SUFFIX.len();
                if self.count > 0 && self.group == group {
                    base + 1 + member.len() + entry_closing
                } else {
                    let close_open_entry = if self.count > 0 {
                        ENTRY_END.len() + 1
                    } else {
                        0
                    };
                    base + close_open_entry
                        + ENTRY_GROUP.len()
                        + group.len()
                        + ENTRY_MEMBERS.len()
                        + member.len()
                        + entry_closing
                }
            }
        }
    }

    /// Adds an entity from `source` line `line`; returns the load it closed, if adding it
    /// closed one. The entity must fit in a load on its own (validation checks it).
    pub(crate) fn push(&mut self, item: Item<'_>, source: &Arc<str>, line: u64) -> Option<Closed> {
        let full = self.count as usize >= MAX_ENTITIES_PER_LOAD;
        let closed = if self.count > 0 && (full || self.len_with(item) > MAX_LOAD_BYTES) {
            self.close()
        } else {
            None
        };
        if self.count == 0 {
            self.buf.reserve(self.last_len + self.last_len / 8);
            self.buf.extend_from_slice(prefix(self.kind));
        }
        match item {
            Item::Whole(b) => {
                if self.count > 0 {
                    self.buf.push(b',');
                }
                self.buf.extend_from_slice(b);
            }
            Item::Member { group, member } => {
                if self.count > 0 && self.group == group {
                    self.buf.push(b',');
                } else {
                    if self.count > 0 {
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
            }
        }
        self.count += 1;
        if self.keep {
            match self.ranges.last_mut() {
                Some(r) if Arc::ptr_eq(&r.source, source) || r.source == *source => {
                    r.first = r.first.min(line);
                    r.last = r.last.max(line);
                }
                _ => self.ranges.push(LineRange {
                    source: Arc::clone(source),
                    first: line,
                    last: line,
                }),
            }
        }
        closed
    }

    /// Closes the open load, if it holds anything.
    pub(crate) fn close(&mut self) -> Option<Closed> {
        if self.count == 0 {
            return None;
        }
        if matches!(
            self.kind,
            EntityKind::MembershipUpsert | EntityKind::MembershipDelete
        ) {
            self.buf.extend_from_slice(ENTRY_END);
        }
        self.buf.extend_from_slice(SUFFIX);
        debug_assert!(self.buf.len() <= MAX_LOAD_BYTES);
        self.last_len = self.buf.len();
        let body = if self.keep {
            std::mem::take(&mut self.buf)
        } else {
            Vec::new()
        };
        self.buf.clear();
        self.group.clear();
        let entities = std::mem::take(&mut self.count);
        Some(Closed {
            kind: self.kind,
            entities,
            body,
            ranges: std::mem::take(&mut self.ranges),
        })
    }
}

/// A numbered bulk load, ready to send.
#[derive(Debug, Clone)]
pub(crate) struct PackedLoad {
    /// Its number: 0 for the input's first load.
    pub number: u64,
    pub kind: EntityKind,
    pub entities: u32,
    pub body: Bytes,
    pub ranges: Vec<LineRange>,
}

/// The input's sources, ordered by kind (stable: sources of one kind keep their order), with
/// their index in the caller's slice.
pub(crate) fn ordered<'a>(sources: &[&'a dyn InputSource]) -> Vec<(usize, &'a dyn InputSource)> {
    let mut v: Vec<(usize, &'a dyn InputSource)> = sources.iter().copied().enumerate().collect();
    v.sort_by_key(|(_, s)| s.kind());
    v
}

/// Adds one record to the input's fingerprint: its line and serialized entity, or a marker
/// for a record that could not be read or is of the wrong kind.
pub(crate) fn fingerprint_record(fp: &mut Fingerprint, line: u64, item: Option<Item<'_>>) {
    fp.record(line, item.map(|i| i.parts()));
}

/// The upload pass: streams every source again, skips what validation rejected, and packs
/// the rest into numbered loads, handing out those not in `done`.
pub(crate) struct LoadProducer<'a> {
    sources: Vec<(usize, &'a dyn InputSource)>,
    next_source: usize,
    records: Option<(usize, Arc<str>, Records<'a>)>,
    packer: Option<Packer>,
    scratch: Scratch,
    skip: &'a SkipSet,
    done: HashSet<u64>,
    ready: VecDeque<PackedLoad>,
    next_number: u64,
    finished: bool,
    fingerprint: Fingerprint,
    /// Loads left out because they are in `done`.
    pub skipped_done: u64,
    /// Entities of the loads left out.
    pub skipped_done_entities: u64,
}

impl<'a> LoadProducer<'a> {
    pub(crate) fn new(
        sources: &[&'a dyn InputSource],
        skip: &'a SkipSet,
        done: HashSet<u64>,
        fingerprint: Fingerprint,
    ) -> Self {
        Self {
            sources: ordered(sources),
            next_source: 0,
            records: None,
            packer: None,
            scratch: Scratch::default(),
            skip,
            done,
            ready: VecDeque::new(),
            next_number: 0,
            finished: false,
            fingerprint,
            skipped_done: 0,
            skipped_done_entities: 0,
        }
    }

    /// The fingerprint of what the pass has read; complete once the producer is exhausted.
    pub(crate) fn fingerprint(&self) -> &Fingerprint {
        &self.fingerprint
    }

    fn emit(&mut self, closed: Closed) {
        let number = self.next_number;
        self.next_number += 1;
        if self.done.contains(&number) {
            self.skipped_done += 1;
            self.skipped_done_entities += u64::from(closed.entities);
            return;
        }
        self.ready.push_back(PackedLoad {
            number,
            kind: closed.kind,
            entities: closed.entities,
            body: Bytes::from(closed.body),
            ranges: closed.ranges,
        });
    }

    /// The next load to send, or `None` when the input is exhausted.
    pub(crate) fn next_load(&mut self) -> Result<Option<PackedLoad>, ImportError> {
        loop {
            if let Some(load) = self.ready.pop_front() {
                return Ok(Some(load));
            }
            if self.finished {
                return Ok(None);
            }
            self.step()?;
        }
    }

    /// Reads one record (or opens the next source).
    fn step(&mut self) -> Result<(), ImportError> {
        let Some((index, name, records)) = &mut self.records else {
            let Some(&(index, source)) = self.sources.get(self.next_source) else {
                if let Some(closed) = self.packer.as_mut().and_then(Packer::close) {
                    self.emit(closed);
                }
                self.finished = true;
                return Ok(());
            };
            self.next_source += 1;
            if self
                .packer
                .as_ref()
                .is_some_and(|p| p.kind() != source.kind())
            {
                if let Some(closed) = self.packer.as_mut().and_then(Packer::close) {
                    self.emit(closed);
                }
                self.packer = None;
            }
            self.packer
                .get_or_insert_with(|| Packer::new(source.kind(), true));
            self.fingerprint.source(source.name(), source.kind());
            let records = source.open().map_err(ImportError::Input)?;
            self.records = Some((index, Arc::from(source.name()), records));
            return Ok(());
        };
        let index = *index;
        let record = match records.next() {
            None => {
                self.records = None;
                return Ok(());
            }
            Some(r) => r,
        };
        let name = Arc::clone(name);
        let packer = self
            .packer
            .as_mut()
            .expect("a packer exists while a source is open");
        let record: Record = match record {
            Ok(r) if r.entity.kind() == packer.kind() => r,
            Ok(r) => {
                fingerprint_record(&mut self.fingerprint, r.line, None);
                return self.expect_skipped(index, &name, r.line);
            }
            Err(e) => {
                let Some(line) = e.line else {
                    return Err(ImportError::Input(e));
                };
                fingerprint_record(&mut self.fingerprint, line, None);
                return self.expect_skipped(index, &name, line);
            }
        };
        let item = serialize(&record.entity, &mut self.scratch);
        fingerprint_record(&mut self.fingerprint, record.line, Some(item));
        if self.skip.contains(index, record.line) {
            return Ok(());
        }
        if item.lone_size(packer.kind()) > MAX_LOAD_BYTES {
            return Err(ImportError::InputChanged {
                message: format!(
                    "{name} line {}: the entity no longer fits in a load",
                    record.line
                ),
            });
        }
        if let Some(closed) = packer.push(item, &record.source, record.line) {
            self.emit(closed);
        }
        Ok(())
    }

    /// A record the validation pass must have rejected.
    fn expect_skipped(&self, index: usize, name: &str, line: u64) -> Result<(), ImportError> {
        if self.skip.contains(index, line) {
            Ok(())
        } else {
            Err(ImportError::InputChanged {
                message: format!("{name} line {line} was valid when validated and is not any more"),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use okta_idsrc_core::models::{
        BulkGroupMembershipsUpsertRequestBody, BulkUpsertRequestBody,
        BulkUpsertRequestBodyProfilesInner, IdentitySourceUserProfileForUpsert,
    };

    fn user(i: usize, pad: usize) -> Entity {
        Entity::UserUpsert(BulkUpsertRequestBodyProfilesInner::with(
            format!("u{i}"),
            IdentitySourceUserProfileForUpsert::new()
                .email(format!("u{i}@example.com"))
                .user_name(format!("u{i}@example.com"))
                .home_address("x".repeat(pad)),
        ))
    }

    fn pack(kind: EntityKind, entities: &[Entity]) -> Vec<Closed> {
        let src: Arc<str> = Arc::from("test");
        let mut packer = Packer::new(kind, true);
        let mut scratch = Scratch::default();
        let mut out = Vec::new();
        for (i, e) in entities.iter().enumerate() {
            let item = serialize(e, &mut scratch);
            out.extend(packer.push(item, &src, i as u64 + 1));
        }
        out.extend(packer.close());
        out
    }

    #[test]
    fn closes_at_200_entities() {
        let users: Vec<Entity> = (0..401).map(|i| user(i, 0)).collect();
        let loads = pack(EntityKind::UserUpsert, &users);
        let counts: Vec<u32> = loads.iter().map(|l| l.entities).collect();
        assert_eq!(counts, [200, 200, 1]);
        // Each body is exactly what core's models serialize to.
        let profiles: Vec<BulkUpsertRequestBodyProfilesInner> = users[..200]
            .iter()
            .map(|e| match e {
                Entity::UserUpsert(u) => u.clone(),
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(
            loads[0].body,
            okta_idsrc_core::json::to_vec(&BulkUpsertRequestBody::users(profiles))
        );
        assert_eq!(
            loads[1].ranges,
            [LineRange {
                source: Arc::from("test"),
                first: 201,
                last: 400
            }]
        );
    }

    #[test]
    fn closes_before_200_kb() {
        // ~4,1 KB a user: 48 fit in 200,000 bytes, the 49th would not.
        let users: Vec<Entity> = (0..100).map(|i| user(i, 4000)).collect();
        let loads = pack(EntityKind::UserUpsert, &users);
        assert!(loads.len() >= 3);
        for (i, l) in loads.iter().enumerate() {
            assert!(
                l.body.len() <= MAX_LOAD_BYTES,
                "load {i}: {} bytes",
                l.body.len()
            );
            serde_json::from_slice::<BulkUpsertRequestBody>(&l.body).expect("valid JSON");
        }
        // The first load is full: one more user would not have fitted.
        let one = {
            let mut s = Scratch::default();
            serialize(&users[0], &mut s).lone_size(EntityKind::UserUpsert)
                - prefix(EntityKind::UserUpsert).len()
                - SUFFIX.len()
        };
        assert!(loads[0].body.len() + 1 + one > MAX_LOAD_BYTES);
        assert_eq!(loads.iter().map(|l| l.entities).sum::<u32>(), 100);
    }

    #[test]
    fn exactly_at_the_byte_limit() {
        // Pad two users so that together they are exactly 200,000 bytes.
        let base = {
            let loads = pack(EntityKind::UserUpsert, &[user(0, 0), user(1, 0)]);
            loads[0].body.len()
        };
        let pad = (MAX_LOAD_BYTES - base) / 2;
        let extra = (MAX_LOAD_BYTES - base) % 2;
        let loads = pack(
            EntityKind::UserUpsert,
            &[user(0, pad), user(1, pad + extra)],
        );
        assert_eq!(loads.len(), 1);
        assert_eq!(loads[0].body.len(), MAX_LOAD_BYTES);
        let loads = pack(
            EntityKind::UserUpsert,
            &[user(0, pad), user(1, pad + extra + 1)],
        );
        assert_eq!(loads.len(), 2);
    }

    #[test]
    fn memberships_group_consecutive_members() {
        let m = |g: &str, u: usize| Entity::MembershipUpsert {
            group: g.into(),
            member: format!("u{u}"),
        };
        let mut entities = vec![m("a", 1), m("a", 2), m("b", 3), m("a", 4)];
        let loads = pack(EntityKind::MembershipUpsert, &entities);
        assert_eq!(loads.len(), 1);
        assert_eq!(
            std::str::from_utf8(&loads[0].body).unwrap(),
            r#"{"memberships":[{"groupExternalId":"a","memberExternalIds":["u1","u2"]},{"groupExternalId":"b","memberExternalIds":["u3"]},{"groupExternalId":"a","memberExternalIds":["u4"]}]}"#
        );
        // Each member counts: 450 members of one group make 200 + 200 + 50.
        entities = (0..450).map(|u| m("big", u)).collect();
        let loads = pack(EntityKind::MembershipUpsert, &entities);
        assert_eq!(
            loads.iter().map(|l| l.entities).collect::<Vec<_>>(),
            [200, 200, 50]
        );
        for l in &loads {
            let body: BulkGroupMembershipsUpsertRequestBody =
                serde_json::from_slice(&l.body).unwrap();
            assert_eq!(body.memberships.as_ref().unwrap().len(), 1);
            assert!(okta_idsrc_core::validate::Validate::violations(&body).is_empty());
        }
    }

    #[test]
    fn membership_bytes_are_exact() {
        // Long ids of control characters (6 bytes each, escaped): bytes close the loads.
        let long = |c: char, i: usize| format!("{c}{i:0>4}{}", "\u{1}".repeat(250));
        let entities: Vec<Entity> = (0..200)
            .map(|i| Entity::MembershipDelete {
                group: long('g', i / 3),
                member: long('m', i),
            })
            .collect();
        let loads = pack(EntityKind::MembershipDelete, &entities);
        for l in &loads {
            assert!(l.body.len() <= MAX_LOAD_BYTES);
            serde_json::from_slice::<BulkGroupMembershipsUpsertRequestBody>(&l.body).unwrap();
        }
        assert_eq!(loads.iter().map(|l| l.entities).sum::<u32>(), 200);
        assert!(loads.len() >= 2);
        // Each closed load is full: the next member (in a new entry at worst) would overflow.
        let entry = ENTRY_GROUP.len() + 1507 + ENTRY_MEMBERS.len() + 1507 + ENTRY_END.len();
        for l in &loads[..loads.len() - 1] {
            assert!(
                l.body.len() + 1 + 1507 > MAX_LOAD_BYTES
                    || l.body.len() + 1 + entry > MAX_LOAD_BYTES
            );
            assert!(
                l.body.len() > MAX_LOAD_BYTES - entry - 8,
                "{} bytes",
                l.body.len()
            );
        }
    }

    #[test]
    fn deletes_and_counting_mode() {
        let ids: Vec<Entity> = (0..250)
            .map(|i| Entity::UserDeactivate(format!("u{i}")))
            .collect();
        let loads = pack(EntityKind::UserDeactivate, &ids);
        assert!(
            std::str::from_utf8(&loads[0].body)
                .unwrap()
                .starts_with(r#"{"entityType":"USERS","profiles":[{"externalId":"u0"},"#)
        );
        let groups: Vec<Entity> = (0..3)
            .map(|i| Entity::GroupDelete(format!("g{i}")))
            .collect();
        let loads = pack(EntityKind::GroupDelete, &groups);
        assert_eq!(loads[0].body, br#"{"externalIds":["g0","g1","g2"]}"#);
        let mut counter = Packer::new(EntityKind::UserDeactivate, false);
        let mut scratch = Scratch::default();
        let src: Arc<str> = Arc::from("x");
        let mut n = 0;
        for e in &ids {
            n += usize::from(counter.push(serialize(e, &mut scratch), &src, 1).is_some());
        }
        n += usize::from(counter.close().is_some());
        assert_eq!(n, 2);
    }
}
