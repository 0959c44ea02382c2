//! The unbounded flavour: sends never wait, memory is the only limit.

use super::chan::{self, Rx, Tx, WeakTx};
use super::error::{SendError, TryRecvError};
use super::semaphore::Unbounded;
use std::fmt;
use std::task::{Context, Poll};

/// Creates an unbounded channel: [`UnboundedSender::send`] never waits and
/// never fails while the receiver is open.
///
/// Nothing pushes back on a fast producer; prefer [`channel`](super::channel)
/// unless the producer is known to be bounded in some other way.
///
/// ```
/// use weave::sync::mpsc;
///
/// # futures::executor::block_on(async {
/// let (tx, mut rx) = mpsc::unbounded_channel();
/// for i in 0..3 {
///     tx.send(i).unwrap();
/// }
/// drop(tx);
/// let mut got = Vec::new();
/// while let Some(i) = rx.recv().await {
///     got.push(i);
/// }
/// assert_eq!(got, [0, 1, 2]);
/// # });
/// ```
pub fn unbounded_channel<T>() -> (UnboundedSender<T>, UnboundedReceiver<T>) {
    let (tx, rx) = chan::channel(Unbounded::new());
    (UnboundedSender { chan: tx }, UnboundedReceiver { chan: rx })
}

/// The sending half of an unbounded channel; clone it for more producers.
///
/// The channel ends (the receiver sees `None` once drained) when the last
/// `UnboundedSender` is dropped.
pub struct UnboundedSender<T> {
    chan: Tx<T, Unbounded>,
}

/// A sender that does not keep the channel open; [`upgrade`](Self::upgrade)
/// it to send.
///
/// ```
/// use weave::sync::mpsc;
///
/// let (tx, _rx) = mpsc::unbounded_channel::<u8>();
/// let weak = tx.downgrade();
/// assert!(weak.upgrade().is_some());
/// drop(tx);
/// assert!(weak.upgrade().is_none());
/// ```
pub struct WeakUnboundedSender<T> {
    chan: WeakTx<T, Unbounded>,
}

/// The receiving half of an unbounded channel.
pub struct UnboundedReceiver<T> {
    chan: Rx<T, Unbounded>,
}

impl<T> UnboundedSender<T> {
    /// Sends `message` without waiting.
    ///
    /// Fails, handing the message back, if the receiver has been dropped or
    /// closed. `Ok` means the message is queued, not that it will be read.
    ///
    /// ```
    /// use weave::sync::mpsc;
    ///
    /// let (tx, mut rx) = mpsc::unbounded_channel();
    /// tx.send("hi").unwrap();
    /// assert_eq!(rx.try_recv(), Ok("hi"));
    /// rx.close();
    /// assert_eq!(tx.send("bye").unwrap_err().0, "bye");
    /// ```
    pub fn send(&self, message: T) -> Result<(), SendError<T>> {
        let chan = &*self.chan.chan;
        if !chan.semaphore.try_start_send() {
            chan.wake_rx();
            return Err(SendError(message));
        }
        chan.push(message);
        Ok(())
    }

    /// Waits until the receiver is dropped or closed.
    ///
    /// ```
    /// use weave::sync::mpsc;
    ///
    /// # futures::executor::block_on(async {
    /// let (tx, rx) = mpsc::unbounded_channel::<()>();
    /// std::thread::spawn(move || drop(rx));
    /// tx.closed().await;
    /// assert!(tx.is_closed());
    /// # });
    /// ```
    pub async fn closed(&self) {
        self.chan.closed().await
    }

    /// True if the receiver has been dropped or closed.
    pub fn is_closed(&self) -> bool {
        self.chan.is_closed()
    }

    /// True if both senders feed the same channel.
    pub fn same_channel(&self, other: &Self) -> bool {
        self.chan.same_channel(&other.chan)
    }

    /// Makes a [`WeakUnboundedSender`], which does not keep the channel open.
    pub fn downgrade(&self) -> WeakUnboundedSender<T> {
        WeakUnboundedSender {
            chan: self.chan.downgrade(),
        }
    }

    /// Number of live `UnboundedSender`s of this channel.
    pub fn strong_count(&self) -> usize {
        self.chan.strong_count()
    }

