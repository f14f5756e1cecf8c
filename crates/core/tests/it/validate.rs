//! Validation of request bodies against `docs/okta-behavior.md#limits`, at every boundary.

use okta_idsrc_core::limits::MAX_LOAD_BYTES;
use okta_idsrc_core::models::*;
use okta_idsrc_core::validate::{Validate, Violation, check_body_size, check_id};
use serde_json::json;

fn s(n: usize) -> String {
    "a".repeat(n)
}

/// An email of exactly `n` characters.
fn email(n: usize) -> String {
    assert!(n >= 3);
    format!("{}@b", "a".repeat(n - 2))
}

fn profile() -> IdentitySourceUserProfileForUpsert {
    IdentitySourceUserProfileForUpsert::new()
        .email("isaac@example.com")
        .user_name("isaac")
}

fn user(id: &str) -> BulkUpsertRequestBodyProfilesInner {
    BulkUpsertRequestBodyProfilesInner::with(id, profile())
}

fn fields(v: &[Violation]) -> Vec<(&str, Option<usize>)> {
    v.iter().map(|v| (v.field.as_str(), v.index)).collect()
}

/// The only violation of `v`, asserting there is exactly one.
#[track_caller]
fn only(v: Vec<Violation>) -> Violation {
    assert_eq!(v.len(), 1, "{v:#?}");
    v.into_iter().next().unwrap()
}

// ---------------------------------------------------------------------------------------------
// Profile strings

/// Checks a string attribute at `min - 1`, `min`, `max` and `max + 1` characters.
#[track_caller]
fn boundaries(
    field: &str,
    min: usize,
    max: usize,
    make: impl Fn(String) -> IdentitySourceUserProfileForUpsert,
    gen_: impl Fn(usize) -> String,
) {
    assert_eq!(make(gen_(max)).violations(), [], "{field} at max");
    assert_eq!(
        make(gen_(min.max(5).min(max))).violations(),
        [],
        "{field} in range"
    );
    let over = only(make(gen_(max + 1)).violations());
    assert_eq!(over.field, field);
    assert_eq!(over.index, None);
    assert_eq!(
        over.message,
        format!("is {} characters; at most {max} allowed", max + 1)
    );
    if min > 0 {
        assert_eq!(make(gen_(min)).violations(), [], "{field} at min");
        let under = only(make(gen_(min - 1)).violations());
        assert_eq!(under.field, field);
        assert!(
            under.message.contains(&format!("at least {min}")),
            "{}",
            under.message
        );
    }
}

#[test]
fn email_is_5_to_100() {
    boundaries("email", 5, 100, |v| profile().email(v), email);
    boundaries("secondEmail", 5, 100, |v| profile().second_email(v), email);
    let v = only(profile().email("a@b").violations());
    assert_eq!(v.message, "is 3 characters; at least 5 required");
}

#[test]
fn names_are_1_to_50() {
    boundaries("firstName", 1, 50, |v| profile().first_name(v), s);
    boundaries("lastName", 1, 50, |v| profile().last_name(v), s);
    let v = only(profile().first_name("").violations());
    assert_eq!(v.message, "is empty; at least 1 character required");
}

#[test]
fn other_profile_strings() {
    boundaries("userName", 0, 100, |v| profile().user_name(v), s);
    boundaries("mobilePhone", 0, 100, |v| profile().mobile_phone(v), s);
    boundaries("homeAddress", 0, 4096, |v| profile().home_address(v), s);
}

#[test]
fn null_is_allowed_where_the_spec_allows_it() {
    let mut p = profile().additional_property("department", serde_json::Value::Null);
    p.first_name = Nullable::Null;
    p.last_name = Nullable::Null;
    p.mobile_phone = Nullable::Null;
    p.home_address = Nullable::Null;
    p.second_email = Nullable::Null;
    assert_eq!(p.violations(), []);
    // And it survives from JSON.
    let p: IdentitySourceUserProfileForUpsert = serde_json::from_value(json!({
        "email": "isaac@example.com", "userName": "isaac", "firstName": null, "secondEmail": null,
        "costCenter": null
    }))
    .unwrap();
    assert_eq!(p.violations(), []);
}

