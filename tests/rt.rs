//! Integration tests for the runtime: `Runtime`, `Builder`, `Handle`,
//! shutdown and the blocking pool.
//!
//! Tests that apply to both schedulers are written once as
//! `fn name(flavor: Flavor)` and instantiated by `both_flavors!` as
//! `name::current_thread` and `name::multi_thread` (two workers).
//!
//! Nothing here depends on wall-clock speed: ordering is established with
//! channels, barriers and atomics; the few short sleeps only make a race
//! likely, and the waits for background threads poll for a generous while.

use std::collections::HashSet;
use std::io;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use weave::runtime::{Builder, Handle, Runtime, RuntimeFlavor};
use weave::sync::oneshot;
use weave::task;

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

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

    fn runtime_flavor(self) -> RuntimeFlavor {
        match self {
            Flavor::CurrentThread => RuntimeFlavor::CurrentThread,
            Flavor::MultiThread => RuntimeFlavor::MultiThread,
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

#[macro_use]
mod common;
use common::*;

/// Counts its own drop.
struct DropCounter(Arc<AtomicUsize>);

impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// Polls `cond` until it holds, for at most `limit` (only for things that
/// happen on background threads with no event to wait on, like a pool
/// thread retiring). Returns whether it held.
fn wait_for(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    cond()
}

/// Yields until `cond` holds (something else makes it true).
async fn yield_until(mut cond: impl FnMut() -> bool) {
    while !cond() {
        task::yield_now().await;
    }
}

// ---------------------------------------------------------------------------
// Child processes (for process-global settings and crash-prone checks)
// ---------------------------------------------------------------------------

const CHILD_ENV: &str = "WEAVE_RT_TEST_CHILD";

/// Runs the test `name` of this binary in a child process with `envs` set.
/// The child test checks `is_child()` and does nothing in a normal run.
fn run_child(name: &str, envs: &[(&str, &str)]) {
    let exe = std::env::current_exe().expect("test binary path");
    let mut cmd = std::process::Command::new(exe);
    cmd.args([name, "--exact", "--test-threads=1", "--nocapture"])
        .env(CHILD_ENV, "1")
        .env_remove("WEAVE_WORKER_THREADS");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run the child test");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "child test {name} failed ({:?})\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status
    );
    assert!(
        stdout.contains("1 passed"),
        "child test {name} did not run\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
}

fn is_child() -> bool {
    std::env::var_os(CHILD_ENV).is_some()
}

// ---------------------------------------------------------------------------
// Runtime basics
// ---------------------------------------------------------------------------

#[test]
fn runtime_new_is_multi_thread() {
    let rt = Runtime::new().unwrap();
    assert_eq!(rt.handle().runtime_flavor(), RuntimeFlavor::MultiThread);
    assert_eq!(rt.block_on(async { 1 + 1 }), 2);
    let dbg = format!("{rt:?}");
    assert!(dbg.contains("MultiThread"), "{dbg}");
    assert_eq!(rt.block_on(rt.spawn(async { "x" })).unwrap(), "x");
}

fn block_on_returns_output(flavor: Flavor) {
    let rt = new_rt(flavor);
    assert_eq!(rt.block_on(async { 7 }), 7);
    // block_on may be called again and again.
    for i in 0..10 {
        assert_eq!(
            rt.block_on(async move { weave::spawn(async move { i }).await.unwrap() }),
            i
        );
    }
    // A borrowed future (no 'static needed).
    let local = String::from("borrowed");
    assert_eq!(rt.block_on(async { local.len() }), 8);
}

/// `Runtime::spawn` and `spawn_blocking` from outside `block_on`.
fn runtime_spawn_outside_block_on(flavor: Flavor) {
    let rt = new_rt(flavor);
    let a = rt.spawn(async { 1 });
    let b = rt.spawn_blocking(|| 2);
    let c = rt.spawn(async { weave::spawn(async { 3 }).await.unwrap() });
    assert_eq!(rt.block_on(a).unwrap(), 1);
    assert_eq!(rt.block_on(b).unwrap(), 2);
    assert_eq!(rt.block_on(c).unwrap(), 3);
}

/// On the multi-thread runtime, tasks run without anyone in `block_on`.
#[test]
fn multi_thread_runs_tasks_without_block_on() {
    let rt = new_rt(Flavor::MultiThread);
    let (tx, rx) = mpsc::channel();
    rt.spawn(async move {
        let v = weave::spawn(async { 5 }).await.unwrap();
        tx.send(v).unwrap();
    });
    assert_eq!(rx.recv().unwrap(), 5);
}

fn block_on_panic_propagates_and_runtime_survives(flavor: Flavor) {
    let rt = new_rt(flavor);
    let msg = catch_panic(|| {
        rt.block_on(async {
            let _h = weave::spawn(std::future::pending::<()>());
            task::yield_now().await;
            panic!("{EXPECTED} in block_on");
        })
    });
    assert!(msg.contains("in block_on"), "{msg}");
    assert_eq!(
        rt.block_on(async { weave::spawn(async { 4 }).await.unwrap() }),
        4
    );
}

both_flavors!(
    block_on_returns_output,
    runtime_spawn_outside_block_on,
    block_on_panic_propagates_and_runtime_survives,
);

// ---------------------------------------------------------------------------
// enter / Handle
// ---------------------------------------------------------------------------

fn enter_allows_spawn_outside_block_on(flavor: Flavor) {
    let rt = new_rt(flavor);
    assert!(Handle::try_current().is_err());
    let handle = {
        let _guard = rt.enter();
        assert_eq!(Handle::current().runtime_flavor(), flavor.runtime_flavor());
        weave::spawn(async { task::spawn_blocking(|| 6).await.unwrap() })
    };
    assert!(
        Handle::try_current().is_err(),
        "the guard restores the context"
    );
    assert_eq!(rt.block_on(handle).unwrap(), 6);

    // Handle::enter, nested with another runtime.
    let other = new_rt(Flavor::CurrentThread);
    let g1 = rt.handle().enter();
    let g2 = other.handle().enter();
    assert_eq!(
        Handle::current().runtime_flavor(),
        RuntimeFlavor::CurrentThread
    );
    let on_other = weave::spawn(async { 1 });
    drop(g2);
    assert_eq!(Handle::current().runtime_flavor(), flavor.runtime_flavor());
    let on_rt = weave::spawn(async { 2 });
    drop(g1);
    assert!(Handle::try_current().is_err());
    assert_eq!(other.block_on(on_other).unwrap(), 1);
    assert_eq!(rt.block_on(on_rt).unwrap(), 2);
}

fn handle_current_inside_runtime(flavor: Flavor) {
    let rt = new_rt(flavor);
    rt.block_on(async {
        assert_eq!(Handle::current().runtime_flavor(), flavor.runtime_flavor());
        let in_task = weave::spawn(async { Handle::current().runtime_flavor() })
            .await
            .unwrap();
        assert_eq!(in_task, flavor.runtime_flavor());
        let in_blocking =
            task::spawn_blocking(|| Handle::try_current().map(|h| h.runtime_flavor()).ok())
                .await
                .unwrap();
        assert_eq!(in_blocking, Some(flavor.runtime_flavor()));
        // The handle from inside spawns onto the same runtime.
        let h = Handle::current();
        assert_eq!(h.spawn(async { 3 }).await.unwrap(), 3);
        let dbg = format!("{h:?}");
        assert!(dbg.contains("Handle"), "{dbg}");
    });
    assert_eq!(rt.handle().runtime_flavor(), flavor.runtime_flavor());
}

#[test]
fn handle_try_current_outside_runtime() {
    let err = Handle::try_current().unwrap_err();
    let text = err.to_string();
    assert!(text.contains("Runtime::new"), "{text}");
    let msg = catch_panic(Handle::current);
    assert!(msg.contains("#[weave::main]"), "{msg}");
    // Also on a fresh thread.
    std::thread::spawn(|| assert!(Handle::try_current().is_err()))
        .join()
        .unwrap();
}

/// `Handle::spawn`, `spawn_blocking` and `block_on` from plain threads.
fn handle_from_plain_threads(flavor: Flavor) {
    let rt = new_rt(flavor);
    let handle = rt.handle().clone();
    let out = std::thread::spawn(move || {
        assert!(Handle::try_current().is_err());
        let a = handle.spawn(async { weave::spawn(async { 20 }).await.unwrap() });
        let b = handle.spawn_blocking(|| 22);
        // Handle::block_on drives the current-thread runtime itself when
        // nobody else does.
        let v = handle.block_on(async move { a.await.unwrap() + b.await.unwrap() });
        assert!(
            Handle::try_current().is_err(),
            "block_on leaves no context behind"
        );
        v
    })
    .join()
    .unwrap();
    assert_eq!(out, 42);
}

/// `Handle::block_on` on a plain thread while another thread is inside
/// `Runtime::block_on` of the same runtime: the tasks still make progress.
fn handle_block_on_while_runtime_is_driven(flavor: Flavor) {
    let rt = new_rt(flavor);
    let handle = rt.handle().clone();
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let (entered_tx, entered_rx) = mpsc::channel();
    let other = std::thread::spawn(move || {
        entered_rx.recv().unwrap();
        let v = handle.block_on(async {
            let (tx, rx) = oneshot::channel();
            weave::spawn(async move {
                task::yield_now().await;
                tx.send(11).unwrap();
            });
            rx.await.unwrap()
        });
        stop_tx.send(()).unwrap();
        v
    });
    rt.block_on(async move {
        entered_tx.send(()).unwrap();
        stop_rx.await.unwrap();
    });
    assert_eq!(other.join().unwrap(), 11);
}

/// Two threads in `Runtime::block_on` of one runtime at once: each waits on
/// something only the other's tasks provide.
fn concurrent_block_on(flavor: Flavor) {
    let rt = new_rt(flavor);
    let (a_tx, a_rx) = oneshot::channel::<u32>();
    let (b_tx, b_rx) = oneshot::channel::<u32>();
    let barrier = Barrier::new(2);
    std::thread::scope(|s| {
        let t1 = s.spawn(|| {
            rt.block_on(async {
                barrier.wait();
                weave::spawn(async move { a_tx.send(1).unwrap() });
                b_rx.await.unwrap()
            })
        });
        let t2 = s.spawn(|| {
            rt.block_on(async {
                barrier.wait();
                weave::spawn(async move { b_tx.send(2).unwrap() });
                a_rx.await.unwrap()
            })
        });
        assert_eq!(t1.join().unwrap(), 2);
        assert_eq!(t2.join().unwrap(), 1);
    });
}

/// `Handle::block_on` on a blocking-pool thread (the usual way for blocking
/// code to call async code), while the runtime is driven elsewhere.
fn handle_block_on_inside_spawn_blocking(flavor: Flavor) {
    let rt = new_rt(flavor);
    let out = rt.block_on(async {
        task::spawn_blocking(|| {
            let handle = Handle::current();
            let h = weave::spawn(async {
                task::yield_now().await;
                20
            });
            handle.block_on(async move { h.await.unwrap() + 1 })
        })
        .await
        .unwrap()
    });
    assert_eq!(out, 21);
}

/// `block_on` makes its runtime current and restores what was entered
/// before.
fn block_on_restores_entered_context(flavor: Flavor) {
    let rt = new_rt(flavor);
    let other = new_rt(Flavor::CurrentThread);
    let _guard = other.enter();
    let inside = rt.block_on(async { Handle::current().runtime_flavor() });
    assert_eq!(inside, flavor.runtime_flavor());
    assert_eq!(
        Handle::current().runtime_flavor(),
        RuntimeFlavor::CurrentThread
    );
    let on_other = weave::spawn(async { 9 });
    drop(_guard);
    assert_eq!(other.block_on(on_other).unwrap(), 9);
}

/// Many tasks spawned from a plain thread before anyone drives the
/// runtime.
fn spawn_many_from_plain_thread(flavor: Flavor) {
    let rt = new_rt(flavor);
    let handle = rt.handle().clone();
    let handles = std::thread::spawn(move || {
        (0..10_000u64)
            .map(|i| handle.spawn(async move { i }))
            .collect::<Vec<_>>()
    })
    .join()
    .unwrap();
    let sum = rt.block_on(async move {
        let mut sum = 0;
        for h in handles {
            sum += h.await.unwrap();
        }
        sum
    });
    assert_eq!(sum, (0..10_000).sum::<u64>());
}

both_flavors!(
    handle_block_on_inside_spawn_blocking,
    block_on_restores_entered_context,
    spawn_many_from_plain_thread,
);

#[test]
fn public_types_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    fn send_sync_unpin<T: Send + Sync + Unpin>() {}
    send_sync::<Runtime>();
    send_sync::<Handle>();
    send_sync::<Builder>();
    send_sync::<task::JoinError>();
    send_sync::<task::AbortHandle>();
    send_sync_unpin::<task::JoinHandle<u32>>();
    // Only Send is needed from the output.
    send_sync_unpin::<task::JoinHandle<std::cell::Cell<u32>>>();
    fn error<E: std::error::Error + Send + Sync + 'static>() {}
    error::<task::JoinError>();
    error::<weave::runtime::TryCurrentError>();
    fn id<
        T: Copy + Eq + std::hash::Hash + Ord + std::fmt::Display + std::fmt::Debug + Send + Sync,
    >() {
    }
    id::<task::Id>();
}

both_flavors!(
    enter_allows_spawn_outside_block_on,
    handle_current_inside_runtime,
    handle_from_plain_threads,
    handle_block_on_while_runtime_is_driven,
    concurrent_block_on,
);

// ---------------------------------------------------------------------------
// block_on inside a runtime; dropping a runtime inside async code
// ---------------------------------------------------------------------------

fn nested_block_on_panics(flavor: Flavor) {
    let rt = new_rt(flavor);
    let msg = catch_panic(|| rt.block_on(async { rt.block_on(async { 1 }) }));
    assert!(msg.contains("within a runtime"), "{msg}");
    assert!(
        msg.contains("spawn_blocking"),
        "the message should say what to do: {msg}"
    );
    // Through a Handle, and with another runtime.
    let other = new_rt(Flavor::CurrentThread);
    let msg = catch_panic(|| rt.block_on(async { Handle::current().block_on(async { 1 }) }));
    assert!(msg.contains("within a runtime"), "{msg}");
    let msg = catch_panic(|| rt.block_on(async { other.block_on(async { 1 }) }));
    assert!(msg.contains("within a runtime"), "{msg}");
    // Everything still works afterwards.
    assert_eq!(
        rt.block_on(async { weave::spawn(async { 2 }).await.unwrap() }),
        2
    );
    assert_eq!(other.block_on(async { 3 }), 3);
}

fn block_on_inside_task_panics(flavor: Flavor) {
    quiet_expected_panics();
    let rt = new_rt(flavor);
    let other = Arc::new(new_rt(Flavor::CurrentThread));
    let o = other.clone();
    let (same, different) = rt.block_on(async move {
        let same = weave::spawn(async { Handle::current().block_on(async { 1 }) })
            .await
            .unwrap_err();
        let different = weave::spawn(async move { o.block_on(async { 1 }) })
            .await
            .unwrap_err();
        (same, different)
    });
    for err in [same, different] {
        assert!(err.is_panic());
        let payload = err.into_panic();
        let msg = panic_message(&*payload).unwrap_or_default().to_string();
        assert!(msg.contains("within a runtime"), "{msg}");
    }
    assert_eq!(other.block_on(async { 3 }), 3);
}

/// Dropping a runtime (of either flavor) from async code panics with a
/// message that points at `shutdown_background`.
fn drop_runtime_in_async_panics(outer: Flavor, inner: Flavor) {
    let rt = new_rt(outer);
    let inner_rt = new_rt(inner);
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    drop(inner_rt.spawn(async move { r.store(true, SeqCst) }));
    let msg = rt.block_on(async move {
        let msg = catch_panic(move || drop(inner_rt));
        // The outer runtime is unharmed.
        assert_eq!(weave::spawn(async { 1 }).await.unwrap(), 1);
        msg
    });
    assert!(msg.contains("shutdown_background"), "{msg}");
}

fn drop_runtime_in_async_panics_current_thread(flavor: Flavor) {
    drop_runtime_in_async_panics(flavor, Flavor::CurrentThread);
}

fn drop_runtime_in_async_panics_multi_thread(flavor: Flavor) {
    drop_runtime_in_async_panics(flavor, Flavor::MultiThread);
}

/// Also inside a spawned task: the panic becomes the task's JoinError.
fn drop_runtime_in_task_panics(flavor: Flavor) {
    quiet_expected_panics();
    let rt = new_rt(flavor);
    let inner_rt = new_rt(Flavor::CurrentThread);
    let err = rt
        .block_on(rt.spawn(async move {
            // Keep the expected panic out of the output, on whichever thread
            // the task runs.
            struct Quiet;
            impl Drop for Quiet {
                fn drop(&mut self) {
                    QUIET.with(|q| q.set(false));
                }
            }
            QUIET.with(|q| q.set(true));
            let _quiet = Quiet;
            drop(inner_rt);
        }))
        .unwrap_err();
    let msg = panic_message(&*err.into_panic())
        .unwrap_or_default()
        .to_string();
    assert!(msg.contains("shutdown_background"), "{msg}");
}

/// What the message recommends works: `shutdown_background` in async code,
/// and dropping the runtime on the blocking pool.
fn shutdown_background_and_blocking_drop_in_async(flavor: Flavor) {
    let rt = new_rt(flavor);
    let a = new_rt(Flavor::MultiThread);
    let b = new_rt(Flavor::CurrentThread);
    let c = new_rt(Flavor::MultiThread);
    rt.block_on(async move {
        a.shutdown_background();
        b.shutdown_background();
        task::spawn_blocking(move || drop(c)).await.unwrap();
    });
}

mod drop_runtime_in_async_panics_multi_thread {
    #[test]

    fn current_thread() {
        super::drop_runtime_in_async_panics_multi_thread(super::Flavor::CurrentThread)
    }

    #[test]

    fn multi_thread() {
        super::drop_runtime_in_async_panics_multi_thread(super::Flavor::MultiThread)
    }
}

both_flavors!(
    nested_block_on_panics,
    block_on_inside_task_panics,
    drop_runtime_in_async_panics_current_thread,
    drop_runtime_in_task_panics,
    shutdown_background_and_blocking_drop_in_async,
);

// ---------------------------------------------------------------------------
// shutdown_timeout / shutdown_background
// ---------------------------------------------------------------------------

/// A blocking task that will not finish does not keep `shutdown_timeout`
/// or `shutdown_background` from returning.
fn shutdown_does_not_wait_for_stuck_blocking_task(flavor: Flavor) {
    for background in [false, true] {
        let rt = new_rt(flavor);
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let (started_tx, started_rx) = mpsc::channel::<()>();
        let (done_tx, done_rx) = mpsc::channel::<()>();
        let stuck = rt.spawn_blocking(move || {
            started_tx.send(()).unwrap();
            release_rx.recv().unwrap();
            done_tx.send(()).unwrap();
            "finished"
        });
        started_rx.recv().unwrap();
        if background {
            rt.shutdown_background();
        } else {
            rt.shutdown_timeout(Duration::from_millis(50));
        }
        // The blocking task goes on by itself and still delivers its output.
        release_tx.send(()).unwrap();
        done_rx.recv().unwrap();
        assert_eq!(futures::executor::block_on(stuck).unwrap(), "finished");
    }
}

fn shutdown_timeout_waits_for_quick_blocking_tasks(flavor: Flavor) {
    let rt = new_rt(flavor);
    let done = Arc::new(AtomicUsize::new(0));
    for _ in 0..4 {
        let d = done.clone();
        rt.spawn_blocking(move || {
            std::thread::sleep(Duration::from_millis(5));
            d.fetch_add(1, SeqCst);
        });
    }
    // Generous: the jobs take milliseconds.
    rt.shutdown_timeout(Duration::from_secs(30));
    assert_eq!(done.load(SeqCst), 4);
}

fn shutdown_timeout_cancels_tasks(flavor: Flavor) {
    let rt = new_rt(flavor);
    let drops = Arc::new(AtomicUsize::new(0));
    for _ in 0..100 {
        let g = DropCounter(drops.clone());
        rt.spawn(async move {
            let _g = g;
            std::future::pending::<()>().await
        });
    }
    rt.block_on(task::yield_now());
    rt.shutdown_timeout(Duration::from_secs(30));
    assert_eq!(drops.load(SeqCst), 100);
}

both_flavors!(
    shutdown_does_not_wait_for_stuck_blocking_task,
    shutdown_timeout_waits_for_quick_blocking_tasks,
    shutdown_timeout_cancels_tasks,
);

// ---------------------------------------------------------------------------
// Shutdown: every task cancelled, every future dropped
// ---------------------------------------------------------------------------

fn shutdown_drops_10000_pending_tasks(flavor: Flavor) {
    const N: usize = 10_000;
    let rt = new_rt(flavor);
    let drops = Arc::new(AtomicUsize::new(0));
    let polled = Arc::new(AtomicUsize::new(0));
    let mut keep = Vec::new();
    rt.block_on(async {
        for i in 0..N {
            let g = DropCounter(drops.clone());
            let p = polled.clone();
            if i % 2 == 0 {
                weave::spawn(async move {
                    let _g = g;
                    p.fetch_add(1, SeqCst);
                    std::future::pending::<()>().await;
                });
            } else {
                // A oneshot whose sender we keep.
                let (tx, rx) = oneshot::channel::<()>();
                keep.push(tx);
                weave::spawn(async move {
                    let _g = g;
                    p.fetch_add(1, SeqCst);
                    let _ = rx.await;
                });
            }
        }
        yield_until(|| polled.load(SeqCst) == N).await;
    });
    assert_eq!(drops.load(SeqCst), 0);
    drop(rt);
    assert_eq!(
        drops.load(SeqCst),
        N,
        "every future must be dropped at shutdown"
    );
    // The senders now see closed channels.
    assert!(keep.iter().all(|tx| tx.is_closed()));
}

/// Tasks that are always ready (they keep yielding) when the runtime drops.
fn shutdown_drops_busy_tasks(flavor: Flavor) {
    const N: usize = 100;
    let rt = new_rt(flavor);
    let drops = Arc::new(AtomicUsize::new(0));
    let started = Arc::new(AtomicUsize::new(0));
    let mut handles = Vec::new();
    for _ in 0..N {
        let g = DropCounter(drops.clone());
        let s = started.clone();
        handles.push(rt.spawn(async move {
            let _g = g;
            s.fetch_add(1, SeqCst);
            loop {
                task::yield_now().await;
            }
        }));
    }
    rt.block_on(yield_until(|| started.load(SeqCst) == N));
    drop(rt);
    assert_eq!(drops.load(SeqCst), N);
    for h in handles {
        assert!(h.is_finished());
        let err = futures::executor::block_on(h).unwrap_err();
        assert!(err.is_cancelled(), "{err:?}");
    }
}

/// Tasks spawned but never polled (on the current-thread runtime they wait
/// for a `block_on` that never comes).
fn shutdown_drops_never_polled_tasks(flavor: Flavor) {
    let rt = new_rt(flavor);
    let drops = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = (0..1_000)
        .map(|_| {
            let g = DropCounter(drops.clone());
            rt.spawn(async move {
                let _g = g;
                std::future::pending::<()>().await
            })
        })
        .collect();
    drop(rt);
    assert_eq!(drops.load(SeqCst), 1_000);
    for h in handles {
        let err = futures::executor::block_on(h).unwrap_err();
        assert!(err.is_cancelled());
    }
}

/// Futures whose destructors spawn, wake or abort other tasks during
/// shutdown.
fn shutdown_with_busy_destructors(flavor: Flavor) {
    struct SpawnOnDrop(Arc<AtomicUsize>, Option<oneshot::Sender<()>>);
    impl Drop for SpawnOnDrop {
        fn drop(&mut self) {
            self.0.fetch_add(1, SeqCst);
            // Wake another task of the dying runtime...
            if let Some(tx) = self.1.take() {
                let _ = tx.send(());
            }
            // ...and spawn onto it: the new task is cancelled at once.
            if let Ok(h) = Handle::try_current() {
                let d = DropCounter(self.0.clone());
                drop(h.spawn(async move {
                    let _d = d;
                    std::future::pending::<()>().await
                }));
            }
        }
    }
    let rt = new_rt(flavor);
    let drops = Arc::new(AtomicUsize::new(0));
    rt.block_on(async {
        for _ in 0..200 {
            let (tx, rx) = oneshot::channel::<()>();
            let guard = SpawnOnDrop(drops.clone(), Some(tx));
            weave::spawn(async move {
                let _g = guard;
                std::future::pending::<()>().await
            });
            let g = DropCounter(drops.clone());
            weave::spawn(async move {
                let _g = g;
                let _ = rx.await;
                std::future::pending::<()>().await
            });
        }
        task::yield_now().await;
    });
    drop(rt);
    // 200 SpawnOnDrop + 200 waiters + the 200 tasks the destructors
    // spawned (the runtime stays current while shutdown drops futures, and
    // a task spawned onto a closing runtime is dropped at once).
    assert_eq!(drops.load(SeqCst), 600);
}

/// Spawning onto a runtime that is gone, through a handle kept from before.
fn spawn_after_shutdown_is_cancelled(flavor: Flavor) {
    let rt = new_rt(flavor);
    let handle = rt.handle().clone();
    drop(rt);
    let drops = Arc::new(AtomicUsize::new(0));
    let g = DropCounter(drops.clone());
    let jh = handle.spawn(async move {
        let _g = g;
        unreachable!("must not run");
    });
    assert_eq!(drops.load(SeqCst), 1, "the future is dropped right away");
    assert!(jh.is_finished());
    let err = futures::executor::block_on(jh).unwrap_err();
    assert!(err.is_cancelled(), "{err:?}");

    let jh = handle.spawn_blocking(|| unreachable!("must not run"));
    let err: task::JoinError = futures::executor::block_on(jh).unwrap_err();
    assert!(err.is_cancelled(), "{err:?}");

    let jh = task::Builder::new()
        .name("late")
        .spawn_on(async { unreachable!("must not run") }, &handle)
        .expect("spawn_on reports cancellation through the JoinHandle");
    assert_eq!(jh.name(), Some("late"));
    let err: task::JoinError = futures::executor::block_on(jh).unwrap_err();
    assert!(err.is_cancelled());

    let jh = task::Builder::new()
        .spawn_blocking_on(|| unreachable!("must not run"), &handle)
        .expect("spawn_blocking_on reports cancellation through the JoinHandle");
    let err: task::JoinError = futures::executor::block_on(jh).unwrap_err();
    assert!(err.is_cancelled());

    // Entering the dead runtime and spawning behaves the same.
    let _guard = handle.enter();
    let jh = weave::spawn(async { 1 });
    assert!(futures::executor::block_on(jh).unwrap_err().is_cancelled());
}

/// Tasks awaiting each other's JoinHandles across shutdown.
fn shutdown_with_join_handle_chains(flavor: Flavor) {
    let rt = new_rt(flavor);
    let drops = Arc::new(AtomicUsize::new(0));
    rt.block_on(async {
        let mut prev: Option<task::JoinHandle<()>> = None;
        for _ in 0..500 {
            let g = DropCounter(drops.clone());
            let p = prev.take();
            prev = Some(weave::spawn(async move {
                let _g = g;
                match p {
                    Some(p) => {
                        let _ = p.await;
                    }
                    None => std::future::pending::<()>().await,
                }
            }));
        }
        task::yield_now().await;
    });
    drop(rt);
    assert_eq!(drops.load(SeqCst), 500);
}

/// Another thread is inside `Handle::block_on`, awaiting a task, when the
/// runtime is dropped: it gets the cancellation and returns.
fn drop_runtime_while_other_thread_in_handle_block_on(flavor: Flavor) {
    let rt = new_rt(flavor);
    let handle = rt.handle().clone();
    let (started_tx, started_rx) = mpsc::channel();
    let other = std::thread::spawn(move || {
        handle.block_on(async move {
            let (tx, rx) = oneshot::channel::<()>();
            let pending = weave::spawn(async move {
                tx.send(()).unwrap();
                std::future::pending::<()>().await
            });
            rx.await.unwrap();
            started_tx.send(()).unwrap();
            pending.await
        })
    });
    started_rx.recv().unwrap();
    drop(rt);
    let res = other.join().unwrap();
    assert!(res.unwrap_err().is_cancelled());
}

both_flavors!(
    drop_runtime_while_other_thread_in_handle_block_on,
    shutdown_drops_10000_pending_tasks,
    shutdown_drops_busy_tasks,
    shutdown_drops_never_polled_tasks,
    shutdown_with_busy_destructors,
    spawn_after_shutdown_is_cancelled,
    shutdown_with_join_handle_chains,
);

/// Dropping the runtime while a task is inside `block_in_place`: drop waits
/// for the blocking call, then the task is cancelled at its next await.
#[test]
fn shutdown_while_task_in_block_in_place() {
    let rt = new_rt(Flavor::MultiThread);
    let drops = Arc::new(AtomicUsize::new(0));
    let after = Arc::new(AtomicBool::new(false));
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let (inside_tx, inside_rx) = mpsc::channel::<()>();
    let (g, a) = (DropCounter(drops.clone()), after.clone());
    let handle = rt.spawn(async move {
        let _g = g;
        task::block_in_place(move || {
            inside_tx.send(()).unwrap();
            release_rx.recv().unwrap();
        });
        task::yield_now().await;
        a.store(true, SeqCst);
    });
    inside_rx.recv().unwrap();
    let releaser = std::thread::spawn(move || {
        // Make it likely that the drop below is already waiting.
        std::thread::sleep(Duration::from_millis(20));
        release_tx.send(()).unwrap();
    });
    drop(rt);
    releaser.join().unwrap();
    assert_eq!(drops.load(SeqCst), 1);
    assert!(!after.load(SeqCst), "the task ran past its cancellation");
    assert!(futures::executor::block_on(handle)
        .unwrap_err()
        .is_cancelled());
}

#[test]
fn multi_thread_uses_its_worker_threads() {
    let rt = new_rt(Flavor::MultiThread);
    let main = std::thread::current().id();
    let threads = rt.block_on(async {
        let handles: Vec<_> = (0..1_000)
            .map(|_| {
                weave::spawn(async {
                    task::yield_now().await;
                    std::thread::current().id()
                })
            })
            .collect();
        let mut threads = HashSet::new();
        for h in handles {
            threads.insert(h.await.unwrap());
        }
        threads
    });
    assert!(
        !threads.contains(&main),
        "tasks run on workers, not in block_on"
    );
    assert!(
        threads.len() <= 2,
        "two workers, tasks ran on {} threads",
        threads.len()
    );
}

fn park_unpark_hooks(flavor: Flavor) {
    let parks = Arc::new(AtomicUsize::new(0));
    let unparks = Arc::new(AtomicUsize::new(0));
    let (p, u) = (parks.clone(), unparks.clone());
    let rt = flavor
        .builder()
        .on_thread_park(move || {
            p.fetch_add(1, SeqCst);
        })
        .on_thread_unpark(move || {
            u.fetch_add(1, SeqCst);
        })
        .build()
        .unwrap();
    rt.block_on(async {
        for _ in 0..10 {
            let (tx, rx) = oneshot::channel();
            let t = std::thread::spawn(move || tx.send(()).unwrap());
            rx.await.unwrap();
            t.join().unwrap();
            weave::spawn(async {}).await.unwrap();
        }
    });
    drop(rt);
    assert!(parks.load(SeqCst) > 0);
    assert!(unparks.load(SeqCst) > 0);
}

both_flavors!(park_unpark_hooks);

// ---------------------------------------------------------------------------
// Builder
// ---------------------------------------------------------------------------

#[test]
fn worker_threads_zero_is_an_error() {
    let err = Builder::new_multi_thread()
        .worker_threads(0)
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    let text = err.to_string();
    assert!(text.contains("worker_threads"), "{text}");
    assert!(text.contains('0'), "{text}");
    // The current-thread runtime has no workers to configure.
    let rt = Builder::new_current_thread()
        .worker_threads(0)
        .build()
        .unwrap();
    assert_eq!(rt.block_on(async { 1 }), 1);
}

#[test]
fn other_invalid_settings_are_errors() {
    for flavor in [Flavor::CurrentThread, Flavor::MultiThread] {
        let err = flavor
            .builder()
            .max_blocking_threads(0)
            .build()
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("max_blocking_threads"), "{err}");
        let err = flavor.builder().event_interval(0).build().unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("event_interval"), "{err}");
        let err = flavor
            .builder()
            .global_queue_interval(0)
            .build()
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("global_queue_interval"), "{err}");
    }
}

