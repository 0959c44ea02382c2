//! Cooperative scheduling budget.
//!
//! A task that is always ready (a channel that never empties, a socket that
//! always has data) would otherwise keep its worker forever. Before each task
//! poll the scheduler gives the thread a budget of [`BUDGET`] resource
//! operations; every weave resource charges one unit through [`poll_proceed`]
//! and answers `Pending` (after waking the task, so it is rescheduled at the
//! back of the queue) once the budget is spent.
//!
//! This module sits at the bottom of the crate and names nothing above it:
//! outside a runtime the budget is *unconstrained*, so weave's futures work
//! unchanged under any executor.
//!
//! Invariants:
//! - The budget is a per-thread value; a scheduler installs one with
//!   [`with_budget`] around exactly one task poll and restores the previous
//!   value afterwards (even on panic).
//! - An operation that charged a unit and then did not make progress gives it
//!   back with [`RestoreOnPending`], so a Pending resource does not burn budget.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Resource operations a task may perform in one poll before it is forced to
/// yield (the same figure Tokio uses).
pub(crate) const BUDGET: u8 = 128;

/// `None` means unconstrained.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Budget(Option<u8>);

impl Budget {
    pub(crate) const fn initial() -> Budget {
        Budget(Some(BUDGET))
    }

    pub(crate) const fn unconstrained() -> Budget {
        Budget(None)
    }

    fn has_remaining(self) -> bool {
        !matches!(self.0, Some(0))
    }
}

thread_local! {
    static CURRENT: Cell<Budget> = const { Cell::new(Budget::unconstrained()) };
}

/// Restores the previous budget when dropped, so a panicking poll cannot leave
/// a stale budget behind on the worker thread.
struct ResetGuard(Budget);

impl Drop for ResetGuard {
    fn drop(&mut self) {
        let _ = CURRENT.try_with(|c| c.set(self.0));
    }
}

/// Runs `f` with `budget` installed as the thread's budget.
#[inline]
pub(crate) fn with_budget<R>(budget: Budget, f: impl FnOnce() -> R) -> R {
    let prev = CURRENT.try_with(|c| c.replace(budget)).unwrap_or(budget);
    let _reset = ResetGuard(prev);
    f()
}

/// Polls `future` with a fresh budget on every poll (for `block_on` on
/// threads that are not workers).
pub(crate) fn with_budget_future<F: Future>(future: F) -> impl Future<Output = F::Output> {
    let mut future = Box::pin(future);
    std::future::poll_fn(move |cx| with_budget(Budget::initial(), || future.as_mut().poll(cx)))
}

/// True if the current budget allows at least one more operation (always
/// true outside a runtime or inside [`unconstrained`]). Tokio's
/// `task::coop::has_budget_remaining`.
#[inline]
pub fn has_budget_remaining() -> bool {
    CURRENT
        .try_with(|c| c.get().has_remaining())
        .unwrap_or(true)
}

/// Charges one unit of budget.
///
/// Returns `Pending` (after arranging for the task to be polled again) when
/// the budget is exhausted. The returned guard gives the unit back unless
/// [`RestoreOnPending::made_progress`] is called. Public as Tokio's
/// `task::coop::poll_proceed`, for resources written outside weave (such as
/// tokio-util's) that want to take part in cooperative scheduling:
///
/// ```
/// use std::task::{ready, Context, Poll};
///
/// fn poll_resource(cx: &mut Context<'_>) -> Poll<u32> {
///     let coop = ready!(weave::task::coop::poll_proceed(cx));
///     // ... the resource is ready:
///     coop.made_progress();
///     Poll::Ready(7)
/// }
/// # weave::runtime::Runtime::new().unwrap().block_on(async {
/// assert_eq!(std::future::poll_fn(poll_resource).await, 7);
/// # });
/// ```
#[inline]
pub fn poll_proceed(cx: &mut Context<'_>) -> Poll<RestoreOnPending> {
    CURRENT
        .try_with(|c| {
            let mut budget = c.get();
            match budget.0 {
                None => Poll::Ready(RestoreOnPending(Cell::new(budget))),
                Some(0) => {
                    cx.waker().wake_by_ref();
                    Poll::Pending
                }
                Some(n) => {
                    let before = budget;
                    budget.0 = Some(n - 1);
                    c.set(budget);
                    Poll::Ready(RestoreOnPending(Cell::new(before)))
                }
            }
        })
        .unwrap_or(Poll::Ready(RestoreOnPending(Cell::new(
            Budget::unconstrained(),
        ))))
}

/// Gives a charged budget unit back on drop unless progress was made.
///
/// Returned by [`poll_proceed`].
#[derive(Debug)]
pub struct RestoreOnPending(Cell<Budget>);

impl RestoreOnPending {
    /// The operation completed: keep the charge.
    #[inline]
    pub fn made_progress(&self) {
        self.0.set(Budget::unconstrained());
    }
}

impl Drop for RestoreOnPending {
    fn drop(&mut self) {
        let before = self.0.get();
        if before.0.is_some() {
            let _ = CURRENT.try_with(|c| c.set(before));
        }
    }
}

