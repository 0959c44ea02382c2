//! Integration tests for tasks: `spawn`, `JoinHandle`, `JoinError`, abort,
//! names, ids, `yield_now`, the cooperative budget, `block_in_place`, and a
//! few stress runs.
//!
//! Tests that apply to both schedulers are written once as
//! `fn name(flavor: Flavor)` and instantiated by `both_flavors!` as
//! `name::current_thread` and `name::multi_thread` (two workers).
//!
//! Nothing here depends on wall-clock speed: ordering is established with
//! channels and atomics; the few short sleeps only make a race likely.

use std::future::Future;

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use weave::runtime::{Builder, Handle, Runtime};
use weave::sync::oneshot;
use weave::task::{self, JoinError, JoinHandle};

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Flavor {
    CurrentThread,
    MultiThread,
}

fn new_rt(flavor: Flavor) -> Runtime {
    match flavor {
        Flavor::CurrentThread => Builder::new_current_thread().enable_all().build(),
        Flavor::MultiThread => Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build(),
    }
    .expect("runtime builds")
}

fn multi(workers: usize) -> Runtime {
    Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .expect("runtime builds")
}

#[macro_use]
mod common;
use common::*;

/// The message of a `JoinError` that must be a panic.
fn join_panic_message(err: JoinError) -> String {
    assert!(err.is_panic(), "expected a panic, got {err:?}");
    let payload = err.into_panic();
    panic_message(&*payload)
        .unwrap_or("<non-string panic payload>")
        .to_string()
}

/// Counts its own drop.
struct DropCounter(Arc<AtomicUsize>);

impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// Yields until `cond` holds. Every test that uses it has a guarantee that
/// `cond` eventually holds; the yield lets the task that makes it true run.
async fn yield_until(mut cond: impl FnMut() -> bool) {
    while !cond() {
        task::yield_now().await;
    }
}

// ---------------------------------------------------------------------------
// spawn
// ---------------------------------------------------------------------------

fn spawn_returns_join_handle(flavor: Flavor) {
    let rt = new_rt(flavor);
    let out = rt.block_on(async {
        let a: JoinHandle<u32> = weave::spawn(async { 1 });
        let b: JoinHandle<&'static str> = task::spawn(async { "two" });
        let c: JoinHandle<Vec<u8>> = weave::task::spawn(async { vec![3] });
        (a.await.unwrap(), b.await.unwrap(), c.await.unwrap())
    });
    assert_eq!(out, (1, "two", vec![3]));
}

fn spawn_from_inside_tasks(flavor: Flavor) {
    let rt = new_rt(flavor);
    let out = rt.block_on(async {
        weave::spawn(async {
            let inner = weave::spawn(async { weave::spawn(async { 40 }).await.unwrap() + 1 });
            inner.await.unwrap() + 1
        })
        .await
        .unwrap()
    });
    assert_eq!(out, 42);
}

both_flavors!(spawn_returns_join_handle, spawn_from_inside_tasks);

