//! Asynchronous standard input, output and error (Tokio's `io::stdin()`,
//! `io::stdout()`, `io::stderr()`), on the blocking pool.
//!
//! # Design
//!
//! Standard streams cannot be polled for readiness portably (stdin may be a
//! file, a terminal or a pipe), so, as in Tokio, reads and writes run on the
//! blocking pool. Unlike Tokio, weave does not hop once per call:
//!
//! - **Output is group-committed, in order.** Each stream (stdout, stderr)
//!   has one process-wide [`Sink`]: `poll_write` on any handle appends to
//!   its buffer and returns at once; if no writer job runs, one starts right
//!   away, so a lone line appears as promptly as with Tokio. Writes made
//!   while that job writes accumulate (up to 256 KiB, then `poll_write`
//!   waits) and go out as the job's next batch. A single job per stream
//!   writes the batches in the order they were accepted, so the bytes of
//!   all handles reach the stream in the order of their `poll_write` calls.
//!   `flush().await` waits until everything this handle wrote is out.
//! - **Input is read in chunks into one shared buffer.** A read hop asks for
//!   64 KiB (more if the caller's buffer is bigger, up to 1 MiB); what the
//!   caller does not take stays in the process-wide [`Source`] buffer and
//!   serves later reads of *any* `Stdin` handle without a hop, so creating a
//!   fresh handle per read loses nothing. There is no read-ahead: a read of
//!   a terminal or pipe can block until someone types, and a blocked pool
//!   thread keeps the runtime from shutting down. (A read that is in flight
//!   when the runtime shuts down has the same effect; as with Tokio, the
//!   shutdown then waits for a line of input or end of file.)
//!
//! Both go through `std::io::stdin()` / `stdout()` / `stderr()`, so output
//! interleaves sensibly with `println!` (at batch granularity) and each batch
//! is flushed through std's line buffer.
//!
//! # Invariants (each behind its stream's mutex)
//!
//! - **S1.** `Sink::busy` is true exactly while a writer job is queued or
//!   running; only the thread that sets it spawns one, so there is at most
//!   one per stream and batches are written in acceptance order.
//! - **S2.** `Sink::buf` non-empty implies `busy`; the job only clears
//!   `busy` after finding `buf` empty. Accepted output is never stranded,
//!   even when every handle has been dropped.
//! - **S3.** `done <= accepted` (byte counts). A handle remembers `accepted`
//!   after its last write; its flush completes once `done` reaches that
//!   mark. Bytes dropped after a write error count as done, so no flush
//!   waits forever.
//! - **S4.** `Source::busy` is true exactly while a read job is queued or
//!   running (at most one); the job owns the read buffer meanwhile and
//!   hands it back, with the result, before clearing `busy`.
//! - **S5.** A task that gets `Pending` has its waker in the stream's
//!   `waiters`; every job wakes all of them after publishing each result.

use super::{AsyncRead, AsyncWrite, ReadBuf};
use parking_lot::{const_mutex, Mutex};
use std::fmt;
use std::io::{self, Read, Write};
use std::mem;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

/// Most output a stream buffers while its writer job is busy.
const SINK_CAP: usize = 256 * 1024;
/// Usual size of a stdin read hop.
const READ_CHUNK: usize = 64 * 1024;
/// Largest stdin read hop.
const MAX_READ_CHUNK: usize = 1024 * 1024;

static STDIN: Source = Source {
    state: const_mutex(SourceState {
        buf: Vec::new(),
        pos: 0,
        filled: 0,
        busy: false,
        eof: false,
        err: None,
        waiters: Vec::new(),
    }),
};

static STDOUT: Sink = Sink::new(Stream::Stdout);
static STDERR: Sink = Sink::new(Stream::Stderr);

/// A handle to the process's standard input, read asynchronously (Tokio's
/// `tokio::io::Stdin`). Created by [`stdin`].
///
/// Reads run on the blocking pool. A read that is waiting for input cannot
/// be cancelled: the runtime's shutdown waits for it (for a line, or end of
/// file).
pub struct Stdin {
    _private: (),
}

