//! One open model and everything that belongs to it: what it is ([`Source`] and the core
//! [`Model`]), the user's edits ([`Edits`]: undoable, saved in sessions), the view ([`ViewState`]:
//! pan, zoom, selection, playback, display; never an undo step), its own undo [`History`], and
//! the worker's results for it. Opening another model replaces the whole document, so no
//! trajectory, readout, fit or undo step of one model can reach the next.

use crate::reduced::plane::PlaneAxes;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use crate::analysis::Rect;
use crate::analysis::landscape::FIELD_GRID;
use crate::app::fitting::FittedNetwork;
use crate::app::history::History;
use crate::app::worker::Results;
use crate::model::{Model, NetworkSource, ParamSpec, STEP_DOMAIN, TrialSettings};
use crate::reduced::{PopulationModel, TimeModel, presets};
use crate::scene::{Layers, Plane, Scene, trajectories};

/// The preset the app opens on (the poster's published DMS network).
pub const DEFAULT_PRESET: &str = "dms_mixture_2pop";

/// Amplitude of the "A" and "B" inputs of the input selector (the DMS stimuli are 1).
pub const STIMULUS_AMPLITUDE: f64 = 1.0;

/// At most this many click-to-run trajectories are kept (the oldest is dropped).
pub const MAX_TRAJECTORIES: usize = 12;

/// How long a click-to-run trajectory runs at first, in units of `tau`: several periods of the
/// DMS mixture's cycle under input A (11.5 `tau`).
pub const TRAJECTORY_TAU: f64 = 40.0;
/// The range of the setting, in units of `tau` (the map runs `duration / alpha` steps).
pub const TRAJECTORY_TAU_RANGE: [f64; 2] = [0.5, 5000.0];
/// The range of the flow field's samples per side.
pub const FIELD_DENSITY_RANGE: [usize; 2] = [6, 96];

/// What the document analyses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Source {
    /// The mean field (MODEL.md 4) of the edited population model.
    Population,
    /// The exact reduction (MODEL.md 3) of a network, with the population model as its
    /// mean-field overlay.
    Network { network: NetworkSource },
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

/// The bifurcation panel's parameter and range, and whether it continues limit cycles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BifurcationSettings {
    pub enabled: bool,
    pub parameter: ParamSpec,
    pub range: [f64; 2],
    /// Sessions saved before cycle branches existed have them on.
    #[serde(default = "yes")]
    pub cycles: bool,
    /// The second parameter of the two-parameter diagram, shown instead of the one-parameter
    /// diagram when set (the first is `parameter`, on the horizontal axis).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub second: Option<SecondParameter>,
}

/// The vertical axis of the two-parameter diagram.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecondParameter {
    pub parameter: ParamSpec,
    pub range: [f64; 2],
    /// Name the regions by what the phase plane holds (sampled in the background).
    #[serde(default = "yes")]
    pub regions: bool,
}

fn yes() -> bool {
    true
}

/// Everything the user edits about the model: the undo steps and the body of a session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Edits {
    /// The analysed model ([`Source::Population`]) or a network's mean-field overlay.
    #[serde(with = "crate::io::model_json::nested")]
    pub population: PopulationModel,
    /// Where the population model came from, for titles.
    pub population_label: String,
    pub input: Input,
    pub time_model: TimeModel,
    pub trials: TrialSettings,
    pub bifurcation: BifurcationSettings,
    /// The plane shown (MODEL.md 8); `None`: the model's first plane
    /// ([`Model::default_plane`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plane: Option<PlaneAxes>,
}

/// The point the readouts describe.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Selection {
    pub point: [f64; 2],
    /// Follow the nearest fixed point as the landscape changes (set when a fixed point is clicked).
    pub fixed_point: bool,
}

/// A click-to-run trajectory's start.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrajectoryStart {
    pub point: [f64; 2],
    pub backward: bool,
}

/// What the time-series panel plots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SeriesShows {
    /// The DMS trials (time in ms).
    #[default]
    Trials,
    /// The click-to-run trajectories (time in units of `tau`).
    Trajectories,
}

/// The epoch scrubber: a time within one trial.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Scrub {
    /// While on, the phase plane's input is the trial's (filtered) input at `step`, so the
    /// landscape morphs as the trial unfolds.
    pub follow: bool,
    /// Index into AA, AB, BA, BB.
    pub trial: usize,
    pub step: usize,
    /// The trial is being played (its trajectory is emphasised).
    pub playing: bool,
}

