//! Computing a [`Plan`]: the snapshot streamed once against the state held in memory (one
//! entry per user: its profile hash and whether it is active), so that a million users plan
//! in seconds in bounded memory; only the changes are kept.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use okta_idsrc_core::bulk::EncodedEntity;
use okta_idsrc_core::stable_hash::StableHasher;
use okta_idsrc_import::{Entity, EntityKind, InputError, InputSource, check_record};

use super::{
    ChangeKind, GroupUpsert, Leaver, Membership, PLAN_VERSION, PendingKey, Plan, Reason,
    SnapshotCounts, UserUpsert,
};
use crate::error::SyncError;
use crate::profile::{Canonical, ProfileHash};
use crate::safeguards::Thresholds;
use crate::store::{Entities, StateStore, TargetId};
use crate::target::Target;

/// The snapshot to plan from: full exports of the HR source, in the formats `import` reads.
#[derive(Clone, Copy)]
pub struct Snapshot<'a> {
    /// Sources of users (kind [`EntityKind::UserUpsert`]).
    pub users: &'a [&'a dyn InputSource],
    /// Sources of groups (kind [`EntityKind::GroupUpsert`]); `None`: groups are not managed
    /// (none is deleted).
    pub groups: Option<&'a [&'a dyn InputSource]>,
    /// Sources of memberships (kind [`EntityKind::MembershipUpsert`]); `None`: memberships
    /// are not managed (none is removed).
    pub memberships: Option<&'a [&'a dyn InputSource]>,
}

/// How a plan is computed.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PlanOptions {
    /// Send every entity of the snapshot, changed or not (deactivations as usual).
    pub full: bool,
    /// The safeguards.
    pub thresholds: Thresholds,
    /// How many problems an invalid snapshot's error lists (all are counted).
    pub max_problems: usize,
    /// How many upserts get attribute-level detail.
    pub detail: usize,
}

impl Default for PlanOptions {
    fn default() -> Self {
        Self {
            full: false,
            thresholds: Thresholds::default(),
            max_problems: 100,
            detail: 20,
        }
    }
}

/// Problems found while reading the snapshot.
struct Problems {
    list: Vec<InputError>,
    total: u64,
    cap: usize,
}

impl Problems {
    fn add(&mut self, problems: impl IntoIterator<Item = InputError>) {
        self.total += 1;
        for p in problems {
            if self.list.len() < self.cap {
                self.list.push(p);
            }
        }
    }
}

/// What reading the snapshot carries along: the fingerprint of what was read, the problems
/// found, the changes still pending from earlier runs and whether every entity is sent.
struct Reading {
    fingerprint: StableHasher,
    problems: Problems,
    pending: HashSet<PendingKey>,
    full: bool,
}

impl Reading {
    /// Whether a change of `kind` to `key` (and `member`) is pending from an earlier run.
    fn is_pending(&self, kind: ChangeKind, key: &str, member: &str) -> bool {
        !self.pending.is_empty()
            && self.pending.contains(&PendingKey {
                kind,
                key: key.to_owned(),
                member: member.to_owned(),
            })
    }

    /// Reads every record of `sources`, validated with the importer's rules, handing the
    /// valid ones to `each` and collecting the problems; fingerprints what it reads.
    fn read(
        &mut self,
        sources: &[&dyn InputSource],
        kind: EntityKind,
        mut each: impl FnMut(&mut Self, Entity, &Arc<str>, u64),
    ) -> Result<(), SyncError> {
        let mut encoded = EncodedEntity::new();
        for source in sources {
            let name: Arc<str> = Arc::from(source.name());
            self.fingerprint.bytes(name.as_bytes());
            self.fingerprint.u64(kind.index() as u64);
            for record in source.open().map_err(SyncError::Input)? {
                let record = match record {
                    Ok(r) => r,
                    Err(e) if e.line.is_some() => {
                        self.problems.add([e]);
                        continue;
                    }
                    Err(e) => return Err(SyncError::Input(e)),
                };
                if record.entity.kind() != kind {
                    let message = format!("a {} in a source of {}s", record.entity.kind(), kind);
                    let problem = InputError::new(Arc::clone(&name), message).at_line(record.line);
                    self.problems.add([problem]);
                    continue;
                }
                if let Err(found) = check_record(&record, &mut encoded) {
                    self.problems.add(found);
                    continue;
                }
                self.fingerprint.u64(record.line);
                for part in encoded.parts() {
                    self.fingerprint.bytes(part);
                }
                each(self, record.entity, &name, record.line);
            }
        }
        Ok(())
    }
}

