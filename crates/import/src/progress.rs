//! [`Progress`]: what a run has done so far, delivered to
//! [`ImportOptions::on_progress`](super::ImportOptions::on_progress).

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use okta_idsrc_ops::Hold;
use tokio::time::Instant;

use super::options::ProgressCallback;
use super::report::EntityCounts;

/// The least time between two progress calls (ten a second at most), phase changes aside.
pub const PROGRESS_INTERVAL: Duration = Duration::from_millis(100);

/// What the run is doing.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Phase {
    /// Reading and validating the input.
    Validating,
    /// Asking Okta what the run starts from, before the first upload: the users and groups
    /// the input names without upserting them, and the sessions already open. A silent org
    /// holds the run here, not in [`Validating`](Self::Validating).
    Checking,
    /// Uploading loads.
    Uploading {
        /// The session the loads go to.
        session: String,
    },
    /// Waiting for a session's import to finish.
    Importing {
        /// The session.
        session: String,
    },
    /// Waiting for a session this run did not start (or started in an earlier run) to
    /// finish before opening a new one.
    WaitingForSession {
        /// The session.
        session: String,
    },
    /// Waiting for Okta to accept a new session (its cool-down after the last one).
    CoolingDown {
        /// How long the importer has waited so far.
        waited: Duration,
    },
    /// Finished.
    Done,
}

/// What holds the run up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WaitingFor {
    /// Okta's cool-down between sessions: it refuses a new session yet
    /// ([`Phase::CoolingDown`]).
    SessionCooldown,
    /// Okta's rate limits: the client's rate limiter holds requests until a window resets
    /// or a concurrency slot frees, or the retry layer waits after a 429.
    RateLimit,
    /// The retry layer waits before sending failed requests again.
    Retry,
}

/// A wait that holds the run up: what for, since when, and for how long yet.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Waiting {
    /// What the run waits for.
    pub what: WaitingFor,
    /// How long it has waited so far.
    pub waited: Duration,
    /// How long it still waits, when that is known: for the rate limit, the longest a held
    /// request has left; for the cool-down, what is left of
    /// [`session_cooldown`](super::ImportOptions::session_cooldown) since the last
    /// session was triggered (Okta may accept sooner).
    pub left: Option<Duration>,
    /// The requests held (0 for the cool-down, where the importer itself waits).
    pub requests: usize,
}

/// What a run has done so far.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Progress {
    /// What the run is doing.
    pub phase: Phase,
    /// Entities read and checked.
    pub entities_validated: u64,
    /// Entities found invalid.
    pub entities_invalid: u64,
    /// Valid entities to import, once validation is over.
    pub entities_total: Option<u64>,
    /// Entities in acknowledged loads (those an earlier run imported included).
    pub entities_uploaded: u64,
    /// Loads acknowledged (those an earlier run imported included).
    pub loads_acknowledged: u64,
    /// Loads the input packs into, once validation is over.
    pub loads_total: Option<u64>,
    /// Sessions whose import completed.
    pub sessions_completed: u64,
    /// The session the run has open (created or continued, not yet ended), if any: what an
    /// interrupted run without a journal leaves behind.
    pub open_session: Option<String>,
    /// Time since the run started.
    pub elapsed: Duration,
    /// Entities uploaded per second by this run, since its first upload.
    pub rate_per_sec: f64,
    /// The time left at that rate, once it is known.
    pub eta: Option<Duration>,
    /// What holds the run up right now, if anything: Okta's cool-down or its rate limits.
    pub waiting: Option<Waiting>,
    /// The entities, by kind, of the loads in sessions Okta applied in this run: what a
    /// finished run's [`ImportReport::accepted`](super::ImportReport::accepted) says, so far.
    pub entities_applied: EntityCounts,
    /// Of [`loads_acknowledged`](Self::loads_acknowledged), those an earlier run had
    /// acknowledged (per the journal).
    pub loads_resumed: u64,
    /// Retries the client's retry layer made in this run so far.
    pub retries: u64,
    /// 429 answers the client's retry layer saw in this run so far.
    pub rate_limited: u64,
}

