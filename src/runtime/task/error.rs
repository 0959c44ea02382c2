//! Why awaiting a `JoinHandle` did not produce the task's output.

use super::debug::panic_message;
use super::Id;
use std::any::Any;
use std::fmt;

/// The task did not finish normally: it was cancelled, or it panicked.
///
/// A panic inside a task is caught on the worker (which keeps running) and
/// handed to whoever awaits the handle:
///
/// ```
/// # weave::runtime::Runtime::new().unwrap().block_on(async {
/// let err = weave::spawn(async { panic!("boom") }).await.unwrap_err();
/// assert!(err.is_panic());
/// let payload = err.into_panic();
/// assert_eq!(*payload.downcast_ref::<&str>().unwrap(), "boom");
/// # });
/// ```
pub struct JoinError {
    id: Id,
    repr: Repr,
}

enum Repr {
    Cancelled,
    Panic(SyncWrapper<Box<dyn Any + Send + 'static>>),
}

/// Makes a `Send` payload `Sync`: the payload is only reachable through
/// `&mut self` or by value, never through a shared reference.
struct SyncWrapper<T>(T);

// SAFETY: `SyncWrapper` exposes its contents only through `&mut` or by value,
// so sharing `&SyncWrapper` between threads gives no access to `T`.
unsafe impl<T: Send> Sync for SyncWrapper<T> {}

impl JoinError {
    pub(crate) fn cancelled(id: Id) -> JoinError {
        JoinError {
            id,
            repr: Repr::Cancelled,
        }
    }

    pub(crate) fn panic(id: Id, payload: Box<dyn Any + Send + 'static>) -> JoinError {
        JoinError {
            id,
            repr: Repr::Panic(SyncWrapper(payload)),
        }
    }

    /// True if the task was cancelled (aborted, or its runtime shut down).
    pub fn is_cancelled(&self) -> bool {
        matches!(self.repr, Repr::Cancelled)
    }

    /// True if the task panicked.
    pub fn is_panic(&self) -> bool {
        matches!(self.repr, Repr::Panic(_))
    }

    /// The panic payload.
    ///
    /// # Panics
    ///
    /// Panics if the error is not a panic; use [`try_into_panic`](Self::try_into_panic)
    /// to check first. Pass the payload to `std::panic::resume_unwind` to
    /// continue the panic in the caller.
    #[track_caller]
    pub fn into_panic(self) -> Box<dyn Any + Send + 'static> {
        self.try_into_panic().expect(
            "`JoinError::into_panic` called on a task that was cancelled, not one that panicked",
        )
    }

    /// The panic payload, or the error back if the task was cancelled.
    pub fn try_into_panic(self) -> Result<Box<dyn Any + Send + 'static>, JoinError> {
        match self.repr {
            Repr::Panic(p) => Ok(p.0),
            Repr::Cancelled => Err(self),
        }
    }

    /// The id of the task that failed.
    pub fn id(&self) -> Id {
        self.id
    }

    /// The panic message, for a panic whose payload is a string.
    pub(crate) fn panic_message(&self) -> Option<&str> {
        match &self.repr {
            Repr::Panic(p) => panic_message(p.0.as_ref()),
            Repr::Cancelled => None,
        }
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Cancelled => write!(f, "task {} was cancelled", self.id),
            Repr::Panic(p) => match panic_message(p.0.as_ref()) {
                Some(msg) => write!(f, "task {} panicked with message {msg:?}", self.id),
                None => write!(f, "task {} panicked", self.id),
            },
        }
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Cancelled => write!(f, "JoinError::Cancelled({:?})", self.id),
            Repr::Panic(p) => match panic_message(p.0.as_ref()) {
                Some(msg) => write!(f, "JoinError::Panic({:?}, {msg:?}, ...)", self.id),
                None => write!(f, "JoinError::Panic({:?}, ...)", self.id),
            },
        }
    }
}

impl std::error::Error for JoinError {}

impl From<JoinError> for std::io::Error {
    fn from(err: JoinError) -> std::io::Error {
        std::io::Error::other(err.to_string())
    }
}
