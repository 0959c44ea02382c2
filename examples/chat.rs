//! A chat server: every line a client sends goes to every other client.
//!
//! ```text
//! cargo run --release --example chat              # listens on 127.0.0.1:6143
//! nc 127.0.0.1 6143                               # in two or more terminals
//! cargo run --release --example chat -- --self-test
//! ```
//!
//! Each connection has two tasks: one reads lines from the client and
//! publishes them on a `broadcast` channel; the other forwards what others
//! published to the client. When the client disconnects, the reader
//! announces it and stops the writer. A client too slow to keep up is told
//! how many lines it missed instead of slowing everyone down.
//!
//! `--self-test` runs the server on a free port with three scripted clients
//! and checks what each of them receives.

use std::io;
use std::net::SocketAddr;
use weave::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use weave::net::{TcpListener, TcpStream};
use weave::sync::broadcast::{self, error::RecvError};

/// A line published on the channel, tagged with who sent it.
#[derive(Clone, Debug)]
struct Message {
    from: SocketAddr,
    text: String,
}

async fn handle(socket: TcpStream, peer: SocketAddr, hub: broadcast::Sender<Message>) {
    let (reader, mut writer) = socket.into_split();
    let mut inbox = hub.subscribe();
    let _ = hub.send(Message {
        from: peer,
        text: format!("* {peer} joined"),
    });

    // Forward everyone else's lines to this client.
    let forward = weave::spawn(async move {
        loop {
            let line = match inbox.recv().await {
                Ok(msg) if msg.from == peer => continue,
                Ok(msg) => format!("{}\n", msg.text),
                Err(RecvError::Lagged(n)) => format!("* you missed {n} lines\n"),
                Err(RecvError::Closed) => break,
            };
            if writer.write_all(line.as_bytes()).await.is_err() {
                break;
            }
        }
    });

    // Publish this client's lines until it disconnects.
    let mut lines = BufReader::new(reader).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        let _ = hub.send(Message {
            from: peer,
            text: format!("{peer}: {line}"),
        });
    }
    forward.abort();
    let _ = hub.send(Message {
        from: peer,
        text: format!("* {peer} left"),
    });
}

async fn serve(listener: TcpListener) {
    let (hub, _) = broadcast::channel(256);
    loop {
        match listener.accept().await {
            Ok((socket, peer)) => {
                weave::spawn(handle(socket, peer, hub.clone()));
            }
            Err(e) => eprintln!("accept failed: {e}"),
        }
    }
}

/// Reads lines from `lines` until one contains `needle`.
async fn expect_line<R>(lines: &mut weave::io::Lines<BufReader<R>>, needle: &str) -> String
where
    R: weave::io::AsyncRead + Unpin,
{
    loop {
        let line = lines
            .next_line()
            .await
            .expect("read failed")
            .unwrap_or_else(|| panic!("connection closed before {needle:?}"));
        if line.contains(needle) {
            return line;
        }
    }
}

async fn self_test() -> io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    weave::spawn(serve(listener));

    let connect = || async move {
        let (r, w) = TcpStream::connect(addr).await?.into_split();
        Ok::<_, io::Error>((BufReader::new(r).lines(), w))
    };
    let (mut alice_in, mut alice) = connect().await?;
    let (mut bob_in, mut bob) = connect().await?;
    let (mut carol_in, mut carol) = connect().await?;
    // Everyone is subscribed once they see the last one join.
    let carol_addr = carol.local_addr()?;
    expect_line(&mut alice_in, &format!("{carol_addr} joined")).await;
    expect_line(&mut bob_in, &format!("{carol_addr} joined")).await;

    alice.write_all(b"hello from alice\n").await?;
    assert!(expect_line(&mut bob_in, "hello from alice")
        .await
        .ends_with(": hello from alice"));
    assert!(expect_line(&mut carol_in, "hello from alice")
        .await
        .ends_with(": hello from alice"));

    bob.write_all(b"hi alice\n").await?;
    expect_line(&mut alice_in, "hi alice").await;
    expect_line(&mut carol_in, "hi alice").await;

    // Bob leaves; the others are told.
    let bob_addr = bob.local_addr()?;
    drop(bob);
    drop(bob_in);
    expect_line(&mut alice_in, &format!("{bob_addr} left")).await;
    expect_line(&mut carol_in, &format!("{bob_addr} left")).await;

    // Nobody receives their own lines back.
    carol.write_all(b"carol here\n").await?;
    expect_line(&mut alice_in, "carol here").await;
    alice.write_all(b"bye\n").await?;
    let next = expect_line(&mut carol_in, "bye").await;
    assert!(!next.contains("carol here"));
    println!("self-test passed: 3 clients chatted, joins and leaves announced");
    Ok(())
}

#[weave::main]
async fn main() -> io::Result<()> {
    if std::env::args().any(|a| a == "--self-test") {
        return self_test().await;
    }
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:6143".to_string());
    let listener = TcpListener::bind(&addr).await?;
    println!(
        "chat server on {}; connect with `nc`",
        listener.local_addr()?
    );
    serve(listener).await;
    Ok(())
}
