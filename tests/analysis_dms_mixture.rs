//! End-to-end check of the phase-plane analysis on the published DMS network's two-population
//! mean field (tests/fixtures/dms_mixture_2pop.json; its README states what the plane must show).
//!
//! The mechanism is checked on the shipped preset's real mean field (`reduced::MeanField`, read from
//! `assets/models/dms_mixture_2pop.json`); a deliberately plain test-only version of MODEL.md 4 (zero
//! means, gains by a 401-point trapezoid rule on [-10, 10], Jacobian by central differences) read
//! straight from the fixture is the independent truth it must agree with.

use lowrank_explorer::analysis::Rect;
use lowrank_explorer::analysis::counting::CountingSystem;
use lowrank_explorer::analysis::cycles::CycleKind;
use lowrank_explorer::analysis::fixed_points::FixedPointKind;
use lowrank_explorer::analysis::landscape::{Landscape, LandscapeRequest, analyze};
use lowrank_explorer::reduced::{MeanField, ReducedSystem, TimeModel, presets};

/// Zero-mean Gaussian-mixture mean field of a rank-2 network with 2 inputs.
struct Mixture {
    weight: Vec<f64>,
    /// Per population the 7 x 7 covariance in the order (m1, m2, n1, n2, IA, IB, w).
    cov: Vec<[[f64; 7]; 7]>,
    nodes: Vec<(f64, f64)>,
}

impl Mixture {
    fn load() -> Self {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/dms_mixture_2pop.json"
        ))
        .unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        let pops = json["populations"].as_array().unwrap();
        let mut cov = Vec::new();
        let mut weight = Vec::new();
        for p in pops {
            weight.push(p["weight"].as_f64().unwrap());
            let mut c = [[0.0; 7]; 7];
            for (i, row) in p["cov"].as_array().unwrap().iter().enumerate() {
                for (j, x) in row.as_array().unwrap().iter().enumerate() {
                    c[i][j] = x.as_f64().unwrap();
                }
            }
            cov.push(c);
        }
        let h = 20.0 / 400.0;
        let nodes = (0..=400)
            .map(|k| {
                let z = -10.0 + h * k as f64;
                (
                    z,
                    h * (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt(),
                )
            })
            .collect();
        Mixture { weight, cov, nodes }
    }

    /// `<phi'>` of a centred Gaussian with variance `delta`.
    fn gain(&self, delta: f64) -> f64 {
        let s = delta.max(0.0).sqrt();
        self.nodes
            .iter()
            .map(|(z, w)| w * (1.0 - (s * z).tanh().powi(2)))
            .sum()
    }
}

impl ReducedSystem for Mixture {
    fn rank(&self) -> usize {
        2
    }
    fn inputs(&self) -> usize {
        2
    }
    fn flow(&self, k: &[f64], v: &[f64], out: &mut [f64]) {
        let x = [k[0], k[1], v[0], v[1]];
        let idx = [0, 1, 4, 5];
        out[0] = -k[0];
        out[1] = -k[1];
        for (a, c) in self.weight.iter().zip(&self.cov) {
            let mut delta = 0.0;
            for i in 0..4 {
                for j in 0..4 {
                    delta += x[i] * x[j] * c[idx[i]][idx[j]];
                }
            }
            let g = a * self.gain(delta);
            for r in 0..2 {
                out[r] += g * (0..4).map(|i| c[2 + r][idx[i]] * x[i]).sum::<f64>();
            }
        }
    }
    fn flow_jacobian(&self, k: &[f64], v: &[f64], f: &mut [f64], jac: &mut [f64]) {
        self.flow(k, v, f);
        let h = 1e-6;
        for l in 0..2 {
            let (mut plus, mut minus) = (k.to_vec(), k.to_vec());
            plus[l] += h;
            minus[l] -= h;
            let (mut fp, mut fm) = ([0.0; 2], [0.0; 2]);
            self.flow(&plus, v, &mut fp);
            self.flow(&minus, v, &mut fm);
            for r in 0..2 {
                jac[2 * r + l] = (fp[r] - fm[r]) / (2.0 * h);
            }
        }
    }
}

