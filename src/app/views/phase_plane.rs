//! The phase plane: the document's [`Scene`] drawn live — flow field, separatrices, nullclines,
//! cycles, the mean-field overlay, trials, click trajectories, fixed points — with the styles and
//! glyphs of [`crate::scene::style`] and the legend of [`crate::scene::legend`], the same the
//! exported figures use.
//!
//! Drag pans, the scroll wheel zooms about the pointer; a click runs a trajectory from the
//! pointer (shift-click: backward in time) and selects the point for the readouts, a click on a
//! fixed point selects it. Pan and zoom change only the view: the fixed points, cycles and the
//! bifurcation diagram are the search box's. Only drawing geometry is computed here.

use eframe::egui::{self, Color32, Pos2, RichText, Ui};
use egui_plot::{
    Arrows, Line, LineStyle as PlotLineStyle, Plot, PlotBounds, PlotImage, PlotPoint, PlotPoints,
    PlotTransform, Text,
};

use crate::analysis::Rect;
use crate::analysis::fixed_points::FixedPoint;
use crate::app::document::{Document, Selection, TrajectoryStart};
use crate::app::settings::LegendPlacement;
use crate::app::views::legend::{self, OUTSIDE_WIDTH, paint_glyph};
use crate::app::views::{color, format_eigenvalues, format_point};
use crate::scene::legend::{Entry, entries, max_speed};
use crate::scene::style::{self, Glyph, LineStyle, Rgb, Stroke};
use crate::scene::{FieldMode, Plane, Scene, frame, period_label, summary, trajectories};

/// Flow-field colour classes (arrows of one class share one plot item).
const SPEED_CLASSES: usize = 6;
/// Arrow length as a fraction of the grid cell.
const ARROW_FILL: f64 = 0.75;
/// A click or hover within this many pixels of a fixed point is about that fixed point.
const PICK_PIXELS: f32 = 9.0;
/// Zoom per point of scroll (the factor is `exp(ZOOM_RATE * scroll)`).
const ZOOM_RATE: f32 = 0.0025;
/// Pixels between two direction arrowheads along a trajectory.
const HEAD_SPACING: f32 = 90.0;

/// The phase-plane view.
///
/// The document's `view.rect` is the rectangle the user asked for (pan, zoom, framing); the plot
/// shows it widened to the plot's aspect, and that visible rectangle (`view.shown`) is what the
/// worker samples the flow field on. Only the user's own pan and zoom write back the request, so
/// resizing a panel never drifts the view.
#[derive(Default)]
pub struct PhasePlane {
    /// The rectangle the plot was last told to show, and the plot's aspect then.
    requested: Option<(Rect, Option<f64>)>,
    /// Width / height of the plot's frame in the last frame.
    aspect: Option<f64>,
    /// Where the plot is on screen (with its axes), and its data frame with its transform.
    pub plot_rect: Option<egui::Rect>,
    frame: Option<(egui::Rect, PlotTransform)>,
    /// The legend rows drawn in the last frame (the exported figure's legend lists the same).
    pub legend: Vec<Entry>,
    /// The corner legend's size in the last frame.
    legend_size: Option<egui::Vec2>,
    /// The speed shading's texture and the pixels it was last given.
    shading: Option<(Vec<Color32>, egui::TextureHandle)>,
}

impl PhasePlane {
    /// The plot's data frame (inside its axes) as last drawn.
    pub fn frame(&self) -> Option<egui::Rect> {
        self.frame.as_ref().map(|(r, _)| *r)
    }

    pub fn ui(&mut self, ui: &mut Ui, doc: &mut Document, placement: &mut LegendPlacement) {
        self.frame_when_ready(doc);
        let scene = doc.scene();
        self.header(ui, doc, scene.as_ref(), placement);
        self.legend = scene.as_ref().map(entries).unwrap_or_default();
        let outside = *placement == LegendPlacement::Outside && !self.legend.is_empty();
        let mut plot_rect = None;
        ui.horizontal_top(|ui| {
            let width = ui.available_width() - if outside { OUTSIDE_WIDTH } else { 0.0 };
            let size = egui::vec2(width.max(120.0), ui.available_height());
            let area =
                ui.allocate_ui_with_layout(size, egui::Layout::top_down(egui::Align::Min), |ui| {
                    self.plot(ui, doc, scene.as_ref())
                });
            // The plot with its axes.
            plot_rect = Some(area.response.rect);
            if outside {
                ui.vertical(|ui| {
                    egui::ScrollArea::vertical()
                        .id_salt("legend_outside")
                        .show(ui, |ui| legend::rows(ui, &self.legend));
                });
            }
        });
        self.plot_rect = plot_rect;
        if let Some((frame, transform)) = self.frame
            && !self.legend.is_empty()
        {
            let corner = match *placement {
                LegendPlacement::Auto => {
                    // Before the first frame of the legend, a guess of its size.
                    let size = self
                        .legend_size
                        .unwrap_or(egui::vec2(180.0, 30.0 + 22.0 * self.legend.len() as f32));
                    scene.as_ref().map_or(LegendPlacement::TopRight, |s| {
                        emptiest_corner(frame, &transform, s, size)
                    })
                }
                p => p,
            };
            self.legend_size = legend::corner(ui.ctx(), frame, corner, placement, &self.legend);
        }
    }

