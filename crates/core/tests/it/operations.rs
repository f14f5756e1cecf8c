//! Request building and response parsing of all 23 operations.

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use okta_idsrc_core::models::*;
use okta_idsrc_core::operations::*;
use okta_idsrc_core::validate::ValidationError;
use okta_idsrc_core::{
    ApiContext, Credentials, Error, Idempotency, Operation, OperationInfo, OrgUrl, RateLimitBucket,
};
use proptest::prelude::*;

const IS: &str = "0oa3l6l6WK6h0R0QW0g4";
const SESSION: &str = "aps1qqonvr2SZv6o70h8";

fn ctx() -> ApiContext {
    ApiContext::new(
        OrgUrl::parse("https://acme.okta.com").unwrap(),
        Some(Credentials::api_token("tok")),
    )
}

fn user() -> IdentitySourceUserProfileForUpsert {
    IdentitySourceUserProfileForUpsert::with_login("isaac.brock@example.com").first_name("Isaac")
}

fn response(status: u16, body: &'static str) -> Response<Bytes> {
    Response::builder()
        .status(status)
        .body(Bytes::from_static(body.as_bytes()))
        .unwrap()
}

/// Builds `op` and checks the request: `method`, the identity source's URL with `path` after
/// it, the headers, and the JSON `body` (or none).
#[track_caller]
fn check<O: Operation>(op: O, method: Method, path: &str, body: Option<serde_json::Value>) {
    let req: Request<Bytes> = op.build(&ctx()).unwrap();
    let name = O::INFO.name;
    assert_eq!(req.method(), method, "{name}");
    assert_eq!(
        req.uri().to_string(),
        format!("https://acme.okta.com/api/v1/identity-sources/0oa3l6l6WK6h0R0QW0g4{path}"),
        "{name}"
    );
    let h = req.headers();
    assert_eq!(h["accept"], "application/json", "{name}");
    assert_eq!(h["authorization"], "SSWS tok", "{name}");
    assert!(h["authorization"].is_sensitive(), "{name}");
    assert!(
        h["user-agent"].to_str().unwrap().starts_with("okta-idsrc/"),
        "{name}"
    );
    assert_eq!(OperationInfo::of(&req), Some(&O::INFO), "{name}");
    match body {
        Some(json) => {
            assert_eq!(h["content-type"], "application/json", "{name}");
            assert_eq!(
                h["content-length"],
                req.body().len().to_string().as_str(),
                "{name}"
            );
            let sent: serde_json::Value = serde_json::from_slice(req.body()).unwrap();
            assert_eq!(sent, json, "{name}");
        }
        None => {
            assert!(req.body().is_empty(), "{name}");
            let bodyless_write = matches!(method, Method::POST | Method::PUT | Method::PATCH);
            assert_eq!(
                h.get("content-length").map(|v| v.to_str().unwrap()),
                bodyless_write.then_some("0"),
                "{name}"
            );
        }
    }
}

