//! `weave::sync::mpsc` through its public API: both flavours, every method,
//! close/drop semantics, cancellation, blocking use from plain threads, and
//! many producers on the multi-thread runtime.
#![cfg(not(loom))]

use std::future::{poll_fn, Future};
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::thread;
use std::time::Duration;
use weave::sync::mpsc::{
    self,
    error::{SendError, SendTimeoutError, TryRecvError, TrySendError},
};

/// Counts how many times the values of one test are dropped.
#[derive(Debug)]
struct DropCounter(Arc<AtomicUsize>);

impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

fn noop_cx() -> Context<'static> {
    Context::from_waker(futures::task::noop_waker_ref())
}

/// A type that implements neither `Debug` nor `Clone`.
struct Opaque(#[allow(dead_code)] u8);

#[weave::test]
async fn bounded_send_recv_in_order() {
    let (tx, mut rx) = mpsc::channel(4);
    for i in 0..4 {
        tx.send(i).await.unwrap();
    }
    assert_eq!(rx.len(), 4);
    assert!(!rx.is_empty());
    for i in 0..4 {
        assert_eq!(rx.recv().await, Some(i));
    }
    assert!(rx.is_empty());
    drop(tx);
    assert_eq!(rx.recv().await, None);
    assert_eq!(rx.recv().await, None);
}

#[test]
#[should_panic(expected = "mpsc bounded channel requires buffer > 0")]
fn zero_buffer_panics() {
    let _ = mpsc::channel::<u8>(0);
}

#[weave::test]
async fn unbounded_send_recv() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    for i in 0..1000 {
        tx.send(i).unwrap();
    }
    assert_eq!(rx.len(), 1000);
    drop(tx);
    let mut expected = 0;
    while let Some(i) = rx.recv().await {
        assert_eq!(i, expected);
        expected += 1;
    }
    assert_eq!(expected, 1000);
}

#[test]
fn failed_sends_hand_value_back() {
    let (tx, rx) = mpsc::channel(1);
    drop(rx);
    assert!(tx.is_closed());
    assert_eq!(tx.try_send(1), Err(TrySendError::Closed(1)));
    let err = futures::executor::block_on(tx.send(2)).unwrap_err();
    assert_eq!(err, SendError(2));
    assert_eq!(err.to_string(), "channel closed");
    assert_eq!(format!("{:?}", SendError(Opaque(0))), "SendError { .. }");

    let (tx, rx) = mpsc::unbounded_channel();
    drop(rx);
    assert!(tx.is_closed());
    assert_eq!(tx.send("x").unwrap_err().0, "x");
}

#[test]
fn try_send_full_and_error_helpers() {
    let (tx, mut rx) = mpsc::channel(1);
    tx.try_send(1).unwrap();
    let err = tx.try_send(2).unwrap_err();
    assert!(err.is_full() && !err.is_closed());
    assert_eq!(err.to_string(), "no available capacity");
    assert_eq!(format!("{:?}", TrySendError::Full(Opaque(0))), "Full(..)");
    assert_eq!(err.into_inner(), 2);
    assert_eq!(rx.try_recv(), Ok(1));
    tx.try_send(3).unwrap();
    rx.close();
    let err = tx.try_send(4).unwrap_err();
    assert!(err.is_closed());
    assert_eq!(err.to_string(), "channel closed");
    let from: TrySendError<u8> = SendError(5).into();
    assert_eq!(from, TrySendError::Closed(5));
    // Queued before the close: still received.
    assert_eq!(rx.try_recv(), Ok(3));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
}

#[test]
fn try_recv_states() {
    let (tx, mut rx) = mpsc::channel::<u8>(2);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    assert_eq!(
        TryRecvError::Empty.to_string(),
        "receiving on an empty channel"
    );
    assert_eq!(
        TryRecvError::Disconnected.to_string(),
        "receiving on a closed channel"
    );
    tx.try_send(1).unwrap();
    drop(tx);
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));

    let (tx, mut rx) = mpsc::unbounded_channel::<u8>();
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    tx.send(2).unwrap();
    rx.close();
    assert_eq!(rx.try_recv(), Ok(2));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    drop(tx);
}

