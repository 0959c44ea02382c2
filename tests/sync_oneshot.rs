//! `weave::sync::oneshot` through its public API only, driven by
//! `futures::executor::block_on` and plain threads (no weave runtime needed).
#![cfg(not(loom))]

use futures::executor::block_on;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Barrier};
use std::task::{Context, Poll};
use std::thread;
use std::time::Duration;
use weave::sync::oneshot::{self, error::RecvError, error::TryRecvError};

/// Counts how many times values of one test are dropped.
#[derive(Debug)]
struct DropCounter(Arc<AtomicUsize>);

impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// Polls `fut` once with a no-op waker.
fn poll_once<F: Future + Unpin>(fut: &mut F) -> Poll<F::Output> {
    Pin::new(fut).poll(&mut Context::from_waker(futures::task::noop_waker_ref()))
}

#[test]
fn delivers_value() {
    let (tx, rx) = oneshot::channel();
    tx.send(String::from("hello")).unwrap();
    assert_eq!(block_on(rx), Ok(String::from("hello")));
}

#[test]
fn delivers_value_sent_later_from_another_thread() {
    let (tx, rx) = oneshot::channel();
    let t = thread::spawn(move || {
        thread::sleep(Duration::from_millis(20));
        tx.send(42u64).unwrap();
    });
    assert_eq!(block_on(rx), Ok(42));
    t.join().unwrap();
}

#[test]
fn await_by_reference_keeps_receiver() {
    let (tx, mut rx) = oneshot::channel();
    assert!(poll_once(&mut rx).is_pending());
    tx.send(1).unwrap();
    assert_eq!(block_on(&mut rx), Ok(1));
    assert!(rx.is_terminated());
}

#[test]
#[should_panic(expected = "called after complete")]
fn polling_after_completion_panics() {
    let (tx, mut rx) = oneshot::channel();
    tx.send(1).unwrap();
    assert_eq!(block_on(&mut rx), Ok(1));
    let _ = poll_once(&mut rx);
}

#[test]
fn send_after_receiver_drop_returns_value() {
    let (tx, rx) = oneshot::channel();
    assert!(!tx.is_closed());
    drop(rx);
    assert!(tx.is_closed());
    assert_eq!(tx.send(vec![1, 2, 3]), Err(vec![1, 2, 3]));
}

#[test]
fn receiver_sees_closed_after_sender_drop() {
    let (tx, rx) = oneshot::channel::<u32>();
    drop(tx);
    assert_eq!(block_on(rx), Err(recv_error()));

    // Dropped while the receiver is waiting on another thread.
    let (tx, rx) = oneshot::channel::<u32>();
    let t = thread::spawn(move || block_on(rx));
    thread::sleep(Duration::from_millis(20));
    drop(tx);
    let err = t.join().unwrap().unwrap_err();
    assert_eq!(err.to_string(), "channel closed");
    let _: &dyn std::error::Error = &err;
}

#[test]
fn try_recv_empty_closed_ok() {
    let (tx, mut rx) = oneshot::channel();
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    assert!(!rx.is_terminated());
    assert!(rx.is_empty());
    tx.send('a').unwrap();
    assert!(!rx.is_empty());
    assert_eq!(rx.try_recv(), Ok('a'));
    assert!(rx.is_terminated());
    assert!(rx.is_empty());
    // The value was taken: the channel is closed for this receiver.
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));

    let (tx, mut rx) = oneshot::channel::<char>();
    drop(tx);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    assert!(rx.is_terminated());

    assert_eq!(TryRecvError::Empty.to_string(), "channel empty");
    assert_eq!(TryRecvError::Closed.to_string(), "channel closed");
}

#[test]
fn close_prevents_later_send() {
    let (tx, mut rx) = oneshot::channel();
    rx.close();
    assert!(tx.is_closed());
    assert_eq!(tx.send(5), Err(5));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
}

#[test]
fn close_keeps_value_already_sent() {
    let (tx, mut rx) = oneshot::channel();
    tx.send(5).unwrap();
    rx.close();
    assert!(!rx.is_empty());
    assert_eq!(rx.try_recv(), Ok(5));

    // Awaiting works too.
    let (tx, mut rx) = oneshot::channel();
    tx.send(6).unwrap();
    rx.close();
    assert_eq!(block_on(rx), Ok(6));
}

#[test]
fn closed_receiver_resolves_without_waiting_for_sender() {
    let (tx, mut rx) = oneshot::channel::<u8>();
    rx.close();
    // The sender is still alive, but no value can arrive any more.
    assert_eq!(block_on(rx), Err(recv_error()));
    drop(tx);
}

