//! The two-parameter diagram: the fold and Hopf (map: Neimark-Sacker, flip) curves in the plane
//! of two parameters, their codimension-2 points (cusp, Bogdanov-Takens, Bautin, fold-Hopf)
//! marked with tooltips, and the regions of the plane shaded and named by what the phase plane
//! holds there ("2 memories", "limit cycle", ...). The diagram is the model's
//! ([`Model::two_parameter`](crate::model::Model::two_parameter),
//! [`Model::regions`](crate::model::Model::regions)); the worker recomputes it as the other
//! sliders move. It is a control: clicking or dragging sets both parameters, and a click on a
//! codimension-2 point or a curve snaps to it.

use eframe::egui::{self, Color32, RichText, Ui};
use egui_plot::{
    HoverPosition, MarkerShape, Plot, PlotPoint, PlotPoints, PlotResponse, Points, Polygon, Text,
};

use super::bifurcation::{
    CURRENT, Marker, draw_runs, mark, parameter_menu, parameter_name, pressed_at, range_row,
};
use crate::analysis::continuation::SpecialKind;
use crate::analysis::regions::{Attractors, Regions};
use crate::analysis::two_parameter::{Codim2Kind, Curve, TwoParameterDiagram};
use crate::app::actions::Action;
use crate::app::compute::PlaneDiagramOutcome;
use crate::app::document::{Document, SecondParameter};
use crate::app::toasts::WARN;
use crate::model::Model;
use crate::reduced::TimeModel;
use crate::text::count;

/// A click this close to a codimension-2 point or a curve (in points) snaps to it.
const SNAP: f32 = 8.0;
/// Regions smaller than this many cells are shaded but not named.
const NAMED_CELLS: usize = 3;
const FOLD: Color32 = Color32::from_rgb(0, 90, 160);
const HOPF: Color32 = Color32::from_rgb(200, 30, 30);
const NEIMARK_SACKER: Color32 = Color32::from_rgb(120, 60, 160);
const FLIP: Color32 = Color32::from_rgb(0, 140, 90);

/// The "1 parameter / 2 parameters" switch; the second parameter starts as the model's
/// [`Model::second_parameter`] on its continuation range.
pub fn mode_row(ui: &mut Ui, doc: &mut Document, model: &Model) {
    let b = &mut doc.edits.bifurcation;
    let mut two = b.second.is_some();
    ui.horizontal(|ui| {
        ui.radio_value(&mut two, false, "1 parameter");
        ui.radio_value(&mut two, true, "2 parameters")
            .on_hover_text(
                "fold and Hopf curves in the plane of two parameters, with their cusp, \
                 Bogdanov-Takens, Bautin and fold-Hopf points and the regions named by what \
                 the phase plane holds",
            );
    });
    if two == b.second.is_some() {
        return;
    }
    b.second = two
        .then(|| model.second_parameter(&b.parameter))
        .flatten()
        .map(|parameter| SecondParameter {
            range: model.continuation_range(&parameter),
            parameter,
            regions: true,
        });
}