/// What to call, and a call that must panic.
type Check = (&'static str, Box<dyn FnOnce()>);

#[test]
fn spawn_outside_runtime_panics_with_help() {
    let checks: [Check; 5] = [
        ("weave::spawn", Box::new(|| drop(weave::spawn(async {})))),
        ("task::spawn", Box::new(|| drop(task::spawn(async {})))),
        (
            "task::spawn_blocking",
            Box::new(|| drop(task::spawn_blocking(|| ()))),
        ),
        (
            "task::Builder::spawn",
            Box::new(|| drop(task::Builder::new().name("x").spawn(async {}))),
        ),
        (
            "task::Builder::spawn_blocking",
            Box::new(|| drop(task::Builder::new().spawn_blocking(|| ()))),
        ),
    ];
    for (what, f) in checks {
        let msg = catch_panic(f);
        assert!(
            msg.contains("Runtime::new") && msg.contains("#[weave::main]"),
            "{what}: panic message should say how to create a runtime, got: {msg}"
        );
    }
}

#[test]
fn spawned_future_is_dropped_when_spawn_panics_outside_runtime() {
    // The future handed to a failing spawn must not leak or be polled.
    let drops = Arc::new(AtomicUsize::new(0));
    let guard = DropCounter(drops.clone());
    let _ = catch_panic(move || {
        weave::spawn(async move {
            let _g = guard;
            panic!("{EXPECTED} must never be polled");
        })
    });
    assert_eq!(drops.load(SeqCst), 1);
}

// ---------------------------------------------------------------------------
// JoinHandle: abort, is_finished, abort_handle, id, detach
// ---------------------------------------------------------------------------

/// Abort a task that was never polled.
fn abort_before_first_poll(flavor: Flavor) {
    let rt = new_rt(flavor);
    let drops = Arc::new(AtomicUsize::new(0));
    let polled = Arc::new(AtomicBool::new(false));
    let (g, p) = (DropCounter(drops.clone()), polled.clone());
    // Spawned outside block_on: on the current-thread runtime it cannot run
    // before block_on; on the multi-thread one it may, so only check polling
    // on the current-thread runtime.
    let handle = rt.spawn(async move {
        let _g = g;
        p.store(true, SeqCst);
        std::future::pending::<()>().await;
    });
    handle.abort();
    let err = rt.block_on(handle).unwrap_err();
    assert!(err.is_cancelled(), "{err:?}");
    assert!(!err.is_panic());
    assert_eq!(drops.load(SeqCst), 1, "the future must be dropped");
    if flavor == Flavor::CurrentThread {
        assert!(
            !polled.load(SeqCst),
            "an aborted, never-run task must not be polled"
        );
    }
}

/// Abort a task that is idle, waiting on something that never happens.
fn abort_idle_task(flavor: Flavor) {
    let rt = new_rt(flavor);
    let drops = Arc::new(AtomicUsize::new(0));
    let started = Arc::new(AtomicBool::new(false));
    rt.block_on(async {
        let (g, s) = (DropCounter(drops.clone()), started.clone());
        let (_keep_tx, rx) = oneshot::channel::<()>();
        let handle = weave::spawn(async move {
            let _g = g;
            s.store(true, SeqCst);
            let _ = rx.await;
            unreachable!("the sender is never used");
        });
        yield_until(|| started.load(SeqCst)).await;
        assert!(!handle.is_finished());
        let id = handle.id();
        handle.abort();
        let err = handle.await.unwrap_err();
        assert!(err.is_cancelled(), "{err:?}");
        assert_eq!(err.id(), id);
        assert_eq!(drops.load(SeqCst), 1);
    });
}

/// Abort a task while it keeps running (it loops on `yield_now`), from a
/// plain thread.
fn abort_running_task_from_thread(flavor: Flavor) {
    let rt = new_rt(flavor);
    let drops = Arc::new(AtomicUsize::new(0));
    let (running_tx, running_rx) = mpsc::channel();
    let g = DropCounter(drops.clone());
    let handle = rt.spawn(async move {
        let _g = g;
        running_tx.send(()).unwrap();
        loop {
            // Spend a little time inside the poll so that the abort likely
            // lands while the task is RUNNING.
            std::thread::sleep(Duration::from_micros(50));
            task::yield_now().await;
        }
    });
    let abort = handle.abort_handle();
    let aborter = std::thread::spawn(move || {
        running_rx.recv().unwrap();
        abort.abort();
    });
    let err = rt.block_on(handle).unwrap_err();
    assert!(err.is_cancelled(), "{err:?}");
    assert_eq!(drops.load(SeqCst), 1);
    aborter.join().unwrap();
}

/// Abort a running task from another task.
fn abort_running_task_from_task(flavor: Flavor) {
    let rt = new_rt(flavor);
    let drops = Arc::new(AtomicUsize::new(0));
    rt.block_on(async {
        let (running_tx, running_rx) = mpsc::channel();
        let g = DropCounter(drops.clone());
        let looping = weave::spawn(async move {
            let _g = g;
            running_tx.send(()).unwrap();
            loop {
                task::yield_now().await;
            }
        });
        let abort = looping.abort_handle();
        let aborter = weave::spawn(async move {
            // A std channel polled without blocking: the looping task must
            // get to run between our yields.
            while running_rx.try_recv().is_err() {
                task::yield_now().await;
            }
            abort.abort();
        });
        aborter.await.unwrap();
        let err = looping.await.unwrap_err();
        assert!(err.is_cancelled(), "{err:?}");
    });
    assert_eq!(drops.load(SeqCst), 1);
}

/// A task can abort itself; the abort takes effect at its next yield.
fn abort_self(flavor: Flavor) {
    let rt = new_rt(flavor);
    let after_yield = Arc::new(AtomicBool::new(false));
    let flag = after_yield.clone();
    let err = rt.block_on(async move {
        let (tx, rx) = oneshot::channel();
        let handle = weave::spawn(async move {
            let me: task::AbortHandle = rx.await.unwrap();
            me.abort();
            task::yield_now().await;
            flag.store(true, SeqCst);
        });
        tx.send(handle.abort_handle()).unwrap();
        handle.await.unwrap_err()
    });
    assert!(err.is_cancelled());
    assert!(!after_yield.load(SeqCst), "the task ran past its own abort");
}

fn abort_finished_task_does_nothing(flavor: Flavor) {
    let rt = new_rt(flavor);
    rt.block_on(async {
        let handle = weave::spawn(async { 7 });
        let abort = handle.abort_handle();
        yield_until(|| handle.is_finished()).await;
        handle.abort();
        abort.abort();
        assert!(handle.is_finished());
        assert_eq!(handle.await.unwrap(), 7);
        // After the output was taken, aborting is still harmless.
        abort.abort();
        assert!(abort.is_finished());
    });
}

fn is_finished_tracks_completion(flavor: Flavor) {
    let rt = new_rt(flavor);
    rt.block_on(async {
        let (tx, rx) = oneshot::channel::<u8>();
        let handle = weave::spawn(async move { rx.await.unwrap() });
        assert!(!handle.is_finished());
        task::yield_now().await;
        assert!(!handle.is_finished(), "still waiting for the value");
        tx.send(9).unwrap();
        yield_until(|| handle.is_finished()).await;
        assert_eq!(handle.await.unwrap(), 9);

        // Finished by panic and by cancellation count as finished too.
        let panicked = weave::spawn(async { panic!("{EXPECTED}") });
        yield_until(|| panicked.is_finished()).await;
        assert!(panicked.await.unwrap_err().is_panic());
        let cancelled = weave::spawn(std::future::pending::<()>());
        cancelled.abort();
        yield_until(|| cancelled.is_finished()).await;
        assert!(cancelled.await.unwrap_err().is_cancelled());
    });
}

fn abort_handle_api(flavor: Flavor) {
    let rt = new_rt(flavor);
    rt.block_on(async {
        let handle = weave::spawn(std::future::pending::<()>());
        let abort = handle.abort_handle();
        let abort2 = abort.clone();
        assert_eq!(abort.id(), handle.id());
        assert_eq!(abort2.id(), handle.id());
        assert!(!abort.is_finished());
        // Dropping an AbortHandle does not cancel anything.
        drop(abort2);
        task::yield_now().await;
        assert!(!handle.is_finished());
        let dbg = format!("{abort:?}");
        assert!(dbg.contains("AbortHandle"), "{dbg}");
        abort.abort();
        let id = handle.id();
        let err = handle.await.unwrap_err();
        assert!(err.is_cancelled());
        assert_eq!(err.id(), id);
        assert!(abort.is_finished());
        // The AbortHandle outlives the JoinHandle and the task.
        abort.abort();
        assert_eq!(abort.id(), id);
    });
}

/// An AbortHandle may cancel a task from a thread that is not in the
/// runtime at all, and it keeps working after the JoinHandle was dropped.
fn abort_handle_after_detach(flavor: Flavor) {
    let rt = new_rt(flavor);
    let drops = Arc::new(AtomicUsize::new(0));
    let g = DropCounter(drops.clone());
    let (started_tx, started_rx) = oneshot::channel();
    let handle = rt.spawn(async move {
        let _g = g;
        started_tx.send(()).unwrap();
        std::future::pending::<()>().await;
    });
    let abort = handle.abort_handle();
    drop(handle);
    rt.block_on(async move {
        started_rx.await.unwrap();
        std::thread::spawn(move || abort.abort()).join().unwrap();
        // Nothing to await: wait for the drop.
        yield_until(|| drops.load(SeqCst) == 1).await;
    });
}

fn join_handle_id_matches_task_id(flavor: Flavor) {
    let rt = new_rt(flavor);
    rt.block_on(async {
        assert_eq!(task::try_id(), None, "block_on's future is not a task");
        let mut ids = std::collections::HashSet::new();
        for _ in 0..100 {
            let handle = weave::spawn(async {
                let id = task::id();
                assert_eq!(task::try_id(), Some(id));
                task::yield_now().await;
                assert_eq!(task::id(), id, "the id is stable across polls");
                id
            });
            let id = handle.id();
            assert_eq!(handle.await.unwrap(), id);
            assert!(ids.insert(id), "task ids must be unique");
        }
        // The id shows in the handle's Debug output.
        let handle = weave::spawn(async {});
        let dbg = format!("{handle:?}");
        assert!(dbg.contains(&format!("{:?}", handle.id())), "{dbg}");
        handle.await.unwrap();
    });
}

fn drop_join_handle_detaches(flavor: Flavor) {
    let rt = new_rt(flavor);
    let finished = Arc::new(AtomicBool::new(false));
    let flag = finished.clone();
    rt.block_on(async move {
        let (go_tx, go_rx) = oneshot::channel::<()>();
        let (done_tx, done_rx) = oneshot::channel::<u32>();
        drop(weave::spawn(async move {
            go_rx.await.unwrap();
            task::yield_now().await;
            flag.store(true, SeqCst);
            done_tx.send(42).unwrap();
        }));
        // The handle is gone before the task even started its work.
        go_tx.send(()).unwrap();
        assert_eq!(done_rx.await.unwrap(), 42);
    });
    assert!(finished.load(SeqCst));

    // Detached tasks that panic or whose output needs dropping are fine.
    let drops = Arc::new(AtomicUsize::new(0));
    let d = drops.clone();
    rt.block_on(async move {
        drop(weave::spawn(async { panic!("{EXPECTED} detached") }));
        let (tx, rx) = oneshot::channel();
        drop(weave::spawn(async move {
            let out = DropCounter(d);
            tx.send(()).unwrap();
            out
        }));
        rx.await.unwrap();
        yield_until(|| drops.load(SeqCst) == 1).await;
    });
}

/// A JoinHandle can be awaited from another runtime or any executor.
fn join_handle_awaited_elsewhere(flavor: Flavor) {
    let rt = new_rt(flavor);
    let other = new_rt(Flavor::MultiThread);
    let (tx, rx) = oneshot::channel::<u32>();
    let handle = rt.spawn(async move { rx.await.unwrap() * 2 });
    let joiner = other.spawn(async move { handle.await.unwrap() + 1 });
    // Nobody drives `rt` yet on the current-thread flavor: do it now.
    tx.send(20).unwrap();
    let h = rt.spawn(async { 1 });
    assert_eq!(rt.block_on(h).unwrap(), 1);
    assert_eq!(other.block_on(joiner).unwrap(), 41);

    // From a plain thread with another executor.
    let h = rt.spawn(async { 5 });
    let finished = h.abort_handle();
    let t = std::thread::spawn(move || futures::executor::block_on(h));
    // The current-thread runtime runs its tasks only inside block_on.
    rt.block_on(yield_until(|| finished.is_finished()));
    assert_eq!(t.join().unwrap().unwrap(), 5);
}

/// Polling a JoinHandle with one waker and then another: completion wakes
/// the latest one.
fn join_handle_waker_is_replaced(flavor: Flavor) {
    use std::task::{Context, Poll, Wake, Waker};
    struct Flag(mpsc::Sender<&'static str>, &'static str);
    impl Wake for Flag {
        fn wake(self: Arc<Self>) {
            let _ = self.0.send(self.1);
        }
    }
    let rt = new_rt(flavor);
    let (go_tx, go_rx) = oneshot::channel::<()>();
    let mut handle = rt.spawn(async move {
        go_rx.await.unwrap();
        3
    });
    let (woken_tx, woken_rx) = mpsc::channel();
    let w1 = Waker::from(Arc::new(Flag(woken_tx.clone(), "first")));
    let w2 = Waker::from(Arc::new(Flag(woken_tx, "second")));
    assert!(Pin::new(&mut handle)
        .poll(&mut Context::from_waker(&w1))
        .is_pending());
    assert!(Pin::new(&mut handle)
        .poll(&mut Context::from_waker(&w2))
        .is_pending());
    assert!(Pin::new(&mut handle)
        .poll(&mut Context::from_waker(&w2))
        .is_pending());
    go_tx.send(()).unwrap();
    // Drive the runtime (needed for the current-thread flavor) until the
    // second waker fires.
    let woke = rt.block_on(async {
        loop {
            if let Ok(w) = woken_rx.try_recv() {
                if w == "second" {
                    return w;
                }
            }
            task::yield_now().await;
        }
    });
    assert_eq!(woke, "second");
    match Pin::new(&mut handle).poll(&mut Context::from_waker(&w2)) {
        Poll::Ready(out) => assert_eq!(out.unwrap(), 3),
        Poll::Pending => panic!("the task completed and woke us, yet the handle is pending"),
    }
}

/// `task::id()` works in blocking tasks and in a future's destructor when
/// the task is cancelled (abort, and spawn onto a closed runtime).
fn task_id_in_blocking_and_in_drop(flavor: Flavor) {
    struct RecordId(Arc<Mutex<Option<task::Id>>>);
    impl Drop for RecordId {
        fn drop(&mut self) {
            *self.0.lock().unwrap() = task::try_id();
        }
    }
    let rt = new_rt(flavor);
    let seen = Arc::new(Mutex::new(None));
    let r = RecordId(seen.clone());
    let (id, blocking_id) = rt.block_on(async move {
        let h = task::spawn_blocking(task::try_id);
        let blocking_id = (h.id(), h.await.unwrap());
        let (tx, rx) = oneshot::channel();
        let h = weave::spawn(async move {
            let _r = r;
            tx.send(()).unwrap();
            std::future::pending::<()>().await
        });
        rx.await.unwrap();
        h.abort();
        let id = h.id();
        assert!(h.await.unwrap_err().is_cancelled());
        (id, blocking_id)
    });
    assert_eq!(Some(blocking_id.0), blocking_id.1);
    assert_eq!(
        *seen.lock().unwrap(),
        Some(id),
        "task::try_id() in the destructor"
    );
    // Task dropped by shutdown.
    let seen = Arc::new(Mutex::new(None));
    let r = RecordId(seen.clone());
    let h = rt.spawn(async move {
        let _r = r;
        std::future::pending::<()>().await
    });
    let id = h.id();
    rt.block_on(task::yield_now());
    drop(rt);
    assert_eq!(
        *seen.lock().unwrap(),
        Some(id),
        "task::try_id() in a destructor run by shutdown"
    );
    assert_eq!(task::try_id(), None, "the id does not leak out");
}

/// An output whose destructor panics is contained wherever it is dropped.
fn output_with_panicking_drop(flavor: Flavor) {
    quiet_expected_panics();
    struct PanicOnDrop;
    impl Drop for PanicOnDrop {
        fn drop(&mut self) {
            panic!("{EXPECTED} output drop");
        }
    }
    let rt = new_rt(flavor);
    rt.block_on(async {
        // Dropped with the JoinHandle, after completion.
        let h = weave::spawn(async { PanicOnDrop });
        yield_until(|| h.is_finished()).await;
        drop(h);
        // Dropped by the task (the handle was dropped before completion).
        let (tx, rx) = oneshot::channel::<()>();
        let (done_tx, done_rx) = oneshot::channel::<()>();
        drop(weave::spawn(async move {
            rx.await.unwrap();
            let _ = done_tx.send(());
            PanicOnDrop
        }));
        tx.send(()).unwrap();
        done_rx.await.unwrap();
        // Still alive.
        assert_eq!(weave::spawn(async { 1 }).await.unwrap(), 1);
    });
    assert_eq!(rt.block_on(rt.spawn(async { 2 })).unwrap(), 2);
}

/// Wakers that outlive their task (or the whole runtime) are harmless.
fn wakers_outlive_tasks_and_runtime(flavor: Flavor) {
    use std::task::{Poll, Waker};
    let rt = new_rt(flavor);
    let stash: Arc<Mutex<Vec<Waker>>> = Arc::new(Mutex::new(Vec::new()));
    let s = stash.clone();
    rt.block_on(async move {
        // A finished task's waker.
        let s2 = s.clone();
        weave::spawn(std::future::poll_fn(move |cx| {
            s2.lock().unwrap().push(cx.waker().clone());
            Poll::Ready(())
        }))
        .await
        .unwrap();
        // A pending task's waker.
        let s3 = s.clone();
        let (tx, rx) = oneshot::channel();
        weave::spawn(async move {
            std::future::poll_fn(|cx| {
                s3.lock().unwrap().push(cx.waker().clone());
                Poll::Ready(())
            })
            .await;
            tx.send(()).unwrap();
            std::future::pending::<()>().await
        });
        rx.await.unwrap();
    });
    // Wake the finished one now, the other after the runtime is gone.
    let wakers = std::mem::take(&mut *stash.lock().unwrap());
    assert_eq!(wakers.len(), 2);
    wakers[0].wake_by_ref();
    drop(rt);
    for w in &wakers {
        w.wake_by_ref();
        let owned = w.clone();
        owned.wake();
    }
    drop(wakers);
}

both_flavors!(
    join_handle_awaited_elsewhere,
    join_handle_waker_is_replaced,
    task_id_in_blocking_and_in_drop,
    output_with_panicking_drop,
    wakers_outlive_tasks_and_runtime,
);

both_flavors!(
    abort_before_first_poll,
    abort_idle_task,
    abort_running_task_from_thread,
    abort_running_task_from_task,
    abort_self,
    abort_finished_task_does_nothing,
    is_finished_tracks_completion,
    abort_handle_api,
    abort_handle_after_detach,
    join_handle_id_matches_task_id,
    drop_join_handle_detaches,
);

#[test]
fn task_id_outside_task() {
    assert_eq!(task::try_id(), None);
    let msg = catch_panic(task::id);
    assert!(msg.contains("outside a task"), "{msg}");
    assert!(msg.contains("try_id"), "{msg}");
    assert_eq!(task::name(), None);
}

// ---------------------------------------------------------------------------
// JoinError
// ---------------------------------------------------------------------------

fn join_error_panic(flavor: Flavor) {
    let rt = new_rt(flavor);
    rt.block_on(async {
        // &'static str payload.
        let handle = weave::spawn(async { panic!("{}", "boom") });
        let id = handle.id();
        let err = handle.await.unwrap_err();
        assert!(err.is_panic());
        assert!(!err.is_cancelled());
        assert_eq!(err.id(), id);
        let display = err.to_string();
        let debug = format!("{err:?}");
        assert!(
            display.contains(&id.to_string()),
            "Display lacks the id: {display}"
        );
        assert!(display.contains("boom"), "{display}");
        assert!(
            debug.contains(&id.to_string()),
            "Debug lacks the id: {debug}"
        );
        assert!(debug.contains("Panic"), "{debug}");
        let payload = err.into_panic();
        assert_eq!(
            payload.downcast_ref::<String>().map(String::as_str),
            Some("boom")
        );

        // A literal panic message is a &'static str payload.
        let quiet = || -> u8 {
            std::panic::panic_any(concat!("[expected panic]", " literal"));
        };
        let err = weave::spawn(async move { quiet() }).await.unwrap_err();
        let payload = err.try_into_panic().expect("a panic");
        assert_eq!(
            payload.downcast_ref::<&str>().copied(),
            Some("[expected panic] literal")
        );

        // A non-string payload survives too.
        let err = weave::spawn(async { std::panic::panic_any(17u64) })
            .await
            .unwrap_err();
        assert!(err.to_string().contains("panicked"), "{err}");
        assert_eq!(err.into_panic().downcast_ref::<u64>(), Some(&17));
    });
}

fn join_error_cancelled(flavor: Flavor) {
    let rt = new_rt(flavor);
    rt.block_on(async {
        let handle = weave::spawn(std::future::pending::<()>());
        let id = handle.id();
        handle.abort();
        let err = handle.await.unwrap_err();
        assert!(err.is_cancelled());
        assert!(!err.is_panic());
        let display = err.to_string();
        let debug = format!("{err:?}");
        assert!(display.contains(&id.to_string()), "{display}");
        assert!(display.contains("cancel"), "{display}");
        assert!(debug.contains(&id.to_string()), "{debug}");
        assert!(debug.contains("Cancelled"), "{debug}");
        // try_into_panic gives the error back.
        let err = err.try_into_panic().unwrap_err();
        assert!(err.is_cancelled());
        assert_eq!(err.id(), id);
        // JoinError converts into io::Error with the same text.
        let io: std::io::Error = err.into();
        assert!(io.to_string().contains("cancel"));

        // into_panic on a cancellation panics with an explanation.
        let handle = weave::spawn(std::future::pending::<()>());
        handle.abort();
        let err = handle.await.unwrap_err();
        let msg = catch_panic(move || err.into_panic());
        assert!(msg.contains("cancelled"), "{msg}");
    });
}

/// A panic inside a task is caught; the worker keeps going.
fn panics_do_not_kill_workers(flavor: Flavor) {
    quiet_expected_panics();
    let rt = new_rt(flavor);
    rt.block_on(async {
        let panicking: Vec<_> = (0..100)
            .map(|i| {
                weave::spawn(async move {
                    if i % 2 == 0 {
                        task::yield_now().await;
                    }
                    panic!("{EXPECTED} task {i}");
                })
            })
            .collect();
        for h in panicking {
            assert!(h.await.unwrap_err().is_panic());
        }
        let normal: Vec<_> = (0..100u32)
            .map(|i| {
                weave::spawn(async move {
                    task::yield_now().await;
                    i
                })
            })
            .collect();
        let mut sum = 0;
        for h in normal {
            sum += h.await.unwrap();
        }
        assert_eq!(sum, (0..100).sum::<u32>());
    });
    // And the runtime still takes work from outside.
    let h = rt.spawn(async { 5 });
    assert_eq!(rt.block_on(h).unwrap(), 5);
}

/// A future whose destructor panics when cancelled gives a panic error, not
/// a crash.
fn panicking_drop_on_abort(flavor: Flavor) {
    quiet_expected_panics();
    struct PanicOnDrop;
    impl Drop for PanicOnDrop {
        fn drop(&mut self) {
            panic!("{EXPECTED} in drop");
        }
    }
    let rt = new_rt(flavor);
    rt.block_on(async {
        let (tx, rx) = oneshot::channel::<()>();
        let handle = weave::spawn(async move {
            let _p = PanicOnDrop;
            tx.send(()).unwrap();
            std::future::pending::<()>().await;
        });
        rx.await.unwrap();
        handle.abort();
        let err = handle.await.unwrap_err();
        assert!(err.is_panic(), "{err:?}");
        assert!(join_panic_message(err).contains("in drop"));
        assert_eq!(weave::spawn(async { 1 }).await.unwrap(), 1);
    });
}

both_flavors!(
    join_error_panic,
    join_error_cancelled,
    panics_do_not_kill_workers,
    panicking_drop_on_abort,
);

// ---------------------------------------------------------------------------
// Named tasks
// ---------------------------------------------------------------------------

fn named_tasks(flavor: Flavor) {
    let rt = new_rt(flavor);
    rt.block_on(async {
        let handle = task::Builder::new()
            .name("fetch-42")
            .spawn(async {
                task::yield_now().await;
                task::name()
            })
            .expect("spawn succeeds");
        assert_eq!(handle.name(), Some("fetch-42"));
        let dbg = format!("{handle:?}");
        assert!(dbg.contains("fetch-42"), "{dbg}");
        assert_eq!(handle.await.unwrap(), Some("fetch-42".to_string()));

        // Unnamed, both through the builder and through spawn.
        let handle = task::Builder::new().spawn(async { task::name() }).unwrap();
        assert_eq!(handle.name(), None);
        assert_eq!(handle.await.unwrap(), None);
        let handle = weave::spawn(async { task::name() });
        assert_eq!(handle.name(), None);
        assert_eq!(handle.await.unwrap(), None);

        // The name need not be 'static; the builder is reusable (Copy).
        let owned = format!("job-{}", 7);
        let builder = task::Builder::new().name(&owned);
        let a = builder.spawn(async { task::name() }).unwrap();
        let b = builder.spawn(async { task::name() }).unwrap();
        drop(owned);
        assert_eq!(a.await.unwrap().as_deref(), Some("job-7"));
        assert_eq!(b.await.unwrap().as_deref(), Some("job-7"));

        // Names of blocking tasks.
        let handle = task::Builder::new()
            .name("blocking-1")
            .spawn_blocking(task::name)
            .unwrap();
        assert_eq!(handle.name(), Some("blocking-1"));
        assert_eq!(handle.await.unwrap().as_deref(), Some("blocking-1"));

        // Outside a task there is no name.
        assert_eq!(task::name(), None);
    });
}

fn builder_spawn_on_from_plain_thread(flavor: Flavor) {
    let rt = new_rt(flavor);
    let handle = rt.handle().clone();
    let (a, b) = std::thread::spawn(move || {
        assert!(Handle::try_current().is_err());
        let a = task::Builder::new()
            .name("on-handle")
            .spawn_on(
                async { (task::name(), Handle::current().runtime_flavor()) },
                &handle,
            )
            .unwrap();
        assert_eq!(a.name(), Some("on-handle"));
        let b = task::Builder::new()
            .name("blocking-on-handle")
            .spawn_blocking_on(
                || {
                    (
                        task::name(),
                        std::thread::current().name().map(String::from),
                    )
                },
                &handle,
            )
            .unwrap();
        assert_eq!(b.name(), Some("blocking-on-handle"));
        (a, b)
    })
    .join()
    .unwrap();
    let (a, b) = rt.block_on(async { (a.await.unwrap(), b.await.unwrap()) });
    assert_eq!(a.0.as_deref(), Some("on-handle"));
    let expected_flavor = match flavor {
        Flavor::CurrentThread => weave::runtime::RuntimeFlavor::CurrentThread,
        Flavor::MultiThread => weave::runtime::RuntimeFlavor::MultiThread,
    };
    assert_eq!(a.1, expected_flavor);
    assert_eq!(b.0.as_deref(), Some("blocking-on-handle"));
    assert_eq!(b.1.as_deref(), Some("weave-runtime-worker"));
}

both_flavors!(named_tasks, builder_spawn_on_from_plain_thread);

// ---------------------------------------------------------------------------
// yield_now and the cooperative budget
// ---------------------------------------------------------------------------

#[test]
fn yield_now_interleaves_on_current_thread() {
    let rt = new_rt(Flavor::CurrentThread);
    let log = Arc::new(Mutex::new(Vec::new()));
    rt.block_on(async {
        let spawn_logger = |name: &'static str| {
            let log = log.clone();
            weave::spawn(async move {
                for i in 0..3 {
                    log.lock().unwrap().push(format!("{name}{i}"));
                    task::yield_now().await;
                }
            })
        };
        let a = spawn_logger("a");
        let b = spawn_logger("b");
        a.await.unwrap();
        b.await.unwrap();
    });
    assert_eq!(*log.lock().unwrap(), ["a0", "b0", "a1", "b1", "a2", "b2"]);
}