impl Progress {
    fn new() -> Self {
        Self {
            phase: Phase::Validating,
            entities_validated: 0,
            entities_invalid: 0,
            entities_total: None,
            entities_uploaded: 0,
            loads_acknowledged: 0,
            loads_total: None,
            sessions_completed: 0,
            open_session: None,
            elapsed: Duration::ZERO,
            rate_per_sec: 0.0,
            eta: None,
            waiting: None,
            entities_applied: EntityCounts::default(),
            loads_resumed: 0,
            retries: 0,
            rate_limited: 0,
        }
    }
}

/// The wait `holds` (a client's, at one moment) amount to: the rate limit when any of them
/// is Okta's, else a retry's backoff; the longest waited and left.
pub(crate) fn held_by(holds: &[Hold]) -> Option<Waiting> {
    let limits: Vec<&Hold> = holds.iter().filter(|h| h.reason.is_rate_limit()).collect();
    let (what, holds) = if limits.is_empty() {
        (WaitingFor::Retry, holds.iter().collect())
    } else {
        (WaitingFor::RateLimit, limits)
    };
    if holds.is_empty() {
        return None;
    }
    Some(Waiting {
        what,
        waited: holds.iter().map(|h| h.held_for).max().unwrap_or_default(),
        left: holds.iter().filter_map(|h| h.left).max(),
        requests: holds.len(),
    })
}

struct State {
    progress: Progress,
    last_call: Option<Instant>,
    /// When this run's first load was acknowledged.
    upload_start: Option<Instant>,
    /// Entities this run uploaded (not those an earlier run did).
    run_uploaded: u64,
    /// The cool-down being waited out: since when, and when it should end.
    cooldown: Option<(Instant, Option<Instant>)>,
    /// What the client's layers held at the last [`Reporter::tick`].
    held: Option<Waiting>,
}

/// Keeps the run's [`Progress`] and calls the callback, throttled.
pub(crate) struct Reporter {
    callback: Option<ProgressCallback>,
    started: Instant,
    state: Mutex<State>,
}

impl Reporter {
    pub(crate) fn new(callback: Option<ProgressCallback>) -> Self {
        Self {
            callback,
            started: Instant::now(),
            state: Mutex::new(State {
                progress: Progress::new(),
                last_call: None,
                upload_start: None,
                run_uploaded: 0,
                cooldown: None,
                held: None,
            }),
        }
    }

    /// When the run started.
    pub(crate) fn started(&self) -> Instant {
        self.started
    }

    /// Changes the progress; calls back when the phase changed, when `force`, or when the
    /// last call is [`PROGRESS_INTERVAL`] old.
    pub(crate) fn update(&self, force: bool, change: impl FnOnce(&mut Progress)) {
        self.change(force, 0, change);
    }

    /// A load of `entities` entities was acknowledged.
    pub(crate) fn acknowledged(&self, entities: u64) {
        self.change(false, entities, |p| {
            p.loads_acknowledged += 1;
            p.entities_uploaded += entities;
        });
    }

    fn change(&self, force: bool, uploaded: u64, change: impl FnOnce(&mut Progress)) {
        let snapshot = {
            let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            let phase_before = state.progress.phase.clone();
            change(&mut state.progress);
            let now = Instant::now();
            if uploaded > 0 {
                if state.upload_start.is_none() {
                    state.upload_start = Some(now);
                } else {
                    state.run_uploaded += uploaded;
                }
            }
            let due = force
                || state.progress.phase != phase_before
                || state
                    .last_call
                    .is_none_or(|last| now.duration_since(last) >= PROGRESS_INTERVAL);
            if !due || self.callback.is_none() {
                return;
            }
            state.last_call = Some(now);
            let elapsed = now.duration_since(self.started);
            let (rate, eta) =
                rate_and_eta(&state.progress, state.upload_start, state.run_uploaded, now);
            if !matches!(state.progress.phase, Phase::CoolingDown { .. }) {
                state.cooldown = None;
            }
            if state.progress.phase == Phase::Done {
                state.held = None;
            }
            let waiting = match state.cooldown {
                Some((since, until)) => Some(Waiting {
                    what: WaitingFor::SessionCooldown,
                    waited: now.duration_since(since),
                    left: until
                        .map(|u| u.saturating_duration_since(now))
                        .filter(|l| !l.is_zero()),
                    requests: 0,
                }),
                None => state.held.clone(),
            };
            let progress = &mut state.progress;
            progress.elapsed = elapsed;
            progress.rate_per_sec = rate;
            progress.eta = eta;
            progress.waiting = waiting;
            progress.clone()
        };
        if let Some(callback) = &self.callback {
            callback(&snapshot);
        }
    }

