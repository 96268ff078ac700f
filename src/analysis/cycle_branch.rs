//! Branches of limit cycles of the ODE (MODEL.md 1) in one parameter: pseudo-arclength
//! continuation of periodic orbits on single shooting, from Hopf points and from cycles found at
//! given parameter values, with folds of cycles, period doubling and torus points located, and the
//! approach to a homoclinic or SNIC end (period without bound) detected and extrapolated.
//!
//! Unknowns `X = (x0, theta, p)` with the period `T = e^theta`. Residual
//! `G(X) = (phi_{sT}(x0; p) - x0, f_ref . (x0 - x_ref))`: the orbit closes, and `x0` lies on the
//! section through the previous point `x_ref` normal to the flow `f_ref` there (the phase
//! condition). Its Jacobian `[[M - I, s T F(phi), psi], [f_ref^T, 0, 0]]` comes from the
//! variational equations, `M = dphi/dx0` the monodromy matrix and `psi = dphi/dp`
//! ([`super::cycles`]). Predictor along the unit tangent (null vector of that Jacobian), corrector
//! Newton on `(G, t . (X - X_pred)) = 0`, steps adapted as for fixed points
//! ([`super::continuation`]).
//!
//! Why shooting and not collocation: the reduced systems have rank 2 or 3, where one adaptive
//! Dormand-Prince run resolves an orbit to `1e-9` in a few hundred steps — also the slow passage
//! of a cycle near a SNIC, which collocation would need an adapted mesh of many intervals for —
//! and yields the monodromy matrix, hence the Floquet multipliers, with no extra work. Shooting's
//! weakness, cycles whose forward multipliers are huge, is met as in [`super::cycles`]: a branch
//! that starts unstable is shot backward in time (`s = -1`), where it attracts.
//!
//! Why `ln T`: near a homoclinic or SNIC end `T` diverges; in `ln T` the arclength reaches it in
//! `O(ln T)` steps, not `O(T)`.
//!
//! Test functions between consecutive points, with `mu_i` the nontrivial multipliers (for rank 2
//! the one `det M = exp(int tr J)`, exact by Liouville's formula): fold of cycles, `dp/ds` changes
//! sign; period doubling, `prod (1 + mu_i)` with a real `mu = -1` at the root; torus
//! (Neimark-Sacker of the cycle), `prod_{i<j} (mu_i mu_j - 1)` with a complex pair on the unit
//! circle. A rank-2 cycle has one positive multiplier, so only folds occur there. Each root is
//! located by the Illinois method on the arclength.
//!
//! A branch ends when the parameter leaves the range (exactly on the bound), when the cycle
//! shrinks onto a fixed point (a Hopf point), when the period exceeds `period_growth` times its
//! start value, or grows while the parameter stands still, or steps fail while it grows (the
//! period diverges: homoclinic or SNIC), or at the caps on points and evaluations.

use std::fmt;
use std::sync::Arc;

use serde::Serialize;

use super::Rect;
use super::continuation::{AtParameter, BifurcationDiagram};
use super::continuation::{Family, SpecialKind, SpecialPoint, illinois, pair_product};
use super::cycles::{CycleOptions, bounding_box_by, find_limit_cycles, variational_run};
use super::fixed_points::fixed_points_in;
use super::integrate::{Stop, Trajectory};
use super::linalg::{
    Complex, along, cabs, cmul, critical_eigenvector, eigenvalues, invert, lerp, norm,
    solve_in_place,
};
use super::projection::attracting_cycles;
use super::root_search::{SearchOptions, search_fixed_points};
use crate::reduced::{ReducedSystem, TimeModel};

/// Options of a cycle continuation.
#[derive(Debug, Clone)]
pub struct CycleBranchOptions {
    pub p_min: f64,
    pub p_max: f64,
    /// Initial, smallest and largest arclength step in `(x0, ln T, p)`.
    pub ds: f64,
    pub ds_min: f64,
    pub ds_max: f64,
    /// Points per direction of a branch.
    pub max_points: usize,
    /// Relative tolerance of the shooting integrations.
    pub rtol: f64,
    /// A branch ends as diverging once its period exceeds this multiple of its first period.
    pub period_growth: f64,
    /// Length scale of the state (step limits, the amplitude at which a cycle has collapsed).
    pub scale: f64,
    /// Evaluations of the flow per branch direction before it ends.
    pub max_evaluations: usize,
    /// Asked before every step: a caller whose answer is no longer wanted (the app's worker, when
    /// a newer request arrives) ends the branches early ([`CycleBranchEnd::Cancelled`]).
    pub cancel: Option<Cancel>,
}

/// A question "is this computation still wanted?", shared with the thread that may withdraw it.
#[derive(Clone)]
pub struct Cancel(Arc<dyn Fn() -> bool + Send + Sync>);

impl Cancel {
    pub fn new(requested: impl Fn() -> bool + Send + Sync + 'static) -> Cancel {
        Cancel(Arc::new(requested))
    }

    pub fn requested(&self) -> bool {
        (self.0)()
    }
}

impl fmt::Debug for Cancel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Cancel")
    }
}

impl CycleBranchOptions {
    /// Steps scaled to the parameter range, as for fixed points: `ds = range / 100`,
    /// `ds_max = range / 25`.
    pub fn new(p_min: f64, p_max: f64) -> Self {
        let range = (p_max - p_min).abs().max(1e-12);
        CycleBranchOptions {
            p_min,
            p_max,
            ds: range / 100.0,
            ds_min: range * 1e-8,
            ds_max: range / 25.0,
            max_points: 400,
            rtol: 1e-8,
            period_growth: 20.0,
            scale: 1.0,
            max_evaluations: 3_000_000,
            cancel: None,
        }
    }
}

