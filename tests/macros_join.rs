//! `join!` and `try_join!`: output order, concurrency, fairness, `biased;`,
//! short-circuiting on the first error.

use std::cell::RefCell;
use std::future::{pending, poll_fn, Future};
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use weave::sync::oneshot;
use weave::time::{sleep, Instant};

/// Sets its flag when dropped.
struct DropGuard(Arc<AtomicUsize>);

impl Drop for DropGuard {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

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

#[weave::test]
async fn empty_join_is_unit() {
    let () = weave::join!();
    let unit: Result<(), ()> = weave::try_join!();
    assert_eq!(unit, Ok(()));
}

#[weave::test]
async fn outputs_in_written_order() {
    let (a, b, c) = weave::join!(
        ready_after(3, "a"),
        ready_after(0, 2u8),
        ready_after(1, 'c'),
    );
    assert_eq!((a, b, c), ("a", 2, 'c'));

    let (one,) = weave::join!(async { 1 });
    assert_eq!(one, 1);

    // Trailing comma, and non-future `IntoFuture` values.
    let (x, y) = weave::join!(std::future::ready(1), async { 2 },);
    assert_eq!(x + y, 3);
}

#[weave::test(start_paused = true)]
async fn futures_run_concurrently() {
    let start = Instant::now();
    let (a, b, c) = weave::join!(
        async {
            sleep(Duration::from_secs(3)).await;
            3
        },
        async {
            sleep(Duration::from_secs(1)).await;
            1
        },
        async {
            sleep(Duration::from_secs(2)).await;
            2
        },
    );
    assert_eq!((a, b, c), (3, 1, 2));
    let elapsed = start.elapsed();
    assert!(elapsed >= Duration::from_secs(3), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(3500), "{elapsed:?}");
}

#[weave::test(flavor = "multi_thread")]
async fn works_on_multi_thread_runtime() {
    let (tx, rx) = oneshot::channel();
    let (got, ()) = weave::join!(async { rx.await.unwrap() }, async {
        weave::task::yield_now().await;
        tx.send(7).unwrap();
    });
    assert_eq!(got, 7);
}

/// Records, in order, which branch is polled.
fn recording(id: usize, log: Rc<RefCell<Vec<usize>>>, polls: usize) -> impl Future<Output = ()> {
    ready_after(polls, ()).then_log(id, log)
}

trait ThenLog: Future + Sized {
    fn then_log(
        self,
        id: usize,
        log: Rc<RefCell<Vec<usize>>>,
    ) -> impl Future<Output = Self::Output> {
        let mut fut = Box::pin(self);
        poll_fn(move |cx| {
            log.borrow_mut().push(id);
            fut.as_mut().poll(cx)
        })
    }
}

impl<F: Future> ThenLog for F {}

#[weave::test]
async fn starting_branch_rotates() {
    let log = Rc::new(RefCell::new(Vec::new()));
    weave::join!(
        recording(0, log.clone(), 3),
        recording(1, log.clone(), 3),
        recording(2, log.clone(), 3),
    );
    let log = log.borrow();
    // Four polls of three branches; the first branch polled moves along by
    // one each time.
    assert_eq!(*log, [0, 1, 2, 1, 2, 0, 2, 0, 1, 0, 1, 2]);
}

#[weave::test]
async fn biased_polls_in_order() {
    let log = Rc::new(RefCell::new(Vec::new()));
    weave::join!(
        biased;
        recording(0, log.clone(), 2),
        recording(1, log.clone(), 2),
        recording(2, log.clone(), 2),
    );
    assert_eq!(*log.borrow(), [0, 1, 2, 0, 1, 2, 0, 1, 2]);
}

#[weave::test]
async fn always_ready_branch_does_not_starve_others() {
    // Branch 0 makes progress on every poll and would finish after 1000;
    // branch 1 only needs 10 polls. Branch 1 must be polled on every poll of
    // the join, so it finishes after about 10 of them.
    let polls = Rc::new(RefCell::new(0usize));
    let counter = polls.clone();
    let slow = poll_fn(move |cx| {
        *counter.borrow_mut() += 1;
        if *counter.borrow() == 1000 {
            Poll::Ready(())
        } else {
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    });
    let finished_at = Rc::new(RefCell::new(None));
    let record = finished_at.clone();
    let count = polls.clone();
    weave::join!(slow, async move {
        ready_after(10, ()).await;
        *record.borrow_mut() = Some(*count.borrow());
    });
    let at = finished_at.borrow().unwrap();
    assert!(at <= 12, "finished after {at} polls of the other branch");
}

#[weave::test]
async fn many_futures() {
    let out = weave::join!(
        async { 0 },
        async { 1 },
        async { 2 },
        async { 3 },
        async { 4 },
        async { 5 },
        async { 6 },
        async { 7 },
        async { 8 },
        async { 9 },
        async { 10 },
        async { 11 },
        async { 12 },
        async { 13 },
        async { 14 },
        async { 15 },
        async { 16 },
        async { 17 },
        async { 18 },
        async { 19 },
        async { 20 },
        async { 21 },
        async { 22 },
        async { 23 },
        async { 24 },
        async { 25 },
        async { 26 },
        async { 27 },
        async { 28 },
        async { 29 },
        async { 30 },
        async { 31 },
        async { 32 },
        async { 33 },
        async { 34 },
        async { 35 },
        async { 36 },
        async { 37 },
        async { 38 },
        async { 39 },
        async { 40 },
        async { 41 },
        async { 42 },
        async { 43 },
        async { 44 },
        async { 45 },
        async { 46 },
        async { 47 },
        async { 48 },
        async { 49 },
        async { 50 },
        async { 51 },
        async { 52 },
        async { 53 },
        async { 54 },
        async { 55 },
        async { 56 },
        async { 57 },
        async { 58 },
        async { 59 },
        async { 60 },
        async { 61 },
        async { 62 },
        async { 63 },
        async { 64 },
    );
    assert_eq!(out.0, 0);
    assert_eq!(out.11, 11);
    assert_eq!(out.64, 64);
}

#[weave::test]
async fn try_join_all_ok() {
    let res: Result<(u8, &str, char), String> = weave::try_join!(
        async { Ok(1) },
        async {
            ready_after(2, ()).await;
            Ok("two")
        },
        std::future::ready(Ok('3')),
    );
    assert_eq!(res, Ok((1, "two", '3')));

    let (x,) = weave::try_join!(biased; async { Ok::<_, ()>(5) }).unwrap();
    assert_eq!(x, 5);
}

#[weave::test]
async fn try_join_short_circuits_and_drops_the_rest() {
    let dropped = Arc::new(AtomicUsize::new(0));
    let guard = DropGuard(dropped.clone());
    let start = std::time::Instant::now();
    let res: Result<((), u32), &str> = weave::try_join!(
        async move {
            let _guard = guard;
            pending::<()>().await;
            Ok(())
        },
        async {
            ready_after(2, ()).await;
            Err("boom")
        },
    );
    assert_eq!(res, Err("boom"));
    // The pending future was dropped as soon as the error came back.
    assert_eq!(dropped.load(Ordering::SeqCst), 1);
    assert!(start.elapsed() < Duration::from_secs(5));
}

#[weave::test(start_paused = true)]
async fn try_join_returns_the_first_error() {
    let res: Result<((), ()), u32> = weave::try_join!(
        async {
            sleep(Duration::from_secs(2)).await;
            Err(2)
        },
        async {
            sleep(Duration::from_secs(1)).await;
            Err(1)
        },
    );
    assert_eq!(res, Err(1));
}

#[weave::test]
async fn try_join_with_question_mark() {
    async fn inner() -> Result<u32, std::num::ParseIntError> {
        let (a, b) = weave::try_join!(async { "4".parse::<u32>() }, async { "5".parse::<u32>() })?;
        Ok(a * b)
    }
    assert_eq!(inner().await, Ok(20));
}

#[test]
fn join_works_without_a_runtime() {
    // Only the waker is used: a plain executor is enough.
    let (a, b) =
        futures::executor::block_on(async { weave::join!(ready_after(3, 1), async { 2 }) });
    assert_eq!(a + b, 3);
}
