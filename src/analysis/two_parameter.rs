//! Two-parameter continuation of the codimension-1 curves of fixed points (MODEL.md 9): folds,
//! Hopf points (ODE), Neimark-Sacker and flip points (map), in the plane of two parameters
//! `(p, q)`, with the codimension-2 points on them located.
//!
//! Formulation (minimally augmented, Govaerts, *Numerical Methods for Bifurcations of Dynamical
//! Equilibria*, 2000): unknowns `X = (kappa, p, q)`, equations `G(X) = (F(kappa; p, q), g(X))`,
//! where `g` is the last entry of the solution of the bordered system
//! `[[T, b], [c^T, 0]] (v, g) = (0, 1)` with the curve's test matrix `T(J)`:
//!
//! | curve | `T` | eigenvalues of `T` |
//! |---|---|---|
//! | fold | `J` | `lambda_i` |
//! | Hopf | `2 J (.) I` (bialternate product) | `lambda_i + lambda_j`, `i < j` |
//! | Neimark-Sacker | `M (.) M - I`, `M = I + alpha J` | `mu_i mu_j - 1` |
//! | flip | `M + I` | `mu_i + 1` |
//!
//! `g = 0` exactly where `T` is singular. The borders `b`, `c` are the left and right singular
//! vectors of `T`'s smallest singular value at the last accepted point, so the bordered matrix
//! stays regular along the curve. `G` is continued by pseudo-arclength (as in
//! [`super::continuation`]) with `DG` by central differences, in parameters scaled to the unit
//! square of their ranges (a step is a fraction of the plane whatever the units). A Hopf curve
//! continues through a Bogdanov-Takens point into a curve of neutral saddles (`lambda` and
//! `-lambda` real), which its points flag.
//!
//! Codimension-2 points are roots of test functions between consecutive points, located by the
//! Illinois method on the arclength:
//!
//! - on a fold curve, with `v`, `w` the unit right and left null vectors of `J` (oriented along the
//!   curve): cusp, `w . B(v, v)` (the quadratic coefficient of the fold's normal form);
//!   Bogdanov-Takens, `w . v` (the zero eigenvalue becomes double: `v` is then the range of `J`'s
//!   Jordan block, orthogonal to `w`); fold-Hopf (rank >= 3), `det(2 J (.) I)` with a pair
//!   `+- i omega`, `omega > 0`, at the root. The map's fold curves carry the first two tests: a
//!   cusp, and a 1:1 resonance where the multiplier 1 is double.
//! - on a Hopf curve: Bogdanov-Takens, `k = lambda_i lambda_j` of the critical pair (`omega^2` on
//!   the Hopf part, `-lambda^2` on the neutral saddles); fold-Hopf (rank >= 3), `det J` with
//!   `k > 0`; Bautin (generalised Hopf), the first Lyapunov coefficient `l_1`
//!   ([`super::normal_form`]) on the Hopf part.
//! - on a Neimark-Sacker curve: the strong resonances 1:4, 1:3 and 1:2, where `c = cos theta`
//!   of the critical multipliers `e^{+-i theta}` is 0, -1/2 and -1 (on the neutral saddles `c` is
//!   `(mu + 1 / mu) / 2`, so `c + 1` changes sign only at 1:2); on the map's fold curves a
//!   fold-flip point, `det(I + M)`. Flip curves are continued without tests.
//! - a plane whose axis is the map's step `alpha` is built in closed form from the flow's
//!   diagram instead ([`super::step_plane`]).
//!
//! Curves start from every fold, Hopf, Neimark-Sacker and flip point of the one-parameter
//! diagrams ([`super::continuation::diagram`]) along `p` at three values of `q` (the current one and
//! both ends) and along `q` at three of `p`; a start on a curve already traced is skipped.

use std::sync::{Arc, Mutex};

use nalgebra::DMatrix;
use serde::Serialize;

use super::continuation::{
    BranchEnd, ContinuationOptions, Family, SpecialKind, diagram, illinois, pair_product,
};
use super::cycle_branch::Cancel;
use super::linalg::{Complex, along, cabs, cmul, dist, eigenvalues, lerp, norm, solve_in_place};
use super::normal_form::{
    Codim2Coefficients, codim2_coefficients, first_lyapunov, return_map_lyapunov,
};
use super::step_plane::step_plane_diagram;
use crate::reduced::{ReducedSystem, TimeModel};

/// Builds the system and its input at a point `[p, q]` of the parameter plane.
pub type Build = dyn Fn([f64; 2]) -> (Arc<dyn ReducedSystem>, Vec<f64>) + Send + Sync;

/// A two-parameter family of reduced systems `F(kappa; p, q)`: the system and input at each
/// `(p, q)`, the last one cached (the corrector evaluates the same point several times). One
/// axis may be the map's step `alpha` instead ([`TwoParameterFamily::with_step_axis`]): `F` does
/// not depend on it, the time model does.
pub struct TwoParameterFamily {
    build: Box<Build>,
    rank: usize,
    step_axis: Option<usize>,
    cache: Mutex<Option<Frozen>>,
}

/// The system and input at one point of the parameter plane.
#[derive(Clone)]
pub struct Frozen {
    pub pq: [f64; 2],
    pub sys: Arc<dyn ReducedSystem>,
    pub v: Arc<[f64]>,
}

impl TwoParameterFamily {
    pub fn new(rank: usize, build: Box<Build>) -> Self {
        TwoParameterFamily {
            build,
            rank,
            step_axis: None,
            cache: Mutex::new(None),
        }
    }

    /// The family whose axis `axis` (0: `p`, 1: `q`) is the Euler map's step `alpha`
    /// (`build` ignores its value there): its plane is [`step_plane_diagram`]'s.
    pub fn with_step_axis(self, axis: usize) -> Self {
        TwoParameterFamily {
            step_axis: Some(axis.min(1)),
            ..self
        }
    }

    /// The axis that is the map's step, if one is.
    pub fn step_axis(&self) -> Option<usize> {
        self.step_axis
    }

    /// The time model at `pq`: the map with step `pq[axis]` on a step plane, `base` otherwise.
    pub fn time_model_at(&self, pq: [f64; 2], base: TimeModel) -> TimeModel {
        match self.step_axis {
            Some(axis) => TimeModel::Map { alpha: pq[axis] },
            None => base,
        }
    }

    pub fn rank(&self) -> usize {
        self.rank
    }

    /// The system and input at `pq`.
    pub fn at(&self, pq: [f64; 2]) -> Frozen {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        match cache.as_ref() {
            Some(f) if f.pq.map(f64::to_bits) == pq.map(f64::to_bits) => f.clone(),
            _ => {
                let (sys, v) = (self.build)(pq);
                let frozen = Frozen {
                    pq,
                    sys,
                    v: v.into(),
                };
                *cache = Some(frozen.clone());
                frozen
            }
        }
    }

    /// The one-parameter family along `axis` (0: `p`, 1: `q`) with the other parameter at `other`.
    pub fn line(&self, axis: usize, other: f64) -> Line<'_> {
        Line {
            plane: self,
            axis,
            other,
        }
    }
}

/// A line of the parameter plane as a one-parameter [`Family`].
pub struct Line<'a> {
    plane: &'a TwoParameterFamily,
    axis: usize,
    other: f64,
}

impl Line<'_> {
    fn frozen(&self, p: f64) -> Frozen {
        let mut pq = [self.other; 2];
        pq[self.axis] = p;
        self.plane.at(pq)
    }
}

