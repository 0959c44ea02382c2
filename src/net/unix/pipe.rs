//! Anonymous pipes and FIFOs (named pipes) on the reactor (Tokio's `net::unix::pipe`).
//!
//! [`pipe()`] makes an anonymous pipe; [`OpenOptions`] opens a FIFO by
//! path; [`Sender`] and [`Receiver`] are the two ends. Each end is a
//! `mio::unix::pipe::{Sender, Receiver}` in non-blocking mode, registered
//! with the reactor of the runtime current when it was made, for one
//! direction only (a read end never waits for writability, nor a write end
//! for readability).
//!
//! Invariants:
//! - The descriptor is non-blocking while registered; `into_blocking_fd`
//!   deregisters it first, then clears `O_NONBLOCK`.
//! - Reads go straight into the caller's uninitialized memory through
//!   `read(2)` (`read_uninit`), which never reads the bytes it is given.
//!
//! The child-stdio pipes of `process` are built from the same helpers
//! (`register_receiver`, `register_sender`, `poll_read_pipe`).

use crate::io::{AsyncRead, AsyncWrite, Interest, ReadBuf, Ready};
use crate::runtime::io::{Direction, PollEvented};
use bytes::BufMut;
use mio::unix::pipe as mio_pipe;
use std::fs::File;
use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

/// Makes an anonymous pipe and returns both ends, registered with the
/// current runtime. Bytes written to the [`Sender`] come out of the
/// [`Receiver`]; once every sender is dropped, the receiver reads end of
/// file.
///
/// ```
/// use weave::io::{AsyncReadExt, AsyncWriteExt};
/// use weave::net::unix::pipe;
///
/// # weave::runtime::Runtime::new().unwrap().block_on(async {
/// let (mut tx, mut rx) = pipe::pipe()?;
/// weave::spawn(async move {
///     tx.write_all(b"through the pipe").await.unwrap();
///     // Dropping `tx` closes the write end: `rx` then reads end of file.
/// });
/// let mut got = String::new();
/// rx.read_to_string(&mut got).await?;
/// assert_eq!(got, "through the pipe");
/// # Ok::<_, std::io::Error>(()) }).unwrap();
/// ```
///
/// # Panics
///
/// Outside a runtime with I/O enabled.
#[track_caller]
pub fn pipe() -> io::Result<(Sender, Receiver)> {
    // mio creates both ends non-blocking and close-on-exec.
    let (tx, rx) = mio_pipe::new()?;
    Ok((
        Sender {
            io: register_sender(tx)?,
        },
        Receiver {
            io: register_receiver(rx)?,
        },
    ))
}

/// Options for opening a FIFO (named pipe) by path (Tokio's
/// `net::unix::pipe::OpenOptions`). By default the path must name a FIFO,
/// and each end is opened for its one direction.
///
/// Opening happens without waiting, so the two ends behave differently
/// when the other side is missing: a receiver opens at once (and reads end
/// of file until a writer shows up), while a sender fails with `ENXIO`
/// (`raw_os_error() == Some(libc::ENXIO)`) if no process has the FIFO open
/// for reading, unless [`read_write`](OpenOptions::read_write) is set.
///
/// ```
/// use weave::io::{AsyncReadExt, AsyncWriteExt};
/// use weave::net::unix::pipe;
///
/// # weave::runtime::Runtime::new().unwrap().block_on(async {
/// # let dir = std::env::temp_dir().join(format!("weave-doc-fifo-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// # let path = dir.join("fifo");
/// # let c_path = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
/// # // SAFETY: `c_path` is a valid NUL-terminated string.
/// # assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
/// // `path` names a FIFO (made with `mkfifo`).
/// let mut rx = pipe::OpenOptions::new().open_receiver(&path)?;
/// let mut tx = pipe::OpenOptions::new().open_sender(&path)?;
/// tx.write_all(b"fifo").await?;
/// let mut buf = [0; 4];
/// rx.read_exact(&mut buf).await?;
/// assert_eq!(&buf, b"fifo");
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<_, std::io::Error>(()) }).unwrap();
/// ```
#[derive(Clone, Debug)]
pub struct OpenOptions {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    read_write: bool,
    unchecked: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum End {
    Sender,
    Receiver,
}

impl OpenOptions {
    /// The defaults: open one direction only, and require a FIFO.
    pub fn new() -> OpenOptions {
        OpenOptions {
            #[cfg(any(target_os = "linux", target_os = "android"))]
            read_write: false,
            unchecked: false,
        }
    }

