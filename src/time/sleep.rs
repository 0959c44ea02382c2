//! `Sleep`: a future that completes at a deadline.
//!
//! A `Sleep` holds its `TimerEntry` inline (so it is `!Unpin`) and the
//! deadline as the user gave it (the wheel rounds it up to its 1 ms
//! resolution). The entry joins the wheel on the first poll, not at
//! creation, and leaves it when the `Sleep` is dropped.

use super::{deadline_after, error::Error, Duration, Instant};
use crate::runtime::context;
use crate::runtime::time::TimerEntry;
use pin_project_lite::pin_project;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

/// Waits until `duration` has elapsed (asyncio's `asyncio.sleep`).
///
/// Equivalent to `sleep_until(Instant::now() + duration)`, except that a
/// duration too large to add (such as `Duration::MAX`) gives a deadline
/// about 30 years out instead of panicking: that sleep never completes.
/// A zero duration completes on the first poll (after charging the task's
/// cooperative budget, so a loop of zero sleeps still lets others run).
///
/// The resolution is one millisecond; the sleep completes on the first
/// timer tick at or after its deadline, never before. To repeat something at
/// a fixed rate, prefer [`interval`](super::interval), which does not drift.
///
/// # Panics
///
/// Outside a runtime, or in one built without the time driver (see
/// [`Builder::enable_time`](crate::runtime::Builder::enable_time)). The
/// check happens here, when the `Sleep` is created, not when it is polled.
///
/// ```
/// use weave::time::{sleep, Duration};
///
/// # weave::runtime::Builder::new_current_thread().enable_time().start_paused(true)
/// #     .build().unwrap().block_on(async {
/// sleep(Duration::from_millis(100)).await;
/// println!("100 ms have elapsed");
/// # });
/// ```
#[track_caller]
pub fn sleep(duration: Duration) -> Sleep {
    let handle = context::time_handle("time::sleep");
    let now = Instant::from_std(handle.clock().now());
    Sleep::new(handle, deadline_after(now, duration))
}

/// Waits until `deadline` is reached. A deadline in the past completes on the
/// first poll.
///
/// # Panics
///
/// Outside a runtime, or in one built without the time driver.
///
/// ```
/// use weave::time::{sleep_until, Duration, Instant};
///
/// # weave::runtime::Builder::new_current_thread().enable_time().start_paused(true)
/// #     .build().unwrap().block_on(async {
/// let deadline = Instant::now() + Duration::from_secs(10);
/// sleep_until(deadline).await;
/// assert!(Instant::now() >= deadline);
/// # });
/// ```
#[track_caller]
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep::new(context::time_handle("time::sleep_until"), deadline)
}

pin_project! {
    /// Future returned by [`sleep`] and [`sleep_until`].
    ///
    /// `Sleep` is `!Unpin`: pin it before polling it by hand or awaiting it
    /// by reference, for example with `std::pin::pin!` or `Box::pin` (in
    /// `select!` loops this lets one `Sleep` be [`reset`](Sleep::reset)
    /// instead of re-created).
    ///
    /// ```
    /// use weave::time::{self, Duration, Instant};
    ///
    /// # weave::runtime::Builder::new_current_thread().enable_time().start_paused(true)
    /// #     .build().unwrap().block_on(async {
    /// let mut sleep = std::pin::pin!(time::sleep(Duration::from_secs(1)));
    /// (&mut sleep).await;
    /// assert!(sleep.is_elapsed());
    ///
    /// // Reuse the same timer for another second.
    /// sleep.as_mut().reset(Instant::now() + Duration::from_secs(1));
    /// sleep.await;
    /// # });
    /// ```
    #[derive(Debug)]
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Sleep {
        // The deadline as requested; the entry holds the same instant.
        deadline: Instant,
        #[pin]
        entry: TimerEntry,
    }
}

impl Sleep {
    pub(crate) fn new(handle: crate::runtime::time::TimeHandle, deadline: Instant) -> Sleep {
        Sleep {
            deadline,
            entry: TimerEntry::new(handle, deadline.into_std()),
        }
    }

    /// The instant at which this sleep completes.
    ///
    /// ```
    /// use weave::time::{sleep_until, Duration, Instant};
    ///
    /// # weave::runtime::Builder::new_current_thread().enable_time().start_paused(true)
    /// #     .build().unwrap().block_on(async {
    /// let deadline = Instant::now() + Duration::from_secs(1);
    /// assert_eq!(sleep_until(deadline).deadline(), deadline);
    /// # });
    /// ```
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// True once the timer has fired (the deadline passed and the driver
    /// noticed); false for a `Sleep` that has not been polled yet.
    ///
    /// ```
    /// use weave::time::{sleep, Duration};
    ///
    /// # weave::runtime::Builder::new_current_thread().enable_time().start_paused(true)
    /// #     .build().unwrap().block_on(async {
    /// let mut s = std::pin::pin!(sleep(Duration::from_millis(10)));
    /// assert!(!s.is_elapsed());
    /// (&mut s).await;
    /// assert!(s.is_elapsed());
    /// # });
    /// ```
    pub fn is_elapsed(&self) -> bool {
        self.entry.is_elapsed()
    }

    /// Moves the deadline to `deadline`, earlier or later, even after the
    /// sleep has completed; the sleep completes again at the new deadline.
    /// The timer keeps its registration (no allocation, O(1)), and a task
    /// already waiting on it is woken at the new deadline.
    ///
    /// ```
    /// use weave::time::{sleep, Duration, Instant};
    ///
    /// # weave::runtime::Builder::new_current_thread().enable_time().start_paused(true)
    /// #     .build().unwrap().block_on(async {
    /// let start = Instant::now();
    /// let mut s = std::pin::pin!(sleep(Duration::from_secs(3600)));
    /// s.as_mut().reset(start + Duration::from_secs(1));
    /// s.await;
    /// assert_eq!(start.elapsed(), Duration::from_secs(1));
    /// # });
    /// ```
    pub fn reset(self: Pin<&mut Self>, deadline: Instant) {
        let this = self.project();
        *this.deadline = deadline;
        this.entry.reset(deadline.into_std(), true);
    }

    /// Like [`reset`](Sleep::reset), but leaves a registered entry where it
    /// is in the wheel until the next poll (cheaper when the caller is about
    /// to poll anyway, as `Interval` is).
    pub(crate) fn reset_lazily(self: Pin<&mut Self>, deadline: Instant) {
        let this = self.project();
        *this.deadline = deadline;
        this.entry.reset(deadline.into_std(), false);
    }

    /// The current time on this sleep's runtime clock.
    pub(crate) fn clock_now(&self) -> Instant {
        Instant::from_std(self.entry.handle().clock().now())
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // A timer is a resource like any other: charge the task's budget so
        // a loop of already-elapsed sleeps still yields to other tasks.
        let coop = ready!(crate::coop::poll_proceed(cx));
        match ready!(self.project().entry.poll_elapsed(cx)) {
            Ok(()) => {
                coop.made_progress();
                Poll::Ready(())
            }
            Err(err) => panic!("{}", Error::from(err)),
        }
    }
}
