//! A cancellation signal shared by many tasks, with parent/child scoping
//! (tokio-util's `CancellationToken`, in `weave::sync`).
//!
//! [`CancellationToken::cancel`] wakes every task waiting in
//! [`CancellationToken::cancelled`] and cancels every token derived from it
//! with [`CancellationToken::child_token`], transitively. Cancelling a child
//! reaches neither its parent nor its siblings.
//!
//! # Implementation
//!
//! Each token (and all its clones) is a handle to one *node* of a tree. A
//! node holds, behind its own mutex: its parent (an `Arc`), its children (a
//! slab of `Arc`s; each child remembers its key in the parent's slab), and
//! the wakers of the futures waiting on it (a slab of `Waker`s; each waiting
//! future remembers its key). The node also has an atomic *cancelled* flag
//! and an atomic count of the token handles pointing at it.
//!
//! A node's state changes in three ways:
//!
//! - **cancel**: with the node locked, it is taken out of its parent's
//!   children and its subtree is flattened into it: each child in turn is
//!   locked, hands its own children up to the node, and is marked cancelled
//!   (flag set, waiters drained). When no child is left, the node itself is
//!   marked, and the marked children are detached (their `parent` cleared)
//!   as the last step before the node is unlocked. Wakers are called after
//!   that, with no lock held.
//! - **release** (the last handle to a node is dropped): an uncancelled node
//!   takes itself out of its parent's children and moves its own children
//!   into the parent's (or, for a root, makes them roots). So a long-lived
//!   parent only holds children that still have handles, and a grandparent's
//!   cancel still reaches grandchildren whose parent was dropped.
//! - **child creation**: under the parent's lock, a child is added to an
//!   uncancelled parent; the child of a cancelled parent is created cancelled
//!   and never linked.
//!
//! ## Invariants
//!
//! - The cancelled flag only goes from `false` to `true`, and only with the
//!   node's lock held. So under the lock it can be read with any ordering;
//!   [`is_cancelled`](CancellationToken::is_cancelled) reads it without the
//!   lock (Acquire, pairing with the Release store).
//! - Outside the critical section of a cancel, a node is in a children slab
//!   iff its `parent` field points at the slab's owner and its `key` is its
//!   key there, and then it is not cancelled. These fields change only with
//!   both the child's and the parent's lock held.
//! - `parent` never goes from `None` to `Some`: nodes are only ever moved up
//!   to an ancestor, or detached.
//! - A cancelled node has no children, and once the cancel that marked it
//!   has returned, no parent. (During that cancel, a marked child still
//!   points at the node being cancelled, which is locked; so a concurrent
//!   `cancel` of the child waits for the lock and returns only when the
//!   child's whole subtree is cancelled.)
//! - A waiter key is valid while the node is not cancelled: cancelling
//!   drains the waiter slab under the lock, and nothing registers on a
//!   cancelled node. A waiting future that sees the node cancelled forgets
//!   its key; one dropped earlier removes its key.
//! - The `Arc` cycle between a parent and a linked child is broken by
//!   cancel or release of the child's subtree, so no node outlives its
//!   handles and its cancellation.
//!
//! ## Lock order
//!
//! A parent's lock is always taken before a child's (never a child's, then
//! its parent's). Since nodes only move up to ancestors, "was once an
//! ancestor of" is a fixed partial order (older before newer), so no two
//! threads can wait on each other. Release and cancel of a child first lock
//! the child alone to read its parent, unlock, then lock parent and child in
//! order and check that the parent is still the same, retrying if it moved
//! in between (it can only have moved up or been detached, so this ends).
//! Cancel holds at most four locks at once: the parent, the node, one child
//! and one grandchild being moved up. Two siblings are never locked at once.
//!
//! ## No lost wake-up
//!
//! A waiting future checks the flag and registers its waker in one critical
//! section of the node's lock; cancel sets the flag and drains the wakers in
//! one critical section of the same lock.

use crate::loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use crate::loom::sync::{Arc, Mutex};
use pin_project_lite::pin_project;
use slab::Slab;
use std::fmt;
use std::future::Future;
use std::mem;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

