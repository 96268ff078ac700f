//! The analysis worker's jobs as plain functions: each one wires core calls (landscape,
//! trajectories, trials, continuation) for one part of the view, and is testable without a thread
//! or a window. No numerics are implemented here.

use std::sync::Arc;
use std::time::Instant;

use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::analysis::Rect;
use crate::analysis::continuation::{
    BifurcationDiagram, ContinuationOptions, InputFamily, RebuiltFamily, continue_from_rect_at,
};
use crate::analysis::fixed_points::FixedPoint;
use crate::analysis::integrate::Trajectory;
use crate::analysis::landscape::{self, FieldDifference, Landscape, LandscapeRequest};
use crate::analysis::linalg::{Complex, dist, eigenvalues};
use crate::analysis::trial::{LatentTrajectory, reduced_trial};
use crate::app::params::{BifurcationParam, Selection, TrajectoryStart, TrialSettings};
use crate::app::source::LoadedNetwork;
use crate::network::{ALPHA, PUBLISHED_NOISE_STD, Recording, SimOptions};
use crate::reduced::{
    EffectiveConnectivity, MeanField, ModelParam, PopulationModel, ReducedSystem, TimeModel,
};
use crate::task::{Trial, add_noise, dms};

/// Duration of a click-to-run trajectory, in units of tau (several periods of input A's cycle).
pub const TRAJECTORY_TAU: f64 = 40.0;

/// A selected fixed point is followed to the nearest fixed point of a new landscape within this
/// fraction of the view's diagonal (farther, it is taken to have vanished).
const FOLLOW_FRACTION: f64 = 0.05;

/// The analysed system: a population model's mean field or a loaded network's exact reduction.
#[derive(Debug, Clone)]
pub enum SystemSpec {
    MeanField(PopulationModel),
    Exact(Arc<LoadedNetwork>),
}

