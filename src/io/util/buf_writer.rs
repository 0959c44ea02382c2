//! [`BufWriter`]: adds a write buffer to any [`AsyncWrite`].
//!
//! `buf[..written]` has already been handed to the inner writer during a
//! flush that has not finished yet; `buf[written..]` is still waiting.
//! `buf.len() <= cap` holds between calls (`cap` is the requested capacity,
//! kept apart from `Vec::capacity`, which may be larger).

use super::DEFAULT_BUF_SIZE;
use crate::io::{AsyncBufRead, AsyncRead, AsyncSeek, AsyncWrite, ReadBuf};
use pin_project_lite::pin_project;
use std::fmt;
use std::io::{self, IoSlice, SeekFrom};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

pin_project! {
    /// Adds buffering to a writer.
    ///
    /// Small writes are collected in memory and handed to the underlying
    /// writer in large chunks; a write at least as large as the buffer goes
    /// straight through (after the buffer is written out, so order is kept).
    ///
    /// Buffered data only reaches the underlying writer when the buffer
    /// fills up, on `poll_flush` / `poll_shutdown`, or before a seek:
    /// **flush before dropping a `BufWriter`**, or the buffered bytes are
    /// lost.
    ///
    /// ```
    /// use weave::io::{AsyncWriteExt, BufWriter};
    ///
    /// # weave::runtime::Runtime::new().unwrap().block_on(async {
    /// let mut writer = BufWriter::new(Vec::new());
    /// writer.write_all(b"hello").await?;
    /// assert!(writer.get_ref().is_empty()); // still buffered
    /// writer.flush().await?;
    /// assert_eq!(writer.get_ref(), b"hello");
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    pub struct BufWriter<W> {
        #[pin]
        inner: W,
        buf: Vec<u8>,
        cap: usize,
        written: usize,
        seek: SeekState,
    }
}

/// Progress of a seek started with [`AsyncSeek::start_seek`].
#[derive(Debug, Clone, Copy)]
enum SeekState {
    /// No seek requested; `poll_complete` reports the position.
    Idle,
    /// Requested; it starts once the buffer has been written out.
    Requested(SeekFrom),
    /// Handed to the inner writer.
    Seeking,
}

impl<W: AsyncWrite> BufWriter<W> {
    /// Creates a `BufWriter` with the default capacity (8 KiB).
    pub fn new(inner: W) -> Self {
        Self::with_capacity(DEFAULT_BUF_SIZE, inner)
    }

    /// Creates a `BufWriter` whose buffer holds `cap` bytes.
    ///
    /// ```
    /// let writer = weave::io::BufWriter::with_capacity(64, Vec::new());
    /// assert!(writer.buffer().is_empty());
    /// ```
    pub fn with_capacity(cap: usize, inner: W) -> Self {
        Self::from_parts(inner, Vec::with_capacity(cap), cap)
    }

    /// Writes out the whole buffer (not flushing the inner writer).
    ///
    /// Progress survives `Pending`: `written` remembers how far it got.
    fn flush_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut me = self.project();
        let mut result = Ok(());
        while *me.written < me.buf.len() {
            match ready!(me.inner.as_mut().poll_write(cx, &me.buf[*me.written..])) {
                Ok(0) => {
                    result = Err(io::Error::new(
                        io::ErrorKind::WriteZero,
                        "BufWriter: the underlying writer accepted no bytes",
                    ));
                    break;
                }
                Ok(n) => *me.written += n,
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        // Also on error: drop what was written so it is not written twice.
        me.buf.drain(..*me.written);
        *me.written = 0;
        Poll::Ready(result)
    }
}

impl<W> BufWriter<W> {
    /// Builds a writer around `buf`'s pending bytes (for `BufStream`).
    pub(super) fn from_parts(inner: W, buf: Vec<u8>, cap: usize) -> Self {
        BufWriter {
            inner,
            buf,
            cap,
            written: 0,
            seek: SeekState::Idle,
        }
    }

    /// Takes the writer apart: `(inner, unwritten bytes, capacity)`.
    pub(super) fn into_parts(mut self) -> (W, Vec<u8>, usize) {
        self.buf.drain(..self.written);
        (self.inner, self.buf, self.cap)
    }

    /// Returns a shared reference to the underlying writer.
    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    /// Returns a mutable reference to the underlying writer.
    ///
    /// Writing to it directly would put bytes ahead of the buffered ones.
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.inner
    }

    /// Returns a pinned mutable reference to the underlying writer.
    ///
    /// Writing to it directly would put bytes ahead of the buffered ones.
    pub fn get_pin_mut(self: Pin<&mut Self>) -> Pin<&mut W> {
        self.project().inner
    }

