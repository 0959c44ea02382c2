//! A channel that keeps only the latest value, for many readers.
//!
//! [`channel`] returns a [`Sender`] and a [`Receiver`]. The channel always
//! holds exactly one value: sending replaces it. Receivers read it with
//! [`Receiver::borrow`] and wait for the next change with
//! [`Receiver::changed`]; a receiver that misses several sends sees only the
//! newest value. Both handles can be cloned (or, for receivers, created with
//! [`Sender::subscribe`]).
//!
//! # Examples
//!
//! ```
//! use weave::sync::watch;
//!
//! # futures::executor::block_on(async {
//! let (tx, mut rx) = watch::channel("hello");
//!
//! let t = std::thread::spawn(move || {
//!     futures::executor::block_on(async move {
//!         while rx.changed().await.is_ok() {
//!             if *rx.borrow_and_update() == "goodbye" {
//!                 return;
//!             }
//!         }
//!     })
//! });
//!
//! tx.send("world").unwrap();
//! tx.send("goodbye").unwrap();
//! t.join().unwrap();
//! # });
//! ```
//!
//! # Implementation
//!
//! One shared allocation holds the value under a reader-writer lock, an
//! atomic *state word*, the handle counts and two [`Notify`]s (receivers
//! waiting for a change; senders waiting for the last receiver to go).
//!
//! Invariants:
//!
//! - The state word is `version | CLOSED`. The version grows by
//!   [`VERSION_STEP`] on every change, always while the writer holds the
//!   value's write lock; so a version read while holding the read lock
//!   names exactly the value under that lock. `CLOSED` is set once, by the
//!   last sender to drop, after all its sends.
//! - A receiver remembers the version it has seen. "Changed" means the
//!   channel's version differs from it.
//! - No lost wake-up: a waiting receiver creates its `Notified` *before* it
//!   reads the state word, and a sender bumps the version *before* calling
//!   `notify_waiters` (which completes every `Notified` created before it).
//!   All of these are `SeqCst`, so if the receiver's read misses the new
//!   version, its `Notified` predates the `notify_waiters` and completes.

mod lock;

pub mod error;

use self::error::{RecvError, SendError};
use self::lock::{RwLock, RwLockReadGuard};
use crate::loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use crate::loom::sync::Arc;
use crate::sync::Notify;
use std::fmt;
use std::ops::Deref;
use std::pin::pin;

/// Set in the state word once every sender has been dropped.
const CLOSED: usize = 1;
/// How much the version grows per change (it lives above `CLOSED`).
const VERSION_STEP: usize = 2;

fn version_of(word: usize) -> usize {
    word & !CLOSED
}

/// Creates a watch channel holding `init`.
///
/// The receiver starts out having seen `init`: its first
/// [`changed`](Receiver::changed) waits for a send.
///
/// # Examples
///
/// ```
/// use weave::sync::watch;
///
/// let (tx, rx) = watch::channel(1);
/// assert_eq!(*rx.borrow(), 1);
/// tx.send(2).unwrap();
/// assert_eq!(*rx.borrow(), 2);
/// ```
pub fn channel<T>(init: T) -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared {
        value: RwLock::new(init),
        state: AtomicUsize::new(0),
        receivers: AtomicUsize::new(1),
        senders: AtomicUsize::new(1),
        notify_rx: Notify::new(),
        notify_tx: Notify::new(),
    });
    let rx = Receiver {
        shared: shared.clone(),
        version: 0,
    };
    (Sender { shared }, rx)
}

struct Shared<T> {
    value: RwLock<T>,
    /// `version | CLOSED`; see the module docs.
    state: AtomicUsize,
    receivers: AtomicUsize,
    senders: AtomicUsize,
    /// Receivers waiting in `changed` / `wait_for`.
    notify_rx: Notify,
    /// Senders waiting in `closed`.
    notify_tx: Notify,
}

/// The sending half of a watch channel; cloneable.
///
/// Dropping the last sender closes the channel: waiting receivers get
/// [`RecvError`] (after any change they have not seen yet).
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

