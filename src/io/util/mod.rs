//! I/O utilities: buffering, copying, splitting, in-memory pipes.
//!
//! Everything here is written against the poll-level traits
//! ([`AsyncRead`](super::AsyncRead), [`AsyncWrite`](super::AsyncWrite),
//! [`AsyncBufRead`](super::AsyncBufRead), [`AsyncSeek`](super::AsyncSeek))
//! and only needs a `Waker`, so it works under any executor. The
//! always-ready sources and sinks ([`empty`], [`sink`], [`repeat`]) and the
//! in-memory pipes charge weave's cooperative budget, so a loop over them
//! inside a weave task still lets other tasks run.
//!
//! | file | items |
//! |---|---|
//! | `buf_reader.rs` | [`BufReader`] |
//! | `buf_writer.rs` | [`BufWriter`] |
//! | `buf_stream.rs` | [`BufStream`] |
//! | `copy.rs` | [`copy`] and the copy loop shared with `copy_bidirectional` |
//! | `copy_buf.rs` | [`copy_buf`] |
//! | `copy_bidirectional.rs` | [`copy_bidirectional`], [`copy_bidirectional_with_sizes`] |
//! | `split.rs` | [`split`], [`ReadHalf`], [`WriteHalf`] |
//! | `join.rs` | [`join`], [`Join`] |
//! | `mem.rs` | [`duplex`], [`DuplexStream`], [`simplex`], [`SimplexStream`] |
//! | `empty.rs`, `sink.rs`, `repeat.rs` | [`empty`], [`sink`], [`repeat`] |

mod buf_reader;
mod buf_stream;
mod buf_writer;
mod copy;
mod copy_bidirectional;
mod copy_buf;
mod empty;
mod join;
mod mem;
mod repeat;
mod sink;
mod split;

pub use buf_reader::BufReader;
pub use buf_stream::BufStream;
pub use buf_writer::BufWriter;
pub use copy::copy;
pub use copy_bidirectional::{copy_bidirectional, copy_bidirectional_with_sizes};
pub use copy_buf::copy_buf;
pub use empty::{empty, Empty};
pub use join::{join, Join};
pub use mem::{duplex, simplex, DuplexStream, SimplexStream};
pub use repeat::{repeat, Repeat};
pub use sink::{sink, Sink};
pub use split::{split, ReadHalf, WriteHalf};

/// Default buffer size of [`BufReader`] and [`BufWriter`] (8 KiB, as Tokio).
const DEFAULT_BUF_SIZE: usize = 8 * 1024;
