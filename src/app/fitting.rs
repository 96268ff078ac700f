//! Reverse engineering from the app (MODEL.md 5), as background [`Job`]s: "Fit populations"
//! ([`fit_network`]) on a loaded network, and fine-tuning ([`finetune`]) of the population model.
//! Their results become the app's population model (sliders, mean-field overlay); the fit's
//! labels colour the loadings scatter.

use std::sync::Arc;

use eframe::egui;

use crate::app::jobs::Job;
use crate::fit::finetune::{FinetuneConfig, FinetuneOutcome, FinetuneProgress, finetune};
use crate::fit::gmm::GmmOptions;
use crate::fit::{FitOptions, FitReport, PopulationCount, fit_network};
use crate::model::{Axes, Model};
use crate::reduced::PopulationModel;
use crate::task::{TaskKind, dms};

/// What the user asked to fit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FitRequest {
    pub populations: PopulationCount,
    pub restarts: usize,
    pub seed: u64,
}

/// A finished fit, tied to the network it describes.
#[derive(Debug)]
pub struct FittedNetwork {
    pub network: Arc<Model>,
    pub report: FitReport,
    /// Wall time of the fit, s.
    pub seconds: f64,
}

impl FittedNetwork {
    /// Whether this fit describes `net` (the same loaded network, not a reload).
    pub fn describes(&self, net: &Arc<Model>) -> bool {
        Arc::ptr_eq(&self.network, net)
    }

    /// "2 populations (339 + 173 neurons) fitted to n,m,I, ln L = -5550.5, BIC = 11369.3": the
    /// likelihood is that of the fitted loadings (the CLI's default, [`LoadingBlocks::default_for`]
    /// the network).
    ///
    /// [`LoadingBlocks::default_for`]: crate::fit::LoadingBlocks::default_for
    pub fn summary(&self) -> String {
        let counts: Vec<String> = self
            .report
            .populations
            .iter()
            .map(|p| p.count.to_string())
            .collect();
        let p = self.report.populations.len();
        format!(
            "{p} population{} ({} neurons) of loadings {}, ln L = {:.1}, BIC = {:.1}",
            if p == 1 { "" } else { "s" },
            counts.join(" + "),
            self.report.loadings,
            self.report.log_likelihood,
            self.report.bic
        )
    }
}

/// What a fit job returns: the fitted model and its report.
pub type FitResult = Result<(PopulationModel, FittedNetwork), String>;

/// Starts fitting `net`'s loadings on the axes the app shows it on (the SVD axes of a file; a
/// drawn network's own). `None` if `net` is not a network.
pub fn start_fit(net: Arc<Model>, req: FitRequest, ctx: &egui::Context) -> Option<Job<FitResult>> {
    let svd = net.network()?.axes == Axes::Svd;
    // The CLI's default loadings: the papers' (n, m, I) for a DMS-shaped network.
    let opts = FitOptions {
        populations: req.populations,
        svd,
        loadings: None,
        em: GmmOptions {
            restarts: req.restarts,
            seed: req.seed,
            ..GmmOptions::default()
        },
    };
    Some(Job::spawn(ctx, move |job| {
        job.report(format!("fitting populations to {}", net.title()));
        let t0 = std::time::Instant::now();
        let network = net
            .network()
            .map(|n| n.network.clone())
            .ok_or("not a network")?;
        let fit = fit_network(&network, &opts, &job.cancel).map_err(|e| e.to_string())?;
        Ok((
            fit.model,
            FittedNetwork {
                network: net,
                report: fit.report,
                seconds: t0.elapsed().as_secs_f64(),
            },
        ))
    }))
}

/// What the user asked to fine-tune.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FinetuneRequest {
    pub neurons: usize,
    pub steps: usize,
    pub lr: f64,
    pub seed: u64,
}

impl Default for FinetuneRequest {
    fn default() -> Self {
        let c = FinetuneConfig::default();
        FinetuneRequest {
            neurons: c.neurons,
            steps: c.steps,
            lr: c.lr,
            seed: 1,
        }
    }
}

/// Starts fine-tuning `model` on DMS (the task of the app's trials), with the CLI's defaults
/// for everything `req` does not set.
pub fn start_finetune(
    model: PopulationModel,
    req: FinetuneRequest,
    ctx: &egui::Context,
) -> Job<Result<FinetuneOutcome, String>> {
    let config = FinetuneConfig {
        neurons: req.neurons,
        steps: req.steps,
        lr: req.lr,
        ..FinetuneConfig::default()
    };
    let kind = TaskKind::Dms(dms::DmsConfig::default());
    Job::spawn(ctx, move |job| {
        let mut progress = |p: FinetuneProgress<'_>| match p {
            FinetuneProgress::Evaluating(when) => {
                job.report(format!("evaluating resamples {when}"));
            }
            FinetuneProgress::Evaluated(..) => {}
            FinetuneProgress::Step(s) => job.report(format!(
                "step {}/{}: loss {:.3}, accuracy {:.2}",
                s.step, config.steps, s.loss, s.accuracy
            )),
        };
        finetune(&model, &kind, &config, req.seed, &job.cancel, &mut progress)
            .map_err(|e| e.to_string())
    })
}
