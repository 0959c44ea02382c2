//! `ctrl_c()`: wait for one `SIGINT`.

use super::unix::{signal, SignalKind};
use std::io;

/// Completes on the next Ctrl-C (`SIGINT`) delivered to the process.
///
/// The handler is installed when the future is first polled, and stays
/// installed for the rest of the process: from then on Ctrl-C no longer
/// terminates the program by default, so decide what to do when this
/// returns (typically: shut down gracefully). A `SIGINT` that arrives
/// before the first poll is not seen.
///
/// # Errors
///
/// If the handler or the process-wide listener cannot be set up.
///
/// ```no_run
/// #[weave::main]
/// async fn main() -> std::io::Result<()> {
///     println!("press Ctrl-C to stop");
///     weave::signal::ctrl_c().await?;
///     println!("stopping");
///     Ok(())
/// }
/// ```
pub async fn ctrl_c() -> io::Result<()> {
    let mut interrupts = signal(SignalKind::interrupt())?;
    match interrupts.recv().await {
        Some(()) => Ok(()),
        None => Err(io::Error::other("the signal listener has stopped")),
    }
}