/// A periodic orbit on a branch.
#[derive(Debug, Clone, Serialize)]
pub struct CyclePoint {
    pub p: f64,
    /// Period in units of tau.
    pub period: f64,
    /// Per coordinate, the extremes of the orbit (its amplitude).
    pub kappa_min: Vec<f64>,
    pub kappa_max: Vec<f64>,
    /// The Floquet multipliers, eigenvalues of the monodromy matrix, the trivial one (`1`)
    /// included; for rank 2 the nontrivial one is `exp(int_0^T tr J dt)`.
    pub multipliers: Vec<Complex>,
    pub stable: bool,
    /// A point of the orbit (on its section).
    pub x0: Vec<f64>,
}

/// Why one end of a cycle branch ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CycleBranchEnd {
    /// The parameter left the range.
    RangeEnd,
    /// The cycle shrank onto a fixed point: a Hopf point.
    Hopf,
    /// The period grows without bound: a homoclinic or SNIC end.
    PeriodDiverges,
    PointCap,
    /// The corrector failed even at the smallest step.
    StepTooSmall,
    /// The evaluation budget ran out.
    Budget,
    /// The caller withdrew the computation ([`CycleBranchOptions::cancel`]).
    Cancelled,
}

/// A bifurcation of a cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CycleSpecialKind {
    /// Two cycles meet and vanish.
    FoldOfCycles,
    /// A multiplier through `-1`.
    PeriodDoubling,
    /// A complex pair of multipliers through the unit circle (Neimark-Sacker of the cycle).
    Torus,
}

impl CycleSpecialKind {
    pub fn name(self) -> &'static str {
        match self {
            CycleSpecialKind::FoldOfCycles => "fold of cycles",
            CycleSpecialKind::PeriodDoubling => "period doubling",
            CycleSpecialKind::Torus => "torus",
        }
    }
}

/// A located bifurcation of a cycle.
#[derive(Debug, Clone, Serialize)]
pub struct CycleSpecialPoint {
    pub kind: CycleSpecialKind,
    pub p: f64,
    pub period: f64,
    pub x0: Vec<f64>,
    pub multipliers: Vec<Complex>,
}

/// A branch of periodic orbits ordered along its arclength.
#[derive(Debug, Clone, Serialize)]
pub struct CycleBranch {
    pub points: Vec<CyclePoint>,
    /// How the branch ends at its first and last point.
    pub ends: [CycleBranchEnd; 2],
    pub special_points: Vec<CycleSpecialPoint>,
    /// Where the period diverges, for an end [`CycleBranchEnd::PeriodDiverges`]: `p*` of the
    /// fit `T = A |p* - p|^(-1/2) + B` over the last points, the law at a SNIC. At a homoclinic
    /// end (`T ~ -ln|p - p*| / lambda`) it lies between the last point and `p*`, which are within
    /// `~exp(-lambda T)` of each other (it is the last point when no fit has `A > 0`).
    pub period_diverges_at: Vec<f64>,
    /// Evaluations of the flow (each with its Jacobian and `dF/dp`).
    pub evaluations: usize,
}

/// A cycle to continue: found at `p` by the phase-plane search ([`super::cycles`]).
#[derive(Debug, Clone)]
pub struct CycleSeed {
    pub p: f64,
    pub x0: Vec<f64>,
    pub period: f64,
    pub stable: bool,
}

/// Every cycle branch of a family: from each Hopf point of `diagram`, then from each seed that no
/// branch found so far passes through.
pub fn cycle_branches(
    family: &dyn Family,
    diagram: &BifurcationDiagram,
    seeds: &[CycleSeed],
    opts: &CycleBranchOptions,
) -> Vec<CycleBranch> {
    let mut branches: Vec<CycleBranch> = diagram
        .special_points
        .iter()
        .filter(|s| s.kind == SpecialKind::Hopf)
        .filter_map(|h| from_hopf(family, h, opts))
        .collect();
    for seed in seeds {
        if !branches.iter().any(|b| passes_through(b, seed, opts.scale)) {
            branches.extend(from_cycle(family, seed, opts));
        }
    }
    branches
}

/// The limit cycles at each of `p_values` as seeds, and the length scale of the boxes searched
/// (their largest diagonal). Rank 2: the phase-plane search of [`super::cycles`] around the fixed
/// points in the system's own search box at that value; any other rank: the attracting cycles
/// of the absorbing box in `R` dimensions ([`attracting_cycles`]), from the fixed points its
/// exhaustive search finds.
pub fn seeds_at(family: &dyn Family, p_values: &[f64]) -> (Vec<CycleSeed>, f64) {
    let mut scale = 0.0f64;
    let mut seeds = Vec::new();
    let opts = CycleOptions::default();
    for &p in p_values {
        let frozen = AtParameter { family, p };
        let cycles = if family.rank() == 2 {
            let rect = Rect::default_for(&frozen);
            scale = scale.max(rect.diagonal());
            let fps = fixed_points_in(&frozen, &[], &rect, TimeModel::Ode);
            find_limit_cycles(&frozen, &[], &rect, &fps, &opts).0
        } else {
            let Some(half) = frozen.absorbing_box() else {
                continue;
            };
            scale = scale.max(2.0 * norm(&half));
            let fps = search_fixed_points(&frozen, &[], TimeModel::Ode, &SearchOptions::default())
                .map(|r| r.fixed_points)
                .unwrap_or_default();
            attracting_cycles(&frozen, &[], &fps, &opts).0
        };
        seeds.extend(cycles.into_iter().filter_map(|c| {
            Some(CycleSeed {
                p,
                x0: c.points.first()?.clone(),
                period: c.period_tau,
                stable: c.stable,
            })
        }));
    }
    (seeds, if scale > 0.0 { scale } else { 1.0 })
}

