/// Waits on several fallible futures at once, on the current task: all
/// their `Ok` values as a tuple, or the first error.
///
/// Every future must have an output `Result<T, E>` with the same `E`. They
/// are polled like [`join!`](crate::join!)'s (concurrently on this task,
/// starting branch rotating, or in order with `biased;`). As soon as one
/// returns `Err(e)`, `try_join!` returns `Err(e)` and the futures still
/// running are dropped at once (cancelled), without being polled again. If
/// all succeed, the result is `Ok((t1, t2, ...))` in the order written.
/// `try_join!()` is `Ok(())`.
///
/// ```
/// async fn parse(s: &str) -> Result<u32, std::num::ParseIntError> {
///     s.parse()
/// }
///
/// # #[weave::main(flavor = "current_thread")]
/// # async fn main() {
/// let ok = weave::try_join!(parse("1"), parse("2"));
/// assert_eq!(ok, Ok((1, 2)));
///
/// let err = weave::try_join!(parse("1"), parse("two"), std::future::pending::<Result<u32, _>>());
/// assert!(err.is_err()); // the pending future did not hold it up
/// # }
/// ```
#[macro_export]
macro_rules! try_join {
    ($($input:tt)*) => {
        $crate::__private::try_join_impl!($crate; $($input)*)
    };
}