    /// Opens the FIFO for reading and writing both (`O_RDWR`), whichever
    /// end is asked for. The end then counts as a reader and a writer of
    /// the FIFO itself: a sender opens even with no reader around, and a
    /// receiver never reads end of file, since a writer (itself) is always
    /// there. POSIX leaves `O_RDWR` on a FIFO undefined, so this exists
    /// on Linux and Android only.
    ///
    /// ```
    /// use weave::net::unix::pipe;
    ///
    /// # weave::runtime::Runtime::new().unwrap().block_on(async {
    /// # let dir = std::env::temp_dir().join(format!("weave-doc-rdwr-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// # let path = dir.join("fifo");
    /// # let c_path = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    /// # // SAFETY: `c_path` is a valid NUL-terminated string.
    /// # assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
    /// // Nobody reads `path` yet: a plain sender would fail with ENXIO.
    /// let tx = pipe::OpenOptions::new().read_write(true).open_sender(&path)?;
    /// # drop(tx);
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub fn read_write(&mut self, value: bool) -> &mut Self {
        self.read_write = value;
        self
    }

    /// Skips the check that the path names a FIFO, so that any file (a
    /// character device, say) can be driven as a pipe end. A file the
    /// reactor cannot watch (a regular file, for one) then fails to
    /// register (`EPERM` on Linux).
    pub fn unchecked(&mut self, value: bool) -> &mut Self {
        self.unchecked = value;
        self
    }

    /// Opens the FIFO at `path` as a [`Receiver`]. Fails with
    /// [`InvalidInput`](io::ErrorKind::InvalidInput) if the path is not a
    /// FIFO (unless [`unchecked`](OpenOptions::unchecked)), and with the
    /// usual errors of `open(2)` (`NotFound`, `PermissionDenied`, ...).
    ///
    /// # Panics
    ///
    /// Outside a runtime with I/O enabled.
    #[track_caller]
    pub fn open_receiver<P: AsRef<Path>>(&self, path: P) -> io::Result<Receiver> {
        let file = self.open(path.as_ref(), End::Receiver)?;
        Receiver::from_file_unchecked(file)
    }

    /// Opens the FIFO at `path` as a [`Sender`]. Fails with `ENXIO` if no
    /// process has the FIFO open for reading (unless
    /// [`read_write`](OpenOptions::read_write)), with
    /// [`InvalidInput`](io::ErrorKind::InvalidInput) if the path is not a
    /// FIFO (unless [`unchecked`](OpenOptions::unchecked)), and with the
    /// usual errors of `open(2)`.
    ///
    /// # Panics
    ///
    /// Outside a runtime with I/O enabled.
    #[track_caller]
    pub fn open_sender<P: AsRef<Path>>(&self, path: P) -> io::Result<Sender> {
        let file = self.open(path.as_ref(), End::Sender)?;
        Sender::from_file_unchecked(file)
    }