#[test]
fn custom_attributes_must_be_strings() {
    assert_eq!(
        profile()
            .custom_attribute("department", "Engineering")
            .violations(),
        []
    );
    for (value, found) in [
        (json!(42), "a number"),
        (json!(true), "a boolean"),
        (json!({"a": "b"}), "an object"),
        (json!(["a"]), "an array"),
    ] {
        let v = only(
            profile()
                .additional_property("employeeNumber", value)
                .violations(),
        );
        assert_eq!(v.field, "employeeNumber");
        assert_eq!(v.message, format!("must be a string, found {found}"));
    }
}

// ---------------------------------------------------------------------------------------------
// Characters

#[test]
fn four_byte_character_is_rejected_with_its_position() {
    let v = only(profile().first_name("Isaac😀").violations());
    assert_eq!(v.field, "firstName");
    assert_eq!(
        v.message,
        "contains a 4-byte UTF-8 character at character 6 (U+1F600); Okta accepts at most 3 bytes a character"
    );
    // Position counts characters, not bytes.
    let v = only(profile().last_name("€€😀").violations());
    assert!(
        v.message.contains("at character 3 (U+1F600)"),
        "{}",
        v.message
    );
}

#[test]
fn four_byte_characters_are_rejected_everywhere() {
    // In a custom attribute value, an external id and a group member id.
    let v = only(
        profile()
            .custom_attribute("department", "R&D 🚀")
            .violations(),
    );
    assert_eq!(v.field, "department");
    assert!(v.message.contains("U+1F680"));
    let v = only(BulkUpsertRequestBodyProfilesInner::with("𝔘1", profile()).violations());
    assert_eq!(v.field, "externalId");
    assert!(
        v.message.contains("at character 1 (U+1D518)"),
        "{}",
        v.message
    );
    let v = only(
        IdentitySourceGroupMembershipsUpsertProfileInner::with("g1", ["u1", "u😀"]).violations(),
    );
    assert_eq!(v.field, "memberExternalIds[1]");
    let v = only(
        GroupsRequestSchema::new()
            .external_id("g1")
            .profile(
                IdentitySourceGroupProfileForUpsert::new()
                    .display_name("Team")
                    .description("🎉"),
            )
            .violations(),
    );
    assert_eq!(v.field, "profile.description");
    // In an unknown field of a bulk entity.
    let v = only(
        user("u1")
            .additional_property("extra", json!({"note": ["ok", "🙂"]}))
            .violations(),
    );
    assert_eq!(v.field, "extra.note[1]");
}

#[test]
fn three_byte_characters_are_accepted_and_count_as_one() {
    // 50 three-byte characters: 150 bytes, but 50 characters.
    assert_eq!(profile().first_name("€".repeat(50)).violations(), []);
    assert_eq!(profile().last_name("ह".repeat(50)).violations(), []);
    let v = only(profile().first_name("ह".repeat(51)).violations());
    assert_eq!(v.message, "is 51 characters; at most 50 allowed");
    // 5 characters of 3 bytes make a long-enough email.
    assert_eq!(profile().email("€@€.€").violations(), []);
    assert!(!profile().email("€@€€").violations().is_empty());
}

// ---------------------------------------------------------------------------------------------
// Bulk user loads

#[test]
fn bulk_user_external_id_is_1_to_512() {
    assert_eq!(user(&s(512)).violations(), []);
    let v = only(user(&s(513)).violations());
    assert_eq!(
        (v.field.as_str(), v.message.as_str()),
        ("externalId", "is 513 characters; at most 512 allowed")
    );
    let v = only(user("").violations());
    assert_eq!(v.field, "externalId");
    let v = only(
        BulkUpsertRequestBodyProfilesInner::new()
            .profile(profile())
            .violations(),
    );
    assert_eq!(
        (v.field.as_str(), v.message.as_str()),
        ("externalId", "is required")
    );
    let v = only(
        BulkUpsertRequestBodyProfilesInner::new()
            .external_id("u1")
            .violations(),
    );
    assert_eq!(
        (v.field.as_str(), v.message.as_str()),
        ("profile", "is required")
    );
}

#[test]
fn bulk_profile_does_not_require_email() {
    let e =
        BulkUpsertRequestBodyProfilesInner::with("u1", IdentitySourceUserProfileForUpsert::new());
    assert_eq!(e.violations(), []);
}

