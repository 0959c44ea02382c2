//! `UnixDatagram`: a connectionless Unix-domain socket on the reactor.
//!
//! Like `UdpSocket`, every method takes `&self`: the `async fn`s may run in
//! many tasks at once (they wait in the registration's waiter list), while
//! each `poll_*` direction wakes only its last caller.

use super::socket_addr::{from_sock_addr, SocketAddr};
use crate::io::{Interest, ReadBuf, Ready};
use crate::net::recv::{recv_buf_mut, recv_from_buf_mut, recv_from_read_buf, recv_read_buf};
use crate::runtime::io::{Direction, PollEvented};
use bytes::BufMut;
use socket2::SockRef;
use std::fmt;
use std::io;
use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::path::Path;
use std::task::{ready, Context, Poll};

/// A Unix-domain datagram socket (Tokio's `net::UnixDatagram`).
///
/// Each send is one datagram and each receive takes exactly one; bytes that
/// do not fit the receive buffer are discarded. Unlike UDP, datagrams are
/// neither lost nor reordered: when the receiver's queue is full, sends
/// wait (or `try_send` returns `WouldBlock`).
///
/// ```
/// use weave::net::UnixDatagram;
///
/// # weave::runtime::Runtime::new().unwrap().block_on(async {
/// let (a, b) = UnixDatagram::pair()?;
/// a.send(b"one").await?;
/// a.send(b"two").await?;
/// let mut buf = [0; 16];
/// let n = b.recv(&mut buf).await?;
/// assert_eq!(&buf[..n], b"one");
/// let n = b.recv(&mut buf).await?;
/// assert_eq!(&buf[..n], b"two");
/// # Ok::<_, std::io::Error>(()) }).unwrap();
/// ```
pub struct UnixDatagram {
    io: PollEvented<mio::net::UnixDatagram>,
}

impl UnixDatagram {
    /// Creates a socket bound to `path` (the file must not exist yet).
    ///
    /// # Panics
    ///
    /// Outside a runtime with I/O enabled.
    #[track_caller]
    pub fn bind<P: AsRef<Path>>(path: P) -> io::Result<UnixDatagram> {
        UnixDatagram::new(mio::net::UnixDatagram::bind(path)?)
    }

