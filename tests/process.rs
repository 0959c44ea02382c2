//! Integration tests for `weave::process`.
//!
//! The programs used (`sh`, `cat`, `echo`, `true`, `false`, `sleep`) exist
//! on any Debian system. No test depends on wall-clock speed: waits for an
//! outside event (a process disappearing from `/proc`) poll with short
//! sleeps up to a generous bound, and timeouts only guard against hangs.

use std::future::Future;
use std::io::ErrorKind;
use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;
use std::time::Duration;

use weave::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use weave::process::{Child, ChildStderr, ChildStdin, ChildStdout, Command};

/// Hang guard for whole tests.
const GUARD: Duration = Duration::from_secs(60);
/// Bound for "this process goes away soon".
const BOUND: Duration = Duration::from_secs(10);

fn current_thread() -> weave::runtime::Runtime {
    weave::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn multi_thread() -> weave::runtime::Runtime {
    weave::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Runs the test body on both runtime flavors.
fn both<F, Fut>(body: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    for rt in [current_thread(), multi_thread()] {
        rt.block_on(async {
            let task = weave::spawn(body());
            weave::time::timeout(GUARD, task)
                .await
                .expect("test timed out")
                .expect("test task panicked");
        });
    }
}

/// The state letter of `/proc/<pid>/stat` (`Z` for a zombie), or `None`
/// if there is no such process.
fn proc_state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may contain spaces.
    stat.rsplit(')').next()?.trim_start().chars().next()
}

/// Waits (async, short sleeps) until `pid` no longer exists: exited and
/// reaped. Panics after `BOUND`.
async fn gone(pid: u32) {
    let start = std::time::Instant::now();
    while proc_state(pid).is_some() {
        assert!(
            start.elapsed() < BOUND,
            "process {pid} still exists (state {:?})",
            proc_state(pid)
        );
        weave::time::sleep(Duration::from_millis(5)).await;
    }
}

#[test]
fn types_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>(_: &T) {}
    send_sync::<Command>();
    send_sync::<Child>();
    send_sync::<ChildStdin>();
    send_sync::<ChildStdout>();
    send_sync::<ChildStderr>();
    current_thread().block_on(async {
        let mut cmd = Command::new("true");
        let status = cmd.status();
        send(&status);
        let output = cmd.output();
        send(&output);
        let mut child = cmd.spawn().unwrap();
        let wait = child.wait();
        send(&wait);
        wait.await.unwrap();
        status.await.unwrap();
        output.await.unwrap();
    });
}

#[test]
fn status_codes() {
    both(|| async {
        assert!(Command::new("true").status().await.unwrap().success());
        let st = Command::new("false").status().await.unwrap();
        assert!(!st.success());
        assert_eq!(st.code(), Some(1));
        let st = Command::new("sh")
            .args(["-c", "exit 3"])
            .status()
            .await
            .unwrap();
        assert_eq!(st.code(), Some(3));
    });
}

#[test]
fn output_captures_stdout_and_stderr() {
    both(|| async {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo out; echo err >&2; exit 4"]);
        let out = cmd.output().await.unwrap();
        assert_eq!(out.status.code(), Some(4));
        assert_eq!(out.stdout, b"out\n");
        assert_eq!(out.stderr, b"err\n");

        // Explicit settings win: stderr discarded, stdout still captured.
        let out = cmd.stderr(Stdio::null()).output().await.unwrap();
        assert_eq!(out.stdout, b"out\n");
        assert_eq!(out.stderr, b"");

        // `output` left `spawn`'s defaults alone: stdout is inherited again.
        let child = cmd.spawn().unwrap();
        assert!(child.stdout.is_none());
        assert!(child.stderr.is_none());
        assert!(child.stdin.is_none());
        assert_eq!(
            child.wait_with_output().await.unwrap().status.code(),
            Some(4)
        );
    });
}

#[test]
fn output_stdin_defaults_to_null() {
    both(|| async {
        // `cat` reads stdin: with /dev/null it ends at once.
        let out = Command::new("cat").output().await.unwrap();
        assert!(out.status.success());
        assert!(out.stdout.is_empty());
    });
}

