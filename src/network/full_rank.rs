//! Full-rank networks, the papers' `FullRankRNN` (MODEL.md 7), and their rank-R truncation.
//!
//! ```text
//! h_{t+1} = h_t + sigma xi_t + alpha ( -h_t + wrec tanh(h_t) + sum_s u_{t,s} I_s ),  z_t = w^T tanh(h_{t+1})
//! ```
//! with no `1/N` anywhere (unlike MODEL.md 1). The run shares the low-rank network's loop (the
//! same noise stream for the same seed), with the dense `wrec r` as its recurrent drive: O(N^2)
//! a step, as PyTorch's. The truncation keeps the `R` largest singular triplets of `wrec` as a
//! MODEL.md 1 network, the object every analysis of the project takes.

use nalgebra::{DMatrix, DVector};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;

use super::simulate::{Engine, Recurrence, Simulator, columns, run_recorded};
use super::{MAX_NEURONS, MAX_SMALL_DIM, Network, NetworkError, NetworkParts, SimOptions};
use super::{TrialRun, check_finite_matrix, check_finite_vector, check_shape, trial_seed};

/// A validated full-rank network. `wi (S,N)`, `si (S)`, `wrec (N,N)`, `wo (N,O)`, `so (O)`, `h0 (N)`.
#[derive(Debug, Clone, PartialEq)]
pub struct FullRankNetwork {
    wi: DMatrix<f64>,
    si: DVector<f64>,
    wrec: DMatrix<f64>,
    wo: DMatrix<f64>,
    so: DVector<f64>,
    h0: DVector<f64>,
    /// `I_s = wi[s] si[s]` as columns (N x S).
    inputs: DMatrix<f64>,
    /// `w_o = wo[:, o] so[o]` as columns (N x O).
    readouts: DMatrix<f64>,
}

/// The rank-R truncation of a full-rank network and what it keeps.
#[derive(Debug, Clone)]
pub struct Truncation {
    /// The MODEL.md 1 network with `(1/N) m n^T = U_R S_R V_R^T`, `wo' = N wo`.
    pub network: Network,
    /// `sum_{i <= R} s_i^2 / sum_i s_i^2`: the fraction of `|wrec|_F^2` kept.
    pub kept: f64,
}

impl FullRankNetwork {
    /// Validates shapes (`wrec` square, every other parameter's shape following from `wi`, `wrec`
    /// and `wo`) and finiteness; names the parameter that fails.
    pub fn new(
        wi: DMatrix<f64>,
        si: DVector<f64>,
        wrec: DMatrix<f64>,
        wo: DMatrix<f64>,
        so: DVector<f64>,
        h0: DVector<f64>,
    ) -> Result<Self, NetworkError> {
        let (nn, s, o) = (wrec.nrows(), wi.nrows(), wo.ncols());
        if nn == 0 {
            return Err(NetworkError::Empty);
        }
        if nn > MAX_NEURONS {
            return Err(NetworkError::TooLarge {
                what: "N",
                value: nn,
                max: MAX_NEURONS,
            });
        }
        for (what, value) in [("inputs", s), ("outputs", o)] {
            if value == 0 || value > MAX_SMALL_DIM {
                return Err(NetworkError::TooLarge {
                    what,
                    value,
                    max: MAX_SMALL_DIM,
                });
            }
        }
        check_shape("wrec", wrec.shape(), (nn, nn), format!("({nn}, {nn})"))?;
        check_shape("wi", wi.shape(), (s, nn), format!("({s}, {nn})"))?;
        check_shape("si", (si.len(), 1), (s, 1), format!("({s},)"))?;
        check_shape("wo", wo.shape(), (nn, o), format!("({nn}, {o})"))?;
        check_shape("so", (so.len(), 1), (o, 1), format!("({o},)"))?;
        check_shape("h0", (h0.len(), 1), (nn, 1), format!("({nn},)"))?;
        check_finite_matrix("wi", &wi)?;
        check_finite_vector("si", &si)?;
        check_finite_matrix("wrec", &wrec)?;
        check_finite_matrix("wo", &wo)?;
        check_finite_vector("so", &so)?;
        check_finite_vector("h0", &h0)?;
        let inputs = DMatrix::from_fn(nn, s, |i, k| wi[(k, i)] * si[k]);
        let readouts = DMatrix::from_fn(nn, o, |i, k| wo[(i, k)] * so[k]);
        Ok(Self {
            wi,
            si,
            wrec,
            wo,
            so,
            h0,
            inputs,
            readouts,
        })
    }

