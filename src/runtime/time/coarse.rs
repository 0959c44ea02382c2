//! A cheap answer to "has this deadline passed?" for deadlines far from now.
//!
//! Registering a timer must complete it at once if its deadline has already
//! passed, which needs the current time. A precise clock read
//! (`CLOCK_MONOTONIC` through the vDSO) costs about 24 ns on the 2-core
//! machine we measure on, a quarter of a whole sleep registration; the
//! kernel's coarse clock (`CLOCK_MONOTONIC_COARSE`, the time at the last
//! scheduler tick) costs about 4 ns. The coarse clock is never ahead of the
//! precise one and lags it by about one tick, so:
//!
//! - a deadline at or before the coarse time has certainly passed;
//! - a deadline more than [`CoarseClock::slack`] after it has certainly not
//!   (as long as the lag stays under the slack; if it ever does not, a timer
//!   already due is inserted in the wheel and fires at the driver's next
//!   turn instead of on its first poll: late by a turn, never lost);
//! - anything in between asks the precise clock.
//!
//! Invariant: `base_nanos` was read from `CLOCK_MONOTONIC` *after* `base`
//! was taken, so `coarse_now - base_nanos` never exceeds the real time
//! elapsed since `base` (std's `Instant` is `CLOCK_MONOTONIC` on Linux).

use std::time::{Duration, Instant};

#[derive(Debug)]
pub(crate) struct CoarseClock {
    base: Instant,
    /// `CLOCK_MONOTONIC` in nanoseconds, read just after `base`.
    base_nanos: u64,
    /// Deadlines this far past the coarse time are certainly in the future.
    slack: Duration,
}

impl CoarseClock {
    /// `None` where there is no usable coarse clock (not Linux, or a coarse
    /// resolution too poor to help).
    pub(crate) fn new() -> Option<CoarseClock> {
        imp::new()
    }

    /// `Some(answer)` if the coarse clock decides whether `deadline` has
    /// passed; `None` if it is too close to call.
    pub(crate) fn has_passed(&self, deadline: Instant) -> Option<bool> {
        let Some(deadline) = deadline.checked_duration_since(self.base) else {
            return Some(true);
        };
        let elapsed = Duration::from_nanos(imp::coarse_nanos()?.saturating_sub(self.base_nanos));
        if deadline <= elapsed {
            Some(true)
        } else if deadline > elapsed + self.slack {
            Some(false)
        } else {
            None
        }
    }
}

#[cfg(all(target_os = "linux", not(loom)))]
mod imp {
    use super::CoarseClock;
    use std::time::{Duration, Instant};

    /// The coarse clock's resolution must be at most this for it to be used.
    const MAX_RESOLUTION: Duration = Duration::from_millis(20);

    fn read(clock: libc::clockid_t) -> Option<u64> {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid, writable timespec for the call.
        let rc = unsafe { libc::clock_gettime(clock, &mut ts) };
        if rc != 0 {
            return None;
        }
        Some((ts.tv_sec as u64).saturating_mul(1_000_000_000) + ts.tv_nsec as u64)
    }

    pub(super) fn coarse_nanos() -> Option<u64> {
        read(libc::CLOCK_MONOTONIC_COARSE)
    }

    pub(super) fn new() -> Option<CoarseClock> {
        let mut res = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `res` is a valid, writable timespec for the call.
        if unsafe { libc::clock_getres(libc::CLOCK_MONOTONIC_COARSE, &mut res) } != 0 {
            return None;
        }
        let resolution = Duration::new(res.tv_sec as u64, res.tv_nsec as u32);
        if resolution.is_zero() || resolution > MAX_RESOLUTION {
            return None;
        }
        coarse_nanos()?;
        let base = Instant::now();
        let base_nanos = read(libc::CLOCK_MONOTONIC)?;
        Some(CoarseClock {
            base,
            base_nanos,
            // Three ticks: the lag is one tick, plus room for a late one.
            slack: resolution * 3,
        })
    }
}

#[cfg(not(all(target_os = "linux", not(loom))))]
mod imp {
    use super::CoarseClock;

    pub(super) fn coarse_nanos() -> Option<u64> {
        None
    }

    pub(super) fn new() -> Option<CoarseClock> {
        None
    }
}

#[cfg(all(test, target_os = "linux", not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn decides_far_deadlines_and_defers_near_ones() {
        let c = CoarseClock::new().expect("Linux has a coarse monotonic clock");
        let now = Instant::now();
        assert_eq!(c.has_passed(now - Duration::from_secs(1)), Some(true));
        assert_eq!(c.has_passed(now + Duration::from_secs(1)), Some(false));
        // Within a tick of now: either undecided or (if the coarse clock
        // happens to be exact) correct, never "not passed".
        assert_ne!(c.has_passed(now), Some(false));
        assert_eq!(c.has_passed(c.base - Duration::from_nanos(1)), Some(true));
    }

    #[test]
    fn never_claims_a_passed_deadline_is_future() {
        let c = CoarseClock::new().unwrap();
        for _ in 0..10_000 {
            let now = Instant::now();
            assert_ne!(c.has_passed(now), Some(false));
        }
    }
}
