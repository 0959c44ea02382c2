//! `AsyncFd<T>`: a file descriptor registered with the reactor.

use super::error::AsyncFdTryNewError;
use super::guard::{AsyncFdReadyGuard, AsyncFdReadyMutGuard};
use crate::io::Interest;
use crate::runtime::io::Registration;
use mio::unix::SourceFd;
use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::task::{ready, Context, Poll};

/// Waits for readiness of any file descriptor, with the runtime's reactor
/// (Tokio's `AsyncFd`).
///
/// `AsyncFd` registers the descriptor of `T` with the current runtime and
/// reports when it is readable or writable; it does no I/O itself. Put the
/// descriptor in non-blocking mode first: the usual loop waits for
/// readiness, tries the operation, and on `WouldBlock` clears the readiness
/// (through the guard) and waits again. [`AsyncFd::async_io`] and
/// [`AsyncFdReadyGuard::try_io`] run that loop for you.
///
/// Dropping the `AsyncFd` (or calling [`into_inner`](AsyncFd::into_inner))
/// deregisters the descriptor but does not close it: `T` owns it.
///
/// ```
/// use std::io::{Read, Write};
/// use std::os::unix::net::UnixStream;
/// use weave::io::unix::AsyncFd;
///
/// #[weave::main]
/// async fn main() -> std::io::Result<()> {
///     let (a, mut b) = UnixStream::pair()?;
///     a.set_nonblocking(true)?;
///     let a = AsyncFd::new(a)?;
///
///     b.write_all(b"ping")?;
///     let mut buf = [0; 4];
///     let n = loop {
///         let mut guard = a.readable().await?;
///         match guard.try_io(|fd| fd.get_ref().read(&mut buf)) {
///             Ok(result) => break result?,
///             // `WouldBlock`: the guard cleared the readiness; wait again.
///             Err(_would_block) => continue,
///         }
///     };
///     assert_eq!(&buf[..n], b"ping");
///     Ok(())
/// }
/// ```
pub struct AsyncFd<T: AsRawFd> {
    registration: Registration,
    /// `Some` until `into_inner` takes it.
    inner: Option<T>,
}

impl<T: AsRawFd> AsyncFd<T> {
    /// Registers `inner` for readable and writable readiness with the
    /// current runtime.
    ///
    /// # Panics
    ///
    /// Outside a runtime, or in one built without I/O.
    #[track_caller]
    pub fn new(inner: T) -> io::Result<Self> {
        Self::with_interest(inner, Interest::READABLE | Interest::WRITABLE)
    }

    /// Registers `inner` for the readiness in `interest` only.
    ///
    /// # Panics
    ///
    /// Outside a runtime, or in one built without I/O.
    #[track_caller]
    pub fn with_interest(inner: T, interest: Interest) -> io::Result<Self> {
        Self::try_with_interest(inner, interest).map_err(io::Error::from)
    }

    /// Like [`new`](AsyncFd::new), but a failure hands `inner` back inside
    /// the error.
    ///
    /// # Panics
    ///
    /// Outside a runtime, or in one built without I/O.
    #[track_caller]
    pub fn try_new(inner: T) -> Result<Self, AsyncFdTryNewError<T>> {
        Self::try_with_interest(inner, Interest::READABLE | Interest::WRITABLE)
    }

    /// Like [`with_interest`](AsyncFd::with_interest), but a failure hands
    /// `inner` back inside the error.
    ///
    /// # Panics
    ///
    /// Outside a runtime, or in one built without I/O.
    #[track_caller]
    pub fn try_with_interest(inner: T, interest: Interest) -> Result<Self, AsyncFdTryNewError<T>> {
        let fd = inner.as_raw_fd();
        match Registration::new(&mut SourceFd(&fd), interest) {
            Ok(registration) => Ok(AsyncFd {
                registration,
                inner: Some(inner),
            }),
            Err(cause) => Err(AsyncFdTryNewError::new(inner, cause)),
        }
    }

    /// The wrapped value.
    pub fn get_ref(&self) -> &T {
        self.inner.as_ref().expect("AsyncFd value already taken")
    }

    /// The wrapped value, mutably.
    pub fn get_mut(&mut self) -> &mut T {
        self.inner.as_mut().expect("AsyncFd value already taken")
    }

    /// Deregisters the descriptor and returns the wrapped value (still
    /// open), for example to wrap it again.
    pub fn into_inner(mut self) -> T {
        self.take_inner().expect("AsyncFd value already taken")
    }

    /// Deregisters and takes the value; `None` if already taken.
    fn take_inner(&mut self) -> Option<T> {
        let inner = self.inner.take()?;
        let fd = inner.as_raw_fd();
        // Fails only if the runtime is gone or the fd was closed behind our
        // back; either way nothing is left registered that could fire.
        let _ = self.registration.deregister(&mut SourceFd(&fd));
        Some(inner)
    }

    pub(super) fn registration(&self) -> &Registration {
        &self.registration
    }

    /// Polls for read readiness. On `Pending`, this task is woken when the
    /// descriptor may be readable; only the last task to poll is woken (use
    /// [`readable`](AsyncFd::readable) for several waiters).
    pub fn poll_read_ready<'a>(
        &'a self,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<AsyncFdReadyGuard<'a, T>>> {
        let event = ready!(self.registration.poll_read_ready(cx))?;
        Poll::Ready(Ok(AsyncFdReadyGuard::new(self, event)))
    }

    /// [`poll_read_ready`](AsyncFd::poll_read_ready) with a guard that gives
    /// mutable access to the value.
    pub fn poll_read_ready_mut<'a>(
        &'a mut self,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<AsyncFdReadyMutGuard<'a, T>>> {
        let event = ready!(self.registration.poll_read_ready(cx))?;
        Poll::Ready(Ok(AsyncFdReadyMutGuard::new(self, event)))
    }

