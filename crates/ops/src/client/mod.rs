//! [`Client`]: the Identity Sources API over any tower service, one async method per
//! operation, and the [`IdentitySource`] handle.
//!
//! ```no_run
//! use okta_idsrc_core::{Credentials, OrgUrl};
//! use okta_idsrc_ops::Client;
//! # async fn run(transport: okta_idsrc_ops::service::BoxedService) -> Result<(), okta_idsrc_core::Error> {
//! let client = Client::builder(OrgUrl::parse("https://acme.okta.com").unwrap())
//!     .credentials(Credentials::api_token("00abc…"))
//!     .service(transport)
//!     .build();
//! let source = client.identity_source("0oa1234567890abcdefg");
//! let session = source.create_session().await?;
//! println!("{:?}", session.status);
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use http::{Request, Response};
use okta_idsrc_core::transport::{BoxError, TransportError};
use okta_idsrc_core::{ApiContext, Error, Operation, headers};
use tower::ServiceExt;
use tracing::Instrument;

use crate::service::{BoxedService, boxed};

mod auth;
mod builder;
mod operations;
mod start_import;
mod stats;

pub use auth::{Auth, Authenticated};
pub use builder::{ClientBuilder, DefaultStack, NoService};
pub use operations::IdentitySource;
pub use stats::ClientStats;

use crate::service::{HttpService, SendHttpService};
use stats::Layers;

/// The Identity Sources API over a tower service `S` (by default the type-erased
/// [`BoxedService`]).
///
/// Every operation has a method named after its operationId (`list_identity_source_sessions`,
/// `upload_identity_source_data_for_upsert`, …) returning the typed output or an
/// [`okta_idsrc_core::Error`]; [`send`](Self::send) sends any [`Operation`]. The
/// [`identity_source`](Self::identity_source) handle binds the identity source id.
///
/// Cheap to clone (the service is cloned, the context shared) and `Send + Sync` when `S` is.
/// Each call sends its request on a clone of the service, so `S` must be `Clone`; wrap a
/// service that is not in `tower::buffer::Buffer`.
///
/// `Debug` shows the org and the service's type, never the token.
#[derive(Clone)]
pub struct Client<S = BoxedService> {
    service: S,
    context: Arc<ApiContext>,
    layers: Arc<Layers>,
}

impl<S> fmt::Debug for Client<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("org", self.context.org())
            .field("credentials", &self.context.credentials())
            .field("service", &std::any::type_name::<S>())
            .finish()
    }
}

impl<S> Client<S> {
    /// A client sending requests built against `context` (org, credentials, `User-Agent`)
    /// through `service`. [`Client::builder`] is the usual way in.
    pub fn new(service: S, context: ApiContext) -> Self {
        Self::with_layers(service, context, Layers::default())
    }

    pub(crate) fn with_layers(service: S, context: ApiContext, layers: Layers) -> Self {
        Self {
            service,
            context: Arc::new(context),
            layers: Arc::new(layers),
        }
    }

    /// What the layers the builder installed did so far (retries, 429s, requests held,
    /// tokens fetched), across every clone of this client.
    pub fn stats(&self) -> ClientStats {
        self.layers.stats()
    }

    /// The requests the layers the builder installed hold right now: waiting for a
    /// rate-limit window or a concurrency slot, or out a retry's wait. What a progress
    /// display shows while the run is held.
    pub fn holds(&self) -> Vec<crate::holds::Hold> {
        self.layers.holds()
    }

    /// The configuration of the retry layer the builder installed, if any: callers that try
    /// a step again themselves (start-import's read-back, the importer's sessions) take
    /// their attempts and waits from it.
    pub fn retry_config(&self) -> Option<&crate::retry::RetryConfig> {
        self.layers.retry_config()
    }

    /// The context requests are built against.
    pub fn context(&self) -> &ApiContext {
        &self.context
    }

    /// The service requests go through.
    pub fn service(&self) -> &S {
        &self.service
    }

    /// A handle on one identity source (`0oa…`): the same methods without the id.
    pub fn identity_source(&self, identity_source_id: impl Into<String>) -> IdentitySource<S>
    where
        S: Clone,
    {
        IdentitySource::new(self.clone(), identity_source_id.into())
    }
}