    fn open(&self, path: &Path, end: End) -> io::Result<File> {
        let mut options = std::fs::OpenOptions::new();
        // `O_NONBLOCK` at open time, not just afterwards: a blocking open
        // of a FIFO waits for the other side to show up.
        options
            .read(end == End::Receiver)
            .write(end == End::Sender)
            .custom_flags(libc::O_NONBLOCK);
        #[cfg(any(target_os = "linux", target_os = "android"))]
        if self.read_write {
            options.read(true).write(true);
        }
        let file = options.open(path)?;
        if !self.unchecked && !is_fifo(file.as_fd())? {
            return Err(not_a_pipe());
        }
        Ok(file)
    }
}

impl Default for OpenOptions {
    fn default() -> OpenOptions {
        OpenOptions::new()
    }
}

/// The write end of a pipe or FIFO (Tokio's `net::unix::pipe::Sender`).
/// Write it through [`AsyncWriteExt`](crate::io::AsyncWriteExt), or with
/// [`try_write`](Sender::try_write) after [`writable`](Sender::writable).
///
/// Writes go straight to the pipe, so `flush` has nothing to do, and so
/// does `shutdown`: the readers see end of file only once the `Sender` is
/// dropped (with every other write end of the pipe). Writing after every
/// read end closed fails with [`BrokenPipe`](io::ErrorKind::BrokenPipe).
#[derive(Debug)]
pub struct Sender {
    io: PollEvented<mio_pipe::Sender>,
}

impl Sender {
    /// Wraps a file that is the write end of a pipe or FIFO. Fails with
    /// [`InvalidInput`](io::ErrorKind::InvalidInput) if it is not a pipe or
    /// was not opened for writing. The descriptor is set non-blocking.
    ///
    /// # Panics
    ///
    /// Outside a runtime with I/O enabled.
    #[track_caller]
    pub fn from_file(file: File) -> io::Result<Sender> {
        Sender::from_owned_fd(file.into())
    }

    /// [`from_file`](Sender::from_file) for a bare descriptor.
    ///
    /// # Panics
    ///
    /// Outside a runtime with I/O enabled.
    #[track_caller]
    pub fn from_owned_fd(owned_fd: OwnedFd) -> io::Result<Sender> {
        check_pipe(owned_fd.as_fd(), End::Sender)?;
        Sender::from_owned_fd_unchecked(owned_fd)
    }

    /// Wraps `file` as a write end without checking that it is a pipe open
    /// for writing. The descriptor is set non-blocking. (Tokio leaves that
    /// to the caller; doing it here keeps a forgotten call from blocking a
    /// worker thread.)
    ///
    /// # Panics
    ///
    /// Outside a runtime with I/O enabled.
    #[track_caller]
    pub fn from_file_unchecked(file: File) -> io::Result<Sender> {
        Sender::from_owned_fd_unchecked(file.into())
    }

    /// [`from_file_unchecked`](Sender::from_file_unchecked) for a bare
    /// descriptor.
    ///
    /// # Panics
    ///
    /// Outside a runtime with I/O enabled.
    #[track_caller]
    pub fn from_owned_fd_unchecked(owned_fd: OwnedFd) -> io::Result<Sender> {
        Ok(Sender {
            io: register_sender(mio_pipe::Sender::from(owned_fd))?,
        })
    }

    /// Waits until the pipe is ready for any of `interest` and returns the
    /// readiness seen. Only writability (and the error and closed states)
    /// are ever reported for a write end. The readiness may be stale by the
    /// time an operation runs: `try_*` methods can still return
    /// `WouldBlock`, after which wait again.
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        Ok(self.io.registration().readiness(interest).await?.ready)
    }

    /// Waits until the pipe may be writable (then try
    /// [`try_write`](Sender::try_write)).
    pub async fn writable(&self) -> io::Result<()> {
        self.ready(Interest::WRITABLE).await.map(drop)
    }

