//! `weave::sync::Mutex` through its public API: locking flavours, guard
//! mapping, FIFO fairness, cancel safety and a contended stress run.
#![cfg(not(loom))]

// Shared helpers; this file does not use `both_flavors!`.
#[allow(unused_macros)]
mod common;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use weave::sync::{MappedMutexGuard, Mutex, MutexGuard, OwnedMappedMutexGuard, OwnedMutexGuard};

fn poll_noop<F: Future + ?Sized>(f: Pin<&mut F>) -> Poll<F::Output> {
    f.poll(&mut Context::from_waker(Waker::noop()))
}

#[weave::test]
async fn lock_try_lock_and_owned() {
    let m = Arc::new(Mutex::new(1));
    {
        let mut g = m.lock().await;
        *g += 1;
        assert!(m.try_lock().is_err());
        assert!(m.clone().try_lock_owned().is_err());
        assert!(std::ptr::eq(MutexGuard::mutex(&g), &*m));
    }
    let mut g = m.clone().lock_owned().await;
    *g += 1;
    assert!(Arc::ptr_eq(OwnedMutexGuard::mutex(&g), &m));
    // An owned guard is 'static: it can move into a task.
    weave::spawn(async move {
        *g += 1;
    })
    .await
    .unwrap();
    let g = m.clone().try_lock_owned().unwrap();
    assert_eq!(*g, 4);
    drop(g);
    assert_eq!(*m.try_lock().unwrap(), 4);
    let e = m.lock().await;
    assert_eq!(
        m.try_lock().unwrap_err().to_string(),
        "operation would block"
    );
    drop(e);
}

#[test]
fn get_mut_into_inner_default_from() {
    let mut m = Mutex::new(String::from("a"));
    m.get_mut().push('b');
    assert_eq!(m.into_inner(), "ab");
    let d: Mutex<u8> = Mutex::default();
    assert_eq!(d.into_inner(), 0);
    let f = Mutex::from(vec![1]);
    assert_eq!(format!("{f:?}"), "Mutex { data: [1] }");
    let g = f.try_lock().unwrap();
    assert_eq!(format!("{f:?}"), "Mutex { data: <locked> }");
    assert_eq!(format!("{g:?}"), "[1]");
}

#[test]
fn const_new_and_unsized() {
    static M: Mutex<u32> = Mutex::const_new(7);
    assert_eq!(*M.try_lock().unwrap(), 7);
    let boxed: Box<Mutex<[u8]>> = Box::new(Mutex::new([1, 2, 3]));
    let mut g = boxed.try_lock().unwrap();
    g[0] = 9;
    assert_eq!(&*g, &[9, 2, 3]);
}

#[weave::test]
async fn guard_mapping() {
    let m = Mutex::new((1, vec![b'x']));
    let mut s: MappedMutexGuard<'_, Vec<u8>> = MutexGuard::map(m.lock().await, |v| &mut v.1);
    s.push(b'y');
    assert!(m.try_lock().is_err(), "a mapped guard keeps the lock");
    let mut first = MappedMutexGuard::map(s, |s| &mut s[0]);
    *first = b'z';
    drop(first);
    assert_eq!(m.lock().await.1, b"zy");

    let g = m.lock().await;
    let g = MutexGuard::try_map(g, |_| None::<&mut u8>).unwrap_err();
    let n = MutexGuard::try_map(g, |v| Some(&mut v.0)).unwrap();
    let n = MappedMutexGuard::try_map(n, |_| None::<&mut u8>).unwrap_err();
    let mut n = MappedMutexGuard::try_map(n, |v| Some(v)).unwrap();
    *n = 5;
    assert_eq!(format!("{n} {n:?}"), "5 5");
    drop(n);
    assert_eq!(m.lock().await.0, 5);

    let m = Arc::new(Mutex::new(vec![1, 2]));
    let g =
        OwnedMutexGuard::try_map(m.clone().lock_owned().await, |_| None::<&mut u8>).unwrap_err();
    let mut g: OwnedMappedMutexGuard<Vec<i32>, i32> = OwnedMutexGuard::map(g, |v| &mut v[1]);
    *g = 20;
    assert!(Arc::ptr_eq(OwnedMappedMutexGuard::mutex(&g), &m));
    let g = OwnedMappedMutexGuard::try_map(g, |_| None::<&mut u8>).unwrap_err();
    let g = OwnedMappedMutexGuard::try_map(g, |v| Some(v)).unwrap();
    let mut g = OwnedMappedMutexGuard::map(g, |v| v);
    *g += 1;
    drop(g);
    let g = m.clone().lock_owned().await;
    let g = OwnedMutexGuard::try_map(g, |v| v.first_mut()).unwrap();
    assert_eq!(*g, 1);
    drop(g);
    assert_eq!(*m.lock().await, [1, 21]);
}

