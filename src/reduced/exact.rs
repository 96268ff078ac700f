//! The exact reduced dynamics of a finite network (MODEL.md 3).
//!
//! For constant input `v`, a noise-free network whose state lies in `span{m_r, I_s}` stays there, and
//! its latent coordinates follow the R-dimensional flow
//!
//! ```text
//! F(kappa; v) = -kappa + (1/N) n^T tanh(m kappa + sum_s v_s I_s [+ b])
//! J(kappa; v) = -Id + (1/N) n^T diag(phi'(m kappa + sum_s v_s I_s [+ b])) m
//! z(kappa; v) = (1/N) w^T tanh(m kappa + sum_s v_s I_s)          (readout: no b, MODEL.md 1)
//! ```
//!
//! No approximation: this is the phase plane of the loaded network itself. Each evaluation costs
//! O(N (R + S)) for `F` and O(N R^2) more for `J`; the loops over neurons are the vectorised
//! [`kernels`], run block by block (so the rates stay in L1) and compiled with AVX2 + FMA or
//! AVX-512 when the CPU has them ([`simd_fn!`](crate::simd_fn)). The cost is mostly that of `tanh`:
//! 5.4 us per point for `F`, 8.5 us with `J` (6.0 us when a pool thread calls it and the two halves
//! of the neurons run on two threads, see `SPLIT_NEURONS`), at N = 4096 on the development machine
//! (criterion medians, benchmark `exact_n4096_r2`). [`ReducedSystem::flow_many`] computes the input
//! term once and spreads points over threads.

use std::sync::{Arc, RwLock};

use super::{ReducedSystem, for_point_chunks};
use crate::kernels;
use crate::network::Network;

/// The exact R-dimensional reduction of one network; owns copies of its vectors.
#[derive(Debug, Clone, PartialEq)]
pub struct ExactReduction {
    neurons: usize,
    rank: usize,
    inputs: usize,
    outputs: usize,
    inv_n: f64,
    /// `m (N, R)`, column-major: column `r` is `m[r * N..(r + 1) * N]`.
    m: Vec<f64>,
    /// `n (N, R)`, column-major.
    n: Vec<f64>,
    /// Effective input vectors `I_s = wi[s] si[s]`, column-major `(N, S)`.
    input_vectors: Vec<f64>,
    /// Effective readouts `w_o = wo[:, o] so[o]`, column-major `(N, O)`.
    readouts: Vec<f64>,
    bias: Option<Vec<f64>>,
    /// The recurrent input term of the last input seen: an analysis evaluates thousands of points
    /// at one input, and recomputing `sum_s v_s I_s + b` would add S + 1 passes over N to each.
    base_cache: BaseCache,
}

/// An input `v` and its recurrent input term `sum_s v_s I_s + b`.
type CachedBase = (Vec<f64>, Arc<Vec<f64>>);

/// The [`CachedBase`] of the last `v`; invisible to `Clone` (starts empty) and `PartialEq`.
#[derive(Debug, Default)]
struct BaseCache(RwLock<Option<CachedBase>>);

impl Clone for BaseCache {
    fn clone(&self) -> Self {
        BaseCache::default()
    }
}

impl PartialEq for BaseCache {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl ExactReduction {
    /// Copies the columns of `m`, `n`, the effective inputs and readouts, and the bias of `net`.
    pub fn new(net: &Network) -> Self {
        let d = net.dims();
        Self {
            neurons: d.neurons,
            rank: d.rank,
            inputs: d.inputs,
            outputs: d.outputs,
            inv_n: 1.0 / d.neurons as f64,
            m: net.m().as_slice().to_vec(),
            n: net.n().as_slice().to_vec(),
            input_vectors: net.input_vectors().as_slice().to_vec(),
            readouts: net.readout_vectors().as_slice().to_vec(),
            bias: net.bias().map(|b| b.as_slice().to_vec()),
            base_cache: BaseCache::default(),
        }
    }