#[test]
fn builder_debug() {
    let mut b = Builder::new_multi_thread();
    b.worker_threads(3);
    let dbg = format!("{b:?}");
    assert!(dbg.contains("worker_threads"), "{dbg}");
}

#[test]
fn thread_name_multi_thread() {
    let rt = Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("my-pool")
        .build()
        .unwrap();
    let (in_task, in_blocking) = rt.block_on(async {
        let t = weave::spawn(async { std::thread::current().name().map(String::from) });
        let b = task::spawn_blocking(|| std::thread::current().name().map(String::from));
        (t.await.unwrap(), b.await.unwrap())
    });
    assert_eq!(in_task.as_deref(), Some("my-pool"));
    assert_eq!(in_blocking.as_deref(), Some("my-pool"));
}

#[test]
fn thread_name_current_thread() {
    let rt = Builder::new_current_thread()
        .thread_name("ct-pool")
        .build()
        .unwrap();
    let name = rt
        .block_on(rt.spawn_blocking(|| std::thread::current().name().map(String::from)))
        .unwrap();
    assert_eq!(name.as_deref(), Some("ct-pool"));
    // Tasks of the current-thread runtime run on the caller's thread.
    let caller = std::thread::current().id();
    let in_task = rt.block_on(async {
        weave::spawn(async { std::thread::current().id() })
            .await
            .unwrap()
    });
    assert_eq!(in_task, caller);
}

