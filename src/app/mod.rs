//! The phase-plane explorer (eframe/egui), behind the `gui` feature.
//!
//! One [`Params`] value holds what the user edits (undo/redo, sessions, persistence); an analysis
//! [`worker`] thread computes everything numerical from it through the core; the [`views`] draw
//! the newest [`Results`] and never wait. [`Explorer::ui`] is the whole UI: the eframe app and the
//! kittest tests call the same function.

pub mod compute;
pub mod export;
pub mod fitting;
pub mod jobs;
pub mod params;
pub mod session;
pub mod source;
pub mod views;
pub mod worker;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::Instant;

use eframe::egui::{self, Key, KeyboardShortcut, Modifiers, RichText, Ui};
use egui::util::undoer::{Settings as UndoSettings, Undoer};

use crate::analysis::landscape::Landscape;
use crate::app::compute::{
    BifurcationKey, BifurcationOutcome, LandscapeKey, OverlayOutcome, Readout, SystemSpec,
    TrialSet, UserTrajectory,
};
use crate::app::fitting::{FitResult, FittedNetwork, start_finetune, start_fit};
use crate::app::jobs::Job;
use crate::app::params::{Params, SerdeModel, Source};
use crate::app::source::{LoadedNetwork, Loader, Opened};
use crate::app::views::controls::WARN;
use crate::app::views::{
    Action, bifurcation, controls, loadings, phase_plane, readouts, time_series, trials,
};
use crate::app::worker::{Request, Update, Worker};
use crate::examples;
use crate::fit::finetune::FinetuneOutcome;
use crate::fit::resample_network;
use crate::io;
use crate::reduced::{PopulationModel, TimeModel, presets};
use crate::task::dms;

/// The eframe storage key of the last session.
const STORAGE_KEY: &str = "lowrank-explorer-session";
/// Warnings shown at once (older ones are dropped).
const MAX_NOTICES: usize = 4;
/// Frames kept for the frame-time median of the status line.
const FRAME_WINDOW: usize = 120;
/// Width of the trials' controls in the bottom panel.
const TRIALS_WIDTH: f32 = 390.0;

/// How the app starts.
#[derive(Debug, Clone, Default)]
pub struct StartOptions {
    /// A network, population model or session to open.
    pub file: Option<PathBuf>,
    /// Ignore the last session.
    pub fresh: bool,
}

/// Opens the window and runs the app until it is closed.
pub fn run(options: StartOptions) -> Result<(), String> {
    let native = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_inner_size([1280.0, 800.0])
            .with_min_inner_size([900.0, 600.0])
            .with_drag_and_drop(true)
            .with_title("lowrank-explorer"),
        ..Default::default()
    };
    eframe::run_native(
        "lowrank-explorer",
        native,
        Box::new(move |cc| {
            let restored = if options.fresh || options.file.is_some() {
                None
            } else {
                cc.storage.and_then(|s| s.get_string(STORAGE_KEY))
            };
            let mut app = Explorer::new();
            if let Some(text) = restored {
                match session::from_json(&text) {
                    Ok(p) => app.apply_session(p),
                    Err(e) => app.warn(format!("the last session could not be restored: {e}")),
                }
            }
            if let Some(file) = &options.file {
                app.open_now(file);
            }
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| e.to_string())
}

/// The newest results, as the views read them.
#[derive(Default)]
pub struct Results {
    pub landscape: Option<Arc<Landscape>>,
    /// Whether `landscape` has its cycles and separatrices.
    pub landscape_complete: bool,
    pub readout: Option<Arc<Readout>>,
    pub trajectories: Arc<Vec<UserTrajectory>>,
    pub trials: Option<Arc<TrialSet>>,
    pub overlay: Option<Arc<OverlayOutcome>>,
    pub bifurcation: Option<Arc<BifurcationOutcome>>,
    /// The loaded network, if the source is one.
    pub network: Option<Arc<LoadedNetwork>>,
    /// The last population fit of the loaded network (labels for the loadings scatter).
    pub fit: Option<Arc<FittedNetwork>>,
    /// The running fit or fine-tuning, if any.
    pub job: Option<JobStatus>,
    /// Generation of the newest request sent, and of the newest one the worker finished.
    pub requested: u64,
    pub finished: u64,
}

/// What the views show of a running [`Job`].
#[derive(Debug, Clone, PartialEq)]
pub struct JobStatus {
    /// "fit" or "fine-tuning".
    pub what: &'static str,
    pub progress: String,
    pub seconds: f64,
}

/// The one long computation the user can run at a time.
enum RunningJob {
    Fit(Job<FitResult>),
    Finetune(Job<Result<FinetuneOutcome, String>>),
}

/// The outcome of a PNG export: the file written, or why not.
type PngResult = Result<PathBuf, String>;

/// A message in the notice bar.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub text: String,
    pub warning: bool,
}

