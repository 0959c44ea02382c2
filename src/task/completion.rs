//! A set of join handles that reports tasks in the order they finish.
//!
//! This is the engine under `JoinSet`, `as_completed`, `wait`, `try_gather`
//! and `TaskGroup`. Each handle sits in a numbered slot; the set registers a
//! *slot waker* as the handle's join waker, and a finishing task wakes it,
//! which appends the slot number to a shared ready list and wakes whoever
//! polls the set. Polling the set then costs O(1) per finished task, however
//! many are still running.
//!
//! Slot wakers are not allocated per task: the set keeps immutable
//! `(shared, index)` records in chunks of [`CHUNK`] that never move and live
//! as long as the shared part, so a waker is a pointer to its record plus one
//! reference count on the shared part.
//!
//! # Invariants
//!
//! - A slot record never changes and is freed only with the shared part,
//!   which every slot waker keeps alive; a waker that outlives its handle (or
//!   whose slot was reused) can therefore only add a *stale* index to the
//!   ready list.
//! - The ready list may hold stale or duplicate indexes. The owner checks
//!   each one against the slot's current handle (`poll_finished`), so a
//!   stale index costs one check and is never mistaken for a finished task,
//!   and no completion is lost: a task wakes its join waker after it has
//!   published completion.
//! - A waker registered by `poll_ready` is taken by the first `notify` after
//!   it; `poll_ready` re-registers (under the same lock that `notify` pushes
//!   under) whenever it finds the list empty, so a push after the check wakes
//!   the new waker.

use crate::coop;
use crate::loom::sync::Mutex;
use crate::runtime::task::{Id, JoinError, JoinHandle};
use std::collections::VecDeque;
use std::fmt;
use std::mem::ManuallyDrop;
use std::sync::Arc;
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};

/// Slot records are allocated this many at a time.
const CHUNK: usize = 64;

/// The part slot wakers share with the set.
pub(crate) struct Shared {
    ready: Mutex<Ready>,
    /// Chunks of slot records (record `i` is `chunks[i / CHUNK][i % CHUNK]`).
    /// Only the owning set touches the vector: it pushes through
    /// `&mut CompletionSet` and reads through `&CompletionSet` to make a
    /// waker. Wakers hold pointers into the chunks, which
    /// never move (each is its own boxed slice) and are freed when the last
    /// `Arc<Shared>` goes.
    chunks: std::cell::UnsafeCell<Vec<Box<[Slot]>>>,
}

// SAFETY: `ready` is behind a mutex. The `chunks` vector is used only by
// the owning set (written through `&mut`, read through `&`); wakers reach
// their record through a pointer taken from a chunk, which never moves, and
// records are immutable.
unsafe impl Send for Shared {}
// SAFETY: as above.
unsafe impl Sync for Shared {}

struct Ready {
    /// Slots whose task may have finished, in wake order.
    list: Vec<u32>,
    /// The waker of the task polling the set, if it is waiting.
    waker: Option<Waker>,
}

/// What a slot waker points to.
struct Slot {
    shared: *const Shared,
    index: u32,
}

impl Shared {
    fn new() -> Shared {
        Shared {
            ready: Mutex::new(Ready {
                list: Vec::new(),
                waker: None,
            }),
            chunks: std::cell::UnsafeCell::new(Vec::new()),
        }
    }

