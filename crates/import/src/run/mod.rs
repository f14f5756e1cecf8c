//! One run of the importer: validate, reconcile the journal, then drive sessions until every
//! load is imported.

use std::collections::{BTreeSet, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use http::StatusCode;
use okta_idsrc_core::Error;
use okta_idsrc_core::bulk::{BulkLoadBody, BulkLoadKind};
use okta_idsrc_core::models::{IdentitySourceSession, IdentitySourceSessionStatus as Status};
use okta_idsrc_core::operations::{
    BulkLoad, CreateIdentitySourceSession, PreparedBulkLoad, UploadIdentitySourceDataForDelete,
    UploadIdentitySourceDataForUpsert, UploadIdentitySourceGroupMembershipsForDelete,
    UploadIdentitySourceGroupMembershipsForUpsert, UploadIdentitySourceGroupsDataForDelete,
    UploadIdentitySourceGroupsForUpsert,
};
use tokio::time::Instant;

use super::Importer;
use super::error::ImportError;
use super::fingerprint::Fingerprint;
use super::input::{EntityKind, InputSource};
use super::journal::{Event, FileJournal, Journal, JournalState, JournalTarget, SharedJournal};
use super::options::ImportOptions;
use super::pack::{LoadProducer, PackedLoad};
use super::progress::{Phase, Reporter};
use super::report::{
    EntityCounts, ImportReport, LineRange, SessionReport, SessionState, merge_range,
};
use super::validate::validate;
use okta_idsrc_core::Operation;
use okta_idsrc_core::retry::classify;
use okta_idsrc_ops::IdentitySource;
use okta_idsrc_ops::retry::{Attempts, RetryConfig};
use okta_idsrc_ops::service::{HttpService, SendHttpService};

/// Attempts to move a finished upload's session to an end (start, cancel) before giving up.
const MAX_FINISH_STEPS: u32 = 10;
/// The longest wait between two attempts to open a session during Okta's cool-down.
const MAX_COOLDOWN_STEP: Duration = Duration::from_secs(30);

/// Runs blocking work (a whole pass over the input) without stalling other tasks of a
/// multi-threaded runtime.
fn blocking<T>(work: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(work)
        }
        _ => work(),
    }
}

/// A session's state from its body.
fn state_of(session: &IdentitySourceSession) -> SessionState {
    session
        .status
        .clone()
        .map_or(SessionState::Unknown, SessionState::Status)
}

fn record(journal: &mut Option<Journal>, event: Event) -> Result<(), ImportError> {
    match journal {
        Some(j) => j.write(&event),
        None => Ok(()),
    }
}

/// A session of an earlier run to continue.
struct Resumed {
    id: String,
    acked: BTreeSet<u64>,
}

/// What happened to one load.
enum LoadOutcome {
    Acked,
    /// 400: the session refuses it (its load cap is reached, or it stopped accepting loads).
    Refused(Error),
    /// 404: the session is gone.
    Gone,
    Failed(Error),
}

/// Why a session stopped taking a kind's loads.
enum Refusal {
    /// A load was refused (400) while the session may still accept loads.
    Refused(Error),
    /// The session is gone (404).
    Gone,
}

/// How uploading a session's loads ended.
enum Uploaded {
    All,
    /// The session refused a load while still accepting loads: its cap is reached.
    CapReached,
    /// The session stopped accepting loads.
    Stopped(SessionState),
}

/// How a session ended.
struct SessionEnd {
    status: SessionState,
    applied: bool,
    acked: BTreeSet<u64>,
}

/// How often the run looks at what the client's layers hold, to say so in its progress.
const TICK: Duration = Duration::from_secs(1);

pub(super) async fn run<S>(
    importer: &Importer<S>,
    sources: &[&dyn InputSource],
) -> Result<ImportReport, ImportError>
where
    S: SendHttpService + Sync,
{
    let reporter = Reporter::new(importer.options.on_progress.clone());
    let stats_before = importer.client.stats();
    let tick = || {
        let stats = importer.client.stats() - stats_before;
        let holds = importer.client.holds();
        reporter.tick(&holds, stats.retry.retries, stats.retry.rate_limited);
    };
    // While the run goes on, what the rate limiter and the retry layer hold shows in its
    // progress, counting down.
    let ticker = async {
        let mut interval = tokio::time::interval_at(Instant::now() + TICK, TICK);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            tick();
        }
    };
    let result = tokio::select! {
        biased;
        result = run_reporting(importer, sources, &reporter) => result,
        () = ticker => unreachable!("the ticker never ends"),
    };
    if result.is_err() {
        // The last word of a failed run: its retries and 429s up to the failure.
        tick();
        reporter.update(true, |_| {});
    }
    result
}