#[cfg(all(test, loom))]
mod loom_tests;

/// A token that signals cancellation to any number of tasks.
///
/// Clones share one state: cancelling any clone cancels them all.
/// [`child_token`](Self::child_token) derives a token that is cancelled
/// whenever this one is, but can also be cancelled on its own.
///
/// ```
/// use weave::sync::CancellationToken;
///
/// # weave::runtime::Runtime::new().unwrap().block_on(async {
/// let token = CancellationToken::new();
/// let child = token.child_token();
///
/// let worker = weave::spawn(async move {
///     child.cancelled().await;
///     "stopped"
/// });
///
/// token.cancel();
/// assert_eq!(worker.await.unwrap(), "stopped");
/// # });
/// ```
pub struct CancellationToken {
    /// The node this handle (and its clones) points at; counted in
    /// `node.handles`.
    node: Arc<Node>,
}

/// One node of the token tree, shared by the clones of one token.
struct Node {
    /// Whether the node is cancelled. Written only with `state` locked.
    cancelled: AtomicBool,
    /// How many `CancellationToken` handles point at this node.
    handles: AtomicUsize,
    /// The tree links and the waiters.
    state: Mutex<State>,
}

/// The lock-protected part of a node.
struct State {
    /// The node whose cancellation cancels this one; `None` for a root, a
    /// cancelled node, or a node whose ancestors all went away.
    parent: Option<Arc<Node>>,
    /// This node's key in `parent`'s `children`; meaningless without parent.
    key: usize,
    /// The linked (uncancelled) children.
    children: Slab<Arc<Node>>,
    /// The wakers of the futures waiting for cancellation.
    waiters: Slab<Waker>,
}

impl Node {
    fn new(parent: Option<Arc<Node>>, key: usize, cancelled: bool) -> Node {
        Node {
            cancelled: AtomicBool::new(cancelled),
            handles: AtomicUsize::new(1),
            state: Mutex::new(State {
                parent,
                key,
                children: Slab::new(),
                waiters: Slab::new(),
            }),
        }
    }

    fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Acquire)
    }

    /// Runs `f` with this node locked, and with its parent (if any) locked
    /// first, following the lock order.
    fn with_locked<R>(
        this: &Arc<Node>,
        f: impl FnOnce(Option<(&Arc<Node>, &mut State)>, &mut State) -> R,
    ) -> R {
        loop {
            let parent = {
                let mut state = this.state.lock();
                match &state.parent {
                    // `parent` never becomes `Some` again: done.
                    None => return f(None, &mut state),
                    Some(parent) => parent.clone(),
                }
            };
            let mut parent_state = parent.state.lock();
            let mut state = this.state.lock();
            if state
                .parent
                .as_ref()
                .is_some_and(|p| Arc::ptr_eq(p, &parent))
            {
                return f(Some((&parent, &mut parent_state)), &mut state);
            }
            // The node was moved or detached between the two critical
            // sections; look again.
        }
    }

    /// Marks the node (locked, as `state`, children already moved away)
    /// cancelled and collects its wakers.
    fn mark_cancelled(&self, state: &mut State, wakers: &mut Vec<Waker>) {
        debug_assert!(state.children.is_empty(), "move the children first");
        self.cancelled.store(true, Ordering::Release);
        wakers.extend(mem::take(&mut state.waiters).into_iter().map(|(_, w)| w));
    }

    /// Moves every child of `from` (locked, as `from_state`) into the
    /// children of `to` (locked, as `to_state`): `to` is an ancestor of
    /// `from`, so this follows the lock order.
    fn move_children(from_state: &mut State, to: &Arc<Node>, to_state: &mut State) {
        for (_, child) in mem::take(&mut from_state.children) {
            let mut child_state = child.state.lock();
            let entry = to_state.children.vacant_entry();
            child_state.key = entry.key();
            // Replacing the old parent does not free it: the caller holds
            // it locked through another reference.
            child_state.parent = Some(to.clone());
            drop(child_state);
            entry.insert(child);
        }
    }

    /// Cancels this node and its whole subtree.
    ///
    /// The node stays locked until the whole subtree is done: each child in
    /// turn hands its own children up to this node and is then marked. A
    /// marked child keeps pointing at this node until the end, so a
    /// concurrent `cancel` (or release) of it first waits for this node's
    /// lock, and so returns only after its subtree is cancelled too.
    fn cancel(this: &Arc<Node>) {
        let mut wakers = Vec::new();
        let mut done = Vec::new();
        Node::with_locked(this, |parent, state| {
            if this.cancelled.load(Ordering::Relaxed) {
                return;
            }
            if let Some((_, parent_state)) = parent {
                let removed = parent_state.children.remove(state.key);
                debug_assert!(Arc::ptr_eq(&removed, this));
            }
            // The caller of `with_locked` holds another reference to the
            // parent, so this does not free it while it is locked.
            state.parent = None;
            // Flatten the subtree into this node, one level at a time.
            let mut level = mem::take(&mut state.children);
            while !level.is_empty() {
                for child in level.drain() {
                    let mut child_state = child.state.lock();
                    Node::move_children(&mut child_state, this, state);
                    child.mark_cancelled(&mut child_state, &mut wakers);
                    drop(child_state);
                    done.push(child);
                }
                mem::swap(&mut level, &mut state.children);
            }
            this.mark_cancelled(state, &mut wakers);
            for child in &done {
                child.state.lock().parent = None;
            }
        });
        // Free the nodes (if these were the last references) and wake the
        // waiters with no lock held.
        drop(done);
        for waker in wakers {
            waker.wake();
        }
    }

    /// Unlinks the node after its last handle is gone.
    fn release(this: &Arc<Node>) {
        Node::with_locked(this, |parent, state| {
            if this.cancelled.load(Ordering::Relaxed) {
                // Already detached, and without children.
                return;
            }
            debug_assert!(state.waiters.is_empty(), "every waiter holds a handle");
            match parent {
                Some((parent, parent_state)) => {
                    parent_state.children.remove(state.key);
                    Node::move_children(state, parent, parent_state);
                    state.parent = None;
                }
                None => {
                    for (_, child) in mem::take(&mut state.children) {
                        child.state.lock().parent = None;
                    }
                }
            }
        });
    }

    /// Polls for cancellation on behalf of a waiting future whose waker key
    /// is `key`.
    fn poll_cancelled(&self, key: &mut Option<usize>, cx: &mut Context<'_>) -> Poll<()> {
        if self.is_cancelled() {
            // The canceller drains (or drained) the whole waiter slab in
            // the critical section that set the flag: the key, if any, is
            // stale, and our waker gets at most one spurious wake.
            *key = None;
            return Poll::Ready(());
        }
        let mut state = self.state.lock();
        if self.cancelled.load(Ordering::Relaxed) {
            *key = None;
            return Poll::Ready(());
        }
        match *key {
            Some(k) => {
                let waker = &mut state.waiters[k];
                if !waker.will_wake(cx.waker()) {
                    waker.clone_from(cx.waker());
                }
            }
            None => *key = Some(state.waiters.insert(cx.waker().clone())),
        }
        Poll::Pending
    }

    /// Forgets the waker of a waiting future that is dropped.
    fn remove_waiter(&self, key: &mut Option<usize>) {
        if let Some(k) = key.take() {
            let mut state = self.state.lock();
            if !self.cancelled.load(Ordering::Relaxed) {
                state.waiters.remove(k);
            }
        }
    }

    #[cfg(all(test, not(loom)))]
    fn child_count(&self) -> usize {
        self.state.lock().children.len()
    }
}

impl CancellationToken {
    /// Creates a token that is not cancelled and has no parent.
    ///
    /// ```
    /// let token = weave::sync::CancellationToken::new();
    /// assert!(!token.is_cancelled());
    /// ```
    pub fn new() -> CancellationToken {
        CancellationToken {
            node: Arc::new(Node::new(None, 0, false)),
        }
    }

