//! `Timeout`: a future raced against a deadline.
//!
//! The inner future is always polled first and the timer second, so a future
//! that is ready at once never touches the wheel (the `Sleep` registers only
//! when it is polled). If polling the inner future spent the task's last unit
//! of cooperative budget, the timer is still polled, with the budget lifted:
//! otherwise an always-busy inner future could starve its own timeout.

use super::{error::Elapsed, Duration, Instant, Sleep};
use crate::coop::{self, Budget};
use crate::runtime::context;
use pin_project_lite::pin_project;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};

/// Requires `future` to complete within `duration` (asyncio's `wait_for`).
///
/// Returns `Ok(output)` if the future completes first, `Err(Elapsed)` if the
/// deadline passes first; then the future is dropped along with the
/// `Timeout` (for a [`JoinHandle`](crate::task::JoinHandle) that only
/// detaches: see below). The timer starts now, not at the first poll. A
/// duration too large to add to `Instant::now()` means "no timeout".
///
/// The future is polled before the timer, so a future that is ready when
/// the deadline has already passed still gives `Ok`.
///
/// # Timing out a task
///
/// Wrapping a [`JoinHandle`](crate::task::JoinHandle) bounds how long you
/// *wait* for the task, not how long it *runs*: after `Err(Elapsed)` the
/// task keeps running. Wrap `&mut handle` to keep the handle, then await it
/// again later or [`abort`](crate::task::JoinHandle::abort) it (a `Timeout`
/// that was never polled also gives its handle back through
/// [`Timeout::into_inner`]).
///
/// ```
/// use weave::time::{self, Duration};
///
/// # weave::runtime::Builder::new_current_thread().enable_all().start_paused(true)
/// #     .build().unwrap().block_on(async {
/// let mut handle = weave::spawn(async {
///     time::sleep(Duration::from_secs(10)).await;
///     "done"
/// });
/// // Waiting one second is not enough...
/// assert!(time::timeout(Duration::from_secs(1), &mut handle).await.is_err());
/// // ...but the task is still running and can be awaited again.
/// assert_eq!(handle.await.unwrap(), "done");
/// # });
/// ```
///
/// # Panics
///
/// Outside a runtime, or in one without the time driver (unless the
/// duration is too large to add, in which case no timer is created).
///
/// ```
/// use weave::time::{timeout, Duration};
///
/// # weave::runtime::Builder::new_current_thread().enable_time().start_paused(true)
/// #     .build().unwrap().block_on(async {
/// let (tx, rx) = weave::sync::oneshot::channel::<u32>();
/// // Nobody sends: the receive times out.
/// match timeout(Duration::from_millis(10), rx).await {
///     Ok(v) => println!("got {v:?}"),
///     Err(_) => println!("did not receive a value within 10 ms"),
/// }
/// # drop(tx);
/// # });
/// ```
#[track_caller]
pub fn timeout<F>(duration: Duration, future: F) -> Timeout<F::IntoFuture>
where
    F: IntoFuture,
{
    // One look-up of the runtime serves both the clock and the timer.
    let delay = match context::try_time_handle() {
        Some(handle) => {
            let now = Instant::from_std(handle.clock().now());
            now.checked_add(duration)
                .map(|deadline| Sleep::new(handle, deadline))
        }
        // No runtime (or no time driver): a deadline too far to represent
        // needs no timer (Tokio's rule); otherwise panic, naming the cause.
        None => match Instant::now().checked_add(duration) {
            None => None,
            Some(_) => {
                context::time_handle("time::timeout");
                unreachable!("`time_handle` panics when `try_time_handle` is None")
            }
        },
    };
    Timeout {
        value: future.into_future(),
        delay,
    }
}

