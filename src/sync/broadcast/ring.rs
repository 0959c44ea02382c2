//! The broadcast ring buffer: where values live until every receiver that
//! needs them has read them, or a newer send overwrites them.
//!
//! Positions are `u64` counters that never wrap in practice (2^64 sends).
//! Position `p` lives in slot `p & mask`.
//!
//! Invariants:
//!
//! - `Tail` (the next position to write, the receiver count, the closed
//!   flag) changes only under the tail lock. A send holds it while it writes
//!   its slot, so once a reader holding the tail lock sees `tail.pos > p`,
//!   slot `p & mask` holds position `p` or a later one.
//! - Lock order: tail, then a slot. A reader that finds its slot not ready
//!   releases the slot before taking the tail lock.
//! - A slot's `rem` counts the receivers that existed when its value was
//!   sent and have not read it yet. The reader that brings it to zero takes
//!   the value out (so it is dropped as soon as nobody needs it); a dropped
//!   receiver does the same for each slot it would still have read.
//! - Values are dropped outside every lock (user `Drop` code may be slow or
//!   may touch the channel).

use crate::loom::sync::Mutex;
use crate::sync::Notify;

/// One ring entry.
struct Slot<T> {
    /// The position this slot holds (or, before its first write, a position
    /// one lap in the past, so that it reads as "not yet written").
    pos: u64,
    /// Receivers that still need the value.
    rem: usize,
    /// `None` once every receiver that needed it has read it.
    value: Option<T>,
}

/// The sending side's view; guarded by the tail lock.
pub(super) struct Tail {
    /// The position the next send writes.
    pub(super) pos: u64,
    /// Live receivers: each new value must be read this many times.
    pub(super) rx_cnt: usize,
    /// Set when the last sender drops.
    pub(super) closed: bool,
}

/// The outcome of one receive attempt.
pub(super) enum TryRecv<T> {
    Value(T),
    Empty,
    Closed,
    Lagged(u64),
}

/// Everything the handles of one channel share.
pub(super) struct Ring<T> {
    slots: Box<[Mutex<Slot<T>>]>,
    mask: usize,
    pub(super) tail: Mutex<Tail>,
    /// Receivers waiting in `recv`; notified by every send and by the close.
    pub(super) notify_rx: Notify,
    /// Senders waiting in `closed`; notified when the last receiver drops.
    pub(super) notify_no_rx: Notify,
}

impl<T> Ring<T> {
    /// A ring of `capacity` slots (a power of two) with `rx_cnt` receivers.
    pub(super) fn new(capacity: usize, rx_cnt: usize) -> Ring<T> {
        debug_assert!(capacity.is_power_of_two());
        let slots = (0..capacity)
            .map(|i| {
                Mutex::new(Slot {
                    pos: (i as u64).wrapping_sub(capacity as u64),
                    rem: 0,
                    value: None,
                })
            })
            .collect();
        Ring {
            slots,
            mask: capacity - 1,
            tail: Mutex::new(Tail {
                pos: 0,
                rx_cnt,
                closed: false,
            }),
            notify_rx: Notify::new(),
            notify_no_rx: Notify::new(),
        }
    }

    pub(super) fn capacity(&self) -> usize {
        self.slots.len()
    }

    fn slot(&self, pos: u64) -> &Mutex<Slot<T>> {
        &self.slots[(pos as usize) & self.mask]
    }

    /// Writes `value` for every current receiver. Returns the number of
    /// receivers, or the value back if there is none.
    pub(super) fn send(&self, value: T) -> Result<usize, T> {
        let mut tail = self.tail.lock();
        if tail.rx_cnt == 0 {
            return Err(value);
        }
        let pos = tail.pos;
        let rx_cnt = tail.rx_cnt;
        let overwritten = {
            let mut slot = self.slot(pos).lock();
            slot.pos = pos;
            slot.rem = rx_cnt;
            slot.value.replace(value)
        };
        tail.pos = pos + 1;
        drop(tail);
        // A value some receiver lagged past: nobody can read it any more.
        drop(overwritten);
        self.notify_rx.notify_waiters();
        Ok(rx_cnt)
    }

    /// Marks the channel closed (the last sender is gone) and wakes every
    /// receiver.
    pub(super) fn close(&self) {
        self.tail.lock().closed = true;
        self.notify_rx.notify_waiters();
    }

    /// Adds a receiver that will read from the next send on; returns its
    /// first position.
    pub(super) fn subscribe(&self) -> u64 {
        let mut tail = self.tail.lock();
        tail.rx_cnt += 1;
        tail.pos
    }

    /// Reads the value at `*next` for a receiver, advancing `*next`.
    pub(super) fn try_recv(&self, next: &mut u64) -> TryRecv<T>
    where
        T: Clone,
    {
        loop {
            {
                let mut slot = self.slot(*next).lock();
                if slot.pos == *next {
                    let value = if slot.rem == 1 {
                        // The last reader that needs it: move it out.
                        slot.rem = 0;
                        slot.value.take()
                    } else {
                        slot.rem -= 1;
                        slot.value.clone()
                    };
                    drop(slot);
                    *next += 1;
                    return TryRecv::Value(value.expect("slot read more often than sent"));
                }
            }
            // Not ready: either not written yet, or overwritten (we lagged).
            // The tail tells which, and is stable while we hold its lock.
            let tail = self.tail.lock();
            if tail.pos == *next {
                return if tail.closed {
                    TryRecv::Closed
                } else {
                    TryRecv::Empty
                };
            }
            let oldest = tail.pos.saturating_sub(self.capacity() as u64);
            if *next < oldest {
                let missed = oldest - *next;
                *next = oldest;
                return TryRecv::Lagged(missed);
            }
            // Written between our two looks: read it now.
        }
    }

    /// Removes a receiver whose next position is `next`: releases its claim
    /// on every value it has not read. Returns `true` if it was the last.
    pub(super) fn unsubscribe(&self, next: u64) -> bool {
        let (until, last) = {
            let mut tail = self.tail.lock();
            tail.rx_cnt -= 1;
            (tail.pos, tail.rx_cnt == 0)
        };
        // Later sends no longer count us; earlier ones still in the ring do.
        let start = next.max(until.saturating_sub(self.capacity() as u64));
        for pos in start..until {
            let unneeded = {
                let mut slot = self.slot(pos).lock();
                if slot.pos != pos {
                    // Overwritten already.
                    continue;
                }
                slot.rem -= 1;
                if slot.rem == 0 {
                    slot.value.take()
                } else {
                    None
                }
            };
            drop(unneeded);
        }
        last
    }

    /// Values still held for at least one receiver.
    pub(super) fn len(&self) -> usize {
        let tail = self.tail.lock();
        let oldest = tail.pos.saturating_sub(self.capacity() as u64);
        // Receivers read in order, so the unread values are a suffix of the
        // retained ones: count back from the newest.
        let mut count = 0;
        for pos in (oldest..tail.pos).rev() {
            if self.slot(pos).lock().rem == 0 {
                break;
            }
            count += 1;
        }
        count
    }
}
