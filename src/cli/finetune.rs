//! `finetune`: train a population model's factors `L_p` so that networks resampled from it solve the
//! task (MODEL.md 5 step 5), with a progress bar, Ctrl-C that keeps what was reached, and the
//! accuracy of fresh resamples before and after.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use serde_json::json;

use super::output;
use super::signals;
use super::train::{save_or_rescue, thread_pool};
use super::{CliError, TaskName};
use crate::fit::finetune::{FinetuneConfig, FinetuneProgress, StepReport, finetune};
use crate::fit::resample::ResampleEvaluation;
use crate::io;
use crate::train::{Precision, TrainTask};

#[derive(Debug, clap::Args)]
pub struct FinetuneArgs {
    /// A population model (the project's JSON, e.g. written by `fit --out`, or the published
    /// fixture's shape).
    pub model: PathBuf,
    #[arg(long, value_enum, default_value = "dms")]
    pub task: TaskName,
    /// Neurons of the networks drawn at every step and evaluated before and after.
    #[arg(long, default_value_t = 2048)]
    pub n: usize,
    /// Adam steps, each on a freshly drawn network and a fresh batch of trials.
    #[arg(long, default_value_t = 2000)]
    pub steps: usize,
    #[arg(long, default_value_t = 32)]
    pub batch_size: usize,
    /// Adam learning rate.
    #[arg(long, default_value_t = 3e-3)]
    pub lr: f64,
    /// Maximal total gradient norm (0: no clipping).
    #[arg(long, default_value_t = 1.0)]
    pub clip: f64,
    /// Network noise during training and evaluation.
    #[arg(long, default_value_t = crate::network::PUBLISHED_NOISE_STD)]
    pub noise: f64,
    /// Seed of everything random: bases, trials, network noise, evaluations.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Networks drawn for the evaluations before and after.
    #[arg(long, default_value_t = 10)]
    pub eval_networks: usize,
    /// Fresh noisy trials per evaluated network.
    #[arg(long, default_value_t = 200)]
    pub eval_trials: usize,
    /// Forward and backward passes in double precision (default: single, as training).
    #[arg(long)]
    pub f64: bool,
    /// Where to write the fine-tuned model (the project's JSON, atomically).
    #[arg(long)]
    pub out: PathBuf,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

impl FinetuneArgs {
    fn config(&self) -> FinetuneConfig {
        FinetuneConfig {
            neurons: self.n,
            steps: self.steps,
            batch_size: self.batch_size,
            lr: self.lr,
            clip: (self.clip > 0.0).then_some(self.clip),
            noise_std: self.noise,
            precision: if self.f64 {
                Precision::F64
            } else {
                Precision::F32
            },
            eval_networks: self.eval_networks,
            eval_trials: self.eval_trials,
        }
    }

    fn command(&self, task: TrainTask) -> String {
        let mut cmd = format!(
            "lowrank-explorer finetune {} --task {} --n {} --steps {} --batch-size {} --lr {} \
             --clip {} --noise {} --seed {} --eval-networks {} --eval-trials {} --out {}",
            self.model.display(),
            task.eval_kind().name(),
            self.n,
            self.steps,
            self.batch_size,
            self.lr,
            self.clip,
            self.noise,
            self.seed,
            self.eval_networks,
            self.eval_trials,
            self.out.display()
        );
        if self.f64 {
            cmd += " --f64";
        }
        cmd
    }
}

/// Mean and range of fresh resamples' accuracies.
#[derive(Debug, Serialize)]
struct Accuracies {
    mean: f64,
    min: f64,
    max: f64,
    networks: Vec<f64>,
}

impl From<&ResampleEvaluation> for Accuracies {
    fn from(e: &ResampleEvaluation) -> Self {
        let (min, max) = e.accuracy_range();
        Self {
            mean: e.mean_accuracy(),
            min,
            max,
            networks: e.networks.iter().map(|n| n.accuracy).collect(),
        }
    }
}

#[derive(Debug, Serialize)]
struct Summary {
    command: String,
    interrupted: bool,
    steps: usize,
    /// Mean batch loss and accuracy over the first and the last tenth of the steps.
    first_loss: f64,
    last_loss: f64,
    last_accuracy: f64,
    before: Accuracies,
    after: Accuracies,
    wall_seconds: f64,
    /// Every step's batch loss, batch accuracy and gradient norm (before clipping).
    history: Vec<StepReport>,
}

/// Progress bar over the steps; its message shows the phase or a running loss and accuracy.
fn bar(steps: usize) -> ProgressBar {
    let bar = ProgressBar::new(steps as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "[{elapsed_precise}] {bar:30.cyan/blue} {pos}/{len} steps, ETA {eta} | {msg}",
        )
        .expect("valid template"),
    );
    bar.enable_steady_tick(Duration::from_millis(500));
    bar
}

