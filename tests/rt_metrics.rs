//! Integration tests for `RuntimeMetrics`: scripted workloads whose counts
//! are known, on both schedulers.
//!
//! Workers publish their counters when they park and at their maintenance
//! tick, so a test that reads a per-worker counter waits (with a generous
//! deadline) until the workers have gone idle and the value has arrived;
//! where a count must be exact, it then checks equality. Ordering between
//! the test thread and tasks is set up with channels and barriers, never
//! with sleeps.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{mpsc, Arc, Barrier};
use std::time::{Duration, Instant};

use weave::runtime::{Builder, Runtime, RuntimeMetrics};
use weave::sync::oneshot;
use weave::task;

#[macro_use]
mod common;
use common::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Flavor {
    CurrentThread,
    MultiThread,
}

impl Flavor {
    fn builder(self) -> Builder {
        match self {
            Flavor::CurrentThread => Builder::new_current_thread(),
            Flavor::MultiThread => {
                let mut b = Builder::new_multi_thread();
                b.worker_threads(2);
                b
            }
        }
    }

    fn workers(self) -> usize {
        match self {
            Flavor::CurrentThread => 1,
            Flavor::MultiThread => 2,
        }
    }
}

fn new_rt(flavor: Flavor) -> Runtime {
    flavor
        .builder()
        .enable_all()
        .build()
        .expect("runtime builds")
}

/// How long a condition that must come true may take (only reached if the
/// runtime is broken).
const DEADLINE: Duration = Duration::from_secs(30);

/// Waits until `cond` holds; panics with `what` after `DEADLINE`.
#[track_caller]
fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < DEADLINE, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// `f(worker)` summed over all workers.
fn sum(m: &RuntimeMetrics, f: impl Fn(&RuntimeMetrics, usize) -> u64) -> u64 {
    (0..m.num_workers()).map(|w| f(m, w)).sum()
}

fn total_polls(m: &RuntimeMetrics) -> u64 {
    sum(m, RuntimeMetrics::worker_poll_count)
}

/// Waits until the summed counter reaches `expected`, then checks that it
/// did not overshoot.
#[track_caller]
fn expect_sum(
    m: &RuntimeMetrics,
    what: &str,
    expected: u64,
    f: impl Fn(&RuntimeMetrics, usize) -> u64,
) {
    wait_until(what, || sum(m, &f) >= expected);
    assert_eq!(sum(m, &f), expected, "{what}");
}

// ---------------------------------------------------------------------------
// Shape
// ---------------------------------------------------------------------------

both_flavors!(
    num_workers,
    handle_and_runtime_agree,
    out_of_range_worker_panics
);

fn num_workers(flavor: Flavor) {
    let rt = new_rt(flavor);
    assert_eq!(rt.metrics().num_workers(), flavor.workers());
    assert_eq!(rt.handle().metrics().num_workers(), flavor.workers());
}

fn handle_and_runtime_agree(flavor: Flavor) {
    let rt = new_rt(flavor);
    let from_rt = rt.metrics();
    let from_handle = rt.block_on(async { weave::runtime::Handle::current().metrics() });
    let cloned = from_handle.clone();
    for _ in 0..3 {
        rt.spawn(async {});
    }
    assert_eq!(from_rt.remote_schedule_count(), 3);
    assert_eq!(cloned.remote_schedule_count(), 3);
    assert!(format!("{cloned:?}").contains("RuntimeMetrics"));
}

/// A per-worker metric, as a number.
type PerWorker = fn(&RuntimeMetrics, usize) -> u64;

fn out_of_range_worker_panics(flavor: Flavor) {
    let rt = new_rt(flavor);
    let m = rt.metrics();
    let n = m.num_workers();
    let per_worker: [(&str, PerWorker); 11] = [
        ("busy", |m, w| {
            m.worker_total_busy_duration(w).as_nanos() as u64
        }),
        ("park", RuntimeMetrics::worker_park_count),
        ("park_unpark", RuntimeMetrics::worker_park_unpark_count),
        ("poll", RuntimeMetrics::worker_poll_count),
        ("steal", RuntimeMetrics::worker_steal_count),
        ("steal_ops", RuntimeMetrics::worker_steal_operations),
        ("noop", RuntimeMetrics::worker_noop_count),
        (
            "local_schedule",
            RuntimeMetrics::worker_local_schedule_count,
        ),
        ("overflow", RuntimeMetrics::worker_overflow_count),
        ("local_queue_depth", |m, w| {
            m.worker_local_queue_depth(w) as u64
        }),
        ("lifo", RuntimeMetrics::worker_lifo_count),
    ];
    for (name, f) in per_worker {
        // The last valid index works...
        f(&m, n - 1);
        // ...the next one panics, naming the index and the worker count.
        let msg = catch_panic(|| f(&m, n));
        assert!(
            msg.contains(&format!("worker index {n} out of range"))
                && msg.contains(&format!("{n} worker")),
            "{name}: {msg}"
        );
    }
}

