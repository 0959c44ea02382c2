//! The fair (FIFO) batch semaphore under `Semaphore`, `Mutex`, `RwLock`,
//! `OnceCell` and the bounded mpsc channel.
//!
//! A caller asks for `n` permits at once. If they are available it takes them
//! with a single compare-and-swap on [`Semaphore::permits`]; otherwise it
//! joins a FIFO queue and is handed permits, as they are released, strictly
//! in queue order: a waiter at the head that needs many permits holds back
//! later ones that need few, so large requests (an `RwLock` writer) are never
//! starved by a stream of small ones (readers).
//!
//! # Representation
//!
//! - `permits`: an atomic word, `available << 2 | WAITERS | CLOSED`. Taking
//!   permits is a CAS loop on it (no lock). Releasing is a CAS loop too
//!   while `WAITERS` is clear; with `WAITERS` set, a release takes the lock
//!   and serves the queue first.
//! - `waiters`: a mutex over an intrusive doubly linked list of [`Node`]s.
//!   Each node lives inside the [`Acquire`] future that waits (the future is
//!   `!Unpin`, so the node cannot move once it is linked).
//!
//! # Invariants
//!
//! 1. **FIFO.** Whenever the list is non-empty, `WAITERS` is set and the
//!    atomic holds zero available permits (outside the lock holder's
//!    critical section). An acquirer that must queue sets `WAITERS` in the
//!    same CAS that takes the last available permits, under the lock, before
//!    linking its node; so a lock-free release either lands before that CAS
//!    (and its permits are taken by it) or sees `WAITERS` and takes the
//!    lock. Released permits then go to the list head first (possibly
//!    partially: its `needed` count goes down) and reach the atomic only
//!    once the list is empty, when `WAITERS` is cleared in the same CAS. An
//!    acquirer that finds the list non-empty queues behind it without
//!    taking anything. Hence the lock-free fast paths cannot overtake a
//!    waiter. (`WAITERS` set with an empty list is harmless: releases just
//!    take the slow path, which clears it.)
//! 2. **Who touches a node.** Every field of a node (`needed`, `queued`,
//!    `waker`, the links) is read and written only with the list lock held,
//!    by the owning `Acquire` (poll / drop) or by `release` / `close`.
//! 3. **When a node is unlinked.** `release` unlinks the head once its
//!    `needed` reaches zero; `close` unlinks every node; the owning `Acquire`
//!    unlinks its own node when dropped while still linked. Whoever unlinks
//!    sets `queued = false`. A node is therefore linked iff `queued`, and a
//!    linked node's future is alive (its `Drop` unlinks it before the memory
//!    goes away), which is what makes the raw pointers in the list valid.
//! 4. **Partially assigned permits.** A waiter that asked for `num` and
//!    still needs `needed` owns `num - needed` permits. They flow back
//!    through `release` (to the next waiters first, then to the atomic) if
//!    its future is dropped before it completes, or if it resolves to an
//!    error because the semaphore was closed. An unlinked node with
//!    `needed > 0` can only mean the semaphore was closed.
//! 5. **Wake-ups.** Wakers are taken out of nodes under the lock and woken
//!    after it is released (in batches of [`WAKE_BATCH`]), so a woken task
//!    never contends on the lock held by its waker. A waker taken out of a
//!    node belongs to the taker, so the node may be freed concurrently.

use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::{
    AtomicUsize,
    Ordering::{AcqRel, Acquire as AcquireOrd},
};
use crate::loom::sync::{Mutex, MutexGuard};
use std::fmt;
use std::future::Future;
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{ready, Context, Poll, Waker};

/// Bit of `permits`: the semaphore is closed.
const CLOSED: usize = 1;
/// Bit of `permits`: the waiter list may be non-empty, so releases must go
/// through the lock. Set and cleared only with the lock held.
const WAITERS: usize = 2;
/// Where the permit count starts in the `permits` word.
const SHIFT: u32 = 2;
/// Wakers collected under the lock before it is dropped to wake them.
const WAKE_BATCH: usize = 32;

/// Error returned when acquiring from a closed semaphore.
///
/// # Examples
///
/// ```
/// use weave::sync::Semaphore;
///
/// # futures::executor::block_on(async {
/// let sem = Semaphore::new(1);
/// sem.close();
/// let err = sem.acquire().await.unwrap_err();
/// assert_eq!(err.to_string(), "semaphore closed");
/// # });
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcquireError(());

