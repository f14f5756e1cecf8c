//! The validation pass: every record read once, checked, fingerprinted and counted into
//! loads, before anything is sent.
//!
//! Duplicate external ids within a kind are found with one 64-bit hash per valid entity
//! (8 bytes each: 8 MB for a million users), sorted at the end; only when two hashes are
//! equal are the sources of that kind read again, to compare the ids themselves and name
//! both lines.
//!
//! Contradictions are found the same way: an id both upserted and deactivated (a user), or
//! upserted and deleted (a group), or a membership both added and removed, in one run. The
//! upsert's hash matching the delete's is taken as the same id (a 64-bit hash: a false match
//! is about as likely as a disk error), and the delete is refused naming both lines.
//!
//! The references that memberships, deactivations and group deletes make to users and groups
//! the input does not upsert are collected (bounded, deduplicated) for the run to look up.
//!
//! This module is the pass itself; the second reading that names duplicates and
//! contradictions is in [`duplicates`].

mod duplicates;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use okta_idsrc_core::bulk::EncodedEntity;
use okta_idsrc_core::validate::Violation;

use super::error::ImportError;
use super::fingerprint::Fingerprint;
use super::input::{EntityKind, InputError, InputSource, Record};
use super::options::{ImportOptions, InvalidPolicy};
use super::pack::{Packer, identity, ordered};
use super::progress::Reporter;
use super::references::{References, Referent};
use super::report::EntityCounts;
use okta_idsrc_core::stable_hash::hash_parts;

use duplicates::{find_duplicates, first_lines, upsert_of};

/// The records validation rejected, by source index and line: 8 bytes each, sorted.
#[derive(Debug, Default, Clone)]
pub(crate) struct SkipSet {
    locations: Vec<u64>,
}

impl SkipSet {
    const LINE_BITS: u32 = 44;

    fn key(source: usize, line: u64) -> u64 {
        ((source as u64) << Self::LINE_BITS) | (line & ((1 << Self::LINE_BITS) - 1))
    }

    fn from_unsorted(mut locations: Vec<u64>) -> Self {
        locations.sort_unstable();
        locations.dedup();
        Self { locations }
    }

    /// Whether the record at `line` of the source at `source` (its index in the caller's
    /// slice) was rejected.
    pub(crate) fn contains(&self, source: usize, line: u64) -> bool {
        self.locations
            .binary_search(&Self::key(source, line))
            .is_ok()
    }
}

/// What validation found.
#[derive(Debug)]
pub(crate) struct Plan {
    pub fingerprint: Fingerprint,
    pub skip: SkipSet,
    /// The problems of the skipped entities (capped).
    pub skipped: Vec<InputError>,
    /// Invalid entities.
    pub invalid_total: u64,
    /// Valid entities, by kind.
    pub entities: EntityCounts,
    /// Loads, by kind.
    pub loads_by_kind: [u64; 6],
    /// The users and groups referred to but not upserted, to look up.
    pub references: References,
    /// What core's rules warn about (sent all the same), one per kind of warning.
    pub warnings: Vec<InputError>,
}

impl Plan {
    pub(crate) fn loads_total(&self) -> u64 {
        self.loads_by_kind.iter().sum()
    }
}

/// Warnings about valid entities (a bulk user without `email`, say), one per field and
/// message: an update-only feed would otherwise warn on every line. Each keeps the first
/// place it was seen and how many entities it concerns.
#[derive(Default)]
struct Warnings(Vec<(InputError, u64)>);

impl Warnings {
    fn note(&mut self, warning: InputError) {
        let same = |w: &InputError| w.field == warning.field && w.message == warning.message;
        match self.0.iter_mut().find(|(w, _)| same(w)) {
            Some((_, n)) => *n += 1,
            None => self.0.push((warning, 1)),
        }
    }

    fn finish(self) -> Vec<InputError> {
        self.0
            .into_iter()
            .map(|(mut w, n)| {
                if n > 1 {
                    w.message =
                        format!("{} ({n} entities like this; the first is here)", w.message);
                }
                w
            })
            .collect()
    }
}

