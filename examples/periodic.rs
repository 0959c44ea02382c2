//! A periodic monitor next to other work, stopped cleanly by a timeout.
//!
//! A "monitor" task reports progress once a second with `time::interval`
//! while worker tasks do their (simulated) jobs. `main` waits for the
//! workers with a time limit (asyncio's `wait_for`): whatever happens, the
//! monitor is then told to stop, prints a final report and exits, and
//! unfinished workers are cancelled.
//!
//! Run it with `cargo run --release --example periodic`.

use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::task::Poll;
use weave::sync::oneshot;
use weave::time::{self, Duration, FutureExt, Instant, MissedTickBehavior};

/// Jobs each worker does.
const JOBS: usize = 6;
/// Workers; worker `i` takes `(i + 1) * 150 ms` per job.
const WORKERS: u64 = 4;
/// How long `main` waits for the workers.
const LIMIT: Duration = Duration::from_millis(2_500);

async fn worker(id: u64, done: Arc<AtomicUsize>) -> u64 {
    for _ in 0..JOBS {
        time::sleep(Duration::from_millis((id + 1) * 150)).await;
        done.fetch_add(1, Relaxed);
    }
    id
}

enum Event {
    Tick,
    Stop,
}

/// Prints a report every second until `stop` fires.
async fn monitor(done: Arc<AtomicUsize>, mut stop: oneshot::Receiver<()>) {
    let start = Instant::now();
    let mut ticks = time::interval(Duration::from_secs(1));
    // A slow report should not cause a burst of catch-up reports.
    ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
    ticks.tick().await; // the first tick is immediate
    loop {
        // Wait for whichever comes first, the next tick or the stop signal
        // (what `select!` would do), with `Interval::poll_tick`.
        let event = poll_fn(|cx| {
            if Pin::new(&mut stop).poll(cx).is_ready() {
                return Poll::Ready(Event::Stop);
            }
            ticks.poll_tick(cx).map(|_| Event::Tick)
        })
        .await;
        match event {
            Event::Stop => break,
            Event::Tick => println!(
                "[monitor {:>4.1}s] {}/{} jobs done",
                start.elapsed().as_secs_f64(),
                done.load(Relaxed),
                JOBS * WORKERS as usize
            ),
        }
    }
    println!(
        "[monitor {:>4.1}s] stopping; final count {} jobs",
        start.elapsed().as_secs_f64(),
        done.load(Relaxed)
    );
}

#[weave::main]
async fn main() {
    let done = Arc::new(AtomicUsize::new(0));
    let (stop_tx, stop_rx) = oneshot::channel();
    let monitor = weave::spawn(monitor(done.clone(), stop_rx));

    let workers: Vec<_> = (0..WORKERS)
        .map(|id| weave::spawn(worker(id, done.clone())))
        .collect();

    // Wait for all workers, at most LIMIT.
    let abort_handles: Vec<_> = workers.iter().map(|w| w.abort_handle()).collect();
    let all = async {
        let mut finished = Vec::new();
        for w in workers {
            finished.push(w.await.expect("worker panicked"));
        }
        finished
    };
    match all.timeout(LIMIT).await {
        Ok(ids) => println!("[main] all workers finished: {ids:?}"),
        Err(elapsed) => {
            println!("[main] {elapsed} after {LIMIT:?}: cancelling the stragglers");
            for h in &abort_handles {
                h.abort();
            }
        }
    }

    let _ = stop_tx.send(());
    monitor.await.expect("monitor panicked");
}
