//! The hierarchical timing wheel: 6 levels of 64 slots.
//!
//! # Geometry
//!
//! Time is counted in *ticks* (1 ms each, counted by the owner of the wheel).
//! Level `L` has 64 slots; a slot of level `L` spans `64^L` ticks, the whole
//! level `64^(L+1)` ticks. Level 0 has 1-tick slots, level 5 spans `2^36`
//! ticks (about 2.2 years). A tick number written in base 64 has one *digit*
//! per level: the slot index of a tick at level `L` is its digit `L`.
//!
//! `elapsed` is the last tick the wheel has been advanced to: every entry
//! with `when <= elapsed` has been handed out by [`Wheel::poll`]. An entry
//! with `when > elapsed` lives on the level of the highest base-64 digit in
//! which `when` and `elapsed` differ, in the slot named by that digit of
//! `when`. Hence, for levels 0..=4, an occupied slot's digit is always
//! *greater* than `elapsed`'s digit on that level (no wrap-around), and every
//! entry on a lower level expires before every entry on a higher level: the
//! next expiration is the first occupied slot (after `elapsed`'s digit) of
//! the lowest non-empty level.
//!
//! Deadlines `2^36` or more ticks past `elapsed` (or that cross a `2^36`
//! boundary) are *clamped* onto level 5, in the slot named by their digit 5.
//! A level-5 slot whose digit is not after `elapsed`'s digit is read as
//! belonging to the *next* turn of the top level (its deadline is
//! `+ 2^36`). When such a slot comes due, entries that are still not due are
//! simply re-inserted; so a far deadline never fires early and never
//! overflows, it is revisited at most once per 2.2 years.
//!
//! When time reaches the start of an occupied slot, the whole slot is taken:
//! `elapsed` becomes the slot's start, due entries (`when == elapsed`) move
//! to the `pending` list, the rest *cascade* to lower levels. `poll` then
//! hands out pending entries one at a time, so the caller can stop (to wake
//! a batch outside its lock) and resume later: between calls the wheel is
//! always consistent.
//!
//! # Ownership and safety contract
//!
//! The wheel stores raw pointers to [`WheelNode`]s that live elsewhere
//! (inline in pinned timer entries). The wheel does not own them. The
//! caller guarantees, for every linked node:
//! - it stays at the same address and alive until it is unlinked (by
//!   [`Wheel::remove`], or handed out by [`Wheel::poll`] / [`Wheel::pop_any`]);
//! - its `links` are only accessed by this wheel, while the caller has
//!   exclusive access to the wheel (in the runtime: under the wheel mutex).
//!
//! A node's `location` says where it is: `UNLINKED`, `PENDING`, or
//! `level * 64 + slot`. Lists are doubly linked and headed (no tail), so
//! insert and remove are O(1); each level keeps a 64-bit occupancy bitmap
//! whose bit `s` is set iff slot `s` is non-empty.

use crate::loom::cell::UnsafeCell;
use std::fmt;
use std::marker::PhantomPinned;
use std::ptr::NonNull;

/// Number of levels.
pub(super) const LEVELS: usize = 6;
/// log2 of the number of slots per level.
const SLOT_BITS: u32 = 6;
/// Slots per level.
const SLOTS: usize = 1 << SLOT_BITS;
/// Ticks covered by the whole wheel (one turn of the top level).
pub(super) const SPAN: u64 = 1 << (SLOT_BITS as usize * LEVELS);

/// `location` of a node that is in no list.
const UNLINKED: u16 = u16::MAX;
/// `location` of a node on the pending (due) list.
const PENDING: u16 = (LEVELS * SLOTS) as u16;

/// The part of a timer the wheel links. Must not move while linked.
pub(super) struct WheelNode {
    /// Guarded by the wheel's owner (the wheel mutex): see the module docs.
    links: UnsafeCell<Links>,
    _pin: PhantomPinned,
}

#[derive(Clone, Copy)]
struct Links {
    prev: Option<NonNull<WheelNode>>,
    next: Option<NonNull<WheelNode>>,
    /// The tick this node is due at (valid while linked).
    when: u64,
    /// Where the node is linked: `UNLINKED`, `PENDING` or `level * 64 + slot`.
    location: u16,
}

