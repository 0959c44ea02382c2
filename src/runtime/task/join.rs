//! `JoinHandle` and `AbortHandle`.

use super::raw::RawTask;
use super::{Id, JoinError};
use crate::coop;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::panic::{RefUnwindSafe, UnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

/// An owned permission to await a spawned task's output.
///
/// Awaiting it gives `Ok(output)`, or a [`JoinError`] if the task panicked or
/// was cancelled. Dropping the handle *detaches* the task: it keeps running
/// and its output is dropped when it finishes. Use [`abort`](Self::abort) to
/// cancel it.
///
/// ```
/// # weave::runtime::Runtime::new().unwrap().block_on(async {
/// let handle = weave::spawn(async { 6 * 7 });
/// assert_eq!(handle.await.unwrap(), 42);
/// # });
/// ```
pub struct JoinHandle<T> {
    raw: RawTask,
    _p: PhantomData<T>,
}

// SAFETY: the handle only moves a `T` out of the task (so `T: Send` is
// needed to send it across threads) and never gives out `&T`.
unsafe impl<T: Send> Send for JoinHandle<T> {}
// SAFETY: `&JoinHandle` only exposes the id, the name and `abort`, which are
// thread-safe and never touch the output.
unsafe impl<T: Send> Sync for JoinHandle<T> {}
impl<T> Unpin for JoinHandle<T> {}
impl<T> UnwindSafe for JoinHandle<T> {}
impl<T> RefUnwindSafe for JoinHandle<T> {}

impl<T> JoinHandle<T> {
    /// Takes ownership of the join reference of `raw`.
    pub(super) fn new(raw: RawTask) -> JoinHandle<T> {
        JoinHandle {
            raw,
            _p: PhantomData,
        }
    }

    /// Cancels the task.
    ///
    /// A task that has not finished is dropped at its next scheduling point
    /// (right away if it is idle, after the current poll if it is running);
    /// awaiting the handle then gives a [`JoinError`] whose `is_cancelled()`
    /// is true. Aborting a finished task does nothing.
    ///
    /// ```
    /// # weave::runtime::Runtime::new().unwrap().block_on(async {
    /// let handle = weave::spawn(std::future::pending::<()>());
    /// handle.abort();
    /// assert!(handle.await.unwrap_err().is_cancelled());
    /// # });
    /// ```
    pub fn abort(&self) {
        self.raw.remote_abort();
    }

    /// True once the task has finished (completed, panicked or been
    /// cancelled). Never blocks.
    pub fn is_finished(&self) -> bool {
        self.raw.state().load().is_complete()
    }

    /// `Ready` once the task has finished, leaving its output in place for a
    /// later `.await` (which then returns at once); otherwise the waker of
    /// `cx` is woken when it finishes (replacing a waker registered by an
    /// earlier poll of this handle, as awaiting it would). Used by `JoinSet`
    /// and `task::wait`, which must learn that a task finished without
    /// taking its output.
    pub(crate) fn poll_finished(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        // SAFETY: this handle owns the join interest (`&mut self`).
        if unsafe { self.raw.poll_complete(cx.waker()) } {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }

    /// The output of a task that [`poll_finished`](Self::poll_finished)
    /// reported finished.
    ///
    /// # Panics
    ///
    /// If the task has not finished, or its output was already taken.
    pub(crate) fn take_finished_output(&mut self) -> Result<T, JoinError> {
        let mut out: Poll<Result<T, JoinError>> = Poll::Pending;
        // SAFETY: as in `poll`. The task is complete, so the no-op waker is
        // never stored.
        unsafe {
            self.raw
                .try_read_output(&mut out as *mut _ as *mut (), Waker::noop());
        }
        match out {
            Poll::Ready(output) => output,
            Poll::Pending => panic!("take_finished_output on a task that has not finished"),
        }
    }

    /// True if the task has finished with a [`JoinError`] (it panicked or was
    /// cancelled) that has not been taken yet. Never blocks.
    pub(crate) fn finished_with_error(&self) -> bool {
        // SAFETY: this handle owns the join interest, and the output is only
        // read after seeing COMPLETE (which publishes the stored output).
        self.is_finished() && unsafe { self.raw.output_is_error() }
    }

    /// A handle that can abort the task but not await it; it does not keep
    /// the task's output alive.
    pub fn abort_handle(&self) -> AbortHandle {
        self.raw.state().ref_inc();
        AbortHandle { raw: self.raw }
    }

    /// The task's id.
    pub fn id(&self) -> Id {
        self.raw.id()
    }

    /// The name given with [`task::Builder::name`](crate::task::Builder::name).
    ///
    /// ```
    /// # weave::runtime::Runtime::new().unwrap().block_on(async {
    /// let handle = weave::task::Builder::new()
    ///     .name("fetch-42")
    ///     .spawn(async {})
    ///     .unwrap();
    /// assert_eq!(handle.name(), Some("fetch-42"));
    /// # });
    /// ```
    pub fn name(&self) -> Option<&str> {
        self.raw.name()
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let coop = std::task::ready!(coop::poll_proceed(cx));
        let mut out: Poll<Result<T, JoinError>> = Poll::Pending;
        // SAFETY: `out` has the task's output type (the handle was created
        // with it), and this handle owns the join interest.
        unsafe {
            self.raw
                .try_read_output(&mut out as *mut _ as *mut (), cx.waker());
        }
        if out.is_ready() {
            coop.made_progress();
        }
        out
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        self.raw.drop_join_handle();
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("id", &self.id())
            .field("name", &self.name())
            .finish()
    }
}

/// A handle that can cancel a task but not await it.
///
/// Unlike dropping a [`JoinHandle`], dropping an `AbortHandle` does nothing.
///
/// ```
/// # weave::runtime::Runtime::new().unwrap().block_on(async {
/// let handle = weave::spawn(std::future::pending::<()>());
/// let abort = handle.abort_handle();
/// abort.abort();
/// assert!(handle.await.unwrap_err().is_cancelled());
/// assert!(abort.is_finished());
/// # });
/// ```
pub struct AbortHandle {
    raw: RawTask,
}

impl AbortHandle {
    /// Cancels the task; see [`JoinHandle::abort`].
    pub fn abort(&self) {
        self.raw.remote_abort();
    }

    /// True once the task has finished.
    pub fn is_finished(&self) -> bool {
        self.raw.state().load().is_complete()
    }

    /// The task's id.
    pub fn id(&self) -> Id {
        self.raw.id()
    }
}

impl Clone for AbortHandle {
    fn clone(&self) -> AbortHandle {
        self.raw.state().ref_inc();
        AbortHandle { raw: self.raw }
    }
}

impl Drop for AbortHandle {
    fn drop(&mut self) {
        self.raw.drop_reference();
    }
}

impl UnwindSafe for AbortHandle {}
impl RefUnwindSafe for AbortHandle {}

impl fmt::Debug for AbortHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AbortHandle")
            .field("id", &self.id())
            .finish()
    }
}