// ---------------------------------------------------------------------------
// Tasks: spawned, alive, polled, scheduled
// ---------------------------------------------------------------------------

both_flavors!(
    spawned_and_alive_tasks,
    alive_tasks_while_pending,
    polls_of_a_yielding_task,
    local_schedules_from_a_task,
    remote_schedules_from_outside,
    lifo_slot_runs,
);

fn spawned_and_alive_tasks(flavor: Flavor) {
    let rt = new_rt(flavor);
    let m = rt.metrics();
    assert_eq!(m.spawned_tasks_count(), 0);
    assert_eq!(m.num_alive_tasks(), 0);
    rt.block_on(async {
        // One task spawned from `block_on`, 100 from inside a task (on a
        // worker, counted in the worker's own counters).
        weave::spawn(async {
            let handles: Vec<_> = (0..100).map(|_| weave::spawn(task::yield_now())).collect();
            for h in handles {
                h.await.unwrap();
            }
        })
        .await
        .unwrap();
    });
    wait_until("101 spawns published", || m.spawned_tasks_count() >= 101);
    assert_eq!(m.spawned_tasks_count(), 101);
    wait_until("all tasks released", || m.num_alive_tasks() == 0);
    // `spawn_blocking` is not a task of the scheduler.
    rt.block_on(rt.spawn_blocking(|| ())).unwrap();
    assert_eq!(m.spawned_tasks_count(), 101);
}

fn alive_tasks_while_pending(flavor: Flavor) {
    let rt = new_rt(flavor);
    let m = rt.metrics();
    let (senders, handles): (Vec<_>, Vec<_>) = (0..10)
        .map(|_| {
            let (tx, rx) = oneshot::channel::<()>();
            (tx, rt.spawn(async move { rx.await.unwrap() }))
        })
        .unzip();
    assert_eq!(m.num_alive_tasks(), 10);
    assert_eq!(m.spawned_tasks_count(), 10);
    for tx in senders {
        tx.send(()).unwrap();
    }
    rt.block_on(async {
        for h in handles {
            h.await.unwrap();
        }
    });
    wait_until("pending tasks released", || m.num_alive_tasks() == 0);
}

fn polls_of_a_yielding_task(flavor: Flavor) {
    const YIELDS: u64 = 50;
    let rt = new_rt(flavor);
    let m = rt.metrics();
    assert_eq!(total_polls(&m), 0);
    rt.block_on(async {
        weave::spawn(async {
            for _ in 0..YIELDS {
                task::yield_now().await;
            }
        })
        .await
        .unwrap();
    });
    // One poll per yield plus the one that completes; `block_on`'s own
    // future is not a task and is not counted.
    expect_sum(&m, "polls", YIELDS + 1, RuntimeMetrics::worker_poll_count);
}

fn local_schedules_from_a_task(flavor: Flavor) {
    let rt = new_rt(flavor);
    let m = rt.metrics();
    rt.block_on(async {
        weave::spawn(async {
            let handles: Vec<_> = (0..20).map(|_| weave::spawn(async {})).collect();
            for h in handles {
                h.await.unwrap();
            }
        })
        .await
        .unwrap();
    });
    // 20 spawns from a worker, plus wake-ups of the waiting parent (also
    // local); never more than every schedule there was.
    wait_until("local schedules published", || {
        sum(&m, RuntimeMetrics::worker_local_schedule_count) >= 20
    });
    assert!(sum(&m, RuntimeMetrics::worker_local_schedule_count) <= 20 + 21);
}

