//! `UnixStream`: a connected Unix-domain stream socket on the reactor.

use super::socket_addr::{abstract_addr, SocketAddr};
use super::split::{ReadHalf, WriteHalf};
use super::split_owned::{split_owned, OwnedReadHalf, OwnedWriteHalf};
use crate::io::{AsyncRead, AsyncWrite, Interest, ReadBuf, Ready};
use crate::net::recv::{poll_recv_stream, recv_buf_mut};
use crate::runtime::io::PollEvented;
use std::fmt;
use std::future::poll_fn;
use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};

#[cfg(any(
    target_os = "linux",
    target_os = "android",
    target_vendor = "apple",
    target_os = "freebsd",
    target_os = "dragonfly",
    target_os = "openbsd",
    target_os = "netbsd"
))]
use super::UCred;

/// A Unix-domain stream connection (Tokio's `net::UnixStream`). Read and
/// write it through [`AsyncReadExt`](crate::io::AsyncReadExt) /
/// [`AsyncWriteExt`](crate::io::AsyncWriteExt), or with the `try_*` methods
/// after [`readable`](UnixStream::readable) /
/// [`writable`](UnixStream::writable).
///
/// Dropping it closes the connection; [`shutdown`] on the write side lets
/// the peer read end of file while this end keeps reading.
///
/// [`shutdown`]: crate::io::AsyncWriteExt::shutdown
///
/// ```
/// use weave::io::{AsyncReadExt, AsyncWriteExt};
/// use weave::net::UnixStream;
///
/// # weave::runtime::Runtime::new().unwrap().block_on(async {
/// let (mut a, mut b) = UnixStream::pair()?;
/// a.write_all(b"hello").await?;
/// a.shutdown().await?;
/// let mut got = Vec::new();
/// b.read_to_end(&mut got).await?;
/// assert_eq!(got, b"hello");
/// # Ok::<_, std::io::Error>(()) }).unwrap();
/// ```
pub struct UnixStream {
    io: PollEvented<mio::net::UnixStream>,
}

impl UnixStream {
    /// Connects to the listener bound at `path`. On Linux a path starting
    /// with a NUL byte names the abstract namespace.
    ///
    /// # Panics
    ///
    /// Outside a runtime with I/O enabled.
    pub async fn connect<P: AsRef<Path>>(path: P) -> io::Result<UnixStream> {
        let sys = match abstract_addr(path.as_ref())? {
            Some(addr) => mio::net::UnixStream::connect_addr(&addr)?,
            None => mio::net::UnixStream::connect(path)?,
        };
        UnixStream::connected(sys).await
    }

    /// Connects to the listener at `addr`.
    ///
    /// # Panics
    ///
    /// Outside a runtime with I/O enabled.
    pub async fn connect_addr(addr: &SocketAddr) -> io::Result<UnixStream> {
        UnixStream::connected(mio::net::UnixStream::connect_addr(&addr.0)?).await
    }

    async fn connected(sys: mio::net::UnixStream) -> io::Result<UnixStream> {
        let stream = UnixStream::new(sys)?;
        // Writable means the connect finished, one way or the other.
        poll_fn(|cx| stream.io.registration().poll_write_ready(cx)).await?;
        if let Some(e) = stream.take_error()? {
            return Err(e);
        }
        Ok(stream)
    }

    #[track_caller]
    pub(super) fn new(sys: mio::net::UnixStream) -> io::Result<UnixStream> {
        Ok(UnixStream {
            io: PollEvented::new(sys)?,
        })
    }

    /// Wraps a connected std stream, switching it to non-blocking mode.
    /// (Tokio leaves that to the caller; doing it here makes a forgotten
    /// call harmless.)
    ///
    /// # Panics
    ///
    /// Outside a runtime with I/O enabled.
    #[track_caller]
    pub fn from_std(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        stream.set_nonblocking(true)?;
        UnixStream::new(mio::net::UnixStream::from_std(stream))
    }

