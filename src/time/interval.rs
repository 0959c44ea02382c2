//! `Interval`: ticks at a fixed period, without drift.
//!
//! An `Interval` is a boxed `Sleep` whose deadline is the next tick. Each
//! completed tick moves the deadline forward by one period from the tick's
//! *scheduled* time (not from when it was observed), so lateness does not
//! accumulate. When a tick is observed more than `LATE_TOLERANCE` after it
//! was due, the [`MissedTickBehavior`] decides the next deadline.

use super::{deadline_after, sleep_until, Duration, Instant, Sleep};
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

/// A tick observed later than this after its deadline counts as missed.
/// Wakeups are a little late by nature (1 ms wheel resolution, scheduling);
/// that small lateness must not change the schedule. Tokio uses 5 ms too.
const LATE_TOLERANCE: Duration = Duration::from_millis(5);

/// Ticks every `period`, the first tick completing immediately.
///
/// Equivalent to [`interval_at(Instant::now(), period)`](interval_at). The
/// ticks stay on the grid `start + k * period` however long the code
/// between two ticks takes (unlike a loop of `sleep(period)`, which drifts
/// by that time); what happens when ticks are missed is set with
/// [`Interval::set_missed_tick_behavior`] (default
/// [`Burst`](MissedTickBehavior::Burst)).
///
/// # Panics
///
/// If `period` is zero; outside a runtime, or in one without the time
/// driver.
///
/// ```
/// use weave::time::{self, Duration, Instant};
///
/// # weave::runtime::Builder::new_current_thread().enable_time().start_paused(true)
/// #     .build().unwrap().block_on(async {
/// let start = Instant::now();
/// let mut interval = time::interval(Duration::from_millis(10));
/// interval.tick().await; // immediately
/// interval.tick().await; // 10 ms
/// interval.tick().await; // 20 ms
/// assert_eq!(start.elapsed(), Duration::from_millis(20));
/// # });
/// ```
#[track_caller]
pub fn interval(period: Duration) -> Interval {
    assert_period(period);
    Interval::new(sleep_until(Instant::now()), period)
}

/// Ticks every `period`, the first tick completing at `start`.
///
/// # Panics
///
/// If `period` is zero; outside a runtime, or in one without the time
/// driver.
///
/// ```
/// use weave::time::{self, Duration, Instant};
///
/// # weave::runtime::Builder::new_current_thread().enable_time().start_paused(true)
/// #     .build().unwrap().block_on(async {
/// let start = Instant::now() + Duration::from_millis(50);
/// let mut interval = time::interval_at(start, Duration::from_millis(10));
/// assert_eq!(interval.tick().await, start);
/// assert_eq!(interval.tick().await, start + Duration::from_millis(10));
/// # });
/// ```
#[track_caller]
pub fn interval_at(start: Instant, period: Duration) -> Interval {
    assert_period(period);
    Interval::new(sleep_until(start), period)
}

#[track_caller]
fn assert_period(period: Duration) {
    assert!(
        !period.is_zero(),
        "`interval` period must be non-zero: a zero period would tick forever without \
         yielding; use `task::yield_now()` in a loop for \"as often as possible\""
    );
}

/// What an [`Interval`] does when ticks were missed (the code between two
/// [`tick`](Interval::tick) calls ran longer than the period, or the task
/// was not polled in time).
///
/// An example: the period is 50 ms, ticks are due at 0, 50, 100, 150, ...
/// ms, and the tick due at 150 ms is only observed at 210 ms. Each behavior
/// then returns these ticks (the scheduled instants `tick()` returns), at
/// these times:
///
/// ```text
///           ticks returned          observed at
/// Burst:    150, 200, 250, 300      210, 210, 250, 300   (catch up, keep the grid)
/// Delay:    150, 260, 310, 360      210, 260, 310, 360   (new grid from 210)
/// Skip:     150, 250, 300, 350      210, 250, 300, 350   (keep the grid, drop 200)
/// ```
///
/// A tick observed at most 5 ms late is not "missed": the schedule goes on
/// unchanged (wake-ups are always a little late).
///
/// ```
/// use weave::time::{self, Duration, MissedTickBehavior};
///
/// # weave::runtime::Builder::new_current_thread().enable_time().start_paused(true)
/// #     .build().unwrap().block_on(async {
/// let mut interval = time::interval(Duration::from_secs(1));
/// interval.set_missed_tick_behavior(MissedTickBehavior::Skip);
/// assert_eq!(interval.missed_tick_behavior(), MissedTickBehavior::Skip);
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MissedTickBehavior {
    /// Fire the missed ticks back to back, as fast as they are polled, until
    /// the interval has caught up with its original schedule (the default:
    /// every tick happens, so a rate-counting loop keeps its count).
    ///
    /// ```
    /// # use weave::time::MissedTickBehavior;
    /// assert_eq!(MissedTickBehavior::default(), MissedTickBehavior::Burst);
    /// ```
    #[default]
    Burst,

    /// Forget the schedule: the next tick is one period after the late tick
    /// was observed, and the grid moves there.
    ///
    /// ```
    /// # use weave::time::{self, Duration, MissedTickBehavior};
    /// # weave::runtime::Builder::new_current_thread().enable_time().start_paused(true)
    /// #     .build().unwrap().block_on(async {
    /// let mut interval = time::interval(Duration::from_secs(1));
    /// interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
    /// # });
    /// ```
    Delay,

    /// Drop the missed ticks: the next tick is the next point of the
    /// original grid after the late tick was observed.
    ///
    /// ```
    /// # use weave::time::{self, Duration, MissedTickBehavior};
    /// # weave::runtime::Builder::new_current_thread().enable_time().start_paused(true)
    /// #     .build().unwrap().block_on(async {
    /// let mut interval = time::interval(Duration::from_secs(1));
    /// interval.set_missed_tick_behavior(MissedTickBehavior::Skip);
    /// # });
    /// ```
    Skip,
}

