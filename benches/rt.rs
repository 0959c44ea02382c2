//! Scheduler benchmarks: every workload runs on weave and on Tokio, on a
//! multi-thread runtime with two workers and on a current-thread runtime,
//! so one run prints them side by side:
//!
//! ```text
//! spawn_many_local/weave/multi
//! spawn_many_local/tokio/multi
//! spawn_many_local/weave/current
//! spawn_many_local/tokio/current
//! ```
//!
//! The workloads are modelled on Tokio's `benches/rt_multi_threaded.rs`.
//! Completion is always awaited asynchronously (a oneshot or the join
//! handles) rather than with a blocking `recv` inside `block_on`, so the
//! same code works on a current-thread runtime.
//!
//! Each runtime is built once per benchmark, outside the timed loop.

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion};
use std::time::Duration;

/// Tasks spawned by the `spawn_many_*` workloads.
const NUM_SPAWN: usize = 10_000;
/// Tasks in `yield_many`.
const YIELD_TASKS: usize = 200;
/// `yield_now` calls per task in `yield_many`.
const NUM_YIELD: usize = 1_000;
/// Pairs of tasks in `ping_pong`.
const NUM_PINGS: usize = 1_000;
/// Length of the spawn chain in `chained_spawn`.
const CHAIN_DEPTH: usize = 1_000;
/// Busy tasks in `spawn_many_remote_busy` (one per worker).
const BUSY_TASKS: usize = 2;
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
    SpawnManyLocal,
    SpawnManyRemoteIdle,
    SpawnManyRemoteBusy,
    YieldMany,
    PingPong,
    ChainedSpawn,
}

impl Workload {
    const ALL: [Workload; 6] = [
        Workload::SpawnManyLocal,
        Workload::SpawnManyRemoteIdle,
        Workload::SpawnManyRemoteBusy,
        Workload::YieldMany,
        Workload::PingPong,
        Workload::ChainedSpawn,
    ];

    fn name(self) -> &'static str {
        match self {
            Workload::SpawnManyLocal => "spawn_many_local",
            Workload::SpawnManyRemoteIdle => "spawn_many_remote_idle",
            Workload::SpawnManyRemoteBusy => "spawn_many_remote_busy",
            Workload::YieldMany => "yield_many",
            Workload::PingPong => "ping_pong",
            Workload::ChainedSpawn => "chained_spawn",
        }
    }

    fn flavors(self) -> &'static [Flavor] {
        match self {
            // On a current-thread runtime the busy tasks only run inside
            // `block_on`, so "remote spawn while the workers are busy" has
            // no meaning there.
            Workload::SpawnManyRemoteBusy => &[Flavor::Multi],
            _ => &[Flavor::Multi, Flavor::Current],
        }
    }
}

