//! `AsyncBufReadExt`: `async fn`-style methods for every `AsyncBufRead`.

use super::fill_buf::FillBuf;
use super::lines::Lines;
use super::read_line::ReadLine;
use super::read_until::ReadUntil;
use super::split::Split;
use crate::io::AsyncBufRead;
use std::pin::Pin;

/// Methods for every [`AsyncBufRead`] (Tokio's `AsyncBufReadExt`); bring the
/// trait into scope to use them.
///
/// The delimiter searches look at 16 bytes per step and copy whole buffered
/// runs at once, so reading lines of a large file costs little more than
/// reading it.
///
/// ```
/// use weave::io::AsyncBufReadExt;
///
/// # weave::runtime::Runtime::new().unwrap().block_on(async {
/// let mut src: &[u8] = b"key=value\nnext";
/// let mut key = Vec::new();
/// src.read_until(b'=', &mut key).await?;
/// assert_eq!(key, b"key=");
/// let mut line = String::new();
/// src.read_line(&mut line).await?;
/// assert_eq!(line, "value\n");
/// # Ok::<_, std::io::Error>(()) }).unwrap();
/// ```
pub trait AsyncBufReadExt: AsyncBufRead {
    /// Reads bytes up to and including `byte` (or to end of file) and
    /// appends them to `buf`; returns how many were read.
    ///
    /// Like:
    ///
    /// ```text
    /// async fn read_until(&mut self, byte: u8, buf: &mut Vec<u8>) -> io::Result<usize>;
    /// ```
    ///
    /// `Ok(0)` means end of file.
    ///
    /// # Errors
    ///
    /// An I/O error of the reader; the bytes read before it stay in `buf`.
    /// `Interrupted` is retried.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe in the sense that nothing is lost: if the future is
    /// dropped before it completes, the bytes read so far are already in
    /// `buf`, and calling again continues up to `byte` (the returned count
    /// then covers only the new call).
    ///
    /// ```
    /// use weave::io::AsyncBufReadExt;
    ///
    /// # weave::runtime::Runtime::new().unwrap().block_on(async {
    /// let mut src: &[u8] = b"a;b";
    /// let mut buf = Vec::new();
    /// assert_eq!(src.read_until(b';', &mut buf).await?, 2);
    /// assert_eq!(src.read_until(b';', &mut buf).await?, 1);
    /// assert_eq!(src.read_until(b';', &mut buf).await?, 0);
    /// assert_eq!(buf, b"a;b");
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    fn read_until<'a>(&'a mut self, byte: u8, buf: &'a mut Vec<u8>) -> ReadUntil<'a, Self>
    where
        Self: Unpin,
    {
        ReadUntil::new(self, byte, buf)
    }

    /// Reads a line, up to and including `\n` (or to end of file), and
    /// appends it to `buf`; returns how many bytes were read.
    ///
    /// Like:
    ///
    /// ```text
    /// async fn read_line(&mut self, buf: &mut String) -> io::Result<usize>;
    /// ```
    ///
    /// `Ok(0)` means end of file. The line ending (`\n` or `\r\n`) is kept;
    /// see [`lines`](AsyncBufReadExt::lines) for lines without it.
    ///
    /// # Errors
    ///
    /// `InvalidData` if the line is not UTF-8: the whole line is still
    /// consumed and `buf` is left unchanged. After another I/O error, `buf`
    /// holds the valid text read before it. `Interrupted` is retried.
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe. If the future is dropped before it completes, the
    /// text read so far has already been appended to `buf`, except the
    /// bytes of a character that was not complete yet (at most 3), which
    /// are lost; a line that had invalid UTF-8 may have part of its valid
    /// prefix in `buf`. (Tokio documents no guarantee here.) For a
    /// cancel-safe way to read lines, use [`lines`](AsyncBufReadExt::lines)
    /// and [`Lines::next_line`], or `read_until(b'\n', ..)`.
    ///
    /// ```
    /// use weave::io::AsyncBufReadExt;
    ///
    /// # weave::runtime::Runtime::new().unwrap().block_on(async {
    /// let mut src: &[u8] = b"first\r\nsecond";
    /// let mut buf = String::new();
    /// assert_eq!(src.read_line(&mut buf).await?, 7);
    /// assert_eq!(src.read_line(&mut buf).await?, 6);
    /// assert_eq!(src.read_line(&mut buf).await?, 0);
    /// assert_eq!(buf, "first\r\nsecond");
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    fn read_line<'a>(&'a mut self, buf: &'a mut String) -> ReadLine<'a, Self>
    where
        Self: Unpin,
    {
        ReadLine::new(self, buf)
    }

