//! The readiness guards returned by `AsyncFd`'s waits, and `TryIoError`.
//!
//! A guard holds the `ReadyEvent` (bits and driver tick) its wait observed.
//! Clearing hands that same event back to the reactor, which drops the
//! clear if a newer event arrived since (the tick moved), so clearing
//! never loses readiness the guard did not see. A guard clears at most
//! once: clearing (or `retain_ready`) consumes its event.

use super::AsyncFd;
use crate::io::Ready;
use crate::runtime::io::ReadyEvent;
use std::fmt;
use std::io;
use std::os::fd::AsRawFd;

/// The error of a guard's `try_io` when the operation hit `WouldBlock`: the
/// readiness was cleared, wait again.
#[derive(Debug)]
pub struct TryIoError(());

/// Readiness observed by [`AsyncFd::readable`], [`AsyncFd::ready`] and the
/// other shared-reference waits.
///
/// Dropping the guard keeps the readiness (the next wait returns at once);
/// call [`clear_ready`](Self::clear_ready) once an operation returned
/// `WouldBlock`, or use [`try_io`](Self::try_io), which does it for you.
#[must_use = "dropping the guard keeps the readiness; call clear_ready() after WouldBlock"]
pub struct AsyncFdReadyGuard<'a, T: AsRawFd> {
    async_fd: &'a AsyncFd<T>,
    event: Option<ReadyEvent>,
}

/// Readiness observed by [`AsyncFd::readable_mut`], [`AsyncFd::ready_mut`]
/// and the other mutable waits; like [`AsyncFdReadyGuard`], with mutable
/// access to the value.
#[must_use = "dropping the guard keeps the readiness; call clear_ready() after WouldBlock"]
pub struct AsyncFdReadyMutGuard<'a, T: AsRawFd> {
    async_fd: &'a mut AsyncFd<T>,
    event: Option<ReadyEvent>,
}

/// `event` without the bits in `ready` (or `None` if none are left), and
/// the event to clear them with.
fn split(event: ReadyEvent, ready: Ready) -> (Option<ReadyEvent>, ReadyEvent) {
    let cleared = ReadyEvent {
        ready: event.ready & ready,
        ..event
    };
    let kept = ReadyEvent {
        ready: event.ready - ready,
        ..event
    };
    ((!kept.ready.is_empty()).then_some(kept), cleared)
}

impl<'a, T: AsRawFd> AsyncFdReadyGuard<'a, T> {
    pub(super) fn new(async_fd: &'a AsyncFd<T>, event: ReadyEvent) -> Self {
        AsyncFdReadyGuard {
            async_fd,
            event: Some(event),
        }
    }

    /// Forgets the readiness this guard observed: the next wait blocks
    /// until the reactor reports a new event. Readiness reported after this
    /// guard was created is kept.
    pub fn clear_ready(&mut self) {
        if let Some(event) = self.event.take() {
            self.async_fd.registration().clear_readiness(event);
        }
    }

    /// Forgets only the readiness in `ready` (for example
    /// `Ready::READABLE` after a read hit `WouldBlock` on a guard from
    /// `ready(READABLE | WRITABLE)`); the rest stays in the guard.
    pub fn clear_ready_matching(&mut self, ready: Ready) {
        if let Some(event) = self.event.take() {
            let (kept, cleared) = split(event, ready);
            self.async_fd.registration().clear_readiness(cleared);
            self.event = kept;
        }
    }

    /// Keeps the readiness: the guard forgets its event without clearing
    /// it, so the next wait returns at once. (Dropping does the same.)
    pub fn retain_ready(&mut self) {
        self.event = None;
    }

    /// The readiness this guard observed (empty once cleared).
    pub fn ready(&self) -> Ready {
        self.event.map_or(Ready::EMPTY, |e| e.ready)
    }

    /// Runs `f`; if it returns `WouldBlock`, clears the readiness and
    /// returns `Err(TryIoError)`, otherwise returns `Ok` with `f`'s result.
    pub fn try_io<R>(
        &mut self,
        f: impl FnOnce(&'a AsyncFd<T>) -> io::Result<R>,
    ) -> Result<io::Result<R>, TryIoError> {
        match f(self.async_fd) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                self.clear_ready();
                Err(TryIoError(()))
            }
            result => Ok(result),
        }
    }

    /// The `AsyncFd` this guard belongs to.
    pub fn get_ref(&self) -> &'a AsyncFd<T> {
        self.async_fd
    }

    /// The value inside the `AsyncFd`.
    pub fn get_inner(&self) -> &'a T {
        self.async_fd.get_ref()
    }
}

impl<'a, T: AsRawFd> AsyncFdReadyMutGuard<'a, T> {
    pub(super) fn new(async_fd: &'a mut AsyncFd<T>, event: ReadyEvent) -> Self {
        AsyncFdReadyMutGuard {
            async_fd,
            event: Some(event),
        }
    }

    /// Forgets the readiness this guard observed: the next wait blocks
    /// until the reactor reports a new event. Readiness reported after this
    /// guard was created is kept.
    pub fn clear_ready(&mut self) {
        if let Some(event) = self.event.take() {
            self.async_fd.registration().clear_readiness(event);
        }
    }

    /// Forgets only the readiness in `ready`; the rest stays in the guard.
    pub fn clear_ready_matching(&mut self, ready: Ready) {
        if let Some(event) = self.event.take() {
            let (kept, cleared) = split(event, ready);
            self.async_fd.registration().clear_readiness(cleared);
            self.event = kept;
        }
    }

    /// Keeps the readiness: the guard forgets its event without clearing
    /// it, so the next wait returns at once. (Dropping does the same.)
    pub fn retain_ready(&mut self) {
        self.event = None;
    }

    /// The readiness this guard observed (empty once cleared).
    pub fn ready(&self) -> Ready {
        self.event.map_or(Ready::EMPTY, |e| e.ready)
    }

    /// Runs `f`; if it returns `WouldBlock`, clears the readiness and
    /// returns `Err(TryIoError)`, otherwise returns `Ok` with `f`'s result.
    pub fn try_io<R>(
        &mut self,
        f: impl FnOnce(&mut AsyncFd<T>) -> io::Result<R>,
    ) -> Result<io::Result<R>, TryIoError> {
        match f(self.async_fd) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                self.clear_ready();
                Err(TryIoError(()))
            }
            result => Ok(result),
        }
    }

    /// The `AsyncFd` this guard belongs to.
    pub fn get_ref(&self) -> &AsyncFd<T> {
        self.async_fd
    }

    /// The `AsyncFd` this guard belongs to, mutably.
    pub fn get_mut(&mut self) -> &mut AsyncFd<T> {
        self.async_fd
    }

    /// The value inside the `AsyncFd`.
    pub fn get_inner(&self) -> &T {
        self.async_fd.get_ref()
    }

    /// The value inside the `AsyncFd`, mutably.
    pub fn get_inner_mut(&mut self) -> &mut T {
        self.async_fd.get_mut()
    }
}

impl<T: AsRawFd + fmt::Debug> fmt::Debug for AsyncFdReadyGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncFdReadyGuard")
            .field("async_fd", &self.async_fd)
            .field("ready", &self.ready())
            .finish()
    }
}

impl<T: AsRawFd + fmt::Debug> fmt::Debug for AsyncFdReadyMutGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncFdReadyMutGuard")
            .field("async_fd", &self.async_fd)
            .field("ready", &self.ready())
            .finish()
    }
}
