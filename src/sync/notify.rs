//! Wakes one task, or every waiting task, without carrying any data.
//!
//! [`Notify`] is the building block under weave's channels: `watch` and
//! `broadcast` park their receivers on one. A task waits with
//! [`Notify::notified`]; another task wakes it with [`Notify::notify_one`]
//! (oldest waiter first), [`Notify::notify_last`] (newest waiter first) or
//! [`Notify::notify_waiters`] (everyone waiting right now).
//!
//! # Implementation
//!
//! A `Notify` is an atomic state word plus an intrusive, doubly linked list
//! of waiters behind one mutex. Each waiter node lives inside the
//! [`Notified`] future that waits, which is pinned while it is in the list,
//! so registering never allocates.
//!
//! ## The state word
//!
//! The low two bits are one of:
//!
//! | state      | meaning                                                        |
//! |------------|----------------------------------------------------------------|
//! | `EMPTY`    | nobody waits and no permit is stored                           |
//! | `WAITING`  | the waiter list is non-empty                                   |
//! | `NOTIFIED` | nobody waits and one permit is stored (there is never more than one) |
//!
//! The remaining bits count calls to `notify_waiters` (the *generation*). A
//! `Notified` records the generation when it is created; if the generation
//! has moved on when it is first polled (or enabled), a `notify_waiters`
//! happened after its creation and it completes at once.
//!
//! ## Invariants
//!
//! - The list is non-empty iff the state is `WAITING`. Every transition into
//!   or out of `WAITING`, every change of the list, and every generation bump
//!   happens with the list mutex held. Only `EMPTY <-> NOTIFIED` changes
//!   happen without the lock (the one-CAS fast paths of `notify_one` and of a
//!   first poll that consumes the permit); they never touch `WAITING`, so a
//!   plain store is safe whenever the lock holder sees `WAITING`.
//! - A waiter node's fields (links, waker, notification, generation) are only
//!   read or written with the list mutex held.
//! - A node is in the list iff its future is in the `Waiting` poll state and
//!   its notification is still `None`. Whoever sets the notification unlinks
//!   the node in the same critical section; a future that drops while still
//!   linked unlinks itself. So the list never points at freed memory.
//! - The list is ordered by registration time: nodes are pushed at the front
//!   and the back is the oldest. `notify_one` pops the back (FIFO),
//!   `notify_last` the front (LIFO). Since nodes are registered under the lock
//!   and the generation only moves under the lock, generations are
//!   non-decreasing from back to front.
//! - A `Notified` that received a `notify_one`/`notify_last` but is dropped
//!   before it observed it hands it on, with the same strategy, to the next
//!   waiter, or stores it as the permit. A notification is never lost.
//!
//! ## No lost wake-up
//!
//! A waiter checks the state and links itself in one critical section, and
//! notifiers that find `WAITING` take the same lock before choosing whom to
//! wake; wakers are called after the lock is released.
//!
//! `notify_waiters` wakes at most 32 waiters per critical section, so a long
//! list does not hold the lock for long. Between batches, newly registered
//! waiters carry the new generation and are recognised and left alone.

use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use crate::loom::sync::Mutex;
use std::fmt;
use std::future::Future;
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::ptr::NonNull;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

/// Nobody waits and no permit is stored.
const EMPTY: usize = 0;
/// At least one waiter is in the list.
const WAITING: usize = 1;
/// One permit is stored.
const NOTIFIED: usize = 2;
/// The bits holding one of the three states above.
const STATE_MASK: usize = 3;
/// One step of the `notify_waiters` generation counter.
const GEN_ONE: usize = 4;
/// How many wakers `notify_waiters` collects before dropping the lock.
const WAKE_BATCH: usize = 32;

fn state_of(word: usize) -> usize {
    word & STATE_MASK
}

fn gen_of(word: usize) -> usize {
    word & !STATE_MASK
}

fn with_state(word: usize, state: usize) -> usize {
    gen_of(word) | state
}

