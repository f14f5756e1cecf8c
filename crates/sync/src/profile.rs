//! Profiles compared semantically: a [`Canonical`] profile is the attributes that hold a value
//! (an empty string, a `null` and an absent attribute are alike), sorted by name. The state
//! keeps the canonical form Okta last completed for each entity, as JSON, with its hash; a
//! snapshot's entity is unchanged when its canonical form hashes the same.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};

use okta_idsrc_core::models::{
    BulkGroupUpsertRequestBodyProfilesInner, BulkUpsertRequestBodyProfilesInner, Nullable,
};
use okta_idsrc_core::stable_hash::StableHasher;
use serde_json::{Map, Value};

/// A profile's attributes that hold a value, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Canonical(BTreeMap<String, String>);

/// The 128-bit hash of a canonical profile, as the state stores it.
pub type ProfileHash = u128;

impl Canonical {
    fn insert(&mut self, name: &str, value: Option<&str>) {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            self.0.insert(name.to_owned(), v.to_owned());
        }
    }

    fn insert_nullable(&mut self, name: &str, value: &Nullable<String>) {
        self.insert(name, value.as_deref());
    }

    fn insert_custom(&mut self, extra: &Map<String, Value>) {
        for (name, value) in extra {
            self.insert(name, value.as_str());
        }
    }

    /// The canonical form of a user upsert's profile.
    pub fn of_user(user: &BulkUpsertRequestBodyProfilesInner) -> Self {
        let mut c = Self::default();
        if let Some(p) = &user.profile {
            c.insert("email", p.email.as_deref());
            c.insert_nullable("firstName", &p.first_name);
            c.insert_nullable("homeAddress", &p.home_address);
            c.insert_nullable("lastName", &p.last_name);
            c.insert_nullable("mobilePhone", &p.mobile_phone);
            c.insert_nullable("secondEmail", &p.second_email);
            c.insert("userName", p.user_name.as_deref());
            c.insert_custom(&p.additional_properties);
        }
        c
    }

    /// The canonical form of a group upsert's profile.
    pub fn of_group(group: &BulkGroupUpsertRequestBodyProfilesInner) -> Self {
        let mut c = Self::default();
        if let Some(p) = &group.profile {
            c.insert("displayName", p.display_name.as_deref());
            c.insert_nullable("description", &p.description);
            c.insert_custom(&p.additional_properties);
        }
        c
    }

    /// The form the state stores: a JSON object, attributes sorted.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.0).expect("a map of strings serializes")
    }

    /// Reads the form the state stores; `None` for text that is not one.
    pub fn from_json(text: &str) -> Option<Self> {
        serde_json::from_str(text).ok().map(Self)
    }

    /// The hash of the stored form.
    pub fn hash(&self) -> ProfileHash {
        let mut h = StableHasher::new();
        for (name, value) in &self.0 {
            h.bytes(name.as_bytes());
            h.bytes(value.as_bytes());
        }
        h.finish128()
    }

    /// One attribute's value.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// A person's name for messages: `firstName lastName`, else `userName`, else `email`.
    pub fn display_name(&self) -> Option<String> {
        match (self.get("firstName"), self.get("lastName")) {
            (Some(f), Some(l)) => Some(format!("{f} {l}")),
            (Some(n), None) | (None, Some(n)) => Some(n.to_owned()),
            (None, None) => self
                .get("userName")
                .or_else(|| self.get("email"))
                .map(str::to_owned),
        }
    }

    /// What changed from `before` to `self`, attribute by attribute, in name order.
    pub fn changes_from<'a>(&'a self, before: &'a Canonical) -> Vec<AttributeChange<'a>> {
        let mut names: Vec<&String> = before.0.keys().chain(self.0.keys()).collect();
        names.sort();
        names.dedup();
        names
            .into_iter()
            .filter_map(|name| {
                let (old, new) = (before.get(name), self.get(name));
                (old != new).then_some(AttributeChange { name, old, new })
            })
            .collect()
    }
}

/// One attribute's change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttributeChange<'a> {
    /// The attribute.
    pub name: &'a str,
    /// Its value before (`None`: none).
    pub old: Option<&'a str>,
    /// Its value now (`None`: none any more).
    pub new: Option<&'a str>,
}

impl fmt::Display for AttributeChange<'_> {
    /// `title: "Engineer" → "Senior Engineer"` (an absent value reads `(none)`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |v: Option<&str>| match v {
            Some(v) => {
                let mut s = String::new();
                let _ = write!(s, "{:?}", excerpt(v));
                s
            }
            None => "(none)".to_owned(),
        };
        write!(f, "{}: {} → {}", self.name, show(self.old), show(self.new))
    }
}

/// At most 60 characters of `v`, with `…` when cut.
fn excerpt(v: &str) -> String {
    let mut s: String = v.chars().take(60).collect();
    if v.chars().nth(60).is_some() {
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use okta_idsrc_core::models::IdentitySourceUserProfileForUpsert;

    fn user(profile: IdentitySourceUserProfileForUpsert) -> BulkUpsertRequestBodyProfilesInner {
        BulkUpsertRequestBodyProfilesInner::with("e1", profile)
    }

    #[test]
    fn order_empty_and_null_are_not_changes() {
        let a = user(
            IdentitySourceUserProfileForUpsert::new()
                .email("a@x.com")
                .custom_attribute("title", "Engineer")
                .custom_attribute("cost", ""),
        );
        let mut p = IdentitySourceUserProfileForUpsert::new()
            .custom_attribute("title", "Engineer")
            .email("a@x.com");
        p.mobile_phone = Nullable::Null;
        let b = user(p);
        assert_eq!(Canonical::of_user(&a), Canonical::of_user(&b));
        assert_eq!(Canonical::of_user(&a).hash(), Canonical::of_user(&b).hash());
        let c = user(
            IdentitySourceUserProfileForUpsert::new()
                .email("a@x.com")
                .custom_attribute("title", "Senior Engineer"),
        );
        assert_ne!(Canonical::of_user(&a).hash(), Canonical::of_user(&c).hash());
    }

    #[test]
    fn stored_form_round_trips_and_changes_read_well() {
        let ada = |custom: [(&str, &str); 2]| {
            let profile = custom.into_iter().fold(
                IdentitySourceUserProfileForUpsert::new()
                    .first_name("Ada")
                    .last_name("Lovelace"),
                |p, (name, value)| p.custom_attribute(name, value),
            );
            Canonical::of_user(&user(profile))
        };
        let before = ada([("title", "Engineer"), ("team", "A")]);
        let json = before.to_json();
        assert_eq!(
            json,
            r#"{"firstName":"Ada","lastName":"Lovelace","team":"A","title":"Engineer"}"#
        );
        assert_eq!(Canonical::from_json(&json), Some(before.clone()));
        let after = ada([("title", "Senior Engineer"), ("site", "Paris")]);
        let changes: Vec<String> = after
            .changes_from(&before)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            changes,
            [
                r#"site: (none) → "Paris""#,
                r#"team: "A" → (none)"#,
                r#"title: "Engineer" → "Senior Engineer""#,
            ]
        );
        assert_eq!(after.display_name().as_deref(), Some("Ada Lovelace"));
    }
}
