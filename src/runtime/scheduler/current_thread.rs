//! The current-thread scheduler: every task runs on the thread that calls
//! `block_on`.
//!
//! The [`Core`] (local run queue and driver) is held by the thread inside
//! `block_on`; a second thread calling `block_on` at the same time drives
//! only its own future and waits for the core to be released. Tasks woken
//! from the core's own thread go to the local queue; tasks woken from any
//! other thread go to the shared injection queue and unpark the driver.
//!
//! Invariants:
//! - At most one thread holds the core; `Handle::core` is empty while it is
//!   held.
//! - A wake from another thread always unparks the driver after queueing,
//!   so the block_on thread cannot sleep on a non-empty injection queue.
//! - Shutdown cancels every owned task on the shutting-down thread and
//!   closes the injection queue, after which scheduled tasks are dropped.

use super::scoped::{self, Scoped};
use crate::coop;
use crate::loom::sync::atomic::{AtomicBool, Ordering::SeqCst};
use crate::loom::sync::{Arc, Mutex};
use crate::runtime::blocking::Spawner;
use crate::runtime::config::Config;
use crate::runtime::driver::{Driver, DriverHandle};
use crate::runtime::metrics::{SchedulerMetrics, WorkerStats};
use crate::runtime::task::{self, JoinHandle, Notified, OwnedTasks, Schedule, TaskName};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::task::{Context as TaskContext, Poll, Wake, Waker};

type Task = Notified<Arc<Handle>>;

/// Shared state, referenced by every task.
pub(crate) struct Handle {
    /// Tasks scheduled from other threads; `None` once shut down.
    inject: Mutex<Option<VecDeque<Task>>>,
    pub(crate) owned: OwnedTasks<Arc<Handle>>,
    /// The core while no thread is inside `block_on`.
    core: Mutex<Option<Box<Core>>>,
    /// Threads waiting in `block_on` for the core.
    core_waiters: Mutex<Vec<Waker>>,
    /// Set when the `block_on` future was woken.
    woken: AtomicBool,
    pub(crate) driver: DriverHandle,
    pub(crate) blocking_spawner: Spawner,
    pub(crate) config: Config,
    /// Worker 0 is whichever thread holds the core (see `runtime::metrics`).
    pub(crate) metrics: SchedulerMetrics,
}

pub(crate) struct Core {
    tasks: VecDeque<Task>,
    tick: u32,
    driver: Option<Driver>,
    /// Metrics counters, published at park, at the maintenance tick and
    /// when `block_on` gives the core back.
    stats: WorkerStats,
}

/// What the owning `Runtime` keeps.
pub(crate) struct CurrentThread {
    _private: (),
}

struct Context {
    handle: Arc<Handle>,
    core: RefCell<Option<Box<Core>>>,
}

thread_local! {
    static CURRENT: Scoped<Context> = const { Scoped::new() };
}

/// Calls `f` with this thread's scheduler context, if it runs one.
fn with_context<R>(f: impl FnOnce(Option<&Context>) -> R) -> R {
    scoped::with_local(&CURRENT, f)
}

impl CurrentThread {
    pub(crate) fn new(
        driver: Driver,
        driver_handle: DriverHandle,
        blocking_spawner: Spawner,
        config: Config,
    ) -> (CurrentThread, Arc<Handle>) {
        let handle = Arc::new(Handle {
            inject: Mutex::new(Some(VecDeque::new())),
            owned: OwnedTasks::new(1),
            core: Mutex::new(Some(Box::new(Core {
                tasks: VecDeque::with_capacity(64),
                tick: 0,
                driver: Some(driver),
                stats: WorkerStats::new(),
            }))),
            core_waiters: Mutex::new(Vec::new()),
            woken: AtomicBool::new(false),
            driver: driver_handle,
            blocking_spawner,
            config,
            metrics: SchedulerMetrics::new(1),
        });
        (CurrentThread { _private: () }, handle)
    }

    /// Drives `future` to completion on this thread, running spawned tasks
    /// while it is pending.
    pub(crate) fn block_on<F: Future>(&self, handle: &Arc<Handle>, future: F) -> F::Output {
        block_on_handle(handle, future)
    }

    /// Cancels every task and closes the queues.
    pub(crate) fn shutdown(&self, handle: &Arc<Handle>) {
        let core = handle.core.lock().take();
        let Some(mut core) = core else {
            // The core is out: we are inside `block_on` on this runtime (the
            // caller refused that) or a thread is stuck in it. Cancel tasks
            // from here; the holder drops its queue when it returns.
            handle.owned.close_and_shutdown_all(0);
            handle.close_inject();
            return;
        };
        let cx = Context {
            handle: handle.clone(),
            core: RefCell::new(None),
        };
        CURRENT.with(|c| {
            c.set(&cx, || {
                handle.owned.close_and_shutdown_all(0);
                core.tasks.clear();
                handle.close_inject();
                if let Some(mut driver) = core.driver.take() {
                    driver.shutdown();
                }
            })
        });
        assert!(handle.owned.is_empty(), "tasks left after shutdown");
    }
}

