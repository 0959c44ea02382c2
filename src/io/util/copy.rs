//! [`copy`], and [`CopyBuffer`], the copy loop it shares with
//! `copy_bidirectional`.
//!
//! # Buffer size
//!
//! Tokio copies through 8 KiB. weave uses [`COPY_BUF_SIZE`] = 64 KiB:
//! - A bulk copy is bound by system calls and wake-ups, one read and one
//!   write per buffer. Copying 256 MB from one loopback TCP socket to
//!   another with weave's `TcpStream` on the development machine (2 CPUs,
//!   shared, so noisy) ran at 0.75-0.9 GB/s with 8 KiB, 1.2-1.4 GB/s with
//!   64 KiB and 1.3-1.5 GB/s with 256 KiB; Tokio's `copy` ran at about
//!   0.8-0.95 GB/s. Loopback hands out up to 64 KiB per segment, so one read
//!   usually drains what arrived; going further gained less per step and
//!   costs more memory per copy (next points).
//! - 64 KiB stays below glibc's default mmap threshold (128 KiB), so the
//!   allocation is served from the heap and reused across copies instead of
//!   being a fresh `mmap` with page faults and an `munmap` each time.
//! - The cost is memory: `copy_bidirectional` holds two buffers, 128 KiB
//!   per proxied connection (Tokio: 16 KiB). Servers holding very many
//!   mostly idle connections should use
//!   [`copy_bidirectional_with_sizes`](super::copy_bidirectional_with_sizes)
//!   with smaller buffers.
//!
//! The buffer is allocated (zeroed) once when the copy starts, never
//! resized.

use crate::io::{AsyncRead, AsyncWrite, ReadBuf};
use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

/// Buffer size of [`copy`] and `copy_bidirectional` (see the module docs).
pub(super) const COPY_BUF_SIZE: usize = 64 * 1024;

/// The state of one direction of copying: bytes move reader -> `buf` ->
/// writer.
///
/// Invariant: `pos <= filled <= buf.len()`; `buf[pos..filled]` has been read
/// and not yet written.
#[derive(Debug)]
pub(super) struct CopyBuffer {
    buf: Box<[u8]>,
    pos: usize,
    filled: usize,
    /// Bytes written so far.
    amt: u64,
    /// The reader reported end of file.
    read_done: bool,
    /// Bytes were written since the last flush.
    need_flush: bool,
}

impl CopyBuffer {
    pub(super) fn new(buf_size: usize) -> CopyBuffer {
        CopyBuffer {
            // A zero-sized buffer could never move a byte.
            buf: vec![0; buf_size.max(1)].into_boxed_slice(),
            pos: 0,
            filled: 0,
            amt: 0,
            read_done: false,
            need_flush: false,
        }
    }

