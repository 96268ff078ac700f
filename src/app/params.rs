//! [`Params`]: everything the user edits, in one plain value.
//!
//! Being `Clone + PartialEq + serde`, this one value is the undo/redo state (egui's `Undoer`), the
//! session file, the state eframe restores on start, and (through [`crate::app::worker`]) the key
//! that decides what the analysis worker recomputes. Big data (a loaded network) is referenced by
//! path and lives outside, in [`crate::app::source::LoadedNetwork`].

use std::path::PathBuf;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::analysis::Rect;
use crate::io::model_json;
use crate::reduced::{ModelParam, PopulationModel, TimeModel, presets};

/// The preset the app opens on (the poster's published DMS network).
pub const DEFAULT_PRESET: &str = "dms_mixture_2pop";

/// The phase-plane rectangle shown first: the memory states of the DMS preset sit at
/// `±(0.18, 0.54)` and input A's limit cycle stays within `|kappa| < 1.2`.
pub const DEFAULT_VIEW: Rect = Rect {
    x_min: -1.2,
    x_max: 1.2,
    y_min: -1.2,
    y_max: 1.2,
};

/// Amplitude of the "A" and "B" inputs of the input selector (the DMS stimuli are 1).
pub const STIMULUS_AMPLITUDE: f64 = 1.0;

/// At most this many click-to-run trajectories are kept (the oldest is dropped).
pub const MAX_TRAJECTORIES: usize = 12;

/// Everything the user edits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Params {
    /// Which system the phase plane shows.
    pub source: Source,
    /// The population model: the analysed system when `source` is [`Source::Population`], the
    /// mean-field overlay of a loaded network otherwise.
    pub population: SerdeModel,
    /// Where the population model came from, for the window title and the session.
    pub population_label: String,
    pub input: Input,
    pub time_model: TimeModel,
    /// The analysed rectangle of the `(kappa_1, kappa_2)` plane (follows pan and zoom).
    pub view: Rect,
    pub display: Display,
    pub trials: TrialSettings,
    pub scrub: Scrub,
    pub bifurcation: BifurcationSettings,
    /// The point the readouts describe.
    pub selection: Option<Selection>,
    /// Starts of the click-to-run trajectories (recomputed live as parameters change).
    pub starts: Vec<TrajectoryStart>,
}

impl Default for Params {
    fn default() -> Self {
        Params::from_preset(DEFAULT_PRESET).unwrap_or_else(|| {
            Params::with_population(
                presets::all()
                    .into_iter()
                    .next()
                    .map(|p| p.model)
                    .expect("at least one embedded preset"),
                "preset",
            )
        })
    }
}

impl Params {
    /// Fresh parameters on a built-in preset (`None` if there is no such preset).
    pub fn from_preset(id: &str) -> Option<Params> {
        presets::get(id).map(|p| Params::with_population(p.model, &p.name))
    }

    /// Fresh parameters on a population model: input none, the ODE (the poster's equations), the
    /// default view.
    pub fn with_population(model: PopulationModel, label: &str) -> Params {
        let inputs = model.dims().inputs;
        Params {
            source: Source::Population,
            population: SerdeModel(model),
            population_label: label.to_string(),
            input: Input::none(inputs),
            time_model: TimeModel::Ode,
            view: DEFAULT_VIEW,
            display: Display::default(),
            trials: TrialSettings::default(),
            scrub: Scrub::default(),
            bifurcation: BifurcationSettings::default(),
            selection: None,
            starts: Vec::new(),
        }
    }

    /// Input channels of the analysed system (the network's when one is shown).
    pub fn input_names(&self, network_inputs: Option<usize>) -> Vec<String> {
        match network_inputs {
            Some(s) => (0..s).map(|k| channel_name(k, s)).collect(),
            None => self.population.0.input_names().to_vec(),
        }
    }

    /// Adds a click-to-run trajectory, dropping the oldest beyond [`MAX_TRAJECTORIES`].
    pub fn add_start(&mut self, start: TrajectoryStart) {
        self.starts.push(start);
        if self.starts.len() > MAX_TRAJECTORIES {
            self.starts.remove(0);
        }
    }
}

/// `A`, `B`, ... for the channels of a network (DMS convention), `I3`.. beyond.
pub fn channel_name(k: usize, count: usize) -> String {
    if count <= 26 {
        char::from(b'A' + k as u8).to_string()
    } else {
        format!("I{}", k + 1)
    }
}

/// The analysed system.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Source {
    /// The population model's mean field (MODEL.md 4).
    #[default]
    Population,
    /// The exact reduction of a network file on its SVD axes (MODEL.md 2-3).
    Network {
        path: PathBuf,
        /// Draw the population model's mean-field landscape over the exact one.
        overlay_mean_field: bool,
    },
}

impl Source {
    pub fn network_path(&self) -> Option<&PathBuf> {
        match self {
            Source::Network { path, .. } => Some(path),
            Source::Population => None,
        }
    }
}

/// A population model in a session: the model file's own JSON, nested.
#[derive(Debug, Clone, PartialEq)]
pub struct SerdeModel(pub PopulationModel);

impl Serialize for SerdeModel {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let value: serde_json::Value = serde_json::from_str(&model_json::to_json_string(&self.0))
            .map_err(serde::ser::Error::custom)?;
        value.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for SerdeModel {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        model_json::from_json_str(&value.to_string(), std::path::Path::new("session"))
            .map(SerdeModel)
            .map_err(serde::de::Error::custom)
    }
}

