//! Population (Gaussian-mixture) models of MODEL.md 4: fractions `alpha_p`, mean loadings `mu_p` and
//! covariances `Sigma_p` over the loadings `(m_1..m_R, n_1..n_R, I_1..I_S, w_1..w_O)`, plus the
//! teaching-mode gain clamps.
//!
//! A [`PopulationModel`] is validated when built and by every setter, so the mean field can rely on
//! consistent shapes and finite values. What is *not* enforced is positive semi-definiteness: users
//! drag covariance sliders, so a non-PSD covariance is allowed, reported by
//! [`PopulationModel::psd_status`], and repaired on request by [`PopulationModel::make_psd`]; the
//! mean field then clamps negative variances `Delta_p` at 0 (see [`super::mean_field`]).

use nalgebra::{DMatrix, DVector};
use serde_json::{Map, Value};
use thiserror::Error;

use super::param::Loading;
use crate::network::MAX_SMALL_DIM;

/// Largest magnitude accepted for a mean or covariance entry. Far beyond any trained network (whose
/// entries are O(1-100)), and small enough that `Delta_p = y^T Sigma y` stays finite for any latent
/// point with `|kappa|, |v| < 1e140`.
pub const MAX_ABS_ENTRY: f64 = 1e12;

/// Fractions must sum to 1 within this tolerance (they are not renormalised).
pub const FRACTION_SUM_TOL: f64 = 1e-9;

/// Covariances must be symmetric within `SYMMETRY_RTOL * max(1, |a_ij|, |a_ji|)`; they are then
/// symmetrised exactly by averaging.
pub const SYMMETRY_RTOL: f64 = 1e-9;

/// A covariance counts as PSD when its smallest eigenvalue is at least `-PSD_RTOL * max(1, |lambda_max|)`
/// (rounding of an exactly singular matrix).
pub const PSD_RTOL: f64 = 1e-12;

/// Rank `R`, input channels `S` and outputs `O` of a population model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ModelDims {
    pub rank: usize,
    pub inputs: usize,
    pub outputs: usize,
}

impl ModelDims {
    /// Number of loadings `D = 2R + S + O`, the size of each covariance.
    pub fn loadings(&self) -> usize {
        2 * self.rank + self.inputs + self.outputs
    }

    /// Rank in `1..=MAX_SMALL_DIM`, inputs and outputs in `0..=MAX_SMALL_DIM`.
    pub fn validate(&self) -> Result<(), ModelError> {
        for (what, value, min) in [
            ("rank", self.rank, 1),
            ("inputs", self.inputs, 0),
            ("outputs", self.outputs, 0),
        ] {
            if value < min || value > MAX_SMALL_DIM {
                return Err(ModelError::Dim {
                    what,
                    value,
                    min,
                    max: MAX_SMALL_DIM,
                });
            }
        }
        Ok(())
    }
}

/// One population of a [`PopulationModel`].
#[derive(Debug, Clone, PartialEq)]
pub struct Population {
    pub name: String,
    /// `alpha_p`, the fraction of neurons in this population.
    pub fraction: f64,
    /// `mu_p` (length `D`), zero in the papers.
    pub mean: DVector<f64>,
    /// `Sigma_p` (`D x D`) in the loading order of MODEL.md 4.
    pub cov: DMatrix<f64>,
    /// Teaching mode: `<phi'>_p` fixed to this value in `[0, 1]` (the population then acts as the
    /// linear function `x -> g x`).
    pub gain_clamp: Option<f64>,
}

impl Population {
    /// A zero-mean, unclamped population.
    pub fn zero_mean(name: impl Into<String>, fraction: f64, cov: DMatrix<f64>) -> Self {
        Self {
            name: name.into(),
            fraction,
            mean: DVector::zeros(cov.nrows()),
            cov,
            gain_clamp: None,
        }
    }

    /// Whether any mean loading is non-zero.
    pub fn has_mean(&self) -> bool {
        self.mean.iter().any(|&x| x != 0.0)
    }
}

/// Whether a covariance is positive semi-definite, with its smallest eigenvalue.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PsdStatus {
    pub smallest_eigenvalue: f64,
    pub is_psd: bool,
}

