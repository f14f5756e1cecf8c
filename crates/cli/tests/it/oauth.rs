//! The binary in PrivateKey mode (an OAuth 2.0 service app with DPoP) against an emulator
//! started here: flags, `OKTA_CLIENT_*` variables, and the errors.

use crate::common;

use common::{TempDir, cli, exits};

use okta_idsrc_emulator::{DEFAULT_IDENTITY_SOURCE, Emulator, EmulatorHandle, OAuthClient};

const PEM: &str = include_str!("../../../ops/tests/data/ec_p256_sec1.pem");
const OTHER_PEM: &str = include_str!("../../../ops/tests/data/rsa_pkcs8.pem");
const CLIENT_ID: &str = "0oacli0000000000001";

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

/// `sessions list` against `emulator` in authorization mode `mode`, as arguments.
fn sessions_list(emulator: &EmulatorHandle, mode: &str) -> Vec<String> {
    [
        "sessions",
        "list",
        "--org-url",
        &emulator.base_url(),
        "--source",
        DEFAULT_IDENTITY_SOURCE,
        "--authorization-mode",
        mode,
    ]
    .map(str::to_owned)
    .to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_key_mode_from_flags_and_from_the_environment() {
    let emulator = emulator().await;
    let dir = TempDir::new();
    let key = dir.file("app.pem", PEM);
    let (stdout, _) = exits(
        0,
        cli(&dir)
            .args(sessions_list(&emulator, "PrivateKey"))
            .args([
                "--client-id",
                CLIENT_ID,
                "--scopes",
                "okta.identitySources.read,okta.identitySources.manage",
                "--private-key",
                key.to_str().expect("utf-8"),
                "--private-key-id",
                "k1",
            ]),
    );
    assert_eq!(stdout.trim(), "[]");
    assert_eq!(emulator.state().stats.tokens_issued, 1);

    // The same from OKTA_CLIENT_* (the key inline, with \n escapes).
    exits(
        0,
        cli(&dir)
            .args(["sessions", "list", "--source", DEFAULT_IDENTITY_SOURCE])
            .env("OKTA_CLIENT_ORGURL", emulator.base_url())
            .env("OKTA_CLIENT_AUTHORIZATIONMODE", "PrivateKey")
            .env("OKTA_CLIENT_CLIENTID", CLIENT_ID)
            .env("OKTA_CLIENT_PRIVATEKEY", PEM.trim().replace('\n', "\\n"))
            .env("OKTA_CLIENT_PRIVATEKEYID", "k1"),
    );
    assert_eq!(emulator.state().stats.tokens_issued, 2);
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_key_mode_errors() {
    let emulator = emulator().await;
    let dir = TempDir::new();
    let with_key = |key: &str| {
        let mut cmd = cli(&dir);
        cmd.args(sessions_list(&emulator, "privatekey")).args([
            "--client-id",
            CLIENT_ID,
            "--private-key",
            key,
        ]);
        cmd
    };

    // A key that cannot be read: a usage error naming the flag.
    let (_, stderr) = exits(2, &mut with_key("/nonexistent/app.pem"));
    assert!(stderr.contains("--private-key"), "{stderr}");

    // A key the app does not have: the token endpoint's refusal, typed, without the key.
    let other = dir.file("other.pem", OTHER_PEM);
    let (stdout, stderr) = exits(1, &mut with_key(other.to_str().expect("utf-8")));
    assert!(stderr.contains("invalid_client"), "{stderr}");
    let body_line = OTHER_PEM.lines().nth(1).expect("a line");
    assert!(!stderr.contains(body_line) && !stdout.contains(body_line));

    // No client id.
    let (_, stderr) = exits(2, cli(&dir).args(sessions_list(&emulator, "PrivateKey")));
    assert!(stderr.contains("OKTA_CLIENT_CLIENTID"), "{stderr}");
    emulator.shutdown().await;
}
