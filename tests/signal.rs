//! Integration tests for `weave::signal`.
//!
//! Tests in this file run in parallel in one process and signal handlers
//! are process-wide, so a test may see a delivery another test raised
//! (coalescing and extra notifications are allowed). Only tests using a
//! signal number no other test raises (a real-time signal of their own)
//! assert that nothing arrived. No test depends on wall-clock speed; the
//! timeouts are generous hang guards.

use std::future::{poll_fn, Future};
use std::os::raw::c_int;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use weave::signal::unix::{signal, SignalKind};

const GUARD: Duration = Duration::from_secs(20);

/// Sends `signum` to the calling thread (its handler runs before this
/// returns).
fn raise(signum: c_int) {
    // SAFETY: every caller installed a handler for `signum` first, so the
    // signal only runs that handler.
    let rc = unsafe { libc::raise(signum) };
    assert_eq!(rc, 0);
}

/// Sends `signum` to the whole process (any thread may run the handler).
fn kill_self(signum: c_int) {
    // SAFETY: as for `raise`; `getpid` cannot fail.
    let rc = unsafe { libc::kill(libc::getpid(), signum) };
    assert_eq!(rc, 0);
}

/// A signal number used by one test only (`offset` in 1..=4).
fn private_signal(offset: c_int) -> SignalKind {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let signum = libc::SIGRTMIN() + offset;
    // No real-time signals: signals nothing else here sends.
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let signum =
        [libc::SIGXCPU, libc::SIGXFSZ, libc::SIGVTALRM, libc::SIGPROF][offset as usize - 1];
    SignalKind::from_raw(signum)
}

async fn poll_once<F: Future>(fut: F) -> Poll<F::Output> {
    let mut fut = pin!(fut);
    poll_fn(|cx| Poll::Ready(fut.as_mut().poll(cx))).await
}

async fn guarded<F: Future>(fut: F) -> F::Output {
    weave::time::timeout(GUARD, fut)
        .await
        .expect("hang guard elapsed")
}

#[weave::test]
async fn receives_sigusr1() {
    let mut usr1 = signal(SignalKind::user_defined1()).unwrap();
    raise(libc::SIGUSR1);
    assert_eq!(guarded(usr1.recv()).await, Some(()));
}

#[weave::test(flavor = "multi_thread", worker_threads = 2)]
async fn receives_sighup_sent_to_the_process() {
    let mut hup = signal(SignalKind::hangup()).unwrap();
    kill_self(libc::SIGHUP);
    assert_eq!(guarded(hup.recv()).await, Some(()));
}

#[weave::test]
async fn several_streams_of_one_kind_all_see_it() {
    const N: usize = 4;
    let started = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..N {
        let started = started.clone();
        // Created before the task starts, so before the raise below.
        let mut usr2 = signal(SignalKind::user_defined2()).unwrap();
        tasks.push(weave::spawn(async move {
            started.fetch_add(1, SeqCst);
            usr2.recv().await
        }));
    }
    let mut mine = signal(SignalKind::user_defined2()).unwrap();
    raise(libc::SIGUSR2);
    assert_eq!(guarded(mine.recv()).await, Some(()));
    for t in tasks {
        assert_eq!(guarded(t).await.unwrap(), Some(()));
    }
    assert_eq!(started.load(SeqCst), N);
}

#[weave::test]
async fn pending_until_raised_and_coalesced() {
    let kind = private_signal(1);
    let mut sig = signal(kind).unwrap();
    assert!(poll_once(sig.recv()).await.is_pending());

    raise(kind.as_raw_value());
    assert_eq!(guarded(sig.recv()).await, Some(()));
    assert!(poll_once(sig.recv()).await.is_pending());

    // Raised three times before anyone looks: at least one notification,
    // possibly fewer than three.
    for _ in 0..3 {
        raise(kind.as_raw_value());
    }
    assert_eq!(guarded(sig.recv()).await, Some(()));
}

#[weave::test]
async fn a_stream_misses_nothing_while_not_polled() {
    let kind = private_signal(2);
    let mut sig = signal(kind).unwrap();
    // No one is waiting when it arrives; the next recv still sees it.
    raise(kind.as_raw_value());
    weave::task::yield_now().await;
    assert_eq!(guarded(sig.recv()).await, Some(()));
}