impl Family for Line<'_> {
    fn rank(&self) -> usize {
        self.plane.rank
    }
    fn flow(&self, p: f64, kappa: &[f64], out: &mut [f64]) {
        let f = self.frozen(p);
        f.sys.flow(kappa, &f.v, out);
    }
    fn flow_jacobian(&self, p: f64, kappa: &[f64], f: &mut [f64], jac: &mut [f64]) {
        let s = self.frozen(p);
        s.sys.flow_jacobian(kappa, &s.v, f, jac);
    }
    fn absorbing_box(&self, p: f64) -> Option<Vec<f64>> {
        self.frozen(p).sys.absorbing_box()
    }
    fn lipschitz(&self, p: f64) -> Option<Vec<f64>> {
        self.frozen(p).sys.lipschitz()
    }
    fn curvature(&self, p: f64) -> Option<f64> {
        self.frozen(p).sys.curvature()
    }
}

/// Options of the two-parameter continuation.
#[derive(Debug, Clone)]
pub struct TwoParameterOptions {
    /// `[[p_min, p_max], [q_min, q_max]]`.
    pub ranges: [[f64; 2]; 2],
    pub time_model: TimeModel,
    /// Initial, smallest and largest arclength step, in the unit square of the ranges.
    pub ds: f64,
    pub ds_min: f64,
    pub ds_max: f64,
    /// Points per direction of a curve.
    pub max_points: usize,
    /// Asked before every step: a newer request ends the curves early.
    pub cancel: Option<Cancel>,
}

impl TwoParameterOptions {
    pub fn new(ranges: [[f64; 2]; 2], time_model: TimeModel) -> Self {
        TwoParameterOptions {
            ranges: ranges.map(|[a, b]| [a.min(b), a.max(b)]),
            time_model,
            ds: 0.01,
            ds_min: 1e-9,
            ds_max: 0.03,
            max_points: 1500,
            cancel: None,
        }
    }
}

/// A point of a codimension-1 curve.
#[derive(Debug, Clone, Serialize)]
pub struct CurvePoint {
    pub p: f64,
    pub q: f64,
    pub kappa: Vec<f64>,
    pub eigenvalues: Vec<Complex>,
    /// A Hopf (Neimark-Sacker) curve's point whose critical pair is real: a neutral saddle, not a
    /// bifurcation of the fixed point.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub neutral_saddle: bool,
    /// A Hopf point's first Lyapunov coefficient (negative: supercritical).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_lyapunov: Option<f64>,
}

/// A curve of fold, Hopf, Neimark-Sacker or flip points, ordered along its arclength.
#[derive(Debug, Clone, Serialize)]
pub struct Curve {
    pub kind: SpecialKind,
    pub points: Vec<CurvePoint>,
    pub ends: [BranchEnd; 2],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Codim2Kind {
    Cusp,
    BogdanovTakens,
    /// Generalised Hopf: `l_1 = 0` on a Hopf curve.
    Bautin,
    /// Zero-Hopf: a zero eigenvalue and a pair `+- i omega` (rank >= 3).
    FoldHopf,
    /// The map's double multiplier 1 on a fold curve.
    Resonance1to1,
    /// The map's double multiplier -1, where a Neimark-Sacker curve ends on a flip curve.
    Resonance1to2,
    /// Multipliers `e^{+-2 pi i / 3}` on a Neimark-Sacker curve.
    Resonance1to3,
    /// Multipliers `+-i` on a Neimark-Sacker curve.
    Resonance1to4,
    /// The map's multipliers 1 and -1: a fold curve meets a flip curve.
    FoldFlip,
}

impl Codim2Kind {
    pub fn name(self) -> &'static str {
        match self {
            Codim2Kind::Cusp => "cusp",
            Codim2Kind::BogdanovTakens => "Bogdanov-Takens",
            Codim2Kind::Bautin => "Bautin",
            Codim2Kind::FoldHopf => "fold-Hopf",
            Codim2Kind::Resonance1to1 => "1:1 resonance",
            Codim2Kind::Resonance1to2 => "1:2 resonance",
            Codim2Kind::Resonance1to3 => "1:3 resonance",
            Codim2Kind::Resonance1to4 => "1:4 resonance",
            Codim2Kind::FoldFlip => "fold-flip",
        }
    }

    /// What the map's multipliers are at the point (a tooltip's second line), for the map's
    /// points, which have no normal-form coefficient here.
    pub fn multipliers(self) -> Option<&'static str> {
        match self {
            Codim2Kind::Resonance1to1 => Some("multipliers 1, 1"),
            Codim2Kind::Resonance1to2 => {
                Some("multipliers -1, -1: the Neimark-Sacker curve ends on the flip curve")
            }
            Codim2Kind::Resonance1to3 => Some("multipliers exp(+-2 pi i / 3)"),
            Codim2Kind::Resonance1to4 => Some("multipliers +-i"),
            Codim2Kind::FoldFlip => Some("multipliers 1 and -1: a fold meets a flip"),
            _ => None,
        }
    }

    /// The label diagrams put at the point (the abbreviations of AUTO and MatCont).
    pub fn label(self) -> &'static str {
        match self {
            Codim2Kind::Cusp => "CP",
            Codim2Kind::BogdanovTakens => "BT",
            Codim2Kind::Bautin => "GH",
            Codim2Kind::FoldHopf => "ZH",
            Codim2Kind::Resonance1to1 => "R1",
            Codim2Kind::Resonance1to2 => "R2",
            Codim2Kind::Resonance1to3 => "R3",
            Codim2Kind::Resonance1to4 => "R4",
            Codim2Kind::FoldFlip => "LPPD",
        }
    }
}

/// A located codimension-2 point.
#[derive(Debug, Clone, Serialize)]
pub struct Codim2Point {
    pub kind: Codim2Kind,
    pub p: f64,
    pub q: f64,
    pub kappa: Vec<f64>,
    /// The curve it was located on.
    pub curve: usize,
    pub eigenvalues: Vec<Complex>,
    /// The normal form's coefficients of an ODE's cusp, Bogdanov-Takens or (rank 2) Bautin point.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coefficients: Option<Codim2Coefficients>,
}

/// The plain data of a two-parameter diagram.
#[derive(Debug, Clone, Serialize)]
pub struct TwoParameterDiagram {
    pub ranges: [[f64; 2]; 2],
    pub curves: Vec<Curve>,
    pub codim2_points: Vec<Codim2Point>,
    /// Residual evaluations (one `F` with `J` each).
    pub evaluations: usize,
    /// Whether a newer request ended it early.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub cancelled: bool,
}

impl TwoParameterDiagram {
    /// No curves yet, over `ranges`.
    pub fn empty(ranges: [[f64; 2]; 2]) -> Self {
        TwoParameterDiagram {
            ranges,
            curves: Vec::new(),
            codim2_points: Vec::new(),
            evaluations: 0,
            cancelled: false,
        }
    }
}

/// The curve kinds a time model has: folds, and Hopf (ODE) or Neimark-Sacker and flip (map).
fn curve_kinds(time_model: TimeModel) -> &'static [SpecialKind] {
    match time_model {
        TimeModel::Ode => &[SpecialKind::Fold, SpecialKind::Hopf],
        TimeModel::Map { .. } => &[
            SpecialKind::Fold,
            SpecialKind::NeimarkSacker,
            SpecialKind::Flip,
        ],
    }
}

