//! Observing a child's exit and reaping it: the [`Reaper`] of one child,
//! and the orphan list for children whose [`Child`](super::Child) handle
//! was dropped before they were reaped.
//!
//! Every pid is reaped with `waitpid(pid, WNOHANG)` on that exact pid
//! (std's `Child::try_wait`, which caches the status so a pid is never
//! waited for twice). Nothing here calls `waitpid(-1)`, so children that
//! other code spawned (std's `Command`, other libraries) are left alone.
//! An unreaped child cannot have its pid reused (it is at least a zombie),
//! so a `waitpid` on a pid we hold always concerns our own child.
//!
//! Exit notification, chosen per child at spawn:
//! - pidfd (Linux 5.3+): `pidfd_open(pid)` gives a descriptor that becomes
//!   readable when the child exits; it is registered with the runtime's
//!   reactor like any socket. No thread, no signal handler.
//! - SIGCHLD: where `pidfd_open` does not exist (`ENOSYS`) or is refused
//!   (`EPERM`, some seccomp filters), each child subscribes to SIGCHLD
//!   through `crate::signal` at spawn, before its first `waitpid` check
//!   (so an exit is either seen by that check or delivered afterwards), and
//!   re-checks `waitpid(pid, WNOHANG)` after every delivery.
//!   SIGCHLD deliveries coalesce, which is fine: every waiter re-checks.
//!
//! Orphans (a `Child` dropped while its process is unreaped), in order:
//! 1. One `waitpid(WNOHANG)` at drop: a child that already exited is
//!    reaped on the spot.
//! 2. Otherwise, if a runtime is current, a detached task takes the
//!    child's reaper and waits for the exit like `Child::wait` does (pidfd
//!    readiness or SIGCHLD), then reaps it. So a dropped child becomes a
//!    zombie only for as long as it takes the reactor to report its exit.
//! 3. If there is no runtime, or the task is dropped before the child
//!    exits (runtime shutdown), or its reactor has gone away, the child goes
//!    to the process-wide `ORPHANS` list. The list is swept (one
//!    `waitpid(pid, WNOHANG)` per entry) at every spawn and whenever any
//!    reaper sees an exit notification.

use crate::io::Interest;
use crate::runtime::io::{IoHandle, Registration};
use crate::signal::unix::{signal, Signal, SignalKind};
use mio::unix::SourceFd;
use std::fmt;
use std::future::Future;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::pin::Pin;
use std::process::ExitStatus;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{ready, Context, Poll};

/// Children whose handle was dropped unreaped and that no task watches.
static ORPHANS: parking_lot::Mutex<Vec<std::process::Child>> = parking_lot::Mutex::new(Vec::new());

/// Set once `pidfd_open` reported that it is unavailable in this process.
static NO_PIDFD: AtomicBool = AtomicBool::new(false);

