//! Integration tests for `weave::time`: `sleep`, `timeout`, `interval`,
//! `Instant`, and the paused test clock.
//!
//! Every test of timer logic runs on a paused clock (`start_paused`), so an
//! hour-long timeout finishes in microseconds and every assertion about
//! elapsed time is exact. The only real-time tests are the multi-thread ones
//! at the end: they use short real durations and assert ordering only.

use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{mpsc, Arc, Mutex};
use std::task::{Context, Poll, Waker};

use weave::runtime::{Builder, Runtime};
use weave::task;
use weave::time::{
    self, error::Elapsed, interval, interval_at, sleep, sleep_until, timeout, timeout_at, Duration,
    FutureExt, Instant, MissedTickBehavior,
};

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// A current-thread runtime with a paused clock.
fn paused() -> Runtime {
    Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap()
}

/// Polls `f` once with a waker that does nothing.
fn poll_once<F: Future>(f: Pin<&mut F>) -> Poll<F::Output> {
    f.poll(&mut Context::from_waker(Waker::noop()))
}

/// Runs `f`, expecting it to panic, and returns the panic message.
fn panic_message(f: impl FnOnce()) -> String {
    let err = panic::catch_unwind(AssertUnwindSafe(f)).expect_err("expected a panic");
    if let Some(s) = err.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = err.downcast_ref::<String>() {
        s.clone()
    } else {
        panic!("panic payload is not a string")
    }
}

const MS: Duration = Duration::from_millis(1);
const HOUR: Duration = Duration::from_secs(3600);

fn _assert_traits() {
    fn send_sync<T: Send + Sync>() {}
    fn unpin<T: Unpin>() {}
    send_sync::<time::Sleep>();
    send_sync::<time::Timeout<std::future::Ready<()>>>();
    send_sync::<time::Interval>();
    send_sync::<Instant>();
    send_sync::<Elapsed>();
    unpin::<time::Interval>();
}

// ---------------------------------------------------------------------------
// sleep
// ---------------------------------------------------------------------------

