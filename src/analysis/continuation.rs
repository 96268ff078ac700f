//! One-parameter continuation of fixed points `F(kappa; p) = 0` by pseudo-arclength, with folds,
//! Hopf (ODE), Neimark-Sacker and flip (map) points detected and located.
//!
//! Unknowns `X = (kappa, p)`. Predictor `X + ds t` along the unit tangent `t` (the null vector of
//! `[F_kappa F_p]`, oriented by the previous one); corrector: Newton on
//! `(F(X), t . (X - X_pred)) = 0` with Jacobian `[[F_kappa, F_p], [t^T]]`. The step grows after
//! easy corrections and shrinks after hard or failed ones and when the tangent turns by more than
//! 0.3 rad.
//!
//! Test functions between consecutive points: fold, `t_p` changes sign; Hopf (ODE),
//! `prod_{i<j} (lambda_i + lambda_j)` (`= tr J` for rank 2) changes sign with a complex pair on the
//! imaginary axis at the root; Neimark-Sacker (map), `prod_{i<j} (mu_i mu_j - 1)` (`= det M - 1`)
//! with a complex pair on the unit circle; flip (map), `prod (1 + mu_i) = det(Id + M)` with a real
//! `mu = -1`; branch point (a pitchfork or transcritical crossing of two branches), `det J` changes
//! sign where the fold test does not — and a sign change of `t_p` at which `[F_kappa F_p]` loses rank
//! is a branch point seen from the branch that turns there, not a fold. Each root is located by the
//! Illinois method on the arclength from the previous point (every trial point corrected onto the
//! branch) to `|d sigma| < 1e-11`. A branch that leaves the parameter range ends exactly on its
//! boundary.
//!
//! A parameter is any [`Family`]: [`InputFamily`] moves the input along a line,
//! [`RebuiltFamily`] rebuilds the system from `p` (a covariance entry, a gain, a population
//! fraction: one closure), `dF/dp` by central differences unless a family provides it.

use std::sync::{Arc, Mutex};

use serde::Serialize;

use super::Rect;
use super::fixed_points::{classify, fixed_points_in, newton};
use super::linalg::{Complex, along, cabs, cmul, dist, eigenvalues, lerp, norm, solve_in_place};
use super::normal_form::first_lyapunov;
use super::root_search::{SearchOptions, search_fixed_points};
use crate::reduced::{ReducedSystem, TimeModel};

/// A one-parameter family of reduced systems `F(kappa; p)` (input fixed inside the family).
pub trait Family: Sync {
    fn rank(&self) -> usize;

    /// `out = F(kappa; p)`.
    fn flow(&self, p: f64, kappa: &[f64], out: &mut [f64]);

    /// `f = F(kappa; p)`, `jac = dF/dkappa` (row-major).
    fn flow_jacobian(&self, p: f64, kappa: &[f64], f: &mut [f64], jac: &mut [f64]);

    /// Half-widths of a box that holds every fixed point and attractor at `p`
    /// ([`ReducedSystem::absorbing_box`]), if the system at `p` has one.
    fn absorbing_box(&self, _p: f64) -> Option<Vec<f64>> {
        None
    }

    /// The slope bound of the system at `p` ([`ReducedSystem::lipschitz`]), if known: with the
    /// box and [`curvature`](Self::curvature) it lets the starts of a rank other than 2 be
    /// searched exhaustively ([`super::root_search`]).
    fn lipschitz(&self, _p: f64) -> Option<Vec<f64>> {
        None
    }

    /// The curvature bound of the system at `p` ([`ReducedSystem::curvature`]), if known.
    fn curvature(&self, _p: f64) -> Option<f64> {
        None
    }

    /// `F`, `dF/dkappa` and `dF/dp` at once (the shooting of cycle branches needs all three at
    /// every step); by default [`flow_jacobian`](Self::flow_jacobian) then
    /// [`flow_dp`](Self::flow_dp).
    fn flow_jacobian_dp(
        &self,
        p: f64,
        kappa: &[f64],
        f: &mut [f64],
        jac: &mut [f64],
        fp: &mut [f64],
    ) {
        self.flow_jacobian(p, kappa, f, jac);
        self.flow_dp(p, kappa, fp);
    }

    /// `out = dF/dp`; by default the central difference with `h = 1e-6 (1 + |p|)`
    /// (error `O(h^2)`, enough for Newton's convergence; the located points stay exact because
    /// the residual `F` itself is exact).
    fn flow_dp(&self, p: f64, kappa: &[f64], out: &mut [f64]) {
        let h = 1e-6 * (1.0 + p.abs());
        let mut minus = vec![0.0; kappa.len()];
        self.flow(p + h, kappa, out);
        self.flow(p - h, kappa, &mut minus);
        for (o, m) in out.iter_mut().zip(&minus) {
            *o = (*o - m) / (2.0 * h);
        }
    }
}

/// The input moves along a line: `v = v0 + p * direction`.
pub struct InputFamily<'a> {
    pub sys: &'a dyn ReducedSystem,
    pub v0: Vec<f64>,
    pub direction: Vec<f64>,
}

/// Inputs and input Jacobians up to this many entries live on the stack: the shooting of a cycle
/// branch evaluates the family millions of times, and an allocation each time cost a quarter of it.
const STACK: usize = 16;

