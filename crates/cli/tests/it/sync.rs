//! `okta-idsrc sync` as an admin's cron runs it: nightly exports against an emulator started
//! here (one that outlives each command, as an org does), a state file in a temp directory.

use std::process::Command;

use okta_idsrc_emulator::{DEFAULT_IDENTITY_SOURCE, DEFAULT_TOKEN, Emulator, EmulatorHandle};
use okta_idsrc_sync::StateLock;
use serde_json::Value;

use crate::common::{TempDir, against, cli, exits, one_object};

const HEADER: &str = "externalId,userName,email,firstName,lastName,title\n";

/// A users export of people `ids`, with `title` for everyone but the titles in `titles`.
fn export(ids: impl IntoIterator<Item = usize>, titles: &[(usize, &str)]) -> String {
    let mut csv = HEADER.to_owned();
    for i in ids {
        let title = titles
            .iter()
            .find(|(j, _)| *j == i)
            .map_or("Engineer", |(_, t)| t);
        csv.push_str(&format!(
            "emp-{i:04},u{i}@example.com,u{i}@example.com,First{i},Last{i},{title}\n"
        ));
    }
    csv
}

/// The binary in `dir`, pointed at `emulator` by the environment, as a cron job would be.
fn sync(dir: &TempDir, emulator: &EmulatorHandle) -> Command {
    let mut cmd = against(dir, emulator, DEFAULT_TOKEN);
    cmd.arg("sync");
    cmd
}

/// Sessions the emulator has seen for the identity source.
fn sessions(emulator: &EmulatorHandle) -> usize {
    emulator
        .counts(DEFAULT_IDENTITY_SOURCE)
        .expect("identity source")
        .sessions
        .len()
}

