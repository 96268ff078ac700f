//! The training loop of MODEL.md 6: shaping stages, each with fresh trials, a fresh Adam, shuffled
//! mini-batches, optional gradient clipping, keep-best by epoch mean loss and early stopping.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde::Serialize;

use super::TrainError;
use super::adam::{Adam, clip_grad_norm};
use super::bptt::batch_gradient;
use super::config::{StageConfig, TrainConfig, TrainTask};
use super::evaluate::{Evaluation, evaluate_trials};
use super::init::random_network;
use crate::network::{Dims, Network, NetworkParts, SimOptions, trial_seed};
use crate::task::Trial;

/// Salt of the network-noise seeds, so they never coincide with the seeds of the trial draws.
const NOISE_STREAM: u64 = 0x6e6f_6973_655f_7374;

/// What the trainer reports while it runs (for progress bars and logs).
#[derive(Debug, Clone, Copy)]
pub enum Progress<'a> {
    StageStarted {
        /// 1-based.
        stage: usize,
        config: &'a StageConfig,
        batches_per_epoch: usize,
    },
    BatchDone {
        stage: usize,
        /// 1-based.
        epoch: usize,
        /// Mean loss of the batch.
        loss: f64,
    },
    EpochDone(&'a EpochReport),
    StageDone(&'a StageReport),
}

/// One epoch: mean loss and accuracy of the training trials (as the parameters moved during it).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct EpochReport {
    pub stage: usize,
    pub epoch: usize,
    pub loss: f64,
    pub accuracy: f64,
    /// Lowest epoch loss of the stage so far (this one included).
    pub best_loss: f64,
}

/// One stage, once finished (or interrupted).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageReport {
    pub stage: usize,
    pub delay_max_ms: Option<f64>,
    pub lr: f64,
    pub clip: Option<f64>,
    /// Complete epochs run.
    pub epochs: usize,
    /// The kept epoch (lowest mean loss), 1-based; none if no epoch completed.
    pub best_epoch: Option<usize>,
    pub best_loss: Option<f64>,
    pub early_stopped: bool,
    /// The kept network on the stage's validation trials (network noise on).
    pub validation: Evaluation,
    pub seconds: f64,
}

/// The result of [`train`].
#[derive(Debug, Clone)]
pub struct TrainOutcome {
    /// The kept network of the last stage run.
    pub network: Network,
    pub stages: Vec<StageReport>,
    /// Whether `cancel` stopped the run; `network` is then the best one so far.
    pub interrupted: bool,
}

/// Trains a fresh network for `task`: random initialisation from `seed`, then the stages of `config`.
///
/// Every random number derives from `seed` (initialisation, trials, shuffles, network noise), and the
/// batch gradients do not depend on the thread count, so a run is reproducible bit for bit.
/// `cancel` is polled before every batch: once it is set the run stops and returns the best network
/// so far (the kept epoch of the current stage, or the previous stage's result).
pub fn train(
    task: TrainTask,
    config: &TrainConfig,
    seed: u64,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<TrainOutcome, TrainError> {
    config.validate(task)?;
    let dims = Dims {
        neurons: config.neurons,
        rank: config.rank,
        inputs: task.inputs(),
        outputs: task.eval_kind().outputs(),
    };
    let mut network = random_network(
        dims,
        &config.init,
        &mut StdRng::seed_from_u64(trial_seed(seed, 0)),
    )?;
    let mut stages = Vec::with_capacity(config.stages.len());
    for k in 0..config.stages.len() {
        let stage = Stage {
            task,
            config,
            index: k,
            seed,
        };
        let run = stage.run(network, cancel, progress)?;
        network = run.network;
        stages.push(run.report);
        if run.interrupted {
            return Ok(TrainOutcome {
                network,
                stages,
                interrupted: true,
            });
        }
    }
    Ok(TrainOutcome {
        network,
        stages,
        interrupted: false,
    })
}

/// One stage of a run.
struct Stage<'a> {
    task: TrainTask,
    config: &'a TrainConfig,
    /// 0-based.
    index: usize,
    seed: u64,
}

struct StageRun {
    network: Network,
    report: StageReport,
    interrupted: bool,
}

/// The kept epoch of a stage.
struct Best {
    loss: f64,
    epoch: usize,
    parts: NetworkParts,
}

