//! Sans-IO core of okta-idsrc: the models of Okta's Identity Sources API and one type per
//! operation that builds an `http::Request<Bytes>` and parses an `http::Response<Bytes>`.
//!
//! No tokio, no hyper, no tower: bring any HTTP stack. See [`Operation`] for an example, and
//! the `okta-idsrc-ops` crate for the async client built on it.

pub mod auth;
pub mod bulk;
pub mod clock;
pub mod error;
pub mod headers;
pub mod json;
pub mod limits;
pub mod models;
pub mod oauth;
pub mod operation;
pub mod operations;
pub mod org;
pub mod pacing;
pub mod proxy_env;
pub mod retry;
pub mod stable_hash;
pub mod transport;
pub mod validate;

pub use auth::Credentials;
pub use clock::{Clock, SystemClock};
pub use error::{ApiError, DecodeError, Error, InvalidRequest};
pub use operation::{ApiContext, Idempotency, Operation, OperationInfo, RateLimitBucket};
pub use org::OrgUrl;
pub use transport::{Transport, TransportError, TransportErrorKind};
