//! What is my server doing? A line-based TCP server in debug mode, whose
//! SIGUSR1 handler prints a dump of every task (aiomonitor's `ps`).
//!
//! ```text
//! cargo run --example monitor                # prints its pid and port
//! nc 127.0.0.1 6143                          # type lines; `block` stalls a worker
//! kill -USR1 <pid>                           # the task dump appears on stdout
//! cargo run --example monitor -- --self-test # all of it, checked, then exits
//! ```
//!
//! Each connection is a task named after its peer; a `ticker` task wakes
//! every second; the signal handler is a task too. A dump looks like:
//!
//! ```text
//! ID  STATE    POLLS  SINCE LAST POLL  BUSY     NAME                  SPAWNED AT
//!  3  idle         3  200.8ms          70.3µs   acceptor              examples/monitor.rs:113
//!  4  idle         1  201.3ms          10.2µs   ticker                examples/monitor.rs:114
//!  5  running      1  5.6µs            92.2µs   sigusr1               examples/monitor.rs:115
//!  6  idle         2  200.9ms          32.8µs   conn 127.0.0.1:36720  examples/monitor.rs:61
//!  7  idle         2  200.8ms          200.3ms  conn 127.0.0.1:36726  examples/monitor.rs:61
//! ```
//!
//! (Connection 7 sent `block`: 200 ms busy in two polls. The handler shows
//! as running because it is the task taking the dump.)
//!
//! The runtime is built in debug mode, so the dump has poll counts and
//! times, and a line that says `block` (which calls `std::thread::sleep` in
//! async code, the classic mistake) is reported on stderr as a slow poll
//! with the task's name and spawn line. Without debug mode the dump still
//! lists every task with its name, spawn location and state.

use std::io;
use std::sync::mpsc;
use std::time::Duration;
use weave::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use weave::net::{TcpListener, TcpStream};
use weave::runtime::{Builder, DebugEvent, Handle, TaskState};
use weave::signal::unix::{signal, SignalKind};

/// Answers each line with its length; `block` blocks the worker for 200 ms.
async fn handle(socket: TcpStream) -> io::Result<()> {
    let (reader, mut writer) = socket.into_split();
    let mut lines = BufReader::new(reader).lines();
    while let Some(line) = lines.next_line().await? {
        if line.trim() == "block" {
            // Wrong on purpose: this stalls every task on this worker.
            std::thread::sleep(Duration::from_millis(200));
        }
        writer
            .write_all(format!("{} bytes\n", line.len()).as_bytes())
            .await?;
    }
    Ok(())
}

async fn serve(listener: TcpListener) {
    loop {
        match listener.accept().await {
            Ok((socket, peer)) => {
                let name = format!("conn {peer}");
                let spawned = weave::task::Builder::new().name(&name).spawn(async move {
                    if let Err(e) = handle(socket).await {
                        eprintln!("{peer}: {e}");
                    }
                });
                if let Err(e) = spawned {
                    eprintln!("{peer}: cannot spawn: {e}");
                }
            }
            Err(e) => eprintln!("accept failed: {e}"),
        }
    }
}

/// Prints a task dump on every SIGUSR1; hands each dump to `dumps` too (for
/// the self-test).
async fn dump_on_sigusr1(dumps: mpsc::Sender<weave::runtime::Dump>) -> io::Result<()> {
    let mut usr1 = signal(SignalKind::user_defined1())?;
    let handle = Handle::current();
    while usr1.recv().await.is_some() {
        let dump = handle.dump();
        println!("--- task dump ({} tasks) ---\n{dump}", dump.tasks().len());
        let _ = dumps.send(dump);
    }
    Ok(())
}

async fn ticker() {
    let mut every = weave::time::interval(Duration::from_secs(1));
    loop {
        every.tick().await;
    }
}