#[test]
fn stdin_piped_to_cat_and_read_back() {
    both(|| async {
        let mut child = Command::new("cat")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(b"hello, ").await.unwrap();
        stdin.write_all(b"cat").await.unwrap();
        stdin.flush().await.unwrap();
        stdin.shutdown().await.unwrap();
        // Writing after shutdown fails instead of touching a closed fd.
        let err = stdin.write_all(b"more").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BrokenPipe);
        let mut out = Vec::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_end(&mut out)
            .await
            .unwrap();
        assert_eq!(out, b"hello, cat");
        assert!(child.wait().await.unwrap().success());

        // Dropping stdin closes it too.
        let mut child = Command::new("cat")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(b"line 1\nline 2\n").await.unwrap();
        drop(stdin);
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        assert_eq!(lines.next_line().await.unwrap().unwrap(), "line 1");
        assert_eq!(lines.next_line().await.unwrap().unwrap(), "line 2");
        assert_eq!(lines.next_line().await.unwrap(), None);
        assert!(child.wait().await.unwrap().success());
    });
}

#[test]
fn wait_closes_stdin() {
    both(|| async {
        let mut child = Command::new("cat")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        assert!(child.stdin.is_some());
        // Would hang if `wait` kept stdin open.
        assert!(child.wait().await.unwrap().success());
        assert!(child.stdin.is_none());
    });
}

#[test]
fn four_mib_through_cat() {
    both(|| async {
        const LEN: usize = 4 << 20;
        let data: Vec<u8> = (0..LEN).map(|i| (i * 31 + i / 7919) as u8).collect();
        let mut child = Command::new("cat")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let to_write = data.clone();
        let writer = weave::spawn(async move {
            stdin.write_all(&to_write).await.unwrap();
            // Dropping `stdin` here gives `cat` its end of file.
        });
        let mut out = Vec::with_capacity(LEN);
        child
            .stdout
            .take()
            .unwrap()
            .read_to_end(&mut out)
            .await
            .unwrap();
        writer.await.unwrap();
        assert_eq!(out.len(), LEN);
        assert!(out == data, "the bytes differ");
        assert!(child.wait().await.unwrap().success());
    });
}

#[test]
fn wait_with_output_reads_both_pipes_concurrently() {
    both(|| async {
        // 1 MiB to each pipe: more than a pipe buffer holds, so reading one
        // pipe after the other (or waiting first) would deadlock.
        let script = "head -c 1048576 /dev/zero; head -c 1048576 /dev/zero >&2; \
                      head -c 1048576 /dev/zero";
        let child = Command::new("sh")
            .args(["-c", script])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let out = child.wait_with_output().await.unwrap();
        assert!(out.status.success());
        assert_eq!(out.stdout.len(), 2 << 20);
        assert_eq!(out.stderr.len(), 1 << 20);
        assert!(out.stdout.iter().chain(&out.stderr).all(|&b| b == 0));
    });
}

#[test]
fn wait_is_cancel_safe() {
    both(|| async {
        let mut child = Command::new("sleep").arg("10").spawn().unwrap();
        let timed_out = weave::time::timeout(Duration::from_millis(20), child.wait()).await;
        assert!(timed_out.is_err());
        assert!(child.id().is_some());
        assert!(child.try_wait().unwrap().is_none());
        child.kill().await.unwrap();
        let st = child.wait().await.unwrap();
        assert_eq!(st.signal(), Some(libc::SIGKILL));
        assert_eq!(child.id(), None);
    });
}

