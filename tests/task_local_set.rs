//! Integration tests for `task::LocalSet` and `task::spawn_local`.
//!
//! Futures hold `Rc`s and `RefCell`s to prove that `!Send` tasks work. Tests
//! that apply to both schedulers are written once as `fn name(flavor:
//! Flavor)` and instantiated by `both_flavors!`. Nothing depends on
//! wall-clock speed: ordering comes from channels; timer tests use a paused
//! clock (current-thread) or only require that a short sleep ends.

use std::cell::{Cell, RefCell};
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use std::thread::{self, ThreadId};
use std::time::Duration;

use weave::runtime::{Builder, Runtime};
use weave::sync::{mpsc, oneshot};
use weave::task::{self, JoinHandle, LocalSet};
use weave::time::{self, Instant};

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

#[macro_use]
mod common;
use common::*;

/// Records the thread it is dropped on.
struct DropOn(Arc<Mutex<Option<ThreadId>>>);

impl Drop for DropOn {
    fn drop(&mut self) {
        *self.0.lock().unwrap() = Some(thread::current().id());
    }
}

/// Pending until `flag` is set; stores its waker in `slot` on every poll.
fn wait_flag(flag: Arc<AtomicBool>, slot: Arc<Mutex<Option<Waker>>>) -> impl Future<Output = ()> {
    poll_fn(move |cx| {
        *slot.lock().unwrap() = Some(cx.waker().clone());
        if flag.load(SeqCst) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
}

// ---------------------------------------------------------------------------
// Spawning and running
// ---------------------------------------------------------------------------

fn run_until_runs_rc_tasks(flavor: Flavor) {
    let rt = new_rt(flavor);
    let local = LocalSet::new();
    let out = rt.block_on(local.run_until(async {
        let log = Rc::new(RefCell::new(Vec::new()));
        let handles: Vec<JoinHandle<usize>> = (0..10)
            .map(|i| {
                let log = log.clone();
                task::spawn_local(async move {
                    task::yield_now().await;
                    log.borrow_mut().push(i);
                    i * 2
                })
            })
            .collect();
        // The driving future itself holds an `Rc` across awaits.
        let mut sum = 0;
        for h in handles {
            sum += h.await.unwrap();
        }
        let mut seen = log.borrow().clone();
        seen.sort();
        (sum, seen)
    }));
    assert_eq!(out.0, 90);
    assert_eq!(out.1, (0..10).collect::<Vec<_>>());
}

fn block_on_method(flavor: Flavor) {
    let rt = new_rt(flavor);
    let local = LocalSet::new();
    let rc = Rc::new(Cell::new(0));
    let r = rc.clone();
    let out = local.block_on(&rt, async move {
        task::spawn_local(async move {
            r.set(r.get() + 41);
            r.get() + 1
        })
        .await
        .unwrap()
    });
    assert_eq!(out, 42);
    assert_eq!(rc.get(), 41);
}

fn local_set_spawn_before_running(flavor: Flavor) {
    let rt = new_rt(flavor);
    let local = LocalSet::new();
    let value = Rc::new(RefCell::new(String::new()));
    let v = value.clone();
    let handle = local.spawn_local(async move {
        v.borrow_mut().push_str("spawned early");
        Rc::new(7) // a `!Send` output
    });
    let out = local.block_on(&rt, handle).unwrap();
    assert_eq!(*out, 7);
    assert_eq!(*value.borrow(), "spawned early");
}

fn local_set_future_completes_when_empty(flavor: Flavor) {
    let rt = new_rt(flavor);
    // An empty set is ready at once.
    rt.block_on(LocalSet::new());

    let local = LocalSet::new();
    let count = Rc::new(Cell::new(0));
    for i in 0..20 {
        let c = count.clone();
        local.spawn_local(async move {
            for _ in 0..i % 4 {
                task::yield_now().await;
            }
            // Tasks spawned by tasks also count.
            let c2 = c.clone();
            task::spawn_local(async move { c2.set(c2.get() + 1) });
            c.set(c.get() + 1);
        });
    }
    rt.block_on(local);
    assert_eq!(count.get(), 40);
}

fn leftover_tasks_run_on_next_drive(flavor: Flavor) {
    let rt = new_rt(flavor);
    let local = LocalSet::new();
    let (tx, rx) = oneshot::channel::<u8>();
    let got = Rc::new(Cell::new(0));
    let g = got.clone();
    // `run_until` returns while its task still waits.
    let h = local.block_on(&rt, async move {
        let h = task::spawn_local(async move {
            g.set(rx.await.unwrap());
        });
        task::yield_now().await; // the task runs and waits
        Some(h)
    });
    let h = h.unwrap();
    assert!(!h.is_finished());
    tx.send(4).unwrap(); // wakes the task while the set is not driven
    assert_eq!(got.get(), 0);
    local.block_on(&rt, h).unwrap();
    assert_eq!(got.get(), 4);
}

fn local_set_future_waits_for_remote_wakes(flavor: Flavor) {
    let rt = new_rt(flavor);
    let local = LocalSet::new();
    let (tx, rx) = oneshot::channel::<Rc<str>>();
    let got = Rc::new(RefCell::new(None));
    let g = got.clone();
    local.spawn_local(async move {
        let (txs, rxs) = oneshot::channel::<u32>();
        // A Send task on the runtime (a worker, on multi-thread) wakes us.
        weave::spawn(async move {
            task::yield_now().await;
            txs.send(9).unwrap();
        });
        let n = rxs.await.unwrap();
        tx.send(Rc::from(format!("n={n}"))).unwrap();
    });
    local.spawn_local(async move {
        *g.borrow_mut() = Some(rx.await.unwrap());
    });
    rt.block_on(local);
    assert_eq!(got.borrow().as_deref(), Some("n=9"));
}

fn nested_spawn_local(flavor: Flavor) {
    let rt = new_rt(flavor);
    let local = LocalSet::new();
    let depth = local.block_on(&rt, async {
        fn chain(n: u32, counter: Rc<Cell<u32>>) -> Pin<Box<dyn Future<Output = u32>>> {
            Box::pin(async move {
                counter.set(counter.get() + 1);
                if n == 0 {
                    return counter.get();
                }
                let c = counter.clone();
                task::spawn_local(chain(n - 1, c)).await.unwrap()
            })
        }
        let counter = Rc::new(Cell::new(0));
        task::spawn_local(chain(50, counter)).await.unwrap()
    });
    assert_eq!(depth, 51);
}

fn local_task_panics(flavor: Flavor) {
    quiet_expected_panics();
    let rt = new_rt(flavor);
    let local = LocalSet::new();
    local.block_on(&rt, async {
        let rc = Rc::new(1);
        let r = rc.clone();
        let bad = task::spawn_local(async move {
            let _keep = r;
            task::yield_now().await;
            panic!("{EXPECTED} local boom");
        });
        let good = task::spawn_local(async { 5 });
        let err = bad.await.unwrap_err();
        assert!(err.is_panic());
        let msg = panic_message(&*err.into_panic()).unwrap().to_string();
        assert!(msg.contains("local boom"), "{msg}");
        // The panicking future was dropped; the set keeps working.
        assert_eq!(Rc::strong_count(&rc), 1);
        assert_eq!(good.await.unwrap(), 5);
        assert_eq!(task::spawn_local(async { 6 }).await.unwrap(), 6);
    });
}

fn nested_run_until_two_sets(flavor: Flavor) {
    let rt = new_rt(flavor);
    let outer = LocalSet::new();
    let inner = LocalSet::new();
    let log = Rc::new(RefCell::new(Vec::new()));
    let l = log.clone();
    outer.block_on(&rt, async {
        // An outer task that is woken while the inner set runs.
        let (tx, rx) = oneshot::channel::<()>();
        let l1 = l.clone();
        let outer_task = task::spawn_local(async move {
            rx.await.unwrap();
            l1.borrow_mut().push("outer task");
        });
        let l2 = l.clone();
        let inner_out = inner
            .run_until(async move {
                // Spawned onto the inner set.
                let l3 = l2.clone();
                let h = task::spawn_local(async move {
                    l3.borrow_mut().push("inner task");
                    tx.send(()).unwrap();
                    "inner"
                });
                h.await.unwrap()
            })
            .await;
        assert_eq!(inner_out, "inner");
        // Back in the outer set: `spawn_local` reaches it again.
        let l4 = l.clone();
        task::spawn_local(async move { l4.borrow_mut().push("outer again") })
            .await
            .unwrap();
        outer_task.await.unwrap();
    });
    let mut seen = log.borrow().clone();
    seen.sort();
    assert_eq!(seen, ["inner task", "outer again", "outer task"]);
}

fn spawn_onto_other_set_from_task(flavor: Flavor) {
    let rt = new_rt(flavor);
    let a = LocalSet::new();
    let b = LocalSet::new();
    let b_ran = Rc::new(Cell::new(false));
    let br = b_ran.clone();
    // Spawned onto `b` from inside `a`: it only runs when `b` is driven.
    let h = a.block_on(&rt, async {
        let h = b.spawn_local(async move {
            br.set(true);
            11
        });
        task::yield_now().await;
        Some(h)
    });
    let h = h.unwrap();
    assert!(!b_ran.get());
    assert_eq!(b.block_on(&rt, h).unwrap(), 11);
    assert!(b_ran.get());
}

fn enter_guard_spawns_onto_set(flavor: Flavor) {
    let rt = new_rt(flavor);
    let local = LocalSet::new();
    let handle = {
        let _guard = local.enter();
        let rc = Rc::new(3);
        task::spawn_local(async move { *rc * 3 })
    };
    assert_eq!(local.block_on(&rt, handle).unwrap(), 9);
    // Without a guard there is no set again.
    let msg = catch_panic(|| task::spawn_local(async {}));
    assert!(
        msg.contains("`spawn_local` called outside a `LocalSet`"),
        "{msg}"
    );
}

fn enter_guard_wakes_running_set(flavor: Flavor) {
    // A set awaited (as a future) while another part of the same future
    // spawns onto it through `enter`: the set must be woken.
    let rt = new_rt(flavor);
    let local = Rc::new(LocalSet::new());
    let ran = Rc::new(Cell::new(false));
    let r = ran.clone();
    let l2 = local.clone();
    let driver = LocalSet::new();
    driver.block_on(&rt, async move {
        let spawner = async move {
            task::yield_now().await;
            let _g = l2.enter();
            task::spawn_local(async move { r.set(true) });
        };
        let runner = local.run_until(async {
            while !ran.get() {
                task::yield_now().await;
            }
        });
        // Poll both in turn on this task.
        let mut spawner = std::pin::pin!(spawner);
        let mut runner = std::pin::pin!(runner);
        let mut spawned = false;
        poll_fn(|cx| {
            if !spawned && spawner.as_mut().poll(cx).is_ready() {
                spawned = true;
            }
            runner.as_mut().poll(cx)
        })
        .await;
    });
}

fn spawn_local_outside_panics(_flavor: Flavor) {
    let msg = catch_panic(|| task::spawn_local(async {}));
    assert!(
        msg.contains("`spawn_local` called outside a `LocalSet`"),
        "{msg}"
    );
    // Inside a runtime but not a set: still a panic.
    let rt = new_rt(_flavor);
    let msg = catch_panic(|| rt.block_on(async { drop(task::spawn_local(async {})) }));
    assert!(
        msg.contains("`spawn_local` called outside a `LocalSet`"),
        "{msg}"
    );
}

// ---------------------------------------------------------------------------
// Wake-ups from elsewhere
// ---------------------------------------------------------------------------

fn cross_thread_wake_mpsc(flavor: Flavor) {
    let rt = new_rt(flavor);
    let local = LocalSet::new();
    let total = local.block_on(&rt, async {
        let (tx, mut rx) = mpsc::channel::<u64>(4);
        // Senders: a spawned Send task and a plain OS thread.
        let tx2 = tx.clone();
        let sender = weave::spawn(async move {
            for i in 0..500 {
                tx.send(i).await.unwrap();
            }
        });
        let os_thread = thread::spawn(move || {
            for i in 0..500 {
                tx2.blocking_send(1000 + i).unwrap();
            }
        });
        let acc = Rc::new(RefCell::new(Vec::new()));
        let a = acc.clone();
        let receiver = task::spawn_local(async move {
            while let Some(v) = rx.recv().await {
                a.borrow_mut().push(v);
            }
        });
        receiver.await.unwrap();
        sender.await.unwrap();
        os_thread.join().unwrap();
        let v = acc.borrow();
        assert_eq!(v.len(), 1000);
        v.iter().sum::<u64>()
    });
    assert_eq!(total, (0..500).sum::<u64>() + (1000..1500).sum::<u64>());
}

fn cross_thread_wake_while_set_idle(flavor: Flavor) {
    // The set is parked (nothing ready) when an OS thread wakes a task.
    let rt = new_rt(flavor);
    let local = LocalSet::new();
    let flag = Arc::new(AtomicBool::new(false));
    let slot = Arc::new(Mutex::new(None::<Waker>));
    let (f, s) = (flag.clone(), slot.clone());
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<()>();
    let waker_thread = thread::spawn(move || {
        ready_rx.recv().unwrap();
        f.store(true, SeqCst);
        let w = s.lock().unwrap().take();
        w.expect("task registered its waker").wake();
    });
    let rc = Rc::new(());
    let r = rc.clone();
    local.block_on(&rt, async move {
        let h = task::spawn_local(async move {
            let _rc = r;
            wait_flag(flag, slot).await;
            "woken"
        });
        task::yield_now().await; // let the task register its waker
        task::yield_now().await;
        ready_tx.send(()).unwrap();
        assert_eq!(h.await.unwrap(), "woken");
    });
    waker_thread.join().unwrap();
    assert_eq!(Rc::strong_count(&rc), 1);
}

fn timers_in_local_tasks(flavor: Flavor) {
    let rt = match flavor {
        Flavor::CurrentThread => Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .unwrap(),
        // The paused clock is current-thread only: short real sleeps that
        // only need to end.
        Flavor::MultiThread => new_rt(flavor),
    };
    let unit = match flavor {
        Flavor::CurrentThread => Duration::from_secs(10),
        Flavor::MultiThread => Duration::from_millis(2),
    };
    let local = LocalSet::new();
    let order = local.block_on(&rt, async move {
        let start = Instant::now();
        let order = Rc::new(RefCell::new(Vec::new()));
        let hs: Vec<_> = [3u32, 1, 2]
            .into_iter()
            .map(|k| {
                let o = order.clone();
                task::spawn_local(async move {
                    time::sleep(unit * k).await;
                    o.borrow_mut().push(k);
                })
            })
            .collect();
        for h in hs {
            h.await.unwrap();
        }
        assert!(start.elapsed() >= unit * 3);
        let v = order.borrow().clone();
        v
    });
    if flavor == Flavor::CurrentThread {
        assert_eq!(order, [1, 2, 3]);
    } else {
        let mut o = order;
        o.sort();
        assert_eq!(o, [1, 2, 3]);
    }
}

fn local_set_stays_on_its_thread(flavor: Flavor) {
    let rt = new_rt(flavor);
    let local = LocalSet::new();
    let me = thread::current().id();
    let threads = Rc::new(RefCell::new(Vec::new()));
    let t = threads.clone();
    local.block_on(&rt, async move {
        let hs: Vec<_> = (0..20)
            .map(|_| {
                let t = t.clone();
                task::spawn_local(async move {
                    for _ in 0..5 {
                        t.borrow_mut().push(thread::current().id());
                        // A round trip through a worker thread.
                        weave::spawn(async {}).await.unwrap();
                    }
                })
            })
            .collect();
        for h in hs {
            h.await.unwrap();
        }
    });
    let threads = threads.borrow();
    assert_eq!(threads.len(), 100);
    assert!(threads.iter().all(|t| *t == me));
}

// ---------------------------------------------------------------------------
// Cancellation
// ---------------------------------------------------------------------------

fn abort_from_other_thread(flavor: Flavor) {
    let rt = new_rt(flavor);
    let local = LocalSet::new();
    let dropped_on = Arc::new(Mutex::new(None));
    let d = dropped_on.clone();
    local.block_on(&rt, async move {
        let handle = task::spawn_local(async move {
            let _guard = DropOn(d);
            let _rc = Rc::new(());
            std::future::pending::<()>().await;
        });
        task::yield_now().await; // it is now idle
        let abort = handle.abort_handle();
        // Abort from an OS thread and from a worker task.
        thread::spawn(move || abort.abort()).join().unwrap();
        let err = handle.await.unwrap_err();
        assert!(err.is_cancelled());

        let handle = task::spawn_local(std::future::pending::<()>());
        let abort = handle.abort_handle();
        weave::spawn(async move { abort.abort() }).await.unwrap();
        assert!(handle.await.unwrap_err().is_cancelled());
    });
    // The future was dropped on the set's thread.
    assert_eq!(*dropped_on.lock().unwrap(), Some(thread::current().id()));
}

fn abort_before_first_poll(flavor: Flavor) {
    let rt = new_rt(flavor);
    let local = LocalSet::new();
    let polled = Rc::new(Cell::new(false));
    let p = polled.clone();
    let h = local.spawn_local(async move { p.set(true) });
    h.abort();
    let err = local.block_on(&rt, h).unwrap_err();
    assert!(err.is_cancelled());
    assert!(!polled.get(), "an aborted task is never polled");
    assert_eq!(Rc::strong_count(&polled), 1);
}

fn abort_running_task_from_itself(flavor: Flavor) {
    let rt = new_rt(flavor);
    let local = LocalSet::new();
    local.block_on(&rt, async {
        let slot = Rc::new(RefCell::new(None::<task::AbortHandle>));
        let s = slot.clone();
        let h = task::spawn_local(async move {
            task::yield_now().await;
            s.borrow().as_ref().unwrap().abort();
            task::yield_now().await;
            unreachable!("aborted task resumed");
        });
        *slot.borrow_mut() = Some(h.abort_handle());
        assert!(h.await.unwrap_err().is_cancelled());
    });
}

fn drop_local_set_cancels_tasks(flavor: Flavor) {
    let rt = new_rt(flavor);
    let local = LocalSet::new();
    let dropped_on = Arc::new(Mutex::new(None));
    let d = dropped_on.clone();
    let rc = Rc::new(());
    let r = rc.clone();
    // Run until idle, then cancelled.
    let r2 = rc.clone();
    let (_tx, rx) = oneshot::channel::<()>();
    let idle = local.spawn_local(async move {
        let _guard = DropOn(d);
        let _r = r2;
        rx.await.unwrap();
        2u8
    });
    local.block_on(&rt, task::yield_now());
    assert!(!idle.is_finished());
    // Never run: cancelled before its first poll.
    let never = local.spawn_local(async move {
        let _r = r;
        1u8
    });
    assert_eq!(Rc::strong_count(&rc), 3);
    drop(local);
    assert_eq!(Rc::strong_count(&rc), 1, "futures dropped with the set");
    assert_eq!(*dropped_on.lock().unwrap(), Some(thread::current().id()));
    assert!(never.is_finished() && idle.is_finished());
    rt.block_on(async {
        assert!(never.await.unwrap_err().is_cancelled());
        assert!(idle.await.unwrap_err().is_cancelled());
    });
}

fn spawn_after_drop_is_cancelled(flavor: Flavor) {
    let rt = new_rt(flavor);
    let local = LocalSet::new();
    // A destructor that spawns onto the set being dropped.
    struct SpawnOnDrop(Rc<Cell<Option<JoinHandle<()>>>>);
    impl Drop for SpawnOnDrop {
        fn drop(&mut self) {
            self.0.set(Some(task::spawn_local(async {})));
        }
    }
    let out = Rc::new(Cell::new(None));
    let o = out.clone();
    local.spawn_local(async move {
        let _s = SpawnOnDrop(o);
        std::future::pending::<()>().await;
    });
    local.block_on(&rt, task::yield_now());
    drop(local);
    let late = out.take().expect("destructor spawned");
    assert!(late.is_finished());
    rt.block_on(async { assert!(late.await.unwrap_err().is_cancelled()) });
}

fn leftover_waker_after_drop(flavor: Flavor) {
    let rt = new_rt(flavor);
    let local = LocalSet::new();
    let flag = Arc::new(AtomicBool::new(false));
    let slot = Arc::new(Mutex::new(None::<Waker>));
    let h = local.spawn_local(wait_flag(flag.clone(), slot.clone()));
    let abort = h.abort_handle();
    local.block_on(&rt, task::yield_now());
    drop(local);
    // The task is cancelled; its waker and abort handle outlive the set.
    let waker = slot.lock().unwrap().take().expect("waker registered");
    let w2 = waker.clone();
    let t = thread::spawn(move || {
        w2.wake_by_ref();
        w2.wake();
        abort.abort();
    });
    waker.wake_by_ref();
    t.join().unwrap();
    drop(waker);
    assert!(rt.block_on(h).unwrap_err().is_cancelled());
}

fn runtime_shutdown_with_pending_local_tasks(flavor: Flavor) {
    let rt = new_rt(flavor);
    let local = LocalSet::new();
    let rc = Rc::new(());
    let (r1, r2) = (rc.clone(), rc.clone());
    let sleeper = local.spawn_local(async move {
        let _r = r1;
        time::sleep(Duration::from_secs(3600)).await;
    });
    let waiter = local.spawn_local(async move {
        let _r = r2;
        let (tx, rx) = oneshot::channel::<()>();
        // The sender lives in a runtime task: runtime shutdown drops it,
        // which wakes us from the shutting-down thread.
        weave::spawn(async move {
            let _tx = tx;
            std::future::pending::<()>().await;
        });
        rx.await
    });
    local.block_on(&rt, async {
        for _ in 0..3 {
            task::yield_now().await;
        }
    });
    drop(rt);
    // The set outlives the runtime; dropping it cancels its tasks.
    assert!(!sleeper.is_finished());
    drop(local);
    assert_eq!(Rc::strong_count(&rc), 1);
    let rt2 = new_rt(flavor);
    rt2.block_on(async {
        assert!(sleeper.await.unwrap_err().is_cancelled());
        // Either woken by the dropped sender (and not run since) or not.
        assert!(waiter.await.unwrap_err().is_cancelled());
    });
}

// ---------------------------------------------------------------------------
// Fairness, ids
// ---------------------------------------------------------------------------

fn run_until_does_not_starve_runtime(flavor: Flavor) {
    // Local tasks that are always ready, and a runtime task (on this very
    // thread, for current-thread) that waits for them to have run a while:
    // both must make progress, so `run_until` has to yield to the runtime.
    let rt = new_rt(flavor);
    let local = LocalSet::new();
    let stop = Arc::new(AtomicBool::new(false));
    let polls = Arc::new(AtomicUsize::new(0));
    let local_rc = Rc::new(());
    local.block_on(&rt, async {
        for _ in 0..4 {
            let (stop, polls, rc) = (stop.clone(), polls.clone(), local_rc.clone());
            task::spawn_local(async move {
                let _rc = rc;
                while !stop.load(SeqCst) {
                    polls.fetch_add(1, SeqCst);
                    task::yield_now().await;
                }
            });
        }
        let (s, p) = (stop.clone(), polls.clone());
        weave::spawn(async move {
            while p.load(SeqCst) < 1000 {
                task::yield_now().await;
            }
            s.store(true, SeqCst);
        })
        .await
        .unwrap();
    });
    assert!(stop.load(SeqCst));
    assert!(polls.load(SeqCst) >= 1000);
}

fn budget_bounds_busy_channel(flavor: Flavor) {
    // A local task receiving from a channel that is never empty: the
    // cooperative budget makes it yield, so a sibling still runs.
    let rt = new_rt(flavor);
    let local = LocalSet::new();
    local.block_on(&rt, async {
        let (tx, mut rx) = mpsc::unbounded_channel::<u32>();
        for i in 0..10_000 {
            tx.send(i).unwrap();
        }
        let sibling_ran = Rc::new(Cell::new(false));
        let s = sibling_ran.clone();
        let received_before_sibling = Rc::new(Cell::new(None));
        let r = received_before_sibling.clone();
        let s2 = s.clone();
        let consumer = task::spawn_local(async move {
            let mut n = 0u32;
            while let Some(_v) = rx.recv().await {
                n += 1;
                if s2.get() && r.get().is_none() {
                    r.set(Some(n));
                }
                if n == 10_000 {
                    break;
                }
            }
            n
        });
        task::spawn_local(async move { s.set(true) });
        assert_eq!(consumer.await.unwrap(), 10_000);
        assert!(sibling_ran.get());
        let before = received_before_sibling.get().expect("sibling ran first");
        assert!(before < 10_000, "the consumer never yielded");
    });
}

fn ids_work(flavor: Flavor) {
    let rt = new_rt(flavor);
    let local = LocalSet::new();
    local.block_on(&rt, async {
        let h = task::spawn_local(async { task::id() });
        let id = h.id();
        assert_eq!(h.await.unwrap(), id);
        let a = task::spawn_local(async {});
        let b = task::spawn_local(async {});
        assert_ne!(a.id(), b.id());
        assert!(task::spawn_local(async { task::try_id() })
            .await
            .unwrap()
            .is_some());
    });
}

fn many_tasks_cross_thread_pingpong(flavor: Flavor) {
    let rt = new_rt(flavor);
    let local = LocalSet::new();
    let done = Rc::new(Cell::new(0usize));
    let d = done.clone();
    local.block_on(&rt, async move {
        let hs: Vec<_> = (0..200)
            .map(|_| {
                let d = d.clone();
                task::spawn_local(async move {
                    for i in 0..10u32 {
                        let (tx, rx) = oneshot::channel();
                        // Echoed back by a runtime task.
                        weave::spawn(async move { tx.send(i).unwrap() });
                        assert_eq!(rx.await.unwrap(), i);
                    }
                    d.set(d.get() + 1);
                })
            })
            .collect();
        for h in hs {
            h.await.unwrap();
        }
    });
    assert_eq!(done.get(), 200);
}

both_flavors!(
    run_until_runs_rc_tasks,
    block_on_method,
    local_set_spawn_before_running,
    local_set_future_completes_when_empty,
    local_set_future_waits_for_remote_wakes,
    nested_spawn_local,
    local_task_panics,
    nested_run_until_two_sets,
    spawn_onto_other_set_from_task,
    enter_guard_spawns_onto_set,
    enter_guard_wakes_running_set,
    spawn_local_outside_panics,
    cross_thread_wake_mpsc,
    cross_thread_wake_while_set_idle,
    timers_in_local_tasks,
    local_set_stays_on_its_thread,
    abort_from_other_thread,
    abort_before_first_poll,
    abort_running_task_from_itself,
    leftover_tasks_run_on_next_drive,
    drop_local_set_cancels_tasks,
    spawn_after_drop_is_cancelled,
    leftover_waker_after_drop,
    runtime_shutdown_with_pending_local_tasks,
    run_until_does_not_starve_runtime,
    budget_bounds_busy_channel,
    ids_work,
    many_tasks_cross_thread_pingpong,
);

#[test]
fn local_set_dropped_at_thread_exit() {
    // A set kept in a thread-local is dropped while the thread's
    // thread-locals are torn down: its tasks are still cancelled there.
    thread_local! {
        static SET: RefCell<Option<LocalSet>> = const { RefCell::new(None) };
    }
    let dropped_on = Arc::new(Mutex::new(None));
    let d = dropped_on.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    let t = thread::spawn(move || {
        let rt = Builder::new_current_thread().build().unwrap();
        let local = LocalSet::new();
        let h = local.spawn_local(async move {
            let _guard = DropOn(d);
            let _rc = Rc::new(());
            std::future::pending::<()>().await;
        });
        local.block_on(&rt, task::yield_now());
        tx.send(h).unwrap();
        SET.with(|s| *s.borrow_mut() = Some(local));
        thread::current().id()
    });
    let h = rx.recv().unwrap();
    let tid = t.join().unwrap();
    assert_eq!(*dropped_on.lock().unwrap(), Some(tid));
    assert!(h.is_finished());
    let rt = new_rt(Flavor::CurrentThread);
    assert!(rt.block_on(h).unwrap_err().is_cancelled());
}

#[test]
fn local_set_default_and_debug() {
    let local = LocalSet::default();
    local.spawn_local(async {});
    let s = format!("{local:?}");
    assert!(s.contains("LocalSet"), "{s}");
    let g = local.enter();
    assert!(format!("{g:?}").contains("LocalEnterGuard"));
}

#[test]
fn paused_clock_auto_advances_for_local_tasks() {
    let rt = Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap();
    let local = LocalSet::new();
    let fired = Rc::new(Cell::new(0));
    for k in 1..=5u64 {
        let f = fired.clone();
        local.spawn_local(async move {
            time::sleep(Duration::from_secs(3600 * k)).await;
            f.set(f.get() + 1);
        });
    }
    let start = rt.block_on(async { Instant::now() });
    rt.block_on(local);
    assert_eq!(fired.get(), 5);
    let end = rt.block_on(async { Instant::now() });
    assert!(end - start >= Duration::from_secs(5 * 3600));
}

#[test]
fn join_handle_with_send_output_awaited_elsewhere() {
    // A local task's JoinHandle (Send output) is awaited by a runtime task
    // on a worker thread.
    let rt = new_rt(Flavor::MultiThread);
    let local = LocalSet::new();
    let counter = Arc::new(AtomicUsize::new(0));
    let c = counter.clone();
    local.block_on(&rt, async move {
        let rc = Rc::new(5usize);
        let h = task::spawn_local(async move {
            task::yield_now().await;
            *rc
        });
        let joined = weave::spawn(async move { h.await.unwrap() });
        c.fetch_add(joined.await.unwrap(), SeqCst);
    });
    assert_eq!(counter.load(SeqCst), 5);
}

/// `runtime::LocalRuntime` (Tokio's; tokio-util's `LocalPoolHandle` runs on
/// it): `!Send` futures in `block_on` and `spawn_local`, `spawn_local` inside
/// tasks, `Send` tasks through the handle, and local tasks dropped on
/// shutdown.
#[test]
fn local_runtime_runs_send_and_not_send_tasks() {
    let rt = weave::runtime::LocalRuntime::new().unwrap();
    let counter = Rc::new(Cell::new(0));
    let before = rt.spawn_local({
        let counter = counter.clone();
        async move {
            counter.set(counter.get() + 1);
            weave::task::yield_now().await;
            counter.get()
        }
    });
    let sent = rt.handle().spawn(async { 40 });
    let out = rt.block_on({
        let counter = counter.clone();
        async move {
            let nested = weave::task::spawn_local(async move {
                counter.set(counter.get() + 10);
            });
            nested.await.unwrap();
            before.await.unwrap() + sent.await.unwrap()
        }
    });
    assert!(out == 41 || out == 51, "{out}");
    assert_eq!(counter.get(), 11);

    // A local task still pending at shutdown is dropped with the runtime.
    struct SetOnDrop(Rc<Cell<bool>>);
    impl Drop for SetOnDrop {
        fn drop(&mut self) {
            self.0.set(true);
        }
    }
    let dropped = Rc::new(Cell::new(false));
    let guard = SetOnDrop(dropped.clone());
    let _pending = rt.spawn_local(async move {
        let _guard = guard;
        std::future::pending::<()>().await;
    });
    rt.block_on(weave::task::yield_now());
    assert!(!dropped.get());
    rt.shutdown_timeout(std::time::Duration::from_secs(1));
    assert!(dropped.get());
}
