//! What a run did: [`ImportReport`] and its parts.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use okta_idsrc_core::models::IdentitySourceSessionStatus;

use super::input::{EntityKind, InputError};

/// A count per [`EntityKind`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct EntityCounts([u64; 6]);

impl EntityCounts {
    /// The count of `kind`.
    pub fn get(&self, kind: EntityKind) -> u64 {
        self.0[kind.index()]
    }

    /// Adds `n` to the count of `kind`.
    pub fn add(&mut self, kind: EntityKind, n: u64) {
        self.0[kind.index()] += n;
    }

    /// Takes `n` from the count of `kind`.
    pub(crate) fn remove(&mut self, kind: EntityKind, n: u64) {
        let c = &mut self.0[kind.index()];
        *c = c.saturating_sub(n);
    }

    /// Every kind's count added up.
    pub fn total(&self) -> u64 {
        self.0.iter().sum()
    }

    /// The non-zero counts, in the order the kinds are applied.
    pub fn iter(&self) -> impl Iterator<Item = (EntityKind, u64)> + '_ {
        EntityKind::ALL
            .into_iter()
            .map(|k| (k, self.get(k)))
            .filter(|(_, n)| *n > 0)
    }
}

impl fmt::Display for EntityCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (kind, n) in self.iter() {
            if !first {
                f.write_str(", ")?;
            }
            first = false;
            write!(f, "{n} {kind}s")?;
        }
        if first {
            f.write_str("nothing")?;
        }
        Ok(())
    }
}

/// Lines `first..=last` of a source.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LineRange {
    /// The source's name.
    pub source: Arc<str>,
    /// The first line.
    pub first: u64,
    /// The last line.
    pub last: u64,
}

impl fmt::Display for LineRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.first == self.last {
            write!(f, "{} line {}", self.source, self.first)
        } else {
            write!(f, "{} lines {}–{}", self.source, self.first, self.last)
        }
    }
}

/// Adds `range` to `ranges`, merging it into the last one when they are of one source and
/// overlap or touch.
pub(crate) fn merge_range(ranges: &mut Vec<LineRange>, range: &LineRange) {
    if let Some(last) = ranges.last_mut()
        && last.source == range.source
        && range.first <= last.last.saturating_add(1)
        && range.last + 1 >= last.first
    {
        last.first = last.first.min(range.first);
        last.last = last.last.max(range.last);
        return;
    }
    ranges.push(range.clone());
}

/// Where a session stands, as far as the importer can tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionState {
    /// Okta reports it in this status.
    Status(IdentitySourceSessionStatus),
    /// It does not exist (any more): Okta answered 404.
    Gone,
    /// Okta's answer carried no status.
    Unknown,
}

impl SessionState {
    /// The status's name (`COMPLETED`, …), or `NOT_FOUND` for a session that is gone.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Status(s) => s.as_str(),
            Self::Gone => "NOT_FOUND",
            Self::Unknown => "UNKNOWN",
        }
    }

    /// Whether the session takes bulk loads (CREATED or IN_PROGRESS).
    pub fn accepts_loads(&self) -> bool {
        matches!(self, Self::Status(s) if s.accepts_loads())
    }
}

impl fmt::Display for SessionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One session the run used.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SessionReport {
    /// The session id (`aps…`).
    pub id: String,
    /// How it ended: COMPLETED; CLOSED when none of its loads changed anything (Okta keeps
    /// such a session CREATED and refuses to import it, so the importer cancels it — its
    /// loads are reflected already); ERROR, EXPIRED or CLOSED when it failed, or gone.
    pub status: SessionState,
    /// Whether its loads are now reflected in Okta.
    pub applied: bool,
    /// Whether none of its loads changed anything: Okta kept the session CREATED, and the
    /// importer cancelled it (so the entities it carried were already as sent).
    pub unchanged: bool,
    /// Whether it was started by an earlier run and continued from the journal.
    pub resumed: bool,
    /// The numbers of the loads acknowledged in it, ascending.
    pub loads: Vec<u64>,
    /// Its entities, by kind.
    pub entities_by_kind: EntityCounts,
    /// Where its entities came from.
    pub lines: Vec<LineRange>,
}

impl fmt::Display for SessionReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "session {} {}: {} loads ({})",
            self.id,
            self.status,
            self.loads.len(),
            self.entities_by_kind
        )?;
        if !self.applied && !self.lines.is_empty() {
            f.write_str(", from ")?;
            write_first(f, &self.lines, 5, ", ", |n| format!(" and {n} more ranges"))?;
        }
        Ok(())
    }
}

