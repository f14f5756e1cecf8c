//! Property tests: every model survives serde and `WriteJson` round trips, with unknown enum
//! values, unknown fields, custom attributes, explicit nulls and any text of at most 3 bytes
//! a character.

use okta_idsrc_core::json::{self, WriteJson};
use okta_idsrc_core::models::*;
use proptest::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// Text Okta accepts: any character of at most 3 UTF-8 bytes.
fn text() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        any::<char>().prop_filter("≤ 3 bytes", |c| c.len_utf8() <= 3),
        0..12,
    )
    .prop_map(|cs| cs.into_iter().collect())
}

fn opt_text() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(text())
}

fn nullable_text() -> impl Strategy<Value = Nullable<String>> {
    prop_oneof![
        Just(Nullable::Absent),
        Just(Nullable::Null),
        text().prop_map(Nullable::Value)
    ]
}

/// Unknown fields; keys start with `x` so they never collide with a known field.
fn extras() -> impl Strategy<Value = Map<String, Value>> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        text().prop_map(Value::String),
    ];
    let value = leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            proptest::collection::btree_map(text(), inner, 0..3)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    });
    proptest::collection::btree_map(text().prop_map(|k| format!("x{k}")), value, 0..3)
        .prop_map(|m| m.into_iter().collect())
}

fn status() -> impl Strategy<Value = Option<IdentitySourceSessionStatus>> {
    proptest::option::of(prop_oneof![
        proptest::sample::select(IdentitySourceSessionStatus::KNOWN.to_vec()),
        "[A-Z_]{1,12}".prop_map(IdentitySourceSessionStatus::from),
    ])
}

fn session() -> impl Strategy<Value = IdentitySourceSession> {
    (
        opt_text(),
        opt_text(),
        opt_text(),
        opt_text(),
        opt_text(),
        status(),
        extras(),
    )
        .prop_map(|(created, id, is, it, lu, status, extra)| {
            let mut s = IdentitySourceSession::new();
            (
                s.created,
                s.id,
                s.identity_source_id,
                s.import_type,
                s.last_updated,
                s.status,
            ) = (created, id, is, it, lu, status);
            s.additional_properties = extra;
            s
        })
}

fn user_profile() -> impl Strategy<Value = IdentitySourceUserProfileForUpsert> {
    (
        opt_text(),
        nullable_text(),
        nullable_text(),
        nullable_text(),
        nullable_text(),
        nullable_text(),
        opt_text(),
        proptest::collection::btree_map(
            "[a-z][a-zA-Z0-9]{0,8}",
            proptest::option::of(text()),
            0..4,
        ),
    )
        .prop_map(|(email, first, home, last, mobile, second, user, custom)| {
            let mut p = IdentitySourceUserProfileForUpsert::new();
            p.email = email;
            p.first_name = first;
            p.home_address = home;
            p.last_name = last;
            p.mobile_phone = mobile;
            p.second_email = second;
            p.user_name = user;
            for (k, v) in custom {
                // Custom attributes: strings or null, never a standard name.
                let k = format!("custom_{k}");
                p.additional_properties
                    .insert(k, v.map_or(Value::Null, Value::String));
            }
            p
        })
}

fn group_profile() -> impl Strategy<Value = IdentitySourceGroupProfileForUpsert> {
    (nullable_text(), opt_text(), extras()).prop_map(|(d, n, extra)| {
        let mut g = IdentitySourceGroupProfileForUpsert::new();
        g.description = d;
        g.display_name = n;
        g.additional_properties = extra;
        g
    })
}

fn ids() -> impl Strategy<Value = Option<Vec<String>>> {
    proptest::option::of(proptest::collection::vec(text(), 0..4))
}

fn memberships() -> impl Strategy<Value = Vec<IdentitySourceGroupMembershipsUpsertProfileInner>> {
    proptest::collection::vec(
        (opt_text(), ids(), extras()).prop_map(|(g, m, extra)| {
            let mut i = IdentitySourceGroupMembershipsUpsertProfileInner::new();
            i.group_external_id = g;
            i.member_external_ids = m;
            i.additional_properties = extra;
            i
        }),
        0..4,
    )
}

fn error() -> impl Strategy<Value = Error> {
    (
        proptest::option::of(proptest::collection::vec(
            opt_text().prop_map(|s| {
                let mut c = ErrorCause::new();
                c.error_summary = s;
                c
            }),
            0..3,
        )),
        opt_text(),
        opt_text(),
        opt_text(),
        opt_text(),
        extras(),
    )
        .prop_map(|(causes, code, id, link, summary, extra)| {
            let mut e = Error::new();
            (
                e.error_causes,
                e.error_code,
                e.error_id,
                e.error_link,
                e.error_summary,
            ) = (causes, code, id, link, summary);
            e.additional_properties = extra;
            e
        })
}

