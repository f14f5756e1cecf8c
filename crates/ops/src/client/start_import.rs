//! start-import, never blindly repeated: after an ambiguous failure the session is read back
//! and its status decides.

use okta_idsrc_core::models::{IdentitySourceSession, IdentitySourceSessionStatus};
use okta_idsrc_core::operations::StartImportFromIdentitySource;
use okta_idsrc_core::retry::classify;
use okta_idsrc_core::{Error, Operation};

use super::Client;
use crate::retry::{Attempts, RetryConfig};
use crate::service::HttpService;

impl<S> Client<S>
where
    S: HttpService,
{
    /// `POST /sessions/{sessionId}/start-import`: starts processing the session's loads
    /// (`startImportFromIdentitySource`).
    ///
    /// start-import is not idempotent, so it is never blindly repeated. When it fails in a way
    /// that leaves unknown whether Okta acted (core's classifier says
    /// [`NotSafe`](crate::retry::RetryDecision::NotSafe): a timeout, a connection lost after
    /// sending, a 5xx), the session is read back with `getIdentitySourceSession`:
    /// - TRIGGERED, COMPLETED or ERROR: the import went through; that session is returned;
    /// - IN_PROGRESS: it did not; start-import is sent again, as often as the client's retry
    ///   configuration allows attempts (the default's without a retry layer), after its
    ///   backoff;
    /// - anything else, or a failed read-back: the original error is returned.
    pub async fn start_import_from_identity_source(
        &self,
        identity_source_id: impl Into<String>,
        session_id: impl Into<String>,
    ) -> Result<IdentitySourceSession, Error> {
        let op = StartImportFromIdentitySource::new(identity_source_id, session_id);
        let default = RetryConfig::default();
        let mut attempts = Attempts::new(self.retry_config().unwrap_or(&default));
        loop {
            let error = match self.send(&op).await {
                Ok(session) => return Ok(session),
                Err(e)
                    if classify(Some(&StartImportFromIdentitySource::INFO), &e).is_ambiguous() =>
                {
                    e
                }
                Err(e) => return Err(e),
            };
            tracing::warn!(
                operation = "startImportFromIdentitySource",
                attempt = attempts.attempt(),
                "start-import failed ambiguously; reading the session back"
            );
            let Ok(session) = self
                .get_identity_source_session(&*op.identity_source_id, &*op.session_id)
                .await
            else {
                return Err(error);
            };
            match &session.status {
                Some(
                    IdentitySourceSessionStatus::Triggered
                    | IdentitySourceSessionStatus::Completed
                    | IdentitySourceSessionStatus::Error,
                ) => return Ok(session),
                Some(IdentitySourceSessionStatus::InProgress) => match attempts.backoff() {
                    Some(wait) => tokio::time::sleep(wait).await,
                    None => return Err(error),
                },
                _ => return Err(error),
            }
        }
    }
}