#[test]
fn builds_every_operation() {
    let upsert = BulkUpsertRequestBody::users(vec![BulkUpsertRequestBodyProfilesInner::with(
        "EXT1",
        user(),
    )]);
    let upsert_json = serde_json::json!({"entityType":"USERS","profiles":[{"externalId":"EXT1","profile":{
        "email":"isaac.brock@example.com","firstName":"Isaac","userName":"isaac.brock@example.com"}}]});
    let group = IdentitySourceGroupProfileForUpsert::new()
        .display_name("Sales")
        .description("S");
    let members = vec![IdentitySourceGroupMembershipsUpsertProfileInner::with(
        "G1",
        ["U1", "U2"],
    )];
    let members_json = serde_json::json!({"memberships":[{"groupExternalId":"G1","memberExternalIds":["U1","U2"]}]});
    let user_req = UserRequestSchema::new().external_id("EXT1").profile(user());
    let user_json = serde_json::json!({"externalId":"EXT1","profile":{
        "email":"isaac.brock@example.com","firstName":"Isaac","userName":"isaac.brock@example.com"}});
    let group_req = GroupsRequestSchema::new()
        .external_id("G1")
        .profile(group.clone());
    let group_json =
        serde_json::json!({"externalId":"G1","profile":{"description":"S","displayName":"Sales"}});

    let user_delete = BulkDeleteRequestBody::users(["E1", "E2"]);
    let user_delete_json = serde_json::json!({"entityType":"USERS","profiles":[{"externalId":"E1"},{"externalId":"E2"}]});
    let groups = BulkGroupUpsertRequestBody::new().profiles(vec![
        BulkGroupUpsertRequestBodyProfilesInner::with("G1", group.clone()),
    ]);
    let groups_json = serde_json::json!({"profiles":[{"externalId":"G1","profile":{"description":"S","displayName":"Sales"}}]});
    let group_delete = BulkGroupDeleteRequestBody::new().external_ids(vec!["G1".to_owned()]);
    let group_delete_json = serde_json::json!({"externalIds":["G1"]});
    let member_upsert = BulkGroupMembershipsUpsertRequestBody::new().memberships(members.clone());
    let member_delete = BulkGroupMembershipsDeleteRequestBody::new().memberships(members);
    let user_update = UsersUpdateRequestSchema::new().profile(user());
    let user_update_json = serde_json::json!({"profile":{"email":"isaac.brock@example.com","firstName":"Isaac","userName":"isaac.brock@example.com"}});
    let member = MembershipRequestSchema::new().member_external_id("U1");
    let member_json = serde_json::json!({"memberExternalId":"U1"});
    let page = GetIdentitySourceGroupMemberships::new(IS, "G1")
        .limit(2)
        .after("a b&c");

    // Each row: the operation, then the method, the path after the identity source's and
    // the JSON body of its request.
    macro_rules! check_each {
        ($($op:expr => $method:ident $path:literal, $body:expr;)*) => {
            $(check($op, Method::$method, $path, $body);)*
        };
    }
    check_each! {
        ListIdentitySourceSessions::new(IS) => GET "/sessions", None;
        CreateIdentitySourceSession::new(IS) => POST "/sessions", None;
        GetIdentitySourceSession::new(IS, SESSION) => GET "/sessions/aps1qqonvr2SZv6o70h8", None;
        DeleteIdentitySourceSession::new(IS, SESSION) => DELETE "/sessions/aps1qqonvr2SZv6o70h8", None;
        UploadIdentitySourceDataForUpsert::new(IS, SESSION, upsert)
            => POST "/sessions/aps1qqonvr2SZv6o70h8/bulk-upsert", Some(upsert_json);
        UploadIdentitySourceDataForDelete::new(IS, SESSION, user_delete)
            => POST "/sessions/aps1qqonvr2SZv6o70h8/bulk-delete", Some(user_delete_json);
        StartImportFromIdentitySource::new(IS, SESSION)
            => POST "/sessions/aps1qqonvr2SZv6o70h8/start-import", None;
        UploadIdentitySourceGroupsForUpsert::new(IS, SESSION, groups)
            => POST "/sessions/aps1qqonvr2SZv6o70h8/bulk-groups-upsert", Some(groups_json);
        UploadIdentitySourceGroupsDataForDelete::new(IS, SESSION, group_delete)
            => POST "/sessions/aps1qqonvr2SZv6o70h8/bulk-groups-delete", Some(group_delete_json);
        UploadIdentitySourceGroupMembershipsForUpsert::new(IS, SESSION, member_upsert)
            => POST "/sessions/aps1qqonvr2SZv6o70h8/bulk-group-memberships-upsert", Some(members_json.clone());
        UploadIdentitySourceGroupMembershipsForDelete::new(IS, SESSION, member_delete)
            => POST "/sessions/aps1qqonvr2SZv6o70h8/bulk-group-memberships-delete", Some(members_json);
        CreateIdentitySourceUser::new(IS, user_req.clone()) => POST "/users", Some(user_json.clone());
        GetIdentitySourceUser::new(IS, "EXT1") => GET "/users/EXT1", None;
        ReplaceExistingIdentitySourceUser::new(IS, "EXT1", user_req) => PUT "/users/EXT1", Some(user_json);
        UpdateIdentitySourceUsers::new(IS, "EXT1", user_update) => PATCH "/users/EXT1", Some(user_update_json);
        DeleteIdentitySourceUser::new(IS, "EXT1") => DELETE "/users/EXT1", None;
        CreateIdentitySourceGroups::new(IS, group_req.clone()) => POST "/groups", Some(group_json.clone());
        GetIdentitySourceGroup::new(IS, "00gsl4xM9ys8TdnbZ0g4") => GET "/groups/00gsl4xM9ys8TdnbZ0g4", None;
        UpdateIdentitySourceGroups::new(IS, "G1", group_req) => POST "/groups/G1", Some(group_json);
        DeleteIdentitySourceGroup::new(IS, "G1") => DELETE "/groups/G1", None;
        page => GET "/groups/G1/membership?after=a%20b%26c&limit=2", None;
        CreateIdentitySourceGroupsMemberships::new(IS, "G1", member)
            => POST "/groups/G1/membership", Some(member_json);
        DeleteIdentitySourceGroupMemberships::new(IS, "G1", "U1") => DELETE "/groups/G1/membership/U1", None;
    }
}

