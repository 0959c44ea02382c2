//! A cell that is written at most once, by whichever task gets there first.
//!
//! Built from a one-permit batch semaphore and a flag:
//!
//! - The permit is the right to initialise. `get_or_init` takes it, runs the
//!   initialiser, writes the value, sets `value_set` (Release) and then
//!   *closes* the semaphore, which wakes every other waiter with an error
//!   that means "initialised, read it".
//! - If the initialiser is cancelled or panics, the permit goes back (an
//!   RAII guard) and the next waiter, in FIFO order, tries instead.
//! - The value slot is written only by the permit holder before
//!   `value_set` is set, and read only after `value_set` is seen (Acquire);
//!   `&mut self` methods (`take`, `get_mut`) have the cell to themselves.
//! - Every path checks `value_set` before touching the semaphore, so a cell
//!   made already initialised never needs a closed semaphore.

use super::batch_semaphore as ll;
use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::{AtomicBool, Ordering};
use std::error::Error;
use std::fmt;
use std::future::Future;
use std::mem::MaybeUninit;

/// A thread-safe cell written at most once, with async initialisation.
///
/// # Examples
///
/// ```
/// use weave::sync::OnceCell;
///
/// static CONFIG: OnceCell<String> = OnceCell::const_new();
///
/// async fn config() -> &'static str {
///     CONFIG.get_or_init(|| async { String::from("loaded") }).await
/// }
///
/// # futures::executor::block_on(async {
/// assert_eq!(config().await, "loaded");
/// assert_eq!(CONFIG.get().map(String::as_str), Some("loaded"));
/// # });
/// ```
pub struct OnceCell<T> {
    value_set: AtomicBool,
    value: UnsafeCell<MaybeUninit<T>>,
    semaphore: ll::Semaphore,
}

/// Error returned by [`OnceCell::set`]; carries the rejected value.
#[derive(Debug, PartialEq, Eq)]
pub enum SetError<T> {
    /// The cell was already initialised.
    AlreadyInitializedError(T),
    /// Another task is initialising the cell right now.
    InitializingError(T),
}

// SAFETY: the cell owns a `T`, which may be moved out on another thread.
unsafe impl<T: Send> Send for OnceCell<T> {}
// SAFETY: `&OnceCell` hands out `&T` (needs `T: Sync`) and lets any thread
// store a `T` (needs `T: Send`).
unsafe impl<T: Sync + Send> Sync for OnceCell<T> {}

/// Gives the init permit back unless the value was stored.
struct InitGuard<'a>(&'a ll::Semaphore);

impl Drop for InitGuard<'_> {
    fn drop(&mut self) {
        self.0.release(1);
    }
}

impl<T> OnceCell<T> {
    /// Creates an empty cell.
    pub fn new() -> OnceCell<T> {
        OnceCell {
            value_set: AtomicBool::new(false),
            value: UnsafeCell::new(MaybeUninit::uninit()),
            semaphore: ll::Semaphore::new(1),
        }
    }

    /// Creates an empty cell in a `const` context.
    #[cfg(not(loom))]
    pub const fn const_new() -> OnceCell<T> {
        OnceCell {
            value_set: AtomicBool::new(false),
            value: UnsafeCell::new(MaybeUninit::uninit()),
            semaphore: ll::Semaphore::const_new(1),
        }
    }

    /// Creates a cell holding `value` in a `const` context.
    ///
    /// ```
    /// use weave::sync::OnceCell;
    /// static ANSWER: OnceCell<u32> = OnceCell::const_new_with(42);
    /// assert_eq!(ANSWER.get(), Some(&42));
    /// ```
    #[cfg(not(loom))]
    pub const fn const_new_with(value: T) -> OnceCell<T> {
        OnceCell {
            value_set: AtomicBool::new(true),
            value: UnsafeCell::new(MaybeUninit::new(value)),
            semaphore: ll::Semaphore::const_new(1),
        }
    }

