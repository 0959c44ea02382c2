//! tokio-util (codec `Framed` + `LinesCodec`, `CancellationToken`,
//! `LocalPoolHandle`) and tokio-stream (wrappers + `StreamExt`) on weave.

use std::time::Duration;

use futures::SinkExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_stream::wrappers::{IntervalStream, ReceiverStream, TcpListenerStream};
use tokio_stream::StreamExt;
use tokio_util::codec::{Framed, LinesCodec};
use tokio_util::sync::CancellationToken;

/// A line server over `Framed<TcpStream, LinesCodec>` that answers each line
/// upper-cased; the client sends 1,000 lines and checks every answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn framed_lines_codec_over_tcp() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let mut lines = Framed::new(stream, LinesCodec::new_with_max_length(1024));
        let mut n = 0;
        while let Some(line) = lines.next().await {
            let line = line.unwrap();
            lines.send(line.to_uppercase()).await.unwrap();
            n += 1;
        }
        n
    });

    let stream = TcpStream::connect(addr).await.unwrap();
    let mut lines = Framed::new(stream, LinesCodec::new());
    for i in 0..1000 {
        lines.send(format!("line number {i}")).await.unwrap();
        let answer = lines.next().await.unwrap().unwrap();
        assert_eq!(answer, format!("LINE NUMBER {i}"));
    }
    // Pipelined: send a batch, then read the batch back in order.
    for i in 0..100 {
        lines.feed(format!("batch {i}")).await.unwrap();
    }
    SinkExt::<String>::flush(&mut lines).await.unwrap();
    for i in 0..100 {
        assert_eq!(lines.next().await.unwrap().unwrap(), format!("BATCH {i}"));
    }
    drop(lines);
    assert_eq!(server.await.unwrap(), 1100);
}

/// tokio-util's `CancellationToken` (built on weave's `Notify`) stopping
/// tasks on weave's runtime: child tokens, `run_until_cancelled`, and
/// `select!` against weave's timers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancellation_token_interop() {
    let root = CancellationToken::new();
    let mut workers = tokio::task::JoinSet::new();
    for i in 0..10u32 {
        let token = root.child_token();
        workers.spawn(async move {
            let mut ticks = 0u32;
            loop {
                tokio::select! {
                    _ = token.cancelled() => return (i, ticks),
                    _ = tokio::time::sleep(Duration::from_millis(5)) => ticks += 1,
                }
            }
        });
    }
    let long = root
        .child_token()
        .run_until_cancelled_owned(tokio::time::sleep(Duration::from_secs(3600)));
    let long = tokio::spawn(long);

    // A sibling cancelled alone does not touch the others.
    let lone = root.child_token();
    lone.cancel();
    assert!(lone.is_cancelled() && !root.is_cancelled());

    tokio::time::sleep(Duration::from_millis(50)).await;
    let started = tokio::time::Instant::now();
    root.cancel();
    let mut seen = Vec::new();
    while let Some(done) = workers.join_next().await {
        let (i, ticks) = done.unwrap();
        assert!(ticks >= 1, "worker {i} never ticked");
        seen.push(i);
    }
    seen.sort();
    assert_eq!(seen, (0..10).collect::<Vec<_>>());
    assert_eq!(long.await.unwrap(), None);
    assert!(started.elapsed() < Duration::from_secs(2));

    // Awaiting a token cancelled from another thread.
    let token = CancellationToken::new();
    let waiter = tokio::spawn({
        let token = token.clone();
        async move { token.cancelled_owned().await }
    });
    std::thread::spawn(move || token.cancel());
    tokio::time::timeout(Duration::from_secs(5), waiter)
        .await
        .expect("cancel from another thread not seen")
        .unwrap();
}

/// tokio-util's `LocalPoolHandle` runs `!Send` futures on threads each with
/// a weave `LocalRuntime`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_pool_runs_not_send_futures() {
    let pool = tokio_util::task::LocalPoolHandle::new(2);
    let mut handles = Vec::new();
    for i in 0..8u32 {
        handles.push(pool.spawn_pinned(move || async move {
            let local = std::rc::Rc::new(i);
            tokio::task::yield_now().await;
            let inner = tokio::task::spawn_local({
                let local = local.clone();
                async move { *local * 2 }
            });
            *local + inner.await.unwrap()
        }));
    }
    for (i, h) in handles.into_iter().enumerate() {
        assert_eq!(h.await.unwrap(), 3 * i as u32);
    }
}

#[tokio::test]
async fn receiver_stream_with_stream_ext() {
    let (tx, rx) = mpsc::channel(8);
    tokio::spawn(async move {
        for i in 0..100u32 {
            tx.send(i).await.unwrap();
        }
    });
    let evens: Vec<u32> = ReceiverStream::new(rx)
        .filter(|n| n % 2 == 0)
        .map(|n| n * 10)
        .collect()
        .await;
    assert_eq!(
        evens,
        (0..100)
            .filter(|n| n % 2 == 0)
            .map(|n| n * 10)
            .collect::<Vec<_>>()
    );

    let (tx, rx) = mpsc::unbounded_channel();
    for i in 0..5 {
        tx.send(i).unwrap();
    }
    drop(tx);
    let mut stream = tokio_stream::wrappers::UnboundedReceiverStream::new(rx);
    let mut got = Vec::new();
    while let Some(n) = stream.next().await {
        got.push(n);
    }
    assert_eq!(got, vec![0, 1, 2, 3, 4]);
}

#[tokio::test(start_paused = true)]
async fn interval_stream_on_weave_timers() {
    let start = tokio::time::Instant::now();
    let interval = tokio::time::interval(Duration::from_secs(10));
    let ticks: Vec<_> = IntervalStream::new(interval).take(4).collect().await;
    assert_eq!(ticks.len(), 4);
    for (i, t) in ticks.iter().enumerate() {
        assert_eq!(t.duration_since(start), Duration::from_secs(10 * i as u64));
    }
    // `StreamExt::timeout` from tokio-stream, driven by weave's clock.
    let slow = tokio_stream::iter(0..3).then(|n| async move {
        tokio::time::sleep(Duration::from_secs(n * 5)).await;
        n
    });
    let results: Vec<_> = slow.timeout(Duration::from_secs(7)).collect().await;
    assert!(results[0].is_ok() && results[1].is_ok());
    assert!(results[2].is_err(), "{results:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_listener_stream_accepts() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let clients = tokio::spawn(async move {
        for i in 0..5u8 {
            use tokio::io::AsyncWriteExt;
            let mut s = TcpStream::connect(addr).await.unwrap();
            s.write_all(&[i]).await.unwrap();
        }
    });
    let mut incoming = TcpListenerStream::new(listener).take(5);
    let mut got = Vec::new();
    while let Some(stream) = incoming.next().await {
        use tokio::io::AsyncReadExt;
        let mut stream = stream.unwrap();
        let mut b = [0u8];
        stream.read_exact(&mut b).await.unwrap();
        got.push(b[0]);
    }
    clients.await.unwrap();
    got.sort();
    assert_eq!(got, vec![0, 1, 2, 3, 4]);
}