    /// `sum_s v_s I_s + b`, from the cache when `v` is the last input seen (compared bitwise).
    fn recurrent_base(&self, v: &[f64]) -> Arc<Vec<f64>> {
        let same = |cached: &[f64]| {
            cached
                .iter()
                .zip(v)
                .all(|(a, b)| a.to_bits() == b.to_bits())
        };
        if let Some((cached, base)) = self
            .base_cache
            .0
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            && same(cached)
        {
            return base.clone();
        }
        let base = Arc::new(self.input_term(v, true));
        *self.base_cache.0.write().unwrap_or_else(|e| e.into_inner()) =
            Some((v.to_vec(), base.clone()));
        base
    }

    /// Number of neurons `N`.
    pub fn neurons(&self) -> usize {
        self.neurons
    }

    /// Number of readouts `O`.
    pub fn outputs(&self) -> usize {
        self.outputs
    }

    /// The readout `z_o(kappa; v) = (1/N) w_o^T tanh(m kappa + sum_s v_s I_s)` (no bias, MODEL.md 1),
    /// into `out` (length O).
    pub fn readout(&self, kappa: &[f64], v: &[f64], out: &mut [f64]) {
        self.check_point(kappa, v);
        assert_eq!(out.len(), self.outputs, "readout buffer length");
        let base = self.input_term(v, false);
        readout_point(self, &base, kappa, out);
    }

    /// `sum_s v_s I_s`, plus `b` when `with_bias` and the network has one: the part of the neurons'
    /// input that does not depend on `kappa`.
    fn input_term(&self, v: &[f64], with_bias: bool) -> Vec<f64> {
        let mut base = match (&self.bias, with_bias) {
            (Some(b), true) => b.clone(),
            _ => vec![0.0; self.neurons],
        };
        for (col, &vs) in self.input_vectors.chunks_exact(self.neurons).zip(v) {
            kernels::axpy(vs, col, &mut base);
        }
        base
    }

    fn check_point(&self, kappa: &[f64], v: &[f64]) {
        assert_eq!(kappa.len(), self.rank, "kappa has length R = {}", self.rank);
        assert_eq!(v.len(), self.inputs, "v has length S = {}", self.inputs);
    }

    #[inline(always)]
    fn m_col(&self, r: usize) -> &[f64] {
        &self.m[r * self.neurons..(r + 1) * self.neurons]
    }

    #[inline(always)]
    fn n_col(&self, r: usize) -> &[f64] {
        &self.n[r * self.neurons..(r + 1) * self.neurons]
    }

    /// The rates `tanh(base + sum_l kappa_l m_l)` of the neurons `start..start + BLOCK` (fewer at the
    /// end), written to the front of `x` and returned.
    #[inline(always)]
    fn rates_block<'x>(
        &self,
        base: &[f64],
        kappa: &[f64],
        start: usize,
        x: &'x mut [f64; BLOCK],
    ) -> &'x mut [f64] {
        let end = (start + BLOCK).min(self.neurons);
        let x = &mut x[..end - start];
        if let [k0, k1] = *kappa {
            // Rank 2 in one pass, the same sums in the same order as the general loop below.
            let (m0, m1) = (&self.m_col(0)[start..end], &self.m_col(1)[start..end]);
            for (((xi, &b), &a0), &a1) in x.iter_mut().zip(&base[start..end]).zip(m0).zip(m1) {
                *xi = kernels::tanh(b + k0 * a0 + k1 * a1);
            }
            return x;
        }
        x.copy_from_slice(&base[start..end]);
        for (l, &k) in kappa.iter().enumerate() {
            kernels::axpy(k, &self.m_col(l)[start..end], x);
        }
        for xi in x.iter_mut() {
            *xi = kernels::tanh(*xi);
        }
        x
    }
}