/// The receiving half of a watch channel; cloneable.
///
/// Each receiver tracks which version of the value it has seen.
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
    /// The version this receiver has seen (no `CLOSED` bit).
    version: usize,
}

/// A read guard on the channel's value, returned by the `borrow` methods.
///
/// While a `Ref` is alive, senders wait: keep it short, and never hold one
/// across an `.await`.
pub struct Ref<'a, T> {
    guard: RwLockReadGuard<'a, T>,
    has_changed: bool,
}

impl<T> Ref<'_, T> {
    /// Returns `true` if this value had not been seen by the receiver that
    /// borrowed it (always `false` for [`Sender::borrow`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use weave::sync::watch;
    ///
    /// let (tx, mut rx) = watch::channel(0);
    /// tx.send(1).unwrap();
    /// assert!(rx.borrow().has_changed());
    /// assert!(rx.borrow_and_update().has_changed());
    /// assert!(!rx.borrow().has_changed());
    /// ```
    pub fn has_changed(&self) -> bool {
        self.has_changed
    }
}

impl<T> Deref for Ref<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T: fmt::Debug> fmt::Debug for Ref<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).fmt(f)
    }
}

/// Charges one unit of the cooperative budget (yielding if it is spent),
/// so that a loop over an always-changing channel lets other tasks run.
async fn coop_proceed() {
    std::future::poll_fn(|cx| crate::coop::poll_proceed(cx).map(|r| r.made_progress())).await
}

impl<T> Sender<T> {
    /// Creates a sender holding `init`, with no receivers yet; get them with
    /// [`subscribe`](Sender::subscribe).
    ///
    /// # Examples
    ///
    /// ```
    /// use weave::sync::watch;
    ///
    /// let tx = watch::Sender::new(0);
    /// assert!(tx.send(1).is_err()); // nobody listens yet
    /// let rx = tx.subscribe();
    /// tx.send(2).unwrap();
    /// assert_eq!(*rx.borrow(), 2);
    /// ```
    pub fn new(init: T) -> Sender<T> {
        channel(init).0
    }

