//! What a slice of a rank >= 3 system shows besides its own flow (MODEL.md 8): the full system's
//! fixed points and attracting limit cycles, found in all `R` dimensions and projected onto the
//! slice's two latent axes ([`crate::reduced::plane`]).
//!
//! - **Fixed points**: the exhaustive search of [`super::root_search`] in the absorbing box
//!   (exclusion of boxes by the slope bound, Newton in what is left, uniqueness balls from the
//!   curvature bound), classified by all `R` eigenvalues.
//! - **Limit cycles (ODE)**: trajectories from near every unstable fixed point (a small step along
//!   each axis, both ways) and from the corners of half the absorbing box run for a transient of
//!   [`TRANSIENT_TAU`]; one that has not settled on a fixed point is on an attractor. The
//!   hyperplane through its end point normal to the flow there is a Poincare section; the first
//!   return gives a period guess, and [`shoot`] refines the orbit with its monodromy matrix in
//!   `R` dimensions (Floquet multipliers of all `R` directions). Only attracting cycles are
//!   found this way (unstable cycles of rank >= 3 are saddles in general); invariant curves of
//!   the map are not searched in `R` dimensions.

use super::cycles::{Cycle, CycleOptions, Guess, Section, distance_to_curve, limit_cycle, shoot};
use super::fixed_points::FixedPoint;
use super::integrate::{Bounds, Crossing, Event, EventHit, OdeOptions, Stop, dopri5, ode_rhs};
use super::linalg::norm;
use super::root_search::{SearchOptions, search_fixed_points};
use crate::reduced::plane::PlaneAxes;
use crate::reduced::{ReducedSystem, TimeModel};

/// Transient before a search trajectory is taken to be on its attractor, in units of `tau`.
pub const TRANSIENT_TAU: f64 = 300.0;

/// Corners of half the absorbing box used as starts, at most (all of them up to rank 4).
const MAX_CORNERS: usize = 16;

/// Every fixed point of `sys` at input `v` in its absorbing box, in `R` dimensions.
pub fn fixed_points(
    sys: &dyn ReducedSystem,
    v: &[f64],
    time_model: TimeModel,
) -> Result<Vec<FixedPoint>, String> {
    search_fixed_points(sys, v, time_model, &SearchOptions::default())
        .map(|s| s.fixed_points)
        .map_err(|e| e.to_string())
}

/// A fixed point of the full system drawn on the plane `axes`: its coordinates on the two axes,
/// everything else (the Jacobian, all `R` eigenvalues, the type) unchanged; the full state is
/// kept in [`FixedPoint::latent`].
pub fn fixed_point_on(axes: &PlaneAxes, fp: &FixedPoint, v: &[f64]) -> FixedPoint {
    FixedPoint {
        kappa: axes.project(&fp.kappa, v).to_vec(),
        latent: Some(fp.kappa.clone()),
        eigenvectors: Vec::new(),
        ..fp.clone()
    }
}

/// A cycle of the full system drawn on the plane `axes` (its points, box and centre projected;
/// period and Floquet multiplier unchanged).
pub fn cycle_on(axes: &PlaneAxes, cycle: &Cycle, v: &[f64]) -> Cycle {
    let on = |k: &[f64]| axes.project(k, v).to_vec();
    Cycle {
        points: cycle.points.iter().map(|p| on(p)).collect(),
        kappa_min: on(&cycle.kappa_min),
        kappa_max: on(&cycle.kappa_max),
        center: on(&cycle.center),
        ..cycle.clone()
    }
}

