//! The phase-plane explorer (eframe/egui), behind the `gui` feature.
//!
//! One [`Document`] holds the open model and everything that belongs to it (edits with their own
//! undo history, the view, the worker's results); opening another model replaces it. An analysis
//! [`worker`] thread computes everything numerical from the document through the core
//! ([`crate::model::Model`]), and the [`views`] draw the newest results and never wait.
//! [`Explorer::ui`] is the whole UI, one frame: the eframe app and the kittest tests call the
//! same function.
//!
//! - this file: the frame loop and the layout;
//! - [`menu`]: menus and the status bar; [`actions`]: what a click asks and how it is done;
//! - [`request`]: what the worker is asked for; [`startup`]: opening the window;
//! - [`document`], [`history`], [`session`], [`source`], [`settings`], [`files`], [`toasts`],
//!   [`jobs`], [`fitting`], [`export`], [`compute`], [`worker`].

pub mod actions;
pub mod compute;
pub mod document;
pub mod export;
pub mod files;
pub mod fitting;
pub mod history;
pub mod jobs;
mod menu;
pub mod request;
pub mod session;
pub mod settings;
pub mod source;
pub mod startup;
pub mod state;
pub mod toasts;
pub mod views;
pub mod worker;

use std::path::Path;
use std::time::Instant;

use eframe::egui::{self, Key, KeyboardShortcut, Modifiers, Ui};

use crate::app::actions::Action;
use crate::app::document::Document;
use crate::app::files::{FileAction, Files};
use crate::app::fitting::{FitResult, FittedNetwork};
use crate::app::jobs::{Job, Poll};
use crate::app::settings::Settings;
use crate::app::toasts::{Notice, Toasts};
use crate::app::views::{bifurcation, controls, loadings, phase_plane, readouts, time_series};
use crate::app::worker::{Request, Worker};
use crate::fit::finetune::FinetuneOutcome;
use crate::reduced::PopulationModel;

pub use startup::{StartOptions, run};

/// Frames kept for the frame-time median of the status line.
const FRAME_WINDOW: usize = 120;
/// Windows at least this tall open the time-series panel unless the user chose otherwise.
const TALL_WINDOW: f32 = 900.0;

/// What the views show of a running fit or fine-tuning.
#[derive(Debug, Clone, PartialEq)]
pub struct JobStatus {
    /// "fit" or "fine-tuning".
    pub what: &'static str,
    pub progress: String,
    pub seconds: f64,
}

/// The one long computation the user can run at a time, with the document it is for.
enum RunningJob {
    Fit(u64, Job<FitResult>),
    Finetune(u64, Job<Result<FinetuneOutcome, String>>),
}

/// A file (or drawn network) being opened.
struct Loading {
    what: String,
    job: Job<Result<Document, String>>,
}

#[derive(Default)]
struct Views {
    phase: phase_plane::PhasePlane,
    controls: controls::Controls,
    readouts: readouts::Readouts,
    series: time_series::TimeSeries,
    bifurcation: bifurcation::BifurcationView,
    loadings: loadings::LoadingsView,
}

