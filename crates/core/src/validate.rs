//! Validation of request bodies against the documented limits, before any byte is sent.
//!
//! Every violation names the field, as a JSON path from the body's root
//! (`profiles[3].profile.email`), and the index of the offending entity. Lengths count
//! characters, not bytes; character positions in messages count from 1.
//!
//! Implemented by every request body of the API through [`Validate`]; path parameters are
//! checked by [`check_id`] and the serialized size of a bulk load by [`check_body_size`].

use std::fmt::{self, Write as _};

use serde_json::{Map, Value};

use crate::limits::{
    MAX_ENTITIES_PER_LOAD, MAX_GROUP_EXTERNAL_ID_CHARS, MAX_LOAD_BYTES, MAX_USER_EXTERNAL_ID_CHARS,
};
use crate::models::{
    BulkDeleteRequestBody, BulkGroupDeleteRequestBody, BulkGroupMembershipsDeleteRequestBody,
    BulkGroupMembershipsUpsertRequestBody, BulkGroupUpsertRequestBody,
    BulkGroupUpsertRequestBodyProfilesInner, BulkUpsertRequestBody,
    BulkUpsertRequestBodyEntityType, BulkUpsertRequestBodyProfilesInner, GroupsRequestSchema,
    IdentitySourceGroupMembershipsUpsertProfileInner, IdentitySourceGroupProfileForUpsert,
    IdentitySourceUserProfileForDelete, IdentitySourceUserProfileForUpsert,
    MembershipRequestSchema, Nullable, UserRequestSchema, UsersUpdateRequestSchema,
};

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Violation {
    /// JSON path of the offending field from the body's root, e.g. `profiles[3].profile.email`.
    pub field: String,
    /// Index of the offending entity in the load, when the rule concerns one entity.
    pub index: Option<usize>,
    /// What is wrong, e.g. `is 101 characters long; at most 100 allowed`.
    pub message: String,
}

