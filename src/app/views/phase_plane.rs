//! The phase plane: flow field, nullclines, fixed points, separatrices, cycles, trajectories.
//!
//! Pan and zoom move the analysed rectangle ([`Params::view`]); a click runs a trajectory from the
//! pointer (shift-click: backward) and selects the point for the readouts, a click on a fixed point
//! selects it. Only drawing geometry is computed here (arrow lengths, pixel distances).

use eframe::egui::{self, Color32, RichText, Ui};
use egui_plot::{
    Arrows, Corner, Legend, Line, LineStyle, MarkerShape, Plot, PlotBounds, PlotPoint, PlotPoints,
    PlotTransform, Points, Text,
};

use crate::analysis::Rect;
use crate::analysis::cycles::CycleKind;
use crate::analysis::fixed_points::{FixedPoint, FixedPointKind};
use crate::analysis::landscape::Landscape;
use crate::analysis::manifolds::ManifoldKind;
use crate::app::Results;
use crate::app::params::{DEFAULT_VIEW, Params, Selection, TrajectoryStart};
use crate::app::views::{color, format_eigenvalues, format_point, time_model_label};
use crate::style;

/// Legend entries of the trial trajectories (colours by trial type: see the trials panel).
const TRIALS_REDUCED: &str = "trials: reduced (solid)";
const TRIALS_NETWORK: &str = "trials: full network, projected (dotted)";
/// Flow-field colour classes (arrows of one class share one plot item).
const SPEED_CLASSES: usize = 6;
/// Arrow length as a fraction of the grid cell.
const ARROW_FILL: f64 = 0.75;
/// A click or hover within this many pixels of a fixed point is about that fixed point.
const PICK_PIXELS: f32 = 9.0;
/// Margin added around the content by "auto range", as a fraction of its size.
const AUTO_MARGIN: f64 = 0.15;

/// The phase-plane view.
///
/// [`Params::view`] is the rectangle the user asked for (pan, zoom, auto range, undo); the plot
/// shows it widened to a square aspect, and that visible rectangle, [`PhasePlane::shown`], is
/// what gets analysed. Only the user's own pan and zoom write back into `Params`, so resizing a
/// panel never drifts the view.
#[derive(Default)]
pub struct PhasePlane {
    /// The rectangle the plot was last told to show, and the plot's aspect then.
    requested: Option<(Rect, Option<f64>)>,
    /// Width / height of the plot's frame in the last frame.
    aspect: Option<f64>,
    /// The rectangle the plot shows (the analysed one).
    pub shown: Option<Rect>,
    /// Where the plot is on screen (for the PNG export).
    pub plot_rect: Option<egui::Rect>,
    /// Fit the view to the content as soon as a complete landscape is in (set on opening a
    /// network, whose states need not lie in the default view).
    pub auto_range_pending: bool,
}

