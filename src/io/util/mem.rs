//! In-memory pipes: [`duplex`] (two connected streams, like a socket pair)
//! and [`simplex`] / [`SimplexStream`] (one direction).
//!
//! # Design and invariants
//!
//! A [`SimplexStream`] is one bounded byte queue with one reader waker slot
//! and one writer waker slot. A [`DuplexStream`] pair shares two of them,
//! each behind its own `Arc<Mutex<..>>`: one end reads from pipe 1 and
//! writes to pipe 2, the other end the reverse.
//!
//! - `buffer.len() <= max_buf_size` always. A write takes as much as fits
//!   (at least one byte) or returns `Pending` with its waker stored when the
//!   buffer is full; a read takes what is there or returns `Pending` with
//!   its waker stored when it is empty and the writer is still open.
//! - No lost wake-up: the check that finds the buffer full (or empty) and
//!   the storing of the waker happen under the same lock as the opposite
//!   operation's update of the buffer and its taking of that waker. So a
//!   reader that stored its waker is woken by the next write (or close), and
//!   a writer that stored its waker by the next read that frees space (or
//!   the reader going away).
//! - Every stored waker is woken or dropped: a waker is replaced only by a
//!   newer one from the same side (the old one is dropped), taken out when
//!   the other side makes progress or closes (and woken), or dropped with
//!   the pipe. A `DuplexStream` being dropped also drops the wakers its own
//!   tasks left behind.
//! - Wakers are woken *and dropped* after the pipe's lock is released
//!   ([`Deferred`]): waking or dropping a waker may run arbitrary executor
//!   code, which must not find the pipe locked. (A `SimplexStream` used
//!   through [`split`](super::split) is polled under split's lock, so there
//!   this only holds for the pipe's own locking.)
//! - Closing: `write_closed` (the writer shut down or its `DuplexStream` was
//!   dropped) lets reads drain the buffer and then report end of file;
//!   `read_closed` (the reading `DuplexStream` was dropped) makes every
//!   write, including one waiting for space, fail with `BrokenPipe`, and
//!   frees the buffered bytes nobody will read. Writing after shutting down
//!   fails with `BrokenPipe` too. Closing is permanent.
//! - Each successful read or write charges one unit of the cooperative
//!   budget, so a task looping over a pipe that is always ready yields.

use crate::io::{split, AsyncRead, AsyncWrite, ReadBuf, ReadHalf, WriteHalf};
use crate::loom::sync::{Arc, Mutex};
use std::collections::VecDeque;
use std::io::{self, IoSlice};
use std::ops::Deref;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

/// One end of an in-memory, bidirectional byte pipe; created in pairs by
/// [`duplex`].
///
/// What one end writes, the other reads, in order, like a connected socket
/// pair. Each direction buffers at most `max_buf_size` bytes; a writer
/// facing a full buffer waits for the reader.
///
/// # Closing
///
/// When one end is dropped, the other end reads what is still buffered and
/// then end of file; its writes (including one waiting for space) fail with
/// [`BrokenPipe`](io::ErrorKind::BrokenPipe). Shutting an end down
/// (`poll_shutdown`) closes only its writing direction: the other end reads
/// end of file once the buffer is drained, and can still write back.
#[derive(Debug)]
pub struct DuplexStream {
    read: Arc<Mutex<SimplexStream>>,
    write: Arc<Mutex<SimplexStream>>,
}

/// A one-way in-memory byte pipe with a bounded buffer.
///
/// Used whole (from [`SimplexStream::new_unsplit`]), it reads back what was
/// written to it; [`simplex`] splits it into a reader and a writer. The
/// reader sees end of file once the writer has shut down (`poll_shutdown`)
/// and the buffer is drained. Dropping one split-off half does not close
/// anything, since both halves share one stream: a reader whose writer was
/// dropped without shutting down waits forever, and a writer whose reader
/// was dropped waits once the buffer is full.
#[derive(Debug)]
pub struct SimplexStream {
    buffer: VecDeque<u8>,
    max_buf_size: usize,
    /// The writer shut down or went away: reads end after the buffer.
    write_closed: bool,
    /// The reader went away: writes fail.
    read_closed: bool,
    read_waker: Option<Waker>,
    write_waker: Option<Waker>,
}

/// Wake-ups and waker drops to run once the pipe's lock is released.
#[derive(Default)]
#[must_use]
struct Deferred {
    wake: Option<Waker>,
    release: Option<Waker>,
}

