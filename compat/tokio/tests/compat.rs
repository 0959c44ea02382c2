//! The compat crate used the way a Tokio application uses it: by the name
//! `tokio` only, with Tokio's macros.

use std::time::Duration;

#[tokio::test]
async fn test_attribute_runs_on_a_current_thread_runtime() {
    let handle = tokio::runtime::Handle::current();
    assert_eq!(
        handle.runtime_flavor(),
        tokio::runtime::RuntimeFlavor::CurrentThread
    );
    let answer = tokio::spawn(async { 6 * 7 }).await.unwrap();
    assert_eq!(answer, 42);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_attribute_takes_tokio_options() {
    let handle = tokio::runtime::Handle::current();
    assert_eq!(
        handle.runtime_flavor(),
        tokio::runtime::RuntimeFlavor::MultiThread
    );
}

#[tokio::test(start_paused = true)]
async fn paused_clock_through_the_compat_name() {
    let start = tokio::time::Instant::now();
    tokio::time::sleep(Duration::from_secs(3600)).await;
    assert!(start.elapsed() >= Duration::from_secs(3600));
}

#[tokio::main(flavor = "current_thread")]
async fn main_like() -> u32 {
    tokio::task::yield_now().await;
    7
}

#[test]
fn main_attribute_builds_a_runtime() {
    assert_eq!(main_like(), 7);
}

tokio::task_local! {
    static REQUEST_ID: u64;
}

#[tokio::test]
async fn declarative_macros_work_through_the_compat_name() {
    let (a, b) = tokio::join!(async { 1 }, async { 2 });
    assert_eq!((a, b), (1, 2));

    let r: Result<(u8, u8), &str> = tokio::try_join!(async { Ok(1) }, async { Err("no") });
    assert_eq!(r, Err("no"));

    let sleep = tokio::time::sleep(Duration::from_millis(1));
    tokio::pin!(sleep);
    let chosen = tokio::select! {
        biased;
        _ = &mut sleep => "sleep",
        _ = std::future::pending::<()>() => "pending",
    };
    assert_eq!(chosen, "sleep");

    let id = REQUEST_ID.scope(9, async { REQUEST_ID.get() }).await;
    assert_eq!(id, 9);
}
