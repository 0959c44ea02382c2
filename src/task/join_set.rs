//! `JoinSet`: a collection of tasks, joined in the order they finish.

use super::completion::CompletionSet;
use crate::runtime::task::{AbortHandle, Id, JoinError, JoinHandle};
use crate::runtime::Handle;
use std::fmt;
use std::future::{poll_fn, Future};
use std::task::{Context, Poll};

/// A collection of spawned tasks, awaited in the order they finish.
///
/// Every task spawned into the set is owned by it: [`join_next`]
/// returns the output of whichever task finishes next, and dropping the set
/// aborts the tasks still running (use [`detach_all`] to let them run on).
/// Waiting costs O(1) per finished task, however many are still running.
///
/// ```
/// use weave::task::JoinSet;
///
/// # weave::runtime::Runtime::new().unwrap().block_on(async {
/// let mut set = JoinSet::new();
/// for i in 0..10 {
///     set.spawn(async move { i * 2 });
/// }
/// let mut sum = 0;
/// while let Some(result) = set.join_next().await {
///     sum += result.unwrap();
/// }
/// assert_eq!(sum, 90);
/// # });
/// ```
///
/// [`join_next`]: JoinSet::join_next
/// [`detach_all`]: JoinSet::detach_all
pub struct JoinSet<T> {
    tasks: CompletionSet<T>,
}

impl<T> JoinSet<T> {
    /// An empty set.
    pub fn new() -> JoinSet<T> {
        JoinSet {
            tasks: CompletionSet::aborting(),
        }
    }

    /// The number of tasks in the set, finished or not, that have not been
    /// joined yet.
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// True if the set holds no tasks.
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }
}