    /// Replaces the value and notifies every receiver, unless there are no
    /// receivers: then the value is handed back in the error and the
    /// channel is not changed.
    ///
    /// # Examples
    ///
    /// ```
    /// use weave::sync::watch;
    ///
    /// let (tx, rx) = watch::channel("a");
    /// tx.send("b").unwrap();
    /// drop(rx);
    /// assert_eq!(tx.send("c").unwrap_err().0, "c");
    /// assert_eq!(*tx.borrow(), "b");
    /// ```
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        if self.shared.receivers.load(SeqCst) == 0 {
            return Err(SendError(value));
        }
        self.send_replace(value);
        Ok(())
    }

    /// Modifies the value in place and notifies every receiver, even if
    /// there are none.
    ///
    /// # Examples
    ///
    /// ```
    /// use weave::sync::watch;
    ///
    /// let (tx, rx) = watch::channel(vec![1]);
    /// tx.send_modify(|v| v.push(2));
    /// assert_eq!(*rx.borrow(), [1, 2]);
    /// ```
    pub fn send_modify<F>(&self, modify: F)
    where
        F: FnOnce(&mut T),
    {
        self.send_if_modified(|value| {
            modify(value);
            true
        });
    }

    /// Modifies the value in place; notifies receivers only if `modify`
    /// returns `true` (and returns that). `modify` runs under the write lock:
    /// keep it short. If it panics, the version is not bumped (the value may
    /// still have been changed partway).
    ///
    /// # Examples
    ///
    /// ```
    /// use weave::sync::watch;
    ///
    /// let (tx, rx) = watch::channel(0);
    /// assert!(!tx.send_if_modified(|v| false));
    /// assert!(!rx.has_changed().unwrap());
    /// assert!(tx.send_if_modified(|v| { *v = 3; true }));
    /// assert!(rx.has_changed().unwrap());
    /// ```
    pub fn send_if_modified<F>(&self, modify: F) -> bool
    where
        F: FnOnce(&mut T) -> bool,
    {
        {
            let mut value = self.shared.value.write();
            if !modify(&mut value) {
                return false;
            }
            // Under the write lock: see the module invariants.
            self.shared.state.fetch_add(VERSION_STEP, SeqCst);
        }
        self.shared.notify_rx.notify_waiters();
        true
    }

    /// Replaces the value, notifies receivers (even if there are none), and
    /// returns the previous value.
    ///
    /// # Examples
    ///
    /// ```
    /// use weave::sync::watch;
    ///
    /// let (tx, _rx) = watch::channel(1);
    /// assert_eq!(tx.send_replace(2), 1);
    /// assert_eq!(*tx.borrow(), 2);
    /// ```
    pub fn send_replace(&self, mut value: T) -> T {
        self.send_modify(|old| std::mem::swap(old, &mut value));
        value
    }

    /// Borrows the current value. The returned [`Ref`] holds a read lock.
    ///
    /// # Examples
    ///
    /// ```
    /// use weave::sync::watch;
    ///
    /// let (tx, _rx) = watch::channel(7);
    /// assert_eq!(*tx.borrow(), 7);
    /// ```
    pub fn borrow(&self) -> Ref<'_, T> {
        Ref {
            guard: self.shared.value.read(),
            has_changed: false,
        }
    }

    /// Returns `true` if every receiver has been dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use weave::sync::watch;
    ///
    /// let (tx, rx) = watch::channel(());
    /// assert!(!tx.is_closed());
    /// drop(rx);
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.shared.receivers.load(SeqCst) == 0
    }

    /// Waits until every receiver has been dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use weave::sync::watch;
    ///
    /// # futures::executor::block_on(async {
    /// let (tx, rx) = watch::channel(());
    /// std::thread::spawn(move || drop(rx));
    /// tx.closed().await;
    /// assert!(tx.is_closed());
    /// # });
    /// ```
    pub async fn closed(&self) {
        loop {
            // Created before the check, so a drop in between still wakes us.
            let notified = pin!(self.shared.notify_tx.notified());
            if self.is_closed() {
                return;
            }
            notified.await;
        }
    }

    /// Creates a new receiver that has seen the current value.
    ///
    /// # Examples
    ///
    /// ```
    /// use weave::sync::watch;
    ///
    /// let (tx, _rx) = watch::channel(0);
    /// tx.send(1).unwrap();
    /// let rx2 = tx.subscribe();
    /// assert!(!rx2.has_changed().unwrap());
    /// assert_eq!(tx.receiver_count(), 2);
    /// ```
    pub fn subscribe(&self) -> Receiver<T> {
        self.shared.receivers.fetch_add(1, SeqCst);
        Receiver {
            shared: self.shared.clone(),
            version: version_of(self.shared.state.load(SeqCst)),
        }
    }

    /// Returns the number of receivers.
    ///
    /// # Examples
    ///
    /// ```
    /// use weave::sync::watch;
    ///
    /// let (tx, rx) = watch::channel(());
    /// let _rx2 = rx.clone();
    /// assert_eq!(tx.receiver_count(), 2);
    /// ```
    pub fn receiver_count(&self) -> usize {
        self.shared.receivers.load(SeqCst)
    }

    /// Returns the number of senders.
    ///
    /// # Examples
    ///
    /// ```
    /// use weave::sync::watch;
    ///
    /// let (tx, _rx) = watch::channel(());
    /// let _tx2 = tx.clone();
    /// assert_eq!(tx.sender_count(), 2);
    /// ```
    pub fn sender_count(&self) -> usize {
        self.shared.senders.load(SeqCst)
    }

    /// Returns `true` if both senders belong to the same channel.
    ///
    /// # Examples
    ///
    /// ```
    /// use weave::sync::watch;
    ///
    /// let (tx, _rx) = watch::channel(());
    /// assert!(tx.same_channel(&tx.clone()));
    /// assert!(!tx.same_channel(&watch::Sender::new(())));
    /// ```
    pub fn same_channel(&self, other: &Sender<T>) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
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
            self.shared.state.fetch_or(CLOSED, SeqCst);
            self.shared.notify_rx.notify_waiters();
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("version", &version_of(self.shared.state.load(SeqCst)))
            .field("receivers", &self.receiver_count())
            .finish()
    }
}

