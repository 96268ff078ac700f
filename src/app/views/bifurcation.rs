//! The bifurcation panel: fixed-point branches in one parameter (an input amplitude, a
//! covariance entry, a gain, a fraction: the core's catalogue), stable solid and unstable dashed,
//! folds, branch points and Hopf points marked, a line at the current value; with the branches of
//! limit cycles (ODE) as the max and min of the plotted kappa, and their period below on the same
//! parameter axis. The diagrams are the model's
//! ([`Model::bifurcation`](crate::model::Model::bifurcation),
//! [`Model::cycle_branches`](crate::model::Model::cycle_branches): its search boxes, never the
//! view); the worker recomputes them as the other sliders move. The diagram is also a control:
//! clicking or dragging across it sets the parameter.

use crate::reduced::plane::kappa_symbol;
use eframe::egui::{self, Color32, RichText, Ui};
use egui_plot::{
    HoverPosition, Line, LineStyle, MarkerShape, Plot, PlotPoint, PlotPoints, PlotResponse, Points,
    Text, VLine,
};

use crate::analysis::continuation::{BifurcationDiagram, BranchPoint};
use crate::analysis::continuation::{Branch, SpecialKind};
use crate::analysis::cycle_branch::{CycleBranch, CyclePoint, CycleSpecialKind};
use crate::app::actions::Action;
use crate::app::compute::BifurcationOutcome;
use crate::app::document::Document;
use crate::app::toasts::WARN;
use crate::app::views::two_parameter;
use crate::app::views::widgets::{Edit, typed_box};
use crate::model::{Model, ParamSpec};
use crate::text::count;

/// Special points in the right part of the range get their label on their left.
const LABEL_SIDE: f64 = 0.7;
/// Height of the period plot under the diagram, in points.
const PERIOD_HEIGHT: f32 = 110.0;
const FIXED_POINTS: Color32 = Color32::from_gray(30);
/// Limit cycles: Okabe-Ito orange.
const CYCLES: Color32 = Color32::from_rgb(230, 159, 0);
const SPECIAL: Color32 = Color32::from_rgb(200, 30, 30);
pub(super) const CURRENT: Color32 = Color32::from_rgb(0, 114, 178);

/// The bifurcation panel.
#[derive(Default)]
pub struct BifurcationView {
    /// Where the diagram (with its period plot) was last drawn.
    pub plot_rect: Option<egui::Rect>,
}

