//! Fixed points `F(kappa*; v) = 0` and their linear type under either time model (MODEL.md 1).
//!
//! Both time models share the fixed points; their stability differs: the ODE is stable iff every
//! `Re(lambda) < 0`, the Euler map iff every multiplier `mu = 1 + alpha lambda` (the eigenvalues of
//! `Id + alpha J`) has `|mu| < 1`. A weakly damped focus can be stable for the ODE and unstable for
//! the map; that is the dynamics, not an error.

use rayon::prelude::*;
use serde::Serialize;

use super::Rect;
use super::linalg::{
    Complex, cabs, damped_least_squares, dist, eigenvalues, eigenvector_2x2, norm, solve_in_place,
};
use super::nullclines::{NullclineOptions, crossings, nullclines};
use crate::reduced::{ReducedSystem, TimeModel};

/// Linear type of a fixed point; [`FixedPointKind::name`] is its label in reports and the JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixedPointKind {
    StableNode,
    UnstableNode,
    StableFocus,
    UnstableFocus,
    Saddle,
    /// Purely rotating linearisation (ODE: imaginary pair; map: complex pair on the unit circle).
    Center,
    /// A real eigenvalue on the stability boundary (ODE: `lambda = 0`; map: `mu = +-1`), or an
    /// undefined Jacobian.
    Degenerate,
}

impl Serialize for FixedPointKind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl FixedPointKind {
    /// The name reports, tables and the JSON use (`"stable focus"`, `"saddle"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            FixedPointKind::StableNode => "stable node",
            FixedPointKind::UnstableNode => "unstable node",
            FixedPointKind::StableFocus => "stable focus",
            FixedPointKind::UnstableFocus => "unstable focus",
            FixedPointKind::Saddle => "saddle",
            FixedPointKind::Center => "center",
            FixedPointKind::Degenerate => "degenerate",
        }
    }
}

/// A fixed point with its linearisation.
#[derive(Debug, Clone, Serialize)]
pub struct FixedPoint {
    /// Where it is: on the plane shown for a point of a slice's full system
    /// ([`super::projection`]), in the latent space otherwise.
    pub kappa: Vec<f64>,
    /// A slice's fixed point: the full latent state (`kappa` holds its two plane coordinates).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latent: Option<Vec<f64>>,
    /// `|F(kappa)|` (Euclidean).
    pub residual: f64,
    /// `dF/dkappa`, row-major.
    pub jacobian: Vec<f64>,
    /// Eigenvalues `lambda` of the Jacobian as `[re, im]`; for rank 2 the larger real part first
    /// (or the `+im` member of a complex pair).
    pub eigenvalues: Vec<Complex>,
    /// One unit eigenvector per eigenvalue, complex components (rank 2 only; empty otherwise).
    pub eigenvectors: Vec<Vec<Complex>>,
    /// Map only: the multipliers `1 + alpha lambda`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub multipliers: Option<Vec<Complex>>,
    #[serde(rename = "type")]
    pub kind: FixedPointKind,
    pub stable: bool,
}

/// Multipliers of the Euler map at a fixed point: `eig(Id + alpha J) = 1 + alpha eig(J)`.
pub fn map_multipliers(eigenvalues: &[Complex], alpha: f64) -> Vec<Complex> {
    eigenvalues
        .iter()
        .map(|l| [1.0 + alpha * l[0], alpha * l[1]])
        .collect()
}

