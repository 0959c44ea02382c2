//! Unix-domain sockets on the reactor: listener and streams, halves,
//! half-close, datagrams, addresses, credentials.
//!
//! Each test binds its sockets in its own temporary directory. Every wait
//! is wrapped in `guard`, a generous hang guard: a test fails rather than
//! hangs, and none depends on how fast anything runs.

#[allow(unused_macros)]
mod common;
use common::TempDir;
use std::collections::HashSet;
use std::future::{poll_fn, Future};
use std::io::{self, IoSlice, IoSliceMut};
use std::mem::MaybeUninit;
use std::net::Shutdown;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use weave::io::{AsyncReadExt, AsyncWriteExt, Interest, ReadBuf};
use weave::net::unix::{self, OwnedReadHalf, OwnedWriteHalf};
use weave::net::{UnixDatagram, UnixListener, UnixStream};

async fn guard<F: Future>(f: F) -> F::Output {
    weave::time::timeout(Duration::from_secs(60), f)
        .await
        .expect("test hung")
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

fn would_block<T: std::fmt::Debug>(r: io::Result<T>) {
    assert_eq!(r.unwrap_err().kind(), io::ErrorKind::WouldBlock);
}

/// Reads everything until end of file.
async fn read_all(r: &mut (impl AsyncReadExt + Unpin)) -> Vec<u8> {
    let mut got = Vec::new();
    guard(r.read_to_end(&mut got)).await.unwrap();
    got
}

// ---------------------------------------------------------------------------
// Streams and the listener
// ---------------------------------------------------------------------------

#[weave::test(flavor = "multi_thread", worker_threads = 2)]
async fn listener_stream_round_trip_checks_every_byte() {
    let dir = TempDir::new("round_trip");
    let path = dir.path("echo.sock");
    let listener = UnixListener::bind(&path).unwrap();
    let server = weave::spawn(async move {
        let (mut conn, _) = listener.accept().await.unwrap();
        let mut buf = vec![0u8; 8_192];
        loop {
            let n = conn.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            conn.write_all(&buf[..n]).await.unwrap();
        }
        conn.shutdown().await.unwrap();
    });

    let stream = guard(UnixStream::connect(&path)).await.unwrap();
    let (mut rd, mut wr) = stream.into_split();
    // More than the socket buffers hold, so writes wait on the reader.
    let data = pattern(1 << 20, 5);
    let to_send = data.clone();
    let writer = weave::spawn(async move {
        for chunk in to_send.chunks(7_777) {
            wr.write_all(chunk).await.unwrap();
        }
        wr.shutdown().await.unwrap();
        wr
    });
    let got = read_all(&mut rd).await;
    assert_eq!(got.len(), data.len());
    assert!(got == data, "echoed bytes differ");
    let wr = guard(writer).await.unwrap();
    guard(server).await.unwrap();
    rd.reunite(wr).unwrap();
}

#[weave::test]
async fn addresses_of_listener_and_streams() {
    let dir = TempDir::new("addrs");
    let path = dir.path("addr.sock");
    let listener = UnixListener::bind(&path).unwrap();
    assert_eq!(
        listener.local_addr().unwrap().as_pathname(),
        Some(path.as_path())
    );
    let client = guard(UnixStream::connect(&path)).await.unwrap();
    let (server, peer) = guard(listener.accept()).await.unwrap();
    assert!(peer.is_unnamed());
    assert_eq!(peer.as_pathname(), None);
    assert!(client.local_addr().unwrap().is_unnamed());
    assert_eq!(
        client.peer_addr().unwrap().as_pathname(),
        Some(path.as_path())
    );
    assert_eq!(
        server.local_addr().unwrap().as_pathname(),
        Some(path.as_path())
    );
    assert!(server.peer_addr().unwrap().is_unnamed());

    // The wrapper converts to and from std's address type.
    let std_addr: std::os::unix::net::SocketAddr = server.local_addr().unwrap().into();
    let back = unix::SocketAddr::from(std_addr);
    assert_eq!(back.as_pathname(), Some(path.as_path()));
    assert!(format!("{back:?}").contains("addr.sock"));
    let again = UnixListener::bind_addr(&back);
    assert_eq!(again.unwrap_err().kind(), io::ErrorKind::AddrInUse);
}

#[weave::test]
async fn connect_errors() {
    let dir = TempDir::new("connect_errors");
    let missing = guard(UnixStream::connect(dir.path("nobody.sock")))
        .await
        .unwrap_err();
    assert_eq!(missing.kind(), io::ErrorKind::NotFound);

    // The file stays after its listener is gone: connecting is refused.
    let path = dir.path("stale.sock");
    drop(UnixListener::bind(&path).unwrap());
    let refused = guard(UnixStream::connect(&path)).await.unwrap_err();
    assert_eq!(refused.kind(), io::ErrorKind::ConnectionRefused);
    assert_eq!(
        UnixListener::bind(&path).unwrap_err().kind(),
        io::ErrorKind::AddrInUse
    );
}

#[weave::test]
async fn pair_and_half_close() {
    let (mut a, mut b) = UnixStream::pair().unwrap();
    assert!(a.local_addr().unwrap().is_unnamed());
    assert!(a.peer_addr().unwrap().is_unnamed());

    let msg = pattern(10_000, 1);
    a.write_all(&msg).await.unwrap();
    a.shutdown().await.unwrap();
    // b sees the data, then end of file...
    assert_eq!(read_all(&mut b).await, msg);
    assert_eq!(guard(b.read(&mut [0u8; 8])).await.unwrap(), 0);
    // ...and can still talk back over its own, open write side.
    b.write_all(b"still here").await.unwrap();
    drop(b);
    assert_eq!(read_all(&mut a).await, b"still here");
}

#[weave::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_peer_is_eof_then_broken_pipe() {
    let (mut a, b) = UnixStream::pair().unwrap();
    b.try_write(b"last words").ok();
    drop(b);
    let got = read_all(&mut a).await;
    assert!(got.is_empty() || got == b"last words");
    assert_eq!(guard(a.read(&mut [0u8; 8])).await.unwrap(), 0);
    // Writing to a closed peer fails; it must not hang.
    let err = guard(async {
        loop {
            if let Err(e) = a.write(&[0u8; 4_096]).await {
                return e;
            }
        }
    })
    .await;
    assert!(
        matches!(
            err.kind(),
            io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
        ),
        "{err:?}"
    );
}

