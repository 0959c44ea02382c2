//! The task state word.
//!
//! One `AtomicUsize` holds six flag bits and a reference count. Every
//! transition is a single compare-and-swap (or `fetch_*`) on this word, so a
//! transition either happens entirely or not at all.
//!
//! | bit | meaning | set by | cleared by |
//! |---|---|---|---|
//! | `RUNNING` | one thread owns the future: it is polling it, cancelling it or completing it | `transition_to_running`, `transition_to_shutdown` | `transition_to_idle`, `transition_to_complete` |
//! | `COMPLETE` | the future is gone; the stage holds the output (or nothing once taken). Never cleared. | `transition_to_complete` | - |
//! | `NOTIFIED` | a `Notified` handle for the task exists (in a run queue, or about to be). At most one exists at a time. | the wake transitions | `transition_to_running` |
//! | `JOIN_INTEREST` | the `JoinHandle` is alive; it, not the task, drops the output | spawn | `unset_join_interested` |
//! | `JOIN_WAKER` | the join-waker slot holds a waker the task side may read | the `JoinHandle` | the `JoinHandle` (before completion) or the task (after completion) |
//! | `CANCELLED` | the task must be cancelled at its next run instead of polled | abort, shutdown | never |
//!
//! Impossible combinations: `RUNNING | COMPLETE`; `JOIN_WAKER` without
//! `JOIN_INTEREST` before completion.
//!
//! Ownership rules that follow from the bits:
//! - `JOIN_WAKER` clear and not `COMPLETE`: the `JoinHandle` may write the
//!   waker slot. `JOIN_WAKER` set: nobody writes it; after `COMPLETE` the task
//!   side reads it to wake the joiner, then clears the bit.
//! - After `COMPLETE`, the output belongs to the `JoinHandle` if
//!   `JOIN_INTEREST` was set at completion, else the task side drops it.
//!
//! The reference count (upper bits) counts: the owned-task list entry, the
//! `Notified` handle, the `JoinHandle`, every `AbortHandle` and every
//! `Waker`. The cell is freed when it reaches zero.

use crate::loom::sync::atomic::{AtomicUsize, Ordering::AcqRel, Ordering::Acquire};
use std::fmt;

pub(crate) const RUNNING: usize = 1 << 0;
pub(crate) const COMPLETE: usize = 1 << 1;
pub(crate) const NOTIFIED: usize = 1 << 2;
pub(crate) const JOIN_INTEREST: usize = 1 << 3;
pub(crate) const JOIN_WAKER: usize = 1 << 4;
pub(crate) const CANCELLED: usize = 1 << 5;

const FLAG_BITS: u32 = 6;
const REF_ONE: usize = 1 << FLAG_BITS;
const REF_MASK: usize = !(REF_ONE - 1);
/// Past this many references the count is considered corrupt (a leak loop).
const REF_MAX: usize = (usize::MAX >> FLAG_BITS) / 2;

/// The atomic state word of a task.
pub(crate) struct State {
    val: AtomicUsize,
}

/// A copy of the state word taken at one instant.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Snapshot(usize);

/// What `transition_to_running` decided.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ToRunning {
    /// Poll the future.
    Success,
    /// The task was aborted: drop the future instead of polling it.
    Cancelled,
    /// Someone else owns the future (shutdown claimed it) or it is complete;
    /// the `Notified` reference was released.
    Failed,
    /// As `Failed`, and that was the last reference: free the cell.
    Dealloc,
}

/// What `transition_to_idle` decided.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ToIdle {
    /// The task is idle; the run's reference was released.
    Ok,
    /// Woken during the poll: the run's reference became a new `Notified`
    /// that must be scheduled.
    OkNotified,
    /// Idle, and the released reference was the last one.
    OkDealloc,
    /// Aborted during the poll: cancel the future now (still `RUNNING`).
    Cancelled,
}

/// What a wake decided.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ToNotified {
    DoNothing,
    /// Hand the new `Notified` reference to the scheduler.
    Submit,
    /// The waker's reference was the last one.
    Dealloc,
}

