//! The worker loop of the multi-thread scheduler.

use super::park::{Parker, SharedDriver, Unparker};
use super::Handle;
use crate::coop;
use crate::loom::sync::Arc;
use crate::runtime::blocking::{BlockingSchedule, BlockingTask};
use crate::runtime::config::Config;
use crate::runtime::context;
use crate::runtime::driver::Driver;
use crate::runtime::metrics::WorkerStats;
use crate::runtime::scheduler;
use crate::runtime::scheduler::scoped::{self, Scoped};
use crate::runtime::task::{self, Notified};
use crossbeam_deque::{Steal, Stealer, Worker as LocalQueue};
use std::cell::RefCell;

type Task = Notified<Arc<Handle>>;

/// Most tasks run from the LIFO slot in a row before the local queue gets a
/// turn (a ping-pong pair must not starve everything else).
const MAX_LIFO_POLLS_PER_TICK: u32 = 3;

/// Why a task is being scheduled: yields skip the LIFO slot, spawns are
/// counted. A const parameter (one of the constants below), so that each
/// caller's checks fold away: an enum parameter cost a few instructions per
/// schedule and changed inlining on the spawn path (callgrind, spawn-heavy
/// probe).
pub(super) type ScheduleKind = u8;
pub(super) const WAKE: ScheduleKind = 0;
pub(super) const YIELD: ScheduleKind = 1;
pub(super) const SPAWN: ScheduleKind = 2;

/// Everything a worker needs to run tasks; owned by one thread at a time.
pub(super) struct Core {
    index: usize,
    tick: u32,
    lifo_slot: Option<Task>,
    run_queue: LocalQueue<Task>,
    is_searching: bool,
    is_shutdown: bool,
    /// `None` while the worker is parked (or polling the driver): the core
    /// then sits in the context so that tasks woken by the driver land in
    /// this worker's queues.
    park: Option<Parker>,
    rand: FastRand,
    global_queue_interval: u32,
    event_interval: u32,
    lifo_enabled: bool,
    /// Metrics counters, published at park and maintenance (plain fields:
    /// only the core's holder touches them).
    stats: WorkerStats,
}

/// The thread-local state of a running worker.
struct Context {
    handle: Arc<Handle>,
    index: usize,
    /// The core while the worker holds it; `None` after `block_in_place`
    /// handed it to another thread.
    core: RefCell<Option<Box<Core>>>,
}

thread_local! {
    static CURRENT: Scoped<Context> = const { Scoped::new() };
}

/// Calls `f` with this thread's scheduler context, if it runs one.
fn with_context<R>(f: impl FnOnce(Option<&Context>) -> R) -> R {
    scoped::with_local(&CURRENT, f)
}

impl Core {
    pub(super) fn new(
        index: usize,
        driver: Arc<SharedDriver>,
        config: &Config,
    ) -> (Box<Core>, Stealer<Task>, Unparker) {
        let run_queue = LocalQueue::new_fifo();
        let steal = run_queue.stealer();
        let park = Parker::new(driver);
        let unpark = park.unparker();
        let core = Box::new(Core {
            index,
            tick: 0,
            lifo_slot: None,
            run_queue,
            is_searching: false,
            is_shutdown: false,
            park: Some(park),
            rand: FastRand::new(index as u64 + 1),
            global_queue_interval: config.global_queue_interval.max(1),
            event_interval: config.event_interval.max(1),
            lifo_enabled: config.lifo_slot,
            stats: WorkerStats::new(),
        });
        (core, steal, unpark)
    }

    /// Drops every queued notification (shutdown).
    pub(super) fn drain(&mut self) {
        drop(self.lifo_slot.take());
        while let Some(task) = self.run_queue.pop() {
            drop(task);
        }
    }

    pub(super) fn take_driver(&self) -> Option<Driver> {
        self.park.as_ref().and_then(Parker::take_driver)
    }

    fn next_task(&mut self, handle: &Handle) -> Option<Task> {
        if self.tick % self.global_queue_interval == 0 {
            if let Some(task) = self.next_remote_task(handle) {
                return Some(task);
            }
        }
        if let Some(task) = self.lifo_slot.take() {
            self.stats.inc_lifo();
            return Some(task);
        }
        if let Some(task) = self.run_queue.pop() {
            return Some(task);
        }
        self.next_remote_task(handle)
    }