impl InputFamily<'_> {
    /// `f(v0 + p direction)`.
    fn with_input<R>(&self, p: f64, f: impl FnOnce(&[f64]) -> R) -> R {
        let at = |(a, d): (&f64, &f64)| a + p * d;
        let s = self.v0.len();
        if s <= STACK {
            let mut v = [0.0; STACK];
            for (o, x) in v
                .iter_mut()
                .zip(self.v0.iter().zip(&self.direction).map(at))
            {
                *o = x;
            }
            f(&v[..s])
        } else {
            f(&self
                .v0
                .iter()
                .zip(&self.direction)
                .map(at)
                .collect::<Vec<_>>())
        }
    }

    /// `out = (dF/dv) direction`, with `fill(dF/dv)` writing the input Jacobian (row-major
    /// `R x S`) into the buffer it is given. Without inputs the parameter moves nothing.
    fn with_jac_v(&self, out: &mut [f64], fill: impl FnOnce(&mut [f64])) {
        let s = self.direction.len();
        if s == 0 {
            out.fill(0.0);
            return;
        }
        let project = |jac_v: &mut [f64], out: &mut [f64]| {
            fill(jac_v);
            for (o, row) in out.iter_mut().zip(jac_v.chunks_exact(s)) {
                *o = row.iter().zip(&self.direction).map(|(a, d)| a * d).sum();
            }
        };
        let len = out.len() * s;
        if len <= STACK {
            project(&mut [0.0; STACK][..len], out);
        } else {
            project(&mut vec![0.0; len], out);
        }
    }
}

impl Family for InputFamily<'_> {
    fn rank(&self) -> usize {
        self.sys.rank()
    }
    fn flow(&self, p: f64, kappa: &[f64], out: &mut [f64]) {
        self.with_input(p, |v| self.sys.flow(kappa, v, out));
    }
    fn flow_jacobian(&self, p: f64, kappa: &[f64], f: &mut [f64], jac: &mut [f64]) {
        self.with_input(p, |v| self.sys.flow_jacobian(kappa, v, f, jac));
    }
    /// `dF/dp = (dF/dv) direction`, from the system's input Jacobian (exact for the exact
    /// reduction and the mean field; one evaluation instead of the two of a difference).
    fn flow_dp(&self, p: f64, kappa: &[f64], out: &mut [f64]) {
        self.with_jac_v(out, |jac_v| {
            self.with_input(p, |v| self.sys.input_jacobian(kappa, v, jac_v))
        });
    }
    /// One pass of the system for all three ([`ReducedSystem::flow_jacobians`]).
    fn flow_jacobian_dp(
        &self,
        p: f64,
        kappa: &[f64],
        f: &mut [f64],
        jac: &mut [f64],
        fp: &mut [f64],
    ) {
        self.with_jac_v(fp, |jac_v| {
            self.with_input(p, |v| self.sys.flow_jacobians(kappa, v, f, jac, jac_v))
        });
    }
    fn absorbing_box(&self, _p: f64) -> Option<Vec<f64>> {
        self.sys.absorbing_box()
    }
    fn lipschitz(&self, _p: f64) -> Option<Vec<f64>> {
        self.sys.lipschitz()
    }
    fn curvature(&self, _p: f64) -> Option<f64> {
        self.sys.curvature()
    }
}

/// A system rebuilt from the parameter by `build(p)`, at the fixed input `v`; the last build is
/// cached (the corrector evaluates the same `p` several times).
pub struct RebuiltFamily<S, B> {
    build: B,
    v: Vec<f64>,
    cache: Mutex<Option<(f64, Arc<S>)>>,
}

impl<S: ReducedSystem, B: Fn(f64) -> S + Sync> RebuiltFamily<S, B> {
    pub fn new(build: B, v: Vec<f64>) -> Self {
        RebuiltFamily {
            build,
            v,
            cache: Mutex::new(None),
        }
    }

    fn at(&self, p: f64) -> Arc<S> {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        match cache.as_ref() {
            Some((q, s)) if q.to_bits() == p.to_bits() => s.clone(),
            _ => {
                let s = Arc::new((self.build)(p));
                *cache = Some((p, s.clone()));
                s
            }
        }
    }
}

impl<S: ReducedSystem, B: Fn(f64) -> S + Sync> Family for RebuiltFamily<S, B> {
    fn rank(&self) -> usize {
        self.at(0.0).rank()
    }
    fn flow(&self, p: f64, kappa: &[f64], out: &mut [f64]) {
        self.at(p).flow(kappa, &self.v, out);
    }
    fn flow_jacobian(&self, p: f64, kappa: &[f64], f: &mut [f64], jac: &mut [f64]) {
        self.at(p).flow_jacobian(kappa, &self.v, f, jac);
    }
    fn absorbing_box(&self, p: f64) -> Option<Vec<f64>> {
        self.at(p).absorbing_box()
    }
    fn lipschitz(&self, p: f64) -> Option<Vec<f64>> {
        self.at(p).lipschitz()
    }
    fn curvature(&self, p: f64) -> Option<f64> {
        self.at(p).curvature()
    }
}

/// A family frozen at one parameter value, as a [`ReducedSystem`] (its input is ignored).
pub struct AtParameter<'a> {
    pub family: &'a dyn Family,
    pub p: f64,
}

impl ReducedSystem for AtParameter<'_> {
    fn rank(&self) -> usize {
        self.family.rank()
    }
    fn inputs(&self) -> usize {
        0
    }
    fn flow(&self, kappa: &[f64], _v: &[f64], out: &mut [f64]) {
        self.family.flow(self.p, kappa, out);
    }
    fn flow_jacobian(&self, kappa: &[f64], _v: &[f64], f: &mut [f64], jac: &mut [f64]) {
        self.family.flow_jacobian(self.p, kappa, f, jac);
    }
    fn absorbing_box(&self) -> Option<Vec<f64>> {
        self.family.absorbing_box(self.p)
    }
    fn lipschitz(&self) -> Option<Vec<f64>> {
        self.family.lipschitz(self.p)
    }
    fn curvature(&self) -> Option<f64> {
        self.family.curvature(self.p)
    }
}

/// Options of the continuation.
#[derive(Debug, Clone)]
pub struct ContinuationOptions {
    pub p_min: f64,
    pub p_max: f64,
    pub time_model: TimeModel,
    /// Initial, smallest and largest arclength step.
    pub ds: f64,
    pub ds_min: f64,
    pub ds_max: f64,
    /// Points per direction of a branch.
    pub max_points: usize,
}

