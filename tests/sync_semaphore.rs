//! `weave::sync::Semaphore` through its public API: counts, permits, FIFO
//! fairness, cancel safety, close, and a contended stress run.
#![cfg(not(loom))]

// Shared helpers; this file does not use `both_flavors!`.
#[allow(unused_macros)]
mod common;

use futures::task::{waker, ArcWake};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use weave::sync::{AcquireError, OwnedSemaphorePermit, Semaphore, TryAcquireError};

/// A waker that counts its wake-ups.
#[derive(Default)]
struct Count(AtomicUsize);

impl ArcWake for Count {
    fn wake_by_ref(arc_self: &Arc<Self>) {
        arc_self.0.fetch_add(1, SeqCst);
    }
}

fn counting() -> (Arc<Count>, Waker) {
    let c = Arc::new(Count::default());
    (c.clone(), waker(c))
}

/// Polls a pinned future once with `w`.
fn poll_with<F: Future + ?Sized>(f: Pin<&mut F>, w: &Waker) -> Poll<F::Output> {
    f.poll(&mut Context::from_waker(w))
}

fn poll_noop<F: Future + ?Sized>(f: Pin<&mut F>) -> Poll<F::Output> {
    poll_with(f, Waker::noop())
}

#[test]
fn counts_and_try_acquire() {
    let sem = Semaphore::new(3);
    assert_eq!(sem.available_permits(), 3);
    let a = sem.try_acquire().unwrap();
    let b = sem.try_acquire_many(2).unwrap();
    assert_eq!(sem.available_permits(), 0);
    assert_eq!(sem.try_acquire().unwrap_err(), TryAcquireError::NoPermits);
    assert!(sem.try_acquire().unwrap_err().is_no_permits());
    assert_eq!(a.num_permits(), 1);
    assert_eq!(b.num_permits(), 2);
    drop(b);
    assert_eq!(sem.available_permits(), 2);
    drop(a);
    sem.add_permits(2);
    assert_eq!(sem.available_permits(), 5);
    assert_eq!(sem.forget_permits(2), 2);
    assert_eq!(sem.forget_permits(10), 3);
    assert_eq!(sem.available_permits(), 0);
    // Zero permits always succeed while open.
    assert_eq!(sem.try_acquire_many(0).unwrap().num_permits(), 0);
}

#[test]
fn max_permits_limits() {
    assert_eq!(Semaphore::MAX_PERMITS, usize::MAX >> 3);
    let sem = Semaphore::new(Semaphore::MAX_PERMITS);
    assert_eq!(sem.available_permits(), Semaphore::MAX_PERMITS);
    let msg = common::catch_panic(|| Semaphore::new(Semaphore::MAX_PERMITS + 1));
    assert!(msg.contains("MAX_PERMITS"), "{msg}");
    let sem = Semaphore::new(Semaphore::MAX_PERMITS - 1);
    sem.add_permits(1);
    let msg = common::catch_panic(|| sem.add_permits(1));
    assert!(msg.contains("MAX_PERMITS"), "{msg}");
    assert_eq!(sem.available_permits(), Semaphore::MAX_PERMITS);
}

#[test]
fn const_new_in_static() {
    static SEM: Semaphore = Semaphore::const_new(2);
    let p = SEM.try_acquire().unwrap();
    assert_eq!(SEM.available_permits(), 1);
    drop(p);
    assert_eq!(SEM.available_permits(), 2);
}

#[weave::test]
async fn acquire_and_owned_variants() {
    let sem = Arc::new(Semaphore::new(4));
    let p = sem.acquire().await.unwrap();
    let many = sem.acquire_many(2).await.unwrap();
    assert_eq!(sem.available_permits(), 1);
    drop((p, many));
    let owned: OwnedSemaphorePermit = sem.clone().acquire_owned().await.unwrap();
    assert!(Arc::ptr_eq(owned.semaphore(), &sem));
    let owned_many = sem.clone().acquire_many_owned(3).await.unwrap();
    assert_eq!(owned_many.num_permits(), 3);
    assert_eq!(
        sem.clone().try_acquire_owned().unwrap_err(),
        TryAcquireError::NoPermits
    );
    drop(owned);
    let t = sem.clone().try_acquire_owned().unwrap();
    assert!(sem.clone().try_acquire_many_owned(1).is_err());
    drop((t, owned_many));
    assert_eq!(
        sem.clone().try_acquire_many_owned(4).unwrap().num_permits(),
        4
    );
    assert_eq!(sem.available_permits(), 4);
    // An owned permit moves into a spawned task.
    let p = sem.clone().acquire_owned().await.unwrap();
    weave::spawn(async move { drop(p) }).await.unwrap();
    assert_eq!(sem.available_permits(), 4);
}

