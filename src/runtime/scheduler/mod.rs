//! The two schedulers behind one handle type.

pub(crate) mod current_thread;
pub(crate) mod multi_thread;

use super::blocking::{BlockingSchedule, BlockingTask, EnterContext, SpawnError, Spawner};
use super::context;
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