impl PhasePlane {
    pub fn ui(&mut self, ui: &mut Ui, params: &mut Params, results: &Results) {
        // A newly opened network: fit the view once its landscape and trials are in.
        if self.auto_range_pending
            && results.landscape_complete
            && (results.network.is_none() || results.trials.is_some())
        {
            auto_range(params, results);
            self.auto_range_pending = false;
        }
        self.header(ui, params, results);
        let land = results.landscape.as_deref();
        // The view is ours (`params.view`, pan and zoom): egui_plot must never fit it to the items,
        // or the flow field drawn over the analysed rectangle would widen the view, which widens
        // the analysed rectangle, frame after frame.
        let plot = Plot::new("phase_plane")
            .auto_bounds(false)
            .data_aspect(1.0)
            .allow_double_click_reset(false)
            .allow_boxed_zoom(false)
            .x_axis_label("κ₁")
            .y_axis_label("κ₂")
            .legend(
                Legend::default()
                    .position(Corner::RightBottom)
                    .text_style(egui::TextStyle::Small)
                    .background_alpha(0.85),
            );
        let want = params.view;
        // Set the bounds when the view changed, and when the plot's shape did (window resize).
        let set_bounds = self.requested != Some((want, self.aspect));
        let aspect = self.aspect;
        if set_bounds {
            self.requested = Some((want, aspect));
        }
        let response = plot.show(ui, |pui| {
            if set_bounds {
                // Widen the view to the plot's aspect ourselves: with `data_aspect`, egui_plot
                // would otherwise trim an axis and hide part of what was asked for.
                let r = aspect.map_or(want, |a| with_aspect(want, a));
                pui.set_plot_bounds(PlotBounds::from_min_max(
                    [r.x_min, r.y_min],
                    [r.x_max, r.y_max],
                ));
            }
            if let Some(land) = land {
                draw_landscape(pui, land, params);
            }
            if let Some(over) = results.overlay.as_deref() {
                draw_overlay(pui, &over.landscape);
            }
            draw_trials(pui, params, results);
            draw_user_trajectories(pui, results);
            draw_selection(pui, params, results);
        });
        self.plot_rect = Some(response.response.rect);
        let frame = response.transform.frame();
        self.aspect = Some(f64::from(frame.width() / frame.height())).filter(|a| a.is_finite());
        let transform = response.transform;
        let r = &response.response;
        let user_moved = r.dragged()
            || r.hovered()
                && ui.input(|i| i.smooth_scroll_delta != egui::Vec2::ZERO || i.zoom_delta() != 1.0);
        self.follow_bounds(params, &transform, user_moved);
        let fixed = land.map(|l| l.fixed_points.as_slice()).unwrap_or(&[]);
        let hovered = response
            .response
            .hover_pos()
            .and_then(|p| pick(fixed, &transform, p));
        if let Some(fp) = hovered {
            response
                .response
                .clone()
                .on_hover_ui_at_pointer(|ui| fixed_point_tooltip(ui, fp, land));
        }
        let clicked_at = response
            .response
            .clicked()
            .then(|| response.response.interact_pointer_pos())
            .flatten();
        if let Some(pos) = clicked_at {
            let shift = ui.input(|i| i.modifiers.shift);
            click(params, &transform, pos, fixed, shift);
        }
        if set_bounds {
            ui.ctx().request_repaint();
        }
    }

    /// Three lines of fixed height above the plot: what is shown, what was found, how to use it.
    /// Nothing here may wrap: a header whose height followed its text would resize the plot,
    /// change the analysed rectangle and start a new analysis, whose text resizes it back.
    fn header(&self, ui: &mut Ui, params: &mut Params, results: &Results) {
        ui.horizontal(|ui| {
            let tm = results
                .landscape
                .as_ref()
                .map(|l| l.time_model)
                .unwrap_or(params.time_model);
            ui.label(RichText::new(time_model_label(tm)).strong().size(15.0))
                .on_hover_text("Which reading of the dynamics the plane shows: the ODE dκ/dt = F, or the trained Euler map κ(t+1) = κ(t) + αF (same fixed points, different cycles).");
            if let Some(l) = &results.landscape {
                ui.label(RichText::new(format!("v = {}", format_point(&l.v, 2))).strong());
            }
            ui.separator();
            if ui
                .button("auto range")
                .on_hover_text("Fit the view to the fixed points and cycles")
                .clicked()
            {
                auto_range(params, results);
            }
            if !params.starts.is_empty()
                && ui
                    .button("clear trajectories")
                    .on_hover_text("Remove the click-to-run trajectories")
                    .clicked()
            {
                params.starts.clear();
            }
        });
        let found = match &results.landscape {
            Some(l) => summary(l, results.landscape_complete),
            None => "computing…".to_string(),
        };
        ui.add(egui::Label::new(found).truncate());
        ui.add(
            egui::Label::new(
                RichText::new("click: trajectory from a point · shift-click: backward · drag: pan · scroll/ctrl+scroll: zoom · click a fixed point: readouts")
                    .small()
                    .weak(),
            )
            .truncate(),
        );
    }