#[weave::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_peer_wakes_a_waiting_reader() {
    let (mut a, b) = UnixStream::pair().unwrap();
    let reader = weave::spawn(async move { a.read(&mut [0u8; 8]).await });
    weave::task::yield_now().await;
    drop(b);
    assert_eq!(guard(reader).await.unwrap().unwrap(), 0);
}

#[weave::test(flavor = "multi_thread", worker_threads = 2)]
async fn owned_halves_in_two_tasks() {
    let (left, right) = UnixStream::pair().unwrap();
    let (mut l_rd, mut l_wr) = left.into_split();
    let (mut r_rd, mut r_wr) = right.into_split();
    assert!(l_rd.peer_addr().unwrap().is_unnamed());
    assert!(l_wr.local_addr().unwrap().is_unnamed());

    // Two streams of data cross at once, each half in its own task.
    let l_data = pattern(300_000, 11);
    let r_data = pattern(200_000, 22);
    let (ld, rd) = (l_data.clone(), r_data.clone());
    let w1 = weave::spawn(async move {
        l_wr.write_all(&ld).await.unwrap();
        // Dropping the owned write half shuts its side down.
    });
    let w2 = weave::spawn(async move {
        r_wr.write_all(&rd).await.unwrap();
        r_wr.shutdown().await.unwrap();
        r_wr
    });
    let r1 = weave::spawn(async move { read_all(&mut r_rd).await });
    let r2 = weave::spawn(async move { (read_all(&mut l_rd).await, l_rd) });
    guard(w1).await.unwrap();
    let r_wr = guard(w2).await.unwrap();
    assert!(guard(r1).await.unwrap() == l_data);
    let (got, l_rd) = guard(r2).await.unwrap();
    assert!(got == r_data);

    // Halves of different streams do not reunite; both come back.
    let err = l_rd.reunite(r_wr).unwrap_err();
    assert!(err.to_string().contains("UnixStream"));
    let unix::ReuniteError(l_rd, r_wr) = err;
    drop((l_rd, r_wr));
}

