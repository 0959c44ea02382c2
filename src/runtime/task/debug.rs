//! Debug mode in the task core: per-task poll statistics and reports.
//!
//! A runtime in debug mode spawns every task with a [`Traced`] name, which
//! carries [`TaskStats`] beside the name in the task cell. Everything the
//! debug mode does per poll hangs off `TaskName::stats`: for the plain name
//! types (`()` and `Box<str>`) that is a constant `None`, so a runtime with
//! debug off runs exactly the code it ran before debug mode existed, and its
//! tasks carry no extra bytes.
//!
//! Invariants:
//! - `TaskStats` is written only by the thread that holds the task's
//!   `RUNNING` bit (so plain load-then-store updates lose nothing) and read
//!   by anyone (task dumps). Readers may see the fields of one poll
//!   half-updated; each field on its own is always a value it really had.
//! - A report (a [`DebugEvent`]) goes to the hook with no task-core lock
//!   held, and a panicking hook is contained: it can lose that report, never
//!   unwind into a scheduler.

use super::cell::TaskName;
use super::debug_clock::{self, ClockUser};
use super::Id;
use std::fmt;
use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe, Location};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

/// Poll counters of one task (debug mode only). Times come from
/// [`debug_clock`].
///
/// 16 bytes, so that a small task's cell stays within the allocator's
/// cheapest size classes (24 bytes pushed a 104-byte cell past glibc's
/// fast bins, which showed as a third more instructions per spawn).
///
/// Plain std atomics even under loom: the loom models never run debug mode,
/// and these fields synchronize nothing.
#[derive(Default)]
pub(crate) struct TaskStats {
    /// Saturates at `u32::MAX`.
    polls: AtomicU32,
    /// When the latest poll started, in units of 2^20 ns (about a
    /// millisecond: a shift, not a division, on every poll) of the debug
    /// clock, plus one (zero: never polled). Wraps after 52 days; only
    /// differences of less than that are ever taken.
    last_poll_start: AtomicU32,
    /// Total time spent inside `poll`, in nanoseconds.
    busy: AtomicU64,
}

/// What a dump reads out of [`TaskStats`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct StatsSnapshot {
    pub(crate) polls: u64,
    pub(crate) since_last_poll: Option<Duration>,
    pub(crate) busy: Duration,
}

/// `last_poll_start` counts units of `1 << UNIT_SHIFT` nanoseconds.
const UNIT_SHIFT: u32 = 20;

impl TaskStats {
    /// Marks the start of a poll; returns the time to pass to
    /// [`poll_ended`](Self::poll_ended).
    #[inline]
    pub(crate) fn poll_started(&self) -> u64 {
        let now = debug_clock::now();
        let units = (now >> UNIT_SHIFT) as u32;
        self.last_poll_start.store(units.wrapping_add(1), Relaxed);
        now
    }

    /// Accounts for a poll that started at `start`; returns its duration in
    /// nanoseconds.
    #[inline]
    pub(crate) fn poll_ended(&self, start: u64) -> u64 {
        let took = debug_clock::now().saturating_sub(start);
        // Single writer (the RUNNING owner): load-then-store is exact.
        let polls = self.polls.load(Relaxed);
        self.polls.store(polls.saturating_add(1), Relaxed);
        let busy = self.busy.load(Relaxed).saturating_add(took);
        self.busy.store(busy, Relaxed);
        took
    }

    /// The counters as of `now` (a [`debug_clock::now`] reading).
    pub(crate) fn snapshot(&self, now: u64) -> StatsSnapshot {
        let start = self.last_poll_start.load(Relaxed);
        let now_units = (now >> UNIT_SHIFT) as u32;
        StatsSnapshot {
            polls: u64::from(self.polls.load(Relaxed)),
            since_last_poll: (start != 0).then(|| {
                let since = now_units.wrapping_sub(start.wrapping_sub(1));
                Duration::from_nanos(u64::from(since) << UNIT_SHIFT)
            }),
            busy: Duration::from_nanos(self.busy.load(Relaxed)),
        }
    }
}

/// A task name with debug-mode statistics beside it.
pub(crate) struct Traced<N> {
    name: N,
    stats: TaskStats,
}

impl<N: TaskName> Traced<N> {
    pub(crate) fn new(name: N) -> Traced<N> {
        Traced {
            name,
            stats: TaskStats::default(),
        }
    }
}

impl<N: TaskName> TaskName for Traced<N> {
    fn get(&self) -> Option<&str> {
        self.name.get()
    }

    fn stats(&self) -> Option<&TaskStats> {
        Some(&self.stats)
    }
}

