//! The public view of a runtime's metrics.

use super::{SchedulerMetrics, WorkerMetrics};
use crate::runtime::scheduler;
use std::time::Duration;

/// A runtime's metrics, readable from any thread.
///
/// Obtained with [`Handle::metrics`](crate::runtime::Handle::metrics) or
/// [`Runtime::metrics`](crate::runtime::Runtime::metrics); cheap to clone
/// (it holds a handle to the runtime). The names are Tokio's, stable and
/// unstable ones alike, plus weave's own
/// [`worker_lifo_count`](Self::worker_lifo_count).
///
/// Metrics are always collected: each worker counts in plain fields of its
/// own and publishes them when it parks and at its periodic maintenance
/// tick (every `event_interval` scheduler ticks). A counter of a busy worker
/// may therefore lag by up to one maintenance interval; once the worker has
/// parked it is exact. Values of different workers are not one atomic
/// snapshot.
///
/// Per-worker methods take a worker index in `0..num_workers()` and panic
/// for any other. The current-thread runtime has one worker, index 0: the
/// thread inside `block_on`.
///
/// ```
/// let rt = weave::runtime::Builder::new_multi_thread()
///     .worker_threads(2)
///     .build()
///     .unwrap();
/// let metrics = rt.metrics();
/// assert_eq!(metrics.num_workers(), 2);
/// rt.block_on(async { weave::spawn(async {}).await.unwrap() });
/// assert!(metrics.spawned_tasks_count() >= 1);
/// ```
#[derive(Clone, Debug)]
pub struct RuntimeMetrics {
    handle: scheduler::Handle,
}

impl RuntimeMetrics {
    pub(crate) fn new(handle: scheduler::Handle) -> RuntimeMetrics {
        RuntimeMetrics { handle }
    }

    fn scheduler(&self) -> &SchedulerMetrics {
        match &self.handle {
            scheduler::Handle::CurrentThread(h) => &h.metrics,
            scheduler::Handle::MultiThread(h) => h.metrics(),
        }
    }

    #[track_caller]
    fn worker(&self, worker: usize) -> &WorkerMetrics {
        self.scheduler().worker(worker)
    }

    /// Number of worker threads (1 for the current-thread runtime).
    pub fn num_workers(&self) -> usize {
        self.scheduler().num_workers()
    }

    /// Tasks spawned and not yet finished (blocking tasks not included).
    pub fn num_alive_tasks(&self) -> usize {
        match &self.handle {
            scheduler::Handle::CurrentThread(h) => h.owned.len(),
            scheduler::Handle::MultiThread(h) => h.owned().len(),
        }
    }

    /// Tasks waiting now in the global queue (scheduled from outside the workers).
    pub fn global_queue_depth(&self) -> usize {
        match &self.handle {
            scheduler::Handle::CurrentThread(h) => h.global_queue_depth(),
            scheduler::Handle::MultiThread(h) => h.global_queue_depth(),
        }
    }

    /// Total time the worker has spent awake (from unpark to park), never reset.
    #[track_caller]
    pub fn worker_total_busy_duration(&self, worker: usize) -> Duration {
        self.worker(worker).busy_duration()
    }

    /// Times the worker went to sleep for lack of work.
    #[track_caller]
    pub fn worker_park_count(&self, worker: usize) -> u64 {
        self.worker(worker).park_count()
    }

    /// Parks plus unparks of the worker: odd while it sleeps, even while awake.
    #[track_caller]
    pub fn worker_park_unpark_count(&self, worker: usize) -> u64 {
        self.worker(worker).park_unpark_count()
    }

    /// Tasks spawned on this runtime since it was built (blocking tasks, and spawns
    /// after shutdown, which are cancelled on the spot, not included).
    pub fn spawned_tasks_count(&self) -> u64 {
        self.scheduler().spawned_tasks_count()
    }

    /// Tasks queued through the global queue, i.e. spawned or woken from outside the workers.
    pub fn remote_schedule_count(&self) -> u64 {
        self.scheduler().remote_schedule_count()
    }

    /// Threads of the blocking pool, not counting the ones running workers.
    pub fn num_blocking_threads(&self) -> usize {
        let (threads, _, _) = self.handle.blocking_spawner().metrics();
        threads.saturating_sub(self.worker_threads())
    }

    /// Blocking-pool threads waiting for a `spawn_blocking` job.
    pub fn num_idle_blocking_threads(&self) -> usize {
        let (_, idle, _) = self.handle.blocking_spawner().metrics();
        idle
    }

    /// `spawn_blocking` jobs waiting now for a free blocking thread.
    pub fn blocking_queue_depth(&self) -> usize {
        let (_, _, queued) = self.handle.blocking_spawner().metrics();
        queued
    }

    /// Tasks the worker has polled (each poll counts once).
    #[track_caller]
    pub fn worker_poll_count(&self, worker: usize) -> u64 {
        self.worker(worker).poll_count()
    }

    /// Tasks this worker took from other workers' queues (0 on the current-thread runtime).
    #[track_caller]
    pub fn worker_steal_count(&self, worker: usize) -> u64 {
        self.worker(worker).steal_count()
    }

    /// Successful steals by this worker, however many tasks each took.
    #[track_caller]
    pub fn worker_steal_operations(&self, worker: usize) -> u64 {
        self.worker(worker).steal_operations()
    }

    /// Times the worker woke up and went back to sleep without polling a task.
    #[track_caller]
    pub fn worker_noop_count(&self, worker: usize) -> u64 {
        self.worker(worker).noop_count()
    }

    /// Tasks spawned or woken on this worker's thread and queued on it.
    #[track_caller]
    pub fn worker_local_schedule_count(&self, worker: usize) -> u64 {
        self.worker(worker).local_schedule_count()
    }

    /// Times the worker's local queue was full; always 0 in weave, whose
    /// local queues grow instead of overflowing into the global one.
    #[track_caller]
    pub fn worker_overflow_count(&self, worker: usize) -> u64 {
        let _ = self.worker(worker);
        0
    }

    /// Tasks waiting in the worker's local queue, LIFO slot not included (live on
    /// the multi-thread runtime; as of the last publication on the current-thread one).
    #[track_caller]
    pub fn worker_local_queue_depth(&self, worker: usize) -> usize {
        match &self.handle {
            // Its queue lives on the `block_on` thread: the published length.
            scheduler::Handle::CurrentThread(_) => self.worker(worker).queue_depth(),
            scheduler::Handle::MultiThread(h) => {
                let _ = self.worker(worker);
                h.worker_local_queue_depth(worker)
            }
        }
    }

    /// Tasks the worker ran from its LIFO slot (weave's own; included in the poll count).
    #[track_caller]
    pub fn worker_lifo_count(&self, worker: usize) -> u64 {
        self.worker(worker).lifo_count()
    }

    /// Pool threads that run workers rather than blocking jobs.
    fn worker_threads(&self) -> usize {
        match &self.handle {
            scheduler::Handle::CurrentThread(_) => 0,
            scheduler::Handle::MultiThread(h) => h.num_workers(),
        }
    }
}
