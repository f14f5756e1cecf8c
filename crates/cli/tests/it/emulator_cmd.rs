//! `okta-idsrc emulator` as a process: the first stdout line, requests, SIGTERM; its option
//! checks; `--load` and `--save`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::common::{TempDir, cli, run};

/// Starts `okta-idsrc emulator ARGS` on an ephemeral port; returns the child and its address.
fn spawn(args: &[&str]) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_okta-idsrc"))
        .arg("emulator")
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn okta-idsrc");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let addr = line
        .trim()
        .strip_prefix("okta-idsrc emulator listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    (child, addr)
}

/// Sends one HTTP/1.1 request (`head` without the final blank line) and reads the response.
fn http(addr: &str, head: &str, body: &str) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    write!(
        stream,
        "{head}\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

/// SIGTERM, then the exit must be clean.
fn stop(mut child: Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "exit status {exit:?}");
}

#[test]
fn emulator_serves_and_stops_on_sigterm() {
    let (child, addr) = spawn(&[
        "--token",
        "t0k",
        "--identity-source",
        "0oaCLI",
        "--seed",
        "3",
    ]);
    let response = http(
        &addr,
        "POST /api/v1/identity-sources/0oaCLI/sessions HTTP/1.1\r\nAuthorization: SSWS t0k",
        "",
    );
    assert!(response.starts_with("HTTP/1.1 201"), "{response}");
    assert!(response.contains("\"status\":\"CREATED\""), "{response}");
    // The inspection endpoint wants the token too.
    let refused = http(&addr, "GET /__emulator/state HTTP/1.1", "");
    assert!(refused.starts_with("HTTP/1.1 401"), "{refused}");
    assert!(refused.contains("E0000011"), "{refused}");
    let state = http(
        &addr,
        "GET /__emulator/state HTTP/1.1\r\nAuthorization: SSWS t0k",
        "",
    );
    assert!(state.starts_with("HTTP/1.1 200"), "{state}");
    stop(child);
}

#[test]
fn rates_outside_zero_to_one_and_bad_numbers_are_refused() {
    let dir = TempDir::new();
    for args in [
        &["emulator", "--fault-rate", "2"][..],
        &["emulator", "--fault-rate=-0.1"],
        &["emulator", "--import-error-rate", "NaN"],
        &["emulator", "--import-ms-per-entity=-1"],
        &["emulator", "--time-scale", "0"],
    ] {
        let (code, _, stderr) = run(cli(&dir).args(args));
        assert_eq!(code, 2, "{args:?}: {stderr}");
        let flag = args[1].split('=').next().unwrap();
        assert!(stderr.contains(flag), "{args:?}: {stderr}");
    }
    let (_, _, stderr) = run(cli(&dir).args(["emulator", "--fault-rate", "2"]));
    assert!(stderr.contains("not a rate from 0 to 1"), "{stderr}");
}

#[test]
fn load_then_save_keeps_the_org_across_restarts() {
    let dir = TempDir::new();
    let seed = dir.file(
        "seed.json",
        r#"{"identitySources":[{"id":"0oaCLI","users":[{"externalId":"u1","id":"0uaxr8kpjfWHJpAKK1d7","active":true,"profile":{"email":"u1@example.com","userName":"u1@example.com","firstName":"One"},"created":"2026-05-13T05:52:24.000Z","lastUpdated":"2026-05-13T05:52:24.000Z"}]}]}"#,
    );
    let saved = dir.0.join("saved.json");
    let (child, addr) = spawn(&[
        "--token",
        "t0k",
        "--identity-source",
        "0oaCLI",
        "--load",
        seed.to_str().unwrap(),
        "--save",
        saved.to_str().unwrap(),
    ]);
    // The seeded user, asked for as the official Python SDK does (no space after SSWS).
    let user = http(
        &addr,
        "GET /api/v1/identity-sources/0oaCLI/users/u1 HTTP/1.1\r\nAuthorization: SSWSt0k",
        "",
    );
    assert!(user.starts_with("HTTP/1.1 200"), "{user}");
    assert!(
        user.ends_with(r#"{"id":"0uaxr8kpjfWHJpAKK1d7","externalId":"u1","created":"2026-05-13T05:52:24.000Z","lastUpdated":"2026-05-13T05:52:24.000Z","profile":{"firstName":"One","lastName":null,"mobilePhone":null,"secondEmail":null,"userName":"u1@example.com","email":"u1@example.com"}}"#),
        "{user}"
    );
    let created = http(
        &addr,
        "POST /api/v1/identity-sources/0oaCLI/users HTTP/1.1\r\nAuthorization: SSWS t0k\r\nContent-Type: application/json",
        r#"{"externalId":"u2","profile":{"email":"u2@example.com","userName":"u2@example.com"}}"#,
    );
    assert!(created.starts_with("HTTP/1.1 200"), "{created}");
    assert!(!saved.exists(), "written on shutdown only");
    stop(child);

    // Saved on the clean shutdown: both users; a restart from it serves them.
    let text = std::fs::read_to_string(&saved).unwrap();
    assert!(text.contains("\"u1\"") && text.contains("\"u2\""), "{text}");
    let (child, addr) = spawn(&["--token", "t0k", "--load", saved.to_str().unwrap()]);
    let user = http(
        &addr,
        "GET /api/v1/identity-sources/0oaCLI/users/u2 HTTP/1.1\r\nAuthorization: SSWS t0k",
        "",
    );
    assert!(user.starts_with("HTTP/1.1 200"), "{user}");
    stop(child);
}

#[test]
fn a_malformed_load_names_the_json_path() {
    let dir = TempDir::new();
    let bad = dir.file(
        "bad.json",
        "{\"identitySources\":[{\"id\":\"0oaX\",\"users\":[\n{\"externalId\":\"u1\",\"id\":\"0uaxr8kpjfWHJpAKK1d7\",\"active\":1,\"profile\":{}}]}]}",
    );
    let (code, _, stderr) = run(cli(&dir).args(["emulator", "--load", bad.to_str().unwrap()]));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("bad.json: identitySources[0].users[0].active: invalid type"),
        "{stderr}"
    );
    assert!(stderr.contains("line 2 column"), "{stderr}");
    let (code, _, stderr) = run(cli(&dir).args(["emulator", "--load", "missing.json"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("cannot read --load missing.json"),
        "{stderr}"
    );
}
