//! What a phase-plane picture shows, independent of what draws it: one [`Scene`] value that the
//! [`render`](crate::render) module draws to SVG and PNG and the explorer draws live, so that an
//! exported figure and the view it came from hold the same curves, glyphs, styles, names, legend
//! and framing.
//!
//! - [`style`]: colours, line styles and fixed-point glyphs;
//! - [`legend`]: the legend's rows, in a fixed order;
//! - [`frame`]: a view that shows every fixed point, cycle and trajectory;
//! - [`trajectories`]: the DMS trials and click-to-run trajectories as overlays.

pub mod frame;
pub mod legend;
pub mod style;
pub mod trajectories;

use std::sync::Arc;

use crate::analysis::Rect;
use crate::analysis::cycles::Cycle;
use crate::analysis::landscape::{FieldSamples, Landscape, ViewLayer};
use crate::analysis::nullclines::Nullclines;
use crate::reduced::TimeModel;
use crate::text::{count, number};
use style::LineStyle;

/// A landscape (analysed on its search box) and what a view of it adds.
#[derive(Debug, Clone)]
pub struct Plane {
    pub landscape: Arc<Landscape>,
    pub view: Arc<ViewLayer>,
}

impl Plane {
    /// The rectangle shown.
    pub fn rect(&self) -> Rect {
        self.view.rect
    }

    /// The flow field sampled on the view.
    pub fn field(&self) -> &FieldSamples {
        &self.view.field
    }

    /// The nullclines to draw: the view's own, or the landscape's.
    pub fn nullclines(&self) -> &Nullclines {
        self.view.nullclines(&self.landscape)
    }
}

/// Which layers are drawn (the explorer's "Show" toggles; a figure shows what the view shows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Layers {
    pub field: bool,
    pub nullclines: bool,
    pub fixed_points: bool,
    pub separatrices: bool,
    pub cycles: bool,
    /// The DMS trial trajectories (reduced, and full-network projections for a network).
    pub trials: bool,
    /// The eigenvectors of saddles and nodes, as short segments through them (off in figures
    /// unless asked for; the explorer starts with them on).
    pub eigenvectors: bool,
    /// How the flow field is drawn, when it is.
    pub field_mode: FieldMode,
}

/// How the flow field is drawn: what pplane and XPPAUT offer, and the speed map the
/// slow-point analyses of trained networks read (where `|F|` is small, trajectories linger).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldMode {
    /// Arrows of one length: the direction of the flow everywhere, its speed by colour.
    #[default]
    Directions,
    /// Arrows as long as the flow is fast (the fastest shown fills its cell): speeds compared
    /// by length, and the slow regions near fixed points nearly empty.
    Arrows,
    /// The plane shaded by `log10 |F|` over [`style::SPEED_DECADES`] decades below the fastest
    /// sample, darkest where the flow is slowest: fixed points and the ghosts of lost ones.
    Speed,
}

impl FieldMode {
    pub const ALL: [FieldMode; 3] = [FieldMode::Directions, FieldMode::Arrows, FieldMode::Speed];

    /// The name the CLI takes and the app shows.
    pub fn name(self) -> &'static str {
        match self {
            FieldMode::Directions => "directions",
            FieldMode::Arrows => "arrows",
            FieldMode::Speed => "speed",
        }
    }
}

impl std::str::FromStr for FieldMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        FieldMode::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| format!("`{s}` is not a field mode: use directions, arrows or speed"))
    }
}

impl Default for Layers {
    fn default() -> Self {
        Layers {
            field: true,
            nullclines: true,
            fixed_points: true,
            separatrices: true,
            cycles: true,
            trials: true,
            eigenvectors: false,
            field_mode: FieldMode::Directions,
        }
    }
}

/// A curve drawn over the plane (a trial, a click-to-run trajectory), with its legend row.
#[derive(Debug, Clone, PartialEq)]
pub struct Overlay {
    pub style: LineStyle,
    /// `(kappa_1, kappa_2)` points in time order; a non-finite point breaks the line.
    pub points: Vec<[f64; 2]>,
    /// The legend row; overlays with equal rows share one, and `None` adds none.
    pub legend: Option<legend::Entry>,
}

/// Everything one phase-plane picture shows.
#[derive(Debug, Clone)]
pub struct Scene {
    /// What is shown (a model's title); the time model and the input are appended. May be empty.
    pub title: String,
    /// Names of the input channels (e.g. `A`, `B`), used to word the input in the title.
    pub input_names: Vec<String>,
    pub plane: Plane,
    /// The axes' names (`κ₁`, `κ₂`; `v(A)`, `κ` for a rank-1 input plane: MODEL.md 8).
    pub axes: [String; 2],
    /// A population model's mean field drawn over a network's exact landscape.
    pub mean_field: Option<Plane>,
    /// Drawn over the landscape, in order.
    pub overlays: Vec<Overlay>,
    pub layers: Layers,
}

impl Scene {
    /// A scene of `plane` with no name and no overlays, every layer on.
    pub fn new(plane: Plane) -> Self {
        Scene {
            title: String::new(),
            input_names: Vec::new(),
            plane,
            axes: ["κ₁".to_string(), "κ₂".to_string()],
            mean_field: None,
            overlays: Vec::new(),
            layers: Layers::default(),
        }
    }

