//! OAuth 2.0 for Okta service apps: client credentials with a `private_key_jwt` client
//! assertion, DPoP-bound access tokens, and the typed errors of both (see
//! `docs/okta-behavior.md#oauth-20-service-apps-and-dpop`). What can be done
//! without IO (error codes, challenges, token responses) is core's [`okta_idsrc_core::oauth`].
//!
//! [`OAuthLayer`] is a tower layer that gets the access token from `{org}/oauth2/v1/token`
//! through the service it wraps, caches it, renews it ahead of expiry, and authorizes every
//! HTTP attempt with it and a fresh DPoP proof. Put it inside the retry and rate-limit
//! layers — [`ClientBuilder::oauth`](crate::ClientBuilder::oauth) then
//! [`default_layers`](crate::ClientBuilder::default_layers) does:
//!
//! ```no_run
//! use okta_idsrc_core::OrgUrl;
//! use okta_idsrc_ops::Client;
//! use okta_idsrc_ops::oauth::{OAuthConfig, load_private_key};
//! use okta_idsrc_ops::rate_limit::RateLimitConfig;
//! use okta_idsrc_ops::retry::RetryConfig;
//! # async fn run(transport: okta_idsrc_ops::BoxedService) -> Result<(), Box<dyn std::error::Error>> {
//! let key = load_private_key("/etc/okta/service-app.pem")?.with_kid("my-key-id");
//! let client = Client::builder(OrgUrl::parse("https://acme.okta.com")?)
//!     .service(transport)
//!     .oauth(OAuthConfig::new("0oa1234567890client", key))
//!     .default_layers(RetryConfig::default(), RateLimitConfig::default())
//!     .build();
//! let sessions = client.list_identity_source_sessions("0oa1234567890abcdefg").await?;
//! # drop(sessions);
//! # Ok(())
//! # }
//! ```
//!
//! Failures reach callers as [`okta_idsrc_core::Error::Service`] holding an
//! [`OAuthError`] ([`OAuthError::find`] gets it): the token endpoint's OAuth errors, a
//! nonce handshake that did not complete, a refused request's `WWW-Authenticate`
//! challenge ([`AuthChallenge`]), with the [`ClockSkew`] measured from the response's
//! `Date` when the failure is about time.
//!
//! Signing uses `ring` (through `okta-idsrc-jose`), the provider rustls already uses. The
//! private key, the access token, assertions and proofs never appear in `Debug`, logs or
//! errors.

mod cache;
mod config;
mod dpop;
mod error;
mod layer;
mod token;

pub use cache::OAuthStats;
pub use config::{DEFAULT_SCOPES, MAX_ASSERTION_LIFETIME, OAuthConfig};
pub use error::{NonceFailure, OAuthError, SharedError};
pub use layer::{OAuthLayer, OAuthService};
pub use okta_idsrc_core::oauth::{
    AuthChallenge, ChallengeParseError, ClockSkew, ErrorCode, OAuthFailure, TokenType, htu,
};
pub use okta_idsrc_jose::{Algorithm, Jwk, KeyError, PrivateKey, load_private_key};
