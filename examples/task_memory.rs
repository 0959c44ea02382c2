//! Live heap cost of a pending task, weave vs Tokio.
//!
//! A counting global allocator tracks live heap bytes. For each runtime
//! (weave, Tokio) and flavor (current-thread, multi-thread with two
//! workers) and workload, a fresh runtime is built and warmed up (the same
//! workload run to completion once, so queues reach their high-water mark
//! and lazy allocations are done); then live bytes are read before and after
//! spawning `N` tasks that stay pending, once every one of them has been
//! polled and the runtime has gone quiet. The difference divided by `N` is
//! the per-task cost.
//!
//! Workloads:
//! - `pending`: `async { first_poll(); std::future::pending::<()>().await }`
//! - `oneshot recv`: `async move { first_poll(); let _ = rx.await; }`, with
//!   the channel created inside the measured region (so its shared state
//!   counts) and the sender kept alive by the measuring code.
//!
//! `first_poll` bumps a static counter (it adds nothing to the future's
//! state) so the measurement knows when every task has been polled.
//! The join handles are either kept (in a `Vec` allocated before the
//! "before" reading) or dropped right after spawning.
//!
//! ```text
//! cargo run --release --example task_memory
//! ```

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering::Relaxed, Ordering::SeqCst};
use std::time::{Duration, Instant};

/// Tasks spawned per measurement.
const N: usize = 10_000;
/// Fresh-runtime repetitions per cell of the table.
const RUNS: usize = 3;

/// Wraps the system allocator and tracks the number of live heap bytes.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards to `System`, only adding counter updates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as ours.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size() as isize, Relaxed);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as ours.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size() as isize, Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size() as isize, Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: same contract as ours.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_add(new_size as isize - layout.size() as isize, Relaxed);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Tasks polled at least once (bumped by each task on its first poll).
static POLLED: AtomicUsize = AtomicUsize::new(0);

fn first_poll() {
    POLLED.fetch_add(1, SeqCst);
}

