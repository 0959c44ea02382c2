//! `Runtime`: owns the scheduler, the drivers and the blocking pool.

use super::blocking::BlockingPool;
use super::context;
use super::handle::{EnterGuard, Handle};
use super::scheduler::{self, current_thread::CurrentThread, multi_thread::MultiThread};
use super::task::JoinHandle;
use crate::enter;
use std::fmt;
use std::future::Future;
use std::time::Duration;

/// The weave runtime: a scheduler, its drivers and a blocking pool.
///
/// Dropping it shuts it down: every task is cancelled (its future dropped),
/// and the call waits for the worker and blocking threads to finish. Use
/// [`shutdown_timeout`](Self::shutdown_timeout) or
/// [`shutdown_background`](Self::shutdown_background) not to wait for
/// blocking work.
///
/// ```
/// let rt = weave::runtime::Runtime::new().unwrap();
/// let out = rt.block_on(async { "hello" });
/// assert_eq!(out, "hello");
/// ```
pub struct Runtime {
    scheduler: Scheduler,
    handle: Handle,
    blocking_pool: BlockingPool,
    is_shut_down: bool,
}

pub(super) enum Scheduler {
    CurrentThread(CurrentThread),
    MultiThread(MultiThread),
}

/// Which scheduler a runtime uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RuntimeFlavor {
    /// Every task runs on the thread inside `block_on`.
    CurrentThread,
    /// Tasks run on a pool of work-stealing worker threads.
    MultiThread,
}

pub(crate) const BLOCK_ON_IN_RUNTIME: &str = "Cannot start a runtime from within a runtime: \
    `block_on` was called on a thread that is already driving asynchronous tasks, which would \
    block (and could deadlock) that runtime. Inside async code, `.await` the future instead; \
    to call blocking code, use `weave::task::spawn_blocking` or `weave::task::block_in_place`";

const DROP_IN_RUNTIME: &str = "Cannot drop a runtime in a context where blocking is not \
    allowed: a runtime was dropped from inside asynchronous code, and dropping waits for its \
    threads. Drop it outside async code, move it into `weave::task::spawn_blocking`, or call \
    `Runtime::shutdown_background()` instead";

impl Runtime {
    /// A multi-thread runtime with every driver enabled: the same as
    /// `Builder::new_multi_thread().enable_all().build()`.
    pub fn new() -> std::io::Result<Runtime> {
        super::Builder::new_multi_thread().enable_all().build()
    }

    pub(super) fn from_parts(
        scheduler: Scheduler,
        handle: Handle,
        blocking_pool: BlockingPool,
    ) -> Runtime {
        Runtime {
            scheduler,
            handle,
            blocking_pool,
            is_shut_down: false,
        }
    }

    /// Runs `future` to completion on the current thread, which blocks until
    /// it is done. On a current-thread runtime spawned tasks run here too.
    ///
    /// # Panics
    ///
    /// When called from a thread that already drives a runtime (inside a
    /// task or another `block_on`): await the future instead.
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        // On a multi-thread runtime `block_in_place` is allowed inside
        // `block_on` (it just runs the closure), as in Tokio.
        let multi = matches!(self.scheduler, Scheduler::MultiThread(_));
        let Some(_enter) = enter::try_enter(multi) else {
            panic!("{BLOCK_ON_IN_RUNTIME}");
        };
        let _current = context::set_current(&self.handle.inner);
        match (&self.scheduler, &self.handle.inner) {
            (Scheduler::CurrentThread(ct), scheduler::Handle::CurrentThread(h)) => {
                ct.block_on(h, future)
            }
            _ => crate::park::block_on(crate::coop::with_budget_future(future)),
        }
    }

    /// Spawns a task on this runtime; see [`crate::spawn`].
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.handle.spawn(future)
    }

    /// Runs `func` on the blocking pool; see [`crate::task::spawn_blocking`].
    #[track_caller]
    pub fn spawn_blocking<F, R>(&self, func: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.handle.spawn_blocking(func)
    }

    /// A handle to this runtime, usable from any thread.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// The runtime's metrics (see [`RuntimeMetrics`](crate::runtime::RuntimeMetrics)).
    pub fn metrics(&self) -> crate::runtime::RuntimeMetrics {
        self.handle.metrics()
    }

    /// Makes this runtime current on this thread until the guard drops, so
    /// that `weave::spawn` works outside `block_on`.
    ///
    /// ```
    /// let rt = weave::runtime::Runtime::new().unwrap();
    /// let _guard = rt.enter();
    /// let task = weave::spawn(async { 5 });
    /// drop(_guard);
    /// assert_eq!(rt.block_on(task).unwrap(), 5);
    /// ```
    pub fn enter(&self) -> EnterGuard<'_> {
        self.handle.enter()
    }

    /// Shuts down, waiting at most `duration` for blocking tasks to finish.
    /// Tasks still running after that are left to finish on their own.
    pub fn shutdown_timeout(mut self, duration: Duration) {
        self.shutdown(Some(duration));
    }

    /// Shuts down without waiting for blocking tasks. Allowed from inside
    /// async code.
    pub fn shutdown_background(mut self) {
        self.shutdown(Some(Duration::ZERO));
    }

    fn shutdown(&mut self, timeout: Option<Duration>) {
        if self.is_shut_down {
            return;
        }
        self.is_shut_down = true;
        self.handle.inner.report_pending_at_shutdown();
        // Task destructors may spawn or look up the runtime: keep it current.
        let _current = context::set_current(&self.handle.inner);
        match (&self.scheduler, &self.handle.inner) {
            (Scheduler::CurrentThread(ct), scheduler::Handle::CurrentThread(h)) => {
                ct.shutdown(h);
                self.blocking_pool.shutdown(timeout);
            }
            (Scheduler::MultiThread(mt), scheduler::Handle::MultiThread(h)) => {
                mt.signal_shutdown(h);
                self.blocking_pool.shutdown(timeout);
                mt.finish_shutdown(h);
            }
            _ => unreachable!("scheduler and handle flavors always match"),
        }
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        if self.is_shut_down {
            return;
        }
        if enter::is_entered() {
            // Waiting for the threads here could deadlock (they may include
            // this one): shut down without waiting, then report the misuse.
            self.shutdown(Some(Duration::ZERO));
            if !std::thread::panicking() {
                panic!("{DROP_IN_RUNTIME}");
            }
            return;
        }
        self.shutdown(None);
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("flavor", &self.handle.runtime_flavor())
            .finish_non_exhaustive()
    }
}