/// Notifies a single task to wake up, or all waiting tasks at once.
///
/// `Notify` holds no data; it is a wake-up signal. Without waiters,
/// [`notify_one`](Notify::notify_one) stores a single permit (several calls
/// still store only one) that the next [`notified().await`](Notify::notified)
/// consumes without waiting.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use weave::sync::Notify;
///
/// # futures::executor::block_on(async {
/// let notify = Arc::new(Notify::new());
/// let notify2 = notify.clone();
///
/// let waiter = std::thread::spawn(move || {
///     futures::executor::block_on(notify2.notified());
///     "woken"
/// });
///
/// notify.notify_one();
/// assert_eq!(waiter.join().unwrap(), "woken");
/// # });
/// ```
pub struct Notify {
    /// State (low bits) and `notify_waiters` generation (high bits).
    state: AtomicUsize,
    /// The waiters, oldest at the back.
    waiters: Mutex<WaitList>,
}

/// Which waiter a single notification goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Strategy {
    /// The oldest waiter (`notify_one`).
    Fifo,
    /// The newest waiter (`notify_last`).
    Lifo,
}

/// What a waiter received. Written by the notifier that unlinks the node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Notification {
    /// From `notify_one` / `notify_last`: handed on if never observed.
    One(Strategy),
    /// From `notify_waiters`.
    All,
}

/// A waiter node; lives inside a pinned [`Notified`] future.
struct Waiter {
    /// Guarded by the `Notify`'s list mutex (see the module invariants).
    inner: UnsafeCell<WaiterInner>,
    /// The list holds raw pointers to this node.
    _pin: PhantomPinned,
}

struct WaiterInner {
    prev: Option<NonNull<Waiter>>,
    next: Option<NonNull<Waiter>>,
    waker: Option<Waker>,
    notification: Option<Notification>,
    /// The generation the future was created in.
    generation: usize,
}

/// Runs `f` on the node's fields.
///
/// # Safety
///
/// `node` points to a live waiter, and the caller holds the list mutex of
/// the `Notify` the node belongs to (or owns the node exclusively).
unsafe fn with_node<R>(node: NonNull<Waiter>, f: impl FnOnce(&mut WaiterInner) -> R) -> R {
    // SAFETY: the node is live (caller's contract).
    let node = unsafe { node.as_ref() };
    node.inner.with_mut(|p| {
        // SAFETY: the list mutex serialises every access to the node's
        // fields, so this is the only reference to them while `f` runs.
        f(unsafe { &mut *p })
    })
}

/// The intrusive list; front = newest, back = oldest.
struct WaitList {
    head: Option<NonNull<Waiter>>,
    tail: Option<NonNull<Waiter>>,
}

// SAFETY: the list only holds pointers to nodes whose fields are guarded by
// the mutex around the list; moving the list head between threads (inside
// that mutex) is what the mutex is for. Wakers are `Send`.
unsafe impl Send for WaitList {}

impl WaitList {
    const fn new() -> WaitList {
        WaitList {
            head: None,
            tail: None,
        }
    }

    fn is_empty(&self) -> bool {
        self.head.is_none()
    }

    /// # Safety
    ///
    /// `node` is live, not in any list, and stays put until unlinked; the
    /// caller holds the list mutex.
    unsafe fn push_front(&mut self, node: NonNull<Waiter>) {
        let old_head = self.head;
        // SAFETY: caller holds the lock; `node` is live.
        unsafe {
            with_node(node, |n| {
                n.prev = None;
                n.next = old_head;
            })
        };
        match old_head {
            // SAFETY: nodes in the list are live (module invariant).
            Some(h) => unsafe { with_node(h, |h| h.prev = Some(node)) },
            None => self.tail = Some(node),
        }
        self.head = Some(node);
    }