#[weave::test]
async fn close_lets_receiver_drain() {
    let (tx, mut rx) = mpsc::channel(4);
    tx.send(1).await.unwrap();
    tx.send(2).await.unwrap();
    assert!(!rx.is_closed());
    rx.close();
    assert!(rx.is_closed());
    assert!(tx.is_closed());
    assert_eq!(tx.send(3).await, Err(SendError(3)));
    assert_eq!(rx.recv().await, Some(1));
    assert_eq!(rx.recv().await, Some(2));
    assert_eq!(rx.recv().await, None);

    let (tx, mut rx) = mpsc::unbounded_channel();
    tx.send(1).unwrap();
    rx.close();
    assert!(tx.send(2).is_err());
    assert_eq!(rx.recv().await, Some(1));
    assert_eq!(rx.recv().await, None);
}

#[weave::test]
async fn receiver_is_closed_when_senders_gone() {
    let (tx, rx) = mpsc::channel::<u8>(1);
    assert!(!rx.is_closed());
    drop(tx);
    assert!(rx.is_closed());
    let (tx, rx) = mpsc::unbounded_channel::<u8>();
    let tx2 = tx.clone();
    drop(tx);
    assert!(!rx.is_closed());
    drop(tx2);
    assert!(rx.is_closed());
}

#[weave::test]
async fn permit_send_and_drop_returns_slot() {
    let (tx, mut rx) = mpsc::channel(2);
    assert_eq!((tx.capacity(), tx.max_capacity()), (2, 2));
    assert_eq!((rx.capacity(), rx.max_capacity()), (2, 2));
    let permit = tx.reserve().await.unwrap();
    assert_eq!(tx.capacity(), 1);
    drop(permit);
    assert_eq!(tx.capacity(), 2);
    let permit = tx.reserve().await.unwrap();
    permit.send(10);
    assert_eq!(tx.capacity(), 1);
    assert_eq!(rx.recv().await, Some(10));
    assert_eq!(tx.capacity(), 2);

    let p = tx.try_reserve().unwrap();
    let _p2 = tx.try_reserve().unwrap();
    assert_eq!(tx.try_reserve().unwrap_err(), TrySendError::Full(()));
    assert_eq!(tx.try_send(1), Err(TrySendError::Full(1)));
    drop(p);
    assert!(tx.try_send(1).is_ok());
    assert!(format!("{:?}", tx.try_reserve().unwrap_err()).contains("Full"));
}

#[weave::test]
async fn owned_permits() {
    let (tx, mut rx) = mpsc::channel(1);
    let permit = tx.clone().reserve_owned().await.unwrap();
    assert_eq!(tx.capacity(), 0);
    assert_eq!(tx.strong_count(), 2);
    let tx2 = permit.send(1);
    assert!(tx2.same_channel(&tx));
    assert_eq!(rx.recv().await, Some(1));

    let permit = tx2.try_reserve_owned().unwrap();
    assert_eq!(tx.capacity(), 0);
    let tx2 = permit.release();
    assert_eq!(tx.capacity(), 1);

    let held = tx.try_reserve().unwrap();
    let back = match tx2.try_reserve_owned() {
        Err(TrySendError::Full(tx2)) => tx2,
        _ => panic!("expected Full"),
    };
    drop(held);
    let permit = back.try_reserve_owned().unwrap();
    // Dropping the owned permit frees the slot and the sender.
    drop(permit);
    assert_eq!(tx.capacity(), 1);
    assert_eq!(tx.strong_count(), 1);
    rx.close();
    assert!(matches!(
        tx.clone().try_reserve_owned(),
        Err(TrySendError::Closed(_))
    ));
    assert!(tx.clone().reserve_owned().await.is_err());
}