#[test]
fn yield_now_in_block_on_lets_tasks_run() {
    let rt = new_rt(Flavor::CurrentThread);
    rt.block_on(async {
        let ran = Arc::new(AtomicBool::new(false));
        let r = ran.clone();
        let _h = weave::spawn(async move { r.store(true, SeqCst) });
        task::yield_now().await;
        assert!(
            ran.load(SeqCst),
            "yield_now in block_on must let spawned tasks run"
        );
    });
}

fn yield_now_many_tasks(flavor: Flavor) {
    let rt = new_rt(flavor);
    let count = Arc::new(AtomicUsize::new(0));
    rt.block_on(async {
        let handles: Vec<_> = (0..200)
            .map(|_| {
                let count = count.clone();
                weave::spawn(async move {
                    for _ in 0..20 {
                        task::yield_now().await;
                        count.fetch_add(1, SeqCst);
                    }
                })
            })
            .collect();
        for h in handles {
            h.await.unwrap();
        }
    });
    assert_eq!(count.load(SeqCst), 200 * 20);
}

both_flavors!(yield_now_many_tasks);

/// A task that never awaits anything but `consume_budget` must not starve
/// the other tasks of its worker.
fn consume_budget_does_not_starve(rt: Runtime) {
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    let iterations = rt.block_on(async move {
        let busy = weave::spawn(async move {
            let mut n: u64 = 0;
            while !s.load(SeqCst) {
                task::consume_budget().await;
                n += 1;
            }
            n
        });
        let stopper = weave::spawn(async move { stop.store(true, SeqCst) });
        stopper.await.unwrap();
        busy.await.unwrap()
    });
    assert!(iterations > 0);
}

