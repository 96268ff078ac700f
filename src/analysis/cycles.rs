//! Limit cycles of the ODE (MODEL.md 1), and what they share with the map's invariant closed
//! curves ([`super::invariant_curves`]): the [`Cycle`] record, the options, the seeds.
//!
//! In the plane every periodic orbit encloses a fixed point that is not a saddle. So for each
//! such point `c` a half-line `{c + s d : s > 0}` serves as Poincare section, and trajectories are
//! run from near `c` (forward if `c` is unstable: they spiral out onto a stable cycle around it;
//! backward if stable: onto an unstable one) and from far out along the section (forward and
//! backward: the outer cycles). Successive returns to the section that agree (or whose Aitken
//! extrapolation converges) give a point and period guess, which [`shoot`] refines by Newton on
//! `phi_T(x0) - x0 = 0` with the phase condition `n . (x0 - c) = 0`, the monodromy matrix from the
//! variational equations `Phi' = J Phi` and the nontrivial Floquet multiplier (rank 2) from
//! Liouville's formula `det M = exp(int_0^T tr J dt)`, exact to the integration tolerance even
//! when `M` is nearly singular. Cycles found backward (unstable ones) are shot in backward time,
//! where they attract and the Newton system is well conditioned.
//!
//! Every search is capped (returns, steps, and a total evaluation budget).

use serde::Serialize;

use super::Rect;
use super::fixed_points::{FixedPoint, FixedPointKind};
use super::integrate::{Crossing, Event, EventHit, OdeOptions, Stop, dopri5, ode_rhs};
use super::linalg::{cabs, dist, eigenvalues, invert, norm, solve_in_place};
use crate::reduced::ReducedSystem;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CycleKind {
    /// A periodic orbit of the ODE.
    LimitCycle,
    /// An invariant closed curve of the Euler map.
    InvariantCurve,
}

/// A closed orbit (ODE) or invariant closed curve (map).
#[derive(Debug, Clone, Serialize)]
pub struct Cycle {
    pub kind: CycleKind,
    /// Period in units of tau (map: rotation period in steps times alpha).
    pub period_tau: f64,
    /// Map only: rotation period in steps, `2 pi / rho` with `rho` the rotation number, the mean
    /// angle turned per step (weighted Birkhoff mean, [`super::invariant_curves`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period_steps: Option<f64>,
    pub stable: bool,
    pub kappa_min: Vec<f64>,
    pub kappa_max: Vec<f64>,
    /// ODE: the nontrivial Floquet multiplier (largest modulus for rank > 2); map: `None`.
    pub floquet: Option<f64>,
    /// The closed curve (first point not repeated at the end).
    pub points: Vec<Vec<f64>>,
    /// The enclosed fixed point whose half-line was the section.
    pub center: Vec<f64>,
}

/// A periodic orbit refined by [`shoot`].
#[derive(Debug, Clone)]
pub struct Orbit {
    /// Point of the orbit on the section.
    pub x0: Vec<f64>,
    pub period: f64,
    /// Monodromy matrix `dphi_T/dx0`, row-major.
    pub monodromy: Vec<f64>,
    /// `int_0^T tr J dt = ln det M`.
    pub log_det: f64,
    /// `|phi_T(x0) - x0|` of the last integration.
    pub residual: f64,
    /// Dense samples of one period.
    pub path: Vec<Vec<f64>>,
    pub evaluations: usize,
}

impl Orbit {
    /// The nontrivial Floquet multiplier: `det M` for rank 2; otherwise, of the eigenvalues of
    /// `M` without the one nearest 1, the largest modulus.
    pub fn floquet(&self) -> f64 {
        let n = self.x0.len();
        if n == 2 {
            return self.log_det.exp();
        }
        let Some(mut mus) = eigenvalues(&self.monodromy, n) else {
            return f64::NAN;
        };
        if let Some(k) = (0..mus.len()).min_by(|&a, &b| {
            cabs([mus[a][0] - 1.0, mus[a][1]]).total_cmp(&cabs([mus[b][0] - 1.0, mus[b][1]]))
        }) {
            mus.remove(k);
        }
        mus.iter().map(|m| cabs(*m)).fold(0.0, f64::max)
    }
}

