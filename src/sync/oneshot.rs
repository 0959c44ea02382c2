//! A channel that carries exactly one value from one producer to one consumer.
//!
//! [`channel`] returns a [`Sender`] and a [`Receiver`]. The sender hands over
//! a single value with [`Sender::send`], which never blocks and never awaits,
//! so it can be called from anywhere: another task, another runtime, a plain
//! thread. The receiver is a future that resolves to that value, or to
//! [`error::RecvError`] if the sender went away without sending.
//!
//! Either side may give up early: dropping the receiver (or calling
//! [`Receiver::close`]) makes a later `send` fail and hand the value back, and
//! a sender can wait for that to happen with [`Sender::closed`]. Dropping the
//! sender without sending wakes the receiver with an error.
//!
//! The futures only need a [`Waker`]: they work under any executor, not only
//! under weave's runtime.
//!
//! # Examples
//!
//! ```
//! use weave::sync::oneshot;
//!
//! let (tx, rx) = oneshot::channel();
//!
//! std::thread::spawn(move || {
//!     if tx.send("done").is_err() {
//!         println!("nobody was listening");
//!     }
//! });
//!
//! # futures::executor::block_on(async move {
//! match rx.await {
//!     Ok(msg) => assert_eq!(msg, "done"),
//!     Err(_) => println!("the sender went away"),
//! }
//! # });
//! ```
//!
//! # Implementation
//!
//! A channel is one heap allocation, a `Shared<T>`: one atomic state word, a
//! slot for the value, and two waker slots (one for the task awaiting the
//! receiver, one for the task in [`Sender::closed`]). The slots are plain
//! `MaybeUninit` cells; bits of the state word say which ones are initialised
//! and who may touch them. The state word also carries one "alive" bit per
//! handle, which replaces a reference count: the handle that clears the last
//! alive bit frees the allocation.
//!
//! ## State bits
//!
//! | bit         | set by                                   | cleared by                                          |
//! |-------------|------------------------------------------|-----------------------------------------------------|
//! | `RX_ALIVE`  | [`channel`]                              | the receiver, once, when it terminates or drops     |
//! | `TX_ALIVE`  | [`channel`]                              | the sender, once, at the end of `send` or on drop   |
//! | `COMPLETE`  | the sender, once, in `send` or on drop   | never                                               |
//! | `VALUE`     | the sender, with `COMPLETE`, if `CLOSED` was clear | the receiver, when it moves the value out |
//! | `CLOSED`    | the receiver, in `close` or on drop      | never                                               |
//! | `RX_WAKER`  | the receiver, after writing its waker    | the receiver to replace the waker (only while `COMPLETE` is clear); the sender after moving the waker out |
//! | `TX_WAKER`  | the sender, after writing its waker      | the sender to replace the waker (only while `CLOSED` is clear); the receiver after moving the waker out |
//!
//! ## Who owns what
//!
//! - **Value slot.** Owned by the sender until it sets `COMPLETE`, then by the
//!   receiver. The sender writes it only before `COMPLETE`; if at that point it
//!   finds `CLOSED` set, it moves the value back out and does not set `VALUE`.
//!   The receiver reads it only after observing `COMPLETE | VALUE`, and clears
//!   `VALUE` in the same atomic step that gives up `RX_ALIVE`.
//! - **Receiver waker slot.** Written only by the receiver, and only while
//!   `RX_WAKER` is clear: to replace a waker it first clears `RX_WAKER` with a
//!   compare-and-swap that fails if `COMPLETE` is set. The sender reads the
//!   slot only if its `COMPLETE` transition saw `RX_WAKER` set and `CLOSED`
//!   clear; from then on the slot is the sender's: it moves the waker out and
//!   clears `RX_WAKER` together with `TX_ALIVE`, and wakes after that.
//! - **Sender waker slot.** The mirror image, with `CLOSED` in the role of
//!   `COMPLETE`: the receiver's `CLOSED` transition that saw `TX_WAKER` set
//!   (and `COMPLETE` clear) takes the sender's waker and wakes it.
//! - **The allocation.** Freed by whoever clears the second alive bit. Every
//!   read-modify-write is `AcqRel`, so all accesses of the other side happen
//!   before the free. A waker left in its slot (its owner saw that nobody
//!   would wake it) is dropped there.
//!
//! ## Combinations that cannot happen
//!
//! - `TX_ALIVE` clear with `COMPLETE` clear: the sender sets `COMPLETE` no
//!   later than it gives up `TX_ALIVE`. So a receiver that has not seen
//!   `COMPLETE` knows the sender will be the one to free.
//! - `VALUE` without `COMPLETE`, or `VALUE` set by a `COMPLETE` transition that
//!   saw `CLOSED`: a send after the receiver closed fails.
//! - `VALUE` with `RX_ALIVE` clear: the receiver either moved the value out
//!   (clearing `VALUE` with `RX_ALIVE`), or set `CLOSED` before any value was
//!   sent. The value is therefore dropped exactly once, by the receiver (or
//!   handed back to the caller of `send`).
//!
//! ## No lost wake-up
//!
//! A waiting side publishes its waker with a `fetch_or` of its waker bit, and
//! the value that same atomic step returns tells it whether the bit it waits
//! for (`COMPLETE` for the receiver, `CLOSED` for the sender) was already set.
//! If it was, it returns `Ready`; if not, the other side's transition comes
//! later in the state word's modification order, sees the waker bit, and
//! wakes. Replacing a registered waker first clears the waker bit with a
//! compare-and-swap that fails once the awaited bit is set, so a waker is
//! never replaced under the other side's feet.

use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::{
    AtomicU32,
    Ordering::{AcqRel, Acquire},
};
use std::fmt;
use std::future::Future;
use std::mem::{ManuallyDrop, MaybeUninit};
use std::pin::Pin;
use std::ptr::{self, NonNull};
use std::task::{ready, Context, Poll, Waker};

/// The receiver handle exists (and has not terminated).
const RX_ALIVE: u32 = 1 << 0;
/// The sender handle exists (including while it finishes `send`).
const TX_ALIVE: u32 = 1 << 1;
/// The sender has sent or dropped; the value slot belongs to the receiver.
const COMPLETE: u32 = 1 << 2;
/// The value slot holds a value.
const VALUE: u32 = 1 << 3;
/// The receiver has closed or dropped; a send fails.
const CLOSED: u32 = 1 << 4;
/// The receiver's waker slot is initialised.
const RX_WAKER: u32 = 1 << 5;
/// The sender's waker slot is initialised.
const TX_WAKER: u32 = 1 << 6;

