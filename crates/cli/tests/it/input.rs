//! The input layer through the binary: the quote rule, bounded memory on hostile input,
//! validation that agrees across paths, and what an input argument may name.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::common::{TempDir, cli, exits};

/// `okta-idsrc import ARGS… --emulator`, which must exit with `code`: stdout and stderr.
fn import(dir: &TempDir, code: i32, args: &[&str]) -> (String, String) {
    exits(code, cli(dir).arg("import").args(args).arg("--emulator"))
}

/// [`import`] of input that is bad: exit 2, a short stderr (whatever the input) with one
/// `error:` line, holding each of `expected`, saying nothing was sent.
#[track_caller]
fn rejected(dir: &TempDir, args: &[&str], expected: &[&str]) -> String {
    let (stdout, stderr) = import(dir, 2, args);
    assert!(stderr.len() < 3000, "{} bytes of stderr", stderr.len());
    assert!(!stdout.contains("imported"), "{stdout}");
    let error = stderr
        .lines()
        .find(|l| l.starts_with("error: "))
        .unwrap_or_else(|| panic!("no error line: {stderr}"));
    for e in expected {
        assert!(stderr.contains(e), "expected {e:?} in stderr: {stderr}");
    }
    assert!(
        error.contains("nothing was sent") || error.contains("cannot read the input"),
        "{stderr}"
    );
    stderr
}

/// [`import`] of `file --skip-invalid`, which imports the valid records (stdout says
/// `created`) and lists the invalid ones (`listed`).
#[track_caller]
fn skips_invalid(dir: &TempDir, file: &str, created: &str, listed: &str) {
    let (stdout, _) = import(dir, 0, &[file, "--skip-invalid"]);
    assert!(
        stdout.contains(&format!("imported: {created} created")),
        "{stdout}"
    );
    assert!(stdout.contains(listed), "{stdout}");
}

/// `okta-idsrc users create --emulator ARGS…`, which must refuse the user: its stderr.
fn users_create_refuses(dir: &TempDir, args: &[&str]) -> String {
    let (_, stderr) = exits(
        2,
        cli(dir).args(["users", "create", "--emulator"]).args(args),
    );
    stderr
}

/// Runs `cmd` with `input` on its stdin; it must exit with `expected`: stdout and stderr.
fn with_stdin(expected: i32, cmd: &mut Command, input: &[u8]) -> (String, String) {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn okta-idsrc");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("write stdin");
    let out = child.wait_with_output().expect("wait");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert_eq!(
        out.status.code(),
        Some(expected),
        "{cmd:?}: stdout: {stdout}\nstderr: {stderr}"
    );
    (stdout, stderr)
}

// -------------------------------------------------------------------------------------------
// Item 3: an unclosed quote

/// The file of the issue: the quote opened on line 2 swallowed e2.
const UNCLOSED: &str = "externalId,userName,email,title\n\
                        e1,a@x.com,a@x.com,\"unclosed\n\
                        e2,b@x.com,b@x.com,x\n";

#[test]
fn an_unclosed_quote_followed_by_a_record_is_an_error_where_it_opened() {
    let dir = TempDir::new();
    dir.file("users.csv", UNCLOSED);
    rejected(
        &dir,
        &["users.csv"],
        &[
            "users.csv line 2, column title: the quote that opens this field is not closed \
             before line 3, which reads as a whole record",
        ],
    );
    // With --skip-invalid the record the quote would have swallowed is imported.
    skips_invalid(
        &dir,
        "users.csv",
        "1 user",
        "users.csv line 2, column title",
    );
}

#[test]
fn a_quote_open_at_the_end_of_the_file_is_an_error() {
    let dir = TempDir::new();
    for (name, text) in [
        (
            "eof.csv",
            "externalId,email,title\ne1,a@x.com,\"runs to the end\n",
        ),
        (
            "eof2.csv",
            "externalId,email,title\ne1,a@x.com,\"runs\nto the end",
        ),
    ] {
        dir.file(name, text);
        rejected(
            &dir,
            &[name],
            &[&format!(
                "{name} line 2, column title: the quote that opens this field is still open at the end of the file"
            )],
        );
    }
}

#[test]
fn quoted_line_breaks_are_imported() {
    let dir = TempDir::new();
    dir.file(
        "users.csv",
        "externalId,email,homeAddress\n\
         e1,a@x.com,\"1 Main St\nApt 4, back door\"\n\
         e2,b@x.com,x\n",
    );
    let (stdout, _) = import(&dir, 0, &["users.csv", "--output", "json"]);
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(report["entities"]["userUpsert"], 2, "{report}");
    assert_eq!(report["users"]["created"], 2, "{report}");
}