#[derive(Default)]
struct Views {
    phase: phase_plane::PhasePlane,
    controls: controls::Controls,
    readouts: readouts::Readouts,
    trials: trials::TrialsPanel,
    series: time_series::TimeSeries,
    bifurcation: bifurcation::BifurcationView,
    loadings: loadings::LoadingsView,
}

/// The whole app state.
pub struct Explorer {
    pub params: Params,
    /// The parameters as last loaded, for "reset".
    origin: Params,
    pub results: Results,
    undoer: Undoer<Params>,
    worker: Worker,
    loader: Loader,
    job: Option<RunningJob>,
    generation: u64,
    last_request: Option<Request>,
    notices: Vec<Notice>,
    views: Views,
    /// The File menu's path field.
    path_text: String,
    /// Results of screenshot exports (written on the painter's callback).
    png_done: (Sender<PngResult>, Receiver<PngResult>),
    /// UI-thread time of recent frames, ms.
    frame_ms: Vec<f64>,
}

impl Default for Explorer {
    fn default() -> Self {
        Explorer::new()
    }
}

impl Explorer {
    /// The app on the default preset, input none, with its worker running.
    pub fn new() -> Explorer {
        Explorer {
            params: Params::default(),
            origin: Params::default(),
            results: Results::default(),
            undoer: Undoer::with_settings(UndoSettings {
                max_undos: 200,
                stable_time: 0.4,
                auto_save_interval: 10.0,
            }),
            worker: Worker::spawn(),
            loader: Loader::default(),
            job: None,
            generation: 0,
            last_request: None,
            notices: Vec::new(),
            views: Views::default(),
            path_text: String::new(),
            png_done: channel(),
            frame_ms: Vec::new(),
        }
    }

    /// Opens a file on the calling thread (start-up and tests).
    pub fn open_now(&mut self, path: &Path) {
        self.path_text = path.display().to_string();
        self.loader.open_now(path);
        self.apply_opened();
    }

    /// The current notices (warnings and confirmations).
    pub fn notices(&self) -> &[Notice] {
        &self.notices
    }

    /// Median UI time per frame over the last frames, in ms.
    pub fn median_frame_ms(&self) -> Option<f64> {
        median(&self.frame_ms)
    }

    /// Whether the worker has finished every stage of the newest request (and no file is loading,
    /// no fit running).
    pub fn settled(&self) -> bool {
        self.results.finished == self.results.requested && !self.loader.busy() && self.job.is_none()
    }

    fn warn(&mut self, text: String) {
        self.notice(text, true);
    }

    fn notice(&mut self, text: String, warning: bool) {
        if self.notices.last().is_some_and(|n| n.text == text) {
            return;
        }
        self.notices.push(Notice { text, warning });
        if self.notices.len() > MAX_NOTICES {
            self.notices.remove(0);
        }
    }