    /// Two connected, unnamed sockets.
    ///
    /// # Panics
    ///
    /// Outside a runtime with I/O enabled.
    #[track_caller]
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let (a, b) = mio::net::UnixDatagram::pair()?;
        Ok((UnixDatagram::new(a)?, UnixDatagram::new(b)?))
    }

    /// A socket with no address. It can send (with
    /// [`send_to`](UnixDatagram::send_to), or [`send`](UnixDatagram::send)
    /// after [`connect`](UnixDatagram::connect)) but nobody can address a
    /// reply to it.
    ///
    /// # Panics
    ///
    /// Outside a runtime with I/O enabled.
    #[track_caller]
    pub fn unbound() -> io::Result<UnixDatagram> {
        UnixDatagram::new(mio::net::UnixDatagram::unbound()?)
    }

    #[track_caller]
    fn new(sys: mio::net::UnixDatagram) -> io::Result<UnixDatagram> {
        Ok(UnixDatagram {
            io: PollEvented::new(sys)?,
        })
    }

    /// Wraps a std socket, switching it to non-blocking mode. (Tokio leaves
    /// that to the caller; doing it here makes a forgotten call harmless.)
    ///
    /// # Panics
    ///
    /// Outside a runtime with I/O enabled.
    #[track_caller]
    pub fn from_std(datagram: std::os::unix::net::UnixDatagram) -> io::Result<UnixDatagram> {
        datagram.set_nonblocking(true)?;
        UnixDatagram::new(mio::net::UnixDatagram::from_std(datagram))
    }

    /// Deregisters the socket and returns it as a std socket, still in
    /// non-blocking mode.
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixDatagram> {
        let sys = self.io.into_inner()?;
        Ok(std::os::unix::net::UnixDatagram::from(OwnedFd::from(sys)))
    }

    /// Sets the default destination of [`send`](UnixDatagram::send) and
    /// limits [`recv`](UnixDatagram::recv) to datagrams from it. (Connecting
    /// a Unix datagram socket does not wait, so this is not `async`.)
    pub fn connect<P: AsRef<Path>>(&self, path: P) -> io::Result<()> {
        self.io.get_ref().connect(path)
    }

    /// Waits until the socket is ready for any of `interest` and returns the
    /// readiness seen. Any number of tasks may wait at once. The readiness
    /// may be stale by the time an operation runs: `try_*` methods can still
    /// return `WouldBlock`, after which wait again.
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        Ok(self.io.registration().readiness(interest).await?.ready)
    }

    /// Waits until the socket may be writable (then try
    /// [`try_send`](UnixDatagram::try_send)).
    pub async fn writable(&self) -> io::Result<()> {
        self.ready(Interest::WRITABLE).await.map(drop)
    }

    /// Waits until the socket may be readable (then try
    /// [`try_recv`](UnixDatagram::try_recv)).
    pub async fn readable(&self) -> io::Result<()> {
        self.ready(Interest::READABLE).await.map(drop)
    }

    /// Polls for write readiness. Only the last task to poll in the send
    /// direction (this, `poll_send`, `poll_send_to`) is woken.
    pub fn poll_send_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.registration().poll_write_ready(cx).map_ok(drop)
    }

    /// Polls for read readiness. Only the last task to poll in the receive
    /// direction (this, `poll_recv`, `poll_recv_from`) is woken.
    pub fn poll_recv_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.registration().poll_read_ready(cx).map_ok(drop)
    }

    /// Sends `buf` as one datagram to the connected peer.
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        let sys = self.io.get_ref();
        self.io
            .registration()
            .async_io(Interest::WRITABLE, || sys.send(buf))
            .await
    }

    /// Polls to send `buf` to the connected peer.
    pub fn poll_send(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let sys = self.io.get_ref();
        self.io
            .registration()
            .poll_io(cx, Direction::Write, || sys.send(buf))
    }

    /// Sends to the connected peer without waiting: `WouldBlock` if the
    /// socket is not known to be writable (or the peer's queue is full).
    pub fn try_send(&self, buf: &[u8]) -> io::Result<usize> {
        let sys = self.io.get_ref();
        self.io
            .registration()
            .try_io(Interest::WRITABLE, || sys.send(buf))
    }

    /// Sends `buf` as one datagram to the socket bound at `target`.
    ///
    /// If `target`'s queue is full this waits. Linux wakes an unconnected
    /// sender only when the receiver consumes datagrams this socket sent; a
    /// queue full of other senders' datagrams gives no wake-up. For steady
    /// traffic to one peer, [`connect`](UnixDatagram::connect) and use
    /// [`send`](UnixDatagram::send), which is woken whenever the queue
    /// drains.
    pub async fn send_to<P: AsRef<Path>>(&self, buf: &[u8], target: P) -> io::Result<usize> {
        let sys = self.io.get_ref();
        let target = target.as_ref();
        self.io
            .registration()
            .async_io(Interest::WRITABLE, || sys.send_to(buf, target))
            .await
    }

    /// Polls to send `buf` to `target`.
    pub fn poll_send_to<P: AsRef<Path>>(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
        target: P,
    ) -> Poll<io::Result<usize>> {
        let sys = self.io.get_ref();
        let target = target.as_ref();
        self.io
            .registration()
            .poll_io(cx, Direction::Write, || sys.send_to(buf, target))
    }

    /// Sends to `target` without waiting: `WouldBlock` if the socket is not
    /// known to be writable.
    pub fn try_send_to<P: AsRef<Path>>(&self, buf: &[u8], target: P) -> io::Result<usize> {
        let sys = self.io.get_ref();
        self.io
            .registration()
            .try_io(Interest::WRITABLE, || sys.send_to(buf, target))
    }

    /// Receives one datagram into `buf`; returns its length (bytes beyond
    /// `buf.len()` are discarded).
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        let sys = self.io.get_ref();
        self.io
            .registration()
            .async_io(Interest::READABLE, || sys.recv(buf))
            .await
    }

    /// Polls to receive one datagram into `buf`'s unfilled part.
    pub fn poll_recv(&self, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let sock = self.sock();
        self.io
            .registration()
            .poll_io(cx, Direction::Read, || recv_read_buf(&sock, buf, 0))
    }

    /// Receives without waiting: `WouldBlock` if no datagram is known to be
    /// there.
    pub fn try_recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        let sys = self.io.get_ref();
        self.io
            .registration()
            .try_io(Interest::READABLE, || sys.recv(buf))
    }

    /// [`try_recv`](UnixDatagram::try_recv) into the spare capacity of
    /// `buf`, advancing it by the datagram's length.
    pub fn try_recv_buf<B: BufMut>(&self, buf: &mut B) -> io::Result<usize> {
        let sock = self.sock();
        self.io
            .registration()
            .try_io(Interest::READABLE, || recv_buf_mut(&sock, buf))
    }

    /// [`recv`](UnixDatagram::recv) into the spare capacity of `buf`,
    /// advancing it by the datagram's length. A `Vec` with no spare capacity
    /// grows first (by `BufMut`'s rules), so give it room for a whole
    /// datagram.
    pub async fn recv_buf<B: BufMut>(&self, buf: &mut B) -> io::Result<usize> {
        let sock = self.sock();
        self.io
            .registration()
            .async_io(Interest::READABLE, || recv_buf_mut(&sock, buf))
            .await
    }

    /// [`try_recv_from`](UnixDatagram::try_recv_from) into the spare
    /// capacity of `buf`, advancing it by the datagram's length.
    pub fn try_recv_buf_from<B: BufMut>(&self, buf: &mut B) -> io::Result<(usize, SocketAddr)> {
        let sock = self.sock();
        self.io.registration().try_io(Interest::READABLE, || {
            let (n, from) = recv_from_buf_mut(&sock, buf)?;
            Ok((n, from_sock_addr(&from)?))
        })
    }

    /// [`recv_from`](UnixDatagram::recv_from) into the spare capacity of
    /// `buf`, advancing it by the datagram's length.
    pub async fn recv_buf_from<B: BufMut>(&self, buf: &mut B) -> io::Result<(usize, SocketAddr)> {
        let sock = self.sock();
        self.io
            .registration()
            .async_io(Interest::READABLE, || {
                let (n, from) = recv_from_buf_mut(&sock, buf)?;
                Ok((n, from_sock_addr(&from)?))
            })
            .await
    }

    /// Receives one datagram into `buf`; returns its length and the sender's
    /// address (unnamed if the sender never bound one).
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        let sys = self.io.get_ref();
        let (n, from) = self
            .io
            .registration()
            .async_io(Interest::READABLE, || sys.recv_from(buf))
            .await?;
        Ok((n, SocketAddr(from)))
    }

    /// Polls to receive one datagram into `buf`'s unfilled part; returns the
    /// sender's address.
    pub fn poll_recv_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<SocketAddr>> {
        let sock = self.sock();
        let from = ready!(self
            .io
            .registration()
            .poll_io(cx, Direction::Read, || recv_from_read_buf(&sock, buf, 0)))?;
        Poll::Ready(from_sock_addr(&from))
    }

    /// Receives with the sender's address without waiting: `WouldBlock` if
    /// no datagram is known to be there.
    pub fn try_recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        let sys = self.io.get_ref();
        let (n, from) = self
            .io
            .registration()
            .try_io(Interest::READABLE, || sys.recv_from(buf))?;
        Ok((n, SocketAddr(from)))
    }

    /// Runs a custom non-blocking operation `f` if the socket looks ready for
    /// `interest`, else returns `WouldBlock`. A `WouldBlock` from `f` clears
    /// that readiness, so `f` must only return it when the socket really
    /// would block.
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

    /// The address this socket is bound to (unnamed if none).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr().map(SocketAddr)
    }

    /// The address this socket is connected to; `NotConnected` if
    /// [`connect`](UnixDatagram::connect) was never called.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr().map(SocketAddr)
    }

    /// Takes the pending socket error (`SO_ERROR`), if any.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.get_ref().take_error()
    }

    /// Shuts down the read side, the write side, or both (`shutdown(2)`).
    /// After `Shutdown::Write` this socket's sends fail with `BrokenPipe`;
    /// after `Shutdown::Read` so do the connected peer's.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.get_ref().shutdown(how)
    }

    fn sock(&self) -> SockRef<'_> {
        SockRef::from(self.io.get_ref())
    }
}

impl TryFrom<std::os::unix::net::UnixDatagram> for UnixDatagram {
    type Error = io::Error;

    /// Same as [`UnixDatagram::from_std`].
    fn try_from(datagram: std::os::unix::net::UnixDatagram) -> io::Result<UnixDatagram> {
        UnixDatagram::from_std(datagram)
    }
}

impl AsRawFd for UnixDatagram {
    fn as_raw_fd(&self) -> RawFd {
        self.io.get_ref().as_raw_fd()
    }
}

impl AsFd for UnixDatagram {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.get_ref().as_fd()
    }
}

impl fmt::Debug for UnixDatagram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.io.get_ref().fmt(f)
    }
}