#[test]
fn intents_mark_what_may_be_repeated() {
    assert_eq!(
        StartImportFromIdentitySource::INFO.idempotency,
        Idempotency::NonIdempotent
    );
    assert_eq!(
        CreateIdentitySourceSession::INFO.idempotency,
        Idempotency::NonIdempotent
    );
    assert_eq!(
        CreateIdentitySourceSession::INFO.bucket,
        RateLimitBucket::SessionCreate
    );
    assert_eq!(
        UploadIdentitySourceDataForUpsert::INFO.idempotency,
        Idempotency::Idempotent
    );
    assert_eq!(
        GetIdentitySourceSession::INFO.bucket,
        RateLimitBucket::General
    );
}

#[test]
fn path_parameters_are_single_encoded_segments() {
    let req = GetIdentitySourceUser::new(IS, "a/b?c#d%e f")
        .build(&ctx())
        .unwrap();
    assert_eq!(
        req.uri().path(),
        "/api/v1/identity-sources/0oa3l6l6WK6h0R0QW0g4/users/a%2Fb%3Fc%23d%25e%20f"
    );
    assert!(req.uri().query().is_none());
    for bad in ["", ".", "..", "a\nb", "a\u{7f}"] {
        let err = GetIdentitySourceUser::new(IS, bad)
            .build(&ctx())
            .unwrap_err();
        assert!(matches!(err, Error::InvalidRequest(_)), "{bad:?}: {err:?}");
        assert!(err.to_string().contains("externalId"), "{err}");
    }
    let err = GetIdentitySourceSession::new("", SESSION)
        .build(&ctx())
        .unwrap_err();
    assert!(err.to_string().contains("identitySourceId"), "{err}");
}

/// `n` users of `profile` to upsert: E0, E1…
fn users(
    n: usize,
    profile: &IdentitySourceUserProfileForUpsert,
) -> Vec<BulkUpsertRequestBodyProfilesInner> {
    (0..n)
        .map(|i| BulkUpsertRequestBodyProfilesInner::with(format!("E{i}"), profile.clone()))
        .collect()
}

/// The validation error of a bulk upsert of `profiles`, which must be refused.
#[track_caller]
fn refused_upsert(profiles: Vec<BulkUpsertRequestBodyProfilesInner>) -> ValidationError {
    let op =
        UploadIdentitySourceDataForUpsert::new(IS, SESSION, BulkUpsertRequestBody::users(profiles));
    let err = op.build(&ctx()).unwrap_err();
    let Error::Validation(v) = err else {
        panic!("expected a validation error")
    };
    v
}

#[test]
fn invalid_bodies_are_refused_before_sending() {
    let v = refused_upsert(users(201, &user()));
    assert_eq!(v.operation, "uploadIdentitySourceDataForUpsert");
    assert!(v.violations.iter().any(|v| v.field == "profiles"), "{v}");

    let mut profiles = users(3, &user());
    profiles[2].profile = Some(user().email("x".repeat(101)));
    let v = refused_upsert(profiles);
    assert_eq!(v.violations[0].field, "profiles[2].profile.email");
    assert_eq!(v.violations[0].index, Some(2));

    // 200 users with long addresses: under the count limit, over 200 KB.
    let v = refused_upsert(users(200, &user().home_address("x".repeat(1500))));
    assert!(v.violations.iter().any(|v| v.field == "body"), "{v}");
}

#[test]
fn create_session_accepts_201_200_and_a_list() {
    let obj =
        r#"{"id":"aps1","identitySourceId":"0oa1","status":"CREATED","importType":"INCREMENTAL"}"#;
    for status in [200, 201] {
        let s = CreateIdentitySourceSession::parse(response(
            status,
            Box::leak(obj.to_owned().into_boxed_str()),
        ))
        .unwrap();
        assert_eq!(s.status, Some(IdentitySourceSessionStatus::Created));
    }
    let list = r#" [{"id":"aps1","status":"TRIGGERED"}]"#;
    let s = StartImportFromIdentitySource::parse(response(200, list)).unwrap();
    assert_eq!(s.status, Some(IdentitySourceSessionStatus::Triggered));
    let err = CreateIdentitySourceSession::parse(response(201, "[]")).unwrap_err();
    assert!(matches!(err, Error::Decode(_)), "{err:?}");
}

