//! Backpropagation through time for the exact discrete update of MODEL.md 1, exploiting the low rank.
//!
//! Forward (per trial, stored on a tape: the rates `r_k = tanh(h_k)`, `k = 0..T`, and the latent
//! drives `c_k = (1/N) n^T r_k`):
//!
//! ```text
//! h_{k+1} = (1 - alpha) h_k + sigma xi_k + alpha ( m c_k + sum_s u_{k,s} I_s ),   z_k = (1/N) w^T r_{k+1}
//! ```
//!
//! Backward, with `a_k = dL/dh_k` and `e_k = dL/dr_k`:
//!
//! ```text
//! e_k = (1/N) sum_o w_o dL/dz_{k-1,o}  +  n g_k,        g_k = (alpha/N) m^T a_{k+1}   (R numbers)
//! a_k = (1 - alpha) a_{k+1} + (1 - r_k^2) .* e_k
//! dL/dm += alpha a_{k+1} c_k^T,  dL/dn += r_k g_k^T,  dL/dI_s += alpha u_{k,s} a_{k+1},
//! dL/dw_o += (1/N) dL/dz_{k-1,o} r_k,  dL/dh0 = a_0
//! ```
//!
//! Every step costs O(N (R + S + O)): the adjoint of `m (n^T r) / N` is `n (m^T a) / N`, never an N x N
//! matrix. The noise enters additively, so it needs no adjoint, only the same draws as the forward pass.
//! Gradients w.r.t. the effective vectors `I_s = wi[s] si[s]` and `w_o = wo[:, o] so[o]` are turned into
//! gradients of `wi, si, wo, so` once per batch (the chain rule is linear, so this commutes with the
//! sum over trials).
//!
//! The loss of a trial only reads outputs up to its last masked step ([`Trial::loss_horizon`]), so
//! both passes stop there: for the DMS batches of growing delay this skips the padding.
//!
//! Both passes are generic over the arithmetic ([`Real`]): `f32` trains (PyTorch's precision, twice
//! the SIMD width), `f64` is the reference the gradient check runs on. Losses and gradients are summed
//! over trials in `f64`.

use rayon::prelude::*;

use super::noise::GaussianStream;
use super::params::{Param, ParamVecs};
use super::real::{Precision, Real};
use crate::network::{Dims, Network, SimOptions, trial_seed};
use crate::task::Trial;

/// Trials per unit of parallel work. Fixed (not derived from the thread count), and partial sums are
/// added in chunk order, so a batch gives the same bits on any number of threads.
const TRIALS_PER_CHUNK: usize = 2;

/// Loss, accuracy count and gradient of one batch.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchGradient {
    /// Mean over the batch of [`Trial::loss`] (MODEL.md 6).
    pub loss: f64,
    /// Trials with [`Trial::is_correct`].
    pub correct: usize,
    /// `d loss / d parameter` for every [`Param`] (frozen ones included: they cost nothing extra).
    pub grad: ParamVecs,
}

/// Runs the batch forward and backward in `precision`. Trial `k` draws its network noise from a
/// [`GaussianStream`] seeded with [`trial_seed`]`(opts.seed, k)`, N draws per step in neuron order.
/// In `f64` and without noise the forward pass is [`Network::simulate_batch`] bit for bit; with noise
/// it is the same update with other (much faster) draws. Losses and gradients are summed in `f64`
/// across trials. `opts.recording` is ignored.
///
/// # Panics
/// If the network has a bias `b` (training never creates one: without it every rate, `r_0 =
/// tanh(h_0)` included, is the papers' `tanh(h_k)` and the output reads the same rates; with it the
/// output would read other values than the recurrence, MODEL.md 1), or a trial's input array is not
/// `(T, S)` or its target not `(T, O)` for this network (programming errors: generators build them).
pub fn batch_gradient(
    net: &Network,
    trials: &[&Trial],
    opts: &SimOptions,
    precision: Precision,
) -> BatchGradient {
    assert!(
        net.bias().is_none(),
        "BPTT does not train networks with a bias"
    );
    let d = net.dims();
    for t in trials {
        assert_eq!(
            t.inputs.len(),
            t.steps * d.inputs,
            "trial inputs are not (T, S)"
        );
        assert_eq!(
            t.target.len(),
            t.steps * d.outputs,
            "trial target is not (T, O)"
        );
    }
    match precision {
        Precision::F64 => batch_in::<f64>(net, trials, opts),
        Precision::F32 => batch_in::<f32>(net, trials, opts),
    }
}