    /// The whole UI, one frame.
    pub fn ui(&mut self, ui: &mut Ui) {
        let t0 = Instant::now();
        let ctx = ui.ctx().clone();
        // The palette of `crate::style` (shared with the exported figures) is made for paper.
        ctx.set_theme(egui::Theme::Light);
        self.worker.set_waker(&ctx);
        self.apply_opened();
        self.receive();
        let mut actions = Vec::new();
        shortcuts(&ctx, &mut actions);
        dropped_files(&ctx, &mut actions);
        self.layout(ui, &mut actions);
        for a in actions {
            self.act(a, &ctx);
        }
        self.undoer.feed_state(ctx.input(|i| i.time), &self.params);
        self.send_request();
        self.frame_ms.push(t0.elapsed().as_secs_f64() * 1e3);
        if self.frame_ms.len() > FRAME_WINDOW {
            self.frame_ms.remove(0);
        }
    }

    fn layout(&mut self, ui: &mut Ui, actions: &mut Vec<Action>) {
        egui::Panel::top("menu").show(ui, |ui| self.menu_bar(ui, actions));
        egui::Panel::bottom("status").show(ui, |ui| self.status_bar(ui));
        if !self.notices.is_empty() {
            egui::Panel::top("notices").show(ui, |ui| self.notice_bar(ui));
        }
        let (params, results, views) = (&mut self.params, &self.results, &mut self.views);
        // Full width under the side panels: the trials' controls, then the three time series.
        if results.trials.is_some() || results.network.is_some() {
            egui::Panel::bottom("trials")
                .resizable(true)
                .default_size(240.0)
                .min_size(150.0)
                .show(ui, |ui| {
                    ui.horizontal_top(|ui| {
                        let size = egui::vec2(TRIALS_WIDTH, ui.available_height());
                        ui.allocate_ui_with_layout(
                            size,
                            egui::Layout::top_down(egui::Align::Min),
                            |ui| {
                                ui.set_width(TRIALS_WIDTH);
                                egui::ScrollArea::vertical()
                                    .id_salt("trials_scroll")
                                    .show(ui, |ui| views.trials.ui(ui, params, results, actions));
                            },
                        );
                        ui.separator();
                        ui.vertical(|ui| views.series.ui(ui, params, results));
                    });
                });
        }
        egui::Panel::left("controls")
            .resizable(true)
            .default_size(320.0)
            .min_size(250.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    views.controls.ui(ui, params, results, actions);
                });
            });
        egui::Panel::right("readouts")
            .resizable(true)
            .default_size(360.0)
            .min_size(260.0)
            .show(ui, |ui| {
                let h = ui.available_height();
                egui::ScrollArea::vertical()
                    .id_salt("readouts_scroll")
                    .max_height(0.5 * h)
                    .show(ui, |ui| views.readouts.ui(ui, params, results));
                ui.separator();
                views.bifurcation.ui(ui, params, results, actions);
            });
        views.loadings.show(ui.ctx(), params, results);
        egui::CentralPanel::default().show(ui, |ui| {
            views.phase.ui(ui, params, results);
        });
    }

    fn menu_bar(&mut self, ui: &mut Ui, actions: &mut Vec<Action>) {
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button("File", |ui| {
                ui.label("Path (a network .pt/.npz/.json, a model or a session):");
                ui.add(egui::TextEdit::singleline(&mut self.path_text).desired_width(320.0))
                    .accessible_name("file path");
                let path = PathBuf::from(self.path_text.trim());
                let has_path = !self.path_text.trim().is_empty();
                ui.horizontal(|ui| {
                    if ui
                        .add_enabled(has_path, egui::Button::new("Open"))
                        .clicked()
                    {
                        actions.push(Action::Open(path.clone()));
                    }
                    if ui
                        .add_enabled(has_path, egui::Button::new("Save session"))
                        .clicked()
                    {
                        actions.push(Action::SaveSession(path.clone()));
                    }
                    if ui
                        .add_enabled(has_path, egui::Button::new("Save population model"))
                        .on_hover_text("The population model of the sliders (e.g. a fit), as JSON for `analyze`, `resample`, `finetune`")
                        .clicked()
                    {
                        actions.push(Action::SaveModel(path.clone()));
                    }
                    if ui
                        .add_enabled(
                            has_path && self.results.network.is_some(),
                            egui::Button::new("Save network"),
                        )
                        .on_hover_text("The open network as JSON, on its SVD axes (same dynamics)")
                        .clicked()
                    {
                        actions.push(Action::SaveNetwork(path.clone()));
                    }
                });
                ui.separator();
                ui.label("Export the phase plane to the path:");
                ui.horizontal(|ui| {
                    if ui.add_enabled(has_path, egui::Button::new("PNG")).clicked() {
                        actions.push(Action::ExportPng(path.clone()));
                    }
                    if ui.add_enabled(has_path, egui::Button::new("SVG")).clicked() {
                        actions.push(Action::ExportSvg(path.clone()));
                    }
                    if ui
                        .add_enabled(has_path, egui::Button::new("CSV"))
                        .on_hover_text("<stem>_trajectories.csv and <stem>_fixed_points.csv")
                        .clicked()
                    {
                        actions.push(Action::ExportCsv(path.clone()));
                    }
                });
                ui.label(RichText::new("Files can also be dropped on the window.").weak());
            });
            ui.menu_button("Edit", |ui| {
                if ui
                    .add_enabled(
                        self.undoer.has_undo(&self.params),
                        egui::Button::new("Undo (Ctrl+Z)"),
                    )
                    .clicked()
                {
                    actions.push(Action::Undo);
                }
                if ui
                    .add_enabled(
                        self.undoer.has_redo(&self.params),
                        egui::Button::new("Redo (Ctrl+Shift+Z)"),
                    )
                    .clicked()
                {
                    actions.push(Action::Redo);
                }
                if ui.button("Reset parameters").clicked() {
                    actions.push(Action::Reset);
                }
            });
            ui.menu_button("Presets", |ui| {
                ui.label(RichText::new("Population models (mean field)").weak());
                for p in presets::all() {
                    if ui.button(&p.name).on_hover_text(&p.description).clicked() {
                        actions.push(Action::LoadPreset(p.id));
                    }
                }
                ui.separator();
                ui.label(RichText::new("Networks (exact reduction, trials)").weak());
                for e in examples::ALL {
                    if ui.button(e.name).on_hover_text(e.description).clicked() {
                        actions.push(Action::Open(PathBuf::from(e.path())));
                    }
                }
            });
            ui.separator();
            if ui
                .add_enabled(
                    self.undoer.has_undo(&self.params),
                    egui::Button::new("undo"),
                )
                .clicked()
            {
                actions.push(Action::Undo);
            }
            if ui
                .add_enabled(
                    self.undoer.has_redo(&self.params),
                    egui::Button::new("redo"),
                )
                .clicked()
            {
                actions.push(Action::Redo);
            }
            if ui
                .button("reset")
                .on_hover_text("Back to the model as loaded")
                .clicked()
            {
                actions.push(Action::Reset);
            }
            ui.separator();
            ui.label(RichText::new(self.title()).strong());
        });
    }

    /// What is shown: the network or the population model.
    fn title(&self) -> String {
        match (&self.params.source, &self.results.network) {
            (Source::Network { .. }, Some(n)) => n.describe(),
            _ => self.params.population_label.clone(),
        }
    }

    fn status_bar(&mut self, ui: &mut Ui) {
        ui.horizontal_wrapped(|ui| {
            if !self.worker.alive() {
                ui.label(RichText::new("the analysis thread stopped").color(WARN));
            }
            let busy = !self.settled();
            ui.label(if busy { "computing…" } else { "idle" });
            ui.separator();
            if let Some(l) = &self.results.landscape {
                let parts: Vec<String> = l
                    .timings
                    .iter()
                    .map(|s| format!("{} {:.1}", s.stage.replace('_', " "), s.millis))
                    .collect();
                ui.label(format!("landscape ms: {}", parts.join(" · ")));
            }
            if let Some(t) = &self.results.trials {
                ui.separator();
                ui.label(format!("trials {:.0} ms", t.millis));
            }
            if let Some(b) = &self.results.bifurcation {
                ui.separator();
                ui.label(format!("bifurcation {:.0} ms", b.millis));
            }
            if let Some(f) = self.median_frame_ms() {
                ui.separator();
                ui.label(format!("UI {f:.1} ms/frame"));
            }
        });
    }

    fn notice_bar(&mut self, ui: &mut Ui) {
        let mut dismiss = None;
        for (i, n) in self.notices.iter().enumerate() {
            ui.horizontal(|ui| {
                if ui
                    .small_button("dismiss")
                    .on_hover_text("dismiss")
                    .clicked()
                {
                    dismiss = Some(i);
                }
                let text = RichText::new(&n.text);
                ui.label(if n.warning {
                    text.color(WARN).strong()
                } else {
                    text
                });
            });
        }
        if let Some(i) = dismiss {
            self.notices.remove(i);
        }
    }

    fn act(&mut self, action: Action, ctx: &egui::Context) {
        match action {
            Action::Warn(t) => self.warn(t),
            Action::Open(p) => {
                self.path_text = p.display().to_string();
                self.loader.start(p, ctx);
            }
            Action::LoadPreset(id) => {
                if let Some(p) = Params::from_preset(id) {
                    self.origin = p.clone();
                    self.params = p;
                    self.results.network = None;
                    self.views.controls.reset_ranges();
                }
            }
            Action::SaveSession(p) => match session::save(&self.params, &p) {
                Ok(()) => self.notice(format!("session saved to {}", p.display()), false),
                Err(e) => self.warn(format!("session not saved: {e}")),
            },
            Action::ExportPng(p) => self.export_png(p, ctx),
            Action::ExportSvg(p) => match &self.results.landscape {
                Some(l) => {
                    let figure = export::SvgFigure {
                        landscape: l,
                        title: self.title(),
                        input_names: self
                            .params
                            .input_names(self.results.network.as_ref().map(|n| n.dims().inputs)),
                        user: &self.results.trajectories,
                        trials: self.results.trials.as_deref(),
                        shown: &self.params.trials.shown,
                        mean_field: self.results.overlay.as_deref().map(|o| &o.landscape),
                    };
                    match export::write_svg(&figure, &p) {
                        Ok(()) => self.notice(format!("wrote {}", p.display()), false),
                        Err(e) => self.warn(format!("SVG export failed: {e}")),
                    }
                }
                None => self.warn("nothing to export yet".into()),
            },
            Action::ExportCsv(p) => {
                let written = export::write_csv(
                    &p,
                    self.results.landscape.as_deref(),
                    &self.results.trajectories,
                    self.results.trials.as_deref(),
                    &self.params.trials.shown,
                );
                match written {
                    Ok(files) => {
                        let names: Vec<String> =
                            files.iter().map(|f| f.display().to_string()).collect();
                        self.notice(format!("wrote {}", names.join(", ")), false);
                    }
                    Err(e) => self.warn(format!("CSV export failed: {e}")),
                }
            }
            Action::Undo => {
                if let Some(p) = self.undoer.undo(&self.params) {
                    self.params = p.clone();
                }
            }
            Action::Redo => {
                if let Some(p) = self.undoer.redo(&self.params) {
                    self.params = p.clone();
                }
            }
            Action::Reset => self.reset(),
            Action::Fit(req) => match &self.results.network {
                Some(_) if self.job.is_some() => {
                    self.warn("a computation is already running".into())
                }
                Some(net) => self.job = Some(RunningJob::Fit(start_fit(net.clone(), req, ctx))),
                None => self.warn("open a network to fit its populations".into()),
            },
            Action::Finetune(req) => {
                if self.job.is_some() {
                    self.warn("a computation is already running".into());
                } else {
                    let model = self.params.population.0.clone();
                    self.job = Some(RunningJob::Finetune(start_finetune(model, req, ctx)));
                }
            }
            Action::CancelJob => match &self.job {
                Some(RunningJob::Fit(j)) => j.cancel(),
                Some(RunningJob::Finetune(j)) => j.cancel(),
                None => {}
            },
            Action::Resample { neurons, seed } => {
                let model = self.params.population.0.clone();
                let label = self.params.population_label.clone();
                self.loader.start_with(ctx, move || {
                    let net = resample_network(&model, neurons, seed).map_err(|e| e.to_string())?;
                    let name = format!("drawn from {label} (seed {seed})");
                    LoadedNetwork::drawn(&name, net).map(|n| Opened::Network(Arc::new(n)))
                });
            }
            Action::SaveNetwork(p) => match &self.results.network {
                Some(net) => match io::save_network_json(&net.network, &p) {
                    Ok(()) => self.notice(format!("network saved to {}", p.display()), false),
                    Err(e) => self.warn(format!("network not saved: {e}")),
                },
                None => self.warn("no network is open".into()),
            },
            Action::SaveModel(p) => {
                match io::save_population_model(&self.params.population.0, &p) {
                    Ok(()) => {
                        self.notice(format!("population model saved to {}", p.display()), false)
                    }
                    Err(e) => self.warn(format!("population model not saved: {e}")),
                }
            }
        }
    }

    /// Shows the running job's progress and takes its result when it is done.
    fn poll_job(&mut self) {
        self.results.job = None;
        match self.job.take() {
            None => {}
            Some(RunningJob::Fit(j)) => match self.watch(j, "fit", RunningJob::Fit) {
                Some(Ok((model, fitted))) => self.apply_fit(model, fitted),
                Some(Err(e)) => self.warn(format!("population fit stopped: {e}")),
                None => {}
            },
            Some(RunningJob::Finetune(j)) => {
                match self.watch(j, "fine-tuning", RunningJob::Finetune) {
                    Some(Ok(outcome)) => self.apply_finetune(outcome),
                    Some(Err(e)) => self.warn(format!("fine-tuning stopped: {e}")),
                    None => {}
                }
            }
        }
    }

    /// The result of a finished `job`; a running one is put back, its status shown.
    fn watch<T: Send + 'static>(
        &mut self,
        job: Job<T>,
        what: &'static str,
        running: fn(Job<T>) -> RunningJob,
    ) -> Option<T> {
        let done = job.poll();
        if done.is_none() {
            self.results.job = Some(JobStatus {
                what,
                progress: job.progress(),
                seconds: job.elapsed(),
            });
            self.job = Some(running(job));
        }
        done
    }

    /// Takes a finished population fit: the fitted model becomes the population model (sliders)
    /// and is drawn over the network's exact landscape.
    fn apply_fit(&mut self, model: PopulationModel, fitted: FittedNetwork) {
        if !self
            .results
            .network
            .as_ref()
            .is_some_and(|n| fitted.describes(n))
        {
            return; // another network was opened meanwhile
        }
        for w in &fitted.report.warnings {
            self.warn(format!("fit: {w}"));
        }
        let name = fitted.network.describe();
        self.notice(
            format!(
                "fitted {} to {name} in {:.1} s; its mean field is drawn dashed over the exact landscape",
                fitted.summary(),
                fitted.seconds
            ),
            false,
        );
        let p = fitted.report.populations.len();
        self.set_population(model, format!("fit of {name}, {p} pop."));
        if let Source::Network {
            overlay_mean_field, ..
        } = &mut self.params.source
        {
            *overlay_mean_field = true;
        }
        self.results.fit = Some(Arc::new(fitted));
    }

    /// Takes a finished fine-tuning run: the tuned model becomes the population model.
    fn apply_finetune(&mut self, outcome: FinetuneOutcome) {
        let (before, after) = (
            outcome.before.mean_accuracy(),
            outcome.after.mean_accuracy(),
        );
        let stopped = if outcome.interrupted {
            " (cancelled: the model reached so far)"
        } else {
            ""
        };
        self.notice(
            format!(
                "fine-tuned {} over {} steps{stopped}: mean accuracy of fresh N = {} networks {before:.3} before, {after:.3} after",
                self.params.population_label,
                outcome.steps.len(),
                outcome.after.neurons
            ),
            false,
        );
        let label = format!("{}, fine-tuned", self.params.population_label);
        self.set_population(outcome.model, label);
    }

    /// Makes `model` the population model (an undoable edit), with fresh slider ranges.
    fn set_population(&mut self, model: PopulationModel, label: String) {
        self.params.population = SerdeModel(model);
        self.params.population_label = label;
        self.views.controls.reset_ranges();
    }

    /// Back to the parameters as loaded (the preset, the file, the network or the session).
    fn reset(&mut self) {
        self.params = self.origin.clone();
    }

    /// Asks for a screenshot and writes the plot's part of it when it arrives.
    fn export_png(&mut self, path: PathBuf, ctx: &egui::Context) {
        let Some(rect) = self.views.phase.plot_rect else {
            self.warn("the plot is not on screen yet".into());
            return;
        };
        let ppp = ctx.pixels_per_point();
        let done = self.png_done.0.clone();
        let wake = ctx.clone();
        ctx.request_screenshot(move |image| {
            let r = export::write_png(&image, rect, ppp, &path).map(|()| path);
            let _ = done.send(r);
            wake.request_repaint();
        });
    }

    /// Applies finished file loads, fits and screenshot exports.
    fn apply_opened(&mut self) {
        self.poll_job();
        for r in self.png_done.1.try_iter().collect::<Vec<_>>() {
            match r {
                Ok(p) => self.notice(format!("wrote {}", p.display()), false),
                Err(e) => self.warn(format!("PNG export failed: {e}")),
            }
        }
        for r in self.loader.poll() {
            match r {
                Ok(opened) => self.apply(opened),
                Err(e) => self.warn(format!("cannot open: {e}")),
            }
        }
    }

    fn apply(&mut self, opened: Opened) {
        match opened {
            Opened::Network(net) => {
                self.params.source = Source::Network {
                    path: net.path.clone(),
                    overlay_mean_field: false,
                };
                // The trained networks are Euler maps (MODEL.md 1): show them as such.
                self.params.time_model = TimeModel::TRAINED_MAP;
                self.params.input = params::Input::none(net.dims().inputs);
                self.params.selection = None;
                self.params.starts.clear();
                self.params.scrub.step = 0;
                if net.dims().rank != 2 {
                    self.warn(format!(
                        "{}: the phase plane needs rank 2; trials still run",
                        net.describe()
                    ));
                }
                self.notice(format!("opened {}", net.describe()), false);
                self.results.network = Some(net);
                self.results.fit = None;
                self.views.phase.auto_range_pending = true;
                self.origin = self.params.clone();
            }
            Opened::Population { model, path } => {
                let label = path.file_name().map_or_else(
                    || path.display().to_string(),
                    |n| n.to_string_lossy().into_owned(),
                );
                self.params = Params::with_population(model, &label);
                self.origin = self.params.clone();
                self.results.network = None;
                self.views.controls.reset_ranges();
                self.notice(format!("opened population model {}", path.display()), false);
            }
            Opened::Session { params, path } => {
                self.apply_session(*params);
                self.notice(format!("opened session {}", path.display()), false);
            }
        }
    }

    /// Takes a session's parameters, reloading its network (if any) from its path.
    fn apply_session(&mut self, params: Params) {
        self.params = params;
        self.views.controls.reset_ranges();
        self.results.network = None;
        if let Some(path) = self.params.source.network_path().cloned() {
            let keep = self.params.clone();
            self.loader.open_now(&path);
            for r in self.loader.poll() {
                match r {
                    Ok(Opened::Network(net)) => self.results.network = Some(net),
                    Ok(_) => self.warn(format!("{} is not a network", path.display())),
                    Err(e) => self.warn(format!("the session's network could not be loaded: {e}")),
                }
            }
            self.params = keep;
            if self.results.network.is_none() {
                self.params.source = Source::Population;
            }
        }
        self.origin = self.params.clone();
    }

    /// Takes the worker's results.
    fn receive(&mut self) {
        let r = &mut self.results;
        for u in self.worker.poll() {
            match u {
                Update::Landscape {
                    landscape,
                    complete,
                } => {
                    r.landscape = Some(landscape);
                    r.landscape_complete = complete;
                }
                Update::Readout(x) => r.readout = x,
                Update::Trajectories(t) => r.trajectories = t,
                Update::Trials(t) => r.trials = Some(t),
                Update::Overlay(o) => r.overlay = o,
                Update::Bifurcation(b) => r.bifurcation = b,
                Update::Idle(g) => r.finished = g,
            }
        }
    }

    /// The request the current parameters imply.
    fn request(&self) -> Request {
        let p = &self.params;
        let system = match (&p.source, &self.results.network) {
            (Source::Network { .. }, Some(n)) => SystemSpec::Exact(n.clone()),
            _ => SystemSpec::MeanField(p.population.0.clone()),
        };
        let channels = match &system {
            SystemSpec::Exact(n) => n.dims().inputs,
            SystemSpec::MeanField(m) => m.dims().inputs,
        };
        let followed = p
            .scrub
            .follow
            .then(|| {
                self.results
                    .trials
                    .as_ref()
                    .and_then(|t| t.input_at(p.scrub.trial, p.scrub.step))
            })
            .flatten()
            .filter(|v| v.len() == channels);
        let v = followed.unwrap_or_else(|| p.input.vector(channels));
        // The visible rectangle (the requested one widened to the plot's aspect) is analysed.
        let rect = self.views.phase.shown.unwrap_or(p.view);
        let landscape = LandscapeKey {
            rect,
            v: v.clone(),
            time_model: p.time_model,
            cycles: p.display.cycles,
            separatrices: p.display.separatrices,
        };
        let overlay = match (&p.source, &system) {
            (
                Source::Network {
                    overlay_mean_field: true,
                    ..
                },
                SystemSpec::Exact(n),
            ) if p.population.0.dims().inputs == n.dims().inputs
                && p.population.0.dims().rank == n.dims().rank =>
            {
                Some(p.population.0.clone())
            }
            _ => None,
        };
        Request {
            trials: (channels == dms::INPUTS).then_some((p.time_model, p.trials)),
            bifurcation: p.bifurcation.enabled.then(|| BifurcationKey {
                parameter: p.bifurcation.parameter.clone(),
                range: p.bifurcation.range,
                v,
                time_model: p.time_model,
                rect,
            }),
            system,
            landscape,
            selection: p.selection,
            starts: p.starts.clone(),
            overlay,
        }
    }

    /// Sends the request if it differs from the last one sent.
    fn send_request(&mut self) {
        let req = self.request();
        if self.last_request.as_ref() != Some(&req) {
            self.generation += 1;
            self.results.requested = self.generation;
            self.worker.send(self.generation, req.clone());
            self.last_request = Some(req);
        }
    }
}

