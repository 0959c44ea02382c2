//! Integration tests for `weave::io`'s utilities: `BufReader`, `BufWriter`,
//! `BufStream`, `copy`, `copy_buf`, `copy_bidirectional`, `split`,
//! `duplex` / `simplex`, `empty`, `sink`, `repeat`.
//!
//! The tests drive the poll-level traits through small `poll_fn` helpers
//! (below), so they depend on nothing but the traits under test. Sources
//! and sinks are mocks that hand out data in small, irregular chunks and
//! return `Pending` now and then (waking themselves first, so any executor
//! makes progress); every byte that comes out is compared with what went
//! in. Wake-ups are checked with a counting waker that also knows how many
//! of its clones are still alive.

use std::future::{poll_fn, Future};
use std::io::{self, Cursor, IoSlice, SeekFrom, Write as _};
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use weave::io::{
    copy, copy_bidirectional, copy_bidirectional_with_sizes, copy_buf, duplex, empty, repeat,
    simplex, sink, split, AsyncBufRead, AsyncRead, AsyncSeek, AsyncWrite, BufReader, BufStream,
    BufWriter, DuplexStream, ReadBuf, ReadHalf, SimplexStream, WriteHalf,
};
use weave::runtime::{Builder, Runtime};

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

fn current_thread() -> Runtime {
    Builder::new_current_thread().enable_all().build().unwrap()
}

fn multi_thread() -> Runtime {
    Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Ends the whole test process with a failure if the test that created it
/// is still running after two minutes, so that a lost wake-up shows up as
/// a failed run instead of a hung one.
struct Watchdog(Arc<AtomicBool>);

fn watchdog() -> Watchdog {
    let done = Arc::new(AtomicBool::new(false));
    let seen = done.clone();
    let name = std::thread::current()
        .name()
        .unwrap_or("<unnamed>")
        .to_string();
    std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_secs(120));
        if !seen.load(SeqCst) {
            // Straight to stderr: `eprintln!` would be captured and lost.
            let _ = writeln!(
                io::stderr(),
                "test {name} still running after 120 s (lost wake-up?): aborting"
            );
            std::process::exit(101);
        }
    });
    Watchdog(done)
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.0.store(true, SeqCst);
    }
}

/// Runs `fut` on a current-thread runtime, under a watchdog.
fn on_current_thread<F: Future>(fut: F) -> F::Output {
    let _watchdog = watchdog();
    current_thread().block_on(fut)
}

/// Runs `fut` on a two-worker runtime, under a watchdog.
fn on_multi_thread<F: Future>(fut: F) -> F::Output {
    let _watchdog = watchdog();
    multi_thread().block_on(fut)
}

/// Runs `fut` with the `futures` crate's executor (no weave runtime at
/// all), under a watchdog.
fn on_foreign_executor<F: Future>(fut: F) -> F::Output {
    let _watchdog = watchdog();
    futures::executor::block_on(fut)
}

/// Deterministic pseudo-random test data: byte `i` of stream `seed`.
fn byte_at(seed: u64, i: usize) -> u8 {
    let mut x = (i as u64).wrapping_add(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x as u8
}

fn pattern(seed: u64, len: usize) -> Vec<u8> {
    (0..len).map(|i| byte_at(seed, i)).collect()
}

/// FNV-1a, to compare large transfers.
fn checksum(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    })
}

async fn read_some<R: AsyncRead + Unpin + ?Sized>(r: &mut R, out: &mut [u8]) -> io::Result<usize> {
    let mut buf = ReadBuf::new(out);
    poll_fn(|cx| Pin::new(&mut *r).poll_read(cx, &mut buf)).await?;
    Ok(buf.filled().len())
}

async fn read_exact<R: AsyncRead + Unpin + ?Sized>(r: &mut R, out: &mut [u8]) -> io::Result<()> {
    let mut done = 0;
    while done < out.len() {
        let n = read_some(r, &mut out[done..]).await?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        done += n;
    }
    Ok(())
}

async fn read_to_end<R: AsyncRead + Unpin + ?Sized>(r: &mut R) -> io::Result<Vec<u8>> {
    let mut all = Vec::new();
    let mut chunk = vec![0u8; 1000];
    loop {
        let n = read_some(r, &mut chunk).await?;
        if n == 0 {
            return Ok(all);
        }
        all.extend_from_slice(&chunk[..n]);
    }
}

async fn write_some<W: AsyncWrite + Unpin + ?Sized>(w: &mut W, data: &[u8]) -> io::Result<usize> {
    poll_fn(|cx| Pin::new(&mut *w).poll_write(cx, data)).await
}

async fn write_all<W: AsyncWrite + Unpin + ?Sized>(w: &mut W, mut data: &[u8]) -> io::Result<()> {
    while !data.is_empty() {
        let n = write_some(w, data).await?;
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        data = &data[n..];
    }
    Ok(())
}

async fn flush<W: AsyncWrite + Unpin + ?Sized>(w: &mut W) -> io::Result<()> {
    poll_fn(|cx| Pin::new(&mut *w).poll_flush(cx)).await
}

async fn shutdown<W: AsyncWrite + Unpin + ?Sized>(w: &mut W) -> io::Result<()> {
    poll_fn(|cx| Pin::new(&mut *w).poll_shutdown(cx)).await
}

async fn seek<S: AsyncSeek + Unpin + ?Sized>(s: &mut S, pos: SeekFrom) -> io::Result<u64> {
    Pin::new(&mut *s).start_seek(pos)?;
    poll_fn(|cx| Pin::new(&mut *s).poll_complete(cx)).await
}

async fn position<S: AsyncSeek + Unpin + ?Sized>(s: &mut S) -> io::Result<u64> {
    poll_fn(|cx| Pin::new(&mut *s).poll_complete(cx)).await
}

/// Returns a copy of the bytes `poll_fill_buf` offers.
async fn fill_buf<R: AsyncBufRead + Unpin + ?Sized>(r: &mut R) -> io::Result<Vec<u8>> {
    poll_fn(|cx| Pin::new(&mut *r).poll_fill_buf(cx).map_ok(|b| b.to_vec())).await
}

/// A waker that counts wake-ups; `live()` is the number of its clones that
/// still exist (besides the test's own handle).
struct CountingWaker {
    wakes: AtomicUsize,
}

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.wakes.fetch_add(1, SeqCst);
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.wakes.fetch_add(1, SeqCst);
    }
}

fn counting_waker() -> (Arc<CountingWaker>, Waker) {
    let counter = Arc::new(CountingWaker {
        wakes: AtomicUsize::new(0),
    });
    let waker = Waker::from(counter.clone());
    (counter, waker)
}

impl CountingWaker {
    fn wakes(&self) -> usize {
        self.wakes.load(SeqCst)
    }

    /// Clones of the waker held elsewhere: not counting the test's handle on
    /// the counter and the one `Waker` that `counting_waker` returned.
    fn live(self: &Arc<Self>) -> usize {
        Arc::strong_count(self) - 2
    }
}

fn poll_read_with(
    r: &mut (impl AsyncRead + Unpin),
    waker: &Waker,
    out: &mut [u8],
) -> Poll<io::Result<usize>> {
    let mut cx = Context::from_waker(waker);
    let mut buf = ReadBuf::new(out);
    Pin::new(r)
        .poll_read(&mut cx, &mut buf)
        .map_ok(|()| buf.filled().len())
}

fn poll_write_with(
    w: &mut (impl AsyncWrite + Unpin),
    waker: &Waker,
    data: &[u8],
) -> Poll<io::Result<usize>> {
    let mut cx = Context::from_waker(waker);
    Pin::new(w).poll_write(&mut cx, data)
}

// ---------------------------------------------------------------------------
// Mocks
// ---------------------------------------------------------------------------

/// A reader over `data` that returns at most `chunks[k % len]` bytes on its
/// k-th successful read and `Pending` (after waking) on every
/// `pending_every`-th poll. It is also seekable, with a `poll_complete`
/// that is `Pending` once per seek.
struct MockReader {
    data: Vec<u8>,
    pos: usize,
    chunks: Vec<usize>,
    step: usize,
    pending_every: usize,
    polls: usize,
    /// `buf.remaining()` of every read that returned data.
    requests: Vec<usize>,
    seek_target: Option<u64>,
    seek_polled: bool,
    seeks: Vec<SeekFrom>,
}

