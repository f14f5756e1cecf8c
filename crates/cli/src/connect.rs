//! Where commands send their requests: an org from flags, `OKTA_CLIENT_*` or okta.yaml, or
//! the embedded emulator with `--emulator` (never without it: a command with no org
//! configured fails, so that a misspelt setting cannot turn a real import into a trial).

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use clap::Args;
use okta_idsrc::SetupError;
use okta_idsrc_core::OrgUrl;
use okta_idsrc_emulator::{DEFAULT_IDENTITY_SOURCE, DEFAULT_TOKEN, Emulator, EmulatorHandle};
use okta_idsrc_ops::config::AuthorizationMode;
use okta_idsrc_ops::{Client, Config, IdentitySource};

use crate::error::{CliError, chain};

/// A token given on the command line or in `OKTA_CLIENT_TOKEN`; `Debug` never shows it.
#[derive(Clone)]
pub(crate) struct Token(String);

impl FromStr for Token {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.trim().to_owned()))
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// A private key given on the command line (PEM or JWK text, or a file's path); `Debug`
/// never shows it.
#[derive(Clone)]
pub(crate) struct KeyArg(String);

impl FromStr for KeyArg {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_owned()))
    }
}

impl fmt::Debug for KeyArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyArg(<redacted>)")
    }
}

fn parse_mode(value: &str) -> Result<AuthorizationMode, String> {
    AuthorizationMode::parse(value)
}

/// The org, credentials and identity source of a command.
///
/// Precedence: these flags, then `OKTA_CLIENT_*` environment variables, then `./okta.yaml`,
/// then `~/.okta/okta.yaml`. With `--emulator`, the command runs against an emulator started
/// in-process; with no org anywhere and no `--emulator`, it fails.
#[derive(Debug, Clone, Args)]
pub(crate) struct ConnArgs {
    /// The Okta org, e.g. https://acme.okta.com (else OKTA_CLIENT_ORGURL or okta.yaml).
    #[arg(long, value_name = "URL", global = true)]
    pub org_url: Option<String>,
    /// The API token (SSWS) or access token (Bearer, with OKTA_CLIENT_AUTHORIZATIONMODE).
    #[arg(
        long,
        value_name = "TOKEN",
        env = "OKTA_CLIENT_TOKEN",
        hide_env_values = true,
        global = true
    )]
    pub token: Option<Token>,
    /// Read the token from this file (its first line) instead: unlike --token, it does not
    /// show in `ps` or the shell's history.
    #[arg(long, value_name = "PATH", global = true, conflicts_with = "token")]
    pub token_file: Option<PathBuf>,
    /// How to authenticate: SSWS (API token), Bearer (access token) or PrivateKey (an OAuth
    /// service app: client id and private key, DPoP) (else OKTA_CLIENT_AUTHORIZATIONMODE or
    /// okta.yaml).
    #[arg(long, value_name = "MODE", value_parser = parse_mode, global = true)]
    pub authorization_mode: Option<AuthorizationMode>,
    /// The service app's client id, with PrivateKey (else OKTA_CLIENT_CLIENTID or okta.yaml).
    #[arg(long, value_name = "ID", global = true)]
    pub client_id: Option<String>,
    /// The scopes to request, space- or comma-separated, with PrivateKey (else
    /// OKTA_CLIENT_SCOPES or okta.yaml; default okta.identitySources.manage and .read).
    #[arg(long, value_name = "SCOPES", global = true)]
    pub scopes: Option<String>,
    /// The service app's private key, with PrivateKey: a PEM or JWK file's path (or the text
    /// itself) (else OKTA_CLIENT_PRIVATEKEY or okta.yaml).
    #[arg(long, value_name = "FILE", global = true)]
    pub private_key: Option<KeyArg>,
    /// The private key's id (kid), with PrivateKey (else OKTA_CLIENT_PRIVATEKEYID or
    /// okta.yaml).
    #[arg(long, value_name = "KID", global = true)]
    pub private_key_id: Option<String>,
    /// The identity source id (0oa…); the embedded emulator's by default.
    #[arg(long, value_name = "ID", env = "OKTA_IDSRC_SOURCE", global = true)]
    pub source: Option<String>,
    /// Use an emulator started in-process (a local trial: nothing reaches an org), whatever
    /// org is configured.
    #[arg(long, global = true)]
    pub emulator: bool,
}

