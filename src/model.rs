//! What a user opens: a trained network (analysed through its exact reduction, MODEL.md 3) or a
//! population model (through its mean field, MODEL.md 4), with the vocabulary both share — named
//! inputs and named scalar parameters. The CLI's `analyze`, `continue` and `render` and the app all
//! go through this one type, so a file means the same thing everywhere.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use crate::analysis::continuation::{Family, InputFamily, RebuiltFamily};
use crate::examples;
use crate::io::{self, IoError, ModelFile};
use crate::network::Network;
use crate::reduced::{
    ExactReduction, MeanField, ModelParam, PopulationModel, ReducedSystem, presets,
};

/// The latent axes of a network (MODEL.md 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Axes {
    /// The orthogonal SVD axes with our sign convention (the papers' plots; the default).
    #[default]
    Svd,
    /// The network's own `m` as stored.
    Raw,
}

/// A network or a population model, with its reduced system built once.
#[derive(Debug, Clone)]
pub enum Model {
    Network {
        /// On the chosen axes.
        network: Arc<Network>,
        axes: Axes,
        exact: Arc<ExactReduction>,
    },
    Population {
        model: PopulationModel,
        mean_field: Arc<MeanField>,
    },
}

impl Model {
    /// Loads a network (`.pt`, `.npz`, JSON) or a population model (JSON), told apart by content.
    pub fn load(path: &Path, axes: Axes) -> Result<Model, IoError> {
        match io::load_model(path)? {
            ModelFile::Network(file) => {
                Model::from_network(file.network, axes).map_err(|e| IoError {
                    file: path.to_path_buf(),
                    kind: e.into(),
                })
            }
            ModelFile::Population(model) => Ok(Model::from_population(model)),
        }
    }

    /// An embedded preset by id: a population model ([`presets::ids`]) or an example network
    /// ([`examples::ids`], on its SVD axes).
    pub fn preset(id: &str) -> Result<Model, String> {
        if let Some(p) = presets::get(id) {
            return Ok(Model::from_population(p.model));
        }
        match examples::get(id) {
            Some(e) => Model::from_network(e.network()?, Axes::Svd).map_err(|err| err.to_string()),
            None => Err(format!(
                "no preset named {id:?}; the presets are: {}",
                presets::ids()
                    .chain(examples::ids())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }

    /// Wraps a network, re-parametrised to `axes`.
    pub fn from_network(
        network: Network,
        axes: Axes,
    ) -> Result<Model, crate::network::NetworkError> {
        let network = match axes {
            Axes::Svd => network.svd_reparametrised()?,
            Axes::Raw => network,
        };
        let exact = Arc::new(ExactReduction::new(&network));
        Ok(Model::Network {
            network: Arc::new(network),
            axes,
            exact,
        })
    }

    pub fn from_population(model: PopulationModel) -> Model {
        let mean_field = Arc::new(MeanField::new(&model));
        Model::Population { model, mean_field }
    }

    /// The reduced system: the exact reduction of a network, the mean field of a model.
    pub fn system(&self) -> &dyn ReducedSystem {
        match self {
            Model::Network { exact, .. } => exact.as_ref(),
            Model::Population { mean_field, .. } => mean_field.as_ref(),
        }
    }

    /// A shareable handle on the reduced system (for worker threads).
    pub fn shared_system(&self) -> Arc<dyn ReducedSystem> {
        match self {
            Model::Network { exact, .. } => exact.clone(),
            Model::Population { mean_field, .. } => mean_field.clone(),
        }
    }

    /// Names of the input channels: the model's own, or A, B, C, ... for a network (the DMS
    /// convention: A is channel 0, B channel 1).
    pub fn input_names(&self) -> Vec<String> {
        match self {
            Model::Population { model, .. } => model.input_names().to_vec(),
            Model::Network { network, .. } => {
                (0..network.dims().inputs).map(channel_letter).collect()
            }
        }
    }

    /// One line saying what is analysed, for reports and titles.
    pub fn describe(&self) -> String {
        match self {
            Model::Network { network, axes, .. } => {
                let d = network.dims();
                format!(
                    "exact reduction of a rank-{} network of N = {} ({} axes)",
                    d.rank,
                    d.neurons,
                    match axes {
                        Axes::Svd => "SVD",
                        Axes::Raw => "raw m",
                    }
                )
            }
            Model::Population { model, .. } => format!(
                "population mean field, rank {}, {} population{}",
                model.dims().rank,
                model.populations().len(),
                if model.populations().len() == 1 {
                    ""
                } else {
                    "s"
                }
            ),
        }
    }

    /// The input vector an [`InputSpec`] names for this model.
    pub fn input_vector(&self, spec: &InputSpec) -> Result<Vec<f64>, String> {
        let names = self.input_names();
        let s = names.len();
        match spec {
            InputSpec::None => Ok(vec![0.0; s]),
            InputSpec::Named(name) => {
                let k = self.channel(name)?;
                Ok((0..s).map(|i| if i == k { 1.0 } else { 0.0 }).collect())
            }
            InputSpec::Values(v) if v.len() == s => Ok(v.clone()),
            InputSpec::Values(v) => Err(format!(
                "the input has {} values but the model has {s} input channels ({})",
                v.len(),
                names.join(", ")
            )),
        }
    }

    /// The index of the input channel called `name` (case-insensitive), or numbered `1..=S`.
    pub fn channel(&self, name: &str) -> Result<usize, String> {
        let names = self.input_names();
        names
            .iter()
            .position(|n| n.eq_ignore_ascii_case(name))
            .or_else(|| {
                name.parse::<usize>()
                    .ok()
                    .filter(|k| (1..=names.len()).contains(k))
                    .map(|k| k - 1)
            })
            .ok_or_else(|| {
                format!(
                    "no input channel {name:?}; the channels are {} (or 1..={})",
                    names.join(", "),
                    names.len()
                )
            })
    }

    /// The one-parameter family a [`ParamSpec`] names, at the base input `v` (for continuation).
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
                let Model::Population { model, .. } = self else {
                    return Err(format!(
                        "{p} is a population-model parameter; a network's exact reduction can only be \
                         continued in an input amplitude (input.A, ...)"
                    ));
                };
                p.get(model)
                    .or_else(|e| match p {
                        // An unclamped gain is a valid start: setting it clamps the population.
                        ModelParam::Gain { .. } => Ok(0.0),
                        _ => Err(e),
                    })
                    .map_err(|e| e.to_string())?;
                let base = model.clone();
                let param = *p;
                let (lo, hi) = param.domain();
                Ok(Box::new(RebuiltFamily::new(
                    move |value: f64| {
                        let mut m = base.clone();
                        // Predictor steps and difference quotients may poke just past the domain (a
                        // gain of -1e-6): hold the value at its edge so F stays continuous. Inside the
                        // domain `set` cannot fail.
                        let _ = param.set(&mut m, value.clamp(lo, hi));
                        MeanField::new(&m)
                    },
                    v,
                )))
            }
        }
    }

