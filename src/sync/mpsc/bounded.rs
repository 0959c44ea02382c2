//! The bounded flavour: at most `buffer` messages are queued or reserved at
//! once; senders wait (in FIFO order) for a free slot.

use super::chan::{self, Rx, Tx, WeakTx};
use super::error::{SendError, TryRecvError, TrySendError};
use super::permit::{OwnedPermit, Permit, PermitIterator};
use super::semaphore::Bounded;
use crate::sync::batch_semaphore::{Semaphore, TryAcquireError};
use std::fmt;
use std::task::{Context, Poll};

/// Creates a bounded channel holding at most `buffer` messages.
///
/// A send waits while the channel is full; waiting senders get slots in
/// the order they asked for them.
///
/// # Panics
///
/// If `buffer` is 0, or larger than the most permits a semaphore can hold.
///
/// ```
/// use weave::sync::mpsc;
///
/// # futures::executor::block_on(async {
/// let (tx, mut rx) = mpsc::channel(16);
/// let producer = std::thread::spawn(move || {
///     for i in 0..100 {
///         tx.blocking_send(i).unwrap();
///     }
/// });
/// let mut sum = 0;
/// while let Some(i) = rx.recv().await {
///     sum += i;
/// }
/// assert_eq!(sum, 4950);
/// producer.join().unwrap();
/// # });
/// ```
#[track_caller]
pub fn channel<T>(buffer: usize) -> (Sender<T>, Receiver<T>) {
    assert!(buffer > 0, "mpsc bounded channel requires buffer > 0");
    assert!(
        buffer <= Semaphore::MAX_PERMITS,
        "mpsc bounded channel requires buffer <= {}",
        Semaphore::MAX_PERMITS
    );
    let (tx, rx) = chan::channel(Bounded::new(buffer));
    (Sender { chan: tx }, Receiver { chan: rx })
}

/// The sending half of a bounded channel; clone it for more producers.
///
/// The channel ends (the receiver sees `None` once drained) when the last
/// `Sender` (or [`OwnedPermit`]) is dropped.
pub struct Sender<T> {
    chan: Tx<T, Bounded>,
}

/// A sender that does not keep the channel open; [`upgrade`](Self::upgrade)
/// it to send.
///
/// ```
/// use weave::sync::mpsc;
///
/// let (tx, _rx) = mpsc::channel::<u8>(1);
/// let weak = tx.downgrade();
/// assert_eq!(tx.weak_count(), 1);
/// assert!(weak.upgrade().is_some());
/// drop(tx);
/// assert!(weak.upgrade().is_none());
/// ```
pub struct WeakSender<T> {
    chan: WeakTx<T, Bounded>,
}

/// The receiving half of a bounded channel.
pub struct Receiver<T> {
    chan: Rx<T, Bounded>,
}

/// Converts a waiting acquire's `u32` count, refusing counts the channel
/// could never grant.
fn permits_for(chan: &Tx<impl Sized, Bounded>, n: usize) -> Option<u32> {
    if n > chan.chan.semaphore.bound {
        return None;
    }
    u32::try_from(n).ok()
}

impl<T> Sender<T> {
    pub(crate) fn from_tx(chan: Tx<T, Bounded>) -> Sender<T> {
        Sender { chan }
    }

    fn semaphore(&self) -> &Semaphore {
        &self.chan.chan.semaphore.semaphore
    }

    /// Takes `n` slots, waiting in FIFO order if they are not free.
    /// `Err` if the channel is closed.
    async fn acquire(&self, n: u32) -> Result<(), ()> {
        // Fast path: free slots are taken with one CAS, without building
        // the semaphore's wait node. It cannot overtake waiting senders:
        // while any wait, the semaphore has no free permits. Charged to
        // the cooperative budget like the slow path.
        let fast = std::future::poll_fn(|cx| {
            let coop = std::task::ready!(crate::coop::poll_proceed(cx));
            Poll::Ready(match self.semaphore().try_acquire(n) {
                Ok(()) => {
                    coop.made_progress();
                    Some(Ok(()))
                }
                Err(TryAcquireError::Closed) => Some(Err(())),
                Err(TryAcquireError::NoPermits) => None,
            })
        })
        .await;
        match fast {
            Some(result) => result,
            None => self.semaphore().acquire(n).await.map_err(|_| ()),
        }
    }

