//! Child processes (Tokio's `tokio::process`; asyncio's
//! `create_subprocess_exec`).
//!
//! [`Command`] wraps `std::process::Command` (same builder methods);
//! [`Command::spawn`] gives a [`Child`] whose exit is awaited with
//! [`Child::wait`], and whose piped standard streams ([`ChildStdin`],
//! [`ChildStdout`], [`ChildStderr`]) are non-blocking pipes driven by the
//! runtime's reactor, usable with [`AsyncReadExt`],
//! [`AsyncWriteExt`](crate::io::AsyncWriteExt), [`BufReader`](crate::io::BufReader)
//! and the rest of `weave::io`.
//!
//! ```
//! use weave::process::Command;
//!
//! # #[weave::main]
//! # async fn main() -> std::io::Result<()> {
//! let output = Command::new("echo").arg("hello").output().await?;
//! assert!(output.status.success());
//! assert_eq!(output.stdout, b"hello\n");
//! # Ok(())
//! # }
//! ```
//!
//! # Design and invariants
//!
//! - No thread per child. On Linux each child gets a pidfd
//!   (`pidfd_open`), registered with the reactor of the runtime current at
//!   spawn; it turns readable when the child exits. Where pidfds are
//!   unavailable (`ENOSYS` on kernels before 5.3, or `EPERM` from a
//!   seccomp filter) each child subscribes to SIGCHLD through
//!   [`crate::signal`] and re-checks its own pid after every delivery.
//!   Details in `reap.rs`.
//! - Who reaps which pid: a child is reaped exactly once, with
//!   `waitpid(pid, WNOHANG)` on its own pid, by whoever holds its reaper:
//!   the `Child` (in `wait`, `try_wait`, `kill`), then, if the `Child` is
//!   dropped unreaped, a detached task on the current runtime, and failing
//!   that the process-wide orphan list, swept at each spawn and at each exit
//!   notification. weave never calls `waitpid(-1)`, so processes spawned
//!   with std's `Command` elsewhere in the program are never reaped behind
//!   its back.
//! - A pid is signalled (`kill`, `start_kill`, kill-on-drop) only while it
//!   is unreaped, so the signal cannot reach an unrelated process that
//!   reused the pid. Once reaped, [`Child::id`] is `None`.
//! - [`Child::wait`] is cancel safe: all its state lives in the `Child`,
//!   so dropping the future and calling `wait` again loses nothing.
//! - A `Child` dropped unreaped is killed first if
//!   [`Command::kill_on_drop`] was set; either way it never stays a zombie
//!   longer than until its exit is noticed (see above).
//! - The reactor that watches a child and its pipes is the one of the
//!   runtime current at [`Command::spawn`]; awaiting them after that runtime
//!   shut down fails with an error.
//!
//! Like the rest of weave's I/O, spawning outside a runtime panics.

mod pipe;
mod reap;

pub use pipe::{ChildStderr, ChildStdin, ChildStdout};

use crate::io::{AsyncRead, AsyncReadExt};
use reap::Reaper;
use std::ffi::OsStr;
use std::fmt;
use std::future::{poll_fn, Future};
use std::io;
use std::path::Path;
use std::pin::pin;
use std::process::{ExitStatus, Output, Stdio};
use std::task::Poll;

/// A builder for a child process (Tokio's `Command`): a
/// `std::process::Command` whose [`spawn`](Command::spawn) gives an
/// asynchronous [`Child`].
///
/// The builder methods are std's, returning `&mut Command` so calls chain.
///
/// ```
/// use weave::process::Command;
///
/// # #[weave::main]
/// # async fn main() -> std::io::Result<()> {
/// let status = Command::new("sh")
///     .arg("-c")
///     .arg("test \"$GREETING\" = hi")
///     .env("GREETING", "hi")
///     .status()
///     .await?;
/// assert!(status.success());
/// # Ok(())
/// # }
/// ```
pub struct Command {
    std: std::process::Command,
    kill_on_drop: bool,
    /// Which standard streams were configured through this type, so that
    /// [`output`](Command::output) only fills in the others.
    stdin_set: bool,
    stdout_set: bool,
    stderr_set: bool,
}

