//! Every fixed point of a system of any rank `R` in its absorbing box, by exclusion and
//! subdivision (MODEL.md 3-4).
//!
//! The phase plane seeds Newton from the crossings of traced nullclines, which needs `R = 2`. In
//! `R` dimensions there are no curves to cross, so the box is searched instead: with a Lipschitz
//! bound `L` of the flow ([`ReducedSystem::lipschitz`]), a cell of centre `c` and half-widths `h`
//! holds no root when, for some `r`,
//!
//! ```text
//! |F_r(c)| > sum_l L_rl h_l        (then F_r != 0 on the whole cell),
//! ```
//!
//! so the absorbing box (which holds every fixed point: outside it the flow points inwards) is
//! halved in every direction, level by level, keeping only the cells this test cannot exclude.
//! The bound is rigorous, so every fixed point lies in a cell that is kept. Newton ([`newton`])
//! then starts from the centre of every kept cell of the last level. A kept cell is *explained*
//! when it lies in the uniqueness ball of a found root `x*`: with a bound `K` on the change of the
//! Jacobian ([`ReducedSystem::curvature`]), `x*` is the only root within
//! `1 / (K ||J(x*)^-1||_inf)`. The cells left are refined further, Newton starts again from what
//! survives, and the cells still unexplained are reported: `0` proves, up to rounding, that the
//! fixed points found are all there are in the box.
//!
//! Cost: one evaluation of `F` per cell (batched through [`ReducedSystem::flow_many`]); the
//! number of kept cells per level grows like the number of fixed points times the slack of `L`,
//! not like `2^(R depth)`.

use super::fixed_points::{FixedPoint, NewtonResult, describe, newton};
use super::linalg::{dist, invert, norm};
use crate::reduced::{ReducedSystem, TimeModel};
use rayon::prelude::*;

/// Levels refined between two Newton passes over the unexplained cells.
const REFINE_STEP: usize = 3;

/// Options of [`search_fixed_points`].
#[derive(Debug, Clone)]
pub struct SearchOptions {
    /// Levels of halving: the last cells are `2^-depth` of the box in every direction.
    pub depth: usize,
    /// Further levels, at most, for the cells that no root explains after `depth`.
    pub refine: usize,
    /// Largest number of cells one level may keep; a level over it stops the subdivision there
    /// (the search is then reported as incomplete).
    pub max_cells: usize,
    /// A Newton end point is a root if `|F| <= accept`.
    pub accept: f64,
    pub max_iterations: usize,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            depth: 7,
            refine: 24,
            max_cells: 200_000,
            accept: 1e-9,
            max_iterations: 60,
        }
    }
}

/// What [`search_fixed_points`] found and how completely.
#[derive(Debug, Clone)]
pub struct RootSearch {
    /// Sorted by `kappa_1`, then the next coordinates.
    pub fixed_points: Vec<FixedPoint>,
    /// Half-widths of the box searched (centred on the origin).
    pub half_widths: Vec<f64>,
    /// Levels of halving of the first pass (less than asked when a level hit `max_cells`).
    pub depth: usize,
    /// Cells of the last level that could hold a fixed point.
    pub kept_cells: usize,
    /// Cells that could hold a fixed point and lie in no found root's uniqueness ball, after
    /// refining: `0` means the fixed points found are all there are.
    pub unexplained_cells: usize,
    /// Evaluations of `F` by the exclusion test (Newton's are not counted).
    pub evaluations: usize,
}

impl RootSearch {
    /// Whether the search accounts for every cell that might hold a fixed point.
    pub fn is_complete(&self) -> bool {
        self.unexplained_cells == 0
    }
}

/// Why a search cannot run.
#[derive(Debug, Clone, PartialEq)]
pub enum SearchError {
    /// The system has no absorbing box, slope or curvature bound (e.g. a gain-clamped or non-PSD
    /// mean field).
    Unbounded,
    /// The box or the bound is not finite.
    NotFinite,
    /// The input has `given` values, the system `inputs` channels.
    Input { given: usize, inputs: usize },
}

impl std::fmt::Display for SearchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SearchError::Unbounded => f.write_str(
                "the system has no absorbing box or no bound on its flow's slope, so its fixed points cannot be searched exhaustively",
            ),
            SearchError::NotFinite => {
                f.write_str("the system's absorbing box or slope bound is not finite")
            }
            SearchError::Input { given, inputs } => {
                write!(f, "the input has {given} values, the system {inputs} channels")
            }
        }
    }
}

