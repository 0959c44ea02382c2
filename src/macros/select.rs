/// Waits on several futures at once and runs the handler of the first one
/// to finish; the others are dropped (cancelled).
///
/// ```text
/// select! {
///     [biased;]
///     <pattern> = <future> [, if <precondition>] => <handler>,
///     ...
///     [else => <handler>]
/// }
/// ```
///
/// One `select!` runs these steps, all on the current task:
///
/// 1. Every precondition is evaluated, in order; a branch whose
///    precondition is `false` is *disabled*.
/// 2. Every future expression is evaluated, in order, disabled branches
///    included (anything [`IntoFuture`](std::future::IntoFuture) will do),
///    and the futures are pinned on the stack.
/// 3. The enabled futures are polled, starting at a random branch (so no
///    branch is favoured), or in the order written if the first token is
///    `biased;`. When one finishes its branch is disabled; if its output
///    matches the branch's pattern, polling stops; if not (say `Some(v)`
///    against `None`), the other branches keep racing.
/// 4. All the futures are dropped, then the handler of the branch that won
///    runs with the pattern's bindings. If every branch ended up disabled,
///    the `else` handler runs instead, and without an `else` branch
///    `select!` panics with "all branches are disabled and there is no else
///    branch".
///
/// The value of `select!` is the value of the handler that ran. Handlers
/// run in the surrounding code, so `break`, `continue`, `return`, `?` and
/// `.await` work in them. A handler that is a `{ block }` needs no comma
/// after it; others do (except the last). Up to 64 branches.
///
/// Every branch's future is created anew each time `select!` runs; to keep
/// one future across the iterations of a loop, create it before the loop,
/// [`pin!`](crate::pin!) it, and select on `&mut fut`.
///
/// ```
/// use std::time::Duration;
/// use weave::sync::mpsc;
/// use weave::time::sleep;
///
/// # #[weave::main(flavor = "current_thread")]
/// # async fn main() {
/// let (tx, mut rx) = mpsc::channel(8);
/// weave::spawn(async move {
///     for i in 0..3 {
///         tx.send(i).await.unwrap();
///     }
/// });
///
/// let timeout = sleep(Duration::from_secs(10));
/// weave::pin!(timeout);
/// let mut sum = 0;
/// loop {
///     weave::select! {
///         msg = rx.recv() => match msg {
///             Some(i) => sum += i,
///             None => break, // the sender is gone
///         },
///         _ = &mut timeout => panic!("too slow"),
///     }
/// }
/// assert_eq!(sum, 0 + 1 + 2);
/// # }
/// ```
///
/// Patterns that do not match, preconditions and `else`:
///
/// ```
/// use weave::sync::mpsc;
///
/// # #[weave::main(flavor = "current_thread")]
/// # async fn main() {
/// let (tx, mut rx) = mpsc::channel::<u32>(1);
/// drop(tx); // `rx.recv()` now gives `None` at once
/// let enabled = false;
/// let out = weave::select! {
///     Some(v) = rx.recv() => v,               // disabled: `None` does not match
///     v = async { 1 }, if enabled => v,      // disabled by its precondition
///     else => 0,
/// };
/// assert_eq!(out, 0);
///
/// // With `biased;` the first ready branch in written order wins.
/// let first = weave::select! {
///     biased;
///     a = async { 'a' } => a,
///     b = async { 'b' } => b,
/// };
/// assert_eq!(first, 'a');
/// # }
/// ```
#[macro_export]
macro_rules! select {
    ($($input:tt)*) => {
        $crate::__private::select_impl!($crate; $($input)*)
    };
}