    /// `(N, S, O)`.
    pub fn dims(&self) -> (usize, usize, usize) {
        (self.wrec.nrows(), self.wi.nrows(), self.wo.ncols())
    }

    /// `wrec (N, N)`.
    pub fn wrec(&self) -> &DMatrix<f64> {
        &self.wrec
    }

    fn engine(&self) -> Engine<'_> {
        Engine {
            h0: self.h0.as_slice(),
            inputs_per_step: self.wi.nrows(),
            recurrence: Recurrence::Dense(columns(&self.wrec)),
            inputs: columns(&self.inputs),
            readouts: columns(&self.readouts),
            readout_scale: 1.0,
            bias: None,
        }
    }

    /// Runs a batch of trials in parallel, trial `k` with noise seed [`trial_seed`]`(opts.seed, k)`
    /// (the noise a low-rank network of the same N draws with the same seed).
    /// [`super::Recording::Latents`] records nothing: a full-rank network has no latent axes.
    pub fn simulate_batch<I: AsRef<[f64]> + Sync>(
        &self,
        inputs: &[I],
        opts: &SimOptions,
    ) -> Vec<TrialRun> {
        let engine = self.engine();
        inputs
            .par_iter()
            .enumerate()
            .map(|(k, u)| run_recorded(&engine, u.as_ref(), opts, trial_seed(opts.seed, k), None))
            .collect()
    }

    /// The `k` largest singular values of `wrec` and the share of `|wrec|_F^2` each leading
    /// truncation keeps: `kept[R-1] = sum_{i <= R} s_i^2 / |wrec|_F^2` ([`top_singular`]).
    pub fn spectrum(&self, k: usize) -> (Vec<f64>, Vec<f64>) {
        let top = top_singular(&self.wrec, k.min(self.wrec.nrows()));
        let total = frobenius_sq(&self.wrec);
        let mut acc = 0.0;
        let kept = top
            .values
            .iter()
            .map(|s| {
                acc += s * s;
                if total > 0.0 { acc / total } else { 1.0 }
            })
            .collect();
        (top.values, kept)
    }

    /// The rank-`rank` truncation: `wrec ~ U_R S_R V_R^T = (1/N) m n^T` with
    /// `m = sqrt(N) U_R sqrt(S_R)`, `n = sqrt(N) V_R sqrt(S_R)`, and `wo' = N wo` so that
    /// `(1/N) w'^T tanh(h)` is the full network's readout; inputs and `h0` unchanged. With
    /// `rank = N` it is the full network again, up to rounding.
    pub fn truncated(&self, rank: usize) -> Result<Truncation, NetworkError> {
        let nn = self.wrec.nrows();
        if rank == 0 || rank > MAX_SMALL_DIM.min(nn) {
            return Err(NetworkError::TooLarge {
                what: "truncation rank",
                value: rank,
                max: MAX_SMALL_DIM.min(nn),
            });
        }
        let top = top_singular(&self.wrec, rank);
        let total = frobenius_sq(&self.wrec);
        let kept_sq: f64 = top.values.iter().map(|s| s * s).sum();
        let root_n = (nn as f64).sqrt();
        let m = DMatrix::from_fn(nn, rank, |i, r| {
            root_n * top.u[(i, r)] * top.values[r].sqrt()
        });
        let n = DMatrix::from_fn(nn, rank, |i, r| {
            root_n * top.v[(i, r)] * top.values[r].sqrt()
        });
        let network = Network::new(NetworkParts {
            wi: self.wi.clone(),
            si: self.si.clone(),
            m,
            n,
            wo: &self.wo * nn as f64,
            so: self.so.clone(),
            h0: self.h0.clone(),
            b: None,
        })?;
        Ok(Truncation {
            network,
            kept: if total > 0.0 {
                (kept_sq / total).min(1.0)
            } else {
                1.0
            },
        })
    }
}