/// The constant input `v` of the phase plane.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Input {
    pub mode: InputMode,
    /// The custom sliders' values, one per channel (kept while another mode is chosen).
    pub custom: Vec<f64>,
}

/// Which input the phase plane shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputMode {
    None,
    /// Channel `k` at [`STIMULUS_AMPLITUDE`] (A = 0, B = 1).
    Channel(usize),
    Custom,
}

impl Input {
    pub fn none(channels: usize) -> Input {
        Input {
            mode: InputMode::None,
            custom: vec![0.0; channels],
        }
    }

    /// `v`, with `channels` entries (a session for another system is padded or cut).
    pub fn vector(&self, channels: usize) -> Vec<f64> {
        let mut v = vec![0.0; channels];
        match self.mode {
            InputMode::None => {}
            InputMode::Channel(k) => {
                if let Some(x) = v.get_mut(k) {
                    *x = STIMULUS_AMPLITUDE;
                }
            }
            InputMode::Custom => {
                for (x, c) in v.iter_mut().zip(&self.custom) {
                    *x = *c;
                }
            }
        }
        v
    }
}

/// What the phase plane draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Display {
    pub field: bool,
    pub nullclines: bool,
    pub fixed_points: bool,
    pub separatrices: bool,
    pub cycles: bool,
    /// The DMS trial trajectories (reduced, and full-network projections when a network is loaded).
    pub trials: bool,
    /// The loaded network's loadings scatter window.
    pub loadings: bool,
}

impl Default for Display {
    fn default() -> Self {
        Display {
            field: true,
            nullclines: true,
            fixed_points: true,
            separatrices: true,
            cycles: true,
            trials: true,
            loadings: false,
        }
    }
}

/// The DMS trials simulated for the trials and time-series panels.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TrialSettings {
    /// Network noise (`sigma = 0.05`) and input noise (`0.03`), as in training.
    pub noise: bool,
    pub seed: u64,
    pub delay_ms: f64,
    /// Which of AA, AB, BA, BB are drawn.
    pub shown: [bool; 4],
}

impl Default for TrialSettings {
    fn default() -> Self {
        TrialSettings {
            noise: false,
            seed: 1,
            delay_ms: 1000.0,
            shown: [true; 4],
        }
    }
}

/// The epoch scrubber: a time within one trial.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Scrub {
    /// While on, the phase plane's input is the trial's (filtered) input at `step`, so the
    /// landscape morphs as the trial unfolds.
    pub follow: bool,
    /// Index into AA, AB, BA, BB.
    pub trial: usize,
    pub step: usize,
}

impl Default for Scrub {
    fn default() -> Self {
        Scrub {
            follow: false,
            trial: 1,
            step: 0,
        }
    }
}

/// The bifurcation panel's parameter and range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BifurcationSettings {
    pub enabled: bool,
    pub parameter: BifurcationParam,
    pub range: [f64; 2],
    /// The plotted coordinate: 0 for `kappa_1`, 1 for `kappa_2`.
    pub axis: usize,
}

impl Default for BifurcationSettings {
    fn default() -> Self {
        BifurcationSettings {
            enabled: true,
            parameter: BifurcationParam::InputAmplitude { channel: 0 },
            range: [0.0, 1.5],
            axis: 1,
        }
    }
}

/// A continuation parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BifurcationParam {
    /// The amplitude of one input channel, the others held at the current input.
    InputAmplitude { channel: usize },
    /// A named scalar of the population model (`p1.cov(n2,m1)`, `p2.gain`, `p1.fraction`).
    Model { name: ModelParam },
}

/// The selected point of the readouts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Selection {
    pub point: [f64; 2],
    /// Follow the nearest fixed point as the landscape changes (set when a fixed point is clicked).
    pub fixed_point: bool,
}

/// A click-to-run trajectory.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrajectoryStart {
    pub point: [f64; 2],
    pub backward: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_params_open_the_dms_preset_without_input() {
        let p = Params::default();
        assert_eq!(p.population.0.input_names(), ["A", "B"]);
        assert_eq!(p.input.vector(2), vec![0.0, 0.0]);
        assert_eq!(p.source, Source::Population);
    }

    #[test]
    fn params_round_trip_through_json() {
        let mut p = Params::default();
        p.input.mode = InputMode::Channel(0);
        p.bifurcation.parameter = BifurcationParam::Model {
            name: "p1.cov(n2,m1)".parse().unwrap(),
        };
        p.starts.push(TrajectoryStart {
            point: [0.1, -0.2],
            backward: true,
        });
        let json = serde_json::to_string(&p).unwrap();
        let back: Params = serde_json::from_str(&json).unwrap();
        assert_eq!(back, p);
    }

    #[test]
    fn input_vector_fits_the_channel_count() {
        let input = Input {
            mode: InputMode::Custom,
            custom: vec![0.5, 0.25],
        };
        assert_eq!(input.vector(3), vec![0.5, 0.25, 0.0]);
        assert_eq!(input.vector(1), vec![0.5]);
        let a = Input {
            mode: InputMode::Channel(4),
            custom: vec![],
        };
        assert_eq!(a.vector(2), vec![0.0, 0.0], "a missing channel is ignored");
    }
}
