//! `ToSocketAddrs` and `lookup_host`: addresses given as values or as host
//! names, the latter resolved on the blocking pool.

use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

/// Things that name one or more socket addresses (Tokio's
/// `net::ToSocketAddrs`): `SocketAddr`, `(IpAddr, u16)`, `"host:port"`,
/// `("host", port)`, `&[SocketAddr]`, and references to them. Host names
/// are resolved on the blocking pool, never on a runtime thread.
///
/// The trait is sealed: its method is an implementation detail.
pub trait ToSocketAddrs: sealed::Sealed {}

pub(crate) mod sealed {
    use super::*;

    /// What an address argument turns into before any lookup.
    #[derive(Debug)]
    pub enum Resolution {
        /// Known without a lookup.
        Ready(io::Result<Vec<SocketAddr>>),
        /// A name to resolve with the system resolver.
        Lookup(String),
    }

    pub trait Sealed {
        fn resolution(&self) -> Resolution;
    }
}

use sealed::{Resolution, Sealed};

/// Resolves `addrs` to a list, off the runtime threads when a lookup is
/// needed.
pub(crate) async fn resolve<A: ToSocketAddrs + ?Sized>(addrs: &A) -> io::Result<Vec<SocketAddr>> {
    match addrs.resolution() {
        Resolution::Ready(r) => r,
        Resolution::Lookup(name) => {
            let task = crate::task::spawn_blocking(move || {
                std::net::ToSocketAddrs::to_socket_addrs(&name).map(Iterator::collect)
            });
            match task.await {
                Ok(r) => r,
                Err(e) => Err(io::Error::other(format!(
                    "name resolution task failed: {e}"
                ))),
            }
        }
    }
}

/// Tries each address of `addrs` in turn with `op`, returning the first
/// success or the last error.
pub(crate) async fn each_addr<A, T, F, Fut>(addrs: &A, mut op: F) -> io::Result<T>
where
    A: ToSocketAddrs + ?Sized,
    F: FnMut(SocketAddr) -> Fut,
    Fut: Future<Output = io::Result<T>>,
{
    let list = resolve(addrs).await?;
    let mut last = None;
    for addr in list {
        match op(addr).await {
            Ok(v) => return Ok(v),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "could not resolve to any address",
        )
    }))
}

/// Resolves `host` (for example `"example.com:80"` or `("localhost", 8080)`)
/// to socket addresses, on the blocking pool (Tokio's `net::lookup_host`).
///
/// ```
/// # weave::runtime::Runtime::new().unwrap().block_on(async {
/// let addrs: Vec<_> = weave::net::lookup_host("127.0.0.1:8080").await?.collect();
/// assert_eq!(addrs, ["127.0.0.1:8080".parse().unwrap()]);
/// # Ok::<_, std::io::Error>(()) }).unwrap();
/// ```
pub async fn lookup_host<T: ToSocketAddrs>(
    host: T,
) -> io::Result<impl Iterator<Item = SocketAddr>> {
    Ok(resolve(&host).await?.into_iter())
}

fn ready(addrs: impl IntoIterator<Item = SocketAddr>) -> Resolution {
    Resolution::Ready(Ok(addrs.into_iter().collect()))
}

macro_rules! value_addr {
    ($($ty:ty => |$v:ident| $e:expr;)*) => {$(
        impl ToSocketAddrs for $ty {}
        impl Sealed for $ty {
            fn resolution(&self) -> Resolution {
                let $v = self;
                ready([$e])
            }
        }
    )*};
}

value_addr! {
    SocketAddr => |a| *a;
    SocketAddrV4 => |a| SocketAddr::V4(*a);
    SocketAddrV6 => |a| SocketAddr::V6(*a);
    (IpAddr, u16) => |a| SocketAddr::new(a.0, a.1);
    (Ipv4Addr, u16) => |a| SocketAddr::new(IpAddr::V4(a.0), a.1);
    (Ipv6Addr, u16) => |a| SocketAddr::new(IpAddr::V6(a.0), a.1);
}

impl ToSocketAddrs for [SocketAddr] {}
impl Sealed for [SocketAddr] {
    fn resolution(&self) -> Resolution {
        ready(self.iter().copied())
    }
}

impl ToSocketAddrs for str {}
impl Sealed for str {
    fn resolution(&self) -> Resolution {
        match self.parse::<SocketAddr>() {
            Ok(addr) => ready([addr]),
            Err(_) => Resolution::Lookup(self.to_owned()),
        }
    }
}

impl ToSocketAddrs for String {}
impl Sealed for String {
    fn resolution(&self) -> Resolution {
        self.as_str().resolution()
    }
}

impl ToSocketAddrs for (&str, u16) {}
impl Sealed for (&str, u16) {
    fn resolution(&self) -> Resolution {
        let (host, port) = *self;
        if let Ok(ip) = host.parse::<IpAddr>() {
            return ready([SocketAddr::new(ip, port)]);
        }
        Resolution::Lookup(format!("{host}:{port}"))
    }
}

impl ToSocketAddrs for (String, u16) {}
impl Sealed for (String, u16) {
    fn resolution(&self) -> Resolution {
        (self.0.as_str(), self.1).resolution()
    }
}

impl<T: ToSocketAddrs + ?Sized> ToSocketAddrs for &T {}
impl<T: Sealed + ?Sized> Sealed for &T {
    fn resolution(&self) -> Resolution {
        (**self).resolution()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_addresses_need_no_lookup() {
        let a: SocketAddr = "127.0.0.1:80".parse().unwrap();
        for r in [
            "127.0.0.1:80".resolution(),
            ("127.0.0.1", 80).resolution(),
            a.resolution(),
            (IpAddr::from([127, 0, 0, 1]), 80).resolution(),
        ] {
            match r {
                Resolution::Ready(Ok(v)) => assert_eq!(v, vec![a]),
                other => panic!("expected a ready address, got {other:?}"),
            }
        }
        assert!(matches!(
            "localhost:80".resolution(),
            Resolution::Lookup(n) if n == "localhost:80"
        ));
        assert!(matches!(("[::1", 80).resolution(), Resolution::Lookup(_)));
    }
}
