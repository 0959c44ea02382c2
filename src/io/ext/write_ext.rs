//! `AsyncWriteExt`: `async fn`-style writing methods for every `AsyncWrite`.

use super::write_futures::{
    Flush, Shutdown, Write, WriteAll, WriteAllBuf, WriteBuf, WriteVectored,
};
use super::write_int::*;
use crate::io::AsyncWrite;
use bytes::Buf;
use std::io::IoSlice;

/// Declares the number writers with their docs.
macro_rules! write_number_methods {
    ($($method:ident($ty:ty) -> $fut:ident, $order:literal, $value:expr, $bytes:expr;)*) => {$(
        #[doc = concat!("Writes a `", stringify!($ty), "`", $order, ".")]
        ///
        /// Like:
        ///
        /// ```text
        #[doc = concat!("async fn ", stringify!($method), "(&mut self, n: ", stringify!($ty), ") -> io::Result<()>;")]
        /// ```
        ///
        /// # Errors
        ///
        /// `WriteZero` if the writer stops taking bytes, or its I/O error.
        ///
        /// # Cancel safety
        ///
        /// Not cancel safe: if the future is dropped before it completes,
        /// part of the value may have been written.
        ///
        /// ```
        /// use weave::io::AsyncWriteExt;
        ///
        /// # weave::runtime::Runtime::new().unwrap().block_on(async {
        /// let mut out = Vec::new();
        #[doc = concat!("out.", stringify!($method), "(", stringify!($value), ").await?;")]
        #[doc = concat!("assert_eq!(out, ", stringify!($bytes), ");")]
        /// # Ok::<_, std::io::Error>(()) }).unwrap();
        /// ```
        fn $method(&mut self, n: $ty) -> $fut<&mut Self>
        where
            Self: Unpin,
        {
            $fut::new(self, n)
        }
    )*};
}

/// Writing methods for every [`AsyncWrite`] (Tokio's `AsyncWriteExt`); bring
/// the trait into scope to use them.
///
/// Each method returns a future; nothing happens until it is awaited or
/// polled.
///
/// ```
/// use weave::io::AsyncWriteExt;
///
/// # weave::runtime::Runtime::new().unwrap().block_on(async {
/// let mut out = Vec::new();
/// out.write_u32(7).await?;
/// out.write_all(b"seven").await?;
/// out.flush().await?;
/// assert_eq!(out, b"\0\0\0\x07seven");
/// # Ok::<_, std::io::Error>(()) }).unwrap();
/// ```
pub trait AsyncWriteExt: AsyncWrite {
    /// Writes some of `src` and returns how many bytes were taken.
    ///
    /// Like:
    ///
    /// ```text
    /// async fn write(&mut self, src: &[u8]) -> io::Result<usize>;
    /// ```
    ///
    /// Taking fewer bytes than `src.len()` is not an error; `Ok(0)` for a
    /// non-empty `src` means the writer can take no more.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: if the future is dropped before it completes, nothing
    /// was written.
    ///
    /// ```
    /// use weave::io::AsyncWriteExt;
    ///
    /// # weave::runtime::Runtime::new().unwrap().block_on(async {
    /// let mut out = Vec::new();
    /// let n = out.write(b"hi").await?;
    /// assert_eq!(&out[..n], b"hi");
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    fn write<'a>(&'a mut self, src: &'a [u8]) -> Write<'a, Self>
    where
        Self: Unpin,
    {
        Write::new(self, src)
    }