/// Error returned by the `try_acquire*` methods.
///
/// # Examples
///
/// ```
/// use weave::sync::{Semaphore, TryAcquireError};
///
/// let sem = Semaphore::new(0);
/// assert_eq!(sem.try_acquire().unwrap_err(), TryAcquireError::NoPermits);
/// sem.close();
/// assert_eq!(sem.try_acquire().unwrap_err(), TryAcquireError::Closed);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryAcquireError {
    /// The semaphore has been closed.
    Closed,
    /// Not enough permits are available right now.
    NoPermits,
}

impl TryAcquireError {
    /// True if the semaphore was closed.
    pub fn is_closed(&self) -> bool {
        matches!(self, TryAcquireError::Closed)
    }

    /// True if there were not enough permits.
    pub fn is_no_permits(&self) -> bool {
        matches!(self, TryAcquireError::NoPermits)
    }
}

impl fmt::Display for AcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("semaphore closed")
    }
}

impl std::error::Error for AcquireError {}

impl fmt::Display for TryAcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryAcquireError::Closed => f.write_str("semaphore closed"),
            TryAcquireError::NoPermits => f.write_str("no permits available"),
        }
    }
}

impl std::error::Error for TryAcquireError {}

/// The internal fair batch semaphore. See the module docs.
pub(crate) struct Semaphore {
    /// `available << SHIFT | WAITERS | CLOSED`.
    permits: AtomicUsize,
    waiters: Mutex<Waitlist>,
}

/// The FIFO list of waiting nodes. Only accessed with the lock held.
struct Waitlist {
    head: Option<NonNull<Node>>,
    tail: Option<NonNull<Node>>,
}

// SAFETY: the list only holds pointers to nodes whose fields are accessed
// under the lock that protects the list (invariant 2); the nodes belong to
// `Acquire` futures, which are `Send`.
unsafe impl Send for Waitlist {}

/// A waiter, pinned inside its [`Acquire`] future.
struct Node {
    state: UnsafeCell<NodeState>,
    /// Linked nodes must not move.
    _pin: PhantomPinned,
}

/// All of it is guarded by the semaphore's list lock (invariant 2).
struct NodeState {
    /// Permits this waiter still misses.
    needed: usize,
    /// Linked into the list.
    queued: bool,
    waker: Option<Waker>,
    prev: Option<NonNull<Node>>,
    next: Option<NonNull<Node>>,
}

impl Node {
    fn new() -> Node {
        Node {
            state: UnsafeCell::new(NodeState {
                needed: 0,
                queued: false,
                waker: None,
                prev: None,
                next: None,
            }),
            _pin: PhantomPinned,
        }
    }
}

/// Runs `f` on the state of `node`.
///
/// # Safety
///
/// The caller holds the list lock of the semaphore the node belongs to (or
/// owns the node exclusively), and `node` points to a live node.
unsafe fn with_node<R>(node: NonNull<Node>, f: impl FnOnce(&mut NodeState) -> R) -> R {
    // SAFETY: the node is live (caller), and the lock serialises every
    // access to its state (invariant 2), so this is the only reference.
    unsafe { node.as_ref().state.with_mut(|s| f(&mut *s)) }
}

impl Waitlist {
    const fn new() -> Waitlist {
        Waitlist {
            head: None,
            tail: None,
        }
    }

    /// # Safety
    ///
    /// Lock held; `node` is live, unlinked and stays live until unlinked.
    unsafe fn push_back(&mut self, node: NonNull<Node>) {
        let tail = self.tail;
        // SAFETY: caller's contract.
        unsafe {
            with_node(node, |s| {
                s.prev = tail;
                s.next = None;
                s.queued = true;
            });
        }
        match tail {
            // SAFETY: a linked node is live (invariant 3).
            Some(t) => unsafe { with_node(t, |s| s.next = Some(node)) },
            None => self.head = Some(node),
        }
        self.tail = Some(node);
    }

    /// # Safety
    ///
    /// Lock held; `node` is linked into this list.
    unsafe fn unlink(&mut self, node: NonNull<Node>) {
        // SAFETY: caller's contract.
        let (prev, next) = unsafe {
            with_node(node, |s| {
                s.queued = false;
                (s.prev.take(), s.next.take())
            })
        };
        match prev {
            // SAFETY: neighbours of a linked node are linked, hence live.
            Some(p) => unsafe { with_node(p, |s| s.next = next) },
            None => self.head = next,
        }
        match next {
            // SAFETY: as above.
            Some(n) => unsafe { with_node(n, |s| s.prev = prev) },
            None => self.tail = prev,
        }
    }
}

