//! Tests of the I/O extension traits (`AsyncReadExt`, `AsyncWriteExt`,
//! `AsyncBufReadExt`, `AsyncSeekExt`) and their adapters (`Take`, `Chain`,
//! `Lines`, `Split`).
//!
//! Most tests run over `Chunky`, a reader that hands out data 1-3 bytes at a
//! time and returns `Pending` before every read, and `ChunkyWriter`, its
//! writing twin, so every future has to resume from partial progress. Most
//! tests drive the futures with `futures::executor::block_on` (no weave
//! runtime); a few use `#[weave::test]`. Some behaviours are checked against
//! Tokio itself (a dev-dependency) on the same inputs.

use futures::executor::block_on;
use futures::task::noop_waker_ref;
use futures::StreamExt;
use std::future::Future;
use std::io::{self, Cursor, ErrorKind, IoSlice, SeekFrom};
use std::marker::PhantomPinned;
use std::pin::{pin, Pin};
use std::task::{Context, Poll};
use weave::io::{
    AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncSeek, AsyncSeekExt, AsyncWrite,
    AsyncWriteExt, ReadBuf,
};

// ---------------------------------------------------------------------------
// Test readers and writers
// ---------------------------------------------------------------------------

/// A reader (and buffered reader) that yields its data in small chunks,
/// returns `Pending` (after waking itself) before each chunk, and can inject
/// one `Interrupted` and one other error at given offsets.
struct Chunky {
    data: Vec<u8>,
    pos: usize,
    /// End of the window `poll_fill_buf` handed out.
    window: usize,
    sizes: Vec<usize>,
    step: usize,
    pending: bool,
    ready_now: bool,
    interrupt_at: Option<usize>,
    fail_at: Option<usize>,
    reads: usize,
}

impl Chunky {
    fn new(data: impl Into<Vec<u8>>) -> Self {
        Chunky {
            data: data.into(),
            pos: 0,
            window: 0,
            sizes: vec![1, 3, 2],
            step: 0,
            pending: true,
            ready_now: false,
            interrupt_at: None,
            fail_at: None,
            reads: 0,
        }
    }

    fn sizes(mut self, sizes: &[usize]) -> Self {
        self.sizes = sizes.to_vec();
        self
    }

    fn no_pending(mut self) -> Self {
        self.pending = false;
        self
    }

    fn interrupt_at(mut self, at: usize) -> Self {
        self.interrupt_at = Some(at);
        self
    }

    fn fail_at(mut self, at: usize) -> Self {
        self.fail_at = Some(at);
        self
    }

    fn rest(&self) -> &[u8] {
        &self.data[self.pos..]
    }

    /// `Pending` every other call; then the injected errors.
    fn gate(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.pending && !self.ready_now {
            self.ready_now = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        self.ready_now = false;
        if self.interrupt_at.is_some_and(|at| self.pos >= at) {
            self.interrupt_at = None;
            return Poll::Ready(Err(io::Error::from(ErrorKind::Interrupted)));
        }
        if self.fail_at.is_some_and(|at| self.pos >= at) {
            self.fail_at = None;
            return Poll::Ready(Err(io::Error::other("injected failure")));
        }
        Poll::Ready(Ok(()))
    }

    fn next_size(&mut self) -> usize {
        let size = self.sizes[self.step % self.sizes.len()];
        self.step += 1;
        size
    }
}

impl AsyncRead for Chunky {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        std::task::ready!(self.gate(cx))?;
        self.reads += 1;
        let n = self
            .next_size()
            .min(self.data.len() - self.pos)
            .min(buf.remaining());
        let pos = self.pos;
        buf.put_slice(&self.data[pos..pos + n]);
        self.pos += n;
        self.window = self.window.max(self.pos);
        Poll::Ready(Ok(()))
    }
}

impl AsyncBufRead for Chunky {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let me = self.get_mut();
        if me.pos == me.window {
            std::task::ready!(me.gate(cx))?;
            me.reads += 1;
            me.window = (me.pos + me.next_size()).min(me.data.len());
        }
        Poll::Ready(Ok(&me.data[me.pos..me.window]))
    }

    fn consume(mut self: Pin<&mut Self>, amt: usize) {
        assert!(
            self.pos + amt <= self.window,
            "consumed more than was buffered"
        );
        self.pos += amt;
    }
}

/// A writer that takes 1-3 bytes per write, returns `Pending` before each
/// write, and can stop taking bytes after `limit`.
#[derive(Default)]
struct ChunkyWriter {
    out: Vec<u8>,
    step: usize,
    ready_now: bool,
    limit: Option<usize>,
    vectored: bool,
    interrupt_once: bool,
    writes: usize,
    vectored_writes: usize,
    flushes: usize,
    shutdowns: usize,
}

impl ChunkyWriter {
    fn gate(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if !self.ready_now {
            self.ready_now = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        self.ready_now = false;
        if std::mem::take(&mut self.interrupt_once) {
            return Poll::Ready(Err(io::Error::from(ErrorKind::Interrupted)));
        }
        Poll::Ready(Ok(()))
    }

    fn room(&mut self) -> usize {
        let size = [2, 1, 3][self.step % 3];
        self.step += 1;
        match self.limit {
            Some(limit) => size.min(limit - self.out.len()),
            None => size,
        }
    }
}

impl AsyncWrite for ChunkyWriter {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        std::task::ready!(self.gate(cx))?;
        self.writes += 1;
        let n = self.room().min(buf.len());
        self.out.extend_from_slice(&buf[..n]);
        Poll::Ready(Ok(n))
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        std::task::ready!(self.gate(cx))?;
        self.vectored_writes += 1;
        let mut room = self.room() * 2;
        let mut n = 0;
        for b in bufs {
            let k = room.min(b.len());
            self.out.extend_from_slice(&b[..k]);
            n += k;
            room -= k;
        }
        Poll::Ready(Ok(n))
    }

    fn is_write_vectored(&self) -> bool {
        self.vectored
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        std::task::ready!(self.gate(cx))?;
        self.flushes += 1;
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        std::task::ready!(self.gate(cx))?;
        self.shutdowns += 1;
        Poll::Ready(Ok(()))
    }
}

/// Polls `fut` once with a waker that does nothing.
fn poll_once<F: Future + Unpin>(fut: &mut F) -> Poll<F::Output> {
    Pin::new(fut).poll(&mut Context::from_waker(noop_waker_ref()))
}

/// Polls `fut` `n` times (or until it completes) with a do-nothing waker.
fn poll_times<F: Future + Unpin>(fut: &mut F, n: usize) -> Option<F::Output> {
    for _ in 0..n {
        if let Poll::Ready(out) = poll_once(fut) {
            return Some(out);
        }
    }
    None
}

fn assert_unpin<T: Unpin>(_: &T) {}

/// Text with one-, two-, three- and four-byte characters.
const MIXED: &str = "a é € 𝄞 z\n";

// ---------------------------------------------------------------------------
// AsyncReadExt
// ---------------------------------------------------------------------------