    /// Unlinks `node`.
    ///
    /// # Safety
    ///
    /// `node` is in this list; the caller holds the list mutex.
    unsafe fn remove(&mut self, node: NonNull<Waiter>) {
        // SAFETY: caller holds the lock; linked nodes are live.
        let (prev, next) = unsafe { with_node(node, |n| (n.prev.take(), n.next.take())) };
        match prev {
            // SAFETY: as above.
            Some(p) => unsafe { with_node(p, |p| p.next = next) },
            None => self.head = next,
        }
        match next {
            // SAFETY: as above.
            Some(n) => unsafe { with_node(n, |n| n.prev = prev) },
            None => self.tail = prev,
        }
    }

    /// Unlinks and returns the oldest (`Fifo`) or newest (`Lifo`) node.
    ///
    /// # Safety
    ///
    /// The caller holds the list mutex.
    unsafe fn pop(&mut self, strategy: Strategy) -> Option<NonNull<Waiter>> {
        let node = match strategy {
            Strategy::Fifo => self.tail?,
            Strategy::Lifo => self.head?,
        };
        // SAFETY: `node` is in the list; caller holds the lock.
        unsafe { self.remove(node) };
        Some(node)
    }
}

/// A fixed batch of wakers to call once the lock is released.
struct WakeBatch {
    wakers: [Option<Waker>; WAKE_BATCH],
    len: usize,
}

impl WakeBatch {
    fn new() -> WakeBatch {
        WakeBatch {
            wakers: std::array::from_fn(|_| None),
            len: 0,
        }
    }

    fn is_full(&self) -> bool {
        self.len == WAKE_BATCH
    }

    fn push(&mut self, waker: Option<Waker>) {
        self.wakers[self.len] = waker;
        self.len += 1;
    }

    fn wake_all(&mut self) {
        for w in &mut self.wakers[..self.len] {
            if let Some(w) = w.take() {
                w.wake();
            }
        }
        self.len = 0;
    }
}

impl Notify {
    /// Creates a new `Notify` with no waiters and no stored permit.
    ///
    /// # Examples
    ///
    /// ```
    /// use weave::sync::Notify;
    ///
    /// let notify = Notify::new();
    /// # drop(notify);
    /// ```
    pub fn new() -> Notify {
        Notify {
            state: AtomicUsize::new(EMPTY),
            waiters: Mutex::new(WaitList::new()),
        }
    }

    /// Creates a new `Notify` in a `const` context, for example a `static`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weave::sync::Notify;
    ///
    /// static NOTIFY: Notify = Notify::const_new();
    /// NOTIFY.notify_one();
    /// ```
    #[cfg(not(loom))]
    pub const fn const_new() -> Notify {
        Notify {
            state: AtomicUsize::new(EMPTY),
            waiters: Mutex::new(WaitList::new()),
        }
    }

