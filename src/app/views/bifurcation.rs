//! The bifurcation panel: fixed-point branches in one parameter (an input amplitude, a
//! covariance entry, a gain, a fraction: the core's catalogue), stable solid and unstable dashed,
//! folds, branch points and Hopf points marked, a line at the current value. The diagram is the
//! model's ([`Model::bifurcation`](crate::model::Model::bifurcation): its search boxes, never the
//! view); the worker recomputes it as the other sliders move.

use crate::reduced::plane::kappa_symbol;
use eframe::egui::{self, Color32, RichText, Ui};
use egui_plot::{Line, LineStyle, MarkerShape, Plot, PlotPoint, PlotPoints, Points, Text, VLine};

use crate::analysis::continuation::{Branch, SpecialKind};
use crate::app::actions::Action;
use crate::app::document::Document;
use crate::app::toasts::WARN;
use crate::app::views::widgets::{Edit, typed_box};
use crate::model::{Model, ParamSpec};
use crate::text::count;

/// Special points in the right part of the range get their label on their left.
const LABEL_SIDE: f64 = 0.7;

/// The bifurcation panel.
#[derive(Default)]
pub struct BifurcationView {
    /// Where the diagram was last drawn.
    pub plot_rect: Option<egui::Rect>,
}

impl BifurcationView {
    pub fn ui(&mut self, ui: &mut Ui, doc: &mut Document, actions: &mut Vec<Action>) {
        ui.horizontal_wrapped(|ui| {
            ui.heading("Bifurcation");
            ui.checkbox(&mut doc.edits.bifurcation.enabled, "on");
        });
        if !doc.edits.bifurcation.enabled {
            return;
        }
        let model = doc.model().clone();
        choose_parameter(ui, doc, &model);
        range_row(ui, doc, actions);
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
        let of = |k: SpecialKind| d.special_points.iter().filter(|s| s.kind == k).count();
        let births = d
            .special_points
            .iter()
            .filter(|s| s.kind.births_a_cycle())
            .count();
        ui.label(
            RichText::new(format!(
                "{} · {} · {} · {}{}",
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
        ui.label(
            RichText::new(
                "solid: stable · dashed: unstable · red: bifurcations · blue: current value",
            )
            .small()
            .weak(),
        );
        let [lo, hi] = out.key.range;
        let shown = Plot::new("bifurcation")
            .x_axis_label(parameter_name(&out.key.parameter))
            .y_axis_label(names.get(axis).cloned().unwrap_or_default())
            .include_x(lo)
            .include_x(hi)
            .show(ui, |pui| {
                for branch in &d.branches {
                    draw_branch(pui, branch, axis);
                }
                for s in &d.special_points {
                    let shape = match s.kind {
                        SpecialKind::Fold => MarkerShape::Square,
                        SpecialKind::BranchPoint => MarkerShape::Cross,
                        SpecialKind::Hopf | SpecialKind::NeimarkSacker => MarkerShape::Diamond,
                        SpecialKind::Flip => MarkerShape::Up,
                    };
                    let y = s.kappa.get(axis).copied().unwrap_or(f64::NAN);
                    pui.points(
                        Points::new(s.kind.name(), PlotPoints::from([s.p, y]))
                            .shape(shape)
                            .radius(5.0)
                            .color(Color32::from_rgb(200, 30, 30))
                            .allow_hover(false),
                    );
                    let (text, anchor) = label_side(s.kind.name(), s.p, [lo, hi]);
                    pui.text(
                        Text::new("", PlotPoint::new(s.p, y), RichText::new(text).small())
                            .anchor(anchor),
                    );
                }
                if let Some(p) = out.current {
                    pui.vline(
                        VLine::new("current value", p)
                            .color(Color32::from_rgb(0, 114, 178))
                            .width(1.5),
                    );
                }
            });
        self.plot_rect = Some(shown.response.rect);
    }
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
    let pts = &branch.points;
    let mut start = 0;
    for end in 1..=pts.len() {
        if end < pts.len() && pts[end].stable == pts[start].stable {
            continue;
        }
        // Share the boundary point so the runs join.
        let run: Vec<[f64; 2]> = pts[start..(end + 1).min(pts.len())]
            .iter()
            .map(|q| [q.p, q.kappa.get(axis).copied().unwrap_or(f64::NAN)])
            .collect();
        let (style, width) = if pts[start].stable {
            (LineStyle::Solid, 2.5)
        } else {
            (LineStyle::dashed_dense(), 1.5)
        };
        pui.line(
            Line::new("", PlotPoints::from(run))
                .color(Color32::from_gray(30))
                .width(width)
                .style(style)
                .allow_hover(false),
        );
        start = end;
    }
}

/// The parameter menu: the model's catalogue (input amplitudes, then each population's
/// fraction, clamped gain and the covariance entries that enter the flow or the readout).
fn choose_parameter(ui: &mut Ui, doc: &mut Document, model: &Model) {
    let b = &mut doc.edits.bifurcation;
    let mut chosen = None;
    ui.horizontal(|ui| {
        ui.label("in");
        egui::ComboBox::from_id_salt("bifurcation_parameter")
            .selected_text(parameter_name(&b.parameter))
            .height(400.0)
            .show_ui(ui, |ui| {
                for group in model.parameters() {
                    let title = match group.population {
                        Some(p) => format!("population {}: {}", p + 1, group.title),
                        None => group.title.clone(),
                    };
                    ui.label(RichText::new(title.trim_end_matches(": ")).weak().small());
                    for c in &group.params {
                        if ui
                            .selectable_label(*c == b.parameter, parameter_name(c))
                            .on_hover_text(c.role())
                            .clicked()
                        {
                            chosen = Some(c.clone());
                        }
                    }
                }
            })
            .response
            .accessible_name("parameter");
    });
    if let Some(c) = chosen.filter(|c| *c != b.parameter) {
        b.range = model.continuation_range(&c);
        b.parameter = c;
    }
}

/// A readable name: `input A amplitude`, `p1.cov(n2,m1)`.
fn parameter_name(p: &ParamSpec) -> String {
    match p {
        ParamSpec::Input(name) => format!("input {name} amplitude"),
        ParamSpec::Model(m) => m.to_string(),
    }
}

/// The range as two typed boxes.
fn range_row(ui: &mut Ui, doc: &mut Document, actions: &mut Vec<Action>) {
    let b = &mut doc.edits.bifurcation;
    ui.horizontal_wrapped(|ui| {
        ui.label("range");
        for (i, end) in ["from", "to"].iter().enumerate() {
            let name = format!("bifurcation range {end}");
            match typed_box(ui, &name, b.range[i], 68.0) {
                Edit::None => {}
                Edit::Set(x) => b.range[i] = x,
                Edit::Invalid(text) => actions.push(Action::Warn(format!(
                    "{name}: “{text}” is not a finite number"
                ))),
            }
        }
    });
    if b.range[0] >= b.range[1] {
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
