//! A counting semaphore for tasks, with RAII permits.
//!
//! A thin public layer over the fair batch semaphore in
//! `batch_semaphore.rs`: permits are handed out in FIFO order, and a permit
//! object gives its permits back when dropped. The futures are cancel safe:
//! dropping an `acquire` future before it resolves loses no permits and
//! keeps the caller's place for nobody (the permits it had been assigned go
//! to the next waiter).

use super::batch_semaphore as ll;
use super::{AcquireError, TryAcquireError};
use std::fmt;
use std::sync::Arc;

/// Counting semaphore performing asynchronous permit acquisition.
///
/// A semaphore holds a number of permits. [`acquire`](Semaphore::acquire)
/// waits until one is available and returns a [`SemaphorePermit`] that gives
/// it back on drop. Waiters are served first come, first served; a request
/// for many permits at the head of the queue holds back later, smaller ones.
///
/// # Examples
///
/// ```
/// use weave::sync::{Semaphore, TryAcquireError};
///
/// # futures::executor::block_on(async {
/// let semaphore = Semaphore::new(3);
///
/// let a = semaphore.acquire().await.unwrap();
/// let two = semaphore.acquire_many(2).await.unwrap();
/// assert_eq!(semaphore.available_permits(), 0);
/// assert_eq!(semaphore.try_acquire().err(), Some(TryAcquireError::NoPermits));
///
/// drop(a);
/// assert_eq!(semaphore.available_permits(), 1);
/// # drop(two);
/// # });
/// ```
pub struct Semaphore {
    ll_sem: ll::Semaphore,
}

/// A permit from a [`Semaphore`], borrowed from it. Dropping it returns its
/// permits.
#[must_use = "dropping the permit releases it at once"]
pub struct SemaphorePermit<'a> {
    sem: &'a Semaphore,
    permits: u32,
}

/// An owned permit from a [`Semaphore`] held through an [`Arc`], so it can
/// be moved into a spawned task. Dropping it returns its permits.
#[must_use = "dropping the permit releases it at once"]
pub struct OwnedSemaphorePermit {
    sem: Arc<Semaphore>,
    permits: u32,
}

impl Semaphore {
    /// The largest number of permits a semaphore can hold
    /// (`usize::MAX >> 3`).
    pub const MAX_PERMITS: usize = ll::Semaphore::MAX_PERMITS;

    /// Creates a semaphore with `permits` permits.
    ///
    /// # Panics
    ///
    /// If `permits` exceeds [`Semaphore::MAX_PERMITS`].
    ///
    /// ```
    /// let sem = weave::sync::Semaphore::new(2);
    /// assert_eq!(sem.available_permits(), 2);
    /// ```
    #[track_caller]
    pub fn new(permits: usize) -> Semaphore {
        Semaphore {
            ll_sem: ll::Semaphore::new(permits),
        }
    }

    /// Creates a semaphore in a `const` context, for example a `static`.
    ///
    /// # Panics
    ///
    /// If `permits` exceeds [`Semaphore::MAX_PERMITS`].
    ///
    /// ```
    /// use weave::sync::Semaphore;
    ///
    /// static LIMIT: Semaphore = Semaphore::const_new(10);
    /// assert_eq!(LIMIT.available_permits(), 10);
    /// ```
    #[cfg(not(loom))]
    #[track_caller]
    pub const fn const_new(permits: usize) -> Semaphore {
        Semaphore {
            ll_sem: ll::Semaphore::const_new(permits),
        }
    }

    /// Returns the number of permits available right now.
    pub fn available_permits(&self) -> usize {
        self.ll_sem.available_permits()
    }

    /// Adds `n` permits, waking waiters that can now proceed.
    ///
    /// # Panics
    ///
    /// If the number of available permits would exceed
    /// [`Semaphore::MAX_PERMITS`].
    ///
    /// ```
    /// let sem = weave::sync::Semaphore::new(0);
    /// sem.add_permits(4);
    /// assert_eq!(sem.available_permits(), 4);
    /// ```
    #[track_caller]
    pub fn add_permits(&self, n: usize) {
        self.ll_sem.release(n);
    }

    /// Removes up to `n` available permits and returns how many were
    /// removed. Permits held by others are not affected.
    ///
    /// ```
    /// let sem = weave::sync::Semaphore::new(3);
    /// assert_eq!(sem.forget_permits(5), 3);
    /// assert_eq!(sem.available_permits(), 0);
    /// ```
    pub fn forget_permits(&self, n: usize) -> usize {
        self.ll_sem.forget_permits(n)
    }

