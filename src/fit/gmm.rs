//! Zero-mean Gaussian mixtures with full covariances, fitted by EM (MODEL.md 5 step 3).
//!
//! The model of a point `x` (a neuron's loading vector, `D` numbers) is
//!
//! ```text
//! p(x) = sum_k pi_k N(x; 0, Sigma_k)
//! ```
//!
//! with **zero means**: in the papers' networks the populations differ by the shape of their
//! covariance, not by a centre, and a free-mean mixture splits the published DMS network differently
//! (and wrongly, MODEL.md 5).
//!
//! **EM.** E-step: `log r_ik = log pi_k + log N(x_i; 0, Sigma_k) - log p(x_i)`, with `log p(x_i)` by
//! log-sum-exp so that no density underflows. M-step: `N_k = sum_i r_ik`, `pi_k = N_k / N`,
//!
//! ```text
//! Sigma_k = ( sum_i r_ik x_i x_i^T + Psi ) / N_k,        Psi = reg * N * diag(s_1 .. s_D)
//! ```
//!
//! with `s_j = (1/N) sum_i x_ij^2` the mean square of loading `j` (a loading that is zero for every
//! point takes the mean `s` of the others).
//!
//! **Guard against degenerate covariances.** This `Sigma_k` is the exact maximiser, in the M-step,
//! of the penalised likelihood `log L - (1/2) sum_k tr(Psi Sigma_k^{-1})` (a weak
//! inverse-Wishart-type prior), so EM still increases its objective at every step, and every
//! covariance keeps `Sigma_k >= Psi / N_k >= reg * diag(s_j)`: a floor relative to each loading's
//! own scale, which keeps `Sigma_k` invertible for duplicated points, a zero column or a component
//! shrinking onto a few points, and which rescales with its loading, so that the fit does not depend
//! on the units of a loading (up to the initialisation). With `reg = 1e-6` it adds
//! `1e-6 * s_j * N / N_k` to variance `j` and nothing else.
//!
//! **Empty components are re-seeded**, not removed (the user asked for `P` populations): when a
//! component's share `N_k` falls below `D` points (too few to determine a full covariance), it is
//! rebuilt from the `ceil(N / P)` points the mixture explains worst (lowest `log p(x_i)`), and EM
//! continues. A run that needs more than [`RESEED_BUDGET`] re-seeds is declared degenerate and
//! discarded; if every restart is, the fit fails with [`GmmError::Degenerate`].
//!
//! **Initialisation** (k-means++ for lines through the origin, the zero-mean analogue of centres):
//! the first seed point is drawn with probability `|x_i|^2`, each next one with probability
//! `min_c d(x_i, c)^2`, the squared distance of `x_i` to the nearest line spanned by a seed; points
//! are assigned to the nearest line (responsibility `1 - INIT_SMOOTHING`, the rest spread over the
//! other lines) and one M-step gives the starting mixture.
//!
//! **Restarts** `r = 0..K` use the seed `trial_seed(seed, r)`; the restart with the highest
//! log-likelihood is kept (ties: the lowest `r`). Sums over points are taken in fixed chunks of
//! [`ROWS_PER_CHUNK`] added in order, so a fit gives the same bits on any number of threads.
//!
//! **Model choice.** `BIC = k ln N - 2 ln L` with `k = P D (D + 1) / 2 + P - 1` free parameters
//! (a symmetric covariance per component, no means, weights summing to 1); [`select_by_bic`] fits
//! `P = 1..=P_max` and keeps the lowest BIC.

use std::sync::atomic::{AtomicBool, Ordering};

use nalgebra::DMatrix;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rayon::prelude::*;
use serde::Serialize;
use thiserror::Error;

use crate::network::trial_seed;

/// Default number of EM restarts.
pub const DEFAULT_RESTARTS: usize = 10;
/// Default convergence tolerance: EM stops when its objective grows by less than this per point.
pub const DEFAULT_TOL: f64 = 1e-7;
/// Default cap on EM iterations per restart.
pub const DEFAULT_MAX_ITER: usize = 1000;
/// Default covariance floor, relative to the data's mean second moment (see the module docs).
pub const DEFAULT_REG: f64 = 1e-6;
/// Re-seeds of empty components allowed in one run before it counts as degenerate.
pub const RESEED_BUDGET: usize = 5;
/// Points per unit of parallel work: fixed, so that sums do not depend on the thread count.
pub const ROWS_PER_CHUNK: usize = 512;
/// Share of each point's initial responsibility spread over the lines it is not nearest to, so that
/// no starting component is empty (an empty one starts near the data's overall covariance and is
/// re-seeded by EM if it stays empty).
pub const INIT_SMOOTHING: f64 = 0.05;
/// Largest number of restarts accepted.
pub const MAX_RESTARTS: usize = 10_000;
/// Largest number of components accepted.
pub const MAX_COMPONENTS: usize = 64;

/// How EM runs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GmmOptions {
    /// Independent starts; the best log-likelihood is kept.
    pub restarts: usize,
    /// Seed of every random choice (restart `r` uses `trial_seed(seed, r)`).
    pub seed: u64,
    /// Stop when the objective grows by less than `tol * N`.
    pub tol: f64,
    /// Cap on iterations per restart (a run that reaches it is reported as not converged).
    pub max_iter: usize,
    /// Covariance floor relative to the data scale.
    pub reg: f64,
}

impl Default for GmmOptions {
    fn default() -> Self {
        Self {
            restarts: DEFAULT_RESTARTS,
            seed: 0,
            tol: DEFAULT_TOL,
            max_iter: DEFAULT_MAX_ITER,
            reg: DEFAULT_REG,
        }
    }
}

impl GmmOptions {
    /// Restarts in `1..=MAX_RESTARTS`, `max_iter >= 1`, `tol >= 0` and `reg > 0`, all finite.
    pub fn validate(&self) -> Result<(), GmmError> {
        let bad = |what: String| Err(GmmError::Options(what));
        if self.restarts == 0 || self.restarts > MAX_RESTARTS {
            return bad(format!(
                "restarts must be in 1..={MAX_RESTARTS}, got {}",
                self.restarts
            ));
        }
        if self.max_iter == 0 {
            return bad("the iteration cap must be at least 1".into());
        }
        if !(self.tol.is_finite() && self.tol >= 0.0) {
            return bad(format!(
                "the tolerance must be finite and >= 0, got {}",
                self.tol
            ));
        }
        if !(self.reg.is_finite() && self.reg > 0.0 && self.reg < 1.0) {
            return bad(format!(
                "the covariance floor must be in (0, 1), got {}",
                self.reg
            ));
        }
        Ok(())
    }
}

