//! The bifurcation panel: fixed-point branches in one parameter (an input amplitude, a
//! covariance entry, a gain, a fraction), stable solid and unstable dashed, fold and Hopf points
//! marked, a line at the current value. The worker recomputes it as the other sliders move.

use eframe::egui::{self, Color32, RichText, Ui};
use egui_plot::{Line, LineStyle, MarkerShape, Plot, PlotPoint, PlotPoints, Points, Text, VLine};

use crate::analysis::continuation::{Branch, SpecialKind};
use crate::app::Results;
use crate::app::params::{BifurcationParam, Params, Source};
use crate::app::views::Action;
use crate::app::views::controls::{WARN, parameter_groups};
use crate::app::views::widgets::{Edit, typed_box};
use crate::reduced::{ModelParam, PopulationModel};

/// Default range of an input amplitude.
const INPUT_RANGE: [f64; 2] = [0.0, 1.5];

/// The bifurcation panel.
#[derive(Default)]
pub struct BifurcationView;

impl BifurcationView {
    pub fn ui(
        &mut self,
        ui: &mut Ui,
        params: &mut Params,
        results: &Results,
        actions: &mut Vec<Action>,
    ) {
        ui.horizontal(|ui| {
            ui.heading("Bifurcation");
            ui.checkbox(&mut params.bifurcation.enabled, "on");
        });
        if !params.bifurcation.enabled {
            return;
        }
        let inputs = params.input_names(results.network.as_ref().map(|n| n.dims().inputs));
        let population =
            matches!(params.source, Source::Population).then_some(&params.population.0);
        choose_parameter(ui, params, &inputs, population.cloned().as_ref());
        range_row(ui, params, actions);
        let b = &mut params.bifurcation;
        ui.horizontal(|ui| {
            ui.label("plot");
            ui.radio_value(&mut b.axis, 0, "κ₁");
            ui.radio_value(&mut b.axis, 1, "κ₂");
        });
        let Some(out) = results.bifurcation.as_deref() else {
            ui.label("computing…");
            return;
        };
        if let Some(e) = &out.error {
            ui.label(RichText::new(e).color(WARN));
            return;
        }
        let stale = out.key.parameter != b.parameter || out.key.range != b.range;
        let axis = b.axis.min(1);
        let name = parameter_name(&b.parameter, &inputs);
        let Some(d) = &out.diagram else { return };
        let folds = d
            .special_points
            .iter()
            .filter(|s| s.kind == SpecialKind::Fold)
            .count();
        let hopfs = d.special_points.len() - folds;
        ui.label(
            RichText::new(format!(
                "{} branches · {folds} fold · {hopfs} Hopf/NS/flip{}\nsolid: stable · dashed: unstable · red marks: bifurcations · blue line: current value",
                d.branches.len(),
                if stale { " · updating…" } else { "" }
            ))
            .small(),
        );
        Plot::new("bifurcation")
            .x_axis_label(name)
            .y_axis_label(if axis == 0 { "κ₁" } else { "κ₂" })
            .show(ui, |pui| {
                for branch in &d.branches {
                    draw_branch(pui, branch, axis);
                }
                for s in &d.special_points {
                    let (label, shape) = match s.kind {
                        SpecialKind::Fold => ("fold", MarkerShape::Square),
                        SpecialKind::BranchPoint => ("branch point", MarkerShape::Cross),
                        SpecialKind::Hopf => ("Hopf", MarkerShape::Diamond),
                        SpecialKind::NeimarkSacker => ("Neimark-Sacker", MarkerShape::Diamond),
                        SpecialKind::Flip => ("flip", MarkerShape::Up),
                    };
                    let y = s.kappa.get(axis).copied().unwrap_or(f64::NAN);
                    pui.points(
                        Points::new(label, PlotPoints::from([s.p, y]))
                            .shape(shape)
                            .radius(5.0)
                            .color(Color32::from_rgb(200, 30, 30))
                            .allow_hover(false),
                    );
                    pui.text(
                        Text::new(
                            "",
                            PlotPoint::new(s.p, y),
                            RichText::new(format!(" {label}")).small(),
                        )
                        .anchor(egui::Align2::LEFT_BOTTOM),
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
        let (name, style, width) = if pts[start].stable {
            ("stable", LineStyle::Solid, 2.5)
        } else {
            ("unstable", LineStyle::dashed_dense(), 1.5)
        };
        pui.line(
            Line::new(name, PlotPoints::from(run))
                .color(Color32::from_gray(30))
                .width(width)
                .style(style)
                .allow_hover(false),
        );
        start = end;
    }
}

/// The parameter menu: input amplitudes, then each population's fraction, clamped gain and the
/// covariance entries the controls show.
fn choose_parameter(
    ui: &mut Ui,
    params: &mut Params,
    inputs: &[String],
    population: Option<&PopulationModel>,
) {
    let mut choices: Vec<BifurcationParam> = (0..inputs.len())
        .map(|channel| BifurcationParam::InputAmplitude { channel })
        .collect();
    if let Some(model) = population {
        let dims = model.dims();
        for (pop, p) in model.populations().iter().enumerate() {
            let mut names = Vec::new();
            if model.populations().len() > 1 {
                names.push(ModelParam::Fraction { pop });
            }
            if p.gain_clamp.is_some() {
                names.push(ModelParam::Gain { pop });
            }
            for g in parameter_groups(dims) {
                names.extend(g.into_iter().map(|(a, b)| ModelParam::Cov { pop, a, b }));
            }
            choices.extend(
                names
                    .into_iter()
                    .map(|name| BifurcationParam::Model { name }),
            );
        }
    }
    let b = &mut params.bifurcation;
    let current = parameter_name(&b.parameter, inputs);
    let mut chosen = None;
    egui::ComboBox::from_label("parameter")
        .selected_text(current)
        .height(400.0)
        .show_ui(ui, |ui| {
            for c in &choices {
                if ui
                    .selectable_label(*c == b.parameter, parameter_name(c, inputs))
                    .clicked()
                {
                    chosen = Some(c.clone());
                }
            }
        });
    if let Some(c) = chosen.filter(|c| *c != b.parameter) {
        b.range = default_range(&c, population);
        b.parameter = c;
    }
}

/// A readable name: `input A amplitude`, `p1.cov(n2,m1)`.
fn parameter_name(p: &BifurcationParam, inputs: &[String]) -> String {
    match p {
        BifurcationParam::InputAmplitude { channel } => format!(
            "input {} amplitude",
            inputs.get(*channel).map_or("?", String::as_str)
        ),
        BifurcationParam::Model { name } => name.to_string(),
    }
}

/// The range a newly chosen parameter starts with: [0, 1.5] for inputs, [0, 1] for fractions and
/// gains, the current value +- max(1, |value|) for covariances.
fn default_range(p: &BifurcationParam, model: Option<&PopulationModel>) -> [f64; 2] {
    match p {
        BifurcationParam::InputAmplitude { .. } => INPUT_RANGE,
        BifurcationParam::Model {
            name: ModelParam::Fraction { .. } | ModelParam::Gain { .. },
        } => [0.0, 1.0],
        BifurcationParam::Model { name } => {
            let x = model.and_then(|m| name.get(m).ok()).unwrap_or(0.0);
            let w = x.abs().max(1.0);
            [x - w, x + w]
        }
    }
}

/// The range as two typed boxes.
fn range_row(ui: &mut Ui, params: &mut Params, actions: &mut Vec<Action>) {
    let b = &mut params.bifurcation;
    ui.horizontal(|ui| {
        ui.label("range");
        for (i, end) in ["from", "to"].iter().enumerate() {
            let name = format!("bifurcation range {end}");
            match typed_box(ui, &name, b.range[i], 3, 60.0) {
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
