//! [`empty`]: a reader that is always at end of file and a writer that
//! accepts and discards everything.

use crate::io::{AsyncBufRead, AsyncRead, AsyncSeek, AsyncWrite, ReadBuf};
use std::fmt;
use std::io::{self, SeekFrom};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

/// A reader that is always at end of file, and a writer that discards
/// everything written to it.
///
/// Created by [`empty()`]. Every operation completes at once but charges the
/// task's cooperative budget, so a loop over an `Empty` still yields to other
/// tasks.
pub struct Empty {
    _priv: (),
}

/// Creates a value that reads nothing and accepts (and discards) any write.
///
/// Reads always report end of file, seeks always land on position 0.
///
/// ```
/// # weave::runtime::Runtime::new().unwrap().block_on(async {
/// let mut out = Vec::new();
/// let n = weave::io::copy(&mut weave::io::empty(), &mut out).await?;
/// assert_eq!(n, 0);
/// assert!(out.is_empty());
/// # Ok::<_, std::io::Error>(()) }).unwrap();
/// ```
pub fn empty() -> Empty {
    Empty { _priv: () }
}

/// Charges one unit of the cooperative budget for an operation that always
/// completes.
fn charge(cx: &mut Context<'_>) -> Poll<()> {
    let coop = ready!(crate::coop::poll_proceed(cx));
    coop.made_progress();
    Poll::Ready(())
}

impl AsyncRead for Empty {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        _buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        ready!(charge(cx));
        Poll::Ready(Ok(()))
    }
}

impl AsyncBufRead for Empty {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        ready!(charge(cx));
        Poll::Ready(Ok(&[]))
    }

    fn consume(self: Pin<&mut Self>, _amt: usize) {}
}

impl AsyncWrite for Empty {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        ready!(charge(cx));
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        ready!(charge(cx));
        Poll::Ready(Ok(bufs.iter().map(|b| b.len()).sum()))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(charge(cx));
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(charge(cx));
        Poll::Ready(Ok(()))
    }
}

impl AsyncSeek for Empty {
    fn start_seek(self: Pin<&mut Self>, _position: SeekFrom) -> io::Result<()> {
        Ok(())
    }

    fn poll_complete(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        ready!(charge(cx));
        Poll::Ready(Ok(0))
    }
}

impl fmt::Debug for Empty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("Empty { .. }")
    }
}
