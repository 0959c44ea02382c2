//! A FIFO list of waiting tasks, kept under its owner's lock.
//!
//! Each waiter is known by a ticket (a number handed out in arrival order),
//! held by the future that waits. A waiter is in exactly one of three
//! states, and the list tracks the first two:
//!
//! - **waiting**: in `waiting`, with the waker to call;
//! - **notified**: taken out of `waiting` by [`notify_one`](WaitList::notify_one)
//!   or [`notify_all`](WaitList::notify_all), its waker handed to the caller
//!   to be woken once the lock is released; the ticket sits in `notified`
//!   until the future runs ([`take_notified`](WaitList::take_notified)) or is
//!   dropped ([`remove`](WaitList::remove)), so that a wake-up that was never
//!   acted on can be passed on to the next waiter;
//! - **gone**: neither (never registered, or finished).
//!
//! `waiting` is ordered by ticket, so it is FIFO, and a notified waiter that
//! finds nothing to do and [`wait`](WaitList::wait)s again keeps its original
//! place at the front instead of queueing behind later arrivals.

use std::collections::{BTreeMap, BTreeSet};
use std::task::Waker;

/// See the module docs.
#[derive(Debug, Default)]
pub(crate) struct WaitList {
    next_ticket: u64,
    waiting: BTreeMap<u64, Waker>,
    notified: BTreeSet<u64>,
}

/// What [`WaitList::remove`] found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Removed {
    /// The waiter was still waiting.
    Waiting,
    /// The waiter had been notified and never acted on it.
    Notified,
    /// Unknown ticket.
    Gone,
}

impl WaitList {
    pub(crate) fn new() -> WaitList {
        WaitList::default()
    }

    /// Registers (or refreshes) a waiter. `ticket` is the future's ticket
    /// slot: `None` the first time (a ticket is issued and stored), `Some`
    /// afterwards, in which case the waiter goes back to `waiting` at its
    /// original place, with the new waker.
    pub(crate) fn wait(&mut self, ticket: &mut Option<u64>, waker: &Waker) {
        let t = *ticket.get_or_insert_with(|| {
            let t = self.next_ticket;
            self.next_ticket += 1;
            t
        });
        self.notified.remove(&t);
        match self.waiting.get_mut(&t) {
            Some(old) if old.will_wake(waker) => {}
            Some(old) => old.clone_from(waker),
            None => {
                self.waiting.insert(t, waker.clone());
            }
        }
    }

    /// If `ticket` was notified, forgets it and returns `true` (the waiter
    /// is now running on that notification).
    pub(crate) fn take_notified(&mut self, ticket: Option<u64>) -> bool {
        ticket.is_some_and(|t| self.notified.remove(&t))
    }

    /// Forgets the waiter, whatever its state, and says what it was.
    pub(crate) fn remove(&mut self, ticket: Option<u64>) -> Removed {
        let Some(t) = ticket else {
            return Removed::Gone;
        };
        if self.waiting.remove(&t).is_some() {
            Removed::Waiting
        } else if self.notified.remove(&t) {
            Removed::Notified
        } else {
            Removed::Gone
        }
    }

    /// Moves the oldest waiting waiter to `notified` and returns its waker
    /// (to be woken after the lock is released).
    pub(crate) fn notify_one(&mut self) -> Option<Waker> {
        let (t, waker) = self.waiting.pop_first()?;
        self.notified.insert(t);
        Some(waker)
    }

    /// Notifies every waiting waiter; returns their wakers in FIFO order.
    pub(crate) fn notify_all(&mut self) -> Vec<Waker> {
        let waiting = std::mem::take(&mut self.waiting);
        let mut wakers = Vec::with_capacity(waiting.len());
        for (t, waker) in waiting {
            self.notified.insert(t);
            wakers.push(waker);
        }
        wakers
    }

    /// Waiters notified but not yet run (nor dropped).
    pub(crate) fn notified_len(&self) -> usize {
        self.notified.len()
    }

    /// True if some waiter is waiting (not merely notified).
    #[allow(dead_code)]
    pub(crate) fn has_waiting(&self) -> bool {
        !self.waiting.is_empty()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn fifo_and_pass_on() {
        let mut list = WaitList::new();
        let (mut a, mut b) = (None, None);
        list.wait(&mut a, Waker::noop());
        list.wait(&mut b, Waker::noop());
        assert!(list.notify_one().is_some());
        assert_eq!(list.notified_len(), 1);
        // `a` was first: it is the one notified.
        assert_eq!(list.remove(a), Removed::Notified);
        assert!(list.notify_one().is_some());
        assert!(list.take_notified(b));
        assert!(list.notify_one().is_none());
    }

    #[test]
    fn rewait_keeps_place() {
        let mut list = WaitList::new();
        let (mut a, mut b) = (None, None);
        list.wait(&mut a, Waker::noop());
        list.wait(&mut b, Waker::noop());
        list.notify_one();
        list.wait(&mut a, Waker::noop());
        list.notify_one();
        assert!(list.take_notified(a));
        assert_eq!(list.remove(b), Removed::Waiting);
        assert_eq!(list.remove(b), Removed::Gone);
    }
}
