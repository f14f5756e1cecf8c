//! Validation of request bodies against `docs/okta-behavior.md#limits`, at every boundary.
//!
//! One file past 500 lines on purpose: the boundary helpers at the top (`boundaries`,
//! `assert_only`, …) serve every model's section.

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

/// The field of the only violation of `body`, asserting there is exactly one.
#[track_caller]
fn only_field(body: &impl Validate) -> String {
    only(body.violations()).field
}

/// Asserts that the only violation of `body` is of `field`, with `message`.
#[track_caller]
fn assert_only(body: &impl Validate, field: &str, message: &str) {
    let v = only(body.violations());
    assert_eq!((v.field.as_str(), v.message.as_str()), (field, message));
}

/// Asserts that the bulk body `load(n)` of `n` valid entities is valid with 200 of them, and
/// that its list (`field`) alone is flagged with 201 or none.
#[track_caller]
fn assert_holds_1_to_200<B: Validate>(field: &str, load: impl Fn(usize) -> B) {
    assert_eq!(load(200).violations(), [], "{field} of 200");
    assert_eq!(only_field(&load(201)), field);
    assert_eq!(only_field(&load(0)), field);
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
fn profile_strings_have_their_limits() {
    type Set = fn(IdentitySourceUserProfileForUpsert, String) -> IdentitySourceUserProfileForUpsert;
    type Make = fn(usize) -> String;
    // The attribute, its limits, its setter and how to make a value of n characters.
    let cases: [(&str, usize, usize, Set, Make); 7] = [
        ("email", 5, 100, |p, v| p.email(v), email),
        ("secondEmail", 5, 100, |p, v| p.second_email(v), email),
        ("firstName", 1, 50, |p, v| p.first_name(v), s),
        ("lastName", 1, 50, |p, v| p.last_name(v), s),
        ("userName", 0, 100, |p, v| p.user_name(v), s),
        ("mobilePhone", 0, 100, |p, v| p.mobile_phone(v), s),
        ("homeAddress", 0, 4096, |p, v| p.home_address(v), s),
    ];
    for (field, min, max, set, gen_) in cases {
        boundaries(field, min, max, |v| set(profile(), v), gen_);
    }
    for (p, message) in [
        (
            profile().email("a@b"),
            "is 3 characters; at least 5 required",
        ),
        (
            profile().first_name(""),
            "is empty; at least 1 character required",
        ),
    ] {
        assert_eq!(only(p.violations()).message, message);
    }
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
    let too_long = "is 513 characters; at most 512 allowed";
    assert_only(&user(&s(513)), "externalId", too_long);
    assert_eq!(only_field(&user("")), "externalId");
    let entity = BulkUpsertRequestBodyProfilesInner::new;
    assert_only(&entity().profile(profile()), "externalId", "is required");
    assert_only(&entity().external_id("u1"), "profile", "is required");
}

#[test]
fn bulk_profile_does_not_require_email_but_warns_without_it() {
    let e =
        BulkUpsertRequestBodyProfilesInner::with("u1", IdentitySourceUserProfileForUpsert::new());
    assert_eq!(e.violations(), []);
    let warnings = e.warnings();
    assert_eq!(
        fields(&warnings),
        [("profile.email", None), ("profile.userName", None)]
    );
    assert!(
        warnings[0].message.starts_with(
            "is missing: Okta can update a user it has from this, but cannot create one"
        ),
        "{warnings:?}"
    );
    let no_user_name = BulkUpsertRequestBodyProfilesInner::with(
        "u1",
        IdentitySourceUserProfileForUpsert::new().email("isaac@example.com"),
    );
    assert_eq!(
        fields(&no_user_name.warnings()),
        [("profile.userName", None)]
    );
    assert_eq!(user("u1").warnings(), []);
    // The single-user bodies refuse what a bulk upsert only warns about.
    let single = UserRequestSchema::new()
        .external_id("u1")
        .profile(IdentitySourceUserProfileForUpsert::new());
    assert_eq!(
        fields(&single.violations()),
        [("profile.email", None), ("profile.userName", None)]
    );
}

#[test]
fn emails_must_be_addresses_on_every_path() {
    for good in [
        "isaac@example.com",
        "a@b.c",
        "aaa@b",
        "o'brien+hr@example.co.uk",
        "first.last@sub-domain.example",
        "chloé.núñez@exemple.fr",
        "\"quoted @ local\"@example.com",
        "x@[192.0.2.1]",
        "!#$%&'*+-/=?^_`{|}~@example.com",
    ] {
        assert_eq!(profile().email(good).violations(), [], "{good}");
        assert_eq!(profile().second_email(good).violations(), [], "{good}");
    }
    for (bad, why) in [
        ("not-an-email", "it has no @"),
        ("@example.com", "nothing comes before the @"),
        ("isaac@", "nothing comes after the @"),
        (
            "isaac lee@example.com",
            "the part before the @ holds a space",
        ),
        (" isaac@example.com", "the part before the @ holds a space"),
        ("isaac@example.com ", "the domain holds a space"),
        (
            "isaac\u{a0}@example.com",
            "the part before the @ holds U+00A0",
        ),
        (
            "Isaac <isaac@example.com>",
            "the part before the @ holds a space",
        ),
        ("a@b@example.com", "the part before the @ holds '@'"),
        (
            "isaac@example.com;bob@example.com",
            "the part before the @ holds '@'",
        ),
        ("isaac;bob@example.com", "the part before the @ holds ';'"),
        (
            ".isaac@example.com",
            "the part before the @ starts or ends with a dot, or has two in a row",
        ),
        (
            "isaac..lee@example.com",
            "the part before the @ starts or ends with a dot, or has two in a row",
        ),
        (
            "isaac@example..com",
            "the domain starts or ends with a dot, or has two in a row",
        ),
        (
            "isaac@example.com.",
            "the domain starts or ends with a dot, or has two in a row",
        ),
        (
            "isaac@-example.com",
            "a part of the domain starts or ends with a hyphen",
        ),
        ("isaac@exa_mple.com", "the domain holds '_'"),
        (
            "\"a\"b\"@example.com",
            "its quoted part holds a quote not escaped by \\",
        ),
    ] {
        let message = format!("is not an email address: {why}");
        assert_only(&profile().email(bad), "email", &message);
        assert_only(&profile().second_email(bad), "secondEmail", &message);
        // A bulk upsert refuses it as the single-user operations do.
        let bulk = BulkUpsertRequestBodyProfilesInner::with("u1", profile().email(bad));
        assert_only(&bulk, "profile.email", &message);
        let single = UserRequestSchema::new()
            .external_id("u1")
            .profile(profile().email(bad));
        assert_only(&single, "profile.email", &message);
    }
    // Too short and no address: both said.
    let v = profile().email("abc").violations();
    assert_eq!(v.len(), 2, "{v:?}");
    assert_eq!(v[1].message, "is not an email address: it has no @");
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

    assert_only(&BulkUpsertRequestBody::new(), "profiles", "is required");
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
    assert_holds_1_to_200("profiles", |n| {
        BulkDeleteRequestBody::users((0..n).map(|i| format!("u{i}")))
    });

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
    for (bad, field) in [
        (group(&s(256), "G"), "externalId"),
        (group("", "G"), "externalId"),
        (group("g", &s(256)), "profile.displayName"),
        (group("g", ""), "profile.displayName"),
    ] {
        assert_eq!(only_field(&bad), field);
    }

    let no_name = BulkGroupUpsertRequestBodyProfilesInner::with(
        "g",
        IdentitySourceGroupProfileForUpsert::new(),
    );
    assert_only(&no_name, "profile.displayName", "is required");
    let no_profile = BulkGroupUpsertRequestBodyProfilesInner::new().external_id("g");
    assert_only(&no_profile, "profile", "is required");

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
    let body = |list: Vec<_>| BulkGroupUpsertRequestBody::new().profiles(list);
    assert_holds_1_to_200("profiles", |n| body(groups(n)));
    let mut list = groups(4);
    list[3] = group("g3", "");
    let v = only(body(list).violations());
    assert_eq!(
        (v.field.as_str(), v.index),
        ("profiles[3].profile.displayName", Some(3))
    );
}

#[test]
fn bulk_group_delete_body() {
    let body = |ids: Vec<String>| BulkGroupDeleteRequestBody::new().external_ids(ids);
    assert_holds_1_to_200("externalIds", |n| {
        body((0..n).map(|i| format!("g{i}")).collect())
    });
    let v = only(body(vec!["a".into(), s(255), s(256)]).violations());
    assert_eq!((v.field.as_str(), v.index), ("externalIds[2]", Some(2)));
    let v = only(body(vec![String::new()]).violations());
    assert_eq!((v.field.as_str(), v.index), ("externalIds[0]", Some(0)));
}

#[test]
fn membership_entity() {
    let m = |g: String, members: Vec<String>| {
        IdentitySourceGroupMembershipsUpsertProfileInner::with(g, members)
    };
    assert_eq!(m(s(255), vec![s(255)]).violations(), []);
    for (bad, field) in [
        (m(s(256), vec![s(1)]), "groupExternalId"),
        (m(String::new(), vec![s(1)]), "groupExternalId"),
        (m(s(1), vec![s(256)]), "memberExternalIds[0]"),
        (m(s(1), vec![s(1), s(0)]), "memberExternalIds[1]"),
        (m(s(1), vec![]), "memberExternalIds"),
    ] {
        assert_eq!(only_field(&bad), field);
    }
    let no_members = IdentitySourceGroupMembershipsUpsertProfileInner::new().group_external_id("g");
    assert_only(&no_members, "memberExternalIds", "is required");
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

    let request = UserRequestSchema::new;
    assert_only(&request().external_id("u1"), "profile", "is required");
    let with_id = |id: String| request().external_id(id).profile(profile());
    assert_eq!(only_field(&with_id(s(513))), "externalId");
    assert_eq!(with_id(s(512)).violations(), []);
    assert_eq!(only_field(&request().profile(profile())), "externalId");
    // The profile's own rules still apply.
    let long_phone = request()
        .external_id("u1")
        .profile(profile().mobile_phone(s(101)));
    assert_eq!(only_field(&long_phone), "profile.mobilePhone");
}

#[test]
fn user_update_requires_email_and_user_name() {
    assert_eq!(
        UsersUpdateRequestSchema::new()
            .profile(profile())
            .violations(),
        []
    );
    let no_user_name = UsersUpdateRequestSchema::new()
        .profile(IdentitySourceUserProfileForUpsert::new().email("isaac@example.com"));
    assert_only(&no_user_name, "profile.userName", "is required");
    assert_eq!(only_field(&UsersUpdateRequestSchema::new()), "profile");
}

#[test]
fn group_request() {
    let g = |id: &str, p: IdentitySourceGroupProfileForUpsert| {
        GroupsRequestSchema::new().external_id(id).profile(p)
    };
    let named = |n: &str| IdentitySourceGroupProfileForUpsert::new().display_name(n);
    assert_eq!(g(&s(255), named("Team")).violations(), []);
    assert_eq!(only_field(&g(&s(256), named("Team"))), "externalId");
    assert_eq!(only_field(&g("g", named(&s(256)))), "profile.displayName");
    let no_name = g("g", IdentitySourceGroupProfileForUpsert::new());
    assert_only(&no_name, "profile.displayName", "is required");
}

#[test]
fn membership_request() {
    let member = |id: String| MembershipRequestSchema::new().member_external_id(id);
    assert_eq!(member(s(255)).violations(), []);
    assert_eq!(only_field(&member(s(256))), "memberExternalId");
    assert_eq!(only_field(&member(String::new())), "memberExternalId");
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