/// Creates a new one-shot channel for sending a single value across
/// asynchronous tasks.
///
/// The [`Sender`] sends the value, the [`Receiver`] receives it. Both are
/// `Send` and `Sync` (if `T: Send`) and can live on different tasks, threads
/// or runtimes.
///
/// # Examples
///
/// ```
/// use weave::sync::oneshot;
///
/// # futures::executor::block_on(async {
/// let (tx, rx) = oneshot::channel();
///
/// let producer = std::thread::spawn(move || {
///     tx.send(6 * 7).unwrap();
/// });
///
/// assert_eq!(rx.await, Ok(42));
/// producer.join().unwrap();
/// # });
/// ```
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let shared = Box::new(Shared {
        state: AtomicU32::new(RX_ALIVE | TX_ALIVE),
        value: UnsafeCell::new(MaybeUninit::uninit()),
        rx_waker: UnsafeCell::new(MaybeUninit::uninit()),
        tx_waker: UnsafeCell::new(MaybeUninit::uninit()),
        #[cfg(loom)]
        _track: loom::alloc::Track::new(()),
    });
    let shared = NonNull::from(Box::leak(shared));
    (
        Sender { shared },
        Receiver {
            shared: Some(shared),
        },
    )
}

/// Sends a value to the associated [`Receiver`].
///
/// Created by [`channel`]. Dropping the sender without sending closes the
/// channel: the receiver then resolves to [`error::RecvError`].
///
/// # Examples
///
/// ```
/// use weave::sync::oneshot;
///
/// # futures::executor::block_on(async {
/// let (tx, rx) = oneshot::channel::<u32>();
///
/// std::thread::spawn(move || {
///     // Gives up without sending.
///     drop(tx);
/// });
///
/// assert!(rx.await.is_err());
/// # });
/// ```
pub struct Sender<T> {
    /// Valid for the whole life of the sender: it holds `TX_ALIVE`.
    shared: NonNull<Shared<T>>,
}

/// Receives the value from the associated [`Sender`].
///
/// Created by [`channel`]. The receiver is a future: `.await` it to get the
/// value, or [`error::RecvError`] if the sender was dropped without sending.
/// Use `(&mut rx).await` to keep the receiver (for example inside
/// `select!`). Polling it again after it has resolved panics; check
/// [`is_terminated`](Receiver::is_terminated) first if in doubt.
///
/// # Examples
///
/// ```
/// use weave::sync::oneshot;
///
/// # futures::executor::block_on(async {
/// let (tx, rx) = oneshot::channel();
///
/// std::thread::spawn(move || {
///     let _ = tx.send("hello");
/// });
///
/// match rx.await {
///     Ok(v) => assert_eq!(v, "hello"),
///     Err(_) => println!("the sender dropped"),
/// }
/// # });
/// ```
pub struct Receiver<T> {
    /// `Some` while the receiver holds `RX_ALIVE`; `None` once it has
    /// terminated (resolved, or observed a closed channel in `try_recv`).
    shared: Option<NonNull<Shared<T>>>,
}

pub mod error {
    //! Errors returned by the one-shot channel.

    use std::fmt;

    /// Error returned by the [`Receiver`](super::Receiver) future (and by
    /// [`blocking_recv`](super::Receiver::blocking_recv)).
    ///
    /// It means the [`Sender`](super::Sender) was dropped without sending a
    /// value, or the receiver had closed the channel before a value arrived.
    ///
    /// # Examples
    ///
    /// ```
    /// use weave::sync::oneshot;
    ///
    /// # futures::executor::block_on(async {
    /// let (tx, rx) = oneshot::channel::<u8>();
    /// drop(tx);
    /// let err = rx.await.unwrap_err();
    /// assert_eq!(err.to_string(), "channel closed");
    /// # });
    /// ```
    #[derive(Debug, Eq, PartialEq, Clone)]
    pub struct RecvError(pub(super) ());

    /// Error returned by [`Receiver::try_recv`](super::Receiver::try_recv).
    ///
    /// # Examples
    ///
    /// ```
    /// use weave::sync::oneshot::{self, error::TryRecvError};
    ///
    /// let (tx, mut rx) = oneshot::channel::<u8>();
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// drop(tx);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    /// ```
    #[derive(Debug, Eq, PartialEq, Clone)]
    pub enum TryRecvError {
        /// No value has been sent yet, and the sender still exists.
        Empty,

        /// The sender was dropped without sending, the receiver closed the
        /// channel, or the value was already received.
        Closed,
    }

    impl fmt::Display for RecvError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("channel closed")
        }
    }

    impl std::error::Error for RecvError {}

    impl fmt::Display for TryRecvError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                TryRecvError::Empty => f.write_str("channel empty"),
                TryRecvError::Closed => f.write_str("channel closed"),
            }
        }
    }

    impl std::error::Error for TryRecvError {}
}

use self::error::{RecvError, TryRecvError};

/// The channel's single allocation. See the module docs for the protocol.
struct Shared<T> {
    state: AtomicU32,
    /// Initialised iff `VALUE` is set (or while the sender, before
    /// `COMPLETE`, holds a value it is about to publish or take back).
    value: UnsafeCell<MaybeUninit<T>>,
    /// Initialised iff `RX_WAKER` is set.
    rx_waker: UnsafeCell<MaybeUninit<Waker>>,
    /// Initialised iff `TX_WAKER` is set.
    tx_waker: UnsafeCell<MaybeUninit<Waker>>,
    /// Lets loom report a leaked channel.
    #[cfg(loom)]
    _track: loom::alloc::Track<()>,
}

impl<T> Shared<T> {
    /// Clears `bits`, which include the caller's alive bit, and frees the
    /// allocation if `other_alive` was already clear.
    ///
    /// # Safety
    ///
    /// `this` is valid and the caller owns the alive bit in `bits`. The
    /// caller must not touch `*this` afterwards.
    unsafe fn release(this: NonNull<Self>, bits: u32, other_alive: u32) {
        // SAFETY: the caller still holds its alive bit, so the allocation
        // is live during this call.
        let prev = unsafe { this.as_ref() }.state.fetch_and(!bits, AcqRel);
        if prev & other_alive == 0 {
            // SAFETY: both alive bits are now clear and we cleared the last
            // one, so nobody else holds the pointer. The allocation came
            // from `Box::new` in `channel`, and the `AcqRel` RMW chain
            // orders every access of the other side before this.
            drop(unsafe { Box::from_raw(this.as_ptr()) });
        }
    }

