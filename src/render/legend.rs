//! The legend ([`crate::scene::legend`]'s rows) set in a column right of the plot, so it never
//! covers data.

use plotters::style::text_anchor::{HPos, VPos};

use super::RenderError;
use super::draw;
use super::glyphs;
use super::layout::Layout;
use super::painter::{Font, Painter, pt};
use crate::scene::FieldMode;
use crate::scene::legend::Key;
use crate::scene::style::{self, Rgb};

/// Width of the key column, in pixels at scale 1.
pub const KEY_WIDTH: f64 = 28.0;
/// Gap between key and text, at scale 1.
pub const KEY_GAP: f64 = 7.0;
/// Colour steps of the speed key.
const SPEED_STEPS: usize = 7;

/// Draws the legend rows at the layout's legend position.
pub fn draw(p: &mut dyn Painter, layout: &Layout) -> Result<(), RenderError> {
    let s = layout.scale;
    let (x, top) = layout.legend_at;
    let row = layout.legend_row;
    let font = Font {
        size: layout.fonts.legend,
        colour: draw::TEXT,
        h: HPos::Left,
        v: VPos::Center,
    };
    for (i, e) in layout.legend.iter().enumerate() {
        let y = top + (i as f64 + 0.5) * row;
        match &e.key {
            Key::Line(style) => {
                draw::stroke(p, &[(x, y), (x + KEY_WIDTH * s, y)], style, s)?;
            }
            Key::Glyph(g, colour) => glyphs::draw(
                *g,
                p,
                pt((x + 0.5 * KEY_WIDTH * s, y)),
                draw::glyph_radius(s),
                draw::glyph_stroke(s),
                *colour,
            )?,
            Key::Speed { mode, .. } => speed_key(p, (x, y), KEY_WIDTH * s, 0.45 * row, *mode)?,
        }
        p.text(&e.label, pt((x + (KEY_WIDTH + KEY_GAP) * s, y)), &font)?;
    }
    Ok(())
}

/// The field's colour scale, slow (left) to fast, as a strip of `width` x `2 half` pixels.
fn speed_key(
    p: &mut dyn Painter,
    (x, y): (f64, f64),
    width: f64,
    half: f64,
    mode: FieldMode,
) -> Result<(), RenderError> {
    let step = width / SPEED_STEPS as f64;
    for k in 0..SPEED_STEPS {
        let t = (k as f64 + 0.5) / SPEED_STEPS as f64;
        let colour: Rgb = style::speed_key_colour(mode, t);
        let x0 = x + k as f64 * step;
        p.rect(pt((x0, y - half)), pt((x0 + step, y + half)), colour, 0)?;
    }
    Ok(())
}
