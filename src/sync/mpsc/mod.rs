//! Multi-producer, single-consumer channels.
//!
//! [`channel`] makes a *bounded* channel: at most `buffer` messages are
//! queued (or reserved) at once and senders wait for room, which pushes
//! back on producers that outpace the consumer. [`unbounded_channel`] makes
//! one whose sends never wait. In both, senders are cloned for more
//! producers and there is a single receiver.
//!
//! Semantics shared by both flavours:
//!
//! - A failed send hands the value back inside the error.
//! - `recv` returns `None` once every sender is gone and the queue is
//!   drained. [`Receiver::close`] stops new sends but lets the receiver
//!   drain what is queued (and what holders of [`Permit`]s still send).
//! - Messages still in the channel when both sides are gone are dropped.
//! - The futures only need a [`Waker`](std::task::Waker): they work under
//!   any executor, and the `blocking_*` methods work from plain threads.
//!
//! ```
//! use weave::sync::mpsc;
//!
//! # futures::executor::block_on(async {
//! let (tx, mut rx) = mpsc::channel(8);
//! for id in 0..3 {
//!     let tx = tx.clone();
//!     std::thread::spawn(move || tx.blocking_send(id).unwrap());
//! }
//! drop(tx);
//! let mut got = Vec::new();
//! while let Some(id) = rx.recv().await {
//!     got.push(id);
//! }
//! got.sort();
//! assert_eq!(got, [0, 1, 2]);
//! # });
//! ```
//!
//! # Implementation
//!
//! A channel is one `Arc` allocation (`chan::Chan`) plus the blocks of its
//! message list, allocated as the list grows and reused in steady state:
//!
//! - `list`: the message queue, a lock-free many-pusher, one-popper FIFO of
//!   32-slot blocks (one `fetch_add` and two stores per push; blocks are
//!   recycled). Only the receiver pops.
//! - `rx_waker`: the receiver's waker in an atomic slot (`atomic_waker`):
//!   a send is a push plus one atomic read-modify-write to wake, no lock.
//! - capacity (`semaphore`): for bounded channels the crate's fair batch
//!   semaphore (a slot is a permit, taken with one CAS when free, waited
//!   for in FIFO order when not); for unbounded channels one atomic
//!   in-flight counter. Either tells the receiver, after `close`, when
//!   nothing more can arrive.
//! - sender counts: the last strong sender to leave wakes the receiver.
//!
//! The invariants that make this correct are written at the top of
//! `chan.rs`; the loom models in `loom_tests.rs` check them.

mod atomic_waker;
mod bounded;
mod chan;
pub mod error;
mod list;
mod permit;
mod semaphore;
mod unbounded;

pub use self::bounded::{channel, Receiver, Sender, WeakSender};
pub use self::permit::{OwnedPermit, Permit, PermitIterator};
pub use self::unbounded::{
    unbounded_channel, UnboundedReceiver, UnboundedSender, WeakUnboundedSender,
};

#[cfg(all(test, loom))]
mod loom_tests;
