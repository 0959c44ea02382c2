//! `wait` and `wait_timeout`: asyncio's `wait`, on join handles.

use super::completion::CompletionSet;
use crate::runtime::task::JoinHandle;
use std::future::poll_fn;
use std::task::Poll;
use std::time::Duration;

/// When [`wait`] returns (asyncio's `FIRST_COMPLETED`, `FIRST_EXCEPTION`,
/// `ALL_COMPLETED`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReturnWhen {
    /// As soon as any task finishes (or is cancelled).
    FirstCompleted,
    /// As soon as a task fails with a [`JoinError`](crate::task::JoinError)
    /// (it panicked or was cancelled), or when all have finished. A task
    /// whose output is an `Err(_)` value counts as completed, not failed.
    FirstError,
    /// When every task has finished.
    AllCompleted,
}

/// Waits for tasks until `when` is met and splits their handles into
/// `(done, pending)` (asyncio's `wait`).
///
/// `done` holds the handles of the tasks that have finished (awaiting them
/// returns at once), `pending` the others, which keep running; both keep the
/// input order. Nothing is aborted. With no handles, returns
/// `(vec![], vec![])` at once.
///
/// ```
/// use std::time::Duration;
/// use weave::task::{self, ReturnWhen};
///
/// # weave::runtime::Builder::new_current_thread().enable_all().start_paused(true)
/// #     .build().unwrap().block_on(async {
/// let handles = [3u64, 1, 2].map(|s| {
///     weave::spawn(async move {
///         weave::time::sleep(Duration::from_secs(s)).await;
///         s
///     })
/// });
/// let (done, pending) = task::wait(handles, ReturnWhen::FirstCompleted).await;
/// assert_eq!(done.len(), 1);
/// assert_eq!(done.into_iter().next().unwrap().await.unwrap(), 1);
/// // Cancel the slower ones, as asyncio code does after FIRST_COMPLETED.
/// for handle in &pending {
///     handle.abort();
/// }
/// assert_eq!(pending.len(), 2);
/// # });
/// ```
pub async fn wait<T>(
    handles: impl IntoIterator<Item = JoinHandle<T>>,
    when: ReturnWhen,
) -> (Vec<JoinHandle<T>>, Vec<JoinHandle<T>>) {
    let mut waiting = Waiting::new(handles);
    waiting.until(when).await;
    waiting.split()
}

/// Like [`wait`], but also returns when `timeout` has passed (asyncio's
/// `wait(..., timeout=)`); then `done` holds whatever has finished by then.
///
/// A `timeout` too large to represent (such as `Duration::MAX`) means no
/// timeout.
///
/// # Panics
///
/// Outside a runtime with the time driver enabled, like
/// [`time::sleep`](crate::time::sleep), unless there are no handles.
pub async fn wait_timeout<T>(
    handles: impl IntoIterator<Item = JoinHandle<T>>,
    when: ReturnWhen,
    timeout: Duration,
) -> (Vec<JoinHandle<T>>, Vec<JoinHandle<T>>) {
    let mut waiting = Waiting::new(handles);
    if !waiting.is_empty() {
        let _ = crate::time::timeout(timeout, waiting.until(when)).await;
    }
    waiting.split()
}

/// Handles being waited on, in a completion set that leaves them running.
/// Nothing is removed before `split`, so input handle `i` is in slot `i`.
struct Waiting<T> {
    set: CompletionSet<T>,
    total: u32,
}

impl<T> Waiting<T> {
    fn new(handles: impl IntoIterator<Item = JoinHandle<T>>) -> Waiting<T> {
        let mut set = CompletionSet::new();
        for handle in handles {
            set.insert(handle);
        }
        let total = set.len() as u32;
        Waiting { set, total }
    }

    fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// Returns once `when` holds. Each finished task is reported once by
    /// the set, so `finished` counts distinct tasks.
    async fn until(&mut self, when: ReturnWhen) {
        let total = self.total;
        let mut finished = 0;
        while finished < total {
            let slot = poll_fn(|cx| match self.set.poll_finished(cx) {
                Poll::Ready(Some(slot)) => Poll::Ready(slot),
                Poll::Ready(None) => unreachable!("handles are only removed by `split`"),
                Poll::Pending => Poll::Pending,
            })
            .await;
            finished += 1;
            let failed = self
                .set
                .get(slot)
                .is_some_and(JoinHandle::finished_with_error);
            match when {
                ReturnWhen::FirstCompleted => return,
                ReturnWhen::FirstError if failed => return,
                _ => {}
            }
        }
    }

    /// `(done, pending)` in input order, judged now: a task that finished
    /// after the condition was met is `done` too.
    fn split(mut self) -> (Vec<JoinHandle<T>>, Vec<JoinHandle<T>>) {
        let mut done = Vec::new();
        let mut pending = Vec::new();
        for slot in 0..self.total {
            let handle = self.set.remove(slot);
            if handle.is_finished() {
                done.push(handle);
            } else {
                pending.push(handle);
            }
        }
        (done, pending)
    }
}
