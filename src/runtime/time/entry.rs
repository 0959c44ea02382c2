//! `TimerEntry`: one timer, stored inline in a pinned future (`Sleep`).
//!
//! # Parts and who owns them
//!
//! An entry has an *owner side* (plain fields, touched only through
//! `&mut TimerEntry`, i.e. by whoever polls, resets or drops the future) and
//! a *shared side*, [`TimerShared`], which the time driver reaches through
//! the wheel's raw pointers while the entry is linked:
//!
//! - `node` (the wheel links): guarded by the wheel mutex, see `wheel.rs`.
//! - `state`: an atomic word, below.
//! - `waker`: the task's waker, an `UnsafeCell` guarded by `state` (a small
//!   atomic-waker protocol), so that a `Pending` poll of a registered entry
//!   takes no lock.
//!
//! # The state word
//!
//! - `FIRED`: the deadline has passed (set by the driver when it fires the
//!   entry, or by the owner when a poll finds the deadline already passed).
//!   Only the owner clears it, when it re-registers the entry.
//! - `ERROR`: set with `FIRED` when the driver fired the entry at shutdown.
//! - `REGISTERING`: the owner is writing `waker` without the lock.
//! - `WAKING`: the driver is taking `waker` out (always under the wheel lock
//!   and always together with `FIRED`).
//!
//! Rules for `waker`: it may be accessed by (a) the owner while it holds
//! `REGISTERING`, (b) the driver while it holds `WAKING`, (c) the owner
//! while it holds the wheel lock (the driver sets and clears `WAKING`
//! within one critical section of that lock), (d) the owner when the entry
//! is not linked and no `WAKING` is in progress. To fire, the driver does
//! `fetch_or(FIRED | WAKING)`: if `REGISTERING` was clear, it owns the cell,
//! takes the waker and clears `WAKING` — its last touch of the entry. If
//! `REGISTERING` was set, it leaves the cell alone and never touches the
//! entry again; the owner's closing CAS fails, it sees `FIRED`, clears
//! `REGISTERING | WAKING` itself and reports the timer elapsed.
//!
//! # Lifecycle (owner side)
//!
//! - *Unregistered* (`registered == false`): never polled, or completed
//!   without registering (`FIRED` set by the owner), or cancelled. Not in the
//!   wheel. `TimerEntry::new` takes no lock and allocates nothing.
//! - *Registered* (`registered == true`): inserted into the wheel by a poll
//!   or reset (under the lock). The driver may fire it at any moment, which
//!   unlinks it and sets `FIRED`; the owner learns this from `state`.
//! - `stale`: the deadline was changed by `reset` without re-registering;
//!   the next poll moves the entry (under the lock). A stale entry does not
//!   report `FIRED` (that was for the old deadline).
//!
//! Dropping a registered entry takes the lock and unlinks it unless `state`
//! shows that the driver already fired it *and* finished (`FIRED` without
//! `WAKING`), in which case the driver will never touch it again. Either way
//! the entry's waker is dropped with it.

use super::handle::{TimeHandle, TimerError};
use super::wheel::WheelNode;
use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::{AtomicUsize, Ordering};
use std::fmt;
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

const FIRED: usize = 1;
const ERROR: usize = 1 << 1;
const REGISTERING: usize = 1 << 2;
const WAKING: usize = 1 << 3;

/// The part of a timer that the driver reaches through the wheel.
#[repr(C)]
pub(super) struct TimerShared {
    /// Must stay the first field: the wheel hands out `NonNull<WheelNode>`
    /// and [`TimerShared::from_node`] casts it back.
    node: WheelNode,
    state: AtomicUsize,
    waker: UnsafeCell<Option<Waker>>,
    _pin: PhantomPinned,
}

// SAFETY: the links are only accessed under the wheel mutex, `waker` only by
// whoever the state protocol (module docs) grants it to, `state` is atomic.
// `Waker` is `Send + Sync`.
unsafe impl Send for TimerShared {}
// SAFETY: as above.
unsafe impl Sync for TimerShared {}