impl std::error::Error for SearchError {}

/// All fixed points of `sys` at input `v` in its absorbing box (grown by 1 %), with their
/// linearisation under `time_model`. See the module documentation for the method; the kept cells
/// that no root explains (beside a root but outside its uniqueness ball, or near a near-tangency
/// of the nullcline surfaces) are refined [`SearchOptions::refine`] levels further and Newton
/// starts again from what survives there.
pub fn search_fixed_points(
    sys: &dyn ReducedSystem,
    v: &[f64],
    time_model: TimeModel,
    opts: &SearchOptions,
) -> Result<RootSearch, SearchError> {
    let r = sys.rank();
    if v.len() != sys.inputs() {
        return Err(SearchError::Input {
            given: v.len(),
            inputs: sys.inputs(),
        });
    }
    let (Some(bounds), Some(lip), Some(curvature)) =
        (sys.absorbing_box(), sys.lipschitz(), sys.curvature())
    else {
        return Err(SearchError::Unbounded);
    };
    if r == 0 || bounds.len() != r || lip.len() != r * r {
        return Err(SearchError::Unbounded);
    }
    if !bounds
        .iter()
        .chain(&lip)
        .chain([&curvature])
        .all(|x| x.is_finite())
    {
        return Err(SearchError::NotFinite);
    }
    // A box of zero width (n = 0 along a direction) still holds its fixed point: keep a sliver.
    let half_widths: Vec<f64> = bounds.iter().map(|b| 1.01 * b.max(1e-12)).collect();
    let exclusion = Exclusion {
        sys,
        v,
        lip: &lip,
        max_cells: opts.max_cells,
    };
    let first = exclusion.levels(vec![0.0; r], half_widths.clone(), opts.depth);
    let diagonal = norm(&half_widths);
    let mut roots = Vec::new();
    add_roots(
        &mut roots,
        sys,
        v,
        &first.cells,
        &half_widths,
        diagonal,
        opts,
    );
    // Refine what no root explains, a few levels at a time, until nothing is left or the
    // refinement budget is spent.
    let mut doubt = unexplained(sys, v, curvature, &first.cells, &first.half_widths, &roots);
    let mut h = first.half_widths.clone();
    let mut evaluations = first.evaluations;
    let mut refined = 0;
    while !doubt.is_empty() && refined < opts.refine {
        let levels = REFINE_STEP.min(opts.refine - refined);
        let next = exclusion.levels(doubt, h, levels);
        evaluations += next.evaluations;
        refined += next.depth.max(1);
        add_roots(
            &mut roots,
            sys,
            v,
            &next.cells,
            &half_widths,
            diagonal,
            opts,
        );
        doubt = unexplained(sys, v, curvature, &next.cells, &next.half_widths, &roots);
        h = next.half_widths;
    }
    let unexplained_cells = doubt.len() / r;
    roots.sort_by(|a, b| {
        a.x.iter()
            .zip(&b.x)
            .map(|(p, q)| p.total_cmp(q))
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    Ok(RootSearch {
        fixed_points: roots
            .iter()
            .map(|u| describe(sys, v, &u.x, time_model))
            .collect(),
        half_widths,
        depth: first.depth,
        kept_cells: first.cells.len() / r,
        unexplained_cells,
        evaluations,
    })
}

/// The exclusion test of the module documentation, applied level by level.
struct Exclusion<'a> {
    sys: &'a dyn ReducedSystem,
    v: &'a [f64],
    /// `L`, row-major `R x R`.
    lip: &'a [f64],
    max_cells: usize,
}

/// Cells kept after some levels of [`Exclusion::levels`]: centres (row-major) and their common
/// half-widths.
struct Kept {
    cells: Vec<f64>,
    half_widths: Vec<f64>,
    depth: usize,
    evaluations: usize,
}

impl Exclusion<'_> {
    /// Drops the cells (centres `cells`, half-widths `h`) that cannot hold a root, halves the
    /// others in every direction, and so on `levels` times (fewer when the next level would pass
    /// `max_cells`); the last level is tested too.
    fn levels(&self, mut cells: Vec<f64>, mut h: Vec<f64>, levels: usize) -> Kept {
        let r = h.len();
        let mut evaluations = 0;
        let mut depth = 0;
        loop {
            let mut f = vec![0.0; cells.len()];
            self.sys.flow_many(&cells, self.v, &mut f);
            evaluations += cells.len() / r;
            // The slack of each component on a cell, sum_l L_rl h_l, with a hair of room for the
            // rounding of F itself; a cell whose F is not a number is kept (nothing excludes it).
            let slack: Vec<f64> = (0..r)
                .map(|i| {
                    let s: f64 = (0..r).map(|l| self.lip[i * r + l] * h[l]).sum();
                    s * (1.0 + 1e-12) + 1e-14
                })
                .collect();
            cells = cells
                .chunks_exact(r)
                .zip(f.chunks_exact(r))
                .filter(|(_, fc)| {
                    fc.iter()
                        .zip(&slack)
                        .all(|(x, s)| x.abs() <= *s || x.is_nan())
                })
                .flat_map(|(c, _)| c.iter().copied())
                .collect();
            if depth == levels || (cells.len() / r) << r > self.max_cells {
                return Kept {
                    cells,
                    half_widths: h,
                    depth,
                    evaluations,
                };
            }
            cells = split(&cells, &h);
            h.iter_mut().for_each(|x| *x *= 0.5);
            depth += 1;
        }
    }
}

