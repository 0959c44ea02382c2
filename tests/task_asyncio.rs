//! asyncio's concurrency helpers on weave: `gather`, `try_gather`,
//! `as_completed`, `wait` / `wait_timeout` and `TaskGroup`, plus the
//! cancellation-cleanup rule (an aborted task's destructors run).
//!
//! Timing comes from the paused clock (current-thread runtime with
//! `start_paused`), so "finishes after 3 s" costs nothing and orderings are
//! exact; the multi-thread runtime is covered where no timer is involved.

#[macro_use]
mod common;

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use weave::runtime::{Builder, Runtime};
use weave::sync::oneshot;
use weave::task::{self, ReturnWhen, TaskGroup};
use weave::time::{sleep, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Flavor {
    CurrentThread,
    MultiThread,
}

fn rt(flavor: Flavor) -> Runtime {
    match flavor {
        Flavor::CurrentThread => Builder::new_current_thread().enable_all().build(),
        Flavor::MultiThread => Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build(),
    }
    .unwrap()
}

/// A current-thread runtime whose clock is paused and auto-advances.
fn paused() -> Runtime {
    Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap()
}

/// Counts drops, to prove aborted futures were dropped.
#[derive(Clone)]
struct Drops(Arc<AtomicUsize>);

impl Drops {
    fn new() -> Drops {
        Drops(Arc::new(AtomicUsize::new(0)))
    }
    fn guard(&self) -> DropGuard {
        DropGuard(self.0.clone())
    }
    fn count(&self) -> usize {
        self.0.load(SeqCst)
    }
}

struct DropGuard(Arc<AtomicUsize>);

impl Drop for DropGuard {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

async fn after(secs: u64) {
    sleep(Duration::from_secs(secs)).await;
}

// ---------------------------------------------------------------------------
// gather
// ---------------------------------------------------------------------------

#[test]
fn gather_keeps_input_order() {
    paused().block_on(async {
        let start = Instant::now();
        let results = weave::gather([3u64, 1, 2].map(|s| async move {
            after(s).await;
            s * 10
        }))
        .await;
        let values: Vec<u64> = results.into_iter().map(Result::unwrap).collect();
        assert_eq!(values, [30, 10, 20]);
        // Concurrent: 3 s in all, not 6.
        assert_eq!(start.elapsed(), Duration::from_secs(3));
    });
}

#[test]
fn gather_reports_failures_in_place() {
    common::quiet_expected_panics();
    paused().block_on(async {
        let results = weave::gather((0..5u32).map(|i| async move {
            after(u64::from(5 - i)).await;
            if i == 2 {
                panic!("user {i} {}", common::EXPECTED);
            }
            i
        }))
        .await;
        assert_eq!(results.len(), 5);
        for (i, r) in results.into_iter().enumerate() {
            if i == 2 {
                let err = r.unwrap_err();
                assert!(err.is_panic());
            } else {
                assert_eq!(r.unwrap(), i as u32);
            }
        }
    });
}

#[test]
fn dropping_gather_aborts_unfinished() {
    paused().block_on(async {
        let drops = Drops::new();
        let fut = weave::gather((0..4u64).map(|i| {
            let g = drops.guard();
            async move {
                let _g = g;
                after(10 + i).await;
            }
        }));
        // Give up after 1 s: the four tasks were spawned and are then aborted.
        assert!(weave::time::timeout(Duration::from_secs(1), fut)
            .await
            .is_err());
        while drops.count() < 4 {
            task::yield_now().await;
        }
        assert_eq!(drops.count(), 4);
    });
}

#[test]
fn gather_spawns_only_when_polled() {
    rt(Flavor::CurrentThread).block_on(async {
        let runs = Arc::new(AtomicUsize::new(0));
        let r = runs.clone();
        let fut = weave::gather((0..3).map(move |_| {
            let r = r.clone();
            async move {
                r.fetch_add(1, SeqCst);
            }
        }));
        task::yield_now().await;
        assert_eq!(runs.load(SeqCst), 0);
        fut.await;
        assert_eq!(runs.load(SeqCst), 3);
    });
}

both_flavors!(gather_many, try_gather_ok_many);

fn gather_many(flavor: Flavor) {
    rt(flavor).block_on(async {
        let results = weave::gather((0..10_000u64).map(|i| async move {
            if i % 7 == 0 {
                task::yield_now().await;
            }
            i
        }))
        .await;
        let values: Vec<u64> = results.into_iter().map(Result::unwrap).collect();
        assert_eq!(values, (0..10_000).collect::<Vec<_>>());
    });
}

#[test]
fn gather_empty() {
    rt(Flavor::CurrentThread).block_on(async {
        let r = weave::gather(Vec::<std::future::Ready<u8>>::new()).await;
        assert!(r.is_empty());
    });
}

// ---------------------------------------------------------------------------
// try_gather
// ---------------------------------------------------------------------------

fn try_gather_ok_many(flavor: Flavor) {
    rt(flavor).block_on(async {
        let r: Result<Vec<u32>, String> =
            weave::try_gather((0..1000u32).map(|i| async move { Ok(i) })).await;
        assert_eq!(r.unwrap(), (0..1000).collect::<Vec<_>>());
    });
}

#[test]
fn try_gather_fails_fast_and_cleans_up() {
    paused().block_on(async {
        let drops = Drops::new();
        let start = Instant::now();
        let futures = (0..5u64).map(|i| {
            let g = drops.guard();
            async move {
                let _g = g;
                if i == 3 {
                    after(1).await;
                    return Err(format!("user {i} failed"));
                }
                after(10).await;
                Ok(i)
            }
        });
        let r = weave::try_gather(futures).await;
        assert_eq!(r, Err("user 3 failed".to_string()));
        // Returned at the failure, not after the slow ones...
        assert_eq!(start.elapsed(), Duration::from_secs(1));
        // ...and only after every sibling's future was dropped.
        assert_eq!(drops.count(), 5);
    });
}

#[test]
fn try_gather_resumes_panic_after_aborting_rest() {
    let drops = Drops::new();
    let d = drops.clone();
    let msg = common::catch_panic(move || {
        paused().block_on(async move {
            let futures = (0..3u64).map(|i| {
                let g = d.guard();
                async move {
                    let _g = g;
                    if i == 0 {
                        after(1).await;
                        panic!("boom {}", common::EXPECTED);
                    }
                    after(100).await;
                    Ok::<u64, String>(i)
                }
            });
            weave::try_gather(futures).await
        })
    });
    assert!(msg.starts_with("boom"), "{msg}");
    assert_eq!(drops.count(), 3);
}

// ---------------------------------------------------------------------------
// as_completed
// ---------------------------------------------------------------------------

#[test]
fn as_completed_yields_in_completion_order() {
    paused().block_on(async {
        // Delays 3, 1, 2 for tasks 1, 2, 3 give 2, 3, 1.
        let mut done = task::as_completed([(1, 3), (2, 1), (3, 2)].map(|(id, s)| async move {
            after(s).await;
            id
        }));
        assert_eq!(done.len(), 3);
        let mut order = Vec::new();
        while let Some(r) = done.next().await {
            order.push(r.unwrap());
        }
        assert_eq!(order, [2, 3, 1]);
        assert!(done.is_empty());
        assert!(done.next().await.is_none());
    });
}

#[test]
fn as_completed_is_a_stream() {
    paused().block_on(async {
        let stream = task::as_completed([2u64, 1].map(|s| async move {
            after(s).await;
            s
        }));
        assert_eq!(futures::Stream::size_hint(&stream), (2, Some(2)));
        let order: Vec<u64> = stream.map(Result::unwrap).collect().await;
        assert_eq!(order, [1, 2]);
    });
}

#[test]
fn dropping_as_completed_aborts_the_rest() {
    paused().block_on(async {
        let drops = Drops::new();
        let mut done = task::as_completed((1..=4u64).map(|s| {
            let g = drops.guard();
            async move {
                let _g = g;
                after(s).await;
                s
            }
        }));
        assert_eq!(done.next().await.unwrap().unwrap(), 1);
        drop(done);
        while drops.count() < 4 {
            task::yield_now().await;
        }
        // Nothing else ran to completion: the clock did not need to reach 4 s.
        assert_eq!(drops.count(), 4);
    });
}

// ---------------------------------------------------------------------------
// wait / wait_timeout
// ---------------------------------------------------------------------------

fn sleepers(secs: &[u64]) -> Vec<task::JoinHandle<u64>> {
    secs.iter()
        .map(|&s| {
            weave::spawn(async move {
                after(s).await;
                s
            })
        })
        .collect()
}

#[test]
fn wait_first_completed_then_cancel_rest() {
    paused().block_on(async {
        let drops = Drops::new();
        let handles: Vec<_> = [3u64, 1, 2]
            .iter()
            .map(|&s| {
                let g = drops.guard();
                weave::spawn(async move {
                    let _g = g;
                    after(s).await;
                    s
                })
            })
            .collect();
        let (done, pending) = task::wait(handles, ReturnWhen::FirstCompleted).await;
        assert_eq!(done.len(), 1);
        assert_eq!(pending.len(), 2);
        // The pending ones are still running, in input order (3 then 2).
        assert!(pending.iter().all(|h| !h.is_finished()));
        for h in &pending {
            h.abort();
        }
        let mut out = Vec::new();
        for h in pending {
            out.push(h.await.unwrap_err().is_cancelled());
        }
        assert_eq!(out, [true, true]);
        assert_eq!(done.into_iter().next().unwrap().await.unwrap(), 1);
        assert_eq!(drops.count(), 3);
    });
}

#[test]
fn wait_keeps_input_order() {
    paused().block_on(async {
        let handles = sleepers(&[5, 1, 4, 2, 3]);
        let ids: Vec<_> = handles.iter().map(|h| h.id()).collect();
        let (done, pending) = task::wait_timeout(
            handles,
            ReturnWhen::AllCompleted,
            Duration::from_millis(2500),
        )
        .await;
        // Done: 1 s and 2 s tasks (input positions 1, 3); pending 5, 4, 3.
        assert_eq!(
            done.iter().map(|h| h.id()).collect::<Vec<_>>(),
            [ids[1], ids[3]]
        );
        assert_eq!(
            pending.iter().map(|h| h.id()).collect::<Vec<_>>(),
            [ids[0], ids[2], ids[4]]
        );
        let mut values = Vec::new();
        for h in done {
            values.push(h.await.unwrap());
        }
        assert_eq!(values, [1, 2]);
        for h in pending {
            h.await.unwrap();
        }
    });
}

#[test]
fn wait_all_completed() {
    paused().block_on(async {
        let start = Instant::now();
        let (done, pending) = task::wait(sleepers(&[2, 1, 3]), ReturnWhen::AllCompleted).await;
        assert_eq!(start.elapsed(), Duration::from_secs(3));
        assert!(pending.is_empty());
        let mut values = Vec::new();
        for h in done {
            values.push(h.await.unwrap());
        }
        assert_eq!(values, [2, 1, 3]);
    });
}

#[test]
fn wait_first_error() {
    common::quiet_expected_panics();
    paused().block_on(async {
        let start = Instant::now();
        let handles = vec![
            weave::spawn(async {
                after(1).await;
                Err::<u32, &str>("an Err value is a completion, not a failure")
            }),
            weave::spawn(async {
                after(2).await;
                panic!("failed {}", common::EXPECTED)
            }),
            weave::spawn(async {
                after(9).await;
                Ok(3)
            }),
        ];
        let (done, pending) = task::wait(handles, ReturnWhen::FirstError).await;
        assert_eq!(start.elapsed(), Duration::from_secs(2));
        assert_eq!(done.len(), 2);
        assert_eq!(pending.len(), 1);
        let mut done = done.into_iter();
        assert!(done.next().unwrap().await.unwrap().is_err());
        assert!(done.next().unwrap().await.unwrap_err().is_panic());

        // Without any failure, FirstError waits for all.
        let start = Instant::now();
        let (done, pending) = task::wait(sleepers(&[1, 2]), ReturnWhen::FirstError).await;
        assert_eq!(start.elapsed(), Duration::from_secs(2));
        assert_eq!((done.len(), pending.len()), (2, 0));

        // Cancellation counts as a failure.
        let victim = weave::spawn(std::future::pending::<u64>());
        victim.abort();
        let (done, pending) =
            task::wait([victim, sleepers(&[5]).remove(0)], ReturnWhen::FirstError).await;
        assert_eq!((done.len(), pending.len()), (1, 1));
        pending.into_iter().for_each(|h| h.abort());
    });
}

#[test]
fn wait_timeout_returns_at_deadline() {
    paused().block_on(async {
        let start = Instant::now();
        let (done, pending) = task::wait_timeout(
            sleepers(&[10, 20]),
            ReturnWhen::FirstCompleted,
            Duration::from_secs(3),
        )
        .await;
        assert_eq!(start.elapsed(), Duration::from_secs(3));
        assert!(done.is_empty());
        assert_eq!(pending.len(), 2);
        // A huge timeout means none.
        let (done, pending) =
            task::wait_timeout(pending, ReturnWhen::AllCompleted, Duration::MAX).await;
        assert_eq!((done.len(), pending.len()), (2, 0));
    });
}

#[test]
fn wait_with_no_handles() {
    // No runtime needed, and it returns at once.
    let (done, pending) = futures::executor::block_on(task::wait(
        Vec::<task::JoinHandle<()>>::new(),
        ReturnWhen::AllCompleted,
    ));
    assert!(done.is_empty() && pending.is_empty());
    let (done, pending) = futures::executor::block_on(task::wait_timeout(
        Vec::<task::JoinHandle<()>>::new(),
        ReturnWhen::FirstCompleted,
        Duration::from_secs(1),
    ));
    assert!(done.is_empty() && pending.is_empty());
}

both_flavors!(wait_many_first_completed);

fn wait_many_first_completed(flavor: Flavor) {
    rt(flavor).block_on(async {
        let (tx, rx) = oneshot::channel::<()>();
        let mut handles: Vec<_> = (0..100)
            .map(|_| weave::spawn(std::future::pending::<u32>()))
            .collect();
        handles.push(weave::spawn(async move {
            rx.await.unwrap();
            42
        }));
        tx.send(()).unwrap();
        let (done, pending) = task::wait(handles, ReturnWhen::FirstCompleted).await;
        assert_eq!(done.len(), 1);
        assert_eq!(pending.len(), 100);
        for h in &pending {
            h.abort();
        }
        assert_eq!(done.into_iter().next().unwrap().await.unwrap(), 42);
    });
}

// ---------------------------------------------------------------------------
// TaskGroup
// ---------------------------------------------------------------------------

#[test]
fn task_group_values_in_spawn_order() {
    paused().block_on(async {
        let mut group = TaskGroup::<u64, String>::new();
        for s in [3u64, 1, 2] {
            group.spawn(async move {
                after(s).await;
                Ok(s)
            });
        }
        assert_eq!(group.len(), 3);
        assert_eq!(group.join().await.unwrap(), [3, 1, 2]);
    });
}

#[test]
fn task_group_failure_cancels_siblings() {
    paused().block_on(async {
        let drops = Drops::new();
        let start = Instant::now();
        let mut group = TaskGroup::new();
        for s in [5u64, 1, 7] {
            let g = drops.guard();
            group.spawn(async move {
                let _g = g;
                after(s).await;
                if s == 1 {
                    Err(format!("task {s} failed"))
                } else {
                    Ok(s)
                }
            });
        }
        assert_eq!(group.join().await, Err("task 1 failed".to_string()));
        assert_eq!(start.elapsed(), Duration::from_secs(1));
        assert_eq!(drops.count(), 3);
    });
}

#[test]
fn task_group_cancels_siblings_before_join() {
    paused().block_on(async {
        let drops = Drops::new();
        let mut group = TaskGroup::<(), &str>::new();
        let g = drops.guard();
        group.spawn(async move {
            let _g = g;
            std::future::pending().await
        });
        group.spawn(async {
            after(1).await;
            Err("failed")
        });
        // Nobody joins yet: the failure alone stops the sibling.
        after(2).await;
        assert_eq!(drops.count(), 1);
        // Spawning into a failed group aborts the newcomer.
        let late = group.spawn(async { Ok(()) });
        let _ = late;
        assert_eq!(group.join().await, Err("failed"));
    });
}

#[test]
fn task_group_resumes_panic() {
    let drops = Drops::new();
    let d = drops.clone();
    let msg = common::catch_panic(move || {
        paused().block_on(async move {
            let mut group = TaskGroup::<u32, String>::new();
            let g = d.guard();
            group.spawn(async move {
                let _g = g;
                after(50).await;
                Ok(1)
            });
            group.spawn(async {
                after(1).await;
                panic!("child panicked {}", common::EXPECTED)
            });
            group.join().await
        })
    });
    assert!(msg.starts_with("child panicked"), "{msg}");
    assert_eq!(drops.count(), 1);
}

#[test]
fn task_group_aborted_child_is_skipped() {
    paused().block_on(async {
        let mut group = TaskGroup::<u32, String>::new();
        group.spawn(async { Ok(1) });
        let abort = group.spawn(std::future::pending());
        group.spawn(async {
            after(1).await;
            Ok(3)
        });
        abort.abort();
        assert_eq!(group.join().await.unwrap(), [1, 3]);
    });
}

#[test]
fn dropping_task_group_aborts_children() {
    rt(Flavor::MultiThread).block_on(async {
        let drops = Drops::new();
        let mut group = TaskGroup::<(), ()>::new();
        for _ in 0..10 {
            let g = drops.guard();
            group.spawn(async move {
                let _g = g;
                std::future::pending().await
            });
        }
        drop(group);
        while drops.count() < 10 {
            task::yield_now().await;
        }
    });
}

// ---------------------------------------------------------------------------
// Cancellation cleanup: asyncio's `finally` is Rust's `Drop`.
// ---------------------------------------------------------------------------

both_flavors!(aborted_task_runs_its_guards);

fn aborted_task_runs_its_guards(flavor: Flavor) {
    rt(flavor).block_on(async {
        let drops = Drops::new();
        let (started_tx, started_rx) = oneshot::channel();
        let g1 = drops.guard();
        let g2 = drops.guard();
        let handle = weave::spawn(async move {
            let _outer = g1; // like a `try: ... finally:` around the body
            started_tx.send(()).unwrap();
            let _inner = g2;
            std::future::pending::<()>().await;
        });
        started_rx.await.unwrap();
        handle.abort();
        assert!(handle.await.unwrap_err().is_cancelled());
        // Both guards ran before the JoinHandle reported the cancellation.
        assert_eq!(drops.count(), 2);
    });
}
