//! Draws a scene, back to front: paper, flow field, separatrices, nullclines, cycles, the mean
//! field, overlays, fixed points, cycle periods, axes, title, legend (the order of the explorer's
//! view). Every line is clipped to the plot in data space first; every look comes from
//! [`crate::scene::style`].

use plotters::style::text_anchor::{HPos, VPos};

use super::RenderError;
use super::geometry::{Px, arrow, clip_polyline, dashes};
use super::glyphs;
use super::layout::{Layout, TICK_LENGTH};
use super::legend;
use super::painter::{Font, Painter, Pt, pt};
use super::text::measure as text_size;
use super::ticks::ticks;
use crate::analysis::cycles::Cycle;
use crate::analysis::fixed_points::FixedPoint;
use crate::analysis::landscape::FieldSamples;
use crate::scene::style::{self, Glyph, LineStyle, PAPER, Rgb, Stroke};
use crate::scene::{FieldMode, Plane, Scene, period_label as period_text};

/// Titles, labels and legend text.
pub const TEXT: Rgb = [30, 30, 30];
/// The plot frame and the ticks (lighter than the fixed points, which are drawn in near-black).
pub const AXIS: Rgb = [90, 90, 90];

/// Arrows closer than this (pixels at scale 1) are thinned out: every k-th field sample is drawn.
const MIN_ARROW_SPACING: f64 = 20.0;
/// Arrow length as a fraction of the spacing of the arrows drawn.
const ARROW_FILL: f64 = 0.72;
/// Dash pattern of dashed curves, pixels at scale 1.
const DASH: (f64, f64) = (8.0, 5.0);
/// Direction arrowheads along a trajectory: one per this many pixels of its length (scale 1),
/// each this long.
const HEAD_SPACING: f64 = 90.0;
const HEAD_LENGTH: f64 = 9.0;

/// Fixed-point glyph radius in pixels.
pub fn glyph_radius(scale: f64) -> u32 {
    (style::GLYPH_RADIUS * scale).round().max(2.0) as u32
}

/// Stroke width of open glyphs and crosses in pixels.
pub fn glyph_stroke(scale: f64) -> u32 {
    width_px(style::GLYPH_STROKE, scale)
}

fn width_px(width: f64, scale: f64) -> u32 {
    (width * scale).round().max(1.0) as u32
}

/// Strokes a pixel path in a style (solid, dashed, or dots at every `every`-th point), in whole
/// pixels.
pub fn stroke(
    p: &mut dyn Painter,
    path: &[Px],
    style: &LineStyle,
    scale: f64,
) -> Result<(), RenderError> {
    let pieces = match style.stroke {
        Stroke::Solid => vec![path.to_vec()],
        Stroke::Dashed => dashes(path, DASH.0 * scale, DASH.1 * scale),
        Stroke::Markers { every } => {
            let radius = (style::marker_radius(style) * scale).round().max(1.0) as u32;
            let ring = width_px(style::MARKER_RING, scale);
            for q in path.iter().step_by(every.max(1)) {
                p.circle(pt(*q), radius + ring, PAPER, true, 1)?;
                p.circle(pt(*q), radius, style.colour, true, 1)?;
            }
            return Ok(());
        }
    };
    for piece in pieces {
        let mut pts: Vec<Pt> = piece.into_iter().map(pt).collect();
        pts.dedup();
        if pts.len() >= 2 {
            p.polyline(&pts, style.colour, width_px(style.width, scale))?;
        }
    }
    Ok(())
}

/// Strokes a curve given in `kappa`, clipped to the plot; with arrowheads along it when the
/// style asks for them.
fn curve(
    p: &mut dyn Painter,
    layout: &Layout,
    points: &[[f64; 2]],
    style: &LineStyle,
) -> Result<(), RenderError> {
    for piece in clip_polyline(points, &layout.rect) {
        let path: Vec<Px> = piece.iter().map(|&k| layout.to_px(k)).collect();
        stroke(p, &path, style, layout.scale)?;
        if style.arrows {
            heads(p, &path, style.colour, layout.scale)?;
        }
    }
    Ok(())
}

