//! What a user opens: a trained network (analysed through its exact reduction, MODEL.md 3) or a
//! population model (through its mean field, MODEL.md 4), with everything both share — named
//! inputs ([`inputs`]), named parameters and their families ([`params`]), the DMS trials
//! ([`trials`]) and a bifurcation diagram in any parameter. The CLI's `analyze`, `continue` and
//! `render` and the explorer all go through this one type, so a file means the same thing
//! everywhere.

pub mod inputs;
pub mod params;
pub mod trials;

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

use crate::analysis::Rect;
use crate::analysis::continuation::{BifurcationDiagram, ContinuationOptions, diagram};
use crate::analysis::cycle_branch::{
    Cancel, CycleBranch, CycleBranchOptions, cycle_branches, seeds_at,
};
use crate::analysis::regions::{Regions, regions};
use crate::analysis::two_parameter::{
    TwoParameterDiagram, TwoParameterOptions, two_parameter_diagram,
};
use crate::examples;
use crate::io::{self, IoError, ModelFile, NetworkFile, NetworkRead, ReadOptions};
use crate::network::{Network, NetworkError, Projector};
use crate::reduced::plane::{PlaneAxes, PlaneSystem};
use crate::reduced::{
    EffectiveConnectivity, ExactReduction, MeanField, ModelDims, Population, PopulationModel,
    ReducedSystem, TimeModel, presets,
};
use crate::text::channel_letter;

pub use inputs::{InputSpec, parse_finite_list};
pub use params::{ParamGroup, ParamSpec, STEP_DOMAIN, STEP_SLIDER};
pub use trials::{NetworkRun, TrialRun, TrialSet, TrialSettings, TrialsError};

/// The latent axes of a network (MODEL.md 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Axes {
    /// The orthogonal SVD axes with our sign convention (the papers' plots; the default).
    #[default]
    Svd,
    /// The network's own `m` as stored (a network drawn from a population model keeps the
    /// model's axes, so that the model's mean field is drawn on the same axes).
    Raw,
}

/// Whether `value` is its type's default (left out of sessions, so older sessions read the same).
fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

/// Where a network comes from: enough to open the same network again (sessions restore it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NetworkSource {
    /// A file (`.pt`, `.npz`, JSON), or a built-in example named `builtin:<id>`, read with
    /// `options` (MODEL.md 7: scaling, truncation); on its SVD axes.
    File {
        path: PathBuf,
        #[serde(default, skip_serializing_if = "is_default")]
        options: ReadOptions,
    },
    /// `neurons` neurons drawn from a population model with `seed` (MODEL.md 5), on the model's
    /// axes.
    Drawn {
        #[serde(with = "crate::io::model_json::nested")]
        model: PopulationModel,
        /// The model's name, for titles.
        label: String,
        neurons: usize,
        seed: u64,
    },
}

impl NetworkSource {
    /// A file read with the default options.
    pub fn file(path: impl Into<PathBuf>) -> Self {
        NetworkSource::File {
            path: path.into(),
            options: ReadOptions::default(),
        }
    }

    /// Loads (or draws) the network on its axes.
    pub fn open(&self) -> Result<Model, String> {
        match self {
            NetworkSource::File { path, options } => {
                let read = match examples::from_path(path) {
                    Some(example) => NetworkRead {
                        file: NetworkFile {
                            network: example?.network()?,
                            meta: None,
                        },
                        populations: None,
                        notes: Vec::new(),
                    },
                    None => io::open_network(path, options).map_err(|e| e.to_string())?,
                };
                Model::from_read(read, Axes::Svd, self.clone())
                    .map_err(|e| format!("{}: {e}", path.display()))
            }
            NetworkSource::Drawn {
                model,
                neurons,
                seed,
                ..
            } => {
                let network = crate::fit::resample_network(model, *neurons, *seed)
                    .map_err(|e| e.to_string())?;
                Model::from_network(network, Axes::Raw, self.clone()).map_err(|e| e.to_string())
            }
        }
    }

    /// The short name: a file's name, an example's id, or what a network was drawn from.
    pub fn name(&self) -> String {
        match self {
            NetworkSource::File { path, .. } => path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            ),
            NetworkSource::Drawn { label, seed, .. } => format!("drawn from {label} (seed {seed})"),
        }
    }
}

