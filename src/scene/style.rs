//! The drawing conventions of every phase-plane picture, shared by the explorer and the exported
//! figures so that a figure for a paper looks like the live view: colours, how each kind of curve
//! is stroked, and the fixed-point glyphs. Plain sRGB triples and widths in pixels at a 600-pixel
//! figure: no GUI types.
//!
//! Colours are from the Okabe-Ito palette (distinguishable with the common colour-vision
//! deficiencies), plus a dark purple for the user's own trajectories.

use crate::analysis::fixed_points::{FixedPoint, FixedPointKind};
use crate::analysis::manifolds::ManifoldKind;
use crate::scene::FieldMode;

/// An sRGB colour.
pub type Rgb = [u8; 3];

/// The `kappa_1` nullcline, `F_1 = 0`.
pub const NULLCLINE_1: Rgb = [230, 159, 0];
/// The `kappa_2` nullcline, `F_2 = 0`.
pub const NULLCLINE_2: Rgb = [86, 180, 233];
/// Fixed points (filled when stable, open when unstable, a cross for saddles).
pub const FIXED_POINT: Rgb = [20, 20, 20];
/// Limit cycles and invariant curves (solid when stable, dashed when unstable).
pub const CYCLE: Rgb = [0, 158, 115];
/// Stable and unstable manifolds of saddles (separatrices).
pub const SEPARATRIX: Rgb = [120, 120, 120];
/// Flow-field arrows: interpolated from slow to fast.
pub const FIELD_SLOW: Rgb = [200, 200, 215];
pub const FIELD_FAST: Rgb = [60, 60, 110];
/// Trajectories of the four DMS trial types, in the order AA, AB, BA, BB.
pub const TRIALS: [Rgb; 4] = [[0, 114, 178], [213, 94, 0], [204, 121, 167], [90, 90, 90]];
/// A user's click-to-run trajectories: a colour no trial and no nullcline has.
pub const USER_TRAJECTORY: Rgb = [110, 40, 140];
/// The mean field drawn over a network's exact landscape: its cycles and fixed points.
pub const MEAN_FIELD: Rgb = [110, 110, 110];
/// Paper: the background, and the fill under open glyphs so arrows do not show through them.
pub const PAPER: Rgb = [255, 255, 255];

/// How a curve is stroked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stroke {
    Solid,
    Dashed,
    /// Dots at every `every`-th point and no line: a second reading of a curve drawn on top of
    /// the first (the full network over its reduced trajectory) stays visible where they meet.
    Markers {
        every: usize,
    },
}

/// A curve's look: width in pixels at scale 1 (a 600-pixel figure; the live view uses it as is).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LineStyle {
    pub colour: Rgb,
    pub width: f64,
    pub stroke: Stroke,
    /// Arrowheads along the curve show its direction of time.
    pub arrows: bool,
}

impl LineStyle {
    const fn solid(colour: Rgb, width: f64) -> LineStyle {
        LineStyle {
            colour,
            width,
            stroke: Stroke::Solid,
            arrows: false,
        }
    }

    fn dashed(self) -> LineStyle {
        LineStyle {
            stroke: Stroke::Dashed,
            ..self
        }
    }

    /// The same curve pushed back: lighter and thinner (the trials not being played).
    pub fn faded(self) -> LineStyle {
        LineStyle {
            colour: mix(self.colour, PAPER, 0.6),
            width: 0.8 * self.width,
            ..self
        }
    }

    /// The same curve brought forward: heavier (the trial being played).
    pub fn emphasised(self) -> LineStyle {
        LineStyle {
            width: 1.6 * self.width,
            ..self
        }
    }
}

/// `kappa_{component + 1}` nullcline.
pub fn nullcline(component: usize) -> LineStyle {
    LineStyle::solid(
        if component == 0 {
            NULLCLINE_1
        } else {
            NULLCLINE_2
        },
        2.0,
    )
}

/// Stable manifolds are the separatrices proper (basin boundaries): drawn heavier than the
/// unstable ones, which only show where trajectories leave a saddle.
pub fn manifold(kind: ManifoldKind) -> LineStyle {
    match kind {
        ManifoldKind::Stable => LineStyle::solid(SEPARATRIX, 1.5),
        ManifoldKind::Unstable => LineStyle::solid(SEPARATRIX, 1.0).dashed(),
    }
}

/// Cycles are thick; unstable ones dashed.
pub fn cycle(stable: bool) -> LineStyle {
    let line = LineStyle::solid(CYCLE, 3.5);
    if stable { line } else { line.dashed() }
}

