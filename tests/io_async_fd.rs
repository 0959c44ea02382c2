//! Integration tests for `weave::io::unix::AsyncFd`.
//!
//! Each test wraps one end of a non-blocking `std` `UnixStream` pair and
//! drives readiness by writing to the other end. Nothing depends on
//! wall-clock speed: "still pending" is checked by polling a future once
//! after the reactor has demonstrably processed everything relevant, and the
//! timeouts are only generous guards against hangs.

use std::future::{poll_fn, Future};
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc};
use std::task::Poll;
use std::time::Duration;

use weave::io::unix::AsyncFd;
use weave::io::{Interest, Ready};

/// Hang guard only; tests never rely on it elapsing.
const GUARD: Duration = Duration::from_secs(20);

/// A connected pair: the first end non-blocking (to be wrapped), the second
/// blocking (written to by the test).
fn pair() -> (UnixStream, UnixStream) {
    let (a, b) = UnixStream::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    (a, b)
}

/// Polls `fut` exactly once.
async fn poll_once<F: Future>(fut: F) -> Poll<F::Output> {
    let mut fut = pin!(fut);
    poll_fn(|cx| Poll::Ready(fut.as_mut().poll(cx))).await
}

async fn guarded<F: Future>(fut: F) -> F::Output {
    weave::time::timeout(GUARD, fut)
        .await
        .expect("hang guard elapsed")
}

/// Reads until `WouldBlock`; returns the bytes read.
fn drain(s: &UnixStream) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 256];
    loop {
        match (&*s).read(&mut buf) {
            Ok(0) => return out,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return out,
            Err(e) => panic!("read failed: {e}"),
        }
    }
}

fn fd_is_open(fd: RawFd) -> bool {
    // SAFETY: F_GETFD only queries the descriptor's flags.
    unsafe { libc::fcntl(fd, libc::F_GETFD) != -1 }
}

#[weave::test]
async fn readable_after_write() {
    let (a, mut b) = pair();
    let a = AsyncFd::new(a).unwrap();
    b.write_all(b"hello").unwrap();
    let mut guard = guarded(a.readable()).await.unwrap();
    assert!(guard.ready().is_readable());
    let mut buf = [0u8; 16];
    let n = guard
        .try_io(|fd| fd.get_ref().read(&mut buf))
        .expect("data was written, the read cannot block")
        .unwrap();
    assert_eq!(&buf[..n], b"hello");
}

#[weave::test]
async fn writable_at_once_and_async_io() {
    let (a, mut b) = pair();
    let a = AsyncFd::new(a).unwrap();
    let guard = guarded(a.writable()).await.unwrap();
    assert!(guard.ready().is_writable());
    drop(guard);
    let n = guarded(a.async_io(Interest::WRITABLE, |s| (&*s).write(b"abc")))
        .await
        .unwrap();
    assert_eq!(n, 3);
    let mut buf = [0u8; 3];
    b.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"abc");

    // async_io waits through WouldBlock until data comes.
    let reader = async {
        let mut buf = [0u8; 8];
        let n = a
            .async_io(Interest::READABLE, |s| (&*s).read(&mut buf))
            .await
            .unwrap();
        buf[..n].to_vec()
    };
    let writer = async {
        weave::task::yield_now().await;
        b.write_all(b"later").unwrap();
    };
    let (got, ()) = guarded(async { futures::join!(reader, writer) }).await;
    assert_eq!(got, b"later");
}

#[weave::test]
async fn clear_ready_then_pending_until_new_data() {
    let (a, mut b) = pair();
    let a = AsyncFd::new(a).unwrap();
    b.write_all(b"one").unwrap();
    let mut guard = guarded(a.readable()).await.unwrap();
    assert_eq!(drain(guard.get_inner()), b"one");
    guard.clear_ready();
    assert!(guard.ready().is_empty());

    assert!(poll_once(a.readable()).await.is_pending());
    assert!(
        poll_once(poll_fn(|cx| a.poll_read_ready(cx).map(|r| r.map(drop))))
            .await
            .is_pending()
    );

    b.write_all(b"two").unwrap();
    let guard = guarded(a.readable()).await.unwrap();
    assert_eq!(drain(guard.get_inner()), b"two");
}

#[weave::test]
async fn dropped_guard_keeps_readiness() {
    let (a, mut b) = pair();
    let a = AsyncFd::new(a).unwrap();
    b.write_all(b"x").unwrap();
    drop(guarded(a.readable()).await.unwrap());
    let mut guard = match poll_once(a.readable()).await {
        Poll::Ready(g) => g.unwrap(),
        Poll::Pending => panic!("readiness lost by dropping a guard"),
    };
    guard.retain_ready();
    drop(guard);
    assert!(poll_once(a.readable()).await.is_ready());
}