impl MissedTickBehavior {
    /// The deadline after a tick that was due at `due` and observed, late,
    /// at `now`.
    fn next_deadline(self, due: Instant, now: Instant, period: Duration) -> Instant {
        match self {
            MissedTickBehavior::Burst => deadline_after(due, period),
            MissedTickBehavior::Delay => deadline_after(now, period),
            MissedTickBehavior::Skip => {
                let late = (now - due).as_nanos();
                let into_period = nanos(late % period.as_nanos());
                deadline_after(now, period - into_period)
            }
        }
    }
}

/// `n` nanoseconds as a `Duration` (`n` is less than some `Duration`'s
/// nanosecond count, so it fits).
fn nanos(n: u128) -> Duration {
    const NANOS_PER_SEC: u128 = 1_000_000_000;
    Duration::new((n / NANOS_PER_SEC) as u64, (n % NANOS_PER_SEC) as u32)
}

/// Ticks at a fixed period; created by [`interval`] and [`interval_at`].
///
/// ```
/// use weave::time::{self, Duration};
///
/// # weave::runtime::Builder::new_current_thread().enable_time().start_paused(true)
/// #     .build().unwrap().block_on(async {
/// let mut interval = time::interval(Duration::from_secs(1));
/// for _ in 0..3 {
///     interval.tick().await;
///     // ... once a second ...
/// }
/// # });
/// ```
#[derive(Debug)]
pub struct Interval {
    /// Completes at the next tick's deadline. Boxed so that `Interval` is
    /// `Unpin` and `tick(&mut self)` can be used in `select!` loops.
    delay: Pin<Box<Sleep>>,
    period: Duration,
    missed_tick_behavior: MissedTickBehavior,
}

impl Interval {
    fn new(delay: Sleep, period: Duration) -> Interval {
        Interval {
            delay: Box::pin(delay),
            period,
            missed_tick_behavior: MissedTickBehavior::default(),
        }
    }

    /// Completes at the next tick and returns the instant the tick was
    /// *scheduled* for (not when it was observed).
    ///
    /// Cancel safe: dropping the `tick()` future before it completes loses
    /// no tick.
    ///
    /// ```
    /// use weave::time::{self, Duration, Instant};
    ///
    /// # weave::runtime::Builder::new_current_thread().enable_time().start_paused(true)
    /// #     .build().unwrap().block_on(async {
    /// let start = Instant::now();
    /// let mut interval = time::interval(Duration::from_millis(100));
    /// assert_eq!(interval.tick().await, start);
    /// assert_eq!(interval.tick().await, start + Duration::from_millis(100));
    /// # });
    /// ```
    pub async fn tick(&mut self) -> Instant {
        poll_fn(|cx| self.poll_tick(cx)).await
    }

    /// Polls for the next tick: `Ready(scheduled instant)` once it is due,
    /// else `Pending` with `cx`'s waker registered (only the waker of the
    /// last call is woken). For manual `Future` / `Stream` implementations.
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use weave::time::{self, Duration};
    ///
    /// # weave::runtime::Builder::new_current_thread().enable_time().start_paused(true)
    /// #     .build().unwrap().block_on(async {
    /// let mut interval = time::interval(Duration::from_millis(5));
    /// let first = poll_fn(|cx| interval.poll_tick(cx)).await;
    /// let second = poll_fn(|cx| interval.poll_tick(cx)).await;
    /// assert_eq!(second - first, Duration::from_millis(5));
    /// # });
    /// ```
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        ready!(self.delay.as_mut().poll(cx));