impl Default for Scrub {
    fn default() -> Self {
        Scrub {
            follow: false,
            trial: 2,
            step: 0,
            playing: false,
        }
    }
}

/// How the document is looked at: never an undo step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ViewState {
    /// The rectangle of the `(kappa_1, kappa_2)` plane asked for (pan, zoom, framing); the plot
    /// shows it widened to its aspect.
    #[serde(skip)]
    pub rect: Option<Rect>,
    /// What the plot shows: `rect` widened to the plot's aspect (the view the worker samples).
    #[serde(skip)]
    pub shown: Option<Rect>,
    /// Frame the view to the model's fixed points, cycles and trials once they are known.
    #[serde(skip)]
    pub frame_pending: bool,
    pub layers: Layers,
    /// Draw the population model's mean field over a network's exact landscape.
    pub overlay_mean_field: bool,
    /// The loadings scatter window.
    pub loadings: bool,
    /// Which of AA, AB, BA, BB are drawn.
    pub shown_trials: [bool; 4],
    /// Flow-field samples per side of the view ([`FIELD_DENSITY_RANGE`]).
    pub field_density: usize,
    /// How long click-to-run trajectories run, in units of `tau` ([`TRAJECTORY_TAU_RANGE`]).
    pub trajectory_tau: f64,
    /// What the time-series panel plots.
    #[serde(skip)]
    pub series: SeriesShows,
    #[serde(skip)]
    pub selection: Option<Selection>,
    #[serde(skip)]
    pub starts: Vec<TrajectoryStart>,
    #[serde(skip)]
    pub scrub: Scrub,
    /// The bifurcation diagram's plotted coordinate: 0 for `kappa_1`, 1 for `kappa_2`.
    pub bifurcation_axis: usize,
    /// Each slider's range as the user set it, by parameter name (kept in sessions).
    pub ranges: BTreeMap<String, [f64; 2]>,
}

impl Default for ViewState {
    fn default() -> Self {
        ViewState {
            rect: None,
            shown: None,
            frame_pending: true,
            // The explorer shows the eigenvectors of saddles and nodes, as pplane does.
            layers: Layers {
                eigenvectors: true,
                ..Layers::default()
            },
            overlay_mean_field: false,
            loadings: false,
            shown_trials: [true; 4],
            field_density: FIELD_GRID,
            trajectory_tau: TRAJECTORY_TAU,
            series: SeriesShows::Trials,
            selection: None,
            starts: Vec::new(),
            scrub: Scrub::default(),
            bifurcation_axis: 1,
            ranges: BTreeMap::new(),
        }
    }
}

impl ViewState {
    /// Adds a click-to-run trajectory, dropping the oldest beyond [`MAX_TRAJECTORIES`]; the
    /// time series turn to the trajectories.
    pub fn add_start(&mut self, start: TrajectoryStart) {
        self.starts.push(start);
        if self.starts.len() > MAX_TRAJECTORIES {
            self.starts.remove(0);
        }
        self.series = SeriesShows::Trajectories;
    }

    /// Removes the click-to-run trajectories; the time series turn back to the trials.
    pub fn clear_starts(&mut self) {
        self.starts.clear();
        self.series = SeriesShows::Trials;
    }

    /// The field density and the trajectories' duration within their ranges: a session file
    /// may hold anything.
    pub fn clamp_settings(&mut self) {
        let [lo, hi] = FIELD_DENSITY_RANGE;
        self.field_density = self.field_density.clamp(lo, hi);
        let [lo, hi] = TRAJECTORY_TAU_RANGE;
        self.trajectory_tau = if self.trajectory_tau.is_finite() {
            self.trajectory_tau.clamp(lo, hi)
        } else {
            TRAJECTORY_TAU
        };
    }
}

/// Identifies a document in the worker's requests and results.
fn next_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// One open model.
pub struct Document {
    pub id: u64,
    pub source: Source,
    /// The network's model ([`Source::Network`]), loaded once.
    network: Option<Arc<Model>>,
    /// The population model's [`Model`], rebuilt when the edits change it.
    population: Arc<Model>,
    pub edits: Edits,
    pub view: ViewState,
    history: History<Edits>,
    /// The edits as opened, for "reset".
    origin: Edits,
    pub results: Results,
    /// The last population fit of the network (labels for the loadings scatter).
    pub fit: Option<Arc<FittedNetwork>>,
}

