//! The thread pool behind `spawn_blocking`.
//!
//! Invariants (all guarded by `Inner::shared`):
//! - `num_threads` counts live pool threads; `num_idle` those waiting for
//!   work; `num_notify` the wake-ups sent to idle threads and not yet
//!   consumed. A queued task is picked up by an idle thread (one notify per
//!   task) or by a new thread.
//! - Mandatory jobs (runtime workers, including the one `block_in_place`
//!   hands a worker's queue to) are taken before any other job and ignore the
//!   cap; at most `max_blocking_threads` ordinary jobs run at once
//!   (`num_blocking_running`), the rest wait in the queue.
//! - After `shutdown`, no task is queued any more; queued tasks are run if
//!   mandatory (runtime workers, which then see the shutdown and return) and
//!   cancelled otherwise. Every thread is joined, so nothing outlives the
//!   runtime unless `shutdown` is given a timeout that expires.
//! - A thread that retires after the keep-alive leaves its join handle for
//!   the next retiring thread (or shutdown) to join, so no thread is ever
//!   left unjoined.

use super::schedule::{BlockingSchedule, BlockingTasks};
// Plain parking_lot/std, not the loom facade: the pool needs timed waits,
// which loom does not model, and its logic is a simple monitor.
use crate::runtime::task::{Debugger, Notified};
use parking_lot::{Condvar, Mutex};
use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::io;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

type Callback = Arc<dyn Fn() + Send + Sync>;

/// How pool threads are named, sized and hooked.
#[derive(Clone)]
pub(crate) struct ThreadConfig {
    pub(crate) thread_name: Arc<dyn Fn() -> String + Send + Sync>,
    pub(crate) stack_size: Option<usize>,
    pub(crate) after_start: Option<Callback>,
    pub(crate) before_stop: Option<Callback>,
    /// Most threads running `spawn_blocking` work at once.
    pub(crate) max_blocking_threads: usize,
    pub(crate) keep_alive: Duration,
    /// The runtime's debug mode, for reports about `spawn_blocking` tasks.
    pub(crate) debug: Option<Arc<Debugger>>,
}

/// Makes a pool thread's runtime current while it runs tasks. Implemented by
/// the scheduler handle; kept abstract so this module does not name the
/// layers above it.
pub(crate) trait EnterContext: Clone + Send + 'static {
    type Guard;
    fn enter(&self) -> Self::Guard;
}

/// Owns the pool: dropping it (or calling `shutdown`) stops every thread.
pub(crate) struct BlockingPool {
    spawner: Spawner,
}

/// Queues tasks on the pool. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Spawner {
    inner: Arc<Inner>,
}

struct Inner {
    shared: Mutex<Shared>,
    /// Idle threads wait here.
    condvar: Condvar,
    /// `shutdown` waits here for the last thread to leave.
    all_exited: Condvar,
    config: ThreadConfig,
    /// The `spawn_blocking` tasks not yet complete (for task dumps).
    tasks: Arc<BlockingTasks>,
}

struct Shared {
    queue: VecDeque<Job>,
    /// Mandatory jobs waiting for a thread; served before `queue`.
    mandatory: VecDeque<Job>,
    /// Ordinary jobs running now (at most `max_blocking_threads`).
    num_blocking_running: usize,
    num_threads: usize,
    num_idle: usize,
    num_notify: usize,
    num_mandatory_running: usize,
    shutdown: bool,
    next_thread_id: usize,
    threads: HashMap<usize, thread::JoinHandle<()>>,
    last_exiting_thread: Option<thread::JoinHandle<()>>,
}

struct Job {
    task: Notified<BlockingSchedule>,
    mandatory: bool,
}

/// Why a task could not be queued.
#[derive(Debug)]
pub(crate) enum SpawnError {
    /// The runtime is shutting down; the task was cancelled.
    ShuttingDown,
    /// No thread could be started and none exists to run the task.
    NoThreads(io::Error),
}

impl From<SpawnError> for io::Error {
    fn from(e: SpawnError) -> io::Error {
        match e {
            SpawnError::ShuttingDown => {
                io::Error::other("the runtime is shutting down: the blocking task was cancelled")
            }
            SpawnError::NoThreads(e) => e,
        }
    }
}

