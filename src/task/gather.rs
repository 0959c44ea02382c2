//! `gather` and `try_gather`: asyncio's `gather`, on tasks.

use super::completion::CompletionSet;
use super::spawn::spawn_at;
use crate::runtime::task::{JoinError, JoinHandle};
use std::future::{poll_fn, Future};
use std::panic::Location;

/// Runs every future as its own task and returns all their results, in input
/// order (asyncio's `gather(*aws, return_exceptions=True)`).
///
/// The futures are spawned on the current runtime when the returned future
/// is first polled, and run concurrently (in parallel on the multi-thread
/// runtime). Each result is the future's output, or a [`JoinError`] in its
/// place if that task panicked or was cancelled; one failure does not stop
/// the others. Dropping the returned future aborts the tasks that have not
/// finished.
///
/// ```
/// # weave::runtime::Runtime::new().unwrap().block_on(async {
/// use std::time::Duration;
///
/// let delays = [30u64, 10, 20];
/// let results = weave::gather(delays.map(|ms| async move {
///     weave::time::sleep(Duration::from_millis(ms)).await;
///     ms
/// }))
/// .await;
/// // Input order, whatever finished first.
/// let values: Vec<u64> = results.into_iter().map(Result::unwrap).collect();
/// assert_eq!(values, [30, 10, 20]);
/// # });
/// ```
///
/// For fail-fast behaviour (asyncio's default), use [`try_gather`].
///
/// # Panics
///
/// When polled outside a runtime, like [`crate::spawn`].
#[track_caller]
pub fn gather<I>(
    futures: I,
) -> impl Future<Output = Vec<Result<<I::Item as Future>::Output, JoinError>>>
where
    I: IntoIterator,
    I::Item: Future + Send + 'static,
    <I::Item as Future>::Output: Send + 'static,
{
    // The tasks' spawn location (task dumps, debug reports) is the caller's.
    let location = Location::caller();
    async move {
        let mut tasks = AbortOnDrop(futures.into_iter().map(|f| spawn_at(f, location)).collect());
        let mut results = Vec::with_capacity(tasks.0.len());
        for handle in tasks.0.iter_mut() {
            results.push(handle.await);
        }
        results
    }
}

/// Handles whose tasks are aborted when this is dropped (a `gather` future
/// dropped half-way). Aborting a finished task does nothing.
struct AbortOnDrop<T>(Vec<JoinHandle<T>>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        for handle in &self.0 {
            handle.abort();
        }
    }
}

/// Runs every future as its own task and returns their values in input
/// order, or the first error (asyncio's `gather(*aws)`, plus the
/// cancellation of the others that asyncio leaves to you).
///
/// The futures are spawned on the current runtime when the returned future
/// is first polled. As soon as one returns `Err(e)`, the others are aborted,
/// and `try_gather` returns `Err(e)` once their futures have been dropped
/// (their destructors have run). If a task panics, the others are aborted
/// the same way and the panic is then resumed in the caller. Dropping the
/// returned future aborts the tasks that have not finished.
///
/// ```
/// # weave::runtime::Runtime::new().unwrap().block_on(async {
/// let ok = weave::try_gather((1..=3).map(|i| async move { Ok::<_, String>(i * 10) })).await;
/// assert_eq!(ok, Ok(vec![10, 20, 30]));
///
/// let failed = weave::try_gather((1..=3).map(|i| async move {
///     if i == 2 { Err(format!("user {i} not found")) } else { Ok(i) }
/// }))
/// .await;
/// assert_eq!(failed, Err("user 2 not found".to_string()));
/// # });
/// ```
///
/// # Panics
///
/// When polled outside a runtime, like [`crate::spawn`]; when a task
/// panics (the task's panic, resumed); and when a task is cancelled from
/// outside (only runtime shutdown can do that, as the handles are not
/// exposed).
#[track_caller]
pub fn try_gather<I, T, E>(futures: I) -> impl Future<Output = Result<Vec<T>, E>>
where
    I: IntoIterator,
    I::Item: Future<Output = Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
{
    // The tasks' spawn location (task dumps, debug reports) is the caller's.
    let location = Location::caller();
    try_gather_at(futures, location)
}

async fn try_gather_at<I, T, E>(
    futures: I,
    location: &'static Location<'static>,
) -> Result<Vec<T>, E>
where
    I: IntoIterator,
    I::Item: Future<Output = Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
{
    let mut set = CompletionSet::aborting();
    // Nothing is removed before every task was inserted, so a task's slot
    // is its input position.
    for future in futures {
        set.insert(spawn_at(future, location));
    }
    let mut values: Vec<Option<T>> = std::iter::repeat_with(|| None).take(set.len()).collect();
    let failure = loop {
        let Some(slot) = poll_fn(|cx| set.poll_finished(cx)).await else {
            break None;
        };
        match set.take_output(slot) {
            Ok(Ok(value)) => values[slot as usize] = Some(value),
            Ok(Err(err)) => break Some(Failure::Err(err)),
            Err(join_err) => break Some(Failure::Join(join_err)),
        }
    };
    let Some(failure) = failure else {
        return Ok(values
            .into_iter()
            .map(|v| v.expect("every task reported"))
            .collect());
    };
    // Fail fast: cancel the rest and wait until their futures are gone.
    set.abort_all();
    while let Some(slot) = poll_fn(|cx| set.poll_finished(cx)).await {
        drop(set.take_output(slot));
    }
    match failure {
        Failure::Err(err) => Err(err),
        Failure::Join(err) => match err.try_into_panic() {
            Ok(payload) => std::panic::resume_unwind(payload),
            Err(err) => panic!("`try_gather`: {err}"),
        },
    }
}

enum Failure<E> {
    Err(E),
    Join(JoinError),
}
