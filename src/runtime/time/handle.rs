//! `TimeHandle`: one runtime's timers, shared by the driver and every entry.
//!
//! # What is guarded by what
//!
//! - One mutex guards [`Locked`]: the wheel (and through it, the links of
//!   every registered entry) and `next_wake`. Entries are inserted, moved
//!   and removed by their owners under it; the driver fires them under it.
//! - `shutdown` is an atomic flag, only *set* under the mutex, so a
//!   registration that checks it under the mutex either sees it or is
//!   drained by `shutdown()`.
//! - `clock` has its own lock; it is never taken while the wheel lock is
//!   held.
//!
//! # Ticks
//!
//! A tick is one millisecond since `start` (`clock.now()` at creation).
//! Deadlines round *up* to a tick and "now" rounds *down*, so a timer never
//! fires before its deadline. Deadline ticks saturate at `NEVER`, which
//! "now" never reaches: such timers sit clamped on the wheel's top level
//! and never fire.
//!
//! # Waking the driver
//!
//! `next_wake` is the tick the driver was last told to wake at (by
//! `next_deadline`), `u64::MAX` if none. A registration earlier than it
//! lowers it and unparks the driver, which then asks `next_deadline` again;
//! later registrations do not unpark.
//!
//! # Firing
//!
//! `process` and `shutdown` unlink due entries and take their wakers under
//! the lock, at most `BATCH` at a time, then release the lock and wake the
//! batch, and repeat: wakers never run under the wheel lock.

use super::entry::TimerShared;
use super::wheel::Wheel;
use super::Clock;
use crate::loom::sync::atomic::{AtomicBool, Ordering};
use crate::loom::sync::{Arc, Mutex, MutexGuard};
use std::task::Waker;
use std::time::{Duration, Instant};

/// Deadline tick of timers that never fire; "now" saturates below it.
const NEVER: u64 = 1 << 62;

/// Wakers woken per lock release.
const BATCH: usize = 32;

/// Shared state of one runtime's timers. Cheap to clone (an `Arc`).
#[derive(Clone, Debug)]
pub(crate) struct TimeHandle {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    clock: Clock,
    unpark: Box<dyn crate::park::Unpark>,
    /// Tick 0.
    start: Instant,
    /// Set (under the lock) by `shutdown`; never cleared.
    shutdown: AtomicBool,
    locked: Mutex<Locked>,
    /// Number of `unpark` calls, for tests.
    #[cfg(all(test, not(loom)))]
    unparks: std::sync::atomic::AtomicUsize,
}

/// Everything the wheel mutex guards.
#[derive(Debug)]
pub(super) struct Locked {
    wheel: Wheel,
    /// The tick the driver will wake at without being unparked (see the
    /// module docs), `u64::MAX` for none.
    next_wake: u64,
}

impl Locked {
    pub(super) fn wheel(&mut self) -> &mut Wheel {
        &mut self.wheel
    }

    /// Records a newly registered deadline; true if the driver must be
    /// unparked to notice it.
    pub(super) fn note_deadline(&mut self, tick: u64) -> bool {
        if tick < self.next_wake {
            self.next_wake = tick;
            true
        } else {
            false
        }
    }
}

/// Why a timer cannot work: its runtime's time driver has shut down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimerError {
    Shutdown,
}

/// Wakers collected under the lock, woken after it is released.
struct WakeBatch {
    wakers: [Option<Waker>; BATCH],
    len: usize,
}

impl WakeBatch {
    fn new() -> WakeBatch {
        WakeBatch {
            wakers: [const { None }; BATCH],
            len: 0,
        }
    }

    fn is_full(&self) -> bool {
        self.len == BATCH
    }

    fn push(&mut self, waker: Waker) {
        self.wakers[self.len] = Some(waker);
        self.len += 1;
    }

    fn wake_all(&mut self) {
        for slot in &mut self.wakers[..self.len] {
            if let Some(w) = slot.take() {
                w.wake();
            }
        }
        self.len = 0;
    }
}

impl TimeHandle {
    /// `unpark` wakes the thread parked on the driver (called when a deadline
    /// earlier than the one it sleeps towards is registered).
    pub(crate) fn new(clock: Clock, unpark: impl crate::park::Unpark) -> TimeHandle {
        let start = clock.now();
        TimeHandle {
            inner: Arc::new(Inner {
                clock,
                unpark: Box::new(unpark),
                start,
                shutdown: AtomicBool::new(false),
                locked: Mutex::new(Locked {
                    wheel: Wheel::new(),
                    next_wake: u64::MAX,
                }),
                #[cfg(all(test, not(loom)))]
                unparks: std::sync::atomic::AtomicUsize::new(0),
            }),
        }
    }