/// Why a mixture could not be fitted.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum GmmError {
    #[error("there is nothing to fit: the data have {rows} rows and {cols} columns")]
    Empty { rows: usize, cols: usize },
    #[error("entry ({row}, {col}) of the data is {value}: every value must be finite")]
    NonFinite { row: usize, col: usize, value: f64 },
    #[error("every value of the data is zero: a zero-mean mixture has nothing to describe")]
    AllZero,
    #[error(
        "{rows} points are too few for {components} zero-mean full-covariance population(s) in \
         {dims} dimensions: each population needs at least {dims} points, so at least {} are needed",
        .components * .dims
    )]
    TooFewPoints {
        rows: usize,
        dims: usize,
        components: usize,
    },
    #[error("the number of populations must be in 1..={MAX_COMPONENTS}, got {0}")]
    Components(usize),
    #[error("EM options: {0}")]
    Options(String),
    #[error("{0}")]
    Budget(#[from] crate::budget::OverBudget),
    #[error(
        "every restart of the {components}-population fit kept collapsing a population onto too \
         few points (more than {RESEED_BUDGET} re-seeds): the data do not support that many \
         populations; try fewer"
    )]
    Degenerate { components: usize },
    #[error("the fit was cancelled")]
    Cancelled,
}

/// A zero-mean Gaussian mixture: weights `pi_k` (sum 1) and covariances `Sigma_k`.
#[derive(Debug, Clone, PartialEq)]
pub struct Mixture {
    pub weights: Vec<f64>,
    pub covs: Vec<DMatrix<f64>>,
}

/// One EM run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RestartSummary {
    pub restart: usize,
    /// `ln L` at the run's final parameters; `None` if the run was degenerate.
    pub log_likelihood: Option<f64>,
    pub iterations: usize,
    pub converged: bool,
    pub reseeds: usize,
}

/// The kept EM run, with its components ordered by hard-assignment count (largest first).
#[derive(Debug, Clone, PartialEq)]
pub struct GmmFit {
    pub mixture: Mixture,
    /// `ln L = sum_i ln p(x_i)` (without the covariance floor's penalty).
    pub log_likelihood: f64,
    /// `k ln N - 2 ln L`.
    pub bic: f64,
    /// Each point's component (largest posterior), in the sorted component order.
    pub labels: Vec<usize>,
    /// Points per component (`labels` counted), largest first.
    pub counts: Vec<usize>,
    /// Which restart was kept.
    pub best_restart: usize,
    /// Every restart, in order.
    pub restarts: Vec<RestartSummary>,
    /// The penalised objective `ln L - (1/2) sum_k tr(Psi Sigma_k^{-1})` at every E-step of the kept
    /// run since its last re-seed (non-decreasing, up to rounding).
    pub trace: Vec<f64>,
}

impl GmmFit {
    /// The kept run's summary.
    pub fn best(&self) -> &RestartSummary {
        &self.restarts[self.best_restart]
    }
}

/// Free parameters of `components` zero-mean full-covariance Gaussians in `dims` dimensions:
/// `P D (D + 1) / 2` covariance entries and `P - 1` weights.
pub fn parameter_count(components: usize, dims: usize) -> usize {
    components * dims * (dims + 1) / 2 + components.saturating_sub(1)
}

/// `BIC = k ln N - 2 ln L` ([`parameter_count`] for `k`).
pub fn bic(log_likelihood: f64, components: usize, dims: usize, points: usize) -> f64 {
    parameter_count(components, dims) as f64 * (points as f64).ln() - 2.0 * log_likelihood
}

/// Fits a `components`-population zero-mean mixture to the rows of `x` (`N x D`): `opts.restarts`
/// EM runs, the best log-likelihood kept. `cancel` is polled every iteration.
pub fn fit_gmm(
    x: &DMatrix<f64>,
    components: usize,
    opts: &GmmOptions,
    cancel: &AtomicBool,
) -> Result<GmmFit, GmmError> {
    opts.validate()?;
    let data = Data::new(x, opts.reg)?;
    fit_data(&data, components, opts, cancel)
}

/// The covariances over **all** columns of `x` of a mixture fitted to the columns `fitted` only
/// (`mixture.covs` are `|S| x |S|`, in the order of `fitted`), so that a fit on some loadings is
/// still a complete population model (MODEL.md 5).
///
/// Each point's responsibilities `r_ik` are those of the fit (its E-step on the fitted columns
/// `x_S`). Within component `k` the other columns `x_L` are regressed on `x_S` through the origin,
/// weighted by `r_ik`, with the fit's floor `Psi` (see the module docs) on the fitted columns:
///
/// ```text
/// B_k = (sum_i r_ik x_iL x_iS^T) (sum_i r_ik x_iS x_iS^T + Psi_S)^{-1}
/// R_k = ( sum_i r_ik (x_iL - B_k x_iS)(x_iL - B_k x_iS)^T + Psi_L ) / N_k
/// Sigma_k = [[ S_k,  S_k B_k^T ], [ B_k S_k,  B_k S_k B_k^T + R_k ]]        (S_k: the fitted cov)
/// ```
///
/// This is the maximum-likelihood linear-Gaussian model `x_L | x_S, k ~ N(B_k x_S, R_k)` under the
/// fit's assignment (with the same floor): the fitted block is kept exactly, the result is positive
/// definite (`[I; B] S [I; B]^T` plus the positive `R_k`), and at an EM fixed point it is the M-step
/// of all the columns with those responsibilities (for one component, the second moment of `x`).
///
/// # Panics
/// If `fitted` holds an index outside `x`'s columns, or `mixture` does not have `|fitted| x
/// |fitted|` covariances (programming errors: the caller fitted `mixture` to those columns).
pub fn complete_covariances(
    x: &DMatrix<f64>,
    fitted: &[usize],
    mixture: &Mixture,
    reg: f64,
) -> Result<Vec<DMatrix<f64>>, GmmError> {
    let (n, d) = x.shape();
    let rest: Vec<usize> = (0..d).filter(|j| !fitted.contains(j)).collect();
    let (s, l) = (fitted.len(), rest.len());
    assert!(
        mixture.covs.iter().all(|c| c.shape() == (s, s)),
        "the mixture was not fitted to {s} columns"
    );
    let psi = Data::new(x, reg)?.psi;
    let xs = x.select_columns(fitted);
    let xl = x.select_columns(&rest);
    let comps = Component::all(mixture).ok_or(GmmError::Degenerate {
        components: mixture.weights.len(),
    })?;
    // Responsibilities r_ik of the fit, row by row.
    let mut resp = DMatrix::zeros(n, comps.len());
    let mut lp = vec![0.0; comps.len()];
    for i in 0..n {
        let row: Vec<f64> = xs.row(i).iter().copied().collect();
        for (k, c) in comps.iter().enumerate() {
            lp[k] = c.log_density(&row);
        }
        let max = lp.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let total = max + lp.iter().map(|v| (v - max).exp()).sum::<f64>().ln();
        for (k, &v) in lp.iter().enumerate() {
            resp[(i, k)] = (v - total).exp();
        }
    }
    let mut out = Vec::with_capacity(comps.len());
    for (k, fitted_cov) in mixture.covs.iter().enumerate() {
        let r = resp.column(k);
        let nk = r.sum().max(1.0);
        let weighted_s = DMatrix::from_fn(n, s, |i, j| r[i] * xs[(i, j)]);
        let mut a = xs.transpose() * &weighted_s;
        for (j, &col) in fitted.iter().enumerate() {
            a[(j, j)] += psi[col];
        }
        let c = xl.transpose() * &weighted_s;
        // B = C A^{-1}, i.e. A B^T = C^T with A symmetric positive definite (it holds the floor).
        let b = a
            .cholesky()
            .ok_or(GmmError::Degenerate {
                components: mixture.weights.len(),
            })?
            .solve(&c.transpose())
            .transpose();
        let residual = &xl - &xs * b.transpose();
        let weighted_res = DMatrix::from_fn(n, l, |i, j| r[i] * residual[(i, j)]);
        let mut rk = residual.transpose() * weighted_res;
        for (j, &col) in rest.iter().enumerate() {
            rk[(j, j)] += psi[col];
        }
        rk /= nk;
        let ls = &b * fitted_cov;
        let ll = &ls * b.transpose() + rk;
        let mut full = DMatrix::zeros(d, d);
        for (a_idx, &ja) in fitted.iter().enumerate() {
            for (b_idx, &jb) in fitted.iter().enumerate() {
                full[(ja, jb)] = fitted_cov[(a_idx, b_idx)];
            }
            for (l_idx, &jl) in rest.iter().enumerate() {
                full[(jl, ja)] = ls[(l_idx, a_idx)];
                full[(ja, jl)] = ls[(l_idx, a_idx)];
            }
        }
        for (a_idx, &ja) in rest.iter().enumerate() {
            for (b_idx, &jb) in rest.iter().enumerate() {
                // Symmetrised against rounding in the products.
                full[(ja, jb)] = 0.5 * (ll[(a_idx, b_idx)] + ll[(b_idx, a_idx)]);
            }
        }
        out.push(full);
    }
    Ok(out)
}

