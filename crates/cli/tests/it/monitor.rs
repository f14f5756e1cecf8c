//! Monitoring as cron uses it: `--metrics-file` (node_exporter's textfile collector),
//! `--notify-webhook`, `--log-format json`, completions, the man page, and progress that says
//! what holds a run up.

use std::collections::HashMap;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use okta_idsrc_emulator::{DEFAULT_IDENTITY_SOURCE, DEFAULT_TOKEN, Emulator, EmulatorHandle};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::common::{TempDir, against, cli, exits, run};

const USERS: &str = "externalId,email,userName\n\
                     u1,ann@example.com,ann@example.com\n\
                     u2,bob@example.com,bob@example.com\n";

/// Runs `cmd` off the runtime (the emulator and the listener go on meanwhile).
async fn run_off(mut cmd: Command) -> (i32, String, String) {
    tokio::task::spawn_blocking(move || run(&mut cmd))
        .await
        .expect("the run")
}

/// `import users.csv ARGS` in `dir` against `emulator` with `token`, off the runtime.
async fn import_off(
    dir: &TempDir,
    emulator: &EmulatorHandle,
    token: &str,
    args: &[&str],
) -> (i32, String, String) {
    let mut cmd = against(dir, emulator, token);
    cmd.args(["import", "users.csv"]).args(args);
    run_off(cmd).await
}

/// One sample of a metrics file: name, labels, value.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: HashMap<String, String>,
    value: f64,
}

/// Parses `text` as the Prometheus text format, checking every line: `# HELP` and `# TYPE`
/// before each metric's samples, `# EOF` last, each sample `name{labels} value`.
fn parse_metrics(text: &str) -> Vec<Sample> {
    assert!(text.ends_with("# EOF\n"), "{text}");
    let mut samples = Vec::new();
    let mut typed: Option<String> = None;
    for line in text.lines() {
        if line == "# EOF" {
            continue;
        }
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').expect("HELP name text");
            assert!(
                name.starts_with("okta_idsrc_") && !help.is_empty(),
                "{line}"
            );
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("TYPE name kind");
            assert_eq!(kind, "gauge", "{line}");
            typed = Some(name.to_owned());
            continue;
        }
        let (series, value) = line.rsplit_once(' ').expect("a sample");
        let (name, labels) = series.split_once('{').expect("labels");
        assert!(
            name.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
            "{line}"
        );
        assert_eq!(typed.as_deref(), Some(name), "a sample of its TYPE: {line}");
        let labels = labels.strip_suffix('}').expect("closing brace");
        let labels: HashMap<String, String> = labels
            .split("\",")
            .map(|pair| {
                let (k, v) = pair.split_once("=\"").expect("label=\"value\"");
                (k.to_owned(), v.trim_end_matches('"').to_owned())
            })
            .collect();
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("a number: {line}"));
        samples.push(Sample {
            name: name.to_owned(),
            labels,
            value,
        });
    }
    samples
}

/// The value of metric `name` (with label `kind`, when given).
fn metric(samples: &[Sample], name: &str, kind: Option<&str>) -> Option<f64> {
    samples
        .iter()
        .find(|s| {
            s.name == format!("okta_idsrc_{name}")
                && kind.is_none_or(|k| s.labels.get("kind").map(String::as_str) == Some(k))
        })
        .map(|s| s.value)
}

/// Files in `dir` besides `keep`.
fn others(dir: &TempDir, keep: &[&str]) -> Vec<String> {
    std::fs::read_dir(&dir.0)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| !keep.contains(&n.as_str()))
        .collect()
}

