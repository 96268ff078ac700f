//! `simulate` and `eval`.

use std::io::Write;

use serde::Serialize;

use super::{CliError, FileArg, TaskName};
use crate::budget;
use crate::io::{self, ModelFile, ReadOptions};
use crate::network::{self, FullRankNetwork, Network, Recording, SimOptions, Simulator};
use crate::task::{self, TaskKind, Trial, ctx, decision, dms, pwm};
use crate::train;

#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    #[command(flatten)]
    pub file: FileArg,
    /// The task, and so the canonical noise-free trials: dms: AA, AB, BA, BB; decision: one per
    /// coherence, c = -4, -2, -1, 1, 2, 4; pwm: the frequency pairs (f1, f2) = (34, 10), (30, 14),
    /// (26, 18), (18, 26), (14, 30), (10, 34), every difference once, centred on 22 Hz; ctx: in
    /// context 1 then 2, the coherences (c0, c1) = (4, -4) and (-4, 4), the same sensory input
    /// answered oppositely in the two contexts.
    #[arg(long, value_enum, default_value = "dms", verbatim_doc_comment)]
    pub task: TaskName,
    /// Delay between the two stimuli, in ms (floored to 20 ms steps; default: the task's longest,
    /// 3000 for DMS, 1000 for PWM; the decision and ctx tasks have a fixed delay).
    #[arg(long)]
    pub delay_ms: Option<f64>,
    /// Network noise sigma_noise (added outside alpha at every step).
    #[arg(long, default_value_t = 0.0)]
    pub noise: f64,
    /// Seed of the network noise.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Project on the orthogonal SVD axes (MODEL.md 2) instead of the network's own m.
    #[arg(long)]
    pub svd_axes: bool,
    /// Print JSON: {"trials":[{"name","decision_mean","output","kappa"}]}.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    #[command(flatten)]
    pub file: FileArg,
    #[arg(long, value_enum, default_value = "dms")]
    pub task: TaskName,
    /// Number of fresh trials.
    #[arg(long, default_value_t = 1000)]
    pub trials: usize,
    /// Seed of the trials and of the network noise.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Network noise sigma_noise (default: the papers' training noise of the task, 0.05 for DMS,
    /// decision and ctx, 0.005 for PWM).
    #[arg(long)]
    pub noise: Option<f64>,
    /// Longest delay of the random trials, in ms (default: the task's, 3000 for DMS, 1000 for PWM; the
    /// decision and ctx tasks have a fixed delay).
    #[arg(long)]
    pub delay_max_ms: Option<f64>,
    /// Print JSON: {"accuracy","loss","trials"}.
    #[arg(long)]
    pub json: bool,
}

/// Largest number of trials `eval` accepts (each is simulated in full).
const MAX_EVAL_TRIALS: usize = 1_000_000;
/// Longest delay `simulate`/`eval` accept, in ms (one hour of task time).
const MAX_DELAY_MS: f64 = 3.6e6;

#[derive(Debug, Serialize)]
struct SimulatedTrial {
    name: String,
    decision_mean: f64,
    /// `z_t`, one value per step for a single output, else one array per step.
    output: serde_json::Value,
    kappa: Vec<Vec<f64>>,
    #[serde(skip)]
    correct: bool,
    #[serde(skip)]
    max_residual: f64,
}

#[derive(Debug, Serialize)]
struct SimulateReport {
    trials: Vec<SimulatedTrial>,
}

pub fn check_noise(noise: f64) -> Result<(), CliError> {
    if noise.is_finite() && noise >= 0.0 {
        Ok(())
    } else {
        Err(CliError(format!(
            "--noise must be a finite number >= 0, got {noise}"
        )))
    }
}

fn check_delay(flag: &str, ms: f64) -> Result<(), CliError> {
    if ms.is_finite() && (0.0..=MAX_DELAY_MS).contains(&ms) {
        Ok(())
    } else {
        Err(CliError(format!(
            "{flag} must be between 0 and {MAX_DELAY_MS} ms, got {ms}"
        )))
    }
}

pub fn check_task_fits(net: &(impl Simulator + ?Sized), kind: &TaskKind) -> Result<(), CliError> {
    if net.input_channels() == kind.inputs() {
        Ok(())
    } else {
        Err(CliError(format!(
            "the {} task needs a network with {} input channel(s); this one has {}",
            kind.name(),
            kind.inputs(),
            net.input_channels()
        )))
    }
}

