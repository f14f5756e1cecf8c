//! One run of the importer: validate, reconcile the journal, then drive sessions until every
//! load is imported.

use std::collections::{BTreeSet, HashSet, VecDeque};
use std::future::Future;
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use http::{Request, Response, StatusCode};
use okta_idsrc_core::Error;
use okta_idsrc_core::models::{IdentitySourceSession, IdentitySourceSessionStatus as Status};
use okta_idsrc_core::operations::{
    PreparedBulkLoad, UploadIdentitySourceDataForDelete, UploadIdentitySourceDataForUpsert,
    UploadIdentitySourceGroupMembershipsForDelete, UploadIdentitySourceGroupMembershipsForUpsert,
    UploadIdentitySourceGroupsDataForDelete, UploadIdentitySourceGroupsForUpsert,
};
use okta_idsrc_core::transport::BoxError;
use tokio::time::Instant;
use tower::Service;

use super::Importer;
use super::error::ImportError;
use super::fingerprint::Fingerprint;
use super::input::{EntityKind, InputSource};
use super::journal::{Event, Journal, JournalState};
use super::options::ImportOptions;
use super::pack::{LoadProducer, PackedLoad};
use super::progress::{Phase, Reporter};
use super::report::{EntityCounts, ImportReport, SessionReport, merge_range};
use super::validate::validate;
use crate::IdentitySource;

/// Attempts the importer makes at one request that keeps failing transiently (5xx, 429,
/// transport errors) — on top of the retry layer's own attempts, if the client has one.
pub const REQUEST_ATTEMPTS: u32 = 6;
/// The first wait before the importer tries a request again; it doubles up to 8 s.
const BASE_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(8);
/// start-import sends at most, when read-backs keep showing the session IN_PROGRESS.
const MAX_START_SENDS: u32 = 4;
/// Attempts to move a finished upload's session to an end (start, cancel) before giving up.
const MAX_FINISH_STEPS: u32 = 10;
/// The longest wait between two attempts to open a session during Okta's cool-down.
const MAX_COOLDOWN_STEP: Duration = Duration::from_secs(30);

/// The status of a session that does not exist (any more).
fn not_found() -> Status {
    Status::Unknown("NOT_FOUND".to_owned())
}

/// Whether a failure may pass if the request is made again later.
fn is_transient(e: &Error) -> bool {
    match e {
        Error::Transport(_) | Error::Service(_) => true,
        Error::Api(a) => a.status.is_server_error() || a.status == StatusCode::TOO_MANY_REQUESTS,
        _ => false,
    }
}

/// Whether a 400 answer to a load is about the load's body (a field Okta's validation
/// names, or a malformed body) rather than about the session (its status, its load cap).
fn refuses_body(e: &Error) -> bool {
    let Some(api) = e.as_api() else { return false };
    let names_body_field = |s: &str| {
        let field = s.strip_prefix("Api validation failed: ").unwrap_or(s);
        [
            "profiles",
            "memberships",
            "externalIds",
            "entityType",
            "body",
        ]
        .iter()
        .any(|p| field.starts_with(p))
    };
    api.error_code() == Some("E0000003")
        || api.error_summary().is_some_and(names_body_field)
        || api.causes().any(names_body_field)
}

/// The wait before attempt `attempt + 1`: exponential, with jitter in its upper half.
fn backoff(attempt: u32) -> Duration {
    let cap = BASE_BACKOFF
        .saturating_mul(1 << attempt.saturating_sub(1).min(16))
        .min(MAX_BACKOFF);
    cap.mul_f64(0.5 + fastrand::f64() / 2.0)
}

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

fn status_of(session: &IdentitySourceSession) -> Status {
    session
        .status
        .clone()
        .unwrap_or_else(|| Status::Unknown(String::new()))
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
    Stopped(Status),
}

/// How a session ended.
struct SessionEnd {
    status: Status,
    applied: bool,
    acked: BTreeSet<u64>,
}

