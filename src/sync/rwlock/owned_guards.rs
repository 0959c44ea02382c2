//! Guards that hold an `Arc` to their [`RwLock`], so they are `'static`
//! and can move into spawned tasks.
//!
//! Same protocol as the borrowed guards: the permits go back on drop, and
//! mapping moves them (and the `Arc`) into the new guard.

use super::RwLock;
use std::fmt;
use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut};
use std::ptr;
use std::sync::Arc;

/// Owned shared read access to an [`RwLock`] (from
/// [`RwLock::read_owned`]), or to a part of its value after `map`.
#[must_use = "if unused the RwLock will immediately unlock"]
pub struct OwnedRwLockReadGuard<T: ?Sized, U: ?Sized = T> {
    lock: Arc<RwLock<T>>,
    data: *const U,
}

/// Owned exclusive write access to an [`RwLock`] (from
/// [`RwLock::write_owned`]).
#[must_use = "if unused the RwLock will immediately unlock"]
pub struct OwnedRwLockWriteGuard<T: ?Sized> {
    lock: Arc<RwLock<T>>,
    permits: u32,
    data: *mut T,
}

/// Owned write access to a part of a locked value, made with
/// [`OwnedRwLockWriteGuard::map`].
#[must_use = "if unused the RwLock will immediately unlock"]
pub struct OwnedRwLockMappedWriteGuard<T: ?Sized, U: ?Sized = T> {
    lock: Arc<RwLock<T>>,
    permits: u32,
    data: *mut U,
}

// SAFETY: gives `&U` only; the `Arc` needs the lock to be `Send + Sync`.
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Sync> Send for OwnedRwLockReadGuard<T, U> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Sync> Sync for OwnedRwLockReadGuard<T, U> {}
// SAFETY: gives `&mut T` and can be downgraded to a shared guard.
unsafe impl<T: ?Sized + Send + Sync> Send for OwnedRwLockWriteGuard<T> {}
// SAFETY: sharing the guard shares `&T`.
unsafe impl<T: ?Sized + Send + Sync> Sync for OwnedRwLockWriteGuard<T> {}
// SAFETY: gives `&mut U`; the `Arc` needs the lock to be `Send + Sync`.
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Send + Sync> Send
    for OwnedRwLockMappedWriteGuard<T, U>
{
}
// SAFETY: sharing the guard shares `&U`.
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Send + Sync> Sync
    for OwnedRwLockMappedWriteGuard<T, U>
{
}

/// Moves the `Arc` out of a guard that will not be dropped.
///
/// # Safety
///
/// `lock` belongs to a guard inside a `ManuallyDrop` that is never used or
/// dropped again.
unsafe fn take_lock<T: ?Sized>(lock: &Arc<RwLock<T>>) -> Arc<RwLock<T>> {
    // SAFETY: caller's contract: the `Arc` is moved out exactly once.
    unsafe { ptr::read(lock) }
}

impl<T: ?Sized, U: ?Sized> OwnedRwLockReadGuard<T, U> {
    /// Returns the lock this guard reads.
    pub fn rwlock(this: &Self) -> &Arc<RwLock<T>> {
        &this.lock
    }

    /// Narrows the guard to a part of the value.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use weave::sync::{OwnedRwLockReadGuard, RwLock};
    ///
    /// # futures::executor::block_on(async {
    /// let lock = Arc::new(RwLock::new(vec![1, 2, 3]));
    /// let last = OwnedRwLockReadGuard::map(lock.read_owned().await, |v| &v[2]);
    /// assert_eq!(*last, 3);
    /// # });
    /// ```
    pub fn map<V: ?Sized, F>(this: Self, f: F) -> OwnedRwLockReadGuard<T, V>
    where
        F: FnOnce(&U) -> &V,
    {
        let data = f(&*this) as *const V;
        let this = ManuallyDrop::new(this);
        // SAFETY: `this` is never touched again.
        let lock = unsafe { take_lock(&this.lock) };
        OwnedRwLockReadGuard { lock, data }
    }

