//! The futures of `AsyncWriteExt::write_u8` ... `write_f64_le`.
//!
//! Each encodes its value into a small array when created (`to_be_bytes` /
//! `to_le_bytes`) and then writes all of it, resuming after `Pending`.

use super::write_futures::poll_write_all;
use crate::io::AsyncWrite;
use std::future::Future;
use std::io;
use std::mem::size_of;
use std::pin::Pin;
use std::task::{Context, Poll};

macro_rules! write_number {
    ($($name:ident => $ty:ty, $to:ident, $method:literal;)*) => {$(
        #[doc = concat!("Future of [`AsyncWriteExt::", $method, "`](super::AsyncWriteExt::", $method, ").")]
        #[derive(Debug)]
        #[must_use = "futures do nothing unless you .await or poll them"]
        pub struct $name<W> {
            writer: W,
            buf: [u8; size_of::<$ty>()],
            written: usize,
        }

        impl<W> $name<W> {
            pub(super) fn new(writer: W, value: $ty) -> Self {
                $name {
                    writer,
                    buf: value.$to(),
                    written: 0,
                }
            }
        }

        impl<W: AsyncWrite + Unpin> Future for $name<W> {
            type Output = io::Result<()>;

            fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                let me = self.get_mut();
                let mut rest = &me.buf[me.written..];
                let res = poll_write_all(Pin::new(&mut me.writer), cx, &mut rest);
                me.written = me.buf.len() - rest.len();
                res
            }
        }
    )*};
}

write_number! {
    WriteU8 => u8, to_be_bytes, "write_u8";
    WriteI8 => i8, to_be_bytes, "write_i8";
    WriteU16 => u16, to_be_bytes, "write_u16";
    WriteI16 => i16, to_be_bytes, "write_i16";
    WriteU32 => u32, to_be_bytes, "write_u32";
    WriteI32 => i32, to_be_bytes, "write_i32";
    WriteU64 => u64, to_be_bytes, "write_u64";
    WriteI64 => i64, to_be_bytes, "write_i64";
    WriteU128 => u128, to_be_bytes, "write_u128";
    WriteI128 => i128, to_be_bytes, "write_i128";
    WriteF32 => f32, to_be_bytes, "write_f32";
    WriteF64 => f64, to_be_bytes, "write_f64";
    WriteU16Le => u16, to_le_bytes, "write_u16_le";
    WriteI16Le => i16, to_le_bytes, "write_i16_le";
    WriteU32Le => u32, to_le_bytes, "write_u32_le";
    WriteI32Le => i32, to_le_bytes, "write_i32_le";
    WriteU64Le => u64, to_le_bytes, "write_u64_le";
    WriteI64Le => i64, to_le_bytes, "write_i64_le";
    WriteU128Le => u128, to_le_bytes, "write_u128_le";
    WriteI128Le => i128, to_le_bytes, "write_i128_le";
    WriteF32Le => f32, to_le_bytes, "write_f32_le";
    WriteF64Le => f64, to_le_bytes, "write_f64_le";
}
