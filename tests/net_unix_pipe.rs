//! `net::unix::pipe`: anonymous pipes and FIFOs on the reactor.
//!
//! FIFOs are made with `mkfifo` in a per-test temporary directory, removed
//! at the end. Waits are wrapped in `guard`, a generous hang guard: a test
//! fails rather than hangs, and none depends on how fast anything runs.

#[allow(unused_macros)]
mod common;
use common::TempDir;
use std::ffi::CString;
use std::future::Future;
use std::io::{self, IoSlice, IoSliceMut};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::Duration;
use weave::io::{AsyncReadExt, AsyncWriteExt, Interest};
use weave::net::unix::pipe::{self, OpenOptions, Receiver, Sender};

async fn guard<F: Future>(f: F) -> F::Output {
    weave::time::timeout(Duration::from_secs(60), f)
        .await
        .expect("test hung")
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| ((i % 251) as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// FIFOs and plain files in a test's scratch directory.
impl TempDir {
    fn fifo(&self, name: &str) -> PathBuf {
        let path = self.0.join(name);
        mkfifo(&path);
        path
    }

    fn file(&self, name: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, b"plain file").unwrap();
        path
    }
}

fn mkfifo(path: &Path) {
    let c_path = CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: `c_path` is a valid NUL-terminated string.
    let r = unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) };
    assert_eq!(r, 0, "mkfifo: {}", io::Error::last_os_error());
}

fn is_nonblocking(fd: &impl AsFd) -> bool {
    // SAFETY: `F_GETFL` only reads the flags of an open descriptor.
    let flags = unsafe { libc::fcntl(fd.as_fd().as_raw_fd(), libc::F_GETFL) };
    assert!(flags >= 0);
    flags & libc::O_NONBLOCK != 0
}

fn raw_read(fd: &impl AsFd, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: the descriptor is open and `buf` is valid for its length.
    let n = unsafe { libc::read(fd.as_fd().as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

fn would_block<T: std::fmt::Debug>(r: io::Result<T>) {
    assert_eq!(r.unwrap_err().kind(), io::ErrorKind::WouldBlock);
}

fn invalid_input<T: std::fmt::Debug>(r: io::Result<T>) {
    let err = r.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
}

/// Writes into `tx` with `try_write` until the pipe is full.
async fn fill(tx: &Sender) -> usize {
    let chunk = [0xAB; 4096];
    let mut total = 0;
    loop {
        guard(tx.writable()).await.unwrap();
        match tx.try_write(&chunk) {
            Ok(n) => total += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return total,
            Err(e) => panic!("{e}"),
        }
    }
}

/// `try_read` until `want` bytes arrived, waiting for readability between.
async fn read_some(rx: &Receiver, want: usize) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = [0; 1024];
    while got.len() < want {
        guard(rx.readable()).await.unwrap();
        match rx.try_read(&mut buf) {
            Ok(0) => panic!("unexpected end of file"),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => panic!("{e}"),
        }
    }
    got
}

#[weave::test]
async fn anonymous_pipe_carries_bytes() {
    let (mut tx, mut rx) = pipe::pipe().unwrap();
    assert!(is_nonblocking(&tx) && is_nonblocking(&rx));
    guard(async {
        tx.write_all(b"hello ").await.unwrap();
        tx.write_all(b"pipe").await.unwrap();
        tx.flush().await.unwrap();
        let mut buf = [0; 10];
        rx.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"hello pipe");
    })
    .await;
}

#[weave::test]
async fn end_of_file_once_the_sender_is_dropped() {
    let (mut tx, mut rx) = pipe::pipe().unwrap();
    let writer = weave::spawn(async move {
        tx.write_all(b"last words").await.unwrap();
        // `shutdown` is a no-op on a pipe: only the drop closes it.
        tx.shutdown().await.unwrap();
        tx.write_all(b"!").await.unwrap();
    });
    let mut got = Vec::new();
    guard(rx.read_to_end(&mut got)).await.unwrap();
    assert_eq!(got, b"last words!");
    guard(writer).await.unwrap();
    // End of file is sticky.
    let mut buf = [0; 4];
    assert_eq!(guard(rx.read(&mut buf)).await.unwrap(), 0);
    assert_eq!(rx.try_read(&mut buf).unwrap(), 0);
}

#[weave::test]
async fn broken_pipe_once_the_receiver_is_dropped() {
    let (mut tx, rx) = pipe::pipe().unwrap();
    drop(rx);
    let err = guard(tx.write_all(b"nobody listens")).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::BrokenPipe, "{err}");
}