impl WheelNode {
    pub(super) fn new() -> WheelNode {
        WheelNode {
            links: UnsafeCell::new(Links {
                prev: None,
                next: None,
                when: 0,
                location: UNLINKED,
            }),
            _pin: PhantomPinned,
        }
    }
}

impl fmt::Debug for WheelNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The links are guarded by the wheel lock, which we do not hold.
        f.debug_struct("WheelNode").finish_non_exhaustive()
    }
}

/// Reads a node's links.
///
/// # Safety
/// The caller has exclusive access to the wheel that `node` is (or is about
/// to be) linked into, and `node` is alive.
unsafe fn links(node: NonNull<WheelNode>) -> Links {
    // SAFETY: guaranteed by the caller (links are wheel-guarded; node alive).
    unsafe { node.as_ref() }.links.with(|p| unsafe { *p })
}

/// Updates a node's links.
///
/// # Safety
/// As for [`links`].
unsafe fn update(node: NonNull<WheelNode>, f: impl FnOnce(&mut Links)) {
    // SAFETY: guaranteed by the caller; nobody else reads or writes the links
    // while the wheel is exclusively borrowed.
    unsafe { node.as_ref() }
        .links
        .with_mut(|p| f(unsafe { &mut *p }))
}

/// An intrusive doubly-linked list of nodes (head only).
#[derive(Clone, Copy)]
struct List {
    head: Option<NonNull<WheelNode>>,
}

impl List {
    const EMPTY: List = List { head: None };

    fn is_empty(&self) -> bool {
        self.head.is_none()
    }

    /// # Safety
    /// Wheel contract; `node` is unlinked.
    unsafe fn push_front(&mut self, node: NonNull<WheelNode>, when: u64, location: u16) {
        let old = self.head;
        // SAFETY: wheel contract (exclusive access, nodes alive).
        unsafe {
            update(node, |l| {
                debug_assert_eq!(l.location, UNLINKED, "node linked twice");
                *l = Links {
                    prev: None,
                    next: old,
                    when,
                    location,
                };
            });
            if let Some(old) = old {
                update(old, |l| l.prev = Some(node));
            }
        }
        self.head = Some(node);
    }

    /// # Safety
    /// Wheel contract; `node` is linked in this list.
    unsafe fn unlink(&mut self, node: NonNull<WheelNode>) {
        // SAFETY: wheel contract; the neighbours are linked, hence alive.
        unsafe {
            let l = links(node);
            match l.prev {
                Some(prev) => update(prev, |p| p.next = l.next),
                None => {
                    debug_assert_eq!(self.head, Some(node));
                    self.head = l.next;
                }
            }
            if let Some(next) = l.next {
                update(next, |n| n.prev = l.prev);
            }
            update(node, |n| {
                n.prev = None;
                n.next = None;
                n.location = UNLINKED;
            });
        }
    }

    /// # Safety
    /// Wheel contract.
    unsafe fn pop_front(&mut self) -> Option<NonNull<WheelNode>> {
        let node = self.head?;
        // SAFETY: `node` is the head of this list.
        unsafe { self.unlink(node) };
        Some(node)
    }
}

struct Level {
    /// Bit `s` set iff `slots[s]` is non-empty.
    occupied: u64,
    slots: [List; SLOTS],
}

/// Where the wheel must next do work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Expiration {
    level: usize,
    slot: usize,
    /// The tick at which the slot comes due (its start).
    pub(super) deadline: u64,
}

/// The timing wheel. Not synchronized: the owner serializes all access.
pub(super) struct Wheel {
    elapsed: u64,
    levels: [Level; LEVELS],
    /// Entries that are due (`when <= elapsed`) but not yet handed out.
    pending: List,
    /// Number of linked nodes.
    len: usize,
}

// SAFETY: the wheel only holds pointers to nodes whose links it alone
// accesses, under the exclusive access of its owner (see the module docs);
// moving the wheel to another thread moves that exclusive access with it.
unsafe impl Send for Wheel {}

