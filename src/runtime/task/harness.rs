//! The typed side of a task: polling, completing, cancelling, joining.
//!
//! Every function here runs with the concrete `T`, `S`, `N` recovered from
//! the vtable, and follows the ownership rules of the state word (see
//! `state.rs`): the stage belongs to the `RUNNING` owner until `COMPLETE`,
//! then to the `JoinHandle` (if it was interested at completion) or to the
//! task side; the join-waker slot belongs to whoever the `JOIN_WAKER` bit says.

use super::cell::{Cell, Core, Header, Stage, TaskName, Trailer};
use super::debug::{DebugEvent, Debugger, TaskStats};
use super::error::JoinError;
use super::id::CurrentTaskGuard;
use super::raw::RawTask;
use super::state::{ToIdle, ToNotified, ToRunning};
use super::{waker, Notified, Schedule, Task};
use std::future::Future;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

pub(super) struct Harness<T: Future, S, N> {
    cell: NonNull<Cell<T, S, N>>,
    _p: PhantomData<(T, S, N)>,
}

impl<T: Future, S: Schedule, N: TaskName> Harness<T, S, N> {
    /// # Safety
    ///
    /// `ptr` is the header of a live `Cell<T, S, N>`.
    pub(super) unsafe fn from_raw(ptr: NonNull<Header>) -> Harness<T, S, N> {
        Harness {
            cell: ptr.cast(),
            _p: PhantomData,
        }
    }

    fn header(&self) -> &Header {
        // SAFETY: the cell is alive while the harness is used.
        unsafe { &self.cell.as_ref().header }
    }

    fn core(&self) -> &Core<T, S> {
        // SAFETY: as above.
        unsafe { &self.cell.as_ref().core }
    }

    fn trailer(&self) -> &Trailer<N> {
        // SAFETY: as above.
        unsafe { &self.cell.as_ref().trailer }
    }

    fn raw(&self) -> RawTask {
        // SAFETY: the header is live.
        unsafe { RawTask::from_raw(self.cell.cast()) }
    }

    fn dealloc(self) {
        self.raw().dealloc();
    }

    /// Hands a new `Notified` reference (already counted) to the scheduler.
    pub(super) fn schedule(self) {
        self.core()
            .scheduler
            .schedule(Notified::from_raw(self.raw()));
    }

    /// Runs the task once. Consumes the `Notified` reference.
    pub(super) fn poll(self) {
        match self.header().state.transition_to_running() {
            ToRunning::Success => {
                if self.poll_inner().is_ready() {
                    self.complete();
                    return;
                }
                match self.header().state.transition_to_idle() {
                    ToIdle::Ok => {}
                    ToIdle::OkNotified => {
                        // Woken while running: the run's reference is now a
                        // Notified; put it behind other ready tasks.
                        self.core()
                            .scheduler
                            .yield_now(Notified::from_raw(self.raw()));
                    }
                    ToIdle::OkDealloc => self.dealloc(),
                    ToIdle::Cancelled => {
                        self.cancel_future();
                        self.complete();
                    }
                }
            }
            ToRunning::Cancelled => {
                self.cancel_future();
                self.complete();
            }
            ToRunning::Failed => {}
            ToRunning::Dealloc => self.dealloc(),
        }
    }

    /// Polls the future once, timing the poll in debug mode.
    fn poll_inner(&self) -> Poll<()> {
        // With the `tracing` feature, every poll runs in the task's span.
        #[cfg(feature = "tracing")]
        let _span = tracing::trace_span!(
            "task",
            id = self.header().id.as_u64(),
            name = self.trailer().name.get()
        )
        .entered();
        match self.trailer().name.stats() {
            None => self.poll_future(),
            Some(stats) => self.poll_traced(stats),
        }
    }

    /// Debug mode: counts the poll, times it and reports it if it was slow.
    #[cold]
    #[inline(never)]
    fn poll_traced(&self, stats: &TaskStats) -> Poll<()> {
        let start = stats.poll_started();
        let result = self.poll_future();
        let took = stats.poll_ended(start);
        if S::BLOCKS_BY_DESIGN {
            return result;
        }
        if let Some(debugger) = self.core().scheduler.debugger() {
            if debugger.is_slow(took) {
                self.report_slow_poll(debugger, took);
            }
        }
        result
    }