/// Linear type and stability for a time model.
///
/// The "exponent" of each mode is `Re(lambda)` (ODE) or `|1 + alpha lambda| - 1` (map); it counts
/// as zero within `1e-9 max(1, max|lambda|)` (ODE) or `1e-9` (map). A mode is oscillatory when its
/// imaginary part exceeds the same tolerance. Saddle: exponents of both signs; stable iff all are
/// negative.
pub fn classify(eigenvalues: &[Complex], time_model: TimeModel) -> (FixedPointKind, bool) {
    if eigenvalues.is_empty()
        || eigenvalues
            .iter()
            .any(|l| !(l[0].is_finite() && l[1].is_finite()))
    {
        return (FixedPointKind::Degenerate, false);
    }
    let scale = eigenvalues.iter().fold(1.0f64, |m, l| m.max(cabs(*l)));
    let (exponents, tol): (Vec<f64>, f64) = match time_model {
        TimeModel::Ode => (eigenvalues.iter().map(|l| l[0]).collect(), 1e-9 * scale),
        TimeModel::Map { alpha } => (
            map_multipliers(eigenvalues, alpha)
                .iter()
                .map(|m| cabs(*m) - 1.0)
                .collect(),
            1e-9,
        ),
    };
    let im_tol = 1e-9 * scale;
    let oscillatory = eigenvalues.iter().any(|l| l[1].abs() > im_tol);
    let neutral: Vec<bool> = exponents.iter().map(|e| e.abs() <= tol).collect();
    let pos = exponents.iter().any(|e| *e > tol);
    let neg = exponents.iter().any(|e| *e < -tol);
    if neutral.iter().any(|z| *z) {
        let neutral_all_rotating = eigenvalues
            .iter()
            .zip(&neutral)
            .all(|(l, z)| !z || l[1].abs() > im_tol);
        let kind = if neutral_all_rotating && !pos && !neg {
            FixedPointKind::Center
        } else if pos && neg {
            FixedPointKind::Saddle
        } else {
            FixedPointKind::Degenerate
        };
        return (kind, false);
    }
    let kind = match (pos, neg, oscillatory) {
        (true, true, _) => FixedPointKind::Saddle,
        (false, true, false) => FixedPointKind::StableNode,
        (false, true, true) => FixedPointKind::StableFocus,
        (true, false, false) => FixedPointKind::UnstableNode,
        _ => FixedPointKind::UnstableFocus,
    };
    (kind, !pos)
}

/// The linearisation at `kappa`: Jacobian, eigenvalues (and rank-2 eigenvectors), multipliers for
/// the map, type and stability.
pub fn describe(
    sys: &dyn ReducedSystem,
    v: &[f64],
    kappa: &[f64],
    time_model: TimeModel,
) -> FixedPoint {
    let n = kappa.len();
    let mut f = vec![0.0; n];
    let mut jac = vec![0.0; n * n];
    sys.flow_jacobian(kappa, v, &mut f, &mut jac);
    let eigs = eigenvalues(&jac, n).unwrap_or_default();
    let eigenvectors = if n == 2 && eigs.len() == 2 {
        eigs.iter()
            .map(|l| eigenvector_2x2(&jac, *l).to_vec())
            .collect()
    } else {
        Vec::new()
    };
    let (kind, stable) = classify(&eigs, time_model);
    FixedPoint {
        kappa: kappa.to_vec(),
        latent: None,
        residual: norm(&f),
        jacobian: jac,
        multipliers: match time_model {
            TimeModel::Map { alpha } => Some(map_multipliers(&eigs, alpha)),
            TimeModel::Ode => None,
        },
        eigenvalues: eigs,
        eigenvectors,
        kind,
        stable,
    }
}

/// Iterations over which [`newton`] must at least halve `|F|`.
pub const STALL_WINDOW: usize = 4;

/// Outcome of [`newton`]: the best point reached, its residual `|F|` and the evaluations spent.
#[derive(Debug, Clone)]
pub struct NewtonResult {
    pub x: Vec<f64>,
    pub residual: f64,
    pub evaluations: usize,
}

