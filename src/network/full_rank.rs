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

    /// The singular values of `wrec`, largest first (a dense SVD: O(N^3)).
    pub fn singular_values(&self) -> Vec<f64> {
        let mut s: Vec<f64> = self.wrec.singular_values().iter().copied().collect();
        s.sort_by(|a, b| b.total_cmp(a));
        s
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
        let svd = self.wrec.clone().svd(true, true);
        let (u, v_t) = (svd.u.expect("asked for U"), svd.v_t.expect("asked for V^T"));
        let mut order: Vec<usize> = (0..svd.singular_values.len()).collect();
        order.sort_by(|&a, &b| svd.singular_values[b].total_cmp(&svd.singular_values[a]));
        let total: f64 = svd.singular_values.iter().map(|s| s * s).sum();
        let kept_sq: f64 = order[..rank]
            .iter()
            .map(|&k| svd.singular_values[k].powi(2))
            .sum();
        let root_n = (nn as f64).sqrt();
        let m = DMatrix::from_fn(nn, rank, |i, r| {
            let k = order[r];
            root_n * u[(i, k)] * svd.singular_values[k].sqrt()
        });
        let n = DMatrix::from_fn(nn, rank, |i, r| {
            let k = order[r];
            root_n * v_t[(k, i)] * svd.singular_values[k].sqrt()
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
            kept: if total > 0.0 { kept_sq / total } else { 1.0 },
        })
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
        let s = net.singular_values();
        assert!((s[0] - 2.0).abs() < 1e-12 && (s[1] - 0.5).abs() < 1e-12 && s[2] < 1e-12);
        assert!(net.truncated(0).is_err() && net.truncated(41).is_err());
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
