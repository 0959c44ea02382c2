//! `Interest`: which readiness a caller waits for.

use super::ready::Ready;
use std::fmt;
use std::ops;

/// The kinds of readiness to wait for (Tokio's `io::Interest`). Combine with
/// `|` or [`add`](Interest::add).
///
/// ```
/// use weave::io::Interest;
///
/// let both = Interest::READABLE | Interest::WRITABLE;
/// assert!(both.is_readable() && both.is_writable());
/// assert_eq!(both.remove(Interest::WRITABLE), Some(Interest::READABLE));
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Interest(u8);

const READABLE: u8 = 0b0001;
const WRITABLE: u8 = 0b0010;
const PRIORITY: u8 = 0b0100;
const ERROR: u8 = 0b1000;

impl Interest {
    /// Readable (also matched by read-closed).
    pub const READABLE: Interest = Interest(READABLE);
    /// Writable (also matched by write-closed).
    pub const WRITABLE: Interest = Interest(WRITABLE);
    /// Priority (out-of-band) data, Linux only in practice.
    pub const PRIORITY: Interest = Interest(PRIORITY);
    /// Error readiness (always reported by the OS).
    pub const ERROR: Interest = Interest(ERROR);

    /// True if readable interest is included.
    pub const fn is_readable(self) -> bool {
        self.0 & READABLE != 0
    }

    /// True if writable interest is included.
    pub const fn is_writable(self) -> bool {
        self.0 & WRITABLE != 0
    }

    /// True if priority interest is included.
    pub const fn is_priority(self) -> bool {
        self.0 & PRIORITY != 0
    }

    /// True if error interest is included.
    pub const fn is_error(self) -> bool {
        self.0 & ERROR != 0
    }

    /// Both interests together.
    #[must_use = "this returns the result of the operation, without modifying the original"]
    pub const fn add(self, other: Interest) -> Interest {
        Interest(self.0 | other.0)
    }

    /// This interest without `other`, or `None` if nothing is left.
    #[must_use = "this returns the result of the operation, without modifying the original"]
    pub fn remove(self, other: Interest) -> Option<Interest> {
        let left = self.0 & !other.0;
        (left != 0).then_some(Interest(left))
    }

    /// The readiness that satisfies this interest. Errors satisfy every
    /// interest: the next operation reports them.
    pub(crate) fn mask(self) -> Ready {
        let mut ready = Ready::ERROR;
        if self.is_readable() {
            ready = ready | Ready::READABLE | Ready::READ_CLOSED;
        }
        if self.is_writable() {
            ready = ready | Ready::WRITABLE | Ready::WRITE_CLOSED;
        }
        if self.is_priority() {
            ready = ready | Ready::PRIORITY | Ready::READ_CLOSED;
        }
        ready
    }

    pub(crate) fn to_mio(self) -> mio::Interest {
        let mut mio_interest: Option<mio::Interest> = None;
        let mut add = |i: mio::Interest| {
            mio_interest = Some(mio_interest.map_or(i, |m| m.add(i)));
        };
        if self.is_readable() {
            add(mio::Interest::READABLE);
        }
        if self.is_writable() {
            add(mio::Interest::WRITABLE);
        }
        #[cfg(any(target_os = "linux", target_os = "android"))]
        if self.is_priority() {
            add(mio::Interest::PRIORITY);
        }
        // Errors are always reported; mio needs some interest to register.
        mio_interest.unwrap_or(mio::Interest::READABLE)
    }
}

impl ops::BitOr for Interest {
    type Output = Interest;
    fn bitor(self, other: Interest) -> Interest {
        self.add(other)
    }
}

impl ops::BitOrAssign for Interest {
    fn bitor_assign(&mut self, other: Interest) {
        *self = self.add(other);
    }
}

impl fmt::Debug for Interest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = [
            (READABLE, "READABLE"),
            (WRITABLE, "WRITABLE"),
            (PRIORITY, "PRIORITY"),
            (ERROR, "ERROR"),
        ];
        let mut first = true;
        for (bit, name) in names {
            if self.0 & bit != 0 {
                if !first {
                    f.write_str(" | ")?;
                }
                f.write_str(name)?;
                first = false;
            }
        }
        Ok(())
    }
}
