//! The client over a scripted in-memory service: every operation's method and path, output
//! parsing, redaction, start-import read-back, layers; then against the emulator.
//!
//! One file past 500 lines on purpose: one scripted service and one set of request bodies
//! serve every module below.

use okta_idsrc_ops::test_util as support;

use bytes::Bytes;
use http::Request;
use okta_idsrc_core::models::*;
use okta_idsrc_core::operations::GetIdentitySourceSession;
use okta_idsrc_core::transport::TransportErrorKind;
use okta_idsrc_core::{Credentials, Error, OrgUrl};
use okta_idsrc_ops::config::Config;
use okta_idsrc_ops::{Client, ClientBuilder};
use support::{IDSRC, ORG, Scripted, TOKEN, client, response, session_json, transport_kind};

const SESSION: &str = "aps1234567890abcdefg";
const USER_JSON: &str = r#"{"id":"0ua1","externalId":"EXT1","created":"2026-05-13T05:52:24.000Z","profile":{"email":"a@example.com","userName":"a@example.com","secondEmail":null}}"#;
const GROUP_JSON: &str = r#"{"id":"00g1","externalId":"GRP1","profile":{"displayName":"Engineering","description":null}}"#;

/// `e` is a transport error of `kind`.
#[track_caller]
fn assert_transport(e: &Error, kind: TransportErrorKind) {
    assert_eq!(transport_kind(e), Some(kind), "{e:?}");
}

fn user() -> UserRequestSchema {
    UserRequestSchema::new().external_id("EXT1").profile(
        IdentitySourceUserProfileForUpsert::with_login("a@example.com"),
    )
}

fn user_update() -> UsersUpdateRequestSchema {
    UsersUpdateRequestSchema::new().profile(IdentitySourceUserProfileForUpsert::with_login(
        "a@example.com",
    ))
}

fn group() -> GroupsRequestSchema {
    GroupsRequestSchema::new()
        .external_id("GRP1")
        .profile(IdentitySourceGroupProfileForUpsert::new().display_name("Engineering"))
}

fn users_upsert() -> BulkUpsertRequestBody {
    BulkUpsertRequestBody::users(vec![BulkUpsertRequestBodyProfilesInner::with(
        "EXT1",
        IdentitySourceUserProfileForUpsert::with_login("a@example.com"),
    )])
}

fn groups_upsert() -> BulkGroupUpsertRequestBody {
    BulkGroupUpsertRequestBody::new().profiles(vec![BulkGroupUpsertRequestBodyProfilesInner::with(
        "GRP1",
        IdentitySourceGroupProfileForUpsert::new().display_name("Engineering"),
    )])
}

fn memberships_upsert() -> BulkGroupMembershipsUpsertRequestBody {
    BulkGroupMembershipsUpsertRequestBody::new().memberships(vec![
        IdentitySourceGroupMembershipsUpsertProfileInner::with("GRP1", ["EXT1"]),
    ])
}

fn memberships_delete() -> BulkGroupMembershipsDeleteRequestBody {
    BulkGroupMembershipsDeleteRequestBody::new().memberships(vec![
        IdentitySourceGroupMembershipsUpsertProfileInner::with("GRP1", ["EXT1"]),
    ])
}

/// Scripts one canned answer per operation, in the order [`call_all!`] calls them.
fn script_all(s: &Scripted) {
    s.reply(200, &format!("[{}]", session_json(SESSION, "CREATED")))
        .reply(201, &session_json(SESSION, "CREATED"))
        .reply(200, &session_json(SESSION, "IN_PROGRESS"))
        .reply(204, "")
        .reply(202, "")
        .reply(202, "")
        .reply(200, &session_json(SESSION, "TRIGGERED"))
        .reply(202, "")
        .reply(202, "")
        .reply(202, "")
        .reply(202, "")
        .reply(200, USER_JSON)
        .reply(200, USER_JSON)
        .reply(200, USER_JSON)
        .reply(200, USER_JSON)
        .reply(204, "")
        .reply(200, GROUP_JSON)
        .reply(200, GROUP_JSON)
        .reply(200, GROUP_JSON)
        .reply(200, "")
        .reply_with(response(
            200,
            r#"{"memberExternalIds":["EXT1","EXT2"]}"#,
            &[("link", "<https://acme.okta.com/api/v1/identity-sources/0oa1234567890abcdefg/groups/GRP1/membership?after=EXT2&limit=2>; rel=\"next\"")],
        ))
        .reply(204, "")
        .reply(204, "");
}

