//! Reserved slots of a bounded channel: [`Permit`], [`OwnedPermit`] and
//! [`PermitIterator`]. Each holds one unit of the channel's capacity (the
//! iterator, several); sending through it spends the unit on a message,
//! dropping it gives the unit back.

use super::bounded::Sender;
use super::chan::Tx;
use super::semaphore::Bounded;
use std::fmt;
use std::mem::ManuallyDrop;

/// One reserved slot in a bounded channel, borrowed from a [`Sender`].
///
/// [`send`](Permit::send) cannot fail and never waits; dropping the permit
/// frees the slot.
///
/// ```
/// use weave::sync::mpsc;
///
/// # futures::executor::block_on(async {
/// let (tx, mut rx) = mpsc::channel(1);
/// let permit = tx.reserve().await.unwrap();
/// assert_eq!(tx.capacity(), 0);
/// permit.send("reserved");
/// assert_eq!(rx.recv().await, Some("reserved"));
/// # });
/// ```
pub struct Permit<'a, T> {
    chan: &'a Tx<T, Bounded>,
}

/// One reserved slot in a bounded channel that owns its [`Sender`] (so it
/// can be moved into another task). Returned by
/// [`Sender::reserve_owned`]; `send` gives the sender back.
///
/// ```
/// use weave::sync::mpsc;
///
/// # futures::executor::block_on(async {
/// let (tx, mut rx) = mpsc::channel(1);
/// let permit = tx.reserve_owned().await.unwrap();
/// let tx = permit.send(1);
/// assert_eq!(rx.recv().await, Some(1));
/// # drop(tx);
/// # });
/// ```
pub struct OwnedPermit<T> {
    /// `Some` until the permit is used or released.
    chan: Option<Tx<T, Bounded>>,
}

/// Several reserved slots, handed out one [`Permit`] at a time. Returned by
/// [`Sender::reserve_many`]; slots not taken are freed when it is dropped.
///
/// ```
/// use weave::sync::mpsc;
///
/// # futures::executor::block_on(async {
/// let (tx, mut rx) = mpsc::channel(4);
/// for (i, permit) in tx.reserve_many(3).await.unwrap().enumerate() {
///     permit.send(i);
/// }
/// assert_eq!(rx.len(), 3);
/// # });
/// ```
pub struct PermitIterator<'a, T> {
    chan: &'a Tx<T, Bounded>,
    left: usize,
}

impl<'a, T> Permit<'a, T> {
    pub(crate) fn new(chan: &'a Tx<T, Bounded>) -> Self {
        Permit { chan }
    }

    /// Sends `value` into the reserved slot. Never fails: if the receiver
    /// has gone, the value is dropped with the channel.
    pub fn send(self, value: T) {
        let this = ManuallyDrop::new(self);
        // The slot's unit now travels with the message.
        this.chan.chan.push(value);
    }
}

impl<T> Drop for Permit<'_, T> {
    fn drop(&mut self) {
        self.chan.chan.release(1);
    }
}

impl<T> fmt::Debug for Permit<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Permit")
            .field("chan", &*self.chan.chan)
            .finish()
    }
}

impl<T> OwnedPermit<T> {
    pub(crate) fn new(chan: Tx<T, Bounded>) -> Self {
        OwnedPermit { chan: Some(chan) }
    }

    /// Sends `value` into the reserved slot and gives the sender back.
    pub fn send(mut self, value: T) -> Sender<T> {
        let chan = self.chan.take().expect("permit already used");
        chan.chan.push(value);
        Sender::from_tx(chan)
    }

    /// Frees the slot without sending and gives the sender back.
    pub fn release(mut self) -> Sender<T> {
        let chan = self.chan.take().expect("permit already used");
        chan.chan.release(1);
        Sender::from_tx(chan)
    }
}

impl<T> Drop for OwnedPermit<T> {
    fn drop(&mut self) {
        if let Some(chan) = self.chan.take() {
            chan.chan.release(1);
        }
    }
}

impl<T> fmt::Debug for OwnedPermit<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("OwnedPermit");
        if let Some(chan) = &self.chan {
            d.field("chan", &*chan.chan);
        }
        d.finish()
    }
}

impl<'a, T> PermitIterator<'a, T> {
    pub(crate) fn new(chan: &'a Tx<T, Bounded>, left: usize) -> Self {
        PermitIterator { chan, left }
    }
}

impl<'a, T> Iterator for PermitIterator<'a, T> {
    type Item = Permit<'a, T>;

    fn next(&mut self) -> Option<Permit<'a, T>> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        Some(Permit::new(self.chan))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl<T> ExactSizeIterator for PermitIterator<'_, T> {}

impl<T> std::iter::FusedIterator for PermitIterator<'_, T> {}

impl<T> Drop for PermitIterator<'_, T> {
    fn drop(&mut self) {
        if self.left > 0 {
            self.chan.chan.release(self.left);
        }
    }
}

impl<T> fmt::Debug for PermitIterator<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PermitIterator")
            .field("chan", &*self.chan.chan)
            .field("left", &self.left)
            .finish()
    }
}