/// A `RecvError` to compare with (it has no public constructor).
fn recv_error() -> RecvError {
    let (_, rx) = oneshot::channel::<()>();
    block_on(rx).unwrap_err()
}

#[test]
fn closed_wakes_when_receiver_dropped() {
    let (mut tx, rx) = oneshot::channel::<u8>();
    let t = thread::spawn(move || {
        thread::sleep(Duration::from_millis(20));
        drop(rx);
    });
    block_on(tx.closed());
    assert!(tx.is_closed());
    t.join().unwrap();
}

#[test]
fn closed_wakes_when_receiver_closes() {
    let (mut tx, mut rx) = oneshot::channel::<u8>();
    let t = thread::spawn(move || {
        thread::sleep(Duration::from_millis(20));
        rx.close();
        rx
    });
    block_on(tx.closed());
    assert_eq!(tx.send(1), Err(1));
    let mut rx = t.join().unwrap();
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
}

#[test]
fn closed_is_immediate_if_already_closed_and_cancel_safe() {
    let (mut tx, rx) = oneshot::channel::<u8>();
    // Start waiting, then give up on it: the sender stays usable.
    {
        let mut fut = Box::pin(tx.closed());
        assert!(poll_once(&mut fut).is_pending());
    }
    assert!(block_on(poll_fn(|cx| Poll::Ready(tx.poll_closed(cx)))).is_pending());
    drop(rx);
    block_on(tx.closed());
    block_on(tx.closed());
}

#[test]
fn blocking_recv_from_plain_thread() {
    let (tx, rx) = oneshot::channel();
    let t = thread::spawn(move || rx.blocking_recv());
    thread::sleep(Duration::from_millis(20));
    tx.send(String::from("blocking")).unwrap();
    assert_eq!(t.join().unwrap(), Ok(String::from("blocking")));

    let (tx, rx) = oneshot::channel::<u8>();
    let t = thread::spawn(move || rx.blocking_recv());
    thread::sleep(Duration::from_millis(20));
    drop(tx);
    assert!(t.join().unwrap().is_err());

    // Value already there: returns at once on this thread.
    let (tx, rx) = oneshot::channel();
    tx.send(1).unwrap();
    assert_eq!(rx.blocking_recv(), Ok(1));
}

#[test]
fn values_are_dropped_exactly_once() {
    let drops = Arc::new(AtomicUsize::new(0));
    let value = || DropCounter(drops.clone());

    // Received by awaiting.
    let (tx, rx) = oneshot::channel();
    tx.send(value()).unwrap();
    let got = block_on(rx).unwrap();
    assert_eq!(drops.load(SeqCst), 0);
    drop(got);
    assert_eq!(drops.load(SeqCst), 1);

    // Sent, never received, receiver dropped.
    let (tx, rx) = oneshot::channel();
    tx.send(value()).unwrap();
    assert_eq!(drops.load(SeqCst), 1);
    drop(rx);
    assert_eq!(drops.load(SeqCst), 2);

    // Receiver dropped first, value handed back.
    let (tx, rx) = oneshot::channel();
    drop(rx);
    let back = tx.send(value()).unwrap_err();
    assert_eq!(drops.load(SeqCst), 2);
    drop(back);
    assert_eq!(drops.load(SeqCst), 3);

    // Closed after send, then dropped.
    let (tx, mut rx) = oneshot::channel();
    tx.send(value()).unwrap();
    rx.close();
    drop(rx);
    assert_eq!(drops.load(SeqCst), 4);

    // Sent while the receiver was waiting on another thread.
    let (tx, rx) = oneshot::channel();
    let t = thread::spawn(move || block_on(rx).map(drop));
    thread::sleep(Duration::from_millis(5));
    tx.send(value()).unwrap();
    t.join().unwrap().unwrap();
    assert_eq!(drops.load(SeqCst), 5);
}

#[test]
fn handles_are_send_sync_unpin_debug() {
    fn check<T: Send + Sync + Unpin + std::fmt::Debug>() {}
    // `T` itself need not be `Debug`, `Sync` or `Unpin`.
    struct Opaque(
        #[allow(dead_code)] std::cell::Cell<u8>,
        std::marker::PhantomPinned,
    );
    check::<oneshot::Sender<Opaque>>();
    check::<oneshot::Receiver<Opaque>>();
    let (tx, rx) = oneshot::channel::<Opaque>();
    assert!(format!("{tx:?}").starts_with("Sender"));
    assert!(format!("{rx:?}").starts_with("Receiver"));
}

