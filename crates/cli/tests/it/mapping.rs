//! `--map mapping.toml`: HR exports as they come (Workday's column names, status and
//! worker-type columns) synced and imported into an emulator started here.

use std::process::Command;

use okta_idsrc_emulator::{DEFAULT_IDENTITY_SOURCE, DEFAULT_TOKEN, Emulator, EmulatorHandle};

use crate::common::{TempDir, against, cli, exits};

/// The example export and mapping, as shipped in examples/data/workday.
const EXPORT: &str = include_str!("../../../../examples/data/workday/export.csv");
const MAPPING: &str = include_str!("../../../../examples/data/workday/mapping.toml");

/// The binary in `dir`, pointed at `emulator` by the environment.
fn okta(dir: &TempDir, emulator: &EmulatorHandle) -> Command {
    against(dir, emulator, DEFAULT_TOKEN)
}

/// The export with the row of `id` changed by `edit` (its fields, in header order).
fn edit(export: &str, id: &str, edit: impl Fn(&mut Vec<String>)) -> String {
    export
        .lines()
        .map(|line| {
            if line.starts_with(&format!("{id},")) {
                let mut fields: Vec<String> = line.split(',').map(str::to_owned).collect();
                edit(&mut fields);
                fields.join(",")
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// The users the emulator holds: (external id, active), sorted.
fn held(emulator: &EmulatorHandle) -> Vec<(String, bool)> {
    let state = emulator.state();
    let source = state
        .identity_source(DEFAULT_IDENTITY_SOURCE)
        .expect("source");
    let mut users: Vec<(String, bool)> = source
        .users
        .iter()
        .map(|u| (u.external_id.clone(), u.active))
        .collect();
    users.sort();
    users
}

fn ids(range: impl IntoIterator<Item = u32>, active: bool) -> Vec<(String, bool)> {
    range
        .into_iter()
        .map(|i| (format!("W{i}"), active))
        .collect()
}

/// One night: `sync run --map` of `export`.
fn night(dir: &TempDir, emulator: &EmulatorHandle, export: &str) -> String {
    let users = dir.file("export.csv", export);
    let map = dir.file("mapping.toml", MAPPING);
    let (stdout, _) = exits(
        0,
        okta(dir, emulator)
            .args(["sync", "run"])
            .arg(users)
            .arg("--map")
            .arg(map)
            .args(["--state", "state.db"]),
    );
    stdout
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workday_export_syncs_night_after_night_through_the_mapping() {
    let emulator = Emulator::start().await.expect("emulator");
    let dir = TempDir::new();

    // Night 1: 20 rows; W1005 and W1014 are contractors, W1010 terminated, W1018 retired.
    let stdout = night(&dir, &emulator, EXPORT);
    assert!(
        stdout.contains("16 users upserted, 0 deactivated"),
        "{stdout}"
    );
    // The skipped rows are counted, not silently dropped.
    assert!(
        stdout.contains("; 2 more users the mapping skips, left as they are"),
        "{stdout}"
    );
    let mut expected: Vec<(String, bool)> = ids(1001..=1020, true)
        .into_iter()
        .filter(|(id, _)| !["W1005", "W1014", "W1010", "W1018"].contains(&id.as_str()))
        .collect();
    assert_eq!(held(&emulator), expected);
    let state = emulator.state();
    let source = state
        .identity_source(DEFAULT_IDENTITY_SOURCE)
        .expect("source");
    let ada = source.user("W1001").expect("Ada");
    assert_eq!(
        ada.profile.user_name.as_deref(),
        Some("ada.lovelace@example.com")
    );
    assert_eq!(
        ada.profile.email.as_deref(),
        Some("Ada.Lovelace@Example.com")
    );
    assert_eq!(
        ada.profile.get_custom_attribute("department"),
        Some("Engineering")
    );
    assert_eq!(
        ada.profile.get_custom_attribute("costCenter"),
        Some("CC-100")
    );
    assert_eq!(
        ada.profile.get_custom_attribute("displayName"),
        Some("Ada Lovelace")
    );
    assert_eq!(ada.profile.get_custom_attribute("Hire Date"), None);

    // Night 2: Alan Turing (W1003) is terminated; a contractor (W1021) joins.
    let night2 = edit(EXPORT, "W1003", |f| f[5] = "Terminated".to_owned())
        + "W1021,Con,Tractor,con.tractor@example.com,Sales,Active,Contractor,CC-130,2024-01-15\n";
    let stdout = night(&dir, &emulator, &night2);
    assert!(
        stdout.contains("0 users upserted, 1 deactivated"),
        "{stdout}"
    );
    expected
        .iter_mut()
        .find(|(id, _)| id == "W1003")
        .expect("W1003")
        .1 = false;
    assert_eq!(held(&emulator), expected);

    // Night 3: the contractor W1005 is hired (no longer skipped); Grace Hopper (W1002)
    // becomes a contractor and moves department: her row is skipped, and she is kept as
    // she was — neither updated nor deactivated.
    let night3 = edit(&night2, "W1005", |f| f[6] = "Employee".to_owned());
    let night3 = edit(&night3, "W1002", |f| {
        f[6] = "Contractor".to_owned();
        f[4] = "Sales".to_owned();
    });
    let stdout = night(&dir, &emulator, &night3);
    assert!(
        stdout.contains("1 users upserted, 0 deactivated"),
        "{stdout}"
    );
    assert!(
        stdout.contains("; 3 more users the mapping skips"),
        "W1002, W1014, W1021: {stdout}"
    );
    expected.push(("W1005".to_owned(), true));
    expected.sort();
    assert_eq!(held(&emulator), expected);
    let state = emulator.state();
    let source = state
        .identity_source(DEFAULT_IDENTITY_SOURCE)
        .expect("source");
    let grace = source.user("W1002").expect("Grace");
    assert!(grace.active);
    assert_eq!(
        grace.profile.get_custom_attribute("department"),
        Some("Finance")
    );
    assert!(source.user("W1021").is_none(), "contractors stay out");

    // Night 4: the same export: nothing to do.
    let stdout = night(&dir, &emulator, &night3);
    assert!(stdout.contains("nothing to do"), "{stdout}");
    // The plan as JSON counts the snapshot, the skipped rows among it.
    let (stdout, _) = exits(
        0,
        okta(&dir, &emulator)
            .args(["sync", "plan", "export.csv", "--map", "mapping.toml"])
            .args(["--state", "state.db", "--output", "json"]),
    );
    let plan: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON object");
    assert_eq!(plan["snapshot"]["kept"], 3, "{plan}");
    // 21 rows: 3 skipped, 3 deactivated by the mapping (W1003, W1010, W1018), 15 users.
    assert_eq!(plan["snapshot"]["users"], 15, "{plan}");
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_with_a_mapping_deactivates_the_deactivate_rows() {
    let emulator = Emulator::start().await.expect("emulator");
    let dir = TempDir::new();
    let map = dir.file("mapping.toml", MAPPING);
    let users = dir.file("export.csv", EXPORT);
    exits(
        0,
        okta(&dir, &emulator)
            .arg("import")
            .arg(&users)
            .arg("--map")
            .arg(&map),
    );
    let night2 = edit(EXPORT, "W1003", |f| f[5] = "Retired".to_owned());
    let users = dir.file("export.csv", night2);
    let (stdout, _) = exits(
        0,
        okta(&dir, &emulator)
            .arg("import")
            .arg(&users)
            .arg("--map")
            .arg(&map),
    );
    assert!(stdout.contains("accepted"), "{stdout}");
    // The two contractors are counted as skipped, not silently dropped.
    assert!(
        stdout.contains("  2 users the mapping skips: not sent"),
        "{stdout}"
    );
    let (stdout, _) = exits(
        0,
        okta(&dir, &emulator)
            .args(["import", "--output", "json", "--map"])
            .arg(&map)
            .arg(&users),
    );
    let out: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON object");
    assert_eq!(out["mappingSkipped"], 2, "{out}");
    let held = held(&emulator);
    assert!(held.contains(&("W1003".to_owned(), false)), "{held:?}");
    assert!(!held.iter().any(|(id, _)| id == "W1005"), "{held:?}");
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_column_the_file_lacks_is_an_error_before_anything_is_sent() {
    let emulator = Emulator::start().await.expect("emulator");
    let dir = TempDir::new();
    let map = dir.file(
        "mapping.toml",
        MAPPING.replace("\"Cost Center\"", "\"Cost Centre\""),
    );
    let users = dir.file("export.csv", EXPORT);
    for args in [&["import"][..], &["sync", "run", "--state", "s.db"]] {
        let (_, stderr) = exits(
            2,
            okta(&dir, &emulator)
                .args(args)
                .arg(&users)
                .arg("--map")
                .arg(&map),
        );
        assert!(
            stderr.contains("export.csv")
                && stderr.contains(
                    "line 1: the header has no column \"Cost Centre\", which the mapping"
                )
                && stderr.contains("mapping.toml line 11 maps it to costCenter"),
            "{stderr}"
        );
    }
    assert_eq!(emulator.state().stats.requests, 0, "no request at all");
    emulator.shutdown().await;
}

#[test]
fn mapping_file_errors_name_the_file_and_line() {
    let dir = TempDir::new();
    let users = dir.file("export.csv", EXPORT);
    for (text, expected) in [
        (
            "[columns]\n\"Employee ID\" = \"externalId\"\n\"Work Email\" = \"e-mail!\"\n",
            "mapping.toml line 3: \"e-mail!\": is not a valid attribute name",
        ),
        ("[column]\n", "mapping.toml line 1: unknown field `column`"),
        (
            "[columns]\n\"Employee ID\" = \"externalId\"\n[derived]\nuserName = \"{Work Email | snake}\"\n",
            "mapping.toml line 4: the template of userName: unknown filter \"snake\"",
        ),
    ] {
        let map = dir.file("mapping.toml", text);
        let (_, stderr) = exits(
            2,
            cli(&dir)
                .args(["import", "--dry-run", "--offline"])
                .arg(&users)
                .arg("--map")
                .arg(&map),
        );
        assert!(stderr.contains(expected), "{text}: {stderr}");
    }
}

/// `import --dry-run --offline` of `users` through `mapping`: exit code, stdout, stderr.
fn dry_run(dir: &TempDir, users: &str, users_name: &str, mapping: &str) -> (i32, String, String) {
    let map = dir.file("m.toml", mapping);
    offline(
        dir,
        users_name,
        users,
        &["--map", map.to_str().expect("UTF-8 path")],
    )
}

#[test]
fn a_kept_column_giving_what_the_mapping_gives_is_refused_in_csv_and_json_lines() {
    let dir = TempDir::new();
    let mapping = "unmapped = \"keep\"\n[columns]\nID = \"externalId\"\nMail = \"email\"\n";
    let csv = "ID,Mail,email\n1,a@x.com,b@x.com\n";
    let jsonl = "{\"ID\": 1, \"Mail\": \"a@x.com\", \"email\": \"b@x.com\"}\n";
    for (name, users) in [("u.csv", csv), ("u.jsonl", jsonl)] {
        let (code, _, stderr) = dry_run(&dir, users, name, mapping);
        assert_eq!(code, 2, "{name}: {stderr}");
        assert!(
            stderr.contains(&format!(
                "{name} line 1, column email: kept under its own name, would give email"
            )),
            "{stderr}"
        );
    }
}

#[test]
fn derived_values_unmapped_error_and_limits() {
    let dir = TempDir::new();
    let mapping = "unmapped = \"error\"\n[columns]\nID = \"externalId\"\nMail = \"email\"\n[derived]\nuserName = \"{Mail | lower}\"\n";
    let (code, stdout, stderr) = dry_run(&dir, "ID,Mail\n1,A@X.COM\n", "u.csv", mapping);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("1 valid entity"), "{stdout}");
    let (code, _, stderr) = dry_run(&dir, "ID,Mail,Extra\n1,a@x.com,y\n", "u.csv", mapping);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("u.csv line 1, column Extra: is not named in the mapping"),
        "{stderr}"
    );
    // A derived userName over Okta's 100 characters is an invalid value like any other.
    let long = format!("ID,Mail\n1,{}@x.com\n", "a".repeat(120));
    let (code, _, stderr) = dry_run(&dir, &long, "u.csv", mapping);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("u.csv line 2") && stderr.contains("userName"),
        "{stderr}"
    );
}

#[test]
fn json_lines_with_a_mapping() {
    let dir = TempDir::new();
    let mapping = "unmapped = \"ignore\"\n[columns]\n\"Employee ID\" = \"externalId\"\n\"Work Email\" = \"email\"\n[derived]\nuserName = \"{Work Email | lower}\"\n[skip]\n\"Worker Type\" = [\"Contractor\"]\n";
    let users = "{\"Employee ID\": 1001, \"Work Email\": \"A@x.com\", \"Worker Type\": \"Employee\", \"Other\": [1]}\n\
                 {\"Employee ID\": 1002, \"Work Email\": \"b@x.com\", \"Worker Type\": \"contractor\"}\n";
    let (code, stdout, stderr) = dry_run(&dir, users, "u.jsonl", mapping);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("1 valid entity"), "{stdout}");
    let bad = "{\"Employee ID\": {\"x\": 1}, \"Work Email\": \"a@x.com\", \"Worker Type\": \"Employee\"}\n";
    let (code, _, stderr) = dry_run(&dir, bad, "u.jsonl", mapping);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("u.jsonl line 1")
            && stderr.contains("Employee ID")
            && stderr.contains("is a JSON object"),
        "{stderr}"
    );
    let missing = "{\"ID\": 1, \"Work Email\": \"a@x.com\", \"Worker Type\": \"x\"}\n";
    let (code, _, stderr) = dry_run(&dir, missing, "u.jsonl", mapping);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("no line has the key \"Employee ID\""),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_and_memberships_through_the_mapping() {
    let emulator = Emulator::start().await.expect("emulator");
    let dir = TempDir::new();
    let mapping = format!(
        "{MAPPING}\n[groups]\nunmapped = \"ignore\"\n[groups.columns]\n\"Group ID\" = \"externalId\"\n\"Group Name\" = \"displayName\"\n\n[memberships.columns]\n\"Group ID\" = \"groupExternalId\"\n\"Employee ID\" = \"memberExternalId\"\n"
    );
    let map = dir.file("mapping.toml", mapping);
    let users = dir.file("export.csv", EXPORT);
    let groups = dir.file(
        "groups.csv",
        "Group ID,Group Name,Owner\neng,Engineering,Ada\n",
    );
    let members = dir.file(
        "members.csv",
        "Group ID,Employee ID\neng,W1001\neng,W1002\n",
    );
    exits(
        0,
        okta(&dir, &emulator)
            .args(["sync", "run", "--state", "s.db"])
            .arg(&users)
            .arg("--groups")
            .arg(&groups)
            .arg("--memberships")
            .arg(&members)
            .arg("--map")
            .arg(&map),
    );
    let counts = emulator.counts(DEFAULT_IDENTITY_SOURCE).expect("source");
    assert_eq!((counts.groups, counts.memberships), (1, 2));
    let state = emulator.state();
    let source = state
        .identity_source(DEFAULT_IDENTITY_SOURCE)
        .expect("source");
    assert_eq!(
        source
            .group("eng")
            .expect("eng")
            .profile
            .display_name
            .as_deref(),
        Some("Engineering")
    );
    emulator.shutdown().await;
}

#[test]
fn map_check_reports_an_id_on_two_rows_as_import_would() {
    let dir = TempDir::new();
    let map = dir.file("mapping.toml", MAPPING);
    // Line 22: Ada again; line 23: Grace again, terminated (an upsert and a deactivation).
    let export = format!(
        "{EXPORT}W1001,Ada,Lovelace,ada2@example.com,Engineering,Active,Employee,CC-100,2010-01-15\n\
         W1002,Grace,Hopper,grace@example.com,Finance,Terminated,Employee,CC-110,2011-02-15\n"
    );
    let users = dir.file("export.csv", export);
    let (stdout, _) = exits(
        2,
        cli(&dir)
            .args(["map", "check", "--map"])
            .arg(&map)
            .arg(&users),
    );
    assert!(
        stdout.contains("line 22")
            && stdout.contains("duplicate user externalId \"W1001\"; first at line 2"),
        "{stdout}"
    );
    assert!(
        stdout.contains("line 23, column externalId: user externalId \"W1002\" is both upserted")
            && stdout.contains("export.csv line 3) and deactivated here"),
        "{stdout}"
    );
    // import refuses the same file with the same words, sending nothing.
    let (_, stderr) = exits(
        2,
        cli(&dir)
            .args(["import", "--dry-run", "--offline", "--map"])
            .arg(&map)
            .arg(&users),
    );
    assert!(
        stderr.contains("duplicate user externalId \"W1001\"; first at line 2"),
        "{stderr}"
    );
}

#[test]
fn map_check_prints_the_first_rows_as_mapped_and_every_problem() {
    let dir = TempDir::new();
    let map = dir.file("mapping.toml", MAPPING);
    let users = dir.file("export.csv", EXPORT);
    let (stdout, _) = exits(
        0,
        cli(&dir)
            .args(["map", "check", "--rows", "5", "--map"])
            .arg(&map)
            .arg(&users),
    );
    assert!(
        stdout.contains("line 2: upsert {\"externalId\":\"W1001\",\"profile\":{\"email\":\"Ada.Lovelace@Example.com\"")
            && stdout.contains("\"userName\":\"ada.lovelace@example.com\"")
            && stdout.contains("line 6: skip W1005 (Worker Type = Contractor)")
            && stdout.contains("20 rows: 16 upserts, 2 deactivations, 2 skipped; no problem"),
        "{stdout}"
    );
    assert!(!stdout.contains("line 7:"), "five rows shown: {stdout}");
    // Problems anywhere in the file, each with its line and column; exit 2.
    let bad = edit(EXPORT, "W1019", |f| f[0] = String::new());
    let bad = edit(&bad, "W1020", |f| {
        f[3] = format!("{}@x.com", "x".repeat(120))
    });
    let users = dir.file("bad.csv", bad);
    let (stdout, stderr) = exits(
        2,
        cli(&dir)
            .args(["map", "check", "--output", "json", "--map"])
            .arg(&map)
            .arg(&users),
    );
    let out: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(out["counts"]["upserts"], 16, "{out}");
    let problems = out["problems"].as_array().expect("problems");
    assert!(
        problems
            .iter()
            .any(|p| p["line"] == 20 && p["field"] == "externalId"),
        "{out}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p["line"] == 21 && p["field"] == "userName"),
        "{out}"
    );
    assert!(
        stderr.contains("problems found through the mapping"),
        "{stderr}"
    );
}

/// `import --dry-run --offline` of the file `name` holding `users`, with `args`.
fn offline(dir: &TempDir, name: &str, users: &str, args: &[&str]) -> (i32, String, String) {
    let users = dir.file(name, users);
    crate::common::run(
        cli(dir)
            .args(["import", "--dry-run", "--offline"])
            .arg(users)
            .args(args),
    )
}

#[test]
fn delimiters_semicolon_tab_and_the_hint() {
    let dir = TempDir::new();
    let semi = "externalId;email;userName\nu1;a@x.com;a@x.com\nu2;b@x.com;\"b;c\"\n";
    let (code, stdout, stderr) = offline(&dir, "u.csv", semi, &["--delimiter", ";"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("2 valid entities"), "{stdout}");
    // Without --delimiter: the header is one field holding semicolons; the error says so.
    let (code, _, stderr) = offline(&dir, "u.csv", semi, &[]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("give --delimiter ';' if the file is separated by them"),
        "{stderr}"
    );
    // .tsv is tab-separated; --delimiter tab as well.
    let tsv = "externalId\temail\tuserName\nu1\ta@x.com\ta@x.com\n";
    let (code, stdout, stderr) = offline(&dir, "u.tsv", tsv, &[]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("1 valid entity"), "{stdout}");
    let (code, stdout, stderr) = offline(&dir, "u.csv", tsv, &["--delimiter", "tab"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let (code, _, stderr) = offline(&dir, "u.csv", tsv, &[]);
    assert_eq!(code, 2);
    assert!(stderr.contains("give --delimiter tab"), "{stderr}");
    // Every CSV input takes the delimiter: a ;-separated deactivations CSV too.
    let ids = dir.file("gone.csv", "name;externalId\nOld;u9\n");
    let ids = ids.to_str().expect("utf-8 path");
    let (code, stdout, stderr) = offline(
        &dir,
        "u.csv",
        semi,
        &["--delimiter", ";", "--deactivate", ids],
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("3 valid entities"), "{stdout}");
    // A mapped export separated by semicolons.
    let export = EXPORT.replace(',', ";");
    let map = dir.file("mapping.toml", MAPPING);
    let map = map.to_str().expect("utf-8 path");
    let (code, stdout, stderr) =
        offline(&dir, "w.csv", &export, &["--map", map, "--delimiter", ";"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("18 valid entities"), "{stdout}");
}

/// Runs `cmd` with `input` on stdin, expecting `code`: stdout and stderr.
fn with_stdin(cmd: &mut Command, input: &str, code: i32) -> (String, String) {
    use std::io::Write;
    let mut child = cmd
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("wait");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert_eq!(out.status.code(), Some(code), "{stdout}{stderr}");
    (stdout, stderr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stdin_with_sync_run_and_import() {
    let emulator = Emulator::start().await.expect("emulator");
    let dir = TempDir::new();
    let map = dir.file("mapping.toml", MAPPING);
    let (stdout, _) = with_stdin(
        okta(&dir, &emulator)
            .args(["sync", "run", "-", "--state", "s.db", "--map"])
            .arg(&map),
        EXPORT,
        0,
    );
    assert!(stdout.contains("16 users upserted"), "{stdout}");
    let users = "externalId,email,userName\nnew1,n@x.com,n@x.com\n";
    let (stdout, _) = with_stdin(okta(&dir, &emulator).args(["import", "-"]), users, 0);
    assert!(stdout.contains("1 user upserts"), "{stdout}");
    assert_eq!(
        emulator
            .counts(DEFAULT_IDENTITY_SOURCE)
            .expect("source")
            .users_active,
        17
    );
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_removes_memberships_and_deletes_groups() {
    let emulator = Emulator::start().await.expect("emulator");
    let dir = TempDir::new();
    let users = dir.file(
        "users.csv",
        "externalId,email,userName\nu1,a@x.com,a@x.com\nu2,b@x.com,b@x.com\n",
    );
    let groups = dir.file(
        "groups.csv",
        "externalId,displayName\neng,Engineering\nops,Operations\n",
    );
    let members = dir.file(
        "members.csv",
        "groupExternalId,memberExternalId\neng,u1\neng,u2\nops,u1\n",
    );
    exits(
        0,
        okta(&dir, &emulator)
            .arg("import")
            .arg(&users)
            .arg("--groups")
            .arg(&groups)
            .arg("--memberships")
            .arg(&members),
    );
    let counts = emulator.counts(DEFAULT_IDENTITY_SOURCE).expect("source");
    assert_eq!((counts.groups, counts.memberships), (2, 3));
    let remove = dir.file("remove.csv", "groupExternalId,memberExternalId\neng,u2\n");
    let delete = dir.file("delete.txt", "ops\n");
    exits(
        0,
        okta(&dir, &emulator)
            .arg("import")
            .arg(&users)
            .arg("--remove-memberships")
            .arg(&remove)
            .arg("--delete-groups")
            .arg(&delete),
    );
    let counts = emulator.counts(DEFAULT_IDENTITY_SOURCE).expect("source");
    assert_eq!((counts.groups, counts.memberships), (1, 1));
    let state = emulator.state();
    let source = state
        .identity_source(DEFAULT_IDENTITY_SOURCE)
        .expect("source");
    assert!(source.group("ops").is_none());
    emulator.shutdown().await;
}