/// A mean field's nullcline over a network's exact landscape: dashed, in the nullcline's colour.
pub fn mean_field_nullcline(component: usize) -> LineStyle {
    LineStyle {
        width: 1.5,
        ..nullcline(component).dashed()
    }
}

/// A mean field's cycle over a network's exact landscape: grey, dashed.
pub const fn mean_field_cycle() -> LineStyle {
    LineStyle {
        colour: MEAN_FIELD,
        width: 2.0,
        stroke: Stroke::Dashed,
        arrows: false,
    }
}

/// The reduced system's trajectory of DMS trial `k` (AA, AB, BA, BB).
pub fn trial_reduced(k: usize) -> LineStyle {
    LineStyle::solid(TRIALS[k % TRIALS.len()], 1.8)
}

/// Radius of a dot of a [`Stroke::Markers`] curve, pixels at scale 1: well wider than the line
/// it sits on (ringed with paper, so it shows even over a line of its own colour).
pub fn marker_radius(s: &LineStyle) -> f64 {
    1.6 * s.width
}

/// Width of the paper ring around each dot, pixels at scale 1.
pub const MARKER_RING: f64 = 1.0;

/// Steps between two markers of a full-network trial (20 ms steps: one dot per 80 ms).
pub const NETWORK_MARKER_STEPS: usize = 4;

/// The full network's projected trajectory of DMS trial `k`: dots over the reduced line.
pub fn trial_network(k: usize) -> LineStyle {
    LineStyle {
        colour: TRIALS[k % TRIALS.len()],
        width: 2.0,
        stroke: Stroke::Markers {
            every: NETWORK_MARKER_STEPS,
        },
        arrows: false,
    }
}

/// A click-to-run trajectory: with arrowheads; dashed when run backward in time.
pub fn user_trajectory(backward: bool) -> LineStyle {
    let line = LineStyle {
        arrows: true,
        ..LineStyle::solid(USER_TRAJECTORY, 1.8)
    };
    if backward { line.dashed() } else { line }
}

/// The fixed-point glyphs: filled disc = stable, open circle = unstable, cross = saddle, ringed
/// dot = centre, open square = degenerate. Nodes and foci share a glyph (the legend and the
/// readouts tell them apart by name); stability is what a reader looks for first. The variants
/// are in legend order.
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
}

/// The eigenvectors of saddles and nodes: along an unstable direction red, a stable one blue.
pub fn eigenvector(unstable: bool) -> LineStyle {
    LineStyle::solid(
        if unstable {
            [200, 40, 40]
        } else {
            [40, 80, 200]
        },
        1.5,
    )
}

/// Half-length of an eigenvector segment in pixels at scale 1 (the glyph's radius and as much
/// again beyond it).
pub const EIGENVECTOR_HALF: f64 = 3.0 * GLYPH_RADIUS;

/// The eigenvector segments of the saddles and nodes among `fps` (rank 2; the real eigenvalues
/// of a focus or centre have none): through each point along each eigenvector, `half` pixels
/// each way under `px` (plane to pixels, linear), with whether the direction is unstable (ODE:
/// `lambda > 0`; map: `|mu| > 1`).
pub fn eigenvector_segments(
    fps: &[FixedPoint],
    half: f64,
    px: impl Fn([f64; 2]) -> [f64; 2],
) -> Vec<([[f64; 2]; 2], bool)> {
    let mut out = Vec::new();
    let nodes = fps.iter().filter(|f| {
        matches!(
            f.kind,
            FixedPointKind::Saddle | FixedPointKind::StableNode | FixedPointKind::UnstableNode
        ) && f.kappa.len() == 2
            && f.eigenvectors.len() == 2
    });
    for f in nodes {
        let k = [f.kappa[0], f.kappa[1]];
        for (i, (l, v)) in f.eigenvalues.iter().zip(&f.eigenvectors).enumerate() {
            let d = [v[0][0], v[1][0]];
            let (a, b) = (px(k), px([k[0] + d[0], k[1] + d[1]]));
            let length = (b[0] - a[0]).hypot(b[1] - a[1]);
            if !(length > 0.0 && length.is_finite()) || l[1] != 0.0 {
                continue;
            }
            let s = half / length;
            let unstable = match &f.multipliers {
                Some(mu) => mu.get(i).is_some_and(|m| m[0].hypot(m[1]) > 1.0),
                None => l[0] > 0.0,
            };
            let ends = [
                [k[0] - s * d[0], k[1] - s * d[1]],
                [k[0] + s * d[0], k[1] + s * d[1]],
            ];
            out.push((ends, unstable));
        }
    }
    out
}