impl Stage<'_> {
    fn stage_config(&self) -> &StageConfig {
        &self.config.stages[self.index]
    }

    /// Seed of the network noise of batch `batch` of epoch `epoch` (`usize::MAX`: validation).
    fn noise_seed(&self, epoch: usize, batch: usize) -> u64 {
        let stage = trial_seed(self.seed ^ NOISE_STREAM, self.index);
        trial_seed(trial_seed(stage, epoch), batch)
    }

    fn run(
        &self,
        start: Network,
        cancel: &AtomicBool,
        progress: &mut dyn FnMut(Progress<'_>),
    ) -> Result<StageRun, TrainError> {
        let clock = Instant::now();
        let sc = self.stage_config();
        let cfg = self.config;
        let number = self.index + 1;
        let mut rng = StdRng::seed_from_u64(trial_seed(self.seed, 1 + self.index));
        let mut trials = self
            .task
            .kind(sc)
            .random_trials(cfg.trials_per_stage, &mut rng);
        let validation = trials.split_off(trials.len() - cfg.validation_trials);
        progress(Progress::StageStarted {
            stage: number,
            config: sc,
            batches_per_epoch: trials.len().div_ceil(cfg.stage_batch_size(sc)),
        });
        let mut parts = start.into_parts();
        let mut adam = Adam::new(&parts, &cfg.trained, sc.lr);
        let mut order: Vec<usize> = (0..trials.len()).collect();
        let mut best: Option<Best> = None;
        let (mut epochs, mut early_stopped, mut interrupted) = (0, false, false);
        for epoch in 1..=sc.epochs {
            order.shuffle(&mut rng);
            let Some((loss, accuracy)) = self.epoch(
                epoch, &trials, &order, &mut parts, &mut adam, cancel, progress,
            )?
            else {
                interrupted = true;
                break;
            };
            epochs = epoch;
            if best.as_ref().is_none_or(|b| loss < b.loss) {
                best = Some(Best {
                    loss,
                    epoch,
                    parts: parts.clone(),
                });
            }
            progress(Progress::EpochDone(&EpochReport {
                stage: number,
                epoch,
                loss,
                accuracy,
                best_loss: best.as_ref().map_or(loss, |b| b.loss),
            }));
            if cfg.early_stop_loss.is_some_and(|stop| loss < stop) {
                early_stopped = true;
                break;
            }
        }
        let (best_epoch, best_loss) = (
            best.as_ref().map(|b| b.epoch),
            best.as_ref().map(|b| b.loss),
        );
        let kept = match best {
            Some(b) => b.parts,
            None => parts,
        };
        let network = Network::new(kept).map_err(|e| self.diverged(epochs, e))?;
        let validation = evaluate_trials(
            &network,
            &validation,
            cfg.noise_std,
            self.noise_seed(usize::MAX, 0),
        );
        let report = StageReport {
            stage: number,
            delay_max_ms: sc.delay_max_ms,
            lr: sc.lr,
            clip: sc.clip,
            epochs,
            best_epoch,
            best_loss,
            early_stopped,
            validation,
            seconds: clock.elapsed().as_secs_f64(),
        };
        progress(Progress::StageDone(&report));
        Ok(StageRun {
            network,
            report,
            interrupted,
        })
    }

    /// One pass over `trials` in `order`, one Adam step per batch. Returns the mean loss and accuracy
    /// over the trials, or `None` if `cancel` was set before a batch.
    #[allow(clippy::too_many_arguments)]
    fn epoch(
        &self,
        epoch: usize,
        trials: &[Trial],
        order: &[usize],
        parts: &mut NetworkParts,
        adam: &mut Adam,
        cancel: &AtomicBool,
        progress: &mut dyn FnMut(Progress<'_>),
    ) -> Result<Option<(f64, f64)>, TrainError> {
        let cfg = self.config;
        let sc = self.stage_config();
        let (mut loss_sum, mut correct) = (0.0, 0);
        for (b, indices) in order.chunks(cfg.stage_batch_size(sc)).enumerate() {
            if cancel.load(Ordering::Relaxed) {
                return Ok(None);
            }
            let net = Network::new(parts.clone()).map_err(|e| self.diverged(epoch, e))?;
            let batch: Vec<&Trial> = indices.iter().map(|&i| &trials[i]).collect();
            let opts = SimOptions {
                noise_std: cfg.noise_std,
                seed: self.noise_seed(epoch, b),
                ..SimOptions::default()
            };
            let mut g = batch_gradient(&net, &batch, &opts, cfg.precision);
            if let Some(max_norm) = sc.clip {
                clip_grad_norm(&mut g.grad, &cfg.trained, max_norm);
            }
            adam.step(parts, &g.grad);
            loss_sum += g.loss * batch.len() as f64;
            correct += g.correct;
            progress(Progress::BatchDone {
                stage: self.index + 1,
                epoch,
                loss: g.loss,
            });
        }
        let count = trials.len() as f64;
        Ok(Some((loss_sum / count, correct as f64 / count)))
    }

    fn diverged(&self, epoch: usize, e: crate::network::NetworkError) -> TrainError {
        TrainError::Diverged {
            stage: self.index + 1,
            epoch,
            reason: e.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::Param;
    use crate::train::config::Recipe;

    /// A small, fast decision-task config.
    fn small(epochs: usize) -> TrainConfig {
        let mut c = TrainConfig::recipe(TrainTask::Decision, Recipe::Fast);
        c.neurons = 32;
        c.trials_per_stage = 400;
        c.validation_trials = 80;
        c.batch_size = 16;
        c.stages[0].epochs = epochs;
        c.early_stop_loss = None;
        c
    }

    fn run(cfg: &TrainConfig, cancel_after: Option<usize>) -> (TrainOutcome, Vec<f64>) {
        let cancel = AtomicBool::new(cancel_after == Some(0));
        let mut losses = vec![];
        let outcome = train(TrainTask::Decision, cfg, 7, &cancel, &mut |p| {
            if let Progress::EpochDone(e) = p {
                losses.push(e.loss);
                if cancel_after == Some(e.epoch) {
                    cancel.store(true, Ordering::Relaxed);
                }
            }
        })
        .unwrap();
        (outcome, losses)
    }

    #[test]
    fn training_learns_keeps_the_best_epoch_and_is_reproducible() {
        let cfg = small(8);
        let (a, losses) = run(&cfg, None);
        let (b, _) = run(&cfg, None);
        assert_eq!(a.network, b.network, "same seed, same network");
        let r = &a.stages[0];
        assert_eq!(r.epochs, 8);
        assert!(!a.interrupted && !r.early_stopped);
        let (best_epoch, best_loss) =
            losses
                .iter()
                .enumerate()
                .fold(
                    (0, f64::INFINITY),
                    |acc, (i, &l)| if l < acc.1 { (i + 1, l) } else { acc },
                );
        assert_eq!(
            (r.best_epoch, r.best_loss),
            (Some(best_epoch), Some(best_loss))
        );
        assert!(losses[0] > 0.5 && best_loss < 0.5 * losses[0], "{losses:?}");
        assert!(r.validation.accuracy > 0.9, "{:?}", r.validation);
        // Frozen parameters did not move; trained ones did.
        let init = random_network(
            a.network.dims(),
            &cfg.init,
            &mut StdRng::seed_from_u64(trial_seed(7, 0)),
        )
        .unwrap();
        for p in Param::ALL {
            let moved = p.values(a.network.parts()) != p.values(init.parts());
            assert_eq!(moved, cfg.trained.contains(&p), "{}", p.name());
        }
    }

    #[test]
    fn early_stopping_ends_the_stage() {
        let mut cfg = small(5);
        cfg.early_stop_loss = Some(10.0);
        let (a, losses) = run(&cfg, None);
        assert_eq!(losses.len(), 1);
        assert!(a.stages[0].early_stopped);
    }

    #[test]
    fn cancelling_keeps_the_best_network_so_far() {
        let cfg = small(6);
        let (full, _) = run(&cfg, None);
        let (cut, losses) = run(&cfg, Some(2));
        assert!(cut.interrupted);
        assert_eq!((cut.stages[0].epochs, losses.len()), (2, 2));
        assert_ne!(cut.network, full.network);
        // Cancelled before any batch: the initial network comes back.
        let (none, _) = run(&cfg, Some(0));
        assert!(none.interrupted && none.stages[0].best_epoch.is_none());
        let init = random_network(
            none.network.dims(),
            &cfg.init,
            &mut StdRng::seed_from_u64(trial_seed(7, 0)),
        )
        .unwrap();
        assert_eq!(none.network, init);
    }

    /// MODEL.md 6: a rank-1 network solves the context-dependent task. The fast recipe at N = 128
    /// (a few seconds here), scored on fresh trials it never saw, as `eval` does.
    #[test]
    fn a_rank_one_network_learns_the_context_dependent_task() {
        let mut cfg = TrainConfig::recipe(TrainTask::Ctx, Recipe::Fast);
        cfg.neurons = 128;
        assert_eq!(cfg.rank, 1);
        let never = AtomicBool::new(false);
        let outcome = train(TrainTask::Ctx, &cfg, 1, &never, &mut |_| {}).unwrap();
        let net = &outcome.network;
        assert_eq!((net.dims().rank, net.dims().inputs), (1, 4));
        let e = crate::train::evaluate(net, &TrainTask::Ctx.eval_kind(), 1000, 0.05, 99);
        assert!(e.accuracy >= 0.95, "{e:?}");
        // A network that ignored the context could not pass: the context decides half the signs.
        let start = random_network(
            net.dims(),
            &cfg.init,
            &mut StdRng::seed_from_u64(trial_seed(1, 0)),
        )
        .unwrap();
        let before = crate::train::evaluate(&start, &TrainTask::Ctx.eval_kind(), 1000, 0.05, 99);
        assert!(before.accuracy < 0.8, "{before:?}");
    }
}