fn remote_schedules_from_outside(flavor: Flavor) {
    let rt = new_rt(flavor);
    let m = rt.metrics();
    assert_eq!(m.remote_schedule_count(), 0);
    // From this thread (no worker, not inside `block_on`), spawns go
    // through the global queue and are counted at once.
    let handles: Vec<_> = (0..10).map(|_| rt.spawn(async {})).collect();
    assert_eq!(m.remote_schedule_count(), 10);
    assert_eq!(m.spawned_tasks_count(), 10);
    // A wake-up from a plain thread is a remote schedule too.
    let (tx, rx) = oneshot::channel::<()>();
    let polled = Arc::new(AtomicBool::new(false));
    let waiter = rt.spawn({
        let polled = polled.clone();
        async move {
            let mut rx = rx;
            // Register the waker before telling the test thread.
            let first = poll_once(&mut rx).await;
            polled.store(true, SeqCst);
            if first.is_none() {
                rx.await.unwrap();
            }
        }
    });
    rt.block_on(async {
        for h in handles {
            h.await.unwrap();
        }
        // (On a current-thread runtime, tasks only run inside `block_on`.)
        while !polled.load(SeqCst) {
            task::yield_now().await;
        }
    });
    let before = m.remote_schedule_count();
    std::thread::spawn(move || tx.send(()).unwrap())
        .join()
        .unwrap();
    assert_eq!(m.remote_schedule_count(), before + 1);
    rt.block_on(waiter).unwrap();
}

/// Polls `fut` once: `Some(output)` if it was ready, `None` if pending
/// (its waker is then registered).
async fn poll_once<F: Future + Unpin>(fut: &mut F) -> Option<F::Output> {
    std::future::poll_fn(|cx| {
        std::task::Poll::Ready(match std::pin::Pin::new(&mut *fut).poll(cx) {
            std::task::Poll::Ready(v) => Some(v),
            std::task::Poll::Pending => None,
        })
    })
    .await
}

fn lifo_slot_runs(flavor: Flavor) {
    let rt = new_rt(flavor);
    let m = rt.metrics();
    rt.block_on(async {
        weave::spawn(async {
            // The child goes to this worker's LIFO slot and runs from there
            // as soon as the parent waits for it.
            weave::spawn(async {}).await.unwrap();
        })
        .await
        .unwrap();
    });
    match flavor {
        Flavor::MultiThread => {
            wait_until("a LIFO run published", || {
                sum(&m, RuntimeMetrics::worker_lifo_count) >= 1
            });
            expect_sum(&m, "polls", 3, RuntimeMetrics::worker_poll_count);
            assert!(sum(&m, RuntimeMetrics::worker_lifo_count) <= 3);
        }
        Flavor::CurrentThread => {
            // No LIFO slot on the current-thread scheduler.
            assert_eq!(m.worker_lifo_count(0), 0);
        }
    }
}

// ---------------------------------------------------------------------------
// Queues
// ---------------------------------------------------------------------------

