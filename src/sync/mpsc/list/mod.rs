//! The message queue behind a channel: a lock-free FIFO with many pushers
//! and one popper, made of fixed-size blocks of slots.
//!
//! # Layout
//!
//! Every pushed value gets a global *index* (0, 1, 2, ...) from one
//! `fetch_add` on `tail.index`. Index `i` lives in slot `i % BLOCK_CAP` of
//! the block whose `start` is `i - i % BLOCK_CAP`. Blocks form a singly
//! linked chain through `next`, in increasing `start` order, each `start`
//! being its predecessor's plus `BLOCK_CAP`. A slot is a value cell plus a
//! `ready` flag. Indices are `u64`, so they never wrap in practice.
//!
//! Three pointers into the chain:
//!
//! - `head.rx.free_head`: the oldest block still allocated (consumer only);
//! - `head.rx.block`: the block holding the next index to pop (consumer
//!   only); every block before it is fully consumed;
//! - `tail.block`: a *hint* where pushers start walking. It only moves
//!   forward, one block at a time, and only past a block whose every slot is
//!   `ready` (see "Moving the tail hint").
//!
//! # Who owns a slot when
//!
//! 1. Unclaimed: nobody touches the value cell.
//! 2. Claimed by the pusher whose `fetch_add` returned its index: the pusher
//!    walks to its block (allocating blocks as needed), writes the value,
//!    then sets `ready` (Release). After that store the pusher touches
//!    nothing in the list any more.
//! 3. Ready: owned by the consumer, who sees `ready` (Acquire) at its head
//!    index, moves the value out and advances its index.
//!
//! A pusher only ever writes its own slot, and the consumer only reads the
//! slot at its head index after seeing `ready`, so value cells are never
//! accessed concurrently.
//!
//! # The consumer never waits
//!
//! If the head slot is claimed but not yet `ready` (or its block is not yet
//! linked), `pop` returns `None`, even if later slots are ready: it never
//! spins. This is safe for the channel (`chan.rs`) because:
//!
//! - a sender wakes the receiver only after its `push` returned, i.e. after
//!   its `ready` store, so the slow pusher's own wake-up follows and the
//!   receiver, which registered its waker before its last `pop`, polls
//!   again;
//! - the receiver decides that the stream is over only when `tx_count` is 0
//!   (an `Acquire` load synchronising with every sender's `AcqRel`
//!   decrement, and every push is made by a live strong sender, before it
//!   drops) or when the capacity is closed and idle (every message holds a
//!   unit of capacity from before its push until it is popped, so "idle"
//!   means nothing is mid-push). Either way every push has completed and is
//!   visible, so a claimed-but-unwritten slot cannot be mistaken for the end;
//! - when the receiver is dropped it drains what is ready; values whose push
//!   finishes later are dropped by `List`'s `Drop` (with the channel).
//!
//! `len` is `tail.index - head.index`: it counts claimed slots, including
//! ones whose push is still in progress (crossbeam's `Injector`, used before,
//! counted the same way). For the receiver (`Receiver::len`/`is_empty`) it is
//! exact for every completed push; from other threads (`Debug`) it is a
//! snapshot.
//!
//! # Moving the tail hint
//!
//! A pusher reads `tail.block` *after* its `fetch_add`, and walks forward to
//! its block. While walking, when it passes a block `b` whose slots are all
//! `ready` (Acquire loads), it tries to CAS `tail.block` from `b` to
//! `b.next`; the one that succeeds *releases* `b` (below). Since the hint
//! only passes blocks whose every claimed index is written, a pusher with an
//! unwritten index always finds the hint at or before its own block. (The
//! Acquire loads of `ready` matter: the pusher that set one of them read the
//! hint earlier, and must not be able to read a hint moved because of its
//! own later store.)
//!
//! # Releasing and reclaiming a block
//!
//! A pusher can hold a pointer to a block only if it got it from the hint
//! (or walked to it from there). The releaser, after its CAS on the hint,
//! does `observed = tail.index.fetch_add(0, Release)` and stores `observed`
//! in `b.released_at` (Release; it is never 0, as the releaser's own claim
//! came first). Then for any pusher `p`:
//!
//! - if `p` claimed an index `< observed`, the consumer cannot get past that
//!   index until `p` sets its `ready` flag, which `p` does after its last
//!   access to `b` (walking happens before writing);
//! - otherwise `p`'s `fetch_add` (Acquire) comes after the releaser's
//!   Release RMW in `tail.index`'s modification order, so it synchronises
//!   with it and `p`'s later load of the hint sees `b.next` or a later
//!   block: `p` never reaches `b`.
//!
//! So once the consumer's index is `>= released_at` (and it moved past `b`)
//! nobody else can touch `b`. Released blocks are a prefix of the chain (the
//! hint moves in order), and the consumer reclaims them from `free_head` in
//! order, never `tail.block` itself (it is not released).
//!
//! A reclaimed block is reset and *recycled*: the consumer tries to link it
//! after the end of the chain (a CAS on the last block's `next`, at most
//! `APPEND_ATTEMPTS` hops past the hint), so in steady state a channel
//! allocates nothing; if the chain already has spare blocks there it is
//! freed instead, which bounds the memory kept after a burst. A pusher that
//! loses the race to link a freshly allocated block does the same with its
//! block. Only the consumer frees blocks (and `Drop`, which owns
//! everything).
//!
//! # Memory orderings
//!
//! - `ready`: Release store after writing the value / Acquire load before
//!   reading it (also what makes a drained block safe to reuse, above).
//! - `next`: linking CAS is Release (publishes the new block's reset state
//!   and `start`), loads and failed CASes are Acquire.
//! - `tail.block`: CAS Release, load Acquire (a pusher reads `start` of the
//!   block it loads).
//! - `tail.index`: pushers' `fetch_add` is Acquire, the releaser's
//!   `fetch_add(0)` is Release (the release-sequence argument above).
//! - `released_at`: Release store / Acquire load, so the releaser's and
//!   walkers' accesses to the block happen before its reuse.
//! - `head.index` (a mirror of the consumer's index for `len`): Release
//!   store / Acquire load; it is only informative.

