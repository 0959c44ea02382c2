//! How an idle worker sleeps.
//!
//! One worker at a time may turn the runtime's [`Driver`] (it holds the
//! driver's try-lock and blocks in it); the others block on their own
//! condvar. Each worker's [`Unparker`] knows which of the two its worker is
//! in, and wakes it accordingly from any thread.
//!
//! States of a parker: `EMPTY`, `PARKED_CONDVAR`, `PARKED_DRIVER`,
//! `NOTIFIED`. `unpark` swaps in `NOTIFIED` and wakes whatever the worker was
//! parked on; `park` consumes `NOTIFIED` without sleeping. A notification is
//! therefore never lost, whichever of the two happens first.

use crate::loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use crate::loom::sync::{Arc, Condvar, Mutex};
use crate::runtime::driver::{Driver, DriverHandle};

const EMPTY: usize = 0;
const PARKED_CONDVAR: usize = 1;
const PARKED_DRIVER: usize = 2;
const NOTIFIED: usize = 3;

/// The driver shared by all workers of a runtime.
pub(super) struct SharedDriver {
    driver: Mutex<Option<Driver>>,
    handle: DriverHandle,
}

impl SharedDriver {
    pub(super) fn new(driver: Driver, handle: DriverHandle) -> Arc<SharedDriver> {
        Arc::new(SharedDriver {
            driver: Mutex::new(Some(driver)),
            handle,
        })
    }
}

pub(super) struct Parker {
    inner: Arc<Inner>,
}

#[derive(Clone)]
pub(super) struct Unparker {
    inner: Arc<Inner>,
}

struct Inner {
    state: AtomicUsize,
    mutex: Mutex<()>,
    condvar: Condvar,
    shared: Arc<SharedDriver>,
}

impl Parker {
    pub(super) fn new(shared: Arc<SharedDriver>) -> Parker {
        Parker {
            inner: Arc::new(Inner {
                state: AtomicUsize::new(EMPTY),
                mutex: Mutex::new(()),
                condvar: Condvar::new(),
                shared,
            }),
        }
    }

    pub(super) fn unparker(&self) -> Unparker {
        Unparker {
            inner: self.inner.clone(),
        }
    }

    /// Sleeps until unparked (or the driver has events).
    pub(super) fn park(&mut self) {
        let inner = &self.inner;
        if inner
            .state
            .compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst)
            .is_ok()
        {
            return;
        }
        let driver = inner.shared.driver.try_lock();
        match driver {
            Some(mut guard) if guard.is_some() => {
                match inner
                    .state
                    .compare_exchange(EMPTY, PARKED_DRIVER, SeqCst, SeqCst)
                {
                    Ok(_) => {}
                    Err(NOTIFIED) => {
                        inner.state.store(EMPTY, SeqCst);
                        return;
                    }
                    Err(s) => panic!("inconsistent worker park state: {s}"),
                }
                guard.as_mut().expect("driver present").park();
                // Notified or an event (or a stale wake-up): back to work
                // either way; the worker loop checks for work.
                inner.state.swap(EMPTY, SeqCst);
            }
            _ => inner.park_condvar(),
        }
    }

    /// Fires due timers without blocking, if no other worker holds the
    /// driver (busy workers call this now and then).
    pub(super) fn poll_driver(&self) {
        if let Some(mut guard) = self.inner.shared.driver.try_lock() {
            if let Some(driver) = guard.as_mut() {
                driver.park_timeout(std::time::Duration::ZERO);
            }
        }
    }

    /// Takes the driver out for shutdown (waits for the worker parked on it
    /// to let go).
    pub(super) fn take_driver(&self) -> Option<Driver> {
        self.inner.shared.driver.lock().take()
    }
}

impl Inner {
    fn park_condvar(&self) {
        let mut guard = self.mutex.lock();
        match self
            .state
            .compare_exchange(EMPTY, PARKED_CONDVAR, SeqCst, SeqCst)
        {
            Ok(_) => {}
            Err(NOTIFIED) => {
                self.state.store(EMPTY, SeqCst);
                return;
            }
            Err(s) => panic!("inconsistent worker park state: {s}"),
        }
        loop {
            self.condvar.wait(&mut guard);
            if self
                .state
                .compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst)
                .is_ok()
            {
                return;
            }
        }
    }
}

impl Unparker {
    pub(super) fn unpark(&self) {
        let inner = &self.inner;
        match inner.state.swap(NOTIFIED, SeqCst) {
            EMPTY | NOTIFIED => {}
            PARKED_CONDVAR => {
                drop(inner.mutex.lock());
                inner.condvar.notify_one();
            }
            PARKED_DRIVER => inner.shared.handle.unpark(),
            s => panic!("inconsistent worker park state: {s}"),
        }
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;

    /// Two workers, one driver: whichever parks on the driver and whichever
    /// on the condvar, both are woken by their unparkers.
    #[test]
    fn loom_worker_park_unpark() {
        loom::model(|| {
            let (driver, handle) = Driver::new(crate::runtime::driver::DriverConfig {
                enable_io: false,
                enable_time: false,
                start_paused: false,
                max_io_events: 1024,
            })
            .unwrap();
            let shared = SharedDriver::new(driver, handle);
            let mut p1 = Parker::new(shared.clone());
            let mut p2 = Parker::new(shared);
            let u1 = p1.unparker();
            let u2 = p2.unparker();
            let t = loom::thread::spawn(move || {
                u1.unpark();
                u2.unpark();
            });
            let t2 = loom::thread::spawn(move || p2.park());
            p1.park();
            t2.join().unwrap();
            t.join().unwrap();
        });
    }
}