impl BifurcationView {
    pub fn ui(&mut self, ui: &mut Ui, doc: &mut Document, actions: &mut Vec<Action>) {
        ui.horizontal_wrapped(|ui| {
            ui.heading("Bifurcation");
            ui.checkbox(&mut doc.edits.bifurcation.enabled, "on");
            if doc.edits.bifurcation.second.is_none() {
                ui.checkbox(&mut doc.edits.bifurcation.cycles, "limit cycles")
                    .on_hover_text(
                        "continue the limit cycles (ODE): from every Hopf point and from the \
                         cycles at the current value and the range's ends",
                    );
            }
        });
        if !doc.edits.bifurcation.enabled {
            return;
        }
        let model = doc.model().clone();
        two_parameter::mode_row(ui, doc, &model);
        choose_parameter(ui, doc, &model);
        range_row(
            ui,
            "bifurcation range",
            &mut doc.edits.bifurcation.range,
            actions,
        );
        if doc.edits.bifurcation.second.is_some() {
            self.plot_rect = two_parameter::ui(ui, doc, &model, actions);
            return;
        }
        let rank = model.dims().rank;
        let names: Vec<String> = (0..rank).map(kappa_symbol).collect();
        if rank > 1 {
            ui.horizontal_wrapped(|ui| {
                ui.label("plot");
                for (l, name) in names.iter().enumerate() {
                    ui.radio_value(&mut doc.view.bifurcation_axis, l, name.as_str());
                }
            });
        }
        let Some(out) = doc.results.bifurcation.clone() else {
            ui.label("computing…");
            return;
        };
        let d = match &out.diagram {
            Ok(d) => d,
            Err(e) => {
                ui.label(RichText::new(e).color(WARN));
                return;
            }
        };
        let b = &doc.edits.bifurcation;
        let stale = out.key.parameter != b.parameter || out.key.range != b.range;
        let axis = doc.view.bifurcation_axis.min(rank.saturating_sub(1));
        let last = doc.results.cycles.clone();
        let cycles = shown_cycles(&out, last.as_deref());
        summary(ui, d, &cycles, stale);
        let [lo, hi] = out.key.range;
        let link = egui::Id::unique("bifurcation_x");
        let mut plot = Plot::new("bifurcation")
            .x_axis_label(parameter_name(&out.key.parameter))
            .y_axis_label(names.get(axis).cloned().unwrap_or_default())
            .include_x(lo)
            .include_x(hi)
            .allow_drag(false)
            .link_axis(link, [true, false])
            .label_formatter(|at| match at {
                // Only the special points are hoverable: their tips.
                HoverPosition::NearDataPoint { plot_name, .. } if !plot_name.is_empty() => {
                    Some(plot_name.to_string())
                }
                _ => None,
            });
        let with_periods = cycles.branches.is_some_and(|b| !b.is_empty());
        if with_periods {
            plot = plot.height((ui.available_height() - PERIOD_HEIGHT - 8.0).max(120.0));
        }
        let shown = plot.show(ui, |pui| {
            for branch in &d.branches {
                draw_branch(pui, branch, axis);
            }
            for c in cycles.branches.into_iter().flatten() {
                draw_cycle_branch(pui, c, axis, [lo, hi]);
            }
            for s in &d.special_points {
                let shape = match s.kind {
                    SpecialKind::Fold => MarkerShape::Square,
                    SpecialKind::BranchPoint => MarkerShape::Cross,
                    SpecialKind::Hopf | SpecialKind::NeimarkSacker => MarkerShape::Diamond,
                    SpecialKind::Flip => MarkerShape::Up,
                };
                let y = s.kappa.get(axis).copied().unwrap_or(f64::NAN);
                let tip = match (s.first_lyapunov, s.criticality()) {
                    (Some(l1), Some(kind)) => format!(
                        "{} at {:.4}: first Lyapunov coefficient l₁ = {l1:.4}, {kind}",
                        s.kind.name(),
                        s.p
                    ),
                    _ => format!("{} at {:.4}", s.kind.name(), s.p),
                };
                let marker = Marker {
                    label: s.kind.name(),
                    tip: &tip,
                    shape,
                    below: false,
                };
                mark(pui, &marker, [s.p, y], [lo, hi]);
            }
            if let Some(p) = out.current {
                pui.vline(VLine::new("current value", p).color(CURRENT).width(1.5));
            }
        });
        self.plot_rect = Some(shown.response.rect);
        set_by_pointer(&shown, doc, &out, actions);
        if let Some(branches) = cycles.branches.filter(|_| with_periods) {
            let periods = Plot::new("bifurcation_period")
                .height(PERIOD_HEIGHT)
                .x_axis_label("")
                .y_axis_label("period (τ)")
                .include_x(lo)
                .include_x(hi)
                .include_y(0.0)
                .allow_drag(false)
                .link_axis(link, [true, false])
                .show(ui, |pui| {
                    for c in branches {
                        draw_periods(pui, c);
                    }
                    if let Some(p) = out.current {
                        pui.vline(VLine::new("current value", p).color(CURRENT).width(1.5));
                    }
                });
            set_by_pointer(&periods, doc, &out, actions);
            self.plot_rect = self.plot_rect.map(|r| r.union(periods.response.rect));
        }
    }
}

/// The cycle branches to draw: those of `out` once computed, else (while they are) those of
/// the newest diagram that has them in the same parameter and range, marked as updating.
struct ShownCycles<'a> {
    branches: Option<&'a [CycleBranch]>,
    error: Option<&'a str>,
    /// Still being computed for the current diagram.
    pending: bool,
}

fn shown_cycles<'a>(
    out: &'a BifurcationOutcome,
    last: Option<&'a BifurcationOutcome>,
) -> ShownCycles<'a> {
    let wanted = out.key.wants_cycles();
    let own = out.cycles.as_ref().filter(|_| wanted);
    let earlier = last
        .filter(|_| wanted && own.is_none())
        .filter(|l| l.key.parameter == out.key.parameter && l.key.range == out.key.range)
        .and_then(|l| l.cycles.as_ref());
    let cycles = own.or(earlier);
    ShownCycles {
        branches: cycles.and_then(|c| c.as_deref().ok()),
        error: cycles.and_then(|c| c.as_ref().err()).map(String::as_str),
        pending: wanted && own.is_none(),
    }
}