#[test]
fn kill_and_start_kill() {
    both(|| async {
        let mut child = Command::new("sleep").arg("1000").spawn().unwrap();
        let pid = child.id().unwrap();
        child.kill().await.unwrap();
        assert_eq!(child.id(), None);
        assert_eq!(proc_state(pid), None, "killed child was reaped");
        assert_eq!(child.wait().await.unwrap().signal(), Some(libc::SIGKILL));
        // Killing a reaped child is refused: the pid is no longer ours.
        assert_eq!(
            child.start_kill().unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
        assert_eq!(
            child.kill().await.unwrap_err().kind(),
            ErrorKind::InvalidInput
        );

        let mut child = Command::new("sleep").arg("1000").spawn().unwrap();
        child.start_kill().unwrap();
        // Killing twice before reaping is fine (the process is at worst a
        // zombie, still ours).
        child.start_kill().unwrap();
        assert_eq!(child.wait().await.unwrap().signal(), Some(libc::SIGKILL));
    });
}

#[test]
fn try_wait_before_and_after_exit() {
    both(|| async {
        let mut child = Command::new("cat").stdin(Stdio::piped()).spawn().unwrap();
        assert!(child.try_wait().unwrap().is_none());
        assert!(child.id().is_some());
        drop(child.stdin.take());
        // Poll with try_wait only, until `cat` sees EOF and exits.
        let start = std::time::Instant::now();
        let st = loop {
            if let Some(st) = child.try_wait().unwrap() {
                break st;
            }
            assert!(start.elapsed() < BOUND);
            weave::time::sleep(Duration::from_millis(2)).await;
        };
        assert!(st.success());
        assert_eq!(child.id(), None);
        assert_eq!(child.try_wait().unwrap(), Some(st));
        assert_eq!(child.wait().await.unwrap(), st);
    });
}

#[test]
fn id_is_none_after_wait() {
    both(|| async {
        let mut child = Command::new("true").spawn().unwrap();
        let pid = child.id().unwrap();
        assert!(pid > 0);
        child.wait().await.unwrap();
        assert_eq!(child.id(), None);
        assert_eq!(proc_state(pid), None);
    });
}

#[test]
fn kill_on_drop_kills() {
    both(|| async {
        let mut cmd = Command::new("sleep");
        cmd.arg("1000").kill_on_drop(true);
        assert!(cmd.get_kill_on_drop());
        let child = cmd.spawn().unwrap();
        let pid = child.id().unwrap();
        assert!(matches!(proc_state(pid), Some(s) if s != 'Z'));
        drop(child);
        // Killed, then reaped by weave: the pid disappears (a `sleep 1000`
        // that was not killed would still be there).
        gone(pid).await;
    });
}

#[test]
fn dropped_child_keeps_running_and_is_reaped_when_it_exits() {
    both(|| async {
        let mut child = Command::new("cat")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        assert!(!Command::new("cat").get_kill_on_drop());
        let pid = child.id().unwrap();
        let mut stdin = child.stdin.take().unwrap();
        drop(child);
        // Not killed: `cat` still reads what we write.
        weave::time::sleep(Duration::from_millis(20)).await;
        assert!(matches!(proc_state(pid), Some(s) if s != 'Z'));
        stdin.write_all(b"still there?\n").await.unwrap();
        // End of file: `cat` exits, and must not stay a zombie.
        drop(stdin);
        gone(pid).await;
    });
}

#[test]
fn child_dropped_outside_a_runtime_is_reaped_at_a_later_spawn() {
    let rt = current_thread();
    let mut child = rt.block_on(async {
        Command::new("cat")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap()
    });
    let pid = child.id().unwrap();
    let stdin = child.stdin.take();
    // No runtime here: the child goes to the orphan list.
    drop(child);
    drop(stdin);
    // `cat` exits; it stays a zombie until the list is swept (another test
    // may sweep it first, which is fine: then it is already gone).
    let start = std::time::Instant::now();
    while !matches!(proc_state(pid), Some('Z') | None) {
        assert!(start.elapsed() < BOUND, "cat did not exit");
        std::thread::sleep(Duration::from_millis(5));
    }
    rt.block_on(async {
        // Each spawn sweeps the orphan list.
        Command::new("true").status().await.unwrap();
        gone(pid).await;
    });
}

#[test]
fn many_concurrent_children() {
    both(|| async {
        let tasks: Vec<_> = (0..100)
            .map(|i| {
                weave::spawn(async move {
                    let st = Command::new("sh")
                        .arg("-c")
                        .arg(format!("exit {i}"))
                        .status()
                        .await
                        .unwrap();
                    (i, st.code())
                })
            })
            .collect();
        for task in tasks {
            let (i, code) = task.await.unwrap();
            assert_eq!(code, Some(i));
        }
    });
}

#[test]
fn missing_program_is_not_found() {
    both(|| async {
        let err = Command::new("/definitely/not/a/program")
            .spawn()
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        let err = Command::new("weave-no-such-program-in-path")
            .output()
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
    });
}

#[test]
fn env_and_current_dir_are_applied() {
    both(|| async {
        let dir = std::env::temp_dir().canonicalize().unwrap();
        let out = Command::new("sh")
            .args(["-c", "echo \"$A-$B-${C-unset}\"; pwd"])
            .env("A", "1")
            .envs([("B", "2"), ("C", "3")])
            .env_remove("C")
            .current_dir(&dir)
            .output()
            .await
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        assert_eq!(text, format!("1-2-unset\n{}\n", dir.display()));

        let out = Command::new("/bin/sh")
            .args(["-c", "echo \"${HOME-none} $ONLY\""])
            .env_clear()
            .env("ONLY", "me")
            .output()
            .await
            .unwrap();
        assert_eq!(out.stdout, b"none me\n");
    });
}

#[test]
fn std_command_conversion_and_unix_extras() {
    both(|| async {
        let mut std_cmd = std::process::Command::new("sh");
        std_cmd.args(["-c", "echo \"$0\""]);
        let mut cmd = Command::from(std_cmd);
        cmd.arg0("renamed");
        assert_eq!(cmd.as_std().get_program(), "sh");
        cmd.as_std_mut().env("UNUSED", "x");
        let out = cmd.output().await.unwrap();
        assert_eq!(out.stdout, b"renamed\n");

        // A new process group whose id is the child's pid.
        let mut child = Command::new("sh")
            .args(["-c", "cut -d' ' -f5 /proc/$$/stat"])
            .process_group(0)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let pid = child.id().unwrap();
        let mut out = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .await
            .unwrap();
        child.wait().await.unwrap();
        assert_eq!(out.trim(), pid.to_string());

        // pre_exec runs in the child before exec.
        let mut cmd = Command::new("true");
        // SAFETY: the closure only returns a value; no allocation or locks.
        unsafe {
            cmd.pre_exec(|| Err(std::io::Error::from_raw_os_error(libc::EACCES)));
        }
        let err = cmd.spawn().unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EACCES));
    });
}