#[test]
fn two_runtimes_in_sequence() {
    for _ in 0..2 {
        let rt = weave::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let mut hup = signal(SignalKind::hangup()).unwrap();
            raise(libc::SIGHUP);
            assert_eq!(guarded(hup.recv()).await, Some(()));
        });
        drop(rt);
    }
}

#[test]
fn a_stream_outlives_its_runtime() {
    let kind = private_signal(3);
    let rt = weave::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut sig = rt.block_on(async { signal(kind).unwrap() });
    drop(rt);
    let rt = weave::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        raise(kind.as_raw_value());
        assert_eq!(guarded(sig.recv()).await, Some(()));
    });
}

#[test]
fn works_on_any_executor() {
    let kind = private_signal(4);
    let mut sig = signal(kind).unwrap();
    let waiter = std::thread::spawn(move || futures::executor::block_on(sig.recv()));
    kill_self(kind.as_raw_value());
    assert_eq!(waiter.join().unwrap(), Some(()));
}

#[test]
fn forbidden_and_invalid_kinds_are_refused() {
    for signum in [
        libc::SIGKILL,
        libc::SIGSTOP,
        libc::SIGSEGV,
        libc::SIGBUS,
        libc::SIGFPE,
        libc::SIGILL,
        0,
        -1,
        100_000,
    ] {
        let err = signal(SignalKind::from_raw(signum)).unwrap_err();
        assert!(err.to_string().contains(&signum.to_string()), "{err}");
    }
}

#[test]
fn kind_constructors_match_libc() {
    let cases = [
        (SignalKind::alarm(), libc::SIGALRM),
        (SignalKind::child(), libc::SIGCHLD),
        (SignalKind::hangup(), libc::SIGHUP),
        (SignalKind::interrupt(), libc::SIGINT),
        (SignalKind::io(), libc::SIGIO),
        (SignalKind::pipe(), libc::SIGPIPE),
        (SignalKind::quit(), libc::SIGQUIT),
        (SignalKind::terminate(), libc::SIGTERM),
        (SignalKind::user_defined1(), libc::SIGUSR1),
        (SignalKind::user_defined2(), libc::SIGUSR2),
        (SignalKind::window_change(), libc::SIGWINCH),
    ];
    for (kind, signum) in cases {
        assert_eq!(kind.as_raw_value(), signum);
        assert_eq!(SignalKind::from_raw(signum), kind);
        assert_eq!(SignalKind::from(signum), kind);
        assert_eq!(c_int::from(kind), signum);
    }
}

#[weave::test]
async fn ctrl_c_completes_on_sigint() {
    // Belt and braces: install the SIGINT handler before anything can
    // raise it, so a bug cannot kill the test process.
    let _guard = signal(SignalKind::interrupt()).unwrap();
    let mut ctrl_c = pin!(weave::signal::ctrl_c());
    // The first poll subscribes; only later deliveries count.
    assert!(poll_once(ctrl_c.as_mut()).await.is_pending());
    raise(libc::SIGINT);
    guarded(ctrl_c).await.unwrap();
}

/// Without a handler SIGINT would terminate the process; `ctrl_c` must have
/// replaced that. Checked in a child process (this test binary, re-run
/// with an environment variable) so a failure cannot take the harness down.
#[test]
fn ctrl_c_keeps_sigint_from_killing_the_process() {
    const CHILD: &str = "WEAVE_SIGNAL_TEST_CHILD";
    if std::env::var_os(CHILD).is_some() {
        let rt = weave::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let mut ctrl_c = pin!(weave::signal::ctrl_c());
            assert!(poll_once(ctrl_c.as_mut()).await.is_pending());
            kill_self(libc::SIGINT);
            guarded(ctrl_c).await.unwrap();
        });
        println!("child survived SIGINT");
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new(exe)
        .args([
            "--exact",
            "ctrl_c_keeps_sigint_from_killing_the_process",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("child survived SIGINT"),
        "child failed: {:?}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}
