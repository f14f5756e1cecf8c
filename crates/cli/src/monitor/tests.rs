//! Tests of `monitor`.

use super::*;

fn run(outcome: Outcome, counts: Option<Counts>) -> Finished<'static> {
    Finished {
        command: "sync run",
        source: "0oa\"x",
        started: UNIX_EPOCH + Duration::from_secs(1_000),
        ended: UNIX_EPOCH + Duration::from_secs(1_002),
        duration: Duration::from_secs(2),
        outcome,
        exit_code: if outcome == Outcome::Success { 0 } else { 1 },
        error: None,
        recorded: Some(Recorded {
            json: json!({}),
            counts,
        }),
    }
}

#[test]
fn webhook_urls() {
    assert!(WebhookUrl::parse("https://hooks.example.com/T0/secret").is_ok());
    assert!(WebhookUrl::parse("http://127.0.0.1:9/x").is_ok());
    assert!(WebhookUrl::parse("http://[::1]:9/x").is_ok());
    assert!(WebhookUrl::parse("http://localhost/x").is_ok());
    assert!(WebhookUrl::parse("http://example.com/x").is_err());
    assert!(WebhookUrl::parse("ftp://example.com/x").is_err());
    assert!(WebhookUrl::parse("https://u:p@example.com/x").is_err());
    assert!(WebhookUrl::parse("not a url").is_err());
    let url = WebhookUrl::parse("https://hooks.example.com/T0/secret").expect("valid");
    assert!(!format!("{url} {url:?}").contains("secret"));
}

#[test]
fn metrics_escape_labels_and_carry_the_last_success_over() {
    let counts = Counts {
        entities: vec![("userUpsert", 3)],
        loads: 1,
        sessions: 1,
        retries: 0,
        rate_limited: 0,
    };
    let ok = render(&run(Outcome::Success, Some(counts)), None);
    assert!(ok.contains("identity_source=\"0oa\\\"x\""), "{ok}");
    assert!(ok.contains(",kind=\"userUpsert\"} 3\n"), "{ok}");
    assert!(
        ok.contains("okta_idsrc_last_success_timestamp_seconds{"),
        "{ok}"
    );
    assert!(ok.ends_with("# EOF\n"));
    let failed = render(&run(Outcome::Failure, None), Some(&ok));
    assert!(
        failed.contains("okta_idsrc_last_success_timestamp_seconds{command=\"sync run\",identity_source=\"0oa\\\"x\"} 1002.000\n"),
        "{failed}"
    );
    assert!(!failed.contains("last_run_entities"), "{failed}");
    // Nothing to carry over: no last success at all (never a guess).
    let first = render(&run(Outcome::Failure, None), None);
    assert!(!first.contains("last_success"), "{first}");
}