/// Whether a branch holds the seed's cycle: the seed's point lies on the orbit of a branch point
/// at the same parameter (within `1e-6`) with the same period (within `1e-4`), or the seed's
/// parameter lies between two consecutive points whose interpolated period matches.
fn passes_through(b: &CycleBranch, seed: &CycleSeed, scale: f64) -> bool {
    b.points.windows(2).any(|w| {
        let (a, c) = (&w[0], &w[1]);
        if (a.p - seed.p) * (c.p - seed.p) > 0.0 || a.p == c.p {
            return false;
        }
        let t = (seed.p - a.p) / (c.p - a.p);
        let period = a.period + t * (c.period - a.period);
        let inside = (0..seed.x0.len()).all(|i| {
            let lo = a.kappa_min[i].min(c.kappa_min[i]) - 1e-3 * scale;
            let hi = a.kappa_max[i].max(c.kappa_max[i]) + 1e-3 * scale;
            (lo..=hi).contains(&seed.x0[i])
        });
        inside && (period / seed.period - 1.0).abs() < 2e-2
    })
}

/// The branch born at a Hopf point, continued away from it: the first orbit is the linear one,
/// `x_H + eps a` with `a` the real part of the critical eigenvector and `T = 2 pi / omega`,
/// corrected with its amplitude along `a` held at `eps = 1e-2 scale`. `None` if the point is not
/// a Hopf point with a nonzero frequency or the first correction fails.
pub fn from_hopf(
    family: &dyn Family,
    hopf: &SpecialPoint,
    opts: &CycleBranchOptions,
) -> Option<CycleBranch> {
    let n = family.rank();
    let omega = hopf
        .eigenvalues
        .iter()
        .min_by(|a, b| a[0].abs().total_cmp(&b[0].abs()))
        .map(|z| z[1].abs())
        .filter(|w| *w > 1e-9)?;
    let (mut f, mut jac) = (vec![0.0; n], vec![0.0; n * n]);
    family.flow_jacobian(hopf.p, &hopf.kappa, &mut f, &mut jac);
    let a = critical_direction(&jac, n, omega)?;
    let mut shooter = Shooter::new(family, n, opts, 1.0);
    let eps = 1e-2 * opts.scale;
    let mut x: Vec<f64> = (0..n).map(|i| hopf.kappa[i] + eps * a[i]).collect();
    x.extend([(std::f64::consts::TAU / omega).ln(), hopf.p]);
    let mut t = a.clone();
    t.extend([0.0, 0.0]);
    let mut start = shooter.correct(&x, &t, &x[..n])?.0;
    start.tangent = shooter.tangent(&start.jacobian, &t)?;
    let period = std::f64::consts::TAU / omega;
    let hopf_point = CyclePoint {
        p: hopf.p,
        period,
        kappa_min: hopf.kappa.clone(),
        kappa_max: hopf.kappa.clone(),
        multipliers: hopf
            .eigenvalues
            .iter()
            .map(|z| complex_exp([z[0] * period, z[1] * period]))
            .collect(),
        stable: start.stable(),
        x0: hopf.kappa.clone(),
    };
    let (mut points, end, special, diverges) = shooter.trace(start);
    points.insert(0, hopf_point);
    Some(CycleBranch {
        points,
        ends: [CycleBranchEnd::Hopf, end],
        special_points: special,
        period_diverges_at: diverges.into_iter().collect(),
        evaluations: shooter.evaluations,
    })
}

/// The branch through a cycle found at `seed.p`, continued in both directions (shot backward in
/// time if the seed is unstable). `None` if the seed does not correct onto a cycle.
pub fn from_cycle(
    family: &dyn Family,
    seed: &CycleSeed,
    opts: &CycleBranchOptions,
) -> Option<CycleBranch> {
    let n = family.rank();
    if seed.x0.len() != n || !(seed.period.is_finite() && seed.period > 0.0) {
        return None;
    }
    let sign = if seed.stable { 1.0 } else { -1.0 };
    let mut shooter = Shooter::new(family, n, opts, sign);
    let mut x = seed.x0.clone();
    x.extend([seed.period.ln(), seed.p]);
    let mut e_p = vec![0.0; n + 2];
    e_p[n + 1] = 1.0;
    let (start, _) = shooter.correct(&x, &e_p, &seed.x0)?;
    let mut halves = Vec::new();
    for direction in [-1.0, 1.0] {
        let mut s = start.clone();
        let reference: Vec<f64> = e_p.iter().map(|e| direction * e).collect();
        s.tangent = shooter.tangent(&s.jacobian, &reference)?;
        halves.push(shooter.trace(s));
    }
    let (forward, forward_end, forward_special, forward_diverges) = halves.pop()?;
    let (mut back, back_end, back_special, back_diverges) = halves.pop()?;
    back.reverse();
    back.pop();
    back.extend(forward);
    Some(CycleBranch {
        points: back,
        ends: [back_end, forward_end],
        special_points: back_special.into_iter().chain(forward_special).collect(),
        period_diverges_at: back_diverges.into_iter().chain(forward_diverges).collect(),
        evaluations: shooter.evaluations,
    })
}

/// The unit real part `a` of an eigenvector `q = a + i b` of `jac` for `i omega`, chosen in the
/// eigenspace so that `|a| >= |b|`: the null vector of `[[J, omega I], [-omega I, J]]` (from
/// `J a = -omega b`, `J b = omega a`) by SVD.
fn critical_direction(jac: &[f64], n: usize, omega: f64) -> Option<Vec<f64>> {
    let (a, b) = critical_eigenvector(jac, n, omega)?;
    // (a, b) and (-b, a) span the eigenspace (q and i q): take the one with the larger real part.
    let a = if norm(&a) >= norm(&b) {
        a
    } else {
        b.iter().map(|x| -x).collect()
    };
    let len = norm(&a);
    (len > 0.0 && len.is_finite()).then(|| a.iter().map(|x| x / len).collect())
}

fn complex_exp(z: Complex) -> Complex {
    let r = z[0].exp();
    [r * z[1].cos(), r * z[1].sin()]
}