    /// Reads into the free tail of the buffer.
    fn poll_fill<R>(&mut self, cx: &mut Context<'_>, reader: Pin<&mut R>) -> Poll<io::Result<()>>
    where
        R: AsyncRead + ?Sized,
    {
        let mut read_buf = ReadBuf::new(&mut self.buf[self.filled..]);
        ready!(reader.poll_read(cx, &mut read_buf))?;
        let n = read_buf.filled().len();
        if n == 0 {
            self.read_done = true;
        } else {
            self.filled += n;
        }
        Poll::Ready(Ok(()))
    }

    /// Writes some of the buffered bytes. If the writer is not ready, reads
    /// more while there is room, so the reader keeps moving.
    fn poll_write_some<R, W>(
        &mut self,
        cx: &mut Context<'_>,
        reader: Pin<&mut R>,
        writer: Pin<&mut W>,
    ) -> Poll<io::Result<usize>>
    where
        R: AsyncRead + ?Sized,
        W: AsyncWrite + ?Sized,
    {
        match writer.poll_write(cx, &self.buf[self.pos..self.filled]) {
            Poll::Pending => {
                if !self.read_done && self.filled < self.buf.len() {
                    // New data or EOF is picked up by the next round; a
                    // read error ends the copy now.
                    if let Poll::Ready(Err(e)) = self.poll_fill(cx, reader) {
                        return Poll::Ready(Err(e));
                    }
                }
                Poll::Pending
            }
            other => other,
        }
    }

    /// Copies until the reader reports end of file and everything read has
    /// been written and flushed; returns the number of bytes copied.
    ///
    /// Flushes the writer whenever the reader has nothing to give, so data
    /// cannot sit in a buffered writer while the reader waits for a reply.
    pub(super) fn poll_copy<R, W>(
        &mut self,
        cx: &mut Context<'_>,
        mut reader: Pin<&mut R>,
        mut writer: Pin<&mut W>,
    ) -> Poll<io::Result<u64>>
    where
        R: AsyncRead + ?Sized,
        W: AsyncWrite + ?Sized,
    {
        loop {
            // One budget unit per round, so copying between two always-ready
            // non-weave objects still yields to other tasks.
            let coop = ready!(crate::coop::poll_proceed(cx));

            if !self.read_done && self.filled < self.buf.len() {
                match self.poll_fill(cx, reader.as_mut()) {
                    Poll::Ready(Ok(())) => coop.made_progress(),
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Pending => {
                        if self.pos == self.filled {
                            // Nothing to write either: make sure nothing is
                            // stuck in the writer while we wait.
                            if self.need_flush {
                                ready!(writer.as_mut().poll_flush(cx))?;
                                self.need_flush = false;
                            }
                            return Poll::Pending;
                        }
                        // Otherwise write what we have.
                    }
                }
            }

            while self.pos < self.filled {
                let n = ready!(self.poll_write_some(cx, reader.as_mut(), writer.as_mut()))?;
                if n == 0 {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::WriteZero,
                        "copy: the writer accepted no bytes",
                    )));
                }
                if n > self.filled - self.pos {
                    // A broken writer; going on would break the invariant.
                    return Poll::Ready(Err(io::Error::other(
                        "copy: the writer reported more bytes than it was given",
                    )));
                }
                self.pos += n;
                self.amt += n as u64;
                self.need_flush = true;
                coop.made_progress();
            }

            if self.pos == self.filled {
                // All written: the whole buffer is free for the next read
                // (without this, a buffer filled to the brim would never be
                // read into again).
                self.pos = 0;
                self.filled = 0;
            }

            if self.read_done && self.pos == self.filled {
                ready!(writer.as_mut().poll_flush(cx))?;
                self.need_flush = false;
                return Poll::Ready(Ok(self.amt));
            }
        }
    }
}

/// Copies everything from `reader` to `writer`, then flushes `writer`;
/// returns the number of bytes copied.
///
/// The copy goes through a 64 KiB buffer allocated once per call (Tokio uses
/// 8 KiB; the module source explains the choice). If the reader has nothing
/// to give for the moment, the writer is flushed before waiting, so a
/// buffered writer never holds data back. Reading stops at end of file;
/// `writer` is not shut down. Errors from either side end the copy; bytes
/// already copied may have been written.
///
/// To copy from an [`AsyncBufRead`](crate::io::AsyncBufRead) without a second
/// buffer, use [`copy_buf`](super::copy_buf).
///
/// ```
/// # weave::runtime::Runtime::new().unwrap().block_on(async {
/// let mut reader: &[u8] = b"hello";
/// let mut writer: Vec<u8> = Vec::new();
/// let n = weave::io::copy(&mut reader, &mut writer).await?;
/// assert_eq!(n, 5);
/// assert_eq!(writer, b"hello");
/// # Ok::<_, std::io::Error>(()) }).unwrap();
/// ```
pub async fn copy<'a, R, W>(reader: &'a mut R, writer: &'a mut W) -> io::Result<u64>
where
    R: AsyncRead + Unpin + ?Sized,
    W: AsyncWrite + Unpin + ?Sized,
{
    let mut state = CopyBuffer::new(COPY_BUF_SIZE);
    poll_fn(|cx| state.poll_copy(cx, Pin::new(&mut *reader), Pin::new(&mut *writer))).await
}
