//! The runtime: schedulers, the blocking pool, and the handles to them.
//!
//! Most programs only need [`#[weave::main]`](crate::main) or
//! [`Runtime::new`]; [`Builder`] configures everything else.
//!
//! ```
//! use weave::runtime::Runtime;
//!
//! let rt = Runtime::new().unwrap();
//! let answer = rt.block_on(async {
//!     let task = weave::spawn(async { 21 * 2 });
//!     task.await.unwrap()
//! });
//! assert_eq!(answer, 42);
//! ```

pub(crate) mod blocking;
mod builder;
pub(crate) mod config;
pub(crate) mod context;
pub(crate) mod driver;
mod dump;
mod handle;
pub(crate) mod io;
mod local_runtime;
mod metrics;
#[allow(clippy::module_inception)]
mod runtime;
pub(crate) mod scheduler;
pub(crate) mod task;
pub(crate) mod time;

pub use builder::Builder;
pub use dump::{Dump, TaskDump, TaskState};
pub use handle::{EnterGuard, Handle, TryCurrentError};
pub use local_runtime::{LocalOptions, LocalRuntime};
pub use metrics::RuntimeMetrics;
pub use runtime::{Runtime, RuntimeFlavor};
pub use task::DebugEvent;