/// Ctrl+Z undo, Ctrl+Shift+Z (or Ctrl+Y) redo, unless a text field has the keyboard.
fn shortcuts(ctx: &egui::Context, actions: &mut Vec<Action>) {
    if ctx.memory(|m| m.focused().is_some()) {
        return;
    }
    let redo = KeyboardShortcut::new(Modifiers::COMMAND | Modifiers::SHIFT, Key::Z);
    let redo_y = KeyboardShortcut::new(Modifiers::COMMAND, Key::Y);
    let undo = KeyboardShortcut::new(Modifiers::COMMAND, Key::Z);
    ctx.input_mut(|i| {
        if i.consume_shortcut(&redo) || i.consume_shortcut(&redo_y) {
            actions.push(Action::Redo);
        } else if i.consume_shortcut(&undo) {
            actions.push(Action::Undo);
        }
    });
}

/// Files dropped on the window are opened.
fn dropped_files(ctx: &egui::Context, actions: &mut Vec<Action>) {
    let files = ctx.input(|i| i.raw.dropped_files.clone());
    for f in files {
        actions.push(Action::Open(f.path().to_path_buf()));
    }
}

fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    Some(v[v.len() / 2])
}

impl eframe::App for Explorer {
    fn ui(&mut self, ui: &mut Ui, _frame: &mut eframe::Frame) {
        self.ui(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        storage.set_string(STORAGE_KEY, session::to_json(&self.params));
    }
}