impl Violation {
    /// A violation of `field` (entity `index`, if any).
    pub fn new(field: impl Into<String>, index: Option<usize>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            index,
            message: message.into(),
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// A request body that broke one or more documented limits. Nothing was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ValidationError {
    /// The operation whose body failed validation (its operationId).
    pub operation: &'static str,
    /// Every violation found, in body order.
    pub violations: Vec<Violation>,
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: invalid request body: ", self.operation)?;
        for (i, v) in self.violations.iter().take(5).enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{v}")?;
        }
        if self.violations.len() > 5 {
            write!(f, "; and {} more", self.violations.len() - 5)?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationError {}

// ---------------------------------------------------------------------------------------------
// The rules.

/// Characters of an email or secondEmail: 5–100.
const EMAIL_CHARS: (usize, usize) = (5, 100);
/// Characters of a firstName or lastName: 1–50.
const NAME_CHARS: (usize, usize) = (1, 50);
/// Characters of a userName or mobilePhone: at most 100.
const SHORT_TEXT_CHARS: (usize, usize) = (0, 100);
/// Characters of a homeAddress: at most 4096.
const HOME_ADDRESS_CHARS: (usize, usize) = (0, 4096);
/// Characters of a group displayName: 1–255.
const DISPLAY_NAME_CHARS: (usize, usize) = (1, 255);
/// Characters of a group description: at most 1024.
const DESCRIPTION_CHARS: (usize, usize) = (0, 1024);
/// Characters of a user externalId in a request: 1–512.
const USER_ID_CHARS: (usize, usize) = (1, MAX_USER_EXTERNAL_ID_CHARS);
/// Characters of a group or member externalId: 1–255.
const GROUP_ID_CHARS: (usize, usize) = (1, MAX_GROUP_EXTERNAL_ID_CHARS);
/// Entries of a bulk load: 1–200.
const LOAD_ENTRIES: (usize, usize) = (1, MAX_ENTITIES_PER_LOAD);

/// A request body checked against the documented limits (`BEHAVIOR.md` §3).
///
/// Violations of a single entity (a profile, a group) have paths relative to it and no index;
/// those of a bulk body are prefixed with the entity's place (`profiles[3].profile.email`) and
/// carry its index. A valid value gives an empty list, and costs no allocation.
///
/// ```
/// use okta_idsrc_core::models::*;
/// use okta_idsrc_core::validate::Validate;
///
/// let body = BulkUpsertRequestBody::users(vec![BulkUpsertRequestBodyProfilesInner::with(
///     "EXT1",
///     IdentitySourceUserProfileForUpsert::new().email("a@b").user_name("isaac"),
/// )]);
/// let v = body.violations();
/// assert_eq!(v.len(), 1);
/// assert_eq!(v[0].field, "profiles[0].profile.email");
/// assert_eq!(v[0].index, Some(0));
/// assert_eq!(v[0].message, "is 3 characters; at least 5 required");
/// ```
pub trait Validate {
    /// Every broken rule, in body order; empty when the value is valid.
    fn violations(&self) -> Vec<Violation>;

    /// `Ok` when valid, else a [`ValidationError`] of `operation` (an operationId) listing
    /// every violation.
    fn validate(&self, operation: &'static str) -> Result<(), ValidationError> {
        let violations = self.violations();
        if violations.is_empty() {
            Ok(())
        } else {
            Err(ValidationError {
                operation,
                violations,
            })
        }
    }
}

/// A violation when a serialized bulk load of `len` bytes is over the 200 KB limit
/// ([`MAX_LOAD_BYTES`]); field `body`.
pub fn check_body_size(len: usize) -> Option<Violation> {
    (len > MAX_LOAD_BYTES).then(|| {
        Violation::new(
            "body",
            None,
            format!("is {len} bytes; at most {MAX_LOAD_BYTES} allowed"),
        )
    })
}

/// A violation when path parameter `name` cannot be sent as one path segment: empty, `.` or
/// `..`, containing a control character (C0, DEL or C1), or a 4-byte UTF-8 character (which no
/// Okta id can contain).
pub fn check_id(name: &'static str, value: &str) -> Option<Violation> {
    let message = if value.is_empty() {
        "is empty".to_owned()
    } else if value == "." || value == ".." {
        format!("must not be {value:?}")
    } else if let Some((i, c)) = value.chars().enumerate().find(|(_, c)| c.is_control()) {
        format!(
            "contains a control character at character {} (U+{:04X})",
            i + 1,
            u32::from(c)
        )
    } else if let Some((at, c)) = scan(value).four_byte {
        four_byte_message(at, c)
    } else {
        return None;
    };
    Some(Violation::new(name, None, message))
}

/// A JSON path from the body's root, kept on the stack and rendered only for a violation.
#[derive(Clone, Copy)]
enum Path<'a> {
    Root,
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl<'a> Path<'a> {
    fn key(&'a self, key: &'a str) -> Path<'a> {
        Path::Key(self, key)
    }

    fn index(&'a self, index: usize) -> Path<'a> {
        Path::Index(self, index)
    }

    fn render(&self, out: &mut String) {
        match self {
            Path::Root => {}
            Path::Key(parent, key) => {
                parent.render(out);
                if !matches!(parent, Path::Root) {
                    out.push('.');
                }
                out.push_str(key);
            }
            Path::Index(parent, i) => {
                parent.render(out);
                // Writing to a String cannot fail.
                let _ = write!(out, "[{i}]");
            }
        }
    }
}

/// Where violations go, with the index of the entity being checked.
struct Sink<'v> {
    out: &'v mut Vec<Violation>,
    index: Option<usize>,
}

impl Sink<'_> {
    fn push(&mut self, path: &Path<'_>, message: String) {
        let mut field = String::new();
        path.render(&mut field);
        self.out.push(Violation {
            field,
            index: self.index,
            message,
        });
    }

    fn required(&mut self, path: &Path<'_>) {
        self.push(path, "is required".to_owned());
    }
}