impl BlockingPool {
    pub(crate) fn new(config: ThreadConfig) -> BlockingPool {
        BlockingPool {
            spawner: Spawner {
                inner: Arc::new(Inner {
                    shared: Mutex::new(Shared {
                        queue: VecDeque::new(),
                        mandatory: VecDeque::new(),
                        num_blocking_running: 0,
                        num_threads: 0,
                        num_idle: 0,
                        num_notify: 0,
                        num_mandatory_running: 0,
                        shutdown: false,
                        next_thread_id: 0,
                        threads: HashMap::new(),
                        last_exiting_thread: None,
                    }),
                    condvar: Condvar::new(),
                    all_exited: Condvar::new(),
                    tasks: Arc::new(BlockingTasks::new(config.debug.clone())),
                    config,
                }),
            },
        }
    }

    pub(crate) fn spawner(&self) -> &Spawner {
        &self.spawner
    }

    /// Stops the pool: cancels queued tasks, waits (up to `timeout`) for the
    /// running ones and joins every thread that exited in time.
    pub(crate) fn shutdown(&mut self, timeout: Option<Duration>) {
        let inner = &self.spawner.inner;
        let mut shared = inner.shared.lock();
        if shared.shutdown {
            return;
        }
        shared.shutdown = true;
        inner.condvar.notify_all();

        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        while shared.num_threads > 0 {
            match deadline {
                None => inner.all_exited.wait(&mut shared),
                Some(deadline) => {
                    if inner
                        .all_exited
                        .wait_until(&mut shared, deadline)
                        .timed_out()
                    {
                        break;
                    }
                }
            }
        }
        let all_exited = shared.num_threads == 0;
        let threads: Vec<_> = shared.threads.drain().map(|(_, h)| h).collect();
        let last = shared.last_exiting_thread.take();
        drop(shared);
        if all_exited {
            // Every thread has left its loop; joining only waits for the
            // last few instructions of each.
            for handle in threads.into_iter().chain(last) {
                let _ = handle.join();
            }
        }
        // On timeout the remaining threads are detached and finish on
        // their own (shutdown_timeout / shutdown_background semantics).
    }
}

impl Drop for BlockingPool {
    fn drop(&mut self) {
        self.shutdown(None);
    }
}

impl Spawner {
    /// The pool's list of `spawn_blocking` tasks.
    pub(crate) fn tasks(&self) -> &Arc<BlockingTasks> {
        &self.inner.tasks
    }

    /// Queues `task`; `mandatory` tasks bypass the blocking-thread cap and
    /// run even during shutdown.
    pub(crate) fn spawn<C: EnterContext>(
        &self,
        task: Notified<BlockingSchedule>,
        mandatory: bool,
        cx: &C,
    ) -> Result<(), SpawnError> {
        let inner = &self.inner;
        let mut shared = inner.shared.lock();
        if shared.shutdown {
            drop(shared);
            // Cancel it: its JoinHandle reports cancellation.
            task.run_cancelled();
            return Err(SpawnError::ShuttingDown);
        }
        if mandatory {
            shared.num_mandatory_running += 1;
            shared.mandatory.push_back(Job { task, mandatory });
        } else {
            shared.queue.push_back(Job { task, mandatory });
        }
        if shared.num_idle > shared.num_notify {
            shared.num_notify += 1;
            inner.condvar.notify_one();
            return Ok(());
        }
        let cap = inner.config.max_blocking_threads + shared.num_mandatory_running;
        if shared.num_threads >= cap {
            // Every thread is busy; the task waits for the next free one.
            return Ok(());
        }
        let id = shared.next_thread_id;
        shared.next_thread_id += 1;
        match self.spawn_thread(id, cx) {
            Ok(handle) => {
                shared.num_threads += 1;
                shared.threads.insert(id, handle);
                Ok(())
            }
            Err(e) if shared.num_threads == 0 => {
                // Nobody could ever run it: take it back and cancel it.
                let job = if mandatory {
                    shared.mandatory.pop_back()
                } else {
                    shared.queue.pop_back()
                }
                .expect("task just queued");
                if job.mandatory {
                    shared.num_mandatory_running -= 1;
                }
                drop(shared);
                job.task.run_cancelled();
                Err(SpawnError::NoThreads(e))
            }
            // An existing thread will pick the task up when it is free.
            Err(_) => Ok(()),
        }
    }

