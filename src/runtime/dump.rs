//! Task dumps: what every live task of a runtime is doing (aiomonitor's
//! `ps`), taken with [`Handle::dump`](crate::runtime::Handle::dump).
//!
//! A dump walks the runtime's task lists one shard at a time, under that
//! shard's lock, reading each task's header (id, spawn location, state
//! word), its name and, in debug mode, its poll statistics. It never waits
//! for a worker, so it answers while workers are busy or stuck in a poll
//! (that task shows as running). A dump is a snapshot taken over a short
//! time, not at one instant: a task may have moved on by the time it prints.

use super::task::{FileLine, Id, RawTask};
use std::fmt;
use std::panic::Location;
use std::time::Duration;

/// A snapshot of every live task of a runtime; see
/// [`Handle::dump`](crate::runtime::Handle::dump).
///
/// `Display` prints it as a table, one task a line:
///
/// ```text
///  ID  STATE      POLLS  SINCE LAST POLL  BUSY     NAME      SPAWNED AT
///  12  running        3  152.1ms          152.4ms  crawler   src/main.rs:40
///   7  idle          18  2.0s             1.2ms    -         src/main.rs:31
/// ```
#[derive(Clone, Debug)]
pub struct Dump {
    tasks: Vec<TaskDump>,
}

/// One task in a [`Dump`].
#[derive(Clone, Debug)]
pub struct TaskDump {
    id: Id,
    name: Option<String>,
    location: &'static Location<'static>,
    state: TaskState,
    stats: Option<crate::runtime::task::StatsSnapshot>,
}

/// What a task was doing when the dump saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TaskState {
    /// Waiting to be woken (by I/O, a timer, a channel...).
    Idle,
    /// Woken and queued, waiting for a worker.
    Scheduled,
    /// Being polled by a worker right now.
    Running,
    /// A `spawn_blocking` task running on the blocking pool.
    Blocking,
}

impl TaskState {
    fn as_str(self) -> &'static str {
        match self {
            TaskState::Idle => "idle",
            TaskState::Scheduled => "scheduled",
            TaskState::Running => "running",
            TaskState::Blocking => "blocking",
        }
    }
}

impl fmt::Display for TaskState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl Dump {
    /// Every task of the dump, most recently spawned first within each part
    /// of the runtime (async tasks, then `spawn_blocking` tasks).
    pub fn tasks(&self) -> &[TaskDump] {
        &self.tasks
    }
}

/// Builds a dump from the runtime's task lists.
pub(crate) struct DumpBuilder {
    /// A debug-clock reading (the clock task statistics use).
    now: u64,
    tasks: Vec<TaskDump>,
}

impl DumpBuilder {
    pub(crate) fn new() -> DumpBuilder {
        DumpBuilder {
            now: crate::runtime::task::debug_clock_now(),
            tasks: Vec::new(),
        }
    }

    /// Records `task`; `blocking` for a `spawn_blocking` task. Completed
    /// tasks still in a list (about to leave it) are skipped.
    pub(crate) fn add(&mut self, task: RawTask, blocking: bool) {
        let snapshot = task.state().load();
        if snapshot.is_complete() {
            return;
        }
        let state = if snapshot.is_running() {
            if blocking {
                TaskState::Blocking
            } else {
                TaskState::Running
            }
        } else if snapshot.is_notified() {
            TaskState::Scheduled
        } else {
            TaskState::Idle
        };
        let name = task.task_name();
        self.tasks.push(TaskDump {
            id: task.id(),
            name: name.get().map(str::to_owned),
            location: task.location(),
            state,
            stats: name.stats().map(|s| s.snapshot(self.now)),
        });
    }

    pub(crate) fn finish(self) -> Dump {
        Dump { tasks: self.tasks }
    }
}

impl TaskDump {
    /// The task's id.
    pub fn id(&self) -> Id {
        self.id
    }

    /// The task's name, if it was spawned with one
    /// ([`task::Builder::name`](crate::task::Builder::name)).
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// Where the task was spawned (the user's spawn call).
    pub fn location(&self) -> &'static Location<'static> {
        self.location
    }

    /// What the task was doing.
    pub fn state(&self) -> TaskState {
        self.state
    }

    /// How many times the task was polled (debug mode only; `None` without
    /// it).
    pub fn polls(&self) -> Option<u64> {
        self.stats.map(|s| s.polls)
    }

    /// Time since the task's latest poll started (debug mode only; `None`
    /// without it or before the first poll). For a running task, how long
    /// the current poll has taken so far.
    pub fn since_last_poll(&self) -> Option<Duration> {
        self.stats.and_then(|s| s.since_last_poll)
    }

    /// Total time spent in the task's completed polls (debug mode only).
    pub fn busy(&self) -> Option<Duration> {
        self.stats.map(|s| s.busy)
    }
}

impl fmt::Display for Dump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const HEADER: [&str; 7] = [
            "ID",
            "STATE",
            "POLLS",
            "SINCE LAST POLL",
            "BUSY",
            "NAME",
            "SPAWNED AT",
        ];
        let rows: Vec<[String; 7]> = self
            .tasks
            .iter()
            .map(|t| {
                let dash = || "-".to_string();
                [
                    t.id.to_string(),
                    t.state.to_string(),
                    t.polls().map_or_else(dash, |p| p.to_string()),
                    t.since_last_poll()
                        .map_or_else(dash, |d| format!("{d:.1?}")),
                    t.busy().map_or_else(dash, |d| format!("{d:.1?}")),
                    t.name().map_or_else(dash, str::to_owned),
                    FileLine(t.location).to_string(),
                ]
            })
            .collect();
        let mut widths = HEADER.map(str::len);
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        // Numbers right-aligned, words left-aligned; the last column is not
        // padded (no trailing spaces).
        let right = [true, false, true, false, false, false, false];
        let mut line = |cells: [&str; 7]| -> fmt::Result {
            for (i, cell) in cells.iter().enumerate() {
                if i + 1 == cells.len() {
                    writeln!(f, "{cell}")?;
                } else if right[i] {
                    write!(f, "{cell:>w$}  ", w = widths[i])?;
                } else {
                    write!(f, "{cell:<w$}  ", w = widths[i])?;
                }
            }
            Ok(())
        };
        line(HEADER)?;
        for row in &rows {
            line([
                &row[0], &row[1], &row[2], &row[3], &row[4], &row[5], &row[6],
            ])?;
        }
        Ok(())
    }
}
