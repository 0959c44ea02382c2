//! Networking workloads on loopback, weave and Tokio in the same run.
//!
//! - `tcp_rr_1`: 1,000 request/response round trips of 64 bytes on one
//!   connection.
//! - `tcp_rr_50`: 50 connections, each doing 100 round trips of 64 bytes at
//!   the same time.
//! - `tcp_bulk_256mb`: 256 MiB written through one connection and counted by
//!   the reader.
//! - `udp_ping_pong`: 1,000 ping-pongs of 64 bytes between two UDP sockets.
//!
//! Servers and connections are set up once per benchmark, outside the
//! measured loop. File workloads are in `benches/fs.rs`.

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion};
use std::time::Duration;

const MSG: usize = 64;
const RR_ROUNDS: usize = 1_000;
const RR_CONNS: usize = 50;
const RR_ROUNDS_PER_CONN: usize = 100;
const BULK_BYTES: usize = 256 << 20;
const BULK_CHUNK: usize = 64 << 10;
const UDP_ROUNDS: usize = 1_000;
const WORKERS: usize = 2;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Flavor {
    Multi,
    Current,
}

impl Flavor {
    fn name(self) -> &'static str {
        match self {
            Flavor::Multi => "multi",
            Flavor::Current => "current",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Workload {
    TcpRr1,
    TcpRr50,
    TcpBulk,
    UdpPingPong,
}

impl Workload {
    const ALL: [Workload; 4] = [
        Workload::TcpRr1,
        Workload::TcpRr50,
        Workload::TcpBulk,
        Workload::UdpPingPong,
    ];

    fn name(self) -> &'static str {
        match self {
            Workload::TcpRr1 => "tcp_rr_1",
            Workload::TcpRr50 => "tcp_rr_50",
            Workload::TcpBulk => "tcp_bulk_256mb",
            Workload::UdpPingPong => "udp_ping_pong",
        }
    }
}

macro_rules! suite {
    ($module:ident, $krate:ident) => {
        mod $module {
            use super::*;
            use $krate::io::{AsyncReadExt, AsyncWriteExt};
            use $krate::net::{TcpListener, TcpStream, UdpSocket};
            use $krate::runtime::{Builder, Runtime};

            pub fn runtime(flavor: Flavor) -> Runtime {
                match flavor {
                    Flavor::Multi => Builder::new_multi_thread()
                        .worker_threads(WORKERS)
                        .enable_all()
                        .build()
                        .unwrap(),
                    Flavor::Current => Builder::new_current_thread().enable_all().build().unwrap(),
                }
            }

            /// A server echoing fixed-size messages on every connection.
            async fn echo_server() -> std::net::SocketAddr {
                let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                let addr = listener.local_addr().unwrap();
                $krate::spawn(async move {
                    loop {
                        let (mut s, _) = listener.accept().await.unwrap();
                        s.set_nodelay(true).unwrap();
                        $krate::spawn(async move {
                            let mut buf = [0u8; MSG];
                            while s.read_exact(&mut buf).await.is_ok() {
                                if s.write_all(&buf).await.is_err() {
                                    break;
                                }
                            }
                        });
                    }
                });
                addr
            }

            async fn connect(addr: std::net::SocketAddr) -> TcpStream {
                let s = TcpStream::connect(addr).await.unwrap();
                s.set_nodelay(true).unwrap();
                s
            }

            async fn round_trips(s: &mut TcpStream, n: usize) {
                let mut buf = [7u8; MSG];
                for _ in 0..n {
                    s.write_all(&buf).await.unwrap();
                    s.read_exact(&mut buf).await.unwrap();
                }
            }

            pub fn bench(
                group: &mut BenchmarkGroup<'_, WallTime>,
                workload: Workload,
                flavor: Flavor,
                rt: &Runtime,
            ) {
                let id = format!("{}/{}", stringify!($krate), flavor.name());
                match workload {
                    Workload::TcpRr1 => {
                        let mut conn = rt.block_on(async { connect(echo_server().await).await });
                        group.bench_function(id, |b| {
                            b.iter(|| rt.block_on(round_trips(&mut conn, RR_ROUNDS)))
                        });
                    }
                    Workload::TcpRr50 => {
                        let conns = rt.block_on(async {
                            let addr = echo_server().await;
                            let mut v = Vec::new();
                            for _ in 0..RR_CONNS {
                                v.push(connect(addr).await);
                            }
                            v
                        });
                        let mut conns: Vec<Option<TcpStream>> =
                            conns.into_iter().map(Some).collect();
                        group.bench_function(id, |b| {
                            b.iter(|| {
                                rt.block_on(async {
                                    let tasks: Vec<_> = conns
                                        .iter_mut()
                                        .map(|c| {
                                            let mut s = c.take().unwrap();
                                            $krate::spawn(async move {
                                                round_trips(&mut s, RR_ROUNDS_PER_CONN).await;
                                                s
                                            })
                                        })
                                        .collect();
                                    for (slot, t) in conns.iter_mut().zip(tasks) {
                                        *slot = Some(t.await.unwrap());
                                    }
                                })
                            })
                        });
                    }
                    Workload::TcpBulk => {
                        let (mut writer, mut reader) = rt.block_on(async {
                            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                            let addr = listener.local_addr().unwrap();
                            let w = TcpStream::connect(addr).await.unwrap();
                            let (r, _) = listener.accept().await.unwrap();
                            (w, r)
                        });
                        let chunk = vec![1u8; BULK_CHUNK];
                        let mut sink = vec![0u8; BULK_CHUNK];
                        group.bench_function(id, |b| {
                            b.iter(|| {
                                rt.block_on(async {
                                    let write = async {
                                        for _ in 0..BULK_BYTES / BULK_CHUNK {
                                            writer.write_all(&chunk).await.unwrap();
                                        }
                                    };
                                    let read = async {
                                        let mut got = 0;
                                        while got < BULK_BYTES {
                                            got += reader.read(&mut sink).await.unwrap();
                                        }
                                        assert_eq!(got, BULK_BYTES);
                                    };
                                    futures::join!(write, read);
                                })
                            })
                        });
                    }
                    Workload::UdpPingPong => {
                        let (a, b_sock) = rt.block_on(async {
                            let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
                            let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
                            a.connect(b.local_addr().unwrap()).await.unwrap();
                            b.connect(a.local_addr().unwrap()).await.unwrap();
                            (a, b)
                        });
                        let b_sock = std::sync::Arc::new(b_sock);
                        rt.spawn({
                            let b_sock = b_sock.clone();
                            async move {
                                let mut buf = [0u8; MSG];
                                loop {
                                    let n = b_sock.recv(&mut buf).await.unwrap();
                                    b_sock.send(&buf[..n]).await.unwrap();
                                }
                            }
                        });
                        group.bench_function(id, |bench| {
                            bench.iter(|| {
                                rt.block_on(async {
                                    let mut buf = [3u8; MSG];
                                    for _ in 0..UDP_ROUNDS {
                                        a.send(&buf).await.unwrap();
                                        let n = a.recv(&mut buf).await.unwrap();
                                        assert_eq!(n, MSG);
                                    }
                                })
                            })
                        });
                    }
                }
            }
        }
    };
}

suite!(weave_suite, weave);
suite!(tokio_suite, tokio);

fn benches(c: &mut Criterion) {
    for workload in Workload::ALL {
        let mut group = c.benchmark_group(workload.name());
        if workload == Workload::TcpBulk {
            group
                .sample_size(10)
                .warm_up_time(Duration::from_secs(1))
                .measurement_time(Duration::from_secs(8));
        } else {
            group
                .sample_size(30)
                .warm_up_time(Duration::from_secs(1))
                .measurement_time(Duration::from_secs(4));
        }
        for flavor in [Flavor::Multi, Flavor::Current] {
            // Both runtimes exist while either is measured, so each sees the
            // same threads on the machine.
            let weave_rt = weave_suite::runtime(flavor);
            let tokio_rt = tokio_suite::runtime(flavor);
            weave_suite::bench(&mut group, workload, flavor, &weave_rt);
            tokio_suite::bench(&mut group, workload, flavor, &tokio_rt);
        }
        group.finish();
    }
}

criterion_group!(io, benches);
criterion_main!(io);