fn batch_in<T: Real + Passes>(
    net: &Network,
    trials: &[&Trial],
    opts: &SimOptions,
) -> BatchGradient {
    let columns = Columns::<T>::new(net);
    let scale = 1.0 / trials.len().max(1) as f64;
    let chunks: Vec<ChunkSum> = trials
        .par_chunks(TRIALS_PER_CHUNK)
        .enumerate()
        .map(|(c, chunk)| {
            let mut sum = ChunkSum::new(net);
            let mut ws = Workspace::<T>::default();
            for (j, trial) in chunk.iter().enumerate() {
                let seed = trial_seed(opts.seed, c * TRIALS_PER_CHUNK + j);
                trial_gradient(&columns, trial, opts, seed, scale, &mut ws, &mut sum);
            }
            sum
        })
        .collect();
    let mut total = ChunkSum::new(net);
    for c in &chunks {
        total.add(c);
    }
    BatchGradient {
        loss: total.loss * scale,
        correct: total.correct,
        grad: total.grad.into_params(net),
    }
}

/// The network's vectors in precision `T`, one contiguous column per vector.
struct Columns<T> {
    nn: usize,
    rank: usize,
    inputs: usize,
    outputs: usize,
    inv_n: T,
    /// `m_r` at `[r N .. (r + 1) N]`.
    m: Vec<T>,
    n: Vec<T>,
    /// `I_s = wi[s] si[s]`.
    inp: Vec<T>,
    /// `w_o = wo[:, o] so[o]`.
    w: Vec<T>,
    h0: Vec<T>,
}

impl<T: Real> Columns<T> {
    fn new(net: &Network) -> Self {
        let d = net.dims();
        let cast = |v: &[f64]| v.iter().map(|&x| T::from_f64(x)).collect();
        Self {
            nn: d.neurons,
            rank: d.rank,
            inputs: d.inputs,
            outputs: d.outputs,
            inv_n: T::from_f64(1.0 / d.neurons as f64),
            m: cast(net.m().as_slice()),
            n: cast(net.n().as_slice()),
            inp: cast(net.input_vectors().as_slice()),
            w: cast(net.readout_vectors().as_slice()),
            h0: cast(net.h0().as_slice()),
        }
    }

    /// Column `k` of one of the matrices.
    #[inline(always)]
    fn col<'a>(&self, mat: &'a [T], k: usize) -> &'a [T] {
        &mat[k * self.nn..(k + 1) * self.nn]
    }

    fn dims(&self) -> Dims {
        Dims {
            neurons: self.nn,
            rank: self.rank,
            inputs: self.inputs,
            outputs: self.outputs,
        }
    }
}

/// Gradients w.r.t. the vectors the passes use, column-major `(N, k)` like [`Columns`].
#[derive(Debug, Clone, Default)]
struct EffectiveGrad<T> {
    m: Vec<T>,
    n: Vec<T>,
    /// `dL/dI_s`, one column per input channel.
    inputs: Vec<T>,
    /// `dL/dw_o`, one column per output.
    readouts: Vec<T>,
    h0: Vec<T>,
}

impl<T: Real> EffectiveGrad<T> {
    fn zeros(d: Dims) -> Self {
        let nn = d.neurons;
        Self {
            m: vec![T::ZERO; nn * d.rank],
            n: vec![T::ZERO; nn * d.rank],
            inputs: vec![T::ZERO; nn * d.inputs],
            readouts: vec![T::ZERO; nn * d.outputs],
            h0: vec![T::ZERO; nn],
        }
    }

    fn fields(&self) -> [&Vec<T>; 5] {
        [&self.m, &self.n, &self.inputs, &self.readouts, &self.h0]
    }

    fn fields_mut(&mut self) -> [&mut Vec<T>; 5] {
        [
            &mut self.m,
            &mut self.n,
            &mut self.inputs,
            &mut self.readouts,
            &mut self.h0,
        ]
    }
}

impl EffectiveGrad<f64> {
    /// `self += other` (converted to `f64`).
    fn add<T: Real>(&mut self, other: &EffectiveGrad<T>) {
        for (dst, src) in self.fields_mut().into_iter().zip(other.fields()) {
            for (d, &s) in dst.iter_mut().zip(src.iter()) {
                *d += s.to_f64();
            }
        }
    }

