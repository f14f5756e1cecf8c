//! Cron-friendly monitoring of `import` and `sync`: `--metrics-file` writes the run's
//! metrics for node_exporter's textfile collector after every run, and `--notify-webhook`
//! posts the run's JSON report when it failed or a safeguard held it.
//!
//! A command records its report with [`report`] (the JSON `--output json` prints, and the
//! counts it holds); [`Monitor::finish`] then writes and posts what was recorded. The CLI
//! runs one command per process, so the record is one slot for the process.
//!
//! One file over 500 lines: the metrics file and the webhook share the recorded run, its
//! outcome and its timing; split, each half would import the other's internals.

use std::fmt;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use clap::Args;
use okta_idsrc_core::clock::{Clock, SystemClock};
use serde_json::{Value, json};

use crate::error::{CliError, EXIT_HELD};

/// The longest a notification may take, connecting included.
pub(crate) const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);

/// The prefix of every metric's name.
const PREFIX: &str = "okta_idsrc_";

/// `--metrics-file` and `--notify-webhook`.
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct MonitorArgs {
    /// After the run (success or failure), write its metrics to PATH, atomically, in the
    /// Prometheus text format (for node_exporter's textfile collector: name it *.prom).
    #[arg(long, value_name = "PATH", value_parser = metrics_path)]
    pub metrics_file: Option<PathBuf>,
    /// When the run fails or a safeguard holds it, POST its JSON report to URL: https://, or
    /// http:// to localhost, 127.0.0.1 or ::1 only. Never sends the Okta token; a failed
    /// notification is a warning and leaves the exit code alone.
    #[arg(long, value_name = "URL", value_parser = WebhookUrl::parse)]
    pub notify_webhook: Option<WebhookUrl>,
}

/// A `--metrics-file` path: its directory must exist (the temp file is made there).
fn metrics_path(value: &str) -> Result<PathBuf, String> {
    let path = PathBuf::from(value);
    if value.is_empty() || path.file_name().is_none() {
        return Err("expected a file's path".to_owned());
    }
    let dir = directory(&path);
    if !dir.is_dir() {
        return Err(format!("the directory {} does not exist", dir.display()));
    }
    Ok(path)
}

/// The directory `path` is in (`.` for a bare name).
fn directory(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// A webhook URL: HTTPS, or plain HTTP to a loopback host. `Debug` and `Display` show only
/// its scheme and host, since a webhook's path often holds its secret.
#[derive(Clone)]
pub(crate) struct WebhookUrl(http::Uri);

impl WebhookUrl {
    /// Parses and checks `value`.
    pub(crate) fn parse(value: &str) -> Result<Self, String> {
        let uri: http::Uri = value
            .trim()
            .parse()
            .map_err(|_| "not a URL: expected https://host/path".to_owned())?;
        let scheme = uri.scheme_str().unwrap_or_default().to_ascii_lowercase();
        let Some(authority) = uri.authority() else {
            return Err("expected https://host/path".to_owned());
        };
        if authority.as_str().contains('@') {
            return Err(
                "credentials in the URL are never sent: put the webhook's secret in its path"
                    .to_owned(),
            );
        }
        let host = authority.host();
        match scheme.as_str() {
            "https" => Ok(Self(uri)),
            "http" if is_loopback(host) => Ok(Self(uri)),
            "http" => Err(format!(
                "plain http:// only to localhost, 127.0.0.1 or ::1, not to {host}: use https://"
            )),
            _ => Err("expected an https:// URL".to_owned()),
        }
    }

    /// The URL itself, secret path included: only to send to.
    fn uri(&self) -> &http::Uri {
        &self.0
    }
}

impl fmt::Display for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = self.0.scheme_str().unwrap_or("https");
        let authority = self.0.authority().map_or("", |a| a.as_str());
        write!(f, "{scheme}://{authority}/…")
    }
}

impl fmt::Debug for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WebhookUrl({self})")
    }
}

/// `localhost`, `127.0.0.0/8` or `::1` (bracketed or not).
fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// What a run's report counts, for the metrics: what Okta accepted or changed, by kind, and
/// the requests it took.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Counts {
    /// Entities by kind (the report's names: `userUpsert`, …).
    pub entities: Vec<(&'static str, u64)>,
    /// Loads sent (acknowledged).
    pub loads: u64,
    /// Import sessions.
    pub sessions: u64,
    /// Retries of the client.
    pub retries: u64,
    /// 429 answers.
    pub rate_limited: u64,
}

impl Counts {
    /// A run that sent nothing: zero of each of `kinds`.
    pub(crate) fn nothing_sent(kinds: impl IntoIterator<Item = &'static str>) -> Self {
        Self {
            entities: kinds.into_iter().map(|k| (k, 0)).collect(),
            ..Self::default()
        }
    }
}

/// The run's report: its JSON and, when the report says, its counts.
struct Recorded {
    json: Value,
    counts: Option<Counts>,
}

/// The report of this process's run (the last one recorded).
static RECORDED: Mutex<Option<Recorded>> = Mutex::new(None);

