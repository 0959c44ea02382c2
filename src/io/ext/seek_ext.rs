//! `AsyncSeekExt`: `async fn`-style seeking methods for every `AsyncSeek`.

use crate::io::AsyncSeek;
use std::future::Future;
use std::io::{self, SeekFrom};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

/// Seeking methods for every [`AsyncSeek`] (Tokio's `AsyncSeekExt`); bring
/// the trait into scope to use them.
///
/// ```
/// use std::io::{Cursor, SeekFrom};
/// use weave::io::{AsyncReadExt, AsyncSeekExt};
///
/// # weave::runtime::Runtime::new().unwrap().block_on(async {
/// let mut file = Cursor::new(b"0123456789".to_vec());
/// assert_eq!(file.seek(SeekFrom::End(-3)).await?, 7);
/// assert_eq!(file.read_u8().await?, b'7');
/// assert_eq!(file.stream_position().await?, 8);
/// file.rewind().await?;
/// assert_eq!(file.read_u8().await?, b'0');
/// # Ok::<_, std::io::Error>(()) }).unwrap();
/// ```
pub trait AsyncSeekExt: AsyncSeek {
    /// Moves the cursor to `pos` and returns the new position from the
    /// start.
    ///
    /// Like:
    ///
    /// ```text
    /// async fn seek(&mut self, pos: SeekFrom) -> io::Result<u64>;
    /// ```
    ///
    /// A seek still in progress from an earlier, dropped `seek` future is
    /// waited for first.
    fn seek(&mut self, pos: SeekFrom) -> Seek<'_, Self>
    where
        Self: Unpin,
    {
        Seek::new(self, pos)
    }

    /// Moves the cursor to the start; returns the new position, `0`.
    ///
    /// Like:
    ///
    /// ```text
    /// async fn rewind(&mut self) -> io::Result<u64>;
    /// ```
    fn rewind(&mut self) -> Seek<'_, Self>
    where
        Self: Unpin,
    {
        self.seek(SeekFrom::Start(0))
    }

    /// Returns the cursor's position from the start.
    ///
    /// Like:
    ///
    /// ```text
    /// async fn stream_position(&mut self) -> io::Result<u64>;
    /// ```
    fn stream_position(&mut self) -> Seek<'_, Self>
    where
        Self: Unpin,
    {
        self.seek(SeekFrom::Current(0))
    }
}

impl<S: AsyncSeek + ?Sized> AsyncSeekExt for S {}

/// Future of [`AsyncSeekExt::seek`], [`rewind`](AsyncSeekExt::rewind) and
/// [`stream_position`](AsyncSeekExt::stream_position).
#[derive(Debug)]
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct Seek<'a, S: ?Sized> {
    seek: &'a mut S,
    /// The seek to start, until it is started.
    pos: Option<SeekFrom>,
}

impl<'a, S: ?Sized> Seek<'a, S> {
    fn new(seek: &'a mut S, pos: SeekFrom) -> Self {
        Seek {
            seek,
            pos: Some(pos),
        }
    }
}

impl<S: AsyncSeek + ?Sized + Unpin> Future for Seek<'_, S> {
    type Output = io::Result<u64>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        let me = self.get_mut();
        if let Some(pos) = me.pos {
            // Finish any earlier seek first, so `start_seek` does not fail.
            ready!(Pin::new(&mut *me.seek).poll_complete(cx))?;
            Pin::new(&mut *me.seek).start_seek(pos)?;
            me.pos = None;
        }
        Pin::new(&mut *me.seek).poll_complete(cx)
    }
}