/// A corrected orbit on the branch.
#[derive(Clone)]
struct State {
    /// `(x0, ln T, p)`.
    x: Vec<f64>,
    tangent: Vec<f64>,
    /// `[[M - I, s T F, psi], [f_ref^T, 0, 0]]` of the last corrector iteration, row-major
    /// `(n + 1) x (n + 2)`.
    jacobian: Vec<f64>,
    multipliers: Vec<Complex>,
    /// The multipliers without the trivial one.
    nontrivial: Vec<Complex>,
    /// The shooting run (state, monodromy, ...): its first `n` coordinates are the orbit.
    path: Trajectory,
}

impl State {
    fn stable(&self) -> bool {
        self.nontrivial.iter().all(|m| cabs(*m) < 1.0)
    }
}

/// What one shooting run gives at `X`.
struct Linearised {
    jacobian: Vec<f64>,
    residual: Vec<f64>,
    multipliers: Vec<Complex>,
    nontrivial: Vec<Complex>,
    path: Trajectory,
}

struct Shooter<'a> {
    family: &'a dyn Family,
    n: usize,
    opts: &'a CycleBranchOptions,
    /// Time direction of the shooting: `-1` for a branch that starts unstable.
    sign: f64,
    evaluations: usize,
}

impl<'a> Shooter<'a> {
    fn new(family: &'a dyn Family, n: usize, opts: &'a CycleBranchOptions, sign: f64) -> Self {
        Shooter {
            family,
            n,
            opts,
            sign,
            evaluations: 0,
        }
    }

    /// The unit flow direction at `x0`, the normal of the section through it.
    fn section_normal(&mut self, x0: &[f64], p: f64) -> Option<Vec<f64>> {
        let mut f = vec![0.0; self.n];
        self.family.flow(p, x0, &mut f);
        self.evaluations += 1;
        let len = norm(&f);
        (len > 0.0 && len.is_finite()).then(|| f.iter().map(|v| v / len).collect())
    }

    /// One run of the state, monodromy and parameter sensitivity at `x = (x0, ln T, p)`, with
    /// the phase condition on the section through `reference` normal to `normal`.
    fn linearise(&mut self, x: &[f64], reference: &[f64], normal: &[f64]) -> Option<Linearised> {
        let n = self.n;
        let (x0, period, p) = (&x[..n], x[n].exp(), x[n + 1]);
        if !(period.is_finite() && period > 0.0) {
            return None;
        }
        let family = self.family;
        let frozen = AtParameter { family, p };
        let dp = |k: &[f64], f: &mut [f64], jac: &mut [f64], fp: &mut [f64]| {
            family.flow_jacobian_dp(p, k, f, jac, fp)
        };
        let run = variational_run(
            &frozen,
            &[],
            x0,
            self.sign * period,
            self.opts.rtol,
            self.opts.scale,
            Some(&dp),
        );
        // Each right-hand side evaluates F with J, and dF/dp.
        self.evaluations += 2 * run.evaluations;
        if run.stop != Stop::Reached {
            return None;
        }
        let end = run.last_state();
        let (phi, m, log_det, psi) = (
            &end[..n],
            &end[n..n + n * n],
            end[n + n * n],
            &end[n + n * n + 1..],
        );
        let mut f_end = vec![0.0; n];
        family.flow(p, phi, &mut f_end);
        self.evaluations += 1;
        let k = n + 2;
        let mut jacobian = vec![0.0; (n + 1) * k];
        let mut residual = vec![0.0; n + 1];
        for i in 0..n {
            for j in 0..n {
                jacobian[i * k + j] = m[i * n + j] - if i == j { 1.0 } else { 0.0 };
            }
            jacobian[i * k + n] = self.sign * period * f_end[i];
            jacobian[i * k + n + 1] = psi[i];
            jacobian[n * k + i] = normal[i];
            residual[i] = phi[i] - x0[i];
        }
        residual[n] = (0..n).map(|i| normal[i] * (x0[i] - reference[i])).sum();
        let forward = if self.sign > 0.0 {
            m.to_vec()
        } else {
            invert(m, n)?
        };
        let (multipliers, nontrivial) = floquet(&forward, n, self.sign * log_det)?;
        Some(Linearised {
            jacobian,
            residual,
            multipliers,
            nontrivial,
            path: run,
        })
    }

    /// Newton corrector onto the branch within `t . (X - X_pred) = 0`, with the phase condition
    /// on the section through `reference` (normal to the flow there). Iterations accept an update
    /// below `1e-8` relative (the error is then of its square, below the integration's), taking
    /// the orbit from the run before it; steps are limited to a quarter of the scale in `x0` and
    /// to `0.5` in `ln T`. Returns the state (tangent not yet set) and the iterations used.
    fn correct(&mut self, pred: &[f64], t: &[f64], reference: &[f64]) -> Option<(State, usize)> {
        let (n, k) = (self.n, self.n + 2);
        let normal = self.section_normal(reference, pred[n + 1])?;
        let mut x = pred.to_vec();
        for it in 1..=10 {
            let lin = self.linearise(&x, reference, &normal)?;
            let mut rhs: Vec<f64> = lin.residual.iter().map(|v| -v).collect();
            rhs.push(-(0..k).map(|i| t[i] * (x[i] - pred[i])).sum::<f64>());
            let mut a = lin.jacobian.clone();
            a.extend_from_slice(t);
            if !solve_in_place(&mut a, &mut rhs, k) {
                return None;
            }
            let dx = norm(&rhs[..n]);
            let limit = (0.25 * self.opts.scale / dx)
                .min(0.5 / rhs[n].abs())
                .min(1.0);
            for i in 0..k {
                x[i] += limit * rhs[i];
            }
            if !x.iter().all(|v| v.is_finite()) {
                return None;
            }
            let change = norm(&rhs) * limit;
            if limit == 1.0 && (change <= 1e-7 * (1.0 + norm(&x)) || (it >= 7 && change < 1e-6)) {
                let state = State {
                    x,
                    tangent: Vec::new(),
                    jacobian: lin.jacobian,
                    multipliers: lin.multipliers,
                    nontrivial: lin.nontrivial,
                    path: lin.path,
                };
                return Some((state, it));
            }
        }
        None
    }

