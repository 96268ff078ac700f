//! Time series of the shown trials: the phase plane's two coordinates (`kappa_1(t)`,
//! `kappa_2(t)` at rank 2; `v_s(t)`, `kappa(t)` at rank 1; the chosen pair of a slice, MODEL.md 8)
//! and the output `z(t)`, the reduced system as lines and the full network as dots (as in the
//! phase plane), task epochs shaded (named in a key above, so no label is cut by a narrow band),
//! the scrubber's time marked. Or, after a click in the phase plane, the same two coordinates of
//! the clicked trajectories against time in units of `tau`, with how long they run.

use eframe::egui::{self, Color32, RichText, Ui};
use egui_plot::{Line, Plot, PlotPoints, Points, Span, VLine};

use crate::app::document::{Document, SeriesShows, TRAJECTORY_TAU_RANGE};
use crate::app::views::color;
use crate::model::TrialRun;
use crate::network::DT_MS;
use crate::reduced::plane::PlaneAxes;
use crate::scene::style;

/// Stimulus bands, decision band.
const STIMULUS: Color32 = Color32::from_rgba_unmultiplied_const(120, 160, 220, 40);
const DECISION: Color32 = Color32::from_rgba_unmultiplied_const(150, 150, 150, 40);

/// The time-series panel.
#[derive(Default)]
pub struct TimeSeries;

impl TimeSeries {
    /// The trials' or the clicked trajectories' time series, as [`Document::view`] says (a
    /// switch between them when there are both).
    pub fn ui(&mut self, ui: &mut Ui, doc: &mut Document) {
        let has_trials = doc.results.trials.is_some();
        let has_paths = !doc.results.trajectories.is_empty();
        let paths = has_paths && (doc.view.series == SeriesShows::Trajectories || !has_trials);
        if has_paths {
            ui.horizontal(|ui| {
                if has_trials {
                    ui.label("plot:");
                    let s = &mut doc.view.series;
                    ui.radio_value(s, SeriesShows::Trials, "trials");
                    ui.radio_value(s, SeriesShows::Trajectories, "clicked trajectories");
                }
                if paths {
                    ui.separator();
                    duration(ui, doc);
                }
            });
        }
        if paths {
            trajectories(ui, doc);
        } else {
            trials(ui, doc);
        }
    }
}

/// How long the clicked trajectories run.
fn duration(ui: &mut Ui, doc: &mut Document) {
    let [lo, hi] = TRAJECTORY_TAU_RANGE;
    ui.label("run for");
    ui.add(
        egui::DragValue::new(&mut doc.view.trajectory_tau)
            .range(lo..=hi)
            .speed(0.5)
            .suffix(" τ"),
    )
    .on_hover_text(
        "How long each clicked trajectory runs (the map: this over α steps); all of them are run again",
    );
    ui.label(
        RichText::new("the latest is drawn heavier · shift-click runs backward (t < 0)")
            .small()
            .weak(),
    );
}

/// The phase plane's two coordinates against time of each click-to-run trajectory (the latest
/// heavier).
fn trajectories(ui: &mut Ui, doc: &Document) {
    let paths = doc.results.trajectories.clone();
    let [x, y] = doc.plane().symbols(&doc.model().input_names());
    let labels = [format!("{x}(t)"), format!("{y}(t)")];
    side_by_side(ui, "trajectory_series", &labels, "t (τ)", |pui, q| {
        for (k, path) in paths.iter().enumerate() {
            let base = style::user_trajectory(path.start.backward);
            let look = if k + 1 == paths.len() {
                base.emphasised()
            } else {
                base
            };
            pui.line(
                Line::new("", PlotPoints::from(path.series(q)))
                    .color(color(look.colour))
                    .width(look.width as f32)
                    .allow_hover(false),
            );
        }
    });
}

/// The trials: the plane's two coordinates and the output against time (ms).
fn trials(ui: &mut Ui, doc: &Document) {
    let Some(set) = doc.results.trials.as_deref() else {
        ui.label("The model has no canonical trials (DMS: 2 inputs, context-dependent: 4).");
        return;
    };
    ui.label(
        RichText::new(
            "blue bands: the stimuli · grey band: decision · red line: the scrubber · lines: reduced system · dots: full network",
        )
        .small()
        .weak(),
    );
    let view = &doc.view;
    let axes = doc.plane();
    let [x, y] = axes.symbols(&doc.model().input_names());
    let labels = [
        format!("{x}(t)"),
        format!("{y}(t)"),
        "output z(t)".to_string(),
    ];
    side_by_side(ui, "time_series", &labels, "t (ms)", |pui, q| {
        let shade = set.runs.get(view.scrub.trial).or(set.runs.first());
        if let Some(run) = shade {
            shade_epochs(pui, run);
        }
        for (k, run) in set.runs.iter().enumerate() {
            if view.shown_trials.get(k).copied().unwrap_or(false) {
                draw_run(pui, run, k, q, &axes);
            }
        }
        pui.vline(
            VLine::new("", view.scrub.step as f64 * DT_MS)
                .color(Color32::from_rgb(220, 40, 40))
                .width(1.0),
        );
    });
}

