//! `UnixSocket`: the unconfigured Unix-domain socket that becomes a
//! listener, a stream or a datagram socket.
//!
//! Each test binds in its own temporary directory, removed at the end.
//! Waits are wrapped in `guard`, a generous hang guard: a test fails rather
//! than hangs, and none depends on how fast anything runs.

#[allow(unused_macros)]
mod common;
use common::TempDir;
use std::future::Future;
use std::io;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, IntoRawFd};
use std::time::Duration;
use weave::io::{AsyncReadExt, AsyncWriteExt};
use weave::net::{UnixDatagram, UnixListener, UnixSocket};

async fn guard<F: Future>(f: F) -> F::Output {
    weave::time::timeout(Duration::from_secs(60), f)
        .await
        .expect("test hung")
}

fn assert_other(err: io::Error, what: &str) {
    assert_eq!(err.kind(), io::ErrorKind::Other, "{err}");
    assert!(err.to_string().contains(what), "{err}");
}

#[weave::test]
async fn stream_bind_listen_connect_round_trip() {
    let dir = TempDir::new("stream");
    let server_path = dir.path("server.sock");
    let client_path = dir.path("client.sock");

    let server = UnixSocket::new_stream().unwrap();
    server.bind(&server_path).unwrap();
    let listener = server.listen(8).unwrap();
    assert_eq!(
        listener.local_addr().unwrap().as_pathname(),
        Some(server_path.as_path())
    );

    // A bound client shows its path to the server.
    let client = UnixSocket::new_stream().unwrap();
    client.bind(&client_path).unwrap();
    let (mut client, accepted) = guard(async {
        let client = client.connect(&server_path).await.unwrap();
        let accepted = listener.accept().await.unwrap();
        (client, accepted)
    })
    .await;
    let (mut conn, peer) = accepted;
    assert_eq!(peer.as_pathname(), Some(client_path.as_path()));
    assert_eq!(
        client.peer_addr().unwrap().as_pathname(),
        Some(server_path.as_path())
    );

    guard(async {
        client.write_all(b"ping").await.unwrap();
        let mut buf = [0; 4];
        conn.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"ping");

        conn.write_all(b"pong").await.unwrap();
        conn.shutdown().await.unwrap();
        let mut back = Vec::new();
        client.read_to_end(&mut back).await.unwrap();
        assert_eq!(back, b"pong");
    })
    .await;
}

#[weave::test]
async fn unbound_client_connects_to_listener_from_bind() {
    let dir = TempDir::new("unbound");
    let path = dir.path("s.sock");
    let listener = UnixListener::bind(&path).unwrap();

    let client = guard(UnixSocket::new_stream().unwrap().connect(&path))
        .await
        .unwrap();
    let (_conn, peer) = guard(listener.accept()).await.unwrap();
    assert!(peer.is_unnamed());
    assert!(client.local_addr().unwrap().is_unnamed());
}

#[weave::test]
async fn many_clients_queue_in_the_backlog() {
    let dir = TempDir::new("backlog");
    let path = dir.path("s.sock");
    let server = UnixSocket::new_stream().unwrap();
    server.bind(&path).unwrap();
    // Anything beyond `i32::MAX` is clamped rather than rejected.
    let listener = server.listen(u32::MAX).unwrap();

    let mut clients = Vec::new();
    for i in 0..4u8 {
        let mut c = guard(UnixSocket::new_stream().unwrap().connect(&path))
            .await
            .unwrap();
        c.write_all(&[i]).await.unwrap();
        clients.push(c);
    }
    let mut seen = Vec::new();
    for _ in 0..4 {
        let (mut conn, _) = guard(listener.accept()).await.unwrap();
        seen.push(guard(conn.read_u8()).await.unwrap());
    }
    seen.sort();
    assert_eq!(seen, [0, 1, 2, 3]);
}

#[weave::test]
async fn datagram_send_recv() {
    let dir = TempDir::new("dgram");
    let a_path = dir.path("a.sock");
    let b_path = dir.path("b.sock");

    let a = UnixSocket::new_datagram().unwrap();
    a.bind(&a_path).unwrap();
    let a: UnixDatagram = a.datagram().unwrap();
    let b = UnixSocket::new_datagram().unwrap();
    b.bind(&b_path).unwrap();
    let b = b.datagram().unwrap();

    guard(async {
        assert_eq!(a.send_to(b"one", &b_path).await.unwrap(), 3);
        let mut buf = [0; 16];
        let (n, from) = b.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"one");
        assert_eq!(from.as_pathname(), Some(a_path.as_path()));

        // Connected, the default destination applies.
        b.connect(&a_path).unwrap();
        b.send(b"two").await.unwrap();
        let n = a.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"two");
    })
    .await;

    // An unbound datagram socket can still send.
    let anon = UnixSocket::new_datagram().unwrap().datagram().unwrap();
    guard(anon.send_to(b"three", &a_path)).await.unwrap();
    let mut buf = [0; 16];
    let (n, from) = guard(a.recv_from(&mut buf)).await.unwrap();
    assert_eq!(&buf[..n], b"three");
    assert!(from.is_unnamed());
}

