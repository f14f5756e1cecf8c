//! The rules of each request body: which fields, which limits, what is required.

use serde_json::{Map, Value};

use super::Validate;
use super::Violation;
use super::engine::{
    Path, Sink, check_chars, check_extra, check_list_len, check_nullable_str, check_opt_str,
    check_str, collect, json_type,
};
use crate::limits::{self, Chars, MAX_ENTITIES_PER_LOAD};
use crate::models::{
    BulkDeleteRequestBody, BulkGroupDeleteRequestBody, BulkGroupMembershipsDeleteRequestBody,
    BulkGroupMembershipsUpsertRequestBody, BulkGroupUpsertRequestBody,
    BulkGroupUpsertRequestBodyProfilesInner, BulkUpsertRequestBody,
    BulkUpsertRequestBodyEntityType, BulkUpsertRequestBodyProfilesInner, GroupsRequestSchema,
    IdentitySourceGroupMembershipsUpsertProfileInner, IdentitySourceGroupProfileForUpsert,
    IdentitySourceUserProfileForDelete, IdentitySourceUserProfileForUpsert,
    MembershipRequestSchema, UserRequestSchema, UsersUpdateRequestSchema,
};

/// Entries of a bulk load: 1–200.
const LOAD_ENTRIES: Chars = Chars {
    min: 1,
    max: MAX_ENTITIES_PER_LOAD,
};

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
        limits::EMAIL,
        required,
    );
    check_nullable_str(sink, &path.key("firstName"), &p.first_name, limits::NAME);
    check_nullable_str(
        sink,
        &path.key("homeAddress"),
        &p.home_address,
        limits::HOME_ADDRESS,
    );
    check_nullable_str(sink, &path.key("lastName"), &p.last_name, limits::NAME);
    check_nullable_str(
        sink,
        &path.key("mobilePhone"),
        &p.mobile_phone,
        limits::MOBILE_PHONE,
    );
    check_nullable_str(
        sink,
        &path.key("secondEmail"),
        &p.second_email,
        limits::EMAIL,
    );
    check_opt_str(
        sink,
        &path.key("userName"),
        p.user_name.as_deref(),
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

fn check_bulk_user(sink: &mut Sink<'_>, path: &Path<'_>, e: &BulkUpsertRequestBodyProfilesInner) {
    check_opt_str(
        sink,
        &path.key("externalId"),
        e.external_id.as_deref(),
        limits::USER_EXTERNAL_ID,
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
        limits::USER_EXTERNAL_ID,
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
        limits::GROUP_EXTERNAL_ID,
        true,
    );
    let path = path.key("profile");
    match profile {
        Some(p) => {
            check_opt_str(
                sink,
                &path.key("displayName"),
                p.display_name.as_deref(),
                limits::DISPLAY_NAME,
                true,
            );
            check_nullable_str(
                sink,
                &path.key("description"),
                &p.description,
                limits::DESCRIPTION,
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
        limits::GROUP_EXTERNAL_ID,
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

fn check_bulk_upsert(sink: &mut Sink<'_>, path: &Path<'_>, b: &BulkUpsertRequestBody) {
    check_entity_type(sink, path, b.entity_type.as_ref());
    check_entities(
        sink,
        path,
        "profiles",
        b.profiles.as_deref(),
        check_bulk_user,
    );
    check_extra(sink, path, &b.additional_properties);
}

fn check_bulk_delete(sink: &mut Sink<'_>, path: &Path<'_>, b: &BulkDeleteRequestBody) {
    check_entity_type(sink, path, b.entity_type.as_ref());
    check_entities(
        sink,
        path,
        "profiles",
        b.profiles.as_deref(),
        check_user_delete,
    );
    check_extra(sink, path, &b.additional_properties);
}

fn check_bulk_groups(sink: &mut Sink<'_>, path: &Path<'_>, b: &BulkGroupUpsertRequestBody) {
    check_entities(
        sink,
        path,
        "profiles",
        b.profiles.as_deref(),
        check_bulk_group,
    );
    check_extra(sink, path, &b.additional_properties);
}

fn check_bulk_group_deletes(sink: &mut Sink<'_>, path: &Path<'_>, b: &BulkGroupDeleteRequestBody) {
    check_entities(
        sink,
        path,
        "externalIds",
        b.external_ids.as_deref(),
        |sink, path, id| {
            check_str(sink, path, id, limits::GROUP_EXTERNAL_ID);
        },
    );
    check_extra(sink, path, &b.additional_properties);
}

fn check_user_request(sink: &mut Sink<'_>, path: &Path<'_>, u: &UserRequestSchema) {
    check_opt_str(
        sink,
        &path.key("externalId"),
        u.external_id.as_deref(),
        limits::USER_EXTERNAL_ID,
        true,
    );
    check_user_profile_field(sink, path, u.profile.as_ref(), true);
    check_extra(sink, path, &u.additional_properties);
}

fn check_user_update(sink: &mut Sink<'_>, path: &Path<'_>, u: &UsersUpdateRequestSchema) {
    check_user_profile_field(sink, path, u.profile.as_ref(), true);
    check_extra(sink, path, &u.additional_properties);
}

fn check_group_request(sink: &mut Sink<'_>, path: &Path<'_>, g: &GroupsRequestSchema) {
    check_group(sink, path, g.external_id.as_deref(), g.profile.as_ref());
    check_extra(sink, path, &g.additional_properties);
}

fn check_membership_request(sink: &mut Sink<'_>, path: &Path<'_>, m: &MembershipRequestSchema) {
    check_opt_str(
        sink,
        &path.key("memberExternalId"),
        m.member_external_id.as_deref(),
        limits::GROUP_EXTERNAL_ID,
        true,
    );
    check_extra(sink, path, &m.additional_properties);
}

/// `impl Validate for T` by a check of `T` from the body's root.
macro_rules! validate_by {
    ($($ty:ty => $check:expr;)*) => {$(
        impl Validate for $ty {
            fn violations(&self) -> Vec<Violation> {
                collect(|sink, path| $check(sink, path, self))
            }
        }
    )*};
}

validate_by! {
    IdentitySourceUserProfileForUpsert => |sink, path, p| check_user_profile(sink, path, p, false);
    BulkUpsertRequestBodyProfilesInner => check_bulk_user;
    IdentitySourceUserProfileForDelete => check_user_delete;
    BulkUpsertRequestBody => check_bulk_upsert;
    BulkDeleteRequestBody => check_bulk_delete;
    BulkGroupUpsertRequestBodyProfilesInner => check_bulk_group;
    BulkGroupUpsertRequestBody => check_bulk_groups;
    BulkGroupDeleteRequestBody => check_bulk_group_deletes;
    IdentitySourceGroupMembershipsUpsertProfileInner => check_membership;
    BulkGroupMembershipsUpsertRequestBody => |sink, path, b: &BulkGroupMembershipsUpsertRequestBody| {
        check_memberships_body(sink, path, b.memberships.as_deref(), &b.additional_properties)
    };
    BulkGroupMembershipsDeleteRequestBody => |sink, path, b: &BulkGroupMembershipsDeleteRequestBody| {
        check_memberships_body(sink, path, b.memberships.as_deref(), &b.additional_properties)
    };
    UserRequestSchema => check_user_request;
    UsersUpdateRequestSchema => check_user_update;
    GroupsRequestSchema => check_group_request;
    MembershipRequestSchema => check_membership_request;
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