/// The cells (centres `cells`, half-widths `h`) that no found root accounts for: a root `x*` is
/// the only one within `rho = 1 / (K ||J(x*)^-1||_inf)` of itself (on that ball `J(x*)^-1 J` stays
/// within 1 of the identity, so `F` is one-to-one there), so a cell inside such a ball holds no
/// other root.
fn unexplained(
    sys: &dyn ReducedSystem,
    v: &[f64],
    curvature: f64,
    cells: &[f64],
    h: &[f64],
    roots: &[NewtonResult],
) -> Vec<f64> {
    let r = h.len();
    let balls: Vec<(&[f64], f64)> = roots
        .iter()
        .map(|root| {
            let (mut f, mut jac) = (vec![0.0; r], vec![0.0; r * r]);
            sys.flow_jacobian(&root.x, v, &mut f, &mut jac);
            let rho = invert(&jac, r).map_or(0.0, |inv| {
                let norm = inv
                    .chunks_exact(r)
                    .map(|row| row.iter().map(|x| x.abs()).sum::<f64>())
                    .fold(0.0, f64::max);
                // Strictly inside the ball where the bound gives uniqueness.
                0.999 / (curvature * norm)
            });
            (root.x.as_slice(), rho)
        })
        .collect();
    cells
        .chunks_exact(r)
        .filter(|c| {
            !balls.iter().any(|(x, rho)| {
                c.iter()
                    .zip(*x)
                    .zip(h)
                    .all(|((c, x), h)| (c - x).abs() + h <= *rho)
            })
        })
        .flat_map(|c| c.iter().copied())
        .collect()
}

/// Newton from every centre of `cells`; the roots in the box not yet in `roots` are added
/// (two within `1e-6` of the box's diagonal are one, the smaller residual kept).
fn add_roots(
    roots: &mut Vec<NewtonResult>,
    sys: &dyn ReducedSystem,
    v: &[f64],
    cells: &[f64],
    half_widths: &[f64],
    diagonal: f64,
    opts: &SearchOptions,
) {
    let found: Vec<NewtonResult> = cells
        .par_chunks_exact(half_widths.len())
        .map(|c| newton(sys, v, c, 0.5 * diagonal, opts.max_iterations))
        .filter(|n| n.residual <= opts.accept && inside(&n.x, half_widths))
        .collect();
    for root in found {
        match roots
            .iter_mut()
            .find(|u| dist(&u.x, &root.x) <= 1e-6 * diagonal)
        {
            Some(u) if root.residual < u.residual => *u = root,
            Some(_) => {}
            None => roots.push(root),
        }
    }
}

/// The `2^R` children of every cell (centres `c +- h/2` in every direction).
fn split(cells: &[f64], h: &[f64]) -> Vec<f64> {
    let r = h.len();
    let mut out = Vec::with_capacity(cells.len() << r);
    for c in cells.chunks_exact(r) {
        for corner in 0..1usize << r {
            out.extend((0..r).map(|l| c[l] + if corner >> l & 1 == 1 { 0.5 } else { -0.5 } * h[l]));
        }
    }
    out
}