impl ContinuationOptions {
    /// Steps scaled to the parameter range: `ds = range / 100`, `ds_max = range / 25`.
    pub fn new(p_min: f64, p_max: f64, time_model: TimeModel) -> Self {
        let range = (p_max - p_min).abs().max(1e-12);
        ContinuationOptions {
            p_min,
            p_max,
            time_model,
            ds: range / 100.0,
            ds_min: range * 1e-9,
            ds_max: range / 25.0,
            max_points: 2000,
        }
    }
}

/// A point of a branch.
#[derive(Debug, Clone, Serialize)]
pub struct BranchPoint {
    pub p: f64,
    pub kappa: Vec<f64>,
    pub stable: bool,
    pub eigenvalues: Vec<Complex>,
}

/// Why one end of a branch ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BranchEnd {
    /// The parameter left the range.
    RangeEnd,
    PointCap,
    /// The corrector failed even at the smallest step.
    StepTooSmall,
    /// The branch came back to its start (an isola).
    Closed,
}

/// A branch of fixed points ordered along its arclength.
#[derive(Debug, Clone, Serialize)]
pub struct Branch {
    pub points: Vec<BranchPoint>,
    /// How the branch ends at its first and last point.
    pub ends: [BranchEnd; 2],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SpecialKind {
    Fold,
    /// Two branches cross (pitchfork or transcritical): `det J = 0` with `[F_kappa F_p]` rank-deficient.
    BranchPoint,
    Hopf,
    NeimarkSacker,
    Flip,
}

impl SpecialKind {
    /// The name reports and diagrams use (`"fold"`, `"Hopf"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            SpecialKind::Fold => "fold",
            SpecialKind::BranchPoint => "branch point",
            SpecialKind::Hopf => "Hopf",
            SpecialKind::NeimarkSacker => "Neimark-Sacker",
            SpecialKind::Flip => "flip",
        }
    }

    /// Whether a cycle (or an invariant curve) is born here: Hopf, Neimark-Sacker, flip. Folds
    /// and branch points change only the fixed points.
    pub fn births_a_cycle(self) -> bool {
        matches!(
            self,
            SpecialKind::Hopf | SpecialKind::NeimarkSacker | SpecialKind::Flip
        )
    }
}

/// A located bifurcation point.
#[derive(Debug, Clone, Serialize)]
pub struct SpecialPoint {
    pub kind: SpecialKind,
    pub p: f64,
    pub kappa: Vec<f64>,
    /// Index of the branch it lies on.
    pub branch: usize,
    pub eigenvalues: Vec<Complex>,
    /// A Hopf point's first Lyapunov coefficient ([`first_lyapunov`]): negative, supercritical
    /// (a stable cycle is born where the fixed point loses stability); positive, subcritical.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_lyapunov: Option<f64>,
}

impl SpecialPoint {
    /// "supercritical" or "subcritical" by the sign of the first Lyapunov coefficient.
    pub fn criticality(&self) -> Option<&'static str> {
        self.first_lyapunov.map(|l1| {
            if l1 < 0.0 {
                "supercritical"
            } else {
                "subcritical"
            }
        })
    }
}

/// The plain data of a bifurcation diagram.
#[derive(Debug, Clone, Serialize)]
pub struct BifurcationDiagram {
    pub p_range: [f64; 2],
    pub branches: Vec<Branch>,
    pub special_points: Vec<SpecialPoint>,
    /// Evaluations of `F`, of `F` with `J` and of `dF/dp` (a difference counts 2).
    pub evaluations: usize,
}

/// Continues every fixed point found in `rect` at `p0` (rank 2), in both directions.
pub fn continue_from_rect(
    family: &dyn Family,
    p0: f64,
    rect: &Rect,
    opts: &ContinuationOptions,
) -> BifurcationDiagram {
    continue_from_rect_at(family, &[p0], rect, opts)
}

/// Continues every fixed point found in `rect` at each of the parameter values `p_values` (rank
/// 2), in both directions: branches that do not exist at the current value (memories destroyed
/// by a strong input) are found from the others. A fixed point on an earlier branch is skipped.
pub fn continue_from_rect_at(
    family: &dyn Family,
    p_values: &[f64],
    rect: &Rect,
    opts: &ContinuationOptions,
) -> BifurcationDiagram {
    continue_starts(family, &starts_at(family, p_values, |_| *rect, opts), opts)
}

/// The bifurcation diagram of a family over `opts`' range, independent of any view: every fixed
/// point at the current value `current` (held inside the range) and at both ends of the range,
/// continued in both directions. Each is found in `search`, or else in the system's own search
/// box at that value ([`Rect::default_for`]: the absorbing box, which holds every fixed point).
pub fn diagram(
    family: &dyn Family,
    current: f64,
    opts: &ContinuationOptions,
    search: Option<Rect>,
) -> BifurcationDiagram {
    let (lo, hi) = (opts.p_min.min(opts.p_max), opts.p_min.max(opts.p_max));
    let p0 = if current.is_finite() {
        current.clamp(lo, hi)
    } else {
        lo
    };
    let rect_at = |p: f64| search.unwrap_or_else(|| Rect::default_for(&AtParameter { family, p }));
    continue_starts(
        family,
        &starts_at(family, &[p0, lo, hi], rect_at, opts),
        opts,
    )
}

/// `(p, kappa)` for every fixed point found at each of `p_values` in `rect_at(p)` (rank 2: the
/// phase plane's nullcline-seeded search; any other rank: the exhaustive search of the absorbing
/// box, which needs the family's bounds).
fn starts_at(
    family: &dyn Family,
    p_values: &[f64],
    rect_at: impl Fn(f64) -> Rect,
    opts: &ContinuationOptions,
) -> Vec<(f64, Vec<f64>)> {
    p_values
        .iter()
        .flat_map(|&p| {
            let frozen = AtParameter { family, p };
            let found = if family.rank() == 2 {
                fixed_points_in(&frozen, &[], &rect_at(p), opts.time_model)
            } else {
                search_fixed_points(&frozen, &[], opts.time_model, &SearchOptions::default())
                    .map(|s| s.fixed_points)
                    .unwrap_or_default()
            };
            found.into_iter().map(move |fp| (p, fp.kappa))
        })
        .collect()
}

