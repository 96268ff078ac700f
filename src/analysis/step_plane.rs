//! The plane of a parameter `p` and the map's step `alpha` (MODEL.md 9), for the Euler map
//! `kappa_{t+1} = kappa_t + alpha F(kappa_t; p)` of a rank-2 model.
//!
//! The map's fixed points are the flow's (`F = 0` whatever `alpha`) and their multipliers are
//! `mu = 1 + alpha lambda`, `lambda` the eigenvalues of `J = dF/dkappa`. So the whole plane follows
//! from one continuation of the flow's fixed points in `p` (the ODE's diagram), every curve in
//! closed form along it (`tr`, `det` of `J` at a branch point):
//!
//! | curve | where on the branch | `alpha` |
//! |---|---|---|
//! | fold (`mu = 1`) | the flow's folds, `det J = 0` | any: a line across the plane |
//! | Neimark-Sacker (`mu mu* = 1`) | `tr < 0 < det`, `tr^2 < 4 det` | `-tr / det` |
//! | flip (`mu = -1`) | each real `lambda < 0` | `-2 / lambda` |
//!
//! The codimension-2 points are roots along the branch. On the Neimark-Sacker curve
//! `mu = e^{+-i theta}` with `cos theta = 1 + alpha Re(lambda) = 1 - tr^2 / (2 det)`, so the strong
//! resonances are where `tr^2 = k det`: 1:4 (`theta = pi / 2`, `k = 2`), 1:3 (`theta = 2 pi / 3`,
//! `k = 3`) and 1:2 (`theta = pi`, `k = 4`, where the pair turns real and the curve ends on the
//! flip curve). On a fold line the other multiplier is `1 + alpha lambda_2`: a fold-flip point at
//! `alpha = -2 / lambda_2`. No 1:1 resonance lies in the plane: it needs `alpha = 0` (a Hopf point)
//! or a double zero eigenvalue (a Bogdanov-Takens point of the flow, codimension 2 in `p` alone).
//!
//! Every point drawn is a fixed point the continuation converged, with its `alpha` exact; the ends
//! of a curve (where it leaves the `alpha` range or stops existing) and the codimension-2 points
//! are located by the Illinois method between branch points, with the fixed point corrected by
//! Newton at each trial `p`.

use super::continuation::{BranchEnd, ContinuationOptions, SpecialKind, diagram, illinois};
use super::fixed_points::newton;
use super::linalg::{Complex, cmul, eigenvalues, lerp};
use super::two_parameter::{
    Codim2Kind, Codim2Point, Curve, CurvePoint, TwoParameterDiagram, TwoParameterFamily,
    TwoParameterOptions,
};
use crate::reduced::TimeModel;

/// A fixed point of the flow at a value of `p`, with the eigenvalues of `J` there.
#[derive(Debug, Clone)]
struct Point {
    p: f64,
    kappa: Vec<f64>,
    eigenvalues: Vec<Complex>,
}

impl Point {
    /// `(tr J, det J)`.
    fn trace_det(&self) -> (f64, f64) {
        let l = &self.eigenvalues;
        (l[0][0] + l[1][0], cmul(l[0], l[1])[0])
    }
}

/// A curve of the plane along a branch of fixed points.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Along {
    NeimarkSacker,
    /// The flip of the real eigenvalue `(tr + sign sqrt(tr^2 - 4 det)) / 2`.
    Flip {
        sign: f64,
    },
}

/// The index of [`Along::tests`] whose root is where the critical pair turns real (1:2).
const PAIR_TURNS_REAL: usize = 2;

impl Along {
    fn kind(self) -> SpecialKind {
        match self {
            Along::NeimarkSacker => SpecialKind::NeimarkSacker,
            Along::Flip { .. } => SpecialKind::Flip,
        }
    }

    /// The curve's `alpha` at `(tr, det)` (NaN where it does not exist).
    fn alpha(self, tr: f64, det: f64) -> f64 {
        match self {
            Along::NeimarkSacker => -tr / det,
            Along::Flip { sign } => -2.0 / (0.5 * (tr + sign * (tr * tr - 4.0 * det).sqrt())),
        }
    }

