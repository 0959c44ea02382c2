//! A generation counter with waiters: the minimal `watch` channel each
//! signal kind needs ("something happened since you last looked").
//!
//! The notifier bumps `version`; each [`Receiver`] remembers the version it
//! last saw and is ready when the counter has moved. Several bumps between
//! two looks coalesce into one notification.
//!
//! Invariants:
//! - No lost wake-up: `notify` increments `version` *then* takes the
//!   waiters lock to wake; a receiver stores its waker under that lock
//!   *then* loads `version` again. Whichever lock section comes second
//!   sees the other's write.
//! - Every stored waker is either woken (taken out under the lock, woken
//!   after it is released) or dropped (replaced by a newer one, or removed
//!   with its receiver's slab entry when the receiver is dropped).
//! - A receiver owns at most one slab entry (`key`), removed on drop.

use crate::loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use crate::loom::sync::Mutex;
use std::fmt;
use std::task::{Context, Poll, Waker};

/// The counter and the wakers of the receivers waiting on it.
pub(crate) struct Generation {
    version: AtomicUsize,
    /// One entry per receiver that has had to wait; `None` once woken.
    waiters: Mutex<slab::Slab<Option<Waker>>>,
}

/// One subscriber: ready whenever the counter moved since it last looked.
pub(crate) struct Receiver<'a> {
    generation: &'a Generation,
    seen: usize,
    key: Option<usize>,
}

impl Generation {
    pub(crate) fn new() -> Generation {
        Generation {
            version: AtomicUsize::new(0),
            waiters: Mutex::new(slab::Slab::new()),
        }
    }

    /// A receiver that sees only the notifications after this call.
    pub(crate) fn subscribe(&self) -> Receiver<'_> {
        Receiver {
            generation: self,
            seen: self.version.load(SeqCst),
            key: None,
        }
    }

    /// Moves the counter and wakes every waiting receiver.
    pub(crate) fn notify(&self) {
        self.version.fetch_add(1, SeqCst);
        let wakers: Vec<Waker> = {
            let mut waiters = self.waiters.lock();
            waiters.iter_mut().filter_map(|(_, w)| w.take()).collect()
        };
        for waker in wakers {
            waker.wake();
        }
    }
}

impl Receiver<'_> {
    /// Ready once the counter moved since the last `Ready`; otherwise stores
    /// `cx`'s waker and returns `Pending`.
    pub(crate) fn poll_changed(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.take_change() {
            return Poll::Ready(());
        }
        let mut waiters = self.generation.waiters.lock();
        match self.key {
            Some(key) => match &mut waiters[key] {
                Some(w) if w.will_wake(cx.waker()) => {}
                slot => *slot = Some(cx.waker().clone()),
            },
            None => self.key = Some(waiters.insert(Some(cx.waker().clone()))),
        }
        // Re-check under the lock (module docs: no lost wake-up).
        if self.take_change() {
            return Poll::Ready(());
        }
        Poll::Pending
    }

    fn take_change(&mut self) -> bool {
        let now = self.generation.version.load(SeqCst);
        if now == self.seen {
            return false;
        }
        self.seen = now;
        true
    }
}

impl Drop for Receiver<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            let waker = self.generation.waiters.lock().remove(key);
            drop(waker);
        }
    }
}

impl fmt::Debug for Generation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Generation")
            .field("version", &self.version.load(SeqCst))
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for Receiver<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("seen", &self.seen)
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize as StdAtomic;
    use std::sync::atomic::Ordering;
    use std::sync::Arc;
    use std::task::Wake;

    struct Count(StdAtomic);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn counting_waker() -> (Arc<Count>, Waker) {
        let c = Arc::new(Count(StdAtomic::new(0)));
        (c.clone(), Waker::from(c))
    }

    #[test]
    fn sees_only_later_notifications_and_coalesces() {
        let g = Generation::new();
        g.notify();
        let mut rx = g.subscribe();
        let (count, w) = counting_waker();
        let mut cx = Context::from_waker(&w);
        assert!(rx.poll_changed(&mut cx).is_pending());
        g.notify();
        g.notify();
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
        assert!(rx.poll_changed(&mut cx).is_ready());
        assert!(rx.poll_changed(&mut cx).is_pending());
    }

    #[test]
    fn wakes_every_receiver_and_drop_removes_entries() {
        let g = Generation::new();
        let wakers: Vec<_> = (0..5).map(|_| counting_waker()).collect();
        let mut rxs: Vec<_> = (0..5).map(|_| g.subscribe()).collect();
        for (rx, (_, w)) in rxs.iter_mut().zip(&wakers) {
            assert!(rx.poll_changed(&mut Context::from_waker(w)).is_pending());
        }
        g.notify();
        for (rx, (c, w)) in rxs.iter_mut().zip(&wakers) {
            assert_eq!(c.0.load(Ordering::SeqCst), 1);
            assert!(rx.poll_changed(&mut Context::from_waker(w)).is_ready());
        }
        drop(rxs);
        assert!(g.waiters.lock().is_empty());
    }
}