    /// Unit tangent with `t . reference > 0`: solves `[[A], [reference^T]] t = e_last`.
    fn tangent(&self, jacobian: &[f64], reference: &[f64]) -> Option<Vec<f64>> {
        let k = self.n + 2;
        let mut a = jacobian.to_vec();
        a.extend_from_slice(reference);
        let mut rhs = vec![0.0; k];
        rhs[k - 1] = 1.0;
        if !solve_in_place(&mut a, &mut rhs, k) {
            return None;
        }
        let len = norm(&rhs);
        (len > 0.0 && len.is_finite()).then(|| rhs.iter().map(|v| v / len).collect())
    }

    /// The corrected state at arclength `sigma` from `from` along its tangent, its tangent
    /// oriented by `from`'s.
    fn state_at(&mut self, from: &State, sigma: f64) -> Option<(State, usize)> {
        let pred = along(&from.x, &from.tangent, sigma);
        let (mut s, it) = self.correct(&pred, &from.tangent, &from.x[..self.n])?;
        s.tangent = self.tangent(&s.jacobian, &from.tangent)?;
        Some((s, it))
    }

    fn point(&self, s: &State) -> CyclePoint {
        let n = self.n;
        let (kappa_min, kappa_max) = bounding_box_by(s.path.len(), n, |k, d| s.path.state(k)[d]);
        CyclePoint {
            p: s.x[n + 1],
            period: s.x[n].exp(),
            kappa_min,
            kappa_max,
            multipliers: s.multipliers.clone(),
            stable: s.stable(),
            x0: s.x[..n].to_vec(),
        }
    }

    /// One direction of a branch from `start` (tangent set): its points, how it ends, the special
    /// points on it, and where its period diverges if it does.
    fn trace(
        &mut self,
        start: State,
    ) -> (
        Vec<CyclePoint>,
        CycleBranchEnd,
        Vec<CycleSpecialPoint>,
        Option<f64>,
    ) {
        let (n, opts) = (self.n, self.opts);
        let first_period = start.x[n].exp();
        let mut points = vec![self.point(&start)];
        let mut special = Vec::new();
        let mut cur = start;
        let mut ds = opts.ds;
        let end = loop {
            if points.len() >= opts.max_points {
                break CycleBranchEnd::PointCap;
            }
            if self.evaluations >= opts.max_evaluations {
                break CycleBranchEnd::Budget;
            }
            if opts.cancel.as_ref().is_some_and(Cancel::requested) {
                break CycleBranchEnd::Cancelled;
            }
            let Some((next, iterations)) = self.step(&cur, ds) else {
                ds *= 0.5;
                if ds < opts.ds_min {
                    break if period_growing(&points, 5.0 * first_period) {
                        CycleBranchEnd::PeriodDiverges
                    } else {
                        CycleBranchEnd::StepTooSmall
                    };
                }
                continue;
            };
            for (kind, root) in self.detect(&cur, &next, ds) {
                let p = root.x[n + 1];
                if (opts.p_min..=opts.p_max).contains(&p) {
                    special.push(CycleSpecialPoint {
                        kind,
                        p,
                        period: root.x[n].exp(),
                        x0: root.x[..n].to_vec(),
                        multipliers: root.multipliers,
                    });
                }
            }
            let p = next.x[n + 1];
            if p < opts.p_min || p > opts.p_max {
                let bound = p.clamp(opts.p_min, opts.p_max);
                if let Some(last) = self.at_bound(&cur, &next, bound) {
                    points.push(self.point(&last));
                }
                break CycleBranchEnd::RangeEnd;
            }
            let point = self.point(&next);
            if passed_a_hopf_point(&points, &point, opts.scale) {
                break CycleBranchEnd::Hopf;
            }
            let collapsed = amplitude(&point) < 1e-4 * opts.scale;
            points.push(point);
            if collapsed {
                break CycleBranchEnd::Hopf;
            }
            if next.x[n].exp() > opts.period_growth * first_period
                || stalled(&points, 3.0 * first_period, opts.p_max - opts.p_min)
            {
                break CycleBranchEnd::PeriodDiverges;
            }
            cur = next;
            ds = if iterations <= 3 {
                (1.3 * ds).min(opts.ds_max)
            } else {
                (0.7 * ds).max(opts.ds_min)
            };
        };
        // Where the fit has no root ahead (a homoclinic end, whose last points stand still in
        // `p` to rounding), the last point is within `~exp(-lambda T)` of `p*`.
        let diverges = (end == CycleBranchEnd::PeriodDiverges)
            .then(|| divergence(&points).or_else(|| points.last().map(|q| q.p)))
            .flatten();
        (points, end, special, diverges)
    }

    /// Predictor-corrector step; rejects corrections whose tangent turns by more than 0.3 rad.
    fn step(&mut self, cur: &State, ds: f64) -> Option<(State, usize)> {
        let (next, iterations) = self.state_at(cur, ds)?;
        let cos: f64 = next
            .tangent
            .iter()
            .zip(&cur.tangent)
            .map(|(a, b)| a * b)
            .sum();
        if cos < 0.3f64.cos() && ds > self.opts.ds_min {
            return None;
        }
        Some((next, iterations))
    }

    /// The orbit at the parameter bound `p` crossed between `a` and `b`: corrected with `p`
    /// held, from the linear interpolation.
    fn at_bound(&mut self, a: &State, b: &State, p: f64) -> Option<State> {
        let n = self.n;
        let (pa, pb) = (a.x[n + 1], b.x[n + 1]);
        let t = ((p - pa) / (pb - pa)).clamp(0.0, 1.0);
        let pred = lerp(&a.x[..n + 2], &b.x[..n + 2], t);
        let mut e_p = vec![0.0; n + 2];
        e_p[n + 1] = 1.0;
        self.correct(&pred, &e_p, &a.x[..n]).map(|(s, _)| s)
    }