impl State {
    /// A new task: scheduled once (`NOTIFIED`), watched by a `JoinHandle`, and
    /// holding `refs` references.
    pub(crate) fn new(refs: usize) -> State {
        State {
            val: AtomicUsize::new(NOTIFIED | JOIN_INTEREST | (refs * REF_ONE)),
        }
    }

    pub(crate) fn load(&self) -> Snapshot {
        Snapshot(self.val.load(Acquire))
    }

    /// Runs `f` on the current value in a CAS loop. `f` returns the value to
    /// store (or `None` to leave the word alone) and the result.
    #[inline]
    fn fetch_update<R>(&self, mut f: impl FnMut(Snapshot) -> (Option<Snapshot>, R)) -> R {
        let mut curr = self.load();
        loop {
            let (next, res) = f(curr);
            let Some(next) = next else { return res };
            match self
                .val
                .compare_exchange_weak(curr.0, next.0, AcqRel, Acquire)
            {
                Ok(_) => return res,
                Err(actual) => curr = Snapshot(actual),
            }
        }
    }

    /// A scheduler is about to run a `Notified` task.
    pub(crate) fn transition_to_running(&self) -> ToRunning {
        self.fetch_update(|mut s| {
            debug_assert!(s.is_notified(), "running a task that is not notified");
            if s.is_running() || s.is_complete() {
                // Shutdown claimed the future: drop the queue's reference.
                s.ref_dec();
                let action = if s.ref_count() == 0 {
                    ToRunning::Dealloc
                } else {
                    ToRunning::Failed
                };
                return (Some(s), action);
            }
            s.0 = (s.0 | RUNNING) & !NOTIFIED;
            let action = if s.is_cancelled() {
                ToRunning::Cancelled
            } else {
                ToRunning::Success
            };
            (Some(s), action)
        })
    }

    /// The poll returned `Pending`.
    pub(crate) fn transition_to_idle(&self) -> ToIdle {
        self.fetch_update(|mut s| {
            debug_assert!(s.is_running());
            if s.is_cancelled() {
                return (None, ToIdle::Cancelled);
            }
            s.0 &= !RUNNING;
            let action = if s.is_notified() {
                // The run's reference becomes the new Notified's.
                ToIdle::OkNotified
            } else {
                s.ref_dec();
                if s.ref_count() == 0 {
                    ToIdle::OkDealloc
                } else {
                    ToIdle::Ok
                }
            };
            (Some(s), action)
        })
    }

    /// The future finished (output stored, or cancelled). Returns the state
    /// before the transition.
    pub(crate) fn transition_to_complete(&self) -> Snapshot {
        let prev = Snapshot(self.val.fetch_xor(RUNNING | COMPLETE, AcqRel));
        debug_assert!(prev.is_running() && !prev.is_complete());
        prev
    }

    /// Releases `count` references after completion. True if the cell must
    /// be freed.
    pub(crate) fn transition_to_terminal(&self, count: usize) -> bool {
        let prev = Snapshot(self.val.fetch_sub(count * REF_ONE, AcqRel));
        assert!(
            prev.ref_count() >= count,
            "task reference count underflow: {} < {count}",
            prev.ref_count()
        );
        prev.ref_count() == count
    }

    /// A `Waker` (consumed by `wake`) notifies the task.
    pub(crate) fn transition_to_notified_by_val(&self) -> ToNotified {
        self.fetch_update(|mut s| {
            if s.is_running() {
                // The poller will reschedule; drop the waker's reference
                // (never the last: the run holds one).
                s.0 |= NOTIFIED;
                s.ref_dec();
                debug_assert!(s.ref_count() > 0);
                (Some(s), ToNotified::DoNothing)
            } else if s.is_complete() || s.is_notified() {
                s.ref_dec();
                let action = if s.ref_count() == 0 {
                    ToNotified::Dealloc
                } else {
                    ToNotified::DoNothing
                };
                (Some(s), action)
            } else {
                // The waker's reference becomes the Notified's.
                s.0 |= NOTIFIED;
                (Some(s), ToNotified::Submit)
            }
        })
    }

