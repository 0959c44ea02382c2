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

mod coop;
mod enter;
mod loom;
mod park;

pub mod fs;
pub mod io;
pub mod net;
pub mod runtime;
pub mod signal;
pub mod sync;
pub mod task;
pub mod time;

pub use task::{gather, spawn, try_gather};

#[cfg(feature = "macros")]
pub use weave_macros::{main, test};
