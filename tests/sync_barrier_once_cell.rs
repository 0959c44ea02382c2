//! `weave::sync::Barrier` and `weave::sync::OnceCell` through their public
//! API.
#![cfg(not(loom))]

// Shared helpers; this file does not use `both_flavors!`.
#[allow(unused_macros)]
mod common;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use weave::sync::{Barrier, BarrierWaitResult, OnceCell, SetError};

fn poll_noop<F: Future + ?Sized>(f: Pin<&mut F>) -> Poll<F::Output> {
    f.poll(&mut Context::from_waker(Waker::noop()))
}

// ---- Barrier ----

#[test]
fn barrier_releases_all_with_one_leader() {
    let b = Barrier::new(3);
    let mut a = Box::pin(b.wait());
    let mut c = Box::pin(b.wait());
    assert!(poll_noop(a.as_mut()).is_pending());
    assert!(poll_noop(c.as_mut()).is_pending());
    let last = futures::executor::block_on(b.wait());
    assert!(last.is_leader());
    let Poll::Ready(ra) = poll_noop(a.as_mut()) else {
        panic!("a not released")
    };
    let Poll::Ready(rc) = poll_noop(c.as_mut()) else {
        panic!("c not released")
    };
    assert!(!ra.is_leader() && !rc.is_leader());
    assert!(format!("{b:?}").contains("n: 3"));
}

#[test]
fn barrier_of_zero_or_one_never_waits() {
    for n in [0, 1] {
        let b = Barrier::new(n);
        let r: BarrierWaitResult = futures::executor::block_on(b.wait());
        assert!(r.is_leader());
    }
}

