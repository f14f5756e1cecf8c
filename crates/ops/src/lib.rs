//! The async layer of okta-idsrc: a [`Client`] over any tower service, the retry and
//! rate-limit middleware Okta needs, pagination streams, configuration
//! loading like Okta's SDKs, and adapters between core's
//! [`Transport`](okta_idsrc_core::Transport) and tower.
//!
//! ```no_run
//! use okta_idsrc_core::{Credentials, OrgUrl};
//! use okta_idsrc_ops::Client;
//! # async fn run(service: okta_idsrc_ops::service::BoxedService) -> Result<(), okta_idsrc_core::Error> {
//! let client = Client::builder(OrgUrl::parse("https://acme.okta.com").unwrap())
//!     .credentials(Credentials::api_token("00abc…"))
//!     .service(service)
//!     .build();
//! let sessions = client.list_identity_source_sessions("0oa1234567890abcdefg").await?;
//! # drop(sessions);
//! # Ok(())
//! # }
//! ```

pub mod client;
pub mod clock;
pub mod config;
pub mod holds;
mod macros;
pub mod oauth;
pub mod pagination;
pub mod rate_limit;
pub mod retry;
pub mod service;
#[cfg(feature = "test-util")]
pub mod test_util;

pub use client::{Auth, Client, ClientBuilder, ClientStats, IdentitySource};
pub use config::{AuthorizationMode, Config, ConfigError};
pub use holds::{Hold, HoldReason};
pub use pagination::{MembershipPage, MembershipPager};
pub use service::{BoxedService, HttpService, SendHttpService, ServiceTransport, TransportService};