    /// Records the visible rectangle, and copies it into `params.view` after the user's pan or
    /// zoom.
    fn follow_bounds(&mut self, params: &mut Params, transform: &PlotTransform, user_moved: bool) {
        let b = transform.bounds();
        let shown = Rect::new(b.min()[0], b.max()[0], b.min()[1], b.max()[1]);
        if !shown.is_valid() {
            return;
        }
        self.shown = Some(shown);
        if user_moved {
            // Pan and zoom keep the plot's shape: the shown rectangle is the new view as is.
            params.view = shown;
            self.requested = Some((shown, self.aspect));
        }
    }
}

/// `r` grown about its centre along one axis until `width / height = aspect` (unchanged for a
/// non-finite or non-positive aspect, e.g. before the plot has a size).
fn with_aspect(r: Rect, aspect: f64) -> Rect {
    if !(aspect.is_finite() && aspect > 0.0) {
        return r;
    }
    let (cx, cy) = (0.5 * (r.x_min + r.x_max), 0.5 * (r.y_min + r.y_max));
    let (w, h) = (
        r.width().max(aspect * r.height()),
        r.height().max(r.width() / aspect),
    );
    Rect::new(cx - 0.5 * w, cx + 0.5 * w, cy - 0.5 * h, cy + 0.5 * h)
}

/// Fits `params.view` to the fixed points, cycles and shown trials ([`content_rect`]).
fn auto_range(params: &mut Params, results: &Results) {
    let trials = results
        .trials
        .iter()
        .filter(|_| params.display.trials)
        .flat_map(|t| t.runs.iter().enumerate())
        .filter(|(k, _)| params.trials.shown.get(*k).copied().unwrap_or(false))
        .flat_map(|(_, r)| r.reduced.kappa.iter().map(Vec::as_slice));
    params.view = results
        .landscape
        .as_deref()
        .and_then(|l| content_rect(l, trials))
        .unwrap_or(DEFAULT_VIEW);
}

/// "5 fixed points (2 stable) · 1 limit cycle (stable, period 7.1 τ)".
pub fn summary(land: &Landscape, complete: bool) -> String {
    if let Some(e) = &land.error {
        return format!("cannot analyse: {e}");
    }
    let n = land.fixed_points.len();
    let stable = land.fixed_points.iter().filter(|f| f.stable).count();
    let mut s = format!(
        "{n} fixed point{} ({stable} stable)",
        if n == 1 { "" } else { "s" }
    );
    if !complete {
        s.push_str(" · cycles: computing…");
        return s;
    }
    for c in &land.cycles {
        let what = match c.kind {
            CycleKind::LimitCycle => "limit cycle",
            CycleKind::InvariantCurve => "invariant curve",
        };
        let stability = if c.stable { "stable" } else { "unstable" };
        s.push_str(&format!(
            " · {what} ({stability}, period {:.2} τ)",
            c.period_tau
        ));
    }
    if land.cycles.is_empty() {
        s.push_str(" · no cycle");
    }
    s
}

/// The bounding box of the fixed points, cycles and `extra` points (the shown trials) with a
/// margin, or `None` if there is nothing.
fn content_rect<'a>(land: &'a Landscape, extra: impl Iterator<Item = &'a [f64]>) -> Option<Rect> {
    let points = land
        .fixed_points
        .iter()
        .map(|f| f.kappa.as_slice())
        .chain(
            land.cycles
                .iter()
                .flat_map(|c| c.points.iter().map(|p| p.as_slice())),
        )
        .chain(extra);
    let mut r: Option<Rect> = None;
    for p in points.filter(|p| p.len() >= 2) {
        let b = r.get_or_insert(Rect::new(p[0], p[0], p[1], p[1]));
        b.x_min = b.x_min.min(p[0]);
        b.x_max = b.x_max.max(p[0]);
        b.y_min = b.y_min.min(p[1]);
        b.y_max = b.y_max.max(p[1]);
    }
    let r = r?;
    let size = r.width().max(r.height()).max(0.2);
    let pad = AUTO_MARGIN * size + 0.05;
    Some(Rect::new(
        r.x_min - pad,
        r.x_max + pad,
        r.y_min - pad,
        r.y_max + pad,
    ))
}

