//! [`ClientBuilder`]: org, credentials, `User-Agent`, the service and the layers around it.

use std::fmt;

use bytes::Bytes;
use http::{Request, Response};
use okta_idsrc_core::transport::{BoxError, Transport};
use okta_idsrc_core::{ApiContext, Credentials, OrgUrl};
use tower::{Layer, Service};

use super::Client;
use super::auth::{Auth, Authenticated};
use super::stats::Layers;
use crate::oauth::{OAuthConfig, OAuthLayer, OAuthService};
use crate::rate_limit::{RateLimitConfig, RateLimitLayer, RateLimitService};
use crate::retry::{RetryConfig, RetryLayer, RetryService};
use crate::service::HttpService;
use crate::service::{BoxedService, TransportService};

/// Marks a [`ClientBuilder`] that has no service yet: give it one with
/// [`service`](ClientBuilder::service) or [`transport`](ClientBuilder::transport).
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub struct NoService;

/// Builds a [`Client`]: the org URL, the credentials, the service and any tower layers
/// around it. Start with [`Client::builder`].
///
/// Layers wrap the service in the order they are added: the last one added is the
/// outermost, and sees each call first (as with kube-rs' `ClientBuilder::with_layer`).
///
/// `Debug` shows the org and the service's type, never the token.
///
/// ```
/// use bytes::Bytes;
/// use okta_idsrc_core::{Credentials, OrgUrl};
/// use okta_idsrc_ops::Client;
///
/// let canned = tower::service_fn(|_req: http::Request<Bytes>| async {
///     Ok::<_, std::convert::Infallible>(http::Response::new(Bytes::from_static(b"[]")))
/// });
/// let client = Client::builder(OrgUrl::parse("https://acme.okta.com").unwrap())
///     .credentials(Credentials::api_token("00abc-secret"))
///     .user_agent_suffix("hr-sync/1.0")
///     .service(canned)
///     .with_layer(tower::limit::ConcurrencyLimitLayer::new(8))
///     .build();
/// assert!(!format!("{client:?}").contains("00abc-secret"));
/// ```
#[must_use = "a builder does nothing until build() is called"]
pub struct ClientBuilder<S = NoService> {
    org: OrgUrl,
    credentials: Option<Credentials>,
    user_agent_suffix: Option<String>,
    service: S,
    layers: Layers,
}

/// The service of [`default_layers`](ClientBuilder::default_layers): the retry layer outside
/// the rate-limit layer, over `S`.
pub type DefaultStack<S> = RetryService<RateLimitService<S>>;

impl Client<BoxedService> {
    /// A builder for a client of `org`. Give it credentials, a service (or transport) and
    /// any layers, then [`build`](ClientBuilder::build) it.
    pub fn builder(org: OrgUrl) -> ClientBuilder<NoService> {
        ClientBuilder {
            org,
            credentials: None,
            user_agent_suffix: None,
            service: NoService,
            layers: Layers::default(),
        }
    }
}

impl<S> ClientBuilder<S> {
    /// Authenticates requests with `credentials` (an API token or a bearer access token).
    /// Without credentials no `Authorization` header is added: leave them out only when a
    /// layer adds the header itself.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// Appends `suffix` (e.g. `hr-sync/2.1`) to the `User-Agent`. Text that cannot be a
    /// header value is ignored.
    pub fn user_agent_suffix(mut self, suffix: impl Into<String>) -> Self {
        self.user_agent_suffix = Some(suffix.into());
        self
    }

    fn map_service<T>(self, f: impl FnOnce(S) -> T) -> ClientBuilder<T> {
        ClientBuilder {
            org: self.org,
            credentials: self.credentials,
            user_agent_suffix: self.user_agent_suffix,
            service: f(self.service),
            layers: self.layers,
        }
    }
}

