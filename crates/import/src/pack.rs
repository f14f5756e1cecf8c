//! Packing entities into numbered bulk loads, and the stream of loads of the upload pass.
//!
//! The wire format is core's: each entity is validated and serialized once into an
//! [`EncodedEntity`], and a [`BulkLoadWriter`] frames the loads and closes one at 200 entities
//! or before 200 KB. What the importer adds is bookkeeping: the lines each load's entities
//! came from, and load numbers.
//!
//! Packing is deterministic: the same input gives the same loads, numbered from 0 in the
//! order the kinds are applied ([`EntityKind::ALL`]), which the journal relies on.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

use okta_idsrc_core::bulk::{
    BulkEntity, BulkLoadBody, BulkLoadKind, BulkLoadWriter, EncodedEntity, PushError,
};
use okta_idsrc_core::validate::Violation;

use super::error::ImportError;
use super::fingerprint::Fingerprint;
use super::input::{Entity, EntityKind, InputSource, Record, Records};
use super::report::LineRange;
use super::validate::SkipSet;

impl EntityKind {
    /// The bulk load that carries entities of this kind.
    pub(crate) fn load_kind(self) -> BulkLoadKind {
        match self {
            EntityKind::UserUpsert => BulkLoadKind::UserUpsert,
            EntityKind::GroupUpsert => BulkLoadKind::GroupUpsert,
            EntityKind::MembershipUpsert => BulkLoadKind::MembershipUpsert,
            EntityKind::MembershipDelete => BulkLoadKind::MembershipDelete,
            EntityKind::GroupDelete => BulkLoadKind::GroupDelete,
            EntityKind::UserDeactivate => BulkLoadKind::UserDelete,
        }
    }
}

impl Entity {
    /// The entity as core's bulk-load writer takes it.
    pub(crate) fn as_bulk(&self) -> BulkEntity<'_> {
        match self {
            Entity::UserUpsert(user) => BulkEntity::User(user),
            Entity::UserDeactivate(id) => BulkEntity::UserDelete(id),
            Entity::GroupUpsert(group) => BulkEntity::Group(group),
            Entity::GroupDelete(id) => BulkEntity::GroupDelete(id),
            Entity::MembershipUpsert { group, member } => {
                BulkEntity::MembershipUpsert { group, member }
            }
            Entity::MembershipDelete { group, member } => {
                BulkEntity::MembershipDelete { group, member }
            }
        }
    }

    /// Validates and serializes the entity into `encoded`.
    pub(crate) fn encode(&self, encoded: &mut EncodedEntity) -> Result<(), Vec<Violation>> {
        encoded.encode(self.as_bulk())
    }
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
    /// The body (`None` when the packer only counts).
    pub body: Option<BulkLoadBody>,
    /// Where its entities came from (empty when the packer only counts).
    pub ranges: Vec<LineRange>,
}

/// Builds the loads of one kind with core's writer, keeping the lines they came from.
#[derive(Debug)]
pub(crate) struct Packer {
    kind: EntityKind,
    writer: BulkLoadWriter,
    ranges: Vec<LineRange>,
    /// Whether to hand out bodies and ranges, or only count.
    keep: bool,
}

impl Packer {
    /// A packer of `kind` loads; `keep` false only counts them.
    pub(crate) fn new(kind: EntityKind, keep: bool) -> Self {
        Self {
            kind,
            writer: BulkLoadWriter::new(kind.load_kind()),
            ranges: Vec::new(),
            keep,
        }
    }

    /// The kind of the loads.
    pub(crate) fn kind(&self) -> EntityKind {
        self.kind
    }

