//! The network's discrete-time engine (MODEL.md 1): the canonical `trials` of a task, `simulate`
//! of any inputs, and `evaluate` on fresh noisy trials, all through the core's batch runner.

use lowrank::budget;
use lowrank::cli::TaskName;
use lowrank::cli::simulate::{canonical_trials, check_noise, eval_plan};
use lowrank::network::{Recording, SimOptions};
use numpy::{AllowTypeChange, PyArrayLike3, PyUntypedArrayMethods};
use pyo3::prelude::*;

use crate::arrays::shaped;
use crate::objects::Network;
use crate::{Error, choice, cli_error, error, report};

/// The canonical noise-free trials of `task` that `lowrank-explorer simulate --task TASK` runs:
/// their names and their inputs `(B, T, S)`. `delay_ms` as the CLI's `--delay-ms` (default: the
/// task's longest).
#[pyfunction]
#[pyo3(signature = (task="dms", delay_ms=None))]
pub fn trials<'py>(
    py: Python<'py>,
    task: &str,
    delay_ms: Option<f64>,
) -> PyResult<(Vec<String>, Bound<'py, PyAny>)> {
    let (kind, trials, _) =
        canonical_trials(choice::<TaskName>("task", task)?, delay_ms).map_err(cli_error)?;
    let steps = trials.first().map_or(0, |t| t.steps);
    if trials.iter().any(|t| t.steps != steps) {
        return Err(Error::new_err(format!(
            "the canonical {} trials differ in length: they do not fit one (B, T, S) array",
            kind.name()
        )));
    }
    let names = trials.iter().map(|t| t.name.clone()).collect();
    let values: Vec<f64> = trials
        .iter()
        .flat_map(|t| t.inputs.iter().copied())
        .collect();
    let inputs = shaped(py, values, &[trials.len(), steps, kind.inputs()])?;
    Ok((names, inputs))
}

/// Runs trials through the network: `inputs (B, T, S)` gives `outputs (B, T, O)`, with `z_t` read
/// after update `t`, and `trajectories (B, T + 1, N)`, the states `h_0 .. h_T` (`None` with
/// `states=False`, which keeps only the outputs: B (T + 1) N fewer numbers to hold).
///
/// The core's batch runner, as the CLI's `simulate`: trial `k` draws its network noise (std
/// `noise`, outside alpha) from `trial_seed(seed, k)`, so a batch gives the same numbers whichever
/// thread runs which trial. The GIL is released while the trials run.
#[pyfunction]
#[pyo3(signature = (network, inputs, noise=0.0, seed=0, states=true))]
pub fn simulate<'py>(
    py: Python<'py>,
    network: &Bound<'py, Network>,
    inputs: PyArrayLike3<'py, f64, AllowTypeChange>,
    noise: f64,
    seed: u64,
    states: bool,
) -> PyResult<(Bound<'py, PyAny>, Option<Bound<'py, PyAny>>)> {
    check_noise(noise).map_err(cli_error)?;
    let network = network.get().file.clone();
    let net = &network.network;
    let d = net.dims();
    let [batch, steps, channels] = <[usize; 3]>::try_from(inputs.shape()).map_err(error)?;
    if channels != d.inputs {
        return Err(Error::new_err(format!(
            "inputs have shape ({batch}, {steps}, {channels}): this network has {} input channel(s), \
             so the last axis must have length {}",
            d.inputs, d.inputs
        )));
    }
    let held = if states {
        budget::bytes_of(&[batch, steps + 1, d.neurons], 8)
    } else {
        0
    };
    budget::check(
        format!("simulating {batch} trials of {steps} steps with their states"),
        held.saturating_add(budget::bytes_of(&[batch, steps, d.outputs], 8)),
        "pass states=False, or fewer or shorter trials",
    )
    .map_err(error)?;
    let view = inputs.as_array();
    let rows: Vec<Vec<f64>> = view
        .outer_iter()
        .map(|t| t.iter().copied().collect())
        .collect();
    let opts = SimOptions {
        noise_std: noise,
        seed,
        recording: if states {
            Recording::States
        } else {
            Recording::OutputsOnly
        },
        ..SimOptions::default()
    };
    let (outputs, trajectories) = py.detach(|| {
        let runs = net.simulate_batch(&rows, &opts);
        let outputs: Vec<f64> = runs
            .iter()
            .flat_map(|r| r.outputs.iter().copied())
            .collect();
        // One buffer for all trials, handed to NumPy without a further copy.
        let trajectories = states.then(|| {
            let mut all = Vec::with_capacity(batch * (steps + 1) * d.neurons);
            for r in &runs {
                all.extend_from_slice(r.states.as_deref().unwrap_or_default());
            }
            all
        });
        (outputs, trajectories)
    });
    let outputs = shaped(py, outputs, &[batch, steps, d.outputs])?;
    let trajectories = trajectories
        .map(|t| shaped(py, t, &[batch, steps + 1, d.neurons]))
        .transpose()?;
    Ok((outputs, trajectories))
}

/// Accuracy and loss on `trials` fresh noisy trials of `task`, as `lowrank-explorer eval --json`:
/// `{"accuracy", "loss", "trials"}`. `noise` defaults to the papers' training noise of the task
/// (0.05 for DMS, decision and ctx, 0.005 for PWM); `delay_max_ms` as `--delay-max-ms`.
#[pyfunction]
#[pyo3(signature = (network, task="dms", trials=1000, seed=0, noise=None, delay_max_ms=None))]
pub fn evaluate<'py>(
    py: Python<'py>,
    network: &Bound<'py, Network>,
    task: &str,
    trials: usize,
    seed: u64,
    noise: Option<f64>,
    delay_max_ms: Option<f64>,
) -> PyResult<Bound<'py, PyAny>> {
    let plan = eval_plan(
        choice::<TaskName>("task", task)?,
        trials,
        seed,
        noise,
        delay_max_ms,
    )
    .map_err(cli_error)?;
    let file = network.get().file.clone();
    let result = py.detach(|| plan.run(&file.network)).map_err(cli_error)?;
    report(py, &result)
}