    /// A batch from the injection queue: one to run, the rest into the local
    /// queue (where others can steal them).
    fn next_remote_task(&mut self, handle: &Handle) -> Option<Task> {
        loop {
            match handle.shared.inject.steal_batch_and_pop(&self.run_queue) {
                Steal::Success(task) => return Some(task),
                Steal::Empty => return None,
                Steal::Retry => crate::loom::spin_loop(),
            }
        }
    }

    fn steal_work(&mut self, handle: &Handle) -> Option<Task> {
        if !self.transition_to_searching(handle) {
            return None;
        }
        let remotes = &handle.shared.remotes;
        let n = remotes.len();
        let start = self.rand.below(n);
        for i in 0..n {
            let victim = (start + i) % n;
            if victim == self.index {
                continue;
            }
            loop {
                let before = self.run_queue.len();
                match remotes[victim].steal.steal_batch_and_pop(&self.run_queue) {
                    Steal::Success(task) => {
                        // The batch went to our queue, plus the one returned.
                        let moved = self.run_queue.len().saturating_sub(before);
                        self.stats.add_steal(moved as u64 + 1);
                        return Some(task);
                    }
                    Steal::Empty => break,
                    Steal::Retry => crate::loom::spin_loop(),
                }
            }
        }
        self.next_remote_task(handle)
    }

    fn transition_to_searching(&mut self, handle: &Handle) -> bool {
        if !self.is_searching {
            self.is_searching = handle.shared.idle.transition_worker_to_searching();
        }
        self.is_searching
    }

    fn transition_from_searching(&mut self, handle: &Handle) {
        if !self.is_searching {
            return;
        }
        self.is_searching = false;
        if handle.shared.idle.transition_worker_from_searching() {
            // We were the last searcher and found work: there may be more,
            // so wake someone else to look.
            handle.notify_parked();
        }
    }

    fn has_local_work(&self) -> bool {
        self.lifo_slot.is_some() || !self.run_queue.is_empty()
    }

    /// Returns false if the worker must not sleep (it has work).
    fn transition_to_parked(&mut self, handle: &Handle) -> bool {
        if self.has_local_work() || handle.is_shutdown() {
            return false;
        }
        let was_last_searcher = handle
            .shared
            .idle
            .transition_worker_to_parked(self.index, self.is_searching);
        self.is_searching = false;
        if was_last_searcher {
            handle.notify_if_work_pending();
        }
        true
    }

    /// True if the worker should get up (it was notified, or has work).
    fn transition_from_parked(&mut self, handle: &Handle) -> bool {
        if self.has_local_work() {
            // Work arrived while parked (e.g. through the driver): get up on
            // our own; if a notifier already took us out we are searching.
            self.is_searching = !handle.shared.idle.unpark_worker_by_id(self.index);
            return true;
        }
        if handle.shared.idle.is_parked(self.index) {
            return false;
        }
        // A notifier took us out of the sleepers list and counted us as
        // searching.
        self.is_searching = true;
        true
    }
}

/// Starts a thread (from the blocking pool) that runs worker `index`.
pub(super) fn spawn_worker<C>(handle: &Arc<Handle>, index: usize, cx: &C) -> std::io::Result<()>
where
    C: crate::runtime::blocking::EnterContext,
{
    let h = handle.clone();
    let (notified, join) = task::unowned(
        BlockingTask::new(move || run(h, index)),
        BlockingSchedule::unlisted(),
        (),
        task::Id::next(),
        std::panic::Location::caller(),
    );
    drop(join);
    handle
        .blocking_spawner
        .spawn(notified, true, cx)
        .map_err(std::io::Error::from)
}

/// The body of a worker thread.
fn run(handle: Arc<Handle>, index: usize) {
    let Some(mut core) = handle.shared.worker_slots[index].lock().take() else {
        return;
    };
    let rt = scheduler::Handle::MultiThread(handle.clone());
    let _current = context::set_current(&rt);
    let Some(_enter) = crate::enter::try_enter(true) else {
        panic!("a weave worker thread was started inside another runtime");
    };
    core.stats.start_busy();
    let cx = Context {
        handle,
        index,
        core: RefCell::new(None),
    };
    // `run_loop` returns when the core is gone: shut down, or handed off by
    // `block_in_place` to another thread.
    CURRENT.with(|c| {
        c.set(&cx, || {
            let _ = cx.run_loop(core);
        })
    });
}

