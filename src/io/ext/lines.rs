//! `Lines`: the lines of a buffered reader, one `String` at a time.

use super::read_line::{poll_read_line, LineState};
use crate::io::AsyncBufRead;
use futures_core::Stream;
use pin_project_lite::pin_project;
use std::io;
use std::mem;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

pin_project! {
    /// The lines of a reader, without their `\n` or `\r\n` ending. Made by
    /// [`AsyncBufReadExt::lines`](super::AsyncBufReadExt::lines).
    ///
    /// A last line without a newline is still returned; an empty input has
    /// no lines. It is also a [`Stream`] of `io::Result<String>`.
    ///
    /// ```
    /// use weave::io::AsyncBufReadExt;
    ///
    /// # weave::runtime::Runtime::new().unwrap().block_on(async {
    /// let mut lines = (&b"one\r\ntwo\n\nlast"[..]).lines();
    /// let mut all = Vec::new();
    /// while let Some(line) = lines.next_line().await? {
    ///     all.push(line);
    /// }
    /// assert_eq!(all, ["one", "two", "", "last"]);
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    #[derive(Debug)]
    #[must_use = "streams do nothing unless polled"]
    pub struct Lines<R> {
        #[pin]
        reader: R,
        buf: String,
        state: LineState,
    }
}

impl<R> Lines<R> {
    pub(super) fn new(reader: R) -> Self {
        Lines {
            reader,
            buf: String::new(),
            state: LineState::new(0),
        }
    }

    /// The underlying reader.
    pub fn get_ref(&self) -> &R {
        &self.reader
    }

    /// The underlying reader, mutably. Reading from it directly may skip
    /// lines or split one.
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.reader
    }

    /// Gives back the underlying reader. The part of a line read so far (by
    /// a `next_line` that was cancelled) is lost.
    pub fn into_inner(self) -> R {
        self.reader
    }
}

impl<R: AsyncBufRead + Unpin> Lines<R> {
    /// Returns the next line, or `None` at the end of the input.
    ///
    /// # Errors
    ///
    /// I/O errors of the reader; `InvalidData` if the line is not UTF-8 (the
    /// bad line is skipped, and the next call reads the following one).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: the part of a line already read is kept inside `Lines`,
    /// so a later call returns the whole line.
    pub async fn next_line(&mut self) -> io::Result<Option<String>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next_line(cx)).await
    }
}

impl<R: AsyncBufRead> Lines<R> {
    /// Polls for the next line: `Ready(Ok(None))` at the end of the input.
    ///
    /// When `Pending` is returned, the task is woken once more input is
    /// available; progress so far is kept.
    pub fn poll_next_line(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<Option<String>>> {
        let me = self.project();
        let res = ready!(poll_read_line(me.reader, cx, me.buf, me.state));
        match res {
            Ok(0) if me.buf.is_empty() => Poll::Ready(Ok(None)),
            Ok(_) => {
                let mut line = mem::take(me.buf);
                *me.state = LineState::new(0);
                if line.ends_with('\n') {
                    line.pop();
                    if line.ends_with('\r') {
                        line.pop();
                    }
                }
                Poll::Ready(Ok(Some(line)))
            }
            Err(e) => {
                if e.kind() == io::ErrorKind::InvalidData {
                    // The bad line was consumed and `buf` truncated to empty.
                    *me.state = LineState::new(0);
                }
                Poll::Ready(Err(e))
            }
        }
    }
}

impl<R: AsyncBufRead> Stream for Lines<R> {
    type Item = io::Result<String>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Poll::Ready(ready!(self.poll_next_line(cx)).transpose())
    }
}