/// Damped Newton on `F(x) = 0` with the analytic Jacobian, any dimension.
///
/// Direction: the Newton step `-J^{-1} F`, or the Levenberg-Marquardt step when `J` is singular or
/// the Newton step fails; each limited to `max_step` and backtracked (halving, at most 10 times)
/// until `|F|` drops by the Armijo factor `1 - 1e-4 lambda`. Iterates until no direction reduces
/// `|F|` any more (the round-off floor, typically `|F| ~ 1e-16`) or the step is negligible, so
/// every root it reaches is polished as far as the arithmetic allows. A start that does not halve
/// `|F|` within [`STALL_WINDOW`] iterations (a local minimum of `|F|` away from any root) is
/// abandoned, which bounds the cost of hopeless seeds.
pub fn newton(
    sys: &dyn ReducedSystem,
    v: &[f64],
    x0: &[f64],
    max_step: f64,
    max_iter: usize,
) -> NewtonResult {
    let n = x0.len();
    let mut it = Iterate {
        x: x0.to_vec(),
        f: vec![0.0; n],
        jac: vec![0.0; n * n],
        residual: 0.0,
        evaluations: 1,
    };
    sys.flow_jacobian(&it.x, v, &mut it.f, &mut it.jac);
    it.residual = norm(&it.f);
    if !it.residual.is_finite() {
        it.residual = f64::INFINITY;
    }
    let mut checkpoint = it.residual;
    for iteration in 1..=max_iter {
        if it.residual == 0.0 || !it.residual.is_finite() {
            break;
        }
        if iteration % STALL_WINDOW == 0 {
            // Even a double root (linear convergence, |F| / 4 per step) gains far more.
            if it.residual > 0.5 * checkpoint {
                break;
            }
            checkpoint = it.residual;
        }
        let mut a = it.jac.clone();
        let mut d: Vec<f64> = it.f.iter().map(|v| -v).collect();
        let newton_ok = solve_in_place(&mut a, &mut d, n);
        if newton_ok && norm(&d) <= 1e-15 * (1.0 + norm(&it.x)) {
            break;
        }
        let accepted = (newton_ok && it.line_search(sys, v, &d, max_step))
            || damped_least_squares(&it.jac, &it.f, n, n)
                .is_some_and(|d| it.line_search(sys, v, &d, max_step));
        if !accepted {
            break;
        }
    }
    NewtonResult {
        x: it.x,
        residual: it.residual,
        evaluations: it.evaluations,
    }
}

/// Newton's current point with `F`, `J` there.
struct Iterate {
    x: Vec<f64>,
    f: Vec<f64>,
    jac: Vec<f64>,
    residual: f64,
    evaluations: usize,
}

impl Iterate {
    /// Backtracking along `dir` (capped at `max_step`); moves and returns `true` on an Armijo
    /// decrease of `|F|`. Near the round-off floor only the full step is tried.
    fn line_search(
        &mut self,
        sys: &dyn ReducedSystem,
        v: &[f64],
        dir: &[f64],
        max_step: f64,
    ) -> bool {
        let n = self.x.len();
        let len = norm(dir);
        let cap = if len > max_step { max_step / len } else { 1.0 };
        let tries = if self.residual < 1e-11 { 1 } else { 10 };
        let (mut x, mut f, mut jac) = (vec![0.0; n], vec![0.0; n], vec![0.0; n * n]);
        let mut lambda = 1.0;
        for _ in 0..tries {
            for i in 0..n {
                x[i] = self.x[i] + lambda * cap * dir[i];
            }
            sys.flow_jacobian(&x, v, &mut f, &mut jac);
            self.evaluations += 1;
            let r = norm(&f);
            if r.is_finite() && r < (1.0 - 1e-4 * lambda) * self.residual {
                (self.x, self.f, self.jac, self.residual) = (x, f, jac, r);
                return true;
            }
            lambda *= 0.5;
        }
        false
    }
}

/// Options of [`find_fixed_points`].
#[derive(Debug, Clone)]
pub struct FixedPointOptions {
    /// Newton is also started from the centres of a `grid x grid` lattice of the rectangle (the
    /// safety net for roots where the nullclines touch without crossing).
    pub grid: usize,
    /// Keep roots inside the rectangle grown by this fraction of its size.
    pub margin: f64,
    /// A Newton end point is a root if `|F| <= accept`.
    pub accept: f64,
    pub max_iterations: usize,
}

