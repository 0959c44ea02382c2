//! A multi-producer, multi-consumer channel where every receiver sees every
//! value.
//!
//! [`channel`] returns a [`Sender`] and a [`Receiver`]; more receivers come
//! from [`Sender::subscribe`] and see the values sent after they subscribed.
//! Each value is cloned out to each receiver, so `T: Clone`.
//!
//! The channel is bounded: it holds the last `capacity` values. Sending never
//! waits; a receiver that falls more than `capacity` values behind loses the
//! oldest ones, learns how many with [`error::RecvError::Lagged`] (once), and
//! then continues from the oldest value still held.
//!
//! # Examples
//!
//! ```
//! use weave::sync::broadcast;
//!
//! # futures::executor::block_on(async {
//! let (tx, mut rx1) = broadcast::channel(16);
//! let mut rx2 = tx.subscribe();
//!
//! tx.send(10).unwrap();
//! tx.send(20).unwrap();
//!
//! assert_eq!(rx1.recv().await, Ok(10));
//! assert_eq!(rx1.recv().await, Ok(20));
//! assert_eq!(rx2.recv().await, Ok(10));
//! assert_eq!(rx2.recv().await, Ok(20));
//! # });
//! ```
//!
//! # Implementation
//!
//! A ring of `capacity` slots (rounded up to a power of two), each behind
//! its own small lock, plus a tail lock for the write position and the
//! receiver count; see `ring.rs` for the invariants. Receivers wait on a
//! [`Notify`](crate::sync::Notify): `recv` creates its `Notified` before it
//! looks at the ring, and every send calls `notify_waiters` after it
//! released the tail lock, so a send that the look missed always wakes the
//! receiver. A receiver dropped while waiting drops its `Notified`, which
//! unlinks itself: nothing is left behind.

pub mod error;
mod ring;

use self::error::{RecvError, SendError, TryRecvError};
use self::ring::{Ring, TryRecv};
use crate::loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use crate::loom::sync::Arc;
use std::fmt;
use std::pin::pin;

/// Creates a broadcast channel holding up to `capacity` values (rounded up
/// to a power of two).
///
/// # Panics
///
/// If `capacity` is zero or larger than `usize::MAX / 2`.
///
/// # Examples
///
/// ```
/// use weave::sync::broadcast;
///
/// let (tx, mut rx) = broadcast::channel(3); // room for 4
/// for i in 0..4 {
///     tx.send(i).unwrap();
/// }
/// assert_eq!(tx.len(), 4);
/// assert_eq!(rx.try_recv(), Ok(0));
/// ```
pub fn channel<T: Clone>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    let tx = Sender::with_receivers(capacity, 1);
    let rx = Receiver {
        shared: tx.shared.clone(),
        next: 0,
    };
    (tx, rx)
}

/// What the handles of one channel share.
struct Shared<T> {
    ring: Ring<T>,
    /// Live [`Sender`]s; the channel closes when this reaches zero.
    senders: AtomicUsize,
    /// Live [`WeakSender`]s.
    weak_senders: AtomicUsize,
}

/// The sending half of a broadcast channel; cloneable.
///
/// Dropping the last sender closes the channel: receivers get the values
/// still held for them, then [`RecvError::Closed`].
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

/// A sender that does not keep the channel open; see
/// [`Sender::downgrade`].
pub struct WeakSender<T> {
    shared: Arc<Shared<T>>,
}

/// The receiving half of a broadcast channel.
///
/// Not `Clone` (a clone would have to pick a position); use
/// [`Receiver::resubscribe`] or [`Sender::subscribe`].
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
    /// The position of the next value to read.
    next: u64,
}

/// Charges one unit of the cooperative budget (yielding if it is spent), so
/// that a receiver of a busy channel lets other tasks run.
async fn coop_proceed() {
    std::future::poll_fn(|cx| crate::coop::poll_proceed(cx).map(|r| r.made_progress())).await
}

impl<T> Sender<T> {
    /// Creates a sender with room for `capacity` values (rounded up to a
    /// power of two) and no receivers yet; get them with
    /// [`subscribe`](Sender::subscribe).
    ///
    /// # Panics
    ///
    /// If `capacity` is zero or larger than `usize::MAX / 2`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weave::sync::broadcast;
    ///
    /// let tx = broadcast::Sender::new(8);
    /// assert!(tx.send(1).is_err()); // nobody listens yet
    /// let mut rx = tx.subscribe();
    /// tx.send(2).unwrap();
    /// assert_eq!(rx.try_recv(), Ok(2));
    /// ```
    pub fn new(capacity: usize) -> Sender<T> {
        Sender::with_receivers(capacity, 0)
    }