/// The random trials `eval` draws: the task at its defaults, with `--delay-max-ms` where it has a delay.
fn eval_task(task: TaskName, delay_max_ms: Option<f64>) -> Result<TaskKind, CliError> {
    if let Some(ms) = delay_max_ms {
        check_delay("--delay-max-ms", ms)?;
    }
    // The longest delay `eval` may draw: `least` is the smallest that leaves a range to draw from.
    let longest = |default: f64, shortest: f64, least: f64| match delay_max_ms {
        Some(ms) if ms < least => Err(CliError(format!(
            "--delay-max-ms {ms}: the task's delays start at {shortest} ms, so the longest must be at least {least} ms"
        ))),
        Some(ms) => Ok(ms),
        None => Ok(default),
    };
    Ok(match task {
        TaskName::Dms => TaskKind::Dms(dms::DmsConfig {
            // DMS delays are drawn from [shortest, longest): at least one step apart.
            delay_max_ms: longest(
                dms::DELAY_MAX_MS,
                dms::DELAY_MIN_MS,
                dms::DELAY_MIN_MS + network::DT_MS,
            )?,
            ..dms::DmsConfig::default()
        }),
        // Both ends of the PWM delay range are drawn (`PwmConfig::delay_steps`): the longest may
        // equal the shortest.
        TaskName::Pwm => TaskKind::Pwm(pwm::PwmConfig {
            delay_max_ms: longest(pwm::DELAY_MAX_MS, pwm::DELAY_MIN_MS, pwm::DELAY_MIN_MS)?,
            ..pwm::PwmConfig::default()
        }),
        TaskName::Decision | TaskName::Ctx if delay_max_ms.is_some() => {
            return Err(CliError(format!(
                "--delay-max-ms: the {} task has a fixed delay",
                fixed_delay_task(task)
            )));
        }
        TaskName::Decision => TaskKind::Decision(decision::DecisionConfig::default()),
        TaskName::Ctx => TaskKind::Ctx(ctx::CtxConfig::default()),
    })
}

/// How a task of fixed delay is named in errors.
fn fixed_delay_task(task: TaskName) -> &'static str {
    match task {
        TaskName::Ctx => "context-dependent",
        _ => "decision",
    }
}

fn output_value(run_outputs: &[f64], outputs: usize) -> serde_json::Value {
    if outputs == 1 {
        serde_json::json!(run_outputs)
    } else {
        serde_json::json!(run_outputs.chunks(outputs).collect::<Vec<_>>())
    }
}

/// The canonical noise-free trials of `task` (see `SimulateArgs::task`), the task they belong to,
/// and how their delay reads in the report.
pub fn canonical_trials(
    task: TaskName,
    delay_ms: Option<f64>,
) -> Result<(TaskKind, Vec<Trial>, String), CliError> {
    if let Some(ms) = delay_ms {
        check_delay("--delay-ms", ms)?;
    }
    let delay = |ms: f64| format!("delay {ms} ms ({} steps)", task::steps_of(ms));
    Ok(match task {
        TaskName::Dms => {
            let ms = delay_ms.unwrap_or(dms::DELAY_MAX_MS);
            (
                TaskKind::Dms(dms::DmsConfig::default()),
                dms::canonical(ms),
                delay(ms),
            )
        }
        TaskName::Pwm => {
            let ms = delay_ms.unwrap_or(pwm::DELAY_MAX_MS);
            (
                TaskKind::Pwm(pwm::PwmConfig::default()),
                pwm::canonical(task::steps_of(ms)),
                delay(ms),
            )
        }
        TaskName::Decision | TaskName::Ctx if delay_ms.is_some() => {
            return Err(CliError(format!(
                "--delay-ms: the {} task has a fixed delay",
                fixed_delay_task(task)
            )));
        }
        TaskName::Decision => (
            TaskKind::Decision(decision::DecisionConfig::default()),
            decision::canonical(),
            format!("fixed delay {} ms", decision::DELAY_MS),
        ),
        // The same stimulus, delay and response as the decision task.
        TaskName::Ctx => (
            TaskKind::Ctx(ctx::CtxConfig::default()),
            ctx::canonical(),
            format!("fixed delay {} ms", decision::DELAY_MS),
        ),
    })
}