/// The mean of `values` (0 if empty).
fn mean_of(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len().max(1) as f64
}

pub fn finetune_cmd(args: &FinetuneArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let task = TrainTask::from(args.task);
    let kind = task.eval_kind();
    let config = args.config();
    config.validate(&kind)?;
    output::check_model_out(&args.out)?;
    let model = io::load_population_model(&args.model)?;
    let (pool, _) = thread_pool(args.threads)?;
    let graceful = signals::graceful_stop();
    let clock = Instant::now();
    let bar = bar(config.steps);
    // Exponential moving averages of the batch loss and accuracy, for the bar.
    let (mut ema_loss, mut ema_acc) = (None::<f64>, 0.0);
    let outcome = pool.install(|| {
        finetune(
            &model,
            &kind,
            &config,
            args.seed,
            &signals::INTERRUPTED,
            &mut |p| match p {
                FinetuneProgress::Evaluating(when) => bar.set_message(format!(
                    "evaluating {} networks {when}",
                    config.eval_networks
                )),
                FinetuneProgress::Evaluated(when, e) => bar.println(format!(
                    "{when}: mean accuracy of {} fresh resamples {:.3}",
                    e.networks.len(),
                    e.mean_accuracy()
                )),
                FinetuneProgress::Step(s) => {
                    let l = ema_loss.map_or(s.loss, |l| 0.9 * l + 0.1 * s.loss);
                    ema_loss = Some(l);
                    ema_acc = 0.9 * ema_acc + 0.1 * s.accuracy;
                    bar.set_position(s.step as u64);
                    bar.set_message(format!(
                        "loss {l:.4}, accuracy {ema_acc:.3} (running means)"
                    ));
                }
            },
        )
    })?;
    bar.finish_and_clear();
    let tenth = (outcome.steps.len() / 10).max(1);
    let losses: Vec<f64> = outcome.steps.iter().map(|s| s.loss).collect();
    let accs: Vec<f64> = outcome.steps.iter().map(|s| s.accuracy).collect();
    let summary = Summary {
        command: args.command(task),
        interrupted: outcome.interrupted,
        steps: outcome.steps.len(),
        first_loss: mean_of(&losses[..tenth.min(losses.len())]),
        last_loss: mean_of(&losses[losses.len().saturating_sub(tenth)..]),
        last_accuracy: mean_of(&accs[accs.len().saturating_sub(tenth)..]),
        before: (&outcome.before).into(),
        after: (&outcome.after).into(),
        wall_seconds: clock.elapsed().as_secs_f64(),
        history: outcome.steps.clone(),
    };
    let mut meta = outcome.model.meta().clone();
    meta.insert("source".into(), json!(args.model.display().to_string()));
    meta.insert("command".into(), json!(summary.command));
    meta.insert(
        "created_by".into(),
        json!(format!(
            "lowrank-explorer {} finetune",
            env!("CARGO_PKG_VERSION")
        )),
    );
    drop(graceful);
    let tuned = outcome.model.clone().with_meta(meta);
    save_or_rescue(&args.out, "fine-tuned model", |p| {
        io::save_population_model(&tuned, p)
    })?;
    if args.json {
        writeln!(out, "{}", serde_json::to_string(&summary)?)?;
        return Ok(());
    }
    if summary.interrupted {
        writeln!(out, "interrupted: kept the factors reached so far")?;
    }
    writeln!(
        out,
        "{} steps: batch loss {:.4} (first tenth) -> {:.4} (last tenth), batch accuracy {:.3} \
         (last tenth); {:.1} s",
        summary.steps,
        summary.first_loss,
        summary.last_loss,
        summary.last_accuracy,
        summary.wall_seconds
    )?;
    for (when, a) in [("before", &summary.before), ("after", &summary.after)] {
        writeln!(
            out,
            "{when:>6}: accuracy of {} fresh resamples (N = {}): mean {:.3}, min {:.3}, max {:.3}",
            a.networks.len(),
            args.n,
            a.mean,
            a.min,
            a.max
        )?;
    }
    writeln!(out, "wrote {}", args.out.display())?;
    Ok(())
}