impl Command {
    /// A command that runs `program` (looked up in `PATH` if it has no
    /// slash), with no arguments, the parent's environment and working
    /// directory, and inherited standard streams.
    pub fn new<S: AsRef<OsStr>>(program: S) -> Command {
        Command::from(std::process::Command::new(program))
    }

    /// Adds one argument.
    pub fn arg<S: AsRef<OsStr>>(&mut self, arg: S) -> &mut Command {
        self.std.arg(arg);
        self
    }

    /// Adds several arguments.
    pub fn args<I, S>(&mut self, args: I) -> &mut Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.std.args(args);
        self
    }

    /// Sets an environment variable for the child.
    pub fn env<K, V>(&mut self, key: K, val: V) -> &mut Command
    where
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        self.std.env(key, val);
        self
    }

    /// Sets several environment variables for the child.
    pub fn envs<I, K, V>(&mut self, vars: I) -> &mut Command
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        self.std.envs(vars);
        self
    }

    /// Removes an environment variable from the child's environment.
    pub fn env_remove<K: AsRef<OsStr>>(&mut self, key: K) -> &mut Command {
        self.std.env_remove(key);
        self
    }

    /// Starts the child with an empty environment (plus what
    /// [`env`](Command::env) adds afterwards).
    pub fn env_clear(&mut self) -> &mut Command {
        self.std.env_clear();
        self
    }

    /// Sets the child's working directory.
    pub fn current_dir<P: AsRef<Path>>(&mut self, dir: P) -> &mut Command {
        self.std.current_dir(dir);
        self
    }

    /// Configures the child's standard input. `Stdio::piped()` makes
    /// [`Child::stdin`] a [`ChildStdin`].
    pub fn stdin<T: Into<Stdio>>(&mut self, cfg: T) -> &mut Command {
        self.std.stdin(cfg);
        self.stdin_set = true;
        self
    }

    /// Configures the child's standard output. `Stdio::piped()` makes
    /// [`Child::stdout`] a [`ChildStdout`].
    pub fn stdout<T: Into<Stdio>>(&mut self, cfg: T) -> &mut Command {
        self.std.stdout(cfg);
        self.stdout_set = true;
        self
    }

    /// Configures the child's standard error. `Stdio::piped()` makes
    /// [`Child::stderr`] a [`ChildStderr`].
    pub fn stderr<T: Into<Stdio>>(&mut self, cfg: T) -> &mut Command {
        self.std.stderr(cfg);
        self.stderr_set = true;
        self
    }

    /// Whether a [`Child`] spawned from this command is killed (`SIGKILL`)
    /// when it is dropped before it was reaped. Off by default: a dropped
    /// child keeps running, and weave reaps it when it exits.
    ///
    /// ```
    /// use weave::process::Command;
    ///
    /// # #[weave::main]
    /// # async fn main() -> std::io::Result<()> {
    /// let child = Command::new("sleep").arg("10").kill_on_drop(true).spawn()?;
    /// drop(child); // `sleep` is killed here, and reaped soon after
    /// # Ok(())
    /// # }
    /// ```
    pub fn kill_on_drop(&mut self, kill_on_drop: bool) -> &mut Command {
        self.kill_on_drop = kill_on_drop;
        self
    }

    /// The value set by [`kill_on_drop`](Command::kill_on_drop).
    pub fn get_kill_on_drop(&self) -> bool {
        self.kill_on_drop
    }

    /// The wrapped std command.
    pub fn as_std(&self) -> &std::process::Command {
        &self.std
    }

    /// The wrapped std command, mutably, for what this type does not
    /// forward. Standard streams set through it are not seen by
    /// [`output`](Command::output), which pipes stdout and stderr unless
    /// they were set through this type.
    pub fn as_std_mut(&mut self) -> &mut std::process::Command {
        &mut self.std
    }

    /// Unwraps the std command (the kill-on-drop setting is lost).
    pub fn into_std(self) -> std::process::Command {
        self.std
    }

    /// Sets the child's user id (`setuid` before `exec`).
    pub fn uid(&mut self, id: u32) -> &mut Command {
        std::os::unix::process::CommandExt::uid(&mut self.std, id);
        self
    }

    /// Sets the child's group id (`setgid` before `exec`).
    pub fn gid(&mut self, id: u32) -> &mut Command {
        std::os::unix::process::CommandExt::gid(&mut self.std, id);
        self
    }

    /// Sets the child's `argv[0]` (what it sees as its own name).
    pub fn arg0<S: AsRef<OsStr>>(&mut self, arg: S) -> &mut Command {
        std::os::unix::process::CommandExt::arg0(&mut self.std, arg);
        self
    }

    /// Puts the child in process group `pgroup` (0: a new group whose id
    /// is the child's pid).
    pub fn process_group(&mut self, pgroup: i32) -> &mut Command {
        std::os::unix::process::CommandExt::process_group(&mut self.std, pgroup);
        self
    }

    /// Runs `f` in the child after `fork` and before `exec`.
    ///
    /// # Safety
    ///
    /// As for std's `CommandExt::pre_exec`: `f` runs in a forked copy of a
    /// possibly multi-threaded process, so it must only do what is
    /// async-signal-safe (no allocation, no locks other threads may hold).
    pub unsafe fn pre_exec<F>(&mut self, f: F) -> &mut Command
    where
        F: FnMut() -> io::Result<()> + Send + Sync + 'static,
    {
        // SAFETY: the caller upholds `pre_exec`'s contract (see above),
        // which is exactly std's.
        unsafe { std::os::unix::process::CommandExt::pre_exec(&mut self.std, f) };
        self
    }

    /// Starts the child process.
    ///
    /// Errors as std's `spawn` does (a missing program gives
    /// `io::ErrorKind::NotFound`; no free descriptors gives `EMFILE`), and
    /// if its pipes or exit watch cannot be registered; the child is then
    /// killed before the error is returned.
    ///
    /// # Panics
    ///
    /// Outside a runtime, or in one built without I/O.
    ///
    /// ```
    /// use weave::process::Command;
    ///
    /// # #[weave::main]
    /// # async fn main() -> std::io::Result<()> {
    /// let mut child = Command::new("sh").args(["-c", "exit 3"]).spawn()?;
    /// assert!(child.id().is_some());
    /// assert_eq!(child.wait().await?.code(), Some(3));
    /// assert_eq!(child.id(), None);
    ///
    /// let missing = Command::new("/no/such/program").spawn();
    /// assert_eq!(missing.unwrap_err().kind(), std::io::ErrorKind::NotFound);
    /// # Ok(())
    /// # }
    /// ```
    #[track_caller]
    pub fn spawn(&mut self) -> io::Result<Child> {
        if crate::runtime::context::try_current().is_none() {
            panic!(
                "`weave::process::Command::spawn` called outside a runtime: {}",
                crate::runtime::context::NO_RUNTIME
            );
        }
        // Panics (with its own message) if the runtime has no I/O driver.
        let handle = crate::runtime::context::io_handle();
        reap::sweep_orphans();

        let mut std_child = self.std.spawn()?;
        let stdin = std_child.stdin.take();
        let stdout = std_child.stdout.take();
        let stderr = std_child.stderr.take();
        let reaper = match Reaper::new(std_child, handle) {
            Ok(reaper) => reaper,
            Err((e, mut std_child)) => {
                let _ = std_child.kill();
                // No exit watch could be set up: reap it now if it already
                // died, else leave it to the orphan list.
                reap::adopt_std(std_child);
                return Err(e);
            }
        };
        let mut child = Child {
            reaper: Some(reaper),
            status: None,
            kill_on_drop: self.kill_on_drop,
            stdin: None,
            stdout: None,
            stderr: None,
        };
        // If a pipe cannot be registered, `child` is dropped with
        // kill-on-drop set: killed, then reaped like any dropped child.
        let pipes = (|| {
            child.stdin = stdin.map(ChildStdin::from_std).transpose()?;
            child.stdout = stdout.map(ChildStdout::from_std).transpose()?;
            child.stderr = stderr.map(ChildStderr::from_std).transpose()?;
            Ok::<_, io::Error>(())
        })();
        if let Err(e) = pipes {
            child.kill_on_drop = true;
            return Err(e);
        }
        Ok(child)
    }

    /// Spawns the child and returns a future of its exit status. The
    /// child's standard streams are inherited unless configured otherwise;
    /// any that were piped are closed (dropped) right after the spawn.
    ///
    /// The child is spawned when `status` is called, not when the future
    /// is first polled; if the future is dropped early, the child is
    /// handled like a dropped [`Child`].
    ///
    /// # Panics
    ///
    /// Outside a runtime, or in one built without I/O.
    ///
    /// ```
    /// use weave::process::Command;
    ///
    /// # #[weave::main]
    /// # async fn main() -> std::io::Result<()> {
    /// assert!(Command::new("true").status().await?.success());
    /// assert!(!Command::new("false").status().await?.success());
    /// # Ok(())
    /// # }
    /// ```
    #[track_caller]
    pub fn status(&mut self) -> impl Future<Output = io::Result<ExitStatus>> + Send + 'static {
        let child = self.spawn();
        async move {
            let mut child = child?;
            drop(child.stdin.take());
            drop(child.stdout.take());
            drop(child.stderr.take());
            child.wait().await
        }
    }

    /// Spawns the child, collects everything it writes to stdout and
    /// stderr, and waits for it to exit (asyncio's `communicate()`).
    ///
    /// Unless they were configured with [`stdout`](Command::stdout) /
    /// [`stderr`](Command::stderr) / [`stdin`](Command::stdin), stdout and
    /// stderr are piped and captured, and stdin is `/dev/null` (as with
    /// std's `output`). This only applies to this call: afterwards the
    /// command is back to its previous defaults.
    ///
    /// # Panics
    ///
    /// Outside a runtime, or in one built without I/O.
    ///
    /// ```
    /// use weave::process::Command;
    ///
    /// # #[weave::main]
    /// # async fn main() -> std::io::Result<()> {
    /// let out = Command::new("sh").args(["-c", "echo out; echo err >&2; exit 2"]).output().await?;
    /// assert_eq!(out.status.code(), Some(2));
    /// assert_eq!(out.stdout, b"out\n");
    /// assert_eq!(out.stderr, b"err\n");
    /// # Ok(())
    /// # }
    /// ```
    #[track_caller]
    pub fn output(&mut self) -> impl Future<Output = io::Result<Output>> + Send + 'static {
        let (stdin_set, stdout_set, stderr_set) =
            (self.stdin_set, self.stdout_set, self.stderr_set);
        if !stdin_set {
            self.std.stdin(Stdio::null());
        }
        if !stdout_set {
            self.std.stdout(Stdio::piped());
        }
        if !stderr_set {
            self.std.stderr(Stdio::piped());
        }
        let child = self.spawn();
        // Back to the defaults of `spawn` (inherit) for what we filled in.
        if !stdin_set {
            self.std.stdin(Stdio::inherit());
        }
        if !stdout_set {
            self.std.stdout(Stdio::inherit());
        }
        if !stderr_set {
            self.std.stderr(Stdio::inherit());
        }
        async move { child?.wait_with_output().await }
    }
}