#[test]
fn entity_paths_are_relative_and_body_paths_prefixed() {
    let bad = BulkUpsertRequestBodyProfilesInner::with("u4", profile().email(email(101)));
    let v = only(bad.violations());
    assert_eq!((v.field.as_str(), v.index), ("profile.email", None));

    let body = BulkUpsertRequestBody::users(vec![user("u1"), user("u2"), user("u3"), bad]);
    let v = only(body.violations());
    assert_eq!(
        (v.field.as_str(), v.index),
        ("profiles[3].profile.email", Some(3))
    );
    assert_eq!(v.message, "is 101 characters; at most 100 allowed");
    assert_eq!(
        v.to_string(),
        "profiles[3].profile.email: is 101 characters; at most 100 allowed"
    );
}

#[test]
fn every_violation_is_reported_in_body_order() {
    let body = BulkUpsertRequestBody::users(vec![
        BulkUpsertRequestBodyProfilesInner::with("", profile().first_name(s(51))),
        user("ok"),
        BulkUpsertRequestBodyProfilesInner::with("u3", profile().custom_attribute("x", "😀")),
    ]);
    assert_eq!(
        fields(&body.violations()),
        [
            ("profiles[0].externalId", Some(0)),
            ("profiles[0].profile.firstName", Some(0)),
            ("profiles[2].profile.x", Some(2))
        ]
    );
}

#[test]
fn bulk_user_loads_hold_1_to_200() {
    let users = |n: usize| (0..n).map(|i| user(&format!("u{i}"))).collect::<Vec<_>>();
    assert_eq!(BulkUpsertRequestBody::users(users(200)).violations(), []);
    assert_eq!(BulkUpsertRequestBody::users(users(1)).violations(), []);

    let v = only(BulkUpsertRequestBody::users(users(201)).violations());
    assert_eq!((v.field.as_str(), v.index), ("profiles", None));
    assert_eq!(v.message, "has 201 entries; at most 200 allowed");

    let v = only(BulkUpsertRequestBody::users(vec![]).violations());
    assert_eq!((v.field.as_str(), v.index), ("profiles", None));
    assert!(v.message.contains("empty"), "{}", v.message);

    let v = only(BulkUpsertRequestBody::new().violations());
    assert_eq!(
        (v.field.as_str(), v.message.as_str()),
        ("profiles", "is required")
    );
}

#[test]
fn bulk_entity_type_must_be_users() {
    let body = BulkUpsertRequestBody::new().profiles(vec![user("u1")]);
    assert_eq!(body.violations(), [], "entityType may be left out");
    let v = only(body.entity_type("GROUPS").violations());
    assert_eq!(v.field, "entityType");
    assert!(
        v.message.contains("USERS") && v.message.contains("GROUPS"),
        "{}",
        v.message
    );
    let v = only(
        BulkDeleteRequestBody::users(["u1"])
            .entity_type("groups")
            .violations(),
    );
    assert_eq!(v.field, "entityType");
}

#[test]
fn bulk_user_delete() {
    let ids = |n: usize| (0..n).map(|i| format!("u{i}")).collect::<Vec<_>>();
    assert_eq!(BulkDeleteRequestBody::users(ids(200)).violations(), []);
    let v = only(BulkDeleteRequestBody::users(ids(201)).violations());
    assert_eq!(v.field, "profiles");
    let v = only(BulkDeleteRequestBody::users(Vec::<String>::new()).violations());
    assert_eq!(v.field, "profiles");

    assert_eq!(
        IdentitySourceUserProfileForDelete::with(s(512)).violations(),
        []
    );
    let v = only(IdentitySourceUserProfileForDelete::with(s(513)).violations());
    assert_eq!((v.field.as_str(), v.index), ("externalId", None));
    let v = only(IdentitySourceUserProfileForDelete::new().violations());
    assert_eq!(v.message, "is required");

    let v = only(BulkDeleteRequestBody::users(["a", "b", "c", ""]).violations());
    assert_eq!(
        (v.field.as_str(), v.index),
        ("profiles[3].externalId", Some(3))
    );
}

// ---------------------------------------------------------------------------------------------
// Groups and memberships

