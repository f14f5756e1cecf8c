//! Group membership listings over a scripted service: links followed as given, foreign
//! origins refused, repeated cursors and failed pages reported, listings resumed.

use okta_idsrc_ops::test_util as support;

use std::pin::pin;

use futures_util::{StreamExt, TryStreamExt};
use okta_idsrc_core::Error;
use support::{IDSRC, ORG, Scripted, client, response};

const GROUP: &str = "GRP1";

fn membership_path() -> String {
    format!("/api/v1/identity-sources/{IDSRC}/groups/{GROUP}/membership")
}

/// A next link on the org for cursor `after`.
fn link_to(after: &str) -> String {
    format!("{ORG}{}?after={after}&limit=2", membership_path())
}

/// Queues a page of `members`, with a `rel="next"` link to `next` when given.
fn page(s: &Scripted, members: &[&str], next: Option<&str>) {
    let body = serde_json::json!({ "memberExternalIds": members }).to_string();
    let link = next.map(|n| {
        format!(
            "<{n}>; rel=\"next\", <{ORG}{}>; rel=\"self\"",
            membership_path()
        )
    });
    let headers: Vec<(&str, &str)> = link.iter().map(|l| ("link", l.as_str())).collect();
    s.reply_with(response(200, &body, &headers));
}

fn calls_of(s: &Scripted) -> Vec<String> {
    s.calls()
        .into_iter()
        .map(|c| c.trim_start_matches("GET ").to_owned())
        .collect()
}

#[tokio::test]
async fn three_pages_are_followed_as_given() {
    let s = Scripted::new();
    page(&s, &["u1", "u2"], Some(&link_to("u2")));
    page(&s, &["u3", "u4"], Some(&link_to("u4")));
    page(&s, &["u5"], None);
    let c = client(&s);
    let pages: Vec<_> = c
        .memberships_pages(IDSRC, GROUP, Some(2))
        .try_collect()
        .await
        .expect("pages");
    assert_eq!(pages.len(), 3);
    assert_eq!(pages[0].next.as_deref(), Some(link_to("u2").as_str()));
    assert_eq!(pages[2].next, None);
    assert_eq!(
        calls_of(&s),
        [
            format!("{}?limit=2", membership_path()),
            format!("{}?after=u2&limit=2", membership_path()),
            format!("{}?after=u4&limit=2", membership_path()),
        ]
    );
}

#[tokio::test]
async fn items_are_the_members_of_every_page() {
    let s = Scripted::new();
    page(&s, &["u1", "u2"], Some(&link_to("u2")));
    page(&s, &[], Some(&link_to("u2b")));
    page(&s, &["u3"], None);
    let c = client(&s);
    let source = c.identity_source(IDSRC);
    let members: Vec<String> = source
        .memberships(GROUP, None)
        .try_collect()
        .await
        .expect("members");
    assert_eq!(members, ["u1", "u2", "u3"]);
    assert_eq!(calls_of(&s)[0], membership_path());
}

#[tokio::test]
async fn a_next_link_on_another_origin_is_refused() {
    let s = Scripted::new();
    page(
        &s,
        &["u1"],
        Some("https://evil.example.com/api/v1/steal?after=u1"),
    );
    let c = client(&s);
    let mut pages = pin!(c.memberships_pages(IDSRC, GROUP, None));
    assert!(pages.try_next().await.expect("first page").is_some());
    let e = pages.next().await.expect("an item").expect_err("refused");
    assert!(matches!(e, Error::InvalidRequest(_)), "{e:?}");
    assert!(e.to_string().contains("evil.example.com"), "{e}");
    assert!(
        pages.next().await.is_none(),
        "the stream ends after the error"
    );
    assert_eq!(s.calls().len(), 1, "nothing was sent to the other origin");
}