#[weave::test(start_paused = true)]
async fn sleeps_complete_in_deadline_order() {
    let start = Instant::now();
    let order = Arc::new(Mutex::new(Vec::new()));
    let mut handles = Vec::new();
    for ms in [30u64, 10, 50, 20, 40] {
        let order = order.clone();
        handles.push(weave::spawn(async move {
            sleep(Duration::from_millis(ms)).await;
            order.lock().unwrap().push((ms, Instant::now() - start));
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    let order = order.lock().unwrap().clone();
    let expected: Vec<_> = [10u64, 20, 30, 40, 50]
        .iter()
        .map(|&ms| (ms, Duration::from_millis(ms)))
        .collect();
    assert_eq!(order, expected);
}

#[weave::test(start_paused = true)]
async fn sleep_until_waits_for_the_deadline() {
    let deadline = Instant::now() + Duration::from_secs(90);
    let s = sleep_until(deadline);
    assert_eq!(s.deadline(), deadline);
    s.await;
    assert_eq!(Instant::now(), deadline);
}

#[weave::test(start_paused = true)]
async fn past_deadline_completes_on_first_poll() {
    time::advance(Duration::from_secs(10)).await;
    let mut s = pin!(sleep_until(Instant::now() - Duration::from_secs(1)));
    assert!(poll_once(s.as_mut()).is_ready());
    assert!(s.is_elapsed());
}

#[weave::test(start_paused = true)]
async fn zero_sleep_completes_without_moving_the_clock() {
    let start = Instant::now();
    sleep(Duration::ZERO).await;
    assert_eq!(Instant::now(), start);
}

#[weave::test(start_paused = true)]
async fn duration_max_never_fires_and_never_panics() {
    let start = Instant::now();
    let s = sleep(Duration::MAX);
    assert!(s.deadline() > start + Duration::from_secs(86_400 * 365 * 20));
    let res = timeout(HOUR, s).await;
    assert!(res.is_err());
    assert_eq!(start.elapsed(), HOUR);

    // A timeout of Duration::MAX is "no timeout".
    assert_eq!(timeout(Duration::MAX, async { 5 }).await, Ok(5));
    let mut never = pin!(timeout(Duration::MAX, std::future::pending::<()>()));
    assert!(poll_once(never.as_mut()).is_pending());
    assert!(timeout(HOUR, never).await.is_err());

    // Far deadlines elsewhere saturate too.
    let mut iv = interval_at(start, Duration::MAX);
    assert_eq!(iv.tick().await, start);
    iv.reset();
    iv.reset_after(Duration::MAX);
}

#[weave::test(start_paused = true)]
async fn sleep_reset_earlier() {
    let start = Instant::now();
    let mut s = pin!(sleep(HOUR));
    assert!(poll_once(s.as_mut()).is_pending()); // registered
    s.as_mut().reset(start + Duration::from_secs(1));
    assert_eq!(s.deadline(), start + Duration::from_secs(1));
    s.await;
    assert_eq!(start.elapsed(), Duration::from_secs(1));
}

#[weave::test(start_paused = true)]
async fn sleep_reset_later() {
    let start = Instant::now();
    let mut s = pin!(sleep(Duration::from_secs(1)));
    assert!(poll_once(s.as_mut()).is_pending());
    s.as_mut().reset(start + Duration::from_secs(5));
    s.await;
    assert_eq!(start.elapsed(), Duration::from_secs(5));
}

#[weave::test(start_paused = true)]
async fn sleep_reset_while_a_task_waits_on_it() {
    // Another task is parked on the sleep when it is reset earlier: it must
    // be woken at the new deadline, not the old one.
    let start = Instant::now();
    let s = Arc::new(Mutex::new(Box::pin(sleep(HOUR))));
    let waiter = {
        let s = s.clone();
        weave::spawn(async move {
            std::future::poll_fn(|cx| s.lock().unwrap().as_mut().poll(cx)).await;
            Instant::now()
        })
    };
    task::yield_now().await; // let the waiter register
    s.lock()
        .unwrap()
        .as_mut()
        .reset(start + Duration::from_secs(2));
    assert_eq!(waiter.await.unwrap(), start + Duration::from_secs(2));
}

#[weave::test(start_paused = true)]
async fn sleep_reset_after_completion_sleeps_again() {
    let start = Instant::now();
    let mut s = pin!(sleep(Duration::from_secs(1)));
    (&mut s).await;
    assert!(s.is_elapsed());
    s.as_mut().reset(Instant::now() + Duration::from_secs(1));
    assert!(!s.is_elapsed());
    (&mut s).await;
    assert_eq!(start.elapsed(), Duration::from_secs(2));
    // Reset before ever being polled.
    let mut t = pin!(sleep(HOUR));
    t.as_mut().reset(Instant::now() + MS);
    t.await;
    assert_eq!(start.elapsed(), Duration::from_secs(2) + MS);
}

#[weave::test(start_paused = true)]
async fn is_elapsed_tracks_firing() {
    let mut s = pin!(sleep(Duration::from_millis(10)));
    assert!(!s.is_elapsed());
    assert!(poll_once(s.as_mut()).is_pending());
    assert!(!s.is_elapsed());
    time::advance(Duration::from_millis(10)).await;
    assert!(s.is_elapsed());
    assert!(poll_once(s.as_mut()).is_ready());
}

#[weave::test(start_paused = true)]
async fn dropping_a_registered_sleep_is_clean() {
    for _ in 0..1000 {
        let mut s = pin!(sleep(Duration::from_secs(1)));
        assert!(poll_once(s.as_mut()).is_pending());
    }
    // The dropped timers must not fire into freed memory or wake anything.
    sleep(Duration::from_secs(2)).await;
}

// ---------------------------------------------------------------------------
// timeout
// ---------------------------------------------------------------------------

#[weave::test(start_paused = true)]
async fn timeout_returns_the_output_in_time() {
    let start = Instant::now();
    let res = timeout(Duration::from_secs(2), async {
        sleep(Duration::from_secs(1)).await;
        "ok"
    })
    .await;
    assert_eq!(res, Ok("ok"));
    assert_eq!(start.elapsed(), Duration::from_secs(1));
}

#[weave::test(start_paused = true)]
async fn timeout_elapses() {
    let start = Instant::now();
    let err = timeout(HOUR, sleep(2 * HOUR)).await.unwrap_err();
    assert_eq!(err.clone(), err);
    assert_eq!(start.elapsed(), HOUR);
    let err = timeout(MS, std::future::pending::<()>()).await.unwrap_err();
    assert_eq!(err.to_string(), "deadline has elapsed");
    let io: std::io::Error = err.into();
    assert_eq!(io.kind(), std::io::ErrorKind::TimedOut);
}

#[weave::test(start_paused = true)]
async fn timeout_polls_the_future_first() {
    // Deadline already passed, future ready: the future wins.
    let past = Instant::now();
    time::advance(Duration::from_secs(1)).await;
    assert_eq!(timeout_at(past, async { 1 }).await, Ok(1));
    assert_eq!(timeout(Duration::ZERO, async { 2 }).await, Ok(2));
    // Deadline passed, future pending: elapsed on the first poll.
    let mut t = pin!(timeout_at(past, std::future::pending::<()>()));
    assert!(matches!(poll_once(t.as_mut()), Poll::Ready(Err(_))));
}

#[weave::test(start_paused = true)]
async fn timeout_accessors() {
    let mut t = timeout(Duration::from_secs(1), std::future::ready(3));
    let _: &std::future::Ready<i32> = t.get_ref();
    *t.get_mut() = std::future::ready(4);
    assert_eq!(t.await, Ok(4));
    let t = timeout(Duration::from_secs(1), std::future::ready(5));
    assert_eq!(t.into_inner().await, 5);
}

#[weave::test(start_paused = true)]
async fn timeout_on_join_handle_leaves_the_task_running() {
    let finished = Arc::new(AtomicBool::new(false));
    let mut handle = {
        let finished = finished.clone();
        weave::spawn(async move {
            sleep(Duration::from_secs(10)).await;
            finished.store(true, SeqCst);
            "done"
        })
    };
    // Waiting gives up after 1 s...
    assert!(timeout(Duration::from_secs(1), &mut handle).await.is_err());
    assert!(!finished.load(SeqCst));
    assert!(!handle.is_finished());
    // ...but the task runs on, and the handle still works.
    assert_eq!(handle.await.unwrap(), "done");
    assert!(finished.load(SeqCst));
}

#[weave::test(start_paused = true)]
async fn timeout_on_join_handle_then_abort() {
    let mut handle = weave::spawn(async {
        sleep(HOUR).await;
    });
    assert!(timeout(Duration::from_secs(1), &mut handle).await.is_err());
    handle.abort();
    assert!(handle.await.unwrap_err().is_cancelled());
}

#[weave::test(start_paused = true)]
async fn timeout_into_inner_recovers_the_join_handle() {
    let start = Instant::now();
    let t = timeout(
        Duration::from_secs(1),
        weave::spawn(async {
            sleep(Duration::from_secs(5)).await;
            7
        }),
    );
    // Never polled: the handle comes back whole and can be awaited unbounded.
    let handle = t.into_inner();
    assert_eq!(handle.await.unwrap(), 7);
    assert_eq!(start.elapsed(), Duration::from_secs(5));
}

#[weave::test(start_paused = true)]
async fn dropping_a_timed_out_join_handle_detaches() {
    let (tx, rx) = weave::sync::oneshot::channel();
    let handle = weave::spawn(async move {
        sleep(Duration::from_secs(10)).await;
        tx.send(()).unwrap();
    });
    assert!(timeout(Duration::from_secs(1), handle).await.is_err());
    // The Timeout (and the handle inside) is gone; the task is not.
    rx.await.unwrap();
}

#[weave::test(start_paused = true)]
async fn future_ext_timeout() {
    assert_eq!(async { 9 }.timeout(Duration::from_secs(1)).await, Ok(9));
    let start = Instant::now();
    let res = sleep(HOUR).timeout(Duration::from_secs(30)).await;
    assert!(res.is_err());
    assert_eq!(start.elapsed(), Duration::from_secs(30));
}

#[test]
fn timeout_fires_even_if_the_future_exhausts_its_budget() {
    // Real clock: the busy future never lets the runtime idle, so a paused
    // clock could not auto-advance.
    let rt = Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let busy = async {
            loop {
                task::consume_budget().await;
            }
        };
        let res = weave::spawn(timeout(Duration::from_millis(5), busy)).await;
        assert!(res.unwrap().is_err());
    });
}

#[test]
fn timers_fire_while_the_block_on_future_keeps_yielding() {
    // Real clock, as above. The main future of `block_on` (not a spawned
    // task) yields in a loop and checks a 5 ms sleep each time: the
    // current-thread scheduler must still turn its timer driver.
    let rt = Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let mut deadline = pin!(sleep(Duration::from_millis(5)));
        let mut spins = 0u64;
        while poll_once(deadline.as_mut()).is_pending() {
            task::yield_now().await;
            spins += 1;
        }
        assert!(spins > 0);
    });
}

