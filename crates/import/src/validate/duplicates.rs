//! The second reading of the validation pass: the sources of a kind read again where two id
//! hashes are equal, or a delete's hash matches an upsert's, to compare the ids themselves
//! and name both lines.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use okta_idsrc_core::bulk::EncodedEntity;
use okta_idsrc_core::stable_hash::hash_parts;

use super::{Problems, SkipSet};
use crate::error::ImportError;
use crate::input::{Entity, EntityKind, InputError, InputSource, Record};
use crate::pack::{Packer, identity};

/// The kind that upserts what `kind` deletes (user deactivations: user upserts…).
pub(super) fn upsert_of(kind: EntityKind) -> Option<EntityKind> {
    match kind {
        EntityKind::UserDeactivate => Some(EntityKind::UserUpsert),
        EntityKind::GroupDelete => Some(EntityKind::GroupUpsert),
        EntityKind::MembershipDelete => Some(EntityKind::MembershipUpsert),
        _ => None,
    }
}

/// Reads the sources of `kind` again, handing `each` every record of the kind that
/// validation kept, with its source's index and name.
fn each_valid(
    ordered: &[(usize, &dyn InputSource)],
    kind: EntityKind,
    skip: &SkipSet,
    mut each: impl FnMut(usize, &Arc<str>, Record),
) -> Result<(), ImportError> {
    for &(index, source) in ordered.iter().filter(|(_, s)| s.kind() == kind) {
        let name: Arc<str> = Arc::from(source.name());
        for record in source.open().map_err(ImportError::Input)? {
            let Ok(r) = record else { continue };
            if r.entity.kind() == kind && !skip.contains(index, r.line) {
                each(index, &name, r);
            }
        }
    }
    Ok(())
}

/// Where each id hash of `wanted` is first upserted (by the valid records of `kind`).
pub(super) fn first_lines(
    ordered: &[(usize, &dyn InputSource)],
    kind: EntityKind,
    wanted: &HashSet<u64>,
    skip: &SkipSet,
) -> Result<HashMap<u64, (Arc<str>, u64)>, ImportError> {
    let mut found = HashMap::new();
    each_valid(ordered, kind, skip, |_, name, r| {
        let hash = hash_parts(&identity(&r.entity));
        if wanted.contains(&hash) {
            found
                .entry(hash)
                .or_insert_with(|| (Arc::clone(name), r.line));
        }
    })?;
    Ok(found)
}

/// Reads the sources of `kind` again: entities whose id hash is in `dups` are compared for
/// real, and every one after the first of an id is a problem naming both lines; an entity
/// whose id hash is in `upserted_at` (a delete of what the run upserts) is a problem naming
/// the upsert's line. Returns the kind's load count without them.
pub(super) fn find_duplicates(
    ordered: &[(usize, &dyn InputSource)],
    kind: EntityKind,
    dups: &HashSet<u64>,
    upserted_at: &HashMap<u64, (Arc<str>, u64)>,
    skip: &SkipSet,
    problems: &mut Problems,
) -> Result<u64, ImportError> {
    // Id hash → (id, source, line) of each distinct id seen with that hash.
    let mut seen: HashMap<u64, Vec<Seen>> = HashMap::new();
    let mut packer = Packer::new(kind, false);
    let mut encoded = EncodedEntity::new();
    let mut loads = 0;
    each_valid(ordered, kind, skip, |index, name, r| {
        let parts = identity(&r.entity);
        let hash = hash_parts(&parts);
        if let Some((upsert_source, upsert_line)) = upserted_at.get(&hash) {
            let problem = contradiction_problem(&r, name, upsert_source, *upsert_line);
            problems.entity(index, r.line, [problem]);
            return;
        }
        if dups.contains(&hash) {
            let mut key = parts[0].to_vec();
            key.push(0);
            key.extend_from_slice(parts[1]);
            let entries = seen.entry(hash).or_default();
            if let Some((_, first_source, first_line)) = entries.iter().find(|(k, _, _)| *k == key)
            {
                let problem = duplicate_problem(&r, name, first_source, *first_line);
                problems.entity(index, r.line, [problem]);
                return;
            }
            entries.push((key, Arc::clone(name), r.line));
        }
        if r.entity.encode(&mut encoded).is_ok() {
            loads += u64::from(packer.push(&encoded, name, r.line).is_some());
        }
    })?;
    loads += u64::from(packer.close().is_some());
    Ok(loads)
}

/// A delete of what the same run upserts, at `r`; the upsert is at `upsert_line` of
/// `upsert_source`.
pub(crate) fn contradiction_problem(
    r: &Record,
    source: &Arc<str>,
    upsert_source: &str,
    upsert_line: u64,
) -> InputError {
    let at = format!("{upsert_source} line {upsert_line}");
    let (field, message) = match &r.entity {
        Entity::UserDeactivate(id) => (
            "externalId",
            format!(
                "user externalId {id:?} is both upserted ({at}) and deactivated here; one run \
                 cannot do both: remove it from one of the files"
            ),
        ),
        Entity::GroupDelete(id) => (
            "externalId",
            format!(
                "group externalId {id:?} is both upserted ({at}) and deleted here; one run \
                 cannot do both: remove it from one of the files"
            ),
        ),
        Entity::MembershipDelete { group, member } => (
            "memberExternalId",
            format!(
                "the membership of {member:?} in group {group:?} is both added ({at}) and \
                 removed here; one run cannot do both: remove it from one of the files"
            ),
        ),
        other => (
            "externalId",
            format!("a {} that contradicts {at}", other.kind()),
        ),
    };
    InputError::new(Arc::clone(source), message)
        .at_line(r.line)
        .in_field(field)
}

/// An id seen on the second reading: the id's bytes, and where it was first.
type Seen = (Vec<u8>, Arc<str>, u64);

/// The entity at `r` (in `source`) repeats the id first at `first_line` of `first_source`.
pub(crate) fn duplicate_problem(
    r: &Record,
    source: &Arc<str>,
    first_source: &str,
    first_line: u64,
) -> InputError {
    let at = if **source == *first_source {
        format!("line {first_line}")
    } else {
        format!("{first_source} line {first_line}")
    };
    let (field, message) = match &r.entity {
        Entity::UserUpsert(u) => (
            "externalId",
            format!(
                "duplicate user externalId {:?}; first at {at}",
                u.external_id.as_deref().unwrap_or_default()
            ),
        ),
        Entity::GroupUpsert(g) => (
            "externalId",
            format!(
                "duplicate group externalId {:?}; first at {at}",
                g.external_id.as_deref().unwrap_or_default()
            ),
        ),
        Entity::UserDeactivate(id) => (
            "externalId",
            format!("duplicate user externalId {id:?}; first at {at}"),
        ),
        Entity::GroupDelete(id) => (
            "externalId",
            format!("duplicate group externalId {id:?}; first at {at}"),
        ),
        Entity::MembershipUpsert { group, member } | Entity::MembershipDelete { group, member } => {
            (
                "memberExternalId",
                format!("duplicate membership of {member:?} in group {group:?}; first at {at}"),
            )
        }
    };
    InputError::new(Arc::clone(source), message)
        .at_line(r.line)
        .in_field(field)
}