/// Runs `check` from the root with no entity index.
fn collect(check: impl FnOnce(&mut Sink<'_>, &Path<'_>)) -> Vec<Violation> {
    let mut out = Vec::new();
    check(
        &mut Sink {
            out: &mut out,
            index: None,
        },
        &Path::Root,
    );
    out
}

/// The character count of a string and its first 4-byte character, if any (1-based position).
struct Scan {
    chars: usize,
    four_byte: Option<(usize, char)>,
}

fn scan(s: &str) -> Scan {
    if s.is_ascii() {
        return Scan {
            chars: s.len(),
            four_byte: None,
        };
    }
    // Characters are the bytes that are not UTF-8 continuation bytes.
    let chars = s.as_bytes().iter().filter(|&&b| (b as i8) >= -0x40).count();
    Scan {
        chars,
        four_byte: first_four_byte(s),
    }
}

/// The first 4-byte character of `s` and its 1-based position. A branch-free pass over the
/// bytes (a 4-byte character starts with a byte ≥ 0xF0) rules most strings out.
fn first_four_byte(s: &str) -> Option<(usize, char)> {
    if s.is_ascii() || !s.as_bytes().iter().fold(false, |acc, &b| acc | (b >= 0xF0)) {
        return None;
    }
    s.chars()
        .enumerate()
        .find(|(_, c)| c.len_utf8() == 4)
        .map(|(i, c)| (i + 1, c))
}