/// The counts line, the key, and why cycles are missing if they are.
fn summary(ui: &mut Ui, d: &BifurcationDiagram, cycles: &ShownCycles, stale: bool) {
    let of = |k: SpecialKind| d.special_points.iter().filter(|s| s.kind == k).count();
    let births = d
        .special_points
        .iter()
        .filter(|s| s.kind.births_a_cycle())
        .count();
    let cycle_count = match (cycles.branches, cycles.pending) {
        (_, true) => " · cycles: computing…".to_string(),
        (Some(b), false) => format!(" · {}", count(b.len(), "cycle branch", "cycle branches")),
        (None, false) => String::new(),
    };
    ui.label(
        RichText::new(format!(
            "{} · {} · {} · {}{cycle_count}{}",
            count(d.branches.len(), "branch", "branches"),
            count(of(SpecialKind::Fold), "fold", "folds"),
            count(
                of(SpecialKind::BranchPoint),
                "branch point",
                "branch points"
            ),
            count(births, "Hopf/NS/flip point", "Hopf/NS/flip points"),
            if stale { " · updating…" } else { "" }
        ))
        .small(),
    );
    if let Some(e) = cycles.error {
        ui.label(
            RichText::new(format!("limit cycles: {e}"))
                .color(WARN)
                .small(),
        );
    }
    ui.label(
        RichText::new(
            "solid: stable · dashed: unstable · orange: limit cycles (max and min) · red: \
             bifurcations · blue: current value (click or drag to set it)",
        )
        .small()
        .weak(),
    );
}

/// Where the pointer clicks or drags on a plot, if it does.
pub(super) fn pressed_at<R>(shown: &PlotResponse<R>) -> Option<egui::Pos2> {
    let r = &shown.response;
    (r.clicked() || r.dragged())
        .then(|| r.interact_pointer_pos())
        .flatten()
}

/// A click or a drag across a diagram sets its parameter to the value under the pointer, held
/// in the diagram's range.
fn set_by_pointer<R>(
    shown: &PlotResponse<R>,
    doc: &mut Document,
    out: &BifurcationOutcome,
    actions: &mut Vec<Action>,
) {
    let Some(pos) = pressed_at(shown) else {
        return;
    };
    let [lo, hi] = out.key.range;
    let p = shown.transform.value_from_position(pos).x.clamp(lo, hi);
    if let Err(e) = doc.set_parameter(&out.key.parameter, p) {
        actions.push(Action::Warn(e));
    }
}

/// How a special point is marked: its label on the plot, the text shown when the pointer is on
/// it (with its normal-form coefficient where there is one) and its shape.
pub(super) struct Marker<'a> {
    pub label: &'a str,
    pub tip: &'a str,
    pub shape: MarkerShape,
    /// The label under the point rather than over it (for points that come in close pairs).
    pub below: bool,
}

/// A special point: its marker (hovered, it shows its tip) and its label.
pub(super) fn mark(pui: &mut egui_plot::PlotUi, m: &Marker, at: [f64; 2], range: [f64; 2]) {
    pui.points(
        Points::new(m.tip, PlotPoints::from(at))
            .shape(m.shape)
            .radius(5.0)
            .color(SPECIAL),
    );
    let (text, anchor) = label_side(m.label, at[0], range);
    let anchor = if m.below {
        egui::Align2([anchor.x(), egui::Align::Min])
    } else {
        anchor
    };
    pui.text(
        Text::new(
            "",
            PlotPoint::new(at[0], at[1]),
            RichText::new(text).small(),
        )
        .anchor(anchor),
    );
}

/// A special point's label and its anchor: it points into the plot, so none is cut at the
/// diagram's edge (left of points in the right part of the range, right of the others).
fn label_side(name: &str, p: f64, [lo, hi]: [f64; 2]) -> (String, egui::Align2) {
    if (p - lo) / (hi - lo) > LABEL_SIDE {
        (format!("{name} "), egui::Align2::RIGHT_BOTTOM)
    } else {
        (format!(" {name}"), egui::Align2::LEFT_BOTTOM)
    }
}

