//! What an idle runtime thread blocks on.
//!
//! A thread with no task to run parks on the [`Driver`]. Today the driver is a
//! plain condvar parker; the time driver (timer wheel) and the I/O driver
//! (mio) wrap it: parking then means "wait for the earliest timer deadline or
//! an I/O event", and [`DriverHandle::unpark`] wakes the thread from any
//! other thread. Only one thread turns the driver at a time (the schedulers
//! keep it behind a try-lock); the others park on their own condvar.

use crate::park::{ParkThread, Unparker};
use std::time::Duration;

/// The resource drivers of one runtime.
#[derive(Debug)]
pub(crate) struct Driver {
    park: ParkThread,
}

/// Wakes a thread parked on the [`Driver`]. Cheap to clone.
#[derive(Clone, Debug)]
pub(crate) struct DriverHandle {
    unpark: Unparker,
}

impl Driver {
    pub(crate) fn new() -> (Driver, DriverHandle) {
        let park = ParkThread::new();
        let unpark = park.unparker();
        (Driver { park }, DriverHandle { unpark })
    }

    /// Blocks until unparked or until an event arrives.
    pub(crate) fn park(&mut self) {
        self.park.park();
    }

    /// Processes whatever is ready without blocking (with a zero timeout) or
    /// blocks at most `timeout`.
    pub(crate) fn park_timeout(&mut self, timeout: Duration) {
        self.park.park_timeout(timeout);
    }
}

impl DriverHandle {
    pub(crate) fn unpark(&self) {
        self.unpark.unpark();
    }
}
