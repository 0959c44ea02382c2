//! Unix-only I/O: [`AsyncFd`], readiness for any file descriptor (Tokio's
//! `tokio::io::unix`).
//!
//! Layout:
//! - `async_fd.rs`: [`AsyncFd`], the registered descriptor and its waits.
//! - `guard.rs`: [`AsyncFdReadyGuard`] / [`AsyncFdReadyMutGuard`], the
//!   readiness a wait observed, and [`TryIoError`].
//! - `error.rs`: [`AsyncFdTryNewError`], a failed registration that hands
//!   the descriptor back.
//!
//! Invariants:
//! - An `AsyncFd` is registered with exactly one runtime's reactor from
//!   construction until `into_inner` or drop, which deregister it; neither
//!   closes the descriptor (the wrapped `T` owns it and closes it, if at
//!   all, when `T` is dropped, after the deregistration).
//! - A guard remembers the readiness snapshot (bits and driver tick) it was
//!   created from, and `clear_ready` hands back exactly that snapshot: if
//!   the reactor reported a newer event in between, the tick no longer
//!   matches and the readiness survives (see `runtime::io::scheduled_io`).
//! - Any number of tasks may wait in [`AsyncFd::ready`] / `readable` /
//!   `writable` at once; each is woken. The `poll_*_ready` methods keep one
//!   waker per direction, as Tokio's do: the last task to poll wins.

mod async_fd;
mod error;
mod guard;

pub use async_fd::AsyncFd;
pub use error::AsyncFdTryNewError;
pub use guard::{AsyncFdReadyGuard, AsyncFdReadyMutGuard, TryIoError};
