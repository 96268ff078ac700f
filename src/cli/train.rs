//! `train`: BPTT with the papers' recipe (MODEL.md 6), a progress bar, Ctrl-C that keeps the best
//! network so far, and a per-stage summary.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use super::output::{self, PrecisionArg};
use super::{CliError, TaskName, signals};
use crate::io;
use crate::train::{
    self, Evaluation, Progress, Recipe, StageReport, TrainConfig, TrainOutcome, TrainTask,
};

#[derive(Debug, clap::Args)]
pub struct TrainArgs {
    #[arg(long, value_enum, default_value = "dms")]
    pub task: TaskName,
    /// Which settings to start from (--config and the flags below then override them).
    #[arg(long, value_enum, default_value = "papers")]
    pub recipe: RecipeName,
    /// Number of neurons N (default: the recipe's, 512).
    #[arg(long)]
    pub n: Option<usize>,
    /// Rank of the connectivity (default: the task's, 2 for DMS and PWM, 1 for decision and ctx).
    #[arg(long)]
    pub rank: Option<usize>,
    /// Seed of everything random: initialisation, trials, shuffles, network noise, final evaluation.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Where to write the trained network, in the format its extension names: .json (the project's,
    /// every f64 and the metadata), .pt (PyTorch state dict, `torch.load(weights_only=True)`),
    /// .npz (NumPy arrays) or .safetensors (tensors and the metadata); atomically.
    #[arg(long)]
    pub out: PathBuf,
    /// How .pt, .npz and .safetensors store values (JSON keeps every f64): float32 as the
    /// papers' code, exact for a network read from a float32 file (a note on stderr says what
    /// else it rounds), or float64.
    #[arg(long, value_enum, default_value = "f32")]
    pub precision: PrecisionArg,
    /// Epochs of every stage (default: the recipe's; papers: DMS 100, 50, 40, decision 20, PWM 100,
    /// ctx 100; fast: DMS and decision 20, PWM 100, ctx 40).
    #[arg(long)]
    pub epochs_per_stage: Option<usize>,
    /// Trials per mini-batch of every stage (default: the recipe's, 32, and 128 in the papers' last
    /// DMS stage).
    #[arg(long)]
    pub batch_size: Option<usize>,
    /// Fields overriding the recipe's (see `train::TrainConfig`, and --print-config for all of
    /// them): a JSON object such as '{"neurons": 256, "init": {"wo_std": 2}}', or the path of a
    /// file holding one (an argument that starts with `{` is the object itself).
    #[arg(long)]
    pub config: Option<String>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Fresh noisy trials of the final evaluation.
    #[arg(long, default_value_t = 1000)]
    pub eval_trials: usize,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
    /// Print the effective training config (the task's recipe with --config and the flags applied)
    /// as JSON, a template for --config, and exit without training.
    #[arg(long)]
    pub print_config: bool,
}

/// The training settings `--recipe` starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RecipeName {
    /// The papers' training scripts (the default; see above).
    Papers,
    /// This project's quicker settings. decision: lr 1e-2, clipping 1, early stop at loss 0.05 and
    /// the DMS initialisation (wo ~ N(0, 1), n = 2 m + N(0, 1)), about 4 times faster; dms: 20
    /// epochs a stage, clipping 1 and batch 32 in the last (the shipped network's settings,
    /// assets/networks/README.md; as quick as the papers'); pwm: the papers' recipe; ctx: lr 3e-2,
    /// clipping 1, 40 epochs, early stop at loss 0.05, wi, si, m, n, so trained, the DMS
    /// initialisation (about a second, against 7.5 s).
    Fast,
}

impl From<RecipeName> for Recipe {
    fn from(r: RecipeName) -> Self {
        match r {
            RecipeName::Papers => Recipe::Papers,
            RecipeName::Fast => Recipe::Fast,
        }
    }
}

/// Largest thread count accepted.
const MAX_THREADS: usize = 1024;
/// Largest config file read, in bytes.
const MAX_CONFIG_BYTES: u64 = 1 << 20;

impl From<TaskName> for TrainTask {
    fn from(t: TaskName) -> Self {
        match t {
            TaskName::Dms => TrainTask::Dms,
            TaskName::Decision => TrainTask::Decision,
            TaskName::Pwm => TrainTask::Pwm,
            TaskName::Ctx => TrainTask::Ctx,
        }
    }
}

/// A pool of `--threads` workers (default: all cores), with its size.
pub(super) fn thread_pool(threads: Option<usize>) -> Result<(rayon::ThreadPool, usize), CliError> {
    let threads = match threads {
        Some(t) if t == 0 || t > MAX_THREADS => {
            return Err(CliError(format!(
                "--threads must be between 1 and {MAX_THREADS}, got {t}"
            )));
        }
        Some(t) => t,
        None => rayon::current_num_threads(),
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| CliError(format!("cannot start {threads} threads: {e}")))?;
    Ok((pool, threads))
}