impl MockReader {
    fn new(data: Vec<u8>, chunks: &[usize], pending_every: usize) -> MockReader {
        MockReader {
            data,
            pos: 0,
            chunks: chunks.to_vec(),
            step: 0,
            pending_every,
            polls: 0,
            requests: Vec::new(),
            seek_target: None,
            seek_polled: false,
            seeks: Vec::new(),
        }
    }
}

impl AsyncRead for MockReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let me = &mut *self;
        me.polls += 1;
        if me.pending_every > 0 && me.polls % me.pending_every == 0 {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let chunk = me.chunks[me.step % me.chunks.len()];
        me.step += 1;
        me.requests.push(buf.remaining());
        let n = chunk.min(buf.remaining()).min(me.data.len() - me.pos);
        buf.put_slice(&me.data[me.pos..me.pos + n]);
        me.pos += n;
        Poll::Ready(Ok(()))
    }
}

impl AsyncSeek for MockReader {
    fn start_seek(mut self: Pin<&mut Self>, position: SeekFrom) -> io::Result<()> {
        let target = match position {
            SeekFrom::Start(p) => Some(p as i128),
            SeekFrom::End(d) => Some(self.data.len() as i128 + d as i128),
            SeekFrom::Current(d) => Some(self.pos as i128 + d as i128),
        }
        .filter(|t| *t >= 0)
        .ok_or_else(|| io::Error::from(io::ErrorKind::InvalidInput))?;
        self.seeks.push(position);
        self.seek_target = Some(target as u64);
        self.seek_polled = false;
        Ok(())
    }