    /// Fold of cycles, period doubling, torus (module documentation).
    fn tests(&self, s: &State) -> [f64; 3] {
        let mu = &s.nontrivial;
        let doubling = mu
            .iter()
            .fold([1.0, 0.0], |acc, m| cmul(acc, [1.0 + m[0], m[1]]))[0];
        let torus = pair_product(mu, |a, b| {
            let m = cmul(a, b);
            [m[0] - 1.0, m[1]]
        });
        [s.tangent[self.n + 1], doubling, torus]
    }

    /// Special points between `a` and `b` (`b` at arclength `ds` from `a`), located.
    fn detect(&mut self, a: &State, b: &State, ds: f64) -> Vec<(CycleSpecialKind, State)> {
        let (ta, tb) = (self.tests(a), self.tests(b));
        let mut found = Vec::new();
        for k in 0..3 {
            if ta[k] * tb[k] >= 0.0 {
                continue;
            }
            let root = illinois([0.0, ds], [ta[k], tb[k]], |sigma| {
                let (s, _) = self.state_at(a, sigma)?;
                Some((self.tests(&s)[k], s))
            });
            let Some(root) = root else { continue };
            let on_circle = |m: &Complex| (cabs(*m) - 1.0).abs() < 1e-3;
            let kind = match k {
                0 => Some(CycleSpecialKind::FoldOfCycles),
                1 => root
                    .nontrivial
                    .iter()
                    .any(|m| m[1].abs() < 1e-6 && (m[0] + 1.0).abs() < 1e-3)
                    .then_some(CycleSpecialKind::PeriodDoubling),
                _ => root
                    .nontrivial
                    .iter()
                    .any(|m| m[1].abs() > 1e-6 && on_circle(m))
                    .then_some(CycleSpecialKind::Torus),
            };
            if let Some(kind) = kind {
                found.push((kind, root));
            }
        }
        found
    }
}

/// The multipliers of the forward monodromy `m` (all, and without the trivial one: the eigenvalue
/// nearest 1). For rank 2 the nontrivial one is `exp(ln det M)`, exact even when `M` is nearly
/// singular (Liouville), and stands in for the computed one.
fn floquet(m: &[f64], n: usize, log_det: f64) -> Option<(Vec<Complex>, Vec<Complex>)> {
    let mut all = eigenvalues(m, n)?;
    let trivial = (0..all.len()).min_by(|&a, &b| {
        cabs([all[a][0] - 1.0, all[a][1]]).total_cmp(&cabs([all[b][0] - 1.0, all[b][1]]))
    })?;
    if n == 2 {
        all[1 - trivial] = [log_det.exp(), 0.0];
    }
    let nontrivial = (0..all.len())
        .filter(|&i| i != trivial)
        .map(|i| all[i])
        .collect();
    Some((all, nontrivial))
}

/// The largest extent of the orbit over the coordinates.
fn amplitude(p: &CyclePoint) -> f64 {
    p.kappa_max
        .iter()
        .zip(&p.kappa_min)
        .map(|(hi, lo)| hi - lo)
        .fold(0.0, f64::max)
}

/// Whether the branch went through a Hopf point between its last point and `next`: in
/// `(x0, ln T, p)` the branch of a family of shrinking cycles passes through the Hopf point and
/// comes back as the same cycles (with `x0` on the other side of the fixed point), so the
/// amplitude has a minimum below 5% of the branch's largest and of the scale.
fn passed_a_hopf_point(points: &[CyclePoint], next: &CyclePoint, scale: f64) -> bool {
    let [.., before, last] = points else {
        return false;
    };
    let (a, b, c) = (amplitude(before), amplitude(last), amplitude(next));
    let largest = points.iter().map(amplitude).fold(0.0, f64::max);
    b < a && b < c && b < 0.05 * largest && b < 0.05 * scale
}

/// Whether the period rose over the last three points to above `above`.
fn period_growing(points: &[CyclePoint], above: f64) -> bool {
    let k = points.len();
    k >= 3
        && points[k - 1].period > above
        && points[k - 1].period > points[k - 2].period
        && points[k - 2].period > points[k - 3].period
}

/// Whether the parameter stood still (within `1e-5` of `range`) over the last eight points while
/// the period grew past `above` at every one of them: the approach to a homoclinic orbit, where
/// `T ~ -ln|p - p*| / lambda` grows by steps while `p` converges exponentially.
fn stalled(points: &[CyclePoint], above: f64, range: f64) -> bool {
    const RUN: usize = 8;
    let k = points.len();
    if k < RUN {
        return false;
    }
    let tail = &points[k - RUN..];
    tail[0].period > above
        && tail.windows(2).all(|w| w[1].period > w[0].period)
        && (tail[RUN - 1].p - tail[0].p).abs() < 1e-5 * range.abs()
}

