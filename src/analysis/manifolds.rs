//! Separatrices: the stable and unstable manifolds of every saddle of a rank-2 system.
//!
//! ODE: each branch starts a small distance `delta` from the saddle along its eigenvector (the
//! linear approximation of the manifold, error `O(delta^2)`) and is integrated forward (unstable)
//! or backward (stable) until it leaves (a margin around) the rectangle, reaches another fixed
//! point, or exceeds a length cap. Map: the manifolds of the Euler map itself, grown by iterating
//! a fundamental domain `{x* + delta |mu|^s e : 0 <= s < 1}` forward (unstable) or with the
//! inverse map (stable), using the second iterate when the multiplier is negative.

use rayon::prelude::*;
use serde::Serialize;

use super::Rect;
use super::fixed_points::{FixedPoint, FixedPointKind};
use super::integrate::{Crossing, Event, EventHit, OdeOptions, Stop, dopri5, iterate_map, ode_rhs};
use super::linalg::dist;
use crate::reduced::{ReducedSystem, TimeModel};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ManifoldKind {
    Stable,
    Unstable,
}

/// One branch of a saddle's manifold, starting at the saddle.
#[derive(Debug, Clone, Serialize)]
pub struct Separatrix {
    /// Index of the saddle in the fixed-point list it was computed from.
    pub saddle: usize,
    pub kind: ManifoldKind,
    pub points: Vec<[f64; 2]>,
    /// Why the branch ends (`event`: it reached another fixed point).
    pub stop: Stop,
    pub evaluations: usize,
}

/// Options of [`separatrices`].
#[derive(Debug, Clone)]
pub struct ManifoldOptions {
    /// Initial distance from the saddle, as a fraction of the rectangle's diagonal.
    pub offset: f64,
    /// Branches stop outside the rectangle grown by this fraction.
    pub margin: f64,
    /// Branches stop after this arc length, in diagonals.
    pub max_length: f64,
    /// Branches stop within this fraction of the diagonal of another fixed point.
    pub capture: f64,
    /// Relative tolerance of the ODE branches (absolute: `1e-2 rtol` diagonals). A branch attracts
    /// its neighbours (the unstable manifold forward, the stable one backward), so integration errors
    /// are damped rather than amplified and a drawing tolerance suffices: at `1e-6` the branches lie
    /// within `1e-5` diagonals of those at `1e-10` (tested) for half the evaluations of `1e-8`.
    pub rtol: f64,
    /// Cap on steps (ODE) or iterations of the fundamental domain (map).
    pub max_steps: usize,
    /// Points per fundamental domain (map).
    pub domain_points: usize,
}

impl Default for ManifoldOptions {
    fn default() -> Self {
        ManifoldOptions {
            offset: 1e-5,
            margin: 0.05,
            max_length: 4.0,
            capture: 1e-3,
            rtol: 1e-6,
            max_steps: 2000,
            domain_points: 6,
        }
    }
}

/// All four branches of every saddle in `fixed_points` (rank 2).
pub fn separatrices(
    sys: &dyn ReducedSystem,
    v: &[f64],
    rect: &Rect,
    time_model: TimeModel,
    fixed_points: &[FixedPoint],
    opts: &ManifoldOptions,
) -> Vec<Separatrix> {
    if sys.rank() != 2 || !rect.is_valid() {
        return Vec::new();
    }
    // Every branch is an independent integration: collect them, then run them in parallel (the
    // exact reduction of a large network costs microseconds per evaluation).
    let others: Vec<Vec<[f64; 2]>> = (0..fixed_points.len())
        .map(|index| {
            fixed_points
                .iter()
                .enumerate()
                .filter(|(k, _)| *k != index)
                .map(|(_, f)| [f.kappa[0], f.kappa[1]])
                .collect()
        })
        .collect();
    let mut jobs = Vec::new();
    for (index, fp) in fixed_points.iter().enumerate() {
        if fp.kind != FixedPointKind::Saddle || fp.eigenvectors.len() != 2 {
            continue;
        }
        // Eigenvalues come sorted by real part: [unstable, stable] for an ODE saddle; for the map
        // sort by multiplier modulus.
        let growth: Vec<f64> = match time_model {
            TimeModel::Ode => fp.eigenvalues.iter().map(|l| l[0]).collect(),
            TimeModel::Map { alpha } => fp
                .eigenvalues
                .iter()
                .map(|l| (1.0 + alpha * l[0]).abs() - 1.0)
                .collect(),
        };
        for (k, kind) in [(0, ManifoldKind::Unstable), (1, ManifoldKind::Stable)] {
            let mode = if (growth[0] > growth[1]) == (k == 0) {
                0
            } else {
                1
            };
            let e = [fp.eigenvectors[mode][0][0], fp.eigenvectors[mode][1][0]];
            for sign in [1.0, -1.0] {
                let branch = Branch {
                    sys,
                    v,
                    saddle: [fp.kappa[0], fp.kappa[1]],
                    dir: [sign * e[0], sign * e[1]],
                    kind,
                    rect,
                    others: &others[index],
                    opts,
                };
                let multiplier = match time_model {
                    TimeModel::Ode => None,
                    TimeModel::Map { alpha } => {
                        Some((alpha, 1.0 + alpha * fp.eigenvalues[mode][0]))
                    }
                };
                jobs.push((index, branch, multiplier));
            }
        }
    }
    jobs.into_par_iter()
        .map(|(index, branch, multiplier)| {
            let mut sep = match multiplier {
                None => branch.flow(),
                Some((alpha, mu)) => branch.map(alpha, mu),
            };
            sep.saddle = index;
            sep
        })
        .collect()
}