#[test]
fn thread_name_fn_names_every_thread() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let rt = Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name_fn(move || format!("pool-{}", c.fetch_add(1, SeqCst)))
        .build()
        .unwrap();
    // One call per worker thread, made while building.
    assert_eq!(calls.load(SeqCst), 2);
    let names = rt.block_on(async {
        let mut names = HashSet::new();
        for _ in 0..20 {
            let t = weave::spawn(async { std::thread::current().name().map(String::from) });
            names.insert(t.await.unwrap().unwrap());
        }
        let b = task::spawn_blocking(|| std::thread::current().name().map(String::from));
        names.insert(b.await.unwrap().unwrap());
        names
    });
    assert!(names.iter().all(|n| n.starts_with("pool-")), "{names:?}");
    assert!(calls.load(SeqCst) >= 3, "the blocking thread was named too");
}

#[test]
fn thread_stack_size() {
    run_child("child_thread_stack_size", &[]);
}

/// Needs about 8 MiB of stack on runtime threads (the default thread stack
/// is 2 MiB): a wrong stack size crashes the child, not the test binary.
#[test]
fn child_thread_stack_size() {
    if !is_child() {
        return;
    }
    fn deep(n: usize) -> u8 {
        let buf = std::hint::black_box([n as u8; 64 * 1024]);
        if n == 0 {
            buf[0]
        } else {
            deep(n - 1).wrapping_add(buf[n % buf.len()])
        }
    }
    for flavor in [Flavor::CurrentThread, Flavor::MultiThread] {
        let rt = flavor
            .builder()
            .thread_stack_size(32 << 20)
            .build()
            .unwrap();
        let v = rt.block_on(rt.spawn_blocking(|| deep(128))).unwrap();
        let expected = deep_reference();
        assert_eq!(v, expected);
        if flavor == Flavor::MultiThread {
            let v = rt.block_on(rt.spawn(async { deep(128) })).unwrap();
            assert_eq!(v, expected);
        }
    }
    fn deep_reference() -> u8 {
        std::thread::Builder::new()
            .stack_size(32 << 20)
            .spawn(|| deep(128))
            .unwrap()
            .join()
            .unwrap()
    }
}

