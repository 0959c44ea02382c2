//! An asynchronous, fair mutual-exclusion lock.
//!
//! `Mutex<T>` is the batch semaphore with one permit plus the protected
//! value. Holding the permit is what gives a guard exclusive access to the
//! value; dropping the guard returns the permit, which goes to the longest
//! waiting `lock` call (FIFO), so no task is starved.
//!
//! Invariant: a `&mut T` (or `&T`) to the value is only created through a
//! guard, and a guard exists only while its single permit is held (or, for
//! `get_mut` / `into_inner`, while the mutex is exclusively borrowed or
//! owned). Mapped guards keep that permit and point into the value.
//!
//! The value sits in a `std` `UnsafeCell` rather than the loom facade's:
//! guards hand out references whose lifetime the closure-based facade API
//! cannot express, and `T` may be unsized. The semaphore that guards it is
//! the loom-modelled part.

use super::batch_semaphore as ll;
use std::cell::UnsafeCell;
use std::error::Error;
use std::fmt;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

/// An asynchronous mutex, fair (FIFO) and safe to hold across `.await`.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use weave::sync::Mutex;
///
/// #[weave::main]
/// async fn main() {
///     let count = Arc::new(Mutex::new(0));
///     let mut tasks = Vec::new();
///     for _ in 0..4 {
///         let count = count.clone();
///         tasks.push(weave::spawn(async move {
///             *count.lock().await += 1;
///         }));
///     }
///     for t in tasks {
///         t.await.unwrap();
///     }
///     assert_eq!(*count.lock().await, 4);
/// }
/// ```
pub struct Mutex<T: ?Sized> {
    s: ll::Semaphore,
    c: UnsafeCell<T>,
}

/// Exclusive access to a [`Mutex`]'s value; unlocks when dropped.
#[must_use = "if unused the Mutex will immediately unlock"]
pub struct MutexGuard<'a, T: ?Sized> {
    lock: &'a Mutex<T>,
}

/// Like [`MutexGuard`], but holds an `Arc` to the mutex instead of a
/// borrow (returned by [`Mutex::lock_owned`]).
#[must_use = "if unused the Mutex will immediately unlock"]
pub struct OwnedMutexGuard<T: ?Sized> {
    lock: Arc<Mutex<T>>,
}

/// A guard for a part of a locked value, made with [`MutexGuard::map`].
#[must_use = "if unused the Mutex will immediately unlock"]
pub struct MappedMutexGuard<'a, T: ?Sized> {
    s: &'a ll::Semaphore,
    data: *mut T,
    marker: PhantomData<&'a mut T>,
}

/// A guard for a part of a locked value, made with
/// [`OwnedMutexGuard::map`].
#[must_use = "if unused the Mutex will immediately unlock"]
pub struct OwnedMappedMutexGuard<T: ?Sized, U: ?Sized = T> {
    data: *mut U,
    lock: Arc<Mutex<T>>,
}

/// Error returned by [`Mutex::try_lock`] when the lock is held.
///
/// ```
/// let m = weave::sync::Mutex::new(1);
/// let _g = m.try_lock().unwrap();
/// assert_eq!(m.try_lock().unwrap_err().to_string(), "operation would block");
/// ```
#[derive(Debug)]
pub struct TryLockError(pub(super) ());

// SAFETY: the mutex hands `&mut T` to one guard at a time, possibly on
// another thread: `T: Send` is what that needs (as for `std::sync::Mutex`).
unsafe impl<T: ?Sized + Send> Send for Mutex<T> {}
// SAFETY: as above; access is serialised by the semaphore.
unsafe impl<T: ?Sized + Send> Sync for Mutex<T> {}
// SAFETY: sharing the guard shares `&T`.
unsafe impl<T: ?Sized + Send + Sync> Sync for MutexGuard<'_, T> {}
// SAFETY: sharing the guard shares `&T`.
unsafe impl<T: ?Sized + Send + Sync> Sync for OwnedMutexGuard<T> {}
// SAFETY: the guard owns a permit and a pointer into a `Send` value; the
// permit may be released from any thread.
unsafe impl<'a, T: ?Sized + Send + 'a> Send for MappedMutexGuard<'a, T> {}
// SAFETY: sharing the guard shares `&T`.
unsafe impl<'a, T: ?Sized + Send + Sync + 'a> Sync for MappedMutexGuard<'a, T> {}
// SAFETY: as for `MappedMutexGuard`; the `Arc` keeps the value alive.
unsafe impl<T: ?Sized + Send, U: ?Sized + Send> Send for OwnedMappedMutexGuard<T, U> {}
// SAFETY: sharing the guard shares `&U`.
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Send + Sync> Sync for OwnedMappedMutexGuard<T, U> {}