/// The 23 requests [`call_all!`] must send, in order.
fn expected_calls() -> Vec<String> {
    let base = format!("/api/v1/identity-sources/{IDSRC}");
    [
        "GET /sessions".to_owned(),
        "POST /sessions".to_owned(),
        format!("GET /sessions/{SESSION}"),
        format!("DELETE /sessions/{SESSION}"),
        format!("POST /sessions/{SESSION}/bulk-upsert"),
        format!("POST /sessions/{SESSION}/bulk-delete"),
        format!("POST /sessions/{SESSION}/start-import"),
        format!("POST /sessions/{SESSION}/bulk-groups-upsert"),
        format!("POST /sessions/{SESSION}/bulk-groups-delete"),
        format!("POST /sessions/{SESSION}/bulk-group-memberships-upsert"),
        format!("POST /sessions/{SESSION}/bulk-group-memberships-delete"),
        "POST /users".to_owned(),
        "GET /users/EXT1".to_owned(),
        "PUT /users/EXT1".to_owned(),
        "PATCH /users/EXT1".to_owned(),
        "DELETE /users/EXT1".to_owned(),
        "POST /groups".to_owned(),
        "GET /groups/GRP1".to_owned(),
        "POST /groups/GRP1".to_owned(),
        "DELETE /groups/GRP1".to_owned(),
        "GET /groups/GRP1/membership".to_owned(),
        "POST /groups/GRP1/membership".to_owned(),
        "DELETE /groups/GRP1/membership/EXT1".to_owned(),
    ]
    .into_iter()
    .map(|call| {
        let (method, path) = call.split_once(' ').expect("method and path");
        format!("{method} {base}{path}")
    })
    .collect()
}

/// Calls all 23 methods on `$target` (a client, with `$id` first, or a handle) and checks
/// each output.
/// A call by the client's name (`long`) or the handle's (`short`).
macro_rules! call {
    (long, $t:expr, $long:ident, $short:ident, ($($arg:expr),* $(,)?)) => {
        $t.$long($($arg),*)
    };
    (short, $t:expr, $long:ident, $short:ident, ($($arg:expr),* $(,)?)) => {
        $t.$short($($arg),*)
    };
}

macro_rules! call_all {
    ($m:ident, $target:expr $(, $id:expr)?) => {{
        let t = $target;
        let sessions = call!($m, t, list_identity_source_sessions, list_sessions, ($($id)?)).await.expect("list");
        assert_eq!(sessions.len(), 1);
        assert_eq!(sessions[0].status, Some(IdentitySourceSessionStatus::Created));
        let created = call!($m, t, create_identity_source_session, create_session, ($($id)?)).await.expect("create");
        assert_eq!(created.id.as_deref(), Some(SESSION));
        let got = call!($m, t, get_identity_source_session, get_session, ($($id,)? SESSION)).await.expect("get");
        assert_eq!(got.status, Some(IdentitySourceSessionStatus::InProgress));
        call!($m, t, delete_identity_source_session, delete_session, ($($id,)? SESSION)).await.expect("delete session");
        call!($m, t, upload_identity_source_data_for_upsert, bulk_upsert_users, ($($id,)? SESSION, users_upsert())).await.expect("bulk-upsert");
        call!($m, t, upload_identity_source_data_for_delete, bulk_delete_users, ($($id,)? SESSION, BulkDeleteRequestBody::users(["EXT1"])))
            .await
            .expect("bulk-delete");
        let triggered = call!($m, t, start_import_from_identity_source, start_import, ($($id,)? SESSION)).await.expect("start-import");
        assert_eq!(triggered.status, Some(IdentitySourceSessionStatus::Triggered));
        call!($m, t, upload_identity_source_groups_for_upsert, bulk_upsert_groups, ($($id,)? SESSION, groups_upsert())).await.expect("groups-upsert");
        call!($m, t, upload_identity_source_groups_data_for_delete, bulk_delete_groups, (
            $($id,)? SESSION,
            BulkGroupDeleteRequestBody::new().external_ids(vec!["GRP1".to_owned()]),
        ))
        .await
        .expect("groups-delete");
        call!($m, t, upload_identity_source_group_memberships_for_upsert, bulk_upsert_memberships, ($($id,)? SESSION, memberships_upsert()))
            .await
            .expect("memberships-upsert");
        call!($m, t, upload_identity_source_group_memberships_for_delete, bulk_delete_memberships, ($($id,)? SESSION, memberships_delete()))
            .await
            .expect("memberships-delete");
        let u = call!($m, t, create_identity_source_user, create_user, ($($id,)? user())).await.expect("create user");
        assert_eq!(u.id.as_deref(), Some("0ua1"));
        let u = call!($m, t, get_identity_source_user, get_user, ($($id,)? "EXT1")).await.expect("get user");
        assert_eq!(u.external_id.as_deref(), Some("EXT1"));
        let u = call!($m, t, replace_existing_identity_source_user, replace_user, ($($id,)? "EXT1", user())).await.expect("replace user");
        assert_eq!(u.profile.and_then(|p| p.email).as_deref(), Some("a@example.com"));
        let u = call!($m, t, update_identity_source_users, update_user, ($($id,)? "EXT1", user_update())).await.expect("update user");
        assert!(u.profile.expect("profile").second_email.is_null());
        call!($m, t, delete_identity_source_user, delete_user, ($($id,)? "EXT1")).await.expect("delete user");
        let g = call!($m, t, create_identity_source_groups, create_group, ($($id,)? group())).await.expect("create group");
        assert_eq!(g.id.as_deref(), Some("00g1"));
        let g = call!($m, t, get_identity_source_group, get_group, ($($id,)? "GRP1")).await.expect("get group");
        assert_eq!(
            g.group_profile().and_then(|p| p.display_name.as_deref()),
            Some("Engineering")
        );
        let g = call!($m, t, update_identity_source_groups, update_group, ($($id,)? "GRP1", group())).await.expect("update group");
        assert_eq!(g.external_id.as_deref(), Some("GRP1"));
        call!($m, t, delete_identity_source_group, delete_group, ($($id,)? "GRP1")).await.expect("delete group");
        let page = call!($m, t, get_identity_source_group_memberships, get_group_memberships, ($($id,)? "GRP1")).await.expect("memberships");
        assert_eq!(page.body.member_external_ids.as_deref(), Some(&["EXT1".to_owned(), "EXT2".to_owned()][..]));
        assert!(page.next.as_deref().is_some_and(|n| n.ends_with("after=EXT2&limit=2")));
        call!($m, t, create_identity_source_groups_memberships, add_group_member, (
            $($id,)? "GRP1",
            MembershipRequestSchema::new().member_external_id("EXT1"),
        ))
        .await
        .expect("add member");
        call!($m, t, delete_identity_source_group_memberships, remove_group_member, ($($id,)? "GRP1", "EXT1")).await.expect("remove member");
    }};
}

