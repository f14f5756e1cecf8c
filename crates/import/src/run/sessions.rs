//! Sessions: listing, reconciling with the journal, opening, starting and finishing.

use super::*;

impl<S> Driver<'_, S>
where
    S: Service<Request<Bytes>, Response = Response<Bytes>> + Clone + Send + Sync + 'static,
    S::Future: Send,
    S::Error: Into<BoxError>,
{
    pub(super) async fn list_sessions(&self) -> Result<Vec<IdentitySourceSession>, ImportError> {
        self.retrying(
            || "listing the identity source's sessions".to_owned(),
            || self.source.list_identity_source_sessions(),
        )
        .await
    }

    /// A session's status; [`not_found`] when it does not exist.
    pub(super) async fn get_status(&self, id: &str) -> Result<Status, ImportError> {
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
    pub(super) async fn cancel(&self, id: &str) -> Result<Status, ImportError> {
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
    pub(super) async fn wait_while_triggered(
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
    pub(super) async fn reconcile(
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
        tracing::info!(session = %id, "session opened");
        Ok(id)
    }

    /// Opens a session, once no other is active: a TRIGGERED one is waited for, a stale
    /// CREATED or IN_PROGRESS one is reported (or cancelled, with `cancel_stale`), and
    /// Okta's cool-down after the last creation is waited out.
    pub(super) async fn open_session(
        &mut self,
        first_load: Option<u64>,
    ) -> Result<String, ImportError> {
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
    pub(super) async fn start_import(
        &self,
        id: &str,
        sends: &mut u32,
    ) -> Result<Status, ImportError> {
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
    pub(super) async fn finish(&mut self, id: &str) -> Result<(Status, bool), ImportError> {
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
}
