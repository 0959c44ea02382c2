//! A barrier that releases a group of tasks once all of them have arrived.
//!
//! State, under one lock: how many tasks have arrived in the current
//! generation, the generation number, and one waker slot per arrived
//! task (indexed by arrival order). The `n`-th arrival is the leader: it
//! bumps the generation, resets the count and wakes everyone else. A waiter
//! is done as soon as it sees a generation other than the one it arrived
//! in, so the barrier is immediately reusable.
//!
//! Cancellation: arriving happens on the first poll of the `wait` future.
//! Dropping the future after that leaves its arrival counted (others may
//! rely on it to complete the generation); only its waker is dropped.

use crate::loom::sync::Mutex;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll, Waker};

/// Lets `n` tasks wait until all `n` have reached the same point.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use weave::sync::Barrier;
///
/// #[weave::main]
/// async fn main() {
///     let barrier = Arc::new(Barrier::new(3));
///     let mut handles = Vec::new();
///     for _ in 0..3 {
///         let b = barrier.clone();
///         handles.push(weave::spawn(async move { b.wait().await.is_leader() }));
///     }
///     let mut leaders = 0;
///     for h in handles {
///         leaders += h.await.unwrap() as usize;
///     }
///     assert_eq!(leaders, 1);
/// }
/// ```
pub struct Barrier {
    n: usize,
    state: Mutex<State>,
}

struct State {
    /// Tasks that arrived in the current generation (always `< n`).
    arrived: usize,
    generation: u64,
    /// One slot per arrived task; `None` once its future was dropped.
    wakers: Vec<Option<Waker>>,
}

/// Returned by [`Barrier::wait`].
#[derive(Debug, Clone, Copy)]
pub struct BarrierWaitResult(bool);

impl BarrierWaitResult {
    /// True for exactly one task per generation: the last one to arrive.
    pub fn is_leader(&self) -> bool {
        self.0
    }
}

impl Barrier {
    /// Creates a barrier for groups of `n` tasks. `n == 0` acts as `1`.
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let b = weave::sync::Barrier::new(1);
    /// assert!(b.wait().await.is_leader());
    /// # });
    /// ```
    pub fn new(n: usize) -> Barrier {
        let n = n.max(1);
        Barrier {
            n,
            state: Mutex::new(State {
                arrived: 0,
                generation: 0,
                wakers: Vec::new(),
            }),
        }
    }

    /// Waits until `n` tasks have called `wait` in this generation.
    ///
    /// The last one to arrive gets a result whose
    /// [`is_leader`](BarrierWaitResult::is_leader) is true. Dropping the
    /// future after it was first polled still counts as an arrival.
    pub async fn wait(&self) -> BarrierWaitResult {
        Wait {
            barrier: self,
            arrived_in: None,
        }
        .await
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Barrier").field("n", &self.n).finish()
    }
}

/// The future behind [`Barrier::wait`].
struct Wait<'a> {
    barrier: &'a Barrier,
    /// `(generation, slot)` once arrived.
    arrived_in: Option<(u64, usize)>,
}

impl Future for Wait<'_> {
    type Output = BarrierWaitResult;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<BarrierWaitResult> {
        let this = self.get_mut();
        let coop = ready!(crate::coop::poll_proceed(cx));
        let mut state = this.barrier.state.lock();
        let Some((generation, slot)) = this.arrived_in else {
            // First poll: arrive.
            state.arrived += 1;
            if state.arrived == this.barrier.n {
                state.arrived = 0;
                state.generation = state.generation.wrapping_add(1);
                let wakers = std::mem::take(&mut state.wakers);
                drop(state);
                for w in wakers.into_iter().flatten() {
                    w.wake();
                }
                coop.made_progress();
                return Poll::Ready(BarrierWaitResult(true));
            }
            let slot = state.wakers.len();
            state.wakers.push(Some(cx.waker().clone()));
            this.arrived_in = Some((state.generation, slot));
            // Arriving is progress even though we wait now.
            coop.made_progress();
            return Poll::Pending;
        };
        if state.generation != generation {
            this.arrived_in = None;
            coop.made_progress();
            return Poll::Ready(BarrierWaitResult(false));
        }
        let w = &mut state.wakers[slot];
        if !w.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            *w = Some(cx.waker().clone());
        }
        Poll::Pending
    }
}

impl Drop for Wait<'_> {
    fn drop(&mut self) {
        if let Some((generation, slot)) = self.arrived_in {
            let mut state = self.barrier.state.lock();
            if state.generation == generation {
                // Still counted as arrived; just forget the waker.
                state.wakers[slot] = None;
            }
        }
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::loom::sync::Arc;
    use loom::future::block_on;

    #[test]
    fn loom_barrier_two_generations() {
        loom::model(|| {
            let b = Arc::new(Barrier::new(2));
            let b2 = b.clone();
            let t = loom::thread::spawn(move || {
                let a = block_on(b2.wait()).is_leader();
                let c = block_on(b2.wait()).is_leader();
                (a, c)
            });
            let a = block_on(b.wait()).is_leader();
            let c = block_on(b.wait()).is_leader();
            let (ta, tc) = t.join().unwrap();
            assert!(a != ta);
            assert!(c != tc);
        });
    }
}
