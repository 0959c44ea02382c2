use std::future::poll_fn;
use std::task::Poll;

/// Yields to the scheduler: other ready tasks run before this one resumes
/// (asyncio's `await asyncio.sleep(0)`).
///
/// ```
/// # weave::runtime::Runtime::new().unwrap().block_on(async {
/// for _ in 0..3 {
///     weave::task::yield_now().await;
/// }
/// # });
/// ```
pub async fn yield_now() {
    let mut yielded = false;
    poll_fn(|cx| {
        if yielded {
            return Poll::Ready(());
        }
        yielded = true;
        // A wake during the poll reschedules the task behind the others
        // once this poll returns.
        cx.waker().wake_by_ref();
        Poll::Pending
    })
    .await
}