#[weave::test]
async fn reserve_many() {
    let (tx, mut rx) = mpsc::channel(4);
    let permits = tx.reserve_many(3).await.unwrap();
    assert_eq!(permits.len(), 3);
    assert_eq!(tx.capacity(), 1);
    let mut permits = permits;
    permits.next().unwrap().send(1);
    drop(permits); // two unused slots come back
    assert_eq!(tx.capacity(), 3);
    assert_eq!(rx.recv().await, Some(1));
    assert!(tx.reserve_many(5).await.is_err());
    assert!(tx.try_reserve_many(5).unwrap_err().is_full());
    let it = tx.try_reserve_many(4).unwrap();
    assert!(tx.try_reserve_many(1).unwrap_err().is_full());
    for (i, p) in it.enumerate() {
        p.send(i + 10);
    }
    assert_eq!(rx.len(), 4);
    assert_eq!(tx.reserve_many(0).await.unwrap().count(), 0);
    rx.close();
    assert!(tx.try_reserve_many(1).unwrap_err().is_closed());
    assert!(tx.reserve_many(1).await.is_err());
    let mut got = Vec::new();
    assert_eq!(rx.recv_many(&mut got, 10).await, 4);
    assert_eq!(got, [10, 11, 12, 13]);
}

#[weave::test]
async fn closed_receiver_waits_for_outstanding_permits() {
    let (tx, mut rx) = mpsc::channel(2);
    let permit = tx.reserve().await.unwrap();
    rx.close();
    {
        let mut recv = pin!(rx.recv());
        assert!(poll_fn(|cx| Poll::Ready(recv.as_mut().poll(cx)))
            .await
            .is_pending());
        permit.send(5);
        assert_eq!(recv.await, Some(5));
    }
    assert_eq!(rx.recv().await, None);
    drop(tx);
}

#[weave::test]
async fn recv_many_and_limits() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut buf = Vec::new();
    assert_eq!(rx.recv_many(&mut buf, 0).await, 0);
    for i in 0..5 {
        tx.send(i).unwrap();
    }
    assert_eq!(rx.recv_many(&mut buf, 2).await, 2);
    assert_eq!(rx.recv_many(&mut buf, 10).await, 3);
    assert_eq!(buf, [0, 1, 2, 3, 4]);
    drop(tx);
    assert_eq!(rx.recv_many(&mut buf, 10).await, 0);

    let (tx, mut rx) = mpsc::channel(3);
    let mut buf = vec![100];
    for i in 0..3 {
        tx.send(i).await.unwrap();
    }
    assert_eq!(rx.recv_many(&mut buf, 8).await, 3);
    assert_eq!(buf, [100, 0, 1, 2]);
    assert_eq!(tx.capacity(), 3);
}

#[weave::test]
async fn poll_recv_and_poll_recv_many() {
    let (tx, mut rx) = mpsc::channel(2);
    let mut cx = noop_cx();
    assert!(rx.poll_recv(&mut cx).is_pending());
    tx.send(1).await.unwrap();
    assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(Some(1)));
    let mut buf = Vec::new();
    assert!(rx.poll_recv_many(&mut cx, &mut buf, 4).is_pending());
    tx.send(2).await.unwrap();
    assert_eq!(rx.poll_recv_many(&mut cx, &mut buf, 4), Poll::Ready(1));

    let (tx, mut rx) = mpsc::unbounded_channel();
    assert!(rx.poll_recv(&mut cx).is_pending());
    tx.send(3).unwrap();
    assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(Some(3)));
    tx.send(4).unwrap();
    assert_eq!(rx.poll_recv_many(&mut cx, &mut buf, 4), Poll::Ready(1));
    assert_eq!(buf, [2, 4]);
}

#[weave::test]
async fn sender_closed_future() {
    let (tx, rx) = mpsc::channel::<u8>(1);
    let tx2 = tx.clone();
    let waiter = weave::spawn(async move { tx2.closed().await });
    weave::task::yield_now().await;
    drop(rx);
    waiter.await.unwrap();
    tx.closed().await; // already closed: ready at once

    let (tx, mut rx) = mpsc::unbounded_channel::<u8>();
    let tx2 = tx.clone();
    let waiter = weave::spawn(async move { tx2.closed().await });
    weave::task::yield_now().await;
    rx.close();
    waiter.await.unwrap();
    assert!(tx.is_closed());

    // A dropped `closed` future unregisters cleanly.
    let (tx, rx) = mpsc::channel::<u8>(1);
    {
        let mut closed = pin!(tx.closed());
        assert!(closed.as_mut().poll(&mut noop_cx()).is_pending());
    }
    drop(rx);
    tx.closed().await;
}

