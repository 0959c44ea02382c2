//! `weave::sync::Notify` through its public API.
#![cfg(not(loom))]

use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use weave::sync::{oneshot, Notify};

/// A waker that counts its wake-ups.
#[derive(Default)]
struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

fn counting() -> (Arc<CountingWaker>, Waker) {
    let c = Arc::new(CountingWaker::default());
    (c.clone(), Waker::from(c))
}

fn poll_with<F: Future + ?Sized>(fut: Pin<&mut F>, waker: &Waker) -> Poll<F::Output> {
    fut.poll(&mut Context::from_waker(waker))
}

fn poll_noop<F: Future + ?Sized>(fut: Pin<&mut F>) -> Poll<F::Output> {
    poll_with(fut, futures::task::noop_waker_ref())
}

#[test]
fn permit_stored_without_waiters_and_at_most_one() {
    let notify = Notify::new();
    notify.notify_one();
    notify.notify_one();
    let mut first = pin!(notify.notified());
    assert!(poll_noop(first.as_mut()).is_ready());
    let mut second = pin!(notify.notified());
    assert!(poll_noop(second.as_mut()).is_pending());
    notify.notify_last();
    assert!(poll_noop(second.as_mut()).is_ready());
}

#[test]
fn notify_one_is_fifo() {
    let notify = Notify::new();
    let mut a = pin!(notify.notified());
    let mut b = pin!(notify.notified());
    let mut c = pin!(notify.notified());
    assert!(!a.as_mut().enable());
    assert!(!b.as_mut().enable());
    assert!(!c.as_mut().enable());
    notify.notify_one();
    assert!(poll_noop(a.as_mut()).is_ready());
    assert!(poll_noop(b.as_mut()).is_pending());
    assert!(poll_noop(c.as_mut()).is_pending());
    notify.notify_one();
    assert!(poll_noop(b.as_mut()).is_ready());
    assert!(poll_noop(c.as_mut()).is_pending());
}

#[test]
fn notify_last_is_lifo() {
    let notify = Notify::new();
    let mut a = pin!(notify.notified());
    let mut b = pin!(notify.notified());
    let mut c = pin!(notify.notified());
    a.as_mut().enable();
    b.as_mut().enable();
    c.as_mut().enable();
    notify.notify_last();
    assert!(poll_noop(c.as_mut()).is_ready());
    assert!(poll_noop(a.as_mut()).is_pending());
    assert!(poll_noop(b.as_mut()).is_pending());
    notify.notify_last();
    assert!(poll_noop(b.as_mut()).is_ready());
    assert!(poll_noop(a.as_mut()).is_pending());
}

#[test]
fn notify_waiters_wakes_registered_and_created_stores_nothing() {
    let notify = Notify::new();
    let (counts, waker) = counting();
    let mut polled = pin!(notify.notified());
    assert!(poll_with(polled.as_mut(), &waker).is_pending());
    let mut enabled = pin!(notify.notified());
    assert!(!enabled.as_mut().enable());
    // Created but never polled: still counts as waiting.
    let mut created = pin!(notify.notified());

    notify.notify_waiters();
    assert_eq!(counts.0.load(SeqCst), 1);
    assert!(poll_noop(polled.as_mut()).is_ready());
    assert!(enabled.as_mut().enable());
    assert!(poll_noop(created.as_mut()).is_ready());

    // No permit was stored.
    let mut after = pin!(notify.notified());
    assert!(poll_noop(after.as_mut()).is_pending());
}

#[test]
fn notify_waiters_keeps_stored_permit() {
    let notify = Notify::new();
    notify.notify_one();
    notify.notify_waiters();
    let mut later = pin!(notify.notified());
    assert!(poll_noop(later.as_mut()).is_ready());
}

#[test]
fn dropped_notified_passes_notification_to_next_waiter() {
    let notify = Notify::new();
    let mut b = pin!(notify.notified());
    {
        let mut a = Box::pin(notify.notified());
        a.as_mut().enable();
        b.as_mut().enable();
        notify.notify_one(); // goes to `a` (oldest)
        assert!(poll_noop(b.as_mut()).is_pending());
        // `a` is dropped without observing it.
    }
    assert!(poll_noop(b.as_mut()).is_ready());
}

#[test]
fn dropped_notified_returns_notification_as_permit() {
    let notify = Notify::new();
    let mut a = Box::pin(notify.notified());
    a.as_mut().enable();
    notify.notify_one();
    drop(a);
    let mut b = pin!(notify.notified());
    assert!(poll_noop(b.as_mut()).is_ready());
    // Only one permit.
    let mut c = pin!(notify.notified());
    assert!(poll_noop(c.as_mut()).is_pending());
}