#[test]
fn read_returns_one_chunk_at_a_time() {
    block_on(async {
        let mut r = Chunky::new(*b"abcdef");
        let mut buf = [0u8; 8];
        assert_eq!(r.read(&mut buf).await.unwrap(), 1);
        assert_eq!(r.read(&mut buf).await.unwrap(), 3);
        assert_eq!(&buf[..3], b"bcd");
        assert_eq!(r.read(&mut buf).await.unwrap(), 2);
        assert_eq!(r.read(&mut buf).await.unwrap(), 0, "EOF");
        assert_eq!(r.read(&mut []).await.unwrap(), 0);
    });
}

#[test]
fn read_is_cancel_safe() {
    let mut r = Chunky::new(*b"xyz");
    let mut buf = [0u8; 4];
    {
        let mut fut = r.read(&mut buf);
        assert!(poll_once(&mut fut).is_pending());
    }
    assert_eq!(r.pos, 0, "a dropped read consumed nothing");
}

#[test]
fn read_exact_collects_partial_reads() {
    block_on(async {
        let data: Vec<u8> = (0..=255).collect();
        let mut r = Chunky::new(data.clone());
        let mut buf = [0u8; 100];
        assert_eq!(r.read_exact(&mut buf).await.unwrap(), 100);
        assert_eq!(&buf[..], &data[..100]);
        assert_eq!(r.read_exact(&mut []).await.unwrap(), 0);
        let mut rest = [0u8; 156];
        r.read_exact(&mut rest).await.unwrap();
        assert_eq!(&rest[..], &data[100..]);
    });
}

#[test]
fn read_exact_errors_at_eof() {
    block_on(async {
        let mut r = Chunky::new(*b"short");
        let mut buf = [0u8; 6];
        let err = r.read_exact(&mut buf).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UnexpectedEof);
        assert_eq!(&buf[..5], b"short", "the bytes before EOF were read");
    });
}

#[test]
fn read_exact_retries_interrupted_and_reports_other_errors() {
    block_on(async {
        let mut r = Chunky::new(*b"0123456789").interrupt_at(4);
        let mut buf = [0u8; 10];
        r.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"0123456789");

        let mut r = Chunky::new(*b"0123456789").fail_at(4);
        let err = r.read_exact(&mut buf).await.unwrap_err();
        assert_eq!(err.to_string(), "injected failure");
    });
}

#[test]
fn read_buf_fills_bufmut_without_zeroing() {
    block_on(async {
        let mut r = Chunky::new(*b"hello world").sizes(&[4]);
        let mut buf = bytes::BytesMut::with_capacity(4);
        let mut total = 0;
        loop {
            let n = r.read_buf(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            total += n;
        }
        assert_eq!(total, 11);
        assert_eq!(&buf[..], b"hello world");

        // A `BufMut` with no room: `Ok(0)` without touching the reader.
        let mut r = Chunky::new(*b"abc");
        let mut storage = [0u8; 0];
        let mut full: &mut [u8] = &mut storage;
        assert_eq!(r.read_buf(&mut full).await.unwrap(), 0);
        assert_eq!(r.reads, 0);

        // A bounded `BufMut`: only what fits.
        let mut r = Chunky::new(*b"abcdef").sizes(&[6]);
        let mut storage = [0u8; 4];
        let mut dst: &mut [u8] = &mut storage;
        assert_eq!(r.read_buf(&mut dst).await.unwrap(), 4);
        assert_eq!(&storage, b"abcd");
    });
}

#[test]
fn read_to_end_appends_everything() {
    block_on(async {
        let data: Vec<u8> = (0..5000u32).map(|i| (i * 7) as u8).collect();
        let mut r = Chunky::new(data.clone()).sizes(&[1, 2, 3, 700, 1]);
        let mut buf = b"prefix".to_vec();
        let n = r.read_to_end(&mut buf).await.unwrap();
        assert_eq!(n, data.len());
        assert_eq!(&buf[..6], b"prefix");
        assert_eq!(&buf[6..], &data[..]);
    });
}

#[test]
fn read_to_end_does_not_grow_an_exactly_sized_vec() {
    block_on(async {
        let data = vec![7u8; 1000];
        let mut buf = Vec::with_capacity(1000);
        let cap = buf.capacity();
        (&data[..]).read_to_end(&mut buf).await.unwrap();
        assert_eq!(buf, data);
        assert_eq!(buf.capacity(), cap, "the EOF probe must not reallocate");
    });
}

#[test]
fn read_to_end_grows_geometrically() {
    block_on(async {
        // 1 MiB, 4 KiB per read: a linear strategy would reallocate ~256
        // times; a geometric one ~16 times.
        let data = vec![1u8; 1 << 20];
        let mut r = Chunky::new(data).sizes(&[4096]).no_pending();
        let mut buf = Vec::new();
        assert_eq!(r.read_to_end(&mut buf).await.unwrap(), 1 << 20);
        assert!(buf.iter().all(|&b| b == 1));
        // Doubling from small sizes ends within 2x of the data.
        assert!(buf.capacity() <= 2 << 20, "capacity {}", buf.capacity());
        // Each read got the whole (large) spare capacity, not 32-byte bits.
        assert!(r.reads <= (1 << 20) / 4096 + 40, "{} reads", r.reads);
    });
}

/// A reader that zeroes the whole unfilled buffer before filling a little of
/// it (as a careless adapter might) and records how much was already
/// initialized when it was called.
struct Zeroing {
    left: usize,
    max_initialized_on_entry: usize,
}

impl AsyncRead for Zeroing {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let init = buf.initialized().len() - buf.filled().len();
        self.max_initialized_on_entry = self.max_initialized_on_entry.max(init);
        let n = self.left.min(10);
        let dst = buf.initialize_unfilled();
        let n = n.min(dst.len());
        dst[..n].fill(b'z');
        buf.advance(n);
        self.left -= n;
        Poll::Ready(Ok(()))
    }
}

#[test]
fn read_to_end_remembers_initialized_spare_capacity() {
    block_on(async {
        let mut r = Zeroing {
            left: 500,
            max_initialized_on_entry: 0,
        };
        let mut buf = Vec::with_capacity(4096);
        r.read_to_end(&mut buf).await.unwrap();
        assert_eq!(buf, vec![b'z'; 500]);
        assert!(
            r.max_initialized_on_entry > 4000,
            "zeroed bytes were not reused: {}",
            r.max_initialized_on_entry
        );
    });
}

/// A reader that swaps the `ReadBuf` it is given for one over other memory.
struct Swapper;

impl AsyncRead for Swapper {
    fn poll_read(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let other: &'static mut [u8] = Box::leak(vec![b'!'; 64].into_boxed_slice());
        let mut fake = ReadBuf::new(other);
        fake.advance(64);
        *buf = fake;
        Poll::Ready(Ok(()))
    }
}

#[test]
#[should_panic(expected = "replaced the ReadBuf")]
fn read_to_end_rejects_a_swapped_read_buf() {
    let mut buf = Vec::with_capacity(128);
    let _ = block_on(Swapper.read_to_end(&mut buf));
}

#[test]
#[should_panic(expected = "replaced the ReadBuf")]
fn read_buf_rejects_a_swapped_read_buf() {
    let mut buf = bytes::BytesMut::with_capacity(128);
    let _ = block_on(Swapper.read_buf(&mut buf));
}