/// One candidate of [`select_by_bic`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    pub components: usize,
    /// `None` if every restart was degenerate.
    pub log_likelihood: Option<f64>,
    pub bic: Option<f64>,
}

/// The fit with the lowest BIC among `P = 1..=max_components`, and every candidate.
#[derive(Debug, Clone, PartialEq)]
pub struct BicSelection {
    pub best: GmmFit,
    pub candidates: Vec<Candidate>,
}

/// Fits `P = 1..=max_components` (capped at `N / D`, the most populations the points can determine)
/// and keeps the lowest BIC. A `P` whose every restart is degenerate is skipped.
pub fn select_by_bic(
    x: &DMatrix<f64>,
    max_components: usize,
    opts: &GmmOptions,
    cancel: &AtomicBool,
) -> Result<BicSelection, GmmError> {
    opts.validate()?;
    if max_components == 0 || max_components > MAX_COMPONENTS {
        return Err(GmmError::Components(max_components));
    }
    let data = Data::new(x, opts.reg)?;
    let max = max_components.min(data.n / data.d).max(1);
    let mut best: Option<GmmFit> = None;
    let mut candidates = Vec::with_capacity(max);
    for p in 1..=max {
        match fit_data(&data, p, opts, cancel) {
            Ok(fit) => {
                candidates.push(Candidate {
                    components: p,
                    log_likelihood: Some(fit.log_likelihood),
                    bic: Some(fit.bic),
                });
                if best.as_ref().is_none_or(|b| fit.bic < b.bic) {
                    best = Some(fit);
                }
            }
            Err(GmmError::Degenerate { .. }) => candidates.push(Candidate {
                components: p,
                log_likelihood: None,
                bic: None,
            }),
            Err(e) => return Err(e),
        }
    }
    // P = 1 is never degenerate (its single component holds every point), so `best` is set.
    best.map(|best| BicSelection { best, candidates })
        .ok_or(GmmError::Degenerate { components: 1 })
}

/// The data, row-major, with the covariance floor `Psi = diag(psi)`.
struct Data {
    n: usize,
    d: usize,
    rows: Vec<f64>,
    /// `reg * N * s_j`, the diagonal of `Psi`.
    psi: Vec<f64>,
}

impl Data {
    /// Checks the data (non-empty, finite, not all zero) and derives the floor.
    fn new(x: &DMatrix<f64>, reg: f64) -> Result<Self, GmmError> {
        let (n, d) = x.shape();
        if n == 0 || d == 0 {
            return Err(GmmError::Empty { rows: n, cols: d });
        }
        let mut rows = Vec::with_capacity(n * d);
        for i in 0..n {
            for j in 0..d {
                let v = x[(i, j)];
                if !v.is_finite() {
                    return Err(GmmError::NonFinite {
                        row: i,
                        col: j,
                        value: v,
                    });
                }
                rows.push(v);
            }
        }
        let mut squares = vec![0.0; d];
        for row in rows.chunks_exact(d) {
            for (s, v) in squares.iter_mut().zip(row) {
                *s += v * v;
            }
        }
        let mean = squares.iter().sum::<f64>() / d as f64;
        if mean == 0.0 {
            return Err(GmmError::AllZero);
        }
        // reg * N * s_j = reg * sum_i x_ij^2.
        let psi = squares
            .iter()
            .map(|&sq| reg * if sq > 0.0 { sq } else { mean })
            .collect();
        Ok(Self { n, d, rows, psi })
    }

    fn row(&self, i: usize) -> &[f64] {
        &self.rows[i * self.d..(i + 1) * self.d]
    }

    /// E-step at `comps` fused with the sums the M-step needs; `scratch` receives each point's
    /// `ln p(x_i)` and label.
    fn pass(&self, comps: &[Component], scratch: &mut Scratch) -> Stats {
        let d = self.d;
        let chunks: Vec<Stats> = self
            .rows
            .par_chunks(ROWS_PER_CHUNK * d)
            .zip(scratch.log_density.par_chunks_mut(ROWS_PER_CHUNK))
            .zip(scratch.labels.par_chunks_mut(ROWS_PER_CHUNK))
            .map(|((rows, dens), labels)| chunk_stats(rows, d, comps, dens, labels))
            .collect();
        let mut total = Stats::zeros(comps.len(), d);
        for c in &chunks {
            total.add(c);
        }
        total
    }

    /// The M-step: `pi_k = N_k / N`, `Sigma_k = (S_k + Psi) / N_k` (`N_k` floored at 1, which only
    /// matters for a component about to be re-seeded).
    fn m_step(&self, stats: &Stats) -> Mixture {
        let d = self.d;
        let covs = stats
            .sums
            .iter()
            .zip(&stats.counts)
            .map(|(s, &nk)| {
                let mut cov = DMatrix::from_fn(d, d, |a, b| s[a.min(b) * d + a.max(b)]);
                for (a, &p) in self.psi.iter().enumerate() {
                    cov[(a, a)] += p;
                }
                cov / nk.max(1.0)
            })
            .collect();
        Mixture {
            weights: stats.counts.iter().map(|&nk| nk / self.n as f64).collect(),
            covs,
        }
    }

