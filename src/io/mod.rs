//! Asynchronous I/O: the read/write traits, their extension methods, and
//! utilities (Tokio's `tokio::io`).
//!
//! - Traits: [`AsyncRead`] (with [`ReadBuf`]), [`AsyncWrite`],
//!   [`AsyncBufRead`], [`AsyncSeek`]. They only need a `Waker`, so anything
//!   written against them works under any executor.
//! - Extension traits with `async fn`-style methods: [`AsyncReadExt`],
//!   [`AsyncWriteExt`], [`AsyncBufReadExt`], [`AsyncSeekExt`].
//! - Utilities: buffering, copying, splitting, in-memory pipes.
//!
//! ```
//! use weave::io::{AsyncReadExt, AsyncWriteExt};
//!
//! # weave::runtime::Runtime::new().unwrap().block_on(async {
//! let mut out = Vec::new();
//! out.write_all(b"hello").await?;
//! let mut text = String::new();
//! (&out[..]).read_to_string(&mut text).await?;
//! assert_eq!(text, "hello");
//! # Ok::<_, std::io::Error>(()) }).unwrap();
//! ```

mod async_buf_read;
mod async_read;
mod async_seek;
mod async_write;
mod read_buf;
mod stdio;

mod ext;
mod util;

pub mod unix;

pub use async_buf_read::AsyncBufRead;
pub use async_read::AsyncRead;
pub use async_seek::AsyncSeek;
pub use async_write::AsyncWrite;
pub use read_buf::ReadBuf;
pub use stdio::{stderr, stdin, stdout, Stderr, Stdin, Stdout};

pub use ext::*;
pub use util::*;

pub use crate::runtime::io::{Interest, Ready};
pub use std::io::{Error, ErrorKind, Result, SeekFrom};