/// A network with its exact reduction, on chosen axes.
#[derive(Debug, Clone)]
pub struct NetworkModel {
    /// On [`NetworkModel::axes`].
    pub network: Arc<Network>,
    pub axes: Axes,
    pub source: NetworkSource,
    pub exact: Arc<ExactReduction>,
    /// Projects full-network states on the latent axes (MODEL.md 2).
    pub projector: Arc<Projector>,
    /// The population model the file parametrises (a `SupportLowRankRNN`, MODEL.md 7), on the
    /// network's own axes.
    pub file_populations: Option<PopulationModel>,
    /// What the reader noticed (MODEL.md 7): a truncation's share, a doubtful scaling.
    pub notes: Vec<String>,
    loadings: OnceLock<Arc<DMatrix<f64>>>,
}

impl NetworkModel {
    /// Each neuron's loadings on these axes, `(m, n, I, w)` in MODEL.md 4 order (the population
    /// fit's data and the loadings scatter), computed on first use.
    pub fn loadings(&self) -> Arc<DMatrix<f64>> {
        self.loadings
            .get_or_init(|| {
                // The axes are already the chosen ones: no further re-parametrisation.
                Arc::new(
                    crate::fit::loadings(&self.network, false)
                        .unwrap_or_else(|_| DMatrix::zeros(0, 0)),
                )
            })
            .clone()
    }
}

/// `model`, whose loadings are those of `from`, on the latent axes of `to` (the same network with
/// `m' = m Q`, `n' = n Q^{-T}`, as the SVD re-parametrisation of MODEL.md 2 gives): each
/// neuron's loadings map as `(m, n, I, w) -> (Q^T m, Q^{-1} n, I, w)`, so the means map by that
/// matrix `T` and the covariances as `T Sigma T^T`. `Q` and `Q^{-T}` are the least-squares
/// solutions `m Q = m'`, `n P = n'`; `None` if `m` or `n` is rank-deficient.
fn populations_on_axes(
    model: &PopulationModel,
    from: &Network,
    to: &Network,
) -> Option<PopulationModel> {
    let solve = |a: &DMatrix<f64>, b: &DMatrix<f64>| {
        (a.transpose() * a)
            .cholesky()
            .map(|c| c.solve(&(a.transpose() * b)))
    };
    let q = solve(from.m(), to.m())?;
    let p = solve(from.n(), to.n())?;
    let d = model.dims();
    let r = d.rank;
    let mut t = DMatrix::identity(d.loadings(), d.loadings());
    t.view_mut((0, 0), (r, r)).copy_from(&q.transpose());
    t.view_mut((r, r), (r, r)).copy_from(&p.transpose());
    let populations = model
        .populations()
        .iter()
        .map(|pop| Population {
            mean: &t * &pop.mean,
            cov: &t * &pop.cov * t.transpose(),
            ..pop.clone()
        })
        .collect();
    PopulationModel::new(d, model.input_names().to_vec(), populations)
        .ok()
        .map(|m| m.with_meta(model.meta().clone()))
}

/// A population model with its mean field.
#[derive(Debug, Clone)]
pub struct PopulationView {
    pub model: PopulationModel,
    pub mean_field: Arc<MeanField>,
    /// What the model is called (a preset's name, a file's name, "fit of ...").
    pub name: String,
}

/// What is analysed: a network or a population model, with its reduced system built once.
#[derive(Debug, Clone)]
pub enum Model {
    Network(NetworkModel),
    Population(PopulationView),
}

/// Why `id` names no preset, with the names that exist.
pub fn no_preset(id: &str) -> String {
    format!(
        "no preset named {id:?}; the presets are: {}",
        presets::ids()
            .chain(examples::ids())
            .collect::<Vec<_>>()
            .join(", ")
    )
}

impl Model {
    /// Loads a network (`.pt`, `.npz`, JSON) or a population model (JSON), told apart by content.
    pub fn load(path: &Path, axes: Axes) -> Result<Model, IoError> {
        Model::open(path, axes, &ReadOptions::default())
    }

