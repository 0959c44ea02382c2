//! `weave::sync::CancellationToken` through its public API.
#![cfg(not(loom))]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;
use weave::runtime::Builder;
use weave::sync::{
    CancellationToken, DropGuard, WaitForCancellationFuture, WaitForCancellationFutureOwned,
};

/// Counts, per thread, the bytes this thread allocated minus the bytes it
/// freed, so a test can measure its own memory growth while other tests run.
struct PerThreadCounter;

thread_local! {
    static NET_BYTES: Cell<isize> = const { Cell::new(0) };
}

fn add_net(delta: isize) {
    // `try_with`: the allocator runs during thread-local teardown too.
    let _ = NET_BYTES.try_with(|n| n.set(n.get() + delta));
}

// SAFETY: every method forwards to `System` unchanged; the counting only
// touches a const-initialised thread-local `Cell` that never allocates.
unsafe impl GlobalAlloc for PerThreadCounter {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        add_net(layout.size() as isize);
        // SAFETY: the caller's contract is passed on to `System`.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        add_net(-(layout.size() as isize));
        // SAFETY: `ptr` came from `System` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        add_net(new_size as isize - layout.size() as isize);
        // SAFETY: the caller's contract is passed on to `System`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: PerThreadCounter = PerThreadCounter;

fn net_bytes() -> isize {
    NET_BYTES.with(|n| n.get())
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

fn poll_with<F: Future + ?Sized>(fut: Pin<&mut F>, waker: &Waker) -> Poll<F::Output> {
    fut.poll(&mut Context::from_waker(waker))
}

fn multi_thread() -> weave::runtime::Runtime {
    Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn new_default_clone_share_state() {
    let token = CancellationToken::new();
    let default = CancellationToken::default();
    let clone = token.clone();
    assert!(!token.is_cancelled() && !clone.is_cancelled() && !default.is_cancelled());
    clone.cancel();
    assert!(token.is_cancelled());
    assert!(!default.is_cancelled());
    // Cancelling again is harmless.
    token.cancel();
    assert!(clone.is_cancelled());
    assert_eq!(
        format!("{token:?}"),
        "CancellationToken { is_cancelled: true }"
    );
}

#[test]
fn cancelled_completes_at_once_when_already_cancelled() {
    let token = CancellationToken::new();
    token.cancel();
    futures::executor::block_on(token.cancelled());
    futures::executor::block_on(token.clone().cancelled_owned());
}

#[test]
fn waiter_woken_once_by_cancel() {
    let token = CancellationToken::new();
    let (count, waker) = counting();
    let mut a = pin!(token.cancelled());
    let mut b = pin!(token.clone().cancelled_owned());
    assert!(poll_with(a.as_mut(), &waker).is_pending());
    assert!(poll_with(b.as_mut(), &waker).is_pending());
    // Re-polling with the same waker does not register twice.
    assert!(poll_with(a.as_mut(), &waker).is_pending());
    assert_eq!(count.0.load(SeqCst), 0);
    token.cancel();
    assert_eq!(count.0.load(SeqCst), 2);
    assert!(poll_with(a.as_mut(), &waker).is_ready());
    assert!(poll_with(b.as_mut(), &waker).is_ready());
    // Polling a finished future again is fine and stays ready.
    assert!(poll_with(a.as_mut(), &waker).is_ready());
}

#[test]
fn repoll_with_new_waker_wakes_the_new_one() {
    let token = CancellationToken::new();
    let (old_count, old) = counting();
    let (new_count, new) = counting();
    let mut fut = pin!(token.cancelled());
    assert!(poll_with(fut.as_mut(), &old).is_pending());
    assert!(poll_with(fut.as_mut(), &new).is_pending());
    token.cancel();
    assert_eq!(old_count.0.load(SeqCst), 0);
    assert_eq!(new_count.0.load(SeqCst), 1);
}

#[test]
fn dropped_waiter_is_not_woken() {
    let token = CancellationToken::new();
    let (count, waker) = counting();
    {
        let mut fut = pin!(token.cancelled());
        assert!(poll_with(fut.as_mut(), &waker).is_pending());
    }
    token.cancel();
    assert_eq!(count.0.load(SeqCst), 0);
}

#[test]
fn parent_cancel_reaches_all_descendants() {
    let root = CancellationToken::new();
    let a = root.child_token();
    let b = root.child_token();
    let a1 = a.child_token();
    let a1x = a1.child_token();
    let (count, waker) = counting();
    let mut wait = pin!(a1x.cancelled());
    assert!(poll_with(wait.as_mut(), &waker).is_pending());

    root.cancel();
    for t in [&a, &b, &a1, &a1x] {
        assert!(t.is_cancelled());
    }
    assert_eq!(count.0.load(SeqCst), 1);
    assert!(poll_with(wait.as_mut(), &waker).is_ready());
}

#[test]
fn child_cancel_reaches_neither_parent_nor_siblings() {
    let root = CancellationToken::new();
    let a = root.child_token();
    let b = root.child_token();
    let a1 = a.child_token();
    a.cancel();
    assert!(a.is_cancelled() && a1.is_cancelled());
    assert!(!root.is_cancelled() && !b.is_cancelled());
    // The parent still cancels the remaining child.
    root.cancel();
    assert!(b.is_cancelled());
}

#[test]
fn children_of_cancelled_token_start_cancelled() {
    let root = CancellationToken::new();
    let child = root.child_token();
    root.cancel();
    let late = root.child_token();
    let late_grandchild = child.child_token();
    assert!(late.is_cancelled());
    assert!(late_grandchild.is_cancelled());
    assert!(late.child_token().is_cancelled());
    futures::executor::block_on(late_grandchild.cancelled());
}

#[test]
fn grandchild_still_cancelled_after_middle_dropped() {
    let root = CancellationToken::new();
    let middle = root.child_token();
    let grandchild = middle.child_token();
    drop(middle);
    assert!(!grandchild.is_cancelled());
    root.cancel();
    assert!(grandchild.is_cancelled());
}

#[test]
fn dropping_parent_neither_cancels_nor_strands_children() {
    let root = CancellationToken::new();
    let child = root.child_token();
    let grandchild = child.child_token();
    drop(root);
    assert!(!child.is_cancelled());
    child.cancel();
    assert!(grandchild.is_cancelled());
}

#[test]
fn many_short_lived_children_do_not_grow_memory() {
    let parent = CancellationToken::new();
    // Warm up: let the parent's child slab reach its steady size.
    for _ in 0..100 {
        let child = parent.child_token();
        let _grandchild = child.child_token();
    }
    let before = net_bytes();
    for i in 0..100_000 {
        let child = parent.child_token();
        let grandchild = child.child_token();
        if i % 2 == 0 {
            drop(child);
            drop(grandchild);
        } else {
            // The other order: the grandchild moves up to the parent first.
            drop(grandchild);
            drop(child);
        }
    }
    let growth = net_bytes() - before;
    assert!(
        growth < 1024,
        "100k short-lived children left {growth} bytes behind"
    );
    // The parent still works, for new and old-style children alike.
    let child = parent.child_token();
    parent.cancel();
    assert!(child.is_cancelled());
}

#[test]
fn cancelled_children_are_freed_too() {
    let parent = CancellationToken::new();
    let before = net_bytes();
    for _ in 0..10_000 {
        let child = parent.child_token();
        child.cancel();
    }
    assert!(net_bytes() - before < 1024);
}

#[test]
fn drop_guard_cancels_on_drop() {
    let token = CancellationToken::new();
    let guard: DropGuard = token.clone().drop_guard();
    assert!(!token.is_cancelled());
    drop(guard);
    assert!(token.is_cancelled());
}

#[test]
fn drop_guard_disarm_does_not_cancel() {
    let token = CancellationToken::new();
    let guard = token.clone().drop_guard();
    let back = guard.disarm();
    assert!(!token.is_cancelled());
    drop(back);
    assert!(!token.is_cancelled());

    let guard = token.drop_guard_ref();
    assert!(!guard.disarm().is_cancelled());
    {
        let _guard = token.drop_guard_ref();
    }
    assert!(token.is_cancelled());
}

#[test]
fn works_with_timeout_instead_of_select() {
    multi_thread().block_on(async {
        let token = CancellationToken::new();
        // Not cancelled: the wait times out.
        let r = weave::time::timeout(Duration::from_millis(20), token.cancelled()).await;
        assert!(r.is_err());
        // Cancelled meanwhile: completes before the deadline.
        let t = token.clone();
        weave::spawn(async move {
            weave::time::sleep(Duration::from_millis(10)).await;
            t.cancel();
        });
        let r = weave::time::timeout(Duration::from_secs(10), token.cancelled()).await;
        assert!(r.is_ok());
    });
}

#[test]
fn task_woken_by_cancel_from_another_thread() {
    let rt = multi_thread();
    let token = CancellationToken::new();
    let waiting = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let child = if i % 2 == 0 {
                token.clone()
            } else {
                token.child_token().child_token()
            };
            let waiting = waiting.clone();
            rt.spawn(async move {
                waiting.fetch_add(1, SeqCst);
                if i % 3 == 0 {
                    child.cancelled_owned().await;
                } else {
                    child.cancelled().await;
                }
                i
            })
        })
        .collect();
    while waiting.load(SeqCst) < 8 {
        std::thread::yield_now();
    }
    std::thread::sleep(Duration::from_millis(20));
    let t = token.clone();
    std::thread::spawn(move || t.cancel()).join().unwrap();
    rt.block_on(async {
        for (i, h) in handles.into_iter().enumerate() {
            let r = weave::time::timeout(Duration::from_secs(10), h).await;
            assert_eq!(r.expect("woken").unwrap(), i);
        }
    });
}

#[test]
fn waits_under_a_plain_executor() {
    let token = CancellationToken::new();
    let child = token.child_token();
    let waiter = std::thread::spawn(move || {
        futures::executor::block_on(child.cancelled());
        child.is_cancelled()
    });
    std::thread::sleep(Duration::from_millis(10));
    token.cancel();
    assert!(waiter.join().unwrap());
}

#[test]
fn run_until_cancelled() {
    futures::executor::block_on(async {
        let token = CancellationToken::new();
        assert_eq!(token.run_until_cancelled(async { 1 }).await, Some(1));
        token.cancel();
        // Cancellation wins even when the future is ready.
        assert_eq!(token.run_until_cancelled(async { 2 }).await, None);
        assert_eq!(
            token
                .clone()
                .run_until_cancelled_owned(std::future::pending::<()>())
                .await,
            None
        );
    });
}

#[test]
fn run_until_cancelled_stops_a_pending_future() {
    multi_thread().block_on(async {
        let token = CancellationToken::new();
        let t = token.clone();
        let job = weave::spawn(async move {
            t.run_until_cancelled(async {
                weave::time::sleep(Duration::from_secs(60)).await;
                "finished"
            })
            .await
        });
        weave::time::sleep(Duration::from_millis(10)).await;
        token.cancel();
        assert_eq!(job.await.unwrap(), None);
    });
}

#[test]
fn concurrent_cancel_create_drop_stress() {
    let root = CancellationToken::new();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let root = root.clone();
            std::thread::spawn(move || {
                let mut kept = Vec::new();
                for i in 0..5_000 {
                    let child = root.child_token();
                    let grandchild = child.child_token();
                    let deep = grandchild.child_token().child_token();
                    if i % 7 == 0 {
                        // Even while the root's cancel is flattening the
                        // same subtree, this returns only once all of it
                        // is cancelled.
                        child.cancel();
                        assert!(grandchild.is_cancelled());
                        assert!(deep.is_cancelled());
                    }
                    if i % 100 == 0 {
                        kept.push(grandchild);
                    }
                }
                kept
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1));
    root.cancel();
    for t in threads {
        for kept in t.join().unwrap() {
            assert!(kept.is_cancelled());
        }
    }
}

#[test]
fn futures_are_send_sync_and_static_when_owned() {
    fn assert_send_sync<T: Send + Sync>() {}
    fn assert_static<T: 'static>(_: &T) {}
    assert_send_sync::<CancellationToken>();
    assert_send_sync::<WaitForCancellationFuture<'_>>();
    assert_send_sync::<WaitForCancellationFutureOwned>();
    assert_send_sync::<DropGuard>();
    let fut = CancellationToken::new().cancelled_owned();
    assert_static(&fut);
    assert!(format!("{fut:?}").contains("is_cancelled: false"));
}
