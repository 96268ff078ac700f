//! Fixed-point glyphs ([`Glyph`]: filled disc = stable, open circle = unstable, cross = saddle,
//! ringed dot = centre, open square = degenerate) in pixels.

use super::RenderError;
use super::painter::{Painter, Pt};
use crate::scene::style::{Glyph, PAPER, Rgb};

/// Draws `glyph` centred on `at`, `radius` pixels in size, strokes `width` pixels, in `colour`.
/// Open glyphs are filled with paper first, so field arrows do not show through them.
pub fn draw(
    glyph: Glyph,
    p: &mut dyn Painter,
    at: Pt,
    radius: u32,
    width: u32,
    colour: Rgb,
) -> Result<(), RenderError> {
    let r = radius as i32;
    match glyph {
        Glyph::Stable => p.circle(at, radius, colour, true, 1),
        Glyph::Unstable => {
            p.circle(at, radius, PAPER, true, 1)?;
            p.circle(at, radius, colour, false, width)
        }
        Glyph::Saddle => {
            let d = (f64::from(radius) * 1.1).round() as i32;
            p.polyline(&[(at.0 - d, at.1 - d), (at.0 + d, at.1 + d)], colour, width)?;
            p.polyline(&[(at.0 - d, at.1 + d), (at.0 + d, at.1 - d)], colour, width)
        }
        Glyph::Centre => {
            p.circle(at, radius, PAPER, true, 1)?;
            p.circle(at, radius, colour, false, width)?;
            p.circle(at, (radius / 3).max(1), colour, true, 1)
        }
        Glyph::Degenerate => {
            let (a, b) = ((at.0 - r, at.1 - r), (at.0 + r, at.1 + r));
            p.rect(a, b, PAPER, 0)?;
            p.rect(a, b, colour, width)
        }
    }
}