/// One manifold branch to compute.
struct Branch<'a> {
    sys: &'a dyn ReducedSystem,
    v: &'a [f64],
    saddle: [f64; 2],
    dir: [f64; 2],
    kind: ManifoldKind,
    rect: &'a Rect,
    others: &'a [[f64; 2]],
    opts: &'a ManifoldOptions,
}

impl Branch<'_> {
    fn delta(&self) -> f64 {
        self.opts.offset * self.rect.diagonal()
    }

    fn capture(&self) -> f64 {
        self.opts.capture * self.rect.diagonal()
    }

    fn nearest_other(&self, p: &[f64]) -> Option<[f64; 2]> {
        self.others
            .iter()
            .copied()
            .find(|q| dist(q, p) < self.capture())
    }

    fn start(&self, scale: f64) -> [f64; 2] {
        [
            self.saddle[0] + scale * self.dir[0],
            self.saddle[1] + scale * self.dir[1],
        ]
    }

    /// ODE branch: integrate from `saddle + delta e`, stopping at another fixed point by an
    /// event on `min_k |y - p_k| - capture`.
    fn flow(&self) -> Separatrix {
        let diag = self.rect.diagonal();
        let start = self.start(self.delta());
        let mut f0 = [0.0; 2];
        self.sys.flow(&start, self.v, &mut f0);
        let opts = OdeOptions {
            rtol: self.opts.rtol,
            atol: 1e-2 * self.opts.rtol * diag,
            max_steps: self.opts.max_steps,
            bounds: Some(self.rect.expanded(self.opts.margin).bounds()),
            max_length: self.opts.max_length * diag,
            // Slower than this the branch has settled on a fixed point; a bound far below the
            // tolerance would let the step control jitter around a node until the step cap. But
            // never above a hundredth of the starting speed: a weak saddle (an eigenvalue near 0,
            // next to a bifurcation) leaves slowly.
            min_speed: (0.1 * self.opts.rtol * diag).min(1e-2 * f0[0].hypot(f0[1])),
            // The drawing tolerance takes long steps: three dense points per step keep the curve smooth.
            dense_points: 3,
            ..OdeOptions::default()
        };
        let capture = self.capture();
        let g = |_t: f64, y: &[f64]| {
            self.others
                .iter()
                .map(|q| dist(q, y))
                .fold(f64::INFINITY, f64::min)
                - capture
        };
        let mut stop_at_first = |_h: &EventHit| true;
        let event = (!self.others.is_empty()).then_some(Event {
            g: &g,
            crossing: Crossing::Falling,
            on_hit: &mut stop_at_first,
        });
        let t_end = if self.kind == ManifoldKind::Unstable {
            1e6
        } else {
            -1e6
        };
        let traj = dopri5(ode_rhs(self.sys, self.v), 0.0, &start, t_end, &opts, event);
        let mut points = vec![self.saddle];
        points.extend((0..traj.len()).map(|i| [traj.state(i)[0], traj.state(i)[1]]));
        // The event put the end point on the capture circle of the closest other fixed point (to
        // the event tolerance: a test `< capture` would keep or drop it by rounding).
        if traj.stop == Stop::Event {
            let end = traj.last_state();
            if let Some(q) = self
                .others
                .iter()
                .min_by(|a, b| dist(*a, end).total_cmp(&dist(*b, end)))
            {
                points.push(*q);
            }
        }
        Separatrix {
            saddle: 0,
            kind: self.kind,
            points,
            stop: traj.stop,
            evaluations: traj.evaluations + 1,
        }
    }

    /// Map branch by iterating a fundamental domain of `n` points `saddle + delta m^s e`,
    /// `s = j / n`, where `m = |mu|` (or `mu^2` with two iterations per level when `mu < 0`);
    /// for the stable manifold `m = 1 / |mu|` and the inverse map. Level `k` holds the `k`-th
    /// images, so concatenating the levels orders the points along the manifold.
    fn map(&self, alpha: f64, mu: f64) -> Separatrix {
        let backward = self.kind == ManifoldKind::Stable;
        let per_level = if mu < 0.0 { 2 } else { 1 };
        let growth = if backward { 1.0 / mu.abs() } else { mu.abs() }.powi(per_level as i32);
        let n = self.opts.domain_points.max(1);
        let bounds = self.rect.expanded(self.opts.margin).bounds();
        let max_length = self.opts.max_length * self.rect.diagonal();
        let mut current: Vec<[f64; 2]> = (0..n)
            .map(|j| self.start(self.delta() * growth.powf(j as f64 / n as f64)))
            .collect();
        let mut sep = Separatrix {
            saddle: 0,
            kind: self.kind,
            points: vec![self.saddle],
            stop: Stop::StepCap,
            evaluations: 0,
        };
        let mut length = 0.0;
        'levels: for _ in 0..self.opts.max_steps {
            for p in current.iter_mut() {
                let last = *sep.points.last().expect("starts with the saddle");
                length += dist(&last, p);
                sep.points.push(*p);
                if let Some(q) = self.nearest_other(p) {
                    sep.points.push(q);
                    sep.stop = Stop::Event;
                    break 'levels;
                }
                if length > max_length {
                    sep.stop = Stop::ArcLengthCap;
                    break 'levels;
                }
                let tr = iterate_map(
                    self.sys,
                    self.v,
                    alpha,
                    p,
                    per_level,
                    backward,
                    Some(&bounds),
                );
                sep.evaluations += tr.evaluations;
                if tr.stop != Stop::Reached {
                    if tr.stop == Stop::OutOfBounds {
                        let y = tr.last_state();
                        sep.points.push([y[0], y[1]]);
                    }
                    sep.stop = tr.stop;
                    break 'levels;
                }
                let y = tr.last_state();
                *p = [y[0], y[1]];
            }
        }
        sep
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::fixed_points::fixed_points_in;
    use crate::analysis::test_systems::{Linear, TanhRank2};

    /// All fixed points of `sys` on `rect` (no input) and the separatrices of its saddles.
    fn fixed_points_and_separatrices(
        sys: &dyn ReducedSystem,
        rect: &Rect,
        tm: TimeModel,
    ) -> (Vec<FixedPoint>, Vec<Separatrix>) {
        let v = [0.0, 0.0];
        let fps = fixed_points_in(sys, &v, rect, tm);
        let seps = separatrices(sys, &v, rect, tm, &fps, &ManifoldOptions::default());
        (fps, seps)
    }

    /// Distance of `p` from the line through the origin along `e`.
    fn off_line(p: &[f64; 2], e: [f64; 2]) -> f64 {
        (p[0] * e[1] - p[1] * e[0]).abs() / e[0].hypot(e[1])
    }

    #[test]
    fn linear_saddle_manifolds_lie_on_eigenvector_lines_for_both_time_models() {
        // A = [[1, 2], [0, -1]]: unstable e = (1, 0) for lambda = 1, stable e = (1, -1) for -1.
        let sys = Linear {
            a: [1.0, 2.0, 0.0, -1.0],
            b: [0.0; 2],
        };
        let rect = Rect::new(-1.0, 1.0, -1.0, 1.0);
        for tm in [TimeModel::Ode, TimeModel::Map { alpha: 0.2 }] {
            let (fps, seps) = fixed_points_and_separatrices(&sys, &rect, tm);
            assert_eq!(fps.len(), 1);
            assert_eq!(seps.len(), 4);
            for s in &seps {
                let e = if s.kind == ManifoldKind::Unstable {
                    [1.0, 0.0]
                } else {
                    [1.0, -1.0]
                };
                let worst = s.points.iter().map(|p| off_line(p, e)).fold(0.0, f64::max);
                assert!(worst < 1e-9, "{tm:?} {:?}: {worst}", s.kind);
                assert_eq!(s.stop, Stop::OutOfBounds, "{tm:?} {:?}", s.kind);
                let far = s
                    .points
                    .iter()
                    .map(|p| p[0].abs().max(p[1].abs()))
                    .fold(0.0, f64::max);
                assert!(far > 1.0, "reaches the border");
            }
        }
    }

    /// A saddle next to a bifurcation (unstable eigenvalue 0.005) starts its unstable branches at
    /// a speed far below the settling bound of a strong one: they must still reach the border.
    #[test]
    fn weak_saddle_branches_reach_the_border() {
        let sys = Linear {
            a: [0.005, 0.0, 0.0, -1.0],
            b: [0.0; 2],
        };
        let rect = Rect::new(-1.0, 1.0, -1.0, 1.0);
        let (fps, seps) = fixed_points_and_separatrices(&sys, &rect, TimeModel::Ode);
        assert_eq!(fps.len(), 1);
        assert_eq!(seps.len(), 4);
        for s in &seps {
            assert_eq!(s.stop, Stop::OutOfBounds, "{:?}", s.kind);
        }
    }

    #[test]
    fn unstable_manifolds_of_bistable_saddle_end_at_the_stable_nodes() {
        // Decoupled tanh with w = (2, 0.5): nodes at (+-x*, 0), saddle at the origin.
        let sys = TanhRank2 {
            w: [2.0, 0.0, 0.0, 0.5],
            b: [0.0; 2],
        };
        let rect = Rect::new(-3.0, 3.0, -3.0, 3.0);
        for tm in [TimeModel::Ode, TimeModel::Map { alpha: 0.2 }] {
            let (fps, seps) = fixed_points_and_separatrices(&sys, &rect, tm);
            assert_eq!(fps.len(), 3);
            let unstable: Vec<_> = seps
                .iter()
                .filter(|s| s.kind == ManifoldKind::Unstable)
                .collect();
            assert_eq!(unstable.len(), 2);
            for s in unstable {
                assert_eq!(s.stop, Stop::Event, "{tm:?}");
                let end = s.points.last().unwrap();
                assert!((end[0].abs() - fps[2].kappa[0]).abs() < 1e-12 && end[1] == 0.0);
            }
            // Stable manifold of the origin: the y axis (x' = -x + 2 tanh x keeps x = 0).
            for s in seps.iter().filter(|s| s.kind == ManifoldKind::Stable) {
                assert!(s.points.iter().all(|p| p[0].abs() < 1e-9), "{tm:?}");
            }
        }
    }

    /// Distance from `p` to the open polyline `line`.
    fn distance_to_polyline(p: &[f64; 2], line: &[[f64; 2]]) -> f64 {
        line.windows(2)
            .map(|ab| {
                let (a, b) = (&ab[0], &ab[1]);
                let d = [b[0] - a[0], b[1] - a[1]];
                let len2 = d[0] * d[0] + d[1] * d[1];
                let t = if len2 > 0.0 {
                    (((p[0] - a[0]) * d[0] + (p[1] - a[1]) * d[1]) / len2).clamp(0.0, 1.0)
                } else {
                    0.0
                };
                (p[0] - a[0] - t * d[0]).hypot(p[1] - a[1] - t * d[1])
            })
            .fold(f64::INFINITY, f64::min)
    }

    /// The drawing defaults against a tight computation (`rtol = 1e-10`, start `1e-7` diagonals from
    /// the saddle): every point of every branch in the rectangle within `1e-5` diagonals of the
    /// tight branch, and the branches end the same way, for the ODE and the map. On a bistable tanh
    /// system and the DMS mixture preset without input (two saddles, curved branches).
    #[test]
    fn default_branches_lie_on_tightly_computed_ones() {
        let tanh = TanhRank2 {
            w: [2.0, -0.6, 0.8, 1.2],
            b: [0.1, -0.05],
        };
        let mixture = crate::reduced::MeanField::new(
            &crate::reduced::presets::get("dms_mixture_2pop")
                .unwrap()
                .model,
        );
        let cases: [&dyn ReducedSystem; 2] = [&tanh, &mixture];
        let tight_opts = ManifoldOptions {
            rtol: 1e-10,
            offset: 1e-7,
            ..ManifoldOptions::default()
        };
        for (k, sys) in cases.into_iter().enumerate() {
            for tm in [TimeModel::Ode, TimeModel::Map { alpha: 0.2 }] {
                let rect = Rect::new(-3.0, 3.0, -3.0, 3.0);
                let (fps, loose) = fixed_points_and_separatrices(sys, &rect, tm);
                let tight = separatrices(sys, &[0.0; 2], &rect, tm, &fps, &tight_opts);
                assert!(!loose.is_empty(), "case {k}: no saddle");
                assert_eq!(loose.len(), tight.len());
                for (a, b) in loose.iter().zip(&tight) {
                    assert_eq!(a.stop, b.stop, "case {k} {tm:?}");
                    // Past the border the last step's points differ in reach; only the view counts.
                    let worst = a
                        .points
                        .iter()
                        .filter(|p| rect.contains(&p[..]))
                        .map(|p| distance_to_polyline(p, &b.points))
                        .fold(0.0, f64::max);
                    assert!(worst < 1e-5 * rect.diagonal(), "case {k} {tm:?}: {worst:e}");
                }
            }
        }
    }
}
