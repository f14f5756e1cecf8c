//! The `okta-idsrc` binary end to end: imports into the embedded emulator and into an
//! emulator started here, bad input files, `--skip-invalid`, `--dry-run`, and the operator
//! commands.

use crate::common;

use std::path::PathBuf;

use common::{TempDir, cli, exits, run};

use okta_idsrc_emulator::{DEFAULT_IDENTITY_SOURCE, DEFAULT_TOKEN, Emulator, EmulatorHandle};
use serde_json::Value;

/// An emulator started here, and a directory to run the binary in.
struct Here {
    emulator: EmulatorHandle,
    dir: TempDir,
}

impl Here {
    async fn start() -> Self {
        Self {
            emulator: Emulator::builder().start().await.expect("start emulator"),
            dir: TempDir::new(),
        }
    }

    /// Runs `args` against the emulator, which must exit with `code`: stdout and stderr.
    fn exits(&self, code: i32, args: &[&str]) -> (String, String) {
        let mut cmd = cli(&self.dir);
        cmd.args(args).args([
            "--org-url",
            &self.emulator.base_url(),
            "--token",
            DEFAULT_TOKEN,
            "--source",
            DEFAULT_IDENTITY_SOURCE,
        ]);
        exits(code, &mut cmd)
    }
}

/// An import of `users.csv`, `groups.csv` and `memberships.csv`.
const IMPORT_ALL: &[&str] = &[
    "import",
    "users.csv",
    "--groups",
    "groups.csv",
    "--memberships",
    "memberships.csv",
];

const USERS_CSV: &str = "externalId,email,userName,firstName,lastName,department\n\
                         u1,ann@example.com,ann@example.com,Ann,Lee,Sales\n\
                         u2,bob@example.com,bob@example.com,Bob,,Engineering\n\
                         u3,chloe@example.com,chloe@example.com,Chloé,Núñez,\n";

#[test]
fn imports_csv_into_the_embedded_emulator() {
    let dir = TempDir::new();
    dir.file("users.csv", USERS_CSV);
    dir.file(
        "groups.csv",
        "externalId,displayName,description\nsales,Sales,\n",
    );
    dir.file(
        "memberships.csv",
        "groupExternalId,memberExternalId\nsales,u1\nsales,u2\n",
    );
    let (stdout, stderr) = exits(0, cli(&dir).args(IMPORT_ALL).arg("--emulator"));
    let first = stderr.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("using the embedded emulator at http://127.0.0.1:")
            && first.ends_with("(--emulator)"),
        "{stderr}"
    );
    assert!(
        stdout.contains("imported: 3 users created, 0 updated, 0 deactivated"),
        "{stdout}"
    );
    assert!(
        stdout.contains("  groups: 1 (was 0); memberships: 2 (was 0)"),
        "{stdout}"
    );
    assert!(
        stdout
            .contains("emulator now holds: 3 users (3 active, 0 inactive), 1 group, 2 memberships"),
        "{stdout}"
    );
}

#[test]
fn imports_jsonl_with_json_output() {
    let dir = TempDir::new();
    dir.file(
        "users.jsonl",
        "{\"externalId\":\"j1\",\"profile\":{\"email\":\"j1@example.com\",\"userName\":\"j1\",\"costCenter\":\"CC-1\"}}\n\n\
         {\"externalId\":\"j2\",\"profile\":{\"email\":\"j2@example.com\",\"userName\":\"j2\",\"firstName\":null}}\n",
    );
    dir.file("gone.txt", "j3\n");
    let (stdout, _) = exits(
        0,
        cli(&dir).args([
            "import",
            "users.jsonl",
            "--deactivate",
            "gone.txt",
            "--output",
            "json",
            "--emulator",
        ]),
    );
    let report: Value = serde_json::from_str(&stdout).expect("one JSON object on stdout");
    assert_eq!(report["entities"]["userUpsert"], 2, "{report}");
    assert_eq!(report["entities"]["userDeactivate"], 1, "{report}");
    assert_eq!(report["users"]["created"], 2, "{report}");
    // Sent and accepted, but j3 is nowhere: nothing was deactivated, and a warning says why.
    assert_eq!(report["accepted"]["userDeactivate"], 1, "{report}");
    assert_eq!(report["users"]["deactivated"], 0, "{report}");
    assert_eq!(report["warnings"][0]["source"], "gone.txt", "{report}");
    assert_eq!(report["warnings"][0]["line"], 1, "{report}");
    assert_eq!(report["emulator"]["users"]["active"], 2, "{report}");
    assert_eq!(report["emulator"]["users"]["inactive"], 0, "{report}");
    assert_eq!(report["dryRun"], false);
    assert!(report["elapsedSeconds"].is_number());
}

