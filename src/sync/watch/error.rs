//! Errors returned by the watch channel.

use std::fmt;

/// Error returned by [`Sender::send`](super::Sender::send) when every
/// receiver has been dropped. It hands the value back.
///
/// # Examples
///
/// ```
/// use weave::sync::watch;
///
/// let (tx, rx) = watch::channel(0);
/// drop(rx);
/// let err = tx.send(5).unwrap_err();
/// assert_eq!(err.0, 5);
/// assert_eq!(err.to_string(), "channel closed");
/// ```
#[derive(PartialEq, Eq, Clone, Copy)]
pub struct SendError<T>(pub T);

impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // No `T: Debug` bound, so that `unwrap` works for any value type.
        f.debug_struct("SendError").finish_non_exhaustive()
    }
}

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("channel closed")
    }
}

impl<T> std::error::Error for SendError<T> {}

/// Error returned by [`Receiver::changed`](super::Receiver::changed),
/// [`Receiver::wait_for`](super::Receiver::wait_for) and
/// [`Receiver::has_changed`](super::Receiver::has_changed) once every sender
/// has been dropped.
///
/// # Examples
///
/// ```
/// use weave::sync::watch;
///
/// let (tx, rx) = watch::channel(0);
/// drop(tx);
/// assert_eq!(rx.has_changed().unwrap_err().to_string(), "channel closed");
/// ```
#[derive(Debug, PartialEq, Eq, Clone)]
pub struct RecvError(pub(super) ());

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("channel closed")
    }
}

impl std::error::Error for RecvError {}