impl ExactReduction {
    /// `out_r += n_r[rows] . x` for every `r` (both at once for rank 2).
    #[inline(always)]
    fn accumulate_sums(&self, rows: std::ops::Range<usize>, x: &[f64], out: &mut [f64]) {
        if let [o0, o1] = out {
            let [s0, s1] = kernels::dot2(&self.n_col(0)[rows.clone()], &self.n_col(1)[rows], x);
            *o0 += s0;
            *o1 += s1;
            return;
        }
        for (r, o) in out.iter_mut().enumerate() {
            *o += kernels::dot(&self.n_col(r)[rows.clone()], x);
        }
    }
}

/// Neurons per block of the evaluation loops: a block of rates stays in L1 while the columns of `m`,
/// `n` and the input term stream through once (instead of one pass over N per operation).
const BLOCK: usize = 512;

/// From this many neurons on, one evaluation is the sum of two halves (split at a block boundary)
/// that run on two threads when the caller is a pool thread: each half then still costs ~2.5 us,
/// far above a join. This halves the serial chains (an orbit's shooting, a lone separatrix),
/// where the other cores would otherwise wait.
const SPLIT_NEURONS: usize = 2048;

impl ExactReduction {
    /// The neuron ranges of one evaluation: all neurons, or two halves from `SPLIT_NEURONS` on.
    fn halves(&self) -> [std::ops::Range<usize>; 2] {
        let n = self.neurons;
        let mid = if n >= SPLIT_NEURONS {
            (n / 2).div_ceil(BLOCK) * BLOCK
        } else {
            n
        };
        [0..mid, mid..n]
    }

    /// `part(rows, sums)` over the [`halves`](Self::halves), the second added to the first; on two
    /// threads if `split` and the caller is in the thread pool (a join from outside the pool costs
    /// more than it saves). The halves are always added in this order, so the bits do not depend
    /// on where they ran.
    fn sum_halves(
        &self,
        len: usize,
        split: bool,
        part: impl Fn(std::ops::Range<usize>, &mut [f64]) + Sync,
    ) -> Vec<f64> {
        let [low, high] = self.halves();
        let mut sums = vec![0.0; len];
        if high.is_empty() {
            part(low, &mut sums);
            return sums;
        }
        let mut upper = vec![0.0; len];
        if split && rayon::current_thread_index().is_some() {
            rayon::join(|| part(low, &mut sums), || part(high, &mut upper));
        } else {
            part(low, &mut sums);
            part(high, &mut upper);
        }
        for (s, u) in sums.iter_mut().zip(upper) {
            *s += u;
        }
        sums
    }

    /// `F(kappa)` from the input term `base` (see [`sum_halves`](Self::sum_halves) for `split`).
    fn flow_at(&self, base: &[f64], kappa: &[f64], out: &mut [f64], split: bool) {
        let sums = self.sum_halves(self.rank, split, |rows, s| {
            flow_sums(self, base, kappa, rows, s)
        });
        for ((o, k), s) in out.iter_mut().zip(kappa).zip(sums) {
            *o = -k + self.inv_n * s;
        }
    }
}

crate::simd_fn! {
    /// `sums_r = sum_{i in rows} n_ir tanh(base_i + m_i kappa)`, block by block.
    fn flow_sums(
        sys: &ExactReduction,
        base: &[f64],
        kappa: &[f64],
        rows: std::ops::Range<usize>,
        sums: &mut [f64],
    ) {
        let mut scratch = [0.0; BLOCK];
        for start in rows.step_by(BLOCK) {
            let x = sys.rates_block(base, kappa, start, &mut scratch);
            let block = start..start + x.len();
            sys.accumulate_sums(block, x, sums);
        }
    }
}

