//! A closure dressed as a future, for the blocking pool.

use crate::coop;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Runs the closure on its first poll; always `Ready`.
pub(crate) struct BlockingTask<F> {
    func: Option<F>,
}

impl<F> BlockingTask<F> {
    pub(crate) fn new(func: F) -> BlockingTask<F> {
        BlockingTask { func: Some(func) }
    }
}

impl<F> Unpin for BlockingTask<F> {}

impl<F, R> Future for BlockingTask<F>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    type Output = R;

    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<R> {
        let func = self
            .func
            .take()
            .expect("blocking task polled after completion");
        // Blocking code is not subject to the async budget.
        Poll::Ready(coop::with_budget(coop::Budget::unconstrained(), func))
    }
}