/// Reads `LIVE` until it stops changing (worker threads may still be
/// freeing queue blocks or parking).
fn settled_live() -> isize {
    let mut last = LIVE.load(SeqCst);
    let mut stable = 0;
    while stable < 5 {
        std::thread::sleep(Duration::from_millis(5));
        let now = LIVE.load(SeqCst);
        if now == last {
            stable += 1;
        } else {
            stable = 0;
            last = now;
        }
    }
    last
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Flavor {
    Current,
    Multi,
}

impl Flavor {
    fn name(self) -> &'static str {
        match self {
            Flavor::Current => "current",
            Flavor::Multi => "multi",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Workload {
    Pending,
    Oneshot,
}

impl Workload {
    fn name(self) -> &'static str {
        match self {
            Workload::Pending => "pending",
            Workload::Oneshot => "oneshot recv",
        }
    }
}

/// The measurement, written once against Tokio's API and instantiated for
/// both crates.
macro_rules! suite {
    ($module:ident, $krate:ident) => {
        mod $module {
            use super::*;
            use $krate::runtime::{Builder, Runtime};
            use $krate::sync::oneshot;
            use $krate::task::JoinHandle;

            fn runtime(flavor: Flavor) -> Runtime {
                match flavor {
                    Flavor::Current => Builder::new_current_thread().build().unwrap(),
                    Flavor::Multi => Builder::new_multi_thread()
                        .worker_threads(2)
                        .build()
                        .unwrap(),
                }
            }

            /// Waits until `target` tasks have been polled, driving the
            /// runtime if it is a current-thread one.
            fn wait_polled(rt: &Runtime, flavor: Flavor, target: usize) {
                let deadline = Instant::now() + Duration::from_secs(30);
                while POLLED.load(SeqCst) < target {
                    assert!(Instant::now() < deadline, "tasks were never polled");
                    match flavor {
                        Flavor::Current => rt.block_on($krate::task::yield_now()),
                        Flavor::Multi => std::thread::sleep(Duration::from_millis(1)),
                    }
                }
            }

            /// Spawns `n` tasks of `workload`; their senders (if any) go to
            /// `senders` and their handles to `handles` (if `keep`).
            fn spawn_tasks(
                rt: &Runtime,
                workload: Workload,
                n: usize,
                keep: bool,
                senders: &mut Vec<oneshot::Sender<()>>,
                handles: &mut Vec<JoinHandle<()>>,
            ) {
                for _ in 0..n {
                    let handle = match workload {
                        Workload::Pending => rt.spawn(async {
                            first_poll();
                            std::future::pending::<()>().await
                        }),
                        Workload::Oneshot => {
                            let (tx, rx) = oneshot::channel::<()>();
                            senders.push(tx);
                            rt.spawn(async move {
                                first_poll();
                                let _ = rx.await;
                            })
                        }
                    };
                    if keep {
                        handles.push(handle);
                    }
                }
            }

            /// Per-task live bytes of `workload` on a fresh runtime.
            pub fn measure(flavor: Flavor, workload: Workload, keep: bool) -> f64 {
                let rt = runtime(flavor);
                let mut senders = Vec::with_capacity(N);
                let mut handles = Vec::with_capacity(N);

                // Warm up: the same workload, run to completion.
                POLLED.store(0, SeqCst);
                spawn_tasks(&rt, workload, N, true, &mut senders, &mut handles);
                wait_polled(&rt, flavor, N);
                for tx in senders.drain(..) {
                    tx.send(()).unwrap();
                }
                rt.block_on(async {
                    for h in handles.drain(..) {
                        if workload == Workload::Pending {
                            h.abort();
                        }
                        let _ = h.await;
                    }
                });

                // Measure.
                POLLED.store(0, SeqCst);
                let before = settled_live();
                spawn_tasks(&rt, workload, N, keep, &mut senders, &mut handles);
                wait_polled(&rt, flavor, N);
                let after = settled_live();

                // Tear down: the runtime first (it cancels the tasks), then
                // the senders and handles.
                drop(rt);
                drop(senders);
                drop(handles);
                (after - before) as f64 / N as f64
            }

            /// Size of the futures spawned by `workload`.
            pub fn future_size(workload: Workload) -> usize {
                match workload {
                    Workload::Pending => std::mem::size_of_val(&async {
                        first_poll();
                        std::future::pending::<()>().await
                    }),
                    Workload::Oneshot => {
                        let (_tx, rx) = oneshot::channel::<()>();
                        std::mem::size_of_val(&async move {
                            first_poll();
                            let _ = rx.await;
                        })
                    }
                }
            }
        }
    };
}

suite!(weave_suite, weave);
suite!(tokio_suite, tokio);

/// Formats repeated measurements: one number if they agree, else the range.
fn show(runs: &[f64]) -> String {
    let min = runs.iter().copied().fold(f64::INFINITY, f64::min);
    let max = runs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if max - min < 0.05 {
        format!("{min:.1}")
    } else {
        format!("{min:.1}..{max:.1}")
    }
}

fn main() {
    println!("N = {N} tasks per measurement, {RUNS} fresh runtimes per cell");
    for workload in [Workload::Pending, Workload::Oneshot] {
        println!(
            "future size, {}: weave {} B, tokio {} B",
            workload.name(),
            weave_suite::future_size(workload),
            tokio_suite::future_size(workload),
        );
    }
    println!();
    println!("| workload | handle | flavor | weave bytes/task | tokio bytes/task |");
    println!("|---|---|---|---|---|");
    for workload in [Workload::Pending, Workload::Oneshot] {
        for keep in [true, false] {
            for flavor in [Flavor::Current, Flavor::Multi] {
                let weave: Vec<f64> = (0..RUNS)
                    .map(|_| weave_suite::measure(flavor, workload, keep))
                    .collect();
                let tokio: Vec<f64> = (0..RUNS)
                    .map(|_| tokio_suite::measure(flavor, workload, keep))
                    .collect();
                println!(
                    "| {} | {} | {} | {} | {} |",
                    workload.name(),
                    if keep { "kept" } else { "dropped" },
                    flavor.name(),
                    show(&weave),
                    show(&tokio),
                );
            }
        }
    }
}