#[test]
fn counts_same_channel_and_weak_senders() {
    let (tx, rx) = mpsc::channel::<u8>(1);
    let (other, _orx) = mpsc::channel::<u8>(1);
    assert!(tx.same_channel(&tx.clone()));
    assert!(!tx.same_channel(&other));
    assert_eq!((tx.strong_count(), tx.weak_count()), (1, 0));
    let weak = tx.downgrade();
    let weak2 = weak.clone();
    assert_eq!((rx.sender_strong_count(), rx.sender_weak_count()), (1, 2));
    assert_eq!((weak.strong_count(), weak.weak_count()), (1, 2));
    let up = weak.upgrade().unwrap();
    assert_eq!(rx.sender_strong_count(), 2);
    drop((tx, up));
    assert!(weak2.upgrade().is_none());
    assert!(rx.is_closed());
    drop(weak);
    assert_eq!(rx.sender_weak_count(), 1);
    assert!(format!("{weak2:?}").contains("WeakSender"));

    let (tx, rx) = mpsc::unbounded_channel::<u8>();
    let (other, _orx) = mpsc::unbounded_channel::<u8>();
    assert!(tx.same_channel(&tx.clone()));
    assert!(!tx.same_channel(&other));
    let weak = tx.downgrade();
    assert_eq!((tx.strong_count(), tx.weak_count()), (1, 1));
    assert_eq!((weak.strong_count(), weak.weak_count()), (1, 1));
    assert_eq!((rx.sender_strong_count(), rx.sender_weak_count()), (1, 1));
    let w2 = weak.clone();
    let up = w2.upgrade().unwrap();
    up.send(1).unwrap();
    drop((tx, up));
    assert!(weak.upgrade().is_none());
    assert!(format!("{w2:?} {rx:?} {weak:?}").contains("UnboundedReceiver"));
}

#[test]
fn weak_sender_does_not_keep_channel_open() {
    let (tx, mut rx) = mpsc::unbounded_channel::<u8>();
    let weak = tx.downgrade();
    drop(tx);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    assert!(weak.upgrade().is_none());
}

#[test]
fn values_left_in_channel_are_dropped() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = mpsc::channel(4);
    tx.try_send(DropCounter(drops.clone())).unwrap();
    tx.try_send(DropCounter(drops.clone())).unwrap();
    drop(rx); // the receiver drops what is queued
    assert_eq!(drops.load(SeqCst), 2);
    drop(tx);

    let (tx, rx) = mpsc::unbounded_channel();
    tx.send(DropCounter(drops.clone())).unwrap();
    drop(tx);
    assert_eq!(drops.load(SeqCst), 2);
    drop(rx);
    assert_eq!(drops.load(SeqCst), 3);

    // Sent through a permit after the receiver is gone: dropped with the
    // channel.
    let (tx, rx) = mpsc::channel(1);
    let permit = tx.try_reserve().unwrap();
    drop(rx);
    permit.send(DropCounter(drops.clone()));
    assert_eq!(drops.load(SeqCst), 3);
    drop(tx);
    assert_eq!(drops.load(SeqCst), 4);
}

#[weave::test]
async fn dropped_send_and_recv_futures_lose_nothing() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, mut rx) = mpsc::channel(1);
    tx.send(1).await.unwrap();
    {
        // Waits for room; dropped while waiting: no message, no slot kept.
        let mut send = pin!(tx.send(2));
        assert!(send.as_mut().poll(&mut noop_cx()).is_pending());
    }
    {
        let mut send = pin!(tx.send(3));
        assert!(send.as_mut().poll(&mut noop_cx()).is_pending());
    }
    assert_eq!(rx.recv().await, Some(1));
    assert_eq!(tx.capacity(), 1);
    {
        // A recv dropped while waiting takes nothing.
        let mut recv = pin!(rx.recv());
        assert!(recv.as_mut().poll(&mut noop_cx()).is_pending());
    }
    tx.send(4).await.unwrap();
    assert_eq!(rx.recv().await, Some(4));
    // The value of a cancelled send is dropped, never queued.
    {
        let _blocker = tx.try_reserve().unwrap();
        let mut send = pin!(tx.send(99));
        assert!(send.as_mut().poll(&mut noop_cx()).is_pending());
    }
    assert!(rx.is_empty());

    let (tx, mut rx) = mpsc::channel(1);
    let p = tx.try_reserve().unwrap();
    {
        let mut send = pin!(tx.send(DropCounter(drops.clone())));
        assert!(send.as_mut().poll(&mut noop_cx()).is_pending());
    }
    assert_eq!(drops.load(SeqCst), 1);
    drop(p);
    assert!(rx.try_recv().is_err());
}