/// A handle to the process's standard output (Tokio's `tokio::io::Stdout`).
/// Created by [`stdout`].
///
/// Output of all `Stdout` handles is written in the order of the writes.
/// Call `flush().await` to wait until this handle's output is written (and
/// to see a write error).
pub struct Stdout {
    /// The sink's `accepted` count after this handle's last write.
    mark: u64,
}

/// A handle to the process's standard error (Tokio's `tokio::io::Stderr`).
/// Created by [`stderr`]; behaves like [`Stdout`].
pub struct Stderr {
    mark: u64,
}

/// A handle to standard input.
///
/// ```no_run
/// use weave::io::AsyncBufReadExt;
///
/// # weave::runtime::Runtime::new().unwrap().block_on(async {
/// let mut lines = weave::io::BufReader::new(weave::io::stdin()).lines();
/// while let Some(line) = lines.next_line().await? {
///     println!("read: {line}");
/// }
/// # Ok::<_, std::io::Error>(()) }).unwrap();
/// ```
pub fn stdin() -> Stdin {
    Stdin { _private: () }
}

/// A handle to standard output.
///
/// ```
/// use weave::io::AsyncWriteExt;
///
/// # weave::runtime::Runtime::new().unwrap().block_on(async {
/// let mut out = weave::io::stdout();
/// out.write_all(b"hello from weave\n").await?;
/// out.flush().await?;
/// # Ok::<_, std::io::Error>(()) }).unwrap();
/// ```
pub fn stdout() -> Stdout {
    Stdout { mark: 0 }
}

/// A handle to standard error.
///
/// ```
/// use weave::io::AsyncWriteExt;
///
/// # weave::runtime::Runtime::new().unwrap().block_on(async {
/// let mut err = weave::io::stderr();
/// err.write_all(b"a diagnostic\n").await?;
/// err.flush().await?;
/// # Ok::<_, std::io::Error>(()) }).unwrap();
/// ```
pub fn stderr() -> Stderr {
    Stderr { mark: 0 }
}

// ---------------------------------------------------------------------------
// Output

#[derive(Clone, Copy, Debug)]
enum Stream {
    Stdout,
    Stderr,
}

/// One output stream's shared buffer and writer-job state.
struct Sink {
    stream: Stream,
    state: Mutex<SinkState>,
}

struct SinkState {
    buf: Vec<u8>,
    spare: Vec<u8>,
    busy: bool,
    accepted: u64,
    done: u64,
    err: Option<io::Error>,
    waiters: Vec<Waker>,
}

impl Sink {
    const fn new(stream: Stream) -> Sink {
        Sink {
            stream,
            state: const_mutex(SinkState {
                buf: Vec::new(),
                spare: Vec::new(),
                busy: false,
                accepted: 0,
                done: 0,
                err: None,
                waiters: Vec::new(),
            }),
        }
    }

    fn poll_write(
        &'static self,
        cx: &mut Context<'_>,
        mark: &mut u64,
        src: &[u8],
    ) -> Poll<io::Result<usize>> {
        let mut st = self.state.lock();
        if let Some(e) = st.err.take() {
            return Poll::Ready(Err(e));
        }
        if src.is_empty() {
            return Poll::Ready(Ok(0));
        }
        if st.buf.len() >= SINK_CAP {
            // S2: the writer job will take `buf` and wake us.
            register(&mut st.waiters, cx);
            return Poll::Pending;
        }
        if st.buf.capacity() == 0 {
            st.buf = mem::take(&mut st.spare);
        }
        let n = src.len().min(SINK_CAP - st.buf.len());
        st.buf.extend_from_slice(&src[..n]);
        st.accepted += n as u64;
        *mark = st.accepted;
        let start = !mem::replace(&mut st.busy, true);
        drop(st);
        if start {
            let job = DrainJob {
                sink: self,
                ran: false,
            };
            spawn(move || job.run());
        }
        Poll::Ready(Ok(n))
    }

    fn poll_flush(&self, cx: &mut Context<'_>, mark: u64) -> Poll<io::Result<()>> {
        let mut st = self.state.lock();
        if st.done < mark {
            register(&mut st.waiters, cx);
            return Poll::Pending;
        }
        match st.err.take() {
            Some(e) => Poll::Ready(Err(e)),
            None => Poll::Ready(Ok(())),
        }
    }