// ---------------------------------------------------------------------------
// interval
// ---------------------------------------------------------------------------

#[weave::test(start_paused = true)]
async fn interval_ticks_at_period() {
    let start = Instant::now();
    let p = Duration::from_millis(100);
    let mut iv = interval(p);
    assert_eq!(iv.period(), p);
    assert_eq!(iv.missed_tick_behavior(), MissedTickBehavior::Burst);
    for k in 0..5u32 {
        assert_eq!(iv.tick().await, start + p * k);
        assert_eq!(Instant::now(), start + p * k);
    }
}

#[weave::test(start_paused = true)]
async fn interval_at_starts_at_start() {
    let now = Instant::now();
    let start = now + Duration::from_secs(3);
    let mut iv = interval_at(start, Duration::from_secs(1));
    assert_eq!(iv.tick().await, start);
    assert_eq!(Instant::now(), start);
    assert_eq!(iv.tick().await, start + Duration::from_secs(1));
    // A start in the past ticks at once.
    let mut iv = interval_at(now, Duration::from_secs(1));
    assert_eq!(iv.tick().await, now);
}

#[weave::test(start_paused = true)]
async fn interval_does_not_drift() {
    let start = Instant::now();
    let p = Duration::from_millis(10);
    let mut iv = interval(p);
    for k in 0..20u32 {
        let t = iv.tick().await;
        assert_eq!(t, start + p * k);
        sleep(Duration::from_millis(3)).await; // work shorter than the period
    }
}