/// Drives `future` on this thread, running the runtime's tasks while it is
/// pending if no other thread is doing so.
pub(crate) fn block_on_handle<F: Future>(handle: &Arc<Handle>, future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    loop {
        // (Take the core in its own statement: the lock must not be held
        // while the core runs.)
        let core = handle.core.lock().take();
        if let Some(core) = core {
            return block_on_core(handle, core, future);
        }
        // Another thread drives the runtime. Poll our own future here,
        // and retry when the core is released.
        let woke = std::sync::Arc::new(CoreWaiter::new());
        let waker = Waker::from(woke.clone());
        handle.core_waiters.lock().push(waker.clone());
        if handle.core.lock().is_some() {
            continue;
        }
        let mut cx = TaskContext::from_waker(&waker);
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        woke.wait();
    }
}

/// A waiter for the core (or for its own future).
struct CoreWaiter {
    park: crate::park::ParkThread,
    unpark: crate::park::Unparker,
}

impl CoreWaiter {
    fn new() -> CoreWaiter {
        let park = crate::park::ParkThread::new();
        let unpark = park.unparker();
        CoreWaiter { park, unpark }
    }

    fn wait(&self) {
        self.park.park();
    }
}

impl Wake for CoreWaiter {
    fn wake(self: std::sync::Arc<Self>) {
        self.unpark.unpark();
    }
    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        self.unpark.unpark();
    }
}

/// Wakes the `block_on` future: flag + unpark the driver.
struct BlockOnWaker {
    handle: Arc<Handle>,
}

impl Wake for BlockOnWaker {
    fn wake(self: std::sync::Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        self.handle.woken.store(true, SeqCst);
        self.handle.driver.unpark();
    }
}

fn block_on_core<F: Future>(
    handle: &Arc<Handle>,
    mut core: Box<Core>,
    future: std::pin::Pin<&mut F>,
) -> F::Output {
    core.stats.start_busy();
    let cx = Context {
        handle: handle.clone(),
        core: RefCell::new(Some(core)),
    };
    CURRENT.with(|c| c.set(&cx, || drive(&cx, handle, future)))
}

/// The `block_on` loop: polls the main future when woken, runs tasks, parks.
fn drive<F: Future>(
    cx: &Context,
    handle: &Arc<Handle>,
    mut future: std::pin::Pin<&mut F>,
) -> F::Output {
    // Give the core back (and wake threads waiting for it) on the way out,
    // also on panic.
    struct ReturnCore<'a>(&'a Context);
    impl Drop for ReturnCore<'_> {
        fn drop(&mut self) {
            if let Some(mut core) = self.0.core.borrow_mut().take() {
                // No thread runs the runtime until the next `block_on`.
                core.stats.end_busy();
                core.publish_metrics(&self.0.handle);
                *self.0.handle.core.lock() = Some(core);
            }
            for waker in std::mem::take(&mut *self.0.handle.core_waiters.lock()) {
                waker.wake();
            }
        }
    }
    let _return = ReturnCore(cx);

    let waker = Waker::from(std::sync::Arc::new(BlockOnWaker {
        handle: handle.clone(),
    }));
    let mut task_cx = TaskContext::from_waker(&waker);
    handle.woken.store(true, SeqCst);
    let event_interval = handle.config.event_interval.max(1);
    let global_interval = handle.config.global_queue_interval.max(1);

    'outer: loop {
        if handle.woken.swap(false, SeqCst) {
            let res = coop::with_budget(coop::Budget::initial(), || {
                future.as_mut().poll(&mut task_cx)
            });
            if let Poll::Ready(out) = res {
                return out;
            }
        }
        for _ in 0..event_interval {
            let task = {
                let mut slot = cx.core.borrow_mut();
                let core = slot.as_mut().expect("core present while block_on runs");
                core.tick = core.tick.wrapping_add(1);
                let task = if core.tick % global_interval == 0 {
                    handle.pop_inject().or_else(|| core.tasks.pop_front())
                } else {
                    core.tasks.pop_front().or_else(|| handle.pop_inject())
                };
                if task.is_some() {
                    core.stats.inc_poll();
                }
                task
            };
            match task {
                Some(task) => coop::with_budget(coop::Budget::initial(), || task.run()),
                None => {
                    if handle.woken.load(SeqCst) {
                        // The main future woke itself (it yielded): turn the
                        // drivers without blocking, or a future that always
                        // yields would keep timers and I/O from ever firing.
                        cx.park_yield();
                    } else {
                        cx.park();
                    }
                    continue 'outer;
                }
            }
        }
        // Busy: let the main future and remote tasks in before continuing.
        cx.park_yield();
    }
}

