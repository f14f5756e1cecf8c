//! The sync over 127.0.0.1 against the emulator, in one binary.

#![allow(missing_docs)]

mod days;
mod property;
mod support;