/// Ticks at 0, 50 and 100 ms, then stalls until 210 ms (the tick due at
/// 150 ms is missed) and returns what the next four ticks report and when
/// they complete, in ms from the start.
async fn missed_ticks(behavior: MissedTickBehavior) -> Vec<(u64, u64)> {
    let start = Instant::now();
    let ms = |t: Instant| (t - start).as_millis() as u64;
    let mut iv = interval(Duration::from_millis(50));
    iv.set_missed_tick_behavior(behavior);
    assert_eq!(iv.missed_tick_behavior(), behavior);
    for k in 0..3 {
        assert_eq!(ms(iv.tick().await), 50 * k);
    }
    sleep_until(start + Duration::from_millis(210)).await;
    let mut out = Vec::new();
    for _ in 0..4 {
        let t = iv.tick().await;
        out.push((ms(t), ms(Instant::now())));
    }
    out
}

#[weave::test(start_paused = true)]
async fn missed_ticks_burst() {
    assert_eq!(
        missed_ticks(MissedTickBehavior::Burst).await,
        [(150, 210), (200, 210), (250, 250), (300, 300)]
    );
}

#[weave::test(start_paused = true)]
async fn missed_ticks_delay() {
    assert_eq!(
        missed_ticks(MissedTickBehavior::Delay).await,
        [(150, 210), (260, 260), (310, 310), (360, 360)]
    );
}

#[weave::test(start_paused = true)]
async fn missed_ticks_skip() {
    assert_eq!(
        missed_ticks(MissedTickBehavior::Skip).await,
        [(150, 210), (250, 250), (300, 300), (350, 350)]
    );
}

#[weave::test(start_paused = true)]
async fn burst_catches_up_every_missed_tick() {
    let start = Instant::now();
    let mut iv = interval(Duration::from_millis(10));
    iv.tick().await;
    sleep(Duration::from_millis(100)).await;
    // Ten ticks (10..=100 ms) are due: all complete without the clock moving.
    for k in 1..=10u32 {
        assert_eq!(iv.tick().await, start + Duration::from_millis(10) * k);
        assert_eq!(start.elapsed(), Duration::from_millis(100));
    }
    assert_eq!(iv.tick().await, start + Duration::from_millis(110));
}