async fn run_reporting<S>(
    importer: &Importer<S>,
    sources: &[&dyn InputSource],
    reporter: &Reporter,
) -> Result<ImportReport, ImportError>
where
    S: SendHttpService + Sync,
{
    let options = &importer.options;
    let stats_before = importer.client.stats();
    reporter.update(true, |_| {});
    let plan = blocking(|| validate(sources, options, reporter))?;
    let loads_total = plan.loads_total();
    let max_loads = options.effective_max_loads() as u64;
    tracing::info!(
        entities = plan.entities.total(),
        invalid = plan.invalid_total,
        loads = loads_total,
        "input validated"
    );
    reporter.update(true, |p| {
        p.entities_total = Some(plan.entities.total());
        p.loads_total = Some(loads_total);
    });
    let mut report = ImportReport {
        sessions: Vec::new(),
        loads_total,
        loads: 0,
        loads_resumed: 0,
        entities_by_kind: plan.entities,
        skipped: plan.skipped.clone(),
        skipped_total: plan.invalid_total,
        sessions_planned: loads_total.div_ceil(max_loads),
        dry_run: options.dry_run,
        elapsed: Default::default(),
        retries: 0,
        rate_limited: 0,
        warnings: plan.warnings.clone(),
        references_unchecked: 0,
        stale_cancelled: Vec::new(),
    };
    if !options.dry_run {
        let fingerprint = plan.fingerprint.finish();
        let store: Option<SharedJournal> = match (&options.journal_store, &options.journal) {
            (Some(store), _) => Some(Arc::clone(store)),
            (None, Some(path)) => Some(Arc::new(Mutex::new(FileJournal::open(
                path,
                options.sync_journal,
            )?))),
            (None, None) => None,
        };
        let org = importer.client.context().org().as_str().to_owned();
        let target = JournalTarget {
            org: &org,
            identity_source: &importer.identity_source_id,
        };
        let (journal, state) = match store {
            Some(store) => {
                let (j, s) = Journal::open(store, &fingerprint, &target)?;
                (Some(j), s)
            }
            None => (None, JournalState::default()),
        };
        reporter.phase(Phase::Checking);
        if !plan.references.is_empty() {
            let source = importer
                .client
                .identity_source(importer.identity_source_id.as_str());
            let checked = plan
                .references
                .check(&source, options.effective_concurrency())
                .await;
            for w in &checked.warnings {
                tracing::info!("{w}");
            }
            report.warnings.extend(checked.warnings);
            report.references_unchecked = checked.unchecked;
        }
        let mut driver = Driver {
            source: importer
                .client
                .identity_source(importer.identity_source_id.as_str()),
            options,
            reporter,
            journal,
            report,
            ours: options.adopted_sessions.iter().cloned().collect(),
            maybe_orphan: false,
            triggered: None,
        };
        let (done, resume) = driver.reconcile(&state).await?;
        if state.start.is_some() {
            record(
                &mut driver.journal,
                Event::Resume {
                    input: fingerprint.clone(),
                    loads_done: done.len() as u64,
                },
            )?;
        }
        let mut producer = LoadProducer::new(
            sources,
            &plan.skip,
            done,
            Fingerprint::new(options.invalid_policy),
        );
        driver.import(&mut producer, resume).await?;
        if producer.fingerprint().finish() != fingerprint {
            return Err(ImportError::InputChanged {
                message: "the records read while uploading differ from those validated".to_owned(),
            });
        }
        report = driver.report;
        report.loads_resumed = producer.skipped_done;
        report.sessions_planned = report.sessions.len() as u64;
        record(
            &mut driver.journal,
            Event::Finished {
                loads: loads_total,
                sessions: report.sessions.len() as u64,
            },
        )?;
    }
    let stats = importer.client.stats() - stats_before;
    report.retries = stats.retry.retries;
    report.rate_limited = stats.retry.rate_limited;
    report.elapsed = reporter.started().elapsed();
    reporter.update(false, |p| {
        p.retries = report.retries;
        p.rate_limited = report.rate_limited;
    });
    reporter.phase(Phase::Done);
    Ok(report)
}

/// The state of a run once validation is over.
struct Driver<'a, S> {
    source: IdentitySource<S>,
    options: &'a ImportOptions,
    reporter: &'a Reporter,
    journal: Option<Journal>,
    report: ImportReport,
    /// Sessions this import opened (in this run or, per the journal, an earlier one).
    ours: HashSet<String>,
    /// Whether the journal ends with a session being created: an unknown CREATED session
    /// is then this import's own, opened just before a kill.
    maybe_orphan: bool,
    /// When this run last sent start-import: what Okta's cool-down counts from.
    triggered: Option<Instant>,
}