#[weave::test(flavor = "multi_thread", worker_threads = 2)]
async fn barrier_is_reusable_across_generations() {
    const N: usize = 4;
    const ROUNDS: usize = 50;
    let b = Arc::new(Barrier::new(N));
    let arrived = Arc::new(AtomicUsize::new(0));
    let leaders = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..N {
        let (b, arrived, leaders) = (b.clone(), arrived.clone(), leaders.clone());
        tasks.push(weave::spawn(async move {
            for round in 0..ROUNDS {
                arrived.fetch_add(1, SeqCst);
                if b.wait().await.is_leader() {
                    leaders.fetch_add(1, SeqCst);
                }
                // Nobody leaves a round before all of it has arrived.
                assert!(arrived.load(SeqCst) >= (round + 1) * N);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(leaders.load(SeqCst), ROUNDS);
}

/// A waiter dropped after arriving still counts; one dropped before its
/// first poll does not.
#[test]
fn barrier_cancellation() {
    let b = Barrier::new(2);
    let never_polled = b.wait();
    drop(never_polled);
    let mut arrived = Box::pin(b.wait());
    assert!(poll_noop(arrived.as_mut()).is_pending());
    drop(arrived);
    // The dropped waiter's arrival completes this generation.
    assert!(futures::executor::block_on(b.wait()).is_leader());
    // Next generation starts from zero.
    let mut next = Box::pin(b.wait());
    assert!(poll_noop(next.as_mut()).is_pending());
}

// ---- OnceCell ----

#[test]
fn once_cell_set_get_take() {
    let mut cell = OnceCell::new();
    assert!(!cell.initialized());
    assert_eq!(cell.get(), None);
    assert_eq!(cell.get_mut(), None);
    assert_eq!(cell.set(1), Ok(()));
    assert!(cell.initialized());
    let err = cell.set(2).unwrap_err();
    assert!(err.is_already_init_err() && !err.is_initializing_err());
    assert_eq!(err, SetError::AlreadyInitializedError(2));
    assert_eq!(err.to_string(), "AlreadyInitializedError");
    *cell.get_mut().unwrap() += 10;
    assert_eq!(cell.get(), Some(&11));
    assert_eq!(cell.take(), Some(11));
    assert_eq!(cell.take(), None);
    assert_eq!(cell.set(3), Ok(()), "a taken cell can be set again");
    assert_eq!(cell.clone().into_inner(), Some(3));
    assert_eq!(cell, OnceCell::from(3));
    assert_eq!(format!("{cell:?}"), "OnceCell { value: Some(3) }");
    assert_eq!(OnceCell::<u8>::default().into_inner(), None);
    assert_eq!(OnceCell::new_with(Some(4)).get(), Some(&4));
    assert_eq!(OnceCell::<u8>::new_with(None).get(), None);
}

#[test]
fn once_cell_const_constructors() {
    static EMPTY: OnceCell<u32> = OnceCell::const_new();
    static FULL: OnceCell<u32> = OnceCell::const_new_with(9);
    assert_eq!(FULL.get(), Some(&9));
    assert!(FULL.set(1).unwrap_err().is_already_init_err());
    assert_eq!(
        futures::executor::block_on(EMPTY.get_or_init(|| async { 5 })),
        &5
    );
}

#[test]
fn once_cell_set_while_initializing() {
    let cell = OnceCell::new();
    let mut init = Box::pin(cell.get_or_init(std::future::pending::<u8>));
    assert!(poll_noop(init.as_mut()).is_pending());
    let err = cell.set(1).unwrap_err();
    assert!(err.is_initializing_err());
    assert_eq!(err.to_string(), "InitializingError");
    // Cancelling the initialiser lets the next one in.
    drop(init);
    assert_eq!(cell.set(2), Ok(()));
}

#[weave::test(flavor = "multi_thread", worker_threads = 2)]
async fn once_cell_init_runs_once_under_contention() {
    let cell = Arc::new(OnceCell::new());
    let runs = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for i in 0..16 {
        let (cell, runs) = (cell.clone(), runs.clone());
        tasks.push(weave::spawn(async move {
            *cell
                .get_or_init(|| async move {
                    runs.fetch_add(1, SeqCst);
                    weave::task::yield_now().await;
                    i
                })
                .await
        }));
    }
    let mut seen = Vec::new();
    for t in tasks {
        seen.push(t.await.unwrap());
    }
    assert_eq!(runs.load(SeqCst), 1);
    assert!(seen.windows(2).all(|w| w[0] == w[1]));
}

#[test]
fn once_cell_try_init_errors_and_panics_leave_it_empty() {
    futures::executor::block_on(async {
        let cell = OnceCell::new();
        let r: Result<&u8, &str> = cell.get_or_try_init(|| async { Err("fail") }).await;
        assert_eq!(r, Err("fail"));
        assert!(!cell.initialized());
        assert_eq!(
            cell.get_or_try_init(|| async { Ok::<_, ()>(1) }).await,
            Ok(&1)
        );
        assert_eq!(cell.get_or_try_init(|| async { Err(()) }).await, Ok(&1));
    });

    common::quiet_expected_panics();
    let cell = Arc::new(OnceCell::<u8>::new());
    let c2 = cell.clone();
    let res = std::thread::spawn(move || {
        futures::executor::block_on(
            c2.get_or_init(|| async { panic!("{} init failed", common::EXPECTED) }),
        );
    })
    .join();
    assert!(res.is_err());
    assert!(!cell.initialized());
    assert_eq!(cell.set(7), Ok(()));
}

/// Waiters that queue behind a failing initialiser take over in turn.
#[test]
fn once_cell_waiter_takes_over_after_cancel() {
    let cell = OnceCell::new();
    let mut first = Box::pin(cell.get_or_init(std::future::pending::<u8>));
    assert!(poll_noop(first.as_mut()).is_pending());
    let mut second = Box::pin(cell.get_or_init(|| async { 2 }));
    assert!(poll_noop(second.as_mut()).is_pending());
    drop(first);
    assert_eq!(poll_noop(second.as_mut()), Poll::Ready(&2));
}

#[test]
fn once_cell_drops_value_once() {
    struct D(Arc<AtomicUsize>);
    impl Drop for D {
        fn drop(&mut self) {
            self.0.fetch_add(1, SeqCst);
        }
    }
    let drops = Arc::new(AtomicUsize::new(0));
    let cell = OnceCell::new();
    assert!(cell.set(D(drops.clone())).is_ok());
    let rejected = cell.set(D(drops.clone()));
    assert_eq!(drops.load(SeqCst), 0);
    drop(rejected);
    assert_eq!(drops.load(SeqCst), 1);
    drop(cell);
    assert_eq!(drops.load(SeqCst), 2);
    let v = OnceCell::new_with(Some(D(drops.clone()))).into_inner();
    assert_eq!(drops.load(SeqCst), 2);
    drop(v);
    assert_eq!(drops.load(SeqCst), 3);
}

/// `sync::SetOnce` (Tokio's): set once, read by many; `wait` returns at
/// once when set, wakes every waiter on `set` (including ones on other
/// worker threads), and a second `set` gives its value back.
#[test]
fn set_once_wakes_every_waiter() {
    use weave::sync::{SetOnce, SetOnceError};

    static CONFIG: SetOnce<u32> = SetOnce::const_new();
    assert!(!CONFIG.initialized());
    assert_eq!(CONFIG.get(), None);

    let rt = weave::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    rt.block_on(async {
        let cell = Arc::new(SetOnce::new());
        let waiters: Vec<_> = (0..20u32)
            .map(|i| {
                let cell = cell.clone();
                weave::spawn(async move { *cell.wait().await + i })
            })
            .collect();
        // Let some of them start waiting before the value arrives.
        weave::task::yield_now().await;
        assert_eq!(cell.set(100), Ok(()));
        assert_eq!(cell.set(7), Err(SetOnceError(7)));
        for (i, w) in waiters.into_iter().enumerate() {
            assert_eq!(w.await.unwrap(), 100 + i as u32);
        }
        assert_eq!(*cell.wait().await, 100);

        CONFIG.set(5).unwrap();
        assert_eq!(*CONFIG.wait().await, 5);
    });

    // A waiter that is only polled, never woken: Pending until set.
    let cell = SetOnce::new();
    let mut wait = Box::pin(cell.wait());
    assert!(poll_noop(wait.as_mut()).is_pending());
    drop(wait);
    cell.set("x").unwrap();
    let mut wait = Box::pin(cell.wait());
    assert_eq!(poll_noop(wait.as_mut()), Poll::Ready(&"x"));
    drop(wait);

    let filled = SetOnce::const_new_with(3u8);
    assert_eq!(filled.clone(), SetOnce::from(3u8));
    assert_eq!(SetOnce::new_with(Some(4u8)).into_inner(), Some(4));
    assert_eq!(SetOnce::<u8>::default().into_inner(), None);
    assert_eq!(
        format!("{}", SetOnceError(1)),
        "SetOnce already initialized"
    );
}
