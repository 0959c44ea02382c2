//! The list of every live task a scheduler owns.
//!
//! Runtime shutdown must reach tasks that no queue holds: idle tasks waiting
//! on a resource, whose only references are wakers stored somewhere. Each
//! scheduler therefore keeps its tasks in an intrusive doubly-linked list
//! (the links live in the task header, so listing a task allocates nothing),
//! split into shards by task id so that spawns and completions on different
//! workers rarely contend for the same lock.
//!
//! Invariants:
//! - A task is in at most one list, in the shard `id % shards`; its links
//!   are read and written only under that shard's lock.
//! - The list owns one reference to each listed task; `remove` hands it back.
//! - Once a shard is closed no task is added to it: `bind` (or
//!   `spawn_local`) on a closed list cancels the new task at once, so nothing
//!   is spawned after shutdown began.

use super::cell::{Header, Links, TaskName};
use super::raw::RawTask;
use super::{Id, JoinHandle, Notified, Schedule, Task};
use crate::loom::sync::Mutex;
use std::future::Future;
use std::marker::PhantomData;
use std::panic::Location;
use std::ptr::NonNull;

pub(crate) struct OwnedTasks<S: 'static> {
    shards: Box<[Mutex<Shard>]>,
    _p: PhantomData<fn(S)>,
}

struct Shard {
    head: Option<NonNull<Header>>,
    /// Tasks in this shard (kept per shard: a shared counter would be one
    /// more contended cache line on every spawn and completion).
    len: usize,
    closed: bool,
}

// SAFETY: the raw pointers in a shard are task headers, which are shared
// between threads by design; the shard is only accessed under its mutex.
unsafe impl Send for Shard {}

impl<S: Schedule> OwnedTasks<S> {
    /// A list with at least `shards` shards (rounded up to a power of two).
    pub(crate) fn new(shards: usize) -> OwnedTasks<S> {
        let n = shards.clamp(1, 256).next_power_of_two();
        OwnedTasks {
            shards: (0..n)
                .map(|_| {
                    Mutex::new(Shard {
                        head: None,
                        len: 0,
                        closed: false,
                    })
                })
                .collect(),
            _p: PhantomData,
        }
    }

    fn shard(&self, id: Id) -> &Mutex<Shard> {
        &self.shards[(id.as_u64() as usize) & (self.shards.len() - 1)]
    }

    /// Creates a task owned by this list, for a future (and output) that need
    /// not be `Send` (the tasks of a `LocalSet`), and schedules it on
    /// `scheduler`. If the list is closed the task is cancelled on the spot
    /// (awaiting the handle reports the cancellation). [`bind`](Self::bind)
    /// is the `Send` version, whose bounds make the contract below hold
    /// trivially.
    ///
    /// # Safety
    ///
    /// The calling thread becomes the task's *owning thread*, and the caller
    /// guarantees that:
    /// - the task is only ever run (`Notified::run`, which polls or cancels
    ///   the future) on the owning thread: `scheduler` never runs its
    ///   `Notified`s anywhere else;
    /// - this list is only ever shut down (`close_and_shutdown_all`, which
    ///   drops the futures of listed tasks) on the owning thread, and it is
    ///   shut down before the owner goes away. Until then the list's
    ///   reference keeps the cell alive, so the last reference (which may be
    ///   dropped on any thread, e.g. by a leftover waker) is only ever dropped
    ///   once the future is gone.
    ///
    /// The output is then dropped on the owning thread too: by the task side
    /// at completion, or by the `JoinHandle`, which is `!Send` when the output
    /// is.
    pub(crate) unsafe fn spawn_local<T, N>(
        &self,
        future: T,
        scheduler: &S,
        name: N,
        id: Id,
        location: &'static Location<'static>,
    ) -> JoinHandle<T::Output>
    where
        S: Clone,
        T: Future + 'static,
        T::Output: 'static,
        N: TaskName,
    {
        // SAFETY: forwarded to the caller.
        let (join, notified) =
            unsafe { self.bind_local(future, scheduler.clone(), name, id, location) };
        if let Some(notified) = notified {
            scheduler.schedule(notified);
        }
        join
    }

    /// Creates a task owned by this list and returns its `Notified` for the
    /// caller to queue (`None` if the list is closed: the task was cancelled
    /// on the spot).
    pub(crate) fn bind<T, N>(
        &self,
        future: T,
        scheduler: S,
        name: N,
        id: Id,
        location: &'static Location<'static>,
    ) -> (JoinHandle<T::Output>, Option<Notified<S>>)
    where
        T: Future + Send + 'static,
        T::Output: Send + 'static,
        N: TaskName,
    {
        // SAFETY: `Send` futures and outputs may run and drop anywhere.
        unsafe { self.bind_local(future, scheduler, name, id, location) }
    }

