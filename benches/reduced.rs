//! Benchmarks of the reduced dynamics (MODEL.md 3-4): per-point flow and Jacobian of the DMS mixture
//! mean field and of the exact reduction of an N = 4096 rank-2 network (also called from a pool
//! thread), a 256 x 256 grid of flows for both, and the Gaussian averages behind the mean field.

mod common;

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lowrank_explorer::reduced::gains::zero_mean_gains;
use lowrank_explorer::reduced::gauss::tanh_averages;
use lowrank_explorer::reduced::{ExactReduction, MeanField, ReducedSystem, presets};

const GRID: usize = 256;

/// A `GRID x GRID` grid over `[-2, 2]^2`, row-major `(P, 2)`.
fn grid() -> Vec<f64> {
    let step = 4.0 / (GRID - 1) as f64;
    (0..GRID * GRID)
        .flat_map(|i| {
            [
                -2.0 + (i % GRID) as f64 * step,
                -2.0 + (i / GRID) as f64 * step,
            ]
        })
        .collect()
}

fn bench_system(c: &mut Criterion, name: &str, sys: &dyn ReducedSystem) {
    let (kappa, v) = ([0.7, -0.4], [1.0, 0.0]);
    let mut group = c.benchmark_group(name);
    let (mut f, mut jac) = ([0.0; 2], [0.0; 4]);
    group.bench_function("flow", |b| {
        b.iter(|| sys.flow(black_box(&kappa), black_box(&v), &mut f))
    });
    group.bench_function("flow_jacobian", |b| {
        b.iter(|| sys.flow_jacobian(black_box(&kappa), black_box(&v), &mut f, &mut jac))
    });
    // From a pool thread, as the landscape's serial chains (shooting, separatrices) call it: the
    // exact reduction then splits one evaluation over two threads (from N = 2048).
    group.bench_function("flow_jacobian_in_pool", |b| {
        rayon::scope(|_| {
            b.iter(|| sys.flow_jacobian(black_box(&kappa), black_box(&v), &mut f, &mut jac))
        })
    });
    let points = grid();
    let mut out = vec![0.0; points.len()];
    group.throughput(Throughput::Elements((GRID * GRID) as u64));
    group.sample_size(10);
    group.bench_function("flow_many_256x256", |b| {
        b.iter(|| sys.flow_many(black_box(&points), black_box(&v), &mut out))
    });
    group.finish();
}

fn bench(c: &mut Criterion) {
    let mixture = MeanField::new(&presets::get("dms_mixture_2pop").expect("preset").model);
    bench_system(c, "mean_field_dms_mixture", &mixture);
    let exact = ExactReduction::new(&common::network(4096));
    bench_system(c, "exact_n4096_r2", &exact);

    let mut group = c.benchmark_group("gains");
    group.bench_function("zero_mean_table", |b| {
        b.iter(|| zero_mean_gains(black_box(3.7)))
    });
    group.bench_function("general_quadrature", |b| {
        b.iter(|| tanh_averages(black_box(0.4), black_box(3.7)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
