//! The "Fit populations" action: [`fit_network`] (MODEL.md 5) on a background thread, cancellable,
//! so a fit of a big network never freezes the window. The fitted model then becomes the app's
//! population model (sliders, mean-field overlay) and its labels colour the loadings scatter.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, channel};
use std::time::Instant;

use eframe::egui;

use crate::app::source::LoadedNetwork;
use crate::fit::gmm::GmmOptions;
use crate::fit::{FitOptions, FitReport, NetworkFit, PopulationCount, fit_network};

/// What the user asked to fit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FitRequest {
    pub populations: PopulationCount,
    pub restarts: usize,
    pub seed: u64,
}

impl FitRequest {
    fn options(&self) -> FitOptions {
        FitOptions {
            populations: self.populations,
            svd: true,
            em: GmmOptions {
                restarts: self.restarts,
                seed: self.seed,
                ..GmmOptions::default()
            },
        }
    }
}

/// A finished fit, tied to the network it describes.
#[derive(Debug)]
pub struct FittedNetwork {
    pub network: Arc<LoadedNetwork>,
    pub report: FitReport,
    /// Wall time of the fit, s.
    pub seconds: f64,
}

impl FittedNetwork {
    /// Whether this fit describes `net` (the same loaded network, not a reload).
    pub fn describes(&self, net: &Arc<LoadedNetwork>) -> bool {
        Arc::ptr_eq(&self.network, net)
    }

    /// "2 populations (328 + 184 neurons), ln L = -6863.9, BIC = 14083.3".
    pub fn summary(&self) -> String {
        let counts: Vec<String> = self
            .report
            .populations
            .iter()
            .map(|p| p.count.to_string())
            .collect();
        let p = self.report.populations.len();
        format!(
            "{p} population{} ({} neurons), ln L = {:.1}, BIC = {:.1}",
            if p == 1 { "" } else { "s" },
            counts.join(" + "),
            self.report.log_likelihood,
            self.report.bic
        )
    }
}

/// A running fit.
pub struct FitJob {
    rx: Receiver<Result<NetworkFit, String>>,
    cancel: Arc<AtomicBool>,
    network: Arc<LoadedNetwork>,
    started: Instant,
}

impl FitJob {
    /// Starts fitting `net`'s loadings; `ctx` is woken when the result is ready.
    pub fn start(net: Arc<LoadedNetwork>, req: FitRequest, ctx: &egui::Context) -> FitJob {
        let (tx, rx) = channel();
        let cancel = Arc::new(AtomicBool::new(false));
        let (thread_net, thread_cancel, wake) = (net.clone(), cancel.clone(), ctx.clone());
        std::thread::spawn(move || {
            let fit = fit_network(&thread_net.network, &req.options(), &thread_cancel)
                .map_err(|e| e.to_string());
            let _ = tx.send(fit);
            wake.request_repaint();
        });
        FitJob {
            rx,
            cancel,
            network: net,
            started: Instant::now(),
        }
    }

    /// The outcome, once the thread has finished.
    pub fn poll(&self) -> Option<Result<(NetworkFit, FittedNetwork), String>> {
        let fit = self.rx.try_recv().ok()?;
        Some(fit.map(|fit| {
            let fitted = FittedNetwork {
                network: self.network.clone(),
                report: fit.report.clone(),
                seconds: self.started.elapsed().as_secs_f64(),
            };
            (fit, fitted)
        }))
    }

    /// Asks the fit to stop (it answers with a "cancelled" error at its next EM iteration).
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    /// Seconds since the start.
    pub fn elapsed(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }
}