fn draw_landscape(pui: &mut egui_plot::PlotUi, land: &Landscape, params: &Params) {
    let d = params.display;
    if d.field {
        draw_field(pui, land);
    }
    if d.nullclines {
        let names = ["κ₁ nullcline (dκ₁/dt = 0)", "κ₂ nullcline (dκ₂/dt = 0)"];
        let colours = [style::NULLCLINE_1, style::NULLCLINE_2];
        for (i, curves) in land.nullclines.curves.iter().enumerate() {
            for c in curves {
                let mut pts = c.points.clone();
                if c.closed && !pts.is_empty() {
                    pts.push(pts[0]);
                }
                pui.line(
                    Line::new(names[i], PlotPoints::from(pts))
                        .color(color(colours[i]))
                        .width(2.0)
                        .allow_hover(false),
                );
            }
        }
    }
    if d.separatrices {
        for s in &land.separatrices {
            let (name, style) = match s.kind {
                ManifoldKind::Stable => ("separatrix (stable manifold)", LineStyle::Solid),
                ManifoldKind::Unstable => ("unstable manifold", LineStyle::dashed_dense()),
            };
            pui.line(
                Line::new(name, PlotPoints::from(s.points.clone()))
                    .color(color(style::SEPARATRIX))
                    .width(1.3)
                    .style(style)
                    .allow_hover(false),
            );
        }
    }
    if d.cycles {
        for c in &land.cycles {
            let mut pts: Vec<[f64; 2]> = c.points.iter().map(|p| [p[0], p[1]]).collect();
            if let Some(first) = pts.first().copied() {
                pts.push(first);
            }
            let name = match c.kind {
                CycleKind::LimitCycle => "limit cycle",
                CycleKind::InvariantCurve => "invariant curve (map)",
            };
            let line = Line::new(name, PlotPoints::from(pts.clone()))
                .color(color(style::CYCLE))
                .width(3.5)
                .allow_hover(false);
            pui.line(if c.stable {
                line
            } else {
                line.style(LineStyle::dashed_loose())
            });
            // The period, just right of the cycle's rightmost point.
            if let Some(right) = pts.iter().copied().max_by(|a, b| a[0].total_cmp(&b[0])) {
                let gap = 0.01 * land.rect.width();
                pui.text(
                    Text::new(
                        "",
                        PlotPoint::new(right[0] + gap, right[1]),
                        RichText::new(format!("T = {:.2} τ", c.period_tau))
                            .color(color(style::CYCLE))
                            .size(15.0)
                            .strong(),
                    )
                    .anchor(egui::Align2::LEFT_CENTER),
                );
            }
        }
    }
    if d.fixed_points {
        draw_fixed_points(pui, &land.fixed_points, color(style::FIXED_POINT), "", 6.0);
    }
}

/// Origins and tips of the arrows of one colour class.
type ArrowSet = (Vec<[f64; 2]>, Vec<[f64; 2]>);

