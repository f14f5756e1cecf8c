//! The importer end to end over 127.0.0.1, in one binary (linking hyper, rustls and the
//! emulator once).

#![allow(missing_docs)]

mod dpop;
mod import;
mod input;
mod journal;
mod resume;
mod retries;
mod sessions;
mod support;