#[test]
#[should_panic(expected = "replaced the ReadBuf")]
fn take_rejects_a_swapped_read_buf() {
    let mut buf = [0u8; 16];
    let _ = block_on(Swapper.take(8).read(&mut buf));
}

#[test]
fn read_to_end_keeps_data_before_an_error() {
    block_on(async {
        let mut r = Chunky::new(*b"0123456789").fail_at(5).interrupt_at(2);
        let mut buf = Vec::new();
        let err = r.read_to_end(&mut buf).await.unwrap_err();
        assert_eq!(err.to_string(), "injected failure");
        assert!(r.pos >= 5 && r.pos < 10);
        assert_eq!(buf, &b"0123456789"[..r.pos]);
        // The reader recovers; reading on gets the rest.
        r.read_to_end(&mut buf).await.unwrap();
        assert_eq!(buf, b"0123456789");
    });
}

#[test]
fn read_to_string_handles_characters_split_across_reads() {
    block_on(async {
        let text = MIXED.repeat(50);
        for sizes in [&[1][..], &[2], &[3], &[1, 2, 4, 7]] {
            let mut r = Chunky::new(text.as_bytes()).sizes(sizes);
            let mut s = String::from("start:");
            let n = r.read_to_string(&mut s).await.unwrap();
            assert_eq!(n, text.len());
            assert_eq!(s, format!("start:{text}"));
        }
    });
}

#[test]
fn read_to_string_leaves_the_string_unchanged_on_invalid_utf8() {
    block_on(async {
        for bad in [
            &b"ok \xff"[..],
            b"\xe2\x82",
            b"truncated \xf0\x9d\x84",
            b"\xc0\x80",
        ] {
            let mut r = Chunky::new(bad);
            let mut s = String::from("keep me");
            let err = r.read_to_string(&mut s).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidData, "{bad:?}");
            assert_eq!(s, "keep me");
        }
    });
}

#[test]
fn read_to_string_keeps_valid_text_before_an_io_error() {
    block_on(async {
        let mut r = Chunky::new("héllo".as_bytes()).fail_at(3).sizes(&[1]);
        let mut s = String::new();
        let err = r.read_to_string(&mut s).await.unwrap_err();
        assert_eq!(err.to_string(), "injected failure");
        assert_eq!(s, "hé");
    });
}

#[test]
fn read_to_string_gives_the_text_back_when_cancelled() {
    let mut r = Chunky::new("é€".as_bytes()).sizes(&[1]);
    let mut s = String::from("old ");
    {
        let mut fut = r.read_to_string(&mut s);
        // Each read is preceded by a `Pending`, so 4 polls read 3 bytes:
        // "é" and the first byte of "€".
        assert!(poll_times(&mut fut, 4).is_none());
    }
    assert_eq!(s, "old é", "old text plus the complete characters read");
    assert_eq!(r.pos, 3);

    let mut r = Chunky::new(*b"abc").sizes(&[1]);
    let mut s = String::from("old ");
    {
        let mut fut = r.read_to_string(&mut s);
        assert!(poll_times(&mut fut, 3).is_none());
    }
    assert_eq!(s, "old ab");
}

#[test]
fn read_integers_round_trip_in_both_byte_orders() {
    block_on(async {
        let mut w = ChunkyWriter::default();
        w.write_u8(0xab).await.unwrap();
        w.write_i8(i8::MIN).await.unwrap();
        w.write_u16(0x0102).await.unwrap();
        w.write_i16(-2).await.unwrap();
        w.write_u32(u32::MAX - 1).await.unwrap();
        w.write_i32(i32::MIN).await.unwrap();
        w.write_u64(0x0102_0304_0506_0708).await.unwrap();
        w.write_i64(i64::MIN + 1).await.unwrap();
        w.write_u128(u128::MAX / 3).await.unwrap();
        w.write_i128(i128::MIN).await.unwrap();
        w.write_f32(-1.5).await.unwrap();
        w.write_f64(f64::MAX).await.unwrap();
        w.write_u16_le(0x0102).await.unwrap();
        w.write_i16_le(-2).await.unwrap();
        w.write_u32_le(0x0102_0304).await.unwrap();
        w.write_i32_le(i32::MIN).await.unwrap();
        w.write_u64_le(0x0102_0304_0506_0708).await.unwrap();
        w.write_i64_le(-3).await.unwrap();
        w.write_u128_le(u128::MAX / 5).await.unwrap();
        w.write_i128_le(-7).await.unwrap();
        w.write_f32_le(0.1).await.unwrap();
        w.write_f64_le(f64::NEG_INFINITY).await.unwrap();

        // The bytes are those of std's conversions.
        let mut want = vec![0xab, 0x80];
        want.extend(0x0102u16.to_be_bytes());
        want.extend((-2i16).to_be_bytes());
        want.extend((u32::MAX - 1).to_be_bytes());
        want.extend(i32::MIN.to_be_bytes());
        want.extend(0x0102_0304_0506_0708u64.to_be_bytes());
        want.extend((i64::MIN + 1).to_be_bytes());
        want.extend((u128::MAX / 3).to_be_bytes());
        want.extend(i128::MIN.to_be_bytes());
        want.extend((-1.5f32).to_be_bytes());
        want.extend(f64::MAX.to_be_bytes());
        want.extend([0x02, 0x01]);
        want.extend((-2i16).to_le_bytes());
        want.extend([0x04, 0x03, 0x02, 0x01]);
        want.extend(i32::MIN.to_le_bytes());
        want.extend(0x0102_0304_0506_0708u64.to_le_bytes());
        want.extend((-3i64).to_le_bytes());
        want.extend((u128::MAX / 5).to_le_bytes());
        want.extend((-7i128).to_le_bytes());
        want.extend(0.1f32.to_le_bytes());
        want.extend(f64::NEG_INFINITY.to_le_bytes());
        assert_eq!(w.out, want);

        let mut r = Chunky::new(w.out);
        assert_eq!(r.read_u8().await.unwrap(), 0xab);
        assert_eq!(r.read_i8().await.unwrap(), i8::MIN);
        assert_eq!(r.read_u16().await.unwrap(), 0x0102);
        assert_eq!(r.read_i16().await.unwrap(), -2);
        assert_eq!(r.read_u32().await.unwrap(), u32::MAX - 1);
        assert_eq!(r.read_i32().await.unwrap(), i32::MIN);
        assert_eq!(r.read_u64().await.unwrap(), 0x0102_0304_0506_0708);
        assert_eq!(r.read_i64().await.unwrap(), i64::MIN + 1);
        assert_eq!(r.read_u128().await.unwrap(), u128::MAX / 3);
        assert_eq!(r.read_i128().await.unwrap(), i128::MIN);
        assert_eq!(r.read_f32().await.unwrap(), -1.5);
        assert_eq!(r.read_f64().await.unwrap(), f64::MAX);
        assert_eq!(r.read_u16_le().await.unwrap(), 0x0102);
        assert_eq!(r.read_i16_le().await.unwrap(), -2);
        assert_eq!(r.read_u32_le().await.unwrap(), 0x0102_0304);
        assert_eq!(r.read_i32_le().await.unwrap(), i32::MIN);
        assert_eq!(r.read_u64_le().await.unwrap(), 0x0102_0304_0506_0708);
        assert_eq!(r.read_i64_le().await.unwrap(), -3);
        assert_eq!(r.read_u128_le().await.unwrap(), u128::MAX / 5);
        assert_eq!(r.read_i128_le().await.unwrap(), -7);
        assert_eq!(r.read_f32_le().await.unwrap(), 0.1);
        assert_eq!(r.read_f64_le().await.unwrap(), f64::NEG_INFINITY);
        assert_eq!(
            r.read_u8().await.unwrap_err().kind(),
            ErrorKind::UnexpectedEof
        );
    });
}

