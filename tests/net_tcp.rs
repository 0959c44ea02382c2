//! TCP on the reactor: listener, stream, socket, halves, errors.

#[macro_use]
mod common;

use std::io;
use std::net::SocketAddr;
use std::time::Duration;
use weave::io::{AsyncReadExt, AsyncWriteExt, Interest};
use weave::net::{TcpListener, TcpSocket, TcpStream};
use weave::runtime::{Builder, Runtime};

#[derive(Clone, Copy)]
enum Flavor {
    CurrentThread,
    MultiThread,
}

fn rt(flavor: Flavor) -> Runtime {
    match flavor {
        Flavor::CurrentThread => Builder::new_current_thread().enable_all().build().unwrap(),
        Flavor::MultiThread => Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap(),
    }
}

/// Hang guard: generous, never the thing measured.
async fn guard<F: std::future::Future>(f: F) -> F::Output {
    weave::time::timeout(Duration::from_secs(60), f)
        .await
        .expect("test hung")
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

async fn listener() -> (TcpListener, SocketAddr) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    (l, addr)
}

fn echo_round_trip(flavor: Flavor) {
    rt(flavor).block_on(guard(async {
        let (l, addr) = listener().await;
        let server = weave::spawn(async move {
            let (mut s, peer) = l.accept().await.unwrap();
            assert_eq!(s.peer_addr().unwrap(), peer);
            let mut buf = vec![0; 16 * 1024];
            let mut total = 0;
            loop {
                let n = s.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                total += n;
                s.write_all(&buf[..n]).await.unwrap();
            }
            s.shutdown().await.unwrap();
            total
        });
        let data = pattern(4 << 20, 7);
        let s = TcpStream::connect(addr).await.unwrap();
        assert_eq!(s.peer_addr().unwrap(), addr);
        let (mut r, mut w) = s.into_split();
        let writer = {
            let data = data.clone();
            weave::spawn(async move {
                w.write_all(&data).await.unwrap();
                w.shutdown().await.unwrap();
            })
        };
        let mut back = Vec::new();
        r.read_to_end(&mut back).await.unwrap();
        writer.await.unwrap();
        assert_eq!(server.await.unwrap(), data.len());
        assert!(back == data, "echoed bytes differ");
    }));
}

fn many_connections(flavor: Flavor) {
    rt(flavor).block_on(guard(async {
        let (l, addr) = listener().await;
        const CONNS: usize = 200;
        let server = weave::spawn(async move {
            let mut handles = Vec::new();
            for _ in 0..CONNS {
                let (mut s, _) = l.accept().await.unwrap();
                handles.push(weave::spawn(async move {
                    let mut buf = Vec::new();
                    s.read_to_end(&mut buf).await.unwrap();
                    s.write_all(&buf).await.unwrap();
                }));
            }
            for h in handles {
                h.await.unwrap();
            }
        });
        let clients: Vec<_> = (0..CONNS)
            .map(|i| {
                weave::spawn(async move {
                    let data = pattern(1000 + i * 37, i as u8);
                    let mut s = TcpStream::connect(addr).await.unwrap();
                    s.write_all(&data).await.unwrap();
                    s.shutdown().await.unwrap();
                    let mut back = Vec::new();
                    s.read_to_end(&mut back).await.unwrap();
                    assert!(back == data, "connection {i} got wrong bytes");
                })
            })
            .collect();
        for c in clients {
            c.await.unwrap();
        }
        server.await.unwrap();
    }));
}

fn half_close(flavor: Flavor) {
    rt(flavor).block_on(guard(async {
        let (l, addr) = listener().await;
        let server = weave::spawn(async move {
            let (mut s, _) = l.accept().await.unwrap();
            let mut got = Vec::new();
            s.read_to_end(&mut got).await.unwrap();
            // Our side is still open for writing after the peer's FIN.
            s.write_all(b"reply after your FIN").await.unwrap();
            got
        });
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(b"request").await.unwrap();
        s.shutdown().await.unwrap();
        let mut reply = String::new();
        s.read_to_string(&mut reply).await.unwrap();
        assert_eq!(reply, "reply after your FIN");
        assert_eq!(server.await.unwrap(), b"request");
    }));
}

