//! The time driver: a hierarchical timer wheel, the clock, and timer entries.
//!
//! Layout:
//! - `clock.rs`: real or paused time (`Clock`).
//! - `coarse.rs`: the kernel's cheap coarse clock, which tells registration
//!   whether a far deadline has passed without a precise clock read.
//! - `wheel.rs`: 6 levels x 64 slots, 1 ms resolution at level 0 (about
//!   2.2 years of range; later deadlines are clamped).
//! - `entry.rs`: `TimerEntry`, the per-`Sleep` state, stored inline in the
//!   (pinned) future and linked into the wheel while registered.
//! - `handle.rs`: `TimeHandle`, shared by the driver and every entry:
//!   registration, cancellation, firing.
//!
//! The runtime's `driver.rs` parks until `TimeHandle::next_deadline()` and
//! then calls `TimeHandle::process()`; registering a deadline earlier than
//! the one the driver sleeps towards unparks it.

mod clock;
mod coarse;
mod entry;
mod handle;
mod wheel;

pub(crate) use clock::Clock;
pub(crate) use entry::TimerEntry;
pub(crate) use handle::{TimeHandle, TimerError};
