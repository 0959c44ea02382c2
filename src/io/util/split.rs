//! [`split`]: one stream, a read half and a write half that can live in
//! different tasks.
//!
//! # Design and invariants
//!
//! - Both halves hold an `Arc` of one [`Inner`], which owns the stream
//!   behind a mutex. The stream is boxed and pinned there: it never moves
//!   until [`ReadHalf::unsplit`] (which requires `T: Unpin`) or drop, so
//!   `T` itself need not be `Unpin` and no `unsafe` pinning is needed.
//! - The lock is taken only inside a single `poll_*` call on the stream and
//!   released before that call returns; it is never held across an `.await`
//!   or a `Pending`. `poll_*` methods do not block by contract, so a thread
//!   that finds the lock taken waits at most for one non-blocking poll by the
//!   other half. That makes a plain `parking_lot::Mutex` (a few atomic
//!   operations when uncontended, brief spinning then parking when not) a
//!   better fit than an async lock, which would add waker bookkeeping of its
//!   own. This module uses `parking_lot` directly rather than the
//!   `crate::loom` facade because it needs `Mutex::into_inner` for `unsplit`;
//!   there is no other synchronization here to model.
//! - Wake-ups are the stream's own: each half's poll registers the caller's
//!   waker with the stream, exactly as if it were polled directly. A stream
//!   with separate read and write waker slots (sockets, [`DuplexStream`])
//!   therefore works with the halves in different tasks; one that keeps a
//!   single waker for both directions does not, split or not.
//! - The mutex makes `ReadHalf<T>` and `WriteHalf<T>` `Send` and `Sync`
//!   whenever `T: Send`, with no `unsafe impl`.
//!
//! [`DuplexStream`]: super::DuplexStream

use crate::io::{AsyncRead, AsyncWrite, ReadBuf};
use parking_lot::Mutex;
use std::fmt;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

/// The read half of a stream split by [`split`]; implements [`AsyncRead`].
pub struct ReadHalf<T> {
    inner: Arc<Inner<T>>,
}

/// The write half of a stream split by [`split`]; implements [`AsyncWrite`].
pub struct WriteHalf<T> {
    inner: Arc<Inner<T>>,
}

/// What both halves share.
struct Inner<T> {
    stream: Mutex<Pin<Box<T>>>,
}

impl<T> Inner<T> {
    /// Runs `f` on the pinned stream with the lock held (for one poll only).
    fn with_lock<R>(&self, f: impl FnOnce(Pin<&mut T>) -> R) -> R {
        let mut guard = self.stream.lock();
        f(guard.as_mut())
    }
}

/// Splits a stream into a read half and a write half, which can be moved to
/// different tasks.
///
/// Each poll on a half locks the stream for the duration of that poll only.
/// [`ReadHalf::unsplit`] puts the halves back together. If the stream can
/// be split without a lock (TCP streams have `into_split`), prefer that.
///
/// ```
/// use weave::io::{AsyncReadExt, AsyncWriteExt};
///
/// # weave::runtime::Runtime::new().unwrap().block_on(async {
/// let (stream, mut peer) = weave::io::duplex(64);
/// let (mut rd, mut wr) = weave::io::split(stream);
///
/// // The write half goes to another task; the read half stays here.
/// let writer = weave::spawn(async move {
///     wr.write_all(b"hi").await?;
///     Ok::<_, std::io::Error>(wr)
/// });
/// peer.write_all(b"yo").await?;
/// let mut got = [0u8; 2];
/// rd.read_exact(&mut got).await?;
/// assert_eq!(&got, b"yo");
/// peer.read_exact(&mut got).await?;
/// assert_eq!(&got, b"hi");
///
/// let wr = writer.await.unwrap()?;
/// assert!(rd.is_pair_of(&wr));
/// let _stream = rd.unsplit(wr);
/// # Ok::<_, std::io::Error>(()) }).unwrap();
/// ```
pub fn split<T>(stream: T) -> (ReadHalf<T>, WriteHalf<T>)
where
    T: AsyncRead + AsyncWrite,
{
    let inner = Arc::new(Inner {
        stream: Mutex::new(Box::pin(stream)),
    });
    let read = ReadHalf {
        inner: inner.clone(),
    };
    let write = WriteHalf { inner };
    (read, write)
}

impl<T> ReadHalf<T> {
    /// True if `other` is the write half split off the same stream.
    pub fn is_pair_of(&self, other: &WriteHalf<T>) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// Puts the two halves back together and returns the stream.
    ///
    /// # Panics
    ///
    /// If `wr` was not split off the same stream as `self` (see
    /// [`is_pair_of`](Self::is_pair_of)).
    #[track_caller]
    pub fn unsplit(self, wr: WriteHalf<T>) -> T
    where
        T: Unpin,
    {
        assert!(
            self.is_pair_of(&wr),
            "ReadHalf::unsplit: the WriteHalf was split off a different stream"
        );
        drop(wr);
        let inner = match Arc::try_unwrap(self.inner) {
            Ok(inner) => inner,
            // Both halves are consumed and `ReadHalf`/`WriteHalf` cannot be
            // cloned, so no other `Arc` exists.
            Err(_) => unreachable!("a split stream has exactly two halves"),
        };
        *Pin::into_inner(inner.stream.into_inner())
    }
}

impl<T> WriteHalf<T> {
    /// True if `other` is the read half split off the same stream.
    pub fn is_pair_of(&self, other: &ReadHalf<T>) -> bool {
        other.is_pair_of(self)
    }
}

impl<T: AsyncRead> AsyncRead for ReadHalf<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.inner.with_lock(|stream| stream.poll_read(cx, buf))
    }
}

impl<T: AsyncWrite> AsyncWrite for WriteHalf<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.inner.with_lock(|stream| stream.poll_write(cx, buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.inner
            .with_lock(|stream| stream.poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.with_lock(|stream| stream.is_write_vectored())
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.inner.with_lock(|stream| stream.poll_flush(cx))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.inner.with_lock(|stream| stream.poll_shutdown(cx))
    }
}

impl<T> fmt::Debug for ReadHalf<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadHalf").finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for WriteHalf<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WriteHalf").finish_non_exhaustive()
    }
}
