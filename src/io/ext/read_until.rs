//! The future of `AsyncBufReadExt::read_until`, and the polling loop it
//! shares with `Split`.

use super::memchr::memchr;
use crate::io::AsyncBufRead;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

/// Appends bytes from `reader` to `buf` up to and including `delim` (or
/// EOF), copying whole buffered runs at a time. `*read` counts the bytes
/// consumed so far, so the loop can be resumed after `Pending`; on
/// completion it is returned and reset to zero. `Interrupted` is retried.
pub(super) fn poll_read_until<R: AsyncBufRead + ?Sized>(
    mut reader: Pin<&mut R>,
    cx: &mut Context<'_>,
    delim: u8,
    buf: &mut Vec<u8>,
    read: &mut usize,
) -> Poll<io::Result<usize>> {
    loop {
        let (done, used) = {
            let available = match ready!(reader.as_mut().poll_fill_buf(cx)) {
                Ok(available) => available,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Poll::Ready(Err(e)),
            };
            match memchr(delim, available) {
                Some(i) => {
                    buf.extend_from_slice(&available[..=i]);
                    (true, i + 1)
                }
                None => {
                    buf.extend_from_slice(available);
                    (available.is_empty(), available.len())
                }
            }
        };
        reader.as_mut().consume(used);
        *read += used;
        if done {
            return Poll::Ready(Ok(std::mem::take(read)));
        }
    }
}

/// Future of [`AsyncBufReadExt::read_until`](super::AsyncBufReadExt::read_until).
#[derive(Debug)]
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct ReadUntil<'a, R: ?Sized> {
    reader: &'a mut R,
    delim: u8,
    buf: &'a mut Vec<u8>,
    read: usize,
}

impl<'a, R: ?Sized> ReadUntil<'a, R> {
    pub(super) fn new(reader: &'a mut R, delim: u8, buf: &'a mut Vec<u8>) -> Self {
        ReadUntil {
            reader,
            delim,
            buf,
            read: 0,
        }
    }
}

impl<R: AsyncBufRead + ?Sized + Unpin> Future for ReadUntil<'_, R> {
    type Output = io::Result<usize>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let me = self.get_mut();
        poll_read_until(
            Pin::new(&mut *me.reader),
            cx,
            me.delim,
            me.buf,
            &mut me.read,
        )
    }
}
