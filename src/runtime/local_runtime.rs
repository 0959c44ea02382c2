//! `LocalRuntime`: a current-thread runtime that also runs `!Send` tasks.

use std::future::Future;
use std::marker::PhantomData;
use std::time::Duration;

use super::{Builder, EnterGuard, Handle, Runtime};
use crate::task::{JoinHandle, LocalSet};

/// A current-thread runtime on which [`task::spawn_local`](crate::task::spawn_local)
/// works everywhere, as Tokio's `LocalRuntime`: futures passed to
/// [`block_on`](LocalRuntime::block_on) and [`spawn_local`](LocalRuntime::spawn_local)
/// need not be `Send`.
///
/// It is a current-thread [`Runtime`] together with a [`LocalSet`] that
/// `block_on` runs: `Send` tasks (`weave::spawn`, [`Handle::spawn`]) go to
/// the runtime, `!Send` ones to the set, and both run on the thread inside
/// `block_on`. The runtime itself is `!Send`, as in Tokio, since it owns
/// `!Send` tasks.
///
/// ```
/// use std::rc::Rc;
///
/// let rt = weave::runtime::LocalRuntime::new().unwrap();
/// let shared = Rc::new(5);
/// let task = rt.spawn_local({
///     let shared = shared.clone();
///     async move { *shared + 1 }
/// });
/// let out = rt.block_on(async move {
///     let inner = weave::task::spawn_local(async move { *shared * 2 });
///     task.await.unwrap() + inner.await.unwrap()
/// });
/// assert_eq!(out, 16);
/// ```
#[derive(Debug)]
pub struct LocalRuntime {
    // Declared first so that it is dropped first: the `!Send` tasks go
    // while the runtime (timers, reactor) they may hold is still there.
    local: LocalSet,
    rt: Runtime,
    _not_send: PhantomData<*const ()>,
}

/// Options for [`Builder::build_local`] (Tokio's `LocalOptions`; none yet).
#[derive(Default, Debug)]
#[non_exhaustive]
pub struct LocalOptions {
    _not_send: PhantomData<*mut u8>,
}

impl LocalRuntime {
    /// A local runtime with every driver enabled: the same as
    /// `Builder::new_current_thread().enable_all()` plus a local task set.
    pub fn new() -> std::io::Result<LocalRuntime> {
        Builder::new_current_thread()
            .enable_all()
            .build_local(LocalOptions::default())
    }

    /// Wraps a current-thread runtime (the builder checks the flavor).
    pub(super) fn from_runtime(rt: Runtime) -> LocalRuntime {
        LocalRuntime {
            local: LocalSet::new(),
            rt,
            _not_send: PhantomData,
        }
    }

    /// A handle to the runtime: it spawns `Send` tasks and can be sent to
    /// other threads.
    pub fn handle(&self) -> &Handle {
        self.rt.handle()
    }

    /// The runtime's metrics (see [`RuntimeMetrics`](super::RuntimeMetrics)).
    pub fn metrics(&self) -> super::RuntimeMetrics {
        self.rt.metrics()
    }

    /// Spawns a `!Send` task on this runtime; it runs while some thread is
    /// inside [`block_on`](LocalRuntime::block_on).
    #[track_caller]
    pub fn spawn_local<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.local.spawn_local(future)
    }

    /// Runs `func` on the blocking pool; see [`crate::task::spawn_blocking`].
    #[track_caller]
    pub fn spawn_blocking<F, R>(&self, func: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.rt.spawn_blocking(func)
    }

    /// Runs `future` (which need not be `Send`) to completion on this
    /// thread, running the runtime's tasks, local and `Send`, meanwhile.
    ///
    /// # Panics
    ///
    /// When called from a thread that already drives a runtime.
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.local.block_on(&self.rt, future)
    }

    /// Makes this runtime current on this thread until the guard drops.
    pub fn enter(&self) -> EnterGuard<'_> {
        self.rt.enter()
    }

    /// Shuts down: drops the local tasks, then shuts the runtime down
    /// waiting at most `duration` for blocking tasks; see
    /// [`Runtime::shutdown_timeout`].
    pub fn shutdown_timeout(self, duration: Duration) {
        let LocalRuntime { local, rt, .. } = self;
        drop(local);
        rt.shutdown_timeout(duration);
    }

    /// Shuts down without waiting for blocking tasks; see
    /// [`Runtime::shutdown_background`].
    pub fn shutdown_background(self) {
        let LocalRuntime { local, rt, .. } = self;
        drop(local);
        rt.shutdown_background();
    }
}