fn main() -> io::Result<()> {
    let self_test = std::env::args().any(|a| a == "--self-test");
    let (events_tx, events_rx) = mpsc::channel::<DebugEvent>();
    let events_tx = std::sync::Mutex::new(events_tx);
    let rt = Builder::new_multi_thread()
        .enable_all()
        .debug(true)
        .on_debug_event(move |event| {
            eprintln!("{event}");
            let _ = events_tx.lock().unwrap().send(event.clone());
        })
        .build()?;
    let (dumps_tx, dumps_rx) = mpsc::channel();
    let port = if self_test { 0 } else { 6143 };
    let addr = rt.block_on(async move {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        let addr = listener.local_addr()?;
        let named = |name: &'static str| weave::task::Builder::new().name(name);
        named("acceptor").spawn(serve(listener))?;
        named("ticker").spawn(ticker())?;
        named("sigusr1").spawn(async move {
            if let Err(e) = dump_on_sigusr1(dumps_tx).await {
                eprintln!("SIGUSR1 handler: {e}");
            }
        })?;
        io::Result::Ok(addr)
    })?;
    println!(
        "pid {}, listening on {addr}; `kill -USR1 {}` prints a task dump",
        std::process::id(),
        std::process::id()
    );
    if !self_test {
        rt.block_on(std::future::pending::<()>());
        return Ok(());
    }
    // The clients stay connected until the dump has been checked.
    let clients = rt.block_on(check(addr))?;
    check_dump(&dumps_rx)?;
    drop(clients);
    check_slow_poll(&events_rx)?;
    println!("self-test passed");
    Ok(())
}

fn fail(msg: String) -> io::Error {
    io::Error::other(msg)
}

type Client = (
    weave::io::Lines<BufReader<weave::net::tcp::OwnedReadHalf>>,
    weave::net::tcp::OwnedWriteHalf,
);

/// Two clients connect; one says `block`; then SIGUSR1 asks for a dump.
async fn check(addr: std::net::SocketAddr) -> io::Result<Vec<Client>> {
    let mut clients = Vec::new();
    for line in ["hello", "block"] {
        let socket = TcpStream::connect(addr).await?;
        let (reader, mut writer) = socket.into_split();
        writer.write_all(format!("{line}\n").as_bytes()).await?;
        let mut reader = BufReader::new(reader).lines();
        let answer = reader.next_line().await?;
        if answer.as_deref() != Some(&format!("{} bytes", line.len())) {
            return Err(fail(format!("{line:?} got {answer:?}")));
        }
        clients.push((reader, writer));
    }
    // SAFETY: plain libc calls with no pointers; SIGUSR1 has a handler
    // installed (the `sigusr1` task registered it before `check` ran).
    let rc = unsafe { libc::kill(libc::getpid(), libc::SIGUSR1) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(clients)
}

fn check_dump(dumps: &mpsc::Receiver<weave::runtime::Dump>) -> io::Result<()> {
    let dump = dumps
        .recv_timeout(Duration::from_secs(10))
        .map_err(|_| fail("no dump after SIGUSR1".into()))?;
    let find = |name: &str| dump.tasks().iter().find(|t| t.name() == Some(name));
    for name in ["acceptor", "ticker", "sigusr1"] {
        let task = find(name).ok_or_else(|| fail(format!("{name} missing:\n{dump}")))?;
        if task.location().file() != file!() || task.polls().is_none() {
            return Err(fail(format!("{name}: bad row:\n{dump}")));
        }
    }
    if find("sigusr1").map(|t| t.state()) != Some(TaskState::Running) {
        return Err(fail(format!("the handler should be running:\n{dump}")));
    }
    let conns = dump
        .tasks()
        .iter()
        .filter(|t| t.name().is_some_and(|n| n.starts_with("conn ")))
        .count();
    if conns != 2 {
        return Err(fail(format!("expected 2 connections:\n{dump}")));
    }
    Ok(())
}

fn check_slow_poll(events: &mpsc::Receiver<DebugEvent>) -> io::Result<()> {
    let slow = events.try_iter().find_map(|e| match e {
        DebugEvent::SlowPoll { name, duration, .. } => Some((name, duration)),
        _ => None,
    });
    match slow {
        Some((Some(name), duration))
            if name.starts_with("conn ") && duration >= Duration::from_millis(190) =>
        {
            Ok(())
        }
        other => Err(fail(format!(
            "expected a slow poll of a connection, got {other:?}"
        ))),
    }
}