    /// Creates a cell that holds `value` if it is `Some`.
    ///
    /// ```
    /// let cell = weave::sync::OnceCell::new_with(Some(1));
    /// assert!(cell.initialized());
    /// ```
    pub fn new_with(value: Option<T>) -> OnceCell<T> {
        match value {
            Some(v) => OnceCell {
                value_set: AtomicBool::new(true),
                value: UnsafeCell::new(MaybeUninit::new(v)),
                semaphore: ll::Semaphore::new(1),
            },
            None => OnceCell::new(),
        }
    }

    /// True once a value has been stored.
    pub fn initialized(&self) -> bool {
        self.value_set.load(Ordering::Acquire)
    }

    /// Returns the value, if stored.
    ///
    /// ```
    /// let cell = weave::sync::OnceCell::new();
    /// assert_eq!(cell.get(), None);
    /// cell.set(3).unwrap();
    /// assert_eq!(cell.get(), Some(&3));
    /// ```
    pub fn get(&self) -> Option<&T> {
        if self.initialized() {
            // SAFETY: `value_set` was seen (Acquire), so the value is
            // written and never written again while `&self` lives.
            Some(unsafe { self.get_unchecked() })
        } else {
            None
        }
    }

    /// Returns a mutable reference to the value, if stored.
    pub fn get_mut(&mut self) -> Option<&mut T> {
        if self.initialized() {
            // SAFETY: initialised, and `&mut self` makes the access unique.
            Some(self.value.with_mut(|p| unsafe { (*p).assume_init_mut() }))
        } else {
            None
        }
    }

    /// Stores `value` if the cell is empty and nobody is initialising it.
    ///
    /// ```
    /// use weave::sync::{OnceCell, SetError};
    ///
    /// let cell = OnceCell::new();
    /// assert!(cell.set(1).is_ok());
    /// assert_eq!(cell.set(2), Err(SetError::AlreadyInitializedError(2)));
    /// ```
    pub fn set(&self, value: T) -> Result<(), SetError<T>> {
        if self.initialized() {
            return Err(SetError::AlreadyInitializedError(value));
        }
        match self.semaphore.try_acquire(1) {
            Ok(()) => {
                self.store(value, InitGuard(&self.semaphore));
                Ok(())
            }
            Err(ll::TryAcquireError::NoPermits) => Err(SetError::InitializingError(value)),
            Err(ll::TryAcquireError::Closed) => Err(SetError::AlreadyInitializedError(value)),
        }
    }

    /// Returns the value, running `f` to produce it if the cell is empty.
    ///
    /// Concurrent callers wait (FIFO) while one of them initialises; only
    /// one `f` runs to completion. If that call is cancelled or panics, the
    /// next waiter runs its own `f`.
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let cell = weave::sync::OnceCell::new();
    /// assert_eq!(*cell.get_or_init(|| async { 1 }).await, 1);
    /// assert_eq!(*cell.get_or_init(|| async { 2 }).await, 1);
    /// # });
    /// ```
    pub async fn get_or_init<F, Fut>(&self, f: F) -> &T
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = T>,
    {
        match self
            .get_or_try_init(|| async { Ok::<T, std::convert::Infallible>(f().await) })
            .await
        {
            Ok(v) => v,
            Err(never) => match never {},
        }
    }

