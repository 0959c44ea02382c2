//! The shared core of both channel flavours: one allocation holding the
//! message list, the receiver's waker, the sender counts and the capacity
//! accounting (`S`, see [`super::semaphore`]).
//!
//! # Invariants
//!
//! - `tx_count` counts live strong senders (`Sender`, `OwnedPermit`, and the
//!   sender a `Permit` borrows). It only reaches 0 once, when the last one
//!   drops: [`WeakTx::upgrade`] never revives it from 0. The sender that
//!   takes it to 0 wakes the receiver afterwards.
//! - Every message is pushed by a holder of a strong sender, so once the
//!   receiver reads `tx_count == 0` (with `Acquire`, synchronising with every
//!   decrement) all pushes are visible: one more `pop` finds any last
//!   message, and after that the stream is over.
//! - A message holds one unit of `S` from the moment its slot is reserved
//!   (or its unbounded send starts) until the receiver pops it; a dropped
//!   reservation gives its unit back. So "`S` closed and idle" means the
//!   receiver closed the channel and no message can still arrive.
//! - Only the receiver pops (`List::pop` is `unsafe` for that reason: `Rx`
//!   is unique, and pops only from `&mut self` methods and `Drop`), and it
//!   registers its waker *before* its last look at the list and the
//!   counters. Every event that can end a
//!   wait (a push, the last sender leaving, the last reservation returning
//!   after a close) changes state first and wakes the receiver after, so a
//!   wake-up is never lost (see [`super::atomic_waker`]).
//! - `rx_closed` is set once, by the receiver, *after* `S` is closed (so a
//!   sender that sees it also sees sends fail); [`Tx::closed`] waiters check
//!   it under the `closed_waiters` lock and `close` notifies them under it.

use super::atomic_waker::AtomicWaker;
use super::error::TryRecvError;
use super::list::List;
use super::semaphore::ChanSemaphore;
use crate::loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering::*};
use crate::loom::sync::{Arc, Mutex};
use crate::sync::queue::wait_list::WaitList;
use crossbeam_utils::CachePadded;
use std::fmt;
use std::task::{ready, Context, Poll};

pub(crate) struct Chan<T, S> {
    /// Touched by every send and recv; kept apart from the counters that
    /// only change when handles come and go.
    list: CachePadded<List<T>>,
    rx_waker: CachePadded<AtomicWaker>,
    pub(crate) semaphore: S,
    tx_count: AtomicUsize,
    tx_weak_count: AtomicUsize,
    rx_closed: AtomicBool,
    closed_waiters: Mutex<WaitList>,
}

/// A strong sender's reference to the channel.
pub(crate) struct Tx<T, S> {
    pub(crate) chan: Arc<Chan<T, S>>,
}

/// A weak sender's reference: keeps the allocation, not the channel, alive.
pub(crate) struct WeakTx<T, S> {
    chan: Arc<Chan<T, S>>,
}

/// The receiver's reference.
pub(crate) struct Rx<T, S: ChanSemaphore> {
    chan: Arc<Chan<T, S>>,
}

pub(crate) fn channel<T, S: ChanSemaphore>(semaphore: S) -> (Tx<T, S>, Rx<T, S>) {
    let chan = Arc::new(Chan {
        list: CachePadded::new(List::new()),
        rx_waker: CachePadded::new(AtomicWaker::new()),
        semaphore,
        tx_count: AtomicUsize::new(1),
        tx_weak_count: AtomicUsize::new(0),
        rx_closed: AtomicBool::new(false),
        closed_waiters: Mutex::new(WaitList::new()),
    });
    (Tx { chan: chan.clone() }, Rx { chan })
}

impl<T, S: ChanSemaphore> Chan<T, S> {
    /// Gives back `n` units of capacity that will not carry a message (a
    /// dropped reservation). If that makes a closed channel idle, the
    /// receiver, which may be waiting for exactly that, is woken.
    pub(crate) fn release(&self, n: usize) {
        self.semaphore.add_permits(n);
        if self.semaphore.is_closed() && self.semaphore.is_idle() {
            self.rx_waker.wake();
        }
    }

    /// Wakes the receiver without a message (an unbounded send that found
    /// the channel closed undid its count; see `Unbounded::try_start_send`).
    pub(crate) fn wake_rx(&self) {
        self.rx_waker.wake();
    }

    /// Pushes a message whose unit of capacity the caller already holds.
    #[inline]
    pub(crate) fn push(&self, value: T) {
        self.list.push(value);
        self.rx_waker.wake();
    }

    fn strong_count(&self) -> usize {
        self.tx_count.load(Acquire)
    }

    fn weak_count(&self) -> usize {
        self.tx_weak_count.load(Acquire)
    }
}

