//! `weave::task_local!` and `weave::task::LocalKey` through the public API.
#![cfg(not(loom))]

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use weave::runtime::Builder;
use weave::task::{self, AccessError, LocalKey};

weave::task_local! {
    static NUMBER: u32;
    pub static NAME: String;
    #[allow(dead_code)]
    static UNUSED: Vec<u8>
}

// The macro is also reachable as `weave::task::task_local!`.
weave::task::task_local! {
    static OTHER: u64;
}

fn multi_thread() -> weave::runtime::Runtime {
    Builder::new_multi_thread()
        .worker_threads(4)
        .build()
        .unwrap()
}

fn current_thread() -> weave::runtime::Runtime {
    Builder::new_current_thread().build().unwrap()
}

#[test]
fn key_type_is_local_key() {
    let _: &'static LocalKey<u32> = &NUMBER;
    assert_eq!(format!("{:?}", NUMBER), "LocalKey { .. }");
}

#[test]
fn visible_across_awaits_and_worker_threads() {
    multi_thread().block_on(async {
        let handles: Vec<_> = (0..16u32)
            .map(|i| {
                weave::spawn(NUMBER.scope(i, async move {
                    let mut threads = std::collections::HashSet::new();
                    for _ in 0..200 {
                        assert_eq!(NUMBER.get(), i);
                        threads.insert(std::thread::current().id());
                        task::yield_now().await;
                        assert_eq!(NUMBER.get(), i);
                    }
                    threads.len()
                }))
            })
            .collect();
        for h in handles {
            assert!(h.await.unwrap() >= 1);
        }
    });
}

#[test]
fn not_visible_outside_or_to_other_futures_on_same_thread() {
    current_thread().block_on(async {
        let observed = Arc::new(Mutex::new(Vec::new()));
        let o = observed.clone();
        // A plain task interleaves with a scoped one on the one thread.
        let plain = weave::spawn(async move {
            for _ in 0..10 {
                o.lock().unwrap().push(NUMBER.try_get());
                task::yield_now().await;
            }
        });
        let scoped = weave::spawn(NUMBER.scope(5, async {
            for _ in 0..10 {
                assert_eq!(NUMBER.get(), 5);
                task::yield_now().await;
            }
        }));
        plain.await.unwrap();
        scoped.await.unwrap();
        assert!(observed.lock().unwrap().iter().all(|r| r.is_err()));
        assert!(NUMBER.try_get().is_err());
    });
}

#[test]
fn nested_scopes_restore_outer_value() {
    current_thread().block_on(async {
        NUMBER
            .scope(1, async {
                assert_eq!(NUMBER.get(), 1);
                let inner = NUMBER
                    .scope(2, async {
                        task::yield_now().await;
                        let innermost = NUMBER.sync_scope(3, || NUMBER.get());
                        assert_eq!(innermost, 3);
                        NUMBER.get()
                    })
                    .await;
                assert_eq!(inner, 2);
                task::yield_now().await;
                assert_eq!(NUMBER.get(), 1);
            })
            .await;
        assert!(NUMBER.try_get().is_err());
    });
}

#[test]
fn two_keys_are_independent() {
    multi_thread().block_on(async {
        NUMBER
            .scope(10, async {
                assert!(NAME.try_get().is_err());
                NAME.scope("ten".to_string(), async {
                    task::yield_now().await;
                    assert_eq!(NUMBER.get(), 10);
                    assert_eq!(NAME.get(), "ten");
                    OTHER
                        .scope(99, async {
                            assert_eq!(OTHER.get() + u64::from(NUMBER.get()), 109);
                        })
                        .await;
                    assert!(OTHER.try_get().is_err());
                })
                .await;
                assert!(NAME.try_get().is_err());
                assert_eq!(NUMBER.get(), 10);
            })
            .await;
    });
}