impl Deferred {
    fn run(self) {
        if let Some(waker) = self.wake {
            waker.wake();
        }
        drop(self.release);
    }
}

/// Stores `cx`'s waker in `slot` unless an equivalent one is there;
/// returns the replaced waker, to be dropped outside the lock.
fn register(slot: &mut Option<Waker>, cx: &Context<'_>) -> Option<Waker> {
    match slot {
        Some(waker) if waker.will_wake(cx.waker()) => None,
        _ => slot.replace(cx.waker().clone()),
    }
}

fn broken_pipe(reader_gone: bool) -> io::Error {
    let why = if reader_gone {
        "the other end of the pipe is gone"
    } else {
        "this end of the pipe was shut down for writing"
    };
    io::Error::new(io::ErrorKind::BrokenPipe, why)
}

/// Creates a connected pair of in-memory streams.
///
/// Each direction buffers up to `max_buf_size` bytes before a writer has to
/// wait. Handy for testing code written against
/// [`AsyncRead`]/[`AsyncWrite`] without real sockets.
///
/// # Panics
///
/// If `max_buf_size` is 0.
///
/// ```
/// use weave::io::{AsyncReadExt, AsyncWriteExt};
///
/// # weave::runtime::Runtime::new().unwrap().block_on(async {
/// let (mut client, mut server) = weave::io::duplex(64);
/// client.write_all(b"ping").await?;
/// let mut buf = [0u8; 4];
/// server.read_exact(&mut buf).await?;
/// assert_eq!(&buf, b"ping");
///
/// drop(client);
/// assert_eq!(server.read(&mut buf).await?, 0); // end of file
/// let err = server.write_all(b"pong").await.unwrap_err();
/// assert_eq!(err.kind(), std::io::ErrorKind::BrokenPipe);
/// # Ok::<_, std::io::Error>(()) }).unwrap();
/// ```
#[track_caller]
pub fn duplex(max_buf_size: usize) -> (DuplexStream, DuplexStream) {
    let one = Arc::new(Mutex::new(SimplexStream::new_unsplit(max_buf_size)));
    let two = Arc::new(Mutex::new(SimplexStream::new_unsplit(max_buf_size)));
    let first = DuplexStream {
        read: one.clone(),
        write: two.clone(),
    };
    let second = DuplexStream {
        read: two,
        write: one,
    };
    (first, second)
}

/// Creates a one-way in-memory pipe and returns its reader and writer.
///
/// The writer can buffer up to `max_buf_size` bytes before it has to wait.
/// The reader sees end of file after the writer shuts down (dropping the
/// writer is not enough; see [`SimplexStream`]). `reader.unsplit(writer)`
/// gives back the whole [`SimplexStream`].
///
/// # Panics
///
/// If `max_buf_size` is 0.
///
/// ```
/// use weave::io::{AsyncReadExt, AsyncWriteExt};
///
/// # weave::runtime::Runtime::new().unwrap().block_on(async {
/// let (mut reader, mut writer) = weave::io::simplex(16);
/// writer.write_all(b"one way").await?;
/// writer.shutdown().await?;
/// let mut out = Vec::new();
/// reader.read_to_end(&mut out).await?;
/// assert_eq!(out, b"one way");
///
/// let _whole: weave::io::SimplexStream = reader.unsplit(writer);
/// # Ok::<_, std::io::Error>(()) }).unwrap();
/// ```
#[track_caller]
pub fn simplex(max_buf_size: usize) -> (ReadHalf<SimplexStream>, WriteHalf<SimplexStream>) {
    split(SimplexStream::new_unsplit(max_buf_size))
}

impl SimplexStream {
    /// Creates a one-way pipe as a single value that can both write and
    /// read back; [`simplex`] creates it already split.
    ///
    /// Writes wait once `max_buf_size` bytes are buffered.
    ///
    /// # Panics
    ///
    /// If `max_buf_size` is 0.
    #[track_caller]
    pub fn new_unsplit(max_buf_size: usize) -> SimplexStream {
        assert!(max_buf_size > 0, "`max_buf_size` must be greater than 0");
        SimplexStream {
            buffer: VecDeque::new(),
            max_buf_size,
            write_closed: false,
            read_closed: false,
            read_waker: None,
            write_waker: None,
        }
    }