#[weave::test]
async fn try_read_and_try_write_would_block() {
    let (tx, rx) = pipe::pipe().unwrap();
    let mut buf = [0; 64];

    // Empty pipe: nothing to read yet.
    would_block(rx.try_read(&mut buf));

    // Fill the pipe; then a write cannot proceed.
    let filled = fill(&tx).await;
    assert!(filled > 0);
    would_block(tx.try_write(b"x"));

    // Draining it all makes room again.
    let drained = read_some(&rx, filled).await;
    assert_eq!(drained.len(), filled);
    assert!(drained.iter().all(|&b| b == 0xAB));
    would_block(rx.try_read(&mut buf));
    guard(tx.writable()).await.unwrap();
    assert_eq!(tx.try_write(b"again").unwrap(), 5);
    assert_eq!(read_some(&rx, 5).await, b"again");

    // `ready` reports each end's own direction.
    let ready = guard(tx.ready(Interest::WRITABLE)).await.unwrap();
    assert!(ready.is_writable());
    tx.try_write(b"r").unwrap();
    let ready = guard(rx.ready(Interest::READABLE)).await.unwrap();
    assert!(ready.is_readable());
}

#[weave::test]
async fn vectored_and_buf_variants() {
    let (tx, rx) = pipe::pipe().unwrap();
    guard(tx.writable()).await.unwrap();
    let n = tx
        .try_write_vectored(&[IoSlice::new(b"ab"), IoSlice::new(b"cde")])
        .unwrap();
    assert_eq!(n, 5);

    guard(rx.readable()).await.unwrap();
    let (mut a, mut b) = ([0; 2], [0; 2]);
    let n = rx
        .try_read_vectored(&mut [IoSliceMut::new(&mut a), IoSliceMut::new(&mut b)])
        .unwrap();
    assert_eq!(n, 4);
    assert_eq!((&a, &b), (b"ab", b"cd"));

    let mut buf = Vec::with_capacity(16);
    buf.extend_from_slice(b">");
    loop {
        guard(rx.readable()).await.unwrap();
        match rx.try_read_buf(&mut buf) {
            Ok(n) => {
                assert_eq!(n, 1);
                break;
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(buf, b">e");

    // `try_io` runs the caller's own operation under the readiness rules.
    // The pipe is empty: `f` (if the pipe still looks readable) hits
    // `WouldBlock`, which clears the readiness, so `f` is not run again.
    would_block(rx.try_io(|| raw_read(&rx, &mut [0; 4])));
    would_block(rx.try_io(|| -> io::Result<()> { unreachable!() }));
    guard(tx.writable()).await.unwrap();
    let n = tx
        .try_io(|| {
            // SAFETY: `tx` is open and the buffer is valid for 3 bytes.
            let n = unsafe { libc::write(tx.as_raw_fd(), b"raw".as_ptr().cast(), 3) };
            if n < 0 {
                Err(io::Error::last_os_error())
            } else {
                Ok(n as usize)
            }
        })
        .unwrap();
    assert_eq!(n, 3);
    assert_eq!(read_some(&rx, 3).await, b"raw");
}

#[weave::test]
async fn large_transfer_every_byte_checked() {
    const LEN: usize = 4 << 20;
    let (mut tx, mut rx) = pipe::pipe().unwrap();
    let data = pattern(LEN, 7);
    let expected = data.clone();
    let writer = weave::spawn(async move {
        // Uneven chunks, so writes straddle the pipe's buffer boundaries.
        for chunk in data.chunks(7919) {
            tx.write_all(chunk).await.unwrap();
        }
    });
    let mut got = Vec::with_capacity(LEN);
    guard(rx.read_to_end(&mut got)).await.unwrap();
    guard(writer).await.unwrap();
    assert_eq!(got.len(), LEN);
    if let Some(i) = (0..LEN).find(|&i| got[i] != expected[i]) {
        panic!("byte {i}: got {}, want {}", got[i], expected[i]);
    }
}

#[weave::test]
async fn fifo_receiver_and_sender() {
    let dir = TempDir::new("fifo");
    let path = dir.fifo("fifo");

    // The receiver opens with no writer around ...
    let mut rx = OpenOptions::new().open_receiver(&path).unwrap();
    // ... and the sender then finds it.
    let mut tx = OpenOptions::new().open_sender(&path).unwrap();
    assert!(is_nonblocking(&rx) && is_nonblocking(&tx));

    guard(async {
        tx.write_all(b"through the fifo").await.unwrap();
        drop(tx);
        let mut got = String::new();
        rx.read_to_string(&mut got).await.unwrap();
        assert_eq!(got, "through the fifo");
    })
    .await;

    // A second writer can come along after the first left.
    let mut tx = OpenOptions::new().open_sender(&path).unwrap();
    guard(async {
        tx.write_all(b"again").await.unwrap();
        drop(tx);
        let mut got = Vec::new();
        rx.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"again");
    })
    .await;
}

#[weave::test]
async fn fifo_sender_without_reader_is_enxio() {
    let dir = TempDir::new("enxio");
    let path = dir.fifo("fifo");
    let err = OpenOptions::new().open_sender(&path).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::ENXIO), "{err}");
}

