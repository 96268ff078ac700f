//! Complete phase-plane analysis (32 x 32 field, nullclines at 256 x 256 effective, all fixed
//! points, separatrices, cycle search) of cheap rank-2 tanh systems `F = -k + W tanh(k) + b`, with
//! the evaluations of `F` per stage printed once: the real systems' budgets are set in
//! evaluations (mean field ~100 ns each, exact reduction at N = 4096 ~5 us each).

use criterion::{Criterion, criterion_group, criterion_main};
use lowrank_explorer::analysis::Rect;
use lowrank_explorer::analysis::landscape::{LandscapeRequest, analyze};
use lowrank_explorer::reduced::{ReducedSystem, TimeModel};

/// `F = -k + W tanh(k) + b + v`.
struct Tanh2 {
    w: [f64; 4],
    b: [f64; 2],
}

impl ReducedSystem for Tanh2 {
    fn rank(&self) -> usize {
        2
    }
    fn inputs(&self) -> usize {
        2
    }
    fn flow(&self, k: &[f64], v: &[f64], out: &mut [f64]) {
        let (t0, t1) = (k[0].tanh(), k[1].tanh());
        out[0] = -k[0] + self.w[0] * t0 + self.w[1] * t1 + self.b[0] + v[0];
        out[1] = -k[1] + self.w[2] * t0 + self.w[3] * t1 + self.b[1] + v[1];
    }
    fn flow_jacobian(&self, k: &[f64], v: &[f64], f: &mut [f64], jac: &mut [f64]) {
        self.flow(k, v, f);
        let (d0, d1) = (1.0 - k[0].tanh().powi(2), 1.0 - k[1].tanh().powi(2));
        jac.copy_from_slice(&[
            -1.0 + self.w[0] * d0,
            self.w[1] * d1,
            self.w[2] * d0,
            -1.0 + self.w[3] * d1,
        ]);
    }
}

fn cases() -> Vec<(&'static str, Tanh2, TimeModel)> {
    let bistable = || Tanh2 {
        w: [2.0, 0.3, 0.3, 2.0],
        b: [0.05, -0.02],
    };
    let oscillator = || Tanh2 {
        w: [1.5, -2.0, 2.0, 1.5],
        b: [0.0, 0.0],
    };
    vec![
        ("bistable_9fp_ode", bistable(), TimeModel::Ode),
        ("oscillator_ode", oscillator(), TimeModel::Ode),
        ("oscillator_map", oscillator(), TimeModel::TRAINED_MAP),
    ]
}

fn bench(c: &mut Criterion) {
    let rect = Rect::new(-3.5, 3.5, -3.5, 3.5);
    for (name, sys, tm) in cases() {
        let req = LandscapeRequest::new(rect, vec![0.0, 0.0], tm);
        let land = analyze(&sys, &req);
        eprintln!(
            "{name}: {} fixed points, {} cycles, {} separatrices",
            land.fixed_points.len(),
            land.cycles.len(),
            land.separatrices.len()
        );
        for s in &land.timings {
            eprintln!(
                "  {:<13} flow {:>6}  jacobian {:>6}  {:>8.3} ms",
                s.stage, s.evaluations.flow, s.evaluations.jacobian, s.millis
            );
        }
        let total = land.evaluations();
        eprintln!(
            "  total         flow {:>6}  jacobian {:>6}",
            total.flow, total.jacobian
        );
        c.bench_function(&format!("analysis/{name}"), |b| {
            b.iter(|| analyze(&sys, &req))
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