#[cfg(test)]
thread_local! {
    /// Tests set this to exercise the SIGCHLD path on kernels with pidfds.
    pub(super) static FORCE_SIGCHLD: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// One unreaped child and the means of learning that it exited.
pub(super) struct Reaper {
    child: std::process::Child,
    watch: Watch,
}

enum Watch {
    Pidfd(PidFd),
    Sigchld(Signal),
}

/// A pidfd registered for readability with a reactor.
struct PidFd {
    fd: OwnedFd,
    registration: Registration,
}

impl Reaper {
    /// Starts watching `child` (just spawned, with its pipes taken) for its
    /// exit, on the reactor of `handle`.
    /// On failure, gives the child back with the error.
    pub(super) fn new(
        child: std::process::Child,
        handle: IoHandle,
    ) -> Result<Reaper, (io::Error, std::process::Child)> {
        let watch = match PidFd::open(child.id(), handle) {
            Ok(pidfd) => Watch::Pidfd(pidfd),
            // Unavailable or failed (out of descriptors, for one): SIGCHLD.
            Err(_) => match signal(SignalKind::child()) {
                Ok(sigchld) => Watch::Sigchld(sigchld),
                Err(e) => return Err((e, child)),
            },
        };
        Ok(Reaper { child, watch })
    }

    pub(super) fn id(&self) -> u32 {
        self.child.id()
    }

    /// `waitpid(pid, WNOHANG)`; the status is cached once seen.
    pub(super) fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        self.child.try_wait()
    }

    /// Sends `SIGKILL`. Only called while the child is unreaped, so the pid
    /// is still ours (a zombie at worst, where the signal is a no-op).
    pub(super) fn kill(&mut self) -> io::Result<()> {
        self.child.kill()
    }

    /// Ready with the exit status once the child exited and was reaped; on
    /// `Pending`, `cx` is woken by the exit notification.
    pub(super) fn poll_wait(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<ExitStatus>> {
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Poll::Ready(Ok(status));
            }
            match &mut self.watch {
                Watch::Pidfd(pidfd) => {
                    ready!(pidfd.registration.poll_read_ready(cx))?;
                    sweep_orphans();
                    if let Some(status) = self.child.try_wait()? {
                        return Poll::Ready(Ok(status));
                    }
                    // A pidfd is readable only once the process exited, and
                    // stays so; `waitpid` not seeing it yet is a transient
                    // state. The readiness is not cleared (the edge would not
                    // come again): try again on the next poll.
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
                Watch::Sigchld(sigchld) => {
                    ready!(sigchld.poll_recv(cx));
                    sweep_orphans();
                }
            }
        }
    }

    /// Hands an unreaped child over to the orphan machinery (module docs).
    pub(super) fn adopt(mut self) {
        match self.child.try_wait() {
            // Reaped now, or not ours to reap any more (`ECHILD`).
            Ok(Some(_)) | Err(_) => return,
            Ok(None) => {}
        }
        match crate::runtime::Handle::try_current() {
            Ok(handle) => {
                // If the runtime is shutting down the future is dropped,
                // which moves the child to the list.
                drop(handle.spawn(OrphanWatch { reaper: Some(self) }));
            }
            Err(_) => ORPHANS.lock().push(self.child),
        }
    }
}

impl fmt::Debug for Reaper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let watch = match self.watch {
            Watch::Pidfd(_) => "pidfd",
            Watch::Sigchld(_) => "SIGCHLD",
        };
        f.debug_struct("Reaper")
            .field("pid", &self.child.id())
            .field("watch", &watch)
            .finish()
    }
}

/// Reaps `child` now if it exited, else puts it on the orphan list (for a
/// child that has no reaper: its exit watch could not be set up).
pub(super) fn adopt_std(mut child: std::process::Child) {
    if let Ok(None) = child.try_wait() {
        ORPHANS.lock().push(child);
    }
}

/// The detached task that reaps a dropped child.
struct OrphanWatch {
    /// `None` once reaped.
    reaper: Option<Reaper>,
}

impl Future for OrphanWatch {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let Some(reaper) = self.reaper.as_mut() else {
            return Poll::Ready(());
        };
        // On an error (the reactor is gone) the reaper stays, and `Drop`
        // leaves the child to the list.
        if ready!(reaper.poll_wait(cx)).is_ok() {
            self.reaper = None;
        }
        Poll::Ready(())
    }
}

impl Drop for OrphanWatch {
    fn drop(&mut self) {
        if let Some(mut reaper) = self.reaper.take() {
            if let Ok(None) = reaper.try_wait() {
                ORPHANS.lock().push(reaper.child);
            }
        }
    }
}

/// Reaps every orphan that has exited: one `waitpid(pid, WNOHANG)` each.
/// Skipped if another thread is sweeping right now.
pub(super) fn sweep_orphans() {
    let Some(mut orphans) = ORPHANS.try_lock() else {
        return;
    };
    // Keep only the ones still running; `Err` (`ECHILD`) means someone else
    // reaped it, so it is not ours any more either.
    orphans.retain_mut(|child| matches!(child.try_wait(), Ok(None)));
}

impl PidFd {
    fn open(pid: u32, handle: IoHandle) -> io::Result<PidFd> {
        #[cfg(test)]
        if FORCE_SIGCHLD.with(|force| force.get()) {
            return Err(io::ErrorKind::Unsupported.into());
        }
        if NO_PIDFD.load(Ordering::Relaxed) {
            return Err(io::ErrorKind::Unsupported.into());
        }
        let fd = match pidfd_open(pid) {
            Ok(fd) => fd,
            Err(e) => {
                if matches!(e.raw_os_error(), Some(libc::ENOSYS | libc::EPERM)) {
                    NO_PIDFD.store(true, Ordering::Relaxed);
                }
                return Err(e);
            }
        };
        let raw = fd.as_raw_fd();
        let registration =
            Registration::with_handle(&mut SourceFd(&raw), Interest::READABLE, handle)?;
        Ok(PidFd { fd, registration })
    }
}