    /// Like [`get_or_init`](OnceCell::get_or_init), but `f` may fail; the
    /// error is returned and the cell stays empty for the next caller.
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let cell = weave::sync::OnceCell::new();
    /// assert_eq!(cell.get_or_try_init(|| async { Err::<u8, _>("no") }).await, Err("no"));
    /// assert_eq!(cell.get_or_try_init(|| async { Ok::<_, ()>(4) }).await, Ok(&4));
    /// # });
    /// ```
    pub async fn get_or_try_init<E, F, Fut>(&self, f: F) -> Result<&T, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        if let Some(v) = self.get() {
            return Ok(v);
        }
        match self.semaphore.acquire(1).await {
            Ok(()) => {
                let guard = InitGuard(&self.semaphore);
                if let Some(v) = self.get() {
                    // Cannot happen (the semaphore closes on init), but it
                    // costs nothing to be safe.
                    return Ok(v);
                }
                // On error, cancellation or panic the guard releases the
                // permit for the next waiter.
                let value = f().await?;
                Ok(self.store(value, guard))
            }
            // Closed: someone stored the value.
            // SAFETY: the semaphore is closed only after `value_set` was
            // set, and the closing happened before our acquire failed.
            Err(_) => Ok(unsafe { self.get_unchecked() }),
        }
    }

    /// Takes the value out, leaving the cell empty (and usable again).
    ///
    /// ```
    /// let mut cell = weave::sync::OnceCell::new_with(Some(5));
    /// assert_eq!(cell.take(), Some(5));
    /// assert!(cell.set(6).is_ok());
    /// ```
    pub fn take(&mut self) -> Option<T> {
        std::mem::take(self).into_inner()
    }

    /// Consumes the cell and returns its value, if any.
    pub fn into_inner(self) -> Option<T> {
        if !self.initialized() {
            return None;
        }
        self.value_set.store(false, Ordering::Relaxed);
        // SAFETY: initialised, exclusively owned, and `value_set` is now
        // false so `Drop` will not drop it again.
        Some(self.value.with(|p| unsafe { (*p).assume_init_read() }))
    }

    /// Writes the value with the init permit held, publishes it and closes
    /// the semaphore (waking the waiters, who then read it).
    fn store(&self, value: T, permit: InitGuard<'_>) -> &T {
        // SAFETY: the permit gives exclusive write access to the slot and
        // `value_set` is still false, so no reader looks at it yet.
        self.value.with_mut(|p| unsafe { (*p).write(value) });
        self.value_set.store(true, Ordering::Release);
        self.semaphore.close();
        // The permit is spent for good: the cell is initialised.
        std::mem::forget(permit);
        // SAFETY: just initialised.
        unsafe { self.get_unchecked() }
    }

    /// # Safety
    ///
    /// `value_set` must have been observed true.
    unsafe fn get_unchecked(&self) -> &T {
        // SAFETY: caller's contract.
        self.value.with(|p| unsafe { (*p).assume_init_ref() })
    }
}

impl<T> Default for OnceCell<T> {
    fn default() -> Self {
        OnceCell::new()
    }
}

impl<T> Drop for OnceCell<T> {
    fn drop(&mut self) {
        if self.initialized() {
            // SAFETY: initialised and exclusively owned.
            self.value.with_mut(|p| unsafe { (*p).assume_init_drop() });
        }
    }
}

impl<T> From<T> for OnceCell<T> {
    fn from(value: T) -> Self {
        OnceCell::new_with(Some(value))
    }
}

impl<T: Clone> Clone for OnceCell<T> {
    fn clone(&self) -> Self {
        OnceCell::new_with(self.get().cloned())
    }
}

impl<T: PartialEq> PartialEq for OnceCell<T> {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

impl<T: Eq> Eq for OnceCell<T> {}

impl<T: fmt::Debug> fmt::Debug for OnceCell<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OnceCell")
            .field("value", &self.get())
            .finish()
    }
}

impl<T> SetError<T> {
    /// True if the cell was already initialised.
    pub fn is_already_init_err(&self) -> bool {
        matches!(self, SetError::AlreadyInitializedError(_))
    }

    /// True if another task was initialising the cell.
    pub fn is_initializing_err(&self) -> bool {
        matches!(self, SetError::InitializingError(_))
    }
}

impl<T> fmt::Display for SetError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetError::AlreadyInitializedError(_) => f.write_str("AlreadyInitializedError"),
            SetError::InitializingError(_) => f.write_str("InitializingError"),
        }
    }
}

impl<T: fmt::Debug> Error for SetError<T> {}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::loom::sync::Arc;
    use loom::future::block_on;

    #[test]
    fn loom_once_cell_racing_init() {
        loom::model(|| {
            let cell = Arc::new(OnceCell::new());
            let c2 = cell.clone();
            let t = loom::thread::spawn(move || *block_on(c2.get_or_init(|| async { 1 })));
            let a = *block_on(cell.get_or_init(|| async { 2 }));
            let b = t.join().unwrap();
            assert_eq!(a, b);
        });
    }
}
