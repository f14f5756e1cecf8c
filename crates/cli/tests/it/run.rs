//! The import run as cron sees it: no false success (no org, no fallback; reports that claim
//! only what is known; contradictory input), no hang (timeouts, a server that is not Okta or
//! does not speak TLS), and one JSON object, signals and colours as a script expects.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Stdio;
use std::time::{Duration, Instant};

use okta_idsrc_emulator::{DEFAULT_IDENTITY_SOURCE, DEFAULT_TOKEN, Emulator, EmulatorHandle};
use serde_json::Value;

use crate::common::{TempDir, cli, exits, one_object, run};

const USERS: &str = "externalId,email,userName\n\
                     u1,ann@example.com,ann@example.com\n\
                     u2,bob@example.com,bob@example.com\n";

/// The flags that point the binary at `emulator`.
fn target(emulator: &EmulatorHandle) -> Vec<String> {
    [
        "--org-url",
        &emulator.base_url(),
        "--token",
        DEFAULT_TOKEN,
        "--source",
        DEFAULT_IDENTITY_SOURCE,
    ]
    .map(str::to_owned)
    .to_vec()
}

/// Opens a session on `emulator` over a raw socket, as another run would; returns its id.
fn open_session(emulator: &EmulatorHandle) -> String {
    let addr = emulator.base_url().trim_start_matches("http://").to_owned();
    let mut stream = TcpStream::connect(&addr).expect("connect");
    write!(
        stream,
        "POST /api/v1/identity-sources/{DEFAULT_IDENTITY_SOURCE}/sessions HTTP/1.1\r\nHost: {addr}\r\nAuthorization: SSWS {DEFAULT_TOKEN}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let body = &response[response.find("\r\n\r\n").expect("head") + 4..];
    let session: Value = serde_json::from_str(body).expect("session JSON");
    session["id"].as_str().expect("id").to_owned()
}

// Item 1: a journal is bound to its org and identity source, and to its format version.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_of_another_org_or_version_is_refused_and_nothing_is_sent() {
    let first = Emulator::builder().start().await.expect("emulator");
    let second = Emulator::builder().start().await.expect("emulator");
    let dir = TempDir::new();
    dir.file("users.csv", USERS);
    let import = ["import", "users.csv", "--journal", "j"];
    exits(0, cli(&dir).args(import).args(target(&first)));

    let (_, stderr) = exits(2, cli(&dir).args(import).args(target(&second)));
    assert!(
        stderr.contains(&first.base_url()) && stderr.contains(&second.base_url()),
        "names both orgs: {stderr}"
    );
    let held = second.counts(DEFAULT_IDENTITY_SOURCE).expect("source");
    assert_eq!((held.users_active, held.sessions.len()), (0, 0), "{held:?}");

    let journal = std::fs::read_to_string(dir.0.join("j")).expect("journal");
    let unknown = journal.replacen("\"version\":2", "\"version\":99", 1);
    assert_ne!(
        journal, unknown,
        "the journal records its version: {journal}"
    );
    dir.file("j", unknown);
    let (_, stderr) = exits(2, cli(&dir).args(import).args(target(&second)));
    assert!(stderr.contains("journal format version 99"), "{stderr}");
    let held = second.counts(DEFAULT_IDENTITY_SOURCE).expect("source");
    assert_eq!((held.users_active, held.sessions.len()), (0, 0), "{held:?}");
}

// Item 2: no silent fallback to the embedded emulator.

