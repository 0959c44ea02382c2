//! `runtime::Handle`: a cloneable reference to a runtime.

use super::context;
use super::dump::Dump;
use super::runtime::{RuntimeFlavor, BLOCK_ON_IN_RUNTIME};
use super::scheduler;
use super::task::JoinHandle;
use crate::enter;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;

/// A handle to a runtime: spawn onto it or enter it from any thread.
///
/// ```
/// let rt = weave::runtime::Runtime::new().unwrap();
/// let handle = rt.handle().clone();
/// let out = std::thread::spawn(move || {
///     // A plain thread, outside the runtime.
///     handle.block_on(handle.spawn(async { 7 })).unwrap()
/// })
/// .join()
/// .unwrap();
/// assert_eq!(out, 7);
/// ```
#[derive(Clone)]
pub struct Handle {
    pub(crate) inner: scheduler::Handle,
}

/// Keeps a runtime current on this thread; returned by `enter`.
#[must_use = "the runtime stays entered only while the guard is alive"]
pub struct EnterGuard<'a> {
    _guard: context::SetCurrentGuard,
    _handle: PhantomData<&'a Handle>,
}

/// `Handle::try_current` found no runtime on this thread.
#[derive(Debug)]
pub struct TryCurrentError {
    _private: (),
}

impl fmt::Display for TryCurrentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(context::NO_RUNTIME)
    }
}

impl std::error::Error for TryCurrentError {}

impl Handle {
    /// The handle of the runtime this thread is in.
    ///
    /// # Panics
    ///
    /// Outside a runtime; see [`try_current`](Self::try_current).
    #[track_caller]
    pub fn current() -> Handle {
        match Handle::try_current() {
            Ok(h) => h,
            Err(e) => panic!("{e}"),
        }
    }

    /// The handle of the runtime this thread is in, if any.
    pub fn try_current() -> Result<Handle, TryCurrentError> {
        context::try_current()
            .map(|inner| Handle { inner })
            .ok_or(TryCurrentError { _private: () })
    }

    /// Makes the runtime current on this thread until the guard drops.
    pub fn enter(&self) -> EnterGuard<'_> {
        EnterGuard {
            _guard: context::set_current(&self.inner),
            _handle: PhantomData,
        }
    }

    /// Spawns a task on the runtime, from any thread.
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.inner.spawn(future, ())
    }

    /// Runs `func` on the runtime's blocking pool.
    ///
    /// # Panics
    ///
    /// If the OS cannot start a thread and the pool has none. If the runtime
    /// is shutting down the task is cancelled instead (awaiting the handle
    /// reports it).
    #[track_caller]
    pub fn spawn_blocking<F, R>(&self, func: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        match self.inner.spawn_blocking(func, ()) {
            Ok(join) => join,
            Err((join, super::blocking::SpawnError::ShuttingDown)) => join,
            Err((_, super::blocking::SpawnError::NoThreads(e))) => {
                panic!("the OS could not start a thread for spawn_blocking: {e}")
            }
        }
    }

    /// A snapshot of every live task of the runtime (aiomonitor's `ps`):
    /// id, name, spawn location and state, plus poll counts and times in
    /// debug mode ([`Builder::debug`](crate::runtime::Builder::debug)).
    /// `spawn_blocking` tasks are included; tasks of a `LocalSet` are not.
    ///
    /// Callable from any thread, inside or outside the runtime, also while
    /// every worker is busy: it never waits for a worker. A task stuck in a
    /// long poll shows as running.
    ///
    /// ```
    /// use weave::runtime::TaskState;
    ///
    /// let rt = weave::runtime::Runtime::new().unwrap();
    /// let handle = rt.handle().clone();
    /// rt.block_on(async {
    ///     let idle = weave::task::Builder::new()
    ///         .name("sleeper")
    ///         .spawn(std::future::pending::<()>())
    ///         .unwrap();
    ///     weave::task::yield_now().await;
    ///     let dump = handle.dump();
    ///     let sleeper = dump.tasks().iter().find(|t| t.id() == idle.id()).unwrap();
    ///     assert_eq!(sleeper.name(), Some("sleeper"));
    ///     println!("{dump}");
    ///     idle.abort();
    /// });
    /// ```
    pub fn dump(&self) -> Dump {
        self.inner.dump()
    }

    /// Runs `future` to completion, blocking this thread.
    ///
    /// # Panics
    ///
    /// When called from a thread that drives a runtime.
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        let multi = matches!(self.inner, scheduler::Handle::MultiThread(_));
        let Some(_enter) = enter::try_enter(multi) else {
            panic!("{BLOCK_ON_IN_RUNTIME}");
        };
        let _current = context::set_current(&self.inner);
        match &self.inner {
            scheduler::Handle::CurrentThread(h) => {
                scheduler::current_thread::block_on_handle(h, future)
            }
            scheduler::Handle::MultiThread(_) => {
                crate::park::block_on(crate::coop::with_budget_future(future))
            }
        }
    }

    /// The runtime's metrics (see [`RuntimeMetrics`](crate::runtime::RuntimeMetrics)).
    pub fn metrics(&self) -> crate::runtime::RuntimeMetrics {
        crate::runtime::RuntimeMetrics::new(self.inner.clone())
    }

    /// Which scheduler the runtime uses.
    pub fn runtime_flavor(&self) -> RuntimeFlavor {
        match self.inner {
            scheduler::Handle::CurrentThread(_) => RuntimeFlavor::CurrentThread,
            scheduler::Handle::MultiThread(_) => RuntimeFlavor::MultiThread,
        }
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("flavor", &self.runtime_flavor())
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for EnterGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnterGuard").finish_non_exhaustive()
    }
}
