//! Deletion safeguards, which Okta does not give identity sources: a plan that deactivates,
//! deletes or removes more than its threshold allows is held (nothing is sent) until a run is
//! allowed through; an empty snapshot against a non-empty state is always held.

use std::fmt;
use std::str::FromStr;

use crate::plan::{ChangeKind, Held, Plan};

/// A threshold: a number, or a share of what the state holds of that kind.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Limit {
    /// At most this many.
    Count(u64),
    /// At most this percentage (0–100) of what the state holds.
    Percent(f64),
}

impl FromStr for Limit {
    type Err = String;

    /// `250` or `5%`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if let Some(p) = s.strip_suffix('%') {
            let p: f64 = p
                .trim()
                .parse()
                .map_err(|_| format!("expected a number or a percentage, got {s:?}"))?;
            if !(0.0..=100.0).contains(&p) {
                return Err(format!("a percentage is 0 to 100, got {s:?}"));
            }
            return Ok(Self::Percent(p));
        }
        s.parse()
            .map(Self::Count)
            .map_err(|_| format!("expected a number or a percentage such as 5%, got {s:?}"))
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Count(n) => write!(f, "{n}"),
            Self::Percent(p) => write!(f, "{p}%"),
        }
    }
}

/// The three thresholds, and whether a run is let through anyway.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Thresholds {
    /// Users deactivated (default: the larger of 10 and 5 % of the state's active users).
    pub deactivations: Option<Limit>,
    /// Groups deleted (default: the larger of 10 and 5 % of the state's groups).
    pub group_deletions: Option<Limit>,
    /// Memberships removed (default: the larger of 10 and 5 % of the state's memberships).
    pub membership_removals: Option<Limit>,
    /// Let a plan over a threshold through (`--allow-deletions`). An empty snapshot against
    /// a non-empty state is held all the same.
    pub allow_deletions: bool,
}

/// The most allowed of `held_in_state`, and how that was decided.
fn allowed(limit: Option<Limit>, held_in_state: u64, noun: &str) -> (u64, String) {
    let share = |p: f64| ((held_in_state as f64) * p / 100.0).floor() as u64;
    match limit {
        Some(Limit::Count(n)) => (n, format!("--max-{noun} {n}")),
        Some(Limit::Percent(p)) => (share(p), format!("--max-{noun} {p}% of {held_in_state}")),
        None => (
            share(5.0).max(10),
            format!("default: the larger of 10 and 5 % of {held_in_state}"),
        ),
    }
}

/// The first snapshot file that holds nothing of a kind the state holds: an empty or
/// header-only export is never applied, whatever the thresholds say. A kind without a file
/// (`--groups` or `--memberships` not given) is not managed by the plan and not checked.
fn empty_snapshot(plan: &Plan) -> Option<Held> {
    let (snapshot, state) = (&plan.snapshot, &plan.state);
    let kinds = [
        (
            Some(snapshot.users),
            state.users_active,
            ChangeKind::UserDeactivate,
            "user",
            "active users",
        ),
        (
            snapshot.groups,
            state.groups,
            ChangeKind::GroupDelete,
            "group",
            "groups",
        ),
        (
            snapshot.memberships,
            state.memberships,
            ChangeKind::MembershipRemove,
            "membership",
            "memberships",
        ),
    ];
    kinds
        .into_iter()
        .find_map(|(given, held, kind, one, many)| {
            (given == Some(0) && held > 0).then(|| Held {
                what: "snapshot".to_owned(),
                planned: plan.count(kind),
                allowed: 0,
                rule: format!(
                    "the snapshot holds no {one} while the state holds {held} {many}: an empty \
                 or header-only export is never applied"
                ),
            })
        })
}

impl Thresholds {
    /// The safeguard `plan` crosses, if any (an empty snapshot file first — users, groups or
    /// memberships; then deactivations, group deletions and membership removals). With
    /// `allow_deletions`, only an empty snapshot file holds.
    pub fn check(&self, plan: &Plan) -> Option<Held> {
        if let Some(held) = empty_snapshot(plan) {
            return Some(held);
        }
        if self.allow_deletions {
            return None;
        }
        let checks = [
            (
                ChangeKind::UserDeactivate,
                self.deactivations,
                plan.state.users_active,
                "deactivations",
            ),
            (
                ChangeKind::GroupDelete,
                self.group_deletions,
                plan.state.groups,
                "group-deletions",
            ),
            (
                ChangeKind::MembershipRemove,
                self.membership_removals,
                plan.state.memberships,
                "membership-removals",
            ),
        ];
        checks.into_iter().find_map(|(kind, limit, held, noun)| {
            let planned = plan.count(kind);
            let (most, rule) = allowed(limit, held, noun);
            (planned > most).then(|| Held {
                what: noun.replace('-', " "),
                planned,
                allowed: most,
                rule,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_parse_and_defaults_scale() {
        assert_eq!("250".parse::<Limit>(), Ok(Limit::Count(250)));
        assert_eq!(" 5% ".parse::<Limit>(), Ok(Limit::Percent(5.0)));
        assert!("150%".parse::<Limit>().is_err());
        assert!("many".parse::<Limit>().is_err());
        assert_eq!(allowed(None, 100, "deactivations").0, 10);
        assert_eq!(allowed(None, 10_000, "deactivations").0, 500);
        assert_eq!(allowed(Some(Limit::Percent(1.0)), 10_000, "x").0, 100);
        assert_eq!(allowed(Some(Limit::Count(3)), 10_000, "x").0, 3);
    }
}
