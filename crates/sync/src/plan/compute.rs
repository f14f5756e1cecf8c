//! Computing a [`Plan`]: the snapshot streamed once against the state held in memory (one
//! entry per user: its profile hash and whether it is active), so that a million users plan
//! in seconds in bounded memory; only the changes are kept.

use std::collections::HashSet;
use std::sync::Arc;

use okta_idsrc_core::bulk::EncodedEntity;
use okta_idsrc_core::stable_hash::StableHasher;
use okta_idsrc_import::{Entity, EntityKind, InputError, InputSource, check_record};

use super::upserts::{Upserts, describe, upserts};
use super::{
    ChangeKind, GroupUpsert, Leaver, Membership, PLAN_VERSION, PendingKey, Plan, SnapshotCounts,
    UserUpsert,
};
use crate::error::SyncError;
use crate::profile::Canonical;
use crate::safeguards::Thresholds;
use crate::store::{StateStore, TargetId};
use crate::target::Target;

/// The snapshot to plan from: full exports of the HR source, in the formats `import` reads.
/// Start from [`Snapshot::users`], then say what else it manages.
#[derive(Clone, Copy)]
#[non_exhaustive]
pub struct Snapshot<'a> {
    /// Sources of users (kind [`EntityKind::UserUpsert`]).
    pub users: &'a [&'a dyn InputSource],
    /// Sources of groups (kind [`EntityKind::GroupUpsert`]); `None`: groups are not managed
    /// (none is deleted).
    pub groups: Option<&'a [&'a dyn InputSource]>,
    /// Sources of memberships (kind [`EntityKind::MembershipUpsert`]); `None`: memberships
    /// are not managed (none is removed).
    pub memberships: Option<&'a [&'a dyn InputSource]>,
    /// External ids of users the HR source holds but leaves out of the sync (a mapping's
    /// skipped rows): absent from `users`, yet kept as the state holds them — neither
    /// upserted nor deactivated.
    pub kept: Option<&'a HashSet<String>>,
}

impl<'a> Snapshot<'a> {
    /// A snapshot of `users` alone: groups and memberships are not managed, no user is kept
    /// out of the sync.
    pub fn users(users: &'a [&'a dyn InputSource]) -> Self {
        Self {
            users,
            groups: None,
            memberships: None,
            kept: None,
        }
    }

    /// Groups are managed: these are all of them (a group the state holds and they lack is
    /// deleted).
    #[must_use]
    pub fn with_groups(mut self, groups: &'a [&'a dyn InputSource]) -> Self {
        self.groups = Some(groups);
        self
    }

    /// Memberships are managed: these are all of them.
    #[must_use]
    pub fn with_memberships(mut self, memberships: &'a [&'a dyn InputSource]) -> Self {
        self.memberships = Some(memberships);
        self
    }

    /// Users the HR source holds but leaves out of the sync, kept as the state holds them.
    #[must_use]
    pub fn with_kept(mut self, kept: &'a HashSet<String>) -> Self {
        self.kept = Some(kept);
        self
    }
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
pub(super) struct Problems {
    pub(super) list: Vec<InputError>,
    pub(super) total: u64,
    pub(super) cap: usize,
}

impl Problems {
    pub(super) fn add(&mut self, problems: impl IntoIterator<Item = InputError>) {
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
pub(super) struct Reading {
    pub(super) fingerprint: StableHasher,
    pub(super) problems: Problems,
    pub(super) pending: HashSet<PendingKey>,
    pub(super) full: bool,
}

impl Reading {
    /// Whether a change of `kind` to `key` (and `member`) is pending from an earlier run.
    pub(super) fn is_pending(&self, kind: ChangeKind, key: &str, member: &str) -> bool {
        !self.pending.is_empty()
            && self.pending.contains(&PendingKey {
                kind,
                key: key.to_owned(),
                member: member.to_owned(),
            })
    }

    /// Reads every record of `sources`, validated with the importer's rules, handing the
    /// valid ones to `each` and collecting the problems; fingerprints what it reads.
    pub(super) fn read(
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
    let mut users = upserts::<UserUpsert>(
        store,
        target_id,
        counts.users_active + counts.users_inactive,
        snapshot.users,
        &mut reading,
    )?;
    let mut snapshot_kept = 0;
    if let Some(kept) = snapshot.kept {
        snapshot_kept = kept.len() as u64;
        users.leaving.retain(|id| !kept.contains(id));
        let mut ids: Vec<&String> = kept.iter().collect();
        ids.sort();
        reading.fingerprint.u64(ids.len() as u64);
        for id in ids {
            reading.fingerprint.bytes(id.as_bytes());
        }
    }
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
            kept: snapshot_kept,
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

#[cfg(test)]
mod tests {
    use okta_idsrc_core::models::{
        BulkUpsertRequestBodyProfilesInner, IdentitySourceUserProfileForUpsert,
    };
    use okta_idsrc_import::VecSource;

    use super::*;
    use crate::plan::Applied;

    fn user(id: &str) -> BulkUpsertRequestBodyProfilesInner {
        let profile = IdentitySourceUserProfileForUpsert::new()
            .email(format!("{id}@example.com"))
            .user_name(format!("{id}@example.com"));
        BulkUpsertRequestBodyProfilesInner::with(id, profile)
    }

    #[test]
    fn kept_users_are_neither_upserted_nor_deactivated() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut store = StateStore::open(dir.path().join("state.db")).expect("store");
        let target = Target::new("https://a.okta.com", "0oa1").expect("target");
        let id = store.target(&target).expect("target id");
        let applied = Applied {
            users_upserted: ["a", "b", "c"]
                .iter()
                .map(|i| ((*i).to_owned(), Canonical::of_user(&user(i))))
                .collect(),
            ..Applied::default()
        };
        store.commit(id, &applied).expect("commit");
        // b's row is now skipped, c's gone: b is kept, c leaves.
        let users = VecSource::new(
            "users",
            EntityKind::UserUpsert,
            vec![Entity::UserUpsert(user("a"))],
        );
        let sources: [&dyn InputSource; 1] = [&users];
        let kept: HashSet<String> = ["b".to_owned(), "z".to_owned()].into();
        let mut options = PlanOptions::default();
        options.thresholds.allow_deletions = true;
        let snapshot = Snapshot::users(&sources);
        let p = plan(&store, id, &target, snapshot.with_kept(&kept), &options).expect("plan");
        assert!(p.users_upserted.is_empty());
        let leavers: Vec<&str> = p
            .users_deactivated
            .iter()
            .map(|l| l.external_id.as_str())
            .collect();
        assert_eq!(leavers, ["c"]);
        let without = plan(&store, id, &target, snapshot, &options).expect("plan");
        assert_eq!(without.users_deactivated.len(), 2);
        assert_ne!(p.input, without.input, "the kept ids are part of the input");
    }
}
