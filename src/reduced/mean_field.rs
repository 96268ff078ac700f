//! The population (Gaussian-mixture) mean field of MODEL.md 4.
//!
//! For population `p`, with `y = (kappa_1..kappa_R, v_1..v_S)` and `x = sum_l y_l x_l` (the loadings
//! `m_1..m_R, I_1..I_S`), `x` is Gaussian with
//!
//! ```text
//! M_p = mu_p[x] . y        Delta_p = y^T Sigma_p[x, x] y        cov_p(n_r, x) = Sigma_p[n_r, x] y
//! ```
//!
//! and by Stein's lemma
//!
//! ```text
//! F_r(kappa; v) = -kappa_r + sum_p alpha_p [ mu_p[n_r] <phi>_p + <phi'>_p cov_p(n_r, x) ]
//! z_o(kappa; v) =            sum_p alpha_p [ mu_p[w_o] <phi>_p + <phi'>_p cov_p(w_o, x) ]
//! ```
//!
//! with `<f>_p = <f>(M_p, Delta_p)`. The Jacobian is exact, gain derivatives included:
//! `d<phi>/dkappa_l = <phi'> dM/dkappa_l + (1/2) <phi''> dDelta/dkappa_l` and
//! `d<phi'>/dkappa_l = <phi''> dM/dkappa_l + (1/2) <phi'''> dDelta/dkappa_l`, with
//! `dM/dkappa_l = mu_p[m_l]` and `dDelta/dkappa_l = 2 (Sigma_p[x, x] y)_l`.
//!
//! How the averages are computed, per population:
//! - **clamped gain** `g` (teaching mode): the population acts as the linear function `x -> g x`, so
//!   `<phi> = g M`, `<phi'> = g`, `<phi''> = <phi'''> = 0`: the flow is linear in `kappa` and the
//!   gain has no derivative;
//! - **zero mean on `m` and `I`** (the papers' case): `M = 0`, `<phi> = <phi''> = 0`, and `<phi'>`,
//!   `<phi'''>` come from the tables of [`super::gains`] (~5e-15 accurate, 14 ns);
//! - **non-zero means**: [`tanh_averages`], a graded composite Gauss-Legendre rule (~3e-15 accurate
//!   for every `(M, Delta)`, 6 us). Direct Gauss-Hermite is not used there: with the 200 nodes of
//!   the published code its gain error is 1e-8 at `Delta = 4`, 1e-3 at 25 and 1.6e-2 at 100 (see
//!   [`super::gauss`]), and variances of that size are common in trained networks.
//!
//! A non-PSD covariance can make `y^T Sigma y` negative: `Delta_p` is then clamped at 0 (and so is its
//! derivative), which keeps every number finite.

use nalgebra::{DMatrix, DVector};

use super::gains::zero_mean_gains;
use super::gauss::{TanhAverages, tanh_averages};
use super::population::{ModelDims, Population, PopulationModel};
use super::{ReducedSystem, for_point_chunks};

/// Models with `R + S` up to this keep an evaluation's vectors on the stack (larger ones allocate).
const SMALL_VARS: usize = 16;

/// How a population's Gaussian averages are obtained (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Averaging {
    Clamped(f64),
    ZeroMean,
    General,
}

impl Averaging {
    /// Rough cost of one population at one point, in ns, for [`for_point_chunks`].
    fn cost_ns(self) -> usize {
        match self {
            Averaging::Clamped(_) => 10,
            Averaging::ZeroMean => 30,
            Averaging::General => 8_000,
        }
    }
}

/// One population's blocks, laid out for evaluation (row-major, `V = R + S` variables).
#[derive(Debug, Clone, PartialEq)]
struct PopulationTerms {
    alpha: f64,
    /// `Sigma[x, x]`, `(V, V)`.
    sxx: Vec<f64>,
    /// `Sigma[n_r, x]`, `(R, V)`.
    snx: Vec<f64>,
    /// `Sigma[w_o, x]`, `(O, V)`.
    swx: Vec<f64>,
    /// `mu[x]`, `(V)`.
    mean_x: Vec<f64>,
    /// `mu[n]`, `(R)`.
    mean_n: Vec<f64>,
    /// `mu[w]`, `(O)`.
    mean_w: Vec<f64>,
    averaging: Averaging,
}

