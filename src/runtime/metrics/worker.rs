//! The counters: kept privately by a worker, published for readers.

use crossbeam_utils::CachePadded;
// Plain std atomics, not the loom facade: these are statistics that never
// order anything, so there is nothing for loom to explore.
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

/// A worker's counters as it keeps them: plain integers in its core,
/// touched only by the thread holding the core.
#[derive(Debug)]
pub(crate) struct WorkerStats {
    /// Busy time up to `busy_since` (or up to the last park if not busy).
    busy: Duration,
    /// Start of the current busy stretch; `None` while parked or while no
    /// thread holds the core.
    busy_since: Option<Instant>,
    park_count: u64,
    park_unpark_count: u64,
    noop_count: u64,
    /// `poll_count` when the worker last parked (to detect no-op wake-ups).
    polls_at_last_park: u64,
    steal_count: u64,
    steal_operations: u64,
    poll_count: u64,
    local_schedule_count: u64,
    lifo_count: u64,
    spawned: u64,
}

impl WorkerStats {
    pub(crate) fn new() -> WorkerStats {
        WorkerStats {
            busy: Duration::ZERO,
            busy_since: None,
            park_count: 0,
            park_unpark_count: 0,
            noop_count: 0,
            polls_at_last_park: 0,
            steal_count: 0,
            steal_operations: 0,
            poll_count: 0,
            local_schedule_count: 0,
            lifo_count: 0,
            spawned: 0,
        }
    }

    /// A thread took the core up (or the worker woke): busy from now,
    /// unless already busy (a core handed to a new thread by
    /// `block_in_place` stays busy across the hand-off).
    pub(crate) fn start_busy(&mut self) {
        if self.busy_since.is_none() {
            self.busy_since = Some(Instant::now());
        }
    }

    /// The worker stops being busy (it is about to park, or gives the core
    /// up).
    pub(crate) fn end_busy(&mut self) {
        if let Some(since) = self.busy_since.take() {
            self.busy += since.elapsed();
        }
    }

    /// Maintenance tick: account the busy time so far, so that a worker
    /// that never parks still shows it (lagging by one interval at most).
    pub(crate) fn tick_busy(&mut self) {
        if let Some(since) = self.busy_since {
            let now = Instant::now();
            self.busy += now.saturating_duration_since(since);
            self.busy_since = Some(now);
        }
    }

    /// The worker goes to sleep (once per actual sleep).
    pub(crate) fn about_to_park(&mut self) {
        // Every park but the first follows an unpark; if no task ran since
        // the previous park, that wake-up found nothing to do.
        if self.park_count > 0 && self.poll_count == self.polls_at_last_park {
            self.noop_count += 1;
        }
        self.polls_at_last_park = self.poll_count;
        self.park_count += 1;
        self.park_unpark_count += 1;
    }

    /// The worker woke from a sleep.
    pub(crate) fn unparked(&mut self) {
        self.park_unpark_count += 1;
    }

    #[inline]
    pub(crate) fn inc_poll(&mut self) {
        self.poll_count += 1;
    }

    /// A task run from the LIFO slot (counted in addition to the poll).
    #[inline]
    pub(crate) fn inc_lifo(&mut self) {
        self.lifo_count += 1;
    }

    #[inline]
    pub(crate) fn inc_local_schedule(&mut self) {
        self.local_schedule_count += 1;
    }

    #[inline]
    pub(crate) fn inc_spawned(&mut self) {
        self.spawned += 1;
    }

    /// One successful steal that took `tasks` tasks.
    pub(crate) fn add_steal(&mut self, tasks: u64) {
        self.steal_operations += 1;
        self.steal_count += tasks;
    }

    /// Copies the counters to `to` (this worker's block) for readers.
    /// `queue_depth` is published for schedulers whose local queue readers
    /// cannot see directly.
    pub(crate) fn publish(&self, to: &WorkerMetrics, queue_depth: usize) {
        let busy = u64::try_from(self.busy.as_nanos()).unwrap_or(u64::MAX);
        to.busy_ns.store(busy, Relaxed);
        to.park_count.store(self.park_count, Relaxed);
        to.park_unpark_count.store(self.park_unpark_count, Relaxed);
        to.noop_count.store(self.noop_count, Relaxed);
        to.steal_count.store(self.steal_count, Relaxed);
        to.steal_operations.store(self.steal_operations, Relaxed);
        to.poll_count.store(self.poll_count, Relaxed);
        to.local_schedule_count
            .store(self.local_schedule_count, Relaxed);
        to.lifo_count.store(self.lifo_count, Relaxed);
        to.spawned.store(self.spawned, Relaxed);
        to.queue_depth.store(queue_depth as u64, Relaxed);
    }
}

