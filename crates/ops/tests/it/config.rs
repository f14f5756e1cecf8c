//! Configuration loading: precedence across the sources, typed parse errors, org URL rules
//! and redaction. Nothing here reads the real environment or home directory.
//!
//! One file past 500 lines on purpose: every case loads through the same `Dirs` sandbox (its
//! own home and working directory).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use okta_idsrc_core::Credentials;
use okta_idsrc_ops::config::{AuthorizationMode, Config, ConfigError, Origin, ProxyConfig};
use secrecy::ExposeSecret;

/// A scratch directory holding a home and a working directory, removed on drop.
struct Dirs {
    root: PathBuf,
}

impl Dirs {
    fn new() -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let root = std::env::temp_dir().join(format!(
            "okta-idsrc-config-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(root.join("home/.okta")).expect("home");
        std::fs::create_dir_all(root.join("cwd")).expect("cwd");
        Self { root }
    }

    fn home(&self) -> PathBuf {
        self.root.join("home")
    }

    fn cwd(&self) -> PathBuf {
        self.root.join("cwd")
    }

    fn home_yaml(&self) -> PathBuf {
        self.home().join(".okta/okta.yaml")
    }

    fn cwd_yaml(&self) -> PathBuf {
        self.cwd().join("okta.yaml")
    }

    fn write_home(&self, yaml: &str) -> &Self {
        std::fs::write(self.home_yaml(), yaml).expect("write");
        self
    }

    fn write_cwd(&self, yaml: &str) -> &Self {
        std::fs::write(self.cwd_yaml(), yaml).expect("write");
        self
    }

    fn load(&self, env: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let env: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::load_from(
            &|name: &str| env.get(name).cloned(),
            Some(&self.home()),
            &self.cwd(),
        )
    }
}

impl Drop for Dirs {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn token(config: &Config) -> Option<&str> {
    config.token.as_ref().map(|t| t.expose_secret())
}

const HOME_YAML: &str = r#"
okta:
  client:
    orgUrl: "https://home.okta.com"
    token: home-token
    authorizationMode: Bearer
    connectionTimeout: 11
    requestTimeout: 12
    rateLimit:
      maxRetries: 1
    proxy:
      host: home-proxy.corp
      port: 3128
      username: home-user
      password: home-pass
"#;

const CWD_YAML: &str = r#"
okta:
  client:
    orgUrl: "https://cwd.okta.com/"
    connectionTimeout: "21"
    rateLimit:
      maxRetries: 2
    proxy:
      port: 8080
"#;

#[test]
fn defaults_only() {
    let dirs = Dirs::new();
    let c = dirs.load(&[]).expect("loads");
    assert_eq!(c.org_url, None);
    assert_eq!(token(&c), None);
    assert_eq!(c.authorization_mode, AuthorizationMode::Ssws);
    assert_eq!(c.connection_timeout, None);
    assert_eq!(c.request_timeout, None);
    assert_eq!(c.max_retries, None);
    assert!(c.proxy.is_none());
    // A missing home is fine too.
    let c = Config::load_from(&|_: &str| None, None, &dirs.cwd()).expect("loads");
    assert_eq!(c.authorization_mode, AuthorizationMode::Ssws);
}

#[test]
fn precedence_defaults_home_cwd_env_code() {
    let dirs = Dirs::new();
    dirs.write_home(HOME_YAML);

    // ~/.okta/okta.yaml over the defaults.
    let c = dirs.load(&[]).expect("home");
    assert_eq!(
        c.org_url.as_ref().map(|o| o.as_str()),
        Some("https://home.okta.com")
    );
    assert_eq!(token(&c), Some("home-token"));
    assert_eq!(c.authorization_mode, AuthorizationMode::Bearer);
    assert_eq!(c.connection_timeout, Some(Duration::from_secs(11)));
    assert_eq!(c.request_timeout, Some(Duration::from_secs(12)));
    assert_eq!(c.max_retries, Some(1));
    let proxy = c.proxy.as_ref().expect("proxy");
    assert_eq!(proxy.url(), "http://home-proxy.corp:3128");

    // ./okta.yaml over the home file, key by key.
    dirs.write_cwd(CWD_YAML);
    let c = dirs.load(&[]).expect("cwd");
    assert_eq!(
        c.org_url.as_ref().map(|o| o.as_str()),
        Some("https://cwd.okta.com")
    );
    assert_eq!(token(&c), Some("home-token"), "not set in ./okta.yaml");
    assert_eq!(c.connection_timeout, Some(Duration::from_secs(21)));
    assert_eq!(c.request_timeout, Some(Duration::from_secs(12)));
    assert_eq!(c.max_retries, Some(2));
    let proxy = c.proxy.as_ref().expect("proxy");
    assert_eq!(
        proxy.url(),
        "http://home-proxy.corp:8080",
        "proxy fields merge"
    );
    assert_eq!(proxy.username.as_deref(), Some("home-user"));

    // Environment variables over both files.
    let env = [
        ("OKTA_CLIENT_ORGURL", "https://env.okta.com"),
        ("OKTA_CLIENT_TOKEN", "env-token"),
        ("OKTA_CLIENT_AUTHORIZATIONMODE", "ssws"),
        ("OKTA_CLIENT_REQUESTTIMEOUT", "0"),
        ("OKTA_CLIENT_RATELIMIT_MAXRETRIES", "3"),
        ("OKTA_CLIENT_PROXY_PASSWORD", "env-pass"),
        ("OKTA_CLIENT_CONNECTIONTIMEOUT", ""),
    ];
    let c = dirs.load(&env).expect("env");
    assert_eq!(
        c.org_url.as_ref().map(|o| o.as_str()),
        Some("https://env.okta.com")
    );
    assert_eq!(token(&c), Some("env-token"));
    assert_eq!(c.authorization_mode, AuthorizationMode::Ssws);
    assert_eq!(
        c.connection_timeout,
        Some(Duration::from_secs(21)),
        "an empty variable does not set"
    );
    assert_eq!(c.request_timeout, Some(Duration::ZERO));
    assert_eq!(c.max_retries, Some(3));
    let proxy = c.proxy.as_ref().expect("proxy");
    assert_eq!(
        proxy.password.as_ref().map(|p| p.expose_secret()),
        Some("env-pass")
    );
    assert_eq!(proxy.host, "home-proxy.corp");

    // Code over everything.
    let mut c = c
        .with_org_url("https://code.okta.com".parse().expect("org"))
        .with_token("code-token")
        .with_authorization_mode(AuthorizationMode::Bearer);
    c.max_retries = Some(9);
    c.proxy = Some(ProxyConfig::new("code-proxy", Some(1)));
    assert_eq!(
        c.org_url.as_ref().map(|o| o.as_str()),
        Some("https://code.okta.com")
    );
    assert_eq!(token(&c), Some("code-token"));
    assert_eq!(c.max_retries, Some(9));
    assert!(matches!(
        c.credentials().expect("credentials"),
        Credentials::Bearer(_)
    ));
}

#[test]
fn https_proxy_is_the_fallback_when_no_okta_source_names_one() {
    let dirs = Dirs::new();
    let env = [
        ("HTTPS_PROXY", "http://bob:p%40ss@generic.corp:3128"),
        ("NO_PROXY", "internal.corp"),
    ];
    let c = dirs.load(&env).expect("generic");
    let proxy = c.proxy.as_ref().expect("proxy");
    assert_eq!(proxy.url(), "http://generic.corp:3128");
    assert_eq!(proxy.username.as_deref(), Some("bob"));
    assert_eq!(
        proxy.password.as_ref().map(|p| p.expose_secret()),
        Some("p@ss")
    );
    assert_eq!(c.no_proxy.as_deref(), Some("internal.corp"));
    let c = dirs
        .load(&[("https_proxy", "generic.corp:8080")])
        .expect("lower case");
    assert_eq!(c.proxy.expect("proxy").url(), "http://generic.corp:8080");
    // ALL_PROXY too, after the HTTPS ones, as the hyper transport reads it (one reader).
    let c = dirs
        .load(&[("ALL_PROXY", "all.corp:1080"), ("no_proxy", ".corp")])
        .expect("ALL_PROXY");
    assert_eq!(c.proxy.expect("proxy").url(), "http://all.corp:1080");
    assert_eq!(c.no_proxy.as_deref(), Some(".corp"));
    let c = dirs
        .load(&[
            ("ALL_PROXY", "all.corp:1080"),
            ("HTTPS_PROXY", "https.corp:1"),
        ])
        .expect("HTTPS_PROXY first");
    assert_eq!(c.proxy.expect("proxy").url(), "http://https.corp:1");
    let e = dirs
        .load(&[("all_proxy", "socks5://p:1")])
        .expect_err("named");
    assert!(e.to_string().contains("all_proxy"), "{e}");

    dirs.write_cwd("okta:\n  client:\n    proxy:\n      host: okta-proxy.corp\n");
    let c = dirs.load(&env).expect("okta wins");
    assert_eq!(c.proxy.expect("proxy").url(), "http://okta-proxy.corp");
}

#[test]
fn okta_yaml_template_with_nulls_and_unknown_keys_loads() {
    let dirs = Dirs::new();
    dirs.write_home(
        r#"
okta:
  client:
    connectionTimeout: 30
    orgUrl: "https://dev-123.okta.com"
    proxy:
      port: null
      host: null
      username: null
      password: null
    token: null
    requestTimeout: 0
    rateLimit:
      maxRetries: 4
    clientId: "0oa-some-app"
    scopes: [okta.identitySources.manage]
  testing:
    disableHttpsCheck: false
"#,
    );
    let c = dirs.load(&[]).expect("template");
    assert_eq!(c.connection_timeout, Some(Duration::from_secs(30)));
    assert_eq!(c.request_timeout, Some(Duration::ZERO));
    assert_eq!(c.max_retries, Some(4));
    assert!(c.proxy.is_none());
    assert_eq!(token(&c), None);
    // An empty file is no configuration.
    dirs.write_cwd("");
    assert!(dirs.load(&[]).is_ok());
}

/// The message of the error loading `env` (and the files of `dirs`) gives.
fn env_error(env: &[(&str, &str)]) -> String {
    Dirs::new().load(env).expect_err("invalid").to_string()
}

#[test]
fn typed_errors_name_the_variable_and_quote_the_value() {
    let cases = [
        (
            "OKTA_CLIENT_CONNECTIONTIMEOUT",
            "ten",
            r#"OKTA_CLIENT_CONNECTIONTIMEOUT: expected whole seconds, got "ten""#,
        ),
        (
            "OKTA_CLIENT_CONNECTIONTIMEOUT",
            "1.5",
            r#"OKTA_CLIENT_CONNECTIONTIMEOUT: expected whole seconds, got "1.5""#,
        ),
        (
            "OKTA_CLIENT_REQUESTTIMEOUT",
            "-1",
            r#"OKTA_CLIENT_REQUESTTIMEOUT: expected whole seconds, got "-1""#,
        ),
        (
            "OKTA_CLIENT_RATELIMIT_MAXRETRIES",
            "many",
            r#"OKTA_CLIENT_RATELIMIT_MAXRETRIES: expected a whole number, got "many""#,
        ),
        (
            "OKTA_CLIENT_PROXY_PORT",
            "0",
            r#"OKTA_CLIENT_PROXY_PORT: expected a port number from 1 to 65535, got "0""#,
        ),
        (
            "OKTA_CLIENT_PROXY_PORT",
            "http",
            r#"OKTA_CLIENT_PROXY_PORT: expected a port number from 1 to 65535, got "http""#,
        ),
        (
            "OKTA_CLIENT_AUTHORIZATIONMODE",
            "Basic",
            r#"OKTA_CLIENT_AUTHORIZATIONMODE: unknown authorization mode "Basic"; expected SSWS, Bearer or PrivateKey"#,
        ),
        (
            "OKTA_CLIENT_PRIVATEKEY",
            "/nonexistent/key.pem",
            "OKTA_CLIENT_PRIVATEKEY: the private key is neither PEM text (-----BEGIN …), a JWK ({…}) nor a readable file: No such file or directory (os error 2)",
        ),
        (
            "OKTA_CLIENT_SCOPES",
            " , ",
            "OKTA_CLIENT_SCOPES: expected scopes separated by spaces or commas",
        ),
        (
            "HTTPS_PROXY",
            "socks5://proxy:1080",
            r#"HTTPS_PROXY: expected an http:// or https:// proxy URL, got scheme "socks5""#,
        ),
    ];
    for (name, value, expected) in cases {
        assert_eq!(env_error(&[(name, value)]), expected);
    }
    let e = Dirs::new()
        .load(&[("OKTA_CLIENT_PROXY_PORT", "3128")])
        .expect_err("no host");
    assert!(
        matches!(
            &e,
            ConfigError::Invalid {
                origin: Origin::Env("OKTA_CLIENT_PROXY_PORT"),
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("no proxy host"), "{e}");
}

#[test]
fn typed_errors_name_the_file_and_key() {
    let cases = [
        (
            "connectionTimeout: ten",
            "okta.client.connectionTimeout: expected whole seconds, got \"ten\"",
        ),
        (
            "requestTimeout: 2.5",
            "okta.client.requestTimeout: expected whole seconds, got \"2.5\"",
        ),
        (
            "rateLimit:\n      maxRetries: -2",
            "okta.client.rateLimit.maxRetries: expected a whole number, got \"-2\"",
        ),
        (
            "rateLimit: 5",
            "okta.client.rateLimit: expected a mapping, got 5",
        ),
        (
            "proxy:\n      port: 70000",
            "okta.client.proxy.port: expected a port number from 1 to 65535, got \"70000\"",
        ),
        (
            "orgUrl: 42",
            "okta.client.orgUrl: expected a string, got 42",
        ),
        (
            "authorizationMode: Basic",
            "okta.client.authorizationMode: unknown authorization mode \"Basic\"; expected SSWS, Bearer or PrivateKey",
        ),
        (
            "connectionTimeout: [1, 2]",
            "okta.client.connectionTimeout: expected a value, got a list",
        ),
    ];
    for (line, expected) in cases {
        let dirs = Dirs::new();
        dirs.write_cwd(&format!("okta:\n  client:\n    {line}\n"));
        let e = dirs.load(&[]).expect_err(line);
        assert!(
            matches!(
                e,
                ConfigError::Invalid {
                    origin: Origin::File { .. },
                    ..
                }
            ),
            "{e:?}"
        );
        assert_eq!(
            e.to_string(),
            format!("{}: {expected}", dirs.cwd_yaml().display())
        );
    }
    // The home file is named too.
    let dirs = Dirs::new();
    dirs.write_home("okta:\n  client:\n    connectionTimeout: soon\n");
    let e = dirs.load(&[]).expect_err("home");
    assert!(
        e.to_string()
            .starts_with(&dirs.home_yaml().display().to_string()),
        "{e}"
    );
    // Not YAML, or not Okta's shape.
    let dirs = Dirs::new();
    dirs.write_cwd("okta: [unclosed\n");
    let e = dirs.load(&[]).expect_err("yaml");
    assert!(matches!(e, ConfigError::Yaml { .. }), "{e:?}");
    assert!(e.to_string().contains("not valid YAML"), "{e}");
    let dirs = Dirs::new();
    dirs.write_cwd("okta: just text\n");
    assert_eq!(
        dirs.load(&[]).expect_err("shape").to_string(),
        format!(
            "{}: okta: expected a mapping, got \"just text\"",
            dirs.cwd_yaml().display()
        )
    );
    // A file that exists but cannot be read (a directory).
    let dirs = Dirs::new();
    std::fs::create_dir(dirs.cwd_yaml()).expect("dir");
    assert!(matches!(
        dirs.load(&[]).expect_err("read"),
        ConfigError::Read { .. }
    ));
}

#[test]
fn every_source_is_validated_even_when_overridden() {
    let dirs = Dirs::new();
    dirs.write_home("okta:\n  client:\n    connectionTimeout: ten\n");
    assert!(
        dirs.load(&[("OKTA_CLIENT_CONNECTIONTIMEOUT", "5")])
            .is_err()
    );
}

#[test]
fn org_url_rules() {
    for (bad, reason) in [
        ("https://{yourOktaDomain}", "{yourOktaDomain}"),
        ("https://acme-admin.okta.com", "-admin"),
        ("https://acme.okta.com.com", ".com.com"),
        ("http://acme.okta.com", "https"),
        ("https://acme.okta.com/api/v1", "no path"),
        ("https://https://acme.okta.com", "://"),
        ("acme.okta.com", ""),
    ] {
        let msg = env_error(&[("OKTA_CLIENT_ORGURL", bad)]);
        assert!(
            msg.starts_with("OKTA_CLIENT_ORGURL: invalid org URL"),
            "{msg}"
        );
        assert!(msg.contains(reason), "{bad}: {msg}");
    }
    // Credentials in the URL are refused without being echoed.
    let msg = env_error(&[("OKTA_CLIENT_ORGURL", "https://user:hunter2@acme.okta.com")]);
    assert!(!msg.contains("hunter2"), "{msg}");

    let dirs = Dirs::new();
    let c = dirs
        .load(&[("OKTA_CLIENT_ORGURL", " https://ACME.okta.com/ ")])
        .expect("normalised");
    assert_eq!(c.org_url.expect("org").as_str(), "https://acme.okta.com");
    let c = dirs
        .load(&[("OKTA_CLIENT_ORGURL", "http://127.0.0.1:8080")])
        .expect("loopback http");
    assert_eq!(c.org_url.expect("org").as_str(), "http://127.0.0.1:8080");
}

#[test]
fn missing_org_url_and_token_say_where_to_set_them() {
    let c = Dirs::new().load(&[]).expect("loads");
    let e = c.require_org_url().expect_err("no org");
    assert!(e.to_string().contains("OKTA_CLIENT_ORGURL"), "{e}");
    let e = c.credentials().expect_err("no token");
    assert!(e.to_string().contains("OKTA_CLIENT_TOKEN"), "{e}");
    let c = Dirs::new()
        .load(&[("OKTA_CLIENT_TOKEN", "t0k")])
        .expect("loads");
    let creds = c.credentials().expect("ssws");
    assert_eq!(creds.authorization_header().expect("header"), "SSWS t0k");
}

#[test]
fn debug_and_errors_never_show_secrets() {
    let dirs = Dirs::new();
    dirs.write_home(HOME_YAML);
    let c = dirs
        .load(&[
            ("OKTA_CLIENT_TOKEN", "env-secret-token"),
            ("OKTA_CLIENT_PROXY_PASSWORD", "env-secret-pass"),
        ])
        .expect("loads");
    for shown in [
        format!("{c:?}"),
        format!("{c:#?}"),
        format!("{:?}", c.proxy),
    ] {
        for secret in [
            "env-secret-token",
            "env-secret-pass",
            "home-token",
            "home-pass",
        ] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains("<redacted>"), "{shown}");
    }
    // A token or password of the wrong type is not quoted in the error.
    for line in [
        "token: 123456789",
        "proxy:\n      host: p\n      password: 987654321",
    ] {
        let dirs = Dirs::new();
        dirs.write_cwd(&format!("okta:\n  client:\n    {line}\n"));
        let msg = dirs.load(&[]).expect_err(line).to_string();
        assert!(msg.ends_with("expected a string"), "{msg}");
        assert!(
            !msg.contains("123456789") && !msg.contains("987654321"),
            "{msg}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// PrivateKey mode (OAuth 2.0 service apps).

const RSA_PKCS1: &str = include_str!("../data/rsa_pkcs1.pem");
const EC_SEC1: &str = include_str!("../data/ec_p256_sec1.pem");
const RSA_JWK: &str = include_str!("../data/rsa_private.jwk.json");

/// A line of each PEM that must never show.
fn key_line(pem: &str) -> &str {
    pem.lines().nth(2).expect("a body line")
}

#[test]
fn private_key_mode_from_the_environment() {
    let dirs = Dirs::new();
    let escaped = EC_SEC1.trim().replace('\n', "\\n");
    let c = dirs
        .load(&[
            ("OKTA_CLIENT_ORGURL", "https://acme.okta.com"),
            ("OKTA_CLIENT_AUTHORIZATIONMODE", "PrivateKey"),
            ("OKTA_CLIENT_CLIENTID", "0oa-service-app"),
            (
                "OKTA_CLIENT_SCOPES",
                "okta.identitySources.manage, okta.identitySources.read",
            ),
            ("OKTA_CLIENT_PRIVATEKEY", &escaped),
            ("OKTA_CLIENT_PRIVATEKEYID", "kid-7"),
        ])
        .expect("loads");
    assert_eq!(c.authorization_mode, AuthorizationMode::PrivateKey);
    let oauth = c.oauth_config().expect("oauth");
    assert_eq!(oauth.client_id(), "0oa-service-app");
    assert_eq!(
        oauth.scopes(),
        ["okta.identitySources.manage", "okta.identitySources.read"]
    );
    assert_eq!(oauth.key_id(), Some("kid-7"));
    assert!(oauth.dpop());
    let e = c.credentials().expect_err("no static token");
    assert!(e.to_string().contains("PrivateKey"), "{e}");
    for shown in [format!("{c:?}"), format!("{oauth:?}")] {
        assert!(!shown.contains(key_line(EC_SEC1)), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
    }
}

#[test]
fn private_key_mode_from_okta_yaml_pem_jwk_or_path() {
    let dirs = Dirs::new();
    let indented: String = RSA_PKCS1.lines().map(|l| format!("      {l}\n")).collect();
    dirs.write_home(&format!(
        "okta:\n  client:\n    orgUrl: https://acme.okta.com\n    authorizationMode: PrivateKey\n    clientId: 0oa-home\n    scopes:\n      - okta.identitySources.manage\n    privateKey: |\n{indented}"
    ));
    let c = dirs.load(&[]).expect("loads");
    let oauth = c.oauth_config().expect("oauth");
    assert_eq!(oauth.client_id(), "0oa-home");
    assert_eq!(oauth.scopes(), ["okta.identitySources.manage"]);
    assert_eq!(oauth.key_id(), None);

    // A JWK keeps its kid; privateKeyId overrides it; scopes as one string.
    let jwk_path = dirs.cwd().join("key.json");
    std::fs::write(&jwk_path, RSA_JWK).expect("write");
    dirs.write_cwd(&format!(
        "okta:\n  client:\n    scopes: okta.identitySources.read okta.identitySources.manage\n    privateKey: {}\n",
        jwk_path.display()
    ));
    let c = dirs.load(&[]).expect("loads");
    let oauth = c.oauth_config().expect("oauth");
    assert_eq!(oauth.client_id(), "0oa-home", "merged across files");
    assert_eq!(
        oauth.scopes(),
        ["okta.identitySources.read", "okta.identitySources.manage"]
    );
    assert_eq!(oauth.key_id(), Some("console-kid"));
    let c = dirs
        .load(&[("OKTA_CLIENT_PRIVATEKEYID", "override")])
        .expect("loads");
    assert_eq!(c.oauth_config().expect("oauth").key_id(), Some("override"));

    // Inline JWK text in the environment.
    let c = dirs
        .load(&[("OKTA_CLIENT_PRIVATEKEY", RSA_JWK)])
        .expect("loads");
    assert_eq!(
        c.oauth_config().expect("oauth").key_id(),
        Some("console-kid")
    );
}

#[test]
fn private_key_errors_name_the_source_never_the_key() {
    // A PEM that is cut short: the message names the variable, not the text.
    let broken: String = RSA_PKCS1.lines().take(5).collect::<Vec<_>>().join("\n")
        + "\n-----END RSA PRIVATE KEY-----\n";
    let msg = env_error(&[("OKTA_CLIENT_PRIVATEKEY", &broken)]);
    assert!(msg.starts_with("OKTA_CLIENT_PRIVATEKEY: "), "{msg}");
    assert!(!msg.contains(key_line(RSA_PKCS1)), "{msg}");

    let dirs = Dirs::new();
    dirs.write_cwd("okta:\n  client:\n    privateKey: 12345\n");
    let msg = dirs.load(&[]).expect_err("a number").to_string();
    assert!(
        msg.ends_with("okta.client.privateKey: expected a string"),
        "{msg}"
    );
    dirs.write_cwd("okta:\n  client:\n    scopes: {a: b}\n");
    let msg = dirs.load(&[]).expect_err("a mapping").to_string();
    assert!(msg.contains("okta.client.scopes"), "{msg}");

    // What is missing, and where to set it.
    let c = Config::new().with_authorization_mode(AuthorizationMode::PrivateKey);
    let e = c.oauth_config().expect_err("no client id");
    assert!(e.to_string().contains("OKTA_CLIENT_CLIENTID"), "{e}");
    let e = c
        .clone()
        .with_client_id("0oa")
        .oauth_config()
        .expect_err("no key");
    assert!(e.to_string().contains("OKTA_CLIENT_PRIVATEKEY"), "{e}");
    let e = c
        .with_client_id("0oa")
        .with_private_key("not a key")
        .oauth_config()
        .expect_err("bad key");
    assert!(
        matches!(
            &e,
            ConfigError::Invalid {
                origin: Origin::Code("private_key"),
                ..
            }
        ),
        "{e:?}"
    );
    assert!(!e.to_string().contains("not a key"), "{e}");
}