#[weave::test]
async fn borrowed_halves_interleave_in_one_task() {
    let (mut a, mut b) = UnixStream::pair().unwrap();
    let data = pattern(500_000, 3);
    let (mut rd, mut wr) = a.split();
    assert!(rd.peer_addr().unwrap().is_unnamed());
    assert!(wr.local_addr().unwrap().is_unnamed());
    // b echoes everything; a writes and reads at the same time through its
    // halves (the data exceeds the socket buffers, so neither side could
    // finish alone).
    let echo = async {
        let mut buf = vec![0u8; 4_096];
        loop {
            let n = b.read(&mut buf).await.unwrap();
            if n == 0 {
                b.shutdown().await.unwrap();
                return;
            }
            b.write_all(&buf[..n]).await.unwrap();
        }
    };
    let write = async {
        wr.write_all(&data).await.unwrap();
        wr.shutdown().await.unwrap();
    };
    let read = async {
        let mut got = Vec::new();
        rd.read_to_end(&mut got).await.unwrap();
        got
    };
    let ((), got, ()) = guard(futures::future::join3(write, read, echo)).await;
    assert!(got == data);
    assert_eq!(rd.as_ref().as_raw_fd(), wr.as_ref().as_raw_fd());
}

#[weave::test]
async fn reunite_keeps_the_stream_open() {
    let (a, mut b) = UnixStream::pair().unwrap();
    let (rd, wr) = a.into_split();
    let mut a = rd.reunite(wr).unwrap();
    a.write_all(b"after reunite").await.unwrap();
    drop(a);
    assert_eq!(read_all(&mut b).await, b"after reunite");

    // `forget` drops the write half without shutting down: the stream,
    // still reachable through the read half, can write (a write after a
    // shutdown would fail with BrokenPipe).
    let (a, mut b) = UnixStream::pair().unwrap();
    let (rd, wr): (OwnedReadHalf, OwnedWriteHalf) = a.into_split();
    wr.forget();
    let stream: &UnixStream = rd.as_ref();
    let n = guard(stream.async_io(Interest::WRITABLE, || stream.try_write(b"open")))
        .await
        .unwrap();
    assert_eq!(n, 4);
    drop(rd);
    assert_eq!(read_all(&mut b).await, b"open");
}

#[weave::test]
async fn owned_write_half_drop_sends_eof() {
    let (a, mut b) = UnixStream::pair().unwrap();
    let (rd, mut wr) = a.into_split();
    wr.write_all(b"bye").await.unwrap();
    drop(wr);
    assert_eq!(read_all(&mut b).await, b"bye");
    // The read half still works.
    b.write_all(b"read side open").await.unwrap();
    drop(b);
    let mut rd = rd;
    assert_eq!(read_all(&mut rd).await, b"read side open");
}

