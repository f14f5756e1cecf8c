//! The one retry classifier of the workspace (design lesson 11, `docs/design.md#lessons`):
//! whether the outcome of one attempt is worth another, decided from the outcome and the
//! request's [`OperationInfo`] alone. The retry layer asks it about every response and
//! transport error; every caller above the client (start-import's read-back, the OAuth token
//! fetch, the importer's session handling) asks it about the [`Error`] it got. No one else
//! decides.
//!
//! - 429 → [`RateLimited`](RetryDecision::RateLimited), for every operation (Okta did not act);
//! - 500, 502, 503, 504 → [`ServerError`](RetryDecision::ServerError) when idempotent, else
//!   [`NotSafe`](RetryDecision::NotSafe) (Okta may have acted: read the state back);
//! - a transport error: `Connect` (nothing sent) is retried for every operation; `Timeout`,
//!   `Io` and `Other` only when idempotent (else `NotSafe`); `Refused` and `BodyTooLarge` are
//!   final;
//! - anything else — another status, invalid input, an answer that does not parse, an OAuth
//!   refusal — is [`Final`](RetryDecision::Final).
//!
//! ```
//! use http::StatusCode;
//! use okta_idsrc_core::operations::{CreateIdentitySourceSession, GetIdentitySourceSession};
//! use okta_idsrc_core::retry::{RetryDecision, classify_status};
//! use okta_idsrc_core::Operation;
//!
//! let create = CreateIdentitySourceSession::INFO;
//! let get = GetIdentitySourceSession::INFO;
//! assert_eq!(classify_status(Some(&create), StatusCode::BAD_GATEWAY), RetryDecision::NotSafe);
//! assert_eq!(classify_status(Some(&get), StatusCode::BAD_GATEWAY), RetryDecision::ServerError);
//! assert_eq!(classify_status(Some(&create), StatusCode::TOO_MANY_REQUESTS), RetryDecision::RateLimited);
//! assert_eq!(classify_status(Some(&get), StatusCode::NOT_FOUND), RetryDecision::Final);
//! ```
//!
//! Beside it, the [`RetryBudget`]: the token bucket that caps retries across every request
//! sharing it, pure accounting that a retry layer (the client's, or an embedder's own) pays
//! from.

mod budget;

use http::StatusCode;

use crate::error::Error;
use crate::operation::OperationInfo;
use crate::transport::{TransportError, TransportErrorKind};

pub use budget::{
    DEFAULT_CAPACITY, DEFAULT_RETRY_COST, DEFAULT_SUCCESS_REFILL, DEFAULT_TRANSPORT_ERROR_COST,
    RetryBudget,
};

/// What to do with the outcome of one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RetryDecision {
    /// Return it: a success, or an answer a retry cannot change (a 4xx other than 429, a
    /// 5xx other than 500/502/503/504, a refused request, a body too large, invalid input,
    /// an error that is not about the exchange).
    Final,
    /// A retry could succeed, but the operation is not idempotent and the server may have
    /// acted on the request (a 5xx, a timeout, a broken connection): read the state back
    /// before trying again (design lesson 4).
    NotSafe,
    /// 429: retry after the wait the rate-limit headers ask for, whatever the operation.
    RateLimited,
    /// 500, 502, 503 or 504 on an idempotent operation: retry after a backoff.
    ServerError,
    /// A transport error after which a retry is safe: one that sent nothing (connect), or a
    /// timeout or broken connection on an idempotent operation. Retry after a backoff.
    TransportError(TransportErrorKind),
}

impl RetryDecision {
    /// Whether the outcome is worth another attempt as it is.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            Self::RateLimited | Self::ServerError | Self::TransportError(_)
        )
    }

    /// Whether the server may have acted on the request while failing (so a non-idempotent
    /// request must be read back, not repeated).
    pub fn is_ambiguous(self) -> bool {
        self == Self::NotSafe
    }
}

fn idempotent(info: Option<&OperationInfo>) -> bool {
    info.is_some_and(OperationInfo::is_idempotent)
}

/// The decision for an answer with `status` to a request carrying `info` (`None`: treated
/// as not idempotent).
pub fn classify_status(info: Option<&OperationInfo>, status: StatusCode) -> RetryDecision {
    match status {
        StatusCode::TOO_MANY_REQUESTS => RetryDecision::RateLimited,
        StatusCode::INTERNAL_SERVER_ERROR
        | StatusCode::BAD_GATEWAY
        | StatusCode::SERVICE_UNAVAILABLE
        | StatusCode::GATEWAY_TIMEOUT => {
            if idempotent(info) {
                RetryDecision::ServerError
            } else {
                RetryDecision::NotSafe
            }
        }
        _ => RetryDecision::Final,
    }
}

