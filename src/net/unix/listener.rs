//! `UnixListener`: a Unix-domain socket accepting stream connections.

use super::socket_addr::{abstract_addr, SocketAddr};
use super::UnixStream;
use crate::io::Interest;
use crate::runtime::io::{Direction, PollEvented};
use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::path::Path;
use std::task::{ready, Context, Poll};

/// A Unix-domain socket server (Tokio's `net::UnixListener`).
///
/// Binding creates the socket file; dropping the listener does not remove
/// it, so a later bind to the same path fails with `AddrInUse` until the
/// file is deleted.
///
/// ```no_run
/// use weave::io::AsyncWriteExt;
/// use weave::net::UnixListener;
///
/// # async fn demo() -> std::io::Result<()> {
/// let listener = UnixListener::bind("/tmp/weave-demo.sock")?;
/// loop {
///     let (mut stream, _addr) = listener.accept().await?;
///     weave::spawn(async move {
///         let _ = stream.write_all(b"hello\n").await;
///     });
/// }
/// # }
/// ```
pub struct UnixListener {
    io: PollEvented<mio::net::UnixListener>,
}

impl UnixListener {
    /// Creates a socket at `path` and listens on it. On Linux a path
    /// starting with a NUL byte names the abstract namespace (no file).
    ///
    /// # Panics
    ///
    /// Outside a runtime with I/O enabled.
    #[track_caller]
    pub fn bind<P: AsRef<Path>>(path: P) -> io::Result<UnixListener> {
        let sys = match abstract_addr(path.as_ref())? {
            Some(addr) => mio::net::UnixListener::bind_addr(&addr)?,
            None => mio::net::UnixListener::bind(path)?,
        };
        UnixListener::new(sys)
    }

    /// Listens on `addr`.
    ///
    /// # Panics
    ///
    /// Outside a runtime with I/O enabled.
    #[track_caller]
    pub fn bind_addr(addr: &SocketAddr) -> io::Result<UnixListener> {
        UnixListener::new(mio::net::UnixListener::bind_addr(&addr.0)?)
    }

    #[track_caller]
    fn new(sys: mio::net::UnixListener) -> io::Result<UnixListener> {
        Ok(UnixListener {
            io: PollEvented::new_with_interest(sys, Interest::READABLE)?,
        })
    }

    /// Wraps a std listener, switching it to non-blocking mode. (Tokio
    /// leaves that to the caller; doing it here makes a forgotten call
    /// harmless.)
    ///
    /// # Panics
    ///
    /// Outside a runtime with I/O enabled.
    #[track_caller]
    pub fn from_std(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        listener.set_nonblocking(true)?;
        UnixListener::new(mio::net::UnixListener::from_std(listener))
    }

    /// Deregisters the listener and returns it as a std listener, still in
    /// non-blocking mode.
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixListener> {
        let sys = self.io.into_inner()?;
        Ok(std::os::unix::net::UnixListener::from(OwnedFd::from(sys)))
    }

    /// The address the listener is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr().map(SocketAddr)
    }

    /// Takes the pending socket error (`SO_ERROR`), if any.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.get_ref().take_error()
    }

    /// Waits for a connection; returns the new stream and the peer's
    /// address (usually unnamed). Any number of tasks may accept at once.
    pub async fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        let sys = self.io.get_ref();
        let (stream, addr) = self
            .io
            .registration()
            .async_io(Interest::READABLE, || sys.accept())
            .await?;
        Ok((UnixStream::new(stream)?, SocketAddr(addr)))
    }

    /// Polls for a connection. Only the last task to call this is woken.
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(UnixStream, SocketAddr)>> {
        let sys = self.io.get_ref();
        let (stream, addr) = ready!(self
            .io
            .registration()
            .poll_io(cx, Direction::Read, || sys.accept()))?;
        Poll::Ready(Ok((UnixStream::new(stream)?, SocketAddr(addr))))
    }
}

impl TryFrom<std::os::unix::net::UnixListener> for UnixListener {
    type Error = io::Error;

    /// Same as [`UnixListener::from_std`].
    fn try_from(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        UnixListener::from_std(listener)
    }
}

impl AsRawFd for UnixListener {
    fn as_raw_fd(&self) -> RawFd {
        self.io.get_ref().as_raw_fd()
    }
}

impl AsFd for UnixListener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.get_ref().as_fd()
    }
}

impl fmt::Debug for UnixListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.io.get_ref().fmt(f)
    }
}