#[test]
fn errors_are_comparable_and_cloneable() {
    let e = recv_error();
    assert_eq!(e.clone(), e);
    assert_eq!(format!("{e}"), "channel closed");
    assert!(format!("{e:?}").contains("RecvError"));
    assert_ne!(TryRecvError::Empty, TryRecvError::Closed);
    let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(TryRecvError::Empty);
    assert_eq!(boxed.to_string(), "channel empty");
}

/// Many channels, each with its sender and receiver on different threads,
/// with every way for the two sides to meet.
#[test]
fn cross_thread_stress() {
    const THREADS: usize = 4;
    const PER_THREAD: usize = 2_500; // 10k channels in all
    let drops = Arc::new(AtomicUsize::new(0));
    let received = Arc::new(AtomicUsize::new(0));
    let returned = Arc::new(AtomicUsize::new(0));
    let barrier = Arc::new(Barrier::new(2 * THREADS));

    let mut receivers = Vec::new();
    let mut senders = Vec::new();
    for _ in 0..THREADS {
        let (mut txs, mut rxs) = (Vec::new(), Vec::new());
        for _ in 0..PER_THREAD {
            let (tx, rx) = oneshot::channel::<DropCounter>();
            txs.push(tx);
            rxs.push(rx);
        }
        let (drops2, barrier2, received2) = (drops.clone(), barrier.clone(), received.clone());
        senders.push(thread::spawn({
            let returned = returned.clone();
            let barrier = barrier.clone();
            move || {
                barrier.wait();
                for (i, tx) in txs.into_iter().enumerate() {
                    match i % 4 {
                        // Plain send; a failure hands the value back.
                        0 | 1 => {
                            if let Err(v) = tx.send(DropCounter(drops2.clone())) {
                                returned.fetch_add(1, SeqCst);
                                drop(v);
                            }
                        }
                        // Give up without sending.
                        2 => drop(tx),
                        // Wait until the receiver is gone, then try anyway.
                        _ => {
                            let mut tx = tx;
                            block_on(tx.closed());
                            let v = tx.send(DropCounter(drops2.clone())).unwrap_err();
                            returned.fetch_add(1, SeqCst);
                            drop(v);
                        }
                    }
                }
            }
        }));
        receivers.push(thread::spawn(move || {
            barrier2.wait();
            for (i, mut rx) in rxs.into_iter().enumerate() {
                match i % 4 {
                    0 => {
                        if block_on(rx).is_ok() {
                            received2.fetch_add(1, SeqCst);
                        }
                    }
                    1 => {
                        // Poll once, then drop (maybe with the value inside).
                        if let Poll::Ready(Ok(_)) = poll_once(&mut rx) {
                            received2.fetch_add(1, SeqCst);
                        }
                    }
                    2 => assert!(block_on(rx).is_err()),
                    _ => {
                        if i % 8 == 3 {
                            rx.close();
                        }
                        drop(rx);
                    }
                }
            }
        }));
    }
    for t in senders.into_iter().chain(receivers) {
        t.join().unwrap();
    }

    let per_kind = THREADS * PER_THREAD / 4;
    // Kind 0: always received. Kind 1: received or dropped in the channel or
    // returned. Kind 3: always returned.
    assert!(received.load(SeqCst) >= per_kind);
    assert!(returned.load(SeqCst) >= per_kind);
    // Every value created (kinds 0, 1 and 3) was dropped exactly once.
    assert_eq!(drops.load(SeqCst), 3 * per_kind);
}

/// Senders and receivers meet across threads while the receivers keep
/// changing wakers (each `block_on` uses its own).
#[test]
fn cross_thread_stress_waker_changes() {
    const N: usize = 2_000;
    let mut rxs = Vec::new();
    let mut txs = Vec::new();
    for _ in 0..N {
        let (tx, rx) = oneshot::channel::<usize>();
        txs.push(tx);
        rxs.push(rx);
    }
    let producer = thread::spawn(move || {
        for (i, tx) in txs.into_iter().enumerate() {
            tx.send(i).unwrap();
        }
    });
    for (i, mut rx) in rxs.into_iter().enumerate() {
        // Register a waker through a one-poll `block_on`, then wait with
        // another.
        let first = block_on(poll_fn(|cx| Poll::Ready(Pin::new(&mut rx).poll(cx))));
        let got = match first {
            Poll::Ready(v) => v,
            Poll::Pending => block_on(rx),
        };
        assert_eq!(got, Ok(i));
    }
    producer.join().unwrap();
}