    /// [`bind`](Self::bind) for futures that need not be `Send`.
    ///
    /// # Safety
    ///
    /// As for [`spawn_local`](Self::spawn_local).
    unsafe fn bind_local<T, N>(
        &self,
        future: T,
        scheduler: S,
        name: N,
        id: Id,
        location: &'static Location<'static>,
    ) -> (JoinHandle<T::Output>, Option<Notified<S>>)
    where
        T: Future + 'static,
        T::Output: 'static,
        N: TaskName,
    {
        // References: the list, the Notified, the JoinHandle.
        let raw = RawTask::new(future, scheduler, name, id, location, 3);
        let join = JoinHandle::new(raw);
        let notified = Notified::from_raw(raw);
        let mut shard = self.shard(id).lock();
        if shard.closed {
            drop(shard);
            // Cancel it now, on the owning thread (the caller's): the list's
            // reference is consumed by shutdown, and the Notified is dropped
            // unused.
            raw.shutdown();
            drop(notified);
            return (join, None);
        }
        // SAFETY: the shard lock is held, and the new task is in no list.
        unsafe { push_front(&mut shard, raw.header_ptr()) };
        shard.len += 1;
        drop(shard);
        (join, Some(notified))
    }

    /// Takes `task` out of the list and returns the list's reference, or
    /// `None` if it was already taken out (by shutdown).
    pub(crate) fn remove(&self, task: &Task<S>) -> Option<Task<S>> {
        let raw = task.raw();
        let mut shard = self.shard(raw.id()).lock();
        // SAFETY: the shard lock is held.
        if unsafe { unlink(&mut shard, raw.header_ptr()) } {
            shard.len -= 1;
            Some(Task::from_raw(raw))
        } else {
            None
        }
    }

    /// Closes the list to new tasks and cancels every listed task, dropping
    /// its future on the calling thread (tasks running elsewhere are marked
    /// cancelled and finish at the end of their current poll). `start` picks
    /// the first shard, so that several workers can share the work.
    pub(crate) fn close_and_shutdown_all(&self, start: usize) {
        for shard in self.shards.iter() {
            shard.lock().closed = true;
        }
        let n = self.shards.len();
        for i in 0..n {
            let shard = &self.shards[(start + i) % n];
            loop {
                let task = {
                    let mut guard = shard.lock();
                    match guard.head {
                        // SAFETY: the lock is held and `head` is listed.
                        Some(head) => unsafe {
                            unlink(&mut guard, head);
                            guard.len -= 1;
                            RawTask::from_raw(head)
                        },
                        None => break,
                    }
                };
                // Outside the lock: the future's destructor may spawn, wake
                // or complete other tasks of this list.
                task.shutdown();
            }
        }
    }

    /// Calls `f` on every listed task, one shard at a time with that shard's
    /// lock held (the list's reference keeps each task alive meanwhile). `f`
    /// must not touch this list.
    pub(crate) fn for_each(&self, mut f: impl FnMut(RawTask)) {
        for shard in self.shards.iter() {
            let guard = shard.lock();
            let mut cursor = guard.head;
            while let Some(task) = cursor {
                // SAFETY: the lock is held: the task is listed (alive) and
                // its links are stable.
                cursor = unsafe { task.as_ref().owned.with(|l| (*l).next) };
                // SAFETY: listed tasks are live.
                f(unsafe { RawTask::from_raw(task) });
            }
        }
    }

    /// Number of tasks in the list.
    pub(crate) fn len(&self) -> usize {
        self.shards.iter().map(|s| s.lock().len).sum()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// # Safety
///
/// The shard's lock is held and `task` is in no list.
unsafe fn push_front(shard: &mut Shard, task: NonNull<Header>) {
    // SAFETY: the caller holds the lock guarding these links.
    unsafe {
        task.as_ref().owned.with_mut(|links| {
            *links = Links {
                prev: None,
                next: shard.head,
            }
        });
        if let Some(old) = shard.head {
            old.as_ref().owned.with_mut(|l| (*l).prev = Some(task));
        }
    }
    shard.head = Some(task);
}

/// Unlinks `task` if it is in this shard. Returns whether it was.
///
/// # Safety
///
/// The shard's lock is held, and `task` is either in this shard or in no
/// list (tasks are only ever listed in the shard of their id).
unsafe fn unlink(shard: &mut Shard, task: NonNull<Header>) -> bool {
    // SAFETY: the caller holds the lock guarding these links.
    unsafe {
        let Links { prev, next } = task.as_ref().owned.with(|l| Links {
            prev: (*l).prev,
            next: (*l).next,
        });
        match prev {
            Some(prev) => prev.as_ref().owned.with_mut(|l| (*l).next = next),
            None => {
                if shard.head != Some(task) {
                    return false;
                }
                shard.head = next;
            }
        }
        if let Some(next) = next {
            next.as_ref().owned.with_mut(|l| (*l).prev = prev);
        }
        task.as_ref().owned.with_mut(|l| *l = Links::default());
    }
    true
}
