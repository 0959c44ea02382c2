//! `SocketAddr`: the address of a Unix-domain socket, and the conversions
//! the socket types need to produce one.

use std::fmt;
use std::io;
use std::os::unix::net::SocketAddr as StdSocketAddr;
use std::path::Path;

#[cfg(target_os = "android")]
use std::os::android::net::SocketAddrExt;
#[cfg(target_os = "linux")]
use std::os::linux::net::SocketAddrExt;

/// The address of a Unix-domain socket (Tokio's `net::unix::SocketAddr`):
/// a filesystem path, nothing (unnamed, as for [`UnixStream::pair`] or
/// the client end of a connection), or on Linux a name in the abstract
/// namespace.
///
/// [`UnixStream::pair`]: crate::net::UnixStream::pair
///
/// ```
/// use weave::net::UnixStream;
///
/// # weave::runtime::Runtime::new().unwrap().block_on(async {
/// let (a, _b) = UnixStream::pair()?;
/// let addr = a.local_addr()?;
/// assert!(addr.is_unnamed());
/// assert_eq!(addr.as_pathname(), None);
/// # Ok::<_, std::io::Error>(()) }).unwrap();
/// ```
#[derive(Clone)]
pub struct SocketAddr(pub(crate) StdSocketAddr);

impl SocketAddr {
    /// True if the socket has no address.
    pub fn is_unnamed(&self) -> bool {
        self.0.is_unnamed()
    }

    /// The filesystem path, if the address is one.
    pub fn as_pathname(&self) -> Option<&Path> {
        self.0.as_pathname()
    }

    /// The name in the abstract namespace (without its leading NUL), if the
    /// address is one.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub fn as_abstract_name(&self) -> Option<&[u8]> {
        self.0.as_abstract_name()
    }
}

impl fmt::Debug for SocketAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl From<StdSocketAddr> for SocketAddr {
    fn from(addr: StdSocketAddr) -> SocketAddr {
        SocketAddr(addr)
    }
}

impl From<SocketAddr> for StdSocketAddr {
    fn from(addr: SocketAddr) -> StdSocketAddr {
        addr.0
    }
}

/// On Linux a path starting with a NUL byte names the abstract namespace
/// (std's path-based calls reject such paths, so they need this detour).
pub(super) fn abstract_addr(path: &Path) -> io::Result<Option<StdSocketAddr>> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        use std::os::unix::ffi::OsStrExt;
        if let Some((0, name)) = path.as_os_str().as_bytes().split_first() {
            return StdSocketAddr::from_abstract_name(name).map(Some);
        }
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let _ = path;
    Ok(None)
}

/// Turns the sender address from a `socket2` receive into a [`SocketAddr`].
pub(super) fn from_sock_addr(addr: &socket2::SockAddr) -> io::Result<SocketAddr> {
    if let Some(path) = addr.as_pathname() {
        return StdSocketAddr::from_pathname(path).map(SocketAddr);
    }
    #[cfg(any(target_os = "linux", target_os = "android"))]
    if let Some(name) = addr.as_abstract_namespace() {
        return StdSocketAddr::from_abstract_name(name).map(SocketAddr);
    }
    // Linux reports a sender that never bound with an empty address, not
    // with an `AF_UNIX` one.
    if addr.is_unix() || addr.len() == 0 {
        return unnamed().map(SocketAddr);
    }
    Err(io::Error::new(
        io::ErrorKind::InvalidData,
        "the sender address is not a Unix-domain address",
    ))
}

/// An unnamed address. std has no constructor for one; an empty path gives
/// one with today's std, and the fallback asks the kernel for the address
/// of a fresh unbound socket, which is unnamed by definition.
fn unnamed() -> io::Result<StdSocketAddr> {
    match StdSocketAddr::from_pathname("") {
        Ok(addr) if addr.is_unnamed() => Ok(addr),
        _ => std::os::unix::net::UnixDatagram::unbound()?.local_addr(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_keep_the_kind_of_address() {
        let path = from_sock_addr(&socket2::SockAddr::unix("/tmp/x.sock").unwrap()).unwrap();
        assert_eq!(path.as_pathname(), Some(Path::new("/tmp/x.sock")));
        assert!(unnamed().unwrap().is_unnamed());
        #[cfg(target_os = "linux")]
        {
            let a = abstract_addr(Path::new("\0weave")).unwrap().unwrap();
            assert_eq!(a.as_abstract_name(), Some(&b"weave"[..]));
            assert!(abstract_addr(Path::new("/tmp/x")).unwrap().is_none());
        }
    }
}
