//! What the views ask the app to do ([`Action`]) and how the app does it
//! ([`Explorer::act`]): files, jobs, undo, presets. Everything here works without a window (a
//! plain `egui::Context` wakes the jobs), so the tests drive it directly.

use std::path::PathBuf;

use eframe::egui;

use crate::app::document::Document;
use crate::app::export;
use crate::app::files::FileAction;
use crate::app::fitting::{FinetuneRequest, FitRequest, start_finetune, start_fit};
use crate::app::jobs::Job;
use crate::app::session::{self, Session};
use crate::app::source;
use crate::app::{Explorer, Loading, RunningJob};
use crate::io;
use crate::model::NetworkSource;

/// Something a view asks the app to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Show a warning (bad input, a refused edit, a failed file).
    Warn(String),
    /// Open a file (in the background).
    Open(PathBuf),
    /// Open an embedded population preset.
    LoadPreset(&'static str),
    /// Show the file picker for this.
    Pick(FileAction),
    SaveSession(PathBuf),
    /// Write the population model (a fitted or edited one) as JSON.
    SaveModel(PathBuf),
    /// Write the open network (on its latent axes) as JSON.
    SaveNetwork(PathBuf),
    /// The phase plane as a figure: SVG, or PNG for a `.png` path.
    ExportFigure(PathBuf),
    ExportCsv(PathBuf),
    Undo,
    Redo,
    Reset,
    /// Fit populations to the network's loadings (MODEL.md 5).
    Fit(FitRequest),
    /// Fine-tune the population model's covariances on DMS (MODEL.md 5).
    Finetune(FinetuneRequest),
    /// Stop the running fit or fine-tuning.
    CancelJob,
    /// Draw a network from the population model and open it.
    Resample {
        neurons: usize,
        seed: u64,
    },
}

impl Action {
    /// What a file picked in the dialog for `action` is to do.
    pub fn picked(action: FileAction, path: PathBuf) -> Action {
        match action {
            FileAction::Open => Action::Open(path),
            FileAction::SaveSession => Action::SaveSession(path),
            FileAction::SaveModel => Action::SaveModel(path),
            FileAction::SaveNetwork => Action::SaveNetwork(path),
            FileAction::ExportSvg | FileAction::ExportPng => Action::ExportFigure(path),
            FileAction::ExportCsv => Action::ExportCsv(path),
        }
    }
}

impl Explorer {
    /// Carries out one action.
    pub fn act(&mut self, action: Action, ctx: &egui::Context) {
        match action {
            Action::Warn(t) => self.warn(t),
            Action::Open(p) => {
                self.settings.remember(p.clone());
                let what = p.display().to_string();
                let choice = self.files.choice;
                self.load_in_background(what, ctx, move || source::open(&p, &choice));
            }
            Action::LoadPreset(id) => {
                if let Some(doc) = Document::preset(id) {
                    self.open_document(doc);
                }
            }
            Action::Resample { neurons, seed } => {
                let source = NetworkSource::Drawn {
                    model: self.doc.edits.population.clone(),
                    label: self.doc.edits.population_label.clone(),
                    neurons,
                    seed,
                };
                let what = format!("a network of N = {neurons} ({})", source.name());
                self.load_in_background(what, ctx, move || source::open_network(source));
            }
            Action::Pick(a) => self.files.pick(a),
            Action::SaveSession(p) => {
                let r = session::save(&Session::of(&self.doc), &p);
                self.report(r, "session saved to", &p);
            }
            Action::SaveModel(p) => {
                let r = io::save_population_model(&self.doc.edits.population, &p)
                    .map_err(|e| e.to_string());
                self.report(r, "population model saved to", &p);
            }
            Action::SaveNetwork(p) => match self.doc.model().network() {
                Some(net) => {
                    // No precision to choose here: the binary formats get the narrowest one that
                    // keeps every value of the network shown (a file's network is shown on its
                    // SVD axes, whose values are rarely float32 even when the file's were).
                    let precision = io::exact_precision(&net.network);
                    let file = io::NetworkFile {
                        network: (*net.network).clone(),
                        meta: None,
                    };
                    let r = io::save_network_as(&file, &p, precision).map_err(|e| e.to_string());
                    let done = match io::NetworkFormat::of_path(&p) {
                        Ok(f) if f.has_precision() => match precision {
                            io::Dtype::F32 => "network saved (float32) to",
                            io::Dtype::F64 => "network saved (float64, every value exact) to",
                        },
                        _ => "network saved to",
                    };
                    self.report(r, done, &p);
                }
                None => self.warn("no network is open".into()),
            },
            Action::ExportFigure(p) => match self.doc.scene() {
                Some(scene) => {
                    let r = export::write_figure(&scene, &p);
                    self.report(r, "wrote", &p);
                }
                None => self.warn("nothing to export yet".into()),
            },
            Action::ExportCsv(p) => self.export_csv(&p),
            Action::Undo => self.doc.undo(),
            Action::Redo => self.doc.redo(),
            Action::Reset => self.doc.reset(),
            Action::Fit(req) => self.fit(req, ctx),
            Action::Finetune(req) => {
                if self.job.is_some() {
                    self.warn("a computation is already running".into());
                } else {
                    let model = self.doc.edits.population.clone();
                    let doc = self.doc.id;
                    self.job = Some(RunningJob::Finetune(doc, start_finetune(model, req, ctx)));
                }
            }
            Action::CancelJob => match &self.job {
                Some(RunningJob::Fit(_, j)) => j.cancel(),
                Some(RunningJob::Finetune(_, j)) => j.cancel(),
                None => {}
            },
        }
    }

