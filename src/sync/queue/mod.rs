//! An asyncio-style work queue: [`Queue`], with `task_done` / `join`.
//!
//! Unlike an mpsc channel, a `Queue` has no separate halves: every clone
//! can both put and get, any number of tasks can wait on either side, and
//! the queue tracks *unfinished work* so that a coordinator can
//! [`join`](Queue::join) until every item put has been processed.
//!
//! # Invariants
//!
//! All state sits behind one mutex (asyncio's queue is a coordination tool,
//! not a hot path); wakers are woken after the lock is released.
//!
//! - **FIFO waiters.** Getters, putters and joiners wait in ticket order
//!   (see [`wait_list`]). A `put` notifies the oldest waiting getter, a
//!   removal notifies the oldest waiting putter; `close` notifies every
//!   getter and putter, and the count of unfinished items reaching 0
//!   notifies every joiner.
//! - **No lost wake-up.** A waiter checks its condition and registers under
//!   the same lock that the notifier changes the state under. A notified
//!   getter that finds the item already taken (by a task that came by
//!   without waiting, as in asyncio) waits again at its original place. A
//!   notified getter or putter dropped before it ran passes the wake-up on
//!   if the item (slot) it was woken for is still unclaimed: while getters
//!   wait, `items.len() <= notified getters`, and likewise for free slots
//!   and notified putters.
//! - **Accounting.** `unfinished` = items put − `task_done` calls. Items
//!   taken but not yet done are `unfinished − items.len()`; `task_done`
//!   fails rather than take that below zero.
//! - **Closing** is final. After it, `put` fails and hands its item back,
//!   `get` drains what is left and then returns `None`, and `join` still
//!   waits for the items left in the queue.

mod error;
pub(crate) mod wait_list;
mod waiters;

pub use self::error::{QueueClosed, TaskDoneError, TryGetError, TryPutError};

use self::wait_list::WaitList;
use self::waiters::{Get, Join, Put};
use crate::loom::sync::{Arc, Mutex};
use std::collections::VecDeque;
use std::fmt;
use std::task::Waker;

/// A FIFO queue for coordinating producer and consumer tasks, with
/// asyncio's `task_done` / `join` bookkeeping. (asyncio: `asyncio.Queue`.)
///
/// Clones share one queue (no `Arc` needed). Items come out in the order
/// they went in; waiting getters and putters are served in the order they
/// started waiting.
///
/// ```
/// use weave::sync::Queue;
///
/// # futures::executor::block_on(async {
/// let queue = Queue::bounded(2);
/// let worker = {
///     let queue = queue.clone();
///     std::thread::spawn(move || futures::executor::block_on(async move {
///         let mut sum = 0;
///         while let Some(n) = queue.get().await {
///             sum += n;
///             queue.task_done().unwrap();
///         }
///         sum
///     }))
/// };
/// for n in 1..=10 {
///     queue.put(n).await.unwrap();
/// }
/// queue.join().await; // every item processed
/// queue.close();
/// assert_eq!(worker.join().unwrap(), 55);
/// # });
/// ```
pub struct Queue<T> {
    shared: Arc<Shared<T>>,
}

struct Shared<T> {
    state: Mutex<State<T>>,
    /// `None` for an unbounded queue.
    capacity: Option<usize>,
}

struct State<T> {
    items: VecDeque<T>,
    closed: bool,
    /// Items put and not yet marked done.
    unfinished: usize,
    getters: WaitList,
    putters: WaitList,
    joiners: WaitList,
}

impl<T> State<T> {
    fn has_room(&self, capacity: Option<usize>) -> bool {
        capacity.is_none_or(|cap| self.items.len() < cap)
    }

    /// Appends an item; returns the getter to wake.
    fn push(&mut self, item: T) -> Option<Waker> {
        self.items.push_back(item);
        self.unfinished += 1;
        self.getters.notify_one()
    }

    /// Removes the oldest item; returns it with the putter to wake.
    fn take(&mut self) -> Option<(T, Option<Waker>)> {
        let item = self.items.pop_front()?;
        Some((item, self.putters.notify_one()))
    }
}

fn wake_all(wakers: impl IntoIterator<Item = Waker>) {
    wakers.into_iter().for_each(Waker::wake);
}