    fn with_receivers(capacity: usize, rx_cnt: usize) -> Sender<T> {
        assert!(capacity > 0, "broadcast channel capacity cannot be zero");
        assert!(
            capacity <= usize::MAX >> 1,
            "broadcast channel capacity exceeded `usize::MAX / 2`"
        );
        Sender {
            shared: Arc::new(Shared {
                ring: Ring::new(capacity.next_power_of_two(), rx_cnt),
                senders: AtomicUsize::new(1),
                weak_senders: AtomicUsize::new(0),
            }),
        }
    }

    /// Sends `value` to every current receiver, never waiting. Returns how
    /// many receivers will see it, or hands the value back in [`SendError`]
    /// if there is none.
    ///
    /// An `Ok` does not promise the value is read: a receiver may drop, or
    /// lag past it.
    ///
    /// # Examples
    ///
    /// ```
    /// use weave::sync::broadcast;
    ///
    /// let (tx, rx) = broadcast::channel(2);
    /// let _rx2 = tx.subscribe();
    /// assert_eq!(tx.send("hi").unwrap(), 2);
    /// drop((rx, _rx2));
    /// assert_eq!(tx.send("bye").unwrap_err().0, "bye");
    /// ```
    pub fn send(&self, value: T) -> Result<usize, SendError<T>> {
        self.shared.ring.send(value).map_err(SendError)
    }

    /// Creates a receiver that sees every value sent after this call.
    ///
    /// # Examples
    ///
    /// ```
    /// use weave::sync::broadcast;
    ///
    /// let (tx, _rx) = broadcast::channel(2);
    /// tx.send(1).unwrap();
    /// let mut rx2 = tx.subscribe();
    /// tx.send(2).unwrap();
    /// assert_eq!(rx2.try_recv(), Ok(2));
    /// ```
    pub fn subscribe(&self) -> Receiver<T> {
        Receiver {
            next: self.shared.ring.subscribe(),
            shared: self.shared.clone(),
        }
    }

    /// Returns a [`WeakSender`], which does not keep the channel open.
    ///
    /// # Examples
    ///
    /// ```
    /// use weave::sync::broadcast;
    ///
    /// let (tx, _rx) = broadcast::channel::<u8>(2);
    /// let weak = tx.downgrade();
    /// assert!(weak.upgrade().is_some());
    /// drop(tx);
    /// assert!(weak.upgrade().is_none());
    /// ```
    pub fn downgrade(&self) -> WeakSender<T> {
        self.shared.weak_senders.fetch_add(1, SeqCst);
        WeakSender {
            shared: self.shared.clone(),
        }
    }

