//! `AsyncReadExt`: `async fn`-style reading methods for every `AsyncRead`.

use super::chain::Chain;
use super::read_futures::{Read, ReadExact, ReadIntoBuf};
use super::read_int::*;
use super::read_to_end::{ReadToEnd, ReadToString};
use super::take::Take;
use crate::io::AsyncRead;
use bytes::BufMut;

/// Declares the fixed-size number readers with their docs.
macro_rules! read_number_methods {
    ($($method:ident -> $fut:ident, $ty:ty, $order:literal, $example:literal, $value:expr;)*) => {$(
        #[doc = concat!("Reads a `", stringify!($ty), "` in ", $order, " byte order.")]
        ///
        /// Like:
        ///
        /// ```text
        #[doc = concat!("async fn ", stringify!($method), "(&mut self) -> io::Result<", stringify!($ty), ">;")]
        /// ```
        ///
        /// # Errors
        ///
        /// `UnexpectedEof` if the source ends before the value is complete,
        /// or an I/O error of the reader.
        ///
        /// # Cancel safety
        ///
        /// Not cancel safe: if the future is dropped after reading part of
        /// the value, those bytes are lost.
        ///
        /// ```
        /// use weave::io::AsyncReadExt;
        ///
        /// # weave::runtime::Runtime::new().unwrap().block_on(async {
        #[doc = concat!("let mut src: &[u8] = &", $example, ";")]
        #[doc = concat!("assert_eq!(src.", stringify!($method), "().await?, ", stringify!($value), ");")]
        /// # Ok::<_, std::io::Error>(()) }).unwrap();
        /// ```
        fn $method(&mut self) -> $fut<&mut Self>
        where
            Self: Unpin,
        {
            $fut::new(self)
        }
    )*};
}

/// Reading methods for every [`AsyncRead`] (Tokio's `AsyncReadExt`); bring
/// the trait into scope to use them.
///
/// Each method returns a future; nothing happens until it is awaited or
/// polled.
///
/// ```
/// use weave::io::AsyncReadExt;
///
/// # weave::runtime::Runtime::new().unwrap().block_on(async {
/// let mut src: &[u8] = b"\x00\x2a rest";
/// assert_eq!(src.read_u16().await?, 42);
/// let mut rest = Vec::new();
/// src.read_to_end(&mut rest).await?;
/// assert_eq!(rest, b" rest");
/// # Ok::<_, std::io::Error>(()) }).unwrap();
/// ```
pub trait AsyncReadExt: AsyncRead {
    /// Makes a reader that yields everything from `self`, then everything
    /// from `next`.
    ///
    /// ```
    /// use weave::io::AsyncReadExt;
    ///
    /// # weave::runtime::Runtime::new().unwrap().block_on(async {
    /// let mut out = Vec::new();
    /// (&b"ab"[..]).chain(&b"cd"[..]).read_to_end(&mut out).await?;
    /// assert_eq!(out, b"abcd");
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    fn chain<R>(self, next: R) -> Chain<Self, R>
    where
        Self: Sized,
        R: AsyncRead,
    {
        Chain::new(self, next)
    }

    /// Reads some bytes into `buf` and returns how many.
    ///
    /// Like:
    ///
    /// ```text
    /// async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize>;
    /// ```
    ///
    /// `Ok(0)` means end of file if `buf` is not empty. Fewer bytes than
    /// `buf.len()` is not an error.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: if the future is dropped before it completes, no data
    /// was read.
    ///
    /// ```
    /// use weave::io::AsyncReadExt;
    ///
    /// # weave::runtime::Runtime::new().unwrap().block_on(async {
    /// let mut src: &[u8] = b"hello";
    /// let mut buf = [0u8; 3];
    /// assert_eq!(src.read(&mut buf).await?, 3);
    /// assert_eq!(&buf, b"hel");
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    fn read<'a>(&'a mut self, buf: &'a mut [u8]) -> Read<'a, Self>
    where
        Self: Unpin,
    {
        Read::new(self, buf)
    }