    /// The chain rule through the gains: `dL/dwi[s,i] = dL/dI_s[i] si[s]`,
    /// `dL/dsi[s] = sum_i dL/dI_s[i] wi[s,i]`, and the same for `wo, so`.
    fn into_params(self, net: &Network) -> ParamVecs {
        let parts = net.parts();
        let d = net.dims();
        let nn = d.neurons;
        let mut g = ParamVecs::zeros_like(parts);
        g.get_mut(Param::M).copy_from_slice(&self.m);
        g.get_mut(Param::N).copy_from_slice(&self.n);
        g.get_mut(Param::H0).copy_from_slice(&self.h0);
        for s in 0..d.inputs {
            let gi = &self.inputs[s * nn..(s + 1) * nn];
            let mut gsi = 0.0;
            for (i, &x) in gi.iter().enumerate() {
                // wi is (S, N) column-major: element (s, i) sits at s + S i.
                g.get_mut(Param::Wi)[s + d.inputs * i] = x * parts.si[s];
                gsi += x * parts.wi[(s, i)];
            }
            g.get_mut(Param::Si)[s] = gsi;
        }
        for o in 0..d.outputs {
            let gw = &self.readouts[o * nn..(o + 1) * nn];
            let wo = &parts.wo.as_slice()[o * nn..(o + 1) * nn];
            let gwo = &mut g.get_mut(Param::Wo)[o * nn..(o + 1) * nn];
            for (dst, &x) in gwo.iter_mut().zip(gw) {
                *dst = x * parts.so[o];
            }
            g.get_mut(Param::So)[o] = crate::kernels::dot(gw, wo);
        }
        g
    }
}

/// The sums over the trials of one chunk, in `f64`: loss, correct count, gradient.
#[derive(Debug, Clone)]
struct ChunkSum {
    loss: f64,
    correct: usize,
    grad: EffectiveGrad<f64>,
}

impl ChunkSum {
    fn new(net: &Network) -> Self {
        Self {
            loss: 0.0,
            correct: 0,
            grad: EffectiveGrad::zeros(net.dims()),
        }
    }

    fn add(&mut self, other: &ChunkSum) {
        self.loss += other.loss;
        self.correct += other.correct;
        self.grad.add(&other.grad);
    }
}

/// Buffers of one trial, reused across the trials of a chunk.
#[derive(Debug, Default)]
struct Workspace<T> {
    /// `r_0 .. r_T`, `(T + 1, N)` row-major.
    rates: Vec<T>,
    /// `c_0 .. c_{T-1}`, `(T, R)` row-major.
    latent: Vec<T>,
    /// `z_t`, `(steps, O)`, zero after the loss horizon.
    outputs: Vec<f64>,
    /// `d loss / d z_t`, same layout.
    output_grad: Vec<f64>,
    h: Vec<T>,
    drive: Vec<T>,
    xi: Vec<T>,
    adjoint: Vec<T>,
    adjoint_next: Vec<T>,
    rate_grad: Vec<T>,
    /// The gradient of the current trial.
    grad: EffectiveGrad<T>,
}

/// Forward and backward of one trial, added (loss scaled by 1, gradient by `scale`) to `sum`.
fn trial_gradient<T: Real + Passes>(
    columns: &Columns<T>,
    trial: &Trial,
    opts: &SimOptions,
    seed: u64,
    scale: f64,
    ws: &mut Workspace<T>,
    sum: &mut ChunkSum,
) {
    let horizon = trial.loss_horizon();
    T::forward(columns, trial, horizon, opts, seed, ws);
    sum.loss += trial.loss(&ws.outputs);
    sum.correct += usize::from(trial.is_correct(&ws.outputs));
    ws.output_grad.resize(ws.outputs.len(), 0.0);
    trial.loss_gradient(&ws.outputs, scale, &mut ws.output_grad);
    if ws.grad.h0.len() == columns.nn {
        ws.grad
            .fields_mut()
            .into_iter()
            .for_each(|v| v.fill(T::ZERO));
    } else {
        ws.grad = EffectiveGrad::zeros(columns.dims());
    }
    T::backward(columns, trial, horizon, opts.alpha, ws);
    sum.grad.add(&ws.grad);
}