    /// Adds an entity from `source` line `line`; returns the load it closed, if adding it
    /// closed one. The entity must be of the packer's kind (it always fits a new load).
    pub(crate) fn push(
        &mut self,
        entity: &EncodedEntity,
        source: &Arc<str>,
        line: u64,
    ) -> Option<Closed> {
        let closed = match self.writer.push(entity) {
            Ok(()) => None,
            Err(PushError::Full) => {
                let closed = self.close();
                self.writer
                    .push(entity)
                    .expect("an encoded entity fits an empty load");
                closed
            }
            Err(e) => unreachable!("the packer's sources are of its kind: {e}"),
        };
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
        let (entities, body) = if self.keep {
            let body = self.writer.finish()?;
            (body.entities(), Some(body))
        } else {
            (self.writer.discard(), None)
        };
        (entities > 0).then(|| Closed {
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
    pub body: BulkLoadBody,
    pub ranges: Vec<LineRange>,
}

impl PackedLoad {
    /// Entities in the load.
    pub(crate) fn entities(&self) -> u32 {
        self.body.entities()
    }
}

/// Adds one record to the input's fingerprint: its line and serialized entity, or a marker
/// for a record that could not be read, is of the wrong kind, or is invalid.
pub(crate) fn fingerprint_record(fp: &mut Fingerprint, line: u64, entity: Option<&EncodedEntity>) {
    fp.record(line, entity.map(EncodedEntity::parts));
}

/// The input's sources, ordered by kind (stable: sources of one kind keep their order), with
/// their index in the caller's slice.
pub(crate) fn ordered<'a>(sources: &[&'a dyn InputSource]) -> Vec<(usize, &'a dyn InputSource)> {
    let mut v: Vec<(usize, &'a dyn InputSource)> = sources.iter().copied().enumerate().collect();
    v.sort_by_key(|(_, s)| s.kind());
    v
}

/// The upload pass: streams every source again, skips what validation rejected, and packs
/// the rest into numbered loads, handing out those not in `done`.
pub(crate) struct LoadProducer<'a> {
    sources: Vec<(usize, &'a dyn InputSource)>,
    next_source: usize,
    records: Option<(usize, Arc<str>, Records<'a>)>,
    packer: Option<Packer>,
    encoded: EncodedEntity,
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
    /// Where the loads left out came from, not yet handed out.
    skipped_ranges: Vec<LineRange>,
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
            encoded: EncodedEntity::new(),
            skip,
            done,
            ready: VecDeque::new(),
            next_number: 0,
            finished: false,
            fingerprint,
            skipped_done: 0,
            skipped_done_entities: 0,
            skipped_ranges: Vec::new(),
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
            self.skipped_ranges.extend(closed.ranges);
            return;
        }
        self.ready.push_back(PackedLoad {
            number,
            kind: closed.kind,
            body: closed.body.expect("the upload pass keeps bodies"),
            ranges: closed.ranges,
        });
    }

    /// Where the loads left out because an earlier run applied them came from, since the
    /// last call.
    pub(crate) fn take_skipped_ranges(&mut self) -> Vec<LineRange> {
        std::mem::take(&mut self.skipped_ranges)
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
        if record.entity.encode(&mut self.encoded).is_err() {
            fingerprint_record(&mut self.fingerprint, record.line, None);
            return self.expect_skipped(index, &name, record.line);
        }
        fingerprint_record(&mut self.fingerprint, record.line, Some(&self.encoded));
        if self.skip.contains(index, record.line) {
            return Ok(());
        }
        if let Some(closed) = packer.push(&self.encoded, &record.source, record.line) {
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
    use crate::input::VecSource;
    use okta_idsrc_core::models::{
        BulkUpsertRequestBodyProfilesInner, IdentitySourceUserProfileForUpsert,
    };

    fn user(i: usize) -> Entity {
        Entity::UserUpsert(BulkUpsertRequestBodyProfilesInner::with(
            format!("u{i}"),
            IdentitySourceUserProfileForUpsert::new()
                .email(format!("u{i}@example.com"))
                .user_name(format!("u{i}@example.com")),
        ))
    }

    #[test]
    fn loads_are_numbered_in_kind_order_with_their_lines() {
        let users = VecSource::new("users", EntityKind::UserUpsert, (0..401).map(user));
        let leavers = VecSource::new(
            "leavers",
            EntityKind::UserDeactivate,
            (0..3).map(|i| Entity::UserDeactivate(format!("x{i}"))),
        );
        let skip = SkipSet::default();
        let fp = Fingerprint::new(crate::InvalidPolicy::Stop);
        // The leavers come first in the slice and last in the loads.
        let mut producer = LoadProducer::new(&[&leavers, &users], &skip, HashSet::from([1]), fp);
        let mut loads = Vec::new();
        while let Some(load) = producer.next_load().unwrap() {
            loads.push(load);
        }
        let seen: Vec<(u64, EntityKind, u32)> = loads
            .iter()
            .map(|l| (l.number, l.kind, l.entities()))
            .collect();
        assert_eq!(
            seen,
            [
                (0, EntityKind::UserUpsert, 200),
                (2, EntityKind::UserUpsert, 1),
                (3, EntityKind::UserDeactivate, 3)
            ]
        );
        assert_eq!(
            (producer.skipped_done, producer.skipped_done_entities),
            (1, 200)
        );
        assert_eq!(
            loads[1].ranges,
            [LineRange {
                source: Arc::from("users"),
                first: 401,
                last: 401
            }]
        );
        assert_eq!(loads[2].body.kind(), BulkLoadKind::UserDelete);
    }
}
