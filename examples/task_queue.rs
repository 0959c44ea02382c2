//! A job queue with a limited number of workers, per-job status, results
//! and errors, cancellation, and a per-job timeout.
//!
//! ```text
//! cargo run --release --example task_queue
//! ```
//!
//! Jobs go into an asyncio-style `sync::Queue`; three workers take them
//! out. Each job runs as its own task, so it can be cancelled while it runs
//! (through its `AbortHandle`) as well as before it starts, and it is given
//! a deadline with `time::timeout`. The status table is printed at the end.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use weave::sync::Queue;
use weave::task::AbortHandle;
use weave::time::{self, Duration, Instant};

const WORKERS: usize = 3;
const JOB_TIMEOUT: Duration = Duration::from_millis(300);

/// What a job does (simulated work).
#[derive(Clone, Copy, Debug)]
enum Work {
    /// Succeeds after this long with a result.
    Compute(u64),
    /// Fails after a short while.
    Fail,
    /// Takes longer than the timeout.
    Hang,
}

#[derive(Clone, Debug)]
enum Status {
    Queued,
    Running,
    Done(u64),
    Failed(String),
    TimedOut,
    Cancelled,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Status::Queued => write!(f, "queued"),
            Status::Running => write!(f, "running"),
            Status::Done(v) => write!(f, "done: {v}"),
            Status::Failed(e) => write!(f, "failed: {e}"),
            Status::TimedOut => write!(f, "timed out after {JOB_TIMEOUT:?}"),
            Status::Cancelled => write!(f, "cancelled"),
        }
    }
}

/// Shared bookkeeping: each job's status, and how to stop it while it runs.
#[derive(Default)]
struct Board {
    status: BTreeMap<u32, Status>,
    running: BTreeMap<u32, AbortHandle>,
}

type SharedBoard = Arc<Mutex<Board>>;

async fn work(id: u32, work: Work) -> Result<u64, String> {
    match work {
        Work::Compute(ms) => {
            time::sleep(Duration::from_millis(ms)).await;
            Ok(u64::from(id) * 100 + ms)
        }
        Work::Fail => {
            time::sleep(Duration::from_millis(20)).await;
            Err(format!("job {id} could not reach its server"))
        }
        Work::Hang => {
            time::sleep(Duration::from_secs(3600)).await;
            Ok(0)
        }
    }
}

/// Takes jobs until the queue is closed and empty.
async fn worker(queue: Queue<(u32, Work)>, board: SharedBoard) {
    while let Some((id, job)) = queue.get().await {
        let task = {
            let mut b = board.lock().unwrap();
            if matches!(b.status.get(&id), Some(Status::Cancelled)) {
                // Cancelled while it waited in the queue.
                drop(b);
                queue.task_done().unwrap();
                continue;
            }
            b.status.insert(id, Status::Running);
            let task = weave::spawn(time::timeout(JOB_TIMEOUT, work(id, job)));
            b.running.insert(id, task.abort_handle());
            task
        };
        let status = match task.await {
            Ok(Ok(Ok(v))) => Status::Done(v),
            Ok(Ok(Err(e))) => Status::Failed(e),
            Ok(Err(_elapsed)) => Status::TimedOut,
            Err(e) if e.is_cancelled() => Status::Cancelled,
            Err(e) => Status::Failed(format!("panicked: {e}")),
        };
        let mut b = board.lock().unwrap();
        b.running.remove(&id);
        b.status.insert(id, status);
        drop(b);
        queue.task_done().unwrap();
    }
}

/// Cancels job `id` wherever it is: still queued, or running.
fn cancel(board: &SharedBoard, id: u32) {
    let mut b = board.lock().unwrap();
    if let Some(handle) = b.running.get(&id) {
        handle.abort();
    } else if matches!(b.status.get(&id), Some(Status::Queued)) {
        b.status.insert(id, Status::Cancelled);
    }
}

#[weave::main]
async fn main() {
    let started = Instant::now();
    let queue = Queue::bounded(4);
    let board = SharedBoard::default();
    let workers: Vec<_> = (0..WORKERS)
        .map(|_| weave::spawn(worker(queue.clone(), board.clone())))
        .collect();

    let jobs = [
        Work::Compute(50),
        Work::Compute(120),
        Work::Fail,
        Work::Compute(80),
        Work::Hang,
        Work::Compute(60),
        Work::Compute(250),
        Work::Compute(40),
        Work::Compute(30),
        Work::Compute(70),
    ];
    for id in 1..=jobs.len() as u32 {
        board.lock().unwrap().status.insert(id, Status::Queued);
    }
    let submitter = {
        let queue = queue.clone();
        weave::spawn(async move {
            for (id, job) in (1u32..).zip(jobs) {
                // Waits while the queue is full: back-pressure on the
                // submitter, as with asyncio.Queue(maxsize).
                queue.put((id, job)).await.expect("queue closed early");
            }
        })
    };

    // Change our mind about two jobs: #10 before it starts, #7 while it runs.
    cancel(&board, 10);
    time::sleep(Duration::from_millis(200)).await;
    cancel(&board, 7);

    submitter.await.unwrap();
    queue.join().await; // every job finished, failed, timed out or was cancelled
    queue.close();
    for w in workers {
        w.await.unwrap();
    }

    println!(
        "{} jobs through {WORKERS} workers in {:?}:",
        jobs.len(),
        started.elapsed()
    );
    for (id, status) in &board.lock().unwrap().status {
        println!("  job {id:>2}: {status}");
    }
}
