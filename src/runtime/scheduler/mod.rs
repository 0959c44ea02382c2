//! The two schedulers behind one handle type.

pub(crate) mod current_thread;
pub(crate) mod multi_thread;
mod scoped;

use super::blocking::{BlockingSchedule, BlockingTask, EnterContext, SpawnError, Spawner};
use super::config::Config;
use super::context;
use super::driver::DriverHandle;
use super::dump::{Dump, DumpBuilder};
use crate::loom::sync::Arc;
use crate::runtime::task::{self, JoinHandle, TaskName, Traced};
use std::future::Future;
use std::panic::Location;

/// A reference to a running scheduler: what `Handle`, tasks and the
/// thread-local context hold.
#[derive(Clone, Debug)]
pub(crate) enum Handle {
    CurrentThread(Arc<current_thread::Handle>),
    MultiThread(Arc<multi_thread::Handle>),
}

impl Handle {
    /// Spawns a task; its spawn location is the caller's (every public spawn
    /// function up to here is `#[track_caller]`).
    #[track_caller]
    pub(crate) fn spawn<F, N>(&self, future: F, name: N) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
        N: TaskName,
    {
        self.spawn_at(future, name, Location::caller())
    }

    /// Spawns a task that reports `location` as where it was spawned (for
    /// callers that cannot forward `#[track_caller]`, e.g. from a closure).
    #[inline]
    pub(crate) fn spawn_at<F, N>(
        &self,
        future: F,
        name: N,
        location: &'static Location<'static>,
    ) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
        N: TaskName,
    {
        if self.config().debug.is_some() {
            self.spawn_named(future, Traced::new(name), location)
        } else {
            self.spawn_named(future, name, location)
        }
    }

    #[inline]
    fn spawn_named<F, N>(
        &self,
        future: F,
        name: N,
        location: &'static Location<'static>,
    ) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
        N: TaskName,
    {
        let id = task::Id::next();
        match self {
            Handle::CurrentThread(h) => {
                current_thread::Handle::spawn(h, future, name, id, location)
            }
            Handle::MultiThread(h) => multi_thread::Handle::spawn(h, future, name, id, location),
        }
    }

    pub(crate) fn config(&self) -> &Config {
        match self {
            Handle::CurrentThread(h) => &h.config,
            Handle::MultiThread(h) => &h.config,
        }
    }

    /// The tasks this runtime owns (not counting `spawn_blocking` ones).
    fn for_each_task(&self, f: impl FnMut(task::RawTask)) {
        match self {
            Handle::CurrentThread(h) => h.owned.for_each(f),
            Handle::MultiThread(h) => h.owned().for_each(f),
        }
    }

    /// A snapshot of every live task, `spawn_blocking` ones included.
    pub(crate) fn dump(&self) -> Dump {
        let mut dump = DumpBuilder::new();
        self.for_each_task(|t| dump.add(t, false));
        self.blocking_spawner()
            .tasks()
            .list
            .for_each(|t| dump.add(t, true));
        dump.finish()
    }

    /// Debug mode: reports the tasks still pending as the runtime shuts
    /// down, counted by spawn location.
    pub(crate) fn report_pending_at_shutdown(&self) {
        let Some(debugger) = self.config().debug.as_deref() else {
            return;
        };
        let mut counts: Vec<(&'static Location<'static>, usize)> = Vec::new();
        let mut count = 0;
        self.for_each_task(|t| {
            if t.state().load().is_complete() {
                return;
            }
            count += 1;
            let location = t.location();
            match counts.iter_mut().find(|(l, _)| *l == location) {
                Some((_, n)) => *n += 1,
                None => counts.push((location, 1)),
            }
        });
        if count == 0 {
            return;
        }
        counts.sort_by(|a, b| {
            b.1.cmp(&a.1)
                .then_with(|| (a.0.file(), a.0.line()).cmp(&(b.0.file(), b.0.line())))
        });
        debugger.report(task::DebugEvent::PendingAtShutdown {
            count,
            locations: counts,
        });
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
    #[track_caller]
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
        let location = Location::caller();
        if self.config().debug.is_some() {
            self.spawn_blocking_named(func, Traced::new(name), location)
        } else {
            self.spawn_blocking_named(func, name, location)
        }
    }

    fn spawn_blocking_named<F, R, N>(
        &self,
        func: F,
        name: N,
        location: &'static Location<'static>,
    ) -> Result<JoinHandle<R>, (JoinHandle<R>, SpawnError)>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
        N: TaskName,
    {
        let tasks = self.blocking_spawner().tasks();
        let (join, notified) = tasks.list.bind(
            BlockingTask::new(func),
            BlockingSchedule::listed(tasks),
            name,
            task::Id::next(),
            location,
        );
        // The pool's list is never closed: `bind` always gives the task back.
        let notified = notified.expect("the blocking task list is never closed");
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