/// Wakers collected under the lock, woken after it is released.
struct WakeList {
    wakers: [Option<Waker>; WAKE_BATCH],
    len: usize,
}

impl WakeList {
    fn new() -> WakeList {
        WakeList {
            wakers: [const { None }; WAKE_BATCH],
            len: 0,
        }
    }

    fn push(&mut self, waker: Option<Waker>) {
        if let Some(w) = waker {
            self.wakers[self.len] = Some(w);
            self.len += 1;
        }
    }

    fn is_full(&self) -> bool {
        self.len == WAKE_BATCH
    }

    fn wake_all(&mut self) {
        for slot in &mut self.wakers[..self.len] {
            if let Some(w) = slot.take() {
                w.wake();
            }
        }
        self.len = 0;
    }
}

impl Semaphore {
    /// The most permits a semaphore can hold (a few bits of the word are
    /// reserved, as in Tokio).
    pub(crate) const MAX_PERMITS: usize = usize::MAX >> 3;

    /// Creates a semaphore with `permits` permits.
    ///
    /// Panics if `permits > MAX_PERMITS`.
    #[track_caller]
    pub(crate) fn new(permits: usize) -> Semaphore {
        assert!(
            permits <= Self::MAX_PERMITS,
            "a semaphore may not have more than MAX_PERMITS ({}) permits",
            Self::MAX_PERMITS
        );
        Semaphore {
            permits: AtomicUsize::new(permits << SHIFT),
            waiters: Mutex::new(Waitlist::new()),
        }
    }

    /// `new` usable in `const` / `static` contexts (not under loom, whose
    /// primitives cannot be built in const context).
    #[cfg(not(loom))]
    #[track_caller]
    pub(crate) const fn const_new(permits: usize) -> Semaphore {
        assert!(
            permits <= Self::MAX_PERMITS,
            "a semaphore may not have more than MAX_PERMITS permits"
        );
        Semaphore {
            permits: AtomicUsize::new(permits << SHIFT),
            waiters: Mutex::new(Waitlist::new()),
        }
    }

    /// Permits that can be taken right now.
    pub(crate) fn available_permits(&self) -> usize {
        self.permits.load(AcquireOrd) >> SHIFT
    }

    /// True once [`close`](Self::close) has been called.
    pub(crate) fn is_closed(&self) -> bool {
        self.permits.load(AcquireOrd) & CLOSED != 0
    }

    /// Takes `n` permits if that many are available, without waiting.
    pub(crate) fn try_acquire(&self, n: u32) -> Result<(), TryAcquireError> {
        let n = checked_count(n);
        let mut cur = self.permits.load(AcquireOrd);
        loop {
            if cur & CLOSED != 0 {
                return Err(TryAcquireError::Closed);
            }
            if cur >> SHIFT < n {
                return Err(TryAcquireError::NoPermits);
            }
            let next = cur - (n << SHIFT);
            match self
                .permits
                .compare_exchange_weak(cur, next, AcqRel, AcquireOrd)
            {
                Ok(_) => return Ok(()),
                Err(actual) => cur = actual,
            }
        }
    }