/// Why a model, or an edit of one, is rejected. Population numbers are shown 1-based, as in
/// [`ModelParam`](super::ModelParam) names.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum ModelError {
    #[error("{what} = {value} is outside the supported range {min}..={max}")]
    Dim {
        what: &'static str,
        value: usize,
        min: usize,
        max: usize,
    },
    #[error("the model has no populations")]
    NoPopulations,
    #[error("{count} input names for {inputs} inputs")]
    InputNames { count: usize, inputs: usize },
    #[error("the input name {name:?} is given twice: every channel needs its own name")]
    DuplicateInputName { name: String },
    #[error("population {}: {field} has shape {got}, expected {expected}", .pop + 1)]
    Shape {
        pop: usize,
        field: &'static str,
        got: String,
        expected: String,
    },
    #[error("population {}: {field}{at} = {value} is {reason}", .pop + 1)]
    Value {
        pop: usize,
        field: &'static str,
        /// Which entry, e.g. `(n2,m1)`; empty for scalars.
        at: String,
        value: f64,
        reason: &'static str,
    },
    #[error("population {}: cov is not symmetric: cov({a},{b}) = {ab} but cov({b},{a}) = {ba}", .pop + 1)]
    Asymmetric {
        pop: usize,
        a: String,
        b: String,
        ab: f64,
        ba: f64,
    },
    #[error("the fractions sum to {sum}, not 1 (tolerance {FRACTION_SUM_TOL:e})")]
    FractionSum { sum: f64 },
    #[error("population {} does not exist (the model has {count})", .pop + 1)]
    NoSuchPopulation { pop: usize, count: usize },
    #[error("loading `{name}` does not exist in a model of rank {}, {} inputs, {} outputs", .dims.rank, .dims.inputs, .dims.outputs)]
    NoSuchLoading { name: String, dims: ModelDims },
    #[error("population {}'s gain is not clamped", .pop + 1)]
    NotClamped { pop: usize },
    #[error("a model with a single population has fraction 1")]
    SingleFraction,
    #[error("cannot parse parameter `{text}`: {reason}")]
    Parse { text: String, reason: String },
}

impl ModelError {
    /// The population (0-based) and field an error is about, if any: lets file readers name the key.
    pub fn location(&self) -> Option<(usize, &'static str)> {
        match self {
            ModelError::Shape { pop, field, .. } | ModelError::Value { pop, field, .. } => {
                Some((*pop, field))
            }
            ModelError::Asymmetric { pop, .. } => Some((*pop, "cov")),
            _ => None,
        }
    }
}

const REASON_NON_FINITE: &str = "not finite";
const REASON_TOO_LARGE: &str = "larger in magnitude than the supported 1e12";
const REASON_UNIT_RANGE: &str = "outside [0, 1]";

/// A validated population model (MODEL.md 4).
#[derive(Debug, Clone, PartialEq)]
pub struct PopulationModel {
    dims: ModelDims,
    input_names: Vec<String>,
    populations: Vec<Population>,
    meta: Map<String, Value>,
}

impl PopulationModel {
    /// Validates and builds a model: dimensions in range, one name per input, at least one
    /// population, every population's shapes, finite values within [`MAX_ABS_ENTRY`], fractions and
    /// clamps in `[0, 1]`, covariances symmetric (within [`SYMMETRY_RTOL`], then symmetrised), and
    /// fractions summing to 1 within [`FRACTION_SUM_TOL`]. Covariances need not be PSD.
    pub fn new(
        dims: ModelDims,
        input_names: Vec<String>,
        mut populations: Vec<Population>,
    ) -> Result<Self, ModelError> {
        dims.validate()?;
        if input_names.len() != dims.inputs {
            return Err(ModelError::InputNames {
                count: input_names.len(),
                inputs: dims.inputs,
            });
        }
        // Channels are named case-insensitively (`--input a`): names must differ that way too.
        let repeated = input_names
            .iter()
            .enumerate()
            .find(|(k, n)| input_names[..*k].iter().any(|m| m.eq_ignore_ascii_case(n)));
        if let Some((_, name)) = repeated {
            return Err(ModelError::DuplicateInputName { name: name.clone() });
        }
        if populations.is_empty() {
            return Err(ModelError::NoPopulations);
        }
        for (p, pop) in populations.iter_mut().enumerate() {
            validate_population(p, pop, &dims)?;
        }
        let sum: f64 = populations.iter().map(|p| p.fraction).sum();
        if (sum - 1.0).abs() > FRACTION_SUM_TOL {
            return Err(ModelError::FractionSum { sum });
        }
        Ok(Self {
            dims,
            input_names,
            populations,
            meta: Map::new(),
        })
    }

