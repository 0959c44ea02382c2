//! The concurrency toolkit, weave and Tokio in the same run, on the
//! current-thread runtime and a 2-worker multi-thread runtime.
//!
//! - `select_2` / `select_8`: `select!` in a loop over 2 (8) unbounded mpsc
//!   channels, fed 10,000 messages in all by one producer task per channel,
//!   until every channel is closed.
//! - `join_set_10k`: spawn 10,000 tasks into a `JoinSet`, then `join_next`
//!   until it is empty.
//! - `gather_10k`: `weave::gather` of 10,000 futures; on Tokio, the same
//!   done by hand (spawn each, collect the `JoinHandle`s, await them in
//!   order), which is what Tokio code writes for `gather`.

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion};
use std::time::Duration;

const WORKERS: usize = 2;
const MESSAGES: usize = 10_000;
const TASKS: usize = 10_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Workload {
    Select2,
    Select8,
    JoinSet,
    Gather,
}

impl Workload {
    const ALL: [Workload; 4] = [
        Workload::Select2,
        Workload::Select8,
        Workload::JoinSet,
        Workload::Gather,
    ];

    fn name(self) -> &'static str {
        match self {
            Workload::Select2 => "select_2",
            Workload::Select8 => "select_8",
            Workload::JoinSet => "join_set_10k",
            Workload::Gather => "gather_10k",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Flavor {
    Current,
    Multi,
}

macro_rules! suite {
    ($module:ident, $krate:ident, $gather:path) => {
        mod $module {
            use super::*;
            use std::hint::black_box;
            use $krate::runtime::{Builder, Runtime};
            use $krate::sync::mpsc;

            pub fn runtime(flavor: Flavor) -> Runtime {
                match flavor {
                    Flavor::Current => Builder::new_current_thread().enable_all().build(),
                    Flavor::Multi => Builder::new_multi_thread()
                        .worker_threads(WORKERS)
                        .enable_all()
                        .build(),
                }
                .unwrap()
            }

            pub fn bench(
                group: &mut BenchmarkGroup<'_, WallTime>,
                workload: Workload,
                flavor: Flavor,
                rt: &Runtime,
            ) {
                let flavor = match flavor {
                    Flavor::Current => "current",
                    Flavor::Multi => "multi",
                };
                let id = format!("{}/{flavor}", stringify!($krate));
                group.bench_function(id, |b| b.iter(|| rt.block_on(run(workload))));
            }

            fn channels(n: usize) -> Vec<mpsc::UnboundedReceiver<usize>> {
                (0..n)
                    .map(|_| {
                        let (tx, rx) = mpsc::unbounded_channel();
                        $krate::spawn(async move {
                            for i in 0..MESSAGES / n {
                                tx.send(i).unwrap();
                                if i % 64 == 0 {
                                    $krate::task::yield_now().await;
                                }
                            }
                        });
                        rx
                    })
                    .collect()
            }

            async fn run(workload: Workload) {
                match workload {
                    Workload::Select2 => {
                        let mut rx = channels(2);
                        let (mut a, mut b) = (rx.remove(0), rx.remove(0));
                        let mut n = 0;
                        loop {
                            $krate::select! {
                                Some(v) = a.recv() => { black_box(v); n += 1; }
                                Some(v) = b.recv() => { black_box(v); n += 1; }
                                else => break,
                            }
                        }
                        assert_eq!(n, MESSAGES);
                    }
                    Workload::Select8 => {
                        let mut rx = channels(8);
                        let mut n = 0;
                        let [r0, r1, r2, r3, r4, r5, r6, r7] = &mut rx[..] else {
                            unreachable!()
                        };
                        loop {
                            $krate::select! {
                                Some(v) = r0.recv() => { black_box(v); n += 1; }
                                Some(v) = r1.recv() => { black_box(v); n += 1; }
                                Some(v) = r2.recv() => { black_box(v); n += 1; }
                                Some(v) = r3.recv() => { black_box(v); n += 1; }
                                Some(v) = r4.recv() => { black_box(v); n += 1; }
                                Some(v) = r5.recv() => { black_box(v); n += 1; }
                                Some(v) = r6.recv() => { black_box(v); n += 1; }
                                Some(v) = r7.recv() => { black_box(v); n += 1; }
                                else => break,
                            }
                        }
                        assert_eq!(n, MESSAGES);
                    }
                    Workload::JoinSet => {
                        let mut set = $krate::task::JoinSet::new();
                        for i in 0..TASKS {
                            set.spawn(async move { black_box(i) });
                        }
                        let mut n = 0;
                        while let Some(r) = set.join_next().await {
                            r.unwrap();
                            n += 1;
                        }
                        assert_eq!(n, TASKS);
                    }
                    Workload::Gather => {
                        let results =
                            $gather((0..TASKS).map(|i| async move { black_box(i) })).await;
                        assert_eq!(results.len(), TASKS);
                    }
                }
            }
        }
    };
}

/// What Tokio code writes for `gather`: spawn each future, collect the
/// handles, await them in order.
async fn tokio_gather<I>(
    futures: I,
) -> Vec<Result<<I::Item as std::future::Future>::Output, tokio::task::JoinError>>
where
    I: IntoIterator,
    I::Item: std::future::Future + Send + 'static,
    <I::Item as std::future::Future>::Output: Send + 'static,
{
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        out.push(h.await);
    }
    out
}

suite!(weave_suite, weave, weave::gather);
suite!(tokio_suite, tokio, super::tokio_gather);

fn benches(c: &mut Criterion) {
    for workload in Workload::ALL {
        let mut group = c.benchmark_group(workload.name());
        group
            .sample_size(30)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(2));
        for flavor in [Flavor::Current, Flavor::Multi] {
            // Both runtimes exist while either is measured.
            let weave_rt = weave_suite::runtime(flavor);
            let tokio_rt = tokio_suite::runtime(flavor);
            weave_suite::bench(&mut group, workload, flavor, &weave_rt);
            tokio_suite::bench(&mut group, workload, flavor, &tokio_rt);
        }
        group.finish();
    }
}

criterion_group!(concurrency, benches);
criterion_main!(concurrency);
