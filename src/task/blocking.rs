use crate::runtime::context;
use crate::runtime::task::JoinHandle;

/// Runs a blocking function on the runtime's blocking thread pool and
/// returns a handle to its result (asyncio's `to_thread` /
/// `run_in_executor`).
///
/// Pool threads are reused; idle ones exit after the keep-alive
/// ([`Builder::thread_keep_alive`](crate::runtime::Builder::thread_keep_alive));
/// at most [`max_blocking_threads`](crate::runtime::Builder::max_blocking_threads)
/// run at once and further calls wait in a queue. A blocking task cannot be
/// interrupted: `abort` only cancels it if it has not started.
///
/// ```
/// # weave::runtime::Runtime::new().unwrap().block_on(async {
/// let sum = weave::task::spawn_blocking(|| (1..=100u64).sum::<u64>())
///     .await
///     .unwrap();
/// assert_eq!(sum, 5050);
/// # });
/// ```
///
/// # Panics
///
/// Outside a runtime, or if the OS cannot start any thread.
#[track_caller]
pub fn spawn_blocking<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    match context::try_current() {
        Some(handle) => crate::runtime::Handle { inner: handle }.spawn_blocking(f),
        None => panic!(
            "`weave::task::spawn_blocking` called outside a runtime: {}",
            context::NO_RUNTIME
        ),
    }
}

/// Runs blocking code on the current worker thread without stalling the
/// other tasks: the worker's queue is handed to a new thread first.
///
/// Outside a runtime (or on a blocking-pool thread) `f` simply runs.
///
/// ```
/// # weave::runtime::Runtime::new().unwrap().block_on(async {
/// let n = weave::spawn(async {
///     weave::task::block_in_place(|| {
///         std::thread::sleep(std::time::Duration::from_millis(1));
///         3
///     })
/// })
/// .await
/// .unwrap();
/// assert_eq!(n, 3);
/// # });
/// ```
///
/// # Panics
///
/// On a current-thread runtime (there is no other thread to hand the work
/// to): use [`spawn_blocking`] there.
#[track_caller]
pub fn block_in_place<F, R>(f: F) -> R
where
    F: FnOnce() -> R,
{
    if !crate::enter::can_block_in_place() {
        if crate::enter::is_entered() {
            panic!(
                "`block_in_place` can only be called on the multi-thread runtime: on a \
                 current-thread runtime (or inside `block_on`) there is no other thread to \
                 take over; use `weave::task::spawn_blocking` instead"
            );
        }
        return f();
    }
    crate::runtime::scheduler::multi_thread::block_in_place(f)
}
