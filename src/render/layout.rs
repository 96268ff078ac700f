//! Where everything goes: the title band on top, the axes' label areas, the legend column right
//! of the plot, and the plot rectangle itself, sized so that one unit of `kappa_1` and of
//! `kappa_2` take the same number of pixels (both are coordinates on the same latent axes, so a
//! circle-shaped cycle should look like one) unless that would waste most of the figure.

use super::geometry::Px;
use super::legend::{KEY_GAP, KEY_WIDTH};
use super::text::measure as text_size;
use super::{RenderError, check_size};
use crate::analysis::Rect;
use crate::scene::legend::{self, Entry};
use crate::scene::{Overlay, Scene};

/// Text and strokes are designed for a figure whose smaller side is this many pixels and scale
/// with it (a 2400 x 1800 PNG for print looks like a 800 x 600 one, only sharper).
const DESIGN_SIDE: f64 = 600.0;
/// SVG text is set by the viewer in its own sans-serif face, often wider than the embedded one
/// the layout measures: text widths get this much room to spare.
const TEXT_SLACK: f64 = 1.15;
/// Equal axes are given up when they would leave the plot less than this fraction of the space
/// available in either direction (e.g. a 10:1 range).
const MIN_FILL: f64 = 0.5;
/// Text smaller than this scale (about 10-pixel tick labels) is hard to read: small figures
/// keep it and get relatively larger text.
const MIN_SCALE: f64 = 0.75;

/// Font sizes in pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fonts {
    pub title: f64,
    pub axis: f64,
    pub tick: f64,
    pub legend: f64,
}

/// The geometry of one figure at one size.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    pub size: (u32, u32),
    /// Multiplies every length designed for a [`DESIGN_SIDE`] figure.
    pub scale: f64,
    /// The data rectangle shown (the scene's view).
    pub rect: Rect,
    /// The plot frame in whole pixels: `[left, top, right, bottom]`; `rect`'s corners map to
    /// its corners.
    pub plot: [f64; 4],
    pub fonts: Fonts,
    /// The title's text and its centre-top point.
    pub title: String,
    pub title_at: Px,
    /// Top-left corner of the legend and its row height.
    pub legend_at: Px,
    pub legend_row: f64,
    pub legend: Vec<Entry>,
}

/// What a figure size leaves for the plot, before the data are known.
struct Space {
    scale: f64,
    pad: f64,
    /// Between the plot and the legend.
    gap: f64,
    fonts: Fonts,
    /// Where the plot may go: `[left, top, right, bottom]`.
    region: [f64; 4],
}

/// The space for the plot at `size`: margins, title band, axis label areas and a legend column
/// as wide as the widest label the legend could show with these overlays (and a mean field). It
/// depends on neither the landscape nor the title text, so a view can be shaped to it first.
fn space(size: (u32, u32), overlays: &[Overlay], mean_field: bool) -> Space {
    let (w, h) = (f64::from(size.0), f64::from(size.1));
    let s = (w.min(h) / DESIGN_SIDE).max(MIN_SCALE);
    let pad = 12.0 * s;
    let fonts = Fonts {
        title: 17.0 * s,
        axis: 17.0 * s,
        tick: 13.0 * s,
        legend: 13.0 * s,
    };
    let text_w = legend::possible_labels(overlays, mean_field)
        .iter()
        .map(|label| TEXT_SLACK * text_size(label, fonts.legend).0)
        .fold(0.0, f64::max);
    let legend_w = ((KEY_WIDTH + KEY_GAP) * s + text_w).min(0.4 * w);
    let title_band = pad + text_size("κ", fonts.title).1 + pad;
    let tick_h = text_size("0", fonts.tick).1;
    let axis_h = text_size("κ₁", fonts.axis).1;
    let y_area = TICK_LENGTH * s
        + 4.0 * s
        + TEXT_SLACK * text_size("-0.00", fonts.tick).0
        + 8.0 * s
        + text_size("κ₂", fonts.axis).0
        + pad;
    let x_area = TICK_LENGTH * s + 4.0 * s + tick_h + 6.0 * s + axis_h + pad;
    let gap = 2.0 * pad;
    Space {
        scale: s,
        pad,
        gap,
        fonts,
        region: [y_area, title_band, w - pad - legend_w - gap, h - x_area],
    }
}

/// Height over width of the space a figure of `size` with these overlays (and a mean field)
/// leaves for the plot: a view rectangle of this aspect fills it with equal axes.
pub fn plot_aspect(
    size: (u32, u32),
    overlays: &[Overlay],
    mean_field: bool,
) -> Result<f64, RenderError> {
    check_size(size)?;
    let [l, t, r, b] = space(size, overlays, mean_field).region;
    Ok((b - t) / (r - l))
}