/// What a run did.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ImportReport {
    /// Every session the run used, in order, failed ones included.
    pub sessions: Vec<SessionReport>,
    /// The loads the input packs into.
    pub loads_total: u64,
    /// Loads acknowledged in this run (a load sent again after its session failed counts
    /// again).
    pub loads: u64,
    /// Loads left out because the journal shows them imported by an earlier run.
    pub loads_resumed: u64,
    /// The valid entities of the input, by kind.
    pub entities_by_kind: EntityCounts,
    /// Invalid entities skipped (with [`InvalidPolicy::Skip`](super::InvalidPolicy::Skip)),
    /// each problem with its source, line and field; at most
    /// [`max_reported_skipped`](super::ImportOptions::max_reported_skipped) of them.
    pub skipped: Vec<InputError>,
    /// Invalid entities skipped, all of them.
    pub skipped_total: u64,
    /// Sessions the loads take (the plan, for a dry run; the sessions used, otherwise).
    pub sessions_planned: u64,
    /// Whether this was a dry run (nothing was sent).
    pub dry_run: bool,
    /// How long the run took.
    pub elapsed: Duration,
    /// Retries the client's retry layer made during the run (its
    /// [`stats`](okta_idsrc_ops::Client::stats); 0 for a client without one).
    pub retries: u64,
    /// 429 answers the retry layer saw during the run.
    pub rate_limited: u64,
    /// What core's rules warn about in valid entities (a bulk user without `email` or
    /// `userName`: Okta can update a user from it but not create one), one per field and
    /// message with the first place and a count; then references to users and groups that
    /// neither the input upserts nor Okta knows (with
    /// [`check_references`](super::ImportOptions::check_references)): one per id, with the
    /// first source and line naming it. Okta skips such entities without a word, so their
    /// loads being accepted does not mean they took effect.
    pub warnings: Vec<InputError>,
    /// References that were not looked up (past
    /// [`max_reference_checks`](super::ImportOptions::max_reference_checks), or after a
    /// lookup failed).
    pub references_unchecked: u64,
    /// The stale sessions this run cancelled
    /// ([`cancel_stale`](super::ImportOptions::cancel_stale)), each with its status and age.
    pub stale_cancelled: Vec<String>,
}

impl ImportReport {
    /// The sessions that completed (their loads are in Okta).
    pub fn sessions_applied(&self) -> impl Iterator<Item = &SessionReport> {
        self.sessions.iter().filter(|s| s.applied)
    }

    /// The entities, by kind, of the loads Okta accepted in sessions that it applied: sent
    /// and accepted, which is not the same as changed (see [`unchanged`](Self::unchanged)
    /// and [`warnings`](Self::warnings)).
    pub fn accepted(&self) -> EntityCounts {
        let mut counts = EntityCounts::default();
        for s in self.sessions_applied() {
            for (kind, n) in s.entities_by_kind.iter() {
                counts.add(kind, n);
            }
        }
        counts
    }

    /// The entities, by kind, of applied sessions in which Okta changed nothing (it kept the
    /// session CREATED): known to be as sent already.
    pub fn unchanged(&self) -> EntityCounts {
        let mut counts = EntityCounts::default();
        for s in self.sessions_applied().filter(|s| s.unchanged) {
            for (kind, n) in s.entities_by_kind.iter() {
                counts.add(kind, n);
            }
        }
        counts
    }

    /// The sessions that failed (ERROR, EXPIRED, or closed under the importer).
    pub fn sessions_failed(&self) -> impl Iterator<Item = &SessionReport> {
        self.sessions.iter().filter(|s| !s.applied)
    }

    /// Whether some entities were skipped as invalid.
    pub fn has_skipped(&self) -> bool {
        self.skipped_total > 0
    }
}

/// Writes the first `shown` of `items`, `separator` between them, then `more(left out)` when
/// some are left out.
pub(crate) fn write_first<T: fmt::Display>(
    f: &mut fmt::Formatter<'_>,
    items: &[T],
    shown: usize,
    separator: &str,
    more: impl FnOnce(usize) -> String,
) -> fmt::Result {
    let listed: Vec<String> = items.iter().take(shown).map(T::to_string).collect();
    f.write_str(&listed.join(separator))?;
    match items.len().saturating_sub(shown) {
        0 => Ok(()),
        left_out => f.write_str(&more(left_out)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_merge_when_touching() {
        let src: Arc<str> = Arc::from("u.csv");
        let r = |a, b| LineRange {
            source: Arc::clone(&src),
            first: a,
            last: b,
        };
        let mut v = Vec::new();
        merge_range(&mut v, &r(1, 200));
        merge_range(&mut v, &r(201, 400));
        merge_range(&mut v, &r(600, 700));
        assert_eq!(v, [r(1, 400), r(600, 700)]);
        assert_eq!(v[0].to_string(), "u.csv lines 1–400");
    }

    #[test]
    fn counts_display() {
        let mut c = EntityCounts::default();
        assert_eq!(c.to_string(), "nothing");
        c.add(EntityKind::UserUpsert, 3);
        c.add(EntityKind::GroupDelete, 1);
        assert_eq!(c.to_string(), "3 user upserts, 1 group deletes");
        assert_eq!(c.total(), 4);
    }
}