    /// Reads some bytes into the writable part of `buf` (a
    /// [`bytes::BufMut`], such as `BytesMut` or `Vec<u8>`), advances it, and
    /// returns how many.
    ///
    /// Like:
    ///
    /// ```text
    /// async fn read_buf<B: BufMut + ?Sized>(&mut self, buf: &mut B) -> io::Result<usize>;
    /// ```
    ///
    /// The reader writes straight into `buf`'s spare memory, which is not
    /// zeroed first. Returns `Ok(0)` at end of file, or at once if `buf`
    /// has no room left.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: if the future is dropped before it completes, no data
    /// was read.
    ///
    /// ```
    /// use weave::io::AsyncReadExt;
    ///
    /// # weave::runtime::Runtime::new().unwrap().block_on(async {
    /// let mut src: &[u8] = b"hello";
    /// let mut buf = Vec::with_capacity(16);
    /// while src.read_buf(&mut buf).await? != 0 {}
    /// assert_eq!(buf, b"hello");
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    fn read_buf<'a, B>(&'a mut self, buf: &'a mut B) -> ReadIntoBuf<'a, Self, B>
    where
        Self: Unpin,
        B: BufMut + ?Sized,
    {
        ReadIntoBuf::new(self, buf)
    }

    /// Reads exactly `buf.len()` bytes, and returns that number.
    ///
    /// Like:
    ///
    /// ```text
    /// async fn read_exact(&mut self, buf: &mut [u8]) -> io::Result<usize>;
    /// ```
    ///
    /// # Errors
    ///
    /// `UnexpectedEof` if the source ends first (the contents of `buf` are
    /// then unspecified), or an I/O error of the reader. `Interrupted` is
    /// retried.
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe: if the future is dropped before it completes, some
    /// data may already have been read into `buf`.
    ///
    /// ```
    /// use weave::io::AsyncReadExt;
    ///
    /// # weave::runtime::Runtime::new().unwrap().block_on(async {
    /// let mut src: &[u8] = b"hello";
    /// let mut buf = [0u8; 4];
    /// src.read_exact(&mut buf).await?;
    /// assert_eq!(&buf, b"hell");
    /// let err = src.read_exact(&mut buf).await.unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    fn read_exact<'a>(&'a mut self, buf: &'a mut [u8]) -> ReadExact<'a, Self>
    where
        Self: Unpin,
    {
        ReadExact::new(self, buf)
    }

    /// Reads one `u8`.
    ///
    /// Like:
    ///
    /// ```text
    /// async fn read_u8(&mut self) -> io::Result<u8>;
    /// ```
    ///
    /// # Errors
    ///
    /// `UnexpectedEof` at end of file, or an I/O error of the reader.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: if the future is dropped before it completes, no data
    /// was read.
    ///
    /// ```
    /// use weave::io::AsyncReadExt;
    ///
    /// # weave::runtime::Runtime::new().unwrap().block_on(async {
    /// let mut src: &[u8] = &[7, 255];
    /// assert_eq!(src.read_u8().await?, 7);
    /// assert_eq!(src.read_i8().await?, -1);
    /// assert!(src.read_u8().await.is_err());
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    fn read_u8(&mut self) -> ReadU8<&mut Self>
    where
        Self: Unpin,
    {
        ReadU8::new(self)
    }

    /// Reads one `i8`.
    ///
    /// Like:
    ///
    /// ```text
    /// async fn read_i8(&mut self) -> io::Result<i8>;
    /// ```
    ///
    /// # Errors
    ///
    /// `UnexpectedEof` at end of file, or an I/O error of the reader.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: if the future is dropped before it completes, no data
    /// was read.
    fn read_i8(&mut self) -> ReadI8<&mut Self>
    where
        Self: Unpin,
    {
        ReadI8::new(self)
    }

    read_number_methods! {
        read_u16 -> ReadU16, u16, "big-endian", "[1, 2]", 0x0102;
        read_i16 -> ReadI16, i16, "big-endian", "[0xff, 0xfe]", -2;
        read_u32 -> ReadU32, u32, "big-endian", "[1, 2, 3, 4]", 0x0102_0304;
        read_i32 -> ReadI32, i32, "big-endian", "[0xff, 0xff, 0xff, 0xfe]", -2;
        read_u64 -> ReadU64, u64, "big-endian", "[0, 0, 0, 0, 0, 0, 1, 2]", 0x0102;
        read_i64 -> ReadI64, i64, "big-endian", "[0xff; 8]", -1;
        read_u128 -> ReadU128, u128, "big-endian", "9u128.to_be_bytes()", 9;
        read_i128 -> ReadI128, i128, "big-endian", "[0xff; 16]", -1;
        read_f32 -> ReadF32, f32, "big-endian", "1.5f32.to_be_bytes()", 1.5;
        read_f64 -> ReadF64, f64, "big-endian", "(-0.25f64).to_be_bytes()", -0.25;
        read_u16_le -> ReadU16Le, u16, "little-endian", "[2, 1]", 0x0102;
        read_i16_le -> ReadI16Le, i16, "little-endian", "[0xfe, 0xff]", -2;
        read_u32_le -> ReadU32Le, u32, "little-endian", "[4, 3, 2, 1]", 0x0102_0304;
        read_i32_le -> ReadI32Le, i32, "little-endian", "[0xfe, 0xff, 0xff, 0xff]", -2;
        read_u64_le -> ReadU64Le, u64, "little-endian", "[2, 1, 0, 0, 0, 0, 0, 0]", 0x0102;
        read_i64_le -> ReadI64Le, i64, "little-endian", "[0xff; 8]", -1;
        read_u128_le -> ReadU128Le, u128, "little-endian", "9u128.to_le_bytes()", 9;
        read_i128_le -> ReadI128Le, i128, "little-endian", "[0xff; 16]", -1;
        read_f32_le -> ReadF32Le, f32, "little-endian", "1.5f32.to_le_bytes()", 1.5;
        read_f64_le -> ReadF64Le, f64, "little-endian", "(-0.25f64).to_le_bytes()", -0.25;
    }

