//! `UdpSocket`: a UDP socket on the reactor.
//!
//! Every method takes `&self`, so one socket may be shared (for instance in
//! an `Arc`) by many tasks sending and receiving at once. The `async fn`s
//! wait through the registration's waiter list, which holds any number of
//! tasks; the `poll_*` methods use the single read or write waker slot, so
//! only the last task to poll in a direction is woken.
//!
//! Methods that fill a [`ReadBuf`] or a [`BufMut`] receive straight into
//! possibly uninitialized memory through `socket2`, which takes
//! `MaybeUninit` bytes; nothing is zeroed first. The helpers doing that are
//! in `net/recv.rs`, shared by every socket type.

use crate::io::{Interest, ReadBuf, Ready};
use crate::net::addr::{each_addr, resolve, ToSocketAddrs};
use crate::net::recv::{recv_buf_mut, recv_from_buf_mut, recv_from_read_buf, recv_read_buf};
use crate::runtime::io::{Direction, PollEvented};
use bytes::BufMut;
use socket2::{SockAddr, SockRef};
use std::fmt;
use std::future::poll_fn;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::task::{ready, Context, Poll};

/// A UDP socket (Tokio's `net::UdpSocket`).
///
/// UDP has no connections: [`send_to`](UdpSocket::send_to) and
/// [`recv_from`](UdpSocket::recv_from) name the peer on each datagram. After
/// [`connect`](UdpSocket::connect), [`send`](UdpSocket::send) and
/// [`recv`](UdpSocket::recv) talk to that one peer only. Each receive takes
/// exactly one datagram; bytes that do not fit the buffer are discarded.
///
/// All methods take `&self`: share the socket through an `Arc` to send and
/// receive from several tasks at once.
///
/// ```
/// use weave::net::UdpSocket;
///
/// # weave::runtime::Runtime::new().unwrap().block_on(async {
/// let a = UdpSocket::bind("127.0.0.1:0").await?;
/// let b = UdpSocket::bind("127.0.0.1:0").await?;
/// a.send_to(b"ping", b.local_addr()?).await?;
///
/// let mut buf = [0; 16];
/// let (n, from) = b.recv_from(&mut buf).await?;
/// assert_eq!(&buf[..n], b"ping");
/// assert_eq!(from, a.local_addr()?);
/// # Ok::<_, std::io::Error>(()) }).unwrap();
/// ```
pub struct UdpSocket {
    io: PollEvented<mio::net::UdpSocket>,
}

impl UdpSocket {
    /// Binds a socket to `addr`, trying each address it resolves to until
    /// one succeeds; returns the last error if none does. Port 0 picks a
    /// free port (see [`local_addr`](UdpSocket::local_addr)).
    ///
    /// # Panics
    ///
    /// Outside a runtime with I/O enabled.
    pub async fn bind<A: ToSocketAddrs>(addr: A) -> io::Result<UdpSocket> {
        each_addr(&addr, |a| async move { UdpSocket::bind_addr(a) }).await
    }

    fn bind_addr(addr: SocketAddr) -> io::Result<UdpSocket> {
        UdpSocket::new(mio::net::UdpSocket::bind(addr)?)
    }