#[tokio::test]
async fn every_operation_sends_its_method_and_path_and_parses_the_answer() {
    let s = Scripted::new();
    script_all(&s);
    call_all!(long, client(&s), IDSRC);
    assert_eq!(s.calls(), expected_calls());
    assert_eq!(s.remaining(), 0);
}

#[tokio::test]
async fn the_identity_source_handle_sends_the_same_requests() {
    let s = Scripted::new();
    script_all(&s);
    let c = client(&s);
    let source = c.identity_source(IDSRC);
    assert_eq!(source.id(), IDSRC);
    call_all!(short, &source);
    assert_eq!(s.calls(), expected_calls());
}

#[tokio::test]
async fn requests_carry_auth_json_headers_user_agent_and_operation_info() {
    let s = Scripted::new();
    s.reply(200, &session_json(SESSION, "CREATED"));
    let c = support::builder(s.clone())
        .credentials(Credentials::bearer(TOKEN))
        .user_agent_suffix("hr-sync/2.1")
        .build();
    c.send(&GetIdentitySourceSession::new(IDSRC, SESSION))
        .await
        .expect("get");
    let request = s.take_requests().remove(0);
    let auth = request
        .headers()
        .get("authorization")
        .expect("authorization");
    assert_eq!(auth, &format!("Bearer {TOKEN}"));
    assert!(auth.is_sensitive());
    assert_eq!(request.headers()["accept"], "application/json");
    let ua = request.headers()["user-agent"].to_str().expect("ascii");
    assert!(
        ua.starts_with("okta-idsrc/") && ua.ends_with(" hr-sync/2.1"),
        "{ua}"
    );
    let info = okta_idsrc_core::OperationInfo::of(&request).expect("info");
    assert_eq!(info.name, "getIdentitySourceSession");
}