impl<T: 'static> JoinSet<T> {
    fn insert(&mut self, handle: JoinHandle<T>) -> AbortHandle {
        let abort = handle.abort_handle();
        self.tasks.insert(handle);
        abort
    }

    /// Spawns `task` on the current runtime and adds it to the set.
    ///
    /// # Panics
    ///
    /// Outside a runtime, like [`crate::spawn`].
    #[track_caller]
    pub fn spawn<F>(&mut self, task: F) -> AbortHandle
    where
        F: Future<Output = T> + Send + 'static,
        T: Send,
    {
        self.insert(crate::spawn(task))
    }

    /// Spawns `task` on the runtime of `handle` and adds it to the set.
    #[track_caller]
    pub fn spawn_on<F>(&mut self, task: F, handle: &Handle) -> AbortHandle
    where
        F: Future<Output = T> + Send + 'static,
        T: Send,
    {
        self.insert(handle.spawn(task))
    }

    /// Spawns the `!Send` future `task` on the current
    /// [`LocalSet`](crate::task::LocalSet) and adds it to the set.
    ///
    /// # Panics
    ///
    /// Outside a `LocalSet`, like [`spawn_local`](crate::task::spawn_local).
    #[track_caller]
    pub fn spawn_local<F>(&mut self, task: F) -> AbortHandle
    where
        F: Future<Output = T> + 'static,
    {
        self.insert(crate::task::spawn_local(task))
    }

    /// Spawns the `!Send` future `task` on `local_set` and adds it to the
    /// set. The task runs when the `LocalSet` is driven.
    #[track_caller]
    pub fn spawn_local_on<F>(&mut self, task: F, local_set: &crate::task::LocalSet) -> AbortHandle
    where
        F: Future<Output = T> + 'static,
    {
        self.insert(local_set.spawn_local(task))
    }

    /// Runs `f` on the current runtime's blocking pool and adds it to the
    /// set.
    ///
    /// # Panics
    ///
    /// Outside a runtime, like [`spawn_blocking`](crate::task::spawn_blocking).
    #[track_caller]
    pub fn spawn_blocking<F>(&mut self, f: F) -> AbortHandle
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send,
    {
        self.insert(crate::task::spawn_blocking(f))
    }

    /// Runs `f` on the blocking pool of `handle`'s runtime and adds it to the
    /// set.
    #[track_caller]
    pub fn spawn_blocking_on<F>(&mut self, f: F, handle: &Handle) -> AbortHandle
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send,
    {
        self.insert(handle.spawn_blocking(f))
    }

    /// Waits for the next task to finish and returns its output; `None` if
    /// the set is empty.
    ///
    /// Cancel-safe: if the returned future is dropped before it completes,
    /// no task's output is lost.
    pub async fn join_next(&mut self) -> Option<Result<T, JoinError>> {
        poll_fn(|cx| self.poll_join_next(cx)).await
    }

    /// Like [`join_next`](Self::join_next), with the task's id.
    pub async fn join_next_with_id(&mut self) -> Option<Result<(Id, T), JoinError>> {
        poll_fn(|cx| self.poll_join_next_with_id(cx)).await
    }

    /// The output of a task that has already finished, if any; never waits.
    /// `None` both when the set is empty and when no task has finished.
    pub fn try_join_next(&mut self) -> Option<Result<T, JoinError>> {
        self.try_join_next_with_id().map(|r| r.map(|(_, v)| v))
    }

    /// Like [`try_join_next`](Self::try_join_next), with the task's id.
    pub fn try_join_next_with_id(&mut self) -> Option<Result<(Id, T), JoinError>> {
        let (id, output) = self.tasks.try_join_next()?;
        Some(output.map(|v| (id, v)))
    }

    /// Polls for the next finished task; see [`join_next`](Self::join_next).
    ///
    /// `Ready(None)` if the set is empty; otherwise `Pending` until a task
    /// finishes, and the waker of `cx` is woken then (only the waker of the
    /// latest poll is kept).
    pub fn poll_join_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T, JoinError>>> {
        self.poll_join_next_with_id(cx)
            .map(|r| r.map(|r| r.map(|(_, v)| v)))
    }

    /// Like [`poll_join_next`](Self::poll_join_next), with the task's id.
    pub fn poll_join_next_with_id(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<(Id, T), JoinError>>> {
        self.tasks
            .poll_join_next(cx)
            .map(|next| next.map(|(id, output)| output.map(|v| (id, v))))
    }

    /// Waits for every task and returns their outputs, in the order they
    /// finished.
    ///
    /// # Panics
    ///
    /// If a task panicked (its panic is resumed here) or was cancelled; the
    /// tasks still running are aborted first (when the set is dropped).
    pub async fn join_all(mut self) -> Vec<T> {
        let mut out = Vec::with_capacity(self.len());
        while let Some(result) = self.join_next().await {
            match result {
                Ok(value) => out.push(value),
                Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
                Err(err) => panic!("`JoinSet::join_all`: {err}"),
            }
        }
        out
    }

    /// Aborts every task and waits until they have all stopped, discarding
    /// their outputs. The set is empty afterwards.
    pub async fn shutdown(&mut self) {
        self.abort_all();
        while self.join_next().await.is_some() {}
    }
}

impl<T> JoinSet<T> {
    /// Cancels every task in the set. They stay in the set: `join_next`
    /// still returns each (mostly as a cancellation error, or its output if
    /// it finished first).
    pub fn abort_all(&mut self) {
        self.tasks.abort_all();
    }

    /// Removes every task from the set without cancelling it: they keep
    /// running in the background, detached.
    pub fn detach_all(&mut self) {
        drop(self.tasks.take_all());
    }
}

impl<T> Default for JoinSet<T> {
    fn default() -> JoinSet<T> {
        JoinSet::new()
    }
}

impl<T> fmt::Debug for JoinSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinSet").field("len", &self.len()).finish()
    }
}

/// Spawns every future of the iterator into a new set.
///
/// ```
/// use weave::task::JoinSet;
///
/// # weave::runtime::Runtime::new().unwrap().block_on(async {
/// let set: JoinSet<u32> = (1..=3).map(|i| async move { i }).collect();
/// let mut all = set.join_all().await;
/// all.sort();
/// assert_eq!(all, [1, 2, 3]);
/// # });
/// ```
impl<T, F> FromIterator<F> for JoinSet<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    #[track_caller]
    fn from_iter<I: IntoIterator<Item = F>>(iter: I) -> Self {
        let mut set = JoinSet::new();
        set.extend(iter);
        set
    }
}

/// Spawns every future of the iterator into the set.
impl<T, F> Extend<F> for JoinSet<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    #[track_caller]
    fn extend<I: IntoIterator<Item = F>>(&mut self, iter: I) {
        for task in iter {
            self.spawn(task);
        }
    }
}
