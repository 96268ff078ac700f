//! The plane a phase portrait shows, for a system of any rank (MODEL.md 8): a rank-2
//! [`ReducedSystem`] built from the system analysed, so that every phase-plane routine of
//! [`crate::analysis`] works on it unchanged.
//!
//! - **Latent axes** `(kappa_a, kappa_b)`: for rank 2 the system itself; for rank 3 and more a
//!   *slice*, every other latent coordinate held at a chosen value (usually a fixed point's). A
//!   slice's nullclines are not invariant sets and its crossings are fixed points of the full
//!   system only where the held coordinates' flow vanishes too; [`crate::analysis::projection`]
//!   supplies the full system's fixed points and cycles projected onto the same axes.
//! - **An input coordinate and kappa** `(v_s, kappa)` for rank 1: the network's state is
//!   `x = kappa m + sum_s v_s I_s` with `v_s' = -v_s + u_s` (MODEL.md 1-2, time in units of `tau`),
//!   so for constant inputs `u` the pair is a genuine autonomous system
//!   `(v_s, kappa)' = (u_s - v_s, F(kappa; v))` with `v` the input `u` whose channel `s` is the
//!   state's `v_s`. Its fixed points are `(u_s, kappa*)` with `kappa*` the rank-1 system's fixed
//!   points at `u`, with the same stability plus the eigenvalue `-1` of the input coordinate.

use serde::{Deserialize, Serialize};

use super::{ReducedSystem, for_point_chunks};

/// Which two coordinates a phase portrait shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PlaneAxes {
    /// Latent axes `axes = [a, b]` (`a != b`); every other latent coordinate `l` is held at
    /// `held[l]` (`held` has length `R`; its entries `a` and `b` are not used).
    Latent { axes: [usize; 2], held: Vec<f64> },
    /// Rank 1: `(v_s, kappa)` for the input channel `s = channel`.
    Input { channel: usize },
}

impl PlaneAxes {
    /// The plane a system of `rank` with `inputs` channels is first shown in: `(kappa_1,
    /// kappa_2)` with the rest held at 0, or for rank 1 `(v_1, kappa)`.
    pub fn default_for(rank: usize, inputs: usize) -> Result<PlaneAxes, String> {
        let axes = match rank {
            1 => PlaneAxes::Input { channel: 0 },
            _ => PlaneAxes::Latent {
                axes: [0, 1],
                held: vec![0.0; rank],
            },
        };
        axes.check(rank, inputs)?;
        Ok(axes)
    }

    /// Why these axes do not fit a system of `rank` with `inputs` channels, if they do not.
    pub fn check(&self, rank: usize, inputs: usize) -> Result<(), String> {
        match self {
            PlaneAxes::Latent { axes: [a, b], held } => {
                if rank < 2 {
                    return Err(format!(
                        "a rank-{rank} system has no plane of two latent axes; show (v_s, kappa) for an input channel s"
                    ));
                }
                if a == b || *a >= rank || *b >= rank {
                    return Err(format!(
                        "the axes must be two different latent coordinates in 1..={rank}, got {} and {}",
                        a + 1,
                        b + 1
                    ));
                }
                if held.len() != rank || held.iter().any(|h| !h.is_finite()) {
                    return Err(format!(
                        "the held coordinates must be {rank} finite numbers, got {held:?}"
                    ));
                }
                Ok(())
            }
            PlaneAxes::Input { channel } => {
                if rank != 1 {
                    return Err(format!(
                        "the plane of an input coordinate and kappa is for rank 1, the system has rank {rank}"
                    ));
                }
                if *channel >= inputs {
                    return Err(if inputs == 0 {
                        "a rank-1 system without inputs has only its phase line, no plane".into()
                    } else {
                        format!(
                            "input channel {} does not exist: the system has {inputs}",
                            channel + 1
                        )
                    });
                }
                Ok(())
            }
        }
    }

    /// Whether the plane is a slice of a larger latent space (its nullclines are not invariant).
    pub fn is_slice(&self) -> bool {
        matches!(self, PlaneAxes::Latent { held, .. } if held.len() > 2)
    }

    /// The axis names, e.g. `["kappa_1", "kappa_3"]` or `["v_A", "kappa"]` (`inputs` names the
    /// channels).
    pub fn labels(&self, inputs: &[String]) -> [String; 2] {
        match self {
            PlaneAxes::Latent { axes: [a, b], .. } => {
                [format!("kappa_{}", a + 1), format!("kappa_{}", b + 1)]
            }
            PlaneAxes::Input { channel } => [
                format!(
                    "v_{}",
                    inputs
                        .get(*channel)
                        .cloned()
                        .unwrap_or_else(|| (channel + 1).to_string())
                ),
                "kappa".to_string(),
            ],
        }
    }

