//! `Registration`: one resource's link to the I/O driver, and the polling
//! helpers every socket type is built from.
//!
//! The pattern for an operation in direction `d`: wait until the resource is
//! ready for `d`, try the non-blocking system call; on `WouldBlock`, clear
//! the readiness seen (the tick rule in `scheduled_io` keeps a newer event)
//! and wait again. Every wait charges the task's cooperative budget first,
//! so a socket that is always ready still yields to other tasks.

use super::driver::{shutdown_error, IoHandle};
use super::scheduled_io::{Direction, ReadyEvent, ScheduledIo};
use super::Interest;
use crate::loom::sync::Arc;
use std::io;
use std::task::{ready, Context, Poll};

pub(crate) struct Registration {
    handle: IoHandle,
    shared: Arc<ScheduledIo>,
    token: mio::Token,
}

impl Registration {
    /// Registers `source` with the current runtime's I/O driver.
    ///
    /// # Panics
    ///
    /// Outside a runtime, or in one built without I/O.
    #[track_caller]
    pub(crate) fn new(
        source: &mut impl mio::event::Source,
        interest: Interest,
    ) -> io::Result<Registration> {
        let handle = crate::runtime::context::io_handle();
        Registration::with_handle(source, interest, handle)
    }

    pub(crate) fn with_handle(
        source: &mut impl mio::event::Source,
        interest: Interest,
        handle: IoHandle,
    ) -> io::Result<Registration> {
        let (shared, token) = handle.register(source, interest)?;
        Ok(Registration {
            handle,
            shared,
            token,
        })
    }

    /// Removes `source` from the driver. Waiters still pending are not
    /// woken by it; the resource owning this registration is going away.
    pub(crate) fn deregister(&self, source: &mut impl mio::event::Source) -> io::Result<()> {
        self.handle.deregister(source, self.token)
    }

    /// Ready to read, or `Pending` with the task registered in the read slot.
    pub(crate) fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<ReadyEvent>> {
        self.poll_ready(cx, Direction::Read)
    }

    /// Ready to write, or `Pending` with the task registered in the write slot.
    pub(crate) fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<ReadyEvent>> {
        self.poll_ready(cx, Direction::Write)
    }

    pub(crate) fn poll_ready(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
    ) -> Poll<io::Result<ReadyEvent>> {
        let coop = ready!(crate::coop::poll_proceed(cx));
        let event = ready!(self.shared.poll_ready(cx, direction));
        if event.is_shutdown {
            return Poll::Ready(Err(shutdown_error()));
        }
        coop.made_progress();
        Poll::Ready(Ok(event))
    }

    /// Forgets the readiness in `event` (its operation hit `WouldBlock`).
    pub(crate) fn clear_readiness(&self, event: ReadyEvent) {
        self.shared.clear_readiness(event);
    }

    /// The readiness now, for `interest`, without waiting.
    pub(crate) fn ready_now(&self, interest: Interest) -> ReadyEvent {
        self.shared.ready_event(interest.mask())
    }

    /// Runs `op` when ready for `direction`, waiting again after each
    /// `WouldBlock`.
    #[inline]
    pub(crate) fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        op: impl FnMut() -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.poll_io_until(cx, direction, op, |_| false)
    }

    /// Like [`poll_io`](Self::poll_io), for a byte stream (TCP, Unix
    /// stream, pipe) and an `op` that moves up to `len` bytes: a transfer
    /// that moved some bytes but fewer than `len` also clears the readiness
    /// it used. On an edge-triggered stream a short read means the kernel
    /// buffer was drained and a short write that it was filled, so trying
    /// again would only cost a `WouldBlock` system call; the next edge sets
    /// readiness again (and one that arrived meanwhile has a newer tick,
    /// which the clear leaves alone). End of stream (`Ok(0)`) clears nothing.
    #[inline]
    pub(crate) fn poll_io_stream(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        len: usize,
        op: impl FnMut() -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        self.poll_io_until(cx, direction, op, |&n| n > 0 && n < len)
    }

    /// The loop of `poll_io`: a `WouldBlock` clears the readiness `op` was
    /// tried on and waits again; a success for which `exhausted` holds
    /// clears it too (the resource cannot be ready any more) and returns.
    fn poll_io_until<R>(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        mut op: impl FnMut() -> io::Result<R>,
        exhausted: impl Fn(&R) -> bool,
    ) -> Poll<io::Result<R>> {
        loop {
            let event = ready!(self.poll_ready(cx, direction))?;
            match op() {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.clear_readiness(event),
                result => {
                    if matches!(&result, Ok(r) if exhausted(r)) {
                        self.clear_readiness(event);
                    }
                    return Poll::Ready(result);
                }
            }
        }
    }

    /// Runs `op` if the resource looks ready for `interest`; otherwise
    /// returns `WouldBlock` at once. A `WouldBlock` from `op` clears the
    /// readiness it was tried on.
    pub(crate) fn try_io<R>(
        &self,
        interest: Interest,
        op: impl FnOnce() -> io::Result<R>,
    ) -> io::Result<R> {
        let event = self.ready_now(interest);
        if event.is_shutdown {
            return Err(shutdown_error());
        }
        if event.ready.is_empty() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let result = op();
        if matches!(&result, Err(e) if e.kind() == io::ErrorKind::WouldBlock) {
            self.clear_readiness(event);
        }
        result
    }

    /// Waits until the resource is ready for any of `interest`. Any number
    /// of tasks may wait at once.
    pub(crate) async fn readiness(&self, interest: Interest) -> io::Result<ReadyEvent> {
        crate::coop::consume_budget().await;
        let event = self.shared.readiness(interest).await;
        if event.is_shutdown {
            return Err(shutdown_error());
        }
        Ok(event)
    }

    /// Waits for `interest` and runs `op` until it does not `WouldBlock`.
    pub(crate) async fn async_io<R>(
        &self,
        interest: Interest,
        mut op: impl FnMut() -> io::Result<R>,
    ) -> io::Result<R> {
        loop {
            let event = self.readiness(interest).await?;
            match op() {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.clear_readiness(event),
                result => return result,
            }
        }
    }
}

impl std::fmt::Debug for Registration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registration")
            .field("token", &self.token)
            .finish()
    }
}
