//! An asynchronous, fair reader-writer lock.
//!
//! The lock is the batch semaphore with `max_readers` permits plus the
//! value. A reader takes one permit, a writer takes all of them. Because
//! the semaphore is FIFO, a queued writer (at the head, waiting for the
//! readers in front of it to leave) holds back readers that arrive after
//! it: writers are never starved, and readers are served in batches between
//! writers.
//!
//! Invariant: a `&T` to the value exists only while its guard holds at
//! least one permit; a `&mut T` only while its guard holds all
//! `max_readers` permits (or the lock is exclusively borrowed / owned).
//! `downgrade` gives back all permits but one, so it turns a writer into a
//! reader without letting another writer in between.
//!
//! The value sits in a `std` `UnsafeCell` for the same reason as in
//! `mutex.rs`: guards hand out references the loom facade's closure API
//! cannot express, and `T` may be unsized.

mod guards;
mod owned_guards;

pub use guards::{RwLockMappedWriteGuard, RwLockReadGuard, RwLockWriteGuard};
pub use owned_guards::{OwnedRwLockMappedWriteGuard, OwnedRwLockReadGuard, OwnedRwLockWriteGuard};

use super::batch_semaphore as ll;
use super::TryLockError;
use std::cell::UnsafeCell;
use std::fmt;
use std::sync::Arc;

/// The most concurrent readers a lock can allow (`u32::MAX >> 3`).
const MAX_READS: u32 = u32::MAX >> 3;

/// An asynchronous reader-writer lock, fair (FIFO) between readers and
/// writers.
///
/// Many [`read`](RwLock::read) guards, or one [`write`](RwLock::write)
/// guard, may exist at a time.
///
/// # Examples
///
/// ```
/// use weave::sync::RwLock;
///
/// # futures::executor::block_on(async {
/// let lock = RwLock::new(5);
/// {
///     let r1 = lock.read().await;
///     let r2 = lock.read().await;
///     assert_eq!(*r1 + *r2, 10);
/// }
/// *lock.write().await += 1;
/// assert_eq!(*lock.read().await, 6);
/// # });
/// ```
pub struct RwLock<T: ?Sized> {
    /// Permits a writer takes; at most this many readers at once.
    mr: u32,
    s: ll::Semaphore,
    c: UnsafeCell<T>,
}

// SAFETY: the lock hands `&mut T` to one writer at a time (possibly on
// another thread): `T: Send`.
unsafe impl<T: ?Sized + Send> Send for RwLock<T> {}
// SAFETY: readers on several threads share `&T` (`T: Sync`), and a writer
// may get `&mut T` on any thread (`T: Send`).
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLock<T> {}

impl<T: ?Sized> RwLock<T> {
    /// Creates an unlocked lock holding `value`, allowing up to
    /// `u32::MAX >> 3` concurrent readers.
    ///
    /// ```
    /// let lock = weave::sync::RwLock::new(5);
    /// ```
    pub fn new(value: T) -> RwLock<T>
    where
        T: Sized,
    {
        Self::with_max_readers(value, MAX_READS)
    }

    /// Creates a lock that lets at most `max_reads` readers in at once.
    ///
    /// # Panics
    ///
    /// If `max_reads` is zero or more than `u32::MAX >> 3`.
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let lock = weave::sync::RwLock::with_max_readers(0, 2);
    /// let _a = lock.read().await;
    /// let _b = lock.read().await;
    /// assert!(lock.try_read().is_err());
    /// # });
    /// ```
    #[track_caller]
    pub fn with_max_readers(value: T, max_reads: u32) -> RwLock<T>
    where
        T: Sized,
    {
        assert!(
            max_reads <= MAX_READS,
            "a lock cannot have more than MAX_READS ({MAX_READS}) readers"
        );
        assert!(max_reads > 0, "a lock must allow at least one reader");
        RwLock {
            mr: max_reads,
            s: ll::Semaphore::new(max_reads as usize),
            c: UnsafeCell::new(value),
        }
    }

    /// Creates an unlocked lock in a `const` context.
    ///
    /// ```
    /// use weave::sync::RwLock;
    /// static CONFIG: RwLock<u32> = RwLock::const_new(3);
    /// ```
    #[cfg(not(loom))]
    pub const fn const_new(value: T) -> RwLock<T>
    where
        T: Sized,
    {
        Self::const_with_max_readers(value, MAX_READS)
    }

    /// [`with_max_readers`](RwLock::with_max_readers) in a `const`
    /// context.
    ///
    /// # Panics
    ///
    /// If `max_reads` is zero or more than `u32::MAX >> 3`.
    #[cfg(not(loom))]
    pub const fn const_with_max_readers(value: T, max_reads: u32) -> RwLock<T>
    where
        T: Sized,
    {
        assert!(
            max_reads <= MAX_READS,
            "a lock cannot have more than MAX_READS readers"
        );
        assert!(max_reads > 0, "a lock must allow at least one reader");
        RwLock {
            mr: max_reads,
            s: ll::Semaphore::const_new(max_reads as usize),
            c: UnsafeCell::new(value),
        }
    }

