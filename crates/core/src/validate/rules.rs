//! The rules of each request body: which fields, which limits, what is required.

use serde_json::{Map, Value};

use super::Validate;
use super::Violation;
use super::engine::{
    Path, Sink, check_chars, check_email, check_extra, check_list_len, check_nullable_str,
    check_opt_str, check_str, collect, json_type,
};
use crate::limits::{self, Chars, MAX_ENTITIES_PER_LOAD};
use crate::models::{
    BulkDeleteRequestBody, BulkGroupDeleteRequestBody, BulkGroupMembershipsDeleteRequestBody,
    BulkGroupMembershipsUpsertRequestBody, BulkGroupUpsertRequestBody,
    BulkGroupUpsertRequestBodyProfilesInner, BulkUpsertRequestBody,
    BulkUpsertRequestBodyEntityType, BulkUpsertRequestBodyProfilesInner, GroupsRequestSchema,
    IdentitySourceGroupMembershipsUpsertProfileInner, IdentitySourceGroupProfileForUpsert,
    IdentitySourceUserProfileForDelete, IdentitySourceUserProfileForUpsert,
    MembershipRequestSchema, Nullable, UserRequestSchema, UsersUpdateRequestSchema,
};

/// Entries of a bulk load: 1–200.
const LOAD_ENTRIES: Chars = Chars {
    min: 1,
    max: MAX_ENTITIES_PER_LOAD,
};

/// A string field `key` that must be present, within `limits`.
fn check_required_str(
    sink: &mut Sink<'_>,
    path: &Path<'_>,
    key: &str,
    value: Option<&str>,
    limits: Chars,
) {
    check_opt_str(sink, &path.key(key), value, limits, true);
}

