//! `pause`, `resume`, `advance`: test control of the runtime's clock.
//!
//! These only forward to the runtime's `Clock` (which owns the rules: never
//! backwards, pause/resume must alternate) and, for `advance`, fire the
//! timers that became due. Auto-advance itself lives in the driver.

use super::Duration;
use crate::runtime::context;

/// Freezes the current runtime's clock (for tests).
///
/// While paused, [`Instant::now`](super::Instant::now) stands still except
/// when moved by [`advance`], and *auto-advance* kicks in: whenever every
/// task is waiting and no [`spawn_blocking`](crate::task::spawn_blocking)
/// task is running, the clock jumps straight to the next timer's deadline
/// instead of the runtime sleeping until it. A test of a one-hour timeout
/// thus takes microseconds, with the same ordering as in real time.
/// [`Builder::start_paused`](crate::runtime::Builder::start_paused) (or
/// `#[weave::test(start_paused = true)]`) starts a runtime paused.
///
/// # Panics
///
/// Outside a runtime or without the time driver; on a multi-thread runtime
/// (its workers could not agree on an idle moment to auto-advance); if the
/// clock is already paused.
///
/// ```
/// use weave::time::{self, Duration, Instant};
///
/// #[weave::main(flavor = "current_thread")]
/// async fn main() {
///     time::pause();
///     let start = Instant::now();
///     time::sleep(Duration::from_secs(3600)).await; // auto-advanced
///     // (plus up to 1 ms: the timer's resolution)
///     assert!(start.elapsed() >= Duration::from_secs(3600));
/// }
/// ```
#[track_caller]
pub fn pause() {
    let handle = context::time_handle("time::pause");
    if !context::is_current_thread_runtime() {
        panic!(
            "`time::pause()` requires the `current_thread` runtime: build it with \
             `Builder::new_current_thread()` (the default of `#[weave::test]`)"
        );
    }
    handle.clock().pause();
}

/// Lets a paused clock run again, from the instant it stood at (the paused
/// span is not counted).
///
/// # Panics
///
/// Outside a runtime or without the time driver; if the clock is not
/// paused.
///
/// ```
/// use weave::time::{self, Duration, Instant};
///
/// #[weave::main(flavor = "current_thread")]
/// async fn main() {
///     time::pause();
///     time::advance(Duration::from_secs(1)).await;
///     time::resume();
///     let start = Instant::now();
///     time::sleep(Duration::from_millis(1)).await; // real time again
///     assert!(start.elapsed() >= Duration::from_millis(1));
/// }
/// ```
#[track_caller]
pub fn resume() {
    context::time_handle("time::resume").clock().resume();
}

/// Moves a paused clock forward by `duration`, fires the timers that became
/// due, and yields so that the tasks they woke run before this returns.
///
/// Timers fire at their deadline's order, but all of them see the clock at
/// its new value. To step through timers one at a time, advance by smaller
/// amounts.
///
/// # Panics
///
/// Outside a runtime or without the time driver; if the clock is not
/// paused.
///
/// ```
/// use weave::time::{self, Duration};
///
/// # weave::runtime::Builder::new_current_thread().enable_time().start_paused(true)
/// #     .build().unwrap().block_on(async {
/// let mut sleep = std::pin::pin!(time::sleep(Duration::from_secs(10)));
/// assert!(futures_poll_once(sleep.as_mut()).is_pending());
/// time::advance(Duration::from_secs(10)).await;
/// assert!(sleep.is_elapsed());
/// # });
/// # fn futures_poll_once<F: std::future::Future>(f: std::pin::Pin<&mut F>) -> std::task::Poll<F::Output> {
/// #     f.poll(&mut std::task::Context::from_waker(std::task::Waker::noop()))
/// # }
/// ```
pub async fn advance(duration: Duration) {
    let handle = context::time_handle("time::advance");
    handle.clock().advance(duration);
    handle.process();
    crate::task::yield_now().await;
}