    fn poll_complete(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        if let Some(target) = self.seek_target {
            if !self.seek_polled {
                self.seek_polled = true;
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            self.pos = (target as usize).min(self.data.len());
            self.seek_target = None;
        }
        Poll::Ready(Ok(self.pos as u64))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Event {
    Write(Vec<u8>),
    Flush,
    Shutdown,
}

/// A writer that takes at most `chunks[k % len]` bytes per write, returns
/// `Pending` (after waking) on every `pending_every`-th poll, and logs
/// every write, flush and shutdown.
struct MockWriter {
    chunks: Vec<usize>,
    step: usize,
    pending_every: usize,
    polls: usize,
    vectored: bool,
    vectored_calls: usize,
    log: Vec<Event>,
}

impl MockWriter {
    fn new(chunks: &[usize], pending_every: usize) -> MockWriter {
        MockWriter {
            chunks: chunks.to_vec(),
            step: 0,
            pending_every,
            polls: 0,
            vectored: false,
            vectored_calls: 0,
            log: Vec::new(),
        }
    }

    fn data(&self) -> Vec<u8> {
        let mut all = Vec::new();
        for e in &self.log {
            if let Event::Write(d) = e {
                all.extend_from_slice(d);
            }
        }
        all
    }

    fn pending_now(&mut self, cx: &mut Context<'_>) -> bool {
        self.polls += 1;
        if self.pending_every > 0 && self.polls % self.pending_every == 0 {
            cx.waker().wake_by_ref();
            return true;
        }
        false
    }
}

impl AsyncWrite for MockWriter {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let me = &mut *self;
        if me.pending_now(cx) {
            return Poll::Pending;
        }
        let n = me.chunks[me.step % me.chunks.len()].min(buf.len());
        me.step += 1;
        me.log.push(Event::Write(buf[..n].to_vec()));
        Poll::Ready(Ok(n))
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if !self.vectored {
            let first = bufs.iter().find(|b| !b.is_empty()).map_or(&[][..], |b| b);
            return self.poll_write(cx, first);
        }
        let me = &mut *self;
        if me.pending_now(cx) {
            return Poll::Pending;
        }
        me.vectored_calls += 1;
        let mut budget = me.chunks[me.step % me.chunks.len()];
        me.step += 1;
        let mut taken = Vec::new();
        for b in bufs {
            let n = budget.min(b.len());
            taken.extend_from_slice(&b[..n]);
            budget -= n;
        }
        let n = taken.len();
        me.log.push(Event::Write(taken));
        Poll::Ready(Ok(n))
    }

    fn is_write_vectored(&self) -> bool {
        self.vectored
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.pending_now(cx) {
            return Poll::Pending;
        }
        self.log.push(Event::Flush);
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.pending_now(cx) {
            return Poll::Pending;
        }
        self.log.push(Event::Shutdown);
        Poll::Ready(Ok(()))
    }
}

// ---------------------------------------------------------------------------
// BufReader
// ---------------------------------------------------------------------------

#[test]
fn buf_reader_delivers_every_byte_for_any_read_size() {
    let data = pattern(1, 50_000);
    on_current_thread(async {
        for (cap, read_size) in [
            (16, 1),
            (16, 7),
            (16, 16),
            (16, 100),
            (8192, 3),
            (1000, 999),
        ] {
            let inner = MockReader::new(data.clone(), &[1, 13, 5, 200, 3, 64], 3);
            let mut reader = BufReader::with_capacity(cap, inner);
            let mut out = Vec::new();
            let mut chunk = vec![0u8; read_size];
            loop {
                let n = read_some(&mut reader, &mut chunk).await.unwrap();
                if n == 0 {
                    break;
                }
                out.extend_from_slice(&chunk[..n]);
            }
            assert_eq!(out.len(), data.len(), "cap {cap} read {read_size}");
            assert!(out == data, "bytes differ: cap {cap} read {read_size}");
        }
    });
}

#[test]
fn buf_reader_bypasses_its_buffer_for_large_reads_only_when_empty() {
    on_current_thread(async {
        let inner = MockReader::new(pattern(2, 1000), &[usize::MAX], 0);
        let mut reader = BufReader::with_capacity(16, inner);

        // Empty buffer, big read: the inner reader sees the caller's buffer.
        let mut big = [0u8; 64];
        assert_eq!(read_some(&mut reader, &mut big).await.unwrap(), 64);
        assert_eq!(reader.get_ref().requests, vec![64]);
        assert!(reader.buffer().is_empty());

        // Small read: fills our 16-byte buffer.
        let mut small = [0u8; 4];
        assert_eq!(read_some(&mut reader, &mut small).await.unwrap(), 4);
        assert_eq!(reader.get_ref().requests, vec![64, 16]);
        assert_eq!(reader.buffer().len(), 12);

        // Big read with bytes buffered: served from the buffer, no I/O.
        assert_eq!(read_some(&mut reader, &mut big).await.unwrap(), 12);
        assert_eq!(reader.get_ref().requests, vec![64, 16]);
        assert_eq!(&big[..12], &pattern(2, 1000)[68..80]);

        // Exactly the capacity counts as large.
        let mut exact = [0u8; 16];
        assert_eq!(read_some(&mut reader, &mut exact).await.unwrap(), 16);
        assert_eq!(reader.get_ref().requests, vec![64, 16, 16]);
        assert!(reader.buffer().is_empty());
        assert_eq!(&exact[..], &pattern(2, 1000)[80..96]);
    });
}

#[test]
fn buf_reader_fill_buf_and_consume() {
    on_foreign_executor(async {
        let inner = MockReader::new(b"hello world".to_vec(), &[5, 100], 2);
        let mut reader = BufReader::with_capacity(8, inner);
        assert_eq!(fill_buf(&mut reader).await.unwrap(), b"hello");
        // Without consume, the same bytes again and no further read.
        assert_eq!(fill_buf(&mut reader).await.unwrap(), b"hello");
        Pin::new(&mut reader).consume(2);
        assert_eq!(reader.buffer(), b"llo");
        // Consuming more than is buffered just empties it.
        Pin::new(&mut reader).consume(100);
        assert!(reader.buffer().is_empty());
        assert_eq!(fill_buf(&mut reader).await.unwrap(), b" world");
        Pin::new(&mut reader).consume(6);
        assert_eq!(fill_buf(&mut reader).await.unwrap(), b"");
        let inner = reader.into_inner();
        assert_eq!(inner.pos, 11);
    });
}

#[test]
fn buf_reader_seek_accounts_for_buffered_bytes() {
    let data = pattern(3, 256);
    on_current_thread(async {
        let mut reader = BufReader::with_capacity(16, Cursor::new(data.clone()));
        let mut four = [0u8; 4];
        read_exact(&mut reader, &mut four).await.unwrap();
        assert_eq!(reader.buffer().len(), 12);
        assert_eq!(reader.get_ref().position(), 16);

        // Current(0) is the reader's position, not the inner cursor's.
        assert_eq!(seek(&mut reader, SeekFrom::Current(0)).await.unwrap(), 4);
        assert!(reader.buffer().is_empty(), "seeking discards the buffer");
        let mut one = [0u8; 1];
        read_exact(&mut reader, &mut one).await.unwrap();
        assert_eq!(one[0], data[4]);

        assert_eq!(seek(&mut reader, SeekFrom::Current(-3)).await.unwrap(), 2);
        read_exact(&mut reader, &mut one).await.unwrap();
        assert_eq!(one[0], data[2]);

        assert_eq!(seek(&mut reader, SeekFrom::Current(10)).await.unwrap(), 13);
        read_exact(&mut reader, &mut one).await.unwrap();
        assert_eq!(one[0], data[13]);

        assert_eq!(seek(&mut reader, SeekFrom::Start(100)).await.unwrap(), 100);
        read_exact(&mut reader, &mut four).await.unwrap();
        assert_eq!(four, data[100..104]);

        assert_eq!(seek(&mut reader, SeekFrom::End(-1)).await.unwrap(), 255);
        read_exact(&mut reader, &mut one).await.unwrap();
        assert_eq!(one[0], data[255]);
        assert_eq!(read_some(&mut reader, &mut one).await.unwrap(), 0);

        // A completion without a start reports the logical position.
        seek(&mut reader, SeekFrom::Start(40)).await.unwrap();
        read_exact(&mut reader, &mut four).await.unwrap();
        assert_eq!(position(&mut reader).await.unwrap(), 44);
        read_exact(&mut reader, &mut one).await.unwrap();
        assert_eq!(one[0], data[44]);
    });
}

#[test]
fn buf_reader_seek_overflowing_offset_and_errors() {
    on_current_thread(async {
        let data = pattern(4, 64);
        let mut reader = BufReader::with_capacity(16, Cursor::new(data.clone()));
        let mut four = [0u8; 4];
        read_exact(&mut reader, &mut four).await.unwrap();
        // i64::MIN - 12 buffered bytes overflows: the reader steps back over
        // the buffer, then seeks by i64::MIN, which the cursor refuses.
        let err = seek(&mut reader, SeekFrom::Current(i64::MIN))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert_eq!(reader.get_ref().position(), 4, "first step landed on 4");
        // The reader is usable afterwards.
        read_exact(&mut reader, &mut four).await.unwrap();
        assert_eq!(four, data[4..8]);

        // A seek the inner reader refuses up front keeps the buffer.
        let mut reader = BufReader::with_capacity(16, MockReader::new(data.clone(), &[100], 0));
        read_exact(&mut reader, &mut four).await.unwrap();
        let err = seek(&mut reader, SeekFrom::Current(-100))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert_eq!(reader.buffer(), &data[4..16]);
    });
}

#[test]
fn buf_reader_seek_with_pending_inner() {
    let data = pattern(5, 500);
    on_foreign_executor(async {
        let inner = MockReader::new(data.clone(), &[7, 50], 4);
        let mut reader = BufReader::with_capacity(32, inner);
        let mut buf = [0u8; 10];
        read_exact(&mut reader, &mut buf).await.unwrap();
        let buffered = reader.buffer().len() as i64;
        assert!(buffered > 0);
        assert_eq!(seek(&mut reader, SeekFrom::Current(5)).await.unwrap(), 15);
        // One relative seek, adjusted by the buffered bytes.
        assert_eq!(
            reader.get_ref().seeks,
            vec![SeekFrom::Current(5 - buffered)]
        );
        read_exact(&mut reader, &mut buf).await.unwrap();
        assert_eq!(buf, data[15..25]);
    });
}

#[test]
fn buf_reader_passes_writes_through() {
    on_current_thread(async {
        let (a, mut b) = duplex(64);
        let mut reader = BufReader::new(a);
        write_all(&mut reader, b"straight through").await.unwrap();
        let mut out = [0u8; 16];
        read_exact(&mut b, &mut out).await.unwrap();
        assert_eq!(&out, b"straight through");
        assert!(format!("{reader:?}").starts_with("BufReader"));
    });
}

// ---------------------------------------------------------------------------
// BufWriter
// ---------------------------------------------------------------------------

#[test]
fn buf_writer_collects_small_writes_until_flush() {
    on_foreign_executor(async {
        let mut writer = BufWriter::with_capacity(16, MockWriter::new(&[5], 0));
        write_all(&mut writer, b"abc").await.unwrap();
        write_all(&mut writer, b"defg").await.unwrap();
        write_all(&mut writer, b"hi").await.unwrap();
        assert!(
            writer.get_ref().log.is_empty(),
            "nothing reaches the inner writer yet"
        );
        assert_eq!(writer.buffer(), b"abcdefghi");

        flush(&mut writer).await.unwrap();
        // Everything written out (in the inner writer's 5-byte steps), then
        // exactly one inner flush, last.
        assert_eq!(
            writer.get_ref().log,
            vec![
                Event::Write(b"abcde".to_vec()),
                Event::Write(b"fghi".to_vec()),
                Event::Flush
            ]
        );
        assert!(writer.buffer().is_empty());
    });
}

#[test]
fn buf_writer_writes_out_buffer_before_a_write_that_does_not_fit() {
    on_foreign_executor(async {
        let mut writer = BufWriter::with_capacity(8, MockWriter::new(&[100], 0));
        write_all(&mut writer, b"12345").await.unwrap();
        // 5 + 4 > 8: the buffer goes out first, then "6789" is buffered.
        write_all(&mut writer, b"6789").await.unwrap();
        assert_eq!(writer.get_ref().log, vec![Event::Write(b"12345".to_vec())]);
        assert_eq!(writer.buffer(), b"6789");

        // A write at least as large as the buffer goes straight through,
        // after the buffered bytes.
        let n = write_some(&mut writer, b"ABCDEFGHIJ").await.unwrap();
        assert_eq!(n, 10);
        assert_eq!(
            writer.get_ref().log,
            vec![
                Event::Write(b"12345".to_vec()),
                Event::Write(b"6789".to_vec()),
                Event::Write(b"ABCDEFGHIJ".to_vec()),
            ]
        );
        assert!(writer.buffer().is_empty());
    });
}

#[test]
fn buf_writer_large_write_reports_the_inner_count() {
    on_foreign_executor(async {
        let mut writer = BufWriter::with_capacity(8, MockWriter::new(&[3], 0));
        // Straight through: the inner writer takes 3, and 3 is reported.
        assert_eq!(write_some(&mut writer, b"0123456789").await.unwrap(), 3);
        assert!(writer.buffer().is_empty());
        assert_eq!(writer.get_ref().data(), b"012");

        // Exactly the capacity counts as large too.
        let mut writer = BufWriter::with_capacity(8, MockWriter::new(&[100], 0));
        assert_eq!(write_some(&mut writer, b"01234567").await.unwrap(), 8);
        assert!(writer.buffer().is_empty());
        assert_eq!(
            writer.get_ref().log,
            vec![Event::Write(b"01234567".to_vec())]
        );
        // One byte less is buffered.
        assert_eq!(write_some(&mut writer, b"0123456").await.unwrap(), 7);
        assert_eq!(writer.buffer(), b"0123456");
    });
}

#[test]
fn buf_writer_keeps_every_byte_through_a_slow_pending_writer() {
    let data = pattern(6, 100_000);
    on_current_thread(async {
        let inner = MockWriter::new(&[1, 17, 300, 5, 4096], 3);
        let mut writer = BufWriter::with_capacity(1024, inner);
        let sizes = [1usize, 3, 1000, 1024, 5000, 2, 700];
        let mut off = 0;
        let mut k = 0;
        while off < data.len() {
            let end = (off + sizes[k % sizes.len()]).min(data.len());
            write_all(&mut writer, &data[off..end]).await.unwrap();
            off = end;
            k += 1;
        }
        shutdown(&mut writer).await.unwrap();
        let inner = writer.into_inner();
        assert!(inner.data() == data, "bytes differ");
        assert_eq!(inner.log.last(), Some(&Event::Shutdown));
        assert!(
            !inner.log.contains(&Event::Flush),
            "shutdown writes the buffer out and shuts the inner writer down"
        );
    });
}

#[test]
fn buf_writer_shutdown_writes_buffer_first() {
    on_foreign_executor(async {
        let mut writer = BufWriter::new(MockWriter::new(&[2], 2));
        write_all(&mut writer, b"tail").await.unwrap();
        shutdown(&mut writer).await.unwrap();
        let log = &writer.get_ref().log;
        assert_eq!(log.last(), Some(&Event::Shutdown));
        assert_eq!(writer.get_ref().data(), b"tail");
    });
}

#[test]
fn buf_writer_write_zero_is_an_error() {
    on_foreign_executor(async {
        let mut writer = BufWriter::with_capacity(8, MockWriter::new(&[0], 0));
        write_all(&mut writer, b"abc").await.unwrap();
        let err = flush(&mut writer).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WriteZero);
    });
}

#[test]
fn buf_writer_vectored_buffers_and_passes_through() {
    on_foreign_executor(async {
        // Inner writer without vectored support: whole slices are buffered
        // while they fit.
        let mut writer = BufWriter::with_capacity(10, MockWriter::new(&[100], 0));
        assert!(writer.is_write_vectored());
        let bufs = [
            IoSlice::new(b""),
            IoSlice::new(b"abc"),
            IoSlice::new(b"defg"),
            IoSlice::new(b"hijk"),
        ];
        let n = poll_fn(|cx| Pin::new(&mut writer).poll_write_vectored(cx, &bufs))
            .await
            .unwrap();
        assert_eq!(n, 7, "abc + defg fit, hijk does not");
        assert_eq!(writer.buffer(), b"abcdefg");
        // A first slice larger than the buffer goes straight through.
        let big = [IoSlice::new(b"0123456789AB"), IoSlice::new(b"x")];
        let n = poll_fn(|cx| Pin::new(&mut writer).poll_write_vectored(cx, &big))
            .await
            .unwrap();
        assert_eq!(n, 12);
        assert_eq!(writer.get_ref().data(), b"abcdefg0123456789AB");
        let empty: [IoSlice<'_>; 2] = [IoSlice::new(b""), IoSlice::new(b"")];
        let n = poll_fn(|cx| Pin::new(&mut writer).poll_write_vectored(cx, &empty))
            .await
            .unwrap();
        assert_eq!(n, 0);

        // Inner writer with vectored support: all-or-nothing on the total.
        let mut inner = MockWriter::new(&[100], 0);
        inner.vectored = true;
        let mut writer = BufWriter::with_capacity(10, inner);
        let small = [IoSlice::new(b"ab"), IoSlice::new(b"cd")];
        let n = poll_fn(|cx| Pin::new(&mut writer).poll_write_vectored(cx, &small))
            .await
            .unwrap();
        assert_eq!(n, 4);
        assert_eq!(writer.buffer(), b"abcd");
        let large = [IoSlice::new(b"efgh"), IoSlice::new(b"ijklmn")];
        let n = poll_fn(|cx| Pin::new(&mut writer).poll_write_vectored(cx, &large))
            .await
            .unwrap();
        assert_eq!(n, 10);
        assert_eq!(writer.get_ref().data(), b"abcdefghijklmn");
        assert_eq!(
            writer.get_ref().vectored_calls,
            1,
            "one vectored call for the large one"
        );
    });
}

#[test]
fn buf_writer_seek_writes_buffer_out_first() {
    on_current_thread(async {
        let mut writer = BufWriter::new(Cursor::new(Vec::new()));
        write_all(&mut writer, b"hello").await.unwrap();
        assert!(writer.get_ref().get_ref().is_empty());
        assert_eq!(seek(&mut writer, SeekFrom::Start(0)).await.unwrap(), 0);
        assert_eq!(writer.get_ref().get_ref(), b"hello");
        write_all(&mut writer, b"J").await.unwrap();
        // A position query counts buffered bytes as written.
        assert_eq!(position(&mut writer).await.unwrap(), 1);
        assert_eq!(writer.get_ref().get_ref(), b"Jello");
        assert_eq!(seek(&mut writer, SeekFrom::End(0)).await.unwrap(), 5);
    });
}

#[test]
fn buf_writer_passes_reads_through() {
    on_current_thread(async {
        let (a, mut b) = duplex(64);
        let mut writer = BufWriter::new(a);
        write_all(&mut b, b"reply").await.unwrap();
        let mut out = [0u8; 5];
        read_exact(&mut writer, &mut out).await.unwrap();
        assert_eq!(&out, b"reply");
        assert!(format!("{writer:?}").starts_with("BufWriter"));
    });
}

// ---------------------------------------------------------------------------
// BufStream
// ---------------------------------------------------------------------------

#[test]
fn buf_stream_buffers_both_directions() {
    on_current_thread(async {
        let (a, mut b) = duplex(1024);
        let mut stream = BufStream::with_capacity(16, 32, a);
        write_all(&mut stream, b"request").await.unwrap();
        // Still in the write buffer: the peer sees nothing yet.
        let waker = Waker::noop();
        let mut scratch = [0u8; 16];
        assert!(poll_read_with(&mut b, waker, &mut scratch).is_pending());
        flush(&mut stream).await.unwrap();
        read_exact(&mut b, &mut scratch[..7]).await.unwrap();
        assert_eq!(&scratch[..7], b"request");

        write_all(&mut b, b"line one\nline two\n").await.unwrap();
        let chunk = fill_buf(&mut stream).await.unwrap();
        assert_eq!(
            chunk, b"line one\nline tw",
            "the 16-byte read buffer is full"
        );
        Pin::new(&mut stream).consume(9);
        let mut rest = [0u8; 9];
        read_exact(&mut stream, &mut rest).await.unwrap();
        assert_eq!(&rest, b"line two\n");
        let _: &DuplexStream = stream.get_ref();
        let _: &mut DuplexStream = stream.get_mut();
    });
}

#[test]
fn buf_stream_from_conversions_keep_buffered_data() {
    on_current_thread(async {
        // Writer over reader: one byte read ahead, three bytes unwritten.
        let (a, mut b) = duplex(1024);
        write_all(&mut b, b"0123456789").await.unwrap();
        let mut stack = BufWriter::new(BufReader::with_capacity(4, a));
        let mut one = [0u8; 1];
        read_exact(&mut stack, &mut one).await.unwrap();
        assert_eq!(&one, b"0");
        write_all(&mut stack, b"xyz").await.unwrap();

        let mut stream = BufStream::from(stack);
        let mut rest = [0u8; 9];
        read_exact(&mut stream, &mut rest).await.unwrap();
        assert_eq!(&rest, b"123456789");
        flush(&mut stream).await.unwrap();
        let mut got = [0u8; 3];
        read_exact(&mut b, &mut got).await.unwrap();
        assert_eq!(&got, b"xyz");

        // Reader over writer: taken as is.
        let stack = BufReader::new(BufWriter::new(stream.into_inner()));
        let mut stream = BufStream::from(stack);
        write_all(&mut stream, b"!").await.unwrap();
        flush(&mut stream).await.unwrap();
        read_exact(&mut b, &mut one).await.unwrap();
        assert_eq!(&one, b"!");
    });
}

#[test]
fn buf_stream_seek_flushes_and_discards() {
    on_current_thread(async {
        let mut stream = BufStream::new(Cursor::new(b"abcdefgh".to_vec()));
        let mut two = [0u8; 2];
        read_exact(&mut stream, &mut two).await.unwrap();
        assert_eq!(&two, b"ab");
        assert_eq!(seek(&mut stream, SeekFrom::Current(1)).await.unwrap(), 3);
        write_all(&mut stream, b"XY").await.unwrap();
        assert_eq!(seek(&mut stream, SeekFrom::Start(0)).await.unwrap(), 0);
        let all = read_to_end(&mut stream).await.unwrap();
        assert_eq!(all, b"abcXYfgh");
    });
}

// ---------------------------------------------------------------------------
// copy / copy_buf
// ---------------------------------------------------------------------------

#[test]
fn copy_moves_every_byte_through_pending_mocks() {
    let data = pattern(7, 1_000_000);
    on_current_thread(async {
        let mut reader = MockReader::new(data.clone(), &[1, 1000, 65_536, 37, 9000], 4);
        let mut writer = MockWriter::new(&[3, 5000, 70_000, 64], 5);
        let n = copy(&mut reader, &mut writer).await.unwrap();
        assert_eq!(n, data.len() as u64);
        let out = writer.data();
        assert_eq!(checksum(&out), checksum(&data));
        assert!(out == data);
        assert_eq!(
            writer.log.last(),
            Some(&Event::Flush),
            "copy ends with a flush"
        );
        assert!(
            !writer.log.contains(&Event::Shutdown),
            "copy does not shut down"
        );
    });
}

#[test]
fn copy_survives_reads_that_fill_its_buffer_exactly() {
    // Reads of exactly 64 KiB (copy's buffer size) and 16 bytes (the
    // buffer given to copy_bidirectional_with_sizes): after such a read the
    // buffer is full, and the copy must still start over once it is written.
    let data = pattern(19, 1 << 20);
    let expected = data.clone();
    let out = on_foreign_executor(async move {
        let mut reader = MockReader::new(data, &[65_536], 0);
        let mut writer = MockWriter::new(&[65_536, 1000], 0);
        copy(&mut reader, &mut writer).await.unwrap();
        writer.data()
    });
    assert!(out == expected);
    on_foreign_executor(async {
        let (mut a, mut a_peer) = duplex(16);
        let (mut b, mut b_peer) = duplex(16);
        let proxy = copy_bidirectional_with_sizes(&mut a, &mut b, 16, 1);
        let send = async {
            write_all(&mut a_peer, &[5; 1000]).await.unwrap();
            shutdown(&mut a_peer).await.unwrap();
        };
        let receive = async {
            shutdown(&mut b_peer).await.unwrap();
            read_to_end(&mut b_peer).await.unwrap()
        };
        let (counts, (), got) = futures::join!(proxy, send, receive);
        assert_eq!(counts.unwrap(), (1000, 0));
        assert_eq!(got, vec![5; 1000]);
    });
}

#[test]
fn copy_under_a_foreign_executor() {
    let data = pattern(8, 300_000);
    let out = on_foreign_executor(async {
        let mut reader = MockReader::new(data.clone(), &[4096, 11], 3);
        let mut writer = Vec::new();
        let n = copy(&mut reader, &mut writer).await.unwrap();
        assert_eq!(n, data.len() as u64);
        writer
    });
    assert!(out == data);
}

/// Gives `first` once, then is `Pending` forever (without waking).
struct StallingReader {
    first: Option<Vec<u8>>,
}

impl AsyncRead for StallingReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.first.take() {
            Some(data) => {
                buf.put_slice(&data);
                Poll::Ready(Ok(()))
            }
            None => Poll::Pending,
        }
    }
}

