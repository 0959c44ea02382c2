//! The clock debug mode reads around every poll.
//!
//! Debug mode times every poll, and must not slow a runtime down by more
//! than a tenth. A yield-and-reschedule round costs about 20 ns here; a
//! precise clock read (`CLOCK_MONOTONIC` through the vDSO) about 24 ns and
//! the kernel's coarse clock about 4 ns (see `time/coarse.rs`), so even two
//! coarse reads per poll would add 40%. Instead, a ticker thread stores the
//! time in one global atomic every [`TICK`], and a poll reads that atomic
//! twice: two loads of a cache line that changes once a tick.
//!
//! Readings lag real time by at most a tick plus however late the ticker
//! thread is scheduled, so one poll's duration is exact to about a tick:
//! plenty for a slow-poll threshold of tens of milliseconds. A sum of many
//! short polls (a task's busy time) is right on average: a poll of length
//! `d` straddles a tick with probability `d / TICK`.
//!
//! Invariants:
//! - At most one ticker thread runs at a time; it runs while at least one
//!   [`ClockUser`] (one per debug-mode runtime) is alive, and exits promptly
//!   when the last one is dropped.
//! - [`now`] never goes backwards: only the ticker stores it, and each store
//!   is a later `Instant` than the previous one.

use parking_lot::{Condvar, Mutex};
use std::io;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How often the ticker advances the clock.
pub(crate) const TICK: Duration = Duration::from_millis(1);

/// Nanoseconds since [`epoch`], as of the ticker's latest store.
static NOW: AtomicU64 = AtomicU64::new(0);

struct Ticker {
    /// Live `ClockUser`s.
    users: usize,
    /// A ticker thread is running (it clears this, under the lock, as it
    /// exits).
    running: bool,
}

static TICKER: Mutex<Ticker> = Mutex::new(Ticker {
    users: 0,
    running: false,
});
/// Wakes the ticker early when the last user goes.
static TICKER_STOP: Condvar = Condvar::new();

/// The current time in nanoseconds since the process's epoch, to about a
/// tick. Only meaningful while a [`ClockUser`] is alive.
#[inline]
pub(crate) fn now() -> u64 {
    NOW.load(Relaxed)
}

/// The instant readings count from: one per process, so tasks of different
/// runtimes compare.
fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

fn store_now() {
    let nanos = epoch().elapsed().as_nanos();
    NOW.store(u64::try_from(nanos).unwrap_or(u64::MAX), Relaxed);
}

/// Keeps the ticker running while alive.
#[derive(Debug)]
pub(crate) struct ClockUser(());

impl ClockUser {
    /// Registers a user, starting the ticker thread if none runs. Fails if
    /// the thread cannot be started.
    pub(crate) fn new() -> io::Result<ClockUser> {
        let mut ticker = TICKER.lock();
        // Fresh before the first poll reads it.
        store_now();
        if !ticker.running {
            std::thread::Builder::new()
                .name("weave-debug-clock".into())
                .spawn(run_ticker)
                .map_err(|e| {
                    io::Error::new(
                        e.kind(),
                        format!("could not start debug mode's clock thread: {e}"),
                    )
                })?;
            ticker.running = true;
        }
        ticker.users += 1;
        Ok(ClockUser(()))
    }
}

impl Drop for ClockUser {
    fn drop(&mut self) {
        let mut ticker = TICKER.lock();
        ticker.users -= 1;
        if ticker.users == 0 {
            TICKER_STOP.notify_all();
        }
    }
}

fn run_ticker() {
    let mut ticker = TICKER.lock();
    while ticker.users > 0 {
        store_now();
        // Waiting on the condvar (not sleeping) lets the last user's drop
        // stop the thread at once.
        TICKER_STOP.wait_for(&mut ticker, TICK);
    }
    ticker.running = false;
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn the_clock_advances_while_used_and_the_ticker_stops_after() {
        let user = ClockUser::new().unwrap();
        let start = now();
        let deadline = Instant::now() + Duration::from_secs(10);
        while now() < start + 5 * TICK.as_nanos() as u64 {
            assert!(Instant::now() < deadline, "the clock does not advance");
            std::thread::sleep(TICK);
        }
        drop(user);
        // Another user (other tests may hold one too) restarts or keeps it.
        let again = ClockUser::new().unwrap();
        let t = now();
        while now() == t {
            assert!(Instant::now() < deadline, "the clock does not advance");
            std::thread::sleep(TICK);
        }
        drop(again);
    }
}
