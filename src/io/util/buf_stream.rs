//! [`BufStream`]: read and write buffering for one stream.

use super::{BufReader, BufWriter, DEFAULT_BUF_SIZE};
use crate::io::{AsyncBufRead, AsyncRead, AsyncSeek, AsyncWrite, ReadBuf};
use pin_project_lite::pin_project;
use std::io::{self, IoSlice, SeekFrom};
use std::pin::Pin;
use std::task::{Context, Poll};

pin_project! {
    /// Buffers both directions of a stream that is read and written, such
    /// as a socket: a [`BufReader`] around a [`BufWriter`].
    ///
    /// As with `BufWriter`, written bytes stay in memory until the buffer
    /// fills or the stream is flushed: flush before waiting for a reply.
    ///
    /// ```
    /// use weave::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufStream};
    ///
    /// # weave::runtime::Runtime::new().unwrap().block_on(async {
    /// let (socket, mut peer) = weave::io::duplex(64);
    /// let mut stream = BufStream::new(socket);
    /// stream.write_all(b"GET\n").await?;
    /// stream.flush().await?; // without this, the peer would wait forever
    ///
    /// let mut request = [0u8; 4];
    /// peer.read_exact(&mut request).await?;
    /// peer.write_all(b"200 OK\n").await?;
    ///
    /// let mut status = String::new();
    /// stream.read_line(&mut status).await?;
    /// assert_eq!(status, "200 OK\n");
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    #[derive(Debug)]
    pub struct BufStream<RW> {
        #[pin]
        inner: BufReader<BufWriter<RW>>,
    }
}

impl<RW: AsyncRead + AsyncWrite> BufStream<RW> {
    /// Wraps `stream` with 8 KiB read and write buffers.
    pub fn new(stream: RW) -> BufStream<RW> {
        Self::with_capacity(DEFAULT_BUF_SIZE, DEFAULT_BUF_SIZE, stream)
    }

    /// Wraps `stream` with a read buffer of `reader_capacity` bytes and a
    /// write buffer of `writer_capacity` bytes.
    pub fn with_capacity(
        reader_capacity: usize,
        writer_capacity: usize,
        stream: RW,
    ) -> BufStream<RW> {
        BufStream {
            inner: BufReader::with_capacity(
                reader_capacity,
                BufWriter::with_capacity(writer_capacity, stream),
            ),
        }
    }
}

impl<RW> BufStream<RW> {
    /// Returns a shared reference to the underlying stream.
    pub fn get_ref(&self) -> &RW {
        self.inner.get_ref().get_ref()
    }

    /// Returns a mutable reference to the underlying stream.
    ///
    /// Using it directly bypasses both buffers.
    pub fn get_mut(&mut self) -> &mut RW {
        self.inner.get_mut().get_mut()
    }

    /// Returns a pinned mutable reference to the underlying stream.
    ///
    /// Using it directly bypasses both buffers.
    pub fn get_pin_mut(self: Pin<&mut Self>) -> Pin<&mut RW> {
        self.project().inner.get_pin_mut().get_pin_mut()
    }

    /// Returns the underlying stream; buffered data in either direction is
    /// lost (flush first).
    pub fn into_inner(self) -> RW {
        self.inner.into_inner().into_inner()
    }
}

/// Wraps an existing reader-over-writer stack as is, keeping its buffers.
impl<RW> From<BufReader<BufWriter<RW>>> for BufStream<RW> {
    fn from(inner: BufReader<BufWriter<RW>>) -> Self {
        BufStream { inner }
    }
}

/// Restacks a writer-over-reader into a `BufStream`, moving both buffers
/// (and the bytes in them) across, so nothing is lost or reordered.
impl<RW> From<BufWriter<BufReader<RW>>> for BufStream<RW> {
    fn from(outer: BufWriter<BufReader<RW>>) -> Self {
        let (reader, pending_writes, writer_cap) = outer.into_parts();
        let (stream, read_buf, pos, filled) = reader.into_parts();
        let writer = BufWriter::from_parts(stream, pending_writes, writer_cap);
        BufStream {
            inner: BufReader::from_parts(writer, read_buf, pos, filled),
        }
    }
}

impl<RW: AsyncRead + AsyncWrite> AsyncWrite for BufStream<RW> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.project().inner.poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.project().inner.poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_shutdown(cx)
    }
}

impl<RW: AsyncRead + AsyncWrite> AsyncRead for BufStream<RW> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.project().inner.poll_read(cx, buf)
    }
}

/// Seeks write the write buffer out and discard the read buffer (see
/// [`BufReader`]'s and [`BufWriter`]'s `AsyncSeek`).
impl<RW: AsyncRead + AsyncWrite + AsyncSeek> AsyncSeek for BufStream<RW> {
    fn start_seek(self: Pin<&mut Self>, position: SeekFrom) -> io::Result<()> {
        self.project().inner.start_seek(position)
    }

    fn poll_complete(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        self.project().inner.poll_complete(cx)
    }
}

impl<RW: AsyncRead + AsyncWrite> AsyncBufRead for BufStream<RW> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        self.project().inner.poll_fill_buf(cx)
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        self.project().inner.consume(amt)
    }
}
