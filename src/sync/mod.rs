//! Synchronization primitives for use in asynchronous contexts.
//!
//! The types here mirror `tokio::sync`. They only need a `Waker`: they work
//! under weave's runtime, under any other executor, and (through their
//! `blocking_*` methods) from plain threads.

mod barrier;
pub(crate) mod batch_semaphore;
pub mod broadcast;
mod cancellation_token;
pub mod mpsc;
mod mutex;
mod notify;
mod once_cell;
pub mod oneshot;
mod queue;
mod rwlock;
mod semaphore;
mod set_once;
pub mod watch;

pub use barrier::{Barrier, BarrierWaitResult};
pub use batch_semaphore::{AcquireError, TryAcquireError};
pub use cancellation_token::{
    CancellationToken, DropGuard, DropGuardRef, WaitForCancellationFuture,
    WaitForCancellationFutureOwned,
};
pub use mutex::{
    MappedMutexGuard, Mutex, MutexGuard, OwnedMappedMutexGuard, OwnedMutexGuard, TryLockError,
};
pub use notify::{Notified, Notify, OwnedNotified};
pub use once_cell::{OnceCell, SetError};
pub use queue::{Queue, QueueClosed, TaskDoneError, TryGetError, TryPutError};
pub use rwlock::{
    OwnedRwLockMappedWriteGuard, OwnedRwLockReadGuard, OwnedRwLockWriteGuard, RwLock,
    RwLockMappedWriteGuard, RwLockReadGuard, RwLockWriteGuard,
};
pub use semaphore::{OwnedSemaphorePermit, Semaphore, SemaphorePermit};
pub use set_once::{SetOnce, SetOnceError};

/// Named future types of this module, at Tokio's `sync::futures` path.
pub mod futures {
    pub use super::notify::{Notified, OwnedNotified};
}