/// The whole app state.
pub struct Explorer {
    /// The open model.
    pub doc: Document,
    pub settings: Settings,
    /// Where the session and settings are kept between runs (`None`: nowhere, e.g. in tests).
    pub state_dir: Option<state::StateDir>,
    worker: Worker,
    loading: Vec<Loading>,
    job: Option<RunningJob>,
    job_status: Option<JobStatus>,
    generation: u64,
    last_request: Option<Request>,
    /// The request the worker died on: not sent again (it would die again) until it changes.
    crashed: Option<Request>,
    toasts: Toasts,
    views: Views,
    files: Files,
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
            doc: Document::default(),
            settings: Settings::default(),
            state_dir: None,
            worker: Worker::spawn(),
            loading: Vec::new(),
            job: None,
            job_status: None,
            generation: 0,
            last_request: None,
            crashed: None,
            toasts: Toasts::default(),
            views: Views::default(),
            files: Files::default(),
            frame_ms: Vec::new(),
        }
    }

    /// Opens a file on the calling thread (the command line's `gui FILE`, and tests).
    pub fn open_now(&mut self, path: &Path) {
        match source::open(path, &self.files.choice) {
            Ok(doc) => {
                self.settings.remember(path.to_path_buf());
                self.open_document(doc);
            }
            Err(e) => self.warn(format!("cannot open: {e}")),
        }
    }

    /// Makes `doc` the open document: everything of the previous one goes with it.
    pub fn open_document(&mut self, doc: Document) {
        let title = doc.title();
        self.doc = doc;
        self.toasts.keep_only(self.doc.id);
        self.notice(format!("opened {title}"));
        // What the reader noticed (a truncation's share, a doubtful scaling: MODEL.md 7).
        if let Some(net) = self.doc.model().network() {
            for note in net.notes.clone() {
                self.warn(note);
            }
        }
    }

    /// The current messages (warnings and confirmations).
    pub fn notices(&self) -> &[Notice] {
        self.toasts.items()
    }

    /// Median UI time per frame over the last frames, in ms.
    pub fn median_frame_ms(&self) -> Option<f64> {
        median(&self.frame_ms)
    }

    /// Whether the worker has finished every stage of the newest request (and nothing is
    /// loading, no fit is running).
    pub fn settled(&self) -> bool {
        let r = &self.doc.results;
        r.finished == r.requested && self.loading.is_empty() && self.job.is_none()
    }

    /// The legend rows the phase plane drew last (an export lists the same).
    pub fn legend(&self) -> &[crate::scene::legend::Entry] {
        &self.views.phase.legend
    }

    /// Where the phase plane's plot was last drawn.
    pub fn plot_rect(&self) -> Option<egui::Rect> {
        self.views.phase.plot_rect
    }

    /// The phase plane's data frame (inside its axes) as last drawn.
    pub fn plot_frame(&self) -> Option<egui::Rect> {
        self.views.phase.frame()
    }

    /// Where the bifurcation diagram was last drawn.
    pub fn diagram_rect(&self) -> Option<egui::Rect> {
        self.views.bifurcation.plot_rect
    }

    fn warn(&mut self, text: String) {
        self.toasts.post(text, true, self.doc.id);
    }

    fn notice(&mut self, text: String) {
        self.toasts.post(text, false, self.doc.id);
    }

    /// The whole UI, one frame.
    pub fn ui(&mut self, ui: &mut Ui) {
        let t0 = Instant::now();
        let ctx = ui.ctx().clone();
        // The palette of `crate::scene::style` (shared with the exported figures) is made for paper.
        ctx.set_theme(egui::Theme::Light);
        self.keep_worker_alive();
        self.worker.set_waker(&ctx);
        self.poll_jobs();
        self.receive();
        let mut actions = Vec::new();
        shortcuts(&ctx, &mut actions);
        dropped_files(&ctx, &mut actions);
        self.layout(ui, &mut actions);
        if let Some((what, path)) = self.files.show(&ctx) {
            actions.push(Action::picked(what, path));
        }
        for a in actions {
            self.act(a, &ctx);
        }
        let editing = ctx.input(|i| i.pointer.any_down());
        self.doc.after_frame(editing);
        self.send_request();
        self.frame_ms.push(t0.elapsed().as_secs_f64() * 1e3);
        if self.frame_ms.len() > FRAME_WINDOW {
            self.frame_ms.remove(0);
        }
    }

    /// Whether the time-series panel is open: as the user set it, else on tall windows.
    fn series_open(&self, ctx: &egui::Context) -> bool {
        self.settings
            .panels
            .series
            .unwrap_or_else(|| ctx.content_rect().height() >= TALL_WINDOW)
    }

    /// Menu and status bars, the side panels (each resizable and collapsible), the time series,
    /// and the phase plane in the middle with the toasts over its corner.
    fn layout(&mut self, ui: &mut Ui, actions: &mut Vec<Action>) {
        let window = ui.ctx().content_rect().size();
        egui::Panel::top("menu").show(ui, |ui| self.menu_bar(ui, actions));
        egui::Panel::bottom("status").show(ui, |ui| self.status_bar(ui));
        let results = &self.doc.results;
        let series = self.series_open(ui.ctx())
            && (results.trials.is_some() || !results.trajectories.is_empty());
        let panels = self.settings.panels;
        let (doc, views) = (&mut self.doc, &mut self.views);
        if series {
            egui::Panel::bottom("series")
                .resizable(true)
                .default_size(0.22 * window.y)
                .min_size(120.0)
                .show(ui, |ui| views.series.ui(ui, doc));
        }
        if panels.controls {
            egui::Panel::left("controls")
                .resizable(true)
                .default_size((0.18 * window.x).clamp(220.0, 320.0))
                .min_size(200.0)
                .show(ui, |ui| {
                    egui::ScrollArea::vertical().show(ui, |ui| {
                        views
                            .controls
                            .ui(ui, doc, self.job_status.as_ref(), actions);
                    });
                });
        }
        if panels.analysis {
            egui::Panel::right("analysis")
                .resizable(true)
                .default_size((0.19 * window.x).clamp(230.0, 400.0))
                .min_size(220.0)
                .show(ui, |ui| {
                    // The readouts have their own part of the column: selecting a point never
                    // squeezes the diagram.
                    let h = ui.available_height();
                    if views::phase_line::shown(doc) {
                        // Rank 1: the phase line is the papers' picture, so it gets its own part
                        // of the column above the diagram rather than a scrolled corner.
                        egui::Panel::top("phase_line")
                            .resizable(true)
                            .default_size(0.3 * h)
                            .min_size(140.0)
                            .show(ui, |ui| views::phase_line::ui(ui, doc));
                    }
                    egui::Panel::bottom("readouts")
                        .resizable(true)
                        .default_size(0.42 * h)
                        .min_size(120.0)
                        .show(ui, |ui| {
                            egui::ScrollArea::vertical()
                                .id_salt("readouts_scroll")
                                .show(ui, |ui| views.readouts.ui(ui, doc));
                        });
                    egui::CentralPanel::default()
                        .show(ui, |ui| views.bifurcation.ui(ui, doc, actions));
                });
        }
        views.loadings.show(ui.ctx(), doc);
        let placement = &mut self.settings.legend;
        let central = egui::CentralPanel::default()
            .show(ui, |ui| views.phase.ui(ui, doc, placement))
            .response
            .rect;
        self.toasts.show(ui.ctx(), central);
    }

    /// Takes finished loads, fits and fine-tunings (and the failures of any of them).
    fn poll_jobs(&mut self) {
        for l in std::mem::take(&mut self.loading) {
            match l.job.poll() {
                Poll::Running => self.loading.push(l),
                Poll::Done(Ok(doc)) => self.open_document(doc),
                Poll::Done(Err(e)) => self.warn(format!("cannot open: {e}")),
                Poll::Failed(e) => self.warn(format!("opening {} failed: {e}", l.what)),
            }
        }
        self.job_status = None;
        match self.job.take() {
            None => {}
            Some(RunningJob::Fit(doc, j)) => {
                match self.watch(j, "fit", |j| RunningJob::Fit(doc, j)) {
                    Some(Ok(Ok((model, fitted)))) => self.apply_fit(doc, model, fitted),
                    Some(Ok(Err(e)) | Err(e)) => self.warn(format!("population fit stopped: {e}")),
                    None => {}
                }
            }
            Some(RunningJob::Finetune(doc, j)) => {
                match self.watch(j, "fine-tuning", |j| RunningJob::Finetune(doc, j)) {
                    Some(Ok(Ok(outcome))) => self.apply_finetune(doc, outcome),
                    Some(Ok(Err(e)) | Err(e)) => self.warn(format!("fine-tuning stopped: {e}")),
                    None => {}
                }
            }
        }
    }

    /// The outcome of a finished `job` (`Err` if its thread died); a running one is put back and
    /// its status shown.
    fn watch<T: Send + 'static>(
        &mut self,
        job: Job<T>,
        what: &'static str,
        running: impl FnOnce(Job<T>) -> RunningJob,
    ) -> Option<Result<T, String>> {
        match job.poll() {
            Poll::Running => {
                self.job_status = Some(JobStatus {
                    what,
                    progress: job.progress(),
                    seconds: job.elapsed(),
                });
                self.job = Some(running(job));
                None
            }
            Poll::Done(out) => Some(Ok(out)),
            Poll::Failed(e) => Some(Err(e)),
        }
    }

    /// Takes a finished population fit: the fitted model becomes the population model (sliders)
    /// and is drawn over the network's exact landscape. A fit of a document no longer open is
    /// dropped.
    fn apply_fit(&mut self, doc: u64, model: PopulationModel, fitted: FittedNetwork) {
        if doc != self.doc.id || !fitted.describes(self.doc.model()) {
            return;
        }
        for w in &fitted.report.warnings {
            self.warn(format!("fit: {w}"));
        }
        let name = fitted.network.name();
        self.notice(format!(
            "fitted {name} in {:.1} s: {}; its mean field is drawn dashed over the exact landscape",
            fitted.seconds,
            fitted.summary()
        ));
        let p = fitted.report.populations.len();
        self.doc
            .set_population(model, format!("fit of {name}, {p} pop."));
        self.doc.view.overlay_mean_field = true;
        self.doc.fit = Some(std::sync::Arc::new(fitted));
    }

    /// Takes a finished fine-tuning run: the tuned model becomes the population model of the
    /// document it was started on, if that is still open.
    fn apply_finetune(&mut self, doc: u64, outcome: FinetuneOutcome) {
        if doc != self.doc.id {
            return;
        }
        let (before, after) = (
            outcome.before.mean_accuracy(),
            outcome.after.mean_accuracy(),
        );
        let stopped = if outcome.interrupted {
            " (cancelled: the model reached so far)"
        } else {
            ""
        };
        let label = self.doc.edits.population_label.clone();
        self.notice(format!(
            "fine-tuned {label} over {} steps{stopped}: mean accuracy of fresh N = {} networks {before:.3} before, {after:.3} after",
            outcome.steps.len(),
            outcome.after.neurons
        ));
        self.doc
            .set_population(outcome.model, format!("{label}, fine-tuned"));
    }

    /// Takes the worker's results for the open document (older documents' are dropped).
    fn receive(&mut self) {
        for (doc, u) in self.worker.poll() {
            if doc == self.doc.id {
                self.doc.results.apply(u);
            }
        }
    }

    /// A worker that died (a panic in the analysis) is replaced, and the user told: the request
    /// it died on is not sent again, and the results stay as they were until something changes.
    fn keep_worker_alive(&mut self) {
        if self.worker.alive() {
            return;
        }
        self.worker = Worker::spawn();
        self.crashed = self.last_request.clone();
        self.doc.results.finished = self.doc.results.requested;
        self.warn(
            "the analysis stopped on an internal error and was restarted; change a parameter to analyse again"
                .into(),
        );
    }

    /// Sends the request if it differs from the last one sent (and is not the one the worker
    /// died on).
    fn send_request(&mut self) {
        let req = request::request(&self.doc);
        if self.last_request.as_ref() == Some(&req) {
            return;
        }
        if self.crashed.as_ref() != Some(&req) {
            self.generation += 1;
            self.doc.results.requested = self.generation;
            self.worker.send(self.generation, req.clone());
            self.crashed = None;
        }
        self.last_request = Some(req);
    }
}

