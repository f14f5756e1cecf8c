//! Import progress on stderr: an indicatif bar on a terminal, else a plain line at most
//! every two seconds.

use std::io::IsTerminal;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use okta_idsrc_import::{Phase, Progress};

/// The least time between two plain progress lines.
const PLAIN_INTERVAL: Duration = Duration::from_secs(2);

/// Where progress goes.
enum Sink {
    /// An indicatif bar (stderr is a terminal).
    Bar(ProgressBar),
    /// Plain lines, with when the last one was printed (or the run started).
    Plain(Mutex<Instant>),
}

/// Shows an import's progress on stderr.
pub(crate) struct ProgressDisplay {
    sink: Sink,
}

impl ProgressDisplay {
    /// A bar when stderr is a terminal, plain lines otherwise.
    pub(crate) fn new() -> Arc<Self> {
        let sink = if std::io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {wide_msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar.enable_steady_tick(Duration::from_millis(120));
            Sink::Bar(bar)
        } else {
            Sink::Plain(Mutex::new(Instant::now()))
        };
        Arc::new(Self { sink })
    }

    /// Shows `p`.
    pub(crate) fn update(&self, p: &Progress) {
        match &self.sink {
            Sink::Bar(bar) => {
                match p.entities_total {
                    Some(total) => {
                        bar.set_length(total);
                        bar.set_position(p.entities_uploaded.min(total));
                    }
                    None => {
                        bar.set_length(p.entities_validated);
                        bar.set_position(p.entities_validated);
                    }
                }
                bar.set_message(describe(p, false));
            }
            Sink::Plain(last) => {
                let mut last = last.lock().unwrap_or_else(PoisonError::into_inner);
                if p.phase != Phase::Done && last.elapsed() >= PLAIN_INTERVAL {
                    *last = Instant::now();
                    eprintln!("progress: {}", describe(p, true));
                }
            }
        }
    }

    /// Removes the bar, if any.
    pub(crate) fn finish(&self) {
        if let Sink::Bar(bar) = &self.sink {
            bar.finish_and_clear();
        }
    }
}

/// One line about `p`; `counts` adds the entity counts (the bar shows them itself).
fn describe(p: &Progress, counts: bool) -> String {
    let mut out = match &p.phase {
        Phase::Validating => format!(
            "validating: {} entities read, {} invalid",
            p.entities_validated, p.entities_invalid
        ),
        Phase::Uploading { session } => format!("uploading to session {session}"),
        Phase::Importing { session } => format!("waiting for session {session} to import"),
        Phase::WaitingForSession { session } => format!("waiting for session {session} to finish"),
        Phase::CoolingDown { waited } => format!(
            "waiting for Okta to accept a new session ({}s so far)",
            waited.as_secs()
        ),
        Phase::Done => "done".to_owned(),
        _ => "working".to_owned(),
    };
    if p.entities_total.is_some() {
        if counts {
            out.push_str(&format!(
                "; {}/{} entities uploaded",
                p.entities_uploaded,
                p.entities_total.unwrap_or_default()
            ));
        }
        out.push_str(&format!(
            "; loads {}/{}; {} sessions completed",
            p.loads_acknowledged,
            p.loads_total.unwrap_or_default(),
            p.sessions_completed
        ));
        if p.rate_per_sec > 0.0 {
            out.push_str(&format!("; {:.0}/s", p.rate_per_sec));
        }
        if let Some(eta) = p.eta {
            out.push_str(&format!("; about {}s left", eta.as_secs()));
        }
    }
    out
}