#[test]
fn pipeline_through_stdio_conversion() {
    both(|| async {
        let mut first = Command::new("echo")
            .arg("through a pipeline")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let first_out: Stdio = first.stdout.take().unwrap().try_into().unwrap();
        let out = Command::new("cat").stdin(first_out).output().await.unwrap();
        assert_eq!(out.stdout, b"through a pipeline\n");
        assert!(first.wait().await.unwrap().success());
    });
}

#[test]
fn from_std_pipes() {
    both(|| async {
        let mut std_child = std::process::Command::new("cat")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = ChildStdin::try_from(std_child.stdin.take().unwrap()).unwrap();
        let mut stdout = ChildStdout::from_std(std_child.stdout.take().unwrap()).unwrap();
        stdin.write_all(b"std").await.unwrap();
        drop(stdin);
        let mut out = Vec::new();
        stdout.read_to_end(&mut out).await.unwrap();
        assert_eq!(out, b"std");
        // std's own child is untouched by weave: std reaps it.
        let st = weave::task::spawn_blocking(move || std_child.wait())
            .await
            .unwrap()
            .unwrap();
        assert!(st.success());
    });
}

#[test]
#[should_panic(expected = "outside a runtime")]
fn spawn_outside_a_runtime_panics() {
    let _ = Command::new("true").spawn();
}

