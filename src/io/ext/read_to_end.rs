//! The futures of `AsyncReadExt::{read_to_end, read_to_string}`.
//!
//! Growth strategy: the reader fills the `Vec`'s spare capacity directly,
//! without zeroing it first. When fewer than `PROBE` bytes of spare capacity
//! are left, a small stack buffer is read first, so a `Vec` that was sized
//! exactly for the data does not double just to learn that the source is at
//! EOF; when data does arrive, `extend_from_slice` grows the `Vec`
//! geometrically, so the total work stays linear. Bytes the reader
//! initialized but did not fill (for example by calling
//! `ReadBuf::initialize_unfilled`) are remembered, so they are not zeroed
//! again on the next read into the same allocation.

use crate::io::{AsyncRead, ReadBuf};
use std::future::Future;
use std::io;
use std::mem;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

/// Size of the stack probe read when the spare capacity is small.
const PROBE: usize = 32;

/// What `poll_read_to_end` remembers between polls.
#[derive(Debug, Default)]
pub(super) struct ReadToEndState {
    /// How many bytes of the spare capacity (from `len()` on) are known to be
    /// initialized, valid for an allocation of capacity `capacity`.
    initialized: usize,
    capacity: usize,
}

/// Appends everything `reader` produces until EOF to `buf`.
pub(super) fn poll_read_to_end<R: AsyncRead + ?Sized>(
    mut reader: Pin<&mut R>,
    cx: &mut Context<'_>,
    buf: &mut Vec<u8>,
    state: &mut ReadToEndState,
) -> Poll<io::Result<()>> {
    loop {
        if buf.capacity() - buf.len() < PROBE {
            let mut probe = [0u8; PROBE];
            let mut rb = ReadBuf::new(&mut probe);
            match ready!(reader.as_mut().poll_read(cx, &mut rb)) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Poll::Ready(Err(e)),
            }
            if rb.filled().is_empty() {
                return Poll::Ready(Ok(()));
            }
            // This may reallocate (geometrically); the new spare capacity is
            // treated as uninitialized.
            buf.extend_from_slice(rb.filled());
            state.initialized = 0;
            state.capacity = buf.capacity();
            continue;
        }

        if state.capacity != buf.capacity() {
            // Another allocation (or the first poll): know nothing about it.
            state.initialized = 0;
            state.capacity = buf.capacity();
        }
        let len = buf.len();
        let spare = buf.spare_capacity_mut();
        let spare_len = spare.len();
        let mut rb = ReadBuf::uninit(spare);
        // SAFETY: `state.initialized` bytes at the start of the spare
        // capacity were initialized by an earlier read into this same
        // allocation (its capacity is unchanged, and `Vec` does not touch
        // its spare capacity), and `len` has not moved since then.
        unsafe { rb.assume_init(state.initialized.min(spare_len)) };
        let start = rb.filled().as_ptr();
        let res = reader.as_mut().poll_read(cx, &mut rb);
        assert_eq!(
            rb.filled().as_ptr(),
            start,
            "AsyncRead::poll_read replaced the ReadBuf it was given"
        );
        let n = rb.filled().len();
        let initialized = rb.initialized().len();
        assert!(initialized <= spare_len);
        // SAFETY: the `ReadBuf` still covers our spare capacity (asserted
        // above) and its filled part is initialized, so `len..len + n` are
        // initialized bytes within the allocation.
        unsafe { buf.set_len(len + n) };
        state.initialized = initialized - n;
        match res {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(Ok(())) if n == 0 => return Poll::Ready(Ok(())),
            Poll::Ready(Ok(())) => {}
            Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
            Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
        }
    }
}

/// Future of [`AsyncReadExt::read_to_end`](super::AsyncReadExt::read_to_end).
#[derive(Debug)]
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct ReadToEnd<'a, R: ?Sized> {
    reader: &'a mut R,
    buf: &'a mut Vec<u8>,
    start_len: usize,
    state: ReadToEndState,
}

impl<'a, R: ?Sized> ReadToEnd<'a, R> {
    pub(super) fn new(reader: &'a mut R, buf: &'a mut Vec<u8>) -> Self {
        let start_len = buf.len();
        ReadToEnd {
            reader,
            buf,
            start_len,
            state: ReadToEndState::default(),
        }
    }
}

impl<R: AsyncRead + ?Sized + Unpin> Future for ReadToEnd<'_, R> {
    type Output = io::Result<usize>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let me = self.get_mut();
        ready!(poll_read_to_end(
            Pin::new(&mut *me.reader),
            cx,
            me.buf,
            &mut me.state
        ))?;
        Poll::Ready(Ok(me.buf.len() - me.start_len))
    }
}

/// Future of [`AsyncReadExt::read_to_string`](super::AsyncReadExt::read_to_string).
///
/// While it runs, the string's bytes are moved into the future (no copy), so
/// the caller's `String` looks empty; they are moved back when it completes
/// or is dropped.
#[derive(Debug)]
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct ReadToString<'a, R: ?Sized> {
    reader: &'a mut R,
    dst: &'a mut String,
    bytes: Vec<u8>,
    start_len: usize,
    state: ReadToEndState,
    done: bool,
}

impl<'a, R: ?Sized> ReadToString<'a, R> {
    pub(super) fn new(reader: &'a mut R, dst: &'a mut String) -> Self {
        let bytes = mem::take(dst).into_bytes();
        ReadToString {
            reader,
            dst,
            start_len: bytes.len(),
            bytes,
            state: ReadToEndState::default(),
            done: false,
        }
    }
}

impl<R: AsyncRead + ?Sized + Unpin> Future for ReadToString<'_, R> {
    type Output = io::Result<usize>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let me = self.get_mut();
        assert!(!me.done, "ReadToString polled after completion");
        let res = ready!(poll_read_to_end(
            Pin::new(&mut *me.reader),
            cx,
            &mut me.bytes,
            &mut me.state
        ));
        me.done = true;
        let read = me.bytes.len() - me.start_len;
        let bytes = mem::take(&mut me.bytes);
        match (res, String::from_utf8(bytes)) {
            (Ok(()), Ok(text)) => {
                *me.dst = text;
                Poll::Ready(Ok(read))
            }
            (res, Ok(text)) => {
                // An I/O error after valid text: keep what was read, like
                // `read_to_end` does.
                *me.dst = text;
                Poll::Ready(res.map(|()| read))
            }
            (res, Err(e)) => {
                *me.dst = restore(e.into_bytes(), me.start_len, me.start_len);
                Poll::Ready(Err(res.err().unwrap_or_else(super::invalid_utf8_error)))
            }
        }
    }
}

impl<R: ?Sized> Drop for ReadToString<'_, R> {
    fn drop(&mut self) {
        if !self.done {
            // Cancelled: give back the original text plus the longest valid
            // prefix of what was read.
            let bytes = mem::take(&mut self.bytes);
            let keep = match std::str::from_utf8(&bytes[self.start_len..]) {
                Ok(_) => bytes.len(),
                Err(e) => self.start_len + e.valid_up_to(),
            };
            *self.dst = restore(bytes, keep, self.start_len);
        }
    }
}

/// `bytes[..keep]` as a `String`; `bytes[..start_len]` came from a `String`
/// and `keep >= start_len` is a character boundary.
fn restore(mut bytes: Vec<u8>, keep: usize, start_len: usize) -> String {
    debug_assert!(keep >= start_len);
    bytes.truncate(keep);
    String::from_utf8(bytes).expect("the kept prefix is valid UTF-8")
}