    /// The penalised objective `ln L - (1/2) sum_k tr(Psi Sigma_k^{-1})` that EM increases, with
    /// `(Sigma^{-1})_jj = sum_a (L^{-1})_aj^2`.
    fn objective(&self, log_likelihood: f64, comps: &[Component]) -> f64 {
        let d = self.d;
        let penalty: f64 = comps
            .iter()
            .map(|c| {
                c.linv
                    .iter()
                    .enumerate()
                    .map(|(k, v)| self.psi[k % d] * v * v)
                    .sum::<f64>()
            })
            .sum();
        log_likelihood - 0.5 * penalty
    }
}

/// Per-point buffers of one run.
struct Scratch {
    log_density: Vec<f64>,
    labels: Vec<usize>,
}

impl Scratch {
    fn new(n: usize) -> Self {
        Self {
            log_density: vec![0.0; n],
            labels: vec![0; n],
        }
    }
}

/// Sums over points: `ln L`, `N_k` and the upper triangle of `S_k = sum_i r_ik x_i x_i^T`.
struct Stats {
    log_likelihood: f64,
    counts: Vec<f64>,
    /// `S_k[a][b]` at `a * D + b` for `a <= b`.
    sums: Vec<Vec<f64>>,
}

impl Stats {
    fn zeros(k: usize, d: usize) -> Self {
        Self {
            log_likelihood: 0.0,
            counts: vec![0.0; k],
            sums: vec![vec![0.0; d * d]; k],
        }
    }

    fn add(&mut self, other: &Stats) {
        self.log_likelihood += other.log_likelihood;
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        for (sa, sb) in self.sums.iter_mut().zip(&other.sums) {
            for (a, b) in sa.iter_mut().zip(sb) {
                *a += b;
            }
        }
    }

    /// Adds point `x` with responsibility `r` to component `k`.
    fn accumulate(&mut self, k: usize, r: f64, x: &[f64]) {
        let d = x.len();
        self.counts[k] += r;
        let s = &mut self.sums[k];
        for a in 0..d {
            let ra = r * x[a];
            for b in a..d {
                s[a * d + b] += ra * x[b];
            }
        }
    }
}

/// A component ready for the E-step: `ln pi_k - (1/2)(D ln 2 pi + ln |Sigma_k|)` and the inverse
/// Cholesky factor `L_k^{-1}` (`Sigma_k = L_k L_k^T`, so the Mahalanobis term is `|L_k^{-1} x|^2`).
struct Component {
    log_norm: f64,
    /// Row-major, lower triangular.
    linv: Vec<f64>,
}

impl Component {
    /// `None` if some covariance is not positive definite (cannot happen for an M-step's output,
    /// which is at least the floor) or some weight is not positive.
    fn all(mixture: &Mixture) -> Option<Vec<Component>> {
        mixture
            .weights
            .iter()
            .zip(&mixture.covs)
            .map(|(&w, cov)| Component::new(w, cov))
            .collect()
    }

    fn new(weight: f64, cov: &DMatrix<f64>) -> Option<Self> {
        if weight.is_nan() || weight <= 0.0 {
            return None;
        }
        let d = cov.nrows();
        let l = cov.clone().cholesky()?.unpack();
        let log_det = 2.0 * l.diagonal().iter().map(|v| v.ln()).sum::<f64>();
        let linv = l.solve_lower_triangular(&DMatrix::identity(d, d))?;
        let linv: Vec<f64> = (0..d * d).map(|k| linv[(k / d, k % d)]).collect();
        let log_norm = weight.ln() - 0.5 * (d as f64 * (2.0 * std::f64::consts::PI).ln() + log_det);
        (log_norm.is_finite() && linv.iter().all(|v| v.is_finite()))
            .then_some(Self { log_norm, linv })
    }

    /// `ln pi_k + ln N(x; 0, Sigma_k)`.
    fn log_density(&self, x: &[f64]) -> f64 {
        let d = x.len();
        let mut q = 0.0;
        for a in 0..d {
            let row = &self.linv[a * d..a * d + a + 1];
            let y: f64 = row.iter().zip(x).map(|(l, v)| l * v).sum();
            q += y * y;
        }
        self.log_norm - 0.5 * q
    }
}

/// The E-step sums over one chunk of rows.
fn chunk_stats(
    rows: &[f64],
    d: usize,
    comps: &[Component],
    dens: &mut [f64],
    labels: &mut [usize],
) -> Stats {
    let mut stats = Stats::zeros(comps.len(), d);
    let mut lp = vec![0.0; comps.len()];
    for ((x, dens), label) in rows.chunks_exact(d).zip(dens).zip(labels) {
        let mut best = 0;
        for (k, c) in comps.iter().enumerate() {
            lp[k] = c.log_density(x);
            if lp[k] > lp[best] {
                best = k;
            }
        }
        let max = lp[best];
        let total = max + lp.iter().map(|v| (v - max).exp()).sum::<f64>().ln();
        for (k, &l) in lp.iter().enumerate() {
            stats.accumulate(k, (l - total).exp(), x);
        }
        stats.log_likelihood += total;
        *dens = total;
        *label = best;
    }
    stats
}

/// All restarts for one number of components; the best kept, sorted by count.
fn fit_data(
    data: &Data,
    components: usize,
    opts: &GmmOptions,
    cancel: &AtomicBool,
) -> Result<GmmFit, GmmError> {
    if components == 0 || components > MAX_COMPONENTS {
        return Err(GmmError::Components(components));
    }
    if data.n < components * data.d {
        return Err(GmmError::TooFewPoints {
            rows: data.n,
            dims: data.d,
            components,
        });
    }
    // The data, and per running or finished EM run a few numbers per point and component.
    let runs_held = rayon::current_num_threads() + opts.restarts;
    crate::budget::check(
        format!(
            "fitting {components} population(s) to {} points of {} axes ({} restarts)",
            data.n, data.d, opts.restarts
        ),
        crate::budget::bytes_of(&[data.n, data.d], 8).saturating_add(crate::budget::bytes_of(
            &[runs_held, data.n, components + 3],
            8,
        )),
        "use fewer restarts or populations",
    )?;
    let runs: Vec<Result<Run, GmmError>> = (0..opts.restarts)
        .into_par_iter()
        .map(|r| run_em(data, components, opts, trial_seed(opts.seed, r), cancel))
        .collect();
    let runs = runs.into_iter().collect::<Result<Vec<Run>, GmmError>>()?;
    let restarts: Vec<RestartSummary> = runs
        .iter()
        .enumerate()
        .map(|(r, run)| RestartSummary {
            restart: r,
            log_likelihood: (!run.degenerate).then_some(run.log_likelihood),
            iterations: run.iterations,
            converged: run.converged,
            reseeds: run.reseeds,
        })
        .collect();
    let best_restart = runs
        .iter()
        .enumerate()
        .filter(|(_, run)| !run.degenerate)
        .fold(None, |best: Option<(usize, &Run)>, (r, run)| match best {
            Some((_, b)) if b.log_likelihood >= run.log_likelihood => best,
            _ => Some((r, run)),
        })
        .map(|(r, _)| r)
        .ok_or(GmmError::Degenerate { components })?;
    let run = runs
        .into_iter()
        .nth(best_restart)
        .ok_or(GmmError::Degenerate { components })?;
    Ok(sorted_fit(data, run, best_restart, restarts))
}