/// The two-parameter diagram of `family` over `opts.ranges`: every codimension-1 curve through
/// the one-parameter diagrams along both axes (see the module documentation), from the current
/// point `current` (held in the ranges). A plane with the map's step on an axis is
/// [`step_plane_diagram`]'s (`opts.time_model` does not apply).
pub fn two_parameter_diagram(
    family: &TwoParameterFamily,
    current: [f64; 2],
    opts: &TwoParameterOptions,
) -> TwoParameterDiagram {
    let current = [0, 1].map(|i| {
        let [lo, hi] = opts.ranges[i];
        if current[i].is_finite() {
            current[i].clamp(lo, hi)
        } else {
            lo
        }
    });
    if let Some(axis) = family.step_axis() {
        return step_plane_diagram(family, axis, current, opts);
    }
    let mut evaluations = 0;
    let starts = seeds(family, current, opts, &mut evaluations);
    let mut d = curves_from(family, &starts, opts);
    d.evaluations += evaluations;
    d
}

/// The curves through the starts `(kind, (kappa, p, q))` (each a fold, Hopf, Neimark-Sacker or
/// flip point), with their codimension-2 points; a start on a curve already traced is skipped.
pub fn curves_from(
    family: &TwoParameterFamily,
    starts: &[(SpecialKind, Vec<f64>)],
    opts: &TwoParameterOptions,
) -> TwoParameterDiagram {
    let mut tracer = Tracer::new(family, opts);
    let mut out = TwoParameterDiagram::empty(opts.ranges);
    for (kind, x0) in starts {
        if tracer.cancelled() {
            out.cancelled = true;
            break;
        }
        if x0.len() != family.rank() + 2
            || out
                .curves
                .iter()
                .any(|c| c.kind == *kind && tracer.on_curve(c, x0))
        {
            continue;
        }
        let index = out.curves.len();
        let Some((curve, codim2)) = tracer.curve(*kind, x0, index) else {
            continue;
        };
        out.curves.push(curve);
        for c in codim2 {
            let duplicate = out.codim2_points.iter().any(|o| {
                o.kind == c.kind
                    && tracer.scaled_distance([o.p, o.q], [c.p, c.q]) < 1e-6
                    && dist(&o.kappa, &c.kappa) < 1e-4
            });
            if !duplicate {
                out.codim2_points.push(c);
            }
        }
    }
    out.evaluations = tracer.evaluations;
    out
}

/// Starts `(kind, X0 = (kappa, p, q))` of curves: the special points of the one-parameter
/// diagrams along `p` at `q` = current, `q_min`, `q_max` and along `q` likewise.
fn seeds(
    family: &TwoParameterFamily,
    current: [f64; 2],
    opts: &TwoParameterOptions,
    evaluations: &mut usize,
) -> Vec<(SpecialKind, Vec<f64>)> {
    let kinds = curve_kinds(opts.time_model);
    let mut out = Vec::new();
    for axis in 0..2 {
        let [lo, hi] = opts.ranges[axis];
        let [olo, ohi] = opts.ranges[1 - axis];
        for other in [current[1 - axis], olo, ohi] {
            let line = family.line(axis, other);
            let d = diagram(
                &line,
                current[axis],
                &ContinuationOptions::new(lo, hi, opts.time_model),
                None,
            );
            *evaluations += d.evaluations;
            for sp in d.special_points {
                if !kinds.contains(&sp.kind) {
                    continue;
                }
                let mut x = sp.kappa;
                let mut pq = [other; 2];
                pq[axis] = sp.p;
                x.extend(pq);
                out.push((sp.kind, x));
            }
        }
    }
    out
}

/// The bialternate product `A (.) B` of two `n x n` matrices (row-major), of size
/// `n (n - 1) / 2` over the pairs `(i, j)`, `i > j`: `(A (.) B)_{(p,q),(r,s)} = (a_pr b_qs -
/// a_ps b_qr + b_pr a_qs - b_ps a_qr) / 2`. `2 A (.) I` has the eigenvalues `lambda_i +
/// lambda_j` and `A (.) A` the products `lambda_i lambda_j` (Kuznetsov, section 10.2.2).
pub fn bialternate(a: &[f64], b: &[f64], n: usize) -> Vec<f64> {
    let pairs: Vec<(usize, usize)> = (1..n).flat_map(|i| (0..i).map(move |j| (i, j))).collect();
    let m = pairs.len();
    let mut out = vec![0.0; m * m];
    for (row, &(p, q)) in pairs.iter().enumerate() {
        for (col, &(r, s)) in pairs.iter().enumerate() {
            let e = |x: &[f64], i: usize, j: usize| x[i * n + j];
            out[row * m + col] = 0.5
                * (e(a, p, r) * e(b, q, s) - e(a, p, s) * e(b, q, r) + e(b, p, r) * e(a, q, s)
                    - e(b, p, s) * e(a, q, r));
        }
    }
    out
}

/// The test matrix `T(J)` of a curve kind (module documentation) and its size.
fn test_matrix(
    kind: SpecialKind,
    jac: &[f64],
    n: usize,
    time_model: TimeModel,
) -> (Vec<f64>, usize) {
    let identity = |k: usize| {
        let mut m = vec![0.0; k * k];
        (0..k).for_each(|i| m[i * k + i] = 1.0);
        m
    };
    let alpha = match time_model {
        TimeModel::Ode => 1.0,
        TimeModel::Map { alpha } => alpha,
    };
    let multipliers = || -> Vec<f64> {
        let mut m: Vec<f64> = jac.iter().map(|x| alpha * x).collect();
        (0..n).for_each(|i| m[i * n + i] += 1.0);
        m
    };
    let m = n * n.saturating_sub(1) / 2;
    match kind {
        SpecialKind::Hopf => (
            bialternate(jac, &identity(n), n)
                .iter()
                .map(|x| 2.0 * x)
                .collect(),
            m,
        ),
        SpecialKind::NeimarkSacker => {
            let mm = multipliers();
            let mut t = bialternate(&mm, &mm, n);
            (0..m).for_each(|i| t[i * m + i] -= 1.0);
            (t, m)
        }
        SpecialKind::Flip => {
            let mut t = multipliers();
            (0..n).for_each(|i| t[i * n + i] += 1.0);
            (t, n)
        }
        _ => (jac.to_vec(), n),
    }
}

/// The unit left and right singular vectors `(u, v)` of the smallest singular value of the
/// `m x m` matrix `t`: the null vectors of a singular `t`, the borders of a nearly singular one.
fn null_vectors(t: &[f64], m: usize) -> Option<(Vec<f64>, Vec<f64>)> {
    let svd = DMatrix::from_row_slice(m, m, t).svd(true, true);
    let k = (0..m).min_by(|&a, &b| svd.singular_values[a].total_cmp(&svd.singular_values[b]))?;
    let u = svd.u.as_ref()?.column(k).iter().copied().collect();
    let v = svd.v_t.as_ref()?.row(k).iter().copied().collect();
    Some((u, v))
}

/// A point of a curve with its tangent and what the tests need.
#[derive(Clone)]
struct State {
    /// `(kappa, s_p, s_q)`: the parameters scaled to the unit square.
    x: Vec<f64>,
    tangent: Vec<f64>,
    eigenvalues: Vec<Complex>,
    /// Fold curves: the unit right and left null vectors of `J`, oriented along the curve.
    null: Option<(Vec<f64>, Vec<f64>)>,
    first_lyapunov: Option<f64>,
    neutral_saddle: bool,
    tests: [f64; 3],
}

struct Tracer<'a> {
    family: &'a TwoParameterFamily,
    n: usize,
    opts: &'a TwoParameterOptions,
    kind: SpecialKind,
    /// The borders `(b, c)` of the bordered system.
    border: (Vec<f64>, Vec<f64>),
    evaluations: usize,
}

/// Central-difference step of `DG`.
const DIFF: f64 = 1e-6;

impl<'a> Tracer<'a> {
    fn new(family: &'a TwoParameterFamily, opts: &'a TwoParameterOptions) -> Self {
        Tracer {
            family,
            n: family.rank(),
            opts,
            kind: SpecialKind::Fold,
            border: (Vec::new(), Vec::new()),
            evaluations: 0,
        }
    }

