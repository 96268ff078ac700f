//! The phase plane's legend: the rows of [`crate::scene::legend`] (the exported figures list
//! the same), each key drawn as what it stands for — a solid, dashed or dotted line in its
//! colour and width, arrowheads, the fixed-point glyph, the field's colour scale — in a corner of
//! the plot or in a column beside it.

use eframe::egui::{self, Color32, Painter, Pos2, Rect, RichText, Sense, Stroke, Ui, vec2};

use crate::app::settings::LegendPlacement;
use crate::app::views::color;
use crate::scene::legend::{Entry, Key};
use crate::scene::style::{self, Glyph, LineStyle, Rgb};

/// Size of a key, points.
const KEY: egui::Vec2 = vec2(30.0, 14.0);
/// Width of the legend column when it sits outside the plot.
pub const OUTSIDE_WIDTH: f32 = 190.0;
/// Colour steps of the speed key.
const SPEED_STEPS: usize = 10;

/// The rows, one under the other.
pub fn rows(ui: &mut Ui, entries: &[Entry]) {
    ui.spacing_mut().item_spacing.y = 2.0;
    for e in entries {
        ui.horizontal(|ui| {
            let (rect, _) = ui.allocate_exact_size(KEY, Sense::hover());
            paint_key(ui.painter(), rect, &e.key);
            ui.add(egui::Label::new(RichText::new(&e.label).small()).extend());
        });
    }
}

/// Where the legend of `size` sits in corner `placement` of `plot`.
pub fn corner_rect(plot: Rect, placement: LegendPlacement, size: egui::Vec2) -> Option<Rect> {
    let (pivot, at) = anchor(plot, placement)?;
    Some(pivot.anchor_size(at, size))
}

/// The pivot and the point of `plot` a corner legend hangs from.
fn anchor(plot: Rect, placement: LegendPlacement) -> Option<(egui::Align2, Pos2)> {
    Some(match placement {
        LegendPlacement::TopLeft => (egui::Align2::LEFT_TOP, plot.left_top() + vec2(8.0, 8.0)),
        LegendPlacement::TopRight => (egui::Align2::RIGHT_TOP, plot.right_top() + vec2(-8.0, 8.0)),
        LegendPlacement::BottomLeft => (
            egui::Align2::LEFT_BOTTOM,
            plot.left_bottom() + vec2(8.0, -8.0),
        ),
        LegendPlacement::BottomRight => (
            egui::Align2::RIGHT_BOTTOM,
            plot.right_bottom() + vec2(-8.0, -8.0),
        ),
        LegendPlacement::Hidden | LegendPlacement::Outside | LegendPlacement::Auto => return None,
    })
}

/// The legend in corner `corner` of `plot`, on a light frame, with a button that hides it
/// (setting `placement` to hidden). Returns its size.
pub fn corner(
    ctx: &egui::Context,
    plot: Rect,
    corner: LegendPlacement,
    placement: &mut LegendPlacement,
    entries: &[Entry],
) -> Option<egui::Vec2> {
    let (pivot, at) = anchor(plot, corner)?;
    let mut hide = false;
    let shown = egui::Area::new(egui::Id::unique("phase_plane_legend"))
        .pivot(pivot)
        .fixed_pos(at)
        .constrain_to(plot)
        .show(ctx, |ui| {
            egui::Frame::popup(ui.style())
                .fill(Color32::from_rgba_unmultiplied(255, 255, 255, 225))
                .inner_margin(6.0)
                .show(ui, |ui| {
                    ui.horizontal(|ui| {
                        ui.label(RichText::new("legend").small().strong());
                        hide = ui
                            .small_button("hide")
                            .on_hover_text("Hide the legend (View > Legend brings it back)")
                            .clicked();
                    });
                    rows(ui, entries);
                });
        });
    if hide {
        *placement = LegendPlacement::Hidden;
    }
    Some(shown.response.rect.size())
}

/// Paints a row's key in `r`.
fn paint_key(p: &Painter, r: Rect, key: &Key) {
    match key {
        Key::Line(s) => paint_line(p, r, s),
        Key::Glyph(g, colour) => {
            paint_glyph(p, r.center(), 0.9 * style::GLYPH_RADIUS as f32, *g, *colour)
        }
        Key::Speed { mode, .. } => {
            let w = r.width() / SPEED_STEPS as f32;
            for k in 0..SPEED_STEPS {
                let t = (k as f64 + 0.5) / SPEED_STEPS as f64;
                let c = color(style::speed_key_colour(*mode, t));
                let cell = Rect::from_min_size(
                    r.left_top() + vec2(k as f32 * w, 2.0),
                    vec2(w + 0.5, r.height() - 4.0),
                );
                p.rect_filled(cell, 0.0, c);
            }
        }
    }
}

/// A line sample: its stroke, width and colour, with an arrowhead when the style has them.
fn paint_line(p: &Painter, r: Rect, s: &LineStyle) {
    let c = color(s.colour);
    let y = r.center().y;
    let (a, b) = (r.left() + 1.0, r.right() - 1.0);
    let width = s.width as f32;
    match s.stroke {
        style::Stroke::Solid => {
            p.line_segment([Pos2::new(a, y), Pos2::new(b, y)], Stroke::new(width, c));
        }
        style::Stroke::Dashed => {
            let mut x = a;
            while x < b {
                let end = (x + 6.0).min(b);
                p.line_segment([Pos2::new(x, y), Pos2::new(end, y)], Stroke::new(width, c));
                x += 10.0;
            }
        }
        style::Stroke::Markers { .. } => {
            let ring = Stroke::new(style::MARKER_RING as f32, color(style::PAPER));
            for k in 0..3 {
                let x = a + (k as f32 + 0.5) * (b - a) / 3.0;
                p.circle(Pos2::new(x, y), style::marker_radius(s) as f32, c, ring);
            }
        }
    }
    if s.arrows {
        let tip = Pos2::new(b, y);
        p.add(egui::Shape::convex_polygon(
            vec![
                tip,
                Pos2::new(b - 7.0, y - 4.0),
                Pos2::new(b - 7.0, y + 4.0),
            ],
            c,
            Stroke::NONE,
        ));
    }
}

/// A fixed-point glyph of `radius` points at `at`: filled disc (stable), open circle (unstable),
/// cross (saddle), ringed dot (centre), open square (degenerate); open ones on paper.
pub fn paint_glyph(p: &Painter, at: Pos2, radius: f32, glyph: Glyph, colour: Rgb) {
    let c = color(colour);
    let paper = color(style::PAPER);
    let stroke = Stroke::new(style::GLYPH_STROKE as f32, c);
    match glyph {
        Glyph::Stable => {
            p.circle_filled(at, radius, c);
        }
        Glyph::Unstable => {
            p.circle(at, radius, paper, stroke);
        }
        Glyph::Saddle => {
            let d = 1.1 * radius;
            p.line_segment([at + vec2(-d, -d), at + vec2(d, d)], stroke);
            p.line_segment([at + vec2(-d, d), at + vec2(d, -d)], stroke);
        }
        Glyph::Centre => {
            p.circle(at, radius, paper, stroke);
            p.circle_filled(at, (radius / 3.0).max(1.0), c);
        }
        Glyph::Degenerate => {
            let r = Rect::from_center_size(at, vec2(2.0 * radius, 2.0 * radius));
            p.rect(r, 0.0, paper, stroke, egui::StrokeKind::Middle);
        }
    }
}