    /// Returns a future that completes when this `Notify` is notified.
    ///
    /// The future registers itself as a waiter when first polled (or
    /// [`enable`](Notified::enable)d). It also completes if
    /// [`notify_waiters`](Notify::notify_waiters) is called any time after
    /// `notified()` returned, even before the first poll.
    ///
    /// Cancel safe: a notification given to a `Notified` that is dropped
    /// before it completes passes to another waiter (or is stored).
    ///
    /// # Examples
    ///
    /// ```
    /// use weave::sync::Notify;
    ///
    /// # futures::executor::block_on(async {
    /// let notify = Notify::new();
    /// notify.notify_one(); // stored: nobody waits yet
    /// notify.notified().await; // consumes the permit at once
    /// # });
    /// ```
    pub fn notified(&self) -> Notified<'_> {
        Notified {
            notify: self,
            core: Core::new(self),
        }
    }

    /// Like [`notified`](Notify::notified), but the future owns a handle to
    /// the `Notify` and so is `'static`: it can be stored or moved into a
    /// spawned task.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use weave::sync::Notify;
    ///
    /// # futures::executor::block_on(async {
    /// let notify = Arc::new(Notify::new());
    /// let wait = notify.clone().notified_owned();
    /// notify.notify_waiters();
    /// wait.await; // created before `notify_waiters`, so it completes
    /// # });
    /// ```
    pub fn notified_owned(self: Arc<Self>) -> OwnedNotified {
        let core = Core::new(&self);
        OwnedNotified { notify: self, core }
    }

    /// Wakes the task that has waited longest, or stores a permit if none
    /// waits.
    ///
    /// At most one permit is stored: several calls without waiters are
    /// consumed by a single `notified().await`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weave::sync::Notify;
    ///
    /// # futures::executor::block_on(async {
    /// let notify = Notify::new();
    /// notify.notify_one();
    /// notify.notify_one();
    /// notify.notified().await; // one permit, not two
    /// # });
    /// ```
    pub fn notify_one(&self) {
        self.notify(Strategy::Fifo);
    }

    /// Wakes the task that registered most recently, or stores a permit if
    /// none waits.
    ///
    /// # Examples
    ///
    /// ```
    /// use weave::sync::Notify;
    ///
    /// # futures::executor::block_on(async {
    /// let notify = Notify::new();
    /// notify.notify_last();
    /// notify.notified().await;
    /// # });
    /// ```
    pub fn notify_last(&self) {
        self.notify(Strategy::Lifo);
    }

    /// Wakes every task waiting right now: every [`Notified`] created before
    /// this call. Stores no permit, and leaves a stored permit alone.
    ///
    /// # Examples
    ///
    /// ```
    /// use weave::sync::Notify;
    ///
    /// # futures::executor::block_on(async {
    /// let notify = Notify::new();
    /// let a = notify.notified();
    /// let b = notify.notified();
    /// notify.notify_waiters();
    /// a.await;
    /// b.await;
    /// # });
    /// ```
    pub fn notify_waiters(&self) {
        let mut list = self.waiters.lock();
        // Bumping the generation under the lock completes every `Notified`
        // created before now that has not registered yet.
        let prev = self.state.fetch_add(GEN_ONE, SeqCst);
        if state_of(prev) != WAITING {
            return;
        }
        let generation = gen_of(prev.wrapping_add(GEN_ONE));
        let mut batch = WakeBatch::new();
        loop {
            let mut reached_new = false;
            while !batch.is_full() {
                let Some(back) = list.tail else { break };
                // SAFETY: we hold the lock; `back` is in the list, so live.
                let older = unsafe {
                    with_node(back, |n| {
                        (generation.wrapping_sub(n.generation) as isize) > 0
                    })
                };
                if !older {
                    // Registered after our bump; so is everything in front.
                    reached_new = true;
                    break;
                }
                // SAFETY: we hold the lock.
                unsafe { list.remove(back) };
                // SAFETY: unlinked by us under the lock; the future cannot
                // free it before we release the lock.
                let waker = unsafe {
                    with_node(back, |n| {
                        n.notification = Some(Notification::All);
                        n.waker.take()
                    })
                };
                batch.push(waker);
            }
            if list.is_empty() {
                let cur = self.state.load(SeqCst);
                self.state.store(with_state(cur, EMPTY), SeqCst);
            }
            let done = list.is_empty() || reached_new;
            drop(list);
            batch.wake_all();
            if done {
                return;
            }
            list = self.waiters.lock();
        }
    }

    fn notify(&self, strategy: Strategy) {
        // Fast path: nobody waits, so store the permit with one CAS.
        let mut cur = self.state.load(SeqCst);
        while state_of(cur) != WAITING {
            match self
                .state
                .compare_exchange(cur, with_state(cur, NOTIFIED), SeqCst, SeqCst)
            {
                Ok(_) => return,
                Err(actual) => cur = actual,
            }
        }
        let mut list = self.waiters.lock();
        let waker = self.notify_locked(&mut list, strategy);
        drop(list);
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Gives one notification to a waiter chosen by `strategy`, or stores the
    /// permit. Returns the waker to call once the lock is released.
    fn notify_locked(&self, list: &mut WaitList, strategy: Strategy) -> Option<Waker> {
        let mut cur = self.state.load(SeqCst);
        loop {
            if state_of(cur) != WAITING {
                match self
                    .state
                    .compare_exchange(cur, with_state(cur, NOTIFIED), SeqCst, SeqCst)
                {
                    Ok(_) => return None,
                    Err(actual) => {
                        cur = actual;
                        continue;
                    }
                }
            }
            // SAFETY: we hold the lock.
            let node = unsafe { list.pop(strategy) }.expect("WAITING with an empty list");
            // SAFETY: unlinked by us under the lock; still live while we
            // hold it.
            let waker = unsafe {
                with_node(node, |n| {
                    n.notification = Some(Notification::One(strategy));
                    n.waker.take()
                })
            };
            if list.is_empty() {
                // No lock-free transition leaves `WAITING`: a store is safe.
                self.state.store(with_state(cur, EMPTY), SeqCst);
            }
            return waker;
        }
    }
}