impl Context {
    fn run_loop(&self, mut core: Box<Core>) -> Result<Box<Core>, ()> {
        let handle = &*self.handle;
        while !core.is_shutdown {
            core.tick = core.tick.wrapping_add(1);
            if core.tick % core.event_interval == 0 {
                core = self.maintenance(core);
            }
            if let Some(task) = core.next_task(handle) {
                core = self.run_task(task, core)?;
                continue;
            }
            if let Some(task) = core.steal_work(handle) {
                core = self.run_task(task, core)?;
                continue;
            }
            core = self.park(core);
        }
        self.shutdown_core(core);
        Err(())
    }

    fn maintenance(&self, mut core: Box<Core>) -> Box<Core> {
        // Off the hot path (once per `event_interval` ticks, next to a
        // driver poll): bring the published metrics up to date.
        core.stats.tick_busy();
        self.publish_metrics(&core);
        // A busy runtime still fires its timers and sees I/O on time.
        let mut core = self.with_core_parked(core, |p| p.poll_driver());
        if self.handle.is_shutdown() {
            core.is_shutdown = true;
        }
        self.notify_if_stealable(&core);
        core
    }

    /// Runs `f` on the core's parker with the core stored in the context,
    /// so that tasks the driver wakes go to this worker's LIFO slot and queue
    /// (it is about to run them) instead of the global queue plus a wake-up
    /// of another worker. `schedule_local` sees `park == None` and does not
    /// notify anyone; the caller decides afterwards.
    fn with_core_parked(&self, mut core: Box<Core>, f: impl FnOnce(&mut Parker)) -> Box<Core> {
        let mut park = core.park.take().expect("parker present outside park");
        *self.core.borrow_mut() = Some(core);
        f(&mut park);
        let mut core = self
            .core
            .borrow_mut()
            .take()
            .expect("the core stays in place while parked");
        core.park = Some(park);
        core
    }

    /// More than one task arrived while we turned the driver: the queue
    /// (not the LIFO slot) is stealable, so let another worker help.
    fn notify_if_stealable(&self, core: &Core) {
        if !core.run_queue.is_empty() {
            self.handle.notify_parked();
        }
    }

    fn publish_metrics(&self, core: &Core) {
        core.stats
            .publish(self.handle.shared.metrics.worker(core.index), 0);
    }

    fn run_task(&self, task: Task, mut core: Box<Core>) -> Result<Box<Core>, ()> {
        core.transition_from_searching(&self.handle);
        core.stats.inc_poll();
        *self.core.borrow_mut() = Some(core);
        coop::with_budget(coop::Budget::initial(), || {
            task.run();
            let mut lifo_polls = 0;
            loop {
                // block_in_place may have taken the core.
                let Some(mut core) = self.core.borrow_mut().take() else {
                    return Err(());
                };
                let Some(task) = core.lifo_slot.take() else {
                    return Ok(core);
                };
                if lifo_polls >= MAX_LIFO_POLLS_PER_TICK || !coop::has_budget_remaining() {
                    // Let the queue have a turn; the task is stealable there.
                    core.run_queue.push(task);
                    self.handle.notify_parked();
                    return Ok(core);
                }
                lifo_polls += 1;
                core.stats.inc_poll();
                core.stats.inc_lifo();
                *self.core.borrow_mut() = Some(core);
                task.run();
            }
        })
    }

    fn park(&self, mut core: Box<Core>) -> Box<Core> {
        if let Some(f) = &self.handle.config.before_park {
            f();
        }
        if core.transition_to_parked(&self.handle) {
            core.stats.end_busy();
            while !core.is_shutdown {
                core.stats.about_to_park();
                self.publish_metrics(&core);
                core = self.with_core_parked(core, Parker::park);
                core.stats.unparked();
                if self.handle.is_shutdown() {
                    core.is_shutdown = true;
                    break;
                }
                if core.transition_from_parked(&self.handle) {
                    self.notify_if_stealable(&core);
                    break;
                }
            }
            core.stats.start_busy();
        }
        if self.handle.is_shutdown() {
            core.is_shutdown = true;
        }
        if let Some(f) = &self.handle.config.after_unpark {
            f();
        }
        core
    }