/// Where the period diverges: `p*` of the fit `T = A |p* - p|^(-1/2) + B` to the last (up to)
/// six points, ahead of the last one in the direction the branch was travelling (see
/// [`CycleBranch::period_diverges_at`]); `None` when no such fit has `A > 0`.
///
/// Why this law: near a SNIC the orbit spends `pi / sqrt(a (p - p*))` in the bottleneck of the
/// saddle-node being born and a time `B` of order one elsewhere. With `B` in the model the
/// estimate stays good from periods a few times the start: a polynomial in `1 / T^2` has no
/// room for `B` (its expansion has powers of `sqrt(p - p*)`), and missed `p*` by `~1e-3` at
/// twelve times. `(A, B)` are linear least squares in relative error for each `p*`, and `p*` is
/// the best of a scan over nine decades of distance, refined by golden sections.
fn divergence(points: &[CyclePoint]) -> Option<f64> {
    let tail = &points[points.len().saturating_sub(6)..];
    if tail.len() < 3 {
        return None;
    }
    let (first, last) = (tail[0].p, tail[tail.len() - 1].p);
    let spread = (last - first).abs();
    if !spread.is_finite() || spread <= 0.0 {
        return None;
    }
    let ahead = (last - first).signum();
    // The relative misfit and `A` with `p* = last + ahead * spread * 10^e`.
    let fit = |e: f64| -> (f64, f64) {
        let star = last + ahead * spread * 10f64.powf(e);
        let (mut s11, mut s12, mut s22, mut b1, mut b2) = (0.0, 0.0, 0.0, 0.0, 0.0);
        let rows: Vec<(f64, f64)> = tail
            .iter()
            .map(|q| ((star - q.p).abs().powf(-0.5) / q.period, 1.0 / q.period))
            .collect();
        for &(u, w) in &rows {
            s11 += u * u;
            s12 += u * w;
            s22 += w * w;
            b1 += u;
            b2 += w;
        }
        let det = s11 * s22 - s12 * s12;
        let (a, b) = ((b1 * s22 - b2 * s12) / det, (s11 * b2 - s12 * b1) / det);
        let misfit: f64 = rows
            .iter()
            .map(|&(u, w)| (a * u + b * w - 1.0).powi(2))
            .sum();
        (
            if misfit.is_finite() {
                misfit
            } else {
                f64::INFINITY
            },
            a,
        )
    };
    const LOWEST: f64 = -6.0;
    const STEP: f64 = 0.1;
    let best = (0..=90)
        .map(|k| LOWEST + STEP * k as f64)
        .min_by(|x, y| fit(*x).0.total_cmp(&fit(*y).0))?;
    let (mut lo, mut hi) = (best - STEP, best + STEP);
    let golden = 0.5 * (5f64.sqrt() - 1.0);
    for _ in 0..40 {
        let (c, d) = (hi - golden * (hi - lo), lo + golden * (hi - lo));
        if fit(c).0 < fit(d).0 {
            hi = d;
        } else {
            lo = c;
        }
    }
    let e = 0.5 * (lo + hi);
    (fit(e).1 > 0.0).then(|| last + ahead * spread * 10f64.powf(e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::continuation::{ContinuationOptions, InputFamily, continue_from_rect};
    use crate::analysis::linalg::dist;
    use crate::analysis::test_systems::{GeneralisedHopf, Hopf, Snic};
    use crate::reduced::ReducedSystem;
    use std::f64::consts::TAU;

    fn family(sys: &dyn ReducedSystem) -> InputFamily<'_> {
        InputFamily {
            sys,
            v0: vec![0.0],
            direction: vec![1.0],
        }
    }

    fn hopf_branches(sys: &dyn ReducedSystem, range: [f64; 2], p0: f64) -> Vec<CycleBranch> {
        branches(&family(sys), range, p0)
    }

    /// The cycle branches of `family` over `range` from the fixed points at `p0`.
    fn branches(family: &InputFamily, range: [f64; 2], p0: f64) -> Vec<CycleBranch> {
        let rect = Rect::new(-2.0, 2.0, -2.0, 2.0);
        let d = continue_from_rect(
            family,
            p0,
            &rect,
            &ContinuationOptions::new(range[0], range[1], TimeModel::Ode),
        );
        cycle_branches(
            family,
            &d,
            &[],
            &CycleBranchOptions::new(range[0], range[1]),
        )
    }

    /// The nontrivial multiplier of a rank-2 cycle: the product of both (the trivial one is 1).
    fn nontrivial(q: &CyclePoint) -> f64 {
        assert!(q.multipliers.iter().all(|m| m[1] == 0.0));
        q.multipliers[0][0] * q.multipliers[1][0]
    }

    fn radius(q: &CyclePoint) -> f64 {
        0.5 * (q.kappa_max[0] - q.kappa_min[0])
    }

    #[test]
    fn the_hopf_branch_has_the_normal_form_radius_period_and_multiplier() {
        let omega = 1.3;
        let sys = Hopf {
            mu: 0.0,
            omega,
            sign: 1.0,
        };
        let branches = hopf_branches(&sys, [-1.0, 1.0], -0.5);
        assert_eq!(branches.len(), 1);
        let b = &branches[0];
        assert_eq!(b.ends, [CycleBranchEnd::Hopf, CycleBranchEnd::RangeEnd]);
        assert!(b.points[0].p.abs() < 1e-8);
        assert!((b.points.last().unwrap().p - 1.0).abs() < 1e-12);
        let period = TAU / omega;
        for q in &b.points[1..] {
            assert!(q.p > 0.0 && q.stable, "{q:?}");
            assert!((radius(q) - q.p.sqrt()).abs() < 1e-6, "{q:?}");
            assert!((q.period / period - 1.0).abs() < 1e-7, "{q:?}");
            let mu = (-2.0 * q.p * period).exp();
            let computed = nontrivial(q);
            assert!((computed / mu - 1.0).abs() < 1e-6, "{computed} vs {mu}");
        }
        assert!(b.special_points.is_empty());
    }

    #[test]
    fn a_withdrawn_computation_ends_its_branch_at_the_step_it_is_asked() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let sys = Hopf {
            mu: 0.0,
            omega: 1.3,
            sign: 1.0,
        };
        let family = family(&sys);
        let d = continue_from_rect(
            &family,
            -0.5,
            &Rect::new(-2.0, 2.0, -2.0, 2.0),
            &ContinuationOptions::new(-1.0, 1.0, TimeModel::Ode),
        );
        let asked = Arc::new(AtomicUsize::new(0));
        let counter = asked.clone();
        let opts = CycleBranchOptions {
            cancel: Some(Cancel::new(move || {
                counter.fetch_add(1, Ordering::Relaxed) >= 5
            })),
            ..CycleBranchOptions::new(-1.0, 1.0)
        };
        let b = &cycle_branches(&family, &d, &[], &opts)[0];
        assert_eq!(b.ends, [CycleBranchEnd::Hopf, CycleBranchEnd::Cancelled]);
        // The Hopf point, the first corrected cycle and the five steps before the sixth question.
        assert_eq!(b.points.len(), 1 + 6);
        assert_eq!(asked.load(Ordering::Relaxed), 6);
    }

    #[test]
    fn the_bautin_branch_folds_at_the_known_point_and_changes_stability_there() {
        let omega = 1.0;
        // r' = r (m + r^2 - r^4): the generalised Hopf normal form at b2 = 1.
        let sys = GeneralisedHopf { omega };
        let family = InputFamily {
            sys: &sys,
            v0: vec![0.0, 1.0],
            direction: vec![1.0, 0.0],
        };
        let branches = branches(&family, [-0.5, 0.5], 0.3);
        assert_eq!(branches.len(), 1);
        let b = &branches[0];
        let folds: Vec<_> = b
            .special_points
            .iter()
            .filter(|s| s.kind == CycleSpecialKind::FoldOfCycles)
            .collect();
        assert_eq!(folds.len(), 1, "{:?}", b.special_points);
        assert!((folds[0].p + 0.25).abs() < 1e-7, "{}", folds[0].p);
        assert!((norm(&folds[0].x0) - 0.5f64.sqrt()).abs() < 1e-5);
        let period = TAU / omega;
        for q in &b.points[1..] {
            let r2 = norm(&q.x0).powi(2);
            let on_curve = q.p + r2 - r2 * r2;
            assert!(on_curve.abs() < 1e-6, "{q:?}");
            assert_eq!(q.stable, r2 > 0.5 + 1e-6, "{q:?}");
            let mu = (period * (q.p + 3.0 * r2 - 5.0 * r2 * r2)).exp();
            let computed = nontrivial(q);
            assert!(
                (computed / mu - 1.0).abs() < 1e-5,
                "{computed} vs {mu} at {q:?}"
            );
        }
        assert_eq!(b.ends[1], CycleBranchEnd::RangeEnd);
    }

    #[test]
    fn the_snic_branch_reports_its_diverging_period_where_the_saddle_node_is_born() {
        let sys = Snic;
        let family = family(&sys);
        let (seeds, _) = seeds_at(&family, &[2.0]);
        assert_eq!(seeds.len(), 1);
        let seed = &seeds[0];
        let b = from_cycle(&family, seed, &CycleBranchOptions::new(0.0, 3.0)).unwrap();
        assert_eq!(
            b.ends,
            [CycleBranchEnd::PeriodDiverges, CycleBranchEnd::RangeEnd]
        );
        for q in &b.points {
            let exact = TAU / (q.p * q.p - 1.0).sqrt();
            assert!((q.period / exact - 1.0).abs() < 1e-6, "{q:?} vs {exact}");
        }
        // Continued to the period cap, 20 times the seed's.
        assert!(b.points.iter().any(|q| q.period > 15.0 * seed.period));
        assert_eq!(b.period_diverges_at.len(), 1);
        assert!(
            (b.period_diverges_at[0] - 1.0).abs() < 1e-4,
            "{:?}",
            b.period_diverges_at
        );
    }

    #[test]
    fn the_divergence_is_the_snic_laws_p_star_on_both_sides() {
        let point = |p: f64, period: f64| CyclePoint {
            p,
            period,
            kappa_min: vec![0.0; 2],
            kappa_max: vec![1.0; 2],
            multipliers: Vec::new(),
            stable: true,
            x0: vec![0.0; 2],
        };
        // T = 3 / sqrt(|p* - p|) + 7, approached from above and from below, points spaced as a
        // branch spaces them (geometrically closer to p*).
        for (star, side) in [(0.3333, 1.0), (-1.25, -1.0)] {
            let points: Vec<CyclePoint> = (0..10)
                .map(|k| {
                    let d = 0.05 * 0.8f64.powi(k);
                    point(star + side * d, 3.0 / d.sqrt() + 7.0)
                })
                .collect();
            let found = divergence(&points).unwrap();
            assert!((found - star).abs() < 1e-9, "{found} vs {star}");
        }
        // A period that does not diverge ahead (falling): no fit with A > 0.
        let falling: Vec<CyclePoint> = (0..6)
            .map(|k| point(0.1 * k as f64, 10.0 - k as f64))
            .collect();
        assert_eq!(divergence(&falling), None);
    }

    #[test]
    fn a_seed_on_a_known_branch_adds_no_branch() {
        let sys = Hopf {
            mu: 0.0,
            omega: 1.0,
            sign: 1.0,
        };
        let family = family(&sys);
        let rect = Rect::new(-2.0, 2.0, -2.0, 2.0);
        let d = continue_from_rect(
            &family,
            -0.5,
            &rect,
            &ContinuationOptions::new(-1.0, 1.0, TimeModel::Ode),
        );
        let seed = CycleSeed {
            p: 0.49,
            x0: vec![0.7, 0.0],
            period: TAU,
            stable: true,
        };
        let opts = CycleBranchOptions::new(-1.0, 1.0);
        assert_eq!(
            cycle_branches(&family, &d, std::slice::from_ref(&seed), &opts).len(),
            1
        );
        // Alone, the seed gives the same branch, both ways: down to the Hopf point, up to 1.
        let b = from_cycle(&family, &seed, &opts).unwrap();
        assert_eq!(b.ends, [CycleBranchEnd::Hopf, CycleBranchEnd::RangeEnd]);
        assert!(b.points[0].p < 1e-3);
        assert!(dist(&b.points.last().unwrap().x0, &[0.0, 0.0]) > 0.9);
    }
}