    /// Reads everything until end of file and appends it to `buf`; returns
    /// the number of bytes appended.
    ///
    /// Like:
    ///
    /// ```text
    /// async fn read_to_end(&mut self, buf: &mut Vec<u8>) -> io::Result<usize>;
    /// ```
    ///
    /// The reader fills `buf`'s spare capacity directly (it is not zeroed
    /// first) and `buf` grows geometrically, so the work is linear in the
    /// data. A `Vec` that already has exactly the right capacity is not
    /// grown.
    ///
    /// # Errors
    ///
    /// An I/O error of the reader; the bytes read before it stay in `buf`.
    /// `Interrupted` is retried.
    ///
    /// # Cancel safety
    ///
    /// If the future is dropped before it completes, the bytes read so far
    /// stay in `buf` and nothing is lost, but the count is not reported.
    ///
    /// ```
    /// use weave::io::AsyncReadExt;
    ///
    /// # weave::runtime::Runtime::new().unwrap().block_on(async {
    /// let mut buf = b"> ".to_vec();
    /// let n = (&b"all of it"[..]).read_to_end(&mut buf).await?;
    /// assert_eq!(n, 9);
    /// assert_eq!(buf, b"> all of it");
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    fn read_to_end<'a>(&'a mut self, buf: &'a mut Vec<u8>) -> ReadToEnd<'a, Self>
    where
        Self: Unpin,
    {
        ReadToEnd::new(self, buf)
    }

    /// Reads everything until end of file and appends it to `buf` as text;
    /// returns the number of bytes appended.
    ///
    /// Like:
    ///
    /// ```text
    /// async fn read_to_string(&mut self, buf: &mut String) -> io::Result<usize>;
    /// ```
    ///
    /// # Errors
    ///
    /// `InvalidData` if the data is not UTF-8; `buf` is then unchanged.
    /// After another I/O error, `buf` holds the text read before it (if all
    /// of it was valid UTF-8; otherwise `buf` is unchanged).
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe. While the future is alive, `buf`'s text is held by
    /// the future and `buf` is empty. If it is dropped before completing,
    /// `buf` gets back its old text plus the longest valid UTF-8 prefix of
    /// what was read; bytes after it (at most the start of a character,
    /// unless the data was invalid) are lost. Tokio documents no guarantee
    /// here.
    ///
    /// ```
    /// use weave::io::AsyncReadExt;
    ///
    /// # weave::runtime::Runtime::new().unwrap().block_on(async {
    /// let mut text = String::from("héllo");
    /// (&" wörld".as_bytes()[..]).read_to_string(&mut text).await?;
    /// assert_eq!(text, "héllo wörld");
    ///
    /// let err = (&b"\xff"[..]).read_to_string(&mut text).await.unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    /// assert_eq!(text, "héllo wörld");
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    fn read_to_string<'a>(&'a mut self, dst: &'a mut String) -> ReadToString<'a, Self>
    where
        Self: Unpin,
    {
        ReadToString::new(self, dst)
    }

    /// Makes a reader that yields at most `limit` bytes of `self`, then
    /// reports end of file. See [`Take`].
    ///
    /// ```
    /// use weave::io::AsyncReadExt;
    ///
    /// # weave::runtime::Runtime::new().unwrap().block_on(async {
    /// let mut out = Vec::new();
    /// (&b"abcdef"[..]).take(4).read_to_end(&mut out).await?;
    /// assert_eq!(out, b"abcd");
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    fn take(self, limit: u64) -> Take<Self>
    where
        Self: Sized,
    {
        Take::new(self, limit)
    }
}

impl<R: AsyncRead + ?Sized> AsyncReadExt for R {}