impl From<std::process::Command> for Command {
    /// Wraps a std command (kill-on-drop off). Standard streams it already
    /// configured are kept by `spawn` and `status`, but `output` pipes
    /// stdout and stderr over them, as Tokio does.
    fn from(std: std::process::Command) -> Command {
        Command {
            std,
            kill_on_drop: false,
            stdin_set: false,
            stdout_set: false,
            stderr_set: false,
        }
    }
}

impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Command")
            .field("std", &self.std)
            .field("kill_on_drop", &self.kill_on_drop)
            .finish()
    }
}

/// A spawned child process (Tokio's `Child`), from [`Command::spawn`].
///
/// Await its exit with [`wait`](Child::wait). Dropping a `Child` does not
/// kill the process unless [`Command::kill_on_drop`] was set; either way
/// weave reaps it once it exits (module docs).
pub struct Child {
    /// `None` once the child was reaped.
    reaper: Option<Reaper>,
    /// `Some` once the child was reaped.
    status: Option<ExitStatus>,
    kill_on_drop: bool,
    /// The child's stdin, if it was piped. Taken and dropped by
    /// [`wait`](Child::wait), so the child sees end of file.
    pub stdin: Option<ChildStdin>,
    /// The child's stdout, if it was piped.
    pub stdout: Option<ChildStdout>,
    /// The child's stderr, if it was piped.
    pub stderr: Option<ChildStderr>,
}