impl Layout {
    /// Lays out `fig` at `size`, or says why it cannot be drawn (size out of range, a landscape
    /// with an error or a view that is not a rectangle).
    pub fn new(fig: &Scene, size: (u32, u32)) -> Result<Layout, RenderError> {
        check_size(size)?;
        if let Some(e) = &fig.landscape().error {
            return Err(RenderError::Landscape(e.clone()));
        }
        let rect = fig.plane.rect();
        if !rect.is_valid() {
            return Err(RenderError::Landscape(
                "the view rectangle must be finite with positive width and height".into(),
            ));
        }
        let sp = space(size, &fig.overlays, fig.mean_field.is_some());
        let w = f64::from(size.0);
        let title = fig.heading();
        let fonts = Fonts {
            title: fitted_size(&title, sp.fonts.title, w - 2.0 * sp.pad),
            ..sp.fonts
        };
        let plot = fit_plot(sp.region, &rect);
        // Centre the plot-and-legend block in the space left and right of it.
        let shift = (0.5 * (sp.region[2] - plot[2]).max(0.0)).round();
        let plot = [plot[0] + shift, plot[1], plot[2] + shift, plot[3]];
        let legend = legend::entries(fig);
        let row = (1.6 * fonts.legend).min((plot[3] - plot[1]) / legend.len().max(1) as f64);
        Ok(Layout {
            size,
            scale: sp.scale,
            rect,
            plot,
            fonts,
            title,
            title_at: (0.5 * w, sp.pad),
            legend_at: (plot[2] + sp.gap, plot[1]),
            legend_row: row,
            legend,
        })
    }

    /// Pixel position of a point `(kappa_1, kappa_2)` (not rounded).
    pub fn to_px(&self, k: [f64; 2]) -> Px {
        let [l, t, r, b] = self.plot;
        let r_ = &self.rect;
        (
            l + (k[0] - r_.x_min) / r_.width() * (r - l),
            b - (k[1] - r_.y_min) / r_.height() * (b - t),
        )
    }

    /// Pixels per unit of `kappa_1` and of `kappa_2`.
    pub fn pixels_per_unit(&self) -> (f64, f64) {
        let [l, t, r, b] = self.plot;
        ((r - l) / self.rect.width(), (b - t) / self.rect.height())
    }
}

/// Length of the axis ticks, at scale 1.
pub const TICK_LENGTH: f64 = 5.0;

/// The largest font size up to `size` at which `text` fits in `width` pixels.
fn fitted_size(text: &str, size: f64, width: f64) -> f64 {
    let w = text_size(text, size).0;
    if w <= width || w <= 0.0 {
        size
    } else {
        (size * width / w).floor().max(1.0)
    }
}

/// The plot inside `region = [left, top, right, bottom]`: the largest rectangle with the data's
/// aspect ratio (equal axes), vertically centred and at the region's left (the caller centres it
/// with the legend), in whole pixels; the whole region when equal axes would fill less than
/// [`MIN_FILL`] of it in either direction.
fn fit_plot(region: [f64; 4], rect: &Rect) -> [f64; 4] {
    let [l, t, r, b] = region.map(f64::round);
    let (rw, rh) = (r - l, b - t);
    let aspect = rect.height() / rect.width();
    let (pw, ph) = if rh / rw > aspect {
        (rw, (rw * aspect).round())
    } else {
        ((rh / aspect).round(), rh)
    };
    if pw < MIN_FILL * rw || ph < MIN_FILL * rh {
        return [l, t, r, b];
    }
    let top = t + ((rh - ph) / 2.0).round();
    [l, top, l + pw, top + ph]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_axes_fit_the_region_and_keep_the_data_aspect() {
        let p = fit_plot([50.0, 40.0, 650.0, 540.0], &Rect::new(-1.0, 1.0, -1.0, 1.0));
        assert_eq!(p, [50.0, 40.0, 550.0, 540.0]);
        let p = fit_plot([0.0, 0.0, 600.0, 500.0], &Rect::new(0.0, 4.0, 0.0, 2.0));
        assert_eq!((p[2] - p[0], p[3] - p[1]), (600.0, 300.0));
        assert_eq!(p[1], 100.0);
    }

    #[test]
    fn a_very_flat_range_fills_the_region_instead() {
        let p = fit_plot([0.0, 0.0, 600.0, 500.0], &Rect::new(0.0, 10.0, 0.0, 1.0));
        assert_eq!(p, [0.0, 0.0, 600.0, 500.0]);
    }

    #[test]
    fn long_titles_shrink_to_fit() {
        let long = "a very long title ".repeat(20);
        let size = fitted_size(&long, 16.0, 500.0);
        assert!(size < 16.0);
        assert!(text_size(&long, size).0 <= 500.0 + 1.0);
        assert_eq!(fitted_size("short", 16.0, 500.0), 16.0);
    }
}
