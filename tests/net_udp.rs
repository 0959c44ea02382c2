//! UDP on the reactor: round trips, shared sockets, readiness, options.
//!
//! Every wait is wrapped in `guard`, a generous hang guard: a test fails
//! rather than hangs, and none depends on how fast anything runs.

use std::collections::HashMap;
use std::future::{poll_fn, Future};
use std::io;
use std::mem::MaybeUninit;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use weave::io::{Interest, ReadBuf};
use weave::net::UdpSocket;

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

async fn loopback() -> UdpSocket {
    UdpSocket::bind("127.0.0.1:0").await.unwrap()
}

/// Waits for readiness and retries `op` until it stops returning
/// `WouldBlock` (readiness can be stale, so one try is not enough).
async fn recv_with_try<T>(sock: &UdpSocket, mut op: impl FnMut() -> io::Result<T>) -> T {
    loop {
        sock.readable().await.unwrap();
        match op() {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
            r => return r.unwrap(),
        }
    }
}

fn would_block<T: std::fmt::Debug>(r: io::Result<T>) {
    assert_eq!(r.unwrap_err().kind(), io::ErrorKind::WouldBlock);
}

#[weave::test]
async fn send_to_recv_from_checks_every_byte() {
    let a = loopback().await;
    let b = loopback().await;
    let a_addr = a.local_addr().unwrap();
    let b_addr = b.local_addr().unwrap();
    let mut buf = vec![0u8; 65_536];
    for (i, len) in [0usize, 1, 100, 1_472, 9_000, 60_000]
        .into_iter()
        .enumerate()
    {
        let sent = pattern(len, i as u8);
        assert_eq!(guard(a.send_to(&sent, b_addr)).await.unwrap(), len);
        let (n, from) = guard(b.recv_from(&mut buf)).await.unwrap();
        assert_eq!(from, a_addr);
        assert_eq!(&buf[..n], &sent[..]);
        // And back, through the string form of the address.
        let back = pattern(len, !(i as u8));
        b.send_to(&back, a_addr.to_string()).await.unwrap();
        let (n, from) = guard(a.recv_from(&mut buf)).await.unwrap();
        assert_eq!(from, b_addr);
        assert_eq!(&buf[..n], &back[..]);
    }
}

#[weave::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_send_recv_and_peer_addr() {
    let a = loopback().await;
    let b = loopback().await;
    assert_eq!(
        a.peer_addr().unwrap_err().kind(),
        io::ErrorKind::NotConnected
    );
    a.connect(b.local_addr().unwrap()).await.unwrap();
    b.connect(a.local_addr().unwrap()).await.unwrap();
    assert_eq!(a.peer_addr().unwrap(), b.local_addr().unwrap());
    assert_eq!(b.peer_addr().unwrap(), a.local_addr().unwrap());

    let msg = pattern(4_000, 7);
    assert_eq!(guard(a.send(&msg)).await.unwrap(), msg.len());
    let mut buf = vec![0u8; 8_192];
    let n = guard(b.recv(&mut buf)).await.unwrap();
    assert_eq!(&buf[..n], &msg[..]);

    // A connected socket ignores datagrams from anyone else.
    let stranger = loopback().await;
    stranger
        .send_to(b"not for you", b.local_addr().unwrap())
        .await
        .unwrap();
    b.send(b"reply").await.unwrap();
    let n = guard(a.recv(&mut buf)).await.unwrap();
    assert_eq!(&buf[..n], b"reply");
    a.send(b"second").await.unwrap();
    let n = guard(b.recv(&mut buf)).await.unwrap();
    assert_eq!(&buf[..n], b"second");
}