/// Continues the fixed points `starts` (at `p0`) in both directions; a start that an earlier
/// branch already passed through is skipped.
pub fn continue_fixed_points(
    family: &dyn Family,
    p0: f64,
    starts: &[Vec<f64>],
    opts: &ContinuationOptions,
) -> BifurcationDiagram {
    let starts: Vec<(f64, Vec<f64>)> = starts.iter().map(|s| (p0, s.clone())).collect();
    continue_starts(family, &starts, opts)
}

/// Continues each `(p0, kappa)` start in both directions, skipping starts an earlier branch
/// already passed through.
fn continue_starts(
    family: &dyn Family,
    starts: &[(f64, Vec<f64>)],
    opts: &ContinuationOptions,
) -> BifurcationDiagram {
    let mut tracer = Tracer {
        family,
        n: family.rank(),
        opts,
        evaluations: 0,
    };
    let mut diagram = BifurcationDiagram {
        p_range: [opts.p_min, opts.p_max],
        branches: Vec::new(),
        special_points: Vec::new(),
        evaluations: 0,
    };
    for (p0, start) in starts {
        let p0 = *p0;
        if diagram
            .branches
            .iter()
            .any(|b| tracer.passes_through(b, p0, start))
        {
            continue;
        }
        let index = diagram.branches.len();
        let (mut back, back_end, back_special) = tracer.trace(start, p0, -1.0, index);
        let (forward, forward_end, forward_special) = tracer.trace(start, p0, 1.0, index);
        back.reverse();
        back.pop();
        back.extend(forward);
        if back.len() > 1 {
            diagram.branches.push(Branch {
                points: back,
                ends: [back_end, forward_end],
            });
            for sp in back_special.into_iter().chain(forward_special) {
                if !diagram.special_points.iter().any(|q| {
                    q.kind == sp.kind
                        && (q.p - sp.p).abs() < 1e-7
                        && dist(&q.kappa, &sp.kappa) < 1e-6
                }) {
                    diagram.special_points.push(sp);
                }
            }
        }
    }
    diagram.evaluations = tracer.evaluations;
    diagram
}

/// A point on the branch with its tangent and linearisation.
#[derive(Clone)]
struct State {
    x: Vec<f64>,
    tangent: Vec<f64>,
    eigenvalues: Vec<Complex>,
}

struct Tracer<'a> {
    family: &'a dyn Family,
    n: usize,
    opts: &'a ContinuationOptions,
    evaluations: usize,
}

