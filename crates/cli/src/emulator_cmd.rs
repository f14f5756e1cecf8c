//! `okta-idsrc emulator`: serves the emulator until SIGINT or SIGTERM.

use std::io::Write as _;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{ArgAction, Args};
use okta_idsrc_emulator::{
    DEFAULT_IDENTITY_SOURCE, DEFAULT_PORT, DEFAULT_TOKEN, Emulator, EmulatorHandle, Faults,
    OAuthClient, OAuthSettings, SCOPE_MANAGE, SCOPE_READ,
};

/// Options of `okta-idsrc emulator`.
#[derive(Debug, Args)]
pub(crate) struct EmulatorArgs {
    /// Address to listen on. Loopback by default; anything else must be given explicitly.
    #[arg(long, default_value_t = SocketAddr::from((Ipv4Addr::LOCALHOST, DEFAULT_PORT)))]
    listen: SocketAddr,
    /// Token accepted as `SSWS <token>` or `Bearer <token>`.
    #[arg(long, default_value = DEFAULT_TOKEN, env = "OKTA_IDSRC_EMULATOR_TOKEN", hide_env_values = true)]
    token: String,
    /// Identity source id to serve (repeatable).
    #[arg(long = "identity-source", value_name = "ID", default_value = DEFAULT_IDENTITY_SOURCE)]
    identity_sources: Vec<String>,
    /// Requests per minute in the general /api/v1 bucket (default: unlimited).
    #[arg(long, value_name = "N")]
    rate_limit: Option<u32>,
    /// Session creations per minute, a bucket of its own (default: unlimited).
    #[arg(long, value_name = "N")]
    session_rate_limit: Option<u32>,
    /// An org-wide bucket of N requests per minute that every /api/v1 request counts against
    /// beside its endpoint's; responses then carry two values of each X-Rate-Limit-* header
    /// (org-wide first), as live Okta does when several limits apply.
    #[arg(long, value_name = "N")]
    org_rate_limit: Option<u32>,
    /// Requests in flight at once before 429 with X-Rate-Limit-Limit: 0 (default: unlimited).
    #[arg(long, value_name = "N")]
    concurrency_limit: Option<usize>,
    /// Share of /api/v1 requests that fail (500s, 503s, dropped connections), 0–1.
    #[arg(long, value_name = "R", default_value_t = 0.0, value_parser = rate)]
    fault_rate: f64,
    /// Share of triggered sessions that end in ERROR, 0–1.
    #[arg(long, value_name = "R", default_value_t = 0.0, value_parser = rate)]
    import_error_rate: f64,
    /// Seed of ids and faults (default: random).
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
    /// Latency added to every /api/v1 request, in milliseconds.
    #[arg(long, value_name = "N", default_value_t = 0)]
    latency_ms: u64,
    /// Delay before a triggered session is processed, in milliseconds.
    #[arg(long, value_name = "N", default_value_t = 0)]
    import_delay_ms: u64,
    /// Processing time per entity a triggered session holds (user, group, or group member),
    /// in milliseconds, on top of --import-delay-ms.
    #[arg(long, value_name = "MS", default_value_t = 0.0, value_parser = millis)]
    import_ms_per_entity: f64,
    /// Run the emulator's durations N times faster: the session cool-down, the import delay
    /// and per-entity time, idle expiry and the rate-limit windows (60 s / N) are divided by N.
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(1..))]
    time_scale: u32,
    /// Start from this state (the GET /__emulator/state format): users, groups,
    /// memberships, sessions and their waiting loads.
    #[arg(long, value_name = "STATE.json")]
    load: Option<PathBuf>,
    /// On a clean shutdown (SIGINT, SIGTERM), write the state to this file (the
    /// /__emulator/state format; --load reads it back).
    #[arg(long, value_name = "STATE.json")]
    save: Option<PathBuf>,
    /// Minimum seconds between two session creations of one identity source (live Okta: 300).
    #[arg(long, value_name = "N", default_value_t = 0)]
    session_cooldown_secs: u64,
    /// Register an OAuth 2.0 service app with this client id (private_key_jwt; needs
    /// --oauth-jwks). Its tokens come from POST /oauth2/v1/token.
    #[arg(long, value_name = "ID", requires = "oauth_jwks")]
    oauth_client: Option<String>,
    /// The service app's public keys: a JWK Set, one JWK, or a PEM private key (only the
    /// public part is kept).
    #[arg(long, value_name = "FILE", requires = "oauth_client")]
    oauth_jwks: Option<PathBuf>,
    /// Scopes granted to the service app (space- or comma-separated, repeatable).
    #[arg(long, value_name = "SCOPE", num_args = 1.., value_delimiter = ',',
          default_values_t = [SCOPE_MANAGE.to_owned(), SCOPE_READ.to_owned()])]
    oauth_scopes: Vec<String>,
    /// Whether the service app requires DPoP (as Okta's service apps do by default).
    #[arg(long, value_name = "BOOL", default_value_t = true, action = ArgAction::Set)]
    oauth_dpop: bool,
    /// Access-token lifetime in seconds (live Okta: 3600).
    #[arg(long, value_name = "N", default_value_t = 3600)]
    oauth_token_lifetime_secs: u64,
    /// Require a DPoP nonce on resource requests too (off, as on Okta).
    #[arg(long)]
    oauth_resource_nonce: bool,
}