    /// Polls for write readiness. Only the last task to poll in the write
    /// direction (this or `poll_write`) is woken.
    pub fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.registration().poll_write_ready(cx).map_ok(drop)
    }

    /// Writes without waiting: `WouldBlock` if the pipe is not known to be
    /// writable or turns out to be full. A write of up to `PIPE_BUF` bytes
    /// is all or nothing; a longer one may be partial.
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use weave::net::unix::pipe;
    ///
    /// # weave::runtime::Runtime::new().unwrap().block_on(async {
    /// let (tx, _rx) = pipe::pipe()?;
    /// let chunk = [7u8; 4096];
    /// // Fill the pipe: nobody reads it.
    /// loop {
    ///     tx.writable().await?;
    ///     match tx.try_write(&chunk) {
    ///         Ok(_) => continue,
    ///         Err(e) if e.kind() == ErrorKind::WouldBlock => break,
    ///         Err(e) => return Err(e),
    ///     }
    /// }
    /// assert_eq!(tx.try_write(&chunk).unwrap_err().kind(), ErrorKind::WouldBlock);
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        let tx = self.io.get_ref();
        self.io
            .registration()
            .try_io(Interest::WRITABLE, || (&*tx).write(buf))
    }

    /// Vectored [`try_write`](Sender::try_write).
    pub fn try_write_vectored(&self, buf: &[IoSlice<'_>]) -> io::Result<usize> {
        let tx = self.io.get_ref();
        self.io
            .registration()
            .try_io(Interest::WRITABLE, || (&*tx).write_vectored(buf))
    }

    /// Runs `f`, a non-blocking operation on the descriptor, if the pipe
    /// looks writable; `WouldBlock` otherwise. A `WouldBlock` from `f`
    /// clears the readiness, so `f` must really have tried the descriptor.
    pub fn try_io<R>(&self, f: impl FnOnce() -> io::Result<R>) -> io::Result<R> {
        self.io.registration().try_io(Interest::WRITABLE, f)
    }

    /// Deregisters the pipe and returns its descriptor in blocking mode,
    /// for std code or another process.
    pub fn into_blocking_fd(self) -> io::Result<OwnedFd> {
        let tx = self.io.into_inner()?;
        tx.set_nonblocking(false)?;
        Ok(tx.into())
    }

    /// Deregisters the pipe and returns its descriptor, still non-blocking.
    pub fn into_nonblocking_fd(self) -> io::Result<OwnedFd> {
        Ok(self.io.into_inner()?.into())
    }
}

impl AsyncWrite for Sender {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.io.poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.io.poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Nothing is buffered on this side of the pipe.
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // As in Tokio: a pipe has no half-close, and closing the descriptor
        // here would leave `as_fd` dangling; dropping the sender closes it.
        Poll::Ready(Ok(()))
    }
}

impl AsRawFd for Sender {
    fn as_raw_fd(&self) -> RawFd {
        self.io.get_ref().as_raw_fd()
    }
}

impl AsFd for Sender {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.get_ref().as_fd()
    }
}

/// The read end of a pipe or FIFO (Tokio's `net::unix::pipe::Receiver`).
/// Read it through [`AsyncReadExt`](crate::io::AsyncReadExt), or with
/// [`try_read`](Receiver::try_read) after [`readable`](Receiver::readable).
///
/// Reads return `Ok(0)` (end of file) once no write end is open: after
/// every sender of an anonymous pipe is dropped, or, for a FIFO, whenever
/// no process has it open for writing (also before the first one opens it).
#[derive(Debug)]
pub struct Receiver {
    io: PollEvented<mio_pipe::Receiver>,
}

impl Receiver {
    /// Wraps a file that is the read end of a pipe or FIFO. Fails with
    /// [`InvalidInput`](io::ErrorKind::InvalidInput) if it is not a pipe or
    /// was not opened for reading. The descriptor is set non-blocking.
    ///
    /// # Panics
    ///
    /// Outside a runtime with I/O enabled.
    #[track_caller]
    pub fn from_file(file: File) -> io::Result<Receiver> {
        Receiver::from_owned_fd(file.into())
    }

    /// [`from_file`](Receiver::from_file) for a bare descriptor.
    ///
    /// # Panics
    ///
    /// Outside a runtime with I/O enabled.
    #[track_caller]
    pub fn from_owned_fd(owned_fd: OwnedFd) -> io::Result<Receiver> {
        check_pipe(owned_fd.as_fd(), End::Receiver)?;
        Receiver::from_owned_fd_unchecked(owned_fd)
    }

    /// Wraps `file` as a read end without checking that it is a pipe open
    /// for reading. The descriptor is set non-blocking. (Tokio leaves that
    /// to the caller; doing it here keeps a forgotten call from blocking a
    /// worker thread.)
    ///
    /// # Panics
    ///
    /// Outside a runtime with I/O enabled.
    #[track_caller]
    pub fn from_file_unchecked(file: File) -> io::Result<Receiver> {
        Receiver::from_owned_fd_unchecked(file.into())
    }