#[tokio::test]
async fn any_2xx_is_success() {
    let s = Scripted::new();
    // create session: 201 (live) and 200 (spec), one object or a one-element list.
    s.reply(201, &session_json(SESSION, "CREATED"))
        .reply(200, &format!("[{}]", session_json(SESSION, "CREATED")))
        // delete group: 200 with an empty body (live), 204 (spec), 202.
        .reply(200, "")
        .reply(204, "")
        .reply(202, "")
        // bulk load: 202 (documented), 200 and 204.
        .reply(200, "")
        .reply(204, "")
        // start-import: 200 (spec) and 201, a one-element list (older docs).
        .reply(201, &format!("[{}]", session_json(SESSION, "TRIGGERED")));
    let c = client(&s);
    for _ in 0..2 {
        let session = c
            .create_identity_source_session(IDSRC)
            .await
            .expect("create");
        assert_eq!(session.id.as_deref(), Some(SESSION));
    }
    for _ in 0..3 {
        c.delete_identity_source_group(IDSRC, "GRP1")
            .await
            .expect("delete group");
    }
    for _ in 0..2 {
        c.upload_identity_source_data_for_upsert(IDSRC, SESSION, users_upsert())
            .await
            .expect("load");
    }
    let session = c
        .start_import_from_identity_source(IDSRC, SESSION)
        .await
        .expect("start");
    assert_eq!(session.status, Some(IdentitySourceSessionStatus::Triggered));
}

#[tokio::test]
async fn errors_are_typed() {
    let s = Scripted::new();
    s.reply(
        404,
        r#"{"errorCode":"E0000007","errorSummary":"Not found: Resource not found: aps1 (Session)","errorLink":"E0000007","errorId":"oae1","errorCauses":[]}"#,
    )
    .reply(500, "")
    .fail(TransportErrorKind::Connect)
    .fail_with("a custom layer failed".into())
    .reply(200, "{not json");
    let c = client(&s);
    let e = c
        .get_identity_source_session(IDSRC, SESSION)
        .await
        .expect_err("404");
    assert_eq!(e.status(), Some(http::StatusCode::NOT_FOUND));
    assert_eq!(e.error_code(), Some("E0000007"));
    assert_eq!(
        e.as_api().and_then(|a| a.request_id.as_deref()),
        Some("req-123")
    );
    let e = c
        .get_identity_source_session(IDSRC, SESSION)
        .await
        .expect_err("500, empty body");
    assert_eq!(e.status(), Some(http::StatusCode::INTERNAL_SERVER_ERROR));
    let e = c
        .get_identity_source_session(IDSRC, SESSION)
        .await
        .expect_err("connect");
    assert_transport(&e, TransportErrorKind::Connect);
    let e = c
        .get_identity_source_session(IDSRC, SESSION)
        .await
        .expect_err("service");
    assert!(matches!(e, Error::Service(_)), "{e:?}");
    let e = c
        .get_identity_source_session(IDSRC, SESSION)
        .await
        .expect_err("decode");
    assert!(matches!(e, Error::Decode(_)), "{e:?}");
    // Invalid input is refused before anything is sent.
    let e = c
        .get_identity_source_session(IDSRC, "..")
        .await
        .expect_err("invalid");
    assert!(matches!(e, Error::InvalidRequest(_)), "{e:?}");
    assert_eq!(s.calls().len(), 5);
}

#[test]
fn debug_never_prints_the_token() {
    let s = Scripted::new();
    let builder: ClientBuilder<Scripted> =
        support::builder(s.clone()).credentials(Credentials::api_token(TOKEN));
    let shown = format!("{builder:?}");
    assert!(!shown.contains(TOKEN), "{shown}");
    assert!(shown.contains("acme.okta.com"), "{shown}");
    let c = builder.build();
    for shown in [
        format!("{c:?}"),
        format!("{c:#?}"),
        format!("{:?}", c.identity_source(IDSRC)),
    ] {
        assert!(!shown.contains(TOKEN), "{shown}");
        assert!(shown.contains("redacted"), "{shown}");
    }
    let config = Config::new().with_org_url(support::org()).with_token(TOKEN);
    for shown in [format!("{config:?}"), format!("{config:#?}")] {
        assert!(!shown.contains(TOKEN), "{shown}");
    }
}

#[test]
fn the_client_is_cheap_to_clone_send_and_sync() {
    fn assert_traits<T: Clone + Send + Sync + 'static>(_: &T) {}
    let c = client(&Scripted::new());
    assert_traits(&c);
    assert_traits(&c.clone().boxed());
    assert_traits(&c.identity_source(IDSRC));
}