    /// Returns the underlying writer; buffered bytes are lost (flush first).
    pub fn into_inner(self) -> W {
        self.inner
    }

    /// Returns the bytes buffered but not yet written out.
    pub fn buffer(&self) -> &[u8] {
        &self.buf[self.written..]
    }

    /// Room left in the buffer.
    fn spare(&self) -> usize {
        self.cap.saturating_sub(self.buf.len())
    }
}

impl<W: AsyncWrite> AsyncWrite for BufWriter<W> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if buf.len() > self.spare() {
            ready!(self.as_mut().flush_buf(cx))?;
        }
        if buf.len() >= self.cap {
            // The buffer is empty now; buffering would only add a copy.
            self.get_pin_mut().poll_write(cx, buf)
        } else {
            self.project().buf.extend_from_slice(buf);
            Poll::Ready(Ok(buf.len()))
        }
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if self.inner.is_write_vectored() {
            // Take the slices as one unit: either all fit in the buffer or
            // they all go to the inner writer in one vectored call.
            let total = bufs
                .iter()
                .fold(0usize, |sum, b| sum.saturating_add(b.len()));
            if total > self.spare() {
                ready!(self.as_mut().flush_buf(cx))?;
            }
            if total >= self.cap {
                return self.get_pin_mut().poll_write_vectored(cx, bufs);
            }
            let me = self.project();
            for b in bufs {
                me.buf.extend_from_slice(b);
            }
            return Poll::Ready(Ok(total));
        }

        // The inner writer would write one slice at a time anyway: decide on
        // the first non-empty slice, then buffer as many whole slices as fit.
        while bufs.first().is_some_and(|b| b.is_empty()) {
            bufs = &bufs[1..];
        }
        let Some(first) = bufs.first() else {
            return Poll::Ready(Ok(0));
        };
        if first.len() > self.spare() {
            ready!(self.as_mut().flush_buf(cx))?;
        }
        if first.len() >= self.cap {
            return self.get_pin_mut().poll_write(cx, first);
        }
        let spare = self.spare();
        let me = self.project();
        let mut taken = 0;
        for b in bufs {
            if taken + b.len() > spare {
                break;
            }
            me.buf.extend_from_slice(b);
            taken += b.len();
        }
        Poll::Ready(Ok(taken))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.as_mut().flush_buf(cx))?;
        self.get_pin_mut().poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.as_mut().flush_buf(cx))?;
        self.get_pin_mut().poll_shutdown(cx)
    }
}

/// Seeking writes the buffer out first (in `poll_complete`, since
/// `start_seek` cannot wait), then seeks the underlying writer.
impl<W: AsyncWrite + AsyncSeek> AsyncSeek for BufWriter<W> {
    fn start_seek(self: Pin<&mut Self>, position: SeekFrom) -> io::Result<()> {
        let me = self.project();
        if let SeekState::Seeking = me.seek {
            return Err(io::Error::other(
                "BufWriter: a seek is already in progress; complete it first",
            ));
        }
        *me.seek = SeekState::Requested(position);
        Ok(())
    }

    fn poll_complete(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        if let SeekState::Requested(position) = self.seek {
            ready!(self.as_mut().flush_buf(cx))?;
            let me = self.as_mut().project();
            if let Err(e) = me.inner.start_seek(position) {
                *me.seek = SeekState::Idle;
                return Poll::Ready(Err(e));
            }
            *me.seek = SeekState::Seeking;
        } else if let SeekState::Idle = self.seek {
            // A position query: bytes still buffered count as written.
            ready!(self.as_mut().flush_buf(cx))?;
        }
        let me = self.project();
        let res = ready!(me.inner.poll_complete(cx));
        *me.seek = SeekState::Idle;
        Poll::Ready(res)
    }
}

/// Reads go straight to the underlying stream; only writes are buffered.
impl<W: AsyncWrite + AsyncRead> AsyncRead for BufWriter<W> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.get_pin_mut().poll_read(cx, buf)
    }
}

/// Buffered reading is the underlying stream's own.
impl<W: AsyncWrite + AsyncBufRead> AsyncBufRead for BufWriter<W> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        self.get_pin_mut().poll_fill_buf(cx)
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        self.get_pin_mut().consume(amt)
    }
}

impl<W: fmt::Debug> fmt::Debug for BufWriter<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BufWriter")
            .field("writer", &self.inner)
            .field(
                "buffer",
                &format_args!("{}/{}", self.buf.len() - self.written, self.cap),
            )
            .finish()
    }
}