    #[track_caller]
    fn new(sys: mio::net::UdpSocket) -> io::Result<UdpSocket> {
        Ok(UdpSocket {
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
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        socket.set_nonblocking(true)?;
        UdpSocket::new(mio::net::UdpSocket::from_std(socket))
    }

    /// Deregisters the socket and returns it as a std socket, still in
    /// non-blocking mode.
    pub fn into_std(self) -> io::Result<std::net::UdpSocket> {
        let sys = self.io.into_inner()?;
        Ok(std::net::UdpSocket::from(OwnedFd::from(sys)))
    }

    /// The address this socket is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The address this socket is connected to; `NotConnected` if
    /// [`connect`](UdpSocket::connect) was never called.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// Sets the default destination of [`send`](UdpSocket::send) and limits
    /// [`recv`](UdpSocket::recv) to datagrams from it. Tries each address
    /// `addr` resolves to until one succeeds.
    ///
    /// ```
    /// use weave::net::UdpSocket;
    ///
    /// # weave::runtime::Runtime::new().unwrap().block_on(async {
    /// let a = UdpSocket::bind("127.0.0.1:0").await?;
    /// let b = UdpSocket::bind("127.0.0.1:0").await?;
    /// a.connect(b.local_addr()?).await?;
    /// assert_eq!(a.peer_addr()?, b.local_addr()?);
    /// a.send(b"hi").await?;
    /// let mut buf = [0; 2];
    /// assert_eq!(b.recv(&mut buf).await?, 2);
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    pub async fn connect<A: ToSocketAddrs>(&self, addr: A) -> io::Result<()> {
        let sys = self.io.get_ref();
        each_addr(&addr, |a| async move { sys.connect(a) }).await
    }

    /// Waits until the socket is ready for any of `interest` and returns the
    /// readiness seen. Any number of tasks may wait at once. The readiness
    /// may be stale by the time an operation runs: `try_*` methods can still
    /// return `WouldBlock`, after which wait again.
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        Ok(self.io.registration().readiness(interest).await?.ready)
    }

    /// Waits until the socket may be writable (then try
    /// [`try_send`](UdpSocket::try_send) or
    /// [`try_send_to`](UdpSocket::try_send_to)).
    pub async fn writable(&self) -> io::Result<()> {
        self.ready(Interest::WRITABLE).await.map(drop)
    }

    /// Waits until the socket may be readable (then try
    /// [`try_recv`](UdpSocket::try_recv) or
    /// [`try_recv_from`](UdpSocket::try_recv_from)).
    pub async fn readable(&self) -> io::Result<()> {
        self.ready(Interest::READABLE).await.map(drop)
    }

    /// Polls for write readiness. Only the last task to poll in the send
    /// direction (this, `poll_send`, `poll_send_to`) is woken.
    pub fn poll_send_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.registration().poll_write_ready(cx).map_ok(drop)
    }