#[test]
fn consume_budget_does_not_starve_current_thread() {
    consume_budget_does_not_starve(new_rt(Flavor::CurrentThread));
}

#[test]
fn consume_budget_does_not_starve_single_worker() {
    consume_budget_does_not_starve(multi(1));
}

/// Spawned from inside the busy task: the stopper lands in the LIFO slot /
/// local queue of the only worker.
#[test]
fn consume_budget_does_not_starve_local_spawn_single_worker() {
    let rt = multi(1);
    let n = rt.block_on(async {
        weave::spawn(async {
            let stop = Arc::new(AtomicBool::new(false));
            let s = stop.clone();
            let _stopper = weave::spawn(async move { s.store(true, SeqCst) });
            let mut n: u64 = 0;
            while !stop.load(SeqCst) {
                task::consume_budget().await;
                n += 1;
            }
            n
        })
        .await
        .unwrap()
    });
    assert!(n > 0);
}

/// A local task that is always ready (it keeps yielding) must not starve a
/// task that arrives from another thread through the injection queue.
fn remote_task_not_starved_by_busy_local_task(rt: Runtime) {
    let stop = Arc::new(AtomicBool::new(false));
    let handle = rt.handle().clone();
    let s = stop.clone();
    let spins = rt.block_on(async move {
        let (started_tx, started_rx) = mpsc::channel::<()>();
        let busy = weave::spawn(async move {
            started_tx.send(()).unwrap();
            let mut spins = 0u64;
            while !s.load(SeqCst) {
                spins += 1;
                task::yield_now().await;
            }
            spins
        });
        let stop = stop.clone();
        // A plain thread spawns the stopper once the busy task runs.
        let spawner = std::thread::spawn(move || {
            started_rx.recv().unwrap();
            handle.spawn(async move { stop.store(true, SeqCst) })
        });
        let spins = busy.await.unwrap();
        spawner.join().unwrap().await.unwrap();
        spins
    });
    assert!(spins > 0);
}

