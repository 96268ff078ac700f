//! The budgets of issue 13, section 5, on one core: the fixed-point diagram and the cycle branch
//! of the DMS mixture preset under input A over [0, 1.5] (budget for the cycle branch: 100 ms),
//! and the same for the exact reduction of an N = 4096 network drawn from it (budget: 10x).
//!
//! The two-parameter diagrams (fold and Hopf curves with their codimension-2 points, budget
//! 300 ms for the mixture and 10x for N = 4096): input A against the coupling `p1.cov(n2,m1)`
//! (the population model only), input A against input B, and under the trained Euler map input
//! A against its step alpha (in closed form from the flow's diagram).
//!
//! Prints the branch's evaluations of `F` and where its period diverges once per case, and the
//! curves and codimension-2 points of each plane.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use lowrank_explorer::model::{Model, NetworkSource, ParamSpec};
use lowrank_explorer::reduced::{TimeModel, presets};

const RANGE: [f64; 2] = [0.0, 1.5];

fn bench_model(c: &mut Criterion, name: &str, model: &Model) {
    let a = ParamSpec::Input("A".into());
    let v = [0.0, 0.0];
    let diagram = model
        .bifurcation(&a, RANGE, &v, TimeModel::Ode, None)
        .expect("diagram");
    let branches = model
        .cycle_branches(&a, RANGE, &v, &diagram, None)
        .expect("cycle branches");
    for b in &branches {
        println!(
            "{name}: cycle branch of {} points, ends {:?}, period diverges at {:?}, {} evaluations",
            b.points.len(),
            b.ends,
            b.period_diverges_at,
            b.evaluations
        );
    }
    let mut group = c.benchmark_group("bifurcation");
    group.sample_size(10);
    group.bench_function(format!("{name}_fixed_points_A"), |b| {
        b.iter(|| black_box(model.bifurcation(&a, RANGE, &v, TimeModel::Ode, None)))
    });
    group.bench_function(format!("{name}_cycles_A"), |b| {
        b.iter(|| black_box(model.cycle_branches(&a, RANGE, &v, &diagram, None)))
    });
    group.finish();
}

/// The two-parameter diagram of `model` in input A over [0, 1.5] and `q` over `range` (the ODE's,
/// or the trained map's when `q` is its step).
fn bench_plane(c: &mut Criterion, name: &str, model: &Model, q: &str, range: [f64; 2]) {
    let params = [
        ParamSpec::Input("A".into()),
        q.parse().expect("a parameter"),
    ];
    let v = [0.0, 0.0];
    let time_model = match params[1] {
        ParamSpec::Step => TimeModel::TRAINED_MAP,
        _ => TimeModel::Ode,
    };
    let run = || {
        model
            .two_parameter(
                [&params[0], &params[1]],
                [RANGE, range],
                &v,
                time_model,
                None,
            )
            .expect("two-parameter diagram")
    };
    let d = run();
    let labels: Vec<&str> = d.codim2_points.iter().map(|c| c.kind.label()).collect();
    println!(
        "{name}: A x {q}: {} curves, codimension-2 points {labels:?}, {} evaluations",
        d.curves.len(),
        d.evaluations
    );
    let mut group = c.benchmark_group("two_parameter");
    group.sample_size(10);
    group.bench_function(format!("{name}_A_x_{q}"), |b| b.iter(|| black_box(run())));
    group.finish();
}

fn bench(c: &mut Criterion) {
    // One core, as the budget says: the exact reduction's sums would otherwise use rayon.
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build_global();
    let population = presets::get("dms_mixture_2pop")
        .expect("embedded preset")
        .model;
    let drawn = NetworkSource::Drawn {
        model: population.clone(),
        label: "mixture".into(),
        neurons: 4096,
        seed: 1,
    };
    let exact = drawn.open().expect("resampled network");
    let mixture = Model::from_population(population, "mixture");
    bench_plane(c, "mixture", &mixture, "p1.cov(n2,m1)", [-0.6, 3.3]);
    bench_plane(c, "mixture", &mixture, "input.B", [-1.5, 1.5]);
    bench_plane(c, "exact_n4096", &exact, "input.B", [-1.5, 1.5]);
    bench_plane(c, "mixture", &mixture, "alpha", [0.05, 2.5]);
    bench_plane(c, "exact_n4096", &exact, "alpha", [0.05, 2.5]);
    bench_model(c, "mixture", &mixture);
    bench_model(c, "exact_n4096", &exact);
}

criterion_group!(benches, bench);
criterion_main!(benches);
