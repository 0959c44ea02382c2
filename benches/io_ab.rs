//! The workloads of `benches/io.rs`, weave against Tokio, with their samples
//! interleaved.
//!
//! Criterion measures every sample of one benchmark before the next one
//! starts, so on a shared 2-core machine slow drift (other processes,
//! frequency, page cache) lands on weave's side or on Tokio's as a whole and
//! shows up as a ratio of a few percent either way. Here each workload and
//! flavor warms both setups up (the code of `benches/io_workloads/mod.rs`,
//! the same as `io.rs`) to size a sample, and then runs R rounds, each on
//! fresh setups, of one weave sample and one Tokio sample, alternating which
//! goes first, so drift slower than a round hits both alike. Besides the ratio of the two
//! medians, it reports the median of the per-round ratios: each pairs two
//! adjacent samples, and their spread (min/max) shows how much the machine
//! moved.
//!
//! ```text
//! cargo bench --bench io_ab                 # every workload and flavor
//! cargo bench --bench io_ab -- rr_1         # rows whose "workload/flavor" contains rr_1
//! IO_AB_ROUNDS=60 cargo bench --bench io_ab -- tcp_rr_50/multi
//! ```
//!
//! Progress goes to stderr, the markdown table to stdout.

use std::time::{Duration, Instant};

#[path = "io_workloads/mod.rs"]
mod io_workloads;

use io_workloads::{tokio_suite, weave_suite, Flavor, Measure, Workload};

const DEFAULT_ROUNDS: usize = 30;
/// Per runtime, before calibrating: as criterion's warm-up in `io.rs`.
const WARM_UP: Duration = Duration::from_secs(1);
/// One sample's length. Long enough that timer and scheduling jitter are
/// small against it, short enough that a round (two samples) sees the same
/// machine. A workload slower than this (the bulk copy) runs once a sample.
const SAMPLE_TARGET: Duration = Duration::from_millis(75);

struct Row {
    iters: u64,
    /// Nanoseconds per iteration, one entry per round.
    weave: Vec<f64>,
    tokio: Vec<f64>,
}

/// Runs the workload until `WARM_UP` has passed; returns the median time of
/// one iteration. The median, as a busy machine stalls a few iterations for
/// many times their length, and a mean would then calibrate samples short.
fn warm_up(measure: &mut Measure) -> Duration {
    let mut spent = Duration::ZERO;
    let mut times = Vec::new();
    while spent < WARM_UP {
        let t = measure(1);
        spent += t;
        times.push(t.as_nanos() as f64);
    }
    Duration::from_nanos(median(&times) as u64)
}

fn ab(workload: Workload, flavor: Flavor, rounds: usize) -> Row {
    let per_iter = {
        let mut weave = weave_suite::setup(workload, flavor);
        let mut tokio = tokio_suite::setup(workload, flavor);
        (warm_up(&mut weave) + warm_up(&mut tokio)) / 2
    };
    // One count for both sides, so what a sample pays once (its first
    // iteration runs on caches the other runtime just used) is spread over
    // the same number of iterations on each. Rounded, not truncated, so a
    // 40 ms workload gets 2 iterations (80 ms) rather than 1 (40 ms).
    let per_iter = per_iter.as_nanos().max(1);
    let iters = ((SAMPLE_TARGET.as_nanos() + per_iter / 2) / per_iter).max(1) as u64;
    let per_iter_ns = |d: Duration| d.as_nanos() as f64 / iters as f64;
    let mut row = Row {
        iters,
        weave: Vec::with_capacity(rounds),
        tokio: Vec::with_capacity(rounds),
    };
    for round in 0..rounds {
        // Fresh runtimes and connections every round, both alive during
        // both samples (each sees the same threads on the machine): a
        // connection can stay in a slow mode for its whole life (seen for
        // both runtimes: 2-5x on rr_1 and on the bulk copy, one setup at a
        // time), which pairing samples of the same setups cannot cancel. One
        // untimed iteration each first, for the connections' first bytes.
        let mut weave = weave_suite::setup(workload, flavor);
        let mut tokio = tokio_suite::setup(workload, flavor);
        weave(1);
        tokio(1);
        // Whichever goes second runs right after the other's burst of
        // syscalls and wakeups; alternating spreads that over both.
        let (w, t) = if round % 2 == 0 {
            let w = weave(iters);
            (w, tokio(iters))
        } else {
            let t = tokio(iters);
            (weave(iters), t)
        };
        row.weave.push(per_iter_ns(w));
        row.tokio.push(per_iter_ns(t));
    }
    row
}

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn fmt(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.3} ms", ns / 1e6)
    } else {
        format!("{:.1} µs", ns / 1e3)
    }
}

/// The load averages, so a table pasted from a busy machine says so.
fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn main() {
    let rounds = match std::env::var("IO_AB_ROUNDS") {
        Ok(s) => s
            .parse::<usize>()
            .ok()
            .filter(|&n| n > 0)
            .expect("IO_AB_ROUNDS must be a positive integer"),
        Err(_) => DEFAULT_ROUNDS,
    };
    // `cargo bench` appends `--bench`; criterion's flags mean nothing here.
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();

    eprintln!("io_ab: {rounds} rounds, load average {}", loadavg());
    println!(
        "| workload | flavor | iters/sample | weave median | tokio median | weave/tokio \
         (medians) | paired median | paired min | paired max |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    let start = Instant::now();
    let mut matched = false;
    for workload in Workload::ALL {
        for flavor in Flavor::ALL {
            let name = format!("{}/{}", workload.name(), flavor.name());
            if !filters.is_empty() && !filters.iter().any(|f| name.contains(f.as_str())) {
                continue;
            }
            matched = true;
            eprintln!("io_ab: {name}");
            let row = ab(workload, flavor, rounds);
            let (w, t) = (median(&row.weave), median(&row.tokio));
            let paired: Vec<f64> = row
                .weave
                .iter()
                .zip(&row.tokio)
                .map(|(w, t)| w / t)
                .collect();
            let min = paired.iter().copied().fold(f64::INFINITY, f64::min);
            let max = paired.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            println!(
                "| {} | {} | {} | {} | {} | {:.3} | {:.3} | {:.3} | {:.3} |",
                workload.name(),
                flavor.name(),
                row.iters,
                fmt(w),
                fmt(t),
                w / t,
                median(&paired),
                min,
                max,
            );
        }
    }
    if !matched {
        eprintln!("io_ab: no workload/flavor contains any of {filters:?}");
    }
    eprintln!(
        "io_ab: done in {:.1} s, load average {}",
        start.elapsed().as_secs_f64(),
        loadavg()
    );
}
