//! The bulk-load wire format, byte for byte.

use super::*;
use crate::json;
use crate::models::{
    BulkGroupMembershipsUpsertRequestBody, BulkUpsertRequestBody,
    IdentitySourceUserProfileForUpsert,
};

fn user(i: usize, pad: usize) -> BulkUpsertRequestBodyProfilesInner {
    BulkUpsertRequestBodyProfilesInner::with(
        format!("u{i}"),
        IdentitySourceUserProfileForUpsert::new()
            .email(format!("u{i}@example.com"))
            .user_name(format!("u{i}@example.com"))
            .custom_attribute("pad", "x".repeat(pad)),
    )
}

/// Writes `entities` into loads of `kind`.
fn write<'a>(
    kind: BulkLoadKind,
    entities: impl IntoIterator<Item = BulkEntity<'a>>,
) -> Vec<BulkLoadBody> {
    let mut writer = BulkLoadWriter::new(kind);
    let mut encoded = EncodedEntity::new();
    let mut out = Vec::new();
    for e in entities {
        encoded.encode(e).expect("valid");
        if writer.push(&encoded) == Err(PushError::Full) {
            out.extend(writer.finish());
            writer.push(&encoded).expect("fits an empty load");
        }
    }
    out.extend(writer.finish());
    out
}

#[test]
fn closes_at_200_entities_with_the_models_bytes() {
    let users: Vec<_> = (0..401).map(|i| user(i, 0)).collect();
    let loads = write(BulkLoadKind::UserUpsert, users.iter().map(BulkEntity::User));
    let counts: Vec<u32> = loads.iter().map(BulkLoadBody::entities).collect();
    assert_eq!(counts, [200, 200, 1]);
    assert_eq!(
        loads[0].bytes(),
        &json::to_vec(&BulkUpsertRequestBody::users(users[..200].to_vec()))
    );
}

#[test]
fn closes_before_200_kb() {
    // ~4.1 KB a user: 48 fit in 200,000 bytes, the 49th would not.
    let users: Vec<_> = (0..100).map(|i| user(i, 4000)).collect();
    let loads = write(BulkLoadKind::UserUpsert, users.iter().map(BulkEntity::User));
    assert!(loads.len() >= 3);
    for l in &loads {
        assert!(l.len() <= MAX_LOAD_BYTES, "{} bytes", l.len());
        serde_json::from_slice::<BulkUpsertRequestBody>(l.bytes()).expect("valid JSON");
    }
    let mut one = EncodedEntity::new();
    one.encode(BulkEntity::User(&users[0])).expect("valid");
    let element = one.lone_size() - BulkLoadKind::UserUpsert.prefix().len() - SUFFIX.len();
    assert!(
        loads[0].len() + 1 + element > MAX_LOAD_BYTES,
        "the first load is full"
    );
    assert_eq!(loads.iter().map(BulkLoadBody::entities).sum::<u32>(), 100);
}

#[test]
fn exactly_at_the_byte_limit() {
    let base = write(
        BulkLoadKind::UserUpsert,
        [BulkEntity::User(&user(0, 0)), BulkEntity::User(&user(1, 0))],
    )[0]
    .len();
    let pad = (MAX_LOAD_BYTES - base) / 2;
    let extra = (MAX_LOAD_BYTES - base) % 2;
    let (a, b) = (user(0, pad), user(1, pad + extra));
    let loads = write(
        BulkLoadKind::UserUpsert,
        [BulkEntity::User(&a), BulkEntity::User(&b)],
    );
    assert_eq!((loads.len(), loads[0].len()), (1, MAX_LOAD_BYTES));
    let b = user(1, pad + extra + 1);
    let loads = write(
        BulkLoadKind::UserUpsert,
        [BulkEntity::User(&a), BulkEntity::User(&b)],
    );
    assert_eq!(loads.len(), 2);
}

#[test]
fn memberships_group_consecutive_members_and_count_each() {
    let m = |group, member| BulkEntity::MembershipUpsert { group, member };
    let loads = write(
        BulkLoadKind::MembershipUpsert,
        [m("a", "u1"), m("a", "u2"), m("b", "u3"), m("a", "u4")],
    );
    assert_eq!(
        std::str::from_utf8(loads[0].bytes()).unwrap(),
        r#"{"memberships":[{"groupExternalId":"a","memberExternalIds":["u1","u2"]},{"groupExternalId":"b","memberExternalIds":["u3"]},{"groupExternalId":"a","memberExternalIds":["u4"]}]}"#
    );
    let ids: Vec<String> = (0..450).map(|u| format!("u{u}")).collect();
    let loads = write(
        BulkLoadKind::MembershipUpsert,
        ids.iter().map(|id| m("big", id)),
    );
    assert_eq!(
        loads.iter().map(BulkLoadBody::entities).collect::<Vec<_>>(),
        [200, 200, 50]
    );
    for l in &loads {
        let body: BulkGroupMembershipsUpsertRequestBody =
            serde_json::from_slice(l.bytes()).unwrap();
        assert_eq!(body.memberships.as_ref().unwrap().len(), 1);
        assert!(body.violations().is_empty());
    }
}