/// Tasks get the lock in the order they asked for it.
#[test]
fn fifo_fairness() {
    let m = Mutex::new(Vec::new());
    let held = m.try_lock().unwrap();
    let mut waiters: Vec<_> = (0..4).map(|_| Box::pin(m.lock())).collect();
    for w in &mut waiters {
        assert!(poll_noop(w.as_mut()).is_pending());
    }
    drop(held);
    // Poll in reverse: only the first in line can have the lock.
    for i in 0..4 {
        for j in (i + 1..4).rev() {
            assert!(poll_noop(waiters[j].as_mut()).is_pending());
        }
        match poll_noop(waiters[i].as_mut()) {
            Poll::Ready(mut g) => g.push(i),
            Poll::Pending => panic!("waiter {i} should hold the lock"),
        }
    }
    drop(waiters);
    assert_eq!(*m.try_lock().unwrap(), [0usize, 1, 2, 3]);
}

/// A `lock` future dropped while waiting neither keeps nor loses the lock.
#[test]
fn cancelled_lock_is_harmless() {
    let m = Mutex::new(0);
    let g = m.try_lock().unwrap();
    let mut a = Box::pin(m.lock());
    let mut b = Box::pin(m.lock());
    assert!(poll_noop(a.as_mut()).is_pending());
    assert!(poll_noop(b.as_mut()).is_pending());
    drop(g);
    // `a` was handed the lock but is dropped before it sees it.
    drop(a);
    assert!(poll_noop(b.as_mut()).is_ready());
    drop(b);
    assert!(m.try_lock().is_ok());
}

#[test]
fn blocking_lock_on_plain_threads() {
    let m = Arc::new(Mutex::new(0));
    let threads: Vec<_> = (0..4)
        .map(|i| {
            let m = m.clone();
            std::thread::spawn(move || {
                for _ in 0..100 {
                    if i % 2 == 0 {
                        *m.blocking_lock() += 1;
                    } else {
                        *m.clone().blocking_lock_owned() += 1;
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(*m.blocking_lock(), 400);
}

#[weave::test]
async fn blocking_lock_inside_runtime_panics() {
    let m = Mutex::new(0);
    let msg = common::catch_panic(|| drop(m.blocking_lock()));
    assert!(msg.contains("within an asynchronous runtime"), "{msg}");
    let msg = common::catch_panic(|| drop(Arc::new(Mutex::new(0)).blocking_lock_owned()));
    assert!(msg.contains("blocking_lock_owned"), "{msg}");
    assert!(m.try_lock().is_ok());
}

/// A read-modify-write with an await in the middle stays atomic under
/// contention on two workers.
#[weave::test(flavor = "multi_thread", worker_threads = 2)]
async fn contended_stress() {
    let m = Arc::new(Mutex::new(0u64));
    let busy = Arc::new(AtomicBool::new(false));
    let entries = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (m, busy, entries) = (m.clone(), busy.clone(), entries.clone());
        tasks.push(weave::spawn(async move {
            for _ in 0..250 {
                let mut g = m.lock().await;
                assert!(!busy.swap(true, SeqCst), "two guards at once");
                let v = *g;
                weave::task::yield_now().await;
                *g = v + 1;
                entries.fetch_add(1, SeqCst);
                busy.store(false, SeqCst);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(*m.lock().await, 2000);
    assert_eq!(entries.load(SeqCst), 2000);
}

/// A guard can be held across `.await` in a spawned (Send) task.
#[weave::test(flavor = "multi_thread", worker_threads = 2)]
async fn guard_is_send() {
    let m = Arc::new(Mutex::new(1));
    let m2 = m.clone();
    weave::spawn(async move {
        let mut g = m2.lock().await;
        weave::task::yield_now().await;
        *g = 2;
    })
    .await
    .unwrap();
    assert_eq!(*m.lock().await, 2);
}

/// No weave runtime: `futures`' executor drives everything.
#[test]
fn works_without_weave_runtime() {
    let m = Mutex::new(1);
    futures::executor::block_on(async {
        *m.lock().await += 1;
        let g = m.lock().await;
        assert_eq!(*g, 2);
    });
}
