//! The readiness cell of one registered I/O resource.
//!
//! The driver ORs readiness bits in when the OS reports events; a task that
//! got `WouldBlock` clears the bits it acted on. Both meet in one atomic word:
//!
//! ```text
//!  bits 0..6   Ready bits (readable, writable, read/write closed, priority, error)
//!  bit  6      SHUTDOWN: the driver is gone; every wait ends with an error
//!  bits 16..32 tick: the driver turn that last set readiness
//! ```
//!
//! Invariants:
//! - A clear only succeeds if the tick is still the one the clearer observed
//!   when it read the readiness (`ReadyEvent::tick`). If the driver reported
//!   a new event since, the tick moved and the clear is dropped, so a stale
//!   `WouldBlock` can never erase an event that arrived after the attempt.
//!   (The tick is 16 bits; a task would have to stay between its read of
//!   readiness and its clear for 65,536 driver turns to be fooled.)
//! - Closed bits (`READ_CLOSED`, `WRITE_CLOSED`) are never cleared: once a
//!   side is closed it stays ready, so readers see EOF promptly.
//! - No lost wake-up: the driver stores readiness *then* takes the waiters
//!   lock to wake; a waiter stores its waker under that lock *then* loads the
//!   readiness again. Whichever lock section comes second sees the other's
//!   write.
//! - Every registered waker is either woken or dropped: wakers are taken out
//!   under the lock and woken outside it; a slot's old waker is dropped when
//!   replaced; a waiting future removes its entry when dropped.

use super::{Interest, Ready};
use crate::loom::sync::atomic::{AtomicUsize, Ordering::AcqRel, Ordering::Acquire};
use crate::loom::sync::Mutex;
use std::future::Future;
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

const READY_MASK: usize = 0b11_1111;
const SHUTDOWN: usize = 1 << 6;
const TICK_SHIFT: u32 = 16;
const TICK_MASK: usize = 0xffff << TICK_SHIFT;

/// Which waker slot a `poll_*_ready` call uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Read,
    Write,
}

impl Direction {
    pub(crate) fn mask(self) -> Ready {
        match self {
            Direction::Read => Interest::READABLE.mask(),
            Direction::Write => Interest::WRITABLE.mask(),
        }
    }
}

/// A snapshot of readiness, to be handed back to `clear_readiness`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ReadyEvent {
    pub(crate) ready: Ready,
    pub(crate) tick: u16,
    pub(crate) is_shutdown: bool,
}

#[derive(Debug)]
pub(crate) struct ScheduledIo {
    readiness: AtomicUsize,
    waiters: Mutex<Waiters>,
}

#[derive(Debug, Default)]
struct Waiters {
    reader: Option<Waker>,
    writer: Option<Waker>,
    /// Futures from `readiness()`, each waiting for its own interest.
    list: slab::Slab<Waiter>,
}

#[derive(Debug)]
struct Waiter {
    mask: Ready,
    waker: Option<Waker>,
    notified: bool,
}

/// Wakers taken out under the lock, woken after it is released.
///
/// Uninitialised slots rather than `[Option<Waker>; 32]`: creating and
/// dropping a list of options zeroes and then checks all 32 slots on every
/// wake, about a tenth of a UDP ping-pong's instructions (callgrind).
/// Invariant: exactly the slots `..len` hold a waker.
struct WakeList {
    wakers: [MaybeUninit<Waker>; WAKE_BATCH],
    len: usize,
}

const WAKE_BATCH: usize = 32;

impl WakeList {
    fn new() -> WakeList {
        WakeList {
            wakers: [const { MaybeUninit::uninit() }; WAKE_BATCH],
            len: 0,
        }
    }

    fn is_full(&self) -> bool {
        self.len == WAKE_BATCH
    }

    fn push(&mut self, w: Waker) {
        assert!(!self.is_full(), "WakeList overflow");
        self.wakers[self.len].write(w);
        self.len += 1;
    }

    fn wake_all(&mut self) {
        let n = std::mem::replace(&mut self.len, 0);
        for slot in &self.wakers[..n] {
            // SAFETY: slots `..n` held wakers (the invariant) and `len` is
            // already 0, so each is read exactly once; if a `wake` panics, the
            // rest are leaked, never dropped twice.
            let w = unsafe { slot.assume_init_read() };
            w.wake();
        }
    }
}

impl Drop for WakeList {
    fn drop(&mut self) {
        for slot in &mut self.wakers[..self.len] {
            // SAFETY: slots `..len` hold wakers (the invariant), dropped once
            // here as the list goes away.
            unsafe { slot.assume_init_drop() };
        }
    }
}

impl ScheduledIo {
    pub(crate) fn new() -> ScheduledIo {
        ScheduledIo {
            readiness: AtomicUsize::new(0),
            waiters: Mutex::new(Waiters::default()),
        }
    }

    fn event_from(word: usize, mask: Ready) -> ReadyEvent {
        ReadyEvent {
            ready: Ready::from_bits((word & READY_MASK) as u8).intersection(mask),
            tick: ((word & TICK_MASK) >> TICK_SHIFT) as u16,
            is_shutdown: word & SHUTDOWN != 0,
        }
    }

