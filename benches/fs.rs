//! File-system benchmarks: every workload runs on weave, on Tokio and, where
//! it applies, on plain `std`, in the same run (`<workload>/<crate>`):
//!
//! ```text
//! fs_read_100mb/weave
//! fs_read_100mb/tokio
//! fs_read_100mb/std
//! ```
//!
//! - `fs_read_100mb`: `fs::read` of a 100 MB file (`std::fs::read`).
//! - `lines_43mb`: count the lines of a 43 MB file of 1M lines through
//!   `BufReader::new(File).lines()` (std: `BufRead::lines`).
//! - `read_4k_x1000`: 1000 tasks each `fs::read` a different 4 KiB file, all
//!   awaited (std: one thread reading them in a loop).
//! - `write_16mb_1k`: `File::create`, 16384 `write_all`s of 1 KiB, `flush`
//!   (std: the same calls on an unbuffered `std::fs::File`).
//!
//! The files are generated into a directory under `std::env::temp_dir()`
//! before the first measurement (so they are in the page cache, as in a
//! warm server) and removed at the end. Runtimes are multi-thread with two
//! workers (this machine has 2 cores); async workloads run in a spawned
//! task, on a worker.

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, SamplingMode};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Size of the `fs_read_100mb` file.
const BIG_SIZE: usize = 100_000_000;
/// Lines in the `lines_43mb` file (43 bytes each on average).
const NUM_LINES: usize = 1_000_000;
/// Files in `read_4k_x1000`, and their size.
const NUM_SMALL: usize = 1000;
const SMALL_SIZE: usize = 4096;
/// `write_16mb_1k`: writes per iteration and their size.
const NUM_WRITES: usize = 16 * 1024;
const WRITE_SIZE: usize = 1024;
/// Worker threads of the multi-thread runtimes.
const WORKERS: usize = 2;

/// The generated input files.
struct Files {
    dir: PathBuf,
    big: PathBuf,
    lines: PathBuf,
    small: Arc<Vec<PathBuf>>,
    /// Where `write_16mb_1k` writes (one file per crate).
    out: PathBuf,
}

/// A small xorshift generator: reproducible contents without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        let mut v = Vec::with_capacity(n + 8);
        while v.len() < n {
            v.extend_from_slice(&self.next().to_le_bytes());
        }
        v.truncate(n);
        v
    }
}