        let due = self.delay.deadline();
        let now = self.delay.clock_now();
        let next = if now > deadline_after(due, LATE_TOLERANCE) {
            self.missed_tick_behavior
                .next_deadline(due, now, self.period)
        } else {
            deadline_after(due, self.period)
        };
        // The next poll re-registers the entry; no need to touch the wheel
        // now (the caller may not poll again for a while).
        self.delay.as_mut().reset_lazily(next);
        Poll::Ready(due)
    }

    /// Restarts the schedule: the next tick is one period from now.
    ///
    /// ```
    /// use weave::time::{self, Duration, Instant};
    ///
    /// # weave::runtime::Builder::new_current_thread().enable_time().start_paused(true)
    /// #     .build().unwrap().block_on(async {
    /// let mut interval = time::interval(Duration::from_millis(100));
    /// interval.tick().await;
    /// time::sleep(Duration::from_millis(30)).await;
    /// interval.reset();
    /// let start = Instant::now();
    /// interval.tick().await;
    /// assert_eq!(start.elapsed(), Duration::from_millis(100));
    /// # });
    /// ```
    pub fn reset(&mut self) {
        let now = self.delay.clock_now();
        self.reset_at(deadline_after(now, self.period));
    }

    /// Makes the next tick complete immediately; later ticks follow one
    /// period apart from now.
    ///
    /// ```
    /// use weave::time::{self, Duration, Instant};
    ///
    /// # weave::runtime::Builder::new_current_thread().enable_time().start_paused(true)
    /// #     .build().unwrap().block_on(async {
    /// let mut interval = time::interval(Duration::from_secs(60));
    /// interval.tick().await;
    /// interval.reset_immediately();
    /// let start = Instant::now();
    /// interval.tick().await;
    /// assert_eq!(start.elapsed(), Duration::ZERO);
    /// # });
    /// ```
    pub fn reset_immediately(&mut self) {
        let now = self.delay.clock_now();
        self.reset_at(now);
    }

    /// Makes the next tick come `after` from now; later ticks follow one
    /// period apart from it.
    ///
    /// ```
    /// use weave::time::{self, Duration, Instant};
    ///
    /// # weave::runtime::Builder::new_current_thread().enable_time().start_paused(true)
    /// #     .build().unwrap().block_on(async {
    /// let mut interval = time::interval(Duration::from_millis(100));
    /// interval.tick().await;
    /// interval.reset_after(Duration::from_millis(30));
    /// let start = Instant::now();
    /// interval.tick().await;
    /// assert_eq!(start.elapsed(), Duration::from_millis(30));
    /// # });
    /// ```
    pub fn reset_after(&mut self, after: Duration) {
        let now = self.delay.clock_now();
        self.reset_at(deadline_after(now, after));
    }

    /// Makes the next tick come at `deadline`; later ticks follow one period
    /// apart from it.
    ///
    /// ```
    /// use weave::time::{self, Duration, Instant};
    ///
    /// # weave::runtime::Builder::new_current_thread().enable_time().start_paused(true)
    /// #     .build().unwrap().block_on(async {
    /// let mut interval = time::interval(Duration::from_millis(100));
    /// interval.tick().await;
    /// let at = Instant::now() + Duration::from_millis(250);
    /// interval.reset_at(at);
    /// assert_eq!(interval.tick().await, at);
    /// # });
    /// ```
    pub fn reset_at(&mut self, deadline: Instant) {
        self.delay.as_mut().reset(deadline);
    }

    /// The behavior for missed ticks (default
    /// [`Burst`](MissedTickBehavior::Burst)).
    ///
    /// ```
    /// use weave::time::{self, Duration, MissedTickBehavior};
    ///
    /// # weave::runtime::Builder::new_current_thread().enable_time().start_paused(true)
    /// #     .build().unwrap().block_on(async {
    /// let interval = time::interval(Duration::from_secs(1));
    /// assert_eq!(interval.missed_tick_behavior(), MissedTickBehavior::Burst);
    /// # });
    /// ```
    pub fn missed_tick_behavior(&self) -> MissedTickBehavior {
        self.missed_tick_behavior
    }

    /// Sets the behavior for missed ticks.
    ///
    /// ```
    /// use weave::time::{self, Duration, MissedTickBehavior};
    ///
    /// # weave::runtime::Builder::new_current_thread().enable_time().start_paused(true)
    /// #     .build().unwrap().block_on(async {
    /// let mut interval = time::interval(Duration::from_secs(1));
    /// interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
    /// # });
    /// ```
    pub fn set_missed_tick_behavior(&mut self, behavior: MissedTickBehavior) {
        self.missed_tick_behavior = behavior;
    }

    /// The period between ticks.
    ///
    /// ```
    /// use weave::time::{self, Duration};
    ///
    /// # weave::runtime::Builder::new_current_thread().enable_time().start_paused(true)
    /// #     .build().unwrap().block_on(async {
    /// assert_eq!(time::interval(Duration::from_secs(2)).period(), Duration::from_secs(2));
    /// # });
    /// ```
    pub fn period(&self) -> Duration {
        self.period
    }
}
