//! loom models of the list itself (`BLOCK_CAP` is 2 under loom, so a few
//! values cross blocks, and popped blocks get recycled).

use super::List;
use crate::loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use crate::loom::sync::Arc;
use loom::thread;

/// Counts its drops, so a model can check every value is dropped once.
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// Pops everything ready now.
fn drain<T>(list: &List<T>, out: &mut Vec<T>) {
    // SAFETY: each model has a single popping thread.
    while let Some(v) = unsafe { list.pop() } {
        out.push(v);
    }
}

/// Checks per-producer FIFO order and that each value came out once.
fn check(got: &[(u8, u8)], per: &[u8]) {
    let mut next = vec![0u8; per.len()];
    for &(p, i) in got {
        assert_eq!(i, next[p as usize], "producer {p} out of order");
        next[p as usize] += 1;
    }
    assert_eq!(next, per);
}

/// Two producers (1 and 2 values: 3 values over 2 blocks) and a consumer
/// popping concurrently: every value arrives once, in order per producer,
/// and blocks passed by the consumer are recycled safely.
#[test]
fn loom_list_two_producers_cross_block() {
    loom::model(|| {
        let list = Arc::new(List::new());
        let l1 = list.clone();
        let t1 = thread::spawn(move || {
            l1.push((0u8, 0u8));
        });
        let l2 = list.clone();
        let t2 = thread::spawn(move || {
            l2.push((1u8, 0u8));
            l2.push((1u8, 1u8));
        });
        let mut got = Vec::new();
        drain(&list, &mut got);
        t1.join().unwrap();
        t2.join().unwrap();
        // Every push finished: everything is visible now.
        drain(&list, &mut got);
        check(&got, &[1, 2]);
        assert!(list.is_empty());
    });
}

/// The consumer pops while a producer fills the first block and links the
/// second: pops return a prefix in order, never a value twice, never skip.
#[test]
fn loom_list_pop_while_producer_links_block() {
    loom::model(|| {
        let list = Arc::new(List::new());
        let l1 = list.clone();
        let t = thread::spawn(move || {
            for i in 0..3u8 {
                l1.push((0u8, i));
            }
        });
        let mut got = Vec::new();
        for _ in 0..3 {
            // SAFETY: single popper.
            if let Some(v) = unsafe { list.pop() } {
                got.push(v);
            }
        }
        t.join().unwrap();
        drain(&list, &mut got);
        check(&got, &[3]);
    });
}

/// Values pushed by two producers over several blocks, some popped, the rest
/// dropped with the list: each value is dropped exactly once.
#[test]
fn loom_list_drop_with_values_queued() {
    loom::model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let list = Arc::new(List::new());
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let list = list.clone();
                let drops = drops.clone();
                thread::spawn(move || {
                    list.push(Counted(drops.clone()));
                    list.push(Counted(drops));
                })
            })
            .collect();
        // SAFETY: single popper.
        let popped = unsafe { list.pop() }.map(drop).is_some() as usize;
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(drops.load(SeqCst), popped);
        assert_eq!(list.len(), 4 - popped);
        drop(list);
        assert_eq!(drops.load(SeqCst), 4);
    });
}

/// A consumer that keeps popping while one producer fills two blocks and
/// another, possibly slow, producer pushes once: the first block is
/// released and recycled while the slow producer may still be walking.
#[test]
fn loom_list_recycle_vs_slow_producer() {
    loom::model(|| {
        let list = Arc::new(List::new());
        let l1 = list.clone();
        let t1 = thread::spawn(move || {
            l1.push((0u8, 0u8));
        });
        let l2 = list.clone();
        let t2 = thread::spawn(move || {
            for i in 0..3u8 {
                l2.push((1u8, i));
            }
        });
        let mut got = Vec::new();
        for _ in 0..4 {
            // SAFETY: single popper.
            if let Some(v) = unsafe { list.pop() } {
                got.push(v);
            }
        }
        t1.join().unwrap();
        t2.join().unwrap();
        drain(&list, &mut got);
        check(&got, &[1, 3]);
        // The recycled block is used again.
        list.push((0u8, 1u8));
        drain(&list, &mut got);
        check(&got, &[2, 3]);
    });
}

/// The first block is full; a second thread pushes once while the consumer
/// thread pushes once (releasing the first block as it walks past it) and
/// pops. The other pusher may have loaded the tail hint (the first block)
/// before the release: the consumer must not recycle that block until that
/// pusher is done with it (loom flags the write to `start` otherwise).
#[test]
fn loom_list_reclaim_waits_for_walker() {
    loom::model(|| {
        let list = Arc::new(List::new());
        list.push((0u8, 0u8));
        list.push((0u8, 1u8));
        let l1 = list.clone();
        let t = thread::spawn(move || {
            l1.push((1u8, 0u8));
        });
        list.push((0u8, 2u8));
        let mut got = Vec::new();
        drain(&list, &mut got);
        t.join().unwrap();
        drain(&list, &mut got);
        check(&got, &[3, 1]);
        // Recycled blocks are used again.
        for i in 3..6u8 {
            list.push((0u8, i));
        }
        drain(&list, &mut got);
        check(&got, &[6, 1]);
    });
}
