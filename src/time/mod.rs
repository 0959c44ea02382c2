//! Utilities for tracking time: sleeping, timeouts and periodic ticks.
//!
//! - [`sleep`] / [`sleep_until`] return a [`Sleep`] future that completes at
//!   a deadline (asyncio's `asyncio.sleep`).
//! - [`timeout`] / [`timeout_at`] (and [`FutureExt::timeout`]) bound how long
//!   a future may run (asyncio's `wait_for`).
//! - [`interval`] / [`interval_at`] return an [`Interval`] that ticks with a
//!   fixed period, with a choice of [`MissedTickBehavior`] for late ticks.
//! - [`Instant`] reads the runtime's clock, which tests can freeze with
//!   [`pause`], move with [`advance`], or start frozen with
//!   [`Builder::start_paused`](crate::runtime::Builder::start_paused): a
//!   paused clock jumps straight to the next timer whenever the runtime has
//!   nothing else to do, so an hour-long test timeout runs in microseconds.
//!
//! Timers need a runtime with the time driver
//! ([`Builder::enable_time`](crate::runtime::Builder::enable_time) or
//! `enable_all`, which `Runtime::new()` and `#[weave::main]` use). They have
//! millisecond resolution: a timer fires on the first driver tick at or after
//! its deadline, never before it.
//!
//! Layering: this module is the public face of `runtime::time` (the wheel,
//! the clock, `TimerEntry`); it only turns deadlines into entries and entries
//! into futures. Invariants kept here:
//! - A `Sleep` touches the wheel only when polled (registration is lazy), so
//!   creating and dropping a timer that is never polled costs no lock.
//! - No deadline arithmetic panics: durations too large for the platform's
//!   `Instant` saturate to a deadline about 30 years out, which never fires.
//!
//! ```
//! use weave::time::{self, Duration, Instant};
//!
//! #[weave::main(flavor = "current_thread", start_paused = true)]
//! async fn main() {
//!     let start = Instant::now();
//!     time::sleep(Duration::from_secs(60)).await; // instant: the clock is paused
//!     assert!(start.elapsed() >= Duration::from_secs(60));
//!
//!     let slow = time::sleep(Duration::from_secs(3600));
//!     assert!(time::timeout(Duration::from_secs(1), slow).await.is_err());
//! }
//! ```

mod clock;
pub mod error;
mod future_ext;
mod instant;
mod interval;
mod sleep;
mod timeout;

pub use clock::{advance, pause, resume};
pub use future_ext::FutureExt;
pub use instant::Instant;
pub use interval::{interval, interval_at, Interval, MissedTickBehavior};
pub use sleep::{sleep, sleep_until, Sleep};
pub use std::time::Duration;
pub use timeout::{timeout, timeout_at, Timeout};

/// About 30 years: the horizon used for deadlines too far away to represent
/// (Tokio uses the same figure; 1000 years overflows `Instant` on some
/// platforms).
const FAR_FUTURE: Duration = Duration::from_secs(86_400 * 365 * 30);

/// `now + duration`, saturating at `now + FAR_FUTURE` (or less, on a platform
/// whose `Instant` cannot reach that far), so it never panics.
pub(crate) fn deadline_after(now: Instant, duration: Duration) -> Instant {
    if let Some(deadline) = now.checked_add(duration.min(FAR_FUTURE)) {
        return deadline;
    }
    let mut horizon = FAR_FUTURE;
    loop {
        horizon /= 2;
        if let Some(deadline) = now.checked_add(horizon) {
            return deadline;
        }
        if horizon.is_zero() {
            return now;
        }
    }
}
