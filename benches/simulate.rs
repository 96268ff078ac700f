//! Benchmark of MODEL.md 1: the four canonical DMS trials (255 steps) of a rank-2 network of N = 4096.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lowrank_explorer::network::{Network, NetworkParts, SimOptions};
use lowrank_explorer::task::dms;
use nalgebra::{DMatrix, DVector};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, StandardNormal};

/// A random rank-2 DMS-shaped network (gains of the fixture).
fn network(n: usize) -> Network {
    let mut rng = StdRng::seed_from_u64(1);
    let mut g = |rows, cols, scale: f64| {
        DMatrix::from_fn(rows, cols, |_, _| {
            scale * <StandardNormal as Distribution<f64>>::sample(&StandardNormal, &mut rng)
        })
    };
    Network::new(NetworkParts {
        wi: g(2, n, 1.0),
        si: DVector::from_vec(vec![1.3, 0.7]),
        m: g(n, 2, 2.0),
        n: g(n, 2, 2.0),
        wo: g(n, 1, 1.0),
        so: DVector::from_element(1, 2.2),
        h0: DVector::zeros(n),
        b: None,
    })
    .expect("valid network")
}

fn bench(c: &mut Criterion) {
    let n = 4096;
    let net = network(n);
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
