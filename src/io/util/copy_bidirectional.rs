//! [`copy_bidirectional`]: pumping bytes both ways between two streams.

use super::copy::{CopyBuffer, COPY_BUF_SIZE};
use crate::io::{AsyncRead, AsyncWrite};
use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

/// Where one direction of a bidirectional copy stands.
#[derive(Debug)]
enum Direction {
    /// Copying until the reader reports end of file.
    Copying(CopyBuffer),
    /// The reader is done and everything was flushed; shutting the writer
    /// down. Holds the byte count.
    ShuttingDown(u64),
    /// Finished; holds the byte count.
    Done(u64),
}

impl Direction {
    fn poll_step<R, W>(
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
            match self {
                Direction::Copying(buf) => {
                    let n = ready!(buf.poll_copy(cx, reader.as_mut(), writer.as_mut()))?;
                    // Frees the buffer as soon as this direction is done.
                    *self = Direction::ShuttingDown(n);
                }
                Direction::ShuttingDown(n) => {
                    let n = *n;
                    ready!(writer.as_mut().poll_shutdown(cx))?;
                    *self = Direction::Done(n);
                }
                Direction::Done(n) => return Poll::Ready(Ok(*n)),
            }
        }
    }
}

/// Copies from `a` to `b` and from `b` to `a` at the same time, until both
/// directions have reached end of file; returns `(bytes a→b, bytes b→a)`.
///
/// When one side's reader reports end of file, everything read from it is
/// written and flushed, and the other side's write half is shut down (for a
/// TCP socket: a FIN is sent), while the other direction carries on. The
/// first error from either direction ends the whole copy and is returned.
/// Each direction flushes its writer whenever its reader has nothing to
/// give, so buffered writers never hold data back.
///
/// Each direction copies through its own 64 KiB buffer, allocated once (see
/// [`copy`](super::copy)); use [`copy_bidirectional_with_sizes`] to choose
/// the sizes, for example smaller ones for a proxy with many idle
/// connections.
///
/// ```
/// use weave::io::{duplex, AsyncReadExt, AsyncWriteExt};
///
/// # weave::runtime::Runtime::new().unwrap().block_on(async {
/// let (mut client, mut proxy_in) = duplex(64);
/// let (mut proxy_out, mut server) = duplex(64);
/// let proxy = weave::spawn(async move {
///     weave::io::copy_bidirectional(&mut proxy_in, &mut proxy_out).await
/// });
///
/// client.write_all(b"ping").await?;
/// client.shutdown().await?; // no more requests
/// let mut request = Vec::new();
/// server.read_to_end(&mut request).await?; // ends when the proxy passes the shutdown on
/// assert_eq!(request, b"ping");
///
/// server.write_all(b"pong").await?; // the other direction is still open
/// drop(server);
/// let mut reply = Vec::new();
/// client.read_to_end(&mut reply).await?;
/// assert_eq!(reply, b"pong");
/// assert_eq!(proxy.await.unwrap()?, (4, 4));
/// # Ok::<_, std::io::Error>(()) }).unwrap();
/// ```
pub async fn copy_bidirectional<A, B>(a: &mut A, b: &mut B) -> io::Result<(u64, u64)>
where
    A: AsyncRead + AsyncWrite + Unpin + ?Sized,
    B: AsyncRead + AsyncWrite + Unpin + ?Sized,
{
    copy_bidirectional_with_sizes(a, b, COPY_BUF_SIZE, COPY_BUF_SIZE).await
}

/// Like [`copy_bidirectional`], with a buffer of `a_to_b_buf_size` bytes for
/// the a→b direction and `b_to_a_buf_size` bytes for b→a.
///
/// ```
/// # weave::runtime::Runtime::new().unwrap().block_on(async {
/// let (mut a, a_peer) = weave::io::duplex(16);
/// let (mut b, b_peer) = weave::io::duplex(16);
/// drop((a_peer, b_peer)); // both readers are at end of file at once
/// let counts = weave::io::copy_bidirectional_with_sizes(&mut a, &mut b, 4096, 1024).await?;
/// assert_eq!(counts, (0, 0));
/// # Ok::<_, std::io::Error>(()) }).unwrap();
/// ```
pub async fn copy_bidirectional_with_sizes<A, B>(
    a: &mut A,
    b: &mut B,
    a_to_b_buf_size: usize,
    b_to_a_buf_size: usize,
) -> io::Result<(u64, u64)>
where
    A: AsyncRead + AsyncWrite + Unpin + ?Sized,
    B: AsyncRead + AsyncWrite + Unpin + ?Sized,
{
    let mut a_to_b = Direction::Copying(CopyBuffer::new(a_to_b_buf_size));
    let mut b_to_a = Direction::Copying(CopyBuffer::new(b_to_a_buf_size));
    poll_fn(|cx| {
        // Poll both every time so each registers its wakers and neither
        // waits on the other; bail out on the first error.
        let ab = a_to_b.poll_step(cx, Pin::new(&mut *a), Pin::new(&mut *b))?;
        let ba = b_to_a.poll_step(cx, Pin::new(&mut *b), Pin::new(&mut *a))?;
        let ab = ready!(ab);
        let ba = ready!(ba);
        Poll::Ready(Ok((ab, ba)))
    })
    .await
}
