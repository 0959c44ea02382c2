//! Which runtime is "current" on this thread.
//!
//! `spawn`, `Handle::current` and the resource constructors find their
//! runtime through this thread-local. It is set by the worker threads for
//! their whole life, by `block_on` for its duration, and by
//! [`Runtime::enter`](crate::runtime::Runtime::enter) /
//! [`Handle::enter`](crate::runtime::Handle::enter) guards, which nest and
//! must be dropped in reverse order.

use super::scheduler;
use super::time::TimeHandle;
use std::cell::{Cell, RefCell};

thread_local! {
    static CURRENT: RefCell<Option<scheduler::Handle>> = const { RefCell::new(None) };
    static DEPTH: Cell<usize> = const { Cell::new(0) };
}

/// Restores the previously current handle when dropped.
#[derive(Debug)]
pub(crate) struct SetCurrentGuard {
    prev: Option<scheduler::Handle>,
    depth: usize,
    _not_send: std::marker::PhantomData<*const ()>,
}

/// Makes `handle` the current runtime until the guard drops.
pub(crate) fn set_current(handle: &scheduler::Handle) -> SetCurrentGuard {
    let prev = CURRENT.with(|c| c.borrow_mut().replace(handle.clone()));
    let depth = DEPTH.with(|d| {
        let depth = d.get() + 1;
        d.set(depth);
        depth
    });
    SetCurrentGuard {
        prev,
        depth,
        _not_send: std::marker::PhantomData,
    }
}

impl Drop for SetCurrentGuard {
    fn drop(&mut self) {
        let depth = DEPTH.try_with(|d| d.get()).unwrap_or(self.depth);
        if depth != self.depth && !std::thread::panicking() {
            panic!(
                "`EnterGuard` values dropped out of order: guards returned by \
                 `Runtime::enter` / `Handle::enter` must be dropped in the reverse \
                 order they were acquired"
            );
        }
        let prev = self.prev.take();
        let _ = CURRENT.try_with(|c| *c.borrow_mut() = prev);
        let _ = DEPTH.try_with(|d| d.set(self.depth - 1));
    }
}

/// Calls `f` with the current handle, if any.
#[inline]
pub(crate) fn with_current<R>(f: impl FnOnce(Option<&scheduler::Handle>) -> R) -> R {
    let mut f = Some(f);
    match CURRENT.try_with(|c| (f.take().expect("called once"))(c.borrow().as_ref())) {
        Ok(r) => r,
        // The thread is being torn down: behave as if no runtime.
        Err(_) => (f.take().expect("not called yet"))(None),
    }
}

/// A clone of the current handle, if any.
pub(crate) fn try_current() -> Option<scheduler::Handle> {
    CURRENT.try_with(|c| c.borrow().clone()).ok().flatten()
}

/// The current runtime's timers, for `api` (named in the panic message).
///
/// # Panics
///
/// Outside a runtime, or if the runtime was built without the time driver.
#[track_caller]
pub(crate) fn time_handle(api: &'static str) -> TimeHandle {
    with_current(|handle| {
        match handle {
        None => panic!("`{api}` called outside a runtime: {NO_RUNTIME}"),
        Some(handle) => match &handle.driver().time {
            Some(time) => time.clone(),
            None => panic!(
                "`{api}` needs the time driver, which this runtime does not have: build the \
                 runtime with `Builder::enable_time()` or `Builder::enable_all()` (`Runtime::new()` \
                 and `#[weave::main]` enable it)"
            ),
        },
    }
    })
}

/// The current runtime's I/O driver.
///
/// # Panics
///
/// Outside a runtime, or if the runtime was built without the I/O driver.
#[track_caller]
pub(crate) fn io_handle() -> crate::runtime::io::IoHandle {
    with_current(|handle| match handle {
        None => panic!("an I/O resource was created outside a runtime: {NO_RUNTIME}"),
        Some(handle) => match &handle.driver().io {
            Some(io) => io.clone(),
            None => panic!(
                "I/O resources need the I/O driver, which this runtime does not have: build the \
                 runtime with `Builder::enable_io()` or `Builder::enable_all()` (`Runtime::new()` \
                 and `#[weave::main]` enable it)"
            ),
        },
    })
}

/// The current runtime's timers, if there is a runtime with time enabled.
#[inline]
pub(crate) fn try_time_handle() -> Option<TimeHandle> {
    with_time_handle(|time| time.cloned())
}

/// Calls `f` with the current runtime's timers (if any) without cloning the
/// handle, for callers that only read the clock.
pub(crate) fn with_time_handle<R>(f: impl FnOnce(Option<&TimeHandle>) -> R) -> R {
    with_current(|handle| f(handle.and_then(|h| h.driver().time.as_ref())))
}

/// True if the current runtime is a current-thread one.
pub(crate) fn is_current_thread_runtime() -> bool {
    with_current(|handle| matches!(handle, Some(scheduler::Handle::CurrentThread(_))))
}

/// The message for calls that need a runtime but found none.
pub(crate) const NO_RUNTIME: &str = "there is no weave runtime on this thread: this call must \
    run inside a runtime. Create one with `weave::runtime::Runtime::new()` and call `block_on` \
    (or hold the guard from `Runtime::enter()`), or put `#[weave::main]` on your `async fn main`";