impl<T> Queue<T> {
    fn with_capacity(capacity: Option<usize>) -> Queue<T> {
        Queue {
            shared: Arc::new(Shared {
                state: Mutex::new(State {
                    items: VecDeque::new(),
                    closed: false,
                    unfinished: 0,
                    getters: WaitList::new(),
                    putters: WaitList::new(),
                    joiners: WaitList::new(),
                }),
                capacity,
            }),
        }
    }

    /// Creates a queue holding at most `capacity` items; `put` waits while
    /// it is full. (asyncio: `Queue(maxsize=capacity)`.)
    ///
    /// # Panics
    ///
    /// If `capacity` is 0 (asyncio reads 0 as "no limit": say so with
    /// [`Queue::unbounded`]).
    #[track_caller]
    pub fn bounded(capacity: usize) -> Queue<T> {
        assert!(
            capacity > 0,
            "Queue::bounded requires a capacity > 0; use Queue::unbounded() for a queue without a limit"
        );
        Queue::with_capacity(Some(capacity))
    }

    /// Creates a queue without a size limit: `put` never waits.
    /// (asyncio: `Queue()`, `maxsize=0`.)
    pub fn unbounded() -> Queue<T> {
        Queue::with_capacity(None)
    }

    /// Puts `item` at the back, waiting while the queue is full.
    /// (asyncio: `await queue.put(item)`.)
    ///
    /// Fails, handing the item back, if the queue is closed (also while
    /// waiting). Dropping the future before it completes drops the item
    /// without queueing it, and passes a wake-up it received on to the
    /// next waiting putter.
    ///
    /// ```
    /// use weave::sync::Queue;
    ///
    /// # futures::executor::block_on(async {
    /// let queue = Queue::unbounded();
    /// queue.put("job").await.unwrap();
    /// queue.close();
    /// assert_eq!(queue.put("late").await.unwrap_err().0, "late");
    /// # });
    /// ```
    pub async fn put(&self, item: T) -> Result<(), QueueClosed<T>> {
        Put {
            shared: &self.shared,
            item: Some(item),
            ticket: None,
        }
        .await
    }

    /// Takes the item at the front, waiting while the queue is empty.
    /// (asyncio: `await queue.get()`.)
    ///
    /// Returns `None` once the queue is closed and drained. Dropping the
    /// future before it completes takes nothing, and passes a wake-up it
    /// received on to the next waiting getter.
    ///
    /// ```
    /// use weave::sync::Queue;
    ///
    /// # futures::executor::block_on(async {
    /// let queue = Queue::unbounded();
    /// queue.put(1).await.unwrap();
    /// queue.close();
    /// assert_eq!(queue.get().await, Some(1));
    /// assert_eq!(queue.get().await, None);
    /// # });
    /// ```
    pub async fn get(&self) -> Option<T> {
        Get {
            shared: &self.shared,
            ticket: None,
        }
        .await
    }

    /// Puts `item` without waiting. (asyncio: `queue.put_nowait(item)`.)
    ///
    /// ```
    /// use weave::sync::{Queue, TryPutError};
    ///
    /// let queue = Queue::bounded(1);
    /// queue.try_put(1).unwrap();
    /// assert_eq!(queue.try_put(2), Err(TryPutError::Full(2)));
    /// queue.close();
    /// assert_eq!(queue.try_put(3), Err(TryPutError::Closed(3)));
    /// ```
    pub fn try_put(&self, item: T) -> Result<(), TryPutError<T>> {
        let mut state = self.shared.state.lock();
        if state.closed {
            return Err(TryPutError::Closed(item));
        }
        if !state.has_room(self.shared.capacity) {
            return Err(TryPutError::Full(item));
        }
        let getter = state.push(item);
        drop(state);
        wake_all(getter);
        Ok(())
    }