fn group(id: &str, name: &str) -> BulkGroupUpsertRequestBodyProfilesInner {
    BulkGroupUpsertRequestBodyProfilesInner::with(
        id,
        IdentitySourceGroupProfileForUpsert::new().display_name(name),
    )
}

#[test]
fn bulk_group_entity() {
    assert_eq!(group(&s(255), &s(255)).violations(), []);
    assert_eq!(only(group(&s(256), "G").violations()).field, "externalId");
    assert_eq!(only(group("", "G").violations()).field, "externalId");
    assert_eq!(
        only(group("g", &s(256)).violations()).field,
        "profile.displayName"
    );
    assert_eq!(
        only(group("g", "").violations()).field,
        "profile.displayName"
    );

    let no_name = BulkGroupUpsertRequestBodyProfilesInner::with(
        "g",
        IdentitySourceGroupProfileForUpsert::new(),
    );
    let v = only(no_name.violations());
    assert_eq!(
        (v.field.as_str(), v.message.as_str()),
        ("profile.displayName", "is required")
    );
    let v = only(
        BulkGroupUpsertRequestBodyProfilesInner::new()
            .external_id("g")
            .violations(),
    );
    assert_eq!(
        (v.field.as_str(), v.message.as_str()),
        ("profile", "is required")
    );

    let described = |d: Nullable<String>| {
        let mut p = IdentitySourceGroupProfileForUpsert::new().display_name("G");
        p.description = d;
        BulkGroupUpsertRequestBodyProfilesInner::with("g", p)
    };
    assert_eq!(described(Nullable::Value(s(1024))).violations(), []);
    assert_eq!(described(Nullable::Null).violations(), []);
    assert_eq!(
        only(described(Nullable::Value(s(1025))).violations()).field,
        "profile.description"
    );
}

#[test]
fn bulk_group_upsert_body() {
    let groups = |n: usize| {
        (0..n)
            .map(|i| group(&format!("g{i}"), "G"))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        BulkGroupUpsertRequestBody::new()
            .profiles(groups(200))
            .violations(),
        []
    );
    assert_eq!(
        only(
            BulkGroupUpsertRequestBody::new()
                .profiles(groups(201))
                .violations()
        )
        .field,
        "profiles"
    );
    assert_eq!(
        only(
            BulkGroupUpsertRequestBody::new()
                .profiles(vec![])
                .violations()
        )
        .field,
        "profiles"
    );
    let mut list = groups(4);
    list[3] = group("g3", "");
    let v = only(
        BulkGroupUpsertRequestBody::new()
            .profiles(list)
            .violations(),
    );
    assert_eq!(
        (v.field.as_str(), v.index),
        ("profiles[3].profile.displayName", Some(3))
    );
}

#[test]
fn bulk_group_delete_body() {
    let ids = |n: usize| (0..n).map(|i| format!("g{i}")).collect::<Vec<_>>();
    assert_eq!(
        BulkGroupDeleteRequestBody::new()
            .external_ids(ids(200))
            .violations(),
        []
    );
    assert_eq!(
        only(
            BulkGroupDeleteRequestBody::new()
                .external_ids(ids(201))
                .violations()
        )
        .field,
        "externalIds"
    );
    assert_eq!(
        only(
            BulkGroupDeleteRequestBody::new()
                .external_ids(vec![])
                .violations()
        )
        .field,
        "externalIds"
    );
    let v = only(
        BulkGroupDeleteRequestBody::new()
            .external_ids(vec!["a".into(), s(255), s(256)])
            .violations(),
    );
    assert_eq!((v.field.as_str(), v.index), ("externalIds[2]", Some(2)));
    let v = only(
        BulkGroupDeleteRequestBody::new()
            .external_ids(vec![String::new()])
            .violations(),
    );
    assert_eq!((v.field.as_str(), v.index), ("externalIds[0]", Some(0)));
}

