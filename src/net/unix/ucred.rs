//! `UCred`: the credentials of the process at the other end of a Unix
//! stream, as the kernel recorded them when the connection was made.

use super::{gid_t, pid_t, uid_t};

/// Credentials of a Unix socket's peer (Tokio's `net::unix::UCred`), from
/// [`UnixStream::peer_cred`](crate::net::UnixStream::peer_cred).
#[derive(Copy, Clone, Eq, PartialEq, Hash, Debug)]
pub struct UCred {
    pid: Option<pid_t>,
    uid: uid_t,
    gid: gid_t,
}

impl UCred {
    /// The peer's effective user id.
    pub fn uid(&self) -> uid_t {
        self.uid
    }

    /// The peer's effective group id.
    pub fn gid(&self) -> gid_t {
        self.gid
    }

    /// The peer's process id, where the platform reports it (Linux and
    /// Android do; the BSDs and macOS, through `getpeereid`, do not).
    pub fn pid(&self) -> Option<pid_t> {
        self.pid
    }
}

/// `SO_PEERCRED`.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(super) fn peer_cred(fd: std::os::fd::BorrowedFd<'_>) -> std::io::Result<UCred> {
    use std::os::fd::AsRawFd;

    let mut cred = libc::ucred {
        pid: 0,
        uid: 0,
        gid: 0,
    };
    let size = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
    let mut len = size;
    // SAFETY: `cred` is a live `ucred` and `len` holds its size, so the
    // kernel writes at most that many bytes into it; `fd` is borrowed, so
    // it stays open for the call.
    let rc = unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&mut cred as *mut libc::ucred).cast(),
            &mut len,
        )
    };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    if len != size {
        return Err(std::io::Error::other("SO_PEERCRED returned a short ucred"));
    }
    Ok(UCred {
        pid: Some(cred.pid),
        uid: cred.uid,
        gid: cred.gid,
    })
}

/// `getpeereid`, which reports no process id.
#[cfg(any(
    target_vendor = "apple",
    target_os = "freebsd",
    target_os = "dragonfly",
    target_os = "openbsd",
    target_os = "netbsd"
))]
pub(super) fn peer_cred(fd: std::os::fd::BorrowedFd<'_>) -> std::io::Result<UCred> {
    use std::os::fd::AsRawFd;

    let mut uid: libc::uid_t = 0;
    let mut gid: libc::gid_t = 0;
    // SAFETY: both out-pointers are live locals of the types `getpeereid`
    // writes; `fd` is borrowed, so it stays open for the call.
    let rc = unsafe { libc::getpeereid(fd.as_raw_fd(), &mut uid, &mut gid) };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(UCred {
        pid: None,
        uid,
        gid,
    })
}
