//! Receiving into uninitialized memory, for TCP, UDP and Unix sockets
//! alike: socket2's `recv*` calls take `MaybeUninit` bytes, so nothing is
//! zeroed first. Each helper pairs one socket2 call with the bookkeeping of
//! the buffer it filled, so the unsafe reasoning stays next to the call it
//! trusts.

use crate::io::ReadBuf;
use crate::runtime::io::{Direction, Registration};
use bytes::BufMut;
use socket2::{SockAddr, SockRef};
use std::io;
use std::mem::MaybeUninit;
use std::task::{Context, Poll};

/// `recv(2)` with `flags` (0 or `MSG_PEEK`) into `buf`'s unfilled part.
pub(crate) fn recv_read_buf(
    sock: &SockRef<'_>,
    buf: &mut ReadBuf<'_>,
    flags: libc::c_int,
) -> io::Result<()> {
    // SAFETY: `recv_with_flags` only writes into the slice, never
    // de-initializing a byte.
    let n = sock.recv_with_flags(unsafe { buf.unfilled_mut() }, flags)?;
    // SAFETY: the kernel initialized the first `n` bytes of the unfilled part.
    unsafe { buf.assume_init(n) };
    buf.advance(n);
    Ok(())
}

/// `recvfrom(2)` with `flags` (0 or `MSG_PEEK`) into `buf`'s unfilled part;
/// returns the sender.
pub(crate) fn recv_from_read_buf(
    sock: &SockRef<'_>,
    buf: &mut ReadBuf<'_>,
    flags: libc::c_int,
) -> io::Result<SockAddr> {
    // SAFETY: `recv_from_with_flags` only writes into the slice.
    let (n, from) = sock.recv_from_with_flags(unsafe { buf.unfilled_mut() }, flags)?;
    // SAFETY: the kernel initialized the first `n` bytes of the unfilled part.
    unsafe { buf.assume_init(n) };
    buf.advance(n);
    Ok(from)
}

/// `recv(2)` into `buf`'s spare capacity, advancing `buf` by what arrived.
pub(crate) fn recv_buf_mut<B: BufMut>(sock: &SockRef<'_>, buf: &mut B) -> io::Result<usize> {
    let n = sock.recv(spare_capacity(buf))?;
    // SAFETY: the kernel initialized the first `n` bytes of `chunk_mut()`,
    // and nothing touched `buf` since.
    unsafe { buf.advance_mut(n) };
    Ok(n)
}

/// `recvfrom(2)` into `buf`'s spare capacity, advancing `buf` by what
/// arrived; returns the length and the sender.
pub(crate) fn recv_from_buf_mut<B: BufMut>(
    sock: &SockRef<'_>,
    buf: &mut B,
) -> io::Result<(usize, SockAddr)> {
    let (n, from) = sock.recv_from(spare_capacity(buf))?;
    // SAFETY: as in `recv_buf_mut`.
    unsafe { buf.advance_mut(n) };
    Ok((n, from))
}

fn spare_capacity<B: BufMut>(buf: &mut B) -> &mut [MaybeUninit<u8>] {
    // SAFETY: the callers only hand this slice to the kernel, which writes
    // received bytes into it and never de-initializes any.
    unsafe { buf.chunk_mut().as_uninit_slice_mut() }
}

/// `AsyncRead::poll_read` for a stream socket registered as `registration`:
/// waits for readability and receives into `buf`; a short receive clears
/// the readiness (see `Registration::poll_io_stream`).
pub(crate) fn poll_recv_stream(
    registration: &Registration,
    sock: &SockRef<'_>,
    cx: &mut Context<'_>,
    buf: &mut ReadBuf<'_>,
) -> Poll<io::Result<()>> {
    let len = buf.remaining();
    registration
        .poll_io_stream(cx, Direction::Read, len, || {
            let before = buf.filled().len();
            recv_read_buf(sock, buf, 0)?;
            Ok(buf.filled().len() - before)
        })
        .map_ok(|_| ())
}
