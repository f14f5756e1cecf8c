//! Reading one kind of upsert (users or groups) from the snapshot against the state: what
//! to send and why, the active entities the snapshot no longer names, and the attribute-level
//! detail of the first changes.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::Arc;

use okta_idsrc_import::{Entity, EntityKind, InputError, InputSource};

use super::compute::Reading;
use okta_idsrc_core::models::{
    BulkGroupUpsertRequestBodyProfilesInner, BulkUpsertRequestBodyProfilesInner,
};

use super::{ChangeKind, GroupUpsert, Planned, PlannedModel, Reason, UserUpsert};
use crate::error::SyncError;
use crate::profile::{Canonical, ProfileHash};
use crate::store::{Entities, StateStore, TargetId};

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
    /// The model a snapshot's entity of kind [`ENTITY`](Self::ENTITY) holds.
    type Model: PlannedModel;
    /// The model of `entity`, if it is of kind [`ENTITY`](Self::ENTITY).
    fn model(entity: Entity) -> Option<Self::Model>;
    /// The canonical profile of `model`.
    fn canonical_of(model: &Self::Model) -> Canonical;
    /// The upsert of `model`, sent for `reason`.
    fn planned(model: &Self::Model, reason: Reason) -> Self;
    /// What is sent.
    fn entity(&self) -> &Planned<Self::Model>;
    /// Why it is sent.
    fn reason(&self) -> Reason;
    /// The attribute-level detail.
    fn detail(&mut self) -> &mut Vec<String>;

    /// The external id.
    fn id(&self) -> &str {
        self.entity().external_id()
    }

    /// The canonical profile (decodes the entity).
    fn canonical(&self) -> Canonical {
        Self::canonical_of(&self.entity().get())
    }
}

/// Implements [`Upsert`] for a plan entry with `reason` and `detail` fields and the entity
/// in `$field`.
macro_rules! upsert {
    ($ty:ty, $what:literal, $kind:ident, $model:ty, $field:ident, $canonical:path, $state:ident) => {
        impl Upsert for $ty {
            const WHAT: &'static str = $what;
            const KIND: ChangeKind = ChangeKind::$kind;
            const ENTITY: EntityKind = EntityKind::$kind;
            const STATE: Entities = Entities::$state;
            type Model = $model;
            fn model(entity: Entity) -> Option<$model> {
                match entity {
                    Entity::$kind(model) => Some(model),
                    _ => None,
                }
            }
            fn canonical_of(model: &$model) -> Canonical {
                $canonical(model)
            }
            fn planned(model: &$model, reason: Reason) -> Self {
                Self {
                    reason,
                    $field: Planned::new(model),
                    detail: Vec::new(),
                }
            }
            fn entity(&self) -> &Planned<$model> {
                &self.$field
            }
            fn reason(&self) -> Reason {
                self.reason
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
    BulkUpsertRequestBodyProfilesInner,
    user,
    Canonical::of_user,
    Users
);
upsert!(
    GroupUpsert,
    "group",
    GroupUpsert,
    BulkGroupUpsertRequestBodyProfilesInner,
    group,
    Canonical::of_group,
    Groups
);

/// What the snapshot holds of one kind of upsert, against the state.
pub(super) struct Upserts<U> {
    /// What to send.
    pub(super) upserts: Vec<U>,
    /// Active in the state, absent from the snapshot (sorted).
    pub(super) leaving: Vec<String>,
    /// Entities in the snapshot.
    pub(super) seen: u64,
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
pub(super) fn upserts<U: Upsert>(
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
        let Some(model) = U::model(entity) else {
            return;
        };
        let id = model.external_id();
        let here = Place {
            source: names.index(name),
            line,
        };
        let (first, state) = match known.get_mut(id) {
            Some(k) => match k.seen() {
                Some(first) => (Some(first), None),
                None => {
                    (k.line, k.source) = (here.line, here.source);
                    (None, Some((k.hash, k.active)))
                }
            },
            None => match new.entry(id.into()) {
                Entry::Occupied(at) => (Some(*at.get()), None),
                Entry::Vacant(at) => {
                    at.insert(here);
                    (None, None)
                }
            },
        };
        if let Some(first) = first {
            let problem = duplicate(U::WHAT, id, name, line, names.name(first), first.line);
            reading.problems.add([problem]);
            return;
        }
        out.seen += 1;
        let pending = reading.is_pending(U::KIND, id, "");
        let hash = U::canonical_of(&model).hash();
        if let Some(why) = reason(state, hash, pending, reading.full) {
            out.upserts.push(U::planned(&model, why));
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

/// Attribute-level detail for the first `n` upserts that are not new: each one's canonical
/// profile against the one the state holds for its external id. (A new entity's every
/// attribute would be a change; the plan calls it new instead.)
pub(super) fn describe<U: Upsert>(
    store: &StateStore,
    target: TargetId,
    upserts: &mut [U],
    n: usize,
) -> Result<(), SyncError> {
    let mut first: Vec<&mut U> = upserts
        .iter_mut()
        .filter(|u| u.reason() != Reason::New)
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