impl Files {
    fn generate() -> Files {
        let dir = std::env::temp_dir().join(format!("weave-bench-fs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);

        let big = dir.join("big.bin");
        std::fs::write(&big, rng.bytes(BIG_SIZE)).unwrap();

        // Lines of 20..=64 bytes of printable text (42 on average) plus '\n'.
        let mut text = Vec::with_capacity(NUM_LINES * 43);
        for i in 0..NUM_LINES {
            let len = 20 + (rng.next() % 45) as usize;
            let start = text.len();
            text.extend_from_slice(format!("{i:07} ").as_bytes());
            while text.len() - start < len {
                text.push(b'a' + (rng.next() % 26) as u8);
            }
            text.push(b'\n');
        }
        let lines = dir.join("lines.txt");
        std::fs::write(&lines, &text).unwrap();

        let small_dir = dir.join("small");
        std::fs::create_dir_all(&small_dir).unwrap();
        let small = (0..NUM_SMALL)
            .map(|i| {
                let path = small_dir.join(format!("{i:04}.bin"));
                std::fs::write(&path, rng.bytes(SMALL_SIZE)).unwrap();
                path
            })
            .collect();

        Files {
            out: dir.join("out"),
            dir,
            big,
            lines,
            small: Arc::new(small),
        }
    }
}

impl Drop for Files {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Workload {
    ReadBig,
    Lines,
    ReadSmall,
    WriteSmall,
}

impl Workload {
    const ALL: [Workload; 4] = [
        Workload::ReadBig,
        Workload::Lines,
        Workload::ReadSmall,
        Workload::WriteSmall,
    ];

    fn name(self) -> &'static str {
        match self {
            Workload::ReadBig => "fs_read_100mb",
            Workload::Lines => "lines_43mb",
            Workload::ReadSmall => "read_4k_x1000",
            Workload::WriteSmall => "write_16mb_1k",
        }
    }
}

/// The same workloads, written once against Tokio's API and instantiated
/// for both crates (weave mirrors Tokio's paths and signatures).
macro_rules! suite {
    ($module:ident, $krate:ident) => {
        mod $module {
            use super::*;
            use $krate::fs::File;
            use $krate::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
            use $krate::runtime::{Builder, Runtime};

            pub fn runtime() -> Runtime {
                Builder::new_multi_thread()
                    .worker_threads(WORKERS)
                    .enable_all()
                    .build()
                    .unwrap()
            }

            /// Registers `workload` as `<crate>` in `group`.
            pub fn bench(
                group: &mut BenchmarkGroup<'_, WallTime>,
                workload: Workload,
                rt: &Runtime,
                files: &Files,
            ) {
                let id = stringify!($krate);
                match workload {
                    Workload::ReadBig => {
                        group.bench_function(id, |b| b.iter(|| read_big(rt, &files.big)));
                    }
                    Workload::Lines => {
                        group.bench_function(id, |b| b.iter(|| lines(rt, &files.lines)));
                    }
                    Workload::ReadSmall => {
                        group.bench_function(id, |b| b.iter(|| read_small(rt, &files.small)));
                    }
                    Workload::WriteSmall => {
                        let out = files.out.with_extension(stringify!($krate));
                        group.bench_function(id, |b| b.iter(|| write_small(rt, &out)));
                    }
                }
            }

            fn read_big(rt: &Runtime, path: &Path) -> usize {
                let path = path.to_owned();
                rt.block_on(rt.spawn(async move { $krate::fs::read(path).await.unwrap().len() }))
                    .unwrap()
            }

            fn lines(rt: &Runtime, path: &Path) -> usize {
                let path = path.to_owned();
                rt.block_on(rt.spawn(async move {
                    let file = File::open(path).await.unwrap();
                    let mut lines = BufReader::new(file).lines();
                    let mut total = 0;
                    while let Some(line) = lines.next_line().await.unwrap() {
                        total += line.len();
                    }
                    total
                }))
                .unwrap()
            }

            fn read_small(rt: &Runtime, paths: &Arc<Vec<PathBuf>>) -> usize {
                let paths = paths.clone();
                rt.block_on(rt.spawn(async move {
                    let tasks: Vec<_> = (0..paths.len())
                        .map(|i| {
                            let paths = paths.clone();
                            $krate::spawn(async move {
                                $krate::fs::read(&paths[i]).await.unwrap().len()
                            })
                        })
                        .collect();
                    let mut total = 0;
                    for t in tasks {
                        total += t.await.unwrap();
                    }
                    total
                }))
                .unwrap()
            }

            fn write_small(rt: &Runtime, path: &Path) {
                let path = path.to_owned();
                rt.block_on(rt.spawn(async move {
                    let block = [b'x'; WRITE_SIZE];
                    let mut file = File::create(path).await.unwrap();
                    for _ in 0..NUM_WRITES {
                        file.write_all(&block).await.unwrap();
                    }
                    file.flush().await.unwrap();
                }))
                .unwrap()
            }
        }
    };
}

suite!(weave_suite, weave);
suite!(tokio_suite, tokio);

/// The `std` baselines.
mod std_suite {
    use super::*;
    use std::io::{BufRead, BufReader, Write};

    pub fn bench(group: &mut BenchmarkGroup<'_, WallTime>, workload: Workload, files: &Files) {
        match workload {
            Workload::ReadBig => {
                group.bench_function("std", |b| {
                    b.iter(|| std::fs::read(&files.big).unwrap().len())
                });
            }
            Workload::Lines => {
                group.bench_function("std", |b| {
                    b.iter(|| {
                        let file = std::fs::File::open(&files.lines).unwrap();
                        let mut total = 0;
                        for line in BufReader::new(file).lines() {
                            total += line.unwrap().len();
                        }
                        total
                    })
                });
            }
            Workload::ReadSmall => {
                group.bench_function("std", |b| {
                    b.iter(|| {
                        files
                            .small
                            .iter()
                            .map(|p| std::fs::read(p).unwrap().len())
                            .sum::<usize>()
                    })
                });
            }
            Workload::WriteSmall => {
                let out = files.out.with_extension("std");
                group.bench_function("std", |b| {
                    b.iter(|| {
                        let block = [b'x'; WRITE_SIZE];
                        let mut file = std::fs::File::create(&out).unwrap();
                        for _ in 0..NUM_WRITES {
                            file.write_all(&block).unwrap();
                        }
                        file.flush().unwrap();
                    })
                });
            }
        }
    }
}

fn benches(c: &mut Criterion) {
    let files = Files::generate();
    // Both runtimes exist while any crate is measured, so each sees the same
    // threads on the machine.
    let weave_rt = weave_suite::runtime();
    let tokio_rt = tokio_suite::runtime();
    for workload in Workload::ALL {
        let mut group = c.benchmark_group(workload.name());
        // Iterations take milliseconds to a few hundred: flat sampling keeps
        // the slow ones within the measurement time.
        group
            .sampling_mode(SamplingMode::Flat)
            .sample_size(20)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(4));
        weave_suite::bench(&mut group, workload, &weave_rt, &files);
        tokio_suite::bench(&mut group, workload, &tokio_rt, &files);
        std_suite::bench(&mut group, workload, &files);
        group.finish();
    }
    drop(files);
}

criterion_group!(fs, benches);
criterion_main!(fs);