impl Tracer<'_> {
    /// `[F_kappa F_p]` (row-major `n x (n+1)`) and `F` at `x = (kappa, p)`.
    fn linearise(&mut self, x: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let n = self.n;
        let (mut f, mut jac, mut fp) = (vec![0.0; n], vec![0.0; n * n], vec![0.0; n]);
        self.family
            .flow_jacobian_dp(x[n], &x[..n], &mut f, &mut jac, &mut fp);
        self.evaluations += 2;
        let mut a = vec![0.0; n * (n + 1)];
        for i in 0..n {
            a[i * (n + 1)..i * (n + 1) + n].copy_from_slice(&jac[i * n..(i + 1) * n]);
            a[i * (n + 1) + n] = fp[i];
        }
        (a, f)
    }

    /// Solves `[[A], [row^T]] y = rhs` (`A` is `n x (n+1)`).
    fn bordered_solve(&self, a: &[f64], row: &[f64], rhs: &mut [f64]) -> bool {
        let k = self.n + 1;
        let mut m = a.to_vec();
        m.extend_from_slice(row);
        solve_in_place(&mut m, rhs, k)
    }

    /// Unit tangent at `x` with `t . reference > 0`: solves `[[F_kappa F_p], [reference]] t = e`.
    fn tangent(&mut self, x: &[f64], reference: &[f64]) -> Option<Vec<f64>> {
        let (a, _) = self.linearise(x);
        let k = self.n + 1;
        let mut rhs = vec![0.0; k];
        rhs[self.n] = 1.0;
        if !self.bordered_solve(&a, reference, &mut rhs) {
            return None;
        }
        let len = norm(&rhs);
        Some(rhs.iter().map(|v| v / len).collect())
    }

    fn eigen(&mut self, x: &[f64]) -> Vec<Complex> {
        let n = self.n;
        let (mut f, mut jac) = (vec![0.0; n], vec![0.0; n * n]);
        self.family.flow_jacobian(x[n], &x[..n], &mut f, &mut jac);
        self.evaluations += 1;
        eigenvalues(&jac, n).unwrap_or_default()
    }

    /// Newton corrector onto the branch within the hyperplane `t . (X - X_pred) = 0`; returns
    /// the point and the iterations used.
    fn correct(&mut self, pred: &[f64], t: &[f64]) -> Option<(Vec<f64>, usize)> {
        let k = self.n + 1;
        let mut x = pred.to_vec();
        for it in 1..=8 {
            let (a, f) = self.linearise(&x);
            let mut rhs: Vec<f64> = f.iter().map(|v| -v).collect();
            rhs.push(-(0..k).map(|i| t[i] * (x[i] - pred[i])).sum::<f64>());
            if !self.bordered_solve(&a, t, &mut rhs) {
                return None;
            }
            for i in 0..k {
                x[i] += rhs[i];
            }
            if !x.iter().all(|v| v.is_finite()) {
                return None;
            }
            // After a Newton update of 1e-10 the error is ~1e-20 with an exact Jacobian, and still
            // small with a finite-difference one; the residual check below is the real test.
            if norm(&rhs) <= 1e-10 * (1.0 + norm(&x)) {
                let mut f = vec![0.0; self.n];
                self.family.flow(x[self.n], &x[..self.n], &mut f);
                self.evaluations += 1;
                return (norm(&f) <= 1e-9).then_some((x, it));
            }
        }
        None
    }

    /// The corrected state at arclength `sigma` from `from` along its tangent.
    fn state_at(&mut self, from: &State, sigma: f64) -> Option<State> {
        let pred = along(&from.x, &from.tangent, sigma);
        let (x, _) = self.correct(&pred, &from.tangent)?;
        let tangent = self.tangent(&x, &from.tangent)?;
        let eigenvalues = self.eigen(&x);
        Some(State {
            x,
            tangent,
            eigenvalues,
        })
    }

    fn branch_point(&self, s: &State) -> BranchPoint {
        BranchPoint {
            p: s.x[self.n],
            kappa: s.x[..self.n].to_vec(),
            stable: classify(&s.eigenvalues, self.opts.time_model).1,
            eigenvalues: s.eigenvalues.clone(),
        }
    }

    /// One direction (`sign` of `dp` at the start) from `start` at `p0`.
    fn trace(
        &mut self,
        start: &[f64],
        p0: f64,
        sign: f64,
        branch: usize,
    ) -> (Vec<BranchPoint>, BranchEnd, Vec<SpecialPoint>) {
        let n = self.n;
        let mut x0 = start.to_vec();
        x0.push(p0);
        let mut e_p = vec![0.0; n + 1];
        e_p[n] = sign;
        let tangent = self.tangent(&x0, &e_p).or_else(|| {
            // Starting on a fold: border with each coordinate axis until one is regular.
            (0..n).find_map(|i| {
                let mut e = vec![0.0; n + 1];
                e[i] = 1.0;
                self.tangent(&x0, &e)
            })
        });
        let Some(tangent) = tangent else {
            return (Vec::new(), BranchEnd::StepTooSmall, Vec::new());
        };
        let eigenvalues = self.eigen(&x0);
        let mut cur = State {
            x: x0,
            tangent,
            eigenvalues,
        };
        let mut points = vec![self.branch_point(&cur)];
        let mut special = Vec::new();
        let mut ds = self.opts.ds;
        let end = loop {
            if points.len() >= self.opts.max_points {
                break BranchEnd::PointCap;
            }
            let next = self.step(&cur, ds);
            let Some((next, iterations)) = next else {
                ds *= 0.5;
                if ds < self.opts.ds_min {
                    break BranchEnd::StepTooSmall;
                }
                continue;
            };
            for (kind, root) in self.detect(&cur, &next, ds) {
                if !(self.opts.p_min..=self.opts.p_max).contains(&root.x[n]) {
                    continue;
                }
                let (p, kappa) = (root.x[n], root.x[..n].to_vec());
                let first_lyapunov = (kind == SpecialKind::Hopf)
                    .then(|| self.first_lyapunov(p, &kappa, &root.eigenvalues))
                    .flatten();
                special.push(SpecialPoint {
                    kind,
                    p,
                    kappa,
                    branch,
                    eigenvalues: root.eigenvalues,
                    first_lyapunov,
                });
            }
            let p = next.x[n];
            if p < self.opts.p_min || p > self.opts.p_max {
                let bound = p.clamp(self.opts.p_min, self.opts.p_max);
                let last = self.point_at_bound(&cur, &next, bound).unwrap_or(next);
                points.push(self.branch_point(&last));
                break BranchEnd::RangeEnd;
            }
            points.push(self.branch_point(&next));
            if points.len() > 10
                && dist(
                    &next.x,
                    &points[0]
                        .kappa
                        .iter()
                        .copied()
                        .chain([p0])
                        .collect::<Vec<_>>(),
                ) < 0.5 * ds
            {
                break BranchEnd::Closed;
            }
            cur = next;
            ds = if iterations <= 3 {
                (1.3 * ds).min(self.opts.ds_max)
            } else {
                (0.7 * ds).max(self.opts.ds_min)
            };
        };
        (points, end, special)
    }

    /// Predictor-corrector step; rejects corrections whose tangent turns by more than 0.3 rad.
    fn step(&mut self, cur: &State, ds: f64) -> Option<(State, usize)> {
        let pred = along(&cur.x, &cur.tangent, ds);
        let (x, iterations) = self.correct(&pred, &cur.tangent)?;
        let tangent = self.tangent(&x, &cur.tangent)?;
        let cos: f64 = tangent.iter().zip(&cur.tangent).map(|(a, b)| a * b).sum();
        if cos < 0.3f64.cos() && ds > self.opts.ds_min {
            return None;
        }
        let eigenvalues = self.eigen(&x);
        Some((
            State {
                x,
                tangent,
                eigenvalues,
            },
            iterations,
        ))
    }

    /// The test functions of `s` (see the module documentation): fold, Hopf / Neimark-Sacker,
    /// flip, `det J`.
    fn tests(&self, s: &State) -> [f64; 4] {
        let l = &s.eigenvalues;
        let fold = s.tangent[self.n];
        let det = l.iter().fold([1.0, 0.0], |acc, z| cmul(acc, *z))[0];
        match self.opts.time_model {
            TimeModel::Ode => [
                fold,
                pair_product(l, |a, b| [a[0] + b[0], a[1] + b[1]]),
                f64::NAN,
                det,
            ],
            TimeModel::Map { alpha } => {
                let mu: Vec<Complex> = l
                    .iter()
                    .map(|z| [1.0 + alpha * z[0], alpha * z[1]])
                    .collect();
                let ns = pair_product(&mu, |a, b| {
                    let m = cmul(a, b);
                    [m[0] - 1.0, m[1]]
                });
                let flip = mu
                    .iter()
                    .fold([1.0, 0.0], |acc, m| cmul(acc, [1.0 + m[0], m[1]]))[0];
                [fold, ns, flip, det]
            }
        }
    }

    /// The first Lyapunov coefficient of the Hopf point `kappa` at `p`, with the frequency of
    /// its eigenvalue pair nearest the axis (five Jacobians).
    fn first_lyapunov(&mut self, p: f64, kappa: &[f64], eigenvalues: &[Complex]) -> Option<f64> {
        let omega = eigenvalues
            .iter()
            .min_by(|a, b| a[0].abs().total_cmp(&b[0].abs()))
            .map(|z| z[1].abs())?;
        let frozen = AtParameter {
            family: self.family,
            p,
        };
        self.evaluations += 5;
        first_lyapunov(&frozen, &[], kappa, omega, 1.0 + norm(kappa))
    }

    /// Special points between `a` and `b` (`b` at arclength `ds` from `a`), located.
    fn detect(&mut self, a: &State, b: &State, ds: f64) -> Vec<(SpecialKind, State)> {
        let (ta, tb) = (self.tests(a), self.tests(b));
        let mut found = Vec::new();
        let fold_here = ta[0] * tb[0] < 0.0;
        for k in 0..4 {
            let changes_sign = ta[k] * tb[k] < 0.0;
            // det J also vanishes at a fold; test 0 already handles that interval.
            if !changes_sign || (k == 3 && fold_here) {
                continue;
            }
            let Some(root) = self.locate(a, ds, k, ta[k], tb[k]) else {
                continue;
            };
            if let Some(kind) = self.confirm(k, &root) {
                found.push((kind, root));
            }
        }
        found
    }

    /// Illinois iteration on `sigma` in `(0, ds)` for a sign change of test `k`.
    fn locate(&mut self, a: &State, ds: f64, k: usize, fa: f64, fb: f64) -> Option<State> {
        illinois([0.0, ds], [fa, fb], |sigma| {
            // Right at a branch point the bordered systems are singular: keep the closest point
            // corrected so far.
            let nudged = [sigma, sigma + 1e-9 * ds, sigma - 1e-9 * ds];
            let s = nudged.iter().find_map(|&sg| self.state_at(a, sg))?;
            Some((self.tests(&s)[k], s))
        })
    }

    /// Which bifurcation a root of test `k` is: Hopf / Neimark-Sacker need a complex pair at the
    /// root (otherwise it is a neutral saddle), flip a real multiplier near -1.
    fn confirm(&mut self, k: usize, s: &State) -> Option<SpecialKind> {
        let tol = 1e-6 * s.eigenvalues.iter().fold(1.0f64, |m, z| m.max(cabs(*z)));
        let complex_pair_on =
            |on: &dyn Fn(&Complex) -> bool| s.eigenvalues.iter().any(|z| z[1].abs() > tol && on(z));
        match (k, self.opts.time_model) {
            (0, _) if self.augmented_rank_deficient(s) => Some(SpecialKind::BranchPoint),
            (0, _) => Some(SpecialKind::Fold),
            (3, _) => Some(SpecialKind::BranchPoint),
            (1, TimeModel::Ode) => {
                complex_pair_on(&|z| z[0].abs() < 1e-4).then_some(SpecialKind::Hopf)
            }
            (1, TimeModel::Map { alpha }) => {
                complex_pair_on(&|z| (cabs([1.0 + alpha * z[0], alpha * z[1]]) - 1.0).abs() < 1e-4)
                    .then_some(SpecialKind::NeimarkSacker)
            }
            (2, TimeModel::Map { alpha }) => s
                .eigenvalues
                .iter()
                .any(|z| z[1].abs() <= tol && (1.0 + alpha * z[0] + 1.0).abs() < 1e-4)
                .then_some(SpecialKind::Flip),
            _ => None,
        }
    }

    /// Whether `[F_kappa F_p]` has rank below `n` at `s`: a branch point, where `F_p` lies in the
    /// range of a singular `F_kappa`. The root is located less sharply there (the corrector's system
    /// is singular at the crossing), so the smallest singular value is compared with `1e-4` of the
    /// largest; at a fold it is of the order of the largest.
    fn augmented_rank_deficient(&mut self, s: &State) -> bool {
        let n = self.n;
        let (a, _) = self.linearise(&s.x);
        let sv = nalgebra::DMatrix::from_row_slice(n, n + 1, &a).singular_values();
        let (max, min) = (sv.max(), sv.min());
        max > 0.0 && min <= 1e-4 * max
    }

    /// The point of the branch at the parameter bound `p` crossed between `a` and `b`: Newton on
    /// `F(kappa; p) = 0` from the linear interpolation (none if it fails).
    fn point_at_bound(&mut self, a: &State, b: &State, p: f64) -> Option<State> {
        let n = self.n;
        let (pa, pb) = (a.x[n], b.x[n]);
        let t = ((p - pa) / (pb - pa)).clamp(0.0, 1.0);
        let guess = lerp(&a.x[..n], &b.x[..n], t);
        let frozen = AtParameter {
            family: self.family,
            p,
        };
        let r = newton(&frozen, &[], &guess, f64::INFINITY, 30);
        self.evaluations += r.evaluations;
        if r.residual >= 1e-9 {
            return None;
        }
        let mut x = r.x;
        x.push(p);
        let tangent = self.tangent(&x, &b.tangent)?;
        let eigenvalues = self.eigen(&x);
        Some(State {
            x,
            tangent,
            eigenvalues,
        })
    }

    /// Whether branch `b` crosses `p = p0` at `kappa` (the crossing corrected by Newton at
    /// `p0` from the interpolated point, so only the same fixed point matches).
    fn passes_through(&mut self, b: &Branch, p0: f64, kappa: &[f64]) -> bool {
        let frozen = AtParameter {
            family: self.family,
            p: p0,
        };
        b.points.windows(2).any(|w| {
            let (a, c) = (&w[0], &w[1]);
            if (a.p - p0) * (c.p - p0) > 0.0 || a.p == c.p {
                return false;
            }
            let t = (p0 - a.p) / (c.p - a.p);
            let guess = lerp(&a.kappa, &c.kappa, t);
            let r = newton(&frozen, &[], &guess, f64::INFINITY, 30);
            r.residual < 1e-9 && dist(&r.x, kappa) < 1e-7 * (1.0 + norm(kappa))
        })
    }
}