/// The kept run as a [`GmmFit`], components ordered by count (then weight), labels renumbered.
fn sorted_fit(data: &Data, run: Run, best_restart: usize, restarts: Vec<RestartSummary>) -> GmmFit {
    let k = run.mixture.weights.len();
    let mut counts = vec![0usize; k];
    for &l in &run.labels {
        counts[l] += 1;
    }
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&a, &b| {
        counts[b]
            .cmp(&counts[a])
            .then(run.mixture.weights[b].total_cmp(&run.mixture.weights[a]))
    });
    let mut rank = vec![0; k];
    for (new, &old) in order.iter().enumerate() {
        rank[old] = new;
    }
    GmmFit {
        mixture: Mixture {
            weights: order.iter().map(|&o| run.mixture.weights[o]).collect(),
            covs: order.iter().map(|&o| run.mixture.covs[o].clone()).collect(),
        },
        log_likelihood: run.log_likelihood,
        bic: bic(run.log_likelihood, k, data.d, data.n),
        labels: run.labels.iter().map(|&l| rank[l]).collect(),
        counts: order.iter().map(|&o| counts[o]).collect(),
        best_restart,
        restarts,
        trace: run.trace,
    }
}

/// One EM run's result.
struct Run {
    mixture: Mixture,
    log_likelihood: f64,
    labels: Vec<usize>,
    iterations: usize,
    converged: bool,
    reseeds: usize,
    degenerate: bool,
    trace: Vec<f64>,
}

/// One EM run from the k-means++-for-lines start drawn with `seed`.
fn run_em(
    data: &Data,
    k: usize,
    opts: &GmmOptions,
    seed: u64,
    cancel: &AtomicBool,
) -> Result<Run, GmmError> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut mixture = initial_mixture(data, k, &mut rng);
    let mut scratch = Scratch::new(data.n);
    let mut trace = Vec::new();
    let mut reseeds = 0;
    let mut degenerate = false;
    let mut converged = false;
    let mut log_likelihood = f64::NEG_INFINITY;
    let mut iterations = 0;
    while iterations < opts.max_iter {
        if cancel.load(Ordering::Relaxed) {
            return Err(GmmError::Cancelled);
        }
        let Some(comps) = Component::all(&mixture) else {
            degenerate = true;
            break;
        };
        let stats = data.pass(&comps, &mut scratch);
        iterations += 1;
        log_likelihood = stats.log_likelihood;
        let objective = data.objective(log_likelihood, &comps);
        let previous = trace.last().copied();
        trace.push(objective);
        if previous.is_some_and(|p| objective - p < opts.tol * data.n as f64) {
            converged = true;
            break;
        }
        if iterations == opts.max_iter {
            break;
        }
        mixture = data.m_step(&stats);
        if let Some(empty) = stats.counts.iter().position(|&nk| nk < data.d as f64) {
            if reseeds == RESEED_BUDGET {
                degenerate = true;
                break;
            }
            reseeds += 1;
            reseed(data, &mut mixture, empty, &scratch.log_density);
            // The objective of the re-seeded mixture is not comparable with the last one.
            trace.clear();
        }
    }
    Ok(Run {
        mixture,
        log_likelihood,
        labels: scratch.labels,
        iterations,
        converged,
        reseeds,
        degenerate,
        trace,
    })
}

/// Seeds `k` lines through the origin (k-means++ with the distance to a line) and returns the
/// M-step of the assignment of every point to its nearest line, softened by [`INIT_SMOOTHING`].
fn initial_mixture(data: &Data, k: usize, rng: &mut StdRng) -> Mixture {
    let norms: Vec<f64> = (0..data.n)
        .map(|i| data.row(i).iter().map(|v| v * v).sum())
        .collect();
    // Squared distance of each point to the nearest seeded line (initially: to the origin).
    let mut dist = norms.clone();
    let mut labels = vec![0usize; data.n];
    for c in 0..k {
        let seed = weighted_choice(&dist, rng);
        let dir = data.row(seed).to_vec();
        let dir_norm = norms[seed];
        for i in 0..data.n {
            let d2 = if dir_norm > 0.0 {
                let dot: f64 = data.row(i).iter().zip(&dir).map(|(a, b)| a * b).sum();
                (norms[i] - dot * dot / dir_norm).max(0.0)
            } else {
                norms[i]
            };
            if c == 0 || d2 < dist[i] {
                dist[i] = d2;
                labels[i] = c;
            }
        }
    }
    let mut stats = Stats::zeros(k, data.d);
    let (own, other) = if k == 1 {
        (1.0, 0.0)
    } else {
        (1.0 - INIT_SMOOTHING, INIT_SMOOTHING / (k - 1) as f64)
    };
    for (i, &l) in labels.iter().enumerate() {
        for c in 0..k {
            stats.accumulate(c, if c == l { own } else { other }, data.row(i));
        }
    }
    data.m_step(&stats)
}

/// An index drawn with probability proportional to `weights` (uniformly if they are all zero).
fn weighted_choice(weights: &[f64], rng: &mut StdRng) -> usize {
    let total: f64 = weights.iter().sum();
    if total.is_nan() || total <= 0.0 {
        return rng.random_range(0..weights.len());
    }
    let mut target = rng.random::<f64>() * total;
    for (i, &w) in weights.iter().enumerate() {
        if target < w {
            return i;
        }
        target -= w;
    }
    // Rounding left `target` just above the last positive weight.
    weights.iter().rposition(|&w| w > 0.0).unwrap_or(0)
}

/// Rebuilds component `k` from the `ceil(N / K)` points with the lowest `ln p(x_i)` (weight their
/// share, the other weights scaled to keep the sum 1).
fn reseed(data: &Data, mixture: &mut Mixture, k: usize, log_density: &[f64]) {
    let count = data.n.div_ceil(mixture.weights.len());
    let mut idx: Vec<usize> = (0..data.n).collect();
    idx.select_nth_unstable_by(count - 1, |&a, &b| {
        log_density[a].total_cmp(&log_density[b]).then(a.cmp(&b))
    });
    let mut stats = Stats::zeros(1, data.d);
    for &i in &idx[..count] {
        stats.accumulate(0, 1.0, data.row(i));
    }
    let fresh = data.m_step(&stats);
    let share = count as f64 / data.n as f64;
    let rest: f64 = (0..mixture.weights.len())
        .filter(|&j| j != k)
        .map(|j| mixture.weights[j])
        .sum();
    let k_all = mixture.weights.len();
    for (j, w) in mixture.weights.iter_mut().enumerate() {
        *w = if j == k {
            share
        } else if rest > 0.0 {
            *w * (1.0 - share) / rest
        } else {
            (1.0 - share) / (k_all - 1) as f64
        };
    }
    mixture.covs[k] = fresh.covs[0].clone();
}