#[weave::test]
async fn try_ops_would_block_when_nothing_is_there() {
    let a = loopback().await;
    let b = loopback().await;
    a.connect(b.local_addr().unwrap()).await.unwrap();
    let mut buf = [0u8; 64];
    would_block(a.try_recv(&mut buf));
    would_block(a.try_recv_from(&mut buf));
    would_block(a.try_peek(&mut buf));
    would_block(a.try_peek_from(&mut buf));
    would_block(a.try_peek_sender());
    would_block(a.try_recv_buf(&mut Vec::<u8>::with_capacity(64)));
    would_block(a.try_recv_buf_from(&mut Vec::<u8>::with_capacity(64)));

    // Once the socket is writable, try_send goes through at once.
    guard(a.writable()).await.unwrap();
    assert_eq!(a.try_send(b"abc").unwrap(), 3);
    let n = recv_with_try(&b, || b.try_recv(&mut buf)).await;
    assert_eq!(&buf[..n], b"abc");
    // The datagram is gone: back to WouldBlock.
    would_block(b.try_recv(&mut buf));

    let target = a.local_addr().unwrap();
    guard(b.writable()).await.unwrap();
    assert_eq!(b.try_send_to(b"xyz", target).unwrap(), 3);
    let (n, from) = recv_with_try(&a, || a.try_recv_from(&mut buf)).await;
    assert_eq!((&buf[..n], from), (&b"xyz"[..], b.local_addr().unwrap()));
}

#[weave::test]
async fn datagram_boundaries_are_preserved() {
    let a = loopback().await;
    let b = loopback().await;
    let to = b.local_addr().unwrap();
    let msgs: Vec<Vec<u8>> = (0..20).map(|i| pattern(i * 37 + 1, i as u8)).collect();
    for m in &msgs {
        a.send_to(m, to).await.unwrap();
    }
    let mut buf = vec![0u8; 2_048];
    for m in &msgs {
        let (n, _) = guard(b.recv_from(&mut buf)).await.unwrap();
        assert_eq!(&buf[..n], &m[..]);
    }

    // A buffer too small truncates that datagram only; the next one is
    // whole.
    a.send_to(&pattern(100, 1), to).await.unwrap();
    a.send_to(&pattern(10, 2), to).await.unwrap();
    let mut small = [0u8; 8];
    let (n, _) = guard(b.recv_from(&mut small)).await.unwrap();
    assert_eq!(&small[..n], &pattern(100, 1)[..8]);
    let (n, _) = guard(b.recv_from(&mut buf)).await.unwrap();
    assert_eq!(&buf[..n], &pattern(10, 2)[..]);
}

#[weave::test]
async fn peek_leaves_the_datagram_queued() {
    let a = loopback().await;
    let b = loopback().await;
    let a_addr = a.local_addr().unwrap();
    a.send_to(b"peekaboo", b.local_addr().unwrap())
        .await
        .unwrap();

    assert_eq!(guard(b.peek_sender()).await.unwrap(), a_addr);
    let mut buf = [0u8; 32];
    let (n, from) = guard(b.peek_from(&mut buf)).await.unwrap();
    assert_eq!((&buf[..n], from), (&b"peekaboo"[..], a_addr));
    assert_eq!(b.try_peek_sender().unwrap(), a_addr);
    let (n, _) = b.try_peek_from(&mut buf[..4]).unwrap();
    assert_eq!(&buf[..n], b"peek");
    let (n, from) = guard(b.recv_from(&mut buf)).await.unwrap();
    assert_eq!((&buf[..n], from), (&b"peekaboo"[..], a_addr));

    b.connect(a_addr).await.unwrap();
    a.send_to(b"again", b.local_addr().unwrap()).await.unwrap();
    let n = guard(b.peek(&mut buf)).await.unwrap();
    assert_eq!(&buf[..n], b"again");
    assert_eq!(b.try_peek(&mut buf).unwrap(), 5);
    let n = guard(b.recv(&mut buf)).await.unwrap();
    assert_eq!(&buf[..n], b"again");
    would_block(b.try_recv(&mut buf));
}