/// One plot per label side by side, filling the panel, their time axes (`time`) and cursors
/// linked; `draw(pui, q)` fills plot `q`.
fn side_by_side(
    ui: &mut Ui,
    id: &str,
    labels: &[String],
    time: &str,
    mut draw: impl FnMut(&mut egui_plot::PlotUi, usize),
) {
    let link = egui::Id::unique(id);
    let gap = ui.spacing().item_spacing.x;
    let count = labels.len() as f32;
    let width = ((ui.available_width() - (count - 1.0) * gap) / count).max(80.0);
    let height = ui.available_height().max(80.0);
    ui.horizontal(|ui| {
        for (q, label) in labels.iter().enumerate() {
            Plot::new((id, q))
                .width(width)
                .height(height)
                .link_axis(link, [true, false])
                .link_cursor(link, [true, false])
                .x_axis_label(time)
                .y_axis_label(label.as_str())
                .allow_scroll(false)
                .show(ui, |pui| draw(pui, q));
        }
    });
}

/// Stimulus and decision epochs as shaded bands (unlabelled: the key above names them).
fn shade_epochs(pui: &mut egui_plot::PlotUi, run: &TrialRun) {
    for e in &run.trial.epochs {
        let fill = match e.name {
            "stimulus 1" | "stimulus 2" | "stimulus" => STIMULUS,
            "decision" => DECISION,
            _ => continue,
        };
        pui.span(
            Span::new("", (e.start as f64 * DT_MS)..=(e.end as f64 * DT_MS))
                .fill(fill)
                .border_width(0.0),
        );
    }
}

/// `(t, coordinate q of the plane)` of states `(kappa_t, v_t)`, or nothing if the plane does
/// not fit them (a trial of another model, shown for a frame while the new one runs).
fn coordinate(axes: &PlaneAxes, kappa: &[Vec<f64>], v: &[Vec<f64>], q: usize) -> Vec<[f64; 2]> {
    kappa
        .iter()
        .zip(v)
        .enumerate()
        .filter_map(|(t, (k, v))| Some([t as f64 * DT_MS, axes.try_project(k, v)?[q]]))
        .collect()
}

/// One trial's quantity `q` (0, 1: the plane's coordinate `q`; 2: `z`) for the reduced system
/// and the network.
fn draw_run(pui: &mut egui_plot::PlotUi, run: &TrialRun, k: usize, q: usize, axes: &PlaneAxes) {
    let line_style = style::trial_reduced(k);
    let dot_style = style::trial_network(k);
    let reduced: Vec<[f64; 2]> = match q {
        0 | 1 => coordinate(axes, &run.reduced.kappa, &run.reduced.v, q),
        _ => run
            .reduced_z
            .iter()
            .enumerate()
            .map(|(t, z)| [t as f64 * DT_MS, *z])
            .collect(),
    };
    pui.line(
        Line::new("", PlotPoints::from(reduced))
            .color(color(line_style.colour))
            .width(line_style.width as f32)
            .allow_hover(false),
    );
    if let Some(net) = &run.network {
        let every = match dot_style.stroke {
            style::Stroke::Markers { every } => every,
            _ => 1,
        };
        let full: Vec<[f64; 2]> = match q {
            0 | 1 => coordinate(axes, &net.kappa, &net.v, q)
                .into_iter()
                .step_by(every)
                .collect(),
            // z_t is read after update t, i.e. at state t + 1 (MODEL.md 1).
            _ => net
                .z
                .iter()
                .enumerate()
                .map(|(t, z)| [(t + 1) as f64 * DT_MS, *z])
                .step_by(every)
                .collect(),
        };
        pui.points(
            Points::new("", PlotPoints::from(full))
                .color(color(dot_style.colour))
                .radius(style::marker_radius(&dot_style) as f32)
                .filled(true)
                .allow_hover(false),
        );
    }
}