use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::{AtomicBool, AtomicU64, Ordering::*};
use crossbeam_utils::CachePadded;
use std::mem::MaybeUninit;
use std::ptr;

#[cfg(not(loom))]
use std::sync::atomic::AtomicPtr;

#[cfg(loom)]
use loom::sync::atomic::AtomicPtr;

#[cfg(all(test, loom))]
mod loom_tests;

/// Slots per block. Small under loom so that block transitions are explored.
#[cfg(not(loom))]
const BLOCK_CAP: usize = 32;
#[cfg(loom)]
const BLOCK_CAP: usize = 2;

const OFFSET_MASK: u64 = BLOCK_CAP as u64 - 1;

/// How many blocks past the tail hint a spare block may be linked.
const APPEND_ATTEMPTS: usize = 3;

struct Slot<T> {
    ready: AtomicBool,
    value: UnsafeCell<MaybeUninit<T>>,
}

struct Block<T> {
    /// Index of `slots[0]`. Written only while the block is private (fresh,
    /// or being recycled), read by whoever reached it through a `next` or
    /// `tail.block` pointer loaded with Acquire.
    start: UnsafeCell<u64>,
    next: AtomicPtr<Block<T>>,
    /// 0 until released, then the tail index observed by the releaser.
    released_at: AtomicU64,
    slots: [Slot<T>; BLOCK_CAP],
}

