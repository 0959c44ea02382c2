//! loom models of the cancellation token tree.
//!
//! loom also checks at the end of each execution that every `Arc` was
//! freed, so these models catch parent/child reference cycles left behind.

use super::CancellationToken;
use loom::future::block_on;
use loom::thread;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Waker};

/// A cancel racing a waiter's registration: the waiter is always woken.
#[test]
fn loom_cancel_wakes_waiter() {
    loom::model(|| {
        let token = CancellationToken::new();
        let t = token.clone();
        let canceller = thread::spawn(move || t.cancel());
        block_on(token.cancelled());
        assert!(token.is_cancelled());
        canceller.join().unwrap();
    });
}

/// The same through a child: the parent's cancel wakes a task waiting on
/// the child (owned future).
#[test]
fn loom_cancel_parent_wakes_child_waiter() {
    loom::model(|| {
        let parent = CancellationToken::new();
        let child = parent.child_token();
        let waiter = thread::spawn(move || block_on(child.cancelled_owned()));
        parent.cancel();
        waiter.join().unwrap();
    });
}

/// A parent's cancel racing the drop of a middle child: the grandchild
/// (moved up to the parent, or detached and cancelled) is cancelled either
/// way, and nothing leaks.
#[test]
fn loom_cancel_parent_vs_child_drop() {
    loom::model(|| {
        let parent = CancellationToken::new();
        let child = parent.child_token();
        let grandchild = child.child_token();
        let dropper = thread::spawn(move || drop(child));
        parent.cancel();
        dropper.join().unwrap();
        assert!(grandchild.is_cancelled());
    });
}

/// A child created while its parent is being cancelled ends up cancelled.
#[test]
fn loom_cancel_vs_child_creation() {
    loom::model(|| {
        let parent = CancellationToken::new();
        let p = parent.clone();
        let creator = thread::spawn(move || {
            let child = p.child_token();
            let grandchild = child.child_token();
            (child, grandchild)
        });
        parent.cancel();
        let (child, grandchild) = creator.join().unwrap();
        assert!(child.is_cancelled());
        assert!(grandchild.is_cancelled());
    });
}

/// A child cancelled on its own while its parent is cancelled: both end up
/// cancelled, whichever unlinks the child first.
#[test]
fn loom_cancel_child_vs_parent() {
    loom::model(|| {
        let parent = CancellationToken::new();
        let child = parent.child_token();
        let grandchild = child.child_token();
        let c = child.clone();
        let t = thread::spawn(move || c.cancel());
        parent.cancel();
        t.join().unwrap();
        assert!(child.is_cancelled());
        assert!(grandchild.is_cancelled());
    });
}

/// A waiter dropped (after registering) while the token is cancelled: no
/// stale key is removed, no waker is leaked.
#[test]
fn loom_cancel_vs_waiter_drop() {
    loom::model(|| {
        let token = CancellationToken::new();
        let t = token.clone();
        let waiter = thread::spawn(move || {
            let mut fut = pin!(t.cancelled());
            let _ = fut.as_mut().poll(&mut Context::from_waker(Waker::noop()));
        });
        token.cancel();
        waiter.join().unwrap();
    });
}

/// Two links of a chain released at once while the root is cancelled: the
/// leaf is moved up twice (or detached) and still cancelled, and the
/// parent-changed retry in the lock dance terminates.
#[test]
fn loom_cancel_vs_chain_release() {
    loom::model(|| {
        let root = CancellationToken::new();
        let a = root.child_token();
        let b = a.child_token();
        let leaf = b.child_token();
        let ta = thread::spawn(move || drop(a));
        let tb = thread::spawn(move || drop(b));
        root.cancel();
        ta.join().unwrap();
        tb.join().unwrap();
        assert!(leaf.is_cancelled());
    });
}

/// A child cancelled while the root's cancel is running returns only once
/// the child's whole subtree is cancelled.
#[test]
fn loom_cancel_child_returns_after_subtree() {
    loom::model(|| {
        let root = CancellationToken::new();
        let child = root.child_token();
        let grandchild = child.child_token();
        let leaf = grandchild.child_token();
        let t = thread::spawn(move || {
            child.cancel();
            assert!(grandchild.is_cancelled());
            assert!(leaf.is_cancelled());
        });
        root.cancel();
        t.join().unwrap();
    });
}