#[test]
fn remote_task_not_starved_current_thread() {
    remote_task_not_starved_by_busy_local_task(new_rt(Flavor::CurrentThread));
}

#[test]
fn remote_task_not_starved_single_worker() {
    remote_task_not_starved_by_busy_local_task(multi(1));
}

#[test]
fn unconstrained_disables_the_budget() {
    let rt = new_rt(Flavor::CurrentThread);
    let (before, after_unconstrained, after_constrained) = rt.block_on(async {
        let ticks = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (t, s) = (ticks.clone(), stop.clone());
        let ticker = weave::spawn(async move {
            while !s.load(SeqCst) {
                t.fetch_add(1, SeqCst);
                task::yield_now().await;
            }
        });
        let measured = weave::spawn(async move {
            yield_until(|| ticks.load(SeqCst) > 0).await;
            let before = ticks.load(SeqCst);
            task::unconstrained(async {
                for _ in 0..2_000 {
                    task::consume_budget().await;
                }
            })
            .await;
            let after_unconstrained = ticks.load(SeqCst);
            for _ in 0..2_000 {
                task::consume_budget().await;
            }
            let after_constrained = ticks.load(SeqCst);
            stop.store(true, SeqCst);
            (before, after_unconstrained, after_constrained)
        });
        let out = measured.await.unwrap();
        ticker.await.unwrap();
        out
    });
    assert_eq!(
        before, after_unconstrained,
        "an unconstrained loop must not yield to other tasks"
    );
    assert!(
        after_constrained > after_unconstrained,
        "a constrained loop of 2000 budget units must yield"
    );
}