#[test]
fn membership_entity() {
    let m = |g: String, members: Vec<String>| {
        IdentitySourceGroupMembershipsUpsertProfileInner::with(g, members)
    };
    assert_eq!(m(s(255), vec![s(255)]).violations(), []);
    assert_eq!(
        only(m(s(256), vec![s(1)]).violations()).field,
        "groupExternalId"
    );
    assert_eq!(
        only(m(String::new(), vec![s(1)]).violations()).field,
        "groupExternalId"
    );
    assert_eq!(
        only(m(s(1), vec![s(256)]).violations()).field,
        "memberExternalIds[0]"
    );
    assert_eq!(
        only(m(s(1), vec![s(1), s(0)]).violations()).field,
        "memberExternalIds[1]"
    );
    let v = only(m(s(1), vec![]).violations());
    assert_eq!(v.field, "memberExternalIds");
    let v = only(
        IdentitySourceGroupMembershipsUpsertProfileInner::new()
            .group_external_id("g")
            .violations(),
    );
    assert_eq!(
        (v.field.as_str(), v.message.as_str()),
        ("memberExternalIds", "is required")
    );
}

#[test]
fn membership_loads_count_member_ids() {
    let m = |g: usize, n: usize| {
        IdentitySourceGroupMembershipsUpsertProfileInner::with(
            format!("g{g}"),
            (0..n).map(|i| format!("u{i}")),
        )
    };
    // 200 member ids in all, over 2 groups: fine.
    let ok = BulkGroupMembershipsUpsertRequestBody::new().memberships(vec![m(0, 100), m(1, 100)]);
    assert_eq!(ok.violations(), []);
    // 201 member ids over 2 groups: over the entity limit although there are 2 entries.
    let over = BulkGroupMembershipsUpsertRequestBody::new().memberships(vec![m(0, 100), m(1, 101)]);
    let v = only(over.violations());
    assert_eq!((v.field.as_str(), v.index), ("memberships", None));
    assert!(v.message.contains("201"), "{}", v.message);
    // The delete body obeys the same rules.
    let over = BulkGroupMembershipsDeleteRequestBody::new().memberships(vec![m(0, 201)]);
    assert_eq!(only(over.violations()).field, "memberships");
    let empty = BulkGroupMembershipsDeleteRequestBody::new().memberships(vec![]);
    assert_eq!(only(empty.violations()).field, "memberships");
    assert_eq!(
        only(BulkGroupMembershipsDeleteRequestBody::new().violations()).field,
        "memberships"
    );
    // Entity violations carry the membership's index.
    let body = BulkGroupMembershipsUpsertRequestBody::new().memberships(vec![
        m(0, 1),
        m(1, 1),
        m(2, 1),
        m(3, 0),
    ]);
    let v = only(body.violations());
    assert_eq!(
        (v.field.as_str(), v.index),
        ("memberships[3].memberExternalIds", Some(3))
    );
}

#[test]
fn membership_entries_hold_1_to_200() {
    let m =
        |g: usize| IdentitySourceGroupMembershipsUpsertProfileInner::with(format!("g{g}"), ["u"]);
    let body = BulkGroupMembershipsUpsertRequestBody::new()
        .memberships((0..201).map(m).collect::<Vec<_>>());
    // 201 entries (and so 201 member ids).
    let v = body.violations();
    assert!(
        v.iter().any(
            |v| v.field == "memberships" && v.message == "has 201 entries; at most 200 allowed"
        ),
        "{v:#?}"
    );
    let body = BulkGroupMembershipsUpsertRequestBody::new()
        .memberships((0..200).map(m).collect::<Vec<_>>());
    assert_eq!(body.violations(), []);
}

// ---------------------------------------------------------------------------------------------
// Single-entity requests

#[test]
fn user_request_requires_email_and_user_name() {
    let ok = UserRequestSchema::new()
        .external_id("u1")
        .profile(profile());
    assert_eq!(ok.violations(), []);

    let v = UserRequestSchema::new()
        .external_id("u1")
        .profile(IdentitySourceUserProfileForUpsert::new().first_name("Isaac"))
        .violations();
    assert_eq!(
        fields(&v),
        [("profile.email", None), ("profile.userName", None)]
    );
    assert!(v.iter().all(|v| v.message == "is required"));

    let v = only(UserRequestSchema::new().external_id("u1").violations());
    assert_eq!(
        (v.field.as_str(), v.message.as_str()),
        ("profile", "is required")
    );
    assert_eq!(
        only(
            UserRequestSchema::new()
                .external_id(s(513))
                .profile(profile())
                .violations()
        )
        .field,
        "externalId"
    );
    assert_eq!(
        UserRequestSchema::new()
            .external_id(s(512))
            .profile(profile())
            .violations(),
        []
    );
    assert_eq!(
        only(UserRequestSchema::new().profile(profile()).violations()).field,
        "externalId"
    );
    // The profile's own rules still apply.
    let v = only(
        UserRequestSchema::new()
            .external_id("u1")
            .profile(profile().mobile_phone(s(101)))
            .violations(),
    );
    assert_eq!(v.field, "profile.mobilePhone");
}

