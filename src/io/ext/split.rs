//! `Split`: the segments of a buffered reader between delimiter bytes.

use super::read_until::poll_read_until;
use crate::io::AsyncBufRead;
use futures_core::Stream;
use pin_project_lite::pin_project;
use std::io;
use std::mem;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

pin_project! {
    /// The segments of a reader between `delim` bytes, without the
    /// delimiter. Made by
    /// [`AsyncBufReadExt::split`](super::AsyncBufReadExt::split).
    ///
    /// A last segment without a delimiter is still returned; an empty input
    /// has no segments. It is also a [`Stream`] of `io::Result<Vec<u8>>`.
    ///
    /// ```
    /// use weave::io::AsyncBufReadExt;
    ///
    /// # weave::runtime::Runtime::new().unwrap().block_on(async {
    /// // (A `Cursor`: on a plain `&[u8]`, `.split` would be the slice method.)
    /// let mut parts = std::io::Cursor::new(b"a,,bc").split(b',');
    /// assert_eq!(parts.next_segment().await?, Some(b"a".to_vec()));
    /// assert_eq!(parts.next_segment().await?, Some(b"".to_vec()));
    /// assert_eq!(parts.next_segment().await?, Some(b"bc".to_vec()));
    /// assert_eq!(parts.next_segment().await?, None);
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    #[derive(Debug)]
    #[must_use = "streams do nothing unless polled"]
    pub struct Split<R> {
        #[pin]
        reader: R,
        buf: Vec<u8>,
        delim: u8,
        read: usize,
    }
}

impl<R> Split<R> {
    pub(super) fn new(reader: R, delim: u8) -> Self {
        Split {
            reader,
            buf: Vec::new(),
            delim,
            read: 0,
        }
    }
}

impl<R: AsyncBufRead + Unpin> Split<R> {
    /// Returns the next segment, or `None` at the end of the input.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: the part of a segment already read is kept inside
    /// `Split`, so a later call returns the whole segment.
    pub async fn next_segment(&mut self) -> io::Result<Option<Vec<u8>>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next_segment(cx)).await
    }
}

impl<R: AsyncBufRead> Split<R> {
    /// Polls for the next segment: `Ready(Ok(None))` at the end of the
    /// input.
    ///
    /// When `Pending` is returned, the task is woken once more input is
    /// available; progress so far is kept.
    pub fn poll_next_segment(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<Option<Vec<u8>>>> {
        let me = self.project();
        let n = ready!(poll_read_until(me.reader, cx, *me.delim, me.buf, me.read))?;
        if n == 0 && me.buf.is_empty() {
            return Poll::Ready(Ok(None));
        }
        let mut segment = mem::take(me.buf);
        if segment.last() == Some(me.delim) {
            segment.pop();
        }
        Poll::Ready(Ok(Some(segment)))
    }
}

impl<R: AsyncBufRead> Stream for Split<R> {
    type Item = io::Result<Vec<u8>>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Poll::Ready(ready!(self.poll_next_segment(cx)).transpose())
    }
}
