//! The state a [`File`](super::File) shares with the blocking jobs working
//! for it, and the job loop itself.
//!
//! Every field of [`State`] is behind one mutex, held only for bookkeeping
//! (never across a system call or an `.await`). The invariants:
//!
//! - **I1, one job at a time.** `busy` is `Some` exactly while a job is
//!   queued or running for this file. Only the thread that changes `busy`
//!   from `None` to `Some` (under the lock) spawns a job, so jobs never
//!   overlap and the OS file offset is only ever moved by one thread.
//! - **I2, accepted writes are owned by a job.** `wbuf` non-empty implies
//!   `busy`: `poll_write` starts a job when it buffers into an idle file,
//!   and a job only goes idle after finding `wbuf` empty (under the lock).
//!   So a `File` dropped with buffered writes still writes them.
//! - **I3, a requested seek is owned by a job.** `seek == Requested` implies
//!   `busy`, for the same reason. While a seek is requested, `poll_write`
//!   waits, so writes and seeks reach the OS in the caller's order (a job
//!   runs pending writes before a pending seek).
//! - **I4, the offset books balance.** The OS offset equals the caller's
//!   logical position plus `seek_back`, plus the unread bytes of `rd`, plus
//!   `ahead`'s bytes, plus whatever an in-flight read returns. Discarding
//!   read-ahead (for a write, seek, `set_len` or `into_std`) moves those
//!   counts into `seek_back`; the next job applies it first, as one relative
//!   seek. An in-flight read whose data was discarded (`discard_inflight`)
//!   adds what it read to `seek_back` when it completes.
//! - **I5, read-ahead is single.** `ahead` is `Some` only while no read is
//!   in flight: a read is started only when `ahead` is `None` and the file
//!   is idle.
//! - **I6, no lost wake-up.** A task that gets `Pending` has its waker in
//!   `waiters` (deduplicated with `will_wake`), and every job wakes all of
//!   `waiters` after each operation it completes, after publishing the
//!   results under the lock. A stale waker only causes a spurious poll.

use super::chunk::Chunk;
use crate::fs::blocking;
use crate::io::ReadBuf;
use parking_lot::Mutex;
use std::fs::File as StdFile;
use std::io::{self, Seek, SeekFrom, Write};
use std::mem;
use std::ops::Deref;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

/// First read size after open or a seek; it doubles on every full read.
pub(super) const INITIAL_READ: usize = 32 * 1024;
/// Largest read chunk, whatever `max_buf_size` allows.
pub(super) const MAX_READ: usize = 1024 * 1024;

/// What the `File` and its jobs share.
pub(super) struct Shared {
    pub(super) std: StdFile,
    pub(super) state: Mutex<State>,
}

/// The operation a job is doing now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Busy {
    Read,
    Write,
    Seek,
    /// A `&self` method (`metadata`, `set_len`, ...).
    Exclusive,
}

#[derive(Debug)]
enum SeekState {
    Idle,
    /// `start_seek` was called; a job will run it (I3).
    Requested(SeekFrom),
    InFlight,
    /// The result, until `poll_complete` takes it.
    Done(io::Result<u64>),
}

/// A completed read nobody has consumed yet.
#[derive(Debug)]
struct Ahead {
    chunk: Chunk,
    res: io::Result<usize>,
    /// The read filled the whole chunk: more data is likely to follow.
    full: bool,
    /// A second read confirmed end of file (regular files only).
    eof: bool,
}

#[derive(Debug)]
pub(super) struct State {
    pub(super) busy: Option<Busy>,
    /// Data being handed out to `poll_read`.
    rd: Chunk,
    /// Report end of file once `rd` is drained.
    eof_after_rd: bool,
    ahead: Option<Ahead>,
    discard_inflight: bool,
    seek_back: u64,
    next_read: usize,
    /// Whether the file is a regular file; learned by the first read.
    regular: Option<bool>,
    /// A read chunk kept for reuse.
    spare: Option<Chunk>,
    /// Accepted writes not yet handed to a job (I2).
    wbuf: Vec<u8>,
    /// A write buffer kept for reuse.
    spare_w: Vec<u8>,
    /// The first error of a background write, reported by the next
    /// `poll_write` / `poll_flush`.
    write_err: Option<io::Error>,
    seek: SeekState,
    /// Result of the last successful seek (what `poll_complete` reports
    /// when no seek is pending, like Tokio).
    last_pos: u64,
    waiters: Vec<Waker>,
}