impl Document {
    /// A document on a population model.
    pub fn population(model: PopulationModel, label: &str) -> Document {
        let edits = Edits::fresh(model, label, None);
        Document::new(Source::Population, None, edits, ViewState::default())
    }

    /// A document on a built-in population preset (`None` if there is no such preset).
    pub fn preset(id: &str) -> Option<Document> {
        presets::get(id).map(|p| Document::population(p.model, &p.name))
    }

    /// A document on a loaded network, with `overlay` as its population model (the model it was
    /// drawn from, or the default preset), shown as the trained Euler map.
    pub fn network(network: Arc<Model>, overlay: PopulationModel, label: &str) -> Document {
        let Some(source) = network.network().map(|n| n.source.clone()) else {
            return Document::population(overlay, label);
        };
        let edits = Edits::fresh(overlay, label, Some(&network));
        Document::new(
            Source::Network { network: source },
            Some(network),
            edits,
            ViewState::default(),
        )
    }

    /// A document as a session saved it (the network already loaded for a network session).
    pub fn restored(
        source: Source,
        network: Option<Arc<Model>>,
        edits: Edits,
        view: ViewState,
    ) -> Document {
        let source = match (&source, &network) {
            (Source::Network { .. }, None) => Source::Population,
            _ => source,
        };
        let mut doc = Document::new(source, network, edits, view);
        doc.view.frame_pending = true;
        doc.repair();
        doc
    }

    fn new(source: Source, network: Option<Arc<Model>>, edits: Edits, view: ViewState) -> Document {
        Document {
            id: next_id(),
            source,
            population: Arc::new(Model::from_population(
                edits.population.clone(),
                &edits.population_label,
            )),
            network,
            history: History::new(edits.clone()),
            origin: edits.clone(),
            edits,
            view,
            results: Results::default(),
            fit: None,
        }
    }

    /// The analysed model: the network, or the edited population model.
    pub fn model(&self) -> &Arc<Model> {
        self.network.as_ref().unwrap_or(&self.population)
    }

    /// The population model as a [`Model`] (the analysed one, or a network's overlay).
    pub fn population_model(&self) -> &Arc<Model> {
        &self.population
    }

    /// The mean-field overlay, when it is on and fits the network (same rank and inputs).
    pub fn overlay(&self) -> Option<&Arc<Model>> {
        let net = self.network.as_ref()?;
        (self.view.overlay_mean_field && self.overlay_fits(net)).then_some(&self.population)
    }

    /// Whether the population model has the network's rank and inputs.
    pub fn overlay_fits(&self, net: &Model) -> bool {
        let (a, b) = (net.dims(), self.population.dims());
        (a.rank, a.inputs) == (b.rank, b.inputs)
    }

    /// The plane shown: the edited one if it fits the model, else the model's first. A model
    /// without a plane (rank 1 without inputs) gets an input plane whose landscape says so.
    pub fn plane(&self) -> PlaneAxes {
        let model = self.model();
        let d = model.dims();
        self.edits
            .plane
            .clone()
            .filter(|a| a.check(d.rank, d.inputs).is_ok())
            .or_else(|| model.default_plane().ok())
            .unwrap_or(PlaneAxes::Input { channel: 0 })
    }

    /// The input `v` the edits set, one value per channel of the analysed model.
    pub fn input(&self) -> Vec<f64> {
        self.edits.input.vector(self.model().dims().inputs)
    }

