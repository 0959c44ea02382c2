//! Task identifiers and "which task is running on this thread".

use super::raw::RawTask;
use std::cell::Cell;
use std::fmt;
use std::num::NonZeroU64;

/// An opaque, process-unique identifier of a task.
///
/// Ids are never reused while the process runs. Get the current task's with
/// [`task::id`](crate::task::id), another task's with
/// [`JoinHandle::id`](crate::task::JoinHandle::id).
///
/// ```
/// # weave::runtime::Runtime::new().unwrap().block_on(async {
/// let handle = weave::spawn(async { weave::task::id() });
/// let id = handle.id();
/// assert_eq!(handle.await.unwrap(), id);
/// # });
/// ```
#[derive(Clone, Copy, Debug, Hash, Eq, PartialEq, Ord, PartialOrd)]
pub struct Id(pub(crate) NonZeroU64);

impl Id {
    pub(crate) fn next() -> Id {
        use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
        // A plain std atomic even under loom: ids only need uniqueness.
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        let id = NEXT_ID.fetch_add(1, Relaxed);
        Id(NonZeroU64::new(id).expect("task id counter wrapped"))
    }

    pub(crate) fn as_u64(self) -> u64 {
        self.0.get()
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

thread_local! {
    /// The task being polled (or cancelled) on this thread, if any.
    static CURRENT_TASK: Cell<Option<RawTask>> = const { Cell::new(None) };
}

/// Sets the current task for the duration of a poll and restores the
/// previous one on drop (polls nest when a task is polled inside
/// `block_in_place` or a `LocalSet`).
pub(crate) struct CurrentTaskGuard(Option<RawTask>);

impl CurrentTaskGuard {
    pub(crate) fn enter(task: RawTask) -> CurrentTaskGuard {
        CurrentTaskGuard(CURRENT_TASK.with(|c| c.replace(Some(task))))
    }
}

impl Drop for CurrentTaskGuard {
    fn drop(&mut self) {
        let _ = CURRENT_TASK.try_with(|c| c.set(self.0));
    }
}

/// The task being polled on this thread.
pub(crate) fn current_task() -> Option<RawTask> {
    CURRENT_TASK.try_with(|c| c.get()).ok().flatten()
}

/// The id of the running task, if called from inside one.
pub(crate) fn try_current_id() -> Option<Id> {
    current_task().map(|t| t.id())
}
