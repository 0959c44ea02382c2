//! The I/O driver: one `mio::Poll` per runtime, and the table of registered
//! resources its events are delivered to.
//!
//! # Who turns it
//!
//! The driver is the runtime's park: a worker with nothing to run blocks in
//! `epoll_wait` (through [`IoDriver::park`]) with a timeout up to the next
//! timer deadline, and dispatches the events it gets before it looks for
//! tasks again. Other threads get it out of `epoll_wait` with a
//! `mio::Waker` (an eventfd). We chose this over a dedicated reactor thread
//! because the thread that receives an event is then the one that runs the
//! woken task, with no hand-off (one thread wake-up fewer per event when the
//! runtime is idle), and a busy runtime still polls the driver every
//! `event_interval` scheduler ticks without blocking.
//!
//! Writing to the eventfd is a system call, so [`IoHandle::unpark`] only does
//! it when the driver thread is actually blocked: a small state word
//! (`EMPTY` / `PARKED` / `NOTIFIED`) records whether it is. `unpark` swaps
//! in `NOTIFIED` and writes the eventfd only if it replaced `PARKED`; `park`
//! consumes `NOTIFIED` without blocking. A notification is never lost,
//! whichever comes first.
//!
//! # Tokens
//!
//! Each registration takes a slot in a slab; its mio token is the slot
//! index plus a generation number unique to that registration. An event
//! whose generation does not match the slot's current occupant (a late
//! event for a resource deregistered since, its slot reused) is ignored, so
//! a recycled token can never wake the wrong task.
//!
//! # Shutdown
//!
//! When the runtime shuts down, every registered resource is marked shut
//! down and its waiters are woken; their operations fail with an error from
//! then on, and new registrations are refused.

use super::scheduled_io::ScheduledIo;
use super::{Interest, Ready};
use crate::loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use crate::loom::sync::{Arc, Mutex};
use std::fmt;
use std::io;
use std::time::Duration;

/// Token of the `mio::Waker`; never a registration (their indices are
/// bounded by `INDEX_MASK`).
const WAKER_TOKEN: mio::Token = mio::Token(usize::MAX);

const INDEX_BITS: u32 = usize::BITS / 2;
const INDEX_MASK: usize = (1 << INDEX_BITS) - 1;

const EMPTY: usize = 0;
const PARKED: usize = 1;
const NOTIFIED: usize = 2;

/// Owned by whichever thread turns the driver.
pub(crate) struct IoDriver {
    poll: mio::Poll,
    events: mio::Events,
    tick: u16,
    shared: Arc<Shared>,
    /// Reused between turns: resources with new readiness, woken after the
    /// registration table's lock is released.
    pending: Vec<(Arc<ScheduledIo>, Ready)>,
}

/// Registers resources and wakes the driver. Cheap to clone.
#[derive(Clone)]
pub(crate) struct IoHandle {
    shared: Arc<Shared>,
}

struct Shared {
    registry: mio::Registry,
    waker: mio::Waker,
    park_state: AtomicUsize,
    table: Mutex<Table>,
}

struct Table {
    slab: slab::Slab<(usize, Arc<ScheduledIo>)>,
    next_generation: usize,
    is_shutdown: bool,
}

impl IoDriver {
    /// Creates the `mio::Poll`, taking up to `max_events` events per poll.
    /// Fails if the process is out of file descriptors (the error says so).
    pub(crate) fn new(max_events: usize) -> io::Result<(IoDriver, IoHandle)> {
        let annotate = |e: io::Error| {
            io::Error::new(
                e.kind(),
                format!("could not create the I/O driver (epoll and its eventfd): {e}"),
            )
        };
        let poll = mio::Poll::new().map_err(annotate)?;
        let registry = poll.registry().try_clone().map_err(annotate)?;
        let waker = mio::Waker::new(poll.registry(), WAKER_TOKEN).map_err(annotate)?;
        let shared = Arc::new(Shared {
            registry,
            waker,
            park_state: AtomicUsize::new(EMPTY),
            table: Mutex::new(Table {
                slab: slab::Slab::new(),
                next_generation: 0,
                is_shutdown: false,
            }),
        });
        let driver = IoDriver {
            poll,
            events: mio::Events::with_capacity(max_events),
            tick: 0,
            shared: shared.clone(),
            pending: Vec::new(),
        };
        Ok((driver, IoHandle { shared }))
    }

