//! A plan for people: counts per kind, then the first changes with attribute-level detail
//! and the leavers by external id and name.

use std::fmt::{self, Write as _};

use super::{Plan, Reason, Upsert};

/// How many changes and leavers the text lists.
const SHOWN: usize = 20;

fn count_by_reason(reasons: impl Iterator<Item = Reason>) -> String {
    let mut counts = [0u64; 5];
    for r in reasons {
        counts[r as usize] += 1;
    }
    let names = ["new", "changed", "reactivated", "sent again", "refreshed"];
    let parts: Vec<String> = counts
        .iter()
        .zip(names)
        .filter(|(n, _)| **n > 0)
        .map(|(n, name)| format!("{n} {name}"))
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(", "))
    }
}

/// `  users: 3 to upsert (2 new, 1 changed), 1 to deactivate`.
fn upserts_line<U: Upsert>(
    f: &mut fmt::Formatter<'_>,
    noun: &str,
    upserted: &[U],
    removed: usize,
    verb: &str,
) -> fmt::Result {
    let reasons = count_by_reason(upserted.iter().map(Upsert::reason));
    let n = upserted.len();
    writeln!(f, "  {noun}: {n} to upsert{reasons}, {removed} to {verb}")
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.snapshot;
        write!(
            f,
            "plan for {} (state revision {}): snapshot of {} users",
            self.target, self.revision, s.users
        )?;
        if let Some(g) = s.groups {
            write!(f, ", {g} groups")?;
        }
        if let Some(m) = s.memberships {
            write!(f, ", {m} memberships")?;
        }
        if s.kept > 0 {
            write!(
                f,
                "; {} more users the mapping skips, left as they are",
                s.kept
            )?;
        }
        writeln!(f)?;
        upserts_line(
            f,
            "users",
            &self.users_upserted,
            self.users_deactivated.len(),
            "deactivate",
        )?;
        if s.groups.is_some() || !self.groups_upserted.is_empty() {
            let deleted = self.groups_deleted.len();
            upserts_line(f, "groups", &self.groups_upserted, deleted, "delete")?;
        }
        if s.memberships.is_some() {
            writeln!(
                f,
                "  memberships: {} to add, {} to remove",
                self.memberships_added.len(),
                self.memberships_removed.len()
            )?;
        }
        if self.is_empty() {
            writeln!(f, "  nothing to do: Okta holds the snapshot already")?;
        }
        // What changed first, then what is new.
        let details: Vec<String> = upserts(self)
            .filter(|(_, reason, _)| *reason != Reason::New)
            .chain(upserts(self).filter(|(_, reason, _)| *reason == Reason::New))
            .take(SHOWN)
            .map(|(id, reason, detail)| {
                let mut line = format!("    {id}");
                if detail.is_empty() {
                    let _ = write!(line, "  ({})", reason_word(reason));
                }
                for (i, d) in detail.iter().enumerate() {
                    line.push_str(if i == 0 { "  " } else { "; " });
                    line.push_str(d);
                }
                line
            })
            .collect();
        if !details.is_empty() {
            writeln!(f, "  changes:")?;
            for d in &details {
                writeln!(f, "{d}")?;
            }
            let more = self.users_upserted.len() + self.groups_upserted.len() - details.len();
            if more > 0 {
                writeln!(f, "    … and {more} more")?;
            }
        }
        for (title, leavers) in [
            ("leavers (deactivated)", &self.users_deactivated),
            ("groups deleted", &self.groups_deleted),
        ] {
            if leavers.is_empty() {
                continue;
            }
            writeln!(f, "  {title}:")?;
            for l in leavers.iter().take(SHOWN) {
                write!(f, "    {}", l.external_id)?;
                if let Some(name) = &l.name {
                    write!(f, "  {name}")?;
                }
                writeln!(f)?;
            }
            if leavers.len() > SHOWN {
                writeln!(f, "    … and {} more", leavers.len() - SHOWN)?;
            }
        }
        let resent = self.resent();
        if resent > 0 {
            writeln!(
                f,
                "  {resent} changes were sent by an earlier run whose session did not complete: sent again"
            )?;
        }
        if let Some(held) = &self.held {
            writeln!(f, "  HELD by a safeguard: {held}; nothing will be sent")?;
        }
        Ok(())
    }
}

/// The users and groups `plan` upserts: external id, reason, detail.
fn upserts(plan: &Plan) -> impl Iterator<Item = (&str, Reason, &Vec<String>)> {
    let users = plan
        .users_upserted
        .iter()
        .map(|u| (u.user.external_id(), u.reason, &u.detail));
    let groups = plan
        .groups_upserted
        .iter()
        .map(|g| (g.group.external_id(), g.reason, &g.detail));
    users.chain(groups)
}

fn reason_word(reason: Reason) -> &'static str {
    match reason {
        Reason::New => "new",
        Reason::Changed => "changed",
        Reason::Reactivated => "back: reactivated",
        Reason::Pending => "sent again: its session did not complete",
        Reason::Refresh => "refreshed",
    }
}
