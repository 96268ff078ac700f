//! The four canonical trials of the model's task (MODEL.md 6) run on a [`Model`]: DMS's AA, AB, BA,
//! BB for two input channels, the context-dependent decision's for four. The reduced
//! system driven by each trial's input ([`reduced_trial`]) and, for a network, the full network's
//! own Euler map projected on the latent axes (MODEL.md 2). Drawn together they show that the
//! phase plane explains the network. The explorer's trials panel and `render --trials` both run
//! them here.

use std::time::Instant;

use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::Model;
use crate::analysis::trial::{LatentTrajectory, reduced_trial};
use crate::network::{ALPHA, PUBLISHED_NOISE_STD, Recording, SimOptions};
use crate::reduced::TimeModel;
use crate::task::{Trial, add_noise, ctx, dms};

/// How the trials are run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TrialSettings {
    /// Network noise (`sigma = 0.05`) and the task's input noise (DMS 0.03, ctx 0.1 on the
    /// sensory channels), as in training.
    pub noise: bool,
    pub seed: u64,
    /// The DMS delay (the context-dependent task's is fixed).
    pub delay_ms: f64,
}

impl Default for TrialSettings {
    fn default() -> Self {
        TrialSettings {
            noise: false,
            seed: 1,
            delay_ms: 1000.0,
        }
    }
}

impl TrialSettings {
    /// The trials of a figure: noise-free, with the longest delay of the task.
    pub fn figure() -> Self {
        TrialSettings {
            noise: false,
            seed: 0,
            delay_ms: dms::DELAY_MAX_MS,
        }
    }
}

/// Why the trials cannot be run.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum TrialsError {
    #[error(
        "the canonical trials are those of DMS ({} input channels: A, B) or of the context-dependent decision ({}: 2 sensory, 2 contexts); this model has {inputs}",
        dms::INPUTS,
        ctx::INPUTS
    )]
    Inputs { inputs: usize },
}

/// Whether a model of `inputs` channels has canonical trials (DMS or context-dependent).
pub fn has_trials(inputs: usize) -> bool {
    inputs == dms::INPUTS || inputs == ctx::INPUTS
}

/// Adds a task's input noise to one trial.
type InputNoise = fn(&mut Trial, &mut StdRng);

/// The noise-free canonical trials for a model of `inputs` channels (DMS with a delay of
/// `delay_ms`, clamped to the task's range, or the context-dependent task's), and the task's input
/// noise.
fn canonical_trials(inputs: usize, delay_ms: f64) -> Result<(Vec<Trial>, InputNoise), TrialsError> {
    match inputs {
        dms::INPUTS => Ok((
            dms::canonical(delay_ms.clamp(0.0, dms::DELAY_MAX_MS)),
            |t, rng| add_noise(&mut t.inputs, dms::INPUT_NOISE_STD, rng),
        )),
        ctx::INPUTS => Ok((ctx::canonical(), |t, rng| {
            ctx::add_sensory_noise(t, ctx::CtxConfig::default().input_noise_std, rng)
        })),
        inputs => Err(TrialsError::Inputs { inputs }),
    }
}

/// One canonical trial: its inputs, the reduced system's latent path, and for a network the projected
/// full-network path.
#[derive(Debug, Clone)]
pub struct TrialRun {
    pub trial: Trial,
    /// The reduced system driven by the same inputs from the same start, `t = 0..=T`.
    pub reduced: LatentTrajectory,
    /// Readout of the reduced system at each state `t = 0..=T`.
    pub reduced_z: Vec<f64>,
    pub network: Option<NetworkRun>,
}

/// A full-network trial projected on the latent axes (MODEL.md 2).
#[derive(Debug, Clone)]
pub struct NetworkRun {
    /// `kappa_t`, `t = 0..=T` (length R each).
    pub kappa: Vec<Vec<f64>>,
    /// `v_t`, the states' input coordinates (length S each): with `kappa_t` the whole state
    /// `x = m kappa + I v` (MODEL.md 2), so a rank-1 trial is drawn on its `(v_s, kappa)` plane.
    pub v: Vec<Vec<f64>>,
    /// `||h - B c|| / ||h||` per state: how far the network leaves the latent subspace.
    pub relative_residual: Vec<f64>,
    /// `z_t` read after update `t` (MODEL.md 1), so `z[t]` belongs to state `t + 1`.
    pub z: Vec<f64>,
}

