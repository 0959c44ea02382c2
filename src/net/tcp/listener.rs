//! `TcpListener`: accepts connections on the reactor.
//!
//! Resource exhaustion: when `accept` fails with EMFILE / ENFILE / ENOBUFS
//! / ENOMEM, the connection stays in the kernel's backlog and the socket
//! stays readable, so a server loop that logs the error and calls `accept`
//! again would spin a core at 100% until descriptors free up. `accept`
//! therefore returns the error and makes the *next* `accept` wait first,
//! 1 ms after the first such error and doubling up to 1 s while they
//! continue; a success resets the delay. (This needs the time driver; a
//! runtime without it yields instead of waiting.)

use super::TcpStream;
use crate::net::addr::{each_addr, ToSocketAddrs};
use crate::runtime::io::{Direction, PollEvented};
use crate::time::Instant;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, RawFd};
use std::sync::Mutex;
use std::task::{ready, Context, Poll};
use std::time::Duration;

const FIRST_BACKOFF: Duration = Duration::from_millis(1);
const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// A TCP socket listening for connections (Tokio's `net::TcpListener`).
///
/// ```no_run
/// use weave::net::TcpListener;
///
/// # async fn demo() -> std::io::Result<()> {
/// let listener = TcpListener::bind("127.0.0.1:8080").await?;
/// loop {
///     match listener.accept().await {
///         Ok((stream, peer)) => { weave::spawn(async move { drop((stream, peer)) }); }
///         Err(e) => eprintln!("accept failed: {e}"), // e.g. out of file descriptors
///     }
/// }
/// # }
/// ```
pub struct TcpListener {
    io: PollEvented<mio::net::TcpListener>,
    backoff: Mutex<Backoff>,
}

#[derive(Debug, Default)]
struct Backoff {
    /// Do not call `accept(2)` before this.
    not_before: Option<Instant>,
    delay: Option<Duration>,
}

fn is_resource_exhaustion(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM)
    )
}

impl TcpListener {
    /// Binds to `addr` (trying each address it resolves to) and listens,
    /// with `SO_REUSEADDR` set and a backlog of 1024.
    pub async fn bind<A: ToSocketAddrs>(addr: A) -> io::Result<TcpListener> {
        each_addr(&addr, |a| async move {
            TcpListener::new(mio::net::TcpListener::bind(a)?)
        })
        .await
    }

    pub(crate) fn new(sys: mio::net::TcpListener) -> io::Result<TcpListener> {
        Ok(TcpListener {
            io: PollEvented::new(sys)?,
            backoff: Mutex::new(Backoff::default()),
        })
    }

    /// Waits for and accepts a connection. See the module docs for how it
    /// paces itself after running out of file descriptors.
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let wait = self
            .backoff
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .not_before;
        if let Some(deadline) = wait {
            if crate::runtime::context::try_time_handle().is_some() {
                crate::time::sleep_until(deadline).await;
            } else {
                crate::task::yield_now().await;
            }
        }
        let io = self.io.get_ref();
        let result = self
            .io
            .registration()
            .async_io(crate::io::Interest::READABLE, || io.accept())
            .await;
        self.finish_accept(result)
    }

    /// Polls to accept a connection. Errors are returned as they come (no
    /// pacing: a caller of `poll_accept` owns its retry policy).
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        let io = self.io.get_ref();
        let (sys, addr) = ready!(self
            .io
            .registration()
            .poll_io(cx, Direction::Read, || io.accept()))?;
        Poll::Ready(TcpStream::new(sys).map(|s| (s, addr)))
    }

    fn finish_accept(
        &self,
        result: io::Result<(mio::net::TcpStream, SocketAddr)>,
    ) -> io::Result<(TcpStream, SocketAddr)> {
        let mut backoff = self.backoff.lock().unwrap_or_else(|e| e.into_inner());
        match result {
            Ok((sys, addr)) => {
                *backoff = Backoff::default();
                drop(backoff);
                Ok((TcpStream::new(sys)?, addr))
            }
            Err(e) => {
                if is_resource_exhaustion(&e) {
                    let delay = backoff
                        .delay
                        .map_or(FIRST_BACKOFF, |d| (d * 2).min(MAX_BACKOFF));
                    backoff.delay = Some(delay);
                    backoff.not_before = Some(Instant::now() + delay);
                }
                Err(e)
            }
        }
    }

    /// Wraps a listening std socket (switching it to non-blocking mode).
    ///
    /// # Panics
    ///
    /// Outside a runtime with I/O enabled.
    #[track_caller]
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        listener.set_nonblocking(true)?;
        TcpListener::new(mio::net::TcpListener::from_std(listener))
    }

    /// Deregisters the listener and returns it as a std listener, still in
    /// non-blocking mode.
    pub fn into_std(self) -> io::Result<std::net::TcpListener> {
        let sys = self.io.into_inner()?;
        // SAFETY: `into_raw_fd` hands over sole ownership of an open,
        // listening TCP socket.
        Ok(unsafe { std::net::TcpListener::from_raw_fd(sys.into_raw_fd()) })
    }

    /// The address the listener is bound to (with the actual port after
    /// binding port 0).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// `IP_TTL`.
    pub fn ttl(&self) -> io::Result<u32> {
        self.io.get_ref().ttl()
    }

    /// Sets `IP_TTL`.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.get_ref().set_ttl(ttl)
    }
}

impl TryFrom<std::net::TcpListener> for TcpListener {
    type Error = io::Error;

    fn try_from(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        TcpListener::from_std(listener)
    }
}

impl AsRawFd for TcpListener {
    fn as_raw_fd(&self) -> RawFd {
        self.io.get_ref().as_raw_fd()
    }
}

impl AsFd for TcpListener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.get_ref().as_fd()
    }
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.io.get_ref().fmt(f)
    }
}