/// Something debug mode reports: a slow poll, a panic nobody retrieved, a
/// runtime dropped with tasks pending.
///
/// Reports go to the hook set with
/// [`Builder::on_debug_event`](crate::runtime::Builder::on_debug_event); by
/// default each is printed to stderr as one line, which is what `Display`
/// gives.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use weave::runtime::{Builder, DebugEvent};
///
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let log = seen.clone();
/// let rt = Builder::new_current_thread()
///     .debug(true)
///     .on_debug_event(move |event| log.lock().unwrap().push(event.to_string()))
///     .build()
///     .unwrap();
/// rt.block_on(async {
///     let task = weave::spawn(async { panic!("nobody awaits me") });
///     while !task.is_finished() {
///         weave::task::yield_now().await;
///     }
///     drop(task); // the panic was never retrieved
/// });
/// let seen = seen.lock().unwrap();
/// assert!(seen.iter().any(|line| line.contains("never retrieved: nobody awaits me")));
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum DebugEvent {
    /// One poll of a task took longer than the slow-poll threshold: the task
    /// blocked its worker thread (a blocking call inside async code).
    #[non_exhaustive]
    SlowPoll {
        /// The task.
        id: Id,
        /// Its name, if it was spawned with one.
        name: Option<String>,
        /// Where it was spawned.
        location: &'static Location<'static>,
        /// How long the poll took.
        duration: Duration,
        /// The threshold it crossed.
        threshold: Duration,
    },
    /// A task panicked and nobody took the panic through its `JoinHandle`:
    /// the handle was dropped before or after the panic.
    #[non_exhaustive]
    UnretrievedPanic {
        /// The task.
        id: Id,
        /// Its name, if it was spawned with one.
        name: Option<String>,
        /// Where it was spawned.
        location: &'static Location<'static>,
        /// The panic message, if the payload was a string.
        message: Option<String>,
    },
    /// A runtime shut down while tasks were still pending; they were
    /// cancelled.
    #[non_exhaustive]
    PendingAtShutdown {
        /// How many tasks were pending.
        count: usize,
        /// Each distinct spawn location, with how many of the pending tasks
        /// were spawned there; most first.
        locations: Vec<(&'static Location<'static>, usize)>,
    },
}

/// Formats a location as `file:line`, the way debug reports print it.
pub(crate) struct FileLine(pub(crate) &'static Location<'static>);

impl fmt::Display for FileLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.0.file(), self.0.line())
    }
}

/// `task 7 "name"` or `task 7`.
struct TaskLabel<'a>(Id, Option<&'a str>);

impl fmt::Display for TaskLabel<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.1 {
            Some(name) => write!(f, "task {} {:?}", self.0, name),
            None => write!(f, "task {}", self.0),
        }
    }
}

impl fmt::Display for DebugEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DebugEvent::SlowPoll {
                id,
                name,
                location,
                duration,
                threshold,
            } => write!(
                f,
                "weave debug: slow poll: {} (spawned at {}) took {:.1?} in one poll \
                 (threshold {:?}); a blocking call in async code stalls its worker",
                TaskLabel(*id, name.as_deref()),
                FileLine(location),
                duration,
                threshold
            ),
            DebugEvent::UnretrievedPanic {
                id,
                name,
                location,
                message,
            } => {
                write!(
                    f,
                    "weave debug: {} (spawned at {}) panicked and the panic was never retrieved",
                    TaskLabel(*id, name.as_deref()),
                    FileLine(location)
                )?;
                match message {
                    Some(message) => write!(f, ": {message}"),
                    None => Ok(()),
                }
            }
            DebugEvent::PendingAtShutdown { count, locations } => {
                write!(
                    f,
                    "weave debug: runtime shut down with {count} pending task{} (cancelled), \
                     spawned at",
                    if *count == 1 { "" } else { "s" }
                )?;
                for (i, (location, n)) in locations.iter().enumerate() {
                    let sep = if i == 0 { " " } else { ", " };
                    write!(f, "{sep}{} ({n})", FileLine(location))?;
                }
                Ok(())
            }
        }
    }
}

/// The hook debug reports go to.
pub(crate) type DebugHook = Arc<dyn Fn(&DebugEvent) + Send + Sync>;

/// A runtime's debug-mode settings: present only when debug mode is on.
pub(crate) struct Debugger {
    slow_poll_threshold: Duration,
    /// The same, in nanoseconds, for the per-poll comparison.
    slow_poll_nanos: u64,
    hook: Option<DebugHook>,
    /// Keeps the poll clock ticking while the runtime lives.
    _clock: ClockUser,
}

impl Debugger {
    /// `hook: None` prints each report to stderr (or, with the `tracing`
    /// feature, emits it as a `tracing` event). Fails if the poll clock's
    /// thread cannot be started.
    pub(crate) fn new(
        slow_poll_threshold: Duration,
        hook: Option<DebugHook>,
    ) -> io::Result<Debugger> {
        Ok(Debugger {
            slow_poll_threshold,
            slow_poll_nanos: u64::try_from(slow_poll_threshold.as_nanos()).unwrap_or(u64::MAX),
            hook,
            _clock: ClockUser::new()?,
        })
    }

    pub(crate) fn slow_poll_threshold(&self) -> Duration {
        self.slow_poll_threshold
    }

    /// Whether a poll that took `nanos` is slow.
    #[inline]
    pub(crate) fn is_slow(&self, nanos: u64) -> bool {
        nanos >= self.slow_poll_nanos
    }

    /// Hands `event` to the hook; a panicking hook loses this one report.
    pub(crate) fn report(&self, event: DebugEvent) {
        let _ = catch_unwind(AssertUnwindSafe(|| match &self.hook {
            Some(hook) => hook(&event),
            None => default_report(&event),
        }));
    }
}

#[cfg(not(feature = "tracing"))]
fn default_report(event: &DebugEvent) {
    eprintln!("{event}");
}

#[cfg(feature = "tracing")]
fn default_report(event: &DebugEvent) {
    tracing::warn!(target: "weave::debug", "{event}");
}

impl fmt::Debug for Debugger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Debugger")
            .field("slow_poll_threshold", &self.slow_poll_threshold)
            .field("custom_hook", &self.hook.is_some())
            .finish()
    }
}

/// The message of a panic payload, when it is a string.
pub(super) fn panic_message(payload: &(dyn std::any::Any + Send)) -> Option<&str> {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        Some(s)
    } else {
        payload.downcast_ref::<String>().map(String::as_str)
    }
}
