//! Networking workloads on loopback, weave and Tokio in the same run.
//!
//! - `tcp_rr_1`: 1,000 request/response round trips of 64 bytes on one
//!   connection.
//! - `tcp_rr_50`: 50 connections, each doing 100 round trips of 64 bytes at
//!   the same time.
//! - `tcp_bulk_256mb`: 256 MiB written through one connection and counted by
//!   the reader.
//! - `udp_ping_pong`: 1,000 ping-pongs of 64 bytes between two UDP sockets.
//!
//! Servers and connections are set up once per benchmark, outside the
//! measured loop. The workloads live in `benches/io_workloads/mod.rs`, shared
//! with `benches/io_ab.rs`, which interleaves weave and Tokio samples where
//! criterion measures one after the other. File workloads are in
//! `benches/fs.rs`.

use criterion::{criterion_group, criterion_main, Criterion};
use std::time::Duration;

#[path = "io_workloads/mod.rs"]
mod io_workloads;

use io_workloads::{tokio_suite, weave_suite, Flavor, Workload};

fn benches(c: &mut Criterion) {
    for workload in Workload::ALL {
        let mut group = c.benchmark_group(workload.name());
        if workload == Workload::TcpBulk {
            group
                .sample_size(10)
                .warm_up_time(Duration::from_secs(1))
                .measurement_time(Duration::from_secs(8));
        } else {
            group
                .sample_size(30)
                .warm_up_time(Duration::from_secs(1))
                .measurement_time(Duration::from_secs(4));
        }
        for flavor in Flavor::ALL {
            // Both runtimes exist while either is measured, so each sees the
            // same threads on the machine.
            let mut weave = weave_suite::setup(workload, flavor);
            let mut tokio = tokio_suite::setup(workload, flavor);
            group.bench_function(format!("weave/{}", flavor.name()), |b| {
                b.iter_custom(&mut weave)
            });
            group.bench_function(format!("tokio/{}", flavor.name()), |b| {
                b.iter_custom(&mut tokio)
            });
        }
        group.finish();
    }
}

criterion_group!(io, benches);
criterion_main!(io);