    /// Waits for I/O events for at most `timeout` (`None`: until unparked)
    /// and dispatches them. Returns true if unparked or if any resource got
    /// readiness: the caller has something to look at.
    pub(crate) fn park(&mut self, timeout: Option<Duration>) -> bool {
        fn state(d: &IoDriver) -> &AtomicUsize {
            &d.shared.park_state
        }
        let mut notified = state(self)
            .compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst)
            .is_ok();
        let blocking = !notified && timeout != Some(Duration::ZERO);
        if blocking
            && state(self)
                .compare_exchange(EMPTY, PARKED, SeqCst, SeqCst)
                .is_err()
        {
            // An unpark slipped in between the two exchanges.
            notified = true;
            state(self).store(EMPTY, SeqCst);
        }
        let wait = if blocking && !notified {
            timeout
        } else {
            Some(Duration::ZERO)
        };
        let polled = self.poll_events(wait);
        if blocking && !notified {
            // Back from `epoll_wait` before dispatching: the wakes below run
            // on this very thread, and must not write the eventfd to get us
            // out of a wait we already left.
            notified = state(self).swap(EMPTY, SeqCst) == NOTIFIED;
        }
        let delivered = polled && self.dispatch();
        notified || delivered
    }

    /// One `epoll_wait`. False if interrupted by a signal (no events).
    fn poll_events(&mut self, timeout: Option<Duration>) -> bool {
        self.tick = self.tick.wrapping_add(1);
        match self.poll.poll(&mut self.events, timeout) {
            Ok(()) => true,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => false,
            Err(e) => panic!("weave's I/O driver failed to poll for events: {e}"),
        }
    }

    /// Delivers the events of the last poll: records readiness and wakes
    /// waiters. Returns true if any resource got readiness.
    fn dispatch(&mut self) -> bool {
        {
            let table = self.shared.table.lock();
            for event in self.events.iter() {
                let token = event.token();
                if token == WAKER_TOKEN {
                    continue;
                }
                let index = token.0 & INDEX_MASK;
                let generation = token.0 >> INDEX_BITS;
                let Some((gen, io)) = table.slab.get(index) else {
                    continue;
                };
                if *gen != generation {
                    continue;
                }
                let ready = Ready::from_mio(event);
                io.set_readiness(self.tick, ready);
                self.pending.push((io.clone(), ready));
            }
        }
        let delivered = !self.pending.is_empty();
        for (io, ready) in self.pending.drain(..) {
            io.wake(ready);
        }
        delivered
    }

    /// Runtime shutdown: fail every registered resource's waits and refuse
    /// new registrations.
    pub(crate) fn shutdown(&mut self) {
        let all: Vec<Arc<ScheduledIo>> = {
            let mut table = self.shared.table.lock();
            table.is_shutdown = true;
            table.slab.iter().map(|(_, (_, io))| io.clone()).collect()
        };
        for io in all {
            io.shutdown();
        }
    }
}

impl IoHandle {
    /// Wakes the driver thread if it is blocked in `epoll_wait`.
    pub(crate) fn unpark(&self) {
        if self.shared.park_state.swap(NOTIFIED, SeqCst) == PARKED {
            if let Err(e) = self.shared.waker.wake() {
                panic!("weave's I/O driver could not be woken: {e}");
            }
        }
    }

    /// Registers `source` for `interest`. Fails if the runtime has shut down
    /// or the OS refuses.
    pub(crate) fn register(
        &self,
        source: &mut impl mio::event::Source,
        interest: Interest,
    ) -> io::Result<(Arc<ScheduledIo>, mio::Token)> {
        let io = Arc::new(ScheduledIo::new());
        let token = {
            let mut table = self.shared.table.lock();
            if table.is_shutdown {
                return Err(shutdown_error());
            }
            let generation = table.next_generation;
            table.next_generation = generation.wrapping_add(1) & (usize::MAX >> INDEX_BITS);
            let index = table.slab.insert((generation, io.clone()));
            if index > INDEX_MASK {
                table.slab.remove(index);
                return Err(io::Error::other(
                    "too many I/O resources registered with one weave runtime",
                ));
            }
            mio::Token(index | (generation << INDEX_BITS))
        };
        if let Err(e) = self
            .shared
            .registry
            .register(source, token, interest.to_mio())
        {
            self.release(token);
            return Err(e);
        }
        Ok((io, token))
    }

    /// Deregisters `source` and frees its slot.
    pub(crate) fn deregister(
        &self,
        source: &mut impl mio::event::Source,
        token: mio::Token,
    ) -> io::Result<()> {
        let result = self.shared.registry.deregister(source);
        self.release(token);
        result
    }

    fn release(&self, token: mio::Token) {
        let index = token.0 & INDEX_MASK;
        let generation = token.0 >> INDEX_BITS;
        let mut table = self.shared.table.lock();
        if matches!(table.slab.get(index), Some((gen, _)) if *gen == generation) {
            table.slab.remove(index);
        }
    }

    /// Number of registered resources (for tests).
    #[cfg(test)]
    pub(crate) fn num_registered(&self) -> usize {
        self.shared.table.lock().slab.len()
    }
}

pub(crate) fn shutdown_error() -> io::Error {
    io::Error::other("the weave runtime that drives this I/O resource has shut down")
}

impl fmt::Debug for IoDriver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IoDriver")
            .field("tick", &self.tick)
            .finish()
    }
}

impl fmt::Debug for IoHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IoHandle").finish_non_exhaustive()
    }
}

impl crate::park::Unpark for IoHandle {
    fn unpark(&self) {
        IoHandle::unpark(self);
    }
}
