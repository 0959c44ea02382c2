//! The parent's ends of a child's standard streams: [`ChildStdin`],
//! [`ChildStdout`] and [`ChildStderr`].
//!
//! Each one is a pipe end (a `mio::unix::pipe::{Sender, Receiver}`) put in
//! non-blocking mode and registered with the reactor of the runtime that
//! was current when it was created, by the helpers `net::unix::pipe`'s
//! `Sender` and `Receiver` are built from. Only the parent's end is
//! non-blocking: `O_NONBLOCK` belongs to the open file description, and
//! the child's end of a pipe is a different one, so the child sees an
//! ordinary blocking stream.
//!
//! Invariants:
//! - The descriptor is deregistered before it is closed (`PollEvented`'s
//!   drop), or before it is handed back by `into_owned_fd`, which also puts
//!   it back in blocking mode so that std code (or another child) can use it.
//! - `ChildStdin::poll_shutdown` closes the write end (so the child reads
//!   end of file); writes after that fail with `BrokenPipe`.

use crate::io::{AsyncRead, AsyncWrite, ReadBuf};
use crate::net::unix::pipe::{poll_read_pipe, register_receiver, register_sender};
use crate::runtime::io::PollEvented;
use mio::unix::pipe::{Receiver, Sender};
use std::fmt;
use std::io::{self, IoSlice};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::pin::Pin;
use std::process::Stdio;
use std::task::{Context, Poll};

/// The parent's write end of a child's standard input (Tokio's
/// `ChildStdin`), from [`Child::stdin`](super::Child::stdin) when the
/// command was given `Stdio::piped()` for stdin.
///
/// Writes go straight to the pipe: `flush` has nothing to do. `shutdown`
/// (or dropping the handle) closes the pipe, so the child reads end of file.
///
/// ```
/// use std::process::Stdio;
/// use weave::io::{AsyncReadExt, AsyncWriteExt};
/// use weave::process::Command;
///
/// # #[weave::main]
/// # async fn main() -> std::io::Result<()> {
/// let mut child = Command::new("cat")
///     .stdin(Stdio::piped())
///     .stdout(Stdio::piped())
///     .spawn()?;
/// let mut stdin = child.stdin.take().unwrap();
/// stdin.write_all(b"meow").await?;
/// stdin.shutdown().await?; // `cat` sees end of file
/// let mut out = String::new();
/// child.stdout.take().unwrap().read_to_string(&mut out).await?;
/// assert_eq!(out, "meow");
/// assert!(child.wait().await?.success());
/// # Ok(())
/// # }
/// ```
pub struct ChildStdin {
    /// `None` once shut down.
    io: Option<PollEvented<Sender>>,
}

/// The parent's read end of a child's standard output (Tokio's
/// `ChildStdout`), from [`Child::stdout`](super::Child::stdout) when the
/// command was given `Stdio::piped()` for stdout.
///
/// ```
/// use std::process::Stdio;
/// use weave::io::{AsyncBufReadExt, BufReader};
/// use weave::process::Command;
///
/// # #[weave::main]
/// # async fn main() -> std::io::Result<()> {
/// let mut child = Command::new("sh")
///     .args(["-c", "echo one; echo two"])
///     .stdout(Stdio::piped())
///     .spawn()?;
/// let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
/// assert_eq!(lines.next_line().await?.as_deref(), Some("one"));
/// assert_eq!(lines.next_line().await?.as_deref(), Some("two"));
/// assert_eq!(lines.next_line().await?, None);
/// child.wait().await?;
/// # Ok(())
/// # }
/// ```
pub struct ChildStdout {
    io: PollEvented<Receiver>,
}

/// The parent's read end of a child's standard error (Tokio's
/// `ChildStderr`), from [`Child::stderr`](super::Child::stderr) when the
/// command was given `Stdio::piped()` for stderr. Used like
/// [`ChildStdout`].
pub struct ChildStderr {
    io: PollEvented<Receiver>,
}

impl ChildStdin {
    /// Wraps std's handle, registering it with the current runtime (Tokio's
    /// `ChildStdin::from_std`). The descriptor is set non-blocking.
    ///
    /// # Panics
    ///
    /// Outside a runtime, or in one built without I/O.
    #[track_caller]
    pub fn from_std(inner: std::process::ChildStdin) -> io::Result<ChildStdin> {
        Ok(ChildStdin {
            io: Some(register_sender(Sender::from(inner))?),
        })
    }