    /// Polls for write readiness. On `Pending`, only the last task to poll
    /// is woken (use [`writable`](AsyncFd::writable) for several waiters).
    pub fn poll_write_ready<'a>(
        &'a self,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<AsyncFdReadyGuard<'a, T>>> {
        let event = ready!(self.registration.poll_write_ready(cx))?;
        Poll::Ready(Ok(AsyncFdReadyGuard::new(self, event)))
    }

    /// [`poll_write_ready`](AsyncFd::poll_write_ready) with a guard that
    /// gives mutable access to the value.
    pub fn poll_write_ready_mut<'a>(
        &'a mut self,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<AsyncFdReadyMutGuard<'a, T>>> {
        let event = ready!(self.registration.poll_write_ready(cx))?;
        Poll::Ready(Ok(AsyncFdReadyMutGuard::new(self, event)))
    }

    /// Waits until the descriptor may be ready for any of `interest`.
    ///
    /// Errors if the runtime that drives the descriptor has shut down.
    pub async fn ready(&self, interest: Interest) -> io::Result<AsyncFdReadyGuard<'_, T>> {
        let event = self.registration.readiness(interest).await?;
        Ok(AsyncFdReadyGuard::new(self, event))
    }

    /// [`ready`](AsyncFd::ready) with a guard that gives mutable access to
    /// the value.
    pub async fn ready_mut(
        &mut self,
        interest: Interest,
    ) -> io::Result<AsyncFdReadyMutGuard<'_, T>> {
        let event = self.registration.readiness(interest).await?;
        Ok(AsyncFdReadyMutGuard::new(self, event))
    }

    /// Waits until the descriptor may be readable.
    pub async fn readable(&self) -> io::Result<AsyncFdReadyGuard<'_, T>> {
        self.ready(Interest::READABLE).await
    }

    /// [`readable`](AsyncFd::readable) with a mutable guard.
    pub async fn readable_mut(&mut self) -> io::Result<AsyncFdReadyMutGuard<'_, T>> {
        self.ready_mut(Interest::READABLE).await
    }

    /// Waits until the descriptor may be writable.
    pub async fn writable(&self) -> io::Result<AsyncFdReadyGuard<'_, T>> {
        self.ready(Interest::WRITABLE).await
    }

    /// [`writable`](AsyncFd::writable) with a mutable guard.
    pub async fn writable_mut(&mut self) -> io::Result<AsyncFdReadyMutGuard<'_, T>> {
        self.ready_mut(Interest::WRITABLE).await
    }

    /// Waits for `interest` and runs `f` until it returns something other
    /// than `WouldBlock`; each `WouldBlock` clears the readiness it ran on.
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use std::os::unix::net::UnixStream;
    /// use weave::io::{unix::AsyncFd, Interest};
    ///
    /// # #[weave::main]
    /// # async fn main() -> std::io::Result<()> {
    /// let (a, mut b) = UnixStream::pair()?;
    /// a.set_nonblocking(true)?;
    /// let a = AsyncFd::new(a)?;
    /// b.write_all(b"hi")?;
    /// let mut buf = [0; 2];
    /// let n = a.async_io(Interest::READABLE, |s| (&*s).read(&mut buf)).await?;
    /// assert_eq!(&buf[..n], b"hi");
    /// # Ok(())
    /// # }
    /// ```
    pub async fn async_io<R>(
        &self,
        interest: Interest,
        mut f: impl FnMut(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        let inner = self.get_ref();
        self.registration.async_io(interest, || f(inner)).await
    }

    /// [`async_io`](AsyncFd::async_io) with mutable access to the value.
    pub async fn async_io_mut<R>(
        &mut self,
        interest: Interest,
        mut f: impl FnMut(&mut T) -> io::Result<R>,
    ) -> io::Result<R> {
        let inner = self.inner.as_mut().expect("AsyncFd value already taken");
        self.registration.async_io(interest, || f(inner)).await
    }

    /// Runs `f` if the descriptor looks ready for `interest`, without
    /// waiting; otherwise returns `WouldBlock`. A `WouldBlock` from `f`
    /// clears the readiness it ran on.
    pub fn try_io<R>(
        &self,
        interest: Interest,
        f: impl FnOnce(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        let inner = self.get_ref();
        self.registration.try_io(interest, || f(inner))
    }

    /// [`try_io`](AsyncFd::try_io) with mutable access to the value.
    pub fn try_io_mut<R>(
        &mut self,
        interest: Interest,
        f: impl FnOnce(&mut T) -> io::Result<R>,
    ) -> io::Result<R> {
        let inner = self.inner.as_mut().expect("AsyncFd value already taken");
        self.registration.try_io(interest, || f(inner))
    }
}

impl<T: AsRawFd> AsRawFd for AsyncFd<T> {
    fn as_raw_fd(&self) -> RawFd {
        self.get_ref().as_raw_fd()
    }
}

impl<T: AsRawFd> AsFd for AsyncFd<T> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        // SAFETY: the descriptor belongs to the wrapped `T`, which stays
        // alive (and, per `AsRawFd`'s contract, keeps it open) for as long
        // as `self` is borrowed.
        unsafe { BorrowedFd::borrow_raw(self.as_raw_fd()) }
    }
}

impl<T: AsRawFd + fmt::Debug> fmt::Debug for AsyncFd<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncFd")
            .field("inner", &self.inner)
            .finish()
    }
}

impl<T: AsRawFd> Drop for AsyncFd<T> {
    fn drop(&mut self) {
        // Deregister only; `T` is dropped right after and closes the
        // descriptor if it owns it.
        drop(self.take_inner());
    }
}
