//! `SignalKind`: which Unix signal to listen for.

use std::os::raw::c_int;

/// A Unix signal number, with constructors for the common ones (Tokio's
/// `SignalKind`).
///
/// ```
/// use weave::signal::unix::SignalKind;
///
/// assert_eq!(SignalKind::hangup().as_raw_value(), libc::SIGHUP);
/// assert_eq!(SignalKind::from_raw(libc::SIGUSR1), SignalKind::user_defined1());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SignalKind(c_int);

impl SignalKind {
    /// Any signal by number, for those without a constructor here (such as
    /// real-time signals).
    pub const fn from_raw(signum: c_int) -> Self {
        SignalKind(signum)
    }

    /// The signal number.
    pub const fn as_raw_value(&self) -> c_int {
        self.0
    }

    /// `SIGALRM`: a timer set with `alarm(2)` expired.
    pub const fn alarm() -> Self {
        SignalKind(libc::SIGALRM)
    }

    /// `SIGCHLD`: a child process stopped or exited.
    pub const fn child() -> Self {
        SignalKind(libc::SIGCHLD)
    }

    /// `SIGHUP`: the terminal hung up; daemons often reload on it.
    pub const fn hangup() -> Self {
        SignalKind(libc::SIGHUP)
    }

    /// `SIGINT`: interrupt from the terminal (Ctrl-C).
    pub const fn interrupt() -> Self {
        SignalKind(libc::SIGINT)
    }

    /// `SIGIO`: I/O is possible on a descriptor set up for it.
    pub const fn io() -> Self {
        SignalKind(libc::SIGIO)
    }

    /// `SIGPIPE`: a write to a pipe or socket with no reader.
    pub const fn pipe() -> Self {
        SignalKind(libc::SIGPIPE)
    }

    /// `SIGQUIT`: quit from the terminal (Ctrl-\\).
    pub const fn quit() -> Self {
        SignalKind(libc::SIGQUIT)
    }

    /// `SIGTERM`: a polite request to terminate.
    pub const fn terminate() -> Self {
        SignalKind(libc::SIGTERM)
    }

    /// `SIGUSR1`: meaning defined by the application.
    pub const fn user_defined1() -> Self {
        SignalKind(libc::SIGUSR1)
    }

    /// `SIGUSR2`: meaning defined by the application.
    pub const fn user_defined2() -> Self {
        SignalKind(libc::SIGUSR2)
    }

    /// `SIGWINCH`: the terminal window changed size.
    pub const fn window_change() -> Self {
        SignalKind(libc::SIGWINCH)
    }
}

impl From<c_int> for SignalKind {
    fn from(signum: c_int) -> Self {
        SignalKind::from_raw(signum)
    }
}

impl From<SignalKind> for c_int {
    fn from(kind: SignalKind) -> Self {
        kind.as_raw_value()
    }
}