/// The four canonical trials with how they were run.
#[derive(Debug, Clone)]
pub struct TrialSet {
    pub settings: TrialSettings,
    /// The reduced trajectories' time model.
    pub time_model: TimeModel,
    /// The Euler step the full network ran with, if there is a network: the map's own step for
    /// the map (so the two agree), the trained `alpha = 0.2` for the ODE.
    pub network_alpha: Option<f64>,
    pub runs: Vec<TrialRun>,
    pub millis: f64,
}

impl TrialSet {
    /// The filtered input `v_t` the phase plane shows while it follows trial `k` at `step`.
    pub fn input_at(&self, k: usize, step: usize) -> Option<Vec<f64>> {
        let v = &self.runs.get(k)?.reduced.v;
        v.get(step.min(v.len().checked_sub(1)?)).cloned()
    }

    /// Number of states of trial `k` (`T + 1`).
    pub fn states(&self, k: usize) -> usize {
        self.runs.get(k).map_or(0, |r| r.reduced.kappa.len())
    }

    /// Whether the full network ran with another step than the trained one (the map's `alpha`
    /// was changed): then it is not the trained network's own dynamics.
    pub fn network_off_trained_step(&self) -> bool {
        self.network_alpha.is_some_and(|a| a != ALPHA)
    }
}