    #[cold]
    fn report_slow_poll(&self, debugger: &Debugger, took: u64) {
        debugger.report(DebugEvent::SlowPoll {
            id: self.header().id,
            name: self.trailer().name.get().map(str::to_owned),
            location: self.header().location,
            duration: Duration::from_nanos(took),
            threshold: debugger.slow_poll_threshold(),
        });
    }

    /// Debug mode: the output is about to be dropped unread; if it is a
    /// panic, nobody will ever see it, so say so.
    ///
    /// # Safety
    ///
    /// The task is complete and the caller owns the stage.
    #[inline]
    unsafe fn report_if_panic_is_lost(&self) {
        if self.trailer().name.stats().is_none() {
            return;
        }
        // SAFETY: the caller owns the stage, which nobody writes meanwhile.
        let failed = self
            .core()
            .stage
            .with(|stage| matches!(unsafe { &*stage }, Stage::Finished(Err(_))));
        if failed {
            // SAFETY: forwarded from the caller.
            unsafe { self.report_lost_panic() };
        }
    }

    /// # Safety
    ///
    /// As for [`report_if_panic_is_lost`](Self::report_if_panic_is_lost).
    #[cold]
    #[inline(never)]
    unsafe fn report_lost_panic(&self) {
        // SAFETY: the caller owns the stage, which nobody writes meanwhile.
        let message = self.core().stage.with(|stage| match unsafe { &*stage } {
            Stage::Finished(Err(e)) if e.is_panic() => Some(e.panic_message().map(str::to_owned)),
            _ => None,
        });
        let (Some(message), Some(debugger)) = (message, self.core().scheduler.debugger()) else {
            return;
        };
        debugger.report(DebugEvent::UnretrievedPanic {
            id: self.header().id,
            name: self.trailer().name.get().map(str::to_owned),
            location: self.header().location,
            message,
        });
    }

