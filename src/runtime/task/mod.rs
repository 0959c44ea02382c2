//! The task core: one heap allocation per spawned future.
//!
//! # Lifecycle
//!
//! 1. **Spawn.** `OwnedTasks::bind` allocates the cell (header, future,
//!    join-waker slot, optional name) with three references: the scheduler's
//!    owned list, a [`Notified`] handle and the [`JoinHandle`]. The state is
//!    `NOTIFIED | JOIN_INTEREST`.
//! 2. **Run.** A worker pops the `Notified` and calls `run`: the state moves
//!    to `RUNNING` (clearing `NOTIFIED`) and the future is polled with a waker
//!    that borrows the cell. The `Notified`'s reference is held for the run.
//! 3. **Wake.** A waker sets `NOTIFIED`. If the task is idle this creates a
//!    new `Notified` that goes to the scheduler; if it is running or already
//!    notified, the wake is one atomic operation and the task is rescheduled
//!    by the poller when the poll returns (a wake during a poll is never
//!    lost).
//! 4. **Complete.** When the future returns `Ready` (or panics, or is
//!    cancelled) the future is dropped, the output stored, `COMPLETE` set, the
//!    joiner woken, and the task removed from the owned list.
//! 5. **Free.** Every holder (list, queue, handle, abort handles, wakers)
//!    owns one reference; the last one to let go frees the cell.
//!
//! # Invariants
//!
//! - A task is polled by at most one thread at a time (`RUNNING`).
//! - At most one `Notified` exists per task (`NOTIFIED`).
//! - A task's output is taken at most once; dropping a `JoinHandle` detaches
//!   the task, it does not cancel it.
//! - Cancellation (abort, shutdown) always drops the future on a thread that
//!   holds `RUNNING`, never concurrently with a poll.
//! - A local task (`OwnedTasks::spawn_local`, for `LocalSet`) has a future
//!   that need not be `Send`: its `Task`/`Notified` references may travel to
//!   other threads (remote wakes, aborts), but it is only ever run, cancelled
//!   and shut down on its owning thread (see that function's safety
//!   contract).

mod cell;
mod debug;
mod debug_clock;
mod error;
mod harness;
mod id;
mod join;
mod list;
#[cfg(all(test, loom))]
mod loom_tests;
mod raw;
mod state;
mod waker;

pub(crate) use cell::TaskName;
pub use debug::DebugEvent;
pub(crate) use debug::{DebugHook, Debugger, FileLine, StatsSnapshot, Traced};
pub(crate) use debug_clock::now as debug_clock_now;
pub use error::JoinError;
pub use id::Id;
pub(crate) use id::{current_task, try_current_id};
pub use join::{AbortHandle, JoinHandle};
pub(crate) use list::OwnedTasks;
pub(crate) use raw::RawTask;

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::panic::Location;

/// How a task reaches its scheduler.
pub(crate) trait Schedule: Send + Sync + Sized + 'static {
    /// Queue a task that was woken. May be called from any thread.
    fn schedule(&self, task: Notified<Self>);

    /// Queue a task that was woken while it was being polled (it yielded):
    /// schedulers put it behind other ready work.
    fn yield_now(&self, task: Notified<Self>) {
        self.schedule(task);
    }

    /// The task completed: take it out of the owned list, returning the
    /// list's reference (`None` if it is not listed).
    fn release(&self, task: &Task<Self>) -> Option<Task<Self>>;

    /// The runtime's debug mode, if it is on: where tasks spawned with
    /// [`Traced`] names report slow polls and lost panics.
    fn debugger(&self) -> Option<&Debugger> {
        None
    }

    /// Tasks of this scheduler block their thread by design (the blocking
    /// pool): debug mode never reports their polls as slow.
    const BLOCKS_BY_DESIGN: bool = false;
}

/// One owned reference to a task.
pub(crate) struct Task<S: 'static> {
    raw: RawTask,
    _p: PhantomData<S>,
}

/// A task that is ready to run: holds the reference that `NOTIFIED` stands
/// for. Run queues hold these.
pub(crate) struct Notified<S: 'static>(Task<S>);

// SAFETY: a task may be run on any thread of its scheduler; futures of tasks
// that can reach another thread are `Send` (checked by the spawn functions).
unsafe impl<S> Send for Task<S> {}
// SAFETY: as above.
unsafe impl<S> Sync for Task<S> {}

impl<S: 'static> Task<S> {
    pub(crate) fn from_raw(raw: RawTask) -> Task<S> {
        Task {
            raw,
            _p: PhantomData,
        }
    }

    pub(crate) fn raw(&self) -> RawTask {
        self.raw
    }

    /// Cancels the task for runtime shutdown; consumes this reference.
    pub(crate) fn shutdown(self) {
        let raw = self.raw;
        std::mem::forget(self);
        raw.shutdown();
    }
}

impl<S: 'static> Drop for Task<S> {
    fn drop(&mut self) {
        self.raw.drop_reference();
    }
}

impl<S: 'static> Notified<S> {
    pub(crate) fn from_raw(raw: RawTask) -> Notified<S> {
        Notified(Task::from_raw(raw))
    }

    /// Polls the task once (or cancels it, if aborted); consumes the
    /// reference. The caller sets up the cooperative budget.
    pub(crate) fn run(self) {
        let raw = self.0.raw;
        std::mem::forget(self);
        raw.poll();
    }

    /// Cancels the task instead of running it (a queue that is being
    /// discarded); consumes the reference.
    pub(crate) fn run_cancelled(self) {
        self.0.shutdown();
    }
}

impl<S> fmt::Debug for Task<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Task({})", self.raw.id())
    }
}

impl<S> fmt::Debug for Notified<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Notified({})", self.0.raw.id())
    }
}

/// Creates a task that is not in any owned list (the runtime's own worker
/// threads, run on the blocking pool): two references, the `Notified` and the
/// `JoinHandle`.
pub(crate) fn unowned<T, S, N>(
    future: T,
    scheduler: S,
    name: N,
    id: Id,
    location: &'static Location<'static>,
) -> (Notified<S>, JoinHandle<T::Output>)
where
    T: Future + Send + 'static,
    T::Output: Send + 'static,
    S: Schedule,
    N: TaskName,
{
    let raw = RawTask::new(future, scheduler, name, id, location, 2);
    (Notified::from_raw(raw), JoinHandle::new(raw))
}
