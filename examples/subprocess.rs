//! asyncio's `create_subprocess_exec` + `gather`, in weave: run several
//! commands at once and collect each one's output and exit status.
//!
//! Six commands start together: `echo`, `ls`, a shell that sleeps 0.5 s,
//! `wc -c` fed 100,000 bytes through its stdin, a shell that sleeps 0.5 s
//! and then fails with exit status 3, and a program that does not exist.
//! Each is printed with its status, output and time; the total shows they
//! overlapped (about 0.5 s, where one after another they would take over
//! 1 s). The failures are expected: the program exits non-zero only if some
//! command did not do what it should, or the commands did not overlap.
//!
//! The asyncio original:
//!
//! ```python
//! async def run(*argv, input=None):
//!     proc = await asyncio.create_subprocess_exec(
//!         *argv, stdin=PIPE if input else None, stdout=PIPE, stderr=PIPE)
//!     out, err = await proc.communicate(input)
//!     return proc.returncode, out, err
//!
//! results = await asyncio.gather(run("echo", "hi"), run("wc", "-c", input=data), ...,
//!                                return_exceptions=True)
//! ```
//!
//! Run with `cargo run --example subprocess`.

use std::io;
use std::process::{ExitCode, Output, Stdio};
use weave::io::AsyncWriteExt;
use weave::process::Command;
use weave::time::{Duration, Instant};

/// How long each of the two slow commands sleeps.
const NAP: Duration = Duration::from_millis(500);

/// One command to run and what it must produce.
struct Job {
    program: String,
    args: Vec<String>,
    /// Written to the child's stdin, then closed; `None` leaves stdin empty.
    stdin: Option<Vec<u8>>,
    expect: Expect,
}