/// `|w|_F^2`.
fn frobenius_sq(w: &DMatrix<f64>) -> f64 {
    w.iter().map(|x| x * x).sum()
}

/// The leading singular triplets `w v_i = s_i u_i`, largest first.
struct TopSingular {
    values: Vec<f64>,
    /// `N x k`.
    u: DMatrix<f64>,
    /// `N x k`.
    v: DMatrix<f64>,
}

/// Up to this N the dense SVD is cheap (under 0.1 s); above, the subspace iteration.
const DENSE_SVD_MAX: usize = 512;
/// Extra directions the subspace iteration carries beyond the `k` wanted.
const OVERSAMPLING: usize = 10;
/// Most iterations of the subspace iteration (each costs two products of `w` with N x (k + 10)).
const MAX_ITERATIONS: usize = 200;
/// The triplets are accepted when every residual `|w v_i - s_i u_i|` is below this fraction of
/// `s_1` (and `|w^T u_i - s_i v_i|` likewise).
const RESIDUAL_TOL: f64 = 1e-11;

/// The `k` largest singular triplets of `w` (square): by the dense SVD for N up to
/// [`DENSE_SVD_MAX`], else by block subspace iteration (`Q <- orth(w orth(w^T Q))` from a seeded
/// Gaussian start with [`OVERSAMPLING`] extra columns, then the SVD of the small `Q^T w`),
/// stopped when every residual is below [`RESIDUAL_TOL`] of `s_1` or after [`MAX_ITERATIONS`]:
/// O(N^2 k) a step instead of the dense SVD's O(N^3) (at N = 2048: tens of milliseconds instead
/// of two minutes). Its error in `s_i` is of order `(s_{k+11} / s_i)^(2 q)` after `q` steps, so
/// a truncation that keeps a clear gap is exact to rounding.
fn top_singular(w: &DMatrix<f64>, k: usize) -> TopSingular {
    let nn = w.nrows();
    if nn <= DENSE_SVD_MAX {
        return leading(w.clone().svd(true, true), k, None);
    }
    let width = (k + OVERSAMPLING).min(nn);
    let mut rng = StdRng::seed_from_u64(0x5EED);
    let start = DMatrix::from_fn(nn, width, |_, _| StandardNormal.sample(&mut rng));
    let mut q = (w * start).qr().q();
    let mut best = None;
    for _ in 0..MAX_ITERATIONS {
        let z = (w.transpose() * &q).qr().q();
        q = (w * z).qr().q();
        let small = (q.transpose() * w).svd(true, true);
        let top = leading(small, k, Some(&q));
        let scale = top
            .values
            .first()
            .copied()
            .unwrap_or(0.0)
            .max(f64::MIN_POSITIVE);
        let forward = (w * &top.v
            - &top.u * DMatrix::from_diagonal(&DVector::from_vec(top.values.clone())))
        .column_iter()
        .map(|c| c.norm())
        .fold(0.0, f64::max);
        let done = forward <= RESIDUAL_TOL * scale;
        best = Some(top);
        if done {
            break;
        }
    }
    best.expect("at least one iteration")
}

/// The `k` largest triplets of `svd` (of `q^T w` when `q` is given, so that `u = q u_small`).
fn leading(
    svd: nalgebra::SVD<f64, nalgebra::Dyn, nalgebra::Dyn>,
    k: usize,
    q: Option<&DMatrix<f64>>,
) -> TopSingular {
    let (u, v_t) = (svd.u.expect("asked for U"), svd.v_t.expect("asked for V^T"));
    let mut order: Vec<usize> = (0..svd.singular_values.len()).collect();
    order.sort_by(|&a, &b| svd.singular_values[b].total_cmp(&svd.singular_values[a]));
    order.truncate(k);
    let values = order.iter().map(|&i| svd.singular_values[i]).collect();
    let u_small = DMatrix::from_fn(u.nrows(), order.len(), |i, r| u[(i, order[r])]);
    let v = DMatrix::from_fn(v_t.ncols(), order.len(), |i, r| v_t[(order[r], i)]);
    TopSingular {
        values,
        u: q.map_or_else(|| u_small.clone(), |q| q * &u_small),
        v,
    }
}