    fn shutdown_core(&self, mut core: Box<Core>) {
        core.stats.end_busy();
        self.publish_metrics(&core);
        // Cancel every task of the runtime, sharing the work with the other
        // workers (they start at other shards).
        self.handle.shared.owned.close_and_shutdown_all(self.index);
        core.drain();
        match self.handle.shared.shutdown_cores.lock().as_mut() {
            Some(cores) => cores.push(core),
            // The runtime already finished shutting down without us.
            None => drop(core),
        }
    }
}

/// Schedules `task` on the current worker's core if this thread runs a
/// worker of `handle`; otherwise gives the task back.
pub(super) fn schedule_local<const KIND: ScheduleKind>(
    handle: &Arc<Handle>,
    task: Task,
) -> Result<(), Task> {
    with_context(|cx| {
        let Some(cx) = cx else { return Err(task) };
        if !Arc::ptr_eq(&cx.handle, handle) {
            return Err(task);
        }
        let mut slot = cx.core.borrow_mut();
        let Some(core) = slot.as_mut() else {
            return Err(task);
        };
        if core.is_shutdown {
            // The worker is draining: hand the task to the global queue,
            // which the final shutdown step empties.
            return Err(task);
        }
        core.stats.inc_local_schedule();
        if KIND == SPAWN {
            core.stats.inc_spawned();
        }
        let is_yield = KIND == YIELD;
        let should_notify = if core.park.is_none() {
            // This worker is turning the driver and will look at its queues
            // as soon as it returns (see `Context::with_core_parked`).
            if !core.lifo_enabled || is_yield {
                core.run_queue.push(task);
            } else if let Some(prev) = core.lifo_slot.replace(task) {
                core.run_queue.push(prev);
            }
            false
        } else if is_yield {
            // This worker picks a yielded task up again itself; another
            // worker is only worth waking if there is more to share.
            core.run_queue.push(task);
            core.run_queue.len() > 1
        } else if !core.lifo_enabled {
            core.run_queue.push(task);
            true
        } else {
            match core.lifo_slot.replace(task) {
                Some(prev) => {
                    core.run_queue.push(prev);
                    true
                }
                None => false,
            }
        };
        drop(slot);
        if should_notify {
            // Stealable work appeared: make sure someone is looking.
            handle.notify_parked();
        }
        Ok(())
    })
}

/// Runs `f` on the current thread after handing this worker's queue to a
/// new thread, so the other tasks keep running.
pub(crate) fn block_in_place<F: FnOnce() -> R, R>(f: F) -> R {
    let handed_off = with_context(|cx| {
        let cx = cx?;
        let mut core = cx.core.borrow_mut().take()?;
        // The LIFO slot cannot be stolen: move it where the next thread
        // (or a stealer) will find it.
        if let Some(task) = core.lifo_slot.take() {
            core.run_queue.push(task);
        }
        let handle = cx.handle.clone();
        let index = cx.index;
        *handle.shared.worker_slots[index].lock() = Some(core);
        if let Err(e) = spawn_worker(&handle, index, &()) {
            // No thread for the core: take it back and block this worker.
            let core = handle.shared.worker_slots[index].lock().take();
            *cx.core.borrow_mut() = core;
            let _ = e;
            return None;
        }
        Some(())
    });
    // Without a hand-off (inside `block_on`, or no thread could be started)
    // the closure still runs with blocking allowed, as the caller asked.
    let _ = handed_off;
    crate::enter::exit_runtime(f)
}

/// A small xorshift generator for picking steal victims.
struct FastRand {
    state: u64,
}

impl FastRand {
    fn new(seed: u64) -> FastRand {
        FastRand {
            state: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1,
        }
    }

    fn below(&mut self, n: usize) -> usize {
        let mut x = self.state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.state = x;
        ((x >> 32) as usize * n) >> 32
    }
}