    /// Number of live `WeakUnboundedSender`s of this channel.
    pub fn weak_count(&self) -> usize {
        self.chan.weak_count()
    }
}

impl<T> Clone for UnboundedSender<T> {
    fn clone(&self) -> Self {
        UnboundedSender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> fmt::Debug for UnboundedSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnboundedSender")
            .field("chan", &*self.chan.chan)
            .finish()
    }
}

impl<T> WeakUnboundedSender<T> {
    /// Turns this into a real sender, unless every sender is already gone.
    pub fn upgrade(&self) -> Option<UnboundedSender<T>> {
        self.chan.upgrade().map(|chan| UnboundedSender { chan })
    }

    /// Number of live `UnboundedSender`s of this channel.
    pub fn strong_count(&self) -> usize {
        self.chan.strong_count()
    }

    /// Number of live `WeakUnboundedSender`s of this channel.
    pub fn weak_count(&self) -> usize {
        self.chan.weak_count()
    }
}

impl<T> Clone for WeakUnboundedSender<T> {
    fn clone(&self) -> Self {
        WeakUnboundedSender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> fmt::Debug for WeakUnboundedSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WeakUnboundedSender")
            .finish_non_exhaustive()
    }
}

impl<T> UnboundedReceiver<T> {
    /// Receives the next message, waiting for one if need be.
    ///
    /// Returns `None` once every sender is gone (or the receiver closed the
    /// channel) and everything queued has been received. Cancel safe: a
    /// dropped `recv` future has taken nothing.
    ///
    /// ```
    /// use weave::sync::mpsc;
    ///
    /// # futures::executor::block_on(async {
    /// let (tx, mut rx) = mpsc::unbounded_channel();
    /// std::thread::spawn(move || tx.send(7).unwrap());
    /// assert_eq!(rx.recv().await, Some(7));
    /// assert_eq!(rx.recv().await, None);
    /// # });
    /// ```
    pub async fn recv(&mut self) -> Option<T> {
        std::future::poll_fn(|cx| self.chan.poll_recv(cx)).await
    }

    /// Receives up to `limit` messages into `buffer` (appending), waiting
    /// for at least one. Returns how many were added: 0 only if `limit` is 0
    /// or the channel is finished (as when `recv` returns `None`).
    ///
    /// ```
    /// use weave::sync::mpsc;
    ///
    /// # futures::executor::block_on(async {
    /// let (tx, mut rx) = mpsc::unbounded_channel();
    /// for i in 0..5 {
    ///     tx.send(i).unwrap();
    /// }
    /// let mut buf = Vec::new();
    /// assert_eq!(rx.recv_many(&mut buf, 3).await, 3);
    /// assert_eq!(rx.recv_many(&mut buf, 3).await, 2);
    /// assert_eq!(buf, [0, 1, 2, 3, 4]);
    /// # });
    /// ```
    pub async fn recv_many(&mut self, buffer: &mut Vec<T>, limit: usize) -> usize {
        std::future::poll_fn(|cx| self.chan.poll_recv_many(cx, buffer, limit)).await
    }

    /// Takes a message if one is queued, without waiting.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        self.chan.try_recv()
    }

    /// Blocks the current thread until a message arrives (see
    /// [`recv`](Self::recv)).
    ///
    /// # Panics
    ///
    /// If called on a thread that drives an asynchronous runtime.
    ///
    /// ```
    /// use weave::sync::mpsc;
    ///
    /// let (tx, mut rx) = mpsc::unbounded_channel();
    /// let t = std::thread::spawn(move || rx.blocking_recv());
    /// tx.send(1).unwrap();
    /// assert_eq!(t.join().unwrap(), Some(1));
    /// ```
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

    /// Closes the channel for sending; what is already queued can still be
    /// received, after which `recv` returns `None`.
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

    /// Number of live `UnboundedSender`s.
    pub fn sender_strong_count(&self) -> usize {
        self.chan.sender_strong_count()
    }

    /// Number of live `WeakUnboundedSender`s.
    pub fn sender_weak_count(&self) -> usize {
        self.chan.sender_weak_count()
    }
}

impl<T> fmt::Debug for UnboundedReceiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnboundedReceiver")
            .field("chan", self.chan.chan())
            .finish()
    }
}