    /// The values a parameter can take (an input amplitude: any finite number).
    pub fn parameter_domain(&self, param: &ParamSpec) -> (f64, f64) {
        match param {
            ParamSpec::Input(_) => (f64::MIN, f64::MAX),
            ParamSpec::Model(p) => p.domain(),
        }
    }

    /// The current value of a parameter (the input amplitude of a channel at `v`).
    pub fn parameter_value(&self, param: &ParamSpec, v: &[f64]) -> Result<f64, String> {
        match param {
            ParamSpec::Input(name) => Ok(v[self.channel(name)?]),
            ParamSpec::Model(p) => match self {
                Model::Population { model, .. } => p.get(model).map_err(|e| e.to_string()),
                Model::Network { .. } => Err(format!("{p} needs a population model")),
            },
        }
    }
}

/// `A`, `B`, ..., `Z`, then `I27`, ...
fn channel_letter(s: usize) -> String {
    u8::try_from(s).ok().filter(|&k| k < 26).map_or_else(
        || format!("I{}", s + 1),
        |k| char::from(b'A' + k).to_string(),
    )
}

/// An input named on the command line or in the app: `none`, a channel name (`A`), or values.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum InputSpec {
    None,
    Named(String),
    Values(Vec<f64>),
}

impl FromStr for InputSpec {
    type Err = String;

    /// `none`, a channel name such as `A`, or comma-separated finite values such as `0.5,0`.
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("none") {
            return Ok(InputSpec::None);
        }
        if s.contains(',') || s.parse::<f64>().is_ok() {
            let values = parse_finite_list(s)?;
            return Ok(InputSpec::Values(values));
        }
        if s.is_empty() {
            return Err("empty input: use none, a channel name (A, B) or values like 1,0".into());
        }
        Ok(InputSpec::Named(s.to_string()))
    }
}

/// A scalar parameter to continue in: `input.A` (the amplitude of a channel) or a population-model
/// parameter ([`ModelParam`]: `p1.cov(n2,m1)`, `p2.gain`, `p1.fraction`, `p1.mean(m1)`).
#[derive(Debug, Clone, PartialEq)]
pub enum ParamSpec {
    Input(String),
    Model(ModelParam),
}

