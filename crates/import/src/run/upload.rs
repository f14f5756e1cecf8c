//! Uploading loads into a session, kind by kind, with bounded concurrency.

use super::*;

impl<S> Driver<'_, S>
where
    S: SendHttpService + Sync,
{
    /// Uploads `loads` (of one kind) to session `id`, `concurrency` at a time.
    pub(super) async fn upload_kind(
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
                    self.reporter.acknowledged(u64::from(load.entities()));
                    tracing::debug!(
                        session = %id,
                        load = load.number,
                        kind = load.kind.as_str(),
                        entities = load.entities(),
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
    pub(super) async fn upload(
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
                Some(Refusal::Gone) => return Ok(Uploaded::Stopped(SessionState::Gone)),
                Some(Refusal::Refused(refusal)) => {
                    let state = self.get_state(id).await?;
                    if !state.accepts_loads() {
                        return Ok(Uploaded::Stopped(state));
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
}

/// Where a load's entities came from, for messages.
pub(super) fn describe(load: &PackedLoad) -> String {
    let ranges: Vec<String> = load
        .ranges
        .iter()
        .take(3)
        .map(ToString::to_string)
        .collect();
    let mut s = format!("{} {}s", load.entities(), load.kind);
    if !ranges.is_empty() {
        s.push_str(" from ");
        s.push_str(&ranges.join(", "));
    }
    s
}

/// Uploads one load (the client's retry layer retries what is worth retrying); returns the
/// load with what happened to it.
pub(super) async fn upload_load<'a, S>(
    source: &IdentitySource<S>,
    session: &str,
    load: &'a PackedLoad,
) -> (&'a PackedLoad, LoadOutcome)
where
    S: SendHttpService + Sync,
{
    let outcome = match send_load(source, session, load).await {
        Ok(()) => LoadOutcome::Acked,
        Err(e) if e.status() == Some(StatusCode::BAD_REQUEST) && !refuses_body(&e) => {
            LoadOutcome::Refused(e)
        }
        Err(e) if e.status() == Some(StatusCode::NOT_FOUND) => LoadOutcome::Gone,
        Err(e) => LoadOutcome::Failed(e),
    };
    (load, outcome)
}

pub(super) async fn send_load<S>(
    source: &IdentitySource<S>,
    session: &str,
    load: &PackedLoad,
) -> Result<(), Error>
where
    S: SendHttpService + Sync,
{
    /// Sends `body` as operation `O`'s load.
    async fn send<O: BulkLoad, S>(
        source: &IdentitySource<S>,
        session: &str,
        body: BulkLoadBody,
    ) -> Result<(), Error>
    where
        S: HttpService,
    {
        let load = PreparedBulkLoad::<O>::new(source.id(), session, body);
        source.client().send(&load).await
    }
    let body = load.body.clone();
    /// Sends the load as the operation its kind names, one row a kind.
    macro_rules! send_as {
        ($($kind:ident => $operation:ty,)*) => {
            match load.body.kind() {
                $(BulkLoadKind::$kind => send::<$operation, _>(source, session, body).await,)*
                _ => unreachable!("the importer packs the six known kinds"),
            }
        };
    }
    send_as! {
        UserUpsert => UploadIdentitySourceDataForUpsert,
        UserDelete => UploadIdentitySourceDataForDelete,
        GroupUpsert => UploadIdentitySourceGroupsForUpsert,
        GroupDelete => UploadIdentitySourceGroupsDataForDelete,
        MembershipUpsert => UploadIdentitySourceGroupMembershipsForUpsert,
        MembershipDelete => UploadIdentitySourceGroupMembershipsForDelete,
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
}