    /// Polls for read readiness. Only the last task to poll in the receive
    /// direction (this, `poll_recv*`, `poll_peek*`) is woken.
    pub fn poll_recv_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.registration().poll_read_ready(cx).map_ok(drop)
    }

    /// Sends `buf` as one datagram to the connected peer; returns the bytes
    /// sent.
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
    /// socket is not known to be writable.
    pub fn try_send(&self, buf: &[u8]) -> io::Result<usize> {
        let sys = self.io.get_ref();
        self.io
            .registration()
            .try_io(Interest::WRITABLE, || sys.send(buf))
    }

    /// Receives one datagram from the connected peer into `buf`; returns its
    /// length (bytes beyond `buf.len()` are discarded).
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        let sys = self.io.get_ref();
        self.io
            .registration()
            .async_io(Interest::READABLE, || sys.recv(buf))
            .await
    }

    /// Polls to receive one datagram from the connected peer into `buf`'s
    /// unfilled part.
    pub fn poll_recv(&self, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let sock = self.sock();
        self.io
            .registration()
            .poll_io(cx, Direction::Read, || recv_read_buf(&sock, buf, 0))
    }

    /// Receives from the connected peer without waiting: `WouldBlock` if no
    /// datagram is known to be there.
    pub fn try_recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        let sys = self.io.get_ref();
        self.io
            .registration()
            .try_io(Interest::READABLE, || sys.recv(buf))
    }

    /// [`try_recv`](UdpSocket::try_recv) into the spare capacity of `buf`,
    /// advancing it by the datagram's length.
    pub fn try_recv_buf<B: BufMut>(&self, buf: &mut B) -> io::Result<usize> {
        let sock = self.sock();
        self.io
            .registration()
            .try_io(Interest::READABLE, || recv_buf_mut(&sock, buf))
    }

    /// [`recv`](UdpSocket::recv) into the spare capacity of `buf`, advancing
    /// it by the datagram's length. A `Vec` with no spare capacity grows
    /// first (by `BufMut`'s rules), so give it room for a whole datagram.
    ///
    /// ```
    /// use weave::net::UdpSocket;
    ///
    /// # weave::runtime::Runtime::new().unwrap().block_on(async {
    /// let a = UdpSocket::bind("127.0.0.1:0").await?;
    /// let b = UdpSocket::bind("127.0.0.1:0").await?;
    /// b.connect(a.local_addr()?).await?;
    /// a.send_to(b"bytes", b.local_addr()?).await?;
    /// let mut buf = Vec::with_capacity(64);
    /// b.recv_buf(&mut buf).await?;
    /// assert_eq!(buf, b"bytes");
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    pub async fn recv_buf<B: BufMut>(&self, buf: &mut B) -> io::Result<usize> {
        let sock = self.sock();
        self.io
            .registration()
            .async_io(Interest::READABLE, || recv_buf_mut(&sock, buf))
            .await
    }

    /// [`try_recv_from`](UdpSocket::try_recv_from) into the spare capacity
    /// of `buf`, advancing it by the datagram's length.
    pub fn try_recv_buf_from<B: BufMut>(&self, buf: &mut B) -> io::Result<(usize, SocketAddr)> {
        let sock = self.sock();
        self.io.registration().try_io(Interest::READABLE, || {
            let (n, from) = recv_from_buf_mut(&sock, buf)?;
            Ok((n, inet_addr(&from)?))
        })
    }

    /// [`recv_from`](UdpSocket::recv_from) into the spare capacity of `buf`,
    /// advancing it by the datagram's length.
    pub async fn recv_buf_from<B: BufMut>(&self, buf: &mut B) -> io::Result<(usize, SocketAddr)> {
        let sock = self.sock();
        self.io
            .registration()
            .async_io(Interest::READABLE, || {
                let (n, from) = recv_from_buf_mut(&sock, buf)?;
                Ok((n, inet_addr(&from)?))
            })
            .await
    }

    /// Sends `buf` as one datagram to `target`. If `target` is a host name
    /// it is resolved and the first address is used.
    pub async fn send_to<A: ToSocketAddrs>(&self, buf: &[u8], target: A) -> io::Result<usize> {
        let target = match resolve(&target).await?.first() {
            Some(t) => *t,
            None => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "no addresses to send data to",
                ))
            }
        };
        let sys = self.io.get_ref();
        self.io
            .registration()
            .async_io(Interest::WRITABLE, || sys.send_to(buf, target))
            .await
    }

    /// Polls to send `buf` to `target`.
    pub fn poll_send_to(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
        target: SocketAddr,
    ) -> Poll<io::Result<usize>> {
        let sys = self.io.get_ref();
        self.io
            .registration()
            .poll_io(cx, Direction::Write, || sys.send_to(buf, target))
    }

    /// Sends to `target` without waiting: `WouldBlock` if the socket is not
    /// known to be writable.
    pub fn try_send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        let sys = self.io.get_ref();
        self.io
            .registration()
            .try_io(Interest::WRITABLE, || sys.send_to(buf, target))
    }

    /// Receives one datagram into `buf`; returns its length and sender.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        let sys = self.io.get_ref();
        self.io
            .registration()
            .async_io(Interest::READABLE, || sys.recv_from(buf))
            .await
    }

    /// Polls to receive one datagram into `buf`'s unfilled part; returns the
    /// sender.
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
        Poll::Ready(inet_addr(&from))
    }

    /// Receives without waiting: `WouldBlock` if no datagram is known to be
    /// there.
    pub fn try_recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        let sys = self.io.get_ref();
        self.io
            .registration()
            .try_io(Interest::READABLE, || sys.recv_from(buf))
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

    /// Receives the next datagram from the connected peer into `buf`
    /// without removing it from the queue.
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        let sys = self.io.get_ref();
        self.io
            .registration()
            .async_io(Interest::READABLE, || sys.peek(buf))
            .await
    }

    /// Polls to peek at the next datagram, into `buf`'s unfilled part.
    pub fn poll_peek(&self, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let sock = self.sock();
        self.io.registration().poll_io(cx, Direction::Read, || {
            recv_read_buf(&sock, buf, libc::MSG_PEEK)
        })
    }

    /// Peeks without waiting: `WouldBlock` if no datagram is known to be
    /// there.
    pub fn try_peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        let sys = self.io.get_ref();
        self.io
            .registration()
            .try_io(Interest::READABLE, || sys.peek(buf))
    }

    /// Receives the next datagram into `buf` without removing it from the
    /// queue; returns its length and sender.
    pub async fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        let sys = self.io.get_ref();
        self.io
            .registration()
            .async_io(Interest::READABLE, || sys.peek_from(buf))
            .await
    }

    /// Polls to peek at the next datagram, into `buf`'s unfilled part;
    /// returns the sender.
    pub fn poll_peek_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<SocketAddr>> {
        let sock = self.sock();
        let from = ready!(self.io.registration().poll_io(cx, Direction::Read, || {
            recv_from_read_buf(&sock, buf, libc::MSG_PEEK)
        }))?;
        Poll::Ready(inet_addr(&from))
    }

    /// Peeks with the sender without waiting: `WouldBlock` if no datagram is
    /// known to be there.
    pub fn try_peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        let sys = self.io.get_ref();
        self.io
            .registration()
            .try_io(Interest::READABLE, || sys.peek_from(buf))
    }

    /// The sender of the next datagram, which stays queued.
    pub async fn peek_sender(&self) -> io::Result<SocketAddr> {
        poll_fn(|cx| self.poll_peek_sender(cx)).await
    }

    /// Polls for the sender of the next datagram.
    pub fn poll_peek_sender(&self, cx: &mut Context<'_>) -> Poll<io::Result<SocketAddr>> {
        let sock = self.sock();
        let from = ready!(self
            .io
            .registration()
            .poll_io(cx, Direction::Read, || sock.peek_sender()))?;
        Poll::Ready(inet_addr(&from))
    }

    /// The sender of the next datagram, without waiting: `WouldBlock` if no
    /// datagram is known to be there.
    pub fn try_peek_sender(&self) -> io::Result<SocketAddr> {
        let sock = self.sock();
        let from = self
            .io
            .registration()
            .try_io(Interest::READABLE, || sock.peek_sender())?;
        inet_addr(&from)
    }

    /// `SO_BROADCAST`: whether datagrams may go to broadcast addresses.
    pub fn broadcast(&self) -> io::Result<bool> {
        self.io.get_ref().broadcast()
    }

    /// Sets `SO_BROADCAST`.
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.io.get_ref().set_broadcast(on)
    }

    /// `IP_MULTICAST_LOOP`: whether IPv4 multicast sent here loops back to
    /// local sockets.
    pub fn multicast_loop_v4(&self) -> io::Result<bool> {
        self.io.get_ref().multicast_loop_v4()
    }

    /// Sets `IP_MULTICAST_LOOP`.
    pub fn set_multicast_loop_v4(&self, on: bool) -> io::Result<()> {
        self.io.get_ref().set_multicast_loop_v4(on)
    }

    /// `IP_MULTICAST_TTL`: the time-to-live of outgoing IPv4 multicast.
    pub fn multicast_ttl_v4(&self) -> io::Result<u32> {
        self.io.get_ref().multicast_ttl_v4()
    }

    /// Sets `IP_MULTICAST_TTL`.
    pub fn set_multicast_ttl_v4(&self, ttl: u32) -> io::Result<()> {
        self.io.get_ref().set_multicast_ttl_v4(ttl)
    }

    /// `IPV6_MULTICAST_LOOP`: whether IPv6 multicast sent here loops back to
    /// local sockets.
    pub fn multicast_loop_v6(&self) -> io::Result<bool> {
        self.io.get_ref().multicast_loop_v6()
    }

    /// Sets `IPV6_MULTICAST_LOOP`.
    pub fn set_multicast_loop_v6(&self, on: bool) -> io::Result<()> {
        self.io.get_ref().set_multicast_loop_v6(on)
    }

    /// `IP_TTL`: the time-to-live of outgoing packets.
    pub fn ttl(&self) -> io::Result<u32> {
        self.io.get_ref().ttl()
    }

    /// Sets `IP_TTL`.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.get_ref().set_ttl(ttl)
    }

    /// `IP_TOS`: the type-of-service field of outgoing IPv4 packets.
    pub fn tos_v4(&self) -> io::Result<u32> {
        self.sock().tos()
    }

    /// Sets `IP_TOS`.
    pub fn set_tos_v4(&self, tos: u32) -> io::Result<()> {
        self.sock().set_tos(tos)
    }

    /// Old name of [`tos_v4`](UdpSocket::tos_v4).
    #[deprecated(note = "renamed `tos_v4`: the option is IPv4-specific")]
    #[doc(hidden)]
    pub fn tos(&self) -> io::Result<u32> {
        self.tos_v4()
    }

    /// Old name of [`set_tos_v4`](UdpSocket::set_tos_v4).
    #[deprecated(note = "renamed `set_tos_v4`: the option is IPv4-specific")]
    #[doc(hidden)]
    pub fn set_tos(&self, tos: u32) -> io::Result<()> {
        self.set_tos_v4(tos)
    }

    /// `IPV6_TCLASS`: the traffic class of outgoing IPv6 packets.
    #[cfg(any(target_os = "android", target_os = "linux"))]
    pub fn tclass_v6(&self) -> io::Result<u32> {
        self.sock().tclass_v6()
    }

    /// Sets `IPV6_TCLASS`.
    #[cfg(any(target_os = "android", target_os = "linux"))]
    pub fn set_tclass_v6(&self, tclass: u32) -> io::Result<()> {
        self.sock().set_tclass_v6(tclass)
    }

    /// `SO_BINDTODEVICE`: the interface this socket is bound to, if any.
    #[cfg(any(target_os = "android", target_os = "linux"))]
    pub fn device(&self) -> io::Result<Option<Vec<u8>>> {
        self.sock().device()
    }

    /// Sets `SO_BINDTODEVICE` (`None` unbinds). Usually needs privileges.
    #[cfg(any(target_os = "android", target_os = "linux"))]
    pub fn bind_device(&self, interface: Option<&[u8]>) -> io::Result<()> {
        self.sock().bind_device(interface)
    }

    /// Joins the IPv4 multicast group `multiaddr` on the interface with
    /// address `interface` (`0.0.0.0` lets the system choose).
    pub fn join_multicast_v4(&self, multiaddr: Ipv4Addr, interface: Ipv4Addr) -> io::Result<()> {
        self.io.get_ref().join_multicast_v4(&multiaddr, &interface)
    }

    /// Joins the IPv6 multicast group `multiaddr` on interface index
    /// `interface` (0 lets the system choose).
    pub fn join_multicast_v6(&self, multiaddr: &Ipv6Addr, interface: u32) -> io::Result<()> {
        self.io.get_ref().join_multicast_v6(multiaddr, interface)
    }

    /// Leaves an IPv4 multicast group joined with
    /// [`join_multicast_v4`](UdpSocket::join_multicast_v4).
    pub fn leave_multicast_v4(&self, multiaddr: Ipv4Addr, interface: Ipv4Addr) -> io::Result<()> {
        self.io.get_ref().leave_multicast_v4(&multiaddr, &interface)
    }

    /// Leaves an IPv6 multicast group joined with
    /// [`join_multicast_v6`](UdpSocket::join_multicast_v6).
    pub fn leave_multicast_v6(&self, multiaddr: &Ipv6Addr, interface: u32) -> io::Result<()> {
        self.io.get_ref().leave_multicast_v6(multiaddr, interface)
    }

    /// Takes the pending socket error (`SO_ERROR`), if any.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.get_ref().take_error()
    }

    fn sock(&self) -> SockRef<'_> {
        SockRef::from(self.io.get_ref())
    }
}

impl TryFrom<std::net::UdpSocket> for UdpSocket {
    type Error = io::Error;

    /// Same as [`UdpSocket::from_std`].
    fn try_from(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        UdpSocket::from_std(socket)
    }
}

impl AsRawFd for UdpSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.io.get_ref().as_raw_fd()
    }
}

impl AsFd for UdpSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.get_ref().as_fd()
    }
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.io.get_ref().fmt(f)
    }
}

/// An IP sender address; UDP sockets never report anything else.
fn inet_addr(addr: &SockAddr) -> io::Result<SocketAddr> {
    addr.as_socket().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "the sender address is not an IP address",
        )
    })
}