impl FromStr for ParamSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if let Some(name) = s.strip_prefix("input.") {
            if name.is_empty() {
                return Err("input.<channel>: name the channel, e.g. input.A".into());
            }
            return Ok(ParamSpec::Input(name.to_string()));
        }
        s.parse::<ModelParam>().map(ParamSpec::Model).map_err(|e| {
            format!("{e}; parameters are input.<channel> (e.g. input.A) or model parameters such as p1.cov(n2,m1), p2.gain, p1.fraction")
        })
    }
}

impl std::fmt::Display for ParamSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParamSpec::Input(name) => write!(f, "input.{name}"),
            ParamSpec::Model(p) => write!(f, "{p}"),
        }
    }
}

/// Comma-separated finite numbers (spaces allowed).
pub fn parse_finite_list(s: &str) -> Result<Vec<f64>, String> {
    s.split(',')
        .map(|part| {
            let part = part.trim();
            match part.parse::<f64>() {
                Ok(x) if x.is_finite() => Ok(x),
                Ok(x) => Err(format!("{x} is not a finite number")),
                Err(_) => Err(format!("{part:?} is not a number")),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Rect;
    use crate::analysis::continuation::{ContinuationOptions, continue_from_rect};
    use crate::reduced::TimeModel;

    fn fixture(name: &str) -> std::path::PathBuf {
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name)
    }

    #[test]
    fn inputs_parse_and_resolve_against_the_model() {
        assert_eq!("none".parse::<InputSpec>(), Ok(InputSpec::None));
        assert_eq!("A".parse::<InputSpec>(), Ok(InputSpec::Named("A".into())));
        assert_eq!(
            "0.5, -1".parse::<InputSpec>(),
            Ok(InputSpec::Values(vec![0.5, -1.0]))
        );
        assert!(
            "1,nan"
                .parse::<InputSpec>()
                .unwrap_err()
                .contains("not a finite")
        );
        assert!("1,x".parse::<InputSpec>().unwrap_err().contains("\"x\""));
        let model = Model::preset("dms_mixture_2pop").unwrap();
        assert_eq!(
            model.input_vector(&InputSpec::Named("b".into())),
            Ok(vec![0.0, 1.0])
        );
        assert_eq!(
            model.input_vector(&InputSpec::Named("2".into())),
            Ok(vec![0.0, 1.0])
        );
        assert!(
            model
                .input_vector(&InputSpec::Named("C".into()))
                .unwrap_err()
                .contains("A, B")
        );
        assert!(model.input_vector(&InputSpec::Values(vec![1.0])).is_err());
        let net = Model::load(&fixture("lowrank_n64_r2.pt"), Axes::Svd).unwrap();
        assert_eq!(net.input_names(), vec!["A", "B"]);
        assert_eq!(
            net.input_vector(&InputSpec::Named("A".into())),
            Ok(vec![1.0, 0.0])
        );
        assert!(net.describe().contains("N = 64") && net.describe().contains("SVD"));
    }

    #[test]
    fn svd_axes_are_orthogonal_and_raw_axes_keep_m() {
        let raw = Model::load(&fixture("lowrank_n64_r2.npz"), Axes::Raw).unwrap();
        let svd = Model::load(&fixture("lowrank_n64_r2.npz"), Axes::Svd).unwrap();
        let (Model::Network { network: r, .. }, Model::Network { network: s, .. }) = (&raw, &svd)
        else {
            panic!("networks");
        };
        let original = crate::io::load_network(&fixture("lowrank_n64_r2.npz")).unwrap();
        assert_eq!(r.m(), original.m());
        let gram = s.m().transpose() * s.m();
        assert!(gram[(0, 1)].abs() < 1e-9 * gram[(0, 0)]);
    }

    #[test]
    fn parameters_parse_and_build_families() {
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
        let model = Model::preset("dms_mixture_2pop").unwrap();
        let p: ParamSpec = "p1.cov(n2,m1)".parse().unwrap();
        let value = model.parameter_value(&p, &[0.0, 0.0]).unwrap();
        assert!((value - 1.645067430659261).abs() < 1e-15, "{value}");
        // Continuing a covariance entry from its value reproduces the model at that value.
        let family = model.family(&p, vec![0.0, 0.0]).unwrap();
        let rect = Rect::default_for(model.system());
        let opts = ContinuationOptions::new(value - 0.2, value + 0.2, TimeModel::Ode);
        let diagram = continue_from_rect(family.as_ref(), value, &rect, &opts);
        assert!(!diagram.branches.is_empty());
        let net = Model::load(&fixture("lowrank_n64_r2.pt"), Axes::Svd).unwrap();
        assert!(net.family(&p, vec![0.0, 0.0]).is_err());
        assert!(
            net.family(&"input.B".parse().unwrap(), vec![0.0, 0.0])
                .is_ok()
        );
    }
}