#[weave::test(start_paused = true)]
async fn slightly_late_ticks_keep_the_schedule() {
    // 4 ms late is within the tolerance: even Delay keeps the grid.
    let start = Instant::now();
    let mut iv = interval(Duration::from_millis(50));
    iv.set_missed_tick_behavior(MissedTickBehavior::Delay);
    iv.tick().await;
    sleep(Duration::from_millis(54)).await;
    assert_eq!(iv.tick().await, start + Duration::from_millis(50));
    assert_eq!(iv.tick().await, start + Duration::from_millis(100));
}

#[weave::test(start_paused = true)]
async fn interval_reset_variants() {
    let p = Duration::from_millis(100);
    let mut iv = interval(p);
    iv.tick().await;

    sleep(Duration::from_millis(30)).await;
    let t0 = Instant::now();
    iv.reset();
    assert_eq!(iv.tick().await, t0 + p);
    assert_eq!(iv.tick().await, t0 + 2 * p);

    let t1 = Instant::now();
    iv.reset_immediately();
    assert_eq!(iv.tick().await, t1);
    assert_eq!(Instant::now(), t1);
    assert_eq!(iv.tick().await, t1 + p);

    let t2 = Instant::now();
    iv.reset_after(Duration::from_millis(7));
    assert_eq!(iv.tick().await, t2 + Duration::from_millis(7));
    assert_eq!(iv.tick().await, t2 + Duration::from_millis(107));

    let at = Instant::now() + Duration::from_secs(5);
    iv.reset_at(at);
    assert_eq!(iv.tick().await, at);
    assert_eq!(iv.tick().await, at + p);
}

#[weave::test(start_paused = true)]
async fn interval_reset_while_a_tick_is_pending() {
    let start = Instant::now();
    let mut iv = interval(HOUR);
    iv.tick().await;
    {
        let mut tick = pin!(iv.tick());
        assert!(poll_once(tick.as_mut()).is_pending()); // registered for +1h
    }
    iv.reset_after(Duration::from_secs(1));
    assert_eq!(iv.tick().await, start + Duration::from_secs(1));
}

#[weave::test(start_paused = true)]
async fn poll_tick_by_hand() {
    let mut iv = interval(Duration::from_millis(5));
    let a = std::future::poll_fn(|cx| iv.poll_tick(cx)).await;
    let b = std::future::poll_fn(|cx| iv.poll_tick(cx)).await;
    assert_eq!(b - a, Duration::from_millis(5));
}

#[test]
fn interval_zero_panics() {
    let rt = paused();
    let _guard = rt.enter();
    let msg = panic_message(|| drop(interval(Duration::ZERO)));
    assert!(msg.contains("period must be non-zero"), "{msg}");
    let msg = panic_message(|| drop(interval_at(Instant::now(), Duration::ZERO)));
    assert!(msg.contains("period must be non-zero"), "{msg}");
}

// ---------------------------------------------------------------------------
// The clock: Instant, pause, resume, advance, auto-advance
// ---------------------------------------------------------------------------

#[weave::test(start_paused = true)]
async fn instant_now_follows_the_paused_clock() {
    let t0 = Instant::now();
    std::thread::sleep(Duration::from_millis(5));
    assert_eq!(Instant::now(), t0);
    assert_eq!(t0.elapsed(), Duration::ZERO);
    time::advance(Duration::from_secs(2)).await;
    assert_eq!(Instant::now() - t0, Duration::from_secs(2));
}

