//! A per-runtime job queue in front of the blocking pool, for file-system
//! work.
//!
//! # Why
//!
//! `spawn_blocking` wakes one pool thread per job. A burst of short jobs
//! (a thousand tasks each reading a small cached file) then wakes hundreds
//! of threads that fight over a few cores, with two context switches per
//! job. Here jobs go into a FIFO served by a few *drainers*: pool jobs that
//! run queued jobs back to back until the queue is empty, so a burst costs a
//! handful of thread wake-ups.
//!
//! # How many drainers
//!
//! - Up to `target` (the number of CPUs, at least 2) are started on demand:
//!   a job queued while fewer run starts one.
//! - Beyond that, jobs that *block* need more threads, not fewer: a cold
//!   read waits for the disk (and a disk serves many requests at once), a
//!   `File`'s write loop may run for long, and an `open` of a FIFO waits
//!   for its peer, which may itself be queued. So another drainer starts
//!   when a job is queued while every drainer is running a job and either
//!   recent jobs were slow (running average at least `SLOW_JOB`) or even the
//!   newest running job started `BUSY` ago.
//! - A *watchdog* covers the case where no further job is queued: while
//!   jobs wait and `target` or more drainers run, one pool job checks every
//!   `WATCHDOG_TICK` and starts a drainer if no job started during the tick.
//!   No queued job therefore waits more than a tick behind stuck ones; the
//!   pool's own thread limit is the only bound, as with `spawn_blocking`.
//!
//! Cached, CPU-bound work thus stays on about one thread per core, and
//! blocking work grows to as many threads as it needs.
//!
//! # Invariants (behind `Dispatch::state`)
//!
//! - **D1.** `queue` non-empty implies `drainers >= 1`: a job queued with no
//!   drainer starts one, and a drainer only exits after finding the queue
//!   empty under the lock.
//! - **D2.** `queue` non-empty with `drainers >= target` implies a
//!   watchdog: one is started on such a submission if none runs, and it
//!   only exits after finding the queue empty under the lock.
//! - **D3.** `drainers` counts drainer jobs queued on or running in the pool
//!   (the count is raised, under the lock, before the job is spawned,
//!   outside it). A drainer the pool drops unrun (runtime shutdown) lowers
//!   it again; if it was the last, it takes the queued jobs and drops them,
//!   which runs the must-run ones on that thread (see `blocking.rs`).
//!
//! Each runtime has its own `Dispatch` (found in a small registry keyed by
//! the runtime's scheduler handle), so one runtime's shutdown never waits
//! for another runtime's file work.

use crate::runtime::scheduler;
use crate::runtime::Handle;
use parking_lot::Mutex;
use std::collections::VecDeque;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A unit of blocking work.
pub(crate) type Job = Box<dyn FnOnce() + Send + 'static>;

/// Average job time from which jobs count as blocking (not cached).
const SLOW_JOB: Duration = Duration::from_micros(50);
/// Every drainer has been on its current job at least this long: they are
/// blocked (or running long jobs), not racing through cached ones.
const BUSY: Duration = Duration::from_micros(200);
/// How often the watchdog checks for progress.
const WATCHDOG_TICK: Duration = Duration::from_millis(1);

/// One runtime's queue of file-system jobs.
pub(crate) struct Dispatch {
    state: Mutex<State>,
    target: usize,
}

struct State {
    queue: VecDeque<Job>,
    drainers: usize,
    /// Drainers running a job right now (`<= drainers`).
    running: usize,
    watchdog: bool,
    /// Jobs started so far (the watchdog's progress signal).
    started: u64,
    last_start: Option<Instant>,
    /// Exponential moving average of job run times.
    avg_job: Duration,
}

/// Runs `job` on the current runtime's blocking pool, through its queue.
///
/// # Panics
///
/// Outside a runtime.
pub(crate) fn submit(job: Job) {
    let handle = crate::fs::blocking::current();
    registry::dispatch_for(&handle.inner).submit(&handle, job);
}