/// The recipe of the task, overridden by `--config`, then by the flags.
pub fn build_config(args: &TrainArgs, task: TrainTask) -> Result<TrainConfig, CliError> {
    let recipe = Recipe::from(args.recipe);
    let mut config = match &args.config {
        None => TrainConfig::recipe(task, recipe),
        Some(config) => {
            let (source, overrides) = read_config(config)?;
            TrainConfig::recipe_with(task, recipe, overrides)
                .map_err(|e| CliError(format!("{source}: {e}")))?
        }
    };
    if let Some(n) = args.n {
        config.neurons = n;
    }
    if let Some(r) = args.rank {
        config.rank = r;
    }
    if let Some(b) = args.batch_size {
        config.batch_size = b;
        config.stages.iter_mut().for_each(|s| s.batch_size = None);
    }
    if let Some(e) = args.epochs_per_stage {
        config.stages.iter_mut().for_each(|s| s.epochs = e);
    }
    config.validate(task)?;
    Ok(config)
}

/// `--config`: the JSON object itself when the argument starts with `{`, else the file at that
/// path; with a name for error messages.
fn read_config(arg: &str) -> Result<(String, serde_json::Value), CliError> {
    if arg.trim_start().starts_with('{') {
        let source = "--config".to_string();
        let value = serde_json::from_str(arg).map_err(|e| CliError(format!("{source}: {e}")))?;
        return Ok((source, value));
    }
    let path = Path::new(arg);
    let source = path.display().to_string();
    let err = |e: &dyn std::fmt::Display| CliError(format!("{source}: {e}"));
    let len = std::fs::metadata(path).map_err(|e| err(&e))?.len();
    if len > MAX_CONFIG_BYTES {
        return Err(err(&format!(
            "a training config is a small JSON object; this file has {len} bytes"
        )));
    }
    let text = std::fs::read_to_string(path).map_err(|e| err(&e))?;
    let value = serde_json::from_str(&text).map_err(|e| err(&e))?;
    Ok((source, value))
}

/// Fails early (before hours of training) if the output cannot be written where asked: a
/// temporary file is created beside the real target (through links) and removed.
pub(super) fn check_out(path: &Path) -> Result<(), CliError> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if path.file_name().is_none() || path.is_dir() {
        return Err(CliError(format!(
            "--out {} is not a file path",
            path.display()
        )));
    }
    if !parent.is_dir() {
        return Err(CliError(format!(
            "--out {}: folder {} does not exist",
            path.display(),
            parent.display()
        )));
    }
    io::check_writable(path)
        .map_err(|e| CliError(format!("--out {} cannot be written: {e}", path.display())))
}

/// Saves finished work with `save` to `path`; if that fails, to the same name in the system's
/// temporary folder, and says where (the work is never discarded over a failed write).
pub(super) fn save_or_rescue(
    path: &Path,
    what: &str,
    save: impl Fn(&Path) -> Result<(), io::IoError>,
) -> Result<(), CliError> {
    let Err(e) = save(path) else {
        return Ok(());
    };
    let name = path
        .file_name()
        .map_or_else(|| "rescued.json".into(), |n| n.to_os_string());
    let mut rescue = std::env::temp_dir().join(&name);
    if rescue.exists() {
        let mut unique = std::ffi::OsString::from(format!("{}.", std::process::id()));
        unique.push(&name);
        rescue = std::env::temp_dir().join(unique);
    }
    match save(&rescue) {
        Ok(()) => Err(CliError(format!(
            "{e}; the {what} was saved to {} instead",
            rescue.display()
        ))),
        Err(e2) => Err(CliError(format!(
            "{e}; saving the {what} to {} failed too: {e2}",
            rescue.display()
        ))),
    }
}

/// The command that reproduces this run (the effective config is stored next to it in `meta`).
fn command_line(args: &TrainArgs, task: TrainTask, config: &TrainConfig) -> String {
    let mut cmd = format!(
        "lowrank-explorer train --task {} --n {} --rank {} --seed {} --out {}",
        task.eval_kind().name(),
        config.neurons,
        config.rank,
        args.seed,
        args.out.display()
    );
    if args.recipe != RecipeName::Papers {
        cmd += " --recipe fast";
    }
    if args.precision == PrecisionArg::F64 {
        cmd += " --precision f64";
    }
    if let Some(config) = &args.config {
        // An inline object in single quotes, as a shell reads it back.
        if config.trim_start().starts_with('{') {
            cmd += &format!(" --config '{}'", config.replace('\'', r"'\''"));
        } else {
            cmd += &format!(" --config {config}");
        }
    }
    if let Some(e) = args.epochs_per_stage {
        cmd += &format!(" --epochs-per-stage {e}");
    }
    if let Some(b) = args.batch_size {
        cmd += &format!(" --batch-size {b}");
    }
    if let Some(t) = args.threads {
        cmd += &format!(" --threads {t}");
    }
    if args.eval_trials != 1000 {
        cmd += &format!(" --eval-trials {}", args.eval_trials);
    }
    cmd
}