/// The two passes compiled for one precision (with AVX2 where the CPU has it, see `simd_fn!`).
trait Passes: Sized {
    fn forward(
        c: &Columns<Self>,
        trial: &Trial,
        horizon: usize,
        opts: &SimOptions,
        seed: u64,
        ws: &mut Workspace<Self>,
    );
    fn backward(
        c: &Columns<Self>,
        trial: &Trial,
        horizon: usize,
        alpha: f64,
        ws: &mut Workspace<Self>,
    );
}

crate::simd_fn! {
    fn forward_f64(c: &Columns<f64>, trial: &Trial, horizon: usize, opts: &SimOptions, seed: u64, ws: &mut Workspace<f64>) {
        forward(c, trial, horizon, opts, seed, ws)
    }
}
crate::simd_fn! {
    fn forward_f32(c: &Columns<f32>, trial: &Trial, horizon: usize, opts: &SimOptions, seed: u64, ws: &mut Workspace<f32>) {
        forward(c, trial, horizon, opts, seed, ws)
    }
}
crate::simd_fn! {
    fn backward_f64(c: &Columns<f64>, trial: &Trial, horizon: usize, alpha: f64, ws: &mut Workspace<f64>) {
        backward(c, trial, horizon, alpha, ws)
    }
}
crate::simd_fn! {
    fn backward_f32(c: &Columns<f32>, trial: &Trial, horizon: usize, alpha: f64, ws: &mut Workspace<f32>) {
        backward(c, trial, horizon, alpha, ws)
    }
}

impl Passes for f64 {
    fn forward(
        c: &Columns<f64>,
        t: &Trial,
        h: usize,
        o: &SimOptions,
        s: u64,
        ws: &mut Workspace<f64>,
    ) {
        forward_f64(c, t, h, o, s, ws)
    }
    fn backward(c: &Columns<f64>, t: &Trial, h: usize, alpha: f64, ws: &mut Workspace<f64>) {
        backward_f64(c, t, h, alpha, ws)
    }
}

impl Passes for f32 {
    fn forward(
        c: &Columns<f32>,
        t: &Trial,
        h: usize,
        o: &SimOptions,
        s: u64,
        ws: &mut Workspace<f32>,
    ) {
        forward_f32(c, t, h, o, s, ws)
    }
    fn backward(c: &Columns<f32>, t: &Trial, h: usize, alpha: f64, ws: &mut Workspace<f32>) {
        backward_f32(c, t, h, alpha, ws)
    }
}

/// The forward pass up to `horizon` steps, the update of `Network::simulate` operation for operation
/// (in `f64`: same kernels, same order; noise from a [`GaussianStream`]), keeping `r_k` and `c_k` for
/// the backward pass. Written with plain loops: an iterator's `collect` or `extend` would call a `fold`
/// that is not inlined here and so would run without AVX2.
#[inline(always)]
fn forward<T: Real>(
    c: &Columns<T>,
    trial: &Trial,
    horizon: usize,
    opts: &SimOptions,
    seed: u64,
    ws: &mut Workspace<T>,
) {
    let nn = c.nn;
    ws.rates.resize((horizon + 1) * nn, T::ZERO);
    ws.latent.clear();
    ws.outputs.clear();
    ws.h.clear();
    ws.h.extend_from_slice(&c.h0);
    ws.drive.resize(nn, T::ZERO);
    ws.xi.resize(nn, T::ZERO);
    let mut noise = GaussianStream::new(seed);
    let (alpha, sigma) = (T::from_f64(opts.alpha), T::from_f64(opts.noise_std));
    T::tanh_into(&ws.h, &mut ws.rates[..nn]);
    for (t, u) in trial
        .inputs
        .chunks_exact(c.inputs)
        .take(horizon)
        .enumerate()
    {
        let (done, next) = ws.rates.split_at_mut((t + 1) * nn);
        let r_t = &done[t * nn..];
        // c_t = (1/N) n^T r_t, then drive = sum_r c_r m_r + sum_s u_s I_s.
        ws.drive.fill(T::ZERO);
        for r in 0..c.rank {
            let cr = T::dot(c.col(&c.n, r), r_t) * c.inv_n;
            ws.latent.push(cr);
            T::axpy(cr, c.col(&c.m, r), &mut ws.drive);
        }
        for (s, &us) in u.iter().enumerate() {
            if us != 0.0 {
                T::axpy(T::from_f64(us), c.col(&c.inp, s), &mut ws.drive);
            }
        }
        if opts.noise_std == 0.0 {
            for (hi, &di) in ws.h.iter_mut().zip(&ws.drive) {
                *hi = *hi + alpha * (di - *hi);
            }
        } else {
            T::fill_normal(&mut noise, &mut ws.xi);
            for ((hi, &di), &x) in ws.h.iter_mut().zip(&ws.drive).zip(&ws.xi) {
                *hi = *hi + sigma * x + alpha * (di - *hi);
            }
        }
        let r_next = &mut next[..nn];
        T::tanh_into(&ws.h, r_next);
        for o in 0..c.outputs {
            ws.outputs
                .push((T::dot(c.col(&c.w, o), r_next) * c.inv_n).to_f64());
        }
    }
    ws.outputs.resize(trial.steps * c.outputs, 0.0);
}