/// Collects problems, up to a cap.
struct Problems {
    list: Vec<InputError>,
    cap: usize,
    invalid: u64,
    locations: Vec<u64>,
}

impl Problems {
    fn entity(&mut self, source: usize, line: u64, problems: impl IntoIterator<Item = InputError>) {
        self.invalid += 1;
        self.locations.push(SkipSet::key(source, line));
        for p in problems {
            if self.list.len() < self.cap {
                self.list.push(p);
            }
        }
    }
}

/// Reads every source once (kinds in application order) and checks every entity.
pub(crate) fn validate(
    sources: &[&dyn InputSource],
    options: &ImportOptions,
    reporter: &Reporter,
) -> Result<Plan, ImportError> {
    let ordered = ordered(sources);
    let policy = options.invalid_policy;
    let mut fingerprint = Fingerprint::new(policy);
    let mut encoded = EncodedEntity::new();
    let mut ids: [Vec<u64>; 6] = Default::default();
    let cap = match policy {
        InvalidPolicy::Stop => options.max_reported_problems,
        InvalidPolicy::Skip => options.max_reported_skipped,
    };
    let mut problems = Problems {
        list: Vec::new(),
        cap,
        invalid: 0,
        locations: Vec::new(),
    };
    let mut entities = EntityCounts::default();
    let mut loads_by_kind = [0u64; 6];
    let mut packer: Option<Packer> = None;
    let collect_references = options.check_references && !options.dry_run;
    let mut references = References::new(options.max_reference_checks);
    let mut upserts_sorted = false;
    let mut warnings = Warnings::default();

    for &(index, source) in &ordered {
        let kind = source.kind();
        if packer.as_ref().is_some_and(|p| p.kind() != kind) {
            loads_by_kind[packer.as_ref().map_or(0, |p| p.kind().index())] +=
                u64::from(packer.as_mut().and_then(Packer::close).is_some());
            packer = None;
        }
        let packer = packer.get_or_insert_with(|| Packer::new(kind, false));
        let name: Arc<str> = Arc::from(source.name());
        fingerprint.source(&name, kind);
        for record in source.open().map_err(ImportError::Input)? {
            let invalid_before = problems.invalid;
            match record {
                Err(e) => {
                    let Some(line) = e.line else {
                        return Err(ImportError::Input(e));
                    };
                    fingerprint.record(line, None);
                    problems.entity(index, line, [e]);
                }
                Ok(r) if r.entity.kind() != kind => {
                    fingerprint.record(r.line, None);
                    let message = format!("a {} in a source of {}s", r.entity.kind(), kind);
                    problems.entity(
                        index,
                        r.line,
                        [InputError::new(Arc::clone(&name), message).at_line(r.line)],
                    );
                }
                Ok(r) => match check_record(&r, &mut encoded) {
                    Ok(()) => {
                        for w in encoded.warnings() {
                            warnings.note(problem(&r.source, r.line, w.clone()));
                        }
                        fingerprint.record(r.line, Some(encoded.parts()));
                        if collect_references && kind >= EntityKind::MembershipUpsert {
                            // Sources are read in kind order: every upsert is in by now.
                            if !upserts_sorted {
                                ids[EntityKind::UserUpsert.index()].sort_unstable();
                                ids[EntityKind::GroupUpsert.index()].sort_unstable();
                                upserts_sorted = true;
                            }
                            let (users, groups) = (
                                &ids[EntityKind::UserUpsert.index()],
                                &ids[EntityKind::GroupUpsert.index()],
                            );
                            references.note(&r.entity, &name, r.line, |referent, id| {
                                let hash = hash_parts(&[id.as_bytes(), b""]);
                                match referent {
                                    Referent::User => users.binary_search(&hash).is_ok(),
                                    Referent::Group => groups.binary_search(&hash).is_ok(),
                                }
                            });
                        }
                        ids[kind.index()].push(hash_parts(&identity(&r.entity)));
                        entities.add(kind, 1);
                        if packer.push(&encoded, &name, r.line).is_some() {
                            loads_by_kind[kind.index()] += 1;
                        }
                    }
                    Err(found) => {
                        fingerprint.record(r.line, None);
                        problems.entity(index, r.line, found);
                    }
                },
            }
            let invalid = problems.invalid > invalid_before;
            reporter.update(false, |p| {
                p.entities_validated += 1;
                p.entities_invalid += u64::from(invalid);
            });
        }
    }
    if let Some(p) = packer.as_mut() {
        loads_by_kind[p.kind().index()] += u64::from(p.close().is_some());
    }

    let mut skip = SkipSet::from_unsorted(std::mem::take(&mut problems.locations));
    for hashes in &mut ids {
        hashes.sort_unstable();
    }
    for kind in EntityKind::ALL {
        let hashes = &ids[kind.index()];
        let dups: HashSet<u64> = hashes
            .windows(2)
            .filter(|w| w[0] == w[1])
            .map(|w| w[0])
            .collect();
        let conflicts: HashSet<u64> = match upsert_of(kind) {
            Some(upsert) if !options.allow_contradictions => {
                let upserted = &ids[upsert.index()];
                hashes
                    .iter()
                    .filter(|h| upserted.binary_search(h).is_ok())
                    .copied()
                    .collect()
            }
            _ => HashSet::new(),
        };
        if dups.is_empty() && conflicts.is_empty() {
            continue;
        }
        let upserted_at = match upsert_of(kind) {
            Some(upsert) if !conflicts.is_empty() => {
                first_lines(&ordered, upsert, &conflicts, &skip)?
            }
            _ => HashMap::new(),
        };
        let before = problems.invalid;
        let loads = find_duplicates(&ordered, kind, &dups, &upserted_at, &skip, &mut problems)?;
        loads_by_kind[kind.index()] = loads;
        let found = problems.invalid - before;
        entities.remove(kind, found);
        reporter.update(false, |p| p.entities_invalid += found);
        let mut all = skip.locations;
        all.append(&mut problems.locations);
        skip = SkipSet::from_unsorted(all);
    }
    drop(ids);

    if problems.invalid > 0 && policy == InvalidPolicy::Stop {
        return Err(ImportError::InvalidInput {
            problems: problems.list,
            total: problems.invalid,
        });
    }
    if entities.total() == 0 {
        return Err(ImportError::EmptyInput {
            skipped: problems.invalid,
        });
    }
    Ok(Plan {
        fingerprint,
        skip,
        skipped: problems.list,
        invalid_total: problems.invalid,
        entities,
        loads_by_kind,
        references,
        warnings: warnings.finish(),
    })
}

