//! The emulator's tests over a real socket, in one binary (linked once).

#![allow(missing_docs)]

mod common;
mod faults;
mod fidelity;
mod lifecycle;
mod limits;
mod oauth;
mod operations;
mod persistence;
mod timing;
