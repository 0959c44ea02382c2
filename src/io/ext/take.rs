//! `Take`: a reader limited to a number of bytes.

use crate::io::{AsyncBufRead, AsyncRead, ReadBuf};
use pin_project_lite::pin_project;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

pin_project! {
    /// A reader that yields at most `limit` bytes of its inner reader, then
    /// reports EOF. Made by [`AsyncReadExt::take`](super::AsyncReadExt::take).
    ///
    /// Errors from the inner reader do not count against the limit.
    ///
    /// ```
    /// use weave::io::AsyncReadExt;
    ///
    /// # weave::runtime::Runtime::new().unwrap().block_on(async {
    /// let mut head = (&b"hello world"[..]).take(5);
    /// let mut out = String::new();
    /// head.read_to_string(&mut out).await?;
    /// assert_eq!(out, "hello");
    /// assert_eq!(head.limit(), 0);
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    #[derive(Debug)]
    #[must_use = "readers do nothing unless you read from them"]
    pub struct Take<R> {
        #[pin]
        inner: R,
        limit: u64,
    }
}

impl<R: AsyncRead> Take<R> {
    pub(super) fn new(inner: R, limit: u64) -> Self {
        Take { inner, limit }
    }

    /// How many more bytes this reader may yield before EOF.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// Sets how many more bytes this reader may yield. The count restarts:
    /// bytes already read do not count.
    pub fn set_limit(&mut self, limit: u64) {
        self.limit = limit;
    }

    /// The inner reader.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// The inner reader, mutably. Reading from it directly bypasses the
    /// limit.
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    /// The pinned inner reader. Reading from it directly bypasses the limit.
    pub fn get_pin_mut(self: Pin<&mut Self>) -> Pin<&mut R> {
        self.project().inner
    }

    /// Gives back the inner reader; unread bytes beyond the limit stay in it.
    pub fn into_inner(self) -> R {
        self.inner
    }
}

impl<R: AsyncRead> AsyncRead for Take<R> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let me = self.project();
        if *me.limit == 0 {
            return Poll::Ready(Ok(()));
        }
        let max = usize::try_from(*me.limit).unwrap_or(usize::MAX);
        let mut part = buf.take(max);
        let start = part.filled().as_ptr();
        ready!(me.inner.poll_read(cx, &mut part))?;
        assert_eq!(
            part.filled().as_ptr(),
            start,
            "AsyncRead::poll_read replaced the ReadBuf it was given"
        );
        let n = part.filled().len();
        let initialized = part.initialized().len();
        // SAFETY: `part` covers `buf`'s unfilled bytes from the start (it
        // still points there, asserted above), and its first `initialized`
        // bytes are initialized.
        unsafe { buf.assume_init(initialized) };
        buf.advance(n);
        *me.limit -= n as u64;
        Poll::Ready(Ok(()))
    }
}

impl<R: AsyncBufRead> AsyncBufRead for Take<R> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let me = self.project();
        if *me.limit == 0 {
            return Poll::Ready(Ok(&[]));
        }
        let data = ready!(me.inner.poll_fill_buf(cx))?;
        let n = usize::try_from(*me.limit).map_or(data.len(), |limit| limit.min(data.len()));
        Poll::Ready(Ok(&data[..n]))
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        let me = self.project();
        let amt = usize::try_from(*me.limit).map_or(amt, |limit| limit.min(amt));
        *me.limit -= amt as u64;
        me.inner.consume(amt);
    }
}