/// The problem the importer reports for the record `r` whose id came first at `first` (a
/// source's name and a line): a duplicate when that first one is of the same kind, else (a
/// delete of what is upserted there) a contradiction. For callers that check records one at
/// a time, as `okta-idsrc map check` does.
pub fn repeated_id(r: &Record, first: (&str, u64), first_kind: EntityKind) -> InputError {
    if first_kind == r.entity.kind() {
        duplicates::duplicate_problem(r, &r.source, first.0, first.1)
    } else {
        duplicates::contradiction_problem(r, &r.source, first.0, first.1)
    }
}

/// Checks one record's entity as the importer does — Okta's rules for its kind (core's),
/// and that it fits in a load on its own — with `encoded` as scratch: `Ok` leaves the entity
/// encoded there; `Err` lists its problems with the record's source, line and field.
pub fn check_record(record: &Record, encoded: &mut EncodedEntity) -> Result<(), Vec<InputError>> {
    record.entity.encode(encoded).map_err(|violations| {
        violations
            .into_iter()
            .map(|v| problem(&record.source, record.line, v))
            .collect()
    })
}

/// A violation of core's rules as a problem of `source` at `line`: fields relative to the
/// entity, as a column would name them (`profile.email` → `email`); one about the whole
/// entity (its size) has no field.
fn problem(source: &Arc<str>, line: u64, v: Violation) -> InputError {
    let e = InputError::new(Arc::clone(source), v.message).at_line(line);
    match v.field.strip_prefix("profile.").unwrap_or(&v.field) {
        "" => e,
        field => e.in_field(field),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::Entity;
    use crate::input::VecSource;
    use okta_idsrc_core::models::{
        BulkUpsertRequestBodyProfilesInner, IdentitySourceUserProfileForUpsert,
    };

    fn user(id: &str, email: &str) -> Entity {
        Entity::UserUpsert(BulkUpsertRequestBodyProfilesInner::with(
            id,
            IdentitySourceUserProfileForUpsert::new()
                .email(email)
                .user_name(email),
        ))
    }

    fn run(sources: &[&dyn InputSource], policy: InvalidPolicy) -> Result<Plan, ImportError> {
        validate(
            sources,
            &ImportOptions::default().with_invalid_policy(policy),
            &Reporter::new(None),
        )
    }

    #[test]
    fn reports_line_and_field() {
        let users = VecSource::new(
            "users.csv",
            EntityKind::UserUpsert,
            [user("u1", "a@example.com"), user("u2", "a@b")],
        );
        let Err(ImportError::InvalidInput { problems, total }) =
            run(&[&users], InvalidPolicy::Stop)
        else {
            panic!("expected invalid input")
        };
        assert_eq!(total, 1);
        assert_eq!(
            problems[0].to_string(),
            "users.csv line 2, column email: is 3 characters; at least 5 required"
        );
    }

    #[test]
    fn duplicates_name_both_lines_and_skip_keeps_the_first() {
        let users = VecSource::new(
            "users.csv",
            EntityKind::UserUpsert,
            [
                user("u1", "a@example.com"),
                user("u2", "b@example.com"),
                user("u1", "c@example.com"),
            ],
        );
        let Err(ImportError::InvalidInput { problems, .. }) = run(&[&users], InvalidPolicy::Stop)
        else {
            panic!("expected invalid input")
        };
        assert_eq!(
            problems[0].to_string(),
            "users.csv line 3, column externalId: duplicate user externalId \"u1\"; first at line 1"
        );
        let plan = run(&[&users], InvalidPolicy::Skip).unwrap();
        assert_eq!(plan.entities.get(EntityKind::UserUpsert), 2);
        assert!(plan.skip.contains(0, 3) && !plan.skip.contains(0, 1));
        assert_eq!(plan.loads_total(), 1);
    }

    #[test]
    fn memberships_and_kinds() {
        let m = VecSource::new(
            "m",
            EntityKind::MembershipUpsert,
            [
                Entity::MembershipUpsert {
                    group: "g".into(),
                    member: "u1".into(),
                },
                Entity::MembershipUpsert {
                    group: "g".into(),
                    member: "u1".into(),
                },
                Entity::GroupDelete("g".into()),
            ],
        );
        let plan = run(&[&m], InvalidPolicy::Skip).unwrap();
        assert_eq!(plan.invalid_total, 2);
        assert_eq!(
            plan.skipped[0].to_string(),
            "m line 3: a group delete in a source of membership upserts"
        );
        assert!(
            plan.skipped[1]
                .message
                .starts_with("duplicate membership of \"u1\" in group \"g\"")
        );
    }

    #[test]
    fn empty_input_is_an_error() {
        let none = VecSource::new("users.csv", EntityKind::UserUpsert, []);
        assert!(matches!(
            run(&[&none], InvalidPolicy::Stop),
            Err(ImportError::EmptyInput { skipped: 0 })
        ));
        assert!(matches!(
            run(&[], InvalidPolicy::Stop),
            Err(ImportError::EmptyInput { .. })
        ));
        let bad = VecSource::new("users.csv", EntityKind::UserUpsert, [user("u1", "x")]);
        assert!(matches!(
            run(&[&bad], InvalidPolicy::Skip),
            Err(ImportError::EmptyInput { skipped: 1 })
        ));
    }

    #[test]
    fn four_byte_characters_are_refused() {
        let users = VecSource::new(
            "u",
            EntityKind::UserUpsert,
            [user("u\u{1F600}", "a@example.com")],
        );
        let Err(ImportError::InvalidInput { problems, .. }) = run(&[&users], InvalidPolicy::Stop)
        else {
            panic!()
        };
        assert_eq!(problems[0].field.as_deref(), Some("externalId"));
        assert!(problems[0].message.contains("4-byte"));
    }
}