/// Arrowheads every [`HEAD_SPACING`] pixels along a pixel path, pointing the way it runs.
fn heads(p: &mut dyn Painter, path: &[Px], colour: Rgb, scale: f64) -> Result<(), RenderError> {
    let spacing = HEAD_SPACING * scale;
    let mut run = 0.5 * spacing;
    for w in path.windows(2) {
        let (a, b) = (w[0], w[1]);
        let d = (b.0 - a.0).hypot(b.1 - a.1);
        if d <= 0.0 {
            continue;
        }
        run += d;
        if run >= spacing {
            run = 0.0;
            if let Some(h) = arrow(b, (b.0 - a.0, b.1 - a.1), HEAD_LENGTH * scale) {
                p.polygon(&h.head.map(pt), colour)?;
            }
        }
    }
    Ok(())
}

/// The whole scene.
pub fn figure(p: &mut dyn Painter, fig: &Scene, layout: &Layout) -> Result<(), RenderError> {
    let land = fig.landscape();
    let layers = &fig.layers;
    let (w, h) = layout.size;
    p.rect((0, 0), (w as i32, h as i32), PAPER, 0)?;
    if layers.field {
        field(p, fig, layout)?;
    }
    if layers.separatrices {
        for sep in &land.separatrices {
            curve(p, layout, &sep.points, &style::manifold(sep.kind))?;
        }
    }
    if layers.nullclines {
        nullclines(p, layout, &fig.plane, style::nullcline)?;
    }
    if layers.cycles {
        for c in &land.cycles {
            curve(p, layout, &closed_cycle(c), &style::cycle(c.stable))?;
        }
    }
    if let Some(mf) = &fig.mean_field {
        if layers.nullclines {
            nullclines(p, layout, mf, style::mean_field_nullcline)?;
        }
        if layers.cycles {
            for c in &mf.landscape.cycles {
                curve(p, layout, &closed_cycle(c), &style::mean_field_cycle())?;
            }
        }
        if layers.fixed_points {
            fixed_points(
                p,
                layout,
                &mf.landscape.fixed_points,
                style::MEAN_FIELD,
                0.8,
            )?;
        }
    }
    for o in &fig.overlays {
        curve(p, layout, &o.points, &o.style)?;
    }
    if layers.eigenvectors {
        let half = style::EIGENVECTOR_HALF * layout.scale;
        let px = |k: [f64; 2]| {
            let (x, y) = layout.to_px(k);
            [x, y]
        };
        for (ends, unstable) in style::eigenvector_segments(&land.fixed_points, half, px) {
            curve(p, layout, &ends, &style::eigenvector(unstable))?;
        }
    }
    if layers.fixed_points {
        fixed_points(p, layout, &land.fixed_points, style::FIXED_POINT, 1.0)?;
    }
    if layers.cycles {
        for c in &land.cycles {
            period_label(p, layout, c)?;
        }
    }
    axes(p, layout, &fig.axes)?;
    p.text(
        &layout.title,
        pt(layout.title_at),
        &Font {
            size: layout.fonts.title,
            colour: TEXT,
            h: HPos::Center,
            v: VPos::Top,
        },
    )?;
    legend::draw(p, layout)
}

/// Both nullclines of a plane in the given look.
fn nullclines(
    p: &mut dyn Painter,
    layout: &Layout,
    plane: &Plane,
    look: fn(usize) -> LineStyle,
) -> Result<(), RenderError> {
    for (component, lines) in plane.nullclines().curves.iter().enumerate() {
        for line in lines {
            let mut points = line.points.clone();
            if line.closed && !points.is_empty() {
                points.push(points[0]);
            }
            curve(p, layout, &points, &look(component))?;
        }
    }
    Ok(())
}

/// The fixed points in the plot, each by its glyph, `size` times the standard radius.
fn fixed_points(
    p: &mut dyn Painter,
    layout: &Layout,
    fps: &[FixedPoint],
    colour: Rgb,
    size: f64,
) -> Result<(), RenderError> {
    let radius = ((f64::from(glyph_radius(layout.scale)) * size).round() as u32).max(2);
    let width = glyph_stroke(layout.scale);
    for fp in fps {
        if fp.kappa.len() == 2 && layout.rect.contains(&fp.kappa) {
            let at = pt(layout.to_px([fp.kappa[0], fp.kappa[1]]));
            glyphs::draw(Glyph::of(fp), p, at, radius, width, colour)?;
        }
    }
    Ok(())
}

