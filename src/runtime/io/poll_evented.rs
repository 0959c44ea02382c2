//! `PollEvented<E>`: a mio source registered with the driver, and the
//! write loops shared by the socket types.
//!
//! Reads are left to the socket types (`net/recv.rs` receives into
//! uninitialized buffers). The source is deregistered when the
//! `PollEvented` is dropped or taken apart.

use super::{Direction, Interest, Registration};
use std::io::{self, IoSlice, Write};
use std::task::{Context, Poll};

pub(crate) struct PollEvented<E: mio::event::Source> {
    io: Option<E>,
    registration: Registration,
}

impl<E: mio::event::Source> PollEvented<E> {
    /// Registers `io` for reading and writing with the current runtime.
    ///
    /// # Panics
    ///
    /// Outside a runtime, or in one without I/O enabled.
    #[track_caller]
    pub(crate) fn new(io: E) -> io::Result<PollEvented<E>> {
        PollEvented::new_with_interest(io, Interest::READABLE | Interest::WRITABLE)
    }

    #[track_caller]
    pub(crate) fn new_with_interest(mut io: E, interest: Interest) -> io::Result<PollEvented<E>> {
        let registration = Registration::new(&mut io, interest)?;
        Ok(PollEvented {
            io: Some(io),
            registration,
        })
    }

    pub(crate) fn registration(&self) -> &Registration {
        &self.registration
    }

    /// The source. Always present until `into_inner` or drop.
    pub(crate) fn get_ref(&self) -> &E {
        self.io.as_ref().expect("PollEvented source taken")
    }

    /// Deregisters and returns the source.
    pub(crate) fn into_inner(mut self) -> io::Result<E> {
        let mut io = self.io.take().expect("PollEvented source taken");
        self.registration.deregister(&mut io)?;
        Ok(io)
    }
}

impl<E> PollEvented<E>
where
    E: mio::event::Source,
    for<'a> &'a E: Write,
{
    pub(crate) fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let io = self.get_ref();
        self.registration
            .poll_io_stream(cx, Direction::Write, buf.len(), || (&*io).write(buf))
    }

    pub(crate) fn poll_write_vectored(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let io = self.get_ref();
        let len = bufs.iter().map(|b| b.len()).sum();
        self.registration
            .poll_io_stream(cx, Direction::Write, len, || (&*io).write_vectored(bufs))
    }
}

impl<E: mio::event::Source> Drop for PollEvented<E> {
    fn drop(&mut self) {
        if let Some(mut io) = self.io.take() {
            // The source is closed right after; a failed deregistration
            // (runtime gone) leaves nothing behind, since closing the fd
            // removes it from epoll.
            let _ = self.registration.deregister(&mut io);
        }
    }
}

impl<E: mio::event::Source + std::fmt::Debug> std::fmt::Debug for PollEvented<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PollEvented").field("io", &self.io).finish()
    }
}
