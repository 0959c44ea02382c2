//! Timer benchmarks: every workload runs on weave and on Tokio, on a
//! multi-thread runtime with two workers and on a current-thread runtime,
//! so one run prints them side by side (`<workload>/<crate>/<flavor>`, the
//! layout of `benches/rt.rs`; `python3 benches/summarize.py` tabulates it).
//!
//! - `timeout_ready`: `timeout` around a future that is ready at once, the
//!   common case of a generous timeout (no timer is ever registered).
//! - `timeout_churn`: `timeout` around a future that is pending once: the
//!   timer is inserted on the first poll and cancelled on completion.
//! - `sleep_poll_drop`: create a `Sleep`, poll it once (registering it),
//!   drop it (deregistering it).
//! - `sleep_many`: 100k tasks sleeping 1..=20 ms, all awaited (real time).
//! - `interval_ticks`: 20 ticks of a 1 ms interval (real time).
//!
//! Firing lateness (how long after its deadline a sleep wakes) is measured
//! by `examples/timer_lateness.rs`.

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion};
use std::time::Duration;

/// Timeouts / sleeps per iteration in the churn workloads.
const NUM_OPS: usize = 10_000;
/// Sleeping tasks in `sleep_many`.
const NUM_SLEEPS: usize = 100_000;
/// Sleeps in `sleep_many` last 1..=MAX_SLEEP_MS milliseconds.
const MAX_SLEEP_MS: u64 = 20;
/// Ticks per iteration of `interval_ticks`.
const NUM_TICKS: usize = 20;
/// Worker threads of the multi-thread runtimes (this machine has 2 cores).
const WORKERS: usize = 2;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Flavor {
    Multi,
    Current,
}