/// Work a job does on the file, with the buffers it needs.
pub(super) enum Op {
    Read {
        chunk: Chunk,
        want: usize,
        seek_back: u64,
        regular: Option<bool>,
    },
    Write {
        buf: Vec<u8>,
        seek_back: u64,
    },
    Seek {
        pos: SeekFrom,
        seek_back: u64,
    },
}

enum Done {
    Read {
        chunk: Chunk,
        res: io::Result<usize>,
        regular: Option<bool>,
        full: bool,
        eof: bool,
    },
    Write {
        buf: Vec<u8>,
        res: io::Result<()>,
    },
    Seek {
        res: io::Result<u64>,
    },
}

impl State {
    pub(super) fn new() -> State {
        State {
            busy: None,
            rd: Chunk::default(),
            eof_after_rd: false,
            ahead: None,
            discard_inflight: false,
            seek_back: 0,
            next_read: INITIAL_READ,
            regular: None,
            spare: None,
            wbuf: Vec::new(),
            spare_w: Vec::new(),
            write_err: None,
            seek: SeekState::Idle,
            last_pos: 0,
            waiters: Vec::new(),
        }
    }

    fn register(&mut self, cx: &mut Context<'_>) {
        let waker = cx.waker();
        if !self.waiters.iter().any(|w| w.will_wake(waker)) {
            self.waiters.push(waker.clone());
        }
    }

    fn recycle(&mut self, mut chunk: Chunk) {
        if chunk.has_allocation() {
            chunk.clear();
            self.spare = Some(chunk);
        }
    }

    /// Drops all read-ahead, booking what the OS offset is ahead by in
    /// `seek_back` (I4).
    pub(super) fn discard_reads(&mut self) {
        let mut back = self.rd.unread() as u64;
        self.rd.clear();
        if let Some(ahead) = self.ahead.take() {
            back += ahead.chunk.filled() as u64;
            self.recycle(ahead.chunk);
        }
        if self.busy == Some(Busy::Read) {
            self.discard_inflight = true;
        }
        self.seek_back += back;
        self.eof_after_rd = false;
        self.next_read = INITIAL_READ;
    }

    /// Bytes of read-ahead that are not the caller's yet.
    fn buffered_read(&self) -> usize {
        self.rd.unread() + self.ahead.as_ref().map_or(0, |a| a.chunk.filled())
    }

    /// The next queued operation for a job, marking the file busy with it.
    /// Writes go before a requested seek (I3).
    fn next_op(&mut self) -> Option<Op> {
        if !self.wbuf.is_empty() {
            let spare = mem::take(&mut self.spare_w);
            let buf = mem::replace(&mut self.wbuf, spare);
            self.busy = Some(Busy::Write);
            return Some(Op::Write {
                buf,
                seek_back: mem::take(&mut self.seek_back),
            });
        }
        if let SeekState::Requested(pos) = self.seek {
            self.seek = SeekState::InFlight;
            self.busy = Some(Busy::Seek);
            return Some(Op::Seek {
                pos,
                seek_back: mem::take(&mut self.seek_back),
            });
        }
        None
    }

    /// A read of about `want` bytes into a recycled chunk.
    fn start_read(&mut self, want: usize) -> Op {
        let chunk = Chunk::with_capacity(self.spare.take(), want);
        self.busy = Some(Busy::Read);
        Op::Read {
            chunk,
            want,
            seek_back: mem::take(&mut self.seek_back),
            regular: self.regular,
        }
    }

