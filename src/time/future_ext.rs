//! `FutureExt`: timeouts as a method on any future (not in Tokio).

use super::{Duration, Timeout};
use std::future::Future;

/// Time-related methods for every [`Future`] (weave's addition; Tokio has
/// only the free function [`timeout`](super::timeout)).
///
/// Bring it into scope with `use weave::time::FutureExt;` (it may clash
/// with `futures::FutureExt` by name: import one of them `as _`).
///
/// ```
/// use weave::time::{Duration, FutureExt};
///
/// # weave::runtime::Builder::new_current_thread().enable_time().start_paused(true)
/// #     .build().unwrap().block_on(async {
/// let answer = async { 42 }.timeout(Duration::from_secs(1)).await;
/// assert_eq!(answer, Ok(42));
/// # });
/// ```
pub trait FutureExt: Future {
    /// Requires `self` to complete within `duration`: asyncio's
    /// `asyncio.wait_for(aw, timeout)`, and the same as
    /// [`time::timeout(duration, self)`](super::timeout).
    ///
    /// # Panics
    ///
    /// Outside a runtime, or in one without the time driver.
    ///
    /// ```
    /// use weave::time::{Duration, FutureExt};
    ///
    /// # weave::runtime::Builder::new_current_thread().enable_time().start_paused(true)
    /// #     .build().unwrap().block_on(async {
    /// let never = std::future::pending::<()>();
    /// let err = never.timeout(Duration::from_secs(5)).await.unwrap_err();
    /// assert_eq!(err.to_string(), "deadline has elapsed");
    /// # });
    /// ```
    #[doc(alias = "wait_for")]
    #[track_caller]
    fn timeout(self, duration: Duration) -> Timeout<Self>
    where
        Self: Sized,
    {
        super::timeout(duration, self)
    }
}

impl<F: Future + ?Sized> FutureExt for F {}