    /// The readiness now, restricted to `mask`.
    pub(crate) fn ready_event(&self, mask: Ready) -> ReadyEvent {
        Self::event_from(self.readiness.load(Acquire), mask)
    }

    /// Driver side: adds `ready` and stamps the word with `tick`.
    pub(crate) fn set_readiness(&self, tick: u16, ready: Ready) {
        let mut cur = self.readiness.load(Acquire);
        loop {
            let new = (cur & !TICK_MASK & !READY_MASK)
                | ((cur & READY_MASK) | ready.bits() as usize)
                | ((tick as usize) << TICK_SHIFT);
            match self
                .readiness
                .compare_exchange_weak(cur, new, AcqRel, Acquire)
            {
                Ok(_) => return,
                Err(actual) => cur = actual,
            }
        }
    }

    /// Task side: the operation for `event` hit `WouldBlock`, so the bits it
    /// saw are stale, unless the driver has been here since (tick moved).
    pub(crate) fn clear_readiness(&self, event: ReadyEvent) {
        let clear = event
            .ready
            .difference(Ready::READ_CLOSED | Ready::WRITE_CLOSED)
            .bits() as usize;
        let mut cur = self.readiness.load(Acquire);
        loop {
            if ((cur & TICK_MASK) >> TICK_SHIFT) as u16 != event.tick {
                return;
            }
            let new = cur & !clear;
            if new == cur {
                return;
            }
            match self
                .readiness
                .compare_exchange_weak(cur, new, AcqRel, Acquire)
            {
                Ok(_) => return,
                Err(actual) => cur = actual,
            }
        }
    }

    /// The driver is going away: every wait ends, with an error.
    pub(crate) fn shutdown(&self) {
        self.readiness.fetch_or(SHUTDOWN, AcqRel);
        self.wake(Ready::ALL);
    }

    /// Wakes every waiter interested in any of `ready`.
    pub(crate) fn wake(&self, ready: Ready) {
        let mut list = WakeList::new();
        let mut waiters = self.waiters.lock();
        if !ready.intersection(Direction::Read.mask()).is_empty() {
            if let Some(w) = waiters.reader.take() {
                list.push(w);
            }
        }
        if !ready.intersection(Direction::Write.mask()).is_empty() {
            if let Some(w) = waiters.writer.take() {
                list.push(w);
            }
        }
        // The list may hold more than one batch: wake a full batch with the
        // lock released, then come back for the rest (entries already woken
        // have no waker left, so each is visited with a waker once).
        loop {
            let mut more = false;
            for (_, waiter) in waiters.list.iter_mut() {
                if waiter.mask.intersection(ready).is_empty() {
                    continue;
                }
                waiter.notified = true;
                if let Some(w) = waiter.waker.take() {
                    if list.is_full() {
                        waiter.waker = Some(w);
                        more = true;
                        break;
                    }
                    list.push(w);
                }
            }
            drop(waiters);
            list.wake_all();
            if !more {
                return;
            }
            waiters = self.waiters.lock();
        }
    }

    /// Ready for `direction`, or registers `cx`'s waker in that direction's
    /// slot (replacing the previous one) and returns `Pending`.
    pub(crate) fn poll_ready(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
    ) -> Poll<ReadyEvent> {
        let mask = direction.mask();
        let event = self.ready_event(mask);
        if !event.ready.is_empty() || event.is_shutdown {
            return Poll::Ready(event);
        }
        let mut waiters = self.waiters.lock();
        let slot = match direction {
            Direction::Read => &mut waiters.reader,
            Direction::Write => &mut waiters.writer,
        };
        match slot {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => *slot = Some(cx.waker().clone()),
        }
        // Re-check under the lock (module docs: no lost wake-up).
        let event = self.ready_event(mask);
        if !event.ready.is_empty() || event.is_shutdown {
            return Poll::Ready(event);
        }
        Poll::Pending
    }

    /// Waits until any readiness in `interest` is set. Any number of these
    /// may wait at once, unlike the two `poll_ready` slots.
    pub(crate) fn readiness(&self, interest: Interest) -> Readiness<'_> {
        Readiness {
            io: self,
            mask: interest.mask(),
            key: None,
        }
    }
}

/// Future returned by [`ScheduledIo::readiness`].
#[derive(Debug)]
pub(crate) struct Readiness<'a> {
    io: &'a ScheduledIo,
    mask: Ready,
    /// Our entry in the waiters list, once we had to wait.
    key: Option<usize>,
}

