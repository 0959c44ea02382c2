//! `TaskGroup`: asyncio's `TaskGroup`, with `Result` for exceptions.
//!
//! Invariant: once a child fails (returns `Err` or panics), every child in
//! the group is aborted, by the failing child itself as it finishes, so the
//! siblings stop promptly even while nobody is in `join`; children spawned
//! after that are aborted as they are added.

use super::completion::CompletionSet;
use crate::loom::sync::atomic::{AtomicBool, Ordering};
use crate::loom::sync::Mutex;
use crate::runtime::task::{AbortHandle, JoinError};
use std::fmt;
use std::future::{poll_fn, Future};
use std::sync::Arc;

/// A group of tasks that succeed or fail together (asyncio's `TaskGroup`).
///
/// Spawn children with [`spawn`](Self::spawn), then [`join`](Self::join)
/// the group: it returns every child's value in spawn order, or the first
/// failure. When a child returns `Err(e)`, all its siblings are aborted at
/// once, and `join` returns `Err(e)` after their futures have been dropped
/// (asyncio's TaskGroup waits for its cancelled children the same way). A
/// child that panics fails the group the same way, and `join` resumes the
/// panic. A child aborted through its own [`AbortHandle`] contributes no
/// value and does not fail the group. Dropping the group aborts its
/// children.
///
/// ```
/// use weave::task::TaskGroup;
///
/// # weave::runtime::Runtime::new().unwrap().block_on(async {
/// let mut group = TaskGroup::new();
/// for user in 1..=3 {
///     group.spawn(async move { Ok::<_, String>(format!("user {user}")) });
/// }
/// assert_eq!(group.join().await.unwrap(), ["user 1", "user 2", "user 3"]);
///
/// let mut group = TaskGroup::new();
/// group.spawn(async { Ok(1) });
/// group.spawn(async { Err("no such user".to_string()) });
/// group.spawn(std::future::pending()); // aborted when its sibling fails
/// assert_eq!(group.join().await, Err("no such user".to_string()));
/// # });
/// ```
pub struct TaskGroup<T, E> {
    /// Children are only taken out in `join`, after the last spawn, so a
    /// child's slot is its spawn number.
    tasks: CompletionSet<Result<T, E>>,
    shared: Arc<GroupShared>,
}

/// What the children share: whether the group failed, and how to abort
/// each of them.
struct GroupShared {
    failed: AtomicBool,
    aborts: Mutex<Vec<AbortHandle>>,
}

impl GroupShared {
    /// A child failed: abort every child (only the first call does work).
    fn fail(&self) {
        if self.failed.swap(true, Ordering::AcqRel) {
            return;
        }
        let aborts = std::mem::take(&mut *self.aborts.lock());
        for abort in aborts {
            abort.abort();
        }
    }
}

/// Fails the group if the child unwinds (a panic: an abort drops the future
/// without unwinding).
struct PanicGuard(Arc<GroupShared>);

impl Drop for PanicGuard {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.fail();
        }
    }
}

impl<T, E> TaskGroup<T, E>
where
    T: Send + 'static,
    E: Send + 'static,
{
    /// An empty group.
    pub fn new() -> TaskGroup<T, E> {
        TaskGroup {
            tasks: CompletionSet::aborting(),
            shared: Arc::new(GroupShared {
                failed: AtomicBool::new(false),
                aborts: Mutex::new(Vec::new()),
            }),
        }
    }

    /// Spawns `fut` on the current runtime as a child of the group (asyncio's
    /// `TaskGroup.create_task`). If the group has already failed, the child
    /// is aborted at once.
    ///
    /// # Panics
    ///
    /// Outside a runtime, like [`crate::spawn`].
    #[track_caller]
    pub fn spawn<F>(&mut self, fut: F) -> AbortHandle
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
    {
        let shared = self.shared.clone();
        let handle = crate::spawn(async move {
            let guard = PanicGuard(shared);
            let result = fut.await;
            if result.is_err() {
                guard.0.fail();
            }
            result
        });
        let abort = handle.abort_handle();
        {
            let mut aborts = self.shared.aborts.lock();
            if self.shared.failed.load(Ordering::Acquire) {
                abort.abort();
            } else {
                aborts.push(abort.clone());
            }
        }
        self.tasks.insert(handle);
        abort
    }

    /// The number of children not yet joined.
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// True if the group has no children left to join.
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// Waits for every child; their values in spawn order, or the group's
    /// first failure.
    ///
    /// The first child to fail decides the outcome: an `Err(e)` is returned,
    /// a panic is resumed here with its payload. Either way `join` first
    /// waits until every sibling has stopped and its future was dropped.
    /// Children aborted through their [`AbortHandle`] are skipped.
    pub async fn join(mut self) -> Result<Vec<T>, E> {
        let mut values: Vec<(u32, T)> = Vec::with_capacity(self.tasks.len());
        let mut failure: Option<Failure<E>> = None;
        while let Some(slot) = poll_fn(|cx| self.tasks.poll_finished(cx)).await {
            match self.tasks.take_output(slot) {
                Ok(Ok(value)) => values.push((slot, value)),
                Ok(Err(err)) => {
                    if failure.is_none() {
                        failure = Some(Failure::Err(err));
                    }
                }
                Err(join_err) => {
                    if join_err.is_panic() && failure.is_none() {
                        failure = Some(Failure::Panic(join_err));
                    }
                    // A cancelled child (by its AbortHandle, or by the
                    // group's failure) contributes nothing.
                }
            }
        }
        match failure {
            None => {
                values.sort_unstable_by_key(|(slot, _)| *slot);
                Ok(values.into_iter().map(|(_, v)| v).collect())
            }
            Some(Failure::Err(err)) => Err(err),
            Some(Failure::Panic(err)) => std::panic::resume_unwind(err.into_panic()),
        }
    }
}

enum Failure<E> {
    Err(E),
    Panic(JoinError),
}

impl<T, E> Default for TaskGroup<T, E>
where
    T: Send + 'static,
    E: Send + 'static,
{
    fn default() -> Self {
        TaskGroup::new()
    }
}

impl<T, E> fmt::Debug for TaskGroup<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskGroup")
            .field("len", &self.tasks.len())
            .field("failed", &self.shared.failed.load(Ordering::Relaxed))
            .finish()
    }
}
