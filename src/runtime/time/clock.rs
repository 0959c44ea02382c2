//! The runtime's clock: real time, or a paused test clock.
//!
//! While paused, `now()` only moves when told to: by `advance`, or by the
//! driver's *auto-advance* — when every task is idle and nothing holds
//! auto-advance back (a running `spawn_blocking` task does), the driver jumps
//! the clock straight to the next timer deadline instead of sleeping.
//!
//! Invariant: `now()` never goes backwards; pausing freezes it at the moment
//! of the pause and resuming continues from the frozen value.

use crate::loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use crate::loom::sync::Mutex;
use crate::runtime::time::coarse::CoarseClock;
use std::time::{Duration, Instant};

#[derive(Debug)]
pub(crate) struct Clock {
    /// False until the clock is first paused: until then `now()` is the real
    /// time and needs no lock (the common case, read on every timer).
    modified: AtomicBool,
    /// Number of reasons auto-advance must wait (running blocking tasks).
    /// An atomic, not in `inner`: every `spawn_blocking` touches it.
    inhibit: AtomicUsize,
    inner: Mutex<Inner>,
    /// Answers `has_passed` for far deadlines without a precise clock read.
    coarse: Option<CoarseClock>,
}

#[derive(Debug)]
struct Inner {
    /// Virtual minus real time, in nanoseconds, while running. Negative after
    /// a pause (time stood still), positive after an `advance`.
    offset_nanos: i128,
    /// `Some(virtual now)` while paused.
    paused: Option<Instant>,
}

fn shift(t: Instant, nanos: i128) -> Instant {
    let d = Duration::from_nanos(nanos.unsigned_abs().min(u64::MAX as u128) as u64);
    if nanos >= 0 {
        t.checked_add(d).unwrap_or(t)
    } else {
        t.checked_sub(d).unwrap_or(t)
    }
}

fn signed_nanos(later: Instant, earlier: Instant) -> i128 {
    if later >= earlier {
        (later - earlier).as_nanos() as i128
    } else {
        -((earlier - later).as_nanos() as i128)
    }
}

impl Clock {
    pub(crate) fn new(start_paused: bool) -> Clock {
        Clock {
            inhibit: AtomicUsize::new(0),
            modified: AtomicBool::new(start_paused),
            inner: Mutex::new(Inner {
                offset_nanos: 0,
                paused: start_paused.then(Instant::now),
            }),
            coarse: CoarseClock::new(),
        }
    }

    /// True if `deadline` is at or before `now()`. Cheaper than comparing
    /// with `now()` when the deadline is far from now (see `coarse`).
    pub(crate) fn has_passed(&self, deadline: Instant) -> bool {
        if !self.modified.load(Ordering::Acquire) {
            if let Some(answer) = self.coarse.as_ref().and_then(|c| c.has_passed(deadline)) {
                return answer;
            }
        }
        deadline <= self.now()
    }

    pub(crate) fn now(&self) -> Instant {
        if !self.modified.load(Ordering::Acquire) {
            return Instant::now();
        }
        let inner = self.inner.lock();
        match inner.paused {
            Some(v) => v,
            None => shift(Instant::now(), inner.offset_nanos),
        }
    }

    pub(crate) fn is_paused(&self) -> bool {
        self.modified.load(Ordering::Acquire) && self.inner.lock().paused.is_some()
    }

    /// Freezes the clock. Panics if it is already paused (Tokio's rule).
    #[track_caller]
    pub(crate) fn pause(&self) {
        let mut inner = self.inner.lock();
        if inner.paused.is_some() {
            drop(inner);
            panic!("`time::pause()` called while time is already paused");
        }
        inner.paused = Some(shift(Instant::now(), inner.offset_nanos));
        self.modified.store(true, Ordering::Release);
    }

    /// Lets the clock run again from where it stood.
    #[track_caller]
    pub(crate) fn resume(&self) {
        let mut inner = self.inner.lock();
        let Some(virtual_now) = inner.paused.take() else {
            drop(inner);
            panic!("`time::resume()` called while time is not paused");
        };
        inner.offset_nanos = signed_nanos(virtual_now, Instant::now());
    }

    /// Moves a paused clock forward by `d` (saturating far in the future).
    #[track_caller]
    pub(crate) fn advance(&self, d: Duration) {
        let mut inner = self.inner.lock();
        let Some(v) = inner.paused else {
            drop(inner);
            panic!("`time::advance()` needs a paused clock: call `time::pause()` first");
        };
        inner.paused = Some(v.checked_add(d).unwrap_or(v));
    }

    /// Moves a paused clock forward to `deadline` (if it is in the future).
    pub(crate) fn advance_to(&self, deadline: Instant) {
        let mut inner = self.inner.lock();
        if let Some(v) = inner.paused {
            if deadline > v {
                inner.paused = Some(deadline);
            }
        }
    }

    pub(crate) fn inhibit_auto_advance(&self) {
        self.inhibit.fetch_add(1, Ordering::SeqCst);
    }

    /// Releases one hold. True if that was the last one and the clock is
    /// paused: the driver may be waiting for exactly this and should be woken.
    pub(crate) fn allow_auto_advance(&self) -> bool {
        let prev = self.inhibit.fetch_sub(1, Ordering::SeqCst);
        debug_assert!(prev > 0, "auto-advance allowed more often than inhibited");
        prev == 1 && self.is_paused()
    }

    /// True if the clock is paused and nothing holds auto-advance back.
    pub(crate) fn can_auto_advance(&self) -> bool {
        if !self.modified.load(Ordering::Acquire) {
            return false;
        }
        self.inhibit.load(Ordering::SeqCst) == 0 && self.inner.lock().paused.is_some()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn paused_clock_moves_only_when_told() {
        let c = Clock::new(true);
        let t0 = c.now();
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(c.now(), t0);
        c.advance(Duration::from_secs(3600));
        assert_eq!(c.now(), t0 + Duration::from_secs(3600));
        c.advance_to(t0);
        assert_eq!(c.now(), t0 + Duration::from_secs(3600), "never backwards");
    }

    #[test]
    fn resume_continues_from_frozen_time() {
        let c = Clock::new(false);
        c.pause();
        let frozen = c.now();
        std::thread::sleep(Duration::from_millis(5));
        c.resume();
        let after = c.now();
        assert!(after >= frozen);
        assert!(
            after - frozen < Duration::from_millis(5),
            "paused time was counted"
        );
    }

    #[test]
    fn auto_advance_is_inhibited() {
        let c = Clock::new(true);
        assert!(c.can_auto_advance());
        c.inhibit_auto_advance();
        assert!(!c.can_auto_advance());
        c.allow_auto_advance();
        assert!(c.can_auto_advance());
    }
}