impl Context {
    /// Sleeps on the driver until woken.
    fn park(&self) {
        let mut driver = {
            let mut slot = self.core.borrow_mut();
            slot.as_mut().and_then(|c| c.driver.take())
        };
        if let Some(f) = &self.handle.config.before_park {
            f();
        }
        if let Some(d) = driver.as_mut() {
            // Re-check after announcing nothing: remote pushes unpark the
            // driver after queueing, so a push that raced this check leaves
            // an unpark token and `park` returns at once.
            let idle = {
                let slot = self.core.borrow();
                slot.as_ref().is_some_and(|c| c.tasks.is_empty())
            } && self.handle.inject_is_empty();
            if idle {
                self.with_stats(|core| {
                    core.stats.end_busy();
                    core.stats.about_to_park();
                    core.publish_metrics(&self.handle);
                });
                d.park();
                self.with_stats(|core| {
                    core.stats.unparked();
                    core.stats.start_busy();
                });
            }
        }
        if let Some(f) = &self.handle.config.after_unpark {
            f();
        }
        if let Some(core) = self.core.borrow_mut().as_mut() {
            core.driver = driver;
        }
    }

    /// Polls the driver without blocking (also the maintenance tick).
    fn park_yield(&self) {
        let mut driver = {
            let mut slot = self.core.borrow_mut();
            slot.as_mut().and_then(|c| {
                c.stats.tick_busy();
                c.publish_metrics(&self.handle);
                c.driver.take()
            })
        };
        if let Some(d) = driver.as_mut() {
            d.park_timeout(std::time::Duration::ZERO);
        }
        if let Some(core) = self.core.borrow_mut().as_mut() {
            core.driver = driver;
        }
    }

    /// Runs `f` on the core's metrics, if this thread still holds the core.
    fn with_stats(&self, f: impl FnOnce(&mut Core)) {
        if let Some(core) = self.core.borrow_mut().as_mut() {
            f(core);
        }
    }
}

impl Core {
    fn publish_metrics(&self, handle: &Handle) {
        self.stats
            .publish(handle.metrics.worker(0), self.tasks.len());
    }
}

impl Handle {
    pub(crate) fn spawn<F, N>(
        me: &Arc<Handle>,
        future: F,
        name: N,
        id: task::Id,
        location: &'static std::panic::Location<'static>,
    ) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
        N: TaskName,
    {
        let (join, notified) = me.owned.bind(future, me.clone(), name, id, location);
        // (`None`: shut down, the task was cancelled on the spot.)
        if let Some(task) = notified {
            Handle::schedule_task::<true>(me, task);
        }
        join
    }

    pub(crate) fn global_queue_depth(&self) -> usize {
        self.inject.lock().as_ref().map_or(0, VecDeque::len)
    }

    fn pop_inject(&self) -> Option<Task> {
        self.inject.lock().as_mut()?.pop_front()
    }

    fn inject_is_empty(&self) -> bool {
        self.inject.lock().as_ref().is_none_or(|q| q.is_empty())
    }

    fn close_inject(&self) {
        let queue = self.inject.lock().take();
        drop(queue);
    }
}

impl Handle {
    /// Queues `task`: locally on the thread holding the core, otherwise on
    /// the injection queue. `IS_SPAWN` only matters to the metrics (a const
    /// parameter, so that the check costs nothing).
    fn schedule_task<const IS_SPAWN: bool>(me: &Arc<Handle>, task: Task) {
        let rejected = with_context(|cx| {
            let Some(cx) = cx.filter(|cx| Arc::ptr_eq(&cx.handle, me)) else {
                return Some(task);
            };
            let mut slot = cx.core.borrow_mut();
            match slot.as_mut() {
                Some(core) => {
                    core.stats.inc_local_schedule();
                    if IS_SPAWN {
                        core.stats.inc_spawned();
                    }
                    core.tasks.push_back(task);
                    None
                }
                None => Some(task),
            }
        });
        if let Some(task) = rejected {
            // Off the core's thread: not the hot path, shared counters.
            if IS_SPAWN {
                me.metrics.inc_remote_spawned();
            }
            let mut inject = me.inject.lock();
            if let Some(queue) = inject.as_mut() {
                queue.push_back(task);
                drop(inject);
                me.metrics.inc_remote_schedule();
                me.driver.unpark();
            }
            // Shut down: dropping the notification is all there is to do
            // (shutdown already cancelled the task).
        }
    }
}

impl Schedule for Arc<Handle> {
    fn schedule(&self, task: Task) {
        Handle::schedule_task::<false>(self, task);
    }

    fn release(&self, task: &task::Task<Self>) -> Option<task::Task<Self>> {
        self.owned.remove(task)
    }

    fn debugger(&self) -> Option<&task::Debugger> {
        self.config.debug.as_deref()
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("current_thread::Handle")
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for CurrentThread {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CurrentThread").finish_non_exhaustive()
    }
}