fn four_byte_message(at: usize, c: char) -> String {
    format!(
        "contains a 4-byte UTF-8 character at character {at} (U+{:04X}); Okta accepts at most 3 bytes a character",
        u32::from(c)
    )
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A string's length (in characters) within `min..=max`, and no 4-byte character.
fn check_str(sink: &mut Sink<'_>, path: &Path<'_>, s: &str, (min, max): (usize, usize)) {
    let Scan { chars, four_byte } = scan(s);
    if chars > max {
        sink.push(
            path,
            format!("is {chars} characters; at most {max} allowed"),
        );
    } else if chars < min {
        let message = if chars == 0 {
            format!(
                "is empty; at least {} required",
                plural(min, "character", "characters")
            )
        } else {
            format!(
                "is {}; at least {min} required",
                plural(chars, "character", "characters")
            )
        };
        sink.push(path, message);
    }
    if let Some((at, c)) = four_byte {
        sink.push(path, four_byte_message(at, c));
    }
}

/// An optional string field; `required` makes absence a violation.
fn check_opt_str(
    sink: &mut Sink<'_>,
    path: &Path<'_>,
    value: Option<&str>,
    limits: (usize, usize),
    required: bool,
) {
    match value {
        Some(s) => check_str(sink, path, s, limits),
        None if required => sink.required(path),
        None => {}
    }
}

/// A nullable string field (`null` allowed).
fn check_nullable_str(
    sink: &mut Sink<'_>,
    path: &Path<'_>,
    value: &Nullable<String>,
    limits: (usize, usize),
) {
    if let Nullable::Value(s) = value {
        check_str(sink, path, s, limits);
    }
}

/// A list's length within `min..=max`; absence is a violation.
fn check_list_len(
    sink: &mut Sink<'_>,
    path: &Path<'_>,
    len: Option<usize>,
    (min, max): (usize, usize),
) {
    match len {
        None => sink.required(path),
        Some(n) if n > max => sink.push(path, format!("has {n} entries; at most {max} allowed")),
        Some(n) if n < min => {
            let message = if n == 0 {
                format!(
                    "is empty; at least {} required",
                    plural(min, "entry", "entries")
                )
            } else {
                format!(
                    "has {}; at least {min} required",
                    plural(n, "entry", "entries")
                )
            };
            sink.push(path, message);
        }
        Some(_) => {}
    }
}

/// Only the 4-byte rule, for strings with no length limit (a name, an unknown field).
fn check_chars(sink: &mut Sink<'_>, path: &Path<'_>, s: &str, what: &str) {
    if let Some((at, c)) = first_four_byte(s) {
        sink.push(path, format!("{what}{}", four_byte_message(at, c)));
    }
}

/// Unknown fields of any model: every string in them (names too) free of 4-byte characters.
fn check_extra(sink: &mut Sink<'_>, path: &Path<'_>, extra: &Map<String, Value>) {
    for (name, value) in extra {
        let path = path.key(name);
        check_chars(sink, &path, name, "name ");
        check_json_chars(sink, &path, value);
    }
}

fn check_json_chars(sink: &mut Sink<'_>, path: &Path<'_>, value: &Value) {
    match value {
        Value::String(s) => check_chars(sink, path, s, ""),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                check_json_chars(sink, &path.index(i), item);
            }
        }
        Value::Object(map) => check_extra(sink, path, map),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A user profile; `required` adds the `IdentitySourceUserProfileForUpsertRequired` rule
/// (`email` and `userName` present).
fn check_user_profile(
    sink: &mut Sink<'_>,
    path: &Path<'_>,
    p: &IdentitySourceUserProfileForUpsert,
    required: bool,
) {
    check_opt_str(
        sink,
        &path.key("email"),
        p.email.as_deref(),
        EMAIL_CHARS,
        required,
    );
    check_nullable_str(sink, &path.key("firstName"), &p.first_name, NAME_CHARS);
    check_nullable_str(
        sink,
        &path.key("homeAddress"),
        &p.home_address,
        HOME_ADDRESS_CHARS,
    );
    check_nullable_str(sink, &path.key("lastName"), &p.last_name, NAME_CHARS);
    check_nullable_str(
        sink,
        &path.key("mobilePhone"),
        &p.mobile_phone,
        SHORT_TEXT_CHARS,
    );
    check_nullable_str(sink, &path.key("secondEmail"), &p.second_email, EMAIL_CHARS);
    check_opt_str(
        sink,
        &path.key("userName"),
        p.user_name.as_deref(),
        SHORT_TEXT_CHARS,
        required,
    );
    // Custom attributes: strings or null only.
    for (name, value) in &p.additional_properties {
        let path = path.key(name);
        check_chars(sink, &path, name, "name ");
        match value {
            Value::Null => {}
            Value::String(s) => check_chars(sink, &path, s, ""),
            other => sink.push(
                &path,
                format!("must be a string, found {}", json_type(other)),
            ),
        }
    }
}

/// A `profile` field holding a user profile.
fn check_user_profile_field(
    sink: &mut Sink<'_>,
    path: &Path<'_>,
    profile: Option<&IdentitySourceUserProfileForUpsert>,
    required_attributes: bool,
) {
    let path = path.key("profile");
    match profile {
        Some(p) => check_user_profile(sink, &path, p, required_attributes),
        None => sink.required(&path),
    }
}

fn check_bulk_user(sink: &mut Sink<'_>, path: &Path<'_>, e: &BulkUpsertRequestBodyProfilesInner) {
    check_opt_str(
        sink,
        &path.key("externalId"),
        e.external_id.as_deref(),
        USER_ID_CHARS,
        true,
    );
    check_user_profile_field(sink, path, e.profile.as_ref(), false);
    check_extra(sink, path, &e.additional_properties);
}

fn check_user_delete(sink: &mut Sink<'_>, path: &Path<'_>, e: &IdentitySourceUserProfileForDelete) {
    check_opt_str(
        sink,
        &path.key("externalId"),
        e.external_id.as_deref(),
        USER_ID_CHARS,
        true,
    );
    check_extra(sink, path, &e.additional_properties);
}

/// A group: `externalId` 1–255 and a profile with `displayName` 1–255, `description` ≤ 1024.
fn check_group(
    sink: &mut Sink<'_>,
    path: &Path<'_>,
    external_id: Option<&str>,
    profile: Option<&IdentitySourceGroupProfileForUpsert>,
) {
    check_opt_str(
        sink,
        &path.key("externalId"),
        external_id,
        GROUP_ID_CHARS,
        true,
    );
    let path = path.key("profile");
    match profile {
        Some(p) => {
            check_opt_str(
                sink,
                &path.key("displayName"),
                p.display_name.as_deref(),
                DISPLAY_NAME_CHARS,
                true,
            );
            check_nullable_str(
                sink,
                &path.key("description"),
                &p.description,
                DESCRIPTION_CHARS,
            );
            check_extra(sink, &path, &p.additional_properties);
        }
        None => sink.required(&path),
    }
}

fn check_bulk_group(
    sink: &mut Sink<'_>,
    path: &Path<'_>,
    g: &BulkGroupUpsertRequestBodyProfilesInner,
) {
    check_group(sink, path, g.external_id.as_deref(), g.profile.as_ref());
    check_extra(sink, path, &g.additional_properties);
}

fn check_membership(
    sink: &mut Sink<'_>,
    path: &Path<'_>,
    m: &IdentitySourceGroupMembershipsUpsertProfileInner,
) {
    check_opt_str(
        sink,
        &path.key("groupExternalId"),
        m.group_external_id.as_deref(),
        GROUP_ID_CHARS,
        true,
    );
    let members_path = path.key("memberExternalIds");
    match &m.member_external_ids {
        None => sink.required(&members_path),
        Some(ids) if ids.is_empty() => {
            sink.push(
                &members_path,
                "is empty; at least 1 entry required".to_owned(),
            );
        }
        Some(ids) => {
            for (i, id) in ids.iter().enumerate() {
                check_str(sink, &members_path.index(i), id, GROUP_ID_CHARS);
            }
        }
    }
    check_extra(sink, path, &m.additional_properties);
}

/// A bulk body's list: its length, then each entity with its index and prefixed path.
fn check_entities<T>(
    sink: &mut Sink<'_>,
    path: &Path<'_>,
    name: &'static str,
    list: Option<&[T]>,
    mut check: impl FnMut(&mut Sink<'_>, &Path<'_>, &T),
) {
    let path = path.key(name);
    check_list_len(sink, &path, list.map(<[T]>::len), LOAD_ENTRIES);
    for (i, entity) in list.unwrap_or_default().iter().enumerate() {
        let mut inner = Sink {
            out: &mut *sink.out,
            index: Some(i),
        };
        check(&mut inner, &path.index(i), entity);
    }
}

fn check_entity_type(
    sink: &mut Sink<'_>,
    path: &Path<'_>,
    t: Option<&BulkUpsertRequestBodyEntityType>,
) {
    if let Some(t) = t {
        if *t != BulkUpsertRequestBodyEntityType::Users {
            sink.push(
                &path.key("entityType"),
                format!("must be USERS, found {:?}", t.as_str()),
            );
        }
    }
}

fn check_memberships_body(
    sink: &mut Sink<'_>,
    path: &Path<'_>,
    memberships: Option<&[IdentitySourceGroupMembershipsUpsertProfileInner]>,
    extra: &Map<String, Value>,
) {
    check_entities(sink, path, "memberships", memberships, check_membership);
    // Okta counts member ids as the load's entities.
    let total: usize = memberships
        .unwrap_or_default()
        .iter()
        .map(|m| m.member_external_ids.as_ref().map_or(0, Vec::len))
        .sum();
    if total > MAX_ENTITIES_PER_LOAD {
        sink.push(
            &path.key("memberships"),
            format!("has {total} member ids in all; at most {MAX_ENTITIES_PER_LOAD} allowed"),
        );
    }
    check_extra(sink, path, extra);
}

impl Validate for IdentitySourceUserProfileForUpsert {
    fn violations(&self) -> Vec<Violation> {
        collect(|sink, path| check_user_profile(sink, path, self, false))
    }
}

impl Validate for BulkUpsertRequestBodyProfilesInner {
    fn violations(&self) -> Vec<Violation> {
        collect(|sink, path| check_bulk_user(sink, path, self))
    }
}

impl Validate for IdentitySourceUserProfileForDelete {
    fn violations(&self) -> Vec<Violation> {
        collect(|sink, path| check_user_delete(sink, path, self))
    }
}

impl Validate for BulkUpsertRequestBody {
    fn violations(&self) -> Vec<Violation> {
        collect(|sink, path| {
            check_entity_type(sink, path, self.entity_type.as_ref());
            check_entities(
                sink,
                path,
                "profiles",
                self.profiles.as_deref(),
                check_bulk_user,
            );
            check_extra(sink, path, &self.additional_properties);
        })
    }
}

impl Validate for BulkDeleteRequestBody {
    fn violations(&self) -> Vec<Violation> {
        collect(|sink, path| {
            check_entity_type(sink, path, self.entity_type.as_ref());
            check_entities(
                sink,
                path,
                "profiles",
                self.profiles.as_deref(),
                check_user_delete,
            );
            check_extra(sink, path, &self.additional_properties);
        })
    }
}

impl Validate for BulkGroupUpsertRequestBodyProfilesInner {
    fn violations(&self) -> Vec<Violation> {
        collect(|sink, path| check_bulk_group(sink, path, self))
    }
}

impl Validate for BulkGroupUpsertRequestBody {
    fn violations(&self) -> Vec<Violation> {
        collect(|sink, path| {
            check_entities(
                sink,
                path,
                "profiles",
                self.profiles.as_deref(),
                check_bulk_group,
            );
            check_extra(sink, path, &self.additional_properties);
        })
    }
}

impl Validate for BulkGroupDeleteRequestBody {
    fn violations(&self) -> Vec<Violation> {
        collect(|sink, path| {
            check_entities(
                sink,
                path,
                "externalIds",
                self.external_ids.as_deref(),
                |sink, path, id| {
                    check_str(sink, path, id, GROUP_ID_CHARS);
                },
            );
            check_extra(sink, path, &self.additional_properties);
        })
    }
}

impl Validate for IdentitySourceGroupMembershipsUpsertProfileInner {
    fn violations(&self) -> Vec<Violation> {
        collect(|sink, path| check_membership(sink, path, self))
    }
}

impl Validate for BulkGroupMembershipsUpsertRequestBody {
    fn violations(&self) -> Vec<Violation> {
        collect(|sink, path| {
            check_memberships_body(
                sink,
                path,
                self.memberships.as_deref(),
                &self.additional_properties,
            );
        })
    }
}

impl Validate for BulkGroupMembershipsDeleteRequestBody {
    fn violations(&self) -> Vec<Violation> {
        collect(|sink, path| {
            check_memberships_body(
                sink,
                path,
                self.memberships.as_deref(),
                &self.additional_properties,
            );
        })
    }
}

impl Validate for UserRequestSchema {
    fn violations(&self) -> Vec<Violation> {
        collect(|sink, path| {
            check_opt_str(
                sink,
                &path.key("externalId"),
                self.external_id.as_deref(),
                USER_ID_CHARS,
                true,
            );
            check_user_profile_field(sink, path, self.profile.as_ref(), true);
            check_extra(sink, path, &self.additional_properties);
        })
    }
}

impl Validate for UsersUpdateRequestSchema {
    fn violations(&self) -> Vec<Violation> {
        collect(|sink, path| {
            check_user_profile_field(sink, path, self.profile.as_ref(), true);
            check_extra(sink, path, &self.additional_properties);
        })
    }
}

impl Validate for GroupsRequestSchema {
    fn violations(&self) -> Vec<Violation> {
        collect(|sink, path| {
            check_group(
                sink,
                path,
                self.external_id.as_deref(),
                self.profile.as_ref(),
            );
            check_extra(sink, path, &self.additional_properties);
        })
    }
}

impl Validate for MembershipRequestSchema {
    fn violations(&self) -> Vec<Violation> {
        collect(|sink, path| {
            check_opt_str(
                sink,
                &path.key("memberExternalId"),
                self.member_external_id.as_deref(),
                GROUP_ID_CHARS,
                true,
            );
            check_extra(sink, path, &self.additional_properties);
        })
    }
}