impl Model {
    /// Runs the four canonical trials of the model's task (AA, AB, BA, BB of DMS for 2 inputs,
    /// the context-dependent ones for 4; MODEL.md 6) with `settings`: the reduced system under `time_model`
    /// from the projection of the network's `h0` (a population model from `kappa = 0`), and for a
    /// network the full network itself, its Euler map at the map's step (ODE: the trained step),
    /// noise as set, projected on the model's latent axes.
    pub fn canonical_trials(
        &self,
        time_model: TimeModel,
        settings: &TrialSettings,
    ) -> Result<TrialSet, TrialsError> {
        let t0 = Instant::now();
        let dims = self.dims();
        let (mut trials, input_noise) = canonical_trials(dims.inputs, settings.delay_ms)?;
        let mut rng = StdRng::seed_from_u64(settings.seed);
        if settings.noise {
            for t in trials.iter_mut() {
                input_noise(t, &mut rng);
            }
        }
        let network_alpha = self.network().map(|_| match time_model {
            TimeModel::Map { alpha } => alpha,
            TimeModel::Ode => ALPHA,
        });
        let (kappa0, v0) = match self.network() {
            Some(n) => {
                let p = n.projector.project(n.network.h0().as_slice());
                (p.kappa, p.v)
            }
            None => (vec![0.0; dims.rank], vec![0.0; dims.inputs]),
        };
        let network_runs: Vec<Option<NetworkRun>> = match (self.network(), network_alpha) {
            (Some(n), Some(alpha)) => {
                let opts = SimOptions {
                    alpha,
                    noise_std: if settings.noise {
                        PUBLISHED_NOISE_STD
                    } else {
                        0.0
                    },
                    seed: settings.seed,
                    recording: Recording::Latents,
                };
                let all: Vec<&[f64]> = trials.iter().map(|t| t.inputs.as_slice()).collect();
                let outputs = dims.outputs.max(1);
                n.network
                    .simulate_batch(&all, &opts)
                    .into_iter()
                    .map(|run| {
                        let projected = run.latents.unwrap_or_default();
                        Some(NetworkRun {
                            relative_residual: projected
                                .iter()
                                .map(|p| p.relative_residual)
                                .collect(),
                            v: projected.iter().map(|p| p.v.clone()).collect(),
                            kappa: projected.into_iter().map(|p| p.kappa).collect(),
                            z: run.outputs.iter().step_by(outputs).copied().collect(),
                        })
                    })
                    .collect()
            }
            _ => vec![None; trials.len()],
        };
        let runs = trials
            .into_iter()
            .zip(network_runs)
            .map(|(trial, network)| {
                let reduced = reduced_trial(
                    self.system(),
                    time_model,
                    ALPHA,
                    &trial.inputs,
                    &kappa0,
                    &v0,
                );
                let reduced_z = reduced
                    .kappa
                    .iter()
                    .zip(&reduced.v)
                    .map(|(k, v)| self.readout(k, v).unwrap_or(f64::NAN))
                    .collect();
                TrialRun {
                    trial,
                    reduced,
                    reduced_z,
                    network,
                }
            })
            .collect();
        Ok(TrialSet {
            settings: *settings,
            time_model,
            network_alpha,
            runs,
            millis: t0.elapsed().as_secs_f64() * 1e3,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testing::random_network_model;

    #[test]
    fn the_network_and_its_exact_map_coincide_at_any_step_of_the_map() {
        let model = random_network_model(200, 2, 5);
        for alpha in [ALPHA, 0.1] {
            let set = model
                .canonical_trials(TimeModel::Map { alpha }, &TrialSettings::figure())
                .unwrap();
            assert_eq!(set.network_alpha, Some(alpha));
            assert_eq!(set.network_off_trained_step(), alpha != ALPHA);
            let steps = dms::trial_steps(crate::task::steps_of(dms::DELAY_MAX_MS));
            assert_eq!(set.runs.len(), 4);
            for run in &set.runs {
                let net = run.network.as_ref().unwrap();
                assert_eq!(net.kappa.len(), steps + 1);
                assert_eq!(run.reduced.kappa.len(), steps + 1);
                for (a, b) in net.kappa.iter().zip(&run.reduced.kappa) {
                    assert!((a[0] - b[0]).abs() < 1e-9 && (a[1] - b[1]).abs() < 1e-9);
                }
            }
        }
        // The ODE's reduced trajectories are not the network's Euler map: the network runs at the
        // trained step.
        let ode = model
            .canonical_trials(TimeModel::Ode, &TrialSettings::figure())
            .unwrap();
        assert_eq!(ode.network_alpha, Some(ALPHA));
    }

    #[test]
    fn mean_field_trials_start_at_the_origin_and_models_of_other_shapes_are_refused() {
        let model = Model::preset("dms_mixture_2pop").unwrap();
        let set = model
            .canonical_trials(TimeModel::Ode, &TrialSettings::default())
            .unwrap();
        let names: Vec<&str> = set.runs.iter().map(|r| r.trial.name.as_str()).collect();
        assert_eq!(names, dms::TRIAL_TYPES);
        assert!(set.network_alpha.is_none());
        assert!(
            set.runs
                .iter()
                .all(|r| r.network.is_none() && r.reduced.kappa[0] == [0.0, 0.0])
        );
        let err = random_network_model(50, 1, 1)
            .canonical_trials(TimeModel::Ode, &TrialSettings::default())
            .unwrap_err();
        assert!(err.to_string().contains("this model has 1"), "{err}");
    }

    #[test]
    fn a_four_input_model_runs_the_context_dependent_trials_exactly() {
        // Rank 1, as the papers' networks of this task.
        let net = crate::reduced::testing::random_network(150, 1, 4, true, 8);
        let source = super::super::NetworkSource::file("ctx.json");
        let model = Model::from_network(net, super::super::Axes::Svd, source).unwrap();
        assert!(has_trials(4) && has_trials(2) && !has_trials(1) && !has_trials(3));
        let set = model
            .canonical_trials(TimeModel::TRAINED_MAP, &TrialSettings::default())
            .unwrap();
        assert_eq!(set.runs.len(), 4);
        for (run, want) in set.runs.iter().zip(ctx::canonical()) {
            assert_eq!(run.trial, want, "noise-free: the task's own trials");
            let net = run.network.as_ref().unwrap();
            assert_eq!(net.kappa.len(), ctx::trial_steps() + 1);
            // The exact reduction's map is the network's own (MODEL.md 2-3).
            for (a, b) in net.kappa.iter().zip(&run.reduced.kappa) {
                assert_eq!(a.len(), 1);
                assert!((a[0] - b[0]).abs() < 1e-9, "{a:?} vs {b:?}");
            }
        }
        // With noise, only the sensory channels (0, 1) are perturbed.
        let noisy = model
            .canonical_trials(
                TimeModel::TRAINED_MAP,
                &TrialSettings {
                    noise: true,
                    ..TrialSettings::default()
                },
            )
            .unwrap();
        for (run, clean) in noisy.runs.iter().zip(&set.runs) {
            let (a, b) = (&run.trial.inputs, &clean.trial.inputs);
            assert!(
                (0..ctx::trial_steps()).all(|t| a[4 * t + 2..4 * t + 4] == b[4 * t + 2..4 * t + 4])
            );
            assert!(
                (0..ctx::trial_steps())
                    .all(|t| a[4 * t] != b[4 * t] && a[4 * t + 1] != b[4 * t + 1])
            );
        }
    }
}