/// The attracting limit cycles of the ODE of `sys` at input `v`, in `R` dimensions (module
/// docs), from the starts next to `fixed_points` (the full system's) and the box's corners; with
/// the evaluations spent.
pub fn attracting_cycles(
    sys: &dyn ReducedSystem,
    v: &[f64],
    fixed_points: &[FixedPoint],
    opts: &CycleOptions,
) -> (Vec<Cycle>, usize) {
    let Some(half) = sys.absorbing_box().filter(|b| b.len() == sys.rank()) else {
        return (Vec::new(), 0);
    };
    let diag = 2.0 * norm(&half);
    if !(diag.is_finite() && diag > 0.0) {
        return (Vec::new(), 0);
    }
    let bounds = Bounds {
        lo: half.iter().map(|h| -2.0 * h - 1.0).collect(),
        hi: half.iter().map(|h| 2.0 * h + 1.0).collect(),
    };
    let (mut cycles, mut evaluations) = (Vec::<Cycle>::new(), 0);
    for start in starts(&half, fixed_points, opts.seed_offset * diag) {
        if evaluations >= opts.max_evaluations {
            break;
        }
        let settled = dopri5(
            ode_rhs(sys, v),
            0.0,
            &start,
            TRANSIENT_TAU,
            &OdeOptions {
                rtol: opts.search_rtol,
                atol: opts.search_rtol * 1e-3 * diag,
                bounds: Some(bounds.clone()),
                min_speed: 1e-6 * diag,
                record: false,
                max_steps: opts.max_steps,
                ..OdeOptions::default()
            },
            None,
        );
        evaluations += settled.evaluations;
        if settled.stop != Stop::Reached {
            continue;
        }
        let y = settled.last_state().to_vec();
        if cycles
            .iter()
            .any(|c| distance_to_curve(&y, &c.points) < 1e-3 * diag)
        {
            continue;
        }
        let Some((period, spent)) = first_return(sys, v, &y, diag, opts) else {
            continue;
        };
        evaluations += spent;
        let mut normal = vec![0.0; y.len()];
        sys.flow(&y, v, &mut normal);
        let speed = norm(&normal);
        normal.iter_mut().for_each(|n| *n /= speed);
        let guess = Guess {
            x0: &y,
            period,
            backward: false,
        };
        let section = Section {
            anchor: &y,
            normal: &normal,
        };
        let Some(orbit) = shoot(sys, v, guess, section, diag, opts) else {
            continue;
        };
        evaluations += orbit.evaluations;
        let center = mean(&orbit.path);
        let cycle = limit_cycle(&orbit, &center);
        if cycle.stable
            && !cycles
                .iter()
                .any(|c| distance_to_curve(&orbit.x0, &c.points) < 1e-4 * diag)
        {
            cycles.push(cycle);
        }
    }
    (cycles, evaluations)
}

/// Starts: each unstable fixed point moved by `offset` along every axis (both ways), then the
/// corners of half the box (at most [`MAX_CORNERS`]).
fn starts(half: &[f64], fixed_points: &[FixedPoint], offset: f64) -> Vec<Vec<f64>> {
    let r = half.len();
    let mut out = Vec::new();
    for fp in fixed_points.iter().filter(|f| !f.stable) {
        let base = fp.latent.as_ref().unwrap_or(&fp.kappa);
        for l in 0..r {
            for sign in [1.0, -1.0] {
                let mut s = base.clone();
                s[l] += sign * offset;
                out.push(s);
            }
        }
    }
    let corners = (1usize << r.min(usize::BITS as usize - 1)).min(MAX_CORNERS);
    out.extend((0..corners).map(|c| {
        (0..r)
            .map(|l| if c >> l & 1 == 1 { 0.5 } else { -0.5 } * half[l])
            .collect()
    }));
    out
}

/// The time of the first return of the orbit through `y` to the hyperplane through `y` normal to
/// the flow there, with the evaluations spent; `None` if there is none within the step cap.
fn first_return(
    sys: &dyn ReducedSystem,
    v: &[f64],
    y: &[f64],
    diag: f64,
    opts: &CycleOptions,
) -> Option<(f64, usize)> {
    let mut f = vec![0.0; y.len()];
    sys.flow(y, v, &mut f);
    let g = |_t: f64, x: &[f64]| x.iter().zip(y).zip(&f).map(|((a, b), n)| (a - b) * n).sum();
    let mut period = None;
    let mut on_hit = |h: &EventHit| {
        let back = norm(&h.y.iter().zip(y).map(|(a, b)| a - b).collect::<Vec<f64>>());
        if h.t > 1e-6 && back < 0.05 * diag {
            period = Some(h.t);
            return true;
        }
        false
    };
    let run = dopri5(
        ode_rhs(sys, v),
        0.0,
        y,
        1e6,
        &OdeOptions {
            rtol: opts.search_rtol,
            atol: opts.search_rtol * 1e-3 * diag,
            max_steps: opts.max_steps,
            record: false,
            ..OdeOptions::default()
        },
        Some(Event {
            g: &g,
            crossing: Crossing::Rising,
            on_hit: &mut on_hit,
        }),
    );
    period.map(|p| (p, run.evaluations))
}

