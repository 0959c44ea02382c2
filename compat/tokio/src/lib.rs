//! weave under Tokio's name.
//!
//! This crate is named `tokio` (version 1.99.0) and re-exports weave, so
//! that an application can put its whole dependency tree on weave with one
//! patch in its `Cargo.toml`:
//!
//! ```toml
//! [patch.crates-io]
//! tokio = { path = "<weave>/compat/tokio" }
//! ```
//!
//! Every crate that depends on `tokio` (hyper, axum, reqwest, tokio-util,
//! tokio-stream, ...) then compiles against weave, which has Tokio's paths,
//! names and signatures. Nothing here wraps weave: what a crate needs from
//! Tokio and weave lacks is added to weave itself.
//!
//! `#[tokio::main]` and `#[tokio::test]` are weave's attribute macros with
//! `::tokio` as their default crate path (an application that depends only on
//! `tokio` cannot name `::weave`). `select!`, `join!`, `try_join!`, `pin!` and
//! `task_local!` are weave's `macro_rules` macros, which reach weave through
//! `$crate` and so work under this name as they are.

#![warn(missing_docs, rust_2018_idioms)]

pub use weave::*;

pub use weave::__tokio_compat::{main, test};