#[tokio::test]
async fn layers_wrap_the_service_last_added_outermost() {
    let s = Scripted::new();
    s.reply(200, "[]");
    let c = support::builder(s.clone())
        .credentials(Credentials::api_token(TOKEN))
        .with_layer(tower::util::MapRequestLayer::new(
            |mut r: Request<Bytes>| {
                r.headers_mut()
                    .insert("x-layer", "inner".parse().expect("value"));
                r
            },
        ))
        .with_layer(tower::util::MapRequestLayer::new(
            |mut r: Request<Bytes>| {
                r.headers_mut()
                    .insert("x-layer", "outer".parse().expect("value"));
                r
            },
        ))
        .with_layer(tower::limit::ConcurrencyLimitLayer::new(2))
        .build();
    c.list_identity_source_sessions(IDSRC).await.expect("list");
    // The outer layer ran first; the inner one, closer to the service, overwrote it.
    assert_eq!(s.take_requests()[0].headers()["x-layer"], "inner");
}

mod start_import {
    use super::*;

    fn start_path() -> String {
        format!("POST /api/v1/identity-sources/{IDSRC}/sessions/{SESSION}/start-import")
    }

    fn get_path() -> String {
        format!("GET /api/v1/identity-sources/{IDSRC}/sessions/{SESSION}")
    }

    /// Starts the import of `SESSION` through `c`.
    async fn start(c: &Client<Scripted>) -> Result<IdentitySourceSession, Error> {
        c.start_import_from_identity_source(IDSRC, SESSION).await
    }

    #[tokio::test]
    async fn a_timeout_then_triggered_is_success_without_resending() {
        let s = Scripted::new();
        s.fail(TransportErrorKind::Timeout)
            .reply(200, &session_json(SESSION, "TRIGGERED"));
        let session = start(&client(&s)).await.expect("went through");
        assert_eq!(session.status, Some(IdentitySourceSessionStatus::Triggered));
        assert_eq!(s.calls(), [start_path(), get_path()]);
    }

    #[tokio::test]
    async fn completed_or_error_after_an_io_failure_is_success() {
        for status in ["COMPLETED", "ERROR"] {
            let s = Scripted::new();
            s.fail(TransportErrorKind::Io)
                .reply(200, &session_json(SESSION, status));
            let session = start(&client(&s)).await.expect("went through");
            assert_eq!(session.status.as_ref().map(|s| s.as_str()), Some(status));
            assert_eq!(s.calls(), [start_path(), get_path()]);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn in_progress_after_a_timeout_resends_once() {
        let s = Scripted::new();
        s.fail(TransportErrorKind::Timeout)
            .reply(200, &session_json(SESSION, "IN_PROGRESS"))
            .reply(200, &session_json(SESSION, "TRIGGERED"));
        let session = start(&client(&s)).await.expect("resent");
        assert_eq!(session.status, Some(IdentitySourceSessionStatus::Triggered));
        assert_eq!(s.calls(), [start_path(), get_path(), start_path()]);
    }

    /// Without a retry layer the default retry configuration bounds the sends: as many as it
    /// allows attempts, each after its backoff.
    #[tokio::test(start_paused = true)]
    async fn resending_is_bounded_by_the_retry_configuration() {
        let attempts = okta_idsrc_ops::retry::RetryConfig::default().max_attempts();
        let s = Scripted::new();
        for i in 0..attempts {
            if i % 2 == 0 {
                s.reply(503, "");
            } else {
                s.fail(TransportErrorKind::Timeout);
            }
            s.reply(200, &session_json(SESSION, "IN_PROGRESS"));
        }
        let e = start(&client(&s)).await.expect_err("gives up");
        // The last send's own failure is returned.
        if (attempts - 1) % 2 == 1 {
            assert_transport(&e, TransportErrorKind::Timeout);
        } else {
            assert_eq!(
                e.status(),
                Some(http::StatusCode::SERVICE_UNAVAILABLE),
                "{e:?}"
            );
        }
        let starts = s
            .calls()
            .iter()
            .filter(|c| c.ends_with("start-import"))
            .count();
        assert_eq!(starts as u32, attempts);
        assert_eq!(s.remaining(), 0, "every send was read back");
    }

    #[tokio::test]
    async fn other_statuses_or_a_failed_read_back_return_the_original_error() {
        for second in [
            support::response(200, &session_json(SESSION, "CREATED"), &[]),
            support::response(200, &session_json(SESSION, "SOMETHING_NEW"), &[]),
            support::response(
                404,
                r#"{"errorCode":"E0000007","errorSummary":"Not found"}"#,
                &[],
            ),
        ] {
            let s = Scripted::new();
            s.fail(TransportErrorKind::Timeout).reply_with(second);
            let e = start(&client(&s)).await.expect_err("original");
            assert_transport(&e, TransportErrorKind::Timeout);
            assert_eq!(s.calls(), [start_path(), get_path()]);
        }
    }

    #[tokio::test]
    async fn a_clear_refusal_is_not_read_back() {
        let s = Scripted::new();
        s.reply(
            400,
            r#"{"errorCode":"E0000001","errorSummary":"Api validation failed: importSessionId"}"#,
        )
        .fail(TransportErrorKind::Connect);
        let c = client(&s);
        let e = start(&c).await.expect_err("400");
        assert_eq!(e.error_code(), Some("E0000001"));
        let e = start(&c).await.expect_err("connect");
        assert_transport(&e, TransportErrorKind::Connect);
        assert_eq!(s.calls(), [start_path(), start_path()]);
    }

    #[tokio::test]
    async fn a_tower_timeout_counts_as_ambiguous() {
        let s = Scripted::new();
        s.fail_with(Box::new(tower::timeout::error::Elapsed::new()))
            .reply(200, &session_json(SESSION, "TRIGGERED"));
        let session = start(&client(&s)).await.expect("went through");
        assert_eq!(session.status, Some(IdentitySourceSessionStatus::Triggered));
    }
}

mod tracing_spans {
    use super::*;
    use std::sync::{Arc, Mutex};
    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id, Record};
    use tracing::{Event, Metadata, Subscriber};

    /// Records every span field and event field as `name=value` text.
    #[derive(Clone, Default)]
    struct Capture(Arc<Mutex<Vec<String>>>);

    struct Fields<'a>(&'a Mutex<Vec<String>>);

