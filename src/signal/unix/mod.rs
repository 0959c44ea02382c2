//! Unix signals as streams of notifications (Tokio's
//! `tokio::signal::unix`).
//!
//! [`signal`] installs a process-wide handler for a [`SignalKind`] (once)
//! and returns a [`Signal`], whose [`recv`](Signal::recv) completes once
//! for each delivery after the `Signal` was created. Deliveries close
//! together may be coalesced into one notification; every `Signal` of the
//! kind sees each delivery. See the parent module for the design.

mod kind;

pub use kind::SignalKind;

use super::generation::Receiver;
use std::fmt;
use std::future::poll_fn;
use std::io;
use std::task::{Context, Poll};

/// Listens for `kind`.
///
/// The first call for a kind installs its handler, for the rest of the
/// process: the signal's default action (for example, termination on
/// `SIGTERM`) no longer happens. Unlike Tokio, no runtime is needed: the
/// notifications come from a process-wide listener thread.
///
/// # Errors
///
/// For signals that may not be caught or handled (`SIGKILL`, `SIGSTOP`,
/// `SIGSEGV`, `SIGBUS`, `SIGFPE`, `SIGILL`), invalid signal numbers, and if
/// the handler or the listener cannot be set up.
///
/// ```
/// use weave::signal::unix::{signal, SignalKind};
///
/// #[weave::main]
/// async fn main() -> std::io::Result<()> {
///     let mut hangups = signal(SignalKind::hangup())?;
///     // SAFETY (for this example): raising a signal a handler is
///     // installed for only runs that handler.
///     unsafe { libc::raise(libc::SIGHUP) };
///     hangups.recv().await;
///     println!("got SIGHUP");
///     Ok(())
/// }
/// ```
pub fn signal(kind: SignalKind) -> io::Result<Signal> {
    let generation = super::registry::listen(kind.as_raw_value())?;
    Ok(Signal {
        kind,
        receiver: generation.subscribe(),
    })
}

/// A stream of deliveries of one signal kind, from [`signal`].
pub struct Signal {
    kind: SignalKind,
    receiver: Receiver<'static>,
}

impl Signal {
    /// Waits for the next delivery. Never returns `None` in weave (the
    /// listener lives as long as the process); the `Option` keeps Tokio's
    /// signature.
    ///
    /// Cancel safe: dropping the future loses no delivery.
    pub async fn recv(&mut self) -> Option<()> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Polls for the next delivery; on `Pending`, `cx`'s task is woken on
    /// the next one.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<()>> {
        self.receiver.poll_changed(cx).map(Some)
    }
}

impl fmt::Debug for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signal")
            .field("kind", &self.kind)
            .field("receiver", &self.receiver)
            .finish()
    }
}
