//! Loom models of the readiness cell: a driver event racing a task's clear,
//! and a waker registration racing the driver's wake.

use super::scheduled_io::{Direction, ScheduledIo};
use super::Ready;
use loom::sync::atomic::{AtomicBool, Ordering::SeqCst};
use loom::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

struct Flag(AtomicBool);

impl Wake for Flag {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.store(true, SeqCst);
    }
}

/// A task saw readiness at tick 1, its read hit `WouldBlock`, and it clears
/// and waits again, while the driver reports a new event at tick 2. The new
/// event is never lost: the task either sees it or is woken.
#[test]
fn loom_io_event_vs_clear() {
    loom::model(|| {
        let io = Arc::new(ScheduledIo::new());
        io.set_readiness(1, Ready::READABLE);
        let seen = io.ready_event(Direction::Read.mask());

        let driver = {
            let io = io.clone();
            loom::thread::spawn(move || {
                io.set_readiness(2, Ready::READABLE);
                io.wake(Ready::READABLE);
            })
        };

        let flag = std::sync::Arc::new(Flag(AtomicBool::new(false)));
        let waker = Waker::from(flag.clone());
        io.clear_readiness(seen);
        let polled = io.poll_ready(&mut Context::from_waker(&waker), Direction::Read);
        driver.join().unwrap();

        match polled {
            Poll::Ready(ev) => assert!(ev.ready.is_readable()),
            Poll::Pending => assert!(flag.0.load(SeqCst), "event lost: not ready and not woken"),
        }
        // Either way the readiness of tick 2 is still recorded.
        assert!(io.ready_event(Direction::Read.mask()).ready.is_readable());
    });
}

/// Two waiters (the read slot and a `readiness` future) registering while
/// the driver wakes: both end up ready or woken.
#[test]
fn loom_io_waiters_vs_wake() {
    use std::future::Future;
    loom::model(|| {
        let io = Arc::new(ScheduledIo::new());
        let driver = {
            let io = io.clone();
            loom::thread::spawn(move || {
                io.set_readiness(1, Ready::WRITABLE);
                io.wake(Ready::WRITABLE);
            })
        };
        let slot_flag = std::sync::Arc::new(Flag(AtomicBool::new(false)));
        let slot_waker = Waker::from(slot_flag.clone());
        let slot = io.poll_ready(&mut Context::from_waker(&slot_waker), Direction::Write);

        let fut_flag = std::sync::Arc::new(Flag(AtomicBool::new(false)));
        let fut_waker = Waker::from(fut_flag.clone());
        let mut fut = Box::pin(io.readiness(super::Interest::WRITABLE));
        let fut_poll = fut.as_mut().poll(&mut Context::from_waker(&fut_waker));
        driver.join().unwrap();

        assert!(
            slot.is_ready() || slot_flag.0.load(SeqCst),
            "slot waiter lost"
        );
        assert!(
            fut_poll.is_ready() || fut_flag.0.load(SeqCst),
            "readiness waiter lost"
        );
    });
}