    /// Sets the phase (a change always calls back).
    pub(crate) fn phase(&self, phase: Phase) {
        self.update(false, |p| p.phase = phase);
    }

    /// The run waits out Okta's cool-down, since `since`, until about `until` (when known).
    pub(crate) fn cooling_down(&self, since: Instant, until: Option<Instant>) {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .cooldown = Some((since, until));
        let waited = Instant::now().duration_since(since);
        self.update(true, |p| p.phase = Phase::CoolingDown { waited });
    }

    /// What the client's layers hold now (`holds`) and the retries and 429s of the run so
    /// far; calls back while the run waits (so that what is left counts down) and when it
    /// stops waiting.
    pub(crate) fn tick(&self, holds: &[Hold], retries: u64, rate_limited: u64) {
        let (was_waiting, waiting) = {
            let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            state.held = held_by(holds);
            let was = state.progress.waiting.is_some();
            let waiting = state.held.is_some() || state.cooldown.is_some();
            (was, waiting)
        };
        self.update(was_waiting || waiting, |p| {
            p.retries = retries;
            p.rate_limited = rate_limited;
        });
    }

    /// The progress now.
    #[cfg(test)]
    pub(crate) fn snapshot(&self) -> Progress {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .progress
            .clone()
    }
}

/// The upload rate since the first acknowledged load (whose own entities are not counted:
/// they were uploaded before it), and the time left at that rate.
fn rate_and_eta(
    p: &Progress,
    start: Option<Instant>,
    done: u64,
    now: Instant,
) -> (f64, Option<Duration>) {
    let Some(since) = start else {
        return (0.0, None);
    };
    let secs = now.duration_since(since).as_secs_f64();
    if secs < 0.05 || done == 0 {
        return (0.0, None);
    }
    let rate = done as f64 / secs;
    let eta = p.entities_total.map(|total| {
        let left = total.saturating_sub(p.entities_uploaded) as f64;
        Duration::from_secs_f64((left / rate).min(1e9))
    });
    (rate, eta)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn throttled_to_ten_a_second_but_phases_always_pass() {
        let calls = Arc::new(AtomicUsize::new(0));
        let seen = Arc::clone(&calls);
        let reporter = Reporter::new(Some(Arc::new(move |_p: &Progress| {
            seen.fetch_add(1, Ordering::Relaxed);
        })));
        // 1,000 updates within 1 s of (paused) time: the first, then one per 100 ms.
        for _ in 0..1000 {
            reporter.update(false, |p| p.entities_validated += 1);
            tokio::time::advance(Duration::from_millis(1)).await;
        }
        let n = calls.load(Ordering::Relaxed);
        assert!((10..=11).contains(&n), "{n} calls");
        // A phase change calls back at once.
        reporter.phase(Phase::Done);
        assert_eq!(calls.load(Ordering::Relaxed), n + 1);
        // So does a forced update.
        reporter.update(true, |_| {});
        assert_eq!(calls.load(Ordering::Relaxed), n + 2);
        assert_eq!(reporter.snapshot().entities_validated, 1000);
    }

    #[tokio::test(start_paused = true)]
    async fn rate_and_eta_from_uploads() {
        let last = Arc::new(Mutex::new(None));
        let keep = Arc::clone(&last);
        let reporter = Reporter::new(Some(Arc::new(move |p: &Progress| {
            *keep.lock().unwrap() = Some(p.clone());
        })));
        reporter.update(true, |p| p.entities_total = Some(1000));
        reporter.acknowledged(100);
        tokio::time::advance(Duration::from_secs(1)).await;
        reporter.acknowledged(200);
        reporter.update(true, |_| {});
        let p = last.lock().unwrap().clone().unwrap();
        assert!((p.rate_per_sec - 200.0).abs() < 1.0, "{}", p.rate_per_sec);
        let eta = p.eta.unwrap().as_secs_f64();
        assert!((eta - 3.5).abs() < 0.1, "{eta}");
        assert_eq!(p.elapsed, Duration::from_secs(1));
    }
}