#[test]
fn byte_order_is_not_mixed_up() {
    block_on(async {
        let bytes = [1u8, 2, 3, 4];
        assert_eq!((&bytes[..]).read_u32().await.unwrap(), 0x0102_0304);
        assert_eq!((&bytes[..]).read_u32_le().await.unwrap(), 0x0403_0201);
        assert_eq!((&bytes[..]).read_i16().await.unwrap(), 0x0102);
        assert_eq!((&bytes[..]).read_i16_le().await.unwrap(), 0x0201);
    });
}

#[test]
fn reading_an_integer_past_eof_fails() {
    block_on(async {
        let mut r = Chunky::new(*b"abc");
        assert_eq!(
            r.read_u32().await.unwrap_err().kind(),
            ErrorKind::UnexpectedEof
        );
        let mut empty: &[u8] = b"";
        assert_eq!(
            empty.read_i8().await.unwrap_err().kind(),
            ErrorKind::UnexpectedEof
        );
        assert_eq!(
            empty.read_f64_le().await.unwrap_err().kind(),
            ErrorKind::UnexpectedEof
        );
    });
}

#[test]
fn read_u8_is_cancel_safe() {
    let mut r = Chunky::new(*b"\x05");
    {
        let mut fut = r.read_u8();
        assert!(poll_once(&mut fut).is_pending());
    }
    assert_eq!(r.pos, 0);
    assert_eq!(block_on(r.read_u8()).unwrap(), 5);
}

// ---------------------------------------------------------------------------
// Take and Chain
// ---------------------------------------------------------------------------

#[test]
fn take_stops_at_the_limit() {
    block_on(async {
        let mut t = Chunky::new(*b"0123456789").take(4);
        let mut out = Vec::new();
        assert_eq!(t.read_to_end(&mut out).await.unwrap(), 4);
        assert_eq!(out, b"0123");
        assert_eq!(t.limit(), 0);
        let mut buf = [0u8; 4];
        assert_eq!(t.read(&mut buf).await.unwrap(), 0, "EOF at the limit");

        t.set_limit(3);
        assert_eq!(t.limit(), 3);
        let mut buf = [0u8; 10];
        t.read_exact(&mut buf[..3]).await.unwrap();
        assert_eq!(&buf[..3], b"456");
        assert_eq!(t.get_ref().pos, 7);
        t.get_mut().sizes = vec![10];
        let mut inner = t.into_inner();
        let mut rest = Vec::new();
        inner.read_to_end(&mut rest).await.unwrap();
        assert_eq!(
            rest, b"789",
            "bytes past the limit stay in the inner reader"
        );
    });
}

#[test]
fn take_never_hands_the_inner_reader_more_than_the_limit() {
    block_on(async {
        let mut t = Chunky::new(vec![b'x'; 100]).sizes(&[50]).take(5);
        let mut buf = [0u8; 64];
        assert_eq!(t.read(&mut buf).await.unwrap(), 5);
        assert_eq!(t.get_ref().pos, 5);
        let mut t = (&b"abc"[..]).take(10);
        let mut out = String::new();
        t.read_to_string(&mut out).await.unwrap();
        assert_eq!((out.as_str(), t.limit()), ("abc", 7));
        let mut t = (&b"abc"[..]).take(0);
        assert_eq!(t.read(&mut buf).await.unwrap(), 0);
    });
}

#[test]
fn take_as_a_buffered_reader_limits_fill_buf_and_consume() {
    block_on(async {
        let mut t = Chunky::new(*b"one\ntwo\nthree\n").sizes(&[5]).take(10);
        let mut lines = Vec::new();
        let mut line = String::new();
        while t.read_line(&mut line).await.unwrap() != 0 {
            lines.push(std::mem::take(&mut line));
        }
        assert_eq!(lines, ["one\n", "two\n", "th"]);
        assert_eq!(t.limit(), 0);
        assert_eq!(t.fill_buf().await.unwrap(), b"");
        assert_eq!(t.get_ref().rest(), b"ree\n");
    });
}

#[test]
fn take_consume_is_clamped_to_the_limit() {
    let mut t = (&b"abcdefgh"[..]).take(3);
    assert_eq!(block_on(t.fill_buf()).unwrap(), b"abc");
    AsyncBufReadExt::consume(&mut t, 10);
    assert_eq!(t.limit(), 0);
    assert_eq!(t.into_inner(), b"defgh");
}

#[test]
fn chain_reads_across_the_boundary() {
    block_on(async {
        let mut c = Chunky::new(*b"abcde").chain(Chunky::new(*b"fghij").sizes(&[2]));
        let mut buf = [0u8; 7];
        c.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"abcdefg");
        let mut rest = Vec::new();
        c.read_to_end(&mut rest).await.unwrap();
        assert_eq!(rest, b"hij");
        let (first, second) = c.get_ref();
        assert_eq!((first.pos, second.pos), (5, 5));
        let (first, _) = c.get_mut();
        first.pos = 0;
        let (first, second) = c.into_inner();
        assert_eq!((first.pos, second.pos), (0, 5));
    });
}

#[test]
fn chain_with_empty_parts() {
    block_on(async {
        let mut out = Vec::new();
        (&b""[..])
            .chain(&b"x"[..])
            .read_to_end(&mut out)
            .await
            .unwrap();
        (&b"y"[..])
            .chain(&b""[..])
            .read_to_end(&mut out)
            .await
            .unwrap();
        (&b""[..])
            .chain(&b""[..])
            .read_to_end(&mut out)
            .await
            .unwrap();
        assert_eq!(out, b"xy");
        // A zero-length read must not be taken as EOF of the first reader.
        let mut c = (&b"ab"[..]).chain(&b"cd"[..]);
        assert_eq!(c.read(&mut []).await.unwrap(), 0);
        let mut buf = [0u8; 4];
        c.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"abcd");
    });
}

#[test]
fn chain_as_a_buffered_reader_joins_lines() {
    block_on(async {
        let c = Chunky::new(*b"first li").chain(Chunky::new(*b"ne\nsecond"));
        let mut lines = c.lines();
        assert_eq!(
            lines.next_line().await.unwrap().as_deref(),
            Some("first line")
        );
        assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("second"));
        assert_eq!(lines.next_line().await.unwrap(), None);
    });
}

/// A reader that is `!Unpin`.
struct Pinned {
    inner: &'static [u8],
    _pin: PhantomPinned,
}

impl AsyncRead for Pinned {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        // SAFETY: `inner` is not structurally pinned; moving the slice
        // reference out and back does not move `Self`.
        let me = unsafe { self.get_unchecked_mut() };
        Pin::new(&mut me.inner).poll_read(cx, buf)
    }
}

