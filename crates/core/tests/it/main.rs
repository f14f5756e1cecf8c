//! Core's tests across modules (models, operations, headers, validation, the spec), in one
//! binary.

#![allow(missing_docs)]

mod headers;
mod models_prop;
mod operations;
mod spec;
mod validate;