    /// The axes' names as figures print them: `κ₁`, `κ₃` or `v(A)`, `κ`.
    pub fn symbols(&self, inputs: &[String]) -> [String; 2] {
        match self {
            PlaneAxes::Latent { axes: [a, b], .. } => [kappa_symbol(*a), kappa_symbol(*b)],
            PlaneAxes::Input { .. } => {
                let [v, _] = self.labels(inputs);
                [format!("v({})", &v[2..]), "κ".to_string()]
            }
        }
    }

    /// A slice's caption: `"slice at κ₃ = 0.12"` (the held coordinates); `None` for a plane
    /// that is a whole state space.
    pub fn caption(&self) -> Option<String> {
        let PlaneAxes::Latent { axes, held } = self else {
            return None;
        };
        let held: Vec<String> = (0..held.len())
            .filter(|l| !axes.contains(l))
            .map(|l| format!("{} = {}", kappa_symbol(l), crate::text::number(held[l])))
            .collect();
        (!held.is_empty()).then(|| format!("slice at {}", held.join(", ")))
    }

    /// The full state `(kappa, v)` of the plane's point `p` at input `u`.
    pub fn lift(&self, p: [f64; 2], u: &[f64]) -> (Vec<f64>, Vec<f64>) {
        match self {
            PlaneAxes::Latent { axes: [a, b], held } => {
                let mut kappa = held.clone();
                kappa[*a] = p[0];
                kappa[*b] = p[1];
                (kappa, u.to_vec())
            }
            PlaneAxes::Input { channel } => {
                let mut v = u.to_vec();
                v[*channel] = p[0];
                (vec![p[1]], v)
            }
        }
    }

    /// The plane's coordinates of the full state `(kappa, v)`.
    pub fn project(&self, kappa: &[f64], v: &[f64]) -> [f64; 2] {
        match self {
            PlaneAxes::Latent { axes: [a, b], .. } => [kappa[*a], kappa[*b]],
            PlaneAxes::Input { channel } => [v[*channel], kappa[0]],
        }
    }

    /// [`PlaneAxes::project`] of a state that fits these axes; `None` for a state of another
    /// rank or input count (a trial of the previous model, drawn for a frame while the new one
    /// runs).
    pub fn try_project(&self, kappa: &[f64], v: &[f64]) -> Option<[f64; 2]> {
        let fits = match self {
            PlaneAxes::Latent { axes: [a, b], held } => {
                kappa.len() == held.len() && *a < kappa.len() && *b < kappa.len()
            }
            PlaneAxes::Input { channel } => kappa.len() == 1 && *channel < v.len(),
        };
        fits.then(|| self.project(kappa, v))
    }
}

/// `κ₁`, `κ₂`, ... for the latent coordinate `l` (0-based).
pub fn kappa_symbol(l: usize) -> String {
    const SUBSCRIPTS: [char; 10] = ['₀', '₁', '₂', '₃', '₄', '₅', '₆', '₇', '₈', '₉'];
    let digits: String = (l + 1)
        .to_string()
        .chars()
        .filter_map(|c| c.to_digit(10).map(|d| SUBSCRIPTS[d as usize]))
        .collect();
    format!("κ{digits}")
}

/// The rank-2 system of a plane of `inner` (see the module docs); its input is `inner`'s.
pub struct PlaneSystem<'a> {
    inner: &'a dyn ReducedSystem,
    axes: PlaneAxes,
    /// The input coordinate's half-range in the absorbing box (input planes only): `v_s` tends
    /// to `u_s`, so the box holds every attractor for `|u_s|` up to this.
    input_reach: f64,
}

impl<'a> PlaneSystem<'a> {
    /// The plane `axes` of `inner`; `input_reach` bounds the inputs an input plane is drawn for.
    pub fn new(
        inner: &'a dyn ReducedSystem,
        axes: PlaneAxes,
        input_reach: f64,
    ) -> Result<PlaneSystem<'a>, String> {
        axes.check(inner.rank(), inner.inputs())?;
        Ok(PlaneSystem {
            inner,
            axes,
            input_reach,
        })
    }

    pub fn axes(&self) -> &PlaneAxes {
        &self.axes
    }

    /// The system the plane is cut from.
    pub fn inner(&self) -> &'a dyn ReducedSystem {
        self.inner
    }

    /// `eval(kappa, v, out_R)` at the plane point `p`, read back on the plane (`out` length 2).
    fn on_plane(
        &self,
        p: &[f64],
        u: &[f64],
        out: &mut [f64],
        eval: impl FnOnce(&[f64], &[f64], &mut [f64]),
    ) {
        let (kappa, v) = self.axes.lift([p[0], p[1]], u);
        let mut full = vec![0.0; kappa.len()];
        eval(&kappa, &v, &mut full);
        match &self.axes {
            PlaneAxes::Latent { axes: [a, b], .. } => {
                out[0] = full[*a];
                out[1] = full[*b];
            }
            PlaneAxes::Input { channel } => {
                out[0] = u[*channel] - p[0];
                out[1] = full[0];
            }
        }
    }
}