#[weave::test]
async fn try_read_and_write_variants() {
    let (a, b) = UnixStream::pair().unwrap();
    let mut buf = [0u8; 32];
    would_block(b.try_read(&mut buf));
    would_block(b.try_read_vectored(&mut [IoSliceMut::new(&mut buf)]));
    would_block(b.try_read_buf(&mut Vec::<u8>::with_capacity(8)));

    guard(a.writable()).await.unwrap();
    assert_eq!(a.try_write(b"one").unwrap(), 3);
    let n = a
        .try_write_vectored(&[IoSlice::new(b"two"), IoSlice::new(b"three")])
        .unwrap();
    assert_eq!(n, 8);

    let mut got = Vec::new();
    while got.len() < 11 {
        guard(b.readable()).await.unwrap();
        let mut first = [0u8; 4];
        let mut second = [0u8; 4];
        match b.try_read_vectored(&mut [IoSliceMut::new(&mut first), IoSliceMut::new(&mut second)])
        {
            Ok(n) => {
                let both = [first, second].concat();
                got.extend_from_slice(&both[..n]);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(got, b"onetwothree");

    a.try_write(b"buf").unwrap();
    let mut v = Vec::with_capacity(16);
    loop {
        guard(b.readable()).await.unwrap();
        match b.try_read_buf(&mut v) {
            Ok(_) => break,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(v, b"buf");
    would_block(b.try_read(&mut buf));

    // Custom operations through try_io / async_io.
    let sock = socket2::SockRef::from(&a);
    a.try_io(Interest::WRITABLE, || sock.send(b"io")).unwrap();
    let sock_b = socket2::SockRef::from(&b);
    let mut raw = [MaybeUninit::<u8>::uninit(); 8];
    let n = guard(b.async_io(Interest::READABLE, || sock_b.recv(&mut raw)))
        .await
        .unwrap();
    assert_eq!(n, 2);
    let ready = guard(b.ready(Interest::READABLE | Interest::WRITABLE))
        .await
        .unwrap();
    assert!(ready.is_writable());
}

#[weave::test]
async fn poll_read_ready_and_poll_accept() {
    let dir = TempDir::new("poll_accept");
    let path = dir.path("p.sock");
    let listener = UnixListener::bind(&path).unwrap();
    let client = guard(UnixStream::connect(&path)).await.unwrap();
    let (server, addr) = guard(poll_fn(|cx| listener.poll_accept(cx))).await.unwrap();
    assert!(addr.is_unnamed());
    guard(poll_fn(|cx| client.poll_write_ready(cx)))
        .await
        .unwrap();
    client.try_write(b"polled").unwrap();
    guard(poll_fn(|cx| server.poll_read_ready(cx)))
        .await
        .unwrap();
    let mut buf = [0u8; 8];
    assert_eq!(server.try_read(&mut buf).unwrap(), 6);
    assert_eq!(&buf[..6], b"polled");
    assert!(listener.take_error().unwrap().is_none());
}

#[weave::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_clients_and_acceptors() {
    const CLIENTS: usize = 48;
    const ACCEPTORS: usize = 4;
    let dir = TempDir::new("many_clients");
    let path = dir.path("many.sock");
    let listener = Arc::new(UnixListener::bind(&path).unwrap());
    let handled = Arc::new(AtomicUsize::new(0));

    // Several tasks accept on one listener; each connection gets an echo
    // task of its own.
    let mut acceptors = Vec::new();
    for _ in 0..ACCEPTORS {
        let listener = listener.clone();
        let handled = handled.clone();
        acceptors.push(weave::spawn(async move {
            let mut echoes = Vec::new();
            while handled.fetch_add(1, Ordering::SeqCst) < CLIENTS {
                let (mut conn, _) = listener.accept().await.unwrap();
                echoes.push(weave::spawn(async move {
                    let (mut rd, mut wr) = conn.split();
                    weave::io::copy(&mut rd, &mut wr).await.unwrap();
                    wr.shutdown().await.unwrap();
                }));
            }
            for e in echoes {
                e.await.unwrap();
            }
        }));
    }

    let mut clients = Vec::new();
    for c in 0..CLIENTS {
        let path = path.clone();
        clients.push(weave::spawn(async move {
            let stream = UnixStream::connect(&path).await.unwrap();
            let (mut rd, mut wr) = stream.into_split();
            let data = pattern(10_000 + c * 1_000, c as u8);
            let sent = data.clone();
            let w = weave::spawn(async move {
                wr.write_all(&sent).await.unwrap();
            });
            let mut got = Vec::new();
            rd.read_to_end(&mut got).await.unwrap();
            w.await.unwrap();
            assert!(got == data, "client {c} got different bytes");
        }));
    }
    for c in clients {
        guard(c).await.unwrap();
    }
    // Exactly CLIENTS accepts were started, so every acceptor finishes.
    for a in acceptors {
        guard(a).await.unwrap();
    }
}

#[weave::test]
async fn std_conversions_and_fds() {
    let dir = TempDir::new("std");
    let path = dir.path("std.sock");
    let std_listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
    let listener = UnixListener::try_from(std_listener).unwrap();
    let std_client = std::os::unix::net::UnixStream::connect(&path).unwrap();
    let mut client = UnixStream::from_std(std_client).unwrap();
    let (server, _) = guard(listener.accept()).await.unwrap();
    client.write_all(b"from std").await.unwrap();

    let mut std_server = server.into_std().unwrap();
    std_server.set_nonblocking(false).unwrap();
    let mut buf = [0u8; 8];
    std::io::Read::read_exact(&mut std_server, &mut buf).unwrap();
    assert_eq!(&buf, b"from std");

    let std_listener = listener.into_std().unwrap();
    assert_eq!(
        std_listener.accept().unwrap_err().kind(),
        io::ErrorKind::WouldBlock
    );
    let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
    let a = UnixStream::try_from(a).unwrap();
    let mut b = UnixStream::from_std(b).unwrap();
    assert!(format!("{a:?}").contains("UnixStream"));
    drop(a);
    assert_eq!(read_all(&mut b).await, b"");
}

#[cfg(target_os = "linux")]
#[weave::test]
async fn peer_cred_names_this_process() {
    use std::os::unix::fs::MetadataExt;
    let dir = TempDir::new("cred");
    let me = std::fs::metadata(&dir.0).unwrap();
    let (a, _b) = UnixStream::pair().unwrap();
    let cred = a.peer_cred().unwrap();
    assert_eq!(cred.pid(), Some(std::process::id() as unix::pid_t));
    assert_eq!(cred.uid(), me.uid());
    assert_eq!(cred.gid(), me.gid());
}

#[cfg(target_os = "linux")]
#[weave::test]
async fn abstract_namespace() {
    let name = format!("\0weave-test-{}-abstract", std::process::id());
    let listener = UnixListener::bind(&name).unwrap();
    let addr = listener.local_addr().unwrap();
    assert_eq!(addr.as_abstract_name(), Some(&name.as_bytes()[1..]));
    assert_eq!(addr.as_pathname(), None);
    let mut client = guard(UnixStream::connect(&name)).await.unwrap();
    let (mut server, _) = guard(listener.accept()).await.unwrap();
    client.write_all(b"abstract").await.unwrap();
    drop(client);
    assert_eq!(read_all(&mut server).await, b"abstract");
    let mut again = guard(UnixStream::connect_addr(&addr)).await.unwrap();
    let (server, _) = guard(listener.accept()).await.unwrap();
    drop(server);
    assert_eq!(read_all(&mut again).await, b"");
}

// ---------------------------------------------------------------------------
// Datagrams
// ---------------------------------------------------------------------------

#[weave::test]
async fn datagram_bound_round_trip_and_boundaries() {
    let dir = TempDir::new("dgram_bound");
    let (pa, pb) = (dir.path("a.sock"), dir.path("b.sock"));
    let a = UnixDatagram::bind(&pa).unwrap();
    let b = UnixDatagram::bind(&pb).unwrap();
    assert_eq!(a.local_addr().unwrap().as_pathname(), Some(pa.as_path()));
    assert_eq!(
        a.peer_addr().unwrap_err().kind(),
        io::ErrorKind::NotConnected
    );

    // Batches of 4: Linux queues only a few datagrams per receiver (10 by
    // default), and this task only receives after sending its batch.
    let msgs: Vec<Vec<u8>> = (0..16).map(|i| pattern(1 + i * 500, i as u8)).collect();
    let mut buf = vec![0u8; 16_384];
    for batch in msgs.chunks(4) {
        for m in batch {
            assert_eq!(guard(a.send_to(m, &pb)).await.unwrap(), m.len());
        }
        for m in batch {
            let (n, from) = guard(b.recv_from(&mut buf)).await.unwrap();
            assert_eq!(&buf[..n], &m[..]);
            assert_eq!(from.as_pathname(), Some(pa.as_path()));
        }
    }

    // Too small a buffer truncates one datagram; the next is whole.
    a.send_to(&pattern(64, 1), &pb).await.unwrap();
    a.send_to(b"next", &pb).await.unwrap();
    let mut small = [0u8; 10];
    let n = guard(b.recv(&mut small)).await.unwrap();
    assert_eq!(&small[..n], &pattern(64, 1)[..10]);
    let n = guard(b.recv(&mut buf)).await.unwrap();
    assert_eq!(&buf[..n], b"next");

    // Connected: send/recv, and peer_addr names the path.
    a.connect(&pb).unwrap();
    assert_eq!(a.peer_addr().unwrap().as_pathname(), Some(pb.as_path()));
    a.send(b"connected").await.unwrap();
    let (n, from) = guard(b.recv_from(&mut buf)).await.unwrap();
    assert_eq!(
        (&buf[..n], from.as_pathname()),
        (&b"connected"[..], Some(pa.as_path()))
    );
}

#[weave::test]
async fn datagram_unbound_sender_is_unnamed() {
    let dir = TempDir::new("dgram_unbound");
    let path = dir.path("rx.sock");
    let rx = UnixDatagram::bind(&path).unwrap();
    let tx = UnixDatagram::unbound().unwrap();
    assert!(tx.local_addr().unwrap().is_unnamed());

    tx.send_to(b"one", &path).await.unwrap();
    tx.send_to(b"two", &path).await.unwrap();
    tx.send_to(b"three", &path).await.unwrap();
    let mut buf = [0u8; 16];
    let (n, from) = guard(rx.recv_from(&mut buf)).await.unwrap();
    assert_eq!(&buf[..n], b"one");
    assert!(from.is_unnamed());
    // The ReadBuf and BufMut paths build the address themselves.
    let mut storage = [MaybeUninit::<u8>::uninit(); 16];
    let mut rb = ReadBuf::uninit(&mut storage);
    let from = guard(poll_fn(|cx| rx.poll_recv_from(cx, &mut rb)))
        .await
        .unwrap();
    assert_eq!(rb.filled(), b"two");
    assert!(from.is_unnamed() && from.as_pathname().is_none());
    let mut v = Vec::with_capacity(16);
    let (n, from) = guard(rx.recv_buf_from(&mut v)).await.unwrap();
    assert_eq!((n, &v[..]), (5, &b"three"[..]));
    assert!(from.is_unnamed());

    // And from a bound sender, the same paths report the sender's path.
    let named_path = dir.path("named.sock");
    let named = UnixDatagram::bind(&named_path).unwrap();
    named.send_to(b"hi", &path).await.unwrap();
    named.send_to(b"hey", &path).await.unwrap();
    rb.clear();
    let from = guard(poll_fn(|cx| rx.poll_recv_from(cx, &mut rb)))
        .await
        .unwrap();
    assert_eq!(
        (rb.filled(), from.as_pathname()),
        (&b"hi"[..], Some(named_path.as_path()))
    );
    let mut v = Vec::with_capacity(16);
    let (_, from) = guard(rx.recv_buf_from(&mut v)).await.unwrap();
    assert_eq!(
        (&v[..], from.as_pathname()),
        (&b"hey"[..], Some(named_path.as_path()))
    );
}

#[weave::test]
async fn datagram_try_ops_would_block_when_empty() {
    let (a, b) = UnixDatagram::pair().unwrap();
    assert!(a.peer_addr().unwrap().is_unnamed());
    let mut buf = [0u8; 16];
    would_block(b.try_recv(&mut buf));
    would_block(b.try_recv_from(&mut buf));
    would_block(b.try_recv_buf(&mut Vec::<u8>::with_capacity(8)));
    would_block(b.try_recv_buf_from(&mut Vec::<u8>::with_capacity(8)));

    guard(a.writable()).await.unwrap();
    assert_eq!(a.try_send(b"try").unwrap(), 3);
    let n = loop {
        guard(b.readable()).await.unwrap();
        match b.try_recv(&mut buf) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
            r => break r.unwrap(),
        }
    };
    assert_eq!(&buf[..n], b"try");
    would_block(b.try_recv(&mut buf));

    let dir = TempDir::new("dgram_try");
    let path = dir.path("t.sock");
    let rx = UnixDatagram::bind(&path).unwrap();
    let tx = UnixDatagram::unbound().unwrap();
    guard(tx.writable()).await.unwrap();
    tx.try_send_to(b"to path", &path).unwrap();
    let (n, from) = loop {
        guard(rx.readable()).await.unwrap();
        match rx.try_recv_from(&mut buf) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
            r => break r.unwrap(),
        }
    };
    assert_eq!(&buf[..n], b"to path");
    assert!(from.is_unnamed());
}

#[weave::test]
async fn datagram_poll_methods() {
    let (a, b) = UnixDatagram::pair().unwrap();
    guard(poll_fn(|cx| a.poll_send_ready(cx))).await.unwrap();
    guard(poll_fn(|cx| a.poll_send(cx, b"polled")))
        .await
        .unwrap();
    guard(poll_fn(|cx| b.poll_recv_ready(cx))).await.unwrap();
    let mut storage = [MaybeUninit::<u8>::uninit(); 32];
    let mut rb = ReadBuf::uninit(&mut storage);
    rb.put_slice(b">");
    guard(poll_fn(|cx| b.poll_recv(cx, &mut rb))).await.unwrap();
    assert_eq!(rb.filled(), b">polled");

    let dir = TempDir::new("dgram_poll");
    let path = dir.path("p.sock");
    let rx = UnixDatagram::bind(&path).unwrap();
    let tx = UnixDatagram::unbound().unwrap();
    guard(poll_fn(|cx| tx.poll_send_to(cx, b"to path", &path)))
        .await
        .unwrap();
    let mut v = Vec::with_capacity(32);
    guard(rx.recv_buf(&mut v)).await.unwrap();
    assert_eq!(v, b"to path");
}

/// A full receive queue makes the sender wait (datagrams are not dropped),
/// and draining it lets the waiting send through.
#[weave::test(flavor = "multi_thread", worker_threads = 2)]
async fn datagram_backpressure() {
    let (a, b) = UnixDatagram::pair().unwrap();
    let a = Arc::new(a);
    let mut sent = 0usize;
    loop {
        match a.try_send(&(sent as u32).to_le_bytes()) {
            Ok(_) => sent += 1,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                if sent > 0 {
                    break;
                }
                guard(a.writable()).await.unwrap();
            }
            Err(e) => panic!("{e}"),
        }
        assert!(sent < 1_000_000, "the queue never filled");
    }
    let a2 = a.clone();
    let last = sent as u32;
    let blocked = weave::spawn(async move { a2.send(&last.to_le_bytes()).await });
    let mut buf = [0u8; 4];
    for i in 0..=sent {
        let n = guard(b.recv(&mut buf)).await.unwrap();
        assert_eq!(n, 4);
        assert_eq!(u32::from_le_bytes(buf), i as u32, "datagrams reordered");
    }
    assert_eq!(guard(blocked).await.unwrap().unwrap(), 4);
}

#[weave::test(flavor = "multi_thread", worker_threads = 2)]
async fn datagram_many_senders_and_receivers() {
    const SENDERS: usize = 8;
    const RECEIVERS: usize = 6;
    const PER_SENDER: usize = 200;
    let (a, b) = UnixDatagram::pair().unwrap();
    let (a, b) = (Arc::new(a), Arc::new(b));

    let got = Arc::new(Mutex::new(Vec::new()));
    let mut receivers = Vec::new();
    for _ in 0..RECEIVERS {
        let (b, got) = (b.clone(), got.clone());
        receivers.push(weave::spawn(async move {
            let mut buf = vec![0u8; 4_096];
            loop {
                let n = b.recv(&mut buf).await.unwrap();
                if n == 0 {
                    return;
                }
                got.lock().unwrap().push(buf[..n].to_vec());
            }
        }));
    }
    let mut senders = Vec::new();
    for s in 0..SENDERS {
        let a = a.clone();
        senders.push(weave::spawn(async move {
            for i in 0..PER_SENDER {
                let mut msg = vec![s as u8, (i >> 8) as u8, i as u8];
                msg.extend(pattern(1 + (s * 13 + i * 7) % 2_000, (s ^ i) as u8));
                a.send(&msg).await.unwrap();
            }
        }));
    }
    for s in senders {
        guard(s).await.unwrap();
    }
    // One empty datagram per receiver, queued after all the data.
    for _ in 0..RECEIVERS {
        a.send(&[]).await.unwrap();
    }
    for r in receivers {
        guard(r).await.unwrap();
    }
    let got = got.lock().unwrap();
    assert_eq!(got.len(), SENDERS * PER_SENDER);
    let mut seen = HashSet::new();
    for msg in got.iter() {
        let (s, i) = (msg[0] as usize, ((msg[1] as usize) << 8) | msg[2] as usize);
        let body = pattern(1 + (s * 13 + i * 7) % 2_000, (s ^ i) as u8);
        assert_eq!(&msg[3..], &body[..], "datagram ({s}, {i}) corrupted");
        assert!(seen.insert((s, i)), "datagram ({s}, {i}) delivered twice");
    }
}

#[weave::test(flavor = "multi_thread", worker_threads = 2)]
async fn datagram_send_to_a_dropped_peer_fails() {
    let (a, b) = UnixDatagram::pair().unwrap();
    drop(b);
    let err = guard(a.send(b"anyone?")).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);

    let dir = TempDir::new("dgram_gone");
    let path = dir.path("gone.sock");
    drop(UnixDatagram::bind(&path).unwrap());
    let tx = UnixDatagram::unbound().unwrap();
    let err = guard(tx.send_to(b"anyone?", &path)).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
}

