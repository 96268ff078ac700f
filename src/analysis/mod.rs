//! Phase-plane analysis that works on any [`ReducedSystem`](crate::reduced::ReducedSystem): flow
//! fields, nullclines, fixed points, separatrices, trajectories, limit cycles and continuation.
//!
//! Every routine here is bounded (step, time, point and evaluation caps) and reports why it stopped,
//! so a blowing-up system, NaNs or a degenerate Jacobian give a status, never a hang or a panic.
//! [`landscape::analyze`] bundles the phase-plane pieces into one plain-data [`landscape::Landscape`].

pub mod continuation;
pub mod counting;
pub mod cycle_branch;
pub mod cycles;
pub mod fixed_points;
pub mod integrate;
pub mod invariant_curves;
pub mod landscape;
pub mod linalg;
pub mod manifolds;
pub mod normal_form;
pub mod nullclines;
pub mod phase_line;
pub mod projection;
pub mod regions;
pub mod root_search;
pub mod step_plane;
pub mod trial;
pub mod two_parameter;

#[cfg(test)]
pub(crate) mod test_systems;

use serde::{Deserialize, Serialize};

/// Margin around the absorbing box in the default view, as a fraction of its half-widths.
const DEFAULT_MARGIN: f64 = 0.1;
/// Half-width of the default view of a system without an absorbing box (e.g. gain-clamped).
const FALLBACK_HALF_WIDTH: f64 = 3.0;

/// An axis-aligned rectangle of the `(kappa_1, kappa_2)` plane.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Rect {
    pub x_min: f64,
    pub x_max: f64,
    pub y_min: f64,
    pub y_max: f64,
}

impl Rect {
    pub fn new(x_min: f64, x_max: f64, y_min: f64, y_max: f64) -> Self {
        Rect {
            x_min,
            x_max,
            y_min,
            y_max,
        }
    }

    /// Finite bounds with positive width and height; every analysis returns empty results otherwise.
    pub fn is_valid(&self) -> bool {
        [self.x_min, self.x_max, self.y_min, self.y_max]
            .iter()
            .all(|v| v.is_finite())
            && self.x_max > self.x_min
            && self.y_max > self.y_min
    }

    pub fn width(&self) -> f64 {
        self.x_max - self.x_min
    }

    pub fn height(&self) -> f64 {
        self.y_max - self.y_min
    }

    /// Length of the diagonal: the length scale for all relative tolerances of the phase plane.
    pub fn diagonal(&self) -> f64 {
        self.width().hypot(self.height())
    }

    /// The rectangle grown by `fraction` of its width / height on every side.
    pub fn expanded(&self, fraction: f64) -> Rect {
        let (dx, dy) = (fraction * self.width(), fraction * self.height());
        Rect::new(
            self.x_min - dx,
            self.x_max + dx,
            self.y_min - dy,
            self.y_max + dy,
        )
    }

    pub fn contains(&self, p: &[f64]) -> bool {
        p.len() >= 2
            && p[0] >= self.x_min
            && p[0] <= self.x_max
            && p[1] >= self.y_min
            && p[1] <= self.y_max
    }

    /// The default view of a system: its absorbing box
    /// ([`ReducedSystem::absorbing_box`](crate::reduced::ReducedSystem::absorbing_box)), which holds
    /// every fixed point and cycle for any input, grown by `DEFAULT_MARGIN`; `[-3, 3]^2` without one.
    pub fn default_for(sys: &dyn crate::reduced::ReducedSystem) -> Rect {
        let half = sys
            .absorbing_box()
            .filter(|b| b.len() == 2 && b.iter().all(|x| x.is_finite() && *x > 0.0))
            .map_or([FALLBACK_HALF_WIDTH; 2], |b| {
                [b[0] * (1.0 + DEFAULT_MARGIN), b[1] * (1.0 + DEFAULT_MARGIN)]
            });
        Rect::new(-half[0], half[0], -half[1], half[1])
    }

    /// The same box as integration bounds.
    pub fn bounds(&self) -> integrate::Bounds {
        integrate::Bounds {
            lo: vec![self.x_min, self.y_min],
            hi: vec![self.x_max, self.y_max],
        }
    }
}