/// Tolerances and caps of the cycle searches.
#[derive(Debug, Clone)]
pub struct CycleOptions {
    /// Relative tolerance of the search trajectories.
    pub search_rtol: f64,
    /// Relative tolerance of the final shooting integrations.
    pub rtol: f64,
    /// Two returns closer than this fraction of the diagonal start shooting.
    pub detect: f64,
    /// Returns to the section per search before giving up.
    pub max_returns: usize,
    /// Steps per search trajectory.
    pub max_steps: usize,
    /// Searches stop outside the rectangle grown by this fraction.
    pub margin: f64,
    /// Start offset from a fixed point, as a fraction of the diagonal.
    pub seed_offset: f64,
    /// Orbits closer than this fraction of the diagonal to their centre are ignored.
    pub min_radius: f64,
    /// Total evaluation budget of a search over all seeds.
    pub max_evaluations: usize,
    /// Map: iterations per search.
    pub max_iterations: usize,
    /// Map: iterations of transient before an invariant curve is sampled, and iterations kept to
    /// draw it (its rotation is measured over at least 20 turns, and at least this many steps).
    pub curve_points: usize,
}

impl Default for CycleOptions {
    fn default() -> Self {
        CycleOptions {
            search_rtol: 1e-6,
            rtol: 1e-10,
            detect: 1e-3,
            max_returns: 60,
            max_steps: 4000,
            margin: 0.5,
            seed_offset: 1e-2,
            min_radius: 1e-4,
            max_evaluations: 200_000,
            max_iterations: 20_000,
            curve_points: 800,
        }
    }
}

/// A Poincare section: the hyperplane `normal . (x - anchor) = 0`.
#[derive(Debug, Clone, Copy)]
pub struct Section<'a> {
    pub anchor: &'a [f64],
    pub normal: &'a [f64],
}

/// A starting guess for [`shoot`].
#[derive(Debug, Clone, Copy)]
pub struct Guess<'a> {
    pub x0: &'a [f64],
    pub period: f64,
    /// Shoot in backward time: right for unstable cycles, whose forward monodromy can be huge
    /// (backward they are attracting and the Newton system well conditioned).
    pub backward: bool,
}

/// Newton shooting for a periodic orbit from a guess `(x0, period)`, with the phase condition
/// that `x0` lies on `section`.
///
/// Unknowns `(x0, T)`, residual `(phi_{sT}(x0) - x0, normal . (x0 - anchor))` with `s = +-1` the
/// time direction, Jacobian `[[M - I, s F(phi_{sT}(x0))], [normal^T, 0]]`. The reported monodromy
/// and `ln det M` are those of forward time (inverted / negated after a backward run). The state,
/// `Phi` and `int tr J` are integrated
/// together; iterations run at `rtol = 1e-7` until the update is below `1e-5` (relative), then at
/// `opts.rtol` until it is below `1e-8` (`1e-7` after 12 iterations). Newton converges
/// quadratically, so after such an update the error is of the order of its square, far below the
/// integration error: the orbit is accepted without another run (about half the cost), its path and
/// monodromy taken from the run just before the update (which moved `x0` by that `1e-8`). Steps
/// are limited to a quarter of `scale` in `x0` and to halving or doubling `T`. `None` if it does
/// not converge within 20 iterations or a run fails.
pub fn shoot(
    sys: &dyn ReducedSystem,
    v: &[f64],
    guess: Guess<'_>,
    section: Section<'_>,
    scale: f64,
    opts: &CycleOptions,
) -> Option<Orbit> {
    let (n, period) = (guess.x0.len(), guess.period);
    let sign = if guess.backward { -1.0 } else { 1.0 };
    let mut x = guess.x0.to_vec();
    let mut t_period = period;
    let mut fine = false;
    let mut evaluations = 0;
    if !(period.is_finite() && period > 0.0) {
        return None;
    }
    for iteration in 0..20 {
        let rtol = if fine { opts.rtol } else { 1e-7 };
        let run = variational_run(sys, v, &x, sign * t_period, rtol, scale, None);
        evaluations += run.evaluations;
        if run.stop != Stop::Reached {
            return None;
        }
        let end = run.last_state();
        let (x_t, m, log_det) = (&end[..n], &end[n..n + n * n], end[n + n * n]);
        let residual: Vec<f64> = (0..n).map(|i| x_t[i] - x[i]).collect();
        let mut f_t = vec![0.0; n];
        sys.flow(x_t, v, &mut f_t);
        evaluations += 1;
        let k = n + 1;
        let mut a = vec![0.0; k * k];
        let mut rhs = vec![0.0; k];
        for i in 0..n {
            for j in 0..n {
                a[i * k + j] = m[i * n + j] - if i == j { 1.0 } else { 0.0 };
            }
            a[i * k + n] = sign * f_t[i];
            a[n * k + i] = section.normal[i];
            rhs[i] = -residual[i];
        }
        rhs[n] = -(0..n)
            .map(|i| section.normal[i] * (x[i] - section.anchor[i]))
            .sum::<f64>();
        if !solve_in_place(&mut a, &mut rhs, k) {
            return None;
        }
        let dx = norm(&rhs[..n]);
        let limit = if dx > 0.25 * scale {
            0.25 * scale / dx
        } else {
            1.0
        };
        let dt = (rhs[n] * limit).clamp(-0.5 * t_period, t_period);
        for i in 0..n {
            x[i] += limit * rhs[i];
        }
        t_period += dt;
        let change = (dx * limit / scale).max(dt.abs() / t_period);
        // Late in the iteration accept a looser update: the integration tolerance can keep the
        // updates from falling below 1e-8 on stiff or large systems.
        if fine && (change < 1e-8 || (iteration >= 12 && change < 1e-7)) {
            let path = (0..run.len()).map(|i| run.state(i)[..n].to_vec()).collect();
            let monodromy = if guess.backward {
                invert(m, n)?
            } else {
                m.to_vec()
            };
            return Some(Orbit {
                x0: x,
                period: t_period,
                monodromy,
                log_det: sign * log_det,
                residual: norm(&residual),
                path,
                evaluations,
            });
        }
        fine |= change < 1e-5;
    }
    None
}