    /// A newly opened model: once its complete landscape (and its trials, if it has them) are
    /// in, frame the view to show every fixed point, cycle and trial.
    fn frame_when_ready(&mut self, doc: &mut Document) {
        let r = &doc.results;
        let trials_known =
            r.trials.is_some() || !crate::model::trials::has_trials(doc.model().dims().inputs);
        let Some(land) = r.landscape.as_ref().filter(|_| r.complete) else {
            if doc.view.rect.is_none() {
                doc.view.rect = Some(doc.model().search_box(&doc.plane()));
            }
            return;
        };
        let Some(aspect) = self
            .aspect
            .filter(|_| doc.view.frame_pending && trials_known)
        else {
            return;
        };
        let overlays = r
            .trials
            .as_ref()
            .map(|set| trajectories::trials(set, &doc.view.shown_trials, None, &doc.plane()))
            .unwrap_or_default();
        doc.view.rect = Some(frame::view_of(land, &overlays, 1.0 / aspect));
        doc.view.frame_pending = false;
    }

    /// Two lines of fixed height above the plot: what is shown and what was found. Nothing here
    /// may wrap: a header whose height followed its text would resize the plot every frame.
    fn header(
        &self,
        ui: &mut Ui,
        doc: &mut Document,
        scene: Option<&Scene>,
        placement: &mut LegendPlacement,
    ) {
        ui.horizontal(|ui| {
            let land = doc.results.landscape.as_ref();
            let tm = land.map_or(doc.edits.time_model, |l| l.time_model);
            ui.label(RichText::new(tm.label()).strong().size(15.0))
                .on_hover_text("Which reading of the dynamics the plane shows: the ODE dκ/dt = F, or the trained Euler map κ(t+1) = κ(t) + αF (same fixed points, different cycles).");
            if let Some(l) = land {
                ui.label(RichText::new(format!("v = {}", format_point(&l.v, 2))).strong());
            }
            ui.separator();
            if ui
                .button("frame all")
                .on_hover_text("Fit the view to every fixed point, cycle and shown trial")
                .clicked()
            {
                doc.view.frame_pending = true;
            }
            if !doc.view.starts.is_empty()
                && ui
                    .button("clear trajectories")
                    .on_hover_text("Remove the click-to-run trajectories")
                    .clicked()
            {
                doc.view.clear_starts();
            }
            ui.menu_button("legend", |ui| {
                for p in LegendPlacement::ALL {
                    ui.radio_value(placement, p, p.label());
                }
            });
            if let Some(l) = land.filter(|l| !l.notes.is_empty()) {
                let caption = doc.plane().caption().unwrap_or_else(|| "slice".into());
                ui.label(RichText::new(caption).color(crate::app::toasts::WARN))
                    .on_hover_text(l.notes.join("\n"));
            }
            ui.label(RichText::new("(?)").weak()).on_hover_text(
                "click: trajectory from a point · shift-click: backward in time · click a fixed point: readouts · drag: pan · scroll: zoom about the pointer",
            );
        });
        let found = match (&doc.results.landscape, scene) {
            (Some(l), Some(s)) => summary(l, Some(&s.plane.rect()), doc.results.complete),
            (Some(l), None) => summary(l, None, doc.results.complete),
            (None, _) => "computing…".to_string(),
        };
        // A cut label shows its whole text on hover.
        ui.add(egui::Label::new(found).truncate());
    }

