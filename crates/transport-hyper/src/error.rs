//! Classifies hyper / hyper-util failures into [`TransportError`]s.
//!
//! Messages say what failed and with which host; the underlying error is the source and is
//! not repeated. Headers never appear (they may carry tokens).

use std::error::Error as StdError;
use std::time::Duration;

use http_body_util::LengthLimitError;
use okta_idsrc_core::transport::{BoxError, TransportError, TransportErrorKind};

use crate::connector::{ConnectError, ConnectStage};
use crate::target::Target;

/// Maps an error from hyper-util's pooled client (sending the request, up to the response
/// head).
pub(crate) fn from_client(
    error: hyper_util::client::legacy::Error,
    target: &Target,
) -> TransportError {
    if !error.is_connect() {
        return TransportError::new(
            TransportErrorKind::Io,
            format!("the connection to {target} failed while exchanging the request"),
        )
        .with_source(error);
    }
    let message = match find_connect_error(&error).map(|e| &e.stage) {
        Some(ConnectStage::Tcp) => format!("could not connect to {target}"),
        Some(ConnectStage::Proxy(proxy)) => {
            format!("could not open a tunnel to {target} through the proxy {proxy}")
        }
        Some(ConnectStage::TimedOut(after)) => {
            format!("connecting to {target} timed out after {after:?}")
        }
        // The only step outside our own connector is the TLS layer.
        None if answered_in_plain_text(&error) => return not_tls(target),
        None => format!("the TLS handshake with {target} failed"),
    };
    TransportError::new(TransportErrorKind::Connect, message).with_source(error)
}

/// The server answered the TLS handshake with something that is not TLS (a plain-HTTP
/// server's `400 Bad Request`, say): final, since asking again gets the same answer.
fn not_tls(target: &Target) -> TransportError {
    TransportError::new(
        TransportErrorKind::Refused,
        format!(
            "the server at {target} does not speak TLS (it answered the TLS handshake in plain \
             text); check the URL's scheme and port"
        ),
    )
}

/// Whether the TLS layer failed because the server's first bytes were not a TLS record
/// (rustls' `InvalidContentType`, found in the chain or inside an `io::Error`).
fn answered_in_plain_text(error: &(dyn StdError + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(e) = current {
        if matches!(
            e.downcast_ref::<rustls::Error>(),
            Some(rustls::Error::InvalidMessage(
                rustls::InvalidMessage::InvalidContentType
            ))
        ) {
            return true;
        }
        // `io::Error::source` skips the error it wraps: step into it instead.
        current = match e.downcast_ref::<std::io::Error>() {
            Some(io) => io.get_ref().map(|inner| inner as &(dyn StdError + 'static)),
            None => e.source(),
        };
    }
    false
}

/// Maps a failure while reading the response body through `http_body_util::Limited`.
pub(crate) fn from_body(error: BoxError, target: &Target, limit: usize) -> TransportError {
    if error.downcast_ref::<LengthLimitError>().is_some() {
        return body_too_large(target, limit);
    }
    TransportError::new(
        TransportErrorKind::Io,
        format!("reading the response body from {target} failed"),
    )
    .with_source(error)
}

/// The response body is (or declares to be) larger than the configured limit.
pub(crate) fn body_too_large(target: &Target, limit: usize) -> TransportError {
    TransportError::new(
        TransportErrorKind::BodyTooLarge,
        format!("the response body from {target} exceeds the limit of {limit} bytes"),
    )
}

/// The attempt (send and body read) exceeded the request timeout.
pub(crate) fn timed_out(target: &Target, after: Duration) -> TransportError {
    TransportError::new(
        TransportErrorKind::Timeout,
        format!("the request to {target} timed out after {after:?}"),
    )
}

fn find_connect_error<'a>(error: &'a (dyn StdError + 'static)) -> Option<&'a ConnectError> {
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(found) = e.downcast_ref::<ConnectError>() {
            return Some(found);
        }
        current = e.source();
    }
    None
}
