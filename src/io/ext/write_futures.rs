//! The futures of `AsyncWriteExt`'s byte-slice, `Buf`, flush and shutdown
//! methods.

use crate::io::AsyncWrite;
use bytes::Buf;
use std::future::Future;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

/// At most this many `IoSlice`s are gathered from a `Buf` for one vectored
/// write (a typical `IOV_MAX` is 1024; 64 covers realistic chains).
const MAX_VECTORED: usize = 64;

/// Future of [`AsyncWriteExt::write`](super::AsyncWriteExt::write).
#[derive(Debug)]
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct Write<'a, W: ?Sized> {
    writer: &'a mut W,
    buf: &'a [u8],
}

impl<'a, W: ?Sized> Write<'a, W> {
    pub(super) fn new(writer: &'a mut W, buf: &'a [u8]) -> Self {
        Write { writer, buf }
    }
}

impl<W: AsyncWrite + ?Sized + Unpin> Future for Write<'_, W> {
    type Output = io::Result<usize>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let me = self.get_mut();
        Pin::new(&mut *me.writer).poll_write(cx, me.buf)
    }
}

/// Future of [`AsyncWriteExt::write_vectored`](super::AsyncWriteExt::write_vectored).
#[derive(Debug)]
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct WriteVectored<'a, 'b, W: ?Sized> {
    writer: &'a mut W,
    bufs: &'a [IoSlice<'b>],
}

impl<'a, 'b, W: ?Sized> WriteVectored<'a, 'b, W> {
    pub(super) fn new(writer: &'a mut W, bufs: &'a [IoSlice<'b>]) -> Self {
        WriteVectored { writer, bufs }
    }
}

impl<W: AsyncWrite + ?Sized + Unpin> Future for WriteVectored<'_, '_, W> {
    type Output = io::Result<usize>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let me = self.get_mut();
        Pin::new(&mut *me.writer).poll_write_vectored(cx, me.bufs)
    }
}

/// Future of [`AsyncWriteExt::write_all`](super::AsyncWriteExt::write_all).
#[derive(Debug)]
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct WriteAll<'a, W: ?Sized> {
    writer: &'a mut W,
    buf: &'a [u8],
}

impl<'a, W: ?Sized> WriteAll<'a, W> {
    pub(super) fn new(writer: &'a mut W, buf: &'a [u8]) -> Self {
        WriteAll { writer, buf }
    }
}

impl<W: AsyncWrite + ?Sized + Unpin> Future for WriteAll<'_, W> {
    type Output = io::Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let me = self.get_mut();
        poll_write_all(Pin::new(&mut *me.writer), cx, &mut me.buf)
    }
}

/// Writes `*buf` completely, shrinking it as bytes are taken so a `Pending`
/// can be resumed. Retries `Interrupted`; `WriteZero` if the writer takes
/// nothing.
pub(super) fn poll_write_all<W: AsyncWrite + ?Sized>(
    mut writer: Pin<&mut W>,
    cx: &mut Context<'_>,
    buf: &mut &[u8],
) -> Poll<io::Result<()>> {
    while !buf.is_empty() {
        let n = match ready!(writer.as_mut().poll_write(cx, buf)) {
            Ok(0) => return Poll::Ready(Err(super::write_zero_error())),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Poll::Ready(Err(e)),
        };
        *buf = &buf[n.min(buf.len())..];
    }
    Poll::Ready(Ok(()))
}

/// One write of as much of `buf` as the writer takes, vectored when the
/// writer prefers that.
fn poll_write_buf_once<W, B>(
    writer: Pin<&mut W>,
    cx: &mut Context<'_>,
    buf: &mut B,
) -> Poll<io::Result<usize>>
where
    W: AsyncWrite + ?Sized,
    B: Buf,
{
    let n = if writer.is_write_vectored() {
        let mut slices = [IoSlice::new(&[]); MAX_VECTORED];
        let count = buf.chunks_vectored(&mut slices);
        ready!(writer.poll_write_vectored(cx, &slices[..count]))?
    } else {
        ready!(writer.poll_write(cx, buf.chunk()))?
    };
    buf.advance(n.min(buf.remaining()));
    Poll::Ready(Ok(n))
}

/// Future of [`AsyncWriteExt::write_buf`](super::AsyncWriteExt::write_buf).
#[derive(Debug)]
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct WriteBuf<'a, W, B> {
    writer: &'a mut W,
    buf: &'a mut B,
}

impl<'a, W, B> WriteBuf<'a, W, B> {
    pub(super) fn new(writer: &'a mut W, buf: &'a mut B) -> Self {
        WriteBuf { writer, buf }
    }
}

impl<W: AsyncWrite + Unpin, B: Buf> Future for WriteBuf<'_, W, B> {
    type Output = io::Result<usize>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let me = self.get_mut();
        if !me.buf.has_remaining() {
            return Poll::Ready(Ok(0));
        }
        poll_write_buf_once(Pin::new(&mut *me.writer), cx, me.buf)
    }
}

/// Future of [`AsyncWriteExt::write_all_buf`](super::AsyncWriteExt::write_all_buf).
#[derive(Debug)]
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct WriteAllBuf<'a, W, B> {
    writer: &'a mut W,
    buf: &'a mut B,
}

impl<'a, W, B> WriteAllBuf<'a, W, B> {
    pub(super) fn new(writer: &'a mut W, buf: &'a mut B) -> Self {
        WriteAllBuf { writer, buf }
    }
}

impl<W: AsyncWrite + Unpin, B: Buf> Future for WriteAllBuf<'_, W, B> {
    type Output = io::Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let me = self.get_mut();
        while me.buf.has_remaining() {
            match ready!(poll_write_buf_once(Pin::new(&mut *me.writer), cx, me.buf)) {
                Ok(0) => return Poll::Ready(Err(super::write_zero_error())),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
        Poll::Ready(Ok(()))
    }
}

/// Future of [`AsyncWriteExt::flush`](super::AsyncWriteExt::flush).
#[derive(Debug)]
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct Flush<'a, W: ?Sized> {
    writer: &'a mut W,
}

impl<'a, W: ?Sized> Flush<'a, W> {
    pub(super) fn new(writer: &'a mut W) -> Self {
        Flush { writer }
    }
}

impl<W: AsyncWrite + ?Sized + Unpin> Future for Flush<'_, W> {
    type Output = io::Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.get_mut().writer).poll_flush(cx)
    }
}

/// Future of [`AsyncWriteExt::shutdown`](super::AsyncWriteExt::shutdown).
#[derive(Debug)]
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct Shutdown<'a, W: ?Sized> {
    writer: &'a mut W,
}

impl<'a, W: ?Sized> Shutdown<'a, W> {
    pub(super) fn new(writer: &'a mut W) -> Self {
        Shutdown { writer }
    }
}

impl<W: AsyncWrite + ?Sized + Unpin> Future for Shutdown<'_, W> {
    type Output = io::Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.get_mut().writer).poll_shutdown(cx)
    }
}