    fn cancelled(&self) -> bool {
        self.opts.cancel.as_ref().is_some_and(Cancel::requested)
    }

    /// `[p, q]` of the scaled unknowns `x`.
    fn pq(&self, x: &[f64]) -> [f64; 2] {
        let n = self.n;
        [0, 1].map(|i| {
            let [lo, hi] = self.opts.ranges[i];
            lo + (hi - lo) * x[n + i]
        })
    }

    /// The scaled coordinates of `pq`.
    fn scaled(&self, pq: [f64; 2]) -> [f64; 2] {
        [0, 1].map(|i| {
            let [lo, hi] = self.opts.ranges[i];
            (pq[i] - lo) / (hi - lo)
        })
    }

    fn scaled_distance(&self, a: [f64; 2], b: [f64; 2]) -> f64 {
        dist(&self.scaled(a), &self.scaled(b))
    }

    /// The normal-form coefficients of a cusp, Bogdanov-Takens or (rank 2) Bautin point of the
    /// ODE at `pq`.
    fn coefficients(
        &self,
        kind: Codim2Kind,
        pq: [f64; 2],
        kappa: &[f64],
    ) -> Option<Codim2Coefficients> {
        let s = self.family.at(pq);
        let bogdanov_takens = match (kind, self.opts.time_model) {
            (Codim2Kind::Cusp, TimeModel::Ode) => false,
            (Codim2Kind::BogdanovTakens, TimeModel::Ode) => true,
            (Codim2Kind::Bautin, TimeModel::Ode) => {
                let [_, l2] = return_map_lyapunov(&*s.sys, &s.v, kappa, 1.0 + norm(kappa))?;
                return Some(Codim2Coefficients::Bautin { l2 });
            }
            _ => return None,
        };
        codim2_coefficients(&*s.sys, &s.v, kappa, bogdanov_takens, 1.0)
    }

    /// `F` and `J` at the scaled unknowns `x`.
    fn flow_jacobian(&mut self, x: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let n = self.n;
        let s = self.family.at(self.pq(x));
        let (mut f, mut jac) = (vec![0.0; n], vec![0.0; n * n]);
        s.sys.flow_jacobian(&x[..n], &s.v, &mut f, &mut jac);
        self.evaluations += 1;
        (f, jac)
    }

    /// `G(x) = (F, g)` with the current borders.
    fn residual(&mut self, x: &[f64]) -> Option<Vec<f64>> {
        let (mut f, jac) = self.flow_jacobian(x);
        let (t, m) = test_matrix(self.kind, &jac, self.n, self.opts.time_model);
        let k = m + 1;
        let mut a = vec![0.0; k * k];
        for i in 0..m {
            a[i * k..i * k + m].copy_from_slice(&t[i * m..(i + 1) * m]);
            a[i * k + m] = self.border.0[i];
            a[m * k + i] = self.border.1[i];
        }
        let mut rhs = vec![0.0; k];
        rhs[m] = 1.0;
        if !solve_in_place(&mut a, &mut rhs, k) {
            return None;
        }
        f.push(rhs[m]);
        f.iter().all(|v| v.is_finite()).then_some(f)
    }

    /// `DG` at `x` (row-major `(n + 1) x (n + 2)`) by central differences.
    fn jacobian(&mut self, x: &[f64]) -> Option<Vec<f64>> {
        let (rows, cols) = (self.n + 1, self.n + 2);
        let mut d = vec![0.0; rows * cols];
        let mut y = x.to_vec();
        for j in 0..cols {
            let h = DIFF * (1.0 + x[j].abs());
            y[j] = x[j] + h;
            let plus = self.residual(&y)?;
            y[j] = x[j] - h;
            let minus = self.residual(&y)?;
            y[j] = x[j];
            for i in 0..rows {
                d[i * cols + j] = (plus[i] - minus[i]) / (2.0 * h);
            }
        }
        Some(d)
    }

    /// Solves `[[DG], [row]] y = rhs`.
    fn bordered_solve(&self, dg: &[f64], row: &[f64], rhs: &mut [f64]) -> bool {
        let mut m = dg.to_vec();
        m.extend_from_slice(row);
        solve_in_place(&mut m, rhs, self.n + 2)
    }

    /// The unit null vector of `dg` with positive component along `reference`.
    fn tangent(&self, dg: &[f64], reference: &[f64]) -> Option<Vec<f64>> {
        let mut rhs = vec![0.0; self.n + 2];
        rhs[self.n + 1] = 1.0;
        if !self.bordered_solve(dg, reference, &mut rhs) {
            return None;
        }
        let len = norm(&rhs);
        Some(rhs.iter().map(|v| v / len).collect())
    }

    /// Newton on `(G, constraint . x - level) = 0` from `x0`; the point, `DG` at its last
    /// iterate and the iterations used.
    fn newton(
        &mut self,
        x0: &[f64],
        constraint: &[f64],
        level: f64,
    ) -> Option<(Vec<f64>, Vec<f64>, usize)> {
        let mut x = x0.to_vec();
        for it in 1..=8 {
            let g = self.residual(&x)?;
            let dg = self.jacobian(&x)?;
            let mut rhs: Vec<f64> = g.iter().map(|v| -v).collect();
            rhs.push(level - constraint.iter().zip(&x).map(|(a, b)| a * b).sum::<f64>());
            if !self.bordered_solve(&dg, constraint, &mut rhs) {
                return None;
            }
            x.iter_mut().zip(&rhs).for_each(|(xi, d)| *xi += d);
            if !x.iter().all(|v| v.is_finite()) || norm(&x[..self.n]) > 1e6 {
                return None;
            }
            if norm(&rhs) <= 1e-10 * (1.0 + norm(&x)) {
                let g = self.residual(&x)?;
                return (norm(&g) <= 1e-9).then_some((x, dg, it));
            }
        }
        None
    }

    /// The state at the corrected point `x` (`dg` there), its tangent oriented along
    /// `previous`'s, its null vectors along `previous`'s.
    fn state(&mut self, x: Vec<f64>, dg: &[f64], previous: &State) -> Option<State> {
        let tangent = self.tangent(dg, &previous.tangent)?;
        Some(self.describe(x, tangent, previous.null.as_ref()))
    }

