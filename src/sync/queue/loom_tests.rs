//! loom models of the queue's wait lists.

use super::Queue;
use loom::future::block_on;
use loom::thread;
use std::future::Future;
use std::task::{Context, Poll, Waker};

/// `join` waits while another thread takes the item and marks it done.
#[test]
fn loom_queue_join_vs_task_done() {
    loom::model(|| {
        let queue = Queue::unbounded();
        queue.try_put(1u8).unwrap();
        let q = queue.clone();
        let t = thread::spawn(move || {
            assert_eq!(q.try_get(), Ok(1));
            q.task_done().unwrap();
        });
        block_on(queue.join());
        assert!(queue.task_done().is_err());
        t.join().unwrap();
    });
}

/// A getter is woken by a put and dropped before it runs: the wake-up is
/// passed to the getter waiting behind it, which receives the item.
#[test]
fn loom_queue_woken_get_dropped_passes_on() {
    loom::model(|| {
        let queue = Queue::unbounded();
        let mut first = Box::pin(queue.get());
        let mut cx = Context::from_waker(Waker::noop());
        assert_eq!(first.as_mut().poll(&mut cx), Poll::Pending);

        let q = queue.clone();
        let second = thread::spawn(move || block_on(q.get()));

        queue.try_put(7u8).unwrap();
        drop(first);
        assert_eq!(second.join().unwrap(), Some(7));
    });
}

/// The same for putters: a putter woken by a get and dropped passes the
/// free slot on.
#[test]
fn loom_queue_woken_put_dropped_passes_on() {
    loom::model(|| {
        let queue = Queue::bounded(1);
        queue.try_put(0u8).unwrap();
        let mut cx = Context::from_waker(Waker::noop());
        let mut first = Box::pin(queue.put(1));
        assert!(first.as_mut().poll(&mut cx).is_pending());

        let q = queue.clone();
        let second = thread::spawn(move || block_on(q.put(2)));

        assert_eq!(queue.try_get(), Ok(0));
        drop(first);
        second.join().unwrap().unwrap();
        assert_eq!(queue.try_get(), Ok(2));
    });
}

/// `close` racing a waiting `get` and a `put`: the getter ends with the
/// item (if the put won) or `None`, and the item is never lost.
#[test]
fn loom_queue_close_vs_get_and_put() {
    loom::model(|| {
        let queue = Queue::<u8>::unbounded();
        let q = queue.clone();
        let getter = thread::spawn(move || block_on(q.get()));
        let q = queue.clone();
        let closer = thread::spawn(move || q.close());
        let put = queue.try_put(1).is_ok();
        closer.join().unwrap();
        let got = getter.join().unwrap();
        let left = queue.try_get().ok();
        // A successful put is received by the getter or still queued.
        assert_eq!(put, got.is_some() || left.is_some());
        assert!(!(got.is_some() && left.is_some()));
    });
}