/// Progress bar over all batches of all stages; its message shows stage, epoch, loss and accuracy.
struct Bar {
    bar: ProgressBar,
    stages: usize,
    /// Batches done when each stage ends as planned (so an early stop skips ahead).
    stage_ends: Vec<u64>,
    epochs: Vec<usize>,
}

impl Bar {
    fn new(config: &TrainConfig) -> Self {
        let training = config.trials_per_stage - config.validation_trials;
        let stage_ends: Vec<u64> = config
            .stages
            .iter()
            .scan(0, |end, s| {
                let per_epoch = training.div_ceil(config.stage_batch_size(s)) as u64;
                *end += s.epochs as u64 * per_epoch;
                Some(*end)
            })
            .collect();
        let bar = ProgressBar::new(stage_ends.last().copied().unwrap_or(0));
        bar.set_style(
            ProgressStyle::with_template(
                "[{elapsed_precise}] {bar:30.cyan/blue} {pos}/{len} batches, ETA {eta} | {msg}",
            )
            .expect("valid template"),
        );
        bar.enable_steady_tick(Duration::from_millis(500));
        Self {
            bar,
            stages: config.stages.len(),
            stage_ends,
            epochs: config.stages.iter().map(|s| s.epochs).collect(),
        }
    }

    fn update(&self, p: Progress<'_>) {
        match p {
            Progress::StageStarted { stage, config, .. } => {
                let delay = config
                    .delay_max_ms
                    .map(|d| format!(", delays < {d} ms"))
                    .unwrap_or_default();
                self.bar.set_message(format!(
                    "stage {stage}/{}{delay}, lr {}",
                    self.stages, config.lr
                ));
            }
            Progress::BatchDone { .. } => self.bar.inc(1),
            Progress::EpochDone(e) => self.bar.set_message(format!(
                "stage {}/{} epoch {}/{}: loss {:.4} acc {:.3} (best loss {:.4})",
                e.stage,
                self.stages,
                e.epoch,
                self.epochs[e.stage - 1],
                e.loss,
                e.accuracy,
                e.best_loss
            )),
            Progress::StageDone(r) => self.bar.set_position(self.stage_ends[r.stage - 1]),
        }
    }
}

/// What `train --json` prints, and what the trained network keeps in its `meta`.
#[derive(Debug, Serialize)]
pub struct Summary<'a> {
    /// What reproduces the run (a command line, or the Python call).
    pub command: &'a str,
    pub task: TrainTask,
    pub seed: u64,
    pub threads: usize,
    pub interrupted: bool,
    pub stages: &'a [StageReport],
    /// On `eval_trials` fresh noisy trials at the `eval` defaults, reproducible with
    /// `lowrank-explorer eval OUT --task TASK --seed SEED`.
    pub final_evaluation: Evaluation,
    pub wall_seconds: f64,
    pub config: &'a TrainConfig,
    /// `lowrank-explorer VERSION train` (or `... python train`).
    pub created_by: String,
}

impl Summary<'_> {
    /// The summary as the JSON object stored in the network's `meta`.
    pub fn meta(&self) -> Result<io::Meta, CliError> {
        match serde_json::to_value(self)? {
            serde_json::Value::Object(fields) => Ok(fields),
            _ => Err(CliError(
                "internal error: the training summary is not a JSON object".into(),
            )),
        }
    }
}

/// `--eval-trials` within 1..=[`train::config::MAX_TRIALS`].
pub fn check_eval_trials(trials: usize) -> Result<(), CliError> {
    if trials == 0 || trials > train::config::MAX_TRIALS {
        return Err(CliError(format!(
            "--eval-trials must be between 1 and {}, got {trials}",
            train::config::MAX_TRIALS
        )));
    }
    Ok(())
}

