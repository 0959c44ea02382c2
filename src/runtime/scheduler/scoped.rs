//! A thread-local pointer to a value that lives on a stack frame.
//!
//! Each scheduler keeps its per-thread context (the worker or `block_on`
//! state) on the stack of the function that runs it and publishes a pointer
//! to it here, so that `schedule` can find the local queue.
//!
//! Invariant: the pointer is non-null only while [`Scoped::set`] runs, and
//! `set` restores the previous value when it returns or unwinds, so the
//! pointer never outlives the value it points to.

use std::cell::Cell;
use std::ptr;

pub(super) struct Scoped<T> {
    ptr: Cell<*const T>,
}

impl<T> Scoped<T> {
    pub(super) const fn new() -> Scoped<T> {
        Scoped {
            ptr: Cell::new(ptr::null()),
        }
    }

    /// Makes `value` reachable through [`with`](Self::with) while `f` runs.
    pub(super) fn set<R>(&self, value: &T, f: impl FnOnce() -> R) -> R {
        struct Reset<'a, T> {
            cell: &'a Cell<*const T>,
            prev: *const T,
        }
        impl<T> Drop for Reset<'_, T> {
            fn drop(&mut self) {
                self.cell.set(self.prev);
            }
        }
        let prev = self.ptr.replace(value);
        let _reset = Reset {
            cell: &self.ptr,
            prev,
        };
        f()
    }

    /// Calls `f` with the value set by the innermost running `set`, if any.
    #[inline]
    pub(super) fn with<R>(&self, f: impl FnOnce(Option<&T>) -> R) -> R {
        // SAFETY: the pointer is non-null only while `set` runs on this
        // thread, and `set` borrows the value for its whole duration (see the
        // module invariant); `f` cannot keep the reference past this call.
        f(unsafe { self.ptr.get().as_ref() })
    }
}

/// [`Scoped::with`] on a thread-local `Scoped`, treating a thread that is
/// being torn down (its thread-locals gone) as having no value set.
///
/// `#[inline]`: this sits on every wake and yield, and without the hint
/// LLVM stops inlining it once a crate has a few more spawn paths (debug
/// mode's doubled ones: 12% more instructions per yield).
#[inline]
pub(super) fn with_local<T: 'static, R>(
    key: &'static std::thread::LocalKey<Scoped<T>>,
    f: impl FnOnce(Option<&T>) -> R,
) -> R {
    let mut f = Some(f);
    match key.try_with(|scoped| scoped.with(|value| (f.take().expect("called once"))(value))) {
        Ok(r) => r,
        Err(_) => (f.take().expect("not called yet"))(None),
    }
}
