//! Drawing a network from a population model (MODEL.md 5, step 5).
//!
//! Population `p` gets a contiguous block of `floor(alpha_p N)` neurons (the last population also
//! takes the neurons the floors leave over), and each neuron's loading vector
//! `(m_1..m_R, n_1..n_R, I_1..I_S, w_1..w_O)` is `mu_p + L_p z` with `L_p L_p^T = Sigma_p` and
//! `z ~ N(0, Id)`. The loadings are the effective (gain-scaled) vectors, so the network has
//! `si = so = 1` and `h0 = 0`.

use nalgebra::DMatrix;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, StandardNormal};
use serde::Serialize;
use thiserror::Error;

use super::loadings::network_from_loadings;
use crate::budget::{self, OverBudget};
use crate::network::{MAX_NEURONS, Network, NetworkError, trial_seed};
use crate::reduced::PopulationModel;
use crate::task::TaskKind;
use crate::train::{Evaluation, evaluate};

/// Why a network could not be drawn.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum ResampleError {
    #[error("N = {0} is outside 1..={MAX_NEURONS}")]
    Neurons(usize),
    #[error("{0}")]
    Network(#[from] NetworkError),
    #[error("{0}")]
    Budget(#[from] OverBudget),
    #[error(
        "the {task} task needs {task_inputs} input(s) and {task_outputs} output(s); the model has \
         {inputs} and {outputs}"
    )]
    Task {
        task: &'static str,
        task_inputs: usize,
        task_outputs: usize,
        inputs: usize,
        outputs: usize,
    },
}

/// Checks that networks drawn from `model` have the inputs and outputs of `kind`.
pub fn check_task(model: &PopulationModel, kind: &TaskKind) -> Result<(), ResampleError> {
    let d = model.dims();
    if d.inputs == kind.inputs() && d.outputs == kind.outputs() {
        Ok(())
    } else {
        Err(ResampleError::Task {
            task: kind.name(),
            task_inputs: kind.inputs(),
            task_outputs: kind.outputs(),
            inputs: d.inputs,
            outputs: d.outputs,
        })
    }
}

/// A factor `L` with `L L^T = Sigma` for a symmetric PSD `Sigma`, from its eigen-decomposition
/// (`L = V sqrt(max(Lambda, 0))`), so that singular covariances (e.g. a population with no input
/// loading) need no Cholesky pivoting; negative eigenvalues of a non-PSD edit are clipped.
pub fn covariance_factor(cov: &DMatrix<f64>) -> DMatrix<f64> {
    let eig = cov.clone().symmetric_eigen();
    let mut l = eig.eigenvectors;
    for (mut col, &lambda) in l.column_iter_mut().zip(eig.eigenvalues.iter()) {
        col *= lambda.max(0.0).sqrt();
    }
    l
}

/// Neurons per population by largest remainder: `floor(alpha_p N)` each, then one more to the
/// populations with the largest remainders `alpha_p N - floor(alpha_p N)` (ties to the larger
/// fraction, then the earlier population) until there are `N`. A population of fraction 0 gets no
/// neuron; the sizes are as close to `alpha_p N` as whole neurons allow.
pub fn block_sizes(fractions: &[f64], neurons: usize) -> Vec<usize> {
    let quota: Vec<f64> = fractions
        .iter()
        .map(|&a| a.clamp(0.0, 1.0) * neurons as f64)
        .collect();
    let mut sizes: Vec<usize> = quota
        .iter()
        .map(|q| (q.floor() as usize).min(neurons))
        .collect();
    let mut order: Vec<usize> = (0..quota.len()).filter(|&p| fractions[p] > 0.0).collect();
    order.sort_by(|&a, &b| {
        let rem = |p: usize| quota[p] - quota[p].floor();
        rem(b)
            .total_cmp(&rem(a))
            .then(fractions[b].total_cmp(&fractions[a]))
            .then(a.cmp(&b))
    });
    let mut left = neurons.saturating_sub(sizes.iter().sum());
    // The fractions sum to 1, so one pass gives out all but rounding's leftovers.
    while left > 0 && !order.is_empty() {
        for &p in &order {
            if left == 0 {
                break;
            }
            sizes[p] += 1;
            left -= 1;
        }
    }
    sizes
}