impl Child {
    /// The child's process id, or `None` once it was reaped (by
    /// [`wait`](Child::wait), [`try_wait`](Child::try_wait) or
    /// [`kill`](Child::kill)), after which the pid may belong to another
    /// process.
    pub fn id(&self) -> Option<u32> {
        self.reaper.as_ref().map(Reaper::id)
    }

    /// Waits for the child to exit and returns its status; closes the
    /// child's stdin first (drops [`stdin`](Child::stdin)), so a child that
    /// reads its input to the end can finish.
    ///
    /// Cancel safe: if the future is dropped before it completes, nothing
    /// is lost, and a later `wait` picks up where it left off. Once the
    /// child was reaped, every call returns the same status at once.
    ///
    /// ```
    /// use std::time::Duration;
    /// use weave::process::Command;
    ///
    /// # #[weave::main]
    /// # async fn main() -> std::io::Result<()> {
    /// let mut child = Command::new("sleep").arg("10").spawn()?;
    /// // Give up waiting after 10 ms; the child keeps running.
    /// let waited = weave::time::timeout(Duration::from_millis(10), child.wait()).await;
    /// assert!(waited.is_err());
    /// child.kill().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn wait(&mut self) -> io::Result<ExitStatus> {
        drop(self.stdin.take());
        poll_fn(|cx| match &mut self.reaper {
            Some(reaper) => {
                let status = std::task::ready!(reaper.poll_wait(cx))?;
                self.reaper = None;
                self.status = Some(status);
                Poll::Ready(Ok(status))
            }
            None => Poll::Ready(Ok(self.status.expect("a reaped child has a status"))),
        })
        .await
    }

    /// The exit status if the child has exited (reaping it), `None` if it
    /// is still running. Does not wait and does not close stdin.
    ///
    /// ```
    /// use weave::process::Command;
    ///
    /// # #[weave::main]
    /// # async fn main() -> std::io::Result<()> {
    /// let mut child = Command::new("sleep").arg("10").spawn()?;
    /// assert!(child.try_wait()?.is_none());
    /// child.kill().await?;
    /// assert!(child.try_wait()?.is_some());
    /// # Ok(())
    /// # }
    /// ```
    pub fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        let Some(reaper) = &mut self.reaper else {
            return Ok(self.status);
        };
        let status = reaper.try_wait()?;
        if status.is_some() {
            self.reaper = None;
            self.status = status;
        }
        Ok(status)
    }

    /// Sends `SIGKILL` to the child without waiting for it to exit (call
    /// [`wait`](Child::wait) or [`try_wait`](Child::try_wait) afterwards to
    /// reap it, or let weave do it when the `Child` is dropped).
    ///
    /// Errors with `io::ErrorKind::InvalidInput` if the child was already
    /// reaped: its pid may belong to another process by now.
    pub fn start_kill(&mut self) -> io::Result<()> {
        match &mut self.reaper {
            Some(reaper) => reaper.kill(),
            None => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "cannot kill a child process that was already reaped",
            )),
        }
    }

    /// Kills the child ([`start_kill`](Child::start_kill)) and waits for it
    /// to exit ([`wait`](Child::wait)).
    ///
    /// ```
    /// use std::os::unix::process::ExitStatusExt;
    /// use weave::process::Command;
    ///
    /// # #[weave::main]
    /// # async fn main() -> std::io::Result<()> {
    /// let mut child = Command::new("sleep").arg("10").spawn()?;
    /// child.kill().await?;
    /// assert_eq!(child.wait().await?.signal(), Some(libc::SIGKILL));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn kill(&mut self) -> io::Result<()> {
        self.start_kill()?;
        self.wait().await?;
        Ok(())
    }

    /// Waits for the child to exit while reading all of its stdout and
    /// stderr (those that were piped; the others come back empty), all
    /// three at once so that a child filling a pipe cannot block. Closes
    /// stdin first, like [`wait`](Child::wait).
    ///
    /// ```
    /// use std::process::Stdio;
    /// use weave::process::Command;
    ///
    /// # #[weave::main]
    /// # async fn main() -> std::io::Result<()> {
    /// let child = Command::new("sh")
    ///     .args(["-c", "echo to-out; echo to-err >&2"])
    ///     .stdout(Stdio::piped())
    ///     .stderr(Stdio::piped())
    ///     .spawn()?;
    /// let out = child.wait_with_output().await?;
    /// assert!(out.status.success());
    /// assert_eq!(out.stdout, b"to-out\n");
    /// assert_eq!(out.stderr, b"to-err\n");
    /// # Ok(())
    /// # }
    /// ```
    pub async fn wait_with_output(mut self) -> io::Result<Output> {
        async fn read_all<R: AsyncRead + Unpin>(io: Option<R>) -> io::Result<Vec<u8>> {
            let mut bytes = Vec::new();
            if let Some(mut io) = io {
                io.read_to_end(&mut bytes).await?;
            }
            Ok(bytes)
        }

        let mut stdout = pin!(read_all(self.stdout.take()));
        let mut stderr = pin!(read_all(self.stderr.take()));
        let mut status = pin!(self.wait());
        let (mut out, mut err, mut st) = (None, None, None);
        // A three-way join that returns the first error.
        poll_fn(|cx| {
            if out.is_none() {
                if let Poll::Ready(r) = stdout.as_mut().poll(cx) {
                    out = Some(r?);
                }
            }
            if err.is_none() {
                if let Poll::Ready(r) = stderr.as_mut().poll(cx) {
                    err = Some(r?);
                }
            }
            if st.is_none() {
                if let Poll::Ready(r) = status.as_mut().poll(cx) {
                    st = Some(r?);
                }
            }
            if out.is_some() && err.is_some() && st.is_some() {
                Poll::Ready(Ok::<_, io::Error>(()))
            } else {
                Poll::Pending
            }
        })
        .await?;
        Ok(Output {
            status: st.expect("joined"),
            stdout: out.expect("joined"),
            stderr: err.expect("joined"),
        })
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        if let Some(mut reaper) = self.reaper.take() {
            if self.kill_on_drop {
                // Still unreaped, so the pid is ours (module invariants).
                let _ = reaper.kill();
            }
            reaper.adopt();
        }
    }
}

impl fmt::Debug for Child {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Child")
            .field("reaper", &self.reaper)
            .field("status", &self.status)
            .field("kill_on_drop", &self.kill_on_drop)
            .field("stdin", &self.stdin)
            .field("stdout", &self.stdout)
            .field("stderr", &self.stderr)
            .finish()
    }
}