impl<T> Block<T> {
    /// Allocates a block covering `start..start + BLOCK_CAP`.
    fn alloc(start: u64) -> *mut Block<T> {
        let mut b = Box::<Block<T>>::new_uninit();
        let p = b.as_mut_ptr();
        // SAFETY: `p` points to memory for a `Block<T>` that we own. Each
        // field is written once with `ptr::write` through `addr_of_mut!`,
        // without reading or creating references to uninitialised data; the
        // value cells hold `MaybeUninit`, so every field is initialised
        // before `assume_init`.
        unsafe {
            ptr::addr_of_mut!((*p).start).write(UnsafeCell::new(start));
            ptr::addr_of_mut!((*p).next).write(AtomicPtr::new(ptr::null_mut()));
            ptr::addr_of_mut!((*p).released_at).write(AtomicU64::new(0));
            let slots = ptr::addr_of_mut!((*p).slots) as *mut Slot<T>;
            for i in 0..BLOCK_CAP {
                let s = slots.add(i);
                ptr::addr_of_mut!((*s).ready).write(AtomicBool::new(false));
                ptr::addr_of_mut!((*s).value).write(UnsafeCell::new(MaybeUninit::uninit()));
            }
            Box::into_raw(b.assume_init())
        }
    }

    /// Frees a block that nobody else can reach. Its value cells must not
    /// hold values (they are `MaybeUninit`, so nothing is dropped).
    ///
    /// # Safety
    ///
    /// `b` came from [`Block::alloc`], is not freed yet, and no other thread
    /// can access it any more.
    unsafe fn free(b: *mut Block<T>) {
        // SAFETY: per the contract, `b` is live and exclusively ours.
        unsafe {
            // A write access, so that loom checks that every read of
            // `start` by a pusher happened before the block is freed.
            (*b).start.with_mut(|_| ());
            drop(Box::from_raw(b));
        }
    }

    fn start(&self) -> u64 {
        // SAFETY: `start` is written only while the block is private (see
        // the field); we reached `self` through an Acquire load of a
        // pointer published after that write.
        self.start.with(|p| unsafe { *p })
    }

    /// # Safety
    ///
    /// The block is private to the caller (not linked, or unreachable by
    /// every other thread).
    unsafe fn set_start(&self, start: u64) {
        // SAFETY: the block is private, per the contract.
        self.start.with_mut(|p| unsafe { *p = start });
    }

    /// Every slot's value has been written.
    fn is_full(&self) -> bool {
        // Acquire: see "Moving the tail hint" in the module docs.
        self.slots.iter().all(|s| s.ready.load(Acquire))
    }
}

/// The pushers' side.
struct Tail<T> {
    /// Number of indices claimed so far.
    index: AtomicU64,
    /// Where pushers start walking; see the module docs.
    block: AtomicPtr<Block<T>>,
}

/// The consumer's private state.
struct Rx<T> {
    /// Next index to pop.
    index: u64,
    /// Block holding `index`, or the one before it when `index ==
    /// block_end` (its successor was not linked when we last looked).
    block: *mut Block<T>,
    /// `start + BLOCK_CAP` of `block`.
    block_end: u64,
    /// Oldest block not yet reclaimed.
    free_head: *mut Block<T>,
}

/// The consumer's side.
struct Head<T> {
    rx: UnsafeCell<Rx<T>>,
    /// Mirror of `rx.index` for `len`, which any thread may call.
    index: AtomicU64,
}

pub(crate) struct List<T> {
    tail: CachePadded<Tail<T>>,
    head: CachePadded<Head<T>>,
}

// SAFETY: the list owns the `T`s it holds and hands each to exactly one
// popper, so moving or sharing the list moves `T`s between threads (`T:
// Send`), never shares a `T`. The raw block pointers are owned by the list.
// The consumer-only state is touched only by `pop` (whose contract is that
// one thread pops at a time) and `Drop`.
unsafe impl<T: Send> Send for List<T> {}
// SAFETY: as above; all shared state is atomics or cells whose accesses are
// ordered as the module docs describe.
unsafe impl<T: Send> Sync for List<T> {}

impl<T> List<T> {
    pub(crate) fn new() -> List<T> {
        let first = Block::alloc(0);
        List {
            tail: CachePadded::new(Tail {
                index: AtomicU64::new(0),
                block: AtomicPtr::new(first),
            }),
            head: CachePadded::new(Head {
                rx: UnsafeCell::new(Rx {
                    index: 0,
                    block: first,
                    block_end: BLOCK_CAP as u64,
                    free_head: first,
                }),
                index: AtomicU64::new(0),
            }),
        }
    }

