//! From a network to a population model (MODEL.md 5 steps 1-4): loadings, zero-mean EM, model.
//!
//! [`fit_network`] is one plain call, meant to run on a worker thread (the app) as well as in the
//! CLI: it takes the network and [`FitOptions`], polls `cancel` every EM iteration, and returns the
//! [`PopulationModel`] with a [`FitReport`] (per-neuron labels for a scatter view, the BIC table,
//! every restart).

use std::sync::atomic::AtomicBool;

use serde::Serialize;
use serde_json::{Map, Value, json};
use thiserror::Error;

use super::gmm::{self, Candidate, GmmError, GmmFit, GmmOptions, RestartSummary};
use super::loadings::{loadings, model_dims};
use crate::network::{Network, NetworkError};
use crate::reduced::{Loading, ModelDims, ModelError, Population, PopulationModel};

/// Largest `P_max` of a BIC search by default: the papers need at most a few populations.
pub const DEFAULT_MAX_POPULATIONS: usize = 6;

/// How many populations to fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PopulationCount {
    /// Exactly this many.
    Fixed(usize),
    /// The lowest BIC among `1..=max`.
    Auto { max: usize },
}

/// Everything [`fit_network`] needs besides the network.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FitOptions {
    pub populations: PopulationCount,
    /// Fit the loadings after the SVD re-parametrisation of MODEL.md 2 (the papers do).
    pub svd: bool,
    pub em: GmmOptions,
}

impl Default for FitOptions {
    fn default() -> Self {
        Self {
            populations: PopulationCount::Auto {
                max: DEFAULT_MAX_POPULATIONS,
            },
            svd: true,
            em: GmmOptions::default(),
        }
    }
}

/// Why a network could not be fitted.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum FitError {
    #[error("{0}")]
    Gmm(#[from] GmmError),
    #[error("{0}")]
    Network(#[from] NetworkError),
    #[error("the fitted mixture is not a valid population model: {0}")]
    Model(#[from] ModelError),
}

/// One fitted population, in the model's order (largest count first).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FittedPopulation {
    /// `alpha_p`, the mixture weight (soft share of the neurons).
    pub weight: f64,
    /// Neurons whose most likely population this is.
    pub count: usize,
}

/// What the fit found, besides the model itself.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FitReport {
    pub neurons: usize,
    pub svd: bool,
    pub populations: Vec<FittedPopulation>,
    /// `ln L` of the loadings under the kept mixture.
    pub log_likelihood: f64,
    pub bic: f64,
    /// Each neuron's population (an index into `populations`), in the network's neuron order.
    pub labels: Vec<usize>,
    /// The BIC table of an `auto` search (a single row for a fixed count).
    pub candidates: Vec<Candidate>,
    /// The kept fit's restarts, and which one was kept.
    pub restarts: Vec<RestartSummary>,
    pub best_restart: usize,
    /// Things the user should know (a loading that is zero for every neuron, a bias or initial state
    /// the population model cannot hold).
    pub warnings: Vec<String>,
}

/// A population model with its report.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkFit {
    pub model: PopulationModel,
    pub report: FitReport,
}

/// Fits a zero-mean Gaussian mixture to the loadings of `net` (after the SVD re-parametrisation if
/// `opts.svd`) and returns it as a population model, populations largest first, named `pop 1..`,
/// inputs `I1..`, with the fit's statistics in `meta.fit`. Deterministic for `opts.em.seed` on any
/// number of threads; `cancel` stops it with [`GmmError::Cancelled`].
pub fn fit_network(
    net: &Network,
    opts: &FitOptions,
    cancel: &AtomicBool,
) -> Result<NetworkFit, FitError> {
    let x = loadings(net, opts.svd)?;
    let (fit, candidates) = match opts.populations {
        PopulationCount::Fixed(p) => {
            let fit = gmm::fit_gmm(&x, p, &opts.em, cancel)?;
            let row = Candidate {
                components: p,
                log_likelihood: Some(fit.log_likelihood),
                bic: Some(fit.bic),
            };
            (fit, vec![row])
        }
        PopulationCount::Auto { max } => {
            let sel = gmm::select_by_bic(&x, max, &opts.em, cancel)?;
            (sel.best, sel.candidates)
        }
    };
    let dims = model_dims(net);
    let model = population_model(&fit, dims)?;
    let report = FitReport {
        neurons: x.nrows(),
        svd: opts.svd,
        populations: model
            .populations()
            .iter()
            .zip(&fit.counts)
            .map(|(p, &count)| FittedPopulation {
                weight: p.fraction,
                count,
            })
            .collect(),
        log_likelihood: fit.log_likelihood,
        bic: fit.bic,
        labels: fit.labels.clone(),
        candidates,
        restarts: fit.restarts.clone(),
        best_restart: fit.best_restart,
        warnings: warnings(net, &x, &model),
    };
    let model = model.with_meta(meta(&report, opts));
    Ok(NetworkFit { model, report })
}

/// The mixture as a model: fractions `pi_k` (renormalised to sum exactly 1), zero means.
fn population_model(fit: &GmmFit, dims: ModelDims) -> Result<PopulationModel, ModelError> {
    let total: f64 = fit.mixture.weights.iter().sum();
    let populations = fit
        .mixture
        .weights
        .iter()
        .zip(&fit.mixture.covs)
        .enumerate()
        .map(|(p, (w, cov))| {
            Population::zero_mean(format!("pop {}", p + 1), w / total, cov.clone())
        })
        .collect();
    let inputs = (1..=dims.inputs).map(|s| format!("I{s}")).collect();
    PopulationModel::new(dims, inputs, populations)
}

