//! Type-erased task pointers and the per-type vtable.

use super::cell::{Cell, Header, TaskName};
use super::harness::Harness;
use super::{Id, Schedule};
use std::future::Future;
use std::panic::Location;
use std::ptr::NonNull;
use std::task::Waker;

/// Operations that need the concrete future, scheduler and name types.
pub(crate) struct Vtable {
    /// Run a `Notified` task (consumes that reference).
    pub(super) poll: unsafe fn(NonNull<Header>),
    /// Hand a new `Notified` reference to the task's scheduler.
    pub(super) schedule: unsafe fn(NonNull<Header>),
    /// Free the cell (reference count reached zero).
    pub(super) dealloc: unsafe fn(NonNull<Header>),
    /// If complete, move the output into `*dst` (a
    /// `Poll<Result<T::Output, JoinError>>`); otherwise register the waker.
    pub(super) try_read_output: unsafe fn(NonNull<Header>, *mut (), &Waker),
    /// True if complete; otherwise register the waker (output left in place).
    pub(super) poll_complete: unsafe fn(NonNull<Header>, &Waker) -> bool,
    /// The task is complete and its output (not yet taken) is a `JoinError`.
    pub(super) output_is_error: unsafe fn(NonNull<Header>) -> bool,
    /// The `JoinHandle` is dropped (consumes its reference).
    pub(super) drop_join_handle: unsafe fn(NonNull<Header>),
    /// Runtime shutdown: cancel the task if idle (consumes one reference).
    pub(super) shutdown: unsafe fn(NonNull<Header>),
    /// The task's name (and debug statistics), borrowed from the cell.
    pub(super) name: unsafe fn(NonNull<Header>) -> NonNull<dyn TaskName>,
}

pub(super) fn vtable<T, S, N>() -> &'static Vtable
where
    T: Future,
    S: Schedule,
    N: TaskName,
{
    &Vtable {
        poll: poll::<T, S, N>,
        schedule: schedule::<T, S, N>,
        dealloc: dealloc::<T, S, N>,
        try_read_output: try_read_output::<T, S, N>,
        poll_complete: poll_complete::<T, S, N>,
        output_is_error: output_is_error::<T, S, N>,
        drop_join_handle: drop_join_handle::<T, S, N>,
        shutdown: shutdown::<T, S, N>,
        name: name::<T, S, N>,
    }
}

/// A raw pointer to a task cell. Copying it does not touch the reference
/// count: the types built on it (`Task`, `Notified`, `JoinHandle`,
/// `AbortHandle`, wakers) each own one reference.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct RawTask {
    ptr: NonNull<Header>,
}

// SAFETY: a task cell is shared between threads by design; every field of
// the header is either atomic or guarded by a lock or by the state word's
// ownership rules, and the future/output types are required to be `Send` by
// every spawn function that can move a task across threads.
unsafe impl Send for RawTask {}
// SAFETY: as above.
unsafe impl Sync for RawTask {}

impl RawTask {
    /// Allocates a task cell with `refs` references.
    pub(super) fn new<T, S, N>(
        future: T,
        scheduler: S,
        name: N,
        id: Id,
        location: &'static Location<'static>,
        refs: usize,
    ) -> RawTask
    where
        T: Future,
        S: Schedule,
        N: TaskName,
    {
        let cell = Cell::new(
            future,
            scheduler,
            name,
            id,
            location,
            refs,
            vtable::<T, S, N>(),
        );
        let ptr = NonNull::from(Box::leak(cell)).cast::<Header>();
        RawTask { ptr }
    }

    /// # Safety
    ///
    /// `ptr` points to a live task header.
    pub(crate) unsafe fn from_raw(ptr: NonNull<Header>) -> RawTask {
        RawTask { ptr }
    }

    pub(crate) fn header_ptr(self) -> NonNull<Header> {
        self.ptr
    }

    pub(crate) fn header(&self) -> &Header {
        // SAFETY: a RawTask is only used while some reference keeps the cell
        // alive.
        unsafe { self.ptr.as_ref() }
    }

    pub(crate) fn id(self) -> Id {
        self.header().id
    }

    pub(crate) fn state(&self) -> &super::state::State {
        &self.header().state
    }