fn peer_reset_is_an_error(flavor: Flavor) {
    rt(flavor).block_on(guard(async {
        let (l, addr) = listener().await;
        let mut client = TcpStream::connect(addr).await.unwrap();
        let (server, _) = l.accept().await.unwrap();
        // Linger 0: close sends RST instead of FIN.
        server.set_linger(Some(Duration::ZERO)).unwrap();
        drop(server);
        let mut buf = [0u8; 16];
        let mut saw_error = false;
        for _ in 0..100 {
            match client.read(&mut buf).await {
                Err(e) => {
                    assert_eq!(e.kind(), io::ErrorKind::ConnectionReset, "{e}");
                    saw_error = true;
                    break;
                }
                Ok(0) => match client.write_all(b"x").await {
                    Err(_) => {
                        saw_error = true;
                        break;
                    }
                    Ok(()) => weave::task::yield_now().await,
                },
                Ok(n) => panic!("read {n} bytes from a reset connection"),
            }
        }
        assert!(saw_error, "a reset peer never surfaced as an error");
    }));
}

fn connect_refused(flavor: Flavor) {
    rt(flavor).block_on(guard(async {
        let (l, addr) = listener().await;
        drop(l);
        let err = TcpStream::connect(addr).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused, "{err}");
    }));
}

fn try_read_write_after_readiness(flavor: Flavor) {
    rt(flavor).block_on(guard(async {
        let (l, addr) = listener().await;
        let client = TcpStream::connect(addr).await.unwrap();
        let (server, _) = l.accept().await.unwrap();
        let mut buf = [0u8; 64];
        assert_eq!(
            server.try_read(&mut buf).unwrap_err().kind(),
            io::ErrorKind::WouldBlock
        );
        client.writable().await.unwrap();
        assert_eq!(client.try_write(b"ping").unwrap(), 4);
        let mut got = Vec::new();
        while got.len() < 4 {
            server.readable().await.unwrap();
            match server.try_read(&mut buf) {
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(got, b"ping");
        let ready = server.ready(Interest::WRITABLE).await.unwrap();
        assert!(ready.is_writable());
        // Peek leaves the data in place.
        client.try_write(b"peek").unwrap();
        let n = server.peek(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], &b"peek"[..n]);
        let mut server = server;
        let mut four = [0u8; 4];
        server.read_exact(&mut four).await.unwrap();
        assert_eq!(&four, b"peek");
    }));
}

fn borrowed_split_in_one_task(flavor: Flavor) {
    rt(flavor).block_on(guard(async {
        let (l, addr) = listener().await;
        let echo = weave::spawn(async move {
            let (mut s, _) = l.accept().await.unwrap();
            let (mut r, mut w) = s.split();
            weave::io::copy(&mut r, &mut w).await.unwrap();
        });
        let mut s = TcpStream::connect(addr).await.unwrap();
        let data = pattern(1 << 20, 3);
        let (mut r, mut w) = s.split();
        let write = async {
            w.write_all(&data).await.unwrap();
            w.shutdown().await.unwrap();
        };
        let read = async {
            let mut back = Vec::new();
            r.read_to_end(&mut back).await.unwrap();
            back
        };
        let ((), back) = futures::join!(write, read);
        assert!(back == data);
        echo.await.unwrap();
    }));
}

fn reunite_and_mismatch(flavor: Flavor) {
    rt(flavor).block_on(guard(async {
        let (l, addr) = listener().await;
        let a = TcpStream::connect(addr).await.unwrap();
        let b = TcpStream::connect(addr).await.unwrap();
        let (ar, aw) = a.into_split();
        let (br, bw) = b.into_split();
        let err = ar.reunite(bw).unwrap_err();
        let (ar, bw) = (err.0, err.1);
        let a = ar.reunite(aw).unwrap();
        let b = bw.reunite(br).unwrap();
        assert_ne!(a.local_addr().unwrap(), b.local_addr().unwrap());
        drop(l);
    }));
}

fn dropped_write_half_sends_eof(flavor: Flavor) {
    rt(flavor).block_on(guard(async {
        let (l, addr) = listener().await;
        let s = TcpStream::connect(addr).await.unwrap();
        let (mut server, _) = l.accept().await.unwrap();
        let (_r, w) = s.into_split();
        drop(w);
        let mut buf = Vec::new();
        assert_eq!(server.read_to_end(&mut buf).await.unwrap(), 0);
    }));
}

fn tcp_socket_options(flavor: Flavor) {
    rt(flavor).block_on(guard(async {
        let sock = TcpSocket::new_v4().unwrap();
        sock.set_reuseaddr(true).unwrap();
        assert!(sock.reuseaddr().unwrap());
        sock.set_reuseport(true).unwrap();
        assert!(sock.reuseport().unwrap());
        sock.set_recv_buffer_size(64 * 1024).unwrap();
        assert!(sock.recv_buffer_size().unwrap() >= 64 * 1024);
        sock.set_send_buffer_size(64 * 1024).unwrap();
        sock.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = sock.local_addr().unwrap();
        let l = sock.listen(16).unwrap();
        assert_eq!(l.local_addr().unwrap(), addr);
        let c = TcpSocket::new_v4().unwrap();
        c.set_nodelay(true).unwrap();
        let mut stream = c.connect(addr).await.unwrap();
        assert!(stream.nodelay().unwrap());
        let (mut s, _) = l.accept().await.unwrap();
        stream.write_all(b"via TcpSocket").await.unwrap();
        let mut buf = [0u8; 13];
        s.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"via TcpSocket");
        l.set_ttl(42).unwrap();
        assert_eq!(l.ttl().unwrap(), 42);
    }));
}