/// Loadings that are zero for every neuron, and network features the model cannot represent.
fn warnings(net: &Network, x: &nalgebra::DMatrix<f64>, model: &PopulationModel) -> Vec<String> {
    let mut out: Vec<String> = x
        .column_iter()
        .enumerate()
        .filter(|(_, c)| c.iter().all(|&v| v == 0.0))
        .map(|(j, _)| {
            format!(
                "loading {} is zero for every neuron: its variance is only the covariance floor",
                Loading::from_index(j, &model.dims())
            )
        })
        .collect();
    if net.bias().is_some() {
        out.push("the network's bias b is not part of a population model (MODEL.md 4)".into());
    }
    if net.h0().iter().any(|&v| v != 0.0) {
        out.push(
            "the network's initial state h0 is not zero; networks resampled from the model start at 0"
                .into(),
        );
    }
    out
}

/// `meta` of a fitted model: a description and the fit's numbers.
fn meta(report: &FitReport, opts: &FitOptions) -> Map<String, Value> {
    let mut meta = Map::new();
    meta.insert(
        "description".into(),
        json!(format!(
            "Zero-mean Gaussian mixture fitted by EM to the loadings of a {}-neuron network{}",
            report.neurons,
            if report.svd { " (SVD axes)" } else { "" }
        )),
    );
    meta.insert(
        "fit".into(),
        json!({
            "options": opts,
            "populations": report.populations,
            "log_likelihood": report.log_likelihood,
            "bic": report.bic,
            "candidates": report.candidates,
            "restarts": report.restarts,
            "best_restart": report.best_restart,
            "warnings": report.warnings,
        }),
    );
    meta
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::fit::resample_network;
    use crate::io;
    use crate::reduced::presets;

    fn shipped() -> Network {
        io::load_network(Path::new("assets/networks/dms_rank2_n512.json")).unwrap()
    }

    fn fixed(p: usize, svd: bool, seed: u64) -> FitOptions {
        FitOptions {
            populations: PopulationCount::Fixed(p),
            svd,
            em: GmmOptions {
                restarts: 3,
                seed,
                ..GmmOptions::default()
            },
        }
    }

    /// One population is the (floored) second moment of the SVD loadings: an independent formula.
    #[test]
    fn one_population_fit_of_the_shipped_network() {
        let net = shipped();
        let never = AtomicBool::new(false);
        let fit = fit_network(&net, &fixed(1, true, 0), &never).unwrap();
        let x = loadings(&net, true).unwrap();
        let n = x.nrows() as f64;
        let mut expected = x.transpose() * &x / n;
        for a in 0..7 {
            expected[(a, a)] *= 1.0 + gmm::DEFAULT_REG;
        }
        let pop = &fit.model.populations()[0];
        assert!((&pop.cov - &expected).amax() < 1e-12 * expected.amax());
        assert_eq!(pop.fraction, 1.0);
        assert_eq!(
            fit.model.loading_names(),
            ["m1", "m2", "n1", "n2", "I1", "I2", "w1"]
        );
        assert_eq!(fit.report.labels, vec![0; 512]);
        assert_eq!(fit.report.populations[0].count, 512);
        assert!(fit.report.warnings.is_empty());
        assert!(fit.model.meta()["fit"]["bic"].is_f64());
        // Without the SVD the m, n blocks are the network's own vectors.
        let raw = fit_network(&net, &fixed(1, false, 0), &never).unwrap();
        let m1 = net.m().column(0);
        let var_m1 = m1.dot(&m1) / n * (1.0 + gmm::DEFAULT_REG);
        assert!((raw.model.populations()[0].cov[(0, 0)] - var_m1).abs() < 1e-12 * var_m1);
    }

    /// Resampling and fitting are inverse operations: a large network drawn from the published
    /// two-population mixture gives back its fractions and covariances.
    #[test]
    fn fitting_a_network_resampled_from_a_mixture_recovers_the_mixture() {
        let model = presets::get("dms_mixture_2pop").unwrap().model;
        let net = resample_network(&model, 20_000, 11).unwrap();
        let never = AtomicBool::new(false);
        let fit = fit_network(&net, &fixed(2, false, 1), &never).unwrap();
        for (got, want) in fit.model.populations().iter().zip(model.populations()) {
            let err = (&got.cov - &want.cov).norm() / want.cov.norm();
            println!(
                "fraction {:.4} (true {:.4}), relative Frobenius error {err:.4}",
                got.fraction, want.fraction
            );
            assert!((got.fraction - want.fraction).abs() < 0.01);
            assert!(err < 0.05, "{err}");
        }
        // The blocks of `resample_network` come back as labels: pop 1 first, then pop 2.
        let first = (model.populations()[0].fraction * 20_000.0) as usize;
        let agree = fit
            .report
            .labels
            .iter()
            .enumerate()
            .filter(|&(i, &l)| l == usize::from(i >= first))
            .count();
        println!("labels agree for {agree} of 20000 neurons");
        assert!(agree as f64 / 20_000.0 > 0.95);
    }

    #[test]
    fn warnings_name_a_zero_loading_and_a_bias() {
        let mut parts = shipped().into_parts();
        parts.wi.row_mut(1).fill(0.0);
        parts.b = Some(nalgebra::DVector::from_element(512, 0.1));
        let net = Network::new(parts).unwrap();
        let fit = fit_network(&net, &fixed(1, true, 0), &AtomicBool::new(false)).unwrap();
        assert_eq!(fit.report.warnings.len(), 2, "{:?}", fit.report.warnings);
        assert!(fit.report.warnings[0].starts_with("loading I2 is zero"));
        assert!(fit.report.warnings[1].contains("bias"));
    }
}
