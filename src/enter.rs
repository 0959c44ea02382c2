//! Is this thread inside a runtime?
//!
//! A thread that drives a runtime (a worker, or a thread inside
//! `Runtime::block_on`) must never block on another runtime or on a channel:
//! that deadlocks the tasks it is supposed to run. This bottom-layer module
//! keeps one per-thread flag so that blocking entry points can refuse with a
//! clear panic message instead of hanging.
//!
//! Invariant: the flag is set by exactly one [`EnterGuard`] at a time and
//! cleared when that guard drops; [`exit_runtime`] clears it temporarily for
//! `block_in_place` and restores it even on panic.

use std::cell::Cell;
use std::marker::PhantomData;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    NotEntered,
    Entered { allow_block_in_place: bool },
}

thread_local! {
    static ENTERED: Cell<State> = const { Cell::new(State::NotEntered) };
}

/// Marks the thread as driving a runtime until dropped.
#[derive(Debug)]
pub(crate) struct EnterGuard {
    _not_send: PhantomData<*const ()>,
}

/// Marks the current thread as inside a runtime. Returns `None` if it already
/// is, which callers turn into a "cannot start a runtime from within a
/// runtime" panic.
pub(crate) fn try_enter(allow_block_in_place: bool) -> Option<EnterGuard> {
    ENTERED.with(|e| {
        if e.get() != State::NotEntered {
            return None;
        }
        e.set(State::Entered {
            allow_block_in_place,
        });
        Some(EnterGuard {
            _not_send: PhantomData,
        })
    })
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        let _ = ENTERED.try_with(|e| e.set(State::NotEntered));
    }
}

/// True if the current thread drives a runtime.
pub(crate) fn is_entered() -> bool {
    ENTERED
        .try_with(|e| e.get() != State::NotEntered)
        .unwrap_or(false)
}

/// True if the thread drives a multi-thread runtime worker, where
/// `block_in_place` can hand the worker's queue to another thread.
pub(crate) fn can_block_in_place() -> bool {
    ENTERED
        .try_with(|e| {
            e.get()
                == State::Entered {
                    allow_block_in_place: true,
                }
        })
        .unwrap_or(false)
}

/// Panics with `message` if the current thread drives a runtime.
#[track_caller]
#[cfg_attr(loom, allow(dead_code))]
pub(crate) fn assert_blocking_allowed(message: &str) {
    if is_entered() {
        panic!("{message}");
    }
}

/// Runs `f` with the flag cleared (the thread may block inside `f`), then
/// restores the previous state, also when `f` panics.
pub(crate) fn exit_runtime<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(State);
    impl Drop for Restore {
        fn drop(&mut self) {
            let _ = ENTERED.try_with(|e| e.set(self.0));
        }
    }
    let prev = ENTERED.with(|e| e.replace(State::NotEntered));
    let _restore = Restore(prev);
    f()
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn nested_enter_is_refused_and_exit_restores() {
        assert!(!is_entered());
        let guard = try_enter(true).expect("first enter");
        assert!(is_entered());
        assert!(can_block_in_place());
        assert!(try_enter(false).is_none());
        exit_runtime(|| {
            assert!(!is_entered());
        });
        assert!(can_block_in_place());
        drop(guard);
        assert!(!is_entered());
    }
}