impl Future for Readiness<'_> {
    type Output = ReadyEvent;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<ReadyEvent> {
        let this = &mut *self;
        let event = this.io.ready_event(this.mask);
        if !event.ready.is_empty() || event.is_shutdown {
            this.remove();
            return Poll::Ready(event);
        }
        let mut waiters = this.io.waiters.lock();
        match this.key {
            Some(key) => {
                let waiter = &mut waiters.list[key];
                if waiter.notified {
                    // Woken, but the readiness was cleared again before we
                    // got here: wait once more.
                    waiter.notified = false;
                }
                match &waiter.waker {
                    Some(w) if w.will_wake(cx.waker()) => {}
                    _ => waiter.waker = Some(cx.waker().clone()),
                }
            }
            None => {
                this.key = Some(waiters.list.insert(Waiter {
                    mask: this.mask,
                    waker: Some(cx.waker().clone()),
                    notified: false,
                }));
            }
        }
        let event = this.io.ready_event(this.mask);
        if !event.ready.is_empty() || event.is_shutdown {
            let key = this.key.take().expect("just inserted");
            waiters.list.remove(key);
            return Poll::Ready(event);
        }
        Poll::Pending
    }
}

impl Readiness<'_> {
    fn remove(&mut self) {
        if let Some(key) = self.key.take() {
            let waiter = self.io.waiters.lock().list.remove(key);
            drop(waiter);
        }
    }
}

impl Drop for Readiness<'_> {
    fn drop(&mut self) {
        self.remove();
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize as StdAtomic, Ordering};
    use std::sync::Arc;
    use std::task::Wake;

    struct Count(StdAtomic);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn counting_waker() -> (Arc<Count>, Waker) {
        let c = Arc::new(Count(StdAtomic::new(0)));
        (c.clone(), Waker::from(c))
    }

    #[test]
    fn stale_clear_keeps_a_newer_event() {
        let io = ScheduledIo::new();
        io.set_readiness(1, Ready::READABLE);
        let seen = io.ready_event(Direction::Read.mask());
        assert!(seen.ready.is_readable());
        io.set_readiness(2, Ready::READABLE);
        io.clear_readiness(seen);
        assert!(io.ready_event(Direction::Read.mask()).ready.is_readable());
        let seen = io.ready_event(Direction::Read.mask());
        io.clear_readiness(seen);
        assert!(io.ready_event(Direction::Read.mask()).ready.is_empty());
    }

    #[test]
    fn closed_bits_survive_clears() {
        let io = ScheduledIo::new();
        io.set_readiness(1, Ready::READABLE | Ready::READ_CLOSED);
        io.clear_readiness(io.ready_event(Ready::ALL));
        let ev = io.ready_event(Ready::ALL);
        assert!(ev.ready.is_read_closed() && ev.ready.is_readable());
    }

    #[test]
    fn wakes_the_right_slot_and_every_waiter() {
        let io = ScheduledIo::new();
        let (reads, rw) = counting_waker();
        let (writes, ww) = counting_waker();
        assert!(io
            .poll_ready(&mut Context::from_waker(&rw), Direction::Read)
            .is_pending());
        assert!(io
            .poll_ready(&mut Context::from_waker(&ww), Direction::Write)
            .is_pending());
        // 40 waiters: more than one wake batch.
        let counts: Vec<_> = (0..40).map(|_| counting_waker()).collect();
        let mut futs: Vec<_> = (0..40)
            .map(|_| Box::pin(io.readiness(Interest::READABLE)))
            .collect();
        for (f, (_, w)) in futs.iter_mut().zip(&counts) {
            assert!(f.as_mut().poll(&mut Context::from_waker(w)).is_pending());
        }
        io.set_readiness(1, Ready::WRITABLE);
        io.wake(Ready::WRITABLE);
        assert_eq!(reads.0.load(Ordering::SeqCst), 0);
        assert_eq!(writes.0.load(Ordering::SeqCst), 1);
        io.set_readiness(2, Ready::READABLE);
        io.wake(Ready::READABLE);
        assert_eq!(reads.0.load(Ordering::SeqCst), 1);
        for (c, w) in &counts {
            assert_eq!(c.0.load(Ordering::SeqCst), 1);
            let _ = w;
        }
        for (f, (_, w)) in futs.iter_mut().zip(&counts) {
            assert!(f.as_mut().poll(&mut Context::from_waker(w)).is_ready());
        }
        drop(futs);
        assert!(io.waiters.lock().list.is_empty());
    }

    #[test]
    fn shutdown_ends_every_wait() {
        let io = ScheduledIo::new();
        let (c, w) = counting_waker();
        let mut f = Box::pin(io.readiness(Interest::READABLE));
        assert!(f.as_mut().poll(&mut Context::from_waker(&w)).is_pending());
        io.shutdown();
        assert_eq!(c.0.load(Ordering::SeqCst), 1);
        match f.as_mut().poll(&mut Context::from_waker(&w)) {
            Poll::Ready(ev) => assert!(ev.is_shutdown),
            Poll::Pending => panic!("still pending after shutdown"),
        }
    }

    #[test]
    fn dropped_waiter_leaves_no_entry() {
        let io = ScheduledIo::new();
        let (_c, w) = counting_waker();
        let mut f = Box::pin(io.readiness(Interest::WRITABLE));
        assert!(f.as_mut().poll(&mut Context::from_waker(&w)).is_pending());
        drop(f);
        assert!(io.waiters.lock().list.is_empty());
    }
}
