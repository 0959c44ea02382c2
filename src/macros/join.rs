/// Waits on several futures at once, on the current task, and returns all
/// their outputs as a tuple, in the order the futures were written.
///
/// The futures run *concurrently* but not in *parallel*: `join!` polls them
/// all from the task that awaits it (use [`spawn`](crate::spawn) for
/// parallelism). Each time the `join!` future is polled it polls every
/// unfinished future once; the one polled first moves along by one at every
/// poll, so a future that is always ready cannot starve the others. With
/// `biased;` as the first token the futures are polled in the order written,
/// every time.
///
/// The expressions are evaluated in order before anything is polled, and
/// may be anything that implements [`IntoFuture`](std::future::IntoFuture).
/// `join!()` is `()`; a trailing comma is allowed.
///
/// ```
/// use std::time::Duration;
/// use weave::time::{sleep, Instant};
///
/// # #[weave::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let start = Instant::now();
/// let (a, b, c) = weave::join!(
///     async { sleep(Duration::from_secs(3)).await; 'a' },
///     async { sleep(Duration::from_secs(1)).await; 'b' },
///     async { sleep(Duration::from_secs(2)).await; 'c' },
/// );
/// assert_eq!((a, b, c), ('a', 'b', 'c'));
/// // The three sleeps overlapped: 3 s in all, not 6.
/// assert!(start.elapsed() < Duration::from_secs(4));
///
/// let (x,) = weave::join!(biased; async { 1 });
/// assert_eq!(x, 1);
/// # }
/// ```
///
/// To stop at the first error, use [`try_join!`](crate::try_join!).
#[macro_export]
macro_rules! join {
    ($($input:tt)*) => {
        $crate::__private::join_impl!($crate; $($input)*)
    };
}