// -------------------------------------------------------------------------------------------
// Item 8: hostile input costs bounded memory and a short message

#[test]
fn a_long_line_is_refused_on_its_line_with_a_short_message() {
    let dir = TempDir::new();
    let long = "a".repeat(3 << 20);
    dir.file("users.csv", format!("externalId,email\n{long}\n"));
    rejected(
        &dir,
        &["users.csv"],
        &["users.csv line 2: the record holds more than 200000 bytes; no bulk load can carry it"],
    );
    dir.file("users.jsonl", format!("{{\"externalId\":\"{long}\"}}\n"));
    rejected(
        &dir,
        &["users.jsonl"],
        &["users.jsonl line 1: the line holds more than 200000 bytes"],
    );
    // The records around it are read: with --skip-invalid they are imported.
    dir.file(
        "mixed.csv",
        format!("externalId,email\nu1,u1@example.com\n{long}\nu3,u3@example.com\n"),
    );
    skips_invalid(
        &dir,
        "mixed.csv",
        "2 users",
        "mixed.csv line 3: the record holds more than",
    );
}

#[test]
fn a_file_of_nul_bytes_is_refused_at_once() {
    let dir = TempDir::new();
    let path = dir.file("users.csv", "");
    std::fs::File::options()
        .write(true)
        .open(&path)
        .and_then(|f| f.set_len(16 << 20))
        .expect("a sparse file of NUL bytes");
    rejected(
        &dir,
        &["users.csv"],
        &["users.csv line 1: the header row holds more than 200000 bytes"],
    );
    for name in ["users.jsonl", "gone.txt"] {
        std::fs::copy(&path, dir.0.join(name)).expect("copy");
    }
    rejected(
        &dir,
        &["users.jsonl"],
        &["users.jsonl line 1: the line holds more than 200000 bytes"],
    );
    dir.file("ok.csv", "externalId,email\nu1,u1@example.com\n");
    rejected(
        &dir,
        &["ok.csv", "--deactivate", "gone.txt"],
        &["gone.txt line 1: the line holds more than 200000 bytes"],
    );
}

#[test]
fn quoted_input_in_messages_is_cut_to_an_excerpt() {
    let dir = TempDir::new();
    // A header name and a JSON key of 150,000 characters each.
    let name = "x".repeat(150_000);
    dir.file("users.csv", format!("externalId,{name}!\nu1,a\n"));
    rejected(&dir, &["users.csv"], &["users.csv line 1, column xxx"]);
    dir.file(
        "memberships.csv",
        "groupExternalId,memberExternalId\ng1,u1\n",
    );
    dir.file("users2.csv", "externalId,email\nu1,u1@example.com\n");
    dir.file(
        "memberships.jsonl",
        format!("{{\"groupExternalId\":\"g1\",\"{name}\":1}}\n"),
    );
    rejected(
        &dir,
        &["users2.csv", "--memberships", "memberships.jsonl"],
        &["memberships.jsonl line 1: invalid JSON", "unknown field"],
    );
}

// -------------------------------------------------------------------------------------------
// Item 13: validation agrees across paths

#[test]
fn an_invalid_email_is_refused_by_bulk_and_by_users_create_alike() {
    let dir = TempDir::new();
    dir.file(
        "users.csv",
        "externalId,email,userName\nu1,u1@example.com,u1\nu2,not-an-email,u2\n",
    );
    rejected(
        &dir,
        &["users.csv"],
        &["users.csv line 3, column email: is not an email address: it has no @"],
    );
    let stderr = users_create_refuses(
        &dir,
        &[
            "--external-id",
            "u2",
            "--profile",
            "email=not-an-email",
            "--profile",
            "userName=u2",
        ],
    );
    assert!(
        stderr.contains("profile.email: is not an email address: it has no @"),
        "{stderr}"
    );
}