enum Expect {
    /// Exits with `code`, and stdout (trimmed) is `stdout`.
    Exit { code: i32, stdout: &'static str },
    /// Exits with 0 and one line of stdout is `line`.
    Line(&'static str),
    /// Cannot be started at all.
    NotFound,
}

impl Job {
    fn new(program: &str, args: &[&str], expect: Expect) -> Job {
        Job {
            program: program.to_string(),
            args: args.iter().map(|a| a.to_string()).collect(),
            stdin: None,
            expect,
        }
    }

    fn command_line(&self) -> String {
        let mut line = self.program.clone();
        for arg in &self.args {
            line.push(' ');
            // Debug quoting is enough for a readable line, not for a shell.
            if arg.contains([' ', '\'', '"']) {
                line.push_str(&format!("{arg:?}"));
            } else {
                line.push_str(arg);
            }
        }
        line
    }

    /// Why the result is not the expected one, if it is not.
    fn check(&self, result: &io::Result<Output>) -> Result<(), String> {
        match (&self.expect, result) {
            (Expect::NotFound, Err(e)) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            (Expect::NotFound, _) => Err("expected the spawn to fail with NotFound".into()),
            (_, Err(e)) => Err(format!("could not run it: {e}")),
            (Expect::Exit { code, stdout }, Ok(out)) => {
                if out.status.code() != Some(*code) {
                    Err(format!("expected exit status {code}"))
                } else if String::from_utf8_lossy(&out.stdout).trim() != *stdout {
                    Err(format!("expected stdout {stdout:?}"))
                } else {
                    Ok(())
                }
            }
            (Expect::Line(line), Ok(out)) => {
                if !out.status.success() {
                    Err("expected success".into())
                } else if !String::from_utf8_lossy(&out.stdout)
                    .lines()
                    .any(|l| l == *line)
                {
                    Err(format!("expected a line {line:?} in stdout"))
                } else {
                    Ok(())
                }
            }
        }
    }
}

/// Runs one job to completion: asyncio's `create_subprocess_exec` then
/// `communicate(input)`.
async fn run(job: &Job) -> io::Result<Output> {
    let mut command = Command::new(&job.program);
    command.args(&job.args);
    let Some(input) = &job.stdin else {
        return command.output().await;
    };
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let mut stdin = child.stdin.take().expect("stdin is piped");
    // Feed stdin while draining stdout and stderr, as `communicate` does: a
    // child that writes before it has read all its input (cat, sort on big
    // data, ...) would otherwise fill its stdout pipe and stop reading,
    // while we stop at a full stdin pipe.
    let feed = async move {
        stdin.write_all(input).await?;
        // Dropping stdin closes it, so the child sees end of input.
        drop(stdin);
        Ok::<(), io::Error>(())
    };
    let ((), output) = weave::try_join!(feed, child.wait_with_output())?;
    Ok(output)
}

fn show(job: &Job, result: &io::Result<Output>, took: Duration) {
    println!("$ {}  ({} ms)", job.command_line(), took.as_millis());
    match result {
        Err(e) => println!("    could not start: {e}"),
        Ok(out) => {
            match out.status.code() {
                Some(code) => println!("    exit status {code}"),
                None => println!("    {}", out.status),
            }
            for (name, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
                let text = String::from_utf8_lossy(bytes);
                let lines: Vec<&str> = text.lines().collect();
                match lines.len() {
                    0 => {}
                    1..=3 => println!("    {name}: {}", lines.join(" | ")),
                    n => println!("    {name}: {} | ... ({n} lines)", lines[..3].join(" | ")),
                }
            }
        }
    }
}

#[weave::main]
async fn main() -> ExitCode {
    let nap = format!("sleep {}", NAP.as_secs_f64());
    let examples_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples");
    let mut wc = Job::new(
        "wc",
        &["-c"],
        Expect::Exit {
            code: 0,
            stdout: "100000",
        },
    );
    // More than a pipe holds (64 KiB on Linux), so the write has to wait
    // for wc to read.
    wc.stdin = Some(vec![b'x'; 100_000]);
    let jobs = vec![
        Job::new(
            "echo",
            &["hello from a child process"],
            Expect::Exit {
                code: 0,
                stdout: "hello from a child process",
            },
        ),
        Job::new("ls", &[examples_dir], Expect::Line("subprocess.rs")),
        Job::new(
            "sh",
            &["-c", &format!("{nap}; echo done")],
            Expect::Exit {
                code: 0,
                stdout: "done",
            },
        ),
        wc,
        Job::new(
            "sh",
            &[
                "-c",
                &format!("{nap}; echo 'something went wrong' >&2; exit 3"),
            ],
            Expect::Exit {
                code: 3,
                stdout: "",
            },
        ),
        Job::new("/no/such/program", &[], Expect::NotFound),
    ];

    let start = Instant::now();
    // Each job is a task of its own, so all the children run at once;
    // results come back in input order, like asyncio.gather.
    let results = weave::gather(jobs.into_iter().map(|job| async move {
        let started = Instant::now();
        let result = run(&job).await;
        (job, result, started.elapsed())
    }))
    .await;
    let total = start.elapsed();

    let mut unexpected = 0;
    for joined in results {
        let (job, result, took) = match joined {
            Ok(finished) => finished,
            Err(e) => {
                println!("a job's task failed: {e}");
                unexpected += 1;
                continue;
            }
        };
        show(&job, &result, took);
        match job.check(&result) {
            Ok(()) => println!("    as expected"),
            Err(why) => {
                println!("    UNEXPECTED: {why}");
                unexpected += 1;
            }
        }
    }

    // Two naps one after the other take 2 * NAP; overlapping, a little
    // more than one. The margin absorbs process start-up on a busy machine.
    let sequential = 2 * NAP;
    println!(
        "\nall done in {} ms (the two {} ms sleeps alone would take {} ms one after the other)",
        total.as_millis(),
        NAP.as_millis(),
        sequential.as_millis()
    );
    if total >= sequential - NAP / 5 {
        println!("UNEXPECTED: the commands did not run concurrently");
        unexpected += 1;
    }
    if unexpected > 0 {
        println!("{unexpected} unexpected result(s)");
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
