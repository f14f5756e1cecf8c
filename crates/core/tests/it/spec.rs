//! Checks the crate against Okta's OpenAPI excerpt (a copy in `tests/data/`): every
//! operationId has an operation type, and every example parses into its model and writes
//! back to the same JSON.

use okta_idsrc_core::models::*;
use okta_idsrc_core::operations::OPERATION_IDS;
use serde_json::Value;

fn spec() -> Value {
    let text = include_str!("../data/identity-sources.yaml");
    serde_yaml_ng::from_str(text).expect("the spec parses as YAML")
}

#[test]
fn every_operation_id_has_an_operation_type() {
    let spec = spec();
    let mut ids = Vec::new();
    for (_, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if method == "parameters" {
                continue;
            }
            ids.push(op["operationId"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(ids.len(), 23, "the spec has 23 operations");
    for id in &ids {
        assert!(
            OPERATION_IDS.contains(&id.as_str()),
            "no operation type for {id}"
        );
    }
    let mut ours = OPERATION_IDS.to_vec();
    ours.sort_unstable();
    ours.dedup();
    assert_eq!(ours.len(), 23, "operation names are unique");
}

/// Parses `value` as `T`, then checks the model writes back the same JSON through both serde
/// and the fast writer.
fn round_trip<T>(name: &str, value: &Value)
where
    T: serde::de::DeserializeOwned + serde::Serialize + okta_idsrc_core::json::WriteJson,
{
    let parsed: T = serde_json::from_value(value.clone())
        .unwrap_or_else(|e| panic!("example {name} does not parse: {e}"));
    let back = serde_json::to_value(&parsed).unwrap();
    assert_eq!(&back, value, "example {name} changes in a serde round trip");
    let fast: Value = serde_json::from_slice(&okta_idsrc_core::json::to_vec(&parsed)).unwrap();
    assert_eq!(&fast, value, "example {name} changes through WriteJson");
}

#[test]
fn every_example_parses_into_its_model() {
    let spec = spec();
    let examples = spec["components"]["examples"].as_object().unwrap();
    assert_eq!(examples.len(), 23, "the spec excerpt has 23 examples");
    for (name, example) in examples {
        let v = &example["value"];
        match name.as_str() {
            n if n.starts_with("Error") => round_trip::<Error>(n, v),
            "GetSessionResponse" => round_trip::<IdentitySourceSession>(name, v),
            "ListSessionsResponseForGetSessions" | "TriggerSessionResponse" => {
                round_trip::<Vec<IdentitySourceSession>>(name, v)
            }
            "GroupMemberships" => round_trip::<GroupMembershipsResponseSchema>(name, v),
            "GroupsPayload" => round_trip::<GroupsRequestSchema>(name, v),
            "GroupsResponse" => {
                round_trip::<GroupsResponseSchema>(name, v);
                let g: GroupsResponseSchema = serde_json::from_value(v.clone()).unwrap();
                let profile = g.group_profile().unwrap();
                assert_eq!(profile.display_name.as_deref(), Some("West Coast users"));
            }
            "MembershipPayload" => round_trip::<MembershipRequestSchema>(name, v),
            "UserPayload" | "UserReplacePayload" => round_trip::<UserRequestSchema>(name, v),
            "UserUpdatePayload" => round_trip::<UsersUpdateRequestSchema>(name, v),
            "UserReplaceResponse" | "UserResponse" | "UserUpdateResponse" => {
                round_trip::<UserResponseSchema>(name, v)
            }
            "bulkDeletePayload" => round_trip::<BulkDeleteRequestBody>(name, v),
            "bulkGroupDeletePayload" => round_trip::<BulkGroupDeleteRequestBody>(name, v),
            "bulkGroupMembershipsDeletePayload" => {
                round_trip::<BulkGroupMembershipsDeleteRequestBody>(name, v)
            }
            "bulkGroupMembershipsUpsertPayload" => {
                round_trip::<BulkGroupMembershipsUpsertRequestBody>(name, v)
            }
            "bulkGroupUpsertPayload" => round_trip::<BulkGroupUpsertRequestBody>(name, v),
            "bulkUpsertPayload" => round_trip::<BulkUpsertRequestBody>(name, v),
            other => panic!("example {other} has no model mapping in this test"),
        }
    }
}

#[test]
fn user_replace_response_keeps_explicit_nulls() {
    let spec = spec();
    let v = &spec["components"]["examples"]["UserReplaceResponse"]["value"];
    let user: UserResponseSchema = serde_json::from_value(v.clone()).unwrap();
    let profile = user.profile.unwrap();
    assert!(profile.second_email.is_null());
    assert!(profile.mobile_phone.is_null());
    assert!(profile.first_name.as_deref() == Some("Emily"));
}

#[test]
fn nested_group_profile_of_the_spec_also_parses() {
    let nested = serde_json::json!({
        "id": "00g1", "externalId": "G1",
        "profile": {"profile": {"displayName": "Sales", "description": null}}
    });
    let g: GroupsResponseSchema = serde_json::from_value(nested.clone()).unwrap();
    assert_eq!(
        g.group_profile().unwrap().display_name.as_deref(),
        Some("Sales")
    );
    assert!(g.group_profile().unwrap().description.is_null());
    assert_eq!(serde_json::to_value(&g).unwrap(), nested);
}