#[test]
fn a_bulk_user_without_email_or_user_name_is_sent() {
    // Okta's bulk schema requires neither: an update-only feed is valid.
    let dir = TempDir::new();
    dir.file("titles.csv", "externalId,title\nu1,Engineer\nu2,Manager\n");
    let (stdout, _) = import(&dir, 0, &["titles.csv"]);
    assert!(stdout.contains("imported: 2 users created"), "{stdout}");
    // Warned about once per missing attribute, with where it starts and how often.
    assert!(
        stdout.contains(
            "warning: titles.csv line 2, column email: is missing: Okta can update a user it \
             has from this, but cannot create one without both email and userName (2 entities \
             like this; the first is here)"
        ),
        "{stdout}"
    );
    assert_eq!(
        stdout.matches("column userName: is missing").count(),
        1,
        "{stdout}"
    );
    // users create refuses the same profile.
    let stderr = users_create_refuses(
        &dir,
        &["--external-id", "u1", "--profile", "title=Engineer"],
    );
    assert!(stderr.contains("profile.email: is required"), "{stderr}");
}

#[test]
fn the_count_of_invalid_entities_left_out_is_right() {
    let dir = TempDir::new();
    let mut text = String::from("externalId,email\n");
    for i in 0..301 {
        text.push_str(&format!("u{i},no-at-sign\n"));
    }
    dir.file("users.csv", text);
    let stderr = rejected(
        &dir,
        &["users.csv"],
        &["301 invalid entities; nothing was sent"],
    );
    let details: Vec<_> = stderr.lines().filter(|l| l.starts_with("  ")).collect();
    assert_eq!(details.len(), 20, "{stderr}");
    assert_eq!(details[19], "  … and 282 more invalid entities", "{stderr}");
}

// -------------------------------------------------------------------------------------------
// Item 14: what an input argument may name

#[test]
fn stdin_is_read_as_a_file() {
    let dir = TempDir::new();
    let csv = b"externalId,email\nu1,u1@example.com\nu2,u2@example.com\n";
    let (stdout, _) = with_stdin(0, cli(&dir).args(["import", "-", "--emulator"]), csv);
    assert!(stdout.contains("imported: 2 users created"), "{stdout}");
    let jsonl = b"{\"externalId\":\"u1\",\"profile\":{\"email\":\"u1@example.com\"}}\n";
    let (stdout, _) = with_stdin(0, cli(&dir).args(["import", "-", "--emulator"]), jsonl);
    assert!(stdout.contains("imported: 1 user created"), "{stdout}");
    // Problems name stdin; its caps are those of any file.
    let bad = b"externalId,email\nu1,bad\n";
    let (_, stderr) = with_stdin(2, cli(&dir).args(["import", "-", "--emulator"]), bad);
    assert!(stderr.contains("stdin line 2, column email"), "{stderr}");
    // Deactivations from stdin, one id a line, named as stdin's lines.
    dir.file("users.csv", b"externalId,email\nu1,u1@example.com\n");
    let (stdout, _) = with_stdin(
        0,
        cli(&dir).args(["import", "users.csv", "--deactivate", "-", "--emulator"]),
        b"u2\n",
    );
    assert!(
        stdout.contains("warning: stdin line 1, column externalId: user \"u2\" is neither"),
        "{stdout}"
    );
    // Stdin is one input only.
    let (_, stderr) = with_stdin(
        2,
        cli(&dir).args(["import", "-", "--deactivate", "-", "--emulator"]),
        csv,
    );
    assert!(
        stderr.contains("stdin: stdin (-) can be given as one input only"),
        "{stderr}"
    );
}

#[test]
fn a_directory_a_pipe_or_a_device_is_named_for_what_it_is() {
    let dir = TempDir::new();
    std::fs::create_dir(dir.0.join("users.csv")).expect("mkdir");
    let (_, stderr) = import(&dir, 2, &["users.csv"]);
    assert!(
        stderr.contains("users.csv: is a directory; give the path of a file"),
        "{stderr}"
    );
    let made = Command::new("mkfifo")
        .arg(dir.0.join("pipe.csv"))
        .status()
        .expect("mkfifo");
    assert!(made.success());
    let (_, stderr) = import(&dir, 2, &["pipe.csv"]);
    assert!(stderr.contains("pipe.csv: is a named pipe"), "{stderr}");
    assert!(stderr.contains("give - as the file"), "{stderr}");
    dir.file("ok.csv", "externalId,email\nu1,u1@example.com\n");
    let (_, stderr) = import(&dir, 2, &["ok.csv", "--deactivate", "/dev/null"]);
    assert!(
        stderr.contains("/dev/null: is a device, not a file"),
        "{stderr}"
    );
    let (_, stderr) = import(&dir, 2, &["missing.csv"]);
    assert!(stderr.contains("missing.csv: no such file"), "{stderr}");
}
