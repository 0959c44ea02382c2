/// Pins a value on the stack.
///
/// Futures that are not [`Unpin`] must be pinned before they can be polled
/// by reference, for example to `.await` the same future across several
/// iterations of a [`select!`](crate::select!) loop. `pin!` does this without
/// a heap allocation. It has three forms:
///
/// * `pin!(a, b, ...);`, a statement, replaces each local variable with a
///   [`Pin<&mut T>`](std::pin::Pin) to its value, under the same name (the
///   value can no longer be reached any other way, so it cannot be moved);
/// * `pin! { let a = expr; let b = expr; }` declares and pins in one go;
/// * `let p = pin!(expr);` pins the value of an expression (not a bare
///   variable name, which the first form claims; write `pin!(name);`, or
///   `pin!({ name })`).
///
/// ```
/// use std::time::Duration;
///
/// # #[weave::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let deadline = weave::time::sleep(Duration::from_millis(50));
/// weave::pin!(deadline);
/// // `deadline` is now a `Pin<&mut Sleep>`: poll it by reference, again and again.
/// let mut interval = weave::time::interval(Duration::from_millis(20));
/// let mut ticks = 0;
/// loop {
///     weave::select! {
///         _ = &mut deadline => break,
///         _ = interval.tick() => ticks += 1,
///     }
/// }
/// assert_eq!(ticks, 3); // at 0, 20 and 40 ms
///
/// weave::pin! {
///     let a = async { 1 };
///     let b = async { 2 };
/// }
/// assert_eq!(a.await + b.await, 3);
///
/// let c = weave::pin!(async { 3 });
/// assert_eq!(c.await, 3);
/// # }
/// ```
///
/// A pinned future cannot be moved out again (here: swapped with another):
///
/// ```compile_fail
/// async fn work() {}
/// # async fn f() {
/// let fut = work();
/// weave::pin!(fut);
/// let mut other = work();
/// std::mem::swap(&mut *fut, &mut other); // error: the future is not `Unpin`
/// # }
/// ```
#[macro_export]
macro_rules! pin {
    ($($x:ident),* $(,)?) => {
        $(
            // Moves the value into a temporary that lives to the end of the
            // enclosing block, and shadows the name with a pinned reference.
            #[allow(unused_mut)]
            let mut $x = $crate::__private::pin!($x);
        )*
    };
    ($(let $x:ident = $init:expr;)*) => {
        $(
            let $x = $init;
            $crate::pin!($x);
        )*
    };
    ($e:expr $(,)?) => {
        $crate::__private::pin!($e)
    };
}