    /// Returns the number of values held for at least one receiver that has
    /// not read them yet (at most the capacity).
    ///
    /// # Examples
    ///
    /// ```
    /// use weave::sync::broadcast;
    ///
    /// let (tx, mut rx) = broadcast::channel(4);
    /// tx.send(1).unwrap();
    /// tx.send(2).unwrap();
    /// assert_eq!(tx.len(), 2);
    /// rx.try_recv().unwrap();
    /// assert_eq!(tx.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.shared.ring.len()
    }

    /// Returns `true` if no value waits to be read by any receiver.
    ///
    /// # Examples
    ///
    /// ```
    /// use weave::sync::broadcast;
    ///
    /// let (tx, mut rx) = broadcast::channel(4);
    /// assert!(tx.is_empty());
    /// tx.send(1).unwrap();
    /// assert!(!tx.is_empty());
    /// rx.try_recv().unwrap();
    /// assert!(tx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Returns the number of live receivers.
    ///
    /// # Examples
    ///
    /// ```
    /// use weave::sync::broadcast;
    ///
    /// let (tx, _rx) = broadcast::channel::<()>(1);
    /// let _rx2 = tx.subscribe();
    /// assert_eq!(tx.receiver_count(), 2);
    /// ```
    pub fn receiver_count(&self) -> usize {
        self.shared.ring.tail.lock().rx_cnt
    }

    /// Returns `true` if both senders belong to the same channel.
    ///
    /// # Examples
    ///
    /// ```
    /// use weave::sync::broadcast;
    ///
    /// let (tx, _rx) = broadcast::channel::<()>(1);
    /// let (other, _rx2) = broadcast::channel::<()>(1);
    /// assert!(tx.same_channel(&tx.clone()));
    /// assert!(!tx.same_channel(&other));
    /// ```
    pub fn same_channel(&self, other: &Sender<T>) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }

    /// Waits until every receiver has been dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use weave::sync::broadcast;
    ///
    /// # futures::executor::block_on(async {
    /// let (tx, rx) = broadcast::channel::<u8>(1);
    /// std::thread::spawn(move || drop(rx));
    /// tx.closed().await;
    /// assert_eq!(tx.receiver_count(), 0);
    /// # });
    /// ```
    pub async fn closed(&self) {
        loop {
            // Created before the check, so a drop in between still wakes us.
            let notified = pin!(self.shared.ring.notify_no_rx.notified());
            if self.receiver_count() == 0 {
                return;
            }
            notified.await;
        }
    }

    /// Returns the number of [`Sender`]s of this channel.
    ///
    /// # Examples
    ///
    /// ```
    /// use weave::sync::broadcast;
    ///
    /// let (tx, _rx) = broadcast::channel::<()>(1);
    /// let _tx2 = tx.clone();
    /// assert_eq!(tx.strong_count(), 2);
    /// ```
    pub fn strong_count(&self) -> usize {
        self.shared.senders.load(SeqCst)
    }

    /// Returns the number of [`WeakSender`]s of this channel.
    ///
    /// # Examples
    ///
    /// ```
    /// use weave::sync::broadcast;
    ///
    /// let (tx, _rx) = broadcast::channel::<()>(1);
    /// let _weak = tx.downgrade();
    /// assert_eq!(tx.weak_count(), 1);
    /// ```
    pub fn weak_count(&self) -> usize {
        self.shared.weak_senders.load(SeqCst)
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Sender<T> {
        self.shared.senders.fetch_add(1, SeqCst);
        Sender {
            shared: self.shared.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        if self.shared.senders.fetch_sub(1, SeqCst) == 1 {
            self.shared.ring.close();
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("capacity", &self.shared.ring.capacity())
            .field("receivers", &self.receiver_count())
            .finish()
    }
}

impl<T> WeakSender<T> {
    /// Returns a [`Sender`] if any sender is still alive (the channel is not
    /// closed), `None` otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// use weave::sync::broadcast;
    ///
    /// let (tx, _rx) = broadcast::channel::<u8>(2);
    /// let weak = tx.downgrade();
    /// let tx2 = weak.upgrade().unwrap();
    /// drop(tx);
    /// tx2.send(1).unwrap(); // still open through the upgraded sender
    /// ```
    pub fn upgrade(&self) -> Option<Sender<T>> {
        let mut cur = self.shared.senders.load(SeqCst);
        loop {
            if cur == 0 {
                // Closed for good: a channel never reopens.
                return None;
            }
            match self
                .shared
                .senders
                .compare_exchange(cur, cur + 1, SeqCst, SeqCst)
            {
                Ok(_) => {
                    return Some(Sender {
                        shared: self.shared.clone(),
                    })
                }
                Err(actual) => cur = actual,
            }
        }
    }

    /// Returns the number of [`Sender`]s of this channel.
    ///
    /// # Examples
    ///
    /// ```
    /// use weave::sync::broadcast;
    ///
    /// let (tx, _rx) = broadcast::channel::<()>(1);
    /// assert_eq!(tx.downgrade().strong_count(), 1);
    /// ```
    pub fn strong_count(&self) -> usize {
        self.shared.senders.load(SeqCst)
    }

    /// Returns the number of [`WeakSender`]s of this channel.
    ///
    /// # Examples
    ///
    /// ```
    /// use weave::sync::broadcast;
    ///
    /// let (tx, _rx) = broadcast::channel::<()>(1);
    /// let weak = tx.downgrade();
    /// assert_eq!(weak.clone().weak_count(), 2);
    /// ```
    pub fn weak_count(&self) -> usize {
        self.shared.weak_senders.load(SeqCst)
    }
}

impl<T> Clone for WeakSender<T> {
    fn clone(&self) -> WeakSender<T> {
        self.shared.weak_senders.fetch_add(1, SeqCst);
        WeakSender {
            shared: self.shared.clone(),
        }
    }
}

impl<T> Drop for WeakSender<T> {
    fn drop(&mut self) {
        self.shared.weak_senders.fetch_sub(1, SeqCst);
    }
}

impl<T> fmt::Debug for WeakSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WeakSender").finish_non_exhaustive()
    }
}