    /// Tests, all positive exactly where the curve exists with `alpha` in `[lo, hi]`, in the
    /// order that makes each defined where the ones before it hold. The Neimark-Sacker curve's
    /// third test, `4 det - tr^2`, is [`PAIR_TURNS_REAL`].
    fn tests(self, tr: f64, det: f64, [lo, hi]: [f64; 2]) -> Vec<f64> {
        let alpha = self.alpha(tr, det);
        match self {
            Along::NeimarkSacker => vec![-tr, det, 4.0 * det - tr * tr, alpha - lo, hi - alpha],
            Along::Flip { .. } => vec![tr * tr - 4.0 * det, alpha, alpha - lo, hi - alpha],
        }
    }
}

/// The strong resonances on a Neimark-Sacker curve: `tr^2 - k det` changes sign.
const RESONANCES: [(Codim2Kind, f64); 2] = [
    (Codim2Kind::Resonance1to4, 2.0),
    (Codim2Kind::Resonance1to3, 3.0),
];

/// Corrects fixed points of the flow along `p` (the other axis at any value: the flow does not
/// depend on `alpha`), counting the evaluations.
struct Sampler<'a> {
    family: &'a TwoParameterFamily,
    axis: usize,
    alpha: f64,
    evaluations: usize,
}

impl Sampler<'_> {
    /// The fixed point at `p` Newton reaches from `guess`, if it converges.
    fn at(&mut self, p: f64, guess: &[f64]) -> Option<Point> {
        let mut pq = [self.alpha; 2];
        pq[self.axis] = p;
        let s = self.family.at(pq);
        let r = newton(s.sys.as_ref(), &s.v, guess, 0.5, 50);
        self.evaluations += r.evaluations + 1;
        if r.residual.is_nan() || r.residual >= 1e-9 {
            return None;
        }
        let mut f = vec![0.0; 2];
        let mut jac = vec![0.0; 4];
        s.sys.flow_jacobian(&r.x, &s.v, &mut f, &mut jac);
        Some(Point {
            p,
            kappa: r.x,
            eigenvalues: eigenvalues(&jac, 2)?,
        })
    }

    /// The root of `test` between `a` and `b` (values of opposite signs), on the segment from `a`
    /// to `b` with the fixed point corrected at each trial.
    fn root(&mut self, a: &Point, b: &Point, test: impl Fn(&Point) -> f64) -> Option<Point> {
        let (fa, fb) = (test(a), test(b));
        if fa.is_nan() || fb.is_nan() || fa * fb >= 0.0 {
            return None;
        }
        illinois([0.0, 1.0], [fa, fb], |s| {
            let point = self.at(a.p + s * (b.p - a.p), &lerp(&a.kappa, &b.kappa, s))?;
            Some((test(&point), point))
        })
    }

    /// Where the curve `along` stops existing between `inside` (on it) and `outside`: the root
    /// nearest `inside` of the tests that fail at `outside` (the first to fail on the way; near
    /// a Hopf point `alpha` leaves the range before the pair leaves the axis), with its index.
    fn end(
        &mut self,
        along: Along,
        inside: &Point,
        outside: &Point,
        range: [f64; 2],
    ) -> Option<(Point, usize)> {
        let tests = |q: &Point| {
            let (tr, det) = q.trace_det();
            along.tests(tr, det, range)
        };
        let failing: Vec<usize> = tests(outside)
            .iter()
            .enumerate()
            .filter(|(_, t)| t.is_nan() || **t <= 0.0)
            .map(|(j, _)| j)
            .collect();
        failing
            .into_iter()
            .filter_map(|j| self.root(inside, outside, |q| tests(q)[j]).map(|q| (q, j)))
            .min_by(|a, b| {
                (a.0.p - inside.p)
                    .abs()
                    .total_cmp(&(b.0.p - inside.p).abs())
            })
    }
}