    /// Eigenvalues, null vectors and tests at `x`.
    fn describe(
        &mut self,
        x: Vec<f64>,
        tangent: Vec<f64>,
        orient: Option<&(Vec<f64>, Vec<f64>)>,
    ) -> State {
        let n = self.n;
        let (_, jac) = self.flow_jacobian(&x);
        let eigenvalues = eigenvalues(&jac, n).unwrap_or_default();
        let mut state = State {
            x,
            tangent,
            eigenvalues,
            null: None,
            first_lyapunov: None,
            neutral_saddle: false,
            tests: [f64::NAN; 3],
        };
        match (self.kind, self.opts.time_model) {
            (SpecialKind::Fold, time_model) => {
                state.null = null_vectors(&jac, n).map(|(mut w, mut v)| {
                    if let Some((v0, w0)) = orient {
                        orient_along(&mut v, v0);
                        orient_along(&mut w, w0);
                    }
                    (v, w)
                });
                if let Some((v, w)) = &state.null {
                    let bvv = self.second_derivative(&state.x, v);
                    let third = match time_model {
                        TimeModel::Ode if n >= 3 => {
                            pair_product(&state.eigenvalues, |a, b| [a[0] + b[0], a[1] + b[1]])
                        }
                        TimeModel::Ode => f64::NAN,
                        // det(I + M) = prod (1 + mu_i): another multiplier crosses -1.
                        TimeModel::Map { alpha } => {
                            state.eigenvalues.iter().fold([1.0, 0.0], |a, z| {
                                cmul(a, [2.0 + alpha * z[0], alpha * z[1]])
                            })[0]
                        }
                    };
                    state.tests = [dot(w, &bvv), dot(w, v), third];
                }
            }
            (SpecialKind::Hopf, _) => {
                let k = critical_product(&state.eigenvalues);
                state.neutral_saddle = k <= 0.0;
                let det = if n >= 3 {
                    state
                        .eigenvalues
                        .iter()
                        .fold([1.0, 0.0], |a, z| cmul(a, *z))[0]
                } else {
                    f64::NAN
                };
                if k > 0.0 {
                    let s = self.family.at(self.pq(&state.x));
                    self.evaluations += 5;
                    let kappa = &state.x[..n];
                    state.first_lyapunov =
                        first_lyapunov(s.sys.as_ref(), &s.v, kappa, k.sqrt(), 1.0 + norm(kappa));
                }
                state.tests = [k, det, state.first_lyapunov.unwrap_or(f64::NAN)];
            }
            (SpecialKind::NeimarkSacker, TimeModel::Map { alpha }) => {
                let mu: Vec<Complex> = state
                    .eigenvalues
                    .iter()
                    .map(|z| [1.0 + alpha * z[0], alpha * z[1]])
                    .collect();
                state.neutral_saddle = critical_pair_is_real(&mu);
                let c = critical_cosine(&mu);
                state.tests = [c, c + 0.5, c + 1.0];
            }
            _ => {}
        }
        state
    }

    /// `B(v, v) = (J(kappa + h v) - J(kappa - h v)) v / 2h`, `h = 1e-4 (1 + |kappa|)`.
    fn second_derivative(&mut self, x: &[f64], v: &[f64]) -> Vec<f64> {
        let n = self.n;
        let h = 1e-4 * (1.0 + norm(&x[..n]));
        let shifted = |sign: f64| -> Vec<f64> {
            let mut y = x.to_vec();
            y.iter_mut()
                .zip(v)
                .for_each(|(yi, vi)| *yi += sign * h * vi);
            y
        };
        let (_, plus) = self.flow_jacobian(&shifted(1.0));
        let (_, minus) = self.flow_jacobian(&shifted(-1.0));
        (0..n)
            .map(|i| {
                (0..n)
                    .map(|j| (plus[i * n + j] - minus[i * n + j]) * v[j])
                    .sum::<f64>()
                    / (2.0 * h)
            })
            .collect()
    }

    /// Sets the borders to the singular vectors of `T` at `x`.
    fn update_border(&mut self, x: &[f64]) -> bool {
        let (_, jac) = self.flow_jacobian(x);
        let (t, m) = test_matrix(self.kind, &jac, self.n, self.opts.time_model);
        match null_vectors(&t, m) {
            Some(border) if m > 0 => {
                self.border = border;
                true
            }
            _ => false,
        }
    }

    /// The curve of `kind` through `x0` (unscaled parameters), traced both ways, with its
    /// codimension-2 points.
    fn curve(
        &mut self,
        kind: SpecialKind,
        x0: &[f64],
        index: usize,
    ) -> Option<(Curve, Vec<Codim2Point>)> {
        self.kind = kind;
        let n = self.n;
        let mut x = x0[..n].to_vec();
        x.extend(self.scaled([x0[n], x0[n + 1]]));
        if !self.update_border(&x) {
            return None;
        }
        let dg = self.jacobian(&x)?;
        // The tangent with a component across the line the start came from, or along any axis.
        let tangent = [n + 1, n].into_iter().chain(0..n).find_map(|i| {
            let mut e = vec![0.0; n + 2];
            e[i] = 1.0;
            self.tangent(&dg, &e)
        })?;
        let start = self.describe(x, tangent, None);
        let mut codim2 = Vec::new();
        let (mut back, back_end) = self.trace(&start, -1.0, index, &mut codim2);
        let (forward, forward_end) = self.trace(&start, 1.0, index, &mut codim2);
        back.reverse();
        back.pop();
        back.extend(forward);
        (back.len() > 1).then_some((
            Curve {
                kind,
                points: back,
                ends: [back_end, forward_end],
            },
            codim2,
        ))
    }

    fn curve_point(&self, s: &State) -> CurvePoint {
        let [p, q] = self.pq(&s.x);
        CurvePoint {
            p,
            q,
            kappa: s.x[..self.n].to_vec(),
            eigenvalues: s.eigenvalues.clone(),
            neutral_saddle: s.neutral_saddle,
            first_lyapunov: s.first_lyapunov,
        }
    }

    /// One direction (`sign` of the start's tangent) of a curve.
    fn trace(
        &mut self,
        start: &State,
        sign: f64,
        curve: usize,
        codim2: &mut Vec<Codim2Point>,
    ) -> (Vec<CurvePoint>, BranchEnd) {
        let n = self.n;
        let mut cur = start.clone();
        cur.tangent.iter_mut().for_each(|t| *t *= sign);
        self.update_border(&cur.x);
        let mut points = vec![self.curve_point(&cur)];
        let mut ds = self.opts.ds;
        let end = loop {
            if points.len() >= self.opts.max_points || self.cancelled() {
                break BranchEnd::PointCap;
            }
            let Some((next, iterations)) = self.step(&cur, ds) else {
                ds *= 0.5;
                if ds < self.opts.ds_min {
                    break BranchEnd::StepTooSmall;
                }
                continue;
            };
            for (kind, root) in self.detect(&cur, &next, ds) {
                let [p, q] = self.pq(&root.x);
                let kappa = root.x[..n].to_vec();
                codim2.push(Codim2Point {
                    kind,
                    p,
                    q,
                    coefficients: self.coefficients(kind, [p, q], &kappa),
                    kappa,
                    curve,
                    eigenvalues: root.eigenvalues,
                });
            }
            if let Some(i) = (n..n + 2).find(|&i| !(0.0..=1.0).contains(&next.x[i])) {
                let last = self.at_bound(&cur, &next, i).unwrap_or(next);
                points.push(self.curve_point(&last));
                break BranchEnd::RangeEnd;
            }
            points.push(self.curve_point(&next));
            if points.len() > 10 && dist(&next.x, &start.x) < 0.5 * ds {
                break BranchEnd::Closed;
            }
            self.update_border(&next.x);
            cur = next;
            ds = if iterations <= 3 {
                (1.3 * ds).min(self.opts.ds_max)
            } else {
                (0.7 * ds).max(self.opts.ds_min)
            };
        };
        (points, end)
    }

    /// The corrected state at arclength `sigma` from `from` along its tangent.
    fn state_at(&mut self, from: &State, sigma: f64) -> Option<(State, usize)> {
        let pred = along(&from.x, &from.tangent, sigma);
        let level = dot(&from.tangent, &pred);
        let (x, dg, iterations) = self.newton(&pred, &from.tangent, level)?;
        Some((self.state(x, &dg, from)?, iterations))
    }

    /// Predictor-corrector step; rejects corrections whose tangent turns by more than 0.3 rad.
    fn step(&mut self, cur: &State, ds: f64) -> Option<(State, usize)> {
        let (next, iterations) = self.state_at(cur, ds)?;
        if dot(&next.tangent, &cur.tangent) < 0.3f64.cos() && ds > self.opts.ds_min {
            return None;
        }
        Some((next, iterations))
    }

