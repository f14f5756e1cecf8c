//! The integration tests of okta-idsrc-ops, in one binary (linking hyper, rustls and the
//! emulator once instead of once a file).

#![allow(missing_docs)]

mod client;
mod clock;
mod config;
mod oauth;
mod pagination;
mod rate_limit;
mod reset_values;
mod retry;