/// A cycle's points as a closed curve in the plane (first point repeated at the end).
pub fn closed_cycle(c: &Cycle) -> Vec<[f64; 2]> {
    let mut points: Vec<[f64; 2]> = c
        .points
        .iter()
        .filter(|q| q.len() >= 2)
        .map(|q| [q[0], q[1]])
        .collect();
    if let Some(&first) = points.first() {
        points.push(first);
    }
    points
}

/// The flow field as [`Scene::layers`]' mode asks: arrows ([`field_arrows`]) or the speed
/// shading ([`speed_shading`]).
fn field(p: &mut dyn Painter, fig: &Scene, layout: &Layout) -> Result<(), RenderError> {
    let f = fig.plane.field();
    if f.n == 0 || f.points.len() != f.n * f.n || f.flow.len() != f.points.len() {
        return Ok(());
    }
    match fig.layers.field_mode {
        FieldMode::Speed => speed_shading(p, f, layout),
        mode => field_arrows(p, f, layout, mode),
    }
}

/// Arrows at the field samples, of one length or as long as the flow is fast
/// ([`style::arrow_fraction`]), coloured by speed (relative to the fastest arrow drawn), thinned
/// to at least [`MIN_ARROW_SPACING`] apart.
fn field_arrows(
    p: &mut dyn Painter,
    f: &FieldSamples,
    layout: &Layout,
    mode: FieldMode,
) -> Result<(), RenderError> {
    let (ppu_x, ppu_y) = layout.pixels_per_unit();
    let r = &layout.rect;
    // Sample spacing in pixels along each axis, and the thinning that keeps arrows apart.
    let cell = [r.width() * ppu_x, r.height() * ppu_y].map(|side| side / f.n as f64);
    let stride = cell.map(|c| (MIN_ARROW_SPACING * layout.scale / c).ceil().max(1.0) as usize);
    let keep = |index: usize, stride: usize| index % stride == (stride - 1) / 2;
    let kept: Vec<usize> = (0..f.points.len())
        .filter(|k| keep(k % f.n, stride[0]) && keep(k / f.n, stride[1]))
        .filter(|&k| r.contains(&f.points[k]))
        .collect();
    let speed = |k: usize| f.flow[k][0].hypot(f.flow[k][1]);
    let max_speed = kept
        .iter()
        .map(|&k| speed(k))
        .filter(|s| s.is_finite())
        .fold(0.0, f64::max);
    let length = ARROW_FILL * (cell[0] * stride[0] as f64).min(cell[1] * stride[1] as f64);
    let shaft = width_px(1.2, layout.scale);
    for k in kept {
        let [fx, fy] = f.flow[k];
        let Some(fraction) = style::arrow_fraction(mode, speed(k), max_speed) else {
            continue;
        };
        let centre = layout.to_px(f.points[k]);
        let Some(a) = arrow(centre, (fx * ppu_x, -fy * ppu_y), fraction * length) else {
            continue;
        };
        let colour = style::field_colour(speed(k), max_speed);
        p.polyline(&[pt(a.shaft[0]), pt(a.shaft[1])], colour, shaft)?;
        p.polygon(&a.head.map(pt), colour)?;
    }
    Ok(())
}

/// One rectangle per field sample, shaded by [`style::speed_shade`] against the fastest sample
/// in view, clipped to the plot.
fn speed_shading(
    p: &mut dyn Painter,
    f: &FieldSamples,
    layout: &Layout,
) -> Result<(), RenderError> {
    let r = &layout.rect;
    let speed = |k: usize| f.flow[k][0].hypot(f.flow[k][1]);
    let max_speed = (0..f.points.len())
        .filter(|&k| r.contains(&f.points[k]))
        .map(speed)
        .filter(|s| s.is_finite())
        .fold(0.0, f64::max);
    if max_speed <= 0.0 {
        return Ok(());
    }
    let [left, top, right, bottom] = layout.plot;
    let half = [0.5 * r.width(), 0.5 * r.height()].map(|side| side / f.n as f64);
    for (k, c) in f.points.iter().enumerate() {
        let (x0, y0) = layout.to_px([c[0] - half[0], c[1] + half[1]]);
        let (x1, y1) = layout.to_px([c[0] + half[0], c[1] - half[1]]);
        let (x0, x1) = (x0.max(left), x1.min(right));
        let (y0, y1) = (y0.max(top), y1.min(bottom));
        if x1 > x0 && y1 > y0 {
            let shade = style::speed_shade(speed(k), max_speed);
            p.rect(pt((x0, y0)), pt((x1, y1)), shade, 0)?;
        }
    }
    Ok(())
}

