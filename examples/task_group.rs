//! asyncio's `TaskGroup`, in weave: three workers, one of which fails; the
//! group cancels the others and reports the failure.
//!
//! The asyncio original:
//!
//! ```python
//! try:
//!     async with asyncio.TaskGroup() as tg:
//!         for name, secs in jobs:
//!             tg.create_task(work(name, secs))
//! except* ValueError as eg:
//!     print("group failed:", eg.exceptions)
//! ```
//!
//! Run with `cargo run --example task_group`.

use weave::task::TaskGroup;
use weave::time::{sleep, Duration, Instant};

/// Reports how each worker ends: finished, or cancelled (dropped early).
struct Worker {
    name: &'static str,
    finished: bool,
}

impl Drop for Worker {
    fn drop(&mut self) {
        if !self.finished {
            println!("  {}: cancelled", self.name);
        }
    }
}

async fn work(name: &'static str, ms: u64, fail: bool) -> Result<String, String> {
    let mut worker = Worker {
        name,
        finished: false,
    };
    sleep(Duration::from_millis(ms)).await;
    worker.finished = true;
    if fail {
        println!("  {name}: failed");
        return Err(format!("{name} could not reach the database"));
    }
    println!("  {name}: done");
    Ok(format!("{name} result"))
}

#[weave::main]
async fn main() {
    println!("a group where every task succeeds:");
    let mut group = TaskGroup::new();
    group.spawn(work("alpha", 30, false));
    group.spawn(work("beta", 10, false));
    println!("  results in spawn order: {:?}", group.join().await);

    println!("a group where one task fails:");
    let start = Instant::now();
    let mut group = TaskGroup::new();
    group.spawn(work("fetch-orders", 300, false));
    group.spawn(work("fetch-users", 100, true));
    group.spawn(work("fetch-stock", 500, false));
    match group.join().await {
        Ok(results) => println!("  all done: {results:?}"),
        Err(err) => println!("  group failed after {:?}: {err}", start.elapsed()),
    }
}