impl<T> Receiver<T> {
    /// Borrows the current value without marking it seen.
    ///
    /// [`Ref::has_changed`] tells whether it was unseen. The returned [`Ref`]
    /// holds a read lock: do not keep it across an `.await`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weave::sync::watch;
    ///
    /// let (tx, rx) = watch::channel("a");
    /// tx.send("b").unwrap();
    /// assert_eq!(*rx.borrow(), "b");
    /// assert!(rx.has_changed().unwrap()); // still unseen
    /// ```
    pub fn borrow(&self) -> Ref<'_, T> {
        let guard = self.shared.value.read();
        let version = version_of(self.shared.state.load(SeqCst));
        Ref {
            guard,
            has_changed: version != self.version,
        }
    }

    /// Borrows the current value and marks it seen.
    ///
    /// # Examples
    ///
    /// ```
    /// use weave::sync::watch;
    ///
    /// let (tx, mut rx) = watch::channel("a");
    /// tx.send("b").unwrap();
    /// assert_eq!(*rx.borrow_and_update(), "b");
    /// assert!(!rx.has_changed().unwrap());
    /// ```
    pub fn borrow_and_update(&mut self) -> Ref<'_, T> {
        let guard = self.shared.value.read();
        // Read under the lock: this is the version of the value we hold.
        let version = version_of(self.shared.state.load(SeqCst));
        let has_changed = version != self.version;
        self.version = version;
        Ref { guard, has_changed }
    }

    /// Returns whether the value has changed since this receiver last saw
    /// it, or [`RecvError`] if every sender has been dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use weave::sync::watch;
    ///
    /// let (tx, rx) = watch::channel(0);
    /// assert_eq!(rx.has_changed(), Ok(false));
    /// tx.send(1).unwrap();
    /// assert_eq!(rx.has_changed(), Ok(true));
    /// drop(tx);
    /// assert!(rx.has_changed().is_err());
    /// ```
    pub fn has_changed(&self) -> Result<bool, RecvError> {
        let word = self.shared.state.load(SeqCst);
        if word & CLOSED != 0 {
            return Err(RecvError(()));
        }
        Ok(version_of(word) != self.version)
    }

    /// Returns `true` if every sender has been dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use weave::sync::watch;
    ///
    /// let (tx, rx) = watch::channel(());
    /// assert!(!rx.is_closed());
    /// drop(tx);
    /// assert!(rx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.shared.state.load(SeqCst) & CLOSED != 0
    }

    /// Marks the current value as unseen: [`changed`](Receiver::changed)
    /// returns at once.
    ///
    /// # Examples
    ///
    /// ```
    /// use weave::sync::watch;
    ///
    /// let (_tx, mut rx) = watch::channel(0);
    /// rx.mark_changed();
    /// assert_eq!(rx.has_changed(), Ok(true));
    /// ```
    pub fn mark_changed(&mut self) {
        // Any value but the current version will do; versions only grow, so
        // the one just below can never come back.
        let version = version_of(self.shared.state.load(SeqCst));
        self.version = version.wrapping_sub(VERSION_STEP);
    }

    /// Marks the current value as seen.
    ///
    /// # Examples
    ///
    /// ```
    /// use weave::sync::watch;
    ///
    /// let (tx, mut rx) = watch::channel(0);
    /// tx.send(1).unwrap();
    /// rx.mark_unchanged();
    /// assert_eq!(rx.has_changed(), Ok(false));
    /// ```
    pub fn mark_unchanged(&mut self) {
        self.version = version_of(self.shared.state.load(SeqCst));
    }

    /// Waits for a value this receiver has not seen, and marks it seen.
    ///
    /// Returns at once if there already is one. Returns [`RecvError`] once
    /// every sender has been dropped and no unseen value is left. Cancel
    /// safe.
    ///
    /// # Examples
    ///
    /// ```
    /// use weave::sync::watch;
    ///
    /// # futures::executor::block_on(async {
    /// let (tx, mut rx) = watch::channel(0);
    /// std::thread::spawn(move || {
    ///     tx.send(1).unwrap();
    /// });
    /// rx.changed().await.unwrap();
    /// assert_eq!(*rx.borrow(), 1);
    /// // The sender is gone (after its send): no more changes.
    /// assert!(rx.changed().await.is_err());
    /// # });
    /// ```
    pub async fn changed(&mut self) -> Result<(), RecvError> {
        coop_proceed().await;
        loop {
            // Created before reading the state: see the module invariants.
            let notified = pin!(self.shared.notify_rx.notified());
            let word = self.shared.state.load(SeqCst);
            if version_of(word) != self.version {
                self.version = version_of(word);
                return Ok(());
            }
            if word & CLOSED != 0 {
                return Err(RecvError(()));
            }
            notified.await;
        }
    }

    /// Waits until the value satisfies `f`, marks it seen and returns a
    /// borrow of it.
    ///
    /// Checks the current value first (seen or not). Returns [`RecvError`]
    /// if every sender has been dropped and the final value does not
    /// satisfy `f`. `f` runs under the read lock. Cancel safe.
    ///
    /// # Examples
    ///
    /// ```
    /// use weave::sync::watch;
    ///
    /// # futures::executor::block_on(async {
    /// let (tx, mut rx) = watch::channel(0);
    /// std::thread::spawn(move || {
    ///     for i in 1..=5 {
    ///         tx.send(i).unwrap();
    ///     }
    /// });
    /// let five = rx.wait_for(|v| *v == 5).await.unwrap();
    /// assert_eq!(*five, 5);
    /// # });
    /// ```
    pub async fn wait_for(
        &mut self,
        mut f: impl FnMut(&T) -> bool,
    ) -> Result<Ref<'_, T>, RecvError> {
        coop_proceed().await;
        loop {
            let notified = pin!(self.shared.notify_rx.notified());
            {
                let guard = self.shared.value.read();
                // Read under the lock: the version (and, if set, the final
                // `CLOSED`) of exactly this value.
                let word = self.shared.state.load(SeqCst);
                let has_changed = version_of(word) != self.version;
                self.version = version_of(word);
                if f(&guard) {
                    return Ok(Ref { guard, has_changed });
                }
                if word & CLOSED != 0 {
                    return Err(RecvError(()));
                }
            }
            notified.await;
        }
    }

    /// Returns `true` if both receivers belong to the same channel.
    ///
    /// # Examples
    ///
    /// ```
    /// use weave::sync::watch;
    ///
    /// let (_tx, rx) = watch::channel(());
    /// let (_tx2, rx2) = watch::channel(());
    /// assert!(rx.same_channel(&rx.clone()));
    /// assert!(!rx.same_channel(&rx2));
    /// ```
    pub fn same_channel(&self, other: &Receiver<T>) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl<T> Clone for Receiver<T> {
    /// The clone has seen exactly what `self` has seen.
    fn clone(&self) -> Receiver<T> {
        self.shared.receivers.fetch_add(1, SeqCst);
        Receiver {
            shared: self.shared.clone(),
            version: self.version,
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        if self.shared.receivers.fetch_sub(1, SeqCst) == 1 {
            self.shared.notify_tx.notify_waiters();
        }
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("version", &self.version)
            .finish()
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use loom::future::block_on;
    use loom::thread;

    /// A send racing `changed`: the receiver sees the new value (or the
    /// close that follows it) and never misses the send.
    #[test]
    fn loom_watch_send_vs_changed() {
        loom::model(|| {
            let (tx, mut rx) = channel(0u8);
            let t = thread::spawn(move || {
                tx.send(1).unwrap();
            });
            block_on(async {
                rx.changed().await.unwrap();
                assert_eq!(*rx.borrow_and_update(), 1);
                assert!(rx.changed().await.is_err());
            });
            t.join().unwrap();
        });
    }

    /// The last receiver drops while the sender waits in `closed`.
    #[test]
    fn loom_watch_closed_vs_rx_drop() {
        loom::model(|| {
            let (tx, rx) = channel(0u8);
            let t = thread::spawn(move || drop(rx));
            block_on(tx.closed());
            assert!(tx.send(1).is_err());
            t.join().unwrap();
        });
    }
}