impl PartialEq for SystemSpec {
    /// Networks compare by identity (a reload is a new system), models by value.
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (SystemSpec::MeanField(a), SystemSpec::MeanField(b)) => a == b,
            (SystemSpec::Exact(a), SystemSpec::Exact(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

/// A [`SystemSpec`] made ready to evaluate.
pub enum Built {
    MeanField(MeanField),
    Exact(Arc<LoadedNetwork>),
}

impl Built {
    pub fn new(spec: &SystemSpec) -> Built {
        match spec {
            SystemSpec::MeanField(m) => Built::MeanField(MeanField::new(m)),
            SystemSpec::Exact(n) => Built::Exact(n.clone()),
        }
    }

    pub fn system(&self) -> &dyn ReducedSystem {
        match self {
            Built::MeanField(m) => m,
            Built::Exact(n) => &n.exact,
        }
    }

    /// The readout `z` at a latent point (MODEL.md 3 and 4); first output only.
    fn readout(&self, kappa: &[f64], v: &[f64]) -> Option<f64> {
        let mut out = vec![0.0; self.outputs()];
        match self {
            Built::MeanField(m) => m.readout(kappa, v, &mut out),
            Built::Exact(n) => n.exact.readout(kappa, v, &mut out),
        }
        out.first().copied()
    }

    fn outputs(&self) -> usize {
        match self {
            Built::MeanField(m) => m.dims().outputs,
            Built::Exact(n) => n.exact.outputs(),
        }
    }
}

/// What the phase plane asks for (everything a landscape depends on).
#[derive(Debug, Clone, PartialEq)]
pub struct LandscapeKey {
    pub rect: Rect,
    pub v: Vec<f64>,
    pub time_model: TimeModel,
    pub cycles: bool,
    pub separatrices: bool,
}

impl LandscapeKey {
    fn request(&self) -> LandscapeRequest {
        LandscapeRequest {
            cycles: self.cycles,
            separatrices: self.separatrices,
            ..LandscapeRequest::new(self.rect, self.v.clone(), self.time_model)
        }
    }
}

/// The cheap part of a landscape (flow field, nullclines, fixed points).
pub fn fast_landscape(sys: &Built, key: &LandscapeKey) -> Landscape {
    landscape::analyze_fast(sys.system(), &key.request())
}

/// A population model's mean-field landscape drawn over a network's exact one, and how far the
/// two flows are apart over the view.
#[derive(Debug, Clone)]
pub struct OverlayOutcome {
    pub landscape: Landscape,
    /// RMS of `|F_exact - F_mean field|` on the flow-field grid (MODEL.md 3 against 4).
    pub difference: Option<FieldDifference>,
}

/// The complete mean-field landscape of `model` for `key`, compared with `exact` (the network's
/// landscape for the same key).
pub fn overlay(model: &PopulationModel, key: &LandscapeKey, exact: &Landscape) -> OverlayOutcome {
    let built = Built::MeanField(MeanField::new(model));
    let mut land = fast_landscape(&built, key);
    complete_landscape(&built, key, &mut land);
    OverlayOutcome {
        difference: exact.field.difference(&land.field),
        landscape: land,
    }
}

/// Adds separatrices and cycles to a landscape from [`fast_landscape`].
pub fn complete_landscape(sys: &Built, key: &LandscapeKey, land: &mut Landscape) {
    landscape::complete(sys.system(), &key.request(), land);
}

/// The readouts at the selected point.
#[derive(Debug, Clone)]
pub struct Readout {
    pub point: [f64; 2],
    /// The fixed point the selection sits on, if it follows one.
    pub fixed_point: Option<FixedPoint>,
    /// The selection followed a fixed point that no longer exists.
    pub lost_fixed_point: bool,
    pub flow: [f64; 2],
    /// The exact `dF/dkappa` (row-major) and its eigenvalues.
    pub jacobian: [f64; 4],
    pub eigenvalues: Option<Vec<Complex>>,
    /// Effective connectivity with its per-population breakdown (population models only).
    pub connectivity: Option<EffectiveConnectivity>,
}

/// Readouts at `selection` on `land` (a fixed-point selection snaps to the nearest fixed point).
pub fn readout(sys: &Built, land: &Landscape, selection: &Selection) -> Readout {
    let reach = FOLLOW_FRACTION * land.rect.diagonal();
    let snapped = selection
        .fixed_point
        .then(|| {
            land.fixed_points
                .iter()
                .map(|f| (dist(&f.kappa, &selection.point), f))
                .filter(|(d, _)| *d <= reach)
                .min_by(|a, b| a.0.total_cmp(&b.0))
                .map(|(_, f)| f.clone())
        })
        .flatten();
    let point = snapped
        .as_ref()
        .map(|f| [f.kappa[0], f.kappa[1]])
        .unwrap_or(selection.point);
    let (mut f, mut jac) = ([0.0; 2], [0.0; 4]);
    sys.system()
        .flow_jacobian(&point, &land.v, &mut f, &mut jac);
    let connectivity = match sys {
        Built::MeanField(m) => Some(m.effective_connectivity(&point, &land.v)),
        Built::Exact(_) => None,
    };
    Readout {
        point,
        lost_fixed_point: selection.fixed_point && snapped.is_none(),
        fixed_point: snapped,
        flow: f,
        jacobian: jac,
        eigenvalues: eigenvalues(&jac, 2),
        connectivity,
    }
}

/// A click-to-run trajectory with its start.
#[derive(Debug, Clone)]
pub struct UserTrajectory {
    pub start: TrajectoryStart,
    pub path: Trajectory,
}

/// The click-to-run trajectories at input `v`.
pub fn user_trajectories(
    sys: &Built,
    v: &[f64],
    time_model: TimeModel,
    starts: &[TrajectoryStart],
) -> Vec<UserTrajectory> {
    starts
        .iter()
        .map(|s| UserTrajectory {
            start: *s,
            path: landscape::trajectory(
                sys.system(),
                v,
                time_model,
                &s.point,
                TRAJECTORY_TAU,
                s.backward,
            ),
        })
        .collect()
}

/// One DMS trial: its inputs, the reduced system's latent path, and for a network the projected
/// full-network path.
#[derive(Debug, Clone)]
pub struct TrialRun {
    pub trial: Trial,
    /// The reduced system driven by the same inputs from the same start.
    pub reduced: LatentTrajectory,
    /// Readout of the reduced system at each state `t = 0..=T`.
    pub reduced_z: Vec<f64>,
    pub network: Option<NetworkRun>,
}

/// A full-network trial projected on the latent axes (MODEL.md 2).
#[derive(Debug, Clone)]
pub struct NetworkRun {
    /// `kappa_t`, `t = 0..=T`.
    pub kappa: Vec<[f64; 2]>,
    /// `||h - B c|| / ||h||` per state: how far the network leaves the latent plane.
    pub relative_residual: Vec<f64>,
    /// `z_t` read after update `t` (MODEL.md 1), so `z[t]` belongs to state `t + 1`.
    pub z: Vec<f64>,
}

/// The four DMS trials with the settings.
#[derive(Debug, Clone)]
pub struct TrialSet {
    pub settings: TrialSettings,
    pub time_model: TimeModel,
    pub runs: Vec<TrialRun>,
    pub millis: f64,
}

impl TrialSet {
    /// The filtered input `v_t` the phase plane shows while the scrubber follows trial `k`.
    pub fn input_at(&self, k: usize, step: usize) -> Option<Vec<f64>> {
        let v = &self.runs.get(k)?.reduced.v;
        v.get(step.min(v.len().checked_sub(1)?)).cloned()
    }

    /// Number of states of trial `k` (`T + 1`).
    pub fn states(&self, k: usize) -> usize {
        self.runs.get(k).map_or(0, |r| r.reduced.kappa.len())
    }
}

/// Runs AA, AB, BA, BB: the reduced system (`reduced_trial`) and, for a network, the full network
/// (its Euler map, noise as set) projected on its SVD axes, both from the network's `h0`.
pub fn trials(sys: &Built, time_model: TimeModel, settings: &TrialSettings) -> TrialSet {
    let t0 = Instant::now();
    let mut rng = StdRng::seed_from_u64(settings.seed);
    let mut trials = dms::canonical(settings.delay_ms.clamp(0.0, dms::DELAY_MAX_MS));
    if settings.noise {
        for t in trials.iter_mut() {
            add_noise(&mut t.inputs, dms::INPUT_NOISE_STD, &mut rng);
        }
    }
    let rank = sys.system().rank();
    let inputs = sys.system().inputs();
    let (kappa0, v0) = match sys {
        Built::Exact(n) => {
            let p = n.projector.project(n.network.h0().as_slice());
            (p.kappa, p.v)
        }
        Built::MeanField(_) => (vec![0.0; rank], vec![0.0; inputs]),
    };
    let network_runs: Vec<Option<NetworkRun>> = match sys {
        Built::Exact(n) if inputs == dms::INPUTS => {
            let opts = SimOptions {
                noise_std: if settings.noise {
                    PUBLISHED_NOISE_STD
                } else {
                    0.0
                },
                seed: settings.seed,
                recording: Recording::States,
                ..SimOptions::default()
            };
            let all: Vec<&[f64]> = trials.iter().map(|t| t.inputs.as_slice()).collect();
            n.network
                .simulate_batch(&all, &opts)
                .into_iter()
                .map(|run| {
                    let projected = run
                        .states
                        .as_deref()
                        .map(|s| n.projector.project_all(s))
                        .unwrap_or_default();
                    let outputs = n.exact.outputs().max(1);
                    Some(NetworkRun {
                        kappa: projected.iter().map(|p| [p.kappa[0], p.kappa[1]]).collect(),
                        relative_residual: projected.iter().map(|p| p.relative_residual).collect(),
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
            let reduced = if inputs == dms::INPUTS {
                reduced_trial(sys.system(), time_model, ALPHA, &trial.inputs, &kappa0, &v0)
            } else {
                LatentTrajectory {
                    kappa: vec![kappa0.clone()],
                    v: vec![v0.clone()],
                }
            };
            let reduced_z = reduced
                .kappa
                .iter()
                .zip(&reduced.v)
                .map(|(k, v)| sys.readout(k, v).unwrap_or(f64::NAN))
                .collect();
            TrialRun {
                trial,
                reduced,
                reduced_z,
                network,
            }
        })
        .collect();
    TrialSet {
        settings: *settings,
        time_model,
        runs,
        millis: t0.elapsed().as_secs_f64() * 1e3,
    }
}

/// A continuation request: the parameter, its range, and the state of the other parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct BifurcationKey {
    pub parameter: BifurcationParam,
    pub range: [f64; 2],
    pub v: Vec<f64>,
    pub time_model: TimeModel,
    pub rect: Rect,
}

/// A bifurcation diagram with the parameter's current value.
#[derive(Debug, Clone)]
pub struct BifurcationOutcome {
    pub key: BifurcationKey,
    pub diagram: Option<BifurcationDiagram>,
    /// The current value of the parameter (the line drawn across the diagram).
    pub current: Option<f64>,
    pub error: Option<String>,
    pub millis: f64,
}

/// Where the continuation looks for fixed points: the current value (clamped into the range) and
/// both ends, so branches that do not exist at the current value are drawn too.
fn start_values(p0: f64, lo: f64, hi: f64) -> [f64; 3] {
    [p0.clamp(lo, hi), lo, hi]
}

/// Continues every fixed point of the current view in the chosen parameter.
pub fn bifurcation(spec: &SystemSpec, sys: &Built, key: &BifurcationKey) -> BifurcationOutcome {
    let t0 = Instant::now();
    let [lo, hi] = key.range;
    let fail = |error: String| BifurcationOutcome {
        key: key.clone(),
        diagram: None,
        current: None,
        error: Some(error),
        millis: 0.0,
    };
    if !(lo.is_finite() && hi.is_finite() && lo < hi) {
        return fail(format!("the range [{lo}, {hi}] is empty"));
    }
    let opts = ContinuationOptions::new(lo, hi, key.time_model);
    let (diagram, current) = match &key.parameter {
        BifurcationParam::InputAmplitude { channel } => {
            let Some(&p0) = key.v.get(*channel) else {
                return fail(format!("the system has no input channel {}", channel + 1));
            };
            let mut v0 = key.v.clone();
            v0[*channel] = 0.0;
            let mut direction = vec![0.0; key.v.len()];
            direction[*channel] = 1.0;
            let family = InputFamily {
                sys: sys.system(),
                v0,
                direction,
            };
            let starts = start_values(p0, lo, hi);
            (
                continue_from_rect_at(&family, &starts, &key.rect, &opts),
                p0,
            )
        }
        BifurcationParam::Model { name } => {
            let SystemSpec::MeanField(model) = spec else {
                return fail("a network's exact reduction has no population parameters".into());
            };
            let p0 = match name.get(model) {
                Ok(p) => p,
                Err(e) => return fail(e.to_string()),
            };
            let unit = matches!(name, ModelParam::Fraction { .. } | ModelParam::Gain { .. });
            let build = |p: f64| {
                let mut m = model.clone();
                // The corrector may step just past a fraction's or a gain's domain [0, 1].
                let p = if unit { p.clamp(0.0, 1.0) } else { p };
                let _ = name.set(&mut m, p);
                MeanField::new(&m)
            };
            let family = RebuiltFamily::new(build, key.v.clone());
            let starts = start_values(p0, lo, hi);
            (
                continue_from_rect_at(&family, &starts, &key.rect, &opts),
                p0,
            )
        }
    };
    BifurcationOutcome {
        key: key.clone(),
        diagram: Some(diagram),
        current: Some(current),
        error: None,
        millis: t0.elapsed().as_secs_f64() * 1e3,
    }
}
