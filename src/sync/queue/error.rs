//! Errors returned by [`Queue`](super::Queue). The ones that carry an item
//! give it back; their `Debug` output does not require `T: Debug`.

use std::fmt;

/// [`Queue::put`](super::Queue::put) failed because the queue is closed;
/// `.0` is the item, handed back. (asyncio: `QueueShutDown` raised by `put`.)
#[derive(PartialEq, Eq, Clone, Copy)]
pub struct QueueClosed<T>(pub T);

impl<T> QueueClosed<T> {
    /// Gives back the item that could not be put.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for QueueClosed<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("QueueClosed(..)")
    }
}

impl<T> fmt::Display for QueueClosed<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("queue closed")
    }
}

impl<T> std::error::Error for QueueClosed<T> {}

/// Why [`Queue::try_put`](super::Queue::try_put) failed; the item comes
/// back either way. (asyncio: `QueueFull` / `QueueShutDown` raised by
/// `put_nowait`.)
#[derive(PartialEq, Eq, Clone, Copy)]
pub enum TryPutError<T> {
    /// The queue is at capacity.
    Full(T),
    /// The queue is closed (reported even if it is also full).
    Closed(T),
}

impl<T> TryPutError<T> {
    /// Gives back the item that could not be put.
    pub fn into_inner(self) -> T {
        match self {
            TryPutError::Full(v) | TryPutError::Closed(v) => v,
        }
    }

    /// True for [`TryPutError::Full`].
    pub fn is_full(&self) -> bool {
        matches!(self, TryPutError::Full(_))
    }

    /// True for [`TryPutError::Closed`].
    pub fn is_closed(&self) -> bool {
        matches!(self, TryPutError::Closed(_))
    }
}

impl<T> fmt::Debug for TryPutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryPutError::Full(_) => f.write_str("Full(..)"),
            TryPutError::Closed(_) => f.write_str("Closed(..)"),
        }
    }
}

impl<T> fmt::Display for TryPutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryPutError::Full(_) => f.write_str("queue full"),
            TryPutError::Closed(_) => f.write_str("queue closed"),
        }
    }
}

impl<T> std::error::Error for TryPutError<T> {}

/// Why [`Queue::try_get`](super::Queue::try_get) returned no item.
/// (asyncio: `QueueEmpty` / `QueueShutDown` raised by `get_nowait`.)
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum TryGetError {
    /// Nothing is queued right now.
    Empty,
    /// The queue is closed and drained: nothing will ever come.
    Closed,
}

impl fmt::Display for TryGetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryGetError::Empty => f.write_str("queue empty"),
            TryGetError::Closed => f.write_str("queue closed and empty"),
        }
    }
}

impl std::error::Error for TryGetError {}

/// [`Queue::task_done`](super::Queue::task_done) was called more times than
/// items were taken out of the queue. (asyncio: the `ValueError` of
/// `task_done`.)
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub struct TaskDoneError(pub(super) ());

impl fmt::Display for TaskDoneError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("task_done() called more times than items were taken from the queue")
    }
}

impl std::error::Error for TaskDoneError {}
