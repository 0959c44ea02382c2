//! `UnixSocket`: a Unix-domain socket to bind before it becomes a listener,
//! a stream or a datagram socket.
//!
//! The socket is created non-blocking, and only registered with the reactor
//! once it is turned into one of those, so creating and binding one needs
//! no runtime.

use super::{UnixDatagram, UnixListener, UnixStream};
use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};
use std::path::Path;

/// A Unix-domain socket that is not yet listening, connected or in use
/// (Tokio's `net::UnixSocket`): create it with
/// [`new_stream`](UnixSocket::new_stream) or
/// [`new_datagram`](UnixSocket::new_datagram), optionally
/// [`bind`](UnixSocket::bind) it, then turn it into a [`UnixListener`]
/// ([`listen`](UnixSocket::listen)), a [`UnixStream`]
/// ([`connect`](UnixSocket::connect)) or a [`UnixDatagram`]
/// ([`datagram`](UnixSocket::datagram)).
///
/// Asking a datagram socket to listen or connect, or a stream socket to be
/// a datagram socket, fails with an error of kind
/// [`Other`](io::ErrorKind::Other).
///
/// ```
/// use weave::io::{AsyncReadExt, AsyncWriteExt};
/// use weave::net::UnixSocket;
///
/// # weave::runtime::Runtime::new().unwrap().block_on(async {
/// let dir = std::env::temp_dir().join(format!("weave-doc-socket-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("server.sock");
///
/// let server = UnixSocket::new_stream()?;
/// server.bind(&path)?;
/// let listener = server.listen(16)?;
///
/// let mut client = UnixSocket::new_stream()?.connect(&path).await?;
/// let (mut conn, _) = listener.accept().await?;
/// client.write_all(b"hi").await?;
/// let mut buf = [0; 2];
/// conn.read_exact(&mut buf).await?;
/// assert_eq!(&buf, b"hi");
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<_, std::io::Error>(()) }).unwrap();
/// ```
pub struct UnixSocket {
    inner: socket2::Socket,
}

impl UnixSocket {
    /// A new, unbound datagram (`SOCK_DGRAM`) socket; finish it with
    /// [`datagram`](UnixSocket::datagram).
    pub fn new_datagram() -> io::Result<UnixSocket> {
        UnixSocket::new(socket2::Type::DGRAM)
    }

    /// A new, unbound stream (`SOCK_STREAM`) socket; finish it with
    /// [`listen`](UnixSocket::listen) or [`connect`](UnixSocket::connect).
    pub fn new_stream() -> io::Result<UnixSocket> {
        UnixSocket::new(socket2::Type::STREAM)
    }

    fn new(ty: socket2::Type) -> io::Result<UnixSocket> {
        // socket2 sets close-on-exec itself; non-blocking mode is set here
        // because every socket type this becomes expects it.
        let inner = socket2::Socket::new(socket2::Domain::UNIX, ty, None)?;
        inner.set_nonblocking(true)?;
        Ok(UnixSocket { inner })
    }

    /// Binds the socket to `path`, creating the socket file (which must not
    /// exist yet). On Linux a path starting with a NUL byte names the
    /// abstract namespace instead.
    pub fn bind(&self, path: impl AsRef<Path>) -> io::Result<()> {
        self.inner.bind(&socket2::SockAddr::unix(path)?)
    }

    /// Starts listening, with room for `backlog` pending connections
    /// (clamped to `i32::MAX`; the kernel clamps it further), and returns
    /// the listener. The socket should be bound first.
    ///
    /// Fails on a datagram socket.
    ///
    /// # Panics
    ///
    /// Outside a runtime with I/O enabled.
    #[track_caller]
    pub fn listen(self, backlog: u32) -> io::Result<UnixListener> {
        if self.inner.r#type()? == socket2::Type::DGRAM {
            return Err(io::Error::other(
                "listen cannot be called on a datagram socket",
            ));
        }
        self.inner
            .listen(i32::try_from(backlog).unwrap_or(i32::MAX))?;
        UnixListener::from_std(OwnedFd::from(self.inner).into())
    }

    /// Connects to the listener at `path` and returns the stream. Binding
    /// first gives the connection a local address the peer can see.
    ///
    /// Fails on a datagram socket.
    ///
    /// # Panics
    ///
    /// Outside a runtime with I/O enabled.
    pub async fn connect(self, path: impl AsRef<Path>) -> io::Result<UnixStream> {
        if self.inner.r#type()? == socket2::Type::DGRAM {
            return Err(io::Error::other(
                "connect cannot be called on a datagram socket",
            ));
        }
        let addr = socket2::SockAddr::unix(path)?;
        // A socket from `from_raw_fd` may be blocking, and a blocking
        // connect would stall the worker thread.
        self.inner.set_nonblocking(true)?;
        match self.inner.connect(&addr) {
            Ok(()) => {}
            // Unix sockets usually connect at once, but the call may still
            // be reported in progress; writability then marks its end.
            Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
            Err(e) => return Err(e),
        }
        let stream = UnixStream::from_std(OwnedFd::from(self.inner).into())?;
        stream.writable().await?;
        if let Some(e) = stream.take_error()? {
            return Err(e);
        }
        Ok(stream)
    }

    /// Turns the socket into a [`UnixDatagram`], bound or not.
    ///
    /// Fails on a stream socket.
    ///
    /// ```
    /// use weave::net::UnixSocket;
    ///
    /// # weave::runtime::Runtime::new().unwrap().block_on(async {
    /// let dir = std::env::temp_dir().join(format!("weave-doc-dgram-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("rx.sock");
    ///
    /// let rx = UnixSocket::new_datagram()?;
    /// rx.bind(&path)?;
    /// let rx = rx.datagram()?;
    /// let tx = UnixSocket::new_datagram()?.datagram()?;
    /// tx.send_to(b"ping", &path).await?;
    /// let mut buf = [0; 8];
    /// let n = rx.recv(&mut buf).await?;
    /// assert_eq!(&buf[..n], b"ping");
    ///
    /// let err = UnixSocket::new_stream()?.datagram().unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::Other);
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    ///
    /// # Panics
    ///
    /// Outside a runtime with I/O enabled.
    #[track_caller]
    pub fn datagram(self) -> io::Result<UnixDatagram> {
        if self.inner.r#type()? == socket2::Type::STREAM {
            return Err(io::Error::other(
                "datagram cannot be called on a stream socket",
            ));
        }
        UnixDatagram::from_std(OwnedFd::from(self.inner).into())
    }
}

impl AsRawFd for UnixSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.inner.as_raw_fd()
    }
}

impl AsFd for UnixSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}

impl FromRawFd for UnixSocket {
    /// Takes ownership of `fd`. It is not switched to non-blocking mode
    /// here; [`listen`](UnixSocket::listen),
    /// [`connect`](UnixSocket::connect) and
    /// [`datagram`](UnixSocket::datagram) do that.
    ///
    /// # Safety
    ///
    /// `fd` must be an open Unix-domain socket owned by the caller.
    unsafe fn from_raw_fd(fd: RawFd) -> UnixSocket {
        UnixSocket {
            // SAFETY: forwarded to the caller's contract.
            inner: unsafe { socket2::Socket::from_raw_fd(fd) },
        }
    }
}

impl IntoRawFd for UnixSocket {
    fn into_raw_fd(self) -> RawFd {
        self.inner.into_raw_fd()
    }
}

impl fmt::Debug for UnixSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}
