//! Sessions: listing, reconciling with the journal, opening, starting and finishing.
//!
//! Requests are retried by the client's retry layer alone; what is here is session-level
//! recovery (read-backs after an ambiguous failure, Okta's cool-down, the 50-load cap),
//! whose repeated steps take their attempts and waits from the client's retry configuration.

use super::*;
use crate::error::minutes;
use okta_idsrc_core::clock::parse_timestamp;

const COMPLETED: SessionState = SessionState::Status(Status::Completed);
const CLOSED: SessionState = SessionState::Status(Status::Closed);

/// Whether a state needs more polling: TRIGGERED, or a status this crate does not know.
fn still_processing(state: &SessionState) -> bool {
    matches!(
        state,
        SessionState::Status(Status::Triggered | Status::Unknown(_)) | SessionState::Unknown
    )
}

impl<S> Driver<'_, S>
where
    S: SendHttpService + Sync,
{
    pub(super) async fn list_sessions(&self) -> Result<Vec<IdentitySourceSession>, ImportError> {
        self.source
            .list_sessions()
            .await
            .map_err(|e| ImportError::api("listing the identity source's sessions", e))
    }

    /// How long ago Okta last updated `session` (its `lastUpdated`), by the client's clock;
    /// `None` when Okta gives no readable time.
    pub(super) fn age(&self, session: &IdentitySourceSession) -> Option<Duration> {
        let updated = parse_timestamp(session.last_updated.as_deref()?)?;
        let now = self.retry_config().clock().now();
        Some(now.duration_since(updated).unwrap_or_default())
    }

    /// When Okta's cool-down should end: [`session_cooldown`](ImportOptions::session_cooldown)
    /// after this run's last start-import, or else after the latest `lastUpdated` of
    /// `sessions` (a session's last update comes at or after its trigger, so that is the
    /// latest it can end). `None` when that time has passed (Okta counts otherwise) or no
    /// session says when it was updated.
    pub(super) fn cooldown_end(&self, sessions: &[IdentitySourceSession]) -> Option<Instant> {
        let cooldown = self.options.session_cooldown;
        let now = Instant::now();
        let end = match self.triggered {
            Some(triggered) => triggered + cooldown,
            None => {
                let since = sessions.iter().filter_map(|s| self.age(s)).min()?;
                now + cooldown.checked_sub(since)?
            }
        };
        (end > now).then_some(end)
    }

    /// A session's state; [`SessionState::Gone`] when it does not exist.
    pub(super) async fn get_state(&self, id: &str) -> Result<SessionState, ImportError> {
        match self.source.get_session(id).await {
            Ok(session) => Ok(state_of(&session)),
            Err(e) if e.status() == Some(StatusCode::NOT_FOUND) => Ok(SessionState::Gone),
            Err(e) => Err(ImportError::api(format!("reading session {id}"), e)),
        }
    }

    /// Cancels a CREATED or IN_PROGRESS session; returns its state afterwards.
    pub(super) async fn cancel(&self, id: &str) -> Result<SessionState, ImportError> {
        match self.source.delete_session(id).await {
            Ok(()) => Ok(CLOSED),
            // It moved on (or was cancelled by a DELETE whose answer was lost).
            Err(e) if e.status() == Some(StatusCode::BAD_REQUEST) => self.get_state(id).await,
            Err(e) => Err(ImportError::api(format!("cancelling session {id}"), e)),
        }
    }

    /// Polls a session while it is TRIGGERED (or of a status this crate does not know),
    /// backing off from `poll_interval_min` to `poll_interval_max`.
    pub(super) async fn wait_while_triggered(
        &self,
        id: &str,
        mut state: SessionState,
    ) -> Result<SessionState, ImportError> {
        let mut delay = self.options.poll_interval_min;
        while still_processing(&state) {
            tokio::time::sleep(delay).await;
            delay = delay.saturating_mul(2).min(
                self.options
                    .poll_interval_max
                    .max(self.options.poll_interval_min),
            );
            state = self.get_state(id).await?;
        }
        Ok(state)
    }

    // ---------------------------------------------------------------------------------------
    // The journal of an earlier run.

    /// Settles the sessions an earlier run left unfinished: completed ones count as done,
    /// triggered ones are waited for, a CREATED or IN_PROGRESS one is continued.
    pub(super) async fn reconcile(
        &mut self,
        journal: &JournalState,
    ) -> Result<(HashSet<u64>, Option<Resumed>), ImportError> {
        let mut done = journal.done_loads();
        let mut resume = None;
        self.maybe_orphan = journal.creating_pending;
        self.ours
            .extend(journal.sessions.iter().map(|s| s.id.clone()));
        for js in journal.sessions.iter().filter(|s| s.done.is_none()) {
            let mut state = self.get_state(&js.id).await?;
            if still_processing(&state) {
                self.reporter.phase(Phase::WaitingForSession {
                    session: js.id.clone(),
                });
                state = self.wait_while_triggered(&js.id, state).await?;
            }
            tracing::info!(session = %js.id, status = %state, loads = js.acked.len(), "session of an earlier run");
            if state.accepts_loads() {
                resume = Some(Resumed {
                    id: js.id.clone(),
                    acked: js.acked.clone(),
                });
                continue;
            }
            let applied = state == COMPLETED;
            record(
                &mut self.journal,
                Event::Done {
                    session: js.id.clone(),
                    status: state.to_string(),
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
                status: state,
                applied,
                unchanged: false,
                resumed: true,
                loads: js.acked.iter().copied().collect(),
                entities_by_kind: EntityCounts::default(),
                lines: Vec::new(),
            });
        }
        let acked = done.len() + resume.as_ref().map_or(0, |r: &Resumed| r.acked.len());
        self.reporter.update(true, |p| {
            p.loads_acknowledged += acked as u64;
            p.loads_resumed += acked as u64;
        });
        Ok((done, resume))
    }

    // ---------------------------------------------------------------------------------------
    // Sessions.

    /// Records `id` as this import's session.
    pub(super) fn adopt(
        &mut self,
        id: String,
        first_load: Option<u64>,
    ) -> Result<String, ImportError> {
        record(
            &mut self.journal,
            Event::Session {
                session: id.clone(),
                first_load,
            },
        )?;
        self.ours.insert(id.clone());
        // Uploading starts now (and any cool-down is over).
        self.reporter.update(true, |p| {
            p.open_session = Some(id.clone());
            p.phase = Phase::Uploading {
                session: id.clone(),
            };
        });
        tracing::info!(session = %id, "session opened");
        Ok(id)
    }

    /// Opens a session, once no other is active: a TRIGGERED one is waited for, a stale
    /// CREATED or IN_PROGRESS one is reported (or cancelled, with `cancel_stale`), and
    /// Okta's cool-down after the last creation is waited out.
    ///
    /// Session creation is not idempotent: after a failure that leaves unknown whether Okta
    /// created one, the sessions are listed, and a new CREATED one is this import's; only
    /// when none is does creation go again, as often as the retry configuration allows.
    pub(super) async fn open_session(
        &mut self,
        first_load: Option<u64>,
    ) -> Result<String, ImportError> {
        let started = Instant::now();
        let mut cooldown_since = None;
        let mut cooldown_step = Duration::from_secs(1);
        let retry = self.retry_config();
        let mut attempts = Attempts::new(&retry);
        loop {
            let sessions = self.list_sessions().await?;
            if let Some(active) = sessions
                .iter()
                .find(|s| s.status.as_ref().is_some_and(Status::is_active))
            {
                let id = active.id.clone().unwrap_or_default();
                let state = state_of(active);
                if state == SessionState::Status(Status::Triggered) {
                    tracing::info!(session = %id, "waiting for an active session to finish");
                    self.reporter.phase(Phase::WaitingForSession {
                        session: id.clone(),
                    });
                    self.wait_while_triggered(&id, state).await?;
                } else if self.maybe_orphan
                    && state == SessionState::Status(Status::Created)
                    && !self.ours.contains(&id)
                {
                    // Created by this import just before it was stopped.
                    self.maybe_orphan = false;
                    return self.adopt(id, first_load);
                } else if self.ours.contains(&id) {
                    tracing::info!(session = %id, status = %state, "cancelling a session of this import");
                    self.cancel(&id).await?;
                } else {
                    let age = self.age(active);
                    let stale_after = self.options.stale_after;
                    if self.options.cancel_stale && age.is_some_and(|a| a >= stale_after) {
                        let age = age.map(minutes).unwrap_or_default();
                        tracing::warn!(session = %id, status = %state, age = %age, "cancelling a stale session");
                        self.report
                            .stale_cancelled
                            .push(format!("session {id} ({state}, last updated {age} ago)"));
                        self.cancel(&id).await?;
                    } else {
                        let status = active
                            .status
                            .clone()
                            .expect("an active session has a status");
                        return Err(ImportError::StaleSession {
                            id,
                            status,
                            age,
                            stale_after,
                            cancel_stale: self.options.cancel_stale,
                        });
                    }
                }
                continue;
            }
            let before: HashSet<&str> = sessions.iter().filter_map(|s| s.id.as_deref()).collect();
            record(&mut self.journal, Event::Creating)?;
            // An answer without a session id is as ambiguous as a lost one.
            let (error, ambiguous) = match self.source.create_session().await {
                Ok(session) => match session.id {
                    Some(id) => return self.adopt(id, first_load),
                    None => (
                        Error::Service(
                            "createIdentitySourceSession answered without a session id".into(),
                        ),
                        true,
                    ),
                },
                Err(e) => {
                    let decision = classify(Some(&CreateIdentitySourceSession::INFO), &e);
                    (e, decision.is_ambiguous())
                }
            };
            if error.status() == Some(StatusCode::BAD_REQUEST) {
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
                        source: error,
                    });
                }
                tracing::info!(
                    waited_ms = waited.as_millis() as u64,
                    "Okta refuses a new session yet; waiting"
                );
                let since = *cooldown_since.get_or_insert_with(Instant::now);
                let until = self.cooldown_end(&now);
                self.reporter.cooling_down(since, until);
                // Try again when the cool-down should be over, if that is sooner than the
                // next step of the backoff (never within a second: no spinning).
                let expected = until.map_or(Duration::MAX, |u| {
                    u.saturating_duration_since(Instant::now())
                        .max(Duration::from_secs(1))
                });
                let step = cooldown_step
                    .min(expected)
                    .min(self.options.cooldown_max_wait - waited);
                tokio::time::sleep(step).await;
                cooldown_step = (cooldown_step * 2).min(MAX_COOLDOWN_STEP);
                continue;
            }
            if !ambiguous {
                // Final, or already retried by the client's retry layer.
                return Err(ImportError::api("creating a session", error));
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
            // Nothing was created: trying again is safe.
            match attempts.backoff() {
                Some(wait) => tokio::time::sleep(wait).await,
                None => return Err(ImportError::api("creating a session", error)),
            }
        }
    }

    /// Sends start-import (the client reads the session back after an ambiguous failure),
    /// and returns the session's state as far as it is known.
    pub(super) async fn start_import(&self, id: &str) -> Result<SessionState, ImportError> {
        match self.source.start_import(id).await {
            Ok(session) if session.status.is_some() => Ok(state_of(&session)),
            Ok(_) => self.get_state(id).await,
            // Not IN_PROGRESS (any more): what is it?
            Err(e) if e.status() == Some(StatusCode::BAD_REQUEST) => self.get_state(id).await,
            Err(e) => Err(ImportError::api(
                format!("starting the import of session {id}"),
                e,
            )),
        }
    }

    /// Starts the session's import and waits for its end. Returns the final state and
    /// whether the session's loads are reflected in Okta.
    pub(super) async fn finish(&mut self, id: &str) -> Result<(SessionState, bool), ImportError> {
        record(
            &mut self.journal,
            Event::StartImport {
                session: id.to_owned(),
            },
        )?;
        self.reporter.phase(Phase::Importing {
            session: id.to_owned(),
        });
        self.triggered = Some(Instant::now());
        let retry = self.retry_config();
        let mut starts = Attempts::new(&retry);
        let mut state = self.start_import(id).await?;
        for _ in 0..MAX_FINISH_STEPS {
            state = self.wait_while_triggered(id, state).await?;
            match state {
                SessionState::Status(Status::Completed) => return Ok((state, true)),
                // No load changed anything: Okta keeps such a session CREATED and will not
                // import it. Its loads are reflected already; cancel it.
                SessionState::Status(Status::Created) => {
                    tracing::info!(session = %id, "no load changed anything; cancelling the session");
                    state = self.cancel(id).await?;
                    if state == CLOSED {
                        return Ok((state, true));
                    }
                }
                // start-import did not go through (a 400 answered while the session was
                // still taking loads, say): send it again, within the retry configuration.
                SessionState::Status(Status::InProgress) => match starts.backoff() {
                    Some(wait) => {
                        tokio::time::sleep(wait).await;
                        state = self.start_import(id).await?;
                    }
                    None => {
                        return Err(ImportError::Unexpected {
                            message: format!(
                                "session {id} is still IN_PROGRESS after {} start-import attempts",
                                starts.attempt()
                            ),
                        });
                    }
                },
                _ => return Ok((state, false)),
            }
        }
        Err(ImportError::Unexpected {
            message: format!(
                "session {id} is still {state} after {MAX_FINISH_STEPS} attempts to import or cancel it"
            ),
        })
    }
}
