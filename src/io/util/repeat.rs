//! [`repeat`]: a reader that yields one byte value forever.

use crate::io::{AsyncRead, ReadBuf};
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

/// A reader that fills every buffer with the same byte and never ends.
///
/// Created by [`repeat()`]. Every read completes at once but charges the
/// task's cooperative budget, so an endless read loop over a `Repeat` still
/// yields to other tasks.
#[derive(Debug)]
pub struct Repeat {
    byte: u8,
}

/// Creates a reader that yields `byte` over and over; every read fills the
/// whole buffer.
///
/// ```
/// use weave::io::AsyncReadExt;
///
/// # weave::runtime::Runtime::new().unwrap().block_on(async {
/// let mut buf = [0u8; 5];
/// weave::io::repeat(b'z').read_exact(&mut buf).await?;
/// assert_eq!(&buf, b"zzzzz");
/// # Ok::<_, std::io::Error>(()) }).unwrap();
/// ```
pub fn repeat(byte: u8) -> Repeat {
    Repeat { byte }
}

impl AsyncRead for Repeat {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let coop = ready!(crate::coop::poll_proceed(cx));
        coop.made_progress();
        let unfilled = buf.initialize_unfilled();
        let n = unfilled.len();
        unfilled.fill(self.byte);
        buf.advance(n);
        Poll::Ready(Ok(()))
    }
}
