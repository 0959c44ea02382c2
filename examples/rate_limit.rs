//! Two ways to limit calls to a (simulated) API with `sync::Semaphore`.
//!
//! 1. **Concurrency limit.** Ten calls that each take 100 ms go through a
//!    `Semaphore::new(3)`: at most three run at once, so they finish in
//!    four rounds, about 400 ms (asyncio: `async with Semaphore(3):`).
//! 2. **Token bucket.** At most `N` calls start per period: each call takes
//!    a token (a permit it then forgets) and a refill task tops the bucket
//!    back up to `N` on every `time::interval` tick.
//!
//! Run it with `cargo run --release --example rate_limit`.

use std::sync::Arc;
use weave::sync::Semaphore;
use weave::time::{self, Duration, Instant, MissedTickBehavior};

/// One simulated API call.
async fn api_call(id: usize) -> usize {
    time::sleep(Duration::from_millis(100)).await;
    id
}

/// Runs ten calls with at most three in flight.
async fn concurrency_limit() {
    let limit = Arc::new(Semaphore::new(3));
    let start = Instant::now();
    let mut calls = Vec::new();
    for id in 0..10 {
        let limit = limit.clone();
        calls.push(weave::spawn(async move {
            // Held for the whole call; dropped (released) when it returns.
            let _permit = limit.acquire().await.expect("semaphore is never closed");
            api_call(id).await
        }));
    }
    for call in calls {
        call.await.expect("call task panicked");
    }
    println!(
        "concurrency limit: 10 calls of 100 ms, 3 at a time, took {:?} (expected ~400 ms: four rounds)",
        start.elapsed()
    );
}

/// A bucket of `capacity` tokens, refilled to full every `period`.
struct TokenBucket {
    tokens: Arc<Semaphore>,
    refill: weave::task::JoinHandle<()>,
}

impl TokenBucket {
    fn new(capacity: usize, period: Duration) -> TokenBucket {
        let tokens = Arc::new(Semaphore::new(capacity));
        let bucket = tokens.clone();
        let refill = weave::spawn(async move {
            let mut ticks = time::interval(period);
            // After a stall, refill once rather than in a burst.
            ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
            ticks.tick().await; // the first tick is immediate
            loop {
                ticks.tick().await;
                // Only takers run concurrently and they only lower the
                // count, so this never overfills the bucket.
                let missing = capacity.saturating_sub(bucket.available_permits());
                bucket.add_permits(missing);
            }
        });
        TokenBucket { tokens, refill }
    }

    /// Waits for a token and spends it (it comes back only via refill).
    async fn take(&self) {
        self.tokens
            .acquire()
            .await
            .expect("semaphore is never closed")
            .forget();
    }
}

impl Drop for TokenBucket {
    fn drop(&mut self) {
        self.refill.abort();
    }
}

/// Starts ten calls at no more than four per 200 ms.
async fn token_bucket() {
    let bucket = Arc::new(TokenBucket::new(4, Duration::from_millis(200)));
    let start = Instant::now();
    let mut calls = Vec::new();
    for id in 0..10 {
        let bucket = bucket.clone();
        calls.push(weave::spawn(async move {
            bucket.take().await;
            let started = start.elapsed();
            api_call(id).await;
            (id, started)
        }));
    }
    let mut starts = Vec::new();
    for call in calls {
        starts.push(call.await.expect("call task panicked"));
    }
    // Tasks may take tokens in any order; show them in start order.
    starts.sort_by_key(|&(_, started)| started);
    for (id, started) in starts {
        println!("token bucket: call {id} started at {started:?}");
    }
    println!(
        "token bucket: 10 calls at 4 per 200 ms took {:?} (expected ~500 ms: starts at 0, 200 and 400 ms)",
        start.elapsed()
    );
}

#[weave::main]
async fn main() {
    concurrency_limit().await;
    token_bucket().await;
}