    /// Creates a token that is cancelled when this one is (or when any of
    /// this one's ancestors is), and that can be cancelled on its own without
    /// affecting this one.
    ///
    /// A child of a token that is already cancelled starts cancelled.
    ///
    /// ```
    /// use weave::sync::CancellationToken;
    ///
    /// let parent = CancellationToken::new();
    /// let child = parent.child_token();
    /// let grandchild = child.child_token();
    ///
    /// child.cancel();
    /// assert!(grandchild.is_cancelled());
    /// assert!(!parent.is_cancelled());
    ///
    /// let other = parent.child_token();
    /// parent.cancel();
    /// assert!(other.is_cancelled());
    /// assert!(parent.child_token().is_cancelled());
    /// ```
    pub fn child_token(&self) -> CancellationToken {
        let mut state = self.node.state.lock();
        let node = if self.node.cancelled.load(Ordering::Relaxed) {
            Node::new(None, 0, true)
        } else {
            let entry = state.children.vacant_entry();
            let child = Arc::new(Node::new(Some(self.node.clone()), entry.key(), false));
            entry.insert(child.clone());
            return CancellationToken { node: child };
        };
        drop(state);
        CancellationToken {
            node: Arc::new(node),
        }
    }

    /// Cancels this token and every token derived from it, and wakes every
    /// task waiting in [`cancelled`](Self::cancelled) on any of them.
    ///
    /// When this returns, this token and every token derived from it are
    /// cancelled, even if another thread is cancelling an ancestor at the
    /// same time. Cancelling twice does nothing more. The parent and
    /// siblings of this token are not affected.
    ///
    /// ```
    /// let token = weave::sync::CancellationToken::new();
    /// let clone = token.clone();
    /// token.cancel();
    /// assert!(clone.is_cancelled());
    /// ```
    pub fn cancel(&self) {
        Node::cancel(&self.node);
    }

    /// Whether this token was cancelled, directly or through an ancestor.
    ///
    /// ```
    /// let token = weave::sync::CancellationToken::new();
    /// assert!(!token.is_cancelled());
    /// token.cancel();
    /// assert!(token.is_cancelled());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        self.node.is_cancelled()
    }

    /// Waits until this token is cancelled; completes at once if it already
    /// is.
    ///
    /// The future needs only a [`Waker`]: it works under any executor.
    ///
    /// ```
    /// use weave::sync::CancellationToken;
    ///
    /// let token = CancellationToken::new();
    /// let t = token.clone();
    /// let waiter = std::thread::spawn(move || futures::executor::block_on(t.cancelled()));
    /// token.cancel();
    /// waiter.join().unwrap();
    /// ```
    pub fn cancelled(&self) -> WaitForCancellationFuture<'_> {
        WaitForCancellationFuture {
            token: self,
            key: None,
        }
    }

    /// Like [`cancelled`](Self::cancelled), but the future owns the token
    /// (it is `'static`, so it can be moved into a spawned task).
    ///
    /// ```
    /// use weave::sync::CancellationToken;
    ///
    /// # weave::runtime::Runtime::new().unwrap().block_on(async {
    /// let token = CancellationToken::new();
    /// let waiter = weave::spawn(token.clone().cancelled_owned());
    /// token.cancel();
    /// waiter.await.unwrap();
    /// # });
    /// ```
    pub fn cancelled_owned(self) -> WaitForCancellationFutureOwned {
        WaitForCancellationFutureOwned {
            token: self,
            key: None,
        }
    }

    /// Returns a guard that cancels this token when dropped, unless it is
    /// [`disarm`](DropGuard::disarm)ed first.
    ///
    /// ```
    /// use weave::sync::CancellationToken;
    ///
    /// let token = CancellationToken::new();
    /// {
    ///     let _guard = token.clone().drop_guard();
    /// }
    /// assert!(token.is_cancelled());
    /// ```
    pub fn drop_guard(self) -> DropGuard {
        DropGuard { token: Some(self) }
    }

    /// Like [`drop_guard`](Self::drop_guard), but the guard borrows the
    /// token.
    ///
    /// ```
    /// use weave::sync::CancellationToken;
    ///
    /// let token = CancellationToken::new();
    /// let guard = token.drop_guard_ref();
    /// let _same: &CancellationToken = guard.disarm();
    /// assert!(!token.is_cancelled());
    /// ```
    pub fn drop_guard_ref(&self) -> DropGuardRef<'_> {
        DropGuardRef { token: Some(self) }
    }

    /// Runs `fut` until it completes (`Some(output)`) or this token is
    /// cancelled (`None`, and `fut` is dropped). If both are ready at the same
    /// poll, cancellation wins.
    ///
    /// ```
    /// use weave::sync::CancellationToken;
    ///
    /// # weave::runtime::Runtime::new().unwrap().block_on(async {
    /// let token = CancellationToken::new();
    /// assert_eq!(token.run_until_cancelled(async { 5 }).await, Some(5));
    ///
    /// token.cancel();
    /// let never = std::future::pending::<()>();
    /// assert_eq!(token.run_until_cancelled(never).await, None);
    /// # });
    /// ```
    pub async fn run_until_cancelled<F>(&self, fut: F) -> Option<F::Output>
    where
        F: Future,
    {
        RunUntilCancelled {
            cancelled: self.cancelled(),
            future: fut,
        }
        .await
    }

    /// Like [`run_until_cancelled`](Self::run_until_cancelled), but owns the
    /// token (the future is `'static` if `fut` is).
    ///
    /// ```
    /// use weave::sync::CancellationToken;
    ///
    /// # weave::runtime::Runtime::new().unwrap().block_on(async {
    /// let token = CancellationToken::new();
    /// let job = weave::spawn(token.clone().run_until_cancelled_owned(std::future::pending::<()>()));
    /// token.cancel();
    /// assert_eq!(job.await.unwrap(), None);
    /// # });
    /// ```
    pub async fn run_until_cancelled_owned<F>(self, fut: F) -> Option<F::Output>
    where
        F: Future,
    {
        RunUntilCancelled {
            cancelled: self.cancelled_owned(),
            future: fut,
        }
        .await
    }

    /// The number of children linked to this token's node (for tests).
    #[cfg(all(test, not(loom)))]
    pub(crate) fn child_count(&self) -> usize {
        self.node.child_count()
    }
}