    /// Makes a [`Split`]: the segments of this reader between `byte`s,
    /// without the delimiter.
    ///
    /// # Errors
    ///
    /// Each segment can fail as [`read_until`](AsyncBufReadExt::read_until)
    /// can.
    ///
    /// ```
    /// use weave::io::AsyncBufReadExt;
    ///
    /// # weave::runtime::Runtime::new().unwrap().block_on(async {
    /// // On a plain `&[u8]`, `.split` would be the slice method; use a `Cursor`.
    /// let mut fields = std::io::Cursor::new(b"x\0yz\0").split(0);
    /// assert_eq!(fields.next_segment().await?.as_deref(), Some(&b"x"[..]));
    /// assert_eq!(fields.next_segment().await?.as_deref(), Some(&b"yz"[..]));
    /// assert_eq!(fields.next_segment().await?, None);
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    fn split(self, byte: u8) -> Split<Self>
    where
        Self: Sized + Unpin,
    {
        Split::new(self, byte)
    }

    /// Returns the buffered data, reading more first if the buffer is
    /// empty. An empty slice means end of file. Call
    /// [`consume`](AsyncBufReadExt::consume) to mark bytes as read.
    ///
    /// Like:
    ///
    /// ```text
    /// async fn fill_buf(&mut self) -> io::Result<&[u8]>;
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: if the future is dropped before it completes, no data
    /// was consumed.
    ///
    /// ```
    /// use weave::io::AsyncBufReadExt;
    ///
    /// # weave::runtime::Runtime::new().unwrap().block_on(async {
    /// let mut src: &[u8] = b"peek";
    /// assert_eq!(src.fill_buf().await?, b"peek");
    /// src.consume(2);
    /// assert_eq!(src.fill_buf().await?, b"ek");
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    fn fill_buf(&mut self) -> FillBuf<'_, Self>
    where
        Self: Unpin,
    {
        FillBuf::new(self)
    }

    /// Marks `amt` bytes of the data returned by
    /// [`fill_buf`](AsyncBufReadExt::fill_buf) as read.
    fn consume(&mut self, amt: usize)
    where
        Self: Unpin,
    {
        AsyncBufRead::consume(Pin::new(self), amt)
    }

    /// Makes a [`Lines`]: the lines of this reader as `String`s, without
    /// `\n` or `\r\n`.
    ///
    /// # Errors
    ///
    /// Each line can fail as [`read_line`](AsyncBufReadExt::read_line) can.
    ///
    /// ```
    /// use weave::io::AsyncBufReadExt;
    ///
    /// # weave::runtime::Runtime::new().unwrap().block_on(async {
    /// let mut lines = (&b"a\nb\r\n"[..]).lines();
    /// assert_eq!(lines.next_line().await?.as_deref(), Some("a"));
    /// assert_eq!(lines.next_line().await?.as_deref(), Some("b"));
    /// assert_eq!(lines.next_line().await?, None);
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    fn lines(self) -> Lines<Self>
    where
        Self: Sized,
    {
        Lines::new(self)
    }
}

impl<R: AsyncBufRead + ?Sized> AsyncBufReadExt for R {}