pub(super) async fn run<S>(
    importer: &Importer<S>,
    sources: &[&dyn InputSource],
) -> Result<ImportReport, ImportError>
where
    S: Service<Request<Bytes>, Response = Response<Bytes>> + Clone + Send + Sync + 'static,
    S::Future: Send,
    S::Error: Into<BoxError>,
{
    let options = &importer.options;
    let reporter = Reporter::new(options.on_progress.clone());
    let stats_before = options.retry_stats();
    reporter.update(true, |_| {});
    let plan = blocking(|| validate(sources, options, &reporter))?;
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
    };
    if !options.dry_run {
        let fingerprint = plan.fingerprint.finish();
        let (journal, state) = match &options.journal {
            Some(path) => {
                let (j, s) = Journal::open(path, &fingerprint, options.sync_journal)?;
                (Some(j), s)
            }
            None => (None, JournalState::default()),
        };
        let mut driver = Driver {
            source: importer
                .client
                .identity_source(importer.identity_source_id.as_str()),
            options,
            reporter: &reporter,
            journal,
            report,
            ours: HashSet::new(),
            maybe_orphan: false,
        };
        let (done, resume) = driver.reconcile(&state).await?;
        if state.fingerprint.is_some() {
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
    let stats = options.retry_stats();
    report.retries = stats.retries.saturating_sub(stats_before.retries);
    report.rate_limited = stats.rate_limited.saturating_sub(stats_before.rate_limited);
    report.elapsed = reporter.started().elapsed();
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
}

impl<S> Driver<'_, S>
where
    S: Service<Request<Bytes>, Response = Response<Bytes>> + Clone + Send + Sync + 'static,
    S::Future: Send,
    S::Error: Into<BoxError>,
{
    // ---------------------------------------------------------------------------------------
    // Requests, with the importer's own retries of transient failures.

    async fn retrying<T, F, Fut>(
        &self,
        doing: impl Fn() -> String,
        mut call: F,
    ) -> Result<T, ImportError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let mut attempt = 1;
        loop {
            match call().await {
                Ok(v) => return Ok(v),
                Err(e) if is_transient(&e) && attempt < REQUEST_ATTEMPTS => {
                    tracing::debug!(attempt, what = %doing(), "request failed; trying again");
                    tokio::time::sleep(backoff(attempt)).await;
                    attempt += 1;
                }
                Err(e) => return Err(ImportError::api(doing(), e)),
            }
        }
    }

    async fn list_sessions(&self) -> Result<Vec<IdentitySourceSession>, ImportError> {
        self.retrying(
            || "listing the identity source's sessions".to_owned(),
            || self.source.list_identity_source_sessions(),
        )
        .await
    }

    /// A session's status; [`not_found`] when it does not exist.
    async fn get_status(&self, id: &str) -> Result<Status, ImportError> {
        let result = self
            .retrying(
                || format!("reading session {id}"),
                || self.source.get_identity_source_session(id),
            )
            .await;
        match result {
            Ok(session) => Ok(status_of(&session)),
            Err(ImportError::Api { source, .. })
                if source.status() == Some(StatusCode::NOT_FOUND) =>
            {
                Ok(not_found())
            }
            Err(e) => Err(e),
        }
    }

    /// Cancels a CREATED or IN_PROGRESS session; returns its status afterwards.
    async fn cancel(&self, id: &str) -> Result<Status, ImportError> {
        let result = self
            .retrying(
                || format!("cancelling session {id}"),
                || self.source.delete_identity_source_session(id),
            )
            .await;
        match result {
            Ok(()) => Ok(Status::Closed),
            // It moved on (or was cancelled by a DELETE whose answer was lost).
            Err(ImportError::Api { source, .. })
                if source.status() == Some(StatusCode::BAD_REQUEST) =>
            {
                self.get_status(id).await
            }
            Err(e) => Err(e),
        }
    }

    /// Polls a session until it is no longer TRIGGERED (or of an unknown status), backing
    /// off from `poll_interval_min` to `poll_interval_max`.
    async fn wait_while_triggered(
        &self,
        id: &str,
        mut status: Status,
    ) -> Result<Status, ImportError> {
        let mut delay = self.options.poll_interval_min;
        while matches!(status, Status::Triggered | Status::Unknown(_)) && status != not_found() {
            tokio::time::sleep(delay).await;
            delay = delay.saturating_mul(2).min(
                self.options
                    .poll_interval_max
                    .max(self.options.poll_interval_min),
            );
            status = self.get_status(id).await?;
        }
        Ok(status)
    }

    // ---------------------------------------------------------------------------------------
    // The journal of an earlier run.

    /// Settles the sessions an earlier run left unfinished: completed ones count as done,
    /// triggered ones are waited for, a CREATED or IN_PROGRESS one is continued.
    async fn reconcile(
        &mut self,
        state: &JournalState,
    ) -> Result<(HashSet<u64>, Option<Resumed>), ImportError> {
        let mut done = state.done_loads();
        let mut resume = None;
        self.maybe_orphan = state.creating_pending;
        self.ours
            .extend(state.sessions.iter().map(|s| s.id.clone()));
        for js in state.sessions.iter().filter(|s| s.done.is_none()) {
            let mut status = self.get_status(&js.id).await?;
            if status == Status::Triggered {
                self.reporter.phase(Phase::WaitingForSession {
                    session: js.id.clone(),
                });
                status = self.wait_while_triggered(&js.id, status).await?;
            }
            tracing::info!(session = %js.id, status = %status, loads = js.acked.len(), "session of an earlier run");
            if status.accepts_loads() {
                resume = Some(Resumed {
                    id: js.id.clone(),
                    acked: js.acked.clone(),
                });
                continue;
            }
            let applied = status == Status::Completed;
            record(
                &mut self.journal,
                Event::Done {
                    session: js.id.clone(),
                    status: status.to_string(),
                    applied,
                    last_load: js.acked.last().copied(),
                },
            )?;
            if applied {
                done.extend(js.acked.iter().copied());
                self.reporter.update(false, |p| p.sessions_completed += 1);
            }
            self.report.sessions.push(SessionReport {
                id: js.id.clone(),
                status,
                applied,
                resumed: true,
                loads: js.acked.iter().copied().collect(),
                entities_by_kind: EntityCounts::default(),
                lines: Vec::new(),
            });
        }
        let acked = done.len() + resume.as_ref().map_or(0, |r: &Resumed| r.acked.len());
        self.reporter
            .update(true, |p| p.loads_acknowledged += acked as u64);
        Ok((done, resume))
    }

    // ---------------------------------------------------------------------------------------
    // Sessions.

    /// Records `id` as this import's session.
    fn adopt(&mut self, id: String, first_load: Option<u64>) -> Result<String, ImportError> {
        record(
            &mut self.journal,
            Event::Session {
                session: id.clone(),
                first_load,
            },
        )?;
        self.ours.insert(id.clone());
        tracing::info!(session = %id, "session opened");
        Ok(id)
    }

    /// Opens a session, once no other is active: a TRIGGERED one is waited for, a stale
    /// CREATED or IN_PROGRESS one is reported (or cancelled, with `cancel_stale`), and
    /// Okta's cool-down after the last creation is waited out.
    async fn open_session(&mut self, first_load: Option<u64>) -> Result<String, ImportError> {
        let started = Instant::now();
        let mut cooldown_step = Duration::from_secs(1);
        let mut create_failures = 0;
        loop {
            let sessions = self.list_sessions().await?;
            if let Some(active) = sessions
                .iter()
                .find(|s| s.status.as_ref().is_some_and(Status::is_active))
            {
                let id = active.id.clone().unwrap_or_default();
                let status = status_of(active);
                if status == Status::Triggered {
                    tracing::info!(session = %id, "waiting for an active session to finish");
                    self.reporter.phase(Phase::WaitingForSession {
                        session: id.clone(),
                    });
                    self.wait_while_triggered(&id, status).await?;
                } else if self.maybe_orphan && status == Status::Created && !self.ours.contains(&id)
                {
                    // Created by this import just before it was stopped.
                    self.maybe_orphan = false;
                    return self.adopt(id, first_load);
                } else if self.options.cancel_stale || self.ours.contains(&id) {
                    tracing::warn!(session = %id, status = %status, "cancelling a stale session");
                    self.cancel(&id).await?;
                } else {
                    return Err(ImportError::StaleSession { id, status });
                }
                continue;
            }
            let before: HashSet<&str> = sessions.iter().filter_map(|s| s.id.as_deref()).collect();
            record(&mut self.journal, Event::Creating)?;
            let error = match self.source.create_identity_source_session().await {
                Ok(session) => match session.id {
                    Some(id) => return self.adopt(id, first_load),
                    None => {
                        // Unusable answer: find the session by listing.
                        create_failures += 1;
                        None
                    }
                },
                Err(e) => Some(e),
            };
            if let Some(e) = &error {
                if e.status() == Some(StatusCode::BAD_REQUEST) {
                    let now = self.list_sessions().await?;
                    if now
                        .iter()
                        .any(|s| s.status.as_ref().is_some_and(Status::is_active))
                    {
                        continue;
                    }
                    // Okta's cool-down after the last creation.
                    let waited = started.elapsed();
                    if waited >= self.options.cooldown_max_wait {
                        return Err(ImportError::CooldownTimeout {
                            waited,
                            source: error.expect("checked"),
                        });
                    }
                    tracing::info!(
                        waited_ms = waited.as_millis() as u64,
                        "Okta refuses a new session yet; waiting"
                    );
                    self.reporter.phase(Phase::CoolingDown { waited });
                    let step = cooldown_step.min(self.options.cooldown_max_wait - waited);
                    tokio::time::sleep(step).await;
                    cooldown_step = (cooldown_step * 2).min(MAX_COOLDOWN_STEP);
                    continue;
                }
                if !is_transient(e) {
                    return Err(ImportError::api(
                        "creating a session",
                        error.expect("checked"),
                    ));
                }
                create_failures += 1;
            }
            // Ambiguous: did the session get created? A new CREATED session is ours.
            let after = self.list_sessions().await?;
            let created = after.iter().find(|s| {
                s.status == Some(Status::Created)
                    && s.id.as_deref().is_some_and(|id| !before.contains(id))
            });
            if let Some(id) = created.and_then(|s| s.id.clone()) {
                return self.adopt(id, first_load);
            }
            if create_failures >= REQUEST_ATTEMPTS {
                let e = error.unwrap_or_else(|| {
                    Error::Service(
                        "createIdentitySourceSession answered without a session id".into(),
                    )
                });
                return Err(ImportError::api("creating a session", e));
            }
            tokio::time::sleep(backoff(create_failures)).await;
        }
    }

    /// Sends start-import (the client reads the session back after an ambiguous failure),
    /// and returns the session's status as far as it is known.
    async fn start_import(&self, id: &str, sends: &mut u32) -> Result<Status, ImportError> {
        *sends += 1;
        match self.source.start_import_from_identity_source(id).await {
            Ok(session) if session.status.is_some() => Ok(status_of(&session)),
            Ok(_) => self.get_status(id).await,
            Err(e) if e.status() == Some(StatusCode::BAD_REQUEST) => {
                let status = self.get_status(id).await?;
                if status == Status::InProgress && *sends >= MAX_START_SENDS {
                    return Err(ImportError::api(
                        format!("starting the import of session {id}"),
                        e,
                    ));
                }
                Ok(status)
            }
            Err(e) if is_transient(&e) && *sends < MAX_START_SENDS => self.get_status(id).await,
            Err(e) => Err(ImportError::api(
                format!("starting the import of session {id}"),
                e,
            )),
        }
    }

    /// Starts the session's import and waits for its end. Returns the final status and
    /// whether the session's loads are reflected in Okta.
    async fn finish(&mut self, id: &str) -> Result<(Status, bool), ImportError> {
        record(
            &mut self.journal,
            Event::StartImport {
                session: id.to_owned(),
            },
        )?;
        self.reporter.phase(Phase::Importing {
            session: id.to_owned(),
        });
        let mut sends = 0;
        let mut status = self.start_import(id, &mut sends).await?;
        for _ in 0..MAX_FINISH_STEPS {
            status = self.wait_while_triggered(id, status).await?;
            match status {
                Status::Completed => return Ok((status, true)),
                // No load changed anything: Okta keeps such a session CREATED and will not
                // import it. Its loads are reflected already; cancel it.
                Status::Created => {
                    tracing::info!(session = %id, "no load changed anything; cancelling the session");
                    status = self.cancel(id).await?;
                    if status == Status::Closed {
                        return Ok((status, true));
                    }
                }
                Status::InProgress => status = self.start_import(id, &mut sends).await?,
                _ => return Ok((status, false)),
            }
        }
        Err(ImportError::Unexpected {
            message: format!(
                "session {id} is still {status} after {MAX_FINISH_STEPS} attempts to import or cancel it"
            ),
        })
    }

    // ---------------------------------------------------------------------------------------
    // Loads.

    /// Uploads `loads` (of one kind) to session `id`, `concurrency` at a time.
    async fn upload_kind(
        &mut self,
        id: &str,
        loads: &[&PackedLoad],
        acked: &mut BTreeSet<u64>,
    ) -> Result<Option<Refusal>, ImportError> {
        let source = &self.source;
        let concurrency = self.options.effective_concurrency();
        let mut waiting = loads.iter().copied();
        let mut in_flight = FuturesUnordered::new();
        let mut refusal = None;
        loop {
            while in_flight.len() < concurrency {
                match waiting.next() {
                    Some(load) => in_flight.push(upload_load(source, id, load)),
                    None => break,
                }
            }
            let Some((load, outcome)) = in_flight.next().await else {
                break;
            };
            match outcome {
                LoadOutcome::Acked => {
                    record(
                        &mut self.journal,
                        Event::Load {
                            session: id.to_owned(),
                            load: load.number,
                        },
                    )?;
                    acked.insert(load.number);
                    self.report.loads += 1;
                    self.reporter.acknowledged(u64::from(load.entities));
                    tracing::debug!(
                        session = %id,
                        load = load.number,
                        kind = load.kind.as_str(),
                        entities = load.entities,
                        bytes = load.body.len(),
                        "load acknowledged"
                    );
                }
                LoadOutcome::Refused(e) => {
                    tracing::info!(session = %id, load = load.number, "load refused by the session");
                    if refusal.is_none() {
                        refusal = Some(Refusal::Refused(e));
                    }
                }
                LoadOutcome::Gone => refusal = Some(Refusal::Gone),
                LoadOutcome::Failed(e) => {
                    return Err(ImportError::api(
                        format!(
                            "uploading load {} ({}) to session {id}",
                            load.number,
                            describe(load)
                        ),
                        e,
                    ));
                }
            }
        }
        Ok(refusal)
    }

    /// Uploads the window's loads not yet acknowledged, kind after kind.
    async fn upload(
        &mut self,
        id: &str,
        window: &[PackedLoad],
        acked: &mut BTreeSet<u64>,
    ) -> Result<Uploaded, ImportError> {
        self.reporter.phase(Phase::Uploading {
            session: id.to_owned(),
        });
        for kind in EntityKind::ALL {
            let todo: Vec<&PackedLoad> = window
                .iter()
                .filter(|l| l.kind == kind && !acked.contains(&l.number))
                .collect();
            if todo.is_empty() {
                continue;
            }
            match self.upload_kind(id, &todo, acked).await? {
                None => {}
                Some(Refusal::Gone) => return Ok(Uploaded::Stopped(not_found())),
                Some(Refusal::Refused(refusal)) => {
                    let status = self.get_status(id).await?;
                    if !status.accepts_loads() {
                        return Ok(Uploaded::Stopped(status));
                    }
                    if acked.is_empty() {
                        // A session with none of our loads in it cannot be at its cap:
                        // Okta refuses the load itself.
                        let load = todo
                            .iter()
                            .find(|l| !acked.contains(&l.number))
                            .expect("a refused load");
                        return Err(ImportError::api(
                            format!(
                                "uploading load {} ({}) to session {id}",
                                load.number,
                                describe(load)
                            ),
                            refusal,
                        ));
                    }
                    tracing::info!(session = %id, acked = acked.len(), "the session's load cap is reached; the rest goes to the next session");
                    return Ok(Uploaded::CapReached);
                }
            }
        }
        Ok(Uploaded::All)
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
        let mut entities = EntityCounts::default();
        let mut lines = Vec::new();
        for load in window.iter().filter(|l| acked.contains(&l.number)) {
            entities.add(load.kind, u64::from(load.entities));
            for r in &load.ranges {
                merge_range(&mut lines, r);
            }
        }
        let session = SessionReport {
            id: id.to_owned(),
            status: status.clone(),
            applied,
            resumed,
            loads: acked.iter().copied().collect(),
            entities_by_kind: entities,
            lines,
        };
        if applied {
            tracing::info!(session = %id, status = %status, loads = acked.len(), "session imported");
            self.reporter.update(true, |p| p.sessions_completed += 1);
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

/// Where a load's entities came from, for messages.
fn describe(load: &PackedLoad) -> String {
    let ranges: Vec<String> = load
        .ranges
        .iter()
        .take(3)
        .map(ToString::to_string)
        .collect();
    let mut s = format!("{} {}s", load.entities, load.kind);
    if !ranges.is_empty() {
        s.push_str(" from ");
        s.push_str(&ranges.join(", "));
    }
    s
}

/// Uploads one load, trying again after transient failures; returns the load with what
/// happened to it.
async fn upload_load<'a, S>(
    source: &IdentitySource<S>,
    session: &str,
    load: &'a PackedLoad,
) -> (&'a PackedLoad, LoadOutcome)
where
    S: Service<Request<Bytes>, Response = Response<Bytes>> + Clone + Send + Sync + 'static,
    S::Future: Send,
    S::Error: Into<BoxError>,
{
    let mut attempt = 1;
    let outcome = loop {
        match send_load(source, session, load).await {
            Ok(()) => break LoadOutcome::Acked,
            Err(e) if e.status() == Some(StatusCode::BAD_REQUEST) && !refuses_body(&e) => {
                break LoadOutcome::Refused(e);
            }
            Err(e) if e.status() == Some(StatusCode::NOT_FOUND) => break LoadOutcome::Gone,
            Err(e) if is_transient(&e) && attempt < REQUEST_ATTEMPTS => {
                tracing::debug!(
                    session,
                    load = load.number,
                    attempt,
                    "load failed; trying again"
                );
                tokio::time::sleep(backoff(attempt)).await;
                attempt += 1;
            }
            Err(e) => break LoadOutcome::Failed(e),
        }
    };
    (load, outcome)
}

async fn send_load<S>(
    source: &IdentitySource<S>,
    session: &str,
    load: &PackedLoad,
) -> Result<(), Error>
where
    S: Service<Request<Bytes>, Response = Response<Bytes>> + Clone + Send + Sync + 'static,
    S::Future: Send,
    S::Error: Into<BoxError>,
{
    let client = source.client();
    let id = source.id();
    let body = load.body.clone();
    match load.kind {
        EntityKind::UserUpsert => {
            client
                .send(&PreparedBulkLoad::<UploadIdentitySourceDataForUpsert>::new(
                    id, session, body,
                ))
                .await
        }
        EntityKind::UserDeactivate => {
            client
                .send(&PreparedBulkLoad::<UploadIdentitySourceDataForDelete>::new(
                    id, session, body,
                ))
                .await
        }
        EntityKind::GroupUpsert => {
            client
                .send(
                    &PreparedBulkLoad::<UploadIdentitySourceGroupsForUpsert>::new(
                        id, session, body,
                    ),
                )
                .await
        }
        EntityKind::GroupDelete => {
            client
                .send(
                    &PreparedBulkLoad::<UploadIdentitySourceGroupsDataForDelete>::new(
                        id, session, body,
                    ),
                )
                .await
        }
        EntityKind::MembershipUpsert => {
            let op = PreparedBulkLoad::<UploadIdentitySourceGroupMembershipsForUpsert>::new(
                id, session, body,
            );
            client.send(&op).await
        }
        EntityKind::MembershipDelete => {
            let op = PreparedBulkLoad::<UploadIdentitySourceGroupMembershipsForDelete>::new(
                id, session, body,
            );
            client.send(&op).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api_400(body: &str) -> Error {
        let e = okta_idsrc_core::ApiError::from_parts(
            "uploadIdentitySourceDataForUpsert",
            StatusCode::BAD_REQUEST,
            &http::HeaderMap::new(),
            body.as_bytes(),
        );
        Error::from(e)
    }

    #[test]
    fn body_refusals_and_session_refusals() {
        let cap = r#"{"errorCode":"E0000001","errorSummary":"Api validation failed: importSessionId","errorCauses":[{"errorSummary":"A session accepts at most 50 bulk loads"}]}"#;
        assert!(!refuses_body(&api_400(cap)));
        let field = r#"{"errorCode":"E0000001","errorSummary":"Api validation failed: profiles[3].profile.email","errorCauses":[{"errorSummary":"profiles[3].profile.email: is 3 characters"}]}"#;
        assert!(refuses_body(&api_400(field)));
        let malformed =
            r#"{"errorCode":"E0000003","errorSummary":"The request body was not well-formed."}"#;
        assert!(refuses_body(&api_400(malformed)));
        assert!(!refuses_body(&api_400("")));
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        for attempt in 1..20 {
            let cap = BASE_BACKOFF
                .saturating_mul(1 << (attempt - 1).min(16))
                .min(MAX_BACKOFF);
            let d = backoff(attempt);
            assert!(d <= cap && d >= cap / 2, "attempt {attempt}: {d:?}");
        }
    }
}