    /// Waits for shared read access.
    ///
    /// Readers and writers are served in arrival order, so a read waits
    /// behind an earlier queued write. Cancel safe.
    pub async fn read(&self) -> RwLockReadGuard<'_, T> {
        self.acquire(1).await;
        // SAFETY: one permit is held (module invariant).
        unsafe { RwLockReadGuard::new(&self.s, self.c.get()) }
    }

    /// Waits for read access from blocking (non-async) code.
    ///
    /// # Panics
    ///
    /// If called from a thread that drives an asynchronous runtime.
    ///
    /// ```
    /// let lock = weave::sync::RwLock::new(1);
    /// assert_eq!(*lock.blocking_read(), 1);
    /// ```
    #[track_caller]
    pub fn blocking_read(&self) -> RwLockReadGuard<'_, T> {
        crate::enter::assert_blocking_allowed(
            "`blocking_read` cannot be called from within an asynchronous runtime: \
             use `.await` instead",
        );
        crate::park::block_on(self.read())
    }

    /// Like [`read`](RwLock::read), with a guard that holds an `Arc`.
    pub async fn read_owned(self: Arc<Self>) -> OwnedRwLockReadGuard<T> {
        self.acquire(1).await;
        let data = self.c.get() as *const T;
        // SAFETY: one permit is held.
        unsafe { OwnedRwLockReadGuard::new(self, data) }
    }

    /// Takes read access if no writer holds or waits for the lock.
    ///
    /// ```
    /// let lock = weave::sync::RwLock::new(1);
    /// let w = lock.try_write().unwrap();
    /// assert!(lock.try_read().is_err());
    /// drop(w);
    /// assert_eq!(*lock.try_read().unwrap(), 1);
    /// ```
    pub fn try_read(&self) -> Result<RwLockReadGuard<'_, T>, TryLockError> {
        self.s.try_acquire(1).map_err(|_| TryLockError(()))?;
        // SAFETY: one permit is held.
        Ok(unsafe { RwLockReadGuard::new(&self.s, self.c.get()) })
    }

    /// Like [`try_read`](RwLock::try_read), with an owned guard.
    pub fn try_read_owned(self: Arc<Self>) -> Result<OwnedRwLockReadGuard<T>, TryLockError> {
        self.s.try_acquire(1).map_err(|_| TryLockError(()))?;
        let data = self.c.get() as *const T;
        // SAFETY: one permit is held.
        Ok(unsafe { OwnedRwLockReadGuard::new(self, data) })
    }

    /// Waits for exclusive write access. Cancel safe.
    pub async fn write(&self) -> RwLockWriteGuard<'_, T> {
        self.acquire(self.mr).await;
        // SAFETY: all `mr` permits are held.
        unsafe { RwLockWriteGuard::new(&self.s, self.mr, self.c.get()) }
    }

    /// Waits for write access from blocking (non-async) code.
    ///
    /// # Panics
    ///
    /// If called from a thread that drives an asynchronous runtime.
    ///
    /// ```
    /// let lock = weave::sync::RwLock::new(1);
    /// *lock.blocking_write() += 1;
    /// assert_eq!(*lock.blocking_read(), 2);
    /// ```
    #[track_caller]
    pub fn blocking_write(&self) -> RwLockWriteGuard<'_, T> {
        crate::enter::assert_blocking_allowed(
            "`blocking_write` cannot be called from within an asynchronous runtime: \
             use `.await` instead",
        );
        crate::park::block_on(self.write())
    }

    /// Like [`write`](RwLock::write), with a guard that holds an `Arc`.
    pub async fn write_owned(self: Arc<Self>) -> OwnedRwLockWriteGuard<T> {
        self.acquire(self.mr).await;
        let (mr, data) = (self.mr, self.c.get());
        // SAFETY: all permits are held.
        unsafe { OwnedRwLockWriteGuard::new(self, mr, data) }
    }

    /// Takes write access if the lock is free.
    pub fn try_write(&self) -> Result<RwLockWriteGuard<'_, T>, TryLockError> {
        self.s.try_acquire(self.mr).map_err(|_| TryLockError(()))?;
        // SAFETY: all permits are held.
        Ok(unsafe { RwLockWriteGuard::new(&self.s, self.mr, self.c.get()) })
    }

    /// Like [`try_write`](RwLock::try_write), with an owned guard.
    pub fn try_write_owned(self: Arc<Self>) -> Result<OwnedRwLockWriteGuard<T>, TryLockError> {
        self.s.try_acquire(self.mr).map_err(|_| TryLockError(()))?;
        let (mr, data) = (self.mr, self.c.get());
        // SAFETY: all permits are held.
        Ok(unsafe { OwnedRwLockWriteGuard::new(self, mr, data) })
    }

    /// Returns a mutable reference to the value; `&mut self` proves no
    /// guard exists.
    pub fn get_mut(&mut self) -> &mut T {
        self.c.get_mut()
    }

    /// Consumes the lock and returns the value.
    ///
    /// ```
    /// let lock = weave::sync::RwLock::new(String::from("v"));
    /// assert_eq!(lock.into_inner(), "v");
    /// ```
    pub fn into_inner(self) -> T
    where
        T: Sized,
    {
        self.c.into_inner()
    }

    async fn acquire(&self, n: u32) {
        self.s
            .acquire(n)
            .await
            .unwrap_or_else(|_| unreachable!("an RwLock's semaphore is never closed"));
    }
}

impl<T> From<T> for RwLock<T> {
    fn from(value: T) -> Self {
        RwLock::new(value)
    }
}

impl<T: Default> Default for RwLock<T> {
    fn default() -> Self {
        RwLock::new(T::default())
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("RwLock");
        match self.try_read() {
            Ok(inner) => d.field("data", &&*inner),
            Err(_) => d.field("data", &format_args!("<locked>")),
        };
        d.finish()
    }
}
