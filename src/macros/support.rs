//! What the expansions of `join!`, `try_join!`, `select!` and `pin!` name,
//! re-exported as `weave::__private` (not a public API: it may change at any
//! time).
//!
//! The macros reach everything here through `$crate::__private::...`, so a
//! crate that only sees weave through a re-export (a compatibility crate named
//! `tokio`, say) can still expand them. Nothing here depends on the runtime:
//! the generated futures only need a `Waker`.

use std::cell::Cell;
use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hash, Hasher};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{ready, Context};

pub use core::future::{poll_fn, Future, IntoFuture};
pub use core::pin::pin;
pub use core::result::Result;
pub use core::task::Poll;

#[cfg(feature = "macros")]
pub use weave_macros::{join_impl, select_impl, try_join_impl};

pin_project_lite::pin_project! {
    #[project = StateProj]
    #[project_replace = StateReplace]
    enum State<F: Future> {
        Running { #[pin] future: F },
        Done { output: F::Output },
        Taken,
    }
}

pin_project_lite::pin_project! {
    /// A future that `join!` or `try_join!` polls until it finishes, then
    /// keeps the output until the macro takes it.
    pub struct MaybeDone<F: Future> {
        #[pin]
        state: State<F>,
    }
}

impl<F: Future> MaybeDone<F> {
    /// Wraps a future that has not finished yet.
    pub fn new(future: F) -> Self {
        MaybeDone {
            state: State::Running { future },
        }
    }

    /// Takes the output of the finished future.
    ///
    /// # Panics
    ///
    /// If the future has not finished, or the output was already taken.
    pub fn take_output(self: Pin<&mut Self>) -> F::Output {
        match self.project().state.project_replace(State::Taken) {
            StateReplace::Done { output } => output,
            _ => panic!("join!: the output of a future was taken before it finished, or twice"),
        }
    }

    /// Polls the future if it is still running and, if it finished with an
    /// error, takes the error out (for `try_join!`).
    pub fn poll_try<T, E>(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), E>>
    where
        F: Future<Output = Result<T, E>>,
    {
        ready!(self.as_mut().poll(cx));
        let failed = matches!(
            self.as_mut().project().state.project(),
            StateProj::Done { output: Err(_) }
        );
        if failed {
            match self.take_output() {
                Err(err) => return Poll::Ready(Err(err)),
                Ok(_) => unreachable!("the output was just seen to be an error"),
            }
        }
        Poll::Ready(Ok(()))
    }

    /// Takes the `Ok` value of the finished future (for `try_join!`, once
    /// every future succeeded).
    ///
    /// # Panics
    ///
    /// If the future has not finished, its output was already taken, or it
    /// is an error (which [`poll_try`](Self::poll_try) would have taken).
    pub fn take_ok<T, E>(self: Pin<&mut Self>) -> T
    where
        F: Future<Output = Result<T, E>>,
    {
        match self.take_output() {
            Ok(value) => value,
            Err(_) => panic!("try_join!: an error output was not reported"),
        }
    }
}

impl<F: Future> Future for MaybeDone<F> {
    type Output = ();

    /// Ready once the inner future has finished (and stays ready until the
    /// output is taken).
    ///
    /// # Panics
    ///
    /// If polled after the output was taken.
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.project().state;
        let output = match state.as_mut().project() {
            StateProj::Running { future } => ready!(future.poll(cx)),
            StateProj::Done { .. } => return Poll::Ready(()),
            StateProj::Taken => panic!("join!: a future was polled after its output was taken"),
        };
        state.set(State::Done { output });
        Poll::Ready(())
    }
}

impl<F: Future> fmt::Debug for MaybeDone<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            State::Running { .. } => "Running",
            State::Done { .. } => "Done",
            State::Taken => "Taken",
        };
        f.debug_struct("MaybeDone").field("state", &state).finish()
    }
}

/// A uniformly distributed number in `0..n` from a per-thread xorshift
/// generator (`select!` picks its first branch with it). `n` must be > 0.
///
/// Not cryptographic, not even good: it only has to spread `select!`'s
/// starting branch evenly so no branch is favoured.
#[inline]
pub fn thread_rng_n(n: u32) -> u32 {
    debug_assert!(n > 0);
    let r = RNG
        .try_with(|state| {
            // 0 means "not seeded yet" (xorshift never yields 0), which
            // keeps the thread-local `const`-initialized: no lazy-init
            // check on every call.
            let mut x = state.get();
            if x == 0 {
                x = seed();
            }
            let next = xorshift64(x);
            state.set(next);
            next
        })
        // The thread-local is gone (a destructor running at thread exit):
        // draw from a fresh seed instead.
        .unwrap_or_else(|_| xorshift64(seed()));
    // Lemire's multiply-shift on the high (best mixed) 32 bits.
    (((r >> 32) * u64::from(n)) >> 32) as u32
}

thread_local! {
    /// Per-thread generator state; 0 until first used.
    static RNG: Cell<u64> = const { Cell::new(0) };
}

/// One step of Marsaglia's xorshift64 (shifts 13, 7, 17).
fn xorshift64(mut x: u64) -> u64 {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    x
}

/// A non-zero seed that differs between threads (thread id and a global
/// counter) and between processes (std's randomly keyed hasher).
#[cold]
#[inline(never)]
fn seed() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = RandomState::new().build_hasher();
    std::thread::current().id().hash(&mut hasher);
    COUNTER.fetch_add(1, Ordering::Relaxed).hash(&mut hasher);
    match hasher.finish() {
        0 => 0x9E37_79B9_7F4A_7C15,
        s => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rng_stays_in_range_and_spreads() {
        let mut counts = [0u32; 5];
        for _ in 0..10_000 {
            counts[thread_rng_n(5) as usize] += 1;
        }
        for c in counts {
            assert!((1_500..2_500).contains(&c), "{counts:?}");
        }
        assert_eq!(thread_rng_n(1), 0);
    }

    #[test]
    fn xorshift_never_reaches_zero() {
        let mut x = seed();
        for _ in 0..1000 {
            x = xorshift64(x);
            assert_ne!(x, 0);
        }
    }
}