/// A glyph class of fixed points: legend name, marker, filled, membership.
type GlyphClass = (&'static str, MarkerShape, bool, fn(&FixedPoint) -> bool);

/// Arrows of normalised length at the field samples, coloured by speed (6 classes).
fn draw_field(pui: &mut egui_plot::PlotUi, land: &Landscape) {
    let field = &land.field;
    if field.n == 0 {
        return;
    }
    let cell = (land.rect.width() / field.n as f64).min(land.rect.height() / field.n as f64);
    let speeds: Vec<f64> = field.flow.iter().map(|f| f[0].hypot(f[1])).collect();
    let max = speeds
        .iter()
        .copied()
        .filter(|s| s.is_finite())
        .fold(0.0, f64::max);
    if max <= 0.0 {
        return;
    }
    let mut classes: Vec<ArrowSet> = vec![ArrowSet::default(); SPEED_CLASSES];
    for ((p, f), s) in field.points.iter().zip(&field.flow).zip(&speeds) {
        if !(s.is_finite() && *s > 0.0) {
            continue;
        }
        let half = 0.5 * ARROW_FILL * cell / s;
        let (dx, dy) = (f[0] * half, f[1] * half);
        let k = ((s / max).sqrt() * SPEED_CLASSES as f64).floor() as usize;
        let (o, t) = &mut classes[k.min(SPEED_CLASSES - 1)];
        o.push([p[0] - dx, p[1] - dy]);
        t.push([p[0] + dx, p[1] + dy]);
    }
    for (k, (origins, tips)) in classes.into_iter().enumerate() {
        let speed = max * ((k as f64 + 0.5) / SPEED_CLASSES as f64).powi(2);
        pui.arrows(
            Arrows::new("", PlotPoints::from(origins), PlotPoints::from(tips))
                .color(color(style::field_colour(speed, max)))
                .tip_length(4.0)
                .allow_hover(false),
        );
    }
}

/// Fixed points by glyph: filled circle (stable), open circle (unstable), cross (saddle),
/// diamond (centre or degenerate). `prefix` names an overlay's points in the legend.
fn draw_fixed_points(
    pui: &mut egui_plot::PlotUi,
    fps: &[FixedPoint],
    colour: Color32,
    prefix: &str,
    radius: f32,
) {
    let classes: [GlyphClass; 4] = [
        ("stable fixed point", MarkerShape::Circle, true, |f| {
            f.stable
        }),
        ("unstable fixed point", MarkerShape::Circle, false, |f| {
            !f.stable
                && matches!(
                    f.kind,
                    FixedPointKind::UnstableNode | FixedPointKind::UnstableFocus
                )
        }),
        ("saddle", MarkerShape::Cross, true, |f| {
            f.kind == FixedPointKind::Saddle
        }),
        ("centre / degenerate", MarkerShape::Diamond, false, |f| {
            !f.stable && matches!(f.kind, FixedPointKind::Center | FixedPointKind::Degenerate)
        }),
    ];
    for (name, shape, filled, test) in classes {
        let pts: Vec<[f64; 2]> = fps
            .iter()
            .filter(|f| test(f))
            .map(|f| [f.kappa[0], f.kappa[1]])
            .collect();
        if pts.is_empty() {
            continue;
        }
        let r = if shape == MarkerShape::Cross {
            radius * 1.2
        } else {
            radius
        };
        pui.points(
            Points::new(format!("{prefix}{name}"), PlotPoints::from(pts))
                .shape(shape)
                .filled(filled)
                .radius(r)
                .color(colour)
                .allow_hover(false),
        );
    }
}

/// The mean-field landscape over a network's exact one: dashed nullclines and cycles, grey fixed
/// points.
fn draw_overlay(pui: &mut egui_plot::PlotUi, over: &Landscape) {
    let colours = [style::NULLCLINE_1, style::NULLCLINE_2];
    for (i, curves) in over.nullclines.curves.iter().enumerate() {
        for c in curves {
            pui.line(
                Line::new("mean field: nullclines", PlotPoints::from(c.points.clone()))
                    .color(color(colours[i]).gamma_multiply(0.6))
                    .width(1.5)
                    .style(LineStyle::dashed_dense())
                    .allow_hover(false),
            );
        }
    }
    for c in &over.cycles {
        let mut pts: Vec<[f64; 2]> = c.points.iter().map(|p| [p[0], p[1]]).collect();
        pts.extend(pts.first().copied());
        pui.line(
            Line::new("mean field: cycles", PlotPoints::from(pts))
                .color(Color32::from_gray(110))
                .width(2.0)
                .style(LineStyle::dashed_loose())
                .allow_hover(false),
        );
    }
    draw_fixed_points(
        pui,
        &over.fixed_points,
        Color32::from_gray(130),
        "mean field: ",
        5.0,
    );
}

/// The DMS trials: reduced trajectories solid, full-network projections dotted, and the state
/// dots at the scrubber's time.
fn draw_trials(pui: &mut egui_plot::PlotUi, params: &Params, results: &Results) {
    let Some(set) = results.trials.as_deref() else {
        return;
    };
    if !params.display.trials {
        return;
    }
    for (k, run) in set.runs.iter().enumerate() {
        if !params.trials.shown.get(k).copied().unwrap_or(false) {
            continue;
        }
        let c = color(style::TRIALS[k % style::TRIALS.len()]);
        let reduced: Vec<[f64; 2]> = run
            .reduced
            .kappa
            .iter()
            .filter(|p| p.len() >= 2)
            .map(|p| [p[0], p[1]])
            .collect();
        pui.line(
            Line::new(TRIALS_REDUCED, PlotPoints::from(reduced))
                .color(c)
                .width(1.8)
                .allow_hover(false),
        );
        if let Some(net) = &run.network {
            pui.line(
                Line::new(TRIALS_NETWORK, PlotPoints::from(net.kappa.clone()))
                    .color(c)
                    .width(2.2)
                    .style(LineStyle::dotted_dense())
                    .allow_hover(false),
            );
        }
        // The state dots, once the scrubber is in use (at t = 0 they would hide the origin).
        if params.scrub.trial == k && (params.scrub.follow || params.scrub.step > 0) {
            let step = params.scrub.step;
            if let Some(p) = run.reduced.kappa.get(step).filter(|p| p.len() >= 2) {
                pui.points(
                    Points::new("", PlotPoints::from([p[0], p[1]]))
                        .color(c)
                        .radius(7.0)
                        .shape(MarkerShape::Circle)
                        .filled(true)
                        .allow_hover(false),
                );
            }
            if let Some(p) = run.network.as_ref().and_then(|n| n.kappa.get(step)) {
                pui.points(
                    Points::new("", PlotPoints::from(*p))
                        .color(c)
                        .radius(7.0)
                        .shape(MarkerShape::Square)
                        .filled(false)
                        .allow_hover(false),
                );
            }
        }
    }
}

fn draw_user_trajectories(pui: &mut egui_plot::PlotUi, results: &Results) {
    for t in results.trajectories.iter() {
        let pts: Vec<[f64; 2]> = (0..t.path.len())
            .map(|i| t.path.state(i))
            .filter(|s| s.len() >= 2)
            .map(|s| [s[0], s[1]])
            .collect();
        let style = if t.start.backward {
            LineStyle::dashed_dense()
        } else {
            LineStyle::Solid
        };
        let name = if t.start.backward {
            "trajectory (backward)"
        } else {
            "trajectory"
        };
        pui.line(
            Line::new(name, PlotPoints::from(pts))
                .color(color(style::USER_TRAJECTORY))
                .width(1.8)
                .style(style)
                .allow_hover(false),
        );
        pui.points(
            Points::new("", PlotPoints::from(t.start.point))
                .color(color(style::USER_TRAJECTORY))
                .radius(3.0)
                .allow_hover(false),
        );
    }
}

/// A ring at the point the readouts describe (a followed fixed point moves with the landscape).
fn draw_selection(pui: &mut egui_plot::PlotUi, params: &Params, results: &Results) {
    if let Some(s) = params.selection {
        let point = results.readout.as_ref().map_or(s.point, |r| r.point);
        pui.points(
            Points::new("", PlotPoints::from(point))
                .shape(MarkerShape::Circle)
                .filled(false)
                .radius(11.0)
                .color(Color32::from_rgb(220, 40, 40))
                .allow_hover(false),
        );
    }
}

/// The fixed point within [`PICK_PIXELS`] of screen position `pos`, the nearest first.
fn pick<'a>(
    fps: &'a [FixedPoint],
    transform: &PlotTransform,
    pos: egui::Pos2,
) -> Option<&'a FixedPoint> {
    fps.iter()
        .map(|f| {
            let p = transform.position_from_point(&PlotPoint::new(f.kappa[0], f.kappa[1]));
            (p.distance(pos), f)
        })
        .filter(|(d, _)| *d <= PICK_PIXELS)
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, f)| f)
}

