//! [`BufReader`]: adds a read buffer to any [`AsyncRead`].
//!
//! The buffer is `buf[pos..filled]`; bytes before `pos` were consumed,
//! bytes from `filled` on are stale. `pos <= filled <= buf.len()` always
//! holds, and the buffer is refilled only once it is empty (`pos == filled`).

use super::DEFAULT_BUF_SIZE;
use crate::io::{AsyncBufRead, AsyncRead, AsyncSeek, AsyncWrite, ReadBuf};
use pin_project_lite::pin_project;
use std::fmt;
use std::io::{self, IoSlice, SeekFrom};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

pin_project! {
    /// Adds buffering to a reader.
    ///
    /// Reading many small pieces straight from a socket or file costs one
    /// system call each; a `BufReader` reads large chunks into memory and
    /// serves small reads from there. Reads at least as large as its buffer
    /// skip it when it is empty. It also makes any reader an
    /// [`AsyncBufRead`], which line- and delimiter-oriented reading needs.
    ///
    /// Dropping a `BufReader` loses whatever it had buffered.
    ///
    /// ```
    /// use weave::io::{AsyncBufReadExt, BufReader};
    ///
    /// # weave::runtime::Runtime::new().unwrap().block_on(async {
    /// let mut reader = BufReader::new(&b"first line\nsecond"[..]);
    /// let mut line = String::new();
    /// reader.read_line(&mut line).await?;
    /// assert_eq!(line, "first line\n");
    /// // The rest was read ahead and waits in the buffer.
    /// assert_eq!(reader.buffer(), b"second");
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    pub struct BufReader<R> {
        #[pin]
        inner: R,
        buf: Box<[u8]>,
        pos: usize,
        filled: usize,
        seek: SeekState,
    }
}

/// Progress of a seek started with [`AsyncSeek::start_seek`].
#[derive(Debug, Clone, Copy)]
enum SeekState {
    /// No seek in progress.
    Idle,
    /// `start_seek` was called; the inner reader has not been told yet
    /// (that happens in `poll_complete`, which may discard the buffer).
    Requested(SeekFrom),
    /// The inner reader is seeking. `then` is a relative seek to start after
    /// this one, used when adjusting the target for the buffered bytes would
    /// overflow an `i64`.
    Seeking { then: Option<i64> },
}

impl<R: AsyncRead> BufReader<R> {
    /// Creates a `BufReader` with the default capacity (8 KiB).
    pub fn new(inner: R) -> Self {
        Self::with_capacity(DEFAULT_BUF_SIZE, inner)
    }

    /// Creates a `BufReader` whose buffer holds `capacity` bytes.
    ///
    /// ```
    /// let reader = weave::io::BufReader::with_capacity(16, &b"abc"[..]);
    /// assert!(reader.buffer().is_empty());
    /// ```
    pub fn with_capacity(capacity: usize, inner: R) -> Self {
        Self::from_parts(inner, vec![0; capacity].into_boxed_slice(), 0, 0)
    }
}

impl<R> BufReader<R> {
    /// Builds a reader around an existing buffer whose unread part is
    /// `buf[pos..filled]` (for `BufStream`'s conversions).
    pub(super) fn from_parts(inner: R, buf: Box<[u8]>, pos: usize, filled: usize) -> Self {
        debug_assert!(pos <= filled && filled <= buf.len());
        BufReader {
            inner,
            buf,
            pos,
            filled,
            seek: SeekState::Idle,
        }
    }

    /// Takes the reader apart: `(inner, buf, pos, filled)`.
    pub(super) fn into_parts(self) -> (R, Box<[u8]>, usize, usize) {
        (self.inner, self.buf, self.pos, self.filled)
    }

    /// Returns a shared reference to the underlying reader.
    ///
    /// Reading from it directly would skip the buffered bytes.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// Returns a mutable reference to the underlying reader.
    ///
    /// Reading from it directly would skip the buffered bytes.
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    /// Returns a pinned mutable reference to the underlying reader.
    ///
    /// Reading from it directly would skip the buffered bytes.
    pub fn get_pin_mut(self: Pin<&mut Self>) -> Pin<&mut R> {
        self.project().inner
    }

    /// Returns the underlying reader; buffered bytes are lost.
    pub fn into_inner(self) -> R {
        self.inner
    }

    /// Returns the bytes read from the underlying reader but not yet
    /// consumed. Never performs I/O.
    pub fn buffer(&self) -> &[u8] {
        &self.buf[self.pos..self.filled]
    }

    fn set_seek(self: Pin<&mut Self>, state: SeekState) {
        *self.project().seek = state;
    }

