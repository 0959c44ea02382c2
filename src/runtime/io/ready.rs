//! `Ready`: a set of readiness events.

use std::fmt;
use std::ops;

/// Readiness reported for an I/O resource (Tokio's `io::Ready`).
///
/// ```
/// use weave::io::Ready;
///
/// let r = Ready::READABLE | Ready::READ_CLOSED;
/// assert!(r.is_readable() && r.is_read_closed() && !r.is_writable());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ready(u8);

const READABLE: u8 = 0b00_0001;
const WRITABLE: u8 = 0b00_0010;
const READ_CLOSED: u8 = 0b00_0100;
const WRITE_CLOSED: u8 = 0b00_1000;
const PRIORITY: u8 = 0b01_0000;
const ERROR: u8 = 0b10_0000;

impl Ready {
    /// No readiness.
    pub const EMPTY: Ready = Ready(0);
    /// Readable.
    pub const READABLE: Ready = Ready(READABLE);
    /// Writable.
    pub const WRITABLE: Ready = Ready(WRITABLE);
    /// The read side is closed (end of stream).
    pub const READ_CLOSED: Ready = Ready(READ_CLOSED);
    /// The write side is closed.
    pub const WRITE_CLOSED: Ready = Ready(WRITE_CLOSED);
    /// Priority data is available.
    pub const PRIORITY: Ready = Ready(PRIORITY);
    /// An error is pending on the resource.
    pub const ERROR: Ready = Ready(ERROR);
    /// Every kind of readiness.
    pub const ALL: Ready =
        Ready(READABLE | WRITABLE | READ_CLOSED | WRITE_CLOSED | PRIORITY | ERROR);

    /// True if no readiness is set.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// True if readable.
    pub fn is_readable(self) -> bool {
        self.0 & (READABLE | READ_CLOSED) != 0
    }

    /// True if writable.
    pub fn is_writable(self) -> bool {
        self.0 & (WRITABLE | WRITE_CLOSED) != 0
    }

    /// True if the read side is closed.
    pub fn is_read_closed(self) -> bool {
        self.0 & READ_CLOSED != 0
    }

    /// True if the write side is closed.
    pub fn is_write_closed(self) -> bool {
        self.0 & WRITE_CLOSED != 0
    }

    /// True if priority data is available.
    pub fn is_priority(self) -> bool {
        self.0 & PRIORITY != 0
    }

    /// True if an error is pending.
    pub fn is_error(self) -> bool {
        self.0 & ERROR != 0
    }

    pub(crate) const fn from_bits(bits: u8) -> Ready {
        Ready(bits & Ready::ALL.0)
    }

    pub(crate) const fn bits(self) -> u8 {
        self.0
    }

    pub(crate) fn from_mio(event: &mio::event::Event) -> Ready {
        let mut bits = 0;
        if event.is_readable() {
            bits |= READABLE;
        }
        if event.is_writable() {
            bits |= WRITABLE;
        }
        if event.is_read_closed() {
            bits |= READ_CLOSED;
        }
        if event.is_write_closed() {
            bits |= WRITE_CLOSED;
        }
        if event.is_priority() {
            bits |= PRIORITY;
        }
        if event.is_error() {
            bits |= ERROR;
        }
        Ready(bits)
    }

    pub(crate) fn intersection(self, other: Ready) -> Ready {
        Ready(self.0 & other.0)
    }

    pub(crate) fn difference(self, other: Ready) -> Ready {
        Ready(self.0 & !other.0)
    }
}

impl ops::BitOr for Ready {
    type Output = Ready;
    fn bitor(self, other: Ready) -> Ready {
        Ready(self.0 | other.0)
    }
}

impl ops::BitOrAssign for Ready {
    fn bitor_assign(&mut self, other: Ready) {
        self.0 |= other.0;
    }
}

impl ops::BitAnd for Ready {
    type Output = Ready;
    fn bitand(self, other: Ready) -> Ready {
        Ready(self.0 & other.0)
    }
}

impl ops::Sub for Ready {
    type Output = Ready;
    fn sub(self, other: Ready) -> Ready {
        self.difference(other)
    }
}

impl fmt::Debug for Ready {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ready")
            .field("is_readable", &self.is_readable())
            .field("is_writable", &self.is_writable())
            .field("is_read_closed", &self.is_read_closed())
            .field("is_write_closed", &self.is_write_closed())
            .field("is_priority", &self.is_priority())
            .field("is_error", &self.is_error())
            .finish()
    }
}