    /// Waits for `n` permits, in FIFO order with other waiters.
    pub(crate) fn acquire(&self, n: u32) -> Acquire<'_> {
        Acquire {
            sem: self,
            node: Node::new(),
            num: checked_count(n),
            phase: Phase::Idle,
        }
    }

    /// Removes up to `n` available permits; returns how many were removed.
    pub(crate) fn forget_permits(&self, n: usize) -> usize {
        let mut cur = self.permits.load(AcquireOrd);
        loop {
            let take = (cur >> SHIFT).min(n);
            if take == 0 {
                return 0;
            }
            match self
                .permits
                .compare_exchange_weak(cur, cur - (take << SHIFT), AcqRel, AcquireOrd)
            {
                Ok(_) => return take,
                Err(actual) => cur = actual,
            }
        }
    }

    /// Adds `n` permits, handing them to waiters first (in FIFO order).
    ///
    /// Panics if the available count would exceed `MAX_PERMITS`.
    #[track_caller]
    pub(crate) fn release(&self, n: usize) {
        if n == 0 {
            return;
        }
        let mut cur = self.permits.load(AcquireOrd);
        // Fast path: nobody waits, add with one CAS (invariant 1).
        while cur & WAITERS == 0 {
            let next = Self::add_checked(cur, n);
            match self
                .permits
                .compare_exchange_weak(cur, next, AcqRel, AcquireOrd)
            {
                Ok(_) => return,
                Err(actual) => cur = actual,
            }
        }
        let list = self.waiters.lock();
        self.release_locked(n, list);
    }

    /// `cur` with `n` more permits; panics past `MAX_PERMITS`.
    #[track_caller]
    fn add_checked(cur: usize, n: usize) -> usize {
        if n > Self::MAX_PERMITS - (cur >> SHIFT) {
            panic!(
                "a semaphore may not have more than MAX_PERMITS ({}) permits",
                Self::MAX_PERMITS
            );
        }
        cur + (n << SHIFT)
    }

    /// `release` with the lock already taken; consumes (drops) the guard.
    #[track_caller]
    fn release_locked<'a>(&'a self, mut n: usize, mut list: MutexGuard<'a, Waitlist>) {
        let mut wakers = WakeList::new();
        loop {
            while n > 0 && !wakers.is_full() {
                let Some(head) = list.head else { break };
                // SAFETY: lock held; a linked node is live (invariant 3).
                let (done, waker) = unsafe {
                    with_node(head, |s| {
                        let give = s.needed.min(n);
                        s.needed -= give;
                        n -= give;
                        (
                            s.needed == 0,
                            if s.needed == 0 { s.waker.take() } else { None },
                        )
                    })
                };
                if !done {
                    // The head absorbed every remaining permit.
                    break;
                }
                // SAFETY: lock held; `head` is linked.
                unsafe { list.unlink(head) };
                wakers.push(waker);
            }
            if n > 0 && list.head.is_some() {
                // The batch is full: wake it outside the lock and go on.
                // The permits still held in `n` are invisible to others, so
                // invariant 1 holds while the lock is released.
                drop(list);
                wakers.wake_all();
                list = self.waiters.lock();
                continue;
            }
            break;
        }
        let mut overflow = false;
        if list.head.is_none() {
            // The list is empty: the rest goes to the atomic and `WAITERS`
            // is cleared, in one CAS (lock-free releases may race with it).
            let mut cur = self.permits.load(AcquireOrd);
            loop {
                if n > Self::MAX_PERMITS - (cur >> SHIFT) {
                    overflow = true;
                    break;
                }
                let next = (cur + (n << SHIFT)) & !WAITERS;
                if next == cur {
                    break;
                }
                match self
                    .permits
                    .compare_exchange_weak(cur, next, AcqRel, AcquireOrd)
                {
                    Ok(_) => break,
                    Err(actual) => cur = actual,
                }
            }
        }
        drop(list);
        // Wake before panicking: the woken waiters own their permits.
        wakers.wake_all();
        if overflow {
            panic!(
                "a semaphore may not have more than MAX_PERMITS ({}) permits",
                Self::MAX_PERMITS
            );
        }
    }

    /// Closes the semaphore: every waiter resolves to `AcquireError`, and
    /// later acquires fail. Permits already held stay valid.
    pub(crate) fn close(&self) {
        let mut list = self.waiters.lock();
        // `WAITERS` stays set until the list is drained, so releases keep
        // going through the lock meanwhile.
        self.permits.fetch_or(CLOSED, AcqRel);
        let mut wakers = WakeList::new();
        while let Some(head) = list.head {
            // SAFETY: lock held; `head` is linked and therefore live.
            let waker = unsafe { with_node(head, |s| s.waker.take()) };
            // SAFETY: lock held; `head` is linked.
            unsafe { list.unlink(head) };
            wakers.push(waker);
            if wakers.is_full() {
                drop(list);
                wakers.wake_all();
                list = self.waiters.lock();
            }
        }
        // The list is empty for good (nobody can queue on a closed
        // semaphore): releases may take the fast path again.
        self.permits.fetch_and(!WAITERS, AcqRel);
        drop(list);
        wakers.wake_all();
    }
}