    /// Appends `value`. Lock-free: never waits for another thread.
    #[inline]
    pub(crate) fn push(&self, value: T) {
        // Acquire: see "Releasing and reclaiming a block".
        let index = self.tail.index.fetch_add(1, Acquire);
        let hint = self.tail.block.load(Acquire);
        // SAFETY: the hint, loaded after our claim of the unwritten `index`,
        // is not reclaimed before we set our `ready` flag (module docs).
        let block = unsafe { &*hint };
        let block = if block.start() == index & !OFFSET_MASK {
            // The common case: our block is the hint.
            block
        } else {
            self.find_block(index, hint)
        };
        let slot = &block.slots[(index & OFFSET_MASK) as usize];
        // SAFETY: we claimed `index`, so this slot's cell is ours until we
        // set `ready`; it holds no value (fresh or recycled block).
        slot.value
            .with_mut(|p| unsafe { p.write(MaybeUninit::new(value)) });
        slot.ready.store(true, Release);
    }

    /// Walks from the tail hint to the block holding `index` (claimed by the
    /// caller and not yet written), linking new blocks as needed and moving
    /// the hint past full blocks.
    ///
    /// `block` is the tail hint, loaded after the claim.
    #[inline(never)]
    fn find_block(&self, index: u64, mut block: *mut Block<T>) -> &Block<T> {
        let target = index & !OFFSET_MASK;
        let mut may_advance = true;
        loop {
            // SAFETY: `block` is the hint or was reached from it through
            // `next`, after our claim of the unwritten `index`: it is not
            // reclaimed before we set our `ready` flag (module docs).
            let b = unsafe { &*block };
            let start = b.start();
            if start == target {
                return b;
            }
            debug_assert!(start < target, "tail hint past an unwritten index");
            let mut next = b.next.load(Acquire);
            if next.is_null() {
                next = self.grow(b);
            }
            if may_advance {
                if b.is_full()
                    && self
                        .tail
                        .block
                        .compare_exchange(block, next, Release, Relaxed)
                        .is_ok()
                {
                    // We moved the hint past `b`: release it.
                    let observed = self.tail.index.fetch_add(0, Release);
                    b.released_at.store(observed, Release);
                } else {
                    // The hint cannot pass a block that is not full, and if
                    // another pusher moved it, that pusher carries on.
                    may_advance = false;
                }
            }
            block = next;
        }
    }

    /// Links a new block after `b` (whose `next` was null) and returns `b`'s
    /// successor, ours or the one another thread linked first.
    #[cold]
    fn grow(&self, b: &Block<T>) -> *mut Block<T> {
        let new = Block::<T>::alloc(b.start() + BLOCK_CAP as u64);
        match b
            .next
            .compare_exchange(ptr::null_mut(), new, Release, Acquire)
        {
            Ok(_) => new,
            Err(actual) => {
                // SAFETY: `new` is private; `actual` follows a block we may
                // access, so it may be accessed too (module docs).
                unsafe { append_or_free(actual, new) };
                actual
            }
        }
    }

    /// Takes the oldest value, or returns `None` if the next slot in order
    /// is not ready yet (even if later ones are).
    ///
    /// # Safety
    ///
    /// Only one thread may be inside `pop` at a time (the channel's single
    /// receiver).
    #[inline]
    pub(crate) unsafe fn pop(&self) -> Option<T> {
        // SAFETY: per the contract, nobody else accesses the consumer state
        // concurrently (`Drop` has `&mut self`, `len` reads the mirror).
        self.head
            .rx
            .with_mut(|rx| unsafe { self.pop_inner(&mut *rx) })
    }