/// A user profile; `required` adds the `IdentitySourceUserProfileForUpsertRequired` rule
/// (`email` and `userName` present).
fn check_user_profile(
    sink: &mut Sink<'_>,
    path: &Path<'_>,
    p: &IdentitySourceUserProfileForUpsert,
    required: bool,
) {
    match p.email.as_deref() {
        Some(email) => check_email(sink, &path.key("email"), email, limits::EMAIL),
        None if required => sink.required(&path.key("email")),
        None => {}
    }
    for (key, value, limits) in [
        ("firstName", &p.first_name, limits::NAME),
        ("homeAddress", &p.home_address, limits::HOME_ADDRESS),
        ("lastName", &p.last_name, limits::NAME),
        ("mobilePhone", &p.mobile_phone, limits::MOBILE_PHONE),
    ] {
        check_nullable_str(sink, &path.key(key), value, limits);
    }
    if let Nullable::Value(second) = &p.second_email {
        check_email(sink, &path.key("secondEmail"), second, limits::EMAIL);
    }
    let user_name = p.user_name.as_deref();
    check_opt_str(
        sink,
        &path.key("userName"),
        user_name,
        limits::USER_NAME,
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

/// A user with its external id (a bulk upsert's entry, a create or replace body): the
/// `externalId`, the `profile`, then the unknown fields.
fn check_user_with_id(
    sink: &mut Sink<'_>,
    path: &Path<'_>,
    (id, profile): (Option<&str>, Option<&IdentitySourceUserProfileForUpsert>),
    required_attributes: bool,
    extra: &Map<String, Value>,
) {
    check_required_str(sink, path, "externalId", id, limits::USER_EXTERNAL_ID);
    check_user_profile_field(sink, path, profile, required_attributes);
    check_extra(sink, path, extra);
}

fn check_bulk_user(sink: &mut Sink<'_>, path: &Path<'_>, e: &BulkUpsertRequestBodyProfilesInner) {
    let user = (e.external_id.as_deref(), e.profile.as_ref());
    check_user_with_id(sink, path, user, false, &e.additional_properties);
}

fn check_user_delete(sink: &mut Sink<'_>, path: &Path<'_>, e: &IdentitySourceUserProfileForDelete) {
    let id = e.external_id.as_deref();
    check_required_str(sink, path, "externalId", id, limits::USER_EXTERNAL_ID);
    check_extra(sink, path, &e.additional_properties);
}

/// A group (a bulk upsert's entry, a create or update body): `externalId` 1–255, a profile
/// with `displayName` 1–255 and `description` ≤ 1024, then the unknown fields.
fn check_group(
    sink: &mut Sink<'_>,
    path: &Path<'_>,
    (id, profile): (Option<&str>, Option<&IdentitySourceGroupProfileForUpsert>),
    extra: &Map<String, Value>,
) {
    check_required_str(sink, path, "externalId", id, limits::GROUP_EXTERNAL_ID);
    let profile_path = path.key("profile");
    match profile {
        Some(p) => {
            let display_name = p.display_name.as_deref();
            check_required_str(
                sink,
                &profile_path,
                "displayName",
                display_name,
                limits::DISPLAY_NAME,
            );
            check_nullable_str(
                sink,
                &profile_path.key("description"),
                &p.description,
                limits::DESCRIPTION,
            );
            check_extra(sink, &profile_path, &p.additional_properties);
        }
        None => sink.required(&profile_path),
    }
    check_extra(sink, path, extra);
}

fn check_bulk_group(
    sink: &mut Sink<'_>,
    path: &Path<'_>,
    g: &BulkGroupUpsertRequestBodyProfilesInner,
) {
    let group = (g.external_id.as_deref(), g.profile.as_ref());
    check_group(sink, path, group, &g.additional_properties);
}

fn check_membership(
    sink: &mut Sink<'_>,
    path: &Path<'_>,
    m: &IdentitySourceGroupMembershipsUpsertProfileInner,
) {
    let group = m.group_external_id.as_deref();
    check_required_str(
        sink,
        path,
        "groupExternalId",
        group,
        limits::GROUP_EXTERNAL_ID,
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
                check_str(sink, &members_path.index(i), id, limits::GROUP_EXTERNAL_ID);
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
    if let Some(t) = t
        && *t != BulkUpsertRequestBodyEntityType::Users
    {
        sink.push(
            &path.key("entityType"),
            format!("must be USERS, found {:?}", t.as_str()),
        );
    }
}

/// Okta counts a membership load's member ids as its entities: at most 200 in all.
fn check_member_total(
    sink: &mut Sink<'_>,
    path: &Path<'_>,
    memberships: &[IdentitySourceGroupMembershipsUpsertProfileInner],
) {
    let total: usize = memberships
        .iter()
        .map(|m| m.member_external_ids.as_ref().map_or(0, Vec::len))
        .sum();
    if total > MAX_ENTITIES_PER_LOAD {
        sink.push(
            path,
            format!("has {total} member ids in all; at most {MAX_ENTITIES_PER_LOAD} allowed"),
        );
    }
}

fn check_user_request(sink: &mut Sink<'_>, path: &Path<'_>, u: &UserRequestSchema) {
    let user = (u.external_id.as_deref(), u.profile.as_ref());
    check_user_with_id(sink, path, user, true, &u.additional_properties);
}

fn check_user_update(sink: &mut Sink<'_>, path: &Path<'_>, u: &UsersUpdateRequestSchema) {
    check_user_profile_field(sink, path, u.profile.as_ref(), true);
    check_extra(sink, path, &u.additional_properties);
}

fn check_group_request(sink: &mut Sink<'_>, path: &Path<'_>, g: &GroupsRequestSchema) {
    let group = (g.external_id.as_deref(), g.profile.as_ref());
    check_group(sink, path, group, &g.additional_properties);
}

fn check_membership_request(sink: &mut Sink<'_>, path: &Path<'_>, m: &MembershipRequestSchema) {
    let member = m.member_external_id.as_deref();
    check_required_str(
        sink,
        path,
        "memberExternalId",
        member,
        limits::GROUP_EXTERNAL_ID,
    );
    check_extra(sink, path, &m.additional_properties);
}

/// A bulk upsert's user without `email` or `userName`: Okta cannot create a user from it
/// (the single-user operations require both), though it may update one Okta has.
fn warn_bulk_user(sink: &mut Sink<'_>, path: &Path<'_>, e: &BulkUpsertRequestBodyProfilesInner) {
    let Some(p) = &e.profile else { return };
    let path = path.key("profile");
    for (key, missing) in [
        ("email", p.email.is_none()),
        ("userName", p.user_name.is_none()),
    ] {
        if missing {
            sink.push(
                &path.key(key),
                "is missing: Okta can update a user it has from this, but cannot create one \
                 without both email and userName"
                    .to_owned(),
            );
        }
    }
}

/// `impl Validate for T` by a check of `T` from the body's root (and, after `warnings:`,
/// its warnings).
macro_rules! validate_by {
    ($($ty:ty => $check:expr $(, warnings: $warn:expr)?;)*) => {$(
        impl Validate for $ty {
            fn violations(&self) -> Vec<Violation> {
                collect(|sink, path| $check(sink, path, self))
            }
            $(
                fn warnings(&self) -> Vec<Violation> {
                    collect(|sink, path| $warn(sink, path, self))
                }
            )?
        }
    )*};
}

validate_by! {
    IdentitySourceUserProfileForUpsert => |sink, path, p| check_user_profile(sink, path, p, false);
    BulkUpsertRequestBodyProfilesInner => check_bulk_user, warnings: warn_bulk_user;
    IdentitySourceUserProfileForDelete => check_user_delete;
    BulkGroupUpsertRequestBodyProfilesInner => check_bulk_group;
    IdentitySourceGroupMembershipsUpsertProfileInner => check_membership;
    UserRequestSchema => check_user_request;
    UsersUpdateRequestSchema => check_user_update;
    GroupsRequestSchema => check_group_request;
    MembershipRequestSchema => check_membership_request;
}

/// `impl Validate for` a bulk body: its `entityType` first when it has one (`[entity_type]`,
/// a users' load), then its list (`field: "key"`) by [`check_entities`] with `check`, then
/// `whole` of the whole list when given, then its unknown fields.
macro_rules! validate_load {
    ($(
        $ty:ident $([$entity_type:ident])?
        { $field:ident: $key:literal => $check:expr $(, $whole:expr)? }
    )*) => {$(
        impl Validate for $ty {
            fn violations(&self) -> Vec<Violation> {
                collect(|sink, path| {
                    $(check_entity_type(sink, path, self.$entity_type.as_ref());)?
                    let list = self.$field.as_deref();
                    check_entities(sink, path, $key, list, $check);
                    $($whole(sink, &path.key($key), list.unwrap_or_default());)?
                    check_extra(sink, path, &self.additional_properties);
                })
            }
        }
    )*};
}

validate_load! {
    BulkUpsertRequestBody[entity_type] { profiles: "profiles" => check_bulk_user }
    BulkDeleteRequestBody[entity_type] { profiles: "profiles" => check_user_delete }
    BulkGroupUpsertRequestBody { profiles: "profiles" => check_bulk_group }
    BulkGroupDeleteRequestBody {
        external_ids: "externalIds" =>
            |sink, path, id| check_str(sink, path, id, limits::GROUP_EXTERNAL_ID)
    }
    BulkGroupMembershipsUpsertRequestBody {
        memberships: "memberships" => check_membership, check_member_total
    }
    BulkGroupMembershipsDeleteRequestBody {
        memberships: "memberships" => check_membership, check_member_total
    }
}

// ---------------------------------------------------------------------------------------------
// Lone ids, for the bulk-load writer (which checks an entity without building its model).

/// A user external id, as `externalId` of a bulk delete's entry.
pub(crate) fn user_external_id_violations(id: &str) -> Vec<Violation> {
    collect(|sink, path| {
        check_str(sink, &path.key("externalId"), id, limits::USER_EXTERNAL_ID);
    })
}

/// A group external id, as `externalId` of a bulk group delete's entry.
pub(crate) fn group_external_id_violations(id: &str) -> Vec<Violation> {
    collect(|sink, path| {
        check_str(sink, &path.key("externalId"), id, limits::GROUP_EXTERNAL_ID);
    })
}

/// A membership: `groupExternalId` and `memberExternalId`.
pub(crate) fn membership_violations(group: &str, member: &str) -> Vec<Violation> {
    collect(|sink, path| {
        check_str(
            sink,
            &path.key("groupExternalId"),
            group,
            limits::GROUP_EXTERNAL_ID,
        );
        check_str(
            sink,
            &path.key("memberExternalId"),
            member,
            limits::GROUP_EXTERNAL_ID,
        );
    })
}
