//! Files the app opens: networks (kept outside [`Params`], behind an `Arc`), population models and
//! sessions, told apart by content. Loading runs on a background thread so a big file never
//! freezes the window.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};

use nalgebra::DMatrix;

use crate::app::params::Params;
use crate::app::session;
use crate::examples;
use crate::fit;
use crate::io::{self, ModelFile};
use crate::network::{Dims, Network, Projector};
use crate::reduced::{ExactReduction, PopulationModel};

/// A loaded network on its latent axes: the SVD axes of MODEL.md 2 for a file (orthogonal and
/// unique), the model's own axes for a network drawn from a population model (so that the model's
/// mean field is drawn on the same axes). The exact reduction, the projection of full states and
/// the loadings all use these axes, so `kappa` means the same in every view.
#[derive(Debug)]
pub struct LoadedNetwork {
    pub path: PathBuf,
    pub network: Network,
    /// Whether `network` was re-parametrised on its SVD axes.
    pub svd_axes: bool,
    pub exact: ExactReduction,
    pub projector: Projector,
    /// Each neuron's loadings on these axes, `(m, n, I, w)` in MODEL.md 4 order, for the scatter
    /// view and the population fit.
    pub loadings: DMatrix<f64>,
}

impl LoadedNetwork {
    /// Re-parametrises `network` on its SVD axes and prepares its reduction and projector.
    pub fn new(path: &Path, network: &Network) -> Result<LoadedNetwork, String> {
        let network = network
            .svd_reparametrised()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        LoadedNetwork::on_axes(path, network, true)
    }

    /// A network drawn from a population model, kept on the model's axes.
    pub fn drawn(name: &str, network: Network) -> Result<LoadedNetwork, String> {
        LoadedNetwork::on_axes(Path::new(name), network, false)
    }

    fn on_axes(path: &Path, network: Network, svd_axes: bool) -> Result<LoadedNetwork, String> {
        let loadings =
            fit::loadings(&network, false).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(LoadedNetwork {
            path: path.to_path_buf(),
            svd_axes,
            exact: ExactReduction::new(&network),
            projector: Projector::new(&network),
            loadings,
            network,
        })
    }

    pub fn dims(&self) -> Dims {
        self.network.dims()
    }

    /// `name (N = 64, rank 2)` for titles and labels.
    pub fn describe(&self) -> String {
        let d = self.dims();
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.path.display().to_string());
        format!("{name} (N = {}, rank {})", d.neurons, d.rank)
    }
}

/// What a file turned out to hold.
#[derive(Debug)]
pub enum Opened {
    Network(Arc<LoadedNetwork>),
    Population {
        model: PopulationModel,
        path: PathBuf,
    },
    Session {
        params: Box<Params>,
        path: PathBuf,
    },
}

/// Reads any file the app accepts: a session, a population model or a network, or a built-in
/// example network named `builtin:<id>`.
pub fn open(path: &Path) -> Result<Opened, String> {
    if let Some(example) = examples::from_path(path) {
        let net = example?.network()?;
        return LoadedNetwork::new(path, &net).map(|n| Opened::Network(Arc::new(n)));
    }
    if session::is_session_file(path) {
        return session::load(path).map(|params| Opened::Session {
            params: Box::new(params),
            path: path.to_path_buf(),
        });
    }
    match io::load_model(path).map_err(|e| e.to_string())? {
        ModelFile::Network(file) => {
            LoadedNetwork::new(path, &file.network).map(|n| Opened::Network(Arc::new(n)))
        }
        ModelFile::Population(model) => Ok(Opened::Population {
            model,
            path: path.to_path_buf(),
        }),
    }
}

/// Opens files on background threads; the UI polls [`Loader::poll`] every frame.
pub struct Loader {
    tx: Sender<Result<Opened, String>>,
    rx: Receiver<Result<Opened, String>>,
    pending: usize,
}

impl Default for Loader {
    fn default() -> Self {
        let (tx, rx) = channel();
        Loader { tx, rx, pending: 0 }
    }
}

impl Loader {
    /// Starts reading `path`; the result arrives through [`Loader::poll`].
    pub fn start(&mut self, path: PathBuf, ctx: &eframe::egui::Context) {
        self.start_with(ctx, move || open(&path));
    }

    /// Starts making something to open (a file read, a network drawn from a model) on a
    /// background thread; the result arrives through [`Loader::poll`].
    pub fn start_with(
        &mut self,
        ctx: &eframe::egui::Context,
        make: impl FnOnce() -> Result<Opened, String> + Send + 'static,
    ) {
        self.pending += 1;
        let tx = self.tx.clone();
        let ctx = ctx.clone();
        std::thread::spawn(move || {
            let _ = tx.send(make());
            ctx.request_repaint();
        });
    }

    /// Reads `path` on the calling thread (start-up and tests, where the answer is needed now).
    pub fn open_now(&mut self, path: &Path) {
        self.pending += 1;
        let _ = self.tx.send(open(path));
    }

    /// The files finished since the last call.
    pub fn poll(&mut self) -> Vec<Result<Opened, String>> {
        let done: Vec<_> = self.rx.try_iter().collect();
        self.pending = self.pending.saturating_sub(done.len());
        done
    }

    /// Whether a file is still being read.
    pub fn busy(&self) -> bool {
        self.pending > 0
    }
}