    /// The same model with free-form metadata (kept by the JSON format, e.g. `name`, `description`).
    pub fn with_meta(mut self, meta: Map<String, Value>) -> Self {
        self.meta = meta;
        self
    }

    pub fn dims(&self) -> ModelDims {
        self.dims
    }

    pub fn populations(&self) -> &[Population] {
        &self.populations
    }

    /// Display names of the input channels (e.g. `A`, `B`).
    pub fn input_names(&self) -> &[String] {
        &self.input_names
    }

    pub fn meta(&self) -> &Map<String, Value> {
        &self.meta
    }

    /// Loading names in covariance order: `m1.. n1.. I1.. w1..`.
    pub fn loading_names(&self) -> Vec<String> {
        (0..self.dims.loadings())
            .map(|i| Loading::from_index(i, &self.dims).to_string())
            .collect()
    }

    /// Index of a loading in the covariance order, or an error naming it.
    pub fn loading_index(&self, loading: Loading) -> Result<usize, ModelError> {
        loading
            .index(&self.dims)
            .ok_or_else(|| ModelError::NoSuchLoading {
                name: loading.to_string(),
                dims: self.dims,
            })
    }

    /// Smallest eigenvalue of each population's covariance, and whether it counts as PSD.
    pub fn psd_status(&self) -> Vec<PsdStatus> {
        self.populations
            .iter()
            .map(|p| {
                let eig = p.cov.symmetric_eigenvalues();
                let (min, max) = (eig.min(), eig.amax());
                PsdStatus {
                    smallest_eigenvalue: min,
                    is_psd: min >= -PSD_RTOL * max.max(1.0),
                }
            })
            .collect()
    }

    /// What the analysis of this model adjusts silently unless told: one line per population whose
    /// covariance is not PSD (the mean field clamps its negative variances at 0, and networks are
    /// drawn from it with its negative eigenvalues clipped).
    pub fn warnings(&self) -> Vec<String> {
        self.psd_status()
            .iter()
            .zip(&self.populations)
            .filter(|(s, _)| !s.is_psd)
            .map(|(s, p)| {
                format!(
                    "{}: the covariance is not positive semi-definite (smallest eigenvalue {:.4e}); the mean field clamps its negative variances at 0 and drawn networks clip its negative eigenvalues",
                    p.name, s.smallest_eigenvalue
                )
            })
            .collect()
    }

    /// Replaces population `pop`'s covariance by the nearest PSD matrix ([`nearest_psd`]).
    pub fn make_psd(&mut self, pop: usize) -> Result<(), ModelError> {
        let p = self.population_mut(pop)?;
        p.cov = nearest_psd(&p.cov);
        Ok(())
    }

    /// Sets `alpha_pop = value` and rescales the other fractions proportionally so the sum stays 1
    /// (if they are all 0, they share `1 - value` equally). A single population's fraction can only
    /// be 1.
    pub fn set_fraction(&mut self, pop: usize, value: f64) -> Result<(), ModelError> {
        self.population_mut(pop)?;
        check_unit(pop, "fraction", value)?;
        let count = self.populations.len();
        if count == 1 {
            return if value == 1.0 {
                Ok(())
            } else {
                Err(ModelError::SingleFraction)
            };
        }
        let rest: f64 = (0..count)
            .filter(|&q| q != pop)
            .map(|q| self.populations[q].fraction)
            .sum();
        for (q, p) in self.populations.iter_mut().enumerate() {
            p.fraction = if q == pop {
                value
            } else if rest > 0.0 {
                p.fraction * ((1.0 - value) / rest)
            } else {
                (1.0 - value) / (count - 1) as f64
            };
        }
        Ok(())
    }