#[test]
fn permit_forget_merge_split() {
    let sem = Semaphore::new(5);
    let mut a = sem.try_acquire_many(2).unwrap();
    let b = sem.try_acquire_many(2).unwrap();
    a.merge(b);
    assert_eq!(a.num_permits(), 4);
    let c = a.split(3).unwrap();
    assert_eq!((a.num_permits(), c.num_permits()), (1, 3));
    assert!(a.split(2).is_none());
    c.forget();
    assert_eq!(sem.available_permits(), 1);
    drop(a);
    assert_eq!(sem.available_permits(), 2);

    let sem = Arc::new(Semaphore::new(5));
    let mut a = sem.clone().try_acquire_many_owned(2).unwrap();
    a.merge(sem.clone().try_acquire_owned().unwrap());
    let b = a.split(2).unwrap();
    assert!(a.split(9).is_none());
    assert_eq!((a.num_permits(), b.num_permits()), (1, 2));
    b.forget();
    drop(a);
    assert_eq!(sem.available_permits(), 3);
}

#[test]
fn merge_from_other_semaphore_panics() {
    let s1 = Semaphore::new(1);
    let s2 = Semaphore::new(1);
    let mut a = s1.try_acquire().unwrap();
    let b = s2.try_acquire().unwrap();
    let msg = common::catch_panic(|| a.merge(b));
    assert!(msg.contains("different semaphores"), "{msg}");
    let o1 = Arc::new(Semaphore::new(1));
    let o2 = Arc::new(Semaphore::new(1));
    let mut a = o1.try_acquire_owned().unwrap();
    let b = o2.try_acquire_owned().unwrap();
    let msg = common::catch_panic(|| a.merge(b));
    assert!(msg.contains("different semaphores"), "{msg}");
}

/// Waiters get permits in the order they queued, and a large request at
/// the head holds back smaller ones behind it.
#[test]
fn fifo_order_and_big_head_blocks_small() {
    let sem = Semaphore::new(0);
    let mut waiters: Vec<_> = (0..5).map(|_| Box::pin(sem.acquire())).collect();
    for w in &mut waiters {
        assert!(poll_noop(w.as_mut()).is_pending());
    }
    let mut permits = Vec::new();
    for i in 0..5 {
        sem.add_permits(1);
        // Exactly waiter `i` is ready, later ones are still pending.
        for (j, w) in waiters.iter_mut().enumerate().skip(i) {
            match poll_noop(w.as_mut()) {
                Poll::Ready(p) if j == i => permits.push(p.unwrap()),
                Poll::Pending if j > i => {}
                _ => panic!("waiter {j} in the wrong state after {} releases", i + 1),
            }
        }
        waiters[i] = Box::pin(sem.acquire()); // done; replace with an unpolled one
    }
    drop(permits);

    let sem = Semaphore::new(1);
    let mut big = Box::pin(sem.acquire_many(3));
    let mut small = Box::pin(sem.acquire());
    assert!(poll_noop(big.as_mut()).is_pending());
    assert!(poll_noop(small.as_mut()).is_pending());
    sem.add_permits(1);
    // One permit is free in total, but it belongs to `big`'s partial
    // assignment; `small` must not overtake.
    assert!(poll_noop(small.as_mut()).is_pending());
    assert!(sem.try_acquire().is_err());
    sem.add_permits(1);
    let big_permit = match poll_noop(big.as_mut()) {
        Poll::Ready(p) => p.unwrap(),
        Poll::Pending => panic!("big waiter should be complete"),
    };
    assert!(poll_noop(small.as_mut()).is_pending());
    drop(big_permit);
    assert!(poll_noop(small.as_mut()).is_ready());
}