    pub fn landscape(&self) -> &Landscape {
        &self.plane.landscape
    }

    /// The full title: `"<title> — <time model>, <input>"`.
    pub fn heading(&self) -> String {
        let land = self.landscape();
        let what = format!(
            "{}, {}",
            land.time_model.label(),
            input_text(&land.v, &self.input_names)
        );
        if self.title.is_empty() {
            what
        } else {
            format!("{} — {what}", self.title)
        }
    }
}

/// `"no input"`, `"input A"` (one channel at 1, the others at 0) or `"input v = (0.5, 0.2)"`.
pub fn input_text(v: &[f64], names: &[String]) -> String {
    let on: Vec<usize> = (0..v.len()).filter(|&s| v[s] != 0.0).collect();
    match on[..] {
        [] => "no input".to_string(),
        [s] if v[s] == 1.0 => format!(
            "input {}",
            names
                .get(s)
                .cloned()
                .unwrap_or_else(|| crate::text::channel_letter(s))
        ),
        _ => {
            let values: Vec<String> = v.iter().map(|&x| number(x)).collect();
            format!("input v = ({})", values.join(", "))
        }
    }
}

/// `"T = 7.94 τ"`, or for the map `"T = 7.94 τ (39.7 steps)"`: the label beside a cycle.
pub fn period_label(c: &Cycle) -> String {
    match c.period_steps {
        Some(steps) => format!("T = {:.2} τ ({steps:.1} steps)", c.period_tau),
        None => format!("T = {:.2} τ", c.period_tau),
    }
}

/// What a landscape holds, as the explorer's header and the `render` command say it:
/// `"13 fixed points (6 stable), 9 in view · no cycle"` or
/// `"1 fixed point (0 stable) · stable limit cycle, T = 7.94 τ"`. `view` counts what is in it;
/// `cycles_known` is false while the cycles are still being computed.
pub fn summary(land: &Landscape, view: Option<&Rect>, cycles_known: bool) -> String {
    if let Some(e) = &land.error {
        return format!("cannot analyse: {e}");
    }
    let n = land.fixed_points.len();
    let stable = land.fixed_points.iter().filter(|f| f.stable).count();
    let mut s = format!(
        "{} ({stable} stable)",
        count(n, "fixed point", "fixed points")
    );
    if let Some(rect) = view {
        let shown = land
            .fixed_points
            .iter()
            .filter(|f| rect.contains(&f.kappa))
            .count();
        if shown < n {
            s.push_str(&format!(", {shown} in view"));
        }
    }
    if !cycles_known {
        s.push_str(" · cycles: computing…");
        return s;
    }
    if land.cycles.is_empty() {
        s.push_str(" · no cycle");
    }
    for c in &land.cycles {
        let stability = if c.stable { "stable" } else { "unstable" };
        s.push_str(&format!(
            " · {stability} {}, {}",
            cycle_noun(land.time_model),
            period_label(c)
        ));
    }
    s
}

/// `"limit cycle"` (ODE) or `"invariant curve"` (map).
pub fn cycle_noun(time_model: TimeModel) -> &'static str {
    match time_model {
        TimeModel::Ode => "limit cycle",
        TimeModel::Map { .. } => "invariant curve",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::landscape::{LandscapeRequest, analyze, view_layer};
    use crate::reduced::{MeanField, presets};

    fn names() -> Vec<String> {
        vec!["A".into(), "B".into()]
    }

    #[test]
    fn the_input_is_worded_by_channel_name_or_values() {
        assert_eq!(input_text(&[0.0, 0.0], &names()), "no input");
        assert_eq!(input_text(&[], &names()), "no input");
        assert_eq!(input_text(&[0.0, 1.0], &names()), "input B");
        assert_eq!(input_text(&[1.0, 0.0], &[]), "input A");
        assert_eq!(input_text(&[0.5, 0.0], &names()), "input v = (0.5, 0)");
        assert_eq!(input_text(&[1.0, 1.0], &names()), "input v = (1, 1)");
    }

    #[test]
    fn the_heading_and_the_summary_state_time_model_input_and_what_is_in_view() {
        let sys = MeanField::new(&presets::get("dms_mixture_2pop").unwrap().model);
        let boxed = Rect::default_for(&sys);
        let land = Arc::new(analyze(
            &sys,
            &LandscapeRequest::new(boxed, vec![1.0, 0.0], TimeModel::TRAINED_MAP),
        ));
        let view = Arc::new(view_layer(&sys, &land, boxed, 8, 64));
        let mut scene = Scene::new(Plane {
            landscape: land.clone(),
            view,
        });
        scene.input_names = names();
        assert_eq!(scene.heading(), "map (alpha = 0.2), input A");
        scene.title = "DMS".into();
        assert_eq!(scene.heading(), "DMS — map (alpha = 0.2), input A");
        let s = summary(&land, Some(&boxed), true);
        assert!(s.starts_with("1 fixed point (0 stable) · "), "{s}");
        assert!(s.contains("invariant curve, T = "), "{s}");
        let corner = Rect::new(5.0, 6.0, 5.0, 6.0);
        assert!(summary(&land, Some(&corner), false).contains("0 in view"));
    }
}