    /// Like [`map`](OwnedRwLockReadGuard::map), but `f` may decline.
    pub fn try_map<V: ?Sized, F>(this: Self, f: F) -> Result<OwnedRwLockReadGuard<T, V>, Self>
    where
        F: FnOnce(&U) -> Option<&V>,
    {
        let data = match f(&*this) {
            Some(data) => data as *const V,
            None => return Err(this),
        };
        let this = ManuallyDrop::new(this);
        // SAFETY: `this` is never touched again.
        let lock = unsafe { take_lock(&this.lock) };
        Ok(OwnedRwLockReadGuard { lock, data })
    }
}

impl<T: ?Sized> OwnedRwLockReadGuard<T> {
    /// # Safety
    ///
    /// The caller holds one permit of `lock` and hands it over; `data`
    /// points to its value.
    pub(super) unsafe fn new(lock: Arc<RwLock<T>>, data: *const T) -> Self {
        OwnedRwLockReadGuard { lock, data }
    }
}

impl<T: ?Sized> OwnedRwLockWriteGuard<T> {
    /// # Safety
    ///
    /// The caller holds all `permits` of `lock` and hands them over;
    /// `data` points to its value.
    pub(super) unsafe fn new(lock: Arc<RwLock<T>>, permits: u32, data: *mut T) -> Self {
        OwnedRwLockWriteGuard {
            lock,
            permits,
            data,
        }
    }

    /// Returns the lock this guard writes.
    pub fn rwlock(this: &Self) -> &Arc<RwLock<T>> {
        &this.lock
    }

    /// Narrows the guard to a part of the value.
    pub fn map<U: ?Sized, F>(mut this: Self, f: F) -> OwnedRwLockMappedWriteGuard<T, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        let data = f(&mut *this) as *mut U;
        let this = ManuallyDrop::new(this);
        // SAFETY: `this` is never touched again.
        let lock = unsafe { take_lock(&this.lock) };
        OwnedRwLockMappedWriteGuard {
            lock,
            permits: this.permits,
            data,
        }
    }

    /// Like [`map`](OwnedRwLockWriteGuard::map), but `f` may decline.
    pub fn try_map<U: ?Sized, F>(
        mut this: Self,
        f: F,
    ) -> Result<OwnedRwLockMappedWriteGuard<T, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        let data = match f(&mut *this) {
            Some(data) => data as *mut U,
            None => return Err(this),
        };
        let this = ManuallyDrop::new(this);
        // SAFETY: `this` is never touched again.
        let lock = unsafe { take_lock(&this.lock) };
        Ok(OwnedRwLockMappedWriteGuard {
            lock,
            permits: this.permits,
            data,
        })
    }

    /// Turns the guard into a mapped guard for the whole value.
    pub fn into_mapped(this: Self) -> OwnedRwLockMappedWriteGuard<T> {
        OwnedRwLockWriteGuard::map(this, |v| v)
    }

    /// Downgrades to read access (like [`downgrade`](Self::downgrade)) to
    /// a part of the value, chosen by `f`.
    pub fn downgrade_map<U: ?Sized, F>(this: Self, f: F) -> OwnedRwLockReadGuard<T, U>
    where
        F: FnOnce(&T) -> &U,
    {
        let data = f(&*this) as *const U;
        let this = ManuallyDrop::new(this);
        // SAFETY: `this` is never touched again.
        let lock = unsafe { take_lock(&this.lock) };
        lock.s.release(this.permits as usize - 1);
        OwnedRwLockReadGuard { lock, data }
    }

    /// Like [`downgrade_map`](Self::downgrade_map), but `f` may decline;
    /// the write guard is then handed back unchanged.
    pub fn try_downgrade_map<U: ?Sized, F>(
        this: Self,
        f: F,
    ) -> Result<OwnedRwLockReadGuard<T, U>, Self>
    where
        F: FnOnce(&T) -> Option<&U>,
    {
        let data = match f(&*this) {
            Some(data) => data as *const U,
            None => return Err(this),
        };
        let this = ManuallyDrop::new(this);
        // SAFETY: `this` is never touched again.
        let lock = unsafe { take_lock(&this.lock) };
        lock.s.release(this.permits as usize - 1);
        Ok(OwnedRwLockReadGuard { lock, data })
    }

    /// Turns write access into read access without letting a writer in.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use weave::sync::RwLock;
    ///
    /// # futures::executor::block_on(async {
    /// let lock = Arc::new(RwLock::new(1));
    /// let mut w = lock.clone().write_owned().await;
    /// *w = 5;
    /// let r = w.downgrade();
    /// assert_eq!(*r, 5);
    /// assert!(lock.try_write().is_err());
    /// assert!(lock.try_read().is_ok());
    /// # });
    /// ```
    pub fn downgrade(self) -> OwnedRwLockReadGuard<T> {
        let this = ManuallyDrop::new(self);
        // SAFETY: `this` is never touched again.
        let lock = unsafe { take_lock(&this.lock) };
        lock.s.release(this.permits as usize - 1);
        OwnedRwLockReadGuard {
            lock,
            data: this.data,
        }
    }
}