impl<T, S: ChanSemaphore> Tx<T, S> {
    pub(crate) fn downgrade(&self) -> WeakTx<T, S> {
        self.chan.tx_weak_count.fetch_add(1, Relaxed);
        WeakTx {
            chan: self.chan.clone(),
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.chan.semaphore.is_closed()
    }

    pub(crate) fn same_channel(&self, other: &Tx<T, S>) -> bool {
        Arc::ptr_eq(&self.chan, &other.chan)
    }

    pub(crate) fn strong_count(&self) -> usize {
        self.chan.strong_count()
    }

    pub(crate) fn weak_count(&self) -> usize {
        self.chan.weak_count()
    }

    /// Waits until the receiver is closed or dropped.
    pub(crate) async fn closed(&self) {
        /// Forgets the waiter if the future is dropped while registered.
        struct Ticket<'a> {
            waiters: &'a Mutex<WaitList>,
            ticket: Option<u64>,
        }
        impl Drop for Ticket<'_> {
            fn drop(&mut self) {
                if self.ticket.is_some() {
                    self.waiters.lock().remove(self.ticket);
                }
            }
        }

        let chan = &*self.chan;
        let mut ticket = Ticket {
            waiters: &chan.closed_waiters,
            ticket: None,
        };
        std::future::poll_fn(|cx| {
            if chan.rx_closed.load(Acquire) {
                return Poll::Ready(());
            }
            let mut waiters = chan.closed_waiters.lock();
            // Re-checked under the lock that `close` notifies under.
            if chan.rx_closed.load(Acquire) {
                return Poll::Ready(());
            }
            waiters.wait(&mut ticket.ticket, cx.waker());
            Poll::Pending
        })
        .await
    }
}

impl<T, S> Clone for Tx<T, S> {
    fn clone(&self) -> Self {
        // Relaxed is enough: the new handle comes from an existing one, so
        // the count cannot be 0 here (as with `Arc::clone`).
        self.chan.tx_count.fetch_add(1, Relaxed);
        Tx {
            chan: self.chan.clone(),
        }
    }
}

impl<T, S> Drop for Tx<T, S> {
    fn drop(&mut self) {
        if self.chan.tx_count.fetch_sub(1, AcqRel) == 1 {
            // The last sender: the receiver must learn the stream is over.
            self.chan.rx_waker.wake();
        }
    }
}

impl<T, S: ChanSemaphore> WeakTx<T, S> {
    pub(crate) fn upgrade(&self) -> Option<Tx<T, S>> {
        let mut cur = self.chan.tx_count.load(Acquire);
        loop {
            if cur == 0 {
                return None;
            }
            match self
                .chan
                .tx_count
                .compare_exchange_weak(cur, cur + 1, AcqRel, Acquire)
            {
                Ok(_) => {
                    return Some(Tx {
                        chan: self.chan.clone(),
                    })
                }
                Err(actual) => cur = actual,
            }
        }
    }

    pub(crate) fn strong_count(&self) -> usize {
        self.chan.strong_count()
    }

    pub(crate) fn weak_count(&self) -> usize {
        self.chan.weak_count()
    }
}

impl<T, S> Clone for WeakTx<T, S> {
    fn clone(&self) -> Self {
        self.chan.tx_weak_count.fetch_add(1, Relaxed);
        WeakTx {
            chan: self.chan.clone(),
        }
    }
}

impl<T, S> Drop for WeakTx<T, S> {
    fn drop(&mut self) {
        self.chan.tx_weak_count.fetch_sub(1, AcqRel);
    }
}

impl<T, S: ChanSemaphore> Rx<T, S> {
    pub(crate) fn chan(&self) -> &Chan<T, S> {
        &self.chan
    }

    /// Closes the channel for sending; queued and reserved messages can
    /// still be received.
    pub(crate) fn close(&self) {
        let chan = &*self.chan;
        // Close the capacity first (idempotent): a `closed()` waiter that
        // sees `rx_closed` must also see `is_closed()`.
        chan.semaphore.close();
        if chan.rx_closed.swap(true, AcqRel) {
            return;
        }
        let wakers = chan.closed_waiters.lock().notify_all();
        wakers.into_iter().for_each(|w| w.wake());
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.chan.rx_closed.load(Acquire) || self.chan.strong_count() == 0
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.chan.list.is_empty()
    }

    pub(crate) fn len(&self) -> usize {
        self.chan.list.len()
    }

    pub(crate) fn sender_strong_count(&self) -> usize {
        self.chan.strong_count()
    }

    pub(crate) fn sender_weak_count(&self) -> usize {
        self.chan.weak_count()
    }

    /// Pops one message and frees its unit of capacity.
    #[inline]
    fn pop(&self) -> Option<T> {
        // SAFETY: only the receiver pops (see the module invariants).
        let value = unsafe { self.chan.list.pop() }?;
        self.chan.semaphore.add_permits(1);
        Some(value)
    }

    /// Pops up to `limit` messages; frees their capacity in one step.
    fn pop_many(&self, buffer: &mut Vec<T>, limit: usize) -> usize {
        let mut n = 0;
        while n < limit {
            // SAFETY: only the receiver pops (see the module invariants).
            let Some(value) = (unsafe { self.chan.list.pop() }) else {
                break;
            };
            buffer.push(value);
            n += 1;
        }
        if n > 0 {
            self.chan.semaphore.add_permits(n);
        }
        n
    }