/// `(f, jac, fp) = (F, dF/dx, dF/dp)` at a state, for the parameter sensitivity of
/// [`variational_run`] (one call for all three: [`super::continuation::Family::flow_jacobian_dp`]).
pub(super) type FlowDp<'a> = &'a dyn Fn(&[f64], &mut [f64], &mut [f64], &mut [f64]);

/// `x' = F`, `Phi' = J Phi` (`Phi(0) = I`) and `s' = tr J` from `x` over `t in [0, t_end]`, and,
/// when `flow_dp` gives `F`, `J` and `dF/dp`, the parameter sensitivity `psi' = J psi + F_p` (`psi(0) = 0`,
/// `psi = dx/dp`) after them: the state is `(x, Phi, s[, psi])`.
pub(super) fn variational_run(
    sys: &dyn ReducedSystem,
    v: &[f64],
    x: &[f64],
    t_end: f64,
    rtol: f64,
    scale: f64,
    flow_dp: Option<FlowDp<'_>>,
) -> super::integrate::Trajectory {
    let n = x.len();
    let mut y0 = x.to_vec();
    y0.extend((0..n * n).map(|k| if k / n == k % n { 1.0 } else { 0.0 }));
    y0.push(0.0);
    if flow_dp.is_some() {
        y0.extend(std::iter::repeat_n(0.0, n));
    }
    let (mut f, mut jac, mut fp) = (vec![0.0; n], vec![0.0; n * n], vec![0.0; n]);
    let rhs = |_t: f64, y: &[f64], out: &mut [f64]| {
        match flow_dp {
            Some(all) => all(&y[..n], &mut f, &mut jac, &mut fp),
            None => sys.flow_jacobian(&y[..n], v, &mut f, &mut jac),
        }
        out[..n].copy_from_slice(&f);
        let phi = &y[n..n + n * n];
        for i in 0..n {
            for j in 0..n {
                out[n + i * n + j] = (0..n).map(|l| jac[i * n + l] * phi[l * n + j]).sum();
            }
        }
        out[n + n * n] = (0..n).map(|i| jac[i * n + i]).sum();
        if flow_dp.is_some() {
            let (psi, at) = (&y[n + n * n + 1..], n + n * n + 1);
            for i in 0..n {
                out[at + i] = fp[i] + (0..n).map(|l| jac[i * n + l] * psi[l]).sum::<f64>();
            }
        }
    };
    // The absolute tolerance matches the relative one at unit scale: a hundredth of it cost a fifth
    // more steps, and the Hopf and van der Pol tests' periods, radii and Floquet multipliers stay
    // within 1e-10 of the closed forms without it. The dense points, free, give the drawn orbit
    // and its bounding box (parabola-refined, error O(h^3) in the sample spacing) their resolution.
    let opts = OdeOptions {
        rtol,
        atol: rtol * scale.min(1.0),
        max_steps: 50_000,
        dense_points: 8,
        ..OdeOptions::default()
    };
    dopri5(rhs, 0.0, &y0, t_end, &opts, None)
}

