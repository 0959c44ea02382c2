//! `weave::sync::Queue` (asyncio's `Queue`) through its public API: FIFO
//! order, waiting on full and empty, close, `task_done`/`join`, waiter
//! fairness, cancellation, and many producers and consumers.
#![cfg(not(loom))]

use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use weave::sync::{Queue, QueueClosed, TaskDoneError, TryGetError, TryPutError};

fn noop_cx() -> Context<'static> {
    Context::from_waker(Waker::noop())
}

fn poll<F: Future>(fut: Pin<&mut F>) -> Poll<F::Output> {
    fut.poll(&mut noop_cx())
}

/// A waker that counts its wake-ups.
#[derive(Default)]
struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

fn counting() -> (Arc<CountingWaker>, Waker) {
    let c = Arc::new(CountingWaker::default());
    (c.clone(), Waker::from(c))
}

/// Neither `Debug` nor `Clone`.
struct Opaque;

#[weave::test]
async fn fifo_put_get() {
    let q = Queue::unbounded();
    assert_eq!(q.capacity(), None);
    for i in 0..10 {
        q.put(i).await.unwrap();
    }
    assert_eq!(q.len(), 10);
    assert!(!q.is_empty() && !q.is_full());
    for i in 0..10 {
        assert_eq!(q.get().await, Some(i));
    }
    assert!(q.is_empty());
}

#[test]
#[should_panic(expected = "use Queue::unbounded()")]
fn bounded_zero_panics() {
    let _ = Queue::<u8>::bounded(0);
}

#[test]
fn clones_share_one_queue() {
    let a = Queue::bounded(3);
    let b = a.clone();
    a.try_put(1).unwrap();
    assert_eq!(b.len(), 1);
    assert_eq!(b.try_get(), Ok(1));
    assert_eq!(b.capacity(), Some(3));
    b.close();
    assert!(a.is_closed());
    assert!(format!("{a:?}").contains("closed: true"));
    let _opaque: Queue<Opaque> = Queue::unbounded();
    assert!(format!("{_opaque:?}").contains("Queue"));
}

#[test]
fn try_put_try_get() {
    let q = Queue::bounded(2);
    assert_eq!(q.try_get(), Err(TryGetError::Empty));
    q.try_put(1).unwrap();
    q.try_put(2).unwrap();
    assert!(q.is_full());
    let err = q.try_put(3).unwrap_err();
    assert!(err.is_full() && !err.is_closed());
    assert_eq!(err.to_string(), "queue full");
    assert_eq!(err.into_inner(), 3);
    q.close();
    // Closed wins over full.
    assert_eq!(q.try_put(4), Err(TryPutError::Closed(4)));
    assert_eq!(TryPutError::Closed(0).to_string(), "queue closed");
    // Closed only once drained.
    assert_eq!(q.try_get(), Ok(1));
    assert_eq!(q.try_get(), Ok(2));
    assert_eq!(q.try_get(), Err(TryGetError::Closed));
    assert_eq!(TryGetError::Empty.to_string(), "queue empty");
    assert_eq!(TryGetError::Closed.to_string(), "queue closed and empty");
    assert_eq!(format!("{:?}", TryPutError::Full(Opaque)), "Full(..)");
    assert_eq!(format!("{:?}", QueueClosed(Opaque)), "QueueClosed(..)");
    let e: Box<dyn std::error::Error> = Box::new(TryGetError::Empty);
    assert_eq!(e.to_string(), "queue empty");
}

#[weave::test]
async fn put_waits_while_full() {
    let q = Queue::bounded(1);
    q.put(1).await.unwrap();
    let mut put = pin!(q.put(2));
    assert!(poll(put.as_mut()).is_pending());
    assert_eq!(q.try_get(), Ok(1));
    assert_eq!(poll(put.as_mut()), Poll::Ready(Ok(())));
    assert_eq!(q.get().await, Some(2));
}

#[weave::test]
async fn get_waits_while_empty() {
    let q = Queue::unbounded();
    let consumer = {
        let q = q.clone();
        weave::spawn(async move { q.get().await })
    };
    weave::task::yield_now().await;
    q.put("x").await.unwrap();
    assert_eq!(consumer.await.unwrap(), Some("x"));
}

#[weave::test]
async fn close_wakes_everyone() {
    let q = Queue::bounded(1);
    q.put(0).await.unwrap();
    let (pc, pw) = counting();
    let mut put = pin!(q.put(1));
    assert!(put
        .as_mut()
        .poll(&mut Context::from_waker(&pw))
        .is_pending());
    q.close();
    assert_eq!(pc.0.load(SeqCst), 1);
    let err = poll(put.as_mut());
    assert!(matches!(err, Poll::Ready(Err(QueueClosed(1)))));
    assert_eq!(q.put(2).await.unwrap_err().into_inner(), 2);
    assert_eq!(QueueClosed(()).to_string(), "queue closed");
    // Getters drain, then see None.
    assert_eq!(q.get().await, Some(0));
    assert_eq!(q.get().await, None);

    let q = Queue::<u8>::unbounded();
    let (gc, gw) = counting();
    let mut get = pin!(q.get());
    assert!(get
        .as_mut()
        .poll(&mut Context::from_waker(&gw))
        .is_pending());
    q.close();
    q.close(); // idempotent
    assert_eq!(gc.0.load(SeqCst), 1);
    assert_eq!(poll(get.as_mut()), Poll::Ready(None));
}

