//! `weave::sync::broadcast` through its public API.
#![cfg(not(loom))]

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use weave::sync::broadcast::{
    self,
    error::{RecvError, SendError, TryRecvError},
};

fn poll_noop<F: Future>(fut: std::pin::Pin<&mut F>) -> Poll<F::Output> {
    fut.poll(&mut Context::from_waker(futures::task::noop_waker_ref()))
}

#[derive(Default)]
struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

#[test]
fn every_receiver_sees_every_value() {
    let (tx, mut rx1) = broadcast::channel(8);
    let mut rx2 = tx.subscribe();
    assert_eq!(tx.send(1).unwrap(), 2);
    assert_eq!(tx.send(2).unwrap(), 2);
    for rx in [&mut rx1, &mut rx2] {
        assert_eq!(rx.try_recv(), Ok(1));
        assert_eq!(rx.try_recv(), Ok(2));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    }
}

#[test]
fn subscribers_see_only_later_values() {
    let (tx, rx) = broadcast::channel(8);
    tx.send("early").unwrap();
    let mut late = tx.subscribe();
    let mut resub = rx.resubscribe();
    tx.send("late").unwrap();
    assert_eq!(late.try_recv(), Ok("late"));
    assert_eq!(resub.try_recv(), Ok("late"));
    assert!(late.same_channel(&rx));
    assert!(resub.same_channel(&late));
}

#[test]
fn send_without_receivers_hands_value_back() {
    let (tx, rx) = broadcast::channel(2);
    drop(rx);
    let SendError(back) = tx.send(String::from("v")).unwrap_err();
    assert_eq!(back, "v");
    assert_eq!(format!("{:?}", SendError(1)), "SendError { .. }");
    assert_eq!(SendError(1).to_string(), "channel closed");
    // A new subscriber makes sends succeed again.
    let mut rx = tx.subscribe();
    tx.send(String::from("w")).unwrap();
    assert_eq!(rx.try_recv().unwrap(), "w");
}

#[test]
#[should_panic(expected = "broadcast channel capacity cannot be zero")]
fn zero_capacity_panics() {
    let _ = broadcast::channel::<u8>(0);
}

#[test]
#[should_panic(expected = "capacity exceeded")]
fn huge_capacity_panics() {
    let _ = broadcast::channel::<u8>(usize::MAX);
}

#[test]
fn capacity_rounds_up_to_power_of_two() {
    let (tx, mut rx) = broadcast::channel(3);
    for i in 0..4 {
        tx.send(i).unwrap();
    }
    assert_eq!(rx.try_recv(), Ok(0)); // 4 fit
    let (tx, mut rx) = broadcast::channel(3);
    for i in 0..5 {
        tx.send(i).unwrap();
    }
    assert_eq!(rx.try_recv(), Err(TryRecvError::Lagged(1)));
    assert_eq!(rx.try_recv(), Ok(1));
}

#[test]
fn lagged_once_then_continues_from_oldest() {
    let (tx, mut rx) = broadcast::channel(2);
    for i in 0..5 {
        tx.send(i).unwrap();
    }
    assert_eq!(rx.len(), 5);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Lagged(3)));
    assert_eq!(rx.len(), 2);
    assert_eq!(rx.try_recv(), Ok(3));
    assert_eq!(rx.try_recv(), Ok(4));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    assert_eq!(TryRecvError::Lagged(3).to_string(), "channel lagged by 3");
}

#[test]
fn recv_reports_lag_and_close() {
    let (tx, mut rx) = broadcast::channel(1);
    futures::executor::block_on(async {
        tx.send(1).unwrap();
        tx.send(2).unwrap();
        assert_eq!(rx.recv().await, Err(RecvError::Lagged(1)));
        assert_eq!(rx.recv().await, Ok(2));
        tx.send(3).unwrap();
        drop(tx);
        assert!(rx.is_closed());
        // Values sent before the close are still delivered.
        assert_eq!(rx.recv().await, Ok(3));
        assert_eq!(rx.recv().await, Err(RecvError::Closed));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    });
    assert_eq!(RecvError::Closed.to_string(), "channel closed");
    assert_eq!(RecvError::Lagged(2).to_string(), "channel lagged by 2");
    assert_eq!(TryRecvError::Empty.to_string(), "channel empty");
    assert_eq!(TryRecvError::Closed.to_string(), "channel closed");
}

