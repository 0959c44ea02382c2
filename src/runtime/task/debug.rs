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
use super::Id;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe, Location};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// Poll counters of one task (debug mode only).
///
/// Plain std atomics even under loom: the loom models never run debug mode,
/// and these fields synchronize nothing.
#[derive(Default)]
pub(crate) struct TaskStats {
    polls: AtomicU64,
    /// When the latest poll started, in nanoseconds since [`epoch`], plus
    /// one (so zero means "never polled").
    last_poll_start: AtomicU64,
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

impl TaskStats {
    /// Marks the start of a poll; returns the instant to pass to
    /// [`poll_ended`](Self::poll_ended).
    pub(crate) fn poll_started(&self) -> Instant {
        let now = Instant::now();
        self.last_poll_start
            .store(nanos_since_epoch(now).saturating_add(1), Relaxed);
        now
    }

    /// Accounts for a poll that started at `start`; returns its duration.
    pub(crate) fn poll_ended(&self, start: Instant) -> Duration {
        let took = start.elapsed();
        // Single writer (the RUNNING owner): load-then-store is exact.
        self.polls.store(self.polls.load(Relaxed) + 1, Relaxed);
        let busy = self
            .busy
            .load(Relaxed)
            .saturating_add(saturating_nanos(took));
        self.busy.store(busy, Relaxed);
        took
    }

    pub(crate) fn snapshot(&self, now: Instant) -> StatsSnapshot {
        let start = self.last_poll_start.load(Relaxed);
        StatsSnapshot {
            polls: self.polls.load(Relaxed),
            since_last_poll: (start != 0)
                .then(|| Duration::from_nanos(nanos_since_epoch(now).saturating_sub(start - 1))),
            busy: Duration::from_nanos(self.busy.load(Relaxed)),
        }
    }
}

/// The instant poll times are counted from: one per process, so tasks of
/// different runtimes compare.
fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

fn nanos_since_epoch(t: Instant) -> u64 {
    saturating_nanos(t.saturating_duration_since(epoch()))
}

fn saturating_nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
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
    hook: Option<DebugHook>,
}

impl Debugger {
    /// `hook: None` prints each report to stderr (or, with the `tracing`
    /// feature, emits it as a `tracing` event).
    pub(crate) fn new(slow_poll_threshold: Duration, hook: Option<DebugHook>) -> Debugger {
        Debugger {
            slow_poll_threshold,
            hook,
        }
    }

    pub(crate) fn slow_poll_threshold(&self) -> Duration {
        self.slow_poll_threshold
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