#[cfg(target_os = "linux")]
#[weave::test]
async fn fifo_read_write_mode() {
    let dir = TempDir::new("rdwr");
    let path = dir.fifo("fifo");

    // With `read_write` the sender counts as its own reader.
    let mut tx = OpenOptions::new()
        .read_write(true)
        .open_sender(&path)
        .unwrap();
    guard(tx.write_all(b"parked")).await.unwrap();

    // A read-write receiver never sees end of file, even with no writer.
    let rx = OpenOptions::new()
        .read_write(true)
        .open_receiver(&path)
        .unwrap();
    assert_eq!(read_some(&rx, 6).await, b"parked");
    drop(tx);
    let mut buf = [0; 8];
    would_block(rx.try_read(&mut buf));

    // It can be written through another handle on the same FIFO.
    let mut tx = OpenOptions::new().open_sender(&path).unwrap();
    guard(tx.write_all(b"more")).await.unwrap();
    assert_eq!(read_some(&rx, 4).await, b"more");
}

#[weave::test]
async fn non_fifo_paths_are_rejected_unless_unchecked() {
    let dir = TempDir::new("notfifo");
    let file = dir.file("plain");

    invalid_input(OpenOptions::new().open_receiver(&file));
    invalid_input(OpenOptions::new().open_sender(&file));

    // Unchecked, the file is opened and handed to the reactor, which
    // cannot watch a regular file: the error is epoll's, not "not a pipe".
    let err = OpenOptions::new()
        .unchecked(true)
        .open_receiver(&file)
        .unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EPERM), "{err}");

    // A pollable file that is not a FIFO works once unchecked.
    let ptmx = Path::new("/dev/ptmx");
    if std::fs::metadata(ptmx).is_ok() {
        #[cfg(target_os = "linux")]
        {
            let mut options = OpenOptions::new();
            options.read_write(true);
            invalid_input(options.open_receiver(ptmx));
            let rx = options.unchecked(true).open_receiver(ptmx).unwrap();
            assert!(is_nonblocking(&rx));
        }
    }

    // Missing paths and directories fail as `open(2)` does.
    let err = OpenOptions::new()
        .open_receiver(dir.0.join("missing"))
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::NotFound, "{err}");
    invalid_input(OpenOptions::new().open_receiver(&dir.0));
}