    /// The plot itself.
    fn plot(&mut self, ui: &mut Ui, doc: &mut Document, scene: Option<&Scene>) {
        // The view is ours: egui_plot must never fit it to the items, or the field drawn over the
        // view would widen the view, frame after frame. Scrolling zooms (below) instead of panning.
        let [x_name, y_name] = doc.plane().symbols(&doc.model().input_names());
        let plot = Plot::new("phase_plane")
            .auto_bounds(false)
            .data_aspect(1.0)
            .allow_double_click_reset(false)
            .allow_boxed_zoom(false)
            .allow_scroll(false)
            .x_axis_label(x_name)
            .y_axis_label(y_name);
        let want = doc
            .view
            .rect
            .unwrap_or_else(|| doc.model().search_box(&doc.plane()));
        // Set the bounds when the view changed, and when the plot's shape did (window resize).
        let set_bounds = self.requested != Some((want, self.aspect));
        let aspect = self.aspect;
        if set_bounds {
            self.requested = Some((want, aspect));
        }
        let scroll = ui.input(|i| i.smooth_scroll_delta.y);
        let shading = scene.and_then(|s| self.shading(ui.ctx(), s));
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
            if pui.response().hovered() && scroll != 0.0 {
                let f = (ZOOM_RATE * scroll).exp();
                pui.zoom_bounds_around_hovered(egui::vec2(f, f));
            }
            if let Some(s) = scene {
                draw_lines(pui, s, shading);
            }
        });
        let frame = response.transform.frame();
        self.aspect = Some(f64::from(frame.width() / frame.height())).filter(|a| a.is_finite());
        let transform = response.transform;
        self.frame = Some((*frame, transform));
        let painter = ui.painter_at(*frame);
        if let Some(s) = scene {
            paint_points(&painter, &transform, s, doc);
        }
        paint_selection(&painter, &transform, doc);
        let r = &response.response;
        let user_moved =
            r.dragged() || (r.hovered() && (scroll != 0.0 || ui.input(|i| i.zoom_delta() != 1.0)));
        self.follow_bounds(doc, &transform, user_moved);
        let fixed = scene.map_or(&[][..], |s| s.landscape().fixed_points.as_slice());
        if let Some(fp) = r.hover_pos().and_then(|p| pick(fixed, &transform, p)) {
            let tm = doc.edits.time_model;
            r.clone()
                .on_hover_ui_at_pointer(|ui| fixed_point_tooltip(ui, fp, &tm.label()));
        }
        if let Some(pos) = r.clicked().then(|| r.interact_pointer_pos()).flatten() {
            let shift = ui.input(|i| i.modifiers.shift);
            click(doc, &transform, pos, fixed, shift);
        }
        if set_bounds {
            ui.ctx().request_repaint();
        }
    }

    /// The texture of the speed shading when the scene asks for it: one texel per field sample,
    /// top row first, drawn with linear filtering so the shading is smooth between samples
    /// (uploaded again only when its pixels change).
    fn shading(&mut self, ctx: &egui::Context, scene: &Scene) -> Option<egui::TextureId> {
        let layers = &scene.layers;
        let field = scene.plane.field();
        if !(layers.field && layers.field_mode == FieldMode::Speed) || field.n == 0 {
            return None;
        }
        let max = max_speed(scene);
        let n = field.n;
        let pixels: Vec<Color32> = (0..n * n)
            .map(|k| {
                let f = field.flow[(n - 1 - k / n) * n + k % n];
                color(style::speed_shade(f[0].hypot(f[1]), max))
            })
            .collect();
        let options = egui::TextureOptions::LINEAR;
        match &mut self.shading {
            Some((old, handle)) if *old == pixels => Some(handle.id()),
            Some((old, handle)) => {
                handle.set(egui::ColorImage::new([n, n], pixels.clone()), options);
                *old = pixels;
                Some(handle.id())
            }
            None => {
                let image = egui::ColorImage::new([n, n], pixels.clone());
                let handle = ctx.load_texture("speed_shading", image, options);
                let id = handle.id();
                self.shading = Some((pixels, handle));
                Some(id)
            }
        }
    }

    /// Records the visible rectangle, and takes it as the asked-for view after the user's pan or
    /// zoom.
    fn follow_bounds(&mut self, doc: &mut Document, transform: &PlotTransform, user_moved: bool) {
        let b = transform.bounds();
        let shown = Rect::new(b.min()[0], b.max()[0], b.min()[1], b.max()[1]);
        if !shown.is_valid() {
            return;
        }
        // The plot's aspect depends on its tick labels' widths, which depend on the bounds: at
        // some scales the two settle into a cycle of frames whose bounds differ by about 1 %,
        // each asking the worker for a new field. Changes that small are not a new view.
        let unchanged = doc
            .view
            .shown
            .is_some_and(|old| !user_moved && nearly_equal(&old, &shown));
        if !unchanged {
            doc.view.shown = Some(shown);
        }
        if user_moved {
            // Pan and zoom keep the plot's shape: the shown rectangle is the new view as is.
            doc.view.rect = Some(shown);
            self.requested = Some((shown, self.aspect));
        }
    }
}