fn thread_start_stop_hooks(flavor: Flavor) {
    let started = Arc::new(AtomicUsize::new(0));
    let stopped = Arc::new(AtomicUsize::new(0));
    let (s, t) = (started.clone(), stopped.clone());
    let rt = flavor
        .builder()
        .on_thread_start(move || {
            s.fetch_add(1, SeqCst);
        })
        .on_thread_stop(move || {
            t.fetch_add(1, SeqCst);
        })
        .build()
        .unwrap();
    rt.block_on(async {
        let jobs: Vec<_> = (0..8)
            .map(|_| task::spawn_blocking(|| std::thread::sleep(Duration::from_millis(2))))
            .collect();
        for j in jobs {
            j.await.unwrap();
        }
    });
    drop(rt);
    let (started, stopped) = (started.load(SeqCst), stopped.load(SeqCst));
    assert!(started >= 1, "at least one blocking thread started");
    if flavor == Flavor::MultiThread {
        assert!(started >= 3, "two workers and a blocking thread: {started}");
    }
    assert_eq!(
        started, stopped,
        "every started thread stopped by the time drop returned"
    );
}

/// `max_blocking_threads(2)`: at most two blocking jobs run at once, and all
/// of them complete.
fn max_blocking_threads(flavor: Flavor) {
    let rt = flavor.builder().max_blocking_threads(2).build().unwrap();
    let running = Arc::new(AtomicUsize::new(0));
    let max_seen = Arc::new(AtomicUsize::new(0));
    let done = rt.block_on(async {
        let jobs: Vec<_> = (0..10)
            .map(|i| {
                let (running, max_seen) = (running.clone(), max_seen.clone());
                task::spawn_blocking(move || {
                    let now = running.fetch_add(1, SeqCst) + 1;
                    max_seen.fetch_max(now, SeqCst);
                    // Overlap is likely, not required.
                    std::thread::sleep(Duration::from_millis(5));
                    running.fetch_sub(1, SeqCst);
                    i
                })
            })
            .collect();
        let mut done = Vec::new();
        for j in jobs {
            done.push(j.await.unwrap());
        }
        done
    });
    assert_eq!(done, (0..10).collect::<Vec<_>>());
    let max = max_seen.load(SeqCst);
    assert!(
        (1..=2).contains(&max),
        "max concurrent blocking jobs: {max}"
    );
    // The workers (multi-thread) do not count against the cap: tasks still
    // run while both blocking threads are busy.
    rt.block_on(async {
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let release_rx = Arc::new(Mutex::new(release_rx));
        let blockers: Vec<_> = (0..2)
            .map(|_| {
                let rx = release_rx.clone();
                task::spawn_blocking(move || rx.lock().unwrap().recv().unwrap())
            })
            .collect();
        assert_eq!(weave::spawn(async { 5 }).await.unwrap(), 5);
        release_tx.send(()).unwrap();
        release_tx.send(()).unwrap();
        for b in blockers {
            b.await.unwrap();
        }
    });
}

