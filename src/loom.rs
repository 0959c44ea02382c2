//! One facade over the synchronization primitives the runtime uses.
//!
//! Internal code imports atomics, cells, locks and threads from here, never
//! from `std` directly, so that the same code runs under the
//! [loom](https://docs.rs/loom) model checker when built with
//! `RUSTFLAGS="--cfg loom"`. Without loom the items are the real `std` /
//! `parking_lot` ones at zero cost.

// The facade offers a complete set; not every item is used in every build.
#![allow(unused_imports, dead_code)]

#[cfg(not(loom))]
mod imp {
    pub(crate) mod sync {
        pub(crate) use parking_lot::{Condvar, Mutex, MutexGuard};
        pub(crate) use std::sync::Arc;

        pub(crate) mod atomic {
            pub(crate) use std::sync::atomic::{
                fence, AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering,
            };
        }
    }

    pub(crate) mod cell {
        /// `UnsafeCell` with loom's closure-based access API, so that
        /// loom can track every read and write of shared cells.
        #[derive(Debug)]
        pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

        impl<T> UnsafeCell<T> {
            pub(crate) const fn new(value: T) -> UnsafeCell<T> {
                UnsafeCell(std::cell::UnsafeCell::new(value))
            }

            #[inline(always)]
            pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
                f(self.0.get())
            }

            #[inline(always)]
            pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
                f(self.0.get())
            }
        }
    }

    pub(crate) mod thread {
        pub(crate) use std::thread::{current, park, yield_now, Thread};
    }

    /// Marks a spin-loop iteration (only used on paths that are bounded).
    #[allow(dead_code)]
    pub(crate) fn spin_loop() {
        std::hint::spin_loop()
    }
}

#[cfg(loom)]
mod imp {
    pub(crate) mod sync {
        pub(crate) use loom::sync::Arc;

        pub(crate) mod atomic {
            pub(crate) use loom::sync::atomic::{
                fence, AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering,
            };
        }

        /// loom's mutex with parking_lot's non-poisoning signature.
        #[derive(Debug)]
        pub(crate) struct Mutex<T>(loom::sync::Mutex<T>);
        pub(crate) type MutexGuard<'a, T> = loom::sync::MutexGuard<'a, T>;

        impl<T> Mutex<T> {
            pub(crate) fn new(value: T) -> Mutex<T> {
                Mutex(loom::sync::Mutex::new(value))
            }

            pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
                self.0.lock().unwrap()
            }

            pub(crate) fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
                self.0.try_lock().ok()
            }
        }

        /// loom's condvar with parking_lot's signature.
        #[derive(Debug)]
        pub(crate) struct Condvar(loom::sync::Condvar);

        impl Condvar {
            pub(crate) fn new() -> Condvar {
                Condvar(loom::sync::Condvar::new())
            }

            pub(crate) fn wait<T>(&self, guard: &mut MutexGuard<'_, T>) {
                // loom's wait consumes the guard; swap through a raw copy.
                // SAFETY: the guard is read out and written back before
                // anything else observes `*guard`; the lock is held on both
                // sides of the wait.
                unsafe {
                    let g = std::ptr::read(guard);
                    let g = self.0.wait(g).unwrap();
                    std::ptr::write(guard, g);
                }
            }

            pub(crate) fn notify_one(&self) -> bool {
                self.0.notify_one();
                true
            }

            pub(crate) fn notify_all(&self) -> usize {
                self.0.notify_all();
                0
            }
        }
    }

    pub(crate) mod cell {
        pub(crate) use loom::cell::UnsafeCell;
    }

    pub(crate) mod thread {
        pub(crate) use loom::thread::{current, park, yield_now, Thread};
    }

    #[allow(dead_code)]
    pub(crate) fn spin_loop() {
        loom::thread::yield_now()
    }
}

pub(crate) use imp::*;
