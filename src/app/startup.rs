//! Opening the window: the explorer on the default preset, the last session restored (in the
//! background) unless a file was given or `--fresh`, and the settings kept between runs (in the
//! files of [`state`], written atomically; eframe's storage keeps only the window).

use std::path::PathBuf;

use eframe::egui;

use crate::app::Explorer;
use crate::app::session;
use crate::app::settings::Settings;
use crate::app::source;
use crate::app::state::StateDir;

/// The eframe storage key of the last session, where earlier versions kept it.
const SESSION_KEY: &str = "lowrank-explorer-session";
/// The eframe storage key of the settings, where earlier versions kept them.
const SETTINGS_KEY: &str = "lowrank-explorer-settings";

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
            let mut app = Explorer::new();
            app.state_dir = StateDir::locate();
            let kept = |ours: fn(&StateDir) -> Option<String>, key: &str| {
                app.state_dir
                    .as_ref()
                    .and_then(ours)
                    .or_else(|| cc.storage.and_then(|s| s.get_string(key)))
            };
            if let Some(text) = kept(StateDir::settings_text, SETTINGS_KEY) {
                app.settings = serde_json::from_str::<Settings>(&text).unwrap_or_default();
            }
            // The settings' budget, unless --max-memory set one for this run.
            if let (None, Some(bytes)) = (crate::budget::user_limit(), app.settings.max_memory) {
                crate::budget::set_limit(bytes);
            }
            let restored = if options.fresh || options.file.is_some() {
                None
            } else {
                kept(StateDir::session_text, SESSION_KEY)
            };
            if let Some(text) = restored {
                match session::from_json(&text) {
                    Ok(s) => {
                        app.load_in_background("the last session".into(), &cc.egui_ctx, move || {
                            source::restore(s)
                        })
                    }
                    Err(e) => {
                        app.act(
                            crate::app::actions::Action::Warn(format!(
                                "the last session could not be restored: {e}"
                            )),
                            &cc.egui_ctx,
                        );
                    }
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

impl eframe::App for Explorer {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.ui(ui);
    }

    fn save(&mut self, _storage: &mut dyn eframe::Storage) {
        let Some(dir) = &self.state_dir else {
            return;
        };
        if let Err(e) = dir.save(&session::Session::of(&self.doc), &self.settings) {
            // Shown if the app is still open (autosave), printed if it is closing.
            eprintln!("warning: the session could not be kept: {e}");
            self.warn(format!("the session could not be kept: {e}"));
        }
    }
}