both_flavors!(thread_start_stop_hooks, max_blocking_threads);

/// Idle blocking threads retire after the keep-alive.
#[test]
fn thread_keep_alive_retires_idle_threads() {
    let started = Arc::new(AtomicUsize::new(0));
    let stopped = Arc::new(AtomicUsize::new(0));
    let (s, t) = (started.clone(), stopped.clone());
    let rt = Builder::new_current_thread()
        .thread_keep_alive(Duration::from_millis(20))
        .on_thread_start(move || {
            s.fetch_add(1, SeqCst);
        })
        .on_thread_stop(move || {
            t.fetch_add(1, SeqCst);
        })
        .build()
        .unwrap();
    rt.block_on(rt.spawn_blocking(|| ())).unwrap();
    assert_eq!(started.load(SeqCst), 1);
    assert!(
        wait_for(Duration::from_secs(10), || stopped.load(SeqCst) == 1),
        "the idle blocking thread did not retire"
    );
    // A new job starts a new thread.
    assert_eq!(rt.block_on(rt.spawn_blocking(|| 3)).unwrap(), 3);
    assert_eq!(started.load(SeqCst), 2);
    drop(rt);
    assert_eq!(stopped.load(SeqCst), 2);
}

fn queue_and_event_intervals(flavor: Flavor) {
    for (global, event) in [(1, 1), (2, 3), (7, 1), (1000, 1000)] {
        let rt = flavor
            .builder()
            .global_queue_interval(global)
            .event_interval(event)
            .build()
            .unwrap();
        let count = Arc::new(AtomicUsize::new(0));
        rt.block_on(async {
            let handles: Vec<_> = (0..200)
                .map(|_| {
                    let c = count.clone();
                    weave::spawn(async move {
                        for _ in 0..5 {
                            task::yield_now().await;
                        }
                        c.fetch_add(1, SeqCst);
                    })
                })
                .collect();
            // Remote spawns too.
            let h = Handle::current();
            let remote = std::thread::spawn(move || h.spawn(async { 1 }))
                .join()
                .unwrap();
            assert_eq!(remote.await.unwrap(), 1);
            for h in handles {
                h.await.unwrap();
            }
        });
        assert_eq!(count.load(SeqCst), 200);
    }
}