    impl Visit for Fields<'_> {
        fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
            self.0
                .lock()
                .expect("lock")
                .push(format!("{}={value:?}", field.name()));
        }
        fn record_str(&mut self, field: &Field, value: &str) {
            self.0
                .lock()
                .expect("lock")
                .push(format!("{}={value}", field.name()));
        }
    }

    impl Subscriber for Capture {
        fn enabled(&self, _: &Metadata<'_>) -> bool {
            true
        }
        fn new_span(&self, span: &Attributes<'_>) -> Id {
            self.0
                .lock()
                .expect("lock")
                .push(format!("span {}", span.metadata().name()));
            span.record(&mut Fields(&self.0));
            Id::from_u64(1)
        }
        fn record(&self, _: &Id, values: &Record<'_>) {
            values.record(&mut Fields(&self.0));
        }
        fn record_follows_from(&self, _: &Id, _: &Id) {}
        fn event(&self, event: &Event<'_>) {
            event.record(&mut Fields(&self.0));
        }
        fn enter(&self, _: &Id) {}
        fn exit(&self, _: &Id) {}
    }

    #[tokio::test]
    async fn one_span_per_call_with_operation_source_status_and_request_id_but_no_secret() {
        let capture = Capture::default();
        let _guard = tracing::subscriber::set_default(capture.clone());
        const NOT_FOUND: &str = r#"{"errorCode":"E0000007","errorSummary":"Not found: a@example.com","errorCauses":[]}"#;
        let s = Scripted::new();
        s.reply(200, USER_JSON)
            .reply(404, NOT_FOUND)
            .reply(200, USER_JSON)
            .reply(404, NOT_FOUND);
        let c = client(&s);
        let calls = || async {
            c.get_identity_source_user(IDSRC, "EXT1")
                .await
                .expect("user");
            c.get_identity_source_user(IDSRC, "EXT1")
                .await
                .expect_err("404");
        };
        // tracing caches each callsite's interest once, process-wide, from the thread that
        // first reaches it: another test of this binary, with no subscriber, may have cached
        // "never". Reach every callsite here, then have them asked again (from this thread,
        // whose subscriber is the capture), and count only the calls after that.
        calls().await;
        tracing::callsite::rebuild_interest_cache();
        capture.0.lock().expect("lock").clear();
        calls().await;
        let lines = capture.0.lock().expect("lock").clone();
        let all = lines.join("\n");
        assert_eq!(
            lines
                .iter()
                .filter(|l| *l == "span okta_idsrc.call")
                .count(),
            2,
            "{all}"
        );
        for expected in [
            "operation=getIdentitySourceUser",
            &format!("identity_source_id={IDSRC}"),
            "http.status_code=200",
            "http.status_code=404",
            "okta.request_id=req-123",
            "okta.error_code=E0000007",
        ] {
            assert!(
                lines.iter().any(|l| l == expected),
                "missing {expected} in\n{all}"
            );
        }
        for secret in [TOKEN, "a@example.com", "EXT1"] {
            assert!(!all.contains(secret), "{secret} leaked in\n{all}");
        }
    }
}