#[weave::test(start_paused = true)]
async fn send_timeout() {
    let (tx, mut rx) = mpsc::channel(1);
    tx.send_timeout(1, Duration::from_secs(1)).await.unwrap();
    let err = tx
        .send_timeout(2, Duration::from_secs(5))
        .await
        .unwrap_err();
    assert!(err.is_timeout() && !err.is_closed());
    assert_eq!(err.to_string(), "timed out waiting on send operation");
    assert_eq!(format!("{err:?}"), "Timeout(..)");
    assert_eq!(err.into_inner(), 2);

    // Room appears before the deadline.
    let sender = {
        let tx = tx.clone();
        weave::spawn(async move { tx.send_timeout(3, Duration::from_secs(10)).await })
    };
    weave::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(rx.recv().await, Some(1));
    sender.await.unwrap().unwrap();
    assert_eq!(rx.recv().await, Some(3));

    drop(rx);
    let err = tx
        .send_timeout(4, Duration::from_secs(1))
        .await
        .unwrap_err();
    assert!(matches!(err, SendTimeoutError::Closed(4)));
    assert_eq!(err.to_string(), "channel closed");
}

#[test]
fn blocking_send_and_recv_from_plain_threads() {
    let (tx, mut rx) = mpsc::channel(2);
    let producer = thread::spawn(move || {
        for i in 0..100 {
            tx.blocking_send(i).unwrap();
        }
    });
    let mut got = Vec::new();
    while let Some(i) = rx.blocking_recv() {
        got.push(i);
    }
    producer.join().unwrap();
    assert_eq!(got, (0..100).collect::<Vec<_>>());

    let (tx, mut rx) = mpsc::unbounded_channel();
    let consumer = thread::spawn(move || {
        let mut all = Vec::new();
        let mut buf = Vec::new();
        while rx.blocking_recv_many(&mut buf, 7) > 0 {
            all.append(&mut buf);
        }
        all
    });
    for i in 0..50 {
        tx.send(i).unwrap();
    }
    drop(tx);
    assert_eq!(consumer.join().unwrap(), (0..50).collect::<Vec<_>>());

    let (tx, mut rx) = mpsc::channel(1);
    let consumer = thread::spawn(move || {
        let mut buf = Vec::new();
        rx.blocking_recv_many(&mut buf, 4);
        buf
    });
    tx.blocking_send(8).unwrap();
    assert_eq!(consumer.join().unwrap(), [8]);

    let (tx, mut rx) = mpsc::unbounded_channel();
    let consumer = thread::spawn(move || rx.blocking_recv());
    tx.send(1).unwrap();
    assert_eq!(consumer.join().unwrap(), Some(1));
}

#[weave::test]
async fn blocking_recv_inside_runtime_panics() {
    let (_tx, mut rx) = mpsc::channel::<u8>(1);
    let err =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| rx.blocking_recv())).unwrap_err();
    let msg = err
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| err.downcast_ref::<String>().cloned())
        .unwrap();
    assert!(msg.contains("cannot be called from within an asynchronous runtime"));
    let (tx, _rx) = mpsc::channel::<u8>(1);
    assert!(
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| tx.blocking_send(1))).is_err()
    );
}

#[test]
fn works_without_a_weave_runtime() {
    futures::executor::block_on(async {
        let (tx, mut rx) = mpsc::channel(2);
        let (utx, mut urx) = mpsc::unbounded_channel();
        let producer = thread::spawn(move || {
            futures::executor::block_on(async move {
                for i in 0..200u32 {
                    tx.send(i).await.unwrap();
                    utx.send(i).unwrap();
                }
            })
        });
        let mut sum = 0;
        while let Some(i) = rx.recv().await {
            sum += i;
            assert_eq!(urx.recv().await, Some(i));
        }
        assert_eq!(sum, 199 * 200 / 2);
        assert_eq!(urx.recv().await, None);
        producer.join().unwrap();
    });
}

