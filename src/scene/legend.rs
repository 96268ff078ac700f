//! The legend of a [`Scene`]: one row per kind of thing drawn, in a fixed order (nullclines,
//! fixed-point glyphs, separatrices, cycles, overlays, the mean field, the field's speed key),
//! each with the key that shows how it is drawn. The explorer and the exported figures list the
//! same rows.

use super::style::{self, Glyph, LineStyle, Rgb};
use super::{FieldMode, Scene, cycle_noun};
use crate::analysis::manifolds::ManifoldKind;
use crate::reduced::TimeModel;

/// What a row shows left of its text.
#[derive(Debug, Clone, PartialEq)]
pub enum Key {
    Line(LineStyle),
    /// A fixed-point glyph in a colour.
    Glyph(Glyph, Rgb),
    /// The field's colour scale of `mode` up to speed `max` (`|F|` per unit of time).
    Speed {
        max: f64,
        mode: FieldMode,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: Key,
    pub label: String,
}

/// The nullcline rows.
pub const NULLCLINES: [&str; 2] = ["κ₁ nullcline", "κ₂ nullcline"];

/// The manifold rows, stable (the separatrix proper) first.
const MANIFOLDS: [(ManifoldKind, &str); 2] = [
    (ManifoldKind::Stable, "separatrix (stable manifold)"),
    (ManifoldKind::Unstable, "unstable manifold"),
];

/// The mean field's rows.
pub const MEAN_FIELD_NULLCLINES: &str = "mean field: nullclines";
pub const MEAN_FIELD_CYCLES: &str = "mean field: cycles";
pub const MEAN_FIELD_FIXED_POINTS: &str = "mean field: fixed points";

/// `"stable limit cycle"` (ODE), `"unstable invariant curve"` (map), ...
fn cycle_label(stable: bool, time_model: TimeModel) -> String {
    let which = if stable { "stable" } else { "unstable" };
    format!("{which} {}", cycle_noun(time_model))
}

/// A row whose key is a stroke.
pub fn line(style: LineStyle, label: &str) -> Entry {
    Entry {
        key: Key::Line(style),
        label: label.to_string(),
    }
}

/// The rows of a scene's legend, in drawing order; duplicates (same key and label) once. Only
/// what the scene's layers draw is listed.
pub fn entries(scene: &Scene) -> Vec<Entry> {
    let land = scene.landscape();
    let layers = &scene.layers;
    let mut out = Vec::new();
    let nullclines = scene.plane.nullclines();
    if layers.nullclines {
        for (i, name) in scene.axes.iter().enumerate() {
            if !nullclines.curves[i].is_empty() {
                out.push(line(style::nullcline(i), &format!("{name} nullcline")));
            }
        }
    }
    if layers.fixed_points {
        let mut glyphs: Vec<Glyph> = land.fixed_points.iter().map(Glyph::of).collect();
        glyphs.sort();
        glyphs.dedup();
        out.extend(glyphs.into_iter().map(|g| Entry {
            key: Key::Glyph(g, style::FIXED_POINT),
            label: g.label().to_string(),
        }));
    }
    if layers.eigenvectors {
        // Whether a direction shows does not depend on the scale of the plot.
        let segments = style::eigenvector_segments(&land.fixed_points, 1.0, |k| k);
        for (unstable, label) in [
            (true, "unstable eigenvector"),
            (false, "stable eigenvector"),
        ] {
            if segments.iter().any(|(_, u)| *u == unstable) {
                out.push(line(style::eigenvector(unstable), label));
            }
        }
    }
    if layers.separatrices {
        for (kind, label) in MANIFOLDS {
            if land.separatrices.iter().any(|s| s.kind == kind) {
                out.push(line(style::manifold(kind), label));
            }
        }
    }
    if layers.cycles {
        for stable in [true, false] {
            if land.cycles.iter().any(|c| c.stable == stable) {
                out.push(line(
                    style::cycle(stable),
                    &cycle_label(stable, land.time_model),
                ));
            }
        }
    }
    out.extend(scene.overlays.iter().filter_map(|o| o.legend.clone()));
    if let Some(mf) = &scene.mean_field {
        let mland = &mf.landscape;
        if layers.nullclines && mf.nullclines().curves.iter().any(|c| !c.is_empty()) {
            out.push(line(style::mean_field_nullcline(0), MEAN_FIELD_NULLCLINES));
        }
        if layers.cycles && !mland.cycles.is_empty() {
            out.push(line(style::mean_field_cycle(), MEAN_FIELD_CYCLES));
        }
        if layers.fixed_points && !mland.fixed_points.is_empty() {
            out.push(Entry {
                key: Key::Glyph(Glyph::Stable, style::MEAN_FIELD),
                label: MEAN_FIELD_FIXED_POINTS.to_string(),
            });
        }
    }
    if layers.field {
        let max = max_speed(scene);
        if max > 0.0 {
            let mode = layers.field_mode;
            out.push(Entry {
                key: Key::Speed { max, mode },
                label: speed_label(max, mode),
            });
        }
    }
    let mut unique: Vec<Entry> = Vec::with_capacity(out.len());
    for e in out {
        if !unique.contains(&e) {
            unique.push(e);
        }
    }
    unique
}

/// The largest finite speed `|F|` of the scene's field samples in its view (the top of the
/// field's colour scale).
pub fn max_speed(scene: &Scene) -> f64 {
    let field = scene.plane.field();
    let rect = scene.plane.rect();
    field
        .points
        .iter()
        .zip(&field.flow)
        .filter(|(p, _)| rect.contains(&p[..]))
        .map(|(_, f)| f[0].hypot(f[1]))
        .filter(|s| s.is_finite())
        .fold(0.0, f64::max)
}

/// `"flow speed |F|, 0 – 1.23"`, or for the shading `"flow speed |F|, log, 1.23e-3 – 1.23"`:
/// the speed key's text.
pub fn speed_label(max: f64, mode: FieldMode) -> String {
    match mode {
        FieldMode::Speed => format!(
            "flow speed |F|, log, {} – {}",
            speed_number(max * 10f64.powf(-style::SPEED_DECADES)),
            speed_number(max)
        ),
        FieldMode::Directions | FieldMode::Arrows => {
            format!("flow speed |F|, 0 – {}", speed_number(max))
        }
    }
}

/// A speed to three significant digits.
fn speed_number(x: f64) -> String {
    if !(0.01..100.0).contains(&x) {
        format!("{x:.2e}")
    } else {
        format!("{:.*}", (2 - x.log10().floor() as i32).max(0) as usize, x)
    }
}

/// Every label a legend with these overlays could show: a figure's legend column is as wide as
/// the widest of them, whatever the landscape holds, so figures of one model at several inputs
/// share their plot rectangle.
pub fn possible_labels(overlays: &[super::Overlay], mean_field: bool) -> Vec<String> {
    let mut out: Vec<String> = NULLCLINES.iter().map(|s| s.to_string()).collect();
    out.extend(Glyph::ALL.iter().map(|g| g.label().to_string()));
    out.extend(MANIFOLDS.iter().map(|(_, label)| label.to_string()));
    for stable in [true, false] {
        for tm in [TimeModel::Ode, TimeModel::TRAINED_MAP] {
            out.push(cycle_label(stable, tm));
        }
    }
    out.extend(
        overlays
            .iter()
            .filter_map(|o| o.legend.as_ref().map(|e| e.label.clone())),
    );
    if mean_field {
        out.extend(
            [
                MEAN_FIELD_NULLCLINES,
                MEAN_FIELD_CYCLES,
                MEAN_FIELD_FIXED_POINTS,
            ]
            .map(String::from),
        );
    }
    // The speed key at its widest (exponents and three digits).
    out.push(speed_label(8.88e-8, FieldMode::Speed));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speeds_have_three_significant_digits() {
        assert_eq!(speed_number(1.2345), "1.23");
        assert_eq!(speed_number(0.123456), "0.123");
        assert_eq!(speed_number(12.345), "12.3");
        assert_eq!(speed_number(1234.5), "1.23e3");
        assert_eq!(
            speed_label(0.5, FieldMode::Arrows),
            "flow speed |F|, 0 – 0.500"
        );
        assert_eq!(
            speed_label(0.5, FieldMode::Speed),
            "flow speed |F|, log, 5.00e-4 – 0.500"
        );
    }
}
