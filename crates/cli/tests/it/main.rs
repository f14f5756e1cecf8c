//! The CLI's tests: the `okta-idsrc` binary run as a user runs it, in one test binary.

#![allow(missing_docs)]

mod cli;
mod common;
mod emulator_cmd;
mod input;
mod mapping;
mod monitor;
mod oauth;
mod run;
mod sync;