#[test]
fn user_update_requires_email_and_user_name() {
    assert_eq!(
        UsersUpdateRequestSchema::new()
            .profile(profile())
            .violations(),
        []
    );
    let v = only(
        UsersUpdateRequestSchema::new()
            .profile(IdentitySourceUserProfileForUpsert::new().email("isaac@example.com"))
            .violations(),
    );
    assert_eq!(
        (v.field.as_str(), v.message.as_str()),
        ("profile.userName", "is required")
    );
    assert_eq!(
        only(UsersUpdateRequestSchema::new().violations()).field,
        "profile"
    );
}

#[test]
fn group_request() {
    let g = |id: &str, p: IdentitySourceGroupProfileForUpsert| {
        GroupsRequestSchema::new().external_id(id).profile(p)
    };
    let named = |n: &str| IdentitySourceGroupProfileForUpsert::new().display_name(n);
    assert_eq!(g(&s(255), named("Team")).violations(), []);
    assert_eq!(
        only(g(&s(256), named("Team")).violations()).field,
        "externalId"
    );
    assert_eq!(
        only(g("g", named(&s(256))).violations()).field,
        "profile.displayName"
    );
    let v = only(g("g", IdentitySourceGroupProfileForUpsert::new()).violations());
    assert_eq!(
        (v.field.as_str(), v.message.as_str()),
        ("profile.displayName", "is required")
    );
}

#[test]
fn membership_request() {
    assert_eq!(
        MembershipRequestSchema::new()
            .member_external_id(s(255))
            .violations(),
        []
    );
    assert_eq!(
        only(
            MembershipRequestSchema::new()
                .member_external_id(s(256))
                .violations()
        )
        .field,
        "memberExternalId"
    );
    assert_eq!(
        only(
            MembershipRequestSchema::new()
                .member_external_id("")
                .violations()
        )
        .field,
        "memberExternalId"
    );
    let v = only(MembershipRequestSchema::new().violations());
    assert_eq!(v.message, "is required");
}

#[test]
fn validate_wraps_violations_in_an_error() {
    assert!(
        UsersUpdateRequestSchema::new()
            .profile(profile())
            .validate("updateIdentitySourceUsers")
            .is_ok()
    );
    let err = UsersUpdateRequestSchema::new()
        .validate("updateIdentitySourceUsers")
        .unwrap_err();
    assert_eq!(err.operation, "updateIdentitySourceUsers");
    assert_eq!(
        err.to_string(),
        "updateIdentitySourceUsers: invalid request body: profile: is required"
    );
}

// ---------------------------------------------------------------------------------------------
// Body size and path parameters

#[test]
fn body_size_boundary() {
    assert_eq!(check_body_size(0), None);
    assert_eq!(check_body_size(MAX_LOAD_BYTES), None);
    let v = check_body_size(MAX_LOAD_BYTES + 1).unwrap();
    assert_eq!((v.field.as_str(), v.index), ("body", None));
    assert!(v.message.contains("200001"), "{}", v.message);
}

#[test]
fn path_parameters() {
    for ok in ["aps1", "EXT 123", "a.b", "...", "ü€ह", "a/b?c#d"] {
        assert_eq!(check_id("externalId", ok), None, "{ok:?}");
    }
    for bad in [
        "",
        ".",
        "..",
        "a\nb",
        "a\0",
        "tab\there",
        "del\u{7f}",
        "c1\u{85}",
        "😀",
    ] {
        let v = check_id("externalId", bad).unwrap_or_else(|| panic!("{bad:?} accepted"));
        assert_eq!(v.field, "externalId");
        assert_eq!(v.index, None);
    }
    assert_eq!(
        check_id("sessionId", "").unwrap().to_string(),
        "sessionId: is empty"
    );
    assert!(
        check_id("sessionId", "ab\u{7f}")
            .unwrap()
            .message
            .contains("character 3")
    );
}