fn enable_drivers(flavor: Flavor) {
    for which in 0..4 {
        let mut b = flavor.builder();
        match which {
            0 => b.enable_all(),
            1 => b.enable_io(),
            2 => b.enable_time(),
            _ => b.enable_io().enable_time(),
        };
        let rt = b.build().unwrap();
        assert_eq!(
            rt.block_on(async { weave::spawn(async move { which }).await.unwrap() }),
            which
        );
    }
}

both_flavors!(queue_and_event_intervals, enable_drivers);

#[test]
fn worker_threads_env_var() {
    run_child(
        "child_worker_threads_env_zero",
        &[("WEAVE_WORKER_THREADS", "0")],
    );
    run_child(
        "child_worker_threads_env_garbage",
        &[("WEAVE_WORKER_THREADS", "two")],
    );
    run_child(
        "child_worker_threads_env_three",
        &[("WEAVE_WORKER_THREADS", "3")],
    );
}

#[test]
fn child_worker_threads_env_zero() {
    if !is_child() {
        return;
    }
    let err = Builder::new_multi_thread().build().unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("WEAVE_WORKER_THREADS"), "{err}");
    let err = Runtime::new().unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    // An explicit setting wins over the environment.
    let rt = Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .unwrap();
    assert_eq!(rt.block_on(async { 1 }), 1);
    // The current-thread runtime ignores it.
    Builder::new_current_thread().build().unwrap();
}

