//! The file picker (egui_file: a dialog drawn with egui, no desktop portal needed) for opening,
//! saving and exporting, remembering the folder last used.

use std::path::{Path, PathBuf};

use eframe::egui;
use egui_file::FileDialog;

use crate::app::source::OpenChoice;
use crate::io::Scaling;

/// What a picked file is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileAction {
    Open,
    SaveSession,
    SaveModel,
    SaveNetwork,
    ExportSvg,
    ExportPng,
    ExportCsv,
}

impl FileAction {
    pub fn title(self) -> &'static str {
        match self {
            FileAction::Open => "Open a network, population model or session",
            FileAction::SaveSession => "Save session",
            FileAction::SaveModel => "Save population model",
            FileAction::SaveNetwork => "Save network as .json, .pt, .npz or .safetensors",
            FileAction::ExportSvg => "Export the phase plane as SVG",
            FileAction::ExportPng => "Export the phase plane as PNG",
            FileAction::ExportCsv => "Export trajectories and fixed points as CSV",
        }
    }

    fn default_name(self) -> &'static str {
        match self {
            FileAction::Open => "",
            FileAction::SaveSession => "session.json",
            FileAction::SaveModel => "population_model.json",
            FileAction::SaveNetwork => "network.json",
            FileAction::ExportSvg => "phase_plane.svg",
            FileAction::ExportPng => "phase_plane.png",
            FileAction::ExportCsv => "phase_plane.csv",
        }
    }
}

/// Whether `path` has the extension of a format a network is written in (`.json`, `.pt`, `.npz`,
/// `.safetensors`).
fn is_network_name(path: &Path) -> bool {
    path.extension().is_some() && crate::io::NetworkFormat::of_path(path).is_ok()
}

/// The open dialog, if any, the folder last used, and how network files are read.
#[derive(Default)]
pub struct Files {
    dialog: Option<(FileAction, FileDialog)>,
    folder: Option<PathBuf>,
    /// Chosen beside the open dialog; used by every way of opening a file (menu, recent files,
    /// dropped files).
    pub choice: OpenChoice,
}

impl Files {
    /// Opens the dialog for `action`, in the folder last used.
    pub fn pick(&mut self, action: FileAction) {
        let folder = self
            .folder
            .clone()
            .or_else(|| std::env::current_dir().ok())
            .unwrap_or_default();
        let dialog = match action {
            FileAction::Open => FileDialog::open_file(),
            FileAction::SaveNetwork => FileDialog::save_file()
                .default_filename(action.default_name())
                // The network files of the folder, and only a name whose extension names a
                // format can be saved (the format follows the extension).
                .show_files_filter(Box::new(|p: &Path| is_network_name(p)))
                .filename_filter(Box::new(|name: &str| is_network_name(Path::new(name)))),
            _ => FileDialog::save_file().default_filename(action.default_name()),
        };
        let mut dialog = dialog
            .initial_path(folder)
            .title(action.title())
            .default_size([620.0, 420.0]);
        dialog.open();
        self.dialog = Some((action, dialog));
    }

    /// Whether a dialog is on screen.
    pub fn is_open(&self) -> bool {
        self.dialog.is_some()
    }

    /// Shows the dialog; the file picked, once it is.
    pub fn show(&mut self, ctx: &egui::Context) -> Option<(FileAction, PathBuf)> {
        let (action, dialog) = self.dialog.as_mut()?;
        let action = *action;
        dialog.show(ctx);
        if action == FileAction::Open {
            choice_window(ctx, &mut self.choice);
        }
        let picked = dialog
            .selected()
            .then(|| dialog.path().map(Path::to_path_buf))
            .flatten();
        if picked.is_some() || !dialog.visible() {
            self.dialog = None;
        }
        let path = picked?;
        self.folder = path.parent().map(Path::to_path_buf);
        Some((action, path))
    }
}

/// How network files are read (MODEL.md 7), beside the open dialog: the scaling convention the
/// keys of a `m, n` state dict cannot tell, and the rank a full-rank file is truncated to.
fn choice_window(ctx: &egui::Context, choice: &mut OpenChoice) {
    egui::Window::new("Reading a network")
        .anchor(egui::Align2::RIGHT_TOP, [-12.0, 40.0])
        .resizable(false)
        .collapsible(false)
        .show(ctx, |ui| {
            ui.label("Scaling of an m, n state dict:");
            ui.radio_value(
                &mut choice.scaling,
                None,
                "1/N (LowRankRNN, or as the file says)",
            )
            .on_hover_text("The forward pass divides by N: MODEL.md 1");
            ui.radio_value(
                &mut choice.scaling,
                Some(Scaling::None),
                "none (OptimizedLowRankRNN)",
            )
            .on_hover_text("No 1/N in the forward pass: m, n of order 1/sqrt(N)");
            ui.horizontal(|ui| {
                ui.label("Full-rank files (wrec): truncate to rank");
                ui.add(egui::DragValue::new(&mut choice.full_rank).range(1..=8));
            });
        });
}