#[tokio::test]
async fn a_repeated_cursor_is_an_error() {
    let s = Scripted::new();
    page(&s, &["u1"], Some(&link_to("u1")));
    page(&s, &["u2"], Some(&link_to("u2")));
    page(&s, &["u3"], Some(&link_to("u1")));
    let c = client(&s);
    let items: Vec<Result<String, Error>> = c.memberships(IDSRC, GROUP, None).collect().await;
    let (ok, err): (Vec<_>, Vec<_>) = items.into_iter().partition(Result::is_ok);
    assert_eq!(
        ok.into_iter().map(Result::unwrap).collect::<Vec<_>>(),
        ["u1", "u2", "u3"]
    );
    assert_eq!(err.len(), 1);
    let e = err.into_iter().next().expect("one").expect_err("err");
    assert!(e.to_string().contains("repeated the next link"), "{e}");
    assert_eq!(s.calls().len(), 3, "the repeated link is not fetched again");

    // The same link twice in a row.
    let s = Scripted::new();
    page(&s, &["u1"], Some(&link_to("u1")));
    page(&s, &["u2"], Some(&link_to("u1")));
    let c = client(&s);
    let mut pages = pin!(c.memberships_pages(IDSRC, GROUP, None));
    assert!(pages.try_next().await.expect("page 1").is_some());
    assert!(pages.try_next().await.expect("page 2").is_some());
    assert!(pages.try_next().await.is_err());
    assert!(pages.next().await.is_none());
}

#[tokio::test]
async fn a_failed_middle_page_is_an_error_not_the_end() {
    let s = Scripted::new();
    page(&s, &["u1"], Some(&link_to("u1")));
    s.reply(
        500,
        r#"{"errorCode":"E0000009","errorSummary":"Internal Server Error"}"#,
    );
    page(&s, &["u2"], None);
    let c = client(&s);
    let mut members = pin!(c.memberships(IDSRC, GROUP, None));
    assert_eq!(members.next().await.expect("item").expect("u1"), "u1");
    let e = members
        .next()
        .await
        .expect("an item, not the end")
        .expect_err("the failed page");
    assert_eq!(e.error_code(), Some("E0000009"));
    assert!(members.next().await.is_none());
}

#[tokio::test]
async fn a_listing_resumes_from_its_cursor() {
    let s = Scripted::new();
    page(&s, &["u1"], Some(&link_to("u1")));
    page(&s, &["u2"], Some(&link_to("u2")));
    let c = client(&s);
    let mut pager = c.membership_pager(IDSRC, GROUP).limit(2);
    assert_eq!(pager.next_link(), None);
    pager.next_page().await.expect("page 1").expect("some");
    assert_eq!(pager.next_link(), Some(link_to("u1").as_str()));
    pager.next_page().await.expect("page 2").expect("some");
    let saved = pager.next_link().expect("a cursor").to_owned();
    drop(pager);

    // Later: a new pager continues from the saved cursor.
    page(&s, &["u3"], None);
    let mut resumed = c.membership_pager(IDSRC, GROUP).resume_from(saved.clone());
    assert_eq!(resumed.next_link(), Some(saved.as_str()));
    let last = resumed.next_page().await.expect("page 3").expect("some");
    assert_eq!(
        last.body.member_external_ids.as_deref(),
        Some(&["u3".to_owned()][..])
    );
    assert!(resumed.is_done());
    assert!(resumed.next_page().await.expect("done").is_none());
    assert_eq!(
        calls_of(&s)[2],
        format!("{}?after=u2&limit=2", membership_path())
    );

    // A resumed stream of items.
    page(&s, &["u3"], None);
    let rest: Vec<String> = c
        .membership_pager(IDSRC, GROUP)
        .resume_from(saved)
        .items()
        .try_collect()
        .await
        .expect("rest");
    assert_eq!(rest, ["u3"]);
}

#[tokio::test]
async fn a_failed_page_can_be_retried_from_the_pager() {
    let s = Scripted::new();
    page(&s, &["u1"], Some(&link_to("u1")));
    s.fail(okta_idsrc_core::transport::TransportErrorKind::Io);
    page(&s, &["u2"], None);
    let c = client(&s);
    let mut pager = c.membership_pager(IDSRC, GROUP);
    pager.next_page().await.expect("page 1");
    pager.next_page().await.expect_err("page 2 fails");
    assert_eq!(
        pager.next_link(),
        Some(link_to("u1").as_str()),
        "the cursor stays put"
    );
    let page2 = pager.next_page().await.expect("retried").expect("some");
    assert_eq!(
        page2.body.member_external_ids.as_deref(),
        Some(&["u2".to_owned()][..])
    );
    assert_eq!(calls_of(&s)[1], calls_of(&s)[2]);
}

#[tokio::test]
async fn a_bad_limit_fails_before_sending() {
    let s = Scripted::new();
    let c = client(&s);
    let mut pages = pin!(c.memberships_pages(IDSRC, GROUP, Some(0)));
    let e = pages.next().await.expect("an item").expect_err("limit 0");
    assert!(matches!(e, Error::Validation(_)), "{e:?}");
    assert!(s.calls().is_empty());
}
