//! The I/O reactor: mio events turned into task wake-ups.
//!
//! Layout:
//! - `interest.rs`, `ready.rs`: the public `Interest` and `Ready` sets.
//! - `scheduled_io.rs`: the readiness cell of one resource (ready bits +
//!   driver tick) and its waiters.
//! - `driver.rs`: `IoDriver` (the `mio::Poll`, turned by the thread that
//!   parks) and `IoHandle` (registration, unpark).
//! - `registration.rs`: `Registration`, the per-resource handle sockets use.
//! - `poll_evented.rs`: `PollEvented<E>`, a mio source plus its registration,
//!   with the write loops the socket types share (reads are in `net/recv.rs`).

mod driver;
mod interest;
mod poll_evented;
mod ready;
mod registration;
mod scheduled_io;

#[cfg(all(test, loom))]
mod loom_tests;

pub(crate) use driver::{IoDriver, IoHandle};
pub use interest::Interest;
pub(crate) use poll_evented::PollEvented;
pub use ready::Ready;
pub(crate) use registration::Registration;
pub(crate) use scheduled_io::{Direction, ReadyEvent};