    fn read_into(&mut self, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> (Poll<()>, Deferred) {
        if self.buffer.is_empty() {
            if self.write_closed || buf.remaining() == 0 {
                return (Poll::Ready(()), Deferred::default());
            }
            let release = register(&mut self.read_waker, cx);
            return (
                Poll::Pending,
                Deferred {
                    wake: None,
                    release,
                },
            );
        }
        let n = self.buffer.len().min(buf.remaining());
        let (front, back) = self.buffer.as_slices();
        let from_front = n.min(front.len());
        buf.put_slice(&front[..from_front]);
        buf.put_slice(&back[..n - from_front]);
        self.buffer.drain(..n);
        let wake = if n > 0 { self.write_waker.take() } else { None };
        (
            Poll::Ready(()),
            Deferred {
                wake,
                release: None,
            },
        )
    }

    fn write_from<B: Deref<Target = [u8]>>(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &[B],
    ) -> (Poll<io::Result<usize>>, Deferred) {
        if self.read_closed || self.write_closed {
            return (
                Poll::Ready(Err(broken_pipe(self.read_closed))),
                Deferred::default(),
            );
        }
        let room = self.max_buf_size - self.buffer.len();
        if room == 0 {
            let release = register(&mut self.write_waker, cx);
            return (
                Poll::Pending,
                Deferred {
                    wake: None,
                    release,
                },
            );
        }
        let mut written = 0;
        for buf in bufs {
            let n = buf.len().min(room - written);
            self.buffer.extend(&buf[..n]);
            written += n;
            if written == room {
                break;
            }
        }
        let wake = if written > 0 {
            self.read_waker.take()
        } else {
            None
        };
        (
            Poll::Ready(Ok(written)),
            Deferred {
                wake,
                release: None,
            },
        )
    }

    /// The writer is done: reads end after the buffer. Wakes the reader, and
    /// drops the writer's own stale waker (the side closing is not waiting).
    fn close_write(&mut self) -> Deferred {
        self.write_closed = true;
        Deferred {
            wake: self.read_waker.take(),
            release: self.write_waker.take(),
        }
    }

    /// The reader is gone: writes fail. Wakes a waiting writer, drops the
    /// reader's own stale waker and frees the buffered bytes.
    fn close_read(&mut self) -> Deferred {
        self.read_closed = true;
        self.buffer = VecDeque::new();
        Deferred {
            wake: self.write_waker.take(),
            release: self.read_waker.take(),
        }
    }

    fn poll_read_charged(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> (Poll<io::Result<()>>, Deferred) {
        let coop = match crate::coop::poll_proceed(cx) {
            Poll::Ready(coop) => coop,
            Poll::Pending => return (Poll::Pending, Deferred::default()),
        };
        let (poll, deferred) = self.read_into(cx, buf);
        if poll.is_ready() {
            coop.made_progress();
        }
        (poll.map(Ok), deferred)
    }

    fn poll_write_charged<B: Deref<Target = [u8]>>(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &[B],
    ) -> (Poll<io::Result<usize>>, Deferred) {
        let coop = match crate::coop::poll_proceed(cx) {
            Poll::Ready(coop) => coop,
            Poll::Pending => return (Poll::Pending, Deferred::default()),
        };
        let (poll, deferred) = self.write_from(cx, bufs);
        if poll.is_ready() {
            coop.made_progress();
        }
        (poll, deferred)
    }
}

impl AsyncRead for SimplexStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let (poll, deferred) = self.get_mut().poll_read_charged(cx, buf);
        deferred.run();
        poll
    }
}

impl AsyncWrite for SimplexStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let (poll, deferred) = self.get_mut().poll_write_charged(cx, &[buf]);
        deferred.run();
        poll
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let (poll, deferred) = self.get_mut().poll_write_charged(cx, bufs);
        deferred.run();
        poll
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().close_write().run();
        Poll::Ready(Ok(()))
    }
}

impl AsyncRead for DuplexStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let (poll, deferred) = self.read.lock().poll_read_charged(cx, buf);
        deferred.run();
        poll
    }
}

impl AsyncWrite for DuplexStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let (poll, deferred) = self.write.lock().poll_write_charged(cx, &[buf]);
        deferred.run();
        poll
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let (poll, deferred) = self.write.lock().poll_write_charged(cx, bufs);
        deferred.run();
        poll
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let deferred = self.write.lock().close_write();
        deferred.run();
        Poll::Ready(Ok(()))
    }
}

impl Drop for DuplexStream {
    fn drop(&mut self) {
        // Two separate critical sections; the wakers run after each.
        let deferred = self.write.lock().close_write();
        deferred.run();
        let deferred = self.read.lock().close_read();
        deferred.run();
    }
}