/// The second parameter's controls and the diagram; where the diagram was drawn.
pub fn ui(
    ui: &mut Ui,
    doc: &mut Document,
    model: &Model,
    actions: &mut Vec<Action>,
) -> Option<egui::Rect> {
    let is_map = matches!(doc.edits.time_model, TimeModel::Map { .. });
    let second = doc.edits.bifurcation.second.as_mut()?;
    let chosen = ui
        .horizontal(|ui| {
            ui.label("y");
            let c = parameter_menu(ui, "second parameter", &second.parameter, model, is_map);
            ui.checkbox(&mut second.regions, "regions").on_hover_text(
                "shade and name the regions by what the phase plane holds (memories: stable \
                 fixed points; cycles: stable limit cycles), sampled on a grid",
            );
            c
        })
        .inner;
    if let Some(c) = chosen {
        second.range = model.continuation_range(&c);
        second.parameter = c;
    }
    range_row(ui, "second range", &mut second.range, actions);
    let Some(out) = doc.results.plane_diagram.clone() else {
        ui.label("computing…");
        return None;
    };
    let d = match &out.diagram {
        Ok(d) => d,
        Err(e) => {
            ui.label(RichText::new(e).color(WARN));
            return None;
        }
    };
    let b = &doc.edits.bifurcation;
    let stale = out.key.params[0] != b.parameter
        || b.second
            .as_ref()
            .is_none_or(|s| out.key.params[1] != s.parameter)
        || out.key.ranges[0] != b.range;
    let last = doc.results.regions.clone();
    let regions = shown_regions(&out, last.as_deref());
    summary(ui, d, &out, regions.is_some(), stale);
    let [[p0, p1], [q0, q1]] = out.key.ranges;
    let shown = Plot::new("two_parameter")
        .x_axis_label(parameter_name(&out.key.params[0]))
        .y_axis_label(parameter_name(&out.key.params[1]))
        .include_x(p0)
        .include_x(p1)
        .include_y(q0)
        .include_y(q1)
        .allow_drag(false)
        .label_formatter(|at| match at {
            HoverPosition::NearDataPoint { plot_name, .. } if !plot_name.is_empty() => {
                Some(plot_name.to_string())
            }
            _ => None,
        })
        .show(ui, |pui| {
            if let Some(r) = regions {
                draw_regions(pui, r);
            }
            for c in &d.curves {
                draw_curve(pui, c);
            }
            for c in &d.codim2_points {
                let mut tip = format!(
                    "{} ({}) at {} = {:.5}, {} = {:.5}",
                    c.kind.name(),
                    c.kind.label(),
                    out.key.params[0],
                    c.p,
                    out.key.params[1],
                    c.q
                );
                if let Some(k) = &c.coefficients {
                    tip.push_str(&format!("\n{}", k.describe()));
                }
                if let Some(m) = c.kind.multipliers() {
                    tip.push_str(&format!("\n{m}"));
                }
                let marker = Marker {
                    label: c.kind.label(),
                    tip: &tip,
                    shape: MarkerShape::Circle,
                    // A cusp and a Bogdanov-Takens point often lie close together.
                    below: matches!(c.kind, Codim2Kind::Cusp | Codim2Kind::FoldHopf),
                };
                mark(pui, &marker, [c.p, c.q], [p0, p1]);
            }
            if let Some([p, q]) = out.current {
                pui.points(
                    Points::new(
                        "current values (drag to move both)",
                        PlotPoints::from([p, q]),
                    )
                    .shape(MarkerShape::Plus)
                    .radius(8.0)
                    .color(CURRENT),
                );
            }
        });
    set_by_pointer(&shown, doc, &out, d, actions);
    Some(shown.response.rect)
}

/// The regions to draw: those of `out` once computed, else (while they are) the newest ones in
/// the same parameters and ranges.
fn shown_regions<'a>(
    out: &'a PlaneDiagramOutcome,
    last: Option<&'a PlaneDiagramOutcome>,
) -> Option<&'a Regions> {
    let own = out.regions.as_ref().filter(|_| out.key.regions);
    let earlier = last
        .filter(|_| out.key.regions && own.is_none())
        .filter(|l| l.key.params == out.key.params && l.key.ranges == out.key.ranges)
        .and_then(|l| l.regions.as_ref());
    own.or(earlier).and_then(|r| r.as_ref().ok())
}

/// The counts line and the key.
fn summary(
    ui: &mut Ui,
    d: &TwoParameterDiagram,
    out: &PlaneDiagramOutcome,
    has_regions: bool,
    stale: bool,
) {
    let of = |k: SpecialKind| d.curves.iter().filter(|c| c.kind == k).count();
    let labels: Vec<&str> = d.codim2_points.iter().map(|c| c.kind.label()).collect();
    let regions = match (&out.regions, out.key.regions) {
        (Some(Err(e)), _) => format!(" · regions: {e}"),
        (None, true) => " · regions: computing…".to_string(),
        _ => String::new(),
    };
    ui.label(
        RichText::new(format!(
            "{} · {} · {} · codim 2: {}{regions}{}",
            count(d.curves.len(), "curve", "curves"),
            count(of(SpecialKind::Fold), "fold curve", "fold curves"),
            count(
                of(SpecialKind::Hopf) + of(SpecialKind::NeimarkSacker) + of(SpecialKind::Flip),
                "Hopf/NS/flip curve",
                "Hopf/NS/flip curves"
            ),
            if labels.is_empty() {
                "none".to_string()
            } else {
                labels.join(", ")
            },
            if stale { " · updating…" } else { "" }
        ))
        .small(),
    );
    let shading = if has_regions {
        " · shading: regions by their attractors"
    } else {
        ""
    };
    let curves = match out.key.time_model {
        TimeModel::Ode => {
            "blue: folds · red: Hopf · dashed: neutral saddles (no bifurcation) · CP cusp, BT \
             Bogdanov-Takens, GH Bautin, ZH fold-Hopf"
        }
        TimeModel::Map { .. } => {
            "blue: folds · purple: Neimark-Sacker · green: flip · dashed: neutral saddles (no \
             bifurcation) · R1-R4 strong resonances, LPPD fold-flip"
        }
    };
    ui.label(
        RichText::new(format!(
            "{curves}{shading} · +: current values (click or drag to set both)"
        ))
        .small()
        .weak(),
    );
}