/// Sections and seeds around each fixed point that can be enclosed by a closed orbit.
pub(super) struct Seeds {
    pub center: [f64; 2],
    /// Unit direction of the section half-line.
    pub dir: [f64; 2],
    /// `(start, backward)` pairs.
    pub starts: Vec<([f64; 2], bool)>,
}

pub(super) fn seeds(rect: &Rect, fixed_points: &[FixedPoint], opts: &CycleOptions) -> Vec<Seeds> {
    fixed_points
        .iter()
        .filter(|fp| {
            !matches!(
                fp.kind,
                FixedPointKind::Saddle | FixedPointKind::Degenerate | FixedPointKind::Center
            ) && rect.contains(&fp.kappa)
        })
        .map(|fp| {
            let c = [fp.kappa[0], fp.kappa[1]];
            let room = [rect.x_max - c[0], c[0] - rect.x_min];
            let (sign, reach) = if room[0] >= room[1] {
                (1.0, room[0])
            } else {
                (-1.0, room[1])
            };
            let near = [c[0] + sign * opts.seed_offset * rect.diagonal(), c[1]];
            let far = [c[0] + sign * 0.95 * reach, c[1]];
            Seeds {
                center: c,
                dir: [sign, 0.0],
                starts: vec![(near, fp.stable), (far, false), (far, true)],
            }
        })
        .collect()
}

/// Distance from `p` to a closed polyline.
pub(super) fn distance_to_curve(p: &[f64], curve: &[Vec<f64>]) -> f64 {
    let n = curve.len();
    let mut best = f64::INFINITY;
    for k in 0..n {
        let (a, b) = (&curve[k], &curve[(k + 1) % n]);
        let (mut along, mut len2) = (0.0, 0.0);
        for d in 0..p.len() {
            along += (p[d] - a[d]) * (b[d] - a[d]);
            len2 += (b[d] - a[d]) * (b[d] - a[d]);
        }
        let t = if len2 > 0.0 {
            (along / len2).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let d2: f64 = (0..p.len())
            .map(|d| (p[d] - a[d] - t * (b[d] - a[d])).powi(2))
            .sum();
        best = best.min(d2);
    }
    best.sqrt()
}

/// The box of a closed curve: per coordinate the extreme samples, each refined by the vertex of
/// the parabola through it and its two neighbours (sampling error `O(h^2)` -> `O(h^3)`).
pub(super) fn bounding_box(points: &[Vec<f64>]) -> (Vec<f64>, Vec<f64>) {
    let n = points.first().map_or(0, |p| p.len());
    bounding_box_by(points.len(), n, |k, d| points[k][d])
}

/// [`bounding_box`] of `m` samples of `n` coordinates, sample `k`'s coordinate `d` being
/// `at(k, d)` (an orbit read in place, without copying its states out).
pub(super) fn bounding_box_by(
    m: usize,
    n: usize,
    at: impl Fn(usize, usize) -> f64,
) -> (Vec<f64>, Vec<f64>) {
    let extreme = |d: usize, sign: f64| -> f64 {
        let Some(k) = (0..m).max_by(|&a, &b| (sign * at(a, d)).total_cmp(&(sign * at(b, d))))
        else {
            return f64::NAN;
        };
        let (f0, f1, f2) = (at((k + m - 1) % m, d), at(k, d), at((k + 1) % m, d));
        let curvature = f2 - 2.0 * f1 + f0;
        let vertex = f1 - (f2 - f0).powi(2) / (8.0 * curvature);
        if m >= 3 && sign * curvature < 0.0 && (vertex - f1).abs() <= (f2 - f0).abs() {
            vertex
        } else {
            f1
        }
    };
    (
        (0..n).map(|d| extreme(d, -1.0)).collect(),
        (0..n).map(|d| extreme(d, 1.0)).collect(),
    )
}

/// A section return: time, distance along the half-line, direction.
struct Return {
    t: f64,
    s: f64,
    rising: bool,
}

/// What a search trajectory found.
enum Found {
    /// A guess `(x0 on the section, period)` for shooting.
    Guess(Vec<f64>, f64),
    /// It reached an already known cycle.
    Known,
    Nothing,
}

/// The system and limits shared by the ODE search trajectories.
struct OdeSearch<'a> {
    sys: &'a dyn ReducedSystem,
    v: &'a [f64],
    rect: &'a Rect,
    opts: &'a CycleOptions,
}