impl AsyncBufRead for StallingReader {
    fn poll_fill_buf(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        match &self.get_mut().first {
            Some(data) => Poll::Ready(Ok(data)),
            None => Poll::Pending,
        }
    }

    fn consume(mut self: Pin<&mut Self>, amt: usize) {
        let data = self.first.as_mut().unwrap();
        data.drain(..amt);
        if data.is_empty() {
            self.first = None;
        }
    }
}

#[test]
fn copy_flushes_the_writer_when_the_reader_stalls() {
    let waker = Waker::noop();
    let mut cx = Context::from_waker(waker);

    let mut reader = StallingReader {
        first: Some(b"request".to_vec()),
    };
    let mut writer = BufWriter::new(Vec::new());
    {
        let fut = pin!(copy(&mut reader, &mut writer));
        assert!(fut.poll(&mut cx).is_pending());
    }
    assert_eq!(writer.get_ref(), b"request", "flushed while waiting");

    let mut reader = StallingReader {
        first: Some(b"buffered".to_vec()),
    };
    let mut writer = BufWriter::new(Vec::new());
    {
        let fut = pin!(copy_buf(&mut reader, &mut writer));
        assert!(fut.poll(&mut cx).is_pending());
    }
    assert_eq!(
        writer.get_ref(),
        b"buffered",
        "copy_buf flushed while waiting"
    );
}