    #[inline]
    fn pop_inner(&self, rx: &mut Rx<T>) -> Option<T> {
        let index = rx.index;
        if index == rx.block_end {
            // SAFETY: `rx.block` is not reclaimed while it is the head block.
            let next = unsafe { (*rx.block).next.load(Acquire) };
            if next.is_null() {
                return None;
            }
            rx.block = next;
            rx.block_end += BLOCK_CAP as u64;
        }
        // SAFETY: as above.
        let block = unsafe { &*rx.block };
        let slot = &block.slots[(index & OFFSET_MASK) as usize];
        if !slot.ready.load(Acquire) {
            return None;
        }
        // SAFETY: `ready` (Acquire) shows the pusher wrote the value and
        // will not touch the slot again; the consumer takes it once, as its
        // index moves on right after.
        let value = slot.value.with(|p| unsafe { p.read().assume_init() });
        rx.index = index + 1;
        self.head.index.store(index + 1, Release);
        if rx.free_head != rx.block {
            self.reclaim(rx);
        }
        Some(value)
    }

    /// Recycles the fully consumed blocks before the head block that no
    /// pusher can reach any more.
    #[cold]
    fn reclaim(&self, rx: &mut Rx<T>) {
        while rx.free_head != rx.block {
            let old = rx.free_head;
            // SAFETY: blocks from `free_head` on are allocated; only the
            // consumer frees them.
            let b = unsafe { &*old };
            let released_at = b.released_at.load(Acquire);
            if released_at == 0 || released_at > rx.index {
                return;
            }
            // Non-null: the consumer walked past `b`.
            rx.free_head = b.next.load(Relaxed);
            // Nobody else can reach `b` now (module docs): reset it.
            b.next.store(ptr::null_mut(), Relaxed);
            b.released_at.store(0, Relaxed);
            for s in &b.slots {
                s.ready.store(false, Relaxed);
            }
            let tail = self.tail.block.load(Acquire);
            // SAFETY: `old` is private now; `tail` is never reclaimed while
            // it is the hint, and only this thread reclaims.
            unsafe { append_or_free(tail, old) };
        }
    }

    /// Number of claimed, not yet popped values (see the module docs).
    pub(crate) fn len(&self) -> usize {
        let head = self.head.index.load(Acquire);
        let tail = self.tail.index.load(Acquire);
        tail.saturating_sub(head) as usize
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Links the private block `spare` after the last block of the chain,
/// looking at most `APPEND_ATTEMPTS` blocks from `at`; frees it otherwise.
///
/// # Safety
///
/// `spare` is private to the caller, holds no values and has a null `next`
/// and zero `released_at`; `at` and the blocks after it cannot be reclaimed
/// during the call.
unsafe fn append_or_free<T>(mut at: *mut Block<T>, spare: *mut Block<T>) {
    for _ in 0..APPEND_ATTEMPTS {
        // SAFETY: `at` is `at` or after it, so live per the contract;
        // `spare` is private until the CAS publishes it (Release).
        unsafe {
            let a = &*at;
            (*spare).set_start(a.start() + BLOCK_CAP as u64);
            match a
                .next
                .compare_exchange(ptr::null_mut(), spare, Release, Acquire)
            {
                Ok(_) => return,
                Err(next) => at = next,
            }
        }
    }
    // SAFETY: never published, so still private.
    unsafe { Block::free(spare) };
}

impl<T> Drop for List<T> {
    fn drop(&mut self) {
        // `&mut self`: every push and pop has finished and happens before
        // this (the channel's `Arc`), so Relaxed loads see everything.
        let tail = self.tail.index.load(Relaxed);
        self.head.rx.with_mut(|rx| {
            // SAFETY: exclusive access.
            let rx = unsafe { &mut *rx };
            let mut block = rx.block;
            let mut end = rx.block_end;
            for index in rx.index..tail {
                if index == end {
                    // SAFETY: blocks from `free_head` on are live and ours.
                    block = unsafe { (*block).next.load(Relaxed) };
                    end += BLOCK_CAP as u64;
                }
                // SAFETY: as above; every claimed slot was written (a push
                // cannot stop between its claim and its `ready` store).
                let slot = unsafe { &(*block).slots[(index & OFFSET_MASK) as usize] };
                if slot.ready.load(Relaxed) {
                    // SAFETY: a ready, unpopped slot holds a value, dropped
                    // once here.
                    slot.value
                        .with_mut(|p| unsafe { ptr::drop_in_place((*p).as_mut_ptr()) });
                }
            }
            let mut b = rx.free_head;
            while !b.is_null() {
                // SAFETY: each chain block is live, ours, and freed once.
                unsafe {
                    let next = (*b).next.load(Relaxed);
                    Block::free(b);
                    b = next;
                }
            }
        });
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::{List, BLOCK_CAP};
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use std::sync::Arc;

    /// Counts its drops.
    struct Counted(Arc<AtomicUsize>);

    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, SeqCst);
        }
    }

