//! What debug mode costs: the spawn and yield workloads of `benches/rt.rs`
//! on weave with debug mode off (`weave/<flavor>`) and on
//! (`debug/<flavor>`), with Tokio beside them for scale. The goal is
//! debug/weave at most 1.10 (every poll is timed in debug mode: two clock
//! reads); `python3 benches/summarize.py debug_` prints the ratios.
//!
//! Debug mode's reports go to a hook that drops them, so printing does not
//! count (none of these polls is slow anyway).

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

/// Tasks spawned per iteration of `debug_spawn_many`.
const NUM_SPAWN: usize = 10_000;
/// Tasks in `debug_yield_many`, and `yield_now` calls per task.
const YIELD_TASKS: usize = 200;
const NUM_YIELD: usize = 1_000;

#[derive(Clone, Copy)]
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

macro_rules! suite {
    ($module:ident, $krate:ident) => {
        mod $module {
            use super::*;
            use $krate::runtime::{Builder, Runtime};
            use $krate::task::yield_now;

            pub fn builder(flavor: Flavor) -> Builder {
                match flavor {
                    Flavor::Multi => {
                        let mut b = Builder::new_multi_thread();
                        b.worker_threads(2);
                        b
                    }
                    Flavor::Current => Builder::new_current_thread(),
                }
            }

            /// A task spawns `NUM_SPAWN` tasks and waits for them to finish.
            pub fn spawn_many(rt: &Runtime) {
                rt.block_on(async {
                    let remaining = Arc::new(AtomicUsize::new(NUM_SPAWN));
                    let (tx, rx) = $krate::sync::oneshot::channel();
                    let tx = Arc::new(std::sync::Mutex::new(Some(tx)));
                    $krate::spawn(async move {
                        for _ in 0..NUM_SPAWN {
                            let remaining = remaining.clone();
                            let tx = tx.clone();
                            $krate::spawn(async move {
                                if remaining.fetch_sub(1, Relaxed) == 1 {
                                    let _ = tx.lock().unwrap().take().unwrap().send(());
                                }
                            });
                        }
                    });
                    rx.await.unwrap();
                });
            }

            /// `YIELD_TASKS` tasks each yield `NUM_YIELD` times.
            pub fn yield_many(rt: &Runtime) {
                rt.block_on(async {
                    let handles: Vec<_> = (0..YIELD_TASKS)
                        .map(|_| {
                            $krate::spawn(async {
                                for _ in 0..NUM_YIELD {
                                    yield_now().await;
                                }
                            })
                        })
                        .collect();
                    for h in handles {
                        black_box(h.await.unwrap());
                    }
                });
            }
        }
    };
}

suite!(weave_suite, weave);
suite!(tokio_suite, tokio);

fn benches(c: &mut Criterion) {
    type Workload<R> = fn(&R);
    let workloads: [(
        &str,
        Workload<weave::runtime::Runtime>,
        Workload<tokio::runtime::Runtime>,
    ); 2] = [
        (
            "debug_spawn_many",
            weave_suite::spawn_many,
            tokio_suite::spawn_many,
        ),
        (
            "debug_yield_many",
            weave_suite::yield_many,
            tokio_suite::yield_many,
        ),
    ];
    for (name, on_weave, on_tokio) in workloads {
        let mut group = c.benchmark_group(name);
        group
            .sample_size(30)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3));
        for flavor in [Flavor::Multi, Flavor::Current] {
            let plain = weave_suite::builder(flavor).debug(false).build().unwrap();
            group.bench_function(format!("weave/{}", flavor.name()), |b| {
                b.iter(|| on_weave(&plain))
            });
            let debug = weave_suite::builder(flavor)
                .debug(true)
                .on_debug_event(|_| {})
                .build()
                .unwrap();
            group.bench_function(format!("debug/{}", flavor.name()), |b| {
                b.iter(|| on_weave(&debug))
            });
            let tokio = tokio_suite::builder(flavor).build().unwrap();
            group.bench_function(format!("tokio/{}", flavor.name()), |b| {
                b.iter(|| on_tokio(&tokio))
            });
        }
        group.finish();
    }
}

criterion_group!(debug, benches);
criterion_main!(debug);