impl<T: ?Sized> Mutex<T> {
    /// Creates an unlocked mutex holding `t`.
    ///
    /// ```
    /// let m = weave::sync::Mutex::new(5);
    /// ```
    pub fn new(t: T) -> Mutex<T>
    where
        T: Sized,
    {
        Mutex {
            s: ll::Semaphore::new(1),
            c: UnsafeCell::new(t),
        }
    }

    /// Creates an unlocked mutex in a `const` context.
    ///
    /// ```
    /// use weave::sync::Mutex;
    /// static M: Mutex<Vec<u8>> = Mutex::const_new(Vec::new());
    /// ```
    #[cfg(not(loom))]
    pub const fn const_new(t: T) -> Mutex<T>
    where
        T: Sized,
    {
        Mutex {
            s: ll::Semaphore::const_new(1),
            c: UnsafeCell::new(t),
        }
    }

    /// Locks the mutex, waiting (in FIFO order) while another guard exists.
    ///
    /// Cancel safe: dropping the future gives up the place in the queue.
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let m = weave::sync::Mutex::new(1);
    /// *m.lock().await += 1;
    /// assert_eq!(*m.lock().await, 2);
    /// # });
    /// ```
    pub async fn lock(&self) -> MutexGuard<'_, T> {
        self.acquire().await;
        MutexGuard { lock: self }
    }

    /// Locks the mutex from blocking (non-async) code.
    ///
    /// # Panics
    ///
    /// If called from a thread that drives an asynchronous runtime.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let m = Arc::new(weave::sync::Mutex::new(1));
    /// let m2 = m.clone();
    /// std::thread::spawn(move || *m2.blocking_lock() += 1).join().unwrap();
    /// assert_eq!(*m.blocking_lock(), 2);
    /// ```
    #[track_caller]
    pub fn blocking_lock(&self) -> MutexGuard<'_, T> {
        crate::enter::assert_blocking_allowed(
            "`blocking_lock` cannot be called from within an asynchronous runtime: \
             use `.await` instead",
        );
        crate::park::block_on(self.lock())
    }

    /// Like [`blocking_lock`](Mutex::blocking_lock), returning an owned
    /// guard.
    ///
    /// # Panics
    ///
    /// If called from a thread that drives an asynchronous runtime.
    #[track_caller]
    pub fn blocking_lock_owned(self: Arc<Self>) -> OwnedMutexGuard<T> {
        crate::enter::assert_blocking_allowed(
            "`blocking_lock_owned` cannot be called from within an asynchronous runtime: \
             use `.await` instead",
        );
        crate::park::block_on(self.lock_owned())
    }

    /// Like [`lock`](Mutex::lock), but the guard holds an `Arc` to the
    /// mutex, so it is `'static` and can move into a spawned task.
    ///
    /// ```
    /// use std::sync::Arc;
    /// # futures::executor::block_on(async {
    /// let m = Arc::new(weave::sync::Mutex::new(1));
    /// let mut g = m.clone().lock_owned().await;
    /// *g = 2;
    /// drop(g);
    /// assert_eq!(*m.lock().await, 2);
    /// # });
    /// ```
    pub async fn lock_owned(self: Arc<Self>) -> OwnedMutexGuard<T> {
        self.acquire().await;
        OwnedMutexGuard { lock: self }
    }

    /// Locks the mutex if it is free, without waiting.
    ///
    /// ```
    /// let m = weave::sync::Mutex::new(1);
    /// let g = m.try_lock().unwrap();
    /// assert!(m.try_lock().is_err());
    /// drop(g);
    /// assert!(m.try_lock().is_ok());
    /// ```
    pub fn try_lock(&self) -> Result<MutexGuard<'_, T>, TryLockError> {
        match self.s.try_acquire(1) {
            Ok(()) => Ok(MutexGuard { lock: self }),
            Err(_) => Err(TryLockError(())),
        }
    }

    /// Like [`try_lock`](Mutex::try_lock), returning an owned guard.
    pub fn try_lock_owned(self: Arc<Self>) -> Result<OwnedMutexGuard<T>, TryLockError> {
        match self.s.try_acquire(1) {
            Ok(()) => Ok(OwnedMutexGuard { lock: self }),
            Err(_) => Err(TryLockError(())),
        }
    }

    /// Returns a mutable reference to the value; the `&mut self` borrow
    /// proves nobody else can lock.
    ///
    /// ```
    /// let mut m = weave::sync::Mutex::new(1);
    /// *m.get_mut() = 2;
    /// assert_eq!(m.into_inner(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.c.get_mut()
    }

    /// Consumes the mutex and returns the value.
    pub fn into_inner(self) -> T
    where
        T: Sized,
    {
        self.c.into_inner()
    }

    async fn acquire(&self) {
        // The semaphore is never closed, so acquiring cannot fail.
        self.s
            .acquire(1)
            .await
            .unwrap_or_else(|_| unreachable!("a mutex's semaphore is never closed"));
    }
}