    /// The writer job: write batches until the buffer is found empty (S1,
    /// S2).
    fn drain(&self) {
        let mut st = self.state.lock();
        loop {
            if st.buf.is_empty() {
                st.busy = false;
                let waiters = mem::take(&mut st.waiters);
                drop(st);
                waiters.into_iter().for_each(Waker::wake);
                return;
            }
            let spare = mem::take(&mut st.spare);
            let mut batch = mem::replace(&mut st.buf, spare);
            drop(st);
            let res = self.write_out(&batch);
            st = self.state.lock();
            st.done += batch.len() as u64;
            if let Err(e) = res {
                // Later output would follow a hole: drop it (S3 counts it
                // as done) and report the error.
                let dropped = st.buf.len() as u64;
                st.buf.clear();
                st.done += dropped;
                st.err.get_or_insert(e);
            }
            batch.clear();
            if batch.capacity() > st.spare.capacity() {
                st.spare = batch;
            }
            let waiters = mem::take(&mut st.waiters);
            if !waiters.is_empty() {
                drop(st);
                waiters.into_iter().for_each(Waker::wake);
                st = self.state.lock();
            }
        }
    }

    fn write_out(&self, batch: &[u8]) -> io::Result<()> {
        match self.stream {
            Stream::Stdout => {
                let mut out = io::stdout().lock();
                out.write_all(batch)?;
                out.flush()
            }
            Stream::Stderr => {
                let mut out = io::stderr().lock();
                out.write_all(batch)?;
                out.flush()
            }
        }
    }
}

/// A sink's writer job. Dropped unrun (the runtime is shutting down), it
/// writes on the dropping thread: output accepted by `poll_write` is never
/// lost (S2).
struct DrainJob {
    sink: &'static Sink,
    ran: bool,
}

impl DrainJob {
    fn run(mut self) {
        self.ran = true;
        self.sink.drain();
    }
}

impl Drop for DrainJob {
    fn drop(&mut self) {
        if !self.ran {
            self.sink.drain();
        }
    }
}

impl AsyncWrite for Stdout {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let me = self.get_mut();
        with_budget(cx, |cx| STDOUT.poll_write(cx, &mut me.mark, buf))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        STDOUT.poll_flush(cx, self.mark)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        STDOUT.poll_flush(cx, self.mark)
    }
}

impl AsyncWrite for Stderr {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let me = self.get_mut();
        with_budget(cx, |cx| STDERR.poll_write(cx, &mut me.mark, buf))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        STDERR.poll_flush(cx, self.mark)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        STDERR.poll_flush(cx, self.mark)
    }
}

// ---------------------------------------------------------------------------
// Input

/// Standard input's shared buffer and read-job state.
struct Source {
    state: Mutex<SourceState>,
}

struct SourceState {
    /// Owned by the read job while `busy` (S4).
    buf: Vec<u8>,
    pos: usize,
    filled: usize,
    busy: bool,
    /// The last read hit end of file: report it once.
    eof: bool,
    err: Option<io::Error>,
    waiters: Vec<Waker>,
}

impl Source {
    fn poll_read(
        &'static self,
        cx: &mut Context<'_>,
        dst: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if dst.remaining() == 0 {
            return Poll::Ready(Ok(()));
        }
        let mut st = self.state.lock();
        if st.pos < st.filled {
            let n = (st.filled - st.pos).min(dst.remaining());
            let start = st.pos;
            dst.put_slice(&st.buf[start..start + n]);
            st.pos += n;
            return Poll::Ready(Ok(()));
        }
        if let Some(e) = st.err.take() {
            return Poll::Ready(Err(e));
        }
        if mem::take(&mut st.eof) {
            return Poll::Ready(Ok(()));
        }
        register(&mut st.waiters, cx);
        if !st.busy {
            st.busy = true;
            let want = dst.remaining().clamp(READ_CHUNK, MAX_READ_CHUNK);
            let mut buf = mem::take(&mut st.buf);
            drop(st);
            if buf.len() < want {
                buf = vec![0; want];
            }
            let job = ReadJob {
                source: self,
                buf: Some(buf),
                want,
            };
            spawn(move || job.run());
        }
        Poll::Pending
    }

