//! `File`: an open file whose reads, writes and seeks run on the blocking
//! pool, with buffering so that most calls need no pool hop at all.
//!
//! # Design
//!
//! A hop to the blocking pool (queue a job, wake a pool thread, wake the
//! task back) costs several microseconds, far more than copying a few KiB.
//! Tokio's `File` pays one hop per `poll_read` / `poll_write`, so a
//! `BufReader` reading lines through it hops every 8 KiB. weave's `File`
//! amortizes hops:
//!
//! - **Reads come in large chunks.** A read hop asks the OS for a chunk of
//!   32 KiB, doubling on each full chunk up to 1 MiB (or
//!   [`File::set_max_buf_size`], if smaller), or more when the caller's
//!   buffer is bigger. Later `poll_read`s are served from that chunk under a
//!   short, uncontended lock: a `memcpy`, no hop.
//! - **Read-ahead.** When the caller starts on a chunk that came back full,
//!   the next chunk's read starts on the pool at once, so a sequential
//!   reader normally finds its next chunk waiting. Read-ahead is limited to
//!   regular files, where a read never blocks for long (a pipe or terminal
//!   read may wait for a writer indefinitely, and would hold a pool thread
//!   for data nobody asked for).
//! - **End of file without an extra hop.** A regular file reads short only
//!   at its end, so after a short read the same hop reads once more to
//!   confirm end of file; the caller's next read then returns 0 at once.
//!   (If data was appended meanwhile it is returned instead, as a later read
//!   would have.)
//! - **Writes are group-committed.** `poll_write` copies into a buffer and
//!   returns `Ready` at once. If no job runs for the file, one is started
//!   immediately with what is buffered, so a lone write reaches the file as
//!   promptly as Tokio's. Writes made while that job runs accumulate (up to
//!   `max_buf_size`, 2 MiB by default, after which `poll_write` waits) and
//!   the same job writes them as one batch when it finishes the previous
//!   one. A stream of small writes thus costs one hop per burst, not per
//!   write, and the producer never waits for a write to finish unless it
//!   has outrun the disk by a full buffer.
//! - **Errors surface later**, as in Tokio: a failed background write is
//!   reported by the next `poll_write` or `poll_flush` (data accepted after
//!   the failure is dropped, so nothing lands out of place).
//!   `flush().await` returns once every accepted byte has been written to
//!   the file (the OS page cache; use [`File::sync_all`] for the disk).
//! - **One job at a time, in order.** All operations of a file run on one
//!   pool job at a time, so the OS file offset has a single owner. A job
//!   that finishes an operation picks up the next queued one (buffered
//!   writes first, then a requested seek) before going idle.
//! - **Positions stay exact.** Read-ahead moves the OS offset past the
//!   caller's logical position. Every operation that depends on the offset
//!   (a write, a seek, `set_len`, `try_clone`, `into_std`) first discards
//!   the read-ahead and moves the offset back by the same amount, in the
//!   same hop, so positions after any mix of reads, writes and seeks are
//!   those of `std::fs::File` doing the same calls. `SeekFrom::Current` is
//!   relative to the logical position.
//! - **`&self` methods wait their turn.** `metadata`, `set_len`,
//!   `sync_all`, `sync_data`, `set_permissions`, `try_clone` run after all
//!   pending operations, buffered writes included (so `metadata().len()`
//!   counts bytes already written).
//! - **Dropping never loses accepted writes.** Buffered data always belongs
//!   to a queued or running job, which finishes it after the `File` is gone;
//!   if the runtime refuses new jobs because it is shutting down, the write
//!   runs on the dropping thread instead.
//!
//! - **Jobs share a queue.** A file's jobs, like every `weave::fs` call, go
//!   through the runtime's file-system queue (`fs/dispatch.rs`), which runs
//!   bursts of short jobs back to back on about one pool thread per core
//!   and adds threads when jobs block.
//!
//! The shared state, its invariants and the job loop are in `state.rs`;
//! the read buffer type is in `chunk.rs`.

mod chunk;
mod state;

use self::state::{Shared, State};
use crate::fs::blocking::asyncify;
use crate::fs::OpenOptions;
use crate::io::{AsyncRead, AsyncSeek, AsyncWrite, ReadBuf};
use parking_lot::Mutex;
use std::fmt;
use std::fs::{File as StdFile, Metadata, Permissions};
use std::io::{self, IoSlice, SeekFrom};
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::SystemTime;

/// Default for [`File::set_max_buf_size`], as in Tokio.
const DEFAULT_MAX_BUF_SIZE: usize = 2 * 1024 * 1024;