#[weave::test]
async fn guard_try_io_would_block_clears() {
    let (a, mut b) = pair();
    let a = AsyncFd::new(a).unwrap();
    b.write_all(b"data").unwrap();
    let mut guard = guarded(a.readable()).await.unwrap();
    let mut buf = [0u8; 64];
    let first = guard.try_io(|fd| fd.get_ref().read(&mut buf));
    assert_eq!(first.unwrap().unwrap(), 4);
    assert!(!guard.ready().is_empty(), "success keeps the readiness");
    let second = guard.try_io(|fd| fd.get_ref().read(&mut buf));
    assert!(second.is_err(), "the socket is empty: WouldBlock");
    assert!(guard.ready().is_empty(), "WouldBlock cleared the guard");
    drop(guard);
    assert!(poll_once(a.readable()).await.is_pending());
}

#[weave::test]
async fn async_fd_try_io_would_block_clears() {
    let (a, mut b) = pair();
    let a = AsyncFd::new(a).unwrap();
    b.write_all(b"data").unwrap();
    drop(guarded(a.readable()).await.unwrap());
    let mut buf = [0u8; 64];
    assert_eq!(
        a.try_io(Interest::READABLE, |s| (&*s).read(&mut buf))
            .unwrap(),
        4
    );
    let err = a
        .try_io(Interest::READABLE, |s| (&*s).read(&mut buf))
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
    // The readiness is gone: the operation is not even attempted.
    let called = AtomicUsize::new(0);
    let err = a
        .try_io(Interest::READABLE, |_| {
            called.fetch_add(1, SeqCst);
            Ok(())
        })
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
    assert_eq!(called.load(SeqCst), 0);
}

#[weave::test]
async fn mut_guards_and_mut_waits() {
    let (a, mut b) = pair();
    let mut a = AsyncFd::new(a).unwrap();
    b.write_all(b"mut").unwrap();
    {
        let mut guard = guarded(a.readable_mut()).await.unwrap();
        assert!(guard.ready().is_readable());
        let mut buf = [0u8; 8];
        let n = guard.get_inner_mut().read(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"mut");
        let r = guard.try_io(|fd| fd.get_mut().read(&mut buf));
        assert!(r.is_err(), "drained: WouldBlock");
        assert_eq!(guard.get_ref().as_raw_fd(), guard.get_inner().as_raw_fd());
    }
    {
        let mut guard = guarded(a.writable_mut()).await.unwrap();
        guard.get_mut().get_mut().write_all(b"w").unwrap();
    }
    let mut buf = [0u8; 1];
    b.read_exact(&mut buf).unwrap();
    b.write_all(b"z").unwrap();
    let got = guarded(a.async_io_mut(Interest::READABLE, |s| {
        let mut buf = [0u8; 1];
        s.read(&mut buf).map(|_| buf[0])
    }))
    .await
    .unwrap();
    assert_eq!(got, b'z');
    let ready = guarded(poll_fn(|cx| {
        a.poll_write_ready_mut(cx).map(|r| r.map(|g| g.ready()))
    }))
    .await
    .unwrap();
    assert!(ready.is_writable());
}

#[weave::test]
async fn clear_ready_matching_keeps_the_rest() {
    let (a, mut b) = pair();
    let a = AsyncFd::new(a).unwrap();
    b.write_all(b"q").unwrap();
    // Wait until both directions are seen.
    let mut guard = loop {
        let g = guarded(a.ready(Interest::READABLE | Interest::WRITABLE))
            .await
            .unwrap();
        if g.ready().is_readable() && g.ready().is_writable() {
            break g;
        }
        drop(g);
        weave::task::yield_now().await;
    };
    assert_eq!(drain(guard.get_inner()), b"q");
    guard.clear_ready_matching(Ready::READABLE);
    assert!(!guard.ready().is_readable());
    assert!(guard.ready().is_writable());
    drop(guard);
    assert!(poll_once(a.readable()).await.is_pending());
    assert!(poll_once(a.writable()).await.is_ready());
}

