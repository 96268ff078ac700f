//! The budgets of issue 3 on the real systems: complete analysis (32 x 32 field, nullclines at
//! 256 x 256, all fixed points, separatrices, cycle search) of
//! - the DMS mixture preset's mean field (budget 5 ms, one core), and
//! - the exact reduction of an N = 4096 rank-2 network drawn from that mixture (budget 30 ms,
//!   threads allowed), on its SVD axes,
//!
//! each as the ODE and as the trained Euler map (whose invariant curves are found by iteration).
//!
//! Prints the evaluations of `F` per stage once per case.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use lowrank_explorer::analysis::Rect;
use lowrank_explorer::analysis::landscape::{LandscapeRequest, analyze};
use lowrank_explorer::fit::resample_network;
use lowrank_explorer::reduced::{ExactReduction, MeanField, ReducedSystem, TimeModel, presets};

const INPUTS: [(&str, [f64; 2]); 3] = [("none", [0.0, 0.0]), ("A", [1.0, 0.0]), ("B", [0.0, 1.0])];

fn report(name: &str, sys: &dyn ReducedSystem, req: &LandscapeRequest) {
    let land = analyze(sys, req);
    let stages: Vec<String> = land
        .timings
        .iter()
        .map(|s| {
            format!(
                "{} {:.2} ms / {} evals",
                s.stage,
                s.millis,
                s.evaluations.flow + s.evaluations.jacobian
            )
        })
        .collect();
    println!(
        "{name}: {} fixed points, {} cycles; {}",
        land.fixed_points.len(),
        land.cycles.len(),
        stages.join(", ")
    );
}

fn bench(c: &mut Criterion) {
    let model = presets::get("dms_mixture_2pop")
        .expect("embedded preset")
        .model;
    let mean_field = MeanField::new(&model);
    let net = resample_network(&model, 4096, 1)
        .and_then(|n| Ok(n.svd_reparametrised()?))
        .expect("resampled network");
    let exact = ExactReduction::new(&net);
    let rect = Rect::new(-4.0, 4.0, -4.0, 4.0);
    let mut group = c.benchmark_group("landscape");
    group.sample_size(20);
    for (label, v) in INPUTS {
        for (tm_name, tm) in [("ode", TimeModel::Ode), ("map", TimeModel::TRAINED_MAP)] {
            let req = LandscapeRequest::new(rect, v.to_vec(), tm);
            let name = format!("mixture_{label}_{tm_name}");
            report(&name, &mean_field, &req);
            group.bench_function(&name, |b| b.iter(|| black_box(analyze(&mean_field, &req))));
        }
        for (tm_name, tm) in [("ode", TimeModel::Ode), ("map", TimeModel::TRAINED_MAP)] {
            let req = LandscapeRequest::new(rect, v.to_vec(), tm);
            let name = format!("exact_n4096_{label}_{tm_name}");
            report(&name, &exact, &req);
            group.bench_function(&name, |b| b.iter(|| black_box(analyze(&exact, &req))));
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
