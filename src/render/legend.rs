//! The legend: one row per kind of thing drawn (both nullclines always; fixed-point glyphs,
//! separatrices, cycles and overlays when present), set in a column right of the plot so it never
//! covers data.

use super::RenderError;
use super::draw::{self, LineStyle};
use super::figure::{Figure, Overlay};
use super::glyphs::Glyph;
use super::layout::Layout;
use super::painter::{Font, Painter, pt};
use crate::analysis::manifolds::ManifoldKind;
use crate::reduced::TimeModel;
use plotters::style::text_anchor::{HPos, VPos};

/// What a row shows left of its text.
#[derive(Debug, Clone, PartialEq)]
pub enum Key {
    Line(LineStyle),
    Glyph(Glyph),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: Key,
    pub label: String,
}

/// Width of the key column, in pixels at scale 1.
pub const KEY_WIDTH: f64 = 28.0;
/// Gap between key and text, at scale 1.
pub const KEY_GAP: f64 = 7.0;
/// The nullcline rows, always shown.
const NULLCLINES: [&str; 2] = ["κ₁ nullcline", "κ₂ nullcline"];

/// The manifold rows, stable (the separatrix proper) first.
const MANIFOLDS: [(ManifoldKind, &str); 2] = [
    (ManifoldKind::Stable, "separatrix (stable manifold)"),
    (ManifoldKind::Unstable, "unstable manifold"),
];

/// `"stable limit cycle"` (ODE), `"unstable invariant curve"` (map), ...
fn cycle_label(stable: bool, time_model: TimeModel) -> String {
    let which = if stable { "stable" } else { "unstable" };
    match time_model {
        TimeModel::Ode => format!("{which} limit cycle"),
        TimeModel::Map { .. } => format!("{which} invariant curve"),
    }
}

/// The rows of a figure's legend, in drawing order; duplicates (same key and label) once.
pub fn entries(fig: &Figure) -> Vec<Entry> {
    let land = &fig.landscape;
    let mut out = vec![
        line(draw::nullcline_style(0), NULLCLINES[0]),
        line(draw::nullcline_style(1), NULLCLINES[1]),
    ];
    let mut glyphs: Vec<Glyph> = land.fixed_points.iter().map(Glyph::of).collect();
    glyphs.sort();
    glyphs.dedup();
    out.extend(glyphs.into_iter().map(|g| Entry {
        key: Key::Glyph(g),
        label: g.label().to_string(),
    }));
    for (kind, label) in MANIFOLDS {
        if land.separatrices.iter().any(|s| s.kind == kind) {
            out.push(line(draw::manifold_style(kind), label));
        }
    }
    for stable in [true, false] {
        if land.cycles.iter().any(|c| c.stable == stable) {
            let label = cycle_label(stable, land.time_model);
            out.push(line(draw::cycle_style(stable), &label));
        }
    }
    out.extend(
        fig.overlays
            .iter()
            .map(|o| line(draw::overlay_style(o), &o.label)),
    );
    let mut unique: Vec<Entry> = Vec::with_capacity(out.len());
    for e in out {
        if !unique.contains(&e) {
            unique.push(e);
        }
    }
    unique
}

/// Every label a legend with these overlays could show: the legend column is as wide as the
/// widest of them, whatever the landscape holds, so figures of one model at several inputs
/// share their plot rectangle.
pub fn possible_labels(overlays: &[Overlay]) -> Vec<String> {
    let mut out: Vec<String> = NULLCLINES.iter().map(|s| s.to_string()).collect();
    out.extend(Glyph::ALL.iter().map(|g| g.label().to_string()));
    out.extend(MANIFOLDS.iter().map(|(_, label)| label.to_string()));
    for stable in [true, false] {
        for tm in [TimeModel::Ode, TimeModel::TRAINED_MAP] {
            out.push(cycle_label(stable, tm));
        }
    }
    out.extend(overlays.iter().map(|o| o.label.clone()));
    out
}

fn line(style: LineStyle, label: &str) -> Entry {
    Entry {
        key: Key::Line(style),
        label: label.to_string(),
    }
}

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
            Key::Glyph(g) => g.draw(
                p,
                pt((x + 0.5 * KEY_WIDTH * s, y)),
                draw::glyph_radius(s),
                draw::glyph_stroke(s),
            )?,
        }
        p.text(&e.label, pt((x + (KEY_WIDTH + KEY_GAP) * s, y)), &font)?;
    }
    Ok(())
}