#[test]
fn copy_buf_moves_every_byte() {
    let data = pattern(9, 200_000);
    on_current_thread(async {
        let inner = MockReader::new(data.clone(), &[13, 4096, 1], 3);
        let mut reader = BufReader::with_capacity(1000, inner);
        let mut writer = MockWriter::new(&[7, 333, 1000], 4);
        let n = copy_buf(&mut reader, &mut writer).await.unwrap();
        assert_eq!(n, data.len() as u64);
        assert!(writer.data() == data);
        assert_eq!(writer.log.last(), Some(&Event::Flush));
    });
}

#[test]
fn copy_reports_write_zero_and_errors() {
    on_foreign_executor(async {
        let mut reader: &[u8] = b"some bytes";
        let mut writer = MockWriter::new(&[0], 0);
        let err = copy(&mut reader, &mut writer).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WriteZero);

        let mut reader: &[u8] = b"some bytes";
        let (mut a, b) = duplex(4);
        drop(b);
        let err = copy(&mut reader, &mut a).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
    });
}

#[test]
fn copy_works_on_unsized_trait_objects() {
    on_foreign_executor(async {
        let mut src: Box<dyn AsyncRead + Unpin + Send> = Box::new(&b"dyn"[..]);
        let mut dst: Box<dyn AsyncWrite + Unpin + Send> = Box::new(Vec::new());
        let n = copy(&mut *src, &mut *dst).await.unwrap();
        assert_eq!(n, 3);
    });
}

// ---------------------------------------------------------------------------
// copy_bidirectional
// ---------------------------------------------------------------------------

