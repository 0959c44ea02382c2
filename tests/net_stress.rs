//! Robustness under load and resource exhaustion. Each test re-runs this
//! test binary as a child process (selected by an environment variable), so
//! a lowered file-descriptor limit or 10,000 client sockets stay in the child.
//!
//! `ten_thousand_connections` is `#[ignore]`d (it takes a few seconds);
//! `.ci/run` runs it with `cargo test --release --test net_stress -- --ignored`.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use weave::io::{AsyncReadExt, AsyncWriteExt};
use weave::net::{TcpListener, TcpStream};

const CHILD_ENV: &str = "WEAVE_NET_STRESS_CHILD";

/// Runs test `name` of this binary in a child with `CHILD_ENV` set.
fn child(name: &str) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            name,
            "--nocapture",
            "--test-threads=1",
            "--include-ignored",
        ])
        .env(CHILD_ENV, "1")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap()
}

fn is_child() -> bool {
    std::env::var_os(CHILD_ENV).is_some()
}

fn open_fds() -> u64 {
    std::fs::read_dir("/proc/self/fd").unwrap().count() as u64
}

fn cpu_time() -> Duration {
    // SAFETY: `getrusage` writes a `rusage` into valid memory we own.
    let usage = unsafe {
        let mut u = std::mem::zeroed::<libc::rusage>();
        assert_eq!(libc::getrusage(libc::RUSAGE_SELF, &mut u), 0);
        u
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

const EMFILE_CLIENTS: usize = 40;
const HELD: u64 = 8;
/// How long the child keeps its descriptor table full.
const STARVED: Duration = Duration::from_millis(600);

/// The server runs in a child whose descriptor limit leaves room for only a
/// few connections. While its table is full, `accept` keeps failing with
/// EMFILE: the server must report the errors, not crash, and not spin (CPU
/// time stays a small fraction of the starved period); once it frees
/// descriptors, every pending connection is accepted.
#[test]
fn accept_out_of_fds_neither_crashes_nor_spins() {
    if is_child() {
        return emfile_server();
    }
    let mut server = child("accept_out_of_fds_neither_crashes_nor_spins");
    let mut out = BufReader::new(server.stdout.take().unwrap());
    let mut line = String::new();
    let port: u16 = loop {
        line.clear();
        assert!(out.read_line(&mut line).unwrap() > 0, "child exited early");
        // libtest may print "test <name> ... " before our output, on the
        // same line.
        if let Some(p) = line.trim().split("PORT ").nth(1) {
            break p.parse().unwrap();
        }
    };
    let clients: Vec<_> = (0..EMFILE_CLIENTS)
        .map(|_| std::net::TcpStream::connect(("127.0.0.1", port)).unwrap())
        .collect();
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    let status = server.wait().unwrap();
    assert!(status.success(), "server child failed: {rest}");
    let result = rest
        .lines()
        .find_map(|l| l.split("RESULT ").nth(1))
        .unwrap_or_else(|| panic!("no RESULT line in: {rest}"));
    let field = |name: &str| -> u64 {
        result
            .split_whitespace()
            .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
            .unwrap()
            .parse()
            .unwrap()
    };
    assert_eq!(field("accepted"), EMFILE_CLIENTS as u64, "{result}");
    assert!(
        field("errors") >= 1,
        "never ran out of descriptors: {result}"
    );
    let cpu = field("starved_cpu_ms");
    assert!(
        cpu * 4 < STARVED.as_millis() as u64,
        "server burned {cpu} ms of CPU in {STARVED:?} without descriptors: it spins ({result})"
    );
    drop(clients);
}

fn emfile_server() {
    let rt = weave::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        // Room for HELD more descriptors, no more.
        let limit = open_fds() + HELD;
        let rl = libc::rlimit {
            rlim_cur: limit,
            rlim_max: limit.max(20_000),
        };
        // SAFETY: `setrlimit` reads a valid `rlimit`.
        assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &rl) }, 0);
        println!("PORT {}", listener.local_addr().unwrap().port());
        std::io::stdout().flush().unwrap();

        let mut held = Vec::new();
        let mut accepted = 0;
        let mut errors = 0;
        let mut starved_since: Option<(Instant, Duration)> = None;
        let mut starved_cpu = Duration::ZERO;
        while accepted < EMFILE_CLIENTS {
            match listener.accept().await {
                Ok((s, _)) => {
                    accepted += 1;
                    if starved_since.is_none() {
                        held.push(s);
                    }
                }
                Err(e) => {
                    assert_eq!(e.raw_os_error(), Some(libc::EMFILE), "{e}");
                    errors += 1;
                    let (since, cpu0) = *starved_since.get_or_insert((Instant::now(), cpu_time()));
                    if since.elapsed() >= STARVED {
                        starved_cpu = cpu_time() - cpu0;
                        held.clear();
                    }
                }
            }
        }
        println!(
            "RESULT accepted={accepted} errors={errors} starved_cpu_ms={}",
            starved_cpu.as_millis()
        );
    });
}

