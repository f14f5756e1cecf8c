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
    /// Sends `op`, never blindly repeated: the body of
    /// [`start_import_from_identity_source`](Self::start_import_from_identity_source).
    pub(super) async fn send_start_import(
        &self,
        op: &StartImportFromIdentitySource,
    ) -> Result<IdentitySourceSession, Error> {
        let default = RetryConfig::default();
        let mut attempts = Attempts::new(self.retry_config().unwrap_or(&default));
        loop {
            let error = match self.send(op).await {
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