#[test]
fn membership_bytes_are_exact() {
    // Long ids of control characters (6 bytes each, escaped): bytes close the loads.
    let long = |c: char, i: usize| format!("{c}{i:0>4}{}", "\u{1}".repeat(250));
    let ids: Vec<(String, String)> = (0..200).map(|i| (long('g', i / 3), long('m', i))).collect();
    let loads = write(
        BulkLoadKind::MembershipDelete,
        ids.iter()
            .map(|(group, member)| BulkEntity::MembershipDelete { group, member }),
    );
    let entry = ENTRY_GROUP.len() + 1507 + ENTRY_MEMBERS.len() + 1507 + ENTRY_END.len();
    for l in &loads {
        assert!(l.len() <= MAX_LOAD_BYTES);
        serde_json::from_slice::<BulkGroupMembershipsUpsertRequestBody>(l.bytes()).unwrap();
    }
    assert_eq!(loads.iter().map(BulkLoadBody::entities).sum::<u32>(), 200);
    assert!(loads.len() >= 2);
    for l in &loads[..loads.len() - 1] {
        assert!(l.len() > MAX_LOAD_BYTES - entry - 8, "{} bytes", l.len());
    }
}

#[test]
fn deletes_and_discarding() {
    let ids: Vec<String> = (0..250).map(|i| format!("u{i}")).collect();
    let loads = write(
        BulkLoadKind::UserDelete,
        ids.iter().map(|id| BulkEntity::UserDelete(id)),
    );
    assert!(
        loads[0]
            .bytes()
            .starts_with(br#"{"entityType":"USERS","profiles":[{"externalId":"u0"},"#)
    );
    let loads = write(
        BulkLoadKind::GroupDelete,
        ["g0", "g1", "g2"].map(BulkEntity::GroupDelete),
    );
    assert_eq!(
        loads[0].bytes(),
        &br#"{"externalIds":["g0","g1","g2"]}"#[..]
    );

    let mut writer = BulkLoadWriter::new(BulkLoadKind::UserDelete);
    let mut encoded = EncodedEntity::new();
    let mut counted = Vec::new();
    for id in &ids {
        encoded.encode(BulkEntity::UserDelete(id)).unwrap();
        if writer.push(&encoded).is_err() {
            counted.push(writer.discard());
            writer.push(&encoded).unwrap();
        }
    }
    counted.push(writer.discard());
    assert_eq!(counted, [200, 50]);
    assert_eq!(writer.discard(), 0);
    assert!(writer.finish().is_none());
}

#[test]
fn refuses_invalid_entities_and_the_wrong_kind() {
    let mut e = EncodedEntity::new();
    let v = e.encode(BulkEntity::UserDelete("")).unwrap_err();
    assert_eq!(v[0].field, "externalId");
    assert_eq!(e.kind(), None);
    let long = "g".repeat(256);
    let v = e
        .encode(BulkEntity::MembershipUpsert {
            group: &long,
            member: "u1",
        })
        .unwrap_err();
    assert_eq!(v[0].field, "groupExternalId");
    let mut profile = user(0, 4096);
    for i in 0..60 {
        profile = BulkUpsertRequestBodyProfilesInner::with(
            "u0",
            profile
                .profile
                .clone()
                .unwrap()
                .custom_attribute(format!("a{i}"), "y".repeat(4000)),
        );
    }
    let v = e.encode(BulkEntity::User(&profile)).unwrap_err();
    assert_eq!(v.last().unwrap().field, "");
    assert!(v.last().unwrap().message.contains("a load holds at most"));

    e.encode(BulkEntity::GroupDelete("g1")).unwrap();
    let mut writer = BulkLoadWriter::new(BulkLoadKind::UserDelete);
    assert_eq!(writer.push(&e), Err(PushError::WrongKind));
    assert_eq!(
        writer.push(&EncodedEntity::new()),
        Err(PushError::WrongKind)
    );
}

#[test]
fn warnings_go_with_the_encoding() {
    let mut e = EncodedEntity::new();
    let update_only = BulkUpsertRequestBodyProfilesInner::with(
        "u1",
        IdentitySourceUserProfileForUpsert::new().first_name("Ann"),
    );
    e.encode(BulkEntity::User(&update_only))
        .expect("sent despite its warnings");
    let fields: Vec<_> = e.warnings().iter().map(|w| w.field.as_str()).collect();
    assert_eq!(fields, ["profile.email", "profile.userName"]);
    assert_eq!(e.kind(), Some(BulkLoadKind::UserUpsert));
    e.encode(BulkEntity::User(&user(1, 0))).expect("valid");
    assert_eq!(e.warnings(), []);
    e.encode(BulkEntity::User(&update_only)).expect("valid");
    e.encode(BulkEntity::UserDelete("u1")).expect("valid");
    assert_eq!(e.warnings(), [], "another entity's warnings do not linger");
    let bad = BulkUpsertRequestBodyProfilesInner::with(
        "u2",
        IdentitySourceUserProfileForUpsert::new().email("not-an-email"),
    );
    let v = e.encode(BulkEntity::User(&bad)).unwrap_err();
    assert_eq!(v[0].field, "profile.email");
    assert_eq!(v[0].message, "is not an email address: it has no @");
}