impl Drop for PidFd {
    fn drop(&mut self) {
        // Deregister before `fd` closes (right after this). A failure
        // (reactor gone) leaves nothing behind: closing removes it from epoll.
        let raw = self.fd.as_raw_fd();
        let _ = self.registration.deregister(&mut SourceFd(&raw));
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn pidfd_open(pid: u32) -> io::Result<OwnedFd> {
    let pid =
        libc::pid_t::try_from(pid).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: `pidfd_open(pid, 0)` takes two integers and returns a new
    // descriptor or -1; it touches no memory of ours. Its pidfd has
    // `O_CLOEXEC` set by the kernel.
    let ret = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if ret < 0 {
        return Err(io::Error::last_os_error());
    }
    let raw = libc::c_int::try_from(ret).map_err(|_| io::Error::other("pidfd out of range"))?;
    // SAFETY: the kernel just returned `raw` as a new descriptor, which
    // nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(raw) })
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn pidfd_open(_pid: u32) -> io::Result<OwnedFd> {
    Err(io::Error::from_raw_os_error(libc::ENOSYS))
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::process::Command;

    fn rt() -> crate::runtime::Runtime {
        crate::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn sigchld_fallback_waits_and_reaps() {
        FORCE_SIGCHLD.with(|f| f.set(true));
        rt().block_on(async {
            let mut child = Command::new("sh").args(["-c", "exit 7"]).spawn().unwrap();
            assert!(format!("{child:?}").contains("SIGCHLD"), "{child:?}");
            assert_eq!(child.wait().await.unwrap().code(), Some(7));

            // Many at once: coalesced SIGCHLDs must still wake everyone.
            let mut children: Vec<_> = (0..20)
                .map(|i| {
                    Command::new("sh")
                        .arg("-c")
                        .arg(format!("exit {i}"))
                        .spawn()
                        .unwrap()
                })
                .collect();
            for (i, child) in children.iter_mut().enumerate() {
                assert_eq!(child.wait().await.unwrap().code(), Some(i as i32));
            }

            let mut child = Command::new("sleep").arg("10").spawn().unwrap();
            child.kill().await.unwrap();
            assert!(child.id().is_none());
        });

        // Concurrent waiters on worker threads (spawned here, on the thread
        // that forces SIGCHLD), and a dropped child reaped by its orphan task.
        let rt = crate::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let waits: Vec<_> = (0..50)
                .map(|i| {
                    let mut child = Command::new("sh")
                        .arg("-c")
                        .arg(format!("exit {i}"))
                        .spawn()
                        .unwrap();
                    crate::spawn(async move { (i, child.wait().await.unwrap().code()) })
                })
                .collect();
            for wait in waits {
                let (i, code) = wait.await.unwrap();
                assert_eq!(code, Some(i));
            }

            let mut child = Command::new("cat")
                .stdin(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            assert!(format!("{child:?}").contains("SIGCHLD"), "{child:?}");
            let pid = child.id().unwrap();
            let stdin = child.stdin.take();
            drop(child);
            drop(stdin);
            let path = format!("/proc/{pid}");
            for _ in 0..2000 {
                if !std::path::Path::new(&path).exists() {
                    break;
                }
                crate::time::sleep(std::time::Duration::from_millis(5)).await;
            }
            assert!(!std::path::Path::new(&path).exists(), "orphan not reaped");
        });
        FORCE_SIGCHLD.with(|f| f.set(false));
    }

    #[test]
    fn orphan_list_is_swept() {
        let child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        // Wait until it is a zombie, without reaping it.
        let path = format!("/proc/{pid}/stat");
        for _ in 0..1000 {
            let stat = std::fs::read_to_string(&path).unwrap_or_default();
            if stat
                .rsplit(')')
                .next()
                .is_some_and(|s| s.trim_start().starts_with('Z'))
            {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        ORPHANS.lock().push(child);
        // Another test's sweep may hold the list for a moment.
        for _ in 0..1000 {
            sweep_orphans();
            if !std::path::Path::new(&path).exists() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert!(!std::path::Path::new(&path).exists());
    }
}