#[weave::test]
async fn from_file_checks_kind_and_access_mode() {
    let dir = TempDir::new("fromfile");
    let path = dir.fifo("fifo");
    let plain = dir.file("plain");

    // Not a pipe.
    invalid_input(Receiver::from_file(std::fs::File::open(&plain).unwrap()));
    invalid_input(Sender::from_file(
        std::fs::OpenOptions::new()
            .write(true)
            .open(&plain)
            .unwrap(),
    ));

    // A blocking read end, opened without waiting for a writer.
    let read_end = {
        use std::os::unix::fs::OpenOptionsExt;
        let f = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(&path)
            .unwrap();
        let fd = OwnedFd::from(f);
        // SAFETY: clears `O_NONBLOCK` on a descriptor owned here.
        assert_eq!(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, 0) }, 0);
        std::fs::File::from(fd)
    };
    assert!(!is_nonblocking(&read_end));
    let write_end = std::fs::OpenOptions::new().write(true).open(&path).unwrap();

    // Wrong direction for each.
    invalid_input(Sender::from_file(read_end.try_clone().unwrap()));
    invalid_input(Receiver::from_file(write_end.try_clone().unwrap()));

    // Right direction: set non-blocking and usable.
    let mut rx = Receiver::from_file(read_end).unwrap();
    let mut tx = Sender::from_owned_fd(write_end.into()).unwrap();
    assert!(is_nonblocking(&rx) && is_nonblocking(&tx));
    guard(tx.write_all(b"fd")).await.unwrap();
    drop(tx);
    let mut got = Vec::new();
    guard(rx.read_to_end(&mut got)).await.unwrap();
    assert_eq!(got, b"fd");
}

#[weave::test]
async fn from_unchecked_sets_nonblocking() {
    let (r, w) = std::io::pipe().unwrap();
    assert!(!is_nonblocking(&r));
    let rx = Receiver::from_owned_fd_unchecked(r.into()).unwrap();
    let tx = Sender::from_file_unchecked(std::fs::File::from(OwnedFd::from(w))).unwrap();
    assert!(is_nonblocking(&rx) && is_nonblocking(&tx));
    would_block(rx.try_read(&mut [0; 4]));
}

#[weave::test]
async fn into_fds_deregister_and_set_the_mode() {
    let (tx, rx) = pipe::pipe().unwrap();
    let tx_fd = tx.into_nonblocking_fd().unwrap();
    assert!(is_nonblocking(&tx_fd));
    let rx_fd = rx.into_blocking_fd().unwrap();
    assert!(!is_nonblocking(&rx_fd));

    // The descriptors can be registered again.
    let mut rx = Receiver::from_owned_fd(rx_fd).unwrap();
    let tx = Sender::from_owned_fd(tx_fd).unwrap();
    let blocking_tx = tx.into_blocking_fd().unwrap();
    assert!(!is_nonblocking(&blocking_tx));

    // A blocking write from a plain thread reaches the async reader.
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        let mut f = std::fs::File::from(blocking_tx);
        f.write_all(b"from a thread").unwrap();
    });
    let mut got = Vec::new();
    guard(rx.read_to_end(&mut got)).await.unwrap();
    writer.join().unwrap();
    assert_eq!(got, b"from a thread");
}

#[weave::test]
async fn poll_ready_methods() {
    let (tx, rx) = pipe::pipe().unwrap();
    guard(std::future::poll_fn(|cx| tx.poll_write_ready(cx)))
        .await
        .unwrap();
    tx.try_write(b"p").unwrap();
    guard(std::future::poll_fn(|cx| rx.poll_read_ready(cx)))
        .await
        .unwrap();
    let mut buf = [0; 1];
    assert_eq!(rx.try_read(&mut buf).unwrap(), 1);
    assert_eq!(&buf, b"p");
}

#[test]
fn default_options_match_new() {
    let a = format!("{:?}", OpenOptions::default());
    let b = format!("{:?}", OpenOptions::new());
    assert_eq!(a, b);
}