#[test]
fn dropped_lifo_notification_goes_to_newest() {
    let notify = Notify::new();
    let mut a = pin!(notify.notified());
    let mut b = pin!(notify.notified());
    a.as_mut().enable();
    b.as_mut().enable();
    let mut c = Box::pin(notify.notified());
    c.as_mut().enable();
    notify.notify_last(); // goes to `c`
    drop(c); // handed on, LIFO: to `b`
    assert!(poll_noop(a.as_mut()).is_pending());
    assert!(poll_noop(b.as_mut()).is_ready());
}

#[test]
fn observed_or_broadcast_notification_is_not_passed_on() {
    let notify = Notify::new();
    // Observed through `enable`, then dropped: consumed.
    let mut a = Box::pin(notify.notified());
    a.as_mut().enable();
    notify.notify_one();
    assert!(a.as_mut().enable());
    drop(a);
    let mut b = pin!(notify.notified());
    assert!(poll_noop(b.as_mut()).is_pending());
    // A `notify_waiters` wake-up is not handed on either.
    let mut c = Box::pin(notify.notified());
    c.as_mut().enable();
    notify.notify_waiters();
    drop(c);
    assert!(poll_noop(b.as_mut()).is_ready()); // woken by notify_waiters
    let mut d = pin!(notify.notified());
    assert!(poll_noop(d.as_mut()).is_pending());
}

#[test]
fn dropping_waiters_leaves_notify_usable() {
    let notify = Notify::new();
    for _ in 0..3 {
        let mut w = Box::pin(notify.notified());
        assert!(poll_noop(w.as_mut()).is_pending());
    }
    // All waiters left: the next notify_one is a stored permit again.
    notify.notify_one();
    let mut w = pin!(notify.notified());
    assert!(poll_noop(w.as_mut()).is_ready());
}

#[test]
fn latest_waker_is_woken() {
    let notify = Notify::new();
    let (c1, w1) = counting();
    let (c2, w2) = counting();
    let mut fut = pin!(notify.notified());
    assert!(poll_with(fut.as_mut(), &w1).is_pending());
    assert!(poll_with(fut.as_mut(), &w2).is_pending());
    notify.notify_one();
    assert_eq!(c1.0.load(SeqCst), 0);
    assert_eq!(c2.0.load(SeqCst), 1);
    assert!(poll_with(fut.as_mut(), &w2).is_ready());
    // Ready futures stay ready.
    assert!(poll_with(fut.as_mut(), &w2).is_ready());
}

#[test]
fn enable_reports_readiness() {
    let notify = Notify::new();
    notify.notify_one();
    let mut a = pin!(notify.notified());
    assert!(a.as_mut().enable()); // consumed the permit
    assert!(a.as_mut().enable());
    let mut b = pin!(notify.notified());
    assert!(!b.as_mut().enable());
    assert!(!b.as_mut().enable());
}

#[test]
fn notified_owned_is_static_and_behaves_alike() {
    let notify = Arc::new(Notify::new());
    let mut a = Box::pin(notify.clone().notified_owned());
    let mut b = Box::pin(notify.clone().notified_owned());
    assert!(!a.as_mut().enable());
    assert!(!b.as_mut().enable());
    notify.notify_one();
    assert!(poll_noop(b.as_mut()).is_pending());
    drop(a); // passes the notification on
    assert!(poll_noop(b.as_mut()).is_ready());

    let c = notify.clone().notified_owned();
    notify.notify_waiters();
    futures::executor::block_on(c);
}

#[test]
fn const_new_in_static() {
    static NOTIFY: Notify = Notify::const_new();
    NOTIFY.notify_one();
    futures::executor::block_on(NOTIFY.notified());
}

#[test]
fn default_and_debug() {
    let notify = Notify::default();
    assert_eq!(format!("{notify:?}"), "Notify { state: \"empty\" }");
    notify.notify_one();
    assert_eq!(format!("{notify:?}"), "Notify { state: \"notified\" }");
    let mut w = pin!(notify.notified());
    assert!(poll_noop(w.as_mut()).is_ready());
    let mut w2 = pin!(notify.notified());
    w2.as_mut().enable();
    assert_eq!(format!("{notify:?}"), "Notify { state: \"waiting\" }");
    assert!(format!("{w2:?}").starts_with("Notified"));
    let owned = Arc::new(Notify::new()).notified_owned();
    assert!(format!("{owned:?}").starts_with("OwnedNotified"));
}

#[test]
fn futures_are_send_and_sync() {
    fn check<T: Send + Sync>(_: &T) {}
    let notify = Notify::new();
    check(&notify);
    check(&notify.notified());
    check(&Arc::new(Notify::new()).notified_owned());
}