    /// A `&Waker` notifies the task. On an already-notified or complete task
    /// this is a single atomic load and nothing else.
    pub(crate) fn transition_to_notified_by_ref(&self) -> ToNotified {
        self.fetch_update(|mut s| {
            if s.is_complete() || s.is_notified() {
                (None, ToNotified::DoNothing)
            } else if s.is_running() {
                s.0 |= NOTIFIED;
                (Some(s), ToNotified::DoNothing)
            } else {
                s.0 |= NOTIFIED;
                s.ref_inc();
                (Some(s), ToNotified::Submit)
            }
        })
    }

    /// `abort()` from any thread. True if the caller must schedule a new
    /// `Notified` (one reference was added for it) so that a worker drops the
    /// future.
    pub(crate) fn transition_to_notified_and_cancel(&self) -> bool {
        self.fetch_update(|mut s| {
            if s.is_cancelled() || s.is_complete() {
                (None, false)
            } else if s.is_running() {
                // The poller sees CANCELLED when the poll returns.
                s.0 |= NOTIFIED | CANCELLED;
                (Some(s), false)
            } else if s.is_notified() {
                // Already queued: the run will cancel instead of polling.
                s.0 |= CANCELLED;
                (Some(s), false)
            } else {
                s.0 |= NOTIFIED | CANCELLED;
                s.ref_inc();
                (Some(s), true)
            }
        })
    }

    /// Runtime shutdown. Marks the task cancelled; if it is idle, also claims
    /// it (`RUNNING`) and returns true: the caller then drops the future.
    pub(crate) fn transition_to_shutdown(&self) -> bool {
        self.fetch_update(|mut s| {
            let idle = !s.is_running() && !s.is_complete();
            s.0 |= CANCELLED;
            if idle {
                s.0 |= RUNNING;
            }
            (Some(s), idle)
        })
    }

    /// The `JoinHandle` is dropped. Returns the state before. Before
    /// completion this also takes the waker slot back from the task side.
    pub(crate) fn unset_join_interested(&self) -> Snapshot {
        self.fetch_update(|mut s| {
            debug_assert!(s.is_join_interested());
            let prev = s;
            if s.is_complete() {
                s.0 &= !JOIN_INTEREST;
            } else {
                s.0 &= !(JOIN_INTEREST | JOIN_WAKER);
            }
            (Some(s), prev)
        })
    }

    /// Publishes the waker the `JoinHandle` just wrote. Fails if the task
    /// completed first.
    pub(crate) fn set_join_waker(&self) -> Result<Snapshot, Snapshot> {
        self.fetch_update(|mut s| {
            debug_assert!(s.is_join_interested() && !s.is_join_waker_set());
            if s.is_complete() {
                return (None, Err(s));
            }
            s.0 |= JOIN_WAKER;
            (Some(s), Ok(s))
        })
    }

    /// Takes the waker slot back to replace the waker. Fails if the task
    /// completed first.
    pub(crate) fn unset_join_waker(&self) -> Result<Snapshot, Snapshot> {
        self.fetch_update(|mut s| {
            debug_assert!(s.is_join_interested() && s.is_join_waker_set());
            if s.is_complete() {
                return (None, Err(s));
            }
            s.0 &= !JOIN_WAKER;
            (Some(s), Ok(s))
        })
    }

    /// The task side finished waking the joiner. Returns the state before.
    pub(crate) fn unset_join_waker_after_complete(&self) -> Snapshot {
        let prev = Snapshot(self.val.fetch_and(!JOIN_WAKER, AcqRel));
        debug_assert!(prev.is_complete() && prev.is_join_waker_set());
        prev
    }

    pub(crate) fn ref_inc(&self) {
        let prev = self
            .val
            .fetch_add(REF_ONE, crate::loom::sync::atomic::Ordering::Relaxed);
        if prev > REF_MAX * REF_ONE {
            // A reference count this large means references are leaking in a
            // loop; continuing could overflow into the flag bits.
            std::process::abort();
        }
    }

    /// Drops one reference. True if it was the last.
    pub(crate) fn ref_dec(&self) -> bool {
        let prev = Snapshot(self.val.fetch_sub(REF_ONE, AcqRel));
        assert!(prev.ref_count() >= 1, "task reference count underflow");
        prev.ref_count() == 1
    }
}