    /// The sender's last act (from `send` or `Drop`): sets `COMPLETE`
    /// (and `VALUE` if it has written a value and the receiver has not
    /// closed), wakes the receiver if it registered, and gives up
    /// `TX_ALIVE`. Returns the value if the receiver had closed.
    ///
    /// # Safety
    ///
    /// Called once, by the sender, which holds `TX_ALIVE`. If `sent`, the
    /// sender has initialised the value slot.
    unsafe fn complete(this: NonNull<Self>, mut sent: bool) -> Option<T> {
        // SAFETY: the sender holds `TX_ALIVE`, so the allocation is live.
        let shared = unsafe { this.as_ref() };
        let mut returned = None;
        let mut cur = shared.state.load(Acquire);
        let take_waker = loop {
            if sent && cur & CLOSED != 0 {
                // SAFETY: `COMPLETE` is still clear, so the value slot is
                // ours, and we initialised it. `sent` turns false, so the
                // value is moved out only once.
                returned = Some(shared.value.with(|p| unsafe { ptr::read(p).assume_init() }));
                sent = false;
            }
            // The receiver waits only if it registered and has not closed;
            // a closed receiver never blocks again.
            let take_waker = cur & (RX_WAKER | CLOSED) == RX_WAKER;
            let mut next = cur | COMPLETE;
            if sent {
                next |= VALUE;
            }
            if !take_waker {
                // Nothing left to do afterwards: leave in the same step.
                next &= !TX_ALIVE;
            }
            match shared
                .state
                .compare_exchange_weak(cur, next, AcqRel, Acquire)
            {
                Ok(_) => break take_waker,
                Err(actual) => cur = actual,
            }
        };

        if !take_waker {
            if cur & RX_ALIVE == 0 {
                // SAFETY: we cleared `TX_ALIVE` and `RX_ALIVE` was already
                // clear: we are the last user. Our CAS was `AcqRel`.
                drop(unsafe { Box::from_raw(this.as_ptr()) });
            }
            return returned;
        }

        // SAFETY: our `COMPLETE` transition saw `RX_WAKER` set and `CLOSED`
        // clear, so the slot is initialised and the receiver will not write
        // it again; we move the waker out and clear `RX_WAKER` below.
        let waker = shared
            .rx_waker
            .with(|p| unsafe { ptr::read(p).assume_init() });
        // SAFETY: we hold `TX_ALIVE`; the waker slot is now moved out and
        // its bit cleared with ours.
        unsafe { Self::release(this, TX_ALIVE | RX_WAKER, RX_ALIVE) };
        waker.wake();
        returned
    }

    /// Receiver side, once it has observed `COMPLETE` in `cur`: moves the
    /// value out (if any) and gives up `RX_ALIVE`.
    ///
    /// # Safety
    ///
    /// Called by the receiver, which holds `RX_ALIVE`, with a `cur` loaded
    /// with `Acquire` (or by an `AcqRel` RMW) that has `COMPLETE` set. The
    /// caller must not touch `*this` afterwards.
    unsafe fn take_value(this: NonNull<Self>, cur: u32) -> Option<T> {
        debug_assert!(cur & COMPLETE != 0);
        let value = if cur & VALUE != 0 {
            // SAFETY: `VALUE` is set, so the slot is initialised; after
            // `COMPLETE` only the receiver touches it, and `VALUE` is cleared
            // right below, so the value is moved out exactly once.
            Some(
                unsafe { this.as_ref() }
                    .value
                    .with(|p| unsafe { ptr::read(p).assume_init() }),
            )
        } else {
            None
        };
        // SAFETY: we hold `RX_ALIVE`.
        unsafe { Self::release(this, RX_ALIVE | VALUE, TX_ALIVE) };
        value
    }

    /// The receiver's poll: `Ready(Some(v))`, `Ready(None)` (closed) or
    /// `Pending` with `cx`'s waker registered. On `Ready`, the receiver has
    /// given up `RX_ALIVE`.
    ///
    /// # Safety
    ///
    /// Called by the receiver, which holds `RX_ALIVE`.
    unsafe fn poll_recv(this: NonNull<Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        // SAFETY: we hold `RX_ALIVE`.
        let shared = unsafe { this.as_ref() };
        let mut cur = shared.state.load(Acquire);
        if cur & COMPLETE != 0 {
            // SAFETY: `COMPLETE` observed with `Acquire`; we hold `RX_ALIVE`.
            return Poll::Ready(unsafe { Self::take_value(this, cur) });
        }
        if cur & CLOSED != 0 {
            // Closed by this receiver before any value was sent, so none
            // ever will be.
            // SAFETY: we hold `RX_ALIVE`.
            unsafe { Self::release(this, RX_ALIVE, TX_ALIVE) };
            return Poll::Ready(None);
        }

        if cur & RX_WAKER != 0 {
            // SAFETY: the slot is initialised (`RX_WAKER`) and nobody writes
            // it: only the receiver writes, and the sender at most reads it
            // (moving it out bitwise leaves valid bytes, and `will_wake`
            // only compares the raw pointers).
            let same = shared
                .rx_waker
                .with(|p| unsafe { (*p).assume_init_ref() }.will_wake(cx.waker()));
            if same {
                return Poll::Pending;
            }
            // Take the slot back to replace the waker, unless the sender
            // has completed and now owns it.
            loop {
                if cur & COMPLETE != 0 {
                    // SAFETY: as above.
                    return Poll::Ready(unsafe { Self::take_value(this, cur) });
                }
                match shared
                    .state
                    .compare_exchange_weak(cur, cur & !RX_WAKER, AcqRel, Acquire)
                {
                    Ok(_) => break,
                    Err(actual) => cur = actual,
                }
            }
            // SAFETY: we cleared `RX_WAKER` while `COMPLETE` was clear, so
            // the sender never looked at this waker and never will; the slot
            // was initialised.
            shared
                .rx_waker
                .with_mut(|p| unsafe { (*p).assume_init_drop() });
        }

        // SAFETY: `RX_WAKER` is clear, so the slot is ours alone (the sender
        // reads it only after seeing the bit set).
        shared
            .rx_waker
            .with_mut(|p| unsafe { (*p).write(cx.waker().clone()) });
        let prev = shared.state.fetch_or(RX_WAKER, AcqRel);
        if prev & COMPLETE != 0 {
            // The sender completed before seeing our waker. The waker stays
            // in its slot and is dropped with the allocation.
            // SAFETY: `COMPLETE` observed by an `AcqRel` RMW.
            return Poll::Ready(unsafe { Self::take_value(this, prev) });
        }
        Poll::Pending
    }
}

impl<T> Drop for Shared<T> {
    fn drop(&mut self) {
        // Runs once both alive bits are clear: we have exclusive access.
        #[cfg(not(loom))]
        let state = *self.state.get_mut();
        // loom checks that every access of the other side happens before
        // this free: exclusive access to the state word and to each cell
        // (these `with_mut` calls compile to nothing without loom).
        #[cfg(loom)]
        let state = self.state.with_mut(|s| *s);
        self.value.with_mut(|_| ());
        self.rx_waker.with_mut(|_| ());
        self.tx_waker.with_mut(|_| ());
        debug_assert_eq!(state & (RX_ALIVE | TX_ALIVE), 0);
        if state & RX_WAKER != 0 {
            // SAFETY: `RX_WAKER` says the slot is initialised.
            self.rx_waker
                .with_mut(|p| unsafe { (*p).assume_init_drop() });
        }
        if state & TX_WAKER != 0 {
            // SAFETY: `TX_WAKER` says the slot is initialised.
            self.tx_waker
                .with_mut(|p| unsafe { (*p).assume_init_drop() });
        }
        // The receiver always moves the value out before leaving, so this
        // does not happen; kept so that the bits alone decide.
        if state & VALUE != 0 {
            // SAFETY: `VALUE` says the slot is initialised.
            self.value.with_mut(|p| unsafe { (*p).assume_init_drop() });
        }
    }
}