    /// [`Model::load`] with the reader's options (MODEL.md 7): a `SupportLowRankRNN` file is its
    /// network, or with `populations` its population model; a full-rank file needs `truncate`.
    pub fn open(path: &Path, axes: Axes, options: &ReadOptions) -> Result<Model, IoError> {
        let source = NetworkSource::File {
            path: path.to_path_buf(),
            options: *options,
        };
        let opened = io::open_model(path, options)?;
        if let ModelFile::Population(model) = opened.model {
            return Ok(Model::from_population(model, &source.name()));
        }
        let read = opened.into_network(path)?;
        Model::from_read(read, axes, source).map_err(|e| IoError {
            file: path.to_path_buf(),
            kind: e.into(),
        })
    }

    /// A network as read, with its notes and file populations, on `axes` (the populations moved
    /// to the same axes: [`populations_on_axes`]).
    fn from_read(
        read: NetworkRead,
        axes: Axes,
        source: NetworkSource,
    ) -> Result<Model, NetworkError> {
        let raw = read.file.network;
        let mut model = Model::from_network(raw.clone(), axes, source)?;
        if let Model::Network(n) = &mut model {
            n.notes = read.notes;
            n.file_populations = read
                .populations
                .and_then(|p| populations_on_axes(&p, &raw, &n.network));
        }
        Ok(model)
    }

    /// An embedded preset by id: a population model ([`presets::ids`]) or an example network
    /// ([`examples::ids`], on its SVD axes).
    pub fn preset(id: &str) -> Result<Model, String> {
        if let Some(p) = presets::get(id) {
            return Ok(Model::from_population(p.model, &p.name));
        }
        match examples::get(id) {
            Some(e) => NetworkSource::file(PathBuf::from(e.path())).open(),
            None => Err(no_preset(id)),
        }
    }

    /// Wraps a network, re-parametrised to `axes`.
    pub fn from_network(
        network: Network,
        axes: Axes,
        source: NetworkSource,
    ) -> Result<Model, NetworkError> {
        let network = match axes {
            Axes::Svd => network.svd_reparametrised()?,
            Axes::Raw => network,
        };
        Ok(Model::Network(NetworkModel {
            exact: Arc::new(ExactReduction::new(&network)),
            projector: Arc::new(Projector::new(&network)),
            network: Arc::new(network),
            axes,
            source,
            file_populations: None,
            notes: Vec::new(),
            loadings: OnceLock::new(),
        }))
    }

    /// Wraps a population model called `name`.
    pub fn from_population(model: PopulationModel, name: &str) -> Model {
        Model::Population(PopulationView {
            mean_field: Arc::new(MeanField::new(&model)),
            model,
            name: name.to_string(),
        })
    }

    /// The reduced system: the exact reduction of a network, the mean field of a model.
    pub fn system(&self) -> &dyn ReducedSystem {
        match self {
            Model::Network(n) => n.exact.as_ref(),
            Model::Population(p) => p.mean_field.as_ref(),
        }
    }

    /// The reduced system, shared (the two-parameter family hands it to every point of its
    /// plane that moves only inputs).
    pub fn shared_system(&self) -> Arc<dyn ReducedSystem> {
        match self {
            Model::Network(n) => n.exact.clone(),
            Model::Population(p) => p.mean_field.clone(),
        }
    }

    /// Rank, inputs and outputs of the reduced system.
    pub fn dims(&self) -> ModelDims {
        match self {
            Model::Network(n) => {
                let d = n.network.dims();
                ModelDims {
                    rank: d.rank,
                    inputs: d.inputs,
                    outputs: d.outputs,
                }
            }
            Model::Population(p) => p.model.dims(),
        }
    }

    /// The network, if this is one.
    pub fn network(&self) -> Option<&NetworkModel> {
        match self {
            Model::Network(n) => Some(n),
            Model::Population(_) => None,
        }
    }

    /// The population model, if this is one.
    pub fn population(&self) -> Option<&PopulationModel> {
        match self {
            Model::Network(_) => None,
            Model::Population(p) => Some(&p.model),
        }
    }

    /// The short name: a file's or preset's name.
    pub fn name(&self) -> String {
        match self {
            Model::Network(n) => n.source.name(),
            Model::Population(p) => p.name.clone(),
        }
    }