/// `M_p`, the raw `y^T Sigma y` (before clamping at 0) and the averages of one population at one
/// point.
struct Moments {
    mean: f64,
    delta_raw: f64,
    avg: TanhAverages,
}

impl PopulationTerms {
    /// The moments at `y`; fills `sy = Sigma[x, x] y`.
    #[inline]
    fn moments(&self, y: &[f64], sy: &mut [f64]) -> Moments {
        let vars = y.len();
        for (s, row) in sy.iter_mut().zip(self.sxx.chunks_exact(vars)) {
            *s = dot(row, y);
        }
        let delta_raw = dot(y, sy);
        let mean = dot(&self.mean_x, y);
        let avg = match self.averaging {
            Averaging::Clamped(g) => TanhAverages {
                phi: g * mean,
                d1: g,
                d2: 0.0,
                d3: 0.0,
            },
            Averaging::ZeroMean => {
                let z = zero_mean_gains(delta_raw);
                TanhAverages {
                    phi: 0.0,
                    d1: z.d1,
                    d2: 0.0,
                    d3: z.d3,
                }
            }
            Averaging::General => tanh_averages(mean, delta_raw),
        };
        Moments {
            mean,
            delta_raw,
            avg,
        }
    }

    /// `dDelta/dkappa_l = 2 (Sigma y)_l`, or 0 where the clamp `Delta = max(y^T Sigma y, 0)` is active.
    #[inline(always)]
    fn delta_derivative(mo: &Moments, sy: &[f64], l: usize) -> f64 {
        if mo.delta_raw > 0.0 { 2.0 * sy[l] } else { 0.0 }
    }
}

/// `a . b` for the short vectors of the mean field (`R + S` entries).
#[inline(always)]
fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The mean-field reduced system of a [`PopulationModel`] (MODEL.md 4).
#[derive(Debug, Clone, PartialEq)]
pub struct MeanField {
    dims: ModelDims,
    pops: Vec<PopulationTerms>,
    cost_ns: usize,
    /// See [`ReducedSystem::absorbing_box`]; `None` when a population is gain-clamped (linear).
    absorbing_box: Option<Vec<f64>>,
    /// See [`ReducedSystem::lipschitz`]; `None` when a covariance is not PSD.
    lipschitz: Option<Vec<f64>>,
    /// See [`ReducedSystem::curvature`]; `None` when a covariance is not PSD.
    curvature: Option<f64>,
}

/// One population's share of the effective connectivity at a point.
#[derive(Debug, Clone, PartialEq)]
pub struct PopulationShare {
    /// `alpha_p Sigma_p[n_r, x_l]`, `R x (R + S)`, columns `m_1..m_R, I_1..I_S`.
    pub weighted_cov: DMatrix<f64>,
    /// `<phi'>_p` at this point (the clamp value when clamped).
    pub gain: f64,
    /// Whether the gain is the user's clamp rather than a Gaussian average.
    pub clamped: bool,
    /// `alpha_p Sigma_p[n_r, x_l] <phi'>_p`: this population's part of `S~`.
    pub contribution: DMatrix<f64>,
    /// `M_p` at this point.
    pub mean: f64,
    /// `Delta_p` at this point, after clamping at 0 (non-PSD covariances).
    pub variance: f64,
}

/// The effective connectivity of MODEL.md 4 at one point, with its per-population breakdown.
///
/// The flow decomposes exactly as `F = -kappa + S~ y + mean_drive`, `y = (kappa, v)`.
#[derive(Debug, Clone, PartialEq)]
pub struct EffectiveConnectivity {
    pub rank: usize,
    pub inputs: usize,
    pub populations: Vec<PopulationShare>,
    /// `S~ = sum_p alpha_p Sigma_p[n, x] <phi'>_p`, `R x (R + S)`: entry `[r][l]` is the coefficient of
    /// the `l`-th variable (`kappa_1..kappa_R, v_1..v_S`) in `kappa_r'` (row = n, column = m or I).
    pub total: DMatrix<f64>,
    /// `sum_p alpha_p mu_p[n_r] <phi>_p`: the mean terms of `F` (zero for zero-mean models).
    pub mean_drive: DVector<f64>,
    /// The poster's Jacobian `S~[:, ..R] - Id`. It ignores the gains' dependence on `kappa`, so it
    /// equals [`exact_jacobian`](Self::exact_jacobian) only where `cov_p(n, x) = 0` and the means
    /// vanish (e.g. at the origin without input).
    pub poster_jacobian: DMatrix<f64>,
    /// The exact `dF/dkappa`, gain derivatives included.
    pub exact_jacobian: DMatrix<f64>,
}

