//! The networking workloads of `benches/io.rs` and `benches/io_ab.rs`, one
//! copy for both so the criterion numbers and the A/B numbers measure the
//! same code. It is a directory's `mod.rs` because Cargo takes every
//! `benches/*.rs` for a benchmark of its own.
//!
//! - `tcp_rr_1`: 1,000 request/response round trips of 64 bytes on one
//!   connection.
//! - `tcp_rr_50`: 50 connections, each doing 100 round trips of 64 bytes at
//!   the same time.
//! - `tcp_bulk_256mb`: 256 MiB written through one connection and counted by
//!   the reader.
//! - `udp_ping_pong`: 1,000 ping-pongs of 64 bytes between two UDP sockets.
//!
//! `weave_suite::setup` and `tokio_suite::setup` build a runtime, its servers
//! and connections, and return a [`Measure`]: called with an iteration count,
//! it runs the workload that many times and returns the wall time (the shape
//! of criterion's `iter_custom`). Setup stays outside the measured loop.

use std::time::{Duration, Instant};

pub const MSG: usize = 64;
pub const RR_ROUNDS: usize = 1_000;
pub const RR_CONNS: usize = 50;
pub const RR_ROUNDS_PER_CONN: usize = 100;
pub const BULK_BYTES: usize = 256 << 20;
pub const BULK_CHUNK: usize = 64 << 10;
pub const UDP_ROUNDS: usize = 1_000;
pub const WORKERS: usize = 2;

/// Runs a workload `iters` times and returns how long that took.
pub type Measure = Box<dyn FnMut(u64) -> Duration>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    Multi,
    Current,
}

impl Flavor {
    pub const ALL: [Flavor; 2] = [Flavor::Multi, Flavor::Current];

    pub fn name(self) -> &'static str {
        match self {
            Flavor::Multi => "multi",
            Flavor::Current => "current",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    TcpRr1,
    TcpRr50,
    TcpBulk,
    UdpPingPong,
}

impl Workload {
    pub const ALL: [Workload; 4] = [
        Workload::TcpRr1,
        Workload::TcpRr50,
        Workload::TcpBulk,
        Workload::UdpPingPong,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Workload::TcpRr1 => "tcp_rr_1",
            Workload::TcpRr50 => "tcp_rr_50",
            Workload::TcpBulk => "tcp_bulk_256mb",
            Workload::UdpPingPong => "udp_ping_pong",
        }
    }
}

/// The loop criterion's `Bencher::iter` times, so `iter_custom` over it in
/// `io.rs` measures what `iter` would.
#[inline(always)]
fn time<T>(iters: u64, mut routine: impl FnMut() -> T) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        std::hint::black_box(routine());
    }
    start.elapsed()
}

macro_rules! suite {
    ($module:ident, $krate:ident) => {
        pub mod $module {
            use super::*;
            use $krate::io::{AsyncReadExt, AsyncWriteExt};
            use $krate::net::{TcpListener, TcpStream, UdpSocket};
            use $krate::runtime::{Builder, Runtime};

            type Run = Box<dyn FnMut(&Runtime, u64) -> Duration>;

            /// The runtime is a field after the workload, not a capture of
            /// it: fields drop in declaration order (a closure's captures
            /// have no declared order), so the sockets are dropped and
            /// deregistered while their runtime still exists.
            struct Setup {
                run: Run,
                rt: Runtime,
            }

            fn runtime(flavor: Flavor) -> Runtime {
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

            pub fn setup(workload: Workload, flavor: Flavor) -> Measure {
                let rt = runtime(flavor);
                let run: Run = match workload {
                    Workload::TcpRr1 => {
                        let mut conn = rt.block_on(async { connect(echo_server().await).await });
                        Box::new(move |rt: &Runtime, iters: u64| {
                            time(iters, || rt.block_on(round_trips(&mut conn, RR_ROUNDS)))
                        })
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
                        Box::new(move |rt: &Runtime, iters: u64| {
                            time(iters, || {
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
                        })
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
                        Box::new(move |rt: &Runtime, iters: u64| {
                            time(iters, || {
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
                        })
                    }
                    Workload::UdpPingPong => {
                        let (a, b) = rt.block_on(async {
                            let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
                            let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
                            a.connect(b.local_addr().unwrap()).await.unwrap();
                            b.connect(a.local_addr().unwrap()).await.unwrap();
                            (a, b)
                        });
                        rt.spawn(async move {
                            let mut buf = [0u8; MSG];
                            loop {
                                let n = b.recv(&mut buf).await.unwrap();
                                b.send(&buf[..n]).await.unwrap();
                            }
                        });
                        Box::new(move |rt: &Runtime, iters: u64| {
                            time(iters, || {
                                rt.block_on(async {
                                    let mut buf = [3u8; MSG];
                                    for _ in 0..UDP_ROUNDS {
                                        a.send(&buf).await.unwrap();
                                        let n = a.recv(&mut buf).await.unwrap();
                                        assert_eq!(n, MSG);
                                    }
                                })
                            })
                        })
                    }
                };
                let mut setup = Setup { run, rt };
                Box::new(move |iters| (setup.run)(&setup.rt, iters))
            }
        }
    };
}

suite!(weave_suite, weave);
suite!(tokio_suite, tokio);