impl Dispatch {
    fn new() -> Dispatch {
        let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
        Dispatch {
            state: Mutex::new(State {
                queue: VecDeque::new(),
                drainers: 0,
                running: 0,
                watchdog: false,
                started: 0,
                last_start: None,
                avg_job: Duration::ZERO,
            }),
            target: cpus.max(2),
        }
    }

    fn submit(self: &Arc<Self>, handle: &Handle, job: Job) {
        let mut st = self.state.lock();
        st.queue.push_back(job);
        // `last_start` is the latest start of any job, so if it is `BUSY`
        // ago, every running job has been running at least that long.
        let drainer = st.drainers < self.target
            || (st.running == st.drainers
                && (st.avg_job >= SLOW_JOB || st.last_start.is_some_and(|t| t.elapsed() >= BUSY)));
        if drainer {
            st.drainers += 1;
        }
        // D2: with `target` drainers or more, a watchdog must be running.
        let watchdog = st.drainers >= self.target && !st.watchdog;
        if watchdog {
            st.watchdog = true;
        }
        drop(st);
        if drainer {
            self.start_drainer(handle);
        }
        if watchdog {
            let watchdog = Watchdog {
                dispatch: self.clone(),
                ran: false,
            };
            drop(handle.spawn_blocking(move || watchdog.run()));
        }
    }

    /// Spawns a drainer; `drainers` was already raised for it (D3).
    fn start_drainer(self: &Arc<Self>, handle: &Handle) {
        let drainer = Drainer {
            dispatch: self.clone(),
            ran: false,
        };
        drop(handle.spawn_blocking(move || drainer.run()));
    }
}

/// A pool job running queued jobs until the queue is empty.
struct Drainer {
    dispatch: Arc<Dispatch>,
    ran: bool,
}

impl Drainer {
    fn run(mut self) {
        self.ran = true;
        let d = &self.dispatch;
        let mut st = d.state.lock();
        loop {
            let Some(job) = st.queue.pop_front() else {
                st.drainers -= 1; // D1: the queue is empty
                return;
            };
            let start = Instant::now();
            st.started += 1;
            st.running += 1;
            st.last_start = Some(start);
            drop(st);
            // A panicking job must not take the drainer (and D1) with it;
            // jobs report their own panics to whoever awaits them.
            let _ = panic::catch_unwind(AssertUnwindSafe(job));
            // Clamped, so that one long job (a `File` writing for seconds)
            // does not make the next dozens of short ones look slow.
            let took = start.elapsed().min(4 * SLOW_JOB);
            st = d.state.lock();
            st.running -= 1;
            st.avg_job = st.avg_job - st.avg_job / 8 + took / 8;
        }
    }
}

impl Drop for Drainer {
    fn drop(&mut self) {
        if self.ran {
            return;
        }
        // Dropped unrun by a shutting-down pool (D3).
        let mut st = self.dispatch.state.lock();
        st.drainers -= 1;
        let orphans = if st.drainers == 0 {
            std::mem::take(&mut st.queue)
        } else {
            VecDeque::new()
        };
        drop(st);
        drop(orphans);
    }
}

/// A pool job that adds a drainer whenever a tick passes without any job
/// starting while jobs wait (D2).
struct Watchdog {
    dispatch: Arc<Dispatch>,
    ran: bool,
}

impl Watchdog {
    fn run(mut self) {
        self.ran = true;
        let d = self.dispatch.clone();
        let mut seen = d.state.lock().started;
        loop {
            std::thread::sleep(WATCHDOG_TICK);
            let mut st = d.state.lock();
            if st.queue.is_empty() {
                st.watchdog = false;
                return;
            }
            let stuck = st.started == seen;
            seen = st.started;
            if stuck {
                st.drainers += 1;
            }
            drop(st);
            if stuck {
                match Handle::try_current() {
                    Ok(handle) => d.start_drainer(&handle),
                    // Pool threads always have their runtime current; if
                    // not, undo the count.
                    Err(_) => d.state.lock().drainers -= 1,
                }
            }
        }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        if !self.ran {
            self.dispatch.state.lock().watchdog = false;
        }
    }
}