impl<T> Receiver<T> {
    /// Returns the number of values sent that this receiver has not read
    /// yet (counting values it has lagged past, until it learns of them).
    ///
    /// # Examples
    ///
    /// ```
    /// use weave::sync::broadcast;
    ///
    /// let (tx, mut rx) = broadcast::channel(4);
    /// tx.send(1).unwrap();
    /// tx.send(2).unwrap();
    /// assert_eq!(rx.len(), 2);
    /// rx.try_recv().unwrap();
    /// assert_eq!(rx.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        let tail = self.shared.ring.tail.lock();
        (tail.pos - self.next) as usize
    }

    /// Returns `true` if this receiver has read every value sent so far.
    ///
    /// # Examples
    ///
    /// ```
    /// use weave::sync::broadcast;
    ///
    /// let (tx, mut rx) = broadcast::channel(4);
    /// assert!(rx.is_empty());
    /// tx.send(1).unwrap();
    /// assert!(!rx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Returns `true` if both receivers belong to the same channel.
    ///
    /// # Examples
    ///
    /// ```
    /// use weave::sync::broadcast;
    ///
    /// let (tx, rx) = broadcast::channel::<()>(1);
    /// let (_tx2, rx2) = broadcast::channel::<()>(1);
    /// assert!(rx.same_channel(&tx.subscribe()));
    /// assert!(!rx.same_channel(&rx2));
    /// ```
    pub fn same_channel(&self, other: &Receiver<T>) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }

    /// Returns `true` once every sender has been dropped (values may still
    /// be waiting to be read).
    ///
    /// # Examples
    ///
    /// ```
    /// use weave::sync::broadcast;
    ///
    /// let (tx, rx) = broadcast::channel::<()>(1);
    /// assert!(!rx.is_closed());
    /// drop(tx);
    /// assert!(rx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.shared.ring.tail.lock().closed
    }

    /// Returns the number of [`Sender`]s of this channel.
    ///
    /// # Examples
    ///
    /// ```
    /// use weave::sync::broadcast;
    ///
    /// let (tx, rx) = broadcast::channel::<()>(1);
    /// assert_eq!(rx.sender_strong_count(), 1);
    /// drop(tx);
    /// assert_eq!(rx.sender_strong_count(), 0);
    /// ```
    pub fn sender_strong_count(&self) -> usize {
        self.shared.senders.load(SeqCst)
    }

    /// Returns the number of [`WeakSender`]s of this channel.
    ///
    /// # Examples
    ///
    /// ```
    /// use weave::sync::broadcast;
    ///
    /// let (tx, rx) = broadcast::channel::<()>(1);
    /// let _weak = tx.downgrade();
    /// assert_eq!(rx.sender_weak_count(), 1);
    /// ```
    pub fn sender_weak_count(&self) -> usize {
        self.shared.weak_senders.load(SeqCst)
    }

    /// Creates a new receiver of the same channel that sees the values sent
    /// after this call (not the ones `self` has yet to read).
    ///
    /// # Examples
    ///
    /// ```
    /// use weave::sync::broadcast;
    ///
    /// let (tx, rx) = broadcast::channel(2);
    /// tx.send(1).unwrap();
    /// let mut rx2 = rx.resubscribe();
    /// tx.send(2).unwrap();
    /// assert_eq!(rx2.try_recv(), Ok(2));
    /// ```
    pub fn resubscribe(&self) -> Receiver<T> {
        Receiver {
            next: self.shared.ring.subscribe(),
            shared: self.shared.clone(),
        }
    }
}

