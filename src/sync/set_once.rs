//! [`SetOnce`]: a value set at most once, which tasks can wait for.
//!
//! A [`OnceCell`] for the value plus a [`Notify`] for the waiters. `set`
//! stores the value (release) and then wakes every waiter; `wait` registers
//! its `Notified` *before* looking at the cell, so a value set in between is
//! either seen by the look or wakes the registered waiter: no lost wake-up.

use std::error::Error;
use std::fmt;

use super::{Notify, OnceCell, SetError};

/// A thread-safe cell that can be written to only once, and awaited until it
/// is, as Tokio's `sync::SetOnce` (asyncio: a `Future` whose result is set
/// once, read by many).
///
/// ```
/// use std::sync::Arc;
/// use weave::sync::SetOnce;
///
/// # weave::runtime::Runtime::new().unwrap().block_on(async {
/// let ready = Arc::new(SetOnce::new());
/// let waiter = weave::spawn({
///     let ready = ready.clone();
///     async move { *ready.wait().await * 2 }
/// });
/// ready.set(21).unwrap();
/// assert_eq!(waiter.await.unwrap(), 42);
/// assert!(ready.set(0).is_err());
/// # });
/// ```
pub struct SetOnce<T> {
    value: OnceCell<T>,
    notify: Notify,
}

impl<T> SetOnce<T> {
    /// Creates an empty `SetOnce`.
    pub fn new() -> SetOnce<T> {
        SetOnce {
            value: OnceCell::new(),
            notify: Notify::new(),
        }
    }

    /// Creates an empty `SetOnce` in a `const` context.
    #[cfg(not(loom))]
    pub const fn const_new() -> SetOnce<T> {
        SetOnce {
            value: OnceCell::const_new(),
            notify: Notify::const_new(),
        }
    }

    /// Creates a `SetOnce` holding `value` in a `const` context.
    #[cfg(not(loom))]
    pub const fn const_new_with(value: T) -> SetOnce<T> {
        SetOnce {
            value: OnceCell::const_new_with(value),
            notify: Notify::const_new(),
        }
    }

    /// Creates a `SetOnce` that holds `value` if it is `Some`.
    pub fn new_with(value: Option<T>) -> SetOnce<T> {
        SetOnce {
            value: OnceCell::new_with(value),
            notify: Notify::new(),
        }
    }

    /// True once a value has been set.
    pub fn initialized(&self) -> bool {
        self.value.initialized()
    }

    /// The value, if it has been set.
    pub fn get(&self) -> Option<&T> {
        self.value.get()
    }

    /// Sets the value and wakes every task in [`wait`](SetOnce::wait).
    /// Fails, giving `value` back, if it was already set.
    pub fn set(&self, value: T) -> Result<(), SetOnceError<T>> {
        // No `get_or_init` here, so the only error is "already set".
        match self.value.set(value) {
            Ok(()) => {
                self.notify.notify_waiters();
                Ok(())
            }
            Err(SetError::AlreadyInitializedError(value) | SetError::InitializingError(value)) => {
                Err(SetOnceError(value))
            }
        }
    }

    /// The value, if it was set, consuming the `SetOnce`.
    pub fn into_inner(self) -> Option<T> {
        self.value.into_inner()
    }

    /// Waits until the value is set and returns it (at once if it is).
    pub async fn wait(&self) -> &T {
        loop {
            let notified = self.notify.notified();
            crate::pin!(notified);
            // Registered before the look below: a `set` after the look wakes us.
            notified.as_mut().enable();
            if let Some(value) = self.value.get() {
                return value;
            }
            notified.await;
        }
    }
}

impl<T> Default for SetOnce<T> {
    fn default() -> SetOnce<T> {
        SetOnce::new()
    }
}

impl<T> From<T> for SetOnce<T> {
    fn from(value: T) -> SetOnce<T> {
        SetOnce::new_with(Some(value))
    }
}

impl<T: Clone> Clone for SetOnce<T> {
    fn clone(&self) -> SetOnce<T> {
        SetOnce::new_with(self.get().cloned())
    }
}

impl<T: PartialEq> PartialEq for SetOnce<T> {
    fn eq(&self, other: &SetOnce<T>) -> bool {
        self.get() == other.get()
    }
}

impl<T: Eq> Eq for SetOnce<T> {}

impl<T: fmt::Debug> fmt::Debug for SetOnce<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SetOnce")
            .field("value", &self.get())
            .finish()
    }
}

/// The error of [`SetOnce::set`] when the value was already set; holds the
/// value that was not stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetOnceError<T>(pub T);

impl<T> fmt::Display for SetOnceError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SetOnce already initialized")
    }
}

impl<T: fmt::Debug> Error for SetOnceError<T> {}