impl Snapshot {
    pub(crate) fn is_running(self) -> bool {
        self.0 & RUNNING != 0
    }
    pub(crate) fn is_complete(self) -> bool {
        self.0 & COMPLETE != 0
    }
    pub(crate) fn is_notified(self) -> bool {
        self.0 & NOTIFIED != 0
    }
    pub(crate) fn is_join_interested(self) -> bool {
        self.0 & JOIN_INTEREST != 0
    }
    pub(crate) fn is_join_waker_set(self) -> bool {
        self.0 & JOIN_WAKER != 0
    }
    pub(crate) fn is_cancelled(self) -> bool {
        self.0 & CANCELLED != 0
    }
    pub(crate) fn ref_count(self) -> usize {
        (self.0 & REF_MASK) >> FLAG_BITS
    }
    fn ref_inc(&mut self) {
        self.0 += REF_ONE;
    }
    fn ref_dec(&mut self) {
        debug_assert!(self.ref_count() > 0);
        self.0 -= REF_ONE;
    }
}

impl fmt::Debug for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.load().fmt(f)
    }
}

impl fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Snapshot")
            .field("running", &self.is_running())
            .field("complete", &self.is_complete())
            .field("notified", &self.is_notified())
            .field("join_interest", &self.is_join_interested())
            .field("join_waker", &self.is_join_waker_set())
            .field("cancelled", &self.is_cancelled())
            .field("refs", &self.ref_count())
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn wake_while_running_reschedules_once() {
        let s = State::new(2);
        assert_eq!(s.transition_to_running(), ToRunning::Success);
        // A clone of the waker (ref) then wake-by-ref while running.
        s.ref_inc();
        assert_eq!(s.transition_to_notified_by_ref(), ToNotified::DoNothing);
        assert_eq!(s.transition_to_notified_by_val(), ToNotified::DoNothing);
        assert_eq!(s.transition_to_idle(), ToIdle::OkNotified);
        assert_eq!(s.load().ref_count(), 2);
        assert_eq!(s.transition_to_running(), ToRunning::Success);
        assert_eq!(s.transition_to_idle(), ToIdle::Ok);
        assert_eq!(s.load().ref_count(), 1);
    }

    #[test]
    fn notified_wake_by_ref_changes_nothing() {
        let s = State::new(2);
        let before = s.load();
        assert_eq!(s.transition_to_notified_by_ref(), ToNotified::DoNothing);
        assert!(before == s.load());
    }

    #[test]
    fn cancel_idle_task_schedules_it() {
        let s = State::new(2);
        assert_eq!(s.transition_to_running(), ToRunning::Success);
        assert_eq!(s.transition_to_idle(), ToIdle::Ok);
        assert!(s.transition_to_notified_and_cancel());
        assert!(!s.transition_to_notified_and_cancel());
        assert_eq!(s.transition_to_running(), ToRunning::Cancelled);
    }

    #[test]
    fn shutdown_claims_idle_task_only() {
        let s = State::new(3);
        assert!(s.transition_to_shutdown());
        // The queued Notified now fails to run and drops its reference.
        assert_eq!(s.transition_to_running(), ToRunning::Failed);
        let t = State::new(2);
        assert_eq!(t.transition_to_running(), ToRunning::Success);
        assert!(!t.transition_to_shutdown());
        assert_eq!(t.transition_to_idle(), ToIdle::Cancelled);
    }

    #[test]
    fn join_waker_protocol() {
        let s = State::new(2);
        assert!(s.set_join_waker().is_ok());
        assert!(s.unset_join_waker().is_ok());
        assert!(s.set_join_waker().is_ok());
        assert_eq!(s.transition_to_running(), ToRunning::Success);
        let prev = s.transition_to_complete();
        assert!(prev.is_join_waker_set());
        assert!(s.unset_join_waker().is_err());
        let prev = s.unset_join_waker_after_complete();
        assert!(prev.is_join_interested());
        let prev = s.unset_join_interested();
        assert!(prev.is_complete());
        assert!(s.transition_to_terminal(2));
    }
}