    pub(super) fn vtable(&self) -> &'static Vtable {
        self.header().vtable
    }

    /// Runs the task; consumes the `Notified` reference.
    pub(crate) fn poll(self) {
        // SAFETY: the vtable matches the cell it was created with.
        unsafe { (self.vtable().poll)(self.ptr) }
    }

    /// Schedules a new `Notified` reference the caller created.
    pub(super) fn schedule(self) {
        // SAFETY: as above.
        unsafe { (self.vtable().schedule)(self.ptr) }
    }

    pub(super) fn dealloc(self) {
        // SAFETY: as above; the caller saw the count reach zero.
        unsafe { (self.vtable().dealloc)(self.ptr) }
    }

    /// # Safety
    ///
    /// `dst` points to a `Poll<Result<T::Output, JoinError>>` of this task's
    /// output type, and the caller owns the join interest.
    pub(super) unsafe fn try_read_output(self, dst: *mut (), waker: &Waker) {
        // SAFETY: forwarded to the caller.
        unsafe { (self.vtable().try_read_output)(self.ptr, dst, waker) }
    }

    /// True if the task is complete; otherwise `waker` is woken when it
    /// completes. The output stays in the task.
    ///
    /// # Safety
    ///
    /// The caller owns the join interest.
    pub(super) unsafe fn poll_complete(self, waker: &Waker) -> bool {
        // SAFETY: forwarded to the caller.
        unsafe { (self.vtable().poll_complete)(self.ptr, waker) }
    }

    /// True if the task's stored output is a `JoinError` (panic or
    /// cancellation).
    ///
    /// # Safety
    ///
    /// The caller owns the join interest and has seen the task complete.
    pub(super) unsafe fn output_is_error(self) -> bool {
        // SAFETY: forwarded to the caller.
        unsafe { (self.vtable().output_is_error)(self.ptr) }
    }

    pub(super) fn drop_join_handle(self) {
        // SAFETY: as above; consumes the join handle's reference.
        unsafe { (self.vtable().drop_join_handle)(self.ptr) }
    }

    pub(crate) fn shutdown(self) {
        // SAFETY: as above; consumes one reference held by the caller.
        unsafe { (self.vtable().shutdown)(self.ptr) }
    }

    /// The task's name; lives as long as the caller's reference.
    pub(crate) fn name(&self) -> Option<&str> {
        self.task_name().get()
    }

    /// Where the task was spawned.
    pub(crate) fn location(self) -> &'static Location<'static> {
        self.header().location
    }

    /// The task's name storage, with its debug statistics if any; lives as
    /// long as the caller's reference.
    pub(crate) fn task_name(&self) -> &dyn TaskName {
        // SAFETY: the name lives in the cell, which outlives `&self`'s
        // reference, and is never mutated after creation.
        unsafe { &*(self.vtable().name)(self.ptr).as_ptr() }
    }

    /// Drops one reference, freeing the cell if it was the last.
    pub(crate) fn drop_reference(self) {
        if self.state().ref_dec() {
            self.dealloc();
        }
    }

    /// `abort()`: cancel the task from any thread.
    pub(crate) fn remote_abort(self) {
        if self.state().transition_to_notified_and_cancel() {
            self.schedule();
        }
    }
}

unsafe fn poll<T: Future, S: Schedule, N: TaskName>(ptr: NonNull<Header>) {
    // SAFETY: the vtable is only installed on cells of type Cell<T, S, N>.
    unsafe { Harness::<T, S, N>::from_raw(ptr) }.poll();
}

unsafe fn schedule<T: Future, S: Schedule, N: TaskName>(ptr: NonNull<Header>) {
    // SAFETY: see `poll`.
    unsafe { Harness::<T, S, N>::from_raw(ptr) }.schedule();
}

unsafe fn dealloc<T: Future, S: Schedule, N: TaskName>(ptr: NonNull<Header>) {
    // SAFETY: the count reached zero: nothing else refers to the cell, which
    // was allocated as a Box<Cell<T, S, N>>.
    drop(unsafe { Box::from_raw(ptr.cast::<Cell<T, S, N>>().as_ptr()) });
}

unsafe fn try_read_output<T: Future, S: Schedule, N: TaskName>(
    ptr: NonNull<Header>,
    dst: *mut (),
    waker: &Waker,
) {
    // SAFETY: see `poll`; `dst` has this task's output type by contract.
    unsafe {
        let dst = &mut *dst.cast::<std::task::Poll<Result<T::Output, super::JoinError>>>();
        Harness::<T, S, N>::from_raw(ptr).try_read_output(dst, waker);
    }
}

unsafe fn poll_complete<T: Future, S: Schedule, N: TaskName>(
    ptr: NonNull<Header>,
    waker: &Waker,
) -> bool {
    // SAFETY: see `poll`; the caller owns the join interest by contract.
    unsafe { Harness::<T, S, N>::from_raw(ptr) }.can_read_output(waker)
}

unsafe fn output_is_error<T: Future, S: Schedule, N: TaskName>(ptr: NonNull<Header>) -> bool {
    // SAFETY: see `poll`; the task is complete and the caller owns the join
    // interest, so the stage belongs to it and nobody writes it meanwhile.
    let cell = unsafe { ptr.cast::<Cell<T, S, N>>().as_ref() };
    cell.core
        .stage
        .with(|stage| matches!(unsafe { &*stage }, super::cell::Stage::Finished(Err(_))))
}

unsafe fn drop_join_handle<T: Future, S: Schedule, N: TaskName>(ptr: NonNull<Header>) {
    // SAFETY: see `poll`.
    unsafe { Harness::<T, S, N>::from_raw(ptr) }.drop_join_handle();
}

unsafe fn shutdown<T: Future, S: Schedule, N: TaskName>(ptr: NonNull<Header>) {
    // SAFETY: see `poll`.
    unsafe { Harness::<T, S, N>::from_raw(ptr) }.shutdown();
}

unsafe fn name<T: Future, S: Schedule, N: TaskName>(ptr: NonNull<Header>) -> NonNull<dyn TaskName> {
    // SAFETY: see `poll`; the name is never mutated after creation.
    let cell = unsafe { ptr.cast::<Cell<T, S, N>>().as_ref() };
    NonNull::from(&cell.trailer.name as &dyn TaskName)
}
