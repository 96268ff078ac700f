//! Time series of the shown trials: `kappa_1(t)`, `kappa_2(t)` and the output `z(t)`, the
//! reduced system solid and the full network dotted, task epochs shaded, the scrubber's time
//! marked.

use eframe::egui::{self, Color32, Ui};
use egui_plot::{Line, LineStyle, Plot, PlotPoints, Span, VLine};

use crate::app::Results;
use crate::app::compute::TrialRun;
use crate::app::params::Params;
use crate::app::views::color;
use crate::network::DT_MS;
use crate::style;

/// The three quantities plotted, with their axis labels.
const SERIES: [&str; 3] = ["κ₁(t)", "κ₂(t)", "output z(t)"];

/// The time-series panel.
#[derive(Default)]
pub struct TimeSeries;

impl TimeSeries {
    pub fn ui(&mut self, ui: &mut Ui, params: &mut Params, results: &Results) {
        let Some(set) = results.trials.as_deref() else {
            return;
        };
        let link = egui::Id::unique("time_series_x");
        let gap = ui.spacing().item_spacing.x;
        let width = ((ui.available_width() - 2.0 * gap) / SERIES.len() as f32).max(80.0);
        let height = ui.available_height().max(80.0);
        ui.horizontal(|ui| {
            for (q, label) in SERIES.iter().enumerate() {
                Plot::new(("time_series", q))
                    .width(width)
                    .height(height)
                    .link_axis(link, [true, false])
                    .link_cursor(link, [true, false])
                    .x_axis_label("t (ms)")
                    .y_axis_label(*label)
                    .allow_scroll(false)
                    .show(ui, |pui| {
                        let shade = set.runs.get(params.scrub.trial).or(set.runs.first());
                        if let Some(run) = shade {
                            shade_epochs(pui, run);
                        }
                        for (k, run) in set.runs.iter().enumerate() {
                            if params.trials.shown.get(k).copied().unwrap_or(false) {
                                draw_run(pui, run, k, q);
                            }
                        }
                        pui.vline(
                            VLine::new("", params.scrub.step as f64 * DT_MS)
                                .color(Color32::from_rgb(220, 40, 40))
                                .width(1.0),
                        );
                    });
            }
        });
    }
}

/// Stimulus and decision epochs as shaded bands, labelled.
fn shade_epochs(pui: &mut egui_plot::PlotUi, run: &TrialRun) {
    for e in &run.trial.epochs {
        let fill = match e.name {
            "stimulus 1" | "stimulus 2" => Color32::from_rgba_unmultiplied(120, 160, 220, 40),
            "decision" => Color32::from_rgba_unmultiplied(150, 150, 150, 40),
            _ => continue,
        };
        pui.span(
            Span::new(e.name, (e.start as f64 * DT_MS)..=(e.end as f64 * DT_MS))
                .fill(fill)
                .border_width(0.0),
        );
    }
}

/// One trial's quantity `q` (0, 1: `kappa_q`; 2: `z`) for the reduced system and the network.
fn draw_run(pui: &mut egui_plot::PlotUi, run: &TrialRun, k: usize, q: usize) {
    let c = color(style::TRIALS[k % style::TRIALS.len()]);
    let reduced: Vec<[f64; 2]> = match q {
        0 | 1 => run
            .reduced
            .kappa
            .iter()
            .enumerate()
            .filter_map(|(t, p)| p.get(q).map(|x| [t as f64 * DT_MS, *x]))
            .collect(),
        _ => run
            .reduced_z
            .iter()
            .enumerate()
            .map(|(t, z)| [t as f64 * DT_MS, *z])
            .collect(),
    };
    pui.line(
        Line::new("", PlotPoints::from(reduced))
            .color(c)
            .width(1.5)
            .allow_hover(false),
    );
    if let Some(net) = &run.network {
        let full: Vec<[f64; 2]> = match q {
            0 | 1 => net
                .kappa
                .iter()
                .enumerate()
                .map(|(t, p)| [t as f64 * DT_MS, p[q]])
                .collect(),
            // z_t is read after update t, i.e. at state t + 1 (MODEL.md 1).
            _ => net
                .z
                .iter()
                .enumerate()
                .map(|(t, z)| [(t + 1) as f64 * DT_MS, *z])
                .collect(),
        };
        pui.line(
            Line::new("", PlotPoints::from(full))
                .color(c)
                .width(2.0)
                .style(LineStyle::dotted_dense())
                .allow_hover(false),
        );
    }
}
