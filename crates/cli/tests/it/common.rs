//! What the binary's tests share: a temp directory and the binary run in it with a clean
//! environment.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

/// A fresh directory under the system's temp dir, removed on drop.
pub(crate) struct TempDir(pub PathBuf);

impl TempDir {
    /// A new, empty directory.
    pub(crate) fn new() -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "okta-idsrc-cli-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        Self(dir)
    }

    /// Writes `contents` to `name` in the directory; returns its path.
    pub(crate) fn file(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, contents).expect("write input");
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The binary, run in `dir` with HOME there and no OKTA_CLIENT_* or proxy variables.
pub(crate) fn cli(dir: &TempDir) -> Command {
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

/// Runs `cmd`: exit code, stdout, stderr.
pub(crate) fn run(cmd: &mut Command) -> (i32, String, String) {
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

/// Runs `cmd`, which must exit with `expected`: stdout and stderr.
pub(crate) fn exits(expected: i32, cmd: &mut Command) -> (String, String) {
    let (code, stdout, stderr) = run(cmd);
    assert_eq!(
        code, expected,
        "{cmd:?}: stdout: {stdout}\nstderr: {stderr}"
    );
    (stdout, stderr)
}

/// `stdout` as exactly one JSON object.
pub(crate) fn one_object(stdout: &str) -> serde_json::Value {
    let value: serde_json::Value = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("not one JSON object ({e}): {stdout:?}"));
    assert!(value.is_object(), "{value}");
    value
}

/// The binary in `dir`, pointed at `emulator` by the environment (as a cron job would be)
/// with `token`.
pub(crate) fn against(
    dir: &TempDir,
    emulator: &okta_idsrc_emulator::EmulatorHandle,
    token: &str,
) -> Command {
    let mut cmd = cli(dir);
    cmd.env("OKTA_CLIENT_ORGURL", emulator.base_url())
        .env("OKTA_CLIENT_TOKEN", token)
        .env(
            "OKTA_IDSRC_SOURCE",
            okta_idsrc_emulator::DEFAULT_IDENTITY_SOURCE,
        );
    cmd
}