/// serde round trip, and `WriteJson` writes exactly what serde_json writes.
fn check<T>(value: &T) -> Result<(), TestCaseError>
where
    T: Serialize + DeserializeOwned + WriteJson + PartialEq + std::fmt::Debug,
{
    let bytes = serde_json::to_vec(value).unwrap();
    let fast = json::to_vec(value);
    prop_assert_eq!(
        String::from_utf8_lossy(&fast),
        String::from_utf8_lossy(&bytes)
    );
    let back: T = serde_json::from_slice(&bytes).unwrap();
    prop_assert_eq!(&back, value);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn sessions(s in session()) { check(&s)?; check(&vec![s])?; }

    #[test]
    fn user_profiles(p in user_profile()) { check(&p)?; }

    #[test]
    fn bulk_upserts(ps in proptest::collection::vec((opt_text(), proptest::option::of(user_profile())), 0..4),
                    unknown_type in proptest::option::of("[A-Z]{1,8}")) {
        let profiles = ps.into_iter().map(|(id, p)| {
            let mut i = BulkUpsertRequestBodyProfilesInner::new();
            i.external_id = id;
            i.profile = p;
            i
        }).collect::<Vec<_>>();
        let mut body = BulkUpsertRequestBody::users(profiles);
        if let Some(t) = unknown_type {
            body.entity_type = Some(BulkUpsertRequestBodyEntityType::from(t));
        }
        check(&body)?;
    }

    #[test]
    fn bulk_deletes(ids in proptest::collection::vec(text(), 0..5)) {
        check(&BulkDeleteRequestBody::users(ids.clone()))?;
        check(&IdentitySourceUserProfileForDelete::with(ids.concat()))?;
    }

    #[test]
    fn users(id in opt_text(), p in proptest::option::of(user_profile()), created in opt_text(), extra in extras()) {
        let mut req = UserRequestSchema::new();
        req.external_id = id.clone();
        req.profile = p.clone();
        req.additional_properties = extra.clone();
        check(&req)?;
        let mut upd = UsersUpdateRequestSchema::new();
        upd.profile = p.clone();
        check(&upd)?;
        let mut resp = UserResponseSchema::new();
        (resp.external_id, resp.profile, resp.created) = (id, p, created);
        resp.additional_properties = extra;
        check(&resp)?;
    }

    #[test]
    fn groups(g in group_profile(), id in opt_text(), ext in opt_text(), nested in any::<bool>(), ids in ids()) {
        check(&g)?;
        let mut inner = BulkGroupUpsertRequestBodyProfilesInner::new();
        inner.external_id = ext.clone();
        inner.profile = Some(g.clone());
        check(&inner)?;
        check(&BulkGroupUpsertRequestBody::new().profiles(vec![inner]))?;
        let mut del = BulkGroupDeleteRequestBody::new();
        del.external_ids = ids.clone();
        check(&del)?;
        let mut req = GroupsRequestSchema::new();
        req.external_id = ext.clone();
        req.profile = Some(g.clone());
        check(&req)?;
        let profile = if nested { GroupsResponseSchemaProfile::nested(g) } else { GroupsResponseSchemaProfile::flat(g) };
        let mut resp = GroupsResponseSchema::new();
        (resp.id, resp.external_id, resp.profile) = (id, ext, Some(profile));
        check(&resp)?;
        let mut page = GroupMembershipsResponseSchema::new();
        page.member_external_ids = ids;
        check(&page)?;
    }

    #[test]
    fn membership_loads(ms in memberships(), member in opt_text()) {
        let mut up = BulkGroupMembershipsUpsertRequestBody::new();
        up.memberships = Some(ms.clone());
        check(&up)?;
        let mut del = BulkGroupMembershipsDeleteRequestBody::new();
        del.memberships = Some(ms);
        check(&del)?;
        let mut req = MembershipRequestSchema::new();
        req.member_external_id = member;
        check(&req)?;
    }

    #[test]
    fn errors(e in error()) { check(&e)?; }

    #[test]
    fn unknown_statuses_round_trip(s in "[A-Z_]{1,16}") {
        let status = IdentitySourceSessionStatus::from(s.as_str());
        let json = serde_json::to_string(&status).unwrap();
        prop_assert_eq!(&json, &format!("\"{s}\""));
        let back: IdentitySourceSessionStatus = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(back.as_str(), s.as_str());
    }
}
