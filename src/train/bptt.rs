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

use rayon::prelude::*;

use super::noise::GaussianStream;
use super::params::{Param, ParamVecs};
use crate::kernels;
use crate::network::{Network, SimOptions, trial_seed};
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

/// Runs the batch forward and backward. Trial `k` draws its network noise from a [`GaussianStream`]
/// seeded with [`trial_seed`]`(opts.seed, k)`, N draws per step in neuron order. Without noise the
/// forward pass is [`Network::simulate_batch`] bit for bit; with noise it is the same update with
/// other (much faster) draws. `opts.recording` is ignored.
///
/// # Panics
/// If the network has a bias `b` (training never creates one), or a trial's input array is not
/// `(T, S)` or its target not `(T, O)` for this network (programming errors: generators build them).
pub fn batch_gradient(net: &Network, trials: &[&Trial], opts: &SimOptions) -> BatchGradient {
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
    let scale = 1.0 / trials.len().max(1) as f64;
    let chunks: Vec<ChunkSum> = trials
        .par_chunks(TRIALS_PER_CHUNK)
        .enumerate()
        .map(|(c, chunk)| {
            let engine = Columns::new(net);
            let mut sum = ChunkSum::new(net);
            let mut ws = Workspace::default();
            for (j, trial) in chunk.iter().enumerate() {
                let seed = trial_seed(opts.seed, c * TRIALS_PER_CHUNK + j);
                trial_gradient(&engine, trial, opts, seed, scale, &mut ws, &mut sum);
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

/// The network's vectors as column slices, laid out for the kernels.
struct Columns<'a> {
    net: &'a Network,
    inv_n: f64,
    m: Vec<&'a [f64]>,
    n: Vec<&'a [f64]>,
    /// `I_s = wi[s] si[s]`.
    inputs: Vec<&'a [f64]>,
    /// `w_o = wo[:, o] so[o]`.
    readouts: Vec<&'a [f64]>,
}

impl<'a> Columns<'a> {
    fn new(net: &'a Network) -> Self {
        let nn = net.dims().neurons;
        let cols = |mat: &'a nalgebra::DMatrix<f64>| mat.as_slice().chunks_exact(nn).collect();
        Self {
            net,
            inv_n: 1.0 / nn as f64,
            m: cols(net.m()),
            n: cols(net.n()),
            inputs: cols(net.input_vectors()),
            readouts: cols(net.readout_vectors()),
        }
    }
}

/// Gradients w.r.t. the vectors the engine uses, column-major `(N, k)` like the engine's columns.
#[derive(Debug, Clone)]
struct EffectiveGrad {
    m: Vec<f64>,
    n: Vec<f64>,
    /// `dL/dI_s`, one column per input channel.
    inputs: Vec<f64>,
    /// `dL/dw_o`, one column per output.
    readouts: Vec<f64>,
    h0: Vec<f64>,
}

impl EffectiveGrad {
    /// `dL/dwi[s,i] = dL/dI_s[i] si[s]`, `dL/dsi[s] = sum_i dL/dI_s[i] wi[s,i]`, and the same for
    /// `wo, so`.
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
            g.get_mut(Param::So)[o] = kernels::dot(gw, wo);
        }
        g
    }
}

/// The sums over the trials of one chunk: loss, correct count, gradient.
#[derive(Debug, Clone)]
struct ChunkSum {
    loss: f64,
    correct: usize,
    grad: EffectiveGrad,
}

impl ChunkSum {
    fn new(net: &Network) -> Self {
        let d = net.dims();
        let nn = d.neurons;
        Self {
            loss: 0.0,
            correct: 0,
            grad: EffectiveGrad {
                m: vec![0.0; nn * d.rank],
                n: vec![0.0; nn * d.rank],
                inputs: vec![0.0; nn * d.inputs],
                readouts: vec![0.0; nn * d.outputs],
                h0: vec![0.0; nn],
            },
        }
    }

    fn add(&mut self, other: &ChunkSum) {
        self.loss += other.loss;
        self.correct += other.correct;
        for (dst, src) in [
            (&mut self.grad.m, &other.grad.m),
            (&mut self.grad.n, &other.grad.n),
            (&mut self.grad.inputs, &other.grad.inputs),
            (&mut self.grad.readouts, &other.grad.readouts),
            (&mut self.grad.h0, &other.grad.h0),
        ] {
            kernels::axpy(1.0, src, dst);
        }
    }
}

/// Buffers of one trial, reused across the trials of a chunk.
#[derive(Debug, Default)]
struct Workspace {
    /// `r_0 .. r_T`, `(T + 1, N)` row-major.
    rates: Vec<f64>,
    /// `c_0 .. c_{T-1}`, `(T, R)` row-major.
    latent: Vec<f64>,
    /// `z_t`, `(steps, O)`, zero after the loss horizon.
    outputs: Vec<f64>,
    /// `d loss / d z_t`, same layout.
    output_grad: Vec<f64>,
    h: Vec<f64>,
    drive: Vec<f64>,
    xi: Vec<f64>,
    adjoint: Vec<f64>,
    adjoint_next: Vec<f64>,
    rate_grad: Vec<f64>,
}

/// Forward and backward of one trial, added (loss scaled by 1, gradient by `scale`) to `sum`.
fn trial_gradient(
    engine: &Columns,
    trial: &Trial,
    opts: &SimOptions,
    seed: u64,
    scale: f64,
    ws: &mut Workspace,
    sum: &mut ChunkSum,
) {
    let horizon = trial.loss_horizon();
    forward(engine, trial, horizon, opts, seed, ws);
    sum.loss += trial.loss(&ws.outputs);
    sum.correct += usize::from(trial.is_correct(&ws.outputs));
    ws.output_grad.resize(ws.outputs.len(), 0.0);
    trial.loss_gradient(&ws.outputs, scale, &mut ws.output_grad);
    backward(engine, trial, horizon, opts.alpha, ws, &mut sum.grad);
}

crate::simd_fn! {
    /// The forward pass up to `horizon` steps, the update of `Network::simulate` operation for
    /// operation (same kernels, same order; noise from a [`GaussianStream`]), keeping `r_k` and `c_k` for the
    /// backward pass. Written with plain loops: an iterator's `collect` or `extend` would call a
    /// `fold` that is not inlined here and so would run without AVX2.
    fn forward(engine: &Columns, trial: &Trial, horizon: usize, opts: &SimOptions, seed: u64, ws: &mut Workspace) {
        let d = engine.net.dims();
        let nn = d.neurons;
        let inv_n = engine.inv_n;
        ws.rates.resize((horizon + 1) * nn, 0.0);
        ws.latent.clear();
        ws.outputs.clear();
        ws.h.clear();
        ws.h.extend_from_slice(engine.net.h0().as_slice());
        ws.drive.resize(nn, 0.0);
        ws.xi.resize(nn, 0.0);
        let mut noise = GaussianStream::new(seed);
        let (alpha, sigma) = (opts.alpha, opts.noise_std);
        kernels::tanh_into(&ws.h, &mut ws.rates[..nn]);
        for (t, u) in trial.inputs.chunks_exact(d.inputs).take(horizon).enumerate() {
            let (done, next) = ws.rates.split_at_mut((t + 1) * nn);
            let r_t = &done[t * nn..];
            // c_t = (1/N) n^T r_t, then drive = sum_r c_r m_r + sum_s u_s I_s.
            ws.drive.fill(0.0);
            for (n_col, m_col) in engine.n.iter().zip(&engine.m) {
                let c = kernels::dot(n_col, r_t) * inv_n;
                ws.latent.push(c);
                kernels::axpy(c, m_col, &mut ws.drive);
            }
            for (col, &us) in engine.inputs.iter().zip(u) {
                if us != 0.0 {
                    kernels::axpy(us, col, &mut ws.drive);
                }
            }
            if sigma == 0.0 {
                for (hi, &di) in ws.h.iter_mut().zip(&ws.drive) {
                    *hi = *hi + alpha * (di - *hi);
                }
            } else {
                noise.fill(&mut ws.xi);
                for ((hi, &di), &x) in ws.h.iter_mut().zip(&ws.drive).zip(&ws.xi) {
                    *hi = *hi + sigma * x + alpha * (di - *hi);
                }
            }
            let r_next = &mut next[..nn];
            kernels::tanh_into(&ws.h, r_next);
            for w in &engine.readouts {
                ws.outputs.push(kernels::dot(w, r_next) * inv_n);
            }
        }
        ws.outputs.resize(trial.steps * d.outputs, 0.0);
    }
}

crate::simd_fn! {
    /// The backward pass of the module docs, from `a_{T+1} = 0` down to `a_0`, accumulating into `grad`.
    fn backward(engine: &Columns, trial: &Trial, horizon: usize, alpha: f64, ws: &mut Workspace, grad: &mut EffectiveGrad) {
        let d = engine.net.dims();
        let (nn, rank, outs) = (d.neurons, d.rank, d.outputs);
        let inv_n = engine.inv_n;
        ws.adjoint.resize(nn, 0.0);
        ws.adjoint_next.clear();
        ws.adjoint_next.resize(nn, 0.0);
        ws.rate_grad.resize(nn, 0.0);
        for k in (0..=horizon).rev() {
            let r_k = &ws.rates[k * nn..(k + 1) * nn];
            let e = &mut ws.rate_grad;
            e.fill(0.0);
            if k >= 1 {
                for o in 0..outs {
                    let dz = ws.output_grad[(k - 1) * outs + o];
                    if dz != 0.0 {
                        kernels::axpy(dz * inv_n, engine.readouts[o], e);
                        kernels::axpy(dz * inv_n, r_k, &mut grad.readouts[o * nn..(o + 1) * nn]);
                    }
                }
            }
            let a_next = &ws.adjoint_next;
            if k < horizon {
                let c_k = &ws.latent[k * rank..(k + 1) * rank];
                for (r, &c) in c_k.iter().enumerate() {
                    let g = alpha * inv_n * kernels::dot(engine.m[r], a_next);
                    kernels::axpy(g, engine.n[r], e);
                    kernels::axpy(g, r_k, &mut grad.n[r * nn..(r + 1) * nn]);
                    kernels::axpy(alpha * c, a_next, &mut grad.m[r * nn..(r + 1) * nn]);
                }
                let u_k = &trial.inputs[k * d.inputs..(k + 1) * d.inputs];
                for (s, &u) in u_k.iter().enumerate() {
                    if u != 0.0 {
                        kernels::axpy(alpha * u, a_next, &mut grad.inputs[s * nn..(s + 1) * nn]);
                    }
                }
            }
            let keep = 1.0 - alpha;
            for (((a, &an), &r), &ei) in ws.adjoint.iter_mut().zip(a_next).zip(r_k).zip(e.iter()) {
                *a = keep * an + (1.0 - r * r) * ei;
            }
            std::mem::swap(&mut ws.adjoint, &mut ws.adjoint_next);
        }
        kernels::axpy(1.0, &ws.adjoint_next, &mut grad.h0);
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{DMatrix, DVector};

    use super::*;
    use crate::network::NetworkParts;
    use crate::task::{self, Epoch};

    fn lcg(seed: u64) -> impl FnMut() -> f64 {
        let mut state = seed;
        move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
        }
    }

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
        batch_gradient(&net, &refs, opts).loss
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
        let analytic = batch_gradient(&net, &refs, &opts).grad;
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
            forward(&Columns::new(&net), t, horizon, &opts, 0, &mut ws);
            assert_eq!(ws.outputs[..horizon], run.outputs[..horizon], "bit for bit");
        }
        let g = batch_gradient(&net, &refs, &opts);
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
        let g = batch_gradient(&net, &refs, &opts);
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
        let run = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| batch_gradient(&net, &refs, &opts))
        };
        let one = run(1);
        assert_eq!(one, run(2));
        assert_eq!(one, run(5));
    }
}