/// Client ↔ proxy ↔ server over two duplex pairs; the proxy runs
/// `copy_bidirectional`. The client sends `up` bytes and the server `down`
/// bytes, both at the same time, each shutting down when done; every byte
/// is checked on arrival.
fn bidirectional_roundtrip(rt: Runtime, up: usize, down: usize, pipe: usize) {
    let _watchdog = watchdog();
    rt.block_on(async move {
        let (client, mut proxy_a) = duplex(pipe);
        let (mut proxy_b, server) = duplex(pipe);
        let proxy =
            weave::spawn(async move { copy_bidirectional(&mut proxy_a, &mut proxy_b).await });

        let (mut client_rd, mut client_wr) = split(client);
        let client_sender = weave::spawn(async move {
            let data = pattern(10, up);
            // Irregular write sizes.
            let mut off = 0;
            let mut k = 0;
            while off < data.len() {
                let end = (off + [1, 999, 20_000, 4096][k % 4]).min(data.len());
                write_all(&mut client_wr, &data[off..end]).await.unwrap();
                off = end;
                k += 1;
            }
            shutdown(&mut client_wr).await.unwrap();
            client_wr
        });
        let client_receiver = weave::spawn(async move {
            let got = read_to_end(&mut client_rd).await.unwrap();
            (client_rd, got)
        });

        let (mut server_rd, mut server_wr) = split(server);
        let server_sender = weave::spawn(async move {
            let data = pattern(11, down);
            for chunk in data.chunks(7777) {
                write_all(&mut server_wr, chunk).await.unwrap();
            }
            shutdown(&mut server_wr).await.unwrap();
        });
        let server_receiver = weave::spawn(async move {
            // Check the stream as it arrives.
            let mut seen = 0usize;
            let mut buf = vec![0u8; 3000];
            loop {
                let n = read_some(&mut server_rd, &mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                for (i, &b) in buf[..n].iter().enumerate() {
                    assert_eq!(b, byte_at(10, seen + i), "byte {} to the server", seen + i);
                }
                seen += n;
            }
            seen
        });

        let client_wr = client_sender.await.unwrap();
        let (client_rd, got) = client_receiver.await.unwrap();
        server_sender.await.unwrap();
        assert_eq!(server_receiver.await.unwrap(), up);
        assert_eq!(got.len(), down);
        assert_eq!(checksum(&got), checksum(&pattern(11, down)));
        assert!(got == pattern(11, down));

        let counts = proxy.await.unwrap().unwrap();
        assert_eq!(counts, (up as u64, down as u64));
        let _client: DuplexStream = client_rd.unsplit(client_wr);
    });
}

#[test]
fn copy_bidirectional_moves_megabytes_both_ways_multi_thread() {
    bidirectional_roundtrip(multi_thread(), 3 << 20, 2 << 20, 8192);
}

#[test]
fn copy_bidirectional_moves_megabytes_both_ways_current_thread() {
    bidirectional_roundtrip(current_thread(), 2 << 20, 3 << 20, 1000);
}

#[test]
fn copy_bidirectional_is_half_close_aware() {
    on_current_thread(async {
        let (mut client, mut proxy_a) = duplex(64);
        let (mut proxy_b, mut server) = duplex(64);
        let proxy = weave::spawn(async move {
            copy_bidirectional_with_sizes(&mut proxy_a, &mut proxy_b, 16, 3).await
        });

        write_all(&mut client, b"last words").await.unwrap();
        shutdown(&mut client).await.unwrap();
        // The server sees the data, then end of file...
        assert_eq!(read_to_end(&mut server).await.unwrap(), b"last words");
        // ...and can still answer through the proxy.
        write_all(&mut server, b"reply after half-close")
            .await
            .unwrap();
        let mut got = [0u8; 22];
        read_exact(&mut client, &mut got).await.unwrap();
        assert_eq!(&got, b"reply after half-close");
        assert!(!proxy.is_finished());
        shutdown(&mut server).await.unwrap();
        assert_eq!(read_to_end(&mut client).await.unwrap(), b"");
        assert_eq!(proxy.await.unwrap().unwrap(), (10, 22));
    });
}

#[test]
fn copy_bidirectional_returns_the_first_error() {
    on_current_thread(async {
        let (mut client, mut proxy_a) = duplex(64);
        let (mut proxy_b, server) = duplex(64);
        drop(server);
        let proxy =
            weave::spawn(async move { copy_bidirectional(&mut proxy_a, &mut proxy_b).await });
        write_all(&mut client, b"into the void").await.unwrap();
        let err = proxy.await.unwrap().unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
    });
}

#[test]
fn copy_bidirectional_under_a_foreign_executor() {
    let up = pattern(12, 100_000);
    let down = pattern(13, 50_000);
    on_foreign_executor(async {
        let (mut client, mut proxy_a) = duplex(512);
        let (mut proxy_b, mut server) = duplex(512);
        let proxy = copy_bidirectional(&mut proxy_a, &mut proxy_b);
        let client_side = async {
            let (mut rd, mut wr) = split(&mut client);
            let send = async {
                write_all(&mut wr, &up).await.unwrap();
                shutdown(&mut wr).await.unwrap();
            };
            let (_, got) = futures::join!(send, read_to_end(&mut rd));
            got.unwrap()
        };
        let server_side = async {
            let (mut rd, mut wr) = split(&mut server);
            let send = async {
                write_all(&mut wr, &down).await.unwrap();
                shutdown(&mut wr).await.unwrap();
            };
            let (_, got) = futures::join!(send, read_to_end(&mut rd));
            got.unwrap()
        };
        let (counts, to_client, to_server) = futures::join!(proxy, client_side, server_side);
        assert_eq!(counts.unwrap(), (up.len() as u64, down.len() as u64));
        assert!(to_server == up);
        assert!(to_client == down);
    });
}

// ---------------------------------------------------------------------------
// duplex / simplex
// ---------------------------------------------------------------------------

#[test]
fn duplex_backpressure_and_wakeups() {
    let (mut a, mut b) = duplex(8);
    let (writer_count, writer_waker) = counting_waker();
    let (reader_count, reader_waker) = counting_waker();

    // The reader waits on an empty pipe.
    let mut out = [0u8; 32];
    assert!(poll_read_with(&mut b, &reader_waker, &mut out).is_pending());

    // The writer fills the 8-byte buffer, which wakes the reader.
    let data = pattern(14, 20);
    assert_eq!(
        poll_write_with(&mut a, &writer_waker, &data).map(Result::unwrap),
        Poll::Ready(8)
    );
    assert_eq!(reader_count.wakes(), 1);
    // Full: the writer must wait.
    assert!(poll_write_with(&mut a, &writer_waker, &data[8..]).is_pending());
    assert_eq!(writer_count.wakes(), 0);

    // Reading 5 bytes makes room and wakes the writer.
    assert_eq!(
        poll_read_with(&mut b, &reader_waker, &mut out[..5]).map(Result::unwrap),
        Poll::Ready(5)
    );
    assert_eq!(&out[..5], &data[..5]);
    assert_eq!(writer_count.wakes(), 1);
    assert_eq!(
        poll_write_with(&mut a, &writer_waker, &data[8..]).map(Result::unwrap),
        Poll::Ready(5)
    );
    // The rest arrives in order.
    assert_eq!(
        poll_read_with(&mut b, &reader_waker, &mut out).map(Result::unwrap),
        Poll::Ready(8)
    );
    assert_eq!(&out[..8], &data[5..13]);
    // Each direction is independent: b -> a works while a -> b is idle.
    assert_eq!(
        poll_write_with(&mut b, &writer_waker, b"back").map(Result::unwrap),
        Poll::Ready(4)
    );
    assert_eq!(
        poll_read_with(&mut a, &reader_waker, &mut out).map(Result::unwrap),
        Poll::Ready(4)
    );
    assert_eq!(&out[..4], b"back");

    drop((a, b));
    assert_eq!(writer_count.live(), 0, "no writer waker left behind");
    assert_eq!(reader_count.live(), 0, "no reader waker left behind");
}

#[test]
fn duplex_drop_gives_eof_to_reads_and_broken_pipe_to_writes() {
    let (mut a, b) = duplex(4);
    let (count, waker) = counting_waker();
    assert_eq!(
        poll_write_with(&mut a, &waker, b"abcdef").map(Result::unwrap),
        Poll::Ready(4)
    );
    // a -> b is full: a's writer waits; a's reader waits on empty b -> a.
    assert!(poll_write_with(&mut a, &waker, b"ef").is_pending());
    let mut out = [0u8; 8];
    let (peer_count, peer_waker) = counting_waker();
    assert!(poll_read_with(&mut a, &peer_waker, &mut out).is_pending());

    drop(b);
    // The waiting writer and the waiting reader both learn about it.
    assert_eq!(count.wakes(), 1);
    assert_eq!(peer_count.wakes(), 1);
    let err = match poll_write_with(&mut a, &waker, b"ef") {
        Poll::Ready(Err(e)) => e,
        other => panic!("expected BrokenPipe, got {other:?}"),
    };
    assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
    assert_eq!(
        poll_read_with(&mut a, &peer_waker, &mut out).map(Result::unwrap),
        Poll::Ready(0),
        "end of file"
    );
    drop(a);
    assert_eq!(count.live(), 0);
    assert_eq!(peer_count.live(), 0);
}

#[test]
fn duplex_reader_drains_buffer_before_eof() {
    on_foreign_executor(async {
        let (mut a, mut b) = duplex(64);
        write_all(&mut a, b"left behind").await.unwrap();
        drop(a);
        assert_eq!(read_to_end(&mut b).await.unwrap(), b"left behind");
        assert_eq!(read_to_end(&mut b).await.unwrap(), b"", "EOF is permanent");
        let err = write_all(&mut b, b"x").await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
    });
}

#[test]
fn duplex_shutdown_closes_one_direction() {
    on_foreign_executor(async {
        let (mut a, mut b) = duplex(64);
        write_all(&mut a, b"bye").await.unwrap();
        shutdown(&mut a).await.unwrap();
        assert_eq!(read_to_end(&mut b).await.unwrap(), b"bye");
        // a can no longer write, but b can still write to a.
        let err = write_all(&mut a, b"more").await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
        write_all(&mut b, b"still open").await.unwrap();
        let mut got = [0u8; 10];
        read_exact(&mut a, &mut got).await.unwrap();
        assert_eq!(&got, b"still open");
    });
}

#[test]
fn duplex_shutdown_wakes_a_waiting_reader() {
    let (mut a, mut b) = duplex(64);
    let (count, waker) = counting_waker();
    let mut out = [0u8; 4];
    assert!(poll_read_with(&mut b, &waker, &mut out).is_pending());
    let mut cx = Context::from_waker(Waker::noop());
    assert!(Pin::new(&mut a).poll_shutdown(&mut cx).is_ready());
    assert_eq!(count.wakes(), 1);
    assert_eq!(count.live(), 0, "the woken waker was consumed");
    assert_eq!(
        poll_read_with(&mut b, &waker, &mut out).map(Result::unwrap),
        Poll::Ready(0)
    );
}

#[test]
fn duplex_replaced_wakers_are_dropped() {
    let (mut a, _b) = duplex(8);
    let (first, first_waker) = counting_waker();
    let (second, second_waker) = counting_waker();
    let mut out = [0u8; 1];
    assert!(poll_read_with(&mut a, &first_waker, &mut out).is_pending());
    assert_eq!(first.live(), 1, "stored");
    // Same waker again: still one stored clone.
    assert!(poll_read_with(&mut a, &first_waker, &mut out).is_pending());
    assert_eq!(first.live(), 1);
    // A different waker replaces (and drops) the first.
    assert!(poll_read_with(&mut a, &second_waker, &mut out).is_pending());
    assert_eq!(first.live(), 0);
    assert_eq!(second.live(), 1);
    drop(a);
    assert_eq!(second.live(), 0, "dropping the stream drops its own waker");
    assert_eq!(first.wakes() + second.wakes(), 0);
}

#[test]
fn duplex_drop_releases_the_wakers_it_left_behind() {
    let (mut a, b) = duplex(2);
    let (writer, writer_waker) = counting_waker();
    let (reader, reader_waker) = counting_waker();
    assert_eq!(
        poll_write_with(&mut a, &writer_waker, b"xy").map(Result::unwrap),
        Poll::Ready(2)
    );
    assert!(poll_write_with(&mut a, &writer_waker, b"z").is_pending());
    let mut out = [0u8; 1];
    assert!(poll_read_with(&mut a, &reader_waker, &mut out).is_pending());
    assert_eq!((writer.live(), reader.live()), (1, 1));
    // `b` is still alive, but nobody will wait on `a` any more.
    drop(a);
    assert_eq!((writer.live(), reader.live()), (0, 0));
    assert_eq!(writer.wakes() + reader.wakes(), 0, "dropped, not woken");
    drop(b);
}

#[test]
fn duplex_vectored_write_respects_the_limit() {
    on_foreign_executor(async {
        let (mut a, mut b) = duplex(6);
        assert!(a.is_write_vectored());
        let bufs = [
            IoSlice::new(b"abcd"),
            IoSlice::new(b""),
            IoSlice::new(b"efgh"),
        ];
        let n = poll_fn(|cx| Pin::new(&mut a).poll_write_vectored(cx, &bufs))
            .await
            .unwrap();
        assert_eq!(n, 6);
        let mut out = [0u8; 6];
        read_exact(&mut b, &mut out).await.unwrap();
        assert_eq!(&out, b"abcdef");
    });
}

#[test]
fn duplex_stress_across_threads() {
    let data = pattern(15, 2 << 20);
    let expected = checksum(&data);
    on_multi_thread(async move {
        let (mut a, mut b) = duplex(333);
        let writer = weave::spawn(async move {
            for chunk in data.chunks(1000) {
                write_all(&mut a, chunk).await.unwrap();
            }
        });
        let reader = weave::spawn(async move { read_to_end(&mut b).await.unwrap() });
        writer.await.unwrap();
        let got = reader.await.unwrap();
        assert_eq!(got.len(), 2 << 20);
        assert_eq!(checksum(&got), expected);
    });
}

#[test]
#[should_panic(expected = "greater than 0")]
fn duplex_zero_size_panics() {
    let _ = duplex(0);
}

#[test]
#[should_panic(expected = "greater than 0")]
fn simplex_zero_size_panics() {
    let _ = simplex(0);
}

#[test]
fn simplex_pipe_and_unsplit() {
    on_current_thread(async {
        let (mut rd, mut wr) = simplex(5);
        let data = pattern(16, 10_000);
        let sender = {
            let data = data.clone();
            weave::spawn(async move {
                write_all(&mut wr, &data).await.unwrap();
                shutdown(&mut wr).await.unwrap();
                wr
            })
        };
        let got = read_to_end(&mut rd).await.unwrap();
        assert!(got == data);
        let wr = sender.await.unwrap();
        let mut whole: SimplexStream = rd.unsplit(wr);
        // Shut down for good: writes fail.
        let err = write_all(&mut whole, b"x").await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);

        let mut fresh = SimplexStream::new_unsplit(16);
        write_all(&mut fresh, b"loopback").await.unwrap();
        let mut out = [0u8; 8];
        read_exact(&mut fresh, &mut out).await.unwrap();
        assert_eq!(&out, b"loopback");
        assert!(format!("{fresh:?}").contains("SimplexStream"));
    });
}