impl AsyncBufRead for Pinned {
    fn poll_fill_buf(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        // SAFETY: as in `poll_read`.
        let me = unsafe { self.get_unchecked_mut() };
        Poll::Ready(Ok(me.inner))
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        // SAFETY: as in `poll_read`.
        let me = unsafe { self.get_unchecked_mut() };
        me.inner = &me.inner[amt..];
    }
}

fn pinned(data: &'static [u8]) -> Pinned {
    Pinned {
        inner: data,
        _pin: PhantomPinned,
    }
}

#[test]
fn adapters_work_over_unpin_less_readers() {
    block_on(async {
        let mut t = pin!(pinned(b"abcdef").take(3));
        let mut buf = [0u8; 8];
        let mut filled = ReadBuf::new(&mut buf);
        futures::future::poll_fn(|cx| t.as_mut().poll_read(cx, &mut filled))
            .await
            .unwrap();
        assert_eq!(filled.filled(), b"abc");
        assert_eq!(t.as_mut().get_pin_mut().inner, b"def");

        let mut c = pin!(pinned(b"ab").chain(pinned(b"cd")));
        let (first, second) = c.as_mut().get_pin_mut();
        assert_eq!((first.inner, second.inner), (&b"ab"[..], &b"cd"[..]));
        let mut out = Vec::new();
        loop {
            let mut buf = [0u8; 1];
            let mut rb = ReadBuf::new(&mut buf);
            futures::future::poll_fn(|cx| c.as_mut().poll_read(cx, &mut rb))
                .await
                .unwrap();
            if rb.filled().is_empty() {
                break;
            }
            out.extend_from_slice(rb.filled());
        }
        assert_eq!(out, b"abcd");

        let mut lines = pin!(pinned(b"x\ny").lines());
        let mut all = Vec::new();
        while let Some(line) = futures::future::poll_fn(|cx| lines.as_mut().poll_next_line(cx))
            .await
            .unwrap()
        {
            all.push(line);
        }
        assert_eq!(all, ["x", "y"]);
    });
}

// ---------------------------------------------------------------------------
// AsyncBufReadExt
// ---------------------------------------------------------------------------

#[test]
fn read_until_across_small_fills() {
    block_on(async {
        let mut r = Chunky::new(*b"alpha;beta;;gamma");
        let mut buf = Vec::new();
        assert_eq!(r.read_until(b';', &mut buf).await.unwrap(), 6);
        assert_eq!(buf, b"alpha;");
        assert_eq!(r.read_until(b';', &mut buf).await.unwrap(), 5);
        assert_eq!(r.read_until(b';', &mut buf).await.unwrap(), 1);
        assert_eq!(r.read_until(b';', &mut buf).await.unwrap(), 5);
        assert_eq!(r.read_until(b';', &mut buf).await.unwrap(), 0);
        assert_eq!(buf, b"alpha;beta;;gamma");
    });
}

#[test]
fn read_until_keeps_bytes_when_cancelled() {
    let mut r = Chunky::new(*b"abcdef;rest").sizes(&[2]);
    let mut buf = Vec::new();
    {
        let mut fut = r.read_until(b';', &mut buf);
        // 3 polls: two fills of 2 bytes.
        assert!(poll_times(&mut fut, 3).is_none());
    }
    assert_eq!(buf, b"abcd", "bytes read before the drop are in buf");
    assert_eq!(block_on(r.read_until(b';', &mut buf)).unwrap(), 3);
    assert_eq!(buf, b"abcdef;");
}

#[test]
fn read_until_reports_errors_and_retries_interrupted() {
    block_on(async {
        let mut r = Chunky::new(*b"0123456789\n").interrupt_at(2).fail_at(6);
        let mut buf = Vec::new();
        let err = r.read_until(b'\n', &mut buf).await.unwrap_err();
        assert_eq!(err.to_string(), "injected failure");
        assert_eq!(buf, b"012345");
        r.read_until(b'\n', &mut buf).await.unwrap();
        assert_eq!(buf, b"0123456789\n");
    });
}

#[test]
fn read_line_appends_lines_with_endings() {
    block_on(async {
        let mut r = Chunky::new(format!("one\r\n{MIXED}last"));
        let mut s = String::from(">");
        assert_eq!(r.read_line(&mut s).await.unwrap(), 5);
        assert_eq!(r.read_line(&mut s).await.unwrap(), MIXED.len());
        assert_eq!(r.read_line(&mut s).await.unwrap(), 4);
        assert_eq!(r.read_line(&mut s).await.unwrap(), 0);
        assert_eq!(s, format!(">one\r\n{MIXED}last"));
    });
}

#[test]
fn read_line_checks_utf8_across_every_split() {
    block_on(async {
        let text = format!("{MIXED}{MIXED}");
        for size in 1..=7 {
            let mut r = Chunky::new(text.as_bytes()).sizes(&[size]);
            let mut s = String::new();
            while r.read_line(&mut s).await.unwrap() != 0 {}
            assert_eq!(s, text, "size {size}");
        }
    });
}

#[test]
fn read_line_rejects_invalid_utf8_and_moves_past_the_line() {
    block_on(async {
        let cases: [&[u8]; 6] = [
            b"bad \xff byte\n",
            b"\xe2\x82\n",          // a character cut by the newline
            b"cut at eof \xf0\x9f", // a character cut by EOF
            b"\xed\xa0\x80\n",      // a surrogate
            b"overlong \xc0\xaf\n",
            b"\x80\n", // a lone continuation byte
        ];
        for bad in cases {
            for size in [1, 2, 3, 64] {
                let mut data = bad.to_vec();
                data.extend_from_slice(b"next\n");
                let mut r = Chunky::new(data).sizes(&[size]);
                let mut s = String::from("kept");
                let err = r.read_line(&mut s).await.unwrap_err();
                assert_eq!(err.kind(), ErrorKind::InvalidData, "{bad:?} / {size}");
                assert_eq!(s, "kept", "{bad:?} / {size}");
                if bad.ends_with(b"\n") {
                    assert_eq!(r.rest(), b"next\n", "the bad line is consumed");
                    r.read_line(&mut s).await.unwrap();
                    assert_eq!(s, "keptnext\n");
                }
            }
        }
    });
}

#[test]
fn read_line_keeps_valid_text_before_an_io_error() {
    block_on(async {
        let mut r = Chunky::new("é€ and more\n".as_bytes())
            .fail_at(4)
            .sizes(&[1]);
        let mut s = String::new();
        let err = r.read_line(&mut s).await.unwrap_err();
        assert_eq!(err.to_string(), "injected failure");
        assert_eq!(s, "é", "the complete characters read before the error");
        let mut r = Chunky::new(*b"\xff abc\n").fail_at(4);
        let mut s = String::from("x");
        r.read_line(&mut s).await.unwrap_err();
        assert_eq!(s, "x", "nothing of an invalid line");
    });
}

#[test]
fn read_line_drops_an_invalid_line_on_a_later_io_error() {
    block_on(async {
        // "\xe2\x82" followed by 'X' is a cut character; the I/O error comes
        // after it, so nothing of the line may stay in the string.
        let mut r = Chunky::new(*b"ab\xe2\x82X cd\n").sizes(&[1]).fail_at(7);
        let mut s = String::from("k");
        let err = r.read_line(&mut s).await.unwrap_err();
        assert_eq!(err.to_string(), "injected failure");
        assert_eq!(s, "k");
    });
}