#[test]
fn values_dropped_when_last_needer_reads_or_overwritten() {
    let value = Arc::new(());
    let (tx, mut rx1) = broadcast::channel(1);
    let mut rx2 = tx.subscribe();
    tx.send(value.clone()).unwrap();
    assert_eq!(Arc::strong_count(&value), 2);
    drop(rx1.try_recv().unwrap()); // a clone; rx2 still needs it
    assert_eq!(Arc::strong_count(&value), 2);
    drop(rx2.try_recv().unwrap()); // the last reader took it out
    assert_eq!(Arc::strong_count(&value), 1);

    // Overwritten before anyone read it.
    tx.send(value.clone()).unwrap();
    tx.send(Arc::new(())).unwrap();
    assert_eq!(Arc::strong_count(&value), 1);

    // Released by a receiver that drops without reading.
    let (tx, rx) = broadcast::channel(4);
    tx.send(value.clone()).unwrap();
    assert_eq!(Arc::strong_count(&value), 2);
    drop(rx);
    assert_eq!(Arc::strong_count(&value), 1);
    drop((rx1, rx2));
}

#[test]
fn lengths() {
    let (tx, mut rx1) = broadcast::channel(4);
    let mut rx2 = tx.subscribe();
    assert!(tx.is_empty() && rx1.is_empty());
    tx.send(1).unwrap();
    tx.send(2).unwrap();
    assert_eq!(tx.len(), 2);
    assert_eq!(rx1.len(), 2);
    rx1.try_recv().unwrap();
    rx1.try_recv().unwrap();
    assert!(rx1.is_empty());
    assert_eq!(tx.len(), 2); // rx2 still needs both
    rx2.try_recv().unwrap();
    assert_eq!(tx.len(), 1);
    rx2.try_recv().unwrap();
    assert!(tx.is_empty());
    for i in 0..10 {
        tx.send(i).unwrap();
    }
    assert_eq!(tx.len(), 4); // never more than the capacity
    assert_eq!(rx1.len(), 10);
}

#[test]
fn counts_and_same_channel() {
    let (tx, rx) = broadcast::channel::<u8>(2);
    assert_eq!(tx.receiver_count(), 1);
    let rx2 = tx.subscribe();
    assert_eq!(tx.receiver_count(), 2);
    drop(rx2);
    assert_eq!(tx.receiver_count(), 1);
    let tx2 = tx.clone();
    assert!(tx.same_channel(&tx2));
    let (other, _orx) = broadcast::channel::<u8>(2);
    assert!(!tx.same_channel(&other));
    assert_eq!(tx.strong_count(), 2);
    assert_eq!(rx.sender_strong_count(), 2);
    drop(tx2);
    assert!(!rx.is_closed());
    assert!(format!("{tx:?}").starts_with("Sender"));
    assert!(format!("{rx:?}").starts_with("Receiver"));
}

#[test]
fn weak_sender() {
    let (tx, mut rx) = broadcast::channel::<u8>(2);
    let weak = tx.downgrade();
    let weak2 = weak.clone();
    assert_eq!(tx.weak_count(), 2);
    assert_eq!(weak.strong_count(), 1);
    assert_eq!(rx.sender_weak_count(), 2);
    drop(weak2);
    assert_eq!(weak.weak_count(), 1);
    let up = weak.upgrade().unwrap();
    assert_eq!(tx.strong_count(), 2);
    drop(tx);
    up.send(7).unwrap();
    drop(up);
    // Weak senders do not keep the channel open.
    assert!(weak.upgrade().is_none());
    assert_eq!(rx.try_recv(), Ok(7));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    assert!(format!("{weak:?}").starts_with("WeakSender"));
}

#[test]
fn sender_new_has_no_receivers() {
    let tx = broadcast::Sender::<u8>::new(4);
    assert_eq!(tx.receiver_count(), 0);
    assert!(tx.send(1).is_err());
    let mut rx = tx.subscribe();
    tx.send(2).unwrap();
    assert_eq!(rx.try_recv(), Ok(2));
}

#[test]
fn closed_waits_for_last_receiver() {
    let (tx, rx) = broadcast::channel::<u8>(2);
    let rx2 = rx.resubscribe();
    let mut closed = pin!(tx.closed());
    assert!(poll_noop(closed.as_mut()).is_pending());
    drop(rx);
    assert!(poll_noop(closed.as_mut()).is_pending());
    drop(rx2);
    assert!(poll_noop(closed.as_mut()).is_ready());
}

#[test]
fn pending_recv_is_woken_by_send_and_close() {
    let (tx, mut rx) = broadcast::channel(2);
    let counts = Arc::new(CountingWaker::default());
    let waker = Waker::from(counts.clone());
    {
        let mut recv = pin!(rx.recv());
        let mut cx = Context::from_waker(&waker);
        assert!(recv.as_mut().poll(&mut cx).is_pending());
        tx.send(5).unwrap();
        assert_eq!(counts.0.load(SeqCst), 1);
        assert_eq!(recv.as_mut().poll(&mut cx), Poll::Ready(Ok(5)));
    }
    let mut recv = pin!(rx.recv());
    let mut cx = Context::from_waker(&waker);
    assert!(recv.as_mut().poll(&mut cx).is_pending());
    drop(tx);
    assert_eq!(counts.0.load(SeqCst), 2);
    assert_eq!(
        recv.as_mut().poll(&mut cx),
        Poll::Ready(Err(RecvError::Closed))
    );
}