impl<T> From<T> for Mutex<T> {
    fn from(t: T) -> Self {
        Mutex::new(t)
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Self {
        Mutex::new(T::default())
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Mutex");
        match self.try_lock() {
            Ok(inner) => d.field("data", &&*inner),
            Err(_) => d.field("data", &format_args!("<locked>")),
        };
        d.finish()
    }
}

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    /// Turns the guard into one for a part of the value.
    ///
    /// ```
    /// use weave::sync::{MappedMutexGuard, Mutex, MutexGuard};
    ///
    /// # futures::executor::block_on(async {
    /// let m = Mutex::new((1, 2));
    /// let mut second: MappedMutexGuard<'_, i32> = MutexGuard::map(m.lock().await, |v| &mut v.1);
    /// *second = 5;
    /// drop(second);
    /// assert_eq!(*m.lock().await, (1, 5));
    /// # });
    /// ```
    pub fn map<U: ?Sized, F>(mut this: Self, f: F) -> MappedMutexGuard<'a, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        let data = f(&mut *this) as *mut U;
        let s = &this.lock.s;
        // The permit moves to the mapped guard.
        std::mem::forget(this);
        MappedMutexGuard {
            s,
            data,
            marker: PhantomData,
        }
    }

    /// Like [`map`](MutexGuard::map), but `f` may decline by returning
    /// `None`; the original guard is then handed back.
    pub fn try_map<U: ?Sized, F>(mut this: Self, f: F) -> Result<MappedMutexGuard<'a, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        let data = match f(&mut *this) {
            Some(data) => data as *mut U,
            None => return Err(this),
        };
        let s = &this.lock.s;
        std::mem::forget(this);
        Ok(MappedMutexGuard {
            s,
            data,
            marker: PhantomData,
        })
    }

    /// Returns the mutex this guard locks.
    pub fn mutex(this: &Self) -> &'a Mutex<T> {
        this.lock
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.s.release(1);
    }
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard holds the only permit (module invariant).
        unsafe { &*self.lock.c.get() }
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard holds the only permit (module invariant).
        unsafe { &mut *self.lock.c.get() }
    }
}

impl<T: ?Sized> OwnedMutexGuard<T> {
    /// Turns the guard into one for a part of the value.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use weave::sync::{Mutex, OwnedMutexGuard};
    ///
    /// # futures::executor::block_on(async {
    /// let m = Arc::new(Mutex::new(vec![1, 2]));
    /// let mut first = OwnedMutexGuard::map(m.clone().lock_owned().await, |v| &mut v[0]);
    /// *first = 9;
    /// drop(first);
    /// assert_eq!(*m.lock().await, [9, 2]);
    /// # });
    /// ```
    pub fn map<U: ?Sized, F>(mut this: Self, f: F) -> OwnedMappedMutexGuard<T, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        let data = f(&mut *this) as *mut U;
        let lock = Self::into_lock(this);
        OwnedMappedMutexGuard { data, lock }
    }

    /// Like [`map`](OwnedMutexGuard::map), but `f` may decline by
    /// returning `None`; the original guard is then handed back.
    pub fn try_map<U: ?Sized, F>(mut this: Self, f: F) -> Result<OwnedMappedMutexGuard<T, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        let data = match f(&mut *this) {
            Some(data) => data as *mut U,
            None => return Err(this),
        };
        let lock = Self::into_lock(this);
        Ok(OwnedMappedMutexGuard { data, lock })
    }

    /// Returns the mutex this guard locks.
    pub fn mutex(this: &Self) -> &Arc<Mutex<T>> {
        &this.lock
    }

    /// Takes the `Arc` out without releasing the permit.
    fn into_lock(this: Self) -> Arc<Mutex<T>> {
        let this = ManuallyDrop::new(this);
        // SAFETY: `this` is never used or dropped again, so the `Arc` is
        // moved out exactly once.
        unsafe { std::ptr::read(&this.lock) }
    }
}

impl<T: ?Sized> Drop for OwnedMutexGuard<T> {
    fn drop(&mut self) {
        self.lock.s.release(1);
    }
}

impl<T: ?Sized> Deref for OwnedMutexGuard<T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard holds the only permit (module invariant).
        unsafe { &*self.lock.c.get() }
    }
}

impl<T: ?Sized> DerefMut for OwnedMutexGuard<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard holds the only permit (module invariant).
        unsafe { &mut *self.lock.c.get() }
    }
}

