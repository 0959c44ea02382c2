//! The future of `AsyncBufReadExt::read_line`, and the line reader it shares
//! with `Lines`.
//!
//! Bytes are checked as UTF-8 and appended to the caller's `String` as they
//! arrive (one `from_utf8` and one bulk copy per buffered run). A character
//! split across two buffer fills is held back in a 4-byte carry until its
//! last byte arrives. Invalid UTF-8 does not stop the read early: the rest of
//! the line is still consumed (as `std` and Tokio do), then the `String` is
//! truncated back to its original length and `InvalidData` is returned.

use super::memchr::memchr;
use crate::io::AsyncBufRead;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

/// Progress of one line; kept outside the future so `Lines` can keep it
/// across cancelled polls.
#[derive(Debug)]
pub(super) struct LineState {
    /// Bytes consumed from the reader for this line.
    read: usize,
    /// Length of the `String` before this line.
    start_len: usize,
    /// The first bytes of a character whose remaining bytes have not
    /// arrived yet.
    carry: [u8; 4],
    carry_len: usize,
    /// Set once a byte sequence was invalid; the line is then only consumed.
    invalid: bool,
}

impl LineState {
    pub(super) fn new(start_len: usize) -> Self {
        LineState {
            read: 0,
            start_len,
            carry: [0; 4],
            carry_len: 0,
            invalid: false,
        }
    }

    /// Validates `bytes` (following what came before) and appends them.
    fn push(&mut self, buf: &mut String, mut bytes: &[u8]) {
        if self.invalid {
            return;
        }
        if self.carry_len > 0 {
            // The carry starts with a valid lead byte of a multi-byte
            // character; complete it from `bytes`.
            let width = match self.carry[0] {
                0xc0..=0xdf => 2,
                0xe0..=0xef => 3,
                _ => 4,
            };
            let take = (width - self.carry_len).min(bytes.len());
            self.carry[self.carry_len..self.carry_len + take].copy_from_slice(&bytes[..take]);
            self.carry_len += take;
            bytes = &bytes[take..];
            match std::str::from_utf8(&self.carry[..self.carry_len]) {
                Ok(c) => {
                    buf.push_str(c);
                    self.carry_len = 0;
                }
                // Still incomplete: `bytes` is used up.
                Err(e) if e.error_len().is_none() => return,
                Err(_) => {
                    self.invalid = true;
                    return;
                }
            }
        }
        match std::str::from_utf8(bytes) {
            Ok(text) => buf.push_str(text),
            Err(e) => {
                let (valid, rest) = bytes.split_at(e.valid_up_to());
                // Re-checking `valid` costs a second pass over it, but only
                // when a character straddles two reads or the data is bad.
                buf.push_str(std::str::from_utf8(valid).expect("valid_up_to is valid"));
                if e.error_len().is_none() {
                    self.carry[..rest.len()].copy_from_slice(rest);
                    self.carry_len = rest.len();
                } else {
                    self.invalid = true;
                }
            }
        }
    }

    /// Ends the line: returns the byte count, or truncates `buf` back and
    /// returns `InvalidData`. Resets the state for a next line in `buf`.
    fn finish(&mut self, buf: &mut String) -> io::Result<usize> {
        let read = self.read;
        let invalid = self.invalid || self.carry_len > 0;
        if invalid {
            buf.truncate(self.start_len);
        }
        *self = LineState::new(buf.len());
        if invalid {
            Err(super::invalid_utf8_error())
        } else {
            Ok(read)
        }
    }

    /// After an I/O error, leaves `buf` as `std` does: with the valid text
    /// read so far, or truncated back if anything was invalid.
    pub(super) fn abandon(&mut self, buf: &mut String) {
        if self.invalid {
            buf.truncate(self.start_len);
        }
        *self = LineState::new(buf.len());
    }
}

/// Reads one line (through `\n` or EOF) into `buf`; see the module docs.
/// Returns the number of bytes consumed. On an I/O error the state is kept,
/// so a later call continues the same line.
pub(super) fn poll_read_line<R: AsyncBufRead + ?Sized>(
    mut reader: Pin<&mut R>,
    cx: &mut Context<'_>,
    buf: &mut String,
    state: &mut LineState,
) -> Poll<io::Result<usize>> {
    loop {
        let (done, used) = {
            let available = match ready!(reader.as_mut().poll_fill_buf(cx)) {
                Ok(available) => available,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Poll::Ready(Err(e)),
            };
            match memchr(b'\n', available) {
                Some(i) => {
                    state.push(buf, &available[..=i]);
                    (true, i + 1)
                }
                None => {
                    state.push(buf, available);
                    (available.is_empty(), available.len())
                }
            }
        };
        reader.as_mut().consume(used);
        state.read += used;
        if done {
            return Poll::Ready(state.finish(buf));
        }
    }
}

/// Future of [`AsyncBufReadExt::read_line`](super::AsyncBufReadExt::read_line).
#[derive(Debug)]
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct ReadLine<'a, R: ?Sized> {
    reader: &'a mut R,
    buf: &'a mut String,
    state: LineState,
}

impl<'a, R: ?Sized> ReadLine<'a, R> {
    pub(super) fn new(reader: &'a mut R, buf: &'a mut String) -> Self {
        let state = LineState::new(buf.len());
        ReadLine { reader, buf, state }
    }
}

impl<R: AsyncBufRead + ?Sized + Unpin> Future for ReadLine<'_, R> {
    type Output = io::Result<usize>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let me = self.get_mut();
        let res = ready!(poll_read_line(
            Pin::new(&mut *me.reader),
            cx,
            me.buf,
            &mut me.state
        ));
        if res.is_err() {
            me.state.abandon(me.buf);
        }
        Poll::Ready(res)
    }
}