impl fmt::Debug for TimerShared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimerShared")
            .field("state", &self.state.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

fn result_of(state: usize) -> Result<(), TimerError> {
    if state & ERROR != 0 {
        Err(TimerError::Shutdown)
    } else {
        Ok(())
    }
}

impl TimerShared {
    fn new() -> TimerShared {
        TimerShared {
            node: WheelNode::new(),
            state: AtomicUsize::new(0),
            waker: UnsafeCell::new(None),
            _pin: PhantomPinned,
        }
    }

    pub(super) fn node_ptr(&self) -> NonNull<WheelNode> {
        NonNull::from(&self.node)
    }

    /// # Safety
    /// `node` points to the `node` field of a live `TimerShared`.
    pub(super) unsafe fn from_node(node: NonNull<WheelNode>) -> NonNull<TimerShared> {
        // `repr(C)` with `node` first: both pointers have the same address.
        node.cast()
    }

    /// Fires an entry the driver just unlinked from the wheel and returns
    /// its waker to wake (outside the lock).
    ///
    /// # Safety
    /// Called under the wheel lock, on an entry that was linked in that
    /// wheel until now (hence alive, and not `FIRED`). After this returns,
    /// the caller must not touch the entry again.
    pub(super) unsafe fn fire(
        this: NonNull<TimerShared>,
        result: Result<(), TimerError>,
    ) -> Option<Waker> {
        // SAFETY: alive (it was linked; its owner unlinks it under the lock
        // before freeing it, and we hold the lock).
        let this = unsafe { this.as_ref() };
        let bits = FIRED | WAKING | if result.is_err() { ERROR } else { 0 };
        let prev = this.state.fetch_or(bits, Ordering::AcqRel);
        debug_assert_eq!(prev & (FIRED | WAKING), 0, "fired twice");
        if prev & REGISTERING != 0 {
            // The owner is writing the waker; it will see FIRED when it
            // finishes, and it cleans up. Hands off from here.
            return None;
        }
        // SAFETY: WAKING grants us the cell (module docs, rule b).
        let waker = this.waker.with_mut(|p| unsafe { (*p).take() });
        // Last touch: after this the owner may free the entry.
        this.state.fetch_and(!WAKING, Ordering::Release);
        waker
    }

    /// Lock-free `Pending` path: stores `waker` (if it would not wake the
    /// same task already) unless the entry has fired. Returns the result
    /// once fired.
    ///
    /// Owner only (`&mut` on the entry), while the entry is registered.
    fn register_waker(&self, waker: &Waker) -> Option<Result<(), TimerError>> {
        if let Err(actual) =
            self.state
                .compare_exchange(0, REGISTERING, Ordering::Acquire, Ordering::Acquire)
        {
            // Only FIRED (with ERROR, maybe WAKING in progress) can be set
            // here: REGISTERING is ours and WAKING comes with FIRED.
            debug_assert_ne!(actual & FIRED, 0);
            return Some(result_of(actual));
        }
        // SAFETY: REGISTERING grants us the cell (rule a).
        let old = self
            .waker
            .with_mut(|p| unsafe { replace_waker(&mut *p, waker) });
        let done =
            match self
                .state
                .compare_exchange(REGISTERING, 0, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => None,
                Err(actual) => {
                    // The driver fired meanwhile and left the cell to us.
                    debug_assert_eq!(actual & (FIRED | WAKING), FIRED | WAKING);
                    // SAFETY: still ours: the driver saw REGISTERING and backed off.
                    let taken = self.waker.with_mut(|p| unsafe { (*p).take() });
                    self.state
                        .fetch_and(!(REGISTERING | WAKING), Ordering::AcqRel);
                    drop(taken);
                    Some(result_of(actual))
                }
            };
        drop(old);
        done
    }
}

/// Puts a clone of `new` in `slot` unless the current waker would wake the
/// same task; returns the waker replaced (to drop outside any lock).
fn replace_waker(slot: &mut Option<Waker>, new: &Waker) -> Option<Waker> {
    match slot {
        Some(w) if w.will_wake(new) => None,
        _ => slot.replace(new.clone()),
    }
}

/// One timer, stored inline in a pinned future (`Sleep`). Registers with the
/// wheel lazily, on the first `poll_elapsed`; `reset` reuses the
/// registration; dropping it deregisters it and releases its waker.
#[derive(Debug)]
pub(crate) struct TimerEntry {
    handle: TimeHandle,
    deadline: Instant,
    /// Owner-only: inserted into the wheel by us and not removed by us since
    /// (the driver may have fired it: see `state`).
    registered: bool,
    /// Owner-only: `deadline` changed since the entry was (last) inserted or
    /// completed; the next poll re-registers it.
    stale: bool,
    shared: TimerShared,
    _pin: PhantomPinned,
}

impl TimerEntry {
    /// Does not register yet (no lock taken, no allocation).
    pub(crate) fn new(handle: TimeHandle, deadline: Instant) -> TimerEntry {
        TimerEntry {
            handle,
            deadline,
            registered: false,
            stale: false,
            shared: TimerShared::new(),
            _pin: PhantomPinned,
        }
    }

    pub(crate) fn handle(&self) -> &TimeHandle {
        &self.handle
    }

    #[allow(dead_code)] // part of the interface `time::Sleep` builds on
    pub(crate) fn deadline(&self) -> Instant {
        self.deadline
    }

    /// True once the timer has fired (for its current deadline; also when it
    /// was fired by the driver's shutdown).
    pub(crate) fn is_elapsed(&self) -> bool {
        !self.stale && self.shared.state.load(Ordering::Acquire) & FIRED != 0
    }

    /// Moves the deadline. With `reregister`, a registered timer is moved in
    /// the wheel right away (else on the next poll). O(1), no allocation.
    pub(crate) fn reset(self: Pin<&mut Self>, deadline: Instant, reregister: bool) {
        // SAFETY: we never move out of the entry; `shared` stays in place.
        let this = unsafe { self.get_unchecked_mut() };
        this.deadline = deadline;
        this.stale = true;
        if reregister && this.registered {
            let _ = this.register(None);
        }
    }

    /// `Ready(Ok(()))` once the deadline has passed (a deadline already in the
    /// past completes on the first poll); registers `cx`'s waker otherwise.
    pub(crate) fn poll_elapsed(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), TimerError>> {
        // SAFETY: we never move out of the entry; `shared` stays in place.
        let this = unsafe { self.get_unchecked_mut() };
        if this.handle.is_shutdown() {
            return Poll::Ready(Err(TimerError::Shutdown));
        }
        if !this.stale {
            if this.registered {
                // Common case: no lock.
                return match this.shared.register_waker(cx.waker()) {
                    None => Poll::Pending,
                    Some(result) => Poll::Ready(result),
                };
            }
            let state = this.shared.state.load(Ordering::Acquire);
            if state & FIRED != 0 {
                return Poll::Ready(result_of(state));
            }
        }
        match this.register(Some(cx.waker())) {
            None => Poll::Pending,
            Some(result) => Poll::Ready(result),
        }
    }

    /// Slow path: (re-)inserts the entry for `self.deadline`, or completes it
    /// at once if the deadline has passed or the driver is shut down.
    fn register(&mut self, waker: Option<&Waker>) -> Option<Result<(), TimerError>> {
        self.stale = false;
        let handle = &self.handle;
        let shared = &self.shared;
        if handle.is_shutdown() {
            cancel(handle, shared, &mut self.registered);
            // Unlinked and not WAKING: nobody else touches the state.
            shared.state.store(FIRED | ERROR, Ordering::Release);
            return Some(Err(TimerError::Shutdown));
        }
        if handle.clock().has_passed(self.deadline) {
            cancel(handle, shared, &mut self.registered);
            shared.state.store(FIRED, Ordering::Release);
            return Some(Ok(()));
        }
        let tick = handle.deadline_tick(self.deadline);
        let node = shared.node_ptr();
        let mut old_waker = None;
        let mut lock = handle.lock();
        // SAFETY (block): we hold the wheel lock, so the driver is not firing
        // this entry (rule c); the entry is pinned and alive; if linked, it is
        // linked in this handle's wheel.
        let (result, unpark) = unsafe {
            let linked = self.registered && lock.wheel().is_linked(node);
            if handle.is_shutdown() {
                // Shut down since we checked: the drain may have missed us.
                if linked {
                    lock.wheel().remove(node);
                }
                self.registered = false;
                shared.state.store(FIRED | ERROR, Ordering::Release);
                (Some(Err(TimerError::Shutdown)), false)
            } else {
                if let Some(w) = waker {
                    old_waker = shared.waker.with_mut(|p| replace_waker(&mut *p, w));
                }
                // Any FIRED was for an earlier deadline.
                shared.state.store(0, Ordering::Relaxed);
                if linked && lock.wheel().when(node) == tick {
                    (None, false)
                } else {
                    if linked {
                        lock.wheel().remove(node);
                    }
                    match lock.wheel().insert(node, tick) {
                        Ok(()) => {
                            self.registered = true;
                            (None, lock.note_deadline(tick))
                        }
                        Err(()) => {
                            // The driver already went past `tick`.
                            self.registered = false;
                            shared.state.store(FIRED, Ordering::Relaxed);
                            (Some(Ok(())), false)
                        }
                    }
                }
            }
        };
        drop(lock);
        drop(old_waker);
        if unpark {
            handle.unpark();
        }
        result
    }
}

/// Makes sure the entry is not linked and the driver is done with it.
#[inline]
fn cancel(handle: &TimeHandle, shared: &TimerShared, registered: &mut bool) {
    if *registered {
        cancel_registered(handle, shared, registered);
    }
}

/// The part of `cancel` for an entry that was inserted at some point.
#[inline(never)]
fn cancel_registered(handle: &TimeHandle, shared: &TimerShared, registered: &mut bool) {
    let state = shared.state.load(Ordering::Acquire);
    if state & FIRED == 0 || state & WAKING != 0 {
        let node = shared.node_ptr();
        let mut lock = handle.lock();
        // SAFETY: we hold the wheel lock; `node` is alive and, if linked,
        // linked in this handle's wheel.
        unsafe {
            if lock.wheel().is_linked(node) {
                lock.wheel().remove(node);
            }
        }
    }
    *registered = false;
}

impl Drop for TimerEntry {
    #[inline]
    fn drop(&mut self) {
        cancel(&self.handle, &self.shared, &mut self.registered);
        // Now unlinked with no driver access in progress: the waker is ours.
        let waker = self.shared.waker.with_mut(|p| {
            // SAFETY: rule d (module docs).
            unsafe { (*p).take() }
        });
        drop(waker);
    }
}