    /// What is shown, for titles: `"net.pt (N = 64, rank 2, exact reduction)"` or
    /// `"DMS mixture (mean field)"`.
    pub fn title(&self) -> String {
        match self {
            Model::Network(n) => {
                let d = n.network.dims();
                format!(
                    "{} (N = {}, rank {}, exact reduction)",
                    self.name(),
                    d.neurons,
                    d.rank
                )
            }
            Model::Population(_) => format!("{} (mean field)", self.name()),
        }
    }

    /// One line saying what is analysed and how, for reports.
    pub fn describe(&self) -> String {
        match self {
            Model::Network(n) => {
                let d = n.network.dims();
                format!(
                    "exact reduction of a rank-{} network of N = {} ({} axes)",
                    d.rank,
                    d.neurons,
                    match (n.axes, &n.source) {
                        (Axes::Svd, _) => "SVD",
                        (Axes::Raw, NetworkSource::Drawn { .. }) => "the population model's",
                        (Axes::Raw, NetworkSource::File { .. }) => "raw m",
                    }
                )
            }
            Model::Population(p) => {
                let count = p.model.populations().len();
                format!(
                    "population mean field, rank {}, {}",
                    p.model.dims().rank,
                    crate::text::count(count, "population", "populations")
                )
            }
        }
    }

    /// Names of the input channels: the model's own, or A, B, C, ... for a network (the DMS
    /// convention: A is channel 0, B channel 1).
    pub fn input_names(&self) -> Vec<String> {
        match self {
            Model::Population(p) => p.model.input_names().to_vec(),
            Model::Network(n) => (0..n.network.dims().inputs).map(channel_letter).collect(),
        }
    }

    /// What the analysis adjusts silently unless told (a non-PSD covariance: see
    /// [`PopulationModel::warnings`]); a network has nothing to warn about.
    pub fn warnings(&self) -> Vec<String> {
        match self {
            Model::Network(n) => n.notes.clone(),
            Model::Population(p) => p.model.warnings(),
        }
    }

    /// The plane a phase portrait of this model shows first (MODEL.md 8): `(kappa_1, kappa_2)`,
    /// for rank >= 3 a slice with the other coordinates at 0, for rank 1 `(v_A, kappa)`.
    pub fn default_plane(&self) -> Result<PlaneAxes, String> {
        let d = self.dims();
        PlaneAxes::default_for(d.rank, d.inputs)
    }