    fn spawn_thread<C: EnterContext>(
        &self,
        id: usize,
        cx: &C,
    ) -> io::Result<thread::JoinHandle<()>> {
        let config = &self.inner.config;
        let mut builder = thread::Builder::new().name((config.thread_name)());
        if let Some(size) = config.stack_size {
            builder = builder.stack_size(size);
        }
        let inner = self.inner.clone();
        let cx = cx.clone();
        builder.spawn(move || {
            let _enter = cx.enter();
            inner.run(id);
            drop(cx);
        })
    }

    /// For the runtime metrics: live pool threads (runtime workers
    /// included), idle ones, and `spawn_blocking` jobs waiting for a thread.
    pub(crate) fn metrics(&self) -> (usize, usize, usize) {
        let shared = self.inner.shared.lock();
        // A notified thread is about to take a job: no longer idle.
        let idle = shared.num_idle.saturating_sub(shared.num_notify);
        (shared.num_threads, idle, shared.queue.len())
    }
}

impl Inner {
    /// The next job this thread may run: a mandatory one first, else an
    /// ordinary one if fewer than `max_blocking_threads` are running.
    fn take_job(&self, shared: &mut Shared) -> Option<Job> {
        if let Some(job) = shared.mandatory.pop_front() {
            return Some(job);
        }
        if shared.num_blocking_running >= self.config.max_blocking_threads {
            return None;
        }
        let job = shared.queue.pop_front()?;
        shared.num_blocking_running += 1;
        Some(job)
    }

    fn run(&self, id: usize) {
        if let Some(f) = &self.config.after_start {
            f();
        }
        let mut shared = self.shared.lock();
        let mut join_previous = None;
        'main: loop {
            while let Some(job) = self.take_job(&mut shared) {
                drop(shared);
                let mandatory = job.mandatory;
                job.task.run();
                shared = self.shared.lock();
                if mandatory {
                    shared.num_mandatory_running -= 1;
                } else {
                    shared.num_blocking_running -= 1;
                }
            }
            if shared.shutdown {
                break;
            }
            shared.num_idle += 1;
            loop {
                let timed_out = self
                    .condvar
                    .wait_for(&mut shared, self.config.keep_alive)
                    .timed_out();
                if shared.num_notify > 0 {
                    shared.num_notify -= 1;
                    shared.num_idle -= 1;
                    continue 'main;
                }
                if shared.shutdown {
                    shared.num_idle -= 1;
                    break 'main;
                }
                if timed_out {
                    // Retire: hand our join handle to whoever comes next.
                    shared.num_idle -= 1;
                    if let Some(me) = shared.threads.remove(&id) {
                        join_previous = shared.last_exiting_thread.replace(me);
                    }
                    break 'main;
                }
                // Spurious wake-up: keep waiting.
            }
        }
        if shared.shutdown {
            // Nothing new can be queued now; drain what is left.
            while let Some(job) = shared
                .mandatory
                .pop_front()
                .or_else(|| shared.queue.pop_front())
            {
                drop(shared);
                let mandatory = job.mandatory;
                if mandatory {
                    job.task.run();
                } else {
                    job.task.run_cancelled();
                }
                shared = self.shared.lock();
                if mandatory {
                    shared.num_mandatory_running -= 1;
                }
            }
        }
        shared.num_threads -= 1;
        if shared.num_threads == 0 {
            self.all_exited.notify_all();
        }
        drop(shared);
        if let Some(f) = &self.config.before_stop {
            f();
        }
        if let Some(handle) = join_previous {
            let _ = handle.join();
        }
    }
}

impl fmt::Debug for Spawner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Spawner").finish_non_exhaustive()
    }
}

impl fmt::Debug for BlockingPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockingPool").finish_non_exhaustive()
    }
}

/// No runtime context (threads that set their own up, like workers).
impl EnterContext for () {
    type Guard = ();
    fn enter(&self) {}
}