crate::simd_fn! {
    /// The sums of [`flow_sums`] into `f` and `jac_lr += sum_{i in rows} n_ir phi'_i m_il`: after
    /// the rates `t` of a block, its `phi' = 1 - t^2` weight the Jacobian's dot products.
    fn flow_jacobian_sums(
        sys: &ExactReduction,
        base: &[f64],
        kappa: &[f64],
        rows: std::ops::Range<usize>,
        f: &mut [f64],
        jac: &mut [f64],
    ) {
        let r = sys.rank;
        let mut scratch = [0.0; BLOCK];
        for start in rows.step_by(BLOCK) {
            let x = sys.rates_block(base, kappa, start, &mut scratch);
            let rows = start..start + x.len();
            sys.accumulate_sums(rows.clone(), x, f);
            for xi in x.iter_mut() {
                *xi = 1.0 - *xi * *xi;
            }
            if r == 2 {
                let col = |c: fn(&ExactReduction, usize) -> &[f64], k| &c(sys, k)[rows.clone()];
                let block = kernels::dot3_2x2(
                    [col(ExactReduction::n_col, 0), col(ExactReduction::n_col, 1)],
                    x,
                    [col(ExactReduction::m_col, 0), col(ExactReduction::m_col, 1)],
                );
                for (j, b) in jac.iter_mut().zip(block) {
                    *j += b;
                }
                continue;
            }
            for row in 0..r {
                for l in 0..r {
                    let n_row = &sys.n_col(row)[rows.clone()];
                    jac[row * r + l] += kernels::dot3(n_row, x, &sys.m_col(l)[rows.clone()]);
                }
            }
        }
    }
}

crate::simd_fn! {
    /// `acc_{r S + s} += sum_{i in rows} n_ir phi'_i I_is`, the sums of the input Jacobian (one
    /// instruction per `tanh` step, as in [`flow_jacobian_sums`]).
    fn input_jacobian_sums(
        sys: &ExactReduction,
        base: &[f64],
        kappa: &[f64],
        rows: std::ops::Range<usize>,
        acc: &mut [f64],
    ) {
        let (s, neurons) = (sys.inputs, sys.neurons);
        let mut scratch = [0.0; BLOCK];
        for start in rows.step_by(BLOCK) {
            let x = sys.rates_block(base, kappa, start, &mut scratch);
            let block = start..start + x.len();
            for xi in x.iter_mut() {
                *xi = 1.0 - *xi * *xi;
            }
            for (k, a) in acc.iter_mut().enumerate() {
                let (row, c) = (k / s, k % s);
                let input = &sys.input_vectors[c * neurons..(c + 1) * neurons];
                *a += kernels::dot3(&sys.n_col(row)[block.clone()], x, &input[block.clone()]);
            }
        }
    }
}

crate::simd_fn! {
    /// `z_o = (1/N) w_o^T tanh(base + m kappa)`.
    fn readout_point(sys: &ExactReduction, base: &[f64], kappa: &[f64], out: &mut [f64]) {
        let mut scratch = [0.0; BLOCK];
        out.fill(0.0);
        for start in (0..sys.neurons).step_by(BLOCK) {
            let x = sys.rates_block(base, kappa, start, &mut scratch);
            let rows = start..start + x.len();
            for (w, o) in sys.readouts.chunks_exact(sys.neurons).zip(out.iter_mut()) {
                *o += kernels::dot(&w[rows.clone()], x);
            }
        }
        for o in out.iter_mut() {
            *o *= sys.inv_n;
        }
    }
}

impl ReducedSystem for ExactReduction {
    fn rank(&self) -> usize {
        self.rank
    }

    fn inputs(&self) -> usize {
        self.inputs
    }

    fn flow(&self, kappa: &[f64], v: &[f64], out: &mut [f64]) {
        self.check_point(kappa, v);
        assert_eq!(out.len(), self.rank, "flow buffer length");
        self.flow_at(&self.recurrent_base(v), kappa, out, true);
    }

    /// `-kappa + (1/N) n^T tanh(m kappa + sum_s v_s I_s)`, without `b`: the first step of a trial
    /// reads `r_0 = tanh(h_0)` (MODEL.md 1). Once per trial, so the input term is not cached.
    fn first_step_flow(&self, kappa: &[f64], v: &[f64], out: &mut [f64]) {
        self.check_point(kappa, v);
        assert_eq!(out.len(), self.rank, "flow buffer length");
        if self.bias.is_none() {
            return self.flow(kappa, v, out);
        }
        self.flow_at(&self.input_term(v, false), kappa, out, true);
    }

