//! `select!`: winners, preconditions, patterns that disable a branch, `else`,
//! `biased;`, fairness, control flow in handlers, the all-disabled panic, 64
//! branches, channels and timers.

use std::future::{pending, poll_fn, ready, Future};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use weave::sync::{mpsc, oneshot};
use weave::time::{sleep, Instant};

/// Ready after `n` pending polls (waking itself each time).
fn ready_after<T>(n: usize, value: T) -> impl Future<Output = T> {
    let mut left = n;
    let mut value = Some(value);
    poll_fn(move |cx| {
        if left == 0 {
            Poll::Ready(value.take().unwrap())
        } else {
            left -= 1;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
}

/// Counts its drops.
struct DropGuard(Arc<AtomicUsize>);

impl Drop for DropGuard {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[weave::test]
async fn first_ready_wins() {
    let out = weave::select! {
        v = ready_after(5, "slow") => v,
        v = ready_after(1, "fast") => v,
        _ = pending::<()>() => unreachable!(),
    };
    assert_eq!(out, "fast");
}

#[weave::test]
async fn losers_are_dropped_before_the_handler_runs() {
    let dropped = Arc::new(AtomicUsize::new(0));
    let guard = DropGuard(dropped.clone());
    let seen = weave::select! {
        _ = async move {
            let _guard = guard;
            pending::<()>().await
        } => unreachable!(),
        () = ready_after(1, ()) => dropped.load(Ordering::SeqCst),
    };
    assert_eq!(seen, 1);
}

#[weave::test]
async fn preconditions_disable_branches() {
    let evaluated = AtomicUsize::new(0);
    let make = |v: u32| {
        evaluated.fetch_add(1, Ordering::SeqCst);
        async move { v }
    };
    let yes = true;
    let out = weave::select! {
        biased;
        v = make(1), if !yes => v,
        v = make(2), if yes => v,
    };
    assert_eq!(out, 2);
    // The disabled branch's future expression was still evaluated.
    assert_eq!(evaluated.load(Ordering::SeqCst), 2);
}

#[weave::test]
async fn mismatched_pattern_disables_only_that_branch() {
    let (tx, mut rx) = mpsc::channel::<u32>(1);
    drop(tx);
    let out = weave::select! {
        biased;
        Some(v) = rx.recv() => v,
        v = ready_after(3, 99) => v,
    };
    assert_eq!(out, 99);
}

#[weave::test]
async fn else_runs_when_every_branch_is_disabled() {
    let (tx, mut rx) = mpsc::channel::<u32>(1);
    drop(tx);
    let off = false;
    let out = weave::select! {
        Some(v) = rx.recv() => v,
        v = async { 1 }, if off => v,
        else => 0,
    };
    assert_eq!(out, 0);

    // `else` may come anywhere, and all preconditions may be false.
    let out = weave::select! {
        else => "else",
        _ = pending::<()>(), if off => "pending",
    };
    assert_eq!(out, "else");
}

#[weave::test]
#[should_panic(expected = "all branches are disabled and there is no else branch")]
async fn all_disabled_without_else_panics() {
    let (tx, mut rx) = mpsc::channel::<u32>(1);
    drop(tx);
    weave::select! {
        Some(_) = rx.recv() => {}
        _ = async {}, if false => {}
    }
}

#[weave::test]
async fn biased_picks_the_first_written_every_time() {
    for _ in 0..200 {
        let out = weave::select! {
            biased;
            v = ready(0) => v,
            v = ready(1) => v,
            v = ready(2) => v,
        };
        assert_eq!(out, 0);
    }
}

#[weave::test]
async fn unbiased_is_fair() {
    let mut wins = [0u32; 2];
    for _ in 0..1000 {
        let i = weave::select! {
            i = ready(0) => i,
            i = ready(1) => i,
        };
        wins[i] += 1;
    }
    assert!(wins[0] >= 300 && wins[1] >= 300, "{wins:?}");
}

#[weave::test]
async fn handlers_break_continue_and_await() {
    let (tx, mut rx) = mpsc::channel(16);
    for i in 0..10u32 {
        tx.send(i).await.unwrap();
    }
    drop(tx);
    let mut even_sum = 0;
    let mut rounds = 0;
    'outer: loop {
        rounds += 1;
        weave::select! {
            msg = rx.recv() => {
                let Some(i) = msg else { break 'outer };
                if i % 2 == 1 {
                    continue;
                }
                weave::task::yield_now().await;
                even_sum += i;
            }
        }
    }
    assert_eq!(even_sum, 2 + 4 + 6 + 8);
    assert_eq!(rounds, 11);

    // `break` with a value, and `continue` from the `else` handler.
    let mut n = 0;
    let found = loop {
        n += 1;
        weave::select! {
            v = async { n * 10 }, if n == 3 => break v,
            else => continue,
        }
    };
    assert_eq!(found, 30);
}

#[weave::test]
async fn handler_can_return_and_use_question_mark() {
    async fn first(fail: bool) -> Result<u32, String> {
        weave::select! {
            v = async { if fail { Err("no".to_string()) } else { Ok(1) } } => {
                let v = v?;
                if v > 0 {
                    return Ok(v + 1);
                }
            }
        }
        Ok(0)
    }
    assert_eq!(first(false).await, Ok(2));
    assert_eq!(first(true).await, Err("no".to_string()));
}

#[weave::test]
async fn handler_may_use_what_the_futures_borrowed() {
    // The futures (which borrow `rx` mutably) are gone when the handler runs.
    let (tx, mut rx) = mpsc::channel::<u32>(4);
    tx.send(1).await.unwrap();
    tx.send(2).await.unwrap();
    let rest = weave::select! {
        Some(first) = rx.recv() => {
            rx.close();
            let second = rx.recv().await;
            (first, second, rx.recv().await)
        }
    };
    assert_eq!(rest, (1, Some(2), None));
}

#[weave::test]
async fn bindings_with_ref_and_mut() {
    let out = weave::select! {
        (mut a, ref b) = async { (1, String::from("x")) } => {
            a += 1;
            format!("{a}{b}")
        }
    };
    assert_eq!(out, "2x");

    let out = weave::select! {
        Ok(mut v) | Err(mut v) = async { Err::<Vec<u8>, Vec<u8>>(vec![1]) } => {
            v.push(2);
            v
        }
    };
    assert_eq!(out, [1, 2]);
}

#[weave::test]
async fn sixty_four_branches() {
    // Branch 41 is the only one ready; the rest never are.
    let out = weave::select! {
        v = ready_after(usize::MAX, 0) => v, v = ready_after(usize::MAX, 1) => v,
        v = ready_after(usize::MAX, 2) => v, v = ready_after(usize::MAX, 3) => v,
        v = ready_after(usize::MAX, 4) => v, v = ready_after(usize::MAX, 5) => v,
        v = ready_after(usize::MAX, 6) => v, v = ready_after(usize::MAX, 7) => v,
        v = ready_after(usize::MAX, 8) => v, v = ready_after(usize::MAX, 9) => v,
        v = ready_after(usize::MAX, 10) => v, v = ready_after(usize::MAX, 11) => v,
        v = ready_after(usize::MAX, 12) => v, v = ready_after(usize::MAX, 13) => v,
        v = ready_after(usize::MAX, 14) => v, v = ready_after(usize::MAX, 15) => v,
        v = ready_after(usize::MAX, 16) => v, v = ready_after(usize::MAX, 17) => v,
        v = ready_after(usize::MAX, 18) => v, v = ready_after(usize::MAX, 19) => v,
        v = ready_after(usize::MAX, 20) => v, v = ready_after(usize::MAX, 21) => v,
        v = ready_after(usize::MAX, 22) => v, v = ready_after(usize::MAX, 23) => v,
        v = ready_after(usize::MAX, 24) => v, v = ready_after(usize::MAX, 25) => v,
        v = ready_after(usize::MAX, 26) => v, v = ready_after(usize::MAX, 27) => v,
        v = ready_after(usize::MAX, 28) => v, v = ready_after(usize::MAX, 29) => v,
        v = ready_after(usize::MAX, 30) => v, v = ready_after(usize::MAX, 31) => v,
        v = ready_after(usize::MAX, 32) => v, v = ready_after(usize::MAX, 33) => v,
        v = ready_after(usize::MAX, 34) => v, v = ready_after(usize::MAX, 35) => v,
        v = ready_after(usize::MAX, 36) => v, v = ready_after(usize::MAX, 37) => v,
        v = ready_after(usize::MAX, 38) => v, v = ready_after(usize::MAX, 39) => v,
        v = ready_after(usize::MAX, 40) => v, v = ready_after(3, 41) => v,
        v = ready_after(usize::MAX, 42) => v, v = ready_after(usize::MAX, 43) => v,
        v = ready_after(usize::MAX, 44) => v, v = ready_after(usize::MAX, 45) => v,
        v = ready_after(usize::MAX, 46) => v, v = ready_after(usize::MAX, 47) => v,
        v = ready_after(usize::MAX, 48) => v, v = ready_after(usize::MAX, 49) => v,
        v = ready_after(usize::MAX, 50) => v, v = ready_after(usize::MAX, 51) => v,
        v = ready_after(usize::MAX, 52) => v, v = ready_after(usize::MAX, 53) => v,
        v = ready_after(usize::MAX, 54) => v, v = ready_after(usize::MAX, 55) => v,
        v = ready_after(usize::MAX, 56) => v, v = ready_after(usize::MAX, 57) => v,
        v = ready_after(usize::MAX, 58) => v, v = ready_after(usize::MAX, 59) => v,
        v = ready_after(usize::MAX, 60) => v, v = ready_after(usize::MAX, 61) => v,
        v = ready_after(usize::MAX, 62) => v, Some(v) = ready_after(1, None::<usize>) => v,
        else => 1000,
    };
    assert_eq!(out, 41);
}

#[weave::test]
async fn channels_and_timers() {
    let (tx, mut rx) = mpsc::channel(4);
    let (done_tx, mut done_rx) = oneshot::channel::<()>();
    weave::spawn(async move {
        for i in 1..=3u32 {
            sleep(Duration::from_millis(5)).await;
            tx.send(i).await.unwrap();
        }
        done_tx.send(()).unwrap();
    });
    let mut got = Vec::new();
    let deadline = sleep(Duration::from_secs(10));
    weave::pin!(deadline);
    loop {
        weave::select! {
            Some(i) = rx.recv() => got.push(i),
            _ = &mut done_rx => break,
            _ = &mut deadline => panic!("timed out"),
        }
    }
    // Anything sent before `done` is still in the channel.
    while let Ok(i) = rx.try_recv() {
        got.push(i);
    }
    assert_eq!(got, [1, 2, 3]);
}

#[weave::test(start_paused = true)]
async fn timer_branch_wins_against_a_silent_channel() {
    let (_tx, mut rx) = mpsc::channel::<u32>(1);
    let start = Instant::now();
    let timed_out = weave::select! {
        _ = rx.recv() => false,
        _ = sleep(Duration::from_secs(2)) => true,
    };
    assert!(timed_out);
    let elapsed = start.elapsed();
    assert!(
        elapsed >= Duration::from_secs(2) && elapsed < Duration::from_secs(3),
        "{elapsed:?}"
    );
}

#[test]
fn always_ready_channels_do_not_hang_current_thread() {
    let rt = weave::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // A channel that never runs dry, selected in a loop; the spawned task
    // must still get to run on the one thread (each receive consumes the
    // task's cooperative budget, which eventually forces a yield).
    rt.block_on(async {
        let (tx, mut rx) = mpsc::unbounded_channel();
        for i in 0..100_000u32 {
            tx.send(i).unwrap();
        }
        let ran = Arc::new(AtomicUsize::new(0));
        let flag = ran.clone();
        let other = weave::spawn(async move {
            flag.store(1, Ordering::SeqCst);
        });
        let mut received = 0u32;
        while ran.load(Ordering::SeqCst) == 0 {
            weave::select! {
                Some(_) = rx.recv() => received += 1,
                _ = pending::<()>() => {}
            }
            assert!(received < 100_000, "the other task never ran");
        }
        other.await.unwrap();
    });
}

#[test]
fn select_works_without_a_runtime() {
    let out = futures::executor::block_on(async {
        weave::select! {
            v = ready_after(2, 'x') => v,
            _ = pending::<()>() => 'p',
        }
    });
    assert_eq!(out, 'x');
}

#[weave::test]
async fn nested_selects() {
    let out = weave::select! {
        v = async {
            weave::select! {
                biased;
                a = async { 1 } => a,
                b = async { 2 } => b,
            }
        } => {
            weave::select! {
                w = async { v * 10 } => w,
                else => 0,
            }
        }
    };
    assert_eq!(out, 10);
}

#[weave::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_multi_thread_runtime() {
    let (tx, mut rx) = mpsc::channel(1);
    let (stop_tx, mut stop_rx) = oneshot::channel::<()>();
    weave::spawn(async move {
        for i in 0..100u32 {
            tx.send(i).await.unwrap();
        }
        stop_tx.send(()).unwrap();
    });
    let mut sum = 0;
    let mut stopped = false;
    loop {
        weave::select! {
            Some(i) = rx.recv() => sum += i,
            _ = &mut stop_rx, if !stopped => stopped = true,
            else => break,
        }
    }
    assert!(stopped);
    assert_eq!(sum, (0..100).sum::<u32>());
}