/// Whether `x` lies in the box `|x_l| <= b_l`.
fn inside(x: &[f64], b: &[f64]) -> bool {
    x.iter().zip(b).all(|(x, b)| x.abs() <= *b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Rect;
    use crate::analysis::fixed_points::{FixedPointKind, fixed_points_in};
    use crate::network::{Network, NetworkParts};
    use crate::reduced::{ExactReduction, MeanField, presets};
    use nalgebra::{DMatrix, DVector};
    use rand::rngs::StdRng;
    use rand::{RngExt, SeedableRng};

    const MAP: TimeModel = TimeModel::Map { alpha: 0.2 };

    fn brief(s: &RootSearch) -> String {
        format!(
            "{} roots, depth {}, {} kept, {} unexplained, {} evaluations",
            s.fixed_points.len(),
            s.depth,
            s.kept_cells,
            s.unexplained_cells,
            s.evaluations
        )
    }

    /// `F_l = -k_l + w tanh(k_l)` in `R` independent directions: `3^R` fixed points for `w > 1`,
    /// the products of the 1-D roots `0, +-k*`.
    struct DecoupledTanh {
        rank: usize,
        w: f64,
    }

    impl ReducedSystem for DecoupledTanh {
        fn rank(&self) -> usize {
            self.rank
        }
        fn inputs(&self) -> usize {
            0
        }
        fn flow(&self, k: &[f64], _v: &[f64], out: &mut [f64]) {
            for (o, x) in out.iter_mut().zip(k) {
                *o = -x + self.w * x.tanh();
            }
        }
        fn flow_jacobian(&self, k: &[f64], v: &[f64], f: &mut [f64], jac: &mut [f64]) {
            self.flow(k, v, f);
            jac.fill(0.0);
            for (l, x) in k.iter().enumerate() {
                jac[l * self.rank + l] = -1.0 + self.w * (1.0 - x.tanh().powi(2));
            }
        }
        fn absorbing_box(&self) -> Option<Vec<f64>> {
            Some(vec![self.w.abs(); self.rank])
        }
        fn curvature(&self) -> Option<f64> {
            Some(self.w.abs() * crate::reduced::TANH_CURVATURE)
        }
        fn lipschitz(&self) -> Option<Vec<f64>> {
            let mut l = vec![0.0; self.rank * self.rank];
            for i in 0..self.rank {
                l[i * self.rank + i] = 1.0 + self.w.abs();
            }
            Some(l)
        }
    }

    /// The positive root of `k = w tanh(k)` by bisection (an independent 1-D solve).
    fn tanh_root(w: f64) -> f64 {
        let (mut lo, mut hi) = (1e-3, w);
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if -mid + w * mid.tanh() > 0.0 {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        0.5 * (lo + hi)
    }

    #[test]
    fn every_product_root_of_decoupled_systems_up_to_rank_4_is_found_and_classified() {
        let w = 2.0;
        let k = tanh_root(w);
        for rank in 1..=4 {
            let sys = DecoupledTanh { rank, w };
            let opts = SearchOptions::default();
            let found = search_fixed_points(&sys, &[], TimeModel::Ode, &opts).unwrap();
            assert!(found.is_complete(), "rank {rank}: {}", brief(&found));
            assert_eq!(
                found.fixed_points.len(),
                3usize.pow(rank as u32),
                "rank {rank}"
            );
            for fp in &found.fixed_points {
                for x in &fp.kappa {
                    let nearest = [-k, 0.0, k]
                        .iter()
                        .map(|r| (x - r).abs())
                        .fold(f64::INFINITY, f64::min);
                    assert!(nearest < 1e-12, "rank {rank}: {:?}", fp.kappa);
                }
                // Stable exactly when no coordinate sits at the unstable root 0.
                assert_eq!(fp.stable, fp.kappa.iter().all(|x| x.abs() > 1.0));
                assert_eq!(fp.eigenvalues.len(), rank);
            }
            assert_eq!(
                found.fixed_points.iter().filter(|f| f.stable).count(),
                1 << rank
            );
        }
    }

    /// `|F_r(a) - F_r(b)| <= sum_l L_rl |a_l - b_l|` and `||J(a) - J(b)||_inf <= K ||a - b||_inf`
    /// on random pairs in and around the box, at random inputs.
    fn check_bounds(sys: &dyn ReducedSystem, seed: u64) {
        let r = sys.rank();
        let lip = sys.lipschitz().expect("a bound");
        let curvature = sys.curvature().expect("a curvature bound");
        let (mut ja, mut jb) = (vec![0.0; r * r], vec![0.0; r * r]);
        let mut tightest_k = 0.0f64;
        let b = sys.absorbing_box().expect("a box");
        let mut rng = StdRng::seed_from_u64(seed);
        let (mut fa, mut fb) = (vec![0.0; r], vec![0.0; r]);
        let mut tightest = 0.0f64;
        for _ in 0..2000 {
            let a: Vec<f64> = b.iter().map(|b| rng.random_range(-1.5..1.5) * b).collect();
            let d: Vec<f64> = (0..r).map(|_| rng.random_range(-0.3..0.3)).collect();
            let c: Vec<f64> = a.iter().zip(&d).map(|(a, d)| a + d).collect();
            let v: Vec<f64> = (0..sys.inputs())
                .map(|_| rng.random_range(-1.0..1.0))
                .collect();
            sys.flow_jacobian(&a, &v, &mut fa, &mut ja);
            sys.flow_jacobian(&c, &v, &mut fb, &mut jb);
            let change = (0..r)
                .map(|i| {
                    (0..r)
                        .map(|l| (ja[i * r + l] - jb[i * r + l]).abs())
                        .sum::<f64>()
                })
                .fold(0.0, f64::max);
            let step = d.iter().fold(0.0f64, |m, x| m.max(x.abs()));
            assert!(
                change <= curvature * step * (1.0 + 1e-12),
                "{change} > K {step}"
            );
            tightest_k = tightest_k.max(change / (curvature * step));
            for i in 0..r {
                let bound: f64 = (0..r).map(|l| lip[i * r + l] * d[l].abs()).sum();
                let change = (fa[i] - fb[i]).abs();
                assert!(change <= bound * (1.0 + 1e-12), "{change} > {bound}");
                tightest = tightest.max(change / bound);
            }
        }
        // Not vacuous: some pair uses a fair share of the slope bound; the curvature bound,
        // a product of three worst cases, is looser.
        assert!(
            tightest > 0.2,
            "the slope bound is never approached: {tightest}"
        );
        assert!(
            tightest_k > 0.01,
            "the curvature bound is never approached: {tightest_k}"
        );
    }

    fn example(id: &str) -> Network {
        crate::examples::ALL
            .iter()
            .find(|e| e.id == id)
            .unwrap()
            .network()
            .unwrap()
    }

    #[test]
    fn the_slope_bounds_of_the_exact_reduction_and_the_mean_field_hold() {
        check_bounds(&ExactReduction::new(&example("dms_rank2_n512")), 1);
        for id in presets::ids() {
            check_bounds(&MeanField::new(&presets::get(id).unwrap().model), 2);
        }
    }

    /// For rank 2 the search must find what the phase plane's nullcline-seeded finder finds.
    #[test]
    fn rank_2_search_agrees_with_the_phase_plane_finder() {
        let exact = ExactReduction::new(&example("dms_rank2_n512"));
        let mixture = MeanField::new(&presets::get("dms_mixture_2pop").unwrap().model);
        let systems: [(&dyn ReducedSystem, &str); 2] = [(&exact, "N = 512"), (&mixture, "mixture")];
        for (sys, name) in systems {
            for v in [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]] {
                let plane = fixed_points_in(sys, &v, &Rect::default_for(sys), MAP);
                let opts = SearchOptions::default();
                let found = search_fixed_points(sys, &v, MAP, &opts).unwrap();
                assert!(found.is_complete(), "{name} {v:?}: {}", brief(&found));
                assert_eq!(found.fixed_points.len(), plane.len(), "{name} {v:?}");
                for (a, b) in found.fixed_points.iter().zip(&plane) {
                    assert!(dist(&a.kappa, &b.kappa) < 1e-9, "{name} {v:?}");
                    assert_eq!((a.kind, a.stable), (b.kind, b.stable));
                }
            }
        }
    }

    /// A rank-3 network whose neurons split in two groups: the first carries the N = 512 example's
    /// rank-2 loadings, the second only a third direction with `n_3^T m_3 / N = 0.5` (a stable
    /// direction, `kappa_3 = 0` its only root). Its fixed points are those of the rank-2 network
    /// (the same neurons, the third column dropped) with `kappa_3 = 0`, and each has the extra
    /// eigenvalue `-1 + 0.5`.
    #[test]
    fn a_rank_3_network_that_decouples_has_the_rank_2_fixed_points_and_a_stable_direction() {
        let base = example("dms_rank2_n512");
        let p = base.parts();
        let (n_a, n_b) = (p.m.nrows(), 256);
        let n = n_a + n_b;
        let mut rng = StdRng::seed_from_u64(7);
        let m3: Vec<f64> = (0..n_b).map(|_| rng.random_range(0.5..1.5)).collect();
        let raw: f64 = m3.iter().map(|x| x * x).sum();
        // n_3 = c m_3 with c chosen so that n_3^T m_3 / N = 0.5.
        let c = 0.5 * n as f64 / raw;
        let grow = |a: &DMatrix<f64>, cols: usize| {
            DMatrix::from_fn(n, cols, |i, j| {
                if i < n_a && j < a.ncols() {
                    a[(i, j)]
                } else {
                    0.0
                }
            })
        };
        let mut m = grow(&p.m, 3);
        let mut nn = grow(&p.n, 3);
        for (k, x) in m3.iter().enumerate() {
            m[(n_a + k, 2)] = *x;
            nn[(n_a + k, 2)] = c * x;
        }
        let zeros = |len: usize| DVector::zeros(len);
        let wi = DMatrix::from_fn(
            p.wi.nrows(),
            n,
            |s, i| if i < n_a { p.wi[(s, i)] } else { 0.0 },
        );
        let rank3 = Network::new(NetworkParts {
            wi: wi.clone(),
            si: p.si.clone(),
            m,
            n: nn,
            wo: grow(&p.wo, p.wo.ncols()),
            so: p.so.clone(),
            h0: zeros(n),
            b: None,
        })
        .unwrap();
        let rank2 = Network::new(NetworkParts {
            wi,
            si: p.si.clone(),
            m: grow(&p.m, 2),
            n: grow(&p.n, 2),
            wo: grow(&p.wo, p.wo.ncols()),
            so: p.so.clone(),
            h0: zeros(n),
            b: None,
        })
        .unwrap();
        let (sys3, sys2) = (ExactReduction::new(&rank3), ExactReduction::new(&rank2));
        for v in [[0.0, 0.0], [1.0, 0.0]] {
            let plane = fixed_points_in(&sys2, &v, &Rect::default_for(&sys2), MAP);
            let opts = SearchOptions::default();
            let found = search_fixed_points(&sys3, &v, MAP, &opts).unwrap();
            assert!(found.is_complete(), "{v:?}: {}", brief(&found));
            assert_eq!(found.fixed_points.len(), plane.len(), "{v:?}");
            for (a, b) in found.fixed_points.iter().zip(&plane) {
                assert!(dist(&a.kappa[..2], &b.kappa) < 1e-9, "{v:?}");
                assert!(a.kappa[2].abs() < 1e-12, "{:?}", a.kappa);
                // The stable third direction makes an unstable node or focus of the plane a saddle.
                let kind = match b.kind {
                    FixedPointKind::UnstableNode | FixedPointKind::UnstableFocus => {
                        FixedPointKind::Saddle
                    }
                    k => k,
                };
                assert_eq!((a.kind, a.stable), (kind, b.stable));
                let third = a
                    .eigenvalues
                    .iter()
                    .filter(|l| (l[0] + 0.5).abs() < 1e-9 && l[1] == 0.0)
                    .count();
                assert!(third >= 1, "{:?}", a.eigenvalues);
            }
        }
    }

    #[test]
    fn systems_without_a_box_or_a_bound_and_inputs_of_the_wrong_length_are_refused() {
        let clamped = {
            let mut model = presets::get("poster_didactic").unwrap().model;
            model.set_gain_clamp(0, Some(0.5)).unwrap();
            model
        };
        let sys = MeanField::new(&clamped);
        assert_eq!(
            search_fixed_points(&sys, &[0.0, 0.0], MAP, &SearchOptions::default()).unwrap_err(),
            SearchError::Unbounded
        );
        let tanh = DecoupledTanh { rank: 3, w: 2.0 };
        let err = search_fixed_points(&tanh, &[1.0], MAP, &SearchOptions::default()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the input has 1 values, the system 0 channels"
        );
    }
}
