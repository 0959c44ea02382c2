//! Synchronization primitives and channels, weave and Tokio in the same run,
//! on a 2-worker multi-thread runtime.
//!
//! - `mpsc_uncontended_{bounded,unbounded}`: one task sends 10,000 messages,
//!   then receives them.
//! - `mpsc_contended_{bounded,unbounded}`: 5 producers x 1,000 messages into
//!   one receiver (capacity 100 for the bounded one).
//! - `oneshot_request_reply`: 1,000 requests, each answered on a oneshot.
//! - `semaphore_uncontended`: 10,000 acquire/release in one task.
//! - `semaphore_contended`: 1,000 tasks through `Semaphore::new(5)`.
//! - `mutex_contended`: 10 tasks x 1,000 increments behind one `Mutex`.
//! - `rwlock_read_heavy`: 9 readers x 1,000 reads and a writer x 100 writes.
//! - `notify_fan_out`: 100 waiting tasks released by `notify_waiters`.
//! - `broadcast_{10,100,1000}`: 100 messages to that many subscribers.
//! - `watch`: 1,000 updates seen by 10 receivers.

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion};
use std::time::Duration;

const WORKERS: usize = 2;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Workload {
    MpscUncontendedBounded,
    MpscUncontendedUnbounded,
    MpscContendedBounded,
    MpscContendedUnbounded,
    OneshotRequestReply,
    SemaphoreUncontended,
    SemaphoreContended,
    MutexContended,
    RwlockReadHeavy,
    NotifyFanOut,
    Broadcast(usize),
    Watch,
}

impl Workload {
    const ALL: [Workload; 14] = [
        Workload::MpscUncontendedBounded,
        Workload::MpscUncontendedUnbounded,
        Workload::MpscContendedBounded,
        Workload::MpscContendedUnbounded,
        Workload::OneshotRequestReply,
        Workload::SemaphoreUncontended,
        Workload::SemaphoreContended,
        Workload::MutexContended,
        Workload::RwlockReadHeavy,
        Workload::NotifyFanOut,
        Workload::Broadcast(10),
        Workload::Broadcast(100),
        Workload::Broadcast(1000),
        Workload::Watch,
    ];

    fn name(self) -> String {
        match self {
            Workload::MpscUncontendedBounded => "mpsc_uncontended_bounded".into(),
            Workload::MpscUncontendedUnbounded => "mpsc_uncontended_unbounded".into(),
            Workload::MpscContendedBounded => "mpsc_contended_bounded".into(),
            Workload::MpscContendedUnbounded => "mpsc_contended_unbounded".into(),
            Workload::OneshotRequestReply => "oneshot_request_reply".into(),
            Workload::SemaphoreUncontended => "semaphore_uncontended".into(),
            Workload::SemaphoreContended => "semaphore_contended".into(),
            Workload::MutexContended => "mutex_contended".into(),
            Workload::RwlockReadHeavy => "rwlock_read_heavy".into(),
            Workload::NotifyFanOut => "notify_fan_out".into(),
            Workload::Broadcast(n) => format!("broadcast_{n}"),
            Workload::Watch => "watch".into(),
        }
    }
}

