//! The futures behind [`Queue::get`](super::Queue::get),
//! [`Queue::put`](super::Queue::put) and [`Queue::join`](super::Queue::join).
//!
//! Each holds a ticket in one of the queue's wait lists while it waits and
//! gives it up when it finishes or is dropped. A dropped future that had
//! been notified but never ran passes the wake-up on to the next waiter if
//! what it was woken for (an item, a free slot) is still unclaimed, so no
//! wake-up is lost to cancellation.

use super::error::QueueClosed;
use super::wait_list::Removed;
use super::Shared;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll, Waker};

fn wake(waker: Option<Waker>) {
    if let Some(waker) = waker {
        waker.wake();
    }
}

/// `Queue::get`: resolves to the next item, or `None` once closed and empty.
pub(super) struct Get<'a, T> {
    pub(super) shared: &'a Shared<T>,
    pub(super) ticket: Option<u64>,
}

impl<T> Future for Get<'_, T> {
    type Output = Option<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = self.get_mut();
        let coop = ready!(crate::coop::poll_proceed(cx));
        let mut state = this.shared.state.lock();
        if let Some((item, putter)) = state.take() {
            state.getters.remove(this.ticket.take());
            drop(state);
            wake(putter);
            coop.made_progress();
            return Poll::Ready(Some(item));
        }
        if state.closed {
            state.getters.remove(this.ticket.take());
            coop.made_progress();
            return Poll::Ready(None);
        }
        // Empty: wait (again, at our original place if we were notified
        // and someone else took the item first).
        state.getters.wait(&mut this.ticket, cx.waker());
        Poll::Pending
    }
}

impl<T> Drop for Get<'_, T> {
    fn drop(&mut self) {
        if self.ticket.is_none() {
            return;
        }
        let mut state = self.shared.state.lock();
        let next = match state.getters.remove(self.ticket.take()) {
            // Woken for an item we will not take: if it is still there
            // and no other notified getter will take it, wake the next.
            Removed::Notified if state.items.len() > state.getters.notified_len() => {
                state.getters.notify_one()
            }
            _ => None,
        };
        drop(state);
        wake(next);
    }
}

/// `Queue::put`: resolves once the item is in the queue, or hands it back
/// if the queue is closed.
pub(super) struct Put<'a, T> {
    pub(super) shared: &'a Shared<T>,
    pub(super) item: Option<T>,
    pub(super) ticket: Option<u64>,
}

impl<T> Unpin for Put<'_, T> {}

impl<T> Future for Put<'_, T> {
    type Output = Result<(), QueueClosed<T>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let coop = ready!(crate::coop::poll_proceed(cx));
        let shared = this.shared;
        let mut state = shared.state.lock();
        let item = this.item.take().expect("`put` polled after completion");
        if state.closed {
            state.putters.remove(this.ticket.take());
            coop.made_progress();
            return Poll::Ready(Err(QueueClosed(item)));
        }
        if state.has_room(shared.capacity) {
            state.putters.remove(this.ticket.take());
            let getter = state.push(item);
            drop(state);
            wake(getter);
            coop.made_progress();
            return Poll::Ready(Ok(()));
        }
        this.item = Some(item);
        state.putters.wait(&mut this.ticket, cx.waker());
        Poll::Pending
    }
}

impl<T> Drop for Put<'_, T> {
    fn drop(&mut self) {
        if self.ticket.is_none() {
            return;
        }
        let mut state = self.shared.state.lock();
        let free = self
            .shared
            .capacity
            .map_or(usize::MAX, |cap| cap.saturating_sub(state.items.len()));
        let next = match state.putters.remove(self.ticket.take()) {
            // Woken for a slot we will not use: pass it on if it is free
            // and not promised to another notified putter.
            Removed::Notified if free > state.putters.notified_len() => state.putters.notify_one(),
            _ => None,
        };
        drop(state);
        wake(next);
        // The item, never queued, is dropped with the future.
    }
}

/// `Queue::join`: resolves once every item put has been marked done.
pub(super) struct Join<'a, T> {
    pub(super) shared: &'a Shared<T>,
    pub(super) ticket: Option<u64>,
}

impl<T> Future for Join<'_, T> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let mut state = this.shared.state.lock();
        // A joiner woken by the count reaching zero completes even if new
        // items were put before it ran (as asyncio's `join` does).
        if state.joiners.take_notified(this.ticket) || state.unfinished == 0 {
            state.joiners.remove(this.ticket.take());
            return Poll::Ready(());
        }
        state.joiners.wait(&mut this.ticket, cx.waker());
        Poll::Pending
    }
}

impl<T> Drop for Join<'_, T> {
    fn drop(&mut self) {
        if self.ticket.is_some() {
            // Joiners are all woken at once: nothing to pass on.
            self.shared.state.lock().joiners.remove(self.ticket.take());
        }
    }
}
