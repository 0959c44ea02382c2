//! Loom models of the task state machine.
//!
//! A tiny scheduler (a locked queue plus an owned list) runs real task cells
//! while other loom threads wake, abort and drop handles. Futures and outputs
//! hold loom `Arc`s, so loom reports any leaked or double-freed task.

use super::{Id, JoinHandle, Notified, OwnedTasks, Schedule, Task};
use crate::loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use crate::loom::sync::{Arc, Mutex};
use std::collections::VecDeque;
use std::future::{poll_fn, Future};
use std::task::{Poll, Waker};

struct Sched {
    owned: OwnedTasks<Arc<Sched>>,
    /// `None` once shut down (as the current-thread scheduler does).
    queue: Mutex<Option<VecDeque<Notified<Arc<Sched>>>>>,
}

impl Schedule for Arc<Sched> {
    fn schedule(&self, task: Notified<Self>) {
        if let Some(q) = self.queue.lock().as_mut() {
            q.push_back(task);
        }
    }

    fn release(&self, task: &Task<Self>) -> Option<Task<Self>> {
        self.owned.remove(task)
    }
}

fn new_sched() -> Arc<Sched> {
    Arc::new(Sched {
        owned: OwnedTasks::new(1),
        queue: Mutex::new(Some(VecDeque::new())),
    })
}

fn spawn<F>(s: &Arc<Sched>, future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let (join, notified) = s.owned.bind(
        future,
        s.clone(),
        (),
        Id::next(),
        std::panic::Location::caller(),
    );
    if let Some(notified) = notified {
        s.schedule(notified);
    }
    join
}

/// Runs queued tasks until the queue is empty.
fn run_queue(s: &Arc<Sched>) {
    loop {
        let task = s.queue.lock().as_mut().and_then(|q| q.pop_front());
        match task {
            Some(t) => t.run(),
            None => return,
        }
    }
}

fn shutdown(s: Arc<Sched>) {
    s.owned.close_and_shutdown_all(0);
    let drained = s.queue.lock().take();
    drop(drained);
}

/// A wake that arrives while the task is being polled is not lost: the task
/// runs again and completes.
#[test]
fn loom_task_wake_during_poll() {
    loom::model(|| {
        let s = new_sched();
        let slot: Arc<Mutex<Option<Waker>>> = Arc::new(Mutex::new(None));
        let ready = Arc::new(AtomicBool::new(false));
        let (slot2, ready2) = (slot.clone(), ready.clone());
        let join = spawn(&s, async move {
            poll_fn(|cx| {
                // Publish the waker before checking, so a concurrent
                // `ready` store is followed by a wake we will see.
                *slot2.lock() = Some(cx.waker().clone());
                if ready2.load(SeqCst) {
                    return Poll::Ready(());
                }
                Poll::Pending
            })
            .await
        });
        let waker_thread = loom::thread::spawn(move || {
            ready.store(true, SeqCst);
            let waker = slot.lock().take();
            if let Some(w) = waker {
                w.wake();
            }
        });
        run_queue(&s);
        waker_thread.join().unwrap();
        run_queue(&s);
        assert!(join.is_finished(), "a wake was lost");
        drop(join);
        shutdown(s);
    });
}

/// `abort` from another thread racing the task's completion: the handle
/// sees either the output or a cancellation, and nothing leaks.
#[test]
fn loom_task_abort_races_completion() {
    loom::model(|| {
        let s = new_sched();
        let payload = Arc::new(AtomicUsize::new(7));
        let p2 = payload.clone();
        let join = spawn(&s, async move { p2 });
        let abort = join.abort_handle();
        let t = loom::thread::spawn(move || abort.abort());
        run_queue(&s);
        t.join().unwrap();
        run_queue(&s);
        match loom::future::block_on(join) {
            Ok(p) => assert_eq!(p.load(SeqCst), 7),
            Err(e) => assert!(e.is_cancelled()),
        }
        shutdown(s);
        assert_eq!(Arc::strong_count(&payload), 1);
    });
}

/// Dropping the `JoinHandle` on another thread while the task completes:
/// the output is dropped exactly once, by one side.
#[test]
fn loom_task_join_drop_races_completion() {
    loom::model(|| {
        let s = new_sched();
        let payload = Arc::new(AtomicUsize::new(0));
        let p2 = payload.clone();
        let join = spawn(&s, async move { p2 });
        let t = loom::thread::spawn(move || drop(join));
        run_queue(&s);
        t.join().unwrap();
        shutdown(s);
        assert_eq!(Arc::strong_count(&payload), 1, "output leaked");
    });
}

/// A join waker registered while the task completes on another thread is
/// either woken or sees the output on its next poll.
#[test]
fn loom_task_join_waker_races_completion() {
    loom::model(|| {
        let s = new_sched();
        let join = spawn(&s, async { 5 });
        let s2 = s.clone();
        let t = loom::thread::spawn(move || run_queue(&s2));
        assert_eq!(loom::future::block_on(join).unwrap(), 5);
        t.join().unwrap();
        shutdown(s);
    });
}

/// Runtime shutdown racing a wake from another thread: the future is dropped
/// once and every reference is released.
#[test]
fn loom_task_shutdown_races_wake() {
    loom::model(|| {
        let s = new_sched();
        let slot: Arc<Mutex<Option<Waker>>> = Arc::new(Mutex::new(None));
        let guard = Arc::new(());
        let (slot2, g2) = (slot.clone(), guard.clone());
        let join = spawn(&s, async move {
            let _g = g2;
            poll_fn(|cx| {
                *slot2.lock() = Some(cx.waker().clone());
                Poll::<()>::Pending
            })
            .await
        });
        run_queue(&s);
        let t = loom::thread::spawn(move || {
            let w = slot.lock().take();
            if let Some(w) = w {
                w.wake();
            }
        });
        shutdown(s);
        t.join().unwrap();
        assert!(loom::future::block_on(join).unwrap_err().is_cancelled());
        assert_eq!(Arc::strong_count(&guard), 1, "future not dropped");
    });
}

/// A task dump (`OwnedTasks::for_each`, reading each listed task's state,
/// name and location) racing the tasks' completion and removal from the
/// list: the dump only ever sees live, listed tasks.
#[test]
fn loom_dump_races_completion() {
    loom::model(|| {
        let s = new_sched();
        let a = spawn(&s, async { 1 });
        let b = spawn(&s, async { 2 });
        let runner = {
            let s = s.clone();
            loom::thread::spawn(move || run_queue(&s))
        };
        let mut seen = 0;
        s.owned.for_each(|task| {
            let snapshot = task.state().load();
            assert!(snapshot.ref_count() > 0, "a listed task is alive");
            assert!(task.task_name().get().is_none());
            assert_eq!(task.location().file(), file!());
            seen += 1;
        });
        assert!(seen <= 2);
        runner.join().unwrap();
        assert!(a.is_finished() && b.is_finished());
        let mut left = 0;
        s.owned.for_each(|_| left += 1);
        assert_eq!(left, 0, "completed tasks leave the list");
        drop((a, b));
        shutdown(s);
    });
}
