//! Timer firing lateness on weave and on Tokio: how long after its deadline
//! a sleeping task actually runs.
//!
//! For each runtime and flavor, `N` tasks sleep until deadlines spread over
//! 1..=50 ms and record `now - deadline` (real time, `std::time::Instant`)
//! when they resume. Prints the median, p99 and max, and how many woke
//! before their deadline (must be 0). Both runtimes round deadlines up to
//! a 1 ms tick, so up to 1 ms of lateness is by design.
//!
//! Run it with `cargo run --release --example timer_lateness [N]`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const DEFAULT_N: usize = 10_000;
const SPREAD_MS: u64 = 50;
const ROUNDS: usize = 3;

macro_rules! measure {
    ($krate:ident, $builder:expr, $n:expr) => {{
        let rt = $builder.enable_time().build().unwrap();
        let mut all = Vec::new();
        for _ in 0..ROUNDS {
            let lateness = Arc::new(Mutex::new(Vec::with_capacity($n)));
            rt.block_on(async {
                let start = Instant::now() + Duration::from_millis(5);
                let mut handles = Vec::with_capacity($n);
                for i in 0..$n {
                    let lateness = lateness.clone();
                    let deadline = start
                        + Duration::from_micros((i as u64 * 7919) % (SPREAD_MS * 1000) + 1000);
                    handles.push($krate::spawn(async move {
                        $krate::time::sleep_until(deadline.into()).await;
                        // A wake before the deadline would be a bug: count it
                        // as `None` so the report shows it.
                        let late = Instant::now().checked_duration_since(deadline);
                        lateness.lock().unwrap().push(late);
                    }));
                }
                for h in handles {
                    h.await.unwrap();
                }
            });
            all.extend(lateness.lock().unwrap().drain(..));
        }
        all
    }};
}

fn report(name: &str, v: Vec<Option<Duration>>) {
    let early = v.iter().filter(|l| l.is_none()).count();
    let mut v: Vec<Duration> = v.into_iter().flatten().collect();
    v.sort();
    let pct = |p: f64| v[((v.len() - 1) as f64 * p) as usize];
    println!(
        "| {name:<14} | {:>9.3} | {:>9.3} | {:>9.3} | {early:>5} |",
        pct(0.5).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        v.last().unwrap().as_secs_f64() * 1e3,
    );
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_N);
    println!("{n} sleeps x {ROUNDS} rounds, deadlines spread over 1..={SPREAD_MS} ms\n");
    println!("| runtime        | median ms | p99 ms    | max ms    | early |");
    println!("|---|---|---|---|---|");
    let w = measure!(weave, weave::runtime::Builder::new_current_thread(), n);
    report("weave/current", w);
    let t = measure!(tokio, tokio::runtime::Builder::new_current_thread(), n);
    report("tokio/current", t);
    let w = measure!(
        weave,
        weave::runtime::Builder::new_multi_thread().worker_threads(2),
        n
    );
    report("weave/multi", w);
    let t = measure!(
        tokio,
        tokio::runtime::Builder::new_multi_thread().worker_threads(2),
        n
    );
    report("tokio/multi", t);
}