// SAFETY: the handles only move `T` between threads (never share a `&T`), and
// all shared state is synchronised through the atomic state word as the
// module docs describe. Wakers are `Send + Sync`.
unsafe impl<T: Send> Send for Sender<T> {}
// SAFETY: `&Sender` only allows reading the state word (`is_closed`, `Debug`).
unsafe impl<T: Send> Sync for Sender<T> {}
// SAFETY: as for `Sender`.
unsafe impl<T: Send> Send for Receiver<T> {}
// SAFETY: `&Receiver` only allows reading the state word (`is_empty`,
// `is_terminated`, `Debug`), never the value.
unsafe impl<T: Send> Sync for Receiver<T> {}

impl<T> Sender<T> {
    /// Sends `t` to the receiver, consuming the sender.
    ///
    /// Returns `Err(t)`, handing the value back, if the receiver has been
    /// dropped or has called [`Receiver::close`]. An `Ok` means the value is
    /// in the channel, not that the receiver will take it: it may still be
    /// dropped before doing so, and then the value is dropped with it.
    ///
    /// # Examples
    ///
    /// ```
    /// use weave::sync::oneshot;
    ///
    /// let (tx, rx) = oneshot::channel();
    /// drop(rx);
    /// assert_eq!(tx.send(5), Err(5));
    ///
    /// let (tx, rx) = oneshot::channel();
    /// assert_eq!(tx.send(5), Ok(()));
    /// assert_eq!(rx.blocking_recv(), Ok(5));
    /// ```
    pub fn send(self, t: T) -> Result<(), T> {
        let this = ManuallyDrop::new(self);
        let shared = this.shared;
        // SAFETY: we hold `TX_ALIVE`; `COMPLETE` is clear (only this
        // consumed sender sets it), so the value slot is ours to write.
        unsafe { shared.as_ref() }
            .value
            .with_mut(|p| unsafe { (*p).write(t) });
        // SAFETY: called once (the sender is consumed and its `Drop` will
        // not run), the value slot is initialised.
        match unsafe { Shared::complete(shared, true) } {
            None => Ok(()),
            Some(t) => Err(t),
        }
    }

    /// Waits until the receiver is dropped or calls [`Receiver::close`].
    ///
    /// Useful to stop producing a value nobody will read. Cancel safe.
    ///
    /// # Examples
    ///
    /// ```
    /// use weave::sync::oneshot;
    ///
    /// # futures::executor::block_on(async {
    /// let (mut tx, rx) = oneshot::channel::<()>();
    ///
    /// std::thread::spawn(move || drop(rx));
    ///
    /// tx.closed().await;
    /// assert!(tx.is_closed());
    /// # });
    /// ```
    pub async fn closed(&mut self) {
        std::future::poll_fn(|cx| self.poll_closed(cx)).await
    }

    /// Returns `true` if the receiver has been dropped or closed: a `send`
    /// would fail.
    ///
    /// # Examples
    ///
    /// ```
    /// use weave::sync::oneshot;
    ///
    /// let (tx, rx) = oneshot::channel::<()>();
    /// assert!(!tx.is_closed());
    /// drop(rx);
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        // SAFETY: the sender holds `TX_ALIVE`.
        unsafe { self.shared.as_ref() }.state.load(Acquire) & CLOSED != 0
    }

    /// Polls for the receiver being dropped or closed.
    ///
    /// Returns `Ready(())` once it is, otherwise registers `cx`'s waker (only
    /// the one from the latest call is woken) and returns `Pending`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use weave::sync::oneshot;
    ///
    /// # futures::executor::block_on(async {
    /// let (mut tx, mut rx) = oneshot::channel::<()>();
    ///
    /// std::thread::spawn(move || rx.close());
    ///
    /// poll_fn(|cx| tx.poll_closed(cx)).await;
    /// assert!(tx.send(()).is_err());
    /// # });
    /// ```
    pub fn poll_closed(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let coop = ready!(crate::coop::poll_proceed(cx));
        // SAFETY: the sender holds `TX_ALIVE`.
        let shared = unsafe { self.shared.as_ref() };
        let mut cur = shared.state.load(Acquire);
        if cur & CLOSED != 0 {
            coop.made_progress();
            return Poll::Ready(());
        }

        if cur & TX_WAKER != 0 {
            // SAFETY: the slot is initialised and only the sender (us)
            // writes it; the receiver at most reads it.
            let same = shared
                .tx_waker
                .with(|p| unsafe { (*p).assume_init_ref() }.will_wake(cx.waker()));
            if same {
                return Poll::Pending;
            }
            // Take the slot back, unless the receiver has closed and now
            // owns it.
            loop {
                if cur & CLOSED != 0 {
                    coop.made_progress();
                    return Poll::Ready(());
                }
                match shared
                    .state
                    .compare_exchange_weak(cur, cur & !TX_WAKER, AcqRel, Acquire)
                {
                    Ok(_) => break,
                    Err(actual) => cur = actual,
                }
            }
            // SAFETY: we cleared `TX_WAKER` while `CLOSED` was clear, so the
            // receiver never looked at this waker and never will.
            shared
                .tx_waker
                .with_mut(|p| unsafe { (*p).assume_init_drop() });
        }

        // SAFETY: `TX_WAKER` is clear, so the slot is ours alone.
        shared
            .tx_waker
            .with_mut(|p| unsafe { (*p).write(cx.waker().clone()) });
        let prev = shared.state.fetch_or(TX_WAKER, AcqRel);
        if prev & CLOSED != 0 {
            // Closed before the receiver saw our waker; it stays in the slot
            // and is dropped with the allocation.
            coop.made_progress();
            return Poll::Ready(());
        }
        Poll::Pending
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        // SAFETY: called once, by the sender, which holds `TX_ALIVE`; no
        // value was written.
        let returned = unsafe { Shared::complete(self.shared, false) };
        debug_assert!(returned.is_none());
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // SAFETY: the sender holds `TX_ALIVE`.
        let state = unsafe { self.shared.as_ref() }.state.load(Acquire);
        f.debug_struct("Sender")
            .field("state", &StateBits(state))
            .finish()
    }
}