const STRESS_CONNS: usize = 10_000;
const STRESS_BYTES: usize = 4096;

/// 10,000 concurrent loopback connections, each echoing 4 KiB; every byte is
/// checked. The clients run in a child process so that neither process
/// needs more than about 10,000 descriptors.
#[test]
#[ignore = "slow: run with --ignored (.ci/run does)"]
fn ten_thousand_connections() {
    if is_child() {
        return stress_clients();
    }
    let rt = weave::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    raise_fd_limit(STRESS_CONNS as u64 + 500);
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = weave::spawn(async move {
            let mut conns = Vec::with_capacity(STRESS_CONNS);
            for _ in 0..STRESS_CONNS {
                let (mut s, _) = listener.accept().await.unwrap();
                conns.push(weave::spawn(async move {
                    let mut buf = vec![0u8; STRESS_BYTES];
                    s.read_exact(&mut buf).await.unwrap();
                    s.write_all(&buf).await.unwrap();
                    STRESS_BYTES
                }));
            }
            let mut total = 0;
            for c in conns {
                total += c.await.unwrap();
            }
            total
        });
        let clients = weave::task::spawn_blocking(move || {
            let mut c = Command::new(std::env::current_exe().unwrap())
                .args([
                    "--exact",
                    "ten_thousand_connections",
                    "--nocapture",
                    "--include-ignored",
                ])
                .env(CHILD_ENV, "1")
                .env("WEAVE_STRESS_PORT", port.to_string())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            let mut out = String::new();
            c.stdout.take().unwrap().read_to_string(&mut out).unwrap();
            (c.wait().unwrap(), out)
        });
        let total = server.await.unwrap();
        let (status, out) = clients.await.unwrap();
        assert!(status.success(), "client child failed: {out}");
        assert!(out.contains("CLIENTS OK"), "{out}");
        assert_eq!(total, STRESS_CONNS * STRESS_BYTES);
    });
}

fn raise_fd_limit(want: u64) {
    // SAFETY: `getrlimit`/`setrlimit` read and write a valid `rlimit`.
    unsafe {
        let mut rl = std::mem::zeroed::<libc::rlimit>();
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut rl), 0);
        assert!(
            rl.rlim_max >= want,
            "this test needs {want} file descriptors; the hard limit is {}",
            rl.rlim_max
        );
        rl.rlim_cur = rl.rlim_cur.max(want);
        assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &rl), 0);
    }
}

fn stress_clients() {
    raise_fd_limit(STRESS_CONNS as u64 + 500);
    let port: u16 = std::env::var("WEAVE_STRESS_PORT").unwrap().parse().unwrap();
    let rt = weave::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        // Connect everyone first, so all 10,000 are open at once.
        let mut streams = Vec::with_capacity(STRESS_CONNS);
        for _ in 0..STRESS_CONNS {
            streams.push(TcpStream::connect(("127.0.0.1", port)).await.unwrap());
        }
        let tasks: Vec<_> = streams
            .into_iter()
            .enumerate()
            .map(|(i, mut s)| {
                weave::spawn(async move {
                    let data: Vec<u8> = (0..STRESS_BYTES)
                        .map(|j| (i.wrapping_mul(7) ^ j) as u8)
                        .collect();
                    s.write_all(&data).await.unwrap();
                    let mut back = vec![0u8; STRESS_BYTES];
                    s.read_exact(&mut back).await.unwrap();
                    assert!(back == data, "connection {i}: echoed bytes differ");
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    });
    println!("CLIENTS OK");
}