impl<S> Client<S>
where
    S: SendHttpService + Sync,
{
    /// The same client over the type-erased [`BoxedService`].
    pub fn boxed(self) -> Client<BoxedService> {
        Client {
            service: boxed(self.service),
            context: self.context,
            layers: self.layers,
        }
    }
}

impl<S> Client<S>
where
    S: HttpService,
{
    /// Sends any operation: builds its request, sends it through the service and parses
    /// the response.
    ///
    /// Runs in a `tracing` span `okta_idsrc.call` with the operation, the identity source
    /// id, the HTTP status and the `X-Okta-Request-Id` — never the token, a body or a
    /// profile.
    pub async fn send<O: Operation>(&self, operation: &O) -> Result<O::Output, Error> {
        let request = operation.build(&self.context)?;
        let span = call_span(O::INFO.name, &request);
        let recorder = span.clone();
        async move {
            let result = self.exchange(request, &recorder).await.and_then(O::parse);
            if let Err(e) = &result {
                record_error(&recorder, e);
            }
            result
        }
        .instrument(span)
        .await
    }

    /// Sends a built request and returns the response, whatever its status, recording the
    /// status and the request id in `span`.
    async fn exchange(
        &self,
        request: Request<Bytes>,
        span: &tracing::Span,
    ) -> Result<Response<Bytes>, Error> {
        let response = self
            .service
            .clone()
            .oneshot(request)
            .await
            .map_err(|e| service_error(e.into()))?;
        span.record("http.status_code", response.status().as_u16());
        if let Some(id) = headers::request_id(response.headers()) {
            span.record("okta.request_id", id);
        }
        Ok(response)
    }
}

/// A service's error as core's: a transport error stays typed, and so does a timeout of a
/// tower timeout layer (as a [`Timeout`](okta_idsrc_core::TransportErrorKind::Timeout)), so that core's retry classifier
/// sees every failure of the exchange for what it is.
fn service_error(error: BoxError) -> Error {
    match Error::from_service(error) {
        Error::Service(e) if TransportError::find_in(&*e).is_none() => {
            match crate::retry::transport_error_kind(&*e) {
                Some(kind) => Error::Transport(
                    TransportError::new(kind, "the request timed out").with_source(e),
                ),
                None => Error::Service(e),
            }
        }
        other => other,
    }
}

/// The span of one call. Only the operation, the identity source id (from the path), the
/// status and the request id go in it.
fn call_span(operation: &'static str, request: &Request<Bytes>) -> tracing::Span {
    let identity_source_id = identity_source_of(request.uri().path()).unwrap_or("");
    tracing::info_span!(
        "okta_idsrc.call",
        operation,
        identity_source_id,
        http.method = %request.method(),
        http.status_code = tracing::field::Empty,
        okta.request_id = tracing::field::Empty,
        okta.error_code = tracing::field::Empty,
        error.kind = tracing::field::Empty,
    )
}

/// Records what kind of failure `error` is (no message: messages may quote bodies).
fn record_error(span: &tracing::Span, error: &Error) {
    let kind = match error {
        Error::Validation(_) => "validation",
        Error::InvalidRequest(_) => "invalid_request",
        Error::Api(e) => {
            if let Some(code) = e.error_code() {
                span.record("okta.error_code", code);
            }
            "api"
        }
        Error::Decode(_) => "decode",
        Error::Transport(_) => "transport",
        _ => "service",
    };
    span.record("error.kind", kind);
    tracing::debug!(error.kind = kind, "call failed");
}

/// The identity source id in an `/api/v1/identity-sources/{id}/…` path (still
/// percent-encoded).
fn identity_source_of(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/api/v1/identity-sources/")?;
    Some(rest.split('/').next().unwrap_or(rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_source_from_path() {
        assert_eq!(
            identity_source_of("/api/v1/identity-sources/0oa1/sessions"),
            Some("0oa1")
        );
        assert_eq!(
            identity_source_of("/api/v1/identity-sources/0oa1"),
            Some("0oa1")
        );
        assert_eq!(identity_source_of("/api/v1/users"), None);
    }

    #[test]
    fn client_is_send_sync_clone() {
        fn assert_traits<T: Send + Sync + Clone + 'static>() {}
        assert_traits::<Client<BoxedService>>();
        assert_traits::<IdentitySource<BoxedService>>();
    }
}
