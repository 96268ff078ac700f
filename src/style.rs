//! The project's drawing conventions, shared by the egui app and the `render` command so a figure
//! exported for a paper looks like the live view. Plain sRGB triples: no GUI types in the core.
//!
//! Colours are from the Okabe-Ito palette (distinguishable with the common colour-vision deficiencies).

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
/// A user's click-to-run trajectory.
pub const USER_TRAJECTORY: Rgb = [204, 121, 167];

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

/// The field colour of a speed, relative to the largest speed shown.
pub fn field_colour(speed: f64, max_speed: f64) -> Rgb {
    let t = if max_speed > 0.0 {
        speed / max_speed
    } else {
        0.0
    };
    mix(FIELD_SLOW, FIELD_FAST, t.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mix_hits_both_ends_and_clamps() {
        assert_eq!(mix(NULLCLINE_1, NULLCLINE_2, 0.0), NULLCLINE_1);
        assert_eq!(mix(NULLCLINE_1, NULLCLINE_2, 1.0), NULLCLINE_2);
        assert_eq!(mix(NULLCLINE_1, NULLCLINE_2, 7.0), NULLCLINE_2);
        assert_eq!(mix(NULLCLINE_1, NULLCLINE_2, f64::NAN), NULLCLINE_1);
        assert_eq!(field_colour(1.0, 0.0), FIELD_SLOW);
        assert_eq!(field_colour(2.0, 2.0), FIELD_FAST);
    }
}