    fn flow_jacobian(&self, kappa: &[f64], v: &[f64], f: &mut [f64], jac: &mut [f64]) {
        self.check_point(kappa, v);
        assert_eq!(f.len(), self.rank, "flow buffer length");
        assert_eq!(jac.len(), self.rank * self.rank, "Jacobian buffer length");
        let (r, base) = (self.rank, self.recurrent_base(v));
        let sums = self.sum_halves(r + r * r, true, |rows, s| {
            let (fs, js) = s.split_at_mut(r);
            flow_jacobian_sums(self, &base, kappa, rows, fs, js)
        });
        let (fs, js) = sums.split_at(r);
        for ((fr, k), s) in f.iter_mut().zip(kappa).zip(fs) {
            *fr = -k + self.inv_n * s;
        }
        for (idx, (j, s)) in jac.iter_mut().zip(js).enumerate() {
            let diag = if idx / r == idx % r { 1.0 } else { 0.0 };
            *j = self.inv_n * s - diag;
        }
    }

    /// `dF_r/dv_s = (1/N) sum_i n_ir phi'(x_i) I_is` at `x = m kappa + sum_s v_s I_s + b`
    /// (MODEL.md 3): an input coordinate enters every neuron as a latent one does, with `I_s` in
    /// place of `m_l`.
    fn input_jacobian(&self, kappa: &[f64], v: &[f64], out: &mut [f64]) {
        self.check_point(kappa, v);
        let (r, s) = (self.rank, self.inputs);
        assert_eq!(out.len(), r * s, "input Jacobian buffer length");
        let base = self.recurrent_base(v);
        let sums = self.sum_halves(r * s, true, |rows, acc| {
            input_jacobian_sums(self, &base, kappa, rows, acc)
        });
        for (o, sum) in out.iter_mut().zip(sums) {
            *o = self.inv_n * sum;
        }
    }

    /// `B_r = (1/N) sum_i |n_ir|`, since `|tanh| <= 1`.
    fn absorbing_box(&self) -> Option<Vec<f64>> {
        Some(
            self.n
                .chunks_exact(self.neurons)
                .map(|col| col.iter().map(|x| x.abs()).sum::<f64>() * self.inv_n)
                .collect(),
        )
    }

    /// `L_rl = delta_rl + (1/N) sum_i |n_ir| |m_il|`: `dF_r/dkappa_l = -delta_rl + (1/N) sum_i n_ir
    /// phi'(x_i) m_il` with `0 < phi' <= 1`, whatever the input and the bias.
    fn lipschitz(&self) -> Option<Vec<f64>> {
        let (r, n) = (self.rank, self.neurons);
        Some(
            (0..r * r)
                .map(|k| {
                    let (row, l) = (k / r, k % r);
                    let sum: f64 = self.n[row * n..(row + 1) * n]
                        .iter()
                        .zip(&self.m[l * n..(l + 1) * n])
                        .map(|(a, b)| (a * b).abs())
                        .sum();
                    f64::from(u8::from(row == l)) + sum * self.inv_n
                })
                .collect(),
        )
    }

    /// `K = c max_r (1/N) sum_i |n_ir| (sum_l |m_il|)^2` with `c = max |phi''|`: each entry of `J`
    /// changes by `(1/N) sum_i n_ir m_il (phi'(x_i(a)) - phi'(x_i(b)))` and `|x_i(a) - x_i(b)| <=
    /// sum_k |m_ik| ||a - b||_inf`.
    fn curvature(&self) -> Option<f64> {
        let (r, n) = (self.rank, self.neurons);
        let spread: Vec<f64> = (0..n)
            .map(|i| (0..r).map(|l| self.m[l * n + i].abs()).sum::<f64>().powi(2))
            .collect();
        let worst = (0..r)
            .map(|row| {
                self.n[row * n..(row + 1) * n]
                    .iter()
                    .zip(&spread)
                    .map(|(a, s)| a.abs() * s)
                    .sum::<f64>()
            })
            .fold(0.0, f64::max);
        Some(super::TANH_CURVATURE * worst * self.inv_n)
    }