/// The decision for a transport error of `kind` on a request carrying `info`.
pub fn classify_transport(info: Option<&OperationInfo>, kind: TransportErrorKind) -> RetryDecision {
    match kind {
        TransportErrorKind::Refused | TransportErrorKind::BodyTooLarge => RetryDecision::Final,
        kind if kind.nothing_sent() || idempotent(info) => RetryDecision::TransportError(kind),
        _ => RetryDecision::NotSafe,
    }
}

/// The decision for a failed call of the operation `info` describes: an API error by its
/// status, a transport error (also one found in a service error's source chain) by its
/// kind, anything else final.
pub fn classify(info: Option<&OperationInfo>, error: &Error) -> RetryDecision {
    match error {
        Error::Api(e) => classify_status(info, e.status),
        Error::Transport(t) => classify_transport(info, t.kind()),
        Error::Service(e) => TransportError::find_in(&**e)
            .map_or(RetryDecision::Final, |t| classify_transport(info, t.kind())),
        _ => RetryDecision::Final,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operation::Operation;
    use crate::operations::{GetIdentitySourceSession, StartImportFromIdentitySource};

    const IDEMPOTENT: OperationInfo = GetIdentitySourceSession::INFO;
    const NOT_IDEMPOTENT: OperationInfo = StartImportFromIdentitySource::INFO;

    #[test]
    fn statuses() {
        for (code, idem, not) in [
            (200, RetryDecision::Final, RetryDecision::Final),
            (201, RetryDecision::Final, RetryDecision::Final),
            (400, RetryDecision::Final, RetryDecision::Final),
            (404, RetryDecision::Final, RetryDecision::Final),
            (429, RetryDecision::RateLimited, RetryDecision::RateLimited),
            (500, RetryDecision::ServerError, RetryDecision::NotSafe),
            (501, RetryDecision::Final, RetryDecision::Final),
            (502, RetryDecision::ServerError, RetryDecision::NotSafe),
            (503, RetryDecision::ServerError, RetryDecision::NotSafe),
            (504, RetryDecision::ServerError, RetryDecision::NotSafe),
        ] {
            let status = StatusCode::from_u16(code).unwrap();
            assert_eq!(classify_status(Some(&IDEMPOTENT), status), idem, "{code}");
            assert_eq!(
                classify_status(Some(&NOT_IDEMPOTENT), status),
                not,
                "{code}"
            );
            assert_eq!(classify_status(None, status), not, "{code} without info");
        }
    }

    #[test]
    fn transport_errors() {
        use TransportErrorKind::*;
        for (kind, idem, not) in [
            (
                Connect,
                RetryDecision::TransportError(Connect),
                RetryDecision::TransportError(Connect),
            ),
            (
                Timeout,
                RetryDecision::TransportError(Timeout),
                RetryDecision::NotSafe,
            ),
            (
                Io,
                RetryDecision::TransportError(Io),
                RetryDecision::NotSafe,
            ),
            (
                Other,
                RetryDecision::TransportError(Other),
                RetryDecision::NotSafe,
            ),
            (Refused, RetryDecision::Final, RetryDecision::Final),
            (BodyTooLarge, RetryDecision::Final, RetryDecision::Final),
        ] {
            assert_eq!(
                classify_transport(Some(&IDEMPOTENT), kind),
                idem,
                "{kind:?}"
            );
            assert_eq!(
                classify_transport(Some(&NOT_IDEMPOTENT), kind),
                not,
                "{kind:?}"
            );
        }
    }

    #[test]
    fn errors_of_every_kind() {
        let api = |code: u16| {
            Error::from(crate::ApiError::from_parts(
                "x",
                StatusCode::from_u16(code).unwrap(),
                &http::HeaderMap::new(),
                b"",
            ))
        };
        assert_eq!(
            classify(Some(&IDEMPOTENT), &api(503)),
            RetryDecision::ServerError
        );
        assert_eq!(
            classify(Some(&NOT_IDEMPOTENT), &api(503)),
            RetryDecision::NotSafe
        );
        assert_eq!(
            classify(Some(&NOT_IDEMPOTENT), &api(401)),
            RetryDecision::Final
        );
        let refused = Error::Transport(TransportError::new(TransportErrorKind::Refused, "x"));
        assert_eq!(classify(Some(&IDEMPOTENT), &refused), RetryDecision::Final);
        // A transport error wrapped in another service error keeps its kind.
        #[derive(Debug)]
        struct Layer(TransportError);
        impl std::fmt::Display for Layer {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a layer failed")
            }
        }
        impl std::error::Error for Layer {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let wrapped = Error::Service(Box::new(Layer(TransportError::new(
            TransportErrorKind::Io,
            "reset",
        ))));
        assert_eq!(
            classify(Some(&IDEMPOTENT), &wrapped),
            RetryDecision::TransportError(TransportErrorKind::Io)
        );
        assert!(classify(Some(&NOT_IDEMPOTENT), &wrapped).is_ambiguous());
        let other = Error::Service("an OAuth refusal".into());
        assert_eq!(classify(Some(&IDEMPOTENT), &other), RetryDecision::Final);
    }
}
