//! Integration tests for `task::JoinSet`.
//!
//! Timing-dependent orderings use the paused clock (`start_paused`), so the
//! tests run in milliseconds and do not depend on the machine's speed.

#[macro_use]
mod common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

use weave::runtime::{Builder, Runtime};
use weave::sync::oneshot;
use weave::task::{self, JoinSet};
use weave::time::sleep;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Flavor {
    CurrentThread,
    MultiThread,
}

/// A runtime; `paused` (current-thread only, as in Tokio) starts the clock
/// paused with auto-advance.
fn rt(flavor: Flavor, paused: bool) -> Runtime {
    let mut b = match flavor {
        Flavor::CurrentThread => Builder::new_current_thread(),
        Flavor::MultiThread => {
            let mut b = Builder::new_multi_thread();
            b.worker_threads(2);
            b
        }
    };
    b.enable_all().start_paused(paused).build().unwrap()
}

/// Counts drops, to prove aborted futures were dropped.
struct DropCount(Arc<AtomicUsize>);

impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

both_flavors!(
    with_id_matches_handles,
    try_join_next_never_waits,
    abort_all_cancels,
    drop_aborts_tasks,
    detach_all_keeps_running,
    shutdown_empties,
    join_all_resumes_panic,
    from_iter_and_extend,
    spawn_blocking_and_on,
    many_tasks,
    slot_reuse_churn,
    spawn_local_in_set,
);

#[test]
fn completion_order() {
    rt(Flavor::CurrentThread, true).block_on(async {
        let mut set = JoinSet::new();
        for (name, secs) in [("a", 3), ("b", 1), ("c", 2)] {
            set.spawn(async move {
                sleep(Duration::from_secs(secs)).await;
                name
            });
        }
        assert_eq!(set.len(), 3);
        let mut order = Vec::new();
        while let Some(r) = set.join_next().await {
            order.push(r.unwrap());
        }
        assert_eq!(order, ["b", "c", "a"]);
        assert!(set.is_empty());
        assert!(set.join_next().await.is_none());
    });
}

fn with_id_matches_handles(flavor: Flavor) {
    rt(flavor, false).block_on(async {
        let mut set = JoinSet::new();
        let mut ids = HashSet::new();
        for i in 0..20u32 {
            ids.insert(set.spawn(async move { i }).id());
        }
        // Also a failing one: its error carries its id.
        let bad = set.spawn(async { panic!("{}", common::EXPECTED) }).id();
        let mut seen = HashSet::new();
        let mut failed = None;
        while let Some(r) = set.join_next_with_id().await {
            match r {
                Ok((id, _)) => assert!(seen.insert(id)),
                Err(e) => failed = Some(e.id()),
            }
        }
        assert_eq!(seen, ids);
        assert_eq!(failed, Some(bad));
    });
}

fn try_join_next_never_waits(flavor: Flavor) {
    rt(flavor, false).block_on(async {
        let mut set = JoinSet::new();
        assert!(set.try_join_next().is_none());
        let (tx, rx) = oneshot::channel::<()>();
        set.spawn(async move {
            rx.await.unwrap();
            5
        });
        assert!(set.try_join_next().is_none());
        assert_eq!(set.len(), 1);
        tx.send(()).unwrap();
        loop {
            if let Some(r) = set.try_join_next() {
                assert_eq!(r.unwrap(), 5);
                break;
            }
            task::yield_now().await;
        }
        assert!(set.is_empty());
    });
}

fn abort_all_cancels(flavor: Flavor) {
    rt(flavor, false).block_on(async {
        let drops = Arc::new(AtomicUsize::new(0));
        let mut set = JoinSet::new();
        for _ in 0..10 {
            let guard = DropCount(drops.clone());
            set.spawn(async move {
                let _g = guard;
                std::future::pending::<()>().await;
            });
        }
        set.spawn(async {});
        task::yield_now().await;
        set.abort_all();
        let (mut cancelled, mut ok) = (0, 0);
        while let Some(r) = set.join_next().await {
            match r {
                Ok(()) => ok += 1,
                Err(e) => {
                    assert!(e.is_cancelled());
                    cancelled += 1;
                }
            }
        }
        assert_eq!(cancelled + ok, 11);
        assert!(cancelled >= 10);
        assert_eq!(drops.load(SeqCst), 10);
    });
}

fn drop_aborts_tasks(flavor: Flavor) {
    rt(flavor, false).block_on(async {
        let drops = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = oneshot::channel::<()>();
        let mut set = JoinSet::new();
        for _ in 0..5 {
            let guard = DropCount(drops.clone());
            set.spawn(async move {
                let _g = guard;
                std::future::pending::<()>().await;
            });
        }
        // A task outside the set observes that the set's tasks are gone.
        let watcher = weave::spawn(async move {
            rx.await.unwrap();
        });
        drop(set);
        // Aborted tasks are dropped at their next scheduling point.
        while drops.load(SeqCst) < 5 {
            task::yield_now().await;
        }
        tx.send(()).unwrap();
        watcher.await.unwrap();
        assert_eq!(drops.load(SeqCst), 5);
    });
}

fn detach_all_keeps_running(flavor: Flavor) {
    rt(flavor, false).block_on(async {
        let mut set = JoinSet::new();
        let (tx, rx) = oneshot::channel::<u32>();
        let (go_tx, go_rx) = oneshot::channel::<()>();
        set.spawn(async move {
            go_rx.await.unwrap();
            tx.send(7).unwrap();
        });
        set.detach_all();
        assert!(set.is_empty());
        drop(set);
        go_tx.send(()).unwrap();
        assert_eq!(rx.await.unwrap(), 7);
    });
}