#[tokio::test]
async fn a_transport_plugs_in_through_the_object_safe_trait() {
    use okta_idsrc_core::transport::{Transport, TransportError};

    struct Canned;

    #[async_trait::async_trait]
    impl Transport for Canned {
        async fn send(
            &self,
            request: Request<Bytes>,
        ) -> Result<http::Response<Bytes>, TransportError> {
            assert_eq!(
                request.uri().path(),
                format!("/api/v1/identity-sources/{IDSRC}/sessions")
            );
            Ok(response(200, "[]", &[]))
        }
    }

    let c = Client::builder(support::org())
        .credentials(Credentials::api_token(TOKEN))
        .transport(Canned)
        .build();
    assert!(
        c.list_identity_source_sessions(IDSRC)
            .await
            .expect("list")
            .is_empty()
    );
    // And back: the client's service as a `dyn Transport`.
    let transport: std::sync::Arc<dyn Transport> = std::sync::Arc::new(
        okta_idsrc_ops::ServiceTransport::new(c.clone().boxed().service().clone()),
    );
    let request = Request::get(format!("{ORG}/api/v1/identity-sources/{IDSRC}/sessions"))
        .body(Bytes::new())
        .expect("request");
    assert_eq!(transport.send(request).await.expect("sent").status(), 200);
}

mod default_layers {
    use super::*;
    use std::time::{Duration, SystemTime};

    use okta_idsrc_ops::rate_limit::RateLimitConfig;
    use okta_idsrc_ops::retry::RetryConfig;

    #[tokio::test(start_paused = true)]
    async fn a_429_is_waited_out_and_retried_with_okta_retry_headers() {
        let now = okta_idsrc_core::Clock::now(&okta_idsrc_core::SystemClock);
        let date = httpdate::fmt_http_date(now);
        let reset = (now.duration_since(SystemTime::UNIX_EPOCH).expect("epoch")
            + Duration::from_secs(3))
        .as_secs();
        let s = Scripted::new();
        s.reply_with(response(
            429,
            r#"{"errorCode":"E0000047","errorSummary":"API call exceeded rate limit due to too many requests.","errorCauses":[]}"#,
            &[
                ("date", &date),
                ("x-rate-limit-limit", "100"),
                ("x-rate-limit-remaining", "0"),
                ("x-rate-limit-reset", &reset.to_string()),
            ],
        ))
        .reply(200, &format!("[{}]", session_json(SESSION, "CREATED")));
        let c = support::builder(s.clone())
            .credentials(Credentials::api_token(TOKEN))
            .default_layers(RetryConfig::default(), RateLimitConfig::default())
            .build()
            .boxed();
        let started = tokio::time::Instant::now();
        let sessions = c
            .list_identity_source_sessions(IDSRC)
            .await
            .expect("retried");
        assert_eq!(sessions.len(), 1);
        assert!(
            started.elapsed() >= Duration::from_secs(2),
            "waited {:?}",
            started.elapsed()
        );
        let requests = s.take_requests();
        assert_eq!(requests.len(), 2);
        assert_eq!(requests[1].headers()["x-okta-retry-for"], "req-123");
        assert_eq!(requests[1].headers()["x-okta-retry-count"], "1");
    }
}

mod emulator {
    use super::*;
    use std::time::Duration;

    use okta_idsrc_emulator::{DEFAULT_IDENTITY_SOURCE, Emulator, EmulatorHandle};
    use okta_idsrc_hyper::HyperTransport;
    use okta_idsrc_ops::rate_limit::RateLimitConfig;
    use okta_idsrc_ops::retry::RetryConfig;
    use okta_idsrc_ops::{BoxedService, HttpService};

    /// A client builder of `emulator` with `token`, over the hyper transport.
    fn builder(emulator: &EmulatorHandle, token: &str) -> ClientBuilder<HyperTransport> {
        Client::builder(OrgUrl::parse(&emulator.base_url()).expect("loopback org"))
            .credentials(Credentials::api_token(token))
            .service(HyperTransport::new().expect("transport"))
    }

    /// A client over the hyper transport with the default layers.
    fn layered(emulator: &EmulatorHandle) -> Client<BoxedService> {
        builder(emulator, emulator.token())
            .default_layers(RetryConfig::default(), RateLimitConfig::default())
            .build()
            .boxed()
    }

    /// The default identity source's sessions, through `client`.
    async fn list<S: HttpService>(client: &Client<S>) -> Result<Vec<IdentitySourceSession>, Error> {
        client
            .list_identity_source_sessions(DEFAULT_IDENTITY_SOURCE)
            .await
    }