/// The backward pass of the module docs, from `a_{T+1} = 0` down to `a_0`, into `ws.grad`.
#[inline(always)]
fn backward<T: Real>(
    c: &Columns<T>,
    trial: &Trial,
    horizon: usize,
    alpha: f64,
    ws: &mut Workspace<T>,
) {
    let (nn, rank, outs) = (c.nn, c.rank, c.outputs);
    let inv_n = 1.0 / nn as f64;
    let alpha_t = T::from_f64(alpha);
    let keep = T::from_f64(1.0 - alpha);
    ws.adjoint.resize(nn, T::ZERO);
    ws.adjoint_next.clear();
    ws.adjoint_next.resize(nn, T::ZERO);
    ws.rate_grad.resize(nn, T::ZERO);
    let grad = &mut ws.grad;
    for k in (0..=horizon).rev() {
        let r_k = &ws.rates[k * nn..(k + 1) * nn];
        let e = &mut ws.rate_grad;
        e.fill(T::ZERO);
        if k >= 1 {
            for o in 0..outs {
                let dz = ws.output_grad[(k - 1) * outs + o];
                if dz != 0.0 {
                    let g = T::from_f64(dz * inv_n);
                    T::axpy(g, c.col(&c.w, o), e);
                    T::axpy(g, r_k, &mut grad.readouts[o * nn..(o + 1) * nn]);
                }
            }
        }
        let a_next = &ws.adjoint_next;
        if k < horizon {
            let c_k = &ws.latent[k * rank..(k + 1) * rank];
            for (r, &cr) in c_k.iter().enumerate() {
                let g = alpha_t * T::from_f64(inv_n) * T::dot(c.col(&c.m, r), a_next);
                T::axpy(g, c.col(&c.n, r), e);
                T::axpy(g, r_k, &mut grad.n[r * nn..(r + 1) * nn]);
                T::axpy(alpha_t * cr, a_next, &mut grad.m[r * nn..(r + 1) * nn]);
            }
            let u_k = &trial.inputs[k * c.inputs..(k + 1) * c.inputs];
            for (s, &u) in u_k.iter().enumerate() {
                if u != 0.0 {
                    let au = T::from_f64(alpha * u);
                    T::axpy(au, a_next, &mut grad.inputs[s * nn..(s + 1) * nn]);
                }
            }
        }
        for (((a, &an), &r), &ei) in ws.adjoint.iter_mut().zip(a_next).zip(r_k).zip(e.iter()) {
            *a = keep * an + (T::ONE - r * r) * ei;
        }
        std::mem::swap(&mut ws.adjoint, &mut ws.adjoint_next);
    }
    T::axpy(T::ONE, &ws.adjoint_next, &mut grad.h0);
}

#[cfg(test)]
mod tests {
    use nalgebra::{DMatrix, DVector};

    use super::*;
    use crate::network::NetworkParts;
    use crate::network::testing::lcg;
    use crate::task::{self, Epoch};

    /// A small network with every parameter away from special values (gains != 1, h0 != 0).
    fn parts(nn: usize, rank: usize, outputs: usize, seed: u64) -> NetworkParts {
        let mut next = lcg(seed);
        NetworkParts {
            wi: DMatrix::from_fn(2, nn, |_, _| next()),
            si: DVector::from_vec(vec![1.3, 0.7]),
            m: DMatrix::from_fn(nn, rank, |_, _| 2.5 * next()),
            n: DMatrix::from_fn(nn, rank, |_, _| 2.5 * next()),
            wo: DMatrix::from_fn(nn, outputs, |_, _| 2.0 * next()),
            so: DVector::from_fn(outputs, |o, _| 1.5 + 0.5 * o as f64),
            h0: DVector::from_fn(nn, |_, _| 0.3 * next()),
            b: None,
        }
    }