/// The Illinois (modified regula falsi) iteration for a root of a test function in the bracket
/// `sigma` with values `f` of opposite signs, to `|d sigma| < 1e-11`: `eval(sigma)` corrects a
/// point onto the branch and returns the test's value there with the point. Returns the last point
/// corrected (the one nearest the root), or `None` if the first correction fails.
pub(super) fn illinois<S>(
    sigma: [f64; 2],
    f: [f64; 2],
    mut eval: impl FnMut(f64) -> Option<(f64, S)>,
) -> Option<S> {
    let ([mut lo, mut hi], [mut f_lo, mut f_hi]) = (sigma, f);
    let mut best = None;
    let mut side = 0;
    for _ in 0..60 {
        let sigma = {
            let s = (lo * f_hi - hi * f_lo) / (f_hi - f_lo);
            if s.is_finite() && s > lo && s < hi {
                s
            } else {
                0.5 * (lo + hi)
            }
        };
        let Some((f, s)) = eval(sigma) else {
            break;
        };
        best = Some(s);
        if f == 0.0 || (hi - lo).abs() < 1e-11 {
            break;
        }
        if (f > 0.0) == (f_hi > 0.0) {
            hi = sigma;
            f_hi = f;
            if side == -1 {
                f_lo *= 0.5;
            }
            side = -1;
        } else {
            lo = sigma;
            f_lo = f;
            if side == 1 {
                f_hi *= 0.5;
            }
            side = 1;
        }
    }
    best
}