#[test]
fn instant_arithmetic_and_conversions() {
    let std_now = std::time::Instant::now();
    let a = Instant::from_std(std_now);
    assert_eq!(a.into_std(), std_now);
    assert_eq!(Instant::from(std_now), a);
    assert_eq!(std::time::Instant::from(a), std_now);
    let b = a + Duration::from_secs(3);
    assert_eq!(b - a, Duration::from_secs(3));
    assert_eq!(a - b, Duration::ZERO);
    assert_eq!(b - Duration::from_secs(3), a);
    assert_eq!(b.duration_since(a), Duration::from_secs(3));
    assert_eq!(a.duration_since(b), Duration::ZERO);
    assert_eq!(a.checked_duration_since(b), None);
    assert_eq!(a.saturating_duration_since(b), Duration::ZERO);
    assert_eq!(a.checked_add(Duration::from_secs(3)), Some(b));
    assert_eq!(b.checked_sub(Duration::from_secs(3)), Some(a));
    assert_eq!(a.checked_add(Duration::MAX), None);
    let mut c = a;
    c += Duration::from_secs(1);
    c -= Duration::from_secs(1);
    assert_eq!(c, a);
    assert!(a < b);
    let mut set = std::collections::HashSet::new();
    set.insert(a);
    assert!(set.contains(&a));
    assert!(!format!("{a:?}").is_empty());
    // Outside a runtime, now() is the OS clock.
    let before = std::time::Instant::now();
    let now = Instant::now().into_std();
    assert!(now >= before && now <= std::time::Instant::now());
}

#[test]
fn pause_resume_advance() {
    let rt = Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        time::pause();
        let t0 = Instant::now();
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(Instant::now(), t0);

        time::advance(Duration::from_secs(1)).await;
        assert_eq!(Instant::now(), t0 + Duration::from_secs(1));

        time::resume();
        std::thread::sleep(Duration::from_millis(2));
        let t1 = Instant::now();
        assert!(t1 > t0 + Duration::from_secs(1));
        // The paused span was not counted.
        assert!(t1 - t0 < Duration::from_secs(1) + Duration::from_secs(5));

        time::pause();
        let t2 = Instant::now();
        assert!(t2 >= t1);
        time::resume();
    });
}

#[weave::test(start_paused = true)]
async fn advance_fires_timers_that_became_due() {
    let fired = Arc::new(AtomicBool::new(false));
    let sleeper = {
        let fired = fired.clone();
        weave::spawn(async move {
            sleep(Duration::from_millis(500)).await;
            fired.store(true, SeqCst);
        })
    };
    task::yield_now().await; // let it register
    time::advance(Duration::from_millis(499)).await;
    assert!(!fired.load(SeqCst));
    time::advance(MS).await;
    assert!(fired.load(SeqCst));
    sleeper.await.unwrap();
}

#[weave::test(start_paused = true)]
async fn auto_advance_runs_an_hour_instantly() {
    let real = std::time::Instant::now();
    let start = Instant::now();
    sleep(HOUR).await;
    assert_eq!(start.elapsed(), HOUR);
    assert!(
        real.elapsed() < Duration::from_secs(5),
        "{:?}",
        real.elapsed()
    );
}

#[test]
fn spawn_blocking_holds_auto_advance_back() {
    // While a blocking task runs, the paused clock must not jump: the 1-hour
    // sleep completes only after the blocking task is done, and then at
    // once (the end of the blocking task must let auto-advance resume). A
    // watchdog turns a hang into a failure.
    let (done_tx, done_rx) = mpsc::channel();
    std::thread::spawn(move || {
        paused().block_on(async {
            let (tx, rx) = mpsc::channel();
            let blocking = {
                let tx = tx.clone();
                task::spawn_blocking(move || {
                    std::thread::sleep(Duration::from_millis(50));
                    tx.send("blocking").unwrap();
                })
            };
            let sleeper = weave::spawn(async move {
                sleep(HOUR).await;
                tx.send("sleep").unwrap();
            });
            sleeper.await.unwrap();
            blocking.await.unwrap();
            let order: Vec<_> = rx.try_iter().collect();
            done_tx.send(order).unwrap();
        });
    });
    let order = done_rx
        .recv_timeout(Duration::from_secs(20))
        .expect("the 1-hour sleep never completed: auto-advance did not resume after the blocking task ended");
    assert_eq!(order, ["blocking", "sleep"]);
}

#[test]
fn pause_twice_panics() {
    let rt = paused();
    let msg = panic_message(|| rt.block_on(async { time::pause() }));
    assert!(msg.contains("already paused"), "{msg}");
}

#[test]
fn pause_on_multi_thread_runtime_panics() {
    let rt = Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let msg = panic_message(|| rt.block_on(async { time::pause() }));
    assert!(
        msg.contains("requires the `current_thread` runtime"),
        "{msg}"
    );
}

