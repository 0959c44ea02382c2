//! The "scheduler" of blocking tasks.

use crate::runtime::task::{Notified, Schedule, Task};

/// Blocking tasks run once, to completion, on a pool thread: they are never
/// woken back into a queue and are in no owned list.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BlockingSchedule;

impl Schedule for BlockingSchedule {
    fn schedule(&self, _task: Notified<Self>) {
        // A `BlockingTask` is ready on its first poll, and abort of a queued
        // blocking task only marks it cancelled (it is already NOTIFIED), so
        // nothing ever asks to reschedule one.
        unreachable!("blocking tasks are never rescheduled");
    }

    fn release(&self, _task: &Task<Self>) -> Option<Task<Self>> {
        None
    }
}