impl EffectiveConnectivity {
    /// The terms of `S~[row][col]`: per population `(alpha_p Sigma_p[n_row, x_col], <phi'>_p)`.
    pub fn terms(&self, row: usize, col: usize) -> Vec<(f64, f64)> {
        self.populations
            .iter()
            .map(|p| (p.weighted_cov[(row, col)], p.gain))
            .collect()
    }

    /// `S~[row][col]` written out as on the poster, 0-based arguments, 1-based names:
    /// `S~_21 = 1.00 x 0.91 + (-1.00) x 0.12 = 0.79` (input columns are named `S~_2,I1`).
    pub fn explain(&self, row: usize, col: usize, decimals: usize) -> String {
        let label = if col < self.rank {
            format!("S~_{}{}", row + 1, col + 1)
        } else {
            format!("S~_{},I{}", row + 1, col - self.rank + 1)
        };
        let terms: Vec<String> = self
            .terms(row, col)
            .iter()
            .map(|&(c, g)| {
                let c = if c < 0.0 {
                    format!("({c:.decimals$})")
                } else {
                    format!("{c:.decimals$}")
                };
                format!("{c} x {g:.decimals$}")
            })
            .collect();
        format!(
            "{label} = {} = {:.decimals$}",
            terms.join(" + "),
            self.total[(row, col)]
        )
    }
}

impl MeanField {
    /// Lays out the blocks of every population of `model` and picks its averaging (clamped,
    /// zero-mean tables, or general quadrature).
    pub fn new(model: &PopulationModel) -> Self {
        let dims = model.dims();
        let (r, s) = (dims.rank, dims.inputs);
        // Covariance indices of the variables x (m_1..m_R, I_1..I_S), of n and of w.
        let x_idx: Vec<usize> = (0..r).chain(2 * r..2 * r + s).collect();
        let n_idx: Vec<usize> = (r..2 * r).collect();
        let w_idx: Vec<usize> = (2 * r + s..dims.loadings()).collect();
        let block = |cov: &DMatrix<f64>, rows: &[usize]| -> Vec<f64> {
            rows.iter()
                .flat_map(|&i| x_idx.iter().map(move |&j| cov[(i, j)]))
                .collect()
        };
        let pick = |mean: &DVector<f64>, idx: &[usize]| -> Vec<f64> {
            idx.iter().map(|&i| mean[i]).collect()
        };
        let pops: Vec<PopulationTerms> = model
            .populations()
            .iter()
            .map(|p| {
                let mean_x = pick(&p.mean, &x_idx);
                let averaging = match p.gain_clamp {
                    Some(g) => Averaging::Clamped(g),
                    None if mean_x.iter().all(|&m| m == 0.0) => Averaging::ZeroMean,
                    None => Averaging::General,
                };
                PopulationTerms {
                    alpha: p.fraction,
                    sxx: block(&p.cov, &x_idx),
                    snx: block(&p.cov, &n_idx),
                    swx: block(&p.cov, &w_idx),
                    mean_x,
                    mean_n: pick(&p.mean, &n_idx),
                    mean_w: pick(&p.mean, &w_idx),
                    averaging,
                }
            })
            .collect();
        let cost_ns = pops.iter().map(|p| p.averaging.cost_ns()).sum();
        Self {
            dims,
            pops,
            cost_ns,
            absorbing_box: absorbing_box(model),
            lipschitz: lipschitz(model),
            curvature: curvature(model),
        }
    }

    pub fn dims(&self) -> ModelDims {
        self.dims
    }

