//! [`sink`]: a writer that accepts and discards everything.

use crate::io::AsyncWrite;
use std::fmt;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

/// A writer that discards every byte written to it.
///
/// Created by [`sink()`]. Every operation completes at once but charges the
/// task's cooperative budget, so a loop writing to a `Sink` still yields to
/// other tasks.
pub struct Sink {
    _priv: (),
}

/// Creates a writer that accepts every write in full and throws the bytes
/// away.
///
/// ```
/// # weave::runtime::Runtime::new().unwrap().block_on(async {
/// let mut data: &[u8] = b"discard me";
/// let n = weave::io::copy(&mut data, &mut weave::io::sink()).await?;
/// assert_eq!(n, 10);
/// # Ok::<_, std::io::Error>(()) }).unwrap();
/// ```
pub fn sink() -> Sink {
    Sink { _priv: () }
}

/// Charges one unit of the cooperative budget for an operation that always
/// completes.
fn charge(cx: &mut Context<'_>) -> Poll<()> {
    let coop = ready!(crate::coop::poll_proceed(cx));
    coop.made_progress();
    Poll::Ready(())
}

impl AsyncWrite for Sink {
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

impl fmt::Debug for Sink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("Sink { .. }")
    }
}