    /// Trials of `steps` steps with random inputs, the mask on a window before some padding, graded
    /// targets on `outputs` channels.
    fn trials(count: usize, steps: usize, outputs: usize, seed: u64) -> Vec<Trial> {
        let mut next = lcg(seed);
        (0..count)
            .map(|k| {
                let end = steps - k % 3; // some padding after the last masked step
                let mut mask = vec![0.0; steps];
                mask[end - 4..end].fill(1.0);
                Trial {
                    name: format!("t{k}"),
                    steps,
                    inputs: (0..2 * steps).map(|_| next()).collect(),
                    target: (0..steps * outputs).map(|_| next()).collect(),
                    mask,
                    epochs: vec![Epoch {
                        name: "all",
                        start: 0,
                        end: steps,
                    }],
                }
            })
            .collect()
    }

    fn loss(p: &NetworkParts, trials: &[Trial], opts: &SimOptions) -> f64 {
        let net = Network::new(p.clone()).unwrap();
        let refs: Vec<&Trial> = trials.iter().collect();
        batch_gradient(&net, &refs, opts, Precision::F64).loss
    }

    /// Central differences in f64 against the analytic gradient, for every parameter, with network
    /// noise on (fixed seed): worst relative error per parameter (norm of the difference over the norm
    /// of the finite-difference gradient).
    fn gradient_check(nn: usize, rank: usize, outputs: usize) -> Vec<(Param, f64)> {
        let p = parts(nn, rank, outputs, 3 + rank as u64);
        let trials = trials(5, 16, outputs, 11);
        let opts = SimOptions {
            noise_std: 0.05,
            seed: 21,
            ..SimOptions::default()
        };
        let net = Network::new(p.clone()).unwrap();
        let refs: Vec<&Trial> = trials.iter().collect();
        let analytic = batch_gradient(&net, &refs, &opts, Precision::F64).grad;
        let eps = 1e-5;
        Param::ALL
            .iter()
            .map(|&param| {
                let len = param.values(&p).len();
                let (mut diff2, mut norm2) = (0.0, 0.0);
                for i in 0..len {
                    let mut plus = p.clone();
                    param.values_mut(&mut plus)[i] += eps;
                    let mut minus = p.clone();
                    param.values_mut(&mut minus)[i] -= eps;
                    let fd =
                        (loss(&plus, &trials, &opts) - loss(&minus, &trials, &opts)) / (2.0 * eps);
                    let a = analytic.get(param)[i];
                    diff2 += (a - fd) * (a - fd);
                    norm2 += fd * fd;
                }
                assert!(
                    norm2 > 1e-12,
                    "{}: the loss does not depend on it",
                    param.name()
                );
                (param, (diff2 / norm2).sqrt())
            })
            .collect()
    }

    #[test]
    fn analytic_gradient_matches_central_differences() {
        for (rank, outputs) in [(2, 1), (1, 2), (3, 1)] {
            for (param, err) in gradient_check(10, rank, outputs) {
                println!(
                    "rank {rank}, {outputs} outputs: {:>2} rel. error {err:.2e}",
                    param.name()
                );
                assert!(
                    err < 1e-6,
                    "rank {rank}: {} relative error {err:e}",
                    param.name()
                );
            }
        }
    }

    /// Losses and correct counts of `trials` from full simulations by the engine.
    fn simulated(net: &Network, trials: &[Trial], opts: &SimOptions) -> (f64, usize) {
        let inputs: Vec<&[f64]> = trials.iter().map(|t| t.inputs.as_slice()).collect();
        let runs = net.simulate_batch(&inputs, opts);
        let outs: Vec<&[f64]> = runs.iter().map(|r| r.outputs.as_slice()).collect();
        let correct = trials
            .iter()
            .zip(&outs)
            .filter(|(t, o)| t.is_correct(o))
            .count();
        (task::mean_loss(trials, &outs), correct)
    }

