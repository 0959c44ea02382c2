//! Getting file-system work onto the blocking pool.
//!
//! Everything goes through the runtime's file-system queue (`dispatch.rs`):
//!
//! - [`hop`] / [`asyncify`]: run a closure, await its result. This is the
//!   one hop behind every free function.
//! - [`spawn_must_run`]: start work already promised to the caller
//!   (buffered writes that `poll_write` reported as written). If it is
//!   dropped unrun because the runtime is shutting down, it runs on the
//!   dropping thread instead of being lost.

use super::dispatch;
use crate::runtime::Handle;
use crate::sync::oneshot;
use std::future::Future;
use std::io;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

/// The current runtime's handle.
///
/// # Panics
///
/// Outside a runtime, with a message naming `weave::fs`.
#[track_caller]
pub(crate) fn current() -> Handle {
    match Handle::try_current() {
        Ok(handle) => handle,
        Err(_) => panic!(
            "`weave::fs` must be used inside a weave runtime: file I/O runs on the \
             runtime's blocking pool"
        ),
    }
}

/// The result of a closure running on the pool; see [`hop`].
pub(crate) struct Hop<T> {
    rx: oneshot::Receiver<std::thread::Result<T>>,
}

/// Starts `f` on the pool and returns a future of its result. A panic in
/// `f` is resumed in the task awaiting it.
#[track_caller]
pub(crate) fn hop<F, T>(f: F) -> Hop<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let (tx, rx) = oneshot::channel();
    dispatch::submit(Box::new(move || {
        let _ = tx.send(panic::catch_unwind(AssertUnwindSafe(f)));
    }));
    Hop { rx }
}

impl<T> Future for Hop<T> {
    type Output = io::Result<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        match ready!(Pin::new(&mut self.rx).poll(cx)) {
            Ok(Ok(value)) => Poll::Ready(Ok(value)),
            Ok(Err(payload)) => panic::resume_unwind(payload),
            // The job was dropped unrun: the runtime is shutting down.
            Err(_) => Poll::Ready(Err(io::Error::other(
                "the runtime shut down before the file-system operation ran",
            ))),
        }
    }
}

/// Runs `f` on the pool and returns its `io::Result`.
#[track_caller]
pub(crate) fn asyncify<F, T>(f: F) -> impl Future<Output = io::Result<T>>
where
    F: FnOnce() -> io::Result<T> + Send + 'static,
    T: Send + 'static,
{
    let hop = hop(f);
    async move { hop.await? }
}

/// Runs `f` on the pool, detached. If the pool drops it unrun (the runtime
/// is shutting down), `f` runs on the thread that drops it.
#[track_caller]
pub(crate) fn spawn_must_run<F>(f: F)
where
    F: FnOnce() + Send + 'static,
{
    let job = MustRun(Some(f));
    dispatch::submit(Box::new(move || job.run()));
}

/// A job that runs when dropped if it has not run yet.
struct MustRun<F: FnOnce()>(Option<F>);

impl<F: FnOnce()> MustRun<F> {
    fn run(mut self) {
        if let Some(f) = self.0.take() {
            f();
        }
    }
}

impl<F: FnOnce()> Drop for MustRun<F> {
    fn drop(&mut self) {
        if let Some(f) = self.0.take() {
            f();
        }
    }
}
