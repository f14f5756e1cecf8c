//! How the emulator stores user profiles (writing users and groups back is in
//! [`entities`](crate::entities)).
//!
//! A user profile is held as one compact byte string ([`UserProfile`]): the standard attributes
//! that are set, then the custom ones with their names interned per identity source
//! ([`Names`]). "Unset" covers both an absent and a `null` standard attribute, as Okta compares
//! them; a custom attribute keeps its `null`. Users are written back in live Okta's key order
//! (`docs/okta-behavior.md#wire-conventions`): `firstName, lastName, mobilePhone, secondEmail`
//! (`null` when unset), `homeAddress` (only when set), `userName, email`, then custom attributes.

use std::collections::HashMap;

use okta_idsrc_core::json::WriteJson;
use okta_idsrc_core::models::{IdentitySourceUserProfileForUpsert, Nullable};
use serde_json::{Map, Value};

/// The standard attributes, in the order live Okta writes them; a name's index is its bit in
/// a profile's presence mask.
const STANDARD: [&str; 7] = [
    "firstName",
    "lastName",
    "mobilePhone",
    "secondEmail",
    "homeAddress",
    "userName",
    "email",
];

/// The standard attributes written as `null` when unset (the others are left out).
const NULL_WHEN_UNSET: u8 = 0b0000_1111;

/// At most this many custom attribute names are interned per identity source; later ones are
/// stored inline in each profile (bounded memory whatever the clients send).
const MAX_NAMES: usize = 4096;

/// Custom attribute names, interned per identity source.
#[derive(Debug, Default)]
pub(crate) struct Names {
    index: HashMap<Box<str>, u32>,
    names: Vec<Box<str>>,
}

impl Names {
    fn lookup(&self, name: &str) -> Option<u32> {
        self.index.get(name).copied()
    }

    /// The id of `name`, interning it while there is room.
    fn intern(&mut self, name: &str) -> Option<u32> {
        if let Some(id) = self.lookup(name) {
            return Some(id);
        }
        if self.names.len() >= MAX_NAMES {
            return None;
        }
        let id = self.names.len() as u32;
        self.names.push(name.into());
        self.index.insert(name.into(), id);
        Some(id)
    }

    /// How many names are interned.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.names.len()
    }

    fn name(&self, id: u32) -> &str {
        self.names.get(id as usize).map_or("", |n| n)
    }
}

/// A user profile in compact form. Layout: a presence mask of the [`STANDARD`] attributes, each
/// set one as a length-prefixed string in that order, then each custom attribute in name order
/// as its name (`id + 1` of an interned name, or `0` and the name inline) and its value (`0` for
/// `null`, else `len + 1` and the bytes). Integers are LEB128 varints.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct UserProfile(Box<[u8]>);

fn push_varint(out: &mut Vec<u8>, mut n: usize) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn push_str(out: &mut Vec<u8>, s: &str) {
    push_varint(out, s.len());
    out.extend_from_slice(s.as_bytes());
}

/// Reads a [`UserProfile`]'s bytes; every read is of bytes this module wrote.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn varint(&mut self) -> usize {
        let mut n = 0usize;
        let mut shift = 0;
        while let Some(&b) = self.bytes.get(self.pos) {
            self.pos += 1;
            n |= usize::from(b & 0x7f) << shift;
            if b < 0x80 {
                break;
            }
            shift += 7;
        }
        n
    }

    fn bytes(&mut self, len: usize) -> &'a str {
        let end = (self.pos + len).min(self.bytes.len());
        let s = std::str::from_utf8(&self.bytes[self.pos..end]).unwrap_or_default();
        self.pos = end;
        s
    }

    fn string(&mut self) -> &'a str {
        let len = self.varint();
        self.bytes(len)
    }

    fn done(&self) -> bool {
        self.pos >= self.bytes.len()
    }
}

/// One decoded attribute of a [`UserProfile`].
enum Attribute<'a> {
    /// A set standard attribute (index into [`STANDARD`]).
    Standard(usize, &'a str),
    /// A custom attribute, `None` for `null`.
    Custom(&'a str, Option<&'a str>),
}

/// The standard attributes of `p`, in [`STANDARD`] order (`None`: unset).
fn standard_values(p: &IdentitySourceUserProfileForUpsert) -> [Option<&str>; 7] {
    [
        p.first_name.as_ref(),
        p.last_name.as_ref(),
        p.mobile_phone.as_ref(),
        p.second_email.as_ref(),
        p.home_address.as_ref(),
        p.user_name.as_ref(),
        p.email.as_ref(),
    ]
    .map(|v| v.map(String::as_str))
}