/// A user or group upsert as planning builds it.
pub(crate) trait Upsert: Sized {
    /// What the entity is called in messages.
    const WHAT: &'static str;
    /// The kind of change.
    const KIND: ChangeKind;
    /// The kind of entity in a snapshot.
    const ENTITY: EntityKind;
    /// The state's entities of this kind.
    const STATE: Entities;
    /// The upsert of `entity`, if it is of kind [`ENTITY`](Self::ENTITY).
    fn from_entity(entity: Entity, reason: Reason) -> Option<Self>;
    /// The external id.
    fn id(&self) -> &str;
    /// The canonical profile.
    fn canonical(&self) -> Canonical;
    /// Why it is sent.
    fn reason(&mut self) -> &mut Reason;
    /// Why it is sent.
    fn reason_ref(&self) -> &Reason;
    /// The attribute-level detail.
    fn detail(&mut self) -> &mut Vec<String>;
}

/// Implements [`Upsert`] for a plan entry with `reason` and `detail` fields and the entity
/// in `$field`.
macro_rules! upsert {
    ($ty:ty, $what:literal, $kind:ident, $variant:ident, $field:ident, $canonical:path, $state:ident) => {
        impl Upsert for $ty {
            const WHAT: &'static str = $what;
            const KIND: ChangeKind = ChangeKind::$kind;
            const ENTITY: EntityKind = EntityKind::$kind;
            const STATE: Entities = Entities::$state;
            fn from_entity(entity: Entity, reason: Reason) -> Option<Self> {
                let Entity::$variant($field) = entity else {
                    return None;
                };
                Some(Self {
                    reason,
                    $field,
                    detail: Vec::new(),
                })
            }
            fn id(&self) -> &str {
                self.$field.external_id.as_deref().unwrap_or_default()
            }
            fn canonical(&self) -> Canonical {
                $canonical(&self.$field)
            }
            fn reason(&mut self) -> &mut Reason {
                &mut self.reason
            }
            fn reason_ref(&self) -> &Reason {
                &self.reason
            }
            fn detail(&mut self) -> &mut Vec<String> {
                &mut self.detail
            }
        }
    };
}

upsert!(
    UserUpsert,
    "user",
    UserUpsert,
    UserUpsert,
    user,
    Canonical::of_user,
    Users
);
upsert!(
    GroupUpsert,
    "group",
    GroupUpsert,
    GroupUpsert,
    group,
    Canonical::of_group,
    Groups
);

/// What the snapshot holds of one kind of upsert, against the state.
struct Upserts<U> {
    /// What to send.
    upserts: Vec<U>,
    /// Active in the state, absent from the snapshot (sorted).
    leaving: Vec<String>,
    /// Entities in the snapshot.
    seen: u64,
}

impl<U> Default for Upserts<U> {
    fn default() -> Self {
        Self {
            upserts: Vec::new(),
            leaving: Vec::new(),
            seen: 0,
        }
    }
}

/// Where the snapshot first named an external id: the source's index in [`Sources`] and the
/// line (lines count from 1).
#[derive(Debug, Clone, Copy)]
struct Place {
    source: u32,
    line: u64,
}

/// The names of the sources read so far, for [`Place`]s.
#[derive(Default)]
struct Sources(Vec<Arc<str>>);

impl Sources {
    fn index(&mut self, name: &Arc<str>) -> u32 {
        match self.0.iter().position(|n| n == name) {
            Some(i) => i as u32,
            None => {
                self.0.push(Arc::clone(name));
                (self.0.len() - 1) as u32
            }
        }
    }

    fn name(&self, place: Place) -> &Arc<str> {
        &self.0[place.source as usize]
    }
}

/// One entity the state knows, as planning holds it: a million of them plan in well under
/// 256 MiB (48 bytes an entry, plus the id's allocation).
struct Known {
    hash: ProfileHash,
    /// The line where the snapshot named it (0: not yet), in source `source`.
    line: u64,
    source: u32,
    active: bool,
}

impl Known {
    fn seen(&self) -> Option<Place> {
        (self.line != 0).then_some(Place {
            source: self.source,
            line: self.line,
        })
    }
}