    /// Polls the future; stores its output (or panic) when it finishes.
    fn poll_future(&self) -> Poll<()> {
        let core = self.core();
        let id = self.header().id;
        let _current = CurrentTaskGuard::enter(self.raw());
        // SAFETY: the waker borrows the header without owning a reference;
        // it is not dropped (ManuallyDrop) and lives only for this poll,
        // during which the run's reference keeps the cell alive. Clones made
        // by the future take their own reference.
        let waker = ManuallyDrop::new(unsafe { waker::borrowed(self.header().into()) });
        let mut cx = Context::from_waker(&waker);

        let result = catch_unwind(AssertUnwindSafe(|| {
            // SAFETY: we hold RUNNING, so the stage is ours, and the future
            // is pinned in the heap cell: it is never moved until dropped.
            core.stage.with_mut(|ptr| {
                let future = match unsafe { &mut *ptr } {
                    Stage::Running(future) => unsafe { Pin::new_unchecked(future) },
                    _ => unreachable!("polling a task whose future is gone"),
                };
                future.poll(&mut cx)
            })
        }));
        let output = match result {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(output)) => Ok(output),
            Err(payload) => Err(JoinError::panic(id, payload)),
        };
        // Drop the future first (it may hold resources the output's consumer
        // expects to be released), then store the output. A panicking drop
        // turns the output into a panic error.
        // SAFETY: still RUNNING: the stage is ours.
        let dropped = catch_unwind(AssertUnwindSafe(|| unsafe {
            core.set_stage(Stage::Consumed)
        }));
        let output = match dropped {
            Ok(()) => output,
            Err(payload) => Err(JoinError::panic(id, payload)),
        };
        // SAFETY: as above.
        unsafe { core.set_stage(Stage::Finished(output)) };
        Poll::Ready(())
    }

    /// Drops the future (we hold RUNNING) and stores a cancellation error.
    fn cancel_future(&self) {
        let core = self.core();
        let id = self.header().id;
        let _current = CurrentTaskGuard::enter(self.raw());
        // SAFETY: the caller holds RUNNING.
        let res = catch_unwind(AssertUnwindSafe(|| unsafe {
            core.set_stage(Stage::Consumed)
        }));
        let err = match res {
            Ok(()) => JoinError::cancelled(id),
            Err(payload) => JoinError::panic(id, payload),
        };
        // SAFETY: as above.
        unsafe { core.set_stage(Stage::Finished(Err(err))) };
    }

    /// The output is stored: publish completion, notify the joiner, leave
    /// the owned list and release references.
    fn complete(self) {
        let snapshot = self.header().state.transition_to_complete();
        // Neither a panicking output destructor nor a panicking join waker
        // may unwind into the scheduler.
        let _ = catch_unwind(AssertUnwindSafe(|| {
            if !snapshot.is_join_interested() {
                // Nobody will read the output: drop it here.
                // SAFETY: COMPLETE without join interest: the stage is ours.
                unsafe {
                    self.report_if_panic_is_lost();
                    self.core().set_stage(Stage::Consumed);
                }
            } else if snapshot.is_join_waker_set() {
                // SAFETY: JOIN_WAKER is set: the slot is readable.
                unsafe { self.trailer().wake_join() };
                let prev = self.header().state.unset_join_waker_after_complete();
                if !prev.is_join_interested() {
                    // The handle went away meanwhile and left the waker to us.
                    // SAFETY: the handle no longer exists and JOIN_WAKER was
                    // set until now, so nobody else can touch the slot.
                    unsafe { self.trailer().set_waker(None) };
                }
            }
        }));

        // The owned list's reference (if the task is still listed).
        let me = ManuallyDrop::new(Task::<S>::from_raw(self.raw()));
        let released = self.core().scheduler.release(&me);
        let count = if let Some(task) = released {
            std::mem::forget(task);
            2
        } else {
            1
        };
        if self.header().state.transition_to_terminal(count) {
            self.dealloc();
        }
    }

    /// Runtime shutdown; consumes one reference held by the caller.
    pub(super) fn shutdown(self) {
        if !self.header().state.transition_to_shutdown() {
            // Running elsewhere (it will see CANCELLED) or already complete.
            self.raw().drop_reference();
            return;
        }
        self.cancel_future();
        self.complete();
    }

    /// True if the output is ready to be taken; otherwise `waker` will be
    /// woken at completion. Only the `JoinHandle` calls this.
    pub(super) fn can_read_output(&self, waker: &Waker) -> bool {
        let state = &self.header().state;
        let snapshot = state.load();
        debug_assert!(snapshot.is_join_interested());
        if snapshot.is_complete() {
            return true;
        }
        if snapshot.is_join_waker_set() {
            // SAFETY: JOIN_WAKER is set: the slot is readable.
            if unsafe { self.trailer().will_wake(waker) } {
                return false;
            }
            // Take the slot back to swap the waker.
            if state.unset_join_waker().is_err() {
                return true;
            }
        }
        // SAFETY: JOIN_WAKER is clear and the task is not complete: the slot
        // is the handle's.
        unsafe { self.trailer().set_waker(Some(waker.clone())) };
        match state.set_join_waker() {
            Ok(_) => false,
            Err(snapshot) => {
                debug_assert!(snapshot.is_complete());
                // SAFETY: we never published the waker; the slot is still ours.
                unsafe { self.trailer().set_waker(None) };
                true
            }
        }
    }

    pub(super) fn try_read_output(
        self,
        dst: &mut Poll<Result<T::Output, JoinError>>,
        waker: &Waker,
    ) {
        if self.can_read_output(waker) {
            // SAFETY: COMPLETE with join interest: the stage is the handle's.
            *dst = Poll::Ready(unsafe { self.core().take_output() });
        }
    }

    /// The `JoinHandle` is dropped; consumes its reference.
    pub(super) fn drop_join_handle(self) {
        let prev = self.header().state.unset_join_interested();
        if prev.is_complete() {
            // The output is ours to drop. Its destructor may panic: contain it.
            // SAFETY: COMPLETE with join interest: the stage is the handle's.
            let _ = catch_unwind(AssertUnwindSafe(|| unsafe {
                self.report_if_panic_is_lost();
                self.core().set_stage(Stage::Consumed)
            }));
        }
        if !(prev.is_complete() && prev.is_join_waker_set()) {
            // The slot is ours (either we cleared JOIN_WAKER together with
            // the interest, or the task side already handed it back).
            // SAFETY: see the comment above.
            unsafe { self.trailer().set_waker(None) };
        }
        self.raw().drop_reference();
    }
}

/// Wake entry points used by the waker vtable (they do not need `T`/`N`).
pub(super) fn wake_by_val(raw: RawTask) {
    match raw.state().transition_to_notified_by_val() {
        ToNotified::Submit => raw.schedule(),
        ToNotified::Dealloc => raw.dealloc(),
        ToNotified::DoNothing => {}
    }
}

pub(super) fn wake_by_ref(raw: RawTask) {
    match raw.state().transition_to_notified_by_ref() {
        ToNotified::Submit => raw.schedule(),
        ToNotified::Dealloc => raw.dealloc(),
        ToNotified::DoNothing => {}
    }
}