    #[test]
    fn fifo_four_producers() {
        const PRODUCERS: usize = 4;
        const PER: usize = 100_000;
        let list = Arc::new(List::new());
        let handles: Vec<_> = (0..PRODUCERS)
            .map(|p| {
                let list = list.clone();
                std::thread::spawn(move || {
                    for i in 0..PER {
                        list.push((p, i));
                    }
                })
            })
            .collect();
        let mut next = [0usize; PRODUCERS];
        let mut seen = 0;
        while seen < PRODUCERS * PER {
            // SAFETY: this thread is the only popper.
            match unsafe { list.pop() } {
                Some((p, i)) => {
                    assert_eq!(i, next[p], "producer {p} out of order");
                    next[p] += 1;
                    seen += 1;
                }
                None => std::thread::yield_now(),
            }
        }
        for h in handles {
            h.join().unwrap();
        }
        // SAFETY: single popper.
        assert!(unsafe { list.pop() }.is_none());
        assert_eq!(next, [PER; PRODUCERS]);
        assert!(list.is_empty());
    }

    #[test]
    fn drop_with_values_across_blocks() {
        let drops = Arc::new(AtomicUsize::new(0));
        let list = List::new();
        let n = BLOCK_CAP * 5 + 3;
        for _ in 0..n {
            list.push(Counted(drops.clone()));
        }
        // Pop a block and a bit, so the head is mid-chain.
        for _ in 0..BLOCK_CAP + 2 {
            // SAFETY: single popper.
            drop(unsafe { list.pop() }.unwrap());
        }
        assert_eq!(drops.load(SeqCst), BLOCK_CAP + 2);
        drop(list);
        assert_eq!(drops.load(SeqCst), n);
    }

    #[test]
    fn drop_at_block_boundary() {
        let drops = Arc::new(AtomicUsize::new(0));
        let list = List::new();
        for _ in 0..BLOCK_CAP * 2 {
            list.push(Counted(drops.clone()));
        }
        for _ in 0..BLOCK_CAP {
            // SAFETY: single popper.
            drop(unsafe { list.pop() }.unwrap());
        }
        drop(list);
        assert_eq!(drops.load(SeqCst), BLOCK_CAP * 2);
    }

    #[test]
    fn len_and_reuse() {
        let list = List::new();
        assert_eq!(list.len(), 0);
        assert!(list.is_empty());
        for round in 0..10 {
            for i in 0..3 * BLOCK_CAP + 1 {
                list.push(i);
                assert_eq!(list.len(), i + 1);
            }
            assert!(!list.is_empty());
            for i in 0..3 * BLOCK_CAP + 1 {
                // SAFETY: single popper.
                assert_eq!(unsafe { list.pop() }, Some(i), "round {round}");
                assert_eq!(list.len(), 3 * BLOCK_CAP - i);
            }
            // SAFETY: single popper.
            assert_eq!(unsafe { list.pop() }, None);
            assert!(list.is_empty());
        }
    }

    #[test]
    fn interleaved_push_pop_reuses_blocks() {
        let list = List::new();
        let mut expect = 0u64;
        for i in 0..10 * BLOCK_CAP as u64 {
            list.push(i);
            if i % 3 != 0 {
                // SAFETY: single popper.
                assert_eq!(unsafe { list.pop() }, Some(expect));
                expect += 1;
            }
        }
        // SAFETY: single popper.
        while let Some(v) = unsafe { list.pop() } {
            assert_eq!(v, expect);
            expect += 1;
        }
        assert_eq!(expect, 10 * BLOCK_CAP as u64);
    }
}
