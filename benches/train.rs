//! Benchmarks of BPTT training (MODEL.md 6 recipe, N = 512, rank 2):
//! - one epoch of the 700 ms stage: 800 trials of 140 steps, 25 batches of 32, forward + backward + Adam;
//! - one batch of the 4000 ms stage (305 steps), with 32 and with 128 trials;
//! - one epoch of the 4000 ms stage with batch 128 (800 trials, as the PyTorch timing reference).
//!
//! In single precision, as `train` runs by default.
//! `cargo bench --bench train --no-default-features`; the thread count is rayon's (`RAYON_NUM_THREADS`).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use lowrank_explorer::network::{Dims, Network, SimOptions};
use lowrank_explorer::task::Trial;
use lowrank_explorer::train::{
    Adam, InitConfig, Param, Precision, StageConfig, TrainTask, batch_gradient, clip_grad_norm,
    random_network,
};
use rand::SeedableRng;
use rand::rngs::StdRng;

const N: usize = 512;

fn network() -> Network {
    let dims = Dims {
        neurons: N,
        rank: 2,
        inputs: 2,
        outputs: 1,
    };
    random_network(dims, &InitConfig::default(), &mut StdRng::seed_from_u64(1)).unwrap()
}

fn dms_trials(delay_max_ms: f64, count: usize) -> Vec<Trial> {
    let stage = StageConfig {
        delay_max_ms: Some(delay_max_ms),
        lr: 1e-2,
        clip: Some(0.01),
        epochs: 1,
        batch_size: None,
    };
    TrainTask::Dms
        .kind(&stage)
        .random_trials(count, &mut StdRng::seed_from_u64(2))
}

/// One epoch as the trainer runs it: per batch a forward + backward pass, clipping and an Adam step.
fn epoch(start: &Network, trials: &[Trial], batch: usize, lr: f64, clip: f64) -> Network {
    let mut parts = start.parts().clone();
    let mut adam = Adam::new(&parts, &Param::PUBLISHED, lr);
    for (b, chunk) in trials.chunks(batch).enumerate() {
        let net = Network::new(parts.clone()).unwrap();
        let refs: Vec<&Trial> = chunk.iter().collect();
        let opts = SimOptions {
            noise_std: 0.05,
            seed: b as u64,
            ..SimOptions::default()
        };
        let mut g = batch_gradient(&net, &refs, &opts, Precision::F32);
        clip_grad_norm(&mut g.grad, &Param::PUBLISHED, clip);
        adam.step(&mut parts, &g.grad);
    }
    Network::new(parts).unwrap()
}

fn bench(c: &mut Criterion) {
    let net = network();
    let short = dms_trials(700.0, 800);
    assert_eq!(short[0].steps, 140);
    let long = dms_trials(4000.0, 800);
    assert_eq!(long[0].steps, 305);
    let mut group = c.benchmark_group("train");
    group.sample_size(10);
    group.bench_function("epoch_700ms_n512_r2_800trials_batch32", |b| {
        b.iter(|| black_box(epoch(&net, black_box(&short), 32, 1e-2, 0.01)))
    });
    for batch in [32, 128] {
        group.bench_function(format!("batch_4000ms_n512_r2_305steps_batch{batch}"), |b| {
            b.iter(|| black_box(epoch(&net, black_box(&long[..batch]), batch, 1e-4, 1.0)))
        });
    }
    group.bench_function("epoch_4000ms_n512_r2_800trials_batch128", |b| {
        b.iter(|| black_box(epoch(&net, black_box(&long), 128, 1e-4, 1.0)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
