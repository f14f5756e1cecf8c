//! What a handler answers, before the server adds Okta's headers.

use http::StatusCode;

use crate::error::ApiError;

/// A successful answer: a status, an optional JSON body and `Link` header values.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: StatusCode,
    pub body: Option<Vec<u8>>,
    pub links: Vec<String>,
}

impl Reply {
    /// A status with no body.
    pub(crate) fn empty(status: StatusCode) -> Self {
        Self {
            status,
            body: None,
            links: Vec::new(),
        }
    }

    /// A status with a JSON body.
    pub(crate) fn json(status: StatusCode, body: Vec<u8>) -> Self {
        Self {
            status,
            body: Some(body),
            links: Vec::new(),
        }
    }
}

/// What a handler returns.
pub(crate) type HandlerResult = Result<Reply, ApiError>;