impl OdeSearch<'_> {
    /// Runs one search trajectory and watches its returns to the half-line.
    fn run(
        &self,
        seed: &Seeds,
        start: &[f64],
        backward: bool,
        known: &[Cycle],
        evaluations: &mut usize,
    ) -> Found {
        let (sys, v, rect, opts) = (self.sys, self.v, self.rect, self.opts);
        let diag = rect.diagonal();
        let (c, d) = (seed.center, seed.dir);
        let g = |_t: f64, y: &[f64]| y[1] - c[1];
        let mut returns: Vec<Return> = Vec::new();
        let mut found = Found::Nothing;
        let mut on_hit = |h: &EventHit| {
            let s = (h.y[0] - c[0]) * d[0];
            if s < opts.min_radius * diag {
                return false;
            }
            if known
                .iter()
                .any(|k| distance_to_curve(&h.y, &k.points) < 1e-4 * diag)
            {
                found = Found::Known;
                return true;
            }
            returns.push(Return {
                t: h.t,
                s,
                rising: h.rising,
            });
            match detect(&returns, opts.detect * diag, opts.min_radius * diag) {
                Some((s, period)) => {
                    found = Found::Guess(vec![c[0] + s * d[0], c[1]], period);
                    true
                }
                None => returns.len() >= opts.max_returns,
            }
        };
        let ode = OdeOptions {
            rtol: opts.search_rtol,
            atol: opts.search_rtol * 1e-3 * diag,
            max_steps: opts.max_steps,
            bounds: Some(rect.expanded(opts.margin).bounds()),
            // Slower than this a trajectory has settled on a fixed point (a closed orbit this slow
            // would have a period of ~1e6 tau); it also ends the tolerance-level jitter at a node.
            min_speed: 1e-6 * diag,
            record: false,
            ..OdeOptions::default()
        };
        let event = Event {
            g: &g,
            crossing: Crossing::Either,
            on_hit: &mut on_hit,
        };
        let t_end = if backward { -1e9 } else { 1e9 };
        let traj = dopri5(ode_rhs(sys, v), 0.0, start, t_end, &ode, Some(event));
        *evaluations += traj.evaluations;
        found
    }
}

/// A shooting guess from the returns: the latest return agreeing with one of the three before it
/// in the same direction, or an Aitken extrapolation of a geometrically converging sequence
/// (when it lands farther than `min_radius` from the centre: a spiral into the centre itself
/// also converges geometrically).
fn detect(returns: &[Return], tol: f64, min_radius: f64) -> Option<(f64, f64)> {
    let k = returns.len() - 1;
    let last = &returns[k];
    let same: Vec<&Return> = returns
        .iter()
        .rev()
        .skip(1)
        .filter(|r| r.rising == last.rising)
        .take(3)
        .collect();
    if let Some(prev) = same.iter().find(|r| (r.s - last.s).abs() < tol) {
        return Some((last.s, (last.t - prev.t).abs()));
    }
    if same.len() >= 2 && returns.len() >= 6 {
        let (s0, s1, s2) = (same[1].s, same[0].s, last.s);
        let rho = (s2 - s1) / (s1 - s0);
        let extrapolated = s2 + (s2 - s1) * rho / (1.0 - rho);
        if rho.is_finite() && rho > 0.0 && rho < 0.98 && extrapolated > min_radius {
            return Some((extrapolated, (last.t - same[0].t).abs()));
        }
    }
    None
}

