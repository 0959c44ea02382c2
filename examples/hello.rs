//! Spawns several named tasks and gathers their results in order.
//!
//! Run it with `cargo run --release --example hello`.

use weave::task;

/// Pretends to fetch a page: yields a few times (as real I/O would) and
/// returns a summary naming the task that did the work.
async fn fetch(page: u32) -> String {
    for _ in 0..page {
        task::yield_now().await;
    }
    let me = task::name().unwrap_or_else(|| "unnamed".to_string());
    format!("page {page} fetched by {me}")
}

#[weave::main]
async fn main() {
    // asyncio: tasks = [asyncio.create_task(fetch(p), name=f"fetch-{p}") ...]
    let mut handles = Vec::new();
    for page in 1..=5 {
        let name = format!("fetch-{page}");
        let handle = task::Builder::new()
            .name(&name)
            .spawn(fetch(page))
            .expect("spawn failed");
        handles.push(handle);
    }

    // asyncio: results = await asyncio.gather(*tasks) -- in input order,
    // whichever task finishes first.
    for handle in handles {
        let name = handle.name().unwrap_or("?").to_string();
        match handle.await {
            Ok(result) => println!("{name}: {result}"),
            Err(err) => println!("{name}: failed: {err}"),
        }
    }
}
