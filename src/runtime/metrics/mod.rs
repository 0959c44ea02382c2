//! Runtime metrics: [`RuntimeMetrics`] and the per-worker counters behind it.
//!
//! Metrics are always on, so counting must cost (almost) nothing on the hot
//! path. Each worker keeps its counters as plain `u64` fields in its own core
//! ([`WorkerStats`]), which only the thread holding the core touches: no
//! atomic operation, no shared cache line per poll, spawn or schedule. The
//! worker copies them into its own cache-line-padded block of `AtomicU64`s
//! ([`WorkerMetrics`], written by that worker only, `Relaxed` stores) at
//! points that are already slow: when it parks, at its periodic maintenance
//! tick (every `event_interval` scheduler ticks, where it polls the driver
//! anyway), and when it gives its core up (shutdown, or the current-thread
//! `block_on` returning). Readers load `Relaxed` from any thread.
//!
//! Consequences:
//! - While a worker is busy, its counters may lag by up to one maintenance
//!   interval; once it has parked (or left `block_on`) they are exact.
//! - Busy time is measured with `Instant::now` only at those same points
//!   (unpark, park, maintenance tick), never per poll.
//! - Counters of different workers (and different counters of one worker)
//!   are not a consistent snapshot of one instant.
//!
//! Events that happen off any worker (a spawn or wake from a thread outside
//! the runtime) are not on the hot path; they go to one shared counter
//! ([`SchedulerMetrics`]). Gauges (alive tasks, queue depths, blocking
//! threads) are read from the structures themselves when asked.

mod runtime;
mod worker;

pub use runtime::RuntimeMetrics;
pub(crate) use worker::{SchedulerMetrics, WorkerMetrics, WorkerStats};