impl<'a, T: ?Sized> MappedMutexGuard<'a, T> {
    /// Maps the guard further, to a part of its part.
    pub fn map<U: ?Sized, F>(mut this: Self, f: F) -> MappedMutexGuard<'a, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        let data = f(&mut *this) as *mut U;
        let s = this.s;
        std::mem::forget(this);
        MappedMutexGuard {
            s,
            data,
            marker: PhantomData,
        }
    }

    /// Like [`map`](MappedMutexGuard::map), but `f` may decline.
    pub fn try_map<U: ?Sized, F>(mut this: Self, f: F) -> Result<MappedMutexGuard<'a, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        let data = match f(&mut *this) {
            Some(data) => data as *mut U,
            None => return Err(this),
        };
        let s = this.s;
        std::mem::forget(this);
        Ok(MappedMutexGuard {
            s,
            data,
            marker: PhantomData,
        })
    }
}

impl<T: ?Sized> Drop for MappedMutexGuard<'_, T> {
    fn drop(&mut self) {
        self.s.release(1);
    }
}

impl<T: ?Sized> Deref for MappedMutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: `data` points into the locked value and the guard holds
        // the permit.
        unsafe { &*self.data }
    }
}

impl<T: ?Sized> DerefMut for MappedMutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`; `&mut self` makes the access unique.
        unsafe { &mut *self.data }
    }
}

impl<T: ?Sized, U: ?Sized> OwnedMappedMutexGuard<T, U> {
    /// Maps the guard further, to a part of its part.
    pub fn map<S: ?Sized, F>(mut this: Self, f: F) -> OwnedMappedMutexGuard<T, S>
    where
        F: FnOnce(&mut U) -> &mut S,
    {
        let data = f(&mut *this) as *mut S;
        let lock = Self::into_lock(this);
        OwnedMappedMutexGuard { data, lock }
    }

    /// Like [`map`](OwnedMappedMutexGuard::map), but `f` may decline.
    pub fn try_map<S: ?Sized, F>(mut this: Self, f: F) -> Result<OwnedMappedMutexGuard<T, S>, Self>
    where
        F: FnOnce(&mut U) -> Option<&mut S>,
    {
        let data = match f(&mut *this) {
            Some(data) => data as *mut S,
            None => return Err(this),
        };
        let lock = Self::into_lock(this);
        Ok(OwnedMappedMutexGuard { data, lock })
    }

    /// Returns the mutex this guard locks.
    pub fn mutex(this: &Self) -> &Arc<Mutex<T>> {
        &this.lock
    }

    fn into_lock(this: Self) -> Arc<Mutex<T>> {
        let this = ManuallyDrop::new(this);
        // SAFETY: `this` is never used or dropped again.
        unsafe { std::ptr::read(&this.lock) }
    }
}

impl<T: ?Sized, U: ?Sized> Drop for OwnedMappedMutexGuard<T, U> {
    fn drop(&mut self) {
        self.lock.s.release(1);
    }
}

impl<T: ?Sized, U: ?Sized> Deref for OwnedMappedMutexGuard<T, U> {
    type Target = U;
    fn deref(&self) -> &U {
        // SAFETY: `data` points into the locked value, kept alive by the
        // `Arc`, and the guard holds the permit.
        unsafe { &*self.data }
    }
}

impl<T: ?Sized, U: ?Sized> DerefMut for OwnedMappedMutexGuard<T, U> {
    fn deref_mut(&mut self) -> &mut U {
        // SAFETY: as in `deref`; `&mut self` makes the access unique.
        unsafe { &mut *self.data }
    }
}

macro_rules! fmt_guard {
    ($($ty:ty => [$($gen:tt)*] $target:ident;)*) => {$(
        impl<$($gen)*> fmt::Debug for $ty where $target: fmt::Debug {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&**self, f)
            }
        }
        impl<$($gen)*> fmt::Display for $ty where $target: fmt::Display {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&**self, f)
            }
        }
    )*};
}

fmt_guard! {
    MutexGuard<'_, T> => [T: ?Sized] T;
    OwnedMutexGuard<T> => [T: ?Sized] T;
    MappedMutexGuard<'_, T> => [T: ?Sized] T;
    OwnedMappedMutexGuard<T, U> => [T: ?Sized, U: ?Sized] U;
}

impl fmt::Display for TryLockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("operation would block")
    }
}

impl Error for TryLockError {}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::Mutex;
    use crate::loom::sync::Arc;
    use loom::future::block_on;

    /// Two threads increment under the lock; no update is lost and the
    /// lock ends up free.
    #[test]
    fn loom_mutex_two_lockers() {
        loom::model(|| {
            let m = Arc::new(Mutex::new(0));
            let m2 = m.clone();
            let t = loom::thread::spawn(move || *block_on(m2.lock()) += 1);
            *block_on(m.lock()) += 1;
            t.join().unwrap();
            assert_eq!(*m.try_lock().unwrap(), 2);
        });
    }
}