    /// No message can arrive any more (given that the list looked empty):
    /// every sender is gone, or the channel is closed and nothing is in
    /// flight. Once true it stays true.
    fn is_finished(&self) -> bool {
        let chan = &*self.chan;
        chan.strong_count() == 0 || (chan.semaphore.is_closed() && chan.semaphore.is_idle())
    }

    pub(crate) fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let coop = ready!(crate::coop::poll_proceed(cx));
        if let Some(value) = self.pop() {
            coop.made_progress();
            return Poll::Ready(Some(value));
        }
        self.chan.rx_waker.register_by_ref(cx.waker());
        // Anything pushed before a wake that could not see our waker is
        // visible now.
        if let Some(value) = self.pop() {
            coop.made_progress();
            return Poll::Ready(Some(value));
        }
        if self.is_finished() {
            coop.made_progress();
            // A last message pushed just before the end became visible
            // with the `Acquire` load in `is_finished`.
            return Poll::Ready(self.pop());
        }
        Poll::Pending
    }

    pub(crate) fn poll_recv_many(
        &mut self,
        cx: &mut Context<'_>,
        buffer: &mut Vec<T>,
        limit: usize,
    ) -> Poll<usize> {
        if limit == 0 {
            return Poll::Ready(0);
        }
        let coop = ready!(crate::coop::poll_proceed(cx));
        let n = self.pop_many(buffer, limit);
        if n > 0 {
            coop.made_progress();
            return Poll::Ready(n);
        }
        self.chan.rx_waker.register_by_ref(cx.waker());
        let n = self.pop_many(buffer, limit);
        if n > 0 || self.is_finished() {
            coop.made_progress();
            return Poll::Ready(if n > 0 {
                n
            } else {
                self.pop_many(buffer, limit)
            });
        }
        Poll::Pending
    }

    pub(crate) fn try_recv(&mut self) -> Result<T, TryRecvError> {
        if let Some(value) = self.pop() {
            return Ok(value);
        }
        if self.is_finished() {
            return self.pop().ok_or(TryRecvError::Disconnected);
        }
        Err(TryRecvError::Empty)
    }
}

impl<T, S: ChanSemaphore> Drop for Rx<T, S> {
    fn drop(&mut self) {
        self.close();
        // Drop what is queued now, and give the capacity back so that the
        // accounting stays exact; later pushes (by holders of reservations)
        // are dropped with the allocation.
        let mut drained = 0;
        // SAFETY: only the receiver pops (see the module invariants).
        while let Some(value) = unsafe { self.chan.list.pop() } {
            drop(value);
            drained += 1;
        }
        if drained > 0 {
            self.chan.semaphore.add_permits(drained);
        }
    }
}

impl<T, S: ChanSemaphore> fmt::Debug for Chan<T, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Chan")
            .field("len", &self.list.len())
            .field("senders", &self.strong_count())
            .field("weak_senders", &self.weak_count())
            .field("rx_closed", &self.rx_closed.load(Acquire))
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::super::unbounded_channel;
    use std::future::Future;
    use std::pin::pin;
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use std::sync::Arc;
    use std::task::{Context, Poll, Wake, Waker};

    #[derive(Default)]
    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, SeqCst);
        }
    }

    /// A receive on a spent budget yields (waking itself) and takes
    /// nothing; with a fresh budget the message is there.
    #[test]
    fn exhausted_budget_yields() {
        let count = Arc::new(Count::default());
        let waker = Waker::from(count.clone());
        let (tx, mut rx) = unbounded_channel();
        tx.send(1).unwrap();
        crate::coop::with_budget(crate::coop::Budget::initial(), || {
            let mut cx = Context::from_waker(&waker);
            while let Poll::Ready(r) = crate::coop::poll_proceed(&mut cx) {
                r.made_progress();
            }
            let recv = pin!(rx.recv());
            assert!(recv.poll(&mut cx).is_pending());
        });
        assert!(count.0.load(SeqCst) >= 1);
        assert_eq!(rx.try_recv(), Ok(1));
    }

    #[test]
    fn send_wakes_waiting_receiver() {
        let count = Arc::new(Count::default());
        let waker = Waker::from(count.clone());
        let (tx, mut rx) = unbounded_channel();
        let mut cx = Context::from_waker(&waker);
        assert!(rx.poll_recv(&mut cx).is_pending());
        tx.send(5).unwrap();
        assert_eq!(count.0.load(SeqCst), 1);
        drop(tx);
        assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(Some(5)));
        assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(None));
    }

    #[test]
    fn last_sender_drop_wakes_receiver() {
        let count = Arc::new(Count::default());
        let waker = Waker::from(count.clone());
        let (tx, mut rx) = unbounded_channel::<u8>();
        let tx2 = tx.clone();
        let mut cx = Context::from_waker(&waker);
        assert!(rx.poll_recv(&mut cx).is_pending());
        drop(tx);
        assert_eq!(count.0.load(SeqCst), 0);
        drop(tx2);
        assert_eq!(count.0.load(SeqCst), 1);
        assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(None));
    }
}