impl ReducedSystem for PlaneSystem<'_> {
    fn rank(&self) -> usize {
        2
    }

    fn inputs(&self) -> usize {
        self.inner.inputs()
    }

    fn flow(&self, p: &[f64], u: &[f64], out: &mut [f64]) {
        self.on_plane(p, u, out, |k, v, o| self.inner.flow(k, v, o));
    }

    fn first_step_flow(&self, p: &[f64], u: &[f64], out: &mut [f64]) {
        self.on_plane(p, u, out, |k, v, o| self.inner.first_step_flow(k, v, o));
    }

    /// Latent axes: the `{a, b}` block of `dF/dkappa`. Input plane:
    /// `[[-1, 0], [dF/dv_s, dF/dkappa]]` ([`ReducedSystem::input_jacobian`]).
    fn flow_jacobian(&self, p: &[f64], u: &[f64], f: &mut [f64], jac: &mut [f64]) {
        let (kappa, v) = self.axes.lift([p[0], p[1]], u);
        let r = kappa.len();
        let (mut full_f, mut full_j) = (vec![0.0; r], vec![0.0; r * r]);
        self.inner
            .flow_jacobian(&kappa, &v, &mut full_f, &mut full_j);
        match &self.axes {
            PlaneAxes::Latent { axes: [a, b], .. } => {
                f.copy_from_slice(&[full_f[*a], full_f[*b]]);
                jac.copy_from_slice(&[
                    full_j[a * r + a],
                    full_j[a * r + b],
                    full_j[b * r + a],
                    full_j[b * r + b],
                ]);
            }
            PlaneAxes::Input { channel } => {
                let mut dv = vec![0.0; self.inner.inputs()];
                self.inner.input_jacobian(&kappa, &v, &mut dv);
                f.copy_from_slice(&[u[*channel] - p[0], full_f[0]]);
                jac.copy_from_slice(&[-1.0, 0.0, dv[*channel], full_j[0]]);
            }
        }
    }

    /// Latent axes: the inner box's `a` and `b` entries. Input plane: `input_reach` for `v_s`
    /// (it relaxes to `u_s`) and the inner box for `kappa`.
    fn absorbing_box(&self) -> Option<Vec<f64>> {
        let inner = self.inner.absorbing_box()?;
        Some(match &self.axes {
            PlaneAxes::Latent { axes: [a, b], .. } => vec![inner[*a], inner[*b]],
            PlaneAxes::Input { .. } => vec![self.input_reach, inner[0]],
        })
    }

    /// Latent axes: the `{a, b}` block of the inner bound (a restriction varies no faster).
    /// Input plane: row `v_s` is `(1, 0)`; `dF/dv_s` has no bound from the trait, so none.
    fn lipschitz(&self) -> Option<Vec<f64>> {
        match &self.axes {
            PlaneAxes::Latent { axes: [a, b], held } => {
                let (l, r) = (self.inner.lipschitz()?, held.len());
                Some(vec![l[a * r + a], l[a * r + b], l[b * r + a], l[b * r + b]])
            }
            PlaneAxes::Input { .. } => None,
        }
    }

    fn cut_from(&self) -> Option<(&dyn ReducedSystem, &PlaneAxes)> {
        (self.inner.rank() != 2).then_some((self.inner, &self.axes))
    }

    fn curvature(&self) -> Option<f64> {
        match &self.axes {
            PlaneAxes::Latent { .. } => self.inner.curvature(),
            PlaneAxes::Input { .. } => None,
        }
    }

    /// Latent axes: the points lifted into one batch of the inner system. Input plane: every
    /// point has its own input, so one evaluation each, in parallel chunks sized by the cost of
    /// the first (an exact reduction's is O(N), a mean field's tens of ns).
    fn flow_many(&self, points: &[f64], u: &[f64], out: &mut [f64]) {
        match &self.axes {
            PlaneAxes::Latent { axes: [a, b], held } => {
                let r = held.len();
                let lifted: Vec<f64> = points
                    .chunks_exact(2)
                    .flat_map(|p| self.axes.lift([p[0], p[1]], u).0)
                    .collect();
                let mut full = vec![0.0; lifted.len()];
                self.inner.flow_many(&lifted, u, &mut full);
                for (o, f) in out.chunks_exact_mut(2).zip(full.chunks_exact(r)) {
                    o[0] = f[*a];
                    o[1] = f[*b];
                }
            }
            PlaneAxes::Input { .. } => {
                let Some(first) = points.get(..2) else {
                    return;
                };
                let t0 = std::time::Instant::now();
                self.flow(first, u, &mut out[..2]);
                let cost_ns = t0.elapsed().as_nanos() as usize;
                for_point_chunks(2, &points[2..], &mut out[2..], cost_ns, |pts, outs| {
                    for (p, o) in pts.chunks_exact(2).zip(outs.chunks_exact_mut(2)) {
                        self.flow(p, u, o);
                    }
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Rect;
    use crate::analysis::fixed_points::fixed_points_in;
    use crate::analysis::root_search::{SearchOptions, search_fixed_points};
    use crate::reduced::testing::{check_jacobian, random_network};
    use crate::reduced::{ExactReduction, TimeModel};

    #[test]
    fn a_latent_slice_is_the_block_of_the_full_system() {
        let sys = ExactReduction::new(&random_network(700, 3, 2, true, 4));
        let axes = PlaneAxes::Latent {
            axes: [2, 0],
            held: vec![0.3, -0.7, 0.9],
        };
        let plane = PlaneSystem::new(&sys, axes.clone(), 2.0).unwrap();
        let (u, p) = ([0.4, -0.2], [0.5, 1.1]);
        let (kappa, v) = axes.lift(p, &u);
        assert_eq!(kappa, vec![1.1, -0.7, 0.5]);
        let mut full = [0.0; 3];
        sys.flow(&kappa, &v, &mut full);
        let mut out = [0.0; 2];
        plane.flow(&p, &u, &mut out);
        assert_eq!(out, [full[2], full[0]]);
        let mut many = [0.0; 4];
        plane.flow_many(&[p[0], p[1], p[0], p[1]], &u, &mut many);
        assert_eq!(many, [out[0], out[1], out[0], out[1]]);
        check_jacobian(&plane, &p, &u, 1e-8);
        assert_eq!(axes.project(&kappa, &v), p);
        assert!(axes.is_slice());
    }

    /// The input plane's fixed points are `(u_s, kappa*)` for the rank-1 system's `kappa*`
    /// (found independently by the exhaustive search), with the rank-1 eigenvalue and `-1`.
    #[test]
    fn the_rank_one_input_plane_has_the_rank_one_fixed_points_at_v_equal_u() {
        let sys = ExactReduction::new(&random_network(900, 1, 2, false, 8));
        for u in [[0.0, 0.0], [0.6, -0.3], [-1.2, 0.8]] {
            let plane = PlaneSystem::new(&sys, PlaneAxes::Input { channel: 1 }, 2.0).unwrap();
            check_jacobian(&plane, &[0.3, 0.5], &u, 1e-8);
            let truth = search_fixed_points(&sys, &u, TimeModel::Ode, &SearchOptions::default())
                .unwrap()
                .fixed_points;
            let found = fixed_points_in(&plane, &u, &Rect::default_for(&plane), TimeModel::Ode);
            assert_eq!(found.len(), truth.len(), "u = {u:?}");
            for t in &truth {
                let f = found
                    .iter()
                    .find(|f| (f.kappa[1] - t.kappa[0]).abs() < 1e-8)
                    .expect("every rank-1 fixed point is in the plane");
                assert!((f.kappa[0] - u[1]).abs() < 1e-10);
                assert_eq!(f.stable, t.stable);
                let mut ev: Vec<f64> = f.eigenvalues.iter().map(|l| l[0]).collect();
                ev.sort_by(f64::total_cmp);
                let lambda = t.eigenvalues[0][0];
                let mut want = [lambda, -1.0];
                want.sort_by(f64::total_cmp);
                assert!((ev[0] - want[0]).abs() < 1e-8 && (ev[1] - want[1]).abs() < 1e-8);
            }
        }
    }

    #[test]
    fn planes_that_do_not_fit_are_refused_with_the_reason() {
        let err = PlaneAxes::Input { channel: 0 }.check(1, 0).unwrap_err();
        assert!(err.contains("phase line"), "{err}");
        let one = ExactReduction::new(&random_network(50, 1, 2, false, 1));
        let err = PlaneSystem::new(&one, PlaneAxes::Input { channel: 2 }, 2.0)
            .err()
            .unwrap();
        assert!(err.contains("channel 3"), "{err}");
        let three = ExactReduction::new(&random_network(50, 3, 1, false, 1));
        let same = PlaneAxes::Latent {
            axes: [1, 1],
            held: vec![0.0; 3],
        };
        assert!(PlaneSystem::new(&three, same, 2.0).is_err());
        assert!(PlaneAxes::default_for(1, 0).is_err());
        assert_eq!(
            PlaneAxes::default_for(1, 2)
                .unwrap()
                .labels(&["A".into(), "B".into()]),
            ["v_A".to_string(), "kappa".to_string()]
        );
    }
}