fn shutdown_empties(flavor: Flavor) {
    rt(flavor, false).block_on(async {
        let drops = Arc::new(AtomicUsize::new(0));
        let mut set = JoinSet::new();
        for _ in 0..8 {
            let guard = DropCount(drops.clone());
            set.spawn(async move {
                let _g = guard;
                std::future::pending::<()>().await;
            });
        }
        set.shutdown().await;
        assert!(set.is_empty());
        // `shutdown` returns only after every future was dropped.
        assert_eq!(drops.load(SeqCst), 8);
        // The set is reusable.
        set.spawn(async {});
        assert!(set.join_next().await.unwrap().is_ok());
    });
}

#[test]
fn join_all_collects() {
    rt(Flavor::CurrentThread, true).block_on(async {
        let mut set = JoinSet::new();
        for secs in [3u64, 1, 2] {
            set.spawn(async move {
                sleep(Duration::from_secs(secs)).await;
                secs
            });
        }
        assert_eq!(set.join_all().await, [1, 2, 3]);
    });
}

fn join_all_resumes_panic(flavor: Flavor) {
    let msg = common::catch_panic(|| {
        rt(flavor, false).block_on(async {
            let mut set = JoinSet::new();
            set.spawn(async { panic!("boom {}", common::EXPECTED) });
            set.spawn(std::future::pending::<()>());
            set.join_all().await
        })
    });
    assert!(msg.starts_with("boom"), "{msg}");
}

fn from_iter_and_extend(flavor: Flavor) {
    rt(flavor, false).block_on(async {
        let mut set: JoinSet<u32> = (0..5).map(|i| async move { i }).collect();
        set.extend((5..10).map(|i| async move { i }));
        assert_eq!(set.len(), 10);
        let mut all = set.join_all().await;
        all.sort();
        assert_eq!(all, (0..10).collect::<Vec<_>>());
    });
}

fn spawn_blocking_and_on(flavor: Flavor) {
    let rt = rt(flavor, false);
    let handle = rt.handle().clone();
    rt.block_on(async move {
        let mut set = JoinSet::new();
        set.spawn_blocking(|| 1);
        set.spawn_on(async { 2 }, &handle);
        set.spawn_blocking_on(|| 3, &handle);
        let mut all = set.join_all().await;
        all.sort();
        assert_eq!(all, [1, 2, 3]);
    });
}

#[test]
fn join_next_is_cancel_safe() {
    rt(Flavor::CurrentThread, true).block_on(async {
        let mut set = JoinSet::new();
        set.spawn(async {
            sleep(Duration::from_secs(2)).await;
            "late"
        });
        // Give up on join_next after 1 s: the task's output is not lost.
        let r = weave::time::timeout(Duration::from_secs(1), set.join_next()).await;
        assert!(r.is_err());
        assert_eq!(set.len(), 1);
        assert_eq!(set.join_next().await.unwrap().unwrap(), "late");
    });
}

fn many_tasks(flavor: Flavor) {
    rt(flavor, false).block_on(async {
        let mut set = JoinSet::new();
        for i in 0..10_000u64 {
            set.spawn(async move {
                if i % 3 == 0 {
                    task::yield_now().await;
                }
                i
            });
        }
        let mut sum = 0;
        let mut n = 0;
        while let Some(r) = set.join_next().await {
            sum += r.unwrap();
            n += 1;
        }
        assert_eq!(n, 10_000);
        assert_eq!(sum, (0..10_000u64).sum::<u64>());
    });
}

/// Slots are reused while wakers of their previous tasks may still fire:
/// every output arrives exactly once.
fn slot_reuse_churn(flavor: Flavor) {
    rt(flavor, false).block_on(async {
        let mut set = JoinSet::new();
        let mut next = 0u64;
        let mut got = Vec::new();
        for _ in 0..2_000 {
            for _ in 0..3 {
                let i = next;
                next += 1;
                set.spawn(async move {
                    task::yield_now().await;
                    i
                });
            }
            for _ in 0..2 {
                got.push(set.join_next().await.unwrap().unwrap());
            }
        }
        while let Some(r) = set.join_next().await {
            got.push(r.unwrap());
        }
        got.sort();
        assert_eq!(got, (0..next).collect::<Vec<_>>());
    });
}

/// `!Send` tasks join the set through the current `LocalSet`, or a given
/// one; named local tasks through `task::Builder`.
fn spawn_local_in_set(flavor: Flavor) {
    use std::rc::Rc;
    let rt = rt(flavor, false);
    let local = task::LocalSet::new();
    local.block_on(&rt, async {
        let shared = Rc::new(std::cell::Cell::new(0));
        let mut set = JoinSet::new();
        for i in 1..=3 {
            let shared = shared.clone();
            set.spawn_local(async move {
                task::yield_now().await;
                shared.set(shared.get() + i);
                i
            });
        }
        let other = task::LocalSet::new();
        set.spawn_local_on(async { 10 }, &other);
        let named = task::Builder::new()
            .name("local-job")
            .spawn_local(async { task::name() })
            .unwrap();
        assert_eq!(named.name(), Some("local-job"));
        assert_eq!(named.await.unwrap().as_deref(), Some("local-job"));
        // The task on `other` runs only while `other` is driven.
        let sum = other
            .run_until(async {
                let mut sum = 0;
                while let Some(r) = set.join_next().await {
                    sum += r.unwrap();
                }
                sum
            })
            .await;
        assert_eq!(sum, 16);
        assert_eq!(shared.get(), 6);
    });
}
