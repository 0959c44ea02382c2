//! `weave::sync::watch` through its public API.
#![cfg(not(loom))]

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll};
use weave::sync::watch::{self, error::RecvError, error::SendError};

fn poll_noop<F: Future>(fut: std::pin::Pin<&mut F>) -> Poll<F::Output> {
    fut.poll(&mut Context::from_waker(futures::task::noop_waker_ref()))
}

#[test]
fn initial_value_is_seen() {
    let (tx, rx) = watch::channel(5);
    assert_eq!(*rx.borrow(), 5);
    assert!(!rx.borrow().has_changed());
    assert_eq!(rx.has_changed(), Ok(false));
    assert_eq!(*tx.borrow(), 5);
    assert!(!tx.borrow().has_changed());
}

#[test]
fn send_and_borrow_variants() {
    let (tx, mut rx) = watch::channel(String::from("a"));
    tx.send(String::from("b")).unwrap();
    {
        let r = rx.borrow();
        assert_eq!(*r, "b");
        assert!(r.has_changed());
        assert_eq!(format!("{r:?}"), "\"b\"");
    }
    assert_eq!(rx.has_changed(), Ok(true));
    {
        let r = rx.borrow_and_update();
        assert!(r.has_changed());
        assert_eq!(r.len(), 1); // Deref to the value
    }
    assert_eq!(rx.has_changed(), Ok(false));
    assert!(!rx.borrow_and_update().has_changed());
}

#[test]
fn send_fails_without_receivers_and_keeps_value() {
    let (tx, rx) = watch::channel(1);
    drop(rx);
    assert!(tx.is_closed());
    let SendError(back) = tx.send(2).unwrap_err();
    assert_eq!(back, 2);
    assert_eq!(*tx.borrow(), 1);
    assert_eq!(format!("{:?}", SendError(())), "SendError { .. }");
    // send_replace / send_modify still store the value.
    assert_eq!(tx.send_replace(3), 1);
    tx.send_modify(|v| *v += 1);
    assert_eq!(*tx.borrow(), 4);
}

#[test]
fn send_if_modified_notifies_only_on_true() {
    let (tx, mut rx) = watch::channel(0);
    assert!(!tx.send_if_modified(|_| false));
    assert_eq!(rx.has_changed(), Ok(false));
    {
        let mut changed = pin!(rx.changed());
        assert!(poll_noop(changed.as_mut()).is_pending());
        assert!(tx.send_if_modified(|v| {
            *v = 9;
            true
        }));
        assert_eq!(poll_noop(changed.as_mut()), Poll::Ready(Ok(())));
    }
    assert_eq!(*rx.borrow(), 9);
}

#[test]
fn changed_sees_only_latest_after_several_sends() {
    let (tx, mut rx) = watch::channel(0);
    futures::executor::block_on(async {
        tx.send(1).unwrap();
        tx.send(2).unwrap();
        tx.send(3).unwrap();
        rx.changed().await.unwrap();
        assert_eq!(*rx.borrow_and_update(), 3);
        let mut next = pin!(rx.changed());
        assert!(poll_noop(next.as_mut()).is_pending());
    });
}

#[test]
fn changed_after_close_returns_unseen_value_then_error() {
    let (tx, mut rx) = watch::channel(0);
    tx.send(1).unwrap();
    drop(tx);
    assert!(rx.is_closed());
    assert_eq!(rx.has_changed(), Err(clone_err()));
    futures::executor::block_on(async {
        assert_eq!(rx.changed().await, Ok(()));
        assert_eq!(*rx.borrow(), 1);
        let err = rx.changed().await.unwrap_err();
        assert_eq!(err.to_string(), "channel closed");
    });
}

/// `RecvError` has no public constructor; get one from a closed channel.
fn clone_err() -> RecvError {
    let (tx, rx) = watch::channel(());
    drop(tx);
    rx.has_changed().unwrap_err()
}

#[test]
fn pending_changed_wakes_on_sender_drop() {
    let (tx, mut rx) = watch::channel(0);
    let mut changed = pin!(rx.changed());
    assert!(poll_noop(changed.as_mut()).is_pending());
    drop(tx);
    assert!(matches!(poll_noop(changed.as_mut()), Poll::Ready(Err(_))));
}

#[test]
fn mark_changed_and_unchanged() {
    let (tx, mut rx) = watch::channel(0);
    rx.mark_changed();
    assert_eq!(rx.has_changed(), Ok(true));
    futures::executor::block_on(rx.changed()).unwrap();
    assert_eq!(rx.has_changed(), Ok(false));
    tx.send(1).unwrap();
    rx.mark_unchanged();
    assert_eq!(rx.has_changed(), Ok(false));
    let mut changed = pin!(rx.changed());
    assert!(poll_noop(changed.as_mut()).is_pending());
}