/// All limit cycles of a rank-2 ODE found from the seeds around `fixed_points` (see the module
/// documentation), deduplicated, with evaluations spent.
pub fn find_limit_cycles(
    sys: &dyn ReducedSystem,
    v: &[f64],
    rect: &Rect,
    fixed_points: &[FixedPoint],
    opts: &CycleOptions,
) -> (Vec<Cycle>, usize) {
    let mut cycles: Vec<Cycle> = Vec::new();
    let mut evaluations = 0;
    if sys.rank() != 2 || !rect.is_valid() {
        return (cycles, 0);
    }
    let diag = rect.diagonal();
    let search = OdeSearch { sys, v, rect, opts };
    for seed in seeds(rect, fixed_points, opts) {
        for &(start, backward) in &seed.starts {
            if evaluations >= opts.max_evaluations {
                return (cycles, evaluations);
            }
            let Found::Guess(x0, period) =
                search.run(&seed, &start, backward, &cycles, &mut evaluations)
            else {
                continue;
            };
            let section = Section {
                anchor: &seed.center,
                normal: &[0.0, 1.0],
            };
            let guess = Guess {
                x0: &x0,
                period,
                backward,
            };
            let Some(orbit) = shoot(sys, v, guess, section, diag, opts) else {
                continue;
            };
            evaluations += orbit.evaluations;
            let far_enough = dist(&orbit.x0, &seed.center) > opts.min_radius * diag;
            let new = !cycles
                .iter()
                .any(|k| distance_to_curve(&orbit.x0, &k.points) < 1e-5 * diag);
            if far_enough && new && rect.expanded(opts.margin).contains(&orbit.x0) {
                cycles.push(limit_cycle(&orbit, &seed.center));
            }
        }
    }
    (cycles, evaluations)
}