/// A connected client: the identity source handle and the embedded emulator when one was
/// started.
pub(crate) struct Target {
    /// The identity source.
    pub source: IdentitySource<okta_idsrc_ops::BoxedService>,
    /// The emulator started in-process, if any.
    pub emulator: Option<EmulatorHandle>,
}

impl Target {
    /// The client.
    pub(crate) fn client(&self) -> &Client {
        self.source.client()
    }

    /// Stops the embedded emulator, if any, letting open requests finish.
    pub(crate) async fn shutdown(self) {
        if let Some(emulator) = self.emulator {
            emulator.shutdown().await;
        }
    }
}

impl ConnArgs {
    /// Resolves the configuration and builds the client; starts the embedded emulator with
    /// `--emulator` (saying so in one line on stderr). No org and no `--emulator`: a usage
    /// error naming where an org is set.
    pub(crate) async fn connect(&self) -> Result<Target, CliError> {
        let mut config = Config::from_env()?;
        if let Some(url) = &self.org_url {
            config.org_url = Some(
                OrgUrl::parse(url)
                    .map_err(|e| CliError::usage(format!("--org-url: {}", e.reason)))?,
            );
        }
        if let Some(Token(token)) = &self.token
            && !token.is_empty()
        {
            config = config.with_token(token.clone());
        }
        if let Some(path) = &self.token_file {
            config = config.with_token(read_token_file(path)?);
        }
        self.apply_oauth_flags(&mut config)?;
        if !self.emulator && config.org_url.is_none() {
            return Err(no_org());
        }
        let (emulator, source) = match self.emulator {
            true => {
                let why = "--emulator";
                let mut builder = Emulator::builder().token(DEFAULT_TOKEN);
                if let Some(source) = &self.source {
                    builder = builder.identity_source(source.clone());
                }
                let emulator = builder.start().await.map_err(|e| {
                    CliError::failure(format!("cannot start the embedded emulator: {e}"))
                })?;
                crate::logging::notice(&format!(
                    "using the embedded emulator at {} ({why})",
                    emulator.base_url()
                ));
                config.org_url = Some(OrgUrl::parse(&emulator.base_url()).map_err(|e| {
                    CliError::failure(format!("the embedded emulator's URL: {}", e.reason))
                })?);
                config.authorization_mode = AuthorizationMode::Ssws;
                config = config.with_token(DEFAULT_TOKEN);
                let source = self
                    .source
                    .clone()
                    .unwrap_or_else(|| DEFAULT_IDENTITY_SOURCE.to_owned());
                (Some(emulator), source)
            }
            false => {
                let source = self.source.clone().ok_or_else(|| {
                    CliError::usage(
                        "no identity source: give --source 0oa… (or set OKTA_IDSRC_SOURCE)",
                    )
                })?;
                (None, source)
            }
        };
        let config =
            config.with_user_agent_suffix(concat!("okta-idsrc-cli/", env!("CARGO_PKG_VERSION")));
        let client = okta_idsrc::client_from_config(&config).map_err(|e| match e {
            SetupError::Config(e) => CliError::from(e),
            other => CliError::usage(format!("cannot set up HTTPS: {}", chain(&other))),
        })?;
        Ok(Target {
            source: client.identity_source(source),
            emulator,
        })
    }
}

/// The settings `OKTA_CLIENT_*` variables may name (the others are misspellings).
const KNOWN_VARIABLES: &[&str] = {
    use okta_idsrc_ops::config::*;
    &[
        ENV_ORG_URL,
        ENV_TOKEN,
        ENV_AUTHORIZATION_MODE,
        ENV_CLIENT_ID,
        ENV_SCOPES,
        ENV_PRIVATE_KEY,
        ENV_PRIVATE_KEY_ID,
        ENV_CONNECTION_TIMEOUT,
        ENV_REQUEST_TIMEOUT,
        ENV_MAX_RETRIES,
        "OKTA_CLIENT_PROXY_HOST",
        "OKTA_CLIENT_PROXY_PORT",
        "OKTA_CLIENT_PROXY_USERNAME",
        "OKTA_CLIENT_PROXY_PASSWORD",
    ]
};