impl fmt::Debug for Wheel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wheel")
            .field("elapsed", &self.elapsed)
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

/// Ticks spanned by one slot of `level`.
fn slot_span(level: usize) -> u64 {
    1 << (SLOT_BITS as usize * level)
}

/// `when`'s slot index on `level`.
fn digit(when: u64, level: usize) -> usize {
    ((when >> (SLOT_BITS as usize * level)) as usize) & (SLOTS - 1)
}

/// The (level, slot) of a node due at `when` (> `elapsed`).
fn position(elapsed: u64, when: u64) -> (usize, usize) {
    // The highest differing bit picks the level; `| (SLOTS - 1)` makes the
    // minimum level 0, `min(SPAN - 1)` clamps far deadlines onto level 5.
    let differing = ((elapsed ^ when) | (SLOTS as u64 - 1)).min(SPAN - 1);
    let high_bit = 63 - differing.leading_zeros() as usize;
    let level = high_bit / SLOT_BITS as usize;
    (level, digit(when, level))
}

impl Wheel {
    pub(super) fn new() -> Wheel {
        const EMPTY_LEVEL: Level = Level {
            occupied: 0,
            slots: [List::EMPTY; SLOTS],
        };
        Wheel {
            elapsed: 0,
            levels: [EMPTY_LEVEL; LEVELS],
            pending: List::EMPTY,
            len: 0,
        }
    }

    /// The tick the wheel has been advanced to.
    #[cfg(all(test, not(loom)))]
    pub(super) fn elapsed(&self) -> u64 {
        self.elapsed
    }