/// A task that reports it is running, then blocks its worker thread until
/// released (so the test knows exactly which workers are busy).
fn spawn_blocker(
    rt: &Runtime,
    before_blocking: impl FnOnce() + Send + 'static,
) -> mpsc::Sender<()> {
    let (started_tx, started_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    rt.spawn(async move {
        before_blocking();
        started_tx.send(()).unwrap();
        release_rx.recv_timeout(DEADLINE).unwrap();
    });
    started_rx.recv_timeout(DEADLINE).unwrap();
    release_tx
}

#[test]
fn queue_depths_while_workers_blocked_multi_thread() {
    let rt = new_rt(Flavor::MultiThread);
    let m = rt.metrics();
    // Worker one blocks; worker two spawns 5 tasks into its own queues (one
    // in the LIFO slot, four in the queue) and blocks: nobody can run them.
    let release_one = spawn_blocker(&rt, || ());
    let release_two = spawn_blocker(&rt, || {
        for _ in 0..5 {
            weave::spawn(async {});
        }
    });
    let local: usize = (0..2).map(|w| m.worker_local_queue_depth(w)).sum();
    assert_eq!(local, 4, "the LIFO slot is not counted");
    assert_eq!(m.global_queue_depth(), 0);
    // Spawns from outside wait in the global queue.
    let handles: Vec<_> = (0..10).map(|_| rt.spawn(async {})).collect();
    assert_eq!(m.global_queue_depth(), 10);
    assert_eq!(m.num_alive_tasks(), 2 + 5 + 10);
    release_one.send(()).unwrap();
    release_two.send(()).unwrap();
    rt.block_on(async {
        for h in handles {
            h.await.unwrap();
        }
    });
    wait_until("queues drained", || {
        m.global_queue_depth() == 0
            && (0..2).all(|w| m.worker_local_queue_depth(w) == 0)
            && m.num_alive_tasks() == 0
    });
    // Every one of those tasks was polled exactly once.
    expect_sum(&m, "polls", 2 + 5 + 10, RuntimeMetrics::worker_poll_count);
}

#[test]
fn queue_depths_current_thread() {
    let rt = new_rt(Flavor::CurrentThread);
    let m = rt.metrics();
    // Outside `block_on`, spawned tasks wait in the global queue.
    let handles: Vec<_> = (0..10).map(|_| rt.spawn(async {})).collect();
    assert_eq!(m.global_queue_depth(), 10);
    assert_eq!(m.worker_local_queue_depth(0), 0);
    rt.block_on(async {
        for h in handles {
            h.await.unwrap();
        }
    });
    assert_eq!(m.global_queue_depth(), 0);
    // Tasks spawned inside `block_on` go to the local queue; `block_on`
    // returns before they run, and publishes the queue length as it leaves.
    rt.block_on(async {
        for _ in 0..7 {
            weave::spawn(async {});
        }
    });
    assert_eq!(m.worker_local_queue_depth(0), 7);
    assert_eq!(m.global_queue_depth(), 0);
    rt.block_on(task::yield_now());
    assert_eq!(m.worker_local_queue_depth(0), 0);
    assert_eq!(m.num_alive_tasks(), 0);
}

#[test]
fn steals_multi_thread() {
    let rt = new_rt(Flavor::MultiThread);
    let m = rt.metrics();
    let (ran_tx, ran_rx) = mpsc::channel();
    rt.block_on(async move {
        weave::spawn(async move {
            // The first child lands in the LIFO slot, the second pushes it
            // into the (stealable) queue. This worker then blocks until the
            // first child ran: only the other worker, stealing it, can run it.
            let ran = ran_tx.clone();
            let first = weave::spawn(async move { ran.send(()).unwrap() });
            let second = weave::spawn(async {});
            ran_rx.recv_timeout(DEADLINE).unwrap();
            first.await.unwrap();
            second.await.unwrap();
        })
        .await
        .unwrap();
    });
    wait_until("a steal published", || {
        sum(&m, RuntimeMetrics::worker_steal_operations) >= 1
    });
    let ops = sum(&m, RuntimeMetrics::worker_steal_operations);
    let stolen = sum(&m, RuntimeMetrics::worker_steal_count);
    assert!(stolen >= ops, "each steal takes at least one task");
    // Only the two children were ever in a local queue.
    assert!(stolen <= 2, "stolen {stolen}");
    assert_eq!(sum(&m, RuntimeMetrics::worker_overflow_count), 0);
}

#[test]
fn no_steals_current_thread() {
    let rt = new_rt(Flavor::CurrentThread);
    let m = rt.metrics();
    rt.block_on(async {
        let hs: Vec<_> = (0..10).map(|_| weave::spawn(task::yield_now())).collect();
        for h in hs {
            h.await.unwrap();
        }
    });
    assert_eq!(m.worker_steal_count(0), 0);
    assert_eq!(m.worker_steal_operations(0), 0);
    assert_eq!(m.worker_overflow_count(0), 0);
    assert_eq!(m.worker_poll_count(0), 20);
}

// ---------------------------------------------------------------------------
// Parking and busy time
// ---------------------------------------------------------------------------

#[test]
fn idle_workers_park_multi_thread() {
    let rt = new_rt(Flavor::MultiThread);
    let m = rt.metrics();
    // With nothing to do, every worker goes to sleep (and publishes it).
    wait_until("both workers parked", || {
        (0..2).all(|w| m.worker_park_count(w) >= 1)
    });
    let parks_before = sum(&m, RuntimeMetrics::worker_park_count);
    rt.block_on(async { rt_spawn_and_wait().await });
    // Whoever ran the task went back to sleep afterwards.
    wait_until("a worker parked again", || {
        sum(&m, RuntimeMetrics::worker_park_count) > parks_before
    });
    for w in 0..2 {
        // Published at park (odd: asleep) or at a maintenance tick (even).
        // (Read until stable: a worker may publish between the two loads.)
        let read = || (m.worker_park_count(w), m.worker_park_unpark_count(w));
        let mut snapshot = read();
        while read() != snapshot {
            snapshot = read();
        }
        let (parks, transitions) = snapshot;
        assert!(
            transitions == 2 * parks - 1 || transitions == 2 * parks,
            "worker {w}: {parks} parks, {transitions} transitions"
        );
        assert!(m.worker_noop_count(w) < parks);
    }
}

async fn rt_spawn_and_wait() {
    weave::spawn(async {}).await.unwrap();
}

#[test]
fn park_and_noop_current_thread() {
    let rt = new_rt(Flavor::CurrentThread);
    let m = rt.metrics();
    let (senders, mut receivers): (Vec<_>, Vec<_>) =
        (0..3).map(|_| oneshot::channel::<()>()).unzip();
    // Wakes `block_on` each time it has gone to sleep (which it publishes
    // just before sleeping).
    let waker_thread = {
        let m = m.clone();
        std::thread::spawn(move || {
            for (i, tx) in senders.into_iter().enumerate() {
                wait_until("a park", || m.worker_park_count(0) > i as u64);
                tx.send(()).unwrap();
            }
        })
    };
    rt.block_on(async {
        // Park 1, the first.
        receivers.remove(0).await.unwrap();
        // Park 2: only `block_on`'s own future (not a task) ran since the
        // wake-up, so the thread sleeps again without having polled a task.
        receivers.remove(0).await.unwrap();
        weave::spawn(async {}).await.unwrap();
        // Park 3: a task ran since the last wake-up.
        receivers.remove(0).await.unwrap();
    });
    waker_thread.join().unwrap();
    assert_eq!(m.worker_park_count(0), 3);
    assert_eq!(m.worker_park_unpark_count(0), 6);
    assert_eq!(m.worker_noop_count(0), 1);
    assert_eq!(m.worker_poll_count(0), 1);
}

both_flavors!(busy_time_covers_task_work);

fn busy_time_covers_task_work(flavor: Flavor) {
    const WORK: Duration = Duration::from_millis(20);
    let rt = new_rt(flavor);
    let m = rt.metrics();
    rt.block_on(async {
        weave::spawn(async {
            // Blocking on purpose: a lower bound on the worker's busy time.
            std::thread::sleep(WORK);
        })
        .await
        .unwrap();
    });
    let busy = || -> Duration {
        (0..m.num_workers())
            .map(|w| m.worker_total_busy_duration(w))
            .sum()
    };
    wait_until("busy time published", || busy() >= WORK);
}

// ---------------------------------------------------------------------------
// Blocking pool
// ---------------------------------------------------------------------------

both_flavors!(blocking_threads_live_and_idle, blocking_queue_depth);

fn blocking_threads_live_and_idle(flavor: Flavor) {
    let rt = flavor
        .builder()
        // Long enough that no thread retires during the test.
        .thread_keep_alive(Duration::from_secs(600))
        .build()
        .unwrap();
    let m = rt.metrics();
    // Worker threads (which live on the pool) are not blocking threads.
    assert_eq!(m.num_blocking_threads(), 0);
    assert_eq!(m.num_idle_blocking_threads(), 0);
    // Three jobs running at once need three threads.
    let barrier = Arc::new(Barrier::new(4));
    let jobs: Vec<_> = (0..3)
        .map(|_| {
            let barrier = barrier.clone();
            rt.spawn_blocking(move || {
                barrier.wait();
            })
        })
        .collect();
    barrier.wait();
    assert_eq!(m.num_blocking_threads(), 3);
    rt.block_on(async {
        for j in jobs {
            j.await.unwrap();
        }
    });
    // Finished, the threads stay alive and idle until the keep-alive.
    wait_until("three idle blocking threads", || {
        m.num_idle_blocking_threads() == 3
    });
    assert_eq!(m.num_blocking_threads(), 3);
    assert_eq!(m.blocking_queue_depth(), 0);
    // A new job takes an idle thread instead of starting one.
    rt.block_on(rt.spawn_blocking(|| ())).unwrap();
    wait_until("the thread is idle again", || {
        m.num_idle_blocking_threads() == 3
    });
    assert_eq!(m.num_blocking_threads(), 3);
}

fn blocking_queue_depth(flavor: Flavor) {
    let rt = flavor.builder().max_blocking_threads(1).build().unwrap();
    let m = rt.metrics();
    assert_eq!(m.blocking_queue_depth(), 0);
    let (started_tx, started_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let first = rt.spawn_blocking(move || {
        started_tx.send(()).unwrap();
        release_rx.recv_timeout(DEADLINE).unwrap();
    });
    started_rx.recv_timeout(DEADLINE).unwrap();
    // The only blocking thread is busy: the next jobs wait in the queue.
    let ran = Arc::new(AtomicBool::new(false));
    let queued: Vec<_> = (0..2)
        .map(|_| {
            let ran = ran.clone();
            rt.spawn_blocking(move || ran.store(true, SeqCst))
        })
        .collect();
    assert_eq!(m.blocking_queue_depth(), 2);
    assert!(!ran.load(SeqCst));
    assert_eq!(m.num_blocking_threads(), 1);
    release_tx.send(()).unwrap();
    rt.block_on(async {
        first.await.unwrap();
        for j in queued {
            j.await.unwrap();
        }
    });
    assert_eq!(m.blocking_queue_depth(), 0);
    assert!(ran.load(SeqCst));
}
