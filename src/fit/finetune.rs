//! Fine-tuning a population model so that the networks drawn from it solve the task (MODEL.md 5
//! step 5: "the fitted mixture needs fine-tuning, training the per-population factors `L_p` with the
//! basis resampled every step").
//!
//! The fractions `alpha_p` and means `mu_p` stay fixed; each covariance is parametrised by an
//! unconstrained factor, `Sigma_p = L_p L_p^T` (`D x D`, started at [`covariance_factor`]). Every step
//!
//! 1. draws a fresh basis `z` (`N x D`, standard normal) and the network with loadings
//!    `x_i = mu_p + L_p z_i` (the resampling of MODEL.md 5 at a fixed `N`);
//! 2. runs a fresh batch of noisy trials forward and backward through the exact discrete update with
//!    the trainer's [`batch_gradient`], which gives `dLoss/dx_i` for every neuron: the gradients of
//!    `m, n, wi, wo` of a network with unit gains ([`loading_gradient`]);
//! 3. chains them to the factors, `dLoss/dL_p = sum_{i in p} (dLoss/dx_i) z_i^T = G_p^T Z_p`
//!    (O(N D^2): no N x N matrix, no second backward pass);
//! 4. clips the total gradient norm and takes an Adam step ([`FlatAdam`], [`clip_norm`]).
//!
//! Since the basis is new at every step, what is minimised is the expected loss of a network drawn
//! from the mixture, so the mixture itself, not one draw of it, learns the task.

use std::sync::atomic::{AtomicBool, Ordering};

use nalgebra::DMatrix;
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::Serialize;
use serde_json::{Map, Value, json};
use thiserror::Error;

use super::loadings::network_from_loadings;
use super::resample::{
    ResampleError, ResampleEvaluation, block_sizes, check_task, covariance_factor, draw_basis,
    evaluate_resamples, fractions, mixture_loadings,
};
use crate::network::{MAX_NEURONS, NetworkError, PUBLISHED_NOISE_STD, SimOptions, trial_seed};
use crate::reduced::{ModelDims, ModelError, Population, PopulationModel};
use crate::task::{TaskKind, Trial};
use crate::train::config::{MAX_TAPE_VALUES, MAX_TRIALS};
use crate::train::{FlatAdam, Param, ParamVecs, Precision, batch_gradient, clip_norm};

/// Salts of the per-step seeds, so that bases, trials and network noise never share a stream.
const BASIS_STREAM: u64 = 0x6261_7369_735f_7374;
const TRIAL_STREAM: u64 = 0x7472_6961_6c5f_7374;
const NOISE_STREAM: u64 = 0x6e6f_6973_655f_7374;

/// A fine-tuning run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FinetuneConfig {
    /// Neurons of the networks drawn at every step (and evaluated before and after).
    pub neurons: usize,
    /// Adam steps, each with a fresh basis and a fresh batch.
    pub steps: usize,
    pub batch_size: usize,
    pub lr: f64,
    /// Maximal gradient norm over all factors, or none.
    pub clip: Option<f64>,
    /// Network noise `sigma_noise` during training and evaluation.
    pub noise_std: f64,
    pub precision: Precision,
    /// Networks drawn, and trials each, for the evaluations before and after.
    pub eval_networks: usize,
    pub eval_trials: usize,
}

impl Default for FinetuneConfig {
    /// `N = 2048`, 2000 steps of 32 trials, Adam at 3e-3 with clipping at 1, the published network
    /// noise 0.05, `f32` passes; 10 networks of 200 trials for each evaluation. Measured on our DMS
    /// network (`docs/FIT.md`): at `N = 512` the scatter between draws swamps the gradient, and
    /// `lr = 1e-2` collapses the readout.
    fn default() -> Self {
        Self {
            neurons: 2048,
            steps: 2000,
            batch_size: 32,
            lr: 3e-3,
            clip: Some(1.0),
            noise_std: PUBLISHED_NOISE_STD,
            precision: Precision::F32,
            eval_networks: 10,
            eval_trials: 200,
        }
    }
}