    /// The readout `z_o = sum_p alpha_p [mu_p[w_o] <phi>_p + <phi'>_p cov_p(w_o, x)]` (MODEL.md 4),
    /// into `out` (length O).
    pub fn readout(&self, kappa: &[f64], v: &[f64], out: &mut [f64]) {
        assert_eq!(out.len(), self.dims.outputs, "readout buffer length");
        out.fill(0.0);
        self.with_variables(kappa, v, |y, sy| {
            for p in &self.pops {
                let mo = p.moments(y, sy);
                for (o, z) in out.iter_mut().enumerate() {
                    let cov_w = dot(&p.swx[o * y.len()..(o + 1) * y.len()], y);
                    *z += p.alpha * (p.mean_w[o] * mo.avg.phi + mo.avg.d1 * cov_w);
                }
            }
        });
    }

    /// `S~`, its per-population breakdown, the mean drive and both Jacobians at `(kappa, v)`.
    pub fn effective_connectivity(&self, kappa: &[f64], v: &[f64]) -> EffectiveConnectivity {
        let (r, s) = (self.dims.rank, self.dims.inputs);
        let vars = r + s;
        let mut total = DMatrix::zeros(r, vars);
        let mut mean_drive = DVector::zeros(r);
        let moments: Vec<Moments> = self.with_variables(kappa, v, |y, sy| {
            self.pops.iter().map(|p| p.moments(y, sy)).collect()
        });
        let populations = self
            .pops
            .iter()
            .zip(moments)
            .map(|(p, mo)| {
                let weighted_cov = DMatrix::from_row_slice(r, vars, &p.snx) * p.alpha;
                let contribution = &weighted_cov * mo.avg.d1;
                total += &contribution;
                for (row, d) in mean_drive.iter_mut().enumerate() {
                    *d += p.alpha * p.mean_n[row] * mo.avg.phi;
                }
                PopulationShare {
                    weighted_cov,
                    gain: mo.avg.d1,
                    clamped: matches!(p.averaging, Averaging::Clamped(_)),
                    contribution,
                    mean: mo.mean,
                    variance: mo.delta_raw.max(0.0),
                }
            })
            .collect();
        let poster_jacobian = total.columns(0, r) - DMatrix::identity(r, r);
        let (mut f, mut jac) = (vec![0.0; r], vec![0.0; r * r]);
        self.flow_jacobian(kappa, v, &mut f, &mut jac);
        EffectiveConnectivity {
            rank: r,
            inputs: s,
            populations,
            total,
            mean_drive,
            poster_jacobian,
            exact_jacobian: DMatrix::from_row_slice(r, r, &jac),
        }
    }

    /// Runs `f(y, sy)` with `y = (kappa, v)` and a scratch `sy` of the same length (for
    /// `Sigma y`), both on the stack unless `R + S > SMALL_VARS`.
    fn with_variables<T>(
        &self,
        kappa: &[f64],
        v: &[f64],
        f: impl FnOnce(&[f64], &mut [f64]) -> T,
    ) -> T {
        let (r, s) = (self.dims.rank, self.dims.inputs);
        assert_eq!(kappa.len(), r, "kappa has length R = {r}");
        assert_eq!(v.len(), s, "v has length S = {s}");
        let vars = r + s;
        let mut small = [0.0; 2 * SMALL_VARS];
        let mut large = Vec::new();
        let buf: &mut [f64] = if vars <= SMALL_VARS {
            &mut small[..2 * vars]
        } else {
            large.resize(2 * vars, 0.0);
            &mut large
        };
        let (y, sy) = buf.split_at_mut(vars);
        y[..r].copy_from_slice(kappa);
        y[r..].copy_from_slice(v);
        f(y, sy)
    }

    /// `F` and, if asked, `J = dF/dkappa` (row-major) at one point: the sums of the module docs.
    #[inline]
    fn evaluate(&self, kappa: &[f64], v: &[f64], f: &mut [f64], jac: Option<&mut [f64]>) {
        let r = self.dims.rank;
        assert_eq!(f.len(), r, "flow buffer length");
        self.with_variables(kappa, v, |y, sy| self.accumulate(y, sy, f, jac, r));
    }