/// `T = 7.94 τ` (map: `T = 7.94 τ (39.7 steps)`) over the cycle's highest visible point, on a
/// paper-coloured box so the field does not run through the text.
fn period_label(p: &mut dyn Painter, layout: &Layout, c: &Cycle) -> Result<(), RenderError> {
    let top = clip_polyline(&closed_cycle(c), &layout.rect)
        .into_iter()
        .flatten()
        .max_by(|a, b| a[1].total_cmp(&b[1]));
    let Some(top) = top else {
        return Ok(());
    };
    let text = period_text(c);
    let s = layout.scale;
    let size = layout.fonts.legend;
    let (tw, th) = text_size(&text, size);
    let [left, top_px, right, _] = layout.plot;
    let (x, y) = layout.to_px(top);
    let x = x.clamp(left + 0.5 * tw + 3.0 * s, right - 0.5 * tw - 3.0 * s);
    let y = (y - 5.0 * s).max(top_px + th + 4.0 * s);
    let pad = 2.0 * s;
    p.rect(
        pt((x - 0.5 * tw - pad, y - th - pad)),
        pt((x + 0.5 * tw + pad, y + pad)),
        PAPER,
        0,
    )?;
    p.text(
        &text,
        pt((x, y)),
        &Font {
            size,
            colour: style::CYCLE,
            h: HPos::Center,
            v: VPos::Bottom,
        },
    )
}