/// Runs `emfile_in_child_process` in a fresh copy of this test binary, so
/// that lowering the descriptor limit cannot disturb the other tests.
#[test]
fn spawn_without_free_descriptors_is_an_error() {
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new(exe)
        .args([
            "--exact",
            "emfile_in_child_process",
            "--test-threads=1",
            "--nocapture",
        ])
        .env("WEAVE_PROCESS_EMFILE_CHILD", "1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("1 passed"),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn emfile_in_child_process() {
    if std::env::var_os("WEAVE_PROCESS_EMFILE_CHILD").is_none() {
        return;
    }
    let rt = current_thread();
    rt.block_on(async {
        // Lower the limit, then use up every descriptor left.
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: `lim` is a valid, writable rlimit.
        assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) }, 0);
        lim.rlim_cur = lim.rlim_cur.min(512);
        // SAFETY: `lim` is a valid rlimit no higher than the hard limit.
        assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) }, 0);
        let mut hold = Vec::new();
        loop {
            match std::fs::File::open("/dev/null") {
                Ok(f) => hold.push(f),
                Err(e) => {
                    assert_eq!(e.raw_os_error(), Some(libc::EMFILE));
                    break;
                }
            }
        }
        let err = Command::new("cat")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EMFILE), "{err}");
        // Without pipes std may still manage to spawn; either way no panic,
        // and a child that did start can be awaited.
        match Command::new("true").spawn() {
            Ok(mut child) => {
                drop(hold.pop());
                assert!(child.wait().await.unwrap().success());
            }
            Err(e) => assert_eq!(e.raw_os_error(), Some(libc::EMFILE), "{e}"),
        }
        drop(hold);
        // Descriptors are back: spawning works again.
        assert!(Command::new("true").status().await.unwrap().success());
    });
}

#[test]
fn exit_is_watched_with_a_pidfd_where_the_kernel_has_them() {
    // SAFETY: `pidfd_open` on our own pid touches no memory of ours; the
    // descriptor it may return is closed right after.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, libc::getpid(), 0) };
    if fd < 0 {
        eprintln!("pidfd_open unavailable here; weave uses SIGCHLD");
        return;
    }
    // SAFETY: `fd` is the descriptor just returned, owned by nothing else.
    unsafe { libc::close(fd as libc::c_int) };
    current_thread().block_on(async {
        let mut child = Command::new("true").spawn().unwrap();
        assert!(format!("{child:?}").contains("pidfd"), "{child:?}");
        child.wait().await.unwrap();
    });
}

#[test]
fn std_children_are_left_to_std() {
    both(|| async {
        // weave never reaps pids it does not own: std's `wait` still gets
        // its child's status while weave children come and go.
        let mut std_child = std::process::Command::new("sh")
            .args(["-c", "exit 5"])
            .spawn()
            .unwrap();
        for _ in 0..20 {
            Command::new("true").status().await.unwrap();
        }
        let child = Command::new("cat").stdin(Stdio::piped()).spawn().unwrap();
        drop(child); // an orphan; its sweeps must not touch `std_child`
        let st = weave::task::spawn_blocking(move || std_child.wait())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(st.code(), Some(5));
    });
}

#[test]
fn child_dropped_by_runtime_shutdown_is_killed_and_reaped() {
    for rt in [current_thread(), multi_thread()] {
        let pid = rt.block_on(async {
            let (tx, rx) = weave::sync::oneshot::channel();
            weave::spawn(async move {
                let mut child = Command::new("sleep")
                    .arg("1000")
                    .kill_on_drop(true)
                    .spawn()
                    .unwrap();
                tx.send(child.id().unwrap()).unwrap();
                // Never completes; the runtime's shutdown drops the child.
                child.wait().await.unwrap();
            });
            rx.await.unwrap()
        });
        drop(rt);
        // Killed on drop; reaped by the orphan task or, if shutdown
        // refused that task, by the orphan list at a later spawn.
        current_thread().block_on(async {
            let start = std::time::Instant::now();
            while proc_state(pid).is_some() {
                assert!(start.elapsed() < BOUND, "{pid}: {:?}", proc_state(pid));
                Command::new("true").status().await.unwrap();
                weave::time::sleep(Duration::from_millis(5)).await;
            }
        });
    }
}