/// Converts a requested count, refusing one the semaphore can never hold
/// (only possible where `usize` is 32 bits).
#[track_caller]
fn checked_count(n: u32) -> usize {
    let n = n as usize;
    assert!(
        n <= Semaphore::MAX_PERMITS,
        "a semaphore may not have more than MAX_PERMITS ({}) permits",
        Semaphore::MAX_PERMITS
    );
    n
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Semaphore")
            .field("permits", &self.available_permits())
            .field("closed", &self.is_closed())
            .finish()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Not polled yet: the node is not linked.
    Idle,
    /// Polled and queued; the node may be linked (see `NodeState::queued`).
    Waiting,
    /// Resolved; the node is not linked and never will be again.
    Done,
}

/// Future returned by [`Semaphore::acquire`]: resolves once `num` permits
/// belong to the caller. Dropping it early gives back any permits it had
/// been assigned (invariant 4).
pub(crate) struct Acquire<'a> {
    sem: &'a Semaphore,
    node: Node,
    num: usize,
    phase: Phase,
}

// SAFETY: the node's raw links are only used under the semaphore's lock
// (invariant 2); `Semaphore` is `Sync`, so `&Semaphore` may cross threads.
unsafe impl Send for Acquire<'_> {}
// SAFETY: `&Acquire` exposes nothing (no method takes `&self`).
unsafe impl Sync for Acquire<'_> {}

impl Acquire<'_> {
    /// First poll: fast path, else take what is there and queue.
    fn poll_idle(
        &mut self,
        node: NonNull<Node>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), AcquireError>> {
        match self.sem.try_acquire(self.num as u32) {
            Ok(()) => return Poll::Ready(Ok(())),
            Err(TryAcquireError::Closed) => return Poll::Ready(Err(AcquireError(()))),
            Err(TryAcquireError::NoPermits) => {}
        }
        let mut list = self.sem.waiters.lock();
        let mut needed = self.num;
        let mut cur = self.sem.permits.load(AcquireOrd);
        loop {
            if cur & CLOSED != 0 {
                // Nothing taken yet: we leave the loop right after a
                // successful CAS.
                return Poll::Ready(Err(AcquireError(())));
            }
            // Invariant 1: with waiters queued the atomic is empty anyway;
            // checking the list keeps us strictly behind them.
            let take = if list.head.is_some() {
                0
            } else {
                (cur >> SHIFT).min(needed)
            };
            // If we are going to queue, announce it in the same step, so a
            // lock-free release cannot slip past unseen (invariant 1).
            let mut next = cur - (take << SHIFT);
            if take < needed {
                next |= WAITERS;
            }
            if next == cur {
                break;
            }
            match self
                .sem
                .permits
                .compare_exchange_weak(cur, next, AcqRel, AcquireOrd)
            {
                Ok(_) => {
                    needed -= take;
                    break;
                }
                Err(actual) => cur = actual,
            }
        }
        if needed == 0 {
            return Poll::Ready(Ok(()));
        }
        // SAFETY: lock held; the node is unlinked, owned by this pinned
        // future, and our `Drop` unlinks it before it goes away.
        unsafe {
            with_node(node, |s| {
                s.needed = needed;
                s.waker = Some(cx.waker().clone());
            });
            list.push_back(node);
        }
        self.phase = Phase::Waiting;
        Poll::Pending
    }

    /// Later polls: done, closed, or still waiting (refresh the waker).
    fn poll_waiting(
        &mut self,
        node: NonNull<Node>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), AcquireError>> {
        let list = self.sem.waiters.lock();
        // SAFETY: lock held; the node is ours and live.
        let (queued, needed) = unsafe {
            with_node(node, |s| {
                if s.queued {
                    let same = s.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker()));
                    if !same {
                        s.waker = Some(cx.waker().clone());
                    }
                }
                (s.queued, s.needed)
            })
        };
        if queued {
            return Poll::Pending;
        }
        self.phase = Phase::Done;
        if needed == 0 {
            drop(list);
            return Poll::Ready(Ok(()));
        }
        // Unlinked with permits missing: closed (invariant 4). Return the
        // part we were assigned.
        let assigned = self.num - needed;
        self.sem.release_locked(assigned, list);
        Poll::Ready(Err(AcquireError(())))
    }
}