/// The same workloads, written once against Tokio's API and instantiated
/// for both crates (weave mirrors Tokio's paths and signatures).
macro_rules! suite {
    ($module:ident, $krate:ident) => {
        mod $module {
            use super::*;
            use std::hint::black_box;
            use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
            use std::sync::Arc;
            use $krate::runtime::{Builder, Runtime};
            use $krate::sync::oneshot;
            use $krate::task::yield_now;

            fn runtime(flavor: Flavor) -> Runtime {
                match flavor {
                    Flavor::Multi => Builder::new_multi_thread()
                        .worker_threads(WORKERS)
                        .build()
                        .unwrap(),
                    Flavor::Current => Builder::new_current_thread().build().unwrap(),
                }
            }

            /// Registers `workload` on `flavor` as `<crate>/<flavor>` in `group`.
            pub fn bench(
                group: &mut BenchmarkGroup<'_, WallTime>,
                workload: Workload,
                flavor: Flavor,
            ) {
                let id = format!("{}/{}", stringify!($krate), flavor.name());
                let rt = runtime(flavor);
                match workload {
                    Workload::SpawnManyLocal => {
                        let counter = Arc::new(AtomicUsize::new(0));
                        group.bench_function(id, |b| b.iter(|| spawn_many_local(&rt, &counter)));
                    }
                    Workload::SpawnManyRemoteIdle => {
                        let mut handles = Vec::with_capacity(NUM_SPAWN);
                        group.bench_function(id, |b| {
                            b.iter(|| spawn_many_remote(&rt, &mut handles))
                        });
                    }
                    Workload::SpawnManyRemoteBusy => {
                        let stop = Arc::new(AtomicBool::new(false));
                        let busy: Vec<_> = (0..BUSY_TASKS)
                            .map(|_| {
                                let stop = stop.clone();
                                rt.spawn(async move {
                                    while !stop.load(Relaxed) {
                                        yield_now().await;
                                    }
                                })
                            })
                            .collect();
                        let mut handles = Vec::with_capacity(NUM_SPAWN);
                        group.bench_function(id, |b| {
                            b.iter(|| spawn_many_remote(&rt, &mut handles))
                        });
                        stop.store(true, Relaxed);
                        rt.block_on(async {
                            for h in busy {
                                h.await.unwrap();
                            }
                        });
                    }
                    Workload::YieldMany => {
                        let mut handles = Vec::with_capacity(YIELD_TASKS);
                        group.bench_function(id, |b| b.iter(|| yield_many(&rt, &mut handles)));
                    }
                    Workload::PingPong => {
                        let remaining = Arc::new(AtomicUsize::new(0));
                        group.bench_function(id, |b| b.iter(|| ping_pong(&rt, &remaining)));
                    }
                    Workload::ChainedSpawn => {
                        group.bench_function(id, |b| b.iter(|| chained_spawn(&rt)));
                    }
                }
            }

            /// A task spawns `NUM_SPAWN` tasks; the last one to finish
            /// signals the waiting `block_on` future.
            fn spawn_many_local(rt: &Runtime, remaining: &Arc<AtomicUsize>) {
                remaining.store(NUM_SPAWN, Relaxed);
                rt.block_on(async {
                    let (done_tx, done_rx) = oneshot::channel();
                    let done_tx = Arc::new(DoneSlot::new(done_tx));
                    let remaining = remaining.clone();
                    $krate::spawn(async move {
                        for _ in 0..NUM_SPAWN {
                            let remaining = remaining.clone();
                            let done_tx = done_tx.clone();
                            $krate::spawn(async move {
                                if remaining.fetch_sub(1, Relaxed) == 1 {
                                    let _ = done_tx.take().unwrap().send(());
                                }
                            });
                        }
                    });
                    done_rx.await.unwrap();
                });
            }

            /// Spawns `NUM_SPAWN` empty tasks from outside the runtime
            /// (`Runtime::spawn` on the bench thread), then awaits them all.
            fn spawn_many_remote(rt: &Runtime, handles: &mut Vec<$krate::task::JoinHandle<()>>) {
                for _ in 0..NUM_SPAWN {
                    handles.push(rt.spawn(async {}));
                }
                rt.block_on(async {
                    for h in handles.drain(..) {
                        h.await.unwrap();
                    }
                });
            }

            /// `YIELD_TASKS` tasks each yield `NUM_YIELD` times.
            fn yield_many(rt: &Runtime, handles: &mut Vec<$krate::task::JoinHandle<()>>) {
                rt.block_on(async {
                    for _ in 0..YIELD_TASKS {
                        handles.push($krate::spawn(async {
                            for _ in 0..NUM_YIELD {
                                yield_now().await;
                            }
                        }));
                    }
                    for h in handles.drain(..) {
                        h.await.unwrap();
                    }
                });
            }

            /// `NUM_PINGS` pairs: `a` spawns `b`, pings it over one oneshot,
            /// `b` answers over another; the last `a` to get its answer
            /// signals the waiting `block_on` future.
            fn ping_pong(rt: &Runtime, remaining: &Arc<AtomicUsize>) {
                remaining.store(NUM_PINGS, Relaxed);
                rt.block_on(async {
                    let (done_tx, done_rx) = oneshot::channel();
                    let done_tx = Arc::new(DoneSlot::new(done_tx));
                    let remaining = remaining.clone();
                    $krate::spawn(async move {
                        for _ in 0..NUM_PINGS {
                            let remaining = remaining.clone();
                            let done_tx = done_tx.clone();
                            $krate::spawn(async move {
                                let (ping_tx, ping_rx) = oneshot::channel::<()>();
                                let (pong_tx, pong_rx) = oneshot::channel::<()>();
                                $krate::spawn(async move {
                                    ping_rx.await.unwrap();
                                    pong_tx.send(()).unwrap();
                                });
                                ping_tx.send(()).unwrap();
                                pong_rx.await.unwrap();
                                if remaining.fetch_sub(1, Relaxed) == 1 {
                                    let _ = done_tx.take().unwrap().send(());
                                }
                            });
                        }
                    });
                    done_rx.await.unwrap();
                });
            }

            /// Each link of the chain spawns the next; the last one sends on
            /// the oneshot.
            fn chained_spawn(rt: &Runtime) {
                fn link(done: oneshot::Sender<()>, n: usize) {
                    if n == 0 {
                        let _ = done.send(());
                    } else {
                        $krate::spawn(async move { link(done, n - 1) });
                    }
                }
                rt.block_on(async {
                    let (done_tx, done_rx) = oneshot::channel();
                    $krate::spawn(async move { link(done_tx, black_box(CHAIN_DEPTH)) });
                    done_rx.await.unwrap();
                });
            }
        }
    };
}

/// Holds the oneshot sender that the last finisher of a fan-out takes.
/// Taken once per iteration, so its cost is negligible.
struct DoneSlot<T>(std::sync::Mutex<Option<T>>);

impl<T> DoneSlot<T> {
    fn new(value: T) -> Self {
        DoneSlot(std::sync::Mutex::new(Some(value)))
    }

    fn take(&self) -> Option<T> {
        self.0.lock().unwrap().take()
    }
}

suite!(weave_suite, weave);
suite!(tokio_suite, tokio);

fn benches(c: &mut Criterion) {
    for workload in Workload::ALL {
        let mut group = c.benchmark_group(workload.name());
        group
            .sample_size(30)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3));
        for &flavor in workload.flavors() {
            weave_suite::bench(&mut group, workload, flavor);
            tokio_suite::bench(&mut group, workload, flavor);
        }
        group.finish();
    }
}

criterion_group!(rt, benches);
criterion_main!(rt);
