//! Task-local storage: values that belong to one future (usually one task)
//! rather than to one thread.
//!
//! [`task_local!`](crate::task_local) declares [`LocalKey`] statics. A value
//! is attached to a future with [`LocalKey::scope`] (or to a closure with
//! [`LocalKey::sync_scope`]) and read with [`LocalKey::with`],
//! [`LocalKey::try_with`], [`LocalKey::get`] or [`LocalKey::try_get`] from
//! inside it.
//!
//! # Implementation
//!
//! Each key is backed by a thread-local `RefCell<Option<T>>` (the *slot*). A
//! [`TaskLocalFuture`] owns the value between polls; every time it is polled
//! it swaps its value into the current thread's slot, polls the inner future,
//! and swaps the value back out. So the value follows the future from worker
//! thread to worker thread, and other futures polled on the same thread in
//! between never see it.
//!
//! ## Invariants
//!
//! - Swapping in and swapping out are paired: the swap-out runs from a drop
//!   guard, so a poll (or a `sync_scope` closure) that panics still restores
//!   the slot to what it held before the swap-in.
//! - Because each scope saves whatever the slot held (the outer value, or
//!   `None`) and puts it back, nested scopes of one key form a stack: leaving
//!   the inner scope brings the outer value back.
//! - The slot is mutably borrowed only for the instant of a swap; no user code
//!   runs during a mutable borrow. User code only ever holds shared borrows
//!   (inside `with`). Entering a scope of a key from inside `with` of the same
//!   key would need a mutable borrow during a shared one; that panics with a
//!   clear message rather than aliasing.
//! - When a `TaskLocalFuture` is dropped before it completed, the inner future
//!   is dropped with the value swapped in, so its destructors can still read
//!   the task-local. The value itself is dropped after that, outside the scope.
//!   A completed inner future is dropped the same way, at completion.

use pin_project_lite::pin_project;
use std::cell::RefCell;
use std::error::Error;
use std::fmt;
use std::future::Future;
use std::mem;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::thread;

