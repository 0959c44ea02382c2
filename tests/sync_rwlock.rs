//! `weave::sync::RwLock` through its public API: shared and exclusive
//! access, guard mapping and downgrading, writer fairness, cancel safety and
//! a contended stress run.
#![cfg(not(loom))]

// Shared helpers; this file does not use `both_flavors!`.
#[allow(unused_macros)]
mod common;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicIsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use weave::sync::{
    OwnedRwLockMappedWriteGuard, OwnedRwLockReadGuard, OwnedRwLockWriteGuard, RwLock,
    RwLockMappedWriteGuard, RwLockReadGuard, RwLockWriteGuard,
};

fn poll_noop<F: Future + ?Sized>(f: Pin<&mut F>) -> Poll<F::Output> {
    f.poll(&mut Context::from_waker(Waker::noop()))
}

#[weave::test]
async fn readers_share_writers_exclude() {
    let lock = RwLock::new(1);
    let r1 = lock.read().await;
    let r2 = lock.try_read().unwrap();
    assert_eq!(*r1 + *r2, 2);
    assert!(lock.try_write().is_err());
    drop((r1, r2));
    let mut w = lock.write().await;
    *w = 3;
    assert!(lock.try_read().is_err());
    assert!(lock.try_write().is_err());
    drop(w);
    let mut w = lock.try_write().unwrap();
    *w += 1;
    assert_eq!(format!("{w} {w:?}"), "4 4");
    drop(w);
    assert_eq!(format!("{lock:?}"), "RwLock { data: 4 }");
}

#[weave::test]
async fn owned_variants() {
    let lock = Arc::new(RwLock::new(vec![1, 2, 3]));
    let r = lock.clone().read_owned().await;
    let r2 = lock.clone().try_read_owned().unwrap();
    assert!(Arc::ptr_eq(OwnedRwLockReadGuard::rwlock(&r), &lock));
    assert!(lock.clone().try_write_owned().is_err());
    // Owned guards are 'static.
    let len = weave::spawn(async move { r2.len() }).await.unwrap();
    assert_eq!(len, 3);
    drop(r);
    let mut w = lock.clone().write_owned().await;
    w.push(4);
    assert!(Arc::ptr_eq(OwnedRwLockWriteGuard::rwlock(&w), &lock));
    assert!(lock.clone().try_read_owned().is_err());
    drop(w);
    let w = lock.clone().try_write_owned().unwrap();
    let r = w.downgrade();
    assert_eq!(r.len(), 4);
    assert!(lock.try_read().is_ok());
    assert!(lock.try_write().is_err());
    drop(r);

    let w = lock.clone().write_owned().await;
    let w = OwnedRwLockWriteGuard::try_map(w, |_| None::<&mut u8>).unwrap_err();
    let w = OwnedRwLockWriteGuard::try_map(w, |v| v.last_mut()).unwrap();
    let w = OwnedRwLockMappedWriteGuard::try_map(w, |_| None::<&mut u8>).unwrap_err();
    let w = OwnedRwLockMappedWriteGuard::try_map(w, |v| Some(v)).unwrap();
    let mut w = OwnedRwLockMappedWriteGuard::map(w, |v| v);
    *w = 40;
    assert!(Arc::ptr_eq(OwnedRwLockMappedWriteGuard::rwlock(&w), &lock));
    drop(w);
    let mut w = OwnedRwLockWriteGuard::map(lock.clone().write_owned().await, |v| &mut v[0]);
    *w = 10;
    drop(w);

    let r = lock.clone().read_owned().await;
    let r = OwnedRwLockReadGuard::try_map(r, |_| None::<&u8>).unwrap_err();
    let r = OwnedRwLockReadGuard::try_map(r, |v| v.get(1)).unwrap();
    assert_eq!(*r, 2);
    let r = OwnedRwLockReadGuard::map(r, |v| v);
    assert_eq!(format!("{r}"), "2");
    drop(r);
    assert_eq!(*lock.read().await, [10, 2, 3, 40]);
}