    /// `F` at many points: the input term is computed once, and chunks of points run in parallel
    /// when the total work is large enough to pay for it (each point then on one thread).
    fn flow_many(&self, points: &[f64], v: &[f64], out: &mut [f64]) {
        assert_eq!(v.len(), self.inputs, "v has length S = {}", self.inputs);
        let base = self.recurrent_base(v);
        for_point_chunks(self.rank, points, out, self.neurons, |pts, outs| {
            for (p, o) in pts
                .chunks_exact(self.rank)
                .zip(outs.chunks_exact_mut(self.rank))
            {
                self.flow_at(&base, p, o, false);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::DVector;
    use rand::SeedableRng;
    use rand::prelude::*;
    use rand::rngs::StdRng;

    use super::*;
    use crate::network::{Projector, Recording, SimOptions};
    use crate::reduced::testing::{check_jacobian, random_network};

    /// `F`, `J` and `z` by a plain loop over neurons with `f64::tanh`, written independently.
    fn dense(net: &Network, kappa: &[f64], v: &[f64]) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let d = net.dims();
        let (m, n, inp, w) = (net.m(), net.n(), net.input_vectors(), net.readout_vectors());
        let mut f: Vec<f64> = kappa.iter().map(|k| -k).collect();
        let mut jac = vec![0.0; d.rank * d.rank];
        for r in 0..d.rank {
            jac[r * d.rank + r] = -1.0;
        }
        let mut z = vec![0.0; d.outputs];
        for i in 0..d.neurons {
            let mut x = 0.0;
            for l in 0..d.rank {
                x += m[(i, l)] * kappa[l];
            }
            for s in 0..d.inputs {
                x += inp[(i, s)] * v[s];
            }
            for o in 0..d.outputs {
                z[o] += w[(i, o)] * x.tanh() / d.neurons as f64;
            }
            let xb = x + net.bias().map_or(0.0, |b| b[i]);
            let (t, dt) = (xb.tanh(), 1.0 - xb.tanh().powi(2));
            for r in 0..d.rank {
                f[r] += n[(i, r)] * t / d.neurons as f64;
                for l in 0..d.rank {
                    jac[r * d.rank + l] += n[(i, r)] * dt * m[(i, l)] / d.neurons as f64;
                }
            }
        }
        (f, jac, z)
    }

    fn random_point(rng: &mut StdRng, len: usize, scale: f64) -> Vec<f64> {
        (0..len)
            .map(|_| scale * (2.0 * rng.random::<f64>() - 1.0))
            .collect()
    }

    #[test]
    fn exact_reduction_equals_a_dense_evaluation() {
        let mut rng = StdRng::seed_from_u64(3);
        for (rank, inputs, bias) in [(2, 2, false), (2, 2, true), (1, 3, true), (3, 1, false)] {
            let net = random_network(1100, rank, inputs, bias, 10 + rank as u64);
            let sys = ExactReduction::new(&net);
            for _ in 0..10 {
                let kappa = random_point(&mut rng, rank, 2.0);
                let v = random_point(&mut rng, inputs, 1.5);
                let (f_ref, j_ref, z_ref) = dense(&net, &kappa, &v);
                let (mut f, mut jac, mut z) = (vec![0.0; rank], vec![0.0; rank * rank], [0.0; 2]);
                sys.flow_jacobian(&kappa, &v, &mut f, &mut jac);
                sys.readout(&kappa, &v, &mut z);
                let close = |a: &[f64], b: &[f64]| {
                    a.iter()
                        .zip(b)
                        .all(|(x, y)| (x - y).abs() < 1e-13 * (1.0 + y.abs()))
                };
                assert!(close(&f, &f_ref), "{f:?} vs {f_ref:?}");
                assert!(close(&jac, &j_ref), "{jac:?} vs {j_ref:?}");
                assert!(close(&z, &z_ref), "{z:?} vs {z_ref:?}");
            }
        }
    }

    #[test]
    fn exact_jacobian_matches_finite_differences() {
        let mut rng = StdRng::seed_from_u64(5);
        for bias in [false, true] {
            let sys = ExactReduction::new(&random_network(1300, 3, 2, bias, 21));
            for _ in 0..8 {
                let kappa = random_point(&mut rng, 3, 2.5);
                let v = random_point(&mut rng, 2, 1.0);
                check_jacobian(&sys, &kappa, &v, 1e-8);
            }
        }
    }

    #[test]
    fn cached_input_term_follows_the_input() {
        let net = random_network(300, 2, 2, true, 21);
        let sys = ExactReduction::new(&net);
        let kappa = [0.3, -0.7];
        for v in [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [-0.0, 0.0]] {
            let (mut cached, mut fresh) = ([0.0; 2], [0.0; 2]);
            sys.flow(&kappa, &v, &mut cached);
            ExactReduction::new(&net).flow(&kappa, &v, &mut fresh);
            assert_eq!(cached, fresh, "input {v:?}");
        }
    }

    #[test]
    fn flow_many_equals_pointwise_flow_bit_for_bit() {
        // Enough points of a large enough network to take the parallel path.
        let sys = ExactReduction::new(&random_network(4096, 2, 2, true, 8));
        let v = [0.4, -0.7];
        let points: Vec<f64> = (0..2 * 301)
            .map(|i| ((i * 37) % 101) as f64 / 25.0 - 2.0)
            .collect();
        let mut many = vec![0.0; points.len()];
        sys.flow_many(&points, &v, &mut many);
        for (p, o) in points.chunks_exact(2).zip(many.chunks_exact(2)) {
            let mut single = [0.0; 2];
            sys.flow(p, &v, &mut single);
            assert_eq!(o, single);
        }
    }

    /// MODEL.md 3: with `h0 = m kappa0 + sum_s u_s I_s`, constant input `u` and no noise, the projected
    /// network trajectory is the map `kappa <- kappa + alpha F(kappa; u)`.
    #[test]
    fn projected_network_trajectory_is_the_reduced_map() {
        for bias in [false, true] {
            let net = random_network(300, 2, 2, bias, 33);
            let (kappa0, u) = ([0.8, -1.1], [0.6, -0.3]);
            let h0 = net.m() * DVector::from_column_slice(&kappa0)
                + net.input_vectors() * DVector::from_column_slice(&u);
            let net = Network::new(crate::network::NetworkParts {
                h0,
                ..net.into_parts()
            })
            .unwrap();
            let steps = 120;
            let inputs: Vec<f64> = (0..steps).flat_map(|_| u).collect();
            let opts = SimOptions {
                recording: Recording::States,
                ..SimOptions::default()
            };
            let states = net.simulate(&inputs, &opts).states.unwrap();
            let projector = Projector::new(&net);
            let sys = ExactReduction::new(&net);
            let alpha = opts.alpha;
            let mut kappa = kappa0.to_vec();
            let mut f = [0.0; 2];
            let mut moved = 0.0f64;
            for (t, p) in projector.project_all(&states).iter().enumerate() {
                for (a, b) in p.kappa.iter().zip(&kappa) {
                    assert!((a - b).abs() < 1e-12, "bias {bias}, step {t}: {a} vs {b}");
                }
                for (a, b) in p.v.iter().zip(&u) {
                    assert!((a - b).abs() < 1e-12, "v at step {t}: {a} vs {b}");
                }
                assert!(p.relative_residual < 1e-12);
                moved = moved.max((kappa[0] - kappa0[0]).abs());
                // The first step reads r_0 = tanh(h_0), without the bias (MODEL.md 1).
                if t == 0 {
                    sys.first_step_flow(&kappa.clone(), &u, &mut f);
                } else {
                    sys.flow(&kappa.clone(), &u, &mut f);
                }
                for (k, fk) in kappa.iter_mut().zip(f) {
                    *k += alpha * fk;
                }
            }
            assert!(moved > 0.1, "the trajectory must actually move ({moved})");
        }
    }
}