/// The error of a command with no org: where to set one, `--emulator` for a trial, and any
/// `OKTA_CLIENT_*` variable that is set but is no setting (`OKTA_CLIENT_ORG_URL`, say).
fn no_org() -> CliError {
    let mut message = "no Okta org configured: give --org-url https://…, set OKTA_CLIENT_ORGURL \
                       or okta.client.orgUrl in okta.yaml (./okta.yaml or ~/.okta/okta.yaml); \
                       or run with --emulator for a local trial against an in-process emulator"
        .to_owned();
    let mut unknown: Vec<String> = std::env::vars_os()
        .filter_map(|(name, _)| name.into_string().ok())
        .filter(|name| {
            name.starts_with("OKTA_CLIENT_") && !KNOWN_VARIABLES.contains(&name.as_str())
        })
        .collect();
    unknown.sort();
    if !unknown.is_empty() {
        message.push_str(&format!(
            " ({} set, but no such setting exists)",
            unknown.join(", ")
        ));
    }
    CliError::usage(message)
}

/// The token in `path`: its first line, trimmed. A missing, unreadable or empty file is a
/// usage error naming it (never quoting what it holds).
fn read_token_file(path: &std::path::Path) -> Result<String, CliError> {
    use std::io::{BufRead, BufReader, Read};
    let name = path.display();
    let file = std::fs::File::open(path)
        .map_err(|e| CliError::usage(format!("--token-file {name}: cannot open: {e}")))?;
    if !file.metadata().is_ok_and(|m| m.is_file()) {
        return Err(CliError::usage(format!(
            "--token-file {name}: not a regular file"
        )));
    }
    // A token is short: read at most a few KiB, whatever the file holds.
    let mut line = String::new();
    BufReader::new(file.take(8 * 1024))
        .read_line(&mut line)
        .map_err(|e| CliError::usage(format!("--token-file {name}: cannot read: {e}")))?;
    let token = line.trim();
    if token.is_empty() {
        return Err(CliError::usage(format!(
            "--token-file {name}: the file's first line is empty; put the token there"
        )));
    }
    Ok(token.to_owned())
}

impl ConnArgs {
    /// Puts the OAuth flags over the configuration's values.
    fn apply_oauth_flags(&self, config: &mut Config) -> Result<(), CliError> {
        if let Some(mode) = self.authorization_mode {
            config.authorization_mode = mode;
        }
        if let Some(id) = self.client_id.as_deref().map(str::trim)
            && !id.is_empty()
        {
            config.client_id = Some(id.to_owned());
        }
        if let Some(scopes) = &self.scopes {
            let scopes: Vec<String> = scopes
                .split(|c: char| c.is_whitespace() || c == ',')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            if scopes.is_empty() {
                return Err(CliError::usage(
                    "--scopes: expected scopes separated by spaces or commas",
                ));
            }
            config.scopes = Some(scopes);
        }
        if let Some(KeyArg(key)) = &self.private_key
            && !key.trim().is_empty()
        {
            okta_idsrc_ops::oauth::load_private_key(key)
                .map_err(|e| CliError::usage(format!("--private-key: {}", chain(&e))))?;
            config.private_key = Some(key.clone().into());
        }
        if let Some(kid) = self.private_key_id.as_deref().map(str::trim)
            && !kid.is_empty()
        {
            config.private_key_id = Some(kid.to_owned());
        }
        Ok(())
    }
}

impl ConnArgs {
    /// The org and identity source the flags and configuration name, without connecting:
    /// what a sync state is keyed by. The embedded emulator is refused: it forgets everything
    /// when the command ends, while the state would remember it.
    pub(crate) fn target(&self) -> Result<okta_idsrc_sync::Target, CliError> {
        let persistent = "sync keeps state between runs; the embedded emulator does not \
                          (run `okta-idsrc emulator` and give its URL with --org-url)";
        if self.emulator {
            return Err(CliError::usage(format!("--emulator: {persistent}")));
        }
        let url = match &self.org_url {
            Some(url) => url.clone(),
            None => match Config::from_env()?.org_url {
                Some(url) => url.as_str().to_owned(),
                None => {
                    return Err(CliError::usage(format!(
                        "no org configured: give --org-url (or OKTA_CLIENT_ORGURL); {persistent}"
                    )));
                }
            },
        };
        let source = self.source.as_deref().ok_or_else(|| {
            CliError::usage("no identity source: give --source 0oa… (or set OKTA_IDSRC_SOURCE)")
        })?;
        okta_idsrc_sync::Target::new(&url, source)
            .map_err(|reason| CliError::usage(format!("--org-url: {reason}")))
    }
}