#[test]
fn child_worker_threads_env_garbage() {
    if !is_child() {
        return;
    }
    let err = Builder::new_multi_thread().build().unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("WEAVE_WORKER_THREADS"), "{err}");
    assert!(err.to_string().contains("two"), "{err}");
}

#[test]
fn child_worker_threads_env_three() {
    if !is_child() {
        return;
    }
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let rt = Builder::new_multi_thread()
        .thread_name_fn(move || {
            c.fetch_add(1, SeqCst);
            "env-worker".into()
        })
        .build()
        .unwrap();
    assert_eq!(calls.load(SeqCst), 3, "three worker threads");
    assert_eq!(
        rt.block_on(async { weave::spawn(async { 2 }).await.unwrap() }),
        2
    );
}

// ---------------------------------------------------------------------------
// Blocking pool
// ---------------------------------------------------------------------------

fn spawn_blocking_reuses_threads(flavor: Flavor) {
    let rt = new_rt(flavor);
    let ids = rt.block_on(async {
        let mut ids = Vec::new();
        for _ in 0..20 {
            ids.push(
                task::spawn_blocking(|| std::thread::current().id())
                    .await
                    .unwrap(),
            );
        }
        ids
    });
    let distinct: HashSet<_> = ids.iter().collect();
    assert!(
        distinct.len() < ids.len(),
        "20 sequential jobs never reused a thread: {} threads",
        distinct.len()
    );
}

fn spawn_blocking_panic_is_join_error(flavor: Flavor) {
    quiet_expected_panics();
    let rt = new_rt(flavor);
    rt.block_on(async {
        let h = task::spawn_blocking(|| -> u8 { panic!("{EXPECTED} blocking") });
        let id = h.id();
        let err = h.await.unwrap_err();
        assert!(err.is_panic());
        assert_eq!(err.id(), id);
        let payload = err.into_panic();
        assert!(panic_message(&*payload).unwrap().contains("blocking"));
        // The pool keeps working.
        assert_eq!(task::spawn_blocking(|| 1).await.unwrap(), 1);
    });
}

/// A queued blocking job (all threads busy) can be aborted before it
/// starts; a running one cannot be interrupted.
fn spawn_blocking_abort(flavor: Flavor) {
    let rt = flavor.builder().max_blocking_threads(1).build().unwrap();
    rt.block_on(async {
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let (started_tx, started_rx) = oneshot::channel::<()>();
        let running = task::spawn_blocking(move || {
            started_tx.send(()).unwrap();
            release_rx.recv().unwrap();
            "ran"
        });
        started_rx.await.unwrap();
        let ran = Arc::new(AtomicBool::new(false));
        let r = ran.clone();
        let queued = task::spawn_blocking(move || r.store(true, SeqCst));
        queued.abort();
        running.abort();
        release_tx.send(()).unwrap();
        assert!(queued.await.unwrap_err().is_cancelled());
        assert_eq!(running.await.unwrap(), "ran");
        assert!(!ran.load(SeqCst));
    });
}

fn spawn_blocking_many(flavor: Flavor) {
    let rt = new_rt(flavor);
    let sum = rt.block_on(async {
        let handles: Vec<_> = (0..500u64)
            .map(|i| task::spawn_blocking(move || i))
            .collect();
        let mut sum = 0;
        for h in handles {
            sum += h.await.unwrap();
        }
        sum
    });
    assert_eq!(sum, (0..500).sum::<u64>());
}

both_flavors!(
    spawn_blocking_reuses_threads,
    spawn_blocking_panic_is_join_error,
    spawn_blocking_abort,
    spawn_blocking_many,
);

// ---------------------------------------------------------------------------
// Idle CPU
// ---------------------------------------------------------------------------

/// CPU time (user + system, in clock ticks) of this process's threads whose
/// name is `name`.
fn cpu_ticks_of_threads(name: &str) -> (u64, usize) {
    let mut ticks = 0;
    let mut threads = 0;
    for entry in std::fs::read_dir("/proc/self/task").expect("/proc/self/task") {
        let path = entry.unwrap().path();
        let Ok(comm) = std::fs::read_to_string(path.join("comm")) else {
            continue;
        };
        if comm.trim_end() != name {
            continue;
        }
        let Ok(stat) = std::fs::read_to_string(path.join("stat")) else {
            continue;
        };
        // Fields after the parenthesised name: state is field 3, utime 14,
        // stime 15.
        let rest = &stat[stat.rfind(')').unwrap() + 2..];
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let utime: u64 = fields[11].parse().unwrap();
        let stime: u64 = fields[12].parse().unwrap();
        ticks += utime + stime;
        threads += 1;
    }
    (ticks, threads)
}

/// An idle two-worker runtime does not busy-wait. Measured per thread (the
/// runtime's threads have their own name), so other tests running in
/// parallel do not disturb it.
#[test]
fn idle_multi_thread_runtime_uses_no_cpu() {
    const NAME: &str = "idle-cpu-check";
    let rt = Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(NAME)
        .build()
        .unwrap();
    // Some work first, so the workers have been through a park cycle.
    rt.block_on(async {
        for _ in 0..100 {
            weave::spawn(async { task::yield_now().await })
                .await
                .unwrap();
        }
    });
    assert!(
        wait_for(Duration::from_secs(10), || cpu_ticks_of_threads(NAME).1
            == 2),
        "expected two worker threads named {NAME}"
    );
    std::thread::sleep(Duration::from_millis(50));
    let (before, _) = cpu_ticks_of_threads(NAME);
    std::thread::sleep(Duration::from_millis(300));
    let (after, threads) = cpu_ticks_of_threads(NAME);
    assert_eq!(threads, 2);
    // Clock ticks are 10 ms on Linux (USER_HZ = 100): 5 ticks = 50 ms.
    let used = after - before;
    assert!(
        used <= 5,
        "idle workers used {used} ticks (~{} ms) of CPU in 300 ms",
        used * 10
    );
    // Still responsive after idling.
    assert_eq!(rt.block_on(rt.spawn(async { 1 })).unwrap(), 1);
}