impl Flavor {
    fn name(self) -> &'static str {
        match self {
            Flavor::Multi => "multi",
            Flavor::Current => "current",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Workload {
    TimeoutReady,
    TimeoutChurn,
    SleepPollDrop,
    SleepMany,
    IntervalTicks,
}

impl Workload {
    const ALL: [Workload; 5] = [
        Workload::TimeoutReady,
        Workload::TimeoutChurn,
        Workload::SleepPollDrop,
        Workload::SleepMany,
        Workload::IntervalTicks,
    ];

    fn name(self) -> &'static str {
        match self {
            Workload::TimeoutReady => "timeout_ready",
            Workload::TimeoutChurn => "timeout_churn",
            Workload::SleepPollDrop => "sleep_poll_drop",
            Workload::SleepMany => "sleep_many",
            Workload::IntervalTicks => "interval_ticks",
        }
    }

    /// The real-time workloads take tens of milliseconds per iteration.
    fn slow(self) -> bool {
        matches!(self, Workload::SleepMany | Workload::IntervalTicks)
    }
}

/// The same workloads, written once against Tokio's API and instantiated
/// for both crates (weave mirrors Tokio's paths and signatures).
macro_rules! suite {
    ($module:ident, $krate:ident) => {
        mod $module {
            use super::*;
            use std::future::{poll_fn, Future};
            use std::hint::black_box;
            use std::pin::pin;
            use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
            use std::sync::{Arc, Mutex};
            use std::task::Poll;
            use $krate::runtime::{Builder, Runtime};
            use $krate::sync::oneshot;
            use $krate::task::yield_now;
            use $krate::time::{interval, sleep, timeout, MissedTickBehavior};

            pub fn runtime(flavor: Flavor) -> Runtime {
                match flavor {
                    Flavor::Multi => Builder::new_multi_thread()
                        .worker_threads(WORKERS)
                        .enable_time()
                        .build()
                        .unwrap(),
                    Flavor::Current => Builder::new_current_thread().enable_time().build().unwrap(),
                }
            }

            /// Registers `workload` on `flavor` as `<crate>/<flavor>` in `group`.
            pub fn bench(
                group: &mut BenchmarkGroup<'_, WallTime>,
                workload: Workload,
                flavor: Flavor,
                rt: &Runtime,
            ) {
                let id = format!("{}/{}", stringify!($krate), flavor.name());
                match workload {
                    Workload::TimeoutReady => {
                        group.bench_function(id, |b| b.iter(|| timeout_ready(rt)));
                    }
                    Workload::TimeoutChurn => {
                        group.bench_function(id, |b| b.iter(|| timeout_churn(rt)));
                    }
                    Workload::SleepPollDrop => {
                        group.bench_function(id, |b| b.iter(|| sleep_poll_drop(rt)));
                    }
                    Workload::SleepMany => {
                        let remaining = Arc::new(AtomicUsize::new(0));
                        group.bench_function(id, |b| b.iter(|| sleep_many(rt, &remaining)));
                    }
                    Workload::IntervalTicks => {
                        group.bench_function(id, |b| b.iter(|| interval_ticks(rt)));
                    }
                }
            }

            /// `NUM_OPS` timeouts around ready futures, in a spawned task.
            fn timeout_ready(rt: &Runtime) {
                rt.block_on(async {
                    $krate::spawn(async {
                        for i in 0..NUM_OPS {
                            let r = timeout(Duration::from_secs(1), async { black_box(i) }).await;
                            black_box(r.unwrap());
                        }
                    })
                    .await
                    .unwrap();
                });
            }

            /// `NUM_OPS` timeouts around a future that yields once: insert
            /// on the first poll, cancel on the second.
            fn timeout_churn(rt: &Runtime) {
                rt.block_on(async {
                    $krate::spawn(async {
                        for _ in 0..NUM_OPS {
                            timeout(Duration::from_secs(1), yield_now()).await.unwrap();
                        }
                    })
                    .await
                    .unwrap();
                });
            }

            /// `NUM_OPS` sleeps created, polled once (registered), dropped.
            fn sleep_poll_drop(rt: &Runtime) {
                rt.block_on(async {
                    $krate::spawn(async {
                        for _ in 0..NUM_OPS {
                            let mut s = pin!(sleep(Duration::from_secs(1)));
                            poll_fn(|cx| {
                                assert!(s.as_mut().poll(cx).is_pending());
                                Poll::Ready(())
                            })
                            .await;
                        }
                    })
                    .await
                    .unwrap();
                });
            }

            /// `NUM_SLEEPS` tasks sleeping 1..=MAX_SLEEP_MS ms; the last to
            /// wake signals the waiting `block_on` future.
            fn sleep_many(rt: &Runtime, remaining: &Arc<AtomicUsize>) {
                remaining.store(NUM_SLEEPS, Relaxed);
                rt.block_on(async {
                    let (done_tx, done_rx) = oneshot::channel();
                    let done_tx = Arc::new(Mutex::new(Some(done_tx)));
                    for i in 0..NUM_SLEEPS {
                        let remaining = remaining.clone();
                        let done_tx = done_tx.clone();
                        let ms = 1 + (i as u64 % MAX_SLEEP_MS);
                        $krate::spawn(async move {
                            sleep(Duration::from_millis(ms)).await;
                            if remaining.fetch_sub(1, Relaxed) == 1 {
                                let tx = done_tx.lock().unwrap().take().unwrap();
                                let _ = tx.send(());
                            }
                        });
                    }
                    done_rx.await.unwrap();
                });
            }

            /// `NUM_TICKS` ticks of a 1 ms interval.
            fn interval_ticks(rt: &Runtime) {
                rt.block_on(async {
                    let mut ticker = interval(Duration::from_millis(1));
                    ticker.set_missed_tick_behavior(MissedTickBehavior::Burst);
                    for _ in 0..NUM_TICKS {
                        black_box(ticker.tick().await);
                    }
                });
            }
        }
    };
}

suite!(weave_suite, weave);
suite!(tokio_suite, tokio);

fn benches(c: &mut Criterion) {
    for workload in Workload::ALL {
        let mut group = c.benchmark_group(workload.name());
        if workload.slow() {
            group
                .sample_size(10)
                .warm_up_time(Duration::from_secs(1))
                .measurement_time(Duration::from_secs(4));
        } else {
            // Short iterations on a noisy 2-core machine: more samples give
            // medians that repeat from run to run.
            group
                .sample_size(100)
                .warm_up_time(Duration::from_secs(1))
                .measurement_time(Duration::from_secs(5));
        }
        for flavor in [Flavor::Multi, Flavor::Current] {
            // Both runtimes exist while either is measured, so each sees the
            // same threads on the machine.
            let weave_rt = weave_suite::runtime(flavor);
            let tokio_rt = tokio_suite::runtime(flavor);
            weave_suite::bench(&mut group, workload, flavor, &weave_rt);
            tokio_suite::bench(&mut group, workload, flavor, &tokio_rt);
        }
        group.finish();
    }
}

criterion_group!(time, benches);
criterion_main!(time);