/// Reads the `U`s of `sources` against the state of `target` in `store`: the upserts to
/// send and the active entities the snapshot no longer names.
fn upserts<U: Upsert>(
    store: &StateStore,
    target: TargetId,
    capacity: u64,
    sources: &[&dyn InputSource],
    reading: &mut Reading,
) -> Result<Upserts<U>, SyncError> {
    let mut known: HashMap<Box<str>, Known> =
        HashMap::with_capacity(usize::try_from(capacity).unwrap_or(0));
    store.each(target, U::STATE, |id, hash, active| {
        known.insert(
            id.into(),
            Known {
                hash,
                line: 0,
                source: 0,
                active,
            },
        );
    })?;
    let mut new: HashMap<Box<str>, Place> = HashMap::new();
    let mut names = Sources::default();
    let mut out = Upserts::default();
    reading.read(sources, U::ENTITY, |reading, entity, name, line| {
        let Some(mut upsert) = U::from_entity(entity, Reason::New) else {
            return;
        };
        let here = Place {
            source: names.index(name),
            line,
        };
        let (first, state) = match known.get_mut(upsert.id()) {
            Some(k) => match k.seen() {
                Some(first) => (Some(first), None),
                None => {
                    (k.line, k.source) = (here.line, here.source);
                    (None, Some((k.hash, k.active)))
                }
            },
            None => match new.entry(upsert.id().into()) {
                Entry::Occupied(at) => (Some(*at.get()), None),
                Entry::Vacant(at) => {
                    at.insert(here);
                    (None, None)
                }
            },
        };
        if let Some(first) = first {
            let problem = duplicate(
                U::WHAT,
                upsert.id(),
                name,
                line,
                names.name(first),
                first.line,
            );
            reading.problems.add([problem]);
            return;
        }
        out.seen += 1;
        let pending = reading.is_pending(U::KIND, upsert.id(), "");
        if let Some(why) = reason(state, upsert.canonical().hash(), pending, reading.full) {
            *upsert.reason() = why;
            out.upserts.push(upsert);
        }
    })?;
    out.leaving = known
        .into_iter()
        .filter(|(_, k)| k.active && k.seen().is_none())
        .map(|(id, _)| id.into())
        .collect();
    out.leaving.sort();
    Ok(out)
}

/// A duplicate external id, as a problem naming both lines.
fn duplicate(
    what: &str,
    id: &str,
    name: &Arc<str>,
    line: u64,
    first_name: &Arc<str>,
    first_line: u64,
) -> InputError {
    let at = if first_name == name {
        format!("line {first_line}")
    } else {
        format!("{first_name} line {first_line}")
    };
    InputError::new(
        Arc::clone(name),
        format!("duplicate {what} externalId {id:?}; first at {at}"),
    )
    .at_line(line)
    .in_field("externalId")
}

/// The reason to upsert an entity the state knows as `known` (`None`: unknown), whose
/// profile now hashes `hash`; `None` when nothing is to be sent.
fn reason(
    known: Option<(ProfileHash, bool)>,
    hash: ProfileHash,
    pending: bool,
    full: bool,
) -> Option<Reason> {
    if pending {
        return Some(Reason::Pending);
    }
    match known {
        None => Some(Reason::New),
        Some((_, false)) => Some(Reason::Reactivated),
        Some((h, true)) if h != hash => Some(Reason::Changed),
        Some(_) if full => Some(Reason::Refresh),
        Some(_) => None,
    }
}