/// Runs `import FILE` against an emulator started here and checks it fails with exit 2,
/// `expected` in stderr, and no session opened.
#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn rejects(name: &str, contents: &[u8], expected: &[&str]) -> String {
    let here = Here::start().await;
    here.dir.file(name, contents);
    let (_, stderr) = here.exits(2, &["import", name]);
    for e in expected {
        assert!(stderr.contains(e), "expected {e:?} in stderr: {stderr}");
    }
    assert!(stderr.starts_with("error: "), "{stderr}");
    let state = here.emulator.state();
    assert!(
        state.identity_sources[0].sessions.is_empty(),
        "nothing must be uploaded: {state:?}"
    );
    assert_eq!(state.stats.requests, 0, "no request at all");
    here.emulator.shutdown().await;
    stderr
}

#[test]
fn rejects_a_header_without_external_id() {
    rejects(
        "users.csv",
        b"id,email\n1,a@example.com\n",
        &[
            "users.csv line 1",
            "no externalId column",
            "found: id,email",
        ],
    );
}

#[test]
fn rejects_bad_utf8_with_line_and_column() {
    rejects(
        "users.csv",
        b"externalId,firstName\nu1,Ann\nu2,Bo\xFFb\n",
        &["users.csv line 3, column firstName: is not valid UTF-8"],
    );
}

#[test]
fn rejects_an_over_long_field() {
    let email = format!("{}@example.com", "a".repeat(89));
    assert_eq!(email.len(), 101);
    let text = format!("externalId,email\nu1,ok@example.com\nu2,{email}\n");
    rejects(
        "users.csv",
        text.as_bytes(),
        &["users.csv line 3, column email: is 101 characters; at most 100 allowed"],
    );
}

#[test]
fn rejects_a_four_byte_character() {
    rejects(
        "users.csv",
        "externalId,firstName\nu1,Ann 😀\n".as_bytes(),
        &["users.csv line 2, column firstName", "4-byte"],
    );
}

#[test]
fn rejects_duplicate_external_ids_naming_both_lines() {
    let stderr = rejects(
        "users.csv",
        b"externalId,email\nu1,a@example.com\nu2,b@example.com\nu1,c@example.com\n",
        &["users.csv line 4", "line 2"],
    );
    assert!(stderr.contains("u1"), "{stderr}");
}

#[test]
fn rejects_an_empty_file() {
    rejects("users.csv", b"", &["users.csv", "is empty"]);
}

#[test]
fn rejects_a_jsonl_syntax_error_with_line() {
    rejects(
        "users.jsonl",
        b"{\"externalId\":\"u1\",\"profile\":{}}\n{\"externalId\":\"u2\",\n",
        &["users.jsonl line 2", "invalid JSON"],
    );
}