    /// The body of [`evaluate`](Self::evaluate) at `y = (kappa, v)`, with the Jacobian (row-major
    /// `R x cols`) by the first `cols` variables of `y`: `R` for `dF/dkappa`, `R + S` for
    /// `dF/d(kappa, v)`. An input coordinate is differentiated as a latent one is (module docs),
    /// with `dM/dv_s = mu_p[I_s]`, `dDelta/dv_s = 2 (Sigma_p[x, x] y)_s`, `dcov/dv_s = Sigma_p[n_r, I_s]`.
    #[inline(always)]
    fn accumulate(
        &self,
        y: &[f64],
        sy: &mut [f64],
        f: &mut [f64],
        mut jac: Option<&mut [f64]>,
        cols: usize,
    ) {
        let (r, vars) = (self.dims.rank, y.len());
        let kappa = &y[..r];
        for (fr, k) in f.iter_mut().zip(kappa) {
            *fr = -k;
        }
        if let Some(jac) = jac.as_deref_mut() {
            assert_eq!(jac.len(), r * cols, "Jacobian buffer length");
            jac.fill(0.0);
            for d in 0..r {
                jac[d * cols + d] = -1.0;
            }
        }
        for p in &self.pops {
            let mo = p.moments(y, sy);
            let a = &mo.avg;
            for row in 0..r {
                let snx = &p.snx[row * vars..(row + 1) * vars];
                let cov_n = dot(snx, y);
                f[row] += p.alpha * (p.mean_n[row] * a.phi + a.d1 * cov_n);
                let Some(jac) = jac.as_deref_mut() else {
                    continue;
                };
                for l in 0..cols {
                    let (dm, dd) = (p.mean_x[l], PopulationTerms::delta_derivative(&mo, sy, l));
                    let dphi = a.d1 * dm + 0.5 * a.d2 * dd;
                    let dgain = a.d2 * dm + 0.5 * a.d3 * dd;
                    jac[row * cols + l] +=
                        p.alpha * (p.mean_n[row] * dphi + a.d1 * snx[l] + cov_n * dgain);
                }
            }
        }
    }
}

/// `B_r = sum_p alpha_p (|mu_p[n_r]| + sqrt(2 Sigma_p[n_r, n_r] / pi))`, a bound on
/// `sum_p alpha_p E_p|n_r| >= |E[n_r phi(x)]|` (`|phi| <= 1`); none if a population is clamped.
fn absorbing_box(model: &PopulationModel) -> Option<Vec<f64>> {
    let r = model.dims().rank;
    let pops = model.populations();
    if pops.iter().any(|p| p.gain_clamp.is_some()) {
        return None;
    }
    Some(
        (r..2 * r)
            .map(|i| {
                pops.iter()
                    .map(|p| {
                        let sd = (2.0 * p.cov[(i, i)].max(0.0) / std::f64::consts::PI).sqrt();
                        p.fraction * (p.mean[i].abs() + sd)
                    })
                    .sum()
            })
            .collect(),
    )
}

/// The slope bound of [`ReducedSystem::lipschitz`] for the mean field: `dF_r/dkappa_l = -delta_rl +
/// sum_p alpha_p E_p[n_r phi'(x) m_l]` (differentiating the Gaussian average), and with
/// `|phi'| <= 1` (a clamped gain is in `[0, 1]` too) Cauchy-Schwarz gives
/// `|E_p[n_r phi' m_l]| <= sqrt(E_p[n_r^2] E_p[m_l^2])`, second moments `sigma_ii + mu_i^2`.
/// That needs a real Gaussian: `None` when a covariance is not PSD (its mean field clamps
/// negative variances, which no bound here covers).
fn lipschitz(model: &PopulationModel) -> Option<Vec<f64>> {
    if model.psd_status().iter().any(|s| !s.is_psd) {
        return None;
    }
    let r = model.dims().rank;
    let second = |p: &Population, i: usize| p.cov[(i, i)].max(0.0) + p.mean[i] * p.mean[i];
    Some(
        (0..r * r)
            .map(|k| {
                let (row, l) = (k / r, k % r);
                let coupling: f64 = model
                    .populations()
                    .iter()
                    .map(|p| p.fraction * (second(p, r + row) * second(p, l)).sqrt())
                    .sum();
                f64::from(u8::from(row == l)) + coupling
            })
            .collect(),
    )
}

