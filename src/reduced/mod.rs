//! Reduced dynamics of MODEL.md 3-4: the exact finite-N reduction of a loaded network and the
//! population mean field, behind one small interface, [`ReducedSystem`].
//!
//! - [`exact`]: the exact reduction of a loaded network (MODEL.md 3);
//! - [`population`], [`param`], [`mean_field`]: population models, their named parameters and their
//!   mean field with effective connectivity (MODEL.md 4); [`presets`]: the built-in models;
//! - [`gauss`], [`gains`]: the Gaussian averages behind the mean field.
//!
//! Every system is an autonomous flow `kappa' = F(kappa; v)` in `R` latent dimensions for a constant
//! input `v` (S channels). It is read either as the ODE (time in units of `tau`) or as the trained
//! Euler map `kappa_{t+1} = kappa_t + alpha F(kappa_t; v)` ([`TimeModel`]); both have the same fixed
//! points.

pub mod exact;
pub mod gains;
pub mod gauss;
pub mod mean_field;
pub mod param;
pub mod plane;
pub mod population;
pub mod presets;
#[cfg(test)]
pub(crate) mod testing;

pub use exact::ExactReduction;
pub use mean_field::{EffectiveConnectivity, MeanField, PopulationShare};
pub use param::{Loading, ModelParam};
pub use population::{ModelDims, ModelError, Population, PopulationModel, PsdStatus};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// `max |tanh''| = 4 / (3 sqrt 3)`, reached at `tanh x = 1 / sqrt 3`.
pub const TANH_CURVATURE: f64 = 0.769_800_358_919_501_4;

/// A reduced system `kappa' = F(kappa; v)` with its analytic Jacobian.
///
/// Conventions: `kappa` has length [`rank`](Self::rank), `v` length [`inputs`](Self::inputs); the
/// Jacobian is row-major, `jac[r * R + l] = dF_r / dkappa_l`.
pub trait ReducedSystem: Send + Sync {
    /// Latent dimension `R`.
    fn rank(&self) -> usize;

    /// Number of input channels `S`.
    fn inputs(&self) -> usize;

    /// `out = F(kappa; v)`.
    fn flow(&self, kappa: &[f64], v: &[f64], out: &mut [f64]);

    /// `f = F(kappa; v)` and `jac = dF/dkappa` together (they share the expensive part).
    fn flow_jacobian(&self, kappa: &[f64], v: &[f64], f: &mut [f64], jac: &mut [f64]);

    /// `F` as the first step of a trial's map reads it (MODEL.md 1): the papers' code forms the
    /// first rate as `r_0 = tanh(h_0)`, without the bias `b` that every later rate has, so the
    /// exact reduction of a network with a bias overrides this with `F` without `b`. Every other
    /// system has no bias: the default is [`flow`](Self::flow).
    fn first_step_flow(&self, kappa: &[f64], v: &[f64], out: &mut [f64]) {
        self.flow(kappa, v, out);
    }

    /// Half-widths `B_r` of a box `|kappa_r| <= B_r` that holds every fixed point, limit cycle and
    /// attractor for *any* input, when the system has one: outside it `F_r` points inwards.
    ///
    /// For `F_r = -kappa_r + E[n_r phi(x)]` with `|phi| <= 1`, `B_r` bounds `E|n_r|` (MODEL.md 3-4).
    /// The default view of the phase plane is this box; `None` (e.g. a gain-clamped, linear mean
    /// field) leaves the choice to the caller.
    fn absorbing_box(&self) -> Option<Vec<f64>> {
        None
    }

    /// A bound `L` (row-major `R x R`) on the slope of the flow, for any input:
    /// `|F_r(a) - F_r(b)| <= sum_l L[r * R + l] |a_l - b_l|`. It lets a search of any rank exclude
    /// a whole box from one evaluation at its centre ([`crate::analysis::root_search`]). For
    /// `F_r = -kappa_r + E[n_r phi(x)]` with `x = sum_l m_l kappa_l + ...` and `|phi'| <= 1`,
    /// `L_rl = delta_rl + E|n_r m_l|` (MODEL.md 3-4). `None`: no bound known.
    fn lipschitz(&self) -> Option<Vec<f64>> {
        None
    }

    /// A bound `K` on how fast the Jacobian changes, in the max norm:
    /// `||J(a) - J(b)||_inf <= K ||a - b||_inf` for any input. With it a root `x*` is the only one
    /// within `1 / (K ||J(x*)^-1||_inf)` of itself ([`crate::analysis::root_search`]). For the
    /// flows of MODEL.md 3-4, `d^2 F_r / dkappa_l dkappa_k = E[n_r phi''(x) m_l m_k]` with
    /// `|phi''| <= 4 / (3 sqrt 3)` ([`TANH_CURVATURE`]). `None`: no bound known.
    fn curvature(&self) -> Option<f64> {
        None
    }

