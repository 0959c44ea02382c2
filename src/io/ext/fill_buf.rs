//! The future of `AsyncBufReadExt::fill_buf`.

use crate::io::AsyncBufRead;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Future of [`AsyncBufReadExt::fill_buf`](super::AsyncBufReadExt::fill_buf).
#[derive(Debug)]
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct FillBuf<'a, R: ?Sized> {
    reader: Option<&'a mut R>,
}

impl<'a, R: ?Sized> FillBuf<'a, R> {
    pub(super) fn new(reader: &'a mut R) -> Self {
        FillBuf {
            reader: Some(reader),
        }
    }
}

impl<'a, R: AsyncBufRead + ?Sized + Unpin> Future for FillBuf<'a, R> {
    type Output = io::Result<&'a [u8]>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&'a [u8]>> {
        let me = self.get_mut();
        let reader = me.reader.take().expect("FillBuf polled after completion");
        match Pin::new(&mut *reader).poll_fill_buf(cx) {
            Poll::Ready(Ok(data)) => {
                let data: *const [u8] = data;
                // SAFETY: `data` borrows from `*reader`, which is borrowed
                // for `'a`; `reader` was taken out of `self` and is never
                // used again on this path, so nothing can alias the slice
                // for `'a`. The borrow checker only rejects the direct
                // return because the `Pending` arm reuses `reader` (the
                // conditional-return limitation of NLL).
                Poll::Ready(Ok(unsafe { &*data }))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => {
                me.reader = Some(reader);
                Poll::Pending
            }
        }
    }
}