#[test]
fn unconstrained_returns_output() {
    let rt = new_rt(Flavor::MultiThread);
    let v = rt.block_on(async {
        let (tx, rx) = oneshot::channel();
        tx.send(5).unwrap();
        task::unconstrained(rx).await.unwrap()
    });
    assert_eq!(v, 5);
    // Works outside any runtime too.
    assert_eq!(
        futures::executor::block_on(task::unconstrained(async { 3 })),
        3
    );
    futures::executor::block_on(task::consume_budget());
}

// ---------------------------------------------------------------------------
// block_in_place
// ---------------------------------------------------------------------------

/// With a single worker, a task blocked in `block_in_place` waits for a
/// signal that only another task can send: that task can only run if the
/// worker's queue was handed to another thread.
#[test]
fn block_in_place_hands_off_the_worker_queue() {
    let rt = multi(1);
    let out = rt.block_on(async {
        let (tx, rx) = mpsc::channel::<u32>();
        let blocked =
            weave::spawn(async move { task::block_in_place(move || rx.recv().unwrap()) + 1 });
        let sender = weave::spawn(async move {
            tx.send(41).unwrap();
        });
        sender.await.unwrap();
        blocked.await.unwrap()
    });
    assert_eq!(out, 42);
}

/// The other task sits in the blocking task's LIFO slot (spawned by it just
/// before it blocks).
#[test]
fn block_in_place_hands_off_the_lifo_slot() {
    let rt = multi(1);
    let out = rt.block_on(async {
        weave::spawn(async move {
            let (tx, rx) = mpsc::channel::<u32>();
            let sender = weave::spawn(async move { tx.send(7).unwrap() });
            let v = task::block_in_place(move || rx.recv().unwrap());
            // The task goes on after block_in_place and can still await.
            sender.await.unwrap();
            let (tx2, rx2) = oneshot::channel();
            weave::spawn(async move { tx2.send(v * 6).unwrap() });
            rx2.await.unwrap()
        })
        .await
        .unwrap()
    });
    assert_eq!(out, 42);
}

#[test]
fn block_in_place_many_times() {
    let rt = multi(2);
    let total = rt.block_on(async {
        let handles: Vec<_> = (0..50u64)
            .map(|i| {
                weave::spawn(async move {
                    let a = task::block_in_place(|| i);
                    task::yield_now().await;
                    let b = task::block_in_place(|| task::block_in_place(|| i));
                    a + b
                })
            })
            .collect();
        let mut total = 0;
        for h in handles {
            total += h.await.unwrap();
        }
        total
    });
    assert_eq!(total, 2 * (0..50).sum::<u64>());
    // The runtime still works after all the hand-offs.
    assert_eq!(rt.block_on(rt.spawn(async { 1 })).unwrap(), 1);
}