/// Dropping a pending (possibly partially served) acquire loses nothing.
#[test]
fn cancelled_acquire_returns_permits() {
    let sem = Semaphore::new(2);
    let mut fut = Box::pin(sem.acquire_many(5));
    assert!(poll_noop(fut.as_mut()).is_pending());
    assert_eq!(sem.available_permits(), 0);
    sem.add_permits(2);
    assert_eq!(sem.available_permits(), 0);
    drop(fut);
    assert_eq!(sem.available_permits(), 4);

    // The returned permits go to the next waiter first.
    let sem = Semaphore::new(1);
    let (count, w) = counting();
    let mut first = Box::pin(sem.acquire_many(2));
    let mut second = Box::pin(sem.acquire());
    assert!(poll_noop(first.as_mut()).is_pending());
    assert!(poll_with(second.as_mut(), &w).is_pending());
    drop(first);
    assert_eq!(count.0.load(SeqCst), 1);
    assert!(poll_with(second.as_mut(), &w).is_ready());
    assert_eq!(sem.available_permits(), 1);

    // A future that completed internally but was never polled again.
    let sem = Semaphore::new(0);
    let mut fut = Box::pin(sem.acquire_many(2));
    assert!(poll_noop(fut.as_mut()).is_pending());
    sem.add_permits(2);
    drop(fut);
    assert_eq!(sem.available_permits(), 2);
}

#[test]
fn close_wakes_waiters_with_errors() {
    let sem = Semaphore::new(1);
    let (count, w) = counting();
    let mut a = Box::pin(sem.acquire_many(3));
    let mut b = Box::pin(sem.acquire());
    assert!(poll_with(a.as_mut(), &w).is_pending());
    assert!(poll_with(b.as_mut(), &w).is_pending());
    sem.close();
    assert!(sem.is_closed());
    assert_eq!(count.0.load(SeqCst), 2);
    assert_eq!(
        poll_noop(a.as_mut()).map(|r| r.err()),
        Poll::Ready(Some(closed_err()))
    );
    assert!(matches!(poll_noop(b.as_mut()), Poll::Ready(Err(_))));
    // `a`'s partial permit came back.
    assert_eq!(sem.available_permits(), 1);
    assert_eq!(sem.try_acquire().unwrap_err(), TryAcquireError::Closed);
    assert!(sem.try_acquire().unwrap_err().is_closed());
    assert_eq!(closed_err().to_string(), "semaphore closed");
    assert_eq!(
        TryAcquireError::NoPermits.to_string(),
        "no permits available"
    );
}

fn closed_err() -> AcquireError {
    let sem = Semaphore::new(0);
    sem.close();
    futures::executor::block_on(sem.acquire()).unwrap_err()
}

#[weave::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_wakes_waiting_tasks() {
    let sem = Arc::new(Semaphore::new(0));
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let sem = sem.clone();
        tasks.push(weave::spawn(async move { sem.acquire().await.map(drop) }));
    }
    // Whether a task waits already or arrives after close, it fails.
    sem.close();
    for t in tasks {
        assert!(t.await.unwrap().is_err());
    }
}

/// Many tasks on two workers contend for 3 permits; at no point do more
/// than 3 hold one, and no permit is lost, also with cancelled acquires.
#[weave::test(flavor = "multi_thread", worker_threads = 2)]
async fn contended_stress_keeps_invariant() {
    const PERMITS: usize = 3;
    let sem = Arc::new(Semaphore::new(PERMITS));
    let inside = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for i in 0..16u32 {
        let (sem, inside) = (sem.clone(), inside.clone());
        tasks.push(weave::spawn(async move {
            for round in 0..200u32 {
                let n = 1 + (i + round) % 2;
                if round % 7 == 0 {
                    // Start an acquire and drop it after one poll.
                    let mut fut = Box::pin(sem.acquire_many(n));
                    let _ = futures::poll!(fut.as_mut());
                    continue;
                }
                let permit = sem.acquire_many(n).await.unwrap();
                let now = inside.fetch_add(n as usize, SeqCst) + n as usize;
                assert!(now <= PERMITS, "{now} permits held at once");
                weave::task::yield_now().await;
                inside.fetch_sub(n as usize, SeqCst);
                drop(permit);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(sem.available_permits(), PERMITS);
}

/// No weave runtime at all: plain threads and `futures`' executor.
#[test]
fn works_without_weave_runtime() {
    let sem = Arc::new(Semaphore::new(1));
    let counter = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let (sem, counter) = (sem.clone(), counter.clone());
            std::thread::spawn(move || {
                for _ in 0..100 {
                    futures::executor::block_on(async {
                        let _p = sem.acquire().await.unwrap();
                        let v = counter.load(SeqCst);
                        std::thread::yield_now();
                        counter.store(v + 1, SeqCst);
                    });
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(counter.load(SeqCst), 400);
    assert_eq!(sem.available_permits(), 1);
}

#[test]
fn debug_output() {
    let sem = Semaphore::new(2);
    let dbg = format!("{sem:?}");
    assert!(dbg.contains("permits: 2"), "{dbg}");
    let p = sem.try_acquire().unwrap();
    assert!(format!("{p:?}").contains("permits: 1"));
}
