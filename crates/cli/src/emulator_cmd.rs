//! `okta-idsrc emulator`: serves the emulator until SIGINT or SIGTERM.

use std::io::Write as _;
use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use okta_idsrc_emulator::{DEFAULT_IDENTITY_SOURCE, DEFAULT_PORT, DEFAULT_TOKEN, Emulator, Faults};

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
    /// Requests in flight at once before 429 with X-Rate-Limit-Limit: 0 (default: unlimited).
    #[arg(long, value_name = "N")]
    concurrency_limit: Option<usize>,
    /// Share of /api/v1 requests that fail (500s, 503s, dropped connections), 0–1.
    #[arg(long, value_name = "R", default_value_t = 0.0)]
    fault_rate: f64,
    /// Share of triggered sessions that end in ERROR, 0–1.
    #[arg(long, value_name = "R", default_value_t = 0.0)]
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
    /// Minimum seconds between two session creations of one identity source (live Okta: 300).
    #[arg(long, value_name = "N", default_value_t = 0)]
    session_cooldown_secs: u64,
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
    let mut builder = Emulator::builder()
        .listen(args.listen)
        .token(args.token)
        .faults(Faults {
            import_error_rate: args.import_error_rate,
            ..Faults::uniform(args.fault_rate)
        })
        .latency(Duration::from_millis(args.latency_ms))
        .import_delay(Duration::from_millis(args.import_delay_ms))
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
    if let Some(n) = args.concurrency_limit {
        builder = builder.concurrency_limit(n);
    }
    if let Some(seed) = args.seed {
        builder = builder.seed(seed);
    }
    let emulator = match builder.start().await {
        Ok(e) => e,
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
    let _ = stdout.flush();
    drop(stdout);

    if let Err(e) = shutdown_signal().await {
        eprintln!("okta-idsrc emulator: cannot wait for signals: {e}");
        emulator.shutdown().await;
        return ExitCode::FAILURE;
    }
    emulator.shutdown().await;
    ExitCode::SUCCESS
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