#[weave::test]
async fn borrowed_guard_mapping_and_downgrade() {
    let lock = RwLock::new((1, vec![1u8]));
    let r = RwLockReadGuard::map(lock.read().await, |v| &v.1);
    let r = RwLockReadGuard::try_map(r, |_| None::<&u8>).unwrap_err();
    let r = RwLockReadGuard::try_map(r, |v| v.first()).unwrap();
    assert_eq!(*r, 1);
    assert!(
        lock.try_write().is_err(),
        "a mapped read guard keeps its permit"
    );
    drop(r);

    let w = RwLockWriteGuard::try_map(lock.write().await, |_| None::<&mut u8>).unwrap_err();
    let w: RwLockMappedWriteGuard<'_, Vec<u8>> = RwLockWriteGuard::map(w, |v| &mut v.1);
    let w = RwLockMappedWriteGuard::try_map(w, |_| None::<&mut u8>).unwrap_err();
    let w = RwLockMappedWriteGuard::try_map(w, |v| v.first_mut()).unwrap();
    let mut w = RwLockMappedWriteGuard::map(w, |v| v);
    *w = 7;
    assert!(lock.try_read().is_err());
    drop(w);
    let mut w = RwLockWriteGuard::try_map(lock.write().await, |v| Some(&mut v.0)).unwrap();
    *w = 2;
    drop(w);

    let mut w = lock.write().await;
    w.0 = 3;
    let r = w.downgrade();
    assert_eq!(r.0, 3);
    let r2 = lock.try_read().unwrap();
    assert!(lock.try_write().is_err());
    drop((r, r2));
    assert!(lock.try_write().is_ok());
    assert_eq!(lock.into_inner(), (3, vec![7]));
}

#[test]
fn constructors_and_limits() {
    static L: RwLock<u8> = RwLock::const_new(1);
    assert_eq!(*L.try_read().unwrap(), 1);
    static L2: RwLock<u8> = RwLock::const_with_max_readers(1, 1);
    let r = L2.try_read().unwrap();
    assert!(L2.try_read().is_err());
    drop(r);

    let lock = RwLock::with_max_readers(0, 2);
    let a = lock.try_read().unwrap();
    let b = lock.try_read().unwrap();
    assert!(lock.try_read().is_err());
    drop((a, b));
    let msg = common::catch_panic(|| RwLock::with_max_readers(0, u32::MAX));
    assert!(msg.contains("MAX_READS"), "{msg}");
    let msg = common::catch_panic(|| RwLock::with_max_readers(0, 0));
    assert!(msg.contains("at least one reader"), "{msg}");

    let mut lock = RwLock::from(5);
    *lock.get_mut() += 1;
    assert_eq!(lock.into_inner(), 6);
    assert_eq!(RwLock::<u8>::default().into_inner(), 0);
    let lock = RwLock::new(1);
    let _w = lock.try_write().unwrap();
    assert_eq!(format!("{lock:?}"), "RwLock { data: <locked> }");
    assert_eq!(
        lock.try_read().unwrap_err().to_string(),
        "operation would block"
    );
}

#[weave::test]
async fn into_mapped_and_downgrade_map() {
    let lock = Arc::new(RwLock::new((1, 2)));
    let mut m = RwLockWriteGuard::into_mapped(lock.write().await);
    m.0 = 10;
    drop(m);
    let w = RwLockWriteGuard::try_downgrade_map(lock.write().await, |_| None::<&u8>).unwrap_err();
    let r = RwLockWriteGuard::try_downgrade_map(w, |v| Some(&v.0)).unwrap();
    assert_eq!(*r, 10);
    assert!(lock.try_read().is_ok() && lock.try_write().is_err());
    drop(r);
    let r = RwLockWriteGuard::downgrade_map(lock.write().await, |v| &v.1);
    assert_eq!(*r, 2);
    drop(r);

    let mut m = OwnedRwLockWriteGuard::into_mapped(lock.clone().write_owned().await);
    m.1 = 20;
    drop(m);
    let w = lock.clone().write_owned().await;
    let w = OwnedRwLockWriteGuard::try_downgrade_map(w, |_| None::<&u8>).unwrap_err();
    let r = OwnedRwLockWriteGuard::try_downgrade_map(w, |v| Some(&v.1)).unwrap();
    assert_eq!(*r, 20);
    assert!(lock.try_read().is_ok() && lock.try_write().is_err());
    drop(r);
    let r = OwnedRwLockWriteGuard::downgrade_map(lock.clone().write_owned().await, |v| &v.0);
    assert_eq!(*r, 10);
    drop(r);
    assert!(lock.try_write().is_ok());
}