    fn complete(&mut self, done: Done) {
        match done {
            Done::Read {
                chunk,
                res,
                regular,
                full,
                eof,
            } => {
                if regular.is_some() {
                    self.regular = regular;
                }
                if mem::take(&mut self.discard_inflight) {
                    self.seek_back += chunk.filled() as u64;
                    self.recycle(chunk);
                } else {
                    self.ahead = Some(Ahead {
                        chunk,
                        res,
                        full,
                        eof,
                    });
                }
            }
            Done::Write { mut buf, res } => {
                buf.clear();
                if buf.capacity() > self.spare_w.capacity() {
                    self.spare_w = buf;
                }
                if let Err(e) = res {
                    // Data accepted after the failed write would land in
                    // the wrong place: drop it, report the error.
                    self.wbuf.clear();
                    self.write_err.get_or_insert(e);
                }
            }
            Done::Seek { res } => {
                if let Ok(pos) = res {
                    self.last_pos = pos;
                }
                self.seek = SeekState::Done(res);
            }
        }
    }
}

impl Op {
    fn run(self, file: &StdFile) -> Done {
        match self {
            Op::Read {
                mut chunk,
                want,
                seek_back,
                regular,
            } => {
                let regular = regular.or_else(|| file.metadata().ok().map(|m| m.is_file()));
                let mut full = false;
                let mut eof = false;
                let res = apply_seek_back(file, seek_back).and_then(|()| {
                    let n = chunk.fill_from(file, want)?;
                    full = n == want;
                    if regular == Some(true) && n > 0 && !full {
                        // A regular file reads short only at its end; one
                        // more (cheap) read confirms it, so the caller's
                        // next read needs no hop. Data that appeared in the
                        // meantime is kept.
                        eof = chunk.fill_more_from(file, want)?;
                        full = chunk.filled() == want;
                    }
                    Ok(chunk.filled())
                });
                Done::Read {
                    chunk,
                    res,
                    regular,
                    full,
                    eof,
                }
            }
            Op::Write { buf, seek_back } => {
                let res = apply_seek_back(file, seek_back).and_then(|()| (&*file).write_all(&buf));
                Done::Write { buf, res }
            }
            Op::Seek { pos, seek_back } => {
                // Restore the logical position first, so that a seek the OS
                // rejects (say, before the start) leaves the offset there.
                let res = apply_seek_back(file, seek_back).and_then(|()| (&*file).seek(pos));
                Done::Seek { res }
            }
        }
    }
}

