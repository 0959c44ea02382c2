//! Time error types: [`Elapsed`] (a timeout ran out) and [`Error`] (a timer
//! could not work).

use std::fmt;

/// The error of a [`Timeout`](super::Timeout) whose deadline passed before
/// its future completed.
///
/// Converts into an `io::Error` of kind `TimedOut`, so `?` works in
/// functions returning `io::Result`.
///
/// ```
/// use weave::time::{self, error::Elapsed, Duration};
///
/// # weave::runtime::Builder::new_current_thread().enable_time().start_paused(true)
/// #     .build().unwrap().block_on(async {
/// let err: Elapsed = time::timeout(Duration::from_millis(10), std::future::pending::<()>())
///     .await
///     .unwrap_err();
/// assert_eq!(err.to_string(), "deadline has elapsed");
/// let io: std::io::Error = err.into();
/// assert_eq!(io.kind(), std::io::ErrorKind::TimedOut);
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elapsed(());

impl Elapsed {
    pub(crate) fn new() -> Elapsed {
        Elapsed(())
    }
}

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline has elapsed")
    }
}

impl std::error::Error for Elapsed {}

impl From<Elapsed> for std::io::Error {
    fn from(_: Elapsed) -> std::io::Error {
        std::io::ErrorKind::TimedOut.into()
    }
}

/// Why a timer could not work.
///
/// weave's timers only fail when their runtime's time driver has shut down
/// (and then [`Sleep`](super::Sleep) panics with this error's message); the
/// other kinds exist for compatibility with Tokio's `time::error::Error`.
///
/// ```
/// use weave::time::error::Error;
///
/// let err = Error::shutdown();
/// assert!(err.is_shutdown());
/// assert!(!err.is_at_capacity() && !err.is_invalid());
/// println!("{err}");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Error(Kind);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Shutdown,
    AtCapacity,
    Invalid,
}

impl Error {
    /// The runtime's time driver has shut down.
    ///
    /// ```
    /// assert!(weave::time::error::Error::shutdown().is_shutdown());
    /// ```
    pub fn shutdown() -> Error {
        Error(Kind::Shutdown)
    }

    /// True if the runtime's time driver has shut down.
    ///
    /// ```
    /// assert!(!weave::time::error::Error::invalid().is_shutdown());
    /// ```
    pub fn is_shutdown(&self) -> bool {
        self.0 == Kind::Shutdown
    }

    /// The timer has too many entries (never returned by weave: its wheel
    /// has no fixed capacity).
    ///
    /// ```
    /// assert!(weave::time::error::Error::at_capacity().is_at_capacity());
    /// ```
    pub fn at_capacity() -> Error {
        Error(Kind::AtCapacity)
    }

    /// True for [`Error::at_capacity`].
    ///
    /// ```
    /// assert!(!weave::time::error::Error::shutdown().is_at_capacity());
    /// ```
    pub fn is_at_capacity(&self) -> bool {
        self.0 == Kind::AtCapacity
    }

    /// The deadline is out of range (never returned by weave: far deadlines
    /// saturate instead).
    ///
    /// ```
    /// assert!(weave::time::error::Error::invalid().is_invalid());
    /// ```
    pub fn invalid() -> Error {
        Error(Kind::Invalid)
    }

    /// True for [`Error::invalid`].
    ///
    /// ```
    /// assert!(!weave::time::error::Error::shutdown().is_invalid());
    /// ```
    pub fn is_invalid(&self) -> bool {
        self.0 == Kind::Invalid
    }
}

impl From<crate::runtime::time::TimerError> for Error {
    fn from(err: crate::runtime::time::TimerError) -> Error {
        match err {
            crate::runtime::time::TimerError::Shutdown => Error::shutdown(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.0 {
            Kind::Shutdown => {
                "A weave runtime's time driver was shut down, so this timer can never fire: \
                 timers must be polled while the runtime that created them is running"
            }
            Kind::AtCapacity => "the timer is at capacity and cannot take a new entry",
            Kind::Invalid => "the timer's deadline is out of range",
        })
    }
}

impl std::error::Error for Error {}
