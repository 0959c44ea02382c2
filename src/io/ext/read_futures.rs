//! The futures of `AsyncReadExt::{read, read_buf, read_exact}`.

use crate::io::{AsyncRead, ReadBuf};
use bytes::BufMut;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

/// Future of [`AsyncReadExt::read`](super::AsyncReadExt::read).
#[derive(Debug)]
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct Read<'a, R: ?Sized> {
    reader: &'a mut R,
    buf: &'a mut [u8],
}

impl<'a, R: ?Sized> Read<'a, R> {
    pub(super) fn new(reader: &'a mut R, buf: &'a mut [u8]) -> Self {
        Read { reader, buf }
    }
}

impl<R: AsyncRead + ?Sized + Unpin> Future for Read<'_, R> {
    type Output = io::Result<usize>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let me = self.get_mut();
        let mut buf = ReadBuf::new(me.buf);
        ready!(Pin::new(&mut *me.reader).poll_read(cx, &mut buf))?;
        Poll::Ready(Ok(buf.filled().len()))
    }
}

/// Future of [`AsyncReadExt::read_buf`](super::AsyncReadExt::read_buf).
#[derive(Debug)]
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct ReadIntoBuf<'a, R: ?Sized, B: ?Sized> {
    reader: &'a mut R,
    buf: &'a mut B,
}

impl<'a, R: ?Sized, B: ?Sized> ReadIntoBuf<'a, R, B> {
    pub(super) fn new(reader: &'a mut R, buf: &'a mut B) -> Self {
        ReadIntoBuf { reader, buf }
    }
}

impl<R, B> Future for ReadIntoBuf<'_, R, B>
where
    R: AsyncRead + ?Sized + Unpin,
    B: BufMut + ?Sized,
{
    type Output = io::Result<usize>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let me = self.get_mut();
        if !me.buf.has_remaining_mut() {
            return Poll::Ready(Ok(0));
        }
        let n = {
            let chunk = me.buf.chunk_mut();
            // SAFETY: we only hand the bytes to a `ReadBuf`, which never
            // writes uninitialized bytes, so nothing initialized is
            // de-initialized.
            let chunk = unsafe { chunk.as_uninit_slice_mut() };
            let mut buf = ReadBuf::uninit(chunk);
            let start = buf.filled().as_ptr();
            ready!(Pin::new(&mut *me.reader).poll_read(cx, &mut buf))?;
            assert_eq!(
                buf.filled().as_ptr(),
                start,
                "AsyncRead::poll_read replaced the ReadBuf it was given"
            );
            buf.filled().len()
        };
        // SAFETY: the reader filled (so initialized) the first `n` bytes of
        // `chunk_mut()`: the `ReadBuf` still points at that chunk (asserted
        // above) and its filled part is always initialized.
        unsafe { me.buf.advance_mut(n) };
        Poll::Ready(Ok(n))
    }
}

/// Future of [`AsyncReadExt::read_exact`](super::AsyncReadExt::read_exact).
#[derive(Debug)]
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct ReadExact<'a, R: ?Sized> {
    reader: &'a mut R,
    buf: &'a mut [u8],
    filled: usize,
}

impl<'a, R: ?Sized> ReadExact<'a, R> {
    pub(super) fn new(reader: &'a mut R, buf: &'a mut [u8]) -> Self {
        ReadExact {
            reader,
            buf,
            filled: 0,
        }
    }
}

impl<R: AsyncRead + ?Sized + Unpin> Future for ReadExact<'_, R> {
    type Output = io::Result<usize>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let me = self.get_mut();
        ready!(poll_read_exact(
            Pin::new(&mut *me.reader),
            cx,
            me.buf,
            &mut me.filled
        ))?;
        Poll::Ready(Ok(me.buf.len()))
    }
}

/// Reads until `buf[*filled..]` is full, counting progress in `*filled` so a
/// `Pending` can be resumed. Retries `Interrupted`; errors with
/// `UnexpectedEof` if the source ends first.
pub(super) fn poll_read_exact<R: AsyncRead + ?Sized>(
    mut reader: Pin<&mut R>,
    cx: &mut Context<'_>,
    buf: &mut [u8],
    filled: &mut usize,
) -> Poll<io::Result<()>> {
    while *filled < buf.len() {
        let mut rb = ReadBuf::new(&mut buf[*filled..]);
        match ready!(reader.as_mut().poll_read(cx, &mut rb)) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Poll::Ready(Err(e)),
        }
        let n = rb.filled().len();
        if n == 0 {
            return Poll::Ready(Err(super::eof_error()));
        }
        *filled = (*filled + n).min(buf.len());
    }
    Poll::Ready(Ok(()))
}