#[weave::test]
async fn wrong_kind_is_an_error() {
    let dir = TempDir::new("kinds");
    let path = dir.path("s.sock");
    let _listener = UnixListener::bind(&path).unwrap();

    assert_other(
        UnixSocket::new_datagram().unwrap().listen(1).unwrap_err(),
        "listen cannot be called on a datagram socket",
    );
    assert_other(
        UnixSocket::new_datagram()
            .unwrap()
            .connect(&path)
            .await
            .unwrap_err(),
        "connect cannot be called on a datagram socket",
    );
    assert_other(
        UnixSocket::new_stream().unwrap().datagram().unwrap_err(),
        "datagram cannot be called on a stream socket",
    );
}

#[weave::test]
async fn bad_paths_are_errors() {
    let dir = TempDir::new("paths");

    // Nothing at the path.
    let err = UnixSocket::new_stream()
        .unwrap()
        .connect(dir.path("missing.sock"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::NotFound, "{err}");

    // A socket file nobody listens on.
    let idle = dir.path("idle.sock");
    let bound = UnixSocket::new_stream().unwrap();
    bound.bind(&idle).unwrap();
    let err = UnixSocket::new_stream()
        .unwrap()
        .connect(&idle)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused, "{err}");

    // The path is taken.
    let err = UnixSocket::new_stream().unwrap().bind(&idle).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::AddrInUse, "{err}");

    // Too long for `sun_path`.
    let long = dir.path(&"x".repeat(200));
    let err = UnixSocket::new_stream().unwrap().bind(&long).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
    let err = UnixSocket::new_stream()
        .unwrap()
        .connect(&long)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");

    // The directory does not exist.
    let err = UnixSocket::new_datagram()
        .unwrap()
        .bind(dir.path("no/such/dir.sock"))
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::NotFound, "{err}");
}

#[cfg(target_os = "linux")]
#[weave::test]
async fn abstract_namespace() {
    let name = format!("\0weave-unix-socket-{}-abstract", std::process::id());
    let server = UnixSocket::new_stream().unwrap();
    server.bind(&name).unwrap();
    let listener = server.listen(4).unwrap();
    let mut client = guard(UnixSocket::new_stream().unwrap().connect(&name))
        .await
        .unwrap();
    let (mut conn, _) = guard(listener.accept()).await.unwrap();
    client.write_all(b"abs").await.unwrap();
    let mut buf = [0; 3];
    guard(conn.read_exact(&mut buf)).await.unwrap();
    assert_eq!(&buf, b"abs");
    assert_eq!(
        listener.local_addr().unwrap().as_abstract_name(),
        Some(&name.as_bytes()[1..])
    );
}

#[weave::test]
async fn raw_fd_round_trip() {
    let dir = TempDir::new("rawfd");
    let path = dir.path("s.sock");

    let socket = UnixSocket::new_stream().unwrap();
    assert_eq!(socket.as_fd().as_raw_fd(), socket.as_raw_fd());
    let fd = socket.into_raw_fd();
    // SAFETY: `fd` came from `into_raw_fd` just above and is owned here.
    let socket = unsafe { UnixSocket::from_raw_fd(fd) };
    assert_eq!(socket.as_raw_fd(), fd);
    socket.bind(&path).unwrap();
    let listener = socket.listen(4).unwrap();
    assert_eq!(listener.as_raw_fd(), fd);

    // A blocking socket from elsewhere is made non-blocking on connect.
    let blocking =
        socket2::Socket::new(socket2::Domain::UNIX, socket2::Type::STREAM, None).unwrap();
    // SAFETY: the descriptor is released by `into_raw_fd` and owned here.
    let socket = unsafe { UnixSocket::from_raw_fd(blocking.into_raw_fd()) };
    let stream = guard(socket.connect(&path)).await.unwrap();
    let _conn = guard(listener.accept()).await.unwrap();
    // SAFETY: `F_GETFL` only reads the flags of an open descriptor.
    let flags = unsafe { libc::fcntl(stream.as_raw_fd(), libc::F_GETFL) };
    assert_ne!(flags & libc::O_NONBLOCK, 0);
}

#[test]
fn connect_future_is_send() {
    fn assert_send<T: Send>(_: T) {}
    let dir = TempDir::new("send");
    // Never polled: only its type matters.
    assert_send(
        UnixSocket::new_stream()
            .unwrap()
            .connect(dir.path("s.sock")),
    );
}

#[test]
fn creating_and_binding_needs_no_runtime() {
    let dir = TempDir::new("noruntime");
    let socket = UnixSocket::new_stream().unwrap();
    socket.bind(dir.path("s.sock")).unwrap();
    assert!(format!("{socket:?}").contains("Socket"));
}
