//! Asynchronous signal handling (Tokio's `tokio::signal`): [`ctrl_c`] and,
//! on Unix, [`unix::signal`] streams for any catchable signal.
//!
//! # Design
//!
//! Signals are a process-wide resource, so the machinery is process-wide
//! too and independent of any runtime:
//!
//! 1. `registry.rs` installs one OS handler per signal number (through
//!    `signal-hook-registry`, the first time that number is asked for).
//!    The handler sets the number's `pending` flag and writes one byte to a
//!    non-blocking self-pipe (a `UnixStream` pair); nothing else.
//! 2. A listener thread, started on first use, blocks reading the pipe; on
//!    each wake-up it swaps every `pending` flag back to false and notifies
//!    the matching counter.
//! 3. `generation.rs` is that counter: a minimal `watch` channel (an
//!    atomic version number plus the wakers of the receivers waiting on
//!    it). Each [`unix::Signal`] owns a receiver and completes `recv` when
//!    the version moved since it last looked.
//!
//! Invariants (details in each file):
//! - The handler is async-signal-safe: atomics and one `write(2)`, no
//!   allocation, no lock.
//! - Every delivery after a `Signal` was created makes that `Signal`'s
//!   `recv` complete at least once; deliveries close together may
//!   coalesce. Every `Signal` of a kind sees each delivery.
//! - No lost wake-up between the listener's notification and a `Signal`
//!   going to sleep (the counter's lock-then-recheck rule).
//! - Handlers are never uninstalled, as in Tokio.
//!
//! Because the listener is a thread and not a runtime's reactor, a
//! `Signal` works on any runtime or executor, keeps working after the
//! runtime it was created in has shut down, and its deliveries reach tasks
//! of several runtimes at once.
//!
//! ```
//! use weave::signal::unix::{signal, SignalKind};
//!
//! # #[weave::main]
//! # async fn main() -> std::io::Result<()> {
//! let mut usr1 = signal(SignalKind::user_defined1())?;
//! // SAFETY (for this example): the handler for SIGUSR1 is installed.
//! unsafe { libc::raise(libc::SIGUSR1) };
//! usr1.recv().await;
//! # Ok(())
//! # }
//! ```

mod ctrl_c;
mod generation;
mod registry;

pub mod unix;

pub use ctrl_c::ctrl_c;