/// Ctrl+Z undo, Ctrl+Shift+Z (or Ctrl+Y) redo, Ctrl+O open, unless a text field has the
/// keyboard.
fn shortcuts(ctx: &egui::Context, actions: &mut Vec<Action>) {
    if ctx.memory(|m| m.focused().is_some()) {
        return;
    }
    let redo = KeyboardShortcut::new(Modifiers::COMMAND | Modifiers::SHIFT, Key::Z);
    let redo_y = KeyboardShortcut::new(Modifiers::COMMAND, Key::Y);
    let undo = KeyboardShortcut::new(Modifiers::COMMAND, Key::Z);
    let open = KeyboardShortcut::new(Modifiers::COMMAND, Key::O);
    ctx.input_mut(|i| {
        if i.consume_shortcut(&redo) || i.consume_shortcut(&redo_y) {
            actions.push(Action::Redo);
        } else if i.consume_shortcut(&undo) {
            actions.push(Action::Undo);
        } else if i.consume_shortcut(&open) {
            actions.push(Action::Pick(FileAction::Open));
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_dead_worker_is_restarted_and_its_last_request_not_sent_again() {
        let mut app = Explorer::new();
        app.send_request();
        let sent = app.generation;
        app.worker = Worker::crashing();
        for _ in 0..200 {
            if !app.worker.alive() {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        app.keep_worker_alive();
        assert!(app.worker.alive(), "a new worker");
        assert!(
            app.notices()
                .iter()
                .any(|n| n.warning && n.text.contains("restarted"))
        );
        assert!(app.settled(), "nothing is waited for");
        // The same request is not sent to the new worker; a changed one is.
        app.last_request = None;
        app.send_request();
        assert_eq!(app.generation, sent);
        app.doc.edits.time_model = crate::reduced::TimeModel::TRAINED_MAP;
        app.send_request();
        assert_eq!(app.generation, sent + 1);
    }
}