#[weave::test]
async fn poll_methods_fill_uninitialized_buffers() {
    let a = loopback().await;
    let b = loopback().await;
    let (a_addr, b_addr) = (a.local_addr().unwrap(), b.local_addr().unwrap());
    let msg = pattern(1_000, 3);

    let n = guard(poll_fn(|cx| a.poll_send_to(cx, &msg, b_addr)))
        .await
        .unwrap();
    assert_eq!(n, msg.len());
    guard(poll_fn(|cx| b.poll_recv_ready(cx))).await.unwrap();

    let mut storage = [MaybeUninit::<u8>::uninit(); 2_048];
    let mut rb = ReadBuf::uninit(&mut storage);
    let from = guard(poll_fn(|cx| b.poll_peek_from(cx, &mut rb)))
        .await
        .unwrap();
    assert_eq!((rb.filled(), from), (&msg[..], a_addr));
    rb.clear();
    let from = guard(poll_fn(|cx| b.poll_recv_from(cx, &mut rb)))
        .await
        .unwrap();
    assert_eq!((rb.filled(), from), (&msg[..], a_addr));

    // Connected: poll_send / poll_peek / poll_recv, into the part of the
    // buffer after what is already filled.
    a.connect(b_addr).await.unwrap();
    b.connect(a_addr).await.unwrap();
    guard(poll_fn(|cx| a.poll_send_ready(cx))).await.unwrap();
    guard(poll_fn(|cx| a.poll_send(cx, b"tail"))).await.unwrap();
    let mut storage = [MaybeUninit::<u8>::uninit(); 16];
    let mut rb = ReadBuf::uninit(&mut storage);
    rb.put_slice(b"head-");
    guard(poll_fn(|cx| b.poll_peek(cx, &mut rb))).await.unwrap();
    assert_eq!(rb.filled(), b"head-tail");
    rb.set_filled(5);
    guard(poll_fn(|cx| b.poll_recv(cx, &mut rb))).await.unwrap();
    assert_eq!(rb.filled(), b"head-tail");
    let mut buf = [0u8; 8];
    would_block(b.try_recv(&mut buf));
}

#[weave::test]
async fn recv_buf_appends_to_buf_mut() {
    let a = loopback().await;
    let b = loopback().await;
    let (a_addr, b_addr) = (a.local_addr().unwrap(), b.local_addr().unwrap());

    let mut got = b"prefix:".to_vec();
    got.reserve(4_096);
    a.send_to(&pattern(3_000, 9), b_addr).await.unwrap();
    let (n, from) = guard(b.recv_buf_from(&mut got)).await.unwrap();
    assert_eq!((n, from), (3_000, a_addr));
    assert_eq!(&got[..7], b"prefix:");
    assert_eq!(&got[7..], &pattern(3_000, 9)[..]);

    b.connect(a_addr).await.unwrap();
    let mut bytes = bytes::BytesMut::with_capacity(64);
    a.send_to(b"into BytesMut", b_addr).await.unwrap();
    let n = guard(b.recv_buf(&mut bytes)).await.unwrap();
    assert_eq!((n, &bytes[..]), (13, &b"into BytesMut"[..]));

    a.send_to(b"try", b_addr).await.unwrap();
    let mut v = Vec::with_capacity(16);
    let n = recv_with_try(&b, || b.try_recv_buf(&mut v)).await;
    assert_eq!((n, &v[..]), (3, &b"try"[..]));
    a.send_to(b"try_from", b_addr).await.unwrap();
    let mut v = Vec::with_capacity(16);
    let (n, from) = recv_with_try(&b, || b.try_recv_buf_from(&mut v)).await;
    assert_eq!((n, &v[..], from), (8, &b"try_from"[..], a_addr));
}