/// The two-parameter diagram of the plane of `p` and the map's step `alpha` (`step_axis` is
/// `alpha`'s axis, `family` does not depend on it), over `opts.ranges`, from the current point
/// (see the module documentation). Empty for a model whose rank is not 2.
pub fn step_plane_diagram(
    family: &TwoParameterFamily,
    step_axis: usize,
    current: [f64; 2],
    opts: &TwoParameterOptions,
) -> TwoParameterDiagram {
    let axis = 1 - step_axis;
    let [lo, hi] = opts.ranges[axis];
    let mut out = TwoParameterDiagram::empty(opts.ranges);
    if family.rank() != 2 {
        return out;
    }
    let flow = diagram(
        &family.line(axis, current[step_axis]),
        current[axis],
        &ContinuationOptions::new(lo, hi, TimeModel::Ode),
        None,
    );
    let plane = Plane {
        axis,
        range: opts.ranges[step_axis],
    };
    let mut sampler = Sampler {
        family,
        axis,
        alpha: current[step_axis],
        evaluations: flow.evaluations,
    };
    for sp in flow
        .special_points
        .iter()
        .filter(|s| s.kind == SpecialKind::Fold)
    {
        let fold = Point {
            p: sp.p,
            kappa: sp.kappa.clone(),
            eigenvalues: sp.eigenvalues.clone(),
        };
        plane.fold_line(&fold, &mut out);
    }
    for branch in &flow.branches {
        let points: Vec<Point> = branch
            .points
            .iter()
            .filter(|b| b.eigenvalues.len() == 2)
            .map(|b| Point {
                p: b.p,
                kappa: b.kappa.clone(),
                eigenvalues: b.eigenvalues.clone(),
            })
            .collect();
        for along in [
            Along::NeimarkSacker,
            Along::Flip { sign: 1.0 },
            Along::Flip { sign: -1.0 },
        ] {
            plane.curves_along(&mut sampler, &points, along, &mut out);
        }
    }
    out.evaluations = sampler.evaluations;
    out
}

/// Where `p` and `alpha` go in the plane: `alpha` on the axis other than `axis`, over `range`.
struct Plane {
    axis: usize,
    range: [f64; 2],
}

impl Plane {
    fn point(&self, q: &Point, alpha: f64) -> CurvePoint {
        let mut pq = [alpha; 2];
        pq[self.axis] = q.p;
        CurvePoint {
            p: pq[0],
            q: pq[1],
            kappa: q.kappa.clone(),
            eigenvalues: q.eigenvalues.clone(),
            neutral_saddle: false,
            first_lyapunov: None,
        }
    }

    fn codim2(&self, kind: Codim2Kind, curve: usize, q: &Point, alpha: f64) -> Codim2Point {
        let c = self.point(q, alpha);
        Codim2Point {
            kind,
            p: c.p,
            q: c.q,
            kappa: c.kappa,
            curve,
            eigenvalues: c.eigenvalues,
            coefficients: None,
        }
    }

    /// The flow's fold `fold` as a line across the plane, with its fold-flip point at `alpha =
    /// -2 / lambda_2` (`lambda_2 = tr J` there) if that lies in the range.
    fn fold_line(&self, fold: &Point, out: &mut TwoParameterDiagram) {
        let curve = out.curves.len();
        let (tr, _) = fold.trace_det();
        let flip = -2.0 / tr;
        let mut alphas = vec![self.range[0], self.range[1]];
        if tr < 0.0 && flip > self.range[0] && flip < self.range[1] {
            alphas.insert(1, flip);
            let c = self.codim2(Codim2Kind::FoldFlip, curve, fold, flip);
            out.codim2_points.push(c);
        }
        out.curves.push(Curve {
            kind: SpecialKind::Fold,
            points: alphas.iter().map(|a| self.point(fold, *a)).collect(),
            ends: [BranchEnd::RangeEnd; 2],
        });
    }

    /// The pieces of the curve `along` on the branch `points`, with the Neimark-Sacker curve's
    /// resonances: 1:2 at an end where the pair turns real, 1:4 and 1:3 between its points.
    fn curves_along(
        &self,
        sampler: &mut Sampler,
        points: &[Point],
        along: Along,
        out: &mut TwoParameterDiagram,
    ) {
        let alpha = |q: &Point| {
            let (tr, det) = q.trace_det();
            along.alpha(tr, det)
        };
        for (piece, ends) in pieces(sampler, points, along, self.range) {
            let curve = out.curves.len();
            if along == Along::NeimarkSacker {
                for (q, j) in &ends {
                    if *j == PAIR_TURNS_REAL {
                        let c = self.codim2(Codim2Kind::Resonance1to2, curve, q, alpha(q));
                        out.codim2_points.push(c);
                    }
                }
                for w in piece.windows(2) {
                    for (kind, k) in RESONANCES {
                        let test = |q: &Point| {
                            let (tr, det) = q.trace_det();
                            tr * tr - k * det
                        };
                        if let Some(q) = sampler.root(&w[0], &w[1], test) {
                            out.codim2_points
                                .push(self.codim2(kind, curve, &q, alpha(&q)));
                        }
                    }
                }
            }
            out.curves.push(Curve {
                kind: along.kind(),
                points: piece.iter().map(|q| self.point(q, alpha(q))).collect(),
                ends: [BranchEnd::RangeEnd; 2],
            });
        }
    }
}