/// Whether the trials fit in the memory budget. Full states are never kept (each is projected as
/// the run goes, [`Recording::Latents`]), so a trial holds per step its projection, outputs and
/// their printed form (at most 200 bytes plus 40 a number), and each running trial six N-vectors.
fn check_simulation_budget(net: &Network, trials: &[Trial]) -> Result<(), CliError> {
    let d = net.dims();
    let per_step = 200 + 40 * (d.rank + d.inputs + d.outputs);
    let steps: usize = trials.iter().map(|t| t.steps + 1).sum();
    let needed = budget::bytes(steps, per_step)
        .saturating_add(budget::bytes_of(&[trials.len(), 6, d.neurons], 8));
    budget::check(
        format!(
            "simulating {} trials of {} steps",
            trials.len(),
            steps / trials.len().max(1)
        ),
        needed,
        "use a shorter --delay-ms",
    )?;
    Ok(())
}

pub fn simulate(args: &SimulateArgs, out: &mut dyn Write) -> Result<(), CliError> {
    check_noise(args.noise)?;
    let (kind, trials, delay) = canonical_trials(args.task, args.delay_ms)?;
    let mut net = args.file.network()?;
    check_task_fits(&net, &kind)?;
    if args.svd_axes {
        net = net.svd_reparametrised()?;
    }
    check_simulation_budget(&net, &trials)?;
    let opts = SimOptions {
        noise_std: args.noise,
        seed: args.seed,
        recording: Recording::Latents,
        ..SimOptions::default()
    };
    let inputs: Vec<&[f64]> = trials.iter().map(|t| t.inputs.as_slice()).collect();
    let runs = net.simulate_batch(&inputs, &opts);
    let outputs = net.dims().outputs;
    let report = SimulateReport {
        trials: trials
            .iter()
            .zip(runs)
            .map(|(trial, run)| {
                let projections = run.latents.unwrap_or_default();
                SimulatedTrial {
                    name: trial.name.clone(),
                    decision_mean: trial.decision_mean(&run.outputs),
                    output: output_value(&run.outputs, outputs),
                    correct: trial.is_correct(&run.outputs),
                    max_residual: projections
                        .iter()
                        .map(|p| p.relative_residual)
                        .fold(0.0, f64::max),
                    kappa: projections.into_iter().map(|p| p.kappa).collect(),
                }
            })
            .collect(),
    };
    if args.json {
        writeln!(out, "{}", serde_json::to_string(&report)?)?;
        return Ok(());
    }
    writeln!(
        out,
        "{} canonical {} trials, {delay}, noise {}",
        report.trials.len(),
        kind.name(),
        args.noise
    )?;
    writeln!(
        out,
        "{:<6} {:>14} {:>8} {:>24} {:>14}",
        "trial", "decision mean", "correct", "final kappa", "max residual"
    )?;
    for t in &report.trials {
        let last = t.kappa.last().cloned().unwrap_or_default();
        let kappa = last
            .iter()
            .map(|k| format!("{k:.3}"))
            .collect::<Vec<_>>()
            .join(", ");
        writeln!(
            out,
            "{:<6} {:>14.5} {:>8} {:>24} {:>14.2e}",
            t.name,
            t.decision_mean,
            if t.correct { "yes" } else { "no" },
            format!("[{kappa}]"),
            t.max_residual
        )?;
    }
    writeln!(
        out,
        "(max residual: largest ||h - B c|| / ||h|| of the least-squares projection on [m, I])"
    )?;
    Ok(())
}

/// What `eval --json` prints.
#[derive(Debug, Serialize)]
pub struct EvalReport {
    pub accuracy: f64,
    pub loss: f64,
    pub trials: usize,
    /// For a full-rank file read with `--truncate`: the full network on the same trials, beside
    /// its truncation above.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full_rank: Option<FullRankEval>,
    /// The network noise the trials were run with (said in the text report, not in the JSON).
    #[serde(skip)]
    pub noise: f64,
}

/// A full-rank network's accuracy beside its truncation's.
#[derive(Debug, Serialize)]
pub struct FullRankEval {
    pub accuracy: f64,
    pub loss: f64,
    /// The truncation's rank and the share of `|wrec|_F^2` it keeps.
    pub truncation_rank: usize,
    pub kept: f64,
}