impl Future for Acquire<'_> {
    type Output = Result<(), AcquireError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: we never move out of `self`; the node stays where it is
        // (only its address is taken, below).
        let this = unsafe { self.get_unchecked_mut() };
        let coop = ready!(crate::coop::poll_proceed(cx));
        let node = NonNull::from(&this.node);
        let res = match this.phase {
            Phase::Idle => this.poll_idle(node, cx),
            Phase::Waiting => this.poll_waiting(node, cx),
            Phase::Done => panic!("`Acquire` polled after completion"),
        };
        if res.is_ready() {
            this.phase = Phase::Done;
            coop.made_progress();
        }
        res
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        if self.phase != Phase::Waiting {
            return;
        }
        let node = NonNull::from(&self.node);
        let mut list = self.sem.waiters.lock();
        // SAFETY: lock held; the node is ours and live until we return.
        let (queued, needed) = unsafe { with_node(node, |s| (s.queued, s.needed)) };
        if queued {
            // SAFETY: lock held; `queued` says it is linked.
            unsafe { list.unlink(node) };
        }
        // Cancelled: hand our partial (or complete, if not yet observed)
        // assignment on to the next waiters. Even with nothing assigned
        // this is needed: it clears `WAITERS` if the list is now empty.
        let assigned = self.num - needed;
        self.sem.release_locked(assigned, list);
    }
}