/// A queued writer holds back readers that come after it, then those
/// readers get in together once the writer is done.
#[test]
fn writer_is_not_starved() {
    let lock = RwLock::new(0);
    let r1 = lock.try_read().unwrap();
    let mut w = Box::pin(lock.write());
    assert!(poll_noop(w.as_mut()).is_pending());
    let mut r2 = Box::pin(lock.read());
    let mut r3 = Box::pin(lock.read());
    assert!(poll_noop(r2.as_mut()).is_pending());
    assert!(poll_noop(r3.as_mut()).is_pending());
    assert!(
        lock.try_read().is_err(),
        "a new reader must not overtake the writer"
    );
    drop(r1);
    assert!(poll_noop(r2.as_mut()).is_pending());
    let mut guard = match poll_noop(w.as_mut()) {
        Poll::Ready(g) => g,
        Poll::Pending => panic!("writer should have the lock"),
    };
    *guard = 1;
    drop(guard);
    let (Poll::Ready(a), Poll::Ready(b)) = (poll_noop(r2.as_mut()), poll_noop(r3.as_mut())) else {
        panic!("both readers should get in")
    };
    assert_eq!(*a + *b, 2);
}

/// A dropped `write` future that had been assigned some of its permits
/// gives them back: readers behind it proceed.
#[test]
fn cancelled_write_is_harmless() {
    let lock = RwLock::with_max_readers(0, 4);
    let r1 = lock.try_read().unwrap();
    let mut w = Box::pin(lock.write());
    assert!(poll_noop(w.as_mut()).is_pending());
    let mut r2 = Box::pin(lock.read());
    assert!(poll_noop(r2.as_mut()).is_pending());
    drop(w);
    assert!(poll_noop(r2.as_mut()).is_ready());
    drop((r1, r2));
    assert!(lock.try_write().is_ok());
}

#[test]
fn blocking_read_and_write_on_plain_threads() {
    let lock = Arc::new(RwLock::new(0));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let lock = lock.clone();
            std::thread::spawn(move || {
                for _ in 0..100 {
                    *lock.blocking_write() += 1;
                    assert!(*lock.blocking_read() > 0);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(*lock.blocking_read(), 400);
}

#[weave::test]
async fn blocking_calls_inside_runtime_panic() {
    let lock = RwLock::new(0);
    let read = common::catch_panic(|| drop(lock.blocking_read()));
    assert!(read.contains("`blocking_read` cannot be called"), "{read}");
    let write = common::catch_panic(|| drop(lock.blocking_write()));
    assert!(
        write.contains("`blocking_write` cannot be called"),
        "{write}"
    );
    assert!(lock.try_write().is_ok());
}

/// Readers and writers on two workers: a writer is always alone, and
/// readers always see the pair of fields consistent.
#[weave::test(flavor = "multi_thread", worker_threads = 2)]
async fn contended_stress() {
    let lock = Arc::new(RwLock::with_max_readers((0u64, 0u64), 8));
    // > 0: that many readers inside; -1: a writer inside.
    let inside = Arc::new(AtomicIsize::new(0));
    let mut tasks = Vec::new();
    for i in 0..12 {
        let (lock, inside) = (lock.clone(), inside.clone());
        tasks.push(weave::spawn(async move {
            for _ in 0..150 {
                if i % 3 == 0 {
                    let mut g = lock.write().await;
                    assert_eq!(inside.compare_exchange(0, -1, SeqCst, SeqCst), Ok(0));
                    g.0 += 1;
                    weave::task::yield_now().await;
                    g.1 += 1;
                    inside.store(0, SeqCst);
                } else {
                    let g = lock.read().await;
                    assert!(inside.fetch_add(1, SeqCst) >= 0, "reader next to a writer");
                    assert_eq!(g.0, g.1);
                    weave::task::yield_now().await;
                    inside.fetch_sub(1, SeqCst);
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(*lock.read().await, (600, 600));
}

/// No weave runtime: `futures`' executor drives everything.
#[test]
fn works_without_weave_runtime() {
    let lock = RwLock::new(1);
    futures::executor::block_on(async {
        *lock.write().await += 1;
        assert_eq!(*lock.read().await, 2);
    });
}
