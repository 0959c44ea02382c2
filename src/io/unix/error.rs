//! `AsyncFdTryNewError`: a registration failure that returns the value.

use std::error::Error;
use std::fmt;
use std::io;

/// The error of [`AsyncFd::try_new`](super::AsyncFd::try_new) and
/// [`try_with_interest`](super::AsyncFd::try_with_interest): why the
/// registration failed, plus the value that was to be wrapped.
pub struct AsyncFdTryNewError<T> {
    inner: T,
    cause: io::Error,
}

impl<T> AsyncFdTryNewError<T> {
    pub(super) fn new(inner: T, cause: io::Error) -> Self {
        AsyncFdTryNewError { inner, cause }
    }

    /// The value that could not be registered, and why.
    pub fn into_parts(self) -> (T, io::Error) {
        (self.inner, self.cause)
    }
}

impl<T> fmt::Display for AsyncFdTryNewError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.cause, f)
    }
}

impl<T> fmt::Debug for AsyncFdTryNewError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncFdTryNewError")
            .field("cause", &self.cause)
            .finish_non_exhaustive()
    }
}

impl<T> Error for AsyncFdTryNewError<T> {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&self.cause)
    }
}

impl<T> From<AsyncFdTryNewError<T>> for io::Error {
    /// Keeps the cause; the value is dropped.
    fn from(error: AsyncFdTryNewError<T>) -> io::Error {
        error.cause
    }
}
