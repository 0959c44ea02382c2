//! The work-stealing multi-thread scheduler.
//!
//! Each worker owns a [`Core`](worker): a local FIFO run queue (a
//! crossbeam-deque `Worker`, stealable by the others through its `Stealer`), a
//! LIFO slot for the task most recently woken by the running task, and a
//! parker. Tasks scheduled from outside a worker go to the global injection
//! queue. A worker looks for work in this order: every
//! `global_queue_interval` ticks the injection queue first (so remote tasks
//! are not starved by a busy local queue); otherwise the LIFO slot, the local
//! queue, then a batch from the injection queue; then it steals half of a
//! random victim's queue; then it parks.
//!
//! Workers run as mandatory tasks on the blocking pool, which lets
//! `block_in_place` hand a worker's core to a fresh thread and keep the
//! current thread for the blocking call.
//!
//! Invariants:
//! - A core is owned by exactly one thread at a time (a worker loop, a
//!   worker slot waiting for a thread, or the shutdown list).
//! - Every task scheduled while the runtime runs is eventually run: local
//!   pushes are visible to stealers, remote pushes wake a sleeper (see
//!   `idle.rs` for the no-lost-wake-up argument).
//! - Shutdown: workers see the flag, cancel every owned task (dropping its
//!   future on the worker), return their cores, and exit; the runtime then
//!   drops whatever notifications remain in the queues.

mod idle;
mod park;
mod worker;

use self::idle::Idle;
use self::park::{SharedDriver, Unparker};
use self::worker::{Core, ScheduleKind, SPAWN, WAKE, YIELD};
use crate::loom::sync::atomic::{fence, AtomicBool, Ordering::SeqCst};
use crate::loom::sync::{Arc, Mutex};
use crate::runtime::blocking::Spawner;
use crate::runtime::config::Config;
use crate::runtime::driver::{Driver, DriverHandle};
use crate::runtime::metrics::SchedulerMetrics;
use crate::runtime::task::{self, JoinHandle, Notified, OwnedTasks, Schedule, TaskName};
use crossbeam_deque::{Injector, Stealer};
use std::fmt;
use std::future::Future;

pub(crate) use worker::block_in_place;

/// The scheduler's shared state, referenced by every task it owns.
pub(crate) struct Handle {
    shared: Shared,
    pub(crate) driver: DriverHandle,
    pub(crate) blocking_spawner: Spawner,
    pub(crate) config: Config,
}

struct Shared {
    remotes: Box<[Remote]>,
    inject: Injector<Notified<Arc<Handle>>>,
    idle: Idle,
    owned: OwnedTasks<Arc<Handle>>,
    /// Cores waiting for a thread to run them (at start, and after
    /// `block_in_place` handed one off).
    worker_slots: Box<[Mutex<Option<Box<Core>>>]>,
    /// Cores of workers that have shut down; `None` once the runtime's
    /// final shutdown step ran (a worker that stops later, after a
    /// `shutdown_timeout` expired, drains its own core).
    #[allow(clippy::vec_box)] // cores move between owners as boxes
    shutdown_cores: Mutex<Option<Vec<Box<Core>>>>,
    is_shutdown: AtomicBool,
    /// Published per-worker counters (see `runtime::metrics`).
    metrics: SchedulerMetrics,
}

struct Remote {
    steal: Stealer<Notified<Arc<Handle>>>,
    unpark: Unparker,
}

/// What the owning `Runtime` keeps: launches workers, shuts them down.
pub(crate) struct MultiThread {
    _private: (),
}

impl MultiThread {
    /// Creates the scheduler; the workers start with [`launch`](Self::launch).
    pub(crate) fn new(
        num_workers: usize,
        driver: Driver,
        driver_handle: DriverHandle,
        blocking_spawner: Spawner,
        config: Config,
    ) -> (MultiThread, Arc<Handle>) {
        let shared_driver = SharedDriver::new(driver, driver_handle.clone());
        let mut remotes = Vec::with_capacity(num_workers);
        let mut slots = Vec::with_capacity(num_workers);
        for index in 0..num_workers {
            let (core, steal, unpark) = Core::new(index, shared_driver.clone(), &config);
            remotes.push(Remote { steal, unpark });
            slots.push(Mutex::new(Some(core)));
        }
        let handle = Arc::new(Handle {
            shared: Shared {
                remotes: remotes.into_boxed_slice(),
                inject: Injector::new(),
                idle: Idle::new(num_workers),
                owned: OwnedTasks::new(num_workers * 4),
                worker_slots: slots.into_boxed_slice(),
                shutdown_cores: Mutex::new(Some(Vec::with_capacity(num_workers))),
                is_shutdown: AtomicBool::new(false),
                metrics: SchedulerMetrics::new(num_workers),
            },
            driver: driver_handle,
            blocking_spawner,
            config,
        });
        (MultiThread { _private: () }, handle)
    }

    /// Starts one thread per worker on the blocking pool.
    pub(crate) fn launch<C>(&self, handle: &Arc<Handle>, cx: &C) -> std::io::Result<()>
    where
        C: crate::runtime::blocking::EnterContext,
    {
        for index in 0..handle.shared.remotes.len() {
            worker::spawn_worker(handle, index, cx)?;
        }
        Ok(())
    }