/// The preset's mean field, as the app and the CLI use it.
fn preset() -> MeanField {
    MeanField::new(&presets::get("dms_mixture_2pop").unwrap().model)
}

#[test]
fn preset_mean_field_agrees_with_the_plain_fixture_implementation() {
    let (real, plain) = (preset(), Mixture::load());
    let (mut a, mut b) = ([0.0; 2], [0.0; 2]);
    for k in 0..200 {
        let x = (k as f64 * 0.37).sin() * 1.5;
        let y = (k as f64 * 0.71).cos() * 1.5;
        let v = [(k % 3) as f64 * 0.5, (k % 2) as f64];
        real.flow(&[x, y], &v, &mut a);
        plain.flow(&[x, y], &v, &mut b);
        assert!(
            (a[0] - b[0]).abs() < 1e-6 && (a[1] - b[1]).abs() < 1e-6,
            "{a:?} vs {b:?}"
        );
    }
}

fn landscape(v: [f64; 2], tm: TimeModel) -> Landscape {
    let sys = preset();
    let counted = CountingSystem::new(&sys);
    let land = analyze(
        &counted,
        &LandscapeRequest::new(Rect::new(-1.2, 1.2, -1.2, 1.2), v.to_vec(), tm),
    );
    eprintln!("v = {v:?}, {tm:?}:");
    for fp in &land.fixed_points {
        eprintln!(
            "  fixed point {:?} {:?} eig {:?}",
            fp.kappa, fp.kind, fp.eigenvalues
        );
    }
    for c in &land.cycles {
        eprintln!(
            "  cycle period {} stable {} box {:?}..{:?} floquet {:?}",
            c.period_tau, c.stable, c.kappa_min, c.kappa_max, c.floquet
        );
    }
    for s in &land.timings {
        eprintln!(
            "  {:<13} flow {:>6} jacobian {:>6}",
            s.stage, s.evaluations.flow, s.evaluations.jacobian
        );
    }
    land
}

fn count(land: &Landscape, kind: FixedPointKind) -> usize {
    land.fixed_points.iter().filter(|f| f.kind == kind).count()
}

#[test]
fn no_input_two_memory_states_two_saddles_unstable_origin() {
    for tm in [TimeModel::Ode, TimeModel::TRAINED_MAP] {
        let land = landscape([0.0, 0.0], tm);
        assert_eq!(land.fixed_points.len(), 5);
        assert_eq!(land.fixed_points.iter().filter(|f| f.stable).count(), 2);
        assert_eq!(count(&land, FixedPointKind::Saddle), 2);
        let origin = land
            .fixed_points
            .iter()
            .find(|f| f.kappa.iter().all(|k| k.abs() < 1e-9))
            .expect("origin");
        assert!(!origin.stable);
        assert!(land.fixed_points.iter().all(|f| f.residual < 1e-12));
        assert!(land.cycles.is_empty());
        assert_eq!(land.separatrices.len(), 8);
        if tm == TimeModel::Ode {
            // The mean field's budget: 5 ms at ~100 ns per evaluation, so well under 20 000.
            let total = land.evaluations().total();
            assert!(total < 20_000, "{total} evaluations");
        }
    }
}

#[test]
fn input_a_unstable_focus_inside_a_stable_limit_cycle() {
    let land = landscape([1.0, 0.0], TimeModel::Ode);
    assert_eq!(land.fixed_points.len(), 1);
    assert_eq!(land.fixed_points[0].kind, FixedPointKind::UnstableFocus);
    assert_eq!(land.cycles.len(), 1);
    let c = &land.cycles[0];
    assert_eq!(c.kind, CycleKind::LimitCycle);
    assert!(c.stable);
    let p = &land.fixed_points[0].kappa;
    assert!(
        (0..2).all(|d| c.kappa_min[d] < p[d] && p[d] < c.kappa_max[d]),
        "the focus is inside"
    );
    let map = landscape([1.0, 0.0], TimeModel::TRAINED_MAP);
    assert_eq!(map.cycles.len(), 1);
    assert_eq!(map.cycles[0].kind, CycleKind::InvariantCurve);
    assert!(map.cycles[0].stable);
}