/// A curve in its kind's colour; a Hopf curve's neutral saddles dashed.
fn draw_curve(pui: &mut egui_plot::PlotUi, c: &Curve) {
    let color = match c.kind {
        SpecialKind::Hopf => HOPF,
        SpecialKind::NeimarkSacker => NEIMARK_SACKER,
        SpecialKind::Flip => FLIP,
        _ => FOLD,
    };
    let run: Vec<_> = c
        .points
        .iter()
        .map(|pt| ([pt.p, pt.q], !pt.neutral_saddle))
        .collect();
    draw_runs(pui, &run, color);
}

/// The light fill of a class of regions: what it holds, at a glance.
fn fill(a: Attractors) -> Color32 {
    match (a.memories, a.cycles) {
        (0, 0) => Color32::from_rgb(250, 215, 215),
        (0, _) => Color32::from_rgb(253, 224, 178),
        (_, 0) if a.memories >= 2 => Color32::from_rgb(205, 225, 245),
        (_, 0) => Color32::from_rgb(232, 232, 232),
        _ => Color32::from_rgb(210, 238, 205),
    }
}

/// Each cell shaded by its class, each region of at least [`NAMED_CELLS`] cells named.
fn draw_regions(pui: &mut egui_plot::PlotUi, r: &Regions) {
    let [nx, ny] = r.cells;
    let [[p0, p1], [q0, q1]] = r.ranges;
    let (w, h) = ((p1 - p0) / nx as f64, (q1 - q0) / ny as f64);
    for (k, a) in r.attractors.iter().enumerate() {
        let (x, y) = (p0 + w * (k % nx) as f64, q0 + h * (k / nx) as f64);
        let corners = vec![[x, y], [x + w, y], [x + w, y + h], [x, y + h]];
        pui.polygon(
            Polygon::new("", PlotPoints::from(corners))
                .fill_color(fill(*a))
                .stroke(egui::Stroke::NONE)
                .allow_hover(false),
        );
    }
    for g in r.regions.iter().filter(|g| g.cells >= NAMED_CELLS) {
        // Near a side, the name runs inward from its cell rather than off the plot.
        let anchor = match (g.label_at[0] - p0) / (p1 - p0) {
            f if f < 0.25 => egui::Align2::LEFT_CENTER,
            f if f > 0.75 => egui::Align2::RIGHT_CENTER,
            _ => egui::Align2::CENTER_CENTER,
        };
        pui.text(
            Text::new(
                "",
                PlotPoint::new(g.label_at[0], g.label_at[1]),
                RichText::new(&g.name).small().color(Color32::from_gray(60)),
            )
            .anchor(anchor),
        );
    }
}

/// A click or a drag sets both parameters to the point under the pointer, held in the ranges; a
/// click near a codimension-2 point or a curve snaps to it.
fn set_by_pointer<R>(
    shown: &PlotResponse<R>,
    doc: &mut Document,
    out: &PlaneDiagramOutcome,
    d: &TwoParameterDiagram,
    actions: &mut Vec<Action>,
) {
    let Some(pos) = pressed_at(shown) else {
        return;
    };
    let t = &shown.transform;
    let at = t.value_from_position(pos);
    let mut target = [at.x, at.y];
    if shown.response.clicked() {
        let screen = |p: f64, q: f64| t.position_from_point(&PlotPoint::new(p, q)).distance(pos);
        let codim2 = d.codim2_points.iter().map(|c| [c.p, c.q]);
        let curves = d
            .curves
            .iter()
            .flat_map(|c| c.points.iter().map(|pt| [pt.p, pt.q]));
        if let Some((near, _)) = codim2
            .chain(curves)
            .map(|x| (x, screen(x[0], x[1])))
            .filter(|(_, s)| *s <= SNAP)
            .min_by(|a, b| a.1.total_cmp(&b.1))
        {
            target = near;
        }
    }
    for (k, param) in out.key.params.iter().enumerate() {
        let [lo, hi] = out.key.ranges[k];
        if let Err(e) = doc.set_parameter(param, target[k].clamp(lo, hi)) {
            actions.push(Action::Warn(e));
        }
    }
}