#[test]
fn rejects_a_row_with_the_wrong_number_of_fields() {
    rejects(
        "users.csv",
        b"externalId,email\nu1,a@example.com\nu2,b@example.com,extra\n",
        &["users.csv line 3", "has 3 fields; the header has 2"],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skip_invalid_imports_the_rest_and_lists_skipped_lines() {
    let here = Here::start().await;
    here.dir.file(
        "users.csv",
        "externalId,email\nu1,a@example.com\nu2,bad\nu3,c@example.com\n",
    );
    let (stdout, _) = here.exits(0, &["import", "users.csv", "--skip-invalid"]);
    assert!(
        stdout.contains("users.csv line 3, column email"),
        "{stdout}"
    );
    let state = here.emulator.state();
    let users: Vec<_> = state.identity_sources[0]
        .users
        .iter()
        .map(|u| u.external_id.as_str())
        .collect();
    assert_eq!(users, ["u1", "u3"]);
    here.emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_sends_nothing() {
    let here = Here::start().await;
    here.dir.file("users.csv", USERS_CSV);
    let (stdout, _) = here.exits(0, &["import", "users.csv", "--dry-run"]);
    assert!(stdout.contains("dry run: nothing was sent"), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "the credentials are accepted and identity source {DEFAULT_IDENTITY_SOURCE} exists"
        )),
        "{stdout}"
    );
    let state = here.emulator.state();
    assert_eq!(state.stats.requests, 1, "one read, to check the target");
    assert!(state.identity_sources[0].sessions.is_empty());
    here.emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_commands_after_an_import() {
    let here = Here::start().await;
    here.dir.file("users.csv", USERS_CSV);
    here.dir
        .file("groups.csv", "externalId,displayName\nsales,Sales\n");
    here.dir.file(
        "memberships.csv",
        "groupExternalId,memberExternalId\nsales,u1\nsales,u3\n",
    );
    here.exits(0, IMPORT_ALL);

    let json = |args: &[&str]| -> Value {
        let (stdout, _) = here.exits(0, args);
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{args:?}: {e}: {stdout}"))
    };
    let sessions = json(&["sessions", "list"]);
    let sessions = sessions.as_array().expect("an array");
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0]["status"], "COMPLETED");
    let id = sessions[0]["id"].as_str().expect("id");
    assert_eq!(json(&["sessions", "get", id])["id"], id);

    let user = json(&["users", "get", "u3"]);
    assert_eq!(user["externalId"], "u3");
    assert_eq!(user["profile"]["firstName"], "Chloé");
    assert_eq!(user["profile"]["lastName"], "Núñez");

    let members = json(&["memberships", "list", "sales", "--limit", "1"]);
    assert_eq!(
        members["memberExternalIds"],
        serde_json::json!(["u1", "u3"])
    );

    let created = json(&[
        "users",
        "create",
        "--external-id",
        "u9",
        "--profile",
        "email=u9@example.com",
        "--profile",
        "userName=u9",
        "--profile",
        "department=Ops",
    ]);
    assert_eq!(created["externalId"], "u9");
    assert_eq!(created["profile"]["department"], "Ops");

    let (_, stderr) = here.exits(1, &["users", "get", "nobody"]);
    assert!(
        stderr.starts_with("error: ") && stderr.contains("E0000007"),
        "{stderr}"
    );
    here.emulator.shutdown().await;
}

#[test]
fn bad_flags_are_usage_errors() {
    let dir = TempDir::new();
    exits(2, cli(&dir).args(["import"]));
    dir.file("users.txt", "x");
    let (_, stderr) = exits(2, cli(&dir).args(["import", "users.txt", "--emulator"]));
    assert!(stderr.contains("--format"), "{stderr}");
    let (_, stderr) = exits(2, cli(&dir).args(["import", "missing.csv", "--emulator"]));
    assert!(stderr.contains("missing.csv"), "{stderr}");
}

#[test]
fn the_token_is_never_printed() {
    let dir = TempDir::new();
    dir.file("users.csv", USERS_CSV);
    let (code, stdout, stderr) = run(cli(&dir)
        .args([
            "import",
            "users.csv",
            "--org-url",
            "https://127.0.0.1:9",
            "--source",
            "0oa1",
            "-vv",
        ])
        .env("OKTA_CLIENT_TOKEN", "00secret-token-value"));
    assert_ne!(code, 0);
    assert!(
        !stdout.contains("00secret") && !stderr.contains("00secret"),
        "{stdout}\n{stderr}"
    );
}

#[test]
fn the_committed_sample_is_what_the_generator_writes() {
    let dir = TempDir::new();
    exits(
        0,
        cli(&dir).args([
            "sample",
            "--count",
            "3000",
            "--out",
            "users.csv",
            "--groups",
            "groups.csv",
            "--memberships",
            "memberships.csv",
        ]),
    );
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/data");
    for name in ["users.csv", "groups.csv", "memberships.csv"] {
        let committed = std::fs::read(data.join(name)).expect("committed sample");
        let generated = std::fs::read(dir.0.join(name)).expect("generated sample");
        assert!(
            committed == generated,
            "examples/data/{name} differs from the generator's output; see examples/data/README.md"
        );
    }
}