/// Radius of a fixed-point glyph in pixels at scale 1.
pub const GLYPH_RADIUS: f64 = 6.0;
/// Stroke of open glyphs and crosses in pixels at scale 1.
pub const GLYPH_STROKE: f64 = 2.0;

/// Linear interpolation between two colours, `t` in `[0, 1]` (clamped).
pub fn mix(a: Rgb, b: Rgb, t: f64) -> Rgb {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    std::array::from_fn(|i| {
        (f64::from(a[i]) + t * (f64::from(b[i]) - f64::from(a[i]))).round() as u8
    })
}

/// The field colour of a speed, relative to the largest speed shown: the square root of the
/// ratio, so slow regions (near fixed points, where the eye looks) stay distinguishable.
pub fn field_colour(speed: f64, max_speed: f64) -> Rgb {
    let t = if max_speed > 0.0 {
        speed / max_speed
    } else {
        0.0
    };
    mix(FIELD_SLOW, FIELD_FAST, t.sqrt())
}

/// The speed shading's colour where the flow is slowest; the fastest is paper, so every curve
/// drawn over the shading keeps its contrast.
pub const SPEED_SLOW: Rgb = [135, 140, 195];
/// Decades of speed the shading spans below the fastest sample (slower is shaded as slowest).
pub const SPEED_DECADES: f64 = 3.0;

/// The shade of a speed in [`FieldMode::Speed`]: `1 + log10(speed / max) / SPEED_DECADES` of
/// the way from [`SPEED_SLOW`] to paper. A logarithm, because the speeds that matter (a ghost,
/// a slow manifold) are orders of magnitude below the fastest.
pub fn speed_shade(speed: f64, max_speed: f64) -> Rgb {
    let t = 1.0 + (speed / max_speed).log10() / SPEED_DECADES;
    mix(
        SPEED_SLOW,
        PAPER,
        if t.is_nan() { 1.0 } else { t.clamp(0.0, 1.0) },
    )
}

/// The colour at `t` in `[0, 1]` (slow to fast) along the legend's speed key of `mode`.
pub fn speed_key_colour(mode: FieldMode, t: f64) -> Rgb {
    match mode {
        FieldMode::Speed => speed_shade(10f64.powf(SPEED_DECADES * (t - 1.0)), 1.0),
        FieldMode::Directions | FieldMode::Arrows => field_colour(t * t, 1.0),
    }
}