/// Requires `future` to complete before `deadline`; see [`timeout`].
///
/// ```
/// use weave::time::{timeout_at, Duration, Instant};
///
/// # weave::runtime::Builder::new_current_thread().enable_time().start_paused(true)
/// #     .build().unwrap().block_on(async {
/// let deadline = Instant::now() + Duration::from_secs(1);
/// assert_eq!(timeout_at(deadline, async { 7 }).await, Ok(7));
/// assert!(timeout_at(deadline, std::future::pending::<()>()).await.is_err());
/// # });
/// ```
#[track_caller]
pub fn timeout_at<F>(deadline: Instant, future: F) -> Timeout<F::IntoFuture>
where
    F: IntoFuture,
{
    Timeout {
        value: future.into_future(),
        delay: Some(super::sleep_until(deadline)),
    }
}

pin_project! {
    /// Future returned by [`timeout`], [`timeout_at`] and
    /// [`FutureExt::timeout`](super::FutureExt::timeout).
    ///
    /// ```
    /// use weave::time::{timeout, Duration};
    ///
    /// # weave::runtime::Builder::new_current_thread().enable_time().start_paused(true)
    /// #     .build().unwrap().block_on(async {
    /// let t = timeout(Duration::from_secs(1), async { 1 + 1 });
    /// assert_eq!(t.await, Ok(2));
    /// # });
    /// ```
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    #[derive(Debug)]
    pub struct Timeout<T> {
        #[pin]
        value: T,
        // `None`: the deadline was too far away to represent; never fires.
        #[pin]
        delay: Option<Sleep>,
    }
}

impl<T> Timeout<T> {
    /// The inner future.
    ///
    /// ```
    /// # weave::runtime::Builder::new_current_thread().enable_time().start_paused(true)
    /// #     .build().unwrap().block_on(async {
    /// let t = weave::time::timeout(weave::time::Duration::from_secs(1), std::future::ready(5));
    /// let inner: &std::future::Ready<i32> = t.get_ref();
    /// # let _ = inner;
    /// # });
    /// ```
    pub fn get_ref(&self) -> &T {
        &self.value
    }

    /// The inner future, mutably.
    ///
    /// ```
    /// # weave::runtime::Builder::new_current_thread().enable_time().start_paused(true)
    /// #     .build().unwrap().block_on(async {
    /// let mut t = weave::time::timeout(weave::time::Duration::from_secs(1), std::future::ready(5));
    /// *t.get_mut() = std::future::ready(6);
    /// assert_eq!(t.await, Ok(6));
    /// # });
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.value
    }

    /// Takes the inner future back (for example a task's
    /// [`JoinHandle`](crate::task::JoinHandle)), dropping the timer.
    ///
    /// A `Timeout` is `!Unpin` once pinned for polling, so this is for one you
    /// have not started awaiting; to keep the future across a timeout, wrap
    /// `&mut future` instead (see [`timeout`]).
    ///
    /// ```
    /// use weave::time::{timeout, Duration};
    ///
    /// # weave::runtime::Builder::new_current_thread().enable_all().start_paused(true)
    /// #     .build().unwrap().block_on(async {
    /// let t = timeout(Duration::from_secs(1), weave::spawn(async { 42 }));
    /// let handle = t.into_inner(); // changed our mind: wait without a limit
    /// assert_eq!(handle.await.unwrap(), 42);
    /// # });
    /// ```
    pub fn into_inner(self) -> T {
        self.value
    }
}

impl<T: Future> Future for Timeout<T> {
    type Output = Result<T::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();

        let had_budget_before = coop::has_budget_remaining();
        if let Poll::Ready(output) = this.value.poll(cx) {
            return Poll::Ready(Ok(output));
        }

        let Some(delay) = this.delay.as_pin_mut() else {
            return Poll::Pending;
        };
        // If the inner future just spent the last of the budget, the timer
        // would answer Pending for that reason alone, and a future that
        // always burns its budget would never time out.
        let poll_delay = || delay.poll(cx).map(|()| Err(Elapsed::new()));
        if had_budget_before && !coop::has_budget_remaining() {
            coop::with_budget(Budget::unconstrained(), poll_delay)
        } else {
            poll_delay()
        }
    }
}
