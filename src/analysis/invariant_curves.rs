//! Invariant closed curves of the Euler map `kappa_{t+1} = kappa_t + alpha F(kappa_t)`
//! (MODEL.md 1): after transients an orbit of the map near a Neimark-Sacker regime fills a
//! closed curve.
//!
//! The same seeds as for the ODE's cycles are iterated (backward by inverting each step);
//! returns to the half-line, by linear interpolation of the polar radius in the angle, converge
//! on an invariant curve, which is then sampled by a further run: its points sorted by angle, its box, and its rotation period
//! `2 pi / (mean rotation angle per step)`. Attracting (found forward) means stable.
//!
//! Every search is capped (iterations per seed and a total evaluation budget).

use super::Rect;
use super::cycles::{
    Cycle, CycleKind, CycleOptions, Seeds, bounding_box, distance_to_curve, seeds,
};
use super::fixed_points::FixedPoint;
use super::integrate::{Stop, iterate_map};
use super::linalg::dist;
use crate::reduced::ReducedSystem;

/// Invariant closed curves of the Euler map `kappa + alpha F(kappa)` around the non-saddle fixed
/// points (see the module documentation), with evaluations spent.
pub fn find_invariant_curves(
    sys: &dyn ReducedSystem,
    v: &[f64],
    alpha: f64,
    rect: &Rect,
    fixed_points: &[FixedPoint],
    opts: &CycleOptions,
) -> (Vec<Cycle>, usize) {
    let mut curves: Vec<Cycle> = Vec::new();
    let mut evaluations = 0;
    if sys.rank() != 2 || !rect.is_valid() || alpha.is_nan() || alpha <= 0.0 {
        return (curves, 0);
    }
    let diag = rect.diagonal();
    for seed in seeds(rect, fixed_points, opts) {
        for &(start, backward) in &seed.starts {
            if evaluations >= opts.max_evaluations {
                return (curves, evaluations);
            }
            let walker = MapWalker {
                sys,
                v,
                alpha,
                backward,
                seed: &seed,
                bounds: rect.expanded(opts.margin),
                diag,
            };
            if let Some(curve) = walker.run(&start, &curves, opts, &mut evaluations) {
                curves.push(curve);
            }
        }
    }
    (curves, evaluations)
}

/// Iterates the map (or its inverse) from a seed and watches the half-line returns.
struct MapWalker<'a> {
    sys: &'a dyn ReducedSystem,
    v: &'a [f64],
    alpha: f64,
    backward: bool,
    seed: &'a Seeds,
    bounds: Rect,
    diag: f64,
}

impl MapWalker<'_> {
    /// Polar angle of `p` around the centre, measured from the section direction.
    fn angle(&self, p: &[f64]) -> f64 {
        let (c, d) = (self.seed.center, self.seed.dir);
        let (x, y) = (p[0] - c[0], p[1] - c[1]);
        (d[0] * y - d[1] * x).atan2(d[0] * x + d[1] * y)
    }

    /// `n` steps from `p`; `None` (and the step count stops) if the map leaves the box or fails.
    fn advance(&self, p: &[f64], n: usize, evaluations: &mut usize) -> Option<Vec<[f64; 2]>> {
        let tr = iterate_map(
            self.sys,
            self.v,
            self.alpha,
            p,
            n,
            self.backward,
            Some(&self.bounds.bounds()),
        );
        *evaluations += tr.evaluations;
        (tr.stop == Stop::Reached).then(|| {
            (1..tr.len())
                .map(|i| [tr.state(i)[0], tr.state(i)[1]])
                .collect()
        })
    }

    fn run(
        &self,
        start: &[f64; 2],
        known: &[Cycle],
        opts: &CycleOptions,
        evaluations: &mut usize,
    ) -> Option<Cycle> {
        const CHUNK: usize = 200;
        let c = self.seed.center;
        let mut p = *start;
        let (mut theta, mut radius) = (self.angle(&p), dist(&p, &c));
        let mut returns: Vec<f64> = Vec::new();
        let mut done = 0;
        while done < opts.max_iterations {
            let orbit = self.advance(&p, CHUNK, evaluations)?;
            done += CHUNK;
            let mut previous = p;
            for q in &orbit {
                let (th, r) = (self.angle(q), dist(q, &c));
                // Converged onto the centre or settled on another fixed point (the map's step is
                // alpha F: the ODE search's settle speed times alpha).
                if r < opts.min_radius * self.diag
                    || dist(q, &previous) < 1e-6 * self.diag * self.alpha
                {
                    return None;
                }
                previous = *q;
                // A crossing of the half-line (angle 0) with a rotation of less than pi.
                let step = wrap(th - theta);
                if theta.abs() < std::f64::consts::PI
                    && (theta < 0.0) != (theta + step < 0.0)
                    && step.abs() < std::f64::consts::PI
                {
                    let frac = -theta / step;
                    returns.push(radius + frac * (r - radius));
                }
                (theta, radius) = (th, r);
            }
            p = *orbit.last()?;
            if known
                .iter()
                .any(|k| distance_to_curve(&p, &k.points) < opts.detect * self.diag)
            {
                return None;
            }
            let k = returns.len();
            if k >= 3 && (returns[k - 1] - returns[k - 2]).abs() < opts.detect * self.diag {
                return self.sample(&p, opts, evaluations);
            }
        }
        None
    }

    /// Further iterations from a point on (or near) the curve: transient, then the sample.
    fn sample(&self, p: &[f64; 2], opts: &CycleOptions, evaluations: &mut usize) -> Option<Cycle> {
        let settle = self.advance(p, opts.curve_points, evaluations)?;
        let pts = self.advance(settle.last()?, opts.curve_points, evaluations)?;
        let mut rotation = 0.0;
        let mut prev = self.angle(settle.last()?);
        for q in &pts {
            let th = self.angle(q);
            rotation += wrap(th - prev);
            prev = th;
        }
        let per_step = (rotation / pts.len() as f64).abs();
        if per_step == 0.0 || !per_step.is_finite() {
            return None;
        }
        let mut sorted: Vec<(f64, Vec<f64>)> =
            pts.iter().map(|q| (self.angle(q), q.to_vec())).collect();
        sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
        let points: Vec<Vec<f64>> = sorted.into_iter().map(|(_, q)| q).collect();
        let (lo, hi) = bounding_box(&points);
        let steps = std::f64::consts::TAU / per_step;
        Some(Cycle {
            kind: CycleKind::InvariantCurve,
            period_tau: steps * self.alpha,
            period_steps: Some(steps),
            stable: !self.backward,
            kappa_min: lo,
            kappa_max: hi,
            floquet: None,
            points,
            center: self.seed.center.to_vec(),
        })
    }
}

