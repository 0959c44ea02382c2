//! asyncio's classic producer/consumer on a work queue, in weave.
//!
//! Two producers put jobs into a bounded [`Queue`]; three consumers take
//! them, "work" on each (a short sleep), and mark it done with
//! `task_done`. The main task waits for the producers, then for the queue
//! to be fully processed with `join`, and finally cancels the consumers,
//! which are still waiting for more work, through their `JoinHandle`s.
//!
//! The asyncio original:
//!
//! ```python
//! queue = asyncio.Queue(maxsize=4)
//! consumers = [asyncio.create_task(consumer(i, queue)) for i in range(3)]
//! await asyncio.gather(*(producer(i, queue) for i in range(2)))
//! await queue.join()
//! for c in consumers:
//!     c.cancel()
//! ```
//!
//! Run with `cargo run --example producer_consumer`.

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use weave::sync::Queue;
use weave::time::{sleep, Duration};

const JOBS_PER_PRODUCER: u64 = 5;

async fn producer(id: u64, queue: Queue<(u64, u64)>) {
    for n in 0..JOBS_PER_PRODUCER {
        // Waits while the queue is full: back-pressure on the producer.
        queue.put((id, n)).await.expect("queue closed early");
        println!("producer {id}: queued job {n}");
    }
}

async fn consumer(id: usize, queue: Queue<(u64, u64)>, done: Arc<AtomicUsize>) {
    // Runs until cancelled: like asyncio's `while True: await queue.get()`.
    while let Some((producer, n)) = queue.get().await {
        sleep(Duration::from_millis(5 * (n % 3 + 1))).await;
        println!("consumer {id}: finished job {n} of producer {producer}");
        done.fetch_add(1, SeqCst);
        queue.task_done().expect("one task_done per get");
    }
}

#[weave::main]
async fn main() {
    let queue = Queue::bounded(4);
    let done = Arc::new(AtomicUsize::new(0));

    let consumers: Vec<_> = (0..3)
        .map(|id| weave::spawn(consumer(id, queue.clone(), done.clone())))
        .collect();
    let producers: Vec<_> = (0..2)
        .map(|id| weave::spawn(producer(id, queue.clone())))
        .collect();

    for p in producers {
        p.await.expect("producer panicked");
    }
    // Every job put has been marked done.
    queue.join().await;
    println!("all {} jobs processed", done.load(SeqCst));
    assert_eq!(done.load(SeqCst) as u64, 2 * JOBS_PER_PRODUCER);

    // The consumers wait on an empty queue forever: cancel them.
    for c in &consumers {
        c.abort();
    }
    for c in consumers {
        let err = c.await.expect_err("consumers only end by cancellation");
        assert!(err.is_cancelled());
    }
    println!("consumers cancelled");
}
