//! start-import, never blindly repeated: after an ambiguous failure the session is read back
//! and its status decides.

use bytes::Bytes;
use http::{Request, Response};
use okta_idsrc_core::Error;
use okta_idsrc_core::models::{IdentitySourceSession, IdentitySourceSessionStatus};
use okta_idsrc_core::operations::StartImportFromIdentitySource;
use okta_idsrc_core::transport::{BoxError, TransportError, TransportErrorKind};
use tower::Service;

use super::Client;

/// How many times [`Client::start_import_from_identity_source`] sends start-import at most:
/// once, and once more only when a read-back proves the first did not go through.
pub const MAX_START_IMPORT_ATTEMPTS: u32 = 2;

impl<S> Client<S>
where
    S: Service<Request<Bytes>, Response = Response<Bytes>> + Clone,
    S::Error: Into<BoxError>,
{
    /// `POST /sessions/{sessionId}/start-import`: starts processing the session's loads
    /// (`startImportFromIdentitySource`).
    ///
    /// start-import is not idempotent, so it is never blindly repeated. When sending it
    /// fails ambiguously (a timeout, a connection lost after sending, a 5xx answer), the
    /// session is read back with `getIdentitySourceSession`:
    /// - TRIGGERED, COMPLETED or ERROR: the import went through; that session is returned;
    /// - IN_PROGRESS: it did not; start-import is sent again, at most
    ///   [`MAX_START_IMPORT_ATTEMPTS`] times in all;
    /// - anything else, or a failed read-back: the original error is returned.
    pub async fn start_import_from_identity_source(
        &self,
        identity_source_id: impl Into<String>,
        session_id: impl Into<String>,
    ) -> Result<IdentitySourceSession, Error> {
        let op = StartImportFromIdentitySource::new(identity_source_id, session_id);
        let mut attempt = 1;
        loop {
            let error = match self.send(&op).await {
                Ok(session) => return Ok(session),
                Err(e) if is_ambiguous(&e) => e,
                Err(e) => return Err(e),
            };
            tracing::warn!(
                operation = "startImportFromIdentitySource",
                attempt,
                "start-import failed ambiguously; reading the session back"
            );
            let session = match self
                .get_identity_source_session(&*op.identity_source_id, &*op.session_id)
                .await
            {
                Ok(session) => session,
                Err(_) => return Err(error),
            };
            match &session.status {
                Some(
                    IdentitySourceSessionStatus::Triggered
                    | IdentitySourceSessionStatus::Completed
                    | IdentitySourceSessionStatus::Error,
                ) => return Ok(session),
                Some(IdentitySourceSessionStatus::InProgress)
                    if attempt < MAX_START_IMPORT_ATTEMPTS =>
                {
                    attempt += 1;
                }
                _ => return Err(error),
            }
        }
    }
}

/// Whether a failure leaves it unknown if Okta acted on the request: a timeout, a connection
/// lost after the request may have been sent, or a 5xx answer.
pub(crate) fn is_ambiguous(error: &Error) -> bool {
    let ambiguous_kind = |t: &TransportError| {
        matches!(
            t.kind(),
            TransportErrorKind::Timeout | TransportErrorKind::Io
        )
    };
    match error {
        Error::Transport(t) => ambiguous_kind(t),
        Error::Api(e) => e.status.is_server_error(),
        Error::Service(e) => match TransportError::find_in(&**e) {
            Some(t) => ambiguous_kind(t),
            None => e.is::<tower::timeout::error::Elapsed>(),
        },
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use okta_idsrc_core::ApiError;

    #[test]
    fn ambiguous_failures() {
        let t = |kind| Error::Transport(TransportError::new(kind, "x"));
        assert!(is_ambiguous(&t(TransportErrorKind::Timeout)));
        assert!(is_ambiguous(&t(TransportErrorKind::Io)));
        assert!(!is_ambiguous(&t(TransportErrorKind::Connect)));
        assert!(!is_ambiguous(&t(TransportErrorKind::Refused)));
        let api = |status: u16| {
            let status = http::StatusCode::from_u16(status).expect("status");
            Error::from(ApiError::from_parts(
                "startImportFromIdentitySource",
                status,
                &http::HeaderMap::new(),
                b"",
            ))
        };
        assert!(is_ambiguous(&api(500)));
        assert!(is_ambiguous(&api(503)));
        assert!(!is_ambiguous(&api(400)));
        assert!(!is_ambiguous(&api(429)));
        assert!(is_ambiguous(&Error::Service(Box::new(
            tower::timeout::error::Elapsed::new()
        ))));
        assert!(!is_ambiguous(&Error::Service("boom".into())));
    }
}