    /// Deregisters the pipe and returns its descriptor, back in blocking
    /// mode (for example to give it to another process as its stdout).
    ///
    /// Errors if the pipe was already shut down.
    pub fn into_owned_fd(mut self) -> io::Result<OwnedFd> {
        let io = self.io.take().ok_or_else(shut_down_error)?;
        let tx = io.into_inner()?;
        tx.set_nonblocking(false)?;
        Ok(OwnedFd::from(tx))
    }

    fn io(&self) -> io::Result<&PollEvented<Sender>> {
        self.io.as_ref().ok_or_else(shut_down_error)
    }
}

fn shut_down_error() -> io::Error {
    io::Error::new(io::ErrorKind::BrokenPipe, "the child's stdin was shut down")
}

impl AsyncWrite for ChildStdin {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.io()?.poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.io()?.poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Nothing is buffered on this side of the pipe.
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Deregisters and closes the write end; a second shutdown is a no-op.
        drop(self.get_mut().io.take());
        Poll::Ready(Ok(()))
    }
}

macro_rules! reader_impls {
    ($ty:ident, $std:ty, $name:literal) => {
        impl $ty {
            #[doc = concat!("Wraps std's handle, registering it with the current runtime (Tokio's `", $name, "::from_std`). The descriptor is set non-blocking.")]
            ///
            /// # Panics
            ///
            /// Outside a runtime, or in one built without I/O.
            #[track_caller]
            pub fn from_std(inner: $std) -> io::Result<$ty> {
                Ok($ty {
                    io: register_receiver(Receiver::from(inner))?,
                })
            }

            /// Deregisters the pipe and returns its descriptor, back in
            /// blocking mode (for example to give it to another process as
            /// its stdin).
            pub fn into_owned_fd(self) -> io::Result<OwnedFd> {
                let rx = self.io.into_inner()?;
                rx.set_nonblocking(false)?;
                Ok(OwnedFd::from(rx))
            }
        }

        impl AsyncRead for $ty {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut ReadBuf<'_>,
            ) -> Poll<io::Result<()>> {
                poll_read_pipe(&self.io, cx, buf)
            }
        }

        impl TryFrom<$std> for $ty {
            type Error = io::Error;

            /// Same as [`from_std`](Self::from_std).
            #[track_caller]
            fn try_from(inner: $std) -> io::Result<$ty> {
                $ty::from_std(inner)
            }
        }

        impl TryFrom<$ty> for Stdio {
            type Error = io::Error;

            /// The pipe as another command's standard stream, for pipelines
            /// (`a | b`).
            fn try_from(pipe: $ty) -> io::Result<Stdio> {
                pipe.into_owned_fd().map(Stdio::from)
            }
        }

        impl AsRawFd for $ty {
            fn as_raw_fd(&self) -> RawFd {
                self.io.get_ref().as_raw_fd()
            }
        }

        impl AsFd for $ty {
            fn as_fd(&self) -> BorrowedFd<'_> {
                self.io.get_ref().as_fd()
            }
        }

        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct($name)
                    .field("fd", &self.as_raw_fd())
                    .finish()
            }
        }
    };
}

reader_impls!(ChildStdout, std::process::ChildStdout, "ChildStdout");
reader_impls!(ChildStderr, std::process::ChildStderr, "ChildStderr");

impl TryFrom<std::process::ChildStdin> for ChildStdin {
    type Error = io::Error;

    /// Same as [`from_std`](Self::from_std).
    #[track_caller]
    fn try_from(inner: std::process::ChildStdin) -> io::Result<ChildStdin> {
        ChildStdin::from_std(inner)
    }
}

impl TryFrom<ChildStdin> for Stdio {
    type Error = io::Error;

    /// The pipe as another command's standard stream.
    fn try_from(pipe: ChildStdin) -> io::Result<Stdio> {
        pipe.into_owned_fd().map(Stdio::from)
    }
}

/// # Panics
///
/// If the pipe was shut down (its descriptor is closed).
impl AsRawFd for ChildStdin {
    fn as_raw_fd(&self) -> RawFd {
        self.io
            .as_ref()
            .expect("the child's stdin was shut down")
            .get_ref()
            .as_raw_fd()
    }
}

/// # Panics
///
/// If the pipe was shut down (its descriptor is closed).
impl AsFd for ChildStdin {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io
            .as_ref()
            .expect("the child's stdin was shut down")
            .get_ref()
            .as_fd()
    }
}

impl fmt::Debug for ChildStdin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fd = self.io.as_ref().map(|io| io.get_ref().as_raw_fd());
        f.debug_struct("ChildStdin").field("fd", &fd).finish()
    }
}