    /// The point of the curve on the edge `x_i = 0` or `1` crossed between `a` and `b`.
    fn at_bound(&mut self, a: &State, b: &State, i: usize) -> Option<State> {
        let bound = b.x[i].clamp(0.0, 1.0);
        let t = ((bound - a.x[i]) / (b.x[i] - a.x[i])).clamp(0.0, 1.0);
        let guess = lerp(&a.x, &b.x, t);
        let mut e = vec![0.0; self.n + 2];
        e[i] = 1.0;
        let (x, dg, _) = self.newton(&guess, &e, bound)?;
        self.state(x, &dg, b)
    }

    /// Codimension-2 points between `a` and `b` (`b` at arclength `ds` from `a`), located.
    fn detect(&mut self, a: &State, b: &State, ds: f64) -> Vec<(Codim2Kind, State)> {
        let mut found = Vec::new();
        for k in 0..3 {
            let (fa, fb) = (a.tests[k], b.tests[k]);
            // NaN (a test that does not apply here) never brackets a root.
            if fa * fb >= 0.0 || fa.is_nan() || fb.is_nan() {
                continue;
            }
            let Some(root) = illinois([0.0, ds], [fa, fb], |sigma| {
                let (s, _) = self.state_at(a, sigma)?;
                Some((s.tests[k], s))
            }) else {
                continue;
            };
            if let Some(kind) = self.confirm(k, &root) {
                found.push((kind, root));
            }
        }
        found
    }

    /// Which codimension-2 point a root of test `k` is (module documentation), if any.
    fn confirm(&self, k: usize, s: &State) -> Option<Codim2Kind> {
        let l = &s.eigenvalues;
        let scale = l.iter().fold(1.0f64, |m, z| m.max(cabs(*z)));
        let mut by_size: Vec<f64> = l.iter().map(|z| cabs(*z)).collect();
        by_size.sort_by(f64::total_cmp);
        let double_zero = by_size.len() >= 2 && by_size[1] < 1e-3 * scale;
        let imaginary_pair = l
            .iter()
            .any(|z| z[1].abs() > 1e-6 * scale && z[0].abs() < 1e-4 * scale);
        match (self.kind, k) {
            (SpecialKind::Fold, 0) => Some(Codim2Kind::Cusp),
            (SpecialKind::Fold, 1) if double_zero => Some(match self.opts.time_model {
                TimeModel::Ode => Codim2Kind::BogdanovTakens,
                TimeModel::Map { .. } => Codim2Kind::Resonance1to1,
            }),
            (SpecialKind::Fold, 2) => match self.opts.time_model {
                TimeModel::Ode if imaginary_pair && !double_zero => Some(Codim2Kind::FoldHopf),
                TimeModel::Ode => None,
                TimeModel::Map { .. } => Some(Codim2Kind::FoldFlip),
            },
            (SpecialKind::Hopf, 0) if double_zero => Some(Codim2Kind::BogdanovTakens),
            (SpecialKind::Hopf, 1) if imaginary_pair && !double_zero => Some(Codim2Kind::FoldHopf),
            (SpecialKind::Hopf, 2) => Some(Codim2Kind::Bautin),
            // A root, not a jump of the critical pair (rank >= 3).
            (SpecialKind::NeimarkSacker, _) if s.tests[k].abs() > 1e-6 => None,
            (SpecialKind::NeimarkSacker, 0) => Some(Codim2Kind::Resonance1to4),
            (SpecialKind::NeimarkSacker, 1) => Some(Codim2Kind::Resonance1to3),
            (SpecialKind::NeimarkSacker, 2) => Some(Codim2Kind::Resonance1to2),
            _ => None,
        }
    }