    /// Forgets the buffered bytes.
    fn discard_buffer(self: Pin<&mut Self>) {
        let me = self.project();
        *me.pos = 0;
        *me.filled = 0;
    }
}

impl<R: AsyncRead> AsyncRead for BufReader<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        // Nothing buffered and the caller can take a whole buffer's worth:
        // copying through our buffer would only add a memcpy.
        if self.pos == self.filled && buf.remaining() >= self.buf.len() {
            let res = ready!(self.as_mut().get_pin_mut().poll_read(cx, buf));
            self.discard_buffer();
            return Poll::Ready(res);
        }
        let available = ready!(self.as_mut().poll_fill_buf(cx))?;
        let n = available.len().min(buf.remaining());
        buf.put_slice(&available[..n]);
        self.consume(n);
        Poll::Ready(Ok(()))
    }
}

impl<R: AsyncRead> AsyncBufRead for BufReader<R> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let me = self.project();
        if *me.pos >= *me.filled {
            // Empty: refill from the start. On Pending or error the
            // (empty) state is unchanged.
            let mut read_buf = ReadBuf::new(me.buf);
            ready!(me.inner.poll_read(cx, &mut read_buf))?;
            *me.filled = read_buf.filled().len();
            *me.pos = 0;
        }
        Poll::Ready(Ok(&me.buf[*me.pos..*me.filled]))
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        let me = self.project();
        *me.pos = (*me.pos + amt).min(*me.filled);
    }
}

/// Seeking discards the buffer. `SeekFrom::Current(n)` is relative to the
/// position of the *reader of this `BufReader`*, which is behind the inner
/// reader by the number of buffered bytes; the offset is adjusted for that.
/// A completed seek without a preceding `start_seek` reports the current
/// position (and also discards the buffer).
impl<R: AsyncRead + AsyncSeek> AsyncSeek for BufReader<R> {
    fn start_seek(self: Pin<&mut Self>, position: SeekFrom) -> io::Result<()> {
        let me = self.project();
        if let SeekState::Seeking { .. } = me.seek {
            return Err(io::Error::other(
                "BufReader: a seek is already in progress; complete it first",
            ));
        }
        *me.seek = SeekState::Requested(position);
        Ok(())
    }

    fn poll_complete(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        loop {
            let state = self.seek;
            match state {
                SeekState::Idle => {
                    // A position query: the logical position is Current(0).
                    self.as_mut()
                        .set_seek(SeekState::Requested(SeekFrom::Current(0)));
                }
                SeekState::Requested(position) => {
                    let buffered = (self.filled - self.pos) as i64;
                    let (first, then) = match position {
                        SeekFrom::Current(n) => match n.checked_sub(buffered) {
                            Some(offset) => (SeekFrom::Current(offset), None),
                            // Step back over the buffer first, then move by n.
                            None => (SeekFrom::Current(-buffered), Some(n)),
                        },
                        other => (other, None),
                    };
                    let res = self.as_mut().get_pin_mut().start_seek(first);
                    if let Err(e) = res {
                        // Nothing moved: the buffer is still valid.
                        self.as_mut().set_seek(SeekState::Idle);
                        return Poll::Ready(Err(e));
                    }
                    self.as_mut().set_seek(SeekState::Seeking { then });
                }
                SeekState::Seeking { then } => {
                    let res = ready!(self.as_mut().get_pin_mut().poll_complete(cx));
                    // The inner position changed (or is unknown after an
                    // error): the buffered bytes no longer follow it.
                    self.as_mut().discard_buffer();
                    match (res, then) {
                        (Ok(_), Some(n)) => {
                            if let Err(e) =
                                self.as_mut().get_pin_mut().start_seek(SeekFrom::Current(n))
                            {
                                self.as_mut().set_seek(SeekState::Idle);
                                return Poll::Ready(Err(e));
                            }
                            self.as_mut().set_seek(SeekState::Seeking { then: None });
                        }
                        (res, _) => {
                            self.as_mut().set_seek(SeekState::Idle);
                            return Poll::Ready(res);
                        }
                    }
                }
            }
        }
    }
}

/// Writes go straight to the underlying stream; only reads are buffered.
impl<R: AsyncRead + AsyncWrite> AsyncWrite for BufReader<R> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_pin_mut().poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.get_pin_mut().poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_pin_mut().poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_pin_mut().poll_shutdown(cx)
    }
}

impl<R: fmt::Debug> fmt::Debug for BufReader<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BufReader")
            .field("reader", &self.inner)
            .field(
                "buffer",
                &format_args!("{}/{}", self.filled - self.pos, self.buf.len()),
            )
            .finish()
    }
}
