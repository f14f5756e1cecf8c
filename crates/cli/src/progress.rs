//! Import progress on stderr: an indicatif bar on a terminal, else a plain line at most
//! every two seconds.

use std::io::IsTerminal;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use okta_idsrc_import::{Phase, Progress, Waiting, WaitingFor};

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
                    let line = describe(p, true);
                    if crate::logging::json() {
                        tracing::info!(target: crate::logging::PROGRESS_TARGET, "{line}");
                    } else {
                        eprintln!("progress: {line}");
                    }
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
    // What holds the run up comes first: it is why nothing moves.
    let mut parts: Vec<String> = p.waiting.iter().map(held).collect();
    let phase = match &p.phase {
        Phase::Validating => Some(format!(
            "validating: {} entities read, {} invalid",
            p.entities_validated, p.entities_invalid
        )),
        Phase::Checking => Some("checking what Okta holds".to_owned()),
        Phase::Uploading { session } => Some(format!("uploading to session {session}")),
        Phase::Importing { session } => Some(format!("waiting for session {session} to import")),
        Phase::WaitingForSession { session } => {
            Some(format!("waiting for session {session} to finish"))
        }
        // The wait says the same, and for how long yet.
        Phase::CoolingDown { .. } if p.waiting.is_some() => None,
        Phase::CoolingDown { waited } => Some(format!(
            "waiting for Okta to accept a new session ({} so far)",
            duration(*waited)
        )),
        Phase::Done => Some("done".to_owned()),
        _ => Some("working".to_owned()),
    };
    parts.extend(phase);
    if let Some(total) = p.entities_total {
        if counts {
            parts.push(format!("{}/{total} entities uploaded", p.entities_uploaded));
        }
        parts.push(format!(
            "loads {}/{}",
            p.loads_acknowledged,
            p.loads_total.unwrap_or_default()
        ));
        parts.push(format!("{} sessions completed", p.sessions_completed));
        if p.rate_per_sec > 0.0 {
            parts.push(format!("{:.0}/s", p.rate_per_sec));
        }
        // While held, the rate says nothing of the time left: the hold does.
        if let (Some(eta), None) = (p.eta, &p.waiting) {
            parts.push(format!("about {} left", duration(eta)));
        }
    }
    parts.join("; ")
}

/// What holds the run up, in words, and for how long yet (or so far, when that is unknown).
fn held(w: &Waiting) -> String {
    hold_text(w.what, w.waited, w.left)
}

/// [`held`] of its parts: "waiting for Okta's cool-down, 4m 12s left", "held by the rate
/// limit, 20s left", "waiting to retry (3s so far)".
fn hold_text(what: WaitingFor, waited: Duration, left: Option<Duration>) -> String {
    let what = match what {
        WaitingFor::SessionCooldown => "waiting for Okta's cool-down",
        WaitingFor::RateLimit => "held by the rate limit",
        _ => "waiting to retry",
    };
    match left {
        Some(left) => format!("{what}, {} left", duration(left)),
        None => format!("{what} ({} so far)", duration(waited)),
    }
}

/// `d` in whole seconds, as people say it: `20s`, `4m 12s`, `1h 3m`.
fn duration(d: Duration) -> String {
    // A wait of 0.4 s still has a moment left: round up.
    let secs = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m {}s", s / 60, s % 60),
        s => format!("{}h {}m", s / 3600, s % 3600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_as_people_say_them() {
        assert_eq!(duration(Duration::ZERO), "0s");
        assert_eq!(duration(Duration::from_millis(19_200)), "20s");
        assert_eq!(duration(Duration::from_secs(252)), "4m 12s");
        assert_eq!(duration(Duration::from_secs(3780)), "1h 3m");
    }

    #[test]
    fn holds_say_what_and_for_how_long() {
        let secs = Duration::from_secs;
        for (waiting, elapsed, left, text) in [
            (
                WaitingFor::SessionCooldown,
                48,
                Some(252),
                "waiting for Okta's cool-down, 4m 12s left",
            ),
            (
                WaitingFor::RateLimit,
                1,
                Some(20),
                "held by the rate limit, 20s left",
            ),
            (
                WaitingFor::RateLimit,
                7,
                None,
                "held by the rate limit (7s so far)",
            ),
            (WaitingFor::Retry, 3, None, "waiting to retry (3s so far)"),
        ] {
            assert_eq!(hold_text(waiting, secs(elapsed), left.map(secs)), text);
        }
    }
}