#[test]
fn without_an_org_every_command_fails_and_names_where_to_set_one() {
    let dir = TempDir::new();
    dir.file("users.csv", USERS);
    for args in [
        &["import", "users.csv"][..],
        &["sessions", "list"],
        &["users", "get", "u1"],
    ] {
        let (stdout, stderr) = exits(2, cli(&dir).args(args));
        assert!(stdout.is_empty(), "{args:?}: {stdout}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: one line: {stderr}");
        for needle in ["--org-url", "OKTA_CLIENT_ORGURL", "okta.yaml", "--emulator"] {
            assert!(stderr.contains(needle), "{args:?}: {needle} in {stderr}");
        }
        assert!(!stderr.contains("embedded emulator at"), "{stderr}");
    }
    // A misspelt variable is named.
    let (_, stderr) = exits(
        2,
        cli(&dir)
            .args(["import", "users.csv"])
            .env("OKTA_CLIENT_ORG_URL", "https://acme.okta.com"),
    );
    assert!(
        stderr.contains("OKTA_CLIENT_ORG_URL set, but no such setting exists"),
        "{stderr}"
    );
}

#[test]
fn the_readme_main_job_runs_with_emulator_on_a_fresh_clone() {
    let dir = TempDir::new();
    let data = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/data");
    let path = |name: &str| data.join(name).display().to_string();
    let (stdout, _) = exits(
        0,
        cli(&dir).args([
            "import",
            &path("users.csv"),
            "--groups",
            &path("groups.csv"),
            "--memberships",
            &path("memberships.csv"),
            "--emulator",
        ]),
    );
    assert!(stdout.contains("imported: 3000 users created"), "{stdout}");
}

// Item 4: reports that claim only what is known.

/// Imports the files of [`with_unknown_references`].
const IMPORT_ALL: [&str; 8] = [
    "import",
    "users.csv",
    "--groups",
    "groups.csv",
    "--memberships",
    "memberships.csv",
    "--deactivate",
    "leavers.txt",
];