/// Each branch split into runs of equal stability: stable solid, unstable dashed.
fn draw_branch(pui: &mut egui_plot::PlotUi, branch: &Branch, axis: usize) {
    let at = |q: &BranchPoint| {
        (
            [q.p, q.kappa.get(axis).copied().unwrap_or(f64::NAN)],
            q.stable,
        )
    };
    draw_runs(
        pui,
        &branch.points.iter().map(at).collect::<Vec<_>>(),
        FIXED_POINTS,
    );
}

/// A cycle branch: the max and the min of kappa on `axis` along it, its bifurcations (folds of
/// cycles, period doubling, torus) and, where its period diverges, that parameter.
fn draw_cycle_branch(pui: &mut egui_plot::PlotUi, c: &CycleBranch, axis: usize, range: [f64; 2]) {
    let get = |v: &[f64]| v.get(axis).copied().unwrap_or(f64::NAN);
    for max in [true, false] {
        let extreme = |q: &CyclePoint| get(if max { &q.kappa_max } else { &q.kappa_min });
        let run: Vec<_> = c
            .points
            .iter()
            .map(|q| ([q.p, extreme(q)], q.stable))
            .collect();
        draw_runs(pui, &run, CYCLES);
    }
    for s in &c.special_points {
        let shape = match s.kind {
            CycleSpecialKind::FoldOfCycles => MarkerShape::Square,
            CycleSpecialKind::PeriodDoubling => MarkerShape::Up,
            CycleSpecialKind::Torus => MarkerShape::Diamond,
        };
        // The special point's orbit is not sampled: mark it on the max line, interpolated.
        let y = interpolate(&c.points, s.p, |q| get(&q.kappa_max));
        let tip = format!("{} at {:.4}, period {:.4} τ", s.kind.name(), s.p, s.period);
        let marker = Marker {
            label: s.kind.name(),
            tip: &tip,
            shape,
            below: false,
        };
        mark(pui, &marker, [s.p, y], range);
    }
    for &p in &c.period_diverges_at {
        let y = interpolate(&c.points, p, |q| get(&q.kappa_max));
        let tip = format!(
            "the period diverges at {p:.5} (a homoclinic orbit or a saddle-node on the cycle)"
        );
        let marker = Marker {
            label: "period diverges",
            tip: &tip,
            shape: MarkerShape::Asterisk,
            below: false,
        };
        mark(pui, &marker, [p, y], range);
    }
}

/// The period along a cycle branch, stable solid and unstable dashed.
fn draw_periods(pui: &mut egui_plot::PlotUi, c: &CycleBranch) {
    let run: Vec<_> = c
        .points
        .iter()
        .map(|q| ([q.p, q.period], q.stable))
        .collect();
    draw_runs(pui, &run, CYCLES);
}

/// `f` at parameter `p` along the branch: linear between the nearest points in `p`.
fn interpolate(points: &[CyclePoint], p: f64, f: impl Fn(&CyclePoint) -> f64) -> f64 {
    let nearest = |skip: Option<usize>| {
        points
            .iter()
            .enumerate()
            .filter(|(k, _)| Some(*k) != skip)
            .min_by(|(_, a), (_, b)| (a.p - p).abs().total_cmp(&(b.p - p).abs()))
    };
    match (nearest(None), nearest(nearest(None).map(|(k, _)| k))) {
        (Some((_, a)), Some((_, b))) if a.p != b.p => {
            let t = (p - a.p) / (b.p - a.p);
            f(a) + t * (f(b) - f(a))
        }
        (Some((_, a)), _) => f(a),
        _ => f64::NAN,
    }
}