/// Finds the `Dispatch` of a runtime.
#[cfg(not(loom))]
mod registry {
    use super::*;
    use crate::runtime::scheduler::{current_thread, multi_thread};
    use parking_lot::const_mutex;
    use std::sync::Weak;

    /// A runtime, held weakly: a live entry never keeps a runtime alive,
    /// and the weak reference keeps the handle's allocation (its address,
    /// our key) from being reused while the entry exists.
    enum RuntimeRef {
        Current(Weak<current_thread::Handle>),
        Multi(Weak<multi_thread::Handle>),
    }

    impl RuntimeRef {
        fn new(handle: &scheduler::Handle) -> RuntimeRef {
            match handle {
                scheduler::Handle::CurrentThread(h) => RuntimeRef::Current(Arc::downgrade(h)),
                scheduler::Handle::MultiThread(h) => RuntimeRef::Multi(Arc::downgrade(h)),
            }
        }

        fn is(&self, handle: &scheduler::Handle) -> bool {
            match (self, handle) {
                (RuntimeRef::Current(w), scheduler::Handle::CurrentThread(h)) => {
                    std::ptr::eq(w.as_ptr(), Arc::as_ptr(h))
                }
                (RuntimeRef::Multi(w), scheduler::Handle::MultiThread(h)) => {
                    std::ptr::eq(w.as_ptr(), Arc::as_ptr(h))
                }
                _ => false,
            }
        }

        fn alive(&self) -> bool {
            match self {
                RuntimeRef::Current(w) => w.strong_count() > 0,
                RuntimeRef::Multi(w) => w.strong_count() > 0,
            }
        }
    }

    static REGISTRY: Mutex<Vec<(RuntimeRef, Arc<Dispatch>)>> = const_mutex(Vec::new());

    thread_local! {
        /// The last lookup on this thread (a worker always asks for its own
        /// runtime), so most submissions skip the global lock.
        static LAST: std::cell::RefCell<Option<(RuntimeRef, Arc<Dispatch>)>> =
            const { std::cell::RefCell::new(None) };
    }

    pub(super) fn dispatch_for(handle: &scheduler::Handle) -> Arc<Dispatch> {
        let cached = LAST
            .try_with(|last| match &*last.borrow() {
                Some((rt, d)) if rt.is(handle) => Some(d.clone()),
                _ => None,
            })
            .ok()
            .flatten();
        if let Some(d) = cached {
            return d;
        }
        let d = lookup(handle);
        let _ =
            LAST.try_with(|last| *last.borrow_mut() = Some((RuntimeRef::new(handle), d.clone())));
        d
    }

    fn lookup(handle: &scheduler::Handle) -> Arc<Dispatch> {
        let mut reg = REGISTRY.lock();
        if let Some((_, d)) = reg.iter().find(|(rt, _)| rt.is(handle)) {
            return d.clone();
        }
        reg.retain(|(rt, _)| rt.alive());
        let d = Arc::new(Dispatch::new());
        reg.push((RuntimeRef::new(handle), d.clone()));
        d
    }
}

/// Under loom the scheduler's `Arc`s have no weak references; the file
/// system is not modelled there, so every runtime shares one queue.
#[cfg(loom)]
mod registry {
    use super::*;
    use std::sync::OnceLock;

    pub(super) fn dispatch_for(_handle: &scheduler::Handle) -> Arc<Dispatch> {
        static ONE: OnceLock<Arc<Dispatch>> = OnceLock::new();
        ONE.get_or_init(|| Arc::new(Dispatch::new())).clone()
    }
}
