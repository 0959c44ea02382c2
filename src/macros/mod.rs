//! The concurrency macros: [`join!`], [`try_join!`], [`select!`] and
//! [`pin!`], with Tokio's syntax and semantics.
//!
//! Each is a `#[macro_export]` `macro_rules!` (so it lives at the crate root,
//! `weave::select!`, like Tokio's) that names everything through
//! `$crate::__private` ([`support`]); `join!`, `try_join!` and `select!`
//! hand their input, prefixed with `$crate;`, to a function-like proc macro
//! in `weave-macros` that does the parsing and numbering, which is why they
//! need the `macros` feature. `pin!` is plain `macro_rules!` and is always
//! available.
//!
//! Because only `$crate` paths are emitted, a crate that re-exports these
//! macros (`pub use weave::select;`) hands them to users that do not depend
//! on weave themselves.
//!
//! The futures they build hold every branch on the stack of the calling
//! task (pinned with `core::pin::pin!`, no allocation, no `unsafe` in the
//! expansion) and only ever use the `Waker` they are polled with; they run
//! under any executor.

// Not `#[macro_use]`: a textual-scope `pin!` would shadow the
// `use std::pin::pin;` imports in the rest of the crate. Inside weave, write
// `crate::pin!`.
mod pin;

#[cfg(feature = "macros")]
#[macro_use]
mod join;

#[cfg(feature = "macros")]
#[macro_use]
mod try_join;

#[cfg(feature = "macros")]
#[macro_use]
mod select;

pub mod support;
