//! References to users and groups that the input names but does not upsert (a membership's
//! member or group, a deactivation, a group delete): collected during validation, bounded and
//! deduplicated, then looked up in Okta one id at a time. An id Okta does not know either is
//! a warning with the first source and line that names it: Okta skips such an entity without
//! a word, so it must not be reported as done.

use std::collections::HashMap;
use std::sync::Arc;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use okta_idsrc_ops::IdentitySource;
use okta_idsrc_ops::service::SendHttpService;

use super::input::{Entity, InputError};

/// What a reference points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Referent {
    User,
    Group,
}

/// Where an id was first named, and how many more records name it.
#[derive(Debug)]
struct Mention {
    referent: Referent,
    id: String,
    source: Arc<str>,
    line: u64,
    field: &'static str,
    /// What Okta does with the entity when the id is unknown.
    effect: &'static str,
    more: u64,
}

/// The distinct ids to look up, in input order, at most `cap` of them.
#[derive(Debug, Default)]
pub(crate) struct References {
    mentions: Vec<Mention>,
    index: HashMap<(Referent, String), usize>,
    cap: usize,
    /// References not collected because `cap` distinct ids were reached.
    pub(crate) unchecked: u64,
}

/// What the lookups found.
#[derive(Debug, Default)]
pub(crate) struct Checked {
    /// One warning per id Okta does not know, with its first source and line.
    pub(crate) warnings: Vec<InputError>,
    /// References that could not be looked up (a lookup failed, or the cap was reached).
    pub(crate) unchecked: u64,
}

impl References {
    pub(crate) fn new(cap: usize) -> Self {
        Self {
            cap,
            ..Self::default()
        }
    }

    /// The references `entity` makes, for each of which `in_input` says whether the input
    /// upserts it (then it needs no lookup).
    pub(crate) fn note(
        &mut self,
        entity: &Entity,
        source: &Arc<str>,
        line: u64,
        in_input: impl Fn(Referent, &str) -> bool,
    ) {
        let mut add = |referent, id: &str, field, effect| {
            if in_input(referent, id) {
                return;
            }
            let key = (referent, id.to_owned());
            if let Some(&i) = self.index.get(&key) {
                self.mentions[i].more += 1;
            } else if self.mentions.len() < self.cap {
                self.index.insert(key, self.mentions.len());
                self.mentions.push(Mention {
                    referent,
                    id: id.to_owned(),
                    source: Arc::clone(source),
                    line,
                    field,
                    effect,
                    more: 0,
                });
            } else {
                self.unchecked += 1;
            }
        };
        match entity {
            Entity::MembershipUpsert { group, member } => {
                add(Referent::User, member, "memberExternalId", "the membership");
                add(Referent::Group, group, "groupExternalId", "the membership");
            }
            Entity::MembershipDelete { group, member } => {
                add(Referent::User, member, "memberExternalId", "the removal");
                add(Referent::Group, group, "groupExternalId", "the removal");
            }
            Entity::UserDeactivate(id) => add(Referent::User, id, "externalId", "the deactivation"),
            Entity::GroupDelete(id) => add(Referent::Group, id, "externalId", "the delete"),
            Entity::UserUpsert(_) | Entity::GroupUpsert(_) => {}
        }
    }

    /// Whether there is nothing to look up.
    pub(crate) fn is_empty(&self) -> bool {
        self.mentions.is_empty() && self.unchecked == 0
    }

    /// Looks every id up (`concurrency` at a time): a 404 is a warning; the first other
    /// failure stops the lookups (an org without the per-user operations, say), and what was
    /// not looked up is counted as unchecked.
    pub(crate) async fn check<S>(self, source: &IdentitySource<S>, concurrency: usize) -> Checked
    where
        S: SendHttpService + Sync,
    {
        let mut checked = Checked {
            warnings: Vec::new(),
            unchecked: self.unchecked,
        };
        let mut found: Vec<Option<InputError>> = Vec::new();
        found.resize_with(self.mentions.len(), || None);
        let mut waiting = self.mentions.iter().enumerate();
        let mut in_flight = FuturesUnordered::new();
        let mut failed = false;
        loop {
            while !failed && in_flight.len() < concurrency.max(1) {
                let Some((i, m)) = waiting.next() else { break };
                in_flight.push(async move {
                    let result = match m.referent {
                        Referent::User => source.get_user(m.id.clone()).await.map(drop),
                        Referent::Group => source.get_group(m.id.clone()).await.map(drop),
                    };
                    (i, m, result)
                });
            }
            let Some((i, m, result)) = in_flight.next().await else {
                break;
            };
            match result {
                Ok(()) => {}
                Err(e) if e.status() == Some(http::StatusCode::NOT_FOUND) => {
                    found[i] = Some(m.warning());
                }
                Err(e) => {
                    if !failed {
                        tracing::warn!(error = %e, "cannot look up the users and groups the input names; not checking the rest");
                    }
                    failed = true;
                    checked.unchecked += 1 + m.more;
                }
            }
        }
        for (_, m) in waiting {
            checked.unchecked += 1 + m.more;
        }
        checked.warnings = found.into_iter().flatten().collect();
        checked
    }
}

impl Mention {
    fn warning(&self) -> InputError {
        let what = match self.referent {
            Referent::User => "user",
            Referent::Group => "group",
        };
        let more = match self.more {
            0 => String::new(),
            1 => " (named on 1 more line)".to_owned(),
            n => format!(" (named on {n} more lines)"),
        };
        InputError::new(
            Arc::clone(&self.source),
            format!(
                "{what} {:?} is neither in this import nor in Okta; Okta skips {}{more}",
                self.id, self.effect
            ),
        )
        .at_line(self.line)
        .in_field(self.field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_deduplicated_bounded_and_skip_the_input() {
        let src: Arc<str> = Arc::from("memberships.csv");
        let mut r = References::new(2);
        let in_input = |referent, id: &str| referent == Referent::User && id == "u1";
        let m = |g: &str, u: &str| Entity::MembershipUpsert {
            group: g.into(),
            member: u.into(),
        };
        r.note(&m("g1", "u1"), &src, 2, in_input);
        r.note(&m("g1", "u2"), &src, 3, in_input);
        r.note(&m("g1", "u3"), &src, 4, in_input);
        assert_eq!(r.mentions.len(), 2);
        assert_eq!(r.mentions[0].id, "g1");
        assert_eq!(r.mentions[0].more, 2);
        assert_eq!((r.mentions[1].id.as_str(), r.mentions[1].line), ("u2", 3));
        assert_eq!(r.unchecked, 1, "u3 is past the cap");
        assert_eq!(
            r.mentions[1].warning().to_string(),
            "memberships.csv line 3, column memberExternalId: user \"u2\" is neither in this import nor in Okta; Okta skips the membership"
        );
    }
}