/// Moves the OS offset back over discarded read-ahead. A stream that cannot
/// seek (a pipe, a terminal) has no position to restore: that is not an
/// error.
pub(super) fn apply_seek_back(file: &StdFile, seek_back: u64) -> io::Result<()> {
    if seek_back == 0 {
        return Ok(());
    }
    let back =
        i64::try_from(seek_back).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    match (&*file).seek(SeekFrom::Current(-back)) {
        Ok(_) => Ok(()),
        Err(e) if e.raw_os_error() == Some(libc::ESPIPE) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Starts a job running `op` and then whatever else is queued.
fn spawn(shared: Arc<Shared>, op: Op) {
    blocking::spawn_must_run(move || drive(shared, op));
}

/// The job loop: run an operation, publish its result, pick up the next
/// queued one (I2, I3) or go idle.
fn drive(shared: Arc<Shared>, mut op: Op) {
    loop {
        let done = op.run(&shared.std);
        let mut st = shared.state.lock();
        st.complete(done);
        let waiters = mem::take(&mut st.waiters);
        let next = st.next_op();
        if next.is_none() {
            st.busy = None;
        }
        drop(st);
        match next {
            Some(next) => {
                wake_all(waiters);
                op = next;
            }
            None => {
                // Release our reference before waking, so that a woken
                // `into_std` usually finds the `Arc` unique.
                drop(shared);
                wake_all(waiters);
                return;
            }
        }
    }
}

fn wake_all(waiters: Vec<Waker>) {
    for w in waiters {
        w.wake();
    }
}

/// Ends an exclusive (`&self`) operation: hands the file to a job for
/// whatever was queued meanwhile, or makes it idle.
pub(super) fn release(shared: Arc<Shared>) {
    let mut st = shared.state.lock();
    let waiters = mem::take(&mut st.waiters);
    let next = st.next_op();
    if next.is_none() {
        st.busy = None;
    }
    drop(st);
    match next {
        Some(op) => spawn(shared, op),
        None => drop(shared),
    }
    wake_all(waiters);
}

impl Shared {
    /// `AsyncRead::poll_read`: serve from read-ahead, or start a read.
    pub(super) fn poll_read(
        self: &Arc<Self>,
        cx: &mut Context<'_>,
        dst: &mut ReadBuf<'_>,
        max_buf: usize,
    ) -> Poll<io::Result<()>> {
        if dst.remaining() == 0 {
            return Poll::Ready(Ok(()));
        }
        let cap = max_buf.clamp(1, MAX_READ);
        let mut st = self.state.lock();
        if st.rd.unread() > 0 {
            st.rd.copy_to(dst);
            return Poll::Ready(Ok(()));
        }
        if mem::take(&mut st.eof_after_rd) {
            return Poll::Ready(Ok(()));
        }
        if let Some(ahead) = st.ahead.take() {
            let Ahead {
                chunk,
                res,
                full,
                eof,
            } = ahead;
            return match res {
                Err(e) => {
                    st.recycle(chunk);
                    st.next_read = INITIAL_READ;
                    Poll::Ready(Err(e))
                }
                Ok(0) => {
                    st.recycle(chunk);
                    Poll::Ready(Ok(()))
                }
                Ok(_) => {
                    let old = mem::replace(&mut st.rd, chunk);
                    st.recycle(old);
                    st.eof_after_rd = eof;
                    let mut read_ahead = None;
                    if full {
                        st.next_read = (st.next_read * 2).min(cap);
                        // Read-ahead only on regular files: a read of a pipe
                        // or terminal may block until someone writes.
                        if st.busy.is_none() && st.regular == Some(true) {
                            let want = st.next_read;
                            read_ahead = Some(st.start_read(want));
                        }
                    }
                    st.rd.copy_to(dst);
                    drop(st);
                    if let Some(op) = read_ahead {
                        spawn(self.clone(), op);
                    }
                    Poll::Ready(Ok(()))
                }
            };
        }
        if st.busy.is_some() {
            st.register(cx);
            return Poll::Pending;
        }
        let want = st.next_read.max(dst.remaining()).min(cap);
        let op = st.start_read(want);
        st.register(cx);
        drop(st);
        spawn(self.clone(), op);
        Poll::Pending
    }

    /// `AsyncWrite::poll_write`: buffer, and make sure a job will write it.
    pub(super) fn poll_write<B: Deref<Target = [u8]>>(
        self: &Arc<Self>,
        cx: &mut Context<'_>,
        bufs: &[B],
        max_buf: usize,
    ) -> Poll<io::Result<usize>> {
        let cap = max_buf.max(1);
        let mut st = self.state.lock();
        if let Some(e) = st.write_err.take() {
            return Poll::Ready(Err(e));
        }
        let total: usize = bufs.iter().map(|b| b.len()).sum();
        if total == 0 {
            return Poll::Ready(Ok(0));
        }
        if st.wbuf.len() >= cap || matches!(st.seek, SeekState::Requested(_)) {
            // I2 / I3: a job is running and will take `wbuf` or the seek.
            st.register(cx);
            return Poll::Pending;
        }
        st.discard_reads();
        if st.wbuf.capacity() == 0 {
            st.wbuf = mem::take(&mut st.spare_w);
        }
        let mut room = cap - st.wbuf.len();
        let mut n = 0;
        for b in bufs {
            let take = b.len().min(room);
            st.wbuf.extend_from_slice(&b[..take]);
            room -= take;
            n += take;
            if room == 0 {
                break;
            }
        }
        let op = if st.busy.is_none() {
            st.next_op()
        } else {
            None
        };
        drop(st);
        if let Some(op) = op {
            spawn(self.clone(), op);
        }
        Poll::Ready(Ok(n))
    }

    /// `AsyncWrite::poll_flush`: wait until every accepted write is on the
    /// file, then report a background write error if there was one.
    pub(super) fn poll_flush(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut st = self.state.lock();
        if !st.wbuf.is_empty() || st.busy == Some(Busy::Write) {
            st.register(cx);
            return Poll::Pending;
        }
        match st.write_err.take() {
            Some(e) => Poll::Ready(Err(e)),
            None => Poll::Ready(Ok(())),
        }
    }

    /// `AsyncSeek::start_seek`.
    pub(super) fn start_seek(self: &Arc<Self>, pos: SeekFrom) -> io::Result<()> {
        let mut st = self.state.lock();
        if matches!(st.seek, SeekState::Requested(_) | SeekState::InFlight) {
            return Err(io::Error::other(
                "a seek is already in progress: call poll_complete before start_seek",
            ));
        }
        st.discard_reads();
        st.seek = SeekState::Requested(pos);
        let op = if st.busy.is_none() {
            st.next_op()
        } else {
            None
        };
        drop(st);
        if let Some(op) = op {
            spawn(self.clone(), op);
        }
        Ok(())
    }

    /// `AsyncSeek::poll_complete`.
    pub(super) fn poll_complete(&self, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        let mut st = self.state.lock();
        match mem::replace(&mut st.seek, SeekState::Idle) {
            SeekState::Done(res) => Poll::Ready(res),
            SeekState::Idle => Poll::Ready(Ok(st.last_pos)),
            pending => {
                st.seek = pending;
                st.register(cx);
                Poll::Pending
            }
        }
    }

    /// For `try_into_std`: if no job runs (so no write is buffered, I2),
    /// discards read-ahead and moves the OS offset back over it (a relative
    /// `lseek`, which does not block). Returns whether the file is now
    /// settled at the caller's logical position with nothing pending.
    pub(super) fn try_settle(&self) -> bool {
        let mut st = self.state.lock();
        if st.busy.is_some() {
            return false;
        }
        let back = st.seek_back + st.buffered_read() as u64;
        if back > 0 {
            if apply_seek_back(&self.std, back).is_err() {
                return false;
            }
            st.discard_reads();
            st.seek_back = 0;
        }
        true
    }

    /// Waits until no job runs, then marks the file busy with an exclusive
    /// operation (discarding read-ahead first if `discard`). Returns the
    /// offset correction the operation must apply first (I4). The caller
    /// must start the job (or call [`release`]) in the same poll.
    pub(super) fn poll_acquire(&self, cx: &mut Context<'_>, discard: bool) -> Poll<u64> {
        let mut st = self.state.lock();
        if st.busy.is_some() {
            st.register(cx);
            return Poll::Pending;
        }
        if discard {
            st.discard_reads();
        }
        st.busy = Some(Busy::Exclusive);
        Poll::Ready(mem::take(&mut st.seek_back))
    }

    /// Runs `f` as an exclusive operation, once every earlier operation
    /// (buffered writes included) is done.
    pub(super) async fn exclusive<T, F>(self: &Arc<Self>, discard: bool, f: F) -> io::Result<T>
    where
        F: FnOnce(&StdFile) -> io::Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let seek_back = std::future::poll_fn(|cx| self.poll_acquire(cx, discard)).await;
        let (tx, rx) = crate::sync::oneshot::channel();
        let shared = self.clone();
        blocking::spawn_must_run(move || {
            let res = panic::catch_unwind(AssertUnwindSafe(|| {
                apply_seek_back(&shared.std, seek_back).and_then(|()| f(&shared.std))
            }));
            // Even after a panic: the file must not stay busy.
            release(shared);
            let _ = tx.send(res);
        });
        match rx.await {
            Ok(Ok(res)) => res,
            Ok(Err(payload)) => panic::resume_unwind(payload),
            Err(_) => Err(io::Error::other(
                "the runtime shut down before the file operation ran",
            )),
        }
    }
}