#[test]
fn empty_success_bodies() {
    DeleteIdentitySourceGroup::parse(response(200, "")).unwrap();
    DeleteIdentitySourceGroup::parse(response(204, "")).unwrap();
    UploadIdentitySourceDataForUpsert::parse(response(202, "")).unwrap();
    DeleteIdentitySourceSession::parse(response(204, "")).unwrap();
    CreateIdentitySourceGroupsMemberships::parse(response(204, "")).unwrap();
    let err = GetIdentitySourceSession::parse(response(200, "")).unwrap_err();
    assert!(err.to_string().contains("empty"), "{err}");
}

#[test]
fn unknown_status_and_fields_survive() {
    let body = r#"{"id":"aps1","status":"PAUSED","newField":{"a":1}}"#;
    let s = GetIdentitySourceSession::parse(response(200, body)).unwrap();
    assert_eq!(s.status, Some(IdentitySourceSessionStatus::from("PAUSED")));
    assert!(matches!(
        &s.status,
        Some(IdentitySourceSessionStatus::Unknown(v)) if v.as_str() == "PAUSED"
    ));
    let back: serde_json::Value = serde_json::to_value(&s).unwrap();
    assert_eq!(
        back,
        serde_json::from_str::<serde_json::Value>(body).unwrap()
    );
}

#[test]
fn error_bodies() {
    let live = r#"{"errorCode":"E0000001","errorSummary":"Api validation failed: importSessionId","errorLink":"E0000001","errorId":"oae123","errorCauses":[{"errorSummary":"Only a session that is in CREATED or IN_PROGRESS status can be canceled."}]}"#;
    let resp = Response::builder()
        .status(400)
        .header("x-okta-request-id", "req-1")
        .header("x-rate-limit-limit", "600")
        .header("x-rate-limit-remaining", "599")
        .header("x-rate-limit-reset", "1700000060")
        .body(Bytes::from_static(live.as_bytes()))
        .unwrap();
    let err = DeleteIdentitySourceSession::parse(resp).unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::BAD_REQUEST));
    assert_eq!(err.error_code(), Some("E0000001"));
    let api = err.as_api().unwrap();
    assert_eq!(api.request_id.as_deref(), Some("req-1"));
    assert_eq!(api.rate_limit.remaining, Some(599));
    assert_eq!(
        api.causes().collect::<Vec<_>>(),
        ["Only a session that is in CREATED or IN_PROGRESS status can be canceled."]
    );
    let text = err.to_string();
    assert!(
        text.contains("deleteIdentitySourceSession: HTTP 400 E0000001"),
        "{text}"
    );
    assert!(text.contains("req-1"), "{text}");

    // 429 with Okta's body.
    let err = ListIdentitySourceSessions::parse(response(429, r#"{"errorCode":"E0000047","errorSummary":"API call exceeded rate limit due to too many requests.","errorLink":"E0000047","errorId":"oae1","errorCauses":[]}"#)).unwrap_err();
    assert!(err.as_api().unwrap().is_rate_limited());
    // An error with an empty body is still an error.
    let err = DeleteIdentitySourceUser::parse(response(500, "")).unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::INTERNAL_SERVER_ERROR));
    assert!(err.to_string().contains("no Okta error body"), "{err}");
    // A load balancer's HTML 503.
    let err = GetIdentitySourceSession::parse(response(503, "<html>Service Unavailable</html>"))
        .unwrap_err();
    assert_eq!(
        err.as_api().unwrap().body_excerpt.as_deref(),
        Some("<html>Service Unavailable</html>")
    );
    // Non-2xx is an error even for operations without output.
    assert!(UploadIdentitySourceDataForUpsert::parse(response(404, "{}")).is_err());
    // 3xx is not success either.
    assert!(DeleteIdentitySourceGroup::parse(response(302, "")).is_err());
}