#[cfg(test)]
mod tests {
    use rand_distr::{Distribution, StandardNormal};

    use super::*;

    const DIMS: usize = 7;

    /// The two populations of the synthetic data, before the common rotation: population 1 (70 %)
    /// lives mostly in the first four loadings, population 2 (30 %) in the last three, each with its
    /// own correlations; the other directions keep a small variance (0.03 and 0.05), so both
    /// covariances are full rank and the populations overlap near the origin.
    fn true_covariances() -> [DMatrix<f64>; 2] {
        let mut a = DMatrix::from_diagonal_element(DIMS, DIMS, 0.03);
        a.view_mut((0, 0), (4, 4))
            .copy_from(&DMatrix::from_row_slice(
                4,
                4,
                &[
                    4.0, 1.2, 0.8, 0.0, //
                    1.2, 2.5, 0.0, 0.5, //
                    0.8, 0.0, 1.5, 0.3, //
                    0.0, 0.5, 0.3, 1.0,
                ],
            ));
        let mut b = DMatrix::from_diagonal_element(DIMS, DIMS, 0.05);
        b.view_mut((4, 4), (3, 3))
            .copy_from(&DMatrix::from_row_slice(
                3,
                3,
                &[
                    3.0, 1.0, -0.6, //
                    1.0, 2.0, 0.5, //
                    -0.6, 0.5, 1.5,
                ],
            ));
        // A Householder reflection mixes every loading, so no entry is structurally zero.
        let v = nalgebra::DVector::from_vec(vec![1.0, 2.0, -1.0, 0.5, 1.0, -2.0, 1.0]);
        let h = DMatrix::identity(DIMS, DIMS) - &v * v.transpose() * (2.0 / v.norm_squared());
        [&h * a * &h, &h * b * &h]
    }

    const FRACTIONS: [f64; 2] = [0.7, 0.3];

    /// `n` points: the first `floor(0.7 n)` from population 1, the rest from population 2, each
    /// `L_p z` with the Cholesky factor `L_p` and `z ~ N(0, Id)`.
    fn synthetic(n: usize, seed: u64) -> (DMatrix<f64>, Vec<usize>) {
        let covs = true_covariances();
        let factors: Vec<DMatrix<f64>> = covs
            .iter()
            .map(|c| c.clone().cholesky().unwrap().unpack())
            .collect();
        let first = (FRACTIONS[0] * n as f64) as usize;
        let mut rng = StdRng::seed_from_u64(seed);
        let mut x = DMatrix::zeros(n, DIMS);
        let labels: Vec<usize> = (0..n).map(|i| usize::from(i >= first)).collect();
        for (i, &p) in labels.iter().enumerate() {
            let z = nalgebra::DVector::from_fn(DIMS, |_, _| StandardNormal.sample(&mut rng));
            x.row_mut(i).copy_from(&(&factors[p] * z).transpose());
        }
        (x, labels)
    }

    /// `ln N(x; 0, Sigma)` by the textbook formula (explicit inverse and determinant).
    fn log_gauss(x: &[f64], cov: &DMatrix<f64>) -> f64 {
        let d = x.len();
        let v = nalgebra::DVector::from_column_slice(x);
        let inv = cov.clone().try_inverse().unwrap();
        let q = (v.transpose() * inv * &v)[0];
        -0.5 * (d as f64 * (2.0 * std::f64::consts::PI).ln() + cov.determinant().ln() + q)
    }

    fn naive_log_likelihood(x: &DMatrix<f64>, m: &Mixture) -> f64 {
        (0..x.nrows())
            .map(|i| {
                let row: Vec<f64> = x.row(i).iter().copied().collect();
                m.weights
                    .iter()
                    .zip(&m.covs)
                    .map(|(w, c)| w * log_gauss(&row, c).exp())
                    .sum::<f64>()
                    .ln()
            })
            .sum()
    }

    fn relative_frobenius(a: &DMatrix<f64>, b: &DMatrix<f64>) -> f64 {
        (a - b).norm() / b.norm()
    }

    fn never() -> AtomicBool {
        AtomicBool::new(false)
    }

    fn options(restarts: usize, seed: u64) -> GmmOptions {
        GmmOptions {
            restarts,
            seed,
            ..GmmOptions::default()
        }
    }

    /// The spec's recovery test: N = 20000 from a known two-population zero-mean mixture.
    /// Covariance errors are relative Frobenius norms `||S_fit - S|| / ||S||`.
    #[test]
    fn em_recovers_a_known_two_population_mixture() {
        let n = 20_000;
        let (x, truth) = synthetic(n, 1);
        let covs = true_covariances();
        // The best any method can do: the Bayes classifier with the true parameters.
        let bayes = (0..n)
            .filter(|&i| {
                let row: Vec<f64> = x.row(i).iter().copied().collect();
                let l: Vec<f64> = (0..2)
                    .map(|p| FRACTIONS[p].ln() + log_gauss(&row, &covs[p]))
                    .collect();
                usize::from(l[1] > l[0]) == truth[i]
            })
            .count() as f64
            / n as f64;
        assert!(
            bayes > 0.995,
            "the synthetic populations overlap too much: {bayes}"
        );
        let fit = fit_gmm(&x, 2, &options(4, 7), &never()).unwrap();
        let m = &fit.mixture;
        // Largest population first: the sorted order is the true order.
        assert_eq!(fit.counts.iter().sum::<usize>(), n);
        assert!(fit.counts[0] >= fit.counts[1]);
        let agree = fit
            .labels
            .iter()
            .zip(&truth)
            .filter(|(a, b)| a == b)
            .count() as f64
            / n as f64;
        let mut report = format!("Bayes accuracy {bayes:.5}, label agreement {agree:.5}\n");
        assert!(agree >= 0.99, "labels: {agree}");
        assert!(agree >= bayes - 0.002, "labels {agree} vs Bayes {bayes}");
        for p in 0..2 {
            let members: Vec<usize> = (0..n).filter(|&i| truth[i] == p).collect();
            let xp = x.select_rows(&members);
            let oracle = xp.transpose() * &xp / members.len() as f64;
            let err_truth = relative_frobenius(&m.covs[p], &covs[p]);
            let err_oracle = relative_frobenius(&m.covs[p], &oracle);
            report += &format!(
                "pop {}: weight {:.4} (true {}), cov error {:.4} vs truth, {:.4} vs the sample \
                 covariance of the true members\n",
                p + 1,
                m.weights[p],
                FRACTIONS[p],
                err_truth,
                err_oracle
            );
            assert!((m.weights[p] - FRACTIONS[p]).abs() < 0.01, "{report}");
            assert!(err_truth < 0.05, "{report}");
            assert!(err_oracle < 0.01, "{report}");
        }
        println!("{report}");
        assert!((m.weights.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        // ln L and BIC against the textbook formulas.
        let naive = naive_log_likelihood(&x, m);
        assert!(
            (fit.log_likelihood - naive).abs() < 1e-9 * naive.abs(),
            "{} vs {naive}",
            fit.log_likelihood
        );
        let k = 2.0 * 28.0 + 1.0;
        assert!((fit.bic - (k * (n as f64).ln() - 2.0 * naive)).abs() < 1e-6 * naive.abs());
        assert!(fit.best().converged && fit.best().reseeds == 0);
    }

    #[test]
    fn bic_chooses_two_populations_on_two_population_data() {
        let (x, _) = synthetic(20_000, 2);
        let sel = select_by_bic(&x, 3, &options(1, 3), &never()).unwrap();
        let bics: Vec<f64> = sel.candidates.iter().map(|c| c.bic.unwrap()).collect();
        println!("BIC for P = 1..3: {bics:?}");
        assert_eq!(sel.best.mixture.weights.len(), 2, "{bics:?}");
        assert_eq!(sel.candidates.len(), 3);
        let min = bics.iter().copied().fold(f64::INFINITY, f64::min);
        assert_eq!(sel.best.bic, min);
        // One population is far worse; extra populations gain less likelihood than they cost.
        assert!(bics[0] - bics[1] > 1000.0 && bics[2] > bics[1]);
    }

    #[test]
    fn restarts_are_deterministic_for_a_seed_on_any_thread_count() {
        let (x, _) = synthetic(3000, 4);
        let run = |threads: usize, seed: u64| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| fit_gmm(&x, 3, &options(3, seed), &never()).unwrap())
        };
        let one = run(1, 5);
        assert_eq!(one, run(3, 5));
        assert_eq!(one, run(2, 5));
        // Another seed starts elsewhere: the runs' summaries differ.
        assert_ne!(one.restarts, run(2, 6).restarts);
    }

