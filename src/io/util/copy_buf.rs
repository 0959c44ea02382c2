//! [`copy_buf`]: copying out of a reader's own buffer.

use crate::io::{AsyncBufRead, AsyncWrite};
use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

/// Copies everything from a buffered `reader` to `writer`, then flushes
/// `writer`; returns the number of bytes copied.
///
/// Unlike [`copy`](super::copy) this needs no buffer of its own: it writes
/// straight out of the reader's buffer (for example a
/// [`BufReader`](super::BufReader)'s). If the reader has nothing to give for
/// the moment, the writer is flushed before waiting. Reading stops at end of
/// file; `writer` is not shut down.
///
/// ```
/// # weave::runtime::Runtime::new().unwrap().block_on(async {
/// let mut reader: &[u8] = b"buffered bytes";
/// let mut writer = Vec::new();
/// let n = weave::io::copy_buf(&mut reader, &mut writer).await?;
/// assert_eq!(n, 14);
/// assert_eq!(writer, b"buffered bytes");
/// # Ok::<_, std::io::Error>(()) }).unwrap();
/// ```
pub async fn copy_buf<'a, R, W>(reader: &'a mut R, writer: &'a mut W) -> io::Result<u64>
where
    R: AsyncBufRead + Unpin + ?Sized,
    W: AsyncWrite + Unpin + ?Sized,
{
    let mut amt = 0u64;
    let mut need_flush = false;
    poll_fn(|cx| {
        poll_copy_buf(
            cx,
            Pin::new(&mut *reader),
            Pin::new(&mut *writer),
            &mut amt,
            &mut need_flush,
        )
    })
    .await
}

fn poll_copy_buf<R, W>(
    cx: &mut Context<'_>,
    mut reader: Pin<&mut R>,
    mut writer: Pin<&mut W>,
    amt: &mut u64,
    need_flush: &mut bool,
) -> Poll<io::Result<u64>>
where
    R: AsyncBufRead + ?Sized,
    W: AsyncWrite + ?Sized,
{
    loop {
        let coop = ready!(crate::coop::poll_proceed(cx));
        let chunk = match reader.as_mut().poll_fill_buf(cx) {
            Poll::Ready(Ok(chunk)) => chunk,
            Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
            Poll::Pending => {
                if *need_flush {
                    ready!(writer.as_mut().poll_flush(cx))?;
                    *need_flush = false;
                }
                return Poll::Pending;
            }
        };
        if chunk.is_empty() {
            ready!(writer.as_mut().poll_flush(cx))?;
            *need_flush = false;
            return Poll::Ready(Ok(*amt));
        }
        let len = chunk.len();
        let n = ready!(writer.as_mut().poll_write(cx, chunk))?;
        if n == 0 {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::WriteZero,
                "copy_buf: the writer accepted no bytes",
            )));
        }
        if n > len {
            return Poll::Ready(Err(io::Error::other(
                "copy_buf: the writer reported more bytes than it was given",
            )));
        }
        reader.as_mut().consume(n);
        *amt += n as u64;
        *need_flush = true;
        coop.made_progress();
    }
}