impl ClientBuilder<NoService> {
    /// Sends requests through `service`: any
    /// `tower::Service<http::Request<Bytes>, Response = http::Response<Bytes>>` that is
    /// `Clone`, whose errors convert into a boxed error (the hyper transport, a mock…).
    pub fn service<T>(self, service: T) -> ClientBuilder<T>
    where
        T: Service<Request<Bytes>, Response = Response<Bytes>> + Clone,
        T::Error: Into<BoxError>,
    {
        self.map_service(|_| service)
    }

    /// Sends requests through an embedder's own HTTP stack, given as core's object-safe
    /// [`Transport`] (wrapped in a [`TransportService`]).
    pub fn transport<T: Transport>(self, transport: T) -> ClientBuilder<TransportService<T>> {
        self.map_service(|_| TransportService::new(transport))
    }
}

impl<S> ClientBuilder<S>
where
    S: HttpService,
{
    /// Wraps the service in `layer` (which becomes the outermost layer so far).
    pub fn with_layer<L: Layer<S>>(self, layer: L) -> ClientBuilder<L::Service> {
        self.map_service(|service| layer.layer(service))
    }

    /// Authenticates as an Okta service app: wraps the service in an [`OAuthLayer`] for
    /// this builder's org (OAuth 2.0 client credentials with a `private_key_jwt`
    /// assertion, and DPoP). Call it before [`default_layers`](Self::default_layers), so
    /// that the retries sit outside and every attempt gets a fresh DPoP proof. No
    /// [`credentials`](Self::credentials) are needed: the layer sets `Authorization`.
    ///
    /// Its counts are in the client's [`stats`](Client::stats).
    pub fn oauth(mut self, config: OAuthConfig) -> ClientBuilder<OAuthService<S>> {
        let layer = OAuthLayer::new(&self.org, config);
        self.layers.oauth = Some(layer.clone());
        self.with_layer(layer)
    }

    /// Authenticates requests as `auth` says: a static token is sent on every request, a
    /// service app's tokens come from an [`OAuthLayer`] around the service (as
    /// [`oauth`](Self::oauth) does). Call it before
    /// [`default_layers`](Self::default_layers), so that every attempt is authorized afresh.
    pub fn authenticate(mut self, auth: impl Into<Auth>) -> ClientBuilder<Authenticated<S>> {
        match auth.into() {
            Auth::Token(credentials) => {
                self.credentials = Some(credentials);
                self.map_service(Authenticated::Token)
            }
            Auth::OAuth(config) => self.oauth(*config).map_service(Authenticated::OAuth),
        }
    }

    /// Wraps the service in Okta's default middleware: the [`RetryLayer`] outside, the
    /// [`RateLimitLayer`] inside (so that every attempt is paced). Equivalent to
    /// `.with_layer(RateLimitLayer::new(rate_limit)).with_layer(RetryLayer::new(retry))`;
    /// layers added after it sit outside the retries.
    ///
    /// Their counts are in the client's [`stats`](Client::stats), and the retry
    /// configuration in its [`retry_config`](Client::retry_config).
    pub fn default_layers(
        mut self,
        retry: RetryConfig,
        rate_limit: RateLimitConfig,
    ) -> ClientBuilder<DefaultStack<S>> {
        let rate_limit = RateLimitLayer::new(rate_limit);
        let retry = RetryLayer::new(retry);
        self.layers.rate_limit = Some(rate_limit.clone());
        self.layers.retry = Some(retry.clone());
        self.with_layer(rate_limit).map_service(|s| retry.layer(s))
    }

    /// The client.
    pub fn build(self) -> Client<S> {
        let mut context = ApiContext::new(self.org, self.credentials);
        if let Some(suffix) = &self.user_agent_suffix {
            context = context.with_user_agent_suffix(suffix);
        }
        Client::with_layers(self.service, context, self.layers)
    }
}

impl<S> fmt::Debug for ClientBuilder<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("org", &self.org)
            .field("credentials", &self.credentials)
            .field("user_agent_suffix", &self.user_agent_suffix)
            .field("service", &std::any::type_name::<S>())
            .finish()
    }
}