    /// Sends `value`, waiting for a free slot if the channel is full.
    ///
    /// Fails, handing the value back, if the receiver is dropped or closed
    /// (also while waiting). Cancel safe in the sense that dropping the
    /// future loses its place in line but never a message (the value is
    /// dropped with the future, never queued).
    ///
    /// ```
    /// use weave::sync::mpsc;
    ///
    /// # futures::executor::block_on(async {
    /// let (tx, mut rx) = mpsc::channel(1);
    /// tx.send(1).await.unwrap();
    /// assert_eq!(rx.recv().await, Some(1));
    /// drop(rx);
    /// assert_eq!(tx.send(2).await.unwrap_err().0, 2);
    /// # });
    /// ```
    pub async fn send(&self, value: T) -> Result<(), SendError<T>> {
        match self.reserve().await {
            Ok(permit) => {
                permit.send(value);
                Ok(())
            }
            Err(_) => Err(SendError(value)),
        }
    }

    /// Sends `value` if a slot is free right now.
    ///
    /// ```
    /// use weave::sync::mpsc::{self, error::TrySendError};
    ///
    /// let (tx, _rx) = mpsc::channel(1);
    /// assert!(tx.try_send(1).is_ok());
    /// assert!(matches!(tx.try_send(2), Err(TrySendError::Full(2))));
    /// ```
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        match self.semaphore().try_acquire(1) {
            Ok(()) => {
                self.chan.chan.push(value);
                Ok(())
            }
            Err(TryAcquireError::Closed) => Err(TrySendError::Closed(value)),
            Err(TryAcquireError::NoPermits) => Err(TrySendError::Full(value)),
        }
    }

    /// Like [`send`](Self::send), but gives up after `timeout`.
    ///
    /// Needs a runtime with the time driver enabled.
    ///
    /// ```
    /// use weave::sync::mpsc::{self, error::SendTimeoutError};
    /// use weave::time::Duration;
    ///
    /// # weave::runtime::Builder::new_current_thread().enable_time().start_paused(true)
    /// #     .build().unwrap().block_on(async {
    /// let (tx, _rx) = mpsc::channel(1);
    /// tx.send(1).await.unwrap();
    /// let err = tx.send_timeout(2, Duration::from_secs(1)).await.unwrap_err();
    /// assert!(matches!(err, SendTimeoutError::Timeout(2)));
    /// # });
    /// ```
    #[cfg(not(loom))]
    pub async fn send_timeout(
        &self,
        value: T,
        timeout: std::time::Duration,
    ) -> Result<(), super::error::SendTimeoutError<T>> {
        use super::error::SendTimeoutError;
        match crate::time::timeout(timeout, self.reserve()).await {
            Ok(Ok(permit)) => {
                permit.send(value);
                Ok(())
            }
            Ok(Err(_)) => Err(SendTimeoutError::Closed(value)),
            Err(_) => Err(SendTimeoutError::Timeout(value)),
        }
    }

    /// Blocks the current thread until `value` is sent (see
    /// [`send`](Self::send)).
    ///
    /// # Panics
    ///
    /// If called on a thread that drives an asynchronous runtime.
    ///
    /// ```
    /// use weave::sync::mpsc;
    ///
    /// let (tx, mut rx) = mpsc::channel(1);
    /// std::thread::spawn(move || tx.blocking_send(5).unwrap());
    /// assert_eq!(rx.blocking_recv(), Some(5));
    /// ```
    #[track_caller]
    #[cfg(not(loom))]
    pub fn blocking_send(&self, value: T) -> Result<(), SendError<T>> {
        crate::enter::assert_blocking_allowed(
            "`blocking_send` cannot be called from within an asynchronous runtime: \
             use `.await` instead",
        );
        crate::park::block_on(self.send(value))
    }

    /// Waits for a free slot and reserves it. Cancel safe: a dropped
    /// `reserve` future holds no slot.
    ///
    /// Fails if the receiver is dropped or closed.
    pub async fn reserve(&self) -> Result<Permit<'_, T>, SendError<()>> {
        match self.acquire(1).await {
            Ok(()) => Ok(Permit::new(&self.chan)),
            Err(_) => Err(SendError(())),
        }
    }

    /// Waits for `n` free slots and reserves them all at once.
    ///
    /// Fails if the receiver is dropped or closed, or if `n` exceeds
    /// [`max_capacity`](Self::max_capacity) (it could never be granted).
    pub async fn reserve_many(&self, n: usize) -> Result<PermitIterator<'_, T>, SendError<()>> {
        let Some(count) = permits_for(&self.chan, n) else {
            return Err(SendError(()));
        };
        match self.acquire(count).await {
            Ok(()) => Ok(PermitIterator::new(&self.chan, n)),
            Err(_) => Err(SendError(())),
        }
    }

    /// Like [`reserve`](Self::reserve), but the permit owns the sender, so
    /// it has no lifetime and can move to another task.
    pub async fn reserve_owned(self) -> Result<OwnedPermit<T>, SendError<()>> {
        match self.acquire(1).await {
            Ok(()) => Ok(OwnedPermit::new(self.chan)),
            Err(_) => Err(SendError(())),
        }
    }

    /// Reserves a slot if one is free right now.
    pub fn try_reserve(&self) -> Result<Permit<'_, T>, TrySendError<()>> {
        match self.semaphore().try_acquire(1) {
            Ok(()) => Ok(Permit::new(&self.chan)),
            Err(TryAcquireError::Closed) => Err(TrySendError::Closed(())),
            Err(TryAcquireError::NoPermits) => Err(TrySendError::Full(())),
        }
    }

    /// Reserves `n` slots if they are free right now (`Full` if `n` exceeds
    /// [`max_capacity`](Self::max_capacity)).
    pub fn try_reserve_many(&self, n: usize) -> Result<PermitIterator<'_, T>, TrySendError<()>> {
        let Some(count) = permits_for(&self.chan, n) else {
            return Err(TrySendError::Full(()));
        };
        match self.semaphore().try_acquire(count) {
            Ok(()) => Ok(PermitIterator::new(&self.chan, n)),
            Err(TryAcquireError::Closed) => Err(TrySendError::Closed(())),
            Err(TryAcquireError::NoPermits) => Err(TrySendError::Full(())),
        }
    }

    /// Like [`try_reserve`](Self::try_reserve), owning the sender; on
    /// failure the sender comes back inside the error.
    pub fn try_reserve_owned(self) -> Result<OwnedPermit<T>, TrySendError<Self>> {
        match self.semaphore().try_acquire(1) {
            Ok(()) => Ok(OwnedPermit::new(self.chan)),
            Err(TryAcquireError::Closed) => Err(TrySendError::Closed(self)),
            Err(TryAcquireError::NoPermits) => Err(TrySendError::Full(self)),
        }
    }

    /// Waits until the receiver is dropped or closed.
    pub async fn closed(&self) {
        self.chan.closed().await
    }

    /// True if the receiver has been dropped or closed.
    pub fn is_closed(&self) -> bool {
        self.chan.is_closed()
    }

    /// Free slots right now.
    ///
    /// ```
    /// use weave::sync::mpsc;
    ///
    /// let (tx, _rx) = mpsc::channel::<u8>(3);
    /// let permit = tx.try_reserve().unwrap();
    /// assert_eq!((tx.capacity(), tx.max_capacity()), (2, 3));
    /// drop(permit);
    /// assert_eq!(tx.capacity(), 3);
    /// ```
    pub fn capacity(&self) -> usize {
        self.semaphore().available_permits()
    }

    /// The `buffer` the channel was created with.
    pub fn max_capacity(&self) -> usize {
        self.chan.chan.semaphore.bound
    }

    /// True if both senders feed the same channel.
    pub fn same_channel(&self, other: &Self) -> bool {
        self.chan.same_channel(&other.chan)
    }

    /// Makes a [`WeakSender`], which does not keep the channel open.
    pub fn downgrade(&self) -> WeakSender<T> {
        WeakSender {
            chan: self.chan.downgrade(),
        }
    }

    /// Number of live `Sender`s (and `OwnedPermit`s) of this channel.
    pub fn strong_count(&self) -> usize {
        self.chan.strong_count()
    }

    /// Number of live `WeakSender`s of this channel.
    pub fn weak_count(&self) -> usize {
        self.chan.weak_count()
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        Sender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("chan", &*self.chan.chan)
            .finish()
    }
}