    /// Takes the front item without waiting. (asyncio: `queue.get_nowait()`.)
    ///
    /// `Closed` only once the queue is closed *and* empty.
    ///
    /// ```
    /// use weave::sync::{Queue, TryGetError};
    ///
    /// let queue = Queue::unbounded();
    /// assert_eq!(queue.try_get(), Err(TryGetError::Empty));
    /// queue.try_put(7).unwrap();
    /// queue.close();
    /// assert_eq!(queue.try_get(), Ok(7));
    /// assert_eq!(queue.try_get(), Err(TryGetError::Closed));
    /// ```
    pub fn try_get(&self) -> Result<T, TryGetError> {
        let mut state = self.shared.state.lock();
        if let Some((item, putter)) = state.take() {
            drop(state);
            wake_all(putter);
            return Ok(item);
        }
        Err(if state.closed {
            TryGetError::Closed
        } else {
            TryGetError::Empty
        })
    }

    /// Marks one item taken by `get`/`try_get` as processed.
    /// (asyncio: `queue.task_done()`.)
    ///
    /// Fails if there is no taken-but-unfinished item left to mark.
    ///
    /// ```
    /// use weave::sync::Queue;
    ///
    /// let queue = Queue::unbounded();
    /// queue.try_put(1).unwrap();
    /// assert!(queue.task_done().is_err()); // not taken yet
    /// queue.try_get().unwrap();
    /// assert!(queue.task_done().is_ok());
    /// assert!(queue.task_done().is_err());
    /// ```
    pub fn task_done(&self) -> Result<(), TaskDoneError> {
        let mut state = self.shared.state.lock();
        if state.unfinished == state.items.len() {
            return Err(TaskDoneError(()));
        }
        state.unfinished -= 1;
        let joiners = if state.unfinished == 0 {
            state.joiners.notify_all()
        } else {
            Vec::new()
        };
        drop(state);
        wake_all(joiners);
        Ok(())
    }

    /// Waits until every item ever put has been marked done with
    /// [`task_done`](Self::task_done). (asyncio: `await queue.join()`.)
    ///
    /// Resolves at once if nothing is unfinished. Closing the queue does
    /// not end the wait: items left in it still need to be processed.
    ///
    /// ```
    /// use weave::sync::Queue;
    ///
    /// # futures::executor::block_on(async {
    /// let queue = Queue::unbounded();
    /// queue.join().await; // nothing put yet
    /// queue.put(()).await.unwrap();
    /// queue.get().await.unwrap();
    /// queue.task_done().unwrap();
    /// queue.join().await;
    /// # });
    /// ```
    pub async fn join(&self) {
        Join {
            shared: &self.shared,
            ticket: None,
        }
        .await
    }

    /// Closes the queue: later puts fail, waiting putters get their items
    /// back, and getters drain what is left, then get `None`.
    /// (asyncio 3.13: `queue.shutdown()`.)
    pub fn close(&self) {
        let mut state = self.shared.state.lock();
        if state.closed {
            return;
        }
        state.closed = true;
        let mut wakers = state.getters.notify_all();
        wakers.extend(state.putters.notify_all());
        drop(state);
        wake_all(wakers);
    }

    /// True once [`close`](Self::close) has been called. (asyncio: no
    /// public equivalent.)
    pub fn is_closed(&self) -> bool {
        self.shared.state.lock().closed
    }

    /// Number of items in the queue. (asyncio: `queue.qsize()`.)
    pub fn len(&self) -> usize {
        self.shared.state.lock().items.len()
    }

    /// True if the queue holds no item. (asyncio: `queue.empty()`.)
    pub fn is_empty(&self) -> bool {
        self.shared.state.lock().items.is_empty()
    }

    /// True if a bounded queue is at capacity; never for an unbounded one.
    /// (asyncio: `queue.full()`.)
    pub fn is_full(&self) -> bool {
        !self.shared.state.lock().has_room(self.shared.capacity)
    }

    /// The capacity of a bounded queue, `None` if unbounded.
    /// (asyncio: `queue.maxsize`, with 0 for unbounded.)
    pub fn capacity(&self) -> Option<usize> {
        self.shared.capacity
    }
}

impl<T> Clone for Queue<T> {
    /// Another handle to the same queue.
    fn clone(&self) -> Self {
        Queue {
            shared: self.shared.clone(),
        }
    }
}

impl<T> fmt::Debug for Queue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.shared.state.lock();
        f.debug_struct("Queue")
            .field("len", &state.items.len())
            .field("capacity", &self.shared.capacity)
            .field("closed", &state.closed)
            .field("unfinished", &state.unfinished)
            .finish()
    }
}

#[cfg(all(test, loom))]
mod loom_tests;
