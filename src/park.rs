//! Blocking a plain thread until it is woken.
//!
//! [`ParkThread`] is the condvar parker that idle workers, `block_on` and the
//! blocking channel operations (`blocking_recv`, ...) sleep on. It is built so
//! that a wake-up can never be lost:
//!
//! - `state` is `EMPTY`, `PARKED` or `NOTIFIED`.
//! - `unpark` swaps in `NOTIFIED`; only if it saw `PARKED` does it take the
//!   mutex and signal the condvar. Taking the mutex before `notify_one`
//!   closes the window in which the parker has published `PARKED` but not yet
//!   started waiting.
//! - `park` consumes a pending `NOTIFIED` without sleeping; otherwise it moves
//!   `EMPTY -> PARKED` under the mutex and waits until it can move
//!   `NOTIFIED -> EMPTY`, so spurious condvar wake-ups are ignored.
//!
//! The time and I/O drivers park differently (on the timer wheel or the mio
//! poll); the schedulers choose between them in `runtime::driver`.

use crate::loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use crate::loom::sync::{Arc, Condvar, Mutex};
use std::future::Future;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

const EMPTY: usize = 0;
const PARKED: usize = 1;
const NOTIFIED: usize = 2;

/// A parker owned by one thread; [`Unparker`]s wake it from anywhere.
#[derive(Debug)]
pub(crate) struct ParkThread {
    inner: Arc<Inner>,
}

/// Wakes the matching [`ParkThread`]. Cloneable and `Send`.
#[derive(Clone, Debug)]
pub(crate) struct Unparker {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    state: AtomicUsize,
    mutex: Mutex<()>,
    condvar: Condvar,
}

impl ParkThread {
    pub(crate) fn new() -> ParkThread {
        ParkThread {
            inner: Arc::new(Inner {
                state: AtomicUsize::new(EMPTY),
                mutex: Mutex::new(()),
                condvar: Condvar::new(),
            }),
        }
    }

    pub(crate) fn unparker(&self) -> Unparker {
        Unparker {
            inner: self.inner.clone(),
        }
    }

    /// Blocks until an unpark arrives (or returns at once if one is pending).
    pub(crate) fn park(&self) {
        self.inner.park(None);
    }

    /// Like [`park`](Self::park) but gives up after `timeout`. Returns true
    /// if it was woken by an unpark (also one that was already pending).
    pub(crate) fn park_timeout(&self, timeout: Duration) -> bool {
        self.inner.park(Some(timeout))
    }
}

impl Default for ParkThread {
    fn default() -> Self {
        Self::new()
    }
}

impl Inner {
    fn park(&self, timeout: Option<Duration>) -> bool {
        // Fast path: a notification is already waiting.
        if self
            .state
            .compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst)
            .is_ok()
        {
            return true;
        }
        if timeout == Some(Duration::ZERO) {
            return false;
        }
        let mut guard = self.mutex.lock();
        match self.state.compare_exchange(EMPTY, PARKED, SeqCst, SeqCst) {
            Ok(_) => {}
            Err(NOTIFIED) => {
                // Notified between the fast path and taking the lock.
                self.state.store(EMPTY, SeqCst);
                return true;
            }
            Err(actual) => panic!("inconsistent park state: {actual}"),
        }
        match timeout {
            None => loop {
                self.condvar.wait(&mut guard);
                if self
                    .state
                    .compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst)
                    .is_ok()
                {
                    return true;
                }
                // Spurious wake-up: keep waiting.
            },
            Some(timeout) => {
                #[cfg(not(loom))]
                {
                    // A very long timeout saturates instead of overflowing.
                    let _ = self.condvar.wait_for(&mut guard, timeout);
                }
                #[cfg(loom)]
                {
                    let _ = timeout;
                    self.condvar.wait(&mut guard);
                }
                // Whether notified or timed out, go back to EMPTY.
                self.state.swap(EMPTY, SeqCst) == NOTIFIED
            }
        }
    }
}

/// Something that wakes a parked driver thread, whatever it is parked on
/// (a condvar, or the I/O driver's `epoll_wait`).
pub(crate) trait Unpark: Send + Sync + std::fmt::Debug + 'static {
    fn unpark(&self);
}

impl Unpark for Unparker {
    fn unpark(&self) {
        Unparker::unpark(self);
    }
}

impl Unparker {
    pub(crate) fn unpark(&self) {
        match self.inner.state.swap(NOTIFIED, SeqCst) {
            EMPTY | NOTIFIED => {}
            PARKED => {
                // Taking the lock orders this notify after the parker's wait.
                drop(self.inner.mutex.lock());
                self.inner.condvar.notify_one();
            }
            actual => panic!("inconsistent park state: {actual}"),
        }
    }

    /// A `Waker` that unparks this thread.
    pub(crate) fn into_waker(self) -> Waker {
        Waker::from(std::sync::Arc::new(self))
    }
}

impl Wake for Unparker {
    fn wake(self: std::sync::Arc<Self>) {
        self.unpark();
    }

    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        self.unpark();
    }
}

/// Drives `future` to completion on the current thread, sleeping while it is
/// pending. Used by the blocking APIs (`blocking_recv`, `Handle::block_on` on
/// a non-runtime thread, ...). Callers check first that the thread does not
/// drive a runtime.
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    thread_local! {
        static PARKER: (ParkThread, Waker) = {
            let park = ParkThread::new();
            let waker = park.unparker().into_waker();
            (park, waker)
        };
    }
    let mut future = std::pin::pin!(future);
    PARKER.with(|(park, waker)| {
        let mut cx = Context::from_waker(waker);
        loop {
            if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
                return out;
            }
            park.park();
        }
    })
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn unpark_before_park_is_not_lost() {
        let p = ParkThread::new();
        p.unparker().unpark();
        p.park(); // returns at once
    }

    #[test]
    fn unpark_from_other_thread() {
        let p = ParkThread::new();
        let u = p.unparker();
        let t = std::thread::spawn(move || u.unpark());
        p.park();
        t.join().unwrap();
    }

    #[test]
    fn park_timeout_returns() {
        let p = ParkThread::new();
        p.park_timeout(Duration::from_millis(1));
        p.park_timeout(Duration::ZERO);
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;

    /// No lost wake-up: whatever the interleaving of `unpark` and `park`,
    /// the parked thread returns.
    #[test]
    fn loom_park_unpark_no_lost_wakeup() {
        loom::model(|| {
            let p = ParkThread::new();
            let u = p.unparker();
            let t = loom::thread::spawn(move || u.unpark());
            p.park();
            t.join().unwrap();
        });
    }

    /// Two unparks and two parks: the second park is released too.
    #[test]
    fn loom_park_twice() {
        loom::model(|| {
            let p = ParkThread::new();
            let u = p.unparker();
            let done = Arc::new(AtomicUsize::new(0));
            let d2 = done.clone();
            let t = loom::thread::spawn(move || {
                d2.store(1, SeqCst);
                u.unpark();
                loom::thread::yield_now();
                d2.store(2, SeqCst);
                u.unpark();
            });
            while done.load(SeqCst) < 2 {
                p.park();
            }
            t.join().unwrap();
        });
    }
}