// ---------------------------------------------------------------------------
// split
// ---------------------------------------------------------------------------

#[test]
fn split_halves_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<ReadHalf<DuplexStream>>();
    assert_send_sync::<WriteHalf<DuplexStream>>();
    assert_send_sync::<ReadHalf<SimplexStream>>();
    assert_send_sync::<DuplexStream>();
    assert_send_sync::<BufReader<DuplexStream>>();
    assert_send_sync::<BufWriter<DuplexStream>>();
    assert_send_sync::<BufStream<DuplexStream>>();
}

#[test]
fn split_halves_work_from_different_tasks() {
    on_multi_thread(async {
        let (stream, peer) = duplex(100);
        let (mut rd, mut wr) = split(stream);
        let (mut peer_rd, mut peer_wr) = split(peer);
        assert!(rd.is_pair_of(&wr));
        assert!(wr.is_pair_of(&rd));
        assert!(!rd.is_pair_of(&peer_wr));
        assert!(!peer_wr.is_pair_of(&rd));

        let up = pattern(17, 300_000);
        let down = pattern(18, 300_000);
        let t1 = {
            let up = up.clone();
            weave::spawn(async move {
                write_all(&mut wr, &up).await.unwrap();
                shutdown(&mut wr).await.unwrap();
                wr
            })
        };
        let t2 = {
            let down = down.clone();
            weave::spawn(async move {
                write_all(&mut peer_wr, &down).await.unwrap();
                shutdown(&mut peer_wr).await.unwrap();
            })
        };
        let t3 = weave::spawn(async move {
            let got = read_to_end(&mut peer_rd).await.unwrap();
            (peer_rd, got)
        });
        let got_down = read_to_end(&mut rd).await.unwrap();
        let wr = t1.await.unwrap();
        t2.await.unwrap();
        let (_peer_rd, got_up) = t3.await.unwrap();
        assert!(got_down == down);
        assert!(got_up == up);

        let stream: DuplexStream = rd.unsplit(wr);
        assert!(format!("{stream:?}").contains("DuplexStream"));
    });
}

#[test]
#[should_panic(expected = "split off a different stream")]
fn unsplit_of_unrelated_halves_panics() {
    let (one, _) = duplex(8);
    let (two, _) = duplex(8);
    let (rd1, _wr1) = split(one);
    let (_rd2, wr2) = split(two);
    let _ = rd1.unsplit(wr2);
}

/// A stream that is `!Unpin`, to check that `split` does not need `Unpin`.
struct NotUnpin {
    inner: DuplexStream,
    _pin: std::marker::PhantomPinned,
}