/// Charges one unit of budget, yielding if none is left.
///
/// Use it in a loop that does work without touching any weave resource, so
/// that the loop still gives other tasks a turn:
///
/// ```
/// # weave::runtime::Runtime::new().unwrap().block_on(async {
/// let mut sum = 0u64;
/// for i in 0..10_000u64 {
///     weave::task::consume_budget().await;
///     sum += i;
/// }
/// assert_eq!(sum, 49_995_000);
/// # });
/// ```
pub async fn consume_budget() {
    let mut charged = false;
    std::future::poll_fn(move |cx| {
        if charged {
            return Poll::Ready(());
        }
        let restore = std::task::ready!(poll_proceed(cx));
        restore.made_progress();
        charged = true;
        Poll::Ready(())
    })
    .await
}

/// Runs a future with the cooperative budget disabled.
///
/// Created by [`unconstrained`]. Operations inside it never yield because of
/// the budget, which can starve other tasks: use it only for futures known to
/// be short.
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Unconstrained<F> {
    inner: F,
}

impl<F: Future> Future for Unconstrained<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: `inner` is structurally pinned: it is never moved out of
        // `self` and `Unconstrained` has no `Drop` impl or `Unpin` override.
        let inner = unsafe { self.map_unchecked_mut(|this| &mut this.inner) };
        with_budget(Budget::unconstrained(), || inner.poll(cx))
    }
}

/// Turns off cooperative scheduling for `inner`.
///
/// ```
/// # weave::runtime::Runtime::new().unwrap().block_on(async {
/// let (tx, rx) = weave::sync::oneshot::channel();
/// tx.send(5).unwrap();
/// assert_eq!(weave::task::unconstrained(rx).await.unwrap(), 5);
/// # });
/// ```
pub fn unconstrained<F: Future>(inner: F) -> Unconstrained<F> {
    Unconstrained { inner }
}

/// A future that charges the task's budget once per poll; see
/// [`cooperative`].
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Coop<F> {
    inner: F,
}

impl<F: Future> Future for Coop<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let coop = std::task::ready!(poll_proceed(cx));
        // SAFETY: `inner` is structurally pinned: it is never moved out of
        // `self` and `Coop` has no `Drop` impl or `Unpin` override.
        let inner = unsafe { self.map_unchecked_mut(|this| &mut this.inner) };
        let out = inner.poll(cx);
        if out.is_ready() {
            coop.made_progress();
        }
        out
    }
}

/// Makes a future that weave does not know (a `futures` channel, a
/// hand-written one) take part in cooperative scheduling like weave's own
/// resources: each poll charges one unit of the task's budget, and once the
/// budget is spent the future yields `Pending` (waking the task) instead of
/// polling `inner`. A poll that returns `Pending` gives its unit back.
///
/// ```
/// # weave::runtime::Runtime::new().unwrap().block_on(async {
/// use weave::task::coop::cooperative;
///
/// let ready = std::future::ready(3);
/// assert_eq!(cooperative(ready).await, 3);
/// # });
/// ```
pub fn cooperative<F: Future>(inner: F) -> Coop<F> {
    Coop { inner }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::task::Waker;

    #[test]
    fn cooperative_yields_once_the_budget_is_spent() {
        let waker = Waker::noop();
        let mut cx = Context::from_waker(waker);
        with_budget(Budget::initial(), || {
            for _ in 0..BUDGET {
                let mut fut = std::pin::pin!(cooperative(std::future::ready(())));
                assert!(fut.as_mut().poll(&mut cx).is_ready());
            }
            let mut fut = std::pin::pin!(cooperative(std::future::ready(())));
            assert!(fut.as_mut().poll(&mut cx).is_pending(), "budget spent");
        });
        // Outside a runtime the budget is unconstrained.
        let mut fut = std::pin::pin!(cooperative(std::future::ready(())));
        assert!(fut.as_mut().poll(&mut cx).is_ready());
    }

    #[test]
    fn a_pending_cooperative_poll_gives_its_unit_back() {
        let waker = Waker::noop();
        let mut cx = Context::from_waker(waker);
        with_budget(Budget::initial(), || {
            for _ in 0..u32::from(BUDGET) * 2 {
                let mut fut = std::pin::pin!(cooperative(std::future::pending::<()>()));
                assert!(fut.as_mut().poll(&mut cx).is_pending());
            }
            assert!(has_budget_remaining());
        });
    }

    #[test]
    fn budget_runs_out_and_restores() {
        let waker = Waker::noop();
        let mut cx = Context::from_waker(waker);
        with_budget(Budget::initial(), || {
            for _ in 0..BUDGET {
                match poll_proceed(&mut cx) {
                    Poll::Ready(r) => r.made_progress(),
                    Poll::Pending => panic!("budget ran out early"),
                }
            }
            assert!(poll_proceed(&mut cx).is_pending());
            assert!(!has_budget_remaining());
        });
        // Outside the scope the thread is unconstrained again.
        assert!(has_budget_remaining());
        assert!(poll_proceed(&mut cx).is_ready());
    }

    #[test]
    fn unused_charge_is_given_back() {
        let waker = Waker::noop();
        let mut cx = Context::from_waker(waker);
        with_budget(Budget(Some(1)), || {
            for _ in 0..10 {
                let r = poll_proceed(&mut cx);
                assert!(r.is_ready());
                drop(r);
            }
        });
    }
}