    /// Starts opening something in the background; `what` names it while it loads.
    pub fn load_in_background(
        &mut self,
        what: String,
        ctx: &egui::Context,
        make: impl FnOnce() -> Result<Document, String> + Send + 'static,
    ) {
        let job = Job::spawn(ctx, move |_| make());
        self.loading.push(Loading { what, job });
    }

    fn fit(&mut self, req: FitRequest, ctx: &egui::Context) {
        if self.job.is_some() {
            return self.warn("a computation is already running".into());
        }
        match start_fit(self.doc.model().clone(), req, ctx) {
            Some(job) => self.job = Some(RunningJob::Fit(self.doc.id, job)),
            None => self.warn("open a network to fit its populations".into()),
        }
    }

    fn export_csv(&mut self, p: &std::path::Path) {
        let r = &self.doc.results;
        let written = export::write_csv(
            p,
            r.landscape.as_deref(),
            &r.trajectories,
            r.trials.as_deref(),
            &self.doc.view.shown_trials,
        );
        match written {
            Ok(files) => {
                let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
                self.notice(format!("wrote {}", names.join(" and ")));
            }
            Err(e) => self.warn(format!("CSV export failed: {e}")),
        }
    }

    /// A confirmation naming `path`, or the error.
    fn report(&mut self, r: Result<(), String>, done: &str, path: &std::path::Path) {
        match r {
            Ok(()) => self.notice(format!("{done} {}", path.display())),
            Err(e) => self.warn(format!("{} failed: {e}", path.display())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::document::InputMode;

    #[test]
    fn actions_run_without_a_window() {
        let ctx = egui::Context::default();
        let mut app = Explorer::new();
        app.act(Action::Warn("a warning".into()), &ctx);
        assert_eq!(app.notices()[0].text, "a warning");
        app.act(Action::LoadPreset("poster_didactic"), &ctx);
        assert_eq!(
            app.notices().len(),
            1,
            "the old model's messages went with it"
        );
        assert!(app.notices()[0].text.starts_with("opened "));
        let first = app.doc.edits.clone();

        // An edit, its undo and redo, and reset.
        app.doc.edits.input.mode = InputMode::Channel(0);
        app.doc.after_frame(false);
        app.act(Action::Undo, &ctx);
        assert_eq!(app.doc.edits, first);
        app.act(Action::Redo, &ctx);
        assert_eq!(app.doc.edits.input.mode, InputMode::Channel(0));
        app.act(Action::Reset, &ctx);
        assert_eq!(app.doc.edits, first);

        // A population model has no network to save.
        let dir = std::env::temp_dir().join(format!("lre-act-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        app.act(Action::SaveNetwork(dir.join("n.json")), &ctx);
        assert!(
            app.notices()
                .last()
                .unwrap()
                .text
                .contains("no network is open")
        );
        app.act(Action::SaveModel(dir.join("m.json")), &ctx);
        assert!(dir.join("m.json").exists());
        std::fs::remove_dir_all(&dir).unwrap();

        assert_eq!(
            Action::picked(FileAction::ExportPng, "f.png".into()),
            Action::ExportFigure("f.png".into())
        );
    }
}