/// Users u1 and u2, group sales, memberships naming an unknown user and an unknown group,
/// and a deactivation of a user never imported.
fn with_unknown_references() -> TempDir {
    let dir = TempDir::new();
    dir.file("users.csv", USERS);
    dir.file("groups.csv", "externalId,displayName\nsales,Sales\n");
    dir.file(
        "memberships.csv",
        "groupExternalId,memberExternalId\nsales,u1\nsales,ghost\nnogroup,u2\n",
    );
    dir.file("leavers.txt", "never-imported\n");
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn against_an_org_the_summary_says_sent_and_accepted_and_warns_of_unknown_references() {
    let emulator = Emulator::builder().start().await.expect("emulator");
    let dir = with_unknown_references();
    let args = IMPORT_ALL;
    let (stdout, _) = exits(0, cli(&dir).args(args).args(target(&emulator)));
    assert!(
        stdout.starts_with(
            "sent and accepted: 2 user upserts, 1 group upserts, 3 membership upserts, 1 user deactivations\n"
        ),
        "{stdout}"
    );
    for claim in ["added", "deactivated", "upserted", "created"] {
        assert!(!stdout.contains(claim), "claims {claim:?}: {stdout}");
    }
    for warning in [
        "warning: memberships.csv line 3, column memberExternalId: user \"ghost\" is neither in this import nor in Okta",
        "warning: memberships.csv line 4, column groupExternalId: group \"nogroup\" is neither in this import nor in Okta",
        "warning: leavers.txt line 1, column externalId: user \"never-imported\" is neither in this import nor in Okta; Okta skips the deactivation",
    ] {
        assert!(stdout.contains(warning), "{warning}: {stdout}");
    }
    let state = emulator.state();
    let source = &state.identity_sources[0];
    assert_eq!(source.group("sales").expect("sales").members, ["u1"]);
    assert!(source.users.iter().all(|u| u.active));

    // The same run again changes nothing: Okta keeps the session CREATED, and the summary
    // says so instead of counting upserts.
    let (stdout, _) = exits(
        0,
        cli(&dir)
            .args(args)
            .args(target(&emulator))
            .args(["--output", "json"]),
    );
    let report = one_object(&stdout);
    assert_eq!(report["unchanged"]["userUpsert"], 2, "{report}");
    assert_eq!(report["sessions"][0]["unchanged"], true, "{report}");
    assert_eq!(report["users"]["created"], Value::Null, "{report}");
    assert_eq!(report["warnings"].as_array().map(Vec::len), Some(3));
    assert_eq!(report["warnings"][0]["line"], 3);
    let (stdout, _) = exits(0, cli(&dir).args(args).args(target(&emulator)));
    assert!(
        stdout.contains("Okta changed nothing for 2 user upserts"),
        "{stdout}"
    );
    emulator.shutdown().await;
}

#[test]
fn the_embedded_emulator_reports_exact_changes() {
    let dir = with_unknown_references();
    let (stdout, _) = exits(0, cli(&dir).args(IMPORT_ALL).arg("--emulator"));
    assert!(
        stdout.starts_with("imported: 2 users created, 0 updated, 0 deactivated\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("  groups: 1 (was 0); memberships: 1 (was 0)"),
        "{stdout}"
    );
}

// Item 5: contradictory input.

#[test]
fn a_user_both_imported_and_deactivated_is_refused_naming_both_lines() {
    let dir = TempDir::new();
    dir.file("users.csv", USERS);
    dir.file("leavers.txt", "u9\nu2\n");
    let (_, stderr) = exits(
        2,
        cli(&dir).args([
            "import",
            "users.csv",
            "--deactivate",
            "leavers.txt",
            "--emulator",
        ]),
    );
    assert!(
        stderr.contains(
            "leavers.txt line 2, column externalId: user externalId \"u2\" is both upserted (users.csv line 3) and deactivated here"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was sent"), "{stderr}");
}

// Item 6: --cancel-stale only by evidence; an interrupted run cleans up.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_stale_never_cancels_a_session_updated_recently() {
    let emulator = Emulator::builder().start().await.expect("emulator");
    let other = open_session(&emulator);
    let dir = TempDir::new();
    dir.file("users.csv", USERS);
    let (_, stderr) = exits(
        1,
        cli(&dir)
            .args(["import", "users.csv", "--cancel-stale"])
            .args(target(&emulator)),
    );
    assert!(
        stderr.contains(&format!("active session {other} in status CREATED"))
            && stderr.contains("ago, so another run may be feeding it")
            && stderr.contains("stale once nothing updates it for 30 min"),
        "{stderr}"
    );
    // Without --cancel-stale the error does not recommend it for a live session either.
    let (_, stderr) = exits(
        1,
        cli(&dir)
            .args(["import", "users.csv"])
            .args(target(&emulator)),
    );
    assert!(!stderr.contains("--cancel-stale"), "{stderr}");
    let state = emulator.state();
    assert_eq!(state.identity_sources[0].sessions.len(), 1);
    assert_eq!(
        state.identity_sources[0].sessions[0].status.as_str(),
        "CREATED"
    );
    emulator.shutdown().await;
}

/// Starts an import of 2,000 users into `emulator` (slow: every request takes 100 ms),
/// waits for its session to take loads, sends `signal`, and returns the exit code and stderr.
fn interrupt_an_import(emulator: &EmulatorHandle, signal: &str, journal: bool) -> (i32, String) {
    let dir = TempDir::new();
    let mut users = String::from("externalId,email,userName\n");
    for i in 0..2000 {
        users.push_str(&format!("u{i},u{i}@example.com,u{i}@example.com\n"));
    }
    dir.file("users.csv", users);
    let mut cmd = cli(&dir);
    cmd.args(["import", "users.csv", "--concurrency", "1"])
        .args(target(emulator));
    if journal {
        cmd.args(["--journal", "import.journal"]);
    }
    let child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let started = Instant::now();
    loop {
        let taking_loads = emulator.state().identity_sources[0]
            .sessions
            .iter()
            .any(|s| s.load_count > 0);
        if taking_loads {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no load arrived"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let status = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let output = child.wait_with_output().expect("wait");
    (
        output
            .status
            .code()
            .expect("an exit code, not a signal death"),
        String::from_utf8(output.stderr).expect("utf-8"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_without_a_journal_cancels_the_session_the_run_opened() {
    let emulator = Emulator::builder()
        .latency(Duration::from_millis(100))
        .start()
        .await
        .expect("emulator");
    let (code, stderr) = interrupt_an_import(&emulator, "TERM", false);
    assert_eq!(code, 143, "{stderr}");
    let state = emulator.state();
    let session = &state.identity_sources[0].sessions[0];
    assert_eq!(session.status.as_str(), "CLOSED", "{stderr}");
    assert!(
        stderr.contains(&format!(
            "error: interrupted by SIGTERM; cancelled session {}, which this run had open",
            session.id
        )),
        "{stderr}"
    );
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_with_a_journal_leaves_the_session_to_resume() {
    let emulator = Emulator::builder()
        .latency(Duration::from_millis(100))
        .start()
        .await
        .expect("emulator");
    let (code, stderr) = interrupt_an_import(&emulator, "INT", true);
    assert_eq!(code, 130, "{stderr}");
    assert!(
        stderr.contains(
            "interrupted by SIGINT; the journal import.journal records how far it got: run the same command again to continue"
        ),
        "{stderr}"
    );
    let state = emulator.state();
    let status = state.identity_sources[0].sessions[0].status.as_str();
    assert!(matches!(status, "CREATED" | "IN_PROGRESS"), "{status}");
    emulator.shutdown().await;
}

/// A server on loopback that hands each of its first `connections` connections to
/// `handle`, on a thread of its own; its address.
fn serve(
    connections: usize,
    mut handle: impl FnMut(TcpStream) + Send + 'static,
) -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for stream in listener.incoming().take(connections).flatten() {
            handle(stream);
        }
    });
    addr
}

// Item 7: a server that accepts and never answers.

#[test]
fn a_server_that_never_answers_fails_naming_the_host_and_the_timeout() {
    // Accept and hold every connection, never writing a byte.
    let mut held = Vec::new();
    let addr = serve(16, move |stream| held.push(stream));
    let dir = TempDir::new();
    dir.file("users.csv", USERS);
    let started = Instant::now();
    let (_, stderr) = exits(
        1,
        cli(&dir)
            .args(["import", "users.csv", "--source", "0oa1", "--token", "t"])
            .args(["--org-url", &format!("http://{addr}")])
            .env("OKTA_CLIENT_REQUESTTIMEOUT", "1"),
    );
    assert!(started.elapsed() < Duration::from_secs(15), "{stderr}");
    assert!(
        stderr.contains(&format!("the request to http://{addr} timed out after 1s")),
        "{stderr}"
    );
    // Each attempt that times out is said as it happens, not only at the end.
    assert!(
        stderr.lines().any(|l| l.contains("WARN")
            && l.contains(&format!("no answer from http://{addr} within 1s"))),
        "{stderr}"
    );
}

// Item 9: not TLS, not Okta.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_http_server_behind_https_does_not_speak_tls() {
    let emulator = Emulator::builder().start().await.expect("emulator");
    let dir = TempDir::new();
    let https = emulator.base_url().replace("http://", "https://");
    let started = Instant::now();
    let (_, stderr) = exits(
        1,
        cli(&dir).args([
            "sessions",
            "list",
            "--org-url",
            &https,
            "--token",
            DEFAULT_TOKEN,
            "--source",
            DEFAULT_IDENTITY_SOURCE,
        ]),
    );
    assert!(
        stderr.contains(&format!("the server at {https} does not speak TLS")),
        "{stderr}"
    );
    assert!(!stderr.contains("InvalidContentType"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    // Not retried: well under the retry layer's first backoff and a second attempt.
    assert!(started.elapsed() < Duration::from_secs(5));
    emulator.shutdown().await;
}

#[test]
fn a_server_that_is_not_okta_is_one_line_with_status_and_content_type() {
    let addr = serve(8, |mut stream| {
        let mut reader = BufReader::new(stream.try_clone().expect("clone"));
        let mut line = String::new();
        while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
            line.clear();
        }
        let page = format!(
            "<!DOCTYPE html>\n<html><body><h1>Not Found</h1>{}</body></html>\n",
            "<p>lorem ipsum</p>\n".repeat(200)
        );
        let _ = write!(
            stream,
            "HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
            page.len()
        );
    });
    let dir = TempDir::new();
    let (_, stderr) = exits(
        1,
        cli(&dir).args([
            "sessions",
            "list",
            "--org-url",
            &format!("http://{addr}"),
            "--token",
            "t",
            "--source",
            "0oa1",
        ]),
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("HTTP 404, not an Okta error: a text/html body of"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("<html") && !stderr.contains("lorem"),
        "{stderr}"
    );
}

// Item 10: --output json on every exit.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn output_json_prints_one_object_on_every_exit() {
    let emulator = Emulator::builder().start().await.expect("emulator");
    let dir = TempDir::new();
    dir.file("users.csv", USERS);
    dir.file("bad.csv", "externalId,email\nu1,a@example.com\nu2,bad\n");
    let json = ["--output", "json"];

    // Success.
    let (stdout, _) = exits(
        0,
        cli(&dir)
            .args(["import", "users.csv"])
            .args(json)
            .args(target(&emulator)),
    );
    assert_eq!(one_object(&stdout)["accepted"]["userUpsert"], 2);

    // Invalid input: the problems with file, line and column.
    let (stdout, _) = exits(
        2,
        cli(&dir)
            .args(["import", "bad.csv"])
            .args(json)
            .args(target(&emulator)),
    );
    let out = one_object(&stdout);
    assert_eq!(out["error"]["kind"], "invalidInput", "{out}");
    assert_eq!(out["error"]["exitCode"], 2, "{out}");
    assert_eq!(out["problems"][0]["source"], "bad.csv", "{out}");
    assert_eq!(out["problems"][0]["line"], 3, "{out}");
    assert_eq!(out["problems"][0]["field"], "email", "{out}");

    // A missing file, a usage error, no org.
    for (code, args, kind) in [
        (2, &["import", "missing.csv", "--emulator"][..], "input"),
        (2, &["import", "users.csv", "--no-such-flag"], "usage"),
        (2, &["import", "users.csv"], "usage"),
    ] {
        let (stdout, _) = exits(code, cli(&dir).args(args).args(json));
        let out = one_object(&stdout);
        assert_eq!(out["error"]["kind"], kind, "{args:?}: {out}");
        assert!(
            out["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }

    // An API failure, with what is known so far.
    let (stdout, _) = exits(
        1,
        cli(&dir)
            .args(["import", "users.csv"])
            .args(json)
            .args(["--org-url", &emulator.base_url(), "--token", DEFAULT_TOKEN])
            .args(["--source", "0oanosuchsource00001"]),
    );
    let out = one_object(&stdout);
    assert_eq!(out["error"]["kind"], "api", "{out}");
    assert!(
        out["error"]["message"]
            .as_str()
            .unwrap()
            .contains("E0000007"),
        "{out}"
    );
    assert_eq!(out["progress"]["entitiesTotal"], 2, "{out}");
    emulator.shutdown().await;
}

// Item 11: colours only on a terminal.

#[test]
fn a_redirected_stderr_gets_no_colours() {
    let dir = TempDir::new();
    dir.file("users.csv", USERS);
    let (_, stderr) = exits(
        0,
        cli(&dir).args(["import", "users.csv", "--emulator", "-vv"]),
    );
    assert!(stderr.contains("INFO"), "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "ANSI escapes in {stderr:?}");
}

// Item 12: --token-file; --dry-run checks the target.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_file_and_a_dry_run_that_checks_the_target() {
    let emulator = Emulator::builder().start().await.expect("emulator");
    let dir = TempDir::new();
    dir.file("users.csv", USERS);
    dir.file("token", format!("{DEFAULT_TOKEN}\n"));
    dir.file("wrong-token", "00wrong-secret\n");
    let org = emulator.base_url();
    // `import users.csv` into the emulator with `token_file`, `source` and `more`.
    let import = |code: i32, token_file: &str, source: &str, more: &[&str]| {
        exits(
            code,
            cli(&dir)
                .args(["import", "users.csv", "--org-url", &org])
                .args(["--token-file", token_file, "--source", source])
                .args(more),
        )
    };

    let (stdout, _) = import(0, "token", DEFAULT_IDENTITY_SOURCE, &[]);
    assert!(
        stdout.starts_with("sent and accepted: 2 user upserts"),
        "{stdout}"
    );
    let (_, stderr) = import(2, "nope", DEFAULT_IDENTITY_SOURCE, &[]);
    assert!(
        stderr.contains("--token-file nope: cannot open"),
        "{stderr}"
    );

    // The dry run reads once: bad credentials and an unknown source are found.
    let (_, stderr) = import(1, "wrong-token", DEFAULT_IDENTITY_SOURCE, &["--dry-run"]);
    assert!(
        stderr.contains("dry run: the credentials were refused"),
        "{stderr}"
    );
    assert!(!stderr.contains("00wrong-secret"), "{stderr}");
    let (_, stderr) = import(1, "token", "0oanosuchsource00001", &["--dry-run"]);
    assert!(
        stderr.contains("dry run: the identity source was not found"),
        "{stderr}"
    );

    // --offline: no org needed, nothing at all sent.
    let requests = emulator.state().stats.requests;
    let (stdout, _) = exits(
        0,
        cli(&dir).args(["import", "users.csv", "--dry-run", "--offline"]),
    );
    assert!(stdout.contains("dry run: nothing was sent"), "{stdout}");
    assert!(!stdout.contains("checked:"), "{stdout}");
    assert_eq!(emulator.state().stats.requests, requests);
    let (code, _, _) = run(cli(&dir).args(["import", "users.csv", "--offline"]));
    assert_eq!(code, 2, "--offline needs --dry-run");
    emulator.shutdown().await;
}

// Colours: on a terminal only, and never with NO_COLOR set to anything but "".

/// `okta-idsrc ARGS` on a terminal (a pty from util-linux `script`) in `dir`, `NO_COLOR` as
/// given: what the terminal showed.
fn on_a_terminal(dir: &TempDir, args: &str, no_color: Option<&str>) -> String {
    let mut cmd = std::process::Command::new("script");
    cmd.env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", &dir.0)
        .current_dir(&dir.0)
        .args(["-qec"])
        .arg(format!("'{}' {args}", env!("CARGO_BIN_EXE_okta-idsrc")))
        .arg("/dev/null");
    if let Some(value) = no_color {
        cmd.env("NO_COLOR", value);
    }
    let out = cmd.output().expect("run script (util-linux) for a pty");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Whether `text` holds a colour (SGR) sequence, ESC [ digits and semicolons m: not the
/// progress bar's line clearing.
fn has_colour(text: &str) -> bool {
    text.split('\x1b').skip(1).any(|s| {
        let Some(rest) = s.strip_prefix('[') else {
            return false;
        };
        let end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == ';'))
            .unwrap_or(rest.len());
        end > 0 && rest[end..].starts_with('m')
    })
}

#[test]
fn log_lines_are_coloured_on_a_terminal_unless_no_color_is_set() {
    let dir = TempDir::new();
    dir.file("users.csv", USERS);
    let args = "-v import users.csv --emulator";
    let plain = on_a_terminal(&dir, args, None);
    assert!(plain.contains("INFO"), "{plain}");
    assert!(has_colour(&plain), "coloured on a terminal: {plain:?}");
    let empty = on_a_terminal(&dir, args, Some(""));
    assert!(has_colour(&empty), "an empty NO_COLOR is unset: {empty:?}");
    let off = on_a_terminal(&dir, args, Some("1"));
    assert!(off.contains("INFO"), "{off}");
    assert!(!has_colour(&off), "NO_COLOR=1: {off:?}");
}