#[test]
fn read_line_keeps_text_when_cancelled() {
    let mut r = Chunky::new("ab€cd\n".as_bytes()).sizes(&[1]);
    let mut s = String::from("<");
    {
        let mut fut = r.read_line(&mut s);
        // 4 polls read 3 bytes: "a", "b" and the first byte of "€".
        assert!(poll_times(&mut fut, 4).is_none());
    }
    assert_eq!(s, "<ab");
    assert_eq!(r.pos, 3);
}

#[test]
fn lines_strip_endings_and_keep_a_last_unterminated_line() {
    block_on(async {
        let cases: [(&str, &[&str]); 9] = [
            ("", &[]),
            ("\n", &[""]),
            ("\r\n", &[""]),
            ("a", &["a"]),
            ("a\n", &["a"]),
            ("a\r\nb\r\n", &["a", "b"]),
            ("a\n\nb", &["a", "", "b"]),
            ("cr\ronly\n\r", &["cr\ronly", "\r"]),
            ("x\r\r\n", &["x\r"]),
        ];
        for (input, want) in cases {
            for size in [1, 2, 3, 100] {
                let mut lines = Chunky::new(input).sizes(&[size]).lines();
                let mut got = Vec::new();
                while let Some(line) = lines.next_line().await.unwrap() {
                    got.push(line);
                }
                assert_eq!(got, want, "{input:?} / {size}");
                assert_eq!(lines.next_line().await.unwrap(), None, "stays at EOF");
            }
        }
    });
}

#[test]
fn lines_skip_an_invalid_line_after_reporting_it() {
    block_on(async {
        let mut lines = Chunky::new(*b"good\nb\xffd\n\xe2\x82\nfine").lines();
        assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("good"));
        assert_eq!(
            lines.next_line().await.unwrap_err().kind(),
            ErrorKind::InvalidData
        );
        assert_eq!(
            lines.next_line().await.unwrap_err().kind(),
            ErrorKind::InvalidData
        );
        assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("fine"));
        assert_eq!(lines.next_line().await.unwrap(), None);
    });
}

#[test]
fn next_line_is_cancel_safe() {
    let mut lines = Chunky::new(format!("first €uro line\n{MIXED}"))
        .sizes(&[1])
        .lines();
    // Start and drop many `next_line` futures, each after a few polls.
    let mut got = Vec::new();
    for _ in 0..1000 {
        if got.len() == 2 {
            break;
        }
        let mut fut = Box::pin(lines.next_line());
        for _ in 0..3 {
            if let Poll::Ready(line) = fut
                .as_mut()
                .poll(&mut Context::from_waker(noop_waker_ref()))
            {
                got.push(line.unwrap().unwrap());
                break;
            }
        }
    }
    assert_eq!(got, ["first €uro line", MIXED.trim_end()]);
    assert_eq!(block_on(lines.next_line()).unwrap(), None);
}

#[test]
fn lines_resume_after_an_io_error() {
    block_on(async {
        let mut lines = Chunky::new(*b"abc\ndef\n").fail_at(5).lines();
        assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("abc"));
        assert_eq!(
            lines.next_line().await.unwrap_err().to_string(),
            "injected failure"
        );
        assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("def"));
        assert_eq!(lines.get_ref().pos, 8);
        lines.get_mut().pos = 0;
        let inner = lines.into_inner();
        assert_eq!(inner.pos, 0);
    });
}

#[test]
fn lines_and_split_are_streams() {
    block_on(async {
        let lines: Vec<String> = Chunky::new(*b"a\nb\r\nc")
            .lines()
            .map(Result::unwrap)
            .collect()
            .await;
        assert_eq!(lines, ["a", "b", "c"]);
        let segments: Vec<Vec<u8>> = Chunky::new(*b"1,22,,333,")
            .split(b',')
            .map(Result::unwrap)
            .collect()
            .await;
        assert_eq!(segments, [&b"1"[..], b"22", b"", b"333"]);
        let errors: Vec<io::Result<String>> = Chunky::new(*b"\xff\nok").lines().collect().await;
        assert!(errors[0].is_err());
        assert_eq!(errors[1].as_deref().unwrap(), "ok");
    });
}

#[test]
fn split_segments_and_cancel_safety() {
    block_on(async {
        let mut parts = Chunky::new(*b"aa\0\0bbb").split(0);
        assert_eq!(parts.next_segment().await.unwrap().unwrap(), b"aa");
        assert_eq!(parts.next_segment().await.unwrap().unwrap(), b"");
        assert_eq!(parts.next_segment().await.unwrap().unwrap(), b"bbb");
        assert_eq!(parts.next_segment().await.unwrap(), None);
    });
    let mut parts = Chunky::new(*b"long segment|x").sizes(&[1]).split(b'|');
    for _ in 0..5 {
        let mut fut = Box::pin(parts.next_segment());
        let _ = fut
            .as_mut()
            .poll(&mut Context::from_waker(noop_waker_ref()));
        let _ = fut
            .as_mut()
            .poll(&mut Context::from_waker(noop_waker_ref()));
    }
    assert_eq!(
        block_on(parts.next_segment()).unwrap().unwrap(),
        b"long segment"
    );
    assert_eq!(block_on(parts.next_segment()).unwrap().unwrap(), b"x");
}

#[test]
fn fill_buf_and_consume() {
    block_on(async {
        let mut r = Chunky::new(*b"abcdef").sizes(&[4]);
        let data = r.fill_buf().await.unwrap();
        assert_eq!(data, b"abcd");
        AsyncBufReadExt::consume(&mut r, 3);
        assert_eq!(r.fill_buf().await.unwrap(), b"d");
        AsyncBufReadExt::consume(&mut r, 1);
        assert_eq!(r.fill_buf().await.unwrap(), b"ef");
        AsyncBufReadExt::consume(&mut r, 2);
        assert_eq!(r.fill_buf().await.unwrap(), b"");
    });
}

/// Runs `read_line`, `read_until` and `lines` over `input` with weave and
/// with Tokio and compares everything observable.
async fn compare_with_tokio(input: &[u8]) {
    let (mut ours, mut theirs) = (input, input);
    loop {
        let (mut a, mut b) = (String::from("="), String::from("="));
        let ra = AsyncBufReadExt::read_line(&mut ours, &mut a).await;
        let rb = tokio::io::AsyncBufReadExt::read_line(&mut theirs, &mut b).await;
        assert_eq!(
            ra.as_ref().map_err(io::Error::kind),
            rb.as_ref().map_err(io::Error::kind),
            "read_line on {input:?}"
        );
        assert_eq!(a, b, "read_line buffer on {input:?}");
        assert_eq!(ours, theirs, "read_line consumption on {input:?}");
        if matches!(ra, Ok(0)) {
            break;
        }
    }

    let (mut ours, mut theirs) = (input, input);
    loop {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        let na = AsyncBufReadExt::read_until(&mut ours, b'\r', &mut a)
            .await
            .unwrap();
        let nb = tokio::io::AsyncBufReadExt::read_until(&mut theirs, b'\r', &mut b)
            .await
            .unwrap();
        assert_eq!((na, &a), (nb, &b), "read_until on {input:?}");
        if na == 0 {
            break;
        }
    }

    let mut ours = AsyncBufReadExt::lines(input);
    let mut theirs = tokio::io::AsyncBufReadExt::lines(input);
    loop {
        let a = ours.next_line().await;
        let b = theirs.next_line().await;
        match (&a, &b) {
            (Ok(x), Ok(y)) => assert_eq!(x, y, "lines on {input:?}"),
            (Err(x), Err(y)) => assert_eq!(x.kind(), y.kind(), "lines on {input:?}"),
            _ => panic!("lines on {input:?}: {a:?} vs {b:?}"),
        }
        if matches!(a, Ok(None)) {
            break;
        }
    }
}