    /// Sets one parameter of the diagram's catalogue, as its slider would: an input amplitude
    /// switches the input to custom values (the others as they are now), a population
    /// parameter edits the population model. A refused value is the error.
    pub fn set_parameter(&mut self, param: &ParamSpec, value: f64) -> Result<(), String> {
        match param {
            ParamSpec::Input(name) => {
                let k = self.model().channel(name)?;
                let mut v = self.input();
                v[k] = value;
                self.edits.input = Input {
                    mode: InputMode::Custom,
                    custom: v,
                };
                Ok(())
            }
            ParamSpec::Model(p) => p
                .set(&mut self.edits.population, value)
                .map_err(|e| format!("{param} refused: {e}")),
            ParamSpec::Step => {
                let (lo, hi) = STEP_DOMAIN;
                match self.edits.time_model {
                    TimeModel::Map { .. } if (lo..=hi).contains(&value) => {
                        self.edits.time_model = TimeModel::Map { alpha: value };
                        Ok(())
                    }
                    TimeModel::Map { .. } => Err(format!(
                        "map α = {value} refused: the step takes values in [{lo}, {hi}]"
                    )),
                    TimeModel::Ode => {
                        Err("map α: the ODE has no step; choose the Euler map".into())
                    }
                }
            }
        }
    }

    /// Takes this frame's edits: rebuilds the population model if they changed it, keeps the
    /// bifurcation parameter valid, and records a finished edit in the history.
    pub fn after_frame(&mut self, editing: bool) {
        if self.population.population() != Some(&self.edits.population) {
            self.population = Arc::new(Model::from_population(
                self.edits.population.clone(),
                &self.edits.population_label,
            ));
        }
        self.repair();
        self.history.observe(&self.edits, editing);
    }

    /// A bifurcation parameter this model does not have (after a fit changed the populations,
    /// or from a session of another model) goes back to the first input's amplitude.
    fn repair(&mut self) {
        let model = self.model().clone();
        let is_map = matches!(self.edits.time_model, TimeModel::Map { .. });
        let b = &mut self.edits.bifurcation;
        if (!model.has_parameter(&b.parameter) || b.parameter == ParamSpec::Step)
            && let Some(p) = model.default_parameter()
        {
            b.range = model.continuation_range(&p);
            b.parameter = p;
        }
        // The map's step is an axis of the map's plane only.
        if let Some(s) = b.second.as_mut()
            && (!model.has_parameter(&s.parameter) || (s.parameter == ParamSpec::Step && !is_map))
            && let Some(p) = model.second_parameter(&b.parameter)
        {
            s.range = model.continuation_range(&p);
            s.parameter = p;
        }
    }

    pub fn undo(&mut self) {
        if let Some(e) = self.history.undo(&self.edits) {
            self.edits = e;
        }
    }

    pub fn redo(&mut self) {
        if let Some(e) = self.history.redo(&self.edits) {
            self.edits = e;
        }
    }

    pub fn has_undo(&self) -> bool {
        self.history.has_undo(&self.edits)
    }

    pub fn has_redo(&self) -> bool {
        self.history.has_redo(&self.edits)
    }

    /// Back to the edits as opened (itself an undoable step).
    pub fn reset(&mut self) {
        self.edits = self.origin.clone();
    }

    /// Makes `model` the population model (an undoable edit).
    pub fn set_population(&mut self, model: PopulationModel, label: String) {
        self.edits.population = model;
        self.edits.population_label = label;
    }

    /// What is shown, for titles: the network's or the population model's title.
    pub fn title(&self) -> String {
        self.model().title()
    }

    /// The scene the view shows and the exports write: the landscape in the visible rectangle,
    /// the mean-field overlay, the shown trials (the one being played emphasised) and the click
    /// trajectories, with the layers switched on. `None` until a landscape and its view exist.
    pub fn scene(&self) -> Option<Scene> {
        let r = &self.results;
        let plane = Plane {
            landscape: r.landscape.clone()?,
            view: r.view.clone()?,
        };
        let view = &self.view;
        let mut overlays = Vec::new();
        if view.layers.trials
            && let Some(set) = &r.trials
        {
            let scrub = &view.scrub;
            let active = (scrub.playing || scrub.follow).then_some(scrub.trial);
            overlays.extend(trajectories::trials(
                set,
                &view.shown_trials,
                active,
                &self.plane(),
            ));
        }
        let last = r.trajectories.len().saturating_sub(1);
        overlays.extend(
            r.trajectories.iter().enumerate().map(|(k, t)| {
                trajectories::user_trajectory(t.points(), t.start.backward, k == last)
            }),
        );
        Some(Scene {
            title: self.title(),
            axes: self.plane().symbols(&self.model().input_names()),
            input_names: self.model().input_names(),
            mean_field: r.overlay.as_ref().map(|o| o.plane.clone()),
            overlays,
            layers: view.layers,
            plane,
        })
    }
}