/// `neurons x dims` independent standard normals, drawn row by row (neuron by neuron) from `rng`:
/// the basis `z` of MODEL.md 5 step 5.
pub fn draw_basis(neurons: usize, dims: usize, rng: &mut StdRng) -> DMatrix<f64> {
    let mut z = DMatrix::zeros(neurons, dims);
    for i in 0..neurons {
        for j in 0..dims {
            z[(i, j)] = StandardNormal.sample(rng);
        }
    }
    z
}

/// The loadings `x_i = mu_p + L_p z_i` of a network drawn from `model` with basis `z` (one row per
/// neuron): population `p` takes the contiguous block of [`block_sizes`] rows, with factor
/// `factors[p]` (`L_p`, `D x D`) and the model's mean `mu_p`.
///
/// # Panics
/// If `factors` does not have one `D x D` matrix per population or `z` is not `N x D`.
pub fn mixture_loadings(
    model: &PopulationModel,
    factors: &[DMatrix<f64>],
    z: &DMatrix<f64>,
) -> DMatrix<f64> {
    let pops = model.populations();
    assert_eq!(factors.len(), pops.len(), "one factor per population");
    let mut x = DMatrix::zeros(z.nrows(), z.ncols());
    let mut start = 0;
    let sizes = block_sizes(&fractions(model), z.nrows());
    for ((pop, l), size) in pops.iter().zip(factors).zip(sizes) {
        let mut block = z.rows(start, size) * l.transpose();
        let mean = pop.mean.transpose();
        for mut row in block.row_iter_mut() {
            row += &mean;
        }
        x.rows_mut(start, size).copy_from(&block);
        start += size;
    }
    x
}

/// The fractions `alpha_p` of a model, in population order.
pub fn fractions(model: &PopulationModel) -> Vec<f64> {
    model.populations().iter().map(|p| p.fraction).collect()
}

/// Draws an N-neuron network from `model` with the given seed (deterministic): basis from
/// [`draw_basis`] with `StdRng::seed_from_u64(seed)`, factors from [`covariance_factor`].
pub fn resample_network(
    model: &PopulationModel,
    neurons: usize,
    seed: u64,
) -> Result<Network, ResampleError> {
    if neurons == 0 || neurons > MAX_NEURONS {
        return Err(ResampleError::Neurons(neurons));
    }
    let dims = model.dims();
    // The Gaussian basis, the loadings and the network's vectors: three N x D arrays.
    budget::check(
        format!("drawing a network of N = {neurons}"),
        budget::bytes_of(&[3, neurons, dims.loadings()], 8),
        "draw a smaller network (--n)",
    )?;
    let factors: Vec<DMatrix<f64>> = model
        .populations()
        .iter()
        .map(|p| covariance_factor(&p.cov))
        .collect();
    let z = draw_basis(neurons, dims.loadings(), &mut StdRng::seed_from_u64(seed));
    let x = mixture_loadings(model, &factors, &z);
    Ok(network_from_loadings(&x, dims)?)
}

/// How networks drawn from a model do on a task: one [`Evaluation`] per network.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResampleEvaluation {
    pub neurons: usize,
    /// Seed of the draws (network `k` is drawn with `trial_seed(seed, k)`) and of the trials.
    pub seed: u64,
    pub networks: Vec<Evaluation>,
}

impl ResampleEvaluation {
    /// Mean accuracy over the networks.
    pub fn mean_accuracy(&self) -> f64 {
        self.networks.iter().map(|e| e.accuracy).sum::<f64>() / self.networks.len().max(1) as f64
    }

    /// Lowest and highest accuracy of a network.
    pub fn accuracy_range(&self) -> (f64, f64) {
        self.networks
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), e| {
                (lo.min(e.accuracy), hi.max(e.accuracy))
            })
    }
}