/// A worker's published counters: written (`Relaxed` stores) only by the
/// thread holding that worker's core, read by anyone.
#[derive(Debug, Default)]
pub(crate) struct WorkerMetrics {
    busy_ns: AtomicU64,
    park_count: AtomicU64,
    park_unpark_count: AtomicU64,
    noop_count: AtomicU64,
    steal_count: AtomicU64,
    steal_operations: AtomicU64,
    poll_count: AtomicU64,
    local_schedule_count: AtomicU64,
    lifo_count: AtomicU64,
    spawned: AtomicU64,
    queue_depth: AtomicU64,
}

impl WorkerMetrics {
    pub(crate) fn busy_duration(&self) -> Duration {
        Duration::from_nanos(self.busy_ns.load(Relaxed))
    }

    pub(crate) fn park_count(&self) -> u64 {
        self.park_count.load(Relaxed)
    }

    pub(crate) fn park_unpark_count(&self) -> u64 {
        self.park_unpark_count.load(Relaxed)
    }

    pub(crate) fn noop_count(&self) -> u64 {
        self.noop_count.load(Relaxed)
    }

    pub(crate) fn steal_count(&self) -> u64 {
        self.steal_count.load(Relaxed)
    }

    pub(crate) fn steal_operations(&self) -> u64 {
        self.steal_operations.load(Relaxed)
    }

    pub(crate) fn poll_count(&self) -> u64 {
        self.poll_count.load(Relaxed)
    }

    pub(crate) fn local_schedule_count(&self) -> u64 {
        self.local_schedule_count.load(Relaxed)
    }

    pub(crate) fn lifo_count(&self) -> u64 {
        self.lifo_count.load(Relaxed)
    }

    pub(crate) fn spawned(&self) -> u64 {
        self.spawned.load(Relaxed)
    }

    /// The local queue length as of the last publication.
    pub(crate) fn queue_depth(&self) -> usize {
        usize::try_from(self.queue_depth.load(Relaxed)).unwrap_or(usize::MAX)
    }
}

/// A scheduler's metrics: one padded block per worker (so workers never
/// share a cache line) plus counters for events off any worker.
#[derive(Debug)]
pub(crate) struct SchedulerMetrics {
    workers: Box<[CachePadded<WorkerMetrics>]>,
    remote: CachePadded<RemoteCounters>,
}

#[derive(Debug, Default)]
struct RemoteCounters {
    /// Tasks spawned from outside any worker of this runtime.
    spawned: AtomicU64,
    /// Tasks scheduled through the global (injection) queue.
    schedules: AtomicU64,
}

impl SchedulerMetrics {
    pub(crate) fn new(num_workers: usize) -> SchedulerMetrics {
        SchedulerMetrics {
            workers: (0..num_workers).map(|_| CachePadded::default()).collect(),
            remote: CachePadded::default(),
        }
    }

    pub(crate) fn num_workers(&self) -> usize {
        self.workers.len()
    }

    /// Worker `index`'s block; panics with a clear message if there is no
    /// such worker.
    #[track_caller]
    pub(crate) fn worker(&self, index: usize) -> &WorkerMetrics {
        match self.workers.get(index) {
            Some(w) => w,
            None => panic!(
                "worker index {index} out of range: the runtime has {} worker(s)",
                self.workers.len()
            ),
        }
    }

    /// A task was spawned off any worker.
    pub(crate) fn inc_remote_spawned(&self) {
        self.remote.spawned.fetch_add(1, Relaxed);
    }

    /// A task was queued on the global queue.
    pub(crate) fn inc_remote_schedule(&self) {
        self.remote.schedules.fetch_add(1, Relaxed);
    }

    pub(crate) fn spawned_tasks_count(&self) -> u64 {
        let local: u64 = self.workers.iter().map(|w| w.spawned()).sum();
        local + self.remote.spawned.load(Relaxed)
    }

    pub(crate) fn remote_schedule_count(&self) -> u64 {
        self.remote.schedules.load(Relaxed)
    }
}