/// Records the run's report: `json` as `--output json` prints it, and the `counts` it holds
/// (`None` when it holds none). A later call replaces an earlier one.
pub(crate) fn report(json: Value, counts: Option<Counts>) {
    *RECORDED.lock().unwrap_or_else(PoisonError::into_inner) = Some(Recorded { json, counts });
}

/// The JSON of the report recorded so far, if any.
pub(crate) fn recorded_json() -> Option<Value> {
    RECORDED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .as_ref()
        .map(|r| r.json.clone())
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Success,
    Failure,
    Held,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
            Self::Held => "held",
        }
    }
}

/// A run being monitored: started by [`MonitorArgs::start`], ended by [`Monitor::finish`].
pub(crate) struct Monitor {
    args: MonitorArgs,
    command: &'static str,
    source: String,
    /// The wall clock the timestamps are read from.
    wall: Arc<dyn Clock>,
    started: SystemTime,
    clock: Instant,
}

impl MonitorArgs {
    /// Starts monitoring a run of `command` (`import`, `sync run`, …) into identity source
    /// `source` (empty when unknown).
    pub(crate) fn start(&self, command: &'static str, source: impl Into<String>) -> Monitor {
        let wall: Arc<dyn Clock> = Arc::new(SystemClock);
        Monitor {
            args: self.clone(),
            command,
            source: source.into(),
            started: wall.now(),
            wall,
            clock: Instant::now(),
        }
    }

    /// Whether any monitoring output is asked for.
    pub(crate) fn any(&self) -> bool {
        self.metrics_file.is_some() || self.notify_webhook.is_some()
    }
}

/// What one finished run was.
struct Finished<'a> {
    command: &'a str,
    source: &'a str,
    started: SystemTime,
    ended: SystemTime,
    duration: Duration,
    outcome: Outcome,
    exit_code: u8,
    error: Option<&'a CliError>,
    recorded: Option<Recorded>,
}

impl Monitor {
    /// The run ended with `result`: writes the metrics file and, on failure or a hold,
    /// posts to the webhook. Problems with either are warnings on stderr; `result` stays.
    pub(crate) async fn finish(self, result: &Result<(), CliError>) {
        let recorded = RECORDED
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let (outcome, exit_code, error) = match result {
            Ok(()) => (Outcome::Success, 0, None),
            Err(e) if e.code == EXIT_HELD => (Outcome::Held, e.code, Some(e)),
            Err(e) => (Outcome::Failure, e.code, Some(e)),
        };
        let run = Finished {
            command: self.command,
            source: &self.source,
            started: self.started,
            ended: self.wall.now(),
            duration: self.clock.elapsed(),
            outcome,
            exit_code,
            error,
            recorded,
        };
        if let Some(path) = &self.args.metrics_file
            && let Err(e) = write_metrics(path, &run)
        {
            tracing::warn!("cannot write the metrics file {}: {e}", path.display());
        }
        if let Some(url) = &self.args.notify_webhook
            && outcome != Outcome::Success
        {
            match tokio::time::timeout(WEBHOOK_TIMEOUT, notify(url, &run)).await {
                Ok(Ok(())) => tracing::info!("notified the webhook {url}"),
                Ok(Err(e)) => tracing::warn!("cannot notify the webhook {url}: {e}"),
                Err(_) => tracing::warn!(
                    "cannot notify the webhook {url}: no answer within {}s",
                    WEBHOOK_TIMEOUT.as_secs()
                ),
            }
        }
    }
}

/// Unix seconds of `t`, with milliseconds.
fn unix(t: SystemTime) -> f64 {
    t.duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64()
}

/// `value` as a label value: backslash, double quote and newline escaped.
fn label_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// The metrics text of one run.
struct Exposition {
    text: String,
    labels: String,
}

impl Exposition {
    fn new(run: &Finished<'_>) -> Self {
        Self {
            text: String::new(),
            labels: format!(
                "command=\"{}\",identity_source=\"{}\"",
                label_value(run.command),
                label_value(run.source)
            ),
        }
    }

    /// A gauge with one sample per `(extra labels, value)`.
    fn gauge(&mut self, name: &str, help: &str, samples: &[(String, String)]) {
        let _ = writeln!(self.text, "# HELP {PREFIX}{name} {help}");
        let _ = writeln!(self.text, "# TYPE {PREFIX}{name} gauge");
        for (extra, value) in samples {
            let _ = writeln!(
                self.text,
                "{PREFIX}{name}{{{}{extra}}} {value}",
                self.labels
            );
        }
    }

    /// A gauge with one sample.
    fn one(&mut self, name: &str, help: &str, value: impl fmt::Display) {
        self.gauge(name, help, &[(String::new(), value.to_string())]);
    }
}

/// The name of the last-success metric (carried over from the previous file).
const LAST_SUCCESS: &str = "last_success_timestamp_seconds";