impl Default for FixedPointOptions {
    fn default() -> Self {
        FixedPointOptions {
            grid: 6,
            margin: 0.02,
            accept: 1e-9,
            max_iterations: 60,
        }
    }
}

/// All fixed points of a rank-2 system in (a margin around) `rect`, with their linearisation.
///
/// Seeds: the given ones (nullcline crossings, see
/// [`crate::analysis::nullclines::crossings`]) plus the `grid x grid` cell centres. Each goes
/// through [`newton`] (in parallel); roots within `1e-6` of the diagonal of each other are merged
/// (keeping the smaller residual). Sorted by `kappa_1`, then `kappa_2`.
pub fn find_fixed_points(
    sys: &dyn ReducedSystem,
    v: &[f64],
    rect: &Rect,
    time_model: TimeModel,
    seeds: &[[f64; 2]],
    opts: &FixedPointOptions,
) -> Vec<FixedPoint> {
    if sys.rank() != 2 || !rect.is_valid() {
        return Vec::new();
    }
    let g = opts.grid;
    let lattice = (0..g * g).map(|k| {
        [
            rect.x_min + (k % g) as f64 * rect.width() / g as f64 + 0.5 * rect.width() / g as f64,
            rect.y_min + (k / g) as f64 * rect.height() / g as f64 + 0.5 * rect.height() / g as f64,
        ]
    });
    let all_seeds: Vec<[f64; 2]> = seeds.iter().copied().chain(lattice).collect();
    let max_step = 0.5 * rect.diagonal();
    let keep = rect.expanded(opts.margin);
    let roots: Vec<NewtonResult> = all_seeds
        .par_iter()
        .map(|s| newton(sys, v, s, max_step, opts.max_iterations))
        .filter(|r| r.residual <= opts.accept && keep.contains(&r.x))
        .collect();
    let merge = 1e-6 * rect.diagonal();
    let mut unique: Vec<NewtonResult> = Vec::new();
    for r in roots {
        match unique.iter_mut().find(|u| dist(&u.x, &r.x) <= merge) {
            Some(u) if r.residual < u.residual => *u = r,
            Some(_) => {}
            None => unique.push(r),
        }
    }
    unique.sort_by(|a, b| a.x[0].total_cmp(&b.x[0]).then(a.x[1].total_cmp(&b.x[1])));
    unique
        .iter()
        .map(|r| describe(sys, v, &r.x, time_model))
        .collect()
}

