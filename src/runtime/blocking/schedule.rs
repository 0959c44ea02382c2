//! The "scheduler" of blocking tasks.

use crate::runtime::task::{Debugger, Notified, OwnedTasks, Schedule, Task};
use std::sync::Arc;

/// Blocking tasks run once, to completion, on a pool thread: they are never
/// woken back into a queue. `spawn_blocking` tasks are listed in the pool's
/// [`BlockingTasks`] (so task dumps show them); the runtime's own worker
/// threads are not.
#[derive(Debug, Clone)]
pub(crate) struct BlockingSchedule {
    tasks: Option<Arc<BlockingTasks>>,
}

/// The `spawn_blocking` tasks of one pool, alive until they complete.
pub(crate) struct BlockingTasks {
    pub(crate) list: OwnedTasks<BlockingSchedule>,
    debug: Option<Arc<Debugger>>,
}

impl BlockingTasks {
    pub(crate) fn new(debug: Option<Arc<Debugger>>) -> BlockingTasks {
        BlockingTasks {
            // Blocking spawns already take the pool's lock: one shard is
            // enough.
            list: OwnedTasks::new(1),
            debug,
        }
    }

    pub(crate) fn debugger(&self) -> Option<&Debugger> {
        self.debug.as_deref()
    }
}

impl std::fmt::Debug for BlockingTasks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockingTasks").finish_non_exhaustive()
    }
}

impl BlockingSchedule {
    /// For a task listed in `tasks`.
    pub(crate) fn listed(tasks: &Arc<BlockingTasks>) -> BlockingSchedule {
        BlockingSchedule {
            tasks: Some(tasks.clone()),
        }
    }

    /// For a runtime worker thread: in no list, never reported.
    pub(crate) fn unlisted() -> BlockingSchedule {
        BlockingSchedule { tasks: None }
    }
}

impl Schedule for BlockingSchedule {
    fn schedule(&self, _task: Notified<Self>) {
        // A `BlockingTask` is ready on its first poll, and abort of a queued
        // blocking task only marks it cancelled (it is already NOTIFIED), so
        // nothing ever asks to reschedule one.
        unreachable!("blocking tasks are never rescheduled");
    }

    fn release(&self, task: &Task<Self>) -> Option<Task<Self>> {
        self.tasks.as_ref()?.list.remove(task)
    }

    fn debugger(&self) -> Option<&Debugger> {
        self.tasks.as_ref()?.debugger()
    }

    const BLOCKS_BY_DESIGN: bool = true;
}
