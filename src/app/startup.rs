//! Opening the window: the explorer on the default preset, the last session restored (in the
//! background) unless a file was given or `--fresh`, and the settings kept between runs.

use std::path::PathBuf;

use eframe::egui;

use crate::app::Explorer;
use crate::app::session;
use crate::app::settings::Settings;
use crate::app::source;

/// The eframe storage key of the last session.
const SESSION_KEY: &str = "lowrank-explorer-session";
/// The eframe storage key of the settings.
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
            if let Some(text) = cc.storage.and_then(|s| s.get_string(SETTINGS_KEY)) {
                app.settings = serde_json::from_str::<Settings>(&text).unwrap_or_default();
            }
            let restored = if options.fresh || options.file.is_some() {
                None
            } else {
                cc.storage.and_then(|s| s.get_string(SESSION_KEY))
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

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        storage.set_string(
            SESSION_KEY,
            session::to_json(&session::Session::of(&self.doc)),
        );
        if let Ok(text) = serde_json::to_string(&self.settings) {
            storage.set_string(SETTINGS_KEY, text);
        }
    }
}
