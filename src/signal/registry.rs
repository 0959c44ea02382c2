//! The process-wide signal registry: one OS handler per signal number, a
//! self-pipe, and the listener thread that turns deliveries into
//! notifications.
//!
//! ```text
//!  signal handler (any thread)          listener thread ("weave-signal")
//!  ---------------------------          --------------------------------
//!  slots[n].pending = true              read(pipe)            (blocks)
//!  write(pipe, 1 byte)         ----->   for every slot: if pending.swap(false)
//!                                            slots[n].generation.notify()
//!                                       -> wakes the tasks in `Signal::recv`
//! ```
//!
//! Invariants:
//! - The handler only does async-signal-safe work: an atomic load (finding
//!   the initialized globals), an atomic store (the pending flag) and one
//!   `write(2)` to a non-blocking socket. It allocates nothing and takes no
//!   lock. `signal-hook-registry` saves and restores `errno` around it.
//! - Flag before byte: the handler sets `pending` before writing, and the
//!   listener swaps the flags after its `read` returns, so every delivery's
//!   flag is seen by the pass that follows the read of its byte (or an
//!   earlier one). If the socket buffer is full the write fails with
//!   `EAGAIN` and is dropped: unread bytes are already queued, so a pass is
//!   still coming. Hence each delivery notifies its signal at least once;
//!   deliveries close together may coalesce into one notification.
//! - The globals are published (in a `OnceLock`) before any handler is
//!   installed, and are never dropped: the write end the handler uses stays
//!   open forever, and so does a duplicate of the read end, so the handler
//!   can never hit a reader-less socket (`EPIPE`/`SIGPIPE`), even if the
//!   listener thread died.
//! - A handler is installed at most once per signal number (guarded by the
//!   slot's `installed` lock) and never removed, as in Tokio: once a kind
//!   has been listened for, its default action (such as terminating on
//!   `SIGINT`) no longer happens in this process.
//!
//! Why a thread rather than each runtime's reactor: the listener needs no
//! hook in the runtime's driver, serves every runtime at once (and code on
//! no runtime at all), and a delivery is dispatched even while no runtime
//! is running, so a `Signal` outlives the runtime it was created in. The
//! cost is one mostly-blocked thread per process, started on first use. A
//! process that forks after using signals has no listener in the child.

use super::generation::Generation;
use crate::loom::sync::atomic::{AtomicBool, Ordering::SeqCst};
use crate::loom::sync::Mutex;
use std::io::{self, Read};
use std::os::fd::{AsRawFd, RawFd};
use std::os::raw::c_int;
use std::os::unix::net::UnixStream;
use std::sync::OnceLock;

/// Signals no handler may be installed for (the process cannot survive
/// them, or the OS does not allow catching them).
const FORBIDDEN: [c_int; 6] = [
    libc::SIGKILL,
    libc::SIGSTOP,
    libc::SIGSEGV,
    libc::SIGBUS,
    libc::SIGFPE,
    libc::SIGILL,
];

static GLOBALS: OnceLock<Globals> = OnceLock::new();
/// Serializes the creation of the globals (fallible, so not `get_or_init`).
static INIT: std::sync::Mutex<()> = std::sync::Mutex::new(());

struct Globals {
    /// Non-blocking write end of the self-pipe; used by the handler.
    write_fd: RawFd,
    _write: UnixStream,
    /// Keeps the read end open even if the listener thread exits.
    _read_keepalive: UnixStream,
    /// Indexed by signal number.
    slots: Box<[Slot]>,
}

/// The state of one signal number.
struct Slot {
    /// Set by the handler, taken by the listener.
    pending: AtomicBool,
    /// Whether the OS handler is installed.
    installed: Mutex<bool>,
    /// Notified once per listener pass that found `pending`.
    generation: Generation,
}

/// The notification counter of `signum`, with its OS handler installed.
///
/// Errors for forbidden or out-of-range signal numbers, and if the pipe,
/// the listener thread or the handler cannot be set up.
pub(crate) fn listen(signum: c_int) -> io::Result<&'static Generation> {
    if signum <= 0 || FORBIDDEN.contains(&signum) {
        return Err(io::Error::other(format!(
            "refusing to register a handler for signal {signum}"
        )));
    }
    let globals = globals()?;
    let Some(slot) = globals.slots.get(signum as usize) else {
        return Err(io::Error::other(format!(
            "signal {signum} is out of range (the highest is {})",
            globals.slots.len() - 1
        )));
    };
    let mut installed = slot.installed.lock();
    if !*installed {
        // SAFETY: `on_signal` is async-signal-safe (module invariants: an
        // atomic load and store and one `write(2)`, no allocation, no lock).
        unsafe { signal_hook_registry::register(signum, move || on_signal(signum)) }?;
        *installed = true;
    }
    Ok(&slot.generation)
}

/// The handler body, run in signal context.
fn on_signal(signum: c_int) {
    let Some(globals) = GLOBALS.get() else {
        return;
    };
    if let Some(slot) = globals.slots.get(signum as usize) {
        slot.pending.store(true, SeqCst);
    }
    let byte = 1u8;
    // SAFETY: `write(2)` is async-signal-safe; the buffer is one valid byte
    // on this stack frame; `write_fd` belongs to the never-dropped globals,
    // so it is open. A failure (`EAGAIN`: a wake-up is already queued) is
    // harmless and ignored.
    let _ = unsafe { libc::write(globals.write_fd, (&byte as *const u8).cast(), 1) };
}

fn globals() -> io::Result<&'static Globals> {
    if let Some(globals) = GLOBALS.get() {
        return Ok(globals);
    }
    let _init = INIT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(globals) = GLOBALS.get() {
        return Ok(globals);
    }
    let (read, write) = UnixStream::pair()?;
    write.set_nonblocking(true)?;
    let read_keepalive = read.try_clone()?;
    std::thread::Builder::new()
        .name("weave-signal".into())
        .spawn(move || dispatch_loop(read))?;
    let slots = (0..=max_signal())
        .map(|_| Slot {
            pending: AtomicBool::new(false),
            installed: Mutex::new(false),
            generation: Generation::new(),
        })
        .collect();
    let globals = Globals {
        write_fd: write.as_raw_fd(),
        _write: write,
        _read_keepalive: read_keepalive,
        slots,
    };
    Ok(GLOBALS.get_or_init(|| globals))
}

/// The listener thread: one pass over the flags per wake-up byte batch.
fn dispatch_loop(mut read: UnixStream) {
    let mut buf = [0u8; 128];
    loop {
        match read.read(&mut buf) {
            // Cannot happen: the write end is never closed.
            Ok(0) => return,
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                eprintln!("weave: the signal listener thread stopped: {e}");
                return;
            }
        }
        // Bytes only come from the handler, which runs after the globals
        // were published.
        let Some(globals) = GLOBALS.get() else {
            continue;
        };
        for slot in globals.slots.iter() {
            if slot.pending.swap(false, SeqCst) {
                slot.generation.notify();
            }
        }
    }
}

/// The highest signal number this platform can deliver.
fn max_signal() -> c_int {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        libc::SIGRTMAX()
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        // The classic signals; BSDs and macOS have no more than 32.
        32
    }
}