    /// Publishes a read's outcome and clears `busy` (S4, S5).
    fn finish_read(&self, buf: Vec<u8>, res: io::Result<usize>) {
        let mut st = self.state.lock();
        st.buf = buf;
        st.pos = 0;
        st.filled = 0;
        match res {
            Ok(0) => st.eof = true,
            Ok(n) => st.filled = n,
            Err(e) => st.err = Some(e),
        }
        st.busy = false;
        let waiters = mem::take(&mut st.waiters);
        drop(st);
        waiters.into_iter().for_each(Waker::wake);
    }
}

/// One `read` of standard input. Dropped unrun (the runtime is shutting
/// down), it reads nothing but still hands the buffer back and clears
/// `busy`, so a later runtime can read stdin again.
struct ReadJob {
    source: &'static Source,
    /// `None` once the job has run.
    buf: Option<Vec<u8>>,
    want: usize,
}

impl ReadJob {
    fn run(mut self) {
        let mut buf = self.buf.take().expect("a read job runs once");
        let res = loop {
            match io::stdin().read(&mut buf[..self.want]) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                res => break res,
            }
        };
        self.source.finish_read(buf, res);
    }
}

impl Drop for ReadJob {
    fn drop(&mut self) {
        if let Some(buf) = self.buf.take() {
            self.source.finish_read(
                buf,
                Err(io::Error::other(
                    "the runtime shut down before standard input was read",
                )),
            );
        }
    }
}

impl AsyncRead for Stdin {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        with_budget(cx, |cx| STDIN.poll_read(cx, buf))
    }
}

// ---------------------------------------------------------------------------
// Shared helpers

/// Charges the task's cooperative budget for one operation (buffered
/// operations may never be `Pending`, yet a loop over them must yield).
fn with_budget<T>(cx: &mut Context<'_>, op: impl FnOnce(&mut Context<'_>) -> Poll<T>) -> Poll<T> {
    let coop = std::task::ready!(crate::coop::poll_proceed(cx));
    let res = op(cx);
    if res.is_ready() {
        coop.made_progress();
    }
    res
}

fn register(waiters: &mut Vec<Waker>, cx: &mut Context<'_>) {
    if !waiters.iter().any(|w| w.will_wake(cx.waker())) {
        waiters.push(cx.waker().clone());
    }
}

/// Runs `f` on the current runtime's blocking pool, detached. (Jobs that
/// must not be lost handle being dropped unrun themselves.)
#[track_caller]
fn spawn<F: FnOnce() + Send + 'static>(f: F) {
    let handle = match crate::runtime::Handle::try_current() {
        Ok(handle) => handle,
        Err(_) => panic!(
            "`weave::io::stdin/stdout/stderr` must be used inside a weave runtime: \
             they run on the runtime's blocking pool"
        ),
    };
    drop(handle.spawn_blocking(f));
}

// ---------------------------------------------------------------------------
// Trait boilerplate

macro_rules! stdio_common {
    ($ty:ident, $fd:expr, $name:literal) => {
        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct($name).finish_non_exhaustive()
            }
        }

        #[cfg(unix)]
        impl std::os::fd::AsRawFd for $ty {
            fn as_raw_fd(&self) -> std::os::fd::RawFd {
                $fd
            }
        }

        #[cfg(unix)]
        impl std::os::fd::AsFd for $ty {
            fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
                // SAFETY: like std's own `Stdin`/`Stdout`/`Stderr` handles,
                // this treats the standard descriptor as open for the life
                // of the process; weave never closes it.
                unsafe { std::os::fd::BorrowedFd::borrow_raw($fd) }
            }
        }
    };
}

stdio_common!(Stdin, libc::STDIN_FILENO, "Stdin");
stdio_common!(Stdout, libc::STDOUT_FILENO, "Stdout");
stdio_common!(Stderr, libc::STDERR_FILENO, "Stderr");