    #[cfg(all(test, not(loom)))]
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Links `node` to come due at tick `when`. Fails (leaving the node
    /// unlinked) if `when <= elapsed`: the caller must treat it as due now.
    ///
    /// # Safety
    /// Wheel contract (module docs): `node` is alive, unlinked, and stays put
    /// until it is unlinked.
    pub(super) unsafe fn insert(&mut self, node: NonNull<WheelNode>, when: u64) -> Result<(), ()> {
        if when <= self.elapsed {
            return Err(());
        }
        let (level, slot) = position(self.elapsed, when);
        let lvl = &mut self.levels[level];
        // SAFETY: forwarded from the caller.
        unsafe { lvl.slots[slot].push_front(node, when, (level * SLOTS + slot) as u16) };
        lvl.occupied |= 1 << slot;
        self.len += 1;
        Ok(())
    }

    /// True if `node` is linked in a wheel (this one, by the contract).
    ///
    /// # Safety
    /// Wheel contract; `node` is alive.
    pub(super) unsafe fn is_linked(&self, node: NonNull<WheelNode>) -> bool {
        // SAFETY: forwarded from the caller.
        unsafe { links(node) }.location != UNLINKED
    }

    /// The tick a linked node is due at.
    ///
    /// # Safety
    /// Wheel contract; `node` is linked in this wheel.
    pub(super) unsafe fn when(&self, node: NonNull<WheelNode>) -> u64 {
        // SAFETY: forwarded from the caller.
        unsafe { links(node) }.when
    }

    /// Unlinks `node`. O(1).
    ///
    /// # Safety
    /// Wheel contract; `node` is linked in this wheel.
    pub(super) unsafe fn remove(&mut self, node: NonNull<WheelNode>) {
        // SAFETY: forwarded from the caller.
        let location = unsafe { links(node) }.location;
        debug_assert_ne!(location, UNLINKED);
        if location == PENDING {
            // SAFETY: the node is on the pending list.
            unsafe { self.pending.unlink(node) };
        } else {
            let (level, slot) = (location as usize / SLOTS, location as usize % SLOTS);
            let lvl = &mut self.levels[level];
            // SAFETY: `location` names the list the node is in.
            unsafe { lvl.slots[slot].unlink(node) };
            if lvl.slots[slot].is_empty() {
                lvl.occupied &= !(1 << slot);
            }
        }
        self.len -= 1;
    }

    /// The next slot to come due, if any node is linked. With pending nodes,
    /// that is `elapsed` itself.
    pub(super) fn next_expiration(&self) -> Option<Expiration> {
        if !self.pending.is_empty() {
            return Some(Expiration {
                level: LEVELS,
                slot: 0,
                deadline: self.elapsed,
            });
        }
        for (level, lvl) in self.levels.iter().enumerate() {
            if lvl.occupied == 0 {
                continue;
            }
            // Search from the slot after `elapsed`'s, wrapping around.
            let now_slot = digit(self.elapsed, level);
            let first = (now_slot + 1) % SLOTS;
            let rotated = lvl.occupied.rotate_right(first as u32);
            let slot = (first + rotated.trailing_zeros() as usize) % SLOTS;
            let level_span = slot_span(level + 1);
            let level_start = self.elapsed & !(level_span - 1);
            let mut deadline = level_start + slot as u64 * slot_span(level);
            if slot <= now_slot {
                // Only clamped entries on the top level wrap around: the
                // slot belongs to the top level's next turn.
                debug_assert_eq!(level, LEVELS - 1, "wheel invariant broken");
                deadline += level_span;
            }
            return Some(Expiration {
                level,
                slot,
                deadline,
            });
        }
        None
    }

    /// A tick at which the wheel next has work: the exact earliest `when`
    /// when the next slot to come due holds at most `SCAN_LIMIT` nodes,
    /// else that slot's start (never later than any node's `when`; waking
    /// there cascades the slot closer). `None` if the wheel is empty.
    pub(super) fn next_wake_tick(&self) -> Option<u64> {
        const SCAN_LIMIT: usize = 16;
        let exp = self.next_expiration()?;
        if exp.level == 0 || exp.level == LEVELS {
            // Level-0 slots and the pending list hold a single tick.
            return Some(exp.deadline);
        }
        let mut cursor = self.levels[exp.level].slots[exp.slot].head;
        let mut earliest = u64::MAX;
        for _ in 0..SCAN_LIMIT {
            let Some(node) = cursor else {
                return Some(earliest);
            };
            // SAFETY: linked nodes are alive and their links are ours (wheel
            // contract); `&self` means nobody mutates the wheel meanwhile.
            let l = unsafe { links(node) };
            earliest = earliest.min(l.when);
            cursor = l.next;
        }
        if cursor.is_none() {
            Some(earliest)
        } else {
            Some(exp.deadline)
        }
    }

    /// Hands out one node with `when <= now`, unlinked, in deadline order;
    /// `None` once there is none left, with `elapsed` advanced to `now`.
    /// Nodes that are not yet due cascade to lower levels on the way.
    ///
    /// # Safety
    /// Wheel contract.
    pub(super) unsafe fn poll(&mut self, now: u64) -> Option<NonNull<WheelNode>> {
        loop {
            // SAFETY: wheel contract.
            if let Some(node) = unsafe { self.pending.pop_front() } {
                self.len -= 1;
                return Some(node);
            }
            match self.next_expiration() {
                Some(exp) if exp.deadline <= now => {
                    // SAFETY: wheel contract.
                    unsafe { self.take_slot(exp) }
                }
                _ => {
                    // Nothing is due up to `now` (every slot starts later).
                    self.elapsed = self.elapsed.max(now);
                    return None;
                }
            }
        }
    }

    /// Empties the slot of `exp`: advances `elapsed` to its deadline, moves
    /// due nodes to `pending` and re-inserts the others (lower down).
    ///
    /// # Safety
    /// Wheel contract.
    unsafe fn take_slot(&mut self, exp: Expiration) {
        debug_assert!(exp.deadline >= self.elapsed);
        let lvl = &mut self.levels[exp.level];
        let mut list = std::mem::replace(&mut lvl.slots[exp.slot], List::EMPTY);
        lvl.occupied &= !(1 << exp.slot);
        self.elapsed = exp.deadline;
        // SAFETY: every node of `list` is linked (in `list`) and alive, by
        // the wheel contract.
        while let Some(node) = unsafe { list.pop_front() } {
            // SAFETY: `node` is alive (wheel contract) and just unlinked.
            let when = unsafe { links(node) }.when;
            if when <= self.elapsed {
                // SAFETY: `node` is alive and unlinked.
                unsafe { self.pending.push_front(node, when, PENDING) };
            } else {
                self.len -= 1;
                // SAFETY: `node` is alive and unlinked; it stays put (the
                // contract made for it at its first insert still holds).
                let inserted = unsafe { self.insert(node, when) };
                debug_assert!(inserted.is_ok());
            }
        }
    }

    /// Unlinks and returns any linked node (used to drain on shutdown).
    ///
    /// # Safety
    /// Wheel contract.
    pub(super) unsafe fn pop_any(&mut self) -> Option<NonNull<WheelNode>> {
        // SAFETY: wheel contract.
        let node = if let Some(node) = unsafe { self.pending.pop_front() } {
            node
        } else {
            let lvl = self.levels.iter_mut().find(|l| l.occupied != 0)?;
            let slot = lvl.occupied.trailing_zeros() as usize;
            // SAFETY: the slot is non-empty (its bit is set).
            let node = unsafe { lvl.slots[slot].pop_front() }.expect("occupied slot is empty");
            if lvl.slots[slot].is_empty() {
                lvl.occupied &= !(1 << slot);
            }
            node
        };
        self.len -= 1;
        Some(node)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::pin::Pin;

    /// A wheel with its own nodes, behind a safe API: the nodes are boxed
    /// (pinned), `Drop` unlinks every node before they are freed, and the
    /// harness is the wheel's only user.
    struct Harness {
        w: Wheel,
        nodes: Vec<Pin<Box<WheelNode>>>,
    }

    impl Harness {
        fn new(n: usize) -> Harness {
            Harness {
                w: Wheel::new(),
                nodes: (0..n).map(|_| Box::pin(WheelNode::new())).collect(),
            }
        }
        fn ptr(&self, i: usize) -> NonNull<WheelNode> {
            NonNull::from(&*self.nodes[i])
        }
        fn index(&self, p: NonNull<WheelNode>) -> usize {
            (0..self.nodes.len()).find(|&i| self.ptr(i) == p).unwrap()
        }
        fn insert(&mut self, i: usize, when: u64) -> Result<(), ()> {
            let p = self.ptr(i);
            // SAFETY: the node is pinned, outlives its linkage (see `Drop`),
            // and `insert` is only called on unlinked nodes by the tests
            // (a double insert trips the `debug_assert` in `push_front`).
            unsafe { self.w.insert(p, when) }
        }
        fn remove(&mut self, i: usize) {
            assert!(self.linked(i));
            let p = self.ptr(i);
            // SAFETY: linked in this wheel (checked above).
            unsafe { self.w.remove(p) }
        }
        fn linked(&self, i: usize) -> bool {
            // SAFETY: the node is alive; only this harness uses the wheel.
            unsafe { self.w.is_linked(self.ptr(i)) }
        }
        fn when(&self, i: usize) -> u64 {
            assert!(self.linked(i));
            // SAFETY: linked in this wheel (checked above).
            unsafe { self.w.when(self.ptr(i)) }
        }
        fn level(&self, i: usize) -> usize {
            assert!(self.linked(i));
            // SAFETY: the node is alive; only this harness uses the wheel.
            unsafe { links(self.ptr(i)) }.location as usize / SLOTS
        }
        fn poll(&mut self, now: u64) -> Option<usize> {
            // SAFETY: every linked node is one of ours, alive and pinned.
            let p = unsafe { self.w.poll(now) }?;
            Some(self.index(p))
        }
        /// Everything due up to `now`, as node indexes.
        fn drain(&mut self, now: u64) -> Vec<usize> {
            std::iter::from_fn(|| self.poll(now)).collect()
        }
        fn pop_any(&mut self) -> Option<usize> {
            // SAFETY: as for `poll`.
            let p = unsafe { self.w.pop_any() }?;
            Some(self.index(p))
        }
    }

    impl Drop for Harness {
        fn drop(&mut self) {
            // Unlink before the nodes are freed.
            while self.pop_any().is_some() {}
        }
    }

    const NONE: Vec<usize> = Vec::new();

    #[test]
    fn insert_at_every_level() {
        let mut h = Harness::new(LEVELS);
        for level in 0..LEVELS {
            h.insert(level, 3 * slot_span(level)).unwrap();
            assert_eq!(h.level(level), level);
            assert_eq!(h.w.levels[level].occupied, 1 << 3);
        }
        assert_eq!(h.w.len(), LEVELS);
        // The lowest level comes first.
        let exp = h.w.next_expiration().unwrap();
        assert_eq!((exp.level, exp.deadline), (0, 3));
        // Everything fires exactly at its tick, in order.
        for level in 0..LEVELS {
            let when = 3 * slot_span(level);
            assert_eq!(h.drain(when - 1), NONE);
            assert_eq!(h.drain(when), vec![level]);
        }
        assert_eq!(h.w.len(), 0);
        assert_eq!(h.w.next_expiration(), None);
        assert!((0..LEVELS).all(|i| !h.linked(i)));
    }

    #[test]
    fn past_or_present_ticks_are_rejected() {
        let mut h = Harness::new(1);
        assert!(h.insert(0, 0).is_err());
        assert_eq!(h.poll(100), None);
        assert_eq!(h.w.elapsed(), 100);
        assert!(h.insert(0, 100).is_err());
        assert!(!h.linked(0));
        h.insert(0, 101).unwrap();
        assert_eq!(h.drain(101), vec![0]);
    }

    #[test]
    fn next_expiration_is_the_slot_start() {
        let mut h = Harness::new(2);
        h.insert(0, 100).unwrap(); // level 1, slot 1
        assert_eq!(h.w.next_expiration().unwrap().deadline, 64);
        assert_eq!(h.w.next_wake_tick(), Some(100));
        h.insert(1, 30).unwrap();
        assert_eq!(h.w.next_expiration().unwrap().deadline, 30);
        assert_eq!(h.drain(63), vec![1]);
        // Reaching the slot start cascades without firing.
        assert_eq!(h.drain(64), NONE);
        assert_eq!(h.level(0), 0);
        assert_eq!(h.w.next_expiration().unwrap().deadline, 100);
        assert_eq!(h.drain(1000), vec![0]);
        assert_eq!(h.w.elapsed(), 1000);
    }

    #[test]
    fn next_wake_tick_is_exact_for_small_slots() {
        let mut h = Harness::new(41);
        assert_eq!(h.w.next_wake_tick(), None);
        for i in 0..16 {
            h.insert(i, 200 + i as u64).unwrap(); // level 1, slot 3
        }
        assert_eq!(h.w.next_wake_tick(), Some(200));
        for i in 16..40 {
            h.insert(i, 250 - i as u64).unwrap();
        }
        // Too many to scan: the slot start, still not after any deadline.
        assert_eq!(h.w.next_wake_tick(), Some(192));
        let mut far = Harness::new(1);
        far.insert(0, 1 << 61).unwrap();
        assert_eq!(far.w.next_wake_tick(), Some(1 << 61));
    }

    /// Pseudo-random ticks over every level fire in deadline order, each
    /// exactly once, neither early nor late; including cascades from level 5.
    #[test]
    fn fires_in_deadline_order_across_levels() {
        let n = 2000;
        let mut h = Harness::new(n);
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut whens = Vec::new();
        for i in 0..n {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            // Spread over all levels: pick a level, then a tick within it.
            let level = (seed % LEVELS as u64) as u32;
            let when = 1 + (seed >> 8) % (1u64 << (6 * (level + 1)));
            whens.push(when);
            h.insert(i, when).unwrap();
        }
        // Advance in uneven strides up to past the last deadline.
        let mut now = 0;
        let mut last = 0;
        let mut fired = vec![false; n];
        while h.w.len() > 0 {
            let prev = now;
            now += 1 + now / 3;
            for i in h.drain(now) {
                assert!(!fired[i], "fired twice");
                fired[i] = true;
                assert!(whens[i] <= now, "fired early");
                assert!(whens[i] > prev, "fired late");
                assert!(whens[i] >= last, "out of order");
                last = whens[i];
            }
        }
        assert!(fired.iter().all(|&f| f));
    }

    /// One big jump also hands out every node in deadline order.
    #[test]
    fn one_jump_fires_in_order() {
        let whens = [SPAN - 1, 5, 64 * 64 * 64 + 7, 64, 65, SPAN / 2, 63, 1 << 24];
        let mut h = Harness::new(whens.len());
        for (i, &when) in whens.iter().enumerate() {
            h.insert(i, when).unwrap();
        }
        let order: Vec<u64> = h.drain(SPAN).iter().map(|&i| whens[i]).collect();
        let mut sorted = whens.to_vec();
        sorted.sort();
        assert_eq!(order, sorted);
    }

    #[test]
    fn far_deadlines_are_clamped_and_never_fire_early() {
        let mut h = Harness::new(3);
        h.insert(0, 1 << 61).unwrap();
        h.insert(1, SPAN + 10).unwrap();
        assert_eq!(h.level(0), LEVELS - 1);
        assert_eq!(h.level(1), LEVELS - 1);
        // Their slots come due no later than one turn of the wheel.
        assert!(h.w.next_expiration().unwrap().deadline <= SPAN);
        assert_eq!(h.drain(SPAN + 9), NONE);
        assert_eq!(h.drain(SPAN + 10), vec![1]);
        // Time passes in big jumps: the far node is only revisited.
        for k in 2..40 {
            assert_eq!(h.drain(k * SPAN + 12345), NONE);
            assert!(h.linked(0));
        }
        // A node crossing a top-level boundary just ahead is not delayed.
        let boundary = (h.w.elapsed() / SPAN + 1) * SPAN;
        h.insert(2, boundary + 3).unwrap();
        assert_eq!(h.drain(boundary + 2), NONE);
        assert_eq!(h.drain(boundary + 3), vec![2]);
        h.remove(0);
        assert_eq!(h.w.len(), 0);
        assert_eq!(h.w.next_expiration(), None);
    }

    #[test]
    fn cancel_unlinks_and_clears_occupancy() {
        let mut h = Harness::new(3);
        for i in 0..3 {
            h.insert(i, 10).unwrap();
        }
        // Remove from the middle, the head, then the last.
        h.remove(1);
        assert_eq!(h.w.levels[0].occupied, 1 << 10);
        h.remove(2);
        h.remove(0);
        assert_eq!(h.w.levels[0].occupied, 0);
        assert_eq!(h.w.len(), 0);
        assert_eq!(h.drain(100), NONE);
    }

    #[test]
    fn cancel_from_pending() {
        let mut h = Harness::new(3);
        for i in 0..3 {
            h.insert(i, 200).unwrap();
        }
        // The first poll moves the whole slot to pending.
        let first = h.poll(200).unwrap();
        let other = (0..3).find(|&i| i != first).unwrap();
        h.remove(other);
        assert_eq!(h.drain(200).len(), 1);
        assert_eq!(h.w.len(), 0);
    }

    #[test]
    fn reset_earlier_and_later() {
        let mut h = Harness::new(1);
        h.insert(0, 5000).unwrap();
        // Earlier.
        h.remove(0);
        h.insert(0, 7).unwrap();
        assert_eq!(h.when(0), 7);
        assert_eq!(h.w.next_expiration().unwrap().deadline, 7);
        // Later.
        h.remove(0);
        h.insert(0, 300_000).unwrap();
        assert_eq!(h.drain(299_999), NONE);
        assert_eq!(h.drain(300_000), vec![0]);
    }

    #[test]
    fn pop_any_drains_everything() {
        let mut h = Harness::new(10);
        for i in 0..10 {
            h.insert(i, 1 + (i as u64) * 100_003).unwrap();
        }
        let mut n = 0;
        while h.pop_any().is_some() {
            n += 1;
        }
        assert_eq!(n, 10);
        assert_eq!(h.w.next_expiration(), None);
    }
}