#[weave::test]
async fn task_done_and_join() {
    let q = Queue::unbounded();
    q.join().await; // nothing put
    assert_eq!(q.task_done(), Err(TaskDoneError::default_for_test()));
    q.put(1).await.unwrap();
    q.put(2).await.unwrap();
    let (jc, jw) = counting();
    let mut join = pin!(q.join());
    assert!(join
        .as_mut()
        .poll(&mut Context::from_waker(&jw))
        .is_pending());
    // Not taken yet: cannot be done.
    assert!(q.task_done().is_err());
    q.get().await.unwrap();
    q.task_done().unwrap();
    assert!(q.task_done().is_err());
    assert_eq!(jc.0.load(SeqCst), 0);
    q.get().await.unwrap();
    q.task_done().unwrap();
    assert_eq!(jc.0.load(SeqCst), 1);
    assert_eq!(poll(join.as_mut()), Poll::Ready(()));
    let err = q.task_done().unwrap_err();
    assert!(err.to_string().contains("task_done"));
}

trait ForTest {
    fn default_for_test() -> Self;
}

impl ForTest for TaskDoneError {
    /// `TaskDoneError` has no public constructor: get one the honest way.
    fn default_for_test() -> Self {
        Queue::<u8>::unbounded().task_done().unwrap_err()
    }
}

#[weave::test]
async fn join_waits_for_items_left_in_closed_queue() {
    let q = Queue::unbounded();
    q.put(1).await.unwrap();
    q.close();
    let mut join = pin!(q.join());
    assert!(poll(join.as_mut()).is_pending());
    assert_eq!(q.get().await, Some(1));
    assert!(poll(join.as_mut()).is_pending());
    q.task_done().unwrap();
    assert_eq!(poll(join.as_mut()), Poll::Ready(()));
}

#[weave::test]
async fn waiting_getters_are_served_in_fifo_order() {
    let q = Queue::unbounded();
    let order = Arc::new(Mutex::new(Vec::new()));
    let mut handles = Vec::new();
    for id in 0..5 {
        let q = q.clone();
        let order = order.clone();
        handles.push(weave::spawn(async move {
            let item = q.get().await.unwrap();
            order.lock().unwrap().push((id, item));
        }));
        // Let each getter register before the next one starts.
        weave::task::yield_now().await;
    }
    for item in 0..5 {
        q.put(item).await.unwrap();
    }
    for h in handles {
        h.await.unwrap();
    }
    let order = order.lock().unwrap().clone();
    assert_eq!(order, (0..5).map(|i| (i, i)).collect::<Vec<_>>());
}

#[weave::test]
async fn waiting_putters_are_served_in_fifo_order() {
    let q = Queue::bounded(1);
    q.put(100).await.unwrap();
    let mut handles = Vec::new();
    for id in 0..4 {
        let q = q.clone();
        handles.push(weave::spawn(async move { q.put(id).await.unwrap() }));
        weave::task::yield_now().await;
    }
    let mut got = Vec::new();
    for _ in 0..5 {
        got.push(q.get().await.unwrap());
    }
    assert_eq!(got, [100, 0, 1, 2, 3]);
    for h in handles {
        h.await.unwrap();
    }
}

#[test]
fn woken_then_dropped_get_passes_wakeup_on() {
    let q = Queue::unbounded();
    let (c1, w1) = counting();
    let (c2, w2) = counting();
    let mut first = Box::pin(q.get());
    let mut second = Box::pin(q.get());
    assert!(first
        .as_mut()
        .poll(&mut Context::from_waker(&w1))
        .is_pending());
    assert!(second
        .as_mut()
        .poll(&mut Context::from_waker(&w2))
        .is_pending());
    q.try_put(1).unwrap();
    assert_eq!((c1.0.load(SeqCst), c2.0.load(SeqCst)), (1, 0));
    drop(first);
    assert_eq!(c2.0.load(SeqCst), 1);
    assert_eq!(
        second.as_mut().poll(&mut Context::from_waker(&w2)),
        Poll::Ready(Some(1))
    );
}

#[test]
fn woken_then_dropped_put_passes_wakeup_on() {
    let q = Queue::bounded(1);
    q.try_put(0).unwrap();
    let (c1, w1) = counting();
    let (c2, w2) = counting();
    let mut first = Box::pin(q.put(1));
    let mut second = Box::pin(q.put(2));
    assert!(first
        .as_mut()
        .poll(&mut Context::from_waker(&w1))
        .is_pending());
    assert!(second
        .as_mut()
        .poll(&mut Context::from_waker(&w2))
        .is_pending());
    assert_eq!(q.try_get(), Ok(0));
    assert_eq!((c1.0.load(SeqCst), c2.0.load(SeqCst)), (1, 0));
    drop(first); // its item is dropped, never queued
    assert_eq!(c2.0.load(SeqCst), 1);
    assert_eq!(
        second.as_mut().poll(&mut Context::from_waker(&w2)),
        Poll::Ready(Ok(()))
    );
    assert_eq!(q.try_get(), Ok(2));
}