/// Fraction of a side by which the visible rectangle may move without being a new view.
const SHOWN_TOLERANCE: f64 = 0.02;

/// Whether two rectangles differ by less than [`SHOWN_TOLERANCE`] of their sides.
fn nearly_equal(a: &Rect, b: &Rect) -> bool {
    let (w, h) = (a.width().max(b.width()), a.height().max(b.height()));
    (a.x_min - b.x_min).abs() <= SHOWN_TOLERANCE * w
        && (a.x_max - b.x_max).abs() <= SHOWN_TOLERANCE * w
        && (a.y_min - b.y_min).abs() <= SHOWN_TOLERANCE * h
        && (a.y_max - b.y_max).abs() <= SHOWN_TOLERANCE * h
}

/// The corner of `frame` where a legend of `size` covers the least of the scene: fixed points
/// count most, then the points of cycles and trajectories.
fn emptiest_corner(
    frame: egui::Rect,
    t: &PlotTransform,
    scene: &Scene,
    size: egui::Vec2,
) -> LegendPlacement {
    let screen = |k: &[f64]| t.position_from_point(&PlotPoint::new(k[0], k[1]));
    let land = scene.landscape();
    let fixed: Vec<Pos2> = land
        .fixed_points
        .iter()
        .filter(|f| f.kappa.len() == 2)
        .map(|f| screen(&f.kappa))
        .collect();
    let curves: Vec<Pos2> = land
        .cycles
        .iter()
        .flat_map(|c| c.points.iter().map(|p| screen(p)))
        .chain(
            scene
                .overlays
                .iter()
                .flat_map(|o| o.points.iter().step_by(4).map(|p| screen(p))),
        )
        .collect();
    let cost = |c: LegendPlacement| {
        let Some(r) = legend::corner_rect(frame, c, size) else {
            return usize::MAX;
        };
        let r = r.expand(6.0);
        50 * fixed.iter().filter(|p| r.contains(**p)).count()
            + curves.iter().filter(|p| r.contains(**p)).count()
    };
    LegendPlacement::CORNERS
        .into_iter()
        .min_by_key(|c| cost(*c))
        .unwrap_or(LegendPlacement::TopRight)
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

/// An egui_plot line in a scene style (dots are painted separately).
fn line(points: Vec<[f64; 2]>, s: &LineStyle) -> Line<'static> {
    let plot_style = match s.stroke {
        Stroke::Dashed => PlotLineStyle::dashed_loose(),
        Stroke::Solid | Stroke::Markers { .. } => PlotLineStyle::Solid,
    };
    Line::new("", PlotPoints::from(points))
        .color(color(s.colour))
        .width(s.width as f32)
        .style(plot_style)
        .allow_hover(false)
}

/// A closed polyline's points with the first repeated at the end.
fn closed(points: impl IntoIterator<Item = [f64; 2]>) -> Vec<[f64; 2]> {
    let mut pts: Vec<[f64; 2]> = points.into_iter().collect();
    if let Some(first) = pts.first().copied() {
        pts.push(first);
    }
    pts
}