/// Many tasks share one server socket and one client socket. Each client
/// task has one datagram in flight at a time, so the kernel's receive
/// buffers never overflow and nothing is lost.
#[weave::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_tasks_share_one_socket() {
    const ECHOERS: usize = 4;
    const CLIENTS: usize = 16;
    const ROUNDS: usize = 40;

    let server = Arc::new(loopback().await);
    let server_addr = server.local_addr().unwrap();
    let mut echoers = Vec::new();
    for _ in 0..ECHOERS {
        let server = server.clone();
        echoers.push(weave::spawn(async move {
            let mut buf = vec![0u8; 2_048];
            let mut echoed = 0usize;
            loop {
                let (n, from) = server.recv_from(&mut buf).await.unwrap();
                if n == 0 {
                    return echoed;
                }
                server.send_to(&buf[..n], from).await.unwrap();
                echoed += 1;
            }
        }));
    }

    let client = Arc::new(loopback().await);
    let received = Arc::new(Mutex::new(Vec::new()));
    let mut clients = Vec::new();
    for c in 0..CLIENTS {
        let client = client.clone();
        let received = received.clone();
        clients.push(weave::spawn(async move {
            let mut buf = vec![0u8; 2_048];
            for r in 0..ROUNDS {
                let mut msg = vec![c as u8, r as u8];
                msg.extend(pattern(1 + (c * 31 + r * 17) % 1_000, (c + r) as u8));
                client.send_to(&msg, server_addr).await.unwrap();
                // Any client task may pick up any echo: only the total
                // is checked.
                let (n, from) = client.recv_from(&mut buf).await.unwrap();
                assert_eq!(from, server_addr);
                received.lock().unwrap().push(buf[..n].to_vec());
            }
        }));
    }
    for c in clients {
        guard(c).await.unwrap();
    }
    for _ in 0..ECHOERS {
        client.send_to(&[], server_addr).await.unwrap();
    }
    let mut echoed = 0;
    for e in echoers {
        echoed += guard(e).await.unwrap();
    }
    assert_eq!(echoed, CLIENTS * ROUNDS);

    let mut seen = HashMap::new();
    for msg in received.lock().unwrap().iter() {
        let (c, r) = (msg[0] as usize, msg[1] as usize);
        let expected = pattern(1 + (c * 31 + r * 17) % 1_000, (c + r) as u8);
        assert_eq!(&msg[2..], &expected[..], "datagram ({c}, {r}) corrupted");
        *seen.entry((c, r)).or_insert(0) += 1;
    }
    assert_eq!(seen.len(), CLIENTS * ROUNDS);
    assert!(seen.values().all(|&k| k == 1));
}

/// Many tasks wait on one socket at once; each datagram wakes a receiver
/// and none is delivered twice.
#[weave::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_waiting_receivers_each_get_one() {
    const RECEIVERS: usize = 32;
    let rx = Arc::new(loopback().await);
    let to = rx.local_addr().unwrap();
    let mut tasks = Vec::new();
    for _ in 0..RECEIVERS {
        let rx = rx.clone();
        tasks.push(weave::spawn(async move {
            let mut buf = [0u8; 16];
            let n = rx.recv(&mut buf).await.unwrap();
            buf[..n].to_vec()
        }));
    }
    // Let the receivers start waiting; correctness does not depend on it.
    weave::task::yield_now().await;
    let tx = loopback().await;
    for i in 0..RECEIVERS {
        tx.send_to(&[i as u8; 3], to).await.unwrap();
    }
    let mut got = Vec::new();
    for t in tasks {
        got.push(guard(t).await.unwrap());
    }
    got.sort();
    let expected: Vec<_> = (0..RECEIVERS).map(|i| vec![i as u8; 3]).collect();
    assert_eq!(got, expected);
}

#[weave::test]
async fn ready_and_async_io() {
    let a = loopback().await;
    let b = loopback().await;
    let ready = guard(a.ready(Interest::READABLE | Interest::WRITABLE))
        .await
        .unwrap();
    assert!(ready.is_writable() && !ready.is_readable());

    a.send_to(b"custom", b.local_addr().unwrap()).await.unwrap();
    let ready = guard(b.ready(Interest::READABLE)).await.unwrap();
    assert!(ready.is_readable());

    // async_io and try_io with a custom operation: std's recv through the
    // socket's fd.
    let std_b = socket2::SockRef::from(&b);
    let mut buf = [MaybeUninit::<u8>::uninit(); 16];
    let n = guard(b.async_io(Interest::READABLE, || std_b.recv(&mut buf)))
        .await
        .unwrap();
    assert_eq!(n, 6);
    would_block(b.try_io(Interest::READABLE, || std_b.recv(&mut buf)));
}

