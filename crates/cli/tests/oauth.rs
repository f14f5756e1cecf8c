//! The binary in PrivateKey mode (an OAuth 2.0 service app with DPoP) against an emulator
//! started here: flags, `OKTA_CLIENT_*` variables, and the errors.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

use okta_idsrc_emulator::{DEFAULT_IDENTITY_SOURCE, Emulator, EmulatorHandle, OAuthClient};

const PEM: &str = include_str!("../../ops/tests/data/ec_p256_sec1.pem");
const OTHER_PEM: &str = include_str!("../../ops/tests/data/rsa_pkcs8.pem");
const CLIENT_ID: &str = "0oacli0000000000001";

/// A fresh directory under the system's temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "okta-idsrc-cli-oauth-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        Self(dir)
    }

    fn file(&self, name: &str, contents: &str) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, contents).expect("write");
        path.to_str().expect("utf-8").to_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The binary, run in `dir` with HOME there and no OKTA_CLIENT_* or proxy variables.
fn cli(dir: &TempDir) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_okta-idsrc"));
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy().into_owned();
        if name.starts_with("OKTA_")
            || name.to_ascii_uppercase().ends_with("_PROXY")
            || name == "RUST_LOG"
        {
            cmd.env_remove(name);
        }
    }
    cmd.env("HOME", &dir.0).current_dir(&dir.0);
    cmd
}

fn run(cmd: &mut Command) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().expect("run okta-idsrc");
    (
        status.code().expect("exit code"),
        String::from_utf8(stdout).expect("utf-8 stdout"),
        String::from_utf8(stderr).expect("utf-8 stderr"),
    )
}

/// An emulator with the service app whose key is [`PEM`] (kid `k1`).
async fn emulator() -> EmulatorHandle {
    let mut jwks = OAuthClient::parse_keys(PEM).expect("public key");
    jwks[0].kid = Some("k1".to_owned());
    Emulator::builder()
        .oauth_client(OAuthClient::new(CLIENT_ID, jwks))
        .start()
        .await
        .expect("emulator")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_key_mode_from_flags_and_from_the_environment() {
    let emulator = emulator().await;
    let dir = TempDir::new();
    let key = dir.file("app.pem", PEM);
    let (code, stdout, stderr) = run(cli(&dir).args([
        "sessions",
        "list",
        "--org-url",
        &emulator.base_url(),
        "--source",
        DEFAULT_IDENTITY_SOURCE,
        "--authorization-mode",
        "PrivateKey",
        "--client-id",
        CLIENT_ID,
        "--scopes",
        "okta.identitySources.read,okta.identitySources.manage",
        "--private-key",
        &key,
        "--private-key-id",
        "k1",
    ]));
    assert_eq!(code, 0, "stdout: {stdout}\nstderr: {stderr}");
    assert_eq!(stdout.trim(), "[]");
    assert_eq!(emulator.state().stats.tokens_issued, 1);

    // The same from OKTA_CLIENT_* (the key inline, with \n escapes).
    let (code, stdout, stderr) = run(cli(&dir)
        .args(["sessions", "list", "--source", DEFAULT_IDENTITY_SOURCE])
        .env("OKTA_CLIENT_ORGURL", emulator.base_url())
        .env("OKTA_CLIENT_AUTHORIZATIONMODE", "PrivateKey")
        .env("OKTA_CLIENT_CLIENTID", CLIENT_ID)
        .env("OKTA_CLIENT_PRIVATEKEY", PEM.trim().replace('\n', "\\n"))
        .env("OKTA_CLIENT_PRIVATEKEYID", "k1"));
    assert_eq!(code, 0, "stdout: {stdout}\nstderr: {stderr}");
    assert_eq!(emulator.state().stats.tokens_issued, 2);
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_key_mode_errors() {
    let emulator = emulator().await;
    let dir = TempDir::new();
    let args = |key: &str| -> Vec<String> {
        [
            "sessions",
            "list",
            "--org-url",
            &emulator.base_url(),
            "--source",
            DEFAULT_IDENTITY_SOURCE,
            "--authorization-mode",
            "privatekey",
            "--client-id",
            CLIENT_ID,
            "--private-key",
            key,
        ]
        .map(str::to_owned)
        .to_vec()
    };

    // A key that cannot be read: a usage error naming the flag.
    let (code, _, stderr) = run(cli(&dir).args(args("/nonexistent/app.pem")));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--private-key"), "{stderr}");

    // A key the app does not have: the token endpoint's refusal, typed, without the key.
    let other = dir.file("other.pem", OTHER_PEM);
    let (code, stdout, stderr) = run(cli(&dir).args(args(&other)));
    assert_eq!(code, 1, "stdout: {stdout}\nstderr: {stderr}");
    assert!(stderr.contains("invalid_client"), "{stderr}");
    let body_line = OTHER_PEM.lines().nth(1).expect("a line");
    assert!(!stderr.contains(body_line) && !stdout.contains(body_line));

    // No client id.
    let (code, _, stderr) = run(cli(&dir).args([
        "sessions",
        "list",
        "--org-url",
        &emulator.base_url(),
        "--source",
        DEFAULT_IDENTITY_SOURCE,
        "--authorization-mode",
        "PrivateKey",
    ]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("OKTA_CLIENT_CLIENTID"), "{stderr}");
    emulator.shutdown().await;
}
