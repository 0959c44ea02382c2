//! Capacity accounting for the two channel flavours.
//!
//! A channel needs to know, beyond "can I send", whether any message is
//! still *in flight*: queued, or promised by a sender that reserved a slot
//! but has not used it yet. After [`Receiver::close`](super::Receiver::close)
//! the receiver keeps draining until nothing is in flight, and only then
//! reports the end of the stream. [`ChanSemaphore::is_idle`] answers that.
//!
//! - Bounded channels use the crate's fair batch semaphore with `bound`
//!   permits: a slot is a permit, taken by a send or reserve and given back
//!   when the receiver takes the message (or a reservation is dropped).
//!   Idle means all `bound` permits are back.
//! - Unbounded channels only count: [`Unbounded`] is one atomic word,
//!   `in_flight << 1 | CLOSED`.

use crate::loom::sync::atomic::{AtomicUsize, Ordering::AcqRel, Ordering::Acquire};
use crate::sync::batch_semaphore::Semaphore;

/// What the shared channel core needs from either flavour.
pub(crate) trait ChanSemaphore {
    /// Nothing is queued or reserved.
    fn is_idle(&self) -> bool;
    /// `n` messages were received, or `n` reservations dropped.
    fn add_permits(&self, n: usize);
    /// The receiver closed: sends (and waiting reserves) fail from now on.
    fn close(&self);
    /// True once [`close`](Self::close) has been called.
    fn is_closed(&self) -> bool;
}

/// A bounded channel's slots.
pub(crate) struct Bounded {
    pub(crate) semaphore: Semaphore,
    pub(crate) bound: usize,
}

impl Bounded {
    pub(crate) fn new(bound: usize) -> Bounded {
        Bounded {
            semaphore: Semaphore::new(bound),
            bound,
        }
    }
}

impl ChanSemaphore for Bounded {
    fn is_idle(&self) -> bool {
        self.semaphore.available_permits() == self.bound
    }

    fn add_permits(&self, n: usize) {
        self.semaphore.release(n);
    }

    fn close(&self) {
        self.semaphore.close();
    }

    fn is_closed(&self) -> bool {
        self.semaphore.is_closed()
    }
}

const CLOSED: usize = 1;
const ONE: usize = 2;

/// An unbounded channel's in-flight counter.
pub(crate) struct Unbounded(AtomicUsize);

impl Unbounded {
    pub(crate) fn new() -> Unbounded {
        Unbounded(AtomicUsize::new(0))
    }

    /// Counts one more message in flight, unless the channel is closed.
    ///
    /// On a closed channel the increment is undone; the caller must then
    /// wake the receiver, which may have seen the transient count and be
    /// waiting for the channel to become idle.
    #[inline]
    pub(crate) fn try_start_send(&self) -> bool {
        // One `fetch_add` instead of a CAS loop: senders never retry
        // against each other.
        let prev = self.0.fetch_add(ONE, AcqRel);
        if prev & CLOSED != 0 {
            self.0.fetch_sub(ONE, AcqRel);
            return false;
        }
        true
    }
}

impl ChanSemaphore for Unbounded {
    fn is_idle(&self) -> bool {
        self.0.load(Acquire) >> 1 == 0
    }

    fn add_permits(&self, n: usize) {
        self.0.fetch_sub(n * ONE, AcqRel);
    }

    fn close(&self) {
        self.0.fetch_or(CLOSED, AcqRel);
    }

    fn is_closed(&self) -> bool {
        self.0.load(Acquire) & CLOSED != 0
    }
}