/// One night: `sync run` of `users` (a file in `dir`), expecting `code`.
fn night(dir: &TempDir, emulator: &EmulatorHandle, users: &str, code: i32) -> (String, String) {
    let path = dir.file("users.csv", users);
    exits(
        code,
        sync(dir, emulator)
            .arg("run")
            .arg(path)
            .args(["--state", "state.db"]),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nightly_runs_send_only_the_changes_and_deactivate_leavers() {
    let emulator = Emulator::start().await.expect("emulator");
    let dir = TempDir::new();

    let (stdout, _) = night(&dir, &emulator, &export(0..300, &[]), 0);
    assert!(stdout.contains("300 users upserted"), "{stdout}");
    let counts = emulator.counts(DEFAULT_IDENTITY_SOURCE).expect("source");
    assert_eq!(counts.users_active, 300);

    // Day two: one promotion, one leaver (emp-0007).
    let day2 = export((0..300).filter(|i| *i != 7), &[(3, "Staff Engineer")]);
    let (stdout, _) = night(&dir, &emulator, &day2, 0);
    assert!(
        stdout.contains("emp-0003  title: \"Engineer\" → \"Staff Engineer\""),
        "{stdout}"
    );
    assert!(
        stdout.contains("emp-0007  First7 Last7"),
        "the leaver is named: {stdout}"
    );
    assert!(
        stdout.contains("1 users upserted, 1 deactivated"),
        "{stdout}"
    );
    let state = emulator.state();
    let source = state
        .identity_source(DEFAULT_IDENTITY_SOURCE)
        .expect("source");
    assert!(!source.user("emp-0007").expect("leaver").active);
    assert_eq!(
        source
            .user("emp-0003")
            .expect("promoted")
            .profile
            .get_custom_attribute("title"),
        Some("Staff Engineer")
    );

    // Day three: the same export: nothing to send, no session opened.
    let before = sessions(&emulator);
    let (stdout, _) = night(&dir, &emulator, &day2, 0);
    assert!(stdout.contains("nothing to do"), "{stdout}");
    assert_eq!(
        sessions(&emulator),
        before,
        "an unchanged export opens no session"
    );

    let (stdout, _) = exits(
        0,
        sync(&dir, &emulator).args(["status", "--state", "state.db"]),
    );
    assert!(
        stdout.contains("300 users (299 active, 1 deactivated)") && stdout.contains("0 pending"),
        "{stdout}"
    );
    // The same as one JSON object, for monitoring: the target, its counts, the last runs.
    let (stdout, _) = exits(
        0,
        sync(&dir, &emulator).args(["status", "--state", "state.db", "--output", "json"]),
    );
    let status = one_object(&stdout);
    let targets = status["targets"].as_array().expect("targets");
    assert_eq!(targets.len(), 1, "{status}");
    let target = &targets[0];
    assert_eq!(target["target"]["orgUrl"], emulator.base_url(), "{status}");
    assert_eq!(
        target["target"]["identitySource"], DEFAULT_IDENTITY_SOURCE,
        "{status}"
    );
    assert_eq!(target["state"]["usersActive"], 299, "{status}");
    assert_eq!(target["state"]["usersInactive"], 1, "{status}");
    assert_eq!(target["state"]["pending"], 0, "{status}");
    assert_eq!(target["interrupted"], false, "{status}");
    let runs = target["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 3, "three nights: {status}");
    assert!(
        runs.iter()
            .all(|r| r["command"] == "run" && r["outcome"] == "done"),
        "{status}"
    );
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mass_deactivation_is_held_with_exit_3_until_allowed() {
    let emulator = Emulator::start().await.expect("emulator");
    let dir = TempDir::new();
    night(&dir, &emulator, &export(0..300, &[]), 0);
    let before = sessions(&emulator);

    // A truncated export: 200 of 300 users missing.
    let (stdout, stderr) = night(&dir, &emulator, &export(0..100, &[]), 3);
    assert!(stdout.contains("HELD by a safeguard"), "{stdout}");
    assert!(
        stderr.contains("200 deactivations planned, at most 15 allowed"),
        "{stderr}"
    );
    assert_eq!(sessions(&emulator), before, "nothing is sent");
    let counts = emulator.counts(DEFAULT_IDENTITY_SOURCE).expect("source");
    assert_eq!(counts.users_active, 300);

    // A header-only export is held even with --allow-deletions.
    let path = dir.file("users.csv", HEADER);
    let (_, stderr) = exits(
        3,
        sync(&dir, &emulator).arg("run").arg(&path).args([
            "--state",
            "state.db",
            "--allow-deletions",
        ]),
    );
    assert!(stderr.contains("holds no user"), "{stderr}");

    // The admin confirms the truncated export once.
    let path = dir.file("users.csv", export(0..100, &[]));
    exits(
        0,
        sync(&dir, &emulator).arg("run").arg(&path).args([
            "--state",
            "state.db",
            "--allow-deletions",
        ]),
    );
    let counts = emulator.counts(DEFAULT_IDENTITY_SOURCE).expect("source");
    assert_eq!((counts.users_active, counts.users_inactive), (100, 200));
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reviewed_plan_is_applied_exactly_and_a_stale_one_refused() {
    let emulator = Emulator::start().await.expect("emulator");
    let dir = TempDir::new();
    night(&dir, &emulator, &export(0..50, &[]), 0);

    let users = dir.file("users.csv", export(0..50, &[(1, "Manager")]));
    let plan = |out: &str| {
        exits(
            0,
            sync(&dir, &emulator)
                .arg("plan")
                .arg(&users)
                .args(["--state", "state.db", "--out", out]),
        )
    };
    let (stdout, _) = plan("p1.json");
    assert!(stdout.contains("1 to upsert (1 changed)"), "{stdout}");
    let (stdout, _) = plan("p2.json");
    assert!(stdout.contains("1 to upsert (1 changed)"), "{stdout}");
    // A plan that cannot be written is a failure naming the file.
    let (_, stderr) = exits(
        1,
        sync(&dir, &emulator).arg("plan").arg(&users).args([
            "--state",
            "state.db",
            "--out",
            "missing/p.json",
        ]),
    );
    assert!(
        stderr.contains("cannot write the plan to missing/p.json"),
        "{stderr}"
    );
    let apply = |plan: &str, code| {
        exits(
            code,
            sync(&dir, &emulator).args(["apply", plan, "--state", "state.db"]),
        )
    };
    let (stdout, _) = apply("p1.json", 0);
    assert!(stdout.contains("1 users upserted"), "{stdout}");
    let state = emulator.state();
    let source = state
        .identity_source(DEFAULT_IDENTITY_SOURCE)
        .expect("source");
    assert_eq!(
        source
            .user("emp-0001")
            .expect("user")
            .profile
            .get_custom_attribute("title"),
        Some("Manager")
    );

    // The second plan was made before the first was applied: the state moved under it.
    let before = sessions(&emulator);
    let (_, stderr) = apply("p2.json", 2);
    assert!(stderr.contains("state revision"), "{stderr}");
    assert_eq!(sessions(&emulator), before, "a stale plan sends nothing");

    // A plan is bound to its org.
    let (_, stderr) = exits(
        2,
        sync(&dir, &emulator)
            .args(["apply", "p1.json", "--state", "state.db"])
            .args(["--org-url", "https://other.okta.com"]),
    );
    assert!(stderr.contains("was made for"), "{stderr}");
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_sync_at_a_time_per_state_file_and_never_the_embedded_emulator() {
    let emulator = Emulator::start().await.expect("emulator");
    let dir = TempDir::new();
    let _held = StateLock::acquire(&dir.0.join("state.db"), "another sync (test)").expect("lock");
    let (_, stderr) = night(&dir, &emulator, &export(0..5, &[]), 1);
    assert!(
        stderr.contains("another sync (test)"),
        "names the holder: {stderr}"
    );
    assert_eq!(sessions(&emulator), 0);

    let users = dir.file("users.csv", export(0..5, &[]));
    let (_, stderr) = exits(
        2,
        cli(&dir)
            .args(["sync", "run"])
            .arg(&users)
            .args(["--state", "other.db", "--emulator"]),
    );
    assert!(stderr.contains("keeps state between runs"), "{stderr}");
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_killed_with_sigkill_converges_when_run_again() {
    // Slow enough that the kill lands while the first session is being fed.
    let emulator = Emulator::builder()
        .latency(std::time::Duration::from_millis(100))
        .start()
        .await
        .expect("emulator");
    let dir = TempDir::new();
    let users = dir.file("users.csv", export(0..12_000, &[]));
    let mut child = sync(&dir, &emulator)
        .arg("run")
        .arg(&users)
        .args(["--state", "state.db"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let loads = || {
        let state = emulator.state();
        let source = state
            .identity_source(DEFAULT_IDENTITY_SOURCE)
            .expect("source");
        source.sessions.iter().map(|s| s.load_count).sum::<usize>()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while loads() < 5 {
        assert!(std::time::Instant::now() < deadline, "no load arrived");
        assert!(
            child.try_wait().expect("wait").is_none(),
            "ended before the kill"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    let counts = emulator.counts(DEFAULT_IDENTITY_SOURCE).expect("source");
    assert!(
        counts.users_active < 12_000,
        "killed part of the way through"
    );

    let (stdout, stderr) = night(&dir, &emulator, &export(0..12_000, &[]), 0);
    assert!(stderr.contains("interrupted run"), "{stderr}");
    let counts = emulator.counts(DEFAULT_IDENTITY_SOURCE).expect("source");
    assert_eq!(counts.users_active, 12_000, "{stdout}");
    // The state agrees: the next night has nothing to send.
    let (stdout, _) = night(&dir, &emulator, &export(0..12_000, &[]), 0);
    assert!(stdout.contains("nothing to do"), "{stdout}");
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_snapshot_plans_nothing_and_names_every_line() {
    let emulator = Emulator::start().await.expect("emulator");
    let dir = TempDir::new();
    night(&dir, &emulator, &export(0..20, &[]), 0);
    // emp-0003 twice (lines 5 and 22), and a bad email on line 8.
    let mut users = export(0..20, &[]);
    users.push_str("emp-0003,u3@example.com,u3@example.com,First3,Last3,Engineer\n");
    let users = users.replace(
        "u6@example.com,u6@example.com",
        "u6@example.com,not-an-email",
    );
    let before = sessions(&emulator);
    let (_, stderr) = night(&dir, &emulator, &users, 2);
    assert!(
        stderr.contains("line 22")
            && stderr.contains("duplicate user externalId \"emp-0003\"; first at line 5"),
        "{stderr}"
    );
    assert!(stderr.contains("line 8"), "{stderr}");
    assert_eq!(sessions(&emulator), before, "nothing is sent");
    emulator.shutdown().await;
}

/// `sync ARGS --state state.db --output json` in `dir`, expecting `code`: its one object.
fn sync_json(dir: &TempDir, emulator: &EmulatorHandle, code: i32, args: &[&str]) -> Value {
    let (stdout, _) = exits(
        code,
        sync(dir, emulator)
            .args(args)
            .args(["--state", "state.db", "--output", "json"]),
    );
    one_object(&stdout)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn output_json_prints_one_object_when_held_or_refused() {
    let emulator = Emulator::start().await.expect("emulator");
    let dir = TempDir::new();
    night(&dir, &emulator, &export(0..300, &[]), 0);
    dir.file("users.csv", export(0..100, &[]));
    for command in ["plan", "run"] {
        let out = sync_json(&dir, &emulator, 3, &[command, "users.csv"]);
        assert_eq!(out["error"]["kind"], "held", "{command}: {out}");
        assert_eq!(out["error"]["exitCode"], 3, "{command}: {out}");
        assert_eq!(out["plan"]["held"]["planned"], 200, "{command}: {out}");
        let deactivations = &out["plan"]["counts"]["userDeactivate"];
        assert_eq!(deactivations, 200, "{command}: {out}");
    }
    // A refusal before any plan: the lock held by another run.
    let _other = StateLock::acquire(&dir.0.join("state.db"), "another run").expect("lock");
    let out = sync_json(&dir, &emulator, 1, &["run", "users.csv"]);
    assert_eq!(out["error"]["kind"], "failure", "{out}");
    assert!(out["plan"].is_null(), "{out}");
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_sends_every_user_of_an_unchanged_export_and_deactivates_as_usual() {
    let emulator = Emulator::start().await.expect("emulator");
    let dir = TempDir::new();
    night(&dir, &emulator, &export(0..300, &[]), 0);
    dir.file("users.csv", export(0..295, &[]));
    let out = sync_json(&dir, &emulator, 0, &["run", "users.csv", "--full"]);
    assert_eq!(out["applied"]["userUpsert"], 295, "{out}");
    assert_eq!(out["applied"]["userDeactivate"], 5, "{out}");
    let counts = emulator.counts(DEFAULT_IDENTITY_SOURCE).expect("source");
    assert_eq!((counts.users_active, counts.users_inactive), (295, 5));
    // Without --full, the same export is nothing to do.
    let out = sync_json(&dir, &emulator, 0, &["run", "users.csv"]);
    assert_eq!(out["applied"]["userUpsert"], 0, "{out}");
    assert_eq!(out["sessions"], 0, "{out}");
    emulator.shutdown().await;
}