/// An open file, read and written asynchronously (Tokio's
/// `tokio::fs::File`).
///
/// Open one with [`File::open`], [`File::create`] or [`OpenOptions`]; use
/// the extension traits ([`AsyncReadExt`](crate::io::AsyncReadExt),
/// [`AsyncWriteExt`](crate::io::AsyncWriteExt),
/// [`AsyncSeekExt`](crate::io::AsyncSeekExt)) to read, write and seek.
///
/// Writes are buffered: call `flush().await` (or `shutdown`) to know they
/// reached the file and to see a write error. A `File` dropped with
/// buffered writes still writes them, in the background.
///
/// ```
/// use weave::fs::File;
/// use weave::io::{AsyncReadExt, AsyncWriteExt};
///
/// # weave::runtime::Runtime::new().unwrap().block_on(async {
/// let path = std::env::temp_dir().join(format!("weave-doc-file-{}", std::process::id()));
/// let mut file = File::create(&path).await?;
/// file.write_all(b"some bytes").await?;
/// file.flush().await?;
///
/// let mut contents = String::new();
/// File::open(&path).await?.read_to_string(&mut contents).await?;
/// assert_eq!(contents, "some bytes");
/// # weave::fs::remove_file(&path).await?;
/// # Ok::<_, std::io::Error>(()) }).unwrap();
/// ```
pub struct File {
    shared: Arc<Shared>,
    max_buf_size: usize,
}

impl File {
    /// Opens a file for reading.
    ///
    /// Errors as [`std::fs::File::open`] (e.g. `NotFound`).
    ///
    /// ```
    /// # weave::runtime::Runtime::new().unwrap().block_on(async {
    /// let err = weave::fs::File::open("/no/such/file").await.unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    /// # });
    /// ```
    pub async fn open(path: impl AsRef<Path>) -> io::Result<File> {
        let path = path.as_ref().to_owned();
        asyncify(move || StdFile::open(path))
            .await
            .map(File::from_std)
    }

    /// Opens a file for writing, creating it or truncating it.
    pub async fn create(path: impl AsRef<Path>) -> io::Result<File> {
        let path = path.as_ref().to_owned();
        asyncify(move || StdFile::create(path))
            .await
            .map(File::from_std)
    }

    /// Creates a new file for reading and writing; fails with
    /// `AlreadyExists` if the path exists.
    pub async fn create_new<P: AsRef<Path>>(path: P) -> io::Result<File> {
        OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(path)
            .await
    }

    /// An empty [`OpenOptions`], to open a file with other settings.
    pub fn options() -> OpenOptions {
        OpenOptions::new()
    }

    /// Wraps an open `std::fs::File`, at its current offset.
    pub fn from_std(std: StdFile) -> File {
        File {
            shared: Arc::new(Shared {
                std,
                state: Mutex::new(State::new()),
            }),
            max_buf_size: DEFAULT_MAX_BUF_SIZE,
        }
    }

    /// Writes buffered data, then flushes file data and metadata to the
    /// device (`fsync`).
    pub async fn sync_all(&self) -> io::Result<()> {
        self.shared.exclusive(false, |f| f.sync_all()).await
    }

    /// Writes buffered data, then flushes file data to the device
    /// (`fdatasync`).
    pub async fn sync_data(&self) -> io::Result<()> {
        self.shared.exclusive(false, |f| f.sync_data()).await
    }

    /// Truncates or extends the file to `size` bytes, after pending writes.
    /// The position is unchanged.
    ///
    /// ```
    /// # weave::runtime::Runtime::new().unwrap().block_on(async {
    /// # let path = std::env::temp_dir().join(format!("weave-doc-set-len-{}", std::process::id()));
    /// let file = weave::fs::File::create(&path).await?;
    /// file.set_len(10).await?;
    /// assert_eq!(file.metadata().await?.len(), 10);
    /// # weave::fs::remove_file(&path).await?;
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    pub async fn set_len(&self, size: u64) -> io::Result<()> {
        self.shared.exclusive(true, move |f| f.set_len(size)).await
    }

    /// The file's metadata, after pending writes.
    pub async fn metadata(&self) -> io::Result<Metadata> {
        self.shared.exclusive(false, |f| f.metadata()).await
    }

    /// A second handle to the same open file (sharing its offset), after
    /// pending operations.
    pub async fn try_clone(&self) -> io::Result<File> {
        let std = self.shared.exclusive(true, |f| f.try_clone()).await?;
        let mut clone = File::from_std(std);
        clone.max_buf_size = self.max_buf_size;
        Ok(clone)
    }