#[test]
fn try_with_outside_scope_is_err() {
    let err: AccessError = NUMBER.try_with(|n| *n).unwrap_err();
    assert_eq!(err.to_string(), "task-local value not set");
    assert_eq!(format!("{err:?}"), "AccessError");
    let _: &dyn std::error::Error = &err;
    assert!(NAME.try_get().is_err());
}

#[test]
#[should_panic(expected = "task-local value accessed outside its scope")]
fn with_outside_scope_panics() {
    NUMBER.with(|_| ());
}

#[test]
#[should_panic(expected = "task-local value accessed outside its scope")]
fn get_outside_scope_panics() {
    NUMBER.get();
}

#[test]
fn sync_scope_sets_and_restores() {
    let r = NAME.sync_scope("outer".into(), || {
        let inner = NAME.sync_scope("inner".into(), || NAME.with(|s| s.clone()));
        assert_eq!(inner, "inner");
        NAME.get()
    });
    assert_eq!(r, "outer");
    assert!(NAME.try_get().is_err());
}

#[test]
fn sync_scope_panic_restores_outer_value() {
    NUMBER.sync_scope(1, || {
        let r = std::panic::catch_unwind(|| NUMBER.sync_scope(2, || panic!("boom")));
        assert!(r.is_err());
        assert_eq!(NUMBER.get(), 1);
    });
    assert!(NUMBER.try_get().is_err());
}

#[test]
#[should_panic(expected = "while the task-local is borrowed by `with`")]
fn scope_inside_with_of_same_key_panics() {
    NUMBER.sync_scope(1, || NUMBER.with(|_| NUMBER.sync_scope(2, || ())));
}

/// A future whose poll panics the first time.
struct PanicOnPoll;

impl Future for PanicOnPoll {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        assert_eq!(NUMBER.get(), 2);
        panic!("poll panicked");
    }
}

#[test]
fn panicking_poll_restores_outer_value() {
    NUMBER.sync_scope(1, || {
        let mut fut = Box::pin(NUMBER.scope(2, PanicOnPoll));
        let mut cx = Context::from_waker(futures::task::noop_waker_ref());
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _ = fut.as_mut().poll(&mut cx);
        }));
        assert!(r.is_err());
        assert_eq!(NUMBER.get(), 1);
        // The value is still owned by the future.
        assert_eq!(fut.as_mut().take_value(), Some(2));
    });
}

#[test]
fn spawned_task_does_not_inherit_scope() {
    multi_thread().block_on(async {
        let seen = NUMBER
            .scope(7, async {
                assert_eq!(NUMBER.get(), 7);
                weave::spawn(async { NUMBER.try_get() }).await.unwrap()
            })
            .await;
        assert!(seen.is_err());
    });
}

#[test]
fn works_under_other_executor() {
    let v = futures::executor::block_on(NAME.scope("x".into(), async {
        task::yield_now().await;
        NAME.get()
    }));
    assert_eq!(v, "x");
}

#[test]
fn take_value_before_completion_hides_it() {
    let mut cx = Context::from_waker(futures::task::noop_waker_ref());
    let mut fut = Box::pin(NUMBER.scope(3, async {
        let first = NUMBER.try_get();
        task::yield_now().await;
        (first, NUMBER.try_get())
    }));
    assert!(fut.as_mut().poll(&mut cx).is_pending());
    assert_eq!(fut.as_mut().take_value(), Some(3));
    match fut.as_mut().poll(&mut cx) {
        Poll::Ready((first, second)) => {
            assert_eq!(first, Ok(3));
            assert!(second.is_err());
        }
        Poll::Pending => panic!("should be ready"),
    }
}

#[test]
#[should_panic(expected = "`TaskLocalFuture` polled after it completed")]
fn poll_after_completion_panics() {
    let mut cx = Context::from_waker(futures::task::noop_waker_ref());
    let mut fut = Box::pin(NUMBER.scope(1, async {}));
    assert!(fut.as_mut().poll(&mut cx).is_ready());
    let _ = fut.as_mut().poll(&mut cx);
}