impl<T> Receiver<T> {
    /// Closes the channel without dropping the receiver.
    ///
    /// A later [`Sender::send`] fails and returns its value, and
    /// [`Sender::closed`] completes. A value sent *before* `close` can still
    /// be received, with [`try_recv`](Receiver::try_recv) or by awaiting the
    /// receiver (which no longer waits: it resolves at once either way).
    ///
    /// # Examples
    ///
    /// ```
    /// use weave::sync::oneshot::{self, error::TryRecvError};
    ///
    /// let (tx, mut rx) = oneshot::channel();
    /// rx.close();
    /// assert!(tx.is_closed());
    /// assert_eq!(tx.send("never received"), Err("never received"));
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    ///
    /// let (tx, mut rx) = oneshot::channel();
    /// tx.send("sent before close").unwrap();
    /// rx.close();
    /// assert_eq!(rx.try_recv(), Ok("sent before close"));
    /// ```
    pub fn close(&mut self) {
        let Some(this) = self.shared else {
            return;
        };
        // SAFETY: the receiver holds `RX_ALIVE`.
        let shared = unsafe { this.as_ref() };
        let prev = shared.state.fetch_or(CLOSED, AcqRel);
        if prev & (TX_WAKER | CLOSED | COMPLETE) == TX_WAKER {
            // SAFETY: our `CLOSED` transition saw `TX_WAKER` set while the
            // sender was still waiting, so the slot is initialised and the
            // sender will not write it again; we move the waker out and
            // clear the bit.
            let waker = shared
                .tx_waker
                .with(|p| unsafe { ptr::read(p).assume_init() });
            shared.state.fetch_and(!TX_WAKER, AcqRel);
            waker.wake();
        }
    }

    /// Returns `true` once the receiver has produced its result (by resolving
    /// as a future, or through [`try_recv`](Receiver::try_recv) returning a
    /// value or `Closed`). Polling a terminated receiver panics.
    ///
    /// # Examples
    ///
    /// ```
    /// use weave::sync::oneshot;
    ///
    /// # futures::executor::block_on(async {
    /// let (tx, mut rx) = oneshot::channel();
    /// assert!(!rx.is_terminated());
    /// tx.send(1).unwrap();
    /// assert!(!rx.is_terminated());
    /// assert_eq!((&mut rx).await, Ok(1));
    /// assert!(rx.is_terminated());
    /// # });
    /// ```
    pub fn is_terminated(&self) -> bool {
        self.shared.is_none()
    }

    /// Returns `true` if there is no value waiting in the channel.
    ///
    /// An empty receiver is not necessarily safe to poll (it may have
    /// terminated): use [`is_terminated`](Receiver::is_terminated) for that.
    ///
    /// # Examples
    ///
    /// ```
    /// use weave::sync::oneshot;
    ///
    /// # futures::executor::block_on(async {
    /// let (tx, mut rx) = oneshot::channel();
    /// assert!(rx.is_empty());
    /// tx.send(0).unwrap();
    /// assert!(!rx.is_empty());
    /// let _ = (&mut rx).await;
    /// assert!(rx.is_empty());
    /// # });
    /// ```
    pub fn is_empty(&self) -> bool {
        match self.shared {
            None => true,
            // SAFETY: the receiver holds `RX_ALIVE`.
            Some(this) => unsafe { this.as_ref() }.state.load(Acquire) & VALUE == 0,
        }
    }

    /// Takes the value if it has been sent, without waiting.
    ///
    /// - `Ok(v)`: the value; the receiver is now terminated.
    /// - `Err(TryRecvError::Empty)`: nothing yet; try again later.
    /// - `Err(TryRecvError::Closed)`: the sender was dropped without sending,
    ///   the receiver was closed before a value arrived, or the value was
    ///   already taken. The receiver is terminated.
    ///
    /// # Examples
    ///
    /// ```
    /// use weave::sync::oneshot::{self, error::TryRecvError};
    ///
    /// let (tx, mut rx) = oneshot::channel();
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// tx.send("hi").unwrap();
    /// assert_eq!(rx.try_recv(), Ok("hi"));
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let Some(this) = self.shared else {
            return Err(TryRecvError::Closed);
        };
        // SAFETY: the receiver holds `RX_ALIVE`.
        let cur = unsafe { this.as_ref() }.state.load(Acquire);
        let result = if cur & COMPLETE != 0 {
            // SAFETY: `COMPLETE` observed with `Acquire`; we hold `RX_ALIVE`
            // and forget the pointer right below.
            unsafe { Shared::take_value(this, cur) }.ok_or(TryRecvError::Closed)
        } else if cur & CLOSED != 0 {
            // SAFETY: we hold `RX_ALIVE` and forget the pointer right below.
            unsafe { Shared::release(this, RX_ALIVE, TX_ALIVE) };
            Err(TryRecvError::Closed)
        } else {
            return Err(TryRecvError::Empty);
        };
        self.shared = None;
        result
    }

    /// Blocks the current thread until the value arrives (or the sender is
    /// dropped). For synchronous code that needs a value from async code.
    ///
    /// # Panics
    ///
    /// Panics if called from a thread that drives an asynchronous runtime:
    /// blocking there would stall the tasks it runs. Use `.await` instead.
    ///
    /// # Examples
    ///
    /// ```
    /// use weave::sync::oneshot;
    ///
    /// let (tx, rx) = oneshot::channel::<u8>();
    ///
    /// let consumer = std::thread::spawn(move || rx.blocking_recv());
    ///
    /// tx.send(10).unwrap();
    /// assert_eq!(consumer.join().unwrap(), Ok(10));
    /// ```
    #[track_caller]
    #[cfg(not(loom))]
    pub fn blocking_recv(self) -> Result<T, RecvError> {
        crate::enter::assert_blocking_allowed(
            "`blocking_recv` cannot be called from within an asynchronous runtime: \
             use `.await` instead",
        );
        crate::park::block_on(self)
    }
}

impl<T> Future for Receiver<T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let Some(shared) = this.shared else {
            panic!("called after complete");
        };
        let coop = ready!(crate::coop::poll_proceed(cx));
        // SAFETY: the receiver holds `RX_ALIVE` (`shared` is `Some`).
        let value = ready!(unsafe { Shared::poll_recv(shared, cx) });
        coop.made_progress();
        // `poll_recv` gave up `RX_ALIVE` when it returned `Ready`.
        this.shared = None;
        Poll::Ready(value.ok_or(RecvError(())))
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let Some(this) = self.shared else {
            return;
        };
        // SAFETY: the receiver holds `RX_ALIVE`.
        let shared = unsafe { this.as_ref() };
        let mut cur = shared.state.load(Acquire);
        loop {
            if cur & COMPLETE != 0 {
                // SAFETY: `COMPLETE` observed with `Acquire`; we hold
                // `RX_ALIVE`. The value (if any) is dropped here, after the
                // release, outside the shared allocation.
                drop(unsafe { Shared::take_value(this, cur) });
                return;
            }
            // Close the channel. If the sender waits in `closed()`, take its
            // waker; otherwise leave in the same step (the sender, which has
            // not completed and so still holds `TX_ALIVE`, will free).
            let take_waker = cur & (TX_WAKER | CLOSED) == TX_WAKER;
            let mut next = cur | CLOSED;
            if !take_waker {
                next &= !RX_ALIVE;
            }
            match shared
                .state
                .compare_exchange_weak(cur, next, AcqRel, Acquire)
            {
                Ok(_) => break,
                Err(actual) => cur = actual,
            }
        }
        if cur & (TX_WAKER | CLOSED) == TX_WAKER {
            // SAFETY: our `CLOSED` transition saw `TX_WAKER` set and
            // `COMPLETE` clear: the slot is initialised and the sender will
            // not write it again. We clear the bit with `RX_ALIVE`.
            let waker = shared
                .tx_waker
                .with(|p| unsafe { ptr::read(p).assume_init() });
            // SAFETY: we still hold `RX_ALIVE`.
            unsafe { Shared::release(this, RX_ALIVE | TX_WAKER, TX_ALIVE) };
            waker.wake();
        }
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Receiver");
        match self.shared {
            None => d.field("terminated", &true),
            // SAFETY: the receiver holds `RX_ALIVE`.
            Some(this) => d.field(
                "state",
                &StateBits(unsafe { this.as_ref() }.state.load(Acquire)),
            ),
        };
        d.finish()
    }
}