impl<S> Driver<'_, S>
where
    S: SendHttpService + Sync,
{
    /// The retry configuration the client's retry layer uses (the default without one):
    /// the importer's session-level steps take their attempts and waits from it.
    fn retry_config(&self) -> RetryConfig {
        self.source
            .client()
            .retry_config()
            .cloned()
            .unwrap_or_default()
    }

    /// Hands what Okta applied to the caller's [`on_applied`](ImportOptions::on_applied).
    fn applied(&self, lines: &[LineRange]) -> Result<(), ImportError> {
        match &self.options.on_applied {
            Some(callback) if !lines.is_empty() => {
                callback(lines).map_err(|source| ImportError::Recording { source })
            }
            _ => Ok(()),
        }
    }

    /// Runs one session: uploads the window, starts the import, waits for its end.
    async fn run_session(
        &mut self,
        id: &str,
        window: &[PackedLoad],
        mut acked: BTreeSet<u64>,
        resumed: bool,
    ) -> Result<SessionEnd, ImportError> {
        tracing::info!(
            session = %id,
            loads = window.len(),
            first_load = window.first().map(|l| l.number),
            resumed,
            "uploading to session"
        );
        self.reporter
            .update(true, |p| p.open_session = Some(id.to_owned()));
        let uploaded = self.upload(id, window, &mut acked).await?;
        let (status, applied) = match uploaded {
            Uploaded::All | Uploaded::CapReached => self.finish(id).await?,
            Uploaded::Stopped(status) => (status, false),
        };
        record(
            &mut self.journal,
            Event::Done {
                session: id.to_owned(),
                status: status.to_string(),
                applied,
                last_load: acked.last().copied(),
            },
        )?;
        self.reporter.update(true, |p| p.open_session = None);
        let mut entities = EntityCounts::default();
        let mut lines = Vec::new();
        for load in window.iter().filter(|l| acked.contains(&l.number)) {
            entities.add(load.kind, u64::from(load.entities()));
            for r in &load.ranges {
                merge_range(&mut lines, r);
            }
        }
        if applied {
            self.applied(&lines)?;
        }
        let unchanged = applied && status == SessionState::Status(Status::Closed);
        let session = SessionReport {
            id: id.to_owned(),
            status: status.clone(),
            applied,
            unchanged,
            resumed,
            loads: acked.iter().copied().collect(),
            entities_by_kind: entities,
            lines,
        };
        if applied {
            tracing::info!(session = %id, status = %status, loads = acked.len(), "session imported");
            self.reporter.update(true, |p| {
                p.sessions_completed += 1;
                for (kind, n) in entities.iter() {
                    p.entities_applied.add(kind, n);
                }
            });
        } else {
            tracing::warn!(session = %id, status = %status, loads = acked.len(), "session failed: {session}");
        }
        self.report.sessions.push(session);
        Ok(SessionEnd {
            status,
            applied,
            acked,
        })
    }

    /// Drives sessions until every load is imported.
    async fn import(
        &mut self,
        producer: &mut LoadProducer<'_>,
        mut resume: Option<Resumed>,
    ) -> Result<(), ImportError> {
        let cap = self.options.effective_max_loads();
        let mut carry: VecDeque<PackedLoad> = VecDeque::new();
        let mut next = blocking(|| producer.next_load())?;
        self.applied(&producer.take_skipped_ranges())?;
        let mut failures_in_a_row = 0;
        while resume.is_some() || !carry.is_empty() || next.is_some() {
            let first_load = carry.front().or(next.as_ref()).map(|l| l.number);
            let (id, acked, resumed) = match resume.take() {
                Some(r) => (r.id, r.acked, true),
                None => (self.open_session(first_load).await?, BTreeSet::new(), false),
            };
            let mut window = Vec::with_capacity(cap);
            while window.len() < cap {
                if let Some(load) = carry.pop_front() {
                    window.push(load);
                } else if let Some(load) = next.take() {
                    window.push(load);
                    next = producer.next_load()?;
                    self.applied(&producer.take_skipped_ranges())?;
                } else {
                    break;
                }
            }
            let end = self.run_session(&id, &window, acked, resumed).await?;
            let again: Vec<PackedLoad> = if end.applied {
                failures_in_a_row = 0;
                window
                    .into_iter()
                    .filter(|l| !end.acked.contains(&l.number))
                    .collect()
            } else {
                failures_in_a_row += 1;
                if failures_in_a_row > self.options.session_retries {
                    let session = self
                        .report
                        .sessions
                        .last()
                        .cloned()
                        .expect("the failed session is reported");
                    return Err(ImportError::SessionFailed {
                        session: Box::new(session),
                        attempts: failures_in_a_row,
                    });
                }
                tracing::warn!(session = %id, status = %end.status, "uploading the session's loads again in a new session");
                window
            };
            for load in again.into_iter().rev() {
                carry.push_front(load);
            }
        }
        Ok(())
    }
}

mod sessions;
mod upload;