    /// Writes some of the bytes in `bufs`, in order, and returns how many
    /// were taken. See [`AsyncWrite::poll_write_vectored`].
    ///
    /// Like:
    ///
    /// ```text
    /// async fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize>;
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: if the future is dropped before it completes, nothing
    /// was written.
    ///
    /// ```
    /// use std::io::IoSlice;
    /// use weave::io::AsyncWriteExt;
    ///
    /// # weave::runtime::Runtime::new().unwrap().block_on(async {
    /// let mut out = Vec::new();
    /// let n = out.write_vectored(&[IoSlice::new(b"ab"), IoSlice::new(b"cd")]).await?;
    /// assert_eq!(&out[..n], &b"abcd"[..n]);
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    fn write_vectored<'a, 'b>(&'a mut self, bufs: &'a [IoSlice<'b>]) -> WriteVectored<'a, 'b, Self>
    where
        Self: Unpin,
    {
        WriteVectored::new(self, bufs)
    }

    /// Writes some of `src` (a [`bytes::Buf`]), advances it past what was
    /// taken, and returns how many bytes that was.
    ///
    /// Like:
    ///
    /// ```text
    /// async fn write_buf<B: Buf>(&mut self, src: &mut B) -> io::Result<usize>;
    /// ```
    ///
    /// Returns `Ok(0)` at once if `src` is empty. When the writer prefers
    /// vectored writes, several chunks of `src` go in one call.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: if the future is dropped before it completes, nothing
    /// was written and `src` was not advanced.
    ///
    /// ```
    /// use weave::io::AsyncWriteExt;
    ///
    /// # weave::runtime::Runtime::new().unwrap().block_on(async {
    /// let mut src: &[u8] = b"data";
    /// let mut out = Vec::new();
    /// while out.write_buf(&mut src).await? != 0 {}
    /// assert_eq!(out, b"data");
    /// assert!(src.is_empty());
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    fn write_buf<'a, B>(&'a mut self, src: &'a mut B) -> WriteBuf<'a, Self, B>
    where
        Self: Sized + Unpin,
        B: Buf,
    {
        WriteBuf::new(self, src)
    }

    /// Writes all of `src` (a [`bytes::Buf`]), advancing it as bytes are
    /// taken.
    ///
    /// Like:
    ///
    /// ```text
    /// async fn write_all_buf<B: Buf>(&mut self, src: &mut B) -> io::Result<()>;
    /// ```
    ///
    /// # Errors
    ///
    /// `WriteZero` if the writer stops taking bytes, or its I/O error;
    /// `src` is then advanced past what was written. `Interrupted` is
    /// retried.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe in the sense that nothing is lost: if the future is
    /// dropped before it completes, `src` is advanced past exactly the bytes
    /// written, and calling again writes the rest.
    ///
    /// ```
    /// use bytes::Buf;
    /// use weave::io::AsyncWriteExt;
    ///
    /// # weave::runtime::Runtime::new().unwrap().block_on(async {
    /// let mut src = (&b"head "[..]).chain(&b"tail"[..]);
    /// let mut out = Vec::new();
    /// out.write_all_buf(&mut src).await?;
    /// assert_eq!(out, b"head tail");
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    fn write_all_buf<'a, B>(&'a mut self, src: &'a mut B) -> WriteAllBuf<'a, Self, B>
    where
        Self: Sized + Unpin,
        B: Buf,
    {
        WriteAllBuf::new(self, src)
    }

    /// Writes all of `src`.
    ///
    /// Like:
    ///
    /// ```text
    /// async fn write_all(&mut self, src: &[u8]) -> io::Result<()>;
    /// ```
    ///
    /// # Errors
    ///
    /// `WriteZero` if the writer stops taking bytes (a write returns
    /// `Ok(0)`), or its I/O error. `Interrupted` is retried.
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe: if the future is dropped before it completes, an
    /// unknown part of `src` may have been written.
    ///
    /// ```
    /// use weave::io::AsyncWriteExt;
    ///
    /// # weave::runtime::Runtime::new().unwrap().block_on(async {
    /// let mut out = Vec::new();
    /// out.write_all(b"every byte").await?;
    /// assert_eq!(out, b"every byte");
    ///
    /// let mut storage = [0u8; 2];
    /// let mut full = std::io::Cursor::new(&mut storage[..]);
    /// let err = full.write_all(b"abc").await.unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::WriteZero);
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    fn write_all<'a>(&'a mut self, src: &'a [u8]) -> WriteAll<'a, Self>
    where
        Self: Unpin,
    {
        WriteAll::new(self, src)
    }

    write_number_methods! {
        write_u8(u8) -> WriteU8, "", 7, [7];
        write_i8(i8) -> WriteI8, "", -1, [0xff];
        write_u16(u16) -> WriteU16, " in big-endian byte order", 0x0102, [1, 2];
        write_i16(i16) -> WriteI16, " in big-endian byte order", -2, [0xff, 0xfe];
        write_u32(u32) -> WriteU32, " in big-endian byte order", 0x0102_0304, [1, 2, 3, 4];
        write_i32(i32) -> WriteI32, " in big-endian byte order", -2, [0xff, 0xff, 0xff, 0xfe];
        write_u64(u64) -> WriteU64, " in big-endian byte order", 0x0102, [0, 0, 0, 0, 0, 0, 1, 2];
        write_i64(i64) -> WriteI64, " in big-endian byte order", -1, [0xff; 8];
        write_u128(u128) -> WriteU128, " in big-endian byte order", 9, 9u128.to_be_bytes();
        write_i128(i128) -> WriteI128, " in big-endian byte order", -1, [0xff; 16];
        write_f32(f32) -> WriteF32, " in big-endian byte order", 1.5, [0x3f, 0xc0, 0, 0];
        write_f64(f64) -> WriteF64, " in big-endian byte order", -0.25, (-0.25f64).to_be_bytes();
        write_u16_le(u16) -> WriteU16Le, " in little-endian byte order", 0x0102, [2, 1];
        write_i16_le(i16) -> WriteI16Le, " in little-endian byte order", -2, [0xfe, 0xff];
        write_u32_le(u32) -> WriteU32Le, " in little-endian byte order", 0x0102_0304, [4, 3, 2, 1];
        write_i32_le(i32) -> WriteI32Le, " in little-endian byte order", -2, [0xfe, 0xff, 0xff, 0xff];
        write_u64_le(u64) -> WriteU64Le, " in little-endian byte order", 0x0102, [2, 1, 0, 0, 0, 0, 0, 0];
        write_i64_le(i64) -> WriteI64Le, " in little-endian byte order", -1, [0xff; 8];
        write_u128_le(u128) -> WriteU128Le, " in little-endian byte order", 9, 9u128.to_le_bytes();
        write_i128_le(i128) -> WriteI128Le, " in little-endian byte order", -1, [0xff; 16];
        write_f32_le(f32) -> WriteF32Le, " in little-endian byte order", 1.5, [0, 0, 0xc0, 0x3f];
        write_f64_le(f64) -> WriteF64Le, " in little-endian byte order", -0.25, (-0.25f64).to_le_bytes();
    }

    /// Flushes buffered data through to the underlying sink.
    ///
    /// Like:
    ///
    /// ```text
    /// async fn flush(&mut self) -> io::Result<()>;
    /// ```
    fn flush(&mut self) -> Flush<'_, Self>
    where
        Self: Unpin,
    {
        Flush::new(self)
    }

    /// Flushes and shuts the writer down (for a TCP stream: sends FIN).
    ///
    /// Like:
    ///
    /// ```text
    /// async fn shutdown(&mut self) -> io::Result<()>;
    /// ```
    fn shutdown(&mut self) -> Shutdown<'_, Self>
    where
        Self: Unpin,
    {
        Shutdown::new(self)
    }
}

impl<W: AsyncWrite + ?Sized> AsyncWriteExt for W {}