    /// Whether the start `x0` (unscaled) lies on `curve`: within `1e-3` (scaled) of one of its
    /// segments.
    fn on_curve(&self, curve: &Curve, x0: &[f64]) -> bool {
        let n = self.n;
        let scaled = |kappa: &[f64], pq: [f64; 2]| {
            let mut x = kappa.to_vec();
            x.extend(self.scaled(pq));
            x
        };
        let x = scaled(&x0[..n], [x0[n], x0[n + 1]]);
        curve.points.windows(2).any(|w| {
            let a = scaled(&w[0].kappa, [w[0].p, w[0].q]);
            let b = scaled(&w[1].kappa, [w[1].p, w[1].q]);
            segment_distance(&x, &a, &b) < 1e-3
        })
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Flips `v` to point along `reference`.
fn orient_along(v: &mut [f64], reference: &[f64]) {
    if dot(v, reference) < 0.0 {
        v.iter_mut().for_each(|x| *x = -*x);
    }
}

/// The distance from `x` to the segment `[a, b]`.
fn segment_distance(x: &[f64], a: &[f64], b: &[f64]) -> f64 {
    let ab: Vec<f64> = b.iter().zip(a).map(|(u, w)| u - w).collect();
    let ax: Vec<f64> = x.iter().zip(a).map(|(u, w)| u - w).collect();
    let len2 = dot(&ab, &ab);
    let t = if len2 > 0.0 {
        (dot(&ax, &ab) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let closest: Vec<f64> = a.iter().zip(&ab).map(|(u, d)| u + t * d).collect();
    dist(x, &closest)
}

/// The pair `(i, j)` whose sum is smallest in modulus (the critical pair of a Hopf curve).
fn critical_pair(
    z: &[Complex],
    op: impl Fn(Complex, Complex) -> Complex,
) -> Option<(usize, usize)> {
    let mut best: Option<((usize, usize), f64)> = None;
    for i in 0..z.len() {
        for j in i + 1..z.len() {
            let size = cabs(op(z[i], z[j]));
            if best.is_none_or(|(_, b)| size < b) {
                best = Some(((i, j), size));
            }
        }
    }
    best.map(|(ij, _)| ij)
}

/// `k = Re(lambda_i lambda_j)` of the pair with the smallest `|lambda_i + lambda_j|`: `omega^2`
/// at a Hopf point, `-lambda^2` at a neutral saddle, 0 at a Bogdanov-Takens point.
fn critical_product(z: &[Complex]) -> f64 {
    critical_pair(z, |a, b| [a[0] + b[0], a[1] + b[1]])
        .map_or(f64::NAN, |(i, j)| cmul(z[i], z[j])[0])
}

/// `c = Re(mu_i + mu_j) / 2` of the multiplier pair with `mu_i mu_j` nearest 1: `cos theta` on a
/// Neimark-Sacker curve (`mu = e^{+-i theta}`), so `c = 0`, `-1/2`, `-1` at the 1:4, 1:3 and 1:2
/// resonances; on the neutral saddles (`mu`, `1 / mu` real) `|c| >= 1`, so `c + 1` changes sign
/// at 1:2 only.
fn critical_cosine(mu: &[Complex]) -> f64 {
    critical_pair(mu, |a, b| {
        let m = cmul(a, b);
        [m[0] - 1.0, m[1]]
    })
    .map_or(f64::NAN, |(i, j)| 0.5 * (mu[i][0] + mu[j][0]))
}

/// Whether the multiplier pair with `mu_i mu_j` nearest 1 is real (a neutral saddle of the map).
fn critical_pair_is_real(mu: &[Complex]) -> bool {
    critical_pair(mu, |a, b| {
        let m = cmul(a, b);
        [m[0] - 1.0, m[1]]
    })
    .is_some_and(|(i, j)| mu[i][1].abs() < 1e-9 && mu[j][1].abs() < 1e-9)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::test_systems::{BogdanovTakens, Cusp, FoldHopf, GeneralisedHopf};

    /// The family `F(kappa; v = (p, q))` of a test system whose two inputs are the parameters.
    fn inputs_as_parameters(sys: impl ReducedSystem + 'static) -> TwoParameterFamily {
        let sys: Arc<dyn ReducedSystem> = Arc::new(sys);
        let rank = sys.rank();
        TwoParameterFamily::new(rank, Box::new(move |pq| (sys.clone(), pq.to_vec())))
    }

    fn of_kind(d: &TwoParameterDiagram, kind: SpecialKind) -> Vec<&Curve> {
        d.curves.iter().filter(|c| c.kind == kind).collect()
    }

    fn codim2(d: &TwoParameterDiagram, kind: Codim2Kind) -> Vec<&Codim2Point> {
        d.codim2_points.iter().filter(|c| c.kind == kind).collect()
    }

    #[test]
    fn bialternate_products_have_the_sums_and_products_of_eigenvalues() {
        // A triangular 3x3 with eigenvalues 1, -2, 5.
        let a = [1.0, 0.3, -0.7, 0.0, -2.0, 0.4, 0.0, 0.0, 5.0];
        let id = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0];
        let sums: Vec<f64> = bialternate(&a, &id, 3).iter().map(|x| 2.0 * x).collect();
        let products = bialternate(&a, &a, 3);
        let sorted = |m: &[f64]| {
            let mut l: Vec<f64> = eigenvalues(m, 3).unwrap().iter().map(|z| z[0]).collect();
            l.sort_by(f64::total_cmp);
            l
        };
        let close = |a: Vec<f64>, b: [f64; 3]| a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-12);
        assert!(
            close(sorted(&sums), [-1.0, 3.0, 6.0]),
            "{:?}",
            sorted(&sums)
        );
        assert!(
            close(sorted(&products), [-10.0, -2.0, 5.0]),
            "{:?}",
            sorted(&products)
        );
    }

    #[test]
    fn cusp_normal_form() {
        // x' = b1 + b2 x - x^3: folds on 27 b1^2 = 4 b2^3 (x = -(b1 / 2)^(1/3), b2 = 3 x^2),
        // meeting in a cusp at the origin.
        let family = inputs_as_parameters(Cusp);
        let opts = TwoParameterOptions::new([[-1.0, 1.0], [-1.0, 1.0]], TimeModel::Ode);
        let d = two_parameter_diagram(&family, [0.0, 0.5], &opts);
        let folds = of_kind(&d, SpecialKind::Fold);
        assert_eq!(
            folds.len(),
            1,
            "the two fold branches are one curve through the cusp"
        );
        for pt in &folds[0].points {
            let x = pt.kappa[0];
            assert!((pt.q - 3.0 * x * x).abs() < 1e-9, "{pt:?}");
            assert!((pt.p + 2.0 * x.powi(3)).abs() < 1e-9, "{pt:?}");
        }
        let q_max = folds[0].points.iter().map(|pt| pt.q).fold(0.0, f64::max);
        assert!(
            (q_max - 1.0).abs() < 1e-9,
            "the curve reaches the edge q = 1"
        );
        assert_eq!(folds[0].ends, [BranchEnd::RangeEnd; 2]);
        let cusps = codim2(&d, Codim2Kind::Cusp);
        assert_eq!(cusps.len(), 1, "{:?}", d.codim2_points);
        assert!(
            cusps[0].p.abs() < 1e-9 && cusps[0].q.abs() < 1e-7,
            "{:?}",
            cusps[0]
        );
        // Its normal form x' = b1 + b2 x - x^3: c = -1.
        let Some(Codim2Coefficients::Cusp { c }) = cusps[0].coefficients else {
            panic!("{:?}", cusps[0])
        };
        assert!((c + 1.0).abs() < 1e-5, "{c}");
        assert!(of_kind(&d, SpecialKind::Hopf).is_empty());
    }

    #[test]
    fn bogdanov_takens_normal_form() {
        // x' = y, y' = b1 + b2 x + x^2 - x y (Kuznetsov 8.4 with s = -1): folds on b1 = b2^2 / 4,
        // Hopf points on b1 = 0, b2 < 0 (supercritical), neutral saddles on b1 = 0, b2 > 0; the
        // curves meet in the Bogdanov-Takens point at the origin.
        let family = inputs_as_parameters(BogdanovTakens { s: -1.0 });
        let opts = TwoParameterOptions::new([[-0.5, 0.5], [-1.0, 1.0]], TimeModel::Ode);
        let d = two_parameter_diagram(&family, [0.1, -0.5], &opts);
        let folds = of_kind(&d, SpecialKind::Fold);
        assert_eq!(
            folds.len(),
            1,
            "{:?}",
            d.curves.iter().map(|c| c.kind).collect::<Vec<_>>()
        );
        for pt in &folds[0].points {
            assert!((pt.p - pt.q * pt.q / 4.0).abs() < 1e-9, "{pt:?}");
            assert!((pt.kappa[0] + pt.q / 2.0).abs() < 1e-9, "{pt:?}");
        }
        let hopf = of_kind(&d, SpecialKind::Hopf);
        assert_eq!(hopf.len(), 1);
        assert!(
            hopf[0].points.iter().any(|pt| pt.q < -0.9)
                && hopf[0].points.iter().any(|pt| pt.q > 0.9)
        );
        for pt in &hopf[0].points {
            assert!(pt.p.abs() < 1e-9, "{pt:?}");
            assert_eq!(pt.neutral_saddle, pt.q > 0.0, "{pt:?}");
            if pt.q < -1e-3 {
                // Supercritical for s = -1 (Kuznetsov 8.4: the cycle is born stable).
                assert!(pt.first_lyapunov.unwrap() < 0.0, "{pt:?}");
            }
        }
        let bt = codim2(&d, Codim2Kind::BogdanovTakens);
        assert!(!bt.is_empty() && bt.len() <= 2, "{:?}", d.codim2_points);
        let on: Vec<usize> = bt.iter().map(|c| c.curve).collect();
        for c in &bt {
            assert!(c.p.abs() < 1e-8 && c.q.abs() < 1e-6, "{c:?}");
            // The normal form's own coefficients: a = 1, b = s = -1.
            let Some(Codim2Coefficients::BogdanovTakens { a, b }) = c.coefficients else {
                panic!("{c:?}")
            };
            assert!((a - 1.0).abs() < 1e-5 && (b + 1.0).abs() < 1e-5, "{c:?}");
        }
        assert!(
            on.len() == 1 || on[0] != on[1],
            "found once per curve: {on:?}"
        );
        assert!(
            codim2(&d, Codim2Kind::Cusp).is_empty(),
            "{:?}",
            d.codim2_points
        );
    }

    #[test]
    fn bogdanov_takens_homoclinic_curve_to_leading_order() {
        // The cycle born at the Hopf line b1 = 0 (b2 < 0) ends in a homoclinic orbit on
        // b1 = -(6/25) b2^2 + O(|b2|^(5/2)) (Kuznetsov, eq. 8.54): the branch's period diverges
        // there, and the relative error shrinks with |b2| (2.4 % at -0.2, 1.2 % at -0.1).
        use crate::analysis::Rect;
        use crate::analysis::continuation::{ContinuationOptions, InputFamily, continue_from_rect};
        use crate::analysis::cycle_branch::{CycleBranchEnd, CycleBranchOptions, cycle_branches};
        let sys = BogdanovTakens { s: -1.0 };
        let mut errors = Vec::new();
        for b2 in [-0.2, -0.1] {
            let family = InputFamily {
                sys: &sys,
                v0: vec![0.0, b2],
                direction: vec![1.0, 0.0],
            };
            let range = [-0.5 * b2 * b2, 0.1 * b2 * b2];
            let d = continue_from_rect(
                &family,
                0.5 * range[1],
                &Rect::new(-1.0, 1.0, -1.0, 1.0),
                &ContinuationOptions::new(range[0], range[1], TimeModel::Ode),
            );
            // The orbit grows like |b2| while b1 moves like b2^2: steps sized by the orbit.
            let opts = CycleBranchOptions {
                scale: b2.abs(),
                ds: 1e-3,
                ds_max: 0.1 * b2.abs(),
                max_points: 2000,
                max_evaluations: 20_000_000,
                ..CycleBranchOptions::new(range[0], range[1])
            };
            let branches = cycle_branches(&family, &d, &[], &opts);
            assert_eq!(branches.len(), 1, "{branches:?}");
            let b = &branches[0];
            assert_eq!(b.ends[1], CycleBranchEnd::PeriodDiverges, "{b2}");
            let diverges = b.period_diverges_at[0];
            let leading = -6.0 / 25.0 * b2 * b2;
            errors.push((diverges / leading - 1.0).abs());
        }
        assert!(
            errors[0] < 0.04 && errors[1] < 0.6 * errors[0],
            "{errors:?}"
        );
    }

    #[test]
    fn bautin_normal_form() {
        // r' = r (b1 + b2 r^2 - r^4): Hopf points on b1 = 0 with l1 = 2 b2 / omega, which changes
        // sign at the Bautin point b2 = 0.
        let family = inputs_as_parameters(GeneralisedHopf { omega: 1.5 });
        let opts = TwoParameterOptions::new([[-1.0, 1.0], [-1.0, 1.0]], TimeModel::Ode);
        let d = two_parameter_diagram(&family, [0.3, 0.5], &opts);
        let hopf = of_kind(&d, SpecialKind::Hopf);
        assert_eq!(
            hopf.len(),
            1,
            "{:?}",
            d.curves.iter().map(|c| c.kind).collect::<Vec<_>>()
        );
        for pt in &hopf[0].points {
            assert!(pt.p.abs() < 1e-9, "{pt:?}");
            let l1 = pt.first_lyapunov.unwrap();
            assert!((l1 - 2.0 * pt.q / 1.5).abs() < 1e-6, "{pt:?}");
        }
        let gh = codim2(&d, Codim2Kind::Bautin);
        assert_eq!(gh.len(), 1, "{:?}", d.codim2_points);
        assert!(gh[0].p.abs() < 1e-9 && gh[0].q.abs() < 1e-7, "{:?}", gh[0]);
        // r' = -r^5 there: l2 = -4 / omega (see normal_form).
        let Some(Codim2Coefficients::Bautin { l2 }) = gh[0].coefficients else {
            panic!("{:?}", gh[0].coefficients)
        };
        assert!((l2 + 4.0 / 1.5).abs() < 1e-4, "{l2}");
    }

    /// `kappa' = [[p, -q], [q, p]] kappa - |kappa|^2 kappa`: a focus with `lambda = p +- i q`.
    struct RotatingFocus;

    impl ReducedSystem for RotatingFocus {
        fn rank(&self) -> usize {
            2
        }
        fn inputs(&self) -> usize {
            2
        }
        fn flow(&self, k: &[f64], v: &[f64], out: &mut [f64]) {
            let r2 = k[0] * k[0] + k[1] * k[1];
            out[0] = v[0] * k[0] - v[1] * k[1] - r2 * k[0];
            out[1] = v[1] * k[0] + v[0] * k[1] - r2 * k[1];
        }
        fn flow_jacobian(&self, k: &[f64], v: &[f64], f: &mut [f64], jac: &mut [f64]) {
            self.flow(k, v, f);
            let (x, y, r2) = (k[0], k[1], k[0] * k[0] + k[1] * k[1]);
            jac.copy_from_slice(&[
                v[0] - r2 - 2.0 * x * x,
                -v[1] - 2.0 * x * y,
                v[1] - 2.0 * x * y,
                v[0] - r2 - 2.0 * y * y,
            ]);
        }
    }

    #[test]
    fn strong_resonances_on_a_neimark_sacker_curve() {
        // Under the map with alpha = 1/2 the origin's multipliers are 1 + (p +- i q) / 2: the
        // Neimark-Sacker curve (2 + p)^2 + q^2 = 4, with cos theta = 1 + p / 2, so 1:4 at
        // (-2, 2) and 1:3 at (-3, sqrt 3).
        let family = inputs_as_parameters(RotatingFocus);
        let opts =
            TwoParameterOptions::new([[-3.8, 0.5], [0.2, 2.5]], TimeModel::Map { alpha: 0.5 });
        let d = two_parameter_diagram(&family, [-1.0, 1.0], &opts);
        let ns = of_kind(&d, SpecialKind::NeimarkSacker);
        assert_eq!(ns.len(), 1, "{:?}", d.curves);
        for pt in &ns[0].points {
            let r = ((2.0 + pt.p).powi(2) + pt.q * pt.q).sqrt();
            assert!((r - 2.0).abs() < 1e-8, "{pt:?}");
        }
        for (kind, at) in [
            (Codim2Kind::Resonance1to4, [-2.0, 2.0]),
            (Codim2Kind::Resonance1to3, [-3.0, 3f64.sqrt()]),
        ] {
            let c = codim2(&d, kind);
            assert_eq!(c.len(), 1, "{kind:?}: {:?}", d.codim2_points);
            assert!(
                (c[0].p - at[0]).abs() < 1e-7 && (c[0].q - at[1]).abs() < 1e-7,
                "{:?}",
                c[0]
            );
        }
        assert!(codim2(&d, Codim2Kind::Resonance1to2).is_empty());
    }

    #[test]
    fn fold_hopf_of_a_three_dimensional_system() {
        // z' = b1 - z^2, with a Hopf pair of real part b2 + z around x = y = 0: folds on b1 = 0,
        // Hopf points on b1 = b2^2 (at z = -b2), meeting at the zero-Hopf point.
        let family = inputs_as_parameters(FoldHopf);
        let opts = TwoParameterOptions::new([[-0.5, 1.0], [-1.0, 1.0]], TimeModel::Ode);
        // Rank 3 without an absorbing box: the starts are given (the fold at b2 = 0.3 and the
        // Hopf point at z = -0.3).
        let starts = [
            (SpecialKind::Fold, vec![0.0, 0.0, 0.0, 0.0, 0.3]),
            (SpecialKind::Hopf, vec![0.0, 0.0, -0.3, 0.09, 0.3]),
        ];
        let d = curves_from(&family, &starts, &opts);
        assert_eq!(d.curves.len(), 2);
        for c in of_kind(&d, SpecialKind::Fold) {
            for pt in &c.points {
                assert!(pt.p.abs() < 1e-9 && pt.kappa[2].abs() < 1e-6, "{pt:?}");
            }
        }
        for c in of_kind(&d, SpecialKind::Hopf) {
            for pt in c.points.iter().filter(|pt| !pt.neutral_saddle) {
                assert!((pt.p - pt.q * pt.q).abs() < 1e-9, "{pt:?}");
            }
        }
        let zh = codim2(&d, Codim2Kind::FoldHopf);
        assert!(!zh.is_empty(), "{:?}", d.codim2_points);
        for c in &zh {
            assert!(c.p.abs() < 1e-8 && c.q.abs() < 1e-6, "{c:?}");
        }
    }

    #[test]
    fn hostile_families_give_no_curves() {
        let family = inputs_as_parameters(crate::analysis::test_systems::NanSystem);
        let opts = TwoParameterOptions::new([[-1.0, 1.0], [-1.0, 1.0]], TimeModel::Ode);
        let d = two_parameter_diagram(&family, [0.0, 0.0], &opts);
        assert!(d.curves.is_empty() && d.codim2_points.is_empty());
    }
}