#[test]
fn input_b_single_stable_focus() {
    for tm in [TimeModel::Ode, TimeModel::TRAINED_MAP] {
        let land = landscape([0.0, 1.0], tm);
        assert_eq!(land.fixed_points.len(), 1);
        assert_eq!(land.fixed_points[0].kind, FixedPointKind::StableFocus);
        assert!(land.cycles.is_empty());
    }
}

#[test]
fn input_a_amplitude_continuation_destroys_the_memory_states_in_folds() {
    use lowrank_explorer::analysis::continuation::{
        ContinuationOptions, InputFamily, SpecialKind, continue_from_rect,
    };
    use lowrank_explorer::analysis::fixed_points::fixed_points_in;
    let sys = preset();
    let family = InputFamily {
        sys: &sys,
        v0: vec![0.0, 0.0],
        direction: vec![1.0, 0.0],
    };
    let rect = Rect::new(-1.2, 1.2, -1.2, 1.2);
    let d = continue_from_rect(
        &family,
        0.0,
        &rect,
        &ContinuationOptions::new(-0.01, 1.0, TimeModel::Ode),
    );
    eprintln!(
        "{} branches, {} evaluations",
        d.branches.len(),
        d.evaluations
    );
    assert_eq!(
        d.branches.len(),
        3,
        "memory-saddle pair twice, and the origin's branch"
    );
    let folds: Vec<_> = d
        .special_points
        .iter()
        .filter(|s| s.kind == SpecialKind::Fold)
        .collect();
    assert_eq!(folds.len(), 2);
    assert!(
        d.special_points.iter().all(|s| s.kind == SpecialKind::Fold),
        "no Hopf on the way"
    );
    // Independent check of each fold: one fixed point pair fewer just past it.
    for f in folds {
        eprintln!("fold at p = {:.10}, kappa {:?}", f.p, f.kappa);
        let n = |p: f64| fixed_points_in(&sys, &[p, 0.0], &rect, TimeModel::Ode).len();
        assert_eq!(n(f.p - 1e-6), n(f.p + 1e-6) + 2, "fold at {}", f.p);
    }
    // The origin's branch ends at p = 1 on the landscape's unstable focus.
    let origin = d
        .branches
        .iter()
        .find(|b| {
            b.points
                .iter()
                .any(|q| q.p.abs() < 1e-12 && q.kappa.iter().all(|k| k.abs() < 1e-12))
        })
        .unwrap();
    let last = origin.points.last().unwrap();
    assert!(
        last.p == 1.0 && !last.stable,
        "ends exactly on the range: {last:?}"
    );
    assert!(
        (last.kappa[0] + 0.0402).abs() < 0.01 && (last.kappa[1] + 0.0295).abs() < 0.01,
        "{last:?}"
    );
}

/// The absorbing box bounds every fixed point (found on a much larger rectangle) and the flow points
/// into it from outside, for the preset's mean field and for the exact reduction of a network drawn
/// from it, whatever the input.
#[test]
fn absorbing_box_holds_the_dynamics() {
    use lowrank_explorer::analysis::fixed_points::fixed_points_in;
    use lowrank_explorer::fit::resample_network;
    use lowrank_explorer::reduced::{ExactReduction, MeanField, ReducedSystem, TimeModel, presets};

    let model = presets::get("dms_mixture_2pop").unwrap().model;
    let net = resample_network(&model, 2000, 3).unwrap();
    let systems: Vec<Box<dyn ReducedSystem>> = vec![
        Box::new(MeanField::new(&model)),
        Box::new(ExactReduction::new(&net)),
    ];
    for sys in &systems {
        let b = sys.absorbing_box().unwrap();
        let view = Rect::default_for(sys.as_ref());
        assert!((view.x_max - 1.1 * b[0]).abs() < 1e-12 && (view.y_min + 1.1 * b[1]).abs() < 1e-12);
        for v in [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [3.0, -2.0]] {
            let wide = Rect::new(-10.0 * b[0], 10.0 * b[0], -10.0 * b[1], 10.0 * b[1]);
            for fp in fixed_points_in(sys.as_ref(), &v, &wide, TimeModel::Ode) {
                assert!(
                    fp.kappa[0].abs() <= b[0] && fp.kappa[1].abs() <= b[1],
                    "{:?}",
                    fp.kappa
                );
            }
            let mut f = [0.0; 2];
            for k in 0..200 {
                let angle = k as f64 * 0.0314159;
                let p = [
                    1.01 * b[0] + 5.0 * angle.cos().abs(),
                    (2.0 * angle.sin()) * b[1],
                ];
                sys.flow(&p, &v, &mut f);
                assert!(f[0] < 0.0, "flow leaves the box at {p:?}");
                let q = [0.3 * b[0] * angle.sin(), -1.01 * b[1] - angle];
                sys.flow(&q, &v, &mut f);
                assert!(f[1] > 0.0, "flow leaves the box at {q:?}");
            }
        }
    }
    let mut clamped = model.clone();
    clamped.set_gain_clamp(0, Some(0.5)).unwrap();
    let linear = MeanField::new(&clamped);
    assert!(linear.absorbing_box().is_none());
    assert_eq!(Rect::default_for(&linear), Rect::new(-3.0, 3.0, -3.0, 3.0));
}