impl Edits {
    /// Fresh edits on `population`: input none; the ODE (the poster's equations) for a population
    /// model, the trained Euler map for a network (MODEL.md 1); the bifurcation diagram in the
    /// first input's amplitude.
    pub fn fresh(population: PopulationModel, label: &str, network: Option<&Model>) -> Edits {
        let analysed = match network {
            Some(n) => n.clone(),
            None => Model::from_population(population.clone(), label),
        };
        let parameter = analysed
            .default_parameter()
            .unwrap_or_else(|| ParamSpec::Input("A".into()));
        Edits {
            input: Input::none(analysed.dims().inputs),
            time_model: if network.is_some() {
                TimeModel::TRAINED_MAP
            } else {
                TimeModel::Ode
            },
            trials: TrialSettings::default(),
            bifurcation: BifurcationSettings {
                enabled: true,
                range: analysed.continuation_range(&parameter),
                parameter,
                cycles: true,
                second: None,
            },
            plane: None,
            population,
            population_label: label.to_string(),
        }
    }
}

/// The default preset's population model and name.
pub fn default_population() -> (PopulationModel, String) {
    let p = presets::get(DEFAULT_PRESET)
        .or_else(|| presets::all().into_iter().next())
        .expect("at least one embedded preset");
    (p.model, p.name)
}

impl Default for Document {
    fn default() -> Self {
        let (model, name) = default_population();
        Document::population(model, &name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_document_opens_the_dms_preset_without_input() {
        let doc = Document::default();
        assert_eq!(doc.model().input_names(), ["A", "B"]);
        assert_eq!(doc.input(), vec![0.0, 0.0]);
        assert_eq!(doc.source, Source::Population);
        assert_eq!(
            doc.edits.bifurcation.parameter,
            ParamSpec::Input("A".into())
        );
        assert!(doc.view.frame_pending);
        assert!(!doc.has_undo());
    }

    #[test]
    fn setting_a_parameter_from_the_diagram_is_what_its_slider_sets() {
        let mut doc = Document::default();
        doc.edits.input.mode = InputMode::Channel(1);
        doc.set_parameter(&ParamSpec::Input("A".into()), 0.7)
            .unwrap();
        assert_eq!(doc.input(), vec![0.7, STIMULUS_AMPLITUDE]);
        let p: ParamSpec = "p1.cov(n2,m1)".parse().unwrap();
        doc.set_parameter(&p, 1.25).unwrap();
        doc.after_frame(false);
        assert_eq!(
            doc.model()
                .parameter_value(&p, &doc.input(), TimeModel::Ode),
            Ok(1.25)
        );
        let fraction: ParamSpec = "p1.fraction".parse().unwrap();
        assert!(
            doc.set_parameter(&fraction, 7.0)
                .unwrap_err()
                .contains("p1.fraction")
        );
        assert!(
            doc.set_parameter(&ParamSpec::Input("Z".into()), 1.0)
                .is_err()
        );
    }

    #[test]
    fn edits_round_trip_through_json() {
        let mut e = Document::default().edits;
        e.input.mode = InputMode::Channel(0);
        e.bifurcation.parameter = "p1.cov(n2,m1)".parse().unwrap();
        let json = serde_json::to_string(&e).unwrap();
        let back: Edits = serde_json::from_str(&json).unwrap();
        assert_eq!(back, e);
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

    #[test]
    fn a_parameter_the_model_lost_goes_back_to_the_first_input() {
        let mut doc = Document::default();
        doc.edits.bifurcation.parameter = "p2.cov(n1,m1)".parse().unwrap();
        doc.after_frame(false);
        assert_eq!(doc.edits.bifurcation.parameter.to_string(), "p2.cov(n1,m1)");
        // A one-population model has no population 2.
        let two = presets::get(DEFAULT_PRESET).unwrap().model;
        let mut only = two.populations()[0].clone();
        only.fraction = 1.0;
        let single =
            PopulationModel::new(two.dims(), two.input_names().to_vec(), vec![only]).unwrap();
        doc.set_population(single, "one".into());
        doc.after_frame(false);
        assert_eq!(
            doc.edits.bifurcation.parameter,
            ParamSpec::Input("A".into())
        );
        assert_eq!(doc.edits.bifurcation.range, [0.0, 1.5]);
    }
}