impl<T> WeakSender<T> {
    /// Turns this into a real sender, unless every sender is already gone.
    pub fn upgrade(&self) -> Option<Sender<T>> {
        self.chan.upgrade().map(|chan| Sender { chan })
    }

    /// Number of live `Sender`s of this channel.
    pub fn strong_count(&self) -> usize {
        self.chan.strong_count()
    }

    /// Number of live `WeakSender`s of this channel.
    pub fn weak_count(&self) -> usize {
        self.chan.weak_count()
    }
}

impl<T> Clone for WeakSender<T> {
    fn clone(&self) -> Self {
        WeakSender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> fmt::Debug for WeakSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WeakSender").finish_non_exhaustive()
    }
}

impl<T> Receiver<T> {
    /// Receives the next message, waiting for one if need be.
    ///
    /// Returns `None` once every sender is gone (or the receiver closed the
    /// channel and no reserved slot is left) and everything queued has been
    /// received. Cancel safe: a dropped `recv` future has taken nothing.
    ///
    /// ```
    /// use weave::sync::mpsc;
    ///
    /// # futures::executor::block_on(async {
    /// let (tx, mut rx) = mpsc::channel(4);
    /// tx.send("a").await.unwrap();
    /// drop(tx);
    /// assert_eq!(rx.recv().await, Some("a"));
    /// assert_eq!(rx.recv().await, None);
    /// # });
    /// ```
    pub async fn recv(&mut self) -> Option<T> {
        std::future::poll_fn(|cx| self.chan.poll_recv(cx)).await
    }

