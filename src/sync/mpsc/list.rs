//! The message queue behind a channel: many pushers, one popper.
//!
//! Outside loom this is crossbeam's `Injector`, a lock-free FIFO made of
//! blocks of slots that are allocated as the queue grows and freed once
//! drained, so the steady-state cost per message is a couple of atomic
//! operations and no allocation. Under loom (which cannot see inside
//! crossbeam) it is a `Mutex<VecDeque>` from the loom facade, which has the
//! same linearizable push/pop behaviour the channel relies on:
//!
//! - a value whose `push` returned is seen by every later `pop` (in the
//!   happens-before sense), and values come out in push order per pusher;
//! - only the channel's single receiver pops, so `pop` never races another
//!   `pop`.
//!
//! Values still queued when the `List` is dropped are dropped with it.

#[cfg(not(loom))]
mod imp {
    use crossbeam_deque::{Injector, Steal};
    use crossbeam_utils::Backoff;

    pub(crate) struct List<T>(Injector<T>);

    impl<T> List<T> {
        pub(crate) fn new() -> List<T> {
            List(Injector::new())
        }

        #[inline]
        pub(crate) fn push(&self, value: T) {
            self.0.push(value);
        }

        #[inline]
        pub(crate) fn pop(&self) -> Option<T> {
            let backoff = Backoff::new();
            loop {
                match self.0.steal() {
                    Steal::Success(v) => return Some(v),
                    Steal::Empty => return None,
                    // A pusher is installing the next block: it finishes
                    // in a few instructions.
                    Steal::Retry => backoff.snooze(),
                }
            }
        }

        pub(crate) fn len(&self) -> usize {
            self.0.len()
        }

        pub(crate) fn is_empty(&self) -> bool {
            self.0.is_empty()
        }
    }
}

#[cfg(loom)]
mod imp {
    use crate::loom::sync::Mutex;
    use std::collections::VecDeque;

    pub(crate) struct List<T>(Mutex<VecDeque<T>>);

    impl<T> List<T> {
        pub(crate) fn new() -> List<T> {
            List(Mutex::new(VecDeque::new()))
        }

        pub(crate) fn push(&self, value: T) {
            self.0.lock().push_back(value);
        }

        pub(crate) fn pop(&self) -> Option<T> {
            self.0.lock().pop_front()
        }

        pub(crate) fn len(&self) -> usize {
            self.0.lock().len()
        }

        pub(crate) fn is_empty(&self) -> bool {
            self.0.lock().is_empty()
        }
    }
}

pub(crate) use imp::List;