impl Default for Notify {
    fn default() -> Notify {
        Notify::new()
    }
}

impl fmt::Debug for Notify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match state_of(self.state.load(SeqCst)) {
            EMPTY => "empty",
            WAITING => "waiting",
            _ => "notified",
        };
        f.debug_struct("Notify").field("state", &state).finish()
    }
}

/// Where a `Notified` future is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PollState {
    /// Not polled or enabled yet; not in the list.
    Init,
    /// In the list, or unlinked by a notifier that set its notification.
    Waiting,
    /// Completed; not in the list.
    Done,
}

/// The part shared by [`Notified`] and [`OwnedNotified`]: the waiter node
/// and the poll state machine. Must stay pinned once `Waiting`.
struct Core {
    waiter: Waiter,
    state: PollState,
    /// The generation at creation.
    generation: usize,
}

impl Core {
    fn new(notify: &Notify) -> Core {
        Core {
            waiter: Waiter {
                inner: UnsafeCell::new(WaiterInner {
                    prev: None,
                    next: None,
                    waker: None,
                    notification: None,
                    generation: 0,
                }),
                _pin: PhantomPinned,
            },
            state: PollState::Init,
            generation: gen_of(notify.state.load(SeqCst)),
        }
    }

    /// Polls (with `waker`) or enables (without). Returns `Ready` once
    /// notified.
    fn poll(self: Pin<&mut Self>, notify: &Notify, waker: Option<&Waker>) -> Poll<()> {
        // SAFETY: `waiter` is never moved out of the pinned `Core`; we only
        // write the plain `state` field.
        let this = unsafe { self.get_unchecked_mut() };
        let node = NonNull::from(&this.waiter);
        match this.state {
            PollState::Done => Poll::Ready(()),
            PollState::Init => {
                let mut cur = notify.state.load(SeqCst);
                // Lock-free fast path: consume a stored permit.
                loop {
                    if gen_of(cur) != this.generation {
                        this.state = PollState::Done;
                        return Poll::Ready(());
                    }
                    if state_of(cur) != NOTIFIED {
                        break;
                    }
                    match notify
                        .state
                        .compare_exchange(cur, with_state(cur, EMPTY), SeqCst, SeqCst)
                    {
                        Ok(_) => {
                            this.state = PollState::Done;
                            return Poll::Ready(());
                        }
                        Err(actual) => cur = actual,
                    }
                }

                let mut list = notify.waiters.lock();
                let mut cur = notify.state.load(SeqCst);
                loop {
                    if gen_of(cur) != this.generation {
                        this.state = PollState::Done;
                        return Poll::Ready(());
                    }
                    let (next, done) = match state_of(cur) {
                        NOTIFIED => (with_state(cur, EMPTY), true),
                        EMPTY => (with_state(cur, WAITING), false),
                        _ => break,
                    };
                    match notify.state.compare_exchange(cur, next, SeqCst, SeqCst) {
                        Ok(_) if done => {
                            this.state = PollState::Done;
                            return Poll::Ready(());
                        }
                        Ok(_) => break,
                        Err(actual) => cur = actual,
                    }
                }
                let generation = this.generation;
                // SAFETY: we hold the lock; the node is not in any list yet
                // (state `Init`) and is pinned, and `Drop` unlinks it.
                unsafe {
                    with_node(node, |n| {
                        n.waker = waker.cloned();
                        n.notification = None;
                        n.generation = generation;
                    });
                    list.push_front(node);
                }
                this.state = PollState::Waiting;
                Poll::Pending
            }
            PollState::Waiting => {
                let _list = notify.waiters.lock();
                // SAFETY: we hold the lock; the node is ours and live.
                let ready = unsafe {
                    with_node(node, |n| {
                        if n.notification.is_some() {
                            return true;
                        }
                        if let Some(w) = waker {
                            match &mut n.waker {
                                Some(old) if old.will_wake(w) => {}
                                slot => *slot = Some(w.clone()),
                            }
                        }
                        false
                    })
                };
                if ready {
                    this.state = PollState::Done;
                    Poll::Ready(())
                } else {
                    Poll::Pending
                }
            }
        }
    }

