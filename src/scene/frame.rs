//! A view rectangle that shows every fixed point, cycle and trajectory with a margin.
//!
//! The fixed points and cycles come from the analysis of the system's search box (its absorbing
//! box, [`Rect::default_for`]), which holds them all; [`view_of`] frames what that analysis
//! found and the trajectories drawn with it. The explorer frames every newly opened model this
//! way and `render` its default view, so both show the same rectangle.

use super::Overlay;
use crate::analysis::Rect;
use crate::analysis::landscape::Landscape;

/// The frame extends this fraction of its half-width beyond the outermost feature.
pub const MARGIN: f64 = 0.35;
/// The frame's half-width is at least this fraction of the search box's (a single fixed point
/// still gets a view of its surroundings).
pub const MIN_HALF_FRACTION: f64 = 0.15;

/// The points a view must show: fixed points, cycle points, overlay points (finite ones).
pub fn features(land: &Landscape, overlays: &[Overlay]) -> Vec<[f64; 2]> {
    let fixed = land.fixed_points.iter().map(|f| f.kappa.as_slice());
    let cycles = land
        .cycles
        .iter()
        .flat_map(|c| c.points.iter().map(Vec::as_slice));
    let mut out: Vec<[f64; 2]> = fixed
        .chain(cycles)
        .filter(|k| k.len() >= 2)
        .map(|k| [k[0], k[1]])
        .collect();
    out.extend(overlays.iter().flat_map(|o| o.points.iter().copied()));
    out.retain(|p| p.iter().all(|x| x.is_finite()));
    out
}

/// A rectangle of height/width `aspect` around the bounding box of `points`: [`MARGIN`] beyond
/// it on the longer side, with a half-width of at least `min_half`, the shorter side grown to the
/// aspect (so that with equal axes the view fills a plot of that shape). `None` without finite
/// points, or for a `min_half` or `aspect` that is not positive and finite.
pub fn frame(points: &[[f64; 2]], min_half: f64, aspect: f64) -> Option<Rect> {
    let positive = |x: f64| x > 0.0 && x.is_finite();
    if !(positive(min_half) && positive(aspect)) {
        return None;
    }
    let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
    for p in points.iter().filter(|p| p.iter().all(|x| x.is_finite())) {
        for d in 0..2 {
            lo[d] = lo[d].min(p[d]);
            hi[d] = hi[d].max(p[d]);
        }
    }
    if lo[0] > hi[0] {
        return None;
    }
    let centre = [0.5 * (lo[0] + hi[0]), 0.5 * (lo[1] + hi[1])];
    let grown = |extent: f64| 0.5 * extent * (1.0 + MARGIN);
    let hx = grown(hi[0] - lo[0])
        .max(grown(hi[1] - lo[1]) / aspect)
        .max(min_half);
    let hy = hx * aspect;
    Some(Rect::new(
        centre[0] - hx,
        centre[0] + hx,
        centre[1] - hy,
        centre[1] + hy,
    ))
}

/// The view of `land` (analysed on its search box, `land.rect`) of height/width `aspect`:
/// [`frame`] of its fixed points, cycles and `overlays`, the search box when there is nothing.
pub fn view_of(land: &Landscape, overlays: &[Overlay], aspect: f64) -> Rect {
    let search = land.rect;
    let min_half = MIN_HALF_FRACTION * 0.5 * search.width().max(search.height());
    frame(&features(land, overlays), min_half, aspect).unwrap_or(search)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::landscape::{LandscapeRequest, analyze};
    use crate::reduced::{MeanField, TimeModel, presets};
    use crate::scene::style;

    #[test]
    fn the_frame_is_a_square_with_a_margin_around_every_point() {
        let points = [[0.0, 0.0], [2.0, 1.0], [f64::NAN, 5.0]];
        // Centre (1, 0.5); the larger half-extent 1 grown by the margin, on both axes.
        let h = 1.0 + MARGIN;
        let square = Rect::new(1.0 - h, 1.0 + h, 0.5 - h, 0.5 + h);
        assert_eq!(frame(&points, 0.1, 1.0).unwrap(), square);
        // A tall plot: the width is kept, the height grown to the aspect.
        let tall = frame(&points, 0.1, 2.0).unwrap();
        assert_eq!((tall.x_min, tall.x_max), (square.x_min, square.x_max));
        assert!((tall.height() - 2.0 * tall.width()).abs() < 1e-12);
        assert!((tall.y_min + tall.y_max - 1.0).abs() < 1e-12, "centred");
        // A wide plot of a tall cloud: the height is kept.
        let wide = frame(&[[0.0, 0.0], [0.0, 4.0]], 0.1, 0.5).unwrap();
        assert!((wide.height() - 4.0 * h).abs() < 1e-12);
        assert!((wide.width() - 2.0 * wide.height()).abs() < 1e-12);
        // One point: the minimum half-width around it.
        assert_eq!(
            frame(&[[1.0, -1.0]], 0.5, 1.0).unwrap(),
            Rect::new(0.5, 1.5, -1.5, -0.5)
        );
        assert!(frame(&[], 1.0, 1.0).is_none());
        assert!(frame(&[[f64::NAN, 0.0]], 1.0, 1.0).is_none());
        assert!(frame(&[[0.0, 0.0]], 0.0, 1.0).is_none());
        assert!(frame(&[[0.0, 0.0]], 1.0, f64::NAN).is_none());
    }

    #[test]
    fn the_view_of_the_preset_frames_its_fixed_points_and_cycle_and_overlays() {
        let model = presets::get("dms_mixture_2pop").unwrap().model;
        let sys = MeanField::new(&model);
        let search = Rect::default_for(&sys);
        let land = analyze(
            &sys,
            &LandscapeRequest::new(search, vec![0.0, 0.0], TimeModel::Ode),
        );
        assert_eq!(land.fixed_points.len(), 5);
        let rect = view_of(&land, &[], 1.0);
        let inner = rect.expanded(-0.1);
        assert!(land.fixed_points.iter().all(|f| inner.contains(&f.kappa)));
        assert!(rect.width() < search.width(), "closer than the search box");
        let land = analyze(
            &sys,
            &LandscapeRequest::new(search, vec![1.0, 0.0], TimeModel::Ode),
        );
        let rect = view_of(&land, &[], 0.5);
        assert!((rect.height() - 0.5 * rect.width()).abs() < 1e-12);
        assert_eq!(land.cycles.len(), 1);
        let inner = rect.expanded(-0.1);
        assert!(land.cycles[0].points.iter().all(|p| inner.contains(p)));
        // An overlay far out widens the frame.
        let far = Overlay {
            style: style::trial_reduced(0),
            points: vec![[5.0, 5.0]],
            legend: None,
        };
        assert!(view_of(&land, &[far], 1.0).contains(&[5.0, 5.0]));
    }
}
