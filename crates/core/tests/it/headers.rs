//! `Link`, rate-limit, `Retry-After`, `Date` and request-id headers as Okta sends them.
//!
//! One file past 500 lines on purpose: every header reader's cases share the `map` and `at`
//! fixtures, in one section per header family.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, HeaderValue};
use okta_idsrc_core::headers::{
    self, Link, RateLimit, X_OKTA_REQUEST_ID, X_RATE_LIMIT_LIMIT, X_RATE_LIMIT_REMAINING,
    X_RATE_LIMIT_RESET, format_links, next_link, parse_link, parse_link_headers,
};
use proptest::prelude::*;

const NEXT: &str =
    "https://acme.okta.com/api/v1/identity-sources/0oa1/groups/00g1/membership?after=abc&limit=2";
const SELF: &str =
    "https://acme.okta.com/api/v1/identity-sources/0oa1/groups/00g1/membership?limit=2";

fn map(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in pairs {
        h.append(
            http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    h
}

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

// ---------------------------------------------------------------------------------------------
// Link

#[test]
fn okta_link_shape_in_one_line() {
    let value = format!(r#"<{NEXT}>; rel="next", <{SELF}>; rel="self""#);
    let links = parse_link(&value).unwrap();
    assert_eq!(
        links,
        [
            Link {
                uri: NEXT.into(),
                rels: vec!["next".into()],
                params: vec![]
            },
            Link {
                uri: SELF.into(),
                rels: vec!["self".into()],
                params: vec![]
            },
        ]
    );
    let h = map(&[("link", &value)]);
    assert_eq!(next_link(&h).unwrap().as_deref(), Some(NEXT));
}

#[test]
fn okta_link_shape_in_two_lines_keeps_order() {
    let h = map(&[
        ("link", &format!(r#"<{SELF}>; rel="self""#)),
        ("link", &format!(r#"<{NEXT}>; rel="next""#)),
    ]);
    let links = parse_link_headers(&h).unwrap();
    assert_eq!(links.len(), 2);
    assert_eq!(links[0].uri, SELF);
    assert_eq!(links[1].uri, NEXT);
    assert_eq!(next_link(&h).unwrap().as_deref(), Some(NEXT));
}

#[test]
fn last_page_has_no_next() {
    let h = map(&[("link", &format!(r#"<{SELF}>; rel="self""#))]);
    assert_eq!(next_link(&h).unwrap(), None);
    assert_eq!(next_link(&HeaderMap::new()).unwrap(), None);
}

#[test]
fn first_next_wins() {
    let h = map(&[(
        "link",
        r#"<https://a/1>; rel="next", <https://a/2>; rel="next""#,
    )]);
    assert_eq!(next_link(&h).unwrap().as_deref(), Some("https://a/1"));
}

#[test]
fn quoted_params_with_commas_and_escaped_quotes() {
    let links = parse_link(
        r#"<https://a/1>; title="a, \"quoted\" \\ title"; rel="next", <https://a/2>; rel=prev"#,
    )
    .unwrap();
    assert_eq!(links.len(), 2);
    assert_eq!(
        links[0].params,
        [("title".to_owned(), r#"a, "quoted" \ title"#.to_owned())]
    );
    assert_eq!(links[0].rels, ["next"]);
    assert_eq!(links[1].uri, "https://a/2");
    assert_eq!(links[1].rels, ["prev"]);
}

#[test]
fn commas_and_semicolons_inside_angle_brackets_do_not_split() {
    let links = parse_link(r#"<https://a/x?ids=1,2,3;v=4>; rel="next""#).unwrap();
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].uri, "https://a/x?ids=1,2,3;v=4");
}

#[test]
fn several_rels_are_split_and_lowercased() {
    let links = parse_link(r#"<https://a/1>; rel="Next  SELF""#).unwrap();
    assert_eq!(links[0].rels, ["next", "self"]);
    assert!(links[0].has_rel("self"));
    let h = map(&[("link", r#"<https://a/1>; rel="self next""#)]);
    assert_eq!(next_link(&h).unwrap().as_deref(), Some("https://a/1"));
}

#[test]
fn unquoted_rel_and_token_values() {
    let links = parse_link("<https://a/1>;rel=next;type=application/json").unwrap();
    assert_eq!(links[0].rels, ["next"]);
    assert_eq!(links[0].param("type"), Some("application/json"));
}

#[test]
fn whitespace_tolerant_and_empty_elements_skipped() {
    let links =
        parse_link(" ,, <https://a/1> ;\trel = \"next\" ; foo ,  , <https://a/2>;rel=self ,")
            .unwrap();
    assert_eq!(links.len(), 2);
    assert_eq!(links[0].rels, ["next"]);
    assert_eq!(links[0].params, [("foo".to_owned(), String::new())]);
    assert_eq!(links[1].rels, ["self"]);
    // Empty parameters (a trailing ';', ';;') are skipped too.
    let links = parse_link("<https://a/1>;, <https://a/2>;;rel=next;").unwrap();
    assert_eq!(links.len(), 2);
    assert_eq!(links[0].rels, Vec::<String>::new());
    assert_eq!(links[1].rels, ["next"]);
    assert_eq!(parse_link("").unwrap(), []);
    assert_eq!(parse_link(" , ").unwrap(), []);
}

#[test]
fn params_keep_order_and_names_are_lowercased() {
    let links = parse_link(r#"<u>; B="2"; rel=next; A=1"#).unwrap();
    assert_eq!(
        links[0].params,
        [
            ("b".to_owned(), "2".to_owned()),
            ("a".to_owned(), "1".to_owned())
        ]
    );
}

#[test]
fn unterminated_angle_bracket_is_an_error() {
    let err = parse_link(r#"<https://a/1>; rel="next", <https://a/2; rel="self""#).unwrap_err();
    assert_eq!(err.position(), 27);
    assert!(err.to_string().contains("'<'"), "{err}");
    assert!(err.to_string().contains("byte 27"), "{err}");
}

#[test]
fn unterminated_quote_is_an_error() {
    let err = parse_link(r#"<https://a/1>; rel="next"#).unwrap_err();
    assert_eq!(err.position(), 19);
    assert!(err.message().contains("quoted string"), "{err}");
    // A trailing backslash escapes nothing: still unterminated.
    assert!(parse_link(r#"<u>; rel="next\"#).is_err());
}

#[test]
fn other_malformed_values_are_errors() {
    for bad in [
        "https://a/1; rel=next",   // no angle brackets
        "<u> rel=next",            // missing ';'
        r#"<u>; rel="next" junk"#, // garbage after a parameter
        "<u>; =next",              // no parameter name
        "<u>; r√el=next",          // non-token name
    ] {
        assert!(parse_link(bad).is_err(), "{bad:?} parsed");
    }
}

#[test]
fn malformed_header_line_fails_the_listing_and_names_the_line() {
    let h = map(&[
        ("link", r#"<https://a/1>; rel="self""#),
        ("link", r#"<https://a/2; rel="next""#),
    ]);
    let err = next_link(&h).unwrap_err();
    assert_eq!(err.line(), Some(1));
    assert!(err.to_string().contains("line 2"), "{err}");
}

#[test]
fn non_utf8_link_header_is_an_error() {
    let mut h = HeaderMap::new();
    h.insert(
        "link",
        HeaderValue::from_bytes(b"<https://a/\xff>; rel=next").unwrap(),
    );
    let err = parse_link_headers(&h).unwrap_err();
    assert_eq!(err.position(), 11);
    assert!(next_link(&h).is_err());
}

#[test]
fn non_ascii_utf8_link_header_is_accepted() {
    let mut h = HeaderMap::new();
    h.insert(
        "link",
        HeaderValue::from_bytes("<https://a/é>; title=\"€\"; rel=next".as_bytes()).unwrap(),
    );
    let links = parse_link_headers(&h).unwrap();
    assert_eq!(links[0].uri, "https://a/é");
    assert_eq!(links[0].param("title"), Some("€"));
}

#[test]
fn display_and_format_links() {
    let links = vec![
        Link::new(NEXT, "next"),
        Link {
            uri: SELF.into(),
            rels: vec!["self".into(), "first".into()],
            params: vec![("title".into(), r#"say "hi", \o/"#.into())],
        },
    ];
    let text = format_links(&links);
    assert_eq!(
        text,
        format!(r#"<{NEXT}>; rel="next", <{SELF}>; rel="self first"; title="say \"hi\", \\o/""#)
    );
    assert_eq!(parse_link(&text).unwrap(), links);
    // Usable as a header value.
    HeaderValue::from_str(&text).unwrap();
}

fn arb_link() -> impl Strategy<Value = Link> {
    (
        "[^>]*",
        prop::collection::vec("[a-z][a-z0-9.-]{0,8}", 0..3),
        prop::collection::vec(("[a-z0-9!#$%&'*+.^_`|~-]{1,8}", any::<String>()), 0..4),
    )
        .prop_map(|(uri, rels, params)| {
            let params = params.into_iter().filter(|(k, _)| k != "rel").collect();
            Link { uri, rels, params }
        })
}

proptest! {
    #[test]
    fn format_then_parse_round_trips(links in prop::collection::vec(arb_link(), 0..5)) {
        let text = format_links(&links);
        prop_assert_eq!(parse_link(&text).unwrap(), links);
    }

    #[test]
    fn parse_link_never_panics(s in any::<String>()) {
        let _ = parse_link(&s);
    }

    #[test]
    fn parse_link_never_panics_on_link_like_input(s in r#"[<>;,="\\ a-z\t]{0,40}"#) {
        if let Err(e) = parse_link(&s) {
            prop_assert!(e.position() <= s.len());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Rate limits

/// The rate limit read from one line each of `X-Rate-Limit-Limit`, `-Remaining` and `-Reset`.
fn rate_limit(limit: &str, remaining: &str, reset: &str) -> RateLimit {
    RateLimit::from_headers(&map(&[
        ("x-rate-limit-limit", limit),
        ("x-rate-limit-remaining", remaining),
        ("x-rate-limit-reset", reset),
    ]))
}

#[test]
fn single_rate_limit_values() {
    let rl = rate_limit("600", "598", "1747115604");
    assert_eq!(
        rl,
        RateLimit {
            limit: Some(600),
            remaining: Some(598),
            reset: Some(1_747_115_604)
        }
    );
    assert!(!rl.is_exhausted());
    assert!(!rl.is_concurrent_limit());
    assert!(!rl.is_empty());
    assert_eq!(rl.reset_at(), Some(at(1_747_115_604)));
}

#[test]
fn several_reset_lines_give_the_smallest() {
    let h = map(&[
        ("x-rate-limit-reset", "1747115660"),
        ("x-rate-limit-reset", "1747115604"),
        ("x-rate-limit-reset", "1747115630"),
    ]);
    assert_eq!(RateLimit::from_headers(&h).reset, Some(1_747_115_604));
}

#[test]
fn comma_separated_values_give_the_smallest() {
    let h = map(&[
        ("x-rate-limit-reset", "1747115660, 1747115604 ,1747115630"),
        ("x-rate-limit-limit", "1200, 15"),
        ("x-rate-limit-remaining", "1100,3"),
    ]);
    let rl = RateLimit::from_headers(&h);
    assert_eq!(rl.reset, Some(1_747_115_604));
    assert_eq!(rl.limit, Some(15));
    assert_eq!(rl.remaining, Some(3));
}

#[test]
fn concurrent_limit_signal() {
    let rl = rate_limit("0", "0", "1747115604");
    assert!(rl.is_concurrent_limit());
    assert!(rl.is_exhausted());

    let plain = RateLimit {
        limit: Some(600),
        remaining: Some(0),
        reset: None,
    };
    assert!(plain.is_exhausted());
    assert!(!plain.is_concurrent_limit());
}

#[test]
fn malformed_values_are_ignored() {
    let h = map(&[
        ("x-rate-limit-limit", "lots"),
        ("x-rate-limit-remaining", "-1, 1.5, +7"),
        ("x-rate-limit-reset", "99999999999999999999999"), // overflows u64
        ("x-rate-limit-reset", "1747115604"),
        ("x-rate-limit-reset", ""),
    ]);
    let rl = RateLimit::from_headers(&h);
    assert_eq!(
        rl,
        RateLimit {
            limit: None,
            remaining: None,
            reset: Some(1_747_115_604)
        }
    );

    let mut h = HeaderMap::new();
    h.insert(
        X_RATE_LIMIT_LIMIT,
        HeaderValue::from_bytes(b"\xff1").unwrap(),
    );
    assert!(RateLimit::from_headers(&h).is_empty());
    assert!(RateLimit::from_headers(&HeaderMap::new()).is_empty());
}

#[test]
fn wait_until_reset_follows_oktas_rule() {
    let rl = RateLimit {
        reset: Some(1_000_030),
        ..RateLimit::default()
    };
    // Reset in the future: reset − now + 1 s.
    assert_eq!(
        rl.wait_until_reset(at(1_000_000)),
        Some(Duration::from_secs(31))
    );
    // `now` is truncated to the second, as an HTTP Date is.
    assert_eq!(
        rl.wait_until_reset(at(1_000_000) + Duration::from_millis(999)),
        Some(Duration::from_secs(31))
    );
    // Reset equal to now: 1 s.
    assert_eq!(
        rl.wait_until_reset(at(1_000_030)),
        Some(Duration::from_secs(1))
    );
    // Reset in the past: 1 s, never zero, never negative.
    assert_eq!(
        rl.wait_until_reset(at(1_000_100)),
        Some(Duration::from_secs(1))
    );
    // No reset: no figure.
    assert_eq!(RateLimit::default().wait_until_reset(at(1_000_000)), None);
}

#[test]
fn wait_until_reset_from_the_date_header() {
    let h = map(&[
        ("date", "Tue, 13 May 2025 05:52:24 GMT"),
        ("x-rate-limit-reset", "1747115604, 1747115560"),
    ]);
    let date = headers::date(&h).unwrap();
    assert_eq!(date, at(1_747_115_544));
    let wait = RateLimit::from_headers(&h).wait_until_reset(date);
    assert_eq!(wait, Some(Duration::from_secs(17)));
}

#[test]
fn extreme_reset_does_not_panic() {
    let rl = RateLimit {
        reset: Some(u64::MAX),
        ..RateLimit::default()
    };
    assert_eq!(rl.reset_at(), None, "beyond what a SystemTime holds");
    assert_eq!(
        rl.wait_until_reset(at(0)),
        Some(Duration::from_secs(u64::MAX))
    );
}

#[test]
fn write_headers_round_trips() {
    let rl = RateLimit {
        limit: Some(15),
        remaining: Some(0),
        reset: Some(1_747_115_604),
    };
    let mut h = map(&[("x-rate-limit-reset", "1"), ("x-rate-limit-reset", "2")]);
    rl.write_headers(&mut h);
    assert_eq!(h.get_all(X_RATE_LIMIT_RESET).iter().count(), 1);
    assert_eq!(h[X_RATE_LIMIT_LIMIT], "15");
    assert_eq!(h[X_RATE_LIMIT_REMAINING], "0");
    assert_eq!(h[X_RATE_LIMIT_RESET], "1747115604");
    assert_eq!(RateLimit::from_headers(&h), rl);

    RateLimit {
        limit: Some(1),
        ..RateLimit::default()
    }
    .write_headers(&mut h);
    assert!(!h.contains_key(X_RATE_LIMIT_RESET));
    assert_eq!(
        RateLimit::from_headers(&h),
        RateLimit {
            limit: Some(1),
            remaining: None,
            reset: None
        }
    );
}

// ---------------------------------------------------------------------------------------------
// Retry-After, Date, request id

#[test]
fn retry_after_delta_seconds() {
    let now = at(1_000_000);
    assert_eq!(
        headers::retry_after(&map(&[("retry-after", "120")]), now),
        Some(Duration::from_secs(120))
    );
    assert_eq!(
        headers::retry_after(&map(&[("retry-after", " 0 ")]), now),
        Some(Duration::ZERO)
    );
}

#[test]
fn retry_after_http_date() {
    let h = map(&[("retry-after", "Tue, 13 May 2025 05:52:24 GMT")]);
    let date = at(1_747_115_544);
    assert_eq!(
        headers::retry_after(&h, date - Duration::from_secs(30)),
        Some(Duration::from_secs(30))
    );
    assert_eq!(headers::retry_after(&h, date), Some(Duration::ZERO));
    // A date in the past: no wait.
    assert_eq!(
        headers::retry_after(&h, date + Duration::from_secs(30)),
        Some(Duration::ZERO)
    );
}

#[test]
fn retry_after_malformed_or_absent() {
    let now = at(1_000_000);
    for bad in [
        "-5",
        "1.5",
        "soon",
        "",
        "Tue, 99 May 2025 05:52:24 GMT",
        "99999999999999999999999",
    ] {
        assert_eq!(
            headers::retry_after(&map(&[("retry-after", bad)]), now),
            None,
            "{bad:?}"
        );
    }
    assert_eq!(headers::retry_after(&HeaderMap::new(), now), None);
}

#[test]
fn date_parsing() {
    assert_eq!(
        headers::date(&map(&[("date", "Tue, 13 May 2025 05:52:24 GMT")])),
        Some(at(1_747_115_544))
    );
    // The obsolete forms HTTP still accepts.
    assert_eq!(
        headers::date(&map(&[("date", "Tuesday, 13-May-25 05:52:24 GMT")])),
        Some(at(1_747_115_544))
    );
    assert_eq!(headers::date(&map(&[("date", "yesterday")])), None);
    assert_eq!(headers::date(&HeaderMap::new()), None);
}

#[test]
fn request_id() {
    let h = map(&[("x-okta-request-id", "aBcDeF123")]);
    assert_eq!(headers::request_id(&h), Some("aBcDeF123"));
    assert_eq!(headers::request_id(&HeaderMap::new()), None);
    assert_eq!(X_OKTA_REQUEST_ID.as_str(), "x-okta-request-id");
}
