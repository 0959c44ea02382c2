//! What an idle runtime thread blocks on.
//!
//! A thread with no task to run parks on the [`Driver`]. Without a time
//! driver that is a plain condvar parker. With one, parking means "sleep
//! until the earliest timer deadline (or until unparked), then fire the
//! timers that are due"; with a paused clock and nothing else to do, the
//! clock jumps straight to that deadline instead (auto-advance). The I/O
//! driver (mio) will wrap the same park.
//!
//! Only one thread turns the driver at a time (the schedulers keep it behind
//! a try-lock or inside their core); [`DriverHandle::unpark`] wakes that
//! thread from anywhere, and registering a timer earlier than the one it
//! sleeps towards does the same.

use super::time::{Clock, TimeHandle};
use crate::park::{ParkThread, Unparker};
use std::time::Duration;

/// Which drivers to build.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DriverConfig {
    pub(crate) enable_time: bool,
    pub(crate) start_paused: bool,
}

/// The resource drivers of one runtime.
#[derive(Debug)]
pub(crate) struct Driver {
    park: ParkThread,
    time: Option<TimeHandle>,
}

/// Wakes the thread parked on the [`Driver`]; gives access to the timers.
/// Cheap to clone.
#[derive(Clone, Debug)]
pub(crate) struct DriverHandle {
    unpark: Unparker,
    pub(crate) time: Option<TimeHandle>,
}

impl Driver {
    pub(crate) fn new(config: DriverConfig) -> (Driver, DriverHandle) {
        let park = ParkThread::new();
        let unpark = park.unparker();
        let time = (config.enable_time || config.start_paused)
            .then(|| TimeHandle::new(Clock::new(config.start_paused), unpark.clone()));
        (
            Driver {
                park,
                time: time.clone(),
            },
            DriverHandle { unpark, time },
        )
    }

    /// Blocks until unparked or until a timer is due, then fires due timers.
    pub(crate) fn park(&mut self) {
        self.park_inner(None);
    }

    /// Like [`park`](Self::park), blocking at most `timeout`; a zero timeout
    /// just fires whatever timers are due.
    pub(crate) fn park_timeout(&mut self, timeout: Duration) {
        self.park_inner(Some(timeout));
    }

    fn park_inner(&mut self, limit: Option<Duration>) {
        let Some(time) = &self.time else {
            match limit {
                None => self.park.park(),
                Some(d) => {
                    self.park.park_timeout(d);
                }
            }
            return;
        };
        if limit == Some(Duration::ZERO) {
            // Just fire what is due. Asking for the next deadline would tell
            // the timers that someone sleeps until then, which is not so.
            self.park.park_timeout(Duration::ZERO);
            time.process();
            return;
        }
        let clock = time.clock();
        match time.next_deadline() {
            Some(deadline) if clock.can_auto_advance() => {
                // Paused clock and an idle runtime: unless someone already
                // asked us to get up, jump to the next deadline.
                if !self.park.park_timeout(Duration::ZERO) {
                    clock.advance_to(deadline);
                }
            }
            Some(_) if clock.is_paused() => {
                // Paused, but auto-advance is held back (a blocking task
                // runs): the clock will not move on its own, so sleep until
                // woken; releasing the hold unparks us.
                match limit {
                    None => self.park.park(),
                    Some(d) => {
                        self.park.park_timeout(d);
                    }
                }
            }
            Some(deadline) => {
                let wait = deadline.saturating_duration_since(clock.now());
                let wait = limit.map_or(wait, |l| l.min(wait));
                self.park.park_timeout(wait);
            }
            None => match limit {
                None => self.park.park(),
                Some(d) => {
                    self.park.park_timeout(d);
                }
            },
        }
        time.process();
    }

    /// Runtime shutdown: timers still registered fail from now on.
    pub(crate) fn shutdown(&mut self) {
        if let Some(time) = &self.time {
            time.shutdown();
        }
    }
}

impl DriverHandle {
    pub(crate) fn unpark(&self) {
        self.unpark.unpark();
    }
}
