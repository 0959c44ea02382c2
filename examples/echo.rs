//! A TCP echo server: every connection gets back whatever it sends.
//!
//! asyncio's version is `asyncio.start_server(handle, host, port)` with a
//! `handle(reader, writer)` coroutine; in weave each connection is a task.
//!
//! ```text
//! cargo run --release --example echo              # listens on 127.0.0.1:6142
//! nc 127.0.0.1 6142                               # type lines, see them echoed
//! cargo run --release --example echo -- --self-test
//! ```
//!
//! `--self-test` starts the server on a free port, runs 100 clients that each
//! send 64 KiB and check every byte that comes back, then exits.

use std::io;
use std::net::SocketAddr;
use weave::io::{AsyncReadExt, AsyncWriteExt};
use weave::net::{TcpListener, TcpStream};

/// Echoes one connection until the peer closes its side.
async fn handle(mut socket: TcpStream) -> io::Result<u64> {
    let (mut reader, mut writer) = socket.split();
    weave::io::copy(&mut reader, &mut writer).await
}

/// Accepts forever, one task per connection. Accept errors (such as running
/// out of file descriptors) are reported and the loop goes on; `accept`
/// paces itself after such errors, so this does not spin.
async fn serve(listener: TcpListener) {
    loop {
        match listener.accept().await {
            Ok((socket, peer)) => {
                weave::spawn(async move {
                    if let Err(e) = handle(socket).await {
                        eprintln!("{peer}: {e}");
                    }
                });
            }
            Err(e) => eprintln!("accept failed: {e}"),
        }
    }
}

async fn self_test() -> io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr: SocketAddr = listener.local_addr()?;
    weave::spawn(serve(listener));
    let clients: Vec<_> = (0..100u8)
        .map(|id| {
            weave::spawn(async move {
                let data: Vec<u8> = (0..64 * 1024).map(|i| (i as u8) ^ id).collect();
                let mut s = TcpStream::connect(addr).await?;
                let (mut r, mut w) = s.split();
                let send = async {
                    w.write_all(&data).await?;
                    w.shutdown().await
                };
                let mut back = Vec::with_capacity(data.len());
                let recv = r.read_to_end(&mut back);
                // Send and receive at once on this task (a sequential
                // write-then-read could fill both socket buffers and stall).
                weave::try_join!(send, recv)?;
                assert!(back == data, "client {id}: echoed bytes differ");
                Ok::<_, io::Error>(())
            })
        })
        .collect();
    for c in clients {
        c.await.expect("client task panicked")?;
    }
    println!("self-test passed: 100 clients x 64 KiB echoed intact");
    Ok(())
}

#[weave::main]
async fn main() -> io::Result<()> {
    if std::env::args().any(|a| a == "--self-test") {
        return self_test().await;
    }
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:6142".to_string());
    let listener = TcpListener::bind(&addr).await?;
    println!(
        "echo server on {}; try `nc {}`",
        listener.local_addr()?,
        addr.replace(':', " ")
    );
    serve(listener).await;
    Ok(())
}