    /// The reduced system on the plane `axes` (MODEL.md 8): a rank-2 system that every
    /// phase-plane routine takes; an input plane's `v_s` ranges over the input sliders'
    /// `[-INPUT_SLIDER, INPUT_SLIDER]`.
    pub fn plane(&self, axes: &PlaneAxes) -> Result<PlaneSystem<'_>, String> {
        PlaneSystem::new(self.system(), axes.clone(), params::INPUT_SLIDER)
    }

    /// The box every answer about the plane `axes` is computed in, whatever is on screen: the
    /// plane's absorbing box with a margin ([`Rect::default_for`]), which holds every fixed
    /// point, cycle and attractor for any input; `[-3, 3]^2` for axes that do not fit.
    pub fn search_box(&self, axes: &PlaneAxes) -> Rect {
        match self.plane(axes) {
            Ok(plane) => Rect::default_for(&plane),
            Err(_) => Rect::default_for(self.system()),
        }
    }

    /// The readout `z` (first output) of the reduced system at a latent point (MODEL.md 3-4).
    pub fn readout(&self, kappa: &[f64], v: &[f64]) -> Option<f64> {
        let mut out = vec![0.0; self.dims().outputs];
        match self {
            Model::Network(n) => n.exact.readout(kappa, v, &mut out),
            Model::Population(p) => p.mean_field.readout(kappa, v, &mut out),
        }
        out.first().copied()
    }

    /// The effective connectivity at a point with its per-population breakdown (MODEL.md 4);
    /// a network's exact reduction has no populations.
    pub fn effective_connectivity(
        &self,
        kappa: &[f64],
        v: &[f64],
    ) -> Option<EffectiveConnectivity> {
        match self {
            Model::Network(_) => None,
            Model::Population(p) => Some(p.mean_field.effective_connectivity(kappa, v)),
        }
    }

    /// The bifurcation diagram in `param` over `range` at input `v`: every fixed point at the
    /// parameter's current value and at both ends of the range, continued both ways
    /// ([`diagram`]). Each start is searched for in the system's own search box at that value,
    /// or in `search` when one is given, never in a view.
    pub fn bifurcation(
        &self,
        param: &ParamSpec,
        range: [f64; 2],
        v: &[f64],
        time_model: TimeModel,
        search: Option<Rect>,
    ) -> Result<BifurcationDiagram, String> {
        self.check_range(param, range)?;
        let [lo, hi] = range;
        let family = self.family(param, v.to_vec())?;
        let current = self.parameter_value(param, v, time_model)?;
        let opts = ContinuationOptions::new(lo, hi, time_model);
        Ok(diagram(family.as_ref(), current, &opts, search))
    }

    /// A continuation range of `param`: finite, increasing, inside the parameter's domain.
    fn check_range(&self, param: &ParamSpec, [lo, hi]: [f64; 2]) -> Result<(), String> {
        if !(lo.is_finite() && hi.is_finite() && lo < hi) {
            return Err(format!(
                "the range [{lo}, {hi}] of {param} is empty: the start must be below the end"
            ));
        }
        let (min, max) = self.parameter_domain(param);
        if lo < min || hi > max {
            return Err(format!(
                "{param} takes values in [{min}, {max}]; the range [{lo}, {hi}] leaves it"
            ));
        }
        Ok(())
    }

    /// The two-parameter diagram in `params` over `ranges` at input `v` (MODEL.md 9): the
    /// fold and Hopf (map: Neimark-Sacker, flip) curves through the one-parameter diagrams along
    /// both axes, with their codimension-2 points ([`two_parameter_diagram`]), from the current
    /// values. `cancel` may end it early.
    pub fn two_parameter(
        &self,
        params: [&ParamSpec; 2],
        ranges: [[f64; 2]; 2],
        v: &[f64],
        time_model: TimeModel,
        cancel: Option<Cancel>,
    ) -> Result<TwoParameterDiagram, String> {
        let family = self.family2(params, v, time_model)?;
        let mut current = [0.0; 2];
        for k in 0..2 {
            self.check_range(params[k], ranges[k])?;
            current[k] = self.parameter_value(params[k], v, time_model)?;
        }
        let opts = TwoParameterOptions {
            cancel,
            ..TwoParameterOptions::new(ranges, time_model)
        };
        Ok(two_parameter_diagram(&family, current, &opts))
    }

    /// The regions of the plane of `params` over `ranges` at input `v`, named by what the phase
    /// plane holds, on a grid of `cells` ([`regions`]); `Ok(None)` if `cancel` withdrew it.
    pub fn regions(
        &self,
        params: [&ParamSpec; 2],
        ranges: [[f64; 2]; 2],
        v: &[f64],
        time_model: TimeModel,
        cells: [usize; 2],
        cancel: Option<&Cancel>,
    ) -> Result<Option<Regions>, String> {
        let family = self.family2(params, v, time_model)?;
        for k in 0..2 {
            self.check_range(params[k], ranges[k])?;
        }
        Ok(regions(&family, ranges, cells, time_model, cancel))
    }

    /// The branches of limit cycles (ODE) in `param` over `range` at input `v`: from every Hopf
    /// point of `fixed_points` (the diagram [`Model::bifurcation`] gave) and from every cycle
    /// found at the current value and at both ends of the range ([`cycle_branches`]; at a rank
    /// other than 2 the attracting cycles of the absorbing box, [`seeds_at`]). `cancel` may end
    /// the branches early ([`CycleBranchOptions::cancel`]).
    pub fn cycle_branches(
        &self,
        param: &ParamSpec,
        range: [f64; 2],
        v: &[f64],
        fixed_points: &BifurcationDiagram,
        cancel: Option<Cancel>,
    ) -> Result<Vec<CycleBranch>, String> {
        let [lo, hi] = range;
        let family = self.family(param, v.to_vec())?;
        let current = self
            .parameter_value(param, v, TimeModel::Ode)?
            .clamp(lo, hi);
        let (seeds, scale) = seeds_at(family.as_ref(), &[current, lo, hi]);
        let opts = CycleBranchOptions {
            scale,
            cancel,
            ..CycleBranchOptions::new(lo, hi)
        };
        Ok(cycle_branches(family.as_ref(), fixed_points, &seeds, &opts))
    }
}