impl<T: Clone> Receiver<T> {
    /// Receives the next value, waiting for one if needed.
    ///
    /// Returns [`RecvError::Lagged`] once if this receiver fell behind by
    /// more than the capacity (the next call returns the oldest value still
    /// held), and [`RecvError::Closed`] once every sender is gone and every
    /// value held for this receiver has been read. Cancel safe: a value is
    /// only taken by a call that returns it.
    ///
    /// # Examples
    ///
    /// ```
    /// use weave::sync::broadcast;
    ///
    /// # futures::executor::block_on(async {
    /// let (tx, mut rx) = broadcast::channel(4);
    /// std::thread::spawn(move || {
    ///     tx.send("a").unwrap();
    /// });
    /// assert_eq!(rx.recv().await, Ok("a"));
    /// assert!(rx.recv().await.is_err()); // sender gone
    /// # });
    /// ```
    pub async fn recv(&mut self) -> Result<T, RecvError> {
        coop_proceed().await;
        loop {
            // Created before looking at the ring: a send we miss wakes it.
            let notified = pin!(self.shared.ring.notify_rx.notified());
            match self.shared.ring.try_recv(&mut self.next) {
                TryRecv::Value(v) => return Ok(v),
                TryRecv::Closed => return Err(RecvError::Closed),
                TryRecv::Lagged(n) => return Err(RecvError::Lagged(n)),
                TryRecv::Empty => notified.await,
            }
        }
    }

    /// Receives the next value if one is available, without waiting.
    ///
    /// # Examples
    ///
    /// ```
    /// use weave::sync::broadcast::{self, error::TryRecvError};
    ///
    /// let (tx, mut rx) = broadcast::channel(2);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// tx.send(1).unwrap();
    /// tx.send(2).unwrap();
    /// tx.send(3).unwrap();
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Lagged(1)));
    /// assert_eq!(rx.try_recv(), Ok(2));
    /// assert_eq!(rx.try_recv(), Ok(3));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        match self.shared.ring.try_recv(&mut self.next) {
            TryRecv::Value(v) => Ok(v),
            TryRecv::Empty => Err(TryRecvError::Empty),
            TryRecv::Closed => Err(TryRecvError::Closed),
            TryRecv::Lagged(n) => Err(TryRecvError::Lagged(n)),
        }
    }

    /// Receives the next value, blocking the current thread until one
    /// arrives. For use outside asynchronous code.
    ///
    /// # Panics
    ///
    /// If called from a thread that drives a weave runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// use weave::sync::broadcast;
    ///
    /// let (tx, mut rx) = broadcast::channel(2);
    /// let t = std::thread::spawn(move || rx.blocking_recv());
    /// tx.send(5).unwrap();
    /// assert_eq!(t.join().unwrap(), Ok(5));
    /// ```
    #[track_caller]
    #[cfg(not(loom))]
    pub fn blocking_recv(&mut self) -> Result<T, RecvError> {
        crate::enter::assert_blocking_allowed(
            "`blocking_recv` cannot be called from within an asynchronous runtime: \
             use `.await` instead",
        );
        crate::park::block_on(self.recv())
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        if self.shared.ring.unsubscribe(self.next) {
            self.shared.ring.notify_no_rx.notify_waiters();
        }
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("next", &self.next)
            .finish()
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use loom::future::block_on;
    use loom::thread;

    /// Three sends racing a receiver on a channel of capacity 2: whatever it
    /// reads is in order, a lag is reported at most once and accounts for
    /// every value it skipped, and it ends with `Closed`.
    #[test]
    fn loom_broadcast_lag_send_vs_recv() {
        loom::model(|| {
            let (tx, mut rx) = channel::<u8>(2);
            let t = thread::spawn(move || {
                for i in 0..3 {
                    tx.send(i).unwrap();
                }
            });
            block_on(async {
                let mut expected = 0u8;
                let mut lagged = false;
                loop {
                    match rx.recv().await {
                        Ok(v) => {
                            assert_eq!(v, expected);
                            expected += 1;
                        }
                        Err(RecvError::Lagged(n)) => {
                            assert!(!lagged);
                            lagged = true;
                            expected += n as u8;
                        }
                        Err(RecvError::Closed) => break,
                    }
                }
                assert_eq!(expected, 3);
            });
            t.join().unwrap();
        });
    }

    /// A receiver dropped while a send is in flight releases its claim: the
    /// value is dropped once nobody else needs it, and nothing is leaked
    /// (loom reports leaked `Arc`s).
    #[test]
    fn loom_broadcast_rx_drop_vs_send() {
        loom::model(|| {
            let (tx, rx) = channel::<Arc<()>>(2);
            let mut rx2 = tx.subscribe();
            let t = thread::spawn(move || drop(rx));
            let value = Arc::new(());
            tx.send(value.clone()).unwrap();
            t.join().unwrap();
            let got = rx2.try_recv().unwrap();
            drop(got);
            // rx2 was the last that needed it: only our handle is left.
            assert_eq!(Arc::strong_count(&value), 1);
        });
    }
}
