//! `as_completed`: asyncio's `as_completed`, on tasks.

use super::completion::CompletionSet;
use crate::runtime::task::JoinError;
use futures_core::Stream;
use std::fmt;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::{Context, Poll};

/// Spawns every future as its own task and yields their results in the
/// order they finish (asyncio's `as_completed`).
///
/// The tasks start at once. Take results with the inherent
/// [`next`](AsCompleted::next) (no extra crate needed) or through
/// [`futures_core::Stream`]. A task that panicked or was cancelled yields a
/// [`JoinError`]. Dropping the `AsCompleted` aborts the tasks whose results
/// have not been yielded.
///
/// ```
/// # weave::runtime::Builder::new_current_thread().enable_all().start_paused(true)
/// #     .build().unwrap().block_on(async {
/// use std::time::Duration;
///
/// let engines = [("bing", 1500), ("google", 2000), ("duckduckgo", 1000)];
/// let mut answers = weave::task::as_completed(engines.map(|(name, ms)| async move {
///     weave::time::sleep(Duration::from_millis(ms)).await;
///     name
/// }));
/// let mut order = Vec::new();
/// while let Some(answer) = answers.next().await {
///     order.push(answer.unwrap());
/// }
/// assert_eq!(order, ["duckduckgo", "bing", "google"]);
/// # });
/// ```
///
/// # Panics
///
/// Outside a runtime, like [`crate::spawn`].
#[track_caller]
pub fn as_completed<I>(futures: I) -> AsCompleted<<I::Item as Future>::Output>
where
    I: IntoIterator,
    I::Item: Future + Send + 'static,
    <I::Item as Future>::Output: Send + 'static,
{
    let mut tasks = CompletionSet::aborting();
    for future in futures {
        tasks.insert(crate::spawn(future));
    }
    AsCompleted { tasks }
}

/// The results of tasks in the order they finish; made by [`as_completed`].
#[must_use = "dropping `AsCompleted` aborts its tasks"]
pub struct AsCompleted<T> {
    tasks: CompletionSet<T>,
}

impl<T> AsCompleted<T> {
    /// The next task's result, in completion order; `None` once every
    /// result has been yielded. Cancel-safe: dropping the returned future
    /// loses no result.
    pub async fn next(&mut self) -> Option<Result<T, JoinError>> {
        poll_fn(|cx| self.poll_next_result(cx)).await
    }

    /// The number of results not yet yielded.
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// True once every result has been yielded.
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    fn poll_next_result(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T, JoinError>>> {
        self.tasks
            .poll_join_next(cx)
            .map(|next| next.map(|(_, output)| output))
    }
}

impl<T> Stream for AsCompleted<T> {
    type Item = Result<T, JoinError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_next_result(cx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.len(), Some(self.len()))
    }
}

impl<T> fmt::Debug for AsCompleted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsCompleted")
            .field("remaining", &self.len())
            .finish()
    }
}