    #[test]
    fn em_objective_never_decreases() {
        let (x, _) = synthetic(2000, 5);
        for (k, seed) in [(2, 1), (3, 2)] {
            let fit = fit_gmm(&x, k, &options(1, seed), &never()).unwrap();
            assert_eq!(fit.best().reseeds, 0);
            assert!(fit.trace.len() > 3);
            for w in fit.trace.windows(2) {
                assert!(
                    w[1] >= w[0] - 1e-12 * w[0].abs(),
                    "P = {k}: objective fell from {} to {}",
                    w[0],
                    w[1]
                );
            }
        }
    }

    /// One population: the second-moment matrix with every variance raised by the floor,
    /// `Sigma = X^T X / N + reg diag(X^T X / N)`.
    #[test]
    fn one_population_is_the_regularised_second_moment() {
        let (x, _) = synthetic(500, 6);
        let fit = fit_gmm(&x, 1, &options(2, 0), &never()).unwrap();
        let mut expected = x.transpose() * &x / 500.0;
        for a in 0..DIMS {
            expected[(a, a)] *= 1.0 + DEFAULT_REG;
        }
        assert!((&fit.mixture.covs[0] - &expected).amax() < 1e-12 * expected.amax());
        assert_eq!(
            (fit.mixture.weights.clone(), fit.counts.clone()),
            (vec![1.0], vec![500])
        );
        assert!(fit.best().converged && fit.best().iterations == 2);
    }

    /// One population fitted to six of the seven loadings, completed: the cross block is the second
    /// moment `X_L^T X_S / N` exactly, the left-out variance the floored second moment up to the
    /// floor's own size (`B Psi_S B^T / N`, a part in 1e6).
    #[test]
    fn completing_one_population_gives_the_second_moment() {
        let (x, _) = synthetic(500, 6);
        let fitted: Vec<usize> = (0..DIMS - 1).collect();
        let fit = fit_gmm(&x.select_columns(&fitted), 1, &options(1, 0), &never()).unwrap();
        let full = complete_covariances(&x, &fitted, &fit.mixture, DEFAULT_REG).unwrap();
        let mut expected = x.transpose() * &x / 500.0;
        for a in 0..DIMS {
            expected[(a, a)] *= 1.0 + DEFAULT_REG;
        }
        let last = DIMS - 1;
        for j in 0..last {
            let (got, want) = (full[0][(last, j)], expected[(last, j)]);
            assert!(
                (got - want).abs() < 1e-12 * expected.amax(),
                "{got} vs {want}"
            );
            assert_eq!(full[0][(j, last)], got);
        }
        let (got, want) = (full[0][(last, last)], expected[(last, last)]);
        assert!((got - want).abs() < 1e-5 * want, "{got} vs {want}");
        assert_eq!(
            full[0].view((0, 0), (last, last)),
            fit.mixture.covs[0].view((0, 0), (last, last))
        );
    }

    /// Two populations fitted to the first six loadings of the synthetic data: the completed
    /// covariances are the true ones over all seven loadings, to the accuracy of a fit on all of
    /// them, and positive definite.
    #[test]
    fn completing_a_fit_on_some_loadings_recovers_the_full_mixture() {
        let n = 20_000;
        let (x, truth) = synthetic(n, 1);
        let covs = true_covariances();
        let fitted = [0, 1, 2, 3, 4, 5];
        let fit = fit_gmm(&x.select_columns(&fitted), 2, &options(4, 7), &never()).unwrap();
        let full = complete_covariances(&x, &fitted, &fit.mixture, DEFAULT_REG).unwrap();
        for p in 0..2 {
            let members: Vec<usize> = (0..n).filter(|&i| truth[i] == p).collect();
            let xp = x.select_rows(&members);
            let oracle = xp.transpose() * &xp / members.len() as f64;
            let (err_truth, err_oracle) = (
                relative_frobenius(&full[p], &covs[p]),
                relative_frobenius(&full[p], &oracle),
            );
            println!(
                "pop {}: completed cov error {err_truth:.4} vs truth, {err_oracle:.4} vs the true members' second moment",
                p + 1
            );
            assert!(
                err_truth < 0.05 && err_oracle < 0.02,
                "{err_truth} {err_oracle}"
            );
            assert!(full[p].clone().cholesky().is_some(), "positive definite");
            assert!((&full[p] - full[p].transpose()).amax() == 0.0, "symmetric");
        }
    }

    /// Rescaling a loading rescales the fit (`Sigma -> D Sigma D`) and leaves labels and likelihood
    /// (up to the Jacobian `N ln |D|`) unchanged: the floor follows each loading's own scale.
    #[test]
    fn the_fit_does_not_depend_on_the_units_of_a_loading() {
        let (x, _) = synthetic(4000, 10);
        let scales = [1.0, 1000.0, 1.0, 1e-3, 1.0, 1.0, 50.0];
        let d = DMatrix::from_diagonal(&nalgebra::DVector::from_row_slice(&scales));
        // Converged far beyond the default tolerance, so that only the floor could tell them apart.
        let opts = GmmOptions {
            tol: 1e-13,
            ..options(3, 2)
        };
        let fit = fit_gmm(&x, 2, &opts, &never()).unwrap();
        let scaled = fit_gmm(&(&x * &d), 2, &opts, &never()).unwrap();
        assert!(fit.best().converged && scaled.best().converged);
        assert_eq!(fit.labels, scaled.labels);
        for (a, b) in fit.mixture.covs.iter().zip(&scaled.mixture.covs) {
            let back = d.clone().try_inverse().unwrap() * b * d.clone().try_inverse().unwrap();
            assert!(
                relative_frobenius(&back, a) < 1e-6,
                "{}",
                relative_frobenius(&back, a)
            );
        }
        let jacobian = 4000.0 * scales.iter().map(|s| s.ln()).sum::<f64>();
        let ll = scaled.log_likelihood + jacobian;
        assert!((ll - fit.log_likelihood).abs() < 1e-9 * fit.log_likelihood.abs());
    }