    /// Sets `Sigma_pop[a, b]` and `Sigma_pop[b, a]` to `value`.
    pub fn set_cov(
        &mut self,
        pop: usize,
        a: Loading,
        b: Loading,
        value: f64,
    ) -> Result<(), ModelError> {
        let (i, j) = (self.loading_index(a)?, self.loading_index(b)?);
        check_entry(pop, "cov", || format!("({a},{b})"), value)?;
        let p = self.population_mut(pop)?;
        p.cov[(i, j)] = value;
        p.cov[(j, i)] = value;
        Ok(())
    }

    /// Sets `mu_pop[a]` to `value`.
    pub fn set_mean(&mut self, pop: usize, a: Loading, value: f64) -> Result<(), ModelError> {
        let i = self.loading_index(a)?;
        check_entry(pop, "mean", || format!("({a})"), value)?;
        self.population_mut(pop)?.mean[i] = value;
        Ok(())
    }

    /// Clamps population `pop`'s gain to `gain` in `[0, 1]`, or releases it with `None`.
    pub fn set_gain_clamp(&mut self, pop: usize, gain: Option<f64>) -> Result<(), ModelError> {
        self.population_mut(pop)?;
        if let Some(g) = gain {
            check_unit(pop, "gain_clamp", g)?;
        }
        self.populations[pop].gain_clamp = gain;
        Ok(())
    }

    fn population_mut(&mut self, pop: usize) -> Result<&mut Population, ModelError> {
        let count = self.populations.len();
        self.populations
            .get_mut(pop)
            .ok_or(ModelError::NoSuchPopulation { pop, count })
    }
}

/// The nearest (in Frobenius norm) symmetric PSD matrix to the symmetric `cov`: negative eigenvalues
/// clipped to 0, `V max(Lambda, 0) V^T`, symmetrised.
pub fn nearest_psd(cov: &DMatrix<f64>) -> DMatrix<f64> {
    let eig = cov.clone().symmetric_eigen();
    let clipped = eig.eigenvalues.map(|l| l.max(0.0));
    let v = &eig.eigenvectors;
    let out = v * DMatrix::from_diagonal(&clipped) * v.transpose();
    (&out + out.transpose()) * 0.5
}

/// Checks one population against `dims` and symmetrises its covariance.
fn validate_population(p: usize, pop: &mut Population, dims: &ModelDims) -> Result<(), ModelError> {
    let d = dims.loadings();
    check_unit(p, "fraction", pop.fraction)?;
    if let Some(g) = pop.gain_clamp {
        check_unit(p, "gain_clamp", g)?;
    }
    if pop.mean.len() != d {
        return Err(ModelError::Shape {
            pop: p,
            field: "mean",
            got: format!("({},)", pop.mean.len()),
            expected: format!("({d},)"),
        });
    }
    if pop.cov.shape() != (d, d) {
        return Err(ModelError::Shape {
            pop: p,
            field: "cov",
            got: format!("{:?}", pop.cov.shape()),
            expected: format!("({d}, {d})"),
        });
    }
    let name = |i: usize| Loading::from_index(i, dims).to_string();
    for (i, &x) in pop.mean.iter().enumerate() {
        check_entry(p, "mean", || format!("({})", name(i)), x)?;
    }
    for i in 0..d {
        for j in 0..d {
            check_entry(
                p,
                "cov",
                || format!("({},{})", name(i), name(j)),
                pop.cov[(i, j)],
            )?;
        }
    }
    for i in 0..d {
        for j in 0..i {
            let (ab, ba) = (pop.cov[(i, j)], pop.cov[(j, i)]);
            if (ab - ba).abs() > SYMMETRY_RTOL * ab.abs().max(ba.abs()).max(1.0) {
                return Err(ModelError::Asymmetric {
                    pop: p,
                    a: name(i),
                    b: name(j),
                    ab,
                    ba,
                });
            }
            let mid = 0.5 * (ab + ba);
            pop.cov[(i, j)] = mid;
            pop.cov[(j, i)] = mid;
        }
    }
    Ok(())
}

/// A scalar in `[0, 1]`.
fn check_unit(pop: usize, field: &'static str, value: f64) -> Result<(), ModelError> {
    if (0.0..=1.0).contains(&value) {
        Ok(())
    } else {
        Err(ModelError::Value {
            pop,
            field,
            at: String::new(),
            value,
            reason: if value.is_finite() {
                REASON_UNIT_RANGE
            } else {
                REASON_NON_FINITE
            },
        })
    }
}