/// A duration in milliseconds: a finite number, 0 or more.
fn millis(s: &str) -> Result<f64, String> {
    let ms: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a number"))?;
    if ms.is_finite() && (0.0..=3_600_000.0).contains(&ms) {
        Ok(ms)
    } else {
        Err(format!(
            "{s} is not a number of milliseconds from 0 to 3600000"
        ))
    }
}

/// A probability: a number from 0 to 1.
fn rate(s: &str) -> Result<f64, String> {
    let r: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a number"))?;
    if (0.0..=1.0).contains(&r) {
        Ok(r)
    } else {
        Err(format!("{s} is not a rate from 0 to 1"))
    }
}

/// Runs the emulator until SIGINT or SIGTERM, then shuts it down gracefully.
pub(crate) fn run(args: EmulatorArgs) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("okta-idsrc emulator: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(serve(args))
}

async fn serve(args: EmulatorArgs) -> ExitCode {
    let oauth_client = match oauth_client(&args) {
        Ok(client) => client,
        Err(e) => {
            eprintln!("okta-idsrc emulator: {e}");
            return ExitCode::FAILURE;
        }
    };
    let initial = match &args.load {
        Some(path) => match load_state(path) {
            Ok(snapshot) => Some(snapshot),
            Err(e) => {
                eprintln!("okta-idsrc emulator: {e}");
                return ExitCode::from(2);
            }
        },
        None => None,
    };
    let mut builder = Emulator::builder()
        .listen(args.listen)
        .token(args.token)
        .faults(Faults {
            import_error_rate: args.import_error_rate,
            ..Faults::uniform(args.fault_rate)
        })
        .latency(Duration::from_millis(args.latency_ms))
        .import_delay(Duration::from_millis(args.import_delay_ms))
        .import_time_per_entity(Duration::from_secs_f64(args.import_ms_per_entity / 1000.0))
        .time_scale(args.time_scale)
        .session_cooldown(Duration::from_secs(args.session_cooldown_secs));
    for id in args.identity_sources {
        builder = builder.identity_source(id);
    }
    if let Some(n) = args.rate_limit {
        builder = builder.rate_limit(n);
    }
    if let Some(n) = args.session_rate_limit {
        builder = builder.session_rate_limit(n);
    }
    if let Some(n) = args.org_rate_limit {
        builder = builder.org_rate_limit(n);
    }
    if let Some(n) = args.concurrency_limit {
        builder = builder.concurrency_limit(n);
    }
    if let Some(json) = initial {
        builder = builder.state_json(json);
    }
    if let Some(seed) = args.seed {
        builder = builder.seed(seed);
    }
    if let Some(client) = &oauth_client {
        builder = builder.oauth_client(client.clone());
    }
    builder = builder.oauth(OAuthSettings {
        token_lifetime: Duration::from_secs(args.oauth_token_lifetime_secs),
        resource_nonce_mode: args.oauth_resource_nonce,
        ..OAuthSettings::default()
    });
    let emulator = match builder.start().await {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
            let path = args.load.as_deref().unwrap_or(std::path::Path::new("?"));
            eprintln!("okta-idsrc emulator: --load {}: {e}", path.display());
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("okta-idsrc emulator: cannot listen on {}: {e}", args.listen);
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(
        stdout,
        "okta-idsrc emulator listening on {}",
        emulator.base_url()
    );
    if let (Some(client), Some(jwks)) = (&oauth_client, &args.oauth_jwks) {
        let _ = stdout.write_all(oauth_usage(&emulator, client, jwks).as_bytes());
    }
    let _ = stdout.flush();
    drop(stdout);

    if let Err(e) = shutdown_signal().await {
        eprintln!("okta-idsrc emulator: cannot wait for signals: {e}");
        emulator.shutdown().await;
        return ExitCode::FAILURE;
    }
    match &args.save {
        Some(path) => match save_state(path, emulator).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("okta-idsrc emulator: {e}");
                ExitCode::FAILURE
            }
        },
        None => {
            emulator.shutdown().await;
            ExitCode::SUCCESS
        }
    }
}

