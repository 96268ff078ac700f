//! Trajectories as [`Overlay`]s: the DMS trials of a [`TrialSet`] (the reduced system's line in
//! the trial's colour, the full network's projected states as dots over it) and the user's
//! click-to-run trajectories (with arrowheads).

use super::Overlay;
use super::legend::{self, Entry};
use super::style::{self, LineStyle, Stroke};
use crate::model::TrialSet;
use crate::reduced::plane::PlaneAxes;

/// The legend row of every full-network trial (the dots are in each trial's colour).
pub const NETWORK_ROW: &str = "full network, projected (dots)";

/// The states `(kappa_t, v_t)` on the plane `axes` (MODEL.md 8); states that do not fit the
/// axes (another rank) are skipped.
fn plane_points(axes: &PlaneAxes, kappa: &[Vec<f64>], v: &[Vec<f64>]) -> Vec<[f64; 2]> {
    kappa
        .iter()
        .zip(v)
        .filter_map(|(k, v)| axes.try_project(k, v))
        .collect()
}

/// The trials of `set` whose entry of `shown` is true, on the plane `axes`: each trial's
/// reduced trajectory, then (for a network) its full network's states. With an `active` trial
/// (the one being played) that trial is drawn heavier and the others fade.
pub fn trials(
    set: &TrialSet,
    shown: &[bool; 4],
    active: Option<usize>,
    axes: &PlaneAxes,
) -> Vec<Overlay> {
    let look = |k: usize, s: LineStyle| match active {
        Some(a) if a == k => s.emphasised(),
        Some(_) => s.faded(),
        None => s,
    };
    let runs = || {
        set.runs
            .iter()
            .enumerate()
            .filter(|(k, _)| shown.get(*k).copied().unwrap_or(false))
    };
    // The lines first, then the network's dots over them (and after them in the legend).
    let lines = runs().map(|(k, run)| {
        let style = look(k, style::trial_reduced(k));
        Overlay {
            style,
            points: plane_points(axes, &run.reduced.kappa, &run.reduced.v),
            legend: Some(legend::line(style, &run.trial.name)),
        }
    });
    let dots = runs().filter_map(|(k, run)| {
        run.network.as_ref().map(|net| Overlay {
            style: look(k, style::trial_network(k)),
            points: plane_points(axes, &net.kappa, &net.v),
            legend: Some(network_row()),
        })
    });
    lines.chain(dots).collect()
}

/// The shared legend row of the full-network trials: dots in the fixed points' colour.
fn network_row() -> Entry {
    let key = LineStyle {
        colour: style::FIXED_POINT,
        ..style::trial_network(0)
    };
    legend::line(key, NETWORK_ROW)
}

/// A click-to-run trajectory through `points` (in time order of the run: backward runs go back
/// in time); the `latest` one heavier, as in the explorer's time plot of them.
pub fn user_trajectory(points: Vec<[f64; 2]>, backward: bool, latest: bool) -> Overlay {
    let s = style::user_trajectory(backward);
    let label = if backward {
        "trajectory (backward in time)"
    } else {
        "trajectory (click)"
    };
    Overlay {
        style: if latest { s.emphasised() } else { s },
        points,
        legend: Some(legend::line(s, label)),
    }
}

/// Whether an overlay is a full-network trial (drawn as dots).
pub fn is_markers(o: &Overlay) -> bool {
    matches!(o.style.stroke, Stroke::Markers { .. })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::TrialSettings;
    use crate::model::testing::random_network_model;
    use crate::reduced::TimeModel;

    fn latent() -> PlaneAxes {
        PlaneAxes::default_for(2, 2).unwrap()
    }

    #[test]
    fn network_trials_are_dots_over_the_reduced_lines_with_one_shared_row() {
        let set = random_network_model(120, 2, 3)
            .canonical_trials(TimeModel::TRAINED_MAP, &TrialSettings::figure())
            .unwrap();
        let o = trials(&set, &[true, false, true, true], None, &latent());
        assert_eq!(o.len(), 6);
        assert!(o[..3].iter().all(|o| !is_markers(o)));
        assert!(o[3..].iter().all(is_markers));
        assert_eq!(o[0].style.colour, o[3].style.colour, "AA in one colour");
        let labels: Vec<&str> = o[..3]
            .iter()
            .map(|o| o.legend.as_ref().unwrap().label.as_str())
            .collect();
        assert_eq!(labels, ["AA", "BA", "BB"]);
        assert_eq!(o[3].legend, o[5].legend, "one row for the network");
        // Playing BA: it is heavier, the others fade.
        let played = trials(&set, &[true, false, true, true], Some(2), &latent());
        assert!(played[1].style.width > o[1].style.width);
        assert!(played[0].style.width < o[0].style.width);
        assert_ne!(played[0].style.colour, o[0].style.colour);
    }
}
