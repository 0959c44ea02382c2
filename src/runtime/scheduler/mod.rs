//! The two schedulers behind one handle type.

pub(crate) mod current_thread;
pub(crate) mod multi_thread;
mod scoped;

use super::blocking::{BlockingSchedule, BlockingTask, EnterContext, SpawnError, Spawner};
use super::context;
use super::driver::DriverHandle;
use crate::loom::sync::Arc;
use crate::runtime::task::{self, JoinHandle, TaskName};
use std::future::Future;

/// A reference to a running scheduler: what `Handle`, tasks and the
/// thread-local context hold.
#[derive(Clone, Debug)]
pub(crate) enum Handle {
    CurrentThread(Arc<current_thread::Handle>),
    MultiThread(Arc<multi_thread::Handle>),
}

impl Handle {
    #[track_caller]
    pub(crate) fn spawn<F, N>(&self, future: F, name: N) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
        N: TaskName,
    {
        let id = task::Id::next();
        match self {
            Handle::CurrentThread(h) => current_thread::Handle::spawn(h, future, name, id),
            Handle::MultiThread(h) => multi_thread::Handle::spawn(h, future, name, id),
        }
    }

    pub(crate) fn driver(&self) -> &DriverHandle {
        match self {
            Handle::CurrentThread(h) => &h.driver,
            Handle::MultiThread(h) => &h.driver,
        }
    }

    pub(crate) fn blocking_spawner(&self) -> &Spawner {
        match self {
            Handle::CurrentThread(h) => &h.blocking_spawner,
            Handle::MultiThread(h) => &h.blocking_spawner,
        }
    }

    /// Runs `func` on the blocking pool.
    pub(crate) fn spawn_blocking<F, R, N>(
        &self,
        func: F,
        name: N,
    ) -> Result<JoinHandle<R>, (JoinHandle<R>, SpawnError)>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
        N: TaskName,
    {
        // A running blocking task holds back the paused clock's auto-advance
        // (it may be about to wake a task that then needs the current time).
        let hold = AutoAdvanceHold::new(self.driver());
        let func = move || {
            let _hold = hold;
            func()
        };
        let (notified, join) = task::unowned(
            BlockingTask::new(func),
            BlockingSchedule,
            name,
            task::Id::next(),
        );
        match self.blocking_spawner().spawn(notified, false, self) {
            Ok(()) => Ok(join),
            Err(e) => Err((join, e)),
        }
    }
}

impl EnterContext for Handle {
    type Guard = context::SetCurrentGuard;

    fn enter(&self) -> context::SetCurrentGuard {
        context::set_current(self)
    }
}

/// Holds back auto-advance of a paused clock while alive.
struct AutoAdvanceHold(DriverHandle);

impl AutoAdvanceHold {
    /// `None` when the runtime has no time driver.
    fn new(driver: &DriverHandle) -> Option<AutoAdvanceHold> {
        let time = driver.time.as_ref()?;
        time.clock().inhibit_auto_advance();
        Some(AutoAdvanceHold(driver.clone()))
    }
}

impl Drop for AutoAdvanceHold {
    fn drop(&mut self) {
        let time = self
            .0
            .time
            .as_ref()
            .expect("a hold exists only with a time driver");
        if time.clock().allow_auto_advance() {
            // The driver of a paused clock sleeps until woken while
            // auto-advance is held back: wake it so it can jump the clock.
            self.0.unpark();
        }
    }
}
