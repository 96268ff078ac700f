//! Benchmark of MODEL.md 1: the four canonical DMS trials (255 steps) of a rank-2 network of N = 4096.

mod common;

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lowrank_explorer::network::SimOptions;
use lowrank_explorer::task::dms;

fn bench(c: &mut Criterion) {
    let n = 4096;
    let net = common::network(n);
    // 5 + 25 + 150 + 25 + 50 = 255 steps: the default 3000 ms delay.
    let trials = dms::canonical(dms::DELAY_MAX_MS);
    assert_eq!(trials[0].steps, 255);
    let inputs: Vec<&[f64]> = trials.iter().map(|t| t.inputs.as_slice()).collect();
    let opts = SimOptions::default();
    let mut group = c.benchmark_group("simulate");
    group.throughput(Throughput::Elements((4 * 255 * n) as u64));
    group.bench_function("dms_canonical_n4096_r2_255steps", |b| {
        b.iter(|| black_box(net.simulate_batch(black_box(&inputs), &opts)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