/// A `recv` future dropped while waiting leaves no waiter behind and
/// takes no value: the next receive gets it.
#[test]
fn cancelled_recv_leaves_nothing_behind() {
    let (tx, mut rx) = broadcast::channel(2);
    let counts = Arc::new(CountingWaker::default());
    let waker = Waker::from(counts.clone());
    {
        let mut recv = pin!(rx.recv());
        assert!(recv
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_pending());
    }
    tx.send(1).unwrap();
    assert_eq!(counts.0.load(SeqCst), 0); // its waker was unregistered
    assert_eq!(rx.try_recv(), Ok(1));
    // A whole receiver dropped while its recv waited: same.
    let mut rx2 = tx.subscribe();
    {
        let mut recv = pin!(rx2.recv());
        assert!(recv
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_pending());
    }
    drop(rx2);
    tx.send(2).unwrap();
    assert_eq!(counts.0.load(SeqCst), 0);
    assert_eq!(tx.receiver_count(), 1);
}

#[test]
fn blocking_recv_on_plain_thread() {
    let (tx, mut rx) = broadcast::channel(2);
    let t = std::thread::spawn(move || (rx.blocking_recv(), rx.blocking_recv()));
    tx.send(1).unwrap();
    drop(tx);
    assert_eq!(t.join().unwrap(), (Ok(1), Err(RecvError::Closed)));
}

#[weave::test]
#[should_panic(expected = "`blocking_recv` cannot be called from within an asynchronous runtime")]
async fn blocking_recv_in_runtime_panics() {
    let (_tx, mut rx) = broadcast::channel::<u8>(1);
    let _ = rx.blocking_recv();
}

#[test]
fn handles_are_send_and_sync() {
    fn check<T: Send + Sync>(_: &T) {}
    let (tx, rx) = broadcast::channel::<u32>(1);
    check(&tx);
    check(&rx);
    check(&tx.downgrade());
}

/// No weave runtime: a plain thread sends while `futures::executor`
/// drives the receiver.
#[test]
fn works_under_futures_block_on() {
    let (tx, mut rx) = broadcast::channel(1024);
    let t = std::thread::spawn(move || {
        for i in 0..1000u32 {
            tx.send(i).unwrap();
        }
    });
    futures::executor::block_on(async {
        for i in 0..1000u32 {
            assert_eq!(rx.recv().await, Ok(i));
        }
        assert_eq!(rx.recv().await, Err(RecvError::Closed));
    });
    t.join().unwrap();
}

/// Many receivers on the multi-thread runtime with a small buffer: each
/// sees an increasing sequence, and what it read plus what it was told it
/// lagged past adds up to everything sent.
#[weave::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_receivers_account_for_every_value() {
    const RX: usize = 16;
    const N: u64 = 2000;
    let (tx, rx) = broadcast::channel(8);
    let tasks: Vec<_> = (0..RX)
        .map(|_| {
            let mut rx = rx.resubscribe();
            weave::spawn(async move {
                let mut expected = 0u64;
                loop {
                    match rx.recv().await {
                        Ok(v) => {
                            assert_eq!(v, expected);
                            expected += 1;
                        }
                        Err(RecvError::Lagged(n)) => expected += n,
                        Err(RecvError::Closed) => break,
                    }
                }
                expected
            })
        })
        .collect();
    drop(rx);
    for i in 0..N {
        tx.send(i).unwrap();
        if i % 64 == 0 {
            weave::task::yield_now().await;
        }
    }
    drop(tx);
    for t in tasks {
        assert_eq!(t.await.unwrap(), N);
    }
}

/// With room for everything, no receiver lags and every value arrives.
#[weave::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_receivers_without_lag() {
    const RX: usize = 8;
    const N: u32 = 256;
    let (tx, _) = broadcast::channel::<u32>(N as usize);
    let tasks: Vec<_> = (0..RX)
        .map(|_| {
            let mut rx = tx.subscribe();
            weave::spawn(async move {
                let mut sum = 0u64;
                while let Ok(v) = rx.recv().await {
                    sum += u64::from(v);
                }
                sum
            })
        })
        .collect();
    let producer = weave::spawn(async move {
        for i in 0..N {
            tx.send(i).unwrap();
        }
    });
    producer.await.unwrap();
    for t in tasks {
        assert_eq!(t.await.unwrap(), u64::from(N) * u64::from(N - 1) / 2);
    }
}
