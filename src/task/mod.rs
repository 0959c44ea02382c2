//! Spawning and managing tasks.
//!
//! A task is a future that the runtime drives on its own, like a green
//! thread (asyncio's `create_task`). [`spawn`] starts one and returns a
//! [`JoinHandle`] to await its output; [`Builder`] gives it a name;
//! [`spawn_blocking`] runs blocking code on a separate thread pool
//! (asyncio's `to_thread` / `run_in_executor`).
//!
//! ```
//! # weave::runtime::Runtime::new().unwrap().block_on(async {
//! let handles: Vec<_> = (0..3)
//!     .map(|i| weave::spawn(async move { i * 10 }))
//!     .collect();
//! let mut results = Vec::new();
//! for h in handles {
//!     results.push(h.await.unwrap());
//! }
//! assert_eq!(results, [0, 10, 20]);
//! # });
//! ```

mod as_completed;
mod blocking;
mod builder;
mod completion;
mod gather;
mod join_set;
mod local;
mod spawn;
mod task_group;
mod task_local;
mod wait;
mod yield_now;

pub use crate::coop::{consume_budget, unconstrained, Unconstrained};
pub use crate::runtime::task::{AbortHandle, Id, JoinError, JoinHandle};
/// The [`task_local!`](crate::task_local) macro, also at this path.
pub use crate::task_local;
pub use as_completed::{as_completed, AsCompleted};
pub use blocking::{block_in_place, spawn_blocking};
pub use builder::Builder;
pub use gather::{gather, try_gather};
pub use join_set::JoinSet;
pub use local::{spawn_local, LocalEnterGuard, LocalSet};
pub use spawn::spawn;
pub use task_group::TaskGroup;
pub use task_local::{AccessError, LocalKey};
pub use wait::{wait, wait_timeout, ReturnWhen};
pub use yield_now::yield_now;

/// Cooperative scheduling, as Tokio's `task::coop`: every weave resource
/// charges the running task's budget through [`poll_proceed`](coop::poll_proceed)
/// and makes the task yield once it is spent; resources written outside
/// weave can do the same.
pub mod coop {
    pub use crate::coop::{
        consume_budget, cooperative, has_budget_remaining, poll_proceed, unconstrained, Coop,
        RestoreOnPending, Unconstrained,
    };
}

/// Futures returned by functions in this module.
pub mod futures {
    pub use super::task_local::TaskLocalFuture;
}

/// The id of the task this is called from.
///
/// # Panics
///
/// Outside a task; see [`try_id`].
#[track_caller]
pub fn id() -> Id {
    try_id().expect(
        "`weave::task::id()` called outside a task: use `task::try_id()` where there may be none",
    )
}

/// The id of the task this is called from, or `None` outside a task.
pub fn try_id() -> Option<Id> {
    crate::runtime::task::try_current_id()
}

/// The name of the task this is called from, if it was given one with
/// [`Builder::name`].
///
/// ```
/// # weave::runtime::Runtime::new().unwrap().block_on(async {
/// let name = weave::task::Builder::new()
///     .name("worker-1")
///     .spawn(async { weave::task::name() })
///     .unwrap()
///     .await
///     .unwrap();
/// assert_eq!(name.as_deref(), Some("worker-1"));
/// # });
/// ```
pub fn name() -> Option<String> {
    crate::runtime::task::current_task().and_then(|t| t.name().map(String::from))
}
