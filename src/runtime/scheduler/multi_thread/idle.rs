//! Which workers sleep, and how many are looking for work.
//!
//! `state` packs two counters into one word: workers that are *searching*
//! (awake, out of local work, stealing) and workers that are *unparked*
//! (not in the sleepers list). Changes to the sleepers list and the
//! `unparked` counter happen together under the `sleepers` lock.
//!
//! No lost wake-up: a producer pushes its task, then (after a `SeqCst` fence)
//! reads `state` to decide whether to wake a sleeper; a worker going to sleep
//! updates `state` with a `SeqCst` read-modify-write and, if it was the last
//! searcher, looks at every queue once more. Either the producer sees no
//! searcher and wakes someone, or the last searcher sees the task.
//!
//! At most half of the workers search at once, so an idle pool does not
//! stampede on one victim; the last searcher to find work wakes another.

use crate::loom::sync::atomic::{fence, AtomicUsize, Ordering::SeqCst};
use crate::loom::sync::Mutex;

const UNPARKED_SHIFT: usize = 16;
const SEARCHING_MASK: usize = (1 << UNPARKED_SHIFT) - 1;

pub(super) struct Idle {
    state: AtomicUsize,
    sleepers: Mutex<Vec<usize>>,
    num_workers: usize,
}

fn searching(state: usize) -> usize {
    state & SEARCHING_MASK
}

fn unparked(state: usize) -> usize {
    state >> UNPARKED_SHIFT
}

impl Idle {
    pub(super) fn new(num_workers: usize) -> Idle {
        assert!(num_workers < SEARCHING_MASK, "too many worker threads");
        Idle {
            state: AtomicUsize::new(num_workers << UNPARKED_SHIFT),
            sleepers: Mutex::new(Vec::with_capacity(num_workers)),
            num_workers,
        }
    }

    /// Called after new work was queued: the index of a sleeper to wake, if
    /// nobody is already searching for work and someone is asleep.
    pub(super) fn worker_to_notify(&self) -> Option<usize> {
        fence(SeqCst);
        self.worker_to_notify_after_fence()
    }

    /// As [`worker_to_notify`](Self::worker_to_notify), for a caller that has
    /// already issued a `SeqCst` fence after queueing its work.
    pub(super) fn worker_to_notify_after_fence(&self) -> Option<usize> {
        if !self.should_notify() {
            return None;
        }
        let mut sleepers = self.sleepers.lock();
        if !self.should_notify() {
            return None;
        }
        // The woken worker starts out searching.
        self.state.fetch_add((1 << UNPARKED_SHIFT) | 1, SeqCst);
        sleepers.pop()
    }

    fn should_notify(&self) -> bool {
        let state = self.state.load(SeqCst);
        searching(state) == 0 && unparked(state) < self.num_workers
    }

    /// A worker wants to start stealing. Refused when half the workers are
    /// already searching.
    pub(super) fn transition_worker_to_searching(&self) -> bool {
        let state = self.state.load(SeqCst);
        if 2 * searching(state) >= self.num_workers {
            return false;
        }
        self.state.fetch_add(1, SeqCst);
        true
    }

    /// A searching worker found work. True if it was the last searcher, in
    /// which case the caller should wake another worker to keep searching.
    pub(super) fn transition_worker_from_searching(&self) -> bool {
        let prev = self.state.fetch_sub(1, SeqCst);
        debug_assert!(searching(prev) > 0);
        searching(prev) == 1
    }

    /// The worker goes to sleep. True if it was the last searcher (the
    /// caller must then check the queues once more).
    pub(super) fn transition_worker_to_parked(&self, index: usize, is_searching: bool) -> bool {
        let mut sleepers = self.sleepers.lock();
        let dec = (1 << UNPARKED_SHIFT) | usize::from(is_searching);
        let prev = self.state.fetch_sub(dec, SeqCst);
        sleepers.push(index);
        is_searching && searching(prev) == 1
    }

    /// True if the worker is still in the sleepers list (its wake-up was
    /// spurious, or came from the driver rather than from a notify).
    pub(super) fn is_parked(&self, index: usize) -> bool {
        self.sleepers.lock().contains(&index)
    }

    /// Takes a worker out of the sleepers list on its own initiative (it
    /// found local work after a driver wake-up). Returns false if a notifier
    /// already took it out, which also made it a searcher.
    pub(super) fn unpark_worker_by_id(&self, index: usize) -> bool {
        let mut sleepers = self.sleepers.lock();
        if let Some(pos) = sleepers.iter().position(|&i| i == index) {
            sleepers.swap_remove(pos);
            self.state.fetch_add(1 << UNPARKED_SHIFT, SeqCst);
            true
        } else {
            false
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn notify_wakes_a_sleeper_once() {
        let idle = Idle::new(2);
        assert!(idle.worker_to_notify().is_none(), "everyone is awake");
        assert!(!idle.transition_worker_to_parked(0, false));
        assert_eq!(idle.worker_to_notify(), Some(0));
        // Worker 0 is now searching: no second wake-up.
        assert!(idle.worker_to_notify().is_none());
        assert!(idle.transition_worker_from_searching());
        assert!(!idle.is_parked(0));
    }

    #[test]
    fn at_most_half_search() {
        let idle = Idle::new(4);
        assert!(idle.transition_worker_to_searching());
        assert!(idle.transition_worker_to_searching());
        assert!(!idle.transition_worker_to_searching());
    }
}