impl UserProfile {
    /// Encodes `p`, interning its custom attribute names into `names`.
    pub(crate) fn encode(p: &IdentitySourceUserProfileForUpsert, names: &mut Names) -> Self {
        Self(encode_with(p, |name| names.intern(name)).into_boxed_slice())
    }

    /// Whether `p` says the same as this profile (absent and `null` standard attributes alike).
    pub(crate) fn same_as(&self, p: &IdentitySourceUserProfileForUpsert, names: &Names) -> bool {
        *self.0 == *encode_with(p, |name| names.lookup(name))
    }

    /// The attributes, in stored order.
    fn attributes<'a>(&'a self, names: &'a Names) -> impl Iterator<Item = Attribute<'a>> + 'a {
        let mut r = Reader {
            bytes: &self.0,
            pos: 0,
        };
        let mask = if r.done() { 0 } else { r.varint() };
        let mut standard = (0..STANDARD.len()).filter(move |i| mask & (1 << i) != 0);
        std::iter::from_fn(move || {
            if let Some(i) = standard.next() {
                return Some(Attribute::Standard(i, r.string()));
            }
            if r.done() {
                return None;
            }
            let name = match r.varint() {
                0 => r.string(),
                id => names.name((id - 1) as u32),
            };
            let value = match r.varint() {
                0 => None,
                len => Some(r.bytes(len - 1)),
            };
            Some(Attribute::Custom(name, value))
        })
    }

    /// The profile as the model, every nullable standard attribute explicit (`null` when
    /// unset), as snapshots show it.
    pub(crate) fn to_model(&self, names: &Names) -> IdentitySourceUserProfileForUpsert {
        let mut p = IdentitySourceUserProfileForUpsert::new();
        for v in [
            &mut p.first_name,
            &mut p.last_name,
            &mut p.mobile_phone,
            &mut p.second_email,
            &mut p.home_address,
        ] {
            *v = Nullable::Null;
        }
        for attribute in self.attributes(names) {
            match attribute {
                Attribute::Standard(i, v) => {
                    let v = v.to_owned();
                    match i {
                        0 => p.first_name = Nullable::Value(v),
                        1 => p.last_name = Nullable::Value(v),
                        2 => p.mobile_phone = Nullable::Value(v),
                        3 => p.second_email = Nullable::Value(v),
                        4 => p.home_address = Nullable::Value(v),
                        5 => p.user_name = Some(v),
                        _ => p.email = Some(v),
                    }
                }
                Attribute::Custom(name, value) => {
                    let value = value.map_or(Value::Null, |v| Value::String(v.to_owned()));
                    p.additional_properties.insert(name.to_owned(), value);
                }
            }
        }
        p
    }

    /// Writes the profile as live Okta does (the module docs give the order).
    pub(crate) fn write_json(&self, names: &Names, out: &mut Vec<u8>) {
        let mut values: [Option<&str>; 7] = [None; 7];
        let mut custom = Vec::new();
        for attribute in self.attributes(names) {
            match attribute {
                Attribute::Standard(i, v) => values[i] = Some(v),
                Attribute::Custom(name, value) => custom.push((name, value)),
            }
        }
        out.push(b'{');
        let mut first = true;
        let mut key = |out: &mut Vec<u8>, name: &str| {
            if !std::mem::take(&mut first) {
                out.push(b',');
            }
            WriteJson::write_json(name, out);
            out.push(b':');
        };
        for (i, (name, value)) in STANDARD.iter().zip(values).enumerate() {
            match value {
                Some(v) => {
                    key(out, name);
                    WriteJson::write_json(v, out);
                }
                None if NULL_WHEN_UNSET & (1 << i) != 0 => {
                    key(out, name);
                    out.extend_from_slice(b"null");
                }
                None => {}
            }
        }
        for (name, value) in custom {
            key(out, name);
            match value {
                Some(v) => WriteJson::write_json(v, out),
                None => out.extend_from_slice(b"null"),
            }
        }
        out.push(b'}');
    }

    /// Heap bytes held.
    #[cfg(test)]
    fn heap_len(&self) -> usize {
        self.0.len()
    }
}

/// The encoding of `p`, custom names resolved by `id` (`None`: written inline).
fn encode_with(
    p: &IdentitySourceUserProfileForUpsert,
    mut id: impl FnMut(&str) -> Option<u32>,
) -> Vec<u8> {
    let standard = standard_values(p);
    let size = 1
        + standard
            .iter()
            .flatten()
            .map(|v| v.len() + 2)
            .sum::<usize>()
        + p.additional_properties
            .iter()
            .map(|(k, v)| k.len() + v.as_str().map_or(0, str::len) + 4)
            .sum::<usize>();
    let mut out = Vec::with_capacity(size);
    let mask = standard
        .iter()
        .enumerate()
        .filter(|(_, v)| v.is_some())
        .fold(0usize, |m, (i, _)| m | 1 << i);
    push_varint(&mut out, mask);
    for v in standard.into_iter().flatten() {
        push_str(&mut out, v);
    }
    write_custom(&mut out, &p.additional_properties, &mut id);
    out
}

