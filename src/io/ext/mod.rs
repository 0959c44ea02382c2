//! Extension traits: `AsyncReadExt`, `AsyncWriteExt`, `AsyncBufReadExt`, `AsyncSeekExt`.
//!
//! Each trait method returns a named future (a plain struct, `Unpin` when the
//! reader or writer is) that borrows the I/O object; the futures only need a
//! `Waker`, so they run under any executor. Adapters that own their reader
//! ([`Take`], [`Chain`], [`Lines`], [`Split`]) are pin-projected so that they
//! also work with `!Unpin` readers.
//!
//! The future types live in private modules, as in Tokio: they can be
//! stored and polled, but not named.

mod buf_read_ext;
mod chain;
mod fill_buf;
mod lines;
mod memchr;
mod read_ext;
mod read_futures;
mod read_int;
mod read_line;
mod read_to_end;
mod read_until;
mod seek_ext;
mod split;
mod take;
mod write_ext;
mod write_futures;
mod write_int;

pub use buf_read_ext::AsyncBufReadExt;
pub use chain::Chain;
pub use lines::Lines;
pub use read_ext::AsyncReadExt;
pub use seek_ext::AsyncSeekExt;
pub use split::Split;
pub use take::Take;
pub use write_ext::AsyncWriteExt;

use std::io;

/// The error a fixed-size read returns when the source ends first.
fn eof_error() -> io::Error {
    io::Error::new(io::ErrorKind::UnexpectedEof, "early eof")
}

/// The error a write-everything operation returns when the sink takes no more.
fn write_zero_error() -> io::Error {
    io::Error::new(io::ErrorKind::WriteZero, "failed to write whole buffer")
}

/// The error for text that is not UTF-8.
fn invalid_utf8_error() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        "stream did not contain valid UTF-8",
    )
}