fn mean(points: &[Vec<f64>]) -> Vec<f64> {
    let n = points.len().max(1) as f64;
    let dim = points.first().map_or(0, Vec::len);
    (0..dim)
        .map(|d| points.iter().map(|p| p[d]).sum::<f64>() / n)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::test_systems::{Hopf, Linear};

    /// A 2-D system in `(kappa_1, kappa_2)` with a decoupled stable third coordinate,
    /// `kappa_3' = -rate kappa_3`: its cycles and fixed points are the 2-D system's, known.
    struct PlusStable<S> {
        plane: S,
        rate: f64,
        half_width: Vec<f64>,
    }

    impl<S: ReducedSystem> ReducedSystem for PlusStable<S> {
        fn rank(&self) -> usize {
            3
        }
        fn inputs(&self) -> usize {
            self.plane.inputs()
        }
        fn flow(&self, k: &[f64], v: &[f64], out: &mut [f64]) {
            self.plane.flow(&k[..2], v, &mut out[..2]);
            out[2] = -self.rate * k[2];
        }
        fn flow_jacobian(&self, k: &[f64], v: &[f64], f: &mut [f64], jac: &mut [f64]) {
            let mut j2 = [0.0; 4];
            self.plane.flow_jacobian(&k[..2], v, &mut f[..2], &mut j2);
            f[2] = -self.rate * k[2];
            jac.copy_from_slice(&[j2[0], j2[1], 0.0, j2[2], j2[3], 0.0, 0.0, 0.0, -self.rate]);
        }
        fn absorbing_box(&self) -> Option<Vec<f64>> {
            Some(self.half_width.clone())
        }
    }

    #[test]
    fn the_hopf_cycle_of_a_decoupled_rank_three_system_has_the_normal_form_radius_and_period() {
        let (mu, omega) = (0.5, 1.3);
        let sys = PlusStable {
            plane: Hopf {
                mu,
                omega,
                sign: 1.0,
            },
            rate: 2.0,
            half_width: vec![2.0, 2.0, 1.0],
        };
        let origin =
            crate::analysis::fixed_points::describe(&sys, &[0.0], &[0.0; 3], TimeModel::Ode);
        assert!(!origin.stable);
        let (cycles, _) = attracting_cycles(&sys, &[0.0], &[origin], &CycleOptions::default());
        assert_eq!(cycles.len(), 1);
        let c = &cycles[0];
        assert!((c.period_tau - 2.0 * std::f64::consts::PI / omega).abs() < 1e-6);
        for p in &c.points {
            assert!((p[0].hypot(p[1]) - mu.sqrt()).abs() < 1e-5, "{p:?}");
            assert!(p[2].abs() < 1e-6);
        }
        // The other multipliers: 1 (phase), exp(-2 mu T) (radial), exp(-2 T) (kappa_3).
        let radial = (-2.0 * mu * c.period_tau).exp();
        assert!(
            (c.floquet.unwrap() - radial).abs() < 1e-5,
            "{:?}",
            c.floquet
        );
        let axes = PlaneAxes::Latent {
            axes: [2, 0],
            held: vec![0.0; 3],
        };
        let on = cycle_on(&axes, c, &[0.0]);
        assert!(on.points.iter().all(|p| p.len() == 2 && p[0].abs() < 1e-6));
    }

    #[test]
    fn a_system_with_only_a_stable_node_has_no_cycle() {
        let sys = PlusStable {
            plane: Linear {
                a: [-0.5, -2.0, 2.0, -0.5],
                b: [0.0; 2],
            },
            rate: 1.0,
            half_width: vec![1.0; 3],
        };
        let (cycles, evaluations) =
            attracting_cycles(&sys, &[0.0, 0.0], &[], &CycleOptions::default());
        assert!(cycles.is_empty() && evaluations > 0);
    }
}