/// A click: select a fixed point, or select the point and run a trajectory from it.
fn click(
    params: &mut Params,
    transform: &PlotTransform,
    pos: egui::Pos2,
    fixed: &[FixedPoint],
    backward: bool,
) {
    if let Some(fp) = pick(fixed, transform, pos) {
        params.selection = Some(Selection {
            point: [fp.kappa[0], fp.kappa[1]],
            fixed_point: true,
        });
        return;
    }
    let p = transform.value_from_position(pos);
    if !(p.x.is_finite() && p.y.is_finite()) {
        return;
    }
    params.selection = Some(Selection {
        point: [p.x, p.y],
        fixed_point: false,
    });
    params.add_start(TrajectoryStart {
        point: [p.x, p.y],
        backward,
    });
}

/// The hover tooltip of a fixed point: type, position, eigenvalues (and multipliers for the map).
fn fixed_point_tooltip(ui: &mut Ui, fp: &FixedPoint, land: Option<&Landscape>) {
    let kind = serde_json::to_value(fp.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    ui.label(
        RichText::new(format!(
            "{kind} ({})",
            if fp.stable { "stable" } else { "unstable" }
        ))
        .strong(),
    );
    ui.label(format!("κ = {}", format_point(&fp.kappa, 4)));
    ui.label(format!(
        "eigenvalues λ = {}",
        format_eigenvalues(&fp.eigenvalues, 3)
    ));
    if let Some(m) = &fp.multipliers {
        ui.label(format!(
            "map multipliers 1 + αλ = {}",
            format_eigenvalues(m, 3)
        ));
    }
    if let Some(l) = land {
        ui.label(format!("({})", time_model_label(l.time_model)));
    }
    ui.label(RichText::new("click to select").small().weak());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::landscape::{LandscapeRequest, analyze};
    use crate::reduced::{MeanField, TimeModel, presets};

    #[test]
    fn a_view_is_widened_to_the_plot_aspect_about_its_centre() {
        let r = Rect::new(-1.0, 3.0, 0.0, 2.0);
        let wide = with_aspect(r, 4.0);
        assert_eq!(wide, Rect::new(-3.0, 5.0, 0.0, 2.0));
        let tall = with_aspect(r, 0.5);
        assert_eq!(tall, Rect::new(-1.0, 3.0, -3.0, 5.0));
        assert_eq!(with_aspect(r, 2.0), r);
        assert_eq!(with_aspect(r, f64::NAN), r);
        assert_eq!(with_aspect(r, 0.0), r);
    }

    #[test]
    fn summary_names_the_cycle_of_input_a_and_auto_range_contains_it() {
        let model = presets::get("dms_mixture_2pop").unwrap().model;
        let mf = MeanField::new(&model);
        let land = analyze(
            &mf,
            &LandscapeRequest::new(DEFAULT_VIEW, vec![1.0, 0.0], TimeModel::Ode),
        );
        let s = summary(&land, true);
        assert!(s.starts_with("1 fixed point (0 stable)"), "{s}");
        assert!(s.contains("limit cycle (stable, period"), "{s}");
        let r = content_rect(&land, std::iter::empty()).unwrap();
        for p in &land.cycles[0].points {
            assert!(r.contains(p));
        }
    }
}
