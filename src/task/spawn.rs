use crate::runtime::context;
use crate::runtime::task::JoinHandle;
use std::future::Future;
use std::panic::Location;

/// Spawns a new asynchronous task and returns a handle to await its output
/// (asyncio's `create_task`).
///
/// The task starts running in the background right away, whether or not the
/// handle is awaited. Dropping the handle detaches the task.
///
/// ```
/// # weave::runtime::Runtime::new().unwrap().block_on(async {
/// let handle = weave::spawn(async { "done" });
/// assert_eq!(handle.await.unwrap(), "done");
/// # });
/// ```
///
/// # Panics
///
/// Outside a runtime. Create one with `Runtime::new()` (and spawn inside
/// `block_on` or while holding `Runtime::enter()`), or use `#[weave::main]`.
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    spawn_at(future, Location::caller())
}

/// [`spawn`], with the spawn location given (task dumps and debug reports
/// show it): for spawning on a caller's behalf, later or from a closure,
/// where `#[track_caller]` cannot reach.
#[track_caller]
pub(crate) fn spawn_at<F>(future: F, location: &'static Location<'static>) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    context::with_current(|handle| match handle {
        Some(handle) => handle.spawn_at(future, (), location),
        None => panic!(
            "`weave::spawn` called outside a runtime: {}",
            context::NO_RUNTIME
        ),
    })
}