/// The rotation period, in steps, of the Euler map `k <- k + alpha F(k; v)` by long direct
/// iteration: from `centre + (0.05, 0)`, `transient` steps dropped, then the mean angle turned
/// about `centre` per step over the whole turns that `steps` more steps make (a partial last turn
/// would add the unevenness of the angle along the curve, ~2e-5 after 200 000 steps).
fn long_run_period(
    sys: &dyn ReducedSystem,
    v: &[f64],
    alpha: f64,
    centre: &[f64],
    transient: usize,
    steps: usize,
) -> f64 {
    let tau = std::f64::consts::TAU;
    let mut k = [centre[0] + 0.05, centre[1]];
    let mut f = [0.0; 2];
    let mut step = |k: &mut [f64; 2]| {
        sys.flow(&k[..], v, &mut f);
        k[0] += alpha * f[0];
        k[1] += alpha * f[1];
    };
    for _ in 0..transient {
        step(&mut k);
    }
    let angle = |k: &[f64; 2]| (k[1] - centre[1]).atan2(k[0] - centre[0]);
    let (mut prev, mut lift, mut turns, mut at) = (angle(&k), 0.0f64, 0.0, 0.0);
    for s in 0..steps {
        step(&mut k);
        let a = angle(&k);
        let d = (a - prev + std::f64::consts::PI).rem_euclid(tau) - std::f64::consts::PI;
        prev = a;
        let next = lift + d;
        if (next.abs() / tau).floor() > turns {
            turns += 1.0;
            at = s as f64 + (turns * tau - lift.abs()) / d.abs();
        }
        lift = next;
    }
    at / turns
}

/// The map's invariant curve under input A has the rotation period of a long direct iteration, to
/// 1e-4 relative (MODEL.md 1: the trained map's cycle is an invariant curve, its period a rotation
/// number), on the preset's mean field and on the exact reduction of the N = 4096 network drawn from
/// it, as `analyze --dynamics map --input A` computes them.
#[test]
fn map_period_under_input_a_agrees_with_a_long_direct_iteration() {
    use lowrank_explorer::model::Model;
    for (id, steps) in [("dms_mixture_2pop", 200_000), ("dms_mixture_n4096", 50_000)] {
        let model = Model::preset(id).unwrap();
        let sys = model.system();
        let v = [1.0, 0.0];
        let land = analyze(
            sys,
            &LandscapeRequest::new(Rect::default_for(sys), v.to_vec(), TimeModel::TRAINED_MAP),
        );
        assert_eq!(land.fixed_points.len(), 1, "{id}");
        assert_eq!(land.cycles.len(), 1, "{id}");
        let found = land.cycles[0].period_steps.unwrap();
        let centre = &land.fixed_points[0].kappa;
        let long = long_run_period(sys, &v, 0.2, centre, 20_000, steps);
        let err = found / long - 1.0;
        eprintln!(
            "{id}: map period {:.6} tau, long run ({steps} steps) {:.6} tau, rel err {err:.1e}",
            found * 0.2,
            long * 0.2
        );
        assert!(err.abs() < 1e-4, "{id}: {found} vs {long} steps");
        assert!((land.cycles[0].period_tau - 0.2 * found).abs() < 1e-12);
    }
}