    /// `F`, `dF/dkappa` ([`flow_jacobian`](Self::flow_jacobian)) and `dF/dv`
    /// ([`input_jacobian`](Self::input_jacobian)) at one point, bit for bit those two: the
    /// shooting of a cycle branch needs all three at every step, and the mean field gets them
    /// from one pass over its populations.
    fn flow_jacobians(
        &self,
        kappa: &[f64],
        v: &[f64],
        f: &mut [f64],
        jac: &mut [f64],
        jac_v: &mut [f64],
    ) {
        self.flow_jacobian(kappa, v, f, jac);
        self.input_jacobian(kappa, v, jac_v);
    }

    /// `dF/dv` at `(kappa, v)`, row-major `R x S` (`out[r * S + s] = dF_r / dv_s`): how each
    /// input coordinate moves the flow. The rank-1 plane holds `v_s` as a state
    /// ([`plane`], MODEL.md 8), so its Jacobian needs this column. The default differentiates
    /// [`flow`](Self::flow) centrally (step `1e-6 (1 + |v_s|)`, error ~1e-9 relative); the exact
    /// reduction and the mean field override it with the exact derivative.
    fn input_jacobian(&self, kappa: &[f64], v: &[f64], out: &mut [f64]) {
        let (r, s) = (self.rank(), self.inputs());
        assert_eq!(out.len(), r * s, "input Jacobian buffer length");
        let (mut plus, mut minus) = (vec![0.0; r], vec![0.0; r]);
        let mut w = v.to_vec();
        for c in 0..s {
            let h = 1e-6 * (1.0 + v[c].abs());
            w[c] = v[c] + h;
            self.flow(kappa, &w, &mut plus);
            w[c] = v[c] - h;
            self.flow(kappa, &w, &mut minus);
            w[c] = v[c];
            for row in 0..r {
                out[row * s + c] = (plus[row] - minus[row]) / (2.0 * h);
            }
        }
    }

    /// A plane cut from another system (a [`plane::PlaneSystem`] other than rank 2's own
    /// plane): that system and the plane's axes. On a slice of rank >= 3 the phase plane's
    /// fixed points and cycles are then searched in the full space
    /// ([`crate::analysis::projection`]), where they are the system's; on rank 1's input plane
    /// the landscape adds the phase line of `kappa` ([`crate::analysis::phase_line`]). `None` for
    /// a system that is its own state space.
    fn cut_from(&self) -> Option<(&dyn ReducedSystem, &plane::PlaneAxes)> {
        None
    }

    /// `F` at many points: `points` and `out` are row-major `(P, R)`.
    ///
    /// The default evaluates one point at a time; systems whose evaluation is expensive (the exact
    /// reduction, O(N) per point) override it to hoist the input term and spread points over threads.
    fn flow_many(&self, points: &[f64], v: &[f64], out: &mut [f64]) {
        let r = self.rank();
        for (p, o) in points.chunks_exact(r).zip(out.chunks_exact_mut(r)) {
            self.flow(p, v, o);
        }
    }
}

/// Which reading of the reduced dynamics a view or a number refers to (MODEL.md 1).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TimeModel {
    /// `kappa' = F(kappa; v)`, time in units of `tau`; stable iff every `Re(lambda) < 0`.
    Ode,
    /// `kappa_{t+1} = kappa_t + alpha F(kappa_t; v)`; stable iff every `|1 + alpha lambda| < 1`.
    Map { alpha: f64 },
}

impl TimeModel {
    /// The trained networks' map, `alpha = 0.2`.
    pub const TRAINED_MAP: TimeModel = TimeModel::Map {
        alpha: crate::network::ALPHA,
    };

    /// `"ODE"` or `"map (alpha = 0.2)"`: how every report, figure and view names the reading of
    /// the dynamics it shows (MODEL.md 1). The step is spelt out: in the embedded font a small
    /// alpha reads as an `a`.
    pub fn label(self) -> String {
        match self {
            TimeModel::Ode => "ODE".to_string(),
            TimeModel::Map { alpha } => format!("map (alpha = {})", crate::text::number(alpha)),
        }
    }
}

/// Work per parallel task in [`for_point_chunks`], in rough nanoseconds: large enough that rayon's
/// overhead (~1 us per task) is noise, small enough to balance over a few cores.
const TASK_WORK_NS: usize = 50_000;

/// Runs `eval(points_chunk, out_chunk)` over row-major `(P, R)` points, in parallel chunks of about
/// [`TASK_WORK_NS`] when the total work (`cost_ns` per point) is worth it, inline otherwise.
///
/// # Panics
/// If `points` and `out` differ in length or are not multiples of `rank`.
pub(crate) fn for_point_chunks(
    rank: usize,
    points: &[f64],
    out: &mut [f64],
    cost_ns: usize,
    eval: impl Fn(&[f64], &mut [f64]) + Sync,
) {
    assert_eq!(points.len(), out.len(), "points and output lengths differ");
    assert!(
        points.len().is_multiple_of(rank),
        "points are not (P, {rank})"
    );
    let count = points.len() / rank;
    let per_task = (TASK_WORK_NS / cost_ns.max(1)).max(1);
    if count <= per_task || rayon::current_num_threads() == 1 {
        eval(points, out);
    } else {
        points
            .par_chunks(per_task * rank)
            .zip(out.par_chunks_mut(per_task * rank))
            .for_each(|(p, o)| eval(p, o));
    }
}