impl fmt::Debug for Acquire<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Acquire")
            .field("semaphore", &self.sem)
            .field("num_permits", &self.num)
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::task::Waker;

    fn poll<F: Future>(f: Pin<&mut F>) -> Poll<F::Output> {
        f.poll(&mut Context::from_waker(Waker::noop()))
    }

    #[test]
    fn fast_path_and_counts() {
        let s = Semaphore::new(5);
        assert_eq!(s.try_acquire(3), Ok(()));
        assert_eq!(s.available_permits(), 2);
        assert_eq!(s.try_acquire(3), Err(TryAcquireError::NoPermits));
        assert_eq!(s.forget_permits(10), 2);
        s.release(4);
        assert_eq!(s.available_permits(), 4);
        s.close();
        assert!(s.is_closed());
        assert_eq!(s.available_permits(), 4);
        assert_eq!(s.try_acquire(1), Err(TryAcquireError::Closed));
    }

    #[test]
    fn fifo_big_head_blocks_small() {
        let s = Semaphore::new(1);
        let mut big = std::pin::pin!(s.acquire(3));
        assert!(poll(big.as_mut()).is_pending());
        assert_eq!(s.available_permits(), 0);
        let mut small = std::pin::pin!(s.acquire(1));
        assert!(poll(small.as_mut()).is_pending());
        s.release(1);
        assert!(poll(small.as_mut()).is_pending());
        s.release(1);
        assert!(poll(big.as_mut()).is_ready());
        assert!(poll(small.as_mut()).is_pending());
        s.release(1);
        assert!(poll(small.as_mut()).is_ready());
    }

    #[test]
    fn cancel_returns_partial_permits() {
        let s = Semaphore::new(2);
        {
            let mut a = std::pin::pin!(s.acquire(5));
            assert!(poll(a.as_mut()).is_pending());
            s.release(1);
            assert_eq!(s.available_permits(), 0);
        }
        assert_eq!(s.available_permits(), 3);
    }

    #[test]
    fn many_waiters_woken_in_batches() {
        let s = Semaphore::new(0);
        let mut futs: Vec<_> = (0..100).map(|_| Box::pin(s.acquire(1))).collect();
        for f in &mut futs {
            assert!(poll(f.as_mut()).is_pending());
        }
        s.release(100);
        for f in &mut futs {
            assert_eq!(poll(f.as_mut()), Poll::Ready(Ok(())));
        }
        assert_eq!(s.available_permits(), 0);
    }

    #[test]
    fn close_with_partial_assignment_returns_permits() {
        let s = Semaphore::new(1);
        let mut a = std::pin::pin!(s.acquire(2));
        assert!(poll(a.as_mut()).is_pending());
        s.close();
        assert_eq!(poll(a.as_mut()), Poll::Ready(Err(AcquireError(()))));
        assert_eq!(s.available_permits(), 1);
    }

    #[test]
    #[should_panic(expected = "MAX_PERMITS")]
    fn release_overflow_panics() {
        let s = Semaphore::new(Semaphore::MAX_PERMITS);
        s.release(1);
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::loom::sync::Arc;
    use loom::future::block_on;
    use loom::thread;

    /// Polls `f` once with the current `block_on` waker.
    fn poll_once<F: Future>(f: Pin<&mut F>) -> Poll<F::Output> {
        let mut f = Some(f);
        block_on(std::future::poll_fn(|cx| {
            Poll::Ready(f.take().unwrap().poll(cx))
        }))
    }

    #[test]
    fn loom_acquire_release() {
        loom::model(|| {
            let s = Arc::new(Semaphore::new(1));
            let s2 = s.clone();
            let t = thread::spawn(move || {
                block_on(s2.acquire(1)).unwrap();
                s2.release(1);
            });
            block_on(s.acquire(1)).unwrap();
            s.release(1);
            t.join().unwrap();
            assert_eq!(s.available_permits(), 1);
        });
    }

    #[test]
    fn loom_batch_acquire_vs_try_acquire() {
        loom::model(|| {
            let s = Arc::new(Semaphore::new(2));
            let s2 = s.clone();
            let t = thread::spawn(move || {
                if s2.try_acquire(1).is_ok() {
                    s2.release(1);
                }
            });
            block_on(s.acquire(2)).unwrap();
            s.release(2);
            t.join().unwrap();
            assert_eq!(s.available_permits(), 2);
        });
    }

    #[test]
    fn loom_close_wakes_waiter() {
        loom::model(|| {
            let s = Arc::new(Semaphore::new(1));
            let s2 = s.clone();
            let t = thread::spawn(move || s2.close());
            // Needs 2, only 1 exists: resolves only through close.
            assert!(block_on(s.acquire(2)).is_err());
            t.join().unwrap();
            // The partially assigned permit came back.
            assert_eq!(s.available_permits(), 1);
        });
    }

    #[test]
    fn loom_release_vs_close() {
        loom::model(|| {
            let s = Arc::new(Semaphore::new(0));
            let s2 = s.clone();
            let t = thread::spawn(move || {
                s2.release(1);
                s2.close();
            });
            if block_on(s.acquire(1)).is_ok() {
                s.release(1);
            }
            t.join().unwrap();
            assert_eq!(s.available_permits(), 1);
        });
    }

    /// A waiter that was assigned part of its permits is dropped while
    /// more permits are released: everything reaches the next waiter.
    #[test]
    fn loom_cancel_partial_passes_permits_on() {
        loom::model(|| {
            let s = Arc::new(Semaphore::new(1));
            let mut a = Box::pin(s.acquire(3));
            assert!(poll_once(a.as_mut()).is_pending());
            let mut b = Box::pin(s.acquire(2));
            assert!(poll_once(b.as_mut()).is_pending());
            let s2 = s.clone();
            let t = thread::spawn(move || s2.release(1));
            drop(a);
            block_on(b).unwrap();
            t.join().unwrap();
            assert_eq!(s.available_permits(), 0);
        });
    }

    /// A lock-free release races a waiter that is queueing (taking the last
    /// permit and setting `WAITERS`): the release is never missed.
    #[test]
    fn loom_fast_release_vs_queueing() {
        loom::model(|| {
            let s = Arc::new(Semaphore::new(1));
            let s2 = s.clone();
            let t = thread::spawn(move || s2.release(1));
            block_on(s.acquire(2)).unwrap();
            t.join().unwrap();
            s.release(2);
            assert_eq!(s.available_permits(), 2);
        });
    }

    /// Three threads contend with mixed batch sizes; nothing is lost.
    #[test]
    fn loom_three_acquirers() {
        loom::model(|| {
            let s = Arc::new(Semaphore::new(2));
            let spawn = |n: u32| {
                let s = s.clone();
                thread::spawn(move || {
                    block_on(s.acquire(n)).unwrap();
                    s.release(n as usize);
                })
            };
            let (t1, t2) = (spawn(2), spawn(1));
            block_on(s.acquire(1)).unwrap();
            s.release(1);
            t1.join().unwrap();
            t2.join().unwrap();
            assert_eq!(s.available_permits(), 2);
        });
    }

    /// A waiter on another thread queues and is dropped while permits are
    /// released: the main waiter gets them whatever the order.
    #[test]
    fn loom_concurrent_cancel_vs_release() {
        loom::model(|| {
            let s = Arc::new(Semaphore::new(1));
            let s1 = s.clone();
            let t1 = thread::spawn(move || {
                let mut a = Box::pin(s1.acquire(2));
                if let Poll::Ready(res) = poll_once(a.as_mut()) {
                    // Got them at once: they are ours to give back.
                    res.unwrap();
                    s1.release(2);
                }
            });
            let s2 = s.clone();
            let t2 = thread::spawn(move || s2.release(1));
            block_on(s.acquire(2)).unwrap();
            t1.join().unwrap();
            t2.join().unwrap();
            assert_eq!(s.available_permits(), 0);
        });
    }
}