/// Computes the plan of `snapshot` against the state of `target` in `store`.
pub fn plan(
    store: &StateStore,
    target_id: TargetId,
    target: &Target,
    snapshot: Snapshot<'_>,
    options: &PlanOptions,
) -> Result<Plan, SyncError> {
    let revision = store.revision(target_id)?;
    let counts = store.counts(target_id)?;
    let mut fingerprint = StableHasher::new();
    fingerprint.u64(u64::from(PLAN_VERSION));
    fingerprint.u64(u64::from(options.full));
    let mut reading = Reading {
        fingerprint,
        problems: Problems {
            list: Vec::new(),
            total: 0,
            cap: options.max_problems,
        },
        pending: store.pending(target_id)?,
        full: options.full,
    };

    // Users, then groups.
    let users = upserts::<UserUpsert>(
        store,
        target_id,
        counts.users_active + counts.users_inactive,
        snapshot.users,
        &mut reading,
    )?;
    let mut groups = Upserts::default();
    let mut snapshot_groups = None;
    if let Some(sources) = snapshot.groups {
        groups = upserts::<GroupUpsert>(store, target_id, counts.groups, sources, &mut reading)?;
        snapshot_groups = Some(groups.seen);
    }
    let Upserts {
        upserts: mut users_upserted,
        leaving,
        seen: snapshot_users,
    } = users;
    let Upserts {
        upserts: mut groups_upserted,
        leaving: groups_leaving,
        ..
    } = groups;
    let deleted_groups: HashSet<&str> = groups_leaving.iter().map(String::as_str).collect();

    // Memberships: set differences.
    let mut memberships_added = Vec::new();
    let mut memberships_removed = Vec::new();
    let mut snapshot_memberships = None;
    if let Some(sources) = snapshot.memberships {
        let mut state = store.memberships(target_id)?;
        let mut seen: HashSet<(String, String)> = HashSet::new();
        reading.read(
            sources,
            EntityKind::MembershipUpsert,
            |reading, entity, name, line| {
                let Entity::MembershipUpsert { group, member } = entity else {
                    return;
                };
                let key = (group, member);
                if !seen.insert(key.clone()) {
                    let message =
                        format!("duplicate membership of {:?} in group {:?}", key.1, key.0);
                    reading
                        .problems
                        .add([InputError::new(Arc::clone(name), message)
                            .at_line(line)
                            .in_field("memberExternalId")]);
                    return;
                }
                let known = state.remove(&key);
                let pending = reading.is_pending(ChangeKind::MembershipAdd, &key.0, &key.1);
                if !known || pending || reading.full {
                    memberships_added.push(Membership {
                        group: key.0,
                        member: key.1,
                    });
                }
            },
        )?;
        snapshot_memberships = Some(seen.len() as u64);
        // What is left of the state is not in the snapshot; a deleted group's members go
        // with it.
        memberships_removed = state
            .into_iter()
            .filter(|(g, _)| !deleted_groups.contains(g.as_str()))
            .map(|(group, member)| Membership { group, member })
            .collect();
        memberships_removed.sort();
    }

    let Reading {
        fingerprint,
        problems,
        ..
    } = &reading;
    if problems.total > 0 {
        return Err(SyncError::InvalidInput {
            problems: problems.list.clone(),
            total: problems.total,
        });
    }

    // Names of the leavers, and detail for the first upserts.
    let leaver_names = store.profiles(
        target_id,
        ChangeKind::UserDeactivate,
        &leaving.iter().map(String::as_str).collect::<Vec<_>>(),
    )?;
    let users_deactivated = leaving
        .into_iter()
        .map(|id| Leaver {
            name: leaver_names.get(&id).and_then(Canonical::display_name),
            pending: reading.is_pending(ChangeKind::UserDeactivate, &id, ""),
            external_id: id,
        })
        .collect();
    let group_names = store.profiles(
        target_id,
        ChangeKind::GroupDelete,
        &groups_leaving
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    )?;
    let groups_deleted = groups_leaving
        .into_iter()
        .map(|id| Leaver {
            name: group_names
                .get(&id)
                .and_then(|p| p.get("displayName").map(str::to_owned)),
            pending: reading.is_pending(ChangeKind::GroupDelete, &id, ""),
            external_id: id,
        })
        .collect();
    describe(store, target_id, &mut users_upserted, options.detail)?;
    describe(store, target_id, &mut groups_upserted, options.detail)?;

    let mut plan = Plan {
        version: PLAN_VERSION,
        target: target.clone(),
        revision,
        input: fingerprint.finish_hex(),
        full: options.full,
        state: counts,
        snapshot: SnapshotCounts {
            users: snapshot_users,
            groups: snapshot_groups,
            memberships: snapshot_memberships,
        },
        users_upserted,
        users_deactivated,
        groups_upserted,
        groups_deleted,
        memberships_added,
        memberships_removed,
        held: None,
    };
    plan.held = options.thresholds.check(&plan);
    Ok(plan)
}

/// Attribute-level detail for the first `n` upserts that are not new: each one's canonical
/// profile against the one the state holds for its external id. (A new entity's every
/// attribute would be a change; the plan calls it new instead.)
fn describe<U: Upsert>(
    store: &StateStore,
    target: TargetId,
    upserts: &mut [U],
    n: usize,
) -> Result<(), SyncError> {
    let mut first: Vec<&mut U> = upserts
        .iter_mut()
        .filter(|u| *u.reason_ref() != Reason::New)
        .take(n)
        .collect();
    let before = {
        let ids: Vec<&str> = first.iter().map(|u| u.id()).collect();
        store.profiles(target, U::KIND, &ids)?
    };
    let empty = Canonical::default();
    for u in &mut first {
        let old = before.get(u.id()).unwrap_or(&empty);
        let changes = u
            .canonical()
            .changes_from(old)
            .iter()
            .map(ToString::to_string)
            .collect();
        *u.detail() = changes;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_entity_takes_48_bytes_of_table() {
        assert!(std::mem::size_of::<(Box<str>, Known)>() <= 48);
    }
}