/// No weave runtime: a plain thread notifies a future driven by
/// `futures::executor::block_on`.
#[test]
fn works_under_futures_block_on() {
    let notify = Arc::new(Notify::new());
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let n2 = notify.clone();
    let t = std::thread::spawn(move || {
        futures::executor::block_on(async {
            let mut wait = pin!(n2.notified());
            wait.as_mut().enable();
            ready_tx.send(()).unwrap();
            wait.await;
        })
    });
    ready_rx.recv().unwrap();
    notify.notify_one();
    t.join().unwrap();
}

#[weave::test]
async fn wait_in_current_thread_runtime() {
    let notify = Arc::new(Notify::new());
    let n2 = notify.clone();
    let task = weave::spawn(async move { n2.notified().await });
    weave::task::yield_now().await;
    notify.notify_one();
    task.await.unwrap();
}

/// Many waiters registered before `notify_waiters`: all complete.
#[weave::test(flavor = "multi_thread", worker_threads = 2)]
async fn notify_waiters_wakes_many_tasks() {
    const N: usize = 100;
    let notify = Arc::new(Notify::new());
    let mut tasks = Vec::new();
    let mut registered = Vec::new();
    for _ in 0..N {
        let (tx, rx) = oneshot::channel();
        let wait = notify.clone().notified_owned();
        tasks.push(weave::spawn(async move {
            let mut wait = pin!(wait);
            wait.as_mut().enable();
            tx.send(()).unwrap();
            wait.await;
        }));
        registered.push(rx);
    }
    for rx in registered {
        rx.await.unwrap();
    }
    notify.notify_waiters();
    for t in tasks {
        t.await.unwrap();
    }
}

/// `notify_one` N times with N registered waiters: each gets exactly one.
#[weave::test(flavor = "multi_thread", worker_threads = 2)]
async fn notify_one_wakes_each_waiter_once() {
    const N: usize = 64;
    let notify = Arc::new(Notify::new());
    let woken = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    let mut registered = Vec::new();
    for _ in 0..N {
        let (tx, rx) = oneshot::channel();
        let notify = notify.clone();
        let woken = woken.clone();
        tasks.push(weave::spawn(async move {
            let mut wait = pin!(notify.notified());
            wait.as_mut().enable();
            tx.send(()).unwrap();
            wait.await;
            woken.fetch_add(1, SeqCst);
        }));
        registered.push(rx);
    }
    for rx in registered {
        rx.await.unwrap();
    }
    for _ in 0..N {
        notify.notify_one();
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(woken.load(SeqCst), N);
    // Every notification went to a waiter: none was stored.
    let mut after = pin!(notify.notified());
    assert!(poll_noop(after.as_mut()).is_pending());
}

/// A queue built from a mutex and `Notify` (the `enable` pattern): under
/// concurrency no item is lost and no consumer hangs.
#[weave::test(flavor = "multi_thread", worker_threads = 2)]
async fn mpmc_queue_with_enable_pattern() {
    struct Queue {
        items: std::sync::Mutex<Vec<u32>>,
        notify: Notify,
    }
    impl Queue {
        fn push(&self, v: u32) {
            self.items.lock().unwrap().push(v);
            self.notify.notify_one();
        }
        async fn pop(&self) -> u32 {
            loop {
                let mut wait = pin!(self.notify.notified());
                wait.as_mut().enable();
                if let Some(v) = self.items.lock().unwrap().pop() {
                    return v;
                }
                wait.await;
            }
        }
    }
    const PER: u32 = 500;
    let q = Arc::new(Queue {
        items: std::sync::Mutex::new(Vec::new()),
        notify: Notify::new(),
    });
    let consumers: Vec<_> = (0..4)
        .map(|_| {
            let q = q.clone();
            weave::spawn(async move {
                let mut sum = 0u64;
                for _ in 0..PER {
                    sum += u64::from(q.pop().await);
                }
                sum
            })
        })
        .collect();
    let producers: Vec<_> = (0..4)
        .map(|p| {
            let q = q.clone();
            weave::spawn(async move {
                for i in 0..PER {
                    q.push(p * PER + i);
                    if i % 50 == 0 {
                        weave::task::yield_now().await;
                    }
                }
            })
        })
        .collect();
    for p in producers {
        p.await.unwrap();
    }
    let mut total = 0;
    for c in consumers {
        total += c.await.unwrap();
    }
    let n = u64::from(4 * PER);
    assert_eq!(total, n * (n - 1) / 2);
}

/// Tokio's `sync::futures::Notified` path (tokio-util's `CancellationToken`
/// names it) is the same type as `sync::Notified`.
#[test]
fn notified_at_tokio_sync_futures_path() {
    let notify = std::sync::Arc::new(weave::sync::Notify::new());
    let notified: weave::sync::futures::Notified<'_> = notify.notified();
    notify.notify_one();
    weave::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(notified);
    let owned: weave::sync::futures::OwnedNotified = notify.clone().notified_owned();
    notify.notify_waiters();
    drop(owned);
}