macro_rules! suite {
    ($module:ident, $krate:ident) => {
        mod $module {
            use super::*;
            use std::hint::black_box;
            use std::sync::Arc;
            use $krate::runtime::{Builder, Runtime};
            use $krate::sync::{broadcast, mpsc, oneshot, watch, Mutex, Notify, RwLock, Semaphore};

            pub fn runtime() -> Runtime {
                Builder::new_multi_thread()
                    .worker_threads(WORKERS)
                    .enable_all()
                    .build()
                    .unwrap()
            }

            pub fn bench(
                group: &mut BenchmarkGroup<'_, WallTime>,
                workload: Workload,
                rt: &Runtime,
            ) {
                let id = format!("{}/multi", stringify!($krate));
                group.bench_function(id, |b| b.iter(|| rt.block_on(run(workload))));
            }

            async fn run(workload: Workload) {
                match workload {
                    Workload::MpscUncontendedBounded => {
                        let (tx, mut rx) = mpsc::channel(10_000);
                        for i in 0..10_000 {
                            tx.send(i).await.unwrap();
                        }
                        for _ in 0..10_000 {
                            black_box(rx.recv().await.unwrap());
                        }
                    }
                    Workload::MpscUncontendedUnbounded => {
                        let (tx, mut rx) = mpsc::unbounded_channel();
                        for i in 0..10_000 {
                            tx.send(i).unwrap();
                        }
                        for _ in 0..10_000 {
                            black_box(rx.recv().await.unwrap());
                        }
                    }
                    Workload::MpscContendedBounded => {
                        let (tx, mut rx) = mpsc::channel(100);
                        for _ in 0..5 {
                            let tx = tx.clone();
                            $krate::spawn(async move {
                                for i in 0..1000 {
                                    tx.send(i).await.unwrap();
                                }
                            });
                        }
                        drop(tx);
                        let mut n = 0;
                        while rx.recv().await.is_some() {
                            n += 1;
                        }
                        assert_eq!(n, 5000);
                    }
                    Workload::MpscContendedUnbounded => {
                        let (tx, mut rx) = mpsc::unbounded_channel();
                        for _ in 0..5 {
                            let tx = tx.clone();
                            $krate::spawn(async move {
                                for i in 0..1000 {
                                    tx.send(i).unwrap();
                                }
                            });
                        }
                        drop(tx);
                        let mut n = 0;
                        while rx.recv().await.is_some() {
                            n += 1;
                        }
                        assert_eq!(n, 5000);
                    }
                    Workload::OneshotRequestReply => {
                        let (tx, mut rx) = mpsc::unbounded_channel::<(u32, oneshot::Sender<u32>)>();
                        let server = $krate::spawn(async move {
                            while let Some((x, reply)) = rx.recv().await {
                                let _ = reply.send(x + 1);
                            }
                        });
                        for i in 0..1000 {
                            let (reply_tx, reply_rx) = oneshot::channel();
                            tx.send((i, reply_tx)).unwrap();
                            assert_eq!(reply_rx.await.unwrap(), i + 1);
                        }
                        drop(tx);
                        server.await.unwrap();
                    }
                    Workload::SemaphoreUncontended => {
                        let sem = Semaphore::new(1);
                        for _ in 0..10_000 {
                            drop(black_box(sem.acquire().await.unwrap()));
                        }
                    }
                    Workload::SemaphoreContended => {
                        let sem = Arc::new(Semaphore::new(5));
                        let tasks: Vec<_> = (0..1000)
                            .map(|_| {
                                let sem = sem.clone();
                                $krate::spawn(async move {
                                    let _p = sem.acquire().await.unwrap();
                                    $krate::task::yield_now().await;
                                })
                            })
                            .collect();
                        for t in tasks {
                            t.await.unwrap();
                        }
                    }
                    Workload::MutexContended => {
                        let m = Arc::new(Mutex::new(0u64));
                        let tasks: Vec<_> = (0..10)
                            .map(|_| {
                                let m = m.clone();
                                $krate::spawn(async move {
                                    for _ in 0..1000 {
                                        *m.lock().await += 1;
                                    }
                                })
                            })
                            .collect();
                        for t in tasks {
                            t.await.unwrap();
                        }
                        assert_eq!(*m.lock().await, 10_000);
                    }
                    Workload::RwlockReadHeavy => {
                        let l = Arc::new(RwLock::new(0u64));
                        let mut tasks: Vec<_> = (0..9)
                            .map(|_| {
                                let l = l.clone();
                                $krate::spawn(async move {
                                    for _ in 0..1000 {
                                        black_box(*l.read().await);
                                    }
                                })
                            })
                            .collect();
                        let w = l.clone();
                        tasks.push($krate::spawn(async move {
                            for _ in 0..100 {
                                *w.write().await += 1;
                            }
                        }));
                        for t in tasks {
                            t.await.unwrap();
                        }
                    }
                    Workload::NotifyFanOut => {
                        let notify = Arc::new(Notify::new());
                        let ready = Arc::new(Semaphore::new(0));
                        let tasks: Vec<_> = (0..100)
                            .map(|_| {
                                let notify = notify.clone();
                                let ready = ready.clone();
                                $krate::spawn(async move {
                                    let notified = notify.notified();
                                    let mut notified = std::pin::pin!(notified);
                                    notified.as_mut().enable();
                                    ready.add_permits(1);
                                    notified.await;
                                })
                            })
                            .collect();
                        ready.acquire_many(100).await.unwrap().forget();
                        notify.notify_waiters();
                        for t in tasks {
                            t.await.unwrap();
                        }
                    }
                    Workload::Broadcast(subscribers) => {
                        let (tx, _) = broadcast::channel(128);
                        let tasks: Vec<_> = (0..subscribers)
                            .map(|_| {
                                let mut rx = tx.subscribe();
                                $krate::spawn(async move {
                                    let mut n = 0;
                                    while rx.recv().await.is_ok() {
                                        n += 1;
                                    }
                                    n
                                })
                            })
                            .collect();
                        for i in 0..100u64 {
                            tx.send(i).unwrap();
                        }
                        drop(tx);
                        for t in tasks {
                            assert_eq!(t.await.unwrap(), 100);
                        }
                    }
                    Workload::Watch => {
                        let (tx, rx) = watch::channel(0u64);
                        let tasks: Vec<_> = (0..10)
                            .map(|_| {
                                let mut rx = rx.clone();
                                $krate::spawn(async move {
                                    while rx.changed().await.is_ok() {
                                        if *rx.borrow_and_update() == 1000 {
                                            break;
                                        }
                                    }
                                })
                            })
                            .collect();
                        for i in 1..=1000 {
                            tx.send(i).unwrap();
                            if i % 100 == 0 {
                                $krate::task::yield_now().await;
                            }
                        }
                        for t in tasks {
                            t.await.unwrap();
                        }
                    }
                }
            }
        }
    };
}

suite!(weave_suite, weave);
suite!(tokio_suite, tokio);

fn benches(c: &mut Criterion) {
    for workload in Workload::ALL {
        let name = workload.name();
        let mut group = c.benchmark_group(name.as_str());
        group
            .sample_size(30)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(2));
        // Both runtimes exist while either is measured.
        let weave_rt = weave_suite::runtime();
        let tokio_rt = tokio_suite::runtime();
        weave_suite::bench(&mut group, workload, &weave_rt);
        tokio_suite::bench(&mut group, workload, &tokio_rt);
        group.finish();
    }
}

criterion_group!(sync, benches);
criterion_main!(sync);