/// The plot frame, ticks with labels on the left and bottom, and the axis names.
fn axes(p: &mut dyn Painter, layout: &Layout, names: &[String; 2]) -> Result<(), RenderError> {
    let s = layout.scale;
    let [l, t, r, b] = layout.plot;
    let line = width_px(1.0, s);
    p.rect(pt((l, t)), pt((r, b)), AXIS, line)?;
    let tick = TICK_LENGTH * s;
    let font = |h, v| Font {
        size: layout.fonts.tick,
        colour: TEXT,
        h,
        v,
    };
    let rect = &layout.rect;
    let target = |pixels: f64| ((pixels / (80.0 * s)).round() as usize).max(2);
    for t_ in ticks(rect.x_min, rect.x_max, target(r - l)) {
        let x = layout.to_px([t_.value, rect.y_min]).0;
        p.polyline(&[pt((x, b)), pt((x, b + tick))], AXIS, line)?;
        p.text(
            &t_.label,
            pt((x, b + tick + 4.0 * s)),
            &font(HPos::Center, VPos::Top),
        )?;
    }
    let mut widest: f64 = 0.0;
    for t_ in ticks(rect.y_min, rect.y_max, target(b - t)) {
        let y = layout.to_px([rect.x_min, t_.value]).1;
        p.polyline(&[pt((l - tick, y)), pt((l, y))], AXIS, line)?;
        p.text(
            &t_.label,
            pt((l - tick - 4.0 * s, y)),
            &font(HPos::Right, VPos::Center),
        )?;
        widest = widest.max(text_size(&t_.label, layout.fonts.tick).0);
    }
    let axis = |h, v| Font {
        size: layout.fonts.axis,
        colour: TEXT,
        h,
        v,
    };
    let tick_h = text_size("0", layout.fonts.tick).1;
    p.text(
        &names[0],
        pt((0.5 * (l + r), b + tick + 4.0 * s + tick_h + 6.0 * s)),
        &axis(HPos::Center, VPos::Top),
    )?;
    // Left of the widest tick label, but never off the figure (long labels of a tiny range).
    let name_right = (l - tick - 4.0 * s - widest - 8.0 * s)
        .max(text_size(&names[1], layout.fonts.axis).0 + 2.0 * s);
    p.text(
        &names[1],
        pt((name_right, 0.5 * (t + b))),
        &axis(HPos::Right, VPos::Center),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Rect;
    use crate::analysis::landscape::{LandscapeRequest, analyze_fast, view_layer};
    use crate::reduced::{MeanField, TimeModel, presets};
    use std::sync::Arc;

    /// Records the field: an arrow is a shaft (polyline) directly followed by its head
    /// (polygon), its centre halfway from the shaft's tail to the head's tip; the shading is
    /// filled rectangles.
    #[derive(Default)]
    struct Recorder {
        last_line: Vec<Pt>,
        centres: Vec<(f64, f64)>,
        /// Each arrow's shaft length in pixels.
        shafts: Vec<f64>,
        rects: Vec<(Pt, Pt, Rgb)>,
    }

    impl Painter for Recorder {
        fn polyline(&mut self, points: &[Pt], _: Rgb, _: u32) -> Result<(), RenderError> {
            self.last_line = points.to_vec();
            Ok(())
        }
        fn polygon(&mut self, points: &[Pt], _: Rgb) -> Result<(), RenderError> {
            let [tail, base] = [self.last_line[0], self.last_line[1]];
            let tip = points[0];
            self.centres.push((
                0.5 * f64::from(tail.0 + tip.0),
                0.5 * f64::from(tail.1 + tip.1),
            ));
            self.shafts
                .push(f64::from(base.0 - tail.0).hypot(f64::from(base.1 - tail.1)));
            Ok(())
        }
        fn circle(&mut self, _: Pt, _: u32, _: Rgb, _: bool, _: u32) -> Result<(), RenderError> {
            Ok(())
        }
        fn rect(&mut self, a: Pt, b: Pt, colour: Rgb, _: u32) -> Result<(), RenderError> {
            self.rects.push((a, b, colour));
            Ok(())
        }
        fn text(&mut self, _: &str, _: Pt, _: &Font) -> Result<(), RenderError> {
            Ok(())
        }
    }

    /// The mixture at no input (ODE), and its field of `grid` samples per side on `rect` as
    /// `mode` draws it at 800 x 600.
    fn drawn(grid: usize, rect: Rect, mode: FieldMode) -> (Recorder, Layout, Scene, MeanField) {
        let sys = MeanField::new(&presets::get("dms_mixture_2pop").unwrap().model);
        let req = LandscapeRequest {
            field_grid: grid,
            nullcline_resolution: 16,
            ..LandscapeRequest::new(rect, vec![0.0, 0.0], TimeModel::Ode)
        };
        let land = Arc::new(analyze_fast(&sys, &req));
        let view = Arc::new(view_layer(&sys, &land, rect, grid, 16));
        let mut fig = Scene::new(Plane {
            landscape: land,
            view,
        });
        fig.layers.field_mode = mode;
        let layout = Layout::new(&fig, (800, 600)).unwrap();
        let mut rec = Recorder::default();
        field(&mut rec, &fig, &layout).unwrap();
        (rec, layout, fig, sys)
    }

    /// Centres of the arrows drawn for a field of `grid` samples per side on `rect` at 800 x 600.
    fn arrows(grid: usize, rect: Rect) -> (Vec<(f64, f64)>, Layout) {
        let (rec, layout, ..) = drawn(grid, rect, FieldMode::Directions);
        (rec.centres, layout)
    }

    /// The flow at a pixel of `layout`, from the system itself.
    fn speed_at(sys: &MeanField, layout: &Layout, px: (f64, f64)) -> f64 {
        let [l, t, r, b] = layout.plot;
        let rect = &layout.rect;
        let k = [
            rect.x_min + (px.0 - l) / (r - l) * rect.width(),
            rect.y_min + (b - px.1) / (b - t) * rect.height(),
        ];
        let mut f = [0.0; 2];
        crate::reduced::ReducedSystem::flow(sys, &k, &[0.0, 0.0], &mut f);
        f[0].hypot(f[1])
    }

    #[test]
    fn scaled_arrows_are_as_long_as_the_flow_is_fast() {
        let square = Rect::new(-1.5, 1.5, -1.5, 1.5);
        let (rec, layout, _, sys) = drawn(12, square, FieldMode::Arrows);
        let longest = rec.shafts.iter().copied().fold(0.0, f64::max);
        let speeds: Vec<f64> = rec
            .centres
            .iter()
            .map(|&c| speed_at(&sys, &layout, c))
            .collect();
        let fastest = speeds.iter().copied().fold(0.0, f64::max);
        assert!(rec.shafts.len() > 100 && longest > 8.0, "{longest}");
        // Ends in whole pixels: a shaft's length is off by at most sqrt(2) (its two ends round
        // by half a pixel in each coordinate), the longest's too, scaled.
        for (shaft, speed) in rec.shafts.iter().zip(&speeds) {
            let expected = longest * speed / fastest;
            assert!((shaft - expected).abs() <= 2.0, "{shaft} px for {expected}");
        }
        // Directions: every shaft as long as the longest.
        let (rec, ..) = drawn(12, square, FieldMode::Directions);
        let spread = rec
            .shafts
            .iter()
            .fold((f64::MAX, 0.0f64), |(lo, hi), &x| (lo.min(x), hi.max(x)));
        assert!(spread.1 - spread.0 <= 2.0 * 2f64.sqrt(), "{spread:?}");
    }

    #[test]
    fn the_speed_shading_tiles_the_plot_and_is_darkest_at_a_fixed_point() {
        let square = Rect::new(-1.5, 1.5, -1.5, 1.5);
        let n = 30;
        let (rec, layout, fig, sys) = drawn(n, square, FieldMode::Speed);
        assert!(rec.centres.is_empty(), "no arrows");
        assert_eq!(rec.rects.len(), n * n);
        let [l, t, r, b] = layout.plot;
        let area: f64 = rec
            .rects
            .iter()
            .map(|(a, c, _)| f64::from(c.0 - a.0) * f64::from(c.1 - a.1))
            .sum();
        assert_eq!(area, (r - l).round() * (b - t).round(), "tiles, no gaps");
        let luminance = |c: &Rgb| c.iter().map(|&x| u32::from(x)).sum::<u32>();
        let (a, c, darkest) = rec
            .rects
            .iter()
            .min_by_key(|(_, _, c)| luminance(c))
            .unwrap();
        let centre = (0.5 * f64::from(a.0 + c.0), 0.5 * f64::from(a.1 + c.1));
        let cell = (r - l) / n as f64;
        let near = fig.landscape().fixed_points.iter().any(|fp| {
            let (x, y) = layout.to_px([fp.kappa[0], fp.kappa[1]]);
            (x - centre.0).hypot(y - centre.1) <= 1.5 * cell
        });
        assert!(near, "darkest cell at {centre:?} is at no fixed point");
        // Its shade is that of its own sample's speed against the fastest one.
        let fastest = rec
            .rects
            .iter()
            .map(|(a, c, _)| {
                let mid = (0.5 * f64::from(a.0 + c.0), 0.5 * f64::from(a.1 + c.1));
                speed_at(&sys, &layout, mid)
            })
            .fold(0.0, f64::max);
        let expected = style::speed_shade(speed_at(&sys, &layout, centre), fastest);
        for (x, y) in darkest.iter().zip(&expected) {
            assert!(x.abs_diff(*y) <= 3, "{darkest:?} against {expected:?}");
        }
    }

    #[test]
    fn a_fine_field_is_thinned_to_readable_arrows_and_a_coarse_one_kept_whole() {
        let square = Rect::new(-1.0, 1.0, -1.0, 1.0);
        let (centres, layout) = arrows(64, square);
        let side = layout.plot[2] - layout.plot[0];
        let most = (side / MIN_ARROW_SPACING).ceil().powi(2) as usize;
        assert!(
            centres.len() <= most && centres.len() >= most / 4,
            "{} arrows",
            centres.len()
        );
        // No two arrows closer than the minimum spacing (a pixel of rounding aside).
        for (i, a) in centres.iter().enumerate() {
            for b in &centres[..i] {
                let d = (a.0 - b.0).hypot(a.1 - b.1);
                assert!(d >= MIN_ARROW_SPACING - 1.5, "arrows at {a:?} and {b:?}");
            }
        }
        let (centres, _) = arrows(super::super::FIELD_GRID, square);
        assert_eq!(centres.len(), super::super::FIELD_GRID.pow(2));
    }
}