/// Records, when dropped, the task-local value it could see.
struct SeesOnDrop {
    log: Arc<Mutex<Vec<String>>>,
}

impl Drop for SeesOnDrop {
    fn drop(&mut self) {
        let seen = NAME.try_get().unwrap_or_else(|_| "<unset>".to_string());
        self.log
            .lock()
            .unwrap()
            .push(format!("future dropped, saw {seen}"));
    }
}

/// A value that logs its own drop.
#[derive(Clone)]
struct Logged {
    log: Arc<Mutex<Vec<String>>>,
}

impl Drop for Logged {
    fn drop(&mut self) {
        self.log.lock().unwrap().push("value dropped".into());
    }
}

weave::task_local! {
    static LOGGED: Logged;
}

#[test]
fn unfinished_future_dropped_with_value_set_then_value_dropped() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let guard = SeesOnDrop { log: log.clone() };
    let mut fut = Box::pin(NAME.scope("request-1".to_string(), async move {
        let _guard = guard;
        std::future::pending::<()>().await;
    }));
    let mut cx = Context::from_waker(futures::task::noop_waker_ref());
    assert!(fut.as_mut().poll(&mut cx).is_pending());
    assert!(NAME.try_get().is_err());
    drop(fut);
    assert_eq!(*log.lock().unwrap(), ["future dropped, saw request-1"]);
    assert!(NAME.try_get().is_err());
}

#[test]
fn never_polled_future_dropped_with_value_set() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let guard = SeesOnDrop { log: log.clone() };
    let fut = NAME.scope("early".to_string(), async move {
        let _guard = guard;
    });
    drop(fut);
    assert_eq!(*log.lock().unwrap(), ["future dropped, saw early"]);
}

#[test]
fn completed_future_drops_its_state_in_scope_and_value_with_future() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let guard = SeesOnDrop { log: log.clone() };
    let value = Logged { log: log.clone() };
    let drops = Arc::new(AtomicUsize::new(0));
    let d = drops.clone();
    futures::executor::block_on(async {
        let fut = LOGGED.scope(
            value,
            NAME.scope("done".to_string(), async move {
                let _guard = guard;
                task::yield_now().await;
                d.fetch_add(1, SeqCst);
            }),
        );
        fut.await;
    });
    assert_eq!(drops.load(SeqCst), 1);
    assert_eq!(
        *log.lock().unwrap(),
        ["future dropped, saw done", "value dropped"]
    );
}

#[test]
fn value_dropped_when_aborted_task_is_dropped() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let value = Logged { log: log.clone() };
    multi_thread().block_on(async {
        let (started_tx, started_rx) = weave::sync::oneshot::channel();
        let h = weave::spawn(LOGGED.scope(value, async move {
            started_tx.send(()).unwrap();
            std::future::pending::<()>().await;
        }));
        started_rx.await.unwrap();
        h.abort();
        assert!(h.await.unwrap_err().is_cancelled());
    });
    assert_eq!(*log.lock().unwrap(), ["value dropped"]);
}

#[test]
fn debug_shows_value() {
    let fut = NUMBER.scope(4, async {});
    assert!(format!("{fut:?}").contains('4'));
}

#[test]
fn future_type_nameable_at_tokio_path() {
    let fut: task::futures::TaskLocalFuture<u32, std::future::Ready<u32>> =
        NUMBER.scope(8, std::future::ready(9));
    assert_eq!(futures::executor::block_on(fut), 9);
}

mod macro_hygiene {
    // The macro names everything through `$crate`, so it works through a
    // rename and without any `use` in scope.
    mod renamed {
        use weave as tokio;
        tokio::task_local! {
            pub static RENAMED: i32;
        }
    }

    #[test]
    fn through_rename() {
        assert_eq!(
            renamed::RENAMED.sync_scope(-1, || renamed::RENAMED.get()),
            -1
        );
    }
}