/// A curve of `([x, y], stable)` points split into runs of equal stability: stable solid,
/// unstable dashed, each run sharing its boundary point with the next so they join.
pub(super) fn draw_runs(pui: &mut egui_plot::PlotUi, pts: &[([f64; 2], bool)], color: Color32) {
    let mut start = 0;
    for end in 1..=pts.len() {
        if end < pts.len() && pts[end].1 == pts[start].1 {
            continue;
        }
        let run: Vec<[f64; 2]> = pts[start..(end + 1).min(pts.len())]
            .iter()
            .map(|q| q.0)
            .collect();
        let (style, width) = if pts[start].1 {
            (LineStyle::Solid, 2.5)
        } else {
            (LineStyle::dashed_dense(), 1.5)
        };
        pui.line(
            Line::new("", PlotPoints::from(run))
                .color(color)
                .width(width)
                .style(style)
                .allow_hover(false),
        );
        start = end;
    }
}

/// The parameter menu: the model's catalogue (input amplitudes, then each population's
/// fraction, clamped gain and the covariance entries that enter the flow or the readout), after
/// the map's step when `step` offers it; the entry chosen if it differs from `current`.
pub(super) fn parameter_menu(
    ui: &mut Ui,
    name: &str,
    current: &ParamSpec,
    model: &Model,
    step: bool,
) -> Option<ParamSpec> {
    let mut chosen = None;
    egui::ComboBox::from_id_salt(name)
        .selected_text(parameter_name(current))
        .height(400.0)
        .show_ui(ui, |ui| {
            if step {
                ui.label(RichText::new("the map").weak().small());
                let c = ParamSpec::Step;
                if ui
                    .selectable_label(c == *current, parameter_name(&c))
                    .on_hover_text(c.role())
                    .clicked()
                {
                    chosen = Some(c);
                }
            }
            for group in model.parameters() {
                let title = match group.population {
                    Some(p) => format!("population {}: {}", p + 1, group.title),
                    None => group.title.clone(),
                };
                ui.label(RichText::new(title.trim_end_matches(": ")).weak().small());
                for c in &group.params {
                    if ui
                        .selectable_label(c == current, parameter_name(c))
                        .on_hover_text(c.role())
                        .clicked()
                    {
                        chosen = Some(c.clone());
                    }
                }
            }
        })
        .response
        .accessible_name(name);
    chosen.filter(|c| c != current)
}

/// The diagram's (first) parameter: a new one starts on its own continuation range.
fn choose_parameter(ui: &mut Ui, doc: &mut Document, model: &Model) {
    let b = &mut doc.edits.bifurcation;
    let label = if b.second.is_some() { "x" } else { "in" };
    let chosen = ui
        .horizontal(|ui| {
            ui.label(label);
            parameter_menu(ui, "parameter", &b.parameter, model, false)
        })
        .inner;
    if let Some(c) = chosen {
        b.range = model.continuation_range(&c);
        b.parameter = c;
    }
}

/// A readable name: `input A amplitude`, `p1.cov(n2,m1)`.
pub(super) fn parameter_name(p: &ParamSpec) -> String {
    match p {
        ParamSpec::Input(name) => format!("input {name} amplitude"),
        ParamSpec::Model(m) => m.to_string(),
        ParamSpec::Step => "map step α".to_string(),
    }
}

/// A range as two typed boxes named `name from` and `name to`.
pub(super) fn range_row(ui: &mut Ui, name: &str, range: &mut [f64; 2], actions: &mut Vec<Action>) {
    ui.horizontal_wrapped(|ui| {
        ui.label("range");
        for (i, end) in ["from", "to"].iter().enumerate() {
            let name = format!("{name} {end}");
            match typed_box(ui, &name, range[i], 68.0) {
                Edit::None => {}
                Edit::Set(x) => range[i] = x,
                Edit::Invalid(text) => actions.push(Action::Warn(format!(
                    "{name}: “{text}” is not a finite number"
                ))),
            }
        }
    });
    if range[0] >= range[1] {
        ui.label(RichText::new("the range is empty: “from” must be below “to”").color(WARN));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_near_the_right_edge_are_set_to_the_left_of_their_point() {
        let (text, anchor) = label_side("Hopf", 1.42, [0.0, 1.5]);
        assert_eq!(
            (text.as_str(), anchor),
            ("Hopf ", egui::Align2::RIGHT_BOTTOM)
        );
        let (text, anchor) = label_side("fold", 0.3, [0.0, 1.5]);
        assert_eq!(
            (text.as_str(), anchor),
            (" fold", egui::Align2::LEFT_BOTTOM)
        );
    }
}