impl Default for CancellationToken {
    fn default() -> CancellationToken {
        CancellationToken::new()
    }
}

impl Clone for CancellationToken {
    /// Returns another handle to the same token: cancelling either cancels
    /// both.
    fn clone(&self) -> CancellationToken {
        // Cloning needs an existing handle, so the count is at least one
        // and cannot be racing with the release at zero.
        self.node.handles.fetch_add(1, Ordering::Relaxed);
        CancellationToken {
            node: self.node.clone(),
        }
    }
}

impl Drop for CancellationToken {
    fn drop(&mut self) {
        if self.node.handles.fetch_sub(1, Ordering::AcqRel) == 1 {
            Node::release(&self.node);
        }
    }
}

impl fmt::Debug for CancellationToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancellationToken")
            .field("is_cancelled", &self.is_cancelled())
            .finish()
    }
}

/// The future of [`CancellationToken::cancelled`]: completes when the token
/// is cancelled.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct WaitForCancellationFuture<'a> {
    token: &'a CancellationToken,
    /// Our waker's key in the node's waiter slab, once registered.
    key: Option<usize>,
}

impl Future for WaitForCancellationFuture<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        this.token.node.poll_cancelled(&mut this.key, cx)
    }
}

impl Drop for WaitForCancellationFuture<'_> {
    fn drop(&mut self) {
        self.token.node.remove_waiter(&mut self.key);
    }
}

impl fmt::Debug for WaitForCancellationFuture<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitForCancellationFuture")
            .field("is_cancelled", &self.token.is_cancelled())
            .finish()
    }
}

/// The future of [`CancellationToken::cancelled_owned`]: completes when the
/// token is cancelled.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct WaitForCancellationFutureOwned {
    token: CancellationToken,
    /// Our waker's key in the node's waiter slab, once registered.
    key: Option<usize>,
}

impl Future for WaitForCancellationFutureOwned {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        this.token.node.poll_cancelled(&mut this.key, cx)
    }
}

impl Drop for WaitForCancellationFutureOwned {
    fn drop(&mut self) {
        self.token.node.remove_waiter(&mut self.key);
    }
}