    /// Waits for one permit.
    ///
    /// Fails only if the semaphore is closed. Cancel safe: dropping the
    /// future gives up the place in the queue and loses no permits.
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let sem = weave::sync::Semaphore::new(1);
    /// let permit = sem.acquire().await.unwrap();
    /// assert_eq!(permit.num_permits(), 1);
    /// # });
    /// ```
    pub async fn acquire(&self) -> Result<SemaphorePermit<'_>, AcquireError> {
        self.acquire_many(1).await
    }

    /// Waits for `n` permits at once (all or nothing, in FIFO order).
    ///
    /// Cancel safe, like [`acquire`](Semaphore::acquire): permits already
    /// assigned to a dropped request go to the next waiter.
    ///
    /// # Panics
    ///
    /// If `n` exceeds [`Semaphore::MAX_PERMITS`], which a `u32` can only do
    /// where `usize` is 32 bits.
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let sem = weave::sync::Semaphore::new(5);
    /// let permit = sem.acquire_many(3).await.unwrap();
    /// assert_eq!(sem.available_permits(), 2);
    /// # drop(permit);
    /// # });
    /// ```
    pub async fn acquire_many(&self, n: u32) -> Result<SemaphorePermit<'_>, AcquireError> {
        self.ll_sem.acquire(n).await?;
        Ok(SemaphorePermit {
            sem: self,
            permits: n,
        })
    }

    /// Takes one permit if one is available, without waiting.
    ///
    /// ```
    /// let sem = weave::sync::Semaphore::new(1);
    /// let p = sem.try_acquire().unwrap();
    /// assert!(sem.try_acquire().is_err());
    /// drop(p);
    /// ```
    pub fn try_acquire(&self) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.try_acquire_many(1)
    }

    /// Takes `n` permits if that many are available, without waiting.
    ///
    /// ```
    /// let sem = weave::sync::Semaphore::new(2);
    /// assert!(sem.try_acquire_many(3).is_err());
    /// assert!(sem.try_acquire_many(2).is_ok());
    /// ```
    pub fn try_acquire_many(&self, n: u32) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.ll_sem.try_acquire(n)?;
        Ok(SemaphorePermit {
            sem: self,
            permits: n,
        })
    }

    /// Like [`acquire`](Semaphore::acquire), but the permit holds an `Arc`
    /// to the semaphore instead of borrowing it.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use weave::sync::Semaphore;
    ///
    /// # futures::executor::block_on(async {
    /// let sem = Arc::new(Semaphore::new(1));
    /// let permit = sem.clone().acquire_owned().await.unwrap();
    /// assert!(Arc::ptr_eq(permit.semaphore(), &sem));
    /// # });
    /// ```
    pub async fn acquire_owned(self: Arc<Self>) -> Result<OwnedSemaphorePermit, AcquireError> {
        self.acquire_many_owned(1).await
    }

    /// Like [`acquire_many`](Semaphore::acquire_many), returning an owned
    /// permit.
    pub async fn acquire_many_owned(
        self: Arc<Self>,
        n: u32,
    ) -> Result<OwnedSemaphorePermit, AcquireError> {
        self.ll_sem.acquire(n).await?;
        Ok(OwnedSemaphorePermit {
            sem: self,
            permits: n,
        })
    }

    /// Like [`try_acquire`](Semaphore::try_acquire), returning an owned
    /// permit.
    pub fn try_acquire_owned(self: Arc<Self>) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        self.try_acquire_many_owned(1)
    }

    /// Like [`try_acquire_many`](Semaphore::try_acquire_many), returning an
    /// owned permit.
    pub fn try_acquire_many_owned(
        self: Arc<Self>,
        n: u32,
    ) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        self.ll_sem.try_acquire(n)?;
        Ok(OwnedSemaphorePermit {
            sem: self,
            permits: n,
        })
    }

    /// Closes the semaphore: pending and future acquires fail with
    /// [`AcquireError`]. Permits already handed out stay valid.
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let sem = weave::sync::Semaphore::new(1);
    /// sem.close();
    /// assert!(sem.is_closed());
    /// assert!(sem.acquire().await.is_err());
    /// # });
    /// ```
    pub fn close(&self) {
        self.ll_sem.close();
    }

    /// Returns true if the semaphore is closed.
    pub fn is_closed(&self) -> bool {
        self.ll_sem.is_closed()
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Semaphore")
            .field("ll_sem", &self.ll_sem)
            .finish()
    }
}