/// Reads `--load FILE` (checked when the emulator starts).
fn load_state(path: &std::path::Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read --load {}: {e}", path.display()))
}

/// Shuts the emulator down and writes its state to `--save FILE`, streamed through a
/// temporary file beside it that is renamed into place, so the file is never left half written.
async fn save_state(path: &std::path::Path, emulator: EmulatorHandle) -> Result<(), String> {
    let failed = |e: std::io::Error| format!("cannot write --save {}: {e}", path.display());
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let file = std::fs::File::create(&tmp).map_err(failed)?;
    let mut out = std::io::BufWriter::new(file);
    emulator
        .shutdown_and_write_state(&mut out)
        .await
        .map_err(failed)?;
    let file = out.into_inner().map_err(|e| failed(e.into_error()))?;
    file.sync_all().map_err(failed)?;
    std::fs::rename(&tmp, path).map_err(failed)
}

/// The service app `--oauth-client` and `--oauth-jwks` describe, if any.
fn oauth_client(args: &EmulatorArgs) -> Result<Option<OAuthClient>, String> {
    let (Some(id), Some(path)) = (&args.oauth_client, &args.oauth_jwks) else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read --oauth-jwks {}: {e}", path.display()))?;
    let jwks = OAuthClient::parse_keys(&text)
        .map_err(|e| format!("--oauth-jwks {}: {e}", path.display()))?;
    let scopes: Vec<String> = args
        .oauth_scopes
        .iter()
        .flat_map(|s| s.split_whitespace())
        .map(str::to_owned)
        .collect();
    Ok(Some(
        OAuthClient::new(id.clone(), jwks)
            .with_scopes(scopes)
            .with_dpop(args.oauth_dpop),
    ))
}

/// How to use the registered service app, printed after the first line.
fn oauth_usage(emulator: &EmulatorHandle, client: &OAuthClient, jwks: &std::path::Path) -> String {
    let base = emulator.base_url();
    let token_url = emulator.token_url();
    let id = &client.client_id;
    let scopes = client.scopes.join(" ");
    let kids: Vec<&str> = client
        .jwks
        .iter()
        .filter_map(|k| k.kid.as_deref())
        .collect();
    let kids = if kids.is_empty() {
        String::from("none")
    } else {
        kids.join(", ")
    };
    // With several keys, assertions must name theirs.
    let key_id = if client.jwks.len() > 1 {
        " OKTA_CLIENT_PRIVATEKEYID=<its kid>"
    } else {
        ""
    };
    let dpop = if client.dpop_bound {
        "DPoP required: send a DPoP proof (an ephemeral key of its own) with every token and API\n\
         request; the first token request is answered 400 use_dpop_nonce with a DPoP-Nonce header,\n\
         retry with a new assertion and a proof carrying that nonce. Then call /api/v1 with\n\
         `Authorization: DPoP <access_token>` and a fresh proof (htm, htu, ath) each time."
    } else {
        "DPoP not required: call /api/v1 with `Authorization: Bearer <access_token>`."
    };
    format!(
        "OAuth service app {id}: keys from {jwks} (kid: {kids}), scopes: {scopes}\n\
         token endpoint: POST {token_url} (form: grant_type=client_credentials, scope,\n\
         client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer,\n\
         client_assertion = a JWT signed by the private key: iss = sub = {id},\n\
         aud = {token_url}, exp <= now + 1 h, a unique jti)\n\
         {dpop}\n\
         With okta-idsrc: OKTA_CLIENT_ORGURL={base} OKTA_CLIENT_AUTHORIZATIONMODE=PrivateKey \\\n\
         \x20 OKTA_CLIENT_CLIENTID={id} OKTA_CLIENT_SCOPES=\"{scopes}\" \\\n\
         \x20 OKTA_CLIENT_PRIVATEKEY=<private key file>{key_id} okta-idsrc ...\n",
        jwks = jwks.display(),
    )
}

/// Resolves on SIGINT (Ctrl-C) or, on Unix, SIGTERM.
async fn shutdown_signal() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate())?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r,
            _ = term.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await
    }
}