#[test]
fn block_in_place_on_current_thread_panics() {
    let rt = new_rt(Flavor::CurrentThread);
    // Inside a task.
    let err = rt
        .block_on(rt.spawn(async { task::block_in_place(|| 1) }))
        .unwrap_err();
    let msg = join_panic_message(err);
    assert!(msg.contains("block_in_place"), "{msg}");
    assert!(msg.contains("spawn_blocking"), "{msg}");
    // Inside block_on itself.
    let msg = catch_panic(|| rt.block_on(async { task::block_in_place(|| 1) }));
    assert!(msg.contains("spawn_blocking"), "{msg}");
    // The runtime survives both.
    assert_eq!(
        rt.block_on(async { weave::spawn(async { 3 }).await.unwrap() }),
        3
    );
}

/// Tokio allows `block_in_place` in the `block_on` future of a
/// multi-thread runtime (it just runs the closure); `#[tokio::main]` code
/// relies on it.
#[test]
fn block_in_place_in_multi_thread_block_on_runs() {
    let rt = new_rt(Flavor::MultiThread);
    let v = rt.block_on(async { task::block_in_place(|| 5) });
    assert_eq!(v, 5);
}

#[test]
fn block_in_place_outside_runtime_just_runs() {
    assert_eq!(task::block_in_place(|| 5), 5);
    // Also on a blocking-pool thread.
    let rt = new_rt(Flavor::MultiThread);
    let v = rt
        .block_on(rt.spawn_blocking(|| task::block_in_place(|| 6)))
        .unwrap();
    assert_eq!(v, 6);
}

// ---------------------------------------------------------------------------
// Stress
// ---------------------------------------------------------------------------

fn chain(depth: usize, count: Arc<AtomicUsize>) -> Pin<Box<dyn Future<Output = ()> + Send>> {
    Box::pin(async move {
        count.fetch_add(1, SeqCst);
        if depth > 1 {
            weave::spawn(chain(depth - 1, count)).await.unwrap();
        }
    })
}

/// 100,000 tiny tasks spawned from inside tasks: fan-out and chains.
fn stress_spawn_from_tasks(flavor: Flavor) {
    let rt = new_rt(flavor);
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    rt.block_on(async move {
        let root = weave::spawn(async move {
            // Fan-out: 100 parents with 500 children each = 50,000.
            let parents: Vec<_> = (0..100)
                .map(|_| {
                    let c = c.clone();
                    weave::spawn(async move {
                        let kids: Vec<_> = (0..500)
                            .map(|_| {
                                let c = c.clone();
                                weave::spawn(async move {
                                    c.fetch_add(1, SeqCst);
                                })
                            })
                            .collect();
                        for k in kids {
                            k.await.unwrap();
                        }
                    })
                })
                .collect();
            // Chains: 50 chains of 1,000 links = 50,000.
            let chains: Vec<_> = (0..50)
                .map(|_| weave::spawn(chain(1_000, c.clone())))
                .collect();
            for p in parents {
                p.await.unwrap();
            }
            for ch in chains {
                ch.await.unwrap();
            }
        });
        root.await.unwrap();
    });
    assert_eq!(count.load(SeqCst), 100_000);
}

/// Tasks woken by plain threads.
fn stress_foreign_wakeups(flavor: Flavor) {
    let rt = new_rt(flavor);
    const TASKS: usize = 2_000;
    const THREADS: usize = 4;
    let mut senders = Vec::new();
    let mut handles = Vec::new();
    for i in 0..TASKS {
        let (tx, rx) = oneshot::channel::<usize>();
        senders.push((i, tx));
        handles.push(rt.spawn(async move { rx.await.unwrap() }));
    }
    let mut per_thread: Vec<Vec<_>> = (0..THREADS).map(|_| Vec::new()).collect();
    for (i, s) in senders {
        per_thread[i % THREADS].push((i, s));
    }
    let threads: Vec<_> = per_thread
        .into_iter()
        .map(|batch| {
            std::thread::spawn(move || {
                for (n, (i, tx)) in batch.into_iter().enumerate() {
                    if n % 100 == 0 {
                        std::thread::yield_now();
                    }
                    tx.send(i).unwrap();
                }
            })
        })
        .collect();
    let sum = rt.block_on(async move {
        let mut sum = 0;
        for h in handles {
            sum += h.await.unwrap();
        }
        sum
    });
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(sum, (0..TASKS).sum::<usize>());
}

/// 1,000 tasks in a chain: each waits on a oneshot completed by the
/// previous one. Plus ping-pong pairs.
fn stress_ping_pong(flavor: Flavor) {
    let rt = new_rt(flavor);
    let out = rt.block_on(async {
        const N: usize = 1_000;
        let (first_tx, mut rx) = oneshot::channel::<usize>();
        let mut handles = Vec::new();
        for _ in 0..N {
            let (tx, next_rx) = oneshot::channel();
            let prev_rx = std::mem::replace(&mut rx, next_rx);
            handles.push(weave::spawn(async move {
                let v = prev_rx.await.unwrap();
                tx.send(v + 1).unwrap();
            }));
        }
        first_tx.send(0).unwrap();
        let last = rx.await.unwrap();
        for h in handles {
            h.await.unwrap();
        }

        // 200 ping-pong pairs, 50 hits each, a fresh oneshot per hit.
        let mut games = Vec::new();
        for _ in 0..200 {
            let (tx_a, rx_a) = oneshot::channel();
            let (tx_b, rx_b) = oneshot::channel();
            let a = weave::spawn(player(rx_a));
            let b = weave::spawn(player(rx_b));
            assert!(tx_a
                .send(Ball {
                    hits: 0,
                    back: tx_b
                })
                .is_ok());
            games.push((a, b));
        }
        for (a, b) in games {
            assert_eq!(a.await.unwrap() + b.await.unwrap(), ROUNDS + 1);
        }
        last
    });
    assert_eq!(out, 1_000);
}

const ROUNDS: u32 = 50;

struct Ball {
    hits: u32,
    back: oneshot::Sender<Ball>,
}

/// Hits the ball back until it has been hit `ROUNDS` times; returns how
/// many times this player hit it.
async fn player(mut rx: oneshot::Receiver<Ball>) -> u32 {
    let mut hits = 0;
    loop {
        let Ok(ball) = rx.await else { return hits };
        hits += 1;
        if ball.hits == ROUNDS {
            // Dropping `ball.back` ends the other player's game.
            return hits;
        }
        let (tx, next) = oneshot::channel();
        rx = next;
        assert!(ball
            .back
            .send(Ball {
                hits: ball.hits + 1,
                back: tx
            })
            .is_ok());
    }
}

