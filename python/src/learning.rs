//! Making networks and models: `train` (BPTT with the papers' recipe, MODEL.md 6), `fit` (a
//! Gaussian mixture of a network's loadings, MODEL.md 5) and `resample` (a network drawn from a
//! population model). Ctrl-C stops `train` and `fit` as it stops the CLI's: training keeps the
//! best network so far.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use lowrank::cli::fit::{FitArgs, PopulationsArg, check_resample_size, fit_json, fit_options};
use lowrank::cli::output::PrecisionArg;
use lowrank::cli::train::{RecipeName, Summary, TrainArgs, build_config, check_eval_trials};
use lowrank::cli::{FileArg, TaskName};
use lowrank::fit::{LoadingBlocks, fit_network, gmm, populations, resample_network};
use lowrank::train::{self as core_train, TrainTask};
use pyo3::prelude::*;

use crate::objects::{Network, PopulationModel};
use crate::{Error, choice, cli_error, error, report, to_json_text};

/// How often a long job's caller looks for Ctrl-C.
const SIGNAL_POLL: Duration = Duration::from_millis(100);

/// Runs `job` on a thread of its own with the GIL released; meanwhile the calling thread checks
/// Python's signals every [`SIGNAL_POLL`], and a Ctrl-C (KeyboardInterrupt) sets `cancel`, which
/// the job polls to stop early with what it has.
fn interruptible<T: Send>(
    py: Python<'_>,
    cancel: &AtomicBool,
    job: impl FnOnce() -> T + Send,
) -> T {
    std::thread::scope(|s| {
        let handle = s.spawn(job);
        while !handle.is_finished() {
            py.detach(|| std::thread::sleep(SIGNAL_POLL));
            if py.check_signals().is_err() {
                cancel.store(true, Ordering::SeqCst);
            }
        }
        handle
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// `config=` as the CLI's `--config` takes it: a dictionary (as JSON), or a file path or JSON text.
fn config_text(config: Option<&Bound<'_, PyAny>>) -> PyResult<Option<String>> {
    config
        .map(|c| match c.extract::<String>() {
            Ok(text) => Ok(text),
            Err(_) => to_json_text(c),
        })
        .transpose()
}

/// Trains a network on `task` by backpropagation through time, as `lowrank-explorer train`: the
/// papers' recipe (or `recipe="fast"`), overridden by `config` (a dictionary of `TrainConfig`
/// fields, or a JSON file's path), then by `n`, `rank`, `epochs_per_stage` and `batch_size`; then a
/// final evaluation on `eval_trials` fresh noisy trials. Returns the network, whose `meta` is the
/// CLI's training summary (`train --json`). Reproducible bit for bit from `seed`.
#[pyfunction]
#[pyo3(signature = (task="dms", n=None, rank=None, seed=0, config=None, recipe="papers", epochs_per_stage=None, batch_size=None, eval_trials=1000))]
#[allow(clippy::too_many_arguments)]
pub fn train(
    py: Python<'_>,
    task: &str,
    n: Option<usize>,
    rank: Option<usize>,
    seed: u64,
    config: Option<&Bound<'_, PyAny>>,
    recipe: &str,
    epochs_per_stage: Option<usize>,
    batch_size: Option<usize>,
    eval_trials: usize,
) -> PyResult<Network> {
    let args = TrainArgs {
        task: choice::<TaskName>("task", task)?,
        recipe: choice::<RecipeName>("recipe", recipe)?,
        n,
        rank,
        seed,
        out: PathBuf::new(),
        epochs_per_stage,
        batch_size,
        config: config_text(config)?,
        threads: None,
        eval_trials,
        json: false,
        print_config: false,
        // Unused: the network is returned, not written.
        precision: PrecisionArg::F64,
    };
    let task = TrainTask::from(args.task);
    let config = build_config(&args, task).map_err(cli_error)?;
    check_eval_trials(eval_trials).map_err(cli_error)?;
    let cancel = AtomicBool::new(false);
    let clock = Instant::now();
    let (outcome, evaluation) = interruptible(py, &cancel, || {
        let outcome = core_train::train(task, &config, seed, &cancel, &mut |_| {})?;
        let evaluation = core_train::evaluate(
            &outcome.network,
            &task.eval_kind(),
            eval_trials,
            config.noise_std,
            seed,
        );
        Ok::<_, core_train::TrainError>((outcome, evaluation))
    })
    .map_err(error)?;
    let command = format!(
        "lowrank_explorer.train(task={:?}, n={}, rank={}, seed={seed}, config={}, recipe={recipe:?}, eval_trials={eval_trials})",
        task.eval_kind().name(),
        config.neurons,
        config.rank,
        args.config
            .as_deref()
            .map_or("None".into(), |c| format!("{c:?}")),
    );
    let meta = Summary {
        command: &command,
        task,
        seed,
        threads: rayon::current_num_threads(),
        interrupted: outcome.interrupted,
        stages: &outcome.stages,
        final_evaluation: evaluation,
        wall_seconds: clock.elapsed().as_secs_f64(),
        config: &config,
        created_by: format!(
            "lowrank-explorer {} python train",
            env!("CARGO_PKG_VERSION")
        ),
    }
    .meta()
    .map_err(cli_error)?;
    Ok(Network::new(outcome.network, Some(meta)))
}

/// The populations of `fit=`: a number or `"auto"`.
#[derive(FromPyObject)]
pub enum Populations {
    Count(usize),
    Text(String),
}

/// Fits a zero-mean Gaussian mixture to the network's loadings, as `lowrank-explorer fit`:
/// `populations` a number or `"auto"` (BIC among 1..=`max_populations`); `loadings` as
/// `--loadings` (`"all"` or e.g. `"n,m,I"`; default `n,m,I` for a DMS-shaped network). Returns the
/// population model and the CLI's `fit --json` report `{"populations": [{"weight", "count",
/// "cov"}], "log_likelihood", "bic"}`.
#[pyfunction]
#[pyo3(signature = (network, populations, seed=0, restarts=gmm::DEFAULT_RESTARTS, max_populations=populations::DEFAULT_MAX_POPULATIONS, loadings=None, no_svd=false, tol=gmm::DEFAULT_TOL, max_iter=gmm::DEFAULT_MAX_ITER))]
#[allow(clippy::too_many_arguments)]
pub fn fit<'py>(
    py: Python<'py>,
    network: &Bound<'py, Network>,
    populations: Populations,
    seed: u64,
    restarts: usize,
    max_populations: usize,
    loadings: Option<&str>,
    no_svd: bool,
    tol: f64,
    max_iter: usize,
) -> PyResult<(PopulationModel, Bound<'py, PyAny>)> {
    let populations: PopulationsArg = match populations {
        Populations::Count(p) => p.to_string(),
        Populations::Text(s) => s,
    }
    .parse()
    .map_err(|e| Error::new_err(format!("populations: {e}")))?;
    let loadings = loadings
        .map(|l| l.parse::<LoadingBlocks>())
        .transpose()
        .map_err(|e| Error::new_err(format!("loadings: {e}")))?;
    let args = FitArgs {
        file: FileArg {
            file: PathBuf::from("<python>"),
            read: Default::default(),
        },
        populations,
        max_populations,
        restarts,
        seed,
        no_svd,
        loadings,
        tol,
        max_iter,
        out: None,
        json: false,
        threads: None,
    };
    let opts = fit_options(&args);
    let file = network.get().file.clone();
    let cancel = AtomicBool::new(false);
    let result =
        interruptible(py, &cancel, || fit_network(&file.network, &opts, &cancel)).map_err(error)?;
    let json = report(py, &fit_json(&result))?;
    let model = PopulationModel {
        model: result.model,
        name: "fit".into(),
    };
    Ok((model, json))
}

/// Draws a network of `n` neurons from a population model with `seed`, as `lowrank-explorer
/// resample` (on the model's axes).
#[pyfunction]
#[pyo3(signature = (model, n, seed=0))]
pub fn resample(
    py: Python<'_>,
    model: &Bound<'_, PopulationModel>,
    n: usize,
    seed: u64,
) -> PyResult<Network> {
    check_resample_size(n).map_err(cli_error)?;
    let model = &model.get().model;
    let net = py
        .detach(|| resample_network(model, n, seed))
        .map_err(error)?;
    Ok(Network::new(net, None))
}