pub fn train(args: &TrainArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let task = TrainTask::from(args.task);
    let config = build_config(args, task)?;
    if args.print_config {
        writeln!(out, "{}", serde_json::to_string_pretty(&config)?)?;
        return Ok(());
    }
    output::check_network_out(&args.out)?;
    check_eval_trials(args.eval_trials)?;
    let (pool, threads) = thread_pool(args.threads)?;
    let graceful = signals::graceful_stop();
    let clock = Instant::now();
    let bar = Bar::new(&config);
    let (outcome, evaluation) = pool.install(|| -> Result<_, CliError> {
        let outcome = train::train(task, &config, args.seed, &signals::INTERRUPTED, &mut |p| {
            bar.update(p)
        })?;
        bar.bar.set_message(format!(
            "final evaluation on {} fresh noisy trials",
            args.eval_trials
        ));
        let evaluation = train::evaluate(
            &outcome.network,
            &task.eval_kind(),
            args.eval_trials,
            config.noise_std,
            args.seed,
        );
        Ok((outcome, evaluation))
    })?;
    bar.bar.finish_and_clear();
    let command = command_line(args, task, &config);
    let summary = Summary {
        command: &command,
        task,
        seed: args.seed,
        threads,
        interrupted: outcome.interrupted,
        stages: &outcome.stages,
        final_evaluation: evaluation,
        wall_seconds: clock.elapsed().as_secs_f64(),
        config: &config,
        created_by: format!("lowrank-explorer {} train", env!("CARGO_PKG_VERSION")),
    };
    let meta = summary.meta()?;
    drop(graceful);
    let file = io::NetworkFile {
        network: outcome.network.clone(),
        meta: Some(meta.clone()),
    };
    save_or_rescue(&args.out, "trained network", |p| {
        output::save_network(&file, p, args.precision)
    })?;
    if args.json {
        writeln!(out, "{}", serde_json::Value::Object(meta))?;
    } else {
        print_summary(out, &summary, &outcome, &args.out)?;
    }
    Ok(())
}

fn print_summary(
    out: &mut dyn Write,
    s: &Summary<'_>,
    outcome: &TrainOutcome,
    path: &Path,
) -> Result<(), CliError> {
    if s.interrupted {
        writeln!(out, "interrupted: kept the best network so far")?;
    }
    writeln!(
        out,
        "{:<6} {:>10} {:>7} {:>10} {:>10} {:>9} {:>9}",
        "stage", "max delay", "epochs", "best loss", "val. loss", "val. acc", "time (s)"
    )?;
    for r in &outcome.stages {
        writeln!(
            out,
            "{:<6} {:>10} {:>7} {:>10} {:>10.5} {:>9.3} {:>9.1}",
            r.stage,
            r.delay_max_ms.map_or("-".into(), |d| format!("{d} ms")),
            format!("{}{}", r.epochs, if r.early_stopped { "*" } else { "" }),
            r.best_loss.map_or("-".into(), |l| format!("{l:.5}")),
            r.validation.loss,
            r.validation.accuracy,
            r.seconds
        )?;
    }
    // The key of the `*` mark, only when a stage carries it.
    if let Some(stop) = s.config.early_stop_loss
        && outcome.stages.iter().any(|r| r.early_stopped)
    {
        writeln!(out, "(* stopped early: epoch loss below {stop})")?;
    }
    writeln!(
        out,
        "final: accuracy {:.4}, loss {:.5} on {} fresh noisy trials (network noise {}); {:.1} s on {} threads",
        s.final_evaluation.accuracy,
        s.final_evaluation.loss,
        s.final_evaluation.trials,
        s.config.noise_std,
        s.wall_seconds,
        s.threads
    )?;
    writeln!(out, "wrote {}", path.display())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finished_work_whose_write_fails_is_saved_in_the_temporary_folder() {
        let wanted = Path::new("/proc/lre-train-test/net.json");
        let written = std::cell::RefCell::new(Vec::new());
        let err = save_or_rescue(wanted, "trained network", |p| {
            if p == wanted {
                return Err(io::IoError {
                    file: p.to_path_buf(),
                    kind: io::IoErrorKind::Format("read-only file system".into()),
                });
            }
            written.borrow_mut().push(p.to_path_buf());
            Ok(())
        })
        .unwrap_err()
        .0;
        let rescued = written.borrow()[0].clone();
        assert!(rescued.starts_with(std::env::temp_dir()), "{rescued:?}");
        assert!(rescued.to_string_lossy().ends_with("net.json"));
        assert!(
            err.contains("read-only file system")
                && err.contains(&format!("was saved to {} instead", rescued.display())),
            "{err}"
        );
        // Both failing: both reasons are said.
        let err = save_or_rescue(wanted, "trained network", |p| {
            Err(io::IoError {
                file: p.to_path_buf(),
                kind: io::IoErrorKind::Format("disk full".into()),
            })
        })
        .unwrap_err()
        .0;
        assert!(err.contains("failed too"), "{err}");
    }
}