/// An angle difference wrapped into `(-pi, pi]`.
fn wrap(a: f64) -> f64 {
    let t = std::f64::consts::TAU;
    a - t * ((a + std::f64::consts::PI) / t).floor()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::fixed_points::{FixedPointKind, FixedPointOptions, find_fixed_points};
    use crate::analysis::test_systems::NsMap;
    use crate::reduced::TimeModel;

    #[test]
    fn map_invariant_circle_with_known_rotation() {
        let (omega, alpha) = (0.37, 0.2);
        let sys = NsMap {
            omega,
            beta: 0.1,
            alpha,
        };
        let rect = Rect::new(-2.0, 2.0, -2.0, 2.0);
        let tm = TimeModel::Map { alpha };
        let fps = find_fixed_points(&sys, &[], &rect, tm, &[], &FixedPointOptions::default());
        assert_eq!(fps.len(), 1);
        assert_eq!(fps[0].kind, FixedPointKind::UnstableFocus);
        let (curves, _) =
            find_invariant_curves(&sys, &[], alpha, &rect, &fps, &CycleOptions::default());
        assert_eq!(curves.len(), 1);
        let c = &curves[0];
        assert!(c.stable);
        let steps = std::f64::consts::TAU / omega;
        assert!(
            (c.period_steps.unwrap() / steps - 1.0).abs() < 1e-9,
            "{:?}",
            c.period_steps
        );
        assert!((c.period_tau - steps * alpha).abs() < 1e-8);
        assert!(
            c.points
                .iter()
                .all(|p| (p[0].hypot(p[1]) - 1.0).abs() < 1e-6)
        );
        assert!(c.points.len() >= 100);
    }

    #[test]
    fn map_unstable_invariant_circle_found_backward() {
        // beta < 0 makes the unit circle repelling and the origin a stable focus of the map.
        let (omega, alpha) = (0.5, 0.2);
        let sys = NsMap {
            omega,
            beta: -0.1,
            alpha,
        };
        let rect = Rect::new(-1.5, 1.5, -1.5, 1.5);
        let tm = TimeModel::Map { alpha };
        let fps = find_fixed_points(&sys, &[], &rect, tm, &[], &FixedPointOptions::default());
        assert_eq!(fps.len(), 1);
        assert!(fps[0].stable);
        let (curves, _) =
            find_invariant_curves(&sys, &[], alpha, &rect, &fps, &CycleOptions::default());
        assert_eq!(curves.len(), 1);
        assert!(!curves[0].stable);
        assert!(
            curves[0]
                .points
                .iter()
                .all(|p| (p[0].hypot(p[1]) - 1.0).abs() < 1e-6)
        );
    }
}