impl fmt::Debug for WaitForCancellationFutureOwned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitForCancellationFutureOwned")
            .field("is_cancelled", &self.token.is_cancelled())
            .finish()
    }
}

pin_project! {
    /// Races a future against a cancellation future, cancellation first.
    struct RunUntilCancelled<C, F> {
        cancelled: C,
        #[pin]
        future: F,
    }
}

impl<C, F> Future for RunUntilCancelled<C, F>
where
    C: Future<Output = ()> + Unpin,
    F: Future,
{
    type Output = Option<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<F::Output>> {
        let this = self.project();
        if Pin::new(this.cancelled).poll(cx).is_ready() {
            return Poll::Ready(None);
        }
        this.future.poll(cx).map(Some)
    }
}

/// Cancels its token when dropped; created by
/// [`CancellationToken::drop_guard`].
#[derive(Debug)]
#[must_use = "the token is cancelled as soon as the guard is dropped"]
pub struct DropGuard {
    /// `None` once disarmed.
    token: Option<CancellationToken>,
}

impl DropGuard {
    /// Gives the token back without cancelling it.
    ///
    /// ```
    /// let token = weave::sync::CancellationToken::new();
    /// let guard = token.clone().drop_guard();
    /// let same = guard.disarm();
    /// assert!(!token.is_cancelled());
    /// same.cancel();
    /// assert!(token.is_cancelled());
    /// ```
    pub fn disarm(mut self) -> CancellationToken {
        self.token
            .take()
            .expect("a DropGuard holds its token until disarmed or dropped")
    }
}

impl Drop for DropGuard {
    fn drop(&mut self) {
        if let Some(token) = &self.token {
            token.cancel();
        }
    }
}

/// Cancels the token it borrows when dropped; created by
/// [`CancellationToken::drop_guard_ref`].
#[derive(Debug)]
#[must_use = "the token is cancelled as soon as the guard is dropped"]
pub struct DropGuardRef<'a> {
    /// `None` once disarmed.
    token: Option<&'a CancellationToken>,
}

impl<'a> DropGuardRef<'a> {
    /// Gives the token back without cancelling it.
    pub fn disarm(mut self) -> &'a CancellationToken {
        self.token
            .take()
            .expect("a DropGuardRef holds its token until disarmed or dropped")
    }
}

impl Drop for DropGuardRef<'_> {
    fn drop(&mut self) {
        if let Some(token) = self.token {
            token.cancel();
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn short_lived_children_do_not_accumulate() {
        let parent = CancellationToken::new();
        for _ in 0..100_000 {
            let child = parent.child_token();
            let grandchild = child.child_token();
            assert_eq!(parent.child_count(), 1);
            drop(child);
            // The grandchild moved up to the parent.
            assert_eq!(parent.child_count(), 1);
            drop(grandchild);
            assert_eq!(parent.child_count(), 0);
        }
        // The slab reuses its slots: its capacity stays tiny.
        assert!(parent.node.state.lock().children.capacity() < 16);
    }

    #[test]
    fn cancelled_child_leaves_parent() {
        let parent = CancellationToken::new();
        let child = parent.child_token();
        let _other = parent.child_token();
        assert_eq!(parent.child_count(), 2);
        child.cancel();
        assert_eq!(parent.child_count(), 1);
        parent.cancel();
        assert_eq!(parent.child_count(), 0);
    }

    #[test]
    fn dropped_root_detaches_children() {
        let parent = CancellationToken::new();
        let child = parent.child_token();
        let weak = std::sync::Arc::downgrade(&parent.node);
        drop(parent);
        // The child no longer keeps the parent alive.
        assert!(weak.upgrade().is_none());
        assert!(child.node.state.lock().parent.is_none());
        assert!(!child.is_cancelled());
    }

    #[test]
    fn waiter_keys_are_removed_on_drop() {
        let token = CancellationToken::new();
        let mut cx = Context::from_waker(Waker::noop());
        for _ in 0..1000 {
            let mut fut = token.cancelled();
            assert!(Pin::new(&mut fut).poll(&mut cx).is_pending());
        }
        assert!(token.node.state.lock().waiters.is_empty());
    }
}