    /// A task in slot `index` may have finished.
    fn notify(&self, index: u32) {
        let waker = {
            let mut ready = self.ready.lock();
            ready.list.push(index);
            ready.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Moves the ready list into `into`; if it is empty registers `waker`
    /// and returns false.
    fn drain_or_register(&self, into: &mut VecDeque<u32>, waker: &Waker) -> bool {
        let mut ready = self.ready.lock();
        if ready.list.is_empty() {
            match &ready.waker {
                Some(w) if w.will_wake(waker) => {}
                _ => ready.waker = Some(waker.clone()),
            }
            return false;
        }
        into.extend(ready.list.drain(..));
        true
    }

    /// Moves the ready list into `into` without registering anything.
    fn drain(&self, into: &mut VecDeque<u32>) {
        let mut ready = self.ready.lock();
        into.extend(ready.list.drain(..));
    }
}

static SLOT_WAKER: RawWakerVTable =
    RawWakerVTable::new(slot_clone, slot_wake, slot_wake_by_ref, slot_drop);

/// # Safety (all four)
///
/// `data` is a `*const Slot` inside a chunk of a live `Shared`, and each
/// waker owns one strong count of that `Shared` (the borrowed waker made by
/// `slot_waker` owns none, but is never dropped through the vtable).
unsafe fn slot_clone(data: *const ()) -> RawWaker {
    // SAFETY: see above: the record is alive while this waker is.
    let slot = unsafe { &*data.cast::<Slot>() };
    // SAFETY: `slot.shared` came from `Arc::as_ptr` and the Arc is alive.
    unsafe { Arc::increment_strong_count(slot.shared) };
    RawWaker::new(data, &SLOT_WAKER)
}

unsafe fn slot_wake(data: *const ()) {
    // SAFETY: forwarded.
    unsafe {
        slot_wake_by_ref(data);
        slot_drop(data);
    }
}

unsafe fn slot_wake_by_ref(data: *const ()) {
    // SAFETY: see `slot_clone`.
    let slot = unsafe { &*data.cast::<Slot>() };
    // SAFETY: this waker's strong count keeps `Shared` alive.
    unsafe { (*slot.shared).notify(slot.index) };
}

unsafe fn slot_drop(data: *const ()) {
    // SAFETY: see `slot_clone`. Read the pointer before releasing the count:
    // the release may free the chunk the record lives in.
    let shared = unsafe { (*data.cast::<Slot>()).shared };
    // SAFETY: this waker owned one strong count.
    unsafe { Arc::decrement_strong_count(shared) };
}

/// Handles in slots, reported as they finish.
pub(crate) struct CompletionSet<T> {
    shared: Arc<Shared>,
    /// Slot `i` holds the handle at `entries[i]`, if any.
    entries: Vec<Option<JoinHandle<T>>>,
    /// Empty slots, reused before new ones are made.
    free: Vec<u32>,
    len: usize,
    /// Slots drained from the shared list, not yet checked.
    ready: VecDeque<u32>,
    /// Abort the tasks still in the set when it is dropped.
    abort_on_drop: bool,
}

// SAFETY: the shared part is `Send + Sync`; the handles are `Send` when `T`
// is.
unsafe impl<T: Send> Send for CompletionSet<T> {}
// SAFETY: `&CompletionSet` exposes only `len`/iteration over handles, which
// are `Sync` when `T: Send`.
unsafe impl<T: Send> Sync for CompletionSet<T> {}

impl<T> CompletionSet<T> {
    /// A set that leaves its tasks running when dropped.
    pub(crate) fn new() -> CompletionSet<T> {
        CompletionSet {
            shared: Arc::new(Shared::new()),
            entries: Vec::new(),
            free: Vec::new(),
            len: 0,
            ready: VecDeque::new(),
            abort_on_drop: false,
        }
    }

    /// A set that owns its tasks: dropping it aborts those still in it.
    pub(crate) fn aborting() -> CompletionSet<T> {
        let mut set = CompletionSet::new();
        set.abort_on_drop = true;
        set
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// A waker for slot `index` that owns no reference: valid while `self`
    /// is, and never dropped through the vtable (the `ManuallyDrop`).
    fn slot_waker(&self, index: u32) -> ManuallyDrop<Waker> {
        let index = index as usize;
        // SAFETY: only the owner writes `chunks`, through `&mut self`; we
        // hold `&self`, so nothing writes it now.
        let chunks: &Vec<Box<[Slot]>> = unsafe { &*self.shared.chunks.get() };
        let record: *const Slot = &chunks[index / CHUNK][index % CHUNK];
        let raw = RawWaker::new(record.cast(), &SLOT_WAKER);
        // SAFETY: the record is alive as long as `self.shared`; clones made
        // from this waker take their own strong count (`slot_clone`).
        ManuallyDrop::new(unsafe { Waker::from_raw(raw) })
    }

    fn new_slot(&mut self) -> u32 {
        if let Some(index) = self.free.pop() {
            return index;
        }
        let index = self.entries.len();
        assert!(index < u32::MAX as usize, "too many tasks in one set");
        if index % CHUNK == 0 {
            let shared = Arc::as_ptr(&self.shared);
            let chunk: Box<[Slot]> = (0..CHUNK)
                .map(|i| Slot {
                    shared,
                    index: (index + i) as u32,
                })
                .collect();
            // SAFETY: only the owner touches `chunks`, and we have `&mut self`.
            unsafe { (*self.shared.chunks.get()).push(chunk) };
        }
        self.entries.push(None);
        index as u32
    }

    /// Adds `handle`; returns its slot.
    ///
    /// Slots are numbered 0, 1, 2, ... in insertion order until one is
    /// freed (`remove`, `take_output`, `take_all`), so a set that is filled
    /// first and drained at the end can use a slot as the handle's
    /// insertion position.
    pub(crate) fn insert(&mut self, mut handle: JoinHandle<T>) -> u32 {
        let index = self.new_slot();
        let waker = self.slot_waker(index);
        if handle
            .poll_finished(&mut Context::from_waker(&waker))
            .is_ready()
        {
            self.ready.push_back(index);
        }
        self.entries[index as usize] = Some(handle);
        self.len += 1;
        index
    }

    /// The next slot whose task has finished (its handle stays in the slot),
    /// `Ready(None)` if the set is empty; otherwise `cx` is woken when a
    /// task finishes.
    pub(crate) fn poll_finished(&mut self, cx: &mut Context<'_>) -> Poll<Option<u32>> {
        loop {
            if self.len == 0 {
                return Poll::Ready(None);
            }
            if let Some(index) = self.next_finished() {
                return Poll::Ready(Some(index));
            }
            if !self.shared.drain_or_register(&mut self.ready, cx.waker()) {
                return Poll::Pending;
            }
        }
    }

    /// Like `poll_finished`, but never waits: `None` if no task has finished.
    pub(crate) fn try_finished(&mut self) -> Option<u32> {
        if let Some(index) = self.next_finished() {
            return Some(index);
        }
        self.shared.drain(&mut self.ready);
        self.next_finished()
    }

    /// Checks the drained slots; the first whose task has finished.
    fn next_finished(&mut self) -> Option<u32> {
        while let Some(index) = self.ready.pop_front() {
            let waker = self.slot_waker(index);
            let Some(handle) = self.entries[index as usize].as_mut() else {
                continue; // stale: the slot is empty
            };
            // Re-registers the slot waker (a no-op if it is already the
            // join waker) when the index was stale and the task still runs.
            if handle
                .poll_finished(&mut Context::from_waker(&waker))
                .is_ready()
            {
                return Some(index);
            }
        }
        None
    }

    /// Takes the handle out of slot `index`, freeing the slot.
    ///
    /// # Panics
    ///
    /// If the slot is empty.
    pub(crate) fn remove(&mut self, index: u32) -> JoinHandle<T> {
        let handle = self.entries[index as usize]
            .take()
            .expect("completion set slot is empty");
        self.free.push(index);
        self.len -= 1;
        handle
    }

    /// Takes the output of the finished task in slot `index`, freeing the
    /// slot.
    pub(crate) fn take_output(&mut self, index: u32) -> Result<T, JoinError> {
        self.remove(index).take_finished_output()
    }

    /// The id and output of the next task to finish, taken out of the set;
    /// `Ready(None)` if the set is empty. Charges one unit of cooperative
    /// budget per task returned.
    pub(crate) fn poll_join_next(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<(Id, Result<T, JoinError>)>> {
        if self.is_empty() {
            return Poll::Ready(None);
        }
        let coop = std::task::ready!(coop::poll_proceed(cx));
        let Some(slot) = std::task::ready!(self.poll_finished(cx)) else {
            return Poll::Ready(None);
        };
        coop.made_progress();
        Poll::Ready(Some(self.take_with_id(slot)))
    }

    /// Like `poll_join_next`, but never waits: `None` if no task has
    /// finished.
    pub(crate) fn try_join_next(&mut self) -> Option<(Id, Result<T, JoinError>)> {
        let slot = self.try_finished()?;
        Some(self.take_with_id(slot))
    }

    fn take_with_id(&mut self, slot: u32) -> (Id, Result<T, JoinError>) {
        let mut handle = self.remove(slot);
        (handle.id(), handle.take_finished_output())
    }

    /// The handle in slot `index`, if any.
    pub(crate) fn get(&self, index: u32) -> Option<&JoinHandle<T>> {
        self.entries.get(index as usize).and_then(Option::as_ref)
    }

    /// Every handle, in slot order.
    pub(crate) fn handles(&self) -> impl Iterator<Item = &JoinHandle<T>> {
        self.entries.iter().filter_map(Option::as_ref)
    }

    /// Takes every handle out, in slot order, emptying the set.
    pub(crate) fn take_all(&mut self) -> Vec<JoinHandle<T>> {
        let mut out = Vec::with_capacity(self.len);
        self.free.clear();
        for (i, entry) in self.entries.iter_mut().enumerate() {
            // Keep the slot (and its record) for reuse.
            self.free.push(i as u32);
            out.extend(entry.take());
        }
        self.len = 0;
        self.ready.clear();
        out
    }

    /// Cancels every task in the set (their handles stay).
    pub(crate) fn abort_all(&self) {
        for handle in self.handles() {
            handle.abort();
        }
    }
}

impl<T> Drop for CompletionSet<T> {
    fn drop(&mut self) {
        if self.abort_on_drop {
            self.abort_all();
        }
    }
}

impl<T> fmt::Debug for CompletionSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CompletionSet")
            .field("len", &self.len)
            .finish()
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::loom::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc as StdArc;
    use std::task::Wake;

    struct CountWake(loom::sync::Arc<AtomicUsize>);

    impl Wake for CountWake {
        fn wake(self: StdArc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// A slot notified from another thread while the owner checks the list
    /// and registers its waker: the owner either sees the slot or is woken.
    #[test]
    fn loom_completion_notify_vs_register() {
        loom::model(|| {
            let shared = loom::sync::Arc::new(Shared::new());
            let woken = loom::sync::Arc::new(AtomicUsize::new(0));
            let waker = Waker::from(StdArc::new(CountWake(woken.clone())));

            let notifier = {
                let shared = shared.clone();
                loom::thread::spawn(move || shared.notify(7))
            };
            let mut got = VecDeque::new();
            let found = shared.drain_or_register(&mut got, &waker);
            notifier.join().unwrap();
            if found {
                assert_eq!(got, [7]);
            } else {
                assert_eq!(woken.load(Ordering::SeqCst), 1, "lost wake-up");
                assert!(shared.drain_or_register(&mut got, &waker));
                assert_eq!(got, [7]);
            }
        });
    }

    /// Two slots notified concurrently: both indexes arrive, whatever the
    /// interleaving with the owner's drains.
    #[test]
    fn loom_completion_two_notifiers() {
        loom::model(|| {
            let shared = loom::sync::Arc::new(Shared::new());
            let woken = loom::sync::Arc::new(AtomicUsize::new(0));
            let waker = Waker::from(StdArc::new(CountWake(woken.clone())));
            let threads: Vec<_> = [1u32, 2]
                .into_iter()
                .map(|i| {
                    let shared = shared.clone();
                    loom::thread::spawn(move || shared.notify(i))
                })
                .collect();
            let mut got = VecDeque::new();
            shared.drain_or_register(&mut got, &waker);
            for t in threads {
                t.join().unwrap();
            }
            shared.drain(&mut got);
            let mut got: Vec<_> = got.into_iter().collect();
            got.sort();
            assert_eq!(got, [1, 2]);
        });
    }
}
