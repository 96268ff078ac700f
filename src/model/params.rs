//! Named scalar parameters of a [`Model`]: an input amplitude (`input.A`) or a population-model
//! parameter ([`ModelParam`]). One catalogue ([`Model::parameters`]) feeds the explorer's sliders
//! and its bifurcation menu; one family ([`Model::family`]) and one domain serve `continue` and
//! the explorer alike; [`ParamSpec::role`] says what a parameter enters (MODEL.md 4).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::Model;
use std::sync::{Arc, Mutex};

use crate::analysis::continuation::{Family, InputFamily, RebuiltFamily};
use crate::analysis::two_parameter::TwoParameterFamily;
use crate::reduced::{Loading, MeanField, ModelDims, ModelParam, ReducedSystem, TimeModel};

/// A mean field built for the population parameters' values (as bits) of a two-parameter family.
type Built = (Vec<u64>, Arc<dyn ReducedSystem>);

/// Half-width of an input amplitude's slider (the DMS stimuli are 1).
pub const INPUT_SLIDER: f64 = 2.0;
/// The range an input amplitude is continued over by default (past the DMS stimulus, 1).
pub const INPUT_CONTINUATION: [f64; 2] = [0.0, 1.5];
/// The values the map's step `alpha = dt / tau` may take: up to 4, twice the step where a node
/// with `lambda = -1` (the leak alone) flips.
pub const STEP_DOMAIN: (f64, f64) = (1e-3, 4.0);
/// The map step's slider: around the trained 0.2.
pub const STEP_SLIDER: [f64; 2] = [0.01, 1.0];
/// The range the map's step spans on a two-parameter diagram's axis by default.
pub const STEP_CONTINUATION: [f64; 2] = [0.05, 2.5];

/// A scalar parameter: `input.A` (the amplitude of a channel), a population-model parameter
/// ([`ModelParam`]: `p1.cov(n2,m1)`, `p2.gain`, `p1.fraction`, `p1.mean(m1)`), or `alpha`, the
/// Euler map's step (MODEL.md 1), which only a two-parameter diagram of the map takes as an
/// axis. Stored in sessions by its name.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamSpec {
    Input(String),
    Model(ModelParam),
    Step,
}

impl FromStr for ParamSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s == "alpha" {
            return Ok(ParamSpec::Step);
        }
        if let Some(name) = s.strip_prefix("input.") {
            if name.is_empty() {
                return Err("input.<channel>: name the channel, e.g. input.A".into());
            }
            return Ok(ParamSpec::Input(name.to_string()));
        }
        s.parse::<ModelParam>().map(ParamSpec::Model).map_err(|e| {
            format!("{e}; parameters are input.<channel> (e.g. input.A), model parameters such as p1.cov(n2,m1), p2.gain, p1.fraction, or alpha (the map's step)")
        })
    }
}

impl fmt::Display for ParamSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamSpec::Input(name) => write!(f, "input.{name}"),
            ParamSpec::Model(p) => write!(f, "{p}"),
            ParamSpec::Step => write!(f, "alpha"),
        }
    }
}