/// A located end of a piece and the index of the test whose root it is.
type End = (Point, usize);

/// The runs of `points` (a branch) where the curve `along` exists with `alpha` in `range`, each
/// with its located ends added and returned.
fn pieces(
    sampler: &mut Sampler,
    points: &[Point],
    along: Along,
    range: [f64; 2],
) -> Vec<(Vec<Point>, Vec<End>)> {
    let on = |q: &Point| {
        let (tr, det) = q.trace_det();
        along.tests(tr, det, range).iter().all(|t| *t > 0.0)
    };
    let mut out = Vec::new();
    let mut current: Option<(Vec<Point>, Vec<End>)> = None;
    for (i, q) in points.iter().enumerate() {
        match (on(q), current.as_mut()) {
            (true, Some((piece, _))) => piece.push(q.clone()),
            (true, None) => {
                let start = (i > 0)
                    .then(|| sampler.end(along, q, &points[i - 1], range))
                    .flatten();
                let mut piece = Vec::new();
                let mut ends = Vec::new();
                if let Some((e, j)) = start {
                    piece.push(e.clone());
                    ends.push((e, j));
                }
                piece.push(q.clone());
                current = Some((piece, ends));
            }
            (false, Some(_)) => {
                let Some((mut piece, mut ends)) = current.take() else {
                    continue;
                };
                if let Some((e, j)) = sampler.end(along, &points[i - 1], q, range) {
                    piece.push(e.clone());
                    ends.push((e, j));
                }
                out.push((piece, ends));
            }
            (false, None) => {}
        }
    }
    out.extend(current);
    out.retain(|(piece, _)| piece.len() > 1);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reduced::ReducedSystem;
    use std::sync::Arc;

    /// `F = J(p) kappa` with `p = v[0]`: one fixed point, the origin, with the Jacobian `J(p)`.
    struct Jacobian(fn(f64) -> [f64; 4]);

    impl ReducedSystem for Jacobian {
        fn rank(&self) -> usize {
            2
        }
        fn inputs(&self) -> usize {
            1
        }
        fn flow(&self, k: &[f64], v: &[f64], out: &mut [f64]) {
            let j = (self.0)(v[0]);
            out[0] = j[0] * k[0] + j[1] * k[1];
            out[1] = j[2] * k[0] + j[3] * k[1];
        }
        fn flow_jacobian(&self, k: &[f64], v: &[f64], f: &mut [f64], jac: &mut [f64]) {
            self.flow(k, v, f);
            jac.copy_from_slice(&(self.0)(v[0]));
        }
    }

    /// `F = (p - k0^2, -2 k1)`: folds at `p = 0`, with the other eigenvalue `-2`.
    struct FoldFlip;

    impl ReducedSystem for FoldFlip {
        fn rank(&self) -> usize {
            2
        }
        fn inputs(&self) -> usize {
            1
        }
        fn flow(&self, k: &[f64], v: &[f64], out: &mut [f64]) {
            out[0] = v[0] - k[0] * k[0];
            out[1] = -2.0 * k[1];
        }
        fn flow_jacobian(&self, k: &[f64], v: &[f64], f: &mut [f64], jac: &mut [f64]) {
            self.flow(k, v, f);
            jac.copy_from_slice(&[-2.0 * k[0], 0.0, 0.0, -2.0]);
        }
    }

    /// The plane of `p = v[0]` (x) and `alpha` (y) of `sys`.
    fn plane(sys: impl ReducedSystem + 'static, ranges: [[f64; 2]; 2]) -> TwoParameterDiagram {
        let sys: Arc<dyn ReducedSystem> = Arc::new(sys);
        let family = TwoParameterFamily::new(2, Box::new(move |pq| (sys.clone(), vec![pq[0]])))
            .with_step_axis(1);
        let opts = TwoParameterOptions::new(ranges, TimeModel::Map { alpha: 0.5 });
        super::super::two_parameter::two_parameter_diagram(&family, [ranges[0][0], 0.5], &opts)
    }

    fn curves_of(d: &TwoParameterDiagram, kind: SpecialKind) -> Vec<&Curve> {
        d.curves.iter().filter(|c| c.kind == kind).collect()
    }

    fn points_of(d: &TwoParameterDiagram, kind: SpecialKind) -> Vec<&CurvePoint> {
        curves_of(d, kind)
            .into_iter()
            .flat_map(|c| &c.points)
            .collect()
    }

    /// Exactly one point of `kind`, at `at` within `1e-8`.
    fn one_at(d: &TwoParameterDiagram, kind: Codim2Kind, at: [f64; 2]) {
        let c = codim2(d, kind);
        assert_eq!(c.len(), 1, "{kind:?}: {c:?}");
        assert!(
            (c[0][0] - at[0]).abs() < 1e-8 && (c[0][1] - at[1]).abs() < 1e-8,
            "{kind:?}: {c:?} vs {at:?}"
        );
    }

    fn codim2(d: &TwoParameterDiagram, kind: Codim2Kind) -> Vec<[f64; 2]> {
        d.codim2_points
            .iter()
            .filter(|c| c.kind == kind)
            .map(|c| [c.p, c.q])
            .collect()
    }

    /// `J = [[-2, 1], [p, -2]]`, `lambda = -2 +- sqrt(p)`: for `p < 0` the Neimark-Sacker curve
    /// `alpha = 4 / (4 - p)` with 1:4 at `(-4, 1/2)`, 1:3 at `(-4/3, 3/4)` and 1:2 at `(0, 1)`;
    /// for `p > 0` the flip curves `alpha = 2 / (2 -+ sqrt(p))`.
    #[test]
    fn closed_forms_of_a_focus_turning_node() {
        let d = plane(
            Jacobian(|p| [-2.0, 1.0, p, -2.0]),
            [[-6.0, 3.0], [0.05, 1.5]],
        );
        let ns = curves_of(&d, SpecialKind::NeimarkSacker);
        assert_eq!(ns.len(), 1);
        for c in ns {
            assert!(c.points.len() > 10);
            for q in &c.points {
                assert!(q.p <= 1e-9, "{}", q.p);
                assert!((q.q - 4.0 / (4.0 - q.p)).abs() < 1e-9, "{} {}", q.p, q.q);
            }
        }
        assert_eq!(curves_of(&d, SpecialKind::Flip).len(), 2);
        let flips = points_of(&d, SpecialKind::Flip);
        for q in &flips {
            assert!(q.p >= -1e-9 && q.q >= 0.05 - 1e-12 && q.q <= 1.5 + 1e-12);
            let s = q.p.max(0.0).sqrt();
            let on = [2.0 / (2.0 - s), 2.0 / (2.0 + s)]
                .iter()
                .any(|a| (a - q.q).abs() < 1e-8);
            assert!(on, "({}, {})", q.p, q.q);
        }
        // The flip of lambda = -2 + sqrt(p) leaves the range at alpha = 1.5: sqrt(p) = 2/3.
        let top = flips.iter().map(|q| q.p).fold(f64::NAN, f64::max);
        assert!((top - 3.0).abs() < 1e-9, "{top}");
        let edge = flips
            .iter()
            .find(|q| (q.q - 1.5).abs() < 1e-12)
            .expect("the flip curve leaves through the top");
        assert!((edge.p - 4.0 / 9.0).abs() < 1e-8, "{}", edge.p);
        one_at(&d, Codim2Kind::Resonance1to4, [-4.0, 0.5]);
        one_at(&d, Codim2Kind::Resonance1to3, [-4.0 / 3.0, 0.75]);
        one_at(&d, Codim2Kind::Resonance1to2, [0.0, 1.0]);
        assert!(d.curves.iter().all(|c| c.kind != SpecialKind::Fold));
    }

    /// `J = [[p, -1], [1, p]]`, `lambda = p +- i`: the Neimark-Sacker curve `alpha = -2 p / (p^2 +
    /// 1)` rises from the Hopf point `(0, 0)`, so it enters the range at `alpha = 0.05` before the
    /// pair reaches the axis, with 1:4 at `(-1, 1)` and 1:3 at `(-sqrt 3, sqrt 3 / 2)`.
    #[test]
    fn a_curve_from_a_hopf_point_enters_the_range_at_its_edge() {
        let d = plane(Jacobian(|p| [p, -1.0, 1.0, p]), [[-3.0, 1.0], [0.05, 1.5]]);
        let ns = points_of(&d, SpecialKind::NeimarkSacker);
        assert!(ns.len() > 10);
        for q in &ns {
            assert!((q.q + 2.0 * q.p / (q.p * q.p + 1.0)).abs() < 1e-9, "{q:?}");
            assert!(q.q >= 0.05 - 1e-12 && q.q <= 1.5 + 1e-12, "{q:?}");
        }
        let lowest = ns.iter().min_by(|a, b| a.q.total_cmp(&b.q)).unwrap();
        let edge = (-2.0 + (4.0f64 - 4.0 * 0.05 * 0.05).sqrt()) / (2.0 * 0.05);
        assert!(
            (lowest.q - 0.05).abs() < 1e-12 && (lowest.p - edge).abs() < 1e-9,
            "{lowest:?}"
        );
        one_at(&d, Codim2Kind::Resonance1to4, [-1.0, 1.0]);
        one_at(
            &d,
            Codim2Kind::Resonance1to3,
            [-(3f64.sqrt()), 3f64.sqrt() / 2.0],
        );
        assert!(codim2(&d, Codim2Kind::Resonance1to2).is_empty());
    }

    /// The map's multipliers there: `e^{+-i pi/2}` at 1:4, `e^{+-2 pi i/3}` at 1:3, `-1` twice at 1:2.
    #[test]
    fn resonances_have_their_multipliers() {
        let d = plane(
            Jacobian(|p| [-2.0, 1.0, p, -2.0]),
            [[-6.0, 3.0], [0.05, 1.5]],
        );
        for (kind, theta) in [
            (Codim2Kind::Resonance1to4, std::f64::consts::FRAC_PI_2),
            (Codim2Kind::Resonance1to3, 2.0 * std::f64::consts::FRAC_PI_3),
            (Codim2Kind::Resonance1to2, std::f64::consts::PI),
        ] {
            let c = d.codim2_points.iter().find(|c| c.kind == kind).unwrap();
            let alpha = c.q;
            for z in &c.eigenvalues {
                let mu = [1.0 + alpha * z[0], alpha * z[1]];
                assert!((mu[0] - theta.cos()).abs() < 1e-7, "{kind:?} {mu:?}");
                assert!((mu[1].abs() - theta.sin()).abs() < 1e-4, "{kind:?} {mu:?}");
            }
        }
    }

    /// `F = (p - k0^2, -2 k1)`: the fold line `p = 0` across the plane, the flip of `-2` at
    /// `alpha = 1` on both branches, the stable branch's other flip `alpha = 1 / sqrt(p)`, and the
    /// fold-flip point `(0, 1)`.
    #[test]
    fn a_fold_line_and_its_fold_flip_point() {
        let d = plane(FoldFlip, [[-1.0, 2.0], [0.05, 1.5]]);
        let folds = curves_of(&d, SpecialKind::Fold);
        assert_eq!(folds.len(), 1);
        let ends = [folds[0].points[0].q, folds[0].points.last().unwrap().q];
        assert_eq!(ends, [0.05, 1.5]);
        assert!(folds[0].points.iter().all(|q| q.p.abs() < 1e-6));
        let ff = codim2(&d, Codim2Kind::FoldFlip);
        assert_eq!(ff.len(), 1);
        assert!(
            ff[0][0].abs() < 1e-6 && (ff[0][1] - 1.0).abs() < 1e-9,
            "{ff:?}"
        );
        let flip_points = points_of(&d, SpecialKind::Flip);
        assert!(flip_points.len() > 20);
        for q in flip_points {
            let on_one = (q.q - 1.0).abs() < 1e-9;
            let on_root = q.p > 0.0 && (q.q - 1.0 / q.p.sqrt()).abs() < 1e-7;
            assert!(on_one || on_root, "({}, {})", q.p, q.q);
        }
        assert!(
            d.codim2_points
                .iter()
                .all(|c| c.kind == Codim2Kind::FoldFlip)
        );
    }
}
