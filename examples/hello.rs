//! asyncio's classic, in weave: tasks that wait run concurrently, so three
//! greetings delayed by 1, 2 and 3 seconds take about 3 seconds, not 6.
//!
//! ```python
//! async def say_after(delay, what):
//!     await asyncio.sleep(delay)
//!     print(what)
//!     return what
//!
//! async def main():
//!     tasks = [asyncio.create_task(say_after(d, w), name=f"say-{w}") ...]
//!     print(await asyncio.gather(*tasks))
//! ```
//!
//! The tasks are named, and their results gathered in the order they were
//! spawned, whichever finishes first.
//!
//! Run it with `cargo run --release --example hello`.

use weave::task;
use weave::time::{self, Duration, Instant};

/// Waits `delay`, then prints `what` along with the name of the task doing
/// it, and returns `what`.
async fn say_after(delay: Duration, what: &'static str) -> &'static str {
    time::sleep(delay).await;
    let me = task::name().unwrap_or_else(|| "unnamed".to_string());
    println!("{what:>6}   (from {me}, after {delay:?})");
    what
}

#[weave::main]
async fn main() {
    let start = Instant::now();

    // Spawned in a scrambled order: "!" is spawned first but waits longest.
    let greetings = [(3, "!"), (1, "hello"), (2, "world")];
    let mut handles = Vec::new();
    for (secs, what) in greetings {
        let handle = task::Builder::new()
            .name(&format!("say-{what}"))
            .spawn(say_after(Duration::from_secs(secs), what))
            .expect("spawn failed");
        handles.push(handle);
    }

    // asyncio.gather: results in spawn order, whatever the finishing order.
    let mut results = Vec::new();
    for handle in handles {
        let name = handle.name().unwrap_or("?").to_string();
        match handle.await {
            Ok(what) => results.push(what),
            Err(err) => println!("{name}: failed: {err}"),
        }
    }

    let elapsed = start.elapsed();
    println!("gathered in spawn order: {results:?}");
    println!(
        "finished in {:.2} s: the longest delay (3 s), not the sum (6 s)",
        elapsed.as_secs_f64()
    );
}