/// `import users.csv --output json --metrics-file okta.prom` in `dir` with `token`: the exit
/// code, the one JSON object it printed, and the metrics file it wrote.
async fn import_with_metrics(
    dir: &TempDir,
    emulator: &EmulatorHandle,
    token: &str,
) -> (i32, Value, String) {
    let metrics = ["--output", "json", "--metrics-file", "okta.prom"];
    let (code, stdout, stderr) = import_off(dir, emulator, token, &metrics).await;
    let report = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("one JSON object ({e}): {stdout:?} {stderr}"));
    let text = std::fs::read_to_string(dir.0.join("okta.prom")).expect("metrics file");
    (code, report, text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_after_success_match_the_report_and_a_failure_carries_the_last_success_over() {
    let emulator = Emulator::start().await.expect("emulator");
    let dir = TempDir::new();
    dir.file("users.csv", USERS);
    let (code, report, text) = import_with_metrics(&dir, &emulator, DEFAULT_TOKEN).await;
    assert_eq!(code, 0, "{report}");
    let samples = parse_metrics(&text);
    for s in &samples {
        assert_eq!(s.labels["command"], "import", "{s:?}");
        assert_eq!(
            s.labels["identity_source"], DEFAULT_IDENTITY_SOURCE,
            "{s:?}"
        );
    }
    assert_eq!(metric(&samples, "last_run_success", None), Some(1.0));
    assert_eq!(metric(&samples, "last_run_held", None), Some(0.0));
    assert_eq!(metric(&samples, "last_run_exit_code", None), Some(0.0));
    for (kind, n) in report["accepted"].as_object().expect("accepted") {
        assert_eq!(
            metric(&samples, "last_run_entities", Some(kind)),
            n.as_f64(),
            "{kind}: {text}"
        );
    }
    assert_eq!(
        metric(&samples, "last_run_entities", Some("userUpsert")),
        Some(2.0)
    );
    let same = |name: &str, field: &str| {
        assert_eq!(
            metric(&samples, name, None),
            report[field].as_f64(),
            "{name}"
        );
    };
    same("last_run_loads", "loads");
    same("last_run_retries", "retries");
    same("last_run_rate_limited", "rateLimited");
    assert_eq!(
        metric(&samples, "last_run_sessions", None),
        Some(report["sessions"].as_array().expect("sessions").len() as f64)
    );
    let start = metric(&samples, "last_run_start_timestamp_seconds", None).expect("start");
    let end = metric(&samples, "last_run_end_timestamp_seconds", None).expect("end");
    let duration = metric(&samples, "last_run_duration_seconds", None).expect("duration");
    assert!(start > 1.7e9 && end >= start && duration >= 0.0, "{text}");
    assert!((end - start - duration).abs() < 0.5, "{text}");
    let last_success = metric(&samples, "last_success_timestamp_seconds", None);
    assert_eq!(last_success, Some(end));
    assert!(
        others(&dir, &["users.csv", "okta.prom"]).is_empty(),
        "no temp file left: {:?}",
        others(&dir, &["users.csv", "okta.prom"])
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.0.join("okta.prom"))
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o644);
    }

    // The next run fails (the token is refused): success 0, the last success carried over.
    let (code, report, text) = import_with_metrics(&dir, &emulator, "not-the-token").await;
    assert_eq!(code, 1, "{report}");
    let failed = parse_metrics(&text);
    assert_eq!(metric(&failed, "last_run_success", None), Some(0.0));
    assert_eq!(metric(&failed, "last_run_exit_code", None), Some(1.0));
    assert_eq!(
        metric(&failed, "last_success_timestamp_seconds", None),
        last_success,
        "{text}"
    );
    assert!(metric(&failed, "last_run_start_timestamp_seconds", None) > Some(start));
    // What the failed run did, as its report says (nothing Okta applied).
    if let Some(progress) = report["progress"].as_object() {
        assert_eq!(
            metric(&failed, "last_run_loads", None),
            progress["loadsAcknowledged"].as_f64()
        );
    } else {
        assert_eq!(metric(&failed, "last_run_loads", None), None, "{text}");
    }
    assert!(others(&dir, &["users.csv", "okta.prom"]).is_empty());
    emulator.shutdown().await;
}

/// What a webhook received: each request's head and body.
#[derive(Clone, Default)]
struct Received(Arc<Mutex<Vec<(String, String)>>>);

impl Received {
    fn all(&self) -> Vec<(String, String)> {
        self.0.lock().expect("lock").clone()
    }
}