    /// Step 1 of shutdown: tell every worker to stop.
    pub(crate) fn signal_shutdown(&self, handle: &Handle) {
        handle.signal_shutdown();
    }

    /// Step 2, after the worker threads are gone (the blocking pool was shut
    /// down): cancel any task no worker reached and drop queued
    /// notifications.
    pub(crate) fn finish_shutdown(&self, handle: &Handle) {
        handle.shared.owned.close_and_shutdown_all(0);
        let mut cores: Vec<Box<Core>> = handle
            .shared
            .shutdown_cores
            .lock()
            .take()
            .unwrap_or_default();
        for slot in handle.shared.worker_slots.iter() {
            cores.extend(slot.lock().take());
        }
        for core in cores.iter_mut() {
            core.drain();
        }
        handle.drain_inject();
        if let Some(mut driver) = cores.first().and_then(|core| core.take_driver()) {
            driver.shutdown();
        }
    }
}

fn steal_one<T>(inject: &Injector<T>) -> Option<T> {
    loop {
        match inject.steal() {
            crossbeam_deque::Steal::Success(t) => return Some(t),
            crossbeam_deque::Steal::Empty => return None,
            crossbeam_deque::Steal::Retry => crate::loom::spin_loop(),
        }
    }
}

impl Handle {
    /// Every live task of this runtime.
    pub(crate) fn owned(&self) -> &OwnedTasks<Arc<Handle>> {
        &self.shared.owned
    }

    /// Spawns a task on this runtime.
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
        let (join, notified) = me.shared.owned.bind(future, me.clone(), name, id, location);
        // (`None`: shut down, the task was cancelled on the spot.)
        if let Some(task) = notified {
            Handle::schedule_task::<SPAWN>(me, task);
        }
        join
    }

    fn schedule_task<const KIND: ScheduleKind>(me: &Arc<Handle>, task: Notified<Arc<Handle>>) {
        if let Err(task) = worker::schedule_local::<KIND>(me, task) {
            if KIND == SPAWN {
                // Counted here, off any worker of ours (a worker counts its
                // own spawns in its core).
                me.shared.metrics.inc_remote_spawned();
            }
            me.push_remote(task);
        }
    }

    fn push_remote(&self, task: Notified<Arc<Handle>>) {
        self.shared.metrics.inc_remote_schedule();
        self.shared.inject.push(task);
        // Pairs with the fence in `signal_shutdown`: either shutdown's final
        // drain sees this task, or we see the flag and drain it ourselves.
        // Otherwise a notification queued after the drain would keep its
        // (already cancelled) task, and with it this handle, alive forever.
        fence(SeqCst);
        if self.is_shutdown() {
            self.drain_inject();
            return;
        }
        // The fence above also orders the push before the idle check.
        if let Some(index) = self.shared.idle.worker_to_notify_after_fence() {
            self.shared.remotes[index].unpark.unpark();
        }
    }

    fn drain_inject(&self) {
        while let Some(task) = steal_one(&self.shared.inject) {
            drop(task);
        }
    }

    /// Wakes one sleeping worker if nobody is searching for work.
    fn notify_parked(&self) {
        if let Some(index) = self.shared.idle.worker_to_notify() {
            self.shared.remotes[index].unpark.unpark();
        }
    }

    /// The last searcher went to sleep: make sure no queued work is left
    /// without an awake worker.
    fn notify_if_work_pending(&self) {
        let pending = self.shared.remotes.iter().any(|r| !r.steal.is_empty())
            || !self.shared.inject.is_empty();
        if pending {
            self.notify_parked();
        }
    }

    fn signal_shutdown(&self) {
        self.shared.is_shutdown.store(true, SeqCst);
        fence(SeqCst);
        for remote in self.shared.remotes.iter() {
            remote.unpark.unpark();
        }
    }

    fn is_shutdown(&self) -> bool {
        self.shared.is_shutdown.load(SeqCst)
    }

    pub(crate) fn num_workers(&self) -> usize {
        self.shared.remotes.len()
    }

    pub(crate) fn metrics(&self) -> &SchedulerMetrics {
        &self.shared.metrics
    }

    pub(crate) fn global_queue_depth(&self) -> usize {
        self.shared.inject.len()
    }

    /// Length of worker `index`'s run queue, read through its stealer.
    pub(crate) fn worker_local_queue_depth(&self, index: usize) -> usize {
        self.shared.remotes[index].steal.len()
    }
}

impl Schedule for Arc<Handle> {
    fn schedule(&self, task: Notified<Self>) {
        Handle::schedule_task::<WAKE>(self, task);
    }

    fn yield_now(&self, task: Notified<Self>) {
        Handle::schedule_task::<YIELD>(self, task);
    }

    fn release(&self, task: &task::Task<Self>) -> Option<task::Task<Self>> {
        self.shared.owned.remove(task)
    }

    fn debugger(&self) -> Option<&task::Debugger> {
        self.config.debug.as_deref()
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("multi_thread::Handle")
            .field("workers", &self.num_workers())
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for MultiThread {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MultiThread").finish_non_exhaustive()
    }
}