    pub(crate) fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    /// Fires every timer whose deadline is at or before `clock().now()`,
    /// waking their wakers outside the wheel lock, in batches.
    pub(crate) fn process(&self) {
        let now = self.now_tick(self.inner.clock.now());
        self.fire_until(
            |wheel| {
                // SAFETY: we hold the wheel lock (the wheel is borrowed from the
                // guard), which is the wheel's exclusive-access contract.
                unsafe { wheel.poll(now) }
            },
            Ok(()),
        );
    }

    /// The earliest registered deadline, if any (the instant the driver
    /// must wake at; rounded up to the wheel's 1 ms resolution). When the
    /// next timers to come due share a crowded slot of an upper level, this
    /// may instead be the start of that slot (never later than any
    /// deadline): `process` then moves them down the wheel and
    /// `next_deadline` gets exact again. `None` also for deadlines too far
    /// out to be an `Instant`. May be in the past if `process` is overdue.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        let mut lock = self.lock();
        let next = lock.wheel.next_wake_tick().and_then(|tick| {
            let at = self.inner.start.checked_add(Duration::from_millis(tick))?;
            Some((tick, at))
        });
        lock.next_wake = next.map_or(u64::MAX, |(tick, _)| tick);
        next.map(|(_, at)| at)
    }

    /// Fires every registered timer with `TimerError::Shutdown`; later
    /// registrations fail the same way.
    pub(crate) fn shutdown(&self) {
        self.fire_until(
            |wheel| {
                // SAFETY: we hold the wheel lock (see `process`).
                unsafe { wheel.pop_any() }
            },
            Err(TimerError::Shutdown),
        );
    }

    pub(crate) fn is_shutdown(&self) -> bool {
        self.inner.shutdown.load(Ordering::Acquire)
    }

    /// Takes entries from `next` (under the lock) and fires them with
    /// `result`, waking at most `BATCH` wakers per lock release.
    fn fire_until(
        &self,
        mut next: impl FnMut(&mut Wheel) -> Option<std::ptr::NonNull<super::wheel::WheelNode>>,
        result: Result<(), TimerError>,
    ) {
        let mut batch = WakeBatch::new();
        loop {
            let mut lock = self.lock();
            if result.is_err() {
                self.inner.shutdown.store(true, Ordering::Release);
            }
            let mut done = false;
            while !batch.is_full() {
                let Some(node) = next(&mut lock.wheel) else {
                    done = true;
                    break;
                };
                // SAFETY: every node in this handle's wheel belongs to a
                // `TimerShared` (only `TimerEntry` inserts here); it was
                // linked until `next` unlinked it under the lock we hold.
                let waker = unsafe { TimerShared::fire(TimerShared::from_node(node), result) };
                if let Some(w) = waker {
                    batch.push(w);
                }
            }
            drop(lock);
            batch.wake_all();
            if done {
                return;
            }
        }
    }

    // ----- for `TimerEntry` -----

    pub(super) fn lock(&self) -> MutexGuard<'_, Locked> {
        self.inner.locked.lock()
    }

    pub(super) fn unpark(&self) {
        #[cfg(all(test, not(loom)))]
        self.inner
            .unparks
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.inner.unpark.unpark();
    }

    /// The tick of `deadline`, rounded up (a timer never fires early).
    pub(super) fn deadline_tick(&self, deadline: Instant) -> u64 {
        let Some(d) = deadline.checked_duration_since(self.inner.start) else {
            return 0;
        };
        let ms = d.as_millis() + u128::from(d.subsec_nanos() % 1_000_000 != 0);
        ms.min(u128::from(NEVER)) as u64
    }

    /// The tick of `now`, rounded down.
    fn now_tick(&self, now: Instant) -> u64 {
        let ms = now.saturating_duration_since(self.inner.start).as_millis();
        ms.min(u128::from(NEVER - 1)) as u64
    }
}

#[cfg(all(test, not(loom)))]
mod tests;

#[cfg(all(test, loom))]
mod loom_tests;