    #[test]
    fn noise_free_forward_pass_is_the_engine_simulation() {
        let net = Network::new(parts(24, 2, 1, 5)).unwrap();
        let trials = trials(7, 20, 1, 2);
        let refs: Vec<&Trial> = trials.iter().collect();
        let opts = SimOptions::default();
        let inputs: Vec<&[f64]> = trials.iter().map(|t| t.inputs.as_slice()).collect();
        let runs = net.simulate_batch(&inputs, &opts);
        let mut ws = Workspace::default();
        for (t, run) in trials.iter().zip(&runs) {
            let horizon = t.loss_horizon();
            forward(&Columns::<f64>::new(&net), t, horizon, &opts, 0, &mut ws);
            assert_eq!(ws.outputs[..horizon], run.outputs[..horizon], "bit for bit");
        }
        let g = batch_gradient(&net, &refs, &opts, Precision::F64);
        let (loss, correct) = simulated(&net, &trials, &opts);
        assert!((g.loss - loss).abs() < 1e-14 * loss, "{} vs {loss}", g.loss);
        assert_eq!(g.correct, correct);
    }

    /// The noisy forward pass against an independent dense implementation fed with the same draws.
    #[test]
    fn noisy_forward_pass_adds_its_draws_outside_alpha() {
        let p = parts(16, 2, 1, 6);
        let net = Network::new(p.clone()).unwrap();
        let trials = trials(3, 12, 1, 3);
        let refs: Vec<&Trial> = trials.iter().collect();
        let (sigma, seed) = (0.3, 17);
        let opts = SimOptions {
            noise_std: sigma,
            seed,
            ..SimOptions::default()
        };
        let g = batch_gradient(&net, &refs, &opts, Precision::F64);
        let j = &p.m * p.n.transpose() / 16.0;
        let inputs = net.input_vectors();
        let w = net.readout_vectors();
        let mut total = 0.0;
        for (k, t) in trials.iter().enumerate() {
            let mut noise = GaussianStream::new(trial_seed(seed, k));
            let mut h = p.h0.clone();
            let mut out = vec![0.0; t.steps];
            for (step, u) in t.inputs.chunks(2).enumerate().take(t.loss_horizon()) {
                let mut xi = DVector::zeros(16);
                noise.fill(xi.as_mut_slice());
                let drive = &j * h.map(f64::tanh) + inputs * DVector::from_column_slice(u);
                h = &h + sigma * xi + 0.2 * (drive - &h);
                out[step] = (w.transpose() * h.map(f64::tanh))[0] / 16.0;
            }
            total += t.loss(&out);
        }
        let reference = total / 3.0;
        assert!(
            (g.loss - reference).abs() < 1e-12,
            "{} vs {reference}",
            g.loss
        );
        let (noise_free, _) = simulated(&net, &trials, &SimOptions::default());
        assert!(
            (g.loss - noise_free).abs() > 1e-3,
            "the noise changed nothing"
        );
    }

    #[test]
    fn batch_gradient_is_independent_of_the_thread_count() {
        let net = Network::new(parts(40, 2, 1, 8)).unwrap();
        let trials = trials(13, 25, 1, 4);
        let refs: Vec<&Trial> = trials.iter().collect();
        let opts = SimOptions {
            noise_std: 0.05,
            seed: 1,
            ..SimOptions::default()
        };
        for precision in [Precision::F64, Precision::F32] {
            let run = |threads| {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap()
                    .install(|| batch_gradient(&net, &refs, &opts, precision))
            };
            let one = run(1);
            assert_eq!(one, run(2));
            assert_eq!(one, run(5));
        }
    }

    /// Single precision computes the same loss and gradient up to f32 rounding.
    #[test]
    fn f32_passes_agree_with_f64() {
        let net = Network::new(parts(64, 2, 1, 9)).unwrap();
        let trials = trials(6, 30, 1, 5);
        let refs: Vec<&Trial> = trials.iter().collect();
        let opts = SimOptions {
            noise_std: 0.05,
            seed: 3,
            ..SimOptions::default()
        };
        let exact = batch_gradient(&net, &refs, &opts, Precision::F64);
        let single = batch_gradient(&net, &refs, &opts, Precision::F32);
        assert!((exact.loss - single.loss).abs() < 1e-5 * exact.loss);
        for p in Param::ALL {
            let (a, b) = (exact.grad.get(p), single.grad.get(p));
            let diff: f64 = a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum();
            let norm: f64 = a.iter().map(|x| x * x).sum();
            let rel = (diff / norm).sqrt();
            assert!(rel < 1e-4, "{}: relative difference {rel:e}", p.name());
        }
    }
}
