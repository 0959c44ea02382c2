//! The blocking pool: threads for work that would stall a worker.
//!
//! `spawn_blocking` closures, file-system calls and the runtime's own worker
//! threads run here. Threads are created on demand up to a cap, reused while
//! work keeps arriving, and retire after an idle keep-alive period.

mod pool;
mod schedule;
mod task;

pub(crate) use pool::{BlockingPool, EnterContext, SpawnError, Spawner, ThreadConfig};
pub(crate) use schedule::BlockingSchedule;
pub(crate) use task::BlockingTask;