/// The tick rule: a guard created before a newer event must not erase it.
#[weave::test]
async fn stale_clear_keeps_a_newer_event() {
    let (a, mut a_peer) = pair();
    let (c, mut c_peer) = pair();
    let a = AsyncFd::with_interest(a, Interest::READABLE).unwrap();
    let c = AsyncFd::with_interest(c, Interest::READABLE).unwrap();
    a_peer.write_all(b"1").unwrap();
    let mut stale = guarded(a.readable()).await.unwrap();
    // New data for `a`, then for `c`: once the reactor has reported `c`'s
    // event, it has also reported `a`'s newer one (written first).
    a_peer.write_all(b"2").unwrap();
    c_peer.write_all(b"3").unwrap();
    drop(guarded(c.readable()).await.unwrap());
    stale.clear_ready();
    assert!(
        poll_once(a.readable()).await.is_ready(),
        "a stale clear erased a newer event"
    );
    // A guard from after the newer event does clear it.
    let mut fresh = guarded(a.readable()).await.unwrap();
    assert_eq!(drain(fresh.get_inner()), b"12");
    fresh.clear_ready();
    assert!(poll_once(a.readable()).await.is_pending());
}

async fn many_waiters_all_woken() {
    const N: usize = 16;
    let (a, mut b) = pair();
    let a = Arc::new(AsyncFd::new(a).unwrap());
    let started = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let mut handles = Vec::new();
    for _ in 0..N {
        let (a, started, done) = (a.clone(), started.clone(), done.clone());
        handles.push(weave::spawn(async move {
            let mut readable = pin!(a.readable());
            // The first poll registers this waiter; count it after that.
            let first = poll_once(readable.as_mut()).await;
            assert!(first.is_pending(), "nothing written yet");
            started.fetch_add(1, SeqCst);
            readable.await.unwrap().retain_ready();
            done.fetch_add(1, SeqCst);
        }));
    }
    guarded(async {
        while started.load(SeqCst) < N {
            weave::task::yield_now().await;
        }
    })
    .await;
    assert_eq!(done.load(SeqCst), 0);
    b.write_all(b"go").unwrap();
    for h in handles {
        guarded(h).await.unwrap();
    }
    assert_eq!(done.load(SeqCst), N);
}

#[weave::test]
async fn many_waiters_all_woken_current_thread() {
    many_waiters_all_woken().await;
}

#[weave::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_waiters_all_woken_multi_thread() {
    many_waiters_all_woken().await;
}

#[weave::test]
async fn drop_deregisters_without_closing() {
    let (a, mut b) = pair();
    let fd = a.as_raw_fd();
    let first = AsyncFd::new(fd).unwrap();
    // epoll refuses to register the same descriptor twice at once; the
    // value comes back with the error.
    #[cfg(target_os = "linux")]
    {
        let (back, err) = AsyncFd::try_new(fd).unwrap_err().into_parts();
        assert_eq!(back, fd);
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists, "{err}");
    }
    drop(first);
    assert!(fd_is_open(fd), "dropping the AsyncFd closed the descriptor");

    // Deregistered: it can be wrapped again, and readiness still works.
    let second = AsyncFd::with_interest(fd, Interest::READABLE).unwrap();
    b.write_all(b"again").unwrap();
    drop(guarded(second.readable()).await.unwrap());
    assert_eq!(drain(&a), b"again");

    // into_inner deregisters too and hands the value back.
    assert_eq!(second.into_inner(), fd);
    let owned = AsyncFd::new(a).unwrap();
    let a = owned.into_inner();
    assert!(fd_is_open(a.as_raw_fd()));
    let third = AsyncFd::new(a).unwrap();
    assert!(format!("{third:?}").contains("AsyncFd"));
}

#[test]
fn runtime_shutdown_fails_a_pending_readable() {
    let rt = weave::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (a, _b) = pair();
    let a = {
        let _enter = rt.enter();
        Arc::new(AsyncFd::new(a).unwrap())
    };
    let (pending_tx, pending_rx) = mpsc::channel();
    let waiter = {
        let a = a.clone();
        std::thread::spawn(move || {
            futures::executor::block_on(async {
                let mut readable = pin!(a.readable());
                assert!(poll_once(readable.as_mut()).await.is_pending());
                pending_tx.send(()).unwrap();
                readable.await.map(drop)
            })
        })
    };
    pending_rx.recv_timeout(GUARD).expect("waiter never polled");
    drop(rt);
    let result = waiter.join().unwrap();
    assert!(result.is_err(), "a pending readable() survived shutdown");
    // Later waits fail at once.
    let again = futures::executor::block_on(a.readable()).map(drop);
    assert!(again.is_err());
    assert!(a.try_io(Interest::READABLE, |_| Ok(())).is_err());
}

#[test]
#[should_panic]
fn new_outside_a_runtime_panics() {
    let (a, _b) = pair();
    let _ = AsyncFd::new(a);
}