pub(super) fn limit_cycle(orbit: &Orbit, center: &[f64]) -> Cycle {
    let floquet = orbit.floquet();
    let mut points = orbit.path.clone();
    if points.len() > 1 {
        points.pop();
    }
    let (lo, hi) = bounding_box(&points);
    Cycle {
        kind: CycleKind::LimitCycle,
        period_tau: orbit.period,
        period_steps: None,
        stable: floquet < 1.0,
        kappa_min: lo,
        kappa_max: hi,
        floquet: Some(floquet),
        points,
        center: center.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::fixed_points::{FixedPointOptions, find_fixed_points};
    use crate::analysis::test_systems::{Hopf, Linear, TanhRank2, VanDerPol};
    use crate::reduced::TimeModel;

    fn cycles_of(sys: &dyn ReducedSystem, rect: Rect) -> Vec<Cycle> {
        let v = vec![0.0; sys.inputs()];
        let fps = find_fixed_points(
            sys,
            &v,
            &rect,
            TimeModel::Ode,
            &[],
            &FixedPointOptions::default(),
        );
        find_limit_cycles(sys, &v, &rect, &fps, &CycleOptions::default()).0
    }

    #[test]
    fn hopf_normal_form_radius_period_and_floquet() {
        let (mu, omega) = (0.5, 1.3);
        let sys = Hopf {
            mu,
            omega,
            sign: 1.0,
        };
        let cycles = cycles_of(&sys, Rect::new(-2.0, 2.0, -2.0, 2.0));
        assert_eq!(cycles.len(), 1);
        let c = &cycles[0];
        let period = std::f64::consts::TAU / omega;
        let floquet = (-2.0 * mu * period).exp();
        let radius_err = c
            .points
            .iter()
            .map(|p| (p[0].hypot(p[1]) / mu.sqrt() - 1.0).abs())
            .fold(0.0, f64::max);
        let period_err = (c.period_tau / period - 1.0).abs();
        let floquet_err = (c.floquet.unwrap() / floquet - 1.0).abs();
        eprintln!(
            "Hopf: radius rel err {radius_err:.2e}, period rel err {period_err:.2e}, Floquet rel err {floquet_err:.2e}"
        );
        assert!(radius_err < 1e-6 && period_err < 1e-6 && floquet_err < 1e-6);
        assert!(c.stable);
        assert!(
            (c.kappa_max[0] - mu.sqrt()).abs() < 1e-6 && (c.kappa_min[1] + mu.sqrt()).abs() < 1e-6
        );
    }

    #[test]
    fn van_der_pol_period() {
        let cycles = cycles_of(&VanDerPol { mu: 1.0 }, Rect::new(-3.0, 3.0, -3.0, 3.0));
        assert_eq!(cycles.len(), 1);
        let err = (cycles[0].period_tau / 6.663_286_859_323_13 - 1.0).abs();
        eprintln!(
            "van der Pol: period {:.15}, rel err {err:.2e}",
            cycles[0].period_tau
        );
        assert!(err < 1e-6);
        assert!(cycles[0].stable && cycles[0].floquet.unwrap() < 1.0);
        // Known amplitude of the mu = 1 cycle: max x = 2.00861986...
        assert!(
            (cycles[0].kappa_max[0] - 2.0086198).abs() < 1e-5,
            "{}",
            cycles[0].kappa_max[0]
        );
    }

    #[test]
    fn unstable_cycle_of_time_reversed_hopf_found_backward() {
        let (mu, omega) = (0.8, 2.0);
        let sys = Hopf {
            mu,
            omega,
            sign: -1.0,
        };
        let cycles = cycles_of(&sys, Rect::new(-2.0, 2.0, -2.0, 2.0));
        assert_eq!(cycles.len(), 1);
        let c = &cycles[0];
        assert!(!c.stable);
        let period = std::f64::consts::TAU / omega;
        assert!((c.period_tau / period - 1.0).abs() < 1e-6);
        // Time reversal inverts the multiplier.
        assert!((c.floquet.unwrap() / (2.0 * mu * period).exp() - 1.0).abs() < 1e-6);
        assert!(
            c.points
                .iter()
                .all(|p| (p[0].hypot(p[1]) - mu.sqrt()).abs() < 1e-6)
        );
    }

    #[test]
    fn strongly_unstable_cycle_shot_backward() {
        // Forward multiplier exp(2 mu T) = exp(8 pi) ~ 8e10: hopeless forward, easy backward.
        let (mu, omega) = (1.0, 0.5);
        let sys = Hopf {
            mu,
            omega,
            sign: -1.0,
        };
        let cycles = cycles_of(&sys, Rect::new(-2.0, 2.0, -2.0, 2.0));
        assert_eq!(cycles.len(), 1);
        let period = std::f64::consts::TAU / omega;
        let expected = (2.0 * mu * period).exp();
        let err = (cycles[0].floquet.unwrap() / expected - 1.0).abs();
        assert!(
            err < 1e-6,
            "Floquet {} vs {expected}: {err:e}",
            cycles[0].floquet.unwrap()
        );
        assert!((cycles[0].period_tau / period - 1.0).abs() < 1e-9);
        assert!(!cycles[0].stable);
    }

    #[test]
    fn no_cycles_where_there_are_none() {
        assert!(
            cycles_of(
                &Linear {
                    a: [-0.2, -1.0, 1.0, -0.2],
                    b: [0.0; 2]
                },
                Rect::new(-1.0, 1.0, -1.0, 1.0)
            )
            .is_empty()
        );
        assert!(
            cycles_of(
                &TanhRank2 {
                    w: [2.0, 0.0, 0.0, 2.0],
                    b: [0.0; 2]
                },
                Rect::new(-3.0, 3.0, -3.0, 3.0)
            )
            .is_empty()
        );
        // Subcritical side of the Hopf normal form: stable focus, no cycle.
        assert!(
            cycles_of(
                &Hopf {
                    mu: -0.3,
                    omega: 1.0,
                    sign: 1.0
                },
                Rect::new(-1.0, 1.0, -1.0, 1.0)
            )
            .is_empty()
        );
    }

    #[test]
    fn tanh_oscillator_cycle_is_periodic_to_tolerance() {
        // -k + W tanh(k) with a rotational W: unstable focus at 0, stable cycle by saturation.
        let sys = TanhRank2 {
            w: [1.5, -2.0, 2.0, 1.5],
            b: [0.0; 2],
        };
        let cycles = cycles_of(&sys, Rect::new(-4.0, 4.0, -4.0, 4.0));
        assert_eq!(cycles.len(), 1);
        let c = &cycles[0];
        // Independent check: integrate one period from a cycle point with a tight tolerance.
        let x0 = &c.points[0];
        let opts = OdeOptions {
            rtol: 1e-12,
            atol: 1e-14,
            ..OdeOptions::default()
        };
        let tr = dopri5(
            ode_rhs(&sys, &[0.0, 0.0]),
            0.0,
            x0,
            c.period_tau,
            &opts,
            None,
        );
        assert!(
            dist(tr.last_state(), x0) < 1e-7,
            "{}",
            dist(tr.last_state(), x0)
        );
        assert!(c.stable);
    }
}
