//! What an idle runtime thread blocks on.
//!
//! A thread with no task to run parks on the [`Driver`]. Without a time
//! driver that is a plain condvar parker. With one, parking means "sleep
//! until the earliest timer deadline (or until unparked), then fire the
//! timers that are due"; with a paused clock and nothing else to do, the
//! clock jumps straight to that deadline instead (auto-advance). With the
//! I/O driver, the thread blocks in mio's `epoll_wait` instead of on a
//! condvar, and dispatches I/O events when it returns (see
//! `runtime/io/driver.rs` for why the parked worker, not a dedicated
//! thread, turns the reactor).
//!
//! Only one thread turns the driver at a time (the schedulers keep it behind
//! a try-lock or inside their core); [`DriverHandle::unpark`] wakes that
//! thread from anywhere, and registering a timer earlier than the one it
//! sleeps towards does the same.

use super::io::{IoDriver, IoHandle};
use super::time::{Clock, TimeHandle};
use crate::park::{ParkThread, Unparker};
use std::io;
use std::time::Duration;

/// Which drivers to build.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DriverConfig {
    pub(crate) enable_io: bool,
    pub(crate) enable_time: bool,
    pub(crate) start_paused: bool,
    /// Most I/O events taken from the OS per driver poll.
    pub(crate) max_io_events: usize,
}

/// The resource drivers of one runtime.
#[derive(Debug)]
pub(crate) struct Driver {
    park: Park,
    time: Option<TimeHandle>,
}

/// What the driver thread blocks on.
#[derive(Debug)]
enum Park {
    Thread(ParkThread),
    Io(IoDriver),
}

impl Park {
    /// Blocks for at most `timeout` (`None`: until unparked). True if
    /// unparked (or, for I/O, if events were delivered).
    fn park(&mut self, timeout: Option<Duration>) -> bool {
        match (self, timeout) {
            (Park::Thread(p), None) => {
                p.park();
                true
            }
            (Park::Thread(p), Some(d)) => p.park_timeout(d),
            (Park::Io(io), timeout) => io.park(timeout),
        }
    }
}

#[derive(Clone, Debug)]
enum Unpark {
    Thread(Unparker),
    Io(IoHandle),
}

/// Wakes the thread parked on the [`Driver`]; gives access to the timers.
/// Cheap to clone.
#[derive(Clone, Debug)]
pub(crate) struct DriverHandle {
    unpark: Unpark,
    pub(crate) time: Option<TimeHandle>,
    pub(crate) io: Option<IoHandle>,
}

impl Driver {
    /// Fails only if the I/O driver cannot be created (for example, no file
    /// descriptors left).
    pub(crate) fn new(config: DriverConfig) -> io::Result<(Driver, DriverHandle)> {
        let (park, unpark, io) = if config.enable_io {
            let (driver, handle) = IoDriver::new(config.max_io_events)?;
            (Park::Io(driver), Unpark::Io(handle.clone()), Some(handle))
        } else {
            let park = ParkThread::new();
            let unpark = park.unparker();
            (Park::Thread(park), Unpark::Thread(unpark), None)
        };
        let time = (config.enable_time || config.start_paused).then(|| {
            let clock = Clock::new(config.start_paused);
            match &unpark {
                Unpark::Thread(u) => TimeHandle::new(clock, u.clone()),
                Unpark::Io(u) => TimeHandle::new(clock, u.clone()),
            }
        });
        Ok((
            Driver {
                park,
                time: time.clone(),
            },
            DriverHandle { unpark, time, io },
        ))
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
            self.park.park(limit);
            return;
        };
        if limit == Some(Duration::ZERO) {
            // Just fire what is due. Asking for the next deadline would tell
            // the timers that someone sleeps until then, which is not so.
            self.park.park(Some(Duration::ZERO));
            time.process();
            return;
        }
        let clock = time.clock();
        match time.next_deadline() {
            Some(deadline) if clock.can_auto_advance() => {
                // Paused clock and an idle runtime: unless someone already
                // asked us to get up (or I/O woke a task), jump to the next
                // deadline.
                if !self.park.park(Some(Duration::ZERO)) {
                    clock.advance_to(deadline);
                }
            }
            Some(_) if clock.is_paused() => {
                // Paused, but auto-advance is held back (a blocking task
                // runs): the clock will not move on its own, so sleep until
                // woken; releasing the hold unparks us.
                self.park.park(limit);
            }
            Some(deadline) => {
                let wait = deadline.saturating_duration_since(clock.now());
                let wait = limit.map_or(wait, |l| l.min(wait));
                self.park.park(Some(wait));
            }
            None => {
                self.park.park(limit);
            }
        }
        time.process();
    }

    /// Runtime shutdown: timers still registered fail from now on.
    pub(crate) fn shutdown(&mut self) {
        if let Some(time) = &self.time {
            time.shutdown();
        }
        if let Park::Io(io) = &mut self.park {
            io.shutdown();
        }
    }
}

impl DriverHandle {
    pub(crate) fn unpark(&self) {
        match &self.unpark {
            Unpark::Thread(u) => u.unpark(),
            Unpark::Io(u) => u.unpark(),
        }
    }
}