/// A runtime whose only work is a pending 10 s timer sleeps in the driver
/// until the deadline: no polling loop, no CPU.
#[test]
fn idle_runtime_with_pending_timer_uses_no_cpu() {
    const NAME: &str = "idle-timer"; // (Linux keeps 15 bytes of a thread name)
    let rt = Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(NAME)
        .enable_all()
        .build()
        .unwrap();
    let (started_tx, started_rx) = oneshot::channel();
    let sleeper = rt.spawn(async move {
        started_tx.send(()).unwrap();
        weave::time::sleep(Duration::from_secs(10)).await;
    });
    rt.block_on(started_rx).unwrap();
    assert!(
        wait_for(Duration::from_secs(10), || cpu_ticks_of_threads(NAME).1
            == 2),
        "expected two worker threads named {NAME}"
    );
    std::thread::sleep(Duration::from_millis(50));
    let (before, _) = cpu_ticks_of_threads(NAME);
    std::thread::sleep(Duration::from_millis(300));
    let (after, _) = cpu_ticks_of_threads(NAME);
    let used = after - before;
    assert!(
        used <= 5,
        "workers waiting on a timer used {used} ticks (~{} ms) of CPU in 300 ms",
        used * 10
    );
    assert!(!sleeper.is_finished());
    sleeper.abort();
}

/// A `block_in_place` hand-off starts a thread for the worker; that thread
/// must run the worker, not a queued `spawn_blocking` job beyond the
/// `max_blocking_threads` cap.
#[test]
fn block_in_place_handoff_respects_max_blocking_threads() {
    let rt = Builder::new_multi_thread()
        .worker_threads(1)
        .max_blocking_threads(1)
        .build()
        .unwrap();
    let first_running = Arc::new(AtomicBool::new(false));
    let overlap = Arc::new(AtomicBool::new(false));
    rt.block_on(async {
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let (started_tx, started_rx) = oneshot::channel::<()>();
        let f = first_running.clone();
        let first = task::spawn_blocking(move || {
            f.store(true, SeqCst);
            started_tx.send(()).unwrap();
            release_rx.recv().unwrap();
            f.store(false, SeqCst);
        });
        started_rx.await.unwrap();
        // Queued: the only blocking thread is busy.
        let (f, o) = (first_running.clone(), overlap.clone());
        let second = task::spawn_blocking(move || {
            if f.load(SeqCst) {
                o.store(true, SeqCst);
            }
        });
        // Hand the worker off.
        weave::spawn(async { task::block_in_place(|| ()) })
            .await
            .unwrap();
        // Give a wrongly started second job time to show up.
        std::thread::sleep(Duration::from_millis(50));
        release_tx.send(()).unwrap();
        first.await.unwrap();
        second.await.unwrap();
    });
    assert!(
        !overlap.load(SeqCst),
        "a queued spawn_blocking job ran while the only allowed blocking thread was busy"
    );
}

/// The deadlock the hand-off above can cause: the thread started for the
/// worker takes a queued blocking job that waits for a task only the
/// worker can run.
#[test]

fn block_in_place_with_queued_blocking_jobs_does_not_deadlock() {
    let rt = Builder::new_multi_thread()
        .worker_threads(1)
        .max_blocking_threads(1)
        .build()
        .unwrap();
    rt.block_on(async {
        let (a_tx, a_rx) = mpsc::channel::<()>();
        let (b_tx, b_rx) = mpsc::channel::<()>();
        let (c_tx, c_rx) = mpsc::channel::<()>();
        let (started_tx, started_rx) = oneshot::channel();
        let j1 = task::spawn_blocking(move || {
            started_tx.send(()).unwrap();
            a_rx.recv().unwrap()
        });
        started_rx.await.unwrap();
        // Queued: the cap is reached.
        let j2 = task::spawn_blocking(move || b_rx.recv().unwrap());
        let t = weave::spawn(async move {
            // Lands in this worker's LIFO slot; block_in_place hands it off
            // with the rest of the worker's queue.
            weave::spawn(async move {
                a_tx.send(()).unwrap();
                b_tx.send(()).unwrap();
                c_tx.send(()).unwrap();
            });
            task::block_in_place(move || c_rx.recv().unwrap());
        });
        t.await.unwrap();
        j1.await.unwrap();
        j2.await.unwrap();
    });
}

/// With room for one I/O event per driver poll, the rest wait for later
/// polls: 20 connections still all get their answers.
#[test]
fn one_io_event_per_tick_still_serves_every_connection() {
    use weave::io::{AsyncReadExt, AsyncWriteExt};
    for multi in [false, true] {
        let mut builder = if multi {
            Builder::new_multi_thread()
        } else {
            Builder::new_current_thread()
        };
        let rt = builder
            .enable_all()
            .max_io_events_per_tick(1)
            .build()
            .unwrap();
        rt.block_on(async {
            let listener = weave::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            weave::spawn(async move {
                loop {
                    let (mut s, _) = listener.accept().await.unwrap();
                    weave::spawn(async move {
                        let mut buf = [0u8; 4];
                        s.read_exact(&mut buf).await.unwrap();
                        s.write_all(&buf).await.unwrap();
                    });
                }
            });
            let clients: Vec<_> = (0..20u32)
                .map(|i| {
                    weave::spawn(async move {
                        let mut s = weave::net::TcpStream::connect(addr).await.unwrap();
                        s.write_all(&i.to_le_bytes()).await.unwrap();
                        let mut back = [0u8; 4];
                        s.read_exact(&mut back).await.unwrap();
                        assert_eq!(u32::from_le_bytes(back), i);
                    })
                })
                .collect();
            for c in clients {
                c.await.unwrap();
            }
        });
    }
}

#[test]
#[should_panic(expected = "max_io_events_per_tick must be at least 1 (got 0)")]
fn zero_io_events_per_tick_is_refused() {
    Builder::new_current_thread().max_io_events_per_tick(0);
}

#[test]
fn build_local_makes_a_local_runtime_and_refuses_multi_thread() {
    use weave::runtime::LocalOptions;
    let rt = Builder::new_current_thread()
        .enable_all()
        .build_local(LocalOptions::default())
        .unwrap();
    let shared = std::rc::Rc::new(4);
    let out = rt.block_on(async move {
        let s = shared.clone();
        task::spawn_local(async move { *s * 2 }).await.unwrap()
    });
    assert_eq!(out, 8);
    let err = Builder::new_multi_thread()
        .build_local(LocalOptions::default())
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("new_current_thread"), "{err}");
}