    /// Leaves the list (or hands on an unobserved single notification).
    fn release(&mut self, notify: &Notify) {
        if self.state != PollState::Waiting {
            return;
        }
        self.state = PollState::Done;
        let node = NonNull::from(&self.waiter);
        let mut list = notify.waiters.lock();
        // SAFETY: we hold the lock; the node is ours and live.
        let notification = unsafe { with_node(node, |n| n.notification) };
        let waker = match notification {
            None => {
                // Still linked (module invariant).
                // SAFETY: we hold the lock and the node is in the list.
                unsafe { list.remove(node) };
                if list.is_empty() {
                    let cur = notify.state.load(SeqCst);
                    debug_assert_eq!(state_of(cur), WAITING);
                    notify.state.store(with_state(cur, EMPTY), SeqCst);
                }
                None
            }
            Some(Notification::One(strategy)) => notify.notify_locked(&mut list, strategy),
            Some(Notification::All) => None,
        };
        drop(list);
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// Future returned by [`Notify::notified`].
///
/// Completes once the `Notify` is notified. Dropping it before completion
/// gives an already delivered single notification to another waiter.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Notified<'a> {
    notify: &'a Notify,
    core: Core,
}

// SAFETY: the waiter node's fields are only touched under the `Notify`'s
// mutex, from whichever thread holds it; `Notify` itself is `Sync`.
unsafe impl Send for Notified<'_> {}
// SAFETY: `&Notified` gives no access to anything (no `&self` methods).
unsafe impl Sync for Notified<'_> {}

impl Notified<'_> {
    /// Registers this future as a waiter without polling it, so that a
    /// `notify_one` that follows is not lost while the caller checks its
    /// condition.
    ///
    /// Returns `true` if the future is already notified: `notify_waiters` ran
    /// since its creation, a stored permit was consumed (on the first
    /// `enable`/poll), or it has been picked by a notifier since. A poll then
    /// returns `Ready` at once.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::pin::pin;
    /// use weave::sync::Notify;
    ///
    /// # futures::executor::block_on(async {
    /// let notify = Notify::new();
    /// let mut wait = pin!(notify.notified());
    /// assert!(!wait.as_mut().enable()); // registered, not notified
    /// notify.notify_one(); // goes to our registered future, not a permit
    /// assert!(wait.as_mut().enable());
    /// wait.await;
    /// # });
    /// ```
    pub fn enable(self: Pin<&mut Self>) -> bool {
        // SAFETY: `core` is structurally pinned; `notify` is a plain ref.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: as above.
        let core = unsafe { Pin::new_unchecked(&mut this.core) };
        core.poll(this.notify, None).is_ready()
    }
}

impl Future for Notified<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // SAFETY: `core` is structurally pinned; `notify` is a plain ref.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: as above.
        let core = unsafe { Pin::new_unchecked(&mut this.core) };
        core.poll(this.notify, Some(cx.waker()))
    }
}

impl Drop for Notified<'_> {
    fn drop(&mut self) {
        self.core.release(self.notify);
    }
}

impl fmt::Debug for Notified<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notified")
            .field("state", &self.core.state)
            .finish()
    }
}

/// Future returned by [`Notify::notified_owned`]; like [`Notified`] but
/// `'static`.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct OwnedNotified {
    notify: Arc<Notify>,
    core: Core,
}