/// 5 producers x 1000 messages on the multi-thread runtime; every message
/// arrives exactly once and each producer's messages arrive in order.
async fn five_producers(bounded: bool) {
    const PRODUCERS: usize = 5;
    const N: usize = 1000;
    let (btx, mut brx) = mpsc::channel::<(usize, usize)>(100);
    let (utx, mut urx) = mpsc::unbounded_channel::<(usize, usize)>();
    let mut handles = Vec::new();
    for p in 0..PRODUCERS {
        let btx = btx.clone();
        let utx = utx.clone();
        handles.push(weave::spawn(async move {
            for i in 0..N {
                if bounded {
                    btx.send((p, i)).await.unwrap();
                } else {
                    utx.send((p, i)).unwrap();
                }
            }
        }));
    }
    drop((btx, utx));
    let mut next = [0usize; PRODUCERS];
    let mut total = 0;
    loop {
        let msg = if bounded {
            brx.recv().await
        } else {
            urx.recv().await
        };
        let Some((p, i)) = msg else { break };
        assert_eq!(next[p], i, "producer {p} out of order");
        next[p] += 1;
        total += 1;
    }
    assert_eq!(total, PRODUCERS * N);
    assert!(next.iter().all(|&n| n == N));
    for h in handles {
        h.await.unwrap();
    }
}

#[weave::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_producers_bounded_multi_thread() {
    five_producers(true).await;
}

#[weave::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_producers_unbounded_multi_thread() {
    five_producers(false).await;
}

#[weave::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_producers_with_recv_many() {
    let (tx, mut rx) = mpsc::channel::<usize>(16);
    for p in 0..4 {
        let tx = tx.clone();
        weave::spawn(async move {
            for i in 0..500 {
                tx.send(p * 1000 + i).await.unwrap();
            }
        });
    }
    drop(tx);
    let mut buf = Vec::new();
    while rx.recv_many(&mut buf, 32).await > 0 {}
    buf.sort();
    let expected: Vec<usize> = (0..4)
        .flat_map(|p| (0..500).map(move |i| p * 1000 + i))
        .collect();
    assert_eq!(buf, expected);
}

#[weave::test]
async fn recv_yields_to_budget_but_loses_nothing() {
    // Far more messages than the cooperative budget: the receive loop is
    // forced to yield now and then, and still gets everything.
    let (tx, mut rx) = mpsc::unbounded_channel();
    for i in 0..1000 {
        tx.send(i).unwrap();
    }
    drop(tx);
    let mut n = 0;
    while let Some(i) = rx.recv().await {
        assert_eq!(i, n);
        n += 1;
    }
    assert_eq!(n, 1000);
}

#[test]
fn debug_impls_do_not_need_debug_values() {
    let (tx, rx) = mpsc::channel::<Opaque>(1);
    let permit = tx.try_reserve().unwrap();
    assert!(format!("{tx:?} {rx:?} {permit:?}").contains("Sender"));
    drop(permit);
    let owned = tx.clone().try_reserve_owned().unwrap();
    assert!(format!("{owned:?}").contains("OwnedPermit"));
    let it = tx.try_reserve_many(0).unwrap();
    assert!(format!("{it:?}").contains("PermitIterator"));
    let (utx, urx) = mpsc::unbounded_channel::<Opaque>();
    assert!(format!("{utx:?} {urx:?}").contains("UnboundedSender"));
    assert_eq!(
        format!("{:?}", SendTimeoutError::Closed(Opaque(0))),
        "Closed(..)"
    );
}

#[test]
fn handles_and_futures_are_send_and_sync() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    fn send<T: Send>(_: &T) {}
    let (tx, mut rx) = mpsc::channel::<String>(1);
    send_sync(&tx);
    send_sync(&rx);
    send_sync(&tx.downgrade());
    send(&tx.send(String::new()));
    send(&tx.reserve());
    send(&rx.recv());
    send_sync(&tx.try_reserve().unwrap());
    let (utx, mut urx) = mpsc::unbounded_channel::<String>();
    send_sync(&utx);
    send_sync(&urx);
    send_sync(&utx.downgrade());
    send(&urx.recv());
    send(&utx.closed());
}
