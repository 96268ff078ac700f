//! Text metrics and rasterisation with the embedded font (Ubuntu Light from epaint, the egui
//! app's own font, so exports and the live view share a face).
//!
//! Plotters' bitmap text drops each glyph's side bearing (letters crowd and spaces vanish), so
//! the PNG path rasterises here instead, antialiased by glyph coverage. Sizes follow the SVG
//! backend's convention: a text of size `s` pixels has an em of `s / 1.24` pixels (its
//! `font-size`), and the vertical anchors are placed as its `dy` attributes place them, so the
//! PNG and the SVG set text alike.

use std::sync::LazyLock;

use ab_glyph::{Font as _, FontRef, PxScale, ScaleFont, point};
use plotters::style::text_anchor::{HPos, VPos};

use super::painter::Pt;

/// Em size of a text of size 1 (plotters' SVG `font-size = size / 1.24`).
const EM_PER_SIZE: f64 = 1.0 / 1.24;
/// Baseline offsets from the anchor in ems, as the SVG backend's `dy` (`0.76em`, `0.5ex`,
/// `-0.5ex`, with `1ex = 0.5em`).
const BASELINE_TOP: f64 = 0.76;
const BASELINE_CENTRE: f64 = 0.25;
const BASELINE_BOTTOM: f64 = -0.25;

/// The embedded font; `None` only if the bundled bytes were not a font (then text is measured
/// approximately and not rasterised, rather than failing the figure).
static FONT: LazyLock<Option<FontRef<'static>>> =
    LazyLock::new(|| FontRef::try_from_slice(epaint_default_fonts::UBUNTU_LIGHT).ok());

/// The ab_glyph scale whose em is `size * EM_PER_SIZE` pixels.
fn scale(font: &FontRef<'static>, size: f64) -> PxScale {
    let em = (size * EM_PER_SIZE) as f32;
    let units = font.units_per_em().unwrap_or(1000.0);
    PxScale::from(em * font.height_unscaled() / units)
}

/// Width and height (ascent to descent) of `text` at `size`, in pixels.
pub fn measure(text: &str, size: f64) -> (f64, f64) {
    let Some(font) = FONT.as_ref() else {
        return (0.5 * size * text.chars().count() as f64, size);
    };
    let scaled = font.as_scaled(scale(font, size));
    (
        f64::from(advance(&scaled, text)),
        f64::from(scaled.height()),
    )
}

/// Caret advance over `text`, with kerning.
fn advance<F: ab_glyph::Font>(scaled: &impl ScaleFont<F>, text: &str) -> f32 {
    let mut x = 0.0;
    let mut prev = None;
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(p) = prev {
            x += scaled.kern(p, id);
        }
        x += scaled.h_advance(id);
        prev = Some(id);
    }
    x
}

/// Calls `put(x, y, coverage)` for every pixel `text` covers when anchored at `at` (its `h`
/// side and `v` line), coverage in `(0, 1]`.
pub fn rasterise(
    text: &str,
    at: Pt,
    size: f64,
    h: HPos,
    v: VPos,
    mut put: impl FnMut(i32, i32, f32),
) {
    let Some(font) = FONT.as_ref() else {
        return;
    };
    let scaled = font.as_scaled(scale(font, size));
    let width = advance(&scaled, text);
    let em = (size * EM_PER_SIZE) as f32;
    let mut x = at.0 as f32
        - match h {
            HPos::Left => 0.0,
            HPos::Center => 0.5 * width,
            HPos::Right => width,
        };
    let baseline = at.1 as f32
        + em * match v {
            VPos::Top => BASELINE_TOP,
            VPos::Center => BASELINE_CENTRE,
            VPos::Bottom => BASELINE_BOTTOM,
        } as f32;
    let mut prev = None;
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(p) = prev {
            x += scaled.kern(p, id);
        }
        if let Some(outline) =
            scaled.outline_glyph(id.with_scale_and_position(scaled.scale(), point(x, baseline)))
        {
            let bounds = outline.px_bounds();
            outline.draw(|gx, gy, coverage| {
                if coverage > 0.0 {
                    put(
                        bounds.min.x as i32 + gx as i32,
                        bounds.min.y as i32 + gy as i32,
                        coverage.min(1.0),
                    );
                }
            });
        }
        x += scaled.h_advance(id);
        prev = Some(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_font_has_every_character_the_figures_use() {
        let font = FONT.as_ref().expect("embedded font");
        for c in
            "κ₁₂₃₄₅₆₇₈₉ατ—0123456789.,=()-+ abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                .chars()
        {
            assert_ne!(font.glyph_id(c).0, 0, "no glyph for {c:?}");
        }
    }

    #[test]
    fn spaces_and_bearings_are_kept_and_anchors_move_the_text() {
        let (w1, h) = measure("ab", 20.0);
        let (w2, _) = measure("a b", 20.0);
        assert!(w2 > w1 + 2.0, "a space has width");
        assert!(h > 10.0 && h < 30.0);
        let xs = |hpos| {
            let mut xs = Vec::new();
            rasterise("a b", (100, 100), 20.0, hpos, VPos::Top, |x, _, _| {
                xs.push(x)
            });
            (*xs.iter().min().unwrap(), *xs.iter().max().unwrap())
        };
        let (l0, l1) = xs(HPos::Left);
        let (r0, r1) = xs(HPos::Right);
        assert!((100..=102).contains(&l0) && (97..=100).contains(&r1));
        assert!((l1 - l0 - (r1 - r0)).abs() <= 1);
        // The gap of the space: no pixel in the middle column band.
        let mut cols = vec![0; 200];
        rasterise("a b", (0, 50), 20.0, HPos::Left, VPos::Top, |x, _, _| {
            cols[x as usize] += 1
        });
        let (a_end, b_start) = (measure("a", 20.0).0, measure("a ", 20.0).0);
        let mid = (0.5 * (a_end + b_start)) as usize;
        assert_eq!(cols[mid], 0);
    }
}