/// `Re prod_{i<j} op(z_i, z_j)` (real for conjugate-closed sets).
pub(super) fn pair_product(z: &[Complex], op: impl Fn(Complex, Complex) -> Complex) -> f64 {
    let mut acc = [1.0, 0.0];
    for i in 0..z.len() {
        for j in i + 1..z.len() {
            acc = cmul(acc, op(z[i], z[j]));
        }
    }
    acc[0]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::test_systems::{Hopf, Linear, SaddleNode};

    fn rect() -> Rect {
        Rect::new(-2.0, 2.0, -2.0, 2.0)
    }

    /// `x' = p x - x^3`, `y' = -y`: the branch `x = 0` and the branch `p = x^2` cross at the
    /// origin (a pitchfork), which is a branch point on both, not a fold.
    struct Pitchfork;

    impl ReducedSystem for Pitchfork {
        fn rank(&self) -> usize {
            2
        }
        fn inputs(&self) -> usize {
            1
        }
        fn flow(&self, k: &[f64], v: &[f64], out: &mut [f64]) {
            out[0] = v[0] * k[0] - k[0].powi(3);
            out[1] = -k[1];
        }
        fn flow_jacobian(&self, k: &[f64], v: &[f64], f: &mut [f64], jac: &mut [f64]) {
            self.flow(k, v, f);
            jac.copy_from_slice(&[v[0] - 3.0 * k[0] * k[0], 0.0, 0.0, -1.0]);
        }
    }

    #[test]
    fn an_input_familys_parameter_derivative_is_the_central_difference_of_its_flow() {
        let model = crate::reduced::presets::get("dms_mixture_2pop")
            .unwrap()
            .model;
        let sys = crate::reduced::MeanField::new(&model);
        let family = InputFamily {
            sys: &sys,
            v0: vec![0.3, -0.2],
            direction: vec![1.0, 0.5],
        };
        let (p, kappa) = (0.7, [0.4, -0.3]);
        let mut exact = [0.0; 2];
        family.flow_dp(p, &kappa, &mut exact);
        let h = 1e-5;
        let (mut plus, mut minus) = ([0.0; 2], [0.0; 2]);
        family.flow(p + h, &kappa, &mut plus);
        family.flow(p - h, &kappa, &mut minus);
        for r in 0..2 {
            let difference = (plus[r] - minus[r]) / (2.0 * h);
            assert!(exact[r].abs() > 1e-3, "{exact:?}");
            assert!(
                (exact[r] - difference).abs() < 1e-8,
                "{exact:?} vs {difference}"
            );
        }
    }

    #[test]
    fn pitchfork_is_a_branch_point_and_ranges_end_on_their_bounds() {
        let family = InputFamily {
            sys: &Pitchfork,
            v0: vec![0.0],
            direction: vec![1.0],
        };
        let opts = ContinuationOptions::new(-1.0, 1.0, TimeModel::Ode);
        let d = continue_from_rect(&family, 0.5, &rect(), &opts);
        assert!(
            d.special_points
                .iter()
                .all(|s| s.kind == SpecialKind::BranchPoint),
            "{:?}",
            d.special_points
        );
        // Found on both branches through the crossing: det J changes sign on x = 0, the tangent
        // turns on p = x^2.
        let on: Vec<usize> = d.special_points.iter().map(|s| s.branch).collect();
        assert!(on.len() >= 2 && on.iter().any(|&b| b != on[0]), "{on:?}");
        for sp in &d.special_points {
            assert!(sp.p.abs() < 1e-7 && sp.kappa[0].abs() < 1e-3, "{sp:?}");
        }
        for b in &d.branches {
            for end in [b.points.first().unwrap(), b.points.last().unwrap()] {
                assert!(
                    (-1.0..=1.0).contains(&end.p),
                    "branch point outside the range: {}",
                    end.p
                );
            }
        }
        // The trivial branch runs from exactly -1 to exactly 1, stable for p < 0 only.
        let trivial = d
            .branches
            .iter()
            .find(|b| b.points.iter().all(|q| q.kappa[0].abs() < 1e-9))
            .expect("the branch x = 0");
        let (first, last) = (&trivial.points[0], trivial.points.last().unwrap());
        assert_eq!((first.p.min(last.p), first.p.max(last.p)), (-1.0, 1.0));
        assert!(
            trivial
                .points
                .iter()
                .all(|q| q.stable == (q.p < 0.0) || q.p.abs() < 1e-9)
        );
    }

    #[test]
    fn branches_absent_at_one_value_are_found_from_another_without_duplicates() {
        let family = InputFamily {
            sys: &SaddleNode,
            v0: vec![0.0],
            direction: vec![1.0],
        };
        let opts = ContinuationOptions::new(-1.0, 2.0, TimeModel::Ode);
        assert!(
            continue_from_rect(&family, -0.5, &rect(), &opts)
                .branches
                .is_empty()
        );
        let d = continue_from_rect_at(&family, &[-0.5, 1.0, 1.5], &rect(), &opts);
        assert_eq!(
            d.branches.len(),
            1,
            "found at p = 1, and the same branch at 1.5"
        );
        assert_eq!(
            d.special_points
                .iter()
                .filter(|s| s.kind == SpecialKind::Fold)
                .count(),
            1
        );
    }

    #[test]
    fn fold_of_saddle_node_normal_form() {
        let family = InputFamily {
            sys: &SaddleNode,
            v0: vec![0.0],
            direction: vec![1.0],
        };
        let opts = ContinuationOptions::new(-1.0, 2.0, TimeModel::Ode);
        let d = continue_from_rect(&family, 1.0, &rect(), &opts);
        assert_eq!(
            d.branches.len(),
            1,
            "the branch through x = -1 is the same branch"
        );
        let folds: Vec<_> = d
            .special_points
            .iter()
            .filter(|s| s.kind == SpecialKind::Fold)
            .collect();
        assert_eq!(folds.len(), 1);
        assert!(folds[0].p.abs() < 1e-8, "fold at p = {}", folds[0].p);
        assert!(folds[0].kappa[0].abs() < 1e-4);
        for pt in &d.branches[0].points {
            assert!((pt.p - pt.kappa[0] * pt.kappa[0]).abs() < 1e-9);
            if pt.kappa[0].abs() > 1e-3 {
                assert_eq!(pt.stable, pt.kappa[0] > 0.0, "upper branch stable: {pt:?}");
            }
        }
        assert_eq!(
            d.branches[0].ends,
            [BranchEnd::RangeEnd, BranchEnd::RangeEnd]
        );
    }

    #[test]
    fn hopf_of_normal_form_for_ode_and_neimark_sacker_for_map() {
        let sys = Hopf {
            mu: 0.0,
            omega: 1.0,
            sign: 1.0,
        };
        let family = InputFamily {
            sys: &sys,
            v0: vec![0.0],
            direction: vec![1.0],
        };
        let d = continue_from_rect(
            &family,
            -0.5,
            &rect(),
            &ContinuationOptions::new(-1.0, 1.0, TimeModel::Ode),
        );
        assert_eq!(d.branches.len(), 1);
        let hopf: Vec<_> = d
            .special_points
            .iter()
            .filter(|s| s.kind == SpecialKind::Hopf)
            .collect();
        assert_eq!(hopf.len(), 1, "{:?}", d.special_points);
        assert!(hopf[0].p.abs() < 1e-8, "{}", hopf[0].p);
        // r' = mu r - r^3: l_1 = 2 a / omega = -2, supercritical.
        let l1 = hopf[0].first_lyapunov.unwrap();
        assert!((l1 + 2.0).abs() < 1e-6, "{l1}");
        assert_eq!(hopf[0].criticality(), Some("supercritical"));
        for pt in &d.branches[0].points {
            if pt.p.abs() > 1e-6 {
                assert_eq!(pt.stable, pt.p < 0.0);
            }
        }
        // Map: |1 + 0.2 (mu + i)| = 1 at mu = (sqrt(0.96) - 1) / 0.2.
        let alpha = 0.2;
        let d = continue_from_rect(
            &family,
            -0.5,
            &rect(),
            &ContinuationOptions::new(-1.0, 1.0, TimeModel::Map { alpha }),
        );
        let ns: Vec<_> = d
            .special_points
            .iter()
            .filter(|s| s.kind == SpecialKind::NeimarkSacker)
            .collect();
        assert_eq!(ns.len(), 1, "{:?}", d.special_points);
        let exact = ((1.0f64 - alpha * alpha).sqrt() - 1.0) / alpha;
        assert!((ns[0].p - exact).abs() < 1e-8, "{} vs {exact}", ns[0].p);
        assert!(
            ns[0].first_lyapunov.is_none(),
            "no ODE coefficient for the map"
        );
        assert!(d.special_points.iter().all(|s| s.kind != SpecialKind::Hopf));
    }

    #[test]
    fn flip_of_a_rebuilt_linear_family() {
        // F = diag(p, -1) k: map multiplier 1 + 0.2 p = -1 at p = -10.
        let family = RebuiltFamily::new(
            |p: f64| Linear {
                a: [p, 0.0, 0.0, -1.0],
                b: [0.0; 2],
            },
            vec![0.0, 0.0],
        );
        let d = continue_from_rect(
            &family,
            -9.0,
            &rect(),
            &ContinuationOptions::new(-12.0, -8.0, TimeModel::Map { alpha: 0.2 }),
        );
        let flips: Vec<_> = d
            .special_points
            .iter()
            .filter(|s| s.kind == SpecialKind::Flip)
            .collect();
        assert_eq!(flips.len(), 1, "{:?}", d.special_points);
        assert!((flips[0].p + 10.0).abs() < 1e-8);
        for pt in &d.branches[0].points {
            if (pt.p + 10.0).abs() > 1e-6 {
                assert_eq!(pt.stable, pt.p > -10.0);
            }
        }
    }

    #[test]
    fn hostile_families_end_with_a_status() {
        let sys = crate::analysis::test_systems::NanSystem;
        let family = InputFamily {
            sys: &sys,
            v0: vec![],
            direction: vec![],
        };
        let d = continue_fixed_points(
            &family,
            0.0,
            &[vec![0.0, 0.0]],
            &ContinuationOptions::new(-1.0, 1.0, TimeModel::Ode),
        );
        assert!(d.branches.is_empty());
    }
}
