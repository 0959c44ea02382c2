//! A single waker slot that one side fills and any number of threads wake.
//!
//! The receiver of a channel parks its waker here; senders wake it after
//! every push. One state word arbitrates between the registering thread and
//! the waking threads, so neither side takes a lock:
//!
//! | state                  | meaning                                                    |
//! |------------------------|------------------------------------------------------------|
//! | `IDLE`                 | nobody is touching the slot                                |
//! | `REGISTERING`          | the receiver is writing the slot                           |
//! | `WAKING`               | a waker is moving the waker out of the slot                |
//! | `REGISTERING \| WAKING` | a wake arrived while the receiver was writing the slot    |
//!
//! Invariants:
//! - Only the thread that moved the state from `IDLE` to `REGISTERING` (the
//!   receiver) or from `IDLE` to `WAKING` (one waking thread) touches the
//!   slot, so the `UnsafeCell` is never accessed by two threads at once.
//! - A wake is never lost: a wake that finds `REGISTERING` leaves `WAKING`
//!   set, and the registering thread, failing to return to `IDLE`, wakes
//!   the waker it just stored itself. A registration that finds `WAKING`
//!   wakes its own waker at once (the wake in progress may have taken the
//!   previous waker).
//! - Every read-modify-write is `AcqRel`, so whatever a sender published
//!   before calling [`AtomicWaker::wake`] is visible to the receiver once it
//!   has registered (and re-checked its queue).

use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::{AtomicUsize, Ordering::AcqRel, Ordering::Acquire};
use std::fmt;
use std::task::Waker;

const IDLE: usize = 0;
const REGISTERING: usize = 1;
const WAKING: usize = 2;

/// A waker slot for one registering task and many waking threads.
pub(crate) struct AtomicWaker {
    state: AtomicUsize,
    /// Accessed only by the owner of `REGISTERING` or of `WAKING` (see the
    /// module docs).
    waker: UnsafeCell<Option<Waker>>,
}

// SAFETY: the slot is only touched by the single thread that owns the state
// word's `REGISTERING` or `WAKING` bit, and `Waker` is `Send + Sync`.
unsafe impl Send for AtomicWaker {}
// SAFETY: as above.
unsafe impl Sync for AtomicWaker {}

impl AtomicWaker {
    pub(crate) fn new() -> AtomicWaker {
        AtomicWaker {
            state: AtomicUsize::new(IDLE),
            waker: UnsafeCell::new(None),
        }
    }

    /// Stores `waker` to be woken by the next [`wake`](Self::wake).
    ///
    /// Must not be called concurrently with itself (the channel has one
    /// receiver, and `&mut Receiver` serialises its polls).
    pub(crate) fn register_by_ref(&self, waker: &Waker) {
        match self
            .state
            .compare_exchange(IDLE, REGISTERING, Acquire, Acquire)
        {
            Ok(_) => {
                // SAFETY: we own `REGISTERING`; wakers that arrive now only
                // set `WAKING` and leave the slot to us.
                self.waker.with_mut(|slot| unsafe {
                    match &mut *slot {
                        Some(old) if old.will_wake(waker) => {}
                        other => *other = Some(waker.clone()),
                    }
                });
                if let Err(actual) = self
                    .state
                    .compare_exchange(REGISTERING, IDLE, AcqRel, Acquire)
                {
                    // A wake arrived while we were writing: it could not
                    // take the waker, so we deliver it ourselves.
                    debug_assert_eq!(actual, REGISTERING | WAKING);
                    // SAFETY: we still own `REGISTERING`.
                    let waker = self.waker.with_mut(|slot| unsafe { (*slot).take() });
                    self.state.swap(IDLE, AcqRel);
                    if let Some(waker) = waker {
                        waker.wake();
                    }
                }
            }
            Err(WAKING) => {
                // A wake is in progress and may have taken the previous
                // waker: make sure this poll runs again. The waking thread
                // is a few instructions from done; let it finish first
                // (under loom this is a yield, without which a model would
                // spin on this path forever).
                crate::loom::spin_loop();
                waker.wake_by_ref();
            }
            Err(actual) => {
                // Only a concurrent `register`, which the caller rules out.
                debug_assert!(false, "concurrent AtomicWaker::register ({actual})");
            }
        }
    }

    /// Wakes the registered waker, if any, and empties the slot.
    pub(crate) fn wake(&self) {
        if let Some(waker) = self.take() {
            waker.wake();
        }
    }

    /// Takes the registered waker out of the slot.
    pub(crate) fn take(&self) -> Option<Waker> {
        match self.state.fetch_or(WAKING, AcqRel) {
            IDLE => {
                // SAFETY: we moved the state from `IDLE` to `WAKING`, so the
                // slot is ours until we clear the bit.
                let waker = self.waker.with_mut(|slot| unsafe { (*slot).take() });
                self.state.fetch_and(!WAKING, AcqRel);
                waker
            }
            // Someone is registering (they will see `WAKING` and wake
            // themselves) or waking already.
            _ => None,
        }
    }
}

impl fmt::Debug for AtomicWaker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AtomicWaker")
            .field("state", &self.state.load(Acquire))
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use std::sync::Arc;
    use std::task::Wake;

    #[derive(Default)]
    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, SeqCst);
        }
    }

    #[test]
    fn wakes_latest_waker_once() {
        let (a, b) = (Arc::new(Count::default()), Arc::new(Count::default()));
        let (wa, wb) = (Waker::from(a.clone()), Waker::from(b.clone()));
        let slot = AtomicWaker::new();
        slot.wake(); // nothing registered: no-op
        slot.register_by_ref(&wa);
        slot.register_by_ref(&wb);
        slot.wake();
        slot.wake();
        assert_eq!((a.0.load(SeqCst), b.0.load(SeqCst)), (0, 1));
        assert!(slot.take().is_none());
        assert!(format!("{slot:?}").contains("AtomicWaker"));
    }

    #[test]
    fn same_waker_is_not_cloned_again() {
        let a = Arc::new(Count::default());
        let wa = Waker::from(a.clone());
        let slot = AtomicWaker::new();
        for _ in 0..3 {
            slot.register_by_ref(&wa);
        }
        // Ours, `wa`, and one stored clone.
        assert_eq!(Arc::strong_count(&a), 3);
        drop(slot);
        assert_eq!(Arc::strong_count(&a), 2);
    }
}