/// `abort` racing with completion from another thread: every task ends
/// either with its output or cancelled, and every future is dropped once.
fn stress_abort_races_completion(flavor: Flavor) {
    let rt = new_rt(flavor);
    const N: usize = 2_000;
    let drops = Arc::new(AtomicUsize::new(0));
    let mut handles = Vec::new();
    let mut aborts = Vec::new();
    for i in 0..N {
        let g = DropCounter(drops.clone());
        let h = rt.spawn(async move {
            let _g = g;
            for _ in 0..(i % 4) {
                task::yield_now().await;
            }
            i
        });
        aborts.push(h.abort_handle());
        handles.push(h);
    }
    let aborter = std::thread::spawn(move || {
        for (n, a) in aborts.into_iter().enumerate() {
            if n % 3 != 0 {
                a.abort();
            }
            if n % 64 == 0 {
                std::thread::yield_now();
            }
        }
    });
    let (ok, cancelled) = rt.block_on(async move {
        let (mut ok, mut cancelled) = (0, 0);
        for (i, h) in handles.into_iter().enumerate() {
            match h.await {
                Ok(v) => {
                    assert_eq!(v, i);
                    ok += 1;
                }
                Err(e) => {
                    assert!(e.is_cancelled(), "{e:?}");
                    assert!(i % 3 != 0, "task {i} was never aborted");
                    cancelled += 1;
                }
            }
        }
        (ok, cancelled)
    });
    aborter.join().unwrap();
    assert_eq!(ok + cancelled, N);
    assert_eq!(drops.load(SeqCst), N);
}

/// JoinHandles dropped (from another thread) while their tasks complete:
/// each output is dropped exactly once.
fn stress_drop_join_handle_races_completion(flavor: Flavor) {
    let rt = new_rt(flavor);
    const N: usize = 5_000;
    let outputs = Arc::new(AtomicUsize::new(0));
    let futures_dropped = Arc::new(AtomicUsize::new(0));
    let mut handles = Vec::new();
    for i in 0..N {
        let out = DropCounter(outputs.clone());
        let g = DropCounter(futures_dropped.clone());
        handles.push(rt.spawn(async move {
            let _g = g;
            if i % 2 == 0 {
                task::yield_now().await;
            }
            out
        }));
    }
    let dropper = std::thread::spawn(move || {
        for (n, h) in handles.into_iter().enumerate() {
            drop(h);
            if n % 64 == 0 {
                std::thread::yield_now();
            }
        }
    });
    // Drive the runtime (current-thread flavor) until everything finished.
    rt.block_on(yield_until(|| {
        futures_dropped.load(SeqCst) == N && outputs.load(SeqCst) == N
    }));
    dropper.join().unwrap();
    assert_eq!(outputs.load(SeqCst), N);
}

/// A thread (or task) spawning and awaiting one task at a time: every
/// round trip needs a wake-up that must not be lost.
fn stress_lockstep(flavor: Flavor) {
    let rt = new_rt(flavor);
    // From block_on (remote spawns on the multi-thread runtime).
    let n = rt.block_on(async {
        let mut n = 0u32;
        for _ in 0..5_000 {
            n += weave::spawn(async { 1 }).await.unwrap();
        }
        n
    });
    assert_eq!(n, 5_000);
    // From a plain thread, through a Handle, one task at a time.
    let handle = rt.handle().clone();
    let t = std::thread::spawn(move || {
        let mut n = 0u32;
        for _ in 0..2_000 {
            let (tx, rx) = oneshot::channel();
            handle.spawn(async move { tx.send(1u32).unwrap() });
            n += rx.blocking_recv().unwrap();
        }
        n
    });
    // The current-thread runtime needs a driver meanwhile.
    let (done_tx, done_rx) = oneshot::channel::<u32>();
    let waiter = std::thread::spawn(move || done_tx.send(t.join().unwrap()).unwrap());
    assert_eq!(rt.block_on(done_rx).unwrap(), 2_000);
    waiter.join().unwrap();
}

/// Two tasks waking each other through the LIFO slot must not starve a
/// third task on a single worker.
#[test]
fn lifo_ping_pong_does_not_starve_others() {
    let rt = multi(1);
    let stop = Arc::new(AtomicBool::new(false));
    let rounds = rt.block_on(async {
        let s = stop.clone();
        weave::spawn(async move {
            let (tx_a, rx_a) = oneshot::channel();
            let (tx_b, rx_b) = oneshot::channel();
            // Players that keep going until the flag is set.
            async fn endless(mut rx: oneshot::Receiver<Ball>, stop: Arc<AtomicBool>) -> u32 {
                let mut hits = 0;
                loop {
                    let Ok(ball) = rx.await else { return hits };
                    hits += 1;
                    if stop.load(SeqCst) {
                        return hits;
                    }
                    let (tx, next) = oneshot::channel();
                    rx = next;
                    assert!(ball
                        .back
                        .send(Ball {
                            hits: ball.hits + 1,
                            back: tx
                        })
                        .is_ok());
                }
            }
            let a = weave::spawn(endless(rx_a, s.clone()));
            let b = weave::spawn(endless(rx_b, s.clone()));
            assert!(tx_a
                .send(Ball {
                    hits: 0,
                    back: tx_b
                })
                .is_ok());
            // The stopper is queued behind the ping-pong.
            let stopper = weave::spawn(async move { s.store(true, SeqCst) });
            stopper.await.unwrap();
            a.await.unwrap() + b.await.unwrap()
        })
        .await
        .unwrap()
    });
    assert!(rounds > 0);
}

both_flavors!(
    stress_abort_races_completion,
    stress_drop_join_handle_races_completion,
    stress_lockstep,
);

both_flavors!(
    stress_spawn_from_tasks,
    stress_foreign_wakeups,
    stress_ping_pong
);

/// Tokio's `task::coop` module: `poll_proceed` charges the budget (and
/// forces a yield once 128 units are spent in one poll), `made_progress`
/// keeps the charge, `has_budget_remaining` reports it.
#[test]
fn coop_module_poll_proceed_and_budget() {
    use std::task::Poll;
    use weave::task::coop;

    let rt = weave::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let (charged, yielded) = rt.block_on(async {
        std::future::poll_fn(|cx| {
            let mut charged = 0;
            while let Poll::Ready(restore) = coop::poll_proceed(cx) {
                restore.made_progress();
                charged += 1;
                assert!(charged <= 1000, "the budget never ran out");
            }
            Poll::Ready((charged, !coop::has_budget_remaining()))
        })
        .await
    });
    assert_eq!(charged, 128);
    assert!(yielded);

    // Without `made_progress` the unit is given back: never runs out.
    rt.block_on(async {
        std::future::poll_fn(|cx| {
            for _ in 0..1000 {
                assert!(coop::poll_proceed(cx).is_ready());
            }
            Poll::Ready(())
        })
        .await
    });
    assert!(
        coop::has_budget_remaining(),
        "outside a runtime: unconstrained"
    );
    rt.block_on(coop::unconstrained(coop::consume_budget()));
}
