//! Scheduler settings chosen on the `Builder`.

use super::task::Debugger;
use std::sync::Arc;

pub(crate) type Callback = Arc<dyn Fn() + Send + Sync>;

#[derive(Clone)]
pub(crate) struct Config {
    /// Ticks between two looks at the global queue ahead of the local one.
    pub(crate) global_queue_interval: u32,
    /// Ticks between two driver polls (I/O and timers) while busy.
    pub(crate) event_interval: u32,
    /// Called on a worker before it parks and after it wakes.
    pub(crate) before_park: Option<Callback>,
    pub(crate) after_unpark: Option<Callback>,
    /// Whether a task woken by the running task runs next (LIFO slot).
    pub(crate) lifo_slot: bool,
    /// Debug mode's settings, when it is on.
    pub(crate) debug: Option<Arc<Debugger>>,
}

impl Config {
    pub(crate) const DEFAULT_GLOBAL_QUEUE_INTERVAL: u32 = 31;
    pub(crate) const DEFAULT_EVENT_INTERVAL: u32 = 61;
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("global_queue_interval", &self.global_queue_interval)
            .field("event_interval", &self.event_interval)
            .field("lifo_slot", &self.lifo_slot)
            .field("debug", &self.debug)
            .finish_non_exhaustive()
    }
}
