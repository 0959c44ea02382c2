//! `Waker`s that point straight at a task cell.
//!
//! The waker's data pointer is the task header. Cloning adds a task
//! reference, dropping releases one, and waking runs the state transitions in
//! `state.rs`: no allocation, and one atomic operation when the task is
//! already notified or running.

use super::cell::Header;
use super::harness;
use super::raw::RawTask;
use std::ptr::NonNull;
use std::task::{RawWaker, RawWakerVTable, Waker};

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake_by_ref, drop_waker);

/// A waker for the task that does not own a reference.
///
/// # Safety
///
/// The caller must keep a reference to the task alive for as long as the
/// waker exists and must never drop it (wrap it in `ManuallyDrop`).
pub(super) unsafe fn borrowed(header: NonNull<Header>) -> Waker {
    // SAFETY: VTABLE's functions treat the data pointer as a task header,
    // which `header` is.
    unsafe { Waker::from_raw(RawWaker::new(header.as_ptr() as *const (), &VTABLE)) }
}

unsafe fn raw(ptr: *const ()) -> RawTask {
    // SAFETY: every data pointer built with VTABLE is a live task header.
    unsafe { RawTask::from_raw(NonNull::new_unchecked(ptr as *mut Header)) }
}

unsafe fn clone(ptr: *const ()) -> RawWaker {
    // SAFETY: the waker being cloned holds (or borrows) a reference.
    unsafe { raw(ptr) }.state().ref_inc();
    RawWaker::new(ptr, &VTABLE)
}

unsafe fn wake(ptr: *const ()) {
    // SAFETY: consumes the reference this waker owned.
    harness::wake_by_val(unsafe { raw(ptr) });
}

unsafe fn wake_by_ref(ptr: *const ()) {
    // SAFETY: the waker keeps the task alive for the duration of the call.
    harness::wake_by_ref(unsafe { raw(ptr) });
}

unsafe fn drop_waker(ptr: *const ()) {
    // SAFETY: releases the reference this waker owned.
    unsafe { raw(ptr) }.drop_reference();
}
