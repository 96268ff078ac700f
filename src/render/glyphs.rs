//! Fixed-point glyphs: filled disc = stable, open circle = unstable, cross = saddle, ringed dot =
//! centre, open square = degenerate. Nodes and foci share a glyph (the legend and the JSON tell
//! them apart by name); stability is what a reader looks for first.

use super::RenderError;
use super::painter::{Painter, Pt};
use crate::analysis::fixed_points::{FixedPoint, FixedPointKind};
use crate::style::{FIXED_POINT, Rgb};

/// The background under open glyphs, so field arrows do not show through them.
pub const PAPER: Rgb = [255, 255, 255];

/// The glyph classes, in legend order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Glyph {
    Stable,
    Unstable,
    Saddle,
    Centre,
    Degenerate,
}

impl Glyph {
    pub const ALL: [Glyph; 5] = [
        Glyph::Stable,
        Glyph::Unstable,
        Glyph::Saddle,
        Glyph::Centre,
        Glyph::Degenerate,
    ];

    pub fn of(fp: &FixedPoint) -> Glyph {
        match fp.kind {
            FixedPointKind::Saddle => Glyph::Saddle,
            FixedPointKind::Center => Glyph::Centre,
            FixedPointKind::Degenerate => Glyph::Degenerate,
            _ if fp.stable => Glyph::Stable,
            _ => Glyph::Unstable,
        }
    }

    /// The legend text.
    pub fn label(self) -> &'static str {
        match self {
            Glyph::Stable => "stable fixed point",
            Glyph::Unstable => "unstable fixed point",
            Glyph::Saddle => "saddle",
            Glyph::Centre => "centre",
            Glyph::Degenerate => "degenerate fixed point",
        }
    }

    /// Draws the glyph centred on `at`, `radius` pixels in size, strokes `width` pixels.
    pub fn draw(
        self,
        p: &mut dyn Painter,
        at: Pt,
        radius: u32,
        width: u32,
    ) -> Result<(), RenderError> {
        let r = radius as i32;
        match self {
            Glyph::Stable => p.circle(at, radius, FIXED_POINT, true, 1),
            Glyph::Unstable => {
                p.circle(at, radius, PAPER, true, 1)?;
                p.circle(at, radius, FIXED_POINT, false, width)
            }
            Glyph::Saddle => {
                let d = (f64::from(radius) * 1.1).round() as i32;
                p.polyline(
                    &[(at.0 - d, at.1 - d), (at.0 + d, at.1 + d)],
                    FIXED_POINT,
                    width,
                )?;
                p.polyline(
                    &[(at.0 - d, at.1 + d), (at.0 + d, at.1 - d)],
                    FIXED_POINT,
                    width,
                )
            }
            Glyph::Centre => {
                p.circle(at, radius, PAPER, true, 1)?;
                p.circle(at, radius, FIXED_POINT, false, width)?;
                p.circle(at, (radius / 3).max(1), FIXED_POINT, true, 1)
            }
            Glyph::Degenerate => {
                let (a, b) = ((at.0 - r, at.1 - r), (at.0 + r, at.1 + r));
                p.rect(a, b, PAPER, 0)?;
                p.rect(a, b, FIXED_POINT, width)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::fixed_points::classify;
    use crate::reduced::TimeModel;

    fn fixed_point(eigenvalues: Vec<[f64; 2]>) -> FixedPoint {
        let (kind, stable) = classify(&eigenvalues, TimeModel::Ode);
        FixedPoint {
            kappa: vec![0.0, 0.0],
            residual: 0.0,
            jacobian: vec![0.0; 4],
            eigenvalues,
            eigenvectors: Vec::new(),
            multipliers: None,
            kind,
            stable,
        }
    }

    #[test]
    fn nodes_and_foci_share_glyphs_by_stability_and_the_rest_are_distinct() {
        let g = |e: Vec<[f64; 2]>| Glyph::of(&fixed_point(e));
        assert_eq!(g(vec![[-1.0, 0.0], [-2.0, 0.0]]), Glyph::Stable);
        assert_eq!(g(vec![[-1.0, 1.0], [-1.0, -1.0]]), Glyph::Stable);
        assert_eq!(g(vec![[1.0, 0.0], [2.0, 0.0]]), Glyph::Unstable);
        assert_eq!(g(vec![[1.0, 1.0], [1.0, -1.0]]), Glyph::Unstable);
        assert_eq!(g(vec![[1.0, 0.0], [-1.0, 0.0]]), Glyph::Saddle);
        assert_eq!(g(vec![[0.0, 1.0], [0.0, -1.0]]), Glyph::Centre);
        assert_eq!(g(vec![[0.0, 0.0], [-1.0, 0.0]]), Glyph::Degenerate);
    }
}