    /// Deregisters the stream and returns it as a std stream, still in
    /// non-blocking mode.
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixStream> {
        let sys = self.io.into_inner()?;
        Ok(std::os::unix::net::UnixStream::from(OwnedFd::from(sys)))
    }

    /// Two connected, unnamed streams.
    ///
    /// # Panics
    ///
    /// Outside a runtime with I/O enabled.
    #[track_caller]
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = mio::net::UnixStream::pair()?;
        Ok((UnixStream::new(a)?, UnixStream::new(b)?))
    }

    /// The address of this end (usually unnamed for a client).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr().map(SocketAddr)
    }

    /// The address of the other end.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr().map(SocketAddr)
    }

    /// The credentials of the peer process, as of when it connected.
    ///
    /// ```
    /// use weave::net::UnixStream;
    ///
    /// # weave::runtime::Runtime::new().unwrap().block_on(async {
    /// let (a, _b) = UnixStream::pair()?;
    /// let cred = a.peer_cred()?;
    /// # #[cfg(target_os = "linux")]
    /// assert_eq!(cred.pid(), Some(std::process::id() as i32));
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    #[cfg(any(
        target_os = "linux",
        target_os = "android",
        target_vendor = "apple",
        target_os = "freebsd",
        target_os = "dragonfly",
        target_os = "openbsd",
        target_os = "netbsd"
    ))]
    pub fn peer_cred(&self) -> io::Result<UCred> {
        super::ucred::peer_cred(self.as_fd())
    }

    /// Takes the pending socket error (`SO_ERROR`), if any.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.get_ref().take_error()
    }

    /// Waits until the stream is ready for any of `interest` and returns the
    /// readiness seen. Any number of tasks may wait at once. The readiness
    /// may be stale by the time an operation runs: `try_*` methods can still
    /// return `WouldBlock`, after which wait again.
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        Ok(self.io.registration().readiness(interest).await?.ready)
    }

    /// Waits until the stream may be readable (then try
    /// [`try_read`](UnixStream::try_read)).
    pub async fn readable(&self) -> io::Result<()> {
        self.ready(Interest::READABLE).await.map(drop)
    }

    /// Waits until the stream may be writable (then try
    /// [`try_write`](UnixStream::try_write)).
    pub async fn writable(&self) -> io::Result<()> {
        self.ready(Interest::WRITABLE).await.map(drop)
    }

    /// Polls for read readiness. Only the last task to poll in the read
    /// direction (this or `poll_read`) is woken.
    pub fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.registration().poll_read_ready(cx).map_ok(drop)
    }

    /// Polls for write readiness. Only the last task to poll in the write
    /// direction (this or `poll_write`) is woken.
    pub fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.registration().poll_write_ready(cx).map_ok(drop)
    }

    /// Reads without waiting: `WouldBlock` if no data is known to be there;
    /// `Ok(0)` at end of file.
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use weave::net::UnixStream;
    ///
    /// # weave::runtime::Runtime::new().unwrap().block_on(async {
    /// let (a, b) = UnixStream::pair()?;
    /// let mut buf = [0; 8];
    /// assert_eq!(b.try_read(&mut buf).unwrap_err().kind(), ErrorKind::WouldBlock);
    ///
    /// a.writable().await?;
    /// a.try_write(b"ok")?;
    /// let n = loop {
    ///     b.readable().await?;
    ///     match b.try_read(&mut buf) {
    ///         Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
    ///         r => break r?,
    ///     }
    /// };
    /// assert_eq!(&buf[..n], b"ok");
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        let sys = self.io.get_ref();
        self.io
            .registration()
            .try_io(Interest::READABLE, || (&*sys).read(buf))
    }

    /// Vectored [`try_read`](UnixStream::try_read).
    pub fn try_read_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        let sys = self.io.get_ref();
        self.io
            .registration()
            .try_io(Interest::READABLE, || (&*sys).read_vectored(bufs))
    }

    /// [`try_read`](UnixStream::try_read) into the spare capacity of `buf`,
    /// advancing it by the bytes read.
    pub fn try_read_buf<B: bytes::BufMut>(&self, buf: &mut B) -> io::Result<usize> {
        let sock = socket2::SockRef::from(self);
        self.io
            .registration()
            .try_io(Interest::READABLE, || recv_buf_mut(&sock, buf))
    }

    /// Writes without waiting: `WouldBlock` if the stream is not known to
    /// be writable.
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        let sys = self.io.get_ref();
        self.io
            .registration()
            .try_io(Interest::WRITABLE, || (&*sys).write(buf))
    }

    /// Vectored [`try_write`](UnixStream::try_write).
    pub fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let sys = self.io.get_ref();
        self.io
            .registration()
            .try_io(Interest::WRITABLE, || (&*sys).write_vectored(bufs))
    }

    /// Runs a custom non-blocking operation `f` if the stream looks ready
    /// for `interest`, else returns `WouldBlock`. A `WouldBlock` from `f`
    /// clears that readiness, so `f` must only return it when the stream
    /// really would block.
    pub fn try_io<R>(
        &self,
        interest: Interest,
        f: impl FnOnce() -> io::Result<R>,
    ) -> io::Result<R> {
        self.io.registration().try_io(interest, f)
    }

    /// Waits for `interest` and runs `f`, again after each `WouldBlock`,
    /// until it returns anything else.
    pub async fn async_io<R>(
        &self,
        interest: Interest,
        f: impl FnMut() -> io::Result<R>,
    ) -> io::Result<R> {
        self.io.registration().async_io(interest, f).await
    }

    /// Borrowed halves for reading and writing concurrently within one task
    /// (with `join!` or `select!`).
    pub fn split<'a>(&'a mut self) -> (ReadHalf<'a>, WriteHalf<'a>) {
        // `&mut` only keeps other users away while the halves live; the
        // halves themselves share the stream.
        let stream: &'a UnixStream = self;
        (ReadHalf(stream), WriteHalf(stream))
    }

    /// Owned halves that can move to different tasks; see
    /// [`OwnedReadHalf::reunite`]. Dropping the write half shuts the write
    /// side down.
    pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        split_owned(self)
    }

    pub(super) fn poll_read_priv(
        &self,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let sock = socket2::SockRef::from(self);
        poll_recv_stream(self.io.registration(), &sock, cx, buf)
    }

    pub(super) fn poll_write_priv(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.io.poll_write(cx, buf)
    }

    pub(super) fn poll_write_vectored_priv(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.io.poll_write_vectored(cx, bufs)
    }

    /// Shuts the write side down: the peer reads end of file.
    pub(super) fn shutdown_write(&self) -> io::Result<()> {
        match self.io.get_ref().shutdown(Shutdown::Write) {
            // The peer is gone already: nobody is left to tell.
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(()),
            r => r,
        }
    }
}

impl AsyncRead for UnixStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.poll_read_priv(cx, buf)
    }
}

impl AsyncWrite for UnixStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_priv(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_vectored_priv(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Writes go straight to the kernel: nothing is buffered here.
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.shutdown_write())
    }
}

impl TryFrom<std::os::unix::net::UnixStream> for UnixStream {
    type Error = io::Error;

    /// Same as [`UnixStream::from_std`].
    fn try_from(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        UnixStream::from_std(stream)
    }
}

impl AsRef<UnixStream> for UnixStream {
    fn as_ref(&self) -> &UnixStream {
        self
    }
}

impl AsRawFd for UnixStream {
    fn as_raw_fd(&self) -> RawFd {
        self.io.get_ref().as_raw_fd()
    }
}

impl AsFd for UnixStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.get_ref().as_fd()
    }
}

impl fmt::Debug for UnixStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.io.get_ref().fmt(f)
    }
}