#[weave::test]
async fn datagram_shutdown_and_conversions() {
    let (a, b) = UnixDatagram::pair().unwrap();
    a.shutdown(Shutdown::Write).unwrap();
    let err = guard(a.send(b"x")).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
    b.shutdown(Shutdown::Read).unwrap();
    assert!(b.take_error().unwrap().is_none());

    let dir = TempDir::new("dgram_std");
    let path = dir.path("s.sock");
    let std_rx = std::os::unix::net::UnixDatagram::bind(&path).unwrap();
    let rx = UnixDatagram::try_from(std_rx).unwrap();
    let tx = UnixDatagram::from_std(std::os::unix::net::UnixDatagram::unbound().unwrap()).unwrap();
    tx.connect(&path).unwrap();
    tx.send(b"std").await.unwrap();
    let std_rx = rx.into_std().unwrap();
    let mut buf = [0u8; 8];
    let n = std_rx.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"std");
    assert_eq!(
        std_rx.recv(&mut buf).unwrap_err().kind(),
        io::ErrorKind::WouldBlock
    );
    let back = tx.into_std().unwrap();
    assert_eq!(
        back.peer_addr().unwrap().as_pathname(),
        Some(path.as_path())
    );
    assert!(format!("{b:?}").contains("UnixDatagram"));
}