impl<'a> SemaphorePermit<'a> {
    /// Keeps the permits out of the semaphore for good (they are not
    /// returned on drop).
    ///
    /// ```
    /// let sem = weave::sync::Semaphore::new(2);
    /// sem.try_acquire().unwrap().forget();
    /// assert_eq!(sem.available_permits(), 1);
    /// ```
    pub fn forget(mut self) {
        self.permits = 0;
    }

    /// Moves the permits of `other` into `self`.
    ///
    /// # Panics
    ///
    /// If the permits come from different semaphores.
    ///
    /// ```
    /// let sem = weave::sync::Semaphore::new(3);
    /// let mut a = sem.try_acquire().unwrap();
    /// a.merge(sem.try_acquire_many(2).unwrap());
    /// assert_eq!(a.num_permits(), 3);
    /// ```
    #[track_caller]
    pub fn merge(&mut self, mut other: Self) {
        assert!(
            std::ptr::eq(self.sem, other.sem),
            "merging permits from different semaphores"
        );
        self.permits = self
            .permits
            .checked_add(other.permits)
            .expect("a merged permit cannot hold more than u32::MAX permits");
        other.permits = 0;
    }

    /// Splits `n` permits off into a new permit. Returns `None` if this
    /// permit holds fewer than `n`.
    ///
    /// ```
    /// let sem = weave::sync::Semaphore::new(3);
    /// let mut a = sem.try_acquire_many(3).unwrap();
    /// let b = a.split(1).unwrap();
    /// assert_eq!((a.num_permits(), b.num_permits()), (2, 1));
    /// assert!(a.split(5).is_none());
    /// ```
    pub fn split(&mut self, n: usize) -> Option<Self> {
        let n = u32::try_from(n).ok()?;
        if n > self.permits {
            return None;
        }
        self.permits -= n;
        Some(SemaphorePermit {
            sem: self.sem,
            permits: n,
        })
    }

    /// Returns the number of permits this permit holds.
    pub fn num_permits(&self) -> usize {
        self.permits as usize
    }
}

impl OwnedSemaphorePermit {
    /// Keeps the permits out of the semaphore for good.
    pub fn forget(mut self) {
        self.permits = 0;
    }

    /// Moves the permits of `other` into `self`.
    ///
    /// # Panics
    ///
    /// If the permits come from different semaphores.
    #[track_caller]
    pub fn merge(&mut self, mut other: Self) {
        assert!(
            Arc::ptr_eq(&self.sem, &other.sem),
            "merging permits from different semaphores"
        );
        self.permits = self
            .permits
            .checked_add(other.permits)
            .expect("a merged permit cannot hold more than u32::MAX permits");
        other.permits = 0;
    }

    /// Splits `n` permits off into a new permit, or returns `None` if this
    /// permit holds fewer than `n`.
    pub fn split(&mut self, n: usize) -> Option<Self> {
        let n = u32::try_from(n).ok()?;
        if n > self.permits {
            return None;
        }
        self.permits -= n;
        Some(OwnedSemaphorePermit {
            sem: self.sem.clone(),
            permits: n,
        })
    }

    /// Returns the semaphore this permit came from.
    pub fn semaphore(&self) -> &Arc<Semaphore> {
        &self.sem
    }

    /// Returns the number of permits this permit holds.
    pub fn num_permits(&self) -> usize {
        self.permits as usize
    }
}

impl Drop for SemaphorePermit<'_> {
    fn drop(&mut self) {
        self.sem.add_permits(self.permits as usize);
    }
}

impl Drop for OwnedSemaphorePermit {
    fn drop(&mut self) {
        self.sem.add_permits(self.permits as usize);
    }
}

impl fmt::Debug for SemaphorePermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphorePermit")
            .field("sem", &self.sem)
            .field("permits", &self.permits)
            .finish()
    }
}

impl fmt::Debug for OwnedSemaphorePermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedSemaphorePermit")
            .field("sem", &self.sem)
            .field("permits", &self.permits)
            .finish()
    }
}