/// The network noise the papers trained `task` with: that of its papers' recipe (MODEL.md 6).
pub fn papers_noise(task: TaskName) -> f64 {
    train::TrainConfig::recipe(task.into(), train::Recipe::Papers).noise_std
}

/// What `eval` runs, checked before any file is read: the random trials' task, how many, their
/// seed and the network noise.
#[derive(Debug, Clone)]
pub struct EvalPlan {
    kind: TaskKind,
    trials: usize,
    seed: u64,
    noise: f64,
}

/// Checks `eval`'s settings: `trials` fresh noisy trials of `task` drawn with `seed`, at network
/// noise `noise` (default: the papers' training noise of the task).
pub fn eval_plan(
    task: TaskName,
    trials: usize,
    seed: u64,
    noise: Option<f64>,
    delay_max_ms: Option<f64>,
) -> Result<EvalPlan, CliError> {
    let noise = noise.unwrap_or_else(|| papers_noise(task));
    check_noise(noise)?;
    let kind = eval_task(task, delay_max_ms)?;
    if trials == 0 || trials > MAX_EVAL_TRIALS {
        return Err(CliError(format!(
            "--trials must be between 1 and {MAX_EVAL_TRIALS}, got {trials}"
        )));
    }
    Ok(EvalPlan {
        kind,
        trials,
        seed,
        noise,
    })
}

impl EvalPlan {
    /// Accuracy and loss of `net` (a low-rank or a full-rank network) on the plan's trials.
    pub fn run(&self, net: &(impl Simulator + ?Sized)) -> Result<EvalReport, CliError> {
        check_task_fits(net, &self.kind)?;
        let e = train::evaluate(net, &self.kind, self.trials, self.noise, self.seed);
        Ok(EvalReport {
            accuracy: e.accuracy,
            loss: e.loss,
            trials: e.trials,
            full_rank: None,
            noise: self.noise,
        })
    }

    /// [`EvalPlan::run`] of a full-rank network's rank-`rank` truncation, with the full
    /// network's own accuracy on the same trials and noise seeds beside it.
    pub fn run_truncated(
        &self,
        full: &FullRankNetwork,
        rank: usize,
    ) -> Result<EvalReport, CliError> {
        let truncation = full.truncated(rank)?;
        let whole = self.run(full)?;
        Ok(EvalReport {
            full_rank: Some(FullRankEval {
                accuracy: whole.accuracy,
                loss: whole.loss,
                truncation_rank: rank,
                kept: truncation.kept,
            }),
            ..self.run(&truncation.network)?
        })
    }
}

pub fn eval(args: &EvalArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let plan = eval_plan(
        args.task,
        args.trials,
        args.seed,
        args.noise,
        args.delay_max_ms,
    )?;
    // A full-rank file is run as it is; with --truncate, its truncation beside it.
    let full_options = ReadOptions {
        truncate: None,
        ..args.file.read.options()
    };
    let opened = io::open_model(&args.file.file, &full_options)?;
    let report = match (&opened.model, args.file.read.truncate) {
        (ModelFile::FullRank(full), None) => plan.run(full.as_ref())?,
        (ModelFile::FullRank(full), Some(rank)) => plan.run_truncated(full, rank)?,
        // --truncate of a file that is not full rank: the reader's own error.
        (_, Some(_)) => plan.run(&args.file.network()?)?,
        (_, None) => {
            super::warn_all(&opened.notes);
            plan.run(&opened.into_network(&args.file.file)?.file.network)?
        }
    };
    if args.json {
        writeln!(out, "{}", serde_json::to_string(&report)?)?;
    } else {
        writeln!(
            out,
            "accuracy {:.4}  loss {:.5}  on {} fresh noisy trials (network noise {}, seed {})",
            report.accuracy, report.loss, report.trials, report.noise, args.seed
        )?;
        if let Some(f) = &report.full_rank {
            writeln!(
                out,
                "(the rank-{} truncation, which keeps {:.2} % of |wrec|^2; the full-rank network: \
                 accuracy {:.4}  loss {:.5} on the same trials)",
                f.truncation_rank,
                100.0 * f.kept,
                f.accuracy,
                f.loss
            )?;
        }
    }
    Ok(())
}