// SAFETY: as for `Notified`.
unsafe impl Send for OwnedNotified {}
// SAFETY: as for `Notified`.
unsafe impl Sync for OwnedNotified {}

impl OwnedNotified {
    /// Registers this future as a waiter without polling it; see
    /// [`Notified::enable`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::pin::pin;
    /// use std::sync::Arc;
    /// use weave::sync::Notify;
    ///
    /// let notify = Arc::new(Notify::new());
    /// let mut wait = pin!(notify.clone().notified_owned());
    /// assert!(!wait.as_mut().enable());
    /// notify.notify_one();
    /// assert!(wait.as_mut().enable());
    /// ```
    pub fn enable(self: Pin<&mut Self>) -> bool {
        // SAFETY: `core` is structurally pinned; `notify` is never moved
        // out while pinned.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: as above.
        let core = unsafe { Pin::new_unchecked(&mut this.core) };
        core.poll(&this.notify, None).is_ready()
    }
}

impl Future for OwnedNotified {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // SAFETY: as in `enable`.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: as above.
        let core = unsafe { Pin::new_unchecked(&mut this.core) };
        core.poll(&this.notify, Some(cx.waker()))
    }
}

impl Drop for OwnedNotified {
    fn drop(&mut self) {
        self.core.release(&self.notify);
    }
}

impl fmt::Debug for OwnedNotified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedNotified")
            .field("state", &self.core.state)
            .finish()
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use loom::future::block_on;
    use loom::thread;
    use std::pin::pin;

    /// A notified waiter that is dropped before observing its notification
    /// hands it to the other waiter (or back as the permit).
    #[test]
    fn loom_notify_one_vs_dropped_notified() {
        loom::model(|| {
            let notify = crate::loom::sync::Arc::new(Notify::new());
            let n2 = notify.clone();
            let t = thread::spawn(move || {
                let mut first = Box::pin(n2.notified());
                first.as_mut().enable();
                // Dropped whether or not it was picked.
                drop(first);
            });
            let mut second = pin!(notify.notified());
            second.as_mut().enable();
            notify.notify_one();
            t.join().unwrap();
            // The single notification reached `second`, directly or handed
            // on by the dropped `first`.
            block_on(second);
        });
    }

    /// `notify_waiters` wakes every future created before it; a permit from
    /// a racing `notify_one` is not lost either.
    #[test]
    fn loom_notify_waiters_vs_new_notified() {
        loom::model(|| {
            let notify = crate::loom::sync::Arc::new(Notify::new());
            let n2 = notify.clone();
            let mut before = Box::pin(notify.notified());
            before.as_mut().enable();
            let t = thread::spawn(move || {
                n2.notify_waiters();
            });
            // Created concurrently with `notify_waiters`: completes by the
            // `notify_one` below whichever way the race goes.
            let racing = notify.notified();
            notify.notify_one();
            block_on(racing);
            t.join().unwrap();
            block_on(before);
        });
    }

    /// A waiter leaving the list while `notify_waiters` walks it: the
    /// remaining waiter is woken, and nothing touches freed memory.
    #[test]
    fn loom_notify_waiters_vs_dropped_waiter() {
        loom::model(|| {
            let notify = crate::loom::sync::Arc::new(Notify::new());
            let n2 = notify.clone();
            let mut stays = Box::pin(notify.notified());
            stays.as_mut().enable();
            let mut leaves = Box::pin(notify.notified());
            leaves.as_mut().enable();
            let t = thread::spawn(move || n2.notify_waiters());
            drop(leaves);
            block_on(stays);
            t.join().unwrap();
        });
    }

    /// Waiting on one thread while another notifies: no lost wake-up.
    #[test]
    fn loom_notify_one_wakes_waiter() {
        loom::model(|| {
            let notify = crate::loom::sync::Arc::new(Notify::new());
            let n2 = notify.clone();
            let t = thread::spawn(move || n2.notify_one());
            block_on(notify.notified());
            t.join().unwrap();
        });
    }
}