fn write_custom(
    out: &mut Vec<u8>,
    custom: &Map<String, Value>,
    id: &mut impl FnMut(&str) -> Option<u32>,
) {
    for (name, value) in custom {
        match id(name) {
            Some(id) => push_varint(out, id as usize + 1),
            None => {
                out.push(0);
                push_str(out, name);
            }
        }
        match value {
            // Validation lets only strings and null through; anything else is kept as its
            // JSON text rather than lost.
            Value::Null => out.push(0),
            Value::String(s) => {
                push_varint(out, s.len() + 1);
                out.extend_from_slice(s.as_bytes());
            }
            other => {
                let s = other.to_string();
                push_varint(out, s.len() + 1);
                out.extend_from_slice(s.as_bytes());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(p: &UserProfile, names: &Names) -> String {
        let mut out = Vec::new();
        p.write_json(names, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn live_order_and_nulls() {
        let mut names = Names::default();
        let p = IdentitySourceUserProfileForUpsert::with_login("testuser1@example.com")
            .first_name("Test")
            .last_name("User");
        let stored = UserProfile::encode(&p, &mut names);
        assert_eq!(
            written(&stored, &names),
            r#"{"firstName":"Test","lastName":"User","mobilePhone":null,"secondEmail":null,"userName":"testuser1@example.com","email":"testuser1@example.com"}"#
        );
        let full = p
            .clone()
            .home_address("1 Main St")
            .second_email("t2@example.com")
            .custom_attribute("zeta", "z")
            .custom_attribute("department", "R&D \"x\"");
        let mut full = full;
        full.additional_properties
            .insert("costCenter".into(), Value::Null);
        let stored = UserProfile::encode(&full, &mut names);
        assert_eq!(
            written(&stored, &names),
            r#"{"firstName":"Test","lastName":"User","mobilePhone":null,"secondEmail":"t2@example.com","homeAddress":"1 Main St","userName":"testuser1@example.com","email":"testuser1@example.com","costCenter":null,"department":"R&D \"x\"","zeta":"z"}"#
        );
        // Back to the model: nullables explicit, custom attributes (null included) kept.
        let model = stored.to_model(&names);
        assert_eq!(model.mobile_phone, Nullable::Null);
        assert_eq!(model.home_address, Nullable::Value("1 Main St".into()));
        assert_eq!(model.additional_properties["costCenter"], Value::Null);
        assert_eq!(UserProfile::encode(&model, &mut names), stored);
    }

    #[test]
    fn same_treats_absent_and_null_alike() {
        let mut names = Names::default();
        let p = IdentitySourceUserProfileForUpsert::new()
            .email("a@example.com")
            .custom_attribute("dept", "R");
        let stored = UserProfile::encode(&p, &mut names);
        let mut nulls = p.clone();
        nulls.first_name = Nullable::Null;
        nulls.home_address = Nullable::Null;
        assert!(stored.same_as(&nulls, &names));
        assert!(!stored.same_as(&p.clone().first_name("A"), &names));
        // A custom null is not an absent custom attribute.
        let mut custom_null = p.clone();
        custom_null
            .additional_properties
            .insert("other".into(), Value::Null);
        assert!(!stored.same_as(&custom_null, &names));
        // A name never interned cannot match a stored profile.
        assert!(!stored.same_as(&p.clone().custom_attribute("never", "x"), &names));
    }

    #[test]
    fn names_beyond_the_cap_are_inline() {
        let mut names = Names::default();
        for i in 0..MAX_NAMES {
            assert!(names.intern(&format!("a{i}")).is_some());
        }
        let p = IdentitySourceUserProfileForUpsert::new().custom_attribute("late", "v");
        let stored = UserProfile::encode(&p, &mut names);
        assert_eq!(names.names.len(), MAX_NAMES);
        assert_eq!(
            written(&stored, &names),
            r#"{"firstName":null,"lastName":null,"mobilePhone":null,"secondEmail":null,"late":"v"}"#
        );
        assert!(stored.same_as(&p, &names));
    }

    #[test]
    fn compact() {
        let mut names = Names::default();
        let p = IdentitySourceUserProfileForUpsert::with_login("mary.johnson@example.com")
            .first_name("Mary")
            .last_name("Johnson")
            .custom_attribute("department", "Legal");
        let stored = UserProfile::encode(&p, &mut names);
        // 1 mask + 4 × (1 + len) + (1 id + 1 len + 5).
        assert_eq!(stored.heap_len(), 1 + 4 + 24 + 24 + 4 + 7 + 7);
    }
}