/// The curvature bound of [`ReducedSystem::curvature`] for the mean field: row `r` of
/// `J(a) - J(b)` sums to at most `c sum_p alpha_p E_p[|n_r| (sum_l |m_l|)^2] ||a - b||_inf`, and
/// by Cauchy-Schwarz and Minkowski `E[|n_r| (sum_l |m_l|)^2] <= sqrt(E n_r^2) (sum_l (E m_l^4)^(1/4))^2`,
/// with the Gaussian `E m^4 = mu^4 + 6 mu^2 s + 3 s^2`. A PSD model only, as [`lipschitz`].
fn curvature(model: &PopulationModel) -> Option<f64> {
    if model.psd_status().iter().any(|s| !s.is_psd) {
        return None;
    }
    let r = model.dims().rank;
    let fourth = |p: &Population, i: usize| {
        let (mu, s) = (p.mean[i], p.cov[(i, i)].max(0.0));
        (mu.powi(4) + 6.0 * mu * mu * s + 3.0 * s * s).powf(0.25)
    };
    let worst = (0..r)
        .map(|row| {
            model
                .populations()
                .iter()
                .map(|p| {
                    let n2 = p.cov[(r + row, r + row)].max(0.0) + p.mean[r + row].powi(2);
                    let spread: f64 = (0..r).map(|l| fourth(p, l)).sum();
                    p.fraction * n2.sqrt() * spread * spread
                })
                .sum::<f64>()
        })
        .fold(0.0, f64::max);
    Some(super::TANH_CURVATURE * worst)
}

impl ReducedSystem for MeanField {
    fn rank(&self) -> usize {
        self.dims.rank
    }

    fn inputs(&self) -> usize {
        self.dims.inputs
    }

    fn flow(&self, kappa: &[f64], v: &[f64], out: &mut [f64]) {
        self.evaluate(kappa, v, out, None);
    }

    fn flow_jacobian(&self, kappa: &[f64], v: &[f64], f: &mut [f64], jac: &mut [f64]) {
        self.evaluate(kappa, v, f, Some(jac));
    }

    /// Exact: the columns `R..R + S` of `dF/d(kappa, v)` (see `accumulate`).
    fn input_jacobian(&self, kappa: &[f64], v: &[f64], out: &mut [f64]) {
        let r = self.dims.rank;
        let (mut f, mut jac) = (vec![0.0; r], vec![0.0; r * r]);
        self.flow_jacobians(kappa, v, &mut f, &mut jac, out);
    }

    /// One pass: `dF/d(kappa, v)` has the columns of both (the first `R` summed exactly as
    /// [`flow_jacobian`](Self::flow_jacobian) sums them).
    fn flow_jacobians(
        &self,
        kappa: &[f64],
        v: &[f64],
        f: &mut [f64],
        jac: &mut [f64],
        jac_v: &mut [f64],
    ) {
        let (r, s) = (self.dims.rank, self.dims.inputs);
        assert_eq!(jac_v.len(), r * s, "input Jacobian buffer length");
        let cols = r + s;
        let mut split = |full: &mut [f64]| {
            self.with_variables(kappa, v, |y, sy| {
                self.accumulate(y, sy, f, Some(&mut *full), cols)
            });
            for row in 0..r {
                let (latent, input) = full[row * cols..(row + 1) * cols].split_at(r);
                jac[row * r..(row + 1) * r].copy_from_slice(latent);
                jac_v[row * s..(row + 1) * s].copy_from_slice(input);
            }
        };
        const STACK: usize = 32;
        if r * cols <= STACK {
            split(&mut [0.0; STACK][..r * cols]);
        } else {
            split(&mut vec![0.0; r * cols]);
        }
    }

    /// `F` at many points, in parallel chunks when the model is costly enough (non-zero means) or the
    /// grid large enough.
    fn absorbing_box(&self) -> Option<Vec<f64>> {
        self.absorbing_box.clone()
    }

    fn lipschitz(&self) -> Option<Vec<f64>> {
        self.lipschitz.clone()
    }

    fn curvature(&self) -> Option<f64> {
        self.curvature
    }

    fn flow_many(&self, points: &[f64], v: &[f64], out: &mut [f64]) {
        let r = self.dims.rank;
        for_point_chunks(r, points, out, self.cost_ns, |pts, outs| {
            for (p, o) in pts.chunks_exact(r).zip(outs.chunks_exact_mut(r)) {
                self.flow(p, v, o);
            }
        });
    }
}

#[cfg(test)]
mod tests;
