//! The menu bar (File, Edit, View, Presets, and the undo and panel buttons) and the status bar.

use eframe::egui::{self, RichText, Ui};

use crate::app::Explorer;
use crate::app::actions::Action;
use crate::app::files::FileAction;
use crate::app::settings::LegendPlacement;
use crate::app::source::example_paths;
use crate::app::toasts::WARN;
use crate::budget;
use crate::reduced::presets;

impl Explorer {
    pub(super) fn menu_bar(&mut self, ui: &mut Ui, actions: &mut Vec<Action>) {
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button("File", |ui| self.file_menu(ui, actions));
            ui.menu_button("Edit", |ui| {
                if ui
                    .add_enabled(self.doc.has_undo(), egui::Button::new("Undo (Ctrl+Z)"))
                    .clicked()
                {
                    actions.push(Action::Undo);
                }
                if ui
                    .add_enabled(
                        self.doc.has_redo(),
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
            ui.menu_button("View", |ui| self.view_menu(ui));
            ui.menu_button("Presets", |ui| {
                ui.label(RichText::new("Population models (mean field)").weak());
                for p in presets::all() {
                    if ui.button(&p.name).on_hover_text(&p.description).clicked() {
                        actions.push(Action::LoadPreset(p.id));
                    }
                }
                ui.separator();
                ui.label(RichText::new("Networks (exact reduction, trials)").weak());
                for (path, name, description) in example_paths() {
                    if ui.button(name).on_hover_text(description).clicked() {
                        actions.push(Action::Open(path));
                    }
                }
            });
            ui.separator();
            if ui
                .add_enabled(self.doc.has_undo(), egui::Button::new("undo"))
                .on_hover_text("Undo the last edit of the model (Ctrl+Z)")
                .clicked()
            {
                actions.push(Action::Undo);
            }
            if ui
                .add_enabled(self.doc.has_redo(), egui::Button::new("redo"))
                .on_hover_text("Redo (Ctrl+Shift+Z)")
                .clicked()
            {
                actions.push(Action::Redo);
            }
            if ui
                .button("reset")
                .on_hover_text("Back to the model as opened")
                .clicked()
            {
                actions.push(Action::Reset);
            }
            ui.separator();
            let p = &mut self.settings.panels;
            ui.toggle_value(&mut p.controls, "controls")
                .on_hover_text("Show or hide the controls panel (left)");
            ui.toggle_value(&mut p.analysis, "analysis")
                .on_hover_text("Show or hide the bifurcation diagram and readouts (right)");
            let mut series = self.series_open(ui.ctx());
            if ui
                .toggle_value(&mut series, "time series")
                .on_hover_text("Show or hide the time series of the trials or the clicked trajectories (bottom)")
                .changed()
            {
                self.settings.panels.series = Some(series);
            }
        });
    }

    fn file_menu(&mut self, ui: &mut Ui, actions: &mut Vec<Action>) {
        if ui.button("Open… (Ctrl+O)").clicked() {
            actions.push(Action::Pick(FileAction::Open));
        }
        ui.menu_button("Open recent", |ui| {
            if self.settings.recent.is_empty() {
                ui.label(RichText::new("nothing yet").weak());
            }
            for path in &self.settings.recent {
                if ui.button(path.display().to_string()).clicked() {
                    actions.push(Action::Open(path.clone()));
                }
            }
        });
        ui.label(RichText::new("Files can also be dropped on the window.").weak());
        ui.separator();
        if ui.button("Save session…").clicked() {
            actions.push(Action::Pick(FileAction::SaveSession));
        }
        if ui
            .button("Save population model…")
            .on_hover_text("The population model of the sliders (e.g. a fit), as JSON for `analyze`, `resample`, `finetune`")
            .clicked()
        {
            actions.push(Action::Pick(FileAction::SaveModel));
        }
        if ui
            .add_enabled(
                self.doc.model().network().is_some(),
                egui::Button::new("Save network…"),
            )
            .on_hover_text("The open network as JSON, on its latent axes (same dynamics)")
            .clicked()
        {
            actions.push(Action::Pick(FileAction::SaveNetwork));
        }
        ui.separator();
        for (label, what, hover) in [
            (
                "Export SVG…",
                FileAction::ExportSvg,
                "The phase plane as a vector figure: the view's curves, legend, axes and title",
            ),
            (
                "Export PNG…",
                FileAction::ExportPng,
                "The same figure as the SVG, as a 2000 x 1500 bitmap",
            ),
            (
                "Export CSV…",
                FileAction::ExportCsv,
                "<name>_trajectories.csv (the shown trajectories) and <name>_fixed_points.csv (every fixed point)",
            ),
        ] {
            if ui.button(label).on_hover_text(hover).clicked() {
                actions.push(Action::Pick(what));
            }
        }
    }

    fn view_menu(&mut self, ui: &mut Ui) {
        let p = &mut self.settings.panels;
        ui.checkbox(&mut p.controls, "Controls panel");
        ui.checkbox(&mut p.analysis, "Bifurcation and readouts panel");
        let mut series = self.series_open(ui.ctx());
        if ui.checkbox(&mut series, "Time series panel").changed() {
            self.settings.panels.series = Some(series);
        }
        ui.separator();
        ui.label("Legend");
        for place in LegendPlacement::ALL {
            ui.radio_value(&mut self.settings.legend, place, place.label());
        }
        ui.separator();
        self.memory_budget(ui);
    }

    /// The memory budget ([`budget`]), kept in the settings: work that would need more (opening a
    /// file, drawing a network, exporting a figure) is refused with what to change.
    fn memory_budget(&mut self, ui: &mut Ui) {
        const GIB: f64 = (1u64 << 30) as f64;
        ui.horizontal(|ui| {
            ui.label("Memory budget").on_hover_text(
                "Opening a file, drawing a network or exporting a figure that would need more \
                 memory is refused, with what to change",
            );
            let mut gib = budget::limit() as f64 / GIB;
            let edit = egui::DragValue::new(&mut gib)
                .range(0.125..=4096.0)
                .speed(0.05)
                .max_decimals(2)
                .suffix(" GiB");
            if ui.add(edit).changed() {
                let bytes = (gib * GIB) as u64;
                budget::set_limit(bytes);
                self.settings.max_memory = Some(bytes);
            }
            if self.settings.max_memory.is_some()
                && ui
                    .button("default")
                    .on_hover_text("Half the memory available when the app started")
                    .clicked()
            {
                budget::set_limit(0);
                self.settings.max_memory = None;
            }
        });
    }

    pub(super) fn status_bar(&mut self, ui: &mut Ui) {
        ui.horizontal(|ui| {
            if !self.worker.alive() {
                ui.label(RichText::new("the analysis thread stopped").color(WARN));
            }
            for l in &self.loading {
                ui.spinner();
                ui.label(format!("opening {}…", l.what));
            }
            let busy = !self.settled();
            ui.label(if busy { "computing…" } else { "idle" });
            let r = &self.doc.results;
            if let Some(t) = &r.trials {
                ui.separator();
                ui.label(format!("trials {:.0} ms", t.millis));
            }
            if let Some(b) = &r.bifurcation {
                ui.separator();
                ui.label(format!("bifurcation {:.0} ms", b.millis));
                if b.cycles.is_some() {
                    ui.separator();
                    ui.label(format!("cycle branches {:.0} ms", b.cycle_millis));
                }
            }
            if let Some(d) = &r.plane_diagram {
                ui.separator();
                ui.label(format!("two-parameter {:.0} ms", d.millis));
                if d.regions.is_some() {
                    ui.separator();
                    ui.label(format!("regions {:.0} ms", d.region_millis));
                }
            }
            if let Some(f) = self.median_frame_ms() {
                ui.separator();
                ui.label(format!("UI {f:.1} ms/frame"));
            }
            // Last: it takes the width left and is cut to it (the bar never grows the window).
            if let Some(l) = &r.landscape {
                ui.separator();
                let parts: Vec<String> = l
                    .timings
                    .iter()
                    .chain(r.view.iter().flat_map(|v| v.timings.iter()))
                    .map(|s| format!("{} {:.1}", s.stage.replace('_', " "), s.millis))
                    .collect();
                let text = format!("landscape ms: {}", parts.join(" · "));
                // A cut label shows its whole text on hover.
                ui.add(egui::Label::new(text).truncate());
            }
        });
    }
}