#[test]
fn notified_getter_that_lost_the_item_keeps_its_place() {
    let q = Queue::unbounded();
    let (c1, w1) = counting();
    let (c2, w2) = counting();
    let mut first = Box::pin(q.get());
    let mut second = Box::pin(q.get());
    assert!(first
        .as_mut()
        .poll(&mut Context::from_waker(&w1))
        .is_pending());
    assert!(second
        .as_mut()
        .poll(&mut Context::from_waker(&w2))
        .is_pending());
    q.try_put(1).unwrap();
    // Someone who never waited takes it first (as in asyncio).
    assert_eq!(q.try_get(), Ok(1));
    assert!(first
        .as_mut()
        .poll(&mut Context::from_waker(&w1))
        .is_pending());
    q.try_put(2).unwrap();
    // The first getter is still first in line.
    assert_eq!(c1.0.load(SeqCst), 2);
    assert_eq!(c2.0.load(SeqCst), 0);
    assert_eq!(first.as_mut().poll(&mut noop_cx()), Poll::Ready(Some(2)));
}

#[weave::test]
async fn dropped_futures_lose_nothing() {
    let q = Queue::bounded(1);
    {
        let mut get = pin!(q.get());
        assert!(poll(get.as_mut()).is_pending());
    }
    q.put(1).await.unwrap();
    {
        let mut put = pin!(q.put(2));
        assert!(poll(put.as_mut()).is_pending());
    }
    assert_eq!(q.len(), 1);
    assert_eq!(q.get().await, Some(1));
    assert!(q.is_empty());
    // Cancelled joins unregister.
    q.put(3).await.unwrap();
    {
        let mut join = pin!(q.join());
        assert!(poll(join.as_mut()).is_pending());
    }
    q.get().await.unwrap();
    q.task_done().unwrap();
    q.task_done().unwrap();
    q.join().await;
}

#[test]
fn works_without_a_weave_runtime() {
    futures::executor::block_on(async {
        let q = Queue::bounded(2);
        let consumer = {
            let q = q.clone();
            std::thread::spawn(move || {
                futures::executor::block_on(async move {
                    let mut sum = 0u64;
                    while let Some(n) = q.get().await {
                        sum += n;
                        q.task_done().unwrap();
                    }
                    sum
                })
            })
        };
        for n in 1..=100 {
            q.put(n).await.unwrap();
        }
        q.join().await;
        q.close();
        assert_eq!(consumer.join().unwrap(), 5050);
    });
}

#[weave::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_producers_three_consumers() {
    const PRODUCERS: usize = 5;
    const N: usize = 1000;
    for q in [Queue::bounded(100), Queue::unbounded()] {
        let seen = Arc::new(Mutex::new(vec![0u8; PRODUCERS * N]));
        let mut consumers = Vec::new();
        for _ in 0..3 {
            let q = q.clone();
            let seen = seen.clone();
            consumers.push(weave::spawn(async move {
                while let Some(item) = q.get().await {
                    seen.lock().unwrap()[item] += 1;
                    q.task_done().unwrap();
                }
            }));
        }
        let mut producers = Vec::new();
        for p in 0..PRODUCERS {
            let q = q.clone();
            producers.push(weave::spawn(async move {
                for i in 0..N {
                    q.put(p * N + i).await.unwrap();
                }
            }));
        }
        for p in producers {
            p.await.unwrap();
        }
        q.join().await;
        q.close();
        for c in consumers {
            c.await.unwrap();
        }
        assert!(seen.lock().unwrap().iter().all(|&n| n == 1));
        assert!(q.task_done().is_err());
    }
}

#[weave::test(flavor = "multi_thread", worker_threads = 2)]
async fn aborted_consumers_lose_nothing() {
    let q = Queue::unbounded();
    let mut consumers = Vec::new();
    for _ in 0..3 {
        let q = q.clone();
        consumers.push(weave::spawn(async move {
            loop {
                let _ = q.get().await;
            }
        }));
    }
    weave::task::yield_now().await;
    for c in &consumers {
        c.abort();
    }
    for c in consumers {
        assert!(c.await.unwrap_err().is_cancelled());
    }
    // Whatever the aborted getters had registered or been woken for is
    // gone: a new getter receives the next item.
    q.put(42).await.unwrap();
    assert_eq!(q.get().await, Some(42));
}

#[test]
fn queue_and_futures_are_send_and_sync() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    fn send<T: Send>(_: &T) {}
    let q = Queue::<String>::bounded(1);
    send_sync(&q);
    send(&q.put(String::new()));
    send(&q.get());
    send(&q.join());
}
