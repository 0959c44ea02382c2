//! # weave
//!
//! An async task runtime for Rust with Tokio's API and asyncio's
//! conveniences: a work-stealing multi-thread scheduler (and a
//! current-thread one), `spawn`, `spawn_blocking`, join handles with
//! cancellation, named tasks, and a blocking pool.
//!
//! For everything Tokio also has, weave uses Tokio's paths, names and
//! signatures, so `use weave as tokio;` compiles code written for Tokio.
//!
//! ```
//! #[weave::main]
//! async fn main() {
//!     let greeting = weave::spawn(async { "hello from a task" });
//!     println!("{}", greeting.await.unwrap());
//! }
//! ```

#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms)]
#![deny(unsafe_op_in_unsafe_fn)]

// First, so `join!`, `try_join!` and `select!` are in scope in every module
// below (`pin!` is not, so it cannot shadow `std::pin::pin`: use `crate::pin!`).
#[macro_use]
mod macros;

mod coop;
mod enter;
mod loom;
mod park;

pub mod fs;
pub mod io;
pub mod net;
pub mod process;
pub mod runtime;
pub mod signal;
pub mod sync;
pub mod task;
pub mod time;

pub use task::{gather, spawn, try_gather};

// What the macros' expansions name; not a public API.
#[doc(hidden)]
pub use macros::support as __private;

#[cfg(feature = "macros")]
pub use weave_macros::{main, test};

/// `#[tokio::main]` and `#[tokio::test]` for the Tokio compatibility crate
/// (`compat/tokio`), which re-exports them as `tokio::main` / `tokio::test`:
/// the same macros as [`main`] and [`test`], but their expansions name
/// `::tokio` instead of `::weave`, the only crate a Tokio application can name.
#[cfg(feature = "macros")]
#[doc(hidden)]
pub mod __tokio_compat {
    pub use weave_macros::{tokio_main as main, tokio_test as test};
}