/// A finite mean or covariance entry within [`MAX_ABS_ENTRY`]; `at` names it (built only on error).
fn check_entry(
    pop: usize,
    field: &'static str,
    at: impl FnOnce() -> String,
    value: f64,
) -> Result<(), ModelError> {
    let reason = if !value.is_finite() {
        REASON_NON_FINITE
    } else if value.abs() > MAX_ABS_ENTRY {
        REASON_TOO_LARGE
    } else {
        return Ok(());
    };
    Err(ModelError::Value {
        pop,
        field,
        at: at(),
        value,
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dims() -> ModelDims {
        ModelDims {
            rank: 1,
            inputs: 1,
            outputs: 1,
        }
    }

    fn cov4() -> DMatrix<f64> {
        DMatrix::from_row_slice(
            4,
            4,
            &[
                2.0, 0.5, 0.1, 0.0, //
                0.5, 3.0, 0.0, 0.2, //
                0.1, 0.0, 1.0, 0.0, //
                0.0, 0.2, 0.0, 1.5,
            ],
        )
    }

    fn model(fractions: &[f64]) -> Result<PopulationModel, ModelError> {
        let pops = fractions
            .iter()
            .enumerate()
            .map(|(i, &f)| Population::zero_mean(format!("pop {}", i + 1), f, cov4()))
            .collect();
        PopulationModel::new(dims(), vec!["A".into()], pops)
    }

    #[test]
    fn valid_models_are_accepted_and_named() {
        let m = model(&[0.25, 0.75]).unwrap();
        assert_eq!(m.loading_names(), ["m1", "n1", "I1", "w1"]);
        assert!(m.psd_status().iter().all(|s| s.is_psd));
    }

    #[test]
    fn invalid_models_are_rejected_with_a_precise_error() {
        assert_eq!(
            model(&[0.5, 0.625]).unwrap_err(),
            ModelError::FractionSum { sum: 1.125 }
        );
        assert!(matches!(
            model(&[1.5, -0.5]).unwrap_err(),
            ModelError::Value {
                pop: 0,
                field: "fraction",
                ..
            }
        ));
        assert_eq!(model(&[]).unwrap_err(), ModelError::NoPopulations);
        let mut bad = Population::zero_mean("x", 1.0, cov4());
        bad.cov[(2, 1)] = f64::NAN;
        let err = PopulationModel::new(dims(), vec!["A".into()], vec![bad.clone()]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "population 1: cov(I1,n1) = NaN is not finite"
        );
        assert_eq!(err.location(), Some((0, "cov")));
        bad.cov[(2, 1)] = 0.3;
        let err = PopulationModel::new(dims(), vec!["A".into()], vec![bad.clone()]).unwrap_err();
        assert!(matches!(err, ModelError::Asymmetric { .. }), "{err}");
        bad.cov[(2, 1)] = 1e13;
        bad.cov[(1, 2)] = 1e13;
        assert!(PopulationModel::new(dims(), vec!["A".into()], vec![bad.clone()]).is_err());
        bad.cov = DMatrix::zeros(3, 3);
        assert!(matches!(
            PopulationModel::new(dims(), vec!["A".into()], vec![bad]).unwrap_err(),
            ModelError::Shape { field: "cov", .. }
        ));
        let mut clamp = Population::zero_mean("x", 1.0, cov4());
        clamp.gain_clamp = Some(1.2);
        assert!(PopulationModel::new(dims(), vec!["A".into()], vec![clamp]).is_err());
        let zero_rank = ModelDims { rank: 0, ..dims() };
        assert!(matches!(
            PopulationModel::new(zero_rank, vec!["A".into()], vec![]).unwrap_err(),
            ModelError::Dim { what: "rank", .. }
        ));
        assert!(matches!(
            PopulationModel::new(dims(), vec![], vec![]).unwrap_err(),
            ModelError::InputNames { .. }
        ));
    }

    #[test]
    fn repeated_input_names_are_refused_and_non_psd_models_warned_about() {
        let model = crate::reduced::presets::get("dms_mixture_2pop")
            .unwrap()
            .model;
        let pops = model.populations().to_vec();
        let err = PopulationModel::new(model.dims(), vec!["A".into(), "a".into()], pops.clone())
            .unwrap_err();
        assert_eq!(err, ModelError::DuplicateInputName { name: "a".into() });
        assert!(model.warnings().is_empty());
        let mut bent = model.clone();
        let p: crate::reduced::ModelParam = "p1.cov(n2,m1)".parse().unwrap();
        p.set(&mut bent, 40.0).unwrap();
        let w = bent.warnings();
        assert_eq!(w.len(), 1);
        assert!(
            w[0].starts_with("pop 1: the covariance is not positive semi-definite"),
            "{}",
            w[0]
        );
    }

    #[test]
    fn tiny_asymmetry_is_symmetrised() {
        let mut cov = cov4();
        cov[(0, 1)] += 1e-12;
        let m = PopulationModel::new(
            dims(),
            vec!["A".into()],
            vec![Population::zero_mean("x", 1.0, cov)],
        )
        .unwrap();
        let c = &m.populations()[0].cov;
        assert_eq!(c[(0, 1)], c[(1, 0)]);
    }

    #[test]
    fn non_psd_is_flagged_and_repaired_by_eigenvalue_clipping() {
        let mut m = model(&[0.5, 0.5]).unwrap();
        // cov(m1, n1) = 3 with variances 2 and 3: correlation > 1.
        m.set_cov(0, Loading::M(0), Loading::N(0), 3.0).unwrap();
        let status = m.psd_status();
        assert!(!status[0].is_psd && status[1].is_psd);
        let before = m.populations()[0].cov.clone();
        let lambda_min = before.clone().symmetric_eigenvalues().min();
        assert!((status[0].smallest_eigenvalue - lambda_min).abs() < 1e-14);
        m.make_psd(0).unwrap();
        let after = &m.populations()[0].cov;
        assert!(m.psd_status()[0].is_psd);
        // Clipping one negative eigenvalue moves the matrix by exactly |lambda_min| (Frobenius).
        assert!(((&before - after).norm() - lambda_min.abs()).abs() < 1e-12);
        assert_eq!(after, &after.transpose());
    }

    #[test]
    fn setting_a_fraction_rescales_the_others() {
        let mut m = model(&[0.2, 0.3, 0.5]).unwrap();
        m.set_fraction(0, 0.6).unwrap();
        let f: Vec<f64> = m.populations().iter().map(|p| p.fraction).collect();
        assert!((f[0] - 0.6).abs() < 1e-15);
        assert!((f[1] - 0.15).abs() < 1e-15 && (f[2] - 0.25).abs() < 1e-15);
        m.set_fraction(0, 1.0).unwrap();
        m.set_fraction(0, 0.4).unwrap();
        let f: Vec<f64> = m.populations().iter().map(|p| p.fraction).collect();
        assert_eq!(f, [0.4, 0.3, 0.3], "all others were 0: equal shares");
        assert!(m.set_fraction(0, 1.1).is_err());
        assert!(m.set_fraction(3, 0.1).is_err());
        let mut single = model(&[1.0]).unwrap();
        assert_eq!(single.set_fraction(0, 0.5), Err(ModelError::SingleFraction));
        assert!(single.set_fraction(0, 1.0).is_ok());
    }

    #[test]
    fn setters_validate_their_values() {
        let mut m = model(&[1.0]).unwrap();
        assert!(m.set_cov(0, Loading::M(0), Loading::W(1), 1.0).is_err());
        assert!(
            m.set_cov(0, Loading::M(0), Loading::N(0), f64::INFINITY)
                .is_err()
        );
        assert!(m.set_mean(0, Loading::I(0), f64::NAN).is_err());
        assert!(m.set_gain_clamp(0, Some(-0.1)).is_err());
        assert!(m.set_gain_clamp(0, Some(0.3)).is_ok());
        assert_eq!(m.populations()[0].gain_clamp, Some(0.3));
        assert!(m.set_mean(0, Loading::I(0), 0.7).is_ok());
        assert!(m.populations()[0].has_mean());
    }
}