#[test]
fn wait_for_checks_current_value_first() {
    let (tx, mut rx) = watch::channel(10);
    futures::executor::block_on(async {
        let r = rx.wait_for(|v| *v == 10).await.unwrap();
        assert!(!r.has_changed());
        drop(r);
        tx.send(11).unwrap();
        let r = rx.wait_for(|v| *v > 10).await.unwrap();
        assert!(r.has_changed());
        assert_eq!(*r, 11);
        drop(r);
        assert_eq!(rx.has_changed(), Ok(false));
        let mut waiting = pin!(rx.wait_for(|v| *v == 12));
        assert!(poll_noop(waiting.as_mut()).is_pending());
        tx.send(13).unwrap();
        assert!(poll_noop(waiting.as_mut()).is_pending());
        tx.send(12).unwrap();
        match poll_noop(waiting.as_mut()) {
            Poll::Ready(Ok(r)) => assert_eq!(*r, 12),
            _ => panic!("wait_for should be ready"),
        }
    });
}

#[test]
fn wait_for_after_close() {
    let (tx, mut rx) = watch::channel(1);
    tx.send(2).unwrap();
    drop(tx);
    futures::executor::block_on(async {
        // The final value satisfies the predicate: Ok even though closed.
        assert_eq!(*rx.wait_for(|v| *v == 2).await.unwrap(), 2);
        // It never will: error.
        assert!(rx.wait_for(|v| *v == 3).await.is_err());
    });
}

#[test]
fn counts_subscribe_clone_same_channel() {
    let (tx, rx) = watch::channel(0);
    assert_eq!(tx.receiver_count(), 1);
    assert_eq!(tx.sender_count(), 1);
    let rx2 = rx.clone();
    tx.send(1).unwrap();
    let rx3 = tx.subscribe();
    assert_eq!(tx.receiver_count(), 3);
    // A clone has seen what the original saw; a subscriber the current value.
    assert_eq!(rx2.has_changed(), Ok(true));
    assert_eq!(rx3.has_changed(), Ok(false));
    let tx2 = tx.clone();
    assert_eq!(tx.sender_count(), 2);
    assert!(tx.same_channel(&tx2));
    assert!(rx.same_channel(&rx3));
    let (other_tx, other_rx) = watch::channel(0);
    assert!(!tx.same_channel(&other_tx));
    assert!(!rx.same_channel(&other_rx));
    // Closing needs every sender gone.
    drop(tx);
    assert!(!rx.is_closed());
    drop(tx2);
    assert!(rx.is_closed());
    drop((rx, rx2));
    assert!(format!("{rx3:?}").starts_with("Receiver"));
    assert!(format!("{other_tx:?}").starts_with("Sender"));
}

#[test]
fn sender_new_then_subscribe() {
    let tx = watch::Sender::new("x");
    assert!(tx.is_closed());
    assert!(tx.send("y").is_err());
    let mut rx = tx.subscribe();
    assert!(!tx.is_closed());
    tx.send("z").unwrap();
    assert_eq!(*rx.borrow_and_update(), "z");
}

#[test]
fn closed_waits_for_last_receiver() {
    let (tx, rx) = watch::channel(());
    let rx2 = rx.clone();
    let mut closed = pin!(tx.closed());
    assert!(poll_noop(closed.as_mut()).is_pending());
    drop(rx);
    assert!(poll_noop(closed.as_mut()).is_pending());
    drop(rx2);
    assert!(poll_noop(closed.as_mut()).is_ready());
}

#[test]
fn handles_are_send_and_sync() {
    fn check<T: Send + Sync>(_: &T) {}
    let (tx, rx) = watch::channel(0u32);
    check(&tx);
    check(&rx);
}

/// No weave runtime: a plain thread sends while `futures::executor`
/// drives the receiver.
#[test]
fn works_under_futures_block_on() {
    let (tx, mut rx) = watch::channel(0u32);
    let t = std::thread::spawn(move || {
        for i in 1..=100 {
            tx.send(i).unwrap();
        }
    });
    futures::executor::block_on(async {
        let mut last = 0;
        while rx.changed().await.is_ok() {
            let v = *rx.borrow_and_update();
            assert!(v > last);
            last = v;
        }
        assert_eq!(last, 100);
    });
    t.join().unwrap();
}

/// Many receivers on the multi-thread runtime all converge on the final
/// value, each seeing a strictly increasing sequence.
#[weave::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_receivers_see_increasing_values() {
    const RX: usize = 16;
    const LAST: u64 = 1000;
    let (tx, rx) = watch::channel(0u64);
    let done = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..RX)
        .map(|_| {
            let mut rx = rx.clone();
            let done = done.clone();
            weave::spawn(async move {
                let mut last = 0;
                while rx.changed().await.is_ok() {
                    let v = *rx.borrow_and_update();
                    assert!(v > last, "{v} after {last}");
                    last = v;
                }
                assert_eq!(last, LAST);
                done.fetch_add(1, SeqCst);
            })
        })
        .collect();
    drop(rx);
    for i in 1..=LAST {
        tx.send(i).unwrap();
        if i % 100 == 0 {
            weave::task::yield_now().await;
        }
    }
    drop(tx);
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(done.load(SeqCst), RX);
}

#[weave::test]
async fn sender_closed_in_runtime() {
    let (tx, rx) = watch::channel(0);
    let t = weave::spawn(async move {
        let mut rx = rx;
        rx.wait_for(|v| *v == 3).await.unwrap();
    });
    tx.send(3).unwrap();
    tx.closed().await;
    t.await.unwrap();
}