impl AsyncRead for NotUnpin {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        // SAFETY: `inner` is never moved out of a pinned `NotUnpin`, and
        // `DuplexStream` is `Unpin` anyway.
        let inner = unsafe { &mut self.get_unchecked_mut().inner };
        Pin::new(inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for NotUnpin {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        // SAFETY: as in `poll_read`.
        let inner = unsafe { &mut self.get_unchecked_mut().inner };
        Pin::new(inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // SAFETY: as in `poll_read`.
        let inner = unsafe { &mut self.get_unchecked_mut().inner };
        Pin::new(inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // SAFETY: as in `poll_read`.
        let inner = unsafe { &mut self.get_unchecked_mut().inner };
        Pin::new(inner).poll_shutdown(cx)
    }
}

#[test]
fn split_accepts_a_stream_that_is_not_unpin() {
    on_foreign_executor(async {
        let (a, mut b) = duplex(64);
        let (mut rd, mut wr) = split(NotUnpin {
            inner: a,
            _pin: std::marker::PhantomPinned,
        });
        write_all(&mut wr, b"pinned").await.unwrap();
        let mut got = [0u8; 6];
        read_exact(&mut b, &mut got).await.unwrap();
        assert_eq!(&got, b"pinned");
        write_all(&mut b, b"back").await.unwrap();
        read_exact(&mut rd, &mut got[..4]).await.unwrap();
        assert_eq!(&got[..4], b"back");
    });
}

// ---------------------------------------------------------------------------
// empty / sink / repeat
// ---------------------------------------------------------------------------

#[test]
fn empty_sink_repeat_behave() {
    on_foreign_executor(async {
        let mut e = empty();
        let mut buf = [7u8; 8];
        assert_eq!(read_some(&mut e, &mut buf).await.unwrap(), 0);
        assert_eq!(fill_buf(&mut e).await.unwrap(), b"");
        Pin::new(&mut e).consume(10);
        assert_eq!(write_some(&mut e, b"gone").await.unwrap(), 4);
        flush(&mut e).await.unwrap();
        shutdown(&mut e).await.unwrap();
        assert_eq!(seek(&mut e, SeekFrom::Start(42)).await.unwrap(), 0);
        assert_eq!(seek(&mut e, SeekFrom::End(-3)).await.unwrap(), 0);
        assert_eq!(format!("{e:?}"), "Empty { .. }");

        let mut s = sink();
        assert_eq!(write_some(&mut s, &[1; 1000]).await.unwrap(), 1000);
        let bufs = [IoSlice::new(b"ab"), IoSlice::new(b"cde")];
        let n = poll_fn(|cx| Pin::new(&mut s).poll_write_vectored(cx, &bufs))
            .await
            .unwrap();
        assert_eq!(n, 5);
        flush(&mut s).await.unwrap();
        shutdown(&mut s).await.unwrap();
        assert_eq!(format!("{s:?}"), "Sink { .. }");

        let mut r = repeat(0xAB);
        let mut big = vec![0u8; 100_000];
        assert_eq!(read_some(&mut r, &mut big).await.unwrap(), 100_000);
        assert!(big.iter().all(|&b| b == 0xAB));
        // A partly filled ReadBuf keeps its filled part.
        let mut storage = [0u8; 6];
        let mut rb = ReadBuf::new(&mut storage);
        rb.put_slice(b"ok");
        poll_fn(|cx| Pin::new(&mut r).poll_read(cx, &mut rb))
            .await
            .unwrap();
        assert_eq!(rb.filled(), b"ok\xAB\xAB\xAB\xAB");
    });
}

/// Runs `looper` (which must poll an always-ready resource in a loop and
/// check `other_ran` after each operation) next to a task that only sets
/// `other_ran`, on a current-thread runtime. Without the budget the looper
/// would run to its iteration cap first.
fn assert_yields<F, Fut>(what: &str, looper: F)
where
    F: FnOnce(Arc<AtomicBool>) -> Fut,
    Fut: Future<Output = Option<u32>> + Send + 'static,
{
    let _watchdog = watchdog();
    let rt = current_thread();
    let other_ran = Arc::new(AtomicBool::new(false));
    let fut = looper(other_ran.clone());
    let seen_after = rt.block_on(async move {
        let looping = weave::spawn(fut);
        let other = weave::spawn(async move { other_ran.store(true, SeqCst) });
        let seen = looping.await.unwrap();
        other.await.unwrap();
        seen
    });
    let iterations = seen_after.unwrap_or_else(|| panic!("a loop over {what} never yielded"));
    assert!(
        iterations <= 1000,
        "{what}: yielded only after {iterations} operations"
    );
}

const LOOP_CAP: u32 = 200_000;

#[test]
fn repeat_loop_yields_to_other_tasks() {
    assert_yields("repeat()", |flag| async move {
        let mut r = repeat(0);
        let mut buf = [0u8; 64];
        for i in 0..LOOP_CAP {
            read_some(&mut r, &mut buf).await.unwrap();
            if flag.load(SeqCst) {
                return Some(i);
            }
        }
        None
    });
}

#[test]
fn empty_and_sink_loops_yield_to_other_tasks() {
    assert_yields("empty()", |flag| async move {
        let mut e = empty();
        let mut buf = [0u8; 64];
        for i in 0..LOOP_CAP {
            read_some(&mut e, &mut buf).await.unwrap();
            if flag.load(SeqCst) {
                return Some(i);
            }
        }
        None
    });
    assert_yields("sink()", |flag| async move {
        let mut s = sink();
        for i in 0..LOOP_CAP {
            write_some(&mut s, b"x").await.unwrap();
            if flag.load(SeqCst) {
                return Some(i);
            }
        }
        None
    });
}

#[test]
fn duplex_loop_yields_to_other_tasks() {
    assert_yields("duplex", |flag| async move {
        let (mut a, mut b) = duplex(16);
        let mut buf = [0u8; 1];
        for i in 0..LOOP_CAP {
            write_all(&mut a, b"z").await.unwrap();
            read_exact(&mut b, &mut buf).await.unwrap();
            if flag.load(SeqCst) {
                return Some(i);
            }
        }
        None
    });
}

#[test]
fn copy_from_repeat_to_sink_yields_to_other_tasks() {
    on_current_thread(async {
        let other_ran = Arc::new(AtomicBool::new(false));
        let flag = other_ran.clone();
        // An endless copy; it must still let `other` run, and stop when
        // aborted.
        let copier = weave::spawn(async move {
            let _ = copy(&mut repeat(1), &mut sink()).await;
        });
        let other = weave::spawn(async move { flag.store(true, SeqCst) });
        other.await.unwrap();
        assert!(other_ran.load(SeqCst));
        copier.abort();
        assert!(copier.await.unwrap_err().is_cancelled());
    });
}

#[weave::test]
async fn works_under_the_test_macro() {
    let (mut a, mut b) = duplex(32);
    let mut reader = BufReader::new(&b"through a BufReader"[..]);
    let copied = copy_buf(&mut reader, &mut a).await.unwrap();
    assert_eq!(copied, 19);
    drop(a);
    assert_eq!(read_to_end(&mut b).await.unwrap(), b"through a BufReader");
}

/// `io::join` (Tokio's): reads from the reader, writes to the writer,
/// `AsyncBufRead` through the reader, `into_inner` gives both back.
#[test]
fn join_reader_and_writer_into_one_stream() {
    use weave::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
    on_current_thread(async {
        let reader = BufReader::new(&b"first line\nsecond"[..]);
        let mut stream = weave::io::join(reader, Vec::<u8>::new());
        let mut line = String::new();
        stream.read_line(&mut line).await.unwrap();
        assert_eq!(line, "first line\n");
        stream.write_all(b"written ").await.unwrap();
        stream.writer_mut().extend_from_slice(b"directly");
        stream.flush().await.unwrap();
        stream.shutdown().await.unwrap();
        let mut rest = String::new();
        stream.read_to_string(&mut rest).await.unwrap();
        assert_eq!(rest, "second");
        assert_eq!(stream.writer(), b"written directly");
        let (_, written) = stream.into_inner();
        assert_eq!(written, b"written directly");

        // Over a pipe: what one side writes, the joined stream reads.
        let (a, mut b) = duplex(64);
        let (a_read, a_write) = split(a);
        let mut joined = weave::io::join(a_read, a_write);
        b.write_all(b"ping").await.unwrap();
        let mut buf = [0u8; 4];
        joined.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"ping");
        joined.write_all(b"pong").await.unwrap();
        b.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"pong");
    });
}