impl Serialize for ParamSpec {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for ParamSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl ParamSpec {
    /// What the parameter enters, in the words of MODEL.md 4 (a slider's tooltip).
    pub fn role(&self) -> String {
        match self {
            ParamSpec::Input(name) => format!(
                "The amplitude v of input {name}: it drives kappa through S~_r,I{name} and raises every population's variance Delta_p (lowering its gain <phi'>_p)."
            ),
            ParamSpec::Model(p) => model_param_role(p),
            ParamSpec::Step => "The map's step alpha = dt / tau (MODEL.md 1): the fixed points do not move with it, their multipliers 1 + alpha lambda do, so it sets where a focus loses stability (Neimark-Sacker, alpha = -2 Re lambda / |lambda|^2) and a node flips (alpha = -2 / lambda).".to_string(),
        }
    }
}

/// [`ParamSpec::role`] of a population-model parameter.
fn model_param_role(p: &ModelParam) -> String {
    let pop = p.pop() + 1;
    match *p {
        ModelParam::Fraction { .. } => format!(
            "alpha_{pop}, the fraction of neurons in population {pop}: it weights all of population {pop}'s terms of S~ (the other fractions rescale to keep the sum 1)."
        ),
        ModelParam::Gain { .. } => format!(
            "The clamped gain <phi'>_{pop} (teaching mode): every S~ entry has the term alpha_{pop} Sigma_{pop}[a,b] <phi'>_{pop}."
        ),
        ModelParam::Cov { a, b, .. } => match (a, b) {
            (Loading::N(r), Loading::M(l)) | (Loading::M(l), Loading::N(r)) => format!(
                "Sigma_{pop}[n{},m{}]: the coupling S~_{}{} = sum_p alpha_p Sigma_p[n{},m{}] <phi'>_p (kappa_{} drives kappa_{}).",
                r + 1,
                l + 1,
                r + 1,
                l + 1,
                r + 1,
                l + 1,
                l + 1,
                r + 1
            ),
            (Loading::N(r), Loading::I(s)) | (Loading::I(s), Loading::N(r)) => format!(
                "Sigma_{pop}[n{},I{}]: the input coupling S~_{},I{} = sum_p alpha_p Sigma_p[n{},I{}] <phi'>_p (input {} drives kappa_{}).",
                r + 1,
                s + 1,
                r + 1,
                s + 1,
                r + 1,
                s + 1,
                s + 1,
                r + 1
            ),
            (Loading::W(_), _) | (_, Loading::W(_)) => format!(
                "Sigma_{pop}[{a},{b}]: enters the readout z = sum_p alpha_p <phi'>_p (sum_l Sigma_p[w,m_l] kappa_l + sum_s Sigma_p[w,I_s] v_s), not the dynamics."
            ),
            (Loading::N(_), Loading::N(_)) => format!(
                "Sigma_{pop}[{a},{b}]: an n-n covariance, which enters neither the flow nor the readout."
            ),
            _ => format!(
                "Sigma_{pop}[{a},{b}]: enters the variance Delta_{pop} of x = m kappa + I v, so population {pop}'s gain <phi'>_{pop} and every S~ entry it weights."
            ),
        },
        ModelParam::Mean { a, .. } => format!(
            "mu_{pop}[{a}]: the mean of {a} in population {pop}, which shifts x's mean M_{pop} or adds mu[n] <phi> to the flow (MODEL.md 4)."
        ),
    }
}

/// Parameters shown together (a slider group, a section of the bifurcation menu).
#[derive(Debug, Clone, PartialEq)]
pub struct ParamGroup {
    pub title: String,
    pub params: Vec<ParamSpec>,
    /// The population the group belongs to (0-based), if any.
    pub population: Option<usize>,
    /// Shown open at first: the groups a user reaches for first.
    pub open: bool,
}

/// A group of covariance entries: its title, the `(a, b)` pairs, and whether it starts open.
type CovGroup = (&'static str, Vec<(Loading, Loading)>, bool);

/// The covariance entries that enter the flow (MODEL.md 4: `Sigma[n, x]` and `Sigma[x, x]` with
/// `x = (m, I)`) and the readout (`Sigma[w, x]`), grouped.
fn covariance_groups(dims: ModelDims) -> Vec<CovGroup> {
    let (r, s, o) = (dims.rank, dims.inputs, dims.outputs);
    let pairs = |a: fn(usize) -> Loading, na: usize, b: fn(usize) -> Loading, nb: usize| {
        (0..na)
            .flat_map(|i| (0..nb).map(move |j| (a(i), b(j))))
            .collect::<Vec<_>>()
    };
    let upper = |f: fn(usize) -> Loading, n: usize| {
        (0..n)
            .flat_map(|i| (i..n).map(move |j| (f(i), f(j))))
            .collect::<Vec<_>>()
    };
    let mut readout = pairs(Loading::W, o, Loading::M, r);
    readout.extend(pairs(Loading::W, o, Loading::I, s));
    let mut out = vec![
        (
            "n–m overlaps (couplings)",
            pairs(Loading::N, r, Loading::M, r),
            true,
        ),
        (
            "n–input overlaps (drive)",
            pairs(Loading::N, r, Loading::I, s),
            false,
        ),
        ("m variances, covariances", upper(Loading::M, r), false),
        ("input variances, covariances", upper(Loading::I, s), false),
        (
            "m–input covariances",
            pairs(Loading::M, r, Loading::I, s),
            false,
        ),
        ("readout w–m, w–input", readout, false),
    ];
    out.retain(|(_, entries, _)| !entries.is_empty());
    out
}

impl Model {
    /// Every parameter a user can move or continue in, grouped: the input amplitudes, then per
    /// population its fraction (with more than one population), its gain (when clamped), the
    /// covariance entries that enter the flow or the readout, and its means (when it has any).
    pub fn parameters(&self) -> Vec<ParamGroup> {
        let mut out = vec![ParamGroup {
            title: "input amplitudes".to_string(),
            params: self
                .input_names()
                .into_iter()
                .map(ParamSpec::Input)
                .collect(),
            population: None,
            open: true,
        }];
        let Some(model) = self.population() else {
            return out;
        };
        let dims = model.dims();
        let count = model.populations().len();
        for (pop, p) in model.populations().iter().enumerate() {
            let mut own = Vec::new();
            if count > 1 {
                own.push(ModelParam::Fraction { pop });
            }
            if p.gain_clamp.is_some() {
                own.push(ModelParam::Gain { pop });
            }
            let mut groups = vec![(String::new(), own, true)];
            groups.extend(covariance_groups(dims).into_iter().map(|(title, e, open)| {
                let params = e.into_iter().map(|(a, b)| ModelParam::Cov { pop, a, b });
                (title.to_string(), params.collect(), open)
            }));
            if p.has_mean() {
                let means = (0..dims.loadings())
                    .map(|i| ModelParam::Mean {
                        pop,
                        a: Loading::from_index(i, &dims),
                    })
                    .collect();
                groups.push(("means".to_string(), means, false));
            }
            out.extend(
                groups
                    .into_iter()
                    .filter(|(_, params, _)| !params.is_empty())
                    .map(|(title, params, open)| ParamGroup {
                        title,
                        params: params.into_iter().map(ParamSpec::Model).collect(),
                        population: Some(pop),
                        open,
                    }),
            );
        }
        out
    }

    /// The one-parameter family a [`ParamSpec`] names, at the base input `v` (for continuation).
    /// A population parameter is held inside its domain, so that predictor steps and difference
    /// quotients just past an edge (a gain of `-1e-6`) see a continuous `F`.
    pub fn family(&self, param: &ParamSpec, v: Vec<f64>) -> Result<Box<dyn Family + '_>, String> {
        match param {
            ParamSpec::Input(name) => {
                let k = self.channel(name)?;
                let mut v0 = v;
                v0[k] = 0.0;
                let direction = (0..v0.len())
                    .map(|i| if i == k { 1.0 } else { 0.0 })
                    .collect();
                Ok(Box::new(InputFamily {
                    sys: self.system(),
                    v0,
                    direction,
                }))
            }
            ParamSpec::Model(p) => {
                let model = self.population_param(p)?;
                let base = model.clone();
                let param = *p;
                let (lo, hi) = param.domain();
                Ok(Box::new(RebuiltFamily::new(
                    move |value: f64| {
                        let mut m = base.clone();
                        // Inside the domain `set` cannot fail.
                        let _ = param.set(&mut m, value.clamp(lo, hi));
                        MeanField::new(&m)
                    },
                    v,
                )))
            }
            ParamSpec::Step => Err(STEP_ALONE.to_string()),
        }
    }

    /// The two-parameter family `params` name under `time_model`, at the base input `v` (for
    /// the two-parameter diagram): input amplitudes set their channels of `v`; population
    /// parameters, held inside their domains, rebuild the mean field; the map's step is the
    /// family's step axis (the map of a rank-2 model only).
    pub fn family2(
        &self,
        params: [&ParamSpec; 2],
        v: &[f64],
        time_model: TimeModel,
    ) -> Result<TwoParameterFamily, String> {
        if params[0] == params[1] {
            return Err(format!(
                "the two parameters are both {}: a two-parameter diagram needs two different ones",
                params[0]
            ));
        }
        enum Setter {
            Channel(usize),
            Population(ModelParam),
            Step,
        }
        let setters = params
            .iter()
            .map(|param| match param {
                ParamSpec::Input(name) => self.channel(name).map(Setter::Channel),
                ParamSpec::Model(p) => self.population_param(p).map(|_| Setter::Population(*p)),
                ParamSpec::Step => {
                    step_of(time_model)?;
                    match self.dims().rank {
                        2 => Ok(Setter::Step),
                        r => Err(format!(
                            "the plane of the map's step alpha is drawn for rank-2 models; this one has rank {r}"
                        )),
                    }
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        let step_axis = setters.iter().position(|s| matches!(s, Setter::Step));
        let base: Arc<dyn ReducedSystem> = self.shared_system();
        let population = self.population().cloned();
        let v = v.to_vec();
        // The last mean field built, by the population parameters' values: a difference in an
        // input amplitude (or in kappa) reuses it instead of rebuilding the model.
        let built: Mutex<Option<Built>> = Mutex::new(None);
        let family = TwoParameterFamily::new(
            self.dims().rank,
            Box::new(move |pq| {
                let mut v = v.clone();
                let mut set = Vec::new();
                for (setter, value) in setters.iter().zip(pq) {
                    match setter {
                        Setter::Channel(k) => v[*k] = value,
                        Setter::Population(p) => set.push((*p, value)),
                        Setter::Step => {}
                    }
                }
                let (Some(base_model), false) = (&population, set.is_empty()) else {
                    return (base.clone(), v);
                };
                let key: Vec<u64> = set.iter().map(|(_, x)| x.to_bits()).collect();
                let mut built = built.lock().unwrap_or_else(|e| e.into_inner());
                if let Some((k, sys)) = built.as_ref()
                    && *k == key
                {
                    return (sys.clone(), v);
                }
                let mut m = base_model.clone();
                for (p, value) in set {
                    let (lo, hi) = p.domain();
                    // Inside the domain `set` cannot fail.
                    let _ = p.set(&mut m, value.clamp(lo, hi));
                }
                let sys: Arc<dyn ReducedSystem> = Arc::new(MeanField::new(&m));
                *built = Some((key, sys.clone()));
                (sys, v)
            }),
        );
        Ok(match step_axis {
            Some(axis) => family.with_step_axis(axis),
            None => family,
        })
    }

    /// The population model a model parameter belongs to, checked to exist in it.
    fn population_param(&self, p: &ModelParam) -> Result<&crate::reduced::PopulationModel, String> {
        let Some(model) = self.population() else {
            return Err(format!(
                "{p} is a population-model parameter; a network's exact reduction can only be \
                 continued in an input amplitude (input.A, ...)"
            ));
        };
        match p.get(model) {
            Ok(_) => Ok(model),
            // An unclamped gain is a valid start: setting it clamps the population.
            Err(crate::reduced::ModelError::NotClamped { .. }) => Ok(model),
            Err(e) => Err(e.to_string()),
        }
    }

    /// The values a parameter can take (an input amplitude: any finite number).
    pub fn parameter_domain(&self, param: &ParamSpec) -> (f64, f64) {
        match param {
            ParamSpec::Input(_) => (f64::MIN, f64::MAX),
            ParamSpec::Model(p) => p.domain(),
            ParamSpec::Step => STEP_DOMAIN,
        }
    }

    /// The current value of a parameter (the input amplitude of a channel at `v`; an unclamped
    /// gain is the gain it would be clamped at, 1; the map's step under `time_model`).
    pub fn parameter_value(
        &self,
        param: &ParamSpec,
        v: &[f64],
        time_model: TimeModel,
    ) -> Result<f64, String> {
        match param {
            ParamSpec::Step => step_of(time_model),
            ParamSpec::Input(name) => {
                let k = self.channel(name)?;
                v.get(k)
                    .copied()
                    .ok_or_else(|| format!("the input has no value for channel {name}"))
            }
            ParamSpec::Model(p) => {
                let model = self.population_param(p)?;
                Ok(p.get(model).unwrap_or(1.0))
            }
        }
    }

    /// Whether `param` names a parameter this model has (every model has a map's step).
    pub fn has_parameter(&self, param: &ParamSpec) -> bool {
        match param {
            ParamSpec::Input(name) => self.channel(name).is_ok(),
            ParamSpec::Model(p) => self.population_param(p).is_ok(),
            ParamSpec::Step => true,
        }
    }

    /// The parameter a bifurcation diagram starts on: the first input's amplitude.
    pub fn default_parameter(&self) -> Option<ParamSpec> {
        self.input_names().into_iter().next().map(ParamSpec::Input)
    }

    /// The parameter a two-parameter diagram in `first` starts with on its second axis: for a
    /// population model of rank 2 or more, `p1.cov(n2,m1)`, the coupling that sets `S~_21`
    /// (through which input A's saturation turns the memories into a cycle, MODEL.md 4);
    /// otherwise the first other entry of the catalogue.
    pub fn second_parameter(&self, first: &ParamSpec) -> Option<ParamSpec> {
        let coupling = ParamSpec::Model(ModelParam::Cov {
            pop: 0,
            a: Loading::N(1),
            b: Loading::M(0),
        });
        if self.population().is_some() && self.has_parameter(&coupling) && coupling != *first {
            return Some(coupling);
        }
        self.parameters()
            .into_iter()
            .flat_map(|g| g.params)
            .find(|p| p != first)
    }

    /// A slider's range for `param`, from its value in this model: `[-2, 2]` for an input, the
    /// domain `[0, 1]` for fractions and gains, and for a covariance or mean entry twice its value
    /// (at least 1) rounded up to 1, 2 or 5 times a power of ten, from 0 for a variance.
    pub fn slider_range(&self, param: &ParamSpec) -> [f64; 2] {
        match param {
            ParamSpec::Input(_) => [-INPUT_SLIDER, INPUT_SLIDER],
            ParamSpec::Step => STEP_SLIDER,
            ParamSpec::Model(p @ (ModelParam::Fraction { .. } | ModelParam::Gain { .. })) => {
                let (lo, hi) = p.domain();
                [lo, hi]
            }
            ParamSpec::Model(p) => {
                let x = self
                    .population()
                    .and_then(|m| p.get(m).ok())
                    .unwrap_or(0.0)
                    .abs();
                let top = round_up((2.0 * x).max(1.0));
                let variance = matches!(p, ModelParam::Cov { a, b, .. } if a == b);
                if variance { [0.0, top] } else { [-top, top] }
            }
        }
    }

    /// The range a bifurcation diagram in `param` starts with: `[0, 1.5]` for an input amplitude,
    /// the domain for fractions and gains, the current value `+- w`, `w = max(1, |value|)`, from
    /// 0 for a variance, and widened to hold `[-w / 4, w / 4]` for the other covariance and mean
    /// entries (within the domain): a coupling's sign is part of the mechanism, so the diagram
    /// shows both sides of zero (the DMS mixture's cusp and Bogdanov-Takens point lie at
    /// `p1.cov(n2,m1) = -0.12`).
    pub fn continuation_range(&self, param: &ParamSpec) -> [f64; 2] {
        match param {
            ParamSpec::Input(_) => INPUT_CONTINUATION,
            ParamSpec::Step => STEP_CONTINUATION,
            ParamSpec::Model(p) => {
                let (lo, hi) = p.domain();
                match p {
                    ModelParam::Fraction { .. } | ModelParam::Gain { .. } => [lo, hi],
                    _ => {
                        let x = self.population().and_then(|m| p.get(m).ok()).unwrap_or(0.0);
                        let w = x.abs().max(1.0);
                        let variance = matches!(p, ModelParam::Cov { a, b, .. } if a == b);
                        let around = if variance {
                            [(x - w).max(0.0), x + w]
                        } else {
                            [(x - w).min(-0.25 * w), (x + w).max(0.25 * w)]
                        };
                        [around[0].max(lo), around[1].min(hi)]
                    }
                }
            }
        }
    }
}

/// Why the map's step has no one-parameter diagram.
const STEP_ALONE: &str = "alpha (the map's step) moves no fixed point, so it has no one-parameter \
     diagram; use it as the second axis of a two-parameter diagram of the map (--param2 alpha)";

/// The map's step of `time_model`; the ODE has none.
fn step_of(time_model: TimeModel) -> Result<f64, String> {
    match time_model {
        TimeModel::Map { alpha } => Ok(alpha),
        TimeModel::Ode => Err(
            "alpha is the Euler map's step and the ODE has none: choose the map (--dynamics map)"
                .into(),
        ),
    }
}

/// The smallest of 1, 2, 5 times a power of ten that is `>= x`.
fn round_up(x: f64) -> f64 {
    let p = 10f64.powf(x.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * p)
        .find(|v| *v >= x)
        .unwrap_or(10.0 * p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Rect;
    use crate::analysis::continuation::{ContinuationOptions, continue_from_rect};
    use crate::reduced::TimeModel;

    #[test]
    fn parameters_parse_round_trip_and_build_families() {
        assert_eq!(
            "input.A".parse::<ParamSpec>(),
            Ok(ParamSpec::Input("A".into()))
        );
        assert!("input.".parse::<ParamSpec>().is_err());
        assert!(
            "p9.bogus"
                .parse::<ParamSpec>()
                .unwrap_err()
                .contains("input.<channel>")
        );
        let p: ParamSpec = "p1.cov(n2,m1)".parse().unwrap();
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(json, "\"p1.cov(n2,m1)\"");
        assert_eq!(serde_json::from_str::<ParamSpec>(&json).unwrap(), p);
        let model = Model::preset("dms_mixture_2pop").unwrap();
        let value = model
            .parameter_value(&p, &[0.0, 0.0], TimeModel::Ode)
            .unwrap();
        assert!((value - 1.645067430659261).abs() < 1e-15, "{value}");
        // Continuing a covariance entry from its value reproduces the model at that value.
        let family = model.family(&p, vec![0.0, 0.0]).unwrap();
        let rect = Rect::default_for(model.system());
        let opts = ContinuationOptions::new(value - 0.2, value + 0.2, TimeModel::Ode);
        let diagram = continue_from_rect(family.as_ref(), value, &rect, &opts);
        assert!(!diagram.branches.is_empty());
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/lowrank_n64_r2.pt");
        let net = Model::load(&path, crate::model::Axes::Svd).unwrap();
        assert!(net.family(&p, vec![0.0, 0.0]).is_err());
        assert!(!net.has_parameter(&p));
        assert!(
            net.family(&"input.B".parse().unwrap(), vec![0.0, 0.0])
                .is_ok()
        );
    }

    #[test]
    fn the_catalogue_holds_every_entry_that_enters_the_flow_and_nothing_of_absent_populations() {
        let model = Model::preset("dms_mixture_2pop").unwrap();
        let groups = model.parameters();
        let all: Vec<String> = groups
            .iter()
            .flat_map(|g| g.params.iter().map(ToString::to_string))
            .collect();
        // Inputs 2; per population: fraction 1, n-m 4, n-I 4, m-m 3, I-I 3, m-I 4, readout 2 + 2.
        assert_eq!(all.len(), 2 + 2 * (1 + 22), "{all:?}");
        assert!(all.contains(&"input.A".to_string()));
        assert!(all.contains(&"p2.cov(n1,I2)".to_string()));
        assert!(!all.iter().any(|p| p.contains("gain")), "no clamped gain");
        assert!(groups.iter().all(|g| !g.params.is_empty()));
        for name in &all {
            let p: ParamSpec = name.parse().unwrap();
            assert!(model.has_parameter(&p), "{name}");
            assert!(!p.role().is_empty());
        }
        assert!(!model.has_parameter(&"p3.gain".parse().unwrap()));
        assert!(
            model.has_parameter(&"p2.gain".parse().unwrap()),
            "an unclamped gain can be set"
        );
        assert!(!model.has_parameter(&"input.C".parse().unwrap()));
        let coupling: ParamSpec = "p1.cov(n2,m1)".parse().unwrap();
        assert!(coupling.role().contains("S~_21"), "{}", coupling.role());
        let drive: ParamSpec = "p1.cov(n1,I2)".parse().unwrap();
        assert!(drive.role().contains("S~_1,I2"), "{}", drive.role());
    }

    #[test]
    fn ranges_are_round_contain_the_value_and_stay_in_the_domain() {
        assert_eq!(round_up(1.0), 1.0);
        assert_eq!(round_up(1.3), 2.0);
        assert_eq!(round_up(3.0), 5.0);
        assert_eq!(round_up(16.8), 20.0);
        assert_eq!(round_up(0.07), 0.1);
        let model = Model::preset("dms_mixture_2pop").unwrap();
        let coupling: ParamSpec = "p1.cov(n2,m1)".parse().unwrap();
        assert_eq!(model.slider_range(&coupling), [-5.0, 5.0]);
        let variance: ParamSpec = "p1.cov(m1,m1)".parse().unwrap();
        assert_eq!(model.slider_range(&variance)[0], 0.0);
        let fraction: ParamSpec = "p1.fraction".parse().unwrap();
        assert_eq!(model.slider_range(&fraction), [0.0, 1.0]);
        assert_eq!(model.continuation_range(&fraction), [0.0, 1.0]);
        let [lo, hi] = model.continuation_range(&coupling);
        let x = model
            .parameter_value(&coupling, &[0.0, 0.0], TimeModel::Ode)
            .unwrap();
        assert!(lo < x && x < hi);
        // Both signs: x = 1.645 gives [-0.41, 3.29].
        assert!(
            (lo + 0.25 * x).abs() < 1e-12 && (hi - 2.0 * x).abs() < 1e-12,
            "{lo} {hi}"
        );
        let variance: ParamSpec = "p1.cov(m1,m1)".parse().unwrap();
        assert!(
            model.continuation_range(&variance)[0] >= 0.0,
            "a variance stays >= 0"
        );
        assert_eq!(
            model.continuation_range(&ParamSpec::Input("A".into())),
            INPUT_CONTINUATION
        );
    }
}