/// Draws `networks` networks of `neurons` neurons from `model` (network `k` with seed
/// `trial_seed(seed, k)`) and evaluates each with [`evaluate`] on the same `trials` fresh noisy trials
/// of `kind` (seed `seed`, network noise `noise_std`): MODEL.md 5 step 5, "then test it on the task".
/// The same trials for every network (and for every model, given the seed) make comparisons paired.
pub fn evaluate_resamples(
    model: &PopulationModel,
    neurons: usize,
    networks: usize,
    kind: &TaskKind,
    trials: usize,
    noise_std: f64,
    seed: u64,
) -> Result<ResampleEvaluation, ResampleError> {
    check_task(model, kind)?;
    let evaluations = (0..networks)
        .map(|k| {
            let net = resample_network(model, neurons, trial_seed(seed, k))?;
            Ok(evaluate(&net, kind, trials, noise_std, seed))
        })
        .collect::<Result<Vec<_>, ResampleError>>()?;
    Ok(ResampleEvaluation {
        neurons,
        seed,
        networks: evaluations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reduced::presets;

    #[test]
    fn blocks_follow_the_fractions_and_cover_every_neuron() {
        assert_eq!(
            block_sizes(&[0.744384765625, 0.255615234375], 4096),
            vec![3049, 1047]
        );
        assert_eq!(block_sizes(&[0.5, 0.5], 7), vec![4, 3]);
        assert_eq!(block_sizes(&[1.0], 1), vec![1]);
        // Largest remainder, never to an empty population: 69.3, 29.7, 0 of 99.
        assert_eq!(block_sizes(&[0.7, 0.3, 0.0], 99), vec![69, 30, 0]);
        assert_eq!(block_sizes(&[0.7, 0.3, 0.0], 1), vec![1, 0, 0]);
        assert_eq!(block_sizes(&[0.256, 0.744], 1), vec![0, 1]);
        assert_eq!(block_sizes(&[0.0, 1.0], 5), vec![0, 5]);
        // Each size within one neuron of its quota, and all of them together N.
        for n in [1, 2, 3, 10, 99, 1000] {
            let f = [0.2, 0.45, 0.35];
            let sizes = block_sizes(&f, n);
            assert_eq!(sizes.iter().sum::<usize>(), n);
            for (s, a) in sizes.iter().zip(f) {
                assert!((*s as f64 - a * n as f64).abs() < 1.0, "{sizes:?} for {n}");
            }
        }
    }

    #[test]
    fn factor_reproduces_singular_and_regular_covariances() {
        let cov = DMatrix::from_row_slice(3, 3, &[4.0, 2.0, 0.0, 2.0, 1.0, 0.0, 0.0, 0.0, 0.0]);
        let l = covariance_factor(&cov);
        assert!((&l * l.transpose() - &cov).amax() < 1e-12);
    }

    #[test]
    fn resampled_loadings_have_the_model_covariances() {
        let model = presets::get("dms_mixture_2pop").unwrap().model;
        let n = 200_000;
        let net = resample_network(&model, n, 5).unwrap();
        assert_eq!(net.dims().neurons, n);
        let sizes = block_sizes(
            &[
                model.populations()[0].fraction,
                model.populations()[1].fraction,
            ],
            n,
        );
        // Loadings of the first block in MODEL.md 4 order.
        let d = model.dims().loadings();
        let mut start = 0;
        for (pop, size) in model.populations().iter().zip(sizes) {
            let x = DMatrix::from_fn(size, d, |i, j| {
                let i = start + i;
                match j {
                    0 | 1 => net.m()[(i, j)],
                    2 | 3 => net.n()[(i, j - 2)],
                    4 | 5 => net.input_vectors()[(i, j - 4)],
                    _ => net.readout_vectors()[(i, 0)],
                }
            });
            let emp = x.transpose() * &x / size as f64;
            for a in 0..d {
                for b in 0..d {
                    // Standard error of a sample covariance: sqrt((S_aa S_bb + S_ab^2) / n).
                    let se = ((pop.cov[(a, a)] * pop.cov[(b, b)] + pop.cov[(a, b)].powi(2))
                        / size as f64)
                        .sqrt();
                    assert!(
                        (emp[(a, b)] - pop.cov[(a, b)]).abs() < 5.0 * se,
                        "{}: cov[{a}][{b}] = {} vs {}",
                        pop.name,
                        emp[(a, b)],
                        pop.cov[(a, b)]
                    );
                }
            }
            start += size;
        }
        assert_eq!(
            resample_network(&model, 100, 5),
            resample_network(&model, 100, 5)
        );
        assert_ne!(
            resample_network(&model, 100, 5),
            resample_network(&model, 100, 6)
        );
        assert_eq!(
            resample_network(&model, 0, 1),
            Err(ResampleError::Neurons(0))
        );
    }
}