    /// `e` is Okta's API error `code`, with `status`.
    #[track_caller]
    fn assert_api_error(e: &Error, status: http::StatusCode, code: &str) {
        assert_eq!(e.status(), Some(status));
        assert_eq!(e.error_code(), Some(code));
    }

    fn users(n: usize) -> BulkUpsertRequestBody {
        BulkUpsertRequestBody::users(
            (0..n)
                .map(|i| {
                    BulkUpsertRequestBodyProfilesInner::with(
                        format!("EXT{i}"),
                        IdentitySourceUserProfileForUpsert::with_login(format!(
                            "user{i}@example.com"
                        ))
                        .first_name(format!("User{i}")),
                    )
                })
                .collect(),
        )
    }

    #[tokio::test]
    async fn a_session_lifecycle_end_to_end() {
        let emulator = Emulator::builder().start().await.expect("emulator");
        let client = layered(&emulator);
        let source = client.identity_source(DEFAULT_IDENTITY_SOURCE);

        let session = source.create_session().await.expect("create (201)");
        assert_eq!(session.status, Some(IdentitySourceSessionStatus::Created));
        let id = session.id.expect("session id");
        source
            .bulk_upsert_users(&id, users(3))
            .await
            .expect("bulk-upsert");
        let loaded = source.get_session(&id).await.expect("get");
        assert_eq!(loaded.status, Some(IdentitySourceSessionStatus::InProgress));
        let triggered = source.start_import(&id).await.expect("start-import");
        assert!(
            matches!(
                triggered.status,
                Some(
                    IdentitySourceSessionStatus::Triggered | IdentitySourceSessionStatus::Completed
                )
            ),
            "{triggered:?}"
        );

        let mut status = triggered.status;
        for _ in 0..200 {
            if status == Some(IdentitySourceSessionStatus::Completed) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
            status = source.get_session(&id).await.expect("poll").status;
        }
        assert_eq!(status, Some(IdentitySourceSessionStatus::Completed));

        let user = source.get_user("EXT1").await.expect("user");
        assert_eq!(user.external_id.as_deref(), Some("EXT1"));
        let profile = user.profile.expect("profile");
        assert_eq!(profile.email.as_deref(), Some("user1@example.com"));
        assert_eq!(profile.first_name.as_deref(), Some("User1"));
        let sessions = source.list_sessions().await.expect("list");
        assert!(
            sessions
                .iter()
                .any(|s| s.id.as_deref() == Some(id.as_str()))
        );
        let state = emulator.state();
        assert_eq!(
            state
                .identity_source(DEFAULT_IDENTITY_SOURCE)
                .expect("source")
                .users
                .len(),
            3
        );
        emulator.shutdown().await;
    }

    #[tokio::test]
    async fn a_wrong_token_is_a_401_api_error() {
        let emulator = Emulator::builder().start().await.expect("emulator");
        let client = builder(&emulator, "not-the-token").build();
        let e = list(&client).await.expect_err("401");
        assert_api_error(&e, http::StatusCode::UNAUTHORIZED, "E0000011");
        assert!(!e.to_string().contains("not-the-token"), "{e}");
        emulator.shutdown().await;
    }

    /// Paused time: the emulator's clock (hence its windows) and the layers' waits both follow
    /// tokio's clock, so the minute-long wait for the window's reset takes no real time.
    #[tokio::test(start_paused = true)]
    async fn a_429_from_the_rate_limit_then_success_through_the_default_layers() {
        let emulator = Emulator::builder()
            .clock(std::sync::Arc::new(okta_idsrc_ops::clock::TokioClock::new()))
            .rate_limit(2)
            .start()
            .await
            .expect("emulator");
        // A bare client uses up the window and sees the emulator's 429.
        let bare = builder(&emulator, emulator.token()).build();
        for _ in 0..2 {
            list(&bare).await.expect("within the limit");
        }
        let e = list(&bare).await.expect_err("429");
        assert_api_error(&e, http::StatusCode::TOO_MANY_REQUESTS, "E0000047");

        // The layered client gets the 429 too, waits for the reset and succeeds.
        let started = tokio::time::Instant::now();
        let sessions = list(&layered(&emulator)).await;
        assert!(sessions.expect("retried after the reset").is_empty());
        assert!(
            started.elapsed() >= Duration::from_secs(1),
            "waited {:?}",
            started.elapsed()
        );
        let stats = emulator.state().stats;
        assert_eq!(stats.rate_limited, 2, "{stats:?}");
        assert_eq!(stats.requests, 5, "{stats:?}");
        emulator.shutdown().await;
    }
}