/// All fixed points in `rect` from scratch: seeds from the crossings of the nullclines
/// (adaptive grid, 128 x 128 effective, no projection) plus the default lattice. (The landscape
/// reuses its own nullclines and field instead.)
pub fn fixed_points_in(
    sys: &dyn ReducedSystem,
    v: &[f64],
    rect: &Rect,
    time_model: TimeModel,
) -> Vec<FixedPoint> {
    let opts = NullclineOptions {
        resolution: 128,
        refine_iterations: 0,
        ..NullclineOptions::default()
    };
    let nc = nullclines(sys, v, rect, &opts);
    let seeds = crossings(&nc.curves[0], &nc.curves[1]);
    find_fixed_points(
        sys,
        v,
        rect,
        time_model,
        &seeds,
        &FixedPointOptions::default(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::test_systems::{BlowUp, Linear, NanSystem, SaddleNode, TanhRank2};

    const MAP: TimeModel = TimeModel::Map { alpha: 0.2 };

    fn linear_kind(a: [f64; 4], tm: TimeModel) -> (FixedPointKind, bool) {
        let fp = describe(&Linear { a, b: [0.0; 2] }, &[0.0, 0.0], &[0.0, 0.0], tm);
        (fp.kind, fp.stable)
    }

    #[test]
    fn classification_of_linear_systems_for_both_time_models() {
        use FixedPointKind::*;
        type Case = ([f64; 4], (FixedPointKind, bool), (FixedPointKind, bool));
        let cases: [Case; 7] = [
            (
                [-1.0, 0.0, 0.0, -2.0],
                (StableNode, true),
                (StableNode, true),
            ),
            (
                [1.0, 0.0, 0.0, 2.0],
                (UnstableNode, false),
                (UnstableNode, false),
            ),
            ([1.0, 0.0, 0.0, -2.0], (Saddle, false), (Saddle, false)),
            (
                [-0.5, -2.0, 2.0, -0.5],
                (StableFocus, true),
                (StableFocus, true),
            ),
            (
                [0.3, -2.0, 2.0, 0.3],
                (UnstableFocus, false),
                (UnstableFocus, false),
            ),
            (
                [0.0, -1.0, 1.0, 0.0],
                (Center, false),
                (UnstableFocus, false),
            ),
            // lambda = -0.1 +- 3i: ODE stable; |1 + 0.2 lambda|^2 = 0.98^2 + 0.36 > 1: map unstable.
            (
                [-0.1, -3.0, 3.0, -0.1],
                (StableFocus, true),
                (UnstableFocus, false),
            ),
        ];
        for (a, ode, map) in cases {
            assert_eq!(linear_kind(a, TimeModel::Ode), ode, "ODE {a:?}");
            assert_eq!(linear_kind(a, MAP), map, "map {a:?}");
        }
        // lambda = (-12, -1): ODE stable node; map multipliers (1 - 2.4, 1 - 0.2) = (-1.4, 0.8): saddle.
        assert_eq!(
            linear_kind([-12.0, 0.0, 0.0, -1.0], TimeModel::Ode),
            (StableNode, true)
        );
        assert_eq!(linear_kind([-12.0, 0.0, 0.0, -1.0], MAP), (Saddle, false));
        assert_eq!(
            linear_kind([-12.0, 0.0, 0.0, -11.0], MAP),
            (UnstableNode, false)
        );
        // Map center: |1 + 0.2 lambda| = 1 exactly for lambda = -5 + 5i (mu = 0 + i).
        assert_eq!(linear_kind([-5.0, -5.0, 5.0, -5.0], MAP), (Center, false));
        assert_eq!(
            linear_kind([0.0, 0.0, 0.0, -1.0], TimeModel::Ode),
            (Degenerate, false)
        );
    }

    #[test]
    fn multipliers_are_eigenvalues_of_identity_plus_alpha_jacobian() {
        let a = [-0.1, -3.0, 3.0, -0.1];
        let fp = describe(&Linear { a, b: [0.0; 2] }, &[0.0, 0.0], &[0.0, 0.0], MAP);
        let m = fp.multipliers.unwrap();
        let direct = eigenvalues(
            &[1.0 + 0.2 * a[0], 0.2 * a[1], 0.2 * a[2], 1.0 + 0.2 * a[3]],
            2,
        )
        .unwrap();
        for (x, y) in m.iter().zip(&direct) {
            assert!((x[0] - y[0]).abs() < 1e-15 && (x[1] - y[1]).abs() < 1e-15);
        }
        assert!((cabs(m[0]) - (0.98f64.powi(2) + 0.36).sqrt()).abs() < 1e-15);
    }

    fn rect3() -> Rect {
        Rect::new(-3.0, 3.0, -3.0, 3.0)
    }

    /// `x = w tanh(x)` by bisection on `(0.5, w]`: an independent reference for the roots.
    fn tanh_root(w: f64) -> f64 {
        let (mut lo, mut hi) = (0.5, w);
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if w * mid.tanh() - mid > 0.0 {
                lo = mid
            } else {
                hi = mid
            }
        }
        0.5 * (lo + hi)
    }

    #[test]
    fn nine_fixed_points_of_decoupled_tanh_system_all_found_and_polished() {
        let sys = TanhRank2 {
            w: [2.0, 0.0, 0.0, 2.0],
            b: [0.0; 2],
        };
        let fps = find_fixed_points(
            &sys,
            &[0.0, 0.0],
            &rect3(),
            TimeModel::Ode,
            &[],
            &FixedPointOptions::default(),
        );
        assert_eq!(fps.len(), 9);
        let x = tanh_root(2.0);
        let mut counts = std::collections::HashMap::new();
        for fp in &fps {
            assert!(fp.residual < 1e-12, "{}", fp.residual);
            for c in &fp.kappa {
                let d = [(c - x).abs(), c.abs(), (c + x).abs()]
                    .into_iter()
                    .fold(f64::INFINITY, f64::min);
                assert!(d < 1e-12, "{:?}", fp.kappa);
            }
            *counts.entry(format!("{:?}", fp.kind)).or_insert(0) += 1;
        }
        assert_eq!(counts["StableNode"], 4);
        assert_eq!(counts["Saddle"], 4);
        assert_eq!(counts["UnstableNode"], 1);
    }

    #[test]
    fn coupled_tanh_system_matches_brute_force_root_count() {
        let sys = TanhRank2 {
            w: [2.2, 0.4, -0.3, 1.8],
            b: [0.05, -0.02],
        };
        let fps = find_fixed_points(
            &sys,
            &[0.0, 0.0],
            &rect3(),
            TimeModel::Ode,
            &[],
            &FixedPointOptions::default(),
        );
        // Independent reference: plain Newton from a dense 60 x 60 lattice.
        let mut reference: Vec<Vec<f64>> = Vec::new();
        for k in 0..3600 {
            let s = [
                -3.0 + 0.1 * (k % 60) as f64 + 0.05,
                -3.0 + 0.1 * (k / 60) as f64 + 0.05,
            ];
            let r = newton(&sys, &[0.0, 0.0], &s, 10.0, 100);
            if r.residual < 1e-10
                && rect3().contains(&r.x)
                && !reference.iter().any(|q| dist(q, &r.x) < 1e-6)
            {
                reference.push(r.x);
            }
        }
        assert!(reference.len() >= 5, "{}", reference.len());
        assert_eq!(fps.len(), reference.len());
        for q in &reference {
            assert!(fps.iter().any(|fp| dist(&fp.kappa, q) < 1e-9));
        }
        assert!(fps.iter().all(|fp| fp.residual < 1e-12));
    }

    #[test]
    fn degenerate_and_hostile_systems_do_not_panic() {
        // Saddle-node at p = 0: a double root, found (slowly) and labelled degenerate.
        let fps = find_fixed_points(
            &SaddleNode,
            &[0.0],
            &rect3(),
            TimeModel::Ode,
            &[],
            &FixedPointOptions::default(),
        );
        assert_eq!(fps.len(), 1);
        assert!(fps[0].kappa[0].abs() < 1e-6);
        assert_eq!(fps[0].kind, FixedPointKind::Degenerate);
        let opts = FixedPointOptions::default();
        assert!(
            find_fixed_points(&SaddleNode, &[-1.0], &rect3(), TimeModel::Ode, &[], &opts)
                .is_empty()
        );
        assert!(
            find_fixed_points(&NanSystem, &[], &rect3(), TimeModel::Ode, &[], &opts).is_empty()
        );
        assert!(find_fixed_points(&BlowUp, &[], &rect3(), TimeModel::Ode, &[], &opts).is_empty());
        let empty = Rect::new(1.0, 1.0, 0.0, 1.0);
        assert!(
            find_fixed_points(&SaddleNode, &[1.0], &empty, TimeModel::Ode, &[], &opts).is_empty()
        );
        // Singular Jacobian everywhere: F = (x + y, x + y) has a line of zeros; no panic.
        let line = Linear {
            a: [1.0, 1.0, 1.0, 1.0],
            b: [0.0; 2],
        };
        let _ = find_fixed_points(&line, &[0.0, 0.0], &rect3(), TimeModel::Ode, &[], &opts);
    }
}