fn std_round_trip(flavor: Flavor) {
    rt(flavor).block_on(guard(async {
        let std_l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = std_l.local_addr().unwrap();
        let l = TcpListener::from_std(std_l).unwrap();
        let std_c = std::net::TcpStream::connect(addr).unwrap();
        let mut c = TcpStream::from_std(std_c).unwrap();
        let (s, _) = l.accept().await.unwrap();
        let mut std_s = s.into_std().unwrap();
        std_s.set_nonblocking(false).unwrap();
        c.write_all(b"to std").await.unwrap();
        let mut buf = [0u8; 6];
        std::io::Read::read_exact(&mut std_s, &mut buf).unwrap();
        assert_eq!(&buf, b"to std");
        let std_l = l.into_std().unwrap();
        assert_eq!(std_l.local_addr().unwrap(), addr);
    }));
}

fn lookup_and_connect_by_name(flavor: Flavor) {
    rt(flavor).block_on(guard(async {
        let (l, addr) = listener().await;
        let found: Vec<_> = weave::net::lookup_host(("localhost", addr.port()))
            .await
            .unwrap()
            .collect();
        assert!(found.iter().all(|a| a.port() == addr.port()));
        assert!(!found.is_empty());
        let _c = TcpStream::connect(format!("127.0.0.1:{}", addr.port()))
            .await
            .unwrap();
        let _ = l.accept().await.unwrap();
    }));
}

fn many_waiters_on_one_stream(flavor: Flavor) {
    rt(flavor).block_on(guard(async {
        let (l, addr) = listener().await;
        let client = std::sync::Arc::new(TcpStream::connect(addr).await.unwrap());
        let (mut server, _) = l.accept().await.unwrap();
        let waiters: Vec<_> = (0..8)
            .map(|_| {
                let c = client.clone();
                weave::spawn(async move { c.readable().await.unwrap() })
            })
            .collect();
        weave::task::yield_now().await;
        server.write_all(b"!").await.unwrap();
        for w in waiters {
            w.await.unwrap();
        }
    }));
}

both_flavors!(
    echo_round_trip,
    many_connections,
    half_close,
    peer_reset_is_an_error,
    connect_refused,
    try_read_write_after_readiness,
    borrowed_split_in_one_task,
    reunite_and_mismatch,
    dropped_write_half_sends_eof,
    tcp_socket_options,
    std_round_trip,
    lookup_and_connect_by_name,
    many_waiters_on_one_stream,
    short_transfers_rearm,
);