/// The scene's curves, back to front (the order of the exported figures): field (its arrows, or
/// the speed shading's texture `shading`), separatrices, nullclines, cycles with their periods,
/// the mean field, the overlays' lines.
fn draw_lines(pui: &mut egui_plot::PlotUi, scene: &Scene, shading: Option<egui::TextureId>) {
    let land = scene.landscape();
    let layers = &scene.layers;
    if let Some(texture) = shading {
        let r = scene.plane.rect();
        let centre = PlotPoint::new(0.5 * (r.x_min + r.x_max), 0.5 * (r.y_min + r.y_max));
        let size = egui::vec2(r.width() as f32, r.height() as f32);
        pui.image(PlotImage::new("", texture, centre, size).allow_hover(false));
    } else if layers.field {
        draw_field(pui, scene, layers.field_mode);
    }
    if layers.separatrices {
        for s in &land.separatrices {
            pui.line(line(s.points.clone(), &style::manifold(s.kind)));
        }
    }
    if layers.nullclines {
        draw_nullclines(pui, &scene.plane, style::nullcline);
    }
    if layers.cycles {
        for c in &land.cycles {
            let pts = closed(c.points.iter().map(|p| [p[0], p[1]]));
            // The period, just right of the cycle's rightmost point.
            if let Some(right) = pts.iter().copied().max_by(|a, b| a[0].total_cmp(&b[0])) {
                let gap = 0.01 * scene.plane.rect().width();
                pui.text(
                    Text::new(
                        "",
                        PlotPoint::new(right[0] + gap, right[1]),
                        RichText::new(period_label(c))
                            .color(color(style::CYCLE))
                            .background_color(Color32::from_white_alpha(210))
                            .size(14.0)
                            .strong(),
                    )
                    .anchor(egui::Align2::LEFT_CENTER),
                );
            }
            pui.line(line(pts, &style::cycle(c.stable)));
        }
    }
    if let Some(mf) = &scene.mean_field {
        if layers.nullclines {
            draw_nullclines(pui, mf, style::mean_field_nullcline);
        }
        if layers.cycles {
            for c in &mf.landscape.cycles {
                let pts = closed(c.points.iter().map(|p| [p[0], p[1]]));
                pui.line(line(pts, &style::mean_field_cycle()));
            }
        }
    }
    for o in &scene.overlays {
        if !trajectories::is_markers(o) {
            pui.line(line(o.points.clone(), &o.style));
        }
    }
}

fn draw_nullclines(pui: &mut egui_plot::PlotUi, plane: &Plane, look: fn(usize) -> LineStyle) {
    for (i, curves) in plane.nullclines().curves.iter().enumerate() {
        for c in curves {
            let mut pts = c.points.clone();
            if c.closed && !pts.is_empty() {
                pts.push(pts[0]);
            }
            pui.line(line(pts, &look(i)));
        }
    }
}

/// Origins and tips of the arrows of one colour class.
type ArrowSet = (Vec<[f64; 2]>, Vec<[f64; 2]>);

