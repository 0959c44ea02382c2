//! Loom models: an entry's owner racing the driver.
//!
//! Run: `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release
//! --lib --target-dir /tmp/loom_timer loom_timer`.

use super::*;
use crate::loom::sync::atomic::AtomicUsize;
use crate::park::ParkThread;
use crate::runtime::time::TimerEntry;
use loom::thread;
use std::pin::Pin;
use std::task::{Context, Poll, Wake};

struct Counter(AtomicUsize);

impl Wake for Counter {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

struct Model {
    handle: TimeHandle,
    counter: std::sync::Arc<Counter>,
    waker: Waker,
    _park: ParkThread,
}

fn model() -> Model {
    let park = ParkThread::new();
    let counter = std::sync::Arc::new(Counter(AtomicUsize::new(0)));
    Model {
        handle: TimeHandle::new(Clock::new(true), park.unparker()),
        waker: Waker::from(counter.clone()),
        counter,
        _park: park,
    }
}

impl Model {
    fn entry(&self, ms: u64) -> Pin<Box<TimerEntry>> {
        let deadline = self.handle.inner.start + Duration::from_millis(ms);
        Box::pin(TimerEntry::new(self.handle.clone(), deadline))
    }
    fn poll(&self, e: &mut Pin<Box<TimerEntry>>) -> Poll<Result<(), TimerError>> {
        e.as_mut()
            .poll_elapsed(&mut Context::from_waker(&self.waker))
    }
    fn wakes(&self) -> usize {
        self.counter.0.load(Ordering::SeqCst)
    }
    /// Advances the clock by `ms` and fires on another thread.
    fn spawn_driver(&self, ms: u64) -> thread::JoinHandle<()> {
        let handle = self.handle.clone();
        thread::spawn(move || {
            handle.clock().advance(Duration::from_millis(ms));
            handle.process();
        })
    }
    /// Every waker handed to the entries has been released (woken or dropped).
    fn assert_wakers_released(&self) {
        assert_eq!(std::sync::Arc::strong_count(&self.counter), 2);
    }
}

/// The owner's lock-free `Pending` poll races the driver firing the entry:
/// the poll sees the fire, or the fire sees (and wakes) the new waker.
#[test]
fn loom_timer_poll_races_fire() {
    loom::model(|| {
        let m = model();
        let mut e = m.entry(1);
        assert!(m.poll(&mut e).is_pending());
        let driver = m.spawn_driver(1);
        let r = m.poll(&mut e);
        driver.join().unwrap();
        if r.is_pending() {
            assert_eq!(m.wakes(), 1, "lost wake-up");
        }
        assert!(m.wakes() <= 1);
        assert_eq!(m.poll(&mut e), Poll::Ready(Ok(())));
        drop(e);
        m.assert_wakers_released();
    });
}

/// The first poll (registration) races the clock advancing and firing.
#[test]
fn loom_timer_register_races_fire() {
    loom::model(|| {
        let m = model();
        let mut e = m.entry(1);
        let driver = m.spawn_driver(1);
        let r = m.poll(&mut e);
        driver.join().unwrap();
        if r.is_pending() {
            assert_eq!(m.wakes(), 1, "lost wake-up");
        }
        assert_eq!(m.poll(&mut e), Poll::Ready(Ok(())));
        drop(e);
        m.assert_wakers_released();
    });
}

/// Dropping (cancelling) a registered entry races the driver firing it: no
/// use after free (loom checks the cells), the waker is released.
#[test]
fn loom_timer_drop_races_fire() {
    loom::model(|| {
        let m = model();
        let mut e = m.entry(1);
        assert!(m.poll(&mut e).is_pending());
        let driver = m.spawn_driver(1);
        drop(e);
        driver.join().unwrap();
        assert!(m.wakes() <= 1);
        m.assert_wakers_released();
        assert_eq!(m.handle.next_deadline(), None);
    });
}

/// `reset` to a later deadline races the driver firing the old one: either
/// way the entry ends up registered for the new deadline and fires then.
#[test]
fn loom_timer_reset_races_fire() {
    loom::model(|| {
        let m = model();
        let mut e = m.entry(1);
        assert!(m.poll(&mut e).is_pending());
        let driver = m.spawn_driver(1);
        let later = m.handle.inner.start + Duration::from_millis(5);
        e.as_mut().reset(later, true);
        driver.join().unwrap();
        assert!(!e.is_elapsed());
        assert!(m.poll(&mut e).is_pending());
        let before = m.wakes();
        m.handle.clock().advance(Duration::from_millis(4));
        m.handle.process();
        assert_eq!(m.wakes(), before + 1);
        assert_eq!(m.poll(&mut e), Poll::Ready(Ok(())));
        drop(e);
        m.assert_wakers_released();
    });
}

/// A registration races `shutdown`: the entry ends with the error, and is
/// woken if the poll returned `Pending`.
#[test]
fn loom_timer_register_races_shutdown() {
    loom::model(|| {
        let m = model();
        let mut e = m.entry(1);
        let handle = m.handle.clone();
        let driver = thread::spawn(move || handle.shutdown());
        let r = m.poll(&mut e);
        driver.join().unwrap();
        if r.is_pending() {
            assert_eq!(m.wakes(), 1, "lost wake-up");
        } else {
            assert_eq!(r, Poll::Ready(Err(TimerError::Shutdown)));
        }
        assert_eq!(m.poll(&mut e), Poll::Ready(Err(TimerError::Shutdown)));
        drop(e);
        m.assert_wakers_released();
    });
}