/// A read that returns fewer bytes than asked clears read readiness (the
/// buffer was drained), and a write that takes fewer bytes than given
/// clears write readiness (the buffer is full): the next data and the next
/// free space must still wake the task. Small messages into a large read
/// buffer, and a sender that fills the socket before the reader drains it.
fn short_transfers_rearm(flavor: Flavor) {
    rt(flavor).block_on(guard(async {
        let (l, addr) = listener().await;
        let peer = weave::spawn(async move {
            let (mut s, _) = l.accept().await.unwrap();
            // Ping-pong of 1..=200 byte messages: every read is short.
            let mut buf = vec![0u8; 4096];
            for len in 1..=200usize {
                let n = s.read(&mut buf).await.unwrap();
                assert_eq!(n, len);
                s.write_all(&buf[..n]).await.unwrap();
            }
            // Then 8 MiB at once: many short writes while the other side
            // waits before reading.
            let data = pattern(8 << 20, 5);
            s.write_all(&data).await.unwrap();
            s.shutdown().await.unwrap();
        });
        let mut c = TcpStream::connect(addr).await.unwrap();
        let mut buf = vec![0u8; 4096];
        for len in 1..=200usize {
            let msg = pattern(len, len as u8);
            c.write_all(&msg).await.unwrap();
            // Exactly `len`: the bulk data may follow the last echo at once.
            c.read_exact(&mut buf[..len]).await.unwrap();
            assert_eq!(&buf[..len], &msg[..]);
        }
        weave::time::sleep(Duration::from_millis(20)).await;
        let mut all = Vec::new();
        c.read_to_end(&mut all).await.unwrap();
        assert_eq!(all.len(), 8 << 20);
        let first_bad = all
            .iter()
            .zip(pattern(8 << 20, 5))
            .position(|(a, b)| *a != b);
        assert_eq!(first_bad, None, "bulk bytes differ");
        peer.await.unwrap();
    }));
}

#[test]
fn io_disabled_runtime_panics_with_a_clear_message() {
    let rt = Builder::new_current_thread().enable_time().build().unwrap();
    let msg = common::catch_panic(|| {
        rt.block_on(async {
            let _ = TcpListener::bind("127.0.0.1:0").await;
        })
    });
    assert!(msg.contains("enable_io"), "{msg}");
}

#[test]
fn shutdown_runtime_fails_pending_io() {
    let rt = rt(Flavor::MultiThread);
    let (stream, _listener) = rt.block_on(async {
        let (l, addr) = listener().await;
        (TcpStream::connect(addr).await.unwrap(), l)
    });
    let stream = std::sync::Arc::new(stream);
    let waiter = {
        let s = stream.clone();
        rt.spawn(async move { s.readable().await })
    };
    drop(waiter);
    drop(rt);
    // The runtime is gone: the stream's operations fail instead of hanging.
    let other = Runtime::new().unwrap();
    let err = other.block_on(async { stream.readable().await.unwrap_err() });
    assert!(err.to_string().contains("shut down"), "{err}");
}

/// A socket that always has data must not starve the other tasks of a
/// current-thread runtime: reads charge the cooperative budget.
#[test]
fn always_ready_socket_does_not_starve_others() {
    use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
    use std::sync::Arc;
    // A Unix socket pair: what the writer wrote is in the reader's queue at
    // once, so the reader below never sees WouldBlock until it is drained.
    let (mut w, r) = std::os::unix::net::UnixStream::pair().unwrap();
    w.set_nonblocking(true).unwrap();
    let mut queued = 0;
    loop {
        match std::io::Write::write(&mut w, &[5u8; 4096]) {
            Ok(n) => queued += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) => panic!("{e}"),
        }
    }
    assert!(queued >= 64 * 1024, "only {queued} bytes fit");
    let rt = rt(Flavor::CurrentThread);
    rt.block_on(guard(async move {
        let mut reader = weave::net::UnixStream::from_std(r).unwrap();
        let reading = weave::spawn(async move {
            // Learn the socket is readable first, so that from here on every
            // read is ready at once.
            reader.readable().await.unwrap();
            let other_ran = Arc::new(AtomicBool::new(false));
            let flag = other_ran.clone();
            weave::spawn(async move { flag.store(true, SeqCst) });
            // Tiny reads in a task that awaits nothing else: the spawned
            // task can only run if these reads yield.
            let mut buf = [0u8; 16];
            let mut total = 0;
            while total < queued {
                total += reader.read(&mut buf).await.unwrap();
                if other_ran.load(SeqCst) {
                    return total;
                }
            }
            total
        });
        let read_before_other_ran = reading.await.unwrap();
        assert!(
            read_before_other_ran < queued,
            "the other task only ran after the reader drained all {queued} bytes"
        );
        drop(w);
    }));
}