impl Simulator for FullRankNetwork {
    fn input_channels(&self) -> usize {
        self.wi.nrows()
    }
    fn run_batch(&self, inputs: &[&[f64]], opts: &SimOptions) -> Vec<TrialRun> {
        self.simulate_batch(inputs, opts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::Recording;
    use crate::network::testing::lcg;

    fn random(nn: usize, seed: u64) -> FullRankNetwork {
        let mut next = lcg(seed);
        FullRankNetwork::new(
            DMatrix::from_fn(2, nn, |_, _| next()),
            DVector::from_vec(vec![1.5, 0.5]),
            DMatrix::from_fn(nn, nn, |_, _| 3.0 * next() / (nn as f64).sqrt()),
            DMatrix::from_fn(nn, 1, |_, _| next()),
            DVector::from_element(1, 0.8),
            DVector::from_fn(nn, |_, _| 0.3 * next()),
        )
        .unwrap()
    }

    fn inputs(steps: usize, seed: u64) -> Vec<f64> {
        let mut next = lcg(seed);
        (0..2 * steps).map(|_| next()).collect()
    }

    /// The update written directly with nalgebra's dense products (MODEL.md 7).
    fn dense_reference(net: &FullRankNetwork, u: &[f64]) -> Vec<f64> {
        let mut h = net.h0.clone();
        let mut out = vec![];
        for ut in u.chunks(2) {
            let r = h.map(f64::tanh);
            let input = &net.inputs * DVector::from_column_slice(ut);
            h = &h + 0.2 * (-&h + &net.wrec * r + input);
            out.push(net.readouts.column(0).dot(&h.map(f64::tanh)));
        }
        out
    }

    #[test]
    fn full_rank_run_equals_the_dense_update() {
        let net = random(96, 1);
        let u = inputs(40, 2);
        let run = &net.simulate_batch(&[&u], &SimOptions::default())[0];
        for (t, (a, b)) in run
            .outputs
            .iter()
            .zip(dense_reference(&net, &u))
            .enumerate()
        {
            assert!(
                (a - b).abs() < 1e-12 * (1.0 + b.abs()),
                "step {t}: {a} vs {b}"
            );
        }
    }

    #[test]
    fn full_truncation_is_the_full_network_and_keeps_everything() {
        let net = random(48, 3);
        let t = net.truncated(48).unwrap();
        assert!((t.kept - 1.0).abs() < 1e-12);
        // (1/N) m n^T rebuilds wrec.
        let rebuilt = t.network.m() * t.network.n().transpose() / 48.0;
        assert!((rebuilt - net.wrec()).amax() < 1e-12);
        let u = inputs(30, 4);
        let opts = SimOptions {
            noise_std: 0.05,
            seed: 9,
            recording: Recording::States,
            ..SimOptions::default()
        };
        let full = &net.simulate_batch(&[&u], &opts)[0];
        let low = &t.network.simulate_batch(&[&u], &opts)[0];
        // Same noise stream, same dynamics: only rounding differs.
        for (a, b) in full.outputs.iter().zip(&low.outputs) {
            assert!((a - b).abs() < 1e-10, "{a} vs {b}");
        }
        for (a, b) in full
            .states
            .as_ref()
            .unwrap()
            .iter()
            .zip(low.states.as_ref().unwrap())
        {
            assert!((a - b).abs() < 1e-10, "{a} vs {b}");
        }
    }

    #[test]
    fn truncation_of_a_planted_rank_two_matrix_is_exact_and_keeps_its_share() {
        // wrec = 2 a a^T + 0.5 c d^T with orthonormal a, c, d: singular values 2 and 0.5.
        let nn = 40;
        let unit = |f: &dyn Fn(usize) -> f64| {
            let v = DVector::from_fn(nn, |i, _| f(i));
            v.normalize()
        };
        let a = unit(&|i| if i < 20 { 1.0 } else { -1.0 });
        let c = unit(&|i| if i % 2 == 0 { 1.0 } else { -1.0 });
        let d = unit(&|i| if i % 4 < 2 { 1.0 } else { -1.0 });
        let wrec = &a * a.transpose() * 2.0 + &c * d.transpose() * 0.5;
        let base = random(nn, 5);
        let net = FullRankNetwork {
            wrec: wrec.clone(),
            ..base
        };
        let one = net.truncated(1).unwrap();
        assert!((one.kept - 4.0 / 4.25).abs() < 1e-12, "{}", one.kept);
        let j1 = one.network.m() * one.network.n().transpose() / nn as f64;
        assert!((j1 - &a * a.transpose() * 2.0).amax() < 1e-12);
        let two = net.truncated(2).unwrap();
        assert!((two.kept - 1.0).abs() < 1e-12);
        let (s, kept) = net.spectrum(3);
        assert!((s[0] - 2.0).abs() < 1e-12 && (s[1] - 0.5).abs() < 1e-12 && s[2] < 1e-12);
        assert!((kept[0] - 4.0 / 4.25).abs() < 1e-12 && (kept[2] - 1.0).abs() < 1e-12);
        assert!(net.truncated(0).is_err() && net.truncated(41).is_err());
    }

    #[test]
    fn subspace_iteration_finds_the_dense_svds_leading_triplets() {
        // N above the dense limit: a planted rank-3 part with a clear gap over a random bulk.
        let nn = DENSE_SVD_MAX + 88;
        let mut next = lcg(7);
        let a = DMatrix::from_fn(nn, 3, |_, _| next());
        let b = DMatrix::from_fn(nn, 3, |_, _| next());
        let bulk = DMatrix::from_fn(nn, nn, |_, _| 0.3 * next() / (nn as f64).sqrt());
        let w =
            &a * DMatrix::from_diagonal(&DVector::from_vec(vec![3.0, 2.0, 1.0])) * b.transpose()
                / nn as f64
                + bulk;
        let dense = leading(w.clone().svd(true, true), 3, None);
        let fast = top_singular(&w, 3);
        for (x, y) in fast.values.iter().zip(&dense.values) {
            assert!((x - y).abs() < 1e-10 * y, "{x} vs {y}");
        }
        let rebuild = |t: &TopSingular| {
            &t.u * DMatrix::from_diagonal(&DVector::from_vec(t.values.clone())) * t.v.transpose()
        };
        assert!((rebuild(&fast) - rebuild(&dense)).amax() < 1e-10);
        // Without a gap (the bulk alone) it still returns a truncation keeping at most all.
        let full = FullRankNetwork {
            wrec: DMatrix::from_fn(nn, nn, |_, _| next() / (nn as f64).sqrt()),
            ..random(nn, 8)
        };
        let t = full.truncated(2).unwrap();
        assert!(t.kept > 0.0 && t.kept < 1.0);
    }

    #[test]
    fn shapes_and_values_are_checked_by_name() {
        let base = random(8, 6);
        let err = FullRankNetwork::new(
            base.wi.clone(),
            base.si.clone(),
            DMatrix::zeros(8, 7),
            base.wo.clone(),
            base.so.clone(),
            base.h0.clone(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("wrec"), "{err}");
        let mut wrec = base.wrec.clone();
        wrec[(2, 3)] = f64::INFINITY;
        let err =
            FullRankNetwork::new(base.wi, base.si, wrec, base.wo, base.so, base.h0).unwrap_err();
        assert!(
            err.to_string().contains("wrec") && err.to_string().contains("[2, 3]"),
            "{err}"
        );
    }
}