    #[test]
    fn bad_data_gives_clear_errors() {
        let never = never();
        let fit = |x: &DMatrix<f64>, k| fit_gmm(x, k, &options(2, 0), &never);
        let (x, _) = synthetic(40, 7);
        assert_eq!(
            fit(&x.rows(0, 5).into_owned(), 1).unwrap_err(),
            GmmError::TooFewPoints {
                rows: 5,
                dims: 7,
                components: 1
            }
        );
        assert!(matches!(
            fit(&x.rows(0, 20).into_owned(), 3).unwrap_err(),
            GmmError::TooFewPoints { components: 3, .. }
        ));
        let mut nan = x.clone();
        nan[(3, 2)] = f64::NAN;
        let err = fit(&nan, 2).unwrap_err();
        assert!(
            matches!(err, GmmError::NonFinite { row: 3, col: 2, .. }),
            "{err}"
        );
        assert_eq!(
            fit(&DMatrix::zeros(40, 7), 1).unwrap_err(),
            GmmError::AllZero
        );
        assert!(matches!(
            fit(&DMatrix::zeros(0, 7), 1).unwrap_err(),
            GmmError::Empty { .. }
        ));
        assert_eq!(fit(&x, 0).unwrap_err(), GmmError::Components(0));
        let bad = GmmOptions {
            restarts: 0,
            ..GmmOptions::default()
        };
        assert!(matches!(
            fit_gmm(&x, 1, &bad, &never).unwrap_err(),
            GmmError::Options(_)
        ));
        // BIC selection caps P at N / D instead of failing.
        let sel = select_by_bic(&x.rows(0, 20).into_owned(), 5, &options(1, 0), &never).unwrap();
        assert_eq!(sel.candidates.len(), 2);
        let cancelled = AtomicBool::new(true);
        assert_eq!(
            fit_gmm(&x, 2, &options(1, 0), &cancelled).unwrap_err(),
            GmmError::Cancelled
        );
    }

    /// Singular data (a zero column, many duplicated rows) give finite fits with every covariance
    /// at least the floor `reg * s`, or, when a population has nothing to describe, the clear
    /// [`GmmError::Degenerate`]; never a panic or a NaN.
    #[test]
    fn degenerate_data_are_guarded_by_the_covariance_floor() {
        let (mut x, _) = synthetic(600, 8);
        x.column_mut(4).fill(0.0);
        // The mean square of every loading, and the floor reg * min_j s_j (a zero loading counts
        // with the mean of all).
        let scale = |x: &DMatrix<f64>| x.iter().map(|v| v * v).sum::<f64>() / (600.0 * DIMS as f64);
        let floor = |x: &DMatrix<f64>| {
            let mean = scale(x);
            x.column_iter()
                .map(|c| c.norm_squared() / 600.0)
                .map(|s| if s > 0.0 { s } else { mean })
                .fold(f64::INFINITY, f64::min)
                * DEFAULT_REG
        };
        let mut dup = x.clone();
        for i in 0..400 {
            let row = x.row(0).into_owned();
            dup.row_mut(i).copy_from(&row);
        }
        let mut outcomes = vec![];
        for data in [&x, &dup] {
            let min_floor = floor(data);
            for k in 1..=3 {
                match fit_gmm(data, k, &options(3, 1), &never()) {
                    Ok(fit) => {
                        assert!(fit.log_likelihood.is_finite());
                        for cov in &fit.mixture.covs {
                            let min = cov.clone().symmetric_eigenvalues().min();
                            assert!(min >= min_floor * (1.0 - 1e-6), "{min} < {min_floor}");
                        }
                        outcomes.push(format!("P = {k}: {:?}", fit.counts));
                    }
                    Err(e) => {
                        // One or two populations always fit: the first holds every point.
                        assert!(k > 2, "P = {k}: {e}");
                        assert_eq!(e, GmmError::Degenerate { components: k });
                        outcomes.push(format!("P = {k}: {e}"));
                    }
                }
            }
        }
        println!("{outcomes:#?}");
        // The zero column's variance is exactly its floor, reg times the mean square of a loading.
        let fit = fit_gmm(&x, 1, &options(1, 0), &never()).unwrap();
        let zero_floor = DEFAULT_REG * scale(&x);
        assert!((fit.mixture.covs[0][(4, 4)] - zero_floor).abs() < 1e-12 * zero_floor);
    }

    #[test]
    fn reseeding_rebuilds_a_component_from_the_worst_explained_points() {
        let (x, _) = synthetic(100, 9);
        let data = Data::new(&x, DEFAULT_REG).unwrap();
        let mut mixture = Mixture {
            weights: vec![0.5, 0.499, 0.001],
            covs: vec![DMatrix::identity(DIMS, DIMS); 3],
        };
        // Point i is the i-th worst explained.
        let dens: Vec<f64> = (0..100).map(|i| i as f64).collect();
        reseed(&data, &mut mixture, 2, &dens);
        let worst = x.rows(0, 34).into_owned();
        let expected =
            (worst.transpose() * &worst + DMatrix::from_diagonal(&data.psi.clone().into())) / 34.0;
        assert!((&mixture.covs[2] - expected).amax() < 1e-12);
        assert!((mixture.weights[2] - 0.34).abs() < 1e-15);
        assert!((mixture.weights.iter().sum::<f64>() - 1.0).abs() < 1e-15);
        assert!((mixture.weights[0] / mixture.weights[1] - 0.5 / 0.499).abs() < 1e-12);
    }

    #[test]
    fn parameter_count_and_weighted_choice() {
        // Two 7-D covariances (28 entries each) and one free weight.
        assert_eq!(parameter_count(2, 7), 57);
        assert_eq!(parameter_count(1, 3), 6);
        let mut rng = StdRng::seed_from_u64(1);
        let mut hits = [0usize; 3];
        for _ in 0..30_000 {
            hits[weighted_choice(&[1.0, 0.0, 3.0], &mut rng)] += 1;
        }
        assert_eq!(hits[1], 0);
        assert!((hits[2] as f64 / 30_000.0 - 0.75).abs() < 0.01, "{hits:?}");
        assert!(weighted_choice(&[0.0, 0.0], &mut rng) < 2);
    }
}