    /// Waits for pending operations and returns the `std::fs::File`, its
    /// offset at this handle's logical position. A background write error
    /// not yet reported is lost; `flush` first to see it.
    pub async fn into_std(self) -> StdFile {
        // Waits for every job, then discards read-ahead and restores the
        // offset in one hop. Its error (only ever from that seek) is of no
        // use here: the caller gets the file either way.
        let _ = self.shared.exclusive(true, |_| Ok(())).await;
        let mut shared = self.shared;
        loop {
            match Arc::try_unwrap(shared) {
                Ok(shared) => return shared.std,
                // A job that just finished may still be dropping its
                // reference.
                Err(again) => {
                    shared = again;
                    crate::task::yield_now().await;
                }
            }
        }
    }

    /// Returns the `std::fs::File` at once if nothing is pending (no job
    /// running, no buffered write), or `Err(self)`.
    pub fn try_into_std(self) -> Result<StdFile, Self> {
        if !self.shared.try_settle() {
            return Err(self);
        }
        let max_buf_size = self.max_buf_size;
        Arc::try_unwrap(self.shared)
            .map(|shared| shared.std)
            .map_err(|shared| File {
                shared,
                max_buf_size,
            })
    }

    /// Changes the file's permissions, after pending writes.
    pub async fn set_permissions(&self, perm: Permissions) -> io::Result<()> {
        self.shared
            .exclusive(false, move |f| f.set_permissions(perm))
            .await
    }

    /// Sets the file's access and/or modification times, after pending
    /// writes (which would otherwise change them again).
    pub async fn set_times(&self, times: super::FileTimes) -> io::Result<()> {
        let times = times.into_std();
        self.shared
            .exclusive(false, move |f| f.set_times(times))
            .await
    }

    /// Sets the file's modification time, after pending writes.
    pub async fn set_modified(&self, time: SystemTime) -> io::Result<()> {
        self.shared
            .exclusive(false, move |f| f.set_modified(time))
            .await
    }

    /// Sets the largest amount of data one blocking operation moves: the
    /// write buffer's size and the read chunks' upper bound (reads never
    /// exceed 1 MiB). Default: 2 MiB.
    pub fn set_max_buf_size(&mut self, max_buf_size: usize) {
        self.max_buf_size = max_buf_size;
    }

    /// The limit set by [`set_max_buf_size`](Self::set_max_buf_size).
    pub fn max_buf_size(&self) -> usize {
        self.max_buf_size
    }
}

impl AsyncRead for File {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        with_budget(cx, |cx| self.shared.poll_read(cx, buf, self.max_buf_size))
    }
}

impl AsyncWrite for File {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        with_budget(cx, |cx| {
            self.shared.poll_write(cx, &[buf], self.max_buf_size)
        })
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        with_budget(cx, |cx| self.shared.poll_write(cx, bufs, self.max_buf_size))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.shared.poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.shared.poll_flush(cx)
    }
}

impl AsyncSeek for File {
    fn start_seek(self: Pin<&mut Self>, position: SeekFrom) -> io::Result<()> {
        self.shared.start_seek(position)
    }

    fn poll_complete(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        self.shared.poll_complete(cx)
    }
}

/// Charges the task's cooperative budget for one operation: served from
/// buffers, reads and writes may never be `Pending`, and a task looping over
/// them must still yield to others now and then.
fn with_budget<T>(cx: &mut Context<'_>, op: impl FnOnce(&mut Context<'_>) -> Poll<T>) -> Poll<T> {
    let coop = ready!(crate::coop::poll_proceed(cx));
    let res = op(cx);
    if res.is_ready() {
        coop.made_progress();
    }
    res
}

impl From<StdFile> for File {
    fn from(std: StdFile) -> File {
        File::from_std(std)
    }
}

impl fmt::Debug for File {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("File")
            .field("std", &self.shared.std)
            .field("max_buf_size", &self.max_buf_size)
            .finish_non_exhaustive()
    }
}

#[cfg(unix)]
mod unix {
    use super::File;
    use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

    impl From<OwnedFd> for File {
        fn from(fd: OwnedFd) -> File {
            File::from_std(fd.into())
        }
    }

    impl AsRawFd for File {
        fn as_raw_fd(&self) -> RawFd {
            self.shared.std.as_raw_fd()
        }
    }

    impl AsFd for File {
        fn as_fd(&self) -> BorrowedFd<'_> {
            self.shared.std.as_fd()
        }
    }

    impl FromRawFd for File {
        unsafe fn from_raw_fd(fd: RawFd) -> File {
            // SAFETY: the caller guarantees `fd` is an open file descriptor
            // that it owns and hands over (FromRawFd's contract).
            File::from_std(unsafe { std::fs::File::from_raw_fd(fd) })
        }
    }
}