/// The metrics of `run`; `previous` is the file it replaces, whose last success a failed run
/// carries over (when its labels are this run's).
fn render(run: &Finished<'_>, previous: Option<&str>) -> String {
    let mut out = Exposition::new(run);
    out.one(
        "last_run_start_timestamp_seconds",
        "When the last run started, in unix seconds.",
        format!("{:.3}", unix(run.started)),
    );
    out.one(
        "last_run_end_timestamp_seconds",
        "When the last run ended, in unix seconds.",
        format!("{:.3}", unix(run.ended)),
    );
    out.one(
        "last_run_duration_seconds",
        "How long the last run took, in seconds.",
        format!("{:.3}", run.duration.as_secs_f64()),
    );
    out.one(
        "last_run_success",
        "1 when the last run succeeded, else 0.",
        u8::from(run.outcome == Outcome::Success),
    );
    out.one(
        "last_run_held",
        "1 when a safeguard held the last run (nothing sent), else 0.",
        u8::from(run.outcome == Outcome::Held),
    );
    out.one(
        "last_run_exit_code",
        "The exit code of the last run.",
        run.exit_code,
    );
    if let Some(counts) = run.recorded.as_ref().and_then(|r| r.counts.as_ref()) {
        let entities: Vec<(String, String)> = counts
            .entities
            .iter()
            .map(|(kind, n)| (format!(",kind=\"{}\"", label_value(kind)), n.to_string()))
            .collect();
        out.gauge(
            "last_run_entities",
            "Entities Okta accepted (import) or the state committed (sync) in the last run, by kind.",
            &entities,
        );
        out.one(
            "last_run_loads",
            "Bulk loads Okta acknowledged in the last run.",
            counts.loads,
        );
        out.one(
            "last_run_sessions",
            "Import sessions of the last run.",
            counts.sessions,
        );
        out.one(
            "last_run_retries",
            "Requests the last run retried.",
            counts.retries,
        );
        out.one(
            "last_run_rate_limited",
            "Answers 429 (rate limited) the last run got.",
            counts.rate_limited,
        );
    }
    let last_success = match run.outcome {
        Outcome::Success => Some(format!("{:.3}", unix(run.ended))),
        _ => previous.and_then(|text| carried(text, &out.labels)),
    };
    if let Some(value) = last_success {
        out.one(
            LAST_SUCCESS,
            "When a run last succeeded, in unix seconds.",
            value,
        );
    }
    out.text.push_str("# EOF\n");
    out.text
}

/// The last success in an earlier file of the same labels, if it has one.
fn carried(text: &str, labels: &str) -> Option<String> {
    let head = format!("{PREFIX}{LAST_SUCCESS}{{{labels}}} ");
    text.lines()
        .find_map(|line| line.strip_prefix(&head))
        .map(str::trim)
        .filter(|v| v.parse::<f64>().is_ok_and(f64::is_finite))
        .map(str::to_owned)
}

/// Writes the metrics of `run` to `path`: a temp file in the same directory (mode 0644),
/// then renamed over `path`, so that a collector never reads half a file.
fn write_metrics(path: &Path, run: &Finished<'_>) -> std::io::Result<()> {
    use std::io::Write;
    let previous = std::fs::read_to_string(path).ok();
    let text = render(run, previous.as_deref());
    let mut file = tempfile::Builder::new()
        .prefix(".okta-idsrc-metrics-")
        .suffix(".tmp")
        .tempfile_in(directory(path))?;
    file.write_all(text.as_bytes())?;
    file.as_file().sync_all()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// The webhook's body: the run, its error and its report.
fn envelope(run: &Finished<'_>) -> Value {
    json!({
        "command": run.command,
        "outcome": run.outcome.as_str(),
        "exitCode": run.exit_code,
        "identitySource": run.source,
        "startedAt": okta_idsrc_core::clock::timestamp(run.started),
        "endedAt": okta_idsrc_core::clock::timestamp(run.ended),
        "durationSeconds": run.duration.as_secs_f64(),
        "error": run.error.map(|e| json!({ "message": e.message, "details": e.details })),
        "report": run.recorded.as_ref().map(|r| &r.json),
    })
}

/// Posts [`envelope`] to `url` through the hyper transport, with the proxy settings the Okta
/// client uses and no credentials of any kind.
async fn notify(url: &WebhookUrl, run: &Finished<'_>) -> Result<(), String> {
    let config = okta_idsrc_ops::Config::from_env().map_err(|e| e.to_string())?;
    let transport = okta_idsrc::transport_builder(&config)
        .map_err(|e| crate::error::chain(&e))?
        .connect_timeout(WEBHOOK_TIMEOUT)
        .request_timeout(WEBHOOK_TIMEOUT)
        .build()
        .map_err(|e| crate::error::chain(&e))?;
    let body = serde_json::to_vec(&envelope(run)).map_err(|e| e.to_string())?;
    let request = http::Request::post(url.uri().clone())
        .header(http::header::CONTENT_TYPE, "application/json")
        .header(
            http::header::USER_AGENT,
            concat!("okta-idsrc-cli/", env!("CARGO_PKG_VERSION")),
        )
        .body(Bytes::from(body))
        .map_err(|e| e.to_string())?;
    let response = transport
        .send(request)
        .await
        .map_err(|e| crate::error::chain(&e))?;
    let status = response.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("it answered {status}"))
    }
}

#[cfg(test)]
mod tests;