#[test]
fn line_reading_matches_tokio() {
    let inputs: [&[u8]; 10] = [
        b"",
        b"\n\n",
        b"plain\nlines\r\nand\rcr\n",
        b"no newline at end",
        "ünïcödé\n𝄞\r\n".as_bytes(),
        b"bad \xff\nthen good\n",
        b"cut \xe2\x82",
        b"\xe2\x82\nafter\n",
        b"\r\r\n\r",
        b"a\xc3",
    ];
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    for input in inputs {
        rt.block_on(compare_with_tokio(input));
    }
}

/// An `AsyncBufRead` over a byte slice that hands out `cap`-byte windows,
/// like a `BufReader` over a file.
struct Windows<'a> {
    data: &'a [u8],
    cap: usize,
}

impl AsyncRead for Windows<'_> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.data).poll_read(cx, buf)
    }
}

impl AsyncBufRead for Windows<'_> {
    fn poll_fill_buf(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let me = self.get_mut();
        Poll::Ready(Ok(&me.data[..me.cap.min(me.data.len())]))
    }

    fn consume(mut self: Pin<&mut Self>, amt: usize) {
        self.data = &self.data[amt..];
    }
}

fn big_text(size: usize) -> String {
    let mut text = String::with_capacity(size + 200);
    let mut i = 0u64;
    while text.len() < size {
        // Lines of varying length, some with multi-byte text and `\r\n`.
        let len = (i * 7919 % 120) as usize;
        text.extend(std::iter::repeat_n('x', len));
        if i % 13 == 0 {
            text.push_str("ßü€");
        }
        text.push_str(if i % 5 == 0 { "\r\n" } else { "\n" });
        i += 1;
    }
    text
}

#[test]
fn many_lines_match_std() {
    let text = big_text(2 << 20);
    let want: Vec<&str> = text.lines().collect();
    let got = block_on(async {
        let mut lines = Windows {
            data: text.as_bytes(),
            cap: 8192,
        }
        .lines();
        let mut got = Vec::new();
        while let Some(line) = lines.next_line().await.unwrap() {
            got.push(line);
        }
        got
    });
    assert_eq!(got.len(), want.len());
    assert!(got.iter().zip(&want).all(|(a, b)| a == b));
}

/// Throughput check on a 43 MB input; run with
/// `cargo test --release --test io_ext -- --ignored --nocapture`.
#[test]
#[ignore = "timing; run in release mode"]
fn lines_throughput_43mb() {
    let text = big_text(43 << 20);
    let count = text.lines().count();
    let start = std::time::Instant::now();
    let (n, bytes) = block_on(async {
        let mut lines = Windows {
            data: text.as_bytes(),
            cap: 8192,
        }
        .lines();
        let (mut n, mut bytes) = (0, 0);
        while let Some(line) = lines.next_line().await.unwrap() {
            n += 1;
            bytes += line.len();
        }
        (n, bytes)
    });
    let elapsed = start.elapsed();
    assert_eq!(n, count);
    println!(
        "lines: {n} lines, {bytes} bytes of text in {elapsed:?} ({:.0} MB/s)",
        text.len() as f64 / elapsed.as_secs_f64() / 1e6
    );
    let start = std::time::Instant::now();
    let mut src = Windows {
        data: text.as_bytes(),
        cap: 8192,
    };
    let mut line = String::new();
    let mut n = 0;
    block_on(async {
        loop {
            line.clear();
            if src.read_line(&mut line).await.unwrap() == 0 {
                break;
            }
            n += 1;
        }
    });
    assert_eq!(n, count);
    println!("read_line (reused String): {:?}", start.elapsed());

    // For reference: Tokio's `Lines` over its `BufReader` (8 KiB).
    let start = std::time::Instant::now();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let n = rt.block_on(async {
        let mut lines =
            tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(text.as_bytes()));
        let mut n = 0;
        while lines.next_line().await.unwrap().is_some() {
            n += 1;
        }
        n
    });
    assert_eq!(n, count);
    println!("tokio lines: {:?}", start.elapsed());
}

// ---------------------------------------------------------------------------
// AsyncWriteExt
// ---------------------------------------------------------------------------

#[test]
fn write_takes_what_the_writer_takes() {
    block_on(async {
        let mut w = ChunkyWriter::default();
        assert_eq!(w.write(b"abcdef").await.unwrap(), 2);
        assert_eq!(w.write(b"cdef").await.unwrap(), 1);
        assert_eq!(w.out, b"abc");
        let n = w
            .write_vectored(&[IoSlice::new(b"12"), IoSlice::new(b"345678")])
            .await
            .unwrap();
        assert_eq!(n, 6, "room 3, doubled for vectored writes");
        assert_eq!(w.out, b"abc123456");
    });
}

#[test]
fn write_is_cancel_safe() {
    let mut w = ChunkyWriter::default();
    {
        let mut fut = w.write(b"abc");
        assert!(poll_once(&mut fut).is_pending());
    }
    assert!(w.out.is_empty());
}

#[test]
fn write_all_writes_everything_in_pieces() {
    block_on(async {
        let mut w = ChunkyWriter {
            interrupt_once: true,
            ..Default::default()
        };
        let data: Vec<u8> = (0..200).collect();
        w.write_all(&data).await.unwrap();
        assert_eq!(w.out, data);
        assert!(w.writes > 60, "it took many partial writes: {}", w.writes);
        let before = w.writes;
        w.write_all(b"").await.unwrap();
        assert_eq!(w.writes, before, "an empty write_all does not write");
    });
}

#[test]
fn write_all_fails_with_write_zero_when_the_writer_is_full() {
    block_on(async {
        let mut w = ChunkyWriter {
            limit: Some(5),
            ..Default::default()
        };
        let err = w.write_all(b"0123456789").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WriteZero);
        assert_eq!(w.out, b"01234");
        let err = w.write_u32(1).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WriteZero);
        let err = w.write_u8(1).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WriteZero);
    });
}

#[test]
fn write_buf_and_write_all_buf_advance_the_buf() {
    use bytes::Buf;
    block_on(async {
        for vectored in [false, true] {
            let mut w = ChunkyWriter {
                vectored,
                ..Default::default()
            };
            let mut src = Buf::chain(&b"abc"[..], &b"defgh"[..]);
            let n = w.write_buf(&mut src).await.unwrap();
            assert!(n > 0);
            assert_eq!(src.remaining(), 8 - n);
            w.write_all_buf(&mut src).await.unwrap();
            assert!(!src.has_remaining());
            assert_eq!(w.out, b"abcdefgh");
            assert_eq!(w.write_buf(&mut src).await.unwrap(), 0);
            if vectored {
                assert_eq!(w.writes, 0);
                assert!(w.vectored_writes > 0);
            } else {
                assert_eq!(w.vectored_writes, 0);
            }
        }
    });
}