/// Arrows at the view's field samples, of one length or as long as the flow is fast
/// ([`style::arrow_fraction`] of `mode`), coloured by speed (relative to the fastest shown, as
/// the legend's key says).
fn draw_field(pui: &mut egui_plot::PlotUi, scene: &Scene, mode: FieldMode) {
    let field = scene.plane.field();
    let rect = scene.plane.rect();
    if field.n == 0 {
        return;
    }
    let cell = (rect.width() / field.n as f64).min(rect.height() / field.n as f64);
    let max = max_speed(scene);
    if max <= 0.0 {
        return;
    }
    let mut classes: Vec<ArrowSet> = vec![ArrowSet::default(); SPEED_CLASSES];
    for (p, f) in field.points.iter().zip(&field.flow) {
        let s = f[0].hypot(f[1]);
        let Some(fraction) = style::arrow_fraction(mode, s, max) else {
            continue;
        };
        let half = 0.5 * fraction * ARROW_FILL * cell / s;
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

/// What is painted over the plot's lines: the overlays' dots and arrowheads, the fixed points'
/// glyphs (the legend's), the mean field's fixed points, and the trials' states at the
/// scrubber's step.
fn paint_points(p: &egui::Painter, t: &PlotTransform, scene: &Scene, doc: &Document) {
    let screen = |k: [f64; 2]| t.position_from_point(&PlotPoint::new(k[0], k[1]));
    for o in &scene.overlays {
        match o.style.stroke {
            Stroke::Markers { every } => {
                let ring = egui::Stroke::new(style::MARKER_RING as f32, color(style::PAPER));
                let r = style::marker_radius(&o.style) as f32;
                for k in o.points.iter().step_by(every.max(1)) {
                    p.circle(screen(*k), r, color(o.style.colour), ring);
                }
            }
            _ if o.style.arrows => heads(p, &o.points, &screen, color(o.style.colour)),
            _ => {}
        }
    }
    let layers = &scene.layers;
    let glyphs = |fps: &[FixedPoint], colour: Rgb, size: f32| {
        for f in fps.iter().filter(|f| f.kappa.len() == 2) {
            let at = screen([f.kappa[0], f.kappa[1]]);
            paint_glyph(
                p,
                at,
                size * style::GLYPH_RADIUS as f32,
                Glyph::of(f),
                colour,
            );
        }
    };
    if layers.eigenvectors {
        let px = |k: [f64; 2]| {
            let q = screen(k);
            [f64::from(q.x), f64::from(q.y)]
        };
        let fps = &scene.landscape().fixed_points;
        for (ends, unstable) in style::eigenvector_segments(fps, style::EIGENVECTOR_HALF, px) {
            let look = style::eigenvector(unstable);
            p.line_segment(
                [screen(ends[0]), screen(ends[1])],
                egui::Stroke::new(look.width as f32, color(look.colour)),
            );
        }
    }
    if layers.fixed_points {
        if let Some(mf) = &scene.mean_field {
            glyphs(&mf.landscape.fixed_points, style::MEAN_FIELD, 0.8);
        }
        glyphs(&scene.landscape().fixed_points, style::FIXED_POINT, 1.0);
    }
    let scrub = &doc.view.scrub;
    if layers.trials
        && (scrub.follow || scrub.playing || scrub.step > 0)
        && let Some(run) = doc
            .results
            .trials
            .as_ref()
            .and_then(|s| s.runs.get(scrub.trial))
    {
        let c = color(style::TRIALS[scrub.trial % style::TRIALS.len()]);
        if let Some(k) = run.reduced.kappa.get(scrub.step).filter(|k| k.len() >= 2) {
            p.circle(
                screen([k[0], k[1]]),
                7.0,
                c,
                egui::Stroke::new(1.5, Color32::WHITE),
            );
        }
        if let Some(k) = run.network.as_ref().and_then(|n| n.kappa.get(scrub.step)) {
            let r = egui::Rect::from_center_size(screen([k[0], k[1]]), egui::vec2(14.0, 14.0));
            p.rect_stroke(r, 0.0, egui::Stroke::new(2.0, c), egui::StrokeKind::Middle);
        }
    }
}

/// Arrowheads every [`HEAD_SPACING`] pixels along a trajectory, pointing the way it runs.
fn heads(p: &egui::Painter, points: &[[f64; 2]], screen: &dyn Fn([f64; 2]) -> Pos2, c: Color32) {
    let mut run = 0.5 * HEAD_SPACING;
    for w in points.windows(2) {
        let (a, b) = (screen(w[0]), screen(w[1]));
        let d = a.distance(b);
        if !(d > 0.0 && d.is_finite()) {
            continue;
        }
        run += d;
        if run >= HEAD_SPACING {
            run = 0.0;
            let u = (b - a) / d;
            let n = egui::vec2(-u.y, u.x);
            p.add(egui::Shape::convex_polygon(
                vec![b, b - 9.0 * u + 4.5 * n, b - 9.0 * u - 4.5 * n],
                c,
                egui::Stroke::NONE,
            ));
        }
    }
}

/// A ring at the point the readouts describe (a followed fixed point moves with the landscape).
fn paint_selection(p: &egui::Painter, t: &PlotTransform, doc: &Document) {
    if let Some(s) = doc.view.selection {
        let point = doc.results.readout.as_ref().map_or(s.point, |r| r.point);
        let at = t.position_from_point(&PlotPoint::new(point[0], point[1]));
        p.circle_stroke(
            at,
            11.0,
            egui::Stroke::new(2.0, Color32::from_rgb(220, 40, 40)),
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
        .filter(|f| f.kappa.len() == 2)
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
    doc: &mut Document,
    transform: &PlotTransform,
    pos: egui::Pos2,
    fixed: &[FixedPoint],
    backward: bool,
) {
    if let Some(fp) = pick(fixed, transform, pos) {
        doc.view.selection = Some(Selection {
            point: [fp.kappa[0], fp.kappa[1]],
            fixed_point: true,
        });
        return;
    }
    let p = transform.value_from_position(pos);
    if !(p.x.is_finite() && p.y.is_finite()) {
        return;
    }
    doc.view.selection = Some(Selection {
        point: [p.x, p.y],
        fixed_point: false,
    });
    doc.view.add_start(TrajectoryStart {
        point: [p.x, p.y],
        backward,
    });
}

/// The hover tooltip of a fixed point: type, position, eigenvalues (and multipliers for the map).
fn fixed_point_tooltip(ui: &mut Ui, fp: &FixedPoint, reading: &str) {
    ui.label(RichText::new(format!("{} ({reading})", fp.kind.name())).strong());
    ui.label(format!("κ = {}", format_point(&fp.kappa, 4)));
    ui.label(format!(
        "eigenvalues λ = {}",
        format_eigenvalues(&fp.eigenvalues, 4)
    ));
    if let Some(m) = &fp.multipliers {
        ui.label(format!(
            "map multipliers 1 + αλ = {}",
            format_eigenvalues(m, 4)
        ));
    }
    ui.label(RichText::new("click to select").small().weak());
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