#[test]
fn decode_errors_name_the_operation_and_place() {
    let err = GetIdentitySourceUser::parse(response(200, r#"{"id": 5}"#)).unwrap_err();
    let Error::Decode(d) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(d.operation, "getIdentitySourceUser");
    assert!(d.message.contains("line 1"), "{}", d.message);
}

#[test]
fn membership_pages_and_links() {
    let resp = Response::builder()
        .status(200)
        .header("link", r#"<https://acme.okta.com/api/v1/identity-sources/0oa1/groups/G1/membership?limit=2>; rel="self""#)
        .header("link", r#"<https://acme.okta.com/api/v1/identity-sources/0oa1/groups/G1/membership?after=U2&limit=2>; rel="next""#)
        .body(Bytes::from_static(br#"{"memberExternalIds":["U1","U2"]}"#))
        .unwrap();
    let page = GetIdentitySourceGroupMemberships::parse(resp).unwrap();
    assert_eq!(
        page.body.member_external_ids.as_deref().unwrap(),
        ["U1", "U2"]
    );
    let next = page.next.unwrap();
    assert!(next.ends_with("after=U2&limit=2"));
    let req = GetIdentitySourceGroupMemberships::from_next_link(IS, "G1", next.clone())
        .build(&ctx())
        .unwrap();
    assert_eq!(req.uri().to_string(), next);

    let last = Response::builder()
        .status(200)
        .body(Bytes::from_static(br#"{"memberExternalIds":[]}"#))
        .unwrap();
    assert!(
        GetIdentitySourceGroupMemberships::parse(last)
            .unwrap()
            .next
            .is_none()
    );

    let foreign = GetIdentitySourceGroupMemberships::from_next_link(
        IS,
        "G1",
        "https://evil.example/api/v1/x?after=1",
    );
    let err = foreign.build(&ctx()).unwrap_err();
    assert!(err.to_string().contains("evil.example"), "{err}");
    assert!(
        GetIdentitySourceGroupMemberships::new(IS, "G1")
            .limit(1001)
            .build(&ctx())
            .is_err()
    );
}

proptest! {
    /// Any id yields a build error or a URI whose path has exactly the intended segments.
    #[test]
    fn any_id_is_one_segment_or_an_error(id in any::<String>()) {
        match GetIdentitySourceGroup::new(IS, id.clone()).build(&ctx()) {
            Err(e) => prop_assert!(matches!(e, Error::InvalidRequest(_))),
            Ok(req) => {
                let segments: Vec<&str> = req.uri().path().split('/').collect();
                prop_assert_eq!(segments.len(), 7);
                prop_assert_eq!(&segments[..6], &["", "api", "v1", "identity-sources", IS, "groups"]);
                let decoded = percent_encoding::percent_decode_str(segments[6]).decode_utf8().unwrap();
                prop_assert_eq!(decoded.as_ref(), id.as_str());
                prop_assert!(req.uri().query().is_none());
            }
        }
    }
}

#[test]
fn prepared_bulk_loads_send_the_writers_bytes_and_refuse_another_kind() {
    use okta_idsrc_core::bulk::{BulkEntity, BulkLoadKind, BulkLoadWriter, EncodedEntity};

    let mut writer = BulkLoadWriter::new(BulkLoadKind::GroupDelete);
    let mut encoded = EncodedEntity::new();
    for id in ["g1", "g2"] {
        encoded.encode(BulkEntity::GroupDelete(id)).unwrap();
        writer.push(&encoded).unwrap();
    }
    let body = writer.finish().unwrap();
    let op =
        PreparedBulkLoad::<UploadIdentitySourceGroupsDataForDelete>::new(IS, SESSION, body.clone());
    let req = op.build(&ctx()).unwrap();
    assert_eq!(req.method(), Method::POST);
    assert_eq!(
        req.uri().path(),
        "/api/v1/identity-sources/0oa3l6l6WK6h0R0QW0g4/sessions/aps1qqonvr2SZv6o70h8/bulk-groups-delete"
    );
    assert_eq!(req.body(), &br#"{"externalIds":["g1","g2"]}"#[..]);
    assert_eq!(
        req.headers()["content-length"],
        body.len().to_string().as_str()
    );
    assert_eq!(req.headers()["content-type"], "application/json");
    assert_eq!(
        OperationInfo::of(&req).unwrap().name,
        "uploadIdentitySourceGroupsDataForDelete"
    );
    let err = PreparedBulkLoad::<UploadIdentitySourceDataForUpsert>::new(IS, SESSION, body)
        .build(&ctx())
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest(_)), "{err:?}");
    PreparedBulkLoad::<UploadIdentitySourceDataForUpsert>::parse(response(202, "")).unwrap();
}