impl FinetuneConfig {
    /// Every field in range, and the BPTT tape of one trial of `kind` within the trainer's limit.
    pub fn validate(&self, kind: &TaskKind) -> Result<(), FinetuneError> {
        let bad = |msg: String| Err(FinetuneError::Config(msg));
        if self.neurons == 0 || self.neurons > MAX_NEURONS {
            return bad(format!(
                "neurons must be in 1..={MAX_NEURONS}, got {}",
                self.neurons
            ));
        }
        for (what, value) in [
            ("batch size", self.batch_size),
            ("evaluation networks", self.eval_networks),
            ("evaluation trials", self.eval_trials),
        ] {
            if value == 0 || value > MAX_TRIALS {
                return bad(format!(
                    "the {what} must be in 1..={MAX_TRIALS}, got {value}"
                ));
            }
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return bad(format!("the learning rate must be > 0, got {}", self.lr));
        }
        if let Some(c) = self.clip
            && !(c.is_finite() && c > 0.0)
        {
            return bad(format!("the clipping norm must be > 0, got {c}"));
        }
        if !(self.noise_std.is_finite() && self.noise_std >= 0.0) {
            return bad(format!(
                "the network noise must be >= 0, got {}",
                self.noise_std
            ));
        }
        let steps = kind.random_trials(1, &mut StdRng::seed_from_u64(0))[0].steps;
        if self.neurons.saturating_mul(steps + 1) > MAX_TAPE_VALUES {
            return bad(format!(
                "N x (T + 1) = {} x {} exceeds the BPTT tape limit of {MAX_TAPE_VALUES} values",
                self.neurons,
                steps + 1
            ));
        }
        Ok(())
    }
}

/// Why fine-tuning could not run or finish.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum FinetuneError {
    #[error("fine-tuning config: {0}")]
    Config(String),
    #[error("{0}")]
    Resample(#[from] ResampleError),
    #[error("fine-tuning diverged at step {step}: {reason}")]
    Diverged { step: usize, reason: String },
}

/// One step: the batch's mean loss and accuracy, and the gradient norm before clipping.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct StepReport {
    /// 1-based.
    pub step: usize,
    pub loss: f64,
    pub accuracy: f64,
    pub grad_norm: f64,
}