/// A webhook on 127.0.0.1: answers 204 to every POST, or with `answer` false never answers
/// (keeping the connection open). Returns its URL and what it received.
async fn webhook(answer: bool) -> (String, Received) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!(
        "http://{}/hooks/s3cret-path",
        listener.local_addr().expect("addr")
    );
    let received = Received::default();
    let keep = received.clone();
    tokio::spawn(async move {
        let mut silent = Vec::new();
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            if !answer {
                silent.push(stream);
                continue;
            }
            let keep = keep.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                let (head, body_start) = loop {
                    let Ok(n) = stream.read(&mut chunk).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        break (String::from_utf8_lossy(&buf[..i]).into_owned(), i + 4);
                    }
                };
                let length: usize = head
                    .lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case("content-length")
                            .then(|| v.trim().parse().ok())?
                    })
                    .unwrap_or(0);
                while buf.len() < body_start + length {
                    match stream.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let body = String::from_utf8_lossy(&buf[body_start..]).into_owned();
                keep.0.lock().expect("lock").push((head, body));
                let _ = stream
                    .write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
                    .await;
            });
        }
    });
    (url, received)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_import_posts_its_report_without_the_token_and_a_success_posts_nothing() {
    let emulator = Emulator::start().await.expect("emulator");
    let (url, received) = webhook(true).await;
    let dir = TempDir::new();
    dir.file("users.csv", USERS);

    let (code, _, stderr) =
        import_off(&dir, &emulator, DEFAULT_TOKEN, &["--notify-webhook", &url]).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(received.all().is_empty(), "no POST on success");

    let token = "00secret-token-never-sent";
    let args = ["--output", "json", "--notify-webhook", &url];
    let (code, stdout, stderr) = import_off(&dir, &emulator, token, &args).await;
    assert_eq!(code, 1, "{stderr}");
    let printed: Value = serde_json::from_str(stdout.trim()).expect("one JSON object");
    let all = received.all();
    assert_eq!(all.len(), 1, "one POST: {all:?}");
    let (head, body) = &all[0];
    assert!(
        head.starts_with("POST /hooks/s3cret-path HTTP/1.1"),
        "{head}"
    );
    assert!(
        !head.to_ascii_lowercase().contains("authorization"),
        "{head}"
    );
    assert!(
        !head.contains(token) && !body.contains(token),
        "{head}\n{body}"
    );
    let envelope: Value = serde_json::from_str(body).expect("a JSON body");
    assert_eq!(envelope["command"], "import");
    assert_eq!(envelope["outcome"], "failure");
    assert_eq!(envelope["exitCode"], 1);
    assert_eq!(envelope["identitySource"], DEFAULT_IDENTITY_SOURCE);
    assert_eq!(
        envelope["report"], printed,
        "the report --output json printed"
    );
    assert!(
        envelope["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{envelope}"
    );
    assert!(
        !stderr.contains("s3cret-path"),
        "the URL's path is secret: {stderr}"
    );
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_sync_posts_its_plan_and_writes_held_metrics() {
    let emulator = Emulator::start().await.expect("emulator");
    let (url, received) = webhook(true).await;
    let dir = TempDir::new();
    dir.file("users.csv", USERS);
    let sync = |file: &str| {
        let mut cmd = against(&dir, &emulator, DEFAULT_TOKEN);
        cmd.args(["sync", "run", file, "--state", "state.db"])
            .args(["--notify-webhook", &url, "--metrics-file", "sync.prom"]);
        cmd
    };
    let (code, _, stderr) = run_off(sync("users.csv")).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(received.all().is_empty(), "no POST on success");
    let text = std::fs::read_to_string(dir.0.join("sync.prom")).expect("metrics");
    let ok = parse_metrics(&text);
    assert_eq!(
        metric(&ok, "last_run_entities", Some("userUpsert")),
        Some(2.0),
        "{text}"
    );

    // An empty export against a state of two users: held, exit 3, nothing sent.
    dir.file("empty.csv", "externalId,email,userName\n");
    let (code, _, stderr) = run_off(sync("empty.csv")).await;
    assert_eq!(code, 3, "{stderr}");
    let all = received.all();
    assert_eq!(all.len(), 1, "{all:?}");
    let envelope: Value = serde_json::from_str(&all[0].1).expect("JSON");
    assert_eq!(envelope["command"], "sync run");
    assert_eq!(envelope["outcome"], "held");
    assert_eq!(envelope["exitCode"], 3);
    assert!(envelope["report"]["held"].is_object(), "{envelope}");
    assert!(!all[0].1.contains(DEFAULT_TOKEN), "{}", all[0].1);
    let text = std::fs::read_to_string(dir.0.join("sync.prom")).expect("metrics");
    let held = parse_metrics(&text);
    assert_eq!(metric(&held, "last_run_held", None), Some(1.0));
    assert_eq!(metric(&held, "last_run_success", None), Some(0.0));
    assert_eq!(
        metric(&held, "last_run_entities", Some("userDeactivate")),
        Some(0.0)
    );
    assert_eq!(
        metric(&held, "last_success_timestamp_seconds", None),
        metric(&ok, "last_success_timestamp_seconds", None)
    );
    assert!(
        others(
            &dir,
            &[
                "users.csv",
                "empty.csv",
                "sync.prom",
                "state.db",
                "state.db.lock"
            ]
        )
        .iter()
        .all(|n| !n.starts_with(".okta-idsrc-metrics"))
    );
    emulator.shutdown().await;
}

#[test]
fn a_plain_http_webhook_off_loopback_is_refused_before_anything_runs() {
    let dir = TempDir::new();
    dir.file("users.csv", USERS);
    let (code, stdout, stderr) = run(cli(&dir).args([
        "import",
        "users.csv",
        "--emulator",
        "--metrics-file",
        "m.prom",
        "--notify-webhook",
        "http://hooks.example.com/x",
    ]));
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(stderr.contains("https://"), "{stderr}");
    assert!(!dir.0.join("m.prom").exists(), "nothing ran");
    let (code, _, stderr) = run(cli(&dir).args([
        "import",
        "users.csv",
        "--emulator",
        "--metrics-file",
        "no-such-dir/m.prom",
    ]));
    assert_eq!(code, 2, "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_that_never_answers_is_given_up_and_the_exit_code_stays() {
    let emulator = Emulator::start().await.expect("emulator");
    let (url, _) = webhook(false).await;
    let dir = TempDir::new();
    dir.file("users.csv", USERS);
    let started = Instant::now();
    let (code, _, stderr) = import_off(
        &dir,
        &emulator,
        "refused-token",
        &["--notify-webhook", &url],
    )
    .await;
    let took = started.elapsed();
    assert_eq!(code, 1, "the run's own exit code: {stderr}");
    assert!(
        stderr.contains("cannot notify the webhook http://127.0.0.1:"),
        "{stderr}"
    );
    assert!(took < Duration::from_secs(25), "took {took:?}");
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_format_json_writes_json_lines() {
    let emulator = Emulator::start().await.expect("emulator");
    let dir = TempDir::new();
    dir.file("users.csv", USERS);
    let mut cmd = against(&dir, &emulator, "refused-token");
    cmd.args(["--log-format", "json", "-v", "import", "users.csv"]);
    let (code, _, stderr) = run_off(cmd).await;
    assert_eq!(code, 1, "{stderr}");
    let lines: Vec<Value> = stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(!lines.is_empty());
    assert!(
        lines
            .iter()
            .all(|l| l["timestamp"].is_string() && l["level"].is_string()),
        "{stderr}"
    );
    let error = lines
        .iter()
        .find(|l| l["level"] == "ERROR")
        .expect("the error as a JSON line");
    assert_eq!(error["fields"]["exit_code"], 1, "{error}");
    assert!(!stderr.contains("refused-token"), "{stderr}");
    emulator.shutdown().await;
}

#[test]
fn log_format_json_makes_every_stderr_line_json_with_the_embedded_emulator() {
    let dir = TempDir::new();
    dir.file("users.csv", USERS);
    let (code, _, stderr) =
        run(cli(&dir).args(["--log-format", "json", "import", "users.csv", "--emulator"]));
    assert_eq!(code, 0, "{stderr}");
    let lines: Vec<Value> = stderr
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let notice = lines
        .iter()
        .find(|l| l["target"] == "okta_idsrc::notice")
        .expect("the emulator notice as JSON");
    assert!(
        notice["fields"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("using the embedded emulator at http://127.0.0.1:")),
        "{notice}"
    );
}

#[test]
fn log_format_json_makes_a_usage_error_one_json_line() {
    let dir = TempDir::new();
    let args = [
        "--log-format",
        "json",
        "import",
        "users.csv",
        "--no-such-flag",
    ];
    let (stdout, stderr) = exits(2, cli(&dir).args(args));
    assert!(stdout.is_empty(), "{stdout}");
    let line: Value = serde_json::from_str(&stderr).expect("one JSON line");
    assert_eq!(line["level"], "ERROR", "{line}");
    assert_eq!(line["fields"]["exit_code"], 2, "{line}");
    assert!(
        line["fields"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("--no-such-flag")),
        "{line}"
    );
}

#[test]
fn sync_status_takes_no_monitoring_flags() {
    let dir = TempDir::new();
    let (code, _, stderr) = run(cli(&dir).args([
        "sync",
        "status",
        "--state",
        "state.db",
        "--metrics-file",
        "m.prom",
    ]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("sync plan, apply and run"), "{stderr}");
    assert!(!dir.0.join("m.prom").exists());
}

#[test]
fn completions_and_the_man_page() {
    let dir = TempDir::new();
    for shell in ["bash", "zsh", "fish"] {
        let (code, stdout, stderr) = run(cli(&dir).args(["completions", shell]));
        assert_eq!(code, 0, "{shell}: {stderr}");
        for word in ["import", "sync", "sessions", "metrics-file"] {
            assert!(stdout.contains(word), "{shell} completes {word}");
        }
    }
    let (code, _, _) = run(cli(&dir).args(["completions", "tcsh"]));
    assert_eq!(code, 2);
    for name in ["manual", "man"] {
        let (code, stdout, stderr) = run(cli(&dir).arg(name));
        assert_eq!(code, 0, "{stderr}");
        assert!(stdout.contains(".TH okta-idsrc 1"), "{stdout}");
        assert!(
            stdout.contains(".SH SYNOPSIS") && stdout.contains("sync"),
            "{stdout}"
        );
    }
    let (code, _, stderr) = run(cli(&dir).args(["manual", "--out", "man"]));
    assert_eq!(code, 0, "{stderr}");
    for page in [
        "okta-idsrc.1",
        "okta-idsrc-import.1",
        "okta-idsrc-sync-run.1",
    ] {
        let text = std::fs::read_to_string(dir.0.join("man").join(page)).expect(page);
        assert!(text.contains(".TH"), "{page}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_progress_says_the_rate_limit_holds_the_run_and_for_how_long() {
    // Three requests a window, windows of 6 s: the run is held for the next window.
    let emulator = Emulator::builder()
        .rate_limit(3)
        .time_scale(10)
        .start()
        .await
        .expect("emulator");
    let dir = TempDir::new();
    dir.file("users.csv", USERS);
    let (code, _, stderr) = import_off(&dir, &emulator, DEFAULT_TOKEN, &[]).await;
    assert_eq!(code, 0, "{stderr}");
    let held: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("progress: held by the rate limit"))
        .collect();
    assert!(!held.is_empty(), "{stderr}");
    assert!(
        held.iter().any(|l| l.contains("s left")),
        "says for how long: {stderr}"
    );
    assert!(
        !stderr.contains("about 0s left"),
        "no ETA while held: {stderr}"
    );
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_progress_says_the_run_waits_for_okta_s_cool_down() {
    // A 60 s cool-down between session creations, run 10 times faster: 6 s.
    let emulator = Emulator::builder()
        .session_cooldown(Duration::from_secs(60))
        .time_scale(10)
        .start()
        .await
        .expect("emulator");
    let dir = TempDir::new();
    dir.file("users.csv", USERS);
    let (code, _, stderr) = import_off(&dir, &emulator, DEFAULT_TOKEN, &[]).await;
    assert_eq!(code, 0, "{stderr}");
    // The second import right after the first: Okta refuses its session for a while.
    let (code, _, stderr) = import_off(&dir, &emulator, DEFAULT_TOKEN, &[]).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("progress: waiting for Okta's cool-down")),
        "{stderr}"
    );
    assert!(!stderr.contains("about 0s left"), "{stderr}");
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_webhook_goes_through_the_okta_client_s_proxy() {
    let emulator = Emulator::start().await.expect("emulator");
    // A "proxy" that records the CONNECT and refuses it (the emulator, on loopback, is reached
    // directly as always).
    let (proxy, received) = webhook(true).await;
    let port = proxy
        .trim_start_matches("http://127.0.0.1:")
        .split('/')
        .next()
        .expect("port")
        .to_owned();
    let dir = TempDir::new();
    dir.file("users.csv", USERS);
    let mut cmd = against(&dir, &emulator, "refused-token");
    cmd.env("OKTA_CLIENT_PROXY_HOST", "127.0.0.1")
        .env("OKTA_CLIENT_PROXY_PORT", &port)
        .args([
            "import",
            "users.csv",
            "--notify-webhook",
            "https://hooks.example.invalid/T0/secret",
        ]);
    let (code, _, stderr) = run_off(cmd).await;
    assert_eq!(code, 1, "{stderr}");
    let all = received.all();
    assert_eq!(all.len(), 1, "{all:?}\n{stderr}");
    assert!(
        all[0]
            .0
            .starts_with("CONNECT hooks.example.invalid:443 HTTP/1.1"),
        "{all:?}"
    );
    assert!(!all[0].0.contains("refused-token"), "{all:?}");
    assert!(
        stderr.contains("cannot notify the webhook https://hooks.example.invalid/…"),
        "{stderr}"
    );
    assert!(!stderr.contains("secret"), "{stderr}");
    emulator.shutdown().await;
}