#[allow(dead_code)]
fn assert_send_sync() {
    fn check<T: Send + Sync>() {}
    check::<UnixStream>();
    check::<UnixListener>();
    check::<UnixDatagram>();
    check::<OwnedReadHalf>();
    check::<OwnedWriteHalf>();
    check::<unix::SocketAddr>();
    check::<unix::UCred>();
    check::<weave::net::UdpSocket>();
}

/// An unconnected sender that fills the receiver's queue is woken when
/// the receiver consumes the datagrams it sent.
#[weave::test(flavor = "multi_thread", worker_threads = 2)]
async fn datagram_send_to_waits_for_a_full_receiver() {
    const COUNT: usize = 200;
    let dir = TempDir::new("dgram_full");
    let path = dir.path("rx.sock");
    let rx = UnixDatagram::bind(&path).unwrap();
    let tx = UnixDatagram::unbound().unwrap();
    // Fill the queue first, so the sends below must wait.
    let mut queued = 0usize;
    loop {
        match tx.try_send_to(&(queued as u32).to_le_bytes(), &path) {
            Ok(_) => queued += 1,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                if queued > 0 {
                    break;
                }
                guard(tx.writable()).await.unwrap();
            }
            Err(e) => panic!("{e}"),
        }
    }
    let sender = weave::spawn(async move {
        for i in queued..COUNT {
            tx.send_to(&(i as u32).to_le_bytes(), &path).await.unwrap();
        }
    });
    let mut buf = [0u8; 4];
    for i in 0..COUNT {
        guard(rx.recv(&mut buf)).await.unwrap();
        assert_eq!(u32::from_le_bytes(buf), i as u32);
    }
    guard(sender).await.unwrap();
}