/// What [`finetune`] reports while it runs.
#[derive(Debug, Clone, Copy)]
pub enum FinetuneProgress<'a> {
    /// An evaluation of fresh resamples starts (`"before"` or `"after"`).
    Evaluating(&'static str),
    Evaluated(&'static str, &'a ResampleEvaluation),
    Step(&'a StepReport),
}

/// The result of [`finetune`].
#[derive(Debug, Clone, PartialEq)]
pub struct FinetuneOutcome {
    /// The input model with `Sigma_p = L_p L_p^T` from the final factors.
    pub model: PopulationModel,
    /// Fresh resamples of the input model and of the result (the same seeds and trials).
    pub before: ResampleEvaluation,
    pub after: ResampleEvaluation,
    pub steps: Vec<StepReport>,
    /// Whether `cancel` stopped the run early (the model is then the one reached so far).
    pub interrupted: bool,
}

/// Fine-tunes the covariances of `model` on `kind` (module docs). Every random number derives from
/// `seed` and the gradients do not depend on the thread count, so a run is reproducible bit for
/// bit. `cancel` is polled before every step; a cancelled run still evaluates what it reached.
pub fn finetune(
    model: &PopulationModel,
    kind: &TaskKind,
    config: &FinetuneConfig,
    seed: u64,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(FinetuneProgress<'_>),
) -> Result<FinetuneOutcome, FinetuneError> {
    config.validate(kind)?;
    check_task(model, kind)?;
    let before = evaluate(model, kind, config, seed, "before", progress)?;
    let mut factors: Vec<DMatrix<f64>> = model
        .populations()
        .iter()
        .map(|p| covariance_factor(&p.cov))
        .collect();
    let d = model.dims().loadings();
    let mut adam = FlatAdam::new(factors.len() * d * d, config.lr);
    let mut flat = flatten(&factors);
    let mut steps = Vec::with_capacity(config.steps);
    let mut interrupted = false;
    for step in 1..=config.steps {
        if cancel.load(Ordering::Relaxed) {
            interrupted = true;
            break;
        }
        let z = draw_basis(
            config.neurons,
            d,
            &mut StdRng::seed_from_u64(trial_seed(seed ^ BASIS_STREAM, step)),
        );
        let trials = kind.random_trials(
            config.batch_size,
            &mut StdRng::seed_from_u64(trial_seed(seed ^ TRIAL_STREAM, step)),
        );
        let refs: Vec<&Trial> = trials.iter().collect();
        let opts = SimOptions {
            noise_std: config.noise_std,
            seed: trial_seed(seed ^ NOISE_STREAM, step),
            ..SimOptions::default()
        };
        let g =
            factor_gradient(model, &factors, &z, &refs, &opts, config.precision).map_err(|e| {
                FinetuneError::Diverged {
                    step,
                    reason: e.to_string(),
                }
            })?;
        let mut grad = flatten(&g.factors);
        let grad_norm = match config.clip {
            Some(max) => clip_norm(&mut grad, max),
            None => crate::kernels::dot(&grad, &grad).sqrt(),
        };
        adam.step(&mut flat, &grad);
        unflatten(&flat, &mut factors);
        let report = StepReport {
            step,
            loss: g.loss,
            accuracy: g.correct as f64 / refs.len() as f64,
            grad_norm,
        };
        progress(FinetuneProgress::Step(&report));
        steps.push(report);
    }
    let tuned = model_with_factors(model, &factors, config, seed, &before).map_err(|e| {
        FinetuneError::Diverged {
            step: steps.len(),
            reason: e.to_string(),
        }
    })?;
    let after = evaluate(&tuned, kind, config, seed, "after", progress)?;
    let tuned = with_evaluation(tuned, &after);
    Ok(FinetuneOutcome {
        model: tuned,
        before,
        after,
        steps,
        interrupted,
    })
}

/// The evaluation of fresh resamples `when` (`"before"`, `"after"`), reported to `progress`.
fn evaluate(
    model: &PopulationModel,
    kind: &TaskKind,
    config: &FinetuneConfig,
    seed: u64,
    when: &'static str,
    progress: &mut dyn FnMut(FinetuneProgress<'_>),
) -> Result<ResampleEvaluation, FinetuneError> {
    progress(FinetuneProgress::Evaluating(when));
    let e = evaluate_resamples(
        model,
        config.neurons,
        config.eval_networks,
        kind,
        config.eval_trials,
        config.noise_std,
        seed,
    )?;
    progress(FinetuneProgress::Evaluated(when, &e));
    Ok(e)
}

/// Loss, correct count and `dLoss/dL_p` of one batch on the network drawn with basis `z`.
#[derive(Debug, Clone, PartialEq)]
pub struct FactorGradient {
    pub loss: f64,
    pub correct: usize,
    /// One `D x D` matrix per population.
    pub factors: Vec<DMatrix<f64>>,
}

/// Steps 1-3 of the module docs for a given basis, trials and noise: the network with loadings
/// `x_i = mu_p + L_p z_i`, its batch gradient, and `dLoss/dL_p = G_p^T Z_p` over population `p`'s
/// block of neurons. Fails if the factors have grown non-finite loadings.
pub fn factor_gradient(
    model: &PopulationModel,
    factors: &[DMatrix<f64>],
    z: &DMatrix<f64>,
    trials: &[&Trial],
    opts: &SimOptions,
    precision: Precision,
) -> Result<FactorGradient, NetworkError> {
    let dims = model.dims();
    let x = mixture_loadings(model, factors, z);
    let net = network_from_loadings(&x, dims)?;
    let batch = batch_gradient(&net, trials, opts, precision);
    let gx = loading_gradient(&batch.grad, dims, z.nrows());
    let sizes = block_sizes(&fractions(model), z.nrows());
    let mut start = 0;
    let grads = sizes
        .iter()
        .map(|&size| {
            let g = gx.rows(start, size).transpose() * z.rows(start, size);
            start += size;
            g
        })
        .collect();
    Ok(FactorGradient {
        loss: batch.loss,
        correct: batch.correct,
        factors: grads,
    })
}

/// `dLoss/dx_i` (`N x D`, MODEL.md 4 order) from the parameter gradients of a network with unit
/// gains (as [`network_from_loadings`] builds them): there `I_s = wi[s]` and `w_o = wo[:, o]`, so the
/// gradients of `wi` and `wo` are those of the effective vectors.
fn loading_gradient(grad: &ParamVecs, dims: ModelDims, neurons: usize) -> DMatrix<f64> {
    let (r, s, o) = (dims.rank, dims.inputs, dims.outputs);
    let column_major =
        |values: &[f64], cols: usize| DMatrix::from_column_slice(neurons, cols, values);
    let mut g = DMatrix::zeros(neurons, dims.loadings());
    g.columns_mut(0, r)
        .copy_from(&column_major(grad.get(Param::M), r));
    g.columns_mut(r, r)
        .copy_from(&column_major(grad.get(Param::N), r));
    // wi is (S, N) column-major.
    g.columns_mut(2 * r, s)
        .copy_from(&DMatrix::from_column_slice(s, neurons, grad.get(Param::Wi)).transpose());
    g.columns_mut(2 * r + s, o)
        .copy_from(&column_major(grad.get(Param::Wo), o));
    g
}

/// The factors' entries in one vector (population by population, column-major).
fn flatten(factors: &[DMatrix<f64>]) -> Vec<f64> {
    factors.iter().flat_map(|f| f.iter().copied()).collect()
}

/// The inverse of [`flatten`], into matrices of the right shapes.
fn unflatten(flat: &[f64], factors: &mut [DMatrix<f64>]) {
    let mut start = 0;
    for f in factors {
        let len = f.len();
        f.as_mut_slice().copy_from_slice(&flat[start..start + len]);
        start += len;
    }
}

/// `model` with `Sigma_p = L_p L_p^T` (symmetrised) and provenance in `meta`.
fn model_with_factors(
    model: &PopulationModel,
    factors: &[DMatrix<f64>],
    config: &FinetuneConfig,
    seed: u64,
    before: &ResampleEvaluation,
) -> Result<PopulationModel, ModelError> {
    let populations: Vec<Population> = model
        .populations()
        .iter()
        .zip(factors)
        .map(|(p, l)| {
            let cov = l * l.transpose();
            Population {
                cov: (&cov + cov.transpose()) * 0.5,
                ..p.clone()
            }
        })
        .collect();
    let mut meta = Map::new();
    meta.insert(
        "description".into(),
        json!(
            "Covariances fine-tuned so that networks resampled from the mixture solve the task \
             (factors L_p trained by BPTT with the basis resampled every step)"
        ),
    );
    meta.insert(
        "finetune".into(),
        json!({"config": config, "seed": seed, "before": summary(before)}),
    );
    meta.insert("parent".into(), Value::Object(model.meta().clone()));
    Ok(
        PopulationModel::new(model.dims(), model.input_names().to_vec(), populations)?
            .with_meta(meta),
    )
}

/// Adds the evaluation after fine-tuning to `meta.finetune`.
fn with_evaluation(model: PopulationModel, after: &ResampleEvaluation) -> PopulationModel {
    let mut meta = model.meta().clone();
    if let Some(Value::Object(f)) = meta.get_mut("finetune") {
        f.insert("after".into(), summary(after));
    }
    model.with_meta(meta)
}

/// Mean and range of the accuracies of an evaluation, as JSON.
fn summary(e: &ResampleEvaluation) -> Value {
    let (lo, hi) = e.accuracy_range();
    json!({
        "neurons": e.neurons,
        "networks": e.networks.len(),
        "trials": e.networks.first().map_or(0, |n| n.trials),
        "mean_accuracy": e.mean_accuracy(),
        "min_accuracy": lo,
        "max_accuracy": hi,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reduced::presets;
    use crate::task::dms;

    fn published() -> PopulationModel {
        presets::get("dms_mixture_2pop").unwrap().model
    }

    /// The chain rule to the factors against central differences of the loss, in f64 with network
    /// noise on, the basis, trials and noise held fixed.
    #[test]
    fn factor_gradient_matches_central_differences() {
        let model = published();
        let d = 7;
        // Smaller factors keep the neurons away from saturation, where the loss is flat.
        let factors: Vec<DMatrix<f64>> = model
            .populations()
            .iter()
            .map(|p| covariance_factor(&p.cov) * 0.5)
            .collect();
        let z = draw_basis(16, d, &mut StdRng::seed_from_u64(3));
        let mut rng = StdRng::seed_from_u64(4);
        let mut trials: Vec<Trial> = dms::TRIAL_TYPES
            .iter()
            .map(|name| dms::trial(name, 3, dms::trial_steps(3)))
            .collect();
        for t in &mut trials {
            crate::task::add_noise(&mut t.inputs, 0.03, &mut rng);
        }
        let refs: Vec<&Trial> = trials.iter().collect();
        let opts = SimOptions {
            noise_std: 0.05,
            seed: 9,
            ..SimOptions::default()
        };
        let loss = |f: &[DMatrix<f64>]| {
            factor_gradient(&model, f, &z, &refs, &opts, Precision::F64)
                .unwrap()
                .loss
        };
        let analytic = factor_gradient(&model, &factors, &z, &refs, &opts, Precision::F64).unwrap();
        let eps = 1e-6;
        for p in 0..2 {
            let mut fd = DMatrix::zeros(d, d);
            for a in 0..d {
                for b in 0..d {
                    let mut plus = factors.clone();
                    plus[p][(a, b)] += eps;
                    let mut minus = factors.clone();
                    minus[p][(a, b)] -= eps;
                    fd[(a, b)] = (loss(&plus) - loss(&minus)) / (2.0 * eps);
                }
            }
            let err = (&analytic.factors[p] - &fd).norm() / fd.norm();
            println!(
                "population {}: |grad| {:.3e}, relative error {err:.2e}",
                p + 1,
                fd.norm()
            );
            assert!(fd.norm() > 1e-6, "the loss does not depend on L_{}", p + 1);
            assert!(err < 1e-6, "population {}: relative error {err:e}", p + 1);
        }
    }

    fn small() -> FinetuneConfig {
        FinetuneConfig {
            neurons: 32,
            steps: 3,
            batch_size: 4,
            eval_networks: 2,
            eval_trials: 8,
            ..FinetuneConfig::default()
        }
    }

    fn kind() -> TaskKind {
        TaskKind::Dms(dms::DmsConfig::default())
    }

    #[test]
    fn runs_are_reproducible_and_keep_fractions_and_means() {
        let model = published();
        let never = AtomicBool::new(false);
        let mut reported = 0;
        let a = finetune(&model, &kind(), &small(), 5, &never, &mut |p| {
            if let FinetuneProgress::Step(_) = p {
                reported += 1;
            }
        })
        .unwrap();
        let b = finetune(&model, &kind(), &small(), 5, &never, &mut |_| {}).unwrap();
        assert_eq!(a, b);
        assert_eq!((a.steps.len(), reported, a.interrupted), (3, 3, false));
        for (tuned, orig) in a.model.populations().iter().zip(model.populations()) {
            assert_eq!((tuned.fraction, &tuned.mean), (orig.fraction, &orig.mean));
            let moved = (&tuned.cov - &orig.cov).amax();
            assert!(moved > 0.0 && moved < 1.0, "{moved}");
        }
        // The evaluations are paired: same networks and trials for the input model.
        let again = evaluate_resamples(&model, 32, 2, &kind(), 8, 0.05, 5).unwrap();
        assert_eq!(a.before, again);
        assert!(a.model.meta()["finetune"]["after"]["mean_accuracy"].is_f64());
    }

    #[test]
    fn cancelling_before_the_first_step_returns_the_input_covariances() {
        let model = published();
        let out = finetune(
            &model,
            &kind(),
            &small(),
            1,
            &AtomicBool::new(true),
            &mut |_| {},
        )
        .unwrap();
        assert!(out.interrupted && out.steps.is_empty());
        for (tuned, orig) in out.model.populations().iter().zip(model.populations()) {
            assert!((&tuned.cov - &orig.cov).amax() < 1e-12 * orig.cov.amax());
        }
        // The same networks up to the rounding of L L^T.
        for (b, a) in out.before.networks.iter().zip(&out.after.networks) {
            assert_eq!(b.accuracy, a.accuracy);
            assert!((b.loss - a.loss).abs() < 1e-9 * b.loss);
        }
    }

    #[test]
    fn bad_configs_and_mismatched_tasks_are_rejected() {
        let model = published();
        let never = AtomicBool::new(false);
        let run = |cfg: &FinetuneConfig, kind: &TaskKind| {
            finetune(&model, kind, cfg, 0, &never, &mut |_| {}).unwrap_err()
        };
        let zero_lr = FinetuneConfig { lr: 0.0, ..small() };
        assert!(matches!(run(&zero_lr, &kind()), FinetuneError::Config(_)));
        let decision = TaskKind::Decision(crate::task::decision::DecisionConfig::default());
        let err = run(&small(), &decision);
        assert!(
            matches!(err, FinetuneError::Resample(ResampleError::Task { .. })),
            "{err}"
        );
    }
}