    /// [`from_file_unchecked`](Receiver::from_file_unchecked) for a bare
    /// descriptor.
    ///
    /// # Panics
    ///
    /// Outside a runtime with I/O enabled.
    #[track_caller]
    pub fn from_owned_fd_unchecked(owned_fd: OwnedFd) -> io::Result<Receiver> {
        Ok(Receiver {
            io: register_receiver(mio_pipe::Receiver::from(owned_fd))?,
        })
    }

    /// Waits until the pipe is ready for any of `interest` and returns the
    /// readiness seen. Only readability (and the error and closed states)
    /// are ever reported for a read end. The readiness may be stale by the
    /// time an operation runs: `try_*` methods can still return
    /// `WouldBlock`, after which wait again.
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        Ok(self.io.registration().readiness(interest).await?.ready)
    }

    /// Waits until the pipe may be readable (then try
    /// [`try_read`](Receiver::try_read)).
    pub async fn readable(&self) -> io::Result<()> {
        self.ready(Interest::READABLE).await.map(drop)
    }

    /// Polls for read readiness. Only the last task to poll in the read
    /// direction (this or `poll_read`) is woken.
    pub fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.registration().poll_read_ready(cx).map_ok(drop)
    }

    /// Reads without waiting: `WouldBlock` if no data is known to be
    /// there; `Ok(0)` at end of file.
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use weave::net::unix::pipe;
    ///
    /// # weave::runtime::Runtime::new().unwrap().block_on(async {
    /// let (tx, rx) = pipe::pipe()?;
    /// let mut buf = [0; 8];
    /// assert_eq!(rx.try_read(&mut buf).unwrap_err().kind(), ErrorKind::WouldBlock);
    ///
    /// tx.writable().await?;
    /// tx.try_write(b"ok")?;
    /// let n = loop {
    ///     rx.readable().await?;
    ///     match rx.try_read(&mut buf) {
    ///         Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
    ///         r => break r?,
    ///     }
    /// };
    /// assert_eq!(&buf[..n], b"ok");
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        let rx = self.io.get_ref();
        self.io
            .registration()
            .try_io(Interest::READABLE, || (&*rx).read(buf))
    }

    /// Vectored [`try_read`](Receiver::try_read).
    pub fn try_read_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        let rx = self.io.get_ref();
        self.io
            .registration()
            .try_io(Interest::READABLE, || (&*rx).read_vectored(bufs))
    }

    /// [`try_read`](Receiver::try_read) into the spare capacity of `buf`,
    /// advancing it by the bytes read.
    pub fn try_read_buf<B: BufMut>(&self, buf: &mut B) -> io::Result<usize> {
        let fd = self.as_fd();
        self.io.registration().try_io(Interest::READABLE, || {
            // SAFETY: `read_uninit` only writes into the slice.
            let n = read_uninit(fd, unsafe { buf.chunk_mut().as_uninit_slice_mut() })?;
            // SAFETY: the kernel initialized the first `n` bytes of
            // `chunk_mut()`, and nothing touched `buf` since.
            unsafe { buf.advance_mut(n) };
            Ok(n)
        })
    }

    /// Runs `f`, a non-blocking operation on the descriptor, if the pipe
    /// looks readable; `WouldBlock` otherwise. A `WouldBlock` from `f`
    /// clears the readiness, so `f` must really have tried the descriptor.
    pub fn try_io<R>(&self, f: impl FnOnce() -> io::Result<R>) -> io::Result<R> {
        self.io.registration().try_io(Interest::READABLE, f)
    }

    /// Deregisters the pipe and returns its descriptor in blocking mode,
    /// for std code or another process.
    pub fn into_blocking_fd(self) -> io::Result<OwnedFd> {
        let rx = self.io.into_inner()?;
        rx.set_nonblocking(false)?;
        Ok(rx.into())
    }

    /// Deregisters the pipe and returns its descriptor, still non-blocking.
    pub fn into_nonblocking_fd(self) -> io::Result<OwnedFd> {
        Ok(self.io.into_inner()?.into())
    }
}

impl AsyncRead for Receiver {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        poll_read_pipe(&self.io, cx, buf)
    }
}