#[test]
fn resume_and_advance_need_a_paused_clock() {
    let rt = Builder::new_current_thread().enable_all().build().unwrap();
    let msg = panic_message(|| rt.block_on(async { time::resume() }));
    assert!(msg.contains("not paused"), "{msg}");
    let msg = panic_message(|| rt.block_on(time::advance(MS)));
    assert!(msg.contains("paused"), "{msg}");
}

// ---------------------------------------------------------------------------
// Missing runtime / missing time driver
// ---------------------------------------------------------------------------

#[test]
fn sleep_outside_a_runtime_panics() {
    let msg = panic_message(|| drop(sleep(MS)));
    assert!(msg.contains("outside a runtime"), "{msg}");
    assert!(msg.contains("time::sleep"), "{msg}");
    let msg = panic_message(|| drop(timeout(MS, async {})));
    assert!(msg.contains("outside a runtime"), "{msg}");
    let msg = panic_message(|| drop(interval(MS)));
    assert!(msg.contains("outside a runtime"), "{msg}");
    let msg = panic_message(time::pause);
    assert!(msg.contains("outside a runtime"), "{msg}");
}

#[test]
fn sleep_without_enable_time_panics() {
    let rt = Builder::new_current_thread().build().unwrap();
    let msg = panic_message(|| rt.block_on(async { drop(sleep(MS)) }));
    assert!(msg.contains("enable_time"), "{msg}");
    let msg = panic_message(|| rt.block_on(async { drop(sleep_until(Instant::now())) }));
    assert!(msg.contains("enable_time"), "{msg}");
    let msg = panic_message(|| rt.block_on(async { drop(timeout(MS, async {})) }));
    assert!(msg.contains("enable_time"), "{msg}");
    // Instant::now() does not need the time driver.
    rt.block_on(async { Instant::now() });
}

// ---------------------------------------------------------------------------
// Multi-thread, real clock: ordering only, generous bounds
// ---------------------------------------------------------------------------

fn multi() -> Runtime {
    Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn timers_created_on_one_thread_fire_on_another() {
    let rt = multi();
    let (tx, rx) = mpsc::channel();
    rt.block_on(async {
        // Created here (the block_on thread), awaited on the workers.
        let mut handles = Vec::new();
        for ms in [60u64, 20, 100, 40] {
            let s = sleep(Duration::from_millis(ms));
            let tx = tx.clone();
            handles.push(weave::spawn(async move {
                s.await;
                tx.send(ms).unwrap();
            }));
        }
        for h in handles {
            h.await.unwrap();
        }
    });
    let order: Vec<_> = rx.try_iter().collect();
    assert_eq!(order, [20, 40, 60, 100]);
}

#[test]
fn sleep_polled_by_another_executor() {
    // Timer futures only need a Waker: the runtime's workers drive the
    // timer, a plain block_on on this thread waits for it.
    let rt = multi();
    let s = {
        let _guard = rt.enter();
        sleep(Duration::from_millis(20))
    };
    let start = std::time::Instant::now();
    futures::executor::block_on(s);
    assert!(start.elapsed() >= Duration::from_millis(20));
}

#[test]
fn timeouts_across_workers_real_clock() {
    let rt = multi();
    rt.block_on(async {
        let slow = weave::spawn(async {
            timeout(Duration::from_millis(20), sleep(Duration::from_secs(30))).await
        });
        let fast = weave::spawn(async {
            timeout(Duration::from_secs(30), sleep(Duration::from_millis(20))).await
        });
        assert!(slow.await.unwrap().is_err());
        assert!(fast.await.unwrap().is_ok());
        let start = Instant::now();
        let mut iv = interval(Duration::from_millis(10));
        for _ in 0..5 {
            iv.tick().await;
        }
        assert!(start.elapsed() >= Duration::from_millis(40));
    });
}

#[test]
fn a_sleep_moved_between_tasks_fires_once() {
    let rt = multi();
    rt.block_on(async {
        let mut s = Box::pin(sleep(Duration::from_millis(30)));
        assert!(poll_once(s.as_mut()).is_pending()); // registered from here
        let h = weave::spawn(async move {
            s.as_mut().await;
            s.is_elapsed()
        });
        assert!(h.await.unwrap());
    });
}