impl<T: ?Sized, U: ?Sized> OwnedRwLockMappedWriteGuard<T, U> {
    /// Returns the lock this guard writes.
    pub fn rwlock(this: &Self) -> &Arc<RwLock<T>> {
        &this.lock
    }

    /// Narrows the guard further.
    pub fn map<V: ?Sized, F>(mut this: Self, f: F) -> OwnedRwLockMappedWriteGuard<T, V>
    where
        F: FnOnce(&mut U) -> &mut V,
    {
        let data = f(&mut *this) as *mut V;
        let this = ManuallyDrop::new(this);
        // SAFETY: `this` is never touched again.
        let lock = unsafe { take_lock(&this.lock) };
        OwnedRwLockMappedWriteGuard {
            lock,
            permits: this.permits,
            data,
        }
    }

    /// Like [`map`](OwnedRwLockMappedWriteGuard::map), but `f` may
    /// decline.
    pub fn try_map<V: ?Sized, F>(
        mut this: Self,
        f: F,
    ) -> Result<OwnedRwLockMappedWriteGuard<T, V>, Self>
    where
        F: FnOnce(&mut U) -> Option<&mut V>,
    {
        let data = match f(&mut *this) {
            Some(data) => data as *mut V,
            None => return Err(this),
        };
        let this = ManuallyDrop::new(this);
        // SAFETY: `this` is never touched again.
        let lock = unsafe { take_lock(&this.lock) };
        Ok(OwnedRwLockMappedWriteGuard {
            lock,
            permits: this.permits,
            data,
        })
    }
}

impl<T: ?Sized, U: ?Sized> Drop for OwnedRwLockReadGuard<T, U> {
    fn drop(&mut self) {
        self.lock.s.release(1);
    }
}

impl<T: ?Sized> Drop for OwnedRwLockWriteGuard<T> {
    fn drop(&mut self) {
        self.lock.s.release(self.permits as usize);
    }
}

impl<T: ?Sized, U: ?Sized> Drop for OwnedRwLockMappedWriteGuard<T, U> {
    fn drop(&mut self) {
        self.lock.s.release(self.permits as usize);
    }
}

impl<T: ?Sized, U: ?Sized> Deref for OwnedRwLockReadGuard<T, U> {
    type Target = U;
    fn deref(&self) -> &U {
        // SAFETY: a read permit is held and the `Arc` keeps the value alive.
        unsafe { &*self.data }
    }
}

impl<T: ?Sized> Deref for OwnedRwLockWriteGuard<T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: every permit is held and the `Arc` keeps the value alive.
        unsafe { &*self.data }
    }
}

impl<T: ?Sized> DerefMut for OwnedRwLockWriteGuard<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: every permit is held; `&mut self` is unique.
        unsafe { &mut *self.data }
    }
}

impl<T: ?Sized, U: ?Sized> Deref for OwnedRwLockMappedWriteGuard<T, U> {
    type Target = U;
    fn deref(&self) -> &U {
        // SAFETY: every permit is held and the `Arc` keeps the value alive.
        unsafe { &*self.data }
    }
}

impl<T: ?Sized, U: ?Sized> DerefMut for OwnedRwLockMappedWriteGuard<T, U> {
    fn deref_mut(&mut self) -> &mut U {
        // SAFETY: every permit is held; `&mut self` is unique.
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
    OwnedRwLockReadGuard<T, U> => [T: ?Sized, U: ?Sized] U;
    OwnedRwLockWriteGuard<T> => [T: ?Sized] T;
    OwnedRwLockMappedWriteGuard<T, U> => [T: ?Sized, U: ?Sized] U;
}
