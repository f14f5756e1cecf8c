//! The transport seam: how a request built by this crate reaches the network.
//!
//! Embedders with their own HTTP stack implement [`Transport`] (object safe, so it can be
//! boxed as `Arc<dyn Transport>`); services built on tower use any
//! `tower::Service<http::Request<Bytes>, Response = http::Response<Bytes>>` instead, and the
//! `okta-idsrc-ops` crate adapts one to the other in both directions.
//!
//! Transports report failures as a [`TransportError`], whose [`TransportErrorKind`] tells the
//! retry policy whether the request may have reached the server.

use std::error::Error as StdError;
use std::fmt;

use bytes::Bytes;

/// A boxed error, the error type tower services commonly use.
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// An HTTP transport for embedders: sends one request and returns the whole response.
///
/// The request is complete (method, URI, headers, body); the transport must not add an
/// `Authorization` header or change the body. A response of any status is `Ok`: status
/// handling belongs to the operation that parses it.
///
/// ```
/// use bytes::Bytes;
/// use okta_idsrc_core::transport::{Transport, TransportError};
///
/// struct Canned;
///
/// #[async_trait::async_trait]
/// impl Transport for Canned {
///     async fn send(
///         &self,
///         _request: http::Request<Bytes>,
///     ) -> Result<http::Response<Bytes>, TransportError> {
///         Ok(http::Response::builder().status(204).body(Bytes::new()).unwrap())
///     }
/// }
/// ```
#[async_trait::async_trait]
pub trait Transport: Send + Sync + 'static {
    /// Sends `request` and returns the response, whatever its status.
    async fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, TransportError>;
}

#[async_trait::async_trait]
impl<T: Transport + ?Sized> Transport for std::sync::Arc<T> {
    async fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, TransportError> {
        (**self).send(request).await
    }
}

#[async_trait::async_trait]
impl<T: Transport + ?Sized> Transport for Box<T> {
    async fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, TransportError> {
        (**self).send(request).await
    }
}

/// What kind of failure a [`TransportError`] is; drives retry decisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// The connection could not be established (DNS, TCP connect, TLS handshake, proxy
    /// tunnel). Nothing of the request was sent, so a retry is always safe.
    Connect,
    /// The attempt exceeded its time limit; the server may have received the request.
    Timeout,
    /// The connection failed after the request may have been sent (reset, closed early,
    /// protocol error). Whether the server acted on it is unknown.
    Io,
    /// The response body exceeded the configured limit.
    BodyTooLarge,
    /// The request was refused before it was sent: by configuration (a plain `http://` URL
    /// to a non-loopback host, say) or because the server cannot take it (it answered the
    /// TLS handshake in plain text). Retrying cannot help.
    Refused,
    /// Anything else.
    Other,
}

impl TransportErrorKind {
    /// Whether the request certainly did not reach the server.
    pub fn nothing_sent(self) -> bool {
        matches!(self, Self::Connect | Self::Refused)
    }
}

/// A failure to exchange a request and a response with the server.
///
/// Its `Display` says what failed; the underlying cause, when there is one, is its
/// [`source`](StdError::source) and is not repeated in the message.
#[derive(Debug)]
pub struct TransportError {
    kind: TransportErrorKind,
    message: String,
    source: Option<BoxError>,
}

impl TransportError {
    /// A new error of `kind` with a message saying what failed (no secrets, no bodies).
    pub fn new(kind: TransportErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            source: None,
        }
    }

    /// Attaches the underlying cause.
    pub fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> TransportErrorKind {
        self.kind
    }

    /// Whether the request certainly did not reach the server (safe to retry any operation).
    pub fn nothing_sent(&self) -> bool {
        self.kind.nothing_sent()
    }

    /// Finds a `TransportError` in a boxed error or anywhere in its source chain.
    pub fn find_in<'a>(error: &'a (dyn StdError + 'static)) -> Option<&'a TransportError> {
        let mut current: Option<&(dyn StdError + 'static)> = Some(error);
        while let Some(e) = current {
            if let Some(t) = e.downcast_ref::<TransportError>() {
                return Some(t);
            }
            current = e.source();
        }
        None
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl StdError for TransportError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn StdError + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_in_walks_the_source_chain() {
        #[derive(Debug)]
        struct Wrapper(TransportError);
        impl fmt::Display for Wrapper {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("wrapped")
            }
        }
        impl StdError for Wrapper {
            fn source(&self) -> Option<&(dyn StdError + 'static)> {
                Some(&self.0)
            }
        }
        let e = Wrapper(TransportError::new(
            TransportErrorKind::Connect,
            "connect failed",
        ));
        let found = TransportError::find_in(&e).expect("found");
        assert_eq!(found.kind(), TransportErrorKind::Connect);
        assert!(found.nothing_sent());
        let io = TransportError::new(TransportErrorKind::Io, "reset");
        assert!(!io.nothing_sent());
    }
}
