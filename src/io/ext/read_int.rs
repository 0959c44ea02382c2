//! The futures of `AsyncReadExt::read_u8` ... `read_f64_le`.
//!
//! Each reads exactly `size_of::<T>()` bytes into a small array (resuming
//! after `Pending`) and decodes them with `from_be_bytes` / `from_le_bytes`.

use super::read_futures::poll_read_exact;
use crate::io::{AsyncRead, ReadBuf};
use std::future::Future;
use std::io;
use std::mem::size_of;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

macro_rules! read_number {
    ($($name:ident => $ty:ty, $from:ident, $method:literal;)*) => {$(
        #[doc = concat!("Future of [`AsyncReadExt::", $method, "`](super::AsyncReadExt::", $method, ").")]
        #[derive(Debug)]
        #[must_use = "futures do nothing unless you .await or poll them"]
        pub struct $name<R> {
            reader: R,
            buf: [u8; size_of::<$ty>()],
            filled: usize,
        }

        impl<R> $name<R> {
            pub(super) fn new(reader: R) -> Self {
                $name {
                    reader,
                    buf: [0; size_of::<$ty>()],
                    filled: 0,
                }
            }
        }

        impl<R: AsyncRead + Unpin> Future for $name<R> {
            type Output = io::Result<$ty>;

            fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<$ty>> {
                let me = self.get_mut();
                ready!(poll_read_exact(Pin::new(&mut me.reader), cx, &mut me.buf, &mut me.filled))?;
                Poll::Ready(Ok(<$ty>::$from(me.buf)))
            }
        }
    )*};
}

read_number! {
    ReadU16 => u16, from_be_bytes, "read_u16";
    ReadI16 => i16, from_be_bytes, "read_i16";
    ReadU32 => u32, from_be_bytes, "read_u32";
    ReadI32 => i32, from_be_bytes, "read_i32";
    ReadU64 => u64, from_be_bytes, "read_u64";
    ReadI64 => i64, from_be_bytes, "read_i64";
    ReadU128 => u128, from_be_bytes, "read_u128";
    ReadI128 => i128, from_be_bytes, "read_i128";
    ReadF32 => f32, from_be_bytes, "read_f32";
    ReadF64 => f64, from_be_bytes, "read_f64";
    ReadU16Le => u16, from_le_bytes, "read_u16_le";
    ReadI16Le => i16, from_le_bytes, "read_i16_le";
    ReadU32Le => u32, from_le_bytes, "read_u32_le";
    ReadI32Le => i32, from_le_bytes, "read_i32_le";
    ReadU64Le => u64, from_le_bytes, "read_u64_le";
    ReadI64Le => i64, from_le_bytes, "read_i64_le";
    ReadU128Le => u128, from_le_bytes, "read_u128_le";
    ReadI128Le => i128, from_le_bytes, "read_i128_le";
    ReadF32Le => f32, from_le_bytes, "read_f32_le";
    ReadF64Le => f64, from_le_bytes, "read_f64_le";
}

macro_rules! read_byte {
    ($($name:ident => $ty:ty, $method:literal;)*) => {$(
        #[doc = concat!("Future of [`AsyncReadExt::", $method, "`](super::AsyncReadExt::", $method, ").")]
        ///
        /// It completes in the poll that reads its byte, so dropping it never
        /// loses data.
        #[derive(Debug)]
        #[must_use = "futures do nothing unless you .await or poll them"]
        pub struct $name<R> {
            reader: R,
        }

        impl<R> $name<R> {
            pub(super) fn new(reader: R) -> Self {
                $name { reader }
            }
        }

        impl<R: AsyncRead + Unpin> Future for $name<R> {
            type Output = io::Result<$ty>;

            fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<$ty>> {
                let me = self.get_mut();
                let mut byte = [0u8; 1];
                loop {
                    let mut buf = ReadBuf::new(&mut byte);
                    match ready!(Pin::new(&mut me.reader).poll_read(cx, &mut buf)) {
                        Ok(()) if buf.filled().is_empty() => {
                            return Poll::Ready(Err(super::eof_error()))
                        }
                        Ok(()) => return Poll::Ready(Ok(<$ty>::from_be_bytes(byte))),
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        Err(e) => return Poll::Ready(Err(e)),
                    }
                }
            }
        }
    )*};
}

read_byte! {
    ReadU8 => u8, "read_u8";
    ReadI8 => i8, "read_i8";
}