/// Declares task-local keys of type [`LocalKey`](crate::task::LocalKey).
///
/// Each declaration reads like a `static` without an initializer. Attributes
/// and visibility are kept. A key holds no value until a future (or closure)
/// is run in a [`scope`](crate::task::LocalKey::scope) of it.
///
/// ```
/// weave::task_local! {
///     pub static REQUEST_ID: u64;
///
///     #[allow(dead_code)]
///     static USER: String;
/// }
///
/// # weave::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let id = REQUEST_ID.scope(7, async { REQUEST_ID.get() }).await;
/// assert_eq!(id, 7);
/// # });
/// ```
#[macro_export]
macro_rules! task_local {
    () => {};

    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty; $($rest:tt)*) => {
        $crate::__weave_task_local_key!($(#[$attr])* $vis $name, $t);
        $crate::task_local!($($rest)*);
    };

    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty) => {
        $crate::__weave_task_local_key!($(#[$attr])* $vis $name, $t);
    };
}

/// Declares one key for [`task_local!`]; not public API.
#[doc(hidden)]
#[macro_export]
macro_rules! __weave_task_local_key {
    ($(#[$attr:meta])* $vis:vis $name:ident, $t:ty) => {
        $(#[$attr])*
        $vis static $name: $crate::task::LocalKey<$t> = {
            ::std::thread_local! {
                static __WEAVE_TASK_LOCAL_SLOT: ::std::cell::RefCell<::std::option::Option<$t>> =
                    const { ::std::cell::RefCell::new(::std::option::Option::None) };
            }
            $crate::task::LocalKey::__new(__WEAVE_TASK_LOCAL_SLOT)
        };
    };
}

/// A key for task-local data, declared with
/// [`task_local!`](crate::task_local).
///
/// Unlike a thread-local, a task-local has no initializer: it holds a value
/// only inside a [`scope`](LocalKey::scope) (for a future) or a
/// [`sync_scope`](LocalKey::sync_scope) (for a closure). The value travels
/// with the future across `.await` points and worker threads. Tasks spawned
/// from inside a scope do not inherit it.
///
/// ```
/// weave::task_local! {
///     static DEPTH: u32;
/// }
///
/// # weave::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// DEPTH.scope(1, async {
///     assert_eq!(DEPTH.get(), 1);
///     DEPTH.scope(2, async {
///         assert_eq!(DEPTH.get(), 2);
///     }).await;
///     // The outer value is back.
///     assert_eq!(DEPTH.get(), 1);
/// }).await;
/// assert!(DEPTH.try_get().is_err());
/// # });
/// ```
pub struct LocalKey<T: 'static> {
    /// This key's slot on each thread.
    slot: thread::LocalKey<RefCell<Option<T>>>,
}

/// Why entering a scope failed.
enum ScopeError {
    /// The slot is borrowed by a `with` call on this thread.
    Borrowed,
    /// The thread's thread-locals are being destroyed.
    ThreadGone,
}

impl ScopeError {
    #[track_caller]
    fn panic(self) -> ! {
        match self {
            ScopeError::Borrowed => panic!(
                "cannot enter a task-local scope while the task-local is borrowed by `with` \
                 (a scope of this key was entered or polled inside `LocalKey::with` of the same key)"
            ),
            ScopeError::ThreadGone => panic!(
                "cannot enter a task-local scope during or after destruction of the thread's \
                 thread-local storage"
            ),
        }
    }
}

impl<T: 'static> LocalKey<T> {
    /// Builds a key from its thread-local slot; used by
    /// [`task_local!`](crate::task_local), not public API.
    #[doc(hidden)]
    pub const fn __new(slot: thread::LocalKey<RefCell<Option<T>>>) -> LocalKey<T> {
        LocalKey { slot }
    }

    /// Swaps `value` with the contents of this thread's slot.
    fn swap(&'static self, value: &mut Option<T>) -> Result<(), ScopeError> {
        self.slot
            .try_with(|cell| {
                let mut slot = cell.try_borrow_mut().map_err(|_| ScopeError::Borrowed)?;
                mem::swap(&mut *slot, value);
                Ok(())
            })
            .map_err(|_| ScopeError::ThreadGone)?
    }

    /// Runs `f` with `value` swapped into the slot, and swaps it back out
    /// afterwards, even if `f` panics.
    fn enter<R>(
        &'static self,
        value: &mut Option<T>,
        f: impl FnOnce() -> R,
    ) -> Result<R, ScopeError> {
        /// Swaps the value back out when dropped.
        struct Restore<'a, T: 'static> {
            key: &'static LocalKey<T>,
            value: &'a mut Option<T>,
        }

        impl<T: 'static> Drop for Restore<'_, T> {
            fn drop(&mut self) {
                // Cannot fail: the swap-in succeeded on this thread, the
                // thread-locals are still alive (we are running on this
                // thread), and `f`'s shared borrows ended before this runs.
                let _ = self.key.swap(self.value);
            }
        }

        self.swap(value)?;
        let _restore = Restore { key: self, value };
        Ok(f())
    }

    /// Runs `future` with this key set to `value`.
    ///
    /// The value is set for the duration of each poll of the returned future
    /// (and while its inner future is dropped) and dropped after the future
    /// completes or is dropped. Inside, a scope of the same key shadows the
    /// outer value until it ends.
    ///
    /// # Panics
    ///
    /// Polling the returned future inside [`with`](Self::with) or
    /// [`try_with`](Self::try_with) of the same key panics.
    ///
    /// ```
    /// weave::task_local! {
    ///     static NAME: &'static str;
    /// }
    ///
    /// # weave::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let greeting = NAME
    ///     .scope("world", async {
    ///         weave::task::yield_now().await;
    ///         NAME.with(|name| format!("hello, {name}"))
    ///     })
    ///     .await;
    /// assert_eq!(greeting, "hello, world");
    /// # });
    /// ```
    pub fn scope<F>(&'static self, value: T, future: F) -> TaskLocalFuture<T, F>
    where
        F: Future,
    {
        TaskLocalFuture {
            key: self,
            value: Some(value),
            future: Some(future),
        }
    }

    /// Runs the closure `f` with this key set to `value`, then drops the
    /// value and returns what `f` returned.
    ///
    /// # Panics
    ///
    /// Called inside [`with`](Self::with) or [`try_with`](Self::try_with) of
    /// the same key, this panics. A panic in `f` propagates, after the
    /// previous value of the key has been restored.
    ///
    /// ```
    /// weave::task_local! {
    ///     static LIMIT: usize;
    /// }
    ///
    /// let doubled = LIMIT.sync_scope(21, || LIMIT.get() * 2);
    /// assert_eq!(doubled, 42);
    /// ```
    #[track_caller]
    pub fn sync_scope<F, R>(&'static self, value: T, f: F) -> R
    where
        F: FnOnce() -> R,
    {
        let mut value = Some(value);
        match self.enter(&mut value, f) {
            Ok(r) => r,
            Err(e) => e.panic(),
        }
    }

    /// Calls `f` with a reference to the current value of this key.
    ///
    /// # Panics
    ///
    /// Outside a scope of this key; see [`try_with`](Self::try_with).
    ///
    /// ```
    /// weave::task_local! {
    ///     static WORDS: Vec<&'static str>;
    /// }
    ///
    /// WORDS.sync_scope(vec!["a", "b"], || {
    ///     assert_eq!(WORDS.with(|w| w.len()), 2);
    /// });
    /// ```
    #[track_caller]
    pub fn with<F, R>(&'static self, f: F) -> R
    where
        F: FnOnce(&T) -> R,
    {
        match self.try_with(f) {
            Ok(r) => r,
            Err(_) => panic!(
                "task-local value accessed outside its scope: `LocalKey::with`/`get` needs a \
                 value set with `LocalKey::scope` or `sync_scope` (use `try_with`/`try_get` \
                 where there may be none)"
            ),
        }
    }

    /// Calls `f` with a reference to the current value of this key, or
    /// returns [`AccessError`] outside a scope of it.
    ///
    /// ```
    /// weave::task_local! {
    ///     static COUNT: u32;
    /// }
    ///
    /// assert!(COUNT.try_with(|c| *c).is_err());
    /// assert_eq!(COUNT.sync_scope(3, || COUNT.try_with(|c| *c)), Ok(3));
    /// ```
    pub fn try_with<F, R>(&'static self, f: F) -> Result<R, AccessError>
    where
        F: FnOnce(&T) -> R,
    {
        // A destroyed thread-local (during thread exit) means no scope is
        // active on this thread any more.
        let outcome = self.slot.try_with(|cell| {
            // Cannot fail: mutable borrows only exist during a swap, which
            // runs no user code.
            let slot = cell.borrow();
            slot.as_ref().map(f)
        });
        match outcome {
            Ok(Some(r)) => Ok(r),
            Ok(None) | Err(_) => Err(AccessError { _private: () }),
        }
    }
}

impl<T: Clone + 'static> LocalKey<T> {
    /// Returns a clone of the current value of this key.
    ///
    /// # Panics
    ///
    /// Outside a scope of this key; see [`try_get`](Self::try_get).
    ///
    /// ```
    /// weave::task_local! {
    ///     static TAG: String;
    /// }
    ///
    /// let tag = TAG.sync_scope("blue".to_string(), || TAG.get());
    /// assert_eq!(tag, "blue");
    /// ```
    #[track_caller]
    pub fn get(&'static self) -> T {
        self.with(T::clone)
    }

    /// Returns a clone of the current value of this key, or [`AccessError`]
    /// outside a scope of it.
    ///
    /// ```
    /// weave::task_local! {
    ///     static TAG: u8;
    /// }
    ///
    /// assert!(TAG.try_get().is_err());
    /// assert_eq!(TAG.sync_scope(1, || TAG.try_get()), Ok(1));
    /// ```
    pub fn try_get(&'static self) -> Result<T, AccessError> {
        self.try_with(T::clone)
    }
}

impl<T: 'static> fmt::Debug for LocalKey<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("LocalKey { .. }")
    }
}

pin_project! {
    /// A future that runs its inner future with a task-local set; created by
    /// [`LocalKey::scope`].
    ///
    /// The value is dropped when this future is dropped (or taken earlier with
    /// [`take_value`](TaskLocalFuture::take_value)).
    pub struct TaskLocalFuture<T, F>
    where
        T: 'static,
    {
        key: &'static LocalKey<T>,
        // The value, while it is not swapped into the slot.
        value: Option<T>,
        // The inner future; `None` once it completed.
        #[pin]
        future: Option<F>,
    }

    impl<T, F> PinnedDrop for TaskLocalFuture<T, F>
    where
        T: 'static,
    {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            let mut future = this.future;
            if mem::needs_drop::<F>() && future.is_some() {
                // Drop the inner future with the value set. If the slot
                // cannot be entered (borrowed, or the thread is exiting), the
                // future is dropped normally, without the value, right after.
                let _ = this.key.enter(this.value, || future.set(None));
            }
        }
    }
}

impl<T: 'static, F> TaskLocalFuture<T, F> {
    /// Takes the task-local value out of this future.
    ///
    /// Returns `None` if it was already taken. Taken before the inner future
    /// completed, the value is no longer visible to the inner future's later
    /// polls.
    ///
    /// ```
    /// weave::task_local! {
    ///     static KEY: u32;
    /// }
    ///
    /// # weave::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let mut fut = Box::pin(KEY.scope(42, async { KEY.get() + 1 }));
    /// assert_eq!(fut.as_mut().await, 43);
    /// assert_eq!(fut.as_mut().take_value(), Some(42));
    /// assert_eq!(fut.as_mut().take_value(), None);
    /// # });
    /// ```
    pub fn take_value(self: Pin<&mut Self>) -> Option<T> {
        self.project().value.take()
    }
}

impl<T: 'static, F: Future> Future for TaskLocalFuture<T, F> {
    type Output = F::Output;

    #[track_caller]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let mut future = this.future;
        let outcome = this.key.enter(this.value, || {
            let poll = future.as_mut().as_pin_mut().map(|fut| fut.poll(cx))?;
            if poll.is_ready() {
                // Drop the finished future while the value is still set.
                future.set(None);
            }
            Some(poll)
        });
        match outcome {
            Ok(Some(poll)) => poll,
            Ok(None) => panic!("`TaskLocalFuture` polled after it completed"),
            Err(e) => e.panic(),
        }
    }
}

impl<T: fmt::Debug + 'static, F> fmt::Debug for TaskLocalFuture<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskLocalFuture")
            .field("value", &self.value)
            .finish_non_exhaustive()
    }
}

/// The error of [`LocalKey::try_with`] and [`LocalKey::try_get`]: the key has
/// no value here (the caller is outside every scope of it).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct AccessError {
    _private: (),
}

impl fmt::Debug for AccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessError")
    }
}

impl fmt::Display for AccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("task-local value not set")
    }
}

impl Error for AccessError {}