#[weave::test]
async fn errors_surface_instead_of_hanging() {
    // A connected socket whose peer port is closed: Linux reports the ICMP
    // "port unreachable" as ConnectionRefused on a later receive.
    let gone = loopback().await;
    let gone_addr = gone.local_addr().unwrap();
    drop(gone);
    let a = loopback().await;
    a.connect(gone_addr).await.unwrap();
    a.send(b"anyone?").await.unwrap();
    let mut buf = [0u8; 16];
    let err = guard(a.recv(&mut buf)).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);

    // No address to send to.
    let none: &[SocketAddr] = &[];
    let err = a.send_to(b"x", none).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);

    // Binding tries each address in turn: the first is not local.
    let addrs: [SocketAddr; 2] = [
        "192.0.2.1:0".parse().unwrap(),
        "127.0.0.1:0".parse().unwrap(),
    ];
    let s = UdpSocket::bind(&addrs[..]).await.unwrap();
    assert!(s.local_addr().unwrap().ip().is_loopback());
    let err = UdpSocket::bind("192.0.2.1:0").await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::AddrNotAvailable);
}

#[weave::test]
async fn std_conversions() {
    let std_sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    // from_std makes the socket non-blocking itself.
    let a = UdpSocket::from_std(std_sock).unwrap();
    let b = UdpSocket::try_from(std::net::UdpSocket::bind("127.0.0.1:0").unwrap()).unwrap();
    a.send_to(b"via std", b.local_addr().unwrap())
        .await
        .unwrap();
    let mut buf = [0u8; 16];
    let n = guard(b.recv(&mut buf)).await.unwrap();
    assert_eq!(&buf[..n], b"via std");

    let back = b.into_std().unwrap();
    // Still non-blocking: nothing queued means WouldBlock, not a hang.
    assert_eq!(
        back.recv(&mut buf).unwrap_err().kind(),
        io::ErrorKind::WouldBlock
    );
    back.set_nonblocking(false).unwrap();
    a.send_to(b"blocking now", back.local_addr().unwrap())
        .await
        .unwrap();
    let n = back.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"blocking now");
    assert!(format!("{a:?}").contains("UdpSocket"));
}

#[weave::test]
async fn socket_options_round_trip() {
    let s = loopback().await;
    s.set_broadcast(true).unwrap();
    assert!(s.broadcast().unwrap());
    s.set_broadcast(false).unwrap();
    assert!(!s.broadcast().unwrap());
    s.set_ttl(17).unwrap();
    assert_eq!(s.ttl().unwrap(), 17);
    s.set_multicast_ttl_v4(3).unwrap();
    assert_eq!(s.multicast_ttl_v4().unwrap(), 3);
    s.set_multicast_loop_v4(false).unwrap();
    assert!(!s.multicast_loop_v4().unwrap());
    s.set_tos_v4(0x10).unwrap();
    assert_eq!(s.tos_v4().unwrap(), 0x10);
    assert!(s.take_error().unwrap().is_none());

    let group = Ipv4Addr::new(239, 255, 42, 99);
    s.join_multicast_v4(group, Ipv4Addr::LOCALHOST).unwrap();
    s.leave_multicast_v4(group, Ipv4Addr::LOCALHOST).unwrap();
}

#[weave::test]
async fn ipv6_loopback_when_available() {
    let Ok(a) = UdpSocket::bind("[::1]:0").await else {
        return; // no IPv6 here
    };
    let b = UdpSocket::bind("[::1]:0").await.unwrap();
    a.set_multicast_loop_v6(false).unwrap();
    assert!(!a.multicast_loop_v6().unwrap());
    let msg = pattern(512, 42);
    a.send_to(&msg, b.local_addr().unwrap()).await.unwrap();
    let mut buf = [0u8; 1_024];
    let (n, from) = guard(b.recv_from(&mut buf)).await.unwrap();
    assert_eq!((&buf[..n], from), (&msg[..], a.local_addr().unwrap()));
}
