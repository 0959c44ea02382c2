//! asyncio's `as_completed`, in weave: ask three search engines and print
//! each answer as it arrives.
//!
//! The engines answer after 1.5 s, 2 s and 1 s; the answers print in the
//! order 1 s, 1.5 s, 2 s, and the whole run takes about 2 s.
//!
//! The asyncio original:
//!
//! ```python
//! for next_done in asyncio.as_completed([search(e) for e in engines]):
//!     print(await next_done)
//! ```
//!
//! Run with `cargo run --example as_completed`.

use weave::time::{sleep, Duration, Instant};

async fn search(engine: &'static str, delay: Duration, query: &'static str) -> String {
    sleep(delay).await;
    format!("{engine}: 10 results for {query:?}")
}

#[weave::main]
async fn main() {
    let start = Instant::now();
    let engines = [
        ("bing", Duration::from_millis(1500)),
        ("google", Duration::from_millis(2000)),
        ("duckduckgo", Duration::from_millis(1000)),
    ];
    let mut answers =
        weave::task::as_completed(engines.map(|(engine, delay)| search(engine, delay, "weave")));
    while let Some(answer) = answers.next().await {
        let answer = answer.expect("search task panicked");
        println!("[{:>4} ms] {answer}", start.elapsed().as_millis());
    }
}