/// Models for the core's tests.
#[cfg(test)]
pub(crate) mod testing {
    use super::{Axes, Model, NetworkSource};

    /// A random rank-2 network of `neurons` neurons and `inputs` channels
    /// ([`crate::reduced::testing::random_network`], with readout), on its SVD axes.
    pub fn random_network_model(neurons: usize, inputs: usize, seed: u64) -> Model {
        let net = crate::reduced::testing::random_network(neurons, 2, inputs, true, seed);
        let source = NetworkSource::file("random.json");
        Model::from_network(net, Axes::Svd, source).expect("a valid random network")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name)
    }

    #[test]
    fn svd_axes_are_orthogonal_and_raw_axes_keep_m() {
        let raw = Model::load(&fixture("lowrank_n64_r2.npz"), Axes::Raw).unwrap();
        let svd = Model::load(&fixture("lowrank_n64_r2.npz"), Axes::Svd).unwrap();
        let (Some(r), Some(s)) = (raw.network(), svd.network()) else {
            panic!("networks");
        };
        let original = crate::io::load_network(&fixture("lowrank_n64_r2.npz")).unwrap();
        assert_eq!(r.network.m(), original.m());
        let gram = s.network.m().transpose() * s.network.m();
        assert!(gram[(0, 1)].abs() < 1e-9 * gram[(0, 0)]);
        assert_eq!(s.loadings().nrows(), 64);
        assert!(svd.describe().contains("N = 64") && svd.describe().contains("SVD"));
        assert_eq!(
            svd.title(),
            "lowrank_n64_r2.npz (N = 64, rank 2, exact reduction)"
        );
    }

    #[test]
    fn a_drawn_network_reopens_identically_from_its_source() {
        let model = presets::get("dms_mixture_2pop").unwrap().model;
        let source = NetworkSource::Drawn {
            model,
            label: "DMS mixture".into(),
            neurons: 300,
            seed: 7,
        };
        let a = source.open().unwrap();
        let json = serde_json::to_string(&source).unwrap();
        let back: NetworkSource = serde_json::from_str(&json).unwrap();
        assert_eq!(back, source);
        let b = back.open().unwrap();
        let (a, b) = (a.network().unwrap(), b.network().unwrap());
        assert_eq!(a.network.m(), b.network.m());
        assert_eq!(a.axes, Axes::Raw);
        assert_eq!(source.name(), "drawn from DMS mixture (seed 7)");
    }

    #[test]
    fn the_diagram_does_not_depend_on_a_view_and_the_cli_range_is_a_search_box() {
        let model = Model::preset("dms_mixture_2pop").unwrap();
        let p: ParamSpec = "input.A".parse().unwrap();
        let d = model
            .bifurcation(&p, [0.0, 1.5], &[0.0, 0.0], TimeModel::Ode, None)
            .unwrap();
        // Three branches: the two memories (each ending in a fold) and the origin.
        assert_eq!(d.branches.len(), 3, "{:?}", d.branches.len());
        let folds = d
            .special_points
            .iter()
            .filter(|s| s.kind == crate::analysis::continuation::SpecialKind::Fold)
            .count();
        assert_eq!(folds, 2);
        // Searched in a small rectangle around the origin (what a zoomed view used to be), the
        // memories' branches are missed: hence the search box, whatever is on screen.
        let small = Rect::new(-0.05, 0.05, -0.05, 0.05);
        let zoomed = model
            .bifurcation(&p, [0.0, 1.5], &[0.0, 0.0], TimeModel::Ode, Some(small))
            .unwrap();
        assert_eq!(zoomed.branches.len(), 1);
        assert!(
            model
                .bifurcation(&p, [1.0, 0.0], &[0.0, 0.0], TimeModel::Ode, None)
                .unwrap_err()
                .contains("empty")
        );
        let gain: ParamSpec = "p1.fraction".parse().unwrap();
        assert!(
            model
                .bifurcation(&gain, [0.0, 2.0], &[0.0, 0.0], TimeModel::Ode, None)
                .unwrap_err()
                .contains("takes values in [0, 1]")
        );
    }
}
