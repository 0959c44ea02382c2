use crate::runtime::context;
use crate::runtime::task::JoinHandle;
use std::future::Future;

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
    context::with_current(|handle| match handle {
        Some(handle) => handle.spawn(future, ()),
        None => panic!(
            "`weave::spawn` called outside a runtime: {}",
            context::NO_RUNTIME
        ),
    })
}