    /// Receives up to `limit` messages into `buffer` (appending), waiting
    /// for at least one. Returns how many were added: 0 only if `limit` is 0
    /// or the channel is finished (as when `recv` returns `None`).
    pub async fn recv_many(&mut self, buffer: &mut Vec<T>, limit: usize) -> usize {
        std::future::poll_fn(|cx| self.chan.poll_recv_many(cx, buffer, limit)).await
    }

    /// Takes a message if one is queued, without waiting.
    ///
    /// ```
    /// use weave::sync::mpsc::{self, error::TryRecvError};
    ///
    /// let (tx, mut rx) = mpsc::channel(2);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// tx.try_send(1).unwrap();
    /// drop(tx);
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        self.chan.try_recv()
    }

    /// Blocks the current thread until a message arrives (see
    /// [`recv`](Self::recv)).
    ///
    /// # Panics
    ///
    /// If called on a thread that drives an asynchronous runtime.
    #[track_caller]
    #[cfg(not(loom))]
    pub fn blocking_recv(&mut self) -> Option<T> {
        crate::enter::assert_blocking_allowed(
            "`blocking_recv` cannot be called from within an asynchronous runtime: \
             use `.await` instead",
        );
        crate::park::block_on(self.recv())
    }

    /// Blocking form of [`recv_many`](Self::recv_many).
    ///
    /// # Panics
    ///
    /// If called on a thread that drives an asynchronous runtime.
    #[track_caller]
    #[cfg(not(loom))]
    pub fn blocking_recv_many(&mut self, buffer: &mut Vec<T>, limit: usize) -> usize {
        crate::enter::assert_blocking_allowed(
            "`blocking_recv_many` cannot be called from within an asynchronous runtime: \
             use `.await` instead",
        );
        crate::park::block_on(self.recv_many(buffer, limit))
    }

    /// Closes the channel for sending. Messages already queued, and those
    /// sent through slots reserved before the close, can still be
    /// received; then `recv` returns `None`.
    ///
    /// ```
    /// use weave::sync::mpsc;
    ///
    /// # futures::executor::block_on(async {
    /// let (tx, mut rx) = mpsc::channel(2);
    /// tx.send(1).await.unwrap();
    /// rx.close();
    /// assert!(tx.send(2).await.is_err());
    /// assert_eq!(rx.recv().await, Some(1));
    /// assert_eq!(rx.recv().await, None);
    /// # });
    /// ```
    pub fn close(&mut self) {
        self.chan.close();
    }

    /// True once the channel is closed: every sender is gone, or
    /// [`close`](Self::close) was called. Queued messages may remain.
    pub fn is_closed(&self) -> bool {
        self.chan.is_closed()
    }

    /// True if no message is queued.
    pub fn is_empty(&self) -> bool {
        self.chan.is_empty()
    }

    /// Number of queued messages.
    pub fn len(&self) -> usize {
        self.chan.len()
    }

    /// Free slots right now.
    pub fn capacity(&self) -> usize {
        self.chan.chan().semaphore.semaphore.available_permits()
    }

    /// The `buffer` the channel was created with.
    pub fn max_capacity(&self) -> usize {
        self.chan.chan().semaphore.bound
    }

    /// Polls for the next message (the building block of
    /// [`recv`](Self::recv)); only the waker of the latest call is woken.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.chan.poll_recv(cx)
    }

    /// Polls for up to `limit` messages (see [`recv_many`](Self::recv_many)).
    pub fn poll_recv_many(
        &mut self,
        cx: &mut Context<'_>,
        buffer: &mut Vec<T>,
        limit: usize,
    ) -> Poll<usize> {
        self.chan.poll_recv_many(cx, buffer, limit)
    }

    /// Number of live `Sender`s (and `OwnedPermit`s).
    pub fn sender_strong_count(&self) -> usize {
        self.chan.sender_strong_count()
    }

    /// Number of live `WeakSender`s.
    pub fn sender_weak_count(&self) -> usize {
        self.chan.sender_weak_count()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("chan", self.chan.chan())
            .finish()
    }
}