#[test]
fn write_all_buf_keeps_progress_on_error_and_cancel() {
    use bytes::Buf;
    block_on(async {
        let mut w = ChunkyWriter {
            limit: Some(4),
            ..Default::default()
        };
        let mut src: &[u8] = b"0123456789";
        let err = w.write_all_buf(&mut src).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WriteZero);
        assert_eq!(src, b"456789");
    });
    let mut w = ChunkyWriter::default();
    let mut src: &[u8] = b"0123456789";
    {
        let mut fut = w.write_all_buf(&mut src);
        // 3 polls: writes of 2 and 1 bytes.
        assert!(poll_times(&mut fut, 3).is_none());
    }
    assert_eq!(w.out.len() + src.remaining(), 10);
    assert_eq!(&w.out[..], b"012");
    assert_eq!(src, b"3456789");
}

#[test]
fn flush_and_shutdown_reach_the_writer() {
    block_on(async {
        let mut w = ChunkyWriter::default();
        w.flush().await.unwrap();
        w.shutdown().await.unwrap();
        assert_eq!((w.flushes, w.shutdowns), (1, 1));
    });
}

#[weave::test]
async fn write_then_read_on_the_weave_runtime() {
    let mut out = Vec::new();
    out.write_all(b"line one\n").await.unwrap();
    out.write_i64_le(-42).await.unwrap();
    let mut src = &out[..];
    let mut line = String::new();
    src.read_line(&mut line).await.unwrap();
    assert_eq!(line, "line one\n");
    assert_eq!(src.read_i64_le().await.unwrap(), -42);
}

// ---------------------------------------------------------------------------
// AsyncSeekExt
// ---------------------------------------------------------------------------

#[weave::test]
async fn seek_on_a_cursor() {
    let mut c = Cursor::new(b"0123456789".to_vec());
    assert_eq!(c.seek(SeekFrom::Start(4)).await.unwrap(), 4);
    assert_eq!(c.read_u8().await.unwrap(), b'4');
    assert_eq!(c.seek(SeekFrom::Current(-2)).await.unwrap(), 3);
    assert_eq!(c.stream_position().await.unwrap(), 3);
    assert_eq!(c.seek(SeekFrom::End(0)).await.unwrap(), 10);
    assert_eq!(c.rewind().await.unwrap(), 0);
    assert_eq!(c.read_u8().await.unwrap(), b'0');
    assert!(c.seek(SeekFrom::Current(-5)).await.is_err());
}

/// A seekable object whose seeks take a `Pending` to complete and which
/// refuses to start a seek while one is in progress.
#[derive(Default)]
struct SlowSeek {
    pos: u64,
    target: Option<u64>,
    ready_now: bool,
}

impl AsyncSeek for SlowSeek {
    fn start_seek(mut self: Pin<&mut Self>, position: SeekFrom) -> io::Result<()> {
        if self.target.is_some() {
            return Err(io::Error::other("seek already in progress"));
        }
        let target = match position {
            SeekFrom::Start(n) => n,
            SeekFrom::Current(d) => self.pos.checked_add_signed(d).unwrap(),
            SeekFrom::End(_) => {
                return Err(io::Error::new(
                    io::ErrorKind::Unsupported,
                    "this mock has no end to seek from",
                ))
            }
        };
        self.target = Some(target);
        Ok(())
    }

    fn poll_complete(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        if self.target.is_some() && !self.ready_now {
            self.ready_now = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        self.ready_now = false;
        if let Some(target) = self.target.take() {
            self.pos = target;
        }
        Poll::Ready(Ok(self.pos))
    }
}

#[test]
fn seek_waits_for_an_abandoned_seek_first() {
    let mut s = SlowSeek::default();
    {
        let mut fut = s.seek(SeekFrom::Start(10));
        assert!(poll_once(&mut fut).is_pending());
    }
    assert_eq!(s.target, Some(10), "the first seek is still in progress");
    assert_eq!(block_on(s.seek(SeekFrom::Current(5))).unwrap(), 15);
    assert_eq!(block_on(s.stream_position()).unwrap(), 15);
    assert_eq!(block_on(s.rewind()).unwrap(), 0);
}

// ---------------------------------------------------------------------------
// Future properties
// ---------------------------------------------------------------------------

#[test]
fn futures_are_unpin_and_debug_over_unpin_io() {
    let mut r = Chunky::new(*b"");
    let mut w = ChunkyWriter::default();
    let mut buf = [0u8; 4];
    let mut vec = Vec::new();
    let mut s = String::new();
    let mut bm = bytes::BytesMut::new();
    let mut src: &[u8] = b"";
    assert_unpin(&r.read(&mut buf));
    assert_unpin(&r.read_exact(&mut buf));
    assert_unpin(&r.read_buf(&mut bm));
    assert_unpin(&r.read_to_end(&mut vec));
    assert_unpin(&r.read_to_string(&mut s));
    assert_unpin(&r.read_u8());
    assert_unpin(&r.read_i128_le());
    assert_unpin(&r.read_f64());
    assert_unpin(&r.read_until(b'\n', &mut vec));
    assert_unpin(&r.read_line(&mut s));
    assert_unpin(&r.fill_buf());
    assert_unpin(&w.write(b""));
    assert_unpin(&w.write_all(b""));
    assert_unpin(&w.write_vectored(&[]));
    assert_unpin(&w.write_buf(&mut src));
    assert_unpin(&w.write_all_buf(&mut src));
    assert_unpin(&w.write_u16_le(1));
    assert_unpin(&w.flush());
    assert_unpin(&w.shutdown());
    assert_unpin(&Cursor::new(b"").seek(SeekFrom::Start(0)));
    assert_unpin(&Chunky::new(*b"").take(1));
    assert_unpin(&Chunky::new(*b"").chain(Chunky::new(*b"")));
    assert_unpin(&Chunky::new(*b"").lines());
    assert_unpin(&Chunky::new(*b"").split(0));
    let dbg = format!("{:?} {:?}", (&b"ab"[..]).take(1), (&b"ab"[..]).read_u16());
    assert!(dbg.contains("Take") && dbg.contains("ReadU16"), "{dbg}");
}

#[test]
fn extension_methods_work_through_box_and_dyn() {
    block_on(async {
        let mut boxed: Box<dyn AsyncBufRead + Unpin> = Box::new(Chunky::new(*b"x\ny"));
        let mut s = String::new();
        boxed.read_line(&mut s).await.unwrap();
        assert_eq!(s, "x\n");
        let mut rest = Vec::new();
        boxed.read_to_end(&mut rest).await.unwrap();
        assert_eq!(rest, b"y");
        let dynamic: &mut (dyn AsyncWrite + Unpin) = &mut ChunkyWriter::default();
        dynamic.write_all(b"dyn").await.unwrap();
        dynamic.flush().await.unwrap();
    });
}