/// An arrow's length as a fraction of the full one: 1 for [`FieldMode::Directions`],
/// `speed / max` for [`FieldMode::Arrows`]; `None` for the shading, which draws no arrows, and
/// for a speed that is not positive and finite.
pub fn arrow_fraction(mode: FieldMode, speed: f64, max_speed: f64) -> Option<f64> {
    if !(speed.is_finite() && speed > 0.0 && max_speed > 0.0) {
        return None;
    }
    match mode {
        FieldMode::Directions => Some(1.0),
        FieldMode::Arrows => Some((speed / max_speed).min(1.0)),
        FieldMode::Speed => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::fixed_points::classify;
    use crate::reduced::TimeModel;

    #[test]
    fn mix_hits_both_ends_and_clamps() {
        assert_eq!(mix(NULLCLINE_1, NULLCLINE_2, 0.0), NULLCLINE_1);
        assert_eq!(mix(NULLCLINE_1, NULLCLINE_2, 1.0), NULLCLINE_2);
        assert_eq!(mix(NULLCLINE_1, NULLCLINE_2, 7.0), NULLCLINE_2);
        assert_eq!(mix(NULLCLINE_1, NULLCLINE_2, f64::NAN), NULLCLINE_1);
        assert_eq!(field_colour(1.0, 0.0), FIELD_SLOW);
        assert_eq!(field_colour(2.0, 2.0), FIELD_FAST);
    }

    #[test]
    fn the_speed_shading_is_logarithmic_over_its_decades() {
        assert_eq!(speed_shade(2.0, 2.0), PAPER);
        assert_eq!(speed_shade(2e-3, 2.0), SPEED_SLOW);
        assert_eq!(speed_shade(1e-9, 2.0), SPEED_SLOW, "slower: clamped");
        assert_eq!(speed_shade(0.0, 2.0), SPEED_SLOW);
        // One decade below the fastest: a third of the way down (each channel to a unit).
        let third = mix(SPEED_SLOW, PAPER, 2.0 / 3.0);
        assert_eq!(speed_shade(0.2, 2.0), third);
        assert_eq!(speed_key_colour(FieldMode::Speed, 2.0 / 3.0), third);
        assert_eq!(speed_key_colour(FieldMode::Speed, 1.0), PAPER);
        assert_eq!(speed_key_colour(FieldMode::Arrows, 1.0), FIELD_FAST);
        assert_eq!(speed_shade(1.0, 0.0), PAPER, "no flow: nothing to shade");
    }

    #[test]
    fn arrows_are_as_long_as_the_flow_is_fast_or_all_one_length() {
        assert_eq!(arrow_fraction(FieldMode::Directions, 0.1, 2.0), Some(1.0));
        assert_eq!(arrow_fraction(FieldMode::Arrows, 0.5, 2.0), Some(0.25));
        assert_eq!(arrow_fraction(FieldMode::Arrows, 3.0, 2.0), Some(1.0));
        assert_eq!(arrow_fraction(FieldMode::Speed, 0.5, 2.0), None);
        assert_eq!(arrow_fraction(FieldMode::Arrows, 0.0, 2.0), None);
        assert_eq!(arrow_fraction(FieldMode::Directions, f64::NAN, 2.0), None);
    }

    #[test]
    fn the_user_trajectory_colour_is_no_other_curves_colour() {
        let others = [NULLCLINE_1, NULLCLINE_2, CYCLE, SEPARATRIX, MEAN_FIELD];
        for c in others.iter().chain(&TRIALS) {
            assert_ne!(*c, USER_TRAJECTORY);
        }
    }

    fn fixed_point(eigenvalues: Vec<[f64; 2]>) -> FixedPoint {
        let (kind, stable) = classify(&eigenvalues, TimeModel::Ode);
        FixedPoint {
            kappa: vec![0.0, 0.0],
            latent: None,
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

#[cfg(test)]
mod eigenvector_tests {
    use super::*;
    use crate::analysis::fixed_points::describe;
    use crate::analysis::test_systems::Linear;
    use crate::reduced::TimeModel;

    /// A linear system with eigenvalues 1 (along (1, 1)) and -2 (along (1, -2)), and a pixel map
    /// that stretches y by 3 (screens are not square).
    #[test]
    fn segments_lie_along_the_eigenvectors_with_their_stability_and_pixel_length() {
        // A = V diag(1, -2) V^-1 with V = [[1, 1], [1, -2]].
        let sys = Linear {
            a: [0.0, 1.0, 2.0, -1.0],
            b: [0.0; 2],
        };
        let px = |k: [f64; 2]| [100.0 + 10.0 * k[0], 50.0 - 30.0 * k[1]];
        let saddle = describe(&sys, &[], &[0.0, 0.0], TimeModel::Ode);
        assert_eq!(saddle.kind, FixedPointKind::Saddle);
        let segments = eigenvector_segments(std::slice::from_ref(&saddle), 18.0, px);
        assert_eq!(segments.len(), 2);
        for (ends, unstable) in segments {
            let d = [ends[1][0] - ends[0][0], ends[1][1] - ends[0][1]];
            let direction = if unstable { [1.0, 1.0] } else { [1.0, -2.0] };
            let cross = d[0] * direction[1] - d[1] * direction[0];
            assert!(cross.abs() < 1e-12, "{ends:?} not along {direction:?}");
            let (a, b) = (px(ends[0]), px(ends[1]));
            assert!(((b[0] - a[0]).hypot(b[1] - a[1]) - 36.0).abs() < 1e-9);
        }
        // The map: the multipliers decide (alpha = 3: mu = 4 and -5, both unstable).
        let map = describe(&sys, &[], &[0.0, 0.0], TimeModel::Map { alpha: 3.0 });
        let segments = eigenvector_segments(&[map], 18.0, px);
        assert!(segments.iter().all(|(_, unstable)| *unstable));
        // A focus has none.
        let focus = Linear {
            a: [-1.0, -2.0, 2.0, -1.0],
            b: [0.0; 2],
        };
        let f = describe(&focus, &[], &[0.0, 0.0], TimeModel::Ode);
        assert!(eigenvector_segments(&[f], 18.0, px).is_empty());
    }
}