/// Debug view of a state word: the names of the set bits.
struct StateBits(u32);

impl fmt::Debug for StateBits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const NAMES: [(u32, &str); 7] = [
            (RX_ALIVE, "RX_ALIVE"),
            (TX_ALIVE, "TX_ALIVE"),
            (COMPLETE, "COMPLETE"),
            (VALUE, "VALUE"),
            (CLOSED, "CLOSED"),
            (RX_WAKER, "RX_WAKER"),
            (TX_WAKER, "TX_WAKER"),
        ];
        let mut first = true;
        for (bit, name) in NAMES {
            if self.0 & bit != 0 {
                if !first {
                    f.write_str(" | ")?;
                }
                f.write_str(name)?;
                first = false;
            }
        }
        if first {
            f.write_str("(empty)")?;
        }
        Ok(())
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use std::sync::Arc;
    use std::task::{RawWaker, RawWakerVTable};

    /// A waker that counts its clones, wakes and drops.
    #[derive(Default)]
    struct Counts {
        clones: AtomicUsize,
        wakes: AtomicUsize,
        drops: AtomicUsize,
    }

    fn counting_waker(counts: &Arc<Counts>) -> Waker {
        const VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake_by_ref, drop_raw);
        unsafe fn clone(p: *const ()) -> RawWaker {
            // SAFETY: `p` came from `Arc::into_raw` and the waker holds a count.
            unsafe {
                Arc::increment_strong_count(p as *const Counts);
                (*(p as *const Counts)).clones.fetch_add(1, SeqCst);
            }
            RawWaker::new(p, &VTABLE)
        }
        unsafe fn wake(p: *const ()) {
            // SAFETY: as in `clone`; `wake` consumes the count.
            unsafe {
                wake_by_ref(p);
                drop_raw(p);
            }
        }
        unsafe fn wake_by_ref(p: *const ()) {
            // SAFETY: as in `clone`.
            unsafe { (*(p as *const Counts)).wakes.fetch_add(1, SeqCst) };
        }
        unsafe fn drop_raw(p: *const ()) {
            // SAFETY: as in `clone`; this gives the count back.
            unsafe {
                (*(p as *const Counts)).drops.fetch_add(1, SeqCst);
                Arc::decrement_strong_count(p as *const Counts);
            }
        }
        let raw = RawWaker::new(Arc::into_raw(counts.clone()) as *const (), &VTABLE);
        // SAFETY: the vtable functions uphold the `RawWaker` contract.
        unsafe { Waker::from_raw(raw) }
    }

    fn poll_rx<T>(rx: &mut Receiver<T>, waker: &Waker) -> Poll<Result<T, RecvError>> {
        Pin::new(rx).poll(&mut Context::from_waker(waker))
    }

    fn poll_closed<T>(tx: &mut Sender<T>, waker: &Waker) -> Poll<()> {
        tx.poll_closed(&mut Context::from_waker(waker))
    }

    /// Counts drops of values sent through a channel.
    struct DropCounter(Arc<AtomicUsize>);

    impl Drop for DropCounter {
        fn drop(&mut self) {
            self.0.fetch_add(1, SeqCst);
        }
    }

    #[test]
    #[cfg(target_pointer_width = "64")]
    fn allocation_is_small() {
        assert_eq!(std::mem::size_of::<Shared<()>>(), 40);
        assert_eq!(std::mem::size_of::<Shared<u32>>(), 40);
        assert_eq!(std::mem::size_of::<Shared<u64>>(), 48);
    }

    #[test]
    fn handles_are_send_sync_unpin() {
        fn check<T: Send + Sync + Unpin>() {}
        check::<Sender<u8>>();
        check::<Receiver<u8>>();
        // `Unpin` whatever `T` is.
        fn unpin<T: Unpin>() {}
        unpin::<Receiver<std::marker::PhantomPinned>>();
        unpin::<Sender<std::marker::PhantomPinned>>();
    }

    #[test]
    fn send_then_poll() {
        let (tx, mut rx) = channel();
        assert!(tx.send(7).is_ok());
        assert_eq!(poll_rx(&mut rx, Waker::noop()), Poll::Ready(Ok(7)));
        assert!(rx.is_terminated());
    }

    #[test]
    fn poll_then_send_wakes_and_drops_waker() {
        let counts = Arc::new(Counts::default());
        let waker = counting_waker(&counts);
        let (tx, mut rx) = channel();
        assert!(poll_rx(&mut rx, &waker).is_pending());
        assert_eq!(counts.clones.load(SeqCst), 1);
        tx.send("x").unwrap();
        assert_eq!(counts.wakes.load(SeqCst), 1);
        // The sender moved the stored clone out and consumed it by waking.
        assert_eq!(counts.drops.load(SeqCst), 1);
        assert_eq!(poll_rx(&mut rx, &waker), Poll::Ready(Ok("x")));
        drop(waker);
        assert_eq!(Arc::strong_count(&counts), 1);
    }

    #[test]
    fn same_waker_is_not_cloned_again() {
        let counts = Arc::new(Counts::default());
        let waker = counting_waker(&counts);
        let (tx, mut rx) = channel::<u8>();
        for _ in 0..5 {
            assert!(poll_rx(&mut rx, &waker).is_pending());
        }
        assert_eq!(counts.clones.load(SeqCst), 1);
        drop(tx);
        assert_eq!(counts.wakes.load(SeqCst), 1);
        assert_eq!(poll_rx(&mut rx, &waker), Poll::Ready(Err(RecvError(()))));
    }

    #[test]
    fn new_waker_replaces_old_one() {
        let a = Arc::new(Counts::default());
        let b = Arc::new(Counts::default());
        let (wa, wb) = (counting_waker(&a), counting_waker(&b));
        let (tx, mut rx) = channel();
        assert!(poll_rx(&mut rx, &wa).is_pending());
        assert!(poll_rx(&mut rx, &wb).is_pending());
        // The clone of `a` was dropped when `b` replaced it.
        assert_eq!(a.drops.load(SeqCst), 1);
        tx.send(1).unwrap();
        assert_eq!(a.wakes.load(SeqCst), 0);
        assert_eq!(b.wakes.load(SeqCst), 1);
        assert_eq!(poll_rx(&mut rx, &wb), Poll::Ready(Ok(1)));
        drop((wa, wb));
        assert_eq!(Arc::strong_count(&a), 1);
        assert_eq!(Arc::strong_count(&b), 1);
    }

    #[test]
    fn wakers_are_freed_with_the_channel() {
        let counts = Arc::new(Counts::default());
        let waker = counting_waker(&counts);
        let (mut tx, mut rx) = channel::<u8>();
        assert!(poll_rx(&mut rx, &waker).is_pending());
        assert!(poll_closed(&mut tx, &waker).is_pending());
        // Ours, `waker`, and one stored clone per side.
        assert_eq!(Arc::strong_count(&counts), 4);
        rx.close(); // wakes (and so releases) the sender's waker
        assert_eq!(counts.wakes.load(SeqCst), 1);
        assert_eq!(Arc::strong_count(&counts), 3);
        drop(tx); // receiver closed: its waker is not woken, stays stored
        assert_eq!(counts.wakes.load(SeqCst), 1);
        assert_eq!(Arc::strong_count(&counts), 3);
        drop(rx); // frees the allocation and the stored waker
        assert_eq!(Arc::strong_count(&counts), 2);
        drop(waker);
        assert_eq!(Arc::strong_count(&counts), 1);
    }

    #[test]
    fn sender_drop_gives_recv_error() {
        let (tx, mut rx) = channel::<u8>();
        drop(tx);
        assert!(rx.is_empty());
        assert!(!rx.is_terminated());
        assert_eq!(
            poll_rx(&mut rx, Waker::noop()),
            Poll::Ready(Err(RecvError(())))
        );
        assert!(rx.is_terminated());
    }

    #[test]
    #[should_panic(expected = "called after complete")]
    fn poll_after_complete_panics() {
        let (tx, mut rx) = channel();
        tx.send(()).unwrap();
        let _ = poll_rx(&mut rx, Waker::noop());
        let _ = poll_rx(&mut rx, Waker::noop());
    }

    #[test]
    fn send_after_receiver_drop_returns_value() {
        let (tx, rx) = channel();
        drop(rx);
        assert!(tx.is_closed());
        assert_eq!(tx.send(String::from("v")), Err(String::from("v")));
    }

    #[test]
    fn try_recv_states() {
        let (tx, mut rx) = channel();
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
        assert!(!rx.is_terminated());
        tx.send(3).unwrap();
        assert!(!rx.is_empty());
        assert_eq!(rx.try_recv(), Ok(3));
        assert!(rx.is_terminated());
        assert!(rx.is_empty());
        assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));

        let (tx, mut rx) = channel::<u8>();
        drop(tx);
        assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
        assert!(rx.is_terminated());
    }

    #[test]
    fn close_semantics() {
        // Close before send: the send fails, the receiver resolves at once.
        let (tx, mut rx) = channel();
        rx.close();
        assert!(tx.is_closed());
        assert_eq!(tx.send(1), Err(1));
        assert_eq!(
            poll_rx(&mut rx, Waker::noop()),
            Poll::Ready(Err(RecvError(())))
        );

        // Close with the sender alive: no need to wait for it.
        let (tx, mut rx) = channel::<u8>();
        rx.close();
        assert_eq!(
            poll_rx(&mut rx, Waker::noop()),
            Poll::Ready(Err(RecvError(())))
        );
        assert!(tx.is_closed());
        drop(tx);

        // Send before close: the value is still received.
        let (tx, mut rx) = channel();
        tx.send(2).unwrap();
        rx.close();
        rx.close();
        assert_eq!(poll_rx(&mut rx, Waker::noop()), Poll::Ready(Ok(2)));
        rx.close(); // no-op once terminated
    }

    #[test]
    fn poll_closed_wakes_on_close_and_drop() {
        let counts = Arc::new(Counts::default());
        let waker = counting_waker(&counts);

        let (mut tx, mut rx) = channel::<u8>();
        assert!(poll_closed(&mut tx, &waker).is_pending());
        assert!(poll_closed(&mut tx, &waker).is_pending());
        assert_eq!(counts.clones.load(SeqCst), 1);
        rx.close();
        assert_eq!(counts.wakes.load(SeqCst), 1);
        assert!(poll_closed(&mut tx, &waker).is_ready());

        let (mut tx, rx) = channel::<u8>();
        assert!(poll_closed(&mut tx, &waker).is_pending());
        drop(rx);
        assert_eq!(counts.wakes.load(SeqCst), 2);
        assert!(poll_closed(&mut tx, &waker).is_ready());
        drop(tx);
        drop(waker);
        assert_eq!(Arc::strong_count(&counts), 1);
    }

    #[test]
    fn poll_closed_replaces_waker() {
        let a = Arc::new(Counts::default());
        let b = Arc::new(Counts::default());
        let (wa, wb) = (counting_waker(&a), counting_waker(&b));
        let (mut tx, rx) = channel::<u8>();
        assert!(poll_closed(&mut tx, &wa).is_pending());
        assert!(poll_closed(&mut tx, &wb).is_pending());
        assert_eq!(a.drops.load(SeqCst), 1);
        drop(rx);
        assert_eq!(a.wakes.load(SeqCst), 0);
        assert_eq!(b.wakes.load(SeqCst), 1);
    }

    #[test]
    fn values_dropped_exactly_once() {
        let drops = Arc::new(AtomicUsize::new(0));
        let counter = || DropCounter(drops.clone());

        // Received, then dropped by the caller.
        let (tx, mut rx) = channel();
        tx.send(counter()).ok().unwrap();
        let v = rx.try_recv().ok().unwrap();
        assert_eq!(drops.load(SeqCst), 0);
        drop(v);
        assert_eq!(drops.load(SeqCst), 1);

        // Never received: dropped with the receiver.
        let (tx, rx) = channel();
        tx.send(counter()).ok().unwrap();
        assert_eq!(drops.load(SeqCst), 1);
        drop(rx);
        assert_eq!(drops.load(SeqCst), 2);

        // Sent before close, never received.
        let (tx, mut rx) = channel();
        tx.send(counter()).ok().unwrap();
        rx.close();
        drop(rx);
        assert_eq!(drops.load(SeqCst), 3);

        // Send fails: handed back, dropped by the caller.
        let (tx, rx) = channel();
        drop(rx);
        let back = tx.send(counter()).err().unwrap();
        assert_eq!(drops.load(SeqCst), 3);
        drop(back);
        assert_eq!(drops.load(SeqCst), 4);
    }

    #[test]
    fn exhausted_budget_yields() {
        let counts = Arc::new(Counts::default());
        let waker = counting_waker(&counts);
        let (tx, mut rx) = channel();
        tx.send(1).unwrap();
        crate::coop::with_budget(crate::coop::Budget::initial(), || {
            let mut cx = Context::from_waker(&waker);
            while let Poll::Ready(r) = crate::coop::poll_proceed(&mut cx) {
                r.made_progress();
            }
            assert!(poll_rx(&mut rx, &waker).is_pending());
        });
        assert!(counts.wakes.load(SeqCst) >= 1);
        assert!(!rx.is_terminated());
        assert_eq!(poll_rx(&mut rx, &waker), Poll::Ready(Ok(1)));
    }

    #[test]
    fn blocking_recv_on_plain_thread() {
        let (tx, rx) = channel();
        let t = std::thread::spawn(move || rx.blocking_recv());
        std::thread::sleep(std::time::Duration::from_millis(10));
        tx.send(9u32).unwrap();
        assert_eq!(t.join().unwrap(), Ok(9));
    }

    #[test]
    #[should_panic(
        expected = "`blocking_recv` cannot be called from within an asynchronous runtime"
    )]
    fn blocking_recv_in_runtime_panics() {
        let _guard = crate::enter::try_enter(false).unwrap();
        let (_tx, rx) = channel::<u8>();
        let _ = rx.blocking_recv();
    }

    #[test]
    fn debug_output() {
        let (tx, mut rx) = channel::<std::marker::PhantomPinned>();
        assert_eq!(format!("{tx:?}"), "Sender { state: RX_ALIVE | TX_ALIVE }");
        drop(tx);
        assert_eq!(format!("{rx:?}"), "Receiver { state: RX_ALIVE | COMPLETE }");
        assert!(rx.try_recv().is_err());
        assert_eq!(format!("{rx:?}"), "Receiver { terminated: true }");
    }

    #[test]
    fn error_display() {
        assert_eq!(RecvError(()).to_string(), "channel closed");
        assert_eq!(TryRecvError::Empty.to_string(), "channel empty");
        assert_eq!(TryRecvError::Closed.to_string(), "channel closed");
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use crate::loom::sync::Arc;
    use loom::future::block_on;
    use loom::thread;

    /// A value that counts its drops (and, holding a loom `Arc`, is reported
    /// by loom if it leaks).
    struct Counted(Arc<AtomicUsize>);

    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, SeqCst);
        }
    }

    /// Polls `rx` once (registering the current `block_on` waker).
    fn poll_once<T>(rx: &mut Receiver<T>) -> Poll<Result<T, RecvError>> {
        block_on(std::future::poll_fn(|cx| {
            Poll::Ready(Pin::new(&mut *rx).poll(cx))
        }))
    }

    #[test]
    fn loom_oneshot_send_vs_recv() {
        loom::model(|| {
            let (tx, rx) = channel();
            let t = thread::spawn(move || tx.send(1u8).unwrap());
            assert_eq!(block_on(rx), Ok(1));
            t.join().unwrap();
        });
    }

    /// The receiver registers one waker, then waits with another one while
    /// the value is being sent (waker replacement racing the send).
    #[test]
    fn loom_oneshot_send_vs_recv_new_waker() {
        loom::model(|| {
            let (tx, mut rx) = channel();
            let t = thread::spawn(move || tx.send(1u8).unwrap());
            let value = match poll_once(&mut rx) {
                Poll::Ready(v) => v,
                Poll::Pending => block_on(rx),
            };
            assert_eq!(value, Ok(1));
            t.join().unwrap();
        });
    }

    /// The receiver polls once and is dropped while the value is sent: the
    /// value is dropped exactly once, either by the receiver or returned.
    #[test]
    fn loom_oneshot_send_vs_rx_drop() {
        loom::model(|| {
            let drops = Arc::new(AtomicUsize::new(0));
            let (tx, mut rx) = channel();
            let t = thread::spawn(move || {
                if poll_once(&mut rx).is_ready() {
                    return true;
                }
                drop(rx);
                false
            });
            let sent = tx.send(Counted(drops.clone()));
            let received = t.join().unwrap();
            match sent {
                Ok(()) => {}
                Err(back) => {
                    assert!(!received);
                    assert_eq!(drops.load(SeqCst), 0);
                    drop(back);
                }
            }
            assert_eq!(drops.load(SeqCst), 1);
        });
    }

    /// `close` racing `send`: the send succeeds iff the value can still be
    /// received, and the value is dropped exactly once.
    #[test]
    fn loom_oneshot_close_vs_send() {
        loom::model(|| {
            let drops = Arc::new(AtomicUsize::new(0));
            let (tx, mut rx) = channel();
            let t = thread::spawn(move || {
                rx.close();
                rx.try_recv()
            });
            let sent = tx.send(Counted(drops.clone()));
            let got = t.join().unwrap();
            match (sent, got) {
                (Ok(()), Ok(v)) => drop(v),
                (Ok(()), Err(e)) => panic!("sent but not received: {e}"),
                (Err(back), Err(TryRecvError::Closed)) => drop(back),
                (Err(_), other) => panic!("send failed but receiver saw {:?}", other.is_ok()),
            }
            assert_eq!(drops.load(SeqCst), 1);
        });
    }

    /// The sender drops while the receiver waits.
    #[test]
    fn loom_oneshot_tx_drop_vs_recv() {
        loom::model(|| {
            let (tx, rx) = channel::<u8>();
            let t = thread::spawn(move || drop(tx));
            assert_eq!(block_on(rx), Err(RecvError(())));
            t.join().unwrap();
        });
    }

    /// The sender drops while the receiver replaces its waker.
    #[test]
    fn loom_oneshot_tx_drop_vs_recv_new_waker() {
        loom::model(|| {
            let (tx, mut rx) = channel::<u8>();
            let t = thread::spawn(move || drop(tx));
            let value = match poll_once(&mut rx) {
                Poll::Ready(v) => v,
                Poll::Pending => block_on(rx),
            };
            assert_eq!(value, Err(RecvError(())));
            t.join().unwrap();
        });
    }

    /// `closed()` racing the receiver's drop.
    #[test]
    fn loom_oneshot_closed_vs_rx_drop() {
        loom::model(|| {
            let (mut tx, rx) = channel::<u8>();
            let t = thread::spawn(move || drop(rx));
            block_on(tx.closed());
            assert!(tx.is_closed());
            assert_eq!(tx.send(1), Err(1));
            t.join().unwrap();
        });
    }

    /// `closed()` with a waker replacement racing `close()`; the receiver
    /// then drops concurrently with the sender.
    #[test]
    fn loom_oneshot_closed_vs_close_new_waker() {
        loom::model(|| {
            let (mut tx, mut rx) = channel::<u8>();
            let t = thread::spawn(move || {
                rx.close();
                drop(rx);
            });
            let first = block_on(std::future::poll_fn(|cx| Poll::Ready(tx.poll_closed(cx))));
            if first.is_pending() {
                block_on(tx.closed());
            }
            assert_eq!(tx.send(1), Err(1));
            t.join().unwrap();
        });
    }

    /// Both sides give up at once while both have wakers registered.
    #[test]
    fn loom_oneshot_both_drop_with_wakers() {
        loom::model(|| {
            let (mut tx, mut rx) = channel::<u8>();
            assert!(poll_once(&mut rx).is_pending());
            assert!(
                block_on(std::future::poll_fn(|cx| Poll::Ready(tx.poll_closed(cx)))).is_pending()
            );
            let t = thread::spawn(move || drop(rx));
            drop(tx);
            t.join().unwrap();
        });
    }
}
