//! asyncio's `wait(..., return_when=FIRST_COMPLETED)`, in weave: ask three
//! mirrors for the same file, take the fastest answer, cancel the rest.
//!
//! The asyncio original:
//!
//! ```python
//! done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
//! for task in pending:
//!     task.cancel()
//! ```
//!
//! Run with `cargo run --example first_completed`.

use weave::task::{self, ReturnWhen};
use weave::time::{sleep, Duration, Instant};

/// Prints when a download is cancelled part-way: asyncio's `except
/// CancelledError` / `finally` is `Drop` in Rust.
struct Download {
    mirror: &'static str,
    finished: bool,
}

impl Drop for Download {
    fn drop(&mut self) {
        if !self.finished {
            println!(
                "  {}: download cancelled, partial file removed",
                self.mirror
            );
        }
    }
}

async fn download(mirror: &'static str, delay: Duration) -> &'static str {
    let mut download = Download {
        mirror,
        finished: false,
    };
    sleep(delay).await;
    download.finished = true;
    mirror
}

#[weave::main]
async fn main() {
    let start = Instant::now();
    let mirrors = [("eu", 300), ("us", 100), ("asia", 200)];
    let handles = mirrors.map(|(name, ms)| weave::spawn(download(name, Duration::from_millis(ms))));

    let (done, pending) = task::wait(handles, ReturnWhen::FirstCompleted).await;
    for handle in done {
        let mirror = handle.await.expect("download task panicked");
        println!("fastest mirror: {mirror} after {:?}", start.elapsed());
    }
    println!("cancelling {} slower downloads", pending.len());
    for handle in &pending {
        handle.abort();
    }
    for handle in pending {
        assert!(handle.await.unwrap_err().is_cancelled());
    }
    println!("done after {:?}", start.elapsed());
}
