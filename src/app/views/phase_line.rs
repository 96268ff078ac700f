//! The phase line of a rank-1 model (MODEL.md 8): `κ'` against `κ` at the current input, with
//! its fixed points (filled: stable, open: unstable) — the picture papers draw for rank 1, beside
//! the plane of `(v_s, κ)`. Computed by the worker with the landscape; drawn only here.

use eframe::egui::{Color32, RichText, Ui};
use egui_plot::{HLine, Line, MarkerShape, Plot, PlotPoints, Points};

use crate::analysis::phase_line::PhaseLine;
use crate::app::document::Document;
use crate::app::toasts::WARN;

/// Least height of the phase-line plot, in points.
const MIN_HEIGHT: f32 = 80.0;

fn phase_line(doc: &Document) -> Option<&PhaseLine> {
    doc.results.landscape.as_ref()?.phase_line.as_ref()
}

/// Whether the landscape has a phase line (rank 1).
pub fn shown(doc: &Document) -> bool {
    phase_line(doc).is_some()
}

/// Draws the landscape's phase line in the rest of `ui`, if it has one; nothing otherwise.
pub fn ui(ui: &mut Ui, doc: &Document) {
    let Some(line) = phase_line(doc) else {
        return;
    };
    ui.heading("Phase line");
    ui.label(
        RichText::new("κ' = F(κ; v) at the current input: the rank-1 dynamics on the line v = u")
            .small()
            .weak(),
    );
    if let Some(e) = &line.error {
        ui.label(RichText::new(e).color(WARN));
    }
    plot(ui, line);
}

fn plot(ui: &mut Ui, line: &PhaseLine) {
    let curve: Vec<[f64; 2]> = line
        .kappa
        .iter()
        .zip(&line.flow)
        .map(|(k, f)| [*k, *f])
        .collect();
    Plot::new("phase_line")
        .height(ui.available_height().max(MIN_HEIGHT))
        .x_axis_label("κ")
        .y_axis_label("κ'")
        .allow_scroll(false)
        .show(ui, |pui| {
            pui.hline(
                HLine::new("", 0.0)
                    .color(Color32::from_gray(150))
                    .width(1.0),
            );
            pui.line(
                Line::new("κ'", PlotPoints::from(curve))
                    .color(Color32::from_gray(30))
                    .width(2.0),
            );
            for fp in &line.fixed_points {
                let (name, filled) = if fp.stable {
                    ("stable", true)
                } else {
                    ("unstable", false)
                };
                pui.points(
                    Points::new(name, PlotPoints::from([fp.kappa[0], 0.0]))
                        .shape(MarkerShape::Circle)
                        .filled(filled)
                        .radius(5.0)
                        .color(Color32::from_rgb(20, 20, 20)),
                );
            }
        });
}
