//! The memory layout of a task: one heap cell per task.
//!
//! ```text
//! Cell<T, S, N> (#[repr(C)], one Box)
//! +---------------------------------------------------------------+
//! | Header   state word | vtable | owned-list links | id | location |
//! | Core     scheduler S | stage: future T, then its output        |
//! | Trailer  join waker | name N (zero-sized for unnamed tasks)   |
//! +---------------------------------------------------------------+
//! ```
//!
//! Code that does not know `T`, `S` and `N` (wakers, the owned-task list,
//! `JoinHandle<T>`) holds a `NonNull<Header>` and reaches the rest through the
//! vtable. `Header` is the first field of a `#[repr(C)]` struct, so a pointer
//! to the cell is a pointer to the header.

use super::debug::TaskStats;
use super::error::JoinError;
use super::raw::Vtable;
use super::state::State;
use super::Id;
use crate::loom::cell::UnsafeCell;
use std::future::Future;
use std::panic::Location;
use std::ptr::NonNull;
use std::task::Waker;

#[repr(C)]
pub(super) struct Cell<T: Future, S, N> {
    pub(super) header: Header,
    pub(super) core: Core<T, S>,
    pub(super) trailer: Trailer<N>,
}

/// The type-erased part of a task, first in its cell.
#[repr(C)]
pub(crate) struct Header {
    pub(super) state: State,
    pub(super) vtable: &'static Vtable,
    /// Links in the scheduler's list of owned tasks; guarded by that list's
    /// shard lock.
    pub(super) owned: UnsafeCell<Links>,
    pub(super) id: Id,
    /// The user's spawn call (task dumps and debug reports name it).
    pub(super) location: &'static Location<'static>,
}

/// Intrusive doubly-linked-list links.
#[derive(Default)]
pub(crate) struct Links {
    pub(crate) prev: Option<NonNull<Header>>,
    pub(crate) next: Option<NonNull<Header>>,
}

pub(super) struct Core<T: Future, S> {
    pub(super) scheduler: S,
    /// Owned by whoever holds `RUNNING`, then (after `COMPLETE`) by the
    /// `JoinHandle` or the task side, as the state word says.
    pub(super) stage: UnsafeCell<Stage<T>>,
}

pub(super) enum Stage<T: Future> {
    Running(T),
    Finished(Result<T::Output, JoinError>),
    Consumed,
}

pub(super) struct Trailer<N> {
    /// Written by the `JoinHandle` while `JOIN_WAKER` is clear, read by the
    /// task side while it is set.
    pub(super) waker: UnsafeCell<Option<Waker>>,
    pub(super) name: N,
}

/// Storage for a task's name (and, in debug mode, its poll statistics).
/// Unnamed tasks use `()`, which takes no space.
pub(crate) trait TaskName: Send + Sync + 'static {
    fn get(&self) -> Option<&str>;

    /// Debug-mode statistics; a constant `None` outside debug mode, so the
    /// code that keeps them is compiled out of plain tasks.
    fn stats(&self) -> Option<&TaskStats> {
        None
    }
}

impl TaskName for () {
    fn get(&self) -> Option<&str> {
        None
    }
}

impl TaskName for Box<str> {
    fn get(&self) -> Option<&str> {
        Some(self)
    }
}

impl<T: Future, S, N> Cell<T, S, N> {
    pub(super) fn new(
        future: T,
        scheduler: S,
        name: N,
        id: Id,
        location: &'static Location<'static>,
        refs: usize,
        vtable: &'static Vtable,
    ) -> Box<Cell<T, S, N>> {
        Box::new(Cell {
            header: Header {
                state: State::new(refs),
                vtable,
                owned: UnsafeCell::new(Links::default()),
                id,
                location,
            },
            core: Core {
                scheduler,
                stage: UnsafeCell::new(Stage::Running(future)),
            },
            trailer: Trailer {
                waker: UnsafeCell::new(None),
                name,
            },
        })
    }
}

impl<T: Future, S> Core<T, S> {
    /// Replaces the stage, dropping the old one (the future or the output).
    ///
    /// # Safety
    ///
    /// The caller owns the stage (see the field's comment).
    pub(super) unsafe fn set_stage(&self, stage: Stage<T>) {
        // SAFETY: exclusive access to the stage is the caller's contract.
        self.stage.with_mut(|ptr| unsafe { *ptr = stage });
    }

    /// Takes the output out.
    ///
    /// # Safety
    ///
    /// The caller owns the stage and the task is complete.
    pub(super) unsafe fn take_output(&self) -> Result<T::Output, JoinError> {
        // SAFETY: exclusive access to the stage is the caller's contract.
        self.stage.with_mut(
            |ptr| match std::mem::replace(unsafe { &mut *ptr }, Stage::Consumed) {
                Stage::Finished(output) => output,
                _ => panic!("JoinHandle polled after completion"),
            },
        )
    }
}

impl<N> Trailer<N> {
    /// # Safety
    ///
    /// The caller may write the slot (see the field's comment).
    pub(super) unsafe fn set_waker(&self, waker: Option<Waker>) {
        // SAFETY: per the caller's contract nobody else touches the slot.
        self.waker.with_mut(|ptr| unsafe { *ptr = waker });
    }

    /// # Safety
    ///
    /// The slot is readable by the caller and holds a waker.
    pub(super) unsafe fn will_wake(&self, waker: &Waker) -> bool {
        // SAFETY: per the caller's contract the slot is not being written.
        self.waker.with(|ptr| unsafe {
            (*ptr)
                .as_ref()
                .expect("join waker slot is empty")
                .will_wake(waker)
        })
    }

    /// # Safety
    ///
    /// As for [`will_wake`](Self::will_wake).
    pub(super) unsafe fn wake_join(&self) {
        // SAFETY: per the caller's contract the slot is not being written.
        self.waker.with(|ptr| unsafe {
            if let Some(w) = (*ptr).as_ref() {
                w.wake_by_ref();
            }
        });
    }
}
