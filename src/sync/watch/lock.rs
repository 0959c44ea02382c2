//! The reader-writer lock around the watched value.
//!
//! The loom facade has no `RwLock`, so this small shim picks `parking_lot`'s
//! (non-poisoning, fair enough for a value that is read far more often than
//! written) or, under loom, loom's own, with the same `read`/`write` calls.

#[cfg(not(loom))]
pub(super) use parking_lot::{RwLock, RwLockReadGuard};

#[cfg(loom)]
pub(super) use self::loom_lock::{RwLock, RwLockReadGuard};

#[cfg(loom)]
mod loom_lock {
    /// loom's lock with `parking_lot`'s non-poisoning signatures.
    #[derive(Debug)]
    pub(crate) struct RwLock<T>(loom::sync::RwLock<T>);
    pub(crate) type RwLockReadGuard<'a, T> = loom::sync::RwLockReadGuard<'a, T>;
    pub(crate) type RwLockWriteGuard<'a, T> = loom::sync::RwLockWriteGuard<'a, T>;

    impl<T> RwLock<T> {
        pub(crate) fn new(value: T) -> RwLock<T> {
            RwLock(loom::sync::RwLock::new(value))
        }

        pub(crate) fn read(&self) -> RwLockReadGuard<'_, T> {
            self.0.read().unwrap()
        }

        pub(crate) fn write(&self) -> RwLockWriteGuard<'_, T> {
            self.0.write().unwrap()
        }
    }
}