impl AsRawFd for Receiver {
    fn as_raw_fd(&self) -> RawFd {
        self.io.get_ref().as_raw_fd()
    }
}

impl AsFd for Receiver {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.get_ref().as_fd()
    }
}

/// Registers a pipe's read end with the current runtime, non-blocking.
#[track_caller]
pub(crate) fn register_receiver(
    rx: mio_pipe::Receiver,
) -> io::Result<PollEvented<mio_pipe::Receiver>> {
    rx.set_nonblocking(true)?;
    PollEvented::new_with_interest(rx, Interest::READABLE)
}

/// Registers a pipe's write end with the current runtime, non-blocking.
#[track_caller]
pub(crate) fn register_sender(tx: mio_pipe::Sender) -> io::Result<PollEvented<mio_pipe::Sender>> {
    tx.set_nonblocking(true)?;
    PollEvented::new_with_interest(tx, Interest::WRITABLE)
}

/// `AsyncRead::poll_read` for a registered read end: waits for readability
/// and reads into `buf`'s unfilled part without zeroing it first; a short
/// read clears the readiness (see `Registration::poll_io_stream`).
pub(crate) fn poll_read_pipe(
    io: &PollEvented<mio_pipe::Receiver>,
    cx: &mut Context<'_>,
    buf: &mut ReadBuf<'_>,
) -> Poll<io::Result<()>> {
    let fd = io.get_ref().as_fd();
    let len = buf.remaining();
    let n = ready!(io
        .registration()
        .poll_io_stream(cx, Direction::Read, len, || {
            // SAFETY: `read_uninit` only writes into the slice, never
            // de-initializing a byte.
            read_uninit(fd, unsafe { buf.unfilled_mut() })
        }))?;
    // SAFETY: the kernel initialized the first `n` unfilled bytes.
    unsafe { buf.assume_init(n) };
    buf.advance(n);
    Poll::Ready(Ok(()))
}

/// `read(2)` into possibly uninitialized memory.
fn read_uninit(fd: BorrowedFd<'_>, buf: &mut [MaybeUninit<u8>]) -> io::Result<usize> {
    // Larger counts are implementation-defined for `read(2)`.
    let len = buf.len().min(isize::MAX as usize);
    // SAFETY: `buf` is valid for writes of `len` bytes, and `read(2)` only
    // writes into it (it never reads those bytes, so they may be
    // uninitialized); `fd` is open for the duration of the borrow.
    let n = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), len) };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

/// Fails unless `fd` is a pipe or FIFO open in `end`'s direction.
fn check_pipe(fd: BorrowedFd<'_>, end: End) -> io::Result<()> {
    if !is_fifo(fd)? {
        return Err(not_a_pipe());
    }
    // SAFETY: `F_GETFL` only reads the flags of `fd`, which is open.
    let flags = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) };
    if flags < 0 {
        return Err(io::Error::last_os_error());
    }
    let mode = flags & libc::O_ACCMODE;
    let ok = match end {
        End::Receiver => mode == libc::O_RDONLY || mode == libc::O_RDWR,
        End::Sender => mode == libc::O_WRONLY || mode == libc::O_RDWR,
    };
    if ok {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            match end {
                End::Receiver => "the pipe is not open for reading (O_RDONLY or O_RDWR)",
                End::Sender => "the pipe is not open for writing (O_WRONLY or O_RDWR)",
            },
        ))
    }
}

/// True if `fd` is a pipe or FIFO (both are `S_IFIFO`).
fn is_fifo(fd: BorrowedFd<'_>) -> io::Result<bool> {
    let mut stat = MaybeUninit::<libc::stat>::uninit();
    // SAFETY: `fd` is open, and `fstat` fills the whole `stat` on success.
    if unsafe { libc::fstat(fd.as_raw_fd(), stat.as_mut_ptr()) } < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fstat` succeeded, so `stat` is initialized.
    let mode = unsafe { stat.assume_init() }.st_mode;
    Ok(mode & libc::S_IFMT == libc::S_IFIFO)
}

fn not_a_pipe() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, "not a pipe or FIFO")
}
